//! [`SelectorTcpServer`]: every connection from one thread around a
//! [`Selector`], with a [`ConnectionHandler`] called as events arrive.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::net::Shutdown;
use std::ops::Deref;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use super::base::{BaseServer, ServeLoop};
use super::{guarded, make, Factory, HandlerResult, RequestError, ServerHandle, ServerOptions};
use crate::address::{Address, ToAddress};
use crate::constants::SockType;
use crate::error::{Error, Result};
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;

/// How much output a [`SelectorTcpServer`] connection may queue before the
/// server stops reading from it until the client has taken some.
const HIGH_WATER: usize = 256 * 1024;

/// How many connections a [`SelectorTcpServer`] accepts per wake-up.
const ACCEPTS_PER_ROUND: usize = 64;

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
///
/// ```
/// use std::time::Duration;
/// use pysocket::create_connection;
/// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
///
/// struct Handler;
/// impl ConnectionHandler for Handler {
///     fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
///         conn.write(data);
///         Ok(())
///     }
/// }
///
/// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
///     client.sendall(b"echo")?;
///     assert_eq!(client.recv(16)?, b"echo");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// # Ok::<(), pysocket::Error>(())
/// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// struct Handler;
    /// impl ConnectionHandler for Handler {
    ///     fn connection_made(&mut self, conn: &mut Connection<'_>) -> HandlerResult {
    ///         conn.write(b"welcome\n");
    ///         Ok(())
    ///     }
    ///     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     assert_eq!(client.recv(16)?, b"welcome\n");
    ///     server.shutdown();
    ///     Ok::<(), pysocket::Error>(())
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn write(&mut self, data: &[u8]) {
        self.output.extend_from_slice(data);
    }

    /// Closes the connection once what was written has been sent; nothing
    /// more is read from it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// struct Handler;
    /// impl ConnectionHandler for Handler {
    ///     fn data_received(&mut self, _: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
    ///         conn.write(b"bye\n");
    ///         conn.close();
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     client.sendall(b"quit\n")?;
    ///     assert_eq!(client.recv(16)?, b"bye\n");
    ///     assert!(client.recv(16)?.is_empty()); // closed after the answer went out
    ///     server.shutdown();
    ///     Ok::<(), pysocket::Error>(())
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn close(&mut self) {
        *self.closing = true;
    }

    /// The client's address.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// struct Handler;
    /// impl ConnectionHandler for Handler {
    ///     fn connection_made(&mut self, conn: &mut Connection<'_>) -> HandlerResult {
    ///         let port = conn.client_address().port().unwrap_or(0);
    ///         conn.write(port.to_string().as_bytes());
    ///         conn.close();
    ///         Ok(())
    ///     }
    ///     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     let port = client.getsockname()?.port().unwrap();
    ///     assert_eq!(client.recv(16)?, port.to_string().as_bytes());
    ///     server.shutdown();
    ///     Ok::<(), pysocket::Error>(())
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn client_address(&self) -> &Address {
        self.client_address
    }

    /// The connection's socket, for its options and addresses. Reading or
    /// writing it directly would get in the way of the server.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// struct Handler;
    /// impl ConnectionHandler for Handler {
    ///     fn connection_made(&mut self, conn: &mut Connection<'_>) -> HandlerResult {
    ///         conn.socket().setsockopt(pysocket::IPPROTO_TCP, pysocket::TCP_NODELAY, true)?;
    ///         conn.write(b"ready");
    ///         Ok(())
    ///     }
    ///     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     assert_eq!(client.recv(16)?, b"ready");
    ///     server.shutdown();
    ///     Ok::<(), pysocket::Error>(())
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn socket(&self) -> &Socket {
        self.socket
    }

    /// How many bytes are queued and not yet sent (asyncio's
    /// `get_write_buffer_size`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// struct Handler;
    /// impl ConnectionHandler for Handler {
    ///     fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
    ///         let before = conn.buffered();
    ///         conn.write(data);
    ///         conn.write(format!(" (queued {before})").as_bytes());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Handler)?;
    /// std::thread::scope(|scope| {
    ///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     client.sendall(b"x")?;
    ///     assert_eq!(client.recv(64)?, b"x (queued 0)");
    ///     server.shutdown();
    ///     Ok::<(), pysocket::Error>(())
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn buffered(&self) -> usize {
        self.output.len()
    }

    /// The server, to [`shutdown`](ServerHandle::shutdown) it from a handler.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::create_connection;
    /// use pysocket::server::{Connection, ConnectionHandler, HandlerResult, SelectorTcpServer};
    ///
    /// /// Stops the server when a client says so.
    /// struct Stop;
    /// impl ConnectionHandler for Stop {
    ///     fn data_received(&mut self, _: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
    ///         conn.server().shutdown(); // from serve_forever's thread: only asks
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Stop)?;
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     let client = create_connection(server.server_address(), Some(Duration::from_secs(10)))?;
    ///     client.sendall(b"stop")?;
    ///     serving.join().unwrap() // serve_forever returns
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server(&self) -> &ServerHandle {
        self.server
    }
}

/// A TCP server that serves every connection from the one thread running
/// [`serve_forever`](SelectorTcpServer::serve_forever), around a
/// [`Selector`]: non-blocking sockets, and a [`ConnectionHandler`] called as
/// data arrives. Thousands of idle connections cost a socket and a handler
/// each, not a thread.
///
/// Output a client does not take is queued; past 256 KiB the server stops
/// reading from that client until it catches up. With
/// [`ServerOptions::timeout`], a connection that neither receives nor sends
/// for that long is closed (its handler's `connection_lost` gets
/// [`Error::Timeout`]). Connections close when `serve_forever` returns.
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
    base: BaseServer,
    factory: Factory<H>,
}

/// A connection of a [`SelectorTcpServer`], owned by its loop.
struct Peer<H> {
    /// Unique among the loop's connections (a descriptor number is reused).
    id: u64,
    /// When the connection last received or sent, as the loop's clock read
    /// it (with [`ServerOptions::timeout`] only).
    active: Instant,
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
    ///
    /// ```
    /// # use pysocket::server::{Connection, ConnectionHandler, HandlerResult};
    /// # struct Echo;
    /// # impl ConnectionHandler for Echo {
    /// #     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::SelectorTcpServer;
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<SelectorTcpServer<H>> {
        SelectorTcpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds and listens on `server_address` with `options` (Python's class
    /// attributes); `handler` makes the handler of each connection.
    ///
    /// ```
    /// # use pysocket::server::{Connection, ConnectionHandler, HandlerResult};
    /// # struct Echo;
    /// # impl ConnectionHandler for Echo {
    /// #     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{SelectorTcpServer, ServerOptions};
    /// let options = ServerOptions::new().request_queue_size(128);
    /// let server = SelectorTcpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<SelectorTcpServer<H>> {
        let base = BaseServer::bind(server_address, SockType::STREAM, options, false)?;
        Ok(SelectorTcpServer {
            base,
            factory: Box::new(handler),
        })
    }

    /// Serves every connection from this thread until
    /// [`shutdown`](super::BaseServer::shutdown), then closes them (each
    /// handler's [`connection_lost`](ConnectionHandler::connection_lost)
    /// runs with `None`).
    ///
    /// ```
    /// # use pysocket::server::{Connection, ConnectionHandler, HandlerResult};
    /// # struct Echo;
    /// # impl ConnectionHandler for Echo {
    /// #     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::SelectorTcpServer;
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    ///     serving.join().unwrap()
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        let peers = Peers {
            server: self,
            listener: self.base.socket.as_raw_fd(),
            peers: PeerTable::default(),
            buffer: Vec::new(),
            idle: self.base.options.timeout.map(IdleLimit::new),
            next_id: 0,
        };
        self.base.serve(poll_interval, peers)
    }

    fn accept_all(
        &self,
        selector: &mut Selector<()>,
        peers: &mut PeerTable<H>,
        idle: &mut Option<IdleLimit>,
        next_id: &mut u64,
    ) {
        let options = &self.base.options;
        let now = idle.as_mut().map_or_else(Instant::now, IdleLimit::now);
        for _ in 0..ACCEPTS_PER_ROUND {
            let Some((socket, client_address)) = self.base.accept() else {
                return;
            };
            let prepared = socket
                .setblocking(false)
                .and_then(|()| options.set_nodelay(&socket))
                .and_then(|()| selector.register(&socket, EventMask::READ, ()).map(drop));
            if let Err(err) = prepared {
                options.report(&RequestError::Server(err), Some(&client_address));
                continue;
            }
            let handler = match make(&self.factory) {
                Ok(handler) => handler,
                Err(err) => {
                    let _ = selector.unregister(&socket);
                    options.report(&err, Some(&client_address));
                    continue;
                }
            };
            *next_id += 1;
            let mut peer = Peer {
                id: *next_id,
                active: now,
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
                    let (id, fd) = (peer.id, peer.socket.as_raw_fd());
                    match peers.insert(peer) {
                        Ok(()) => {
                            if let Some(idle) = idle {
                                idle.watch(now, id, fd);
                            }
                        }
                        Err(peer) => self.close_peer(selector, peer, None),
                    }
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
        peers: &mut PeerTable<H>,
        fd: RawFd,
        events: EventMask,
        buffer: &mut Vec<u8>,
        idle: &mut Option<IdleLimit>,
    ) {
        let Some(peer) = peers.get_mut(fd) else {
            return;
        };
        if let Some(idle) = idle {
            // Readable or writable: it received, or its client took output
            // (or it failed, and closes now).
            peer.active = idle.now();
        }
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
        if let Some(peer) = peers.remove(fd) {
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
            server: &self.base.handle,
        };
        match guarded(|| call(handler, &mut conn)) {
            Ok(()) => Fate::Keep,
            Err(err) => {
                self.base.options.report(&err, Some(&peer.client_address));
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
            self.base.options.report(&err, Some(&peer.client_address));
        }
        let _ = peer.socket.shutdown(Shutdown::Write);
    }

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    ///
    /// ```
    /// # use pysocket::server::{Connection, ConnectionHandler, HandlerResult};
    /// # struct Echo;
    /// # impl ConnectionHandler for Echo {
    /// #     fn data_received(&mut self, _: &[u8], _: &mut Connection<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::SelectorTcpServer;
    /// let server = SelectorTcpServer::new(("127.0.0.1", 0), || Echo)?;
    /// server.server_close();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_close(self) {}
}

/// [`SelectorTcpServer::serve_forever`]'s loop: the connections it owns, and
/// the buffer every `recv` reads into.
struct Peers<'s, H> {
    server: &'s SelectorTcpServer<H>,
    listener: RawFd,
    peers: PeerTable<H>,
    buffer: Vec<u8>,
    /// With [`ServerOptions::timeout`]: when each connection falls silent.
    idle: Option<IdleLimit>,
    next_id: u64,
}

/// [`ServerOptions::timeout`] for a [`SelectorTcpServer`]: when each
/// connection is due to be looked at. A connection's entry is not moved
/// when it is active (that only updates its `active`); when the entry comes
/// due, a connection active since is put back for its new deadline, so each
/// costs at most one heap operation per `limit`.
struct IdleLimit {
    limit: Duration,
    /// (deadline, connection id, descriptor), earliest first.
    queue: BinaryHeap<Reverse<(Instant, u64, RawFd)>>,
    /// The clock, read at most once per round of ready connections.
    now: Option<Instant>,
}

impl IdleLimit {
    fn new(limit: Duration) -> IdleLimit {
        IdleLimit {
            limit,
            queue: BinaryHeap::new(),
            now: None,
        }
    }

    /// This round's time.
    fn now(&mut self) -> Instant {
        *self.now.get_or_insert_with(Instant::now)
    }

    /// Ends the round: the next one reads the clock again.
    fn forget_now(&mut self) {
        self.now = None;
    }

    /// Watches a connection active at `now`.
    fn watch(&mut self, now: Instant, id: u64, fd: RawFd) {
        self.watch_until(now + self.limit, id, fd);
    }

    fn watch_until(&mut self, deadline: Instant, id: u64, fd: RawFd) {
        self.queue.push(Reverse((deadline, id, fd)));
    }

    /// The next entry due at `now`, taken out.
    fn due(&mut self, now: Instant) -> Option<(u64, RawFd)> {
        let Reverse((deadline, ..)) = self.queue.peek()?;
        if *deadline > now {
            return None;
        }
        self.queue.pop().map(|Reverse((_, id, fd))| (id, fd))
    }

    /// When the next entry comes due.
    fn next(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((deadline, ..))| *deadline)
    }
}

/// The connections of [`SelectorTcpServer::serve_forever`]'s loop, found by
/// descriptor number with two indexings and no hashing (a `HashMap` with
/// std's SipHash cost about a hundred instructions an event): `slots[fd]` is
/// the connection's place in `peers`, which holds them packed. Descriptor
/// numbers are small integers the kernel reuses, so `slots` costs 4 bytes
/// per number up to the highest, and `peers` follows the number of
/// connections.
struct PeerTable<H> {
    slots: Vec<u32>,
    peers: Vec<Peer<H>>,
}

/// A slot with no connection.
const VACANT: u32 = u32::MAX;

impl<H> Default for PeerTable<H> {
    fn default() -> PeerTable<H> {
        PeerTable {
            slots: Vec::new(),
            peers: Vec::new(),
        }
    }
}

impl<H> PeerTable<H> {
    /// The slot of descriptor `fd` (an open descriptor is never negative).
    fn slot(fd: RawFd) -> Option<usize> {
        usize::try_from(fd).ok()
    }

    /// Adds a connection under its socket's descriptor; gives it back if it
    /// cannot be kept (a negative descriptor, or more than `u32::MAX - 1`
    /// connections: neither happens).
    // The connection given back is moved once, on a failure that closes it.
    #[allow(clippy::result_large_err)]
    fn insert(&mut self, peer: Peer<H>) -> std::result::Result<(), Peer<H>> {
        let (Some(slot), Ok(index)) = (
            PeerTable::<H>::slot(peer.socket.as_raw_fd()),
            u32::try_from(self.peers.len()),
        ) else {
            return Err(peer);
        };
        if index == VACANT {
            return Err(peer);
        }
        if slot >= self.slots.len() {
            self.slots.resize(slot + 1, VACANT);
        }
        self.slots[slot] = index;
        self.peers.push(peer);
        Ok(())
    }

    fn get_mut(&mut self, fd: RawFd) -> Option<&mut Peer<H>> {
        let index = *self.slots.get(PeerTable::<H>::slot(fd)?)?;
        self.peers.get_mut(index as usize)
    }

    /// Takes the connection of descriptor `fd` out; the last one moves to
    /// its place.
    fn remove(&mut self, fd: RawFd) -> Option<Peer<H>> {
        let slot = PeerTable::<H>::slot(fd)?;
        let index = *self.slots.get(slot)? as usize;
        if index >= self.peers.len() {
            return None;
        }
        self.slots[slot] = VACANT;
        let peer = self.peers.swap_remove(index);
        if let Some(moved) = self.peers.get(index) {
            if let Some(moved) = PeerTable::<H>::slot(moved.socket.as_raw_fd()) {
                // `index` fits: it was the place of a connection.
                self.slots[moved] = index as u32;
            }
        }
        Some(peer)
    }

    /// Takes every connection out.
    fn get(&self, fd: RawFd) -> Option<&Peer<H>> {
        let index = *self.slots.get(PeerTable::<H>::slot(fd)?)?;
        self.peers.get(index as usize)
    }

    fn drain(&mut self) -> std::vec::Drain<'_, Peer<H>> {
        self.slots.clear();
        self.peers.drain(..)
    }
}

impl<H: ConnectionHandler> ServeLoop for Peers<'_, H> {
    fn handle_ready(
        &mut self,
        selector: &mut Selector<()>,
        ready: &[(SelectorKey<()>, EventMask)],
    ) {
        for (key, events) in ready {
            if key.fd == self.listener {
                self.server.accept_all(
                    selector,
                    &mut self.peers,
                    &mut self.idle,
                    &mut self.next_id,
                );
            } else {
                let (peers, buffer) = (&mut self.peers, &mut self.buffer);
                self.server
                    .service(selector, peers, key.fd, *events, buffer, &mut self.idle);
            }
        }
        if let Some(idle) = &mut self.idle {
            idle.forget_now();
        }
    }

    /// Closes the connections silent for the options' `timeout`, each
    /// reported as [`Error::Timeout`] to `handle_error` and to its handler's
    /// `connection_lost`, as a blocking handler's read that timed out would
    /// be.
    fn timers(&mut self, selector: &mut Selector<()>) -> Option<Instant> {
        let idle = self.idle.as_mut()?;
        let now = Instant::now();
        while let Some((id, fd)) = idle.due(now) {
            let Some(peer) = self.peers.get(fd).filter(|peer| peer.id == id) else {
                continue; // closed already
            };
            let deadline = peer.active + idle.limit;
            if deadline > now {
                idle.watch_until(deadline, id, fd);
                continue;
            }
            if let Some(peer) = self.peers.remove(fd) {
                let err = RequestError::Server(Error::Timeout);
                self.server
                    .base
                    .options
                    .report(&err, Some(&peer.client_address));
                self.server.close_peer(selector, peer, Some(Error::Timeout));
            }
        }
        idle.next()
    }

    /// Closes every connection: they end with the loop.
    fn stopped(&mut self, selector: &mut Selector<()>) {
        for peer in self.peers.drain() {
            self.server.close_peer(selector, peer, None);
        }
    }
}

impl<H> Deref for SelectorTcpServer<H> {
    type Target = BaseServer;

    fn deref(&self) -> &BaseServer {
        &self.base
    }
}

impl<H> fmt::Debug for SelectorTcpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SelectorTcpServer")
            .field(&self.base)
            .finish()
    }
}
