//! The echo client of document 002 ("TCP/UDP/SOCKET in Python", `client.py`):
//! connect to localhost:5000, send `Hello`, and read the echo in `recv(10)`
//! steps until as many bytes came back as were sent.
//!
//! Run: `cargo run --example echo_server`, then `cargo run --example echo_client`.

use crate::common;

use std::io::{self, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Echo client of seed document 002 (\"TCP/UDP/SOCKET in Python\", client.py): sends a\n\
         message and reads the echo 10 bytes at a time until all of it is back.",
        &[
            ("host", "localhost", "server address"),
            ("port", "5000", "server port"),
            ("message", "Hello", "what to send"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");
    let message: String = args.get("message");
    run(&host, port, &message, io::stdout())?;
    Ok(())
}

/// The document's program, printing to `out`.
pub fn run(host: &str, port: u16, message: &str, mut out: impl Write) -> pysocket::Result<()> {
    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建客户端套接字
    sock.connect((host, port))?; // 连接到服务器
    if let Err(e) = exchange(&sock, message, &mut out) {
        writeln!(out, "Socket error: {e}")?; // except socket.error
    }
    writeln!(out, "Closing connection to the server")?; // finally
    sock.close()
}

/// The `try` block: send the message, then read until the whole echo is back.
fn exchange(sock: &Socket, message: &str, out: &mut impl Write) -> pysocket::Result<()> {
    sock.sendall(message.as_bytes())?; // 发起数据给服务器
    let mut amount_received = 0;
    let amount_expected = message.len();
    while amount_received < amount_expected {
        let data = sock.recv(10)?; // 接收服务器返回的数据
        if data.is_empty() {
            let early = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            );
            return Err(early.into());
        }
        amount_received += data.len();
        writeln!(out, "Client Received: {}", String::from_utf8_lossy(&data))?;
    }
    Ok(())
}
