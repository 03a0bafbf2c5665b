//! [`UdpServer`]: one datagram at a time, answered by a
//! [`DatagramRequestHandler`].

use std::fmt;
use std::io::Cursor;
use std::ops::Deref;
use std::time::Duration;

use super::base::{BaseServer, ServeLoop};
use super::{make, run_handler, Factory, HandlerResult, RequestError, ServerHandle, ServerOptions};
use crate::address::{Address, ToAddress};
use crate::constants::SockType;
use crate::error::Result;
use crate::flags::MsgFlags;
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;

/// The handler of one datagram of a [`UdpServer`]: Python's
/// `DatagramRequestHandler`.
///
/// [`setup`](DatagramRequestHandler::setup), [`handle`](DatagramRequestHandler::handle)
/// and [`finish`](DatagramRequestHandler::finish) run as for a
/// [`RequestHandler`](super::RequestHandler); then what was written to
/// [`DatagramRequest::wfile`], if anything, goes back to the client in one
/// datagram.
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
/// `DatagramRequestHandler` sets up (`self.packet`, `self.socket`,
/// `self.client_address`, `self.rfile`, `self.wfile`, `self.server`).
///
/// ```
/// use std::io::{Read, Write};
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
///
/// /// Answers with the datagram's length and the sender's port.
/// struct Describe;
/// impl DatagramRequestHandler for Describe {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         let mut text = String::new();
///         request.rfile.read_to_string(&mut text)?;
///         let port = request.client_address.port().unwrap_or(0);
///         write!(request.wfile, "{} bytes from port {port}", text.len())?;
///         Ok(())
///     }
/// }
/// ```
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
#[doc(alias = "UDPServer")]
pub struct UdpServer<H> {
    base: BaseServer,
    factory: Factory<H>,
}

impl<H: DatagramRequestHandler> UdpServer<H> {
    /// Binds to `server_address` with [`ServerOptions::new`]'s defaults;
    /// `handler` makes the handler of each datagram: Python's
    /// `UDPServer(server_address, RequestHandlerClass)`.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UdpServer;
    /// let server = UdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<UdpServer<H>> {
        UdpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds to `server_address` with `options` (Python's class attributes);
    /// `handler` makes the handler of each datagram.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, UdpServer};
    /// let options = ServerOptions::new().max_packet_size(1500);
    /// let server = UdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<UdpServer<H>> {
        let base = BaseServer::bind(server_address, SockType::DGRAM, options, false)?;
        Ok(UdpServer {
            base,
            factory: Box::new(handler),
        })
    }

    /// Handles datagrams one after another until
    /// [`shutdown`](super::BaseServer::shutdown): Python's `serve_forever(poll_interval)`.
    /// A shutdown wakes the loop at once; `poll_interval` only bounds each wait.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::UdpServer;
    /// let server = UdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    ///     serving.join().unwrap()
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        let datagrams = Datagrams {
            server: self,
            packet: Vec::new(),
            wfile: Vec::new(),
            drain: true,
        };
        self.base.serve(poll_interval, datagrams)
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
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, UdpServer};
    /// let options = ServerOptions::new().server_timeout(Some(Duration::from_millis(10)));
    /// let server = UdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.handle_request()?; // nobody came: returns after 10 ms
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle_request(&self) -> Result<()> {
        self.base.handle_one(Datagrams {
            server: self,
            packet: Vec::new(),
            wfile: Vec::new(),
            drain: false,
        })
    }

    /// Receives one datagram, if one is there, and runs its handler.
    /// Returns whether the socket may have more to give.
    fn handle_datagram(&self, packet: &mut Vec<u8>, wfile: &mut Vec<u8>) -> bool {
        let (len, client_address) = match self.receive(packet) {
            Received::Datagram(len, client_address) => (len, client_address),
            Received::Nothing => return true,
            Received::Drained => return false,
        };
        let report = |err: RequestError| self.base.options.report(&err, Some(&client_address));
        let Ok(mut handler) = make(&self.factory).map_err(&report) else {
            return true;
        };
        let data = &packet[..len];
        wfile.clear();
        let mut request = DatagramRequest {
            packet: data,
            socket: &self.base.socket,
            client_address: client_address.clone(),
            rfile: Cursor::new(data),
            wfile: std::mem::take(wfile),
            server: &self.base.handle,
        };
        let phases = [H::setup, H::handle, H::finish];
        if run_handler(&mut handler, &mut request, phases, report) && !request.wfile.is_empty() {
            if let Err(err) = self.base.socket.sendto(&request.wfile, &client_address) {
                report(RequestError::Server(err));
            }
        }
        *wfile = request.wfile;
        true
    }

    /// Receives a datagram into `packet` if one is there, without waiting:
    /// its length and sender. Failures that leave nothing to serve are
    /// reported or passed over.
    fn receive(&self, packet: &mut Vec<u8>) -> Received {
        let options = &self.base.options;
        if packet.len() != options.max_packet_size {
            packet.resize(options.max_packet_size, 0);
        }
        // The socket stays blocking so that answers wait for room; only this
        // receive must not wait.
        let received = self
            .base
            .socket
            .recvfrom_into_with_flags(packet, MsgFlags::DONTWAIT);
        match received {
            Ok((len, client_address)) => Received::Datagram(len, client_address),
            Err(err) if err.is_would_block() => Received::Drained,
            // An ICMP error for an earlier answer, or a signal: nothing to serve.
            Err(err) if matches!(err.errno(), Some(libc::ECONNREFUSED | libc::EINTR)) => {
                Received::Nothing
            }
            Err(err) => {
                options.report(&RequestError::Server(err), None);
                Received::Drained
            }
        }
    }

    /// Closes the server's socket: Python's `server_close()`. Dropping the
    /// server does the same.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::UdpServer;
    /// let server = UdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// server.server_close();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_close(self) {}
}

/// The most datagrams [`UdpServer::serve_forever`] handles after one wait,
/// before it looks at the hooks again.
const PER_WAKE: usize = 256;

/// What one receive gave.
enum Received {
    /// A datagram of this length, from this sender.
    Datagram(usize, Address),
    /// Nothing to serve, but more may be there (an error that a receive
    /// reports in place of a datagram).
    Nothing,
    /// Nothing more for now.
    Drained,
}

/// [`UdpServer::serve_forever`]'s loop, with the buffer every datagram is
/// received into and the one every answer is written into.
struct Datagrams<'s, H> {
    server: &'s UdpServer<H>,
    packet: Vec<u8>,
    wfile: Vec<u8>,
    /// Whether to go on receiving until the socket has nothing more
    /// (`serve_forever`), or to handle one datagram (`handle_request`).
    drain: bool,
}

impl<H: DatagramRequestHandler> ServeLoop for Datagrams<'_, H> {
    fn handle_ready(&mut self, _: &mut Selector<()>, _: &[(SelectorKey<()>, EventMask)]) {
        let server = self.server;
        let rounds = if self.drain { PER_WAKE } else { 1 };
        for _ in 0..rounds {
            if !server.handle_datagram(&mut self.packet, &mut self.wfile)
                || server.base.control().shutdown_requested()
            {
                return;
            }
        }
    }
}

impl<H> Deref for UdpServer<H> {
    type Target = BaseServer;

    fn deref(&self) -> &BaseServer {
        &self.base
    }
}

impl<H> fmt::Debug for UdpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpServer").field(&self.base).finish()
    }
}
