//! [`SslError`]: Python's `SSLError` family, and how rustls's errors become it.

use std::io;

use rustls::{AlertDescription, CertificateError};

/// A TLS failure: Python's `ssl.SSLError` and its subclasses, carried in
/// [`Error::Ssl`](crate::Error::Ssl).
///
/// | Python | pysocket |
/// |--------|----------|
/// | `ssl.SSLCertVerificationError` | [`SslError::CertVerification`] |
/// | `ssl.SSLZeroReturnError` | [`SslError::ZeroReturn`] |
/// | `ssl.SSLEOFError` | [`SslError::Eof`] |
/// | `ssl.SSLError` (any other) | [`SslError::Protocol`] |
/// | `ssl.SSLWantReadError`, `ssl.SSLWantWriteError` | not here: [`Error::Io`](crate::Error::Io) of kind `WouldBlock`, as on a plain socket |
/// | `socket.timeout` during a handshake or a read | not here: [`Error::Timeout`](crate::Error::Timeout) |
///
/// # How it prints
///
/// `Display` is Python's `str()` of the exception without OpenSSL's source
/// position: `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
/// unable to get local issuer certificate`, `[SSL:
/// UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol`. The
/// reasons are OpenSSL's words where rustls reports the same failure (an
/// unknown CA, a hostname mismatch, an expired certificate, an alert from
/// the peer: `[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca`),
/// rustls's own otherwise. The crate's [`Error`](crate::Error) prints
/// `Debug` as Python's traceback line, with the class first:
/// `ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] ...`.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use pysocket::ssl::{SslContext, SslError, PROTOCOL_TLS_CLIENT};
/// use pysocket::Error;
///
/// let pki = Pki::new();
/// let (a, b) = pysocket::socketpair()?;
/// let server_ctx = pki.server_context();
/// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
/// // A client that trusts no CA at all.
/// let err = SslContext::new(PROTOCOL_TLS_CLIENT)
///     .wrap_socket(a, false, Some("localhost"))
///     .unwrap_err();
/// assert!(matches!(&err, Error::Ssl(SslError::CertVerification { .. })));
/// assert_eq!(
///     err.to_string(),
///     "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: \
///      unable to get local issuer certificate"
/// );
/// assert!(format!("{err:?}").starts_with("ssl.SSLCertVerificationError: "));
/// // The server hears of it as the alert the client sent.
/// let server_err = server.join().unwrap().unwrap_err();
/// assert_eq!(server_err.to_string(), "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SslError {
    /// The peer's certificate did not verify: an unknown CA, a name that is
    /// not the one asked for, an expired certificate... `message` says which
    /// in OpenSSL's words (`unable to get local issuer certificate`,
    /// `Hostname mismatch, certificate is not valid for 'example.com'.`):
    /// Python's `SSLCertVerificationError`.
    #[doc(alias = "SSLCertVerificationError")]
    #[error("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}")]
    CertVerification {
        /// Why the certificate was refused.
        message: String,
    },

    /// The peer closed the TLS session (`close_notify`) where the call
    /// needed it open: during the handshake. Python's `SSLZeroReturnError`.
    /// A read after the peer's `close_notify` is not an error: it returns
    /// empty, the end of the stream.
    #[doc(alias = "SSLZeroReturnError")]
    #[error("TLS/SSL connection has been closed (EOF)")]
    ZeroReturn,

    /// The TCP connection ended in the middle of the TLS protocol: during
    /// the handshake, or before the peer's `close_notify` that
    /// [`SslSocket::unwrap`](super::SslSocket::unwrap) waits for. Python's
    /// `SSLEOFError`. A read that meets such an end returns empty, as
    /// Python's default `suppress_ragged_eofs=True` does.
    #[doc(alias = "SSLEOFError")]
    #[error("[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol")]
    Eof,

    /// Any other TLS failure, the reason in words: an alert from the peer, a
    /// peer that does not speak TLS, no protocol version or cipher in
    /// common, a PEM file that holds no certificate, a key that does not
    /// match its certificate. Python's `SSLError`.
    #[doc(alias = "SSLError")]
    #[error("{0}")]
    Protocol(String),
}

impl SslError {
    /// The name of the exception Python raises for this error.
    pub(crate) fn python_class(&self) -> &'static str {
        match self {
            SslError::CertVerification { .. } => "ssl.SSLCertVerificationError",
            SslError::ZeroReturn => "ssl.SSLZeroReturnError",
            SslError::Eof => "ssl.SSLEOFError",
            SslError::Protocol(_) => "ssl.SSLError",
        }
    }

    /// The `io::ErrorKind` this error converts to: a connection that ended
    /// too soon is `UnexpectedEof`, anything else `InvalidData`.
    pub(crate) fn kind(&self) -> io::ErrorKind {
        match self {
            SslError::ZeroReturn | SslError::Eof => io::ErrorKind::UnexpectedEof,
            SslError::CertVerification { .. } | SslError::Protocol(_) => io::ErrorKind::InvalidData,
        }
    }
}

impl From<rustls::Error> for SslError {
    /// rustls's error in Python's terms: a refused certificate is
    /// [`SslError::CertVerification`] with OpenSSL's reason, the peer's
    /// `close_notify` during a handshake [`SslError::ZeroReturn`], an alert
    /// OpenSSL's `[SSL: TLSV1_ALERT_...]` reason, anything else rustls's
    /// own words.
    fn from(err: rustls::Error) -> SslError {
        match err {
            rustls::Error::InvalidCertificate(cert) => SslError::CertVerification {
                message: certificate_reason(cert),
            },
            rustls::Error::AlertReceived(AlertDescription::CloseNotify) => SslError::ZeroReturn,
            rustls::Error::AlertReceived(alert) => SslError::Protocol(alert_reason(alert)),
            rustls::Error::NoCertificatesPresented => SslError::Protocol(
                "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate"
                    .to_string(),
            ),
            rustls::Error::InvalidMessage(_) => {
                SslError::Protocol(format!("{err} (is the peer speaking TLS?)"))
            }
            other => SslError::Protocol(other.to_string()),
        }
    }
}

/// Why a certificate was refused, in OpenSSL's words (`X509_verify_cert_error_string`,
/// and CPython's own for a name that does not match) where there are such.
fn certificate_reason(err: CertificateError) -> String {
    let reason = match err {
        CertificateError::UnknownIssuer => "unable to get local issuer certificate",
        CertificateError::NotValidForNameContext { expected, .. } => {
            return match expected {
                rustls::pki_types::ServerName::IpAddress(ip) => {
                    let ip = std::net::IpAddr::from(ip);
                    format!("IP address mismatch, certificate is not valid for '{ip}'.")
                }
                name => format!(
                    "Hostname mismatch, certificate is not valid for '{}'.",
                    name.to_str()
                ),
            };
        }
        CertificateError::NotValidForName => {
            "Hostname mismatch, certificate is not valid for the name asked for."
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate has expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "certificate is not yet valid"
        }
        CertificateError::Revoked => "certificate revoked",
        CertificateError::BadSignature => "certificate signature failure",
        CertificateError::UnhandledCriticalExtension => "unhandled critical extension",
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "unsupported certificate purpose"
        }
        other => return rustls::Error::InvalidCertificate(other).to_string(),
    };
    reason.to_string()
}

/// An alert the peer sent, as OpenSSL reports it: `[SSL: TLSV1_ALERT_UNKNOWN_CA]
/// tlsv1 alert unknown ca`.
fn alert_reason(alert: AlertDescription) -> String {
    use AlertDescription as A;
    let (code, text) = match alert {
        A::UnexpectedMessage => (
            "SSLV3_ALERT_UNEXPECTED_MESSAGE",
            "sslv3 alert unexpected message",
        ),
        A::BadRecordMac => ("SSLV3_ALERT_BAD_RECORD_MAC", "sslv3 alert bad record mac"),
        A::HandshakeFailure => (
            "SSLV3_ALERT_HANDSHAKE_FAILURE",
            "sslv3 alert handshake failure",
        ),
        A::BadCertificate => ("SSLV3_ALERT_BAD_CERTIFICATE", "sslv3 alert bad certificate"),
        A::UnsupportedCertificate => (
            "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
            "sslv3 alert unsupported certificate",
        ),
        A::CertificateRevoked => (
            "SSLV3_ALERT_CERTIFICATE_REVOKED",
            "sslv3 alert certificate revoked",
        ),
        A::CertificateExpired => (
            "SSLV3_ALERT_CERTIFICATE_EXPIRED",
            "sslv3 alert certificate expired",
        ),
        A::CertificateUnknown => (
            "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
            "sslv3 alert certificate unknown",
        ),
        A::IllegalParameter => (
            "SSLV3_ALERT_ILLEGAL_PARAMETER",
            "sslv3 alert illegal parameter",
        ),
        A::UnknownCA => ("TLSV1_ALERT_UNKNOWN_CA", "tlsv1 alert unknown ca"),
        A::AccessDenied => ("TLSV1_ALERT_ACCESS_DENIED", "tlsv1 alert access denied"),
        A::DecodeError => ("TLSV1_ALERT_DECODE_ERROR", "tlsv1 alert decode error"),
        A::DecryptError => ("TLSV1_ALERT_DECRYPT_ERROR", "tlsv1 alert decrypt error"),
        A::ProtocolVersion => (
            "TLSV1_ALERT_PROTOCOL_VERSION",
            "tlsv1 alert protocol version",
        ),
        A::InsufficientSecurity => (
            "TLSV1_ALERT_INSUFFICIENT_SECURITY",
            "tlsv1 alert insufficient security",
        ),
        A::InternalError => ("TLSV1_ALERT_INTERNAL_ERROR", "tlsv1 alert internal error"),
        A::UserCanceled => ("TLSV1_ALERT_USER_CANCELLED", "tlsv1 alert user cancelled"),
        A::MissingExtension => (
            "TLSV13_ALERT_MISSING_EXTENSION",
            "tlsv13 alert missing extension",
        ),
        A::UnsupportedExtension => (
            "TLSV1_ALERT_UNSUPPORTED_EXTENSION",
            "tlsv1 alert unsupported extension",
        ),
        A::UnrecognisedName => ("TLSV1_UNRECOGNIZED_NAME", "tlsv1 unrecognized name"),
        A::CertificateRequired => (
            "TLSV13_ALERT_CERTIFICATE_REQUIRED",
            "tlsv13 alert certificate required",
        ),
        A::NoApplicationProtocol => (
            "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
            "tlsv1 alert no application protocol",
        ),
        other => return format!("[SSL] received fatal alert: {other:?}"),
    };
    format!("[SSL: {code}] {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_errors_take_pythons_classes() {
        let unknown = SslError::from(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert_eq!(
            unknown.to_string(),
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: \
             unable to get local issuer certificate"
        );
        assert_eq!(unknown.python_class(), "ssl.SSLCertVerificationError");
        let closed = SslError::from(rustls::Error::AlertReceived(AlertDescription::CloseNotify));
        assert_eq!(closed, SslError::ZeroReturn);
        let alert = SslError::from(rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!(
            alert,
            SslError::Protocol("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca".into())
        );
        let odd = SslError::from(rustls::Error::AlertReceived(AlertDescription::Unknown(200)));
        assert!(
            odd.to_string().starts_with("[SSL] received fatal alert"),
            "{odd}"
        );
        assert_eq!(SslError::Eof.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(alert.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn name_mismatches_read_as_cpythons() {
        let dns = rustls::pki_types::ServerName::try_from("example.com").unwrap();
        let err = SslError::from(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForNameContext {
                expected: dns,
                presented: vec!["localhost".into()],
            },
        ));
        assert!(
            err.to_string()
                .ends_with("Hostname mismatch, certificate is not valid for 'example.com'."),
            "{err}"
        );
        let ip = rustls::pki_types::ServerName::try_from("127.0.0.2").unwrap();
        let err = SslError::from(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForNameContext {
                expected: ip,
                presented: vec![],
            },
        ));
        assert!(
            err.to_string()
                .ends_with("IP address mismatch, certificate is not valid for '127.0.0.2'."),
            "{err}"
        );
    }
}
