//! The echo server of document 002 ("TCP/UDP/SOCKET in Python", `server.py`)
//! rewritten on `pysocket::server`, as Python would with `socketserver`:
//! the server owns the accept loop, and a request handler serves each
//! connection, sending back every chunk of up to 2048 bytes it receives until
//! the client closes. It prints the document's lines.
//!
//! Unlike the document's server, each connection gets a thread of its own
//! (`ThreadingTcpServer`), so a client that keeps its connection open does
//! not hold up the others.
//!
//! Run: `cargo run --example socketserver_echo`, then `cargo run --example echo_client`.

use crate::common;

use std::io::{self, Write};

use pysocket::server::{
    HandlerResult, RequestHandler, StreamRequest, ThreadingTcpServer, DEFAULT_POLL_INTERVAL,
};

const BUFFER_SIZE: usize = 2048; // 读取数据大小

/// Python's `class EchoHandler(socketserver.BaseRequestHandler)`, printing
/// to `out`.
pub struct EchoHandler<W> {
    pub out: W,
}

impl<W: Write> RequestHandler for EchoHandler<W> {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let conn = request.connection;
        loop {
            let data = conn.recv(BUFFER_SIZE)?; // 读取数据,数据还没到来阻塞
            if data.is_empty() {
                writeln!(self.out, "Server Recv Over")?;
                return Ok(()); // the server shuts the connection down and closes it
            }
            let text = String::from_utf8_lossy(&data);
            writeln!(self.out, "Server Recv Data: {text}")?;
            conn.sendall(&data)?;
            writeln!(self.out, "Server Send Data: {text}")?;
        }
    }
}

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Echo server of seed document 002 (\"TCP/UDP/SOCKET in Python\", server.py) on\n\
         pysocket::server: a thread per connection sends back whatever its client sends.",
        &[
            ("host", "localhost", "服务器主机地址 (address to bind)"),
            ("port", "5000", "服务器监听端口 (port to listen on)"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    // 创建一个套接字, 绑定主机和端口, 开启socket监听: all in the constructor.
    let server =
        ThreadingTcpServer::new((host.as_str(), port), || EchoHandler { out: io::stdout() })?;
    let port = server.server_address().port().unwrap_or(port);
    println!("Server start, listening {port}");
    server.serve_forever(DEFAULT_POLL_INTERVAL)?;
    Ok(())
}
