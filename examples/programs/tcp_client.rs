//! The TCP client of document 000 ("Socket编程通信过程"): connect to
//! 127.0.0.1:8001, send each line typed, print the server's reply; an empty
//! line (or the end of input) quits.
//!
//! Run: `cargo run --example tcp_server`, then `cargo run --example tcp_client`.

use crate::common;

use std::io::{BufRead, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    common::run_client(
        "TCP client of seed document 000 (\"Socket编程通信过程\"): sends each line typed to the\n\
         server and prints the reply; an empty line quits.",
        "8001",
        run,
    )
}

/// The document's program, reading the keyboard from `stdin` and printing to `out`.
pub fn run(
    host: &str,
    port: u16,
    mut stdin: impl BufRead,
    mut out: impl Write,
) -> pysocket::Result<()> {
    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建 Socket 连接
    sock.connect((host, port))?; // 连接服务器
    loop {
        // The end of input quits, as an empty line does.
        let data = common::input("Please input data:", &mut stdin, &mut out)?.unwrap_or_default();
        if data.is_empty() {
            break;
        }
        if let Err(e) = sock.sendall(data.as_bytes()) {
            writeln!(out, "Send Failed... {e}")?;
            return Ok(()); // sys.exit(0)
        }
        writeln!(out, "Send Successfully")?;

        let res = sock.recv(4096)?; // 获取服务器返回的数据,还可以用 recvfrom()、recv_into() 等
        writeln!(out, "{}", String::from_utf8_lossy(&res))?;
    }
    sock.close()
}
