//! TCP echo servers under load: round trips per second through pysocket's
//! `SelectorTcpServer` and `ThreadingTcpServer`, tokio's current-thread and
//! multi-thread runtimes, and a std thread per connection, driven by the
//! same clients: `cargo bench --bench compare -- servers`. The threading
//! server runs twice: its handler reading `rfile` and writing `wfile`
//! (Python's idiom), and on the connection's `recv_into` and `sendall`, which
//! tells the server's cost from the buffered files'.
//!
//! Every server echoes what it reads, with TCP_NODELAY and a listen backlog
//! of 4096. Each server has its own clients: [`CLIENT_THREADS`] threads in
//! this process, each with its share of the connections, non-blocking, in an
//! `epoll` of its own. Each connection has one 64-byte request in flight,
//! and a client sends the next request on a connection as soon as its whole
//! answer is back: N connections are N requests in flight, whatever the
//! server.
//!
//! A round starts every server at once, connects every client, and then has
//! the servers take turns, a rotated order each cycle: in its turn a
//! server's clients send for [`Sizes::ramp`] and then for a counted
//! [`Sizes::slice`], then take their last answers and pause, so that one
//! server works at a time and the others sleep. Turns a few hundred
//! milliseconds apart see the same machine, however busy it is with other
//! work. A turn gives the round trips per second and the server's CPU time
//! per round trip: the process's CPU time over the slice less the client
//! threads' own. The round ends with every connection closed (the server
//! closing its side too) and every server stopped.
//!
//! The table gives medians over every turn of every round, and the median of
//! the per-cycle ratios, pysocket's server over its peer.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
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

/// How long one round may take before the watchdog ends the process; any
/// wait of the clients or of the turns gives up sooner.
const ROUND_LIMIT: Duration = Duration::from_secs(120);

/// How long a client or a turn waits for the others before failing.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// How long a client waits for the server's end of stream while closing,
/// and a tokio runtime for its workers to stop.
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
    /// A second std server, the same as the first: the control, whose
    /// ratio to it shows how far two equal servers' figures fall apart.
    StdControl,
}

const SERVERS: [(Server, &str, &str); 7] = [
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
    (
        Server::StdControl,
        "std-control",
        "std, a thread per connection [c]",
    ),
];

/// The environment variable that picks some servers by their short names,
/// comma-separated (`selector,tokio-ct`), to profile one alone; all by default.
const ONLY_ENV: &str = "PYSOCKET_BENCH_SERVERS";

/// The ratios the table gives: (pysocket's server, its peer), indices into
/// [`SERVERS`].
const PAIRS: [(usize, usize); 6] = [(0, 3), (0, 4), (1, 5), (2, 5), (1, 4), (6, 5)];

/// The sizes of one run of this table: full for `cargo bench`, tiny for
/// `cargo test --benches`.
#[derive(Clone, Copy)]
struct Sizes {
    /// Rounds per connection count, each with every server started anew
    /// (a full run makes at least one per server, see `run`).
    rounds: usize,
    /// Measured turns of each server per round, after one warm-up turn.
    cycles: usize,
    /// The connection counts.
    connections: [usize; 2],
    /// How long a server's clients send before the slice is counted.
    ramp: Duration,
    /// How long round trips are counted in a turn.
    slice: Duration,
}

const FULL: Sizes = Sizes {
    rounds: 3,
    cycles: 10,
    connections: [32, 1000],
    ramp: Duration::from_millis(30),
    slice: Duration::from_millis(100),
};

const SMOKE: Sizes = Sizes {
    rounds: 1,
    cycles: 1,
    connections: [2, 20],
    ramp: Duration::from_millis(2),
    slice: Duration::from_millis(10),
};

/// What one turn of one server measured.
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
    // Each round starts the servers in another order (the first started
    // accepts its connections and makes its threads first): over a full run
    // every server starts once in every place.
    let rounds = if is_smoke(suite.plan) {
        sizes.rounds
    } else {
        sizes.rounds.max(chosen.len())
    };
    raise_fd_limit();
    // Both ends of every connection of every server are in this process.
    let most = fd_limit().saturating_sub(SPARE_FDS) as usize / (2 * chosen.len());
    let started = Instant::now();
    let mut results = Vec::new();
    for wanted in sizes.connections {
        let connections = wanted.min(most);
        if connections < wanted {
            println!(
                "servers: {connections} connections, not {wanted}: RLIMIT_NOFILE's hard limit is {}",
                fd_limit()
            );
        }
        let mut samples = vec![Vec::new(); SERVERS.len()];
        for round in 0..rounds {
            watchdog::arm("servers: TCP echo", ROUND_LIMIT);
            let mut order = chosen.clone();
            let shift = round % order.len();
            order.rotate_left(shift);
            let servers: Vec<Server> = order.iter().map(|&i| SERVERS[i].0).collect();
            let round = with_servers(&servers, connections, &mut Vec::new(), &mut |addrs| {
                take_turns(addrs, connections, sizes)
            });
            for (&i, turns) in order.iter().zip(round) {
                samples[i].extend(turns);
            }
        }
        results.push((connections, samples));
    }
    print(&results, rounds, sizes, started.elapsed());
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

fn print(results: &[(usize, Vec<Vec<Sample>>)], rounds: usize, sizes: Sizes, elapsed: Duration) {
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
    println!("[c] the control: a second std server, the same as the first; its ratio to it is how far equal servers fall apart");
    println!("ratios, pysocket / peer: median of the per-cycle ratios ± half their interquartile range (trips/s: above 1 is faster; CPU/trip: below 1 is cheaper)");
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
        "{} rounds per connection count, each of {} cycles of turns after a warm-up turn; a turn counts {} ms after {} ms; total {:.0} s",
        rounds,
        sizes.cycles,
        sizes.slice.as_millis(),
        sizes.ramp.as_millis(),
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

/// Starts `servers` one after another, runs `load` with their addresses
/// (`addrs` gathers them), and stops them in turn.
fn with_servers<R>(
    servers: &[Server],
    connections: usize,
    addrs: &mut Vec<SocketAddr>,
    load: &mut dyn FnMut(&[SocketAddr]) -> R,
) -> R {
    let Some((&first, rest)) = servers.split_first() else {
        return load(addrs);
    };
    let inner = |addr| {
        addrs.push(addr);
        with_servers(rest, connections, addrs, load)
    };
    match first {
        Server::Selector => serve_selector(inner),
        Server::Threading => serve_threading(connections, || ThreadingEcho, inner),
        Server::ThreadingSocket => serve_threading(connections, || SocketEcho, inner),
        Server::TokioCurrent => serve_tokio(
            tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .unwrap(),
            inner,
        ),
        Server::TokioMulti => serve_tokio(
            // The default: a worker thread per CPU.
            tokio::runtime::Builder::new_multi_thread()
                .enable_io()
                .build()
                .unwrap(),
            inner,
        ),
        Server::StdThreads | Server::StdControl => serve_std(inner),
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

fn serve_selector<R>(load: impl FnOnce(SocketAddr) -> R) -> R {
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

fn serve_threading<H: RequestHandler + 'static, R>(
    connections: usize,
    handler: fn() -> H,
    load: impl FnOnce(SocketAddr) -> R,
) -> R {
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

fn serve_tokio<R>(runtime: tokio::runtime::Runtime, load: impl FnOnce(SocketAddr) -> R) -> R {
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

fn serve_std<R>(load: impl FnOnce(SocketAddr) -> R) -> R {
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

/// What a server's clients do, as its turns say.
const PAUSED: u8 = 0;
const SENDING: u8 = 1;
const CLOSING: u8 = 2;

/// The clients of one server.
struct Group {
    /// [`PAUSED`], [`SENDING`] or [`CLOSING`].
    state: AtomicU8,
    /// Client threads connected.
    connected: AtomicUsize,
    /// Connections that have had an answer (the warm-up turn waits for all).
    answered: AtomicUsize,
    /// Client threads paused with no request in flight.
    idle: AtomicUsize,
    /// Per client thread.
    threads: Vec<ClientSlot>,
}

/// What a client thread shares, on a cache line of its own so that client
/// threads never share one.
#[repr(align(128))]
#[derive(Default)]
struct ClientSlot {
    trips: AtomicU64,
    /// The thread's CPU clock, once it has started.
    clock: AtomicI32,
}

impl Group {
    fn new(threads: usize) -> Group {
        Group {
            state: AtomicU8::new(PAUSED),
            connected: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            threads: (0..threads).map(|_| ClientSlot::default()).collect(),
        }
    }

    fn trips(&self) -> u64 {
        self.threads
            .iter()
            .map(|slot| slot.trips.load(Ordering::Relaxed))
            .sum()
    }
}

/// Connects [`CLIENT_THREADS`] clients to each server of `addrs` and has the
/// servers take turns: per server, one sample per cycle.
fn take_turns(addrs: &[SocketAddr], connections: usize, sizes: Sizes) -> Vec<Vec<Sample>> {
    let threads = CLIENT_THREADS.min(connections);
    let groups: Vec<Group> = addrs.iter().map(|_| Group::new(threads)).collect();
    thread::scope(|scope| {
        let clients: Vec<Vec<_>> = groups
            .iter()
            .zip(addrs)
            .map(|(group, &addr)| {
                (0..threads)
                    .map(|me| {
                        let share = connections / threads + usize::from(me < connections % threads);
                        spawn(scope, "bench-client", move || {
                            client(addr, share, group, me)
                        })
                    })
                    .collect()
            })
            .collect();
        for group in &groups {
            wait_for(
                || group.connected.load(Ordering::SeqCst) == threads,
                "connecting",
            );
        }
        let turns: Vec<Turn> = groups
            .iter()
            .zip(&clients)
            .map(|(group, clients)| Turn::new(group, clients))
            .collect();
        for turn in &turns {
            turn.warm_up(connections, sizes);
        }
        let mut samples = vec![Vec::new(); groups.len()];
        for cycle in 0..sizes.cycles {
            for k in 0..turns.len() {
                let i = (cycle + k) % turns.len();
                samples[i].push(turns[i].run(sizes));
            }
        }
        for turn in &turns {
            turn.close();
        }
        samples
    })
}

/// Waits until `done`, failing after [`WAIT_LIMIT`].
fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "servers: {what} took too long");
        thread::sleep(Duration::from_micros(200));
    }
}

/// A server's turns: its clients, woken to send and paused again.
struct Turn<'a> {
    group: &'a Group,
    threads: Vec<thread::Thread>,
    /// The client threads' CPU clocks.
    clocks: Vec<libc::clockid_t>,
}

impl<'a> Turn<'a> {
    fn new<T>(group: &'a Group, clients: &[thread::ScopedJoinHandle<'_, T>]) -> Turn<'a> {
        Turn {
            group,
            threads: clients
                .iter()
                .map(|client| client.thread().clone())
                .collect(),
            clocks: group
                .threads
                .iter()
                .map(|slot| slot.clock.load(Ordering::SeqCst))
                .collect(),
        }
    }

    fn set(&self, state: u8) {
        self.group.state.store(state, Ordering::SeqCst);
        for thread in &self.threads {
            thread.unpark();
        }
    }

    /// Has the clients send until every connection has had an answer, and
    /// `ramp` more; counts nothing.
    fn warm_up(&self, connections: usize, sizes: Sizes) {
        self.group.idle.store(0, Ordering::SeqCst);
        self.set(SENDING);
        let answered = &self.group.answered;
        wait_for(
            || answered.load(Ordering::SeqCst) >= connections,
            "the first answers",
        );
        thread::sleep(sizes.ramp);
        self.pause();
    }

    /// One turn: `ramp`, then a counted `slice`, then a pause.
    fn run(&self, sizes: Sizes) -> Sample {
        self.group.idle.store(0, Ordering::SeqCst);
        self.set(SENDING);
        thread::sleep(sizes.ramp);
        let trips = self.group.trips();
        let clients = self.clients_cpu();
        let cpu = process_cpu();
        let start = Instant::now();
        thread::sleep(sizes.slice);
        let cpu = process_cpu() - cpu;
        let clients = self.clients_cpu() - clients;
        let trips = self.group.trips() - trips;
        let elapsed = start.elapsed();
        self.pause();
        assert!(trips > 0, "no round trip in a turn");
        Sample {
            trips_per_second: trips as f64 / elapsed.as_secs_f64(),
            server_cpu: (cpu - clients).max(0.0) / trips as f64,
        }
    }

    /// Stops the clients' requests and waits for the last answers.
    fn pause(&self) {
        self.set(PAUSED);
        let idle = &self.group.idle;
        let threads = self.threads.len();
        wait_for(
            || idle.load(Ordering::SeqCst) == threads,
            "the last answers",
        );
    }

    /// Has the clients close their connections and end.
    fn close(&self) {
        self.set(CLOSING);
    }

    fn clients_cpu(&self) -> f64 {
        self.clocks.iter().map(|&clock| cpu_clock(clock)).sum()
    }
}

/// One client thread: `count` connections to `addr`, each with one request
/// in flight while the group is [`SENDING`]; when it pauses, the last
/// answers; when it closes, a clean close of every connection.
fn client(addr: SocketAddr, count: usize, group: &Group, me: usize) {
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
    let slot = &group.threads[me];
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid place for the id of this thread's clock,
    // which the turns read while this thread runs (until its scope ends).
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    assert_eq!(rc, 0, "pthread_getcpuclockid failed");
    slot.clock.store(clock, Ordering::SeqCst);
    group.connected.fetch_add(1, Ordering::SeqCst);
    let request = [7u8; MSG];
    let mut answer = [0u8; MSG];
    // Bytes of the current answer received, per connection.
    let mut got = vec![0usize; count];
    let mut answered = vec![false; count];
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
    let trips = &slot.trips;
    let deadline = Instant::now() + ROUND_LIMIT;
    loop {
        assert!(
            Instant::now() < deadline,
            "a client ran past its time limit"
        );
        match group.state.load(Ordering::SeqCst) {
            PAUSED => {
                thread::park_timeout(Duration::from_millis(50));
                continue;
            }
            CLOSING => break,
            _ => {}
        }
        for mut conn in &conns {
            assert_eq!(conn.write(&request).unwrap(), MSG);
        }
        let mut in_flight = count;
        let mut sending = true;
        while in_flight > 0 {
            assert!(
                Instant::now() < deadline,
                "a client ran past its time limit"
            );
            sending = sending && group.state.load(Ordering::Relaxed) == SENDING;
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
                            trips.fetch_add(1, Ordering::Relaxed);
                            if !answered[i] {
                                answered[i] = true;
                                group.answered.fetch_add(1, Ordering::SeqCst);
                            }
                            if sending {
                                // One request in flight: the socket has room.
                                assert_eq!(conn.write(&request).unwrap(), MSG);
                            } else {
                                in_flight -= 1;
                            }
                            break;
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => panic!("a client's read failed: {err}"),
                    }
                }
            }
        }
        group.idle.fetch_add(1, Ordering::SeqCst);
    }
    close(&conns);
}

/// Ends each stream and waits for the server to end its side, so that the
/// server is idle when it is stopped.
fn close(conns: &[TcpStream]) {
    let mut answer = [0u8; MSG];
    for conn in conns {
        conn.shutdown(Shutdown::Write).unwrap();
    }
    for mut conn in conns {
        conn.set_nonblocking(false).unwrap();
        conn.set_read_timeout(Some(CLOSE_TIMEOUT)).unwrap();
        assert_eq!(conn.read(&mut answer).unwrap(), 0, "an answer too many");
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

/// A CPU clock's time, in nanoseconds.
fn cpu_clock(clock: libc::clockid_t) -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the kernel to fill.
    let rc = unsafe { libc::clock_gettime(clock, &mut now) };
    assert_eq!(rc, 0, "clock_gettime failed");
    now.tv_sec as f64 * 1e9 + now.tv_nsec as f64
}

/// The CPU time of every thread of this process, in nanoseconds.
fn process_cpu() -> f64 {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}
