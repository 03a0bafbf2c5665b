//! The TCP server of document 000 ("Socket编程通信过程"): bind 127.0.0.1:8001,
//! accept connections one at a time, give each a 10 s timeout, print what
//! arrives, answer `OK`.
//!
//! Run: `cargo run --example tcp_server`, then `cargo run --example tcp_client`.

use crate::common;

use std::io::{self, Write};
use std::process::exit;
use std::time::Duration;

use pysocket::{Error, Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "TCP server of seed document 000 (\"Socket编程通信过程\"): prints what each client\n\
         sends and answers OK; a connection silent for --timeout seconds is dropped\n\
         with \"Time out\".",
        &[
            ("host", "127.0.0.1", "address to bind"),
            ("port", "8001", "port to bind"),
            ("timeout", "10", "seconds a connection may stay silent"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");
    let timeout = Duration::try_from_secs_f64(args.get("timeout"))
        .unwrap_or_else(|_| common::fail("--timeout must be a non-negative number of seconds"));

    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建 Socket 连接(TCP)
    println!("Socket Created");

    if let Err(e) = sock.bind((host.as_str(), port)) {
        // 配置 Socket,绑定 IP 地址和端口号
        // The document exits with status 0 here; a failure status tells a
        // shell or a supervisor that the server never started.
        println!("Bind Failed... {e}");
        exit(1);
    }

    sock.listen(5)?; // 设置最大允许连接数,各连接和 Server 的通信遵循 FIFO 原则

    loop {
        // 循环轮询 Socket 状态,等待访问
        let (conn, _addr) = sock.accept()?;
        if let Err(e) = serve(conn, timeout, io::stdout()) {
            eprintln!("Connection error: {e}"); // one client's failure does not stop the server
        }
    }
}

/// One connection: print each message and answer `OK` until the client
/// closes, or until it stays silent for `timeout` ("Time out").
pub fn serve(conn: Socket, timeout: Duration, mut out: impl Write) -> pysocket::Result<()> {
    conn.settimeout(Some(timeout))?; // 如果请求超过 10 秒没有完成,就终止操作
    match answer_ok(&conn, &mut out) {
        Err(Error::Timeout) => writeln!(out, "Time out")?, // 该连接在设定的时间内没有数据发来
        other => other?,
    }
    conn.close() // 当一个连接监听循环退出后,连接可以关掉
}

/// The inner loop: `recv(1024)`, print, reply `OK`, until the client closes.
fn answer_ok(conn: &Socket, out: &mut impl Write) -> pysocket::Result<()> {
    loop {
        let data = conn.recv(1024)?;
        writeln!(out, "Get value {}\n", String::from_utf8_lossy(&data))?;
        if data.is_empty() {
            writeln!(out, "Exit Server\n")?;
            return Ok(());
        }
        conn.sendall(b"OK")?; // 返回数据
    }
}
