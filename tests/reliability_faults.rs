//! Faults on the wire, through a chaos proxy (`tests/common/chaos.rs`, a
//! loopback relay the test controls) and a peer process that is killed:
//! writes split into single bytes, pauses between pieces longer than the
//! reader's timeout, a connection reset in the middle (`SO_LINGER` 0), a
//! half-close, and a peer that vanishes mid-conversation.
//!
//! Every case ends in the documented outcome, in each timeout mode and with
//! each way of reading (`recv`, `recv_into`, `makefile`): the data intact, or
//! an intact prefix of it followed by a clear error (`ConnectionReset`,
//! `BrokenPipe`, `UnexpectedEof` from makefile reads, `Timeout`), with
//! nothing received twice or out of order.

mod common;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::chaos::{self, ChaosProxy, Faults};
use common::data::{payload, Rng};
use common::{is_child, spawn_child, with_watchdog, Mode, PROMPT};
use pysocket::{select, Error, Shutdown, Socket, SocketFile, AF_INET, SOCK_STREAM};

/// Every mode, with a timeout that only a hang would reach.
const MODES: [Mode; 3] = [Mode::Blocking, Mode::Timeout(PROMPT), Mode::NonBlocking];

/// The ways of reading a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Recv,
    RecvInto,
    Makefile,
}

const READERS: [Reader; 3] = [Reader::Recv, Reader::RecvInto, Reader::Makefile];

/// How long any one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(30);

/// How late a timed-out call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_secs(2);

/// Waits (at most 100 ms) until `sock` is readable: how a non-blocking reader
/// waits between `WouldBlock`s.
fn wait_readable(sock: &Socket) {
    select(&[sock], &[], &[], Some(Duration::from_millis(100))).expect("select");
}

/// Waits (at most 100 ms) until `sock` is writable.
fn wait_writable(sock: &Socket) {
    select(&[sock], &[sock], &[], Some(Duration::from_millis(100))).expect("select");
}

/// How a read loop ended.
#[derive(Debug)]
enum End {
    Eof,
    Failed(io::Error),
}

/// What a read loop saw.
#[derive(Debug)]
struct Outcome {
    data: Vec<u8>,
    end: End,
    /// How many calls timed out (and were retried).
    timeouts: usize,
    /// The shortest and longest time a timed-out call took.
    timeout_span: Option<(Duration, Duration)>,
}

impl Outcome {
    fn error_kind(&self) -> Option<ErrorKind> {
        match &self.end {
            End::Eof => None,
            End::Failed(err) => Some(err.kind()),
        }
    }
}

/// Reads `sock` to the end of the stream or the first real error, with
/// `reader` and buffer sizes drawn from `seed`. `WouldBlock` waits for
/// readiness; a timeout is counted and retried. The socket's mode is the
/// caller's.
fn read_stream(sock: &Socket, reader: Reader, seed: u64) -> Outcome {
    let mut rng = Rng::new(seed);
    let mut file = SocketFile::with_capacity(sock, rng.range(1, 4096), 64);
    let mut data = Vec::new();
    let mut buf = vec![0u8; 70_000];
    let mut timeouts = 0;
    let mut span: Option<(Duration, Duration)> = None;
    let limit = Instant::now() + CASE_LIMIT;
    loop {
        assert!(Instant::now() < limit, "{reader:?}: the read loop hung");
        let size = rng.chunk();
        let started = Instant::now();
        let result: io::Result<usize> = match reader {
            Reader::Recv => sock.recv(size).map_err(io::Error::from).map(|chunk| {
                data.extend_from_slice(&chunk);
                chunk.len()
            }),
            Reader::RecvInto => sock.recv_into(&mut buf[..size]).map_err(io::Error::from),
            Reader::Makefile => file.read(&mut buf[..size]),
        };
        match result {
            Ok(0) => {
                return Outcome {
                    data,
                    end: End::Eof,
                    timeouts,
                    timeout_span: span,
                }
            }
            Ok(n) => {
                if reader != Reader::Recv {
                    data.extend_from_slice(&buf[..n]);
                }
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => wait_readable(sock),
            Err(err) if err.kind() == ErrorKind::TimedOut => {
                let took = started.elapsed();
                timeouts += 1;
                span =
                    Some(span.map_or((took, took), |(low, high)| (low.min(took), high.max(took))));
            }
            Err(err) => {
                return Outcome {
                    data,
                    end: End::Failed(err),
                    timeouts,
                    timeout_span: span,
                }
            }
        }
    }
}

/// Reads lines with `read_line` until the end of the stream or a real error,
/// retrying after `WouldBlock` and timeouts; a timeout must hand out nothing.
fn read_lines(sock: &Socket, read_capacity: usize) -> (Vec<String>, End, usize) {
    let mut file = SocketFile::with_capacity(sock, read_capacity, 64);
    let mut lines = Vec::new();
    let mut timeouts = 0;
    let limit = Instant::now() + CASE_LIMIT;
    loop {
        assert!(Instant::now() < limit, "the line loop hung");
        let mut line = String::new();
        match file.read_line(&mut line) {
            Ok(0) => return (lines, End::Eof, timeouts),
            Ok(_) => lines.push(line),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(line.is_empty(), "WouldBlock handed out {line:?}");
                wait_readable(sock);
            }
            Err(err) if err.kind() == ErrorKind::TimedOut => {
                assert!(line.is_empty(), "a timeout handed out {line:?}");
                timeouts += 1;
            }
            Err(err) => return (lines, End::Failed(err), timeouts),
        }
    }
}

/// Text lines, numbered so that a lost, repeated or reordered one shows.
fn numbered_lines(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let filler = "x".repeat(rng.range(0, 120));
            format!("line {i:06} {filler}\n")
        })
        .collect()
}

/// Sends all of `data` on `sock` in its current mode: `sendall`, or `send`
/// and a readiness wait in non-blocking mode. Returns the bytes accepted
/// before an error.
fn send_stream(sock: &Socket, data: &[u8], seed: u64) -> (usize, Option<Error>) {
    let mut rng = Rng::new(seed);
    let mut sent = 0;
    let limit = Instant::now() + CASE_LIMIT;
    while sent < data.len() {
        assert!(Instant::now() < limit, "the send loop hung");
        let end = (sent + rng.chunk()).min(data.len());
        if sock.getblocking() {
            match sock.sendall(&data[sent..end]) {
                Ok(()) => sent = end,
                Err(err) => return (sent, Some(err)),
            }
        } else {
            match sock.send(&data[sent..end]) {
                Ok(n) => sent += n,
                Err(err) if err.is_would_block() => wait_writable(sock),
                Err(err) => return (sent, Some(err)),
            }
        }
    }
    (sent, None)
}

/// A listener on 127.0.0.1 that serves one connection with `serve`, in a
/// thread. The accept, and every call of the connection, are bounded by
/// [`PROMPT`].
fn one_shot_server<T: Send + 'static>(
    serve: impl FnOnce(Socket) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    listener.bind(("127.0.0.1", 0)).expect("bind");
    listener.listen(4).expect("listen");
    listener.settimeout(Some(PROMPT)).expect("settimeout");
    let addr = listener
        .getsockname()
        .expect("getsockname")
        .as_socket_addr()
        .expect("an IP address");
    let handle = thread::spawn(move || {
        let (conn, _) = listener.accept().expect("server accept");
        conn.settimeout(Some(PROMPT)).expect("settimeout");
        serve(conn)
    });
    (addr, handle)
}

/// A [`one_shot_server`] that sends `text` and closes.
fn sending_server(text: String) -> (SocketAddr, JoinHandle<()>) {
    one_shot_server(move |conn| {
        conn.sendall(text.as_bytes()).expect("server sendall");
    })
}

/// A chaos proxy to `upstream` with `faults`, and a client connected
/// through it, then put in `mode`.
fn through_proxy(upstream: SocketAddr, faults: Faults, mode: Mode) -> (ChaosProxy, Socket) {
    let proxy = ChaosProxy::start(upstream, faults);
    let sock = client(proxy.addr(), mode);
    (proxy, sock)
}

/// A client connected to `addr`, then put in `mode`.
fn client(addr: SocketAddr, mode: Mode) -> Socket {
    let sock = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    sock.connect(addr).expect("connect");
    sock.settimeout(mode.timeout()).expect("settimeout");
    sock
}

/// Closes the client, then waits for the proxy, which ends once both sides
/// have closed.
fn finish(sock: Socket, proxy: ChaosProxy) -> chaos::Report {
    drop(sock);
    proxy.join()
}

/// Receives everything until the end of the stream, within [`PROMPT`].
fn drain(sock: &Socket) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        let chunk = sock.recv(65536).expect("server recv");
        if chunk.is_empty() {
            return got;
        }
        got.extend(chunk);
    }
}

/// Writes split into single bytes arrive whole and in order, both ways, in
/// every mode and with every reader.
#[test]
fn one_byte_pieces_arrive_intact() {
    for (round, (mode, reader)) in MODES
        .iter()
        .flat_map(|mode| READERS.iter().map(move |reader| (*mode, *reader)))
        .enumerate()
    {
        let seed = round as u64;
        let request = payload(3000, seed);
        let response = payload(6000, seed + 100);
        let (upstream, server) = one_shot_server({
            let response = response.clone();
            move |conn| {
                let got = drain(&conn);
                conn.sendall(&response).expect("server sendall");
                got
            }
        });
        let (proxy, sock) = through_proxy(upstream, Faults::pieces(1), mode);
        let outcome = with_watchdog(&sock, CASE_LIMIT, || {
            let (sent, err) = send_stream(&sock, &request, seed);
            assert!(err.is_none(), "{mode:?}: send: {err:?}");
            assert_eq!(sent, request.len());
            sock.shutdown(Shutdown::Write).expect("shutdown");
            read_stream(&sock, reader, seed)
        });
        let what = format!("{mode:?} {reader:?}");
        assert!(matches!(outcome.end, End::Eof), "{what}: {:?}", outcome.end);
        assert!(outcome.data == response, "{what}: the response differs");
        assert!(
            server.join().unwrap() == request,
            "{what}: the request differs"
        );
        let report = finish(sock, proxy);
        assert_eq!(
            (report.upstream, report.downstream, report.reset),
            (request.len() as u64, response.len() as u64, false),
            "{what}"
        );
    }
}

/// Lines split into single bytes come back whole from `read_line`, in every mode.
#[test]
fn one_byte_pieces_make_whole_lines() {
    for (i, mode) in MODES.into_iter().enumerate() {
        let lines = numbered_lines(60, i as u64);
        let text = lines.concat();
        let (upstream, server) = sending_server(text);
        let (proxy, sock) = through_proxy(upstream, Faults::pieces(1), mode);
        let (got, end, _) = with_watchdog(&sock, CASE_LIMIT, || read_lines(&sock, 16));
        assert!(matches!(end, End::Eof), "{mode:?}: {end:?}");
        assert_eq!(got, lines, "{mode:?}");
        server.join().unwrap();
        finish(sock, proxy);
    }
}

/// Pauses between pieces longer than the reader's timeout: each wait times
/// out on time, the reader retries, and every byte arrives once, in order.
#[test]
fn pauses_longer_than_the_timeout_time_out_and_lose_nothing() {
    let timeout = Duration::from_millis(20);
    for reader in READERS {
        let response = payload(1500, 7);
        let (upstream, server) = one_shot_server({
            let response = response.clone();
            move |conn| conn.sendall(&response).expect("server sendall")
        });
        let (proxy, sock) = through_proxy(
            upstream,
            Faults {
                piece: Some(100),
                delay: Duration::from_millis(60),
                ..Faults::default()
            },
            Mode::Timeout(timeout),
        );
        let outcome = read_stream(&sock, reader, 3);
        assert!(
            matches!(outcome.end, End::Eof),
            "{reader:?}: {:?}",
            outcome.end
        );
        assert!(outcome.data == response, "{reader:?}: the data differs");
        assert!(
            outcome.timeouts >= 5,
            "{reader:?}: only {} timeouts",
            outcome.timeouts
        );
        let (shortest, longest) = outcome.timeout_span.expect("timeouts");
        assert!(
            shortest >= timeout.mul_f64(0.9),
            "{reader:?}: a timeout after {shortest:?}"
        );
        assert!(
            longest < timeout + SLACK,
            "{reader:?}: a timeout after {longest:?}"
        );
        server.join().unwrap();
        finish(sock, proxy);
    }
}

/// `read_line` retried after timeouts and `WouldBlock`s while the lines
/// trickle in hands out no partial line and loses none.
#[test]
fn trickling_lines_survive_timeouts_and_would_blocks() {
    for mode in [
        Mode::Timeout(Duration::from_millis(5)),
        Mode::NonBlocking,
        Mode::Blocking,
    ] {
        let lines = numbered_lines(25, 9);
        let text = lines.concat();
        let (upstream, server) = sending_server(text);
        let (proxy, sock) = through_proxy(
            upstream,
            Faults {
                piece: Some(37),
                delay: Duration::from_millis(8),
                ..Faults::default()
            },
            mode,
        );
        let (got, end, timeouts) = with_watchdog(&sock, CASE_LIMIT, || read_lines(&sock, 8));
        assert!(matches!(end, End::Eof), "{mode:?}: {end:?}");
        assert_eq!(got, lines, "{mode:?}");
        if matches!(mode, Mode::Timeout(_)) {
            assert!(timeouts > 0, "the pauses never outlasted the timeout");
        }
        server.join().unwrap();
        finish(sock, proxy);
    }
}

/// Whether a kind is what a write to a reset or closed connection gives.
fn is_broken(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset)
}

/// A reset in the middle of a response: the reader gets an intact prefix, then
/// `ConnectionReset`; later writes fail with `BrokenPipe`/`ConnectionReset`;
/// the server's writes fail too. In every mode, with every reader.
#[test]
fn reset_mid_stream_is_connection_reset() {
    const CUT: u64 = 100_000;
    for (round, (mode, reader)) in MODES
        .iter()
        .flat_map(|mode| READERS.iter().map(move |reader| (*mode, *reader)))
        .enumerate()
    {
        let response = payload(1 << 20, round as u64);
        let (upstream, server) = one_shot_server({
            let response = response.clone();
            move |conn| {
                // More than the buffers on the way hold, so the reset
                // catches the server in the middle of it.
                for _ in 0..64 {
                    conn.sendall(&response).map_err(|err| err.kind())?;
                }
                Ok(())
            }
        });
        let (proxy, sock) = through_proxy(
            upstream,
            Faults {
                reset_after_downstream: Some(CUT),
                ..Faults::default()
            },
            mode,
        );
        let outcome = with_watchdog(&sock, CASE_LIMIT, || read_stream(&sock, reader, 5));
        let what = format!("{mode:?} {reader:?}");
        assert_eq!(
            outcome.error_kind(),
            Some(ErrorKind::ConnectionReset),
            "{what}: {:?}",
            outcome.end
        );
        assert!(
            outcome.data.len() as u64 <= CUT,
            "{what}: more than relayed"
        );
        assert!(
            outcome.data[..] == response[..outcome.data.len()],
            "{what}: the prefix differs"
        );
        let err = sock.sendall(b"anyone there?").unwrap_err();
        assert!(is_broken(err.kind()), "{what}: write after reset: {err:?}");
        let server_end = server.join().unwrap();
        assert!(
            server_end.is_err_and(is_broken),
            "{what}: the server's sendall: {server_end:?}"
        );
        let report = finish(sock, proxy);
        assert!(
            report.reset && report.downstream == CUT,
            "{what}: {report:?}"
        );
    }
}

/// A reset in the middle of a line: `read_line` reports `ConnectionReset`
/// after the whole lines, never a torn one; `read_exact` does too.
#[test]
fn reset_mid_line_is_connection_reset_for_makefile_reads() {
    let lines = numbered_lines(400, 11);
    let text = lines.concat();
    // Cut in the middle of a line.
    let cut = text.len() as u64 / 2 + 3;
    for mode in MODES {
        for use_read_exact in [false, true] {
            let (upstream, server) = one_shot_server({
                let text = text.clone();
                move |conn| {
                    let _ = conn.sendall(text.as_bytes());
                }
            });
            let (proxy, sock) = through_proxy(
                upstream,
                Faults {
                    piece: Some(1000),
                    reset_after_downstream: Some(cut),
                    ..Faults::default()
                },
                mode,
            );
            let what = format!("{mode:?} read_exact={use_read_exact}");
            let (got, end) = with_watchdog(&sock, CASE_LIMIT, || {
                if use_read_exact {
                    read_exact_records(&sock, 64)
                } else {
                    let (lines, end, _) = read_lines(&sock, 64);
                    (lines.concat().into_bytes(), end)
                }
            });
            match end {
                End::Failed(err) => {
                    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{what}: {err}")
                }
                End::Eof => panic!("{what}: the reset read as the end of the stream"),
            }
            assert!(got.len() as u64 <= cut, "{what}");
            assert!(
                text.as_bytes().starts_with(&got),
                "{what}: the prefix differs"
            );
            if !use_read_exact {
                assert!(
                    got.is_empty() || got.ends_with(b"\n"),
                    "{what}: a torn line"
                );
            }
            server.join().unwrap();
            assert!(finish(sock, proxy).reset);
        }
    }
}

/// Reads records of `size` bytes with `SocketFile::read_exact` until it
/// fails, and returns the bytes read and that error. In non-blocking mode,
/// where a `WouldBlock` in the middle of `read_exact` would lose the part it
/// read, whole lines are read with `read_until` (which keeps a partial line
/// buffered) until the end of the stream, and `read_exact` only then.
fn read_exact_records(sock: &Socket, size: usize) -> (Vec<u8>, End) {
    let mut file = SocketFile::with_capacity(sock, 100, 64);
    let mut got = Vec::new();
    let limit = Instant::now() + CASE_LIMIT;
    loop {
        assert!(Instant::now() < limit, "the record loop hung");
        if sock.getblocking() {
            let mut record = vec![0u8; size];
            match file.read_exact(&mut record) {
                Ok(()) => got.extend(record),
                Err(err) => return (got, End::Failed(err)),
            }
            continue;
        }
        let mut line = Vec::new();
        match file.read_until(b'\n', &mut line) {
            Ok(0) => {
                let mut record = vec![0u8; size];
                let err = file.read_exact(&mut record).unwrap_err();
                return (got, End::Failed(err));
            }
            Ok(_) => got.extend(line),
            Err(err) if err.kind() == ErrorKind::WouldBlock => wait_readable(sock),
            Err(err) => return (got, End::Failed(err)),
        }
    }
}

/// Fills `buf` from `file`, retrying after `WouldBlock` and timeouts.
fn read_fully(file: &mut SocketFile<'_>, sock: &Socket, buf: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    let limit = Instant::now() + CASE_LIMIT;
    while filled < buf.len() {
        assert!(Instant::now() < limit, "read_fully hung");
        match file.read(&mut buf[filled..]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => wait_readable(sock),
            Err(err) if err.kind() == ErrorKind::TimedOut => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// A reset while the client is sending: `sendall` (or a `send` loop) fails
/// with `ConnectionReset`/`BrokenPipe` instead of hanging or claiming success.
#[test]
fn reset_while_sending_is_an_error() {
    for mode in MODES {
        let request = payload(4 << 20, 21);
        let (upstream, server) = one_shot_server(|conn| {
            let mut got = 0usize;
            loop {
                match conn.recv(65536) {
                    Ok(chunk) if chunk.is_empty() => return Ok(got),
                    Ok(chunk) => got += chunk.len(),
                    Err(err) => return Err((got, err.kind())),
                }
            }
        });
        let (proxy, sock) = through_proxy(
            upstream,
            Faults {
                reset_after_upstream: Some(200_000),
                ..Faults::default()
            },
            mode,
        );
        // More than the buffers on the way hold, however large they grow.
        let (sent, err) = with_watchdog(&sock, CASE_LIMIT, || {
            let mut total = 0;
            for round in 0..32 {
                let (sent, err) = send_stream(&sock, &request, round);
                total += sent;
                if err.is_some() {
                    return (total, err);
                }
            }
            (total, None)
        });
        let err = err.unwrap_or_else(|| panic!("{mode:?}: all {sent} bytes sent through a reset"));
        assert!(is_broken(err.kind()), "{mode:?}: {err:?}");
        let server_end = server.join().unwrap();
        match server_end {
            Err((got, kind)) => {
                assert_eq!(kind, ErrorKind::ConnectionReset, "{mode:?}");
                assert!(got <= 200_000, "{mode:?}: the server got {got}");
            }
            Ok(got) => panic!("{mode:?}: the server saw an orderly end after {got} bytes"),
        }
        assert!(finish(sock, proxy).reset, "{mode:?}");
    }
}

/// A half-close passes through: the client shuts down its side after the
/// request, the server reads to the end, then answers in full; the client
/// reads the answer, then the end of the stream, again and again. A
/// `read_exact` past the end is `UnexpectedEof`.
#[test]
fn half_close_passes_through() {
    for (i, mode) in MODES.into_iter().enumerate() {
        let request = numbered_lines(50, i as u64).concat();
        let response = payload(300_000, i as u64);
        let (upstream, server) = one_shot_server({
            let response = response.clone();
            move |conn| {
                let mut file = conn.makefile();
                let mut lines = Vec::new();
                loop {
                    let mut line = String::new();
                    if file.read_line(&mut line).expect("server read_line") == 0 {
                        break;
                    }
                    lines.push(line);
                }
                // The end of the stream stays the end.
                let mut line = String::new();
                assert_eq!(file.read_line(&mut line).expect("again"), 0);
                drop(file);
                assert_eq!(conn.recv(16).expect("recv after the end"), b"");
                conn.sendall(&response)
                    .expect("answer after the half-close");
                lines.concat()
            }
        });
        let (proxy, sock) = through_proxy(upstream, Faults::pieces(7), mode);
        let (sent, err) = send_stream(&sock, request.as_bytes(), 1);
        assert!(err.is_none() && sent == request.len(), "{mode:?}: {err:?}");
        sock.shutdown(Shutdown::Write).expect("shutdown");
        let outcome = with_watchdog(&sock, CASE_LIMIT, || {
            read_stream(&sock, Reader::Makefile, 2)
        });
        assert!(
            matches!(outcome.end, End::Eof),
            "{mode:?}: {:?}",
            outcome.end
        );
        assert!(outcome.data == response, "{mode:?}: the response differs");
        for _ in 0..3 {
            let got = loop {
                match sock.recv(16) {
                    Err(err) if err.is_would_block() => wait_readable(&sock),
                    other => break other,
                }
            };
            assert_eq!(got.expect("recv at the end"), b"", "{mode:?}");
        }
        let mut file = sock.makefile();
        let mut record = [0u8; 4];
        let err = loop {
            match file.read_exact(&mut record) {
                Err(err) if err.kind() == ErrorKind::WouldBlock => wait_readable(&sock),
                other => break other.unwrap_err(),
            }
        };
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{mode:?}: {err}");
        drop(file);
        assert_eq!(server.join().unwrap(), request, "{mode:?}");
        let report = finish(sock, proxy);
        assert!(!report.reset, "{mode:?}");
    }
}

/// A peer that half-closes first still receives: the client sees the end of
/// the greeting, then sends its request, which the server reads whole.
#[test]
fn half_closed_peer_still_receives() {
    let greeting = numbered_lines(20, 3).concat();
    let request = payload(200_000, 8);
    let (upstream, server) = one_shot_server({
        let greeting = greeting.clone();
        move |conn| {
            conn.sendall(greeting.as_bytes()).expect("greeting");
            conn.shutdown(Shutdown::Write).expect("shutdown");
            drain(&conn)
        }
    });
    let (proxy, sock) = through_proxy(upstream, Faults::pieces(3), Mode::Timeout(PROMPT));
    let (lines, end, _) = read_lines(&sock, 32);
    assert!(matches!(end, End::Eof), "{end:?}");
    assert_eq!(lines.concat(), greeting);
    sock.sendall(&request).expect("send to a half-closed peer");
    sock.shutdown(Shutdown::Write).expect("shutdown");
    assert!(server.join().unwrap() == request, "the request differs");
    assert!(!finish(sock, proxy).reset);
}

/// A record the vanishing peer sends: its number, zero-padded, and a newline.
fn record(n: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(format!("{n:015}\n").as_bytes());
    out
}

/// What the child prints before its port.
const PORT_MARKER: &str = "VANISHING-PEER-PORT";

/// Run in the child: listen, tell the port, accept one connection, and send
/// numbered records until killed (or for at most 20 s). It never reads.
fn serve_until_killed() {
    let listener = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    listener.bind(("127.0.0.1", 0)).expect("bind");
    listener.listen(1).expect("listen");
    listener.settimeout(Some(PROMPT)).expect("settimeout");
    let port = listener.getsockname().unwrap().port().unwrap();
    println!("{PORT_MARKER} {port}");
    io::stdout().flush().unwrap();
    let (conn, _) = listener.accept().expect("child accept");
    conn.settimeout(Some(PROMPT)).expect("settimeout");
    let limit = Instant::now() + Duration::from_secs(20);
    let mut n = 0u64;
    while Instant::now() < limit {
        let batch: Vec<u8> = (n..n + 64).flat_map(record).collect();
        if conn.sendall(&batch).is_err() {
            return;
        }
        n += 64;
        thread::sleep(Duration::from_millis(1));
    }
}

/// The child process of a vanishing-peer test, with the thread that reads
/// its output.
struct VanishingPeer {
    child: Child,
    output: JoinHandle<()>,
}

impl VanishingPeer {
    /// Starts the child that runs `test` as the vanishing peer, and returns
    /// it with the port it listens on.
    fn start(test: &str) -> (VanishingPeer, u16) {
        let mut child = spawn_child(test);
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel();
        // Ends when the child's output does, when the child dies.
        let output = thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                // libtest prints the test's name on the same line.
                if let Some((_, port)) = line.split_once(PORT_MARKER) {
                    let _ = tx.send(port.trim().parse::<u16>().expect("port"));
                }
            }
        });
        let peer = VanishingPeer { child, output };
        match rx.recv_timeout(PROMPT) {
            Ok(port) => (peer, port),
            Err(_) => panic!("the child never told its port: {}", peer.kill()),
        }
    }

    /// Kills the child (SIGKILL), waits for it and for its output's end;
    /// returns what it wrote to stderr.
    fn kill(mut self) -> String {
        self.child.kill().expect("kill the child");
        self.child.wait().expect("wait for the child");
        self.output.join().expect("output thread");
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        stderr
    }
}

/// Checks that `bytes` are the records from 0 on, in order, each once.
fn assert_records_in_order(bytes: &[u8], what: &str) -> u64 {
    for (i, chunk) in bytes.chunks_exact(16).enumerate() {
        assert_eq!(chunk, record(i as u64), "{what}: record {i}");
    }
    (bytes.len() / 16) as u64
}

/// A peer killed mid-conversation, with nothing of ours unread: every record
/// it sent arrives once, in order; then the end of the stream, which
/// `read_exact` reports as `UnexpectedEof`; then writes fail with
/// `BrokenPipe`/`ConnectionReset`, and this process lives on.
#[test]
fn vanished_peer_gives_the_rest_then_eof_then_broken_pipe() {
    const TEST: &str = "vanished_peer_gives_the_rest_then_eof_then_broken_pipe";
    if is_child(TEST) {
        return serve_until_killed();
    }
    for mode in MODES {
        let (child, port) = VanishingPeer::start(TEST);
        let sock = client(SocketAddr::from(([127, 0, 0, 1], port)), mode);
        let (got, end) = with_watchdog(&sock, CASE_LIMIT, || {
            let mut file = SocketFile::with_capacity(&sock, 512, 64);
            let mut got = vec![0u8; 16 * 1000];
            read_fully(&mut file, &sock, &mut got).expect("the first records");
            let _ = child.kill();
            let pending = file.buffer().to_vec();
            let consumed = pending.len();
            file.consume(consumed);
            drop(file);
            got.extend(pending);
            let (rest, end) = read_exact_records(&sock, 16);
            got.extend(rest);
            (got, end)
        });
        let what = format!("{mode:?}");
        match end {
            End::Failed(err) => assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{what}: {err}"),
            End::Eof => unreachable!(),
        }
        let whole = got.len() / 16 * 16;
        let count = assert_records_in_order(&got[..whole], &what);
        assert!(count >= 1000, "{what}: {count} records");
        let mut failure = None;
        for _ in 0..100 {
            match sock.sendall(b"still there?\n") {
                Ok(()) => thread::sleep(Duration::from_millis(5)),
                Err(err) if err.is_would_block() => wait_writable(&sock),
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        let err = failure.unwrap_or_else(|| panic!("{what}: writes to a dead peer kept working"));
        assert!(is_broken(err.kind()), "{what}: {err:?}");
    }
}

/// A peer killed with our data unread in its buffer resets the connection:
/// the records it sent before arrive intact, in order, then `ConnectionReset`.
#[test]
fn vanished_peer_with_unread_data_gives_connection_reset() {
    const TEST: &str = "vanished_peer_with_unread_data_gives_connection_reset";
    if is_child(TEST) {
        return serve_until_killed();
    }
    for (mode, reader) in [
        (Mode::Blocking, Reader::RecvInto),
        (Mode::Timeout(PROMPT), Reader::Recv),
        (Mode::NonBlocking, Reader::Makefile),
    ] {
        let (child, port) = VanishingPeer::start(TEST);
        let sock = client(SocketAddr::from(([127, 0, 0, 1], port)), mode);
        let (sent, err) = send_stream(&sock, &payload(16 * 1024, 1), 1);
        assert!(err.is_none() && sent == 16 * 1024, "{mode:?}: {err:?}");
        let what = format!("{mode:?} {reader:?}");
        let outcome = with_watchdog(&sock, CASE_LIMIT, || {
            // Let the request reach the peer's buffer, and a few records ours.
            thread::sleep(Duration::from_millis(100));
            let _ = child.kill();
            read_stream(&sock, reader, 9)
        });
        assert_eq!(
            outcome.error_kind(),
            Some(ErrorKind::ConnectionReset),
            "{what}: {:?}",
            outcome.end
        );
        let whole = outcome.data.len() / 16 * 16;
        assert_records_in_order(&outcome.data[..whole], &what);
        let err = sock.sendall(b"still there?\n").unwrap_err();
        assert!(is_broken(err.kind()), "{what}: {err:?}");
    }
}
