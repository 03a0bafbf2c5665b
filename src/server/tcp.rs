//! [`TcpServer`]: one connection at a time, inside `serve_forever`.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use super::base::{BaseServer, ServeLoop};
use super::control::TrackedSocket;
use super::stream::StreamService;
use super::{RequestHandler, ServerOptions};
use crate::address::ToAddress;
use crate::error::Result;
use crate::select::{EventMask, Selector, SelectorKey};

/// A TCP server that handles one connection at a time, inside
/// [`serve_forever`](TcpServer::serve_forever): Python's
/// `socketserver.TCPServer`.
///
/// Simple and predictable, but a slow client holds up every other; see
/// [`ThreadingTcpServer`](super::ThreadingTcpServer) and
/// [`SelectorTcpServer`](super::SelectorTcpServer) for servers that do not
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
#[doc(alias = "TCPServer")]
pub struct TcpServer<H> {
    base: BaseServer,
    service: StreamService<H>,
}

impl<H: RequestHandler> TcpServer<H> {
    /// Binds and listens on `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each connection: Python's
    /// `TCPServer(server_address, RequestHandlerClass)`.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::TcpServer;
    /// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<TcpServer<H>> {
        TcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds and listens on `server_address` with `options` (Python's class
    /// attributes); `handler` makes the handler of each connection.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().allow_reuse_address(true);
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<TcpServer<H>> {
        let (base, service) = StreamService::bind(server_address, handler, options, true)?;
        Ok(TcpServer { base, service })
    }

    /// Handles connections one after another until
    /// [`shutdown`](super::BaseServer::shutdown): Python's
    /// `serve_forever(poll_interval)`. A shutdown wakes the loop at once;
    /// `poll_interval` only bounds each wait. An error is returned only if
    /// waiting itself fails, or if `serve_forever` already runs.
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
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    ///     serving.join().unwrap()
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        self.base.serve(poll_interval, self)
    }

    /// Waits for one request and handles it, then returns: Python's
    /// `handle_request()`. The wait lasts at most
    /// [`ServerOptions::server_timeout`](super::ServerOptions::server_timeout)
    /// (for ever by default); when it passes with no request, the
    /// [`handle_timeout`](super::ServerOptions::handle_timeout) hook runs.
    /// An error only if waiting fails, or if `serve_forever` or
    /// `handle_request` already runs.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, TcpServer};
    /// let options = ServerOptions::new().server_timeout(Some(Duration::from_millis(10)));
    /// let server = TcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.handle_request()?; // nobody came: returns after 10 ms
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle_request(&self) -> Result<()> {
        self.base.handle_one(self)
    }

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::TcpServer;
    /// let server = TcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// let addr = server.server_address().clone();
    /// server.server_close();
    /// let client = pysocket::Socket::new(pysocket::AF_INET, pysocket::SOCK_STREAM)?;
    /// assert_eq!(client.connect_ex(addr)?, libc::ECONNREFUSED);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_close(self) {}
}

/// [`TcpServer::serve_forever`]'s loop: a ready listener gives one
/// connection, served to its end before the loop waits again.
impl<H: RequestHandler> ServeLoop for &TcpServer<H> {
    fn handle_ready(&mut self, _: &mut Selector<()>, _: &[(SelectorKey<()>, EventMask)]) {
        if let Some((conn, client_address)) = self.base.accept() {
            let conn = TrackedSocket::new(self.base.control(), conn);
            self.service.process(&conn.socket, client_address);
        }
    }
}

impl<H> Deref for TcpServer<H> {
    type Target = BaseServer;

    fn deref(&self) -> &BaseServer {
        &self.base
    }
}

impl<H> fmt::Debug for TcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpServer").field(&self.base).finish()
    }
}
