//! The `AF_UNIX` servers under Python's names: [`UnixStreamServer`],
//! [`ThreadingUnixStreamServer`], [`UnixDatagramServer`] and
//! [`ThreadingUnixDatagramServer`], each the
//! matching TCP or UDP server bound to a path or an abstract name. Each
//! derefs to the server it wraps, so every method of that server (and of
//! [`BaseServer`](super::BaseServer)) is called on it directly. See the
//! [module docs](super#unix-sockets) for the socket file and the clients'
//! addresses.

use std::fmt;
use std::ops::Deref;

use super::{
    BaseServer, DatagramRequestHandler, RequestHandler, ServerOptions, TcpServer,
    ThreadingTcpServer, ThreadingUdpServer, UdpServer,
};
use crate::address::ToAddress;
use crate::constants::Family;
use crate::error::Result;

/// The options with the family every Unix server has.
fn unix(options: ServerOptions) -> ServerOptions {
    options.address_family(Family::UNIX)
}

/// A stream server on an `AF_UNIX` socket that handles one connection at a
/// time: Python's `socketserver.UnixStreamServer`. It is a
/// [`TcpServer`] bound to a path (or, on Linux, an abstract name given as
/// `"\0name"`), and derefs to it: [`serve_forever`](TcpServer::serve_forever),
/// [`handle_request`](TcpServer::handle_request),
/// [`shutdown`](BaseServer::shutdown) and the rest work as there.
///
/// Closing the server removes the socket file it made (Python leaves it;
/// see [`ServerOptions::unlink_on_close`]).
///
/// ```
/// use std::io::Read;
/// use std::time::Duration;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, UnixStreamServer};
/// use pysocket::{Socket, AF_UNIX, SHUT_WR, SOCK_STREAM};
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
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("echo.sock");
/// let server = UnixStreamServer::new(&path, || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = Socket::new(AF_UNIX, SOCK_STREAM)?;
///     client.connect(&path)?;
///     client.sendall(b"ping")?;
///     client.shutdown(SHUT_WR)?;
///     let mut answer = Vec::new();
///     (&client).read_to_end(&mut answer)?;
///     assert_eq!(answer, b"ping");
///     server.shutdown();
///     Ok::<(), Box<dyn std::error::Error>>(())
/// }).unwrap();
/// server.server_close();
/// assert!(!path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct UnixStreamServer<H> {
    server: TcpServer<H>,
}

impl<H: RequestHandler> UnixStreamServer<H> {
    /// Binds and listens on the path `server_address` with
    /// [`ServerOptions::new`]'s defaults; `handler` makes the handler of each
    /// connection: Python's `UnixStreamServer(path, RequestHandlerClass)`.
    /// A path that exists already is [`Error::Bind`](crate::Error::Bind)
    /// with `EADDRINUSE`, naming it; a path longer than `sun_path` takes is
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) saying so.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UnixStreamServer;
    /// use pysocket::Address;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    /// let server = UnixStreamServer::new(&path, || Echo)?;
    /// assert_eq!(server.server_address().as_unix().and_then(|a| a.as_path()), Some(path.as_path()));
    ///
    /// let taken = UnixStreamServer::new(&path, || Echo).unwrap_err();
    /// assert_eq!(taken.errno(), Some(libc::EADDRINUSE));
    /// assert!(taken.to_string().contains(&path.display().to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<UnixStreamServer<H>> {
        UnixStreamServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds and listens on the path `server_address` with `options`
    /// (Python's class attributes; the family is always `AF_UNIX`);
    /// `handler` makes the handler of each connection.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, UnixStreamServer};
    /// use pysocket::AF_UNIX;
    /// let dir = tempfile::tempdir()?;
    /// let options = ServerOptions::new().timeout(Some(Duration::from_secs(30)));
    /// let server = UnixStreamServer::with_options(dir.path().join("app.sock"), || Echo, options)?;
    /// assert_eq!(server.socket().family(), AF_UNIX);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<UnixStreamServer<H>> {
        let server = TcpServer::with_options(server_address, handler, unix(options))?;
        Ok(UnixStreamServer { server })
    }

    /// Closes the server's socket and removes its socket file: Python's
    /// `server_close()`, which leaves the file. Dropping the server does
    /// the same.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UnixStreamServer;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    /// let server = UnixStreamServer::new(&path, || Echo)?;
    /// assert!(path.exists());
    /// server.server_close();
    /// assert!(!path.exists());
    /// let again = UnixStreamServer::new(&path, || Echo)?; // the path is free
    /// # drop(again);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Deref for UnixStreamServer<H> {
    type Target = TcpServer<H>;

    fn deref(&self) -> &TcpServer<H> {
        &self.server
    }
}

impl<H> fmt::Debug for UnixStreamServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base: &BaseServer = &self.server;
        f.debug_tuple("UnixStreamServer").field(base).finish()
    }
}

/// A stream server on an `AF_UNIX` socket that handles each connection in
/// a thread of its own: Python's `socketserver.ThreadingUnixStreamServer`.
/// It is a [`ThreadingTcpServer`] bound to a path (or, on Linux, an
/// abstract name given as `"\0name"`), and derefs to it: the bound on live
/// threads, [`active_threads`](ThreadingTcpServer::active_threads) and the
/// joining of every thread on close work as there.
///
/// Closing the server removes the socket file it made (Python leaves it;
/// see [`ServerOptions::unlink_on_close`]).
///
/// ```
/// use std::io::{BufRead, Write};
/// use std::time::Duration;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, ThreadingUnixStreamServer};
/// use pysocket::{Socket, AF_UNIX, SOCK_STREAM};
///
/// /// Answers each line in upper case.
/// struct Shout;
/// impl RequestHandler for Shout {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         let mut line = String::new();
///         while request.rfile.read_line(&mut line)? > 0 {
///             request.wfile.write_all(line.to_uppercase().as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("shout.sock");
/// let server = ThreadingUnixStreamServer::new(&path, || Shout)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     // Two clients at once, each served by its own thread.
///     let first = Socket::new(AF_UNIX, SOCK_STREAM)?;
///     first.connect(&path)?;
///     let second = Socket::new(AF_UNIX, SOCK_STREAM)?;
///     second.connect(&path)?;
///     second.sendall(b"two\n")?;
///     first.sendall(b"one\n")?;
///     assert_eq!(second.recv(16)?, b"TWO\n");
///     assert_eq!(first.recv(16)?, b"ONE\n");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// server.server_close(); // cuts the open connections and joins the threads
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ThreadingUnixStreamServer<H> {
    server: ThreadingTcpServer<H>,
}

impl<H: RequestHandler + 'static> ThreadingUnixStreamServer<H> {
    /// Binds and listens on the path `server_address` with
    /// [`ServerOptions::new`]'s defaults; `handler` makes the handler of each
    /// connection, in that connection's thread: Python's
    /// `ThreadingUnixStreamServer(path, RequestHandlerClass)`. Errors as for
    /// [`UnixStreamServer::new`].
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUnixStreamServer;
    /// let dir = tempfile::tempdir()?;
    /// let server = ThreadingUnixStreamServer::new(dir.path().join("app.sock"), || Echo)?;
    /// assert_eq!(server.active_threads(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<ThreadingUnixStreamServer<H>> {
        ThreadingUnixStreamServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds and listens on the path `server_address` with `options`
    /// (Python's class attributes; the family is always `AF_UNIX`);
    /// `handler` makes the handler of each connection, in that connection's
    /// thread.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingUnixStreamServer};
    /// let dir = tempfile::tempdir()?;
    /// let options = ServerOptions::new().max_threads(8);
    /// let server =
    ///     ThreadingUnixStreamServer::with_options(dir.path().join("app.sock"), || Echo, options)?;
    /// # drop(server);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<ThreadingUnixStreamServer<H>> {
        let server = ThreadingTcpServer::with_options(server_address, handler, unix(options))?;
        Ok(ThreadingUnixStreamServer { server })
    }

    /// Closes the server as
    /// [`ThreadingTcpServer::server_close`] does (cutting the connections
    /// still open and joining every handler thread), then removes its socket
    /// file: Python's `server_close()`, which leaves the file. Dropping the
    /// server does the same.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUnixStreamServer;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    /// let server = ThreadingUnixStreamServer::new(&path, || Echo)?;
    /// server.server_close();
    /// assert!(!path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Deref for ThreadingUnixStreamServer<H> {
    type Target = ThreadingTcpServer<H>;

    fn deref(&self) -> &ThreadingTcpServer<H> {
        &self.server
    }
}

impl<H> fmt::Debug for ThreadingUnixStreamServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base: &BaseServer = &self.server;
        f.debug_tuple("ThreadingUnixStreamServer")
            .field(base)
            .finish()
    }
}

/// A datagram server on an `AF_UNIX` socket that handles one datagram at a
/// time: Python's `socketserver.UnixDatagramServer`. It is a [`UdpServer`]
/// bound to a path (or, on Linux, an abstract name given as `"\0name"`),
/// and derefs to it.
///
/// As in Python, a client gets answers only if its socket is bound to a
/// name of its own: the answer to an unbound (unnamed) client cannot be
/// addressed, and goes to [`ServerOptions::handle_error`] as an `EINVAL`
/// error after the handler has run. Closing the server removes the socket
/// file it made (Python leaves it; see [`ServerOptions::unlink_on_close`]).
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UnixDatagramServer};
/// use pysocket::{Socket, AF_UNIX, SOCK_DGRAM};
///
/// struct Echo;
/// impl DatagramRequestHandler for Echo {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         request.wfile.write_all(request.packet)?;
///         Ok(())
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("echo.sock");
/// let server = UnixDatagramServer::new(&path, || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = Socket::new(AF_UNIX, SOCK_DGRAM)?;
///     client.bind(dir.path().join("client.sock"))?; // a name to answer to
///     client.settimeout(Some(Duration::from_secs(10)))?;
///     client.sendto(b"ping", &path)?;
///     let (answer, from) = client.recvfrom(64)?;
///     assert_eq!((answer.as_slice(), &from), (&b"ping"[..], server.server_address()));
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct UnixDatagramServer<H> {
    server: UdpServer<H>,
}

impl<H: DatagramRequestHandler> UnixDatagramServer<H> {
    /// Binds to the path `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each datagram: Python's
    /// `UnixDatagramServer(path, RequestHandlerClass)`. Errors as for
    /// [`UnixStreamServer::new`].
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UnixDatagramServer;
    /// use pysocket::SOCK_DGRAM;
    /// let dir = tempfile::tempdir()?;
    /// let server = UnixDatagramServer::new(dir.path().join("app.sock"), || Echo)?;
    /// assert_eq!(server.socket().kind(), SOCK_DGRAM);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<UnixDatagramServer<H>> {
        UnixDatagramServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds to the path `server_address` with `options` (Python's class
    /// attributes; the family is always `AF_UNIX`); `handler` makes the
    /// handler of each datagram.
    ///
    /// On Linux, a name starting with `"\0"` is in the abstract namespace:
    /// no file is made.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, UnixDatagramServer};
    /// let options = ServerOptions::new().max_packet_size(1500);
    /// if cfg!(target_os = "linux") {
    ///     let name = format!("\0pysocket-doc-{}", std::process::id());
    ///     let server = UnixDatagramServer::with_options(name.as_str(), || Echo, options)?;
    ///     assert_eq!(server.server_address().to_string(), format!("@{}", &name[1..]));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<UnixDatagramServer<H>> {
        let server = UdpServer::with_options(server_address, handler, unix(options))?;
        Ok(UnixDatagramServer { server })
    }

    /// Closes the server's socket and removes its socket file: Python's
    /// `server_close()`, which leaves the file. Dropping the server does
    /// the same.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UnixDatagramServer;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    /// let server = UnixDatagramServer::new(&path, || Echo)?;
    /// server.server_close();
    /// assert!(!path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Deref for UnixDatagramServer<H> {
    type Target = UdpServer<H>;

    fn deref(&self) -> &UdpServer<H> {
        &self.server
    }
}

impl<H> fmt::Debug for UnixDatagramServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base: &BaseServer = &self.server;
        f.debug_tuple("UnixDatagramServer").field(base).finish()
    }
}

/// A datagram server on an `AF_UNIX` socket that handles each datagram in a
/// thread of its own: Python's `socketserver.ThreadingUnixDatagramServer`.
/// It is a [`ThreadingUdpServer`] bound to a path (or, on Linux, an
/// abstract name given as `"\0name"`), and derefs to it; clients get
/// answers only if bound to a name, as for [`UnixDatagramServer`]. Closing
/// the server joins its handler threads and removes the socket file it
/// made (Python leaves it; see [`ServerOptions::unlink_on_close`]).
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use pysocket::server::{
///     DatagramRequest, DatagramRequestHandler, HandlerResult, ThreadingUnixDatagramServer,
/// };
/// use pysocket::{Socket, AF_UNIX, SOCK_DGRAM};
///
/// struct Echo;
/// impl DatagramRequestHandler for Echo {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         request.wfile.write_all(request.packet)?;
///         Ok(())
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("echo.sock");
/// let server = ThreadingUnixDatagramServer::new(&path, || Echo)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = Socket::new(AF_UNIX, SOCK_DGRAM)?;
///     client.bind(dir.path().join("client.sock"))?; // a name to answer to
///     client.settimeout(Some(Duration::from_secs(10)))?;
///     client.sendto(b"ping", &path)?;
///     assert_eq!(client.recvfrom(64)?.0, b"ping");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// server.server_close();
/// assert!(!path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ThreadingUnixDatagramServer<H> {
    server: ThreadingUdpServer<H>,
}

impl<H: DatagramRequestHandler + 'static> ThreadingUnixDatagramServer<H> {
    /// Binds to the path `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each datagram, in that
    /// datagram's thread: Python's
    /// `ThreadingUnixDatagramServer(path, RequestHandlerClass)`. Errors as
    /// for [`UnixStreamServer::new`].
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUnixDatagramServer;
    /// use pysocket::SOCK_DGRAM;
    /// let dir = tempfile::tempdir()?;
    /// let server = ThreadingUnixDatagramServer::new(dir.path().join("app.sock"), || Echo)?;
    /// assert_eq!(server.socket().kind(), SOCK_DGRAM);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<ThreadingUnixDatagramServer<H>> {
        ThreadingUnixDatagramServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds to the path `server_address` with `options` (Python's class
    /// attributes; the family is always `AF_UNIX`); `handler` makes the
    /// handler of each datagram, in that datagram's thread.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingUnixDatagramServer};
    /// let dir = tempfile::tempdir()?;
    /// let options = ServerOptions::new().max_threads(4);
    /// let path = dir.path().join("app.sock");
    /// let server = ThreadingUnixDatagramServer::with_options(&path, || Echo, options)?;
    /// assert_eq!(server.active_threads(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<ThreadingUnixDatagramServer<H>> {
        let server = ThreadingUdpServer::with_options(server_address, handler, unix(options))?;
        Ok(ThreadingUnixDatagramServer { server })
    }

    /// Closes the server's socket, joins its handler threads (unless
    /// [`ServerOptions::block_on_close`] is off) and removes its socket
    /// file: Python's `server_close()`, which leaves the file. Dropping the
    /// server does the same.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUnixDatagramServer;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.sock");
    /// let server = ThreadingUnixDatagramServer::new(&path, || Echo)?;
    /// server.server_close();
    /// assert!(!path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Deref for ThreadingUnixDatagramServer<H> {
    type Target = ThreadingUdpServer<H>;

    fn deref(&self) -> &ThreadingUdpServer<H> {
        &self.server
    }
}

impl<H> fmt::Debug for ThreadingUnixDatagramServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base: &BaseServer = &self.server;
        f.debug_tuple("ThreadingUnixDatagramServer")
            .field(base)
            .finish()
    }
}
