//! The echo server of document 002 ("TCP/UDP/SOCKET in Python", `server.py`)
//! over TLS: listen on localhost:5443, and for each connection make the TLS
//! handshake, then send back every chunk of up to 2048 bytes it receives,
//! until the client closes. It prints the document's lines.
//!
//! Certificates: by default the server makes its own at start (with rcgen):
//! a CA, and a certificate for `localhost`, `127.0.0.1` and `::1` signed by
//! it. Only the CA's certificate is written, to the file `--ca-out` names
//! (by default `pysocket-tls-echo-ca.pem` in the temporary directory, where
//! `tls_echo_client` looks for it); the keys stay in memory. With `--cert`
//! (and `--key`, unless the key follows the certificate in the same file)
//! it serves those PEM files instead.
//!
//! In Python (`tests/python/tls_echo_server.py`; Python's standard library
//! cannot make certificates, so it takes PEM files):
//!
//! ```python
//! context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
//! context.load_cert_chain('server.pem', 'server.key')
//! sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//! sock.bind(('localhost', 5443))
//! sock.listen(5)
//! while True:
//!     conn, addr = sock.accept()
//!     conn = context.wrap_socket(conn, server_side=True)  # the handshake
//!     ...  # document 002's echo loop on conn
//! ```
//!
//! Run: `cargo run --example tls_echo_server`, then `cargo run --example tls_echo_client`.

use crate::common;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use pysocket::ssl::{SslContext, SslSocket, PROTOCOL_TLS_SERVER};
use pysocket::{Socket, AF_INET, SOCK_STREAM};

const BUFFER_SIZE: usize = 2048; // 读取数据大小

/// Where the server writes the CA it makes, and where the client looks for
/// it, unless told otherwise: `pysocket-tls-echo-ca.pem` in the temporary
/// directory.
pub fn default_ca_path() -> PathBuf {
    std::env::temp_dir().join("pysocket-tls-echo-ca.pem")
}

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let default_ca = default_ca_path();
    let default_ca = default_ca.to_string_lossy();
    let args = common::Args::parse(
        "Echo server of seed document 002 (\"TCP/UDP/SOCKET in Python\", server.py) over\n\
         TLS: makes the handshake, then sends back whatever each client sends, in chunks of\n\
         up to 2048 bytes. Without --cert it makes a CA and a certificate for localhost,\n\
         127.0.0.1 and ::1, and writes the CA to --ca-out for tls_echo_client --cafile.",
        &[
            ("host", "localhost", "服务器主机地址 (address to bind)"),
            ("port", "5443", "服务器监听端口 (port to listen on)"),
            (
                "cert",
                "",
                "PEM certificate chain to serve (empty: make a CA and a certificate)",
            ),
            (
                "key",
                "",
                "PEM private key of --cert (empty: the key follows the certificate in --cert)",
            ),
            (
                "ca-out",
                "",
                &format!("where to write the CA made without --cert (empty: {default_ca})"),
            ),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");
    let (cert, key, ca_out) = (args.text("cert"), args.text("key"), args.text("ca-out"));

    let context = if cert.is_empty() {
        if !key.is_empty() {
            common::fail("--key needs --cert (the certificate the key belongs to)");
        }
        let ca_out = if ca_out.is_empty() {
            default_ca_path()
        } else {
            PathBuf::from(ca_out)
        };
        generated_context(&ca_out, io::stdout())?
    } else {
        if !ca_out.is_empty() {
            common::fail(
                "--ca-out is for the CA made without --cert; with --cert, clients need \
                 the CA that signed it",
            );
        }
        let key = (!key.is_empty()).then(|| Path::new(key));
        let mut context = SslContext::new(PROTOCOL_TLS_SERVER);
        context
            .load_cert_chain(cert, key)
            .map_err(|e| format!("cannot load --cert {cert}: {e}"))?;
        context
    };

    let sock = Socket::new(AF_INET, SOCK_STREAM)?; // 创建一个套接字
    sock.bind((host.as_str(), port))?; // 绑定主机和端口
    sock.listen(5)?; // 开启socket监听
    println!("Server start, listening {port}");

    loop {
        let (conn, _addr) = sock.accept()?; // 建立连接,连接为建立的时候阻塞
        if let Err(e) = serve(&context, conn, io::stdout()) {
            eprintln!("Connection error: {e}"); // one client's failure does not stop the server
        }
    }
}

/// A server context with a certificate made now: a CA, and a certificate
/// for `localhost`, `127.0.0.1` and `::1` that it signs. The CA's
/// certificate is written to `ca_out` (PEM), for clients to trust; the keys
/// never reach the disk but for a moment, in a private temporary directory.
pub fn generated_context(
    ca_out: &Path,
    mut out: impl Write,
) -> Result<SslContext, common::Failure> {
    let (ca_pem, server_pem) = make_certificates()?;
    std::fs::write(ca_out, ca_pem)
        .map_err(|e| format!("cannot write the CA to {}: {e}", ca_out.display()))?;
    // load_cert_chain reads files, as Python's does: the certificate and its
    // key in one file, removed as soon as they are loaded.
    let dir = tempfile::Builder::new()
        .prefix("pysocket-tls-echo")
        .tempdir()?;
    let combined = dir.path().join("server.pem");
    std::fs::write(&combined, server_pem)?;
    let mut context = SslContext::new(PROTOCOL_TLS_SERVER);
    context.load_cert_chain(&combined, None)?;
    drop(dir);
    writeln!(
        out,
        "Certificate for localhost, 127.0.0.1 and ::1 made; its CA is in {}",
        ca_out.display()
    )?;
    Ok(context)
}

/// A CA's certificate, and a server certificate it signed followed by the
/// server's private key: all PEM.
fn make_certificates() -> Result<(String, String), rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "pysocket tls_echo_server CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate()?;
    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let mut server = CertificateParams::new(names)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    let cert = server.signed_by(&key, &issuer)?;
    Ok((ca_pem, cert.pem() + &key.serialize_pem()))
}

/// One connection: the TLS handshake (Python's `context.wrap_socket(conn,
/// server_side=True)`), then the document's echo.
pub fn serve(context: &SslContext, conn: Socket, out: impl Write) -> pysocket::Result<()> {
    let conn = context.wrap_socket(conn, true, None)?;
    echo(conn, out)
}

/// Echo each chunk until the client closes (`recv` returns nothing: its
/// `close_notify`, or the end of the TCP stream).
pub fn echo(conn: SslSocket, mut out: impl Write) -> pysocket::Result<()> {
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
