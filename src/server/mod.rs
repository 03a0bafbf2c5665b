//! Network servers after Python's `socketserver`: TCP, UDP and `AF_UNIX`
//! servers that run a handler for each request, one at a time, in a thread
//! each, or many connections in one thread around a
//! [`Selector`](crate::Selector).
//!
//! | Python `socketserver` | `pysocket::server` |
//! |-----------------------|--------------------|
//! | `TCPServer(addr, Handler)` | [`TcpServer::new`]`(addr, \|\| Handler)` |
//! | `ThreadingTCPServer(addr, Handler)` | [`ThreadingTcpServer::new`] (with a bound on live threads) |
//! | `UDPServer(addr, Handler)` | [`UdpServer::new`] |
//! | `ThreadingUDPServer(addr, Handler)` | [`ThreadingUdpServer::new`] (with a bound on live threads) |
//! | `UnixStreamServer(path, Handler)` | [`UnixStreamServer::new`]`(path, \|\| Handler)` (removes its socket file on close) |
//! | `ThreadingUnixStreamServer(path, Handler)` | [`ThreadingUnixStreamServer::new`] |
//! | `UnixDatagramServer(path, Handler)` | [`UnixDatagramServer::new`] |
//! | `ThreadingUnixDatagramServer(path, Handler)` | [`ThreadingUnixDatagramServer::new`] |
//! | no equivalent (asyncio's `Protocol`) | [`SelectorTcpServer::new`] with a [`ConnectionHandler`] |
//! | `class Handler(StreamRequestHandler)`: `handle()` with `self.rfile`, `self.wfile` | `impl`[` RequestHandler`]: `handle(&mut self, request)` with `request.rfile`, `request.wfile` |
//! | `self.request`, `self.connection`, `self.client_address`, `self.server` | [`StreamRequest::connection`], [`StreamRequest::client_address`], [`StreamRequest::server`] |
//! | `class Handler(DatagramRequestHandler)` | `impl`[` DatagramRequestHandler`] with [`DatagramRequest`] |
//! | `setup()`, `handle()`, `finish()` | the trait methods of the same names |
//! | `server.serve_forever(poll_interval=0.5)` | `server.serve_forever(Duration::from_millis(500))` |
//! | `server.shutdown()` (from another thread) | `server.shutdown()`, or [`ServerHandle::shutdown`] from a `'static` thread |
//! | `server.server_close()`, `with server:` | `server.server_close()`, or drop |
//! | `server.server_address`, `server.socket`, `server.fileno()` | `server.server_address()`, `server.socket()`, `server.fileno()` |
//! | `BaseServer`, the methods every server has | [`BaseServer`], which every server derefs to |
//! | class attributes: `allow_reuse_address`, `request_queue_size`, `address_family`, `timeout` (of the handler), `max_packet_size`, `block_on_close` | [`ServerOptions`] |
//! | `handle_error(request, client_address)` (prints a traceback) | [`ServerOptions::handle_error`] (prints to stderr by default) |
//! | `server.handle_request()` with `BaseServer.timeout` | `server.handle_request()` with [`ServerOptions::server_timeout`] |
//! | `StreamRequestHandler.timeout` (each connection's socket) | [`ServerOptions::timeout`] |
//! | `Server(addr, Handler, bind_and_activate=False)`, `server_bind()`, `server_activate()` | [`ServerOptions::bind_and_activate`], [`BaseServer::server_bind`], [`BaseServer::server_activate`] |
//! | `handle_timeout()`, `verify_request(request, client_address)`, `service_actions()` | [`ServerOptions::handle_timeout`], [`ServerOptions::verify_request`], [`ServerOptions::service_actions`] |
//! | `StreamRequestHandler.wbufsize = 0` (`wfile` writes through) | the default; [`ServerOptions::wbufsize`] for a buffer |
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
//! [`shutdown`](BaseServer::shutdown) asks `serve_forever` to stop, wakes it
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
//! # Two timeouts
//!
//! As in Python, a server has two timeouts, and neither is on by default:
//!
//! - [`ServerOptions::server_timeout`] (Python's `BaseServer.timeout`):
//!   how long [`handle_request`](TcpServer::handle_request) waits for a
//!   request. When it passes with none, the
//!   [`handle_timeout`](ServerOptions::handle_timeout) hook runs and
//!   `handle_request` returns `Ok`. `serve_forever` does not use it.
//! - [`ServerOptions::timeout`] (Python's `StreamRequestHandler.timeout`):
//!   the timeout of each connection's socket, so a client silent for
//!   longer makes the handler's read fail with [`Error::Timeout`]. The
//!   failure goes to [`handle_error`](ServerOptions::handle_error), the
//!   connection closes, and the server serves the next one. A
//!   [`SelectorTcpServer`] closes a connection that neither receives nor
//!   sends for that long, with the same report.
//!
//! # Unix sockets
//!
//! [`UnixStreamServer`], [`ThreadingUnixStreamServer`] and
//! [`UnixDatagramServer`] are the TCP and UDP servers bound to an
//! `AF_UNIX` path (or, on Linux, an abstract name given as `"\0name"`), as
//! in Python; each derefs to the server it wraps. A `TcpServer` given
//! [`ServerOptions::address_family`]`(AF_UNIX)` is the same thing.
//!
//! - **The socket file.** Binding creates it. A path that exists already
//!   (a file, or the socket of a server still running or one that
//!   crashed) is [`Error::Bind`] with `EADDRINUSE`, naming the path; a
//!   path longer than `sun_path` takes (107 bytes on Linux) is
//!   [`Error::InvalidArgument`] saying so. Python's servers leave the file
//!   behind on `server_close`, so that the next run fails to bind until
//!   someone removes it; here closing the server (or dropping it) removes
//!   the file it made, if the path still names that file, as a Rust value
//!   cleans up what it made. [`ServerOptions::unlink_on_close`]`(false)`
//!   keeps Python's way.
//! - **The client's address.** A client that did not bind its socket (the
//!   usual stream client) has the address
//!   [`UnixAddress::Unnamed`](crate::UnixAddress::Unnamed), which displays
//!   as an empty string: Python's `''` for a stream client, `None` for a
//!   datagram one. A datagram client must bind a name to get answers, as
//!   in Python.
//! - [`ServerOptions::disable_nagle_algorithm`] does not apply, and is left
//!   out on these connections.
//!
//! # Errors in handlers
//!
//! A handler method that returns an error or panics is reported through
//! [`ServerOptions::handle_error`] (by default a message on stderr, as
//! Python's `handle_error` prints a traceback), its connection is closed,
//! and the server goes on. Failures to take a request (an `accept` that
//! fails for lack of descriptors, a thread that cannot start) are reported
//! the same way.

mod base;
mod control;
mod options;
mod selector;
mod stream;
mod tcp;
mod threading;
mod threads;
mod udp;
mod unix;

use std::any::Any;
use std::error::Error as StdError;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::error::Error;

pub use base::BaseServer;
pub use control::ServerHandle;
pub use options::ServerOptions;
pub use selector::{Connection, ConnectionHandler, SelectorTcpServer};
pub use stream::{RequestHandler, StreamRequest};
pub use tcp::TcpServer;
pub use threading::ThreadingTcpServer;
pub use udp::{DatagramRequest, DatagramRequestHandler, ThreadingUdpServer, UdpServer};
pub use unix::{
    ThreadingUnixDatagramServer, ThreadingUnixStreamServer, UnixDatagramServer, UnixStreamServer,
};

/// Python's default `poll_interval` for `serve_forever`: half a second. A
/// shutdown wakes the loop at once; this only bounds each wait.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(pysocket::server::DEFAULT_POLL_INTERVAL, Duration::from_millis(500));
/// ```
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The default bound on live handler threads of a [`ThreadingTcpServer`]
/// ([`ServerOptions::max_threads`] changes it).
///
/// ```
/// use pysocket::server::{ServerOptions, DEFAULT_MAX_THREADS};
/// let options = ServerOptions::new().max_threads(DEFAULT_MAX_THREADS / 4);
/// # let _ = options;
/// ```
pub const DEFAULT_MAX_THREADS: usize = 256;

/// What handler methods return: `Ok(())`, or any error (`?` works on both
/// [`Error`] and `io::Error`), which the server reports and survives.
///
/// ```
/// use std::io::BufRead;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
/// struct Greet;
/// impl RequestHandler for Greet {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         let mut name = String::new();
///         request.rfile.read_line(&mut name)?; // an io::Error
///         request.connection.sendall(format!("hello {name}").as_bytes())?; // a pysocket::Error
///         Ok(())
///     }
/// }
/// ```
pub type HandlerResult = std::result::Result<(), Box<dyn StdError + Send + Sync>>;

/// Why a request failed, as [`ServerOptions::handle_error`] receives it.
///
/// ```
/// use pysocket::server::RequestError;
///
/// let err = RequestError::Panic("index out of bounds".to_string());
/// assert_eq!(err.to_string(), "handler panicked: index out of bounds");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A handler method returned this error.
    #[error("{0}")]
    Handler(#[source] Box<dyn StdError + Send + Sync>),
    /// A handler method (or the function that makes handlers) panicked,
    /// with this message.
    #[error("handler panicked: {0}")]
    Panic(String),
    /// The server could not take a request: `accept` or `recvfrom` failed,
    /// or a handler thread could not start; or a connection of a
    /// [`SelectorTcpServer`] was silent for [`ServerOptions::timeout`]
    /// ([`Error::Timeout`]).
    #[error("{0}")]
    Server(#[source] Error),
}

/// Runs one handler method, turning an error or a panic into a [`RequestError`].
fn guarded(call: impl FnOnce() -> HandlerResult) -> std::result::Result<(), RequestError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(RequestError::Handler(err)),
        Err(payload) => Err(RequestError::Panic(panic_message(payload))),
    }
}

/// What makes a server's handlers: the function given to its constructor.
type Factory<H> = Box<dyn Fn() -> H + Send + Sync>;

/// Python's `BaseRequestHandler.__init__`: runs `setup`, then `handle` and
/// `finish`, which runs even when `handle` failed, and then reports what
/// failed. Returns whether `handle` ran (`setup` succeeded). The callers
/// pass the handler's methods themselves (`H::setup`, ...), not pointers to
/// them, so that each call is static and an empty default is inlined away.
fn run_handler<H, R>(
    handler: &mut H,
    request: &mut R,
    setup: impl FnOnce(&mut H, &mut R) -> HandlerResult,
    handle: impl FnOnce(&mut H, &mut R) -> HandlerResult,
    finish: impl FnOnce(&mut H, &mut R) -> HandlerResult,
    report: impl Fn(RequestError),
) -> bool {
    if let Err(err) = guarded(|| setup(handler, request)) {
        report(err);
        return false;
    }
    let handled = guarded(|| handle(handler, request));
    let finished = guarded(|| finish(handler, request));
    if let Err(err) = handled {
        report(err);
    }
    if let Err(err) = finished {
        report(err);
    }
    true
}

/// Makes a handler, turning a panic of the factory into a [`RequestError`].
fn make<H>(factory: &Factory<H>) -> std::result::Result<H, RequestError> {
    catch_unwind(AssertUnwindSafe(factory))
        .map_err(|payload| RequestError::Panic(panic_message(payload)))
}

/// The message a panic was raised with, if it was a string.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_string(),
            Err(_) => "a panic with a payload that is not a string".to_string(),
        },
    }
}
