//! The client of document 004 ("Socket 通信", `Socket_client.py`): connect to
//! port 21567, send each line typed, print the server's time-stamped answer;
//! an empty line (or the end of input) quits.
//!
//! The document connects to 10.67.0.134, the author's own server; this
//! example defaults to 127.0.0.1 (where `threaded_server` listens) and takes
//! `--host 10.67.0.134` or any other address.
//!
//! Run: `cargo run --example threaded_server`, then `cargo run --example threaded_client`.

use crate::common;

use std::io::{BufRead, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

const BUFSIZE: usize = 1024;

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    common::run_client(
        "Client of seed document 004 (\"Socket 通信\", Socket_client.py): sends each line typed\n\
         and prints the server's time-stamped answer; an empty line quits.\n\
         (The document's HOST is 10.67.0.134, its author's server.)",
        "21567",
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
    let tcp_socket = Socket::new(AF_INET, SOCK_STREAM)?;
    tcp_socket.connect((host, port))?;
    loop {
        // The end of input quits, as an empty line does.
        let data = common::input("请输入信息:", &mut stdin, &mut out)?.unwrap_or_default();
        if data.is_empty() {
            break;
        }
        tcp_socket.sendall(data.as_bytes())?;
        let data = tcp_socket.recv(BUFSIZE)?;
        if data.is_empty() {
            break;
        }
        let data = String::from_utf8_lossy(&data);
        writeln!(out, "from sever message: {data}")?; // "sever": the document's spelling
    }
    tcp_socket.close()
}
