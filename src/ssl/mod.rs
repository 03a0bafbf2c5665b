//! TLS, as Python's `ssl` module: [`SslContext`] and [`SslSocket`], on
//! rustls (with ring; no OpenSSL).
//!
//! An [`SslSocket`] is used as a [`Socket`](crate::Socket) is: the same
//! calls, `&self` everywhere, the socket's three timeout modes (one deadline
//! per call; `WouldBlock` in non-blocking mode, Python's `SSLWantReadError`
//! and `SSLWantWriteError`), one thread reading while another writes. Behind
//! the cargo feature `ssl`, on by default.
//!
//! ```
//! # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
//! # let pki = Pki::new();
//! # let (ca, server_cert, server_key) = (&pki.ca, &pki.server_cert, &pki.server_key);
//! use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER};
//! use pysocket::{create_connection, create_server};
//!
//! let mut server_ctx = SslContext::new(PROTOCOL_TLS_SERVER);
//! server_ctx.load_cert_chain(server_cert, Some(server_key))?;
//! let listener = create_server(("127.0.0.1", 0))?;
//! let addr = listener.getsockname()?;
//! let server = std::thread::spawn(move || -> pysocket::Result<()> {
//!     let (conn, _) = listener.accept()?;
//!     let tls = server_ctx.wrap_socket(conn, true, None)?;
//!     let data = tls.recv(1024)?;
//!     tls.sendall(&data)?;
//!     tls.close()
//! });
//!
//! let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT); // or create_default_context()
//! ctx.load_verify_locations(ca)?;
//! let tls = ctx.wrap_socket(create_connection(addr, None)?, false, Some("localhost"))?;
//! tls.sendall(b"hello")?;
//! assert_eq!(tls.recv(1024)?, b"hello");
//! assert!(tls.recv(1024)?.is_empty()); // the server closed: close_notify
//! server.join().unwrap()?;
//! # Ok::<(), pysocket::Error>(())
//! ```
//!
//! # From Python to Rust
//!
//! | Python | pysocket |
//! |--------|----------|
//! | `ssl.create_default_context()` | [`create_default_context`]`()?` |
//! | `ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)` | [`SslContext::new`]`(`[`PROTOCOL_TLS_CLIENT`]`)` |
//! | `ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)` | [`SslContext::new`]`(`[`PROTOCOL_TLS_SERVER`]`)` |
//! | `ctx.load_cert_chain('cert.pem', 'key.pem')` | [`SslContext::load_cert_chain`]`("cert.pem", Some(Path::new("key.pem")))` |
//! | `ctx.load_verify_locations('ca.pem')` | [`SslContext::load_verify_locations`]`("ca.pem")` |
//! | `ctx.load_default_certs()` | [`SslContext::load_default_certs`] |
//! | `ctx.check_hostname = False` | [`SslContext::set_check_hostname`]`(false)` |
//! | `ctx.verify_mode = ssl.CERT_NONE` | [`SslContext::set_verify_mode`]`(`[`CERT_NONE`]`)` ([`CERT_OPTIONAL`], [`CERT_REQUIRED`]) |
//! | `ctx.set_alpn_protocols(['h2', 'http/1.1'])` | [`SslContext::set_alpn_protocols`]`(&["h2", "http/1.1"])` |
//! | `ctx.minimum_version = ssl.TLSVersion.TLSv1_3` | [`SslContext::set_minimum_version`]`(`[`TlsVersion::TLSv1_3`]`)`, [`SslContext::set_maximum_version`] |
//! | `s = ctx.wrap_socket(sock, server_hostname='example.com')` | [`SslContext::wrap_socket`]`(sock, false, Some("example.com"))` |
//! | `s = ctx.wrap_socket(conn, server_side=True)` | [`SslContext::wrap_socket`]`(conn, true, None)` |
//! | `s.do_handshake()` | [`SslSocket::do_handshake`] |
//! | `s.recv(1024)`, `s.recv_into(buf)` | [`SslSocket::recv`], [`SslSocket::recv_into`] |
//! | `s.send(data)`, `s.sendall(data)` | [`SslSocket::send`], [`SslSocket::sendall`] |
//! | `s.makefile('rwb')` | [`SslSocket::makefile`] ([`SslFile`]) |
//! | `f = ctx.wrap_socket(socket.create_connection(addr), ..).makefile('rwb')` (the file keeps the socket) | [`SslSocket::into_makefile`] ([`SslFile<'static>`](SslFile), `Send`) |
//! | `s.settimeout(5)`, `s.setblocking(False)` | [`SslSocket::settimeout`]`(Some(Duration::from_secs(5)))`, [`SslSocket::setblocking`]`(false)` |
//! | `s.version()`, `s.cipher()` | [`SslSocket::version`], [`SslSocket::cipher`] |
//! | `s.selected_alpn_protocol()` | [`SslSocket::selected_alpn_protocol`] |
//! | `s.getpeercert(binary_form=True)` | [`SslSocket::getpeercert_der`] |
//! | `s.server_hostname`, `s.server_side`, `s.context` | [`SslSocket::server_hostname`], [`SslSocket::server_side`], [`SslSocket::context`] |
//! | `s.pending()` | [`SslSocket::pending`] |
//! | `plain = s.unwrap()` | [`SslSocket::unwrap`] |
//! | `s.close()` | [`SslSocket::close`] (or drop) |
//! | `except ssl.SSLCertVerificationError` | [`Error::Ssl`](crate::Error::Ssl)`(`[`SslError::CertVerification`]` { .. })` |
//! | `except ssl.SSLZeroReturnError`, `except ssl.SSLEOFError` | [`SslError::ZeroReturn`], [`SslError::Eof`] |
//! | `except ssl.SSLError` | [`Error::Ssl`](crate::Error::Ssl) (any [`SslError`]) |
//! | `except ssl.SSLWantReadError`, `except ssl.SSLWantWriteError` | [`Error::Io`](crate::Error::Io) of kind `WouldBlock` ([`Error::is_would_block`](crate::Error::is_would_block)) |
//!
//! # What differs from Python
//!
//! - rustls speaks TLS 1.2 and 1.3 only, with modern cipher suites, and
//!   verifies certificates with webpki: no TLS 1.0/1.1, no renegotiation, no
//!   CRLs; a certificate must name the host in its subject alternative names.
//! - [`wrap_socket`](SslContext::wrap_socket) takes a connected socket and
//!   always handshakes at once (Python's default
//!   `do_handshake_on_connect=True`); in non-blocking mode it returns with
//!   the handshake under way, where Python refuses.
//! - [`SslSocket::close`] sends `close_notify` when the socket takes it at
//!   once; Python's `close` sends none.
//! - A server whose ALPN protocols the client does not share refuses the
//!   handshake, where OpenSSL goes on without ALPN.
//! - Messages follow OpenSSL's words where rustls reports the same failure;
//!   see [`SslError`].

mod context;
mod error;
mod file;
mod socket;
mod verify;

pub use self::context::SslContext;
pub use self::error::SslError;
pub use self::file::SslFile;
pub use self::socket::SslSocket;

use std::fmt;

use crate::error::Result;

/// Which side of a connection a context is for: Python's
/// `ssl.PROTOCOL_TLS_CLIENT` and `ssl.PROTOCOL_TLS_SERVER`.
///
/// ```
/// use pysocket::ssl::{SslContext, TlsProtocol, PROTOCOL_TLS_CLIENT};
/// assert_eq!(PROTOCOL_TLS_CLIENT, TlsProtocol::Client);
/// assert_eq!(SslContext::new(PROTOCOL_TLS_CLIENT).protocol(), TlsProtocol::Client);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsProtocol {
    /// The client side: connects, and checks the server's certificate.
    #[doc(alias = "PROTOCOL_TLS_CLIENT")]
    Client,
    /// The server side: accepts, and shows its certificate.
    #[doc(alias = "PROTOCOL_TLS_SERVER")]
    Server,
}

/// The client side: Python's `ssl.PROTOCOL_TLS_CLIENT`.
///
/// ```
/// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT};
/// let ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
/// assert!(ctx.check_hostname());
/// ```
pub const PROTOCOL_TLS_CLIENT: TlsProtocol = TlsProtocol::Client;

/// The server side: Python's `ssl.PROTOCOL_TLS_SERVER`.
///
/// ```
/// use pysocket::ssl::{SslContext, PROTOCOL_TLS_SERVER};
/// let ctx = SslContext::new(PROTOCOL_TLS_SERVER);
/// assert!(!ctx.check_hostname());
/// ```
pub const PROTOCOL_TLS_SERVER: TlsProtocol = TlsProtocol::Server;

/// Whether and how the peer's certificate is checked: Python's
/// `ssl.VerifyMode`.
///
/// | mode | a client | a server |
/// |------|----------|----------|
/// | [`CERT_NONE`] | checks nothing (any certificate, any name) | asks for no certificate |
/// | [`CERT_OPTIONAL`] | as `CERT_REQUIRED` (as in Python) | asks for one; checks it if sent |
/// | [`CERT_REQUIRED`] | requires a certificate from a trusted CA | requires one from a trusted CA |
///
/// ```
/// use pysocket::ssl::{VerifyMode, CERT_OPTIONAL};
/// assert_eq!(CERT_OPTIONAL, VerifyMode::CertOptional);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerifyMode {
    /// No certificate is checked: Python's `ssl.CERT_NONE`.
    #[doc(alias = "CERT_NONE")]
    CertNone,
    /// A server checks a client's certificate if it sends one: Python's
    /// `ssl.CERT_OPTIONAL`.
    #[doc(alias = "CERT_OPTIONAL")]
    CertOptional,
    /// The peer must show a certificate from a trusted CA: Python's
    /// `ssl.CERT_REQUIRED`.
    #[doc(alias = "CERT_REQUIRED")]
    CertRequired,
}

/// No certificate is checked: Python's `ssl.CERT_NONE`.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use pysocket::ssl::{SslContext, CERT_NONE, PROTOCOL_TLS_CLIENT};
///
/// let pki = Pki::new();
/// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT); // trusts no CA
/// ctx.set_check_hostname(false);
/// ctx.set_verify_mode(CERT_NONE);
/// let (a, b) = pysocket::socketpair()?;
/// let server_ctx = pki.server_context();
/// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
/// let client = ctx.wrap_socket(a, false, None)?; // connects all the same
/// assert_eq!(client.getpeercert_der(), Some(pki.server_der.clone()));
/// # server.join().unwrap()?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const CERT_NONE: VerifyMode = VerifyMode::CertNone;

/// A server asks for a client certificate and checks it if sent: Python's
/// `ssl.CERT_OPTIONAL` (on a client, the same as [`CERT_REQUIRED`]).
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use pysocket::ssl::CERT_OPTIONAL;
///
/// let pki = Pki::new();
/// let mut server_ctx = pki.server_context();
/// server_ctx.load_verify_locations(&pki.ca)?;
/// server_ctx.set_verify_mode(CERT_OPTIONAL);
/// let (a, b) = pysocket::socketpair()?;
/// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
/// let _client = pki.client_context().wrap_socket(a, false, Some("localhost"))?;
/// // The client had no certificate to send: welcome all the same.
/// assert_eq!(server.join().unwrap()?.getpeercert_der(), None);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const CERT_OPTIONAL: VerifyMode = VerifyMode::CertOptional;

/// The peer must show a certificate from a trusted CA: Python's
/// `ssl.CERT_REQUIRED`, a client context's default.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use pysocket::ssl::CERT_REQUIRED;
///
/// let pki = Pki::new();
/// let mut server_ctx = pki.server_context();
/// server_ctx.load_verify_locations(&pki.ca)?;
/// server_ctx.set_verify_mode(CERT_REQUIRED);
/// let mut client_ctx = pki.client_context();
/// client_ctx.load_cert_chain(&pki.client_cert, Some(&pki.client_key))?;
/// let (a, b) = pysocket::socketpair()?;
/// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
/// let _client = client_ctx.wrap_socket(a, false, Some("localhost"))?;
/// assert_eq!(server.join().unwrap()?.getpeercert_der(), Some(pki.client_der.clone()));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const CERT_REQUIRED: VerifyMode = VerifyMode::CertRequired;

/// A TLS version, for [`SslContext::set_minimum_version`] and
/// [`SslContext::set_maximum_version`]: Python's `ssl.TLSVersion`. Ordered
/// oldest first; displays as Python names it (`TLSv1.3`).
///
/// ```
/// use pysocket::ssl::TlsVersion;
/// assert!(TlsVersion::TLSv1_2 < TlsVersion::TLSv1_3);
/// assert_eq!(TlsVersion::TLSv1_3.to_string(), "TLSv1.3");
/// ```
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246): Python's `ssl.TLSVersion.TLSv1_2`.
    TLSv1_2,
    /// TLS 1.3 (RFC 8446): Python's `ssl.TLSVersion.TLSv1_3`.
    TLSv1_3,
}

impl fmt::Display for TlsVersion {
    /// Python's name: `TLSv1.2`, `TLSv1.3`, as [`SslSocket::version`] returns it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::TLSv1_2 => "TLSv1.2",
            TlsVersion::TLSv1_3 => "TLSv1.3",
        })
    }
}

/// A client context that trusts the system's CAs, requires a certificate
/// and checks the host name: Python's `ssl.create_default_context()`.
///
/// # Errors
///
/// What [`SslContext::load_default_certs`] reports: a system without a
/// single CA certificate it can load.
///
/// ```
/// use pysocket::ssl::{create_default_context, CERT_REQUIRED};
///
/// match create_default_context() {
///     Ok(ctx) => {
///         assert_eq!(ctx.verify_mode(), CERT_REQUIRED);
///         assert!(ctx.check_hostname());
///     }
///     Err(err) => println!("no CA store on this system: {err}"),
/// }
/// ```
pub fn create_default_context() -> Result<SslContext> {
    let mut ctx = SslContext::new(TlsProtocol::Client);
    ctx.load_default_certs()?;
    Ok(ctx)
}
