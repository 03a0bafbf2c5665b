//! The echo client of document 002 ("TCP/UDP/SOCKET in Python", `client.py`)
//! over TLS: connect to localhost:5443, check the server's certificate
//! against the CA in `--cafile` (by default the file `tls_echo_server`
//! writes), send `Hello`, and read the echo in `recv(10)` steps until as many
//! bytes came back as were sent.
//!
//! In Python (`tests/python/tls_echo_client.py`):
//!
//! ```python
//! context = ssl.create_default_context(cafile='ca.pem')
//! sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//! sock.connect(('localhost', 5443))
//! try:
//!     sock = context.wrap_socket(sock, server_hostname='localhost')  # the handshake
//!     ...  # document 002's exchange on sock
//! except socket.error as e:  # ssl.SSLError is an OSError too
//!     print('Socket error: {}'.format(e))
//! finally:
//!     print('Closing connection to the server')
//!     sock.close()
//! ```
//!
//! Run: `cargo run --example tls_echo_server`, then `cargo run --example tls_echo_client`.

use crate::common;
use crate::programs::tls_echo_server::default_ca_path;

use std::io::{self, Write};
use std::path::Path;

use pysocket::ssl::{create_default_context, SslContext, SslSocket, PROTOCOL_TLS_CLIENT};
use pysocket::{Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let default_ca = default_ca_path();
    let default_ca = default_ca.to_string_lossy();
    let args = common::Args::parse(
        "Echo client of seed document 002 (\"TCP/UDP/SOCKET in Python\", client.py) over\n\
         TLS: checks the server's certificate against --cafile, sends a message and reads\n\
         the echo 10 bytes at a time until all of it is back.",
        &[
            (
                "host",
                "localhost",
                "server address, and the name its certificate must show",
            ),
            ("port", "5443", "server port"),
            (
                "cafile",
                &default_ca,
                "PEM file of the CAs to trust (empty: the system's, as create_default_context())",
            ),
            ("message", "Hello", "what to send"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");
    let message: String = args.get("message");
    let context = client_context(args.text("cafile"))?;
    run(&context, &host, port, &message, io::stdout())?;
    Ok(())
}

/// Python's `ssl.create_default_context(cafile=cafile)`: a client context
/// that requires a certificate from a CA in `cafile` (from the system's
/// store if `cafile` is empty) naming the host it connects to.
pub fn client_context(cafile: &str) -> Result<SslContext, common::Failure> {
    if cafile.is_empty() {
        return Ok(create_default_context()?);
    }
    let mut context = SslContext::new(PROTOCOL_TLS_CLIENT);
    context.load_verify_locations(cafile).map_err(|e| {
        let hint = if Path::new(cafile) == default_ca_path() {
            " (start tls_echo_server first: it writes it)"
        } else {
            ""
        };
        format!("cannot load --cafile {cafile}{hint}: {e}")
    })?;
    Ok(context)
}

/// The document's program over TLS, printing to `out`.
pub fn run(
    context: &SslContext,
    host: &str,
    port: u16,
    message: &str,
    mut out: impl Write,
) -> pysocket::Result<()> {
    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建客户端套接字
    sock.connect((host, port))?; // 连接到服务器
                                 // The try block: the handshake (the certificate checked), then the exchange.
    let tls = match context.wrap_socket(sock, false, Some(host)) {
        Ok(tls) => Some(tls),
        Err(e) => {
            writeln!(out, "Socket error: {e}")?; // except socket.error
            None // the failed handshake closed the socket
        }
    };
    if let Some(tls) = &tls {
        if let Err(e) = exchange(tls, message, &mut out) {
            writeln!(out, "Socket error: {e}")?;
        }
    }
    writeln!(out, "Closing connection to the server")?; // finally
    match tls {
        Some(tls) => tls.close(), // close_notify, then the socket closes
        None => Ok(()),
    }
}

/// Send the message, then read until the whole echo is back.
fn exchange(sock: &SslSocket, message: &str, out: &mut impl Write) -> pysocket::Result<()> {
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
