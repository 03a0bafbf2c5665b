//! [`UdpServer`]: datagrams handled one after another inside
//! `serve_forever` (received and answered in batches where the system
//! allows); [`ThreadingUdpServer`]: each datagram in a thread of its own.
//! Both answer with a [`DatagramRequestHandler`].

use std::fmt;
use std::io::{self, Cursor};
use std::mem;
use std::ops::Deref;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::base::{BaseServer, ServeLoop};
use super::threads::HandlerThreads;
use super::{
    make, run_handler, Factory, HandlerResult, RequestError, ServerHandle, ServerOptions,
    DEFAULT_POLL_INTERVAL,
};
use crate::address::{Address, ToAddress};
use crate::constants::SockType;
use crate::error::{Error, Result};
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;
use crate::sys::mmsg::{self, RecvBatch};
use crate::sys::{self, Interest};

/// The most datagrams `serve_forever` handles after one wait, before it
/// runs the hooks, looks for a shutdown and waits again.
const DATAGRAMS_PER_WAKE: usize = 256;

/// The most memory the receive slots of a batch take: a batch has fewer
/// slots when `max_packet_size` is large (one at the least).
const BATCH_BYTES: usize = 256 << 10;

/// How long answers may wait for the handlers of the datagrams received with
/// theirs before they are sent anyway, ahead of the next handler.
const FLUSH_AFTER: Duration = Duration::from_micros(100);

/// An answer buffer larger than this is not kept for the next datagram.
const KEEP_ANSWER: usize = 64 << 10;

/// The handler of one datagram of a [`UdpServer`] or a
/// [`ThreadingUdpServer`]: Python's `DatagramRequestHandler`.
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
/// Each datagram gets a handler of its own, which sees exactly the datagram
/// (cut to [`max_packet_size`](ServerOptions::max_packet_size)) and its
/// sender, as in Python; what it writes to [`DatagramRequest::wfile`] goes
/// back to the sender. A datagram that
/// [`verify_request`](ServerOptions::verify_request) refuses gets neither
/// a handler nor an answer.
///
/// # Batches
///
/// On Linux, after each wait `serve_forever` takes every datagram waiting,
/// up to 32 in one `recvmmsg(2)` call, runs their handlers one after
/// another, and sends their answers, in the order of the datagrams, in one
/// `sendmmsg(2)` call: one system call for many datagrams where Python makes
/// a `select`, a `recvfrom` and a `sendto` for each. Elsewhere it takes the
/// datagrams one `recvfrom` at a time, and sends each answer on its own.
/// What a handler sees is the same either way; the differences are when
/// the answers leave:
///
/// - An answer waits until the handlers of the other datagrams of its batch
///   have run, for about 100 µs at most (once the batch's handlers have run
///   that long, answers waiting go out before the next handler starts); a
///   slow handler holds up the answers queued before it by its own time.
/// - An answer a handler sends itself through [`DatagramRequest::socket`]
///   goes out at once, ahead of the queued answers of earlier datagrams.
/// - An answer that cannot be sent (a destination the system refuses, an
///   answer too long for a datagram) is reported through
///   [`handle_error`](ServerOptions::handle_error), as before; the answers
///   around it are sent, each once.
/// - A [`shutdown`](super::BaseServer::shutdown) asked for by a handler
///   stops the loop once the datagrams already received with its own are
///   handled: nothing received is dropped.
///
/// [`handle_request`](UdpServer::handle_request) handles exactly one
/// datagram, as Python's does, and leaves the rest in the socket.
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
    /// A shutdown wakes the loop at once; `poll_interval` only bounds each
    /// wait. See [the batches](UdpServer#batches) for how datagrams are
    /// received and answered. An error if waiting fails, if `serve_forever`
    /// or `handle_request` already runs, or if the receive buffers
    /// ([`max_packet_size`](ServerOptions::max_packet_size) bytes each)
    /// cannot be allocated.
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
        let size = self.base.options.max_packet_size;
        let slots = (BATCH_BYTES / size).max(1);
        let datagrams = Datagrams {
            server: self,
            batch: receive_room(slots, size)?,
            answers: Answers::default(),
            per_wake: DATAGRAMS_PER_WAKE,
        };
        self.base.serve(poll_interval, datagrams)
    }

    /// Waits for one datagram and handles it, then returns: Python's
    /// `handle_request()`. Exactly one: datagrams that came with it stay in
    /// the socket for the next call. The wait lasts at most
    /// [`ServerOptions::server_timeout`](super::ServerOptions::server_timeout)
    /// (for ever by default); when it passes with no request, the
    /// [`handle_timeout`](super::ServerOptions::handle_timeout) hook runs.
    /// An error only if waiting fails, if `serve_forever` or
    /// `handle_request` already runs, or if the receive buffer cannot be
    /// allocated.
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
            batch: receive_room(1, self.base.options.max_packet_size)?,
            answers: Answers::default(),
            per_wake: 1,
        })
    }

    /// Runs the handler of the `i`th datagram of `batch`, and queues its
    /// answer; or drops the datagram if
    /// [`verify_request`](ServerOptions::verify_request) refuses it.
    fn handle(&self, batch: &RecvBatch, i: usize, answers: &mut Answers) {
        let base = &self.base;
        let (packet, client_address) = match batch.sender_ip(i) {
            Some(ip) => (batch.packet(i), Address::from(ip)),
            None => {
                let (packet, from) = batch.get(i);
                (packet, base.socket.peer_address(&from))
            }
        };
        if !base.options.verified(&base.socket, &client_address) {
            return;
        }
        answers.before_handler(self, batch);
        let mut wfile = answers.spare();
        let answer = handle_datagram(
            &self.factory,
            &base.options,
            &base.socket,
            &base.handle,
            packet,
            &client_address,
            &mut wfile,
        );
        if answer && batch.has_sender(i) {
            answers.queue(wfile, i);
        } else if answer {
            answers.nowhere(self, wfile, &client_address);
        } else {
            answers.recycle(wfile);
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

/// Python's `DatagramRequestHandler` around `handle`: makes a handler and
/// runs it on `packet` from `client_address`, with `wfile` (empty) for its
/// answer, reporting what fails. Whether there is an answer to send:
/// `setup` succeeded and something was written.
fn handle_datagram<H: DatagramRequestHandler>(
    factory: &Factory<H>,
    options: &ServerOptions,
    socket: &Socket,
    server: &ServerHandle,
    packet: &[u8],
    client_address: &Address,
    wfile: &mut Vec<u8>,
) -> bool {
    let report = |err: RequestError| options.report(&err, Some(client_address));
    let Ok(mut handler) = make(factory).map_err(&report) else {
        return false;
    };
    let mut request = DatagramRequest {
        packet,
        socket,
        client_address: client_address.clone(),
        rfile: Cursor::new(packet),
        wfile: mem::take(wfile),
        server,
    };
    let handled = run_handler(
        &mut handler,
        &mut request,
        H::setup,
        H::handle,
        H::finish,
        report,
    );
    *wfile = request.wfile;
    handled && !wfile.is_empty()
}

/// Room to receive up to `slots` datagrams of `size` bytes, or an error
/// that names the size.
fn receive_room(slots: usize, size: usize) -> Result<RecvBatch> {
    RecvBatch::new(slots, size).map_err(|_| {
        Error::invalid(format!(
            "max_packet_size {size}: a receive buffer of that size cannot be allocated"
        ))
    })
}

/// What one receive gave.
enum Received {
    /// This many datagrams, in the batch.
    Datagrams(usize),
    /// Nothing to serve, but more may be there (an error that a receive
    /// reports in place of a datagram).
    Nothing,
    /// Nothing more for now.
    Drained,
}

/// Receives what is waiting in the server's socket into `batch`, without
/// waiting. Failures that leave nothing to serve are reported or passed
/// over.
fn receive(base: &BaseServer, batch: &mut RecvBatch) -> Received {
    // The socket stays blocking so that answers wait for room; only the
    // receive must not wait.
    match batch.recv(base.socket.as_fd(), libc::MSG_DONTWAIT) {
        Ok(n) => Received::Datagrams(n),
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => Received::Drained,
        // An ICMP error for an earlier answer, or a signal: nothing to serve.
        Err(err) if matches!(err.raw_os_error(), Some(libc::ECONNREFUSED | libc::EINTR)) => {
            Received::Nothing
        }
        Err(err) => {
            base.options
                .report(&RequestError::Server(Error::Io(err)), None);
            Received::Drained
        }
    }
}

/// [`UdpServer::serve_forever`]'s loop (and `handle_request`'s one step):
/// the room datagrams are received into and the answers waiting to go.
struct Datagrams<'s, H> {
    server: &'s UdpServer<H>,
    batch: RecvBatch,
    answers: Answers,
    /// The most datagrams to handle after one wait.
    per_wake: usize,
}

impl<H: DatagramRequestHandler> ServeLoop for Datagrams<'_, H> {
    fn handle_ready(&mut self, selector: &mut Selector<()>, _: &[(SelectorKey<()>, EventMask)]) {
        // The socket leaves the selector while the loop drains it: a socket
        // in an epoll set has every datagram that arrives run the set's
        // wake-up callback, about 4 % of a datagram's cost on loopback, for
        // a wait nobody is in (BENCHMARKS.md, "UdpServer"). Taken out and
        // put back once per wake-up; put back, it is ready at once if a
        // datagram came in between.
        let socket = &self.server.base.socket;
        let parked = selector.unregister(socket).is_ok();
        self.drain();
        if parked {
            if let Err(err) = selector.register(socket, EventMask::READ, ()) {
                let err = RequestError::Server(err);
                self.server.base.options.report(&err, None);
            }
        }
    }
}

impl<H: DatagramRequestHandler> Datagrams<'_, H> {
    /// Receives and handles datagrams until the socket has none or
    /// `per_wake` were handled, sending each batch's answers.
    fn drain(&mut self) {
        let server = self.server;
        let mut handled = 0;
        while handled < self.per_wake {
            let count = match receive(&server.base, &mut self.batch) {
                Received::Datagrams(count) => count,
                Received::Nothing => {
                    handled += 1;
                    continue;
                }
                Received::Drained => return,
            };
            for i in 0..count {
                server.handle(&self.batch, i, &mut self.answers);
            }
            // Every answer goes before the next receive, which reuses the
            // batch their addresses are in.
            self.answers.send(server, &self.batch);
            handled += count;
            // Receive again until the socket has nothing (what arrived while
            // the handlers ran is taken without a wait); only then wait.
            if server.base.control().shutdown_requested() {
                return;
            }
        }
    }
}

/// The answers of a batch, waiting to be sent together, and buffers for
/// the next ones.
#[derive(Default)]
struct Answers {
    queued: Vec<Answer>,
    spare: Vec<Vec<u8>>,
    /// When the answers queued are sent before the next handler:
    /// [`FLUSH_AFTER`] after the first of their handlers started.
    flush_at: Option<Instant>,
}

/// One answer: the bytes, and the datagram of the batch it answers, whose
/// sender it goes to (as the kernel gave the address, not copied).
struct Answer {
    data: Vec<u8>,
    slot: usize,
}

impl Answers {
    /// Sends the answers queued first if the handlers since the first of
    /// them have run for longer than [`FLUSH_AFTER`], so that a slow
    /// handler holds up few answers.
    fn before_handler<H>(&mut self, server: &UdpServer<H>, batch: &RecvBatch) {
        let now = Instant::now();
        match self.flush_at {
            Some(at) if now <= at => {}
            Some(_) => {
                self.send(server, batch);
                self.flush_at = now.checked_add(FLUSH_AFTER);
            }
            None => self.flush_at = now.checked_add(FLUSH_AFTER),
        }
    }

    /// An empty buffer for the next answer.
    fn spare(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    /// Keeps an answer's buffer for a later one, unless it grew large.
    fn recycle(&mut self, mut data: Vec<u8>) {
        if data.capacity() <= KEEP_ANSWER {
            data.clear();
            self.spare.push(data);
        }
    }

    /// Queues `data` for the sender of the batch's datagram `slot`.
    fn queue(&mut self, data: Vec<u8>, slot: usize) {
        self.queued.push(Answer { data, slot });
    }

    /// Reports an answer to a sender the kernel gave no address (an unnamed
    /// Unix socket): it has nowhere to go, as Python's `sendto` to it fails.
    #[cold]
    fn nowhere<H>(&mut self, server: &UdpServer<H>, data: Vec<u8>, client_address: &Address) {
        let err = match client_address.to_sockaddr_for(server.base.socket.family()) {
            Err(err) => err,
            Ok(_) => Error::Io(io::Error::from_raw_os_error(libc::EINVAL)),
        };
        server
            .base
            .options
            .report(&RequestError::Server(err), Some(client_address));
        self.recycle(data);
    }

    /// Sends every queued answer in order, as few system calls as it takes:
    /// one `sendmmsg` takes them up to the first that fails, which is
    /// reported and passed over, and the next call starts after it. Each
    /// answer goes once, or is reported.
    fn send<H>(&mut self, server: &UdpServer<H>, batch: &RecvBatch) {
        self.flush_at = None;
        let socket = &server.base.socket;
        let mut next = 0;
        while next < self.queued.len() {
            let rest = &self.queued[next..];
            let sent = socket.call(Interest::Write, socket.send_plan(), |dontwait| {
                let messages = rest
                    .iter()
                    .map(|answer| (answer.data.as_slice(), batch.sender(answer.slot)));
                mmsg::send_batch(socket.as_fd(), messages, sys::SEND_FLAGS | dontwait)
            });
            match sent {
                // The kernel sends at least one of a non-empty batch.
                Ok(sent) => next += sent.max(1),
                Err(err) => {
                    let (_, from) = batch.get(self.queued[next].slot);
                    let client_address = server.base.socket.peer_address(&from);
                    let err = RequestError::Server(err);
                    server.base.options.report(&err, Some(&client_address));
                    next += 1;
                }
            }
        }
        let mut queued = mem::take(&mut self.queued);
        for answer in queued.drain(..) {
            self.recycle(answer.data);
        }
        self.queued = queued;
    }
}

/// A UDP server that handles each datagram in a thread of its own: Python's
/// `socketserver.ThreadingUDPServer` (`ThreadingMixIn` with `UDPServer`),
/// with a bound on live threads ([`ServerOptions::max_threads`]): when it
/// is reached, the server receives nothing until a thread finishes, and
/// datagrams wait in the socket's receive buffer (where the system drops
/// what does not fit, as for any UDP socket).
///
/// The handler's answer, what it wrote to [`DatagramRequest::wfile`], goes
/// back to the datagram's sender through the server's socket when the
/// handler is done. [`DatagramRequest::socket`] is a duplicate of the
/// server's socket (the same socket, through a descriptor of its own), so
/// the server holds two descriptors for it.
///
/// [`verify_request`](ServerOptions::verify_request) runs in
/// `serve_forever`'s thread, before a handler thread starts: a datagram it
/// refuses takes no thread and gets no answer.
///
/// [`server_close`](ThreadingUdpServer::server_close) (and drop) joins every
/// handler thread, unless [`block_on_close`](ServerOptions::block_on_close)
/// is off (Python's `block_on_close = True`).
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
/// use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, ThreadingUdpServer};
///
/// /// Answers after a pause; each datagram has a thread of its own, so
/// /// pauses overlap.
/// struct Slow;
/// impl DatagramRequestHandler for Slow {
///     fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
///         std::thread::sleep(Duration::from_millis(100));
///         request.wfile.write_all(&request.packet.to_ascii_uppercase())?;
///         Ok(())
///     }
/// }
///
/// let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Slow)?;
/// std::thread::scope(|scope| {
///     scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
///     let first = Socket::new(AF_INET, SOCK_DGRAM)?;
///     let second = Socket::new(AF_INET, SOCK_DGRAM)?;
///     for client in [&first, &second] {
///         client.settimeout(Some(Duration::from_secs(10)))?;
///     }
///     first.sendto(b"one", server.server_address())?;
///     second.sendto(b"two", server.server_address())?;
///     assert_eq!(first.recvfrom(16)?.0, b"ONE");
///     assert_eq!(second.recvfrom(16)?.0, b"TWO");
///     server.shutdown();
///     Ok::<(), pysocket::Error>(())
/// })?;
/// server.server_close(); // joins the handler threads
/// # Ok::<(), pysocket::Error>(())
/// ```
#[doc(alias = "ThreadingUDPServer")]
pub struct ThreadingUdpServer<H> {
    base: BaseServer,
    service: Arc<ThreadService<H>>,
    threads: HandlerThreads,
}

/// What a handler thread of a [`ThreadingUdpServer`] needs.
struct ThreadService<H> {
    factory: Factory<H>,
    options: ServerOptions,
    /// The server's socket, duplicated so that threads can own it.
    socket: Arc<Socket>,
    server: ServerHandle,
}

impl<H: DatagramRequestHandler> ThreadService<H> {
    /// Handles one datagram and sends the answer.
    fn process(&self, packet: &[u8], client_address: &Address) {
        let mut wfile = Vec::new();
        let answer = handle_datagram(
            &self.factory,
            &self.options,
            &self.socket,
            &self.server,
            packet,
            client_address,
            &mut wfile,
        );
        if answer {
            if let Err(err) = self.socket.sendto(&wfile, client_address) {
                self.options
                    .report(&RequestError::Server(err), Some(client_address));
            }
        }
    }
}

impl<H: DatagramRequestHandler + 'static> ThreadingUdpServer<H> {
    /// Binds to `server_address` with [`ServerOptions::new`]'s defaults;
    /// `handler` makes the handler of each datagram, in that datagram's
    /// thread: Python's `ThreadingUDPServer(server_address, RequestHandlerClass)`.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUdpServer;
    /// let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
    ) -> Result<ThreadingUdpServer<H>> {
        ThreadingUdpServer::with_options(server_address, handler, ServerOptions::new())
    }

    /// Binds to `server_address` with `options` (Python's class attributes);
    /// `handler` makes the handler of each datagram, in that datagram's
    /// thread.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::{ServerOptions, ThreadingUdpServer};
    /// let options = ServerOptions::new().max_threads(8).max_packet_size(1500);
    /// let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// assert_ne!(server.server_address().port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_options(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
    ) -> Result<ThreadingUdpServer<H>> {
        let base = BaseServer::bind(server_address, SockType::DGRAM, options, false)?;
        let service = ThreadService {
            factory: Box::new(handler),
            options: base.options.clone(),
            socket: Arc::new(base.socket.dup()?),
            server: base.handle.clone(),
        };
        Ok(ThreadingUdpServer {
            base,
            service: Arc::new(service),
            threads: HandlerThreads::default(),
        })
    }

    /// Receives datagrams and starts a handler thread for each until
    /// [`shutdown`](super::BaseServer::shutdown): Python's
    /// `serve_forever(poll_interval)`. A shutdown wakes the loop at once;
    /// handler threads go on after it returns, until
    /// [`server_close`](ThreadingUdpServer::server_close).
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::ThreadingUdpServer;
    /// let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// std::thread::scope(|scope| {
    ///     let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
    ///     server.shutdown();
    ///     serving.join().unwrap()
    /// })?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn serve_forever(&self, poll_interval: Duration) -> Result<()> {
        let threads = Threads {
            server: self,
            batch: receive_room(1, self.base.options.max_packet_size)?,
            poll_interval,
            per_wake: DATAGRAMS_PER_WAKE,
        };
        self.base.serve(poll_interval, threads)
    }

    /// Waits for one datagram and starts its handler thread, then returns:
    /// Python's `handle_request()`. The wait lasts at most
    /// [`ServerOptions::server_timeout`](super::ServerOptions::server_timeout)
    /// (for ever by default); when it passes with no datagram, the
    /// [`handle_timeout`](super::ServerOptions::handle_timeout) hook runs.
    /// When every thread is busy, it waits at most
    /// [`DEFAULT_POLL_INTERVAL`](super::DEFAULT_POLL_INTERVAL) for one, and
    /// returns without taking the datagram if none finished. An error only
    /// if waiting fails, if `serve_forever` or `handle_request` already
    /// runs, or if the receive buffer cannot be allocated.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use std::time::Duration;
    /// use pysocket::server::{ServerOptions, ThreadingUdpServer};
    /// let options = ServerOptions::new().server_timeout(Some(Duration::from_millis(10)));
    /// let server = ThreadingUdpServer::with_options(("127.0.0.1", 0), || Echo, options)?;
    /// server.handle_request()?; // nobody came: returns after 10 ms
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn handle_request(&self) -> Result<()> {
        self.base.handle_one(Threads {
            server: self,
            batch: receive_room(1, self.base.options.max_packet_size)?,
            poll_interval: DEFAULT_POLL_INTERVAL,
            per_wake: 1,
        })
    }

    /// Python's `ThreadingMixIn.process_request`: a thread for the datagram.
    fn process_request(&self, packet: Vec<u8>, client_address: Address) {
        let tracked = self.base.control().track(&self.service.socket);
        let service = Arc::clone(&self.service);
        let address = client_address.clone();
        self.threads
            .spawn(&self.service.options, &address, move || {
                service.process(&packet, &client_address);
                // Untrack only once the thread is about to end, so the thread
                // bound counts live threads; before the service (and maybe the
                // socket it tracks) is dropped.
                drop(tracked);
                drop(service);
            });
    }

    /// How many handler threads are handling a datagram now.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUdpServer;
    /// let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// assert_eq!(server.active_threads(), 0);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn active_threads(&self) -> usize {
        self.base.control().live()
    }

    /// Closes the server: its socket, and (unless
    /// [`block_on_close`](ServerOptions::block_on_close) is off) joins every
    /// handler thread first: Python's `server_close()` with
    /// `block_on_close = True`. Dropping the server does the same.
    ///
    /// ```
    /// # use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult};
    /// # struct Echo;
    /// # impl DatagramRequestHandler for Echo {
    /// #     fn handle(&mut self, _: &mut DatagramRequest<'_>) -> HandlerResult { Ok(()) }
    /// # }
    /// use pysocket::server::ThreadingUdpServer;
    /// let server = ThreadingUdpServer::new(("127.0.0.1", 0), || Echo)?;
    /// server.server_close();
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn server_close(self) {}
}

impl<H> Drop for ThreadingUdpServer<H> {
    fn drop(&mut self) {
        self.threads.close(&self.service.options, || {});
    }
}

/// [`ThreadingUdpServer::serve_forever`]'s loop (and `handle_request`'s
/// one step).
struct Threads<'s, H> {
    server: &'s ThreadingUdpServer<H>,
    batch: RecvBatch,
    poll_interval: Duration,
    /// The most datagrams to take after one wait.
    per_wake: usize,
}

impl<H: DatagramRequestHandler + 'static> ServeLoop for Threads<'_, H> {
    fn handle_ready(&mut self, _: &mut Selector<()>, _: &[(SelectorKey<()>, EventMask)]) {
        let server = self.server;
        let control = server.base.control();
        for _ in 0..self.per_wake {
            if !control.wait_for_fewer(server.service.options.max_threads, self.poll_interval) {
                return;
            }
            match receive(&server.base, &mut self.batch) {
                Received::Datagrams(_) => {
                    let (packet, from) = self.batch.get(0);
                    let base = &server.base;
                    let client_address = base.socket.peer_address(&from);
                    // Python's `verify_request`, in this thread as there: a
                    // refused datagram takes no copy and no thread.
                    if base.options.verified(&base.socket, &client_address) {
                        server.process_request(packet.to_vec(), client_address);
                    }
                }
                Received::Nothing => {}
                Received::Drained => return,
            }
            if control.shutdown_requested() {
                return;
            }
        }
    }

    fn service_actions(&mut self) {
        self.server.threads.reap();
    }
}

impl<H> Deref for ThreadingUdpServer<H> {
    type Target = BaseServer;

    fn deref(&self) -> &BaseServer {
        &self.base
    }
}

impl<H> fmt::Debug for ThreadingUdpServer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ThreadingUdpServer")
            .field(&self.base)
            .finish()
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
