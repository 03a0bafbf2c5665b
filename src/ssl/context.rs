//! [`SslContext`]: Python's `ssl.SSLContext`, the settings, CAs and
//! certificate that every connection it wraps shares.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{
    ClientConfig, InconsistentKeys, RootCertStore, ServerConfig, SupportedProtocolVersion,
};

use super::socket::SslSocket;
use super::verify::{client_verifier, ServerVerifier};
use super::{SslError, TlsProtocol, TlsVersion, VerifyMode};
use crate::address::Address;
use crate::constants::SockType;
use crate::error::{Error, Result};
use crate::socket::Socket;

/// The crypto provider of every configuration: ring, named explicitly, so
/// that another provider enabled in rustls by some other crate of the build
/// can never make rustls panic over which one to use.
fn provider() -> &'static Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    // Deprecated in favour of aws-lc-rs, which needs cmake or nasm to build;
    // ring builds with cargo and a C compiler alone.
    #[allow(deprecated)]
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// Python's `ssl.SSLContext`: how connections are made and checked, and
/// the certificates they use. [`wrap_socket`](SslContext::wrap_socket)
/// turns a connected [`Socket`] into an [`SslSocket`].
///
/// A client context ([`PROTOCOL_TLS_CLIENT`](super::PROTOCOL_TLS_CLIENT))
/// starts as Python's does: it requires a certificate from the server
/// ([`CERT_REQUIRED`](super::CERT_REQUIRED)) and checks that it names the
/// host asked for (`check_hostname`), and trusts no CA until
/// [`load_verify_locations`](SslContext::load_verify_locations) or
/// [`load_default_certs`](SslContext::load_default_certs) gives it some
/// ([`create_default_context`](super::create_default_context) does the
/// latter). A server context ([`PROTOCOL_TLS_SERVER`](super::PROTOCOL_TLS_SERVER))
/// needs its certificate from [`load_cert_chain`](SslContext::load_cert_chain)
/// and asks for none from clients ([`CERT_NONE`](super::CERT_NONE)).
///
/// A context is cheap to clone and `Send + Sync`: share one between
/// threads, as a Python program shares one context among its connections.
/// The rustls configuration it builds on its first `wrap_socket` is kept
/// (and with it the cache of TLS sessions to resume) until a setting
/// changes.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// # let pki = Pki::new();
/// # let (ca, server_cert, server_key) = (&pki.ca, &pki.server_cert, &pki.server_key);
/// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER};
///
/// // context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
/// // context.load_cert_chain('server.pem', 'server.key')
/// let mut server_ctx = SslContext::new(PROTOCOL_TLS_SERVER);
/// server_ctx.load_cert_chain(server_cert, Some(server_key))?;
///
/// // context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
/// // context.load_verify_locations('ca.pem')
/// let mut client_ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
/// client_ctx.load_verify_locations(ca)?;
///
/// let listener = pysocket::create_server(("127.0.0.1", 0))?;
/// let addr = listener.getsockname()?;
/// let server = std::thread::spawn(move || -> pysocket::Result<Vec<u8>> {
///     let (conn, _) = listener.accept()?;
///     let tls = server_ctx.wrap_socket(conn, true, None)?;
///     let data = tls.recv(1024)?;
///     tls.sendall(&data.to_ascii_uppercase())?;
///     Ok(data)
/// });
///
/// let sock = pysocket::create_connection(addr, None)?;
/// let tls = client_ctx.wrap_socket(sock, false, Some("localhost"))?;
/// assert_eq!(tls.version().as_deref(), Some("TLSv1.3"));
/// tls.sendall(b"hello")?;
/// assert_eq!(tls.recv(1024)?, b"HELLO");
/// assert_eq!(server.join().unwrap()?, b"hello");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone)]
#[doc(alias = "SSLContext")]
pub struct SslContext {
    protocol: TlsProtocol,
    verify_mode: VerifyMode,
    check_hostname: bool,
    roots: Arc<RootCertStore>,
    certified: Option<Arc<CertifiedKey>>,
    alpn: Vec<Vec<u8>>,
    minimum: TlsVersion,
    maximum: TlsVersion,
    /// The rustls configuration, built on first use and dropped by every
    /// change of a setting.
    config: OnceLock<Config>,
}

/// A built rustls configuration, for the side the context is for.
#[derive(Clone)]
enum Config {
    Client(Arc<ClientConfig>),
    Server(Arc<ServerConfig>),
}

impl SslContext {
    /// A context for the client or the server side: Python's
    /// `ssl.SSLContext(protocol)`.
    ///
    /// A client context requires a valid certificate from the server and
    /// checks its name ([`CERT_REQUIRED`](super::CERT_REQUIRED),
    /// `check_hostname`), trusting no CA yet; a server context asks for no
    /// client certificate ([`CERT_NONE`](super::CERT_NONE)) and has no
    /// certificate of its own yet. Both accept TLS 1.2 and TLS 1.3.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, CERT_NONE, CERT_REQUIRED, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER};
    ///
    /// let client = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// assert_eq!(client.verify_mode(), CERT_REQUIRED);
    /// assert!(client.check_hostname());
    /// let server = SslContext::new(PROTOCOL_TLS_SERVER);
    /// assert_eq!(server.verify_mode(), CERT_NONE);
    /// assert!(!server.check_hostname());
    /// ```
    pub fn new(protocol: TlsProtocol) -> SslContext {
        let client = protocol == TlsProtocol::Client;
        SslContext {
            protocol,
            verify_mode: if client {
                VerifyMode::CertRequired
            } else {
                VerifyMode::CertNone
            },
            check_hostname: client,
            roots: Arc::new(RootCertStore::empty()),
            certified: None,
            alpn: Vec::new(),
            minimum: TlsVersion::TLSv1_2,
            maximum: TlsVersion::TLSv1_3,
            config: OnceLock::new(),
        }
    }

    /// The side this context is for: Python's `context.protocol`.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_SERVER};
    /// assert_eq!(SslContext::new(PROTOCOL_TLS_SERVER).protocol(), PROTOCOL_TLS_SERVER);
    /// ```
    pub fn protocol(&self) -> TlsProtocol {
        self.protocol
    }

    /// Loads this side's certificate chain and its private key from PEM
    /// files: Python's `context.load_cert_chain(certfile, keyfile)`.
    ///
    /// `certfile` holds the certificate first, then any intermediate CA
    /// certificates; `keyfile` the private key (PKCS#8, PKCS#1 RSA or SEC1
    /// EC; not encrypted), or `None` when it follows the certificates in
    /// `certfile`. A server needs this; a client sends the certificate to
    /// servers that ask for one.
    ///
    /// # Errors
    ///
    /// A file that cannot be read is [`Error::Io`] with its errno (Python's
    /// `FileNotFoundError`, `PermissionError`). A file without a certificate
    /// or a key, malformed PEM, a key rustls cannot use, or a key that is not
    /// the certificate's are [`SslError::Protocol`], naming the file:
    /// `[X509: KEY_VALUES_MISMATCH] key values mismatch: ...`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// # let pki = Pki::new();
    /// # let (server_cert, server_key, client_key) = (&pki.server_cert, &pki.server_key, &pki.client_key);
    /// use pysocket::ssl::{SslContext, SslError, PROTOCOL_TLS_SERVER};
    /// use pysocket::Error;
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_SERVER);
    /// ctx.load_cert_chain(server_cert, Some(server_key))?;
    ///
    /// let err = ctx.load_cert_chain(server_cert, Some(client_key)).unwrap_err();
    /// assert!(matches!(&err, Error::Ssl(SslError::Protocol(m)) if m.contains("KEY_VALUES_MISMATCH")));
    /// let err = ctx.load_cert_chain("/no/such/cert.pem", None).unwrap_err();
    /// assert_eq!(err.errno(), Some(libc::ENOENT));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn load_cert_chain(
        &mut self,
        certfile: impl AsRef<Path>,
        keyfile: Option<&Path>,
    ) -> Result<()> {
        let certfile = certfile.as_ref();
        let cert_pem = std::fs::read(certfile)?;
        let chain = read_certificates(&cert_pem, certfile)?;
        let key_pem;
        let (key_bytes, key_path) = match keyfile {
            Some(path) => {
                key_pem = std::fs::read(path)?;
                (&key_pem, path)
            }
            None => (&cert_pem, certfile),
        };
        let key = PrivateKeyDer::from_pem_slice(key_bytes).map_err(|err| {
            let encrypted = memchr::memmem::find(key_bytes, b"ENCRYPTED PRIVATE KEY").is_some();
            match err {
                rustls::pki_types::pem::Error::NoItemsFound if encrypted => pem_error(
                    key_path,
                    "the private key is encrypted, which is not supported".into(),
                ),
                rustls::pki_types::pem::Error::NoItemsFound => {
                    pem_error(key_path, "no private key found".into())
                }
                other => pem_error(key_path, other.to_string()),
            }
        })?;
        let key = provider()
            .key_provider
            .load_private_key(key)
            .map_err(|err| {
                ssl_error(format!(
                    "[SSL] unsupported private key in {}: {err}",
                    key_path.display()
                ))
            })?;
        let certified = CertifiedKey::new(chain, key);
        match certified.keys_match() {
            Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
            Err(_) => {
                return Err(ssl_error(format!(
                    "[X509: KEY_VALUES_MISMATCH] key values mismatch: the key in {} is not \
                     the key of the certificate in {}",
                    key_path.display(),
                    certfile.display()
                )))
            }
        }
        self.certified = Some(Arc::new(certified));
        self.changed();
        Ok(())
    }

    /// Trusts the CA certificates of a PEM file: Python's
    /// `context.load_verify_locations(cafile)`. A client checks servers
    /// against them; a server that asks for client certificates checks
    /// those. Calls add up.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] for a file that cannot be read; [`SslError::Protocol`]
    /// for a file that holds no certificate (`[X509:
    /// NO_CERTIFICATE_OR_CRL_FOUND] ...`), malformed PEM, or a certificate
    /// that cannot serve as a CA.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// # let pki = Pki::new();
    /// # let ca = &pki.ca;
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT};
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// ctx.load_verify_locations(ca)?;
    /// let not_pem = pki.file("notes.txt", b"no certificate here\n");
    /// let err = ctx.load_verify_locations(&not_pem).unwrap_err();
    /// assert!(err.to_string().contains("NO_CERTIFICATE_OR_CRL_FOUND"), "{err}");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn load_verify_locations(&mut self, cafile: impl AsRef<Path>) -> Result<()> {
        let cafile = cafile.as_ref();
        let pem = std::fs::read(cafile)?;
        let certs = read_certificates(&pem, cafile).map_err(|err| match err {
            Error::Ssl(SslError::Protocol(m)) if m.ends_with(NO_CERTIFICATE) => ssl_error(format!(
                "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found in {}",
                cafile.display()
            )),
            other => other,
        })?;
        let mut roots = (*self.roots).clone();
        for (i, cert) in certs.into_iter().enumerate() {
            roots.add(cert).map_err(|err| {
                ssl_error(format!(
                    "[X509] certificate {} of {} cannot be a CA: {err}",
                    i + 1,
                    cafile.display()
                ))
            })?;
        }
        self.roots = Arc::new(roots);
        self.changed();
        Ok(())
    }

    /// Trusts the system's CA certificates: Python's
    /// `context.load_default_certs()`.
    ///
    /// They are found as OpenSSL finds them (the `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` environment variables, else the system's bundle and
    /// directory), through `rustls-native-certs`. Certificates that cannot be
    /// read or used are skipped; the call fails only when not one loads, with
    /// an [`SslError::Protocol`] that says what went wrong.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT};
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// match ctx.load_default_certs() {
    ///     Ok(()) => println!("the system's CAs are trusted"),
    ///     Err(err) => println!("this system has no CA store: {err}"),
    /// }
    /// ```
    pub fn load_default_certs(&mut self) -> Result<()> {
        let found = rustls_native_certs::load_native_certs();
        let mut roots = (*self.roots).clone();
        let (added, _unusable) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let why: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            let why = if why.is_empty() {
                "none found".to_string()
            } else {
                why.join("; ")
            };
            return Err(ssl_error(format!(
                "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no CA certificate could be loaded from \
                 the system's store: {why}"
            )));
        }
        self.roots = Arc::new(roots);
        self.changed();
        Ok(())
    }

    /// Whether a client checks that the server's certificate names the host
    /// given as `server_hostname`: Python's `context.check_hostname`. On by
    /// default for a client context.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT};
    /// assert!(SslContext::new(PROTOCOL_TLS_CLIENT).check_hostname());
    /// ```
    pub fn check_hostname(&self) -> bool {
        self.check_hostname
    }

    /// Turns the hostname check on or off: Python's `context.check_hostname
    /// = on`. As in Python, turning it on in [`CERT_NONE`](super::CERT_NONE)
    /// mode moves the context to [`CERT_REQUIRED`](super::CERT_REQUIRED).
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, CERT_NONE, CERT_REQUIRED, PROTOCOL_TLS_CLIENT};
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// // The order Python requires to turn verification off.
    /// ctx.set_check_hostname(false);
    /// ctx.set_verify_mode(CERT_NONE);
    /// ctx.set_check_hostname(true);
    /// assert_eq!(ctx.verify_mode(), CERT_REQUIRED);
    /// ```
    pub fn set_check_hostname(&mut self, on: bool) {
        self.check_hostname = on;
        if on && self.verify_mode == VerifyMode::CertNone {
            self.verify_mode = VerifyMode::CertRequired;
        }
        self.changed();
    }

    /// Whether and how the peer's certificate is checked: Python's
    /// `context.verify_mode`.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, CERT_REQUIRED, PROTOCOL_TLS_CLIENT};
    /// assert_eq!(SslContext::new(PROTOCOL_TLS_CLIENT).verify_mode(), CERT_REQUIRED);
    /// ```
    pub fn verify_mode(&self) -> VerifyMode {
        self.verify_mode
    }

    /// Sets how the peer's certificate is checked: Python's
    /// `context.verify_mode = mode` (see [`VerifyMode`]).
    ///
    /// Python refuses [`CERT_NONE`](super::CERT_NONE) while `check_hostname`
    /// is on, with a `ValueError`; here the setting is taken, and
    /// [`wrap_socket`](SslContext::wrap_socket) on a client refuses it with
    /// [`Error::InvalidArgument`] and Python's message, unless
    /// `set_check_hostname(false)` came in between.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, CERT_NONE, PROTOCOL_TLS_CLIENT};
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// ctx.set_verify_mode(CERT_NONE);
    /// let (a, _b) = pysocket::socketpair()?;
    /// let err = ctx.wrap_socket(a, false, Some("localhost")).unwrap_err();
    /// assert_eq!(err.to_string(), "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn set_verify_mode(&mut self, mode: VerifyMode) {
        self.verify_mode = mode;
        self.changed();
    }

    /// Sets the protocols offered (a client) or accepted (a server) by ALPN,
    /// in order of preference: Python's `context.set_alpn_protocols(protocols)`.
    /// [`SslSocket::selected_alpn_protocol`] tells which one the handshake
    /// chose.
    ///
    /// A server picks the first of its own protocols that the client offers;
    /// unlike OpenSSL, which then goes on without ALPN, rustls refuses a
    /// client that offers only protocols the server does not have
    /// (`no_application_protocol` alert).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty list (Python takes it and
    /// sends nothing; leave ALPN unset instead) and for a protocol that is
    /// empty or longer than 255 bytes.
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_CLIENT};
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    /// ctx.set_alpn_protocols(&["h2", "http/1.1"])?;
    /// assert!(ctx.set_alpn_protocols(&[]).is_err());
    /// assert!(ctx.set_alpn_protocols(&[""]).is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn set_alpn_protocols(&mut self, protocols: &[&str]) -> Result<()> {
        if protocols.is_empty() {
            return Err(Error::invalid(
                "ALPN protocol list is empty: give at least one protocol",
            ));
        }
        if let Some(bad) = protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
            return Err(Error::invalid(format!(
                "NPN/ALPN protocols must be 1 to 255 in length (got {} bytes)",
                bad.len()
            )));
        }
        self.alpn = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
        self.changed();
        Ok(())
    }

    /// The oldest TLS version a handshake may settle on: Python's
    /// `context.minimum_version` ([`TlsVersion::TLSv1_2`] by default, the
    /// oldest rustls speaks).
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, TlsVersion, PROTOCOL_TLS_CLIENT};
    /// assert_eq!(SslContext::new(PROTOCOL_TLS_CLIENT).minimum_version(), TlsVersion::TLSv1_2);
    /// ```
    pub fn minimum_version(&self) -> TlsVersion {
        self.minimum
    }

    /// Sets the oldest TLS version a handshake may settle on: Python's
    /// `context.minimum_version = v`. A minimum above the maximum makes
    /// [`wrap_socket`](SslContext::wrap_socket) fail with
    /// `[SSL: NO_PROTOCOLS_AVAILABLE] ...`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::ssl::TlsVersion;
    ///
    /// let pki = Pki::new();
    /// let mut server_ctx = pki.server_context();
    /// server_ctx.set_maximum_version(TlsVersion::TLSv1_2);
    /// let mut client_ctx = pki.client_context();
    /// client_ctx.set_minimum_version(TlsVersion::TLSv1_3);
    /// let (a, b) = pysocket::socketpair()?;
    /// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
    /// // No version both accept: the handshake fails on both sides.
    /// assert!(client_ctx.wrap_socket(a, false, Some("localhost")).is_err());
    /// assert!(server.join().unwrap().is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn set_minimum_version(&mut self, version: TlsVersion) {
        self.minimum = version;
        self.changed();
    }

    /// The newest TLS version a handshake may settle on: Python's
    /// `context.maximum_version` ([`TlsVersion::TLSv1_3`] by default).
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, TlsVersion, PROTOCOL_TLS_SERVER};
    /// assert_eq!(SslContext::new(PROTOCOL_TLS_SERVER).maximum_version(), TlsVersion::TLSv1_3);
    /// ```
    pub fn maximum_version(&self) -> TlsVersion {
        self.maximum
    }

    /// Sets the newest TLS version a handshake may settle on: Python's
    /// `context.maximum_version = v`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::ssl::TlsVersion;
    ///
    /// let pki = Pki::new();
    /// let mut server_ctx = pki.server_context();
    /// server_ctx.set_maximum_version(TlsVersion::TLSv1_2);
    /// let (a, b) = pysocket::socketpair()?;
    /// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
    /// let client = pki.client_context().wrap_socket(a, false, Some("localhost"))?;
    /// assert_eq!(client.version().as_deref(), Some("TLSv1.2"));
    /// # server.join().unwrap()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn set_maximum_version(&mut self, version: TlsVersion) {
        self.maximum = version;
        self.changed();
    }

    /// Wraps a connected stream socket in TLS and makes the handshake at
    /// once: Python's `context.wrap_socket(sock, server_side,
    /// server_hostname=...)` with its default `do_handshake_on_connect=True`.
    ///
    /// A client gives the host it connects to as `server_hostname` (a name
    /// or an IP address): it is sent as SNI and, with `check_hostname`,
    /// checked against the server's certificate. The handshake keeps to the
    /// socket's timeout, one deadline for all of it; in non-blocking mode
    /// the socket comes back with its handshake under way, and
    /// [`SslSocket::do_handshake`] (or the first read or write) carries it
    /// on. If the handshake fails, the socket is closed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`], with Python's message, for a datagram
    /// socket, a `server_side` that is not the context's side, a
    /// `server_hostname` on the server side, none on a client with
    /// `check_hostname`, or [`CERT_NONE`](super::CERT_NONE) with
    /// `check_hostname`; and for a server context without a certificate.
    /// Then what the handshake met: [`Error::Ssl`] (a certificate refused,
    /// an alert, a peer that is not speaking TLS, an end of the stream),
    /// [`Error::Timeout`], [`Error::Io`].
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::ssl::SslError;
    /// use pysocket::Error;
    ///
    /// let pki = Pki::new();
    /// let (a, b) = pysocket::socketpair()?;
    /// let server_ctx = pki.server_context();
    /// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
    /// // The server's certificate is for localhost, not example.com.
    /// let err = pki.client_context().wrap_socket(a, false, Some("example.com")).unwrap_err();
    /// assert!(matches!(err, Error::Ssl(SslError::CertVerification { .. })));
    /// assert!(err.to_string().ends_with("Hostname mismatch, certificate is not valid for 'example.com'."));
    /// assert!(server.join().unwrap().is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn wrap_socket(
        &self,
        sock: Socket,
        server_side: bool,
        server_hostname: Option<&str>,
    ) -> Result<SslSocket> {
        if sock.kind() != SockType::STREAM {
            return Err(Error::invalid(format!(
                "only stream sockets can carry TLS, not {}",
                sock.kind()
            )));
        }
        let conn: rustls::Connection = match (self.protocol, server_side) {
            (TlsProtocol::Client, true) => {
                return Err(Error::invalid(
                    "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context",
                ))
            }
            (TlsProtocol::Server, false) => {
                return Err(Error::invalid(
                    "Cannot create a client socket with a PROTOCOL_TLS_SERVER context",
                ))
            }
            (TlsProtocol::Server, true) => {
                if server_hostname.is_some() {
                    return Err(Error::invalid(
                        "server_hostname can only be specified in client mode",
                    ));
                }
                rustls::ServerConnection::new(self.server_config()?)
                    .map_err(SslError::from)?
                    .into()
            }
            (TlsProtocol::Client, false) => {
                let name = self.server_name(&sock, server_hostname)?;
                rustls::ClientConnection::new(self.client_config()?, name)
                    .map_err(SslError::from)?
                    .into()
            }
        };
        SslSocket::handshake_new(
            sock,
            conn,
            self.clone(),
            server_side,
            server_hostname.map(str::to_string),
        )
    }

    /// The name a client connection asks for: `server_hostname`, or, where
    /// there is none and none is needed, the peer's address (SNI is not sent
    /// for an address).
    fn server_name(
        &self,
        sock: &Socket,
        server_hostname: Option<&str>,
    ) -> Result<ServerName<'static>> {
        if self.check_hostname && self.verify_mode == VerifyMode::CertNone {
            return Err(Error::invalid(
                "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.",
            ));
        }
        match server_hostname {
            Some(host) if host.is_empty() || host.starts_with('.') => Err(Error::invalid(
                "server_hostname cannot be an empty string or start with a leading dot.",
            )),
            Some(host) => ServerName::try_from(host.to_string())
                .map_err(|err| Error::invalid(format!("invalid server_hostname {host:?}: {err}"))),
            None if self.check_hostname => {
                Err(Error::invalid("check_hostname requires server_hostname"))
            }
            None => {
                let ip = match sock.getpeername() {
                    Ok(Address::Inet(addr)) => (*addr.ip()).into(),
                    Ok(Address::Inet6(addr)) => (*addr.ip()).into(),
                    _ => std::net::Ipv4Addr::UNSPECIFIED.into(),
                };
                Ok(ServerName::IpAddress(ip))
            }
        }
    }

    /// The versions a handshake may settle on.
    fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>> {
        if self.minimum > self.maximum {
            return Err(ssl_error(format!(
                "[SSL: NO_PROTOCOLS_AVAILABLE] no protocols available: minimum_version {} is \
                 above maximum_version {}",
                self.minimum, self.maximum
            )));
        }
        Ok([
            (TlsVersion::TLSv1_3, &rustls::version::TLS13),
            (TlsVersion::TLSv1_2, &rustls::version::TLS12),
        ]
        .into_iter()
        .filter(|(version, _)| (self.minimum..=self.maximum).contains(version))
        .map(|(_, supported)| supported)
        .collect())
    }

    fn client_config(&self) -> Result<Arc<ClientConfig>> {
        if let Some(Config::Client(config)) = self.config.get() {
            return Ok(Arc::clone(config));
        }
        let provider = provider();
        let verifier = ServerVerifier::new(
            Arc::clone(&self.roots),
            Arc::clone(provider),
            self.verify_mode,
            self.check_hostname,
        );
        let builder = ClientConfig::builder_with_provider(Arc::clone(provider))
            .with_protocol_versions(&self.versions()?)
            .map_err(SslError::from)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let mut config = match &self.certified {
            Some(certified) => builder
                .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(Arc::clone(certified)))),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.clone();
        let config = Arc::new(config);
        let _ = self.config.set(Config::Client(Arc::clone(&config)));
        Ok(config)
    }

    fn server_config(&self) -> Result<Arc<ServerConfig>> {
        if let Some(Config::Server(config)) = self.config.get() {
            return Ok(Arc::clone(config));
        }
        let Some(certified) = &self.certified else {
            return Err(Error::invalid(
                "a server-side context needs a certificate: call load_cert_chain() first",
            ));
        };
        let provider = provider();
        let builder = ServerConfig::builder_with_provider(Arc::clone(provider))
            .with_protocol_versions(&self.versions()?)
            .map_err(SslError::from)?;
        let builder = match client_verifier(&self.roots, provider, self.verify_mode)? {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config =
            builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(Arc::clone(certified))));
        config.alpn_protocols = self.alpn.clone();
        let config = Arc::new(config);
        let _ = self.config.set(Config::Server(Arc::clone(&config)));
        Ok(config)
    }

    /// A setting changed: the configuration is built again on next use.
    fn changed(&mut self) {
        self.config = OnceLock::new();
    }
}

impl fmt::Debug for SslContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alpn: Vec<_> = self
            .alpn
            .iter()
            .map(|p| String::from_utf8_lossy(p))
            .collect();
        f.debug_struct("SslContext")
            .field("protocol", &self.protocol)
            .field("verify_mode", &self.verify_mode)
            .field("check_hostname", &self.check_hostname)
            .field("ca_certs", &self.roots.len())
            .field("has_cert", &self.certified.is_some())
            .field("alpn_protocols", &alpn)
            .field("minimum_version", &self.minimum)
            .field("maximum_version", &self.maximum)
            .finish()
    }
}

/// What [`read_certificates`] says of a file without any.
const NO_CERTIFICATE: &str = "no certificate found";

/// Every certificate of a PEM file, in order; at least one.
fn read_certificates(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|err| pem_error(path, err.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error(path, NO_CERTIFICATE.into()));
    }
    Ok(certs)
}

/// A PEM file that could not be used: Python's `[SSL] PEM lib`, with the
/// file and the reason.
fn pem_error(path: &Path, reason: String) -> Error {
    ssl_error(format!("[SSL] PEM lib: {}: {reason}", path.display()))
}

fn ssl_error(message: String) -> Error {
    Error::Ssl(SslError::Protocol(message))
}
