//! TCP echo servers under load: round trips per second through pysocket's
//! `SelectorTcpServer` and `ThreadingTcpServer`, tokio's current-thread and
//! multi-thread runtimes, and a std thread per connection, driven by the
//! same clients: `cargo bench --bench compare -- servers`. The threading
//! server runs twice: its handler reading `rfile` and writing `wfile`
//! (Python's idiom), and on the connection's `recv_into` and `sendall`, which
//! tells the server's cost from the buffered files'.
//!
//! Every server echoes what it reads, with TCP_NODELAY and a listen backlog
//! of 4096. The clients are [`CLIENT_THREADS`] threads in the same process,
//! each with its share of the connections, non-blocking, in an `epoll` of
//! its own: each connection has one 64-byte request in flight, and a client
//! sends the next request on a connection as soon as its whole answer is
//! back. So N connections are N requests in flight, whatever the server.
//!
//! A run starts the server, connects, waits until every connection has had
//! an answer and then [`Sizes::warm`] more, counts the round trips completed
//! in a window of [`Sizes::window`], then stops sending, takes the last
//! answers, closes every connection (the server closing its side too) and
//! stops the server. Besides round trips per second, a run gives the
//! server's CPU time per round trip: the process's CPU time over the window
//! less the client threads' own.
//!
//! Each connection count runs the servers interleaved, a rotated order each
//! round, after one warm-up run of each; the table gives medians and the
//! median of the per-round ratios, pysocket's server over its peer.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use pysocket::server::{
    Connection, ConnectionHandler, HandlerResult, RequestHandler, SelectorTcpServer, ServerOptions,
    StreamRequest, ThreadingTcpServer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::idle::{fd_limit, raise_fd_limit};
use crate::{loopback, ratio_median, stats, watchdog, Plan, Suite, MSG};

/// The client threads that drive every server's connections.
const CLIENT_THREADS: usize = 2;

/// The listen backlog of every server, so that no connection waits for room.
const BACKLOG: i32 = 4096;

/// What each server reads into: pysocket's selector server reads into 64 KiB,
/// its threading server's `rfile` passes reads of its buffer's size or more
/// straight to `recv`; the others read into the same 8 KiB.
const READ_BUFFER: usize = 8192;

/// The poll interval of pysocket's servers (a shutdown wakes them at once).
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long one run may take before the watchdog ends the process.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// How long a client waits for an answer while closing.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Descriptors kept free for everything else.
const SPARE_FDS: u64 = 64;

/// The servers, in the table's order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Server {
    Selector,
    Threading,
    /// The threading server with a handler on the socket's own calls.
    ThreadingSocket,
    TokioCurrent,
    TokioMulti,
    StdThreads,
}

const SERVERS: [(Server, &str, &str); 6] = [
    (Server::Selector, "selector", "pysocket SelectorTcpServer"),
    (
        Server::Threading,
        "threading",
        "pysocket ThreadingTcpServer",
    ),
    (
        Server::ThreadingSocket,
        "threading-socket",
        "pysocket ThreadingTcpServer [s]",
    ),
    (
        Server::TokioCurrent,
        "tokio-ct",
        "tokio, current-thread runtime",
    ),
    (
        Server::TokioMulti,
        "tokio-mt",
        "tokio, multi-thread runtime",
    ),
    (Server::StdThreads, "std", "std, a thread per connection"),
];

/// The environment variable that picks some servers by their short names,
/// comma-separated (`selector,tokio-ct`), to profile one alone; all by default.
const ONLY_ENV: &str = "PYSOCKET_BENCH_SERVERS";

/// The ratios the table gives: (pysocket's server, its peer), indices into
/// [`SERVERS`].
const PAIRS: [(usize, usize); 5] = [(0, 3), (0, 4), (1, 5), (2, 5), (1, 4)];

/// The sizes of one run of this table: full for `cargo bench`, tiny for
/// `cargo test --benches`.
#[derive(Clone, Copy)]
struct Sizes {
    /// Measured rounds per connection count, after one warm-up run each.
    rounds: usize,
    /// The connection counts.
    connections: [usize; 2],
    /// How long the clients go on after every connection's first answer,
    /// before the window opens.
    warm: Duration,
    /// How long round trips are counted.
    window: Duration,
}

const FULL: Sizes = Sizes {
    rounds: 15,
    connections: [32, 1000],
    warm: Duration::from_millis(100),
    window: Duration::from_millis(300),
};

const SMOKE: Sizes = Sizes {
    rounds: 1,
    connections: [2, 20],
    warm: Duration::from_millis(5),
    window: Duration::from_millis(20),
};

/// What one run of one server measured.
#[derive(Clone, Copy)]
struct Sample {
    trips_per_second: f64,
    /// The server's CPU time per round trip, in nanoseconds.
    server_cpu: f64,
}

pub fn run(suite: &mut Suite) {
    if !suite.wants("servers: TCP echo") {
        return;
    }
    let sizes = if is_smoke(suite.plan) { SMOKE } else { FULL };
    let chosen = chosen();
    raise_fd_limit();
    // Both ends of every connection are in this process.
    let most = (fd_limit().saturating_sub(SPARE_FDS) / 2) as usize;
    let started = Instant::now();
    let mut results = Vec::new();
    for wanted in sizes.connections {
        let connections = wanted.min(most);
        results.push((connections, measure(&chosen, connections, sizes)));
    }
    print(&results, sizes, started.elapsed());
}

fn is_smoke(plan: Plan) -> bool {
    plan.rounds < 3
}

/// The indices into [`SERVERS`] of the servers to run.
fn chosen() -> Vec<usize> {
    let only = std::env::var(ONLY_ENV).unwrap_or_default();
    let names: Vec<&str> = only
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    for name in &names {
        assert!(
            SERVERS.iter().any(|(_, short, _)| short == name),
            "{ONLY_ENV}: no server is called {name:?}"
        );
    }
    (0..SERVERS.len())
        .filter(|&i| names.is_empty() || names.contains(&SERVERS[i].1))
        .collect()
}

/// Runs the `chosen` servers with `connections` connections, interleaved:
/// per server, one sample a round (none for a server not chosen).
fn measure(chosen: &[usize], connections: usize, sizes: Sizes) -> Vec<Vec<Sample>> {
    for &i in chosen {
        run_once(SERVERS[i].0, connections, sizes);
    }
    let mut samples = vec![Vec::new(); SERVERS.len()];
    for round in 0..sizes.rounds {
        for k in 0..chosen.len() {
            let i = chosen[(round + k) % chosen.len()];
            samples[i].push(run_once(SERVERS[i].0, connections, sizes));
        }
    }
    samples
}

fn print(results: &[(usize, Vec<Vec<Sample>>)], sizes: Sizes, elapsed: Duration) {
    println!(
        "TCP echo servers, 64 B requests, one in flight per connection, {CLIENT_THREADS} client threads: median [min..max]"
    );
    print!("{:<31}", "server");
    for (connections, _) in results {
        print!(
            " {:>29} {:>24}",
            format!("{connections} conns: trips/s"),
            "server CPU/trip"
        );
    }
    println!();
    let rate = |s: &Sample| s.trips_per_second;
    let cpu = |s: &Sample| s.server_cpu;
    for (i, (_, _, name)) in SERVERS.iter().enumerate() {
        if results.iter().all(|(_, samples)| samples[i].is_empty()) {
            continue;
        }
        print!("{name:<31}");
        for (_, samples) in results {
            let (med, min, max) = column(&samples[i], rate);
            print!(" {:>29}", format!("{med:.0} [{min:.0}..{max:.0}]"));
            let (med, min, max) = column(&samples[i], cpu);
            print!(
                " {:>24}",
                format!("{} [{}..{}]", micros(med), micros(min), micros(max))
            );
        }
        println!();
    }
    println!("[s] the echo on request.connection.recv_into and sendall, not rfile and wfile");
    println!("ratios, pysocket / peer: median of the per-round ratios ± half their interquartile range (trips/s: above 1 is faster; CPU/trip: below 1 is cheaper)");
    for (ours, theirs) in PAIRS {
        if results
            .iter()
            .any(|(_, samples)| samples[ours].is_empty() || samples[theirs].is_empty())
        {
            continue;
        }
        let name = format!(
            "{} / {}",
            SERVERS[ours].2.trim_start_matches("pysocket "),
            SERVERS[theirs].2
        );
        print!("{name:<59}");
        for (connections, samples) in results {
            let ratio = |f: fn(&Sample) -> f64| {
                let a: Vec<f64> = samples[ours].iter().map(f).collect();
                let b: Vec<f64> = samples[theirs].iter().map(f).collect();
                let (median, spread) = ratio_median(&a, &b);
                format!("{median:.3}±{spread:.3}")
            };
            print!(
                "  {connections}: trips/s {} CPU/trip {}",
                ratio(rate),
                ratio(cpu)
            );
        }
        println!();
    }
    println!(
        "{} rounds per connection count after one warm-up run of each server; a {} ms window after {} ms of warm-up; total {:.0} s",
        sizes.rounds,
        sizes.window.as_millis(),
        sizes.warm.as_millis(),
        elapsed.as_secs_f64()
    );
    println!();
}

fn column(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> (f64, f64, f64) {
    stats(&samples.iter().map(f).collect::<Vec<f64>>())
}

fn micros(nanos: f64) -> String {
    format!("{:.2}µs", nanos / 1e3)
}

/// One run: `server` serving `connections` connections of the clients.
fn run_once(server: Server, connections: usize, sizes: Sizes) -> Sample {
    watchdog::arm("servers: TCP echo", RUN_LIMIT);
    let load = |addr| drive(addr, connections, sizes);
    match server {
        Server::Selector => serve_selector(load),
        Server::Threading => serve_threading(connections, || ThreadingEcho, load),
        Server::ThreadingSocket => serve_threading(connections, || SocketEcho, load),
        Server::TokioCurrent => serve_tokio(
            tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .unwrap(),
            load,
        ),
        Server::TokioMulti => serve_tokio(
            // The default: a worker thread per CPU.
            tokio::runtime::Builder::new_multi_thread()
                .enable_io()
                .build()
                .unwrap(),
            load,
        ),
        Server::StdThreads => serve_std(load),
    }
}

// --- the servers ----------------------------------------------------------------

fn pysocket_options() -> ServerOptions {
    ServerOptions::new()
        .request_queue_size(BACKLOG)
        .disable_nagle_algorithm(true)
}

struct SelectorEcho;

impl ConnectionHandler for SelectorEcho {
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
        conn.write(data);
        Ok(())
    }
}

/// The selector server's loop, a function of its own for profiles
/// (`valgrind --tool=callgrind --toggle-collect='*selector_loop*'`).
#[inline(never)]
fn selector_loop(server: &SelectorTcpServer<SelectorEcho>) -> pysocket::Result<()> {
    server.serve_forever(POLL_INTERVAL)
}

fn serve_selector(load: impl FnOnce(SocketAddr) -> Sample) -> Sample {
    let server =
        SelectorTcpServer::with_options(("127.0.0.1", 0), || SelectorEcho, pysocket_options())
            .unwrap();
    let addr = server.server_address().as_socket_addr().unwrap();
    thread::scope(|scope| {
        let serving = spawn(scope, "bench-serve", || selector_loop(&server));
        let sample = load(addr);
        server.shutdown();
        serving.join().unwrap().unwrap();
        sample
    })
}

/// Python's idiom: read from `rfile`, write to `wfile` (which writes through).
struct ThreadingEcho;

impl RequestHandler for ThreadingEcho {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let mut buf = [0u8; READ_BUFFER];
        loop {
            let n = request.rfile.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            request.wfile.write_all(&buf[..n])?;
        }
    }
}

/// The same echo on the connection's own `recv_into` and `sendall`, without
/// the buffered files: what the files cost.
struct SocketEcho;

impl RequestHandler for SocketEcho {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let mut buf = [0u8; READ_BUFFER];
        loop {
            let n = request.connection.recv_into(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            request.connection.sendall(&buf[..n])?;
        }
    }
}

fn serve_threading<H: RequestHandler + 'static>(
    connections: usize,
    handler: fn() -> H,
    load: impl FnOnce(SocketAddr) -> Sample,
) -> Sample {
    // A thread for every connection at once (the default bound is 256).
    let options = pysocket_options().max_threads(connections + 16);
    let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), handler, options).unwrap();
    let addr = server.server_address().as_socket_addr().unwrap();
    let sample = thread::scope(|scope| {
        let serving = spawn(scope, "bench-serve", || server.serve_forever(POLL_INTERVAL));
        let sample = load(addr);
        server.shutdown();
        serving.join().unwrap().unwrap();
        sample
    });
    // Joins the handler threads, which have seen their clients close.
    server.server_close();
    sample
}

/// A listener on 127.0.0.1 with the backlog every server gets.
fn std_listener() -> TcpListener {
    let (listener, _) = loopback::socket2_listener();
    listener.listen(BACKLOG).unwrap();
    TcpListener::from(listener)
}

fn serve_tokio(
    runtime: tokio::runtime::Runtime,
    load: impl FnOnce(SocketAddr) -> Sample,
) -> Sample {
    let listener = std_listener();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = AtomicBool::new(false);
    let sample = thread::scope(|scope| {
        let serving = spawn(scope, "bench-serve", || {
            runtime.block_on(tokio_accept(listener, &stop))
        });
        let sample = load(addr);
        stop_accepting(&stop, addr);
        serving.join().unwrap();
        sample
    });
    runtime.shutdown_timeout(CLOSE_TIMEOUT);
    sample
}

/// tokio's echo server as its examples write it: a task per connection.
async fn tokio_accept(listener: TcpListener, stop: &AtomicBool) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        if stop.load(Ordering::SeqCst) {
            return;
        }
        tokio::spawn(tokio_echo(stream));
    }
}

async fn tokio_echo(mut stream: tokio::net::TcpStream) {
    stream.set_nodelay(true).unwrap();
    let mut buf = [0u8; READ_BUFFER];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn serve_std(load: impl FnOnce(SocketAddr) -> Sample) -> Sample {
    let listener = std_listener();
    let addr = listener.local_addr().unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        spawn(scope, "bench-serve", || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let conn = conn.unwrap();
                spawn(scope, "bench-std-echo", move || std_echo(conn));
            }
        });
        let sample = load(addr);
        stop_accepting(&stop, addr);
        // The scope joins every thread, each ended by its client's close.
        sample
    })
}

fn std_echo(mut conn: TcpStream) {
    conn.set_nodelay(true).unwrap();
    let mut buf = [0u8; READ_BUFFER];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Starts a thread named `name` (for profiles) in `scope`.
fn spawn<'scope, T: Send + 'scope>(
    scope: &'scope thread::Scope<'scope, '_>,
    name: &str,
    f: impl FnOnce() -> T + Send + 'scope,
) -> thread::ScopedJoinHandle<'scope, T> {
    thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
        .unwrap()
}

/// Has an accept loop stop: sets `stop`, then connects so that it wakes.
fn stop_accepting(stop: &AtomicBool, addr: SocketAddr) {
    stop.store(true, Ordering::SeqCst);
    drop(TcpStream::connect(addr));
}

// --- the clients --------------------------------------------------------------

/// The clients' phases, set by the thread that runs the window.
const WARMING: u8 = 0;
const COUNTING: u8 = 1;
const STOPPING: u8 = 2;

/// What one client thread counted in the window.
struct ClientReport {
    trips: u64,
    /// The thread's CPU time over the window, in nanoseconds.
    cpu: f64,
}

/// Drives `connections` connections to `addr` from [`CLIENT_THREADS`]
/// threads through one run, and closes them.
fn drive(addr: SocketAddr, connections: usize, sizes: Sizes) -> Sample {
    let phase = AtomicU8::new(WARMING);
    let warmed = AtomicUsize::new(0);
    let threads = CLIENT_THREADS.min(connections);
    thread::scope(|scope| {
        let clients: Vec<_> = (0..threads)
            .map(|i| {
                let share = connections / threads + usize::from(i < connections % threads);
                let (phase, warmed) = (&phase, &warmed);
                spawn(scope, "bench-client", move || {
                    client(addr, share, phase, warmed)
                })
            })
            .collect();
        let deadline = Instant::now() + RUN_LIMIT;
        while warmed.load(Ordering::SeqCst) < threads {
            // A client that failed has finished: join it to see why.
            assert!(
                !clients.iter().any(|client| client.is_finished()),
                "a client thread stopped early"
            );
            assert!(Instant::now() < deadline, "the clients never warmed up");
            thread::sleep(Duration::from_millis(1));
        }
        thread::sleep(sizes.warm);
        let cpu_before = process_cpu();
        let start = Instant::now();
        phase.store(COUNTING, Ordering::SeqCst);
        thread::sleep(sizes.window);
        phase.store(STOPPING, Ordering::SeqCst);
        let elapsed = start.elapsed();
        let cpu = process_cpu() - cpu_before;
        let reports: Vec<ClientReport> = clients
            .into_iter()
            .map(|client| client.join().unwrap())
            .collect();
        let trips: u64 = reports.iter().map(|report| report.trips).sum();
        let client_cpu: f64 = reports.iter().map(|report| report.cpu).sum();
        assert!(trips > 0, "no round trip in the window");
        Sample {
            trips_per_second: trips as f64 / elapsed.as_secs_f64(),
            server_cpu: (cpu - client_cpu).max(0.0) / trips as f64,
        }
    })
}

/// One client thread: `count` connections, each with one request in flight,
/// until [`STOPPING`]; then the last answers, and a clean close.
fn client(addr: SocketAddr, count: usize, phase: &AtomicU8, warmed: &AtomicUsize) -> ClientReport {
    let conns: Vec<TcpStream> = (0..count)
        .map(|i| {
            let conn = TcpStream::connect(addr)
                .unwrap_or_else(|err| panic!("connection {i} of {count}: {err}"));
            conn.set_nodelay(true).unwrap();
            conn.set_nonblocking(true).unwrap();
            conn
        })
        .collect();
    let epoll = Epoll::new();
    for (i, conn) in conns.iter().enumerate() {
        epoll.add(conn, i as u64);
    }
    let request = [7u8; MSG];
    let mut answer = [0u8; MSG];
    // Bytes of the current answer received, per connection.
    let mut got = vec![0usize; count];
    let mut answered = vec![false; count];
    let mut unanswered = count;
    for mut conn in &conns {
        assert_eq!(conn.write(&request).unwrap(), MSG);
    }
    let deadline = Instant::now() + RUN_LIMIT;
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
    let mut trips = 0u64;
    let mut cpu_start = None;
    loop {
        match phase.load(Ordering::Relaxed) {
            COUNTING if cpu_start.is_none() => {
                cpu_start = Some(thread_cpu());
                trips = 0;
            }
            STOPPING => break,
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "a client ran past its time limit"
        );
        for event in epoll.wait(&mut events) {
            let i = event.u64 as usize;
            let mut conn = &conns[i];
            loop {
                match conn.read(&mut answer[got[i]..]) {
                    Ok(0) => panic!("the server closed a connection"),
                    Ok(n) => {
                        got[i] += n;
                        if got[i] < MSG {
                            continue;
                        }
                        got[i] = 0;
                        trips += 1;
                        if !answered[i] {
                            answered[i] = true;
                            unanswered -= 1;
                            if unanswered == 0 {
                                warmed.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        // One request in flight: the socket has room.
                        assert_eq!(conn.write(&request).unwrap(), MSG);
                        break;
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                    Err(err) => panic!("a client's read failed: {err}"),
                }
            }
        }
    }
    let cpu = cpu_start.map_or(0.0, |start| thread_cpu() - start);
    close(&conns, &got);
    ClientReport { trips, cpu }
}

/// Takes each connection's last answer, ends each stream, and waits for the
/// server to end its side, so that the server is idle when it is stopped.
fn close(conns: &[TcpStream], got: &[usize]) {
    let mut answer = [0u8; MSG];
    for (mut conn, &got) in conns.iter().zip(got) {
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(CLOSE_TIMEOUT)).unwrap();
        conn.read_exact(&mut answer[got..]).unwrap();
    }
    for conn in conns {
        conn.shutdown(Shutdown::Write).unwrap();
    }
    for mut conn in conns {
        assert_eq!(conn.read(&mut answer).unwrap(), 0, "more than one answer");
    }
}

/// A client thread's epoll instance, level-triggered, for reading.
struct Epoll(OwnedFd);

impl Epoll {
    fn new() -> Epoll {
        // SAFETY: epoll_create1 takes no pointer; the result is checked below.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1 failed");
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        Epoll(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    fn add(&self, conn: &TcpStream, key: u64) {
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: key,
        };
        // SAFETY: both descriptors are open; the kernel only reads `event`.
        let rc = unsafe {
            libc::epoll_ctl(
                self.0.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                conn.as_raw_fd(),
                &mut event,
            )
        };
        assert_eq!(rc, 0, "epoll_ctl failed");
    }

    /// Waits at most 100 ms; the events that came.
    fn wait<'a>(&self, events: &'a mut [libc::epoll_event]) -> &'a [libc::epoll_event] {
        let room = events.len() as libc::c_int;
        // SAFETY: the pointer and count describe `events`, which the kernel
        // may write.
        let ready = unsafe { libc::epoll_wait(self.0.as_raw_fd(), events.as_mut_ptr(), room, 100) };
        if ready < 0 {
            let err = std::io::Error::last_os_error();
            assert_eq!(err.kind(), ErrorKind::Interrupted, "epoll_wait: {err}");
            return &[];
        }
        &events[..ready as usize]
    }
}

/// This thread's CPU time, in nanoseconds.
fn thread_cpu() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the kernel to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0);
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

/// The CPU time of every thread of this process, in nanoseconds.
fn process_cpu() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the kernel to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0);
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}
