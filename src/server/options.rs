//! [`ServerOptions`], and reporting request failures through its
//! [`handle_error`](ServerOptions::handle_error) hook.

use std::fmt;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::{guarded, RequestError, DEFAULT_MAX_THREADS};
use crate::address::Address;
use crate::constants::{Family, IPPROTO_TCP, TCP_NODELAY};
use crate::error::Result;
use crate::socket::Socket;

/// The hook that reports request failures: see [`ServerOptions::handle_error`].
type ErrorHook = Arc<dyn Fn(&RequestError, Option<&Address>) + Send + Sync>;

/// A hook that takes nothing: [`ServerOptions::handle_timeout`] and
/// [`ServerOptions::service_actions`].
type TimeoutHook = Arc<dyn Fn() + Send + Sync>;

/// The hook that admits or refuses a connection: see
/// [`ServerOptions::verify_request`].
type VerifyHook = Arc<dyn Fn(&Socket, &Address) -> bool + Send + Sync>;

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
    pub(super) address_family: Family,
    pub(super) allow_reuse_address: bool,
    pub(super) allow_reuse_port: bool,
    pub(super) request_queue_size: i32,
    pub(super) timeout: Option<Duration>,
    pub(super) disable_nagle_algorithm: bool,
    pub(super) max_threads: usize,
    pub(super) block_on_close: bool,
    pub(super) close_grace: Duration,
    pub(super) max_packet_size: usize,
    pub(super) wbufsize: usize,
    pub(super) server_timeout: Option<Duration>,
    pub(super) bind_and_activate: bool,
    pub(super) unlink_on_close: bool,
    pub(super) error_hook: ErrorHook,
    timeout_hook: Option<TimeoutHook>,
    service_hook: Option<TimeoutHook>,
    verify_hook: Option<VerifyHook>,
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
            wbufsize: 0,
            server_timeout: None,
            bind_and_activate: true,
            unlink_on_close: true,
            error_hook: Arc::new(print_error),
            timeout_hook: None,
            service_hook: None,
            verify_hook: None,
        }
    }
}

impl ServerOptions {
    /// Python's defaults: `AF_INET`, no address reuse, a listen backlog of
    /// 5, blocking connections, 8192-byte datagrams; and
    /// [`DEFAULT_MAX_THREADS`](super::DEFAULT_MAX_THREADS) handler threads, a
    /// one-second grace on close.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// use pysocket::AF_INET;
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, ServerOptions::new())?;
    /// assert_eq!(server.socket().family(), AF_INET);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new() -> ServerOptions {
        ServerOptions::default()
    }

    /// Sets the family of the server's socket: Python's `address_family`
    /// (`AF_INET` by default; `AF_INET6` for IPv6, `AF_UNIX` for a path,
    /// which makes a stream server Python's `UnixStreamServer`: see
    /// [`UnixStreamServer`](super::UnixStreamServer) and its kin, which set
    /// it themselves).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// use pysocket::AF_INET6;
    /// let options = ServerOptions::new().address_family(AF_INET6);
    /// let server = TcpServer::with_options(("::1", 0), || Echo, options)?;
    /// assert_eq!(server.socket().family(), AF_INET6);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn address_family(mut self, family: Family) -> ServerOptions {
        self.address_family = family;
        self
    }

    /// Sets `SO_REUSEADDR` before binding, so a restarted server can bind
    /// while old connections linger in `TIME_WAIT`: Python's
    /// `allow_reuse_address`, `false` by default in `socketserver` as here
    /// (its subclasses such as `http.server.HTTPServer` turn it on).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// use pysocket::{SOL_SOCKET, SO_REUSEADDR};
    /// let options = ServerOptions::new().allow_reuse_address(true);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_eq!(server.socket().getsockopt(SOL_SOCKET, SO_REUSEADDR)?, 1);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn allow_reuse_address(mut self, allow: bool) -> ServerOptions {
        self.allow_reuse_address = allow;
        self
    }

    /// Sets `SO_REUSEPORT` before binding: Python's `allow_reuse_port`
    /// (`false` by default).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// use pysocket::{SOL_SOCKET, SO_REUSEPORT};
    /// let options = ServerOptions::new().allow_reuse_port(true);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_eq!(server.socket().getsockopt(SOL_SOCKET, SO_REUSEPORT)?, 1);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn allow_reuse_port(mut self, allow: bool) -> ServerOptions {
        self.allow_reuse_port = allow;
        self
    }

    /// Sets the `listen` backlog: Python's `request_queue_size` (5 by default).
    /// Raise it for servers that take many connections at once.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().request_queue_size(128);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// # let _ = server;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn request_queue_size(mut self, backlog: i32) -> ServerOptions {
        self.request_queue_size = backlog;
        self
    }

    /// Sets the timeout of each connection's socket while a
    /// [`RequestHandler`](super::RequestHandler) serves it: Python's
    /// `StreamRequestHandler.timeout` (`None`, blocking, by default), not
    /// the server's own [`server_timeout`](ServerOptions::server_timeout).
    /// A client silent for longer makes the handler's read fail with
    /// [`Error::Timeout`](crate::Error::Timeout) (kind `TimedOut` through the
    /// files); unless the handler deals with it, the error goes to
    /// [`handle_error`](ServerOptions::handle_error), the connection is
    /// closed, and the server serves the next one. The limit is per call on
    /// the connection (a `recv`, a `sendall`): a client that keeps sending a
    /// little at a time is not cut. A
    /// [`SelectorTcpServer`](super::SelectorTcpServer), whose handlers never
    /// wait, closes a connection that has neither received nor sent for that
    /// long, with the same report and [`Error::Timeout`](crate::Error::Timeout)
    /// to its handler's `connection_lost`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{HandlerResult, RequestHandler, ServerOptions, StreamRequest, TcpServer};
    ///
    /// /// Tells the client its connection's timeout.
    /// struct Tell;
    /// impl RequestHandler for Tell {
    ///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
    ///         write!(request.wfile, "{:?}", request.connection.gettimeout())?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let options = ServerOptions::new().timeout(Some(Duration::from_secs(30)));
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Tell, options)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     let mut answer = String::new();
    ///     (&client).read_to_string(&mut answer)?;
    ///     assert_eq!(answer, "Some(30s)");
    ///     server.shutdown();
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// }).unwrap();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> ServerOptions {
        self.timeout = timeout;
        self
    }

    /// Sets `TCP_NODELAY` on each connection: Python's
    /// `StreamRequestHandler.disable_nagle_algorithm` (`false` by default).
    /// Connections of a server bound to an `AF_UNIX` path have no Nagle
    /// algorithm and are left as they are (Python fails every request
    /// there).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    /// use pysocket::{create_connection, IPPROTO_TCP, TCP_NODELAY};
    /// use pysocket::server::{HandlerResult, RequestHandler, ServerOptions, StreamRequest, TcpServer};
    ///
    /// /// Tells the client whether its connection has TCP_NODELAY.
    /// struct Tell;
    /// impl RequestHandler for Tell {
    ///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
    ///         let nodelay = request.connection.getsockopt(IPPROTO_TCP, TCP_NODELAY)?;
    ///         write!(request.wfile, "{nodelay}")?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let options = ServerOptions::new().disable_nagle_algorithm(true);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Tell, options)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     let mut answer = String::new();
    ///     (&client).read_to_string(&mut answer)?;
    ///     assert_eq!(answer, "1");
    ///     server.shutdown();
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// }).unwrap();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn disable_nagle_algorithm(mut self, disable: bool) -> ServerOptions {
        self.disable_nagle_algorithm = disable;
        self
    }

    /// Sets the most handler threads a
    /// [`ThreadingTcpServer`](super::ThreadingTcpServer) runs at once
    /// ([`DEFAULT_MAX_THREADS`](super::DEFAULT_MAX_THREADS) by default; at least
    /// 1). When that many are busy, the server accepts nothing until one
    /// finishes: new clients wait in the listen backlog. Python's
    /// `ThreadingMixIn` has no bound.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingTcpServer};
    /// let options = ServerOptions::new().max_threads(16);
    /// let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_eq!(server.active_threads(), 0);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn max_threads(mut self, max: usize) -> ServerOptions {
        self.max_threads = max.max(1);
        self
    }

    /// Sets whether
    /// [`ThreadingTcpServer::server_close`](super::ThreadingTcpServer::server_close)
    /// waits for the handler threads: Python's `block_on_close` (`true` by
    /// default). With `false` they are left to finish on their own.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingTcpServer};
    /// let options = ServerOptions::new().block_on_close(false);
    /// let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.server_close(); // returns without joining handler threads
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn block_on_close(mut self, block: bool) -> ServerOptions {
        self.block_on_close = block;
        self
    }

    /// Sets how long a closing server lets connections finish after shutting
    /// their reading side down, before shutting them down altogether (one
    /// second by default). See the [module docs](super#stopping).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, ThreadingTcpServer};
    /// let options = ServerOptions::new().close_grace(Duration::from_millis(100));
    /// let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.server_close();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn close_grace(mut self, grace: Duration) -> ServerOptions {
        self.close_grace = grace;
        self
    }

    /// Sets the largest datagram a [`UdpServer`](super::UdpServer) receives;
    /// longer ones are cut: Python's `max_packet_size` (8192 by default).
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, UdpServer};
    /// let options = ServerOptions::new().max_packet_size(512);
    /// let server = UdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// # let _ = server;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn max_packet_size(mut self, size: usize) -> ServerOptions {
        self.max_packet_size = size.max(1);
        self
    }

    /// Sets the size of the write buffer of
    /// [`StreamRequest::wfile`](super::StreamRequest::wfile): Python's
    /// `StreamRequestHandler.wbufsize`. With 0, the default as in Python,
    /// every write goes out at once, so a handler that writes a prompt and
    /// then reads never waits for a `flush`; a larger size gathers small
    /// writes until the buffer fills, the handler flushes, or the request
    /// ends.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().wbufsize(8192);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// # let _ = server;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn wbufsize(mut self, size: usize) -> ServerOptions {
        self.wbufsize = size;
        self
    }

    /// Sets whether the constructors bind the socket and make it take
    /// requests: Python's `bind_and_activate` argument (`true` by default).
    /// With `false`, the caller sets what it needs on
    /// [`socket`](super::BaseServer::socket), then calls
    /// [`server_bind`](super::BaseServer::server_bind) and
    /// [`server_activate`](super::BaseServer::server_activate).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().bind_and_activate(false);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_eq!(server.server_address().port(), Some(0)); // as asked: not bound yet
    /// server.server_bind()?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn bind_and_activate(mut self, bind: bool) -> ServerOptions {
        self.bind_and_activate = bind;
        self
    }

    /// Sets whether a server bound to an `AF_UNIX` path removes the socket
    /// file when it closes (`true` by default). Binding creates the file;
    /// on [`server_close`](super::UnixStreamServer::server_close) or drop the
    /// server removes it if the path still names that same file (the same
    /// device and inode: a file another server has since put there stays).
    /// With `false` the file stays, as Python's `UnixStreamServer` and
    /// `UnixDatagramServer` leave it, and the next bind to the path fails
    /// with `EADDRINUSE` until someone removes it. Abstract names
    /// (`"\0name"`) have no file.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, UnixStreamServer};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    ///
    /// let server = UnixStreamServer::new(&path, || Echo)?;
    /// server.server_close();
    /// assert!(!path.exists()); // removed: the path can be bound again
    ///
    /// let options = ServerOptions::new().unlink_on_close(false);
    /// let server = UnixStreamServer::with_options(&path, || Echo, options)?;
    /// server.server_close();
    /// assert!(path.exists()); // left, as Python leaves it
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "unlink")]
    pub fn unlink_on_close(mut self, unlink: bool) -> ServerOptions {
        self.unlink_on_close = unlink;
        self
    }

    /// Sets how long `handle_request` waits for a request: Python's
    /// `BaseServer.timeout` (not the handler's, which is
    /// [`timeout`](ServerOptions::timeout)). `None`, the default, waits for
    /// ever, as Python's does: until a request comes, whatever
    /// [`shutdown`](super::BaseServer::shutdown) says. After `Some(d)` with
    /// no request, `handle_request` calls
    /// [`handle_timeout`](ServerOptions::handle_timeout) and returns `Ok`;
    /// `Some(Duration::ZERO)` only looks, serving a request already there.
    /// `serve_forever` does not use it.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::{Duration, Instant};
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().server_timeout(Some(Duration::from_millis(50)));
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// let started = Instant::now();
    /// server.handle_request()?; // no client: returns after the timeout
    /// assert!(started.elapsed() >= Duration::from_millis(50));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_timeout(mut self, timeout: Option<Duration>) -> ServerOptions {
        self.server_timeout = timeout;
        self
    }

    /// What `handle_request` does when its
    /// [`server_timeout`](ServerOptions::server_timeout) passes with no
    /// request: Python's `handle_timeout` (nothing by default). It runs in
    /// the thread that called `handle_request`; a panic in it is reported
    /// through [`handle_error`](ServerOptions::handle_error).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let timed_out = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&timed_out);
    /// let options = ServerOptions::new()
    ///     .server_timeout(Some(Duration::from_millis(10)))
    ///     .handle_timeout(move || flag.store(true, Ordering::Relaxed));
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.handle_request()?;
    /// assert!(timed_out.load(Ordering::Relaxed));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle_timeout(mut self, hook: impl Fn() + Send + Sync + 'static) -> ServerOptions {
        self.timeout_hook = Some(Arc::new(hook));
        self
    }

    /// What `serve_forever` does after each wait, whether a request came or
    /// not: Python's `service_actions` (nothing by default). It runs in the
    /// loop's thread at least once every `poll_interval`; a panic in it is
    /// reported through [`handle_error`](ServerOptions::handle_error) and
    /// the loop goes on.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let rounds = Arc::new(AtomicUsize::new(0));
    /// let counted = Arc::clone(&rounds);
    /// let options = ServerOptions::new().service_actions(move || {
    ///     counted.fetch_add(1, Ordering::Relaxed);
    /// });
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(10)));
    ///     while rounds.load(Ordering::Relaxed) < 3 {
    ///         std::thread::sleep(Duration::from_millis(5));
    ///     }
    ///     server.shutdown();
    /// });
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn service_actions(mut self, hook: impl Fn() + Send + Sync + 'static) -> ServerOptions {
        self.service_hook = Some(Arc::new(hook));
        self
    }

    /// Decides whether a request is served: Python's `verify_request`
    /// (every request by default). Every server applies it, as Python's
    /// `BaseServer` does:
    ///
    /// - A stream server ([`TcpServer`](super::TcpServer),
    ///   [`ThreadingTcpServer`](super::ThreadingTcpServer),
    ///   [`SelectorTcpServer`](super::SelectorTcpServer) and the Unix
    ///   stream servers) gives the hook the connection and the client's
    ///   address as soon as it is accepted; with `false` it ends the stream
    ///   and closes the connection without making a handler.
    /// - A datagram server ([`UdpServer`](super::UdpServer),
    ///   [`ThreadingUdpServer`](super::ThreadingUdpServer) and the Unix
    ///   datagram servers) gives the hook its own socket and the sender's
    ///   address, once for each datagram, before making its handler (and,
    ///   for a threading server, before starting its thread); with `false`
    ///   it drops the datagram: no handler, no answer. Python's request is
    ///   `(data, socket)`; the datagram's bytes are not given to the hook.
    ///   A Unix client that did not bind a name has the address
    ///   [`UnixAddress::Unnamed`](crate::UnixAddress::Unnamed).
    ///
    /// The hook runs in the thread that receives (that of `serve_forever`
    /// or `handle_request`), so a slow hook holds up the requests behind
    /// it. A panic in it is reported through
    /// [`handle_error`](ServerOptions::handle_error), with the client's
    /// address, and refuses the request. Without a hook, nothing is called.
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{HandlerResult, RequestHandler, ServerOptions, StreamRequest, TcpServer};
    ///
    /// struct Greet;
    /// impl RequestHandler for Greet {
    ///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
    ///         request.connection.sendall(b"welcome")?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// // Serves nobody.
    /// let options = ServerOptions::new().verify_request(|_conn, _client| false);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Greet, options)?;
    /// let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    /// server.handle_request()?;
    /// let mut answer = Vec::new();
    /// (&client).read_to_end(&mut answer)?;
    /// assert!(answer.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A UDP server that answers one client only:
    ///
    /// ```
    /// use std::io::Write;
    /// use std::time::Duration;
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// use pysocket::server::{
    ///     DatagramRequest, DatagramRequestHandler, HandlerResult, ServerOptions, UdpServer,
    /// };
    ///
    /// struct Echo;
    /// impl DatagramRequestHandler for Echo {
    ///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
    ///         request.wfile.write_all(request.packet)?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let friend = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// friend.bind(("127.0.0.1", 0))?;
    /// let stranger = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// stranger.bind(("127.0.0.1", 0))?;
    /// let allowed = friend.getsockname()?;
    /// // The hook gets the server's socket and the datagram's sender.
    /// let options = ServerOptions::new().verify_request(move |_, sender| *sender == allowed);
    /// let server = UdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    ///
    /// stranger.sendto(b"hello?", server.server_address())?;
    /// server.handle_request()?; // takes the stranger's datagram and drops it
    /// friend.sendto(b"hello", server.server_address())?;
    /// server.handle_request()?;
    ///
    /// friend.settimeout(Some(Duration::from_secs(10)))?;
    /// assert_eq!(friend.recvfrom(64)?.0, b"hello");
    /// stranger.settimeout(Some(Duration::from_millis(50)))?;
    /// assert!(stranger.recvfrom(64).unwrap_err().is_timeout()); // no answer
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn verify_request(
        mut self,
        hook: impl Fn(&Socket, &Address) -> bool + Send + Sync + 'static,
    ) -> ServerOptions {
        self.verify_hook = Some(Arc::new(hook));
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

    /// Sets `TCP_NODELAY` on a TCP connection if
    /// [`disable_nagle_algorithm`](ServerOptions::disable_nagle_algorithm)
    /// asks for it; other connections (`AF_UNIX`) have no such option.
    pub(super) fn set_nodelay(&self, conn: &Socket) -> Result<()> {
        if self.disable_nagle_algorithm && matches!(conn.family(), Family::INET | Family::INET6) {
            conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, true)?;
        }
        Ok(())
    }

    /// Runs the [`handle_timeout`](ServerOptions::handle_timeout) hook.
    pub(super) fn timed_out(&self) {
        self.run_hook(self.timeout_hook.as_ref());
    }

    /// Runs the [`service_actions`](ServerOptions::service_actions) hook.
    #[inline]
    pub(super) fn service(&self) {
        if self.service_hook.is_some() {
            self.run_hook(self.service_hook.as_ref());
        }
    }

    /// Runs a hook that takes nothing, reporting a panic.
    fn run_hook(&self, hook: Option<&TimeoutHook>) {
        if let Some(hook) = hook {
            if let Err(err) = guarded(|| {
                hook();
                Ok(())
            }) {
                self.report(&err, None);
            }
        }
    }

    /// Whether the [`verify_request`](ServerOptions::verify_request) hook
    /// admits this request: `sock` is the connection of a stream server, or
    /// the socket of a datagram server. Without a hook, one test of the
    /// `Option` (inlined into the datagram servers' loops, which are
    /// generic and so compiled in the caller's crate).
    #[inline]
    pub(super) fn verified(&self, sock: &Socket, client: &Address) -> bool {
        match &self.verify_hook {
            None => true,
            Some(hook) => self.ask(hook, sock, client),
        }
    }

    /// Runs the [`verify_request`](ServerOptions::verify_request) hook; a
    /// panic is reported and refuses the request.
    #[inline(never)]
    fn ask(&self, hook: &VerifyHook, sock: &Socket, client: &Address) -> bool {
        let mut admitted = false;
        if let Err(err) = guarded(|| {
            admitted = hook(sock, client);
            Ok(())
        }) {
            self.report(&err, Some(client));
        }
        admitted
    }

    pub(super) fn report(&self, err: &RequestError, client: Option<&Address>) {
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
            .field("wbufsize", &self.wbufsize)
            .field("server_timeout", &self.server_timeout)
            .field("bind_and_activate", &self.bind_and_activate)
            .field("unlink_on_close", &self.unlink_on_close)
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
