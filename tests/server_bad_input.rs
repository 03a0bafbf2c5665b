//! Servers under bad input: handlers that panic mid-request, hooks that
//! panic, a client that sends a 10 MB line. Each failure is reported through
//! `handle_error`, the client's connection closes, the server serves the
//! next client, and no descriptor is left open (counted in a process of its
//! own).

mod common;
mod server_support;

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{Serve, PROMPT};
use pysocket::server::{
    Connection, ConnectionHandler, HandlerResult, RequestHandler, SelectorTcpServer, ServerOptions,
    StreamRequest, TcpServer, ThreadingTcpServer,
};
use pysocket::{create_connection, Address, Socket, SHUT_WR};
use server_support::{fd_count_settles_at, read_to_end, recording, reported, serving, Report};

// ---------------------------------------------------------------------------
// Handlers and clients

/// Echoes lines; on the line `panic`, writes `partial ` and panics.
struct PanicMidRequest;

impl RequestHandler for PanicMidRequest {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let mut line = String::new();
        while request.rfile.read_line(&mut line)? > 0 {
            if line == "panic\n" {
                request.wfile.write_all(b"partial ")?;
                panic!("panicked mid-request");
            }
            request.wfile.write_all(line.as_bytes())?;
            line.clear();
        }
        Ok(())
    }
}

/// The selector server's echo; on `panic\n`, queues `partial ` and panics.
struct SelectorPanic;

impl ConnectionHandler for SelectorPanic {
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
        if data == b"panic\n" {
            conn.write(b"partial ");
            panic!("panicked mid-request");
        }
        conn.write(data);
        Ok(())
    }
}

fn client(addr: &Address) -> Socket {
    let sock = create_connection(addr, Some(PROMPT)).expect("connect");
    sock.settimeout(Some(PROMPT * 3)).expect("settimeout");
    sock
}

/// Sends `line`, ends the request, and returns the whole answer.
fn exchange(addr: &Address, line: &[u8]) -> Vec<u8> {
    let sock = client(addr);
    sock.sendall(line).expect("sendall");
    sock.shutdown(SHUT_WR).expect("shutdown");
    read_to_end(&sock)
}

/// Checks that `seen` is `count` reports of a panic with `message`, each
/// with a client address on 127.0.0.1.
fn assert_panics_reported(seen: &[Report], count: usize, message: &str) {
    assert_eq!(seen.len(), count, "{seen:?}");
    for report in seen {
        assert_eq!(report.kind, "panic", "{seen:?}");
        assert!(report.message.contains(message), "{seen:?}");
        let client = report.client.as_deref().unwrap_or_default();
        assert!(client.starts_with("127.0.0.1:"), "{seen:?}");
    }
}

/// Runs the test `name` in a process of its own (descriptors are counted
/// for the whole process); true in that process, which then runs the body.
fn in_own_process(name: &str) -> bool {
    if common::is_child(name) {
        return true;
    }
    common::assert_child_passes(name, common::CHILD_PASSED);
    false
}

// ---------------------------------------------------------------------------
// A handler that panics mid-request

const ROUNDS: usize = 5;

/// `ROUNDS` clients whose handler panics after answering in part, each
/// followed by one served in full.
fn panics_then_service(addr: &Address, partial: Option<&[u8]>) {
    for round in 0..ROUNDS {
        let sock = client(addr);
        sock.sendall(b"panic\n").expect("sendall");
        // The connection ends: after the part written before the panic (the
        // selector server drops what it had queued).
        let got = read_to_end(&sock);
        if let Some(partial) = partial {
            assert_eq!(got, partial, "round {round}");
        }
        assert_eq!(exchange(addr, b"fine\n"), b"fine\n", "round {round}");
    }
}

#[test]
fn a_tcp_handler_that_panics_mid_request_is_reported_and_leaks_nothing() {
    if !in_own_process("a_tcp_handler_that_panics_mid_request_is_reported_and_leaks_nothing") {
        return;
    }
    let (options, reports) = recording();
    let server = TcpServer::with_options(("127.0.0.1", 0), || PanicMidRequest, options).unwrap();
    let before = common::fd_count();
    serving(&server, |addr| panics_then_service(addr, Some(b"partial ")));
    assert_eq!(fd_count_settles_at(before), before, "descriptors leaked");
    assert_panics_reported(&reported(&reports, ROUNDS), ROUNDS, "panicked mid-request");
    server.server_close();
    println!("{}", common::CHILD_PASSED);
}

#[test]
fn a_threading_handler_that_panics_mid_request_is_reported_and_leaks_nothing() {
    if !in_own_process("a_threading_handler_that_panics_mid_request_is_reported_and_leaks_nothing")
    {
        return;
    }
    let (options, reports) = recording();
    let server =
        ThreadingTcpServer::with_options(("127.0.0.1", 0), || PanicMidRequest, options).unwrap();
    let before = common::fd_count();
    serving(&server, |addr| panics_then_service(addr, Some(b"partial ")));
    assert_eq!(fd_count_settles_at(before), before, "descriptors leaked");
    assert_panics_reported(&reported(&reports, ROUNDS), ROUNDS, "panicked mid-request");
    server.server_close();
    println!("{}", common::CHILD_PASSED);
}

#[test]
fn a_selector_handler_that_panics_mid_request_is_reported_and_leaks_nothing() {
    if !in_own_process("a_selector_handler_that_panics_mid_request_is_reported_and_leaks_nothing") {
        return;
    }
    let (options, reports) = recording();
    let server =
        SelectorTcpServer::with_options(("127.0.0.1", 0), || SelectorPanic, options).unwrap();
    let before = common::fd_count();
    serving(&server, |addr| panics_then_service(addr, None));
    assert_eq!(fd_count_settles_at(before), before, "descriptors leaked");
    assert_panics_reported(&reported(&reports, ROUNDS), ROUNDS, "panicked mid-request");
    server.server_close();
    println!("{}", common::CHILD_PASSED);
}

// ---------------------------------------------------------------------------
// Hooks that panic

/// A `verify_request` that panics for the first `ROUNDS` connections, then
/// admits every one.
fn panicking_verify(options: ServerOptions) -> ServerOptions {
    let calls = AtomicUsize::new(0);
    options.verify_request(move |_, _| {
        if calls.fetch_add(1, Ordering::SeqCst) < ROUNDS {
            panic!("verify_request panicked");
        }
        true
    })
}

/// `ROUNDS` connections refused by the panicking hook, then one served.
fn refused_then_served<S: Serve>(server: &S, reports: &Mutex<Vec<Report>>) {
    serving(server, |addr| {
        for round in 0..ROUNDS {
            let sock = client(addr);
            assert!(read_to_end(&sock).is_empty(), "round {round}: served");
        }
        assert_eq!(exchange(addr, b"fine\n"), b"fine\n");
    });
    assert_panics_reported(
        &reported(reports, ROUNDS),
        ROUNDS,
        "verify_request panicked",
    );
}

#[test]
fn a_verify_request_that_panics_refuses_the_connection_and_leaks_nothing() {
    if !in_own_process("a_verify_request_that_panics_refuses_the_connection_and_leaks_nothing") {
        return;
    }
    let addr = ("127.0.0.1", 0);
    let before = common::fd_count();

    let (options, reports) = recording();
    let server = TcpServer::with_options(addr, || PanicMidRequest, panicking_verify(options));
    refused_then_served(&server.unwrap(), &reports);
    assert_eq!(fd_count_settles_at(before), before, "TcpServer leaked");

    let (options, reports) = recording();
    let server =
        ThreadingTcpServer::with_options(addr, || PanicMidRequest, panicking_verify(options));
    refused_then_served(&server.unwrap(), &reports);
    assert_eq!(
        fd_count_settles_at(before),
        before,
        "ThreadingTcpServer leaked"
    );

    let (options, reports) = recording();
    let server = SelectorTcpServer::with_options(addr, || SelectorPanic, panicking_verify(options));
    refused_then_served(&server.unwrap(), &reports);
    assert_eq!(
        fd_count_settles_at(before),
        before,
        "SelectorTcpServer leaked"
    );
    println!("{}", common::CHILD_PASSED);
}

#[test]
fn a_handle_error_that_panics_does_not_stop_the_server() {
    let reports = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&reports);
    let options = ServerOptions::new().handle_error(move |_, _| {
        count.fetch_add(1, Ordering::SeqCst);
        panic!("handle_error panicked");
    });
    let server = TcpServer::with_options(("127.0.0.1", 0), || PanicMidRequest, options).unwrap();
    serving(&server, |addr| panics_then_service(addr, Some(b"partial ")));
    assert_eq!(reports.load(Ordering::SeqCst), ROUNDS);
}

// ---------------------------------------------------------------------------
// A 10 MB line

const TEN_MB: usize = 10 * 1024 * 1024;

/// The longest line [`Limited`] takes.
const LINE_LIMIT: usize = 1024;

/// Reads lines of at most `LINE_LIMIT` bytes with `rfile.readline(size)`
/// (as Python's `http.server` reads `readline(65537)`), echoing them; a
/// longer line gets `line too long` and the end of the connection. Records
/// the most `rfile` held at once.
struct Limited {
    held: Arc<AtomicUsize>,
}

impl RequestHandler for Limited {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        loop {
            let line = request.rfile.readline(LINE_LIMIT)?;
            self.held
                .fetch_max(request.rfile.buffer().len() + line.len(), Ordering::SeqCst);
            if line.is_empty() {
                return Ok(());
            }
            if !line.ends_with(b"\n") {
                request.wfile.write_all(b"line too long\n")?;
                return Ok(());
            }
            request.wfile.write_all(&line)?;
        }
    }
}

/// Sends a 10 MB line with no newline from a thread and reads the answer;
/// the server may close (and reset the connection) long before all is
/// sent. Returns the answer.
fn send_ten_megabytes(addr: &Address) -> Vec<u8> {
    let sock = client(addr);
    thread::scope(|scope| {
        scope.spawn(|| {
            let line = vec![b'a'; TEN_MB];
            if let Err(err) = sock.sendall(&line) {
                let errno = err.errno();
                assert!(
                    matches!(errno, Some(libc::EPIPE | libc::ECONNRESET)),
                    "sendall: {err}"
                );
            }
        });
        read_to_end(&sock)
    })
}

/// A 10 MB line to a `Limited` handler, while other clients are served.
fn a_long_line_is_cut<S: Serve>(server: &S, held: &AtomicUsize) {
    serving(server, |addr| {
        assert_eq!(send_ten_megabytes(addr), b"line too long\n");
        assert_eq!(exchange(addr, b"short\n"), b"short\n");
        assert_eq!(send_ten_megabytes(addr), b"line too long\n");
    });
    let held = held.load(Ordering::SeqCst);
    assert!(
        held <= 8192,
        "rfile held {held} bytes of a line cut at {LINE_LIMIT}"
    );
}

#[test]
fn readline_with_a_limit_cuts_a_ten_megabyte_line_and_the_server_goes_on() {
    let held = Arc::new(AtomicUsize::new(0));
    let handlers = Arc::clone(&held);
    let factory = move || Limited {
        held: Arc::clone(&handlers),
    };
    let (options, reports) = recording();
    let server = TcpServer::with_options(("127.0.0.1", 0), factory.clone(), options).unwrap();
    a_long_line_is_cut(&server, &held);
    let (threading_options, threading_reports) = recording();
    let server =
        ThreadingTcpServer::with_options(("127.0.0.1", 0), factory, threading_options).unwrap();
    a_long_line_is_cut(&server, &held);
    server.server_close();
    // Nothing failed: the handler ended the request itself.
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock());
    assert!(threading_reports.lock().unwrap().is_empty());
}

#[test]
fn read_line_holds_a_ten_megabyte_line_whole_while_others_are_served() {
    /// Answers each line with its length (`read_line` has no limit: the
    /// whole line is held in memory, as by Python's `readline()`).
    struct Lengths;
    impl RequestHandler for Lengths {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            let mut line = String::new();
            while request.rfile.read_line(&mut line)? > 0 {
                writeln!(request.wfile, "{}", line.len())?;
                line.clear();
            }
            Ok(())
        }
    }
    let (options, reports) = recording();
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Lengths, options).unwrap();
    serving(&server, |addr| {
        let big = client(addr);
        thread::scope(|scope| {
            let sender = scope.spawn(|| {
                let mut line = vec![b'a'; TEN_MB];
                line.push(b'\n');
                big.sendall(&line).expect("sendall");
                big.shutdown(SHUT_WR).expect("shutdown");
            });
            // Served while the big line is on its way.
            assert_eq!(exchange(addr, b"abc\n"), b"4\n");
            sender.join().expect("sender");
        });
        assert_eq!(read_to_end(&big), format!("{}\n", TEN_MB + 1).as_bytes());
    });
    server.server_close();
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock());
}

#[test]
fn a_line_that_never_ends_is_dropped_after_the_timeout() {
    // `read_line` waits for the newline; the per-connection timeout bounds
    // the wait of each read, so a client that stops sending is dropped and
    // the one-at-a-time server serves the next.
    struct OneLine;
    impl RequestHandler for OneLine {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            let mut line = String::new();
            request.rfile.read_line(&mut line)?;
            request.wfile.write_all(line.as_bytes())?;
            Ok(())
        }
    }
    let (options, reports) = recording();
    let options = options.timeout(Some(Duration::from_millis(300)));
    let server = TcpServer::with_options(("127.0.0.1", 0), || OneLine, options).unwrap();
    serving(&server, |addr| {
        let stalled = client(addr);
        stalled.sendall(&vec![b'a'; 100_000]).unwrap();
        assert!(read_to_end(&stalled).is_empty(), "dropped");
        let seen = reported(&reports, 1);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].message.contains("timed out"), "{seen:?}");
        assert_eq!(exchange(addr, b"next\n"), b"next\n");
    });
}
