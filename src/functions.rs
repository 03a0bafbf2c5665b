//! The module functions that make sockets: `socketpair`, `fromfd`,
//! `create_connection` and `create_server` (with their builders),
//! `has_dualstack_ipv6`, and the descriptor functions `close` and `dup`.

use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, SockRef, Type};

use crate::address::{Address, ToAddress};
use crate::constants::{Family, Protocol, SockType, SOCK_STREAM, SOL_SOCKET, SOMAXCONN};
use crate::constants::{SO_REUSEADDR, SO_REUSEPORT};
use crate::error::{Error, Result};
use crate::resolve::resolve_empty;
use crate::socket::Socket;
use crate::sys;
use crate::timeout::getdefaulttimeout;

/// A pair of connected `AF_UNIX` stream sockets: `socketpair(2)`, Python's
/// `socket.socketpair()`. Both are close-on-exec and start with the
/// [default timeout](crate::getdefaulttimeout).
///
/// ```
/// use pysocket::socketpair;
/// let (a, b) = socketpair()?;
/// a.sendall(b"ping")?;
/// assert_eq!(b.recv(4)?, b"ping");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn socketpair() -> Result<(Socket, Socket)> {
    socketpair_with(Family::UNIX, SockType::STREAM)
}

/// A pair of connected sockets of the given family and type
/// (`AF_UNIX` with `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET` on Linux).
///
/// ```
/// use pysocket::{socketpair_with, AF_UNIX, SOCK_DGRAM};
/// let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM)?;
/// a.send(b"one")?;
/// a.send(b"two")?;
/// assert_eq!(b.recv(64)?, b"one"); // datagram boundaries are kept
/// assert_eq!(b.recv(64)?, b"two");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[doc(alias = "socketpair")]
pub fn socketpair_with(family: Family, kind: SockType) -> Result<(Socket, Socket)> {
    // `SOCK_NONBLOCK` and `SOCK_CLOEXEC` in `kind` are flags, not the type:
    // the pair starts non-blocking, as `Socket::new` does.
    let (raw, nonblocking) = crate::sys::split_type_flags(kind.as_raw());
    let kind = SockType::from(raw);
    let (a, b) = socket2::Socket::pair(Domain::from(family.as_raw()), Type::from(raw), None)?;
    let timeout = if nonblocking {
        Some(Duration::ZERO)
    } else {
        getdefaulttimeout()
    };
    Ok((
        Socket::from_new(a, family, kind, Protocol::DEFAULT, timeout)?,
        Socket::from_new(b, family, kind, Protocol::DEFAULT, timeout)?,
    ))
}

/// A socket for a descriptor that is already open: a duplicate of it
/// (close-on-exec), with its family, type and protocol read from the OS:
/// Python's `socket.fromfd(fd, family, type)`, which Python 3.7+ also does as
/// `socket.socket(fileno=fd)` reading them itself.
///
/// `fd` stays open and usable; the two descriptors share one socket. The new
/// socket starts with the [default timeout](crate::getdefaulttimeout), as in
/// CPython, and sets the descriptor's mode to match: the mode is shared with
/// `fd` (one open file description). Where CPython leaves the descriptor
/// alone when there is no default timeout, this clears `O_NONBLOCK`, so that
/// the socket's blocking mode is what the descriptor does. On Linux the
/// protocol is the one the kernel chose (`6` for TCP even if the socket was
/// made with protocol `0`). A descriptor that is no socket is an
/// [`Error::Io`] with `ENOTSOCK`.
///
/// ```
/// use std::net::TcpListener;
/// use pysocket::{fromfd, AF_INET, SOCK_STREAM};
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let sock = fromfd(&listener)?;
/// assert_eq!((sock.family(), sock.kind()), (AF_INET, SOCK_STREAM));
/// assert_ne!(sock.fileno(), std::os::fd::AsRawFd::as_raw_fd(&listener));
/// assert_eq!(sock.getsockname()?.as_socket_addr(), Some(listener.local_addr()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fromfd(fd: impl AsFd) -> Result<Socket> {
    let fd = fd.as_fd();
    // Refuse what is no socket before making a descriptor for it.
    SockRef::from(&fd).r#type()?;
    let sock = Socket::from(fd.try_clone_to_owned()?);
    sock.settimeout(getdefaulttimeout())?;
    Ok(sock)
}

/// A TCP connection to `addr`: Python's
/// `socket.create_connection(address, timeout)`.
///
/// `addr` is resolved ([`ToAddress::to_addresses`], any family) and each
/// address is tried in the resolver's order with a new socket of its family,
/// until one connects. `timeout` is set on each attempt's socket before it
/// connects, so it bounds each attempt, and stays on the socket returned;
/// `None` is blocking, as Python's explicit `timeout=None`. To keep the
/// [default timeout](crate::getdefaulttimeout) or to bind a source address,
/// use [`ConnectionBuilder`].
///
/// # Errors
///
/// A name that does not resolve is [`Error::Resolve`]. When no address
/// connects: with one address tried, that attempt's error, as Python raises
/// it; with several, [`Error::Connect`] carrying every attempt's error (as
/// Python's `all_errors=True`), whose [`errno`](Error::errno),
/// [`kind`](Error::kind) and [`is_timeout`](Error::is_timeout) are the
/// last attempt's.
///
/// ```
/// use std::time::Duration;
/// use pysocket::{create_connection, create_server};
///
/// let server = create_server(("127.0.0.1", 0))?;
/// let port = server.getsockname()?.port().unwrap();
/// let client = create_connection(("localhost", port), Some(Duration::from_secs(5)))?;
/// assert_eq!(client.gettimeout(), Some(Duration::from_secs(5)));
/// let (conn, peer) = server.accept()?;
/// assert_eq!(peer, client.getsockname()?);
/// # drop(conn);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn create_connection(addr: impl ToAddress, timeout: Option<Duration>) -> Result<Socket> {
    ConnectionBuilder::new(addr).timeout(timeout).connect()
}

/// Builds a TCP connection with the rest of Python's
/// `socket.create_connection` arguments: the timeout left to the default,
/// and a source address. [`create_connection`] is the short form.
///
/// ```
/// use std::time::Duration;
/// use pysocket::{create_server, ConnectionBuilder};
///
/// let server = create_server(("127.0.0.1", 0))?;
/// let port = server.getsockname()?.port().unwrap();
/// // create_connection(('127.0.0.1', port), source_address=('127.0.0.1', 0))
/// let client = ConnectionBuilder::new(("127.0.0.1", port))
///     .source_address(("127.0.0.1", 0))
///     .connect()?;
/// assert_eq!(client.gettimeout(), pysocket::getdefaulttimeout());
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until connect() is called"]
#[doc(alias = "create_connection")]
pub struct ConnectionBuilder<A, S = Address> {
    addr: A,
    timeout: Option<Option<Duration>>,
    source: Option<S>,
}

impl<A: ToAddress> ConnectionBuilder<A> {
    /// A connection to `addr`, with the [default timeout](crate::getdefaulttimeout)
    /// and no source address; [`connect`](ConnectionBuilder::connect) makes it.
    ///
    /// ```
    /// use pysocket::{create_server, ConnectionBuilder};
    /// let server = create_server(("127.0.0.1", 0))?;
    /// let client = ConnectionBuilder::new(server.getsockname()?).connect()?;
    /// assert_eq!(client.getpeername()?, server.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(addr: A) -> ConnectionBuilder<A> {
        ConnectionBuilder {
            addr,
            timeout: None,
            source: None,
        }
    }
}

impl<A: ToAddress, S: ToAddress> ConnectionBuilder<A, S> {
    /// Sets the timeout of each attempt, which the socket returned keeps
    /// (Python's `timeout`): `None` blocking, `Some(d)` timeout mode. Without this
    /// call, sockets start with the [default timeout](crate::getdefaulttimeout)
    /// (Python's `_GLOBAL_DEFAULT_TIMEOUT`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{create_server, ConnectionBuilder};
    /// let server = create_server(("127.0.0.1", 0))?;
    /// let client = ConnectionBuilder::new(server.getsockname()?)
    ///     .timeout(Some(Duration::from_secs(5)))
    ///     .connect()?;
    /// assert_eq!(client.gettimeout(), Some(Duration::from_secs(5)));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Option<Duration>) -> ConnectionBuilder<A, S> {
        self.timeout = Some(timeout);
        self
    }

    /// Binds each attempt's socket to `source` before it connects (Python's
    /// `source_address`), read against that attempt's family: `("", 0)` fits
    /// any, `("127.0.0.1", 0)` only IPv4 targets (an attempt it does not fit
    /// fails with that error).
    ///
    /// ```
    /// use pysocket::{create_server, ConnectionBuilder};
    /// let server = create_server(("127.0.0.1", 0))?;
    /// let client = ConnectionBuilder::new(server.getsockname()?)
    ///     .source_address(("127.0.0.1", 0))
    ///     .connect()?;
    /// let (_conn, peer) = server.accept()?;
    /// assert_eq!(peer, client.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn source_address<T: ToAddress>(self, source: T) -> ConnectionBuilder<A, T> {
        ConnectionBuilder {
            addr: self.addr,
            timeout: self.timeout,
            source: Some(source),
        }
    }

    /// Makes the connection: resolves the address and tries each in turn, as
    /// [`create_connection`] describes (errors included).
    ///
    /// ```
    /// use pysocket::{ConnectionBuilder, Socket, AF_INET, SOCK_STREAM};
    /// let unused = Socket::new(AF_INET, SOCK_STREAM)?;
    /// unused.bind(("127.0.0.1", 0))?; // bound but not listening
    /// let err = ConnectionBuilder::new(unused.getsockname()?).connect().unwrap_err();
    /// assert_eq!(err.errno(), Some(libc::ECONNREFUSED));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn connect(&self) -> Result<Socket> {
        let addresses = self.addr.to_addresses(Family::UNSPEC)?;
        let target = self.addr.describe().unwrap_or_else(|| {
            let all: Vec<String> = addresses.iter().map(Address::to_string).collect();
            all.join(", ")
        });
        if addresses.is_empty() {
            return Err(resolve_empty(&target));
        }
        let mut attempts = Vec::with_capacity(addresses.len());
        for address in addresses {
            match self.attempt(&address) {
                Ok(sock) => return Ok(sock),
                Err(err) => attempts.push((address, err)),
            }
        }
        match <[_; 1]>::try_from(attempts) {
            Ok([(_, only)]) => Err(only),
            Err(attempts) => Err(Error::Connect { target, attempts }),
        }
    }

    fn attempt(&self, address: &Address) -> Result<Socket> {
        let sock = Socket::new(address.family(), SOCK_STREAM)?;
        if let Some(timeout) = self.timeout {
            sock.settimeout(timeout)?;
        }
        if let Some(source) = &self.source {
            sock.bind(source)?;
        }
        sock.connect(address)?;
        Ok(sock)
    }
}

/// The backlog [`create_server`] listens with unless told: Python's
/// `listen()` default, `min(SOMAXCONN, 128)`.
const DEFAULT_BACKLOG: i32 = if SOMAXCONN < 128 { SOMAXCONN } else { 128 };

/// A listening TCP socket bound to `addr`: Python's
/// `socket.create_server(address)`.
///
/// The family is `AF_INET`, as Python's default, unless `addr` is an IPv6
/// address (`("::1", 0)`, `"[::]:8001"`, a `SocketAddrV6`), which makes it
/// `AF_INET6` (then `IPV6_V6ONLY` is set, as in Python). `SO_REUSEADDR` is
/// set, so a restarted server can bind a port whose old connections linger in
/// `TIME_WAIT`; the backlog is `min(SOMAXCONN, 128)`. [`ServerBuilder`] sets
/// the family, backlog, `SO_REUSEPORT` and dual-stack IPv6.
///
/// # Errors
///
/// A bind failure is [`Error::Bind`], naming the address and keeping the
/// errno (`EADDRINUSE`, `EACCES`, ...).
///
/// ```
/// use pysocket::{create_server, Socket, AF_INET, AF_INET6, SOCK_STREAM};
///
/// let server = create_server(("127.0.0.1", 0))?;
/// assert_eq!(server.family(), AF_INET);
/// let client = Socket::new(AF_INET, SOCK_STREAM)?;
/// client.connect(server.getsockname()?)?;
/// let (_conn, peer) = server.accept()?;
/// assert_eq!(peer, client.getsockname()?);
///
/// assert_eq!(create_server(("::1", 0))?.family(), AF_INET6);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn create_server(addr: impl ToAddress) -> Result<Socket> {
    ServerBuilder::new(addr).build()
}

/// Builds a listening socket with the rest of Python's
/// `socket.create_server` arguments: `family`, `backlog`, `reuse_port` and
/// `dualstack_ipv6`. [`create_server`] is the short form.
///
/// A dual-stack server is one `AF_INET6` socket with `IPV6_V6ONLY` cleared:
/// it also accepts IPv4 clients, which it sees at IPv4-mapped addresses
/// (`::ffff:127.0.0.1`).
///
/// ```
/// use pysocket::{has_dualstack_ipv6, ServerBuilder, Socket, AF_INET, SOCK_STREAM};
///
/// if has_dualstack_ipv6() {
///     let server = ServerBuilder::new(("", 0)).dualstack_ipv6(true).build()?;
///     let port = server.getsockname()?.port().unwrap();
///     let client = Socket::new(AF_INET, SOCK_STREAM)?;
///     client.connect(("127.0.0.1", port))?;
///     let (_conn, peer) = server.accept()?;
///     assert_eq!(peer.ip().unwrap().to_string(), "::ffff:127.0.0.1");
/// }
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until build() is called"]
#[doc(alias = "create_server")]
pub struct ServerBuilder<A> {
    addr: A,
    family: Option<Family>,
    backlog: Option<i32>,
    reuse_port: bool,
    dualstack_ipv6: bool,
}

impl<A: ToAddress> ServerBuilder<A> {
    /// A server on `addr`, with [`create_server`]'s defaults;
    /// [`build`](ServerBuilder::build) makes it.
    ///
    /// ```
    /// use pysocket::{ServerBuilder, AF_INET};
    /// let server = ServerBuilder::new(("127.0.0.1", 0)).build()?;
    /// assert_eq!(server.family(), AF_INET);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new(addr: A) -> ServerBuilder<A> {
        ServerBuilder {
            addr,
            family: None,
            backlog: None,
            reuse_port: false,
            dualstack_ipv6: false,
        }
    }

    /// Sets the address family (Python's `family`): `AF_INET`, `AF_INET6`, or
    /// `AF_UNIX` for a path. Unset, it is `AF_INET` unless the address is an IPv6
    /// one, or `AF_INET6` for a dual-stack server.
    ///
    /// ```
    /// use pysocket::{ServerBuilder, AF_INET6};
    /// let server = ServerBuilder::new(("::1", 0)).family(AF_INET6).build()?;
    /// assert_eq!(server.family(), AF_INET6);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn family(mut self, family: Family) -> ServerBuilder<A> {
        self.family = Some(family);
        self
    }

    /// Sets the `listen(2)` backlog (Python's `backlog`); unset,
    /// `min(SOMAXCONN, 128)` as Python's `listen()`.
    ///
    /// ```
    /// use pysocket::ServerBuilder;
    /// let server = ServerBuilder::new(("127.0.0.1", 0)).backlog(5).build()?;
    /// assert_ne!(server.getsockname()?.port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn backlog(mut self, backlog: i32) -> ServerBuilder<A> {
        self.backlog = Some(backlog);
        self
    }

    /// Sets `SO_REUSEPORT` (Python's `reuse_port`), so that several sockets (each
    /// with it) may bind the same address and port and share its connections.
    ///
    /// ```
    /// use pysocket::{ServerBuilder, SOL_SOCKET, SO_REUSEPORT};
    /// let first = ServerBuilder::new(("127.0.0.1", 0)).reuse_port(true).build()?;
    /// assert_eq!(first.getsockopt(SOL_SOCKET, SO_REUSEPORT)?, 1);
    /// let second = ServerBuilder::new(first.getsockname()?).reuse_port(true).build()?;
    /// assert_eq!(second.getsockname()?, first.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn reuse_port(mut self, reuse: bool) -> ServerBuilder<A> {
        self.reuse_port = reuse;
        self
    }

    /// Makes one `AF_INET6` socket that accepts IPv4 clients too (`IPV6_V6ONLY`
    /// cleared): Python's `dualstack_ipv6`. It needs the `AF_INET6` family (the
    /// default once this is set); another family, or a system without dual-stack
    /// sockets ([`has_dualstack_ipv6`]), is [`Error::InvalidArgument`] from
    /// [`build`](ServerBuilder::build), as Python's `ValueError`.
    ///
    /// ```
    /// use pysocket::{ServerBuilder, AF_INET, AF_INET6};
    /// if pysocket::has_dualstack_ipv6() {
    ///     let server = ServerBuilder::new(("", 0)).dualstack_ipv6(true).build()?;
    ///     assert_eq!(server.family(), AF_INET6);
    /// }
    /// let wrong = ServerBuilder::new(("", 0)).family(AF_INET).dualstack_ipv6(true).build();
    /// assert!(matches!(wrong, Err(pysocket::Error::InvalidArgument(_))));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn dualstack_ipv6(mut self, dualstack: bool) -> ServerBuilder<A> {
        self.dualstack_ipv6 = dualstack;
        self
    }

    /// Makes the server: creates the socket, sets its options, binds and listens,
    /// as [`create_server`] describes (errors included).
    ///
    /// ```
    /// use pysocket::{ServerBuilder, Socket, AF_INET, SOCK_STREAM};
    /// let server = ServerBuilder::new(("127.0.0.1", 0)).build()?;
    /// let client = Socket::new(AF_INET, SOCK_STREAM)?;
    /// client.connect(server.getsockname()?)?;
    /// let (_conn, peer) = server.accept()?;
    /// assert_eq!(peer, client.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn build(&self) -> Result<Socket> {
        if self.dualstack_ipv6 {
            if let Some(family) = self.family.filter(|family| *family != Family::INET6) {
                return Err(Error::invalid(format!(
                    "dualstack_ipv6 requires the AF_INET6 family, not {family}"
                )));
            }
            if !has_dualstack_ipv6() {
                return Err(Error::invalid(
                    "dualstack_ipv6 is not supported on this system",
                ));
            }
        }
        let (family, address) = self.family_and_address()?;
        let sock = Socket::new(family, SOCK_STREAM)?;
        // As in Python, a socket that refuses SO_REUSEADDR is still served.
        let _ = sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, true);
        if self.reuse_port {
            sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, true)?;
        }
        if family == Family::INET6 {
            sock.as_socket2().set_only_v6(!self.dualstack_ipv6)?;
        }
        sock.bind(&address)
            .map_err(|err| Error::bind_failed(&address, err))?;
        sock.listen(self.backlog.unwrap_or(DEFAULT_BACKLOG))?;
        Ok(sock)
    }

    /// The family to use and the address to bind, read against it.
    fn family_and_address(&self) -> Result<(Family, Address)> {
        let family = match self.family {
            Some(family) => family,
            None if self.dualstack_ipv6 => Family::INET6,
            None => {
                return match self.addr.to_address(Family::INET) {
                    Ok(address) => Ok((Family::INET, address)),
                    // An IPv6 literal does not fit AF_INET: it asks for AF_INET6.
                    Err(v4_error @ Error::InvalidArgument(_)) => {
                        match self.addr.to_address(Family::INET6) {
                            Ok(address) => Ok((Family::INET6, address)),
                            Err(_) => Err(v4_error),
                        }
                    }
                    Err(other) => Err(other),
                };
            }
        };
        Ok((family, self.addr.to_address(family)?))
    }
}

/// Whether this system can make a dual-stack server: an `AF_INET6` TCP socket
/// that takes IPv4 clients too ([`ServerBuilder::dualstack_ipv6`]). Python's
/// `socket.has_dualstack_ipv6()`.
///
/// ```
/// // True on Linux with IPv6 enabled.
/// let _ = pysocket::has_dualstack_ipv6();
/// ```
pub fn has_dualstack_ipv6() -> bool {
    socket2::Socket::new(Domain::IPV6, Type::STREAM, None)
        .and_then(|sock| sock.set_only_v6(false))
        .is_ok()
}

/// Closes a descriptor: `close(2)`, Python's `socket.close(fd)`, for a
/// descriptor given up by [`Socket::detach`] or got from elsewhere as a
/// number.
///
/// Unlike dropping an [`OwnedFd`], this reports the error `close` returns: a
/// descriptor that is not open is an [`Error::Io`] with `EBADF`, as Python's
/// `OSError(EBADF)`. `EINTR` counts as closed (the descriptor is released
/// before the interruption on Linux, and PEP 475 leaves `close` alone).
///
/// # Safety
///
/// The caller owns `fd`: nothing else closes it or uses it afterwards (a
/// number closed here may be handed to the next descriptor another thread
/// opens). Python's `socket.close(fd)` is `unsafe { pysocket::close(fd) }`;
/// a descriptor held as an [`OwnedFd`] can be closed with
/// `close(owned.into_raw_fd())`.
///
/// ```
/// use pysocket::socketpair;
/// let (a, b) = socketpair()?;
/// let fd = a.detach();
/// // SAFETY: `detach` gave up `fd`, which nothing else owns or uses.
/// unsafe { pysocket::close(fd)? };
/// assert_eq!(b.recv(64)?, b""); // the peer sees the end of the stream
/// // SAFETY: -1 is never a descriptor, so nothing owns it.
/// let err = unsafe { pysocket::close(-1) }.unwrap_err();
/// assert_eq!(err.errno(), Some(libc::EBADF));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub unsafe fn close(fd: RawFd) -> Result<()> {
    Ok(sys::close(fd)?)
}

/// A close-on-exec duplicate of a descriptor: `fcntl(F_DUPFD_CLOEXEC)`,
/// Python's `socket.dup(fd)`.
///
/// Where Python returns the new descriptor as an `int`, this returns it as an
/// [`OwnedFd`], closed when dropped; [`IntoRawFd`](std::os::fd::IntoRawFd)
/// gives the number. The duplicate shares the open file (its offset, status
/// flags and, for a socket, the connection) with `fd`. A raw descriptor
/// number is passed as [`BorrowedFd::borrow_raw`](std::os::fd::BorrowedFd::borrow_raw).
///
/// ```
/// use std::os::fd::AsRawFd;
/// use std::os::unix::net::UnixStream;
/// use pysocket::socketpair;
/// let (a, b) = socketpair()?;
/// let copy = pysocket::dup(&a)?;
/// assert_ne!(copy.as_raw_fd(), a.fileno());
/// drop(a);
/// std::io::Write::write_all(&mut &UnixStream::from(copy), b"via the copy")?;
/// assert_eq!(b.recv(64)?, b"via the copy");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dup(fd: impl AsFd) -> Result<OwnedFd> {
    Ok(fd.as_fd().try_clone_to_owned()?)
}
