//! [`BaseServer`]: what every server kind is built on (Python's
//! `socketserver.BaseServer`): the bound socket, the selector the loop waits
//! on, the [`ServerHandle`], Python's `serve_forever` loop, accepting, and
//! the methods every server kind has.

use std::fmt;
use std::fs;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use super::control::{Control, Serving};
use super::{RequestError, ServerHandle, ServerOptions};
use crate::address::{Address, ToAddress, UnixAddress};
use crate::constants::{SockType, SOL_SOCKET, SO_REUSEADDR};
use crate::error::{Error, Result};
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;

/// How long a server waits before accepting again when the process is out of
/// descriptors or memory (the listener stays readable, so retrying at once
/// would spin).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What every server kind has: Python's `socketserver.BaseServer`. Every
/// server ([`TcpServer`](super::TcpServer),
/// [`ThreadingTcpServer`](super::ThreadingTcpServer),
/// [`UdpServer`](super::UdpServer),
/// [`SelectorTcpServer`](super::SelectorTcpServer), and the `AF_UNIX` ones
/// through the server they wrap) derefs to its `BaseServer`, so these
/// methods are called on the server itself; each server kind adds its own
/// `serve_forever` and `server_close`.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UdpServer};
///
/// struct Ignore;
/// impl DatagramRequestHandler for Ignore {
///     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
/// }
///
/// let server = UdpServer::new(("127.0.0.1", 0), || Ignore)?;
/// assert_eq!(server.server_address().ip(), Some("127.0.0.1".parse().unwrap()));
/// assert_eq!(server.fileno(), server.socket().fileno());
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     server.shutdown(); // returns once serve_forever has stopped
/// });
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct BaseServer {
    /// Declared before `socket`, so that it drops (and forgets the socket) first.
    selector: Mutex<Selector<()>>,
    pub(super) socket: Socket,
    /// Declared after `socket`: the file goes once nobody listens on it.
    socket_file: SocketFileGuard,
    pub(super) handle: ServerHandle,
    pub(super) options: ServerOptions,
}

/// The file that binding to an `AF_UNIX` path made, which the server
/// removes when it drops (unless [`ServerOptions::unlink_on_close`] is
/// `false`), if the path still names that file.
struct SocketFileGuard {
    made: OnceLock<MadeFile>,
    unlink: bool,
}

/// A socket file by its absolute path and its identity when it was made.
struct MadeFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFileGuard {
    /// Records the file that binding to `address` just made, if it is a path.
    fn record(&self, address: &Address) {
        let Some(path) = address.as_unix().and_then(UnixAddress::as_path) else {
            return;
        };
        // Absolute, so that a change of working directory cannot make the
        // server remove some other file.
        let path = match std::env::current_dir() {
            Ok(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        };
        if let Ok(meta) = fs::symlink_metadata(&path) {
            let _ = self.made.set(MadeFile {
                path,
                dev: meta.dev(),
                ino: meta.ino(),
            });
        }
    }
}

impl Drop for SocketFileGuard {
    fn drop(&mut self) {
        let Some(made) = self.made.get().filter(|_| self.unlink) else {
            return;
        };
        let same = fs::symlink_metadata(&made.path).is_ok_and(|meta| {
            meta.file_type().is_socket() && meta.dev() == made.dev && meta.ino() == made.ino
        });
        if same {
            let _ = fs::remove_file(&made.path);
        }
    }
}

/// What a server kind does in [`BaseServer::serve`]'s loop.
pub(super) trait ServeLoop {
    /// Handles a round of ready keys: Python's `_handle_request_noblock`.
    fn handle_ready(&mut self, selector: &mut Selector<()>, ready: &[(SelectorKey<()>, EventMask)]);

    /// Runs after every wait, ready keys or not: Python's `service_actions`.
    /// Does nothing by default.
    fn service_actions(&mut self) {}

    /// Runs the loop's own timers that are due, before each wait, and
    /// returns when the next one is: the wait ends by then. None by default.
    fn timers(&mut self, selector: &mut Selector<()>) -> Option<Instant> {
        let _ = selector;
        None
    }

    /// Runs once the loop has stopped, with its selector. Does nothing by
    /// default.
    fn stopped(&mut self, selector: &mut Selector<()>) {
        let _ = selector;
    }
}

impl BaseServer {
    /// A socket of the options' family and `kind`, and, unless the options'
    /// `bind_and_activate` is `false`, Python's `server_bind` and
    /// `server_activate`. `cut_on_shutdown`: whether `shutdown` cuts the
    /// connections in progress (a server that handles them inside
    /// `serve_forever`).
    pub(super) fn bind(
        server_address: impl ToAddress,
        kind: SockType,
        options: ServerOptions,
        cut_on_shutdown: bool,
    ) -> Result<BaseServer> {
        let address = server_address.to_address(options.address_family)?;
        let socket = Socket::new(options.address_family, kind)?;
        if kind != SockType::STREAM {
            // Blocking whatever the default timeout, so answers wait for room
            // and the loop's `MSG_DONTWAIT` receive never waits in the engine.
            socket.setblocking(true)?;
        }
        let selector = Selector::new()?;
        let handle = ServerHandle::new(
            address,
            selector.waker(),
            cut_on_shutdown,
            options.close_grace,
        );
        let server = BaseServer {
            selector: Mutex::new(selector),
            socket,
            socket_file: SocketFileGuard {
                made: OnceLock::new(),
                unlink: options.unlink_on_close,
            },
            handle,
            options,
        };
        if server.options.bind_and_activate {
            server.server_bind()?;
            server.server_activate()?;
        }
        Ok(server)
    }

    /// Binds the server's socket to the address it was made with (after
    /// the reuse options), which [`server_address`](BaseServer::server_address)
    /// then gives as bound: Python's `server_bind()`. The constructors call
    /// it unless [`ServerOptions::bind_and_activate`] is `false`, which lets
    /// the caller set options on [`socket`](BaseServer::socket) first.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// use pysocket::{SOL_SOCKET, SO_RCVBUF};
    /// let options = ServerOptions::new().bind_and_activate(false);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.socket().setsockopt(SOL_SOCKET, SO_RCVBUF, 65536)?; // before binding
    /// server.server_bind()?;
    /// server.server_activate()?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_bind(&self) -> Result<()> {
        let socket = &self.socket;
        if self.options.allow_reuse_address {
            socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)?;
        }
        if self.options.allow_reuse_port {
            socket.as_socket2().set_reuse_port(true)?;
        }
        let address = self.handle.server_address();
        socket
            .bind(address)
            .map_err(|err| Error::bind_failed(address, err))?;
        self.socket_file.record(address);
        self.handle.set_bound(socket.getsockname()?);
        Ok(())
    }

    /// Makes the bound socket take requests: Python's `server_activate()`,
    /// which listens with the options' `request_queue_size` (a stream
    /// server), and has the loop watch the socket. The constructors call it
    /// unless [`ServerOptions::bind_and_activate`] is `false`; until it is
    /// called, `serve_forever` and `handle_request` see no request.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, UdpServer};
    /// let options = ServerOptions::new().bind_and_activate(false);
    /// let server = UdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.server_bind()?;
    /// server.server_activate()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_activate(&self) -> Result<()> {
        let socket = &self.socket;
        if socket.kind() == SockType::STREAM {
            socket.listen(self.options.request_queue_size)?;
            // The loop accepts only when the listener is ready; a client gone
            // in between must give `WouldBlock`, not a hang.
            socket.setblocking(false)?;
        }
        self.lock_selector()?
            .register(socket, EventMask::READ, ())?;
        Ok(())
    }

    pub(super) fn control(&self) -> &Arc<Control> {
        &self.handle.control
    }

    /// Python's `serve_forever`: waits for readiness (at most
    /// `poll_interval` at a time) and runs `body`'s steps, until
    /// [`ServerHandle::shutdown`].
    pub(super) fn serve(&self, poll_interval: Duration, mut body: impl ServeLoop) -> Result<()> {
        let mut selector = self.lock_selector()?;
        let control = self.control();
        let serving = Serving::begin(control);
        let mut outcome = Ok(());
        // One list of ready keys for the whole loop.
        let mut ready = Vec::new();
        while !control.shutdown_requested() {
            let wait = match body.timers(&mut selector) {
                Some(next) => poll_interval.min(next.saturating_duration_since(Instant::now())),
                None => poll_interval,
            };
            if let Err(err) = selector.select_into(Some(wait), &mut ready) {
                outcome = Err(err);
                break;
            }
            if control.shutdown_requested() {
                break;
            }
            if !ready.is_empty() {
                body.handle_ready(&mut selector, &ready);
            }
            body.service_actions();
            self.options.service();
        }
        body.stopped(&mut selector);
        drop(serving);
        outcome
    }

    /// The loop's selector; an error if `serve_forever` or `handle_request`
    /// already runs.
    fn lock_selector(&self) -> Result<MutexGuard<'_, Selector<()>>> {
        match self.selector.try_lock() {
            Ok(selector) => Ok(selector),
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => Err(Error::invalid(
                "serve_forever or handle_request is already running for this server",
            )),
        }
    }

    /// Python's `handle_request`: waits for a request at most the options'
    /// `server_timeout` and runs `body`'s step on it; or calls the
    /// `handle_timeout` hook once the timeout has passed with none.
    pub(super) fn handle_one(&self, mut body: impl ServeLoop) -> Result<()> {
        let mut selector = self.lock_selector()?;
        let deadline = self
            .options
            .server_timeout
            .map(|timeout| Instant::now() + timeout);
        let mut ready = Vec::new();
        loop {
            let remaining =
                deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            selector.select_into(remaining, &mut ready)?;
            if !ready.is_empty() {
                body.handle_ready(&mut selector, &ready);
                return Ok(());
            }
            // A wait ends early when `shutdown` wakes the selector; Python's
            // `handle_request` ignores that and waits out its timeout.
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                self.options.timed_out();
                return Ok(());
            }
        }
    }

    /// Accepts a connection the listener reported. `None` when there was
    /// none after all, or when accepting failed (reported, and followed by a
    /// pause when the process is out of resources).
    /// A connection the options' `verify_request` refuses is closed here.
    pub(super) fn accept(&self) -> Option<(Socket, Address)> {
        match self.socket.accept() {
            Ok((conn, client)) => {
                if self.options.verified(&conn, &client) {
                    Some((conn, client))
                } else {
                    // Python's `shutdown_request`: end the stream, then close.
                    let _ = conn.shutdown(Shutdown::Write);
                    None
                }
            }
            Err(err) if err.is_would_block() => None,
            Err(err) if matches!(err.errno(), Some(libc::ECONNABORTED | libc::EINTR)) => None,
            Err(err) => {
                let exhausted = matches!(
                    err.errno(),
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                );
                self.options.report(&RequestError::Server(err), None);
                if exhausted {
                    thread::sleep(ACCEPT_BACKOFF);
                }
                None
            }
        }
    }

    /// The address the server is bound to: Python's `server.server_address`
    /// (with the port the OS chose when asked for port 0).
    ///
    /// ```
    /// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
    ///
    /// struct Nothing;
    /// impl RequestHandler for Nothing {
    ///     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let server = TcpServer::new(("127.0.0.1", 0), || Nothing)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_address(&self) -> &Address {
        self.handle.server_address()
    }

    /// The server's socket: Python's `server.socket`.
    ///
    /// ```
    /// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
    ///
    /// struct Nothing;
    /// impl RequestHandler for Nothing {
    ///     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let server = TcpServer::new(("127.0.0.1", 0), || Nothing)?;
    /// assert_eq!(&server.socket().getsockname()?, server.server_address());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// The server socket's descriptor: Python's `server.fileno()`.
    ///
    /// ```
    /// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
    ///
    /// struct Nothing;
    /// impl RequestHandler for Nothing {
    ///     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let server = TcpServer::new(("127.0.0.1", 0), || Nothing)?;
    /// assert_eq!(server.fileno(), server.socket().fileno());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn fileno(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// A handle to stop the server from any thread, `'static`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
    ///
    /// struct Nothing;
    /// impl RequestHandler for Nothing {
    ///     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let server = TcpServer::new(("127.0.0.1", 0), || Nothing)?;
    /// let handle = server.handle();
    /// let serving = std::thread::spawn(move || server.serve_forever(Duration::from_millis(500)));
    /// handle.shutdown();
    /// serving.join().unwrap()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Stops `serve_forever` and returns once it has stopped: Python's
    /// `server.shutdown()`. See [`ServerHandle::shutdown`].
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
    ///
    /// struct Nothing;
    /// impl RequestHandler for Nothing {
    ///     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// }
    ///
    /// let server = TcpServer::new(("127.0.0.1", 0), || Nothing)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    /// });
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.handle.shutdown()
    }
}

impl fmt::Debug for BaseServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("server_address", self.handle.server_address())
            .field("fd", &self.socket.fileno())
            .finish_non_exhaustive()
    }
}
