//! `pysocket::ssl`: TLS between Rust clients and servers over loopback, with
//! a PKI made at test time. Verification (hostnames, unknown CAs, CERT_NONE,
//! client certificates), the three timeout modes, a full-duplex connection
//! shared by two threads, makefile, unwrap, and bad input of every kind.
#![cfg(feature = "ssl")]

mod common;

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::pki::Pki;
use common::{assert_timed_out, data, PROMPT};
use pysocket::ssl::{
    SslContext, SslError, SslSocket, TlsVersion, CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED,
    PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER,
};
use pysocket::{
    create_connection, create_server, socketpair, Address, Error, Shutdown, Socket, AF_INET,
    AF_INET6, SOCK_DGRAM,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A timeout for the calls meant to time out.
const SHORT: Duration = Duration::from_millis(300);

/// A listening socket on the loopback address of `family`, accepting for at
/// most [`PROMPT`].
fn listener_on(host: &str) -> (Socket, Address) {
    let listener = create_server((host, 0)).expect("create_server");
    listener.settimeout(Some(PROMPT)).expect("settimeout");
    let addr = listener.getsockname().expect("getsockname");
    (listener, addr)
}

/// A TLS server for one connection on 127.0.0.1: accepts, wraps with `ctx`
/// (the connection in timeout mode with [`PROMPT`]), and hands the result
/// of the handshake to `handle`, in a thread that ends with it.
fn serve_one<T: Send + 'static>(
    ctx: SslContext,
    handle: impl FnOnce(pysocket::Result<SslSocket>) -> T + Send + 'static,
) -> (Address, JoinHandle<T>) {
    serve_one_on("127.0.0.1", ctx, handle)
}

fn serve_one_on<T: Send + 'static>(
    host: &str,
    ctx: SslContext,
    handle: impl FnOnce(pysocket::Result<SslSocket>) -> T + Send + 'static,
) -> (Address, JoinHandle<T>) {
    let (listener, addr) = listener_on(host);
    let server = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        conn.settimeout(Some(PROMPT)).expect("settimeout");
        handle(ctx.wrap_socket(conn, true, None))
    });
    (addr, server)
}

/// A client connection to `addr` in timeout mode with [`PROMPT`], wrapped
/// with `ctx` for `hostname`.
fn connect(
    ctx: &SslContext,
    addr: &Address,
    hostname: Option<&str>,
) -> pysocket::Result<SslSocket> {
    let sock = create_connection(addr, Some(PROMPT))?;
    ctx.wrap_socket(sock, false, hostname)
}

/// Echoes everything until the end of the stream, then closes.
fn echo(tls: pysocket::Result<SslSocket>) -> pysocket::Result<usize> {
    let tls = tls?;
    let mut total = 0;
    loop {
        let data = tls.recv(65536)?;
        if data.is_empty() {
            tls.close()?;
            return Ok(total);
        }
        total += data.len();
        tls.sendall(&data)?;
    }
}

/// Reads until `len` bytes came, or the end of the stream.
fn read_exactly(tls: &SslSocket, len: usize) -> pysocket::Result<Vec<u8>> {
    let mut got = Vec::with_capacity(len);
    while got.len() < len {
        let data = tls.recv(len - got.len())?;
        if data.is_empty() {
            break;
        }
        got.extend_from_slice(&data);
    }
    Ok(got)
}

/// The message of a certificate refused, or a panic that shows the error.
fn verification_message(err: &Error) -> &str {
    match err {
        Error::Ssl(SslError::CertVerification { message }) => message,
        other => panic!("expected a certificate verification error, got {other:?}"),
    }
}

#[test]
fn client_and_server_talk_over_tcp_on_both_families() -> TestResult {
    let pki = Pki::new();
    for (host, hostname) in [
        ("127.0.0.1", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
    ] {
        let (addr, server) = serve_one_on(host, pki.server_context(), |tls| {
            let tls = tls?;
            let seen = (tls.version(), tls.cipher(), tls.getpeercert_der());
            let data = tls.recv(1024)?;
            tls.sendall(&data.to_ascii_uppercase())?;
            tls.close()?;
            Ok::<_, Error>(seen)
        });
        let client = connect(&pki.client_context(), &addr, Some(hostname))?;
        assert_eq!(client.server_hostname(), Some(hostname));
        assert_eq!(client.getpeername()?, addr);
        assert_eq!(client.getpeercert_der(), Some(pki.server_der.clone()));
        client.sendall(b"hello over tls")?;
        assert_eq!(client.recv(1024)?, b"HELLO OVER TLS");
        // The server's close_notify: the end of the stream, then more ends.
        assert!(client.recv(1024)?.is_empty());
        assert!(client.recv(1024)?.is_empty());
        let (version, cipher, peer_cert) = server.join().unwrap()?;
        assert_eq!(version.as_deref(), Some("TLSv1.3"));
        assert_eq!(version, client.version());
        assert_eq!(cipher, client.cipher());
        assert_eq!(
            peer_cert, None,
            "the server asked for no client certificate"
        );
        let family = if host == "::1" { AF_INET6 } else { AF_INET };
        assert_eq!(client.get_ref().family(), family);
        assert!(
            client.to_string().starts_with("<ssl.SSLSocket fd="),
            "{client}"
        );
    }
    Ok(())
}

#[test]
fn a_name_the_certificate_does_not_hold_fails_verification() -> TestResult {
    let pki = Pki::new();
    for (hostname, expected) in [
        (
            "example.com",
            "Hostname mismatch, certificate is not valid for 'example.com'.",
        ),
        (
            "127.0.0.2",
            "IP address mismatch, certificate is not valid for '127.0.0.2'.",
        ),
    ] {
        let (addr, server) = serve_one(pki.server_context(), |tls| tls.map(drop));
        let err = connect(&pki.client_context(), &addr, Some(hostname)).unwrap_err();
        assert_eq!(verification_message(&err), expected);
        assert_eq!(
            format!("{err:?}"),
            format!(
                "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] \
                 certificate verify failed: {expected}"
            )
        );
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(err.errno(), None);
        // The client told the server why, with an alert.
        let server_err = server.join().unwrap().unwrap_err();
        assert!(
            matches!(&server_err, Error::Ssl(SslError::Protocol(m)) if m.contains("ALERT")),
            "{server_err:?}"
        );
    }
    Ok(())
}

#[test]
fn a_certificate_from_an_unknown_ca_fails_verification() -> TestResult {
    let pki = Pki::new();
    let mut rogue = SslContext::new(PROTOCOL_TLS_SERVER);
    rogue.load_cert_chain(&pki.rogue_cert, Some(&pki.rogue_key))?;
    let (addr, server) = serve_one(rogue, |tls| tls.map(drop));
    let err = connect(&pki.client_context(), &addr, Some("localhost")).unwrap_err();
    assert_eq!(
        verification_message(&err),
        "unable to get local issuer certificate"
    );
    let server_err = server.join().unwrap().unwrap_err();
    assert_eq!(
        server_err.to_string(),
        "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"
    );
    assert_eq!(
        format!("{server_err:?}"),
        format!("ssl.SSLError: {server_err}")
    );

    // A client that trusts no CA at all refuses even the good server.
    let (addr, server) = serve_one(pki.server_context(), |tls| tls.map(drop));
    let err = connect(
        &SslContext::new(PROTOCOL_TLS_CLIENT),
        &addr,
        Some("localhost"),
    )
    .unwrap_err();
    assert_eq!(
        verification_message(&err),
        "unable to get local issuer certificate"
    );
    assert!(server.join().unwrap().is_err());
    Ok(())
}

#[test]
fn cert_none_and_check_hostname_turn_verification_off_in_parts() -> TestResult {
    let pki = Pki::new();
    let rogue = || {
        let mut ctx = SslContext::new(PROTOCOL_TLS_SERVER);
        ctx.load_cert_chain(&pki.rogue_cert, Some(&pki.rogue_key))
            .expect("rogue chain");
        ctx
    };

    // CERT_NONE: any certificate, any name, no server_hostname needed.
    let mut none = pki.client_context();
    none.set_check_hostname(false);
    none.set_verify_mode(CERT_NONE);
    for hostname in [None, Some("example.com")] {
        let (addr, server) = serve_one(rogue(), echo);
        let client = connect(&none, &addr, hostname)?;
        client.sendall(b"anyone")?;
        assert_eq!(client.recv(64)?, b"anyone");
        assert!(client.getpeercert_der().is_some());
        client.close()?;
        assert_eq!(server.join().unwrap()?, 6);
    }

    // check_hostname off, CERT_REQUIRED: a name mismatch passes...
    let mut no_names = pki.client_context();
    no_names.set_check_hostname(false);
    assert_eq!(no_names.verify_mode(), CERT_REQUIRED);
    let (addr, server) = serve_one(pki.server_context(), echo);
    let client = connect(&no_names, &addr, Some("example.com"))?;
    client.close()?;
    server.join().unwrap()?;
    // ...an unknown CA does not.
    let (addr, server) = serve_one(rogue(), |tls| tls.map(drop));
    let err = connect(&no_names, &addr, None).unwrap_err();
    assert_eq!(
        verification_message(&err),
        "unable to get local issuer certificate"
    );
    assert!(server.join().unwrap().is_err());

    // CERT_OPTIONAL on a client is CERT_REQUIRED, as in Python.
    let mut optional = pki.client_context();
    optional.set_verify_mode(CERT_OPTIONAL);
    let (addr, server) = serve_one(rogue(), |tls| tls.map(drop));
    assert!(connect(&optional, &addr, Some("localhost")).is_err());
    assert!(server.join().unwrap().is_err());
    Ok(())
}

#[test]
fn wrap_socket_refuses_what_python_refuses() -> TestResult {
    let pki = Pki::new();
    let pair = || socketpair().expect("socketpair").0;
    let invalid = |result: pysocket::Result<SslSocket>| match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected InvalidArgument, got {other:?}"),
    };

    let client = pki.client_context();
    let server = pki.server_context();
    assert_eq!(
        invalid(client.wrap_socket(pair(), false, None)),
        "check_hostname requires server_hostname"
    );
    assert_eq!(
        invalid(client.wrap_socket(pair(), true, None)),
        "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"
    );
    assert_eq!(
        invalid(server.wrap_socket(pair(), false, Some("localhost"))),
        "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"
    );
    assert_eq!(
        invalid(server.wrap_socket(pair(), true, Some("localhost"))),
        "server_hostname can only be specified in client mode"
    );
    for bad in ["", ".example.com"] {
        assert_eq!(
            invalid(client.wrap_socket(pair(), false, Some(bad))),
            "server_hostname cannot be an empty string or start with a leading dot."
        );
    }
    assert!(invalid(client.wrap_socket(pair(), false, Some("not a name"))).contains("not a name"));
    let mut none_with_names = pki.client_context();
    none_with_names.set_verify_mode(CERT_NONE);
    assert_eq!(
        invalid(none_with_names.wrap_socket(pair(), false, Some("localhost"))),
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled."
    );
    let udp = Socket::new(AF_INET, SOCK_DGRAM)?;
    assert!(invalid(client.wrap_socket(udp, false, Some("localhost"))).contains("SOCK_DGRAM"));
    assert!(
        invalid(SslContext::new(PROTOCOL_TLS_SERVER).wrap_socket(pair(), true, None))
            .contains("load_cert_chain")
    );

    let mut versions = pki.client_context();
    versions.set_minimum_version(TlsVersion::TLSv1_3);
    versions.set_maximum_version(TlsVersion::TLSv1_2);
    let err = versions
        .wrap_socket(pair(), false, Some("localhost"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Ssl(SslError::Protocol(m)) if m.contains("NO_PROTOCOLS_AVAILABLE")),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn a_silent_server_times_the_handshake_out() -> TestResult {
    let (listener, addr) = listener_on("127.0.0.1");
    let (done, finished) = mpsc::channel::<()>();
    // Accepts, then says nothing until the client is done (or PROMPT).
    let silent = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        let _ = finished.recv_timeout(PROMPT);
        drop(conn);
    });
    let pki = Pki::new();
    let sock = create_connection(&addr, Some(PROMPT))?;
    sock.settimeout(Some(SHORT))?;
    let started = Instant::now();
    let result = pki
        .client_context()
        .wrap_socket(sock, false, Some("localhost"));
    let elapsed = started.elapsed();
    assert_timed_out("handshake", &result, SHORT, elapsed, PROMPT / 2);
    drop(done);
    silent.join().unwrap();
    Ok(())
}

#[test]
fn a_silent_client_times_the_server_handshake_out() -> TestResult {
    let pki = Pki::new();
    let (listener, addr) = listener_on("127.0.0.1");
    let client = create_connection(&addr, Some(PROMPT))?;
    let (conn, _) = listener.accept()?;
    conn.settimeout(Some(SHORT))?;
    let started = Instant::now();
    let result = pki.server_context().wrap_socket(conn, true, None);
    assert_timed_out(
        "server handshake",
        &result,
        SHORT,
        started.elapsed(),
        PROMPT / 2,
    );
    drop(client);
    Ok(())
}

/// The first bytes a client sends: its ClientHello, as the wire carries it.
fn client_hello(pki: &Pki) -> Vec<u8> {
    let (listener, addr) = listener_on("127.0.0.1");
    let ctx = pki.client_context();
    let client = thread::spawn(move || {
        let sock = create_connection(&addr, Some(PROMPT)).expect("connect");
        sock.settimeout(Some(Duration::from_secs(2)))
            .expect("settimeout");
        // No one answers: it times out, or ends when the listener side closes.
        let _ = ctx.wrap_socket(sock, false, Some("localhost"));
    });
    let (conn, _) = listener.accept().expect("accept");
    let hello = conn.recv(65536).expect("recv ClientHello");
    drop(conn);
    client.join().unwrap();
    assert_eq!(hello[0], 22, "a handshake record: {hello:?}");
    hello
}

#[test]
fn a_peer_that_stops_mid_handshake_times_out_or_ends_in_eof() -> TestResult {
    let pki = Pki::new();
    let hello = client_hello(&pki);
    let half = &hello[..hello.len() / 2];

    // Half a ClientHello, then silence: a timeout.
    let (listener, addr) = listener_on("127.0.0.1");
    let peer = create_connection(&addr, Some(PROMPT))?;
    let (conn, _) = listener.accept()?;
    peer.sendall(half)?;
    conn.settimeout(Some(SHORT))?;
    let started = Instant::now();
    let result = pki.server_context().wrap_socket(conn, true, None);
    assert_timed_out(
        "half a hello",
        &result,
        SHORT,
        started.elapsed(),
        PROMPT / 2,
    );

    // Half a ClientHello, then a close: SSLEOFError.
    let peer = create_connection(&addr, Some(PROMPT))?;
    let (conn, _) = listener.accept()?;
    conn.settimeout(Some(PROMPT))?;
    peer.sendall(half)?;
    peer.shutdown(Shutdown::Write)?;
    let err = pki
        .server_context()
        .wrap_socket(conn, true, None)
        .unwrap_err();
    assert!(matches!(err, Error::Ssl(SslError::Eof)), "{err:?}");
    let message = "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol";
    assert_eq!(err.to_string(), message);
    assert_eq!(format!("{err:?}"), format!("ssl.SSLEOFError: {message}"));
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);

    // A server that closes at once: the client's handshake ends in EOF too.
    let client = create_connection(&addr, Some(PROMPT))?;
    drop(listener.accept()?);
    let err = pki
        .client_context()
        .wrap_socket(client, false, Some("localhost"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Ssl(SslError::Eof))
            || err.kind() == std::io::ErrorKind::ConnectionReset,
        "{err:?}"
    );
    Ok(())
}

#[test]
fn a_close_notify_during_the_handshake_is_zero_return() -> TestResult {
    let pki = Pki::new();
    let (listener, addr) = listener_on("127.0.0.1");
    let peer = create_connection(&addr, Some(PROMPT))?;
    let (conn, _) = listener.accept()?;
    conn.settimeout(Some(PROMPT))?;
    // A plaintext alert record: fatal, close_notify. The TCP connection
    // stays open: the handshake must end on the alert, not on a timeout.
    // (rustls ignores an unauthenticated close_notify at the warning level,
    // the usual one: the handshake then ends at the TCP close, SSLEOFError.)
    peer.sendall(&[21, 3, 3, 0, 2, 2, 0])?;
    let started = Instant::now();
    let err = pki
        .server_context()
        .wrap_socket(conn, true, None)
        .unwrap_err();
    assert!(started.elapsed() < PROMPT / 2, "it waited for more");
    assert!(matches!(err, Error::Ssl(SslError::ZeroReturn)), "{err:?}");
    assert_eq!(
        format!("{err:?}"),
        "ssl.SSLZeroReturnError: TLS/SSL connection has been closed (EOF)"
    );
    drop(peer);
    Ok(())
}

/// Reads what `from` holds until it has been quiet for a moment, or ended.
fn read_flight(from: &Socket) -> Vec<u8> {
    from.settimeout(Some(Duration::from_millis(100)))
        .expect("settimeout");
    let mut flight = Vec::new();
    loop {
        match from.recv(65536) {
            Ok(data) if data.is_empty() => return flight,
            Ok(data) => flight.extend(data),
            Err(err) if err.is_timeout() && !flight.is_empty() => return flight,
            Err(err) if err.is_timeout() => {}
            Err(err) => panic!("relay read: {err}"),
        }
    }
}

/// A client that hangs up as soon as its own handshake is over: the TLS 1.3
/// server cannot send its session tickets, yet its handshake succeeds, and
/// the connection reads as ended. The test carries every byte between the
/// two, so that the client is gone before the server reads its Finished.
#[test]
fn a_client_that_hangs_up_at_once_does_not_fail_the_servers_handshake() -> TestResult {
    let pki = Pki::new();
    let (client_end, to_client) = socketpair()?;
    let (server_end, to_server) = socketpair()?;
    client_end.settimeout(Some(PROMPT))?;
    server_end.setblocking(false)?;
    let client_ctx = pki.client_context();
    let client = thread::spawn(move || {
        client_ctx
            .wrap_socket(client_end, false, Some("localhost"))
            .map(drop)
    });
    let server = pki.server_context().wrap_socket(server_end, true, None)?;
    // ClientHello in; the server's flight out.
    to_server.sendall(&read_flight(&to_client))?;
    assert!(server.do_handshake().unwrap_err().is_would_block());
    to_client.sendall(&read_flight(&to_server))?;
    // The client finishes and hangs up; only then does its Finished (and
    // its close_notify) reach the server, whose peer is gone.
    client.join().unwrap()?;
    to_server.sendall(&read_flight(&to_client))?;
    drop(to_server);
    server.do_handshake()?;
    assert_eq!(server.version().as_deref(), Some("TLSv1.3"));
    server.settimeout(Some(PROMPT))?;
    assert!(server.recv(1024)?.is_empty());
    Ok(())
}

#[test]
fn a_plain_tcp_peer_that_sends_garbage_is_refused_at_once() -> TestResult {
    let pki = Pki::new();
    // A plain HTTP client at a TLS server: refused without waiting for more.
    let (listener, addr) = listener_on("127.0.0.1");
    let http = create_connection(&addr, Some(PROMPT))?;
    let (conn, _) = listener.accept()?;
    conn.settimeout(Some(PROMPT))?;
    http.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    let started = Instant::now();
    let err = pki
        .server_context()
        .wrap_socket(conn, true, None)
        .unwrap_err();
    assert!(started.elapsed() < PROMPT / 2, "it waited for more garbage");
    assert!(
        matches!(&err, Error::Ssl(SslError::Protocol(m)) if m.contains("speaking TLS")),
        "{err:?}"
    );
    // The peer got a TLS alert, then the end.
    let mut answer = Vec::new();
    loop {
        match http.recv(1024) {
            Ok(data) if data.is_empty() => break,
            Ok(data) => answer.extend(data),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e.into()),
        }
    }
    assert_eq!(answer.first(), Some(&21), "an alert record: {answer:?}");

    // A TLS client at a plain server that answers in HTTP.
    let plain = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("accept");
        let _ = conn.recv(65536);
        let _ = conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        let _ = conn.recv(65536);
    });
    let err = connect(&pki.client_context(), &addr, Some("localhost")).unwrap_err();
    assert!(matches!(&err, Error::Ssl(SslError::Protocol(_))), "{err:?}");
    plain.join().unwrap();
    Ok(())
}

#[test]
fn reads_time_out_or_would_block_and_lose_nothing() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();

    client.settimeout(Some(SHORT))?;
    let started = Instant::now();
    let result = client.recv(1024);
    assert_timed_out("recv", &result, SHORT, started.elapsed(), PROMPT / 2);
    assert!(result.unwrap_err().is_timeout());

    client.setblocking(false)?;
    assert!(!client.getblocking());
    let err = client.recv(1024).unwrap_err();
    assert!(err.is_would_block(), "{err:?}");
    assert_eq!(client.gettimeout(), Some(Duration::ZERO));

    // Data that comes afterwards is read whole, in every mode.
    server.sendall(b"after the wait")?;
    let give_up = Instant::now() + PROMPT;
    let data = loop {
        match client.recv(1024) {
            Ok(data) => break data,
            Err(err) if err.is_would_block() && Instant::now() < give_up => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(err) => return Err(err.into()),
        }
    };
    assert_eq!(data, b"after the wait");
    client.settimeout(Some(PROMPT))?;
    server.sendall(b"and more")?;
    assert_eq!(client.recv(1024)?, b"and more");

    // pending(): what a record brought and a recv left.
    server.sendall(b"0123456789")?;
    assert_eq!(client.recv(4)?, b"0123");
    assert_eq!(client.pending(), 6);
    let mut rest = [0u8; 16];
    assert_eq!(client.recv_into(&mut rest)?, 6);
    assert_eq!(&rest[..6], b"456789");
    assert_eq!(client.pending(), 0);
    assert_eq!(client.recv(0)?, b"");
    assert_eq!(client.recv_into(&mut [])?, 0);
    Ok(())
}

#[test]
fn sendall_has_one_deadline_and_send_retries_do_not_repeat() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();

    // Nobody reads: sendall of far more than the buffers hold times out
    // once, after its one timeout, not one per send.
    client.settimeout(Some(SHORT))?;
    let big = data::payload(32 << 20, 1);
    let started = Instant::now();
    let result = client.sendall(&big);
    assert_timed_out("sendall", &result, SHORT, started.elapsed(), PROMPT / 2);
    drop(client);
    drop(server);

    // Non-blocking: send until WouldBlock, retry the same data as Python
    // asks, and the reader gets every byte once.
    let (client, server) = pki.tls_pair();
    let total = 8 << 20;
    let payload = data::payload(total, 2);
    let (report, reports) = mpsc::channel();
    let reader = thread::spawn(move || {
        server.settimeout(Some(PROMPT)).expect("settimeout");
        // Let the writer fill the buffers first.
        thread::sleep(Duration::from_millis(200));
        let got = read_exactly(&server, total);
        report.send(()).expect("report");
        got
    });
    client.setblocking(false)?;
    let mut sent = 0;
    let mut would_block = 0;
    let give_up = Instant::now() + PROMPT * 3;
    while sent < total {
        assert!(Instant::now() < give_up, "sent only {sent} of {total}");
        match client.send(&payload[sent..]) {
            Ok(n) => sent += n,
            Err(err) if err.is_would_block() => {
                would_block += 1;
                pysocket::select(&[] as &[&SslSocket], &[&client], &[], Some(PROMPT))?;
            }
            Err(err) => return Err(err.into()),
        }
    }
    assert!(would_block > 0, "the buffers never filled");
    let got = reports
        .recv_timeout(PROMPT * 3)
        .map(|()| reader.join().unwrap())?;
    let got = got?;
    assert_eq!(got.len(), total);
    assert!(got == payload, "bytes lost, repeated or reordered");
    Ok(())
}

#[test]
fn a_sendall_waits_for_a_late_reader_and_what_a_timeout_left_goes_first() -> TestResult {
    let pki = Pki::new();
    // A writer alone, and one whose socket has a reader in a call (records
    // then leave rustls before they are sent).
    for reading in [false, true] {
        let (client, server) = pki.tls_pair();
        let client = Arc::new(client);
        let own_reader = reading.then(|| {
            let client = Arc::clone(&client);
            thread::spawn(move || -> pysocket::Result<Vec<u8>> {
                let give_up = Instant::now() + PROMPT * 2;
                loop {
                    match client.recv(16) {
                        Err(err) if err.is_timeout() && Instant::now() < give_up => {}
                        other => return other,
                    }
                }
            })
        });
        thread::sleep(Duration::from_millis(50));

        // Nobody reads: the sendall times out with records made and not
        // all sent, the last perhaps in part.
        client.settimeout(Some(SHORT))?;
        let big = data::payload(32 << 20, 3);
        let err = client.sendall(&big).unwrap_err();
        assert!(err.is_timeout(), "{err:?}");

        // A reader that starts late: the next sendall finds the socket
        // full, waits for it within its timeout, and sends what the first
        // left before its own data.
        let tail = data::payload(4 << 20, 4);
        let reader = thread::spawn(move || -> pysocket::Result<Vec<u8>> {
            server.settimeout(Some(PROMPT))?;
            thread::sleep(Duration::from_millis(200));
            let mut got = Vec::new();
            loop {
                let data = server.recv(65536)?;
                if data.is_empty() {
                    server.sendall(b"bye")?;
                    return Ok(got);
                }
                got.extend(data);
            }
        });
        client.settimeout(Some(PROMPT))?;
        client.sendall(&tail)?;
        client.shutdown(Shutdown::Write)?;
        let got = reader.join().unwrap()?;
        assert!(got.len() > tail.len(), "got {} bytes", got.len());
        let (head, end) = got.split_at(got.len() - tail.len());
        assert!(end == tail, "the second sendall's data, whole and last");
        assert!(big.starts_with(head), "the first's, in order and once");
        if let Some(own_reader) = own_reader {
            assert_eq!(own_reader.join().unwrap()?, b"bye");
        }
    }
    Ok(())
}

#[test]
fn one_thread_reads_while_another_writes() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    // Both ends write far more than the socket buffers hold while they
    // read: a lock held across a wait would deadlock them.
    let total = 16 << 20;
    let run = |tls: SslSocket, seed: u64, peer_seed: u64| {
        let tls = Arc::new(tls);
        tls.settimeout(Some(PROMPT)).expect("settimeout");
        let reader = Arc::clone(&tls);
        let reading = thread::spawn(move || {
            let mut digest = data::Digest::new();
            let mut left = total;
            while left > 0 {
                let data = reader.recv(65536)?;
                if data.is_empty() {
                    break;
                }
                left -= data.len();
                digest.update(&data);
            }
            Ok::<_, Error>(digest.finish())
        });
        let writer = Arc::clone(&tls);
        let writing = thread::spawn(move || {
            let mut stream = data::Stream::new(seed);
            let mut left = total;
            while left > 0 {
                let chunk = stream.take(left.min(100_000));
                writer.sendall(&chunk)?;
                left -= chunk.len();
            }
            Ok::<_, Error>(())
        });
        (reading, writing, data::Digest::of_stream(total, peer_seed))
    };
    let (client_reads, client_writes, client_expects) = run(client, 10, 20);
    let (server_reads, server_writes, server_expects) = run(server, 20, 10);
    client_writes.join().unwrap()?;
    server_writes.join().unwrap()?;
    assert_eq!(client_reads.join().unwrap()?, client_expects);
    assert_eq!(server_reads.join().unwrap()?, server_expects);
    Ok(())
}

#[test]
fn a_reader_blocked_without_timeout_does_not_stall_the_writer() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    let client = Arc::new(client);
    let reader = Arc::clone(&client);
    // Blocking mode, no timeout: the reader waits until the end.
    let reading = thread::spawn(move || reader.recv(1024));
    thread::sleep(Duration::from_millis(50));
    server.settimeout(Some(PROMPT))?;
    for i in 0..100u32 {
        let line = format!("message {i}\n");
        client.sendall(line.as_bytes())?;
        assert_eq!(read_exactly(&server, line.len())?, line.as_bytes());
    }
    server.sendall(b"wake up")?;
    assert_eq!(reading.join().unwrap()?, b"wake up");
    Ok(())
}

#[test]
fn the_end_of_the_stream_reads_as_empty_with_or_without_close_notify() -> TestResult {
    let pki = Pki::new();
    // close(): close_notify.
    let (client, server) = pki.tls_pair();
    server.settimeout(Some(PROMPT))?;
    client.sendall(b"last words")?;
    client.close()?;
    assert_eq!(server.recv(1024)?, b"last words");
    assert!(server.recv(1024)?.is_empty());

    // Drop: close_notify as well.
    let (client, server) = pki.tls_pair();
    server.settimeout(Some(PROMPT))?;
    drop(client);
    assert!(server.recv(1024)?.is_empty());

    // A TCP close without close_notify: empty all the same
    // (suppress_ragged_eofs=True).
    let (client, server) = pki.tls_pair();
    server.settimeout(Some(PROMPT))?;
    client.sendall(b"cut")?;
    client.shutdown(Shutdown::Write)?;
    assert_eq!(server.recv(1024)?, b"cut");
    assert!(server.recv(1024)?.is_empty());
    assert!(server.recv(1024)?.is_empty());
    // The server can still write to a half-closed peer.
    server.sendall(b"still here")?;
    client.settimeout(Some(PROMPT))?;
    assert_eq!(client.recv(1024)?, b"still here");
    Ok(())
}

#[test]
fn makefile_reads_lines_and_keeps_what_a_timeout_interrupted() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    server.settimeout(Some(SHORT))?;
    let mut reader = server.makefile();
    let mut writer = client.makefile();

    writer.write_all(b"first line\nsecond ")?;
    writer.flush()?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    assert_eq!(line, "first line\n");
    line.clear();
    let err = reader.read_line(&mut line).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert!(Error::from(err).is_timeout());
    writer.write_all(b"line\r\nthird\n")?;
    drop(writer); // flushes
    reader.read_text_line(&mut line)?;
    assert_eq!(line, "second line\n");
    assert_eq!(reader.readline(3)?, b"thi");
    assert_eq!(reader.readline(usize::MAX)?, b"rd\n");

    // A large write goes straight out, and reads back whole.
    let big = data::payload(1 << 20, 3);
    server.settimeout(Some(PROMPT))?;
    let mut got = vec![0u8; big.len()];
    thread::scope(|scope| -> std::io::Result<()> {
        let sending = scope.spawn(|| {
            let mut file = client.makefile();
            file.write_all(&big)?;
            file.flush()
        });
        std::io::Read::read_exact(&mut reader, &mut got)?;
        sending.join().unwrap()
    })?;
    assert!(got == big);
    client.close()?;
    assert!(reader.fill_buf()?.is_empty());
    Ok(())
}

#[test]
fn into_makefile_owns_the_connection_and_moves_between_threads() -> TestResult {
    let pki = Pki::new();
    let (addr, server) = serve_one(pki.server_context(), echo);
    // Python's `ctx.wrap_socket(create_connection(addr), ...).makefile()`:
    // nothing else keeps the connection, the file does.
    let ctx = pki.client_context();
    let mut file = ctx
        .wrap_socket(
            create_connection(&addr, Some(PROMPT))?,
            false,
            Some("localhost"),
        )?
        .into_makefile();
    assert_eq!(file.get_ref().gettimeout(), Some(PROMPT));
    file.write_all(b"first\n")?;
    file.flush()?;
    let mut line = String::new();
    file.read_line(&mut line)?;
    assert_eq!(line, "first\n");
    // The file moves to another thread and goes on there.
    let moved = thread::spawn(move || -> std::io::Result<String> {
        file.write_all(b"second\n")?;
        file.flush()?;
        let mut line = String::new();
        file.read_line(&mut line)?;
        // Left in the write buffer: dropping the file sends it, then
        // closes the connection (close_notify).
        file.write_all(b"unflushed")?;
        assert_eq!(file.write_buffer(), b"unflushed");
        Ok(line)
    });
    assert_eq!(moved.join().unwrap()?, "second\n");
    // The echo server saw all of it, then the end of the stream.
    assert_eq!(server.join().unwrap()?, "first\nsecond\nunflushed".len());
    Ok(())
}

#[test]
fn an_owning_files_reads_keep_the_sockets_timeout() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    client.settimeout(Some(SHORT))?;
    let mut file = client.into_makefile();
    let started = Instant::now();
    let mut line = String::new();
    let err = file.read_line(&mut line).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(started.elapsed() >= SHORT.mul_f64(0.9));
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
    // Nothing was lost: a line that comes later is read whole.
    server.sendall(b"late line\n")?;
    file.get_ref().settimeout(Some(PROMPT))?;
    file.read_line(&mut line)?;
    assert_eq!(line, "late line\n");
    drop(file); // closes the connection
    assert!(server.recv(16)?.is_empty());
    Ok(())
}

#[test]
fn unwrap_hands_back_the_plain_socket_after_close_notify_both_ways() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    client.settimeout(Some(PROMPT))?;
    server.settimeout(Some(PROMPT))?;
    client.sendall(b"over tls")?;
    let peer = thread::spawn(move || -> pysocket::Result<Vec<u8>> {
        assert_eq!(server.recv(1024)?, b"over tls");
        let plain = server.unwrap()?;
        let mut got = plain.recv(1024)?;
        plain.sendall(b"plain reply")?;
        got.extend(plain.recv(1024)?);
        Ok(got)
    });
    let plain = client.unwrap()?;
    plain.sendall(b"plain")?;
    assert_eq!(plain.recv(1024)?, b"plain reply");
    plain.sendall(b" text")?;
    assert_eq!(peer.join().unwrap()?, b"plain text");
    Ok(())
}

/// A relay between a TLS client and server holds what the server sends
/// after the handshake until the server has sent plain bytes after its
/// `close_notify`, then passes it all on in one write: the two reach the
/// client together, and its `unwrap` must leave the plain bytes unread.
#[test]
fn unwrap_takes_nothing_past_the_peers_close_notify() -> TestResult {
    let pki = Pki::new();
    let (listener, addr) = listener_on("127.0.0.1");
    let (relay_listener, relay_addr) = listener_on("127.0.0.1");
    let server_ctx = pki.server_context();
    let (go, wait_for_go) = mpsc::channel::<()>();
    let (hold, start_holding) = mpsc::channel::<()>();
    let (sent_plain, plain_sent) = mpsc::channel::<()>();
    let server = thread::spawn(move || -> pysocket::Result<()> {
        let (conn, _) = listener.accept()?;
        conn.settimeout(Some(PROMPT))?;
        let tls = server_ctx.wrap_socket(conn, true, None)?;
        wait_for_go.recv_timeout(PROMPT).expect("go");
        let plain = tls.unwrap()?;
        plain.sendall(b"PLAIN AFTER TLS")?;
        sent_plain.send(()).expect("signal");
        // Until the client is done.
        let _ = plain.recv(16);
        Ok(())
    });
    let relay = thread::spawn(move || -> pysocket::Result<()> {
        let (down, _) = relay_listener.accept()?;
        let up = create_connection(&addr, Some(PROMPT))?;
        down.settimeout(Some(PROMPT))?;
        let up = Arc::new(up);
        let down = Arc::new(down);
        let (to_server, from_client) = (Arc::clone(&up), Arc::clone(&down));
        // Client to server: at once.
        let forward = thread::spawn(move || -> pysocket::Result<()> {
            loop {
                let data = from_client.recv(65536)?;
                if data.is_empty() {
                    return to_server.shutdown(Shutdown::Write);
                }
                to_server.sendall(&data)?;
            }
        });
        // Server to client: at once until told to hold, then held until the
        // server has sent its plain bytes.
        up.settimeout(Some(Duration::from_millis(20)))?;
        let mut holding = false;
        let mut held = Vec::new();
        let give_up = Instant::now() + PROMPT;
        loop {
            match up.recv(65536) {
                Ok(data) if data.is_empty() => break,
                Ok(data) => {
                    holding = holding || start_holding.try_recv().is_ok();
                    if holding {
                        held.extend(data);
                    } else {
                        down.sendall(&data)?;
                    }
                }
                Err(err) if err.is_timeout() => {
                    if plain_sent.try_recv().is_ok() {
                        // The last bytes may still be on their way.
                        while !held.ends_with(b"PLAIN AFTER TLS") {
                            up.settimeout(Some(PROMPT))?;
                            held.extend(up.recv(65536)?);
                        }
                        break;
                    }
                }
                Err(err) => return Err(err),
            }
            assert!(Instant::now() < give_up, "the relay waited too long");
        }
        down.sendall(&held)?;
        forward.join().unwrap()?;
        Ok(())
    });
    let sock = create_connection(&relay_addr, Some(PROMPT))?;
    let tls = pki
        .client_context()
        .wrap_socket(sock, false, Some("localhost"))?;
    hold.send(())?;
    go.send(())?;
    let plain = tls.unwrap()?;
    assert_eq!(plain.recv(1024)?, b"PLAIN AFTER TLS");
    plain.shutdown(Shutdown::Both)?;
    server.join().unwrap()?;
    relay.join().unwrap()?;
    Ok(())
}

#[test]
fn unwrap_fails_on_a_peer_that_closes_without_close_notify() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    client.settimeout(Some(PROMPT))?;
    server.shutdown(Shutdown::Both)?;
    let err = client.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Ssl(SslError::Eof)) || err.kind() == std::io::ErrorKind::BrokenPipe,
        "{err:?}"
    );
    drop(server);

    // A peer that never answers: unwrap keeps to the timeout.
    let (client, _server) = pki.tls_pair();
    client.settimeout(Some(SHORT))?;
    let started = Instant::now();
    let result = client.unwrap();
    assert_timed_out("unwrap", &result, SHORT, started.elapsed(), PROMPT / 2);
    Ok(())
}

#[test]
fn unwrap_fails_on_a_record_read_ahead_past_the_peers_close_notify() -> TestResult {
    let pki = Pki::new();
    // What looks like a TLS record (a new handshake, say): whole, and its
    // header's first bytes only.
    let whole = [22u8, 3, 1, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for record in [&whole[..], &whole[..3]] {
        let (client, server) = pki.tls_pair();
        client.settimeout(Some(PROMPT))?;
        server.settimeout(Some(PROMPT))?;
        // The server's session tickets are read (with this), so that what
        // comes next on the socket is its close_notify.
        server.sendall(b"x")?;
        assert_eq!(client.recv(1024)?, b"x");
        let raw = server.get_ref().dup()?;
        // The server ends TLS and, before it has the client's close_notify,
        // sends the record in plain.
        let unwrapping = thread::spawn(move || server.unwrap().map(drop));
        let (ready, _, _) = pysocket::select(&[&client], &[], &[], Some(PROMPT))?;
        assert!(!ready.is_empty(), "no close_notify came");
        raw.sendall(record)?;
        // A read takes both (a socketpair has them queued already): the end.
        assert_eq!(client.recv(1024)?, b"");
        let err = client.unwrap().unwrap_err();
        let expected = format!(
            "the peer sent {} bytes right behind its close_notify",
            record.len()
        );
        assert!(err.to_string().contains(&expected), "{err}");
        unwrapping.join().unwrap()?;
    }
    Ok(())
}

#[test]
fn servers_check_client_certificates_when_asked() -> TestResult {
    let pki = Pki::new();
    let server_ctx = |mode| {
        let mut ctx = pki.server_context();
        ctx.load_verify_locations(&pki.ca).expect("CA");
        ctx.set_verify_mode(mode);
        ctx
    };
    let mut with_cert = pki.client_context();
    with_cert.load_cert_chain(&pki.client_cert, Some(&pki.client_key))?;
    let mut with_rogue_cert = pki.client_context();
    with_rogue_cert.load_cert_chain(&pki.rogue_client_cert, Some(&pki.rogue_client_key))?;
    let mut with_server_cert = pki.client_context();
    with_server_cert.load_cert_chain(&pki.server_cert, Some(&pki.server_key))?;
    let without_cert = pki.client_context();

    // CERT_REQUIRED and a good certificate: the server sees it.
    for mode in [CERT_REQUIRED, CERT_OPTIONAL] {
        let (addr, server) = serve_one(server_ctx(mode), |tls| {
            let tls = tls?;
            let cert = tls.getpeercert_der();
            echo(Ok(tls))?;
            Ok::<_, Error>(cert)
        });
        let client = connect(&with_cert, &addr, Some("localhost"))?;
        client.sendall(b"it is me")?;
        assert_eq!(client.recv(64)?, b"it is me");
        client.close()?;
        assert_eq!(server.join().unwrap()?, Some(pki.client_der.clone()));
    }

    // CERT_REQUIRED and no certificate: refused. In TLS 1.3 the client's
    // handshake is over first; it hears of the refusal on its next read.
    let (addr, server) = serve_one(server_ctx(CERT_REQUIRED), |tls| tls.map(drop));
    let client = connect(&without_cert, &addr, Some("localhost"))?;
    let server_err = server.join().unwrap().unwrap_err();
    assert!(
        server_err
            .to_string()
            .contains("PEER_DID_NOT_RETURN_A_CERTIFICATE"),
        "{server_err:?}"
    );
    let err = client.recv(64).unwrap_err();
    assert!(
        err.to_string()
            .contains("TLSV13_ALERT_CERTIFICATE_REQUIRED"),
        "{err:?}"
    );
    // A failed connection stays failed, at once, for reads and writes.
    client.settimeout(None)?;
    assert_eq!(client.recv(64).unwrap_err().to_string(), err.to_string());
    assert_eq!(client.send(b"x").unwrap_err().to_string(), err.to_string());
    assert_eq!(
        client.sendall(b"x").unwrap_err().to_string(),
        err.to_string()
    );

    // A certificate from an unknown CA: refused.
    let (addr, server) = serve_one(server_ctx(CERT_OPTIONAL), |tls| tls.map(drop));
    let client = connect(&with_rogue_cert, &addr, Some("localhost"))?;
    let server_err = server.join().unwrap().unwrap_err();
    assert_eq!(
        verification_message(&server_err),
        "unable to get local issuer certificate"
    );
    assert!(client
        .recv(64)
        .unwrap_err()
        .to_string()
        .contains("UNKNOWN_CA"));

    // A server's certificate (serverAuth only) shown by a client: refused.
    let (addr, server) = serve_one(server_ctx(CERT_REQUIRED), |tls| tls.map(drop));
    let _client = connect(&with_server_cert, &addr, Some("localhost"))?;
    assert_eq!(
        verification_message(&server.join().unwrap().unwrap_err()),
        "unsupported certificate purpose"
    );

    // CERT_OPTIONAL and no certificate: welcome.
    let (addr, server) = serve_one(server_ctx(CERT_OPTIONAL), |tls| {
        tls.map(|tls| tls.getpeercert_der())
    });
    let client = connect(&without_cert, &addr, Some("localhost"))?;
    assert_eq!(server.join().unwrap()?, None);
    drop(client);

    // A server that asks with no CA loaded refuses every certificate.
    let mut no_ca = pki.server_context();
    no_ca.set_verify_mode(CERT_OPTIONAL);
    let (addr, server) = serve_one(no_ca, |tls| tls.map(drop));
    let _client = connect(&with_cert, &addr, Some("localhost"))?;
    assert_eq!(
        verification_message(&server.join().unwrap().unwrap_err()),
        "unable to get local issuer certificate"
    );
    Ok(())
}

#[test]
fn alpn_and_versions_are_negotiated() -> TestResult {
    let pki = Pki::new();
    let mut server_ctx = pki.server_context();
    server_ctx.set_alpn_protocols(&["h2", "http/1.1"])?;
    let mut client_ctx = pki.client_context();
    client_ctx.set_alpn_protocols(&["http/1.1", "h2"])?;
    let (addr, server) = serve_one(server_ctx.clone(), |tls| {
        tls.map(|tls| tls.selected_alpn_protocol())
    });
    let client = connect(&client_ctx, &addr, Some("localhost"))?;
    // The server's preference wins.
    assert_eq!(client.selected_alpn_protocol().as_deref(), Some("h2"));
    assert_eq!(server.join().unwrap()?.as_deref(), Some("h2"));

    // Nothing in common: rustls's server refuses.
    let mut other = pki.client_context();
    other.set_alpn_protocols(&["spdy/1"])?;
    let (addr, server) = serve_one(server_ctx.clone(), |tls| tls.map(drop));
    let err = connect(&other, &addr, Some("localhost")).unwrap_err();
    assert!(
        err.to_string().contains("NO_APPLICATION_PROTOCOL"),
        "{err:?}"
    );
    assert!(server.join().unwrap().is_err());

    // No ALPN on one side: none selected.
    let (addr, server) = serve_one(server_ctx, |tls| {
        tls.map(|tls| tls.selected_alpn_protocol())
    });
    let client = connect(&pki.client_context(), &addr, Some("localhost"))?;
    assert_eq!(client.selected_alpn_protocol(), None);
    assert_eq!(server.join().unwrap()?, None);

    // TLS 1.2 when the server goes no higher, with OpenSSL's suite names.
    let mut tls12 = pki.server_context();
    tls12.set_maximum_version(TlsVersion::TLSv1_2);
    let (addr, server) = serve_one(tls12, |tls| tls.map(|tls| tls.cipher()));
    let client = connect(&pki.client_context(), &addr, Some("localhost"))?;
    assert_eq!(client.version().as_deref(), Some("TLSv1.2"));
    let (name, protocol, bits) = client.cipher().expect("a cipher");
    assert!(name.starts_with("ECDHE-ECDSA-"), "{name}");
    assert_eq!(protocol, "TLSv1.2");
    assert!(bits == 128 || bits == 256);
    assert_eq!(server.join().unwrap()?, client.cipher());

    // A client that wants 1.3 at least, and a 1.2 server: no handshake.
    let mut tls12 = pki.server_context();
    tls12.set_maximum_version(TlsVersion::TLSv1_2);
    let mut tls13 = pki.client_context();
    tls13.set_minimum_version(TlsVersion::TLSv1_3);
    let (addr, server) = serve_one(tls12, |tls| tls.map(drop));
    assert!(connect(&tls13, &addr, Some("localhost")).is_err());
    assert!(server.join().unwrap().is_err());
    Ok(())
}

#[test]
fn non_blocking_handshakes_go_on_in_do_handshake() -> TestResult {
    let pki = Pki::new();
    let (a, b) = socketpair()?;
    a.setblocking(false)?;
    b.setblocking(false)?;
    // One thread drives both ends: neither call may wait.
    let client = pki
        .client_context()
        .wrap_socket(a, false, Some("localhost"))?;
    let server = pki.server_context().wrap_socket(b, true, None)?;
    assert_eq!(client.version(), None, "not handshaken yet");
    let give_up = Instant::now() + PROMPT;
    let mut rounds = 0;
    // Each call goes as far as the other side's last answer lets it.
    loop {
        let c = client.do_handshake();
        let s = server.do_handshake();
        match (&c, &s) {
            (Ok(()), Ok(())) => break,
            _ => {
                for result in [c, s] {
                    if let Err(err) = result {
                        assert!(err.is_would_block(), "{err:?}");
                    }
                }
            }
        }
        rounds += 1;
        assert!(
            Instant::now() < give_up,
            "no handshake after {rounds} rounds"
        );
    }
    assert_eq!(client.version().as_deref(), Some("TLSv1.3"));
    assert_eq!(client.send(b"ready")?, 5);
    let give_up = Instant::now() + PROMPT;
    let got = loop {
        match server.recv(64) {
            Ok(data) => break data,
            Err(err) if err.is_would_block() && Instant::now() < give_up => {
                thread::sleep(Duration::from_millis(1))
            }
            Err(err) => return Err(err.into()),
        }
    };
    assert_eq!(got, b"ready");
    Ok(())
}

#[test]
fn two_readers_take_turns_and_lose_nothing() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    let server = Arc::new(server);
    server.settimeout(Some(PROMPT))?;
    let total = 4 << 20;
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let server = Arc::clone(&server);
            thread::spawn(move || {
                let mut got = 0;
                loop {
                    let data = server.recv(4096)?;
                    if data.is_empty() {
                        return Ok::<_, Error>(got);
                    }
                    got += data.len();
                }
            })
        })
        .collect();
    client.sendall(&data::payload(total, 4))?;
    client.close()?;
    let counts: Vec<usize> = readers
        .into_iter()
        .map(|r| r.join().unwrap())
        .collect::<Result<_, _>>()?;
    assert_eq!(counts.iter().sum::<usize>(), total);
    Ok(())
}

/// Many small records in the kernel at once are read ahead in one receive;
/// those rustls has no room for yet wait in the socket's inbox, where a
/// `select` cannot see them: `pending` must, until all are read.
#[test]
fn records_read_ahead_show_in_pending_and_none_is_lost() -> TestResult {
    let pki = Pki::new();
    let (client, server) = pki.tls_pair();
    let records = 48;
    let sent = data::payload(records * 1000, 7);
    // One record per sendall, all in the client's kernel buffer before it
    // reads.
    for record in sent.chunks(1000) {
        server.sendall(record)?;
    }
    client.setblocking(false)?;
    let mut got = Vec::new();
    let give_up = Instant::now() + PROMPT;
    while got.len() < sent.len() {
        assert!(
            Instant::now() < give_up,
            "read {} of {}",
            got.len(),
            sent.len()
        );
        if client.pending() == 0 {
            let (ready, _, _) = pysocket::select(&[&client], &[], &[], Some(PROMPT))?;
            assert!(
                !ready.is_empty(),
                "{} bytes of {} neither pending nor readable",
                got.len(),
                sent.len()
            );
        }
        match client.recv(700) {
            Ok(data) => {
                assert!(!data.is_empty(), "an early end");
                got.extend(data);
            }
            Err(err) if err.is_would_block() => {}
            Err(err) => return Err(err.into()),
        }
    }
    assert_eq!(got, sent);
    Ok(())
}

#[test]
fn bad_pem_files_are_clear_errors() -> TestResult {
    let pki = Pki::new();
    let mut ctx = SslContext::new(PROTOCOL_TLS_SERVER);
    let missing = pki.dir.path().join("missing.pem");
    let protocol_message = |err: Error| match err {
        Error::Ssl(SslError::Protocol(message)) => message,
        other => panic!("expected SslError::Protocol, got {other:?}"),
    };

    // Missing files: the OS's error, as Python's FileNotFoundError.
    for err in [
        ctx.load_cert_chain(&missing, None).unwrap_err(),
        ctx.load_cert_chain(&pki.server_cert, Some(&missing))
            .unwrap_err(),
        ctx.load_verify_locations(&missing).unwrap_err(),
    ] {
        assert_eq!(err.errno(), Some(libc::ENOENT), "{err:?}");
        assert!(format!("{err:?}").starts_with("FileNotFoundError: [Errno 2]"));
    }

    // Not PEM, or PEM without what is needed.
    let garbage = pki.file("garbage.pem", b"\x00\x01 this is not PEM \xff\n");
    let message = protocol_message(ctx.load_cert_chain(&garbage, None).unwrap_err());
    assert!(message.starts_with("[SSL] PEM lib: "), "{message}");
    assert!(
        message.contains("garbage.pem") && message.contains("no certificate"),
        "{message}"
    );
    let message = protocol_message(ctx.load_cert_chain(&pki.server_cert, None).unwrap_err());
    assert!(
        message.contains("server.pem: no private key found"),
        "{message}"
    );
    let message = protocol_message(
        ctx.load_cert_chain(&pki.server_key, Some(&pki.server_key))
            .unwrap_err(),
    );
    assert!(message.contains("no certificate"), "{message}");
    let message = protocol_message(ctx.load_verify_locations(&garbage).unwrap_err());
    assert!(message.contains("NO_CERTIFICATE_OR_CRL_FOUND"), "{message}");
    assert!(message.contains("garbage.pem"), "{message}");

    // Malformed PEM: a section that never ends, a body that is not base64.
    let pem = std::fs::read_to_string(&pki.server_cert)?;
    let cut = pki.file("cut.pem", &pem.as_bytes()[..pem.len() / 2]);
    let message = protocol_message(
        ctx.load_cert_chain(&cut, Some(&pki.server_key))
            .unwrap_err(),
    );
    assert!(
        message.contains("cut.pem") && message.contains("end marker"),
        "{message}"
    );
    let bad_base64 = pki.file(
        "bad64.pem",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    let message = protocol_message(ctx.load_verify_locations(&bad_base64).unwrap_err());
    assert!(message.contains("base64"), "{message}");
    // PEM that is a certificate in name only.
    let fake = pki.file(
        "fake.pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let message = protocol_message(ctx.load_verify_locations(&fake).unwrap_err());
    assert!(message.contains("cannot be a CA"), "{message}");

    // A key that is not the certificate's.
    let message = protocol_message(
        ctx.load_cert_chain(&pki.server_cert, Some(&pki.client_key))
            .unwrap_err(),
    );
    assert!(
        message.starts_with("[X509: KEY_VALUES_MISMATCH] key values mismatch"),
        "{message}"
    );
    // An encrypted key.
    let encrypted = pki.file(
        "encrypted.key",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let message = protocol_message(
        ctx.load_cert_chain(&pki.server_cert, Some(&encrypted))
            .unwrap_err(),
    );
    assert!(message.contains("encrypted"), "{message}");

    // After all that, the good files still load, and one file with both.
    ctx.load_cert_chain(&pki.server_combined, None)?;
    ctx.load_cert_chain(&pki.server_cert, Some(&pki.server_key))?;
    Ok(())
}

#[test]
fn tls_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SslContext>();
    send_sync::<SslSocket>();
    send_sync::<SslError>();
    fn send<T: Send>() {}
    send::<pysocket::ssl::SslFile<'static>>();
}

#[test]
fn alpn_lists_are_checked() {
    let mut ctx = SslContext::new(PROTOCOL_TLS_CLIENT);
    for bad in [&[][..], &[""][..], &["h2", ""][..]] {
        let err = ctx.set_alpn_protocols(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
    let long = "x".repeat(256);
    let err = ctx.set_alpn_protocols(&[&long]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "NPN/ALPN protocols must be 1 to 255 in length (got 256 bytes)"
    );
    assert!(ctx.set_alpn_protocols(&[&long[..255]]).is_ok());
}

#[test]
fn contexts_are_shared_and_cloned_between_threads() -> TestResult {
    let pki = Pki::new();
    let (listener, addr) = listener_on("127.0.0.1");
    let server_ctx = Arc::new(pki.server_context());
    let clients = 4;
    let server = thread::spawn(move || {
        thread::scope(|scope| {
            for _ in 0..clients {
                let (conn, _) = listener.accept().expect("accept");
                conn.settimeout(Some(PROMPT)).expect("settimeout");
                let ctx = Arc::clone(&server_ctx);
                scope.spawn(move || echo(ctx.wrap_socket(conn, true, None)).expect("echo"));
            }
        })
    });
    let client_ctx = pki.client_context();
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let ctx = client_ctx.clone();
            let addr = addr.clone();
            thread::spawn(move || -> pysocket::Result<()> {
                let tls = connect(&ctx, &addr, Some("localhost"))?;
                let message = format!("client {i}");
                tls.sendall(message.as_bytes())?;
                assert_eq!(tls.recv(64)?, message.as_bytes());
                tls.close()
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap()?;
    }
    server.join().unwrap();
    Ok(())
}

/// Runs this test binary's test `test` in a child process whose
/// `SSL_CERT_FILE` is `cert_file`, with `PKI_DIR` naming the PKI's
/// directory; returns its output once it ends (killed after [`PROMPT`]
/// times three).
fn run_with_cert_file(test: &str, cert_file: &std::path::Path, pki: &Pki) -> std::process::Output {
    let mut child = std::process::Command::new(std::env::current_exe().expect("current_exe"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(common::CHILD_ENV, test)
        .env("SSL_CERT_FILE", cert_file)
        .env_remove("SSL_CERT_DIR")
        .env("PKI_DIR", pki.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn child");
    let limit = Instant::now() + PROMPT * 3;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > limit {
            let _ = child.kill();
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("child output")
}

/// `create_default_context()` trusts the system's store, found as OpenSSL
/// (and so Python) finds it: here `SSL_CERT_FILE` names a store that holds
/// the test CA alone, in a child process so that no other test sees it.
#[test]
fn create_default_context_trusts_the_systems_store() -> TestResult {
    const TEST: &str = "create_default_context_trusts_the_systems_store";
    if common::is_child(TEST) {
        let dir = std::path::PathBuf::from(std::env::var("PKI_DIR")?);
        let ctx = match pysocket::ssl::create_default_context() {
            Ok(ctx) => ctx,
            Err(err) => {
                println!("create_default_context failed: {err}");
                return Ok(());
            }
        };
        assert_eq!(ctx.verify_mode(), CERT_REQUIRED);
        assert!(ctx.check_hostname());
        let mut server_ctx = SslContext::new(PROTOCOL_TLS_SERVER);
        server_ctx.load_cert_chain(dir.join("server.pem"), Some(&dir.join("server.key")))?;
        let (a, b) = socketpair()?;
        a.settimeout(Some(PROMPT))?;
        b.settimeout(Some(PROMPT))?;
        let server = thread::spawn(move || server_ctx.wrap_socket(b, true, None).map(drop));
        ctx.wrap_socket(a, false, Some("localhost"))?;
        server.join().unwrap()?;
        println!("{}", common::CHILD_PASSED);
        return Ok(());
    }
    let pki = Pki::new();
    // A store of the test CA: the handshake verifies.
    let out = run_with_cert_file(TEST, &pki.ca, &pki);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(common::CHILD_PASSED),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A store with nothing usable: a clear error, no context.
    let garbage = pki.file("garbage-store.pem", b"not a certificate\n");
    let out = run_with_cert_file(TEST, &garbage, &pki);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("create_default_context failed: [X509: NO_CERTIFICATE_OR_CRL_FOUND]"),
        "child said:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
