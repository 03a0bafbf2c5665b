//! The threaded server of document 004 ("Socket 通信", `Socket_server.py`):
//! listen on port 21567 of every interface, start one thread per connection,
//! and answer each message with `[<ctime>] <message>`.
//!
//! Run: `cargo run --example threaded_server`, then (as many as you like at
//! once) `cargo run --example threaded_client`.

use crate::common;

use std::io::{self, Write};
use std::thread;

use pysocket::{Address, Socket, AF_INET, SOCK_STREAM};

const BUFSIZE: usize = 1024;

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Threaded server of seed document 004 (\"Socket 通信\", Socket_server.py): one thread\n\
         per client; answers each message with \"[<ctime>] <message>\".",
        &[
            ("host", "", "address to bind (\"\": every interface)"),
            ("port", "21567", "port to bind"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let tcp_socket = Socket::new(AF_INET, SOCK_STREAM)?;
    tcp_socket.bind((host.as_str(), port))?;
    tcp_socket.listen(5)?;
    loop {
        println!("waiting for connection...");
        let (conn_sock, addr) = tcp_socket.accept()?;
        println!("{conn_sock} {}", common::repr(&addr)); // the socket's repr, then the address
        thread::spawn(move || {
            if let Err(e) = msg_handler(conn_sock, addr, io::stdout()) {
                eprintln!("Exception in the handler thread: {e}");
            }
        });
    }
}

/// 对消息进行处理: answer each message with its time stamp until the client closes.
pub fn msg_handler(
    conn_socket: Socket,
    addr: Address,
    mut out: impl Write,
) -> pysocket::Result<()> {
    writeln!(out, "connected from : {}", common::repr(&addr))?;
    loop {
        let data = conn_socket.recv(BUFSIZE)?;
        if data.is_empty() {
            break;
        }
        let stamp = format!("[{}] ", common::ctime());
        conn_socket.sendall(&[stamp.as_bytes(), &data].concat())?;
    }
    conn_socket.close()?;
    writeln!(out, "{} ---closed", common::repr(&addr))?;
    Ok(())
}
