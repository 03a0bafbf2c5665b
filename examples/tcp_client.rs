//! The TCP client of document 000 ("Socket编程通信过程"): connect to
//! 127.0.0.1:8001, send each line typed, print the server's reply; an empty
//! line (or the end of input) quits.
//!
//! Run: `cargo run --example tcp_server`, then `cargo run --example tcp_client`.

mod common;

use std::io::{self, BufRead, Write};
use std::process::exit;

use pysocket::{Socket, AF_INET, SOCK_STREAM};

fn main() -> pysocket::Result<()> {
    let args = common::Args::parse(
        "TCP client of seed document 000: sends each line typed to the server and prints the reply;\n\
         an empty line quits.",
        &[("host", "127.0.0.1", "server address"), ("port", "8001", "server port")],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建 Socket 连接
    sock.connect((host.as_str(), port))?; // 连接服务器
    let mut lines = io::stdin().lock().lines();
    loop {
        print!("Please input data:");
        io::stdout().flush()?;
        let data = match lines.next() {
            Some(line) => line?,
            None => break,
        };
        if data.is_empty() {
            break;
        }
        if let Err(e) = sock.sendall(data.as_bytes()) {
            println!("Send Failed... {e}");
            exit(0);
        }
        println!("Send Successfully");

        let res = sock.recv(4096)?; // 获取服务器返回的数据
        println!("{}", String::from_utf8_lossy(&res));
    }
    sock.close()
}
