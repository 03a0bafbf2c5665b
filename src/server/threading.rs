//! [`ThreadingTcpServer`]: a thread for each connection, with a bound on
//! live threads, all joined on close.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use super::base::{BaseServer, ServeLoop};
use super::control::TrackedSocket;
use super::stream::StreamService;
use super::threads::HandlerThreads;
use super::{RequestHandler, ServerOptions, DEFAULT_POLL_INTERVAL};
use crate::address::{Address, ToAddress};
use crate::error::Result;
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;

/// A TCP server that handles each connection in a thread of its own:
/// Python's `socketserver.ThreadingTCPServer`, with a bound on live threads
/// ([`ServerOptions::max_threads`]): when it is reached, the server accepts
/// nothing until a thread finishes.
///
/// [`server_close`](ThreadingTcpServer::server_close) (and drop) joins every
/// handler thread, after cutting connections still open (see the
/// [module docs](super#stopping)).
///
/// ```
/// use std::io::{BufRead, Write};
/// use std::time::Duration;
/// use pysocket::create_connection;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest, ThreadingTcpServer};
///
/// /// Answers each line in upper case.
/// struct Shout;
/// impl RequestHandler for Shout {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         let mut line = String::new();
///         while request.rfile.read_line(&mut line)? > 0 {
///             request.wfile.write_all(line.to_uppercase().as_bytes())?;
///             request.wfile.flush()?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
///
/// let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Shout)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     // Two clients at once, each served by its own thread.
///     let first = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
///     let second = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
///     second.sendall(b"two\n")?;
///     first.sendall(b"one\n")?;
///     assert_eq!(second.recv(16)?, b"TWO\n");
///     assert_eq!(first.recv(16)?, b"ONE\n");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// server.server_close(); // cuts the open connections and joins the threads
/// # Ok::<(), pysocket::Error>(())
/// ```
#[doc(alias = "ThreadingTCPServer")]
pub struct ThreadingTcpServer<H> {
    base: BaseServer,
    service: Arc<StreamService<H>>,
    threads: HandlerThreads,
}

impl<H: RequestHandler + 'static> ThreadingTcpServer<H> {
    /// Binds and listens on `server_address` with [`ServerOptions::new`]'s
    /// defaults; `handler` makes the handler of each connection, in that
    /// connection's thread: Python's
    /// `ThreadingTCPServer(server_address, RequestHandlerClass)`.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingTcpServer;
    /// let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<ThreadingTcpServer<H>> {
        ThreadingTcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds and listens on `server_address` with `options` (Python's class
    /// attributes); `handler` makes the handler of each connection, in that
    /// connection's thread.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingTcpServer};
    /// let options = ServerOptions::new().max_threads(8);
    /// let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<ThreadingTcpServer<H>> {
        let (base, service) = StreamService::bind(server_address, handler, options, false)?;
        Ok(ThreadingTcpServer {
            base,
            service: Arc::new(service),
            threads: HandlerThreads::default(),
        })
    }

    /// Accepts connections and starts a handler thread for each until
    /// [`shutdown`](super::BaseServer::shutdown): Python's
    /// `serve_forever(poll_interval)`. Handler threads go on after it
    /// returns, until [`server_close`](ThreadingTcpServer::server_close).
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::ThreadingTcpServer;
    /// let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    ///     serving.join().unwrap()
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        self.base.serve(
            poll_interval,
            Threading {
                server: self,
                poll_interval,
            },
        )
    }

    /// Waits for one request and handles it, then returns: Python's
    /// `handle_request()`. The wait lasts at most
    /// [`ServerOptions::server_timeout`](super::ServerOptions::server_timeout)
    /// (for ever by default); when it passes with no request, the
    /// [`handle_timeout`](super::ServerOptions::handle_timeout) hook runs.
    /// An error only if waiting fails, or if `serve_forever` or
    /// `handle_request` already runs.
    /// The connection is served in a thread of its own, as by
    /// `serve_forever`; when every thread is busy, it waits at most
    /// [`DEFAULT_POLL_INTERVAL`](super::DEFAULT_POLL_INTERVAL) for one, and
    /// returns without taking the connection if none finished.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, ThreadingTcpServer};
    /// let options = ServerOptions::new().server_timeout(Some(Duration::from_millis(10)));
    /// let server = ThreadingTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.handle_request()?; // nobody came: returns after 10 ms
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle_request(&self) -> Result<()> {
        self.base.handle_one(Threading {
            server: self,
            poll_interval: DEFAULT_POLL_INTERVAL,
        })
    }

    /// Waits until fewer than `max_threads` handlers run. Returns `false` if a
    /// shutdown came first.
    fn wait_for_slot(&self, poll_interval: Duration) -> bool {
        self.base
            .control()
            .wait_for_fewer(self.service.options.max_threads, poll_interval)
    }

    /// Python's `ThreadingMixIn.process_request`: a thread for the connection.
    fn process_request(&self, conn: Socket, client_address: Address) {
        let conn = TrackedSocket::new(self.base.control(), conn);
        let service = Arc::clone(&self.service);
        let address = client_address.clone();
        self.threads
            .spawn(&self.service.options, &address, move || {
                service.process(&conn.socket, client_address);
                // Untrack and close only as the thread is about to end, so the
                // thread bound counts live threads.
                drop(conn);
            });
    }

    /// How many handler threads are serving a connection now.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingTcpServer;
    /// let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_eq!(server.active_threads(), 0);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn active_threads(&self) -> usize {
        self.base.control().live()
    }

    /// Closes the server: its socket, and (unless
    /// [`block_on_close`](ServerOptions::block_on_close) is off) every
    /// connection still open, joining every handler thread: Python's
    /// `server_close()` with `block_on_close = True`. Dropping the server
    /// does the same.
    ///
    /// ```
    /// # use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
    /// # struct Echo;
    /// # impl RequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut StreamRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingTcpServer;
    /// let server = ThreadingTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// server.server_close();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Drop for ThreadingTcpServer<H> {
    fn drop(&mut self) {
        let control = self.base.control();
        self.threads
            .close(&self.service.options, || control.cut_all_gracefully());
    }
}

/// [`ThreadingTcpServer::serve_forever`]'s loop.
struct Threading<'s, H> {
    server: &'s ThreadingTcpServer<H>,
    poll_interval: Duration,
}

impl<H: RequestHandler + 'static> ServeLoop for Threading<'_, H> {
    fn handle_ready(&mut self, _: &mut Selector<()>, _: &[(SelectorKey<()>, EventMask)]) {
        let server = self.server;
        if server.wait_for_slot(self.poll_interval) {
            if let Some((conn, client_address)) = server.base.accept() {
                server.process_request(conn, client_address);
            }
        }
    }

    fn service_actions(&mut self) {
        self.server.threads.reap();
    }
}

impl<H> Deref for ThreadingTcpServer<H> {
    type Target = BaseServer;

    fn deref(&self) -> &BaseServer {
        &self.base
    }
}

impl<H> fmt::Debug for ThreadingTcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ThreadingTcpServer")
            .field(&self.base)
            .finish()
    }
}
