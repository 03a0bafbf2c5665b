//! Certificate verification as Python's `verify_mode` and `check_hostname`
//! set it: rustls's verifiers, with the parts Python can turn off.
//!
//! A client checks the server's chain against the context's CAs
//! (`CERT_REQUIRED`; `CERT_OPTIONAL` means the same on a client, as in
//! Python) and, with `check_hostname`, the name it asked for; `CERT_NONE`
//! checks nothing. A server asks for a client certificate with
//! `CERT_OPTIONAL` or `CERT_REQUIRED` (only the latter refuses a client
//! without one), through rustls's own client verifier. Handshake signatures
//! are always verified: they prove the peer holds the key of the certificate
//! it sent, whatever the mode.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};

use super::VerifyMode;
use crate::error::{Error, Result};

/// The handshake-signature methods both verifier traits require, checked
/// with the crypto provider's algorithms (`self.provider`), as rustls's own
/// verifiers do.
macro_rules! signature_checks_by_provider {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// How a client checks the server's certificate.
#[derive(Debug)]
pub(crate) struct ServerVerifier {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    /// Whether the chain is checked at all (`CERT_NONE` checks nothing).
    verify_chain: bool,
    check_hostname: bool,
}

impl ServerVerifier {
    pub(crate) fn new(
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
        mode: VerifyMode,
        check_hostname: bool,
    ) -> ServerVerifier {
        ServerVerifier {
            roots,
            provider,
            verify_chain: mode != VerifyMode::CertNone,
            check_hostname,
        }
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if !self.verify_chain {
            return Ok(ServerCertVerified::assertion());
        }
        // With no CA loaded every chain is unknown (rustls's own verifier
        // refuses to be built without one).
        if self.roots.is_empty() {
            return Err(CertificateError::UnknownIssuer.into());
        }
        let cert = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        if self.check_hostname {
            rustls::client::verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    signature_checks_by_provider!();
}

/// The verifier of a server that asks for client certificates
/// (`CERT_OPTIONAL`, `CERT_REQUIRED`), or `None` for `CERT_NONE`.
pub(crate) fn client_verifier(
    roots: &Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
    mode: VerifyMode,
) -> Result<Option<Arc<dyn ClientCertVerifier>>> {
    let mandatory = match mode {
        VerifyMode::CertNone => return Ok(None),
        VerifyMode::CertOptional => false,
        VerifyMode::CertRequired => true,
    };
    if roots.is_empty() {
        return Ok(Some(Arc::new(NoCaClientVerifier {
            provider: Arc::clone(provider),
            mandatory,
        })));
    }
    let builder =
        WebPkiClientVerifier::builder_with_provider(Arc::clone(roots), Arc::clone(provider));
    let builder = if mandatory {
        builder
    } else {
        builder.allow_unauthenticated()
    };
    let verifier = builder.build().map_err(|err| {
        Error::Ssl(super::SslError::Protocol(format!(
            "cannot verify client certificates: {err}"
        )))
    })?;
    Ok(Some(verifier))
}

/// A server that asks for a client certificate with no CA loaded to check
/// it against: every certificate is from an unknown issuer, as in Python.
#[derive(Debug)]
struct NoCaClientVerifier {
    provider: Arc<CryptoProvider>,
    mandatory: bool,
}

impl ClientCertVerifier for NoCaClientVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, rustls::Error> {
        Err(CertificateError::UnknownIssuer.into())
    }

    signature_checks_by_provider!();
}
