//! `pysocket::ssl` against real peers: python3's `ssl` module (OpenSSL) as
//! server and as client, and the `openssl` command's `s_server` and
//! `s_client`, over loopback with a PKI made at test time. Each test skips,
//! with a message, where its peer is not installed. The versions, ciphers,
//! ALPN choices and error messages both sides report are compared.
#![cfg(feature = "ssl")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::pki::Pki;
use common::PROMPT;
use pysocket::ssl::{SslContext, SslSocket, TlsVersion, CERT_REQUIRED, PROTOCOL_TLS_SERVER};
use pysocket::{create_connection, create_server, Address, Error};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A peer program, its standard output read line by line in a thread. It is
/// killed if it outlives [`PROMPT`] times three.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    err_lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: thread::JoinHandle<String>,
    started: Instant,
}

impl Peer {
    /// Starts `program` with `args`; `None` (and a note) if it is not installed.
    fn start(program: &str, args: &[&str]) -> Option<Peer> {
        let mut child = match Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                eprintln!("{program} not found: skipping the interop test");
                return None;
            }
            Err(err) => panic!("cannot start {program}: {err}"),
        };
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = child.stderr.take().expect("stderr");
        let (send_err, err_lines) = mpsc::channel();
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                text.push_str(&line);
                text.push('\n');
                let _ = send_err.send(line);
            }
            text
        });
        Some(Peer {
            stdin: child.stdin.take(),
            child,
            lines,
            err_lines,
            seen: Vec::new(),
            stderr,
            started: Instant::now(),
        })
    }

    /// The next line of output that starts with `prefix`, with the prefix
    /// cut off. Panics, showing all the peer said, if none comes in time.
    fn line(&mut self, prefix: &str) -> String {
        self.line_of(false, prefix)
    }

    /// As [`line`](Peer::line), on standard error.
    fn err_line(&mut self, prefix: &str) -> String {
        self.line_of(true, prefix)
    }

    fn line_of(&mut self, stderr: bool, prefix: &str) -> String {
        let give_up = Instant::now() + PROMPT;
        loop {
            let left = give_up.saturating_duration_since(Instant::now());
            let lines = if stderr { &self.err_lines } else { &self.lines };
            match lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_string();
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no line starting {prefix:?}; the peer said {:?}", self.seen);
                }
            }
        }
    }

    /// Writes `text` to the peer's standard input.
    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write to peer");
        stdin.flush().expect("flush to peer");
    }

    /// Closes standard input and waits for the peer to end (killing it if it
    /// runs too long); returns whether it succeeded, and its standard error.
    fn finish(mut self) -> (bool, String) {
        drop(self.stdin.take());
        let limit = self.started + PROMPT * 3;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > limit {
                let _ = self.child.kill();
                break self.child.wait().expect("wait");
            }
            thread::sleep(Duration::from_millis(10));
        };
        (status.success(), self.stderr.join().expect("stderr thread"))
    }
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

/// Python's message for an exception, `Class: message`, without OpenSSL's
/// source position (` (_ssl.c:1006)`).
fn python_message(line: &str) -> String {
    match line.rfind(" (_ssl.c:") {
        Some(at) if line.ends_with(')') => line[..at].to_string(),
        _ => line.to_string(),
    }
}

/// Ours, in the same form: the `Debug` line without the `ssl.` module.
fn our_message(err: &Error) -> String {
    let line = format!("{err:?}");
    line.strip_prefix("ssl.").unwrap_or(&line).to_string()
}

const PYTHON_SERVER: &str = r#"
import socket, ssl, sys
cert, key, mode = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if mode == 'tls12':
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if mode == 'alpn':
    ctx.set_alpn_protocols(['h2', 'http/1.1'])
if mode == 'clientcert':
    ctx.load_verify_locations(sys.argv[4])
    ctx.verify_mode = ssl.CERT_REQUIRED
srv = socket.create_server(('127.0.0.1', 0))
srv.settimeout(10)
print('port', srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.settimeout(10)
try:
    tls = ctx.wrap_socket(conn, server_side=True)
    print('version', tls.version(), flush=True)
    print('cipher', *tls.cipher(), flush=True)
    print('alpn', tls.selected_alpn_protocol(), flush=True)
    print('peercert', len(tls.getpeercert(binary_form=True) or b''), flush=True)
    data = tls.recv(1024)
    tls.sendall(data.upper())
    plain = tls.unwrap()
    plain.sendall(b'plain from python')
    print('plain', plain.recv(1024).decode(), flush=True)
    plain.close()
except Exception as e:
    print(f'error {type(e).__name__}: {e}', flush=True)
"#;

const PYTHON_CLIENT: &str = r#"
import socket, ssl, sys
port, ca, host, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
if mode == 'clientcert':
    ctx.load_cert_chain(sys.argv[5], sys.argv[6])
if mode == 'alpn':
    ctx.set_alpn_protocols(['http/1.1', 'h2'])
if mode == 'tls12':
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sock = socket.create_connection(('127.0.0.1', port), timeout=10)
try:
    tls = ctx.wrap_socket(sock, server_hostname=host)
    print('version', tls.version(), flush=True)
    print('cipher', *tls.cipher(), flush=True)
    print('alpn', tls.selected_alpn_protocol(), flush=True)
    tls.sendall(b'hello from python')
    print('reply', tls.recv(1024).decode(), flush=True)
    print('eof', tls.recv(1024) == b'', flush=True)
except Exception as e:
    print(f'error {type(e).__name__}: {e}', flush=True)
"#;

/// Starts the Python server script; `None` without python3.
fn python_server(pki: &Pki, mode: &str) -> Option<(Peer, Address)> {
    let mut args = vec![
        "-c",
        PYTHON_SERVER,
        path(&pki.server_cert),
        path(&pki.server_key),
        mode,
    ];
    if mode == "clientcert" {
        args.push(path(&pki.ca));
    }
    let mut peer = Peer::start("python3", &args)?;
    let port: u16 = peer.line("port ").parse().expect("a port");
    Some((
        peer,
        Address::from(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
    ))
}

/// A Rust TLS server for one connection: the handshake's result goes to
/// `handle`.
fn rust_server<T: Send + 'static>(
    ctx: SslContext,
    handle: impl FnOnce(pysocket::Result<SslSocket>) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let listener = create_server(("127.0.0.1", 0)).expect("create_server");
    listener.settimeout(Some(PROMPT)).expect("settimeout");
    let port = listener
        .getsockname()
        .expect("getsockname")
        .port()
        .expect("port");
    let server = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        conn.settimeout(Some(PROMPT)).expect("settimeout");
        handle(ctx.wrap_socket(conn, true, None))
    });
    (port, server)
}

/// Answers one message in upper case, then closes with close_notify.
fn upper_echo(tls: pysocket::Result<SslSocket>) -> pysocket::Result<SslSocket> {
    let tls = tls?;
    let data = tls.recv(1024)?;
    tls.sendall(&data.to_ascii_uppercase())?;
    Ok(tls)
}

/// Our (version, cipher) as Python prints them.
fn our_view(tls: &SslSocket) -> (String, String) {
    let (name, protocol, bits) = tls.cipher().expect("a cipher");
    (
        tls.version().expect("a version"),
        format!("{name} {protocol} {bits}"),
    )
}

#[test]
fn python_server_and_rust_client_agree_then_unwrap() -> TestResult {
    let pki = Pki::new();
    for mode in ["plain", "tls12", "alpn"] {
        let Some((mut python, addr)) = python_server(&pki, mode) else {
            return Ok(());
        };
        let mut ctx = pki.client_context();
        if mode == "alpn" {
            ctx.set_alpn_protocols(&["http/1.1", "h2"])?;
        }
        let tls = ctx.wrap_socket(
            create_connection(&addr, Some(PROMPT))?,
            false,
            Some("localhost"),
        )?;
        let (version, cipher) = our_view(&tls);
        assert_eq!(python.line("version "), version);
        assert_eq!(python.line("cipher "), cipher);
        let expected_version = if mode == "tls12" {
            "TLSv1.2"
        } else {
            "TLSv1.3"
        };
        assert_eq!(version, expected_version);
        let alpn = python.line("alpn ");
        if mode == "alpn" {
            // OpenSSL's server picks by its own order, as rustls's does.
            assert_eq!(alpn, "h2");
            assert_eq!(tls.selected_alpn_protocol().as_deref(), Some("h2"));
        } else {
            assert_eq!(alpn, "None");
        }
        assert_eq!(python.line("peercert "), "0");
        tls.sendall(b"hello python")?;
        assert_eq!(tls.recv(1024)?, b"HELLO PYTHON");
        // Python unwraps after its answer; so do we, and go on in plain.
        let plain = tls.unwrap()?;
        assert_eq!(plain.recv(1024)?, b"plain from python");
        plain.sendall(b"plain from rust")?;
        assert_eq!(python.line("plain "), "plain from rust");
        let (ok, stderr) = python.finish();
        assert!(ok, "python failed: {stderr}");
    }
    Ok(())
}

#[test]
fn rust_server_and_python_client_agree() -> TestResult {
    let pki = Pki::new();
    for mode in ["plain", "tls12", "alpn", "clientcert"] {
        let mut ctx = pki.server_context();
        match mode {
            "tls12" => ctx.set_maximum_version(TlsVersion::TLSv1_2),
            "alpn" => ctx.set_alpn_protocols(&["h2", "http/1.1"])?,
            "clientcert" => {
                ctx.load_verify_locations(&pki.ca)?;
                ctx.set_verify_mode(CERT_REQUIRED);
            }
            _ => {}
        }
        let (port, server) = rust_server(ctx, |tls| {
            let tls = upper_echo(tls)?;
            let seen = (
                our_view(&tls),
                tls.selected_alpn_protocol(),
                tls.getpeercert_der(),
            );
            tls.close()?;
            Ok::<_, Error>(seen)
        });
        let port = port.to_string();
        let mut args = vec!["-c", PYTHON_CLIENT, &port, path(&pki.ca), "localhost", mode];
        if mode == "clientcert" {
            args.extend([path(&pki.client_cert), path(&pki.client_key)]);
        }
        let Some(mut python) = Peer::start("python3", &args) else {
            // Unblock the server, which waits for a client.
            drop(create_connection(
                ("127.0.0.1", port.parse::<u16>()?),
                Some(PROMPT),
            ));
            let _ = server.join();
            return Ok(());
        };
        let version = python.line("version ");
        let cipher = python.line("cipher ");
        let alpn = python.line("alpn ");
        assert_eq!(python.line("reply "), "HELLO FROM PYTHON");
        assert_eq!(
            python.line("eof "),
            "True",
            "our close_notify reads as the end"
        );
        let ((our_version, our_cipher), our_alpn, peer_cert) = server.join().unwrap()?;
        assert_eq!(version, our_version);
        assert_eq!(cipher, our_cipher);
        assert_eq!(alpn, our_alpn.unwrap_or_else(|| "None".to_string()));
        assert_eq!(
            peer_cert,
            (mode == "clientcert").then(|| pki.client_der.clone())
        );
        if mode == "alpn" {
            assert_eq!(alpn, "h2");
        }
        let (ok, stderr) = python.finish();
        assert!(ok, "python failed: {stderr}");
    }
    Ok(())
}

/// A refused certificate reads the same, class and message, on both sides,
/// from Python's ssl and from ours.
#[test]
fn refusals_read_as_pythons() -> TestResult {
    let pki = Pki::new();
    // (server certificate, CA the client trusts, name the client asks for)
    let cases = [
        (&pki.server_cert, &pki.server_key, &pki.ca, "example.com"),
        (&pki.rogue_cert, &pki.rogue_key, &pki.ca, "localhost"),
    ];
    for (cert, key, ca, host) in cases {
        let server_ctx = || {
            let mut ctx = SslContext::new(PROTOCOL_TLS_SERVER);
            ctx.load_cert_chain(cert, Some(key)).expect("chain");
            ctx
        };
        // Python's client against our server.
        let (port, server) = rust_server(server_ctx(), |tls| tls.map(drop));
        let port_text = port.to_string();
        let Some(mut python) = Peer::start(
            "python3",
            &["-c", PYTHON_CLIENT, &port_text, path(ca), host, "plain"],
        ) else {
            drop(create_connection(("127.0.0.1", port), Some(PROMPT)));
            let _ = server.join();
            return Ok(());
        };
        let python_client = python_message(&python.line("error "));
        let rust_server_err = server.join().unwrap().unwrap_err();
        python.finish();

        // Our client against our server.
        let mut client_ctx = SslContext::new(pysocket::ssl::PROTOCOL_TLS_CLIENT);
        client_ctx.load_verify_locations(ca)?;
        let (port, server) = rust_server(server_ctx(), |tls| tls.map(drop));
        let sock = create_connection(("127.0.0.1", port), Some(PROMPT))?;
        let rust_client_err = client_ctx.wrap_socket(sock, false, Some(host)).unwrap_err();
        let _ = server.join().unwrap();
        assert_eq!(our_message(&rust_client_err), python_client);

        // Our client against Python's server (mode "plain" with the same
        // certificate): Python's server hears of the refusal as we do.
        let Some(mut python) = Peer::start(
            "python3",
            &["-c", PYTHON_SERVER, path(cert), path(key), "plain"],
        ) else {
            return Ok(());
        };
        let port: u16 = python.line("port ").parse()?;
        let sock = create_connection(("127.0.0.1", port), Some(PROMPT))?;
        assert!(client_ctx.wrap_socket(sock, false, Some(host)).is_err());
        let python_server = python_message(&python.line("error "));
        python.finish();
        assert_eq!(our_message(&rust_server_err), python_server, "{host}");
    }
    Ok(())
}

#[test]
fn openssl_s_server_and_rust_client() -> TestResult {
    let pki = Pki::new();
    for tls12 in [false, true] {
        let mut args = vec![
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            path(&pki.server_cert),
            "-key",
            path(&pki.server_key),
            "-naccept",
            "1",
            "-rev",
            // Ask for our client certificate, and check it.
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            path(&pki.ca),
        ];
        if tls12 {
            args.push("-tls1_2");
        }
        let Some(mut openssl) = Peer::start("openssl", &args) else {
            return Ok(());
        };
        let accept = openssl.line("ACCEPT ");
        let port: u16 = accept.rsplit(':').next().expect("a port").parse()?;
        let mut ctx = pki.client_context();
        ctx.load_cert_chain(&pki.client_cert, Some(&pki.client_key))?;
        let sock = create_connection(("127.0.0.1", port), Some(PROMPT))?;
        let tls = ctx.wrap_socket(sock, false, Some("localhost"))?;
        let (version, _) = our_view(&tls);
        let (name, _, _) = tls.cipher().expect("a cipher");
        // -rev: each line comes back reversed.
        tls.sendall(b"hello openssl\n")?;
        let mut reply = Vec::new();
        while !reply.ends_with(b"\n") {
            let data = tls.recv(1024)?;
            assert!(!data.is_empty(), "openssl closed early: {reply:?}");
            reply.extend(data);
        }
        assert_eq!(reply, b"lssnepo olleh\n");
        assert_eq!(version, if tls12 { "TLSv1.2" } else { "TLSv1.3" });
        tls.close()?;
        let (ok, stderr) = openssl.finish();
        assert!(ok, "s_server failed: {stderr}");
        // s_server's report of the connection (on its standard error): it
        // names the version and the suite as we do.
        let report: Vec<&str> = stderr.lines().collect();
        assert!(
            report.contains(&&*format!("Protocol version: {version}")),
            "{stderr}"
        );
        assert!(
            report.contains(&&*format!("Ciphersuite: {name}")),
            "{stderr}"
        );
    }
    Ok(())
}

#[test]
fn openssl_s_client_and_rust_server() -> TestResult {
    let pki = Pki::new();
    for tls12 in [false, true] {
        let mut ctx = pki.server_context();
        if tls12 {
            ctx.set_maximum_version(TlsVersion::TLSv1_2);
        }
        let (port, server) = rust_server(ctx, |tls| {
            let tls = tls?;
            tls.sendall(b"hello from rust\n")?;
            let mut file = tls.makefile();
            for _ in 0..2 {
                let mut line = String::new();
                file.read_line(&mut line)?;
                file.write_all(format!("you said {line}").as_bytes())?;
                file.flush()?;
            }
            drop(file);
            let cipher = tls.cipher();
            tls.close()?;
            Ok::<_, Error>(cipher)
        });
        let connect = format!("127.0.0.1:{port}");
        let Some(mut openssl) = Peer::start(
            "openssl",
            &[
                "s_client",
                "-connect",
                &connect,
                "-CAfile",
                path(&pki.ca),
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
                "-verify_return_error",
                "-no_ign_eof",
            ],
        ) else {
            drop(create_connection(("127.0.0.1", port), Some(PROMPT)));
            let _ = server.join();
            return Ok(());
        };
        // s_client's summary of the session, then what the server said.
        let summary = openssl.line("New, ");
        assert_eq!(openssl.line("hello from "), "rust");
        openssl.write("ping\n");
        assert_eq!(openssl.line("you said "), "ping");
        if !tls12 {
            // s_client's "K": a TLS 1.3 KeyUpdate that asks for ours in
            // return. Our reader answers it; then both sides use new keys.
            // (A "K" sent as data would come back as "you said K".) It must
            // be read alone: s_client drops what follows it in one read.
            openssl.write("K\n");
            openssl.err_line("KEYUPDATE");
        }
        openssl.write("pong\n");
        assert_eq!(openssl.line("you said "), "pong");
        let (name, protocol, _) = server.join().unwrap()?.expect("a cipher");
        // s_client names the suite as we (and Python) do.
        assert_eq!(summary, format!("{protocol}, Cipher is {name}"));
        assert_eq!(protocol, if tls12 { "TLSv1.2" } else { "TLSv1.3" });
        let (ok, stderr) = openssl.finish();
        assert!(ok, "s_client failed: {stderr}");
    }
    Ok(())
}
