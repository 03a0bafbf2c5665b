//! Stopping a server: [`ServerHandle`], and the [`Control`] it shares with
//! the serving loop and the handler threads: the shutdown request, the thread
//! that serves, and the connections that closing cuts.

use std::collections::HashMap;
use std::fmt;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::address::Address;
use crate::select::SelectorWaker;
use crate::socket::Socket;

/// A handle on a server, to stop it from any thread: from
/// [`handle`](super::BaseServer::handle) on every server kind, and given to
/// every handler. Cheap to clone, `Send + Sync + 'static`.
///
/// A handle keeps the server's wake-up resources open until the last handle
/// is dropped, even after the server itself: the poller of the server's
/// selector, which `shutdown` wakes (on Linux an epoll descriptor and an
/// eventfd; elsewhere a kqueue). The server's socket closes with the
/// server.
///
/// ```
/// use std::time::Duration;
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UdpServer};
///
/// struct Ignore;
/// impl DatagramRequestHandler for Ignore {
///     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
/// }
///
/// let server = UdpServer::new(("127.0.0.1", 0), || Ignore)?;
/// let handle = server.handle();
/// let serving = std::thread::spawn(move || server.serve_forever(Duration::from_millis(500)));
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone)]
pub struct ServerHandle {
    pub(super) control: Arc<Control>,
}

/// What the serving loop, [`ServerHandle::shutdown`] and the handler threads share.
pub(super) struct Control {
    /// The address asked for, until `server_bind` gives the one bound.
    requested: Address,
    bound: OnceLock<Address>,
    shutdown_request: AtomicBool,
    /// The thread running `serve_forever`, if one is.
    serving: Mutex<Option<ThreadId>>,
    stopped: Condvar,
    waker: SelectorWaker,
    /// Connections whose handlers run outside the loop's control, so that
    /// closing can cut them.
    connections: Mutex<Connections>,
    /// Notified when a connection ends or a shutdown is asked for.
    changed: Condvar,
    /// Whether `shutdown` cuts the connections in progress (a server that
    /// handles them inside `serve_forever`).
    cut_on_shutdown: bool,
    grace: Duration,
}

#[derive(Default)]
struct Connections {
    next_id: u64,
    /// The descriptors of the connections being served, each open until
    /// its [`Tracked`] is dropped.
    live: HashMap<u64, RawFd>,
}

impl ServerHandle {
    /// The handle of a server bound to `address`, whose loop `waker` wakes.
    /// `cut_on_shutdown`: whether `shutdown` cuts the connections in
    /// progress; `grace`: how long cut connections may finish.
    pub(super) fn new(
        address: Address,
        waker: SelectorWaker,
        cut_on_shutdown: bool,
        grace: Duration,
    ) -> ServerHandle {
        let control = Control {
            requested: address,
            bound: OnceLock::new(),
            shutdown_request: AtomicBool::new(false),
            serving: Mutex::new(None),
            stopped: Condvar::new(),
            waker,
            connections: Mutex::new(Connections::default()),
            changed: Condvar::new(),
            cut_on_shutdown,
            grace,
        };
        ServerHandle {
            control: Arc::new(control),
        }
    }

    /// Stops [`serve_forever`](super::TcpServer::serve_forever) and returns
    /// once it has stopped: Python's `server.shutdown()`. See the
    /// [module docs](super#stopping) for what happens to connections.
    ///
    /// Called from a handler running in `serve_forever`'s own thread, it
    /// returns at once and the loop stops after the handler. Called while no
    /// `serve_forever` runs, it returns at once and the next one returns as
    /// soon as it starts.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::TcpServer;
    /// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// let handle = server.handle();
    /// handle.shutdown(); // before serve_forever: the next one returns at once
    /// server.serve_forever(Duration::from_secs(3600))?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn shutdown(&self) {
        let control = &*self.control;
        control.shutdown_request.store(true, Ordering::SeqCst);
        let _ = control.waker.wake();
        drop(lock(&control.connections));
        control.changed.notify_all();

        let me = thread::current().id();
        let mut serving = lock(&control.serving);
        if *serving == Some(me) || serving.is_none() {
            return;
        }
        if control.cut_on_shutdown {
            drop(serving);
            serving = control.cut_gracefully(&control.stopped, &control.serving, Option::is_some);
        }
        while serving.is_some() {
            serving = control
                .stopped
                .wait(serving)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The address the server is bound to: Python's `server.server_address`
    /// (the address asked for, before [`server_bind`](super::BaseServer::server_bind)).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::TcpServer;
    /// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// let handle = server.handle();
    /// assert_eq!(handle.server_address(), server.server_address());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_address(&self) -> &Address {
        self.control.bound.get().unwrap_or(&self.control.requested)
    }

    /// Records the address `server_bind` bound to.
    pub(super) fn set_bound(&self, address: Address) {
        let _ = self.control.bound.set(address);
    }

    /// Whether `serve_forever` is running now.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::TcpServer;
    /// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// let handle = server.handle();
    /// assert!(!handle.is_serving());
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     while !handle.is_serving() {
    ///         std::thread::yield_now();
    ///     }
    ///     handle.shutdown();
    ///     assert!(!handle.is_serving());
    /// });
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn is_serving(&self) -> bool {
        lock(&self.control.serving).is_some()
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("server_address", self.server_address())
            .field("serving", &self.is_serving())
            .finish()
    }
}

impl Control {
    /// Whether a shutdown was asked for and `serve_forever` has not yet
    /// stopped for it.
    pub(super) fn shutdown_requested(&self) -> bool {
        self.shutdown_request.load(Ordering::SeqCst)
    }

    /// Registers a connection whose handler runs now; it is forgotten when
    /// the returned guard drops, which must happen before `conn` closes
    /// ([`TrackedSocket`] keeps that order).
    pub(super) fn track(self: &Arc<Control>, conn: &Socket) -> Tracked {
        let mut connections = lock(&self.connections);
        let id = connections.next_id;
        connections.next_id += 1;
        connections.live.insert(id, conn.as_raw_fd());
        Tracked {
            control: Arc::clone(self),
            id,
        }
    }

    /// How many connections are tracked.
    pub(super) fn live(&self) -> usize {
        lock(&self.connections).live.len()
    }

    /// Shuts every tracked connection down on the side given, so that
    /// handlers blocked on them return.
    fn cut_connections(&self, how: Shutdown) {
        // Under the lock, so that no descriptor closes (and is reused)
        // between its lookup and its shutdown; shutdown(2) never blocks.
        let connections = lock(&self.connections);
        for &fd in connections.live.values() {
            // SAFETY: a tracked descriptor is open: its owner drops the
            // `Tracked` guard, which takes this lock, before closing it.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let _ = socket2::SockRef::from(&fd).shutdown(how);
        }
    }

    /// Waits until fewer than `max` connections are tracked, waking every
    /// `poll_interval` to look for a shutdown. Returns `false` if a shutdown
    /// came first.
    pub(super) fn wait_for_fewer(&self, max: usize, poll_interval: Duration) -> bool {
        let mut connections = lock(&self.connections);
        while connections.live.len() >= max {
            if self.shutdown_requested() {
                return false;
            }
            connections = self
                .changed
                .wait_timeout(connections, poll_interval)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        !self.shutdown_requested()
    }

    /// Closing: shut the reading side of every tracked connection down, let
    /// the handlers finish for the grace period, then shut the rest down
    /// altogether.
    pub(super) fn cut_all_gracefully(&self) {
        let busy = |connections: &Connections| !connections.live.is_empty();
        drop(self.cut_gracefully(&self.changed, &self.connections, busy));
    }

    /// Shuts the reading side of every tracked connection down, waits on
    /// `condvar` for at most the grace period while `waiting` holds of what
    /// `mutex` guards, and if it still does, shuts every tracked connection
    /// down altogether. Returns `mutex` locked.
    fn cut_gracefully<'a, T>(
        &self,
        condvar: &Condvar,
        mutex: &'a Mutex<T>,
        waiting: impl Fn(&T) -> bool,
    ) -> MutexGuard<'a, T> {
        self.cut_connections(Shutdown::Read);
        let (guard, still_waiting) = wait_while_for(condvar, lock(mutex), self.grace, waiting);
        if !still_waiting {
            return guard;
        }
        drop(guard);
        self.cut_connections(Shutdown::Both);
        lock(mutex)
    }
}

/// A connection and its registration, dropped in that order: untracked
/// first, then closed. A handler thread owns it, so the socket lives on
/// the thread's own stack, beside the state its handler touches on every
/// request (a heap-allocated socket costs a cache and TLB miss a request
/// among many threads: BENCHMARKS.md, "Servers").
pub(super) struct TrackedSocket {
    /// Held for its `Drop`, which runs before the socket's (field order).
    _tracked: Tracked,
    pub(super) socket: Socket,
}

impl TrackedSocket {
    /// Tracks `socket` with `control`.
    pub(super) fn new(control: &Arc<Control>, socket: Socket) -> TrackedSocket {
        TrackedSocket {
            _tracked: control.track(&socket),
            socket,
        }
    }
}

/// A tracked connection; untracks it when dropped.
pub(super) struct Tracked {
    control: Arc<Control>,
    id: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(&self.control.connections).live.remove(&self.id);
        self.control.changed.notify_all();
    }
}

/// Marks `serve_forever` as running in this thread until dropped; then
/// clears the shutdown request (as Python does) and wakes `shutdown`.
pub(super) struct Serving<'a> {
    control: &'a Control,
}

impl<'a> Serving<'a> {
    pub(super) fn begin(control: &'a Control) -> Serving<'a> {
        *lock(&control.serving) = Some(thread::current().id());
        Serving { control }
    }
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        let mut serving = lock(&self.control.serving);
        self.control.shutdown_request.store(false, Ordering::SeqCst);
        *serving = None;
        self.control.stopped.notify_all();
    }
}

/// Waits on `condvar` while `waiting` holds of what `guard` guards, for at
/// most `limit`. Returns the guard, and whether `waiting` still holds (the
/// time ran out).
fn wait_while_for<'a, T>(
    condvar: &Condvar,
    mut guard: MutexGuard<'a, T>,
    limit: Duration,
    waiting: impl Fn(&T) -> bool,
) -> (MutexGuard<'a, T>, bool) {
    let until = Instant::now() + limit;
    while waiting(&guard) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (guard, true);
        }
        guard = condvar
            .wait_timeout(guard, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    (guard, false)
}

/// Locks `mutex`, whether or not a panic poisoned it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
