//! The UDP client of document 001 ("python socket编程"): `sendto` each line
//! typed to 127.0.0.1:8888, `recvfrom(1024)` the reply and print it; an empty
//! line (or the end of input) quits.
//!
//! The document's code blocks are lost; this follows its prose. The default
//! address, the prompt (borrowed from document 000's client) and the printed
//! lines are this example's own.
//!
//! Run: `cargo run --example udp_server`, then `cargo run --example udp_client`.

use crate::common;

use std::io::{BufRead, Write};

use pysocket::{Socket, AF_INET, SOCK_DGRAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    common::run_client(
        "UDP client of seed document 001 (\"python socket编程\", code rebuilt from its prose):\n\
         sends each line typed as one datagram and prints the reply; an empty line quits.",
        "8888",
        run,
    )
}

/// The program, reading the keyboard from `stdin` and printing to `out`.
pub fn run(
    host: &str,
    port: u16,
    mut stdin: impl BufRead,
    mut out: impl Write,
) -> pysocket::Result<()> {
    let s = Socket::new(AF_INET, SOCK_DGRAM)?; // 创建UDP Socket: 不用 connect
    loop {
        // The end of input quits, as an empty line does.
        let data = common::input("Please input data:", &mut stdin, &mut out)?.unwrap_or_default();
        if data.is_empty() {
            break;
        }
        s.sendto(data.as_bytes(), (host, port))?;
        let (reply, addr) = s.recvfrom(1024)?;
        writeln!(
            out,
            "Received from {}: {}",
            common::repr(&addr),
            String::from_utf8_lossy(&reply)
        )?;
    }
    s.close()
}
