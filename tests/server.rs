//! The `server` module: every server kind under a hundred concurrent clients,
//! shutdown from another thread with clients connected, handlers that fail
//! or panic, silent clients, the thread bound, and the options.

mod common;

use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{serving, Serve, POLL, PROMPT};
use pysocket::server::{
    Connection, ConnectionHandler, DatagramRequest, DatagramRequestHandler, HandlerResult,
    RequestError, RequestHandler, SelectorTcpServer, ServerOptions, StreamRequest, TcpServer,
    ThreadingTcpServer, UdpServer,
};
use pysocket::{
    create_connection, Address, Error, Socket, AF_INET, AF_UNIX, SHUT_WR, SOCK_DGRAM, SOL_SOCKET,
    SO_REUSEADDR,
};

const CLIENTS: usize = 100;

// ---------------------------------------------------------------------------
// Handlers

/// Echoes chunks through `rfile`/`wfile`; `panic` and `error` misbehave.
struct Echo;

impl RequestHandler for Echo {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        loop {
            let chunk = request.rfile.fill_buf()?;
            if chunk.is_empty() {
                return Ok(());
            }
            match chunk {
                b"panic" => panic!("asked to panic"),
                b"error" => return Err("asked to fail".into()),
                _ => {}
            }
            let len = chunk.len();
            request.wfile.write_all(chunk)?;
            request.wfile.flush()?;
            request.rfile.consume(len);
        }
    }
}

/// The selector server's echo, misbehaving the same way.
struct SelectorEcho;

impl ConnectionHandler for SelectorEcho {
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
        match data {
            b"panic" => panic!("asked to panic"),
            b"error" => Err("asked to fail".into()),
            _ => {
                conn.write(data);
                Ok(())
            }
        }
    }
}

/// The UDP echo, misbehaving the same way.
struct DatagramEcho;

impl DatagramRequestHandler for DatagramEcho {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        match request.packet {
            b"panic" => panic!("asked to panic"),
            b"error" => Err("asked to fail".into()),
            packet => {
                request.wfile.write_all(packet)?;
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Running a server for the length of a test

fn client(addr: &Address) -> Socket {
    let sock = create_connection(addr, Some(PROMPT)).expect("connect");
    sock.settimeout(Some(PROMPT * 3)).expect("settimeout");
    sock
}

/// Reads exactly `len` bytes (less if the stream ends).
fn read_exact(sock: &Socket, len: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(len);
    while got.len() < len {
        let chunk = sock.recv(len - got.len()).expect("recv");
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    got
}

/// A message unique to this client and round, of a length that varies.
fn message(client: usize, round: usize) -> Vec<u8> {
    let len = 1 + (client * 131 + round * 977) % 3000;
    (0..len)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[(client + round + i) % 36])
        .collect()
}

/// A hundred clients at once, each checking its own echoes byte for byte.
fn hundred_clients(addr: &Address) {
    let barrier = Barrier::new(CLIENTS);
    thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let sock = client(addr);
                    barrier.wait(); // all connected at once
                    for round in 0..10 {
                        let sent = message(id, round);
                        sock.sendall(&sent).expect("sendall");
                        let echoed = read_exact(&sock, sent.len());
                        assert!(echoed == sent, "client {id} round {round}: wrong echo");
                    }
                    sock.shutdown(pysocket::Shutdown::Write).expect("shutdown");
                    assert!(sock.recv(16).expect("recv").is_empty(), "no end of stream");
                })
            })
            .collect();
        for handle in clients {
            handle.join().expect("client failed");
        }
    });
}

fn options() -> ServerOptions {
    ServerOptions::new().request_queue_size(256)
}

// ---------------------------------------------------------------------------
// A hundred concurrent clients against each kind

#[test]
fn tcp_server_serves_a_hundred_concurrent_clients() {
    let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options()).unwrap();
    serving(&server, hundred_clients);
    server.server_close();
}

#[test]
fn threading_tcp_server_serves_a_hundred_concurrent_clients() {
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options()).unwrap();
    serving(&server, hundred_clients);
    server.server_close();
}

#[test]
fn threading_tcp_server_serves_a_hundred_clients_with_fewer_threads() {
    let options = options().max_threads(8);
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, hundred_clients);
    assert!(server.active_threads() <= 8);
    server.server_close();
}

#[test]
fn selector_tcp_server_serves_a_hundred_concurrent_clients() {
    let server =
        SelectorTcpServer::with_options(("127.0.0.1", 0), || SelectorEcho, options()).unwrap();
    serving(&server, hundred_clients);
    server.server_close();
}

#[test]
fn udp_server_echoes_a_hundred_concurrent_clients() {
    let server = UdpServer::new(("127.0.0.1", 0), || DatagramEcho).unwrap();
    serving(&server, |addr| {
        thread::scope(|scope| {
            for id in 0..CLIENTS {
                scope.spawn(move || {
                    let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
                    sock.bind(("127.0.0.1", 0)).unwrap();
                    for round in 0..10 {
                        let sent = message(id, round);
                        assert!(
                            udp_exchange(&sock, addr, &sent),
                            "client {id} round {round}: no echo"
                        );
                    }
                });
            }
        });
    });
    server.server_close();
}

/// Sends `sent` until its exact echo comes back from `addr`. UDP may drop
/// datagrams (a hundred clients at once overflow the server's receive
/// buffer), so a datagram with no answer is sent again; echoes of earlier
/// copies are skipped. False if no echo came within `PROMPT`.
fn udp_exchange(sock: &Socket, addr: &Address, sent: &[u8]) -> bool {
    sock.settimeout(Some(Duration::from_millis(200))).unwrap();
    let deadline = Instant::now() + PROMPT;
    while Instant::now() < deadline {
        sock.sendto(sent, addr).unwrap();
        loop {
            match sock.recvfrom(8192) {
                Ok((echoed, from)) if echoed == sent && &from == addr => return true,
                Ok(_) => continue, // a late echo of an earlier message
                Err(err) if err.is_timeout() => break,
                Err(err) => panic!("recvfrom: {err}"),
            }
        }
    }
    false
}

#[test]
fn udp_server_cuts_datagrams_at_max_packet_size() {
    let options = ServerOptions::new().max_packet_size(4);
    let server = UdpServer::with_options(("127.0.0.1", 0), || DatagramEcho, options).unwrap();
    serving(&server, |addr| {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.settimeout(Some(PROMPT)).unwrap();
        sock.sendto(b"abcdefgh", addr).unwrap();
        assert_eq!(sock.recvfrom(64).unwrap().0, b"abcd");
    });
}

// ---------------------------------------------------------------------------
// Failing handlers

/// Collects what `handle_error` reports.
fn recording() -> (ServerOptions, Arc<Mutex<Vec<String>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let options = options().handle_error(move |err, client| {
        let kind = match err {
            RequestError::Handler(_) => "handler",
            RequestError::Panic(_) => "panic",
            RequestError::Server(_) => "server",
            _ => "other",
        };
        let from = client.map_or("nobody".to_string(), |c| c.ip().unwrap().to_string());
        sink.lock()
            .unwrap()
            .push(format!("{kind} from {from}: {err}"));
    });
    (options, reports)
}

/// Waits until `reports` holds `count` entries (the report runs after the
/// client sees its connection close).
fn reported(reports: &Mutex<Vec<String>>, count: usize) -> Vec<String> {
    let deadline = Instant::now() + PROMPT;
    loop {
        let seen = reports.lock().unwrap().clone();
        if seen.len() >= count || Instant::now() > deadline {
            return seen;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn check_failures_are_reported_and_survived(addr: &Address, reports: &Mutex<Vec<String>>) {
    for (round, word) in ["panic", "error", "panic"].iter().enumerate() {
        let sock = client(addr);
        sock.sendall(word.as_bytes()).unwrap();
        // The server closes a connection whose handler failed.
        match sock.recv(16) {
            Ok(data) => assert!(data.is_empty(), "round {round}: got {data:?}"),
            Err(err) => assert_eq!(err.errno(), Some(libc::ECONNRESET), "{err}"),
        }
        let good = client(addr);
        good.sendall(b"still here").unwrap();
        assert_eq!(read_exact(&good, 10), b"still here", "round {round}");
    }
    let seen = reported(reports, 3);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].starts_with("panic from 127.0.0.1"), "{seen:?}");
    assert!(seen[0].contains("asked to panic"), "{seen:?}");
    assert!(seen[1].starts_with("handler from 127.0.0.1"), "{seen:?}");
    assert!(seen[1].contains("asked to fail"), "{seen:?}");
}

#[test]
fn tcp_server_reports_failing_handlers_and_goes_on() {
    let (options, reports) = recording();
    let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        check_failures_are_reported_and_survived(addr, &reports)
    });
}

#[test]
fn threading_tcp_server_reports_failing_handlers_and_goes_on() {
    let (options, reports) = recording();
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        check_failures_are_reported_and_survived(addr, &reports)
    });
    server.server_close();
}

#[test]
fn selector_tcp_server_reports_failing_handlers_and_goes_on() {
    let (options, reports) = recording();
    let server =
        SelectorTcpServer::with_options(("127.0.0.1", 0), || SelectorEcho, options).unwrap();
    serving(&server, |addr| {
        check_failures_are_reported_and_survived(addr, &reports)
    });
}

#[test]
fn udp_server_reports_failing_handlers_and_goes_on() {
    let (options, reports) = recording();
    let server = UdpServer::with_options(("127.0.0.1", 0), || DatagramEcho, options).unwrap();
    serving(&server, |addr| {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.settimeout(Some(PROMPT)).unwrap();
        for word in ["panic", "error"] {
            sock.sendto(word.as_bytes(), addr).unwrap();
            sock.sendto(b"next", addr).unwrap();
            assert_eq!(sock.recvfrom(64).unwrap().0, b"next");
        }
        let seen = reported(&reports, 2);
        assert!(seen[0].starts_with("panic from 127.0.0.1"), "{seen:?}");
        assert!(seen[1].starts_with("handler from 127.0.0.1"), "{seen:?}");
    });
}

#[test]
fn a_panicking_handler_factory_is_reported_too() {
    let (options, reports) = recording();
    let made = AtomicUsize::new(0);
    let made = Arc::new(made);
    let count = Arc::clone(&made);
    let factory = move || {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("no handler for the first client");
        }
        Echo
    };
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    serving(&server, |addr| {
        let first = client(addr);
        assert!(first.recv(16).map_or(true, |data| data.is_empty()));
        let second = client(addr);
        second.sendall(b"ok").unwrap();
        assert_eq!(read_exact(&second, 2), b"ok");
        let seen = reported(&reports, 1);
        assert!(
            seen[0].contains("no handler for the first client"),
            "{seen:?}"
        );
    });
}

// ---------------------------------------------------------------------------
// Silent clients, shutdown and threads

#[test]
fn a_silent_client_does_not_hold_up_the_threading_server() {
    let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    serving(&server, |addr| {
        let _silent = client(addr);
        let talker = client(addr);
        talker.sendall(b"hello").unwrap();
        assert_eq!(read_exact(&talker, 5), b"hello");
    });
    let started = Instant::now();
    server.server_close(); // cuts the silent connection, joins its thread
    assert!(
        started.elapsed() < PROMPT,
        "server_close took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_silent_client_does_not_hold_up_the_selector_server() {
    let server = SelectorTcpServer::new(("127.0.0.1", 0), || SelectorEcho).unwrap();
    let silent = serving(&server, |addr| {
        let silent = client(addr);
        let talker = client(addr);
        talker.sendall(b"hello").unwrap();
        assert_eq!(read_exact(&talker, 5), b"hello");
        silent
    });
    // serve_forever closed the silent connection when it returned.
    assert!(silent.recv(16).unwrap().is_empty());
}

#[test]
fn shutdown_cuts_the_tcp_servers_silent_connection() {
    let server = TcpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    let silent = serving(&server, |addr| {
        let silent = client(addr);
        // Make sure the handler is waiting on it before shutting down.
        silent.sendall(b"hi").unwrap();
        assert_eq!(read_exact(&silent, 2), b"hi");
        silent
    });
    assert!(silent.recv(16).unwrap().is_empty(), "the handler ended");
}

#[test]
fn shutdown_with_a_handler_stuck_writing_gives_up_after_the_grace() {
    /// Writes for ever to a client that never reads.
    struct Flood;
    impl RequestHandler for Flood {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            let chunk = vec![0u8; 64 * 1024];
            loop {
                request.connection.sendall(&chunk)?;
            }
        }
    }
    let grace = Duration::from_millis(200);
    let (options, reports) = recording();
    let options = options.close_grace(grace);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Flood, options).unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(POLL));
        let reader = client(server.server_address());
        // The handler is flooding once the first bytes arrive; the reader
        // stays open, reading no more, until the shutdown is over.
        assert!(!reader.recv(16).unwrap().is_empty());
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        server.shutdown();
        let took = started.elapsed();
        assert!(took >= grace.mul_f64(0.9), "did not wait: {took:?}");
        assert!(took < PROMPT, "shutdown took {took:?}");
        serving.join().unwrap().unwrap();
        drop(reader);
    });
    // The handler's write failed once its connection was cut; reported
    // through handle_error, not printed.
    let seen = reported(&reports, 1);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("handler from 127.0.0.1"), "{seen:?}");
    assert!(seen[0].contains("[Errno 32]"), "a broken pipe: {seen:?}");
}

#[test]
fn shutdown_before_serve_forever_makes_it_return_at_once() {
    let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    let started = Instant::now();
    server.shutdown();
    server.serve_forever(Duration::from_secs(3600)).unwrap();
    assert!(started.elapsed() < PROMPT);
    assert!(!server.handle().is_serving());
}

#[test]
fn shutdown_from_a_handler_of_the_tcp_server_does_not_deadlock() {
    struct Stop;
    impl RequestHandler for Stop {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            request.server.shutdown();
            request.wfile.write_all(b"bye")?;
            Ok(())
        }
    }
    let server = TcpServer::new(("127.0.0.1", 0), || Stop).unwrap();
    let addr = server.server_address().clone();
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(Duration::from_secs(3600)));
        let sock = client(&addr);
        assert_eq!(read_exact(&sock, 3), b"bye");
        let deadline = Instant::now() + PROMPT;
        while !serving.is_finished() {
            assert!(Instant::now() < deadline, "serve_forever did not stop");
            thread::sleep(Duration::from_millis(5));
        }
        serving.join().unwrap().unwrap();
    });
}

#[test]
fn serve_forever_runs_once_at_a_time() {
    let server = UdpServer::new(("127.0.0.1", 0), || DatagramEcho).unwrap();
    serving(&server, |_| {
        let deadline = Instant::now() + PROMPT;
        while !server.handle().is_serving() {
            assert!(Instant::now() < deadline);
            thread::sleep(Duration::from_millis(5));
        }
        let err = server.serve_forever(POLL).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("already running"), "{err}");
    });
}

#[test]
fn the_thread_bound_makes_accept_wait() {
    let options = options().max_threads(2);
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        let first = client(addr);
        let second = client(addr);
        for sock in [&first, &second] {
            sock.sendall(b"in").unwrap();
            assert_eq!(read_exact(sock, 2), b"in");
        }
        assert_eq!(server.active_threads(), 2);
        let third = client(addr); // the kernel takes it; the server does not yet
        third.sendall(b"wait").unwrap();
        third.settimeout(Some(Duration::from_millis(300))).unwrap();
        assert!(
            third.recv(16).unwrap_err().is_timeout(),
            "served past the bound"
        );
        drop(first);
        third.settimeout(Some(PROMPT)).unwrap();
        assert_eq!(read_exact(&third, 4), b"wait");
        assert!(server.active_threads() <= 2);
    });
}

/// The number of threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn no_thread_is_left_behind() {
    // Counting threads needs a process of its own: other tests run threads.
    const TEST: &str = "no_thread_is_left_behind";
    if !common::is_child(TEST) {
        common::assert_child_passes(TEST, common::CHILD_PASSED);
        return;
    }
    let before = thread_count();
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options()).unwrap();
    let addr = server.server_address().clone();
    let handle = server.handle();
    let serving = thread::spawn(move || {
        server.serve_forever(POLL).unwrap();
        server // closed below, after the shutdown
    });
    let silent: Vec<Socket> = (0..20).map(|_| client(&addr)).collect();
    let talker = client(&addr);
    talker.sendall(b"hello").unwrap();
    assert_eq!(read_exact(&talker, 5), b"hello");
    // 21 handler threads and the serving thread are running.
    let deadline = Instant::now() + PROMPT;
    while thread_count() < before + 22 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert!(thread_count() >= before + 22, "handlers did not start");

    let started = Instant::now();
    handle.shutdown();
    assert!(
        started.elapsed() < PROMPT,
        "shutdown took {:?}",
        started.elapsed()
    );
    let server = serving.join().unwrap();
    server.server_close();
    assert!(
        started.elapsed() < PROMPT,
        "closing took {:?}",
        started.elapsed()
    );
    assert_eq!(thread_count(), before, "threads left behind");
    for sock in silent {
        assert!(
            sock.recv(16).unwrap().is_empty(),
            "the connection was closed"
        );
    }
    println!("{}", common::CHILD_PASSED);
}

#[test]
fn dropping_a_threading_server_joins_its_threads() {
    let live = Arc::new(AtomicUsize::new(0));
    /// Counts live handlers; waits for data that never comes.
    struct Counted(Arc<AtomicUsize>);
    impl RequestHandler for Counted {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            let mut line = String::new();
            request.rfile.read_line(&mut line)?;
            Ok(())
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let counter = Arc::clone(&live);
    let factory = move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Counted(Arc::clone(&counter))
    };
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), factory, options()).unwrap();
    let _clients = serving(&server, |addr| {
        let clients: Vec<Socket> = (0..10).map(|_| client(addr)).collect();
        let deadline = Instant::now() + PROMPT;
        while live.load(Ordering::SeqCst) < 10 {
            assert!(Instant::now() < deadline, "handlers did not start");
            thread::sleep(Duration::from_millis(5));
        }
        clients
    });
    assert_eq!(
        live.load(Ordering::SeqCst),
        10,
        "handlers go on after shutdown"
    );
    drop(server);
    assert_eq!(live.load(Ordering::SeqCst), 0, "drop joined every handler");
}

// ---------------------------------------------------------------------------
// Stream details

#[test]
fn the_selector_server_flushes_before_closing_on_end_of_stream() {
    let server = SelectorTcpServer::new(("127.0.0.1", 0), || SelectorEcho).unwrap();
    serving(&server, |addr| {
        let sock = client(addr);
        sock.sendall(b"last words").unwrap();
        sock.shutdown(SHUT_WR).unwrap();
        let mut all = Vec::new();
        (&sock).read_to_end(&mut all).unwrap();
        assert_eq!(all, b"last words");
    });
}

#[test]
fn the_selector_server_echoes_megabytes_to_a_slow_reader() {
    const TOTAL: usize = 8 * 1024 * 1024;
    let server = SelectorTcpServer::new(("127.0.0.1", 0), || SelectorEcho).unwrap();
    serving(&server, |addr| {
        let sock = client(addr);
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        thread::scope(|scope| {
            scope.spawn(|| sock.sendall(&data).unwrap());
            // Read late and slowly, so the server must hold back.
            thread::sleep(Duration::from_millis(200));
            let echoed = read_exact(&sock, TOTAL);
            assert!(echoed == data, "the echo differs");
        });
    });
}

#[test]
fn the_selector_servers_connections_stay_apart_as_others_close() {
    let server =
        SelectorTcpServer::with_options(("127.0.0.1", 0), || SelectorEcho, options()).unwrap();
    serving(&server, |addr| {
        let check = |open: &[(usize, Socket)], round: usize| {
            for (id, sock) in open {
                let sent = message(*id, round);
                sock.sendall(&sent).expect("sendall");
                let echoed = read_exact(sock, sent.len());
                assert!(echoed == sent, "client {id} round {round}: wrong echo");
            }
        };
        let mut open: Vec<(usize, Socket)> = (0..24).map(|id| (id, client(addr))).collect();
        check(&open, 0);
        // The first, the last and a middle connection close in turn, and a
        // new one (likely on a freed descriptor) comes; the rest go on.
        for round in 1..=6 {
            for place in [0, open.len() - 1, open.len() / 2] {
                let (_, sock) = open.remove(place.min(open.len() - 1));
                sock.shutdown(SHUT_WR).expect("shutdown");
                assert!(sock.recv(16).expect("recv").is_empty(), "no end of stream");
            }
            open.push((100 + round, client(addr)));
            check(&open, round);
        }
        assert_eq!(open.len(), 24 - 2 * 6);
    });
}

#[test]
fn stream_requests_give_buffered_lines_and_the_client_address() {
    struct Lines;
    impl RequestHandler for Lines {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            let peer = request.client_address.clone();
            writeln!(request.wfile, "hello {}", peer.ip().unwrap())?;
            request.wfile.flush()?;
            let mut line = String::new();
            while request.rfile.read_line(&mut line)? > 0 {
                write!(request.wfile, "{}", line.to_uppercase())?;
                line.clear();
            }
            Ok(()) // wfile is flushed after finish
        }
    }
    let server = TcpServer::new(("127.0.0.1", 0), || Lines).unwrap();
    serving(&server, |addr| {
        let sock = client(addr);
        sock.sendall(b"one\ntwo\n").unwrap();
        sock.shutdown(SHUT_WR).unwrap();
        let mut all = String::new();
        (&sock).read_to_string(&mut all).unwrap();
        assert_eq!(all, "hello 127.0.0.1\nONE\nTWO\n");
    });
}

/// Checks that the server has not closed `silent` yet (its timeout runs
/// from `started`), and leaves it non-blocking.
fn assert_still_open(silent: &Socket, started: Instant) {
    silent.setblocking(false).unwrap();
    let open = silent.recv(16);
    assert!(
        open.as_ref().is_err_and(Error::is_would_block),
        "the silent connection ended before its timeout ({:?}): {open:?}",
        started.elapsed()
    );
}

#[test]
fn the_timeout_option_ends_a_silent_connection() {
    // Python's StreamRequestHandler.timeout: the silent client is dropped
    // after it, while the threading server serves others meanwhile.
    let timeout = Duration::from_secs(2);
    let (options, reports) = recording();
    let options = options.timeout(Some(timeout));
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        // Before the connection: its timeout cannot start any earlier.
        let started = Instant::now();
        let silent = client(addr);
        let talker = client(addr);
        talker.sendall(b"meanwhile").unwrap();
        assert_eq!(read_exact(&talker, 9), b"meanwhile");
        drop(talker);
        assert_still_open(&silent, started);
        silent.settimeout(Some(PROMPT)).unwrap();
        assert!(
            silent.recv(16).unwrap().is_empty(),
            "closed after the timeout"
        );
        assert!(started.elapsed() >= timeout.mul_f64(0.9));
        let seen = reported(&reports, 1);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].starts_with("handler from 127.0.0.1"), "{seen:?}");
        assert!(seen[0].contains("timed out"), "{seen:?}");
    });
    server.server_close();
}

#[test]
fn the_tcp_server_drops_a_silent_client_after_the_timeout_and_serves_the_next() {
    let timeout = Duration::from_millis(300);
    let (options, reports) = recording();
    let options = options.timeout(Some(timeout));
    let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        let started = Instant::now();
        let silent = client(addr);
        // Served once the silent connection has timed out: one at a time.
        let next = client(addr);
        next.sendall(b"next").unwrap();
        assert_eq!(read_exact(&next, 4), b"next");
        assert!(
            started.elapsed() >= timeout.mul_f64(0.9),
            "served before the silent client's timeout"
        );
        assert!(silent.recv(16).unwrap().is_empty(), "dropped");
        let seen = reported(&reports, 1);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].contains("timed out"), "{seen:?}");
    });
}

#[test]
fn the_timeout_option_closes_a_silent_connection_of_the_selector_server() {
    // The selector server's handlers never wait, so the timeout is how long
    // a connection may go without receiving or sending: a silent client is
    // closed after it, one that keeps talking is not.
    struct Lost(Arc<Mutex<Vec<Option<bool>>>>);
    impl ConnectionHandler for Lost {
        fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
            conn.write(data);
            Ok(())
        }
        fn connection_lost(&mut self, error: Option<&Error>) {
            self.0.lock().unwrap().push(error.map(Error::is_timeout));
        }
    }
    let timeout = Duration::from_secs(1);
    let lost = Arc::new(Mutex::new(Vec::new()));
    let (options, reports) = recording();
    let options = options.timeout(Some(timeout));
    let record = Arc::clone(&lost);
    let server = SelectorTcpServer::with_options(
        ("127.0.0.1", 0),
        move || Lost(Arc::clone(&record)),
        options,
    )
    .unwrap();
    serving(&server, |addr| {
        // Before the connection: its timeout cannot start any earlier.
        let started = Instant::now();
        let silent = client(addr);
        let talker = client(addr);
        assert_still_open(&silent, started);
        // The talker goes on for two and a half timeouts, never silent for
        // more than a tenth of one.
        while started.elapsed() < timeout.mul_f64(2.5) {
            talker.sendall(b"still here").unwrap();
            assert_eq!(read_exact(&talker, 10), b"still here");
            thread::sleep(timeout / 10);
        }
        silent.settimeout(Some(PROMPT)).unwrap();
        assert!(
            silent.recv(16).unwrap().is_empty(),
            "closed after the timeout"
        );
        talker.sendall(b"last").unwrap();
        assert_eq!(
            read_exact(&talker, 4),
            b"last",
            "the talker is served still"
        );
        let seen = reported(&reports, 1);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].starts_with("server from 127.0.0.1"), "{seen:?}");
        assert!(seen[0].contains("timed out"), "{seen:?}");
        assert_eq!(
            *lost.lock().unwrap(),
            [Some(true)],
            "connection_lost saw the timeout"
        );
    });
    // The talker's connection closed without an error when the server stopped.
    assert_eq!(*lost.lock().unwrap(), [Some(true), None]);
}

#[test]
fn options_reach_the_socket() {
    let server = TcpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    assert_eq!(
        server
            .socket()
            .getsockopt(SOL_SOCKET, SO_REUSEADDR)
            .unwrap(),
        0
    );
    assert_eq!(server.fileno(), server.socket().fileno());
    let options = ServerOptions::new().allow_reuse_address(true);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    assert_ne!(
        server
            .socket()
            .getsockopt(SOL_SOCKET, SO_REUSEADDR)
            .unwrap(),
        0
    );
    assert_ne!(server.server_address().port(), Some(0));
}

#[test]
fn binding_a_taken_address_names_it() {
    let first = TcpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    let taken = first.server_address().clone();
    let err = TcpServer::new(&taken, || Echo).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EADDRINUSE));
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
    let err = TcpServer::new(("::1", 0), || Echo).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument(_)),
        "AF_INET by default: {err:?}"
    );
}

#[test]
fn a_unix_stream_server_works_through_address_family() {
    let dir = common::temp_dir();
    let path = dir.path().join("echo.sock");
    let options = ServerOptions::new().address_family(AF_UNIX);
    let server = ThreadingTcpServer::with_options(path.as_path(), || Echo, options).unwrap();
    serving(&server, |addr| {
        let sock = Socket::new(AF_UNIX, pysocket::SOCK_STREAM).unwrap();
        sock.connect(addr).unwrap();
        sock.sendall(b"local").unwrap();
        assert_eq!(read_exact(&sock, 5), b"local");
    });
    server.server_close();
}

#[test]
fn servers_work_under_a_default_timeout() {
    // The default timeout is process-wide: run in a process of its own.
    const TEST: &str = "servers_work_under_a_default_timeout";
    if !common::is_child(TEST) {
        common::assert_child_passes(TEST, common::CHILD_PASSED);
        return;
    }
    pysocket::setdefaulttimeout(Some(PROMPT * 6));
    let udp = UdpServer::new(("127.0.0.1", 0), || DatagramEcho).unwrap();
    serving(&udp, |addr| {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.sendto(b"ping", addr).unwrap();
        assert_eq!(sock.recvfrom(64).unwrap().0, b"ping");
    });
    let selector = SelectorTcpServer::new(("127.0.0.1", 0), || SelectorEcho).unwrap();
    serving(&selector, |addr| {
        let sock = client(addr);
        sock.sendall(b"pong").unwrap();
        assert_eq!(read_exact(&sock, 4), b"pong");
    });
    println!("{}", common::CHILD_PASSED);
}

// ---------------------------------------------------------------------------
// The order of a handler's methods

/// Logs each of its methods as it runs and writes the method's name to
/// `wfile`; the methods named in `fail` then return an error.
struct Staged {
    fail: &'static [&'static str],
    log: Arc<Mutex<Vec<&'static str>>>,
}

impl Staged {
    fn run(&self, method: &'static str, wfile: &mut impl Write) -> HandlerResult {
        self.log.lock().unwrap().push(method);
        write!(wfile, "{method} ")?;
        if self.fail.contains(&method) {
            return Err(format!("{method} failed").into());
        }
        Ok(())
    }
}

impl RequestHandler for Staged {
    fn setup(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        self.run("setup", &mut request.wfile)
    }

    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        self.run("handle", &mut request.wfile)
    }

    fn finish(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        self.run("finish", &mut request.wfile)
    }
}

impl DatagramRequestHandler for Staged {
    fn setup(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        self.run("setup", &mut request.wfile)
    }

    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        self.run("handle", &mut request.wfile)
    }

    fn finish(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        self.run("finish", &mut request.wfile)
    }
}

/// The log [`Staged`] handlers share, and a function that makes them.
fn staged(
    fail: &'static [&'static str],
) -> (
    Arc<Mutex<Vec<&'static str>>>,
    impl Fn() -> Staged + Send + Sync,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&log);
    (log, move || Staged {
        fail,
        log: Arc::clone(&shared),
    })
}

/// One connection to a `TcpServer` of [`Staged`] handlers that fail in
/// `fail`: what the client got, the methods that ran, and the reports.
fn staged_tcp(fail: &'static [&'static str]) -> (Vec<u8>, Vec<&'static str>, Vec<String>) {
    let (options, reports) = recording();
    let (log, handler) = staged(fail);
    let server = TcpServer::with_options(("127.0.0.1", 0), handler, options).unwrap();
    let answer = serving(&server, |addr| {
        let mut answer = Vec::new();
        (&client(addr)).read_to_end(&mut answer).unwrap();
        answer
    });
    let methods = log.lock().unwrap().clone();
    let seen = reports.lock().unwrap().clone();
    (answer, methods, seen)
}

#[test]
fn finish_runs_after_a_failed_handle_and_the_answer_is_still_flushed() {
    let (answer, methods, reports) = staged_tcp(&["handle", "finish"]);
    assert_eq!(methods, ["setup", "handle", "finish"]);
    assert_eq!(answer, b"setup handle finish ");
    assert_eq!(
        reports,
        [
            "handler from 127.0.0.1: handle failed",
            "handler from 127.0.0.1: finish failed"
        ]
    );
}

#[test]
fn a_failed_setup_skips_handle_and_finish() {
    let (_, methods, reports) = staged_tcp(&["setup"]);
    assert_eq!(methods, ["setup"]);
    assert_eq!(reports, ["handler from 127.0.0.1: setup failed"]);
}

#[test]
fn the_udp_server_answers_after_finish_even_when_handle_failed() {
    let (options, reports) = recording();
    let (log, handler) = staged(&["handle"]);
    let server = UdpServer::with_options(("127.0.0.1", 0), handler, options).unwrap();
    serving(&server, |addr| {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.settimeout(Some(PROMPT)).unwrap();
        sock.sendto(b"go", addr).unwrap();
        assert_eq!(sock.recvfrom(64).unwrap().0, b"setup handle finish ");
    });
    assert_eq!(*log.lock().unwrap(), ["setup", "handle", "finish"]);
    assert_eq!(
        *reports.lock().unwrap(),
        ["handler from 127.0.0.1: handle failed"]
    );
}

#[test]
fn a_udp_handler_whose_setup_fails_sends_no_answer() {
    let (options, reports) = recording();
    let (log, handler) = staged(&["setup"]);
    let server = UdpServer::with_options(("127.0.0.1", 0), handler, options).unwrap();
    serving(&server, |addr| {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.sendto(b"go", addr).unwrap();
        assert_eq!(
            reported(&reports, 1),
            ["handler from 127.0.0.1: setup failed"]
        );
        sock.settimeout(Some(POLL)).unwrap();
        let answer = sock.recvfrom(64);
        assert!(matches!(answer, Err(Error::Timeout)), "{answer:?}");
    });
    assert_eq!(*log.lock().unwrap(), ["setup"]);
}

// ---------------------------------------------------------------------------
// wfile writes through (Python's wbufsize = 0)

/// Asks the client its name, then greets it.
struct Prompt;

impl RequestHandler for Prompt {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        request.wfile.write_all(b"name? ")?;
        let mut name = String::new();
        request.rfile.read_line(&mut name)?;
        write!(request.wfile, "hello {}", name.trim())?;
        Ok(())
    }
}

#[test]
fn a_prompt_reaches_the_client_before_the_handler_reads() {
    let server = TcpServer::new(("127.0.0.1", 0), || Prompt).expect("server");
    serving(&server, |addr| {
        let sock = client(addr);
        // Without the prompt the client would wait here until the timeout.
        assert_eq!(read_exact(&sock, 6), b"name? ");
        sock.sendall(b"ada\n").expect("send");
        let mut rest = Vec::new();
        (&sock).read_to_end(&mut rest).expect("read");
        assert_eq!(rest, b"hello ada");
    });
}

#[test]
fn a_buffered_wfile_waits_for_the_end_of_the_request() {
    /// Writes a little, then waits for the client to end its request.
    struct Buffered;
    impl RequestHandler for Buffered {
        fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
            request.wfile.write_all(b"held")?;
            request.rfile.read_to_end(&mut Vec::new())?;
            Ok(())
        }
    }
    let options = ServerOptions::new().wbufsize(8192);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Buffered, options).expect("server");
    serving(&server, |addr| {
        let sock = client(addr);
        sock.settimeout(Some(Duration::from_millis(200)))
            .expect("settimeout");
        assert!(matches!(sock.recv(16), Err(Error::Timeout)));
        sock.shutdown(SHUT_WR).expect("shutdown");
        sock.settimeout(Some(PROMPT)).expect("settimeout");
        let mut got = Vec::new();
        (&sock).read_to_end(&mut got).expect("read");
        assert_eq!(got, b"held");
    });
}

// ---------------------------------------------------------------------------
// handle_request, its timeout, verify_request

/// Counts the times a hook ran.
fn counter() -> (Arc<AtomicUsize>, impl Fn() + Send + Sync + 'static) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    (count, move || {
        counted.fetch_add(1, Ordering::SeqCst);
    })
}

#[test]
fn handle_request_serves_one_client_and_returns() {
    let (timeouts, hook) = counter();
    let options = ServerOptions::new()
        .server_timeout(Some(PROMPT))
        .handle_timeout(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    let sock = client(server.server_address());
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.handle_request());
        assert_eq!(read_exact(&sock, 6), b"name? ");
        sock.sendall(b"bob\n").expect("send");
        let mut rest = Vec::new();
        (&sock).read_to_end(&mut rest).expect("read");
        assert_eq!(rest, b"hello bob");
        serving
            .join()
            .expect("handle_request panicked")
            .expect("handle_request");
    });
    assert_eq!(timeouts.load(Ordering::SeqCst), 0);
}

#[test]
fn handle_request_with_no_client_times_out_and_calls_handle_timeout() {
    let (timeouts, hook) = counter();
    let timeout = Duration::from_millis(100);
    let options = ServerOptions::new()
        .server_timeout(Some(timeout))
        .handle_timeout(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    let started = Instant::now();
    server.handle_request().expect("handle_request");
    let took = started.elapsed();
    assert!(took >= timeout, "returned after {took:?}");
    assert!(took < PROMPT, "returned after {took:?}");
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
}

#[test]
fn handle_request_with_a_zero_server_timeout_only_looks() {
    let (timeouts, hook) = counter();
    let options = ServerOptions::new()
        .server_timeout(Some(Duration::ZERO))
        .handle_timeout(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    let started = Instant::now();
    server.handle_request().expect("handle_request");
    assert!(started.elapsed() < PROMPT);
    assert_eq!(timeouts.load(Ordering::SeqCst), 1, "nobody there");

    // A client already waiting is served.
    let sock = client(server.server_address());
    sock.sendall(b"zed\n").expect("send");
    // The kernel may not have queued the connection at the first look:
    // look again until a look serves it instead of timing out.
    let deadline = Instant::now() + PROMPT;
    loop {
        let looked = timeouts.load(Ordering::SeqCst);
        server.handle_request().expect("handle_request");
        if timeouts.load(Ordering::SeqCst) == looked {
            break;
        }
        assert!(Instant::now() < deadline, "never served");
        thread::sleep(Duration::from_millis(10));
    }
    let mut got = Vec::new();
    (&sock).read_to_end(&mut got).expect("read");
    assert_eq!(got, b"name? hello zed");
}

#[test]
fn handle_request_with_no_server_timeout_waits_for_a_client() {
    let (timeouts, hook) = counter();
    let options = ServerOptions::new().handle_timeout(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    let addr = server.server_address().clone();
    let late = Duration::from_millis(300);
    thread::scope(|scope| {
        let started = Instant::now();
        let comer = scope.spawn(|| {
            thread::sleep(late);
            let sock = client(&addr);
            sock.sendall(b"late\n").expect("send");
            let mut got = Vec::new();
            (&sock).read_to_end(&mut got).expect("read");
            got
        });
        server.handle_request().expect("handle_request");
        assert!(started.elapsed() >= late, "did not wait");
        assert_eq!(comer.join().unwrap(), b"name? hello late");
    });
    assert_eq!(timeouts.load(Ordering::SeqCst), 0);
}

#[test]
fn shutdown_does_not_end_handle_request_as_in_python() {
    let (timeouts, hook) = counter();
    let timeout = Duration::from_millis(400);
    let options = ServerOptions::new()
        .server_timeout(Some(timeout))
        .handle_timeout(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(50));
            server.shutdown(); // not serve_forever: returns at once
        });
        let started = Instant::now();
        server.handle_request().expect("handle_request");
        assert!(started.elapsed() >= timeout.mul_f64(0.9), "cut short");
    });
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
}

#[test]
fn udp_handle_request_answers_one_datagram_or_times_out() {
    let (timeouts, hook) = counter();
    let options = ServerOptions::new()
        .server_timeout(Some(Duration::from_millis(100)))
        .handle_timeout(hook);
    let server =
        UdpServer::with_options(("127.0.0.1", 0), || DatagramEcho, options).expect("server");
    server.handle_request().expect("handle_request");
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
    let sock = Socket::new(AF_INET, SOCK_DGRAM).expect("socket");
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    sock.sendto(b"ping", server.server_address())
        .expect("sendto");
    server.handle_request().expect("handle_request");
    assert_eq!(sock.recvfrom(16).expect("recvfrom").0, b"ping");
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);
}

#[test]
fn threading_handle_request_serves_one_client() {
    let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Prompt).expect("server");
    let sock = client(server.server_address());
    server.handle_request().expect("handle_request");
    assert_eq!(read_exact(&sock, 6), b"name? ");
    sock.sendall(b"eve\n").expect("send");
    let mut rest = Vec::new();
    (&sock).read_to_end(&mut rest).expect("read");
    assert_eq!(rest, b"hello eve");
}

#[test]
fn a_refused_connection_sees_the_end_and_no_handler_runs() {
    let (made, count) = counter();
    let options = ServerOptions::new().verify_request(|_, client| {
        assert!(matches!(client, Address::Inet(_)));
        false
    });
    let server = TcpServer::with_options(
        ("127.0.0.1", 0),
        move || {
            count();
            Prompt
        },
        options,
    )
    .expect("server");
    let sock = client(server.server_address());
    server.handle_request().expect("handle_request");
    let mut got = Vec::new();
    (&sock).read_to_end(&mut got).expect("read");
    assert!(got.is_empty());
    assert_eq!(made.load(Ordering::SeqCst), 0);
}

#[test]
fn verify_request_refuses_only_what_it_is_told_to() {
    let refused = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&refused);
    // Refuses every other connection.
    // The admitted clients leave after the prompt: what the handler then
    // writes may fail, and is not what this test is about.
    let options = ServerOptions::new()
        .verify_request(move |_, _| seen.fetch_add(1, Ordering::SeqCst) % 2 == 1)
        .handle_error(|_, _| {});
    let server =
        ThreadingTcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    serving(&server, |addr| {
        for round in 0..4 {
            let sock = client(addr);
            let mut got = Vec::new();
            if round % 2 == 0 {
                (&sock).read_to_end(&mut got).expect("read");
                assert!(got.is_empty(), "round {round}");
            } else {
                assert_eq!(read_exact(&sock, 6), b"name? ");
            }
        }
    });
}

#[test]
fn service_actions_runs_after_every_wait() {
    let (rounds, hook) = counter();
    let options = ServerOptions::new().service_actions(hook);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(10)));
        let limit = Instant::now() + PROMPT;
        while rounds.load(Ordering::SeqCst) < 3 && Instant::now() < limit {
            thread::sleep(Duration::from_millis(5));
        }
        server.shutdown();
        serving
            .join()
            .expect("serve_forever panicked")
            .expect("serve_forever");
    });
    assert!(rounds.load(Ordering::SeqCst) >= 3);
}

#[test]
fn without_bind_and_activate_the_caller_binds_and_activates() {
    let options = ServerOptions::new().bind_and_activate(false);
    let server = TcpServer::with_options(("127.0.0.1", 0), || Prompt, options).expect("server");
    assert_eq!(server.server_address().port(), Some(0));
    assert!(server
        .socket()
        .getsockname()
        .is_ok_and(|a| a.port() == Some(0)));
    server
        .socket()
        .setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        .expect("setsockopt");
    server.server_bind().expect("server_bind");
    let bound = server.server_address().clone();
    assert_ne!(bound.port(), Some(0));
    assert_eq!(server.socket().getsockname().expect("getsockname"), bound);
    // Bound but not listening: nobody can connect yet.
    let early = Socket::new(AF_INET, pysocket::SOCK_STREAM).expect("socket");
    assert_eq!(
        early.connect_ex(&bound).expect("connect_ex"),
        libc::ECONNREFUSED
    );
    server.server_activate().expect("server_activate");
    assert_eq!(
        server
            .socket()
            .getsockopt(SOL_SOCKET, SO_REUSEADDR)
            .expect("getsockopt"),
        1
    );
    let sock = client(&bound);
    sock.sendall(b"ann\n").expect("send");
    server.handle_request().expect("handle_request");
    let mut got = Vec::new();
    (&sock).read_to_end(&mut got).expect("read");
    assert_eq!(got, b"name? hello ann");
}

#[test]
fn udp_without_bind_and_activate_serves_once_activated() {
    let options = ServerOptions::new().bind_and_activate(false);
    let server =
        UdpServer::with_options(("127.0.0.1", 0), || DatagramEcho, options).expect("server");
    server.server_bind().expect("server_bind");
    server.server_activate().expect("server_activate");
    let sock = Socket::new(AF_INET, SOCK_DGRAM).expect("socket");
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    sock.sendto(b"ping", server.server_address())
        .expect("sendto");
    server.handle_request().expect("handle_request");
    assert_eq!(sock.recvfrom(16).expect("recvfrom").0, b"ping");
}
