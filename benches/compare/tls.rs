//! TLS: pysocket's `SslSocket` against rustls's own `StreamOwned` over a
//! `std::net::TcpStream` (the same rustls, the same ring provider, the same
//! certificate, the same negotiated version and cipher suite, checked each
//! run), with CPython's `ssl` (OpenSSL) as a reference column
//! (`benches/python/tls.py`, run once per round; skipped without python3).
//!
//! - ping-pong: 64 bytes each way per round trip, TCP_NODELAY, an echo
//!   thread (a forked process for CPython), timed on the client;
//! - bulk: the server sends `bulk_bytes / 16` (16 MiB) to the client, which
//!   receives with `recv_into` (`read`) into 64 KiB; timed from the first
//!   send to the last byte received.
//!
//! Handshakes and one untimed round trip (which brings TLS 1.3's session
//! tickets to the client) come before the clock starts. The variants run
//! interleaved, each round in a rotated order; the table has a table of its
//! own, printed after the main one.

#[cfg(not(feature = "ssl"))]
pub fn run(suite: &crate::Suite) {
    if suite.wants("tls") {
        println!("TLS rows skipped: the bench was built without the `ssl` feature");
    }
}

#[cfg(feature = "ssl")]
pub use self::imp::run;

#[cfg(feature = "ssl")]
mod imp {
    use std::hint::black_box;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use pysocket::ssl::{SslContext, SslSocket, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER};
    use pysocket::{IPPROTO_TCP, TCP_NODELAY};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use rustls::{
        ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, StreamOwned,
    };

    use crate::{loopback, ratio_median, show, stats, watchdog, Suite, Unit, Variant, MSG};

    const READ_BUFFER: usize = 64 << 10;
    const PYTHON_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python/tls.py");

    /// The PKI (PEM files in a temporary directory) and the contexts and
    /// configurations every variant uses.
    struct Tls {
        _dir: tempfile::TempDir,
        ca: PathBuf,
        cert: PathBuf,
        key: PathBuf,
        client_ctx: SslContext,
        server_ctx: SslContext,
        client_config: Arc<ClientConfig>,
        server_config: Arc<ServerConfig>,
    }

    type RustlsClient = StreamOwned<ClientConnection, TcpStream>;
    type RustlsServer = StreamOwned<ServerConnection, TcpStream>;

    pub fn run(suite: &Suite) {
        let pingpong_name = "TLS ping-pong 64 B, blocking (round trip)";
        let bulk_name = "TLS bulk 16 MiB, server to client (MiB)";
        if !suite.wants(pingpong_name) && !suite.wants(bulk_name) {
            return;
        }
        let plan = suite.plan;
        let tls = Tls::new();
        let python = python_available();
        let suite_name = check_suites(&tls, python);
        let mut rows = Vec::new();

        if suite.wants(pingpong_name) {
            let count = plan.pingpongs;
            let mut ssl = || ssl_pingpong(&tls, count);
            let mut rustls = || rustls_pingpong(&tls, count);
            let mut cpython = || python_run(&tls, "pingpong", count).0;
            let variants: [Variant<'_>; 3] = [
                Some(&mut ssl),
                Some(&mut rustls),
                if python { Some(&mut cpython) } else { None },
            ];
            rows.push((
                pingpong_name,
                interleave(suite, pingpong_name, count as f64, variants),
            ));
        }
        if suite.wants(bulk_name) {
            let data = vec![0x5au8; plan.bulk_bytes / 16];
            let mib = data.len() as f64 / f64::from(1 << 20);
            let mut ssl = || ssl_bulk(&tls, &data);
            let mut rustls = || rustls_bulk(&tls, &data);
            let mut cpython = || python_run(&tls, "bulk", data.len()).0;
            let variants: [Variant<'_>; 3] = [
                Some(&mut ssl),
                Some(&mut rustls),
                if python { Some(&mut cpython) } else { None },
            ];
            rows.push((bulk_name, interleave(suite, bulk_name, mib, variants)));
        }

        println!(
            "\n{:<46} {:>30} {:>30} {:>30} {:>12} {:>14}",
            "TLS scenario (per unit): median [min..max]",
            "SslSocket",
            "rustls StreamOwned",
            "CPython ssl",
            "ssl/rustls",
            "CPython/rustls"
        );
        for (name, samples) in &rows {
            let cell = |column: &Option<Vec<f64>>| match column {
                Some(values) => {
                    let (med, min, max) = stats(values);
                    let show = |v| show(Unit::Time, v);
                    format!("{} [{}..{}]", show(med), show(min), show(max))
                }
                None => "-".to_string(),
            };
            let ratio = |column: &Option<Vec<f64>>| match (column, &samples[1]) {
                (Some(ours), Some(theirs)) => {
                    let (median, spread) = ratio_median(ours, theirs);
                    format!("{median:.3}±{spread:.3}")
                }
                _ => "-".to_string(),
            };
            println!(
                "{:<46} {:>30} {:>30} {:>30} {:>12} {:>14}",
                name,
                cell(&samples[0]),
                cell(&samples[1]),
                cell(&samples[2]),
                ratio(&samples[0]),
                ratio(&samples[2]),
            );
        }
        println!(
            "every variant: {suite_name}, ECDSA P-256 certificate, TCP_NODELAY; rustls {} with ring in both Rust columns; \
             {} rounds interleaved after one warm-up round; ratios: median of the per-round ratios ± half their interquartile range{}",
            rustls_version(),
            plan.rounds,
            if python { "" } else { "; python3 not found: no CPython column" }
        );
    }

    /// Runs the variants interleaved for `suite.plan.rounds` rounds after one
    /// warm-up round, each round in a rotated order; returns each variant's
    /// times per unit of work, in nanoseconds.
    fn interleave(
        suite: &Suite,
        name: &'static str,
        units: f64,
        mut variants: [Variant<'_>; 3],
    ) -> [Option<Vec<f64>>; 3] {
        watchdog::arm(name, Duration::from_secs(240));
        for variant in variants.iter_mut().flatten() {
            black_box(variant());
        }
        let mut samples: [Option<Vec<f64>>; 3] = Default::default();
        for round in 0..suite.plan.rounds {
            for i in 0..variants.len() {
                let which = (round + i) % variants.len();
                if let Some(variant) = &mut variants[which] {
                    let nanos = variant().as_nanos() as f64 / units;
                    samples[which].get_or_insert_with(Vec::new).push(nanos);
                }
            }
        }
        samples
    }

    impl Tls {
        fn new() -> Tls {
            let dir = tempfile::Builder::new()
                .prefix("pysocket-bench-tls")
                .tempdir()
                .unwrap();
            let (ca_pem, cert_pem, key_pem) = make_pki();
            let write = |name: &str, pem: &str| {
                let path = dir.path().join(name);
                std::fs::write(&path, pem).unwrap();
                path
            };
            let (ca, cert, key) = (
                write("ca.pem", &ca_pem),
                write("server.pem", &cert_pem),
                write("server.key", &key_pem),
            );

            let mut server_ctx = SslContext::new(PROTOCOL_TLS_SERVER);
            server_ctx.load_cert_chain(&cert, Some(&key)).unwrap();
            let mut client_ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
            client_ctx.load_verify_locations(&ca).unwrap();

            // rustls configured as SslContext configures it: ring, TLS 1.2
            // and 1.3, no client certificates, the default cipher suites.
            let versions = [&rustls::version::TLS13, &rustls::version::TLS12];
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let private = PrivateKeyDer::from_pem_file(&key).unwrap();
            let server_config = ServerConfig::builder_with_provider(provider())
                .with_protocol_versions(&versions)
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, private)
                .unwrap();
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(&ca).unwrap() {
                roots.add(cert.unwrap()).unwrap();
            }
            let client_config = ClientConfig::builder_with_provider(provider())
                .with_protocol_versions(&versions)
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            Tls {
                _dir: dir,
                ca,
                cert,
                key,
                client_ctx,
                server_ctx,
                client_config: Arc::new(client_config),
                server_config: Arc::new(server_config),
            }
        }
    }

    /// ring, as pysocket's `ssl` uses it.
    fn provider() -> Arc<CryptoProvider> {
        // Deprecated in rustls 0.23.48 in favour of aws-lc-rs; pysocket uses
        // ring (it builds without cmake or nasm), and so must its rival here.
        #[allow(deprecated)]
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A CA, and a certificate for localhost it signed, with its key: PEM.
    fn make_pki() -> (String, String, String) {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "pysocket bench CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        let cert = leaf.signed_by(&key, &issuer).unwrap();
        (ca_pem, cert.pem(), key.serialize_pem())
    }

    /// The version of rustls the bench was built with, from the lockfile.
    fn rustls_version() -> String {
        let lock = include_str!("../../Cargo.lock");
        lock.split("[[package]]")
            .find(|package| package.contains("name = \"rustls\"\n"))
            .and_then(|package| package.lines().find(|l| l.starts_with("version = ")))
            .map(|line| {
                line.trim_start_matches("version = ")
                    .trim_matches('"')
                    .to_string()
            })
            .unwrap_or_else(|| "?".to_string())
    }

    // --- connections ----------------------------------------------------------

    /// A handshaken `SslSocket` pair over loopback TCP: (client, server).
    fn ssl_pair(tls: &Tls) -> (SslSocket, SslSocket) {
        let (client, conn) = loopback::pysocket_pair();
        for sock in [&client, &conn] {
            sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
        }
        let server_ctx = tls.server_ctx.clone();
        let server = thread::spawn(move || server_ctx.wrap_socket(conn, true, None).unwrap());
        let client = tls
            .client_ctx
            .wrap_socket(client, false, Some("localhost"))
            .unwrap();
        (client, server.join().unwrap())
    }

    /// A handshaken rustls pair over loopback TCP: (client, server).
    fn rustls_pair(tls: &Tls) -> (RustlsClient, RustlsServer) {
        let (mut client, mut conn) = loopback::std_pair();
        for sock in [&client, &conn] {
            sock.set_nodelay(true).unwrap();
        }
        let config = Arc::clone(&tls.server_config);
        let server = thread::spawn(move || {
            let mut tls = ServerConnection::new(config).unwrap();
            while tls.is_handshaking() || tls.wants_write() {
                tls.complete_io(&mut conn).unwrap();
            }
            StreamOwned::new(tls, conn)
        });
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = ClientConnection::new(Arc::clone(&tls.client_config), name).unwrap();
        while tls.is_handshaking() || tls.wants_write() {
            tls.complete_io(&mut client).unwrap();
        }
        (StreamOwned::new(tls, client), server.join().unwrap())
    }

    /// The cipher suite each variant negotiates, which must be the same;
    /// returned as "TLSv1.3 TLS_AES_256_GCM_SHA384".
    fn check_suites(tls: &Tls, python: bool) -> String {
        let (client, _server) = ssl_pair(tls);
        let (name, version, _) = client.cipher().expect("a cipher after the handshake");
        let ssl = format!("{version} {name}");
        let (client, _server) = rustls_pair(tls);
        let suite = client.conn.negotiated_cipher_suite().expect("a suite");
        let version = match suite.version().version {
            rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
            rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
            _ => "?",
        };
        let suite_name = format!("{:?}", suite.suite()).replacen("TLS13_", "TLS_", 1);
        let rustls = format!("{version} {suite_name}");
        assert_eq!(
            ssl, rustls,
            "SslSocket and rustls negotiate different suites"
        );
        if python {
            let (_, cpython) = python_run(tls, "pingpong", 1);
            assert_eq!(ssl, cpython, "CPython negotiates another suite");
        }
        ssl
    }

    // --- ping-pong ------------------------------------------------------------

    fn ssl_pingpong(tls: &Tls, count: usize) -> Duration {
        let (client, server) = ssl_pair(tls);
        let echo = thread::spawn(move || {
            let mut buf = [0u8; MSG];
            for _ in 0..=count {
                ssl_recv_exact(&server, &mut buf);
                server.sendall(&buf).unwrap();
            }
        });
        let msg = [7u8; MSG];
        let mut buf = [0u8; MSG];
        client.sendall(&msg).unwrap(); // untimed: brings the session tickets
        ssl_recv_exact(&client, &mut buf);
        let start = Instant::now();
        for _ in 0..count {
            client.sendall(&msg).unwrap();
            ssl_recv_exact(&client, &mut buf);
        }
        let elapsed = start.elapsed();
        echo.join().unwrap();
        elapsed
    }

    fn ssl_recv_exact(sock: &SslSocket, buf: &mut [u8]) {
        let mut got = 0;
        while got < buf.len() {
            let n = sock.recv_into(&mut buf[got..]).unwrap();
            assert!(n > 0, "peer closed");
            got += n;
        }
    }

    fn rustls_pingpong(tls: &Tls, count: usize) -> Duration {
        let (mut client, mut server) = rustls_pair(tls);
        let echo = thread::spawn(move || {
            let mut buf = [0u8; MSG];
            for _ in 0..=count {
                server.read_exact(&mut buf).unwrap();
                server.write_all(&buf).unwrap();
            }
        });
        let msg = [7u8; MSG];
        let mut buf = [0u8; MSG];
        client.write_all(&msg).unwrap(); // untimed: brings the session tickets
        client.read_exact(&mut buf).unwrap();
        let start = Instant::now();
        for _ in 0..count {
            client.write_all(&msg).unwrap();
            client.read_exact(&mut buf).unwrap();
        }
        let elapsed = start.elapsed();
        echo.join().unwrap();
        elapsed
    }

    // --- bulk -----------------------------------------------------------------

    fn ssl_bulk(tls: &Tls, data: &[u8]) -> Duration {
        let (client, server) = ssl_pair(tls);
        let total = data.len();
        thread::scope(|scope| {
            let reader = scope.spawn(move || {
                let mut buf = vec![0u8; READ_BUFFER];
                let mut got = 0;
                while got < total {
                    let n = client.recv_into(&mut buf).unwrap();
                    assert!(n > 0, "peer closed early");
                    got += n;
                }
            });
            let start = Instant::now();
            server.sendall(data).unwrap();
            reader.join().unwrap();
            start.elapsed()
        })
    }

    fn rustls_bulk(tls: &Tls, data: &[u8]) -> Duration {
        let (mut client, mut server) = rustls_pair(tls);
        let total = data.len();
        thread::scope(|scope| {
            let reader = scope.spawn(move || {
                let mut buf = vec![0u8; READ_BUFFER];
                let mut got = 0;
                while got < total {
                    let n = client.read(&mut buf).unwrap();
                    assert!(n > 0, "peer closed early");
                    got += n;
                }
            });
            let start = Instant::now();
            server.write_all(data).unwrap();
            server.flush().unwrap();
            reader.join().unwrap();
            start.elapsed()
        })
    }

    // --- CPython ----------------------------------------------------------------

    fn python_available() -> bool {
        let found = Command::new("python3")
            .args(["-c", "import ssl"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !found {
            println!("python3 (with its ssl module) not found: the CPython ssl column is skipped");
        }
        found
    }

    /// One run of `benches/python/tls.py --once`: its time, and the version
    /// and suite it negotiated ("TLSv1.3 TLS_AES_256_GCM_SHA384").
    fn python_run(tls: &Tls, scenario: &str, count: usize) -> (Duration, String) {
        let path = |p: &Path| p.to_str().expect("a UTF-8 temp path").to_string();
        let out = Command::new("python3")
            .arg(PYTHON_SCRIPT)
            .args(["--once", scenario, &count.to_string()])
            .args([path(&tls.ca), path(&tls.cert), path(&tls.key)])
            .output()
            .expect("run python3");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{PYTHON_SCRIPT} failed: {}\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let mut words = stdout.split_whitespace();
        let seconds: f64 = words
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no time in {stdout:?}"));
        let cipher = words.next().unwrap_or("?");
        let version = words.next().unwrap_or("?");
        (
            Duration::from_secs_f64(seconds),
            format!("{version} {cipher}"),
        )
    }
}
