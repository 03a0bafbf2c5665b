//! A chaos proxy: a loopback TCP relay between one client and one server,
//! under the test's control. It can split every write into pieces (down to
//! single bytes), pause before each piece, pass a half-close through, and
//! reset both connections (`SO_LINGER` 0) once a given number of bytes went
//! one way.
//!
//! The relay is built on std's `TcpStream`, not on the crate under test, so
//! that what it does to the stream does not depend on what is being tested.
//! It stops by itself: when both directions have ended, after a reset, or at
//! its deadline; [`ChaosProxy::join`] waits for it.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a proxy may live at most.
pub const PROXY_LIMIT: Duration = Duration::from_secs(60);

/// How often a blocked relay looks at its stop flag.
const TICK: Duration = Duration::from_millis(20);

/// What the proxy does to the traffic, the same way in both directions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// The largest write the relay makes (1: each byte on its own). `None`:
    /// what one read gave.
    pub piece: Option<usize>,
    /// A pause before each piece.
    pub delay: Duration,
    /// Reset both connections once this many bytes went to the client.
    pub reset_after_downstream: Option<u64>,
    /// Reset both connections once this many bytes went to the server.
    pub reset_after_upstream: Option<u64>,
}

impl Faults {
    /// Every write split into pieces of at most `size` bytes, and no other fault.
    pub fn pieces(size: usize) -> Faults {
        Faults {
            piece: Some(size),
            ..Faults::default()
        }
    }
}

/// What the proxy did, from [`ChaosProxy::join`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Whether a client came.
    pub served: bool,
    /// Bytes relayed to the server.
    pub upstream: u64,
    /// Bytes relayed to the client.
    pub downstream: u64,
    /// Whether the proxy reset both connections.
    pub reset: bool,
}

/// A running relay to one upstream server; it takes one client.
pub struct ChaosProxy {
    addr: SocketAddr,
    handle: Option<JoinHandle<Report>>,
}

impl ChaosProxy {
    /// Listens on 127.0.0.1, port 0, and relays its first client to `upstream`.
    pub fn start(upstream: SocketAddr, faults: Faults) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("proxy nonblocking");
        let handle = thread::Builder::new()
            .name("chaos-proxy".into())
            .spawn(move || run(listener, upstream, faults))
            .expect("spawn proxy");
        ChaosProxy {
            addr,
            handle: Some(handle),
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the relay has stopped (at most [`PROXY_LIMIT`] after it
    /// started) and says what it did.
    pub fn join(mut self) -> Report {
        self.handle
            .take()
            .expect("joined once")
            .join()
            .expect("proxy thread")
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Whether an I/O error only means "not now" (a timeout of the relay's own
/// short waits, or a signal).
fn transient(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

fn run(listener: TcpListener, upstream: SocketAddr, faults: Faults) -> Report {
    let deadline = Instant::now() + PROXY_LIMIT;
    let client = loop {
        match listener.accept() {
            Ok((client, _)) => break client,
            Err(err) if transient(err.kind()) => {
                if Instant::now() >= deadline {
                    return Report::default();
                }
                thread::sleep(Duration::from_millis(2));
            }
            Err(err) => panic!("proxy accept: {err}"),
        }
    };
    drop(listener);
    client.set_nonblocking(false).expect("client blocking");
    let server = TcpStream::connect_timeout(&upstream, Duration::from_secs(10))
        .expect("proxy connect upstream");
    for stream in [&client, &server] {
        stream.set_nodelay(true).expect("nodelay");
        stream.set_read_timeout(Some(TICK)).expect("read timeout");
        stream.set_write_timeout(Some(TICK)).expect("write timeout");
    }

    let stop = AtomicBool::new(false);
    let reset = AtomicBool::new(false);
    let upstream_bytes = AtomicU64::new(0);
    let downstream_bytes = AtomicU64::new(0);
    let relay = |count, limit| Relay {
        faults,
        stop: &stop,
        reset: &reset,
        count,
        limit,
        deadline,
    };
    let to_server = relay(&upstream_bytes, faults.reset_after_upstream);
    let to_client = relay(&downstream_bytes, faults.reset_after_downstream);
    thread::scope(|scope| {
        scope.spawn(|| to_server.pump(&client, &server));
        to_client.pump(&server, &client);
    });

    let was_reset = reset.load(Ordering::SeqCst);
    if was_reset {
        // SO_LINGER 0: close sends a reset instead of a FIN.
        for stream in [&client, &server] {
            let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
        }
    }
    drop((client, server));
    Report {
        served: true,
        upstream: upstream_bytes.load(Ordering::SeqCst),
        downstream: downstream_bytes.load(Ordering::SeqCst),
        reset: was_reset,
    }
}

/// One direction of the relay.
struct Relay<'a> {
    faults: Faults,
    stop: &'a AtomicBool,
    reset: &'a AtomicBool,
    count: &'a AtomicU64,
    limit: Option<u64>,
    deadline: Instant,
}

impl Relay<'_> {
    fn halted(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || Instant::now() >= self.deadline
    }

    /// Ends both directions with a reset.
    fn abort(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Relays `from` to `to` until the end of the stream (passed on as a
    /// half-close), a reset, an error (turned into a reset of both sides),
    /// or the deadline.
    fn pump(&self, mut from: &TcpStream, to: &TcpStream) {
        let mut buf = vec![0u8; 16 * 1024];
        while !self.halted() {
            let n = match from.read(&mut buf) {
                Ok(0) => {
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
                Ok(n) => n,
                Err(err) if transient(err.kind()) => continue,
                Err(_) => return self.abort(),
            };
            let piece = self.faults.piece.unwrap_or(n).max(1);
            for chunk in buf[..n].chunks(piece) {
                if !self.deliver(to, chunk) {
                    return;
                }
            }
        }
    }

    /// Writes one piece after the pause, cut short and followed by a reset if
    /// it reaches the limit. Returns whether to go on.
    fn deliver(&self, mut to: &TcpStream, chunk: &[u8]) -> bool {
        if !self.faults.delay.is_zero() {
            thread::sleep(self.faults.delay);
        }
        let sent = self.count.load(Ordering::SeqCst);
        let allowed = match self.limit {
            Some(limit) => (limit.saturating_sub(sent) as usize).min(chunk.len()),
            None => chunk.len(),
        };
        let mut written = 0;
        while written < allowed {
            if self.halted() {
                return false;
            }
            match to.write(&chunk[written..allowed]) {
                Ok(n) => {
                    written += n;
                    self.count.fetch_add(n as u64, Ordering::SeqCst);
                }
                Err(err) if transient(err.kind()) => {}
                Err(_) => {
                    self.abort();
                    return false;
                }
            }
        }
        if self
            .limit
            .is_some_and(|limit| self.count.load(Ordering::SeqCst) >= limit)
        {
            // Give the bytes already written a moment to reach the client
            // before the reset overtakes them.
            thread::sleep(Duration::from_millis(50));
            self.abort();
            return false;
        }
        true
    }
}
