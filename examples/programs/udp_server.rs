//! The UDP server of document 001 ("python socket编程"): bind a datagram
//! socket, then for ever `recvfrom(1024)` a datagram and `sendto` the same
//! data back to the address it came from.
//!
//! The document's code blocks are lost; this follows its prose (UDP: `recvfrom`
//! returns `(data, address)`, `sendto` takes the address). The default address
//! 127.0.0.1:8888 and the printed lines are this example's own.
//!
//! Run: `cargo run --example udp_server`, then `cargo run --example udp_client`.

use crate::common;

use std::io::{self, Write};

use pysocket::{Socket, AF_INET, SOCK_DGRAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "UDP server of seed document 001 (\"python socket编程\", code rebuilt from its prose):\n\
         answers each datagram to its sender with the data it received.",
        &[
            ("host", "127.0.0.1", "address to bind"),
            ("port", "8888", "port to bind"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let s = Socket::new(AF_INET, SOCK_DGRAM)?; // 创建UDP Socket
    s.bind((host.as_str(), port))?; // 没有 listen、accept: UDP 没有"连接"
    println!("UDP server bound to {}", common::repr(&s.getsockname()?));
    loop {
        answer(&s, io::stdout())?;
    }
}

/// One datagram: receive it with its sender's address, print it, send it back.
pub fn answer(s: &Socket, mut out: impl Write) -> pysocket::Result<()> {
    let (data, addr) = s.recvfrom(1024)?;
    writeln!(
        out,
        "Received from {}: {}",
        common::repr(&addr),
        String::from_utf8_lossy(&data)
    )?;
    s.sendto(&data, &addr)?;
    Ok(())
}
