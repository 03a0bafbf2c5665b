//! The UDP servers of `pysocket::server`: `ThreadingUdpServer` (handlers
//! that run at once, the thread bound, shutdown, closing, failing handlers,
//! no descriptor or thread left behind) and `UdpServer`'s batches (bursts
//! from several clients answered exactly once, mixed sizes and truncation,
//! answers that fail among others, order, `handle_request` taking one
//! datagram, a shutdown asked for by a handler), and `verify_request` on
//! both.

mod common;
mod server_support;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{serving, Serve, POLL, PROMPT};
use pysocket::server::{
    DatagramRequest, DatagramRequestHandler, HandlerResult, RequestError, ServerOptions,
    ThreadingUdpServer, UdpServer,
};
use pysocket::{Address, MsgFlags, Socket, AF_INET, AF_UNIX, SOCK_DGRAM, SOL_SOCKET, SO_RCVBUF};

/// How long to wait for a datagram that must not come.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------
// Handlers

/// Echoes each datagram; `panic`, `error` and `stop` (which shuts the server
/// down from the handler) do as they say; `big` answers 70,000 bytes, more
/// than a UDP datagram holds.
struct Echo;

impl DatagramRequestHandler for Echo {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        match request.packet {
            b"panic" => panic!("asked to panic"),
            b"error" => return Err("asked to fail".into()),
            b"stop" => request.server.shutdown(),
            packet if packet.starts_with(b"big") => {
                request.wfile.write_all(&vec![b'x'; 70_000])?;
                return Ok(());
            }
            _ => {}
        }
        request.wfile.write_all(request.packet)?;
        Ok(())
    }
}

/// Answers `LEN|` and the datagram as the handler saw it.
struct Describe;

impl DatagramRequestHandler for Describe {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        write!(request.wfile, "{}|", request.packet.len())?;
        request.wfile.write_all(request.packet)?;
        Ok(())
    }
}

/// Where handlers meet: each arrives and waits for `want` to have arrived.
struct Rendezvous {
    arrived: Mutex<usize>,
    changed: Condvar,
}

impl Rendezvous {
    fn new() -> Arc<Rendezvous> {
        Arc::new(Rendezvous {
            arrived: Mutex::new(0),
            changed: Condvar::new(),
        })
    }

    /// Arrives, and waits at most `limit` for `want` arrivals in all:
    /// whether they came.
    fn meet(&self, want: usize, limit: Duration) -> bool {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.changed.notify_all();
        let (arrived, _) = self
            .changed
            .wait_timeout_while(arrived, limit, |arrived| *arrived < want)
            .unwrap();
        *arrived >= want
    }
}

/// Answers `met` when another handler arrived while it waited, `alone` if
/// none did within `wait`.
struct Meet {
    rendezvous: Arc<Rendezvous>,
    wait: Duration,
}

impl DatagramRequestHandler for Meet {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        let met = self.rendezvous.meet(2, self.wait);
        request
            .wfile
            .write_all(if met { b"met" } else { b"alone" })?;
        Ok(())
    }
}

/// A gate that handlers wait at until the test opens it, counting how many
/// wait at once.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    open: bool,
    waiting: usize,
    peak: usize,
}

impl Gate {
    /// Waits until the gate opens, at most `PROMPT`.
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.waiting += 1;
        state.peak = state.peak.max(state.waiting);
        self.changed.notify_all();
        let (mut state, _) = self
            .changed
            .wait_timeout_while(state, PROMPT, |state| !state.open)
            .unwrap();
        state.waiting -= 1;
    }

    fn open(&self) {
        self.state.lock().unwrap().open = true;
        self.changed.notify_all();
    }

    /// Waits until `count` handlers wait at the gate; false if they did not
    /// within `PROMPT`.
    fn wait_for(&self, count: usize) -> bool {
        let state = self.state.lock().unwrap();
        let (state, _) = self
            .changed
            .wait_timeout_while(state, PROMPT, |state| state.waiting < count)
            .unwrap();
        state.waiting >= count
    }

    fn peak(&self) -> usize {
        self.state.lock().unwrap().peak
    }
}

/// Waits at the gate, then echoes and marks itself done.
struct Gated {
    gate: Arc<Gate>,
    done: Arc<AtomicUsize>,
}

impl DatagramRequestHandler for Gated {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        self.gate.pass();
        request.wfile.write_all(request.packet)?;
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn gated() -> (
    Arc<Gate>,
    Arc<AtomicUsize>,
    impl Fn() -> Gated + Send + Sync,
) {
    let gate = Arc::new(Gate::default());
    let done = Arc::new(AtomicUsize::new(0));
    let (g, d) = (Arc::clone(&gate), Arc::clone(&done));
    let factory = move || Gated {
        gate: Arc::clone(&g),
        done: Arc::clone(&d),
    };
    (gate, done, factory)
}

// ---------------------------------------------------------------------------
// Running servers and clients

/// A UDP socket on 127.0.0.1 that waits at most `PROMPT`.
fn udp_client() -> Socket {
    let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    sock.bind(("127.0.0.1", 0)).unwrap();
    sock.settimeout(Some(PROMPT)).unwrap();
    sock
}

/// An `AF_UNIX` datagram socket bound to `name` in `dir`, waiting at most
/// `PROMPT`.
fn unix_client(dir: &Path, name: &str) -> Socket {
    let sock = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
    sock.bind(dir.join(name).as_path()).unwrap();
    sock.settimeout(Some(PROMPT)).unwrap();
    sock
}

/// Receives one datagram; panics if none comes within the socket's timeout
/// or it comes from elsewhere than `from`.
fn answer(sock: &Socket, from: &Address) -> Vec<u8> {
    let (data, sender) = sock.recvfrom(1 << 17).expect("an answer");
    assert_eq!(&sender, from, "answer from elsewhere");
    data
}

/// Whether a datagram arrives within `QUIET` (left unread).
fn more_arrives(sock: &Socket) -> bool {
    sock.settimeout(Some(QUIET)).unwrap();
    let more = match sock.recv_with_flags(1, MsgFlags::PEEK) {
        Ok(_) => true,
        Err(err) if err.is_timeout() => false,
        Err(err) => panic!("recvfrom: {err}"),
    };
    sock.settimeout(Some(PROMPT)).unwrap();
    more
}

/// Sends `sent` until its echo comes back from `addr` (a datagram with no
/// answer may have been dropped; echoes of earlier copies are skipped).
/// False if none came within `PROMPT`.
fn exchange(sock: &Socket, addr: &Address, sent: &[u8]) -> bool {
    sock.settimeout(Some(Duration::from_millis(500))).unwrap();
    let deadline = Instant::now() + PROMPT;
    let mut echoed = false;
    while !echoed && Instant::now() < deadline {
        sock.sendto(sent, addr).unwrap();
        loop {
            match sock.recvfrom(8192) {
                Ok((data, from)) if data == sent && &from == addr => {
                    echoed = true;
                    break;
                }
                Ok(_) => continue,
                Err(err) if err.is_timeout() => break,
                Err(err) => panic!("recvfrom: {err}"),
            }
        }
    }
    sock.settimeout(Some(PROMPT)).unwrap();
    echoed
}

/// A failure `handle_error` reported: its kind, its errno if any, and the
/// client it named.
#[derive(Clone, Debug)]
struct Report {
    kind: &'static str,
    errno: Option<i32>,
    message: String,
    client: Option<Address>,
}

/// Options whose `handle_error` records what it is given.
fn recording(options: ServerOptions) -> (ServerOptions, Arc<Mutex<Vec<Report>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let options = options.handle_error(move |err, client| {
        let (kind, errno) = match err {
            RequestError::Handler(_) => ("handler", None),
            RequestError::Panic(_) => ("panic", None),
            RequestError::Server(err) => ("server", err.errno()),
            _ => ("other", None),
        };
        sink.lock().unwrap().push(Report {
            kind,
            errno,
            message: err.to_string(),
            client: client.cloned(),
        });
    });
    (options, reports)
}

/// Waits until `reports` holds `count` entries, at most `PROMPT`.
fn reported(reports: &Mutex<Vec<Report>>, count: usize) -> Vec<Report> {
    let deadline = Instant::now() + PROMPT;
    loop {
        let seen = reports.lock().unwrap().clone();
        if seen.len() >= count || Instant::now() > deadline {
            return seen;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// The number of threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Waits until `condition` holds, at most `PROMPT`: whether it did.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + PROMPT;
    while !condition() {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
    true
}

// ---------------------------------------------------------------------------
// ThreadingUdpServer

#[test]
fn threading_server_runs_handlers_at_once() {
    let rendezvous = Rendezvous::new();
    let meeting = Arc::clone(&rendezvous);
    let factory = move || Meet {
        rendezvous: Arc::clone(&meeting),
        wait: PROMPT,
    };
    let server = ThreadingUdpServer::new(("127.0.0.1", 0), factory).unwrap();
    serving(&server, |addr| {
        let (first, second) = (udp_client(), udp_client());
        first.sendto(b"one", addr).unwrap();
        second.sendto(b"two", addr).unwrap();
        // Each handler waits for the other: both can only answer "met" if
        // they run at the same time.
        assert_eq!(answer(&first, addr), b"met");
        assert_eq!(answer(&second, addr), b"met");
    });
    server.server_close();
}

#[test]
fn udp_server_runs_one_handler_at_a_time() {
    // The counterpart of the test above: in UdpServer the first handler
    // waits alone.
    let rendezvous = Rendezvous::new();
    let meeting = Arc::clone(&rendezvous);
    let factory = move || Meet {
        rendezvous: Arc::clone(&meeting),
        wait: QUIET,
    };
    let server = UdpServer::new(("127.0.0.1", 0), factory).unwrap();
    serving(&server, |addr| {
        let (first, second) = (udp_client(), udp_client());
        first.sendto(b"one", addr).unwrap();
        second.sendto(b"two", addr).unwrap();
        let answers = [answer(&first, addr), answer(&second, addr)];
        assert!(answers.contains(&b"alone".to_vec()), "{answers:?}");
    });
}

#[test]
fn threading_server_answers_each_client_from_its_address() {
    let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    serving(&server, |addr| {
        thread::scope(|scope| {
            for id in 0..20 {
                scope.spawn(move || {
                    let sock = udp_client();
                    for round in 0..5 {
                        let sent = format!("client {id} round {round}");
                        assert!(
                            exchange(&sock, addr, sent.as_bytes()),
                            "client {id} round {round}: no echo"
                        );
                    }
                });
            }
        });
    });
    server.server_close();
}

#[test]
fn threading_server_runs_at_most_max_threads_handlers() {
    let (gate, done, factory) = gated();
    let options = ServerOptions::new().max_threads(2);
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    serving(&server, |addr| {
        let clients: Vec<Socket> = (0..6).map(|_| udp_client()).collect();
        for (i, client) in clients.iter().enumerate() {
            client.sendto(format!("{i}").as_bytes(), addr).unwrap();
        }
        assert!(gate.wait_for(2), "two handlers did not start");
        // Give a third handler every chance to start, were the bound not kept.
        thread::sleep(QUIET);
        assert_eq!(gate.peak(), 2);
        assert_eq!(server.active_threads(), 2);
        gate.open();
        for (i, client) in clients.iter().enumerate() {
            assert_eq!(answer(client, addr), format!("{i}").as_bytes());
        }
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert_eq!(gate.peak(), 2);
    });
    server.server_close();
}

#[test]
fn threading_server_shuts_down_from_another_thread_while_handlers_run() {
    let (gate, _, factory) = gated();
    let server = ThreadingUdpServer::new(("127.0.0.1", 0), factory).unwrap();
    let addr = server.server_address().clone();
    let handle = server.handle();
    let client = udp_client();
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(POLL));
        client.sendto(b"late", &addr).unwrap();
        assert!(gate.wait_for(1), "the handler did not start");
        // A 'static thread with only the handle stops the loop while the
        // handler waits.
        let stopper = thread::spawn(move || {
            let started = Instant::now();
            handle.shutdown();
            started.elapsed()
        });
        let took = stopper.join().unwrap();
        assert!(took < PROMPT, "shutdown took {took:?}");
        serving.join().unwrap().expect("serve_forever");
        assert_eq!(server.active_threads(), 1);
    });
    // The handler goes on after the loop stopped, and still answers.
    gate.open();
    assert_eq!(answer(&client, &addr), b"late");
    server.server_close();
}

#[test]
fn threading_server_close_joins_its_handler_threads() {
    let (gate, done, factory) = gated();
    let server = ThreadingUdpServer::new(("127.0.0.1", 0), factory).unwrap();
    let client = udp_client();
    let addr = server.server_address().clone();
    serving(&server, |addr| {
        client.sendto(b"x", addr).unwrap();
        assert!(gate.wait_for(1), "the handler did not start");
    });
    let closed = AtomicBool::new(false);
    thread::scope(|scope| {
        let closing = scope.spawn(|| {
            server.server_close();
            closed.store(true, Ordering::SeqCst);
        });
        thread::sleep(QUIET);
        assert!(
            !closed.load(Ordering::SeqCst),
            "server_close returned while a handler ran"
        );
        gate.open();
        closing.join().unwrap();
    });
    assert_eq!(done.load(Ordering::SeqCst), 1, "the handler had finished");
    assert_eq!(answer(&client, &addr), b"x");
}

#[test]
fn threading_server_close_without_block_on_close_leaves_handlers_running() {
    let (gate, done, factory) = gated();
    let options = ServerOptions::new().block_on_close(false);
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    let client = udp_client();
    let addr = server.server_address().clone();
    serving(&server, |addr| {
        client.sendto(b"x", addr).unwrap();
        assert!(gate.wait_for(1), "the handler did not start");
    });
    let started = Instant::now();
    server.server_close();
    assert!(started.elapsed() < PROMPT / 2, "server_close waited");
    assert_eq!(done.load(Ordering::SeqCst), 0);
    // The handler's thread keeps the socket alive: the answer still goes.
    gate.open();
    assert_eq!(answer(&client, &addr), b"x");
    assert!(eventually(|| done.load(Ordering::SeqCst) == 1));
}

#[test]
fn threading_server_reports_failing_handlers_and_goes_on() {
    let (options, reports) = recording(ServerOptions::new());
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    serving(&server, |addr| {
        let sock = udp_client();
        let me = sock.getsockname().unwrap();
        for (i, word) in ["panic", "error"].into_iter().enumerate() {
            sock.sendto(word.as_bytes(), addr).unwrap();
            let seen = reported(&reports, i + 1);
            assert_eq!(seen.len(), i + 1, "{seen:?}");
            assert_eq!(seen[i].client.as_ref(), Some(&me));
            assert!(exchange(&sock, addr, b"next"), "no answer after {word}");
        }
        let seen = reported(&reports, 2);
        assert_eq!(seen[0].kind, "panic", "{seen:?}");
        assert!(seen[0].message.contains("asked to panic"), "{seen:?}");
        assert_eq!(seen[1].kind, "handler", "{seen:?}");
        assert!(seen[1].message.contains("asked to fail"), "{seen:?}");
        assert!(!more_arrives(&sock), "a failed handler answered");
    });
    server.server_close();
}

#[test]
fn threading_handle_request_serves_one_datagram_in_a_thread() {
    let options = ServerOptions::new().server_timeout(Some(PROMPT));
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    let addr = server.server_address().clone();
    let sock = udp_client();
    sock.sendto(b"one", &addr).unwrap();
    sock.sendto(b"two", &addr).unwrap();
    server.handle_request().unwrap();
    let first = answer(&sock, &addr);
    assert!(!more_arrives(&sock), "handle_request took two datagrams");
    server.handle_request().unwrap();
    let second = answer(&sock, &addr);
    let mut both = [first, second];
    both.sort();
    assert_eq!(both, [b"one".to_vec(), b"two".to_vec()]);
    server.server_close();
}

#[test]
fn udp_servers_leave_no_descriptor_or_thread_behind() {
    // Counting descriptors and threads needs a process of its own.
    const TEST: &str = "udp_servers_leave_no_descriptor_or_thread_behind";
    if !common::is_child(TEST) {
        common::assert_child_passes(TEST, common::CHILD_PASSED);
        return;
    }
    let clients: Vec<Socket> = (0..5).map(|_| udp_client()).collect();
    let (fds, threads) = (common::fd_count(), thread_count());
    for round in 0..3 {
        let threading = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo).unwrap();
        let batched = UdpServer::new(("127.0.0.1", 0), || Echo).unwrap();
        serving(&threading, |threading_addr| {
            serving(&batched, |batched_addr| {
                for (i, client) in clients.iter().enumerate() {
                    for j in 0..10 {
                        let sent = format!("{round} {i} {j}");
                        assert!(exchange(client, threading_addr, sent.as_bytes()));
                        assert!(exchange(client, batched_addr, sent.as_bytes()));
                    }
                }
            })
        });
        threading.server_close();
        batched.server_close();
        assert_eq!(common::fd_count(), fds, "descriptors left open");
        assert_eq!(thread_count(), threads, "threads left running");
    }
    println!("{}", common::CHILD_PASSED);
}

// ---------------------------------------------------------------------------
// UdpServer's batches

/// A `UdpServer` on 127.0.0.1 whose socket's receive buffer holds what the
/// tests send at once (loopback drops datagrams only when it is full).
fn roomy_udp_server<H: DatagramRequestHandler>(
    handler: impl Fn() -> H + Send + Sync + 'static,
    options: ServerOptions,
) -> UdpServer<H> {
    let options = options.bind_and_activate(false);
    let server = UdpServer::with_options(("127.0.0.1", 0), handler, options).unwrap();
    server
        .socket()
        .setsockopt(SOL_SOCKET, SO_RCVBUF, 1 << 20)
        .unwrap();
    server.server_bind().unwrap();
    server.server_activate().unwrap();
    server
}

/// A `UdpServer` on a path in `dir` (Python's `UnixDatagramServer`).
fn unix_udp_server<H: DatagramRequestHandler>(
    dir: &Path,
    handler: impl Fn() -> H + Send + Sync + 'static,
    options: ServerOptions,
) -> UdpServer<H> {
    let options = options.address_family(AF_UNIX);
    UdpServer::with_options(dir.join("server").as_path(), handler, options).unwrap()
}

/// One client of a burst: `count` datagrams `client:seq`, `window` in
/// flight, each answer checked against what was sent and counted. Panics
/// on a missing, duplicated or wrong answer.
fn burst(sock: &Socket, addr: &Address, client: usize, count: usize, window: usize) {
    let message = |seq: usize| format!("{client}:{seq}:{}", "p".repeat(seq % 50));
    let mut answered = vec![false; count];
    let mut sent = 0;
    while sent < window.min(count) {
        sock.sendto(message(sent).as_bytes(), addr).unwrap();
        sent += 1;
    }
    for _ in 0..count {
        let data = answer(sock, addr);
        let text = String::from_utf8(data).expect("text");
        let seq: usize = text.split(':').nth(1).unwrap().parse().unwrap();
        assert_eq!(text, message(seq), "client {client}: a wrong answer");
        assert!(!answered[seq], "client {client}: {seq} answered twice");
        answered[seq] = true;
        if sent < count {
            sock.sendto(message(sent).as_bytes(), addr).unwrap();
            sent += 1;
        }
    }
    assert!(!more_arrives(sock), "client {client}: an answer too many");
}

#[test]
fn udp_server_answers_bursts_from_several_clients_exactly_once() {
    let server = roomy_udp_server(|| Echo, ServerOptions::new());
    serving(&server, |addr| {
        thread::scope(|scope| {
            for client in 0..4 {
                scope.spawn(move || burst(&udp_client(), addr, client, 500, 32));
            }
        });
    });
}

/// One datagram at a time, each sent once the last is answered: before
/// each the loop has drained the socket, put it back in its selector and
/// gone to sleep, so every datagram needs a wake-up of its own; afterwards
/// `handle_request` still finds the socket in the selector.
#[test]
fn udp_server_wakes_for_each_datagram_after_draining() {
    let server = roomy_udp_server(|| Echo, ServerOptions::new());
    serving(&server, |addr| burst(&udp_client(), addr, 0, 300, 1));
    let client = udp_client();
    let addr = server.server_address();
    client.sendto(b"once more", addr).unwrap();
    server.handle_request().unwrap();
    assert_eq!(answer(&client, addr), b"once more");
}

#[test]
fn udp_server_answers_unix_bursts_exactly_once_and_in_order() {
    let dir = common::temp_dir();
    let server = unix_udp_server(dir.path(), || Echo, ServerOptions::new());
    serving(&server, |addr| {
        thread::scope(|scope| {
            for client in 0..3 {
                let dir = dir.path();
                scope.spawn(move || {
                    let sock = unix_client(dir, &format!("client{client}"));
                    // AF_UNIX keeps each sender's datagrams in order, and so
                    // must the server's answers.
                    let message = |seq: usize| format!("{client}:{seq}");
                    let window = 3;
                    for seq in 0..window {
                        sock.sendto(message(seq).as_bytes(), addr).unwrap();
                    }
                    for seq in 0..300 {
                        assert_eq!(answer(&sock, addr), message(seq).as_bytes());
                        if seq + window < 300 {
                            sock.sendto(message(seq + window).as_bytes(), addr).unwrap();
                        }
                    }
                    assert!(!more_arrives(&sock), "an answer too many");
                });
            }
        });
    });
}

#[test]
fn udp_server_sees_every_size_and_cuts_at_max_packet_size() {
    const MAX: usize = 1000;
    let sizes = [0, 1, 2, 63, 999, MAX, MAX + 1, 4000];
    let options = ServerOptions::new().max_packet_size(MAX);
    let server = roomy_udp_server(|| Describe, options);
    serving(&server, |addr| {
        thread::scope(|scope| {
            for (client, size) in sizes.into_iter().enumerate() {
                scope.spawn(move || {
                    let sock = udp_client();
                    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
                    let seen = size.min(MAX);
                    let mut expected = format!("{seen}|").into_bytes();
                    expected.extend_from_slice(&payload[..seen]);
                    let (count, window) = (40, 8);
                    for _ in 0..window {
                        sock.sendto(&payload, addr).unwrap();
                    }
                    for i in 0..count {
                        assert_eq!(answer(&sock, addr), expected, "size {size}, answer {i}");
                        if i + window < count {
                            sock.sendto(&payload, addr).unwrap();
                        }
                    }
                    assert!(!more_arrives(&sock), "client {client}: an answer too many");
                });
            }
        });
    });
}

/// Sends `messages` from each client to `addr`, in turns, before the server
/// serves, so that one receive takes many of them.
fn queue_up(clients: &[&Socket], addr: &Address, per_client: &[Vec<Vec<u8>>]) {
    let longest = per_client.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for (client, messages) in clients.iter().zip(per_client) {
            if let Some(message) = messages.get(i) {
                client.sendto(message, addr).unwrap();
            }
        }
    }
}

/// Checks that `sock` gets each of `expected` once (in any order), and
/// nothing more.
fn answered_once(sock: &Socket, addr: &Address, expected: &[Vec<u8>]) {
    let mut left: HashMap<Vec<u8>, usize> = HashMap::new();
    for message in expected {
        *left.entry(message.clone()).or_default() += 1;
    }
    for _ in 0..expected.len() {
        let data = answer(sock, addr);
        let count = left.get_mut(&data).expect("an answer to nothing sent");
        assert!(
            *count > 0,
            "{:?} answered too often",
            String::from_utf8_lossy(&data)
        );
        *count -= 1;
    }
    assert!(!more_arrives(sock), "an answer too many");
}

#[test]
fn an_answer_too_long_is_reported_and_the_others_of_its_batch_go_once() {
    let (options, reports) = recording(ServerOptions::new());
    let server = roomy_udp_server(|| Echo, options);
    let addr = server.server_address().clone();
    let (a, b, c) = (udp_client(), udp_client(), udp_client());
    let messages = |tag: &str| -> Vec<Vec<u8>> {
        (0..10)
            .map(|i| {
                if tag == "b" && i % 3 == 1 {
                    format!("big {i}").into_bytes()
                } else {
                    format!("{tag} {i}").into_bytes()
                }
            })
            .collect()
    };
    let sent = [messages("a"), messages("b"), messages("c")];
    queue_up(&[&a, &b, &c], &addr, &sent);
    serving(&server, |addr| {
        let small = |messages: &[Vec<u8>]| -> Vec<Vec<u8>> {
            messages
                .iter()
                .filter(|m| !m.starts_with(b"big"))
                .cloned()
                .collect()
        };
        answered_once(&a, addr, &sent[0]);
        answered_once(&b, addr, &small(&sent[1]));
        answered_once(&c, addr, &sent[2]);
        let seen = reported(&reports, 3);
        assert_eq!(seen.len(), 3, "{seen:?}");
        let b_address = b.getsockname().unwrap();
        for report in &seen {
            assert_eq!(report.kind, "server", "{seen:?}");
            assert_eq!(report.errno, Some(libc::EMSGSIZE), "{seen:?}");
            assert_eq!(report.client.as_ref(), Some(&b_address), "{seen:?}");
        }
        assert!(exchange(&a, addr, b"still serving"));
    });
}

#[test]
fn answers_to_a_vanished_client_do_not_disturb_the_others() {
    let server = roomy_udp_server(|| Echo, ServerOptions::new());
    let addr = server.server_address().clone();
    let (a, b) = (udp_client(), udp_client());
    let gone = udp_client();
    let sent: Vec<Vec<Vec<u8>>> = ["a", "gone", "b"]
        .iter()
        .map(|tag| (0..10).map(|i| format!("{tag} {i}").into_bytes()).collect())
        .collect();
    queue_up(&[&a, &gone, &b], &addr, &sent);
    drop(gone);
    serving(&server, |addr| {
        answered_once(&a, addr, &sent[0]);
        answered_once(&b, addr, &sent[2]);
        assert!(exchange(&a, addr, b"still serving"));
    });
}

#[test]
fn a_unix_client_gone_is_reported_and_the_others_are_answered_in_order() {
    let dir = common::temp_dir();
    let (options, reports) = recording(ServerOptions::new());
    let server = unix_udp_server(dir.path(), || Echo, options);
    let addr = server.server_address().clone();
    let a = unix_client(dir.path(), "a");
    let gone = unix_client(dir.path(), "gone");
    let gone_address = gone.getsockname().unwrap();
    let b = unix_client(dir.path(), "b");
    // The server's queue holds 10 datagrams (net.unix.max_dgram_qlen's
    // default), all taken by the first receive.
    let sent: Vec<Vec<Vec<u8>>> = [("a", 4), ("gone", 2), ("b", 4)]
        .iter()
        .map(|(tag, n)| (0..*n).map(|i| format!("{tag} {i}").into_bytes()).collect())
        .collect();
    queue_up(&[&a, &gone, &b], &addr, &sent);
    drop(gone); // its path stays: answers to it are refused
    serving(&server, |addr| {
        for (sock, messages) in [(&a, &sent[0]), (&b, &sent[2])] {
            for message in messages {
                assert_eq!(&answer(sock, addr), message);
            }
            assert!(!more_arrives(sock), "an answer too many");
        }
        let seen = reported(&reports, 2);
        assert_eq!(seen.len(), 2, "{seen:?}");
        for report in &seen {
            assert_eq!(report.kind, "server", "{seen:?}");
            assert_eq!(report.errno, Some(libc::ECONNREFUSED), "{seen:?}");
            assert_eq!(report.client.as_ref(), Some(&gone_address), "{seen:?}");
        }
        a.sendto(b"still serving", addr).unwrap();
        assert_eq!(answer(&a, addr), b"still serving");
    });
}

#[test]
fn udp_handle_request_takes_exactly_one_of_several_waiting_datagrams() {
    let options = ServerOptions::new().server_timeout(Some(PROMPT));
    let server = roomy_udp_server(|| Echo, options);
    let addr = server.server_address().clone();
    let sock = udp_client();
    let sent: Vec<Vec<u8>> = (0..3)
        .map(|i| format!("request {i}").into_bytes())
        .collect();
    for message in &sent {
        sock.sendto(message, &addr).unwrap();
    }
    let mut answers = Vec::new();
    for _ in 0..3 {
        server.handle_request().unwrap();
        answers.push(answer(&sock, &addr));
        assert!(!more_arrives(&sock), "handle_request handled more than one");
    }
    answers.sort();
    assert_eq!(answers, sent);
}

#[test]
fn a_shutdown_from_a_handler_lets_the_datagrams_received_with_it_be_handled() {
    let dir = common::temp_dir();
    let options = ServerOptions::new().server_timeout(Some(PROMPT));
    let server = unix_udp_server(dir.path(), || Echo, options);
    let addr = server.server_address().clone();
    let sock = unix_client(dir.path(), "client");
    let sent: Vec<Vec<u8>> = ["a", "stop", "c", "d", "e"]
        .iter()
        .map(|m| m.as_bytes().to_vec())
        .collect();
    for message in &sent {
        sock.sendto(message, &addr).unwrap();
    }
    // The handler of "stop" shuts the server down from serve_forever's own
    // thread: serve_forever returns by itself, once the datagrams its
    // receive took with "stop" are handled: on Linux all five (one
    // recvmmsg), elsewhere none after it (one datagram a receive).
    server.serve_forever(POLL).unwrap();
    let mut handled = 0;
    for message in &sent {
        if handled >= 2 && !more_arrives(&sock) {
            break;
        }
        assert_eq!(&answer(&sock, &addr), message);
        handled += 1;
    }
    if cfg!(target_os = "linux") {
        assert_eq!(handled, sent.len());
    }
    // What is left waits for the next call, none lost, none twice.
    for message in &sent[handled..] {
        server.handle_request().unwrap();
        assert_eq!(&answer(&sock, &addr), message);
    }
    sock.sendto(b"after", &addr).unwrap();
    assert!(!more_arrives(&sock), "answered with no server running");
    server.handle_request().unwrap();
    assert_eq!(answer(&sock, &addr), b"after");
}

#[test]
fn udp_server_stops_promptly_under_a_flood() {
    let server = roomy_udp_server(|| Echo, ServerOptions::new());
    let addr = server.server_address().clone();
    let flooding = AtomicBool::new(true);
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(POLL));
        for _ in 0..3 {
            let (flooding, addr) = (&flooding, &addr);
            scope.spawn(move || {
                let sock = udp_client();
                sock.setblocking(false).unwrap();
                let started = Instant::now();
                while flooding.load(Ordering::SeqCst) && started.elapsed() < PROMPT * 3 {
                    let _ = sock.sendto(b"flood", addr);
                    while sock.recvfrom(64).is_ok() {}
                }
            });
        }
        thread::sleep(QUIET);
        let started = Instant::now();
        server.shutdown();
        let took = started.elapsed();
        flooding.store(false, Ordering::SeqCst);
        assert!(took < PROMPT / 2, "shutdown took {took:?}");
        serving.join().unwrap().expect("serve_forever");
    });
}

#[test]
fn a_max_packet_size_that_cannot_be_allocated_is_an_error() {
    let options = ServerOptions::new()
        .max_packet_size(usize::MAX)
        .server_timeout(Some(Duration::from_millis(10)));
    let batched = UdpServer::with_options(("127.0.0.1", 0), || Echo, options.clone()).unwrap();
    let threading = ThreadingUdpServer::with_options(("127.0.0.1", 0), || Echo, options).unwrap();
    let errors = [
        batched.serve_forever(POLL).unwrap_err(),
        batched.handle_request().unwrap_err(),
        threading.serve_forever(POLL).unwrap_err(),
        threading.handle_request().unwrap_err(),
    ];
    for err in errors {
        assert!(
            matches!(err, pysocket::Error::InvalidArgument(_)),
            "{err:?}"
        );
        assert!(err.to_string().contains("max_packet_size"), "{err}");
    }
}

// ---------------------------------------------------------------------------
// verify_request

#[test]
fn udp_server_drops_the_datagrams_verify_request_refuses() {
    let (admitted, refused) = (udp_client(), udp_client());
    let (options, asked) =
        server_support::refusing(ServerOptions::new(), refused.getsockname().unwrap());
    let (seen, factory) = server_support::witnesses();
    let server = UdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    server_support::refuses_one_of_two_clients(&server, &admitted, &refused, &seen, &asked);
}

#[test]
fn threading_udp_server_drops_the_datagrams_verify_request_refuses() {
    let (admitted, refused) = (udp_client(), udp_client());
    let (options, asked) =
        server_support::refusing(ServerOptions::new(), refused.getsockname().unwrap());
    let (seen, factory) = server_support::witnesses();
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    server_support::refuses_one_of_two_clients(&server, &admitted, &refused, &seen, &asked);
    server.server_close();
}

#[test]
fn udp_server_reports_a_verify_request_that_panics_and_serves_the_next_datagram() {
    let (options, reports) = server_support::recording();
    let options = server_support::panicking_once(options);
    let (seen, factory) = server_support::witnesses();
    let server = UdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    server_support::survives_a_panicking_hook(&server, &udp_client(), &seen, &reports);
}

#[test]
fn threading_udp_server_reports_a_verify_request_that_panics_and_serves_the_next_datagram() {
    let (options, reports) = server_support::recording();
    let options = server_support::panicking_once(options);
    let (seen, factory) = server_support::witnesses();
    let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    server_support::survives_a_panicking_hook(&server, &udp_client(), &seen, &reports);
    server.server_close();
}

#[test]
fn udp_handle_request_takes_a_datagram_verify_request_refuses_and_answers_nothing() {
    let (admitted, refused) = (udp_client(), udp_client());
    let (options, _) =
        server_support::refusing(ServerOptions::new(), refused.getsockname().unwrap());
    let options = options.server_timeout(Some(PROMPT));
    let (seen, factory) = server_support::witnesses();
    let server = UdpServer::with_options(("127.0.0.1", 0), factory, options).unwrap();
    let addr = server.server_address().clone();
    refused.sendto(b"out", &addr).unwrap();
    admitted.sendto(b"in", &addr).unwrap();
    server.handle_request().unwrap(); // the refused datagram, dropped
    assert!(seen.lock().unwrap().is_empty(), "a handler ran");
    server.handle_request().unwrap();
    assert_eq!(answer(&admitted, &addr), b"in");
    assert!(!more_arrives(&refused), "the refused client was answered");
    assert_eq!(*seen.lock().unwrap(), [b"in".to_vec()]);
}
