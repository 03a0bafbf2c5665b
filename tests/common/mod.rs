//! Helpers shared by the integration tests: loopback pairs, temp dirs, child
//! processes, signal storms, the timeout modes, and (in [`chaos`] and
//! [`data`]) a fault-injecting proxy and self-checking test data, and (in
//! [`pki`]) certificates made at test time for TLS. Every helper is bounded
//! in time.
//!
//! Every test binary compiles all of it and uses a part, hence the
//! `allow(dead_code)`.
#![allow(dead_code)]

pub mod chaos;
pub mod data;
pub mod pki;

use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use pysocket::server::{
    ConnectionHandler, DatagramRequestHandler, RequestHandler, SelectorTcpServer, ServerHandle,
    TcpServer, ThreadingTcpServer, ThreadingUdpServer, ThreadingUnixDatagramServer,
    ThreadingUnixStreamServer, UdpServer, UnixDatagramServer, UnixStreamServer,
};
use pysocket::{
    setdefaulttimeout, Address, Family, Shutdown, SockType, Socket, AF_INET, AF_INET6, SOCK_STREAM,
};

/// A generous bound for anything that should happen "at once" on loopback.
pub const PROMPT: Duration = Duration::from_secs(10);

/// What the tests need of every server kind of `pysocket::server`.
pub trait Serve: Sync {
    /// `serve_forever(poll_interval)`.
    fn serve(&self, poll_interval: Duration) -> pysocket::Result<()>;
    /// `shutdown()`.
    fn stop(&self);
    /// `server_address()`.
    fn address(&self) -> Address;
    /// `handle()`.
    fn handle(&self) -> ServerHandle;
}

macro_rules! impl_serve {
    ($server:ident, $bound:path) => {
        impl<H: $bound + 'static> Serve for $server<H> {
            fn serve(&self, poll_interval: Duration) -> pysocket::Result<()> {
                self.serve_forever(poll_interval)
            }
            fn stop(&self) {
                self.shutdown()
            }
            fn address(&self) -> Address {
                self.server_address().clone()
            }
            fn handle(&self) -> ServerHandle {
                pysocket::server::BaseServer::handle(self)
            }
        }
    };
}

impl_serve!(TcpServer, RequestHandler);
impl_serve!(ThreadingTcpServer, RequestHandler);
impl_serve!(SelectorTcpServer, ConnectionHandler);
impl_serve!(UdpServer, DatagramRequestHandler);
impl_serve!(ThreadingUdpServer, DatagramRequestHandler);
impl_serve!(UnixStreamServer, RequestHandler);
impl_serve!(ThreadingUnixStreamServer, RequestHandler);
impl_serve!(UnixDatagramServer, DatagramRequestHandler);
impl_serve!(ThreadingUnixDatagramServer, DatagramRequestHandler);

/// What the server tests give `serve_forever`: short, so a lost wake-up
/// would show as a delay rather than a hang.
pub const POLL: Duration = Duration::from_millis(200);

/// Runs `server` in a thread while `body` runs, then shuts it down from this
/// thread and checks that the shutdown returned within `PROMPT` and
/// `serve_forever` returned `Ok`.
pub fn serving<S: Serve, T>(server: &S, body: impl FnOnce(&Address) -> T) -> T {
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve(POLL));
        let stopper = StopOnDrop(server);
        let result = body(&server.address());
        let started = Instant::now();
        drop(stopper);
        let took = started.elapsed();
        assert!(took < PROMPT, "shutdown took {took:?}");
        serving
            .join()
            .expect("serve_forever panicked")
            .expect("serve_forever failed");
        result
    })
}

/// Shuts the server down even when the test body panics, so the scope ends.
struct StopOnDrop<'a, S: Serve>(&'a S);

impl<S: Serve> Drop for StopOnDrop<'_, S> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The three timeout modes, as `settimeout` takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    NonBlocking,
    Timeout(Duration),
}

impl Mode {
    /// The mode's argument to `settimeout`.
    pub fn timeout(self) -> Option<Duration> {
        match self {
            Mode::Blocking => None,
            Mode::NonBlocking => Some(Duration::ZERO),
            Mode::Timeout(d) => Some(d),
        }
    }
}

/// Whether the descriptor itself has `O_NONBLOCK`.
pub fn fd_nonblocking(sock: &Socket) -> bool {
    // SAFETY: F_GETFL takes no argument and only reads the flags of a live descriptor.
    let flags = unsafe { libc::fcntl(sock.fileno(), libc::F_GETFL) };
    assert!(flags >= 0, "fcntl(F_GETFL) failed");
    flags & libc::O_NONBLOCK != 0
}

/// Puts the process-wide default timeout back to `None` when dropped, even if
/// an assertion fails.
pub struct RestoreDefault;

impl Drop for RestoreDefault {
    fn drop(&mut self) {
        setdefaulttimeout(None);
    }
}

/// A listening TCP socket on the loopback address of `family`, port 0.
pub fn listener(family: Family) -> (Socket, Address) {
    let host = if family == AF_INET6 {
        "::1"
    } else {
        "127.0.0.1"
    };
    let sock = Socket::new(family, SOCK_STREAM).expect("socket");
    sock.bind((host, 0)).expect("bind");
    sock.listen(16).expect("listen");
    let addr = sock.getsockname().expect("getsockname");
    (sock, addr)
}

/// A connected TCP pair on 127.0.0.1: (client, server side).
pub fn tcp_pair() -> (Socket, Socket) {
    tcp_pair_of(AF_INET)
}

/// A connected TCP pair on the loopback address of `family`: (client, server side).
pub fn tcp_pair_of(family: Family) -> (Socket, Socket) {
    let (server, addr) = listener(family);
    let client = Socket::new(family, SOCK_STREAM).expect("socket");
    client.connect(&addr).expect("connect");
    let (conn, _) = server.accept().expect("accept");
    (client, conn)
}

/// A UDP socket bound to the loopback address of `family`, port 0.
pub fn udp_socket(family: Family) -> (Socket, Address) {
    let host = if family == AF_INET6 {
        "::1"
    } else {
        "127.0.0.1"
    };
    let sock = Socket::new(family, SockType::DGRAM).expect("socket");
    sock.bind((host, 0)).expect("bind");
    let addr = sock.getsockname().expect("getsockname");
    (sock, addr)
}

/// Sends `data` with one `sendall` per chunk, then shuts down writing.
pub fn send_chunked(sock: &Socket, data: &[u8], sizes: &[usize]) -> pysocket::Result<()> {
    for piece in data::chunked(data, sizes) {
        sock.sendall(piece)?;
    }
    sock.shutdown(Shutdown::Write)
}

/// A fresh temporary directory, removed on drop.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pysocket-test")
        .tempdir()
        .expect("temp dir")
}

/// A name for the Linux abstract namespace that no other test uses.
pub fn abstract_name(tag: &str) -> String {
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "\0pysocket-{}-{}-{}",
        tag,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The number of open descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// The environment variable that tells a re-executed test binary which test
/// it runs as a child.
pub const CHILD_ENV: &str = "PYSOCKET_TEST_CHILD";

/// Whether this process is the child started by [`run_child`] for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|name| name == test)
}

/// Runs the test named `test` (its full path, e.g. `"sigpipe_child"`) of this
/// test binary in a child process and returns its output. The test itself
/// checks [`is_child`] to know which side it is on. The child is killed if it
/// runs past [`PROMPT`] times three.
pub fn run_child(test: &str) -> Output {
    let mut child = spawn_child(test);
    let limit = Instant::now() + PROMPT * 3;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("child output");
        }
        if Instant::now() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("child output");
            panic!(
                "child {test} ran too long: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// What a child test with no mark of its own prints once it passed, for
/// [`assert_child_passes`].
pub const CHILD_PASSED: &str = "PYSOCKET-CHILD-PASSED";

/// Runs the test named `test` in a child process ([`run_child`]) and asserts
/// that it succeeded and printed `mark`, which the child prints last, so that
/// a child that returned early does not pass. Returns the child's output.
pub fn assert_child_passes(test: &str, mark: &str) -> Output {
    let out = run_child(test);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(mark),
        "child {test} failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts the test named `test` of this test binary in a child process, as
/// [`run_child`] does, and returns it running, with its standard output and
/// error piped: for a test that talks to the child, or kills it, while it runs.
pub fn spawn_child(test: &str) -> Child {
    let exe = std::env::current_exe().expect("current_exe");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn child")
}

/// How many storms may run at once (in one test binary).
const STORM_SLOTS: usize = 64;

/// The thread each running storm targets (0: a free slot), by slot.
static STORM_TARGETS: [AtomicUsize; STORM_SLOTS] = [const { AtomicUsize::new(0) }; STORM_SLOTS];

/// The signals each slot's target has handled since its storm started.
static STORM_DELIVERED: [AtomicUsize; STORM_SLOTS] = [const { AtomicUsize::new(0) }; STORM_SLOTS];

/// The handler: counts the signal for every storm that targets this thread.
/// Only atomics and `pthread_self`, so it is safe in a signal handler.
extern "C" fn count_delivery(_: libc::c_int) {
    // SAFETY: pthread_self has no preconditions.
    let me = unsafe { libc::pthread_self() } as usize;
    for (target, delivered) in STORM_TARGETS.iter().zip(&STORM_DELIVERED) {
        if target.load(Ordering::Acquire) == me {
            delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Installs a handler for `SIGUSR1` that only counts deliveries to the
/// threads of running [`SignalStorm`]s, without `SA_RESTART`, so blocking
/// calls in a thread that receives it fail with `EINTR`.
pub fn install_eintr_handler() -> libc::c_int {
    let sig = libc::SIGUSR1;
    // SAFETY: a zeroed sigaction is valid; the handler is an `extern "C"` fn
    // that touches only atomics; sa_flags has no SA_RESTART on purpose.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_delivery as extern "C" fn(libc::c_int) as usize;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(sig, &action, std::ptr::null_mut()), 0);
    }
    sig
}

/// Sends `SIGUSR1` to one thread every `every` until dropped (at most for
/// [`PROMPT`] times three). Counts the signals it sent, and the signals its
/// thread handled ([`delivered`](SignalStorm::delivered)): fewer, as a
/// pending signal is not queued twice, and on a loaded machine the storm's
/// own thread may wake rarely, so a case asserts on deliveries, which it
/// waits for ([`Deliveries::wait_for`]) or gathers over attempts
/// ([`repeat_until_delivered`]), never on a rate.
pub struct SignalStorm {
    stop: Arc<AtomicBool>,
    sender: Option<JoinHandle<usize>>,
    slot: usize,
    deliveries: Deliveries,
}

/// The signals a [`SignalStorm`]'s thread has handled so far, readable from
/// any thread (updated by the storm after every signal it sends, and when it
/// stops).
#[derive(Clone, Debug, Default)]
pub struct Deliveries(Arc<AtomicUsize>);

impl Deliveries {
    /// The signals handled so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Waits until at least `count` signals were handled, or `limit` has
    /// passed; returns the signals handled.
    pub fn wait_for(&self, count: usize, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        while self.get() < count && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.get()
    }
}

impl SignalStorm {
    /// Starts the storm against `target` (from `libc::pthread_self()` in that thread).
    pub fn start(target: libc::pthread_t, every: Duration) -> SignalStorm {
        let sig = install_eintr_handler();
        let slot = (0..STORM_SLOTS)
            .find(|&slot| {
                STORM_TARGETS[slot]
                    .compare_exchange(0, target as usize, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            })
            .expect("more than 64 signal storms at once");
        // Claimed, and no signal of this storm sent yet.
        STORM_DELIVERED[slot].store(0, Ordering::Relaxed);
        let deliveries = Deliveries::default();
        let published = deliveries.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let sender = thread::spawn(move || {
            let limit = Instant::now() + PROMPT * 3;
            let mut sent = 0;
            while !flag.load(Ordering::Relaxed) && Instant::now() < limit {
                // SAFETY: `target` is a live thread until the storm is stopped,
                // which the owner does before that thread ends.
                if unsafe { libc::pthread_kill(target, sig) } != 0 {
                    break;
                }
                sent += 1;
                thread::sleep(every);
                published.0.store(
                    STORM_DELIVERED[slot].load(Ordering::Relaxed),
                    Ordering::Relaxed,
                );
            }
            sent
        });
        SignalStorm {
            stop,
            sender: Some(sender),
            slot,
            deliveries,
        }
    }

    /// The signals the target thread has handled since the storm started.
    pub fn delivered(&self) -> usize {
        STORM_DELIVERED[self.slot].load(Ordering::Relaxed)
    }

    /// A handle on [`delivered`](SignalStorm::delivered) for other threads.
    pub fn deliveries(&self) -> Deliveries {
        self.deliveries.clone()
    }

    /// Stops the storm and returns how many signals it sent.
    pub fn stop(mut self) -> usize {
        self.halt()
    }

    /// Stops the storm and returns how many signals its thread handled.
    pub fn stop_delivered(mut self) -> usize {
        self.halt();
        self.deliveries.get()
    }

    fn halt(&mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let sent = self
            .sender
            .take()
            .map_or(0, |h| h.join().expect("storm thread"));
        if STORM_TARGETS[self.slot].load(Ordering::Relaxed) != 0 {
            self.deliveries.0.store(self.delivered(), Ordering::Relaxed);
            STORM_TARGETS[self.slot].store(0, Ordering::Release);
        }
        sent
    }
}

impl Drop for SignalStorm {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Runs `attempt` (one run of a case under storms, which checks all it
/// should and returns the signals each storm's thread handled) until every
/// storm's deliveries add up to `enough`, at most `attempts` times: a case
/// whose calls are too short on a loaded machine to catch `enough` signals
/// at once catches them over several runs, each of which must pass.
pub fn repeat_until_delivered<const N: usize>(
    what: &str,
    enough: usize,
    attempts: usize,
    mut attempt: impl FnMut() -> [usize; N],
) {
    let mut total = [0; N];
    for run in 1..=attempts {
        for (sum, delivered) in total.iter_mut().zip(attempt()) {
            *sum += delivered;
        }
        if total.iter().all(|&sum| sum >= enough) {
            if run > 1 {
                eprintln!("{what}: {total:?} signals handled over {run} runs");
            }
            return;
        }
    }
    panic!("{what}: only {total:?} signals handled in {attempts} attempts");
}

/// Runs `call` (a call on `sock`) under a [`SignalStorm`] against this
/// thread, a signal every `every`, with a watchdog that shuts `sock` down
/// after `limit`: the call's result, how long it took, and the signals sent.
pub fn under_storm<T>(
    sock: &Socket,
    every: Duration,
    limit: Duration,
    call: impl FnOnce() -> T,
) -> (T, Duration, usize) {
    let storm = SignalStorm::start(this_thread(), every);
    let started = Instant::now();
    let result = with_watchdog(sock, limit, call);
    let elapsed = started.elapsed();
    (result, elapsed, storm.stop())
}

/// Asserts that `result` is [`pysocket::Error::Timeout`], which came after
/// `elapsed`: no sooner than `timeout` (give or take a tenth) and before
/// `timeout` and `slack` have passed.
pub fn assert_timed_out<T: std::fmt::Debug>(
    what: &str,
    result: &pysocket::Result<T>,
    timeout: Duration,
    elapsed: Duration,
    slack: Duration,
) {
    assert!(
        matches!(result, Err(pysocket::Error::Timeout)),
        "{what}: {result:?}"
    );
    assert!(
        elapsed >= timeout.mul_f64(0.9),
        "{what}: timed out early: {elapsed:?}"
    );
    assert!(
        elapsed < timeout + slack,
        "{what}: timed out after {elapsed:?}, past its deadline"
    );
}

/// The calling thread's id, for [`SignalStorm::start`].
pub fn this_thread() -> libc::pthread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() }
}

/// The raw descriptor of anything with one (for asserting on descriptors).
pub fn raw(fd: &impl AsRawFd) -> i32 {
    fd.as_raw_fd()
}

/// A `listen(0)` listener on 127.0.0.1 whose accept queue is full, so that a
/// new connect hangs in `SYN_SENT` (the kernel drops its `SYN`). Returns the
/// listener, its address and the connections that fill the queue: keep them
/// alive while the queue must stay full. At most 64 connects; panics with a
/// message if the kernel still takes more.
pub fn full_backlog() -> (Socket, Address, Vec<Socket>) {
    let server = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    server.bind(("127.0.0.1", 0)).expect("bind");
    server.listen(0).expect("listen");
    let addr = server.getsockname().expect("getsockname");
    let mut held = Vec::new();
    for _ in 0..32 {
        let filler = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        filler.setblocking(false).expect("setblocking");
        match filler.connect(&addr) {
            Ok(()) => {}
            Err(err) if err.errno() == Some(libc::EINPROGRESS) => {}
            Err(err) => panic!("non-blocking connect to fill the backlog: {err}"),
        }
        held.push(filler);
        let probe = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        probe
            .settimeout(Some(Duration::from_millis(200)))
            .expect("settimeout");
        match with_watchdog(&probe, PROMPT, || probe.connect(&addr)) {
            Err(pysocket::Error::Timeout) => return (server, addr, held),
            Ok(()) => held.push(probe),
            Err(err) => panic!("probe connect to a filling backlog: {err}"),
        }
    }
    panic!(
        "a listen(0) listener still took connections after {} connects: cannot fill its accept queue",
        held.len()
    );
}

/// A [`full_backlog`] that a thread drains after 200 ms, accepting until
/// [`stop`](DrainingBacklog::stop): for a connect that must wait for it.
pub struct DrainingBacklog {
    pub addr: Address,
    done: Arc<AtomicBool>,
    drainer: JoinHandle<Vec<Socket>>,
}

impl DrainingBacklog {
    pub fn start() -> DrainingBacklog {
        let (server, addr, held) = full_backlog();
        server
            .settimeout(Some(Duration::from_millis(20)))
            .expect("settimeout");
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let drainer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            drop(held);
            let mut accepted = Vec::new();
            // Long enough for the SYN's retransmissions at 1, 3 and 7 s.
            let limit = Instant::now() + PROMPT * 2;
            while !stop.load(Ordering::Relaxed) && Instant::now() < limit {
                match server.accept() {
                    Ok((conn, _)) => accepted.push(conn),
                    Err(pysocket::Error::Timeout) => {}
                    Err(err) => panic!("draining accept: {err}"),
                }
            }
            accepted
        });
        DrainingBacklog {
            addr,
            done,
            drainer,
        }
    }

    /// Stops draining; returns the connections accepted.
    pub fn stop(self) -> Vec<Socket> {
        self.done.store(true, Ordering::Relaxed);
        self.drainer.join().expect("draining thread")
    }
}

/// Checks a connect that had to wait for a [`DrainingBacklog`] to drain:
/// `client` is connected to `addr`, one of the `accepted` connections is its
/// peer, and it waited (`elapsed`) for the drain.
pub fn assert_connected_after_drain(
    client: &Socket,
    addr: &Address,
    accepted: &[Socket],
    elapsed: Duration,
) {
    assert_eq!(client.getpeername().expect("getpeername"), *addr);
    let me = client.getsockname().expect("getsockname");
    assert!(
        accepted
            .iter()
            .any(|conn| conn.getpeername().ok() == Some(me.clone())),
        "the listener never accepted the connection"
    );
    assert!(
        elapsed >= Duration::from_millis(150),
        "connect did not wait: {elapsed:?}"
    );
}

/// Runs `call` while a watchdog shuts `sock` down should the call still be
/// running after `limit`, so that a call that would hang for ever (a timeout
/// that never fires) fails instead. The watchdog ends with the call.
pub fn with_watchdog<T>(sock: &Socket, limit: Duration, call: impl FnOnce() -> T) -> T {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    thread::scope(|scope| {
        scope.spawn(move || {
            if finished.recv_timeout(limit) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                let _ = sock.shutdown(pysocket::Shutdown::Both);
            }
        });
        let result = call();
        drop(done);
        result
    })
}

/// Checks the descriptor of a socket in timeout mode with `timeout`: on Linux
/// a timeout of 50 ms or more keeps the descriptor blocking, with kernel
/// timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`: the backstop) shorter than the
/// timeout; a shorter timeout, as on other systems, sets `O_NONBLOCK`, as
/// CPython does.
pub fn assert_timeout_descriptor(sock: &Socket, timeout: Duration) {
    let nonblocking = fd_nonblocking(sock);
    if cfg!(target_os = "linux") && timeout >= Duration::from_millis(50) {
        assert!(!nonblocking, "O_NONBLOCK set in timeout mode ({timeout:?})");
        let sock2 = sock.as_socket2();
        for (name, kernel) in [
            ("SO_RCVTIMEO", sock2.read_timeout().unwrap()),
            ("SO_SNDTIMEO", sock2.write_timeout().unwrap()),
        ] {
            // The kernel reads timeouts past ~270 years as none at all.
            if timeout < Duration::from_secs(1 << 32) {
                let kernel = kernel.unwrap_or_else(|| panic!("no {name} with {timeout:?}"));
                assert!(kernel < timeout, "{name} {kernel:?} with {timeout:?}");
            }
        }
    } else {
        assert!(
            nonblocking,
            "O_NONBLOCK clear in timeout mode ({timeout:?})"
        );
    }
}
