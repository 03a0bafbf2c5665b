//! Idle connections held by a server: how long each takes to be connected
//! and accepted, and the user-space memory each costs the server (heap bytes
//! from the counting allocator, resident set from `/proc/self/status`).
//!
//! Each round of each variant runs its server in a fresh process, so that
//! memory freed by earlier rounds cannot hide what this one takes, and the
//! clients in another, so that each process holds one side of the
//! connections and stays under `RLIMIT_NOFILE`. Both are this bench binary
//! again, told their part by an environment variable. The client process
//! connects when told to, holds its connections until told to close, then
//! resets them all (`SO_LINGER` 0, so no `TIME_WAIT` piles up across rounds)
//! and exits. Either exits on its own after two minutes.
//!
//! - pysocket: `server::SelectorTcpServer` with a handler that only counts;
//! - socket2: the least a hand-written server holds: an `epoll` loop and a
//!   `HashMap` of sockets;
//! - std: a thread per connection (std has no selector), blocked in `read`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use pysocket::server::{
    Connection, ConnectionHandler, HandlerResult, SelectorTcpServer, ServerOptions,
};
use pysocket::Error;

use crate::pingpong::epoll_for;
use crate::{heap_in_use, loopback, watchdog, Row, Suite, Unit};

/// The environment variable that makes this binary the client process:
/// `ADDRESS,COUNT`.
const CLIENT_ENV: &str = "PYSOCKET_BENCH_IDLE_CLIENTS";

/// The environment variable that makes this binary a server process:
/// `VARIANT,COUNT`, the variant an index into [`VARIANTS`].
const SERVER_ENV: &str = "PYSOCKET_BENCH_IDLE_SERVER";

/// The servers: pysocket, socket2, std.
const VARIANTS: [fn(usize) -> Sample; 3] = [serve_pysocket, serve_socket2, serve_std];

/// How long the server waits for the connections to be accepted, or closed.
const LIMIT: Duration = Duration::from_secs(60);

/// How long a helper process may live.
const PROCESS_LIMIT: Duration = Duration::from_secs(120);

/// Descriptors kept free for everything else in a process.
const SPARE_FDS: u64 = 64;

/// What one round of one variant measured.
struct Sample {
    /// Connect and accept, per connection.
    time: Duration,
    heap_per_connection: f64,
    rss_per_connection: f64,
}

pub fn run(suite: &mut Suite) {
    let name = "idle connections";
    if !suite.wants(name) {
        return;
    }
    let plan = suite.plan;
    let limit = fd_limit();
    let count = plan
        .idle_connections
        .min(limit.saturating_sub(SPARE_FDS) as usize);
    watchdog::arm(name, Duration::from_secs(150));
    let mut samples: [Vec<Sample>; 3] = Default::default();
    for _ in 0..plan.idle_rounds {
        for (variant, samples) in samples.iter_mut().enumerate() {
            samples.push(serve_in_child(variant, count));
        }
    }
    let column =
        |f: fn(&Sample) -> f64| samples.each_ref().map(|s| Some(s.iter().map(f).collect()));
    let mut note = format!(
        "{count} connections; the server and its clients in processes of their own; std: a thread per connection (std has no selector)"
    );
    if count < plan.idle_connections {
        note += &format!(
            "; not {}: RLIMIT_NOFILE's hard limit is {limit}",
            plan.idle_connections
        );
    }
    suite.table.add(Row {
        name: "idle connections: connect + accept (conn.)",
        note: Some(note),
        unit: Unit::Time,
        samples: column(|s| s.time.as_nanos() as f64),
    });
    suite.table.add(Row {
        name: "idle connections: server heap (conn.)",
        note: None,
        unit: Unit::Bytes,
        samples: column(|s| s.heap_per_connection),
    });
    suite.table.add(Row {
        name: "idle connections: server RSS (conn.)",
        note: None,
        unit: Unit::Bytes,
        samples: column(|s| s.rss_per_connection),
    });
}

/// Runs one round of a variant in a server process of its own.
fn serve_in_child(variant: usize, count: usize) -> Sample {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(SERVER_ENV, format!("{variant},{count}"))
        .env_remove(CLIENT_ENV)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the server process failed: {}",
        output.status
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .map(|field| field.parse().expect("a number"))
        .collect();
    let [nanos, heap, rss] = fields[..] else {
        panic!("the server process said {text:?}");
    };
    Sample {
        time: Duration::from_nanos(nanos as u64),
        heap_per_connection: heap,
        rss_per_connection: rss,
    }
}

/// When this binary was started as a helper process (a server or the
/// clients): plays its part and returns true.
pub fn run_child_if_asked() -> bool {
    let clients = std::env::var(CLIENT_ENV);
    let server = std::env::var(SERVER_ENV);
    if server.is_err() && clients.is_err() {
        return false;
    }
    thread::spawn(|| {
        thread::sleep(PROCESS_LIMIT);
        // The parent may be gone, and stderr with it: exit whatever happens.
        let _ = writeln!(
            std::io::stderr(),
            "idle connections: a helper process ran past its time limit"
        );
        std::process::exit(3);
    });
    raise_fd_limit();
    // Clients never start processes; a server starts only clients.
    if let Ok(spec) = clients {
        hold_clients(&spec);
    } else if let Ok(spec) = server {
        let (variant, count) = spec.split_once(',').expect("VARIANT,COUNT");
        let variant: usize = variant.parse().expect("variant");
        let sample = VARIANTS[variant](count.parse().expect("count"));
        println!(
            "{} {} {}",
            sample.time.as_nanos(),
            sample.heap_per_connection,
            sample.rss_per_connection
        );
    }
    true
}

/// This process's hard `RLIMIT_NOFILE`.
pub fn fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for the kernel to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    limit.rlim_max
}

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit.
pub fn raise_fd_limit() {
    let limit = libc::rlimit {
        rlim_cur: fd_limit(),
        rlim_max: fd_limit(),
    };
    // SAFETY: `limit` is a valid rlimit; raising the soft limit to the hard
    // one needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
}

/// Runs one round against a server already listening at `addr`: starts the
/// clients, times `count` connections until `live` counts them all, takes the
/// memory figures, then has the clients reset their connections and waits
/// for the server to see them go.
fn measure(addr: SocketAddr, count: usize, live: &AtomicUsize) -> Sample {
    let mut clients = Clients::start(addr, count);
    let heap_before = heap_in_use();
    let rss_before = rss_bytes();
    let start = Instant::now();
    clients.say("go");
    wait_until(
        || live.load(Ordering::SeqCst) >= count,
        "connections accepted",
    );
    let time = start.elapsed() / count as u32;
    clients.expect("connected");
    let heap = (heap_in_use() - heap_before) as f64 / count as f64;
    let rss = (rss_bytes() as f64 - rss_before as f64) / count as f64;
    clients.say("close");
    clients.finish();
    wait_until(|| live.load(Ordering::SeqCst) == 0, "connections closed");
    Sample {
        time,
        heap_per_connection: heap,
        rss_per_connection: rss,
    }
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "idle connections: {what} took too long"
        );
        thread::sleep(Duration::from_micros(200));
    }
}

/// The resident set of this process.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

// --- pysocket: the selector server ---------------------------------------------

struct Counted {
    live: Arc<AtomicUsize>,
}

impl ConnectionHandler for Counted {
    fn connection_made(&mut self, _: &mut Connection<'_>) -> HandlerResult {
        self.live.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult {
        Ok(())
    }

    fn connection_lost(&mut self, _: Option<&Error>) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_pysocket(count: usize) -> Sample {
    let live = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&live);
    let options = ServerOptions::new().request_queue_size(4096);
    let server = SelectorTcpServer::with_options(
        ("127.0.0.1", 0),
        move || Counted {
            live: Arc::clone(&counter),
        },
        options,
    )
    .unwrap();
    let addr = server.server_address().as_socket_addr().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
        let sample = measure(addr, count, &live);
        server.shutdown();
        serving.join().unwrap().unwrap();
        sample
    })
}

// --- socket2: an epoll loop ---------------------------------------------------------

fn serve_socket2(count: usize) -> Sample {
    let (listener, addr) = loopback::socket2_listener();
    listener.listen(4096).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = addr.as_socket().unwrap();
    let live = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| epoll_server(&listener, &live, &stop));
        let sample = measure(addr, count, &live);
        stop.store(true, Ordering::SeqCst);
        sample
    })
}

fn epoll_server(listener: &socket2::Socket, live: &AtomicUsize, stop: &AtomicBool) {
    let listener_fd = listener.as_raw_fd();
    let epoll = epoll_for(listener_fd);
    let mut conns: HashMap<RawFd, socket2::Socket> = HashMap::new();
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        // SAFETY: `events` has room for 256 events, which the kernel may write.
        let ready = unsafe { libc::epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), 256, 50) };
        for event in &events[..ready.max(0) as usize] {
            let fd = event.u64 as RawFd;
            if fd == listener_fd {
                loop {
                    match listener.accept() {
                        Ok((conn, _)) => {
                            conn.set_nonblocking(true).unwrap();
                            watch(&epoll, conn.as_raw_fd());
                            conns.insert(conn.as_raw_fd(), conn);
                            live.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => panic!("accept: {err}"),
                    }
                }
            } else if let Some(mut conn) = conns.get(&fd) {
                match conn.read(&mut buf) {
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                    Ok(n) if n > 0 => {}
                    _ => {
                        // SAFETY: both descriptors are open; DEL ignores the event.
                        unsafe {
                            libc::epoll_ctl(
                                epoll.as_raw_fd(),
                                libc::EPOLL_CTL_DEL,
                                fd,
                                std::ptr::null_mut(),
                            )
                        };
                        conns.remove(&fd);
                        live.fetch_sub(1, Ordering::SeqCst);
                    }
                }
            }
        }
    }
}

/// Adds `fd` to `epoll` for reading, keyed by its number.
fn watch(epoll: &impl AsRawFd, fd: RawFd) {
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: fd as u64,
    };
    // SAFETY: both descriptors are open; the kernel only reads `event`.
    let rc = unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
    assert_eq!(rc, 0, "epoll_ctl failed");
}

// --- std: a thread per connection -----------------------------------------------------

fn serve_std(count: usize) -> Sample {
    // std listens with a backlog of 128; every variant gets the same 4096.
    let (listener, _) = loopback::socket2_listener();
    listener.listen(4096).unwrap();
    let listener = TcpListener::from(listener);
    let addr = listener.local_addr().unwrap();
    let live = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let mut conn = conn.unwrap();
                live.fetch_add(1, Ordering::SeqCst);
                let live = &live;
                scope.spawn(move || {
                    let mut buf = [0u8; 64];
                    while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
                    live.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        let sample = measure(addr, count, &live);
        stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `stop`.
        drop(TcpStream::connect(addr));
        sample
    })
}

// --- the client process -------------------------------------------------------------

/// The child process that holds the client side.
struct Clients {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Clients {
    fn start(addr: SocketAddr, count: usize) -> Clients {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CLIENT_ENV, format!("{addr},{count}"))
            .env_remove(SERVER_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut clients = Clients {
            child,
            stdin,
            stdout,
        };
        clients.expect("ready");
        clients
    }

    fn say(&mut self, word: &str) {
        writeln!(self.stdin, "{word}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn expect(&mut self, word: &str) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), word, "the client process said something else");
    }

    fn finish(mut self) {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the client process failed: {status}");
    }
}

/// The client process: connects, holds and resets the connections as the
/// server process says.
fn hold_clients(spec: &str) {
    let (addr, count) = spec.split_once(',').expect("ADDRESS,COUNT");
    let addr: SocketAddr = addr.parse().expect("address");
    let count: usize = count.parse().expect("count");
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    let say = |word: &str| {
        println!("{word}");
        std::io::stdout().flush().unwrap();
    };
    say("ready");
    stdin.read_line(&mut line).unwrap();
    let conns: Vec<TcpStream> = (0..count)
        .map(|i| {
            TcpStream::connect(addr)
                .unwrap_or_else(|err| panic!("connection {i} of {count}: {err}"))
        })
        .collect();
    say("connected");
    line.clear();
    stdin.read_line(&mut line).unwrap();
    for conn in &conns {
        socket2::SockRef::from(conn)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    }
}
