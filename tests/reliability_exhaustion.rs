//! Descriptor exhaustion: with `RLIMIT_NOFILE` lowered and every descriptor
//! taken, each call that makes a descriptor (`accept`, `Socket::new`,
//! `socketpair`, `dup`, `create_connection`, `create_server`, `fromfd`,
//! `Selector::new`) fails with `EMFILE` as an `Err`, and leaks nothing, even
//! when it could make some of the descriptors it needs but not all; and
//! servers (a plain accept loop, and the `server` module's threading and
//! selector servers) keep serving once descriptors free up.
//!
//! Each test runs in a child process ([`assert_child_passes`]), so the lowered limit
//! and the exhausted table never touch the tests running beside it.

mod common;

use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{assert_child_passes, fd_count, is_child, listener, Serve, CHILD_PASSED, PROMPT};
use pysocket::server::{
    Connection, ConnectionHandler, HandlerResult, RequestError, RequestHandler, SelectorTcpServer,
    ServerOptions, StreamRequest, ThreadingTcpServer,
};
use pysocket::{
    create_connection, create_server, fromfd, getaddrinfo_with, socketpair, AddrInfoFlags,
    AddrInfoHints, Address, Error, Selector, Socket, AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM,
};

/// Sets this process's soft `RLIMIT_NOFILE` to `limit`; returns the old one.
fn set_fd_limit(limit: u64) -> u64 {
    // SAFETY: getrlimit and setrlimit only read and write the `rlimit` given.
    unsafe {
        let mut current: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut current), 0);
        let old = current.rlim_cur;
        current.rlim_cur = limit as libc::rlim_t;
        assert_eq!(
            libc::setrlimit(libc::RLIMIT_NOFILE, &current),
            0,
            "setrlimit"
        );
        old as u64
    }
}

/// Whether an error is the process's descriptor table being full.
fn is_emfile(err: &Error) -> bool {
    err.errno() == Some(libc::EMFILE)
}

/// Asserts that `result` is an `Err` with `EMFILE` and a message.
fn assert_emfile<T: std::fmt::Debug>(what: &str, result: pysocket::Result<T>) {
    match result {
        Err(err) if is_emfile(&err) => {
            assert!(!err.to_string().is_empty(), "{what}: an empty message");
        }
        other => panic!("{what}: expected EMFILE, got {other:?}"),
    }
}

/// Takes every free descriptor with sockets, which it returns: the table is
/// full once it returns. The last `Socket::new` must fail with `EMFILE`.
fn fill_descriptor_table() -> Vec<Socket> {
    let mut fillers = Vec::new();
    for _ in 0..100_000 {
        match Socket::new(AF_UNIX, SOCK_DGRAM) {
            Ok(sock) => fillers.push(sock),
            Err(err) => {
                assert!(is_emfile(&err), "filling the table: {err:?}");
                return fillers;
            }
        }
    }
    panic!("the descriptor table never filled");
}

/// Frees `count` descriptors of a full table; returns their numbers.
fn free_some(fillers: &mut Vec<Socket>, count: usize) -> Vec<i32> {
    (0..count)
        .map(|_| {
            let sock = fillers.pop().expect("a filler");
            let fd = sock.fileno();
            drop(sock);
            fd
        })
        .collect()
}

/// Asserts that the descriptors `fds` are free (the next sockets get them)
/// and the table is full again after them: nothing leaked into them.
fn assert_still_free(what: &str, fds: &[i32]) {
    let mut probes = Vec::new();
    for _ in fds {
        let probe = Socket::new(AF_UNIX, SOCK_DGRAM)
            .unwrap_or_else(|err| panic!("{what}: a descriptor leaked: {err}"));
        probes.push(probe);
    }
    let mut got: Vec<i32> = probes.iter().map(Socket::fileno).collect();
    got.sort_unstable();
    let mut expected = fds.to_vec();
    expected.sort_unstable();
    assert_eq!(got, expected, "{what}: the free descriptors moved");
    assert_emfile(what, Socket::new(AF_UNIX, SOCK_DGRAM));
}

/// Run in the child: every constructor of descriptors fails cleanly on a full
/// table and leaks nothing.
fn constructors_on_a_full_table() {
    let (server, addr) = listener(AF_INET);
    server.settimeout(Some(PROMPT)).unwrap();
    // A connection waiting in the backlog, for accept.
    let pending = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    pending.connect(&addr).unwrap();
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (pair_a, _pair_b) = socketpair().unwrap();
    let numeric = AddrInfoHints {
        flags: AddrInfoFlags::NUMERICHOST | AddrInfoFlags::NUMERICSERV,
        ..AddrInfoHints::default()
    };

    let baseline = fd_count();
    let old_limit = set_fd_limit(baseline as u64 + 40);
    let mut fillers = fill_descriptor_table();
    assert!(fillers.len() >= 10, "only {} fillers", fillers.len());

    // No descriptor free.
    assert_emfile("Socket::new", Socket::new(AF_INET, SOCK_STREAM));
    assert_emfile("socketpair", socketpair());
    assert_emfile("dup", pair_a.dup());
    assert_emfile("accept", server.accept());
    assert_emfile("create_connection", create_connection(&addr, Some(PROMPT)));
    assert_emfile("create_server", create_server(("127.0.0.1", 0)));
    assert_emfile("fromfd", fromfd(&std_listener));
    assert_emfile("Selector::new", Selector::<()>::new().map(drop));
    // The resolver may need a descriptor too: an answer or an error, never a panic.
    let _ = getaddrinfo_with(Some("127.0.0.1"), Some("80"), &numeric);

    // One free: what needs two fails and leaves it free.
    let mut free = free_some(&mut fillers, 1);
    assert_emfile("socketpair with one free", socketpair());
    assert_still_free("socketpair with one free", &free);
    assert_emfile(
        "Selector::new with one free",
        Selector::<()>::new().map(drop),
    );
    assert_still_free("Selector::new with one free", &free);

    // Two free: a selector makes do with two (epoll and eventfd; its timerfd
    // is optional), or fails and leaves them free.
    free.extend(free_some(&mut fillers, 1));
    match Selector::<()>::new() {
        Ok(selector) => drop(selector),
        Err(err) => assert!(is_emfile(&err), "Selector::new with two free: {err:?}"),
    }
    assert_still_free("Selector::new with two free", &free);

    // The pending connection is still there once a descriptor frees up.
    let (conn, peer) = server.accept().expect("accept after freeing two");
    assert_eq!(peer, pending.getsockname().unwrap());
    drop(conn);

    drop(fillers);
    let after = fd_count();
    assert_eq!(
        after, baseline,
        "descriptors before the exhaustion {baseline}, after {after}"
    );

    // Everything works again.
    let copy = pair_a.dup().expect("dup after");
    let client = create_connection(&addr, Some(PROMPT)).expect("create_connection after");
    let (conn, _) = server.accept().expect("accept after");
    drop((copy, client, conn));
    drop(fromfd(&std_listener).expect("fromfd after"));
    drop(socketpair().expect("socketpair after"));
    drop(create_server(("127.0.0.1", 0)).expect("create_server after"));
    drop(Selector::<()>::new().expect("Selector::new after"));
    assert_eq!(fd_count(), baseline, "descriptors after the recovery");
    set_fd_limit(old_limit);
}

/// `accept`, `Socket::new`, `socketpair`, `dup`, `create_connection`,
/// `create_server`, `fromfd` and `Selector::new` fail with `EMFILE` on a full
/// descriptor table, leak nothing (even with one or two descriptors free),
/// and work again once descriptors free up.
#[test]
fn constructors_fail_with_emfile_and_leak_nothing() {
    const TEST: &str = "constructors_fail_with_emfile_and_leak_nothing";
    if is_child(TEST) {
        constructors_on_a_full_table();
        println!("{CHILD_PASSED}");
        return;
    }
    assert_child_passes(TEST, CHILD_PASSED);
}

/// Sends a line and reads its echo, as a client of the servers below.
fn echo_once(addr: &Address, line: &str) -> Result<(), String> {
    let sock = create_connection(addr, Some(PROMPT)).map_err(|e| format!("connect: {e}"))?;
    talk(&sock, line)
}

/// On a connected socket: sends `line` and reads its echo.
fn talk(sock: &Socket, line: &str) -> Result<(), String> {
    sock.sendall(line.as_bytes())
        .map_err(|e| format!("sendall: {e}"))?;
    let mut file = sock.makefile();
    let mut echo = String::new();
    file.read_line(&mut echo)
        .map_err(|e| format!("read_line: {e}"))?;
    if echo == line {
        Ok(())
    } else {
        Err(format!("sent {line:?}, got back {echo:?}"))
    }
}

/// A plain accept loop that echoes one line per connection; it counts the
/// accepts that failed for lack of descriptors, backs off after them, and
/// goes on, until `stop`.
fn plain_echo_server(
    server: Socket,
    emfiles: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<usize> {
    // Short enough that accept waits in poll and then allocates its
    // descriptor, so that a full table shows as EMFILE: a longer timeout
    // sleeps in accept(2), which takes its descriptor before it sleeps and
    // so still accepts the first connection after the table filled.
    server.settimeout(Some(Duration::from_millis(20))).unwrap();
    thread::spawn(move || {
        let mut served = 0;
        let limit = Instant::now() + PROMPT * 2;
        while !stop.load(Ordering::SeqCst) && Instant::now() < limit {
            match server.accept() {
                Ok((conn, _)) => {
                    conn.settimeout(Some(PROMPT)).unwrap();
                    let mut file = conn.makefile();
                    let mut line = String::new();
                    if file.read_line(&mut line).is_ok() {
                        file.write_all(line.as_bytes()).unwrap();
                        file.flush().unwrap();
                        served += 1;
                    }
                }
                Err(err) if err.is_timeout() => {}
                Err(err) if is_emfile(&err) => {
                    emfiles.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(10));
                }
                Err(err) => panic!("accept: {err}"),
            }
        }
        served
    })
}

/// Waits (at most [`PROMPT`]) until `count` is at least `at_least`.
fn wait_for_count(count: &AtomicUsize, at_least: usize, what: &str) {
    let limit = Instant::now() + PROMPT;
    while count.load(Ordering::SeqCst) < at_least {
        assert!(Instant::now() < limit, "{what}: still {count:?}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// The server kinds of the recovery test.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Plain,
    Threading,
    Selector,
}

struct LineEcho;

impl RequestHandler for LineEcho {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let mut line = String::new();
        request.rfile.read_line(&mut line)?;
        request.wfile.write_all(line.as_bytes())?;
        Ok(())
    }
}

struct ChunkEcho;

impl ConnectionHandler for ChunkEcho {
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
        conn.write(data);
        Ok(())
    }
}

/// Runs a server of the `server` module in a thread: its address, what stops
/// it, and the thread (which counts no connections: only the plain server does).
fn serve_in_thread(
    server: impl Serve + Send + 'static,
) -> (Address, Box<dyn FnOnce() + Send>, JoinHandle<usize>) {
    let addr = server.address();
    let handle = server.handle();
    let running = thread::spawn(move || {
        server.serve(Duration::from_millis(50)).unwrap();
        0
    });
    (addr, Box::new(move || handle.shutdown()), running)
}

/// Run in the child: a server of `kind` starves for descriptors, fails its
/// accepts with `EMFILE` (reported, not fatal), and serves every client once
/// descriptors free up.
fn server_recovers(kind: Kind) {
    let emfiles = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(Mutex::new(Vec::<String>::new()));
    let options = {
        let (emfiles, reports) = (Arc::clone(&emfiles), Arc::clone(&reports));
        ServerOptions::new()
            .request_queue_size(64)
            .timeout(Some(PROMPT))
            .handle_error(move |err, _| match err {
                RequestError::Server(err) if is_emfile(err) => {
                    emfiles.fetch_add(1, Ordering::SeqCst);
                }
                other => reports
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(other.to_string()),
            })
    };
    let baseline = fd_count();
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, stopper, running): (Address, Box<dyn FnOnce() + Send>, JoinHandle<usize>) =
        match kind {
            Kind::Plain => {
                let (server, addr) = listener(AF_INET);
                let stop = Arc::clone(&stop);
                let running = plain_echo_server(server, Arc::clone(&emfiles), Arc::clone(&stop));
                (
                    addr,
                    Box::new(move || stop.store(true, Ordering::SeqCst)),
                    running,
                )
            }
            Kind::Threading => serve_in_thread(
                ThreadingTcpServer::with_options(("127.0.0.1", 0), || LineEcho, options).unwrap(),
            ),
            Kind::Selector => serve_in_thread(
                SelectorTcpServer::with_options(("127.0.0.1", 0), || ChunkEcho, options).unwrap(),
            ),
        };
    // A client served before the exhaustion. The server closes its side of
    // the connection after the client has read the echo: wait for that, or
    // the descriptor it frees once the table is full lets the server accept
    // a waiting client instead of failing with EMFILE (and the plain server,
    // reading that client's line, would not try again for PROMPT).
    let serving = fd_count();
    echo_once(&addr, "before\n").expect("before the exhaustion");
    wait_for_fd_count(serving, &format!("{kind:?}: after the first client"));
    // Sockets made while descriptors are free, connected once none is: their
    // connections wait in the backlog of a server that cannot accept them.
    let waiting: Vec<Socket> = (0..3)
        .map(|_| Socket::new(AF_INET, SOCK_STREAM).expect("socket"))
        .collect();

    let old_limit = set_fd_limit(fd_count() as u64 + 16);
    let fillers = fill_descriptor_table();
    for client in &waiting {
        client.settimeout(Some(PROMPT)).unwrap();
        client.connect(&addr).expect("connect on a full table");
    }
    wait_for_count(
        &emfiles,
        2,
        &format!("{kind:?}: accepts failing with EMFILE"),
    );
    // Still starving: the server is alive and keeps trying.
    thread::sleep(Duration::from_millis(100));
    drop(fillers);
    set_fd_limit(old_limit);

    for (i, client) in waiting.iter().enumerate() {
        talk(client, &format!("waited {i}\n"))
            .unwrap_or_else(|err| panic!("{kind:?}: waiting client {i}: {err}"));
    }
    for i in 0..5 {
        echo_once(&addr, &format!("after {i}\n"))
            .unwrap_or_else(|err| panic!("{kind:?}: client {i} after the exhaustion: {err}"));
    }
    drop(waiting);
    stopper();
    let served = running.join().expect("server thread");
    if let Kind::Plain = kind {
        assert_eq!(served, 9, "the plain server's count");
    }
    let reports = reports.lock().unwrap_or_else(PoisonError::into_inner);
    assert!(reports.is_empty(), "{kind:?}: other failures: {reports:?}");
    wait_for_fd_count(baseline, &format!("{kind:?}: after the exhaustion"));
}

/// Waits (at most [`PROMPT`]) until this process has `expected` descriptors
/// open: the server threads have closed the connections they served.
fn wait_for_fd_count(expected: usize, what: &str) {
    let limit = Instant::now() + PROMPT;
    while fd_count() != expected {
        assert!(
            Instant::now() < limit,
            "{what}: {expected} descriptors expected, {} open",
            fd_count()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// A plain accept loop, `ThreadingTcpServer` and `SelectorTcpServer` each
/// starve for descriptors (their accepts fail with `EMFILE`, which they
/// report and survive), then serve every waiting and new client once
/// descriptors free up, and leave no descriptor behind.
#[test]
fn servers_keep_serving_once_descriptors_free_up() {
    const TEST: &str = "servers_keep_serving_once_descriptors_free_up";
    if is_child(TEST) {
        for kind in [Kind::Plain, Kind::Threading, Kind::Selector] {
            server_recovers(kind);
        }
        println!("{CHILD_PASSED}");
        return;
    }
    assert_child_passes(TEST, CHILD_PASSED);
}
