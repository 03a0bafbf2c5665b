//! Network servers after Python's `socketserver`: TCP and UDP servers that
//! run a handler for each request, one at a time, in a thread each, or many
//! connections in one thread around a [`Selector`].
//!
//! | Python `socketserver` | `pysocket::server` |
//! |-----------------------|--------------------|
//! | `TCPServer(addr, Handler)` | [`TcpServer::new`]`(addr, \|\| Handler)` |
//! | `ThreadingTCPServer(addr, Handler)` | [`ThreadingTcpServer::new`] (with a bound on live threads) |
//! | `UDPServer(addr, Handler)` | [`UdpServer::new`] |
//! | no equivalent (asyncio's `Protocol`) | [`SelectorTcpServer::new`] with a [`ConnectionHandler`] |
//! | `class Handler(StreamRequestHandler)`: `handle()` with `self.rfile`, `self.wfile` | `impl`[` RequestHandler`]: `handle(&mut self, request)` with `request.rfile`, `request.wfile` |
//! | `self.request`, `self.connection`, `self.client_address`, `self.server` | [`StreamRequest::connection`], [`StreamRequest::client_address`], [`StreamRequest::server`] |
//! | `class Handler(DatagramRequestHandler)` | `impl`[` DatagramRequestHandler`] with [`DatagramRequest`] |
//! | `setup()`, `handle()`, `finish()` | the trait methods of the same names |
//! | `server.serve_forever(poll_interval=0.5)` | `server.serve_forever(Duration::from_millis(500))` |
//! | `server.shutdown()` (from another thread) | `server.shutdown()`, or [`ServerHandle::shutdown`] from a `'static` thread |
//! | `server.server_close()`, `with server:` | `server.server_close()`, or drop |
//! | `server.server_address`, `server.socket`, `server.fileno()` | `server.server_address()`, `server.socket()`, `server.fileno()` |
//! | class attributes: `allow_reuse_address`, `request_queue_size`, `address_family`, `timeout` (of the handler), `max_packet_size`, `block_on_close` | [`ServerOptions`] |
//! | `handle_error(request, client_address)` (prints a traceback) | [`ServerOptions::handle_error`] (prints to stderr by default) |
//!
//! # Example
//!
//! A line echo server in a thread, stopped from the main thread:
//!
//! ```
//! use std::io::{BufRead, Write};
//! use std::time::Duration;
//! use pysocket::create_connection;
//! use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, ThreadingTcpServer};
//!
//! struct Echo;
//!
//! impl RequestHandler for Echo {
//!     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
//!         let mut line = Vec::new();
//!         while request.rfile.read_until(b'\n', &mut line)? > 0 {
//!             request.wfile.write_all(&line)?;
//!             request.wfile.flush()?;
//!             line.clear();
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo)?;
//! std::thread::scope(|scope| {
//!     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
//!
//!     let client = create_connection(server.server_address(), None)?;
//!     client.sendall(b"hello\n")?;
//!     assert_eq!(client.recv(64)?, b"hello\n");
//!
//!     server.shutdown(); // returns once serve_forever has stopped
//!     Ok::<(), pysocket::Error>(())
//! })?;
//! server.server_close(); // joins the handler threads
//! # Ok::<(), pysocket::Error>(())
//! ```
//!
//! # Stopping
//!
//! [`shutdown`](TcpServer::shutdown) asks `serve_forever` to stop, wakes it
//! at once (no need to wait for `poll_interval`), and returns once it has
//! stopped. Differences from Python, so that idle clients never keep a server
//! from stopping:
//!
//! - [`TcpServer`] handles each connection inside `serve_forever`, so its
//!   `shutdown` cuts the connection in progress: it shuts the reading side
//!   down (a handler waiting for data sees the end of the stream and can
//!   still answer), and after [`ServerOptions::close_grace`] both sides.
//! - [`ThreadingTcpServer`]'s `shutdown` stops accepting, and handler
//!   threads go on; [`server_close`](ThreadingTcpServer::server_close) (and
//!   drop) then cuts the connections still open in the same two steps and
//!   joins every handler thread (Python's `block_on_close = True`), so no
//!   thread is left behind.
//! - [`SelectorTcpServer`] closes its connections when `serve_forever`
//!   returns.
//! - `shutdown` called from a handler running inside `serve_forever`'s own
//!   thread (where Python deadlocks) only asks: the loop stops after the
//!   handler returns.
//! - `shutdown` before `serve_forever` runs returns at once, and the next
//!   `serve_forever` returns at once (Python's flag, without the deadlock).
//!
//! # Errors in handlers
//!
//! A handler method that returns an error or panics is reported through
//! [`ServerOptions::handle_error`] (by default a message on stderr, as
//! Python's `handle_error` prints a traceback), its connection is closed,
//! and the server goes on. Failures to take a request (an `accept` that
//! fails for lack of descriptors, a thread that cannot start) are reported
//! the same way.

use std::any::Any;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Cursor, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crate::address::{Address, ToAddress};
use crate::constants::{Family, SockType, IPPROTO_TCP, SOL_SOCKET, SO_REUSEADDR, TCP_NODELAY};
use crate::error::{Error, Result};
use crate::file::SocketFile;
use crate::flags::MsgFlags;
use crate::select::{EventMask, Selector, SelectorKey, SelectorWaker};
use crate::socket::Socket;

/// Python's default `poll_interval` for `serve_forever`: half a second.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The default bound on live handler threads of a [`ThreadingTcpServer`].
pub const DEFAULT_MAX_THREADS: usize = 256;

/// The size of each buffer of [`StreamRequest::rfile`] and
/// [`StreamRequest::wfile`] (Python's `io.DEFAULT_BUFFER_SIZE`); a line
/// longer than that grows the read buffer.
const STREAM_BUFFER_SIZE: usize = 8192;

/// How much output a [`SelectorTcpServer`] connection may queue before the
/// server stops reading from it until the client has taken some.
const HIGH_WATER: usize = 256 * 1024;

/// How many connections a [`SelectorTcpServer`] accepts per wake-up.
const ACCEPTS_PER_ROUND: usize = 64;

/// How long a server waits before accepting again when the process is out of
/// descriptors or memory (the listener stays readable, so retrying at once
/// would spin).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What handler methods return: `Ok(())`, or any error (`?` works on both
/// [`Error`] and `io::Error`), which the server reports and survives.
pub type HandlerResult = std::result::Result<(), Box<dyn StdError + Send + Sync>>;

/// The hook that reports request failures: see [`ServerOptions::handle_error`].
type ErrorHook = Arc<dyn Fn(&RequestError, Option<&Address>) + Send + Sync>;

// ---------------------------------------------------------------------------
// Handlers and what they see

/// The handler of one TCP connection of a [`TcpServer`] or
/// [`ThreadingTcpServer`]: Python's `BaseRequestHandler` and
/// `StreamRequestHandler`.
///
/// The server makes a handler for each connection (with the function given
/// to its constructor) and calls [`setup`](RequestHandler::setup), then
/// [`handle`](RequestHandler::handle), then [`finish`](RequestHandler::finish),
/// which runs even when `handle` failed, as in Python. If `setup` fails,
/// neither runs. Then the server flushes [`StreamRequest::wfile`], shuts the
/// connection's sending side down and closes it.
///
/// ```
/// use std::io::BufRead;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
///
/// /// Answers each line with its length.
/// struct Count;
///
/// impl RequestHandler for Count {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         let mut line = String::new();
///         while request.rfile.read_line(&mut line)? > 0 {
///             request.connection.sendall(format!("{}\n", line.len()).as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait RequestHandler {
    /// Runs before [`handle`](RequestHandler::handle); does nothing by default.
    fn setup(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }

    /// Serves the connection.
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult;

    /// Runs after [`handle`](RequestHandler::handle), even if it failed; does
    /// nothing by default.
    fn finish(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }
}

/// One TCP connection as its [`RequestHandler`] sees it: what Python's
/// `StreamRequestHandler` sets up (`self.connection`, `self.client_address`,
/// `self.rfile`, `self.wfile`, `self.server`).
///
/// `rfile` and `wfile` are buffered files over the connection
/// ([`Socket::makefile`]); the server flushes `wfile` after
/// [`finish`](RequestHandler::finish). The fields are public so that a
/// handler can read from `rfile` and write to `wfile` at once.
#[derive(Debug)]
#[non_exhaustive]
pub struct StreamRequest<'a> {
    /// The connected socket (Python's `self.request` and `self.connection`).
    pub connection: &'a Socket,
    /// The client's address.
    pub client_address: Address,
    /// Buffered reading from the connection (`BufRead`): Python's `self.rfile`.
    pub rfile: SocketFile<'a>,
    /// Buffered writing to the connection (`Write`): Python's `self.wfile`.
    pub wfile: SocketFile<'a>,
    /// The server, to [`shutdown`](ServerHandle::shutdown) it from a handler.
    pub server: &'a ServerHandle,
}

/// The handler of one datagram of a [`UdpServer`]: Python's
/// `DatagramRequestHandler`.
///
/// [`setup`](DatagramRequestHandler::setup), [`handle`](DatagramRequestHandler::handle)
/// and [`finish`](DatagramRequestHandler::finish) run as for a
/// [`RequestHandler`]; then what was written to [`DatagramRequest::wfile`],
/// if anything, goes back to the client in one datagram.
///
/// ```
/// use std::io::Write;
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
///
/// /// Answers each datagram with it in upper case.
/// struct Shout;
///
/// impl DatagramRequestHandler for Shout {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         let loud = request.packet.to_ascii_uppercase();
///         request.wfile.write_all(&loud)?;
///         Ok(())
///     }
/// }
/// ```
pub trait DatagramRequestHandler {
    /// Runs before [`handle`](DatagramRequestHandler::handle); does nothing by default.
    fn setup(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }

    /// Serves the datagram.
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult;

    /// Runs after [`handle`](DatagramRequestHandler::handle), even if it
    /// failed; does nothing by default.
    fn finish(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }
}

/// One datagram as its [`DatagramRequestHandler`] sees it: what Python's
/// `DatagramRequestHandler` sets up.
#[derive(Debug)]
#[non_exhaustive]
pub struct DatagramRequest<'a> {
    /// The datagram (Python's `self.packet`).
    pub packet: &'a [u8],
    /// The server's socket, to answer with [`Socket::sendto`] (Python's `self.socket`).
    pub socket: &'a Socket,
    /// The sender's address.
    pub client_address: Address,
    /// The datagram as a reader (Python's `self.rfile`).
    pub rfile: Cursor<&'a [u8]>,
    /// The answer: sent back to the client in one datagram after
    /// [`finish`](DatagramRequestHandler::finish), unless empty (Python sends
    /// even an empty one).
    pub wfile: Vec<u8>,
    /// The server, to [`shutdown`](ServerHandle::shutdown) it from a handler.
    pub server: &'a ServerHandle,
}

/// The handler of one connection of a [`SelectorTcpServer`], called as events
/// arrive: the shape of asyncio's `Protocol`, since a handler that shares one
/// thread with every other connection must never block.
///
/// Write with [`Connection::write`]: the server queues the data and sends it
/// as the client takes it. A method that fails or panics is reported and its
/// connection is closed.
///
/// ```
/// use pysocket::server::{Connection, ConnectionHandler, HandlerResult};
///
/// struct Echo;
///
/// impl ConnectionHandler for Echo {
///     fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
///         conn.write(data);
///         Ok(())
///     }
/// }
/// ```
pub trait ConnectionHandler {
    /// The connection was accepted; does nothing by default.
    fn connection_made(&mut self, conn: &mut Connection<'_>) -> HandlerResult {
        let _ = conn;
        Ok(())
    }

    /// Data arrived, as much as one `recv` gave: a message may come in
    /// pieces, and several may come together.
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult;

    /// The client closed its sending side. The connection closes once what
    /// was written has been sent; does nothing by default.
    fn eof_received(&mut self, conn: &mut Connection<'_>) -> HandlerResult {
        let _ = conn;
        Ok(())
    }

    /// The connection is closed: `error` says why if it broke, `None` if it
    /// ended normally (or the server stopped). Does nothing by default.
    fn connection_lost(&mut self, error: Option<&Error>) {
        let _ = error;
    }
}

/// A connection of a [`SelectorTcpServer`], as its [`ConnectionHandler`]
/// sees it during a call.
#[derive(Debug)]
pub struct Connection<'a> {
    socket: &'a Socket,
    client_address: &'a Address,
    output: &'a mut Vec<u8>,
    closing: &'a mut bool,
    server: &'a ServerHandle,
}

impl Connection<'_> {
    /// Queues `data` to be sent; the server sends it as the client takes it.
    pub fn write(&mut self, data: &[u8]) {
        self.output.extend_from_slice(data);
    }

    /// Closes the connection once what was written has been sent; nothing
    /// more is read from it.
    pub fn close(&mut self) {
        *self.closing = true;
    }

    /// The client's address.
    pub fn client_address(&self) -> &Address {
        self.client_address
    }

    /// The connection's socket, for its options and addresses. Reading or
    /// writing it directly would get in the way of the server.
    pub fn socket(&self) -> &Socket {
        self.socket
    }

    /// How many bytes are queued and not yet sent (asyncio's
    /// `get_write_buffer_size`).
    pub fn buffered(&self) -> usize {
        self.output.len()
    }

    /// The server, to [`shutdown`](ServerHandle::shutdown) it from a handler.
    pub fn server(&self) -> &ServerHandle {
        self.server
    }
}

/// Why a request failed, as [`ServerOptions::handle_error`] receives it.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestError {
    /// A handler method returned this error.
    Handler(Box<dyn StdError + Send + Sync>),
    /// A handler method (or the function that makes handlers) panicked,
    /// with this message.
    Panic(String),
    /// The server could not take a request: `accept` or `recvfrom` failed,
    /// or a handler thread could not start.
    Server(Error),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Handler(err) => write!(f, "{err}"),
            RequestError::Panic(message) => write!(f, "handler panicked: {message}"),
            RequestError::Server(err) => write!(f, "{err}"),
        }
    }
}

impl StdError for RequestError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            RequestError::Handler(err) => Some(&**err),
            RequestError::Panic(_) => None,
            RequestError::Server(err) => Some(err),
        }
    }
}

// ---------------------------------------------------------------------------
// Options

/// How a server is set up: the class attributes Python's servers and request
/// handlers are configured with. Every server kind takes all of them and
/// uses those that apply to it.
///
/// ```
/// use std::time::Duration;
/// use pysocket::server::ServerOptions;
///
/// let options = ServerOptions::new()
///     .allow_reuse_address(true)
///     .request_queue_size(128)
///     .timeout(Some(Duration::from_secs(30)))
///     .handle_error(|err, client| eprintln!("request from {client:?} failed: {err}"));
/// ```
#[derive(Clone)]
pub struct ServerOptions {
    address_family: Family,
    allow_reuse_address: bool,
    allow_reuse_port: bool,
    request_queue_size: i32,
    timeout: Option<Duration>,
    disable_nagle_algorithm: bool,
    max_threads: usize,
    block_on_close: bool,
    close_grace: Duration,
    max_packet_size: usize,
    error_hook: ErrorHook,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            address_family: Family::INET,
            allow_reuse_address: false,
            allow_reuse_port: false,
            request_queue_size: 5,
            timeout: None,
            disable_nagle_algorithm: false,
            max_threads: DEFAULT_MAX_THREADS,
            block_on_close: true,
            close_grace: Duration::from_secs(1),
            max_packet_size: 8192,
            error_hook: Arc::new(print_error),
        }
    }
}

impl ServerOptions {
    /// Python's defaults: `AF_INET`, no address reuse, a listen backlog of
    /// 5, blocking connections, 8192-byte datagrams; and
    /// [`DEFAULT_MAX_THREADS`] handler threads, a one-second grace on close.
    pub fn new() -> ServerOptions {
        ServerOptions::default()
    }

    /// The family of the server's socket: Python's `address_family`
    /// (`AF_INET` by default; `AF_INET6` for IPv6, `AF_UNIX` for a path,
    /// which makes a stream server Python's `UnixStreamServer`).
    pub fn address_family(mut self, family: Family) -> ServerOptions {
        self.address_family = family;
        self
    }

    /// Sets `SO_REUSEADDR` before binding, so a restarted server can bind
    /// while old connections linger in `TIME_WAIT`: Python's
    /// `allow_reuse_address`, `false` by default in `socketserver` as here
    /// (its subclasses such as `http.server.HTTPServer` turn it on).
    pub fn allow_reuse_address(mut self, allow: bool) -> ServerOptions {
        self.allow_reuse_address = allow;
        self
    }

    /// Sets `SO_REUSEPORT` before binding: Python's `allow_reuse_port`
    /// (`false` by default).
    pub fn allow_reuse_port(mut self, allow: bool) -> ServerOptions {
        self.allow_reuse_port = allow;
        self
    }

    /// The `listen` backlog: Python's `request_queue_size` (5 by default).
    /// Raise it for servers that take many connections at once.
    pub fn request_queue_size(mut self, backlog: i32) -> ServerOptions {
        self.request_queue_size = backlog;
        self
    }

    /// The timeout of each connection's socket while a [`RequestHandler`]
    /// serves it: Python's `StreamRequestHandler.timeout` (`None`, blocking,
    /// by default). A client silent for longer makes the handler's read fail
    /// with [`Error::Timeout`] (kind `TimedOut` through the files).
    pub fn timeout(mut self, timeout: Option<Duration>) -> ServerOptions {
        self.timeout = timeout;
        self
    }

    /// Sets `TCP_NODELAY` on each connection: Python's
    /// `StreamRequestHandler.disable_nagle_algorithm` (`false` by default).
    pub fn disable_nagle_algorithm(mut self, disable: bool) -> ServerOptions {
        self.disable_nagle_algorithm = disable;
        self
    }

    /// The most handler threads a [`ThreadingTcpServer`] runs at once
    /// ([`DEFAULT_MAX_THREADS`] by default; at least 1). When that many are
    /// busy, the server accepts nothing until one finishes: new clients wait
    /// in the listen backlog. Python's `ThreadingMixIn` has no bound.
    pub fn max_threads(mut self, max: usize) -> ServerOptions {
        self.max_threads = max.max(1);
        self
    }

    /// Whether [`ThreadingTcpServer::server_close`] waits for the handler
    /// threads: Python's `block_on_close` (`true` by default). With `false`
    /// they are left to finish on their own.
    pub fn block_on_close(mut self, block: bool) -> ServerOptions {
        self.block_on_close = block;
        self
    }

    /// How long a closing server lets connections finish after shutting
    /// their reading side down, before shutting them down altogether (one
    /// second by default). See the [module docs](self#stopping).
    pub fn close_grace(mut self, grace: Duration) -> ServerOptions {
        self.close_grace = grace;
        self
    }

    /// The largest datagram a [`UdpServer`] receives; longer ones are cut:
    /// Python's `max_packet_size` (8192 by default).
    pub fn max_packet_size(mut self, size: usize) -> ServerOptions {
        self.max_packet_size = size.max(1);
        self
    }

    /// What to do when a request fails: Python's `handle_error`. The hook
    /// gets the failure and the client's address (`None` when the request
    /// could not even be taken). By default it prints to stderr, as Python
    /// prints the traceback:
    ///
    /// ```text
    /// ----------------------------------------
    /// Exception occurred during processing of request from 127.0.0.1:54321
    /// handler panicked: index out of bounds
    /// ----------------------------------------
    /// ```
    ///
    /// It runs in the thread that served the request; the server goes on
    /// after it returns.
    pub fn handle_error(
        mut self,
        hook: impl Fn(&RequestError, Option<&Address>) + Send + Sync + 'static,
    ) -> ServerOptions {
        self.error_hook = Arc::new(hook);
        self
    }

    fn report(&self, err: &RequestError, client: Option<&Address>) {
        // A hook that panics must not take the server down with it.
        let _ = catch_unwind(AssertUnwindSafe(|| (self.error_hook)(err, client)));
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("address_family", &self.address_family)
            .field("allow_reuse_address", &self.allow_reuse_address)
            .field("allow_reuse_port", &self.allow_reuse_port)
            .field("request_queue_size", &self.request_queue_size)
            .field("timeout", &self.timeout)
            .field("disable_nagle_algorithm", &self.disable_nagle_algorithm)
            .field("max_threads", &self.max_threads)
            .field("block_on_close", &self.block_on_close)
            .field("close_grace", &self.close_grace)
            .field("max_packet_size", &self.max_packet_size)
            .finish_non_exhaustive()
    }
}

/// The default [`ServerOptions::handle_error`]: Python's layout, on stderr.
fn print_error(err: &RequestError, client: Option<&Address>) {
    let rule = "-".repeat(40);
    let mut stderr = io::stderr().lock();
    let _ = match client {
        Some(client) => writeln!(
            stderr,
            "{rule}\nException occurred during processing of request from {client}\n{err}\n{rule}"
        ),
        None => writeln!(stderr, "{rule}\nError taking a request\n{err}\n{rule}"),
    };
}

// ---------------------------------------------------------------------------
// The handle, and the state the serving loop shares with it

/// A handle on a server, to stop it from any thread: from
/// [`handle`](TcpServer::handle) on every server kind, and given to every
/// handler. Cheap to clone, `Send + Sync + 'static`.
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
    control: Arc<Control>,
}

/// What the serving loop, [`ServerHandle::shutdown`] and the handler threads share.
struct Control {
    address: Address,
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
    live: HashMap<u64, Arc<Socket>>,
}

impl ServerHandle {
    /// Stops [`serve_forever`](TcpServer::serve_forever) and returns once it
    /// has stopped: Python's `server.shutdown()`. See the
    /// [module docs](self#stopping) for what happens to connections.
    ///
    /// Called from a handler running in `serve_forever`'s own thread, it
    /// returns at once and the loop stops after the handler. Called while no
    /// `serve_forever` runs, it returns at once and the next one returns as
    /// soon as it starts.
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
            control.cut_connections(Shutdown::Read);
            serving = lock(&control.serving);
            let until = Instant::now() + control.grace;
            while serving.is_some() {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    drop(serving);
                    control.cut_connections(Shutdown::Both);
                    serving = lock(&control.serving);
                    break;
                }
                serving = control
                    .stopped
                    .wait_timeout(serving, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        while serving.is_some() {
            serving = control
                .stopped
                .wait(serving)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The address the server is bound to.
    pub fn server_address(&self) -> &Address {
        &self.control.address
    }

    /// Whether `serve_forever` is running.
    pub fn is_serving(&self) -> bool {
        lock(&self.control.serving).is_some()
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("server_address", &self.control.address)
            .field("serving", &self.is_serving())
            .finish()
    }
}

impl Control {
    fn shutdown_requested(&self) -> bool {
        self.shutdown_request.load(Ordering::SeqCst)
    }

    /// Registers a connection whose handler runs now; it is forgotten when
    /// the returned guard drops.
    fn track(self: &Arc<Control>, conn: &Arc<Socket>) -> Tracked {
        let mut connections = lock(&self.connections);
        let id = connections.next_id;
        connections.next_id += 1;
        connections.live.insert(id, Arc::clone(conn));
        Tracked {
            control: Arc::clone(self),
            id,
        }
    }

    fn live(&self) -> usize {
        lock(&self.connections).live.len()
    }

    /// Shuts every tracked connection down on the side given, so that
    /// handlers blocked on them return.
    fn cut_connections(&self, how: Shutdown) {
        let sockets: Vec<Arc<Socket>> = lock(&self.connections).live.values().cloned().collect();
        for socket in sockets {
            let _ = socket.shutdown(how);
        }
    }

    /// Waits until no connection is tracked, for at most `limit`. Returns
    /// whether none is left.
    fn wait_idle(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        let mut connections = lock(&self.connections);
        while !connections.live.is_empty() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            connections = self
                .changed
                .wait_timeout(connections, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Closing: shut the reading side of every tracked connection down, let
    /// the handlers finish for the grace period, then shut the rest down
    /// altogether.
    fn cut_all_gracefully(&self) {
        self.cut_connections(Shutdown::Read);
        if !self.wait_idle(self.grace) {
            self.cut_connections(Shutdown::Both);
        }
    }
}

/// A tracked connection; untracks it when dropped.
struct Tracked {
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
struct Serving<'a> {
    control: &'a Control,
}

impl<'a> Serving<'a> {
    fn begin(control: &'a Control) -> Serving<'a> {
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// What every server kind shares: the socket, the loop, the handle

struct Core {
    /// Declared before `socket`, so that it drops (and forgets the socket) first.
    selector: Mutex<Selector<()>>,
    socket: Socket,
    handle: ServerHandle,
    options: ServerOptions,
}

impl Core {
    /// Python's `server_bind` and `server_activate`: a socket of the
    /// options' family, bound (after the reuse options), listening if it is
    /// a stream, and watched by the loop's selector.
    fn bind(
        server_address: impl ToAddress,
        kind: SockType,
        options: ServerOptions,
        cut_on_shutdown: bool,
    ) -> Result<Core> {
        let address = server_address.to_address(options.address_family)?;
        let socket = Socket::new(options.address_family, kind)?;
        if options.allow_reuse_address {
            socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)?;
        }
        if options.allow_reuse_port {
            socket.as_socket2().set_reuse_port(true)?;
        }
        socket.bind(&address).map_err(|err| match err {
            Error::Io(source) => Error::Bind {
                address: address.clone(),
                source,
            },
            other => other,
        })?;
        if kind == SockType::STREAM {
            socket.listen(options.request_queue_size)?;
            // The loop accepts only when the listener is ready; a client gone
            // in between must give `WouldBlock`, not a hang.
            socket.setblocking(false)?;
        } else {
            // Blocking whatever the default timeout, so answers wait for room
            // and the loop's `MSG_DONTWAIT` receive never waits in the engine.
            socket.setblocking(true)?;
        }
        let address = socket.getsockname()?;
        let mut selector = Selector::new()?;
        selector.register(&socket, EventMask::READ, ())?;
        let control = Control {
            address,
            shutdown_request: AtomicBool::new(false),
            serving: Mutex::new(None),
            stopped: Condvar::new(),
            waker: selector.waker(),
            connections: Mutex::new(Connections::default()),
            changed: Condvar::new(),
            cut_on_shutdown,
            grace: options.close_grace,
        };
        Ok(Core {
            selector: Mutex::new(selector),
            socket,
            handle: ServerHandle {
                control: Arc::new(control),
            },
            options,
        })
    }

    fn control(&self) -> &Arc<Control> {
        &self.handle.control
    }

    /// Python's `serve_forever`: wait for readiness (at most `poll_interval`
    /// at a time), hand each round of ready keys to `round`, run
    /// `service_actions`, until [`ServerHandle::shutdown`]. `finish` runs
    /// with the selector once the loop has stopped.
    fn serve(
        &self,
        poll_interval: Duration,
        mut round: impl FnMut(&mut Selector<()>, &[(SelectorKey<()>, EventMask)]),
        mut service_actions: impl FnMut(&mut Selector<()>),
        finish: impl FnOnce(&mut Selector<()>),
    ) -> Result<()> {
        let mut selector = match self.selector.try_lock() {
            Ok(selector) => selector,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::invalid(
                    "serve_forever is already running for this server",
                ))
            }
        };
        let control = self.control();
        let serving = Serving::begin(control);
        let mut outcome = Ok(());
        while !control.shutdown_requested() {
            let ready = match selector.select(Some(poll_interval)) {
                Ok(ready) => ready,
                Err(err) => {
                    outcome = Err(err);
                    break;
                }
            };
            if control.shutdown_requested() {
                break;
            }
            if !ready.is_empty() {
                round(&mut selector, &ready);
            }
            service_actions(&mut selector);
        }
        finish(&mut selector);
        drop(serving);
        outcome
    }

    /// Accepts a connection the listener reported. `None` when there was
    /// none after all, or when accepting failed (reported, and followed by a
    /// pause when the process is out of resources).
    fn accept(&self) -> Option<(Socket, Address)> {
        match self.socket.accept() {
            Ok(accepted) => Some(accepted),
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
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("server_address", self.handle.server_address())
            .field("fd", &self.socket.fileno())
            .finish_non_exhaustive()
    }
}

/// The methods every server kind has.
macro_rules! common_methods {
    () => {
        /// The address the server is bound to: Python's `server.server_address`
        /// (with the port the OS chose when asked for port 0).
        pub fn server_address(&self) -> &Address {
            self.core.handle.server_address()
        }

        /// The server's socket: Python's `server.socket`.
        pub fn socket(&self) -> &Socket {
            &self.core.socket
        }

        /// The server socket's descriptor: Python's `server.fileno()`.
        pub fn fileno(&self) -> RawFd {
            self.core.socket.as_raw_fd()
        }

        /// A handle to stop the server from any thread, `'static`.
        pub fn handle(&self) -> ServerHandle {
            self.core.handle.clone()
        }

        /// Stops `serve_forever` and returns once it has stopped: Python's
        /// `server.shutdown()`. See [`ServerHandle::shutdown`].
        pub fn shutdown(&self) {
            self.core.handle.shutdown()
        }
    };
}

/// Runs one handler method, turning an error or a panic into a [`RequestError`].
fn guarded(call: impl FnOnce() -> HandlerResult) -> std::result::Result<(), RequestError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(RequestError::Handler(err)),
        Err(payload) => Err(RequestError::Panic(panic_message(payload))),
    }
}

/// Makes a handler, turning a panic of the factory into a [`RequestError`].
fn make<H>(factory: &(dyn Fn() -> H + Send + Sync)) -> std::result::Result<H, RequestError> {
    catch_unwind(AssertUnwindSafe(factory))
        .map_err(|payload| RequestError::Panic(panic_message(payload)))
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_string(),
            Err(_) => "a panic with a payload that is not a string".to_string(),
        },
    }
}

// ---------------------------------------------------------------------------
// Stream servers with blocking handlers: TcpServer and ThreadingTcpServer

/// What the stream servers need to run one connection, shared with handler
/// threads.
struct StreamService<H> {
    factory: Box<dyn Fn() -> H + Send + Sync>,
    options: ServerOptions,
    handle: ServerHandle,
}

impl<H: RequestHandler> StreamService<H> {
    /// Python's `process_request` without threads: `finish_request`, then
    /// `shutdown_request`.
    fn process(&self, conn: &Socket, client_address: Address) {
        if let Err(err) = self.prepare(conn) {
            self.options
                .report(&RequestError::Server(err), Some(&client_address));
        } else {
            self.finish_request(conn, client_address);
        }
        // Python's `shutdown_request`: end the stream explicitly; the caller closes.
        let _ = conn.shutdown(Shutdown::Write);
    }

    fn prepare(&self, conn: &Socket) -> Result<()> {
        if let Some(timeout) = self.options.timeout {
            conn.settimeout(Some(timeout))?;
        }
        if self.options.disable_nagle_algorithm {
            conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, true)?;
        }
        Ok(())
    }

    /// Python's `finish_request`: make the handler, run setup, handle and
    /// finish, and flush `wfile`.
    fn finish_request(&self, conn: &Socket, client_address: Address) {
        let report = |err: RequestError| self.options.report(&err, Some(&client_address));
        let mut handler = match make(&*self.factory) {
            Ok(handler) => handler,
            Err(err) => return report(err),
        };
        let mut request = StreamRequest {
            connection: conn,
            client_address: client_address.clone(),
            rfile: SocketFile::with_capacity(conn, STREAM_BUFFER_SIZE, STREAM_BUFFER_SIZE),
            wfile: SocketFile::with_capacity(conn, STREAM_BUFFER_SIZE, STREAM_BUFFER_SIZE),
            server: &self.handle,
        };
        if let Err(err) = guarded(|| handler.setup(&mut request)) {
            return report(err);
        }
        let handled = guarded(|| handler.handle(&mut request));
        let finished = guarded(|| handler.finish(&mut request));
        for err in [handled.err(), finished.err()].into_iter().flatten() {
            report(err);
        }
        // Python's StreamRequestHandler.finish ignores a failed flush: the
        // client may be gone.
        let _ = request.wfile.flush();
    }
}

/// A TCP server that handles one connection at a time, inside
/// [`serve_forever`](TcpServer::serve_forever): Python's
/// `socketserver.TCPServer`.
///
/// Simple and predictable, but a slow client holds up every other; see
/// [`ThreadingTcpServer`] and [`SelectorTcpServer`] for servers that do not
/// wait on one client.
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use pysocket::create_connection;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, TcpServer};
///
/// /// Sends back everything, then closes.
/// struct Echo;
/// impl RequestHandler for Echo {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         std::io::copy(&mut request.rfile, &mut request.wfile)?;
///         Ok(())
///     }
/// }
///
/// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = create_connection(server.server_address(), None)?;
///     client.sendall(b"ping")?;
///     client.shutdown(pysocket::SHUT_WR)?; // the end of the request
///     let mut answer = Vec::new();
///     (&client).read_to_end(&mut answer)?;
///     assert_eq!(answer, b"ping");
///     server.shutdown();
///     Ok::<(), Box<dyn std::error::Error>>(())
/// }).unwrap();
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct TcpServer<H> {
    core: Core,
    service: StreamService<H>,
}

impl<H: RequestHandler> TcpServer<H> {
    /// Binds and listens on `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each connection (Python's
    /// `TCPServer(server_address, RequestHandlerClass)`).
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<TcpServer<H>> {
        TcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// [`new`](TcpServer::new) with options.
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<TcpServer<H>> {
        let core = Core::bind(server_address, SockType::STREAM, options.clone(), true)?;
        let service = StreamService {
            factory: Box::new(handler),
            options,
            handle: core.handle.clone(),
        };
        Ok(TcpServer { core, service })
    }

    /// Handles connections one after another until
    /// [`shutdown`](TcpServer::shutdown): Python's
    /// `serve_forever(poll_interval)`. A shutdown wakes the loop at once;
    /// `poll_interval` only bounds each wait. An error is returned only if
    /// waiting itself fails, or if `serve_forever` already runs.
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        self.core.serve(
            poll_interval,
            |_, _| {
                if let Some((conn, client_address)) = self.core.accept() {
                    let conn = Arc::new(conn);
                    let _tracked = self.core.control().track(&conn);
                    self.service.process(&conn, client_address);
                }
            },
            |_| {},
            |_| {},
        )
    }

    common_methods!();

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    pub fn server_close(self) {}
}

impl<H> fmt::Debug for TcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpServer").field(&self.core).finish()
    }
}

/// A TCP server that handles each connection in a thread of its own:
/// Python's `socketserver.ThreadingTCPServer`, with a bound on live threads
/// ([`ServerOptions::max_threads`]): when it is reached, the server accepts
/// nothing until a thread finishes.
///
/// [`server_close`](ThreadingTcpServer::server_close) (and drop) joins every
/// handler thread, after cutting connections still open (see the
/// [module docs](self#stopping)). See the [module example](self#example).
pub struct ThreadingTcpServer<H> {
    core: Core,
    service: Arc<StreamService<H>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl<H: RequestHandler + 'static> ThreadingTcpServer<H> {
    /// Binds and listens on `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each connection, in that
    /// connection's thread.
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<ThreadingTcpServer<H>> {
        ThreadingTcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// [`new`](ThreadingTcpServer::new) with options.
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<ThreadingTcpServer<H>> {
        let core = Core::bind(server_address, SockType::STREAM, options.clone(), false)?;
        let service = Arc::new(StreamService {
            factory: Box::new(handler),
            options,
            handle: core.handle.clone(),
        });
        Ok(ThreadingTcpServer {
            core,
            service,
            threads: Mutex::new(Vec::new()),
        })
    }

    /// Accepts connections and starts a handler thread for each until
    /// [`shutdown`](ThreadingTcpServer::shutdown): Python's
    /// `serve_forever(poll_interval)`. Handler threads go on after it
    /// returns, until [`server_close`](ThreadingTcpServer::server_close).
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        self.core.serve(
            poll_interval,
            |_, _| {
                if self.wait_for_slot(poll_interval) {
                    if let Some((conn, client_address)) = self.core.accept() {
                        self.process_request(conn, client_address);
                    }
                }
            },
            |_| self.reap(),
            |_| {},
        )
    }

    /// Waits until fewer than `max_threads` handlers run. Returns `false` if a
    /// shutdown came first.
    fn wait_for_slot(&self, poll_interval: Duration) -> bool {
        let control = self.core.control();
        let max = self.service.options.max_threads;
        let mut connections = lock(&control.connections);
        while connections.live.len() >= max {
            if control.shutdown_requested() {
                return false;
            }
            connections = control
                .changed
                .wait_timeout(connections, poll_interval)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        !control.shutdown_requested()
    }

    /// Python's `ThreadingMixIn.process_request`: a thread for the connection.
    fn process_request(&self, conn: Socket, client_address: Address) {
        let conn = Arc::new(conn);
        let tracked = self.core.control().track(&conn);
        let service = Arc::clone(&self.service);
        let address = client_address.clone();
        let spawned = thread::Builder::new()
            .name("pysocket-server-handler".into())
            .spawn(move || {
                service.process(&conn, client_address);
                // Untrack only once the connection is closed and the thread
                // is about to end, so the thread bound counts live threads.
                drop(conn);
                drop(tracked);
            });
        match spawned {
            Ok(thread) => lock(&self.threads).push(thread),
            Err(err) => self
                .service
                .options
                .report(&RequestError::Server(Error::Io(err)), Some(&address)),
        }
    }

    /// Joins the threads that have finished (Python reaps them in
    /// `process_request`).
    fn reap(&self) {
        let mut threads = lock(&self.threads);
        let (done, running): (Vec<_>, Vec<_>) =
            threads.drain(..).partition(|thread| thread.is_finished());
        *threads = running;
        drop(threads);
        for thread in done {
            let _ = thread.join();
        }
    }

    /// How many handler threads are serving a connection now.
    pub fn active_threads(&self) -> usize {
        self.core.control().live()
    }

    common_methods!();

    /// Closes the server: its socket, and (unless
    /// [`block_on_close`](ServerOptions::block_on_close) is off) every
    /// connection still open, joining every handler thread: Python's
    /// `server_close()` with `block_on_close = True`. Dropping the server
    /// does the same.
    pub fn server_close(self) {}
}

impl<H> Drop for ThreadingTcpServer<H> {
    fn drop(&mut self) {
        let threads = std::mem::take(&mut *lock(&self.threads));
        if !self.service.options.block_on_close {
            return;
        }
        self.core.control().cut_all_gracefully();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl<H> fmt::Debug for ThreadingTcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ThreadingTcpServer")
            .field(&self.core)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// UdpServer

/// A UDP server that handles one datagram at a time, inside
/// [`serve_forever`](UdpServer::serve_forever): Python's
/// `socketserver.UDPServer` with a `DatagramRequestHandler`.
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UdpServer};
///
/// struct Echo;
/// impl DatagramRequestHandler for Echo {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         request.wfile.write_all(request.packet)?;
///         Ok(())
///     }
/// }
///
/// let server = UdpServer::new(("127.0.0.1", 0), || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = Socket::new(AF_INET, SOCK_DGRAM)?;
///     client.settimeout(Some(Duration::from_secs(10)))?;
///     client.sendto(b"ping", server.server_address())?;
///     let (answer, from) = client.recvfrom(64)?;
///     assert_eq!((answer.as_slice(), &from), (&b"ping"[..], server.server_address()));
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct UdpServer<H> {
    core: Core,
    factory: Box<dyn Fn() -> H + Send + Sync>,
}

impl<H: DatagramRequestHandler> UdpServer<H> {
    /// Binds to `server_address` with [`ServerOptions::new`]'s defaults;
    /// `handler` makes the handler of each datagram.
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<UdpServer<H>> {
        UdpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// [`new`](UdpServer::new) with options.
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<UdpServer<H>> {
        let core = Core::bind(server_address, SockType::DGRAM, options, false)?;
        Ok(UdpServer {
            core,
            factory: Box::new(handler),
        })
    }

    /// Handles datagrams one after another until
    /// [`shutdown`](UdpServer::shutdown): Python's `serve_forever(poll_interval)`.
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        let mut packet = Vec::new();
        self.core.serve(
            poll_interval,
            |_, _| self.handle_datagram(&mut packet),
            |_| {},
            |_| {},
        )
    }

    /// Receives one datagram, if one is there, and runs its handler.
    fn handle_datagram(&self, packet: &mut Vec<u8>) {
        let options = &self.core.options;
        if packet.len() != options.max_packet_size {
            packet.resize(options.max_packet_size, 0);
        }
        // The socket stays blocking so that answers wait for room; only this
        // receive must not wait.
        let received = self
            .core
            .socket
            .recvfrom_into_with_flags(packet, MsgFlags::DONTWAIT);
        let (len, client_address) = match received {
            Ok(received) => received,
            Err(err) if err.is_would_block() => return,
            // An ICMP error for an earlier answer, or a signal: nothing to serve.
            Err(err) if matches!(err.errno(), Some(libc::ECONNREFUSED | libc::EINTR)) => return,
            Err(err) => return options.report(&RequestError::Server(err), None),
        };
        let report = |err: RequestError| options.report(&err, Some(&client_address));
        let mut handler = match make(&*self.factory) {
            Ok(handler) => handler,
            Err(err) => return report(err),
        };
        let data = &packet[..len];
        let mut request = DatagramRequest {
            packet: data,
            socket: &self.core.socket,
            client_address: client_address.clone(),
            rfile: Cursor::new(data),
            wfile: Vec::new(),
            server: &self.core.handle,
        };
        if let Err(err) = guarded(|| handler.setup(&mut request)) {
            return report(err);
        }
        let handled = guarded(|| handler.handle(&mut request));
        let finished = guarded(|| handler.finish(&mut request));
        for err in [handled.err(), finished.err()].into_iter().flatten() {
            report(err);
        }
        if !request.wfile.is_empty() {
            if let Err(err) = self.core.socket.sendto(&request.wfile, &client_address) {
                report(RequestError::Server(err));
            }
        }
    }

    common_methods!();

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    pub fn server_close(self) {}
}

impl<H> fmt::Debug for UdpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpServer").field(&self.core).finish()
    }
}

// ---------------------------------------------------------------------------
// SelectorTcpServer

/// A TCP server that serves every connection from the one thread running
/// [`serve_forever`](SelectorTcpServer::serve_forever), around a
/// [`Selector`]: non-blocking sockets, and a [`ConnectionHandler`] called as
/// data arrives. Thousands of idle connections cost a socket and a handler
/// each, not a thread.
///
/// Output a client does not take is queued; past 256 KiB the server stops
/// reading from that client until it catches up. Connections close when
/// `serve_forever` returns.
///
/// ```
/// use std::time::Duration;
/// use pysocket::create_connection;
/// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
///
/// struct Echo;
/// impl ConnectionHandler for Echo {
///     fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
///         conn.write(data);
///         Ok(())
///     }
/// }
///
/// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let first = create_connection(server.server_address(), None)?;
///     let second = create_connection(server.server_address(), None)?;
///     second.sendall(b"two")?;
///     first.sendall(b"one")?;
///     assert_eq!(first.recv(16)?, b"one");
///     assert_eq!(second.recv(16)?, b"two");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct SelectorTcpServer<H> {
    core: Core,
    factory: Box<dyn Fn() -> H + Send + Sync>,
}

/// A connection of a [`SelectorTcpServer`], owned by its loop.
struct Peer<H> {
    socket: Socket,
    client_address: Address,
    handler: H,
    output: Vec<u8>,
    closing: bool,
    /// The client ended its stream.
    eof: bool,
    interest: EventMask,
}

/// What becomes of a connection after an event.
enum Fate {
    Keep,
    Close(Option<Error>),
    /// A handler failed: reported already; close without flushing.
    Abort,
}

impl<H: ConnectionHandler> SelectorTcpServer<H> {
    /// Binds and listens on `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each connection.
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<SelectorTcpServer<H>> {
        SelectorTcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// [`new`](SelectorTcpServer::new) with options.
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<SelectorTcpServer<H>> {
        let core = Core::bind(server_address, SockType::STREAM, options, false)?;
        Ok(SelectorTcpServer {
            core,
            factory: Box::new(handler),
        })
    }

    /// Serves every connection from this thread until
    /// [`shutdown`](SelectorTcpServer::shutdown), then closes them (each
    /// handler's [`connection_lost`](ConnectionHandler::connection_lost)
    /// runs with `None`).
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        let listener = self.core.socket.as_raw_fd();
        let peers: std::cell::RefCell<HashMap<RawFd, Peer<H>>> = Default::default();
        let mut buffer = Vec::new();
        self.core.serve(
            poll_interval,
            |selector, ready| {
                let mut peers = peers.borrow_mut();
                for (key, events) in ready {
                    if key.fd == listener {
                        self.accept_all(selector, &mut peers);
                    } else {
                        self.service(selector, &mut peers, key.fd, *events, &mut buffer);
                    }
                }
            },
            |_| {},
            |selector| {
                for (_, peer) in peers.borrow_mut().drain() {
                    self.close_peer(selector, peer, None);
                }
            },
        )
    }

    fn accept_all(&self, selector: &mut Selector<()>, peers: &mut HashMap<RawFd, Peer<H>>) {
        let options = &self.core.options;
        for _ in 0..ACCEPTS_PER_ROUND {
            let Some((socket, client_address)) = self.core.accept() else {
                return;
            };
            let prepared = socket.setblocking(false).and_then(|()| {
                if options.disable_nagle_algorithm {
                    socket.setsockopt(IPPROTO_TCP, TCP_NODELAY, true)?;
                }
                selector.register(&socket, EventMask::READ, ()).map(drop)
            });
            if let Err(err) = prepared {
                options.report(&RequestError::Server(err), Some(&client_address));
                continue;
            }
            let handler = match make(&*self.factory) {
                Ok(handler) => handler,
                Err(err) => {
                    let _ = selector.unregister(&socket);
                    options.report(&err, Some(&client_address));
                    continue;
                }
            };
            let fd = socket.as_raw_fd();
            let mut peer = Peer {
                socket,
                client_address,
                handler,
                output: Vec::new(),
                closing: false,
                eof: false,
                interest: EventMask::READ,
            };
            let fate = match self.callback(&mut peer, |handler, conn| handler.connection_made(conn))
            {
                Fate::Keep => self.settle(selector, &mut peer),
                other => other,
            };
            match fate {
                Fate::Keep => {
                    peers.insert(fd, peer);
                }
                Fate::Close(err) => self.close_peer(selector, peer, err),
                Fate::Abort => self.close_peer(selector, peer, None),
            }
        }
    }

    /// Handles the events of one connection.
    fn service(
        &self,
        selector: &mut Selector<()>,
        peers: &mut HashMap<RawFd, Peer<H>>,
        fd: RawFd,
        events: EventMask,
        buffer: &mut Vec<u8>,
    ) {
        let Some(peer) = peers.get_mut(&fd) else {
            return;
        };
        let mut fate = Fate::Keep;
        if events.contains(EventMask::READ) && peer.interest.contains(EventMask::READ) {
            if buffer.is_empty() {
                buffer.resize(crate::DEFAULT_BUFFER_SIZE, 0);
            }
            fate = match peer.socket.recv_into(buffer) {
                Ok(0) => {
                    peer.eof = true;
                    self.callback(peer, |handler, conn| handler.eof_received(conn))
                }
                Ok(n) => {
                    let data = &buffer[..n];
                    self.callback(peer, |handler, conn| handler.data_received(data, conn))
                }
                Err(err) if err.is_would_block() => Fate::Keep,
                Err(err) => Fate::Close(Some(err)),
            };
        }
        if let Fate::Keep = fate {
            fate = self.settle(selector, peer);
        }
        if let Fate::Keep = fate {
            return;
        }
        let error = match fate {
            Fate::Close(err) => err,
            Fate::Keep | Fate::Abort => None,
        };
        if let Some(peer) = peers.remove(&fd) {
            self.close_peer(selector, peer, error);
        }
    }

    /// Runs a handler method with the connection it sees.
    fn callback(
        &self,
        peer: &mut Peer<H>,
        call: impl FnOnce(&mut H, &mut Connection<'_>) -> HandlerResult,
    ) -> Fate {
        let Peer {
            socket,
            client_address,
            handler,
            output,
            closing,
            ..
        } = peer;
        let mut conn = Connection {
            socket,
            client_address,
            output,
            closing,
            server: &self.core.handle,
        };
        match guarded(|| call(handler, &mut conn)) {
            Ok(()) => Fate::Keep,
            Err(err) => {
                self.core.options.report(&err, Some(&peer.client_address));
                Fate::Abort
            }
        }
    }

    /// Sends what is queued, as far as the socket takes it, and watches for
    /// what the connection needs next.
    fn settle(&self, selector: &mut Selector<()>, peer: &mut Peer<H>) -> Fate {
        while !peer.output.is_empty() {
            match peer.socket.send(&peer.output) {
                Ok(sent) => {
                    peer.output.drain(..sent);
                }
                Err(err) if err.is_would_block() => break,
                Err(err) => return Fate::Close(Some(err)),
            }
        }
        let done_reading = peer.closing || peer.eof;
        if done_reading && peer.output.is_empty() {
            return Fate::Close(None);
        }
        let mut interest = EventMask::empty();
        if !done_reading && peer.output.len() < HIGH_WATER {
            interest |= EventMask::READ;
        }
        if !peer.output.is_empty() {
            interest |= EventMask::WRITE;
        }
        if interest != peer.interest {
            if let Err(err) = selector.modify_events(&peer.socket, interest) {
                return Fate::Close(Some(err));
            }
            peer.interest = interest;
        }
        Fate::Keep
    }

    fn close_peer(&self, selector: &mut Selector<()>, mut peer: Peer<H>, error: Option<Error>) {
        let _ = selector.unregister(&peer.socket);
        let handler = &mut peer.handler;
        let lost = guarded(|| {
            handler.connection_lost(error.as_ref());
            Ok(())
        });
        if let Err(err) = lost {
            self.core.options.report(&err, Some(&peer.client_address));
        }
        let _ = peer.socket.shutdown(Shutdown::Write);
    }

    common_methods!();

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    pub fn server_close(self) {}
}

impl<H> fmt::Debug for SelectorTcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SelectorTcpServer")
            .field(&self.core)
            .finish()
    }
}
