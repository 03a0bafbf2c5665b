//! The echo server of document 002 ("TCP/UDP/SOCKET in Python", `server.py`):
//! listen on localhost:5000, and for each connection send back every chunk
//! of up to 2048 bytes it receives, until the client closes.
//!
//! Run: `cargo run --example echo_server`, then `cargo run --example echo_client`.

use crate::common;

use std::io::{self, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

const BUFFER_SIZE: usize = 2048; // 读取数据大小

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Echo server of seed document 002 (\"TCP/UDP/SOCKET in Python\", server.py): sends\n\
         back whatever each client sends, in chunks of up to 2048 bytes.",
        &[
            ("host", "localhost", "服务器主机地址 (address to bind)"),
            ("port", "5000", "服务器监听端口 (port to listen on)"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建一个套接字
    sock.bind((host.as_str(), port))?; // 绑定主机和端口
    sock.listen(5)?; // 开启socket监听
    println!("Server start, listening {port}");

    loop {
        let (conn, _addr) = sock.accept()?; // 建立连接,连接为建立的时候阻塞
        if let Err(e) = echo(conn, io::stdout()) {
            eprintln!("Connection error: {e}"); // one client's failure does not stop the server
        }
    }
}

/// One connection: echo each chunk until the client closes (`recv` returns nothing).
pub fn echo(conn: Socket, mut out: impl Write) -> pysocket::Result<()> {
    loop {
        let data = conn.recv(BUFFER_SIZE)?; // 读取数据,数据还没到来阻塞
        if !data.is_empty() {
            let text = String::from_utf8_lossy(&data);
            writeln!(out, "Server Recv Data: {text}")?;
            conn.sendall(&data)?;
            writeln!(out, "Server Send Data: {text}")?;
        } else {
            writeln!(out, "Server Recv Over")?;
            break;
        }
    }
    conn.close()
}
