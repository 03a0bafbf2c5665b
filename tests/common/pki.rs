// A PKI made at test time with rcgen (ring, as rustls): a CA; a server
// certificate for localhost, 127.0.0.1 and ::1 and a client certificate,
// both signed by it; and a second, untrusted CA with a server certificate of
// its own. Every file is PEM, in a temporary directory removed on drop.
//
// Plain comments, no `//!`: the crate's doctests `include!` this file (into
// their `main`), as the TLS tests use it through `mod common`.

/// The certificates and keys of one test, as PEM files in a temporary directory.
#[allow(dead_code)]
pub struct Pki {
    /// The CA that signed `server_cert` and `client_cert`.
    pub ca: std::path::PathBuf,
    /// The server's certificate (localhost, 127.0.0.1, ::1).
    pub server_cert: std::path::PathBuf,
    pub server_key: std::path::PathBuf,
    /// The server's certificate followed by its key, in one file.
    pub server_combined: std::path::PathBuf,
    /// A client certificate (CN "pysocket client"), for servers that ask for one.
    pub client_cert: std::path::PathBuf,
    pub client_key: std::path::PathBuf,
    /// A CA no context trusts, and a server and a client certificate it signed.
    pub rogue_ca: std::path::PathBuf,
    pub rogue_cert: std::path::PathBuf,
    pub rogue_key: std::path::PathBuf,
    pub rogue_client_cert: std::path::PathBuf,
    pub rogue_client_key: std::path::PathBuf,
    /// The DER of `server_cert`, to compare with `getpeercert_der`.
    pub server_der: Vec<u8>,
    /// The DER of `client_cert`.
    pub client_der: Vec<u8>,
    /// The directory the files are in, removed on drop.
    pub dir: tempfile::TempDir,
}

#[allow(dead_code)]
impl Pki {
    /// A fresh PKI: two CAs, three certificates, their keys.
    pub fn new() -> Pki {
        let dir = tempfile::Builder::new()
            .prefix("pysocket-pki")
            .tempdir()
            .expect("temp dir");
        let write = |name: &str, pem: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).expect("write PEM");
            path
        };

        let (ca_pem, ca) = pki_make_ca("pysocket test CA");
        let (rogue_ca_pem, rogue) = pki_make_ca("pysocket rogue CA");
        let hosts = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        let (server_pem, server_key_pem, server_der) =
            pki_make_leaf(&ca, "localhost", hosts.clone(), true);
        let (client_pem, client_key_pem, client_der) =
            pki_make_leaf(&ca, "pysocket client", Vec::new(), false);
        let (rogue_pem, rogue_key_pem, _) = pki_make_leaf(&rogue, "localhost", hosts, true);
        let (rogue_client_pem, rogue_client_key_pem, _) =
            pki_make_leaf(&rogue, "rogue client", Vec::new(), false);

        Pki {
            ca: write("ca.pem", &ca_pem),
            server_cert: write("server.pem", &server_pem),
            server_key: write("server.key", &server_key_pem),
            server_combined: write("server-combined.pem", &(server_pem + &server_key_pem)),
            client_cert: write("client.pem", &client_pem),
            client_key: write("client.key", &client_key_pem),
            rogue_ca: write("rogue-ca.pem", &rogue_ca_pem),
            rogue_cert: write("rogue.pem", &rogue_pem),
            rogue_key: write("rogue.key", &rogue_key_pem),
            rogue_client_cert: write("rogue-client.pem", &rogue_client_pem),
            rogue_client_key: write("rogue-client.key", &rogue_client_key_pem),
            server_der,
            client_der,
            dir,
        }
    }

    /// A file in the PKI's directory, with `contents`: for bad input.
    pub fn file(&self, name: &str, contents: &[u8]) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

/// A CA's certificate as PEM, and the issuer that signs with its key.
fn pki_make_ca(name: &str) -> (String, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert.pem(), rcgen::Issuer::new(params, key))
}

/// A certificate for `names` signed by `issuer`, for a server or a client:
/// its PEM, its key's PEM and its DER.
fn pki_make_leaf(
    issuer: &rcgen::Issuer<'static, rcgen::KeyPair>,
    common_name: &str,
    names: Vec<String>,
    server: bool,
) -> (String, String, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("leaf key");
    let mut params = rcgen::CertificateParams::new(names).expect("leaf params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.extended_key_usages = vec![if server {
        rcgen::ExtendedKeyUsagePurpose::ServerAuth
    } else {
        rcgen::ExtendedKeyUsagePurpose::ClientAuth
    }];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, issuer).expect("leaf certificate");
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

#[cfg(feature = "ssl")]
#[allow(dead_code)]
impl Pki {
    /// A server context with the server certificate.
    pub fn server_context(&self) -> pysocket::ssl::SslContext {
        let mut ctx = pysocket::ssl::SslContext::new(pysocket::ssl::PROTOCOL_TLS_SERVER);
        ctx.load_cert_chain(&self.server_cert, Some(&self.server_key))
            .expect("load_cert_chain");
        ctx
    }

    /// A client context that trusts the CA (CERT_REQUIRED, check_hostname).
    pub fn client_context(&self) -> pysocket::ssl::SslContext {
        let mut ctx = pysocket::ssl::SslContext::new(pysocket::ssl::PROTOCOL_TLS_CLIENT);
        ctx.load_verify_locations(&self.ca)
            .expect("load_verify_locations");
        ctx
    }

    /// A TLS connection over a socketpair, handshaken with the two default
    /// contexts above (the client names "localhost"), both ends in blocking
    /// mode: (client, server).
    pub fn tls_pair(&self) -> (pysocket::ssl::SslSocket, pysocket::ssl::SslSocket) {
        let (a, b) = pysocket::socketpair().expect("socketpair");
        let limit = Some(std::time::Duration::from_secs(10));
        a.settimeout(limit).expect("settimeout");
        b.settimeout(limit).expect("settimeout");
        let server_ctx = self.server_context();
        let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
        let client = self
            .client_context()
            .wrap_socket(a, false, Some("localhost"))
            .expect("client handshake");
        let server = server
            .join()
            .expect("server thread")
            .expect("server handshake");
        client.settimeout(None).expect("settimeout");
        server.settimeout(None).expect("settimeout");
        (client, server)
    }
}
