//! The [`Socket`] facade: Python's `socket.socket` over a `socket2::Socket`.

use std::fmt;
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::Duration;

use socket2::{Domain, SockAddr, Type};

use crate::address::{Address, ToAddress, UnixAddress};
use crate::constants::{Family, Protocol, SockType};
use crate::error::{Error, Result};
use crate::file::SocketFile;
use crate::flags::MsgFlags;
use crate::sys::{self, Interest};
use crate::timeout::{
    getdefaulttimeout, sock_call, sock_call_in, sock_connect, Attempt, Plan, Timeouts,
};

/// A socket with the calls and semantics of Python's `socket.socket`.
///
/// Every method is the Python call of the same name (or says which one it
/// mirrors), takes `&self` unless it gives the socket up, and returns a
/// [`Result`](crate::Result) whose [`Error`] keeps the errno. A socket is
/// `Send + Sync`: threads may share one (`Arc<Socket>`), one sending while
/// another receives, as with a Python socket. It is close-on-exec, its sends
/// never raise `SIGPIPE` (a closed peer is an error of kind `BrokenPipe`), and
/// calls interrupted by a signal are retried (PEP 475).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM};
///
/// let server = Socket::new(AF_INET, SOCK_STREAM)?;
/// server.bind(("127.0.0.1", 0))?;
/// server.listen(5)?;
///
/// let client = Socket::new(AF_INET, SOCK_STREAM)?;
/// client.connect(server.getsockname()?)?;
/// let (conn, peer) = server.accept()?;
/// assert_eq!(peer, client.getsockname()?);
///
/// client.sendall(b"hello")?;
/// assert_eq!(conn.recv(1024)?, b"hello");
/// conn.sendall(b"OK")?;
/// assert_eq!(client.recv(1024)?, b"OK");
/// # Ok::<(), pysocket::Error>(())
/// ```
///
/// # Timeouts
///
/// As in CPython a socket is in one of three modes, chosen with
/// [`settimeout`](Socket::settimeout) and starting from
/// [`getdefaulttimeout`](crate::getdefaulttimeout):
///
/// - **blocking** (`None`): calls wait as long as they must;
/// - **non-blocking** (`Some(Duration::ZERO)`): a call that cannot complete at
///   once fails with an [`Error::Io`] of kind `WouldBlock`;
/// - **timeout** (`Some(d)`): a call waits at most `d`, then fails with
///   [`Error::Timeout`].
///
/// In timeout mode one deadline covers the whole call: [`sendall`](Socket::sendall)
/// gets `d` for all its data, not per send, and a signal does not extend it. A
/// call keeps the mode it started in: `settimeout` from another thread (or on a
/// [`dup`](Socket::dup)) changes the calls that start afterwards, and
/// [`shutdown`](Socket::shutdown) from another thread wakes the calls waiting on
/// the socket. What timeout mode does at the OS level (kernel timeouts shared by
/// `dup`s, your own `SO_RCVTIMEO`, what std sees after
/// [`detach`](Socket::detach)) is told in
/// [How timeout mode waits](Socket#how-timeout-mode-waits), under `settimeout`.
#[doc(alias = "socket")]
pub struct Socket {
    inner: socket2::Socket,
    family: Family,
    kind: SockType,
    proto: Protocol,
    pub(crate) timeouts: Timeouts,
}

/// A socket option value for [`Socket::setsockopt`]: an `int` (from `i32` or
/// `bool`) or the option's raw bytes (from a byte slice or array), as Python's
/// `setsockopt` takes an `int` or a `bytes`.
///
/// ```
/// use pysocket::{OptValue, Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE};
/// assert_eq!(OptValue::from(true), OptValue::Int(1));
/// assert_eq!(OptValue::from(&[1u8, 0, 0, 0]), OptValue::Bytes(&[1, 0, 0, 0]));
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, OptValue::Int(1))?;
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptValue<'a> {
    /// An `int` option.
    Int(i32),
    /// An option passed as raw bytes (`struct linger`, `struct timeval`, ...).
    Bytes(&'a [u8]),
}

impl From<i32> for OptValue<'_> {
    fn from(value: i32) -> Self {
        OptValue::Int(value)
    }
}

impl From<bool> for OptValue<'_> {
    fn from(value: bool) -> Self {
        OptValue::Int(value.into())
    }
}

impl<'a> From<&'a [u8]> for OptValue<'a> {
    fn from(value: &'a [u8]) -> Self {
        OptValue::Bytes(value)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for OptValue<'a> {
    fn from(value: &'a [u8; N]) -> Self {
        OptValue::Bytes(value)
    }
}

impl<'a> From<&'a Vec<u8>> for OptValue<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        OptValue::Bytes(value)
    }
}

/// The most one `send` of a stream's [`Socket::sendall`] hands the kernel:
/// large enough that the extra system calls cost nothing next to the copy,
/// where both smaller sends and one send of a whole large buffer can be
/// slower (BENCHMARKS.md, "sendall's send size").
const SENDALL_CHUNK: usize = 256 * 1024;

/// The largest answer [`Socket::getsockopt_bytes`] takes, as in CPython.
const GETSOCKOPT_MAX: usize = 1024;

impl Socket {
    /// Creates a socket: `socket(2)`, Python's `socket.socket(family, type)`.
    ///
    /// The socket is close-on-exec and starts with the
    /// [default timeout](crate::getdefaulttimeout). `kind` may carry Linux's
    /// `SOCK_NONBLOCK` (the socket starts non-blocking) and `SOCK_CLOEXEC`
    /// (always set anyway).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET6, SOCK_DGRAM};
    /// let sock = Socket::new(AF_INET6, SOCK_DGRAM)?;
    /// assert_eq!(sock.family(), AF_INET6);
    /// assert_eq!(sock.kind(), SOCK_DGRAM);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(alias = "socket")]
    pub fn new(family: Family, kind: SockType) -> Result<Socket> {
        Socket::with_protocol(family, kind, Protocol::DEFAULT)
    }

    /// Creates a socket with a protocol: `socket(2)`, Python's
    /// `socket.socket(family, type, proto)`.
    ///
    /// Raw sockets (`SOCK_RAW` with `Protocol::ICMP`, ...) need privileges: without
    /// them this is an [`Error::Io`] of kind `PermissionDenied`.
    ///
    /// ```
    /// use pysocket::{Protocol, Socket, AF_INET, SOCK_STREAM};
    /// let sock = Socket::with_protocol(AF_INET, SOCK_STREAM, Protocol::TCP)?;
    /// assert_eq!(sock.proto(), Protocol::TCP);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(alias = "socket")]
    pub fn with_protocol(family: Family, kind: SockType, proto: Protocol) -> Result<Socket> {
        let (kind, nonblocking) = sys::split_type_flags(kind.as_raw());
        let kind = SockType::from(kind);
        let proto_arg =
            (proto != Protocol::DEFAULT).then(|| socket2::Protocol::from(proto.as_raw()));
        let inner = socket2::Socket::new(
            Domain::from(family.as_raw()),
            Type::from(kind.as_raw()),
            proto_arg,
        )?;
        let timeout = if nonblocking {
            Some(Duration::ZERO)
        } else {
            getdefaulttimeout()
        };
        Socket::from_new(inner, family, kind, proto, timeout)
    }

    /// Builds the facade.
    fn assemble(
        inner: socket2::Socket,
        family: Family,
        kind: SockType,
        proto: Protocol,
        timeouts: Timeouts,
    ) -> Socket {
        Socket {
            inner,
            family,
            kind,
            proto,
            timeouts,
        }
    }

    /// Wraps a socket just created by socket2 (so blocking), in the mode `timeout` asks for.
    pub(crate) fn from_new(
        inner: socket2::Socket,
        family: Family,
        kind: SockType,
        proto: Protocol,
        timeout: Option<Duration>,
    ) -> Result<Socket> {
        let timeouts = Timeouts::new(inner.as_fd(), timeout)?;
        Ok(Socket::assemble(inner, family, kind, proto, timeouts))
    }

    /// Wraps a socket that came from elsewhere, reading its family, type,
    /// protocol and blocking mode from the OS. What cannot be read is left
    /// `0` (`AF_UNSPEC`, ...): the descriptor may not even be a socket.
    fn adopt(inner: socket2::Socket) -> Socket {
        let family = inner.local_addr().map_or(Family::UNSPEC, |addr| {
            Family::from(i32::from(addr.family()))
        });
        let kind = inner
            .r#type()
            .map_or(SockType::from(0), |ty| SockType::from(i32::from(ty)));
        let proto = sys::socket_protocol(&inner).map_or(Protocol::DEFAULT, Protocol::from);
        let nonblocking = sys::is_nonblocking(inner.as_fd()).unwrap_or(false);
        // Best effort: a descriptor that is no socket refuses the option, and its
        // calls will say so.
        let _ = sys::prepare_foreign(&inner);
        let timeouts = Timeouts::adopted(inner.as_fd(), nonblocking.then_some(Duration::ZERO));
        Socket::assemble(inner, family, kind, proto, timeouts)
    }

    /// The address family: Python's `sock.family`.
    ///
    /// ```
    /// use pysocket::{socketpair, Socket, AF_INET, AF_UNIX, SOCK_STREAM};
    /// assert_eq!(Socket::new(AF_INET, SOCK_STREAM)?.family(), AF_INET);
    /// assert_eq!(socketpair()?.0.family(), AF_UNIX);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn family(&self) -> Family {
        self.family
    }

    #[doc(alias = "type")]
    /// The socket type: Python's `sock.type` (`type` is a Rust keyword).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// assert_eq!(sock.kind(), SOCK_DGRAM);
    /// assert_eq!(sock.kind().to_string(), "SOCK_DGRAM");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn kind(&self) -> SockType {
        self.kind
    }

    /// The protocol: Python's `sock.proto`; [`Protocol::DEFAULT`] (`0`) unless one
    /// was given or the OS told it.
    ///
    /// ```
    /// use pysocket::{Protocol, Socket, AF_INET, SOCK_STREAM};
    /// assert_eq!(Socket::new(AF_INET, SOCK_STREAM)?.proto(), Protocol::DEFAULT);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn proto(&self) -> Protocol {
        self.proto
    }

    /// Binds the socket to an address: `bind(2)`, Python's `sock.bind(address)`.
    ///
    /// The address is read against the socket's family ([`ToAddress`]); port 0
    /// asks the OS for a free port, which [`getsockname`](Socket::getsockname) tells.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// sock.bind(("127.0.0.1", 0))?;
    /// assert_ne!(sock.getsockname()?.port(), Some(0));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn bind(&self, addr: impl ToAddress) -> Result<()> {
        let addr = self.sockaddr(addr)?;
        Ok(self.inner.bind(&addr)?)
    }

    /// Starts accepting connections: `listen(2)`, Python's `sock.listen(backlog)`.
    ///
    /// A negative backlog counts as 0, as in CPython. In TCP's terms the socket
    /// goes from `CLOSED` to `LISTEN`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN};
    /// let server = Socket::new(AF_INET, SOCK_STREAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// server.listen(5)?;
    /// assert_eq!(server.getsockopt(SOL_SOCKET, SO_ACCEPTCONN)?, 1);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn listen(&self, backlog: i32) -> Result<()> {
        Ok(self.inner.listen(backlog.max(0))?)
    }

    /// Takes the next connection: `accept(2)`, Python's `conn, addr = sock.accept()`.
    /// Returns the connected socket and the peer's address.
    ///
    /// This is where the server sees the end of the three-way handshake: the
    /// kernel completed it (`SYN`, `SYN-ACK`, `ACK`) and queued the connection,
    /// which is now `ESTABLISHED`. The new socket is close-on-exec and starts
    /// with the [default timeout](crate::getdefaulttimeout), whatever the
    /// listener's mode, as in CPython.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let server = Socket::new(AF_INET, SOCK_STREAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// server.listen(5)?;
    /// let client = Socket::new(AF_INET, SOCK_STREAM)?;
    /// client.connect(server.getsockname()?)?;
    /// let (conn, addr) = server.accept()?;
    /// assert_eq!(addr, client.getsockname()?);
    /// assert_eq!(conn.getpeername()?, addr);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn accept(&self) -> Result<(Socket, Address)> {
        // Timed accepts wait first, as CPython's do (accept has no per-call
        // non-blocking flag, and a dup set to blocking mode clears O_NONBLOCK),
        // unless a kernel backstop bounds the first one.
        let (inner, addr) = sock_call(
            self.as_fd(),
            Interest::Read,
            self.timeouts.receive(0),
            Attempt::WaitFirst,
            |_| self.inner.accept(),
        )?;
        let peer = Address::from_sockaddr(&addr);
        let timeouts = self.timeouts.accepted(inner.as_fd(), getdefaulttimeout())?;
        let conn = Socket::assemble(inner, self.family, self.kind, self.proto, timeouts);
        Ok((conn, peer))
    }

    /// Connects to an address: `connect(2)`, Python's `sock.connect(address)`.
    ///
    /// For TCP this sends the `SYN` of the three-way handshake and returns once
    /// the `SYN-ACK` arrived (`SYN_SENT` then `ESTABLISHED`). In timeout mode
    /// the handshake must finish within the timeout ([`Error::Timeout`]); in
    /// non-blocking mode the connection goes on in the background and this
    /// returns an [`Error::Io`] with `EINPROGRESS`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let server = Socket::new(AF_INET, SOCK_STREAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// server.listen(5)?;
    /// let client = Socket::new(AF_INET, SOCK_STREAM)?;
    /// client.connect(server.getsockname()?)?; // or ("127.0.0.1", port)
    /// assert_eq!(client.getpeername()?, server.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn connect(&self, addr: impl ToAddress) -> Result<()> {
        let addr = self.sockaddr(addr)?;
        self.connect_sockaddr(&addr)
    }

    /// Connects, returning an OS failure as its errno: `connect(2)`, Python's
    /// `sock.connect_ex(address)`.
    ///
    /// `Ok(0)` on success; a timeout is `EWOULDBLOCK`. Bad addresses and names
    /// that do not resolve are still `Err`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let unused = Socket::new(AF_INET, SOCK_STREAM)?;
    /// unused.bind(("127.0.0.1", 0))?; // bound but not listening: connections are refused
    /// let client = Socket::new(AF_INET, SOCK_STREAM)?;
    /// assert_eq!(client.connect_ex(unused.getsockname()?)?, libc::ECONNREFUSED);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn connect_ex(&self, addr: impl ToAddress) -> Result<i32> {
        let addr = self.sockaddr(addr)?;
        match self.connect_sockaddr(&addr) {
            Ok(()) => Ok(0),
            Err(Error::Timeout) => Ok(libc::EWOULDBLOCK),
            Err(Error::Io(err)) => Ok(err.raw_os_error().unwrap_or(libc::EIO)),
            Err(other) => Err(other),
        }
    }

    /// CPython's `internal_connect`.
    fn connect_sockaddr(&self, addr: &SockAddr) -> Result<()> {
        sock_connect(
            self.as_fd(),
            self.timeouts.receive(0),
            || self.inner.connect(addr),
            || match self.inner.take_error()? {
                None => Ok(()),
                Some(err) if err.raw_os_error() == Some(libc::EISCONN) => Ok(()),
                Some(err) => Err(err),
            },
        )
    }

    /// Sends data: `send(2)`, Python's `sock.send(data)`.
    ///
    /// Returns how many bytes went out, which may be fewer than given;
    /// [`sendall`](Socket::sendall) sends everything.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let n = a.send(b"hello")?;
    /// assert_eq!(b.recv(64)?, &b"hello"[..n]);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with_flags(data, MsgFlags::empty())
    }

    #[doc(alias = "send")]
    /// Sends data with `MSG_*` flags: `send(2)`, Python's `sock.send(data, flags)`.
    ///
    /// `MSG_NOSIGNAL` is always added where the OS has it.
    ///
    /// ```
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// // MSG_DONTWAIT: this one send does not wait, whatever the socket's mode.
    /// assert_eq!(a.send_with_flags(b"hi", MsgFlags::DONTWAIT)?, 2);
    /// assert_eq!(b.recv(2)?, b"hi");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn send_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<usize> {
        let flags = flags.bits() | sys::SEND_FLAGS;
        self.call(Interest::Write, self.timeouts.send(flags), |dontwait| {
            sys::send(self.as_fd(), data, flags | dontwait)
        })
    }

    /// Sends all of `data`, calling `send(2)` until it is out: Python's
    /// `sock.sendall(data)`.
    ///
    /// In timeout mode the timeout covers the whole call, however many sends it
    /// takes. On error some prefix of the data may have been sent.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"all of it")?;
    /// assert_eq!(b.recv(64)?, b"all of it");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline]
    pub fn sendall(&self, data: &[u8]) -> Result<()> {
        self.sendall_with_flags(data, MsgFlags::empty())
    }

    #[doc(alias = "sendall")]
    /// Sends all of `data` with `MSG_*` flags: `send(2)` until it is out,
    /// Python's `sock.sendall(data, flags)`.
    ///
    /// ```
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// a.sendall_with_flags(b"all of it", MsgFlags::empty())?;
    /// assert_eq!(b.recv(64)?, b"all of it");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline]
    pub fn sendall_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<()> {
        let mut sent = 0;
        self.send_all_from(data, &mut sent, flags)
    }

    /// Sends `data[*sent..]` against one deadline, keeping `*sent` up to date so
    /// that a caller that buffers (the [`SocketFile`]) never sends a byte twice.
    ///
    /// The first send is inlined (for the reason
    /// [`recv_into_with_flags`](Socket::recv_into_with_flags) is); the rest,
    /// when it leaves data to send, is [`send_all_rest`](Socket::send_all_rest).
    #[inline(always)]
    pub(crate) fn send_all_from(
        &self,
        data: &[u8],
        sent: &mut usize,
        flags: MsgFlags,
    ) -> Result<()> {
        // One deadline for every send. Its clock starts at the first wait,
        // or once the first send has left data to send: a sendall whose first
        // send takes everything never reads the clock.
        let mut plan = self.timeouts.send(flags.bits());
        // One send even for empty data, as CPython's do-while: a closed peer still errs.
        self.send_some(data, sent, &mut plan, flags)?;
        if *sent >= data.len() {
            return Ok(());
        }
        self.send_all_rest(data, sent, plan, flags)
    }

    /// The sends of [`send_all_from`](Socket::send_all_from) after a first
    /// one that left data to send, against the deadline of `plan`.
    #[inline(never)]
    fn send_all_rest(
        &self,
        data: &[u8],
        sent: &mut usize,
        mut plan: Plan,
        flags: MsgFlags,
    ) -> Result<()> {
        loop {
            plan.start_clock();
            self.send_some(data, sent, &mut plan, flags)?;
            if *sent >= data.len() {
                return Ok(());
            }
        }
    }

    /// One send of `sendall`: of `data[*sent..]`, adding to `*sent` what went out.
    #[inline(always)]
    fn send_some(
        &self,
        data: &[u8],
        sent: &mut usize,
        plan: &mut Plan,
        flags: MsgFlags,
    ) -> Result<()> {
        // A stream has no message to keep whole, so a large buffer goes out
        // in sends of SENDALL_CHUNK; datagrams and records go in one.
        let most = if self.kind == SockType::STREAM {
            SENDALL_CHUNK
        } else {
            usize::MAX
        };
        let flags = flags.bits() | sys::SEND_FLAGS;
        let rest = &data[*sent..];
        let rest = &rest[..rest.len().min(most)];
        let n = sock_call_in(
            self.as_fd(),
            Interest::Write,
            plan,
            Attempt::TryFirst,
            |dontwait| sys::send(self.as_fd(), rest, flags | dontwait),
        )?;
        if n == 0 && !rest.is_empty() {
            return Err(Error::Io(io::ErrorKind::WriteZero.into()));
        }
        *sent += n;
        Ok(())
    }

    /// Sends a datagram to an address: `sendto(2)`, Python's
    /// `sock.sendto(data, address)`. Returns the bytes sent.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let (data, from) = server.recvfrom(1024)?;
    /// assert_eq!(data, b"ping");
    /// server.sendto(&data, &from)?;
    /// assert_eq!(client.recv(1024)?, b"ping");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn sendto(&self, data: &[u8], addr: impl ToAddress) -> Result<usize> {
        self.sendto_with_flags(data, MsgFlags::empty(), addr)
    }

    #[doc(alias = "sendto")]
    /// Sends a datagram to an address with `MSG_*` flags: `sendto(2)`, Python's
    /// `sock.sendto(data, flags, address)`.
    ///
    /// ```
    /// use pysocket::{MsgFlags, Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.sendto_with_flags(b"ping", MsgFlags::DONTWAIT, server.getsockname()?)?;
    /// assert_eq!(server.recv(1024)?, b"ping");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn sendto_with_flags(
        &self,
        data: &[u8],
        flags: MsgFlags,
        addr: impl ToAddress,
    ) -> Result<usize> {
        let addr = self.sockaddr(addr)?;
        let flags = flags.bits() | sys::SEND_FLAGS;
        self.call(Interest::Write, self.timeouts.send(flags), |dontwait| {
            sys::sendto(self.as_fd(), data, flags | dontwait, &addr)
        })
    }

    /// Receives up to `bufsize` bytes: `recv(2)`, Python's `sock.recv(bufsize)`.
    ///
    /// An empty result means the peer shut down its side (TCP's `FIN`: this end
    /// goes to `CLOSE_WAIT`). `recv(0)` returns an empty vector at once. The
    /// vector is allocated once, with room for `bufsize` bytes; a size that cannot
    /// be allocated is [`Error::InvalidArgument`].
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"hello")?;
    /// assert_eq!(b.recv(1024)?, b"hello");
    /// drop(a);
    /// assert!(b.recv(1024)?.is_empty()); // the peer is gone: end of stream
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recv(&self, bufsize: usize) -> Result<Vec<u8>> {
        self.recv_with_flags(bufsize, MsgFlags::empty())
    }

    #[doc(alias = "recv")]
    /// Receives up to `bufsize` bytes with `MSG_*` flags (`MSG_PEEK`,
    /// `MSG_WAITALL`, ...): `recv(2)`, Python's `sock.recv(bufsize, flags)`.
    ///
    /// With `MSG_TRUNC` a datagram longer than `bufsize` is still cut to
    /// `bufsize`; on a TCP socket Linux discards the data unread, and the result
    /// is that many zero bytes.
    ///
    /// ```
    /// use pysocket::{socketpair, MSG_PEEK};
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"hello")?;
    /// assert_eq!(b.recv_with_flags(5, MSG_PEEK)?, b"hello");
    /// assert_eq!(b.recv(5)?, b"hello"); // the peek left it there
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recv_with_flags(&self, bufsize: usize, flags: MsgFlags) -> Result<Vec<u8>> {
        let mut buf = alloc_recv_buffer(bufsize, flags)?;
        if bufsize == 0 {
            return Ok(buf);
        }
        let plan = self.timeouts.receive(flags.bits());
        let n = self.call(Interest::Read, plan, |dontwait| {
            sys::recv(
                self.as_fd(),
                buf.spare_capacity_mut(),
                flags.bits() | dontwait,
            )
        })?;
        // With MSG_TRUNC the kernel reports the datagram's full length, which may
        // exceed what it wrote.
        let n = n.min(bufsize);
        // SAFETY: the kernel initialised the first `n` bytes of the spare capacity
        // (or, with MSG_TRUNC, alloc_recv_buffer zeroed it), and `n` does not
        // exceed the capacity.
        unsafe { buf.set_len(n) };
        Ok(buf)
    }

    /// Receives into `buf`: `recv(2)`, Python's `sock.recv_into(buffer)`.
    ///
    /// Returns the byte count, 0 at the end of the stream; an empty `buf` returns
    /// 0 at once.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"abc")?;
    /// let mut buf = [0u8; 16];
    /// let n = b.recv_into(&mut buf)?;
    /// assert_eq!(&buf[..n], b"abc");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline]
    pub fn recv_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_into_with_flags(buf, MsgFlags::empty())
    }

    #[doc(alias = "recv_into")]
    /// Receives into `buf` with `MSG_*` flags: `recv(2)`, Python's
    /// `sock.recv_into(buffer, 0, flags)`.
    ///
    /// With `MSG_TRUNC` on a datagram socket the count is the datagram's full
    /// length, which may exceed `buf.len()`.
    ///
    /// ```
    /// use pysocket::{socketpair_with, MsgFlags, AF_UNIX, SOCK_DGRAM};
    /// let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM)?;
    /// a.send(b"a long datagram")?;
    /// let mut buf = [0u8; 6];
    /// assert_eq!(b.recv_into_with_flags(&mut buf, MsgFlags::TRUNC)?, 15);
    /// assert_eq!(&buf, b"a long");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline(always)]
    pub fn recv_into_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> Result<usize> {
        // Inlined, as every call on the way to the system call is: a thread
        // that slept in `recv` wakes to a cold cache, and each frame between
        // it and its caller is a line to load again (BENCHMARKS.md, "Servers").
        if buf.is_empty() {
            return Ok(0);
        }
        let buf = sys::as_uninit_mut(buf);
        let plan = self.timeouts.receive(flags.bits());
        let n = self.call(Interest::Read, plan, |dontwait| {
            sys::recv(self.as_fd(), buf, flags.bits() | dontwait)
        });
        // A receive that slept finds this socket's state gone from the
        // cache, and the caller's next call needs it: loaded now, its miss
        // overlaps the caller's own (BENCHMARKS.md, "Servers").
        self.timeouts.touch();
        n
    }

    /// Receives into the spare capacity of `buf` and extends its length by the
    /// byte count, which it returns (0 at the end of the stream). `buf` must
    /// have spare capacity. For [`SocketFile`], which so keeps its read buffer
    /// at the length received and does not zero it before each `recv`.
    pub(crate) fn recv_append(&self, buf: &mut Vec<u8>) -> Result<usize> {
        let len = buf.len();
        let spare = buf.spare_capacity_mut();
        debug_assert!(!spare.is_empty(), "recv_append without room");
        let room = spare.len();
        let plan = self.timeouts.receive(0);
        let n = self.call(Interest::Read, plan, |dontwait| {
            sys::recv(self.as_fd(), spare, dontwait)
        })?;
        // Without MSG_TRUNC the kernel never reports more than it wrote; the
        // `min` only guards the length below.
        let n = n.min(room);
        // SAFETY: the kernel initialised the first `n` bytes of the spare
        // capacity, and `len + n` does not exceed the capacity.
        unsafe { buf.set_len(len + n) };
        Ok(n)
    }

    /// Receives a datagram and its sender: `recvfrom(2)`, Python's
    /// `data, address = sock.recvfrom(bufsize)`.
    ///
    /// On a connected stream the sender is the peer.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.bind(("127.0.0.1", 0))?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let (data, from) = server.recvfrom(1024)?;
    /// assert_eq!((data, from), (b"ping".to_vec(), client.getsockname()?));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recvfrom(&self, bufsize: usize) -> Result<(Vec<u8>, Address)> {
        self.recvfrom_with_flags(bufsize, MsgFlags::empty())
    }

    #[doc(alias = "recvfrom")]
    /// Receives a datagram and its sender with `MSG_*` flags: `recvfrom(2)`,
    /// Python's `sock.recvfrom(bufsize, flags)`.
    ///
    /// ```
    /// use pysocket::{MsgFlags, Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.bind(("127.0.0.1", 0))?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let (peeked, _) = server.recvfrom_with_flags(1024, MsgFlags::PEEK)?;
    /// let (data, from) = server.recvfrom(1024)?;
    /// assert_eq!((peeked, from), (data, client.getsockname()?));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recvfrom_with_flags(
        &self,
        bufsize: usize,
        flags: MsgFlags,
    ) -> Result<(Vec<u8>, Address)> {
        let mut buf = alloc_recv_buffer(bufsize, flags)?;
        let plan = self.timeouts.receive(flags.bits());
        let (n, from) = self.call(Interest::Read, plan, |dontwait| {
            sys::recvfrom(
                self.as_fd(),
                buf.spare_capacity_mut(),
                flags.bits() | dontwait,
            )
        })?;
        let n = n.min(bufsize);
        // SAFETY: the kernel initialised the first `n` bytes of the spare capacity
        // (or, with MSG_TRUNC, alloc_recv_buffer zeroed it), and `n` does not
        // exceed the capacity.
        unsafe { buf.set_len(n) };
        Ok((buf, self.peer_address(&from)))
    }

    /// Receives a datagram into `buf`, with its sender: `recvfrom(2)`, Python's
    /// `nbytes, address = sock.recvfrom_into(buffer)`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.bind(("127.0.0.1", 0))?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let mut buf = [0u8; 1024];
    /// let (n, from) = server.recvfrom_into(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"ping"[..], client.getsockname()?));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recvfrom_into(&self, buf: &mut [u8]) -> Result<(usize, Address)> {
        self.recvfrom_into_with_flags(buf, MsgFlags::empty())
    }

    #[doc(alias = "recvfrom_into")]
    /// Receives a datagram into `buf`, with its sender and `MSG_*` flags:
    /// `recvfrom(2)`, Python's `sock.recvfrom_into(buffer, 0, flags)`.
    ///
    /// ```
    /// use pysocket::{MsgFlags, Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.bind(("127.0.0.1", 0))?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let mut buf = [0u8; 1024];
    /// let (n, from) = server.recvfrom_into_with_flags(&mut buf, MsgFlags::PEEK)?;
    /// assert_eq!((&buf[..n], from), (&b"ping"[..], client.getsockname()?));
    /// assert_eq!(server.recv(1024)?, b"ping"); // still queued after the peek
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recvfrom_into_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> Result<(usize, Address)> {
        let buf = sys::as_uninit_mut(buf);
        let plan = self.timeouts.receive(flags.bits());
        let (n, from) = self.call(Interest::Read, plan, |dontwait| {
            sys::recvfrom(self.as_fd(), buf, flags.bits() | dontwait)
        })?;
        Ok((n, self.peer_address(&from)))
    }

    /// Shuts down one or both directions of a connection: `shutdown(2)`, Python's
    /// `sock.shutdown(how)`.
    ///
    /// `how` is [`SHUT_RD`](crate::SHUT_RD) (no more receives),
    /// [`SHUT_WR`](crate::SHUT_WR) (no more sends) or
    /// [`SHUT_RDWR`](crate::SHUT_RDWR) (both). `SHUT_WR` sends TCP's `FIN` (this
    /// end goes to `FIN_WAIT_1`, then `FIN_WAIT_2` once acknowledged), so the
    /// peer's `recv` returns empty while it can still send back. Unlike
    /// [`close`](Socket::close) it acts on the connection, so every
    /// [`dup`](Socket::dup) sees it, and threads blocked in `recv` or `accept` on
    /// this socket wake up.
    ///
    /// ```
    /// use pysocket::{socketpair, SHUT_WR};
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"request")?;
    /// a.shutdown(SHUT_WR)?; // "that is all": b sees the end of the stream
    /// assert_eq!(b.recv(64)?, b"request");
    /// assert!(b.recv(64)?.is_empty());
    /// b.sendall(b"reply")?; // the other direction still works
    /// assert_eq!(a.recv(64)?, b"reply");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.inner.shutdown(how)?)
    }

    /// Closes the socket: `close(2)`, Python's `sock.close()`, with its error
    /// reported. Dropping the socket closes it too, ignoring errors.
    ///
    /// On a connected TCP socket this starts (or finishes) the four-way close:
    /// a `FIN` to the peer, whose `recv` then returns empty. Like CPython,
    /// `ECONNRESET` from `close` is not an error: the peer is gone either way.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.close()?;
    /// assert!(b.recv(64)?.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn close(self) -> Result<()> {
        match sys::close(self.inner.into_raw_fd()) {
            Err(err) if err.raw_os_error() == Some(libc::ECONNRESET) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Gives up the descriptor without closing it: Python's `sock.detach()`.
    ///
    /// The caller owns the descriptor from then on. In timeout mode it is left
    /// non-blocking, and kernel timeouts the crate set are cleared (see
    /// [How timeout mode waits](Socket#how-timeout-mode-waits)).
    ///
    /// ```
    /// use std::os::fd::{FromRawFd, OwnedFd};
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let fd = a.detach();
    /// // SAFETY: `detach` gave up the open descriptor, which nothing else owns.
    /// let a = std::os::unix::net::UnixStream::from(unsafe { OwnedFd::from_raw_fd(fd) });
    /// std::io::Write::write_all(&mut &a, b"still open")?;
    /// assert_eq!(b.recv(64)?, b"still open");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detach(self) -> RawFd {
        self.release();
        self.inner.into_raw_fd()
    }

    /// A second socket on the same connection: `dup(2)`, Python's `sock.dup()`.
    ///
    /// The new descriptor is close-on-exec and the socket has the same timeout.
    /// Both share the descriptor's file status, as in CPython, and the socket's
    /// kernel timeouts (see [How timeout mode waits](Socket#how-timeout-mode-waits)).
    /// The connection stays open until both are closed.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let a2 = a.dup()?;
    /// assert_ne!(a2.fileno(), a.fileno());
    /// drop(a);
    /// a2.sendall(b"via the dup")?;
    /// assert_eq!(b.recv(64)?, b"via the dup");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn dup(&self) -> Result<Socket> {
        let inner = self.inner.try_clone()?;
        Ok(Socket {
            inner,
            family: self.family,
            kind: self.kind,
            proto: self.proto,
            timeouts: self.timeouts.dup(),
        })
    }

    /// The descriptor: Python's `sock.fileno()`. The socket still owns it.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// assert!(a.fileno() >= 0);
    /// assert_eq!(a.fileno(), a.as_raw_fd());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn fileno(&self) -> RawFd {
        self.inner.as_raw_fd()
    }

    /// The local address: `getsockname(2)`, Python's `sock.getsockname()`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// sock.bind(("127.0.0.1", 0))?;
    /// let addr = sock.getsockname()?;
    /// assert_eq!(addr.ip(), Some("127.0.0.1".parse().unwrap()));
    /// assert_ne!(addr.port(), Some(0)); // the port the OS chose
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getsockname(&self) -> Result<Address> {
        Ok(Address::from_sockaddr(&self.inner.local_addr()?))
    }

    /// The peer's address: `getpeername(2)`, Python's `sock.getpeername()`.
    /// `ENOTCONN` on an unconnected socket.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// assert_eq!(client.getpeername().unwrap_err().errno(), Some(libc::ENOTCONN));
    /// client.connect(server.getsockname()?)?;
    /// assert_eq!(client.getpeername()?, server.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getpeername(&self) -> Result<Address> {
        Ok(Address::from_sockaddr(&self.inner.peer_addr()?))
    }

    /// Sets an option by level and name: `setsockopt(2)`, Python's
    /// `sock.setsockopt(level, optname, value)`.
    ///
    /// The value is an `int` (`i32` or `bool`) or the option's raw bytes
    /// ([`OptValue`]). An option the OS rejects is an [`Error::Io`] with its
    /// errno. Setting `SO_RCVTIMEO` or `SO_SNDTIMEO` here makes them yours (see
    /// [How timeout mode waits](Socket#how-timeout-mode-waits)).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER, SO_REUSEADDR};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, true)?;
    /// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR)?, 1);
    /// // struct linger { l_onoff: 1, l_linger: 5 }, as Python's struct.pack("ii", 1, 5)
    /// let linger = [1i32.to_ne_bytes(), 5i32.to_ne_bytes()].concat();
    /// sock.setsockopt(SOL_SOCKET, SO_LINGER, &linger)?;
    /// assert_eq!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8)?, linger);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn setsockopt<'a>(
        &self,
        level: i32,
        name: i32,
        value: impl Into<OptValue<'a>>,
    ) -> Result<()> {
        let int_bytes;
        let bytes = match value.into() {
            OptValue::Int(value) => {
                int_bytes = value.to_ne_bytes();
                &int_bytes[..]
            }
            OptValue::Bytes(bytes) => bytes,
        };
        sys::setsockopt(self.as_fd(), level, name, bytes)?;
        if level == libc::SOL_SOCKET && (name == libc::SO_RCVTIMEO || name == libc::SO_SNDTIMEO) {
            self.timeouts.yield_kernel_timeouts(self.as_fd())?;
        }
        Ok(())
    }

    #[doc(alias = "setsockopt")]
    /// Sets an option that takes no value, only a length: `setsockopt(2)`
    /// with a null `optval`, Python's `sock.setsockopt(level, optname, None,
    /// optlen)`.
    ///
    /// This is the form `AF_ALG` needs (`ALG_SET_AEAD_AUTHSIZE` takes the tag
    /// size as `optlen`), and the one that unbinds `SO_BINDTODEVICE` (a null
    /// name of length 0). It is a method of its own rather than a third
    /// [`OptValue`] variant, so that code matching on `OptValue` keeps
    /// compiling. An option that needs a value fails as the kernel says:
    /// an [`Error::Io`] with `EFAULT` or `EINVAL`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// # #[cfg(target_os = "linux")] {
    /// // SO_BINDTODEVICE with no name: bound to no device
    /// sock.setsockopt_null(SOL_SOCKET, libc::SO_BINDTODEVICE, 0)?;
    /// // an int option given no int: EFAULT, as Python's OSError(14, 'Bad address')
    /// let err = sock.setsockopt_null(SOL_SOCKET, SO_REUSEADDR, 4).unwrap_err();
    /// assert_eq!(err.errno(), Some(libc::EFAULT));
    /// # }
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn setsockopt_null(&self, level: i32, name: i32, optlen: u32) -> Result<()> {
        Ok(sys::setsockopt_null(self.as_fd(), level, name, optlen)?)
    }

    /// Reads an `int` option: `getsockopt(2)`, Python's
    /// `sock.getsockopt(level, optname)`.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_DGRAM, SOL_SOCKET, SO_TYPE};
    /// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_TYPE)?, libc::SOCK_DGRAM);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getsockopt(&self, level: i32, name: i32) -> Result<i32> {
        Ok(sys::getsockopt_int(self.as_fd(), level, name)?)
    }

    #[doc(alias = "getsockopt")]
    /// Reads an option as bytes: `getsockopt(2)`, Python's
    /// `sock.getsockopt(level, optname, buflen)`.
    ///
    /// There is room for `buflen` bytes (1 to 1024, as in CPython; other sizes
    /// are [`Error::InvalidArgument`]); the result is as long as the OS says.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// // struct linger, off by default: l_onoff 0, l_linger 0
    /// assert_eq!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8)?, [0u8; 8]);
    /// assert!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 0).is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getsockopt_bytes(&self, level: i32, name: i32, buflen: usize) -> Result<Vec<u8>> {
        if buflen == 0 || buflen > GETSOCKOPT_MAX {
            return Err(Error::invalid(format!(
                "getsockopt buflen out of range: {buflen} (it must be from 1 to {GETSOCKOPT_MAX})"
            )));
        }
        Ok(sys::getsockopt_bytes(self.as_fd(), level, name, buflen)?)
    }

    /// Sets the timeout mode: Python's `sock.settimeout(value)`.
    ///
    /// `None` is blocking mode, `Some(Duration::ZERO)` non-blocking mode, and
    /// `Some(d)` timeout mode: each call waits at most `d` in all, then fails
    /// with [`Error::Timeout`] (see [the type's docs](Socket#timeouts)). Calls
    /// already under way keep the mode they started in.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_millis(50)))?;
    /// assert!(a.getblocking());
    /// assert!(a.recv(1).unwrap_err().is_timeout()); // nothing came within 50 ms
    /// a.setblocking(false)?;
    /// assert_eq!(a.gettimeout(), Some(Duration::ZERO));
    /// assert_eq!(a.recv(1).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    ///
    /// # How timeout mode waits
    ///
    /// What a program can observe of timeout mode, beyond CPython's semantics:
    ///
    /// - **One deadline per call.** Its clock starts when the call first has to
    ///   wait (a call that completes at once never reads it); every send of a
    ///   [`sendall`](Socket::sendall) and every retry after a signal counts against
    ///   the same deadline.
    /// - **Kernel timeouts.** On Linux, a timeout of 50 ms or more keeps the
    ///   descriptor blocking (CPython's is `O_NONBLOCK`) and sets the kernel's
    ///   `SO_RCVTIMEO` and `SO_SNDTIMEO` a little below the timeout, so that a
    ///   receive, `accept` or `connect` sleeps in its system call; the call still
    ///   ends at its deadline. Shorter timeouts, and other systems, use
    ///   `O_NONBLOCK` and `poll(2)`, as CPython does.
    /// - **Shared by `dup`s.** Kernel timeouts belong to the socket, not the
    ///   descriptor: [`dup`](Socket::dup)s, forked copies and accepted sockets share
    ///   or inherit them. The crate only ever lowers them, and a call in blocking
    ///   mode waits on through their expiry, so neither mode disturbs the other.
    /// - **Your own `SO_RCVTIMEO`/`SO_SNDTIMEO`.** Set with
    ///   [`setsockopt`](Socket::setsockopt), they are yours: the crate leaves them
    ///   alone, blocking calls end with `WouldBlock` when they fire (as in CPython),
    ///   and timeout mode waits with `poll(2)` on an `O_NONBLOCK` descriptor. Set
    ///   through [`as_socket2`](Socket::as_socket2) or a raw `setsockopt(2)`, the
    ///   crate does not know them: a blocking call waits through their expiry as
    ///   through its own.
    /// - **Leaving the crate.** [`detach`](Socket::detach),
    ///   [`into_socket2`](Socket::into_socket2) and the conversions to std and
    ///   `OwnedFd` clear the kernel timeouts the crate set and, in timeout mode, set
    ///   `O_NONBLOCK`: std sees no timeout it did not set. A `dup` left behind in
    ///   blocking mode may then sleep in the kernel without the crate's bound, so let
    ///   a socket leave the crate once its `dup`s are done.
    pub fn settimeout(&self, timeout: Option<Duration>) -> Result<()> {
        Ok(self.timeouts.set(self.as_fd(), timeout)?)
    }

    /// The timeout: Python's `sock.gettimeout()`. `None` in blocking mode,
    /// `Some(Duration::ZERO)` in non-blocking mode.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(a.gettimeout(), Some(Duration::from_secs(5)));
    /// a.settimeout(None)?;
    /// assert_eq!(a.gettimeout(), None);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn gettimeout(&self) -> Option<Duration> {
        self.timeouts.get()
    }

    /// Sets blocking or non-blocking mode: Python's `sock.setblocking(flag)`.
    ///
    /// `setblocking(true)` is `settimeout(None)`; `setblocking(false)` is
    /// `settimeout(Some(Duration::ZERO))`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.setblocking(false)?;
    /// assert_eq!(a.gettimeout(), Some(Duration::ZERO));
    /// assert!(a.recv(1).unwrap_err().is_would_block());
    /// a.setblocking(true)?;
    /// assert_eq!(a.gettimeout(), None);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn setblocking(&self, blocking: bool) -> Result<()> {
        self.settimeout(if blocking { None } else { Some(Duration::ZERO) })
    }

    /// Whether calls may wait: Python's `sock.getblocking()`.
    ///
    /// True in blocking mode *and* in timeout mode, as in CPython; false only in
    /// non-blocking mode.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_secs(1)))?;
    /// assert!(a.getblocking());
    /// a.settimeout(Some(Duration::ZERO))?;
    /// assert!(!a.getblocking());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getblocking(&self) -> bool {
        self.gettimeout() != Some(Duration::ZERO)
    }

    /// Whether child processes inherit the descriptor: Python's
    /// `sock.get_inheritable()`. Never, unless [`set_inheritable`](Socket::set_inheritable)
    /// said so.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// assert!(!a.get_inheritable()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn get_inheritable(&self) -> Result<bool> {
        Ok(!sys::is_cloexec(self.as_fd())?)
    }

    /// Lets child processes inherit the descriptor, or not: Python's
    /// `sock.set_inheritable(inheritable)` (clears or sets `FD_CLOEXEC`).
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.set_inheritable(true)?;
    /// assert!(a.get_inheritable()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        Ok(self.inner.set_cloexec(!inheritable)?)
    }

    /// A buffered file over the socket: Python's `sock.makefile('rwb')`.
    ///
    /// It reads ([`Read`], [`BufRead`](std::io::BufRead)) and writes ([`Write`]) on
    /// the one socket, honours its timeout (errors of kind `TimedOut`), and flushes
    /// on drop. See [`SocketFile`].
    ///
    /// ```
    /// use std::io::{BufRead, Write};
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let mut out = a.makefile();
    /// out.write_all(b"first line\nsecond line\n")?;
    /// out.flush()?;
    /// let mut lines = b.makefile();
    /// let mut line = String::new();
    /// lines.read_line(&mut line)?;
    /// assert_eq!(line, "first line\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn makefile(&self) -> SocketFile<'_> {
        SocketFile::new(self)
    }

    /// A buffered file that owns the socket, as Python's file keeps its
    /// socket alive: it can outlive the name the socket had and move to
    /// another thread. Dropping it flushes what it buffered, then closes the
    /// socket. Otherwise the same as [`makefile`](Socket::makefile).
    ///
    /// ```
    /// use std::io::{BufRead, Write};
    /// use pysocket::{create_connection, create_server};
    ///
    /// let server = create_server(("127.0.0.1", 0))?;
    /// let mut client = create_connection(server.getsockname()?, None)?.into_makefile();
    /// let (conn, _) = server.accept()?;
    /// let echo = std::thread::spawn(move || -> std::io::Result<()> {
    ///     let mut file = conn.into_makefile();
    ///     let mut line = String::new();
    ///     file.read_line(&mut line)?;
    ///     file.write_all(line.to_uppercase().as_bytes())
    ///     // dropped here: flushed, then closed
    /// });
    /// client.write_all(b"hello\n")?;
    /// client.flush()?;
    /// let mut reply = String::new();
    /// client.read_line(&mut reply)?;
    /// assert_eq!(reply, "HELLO\n");
    /// echo.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_makefile(self) -> SocketFile<'static> {
        SocketFile::owning(self)
    }

    /// The [`socket2::Socket`] underneath, for options this facade does not wrap.
    ///
    /// Changing its blocking mode directly bypasses the facade's timeout mode;
    /// use [`settimeout`](Socket::settimeout) instead. Its sends and receives
    /// know nothing of the timeout mode either: called directly in timeout
    /// mode, they may fail with `WouldBlock` before the timeout (Linux's
    /// kernel timeout that backs it up fires first) and send without
    /// `MSG_NOSIGNAL`. Run them through
    /// [`call_with_timeout`](Socket::call_with_timeout) (or
    /// [`call_when_ready`](Socket::call_when_ready) for calls without flags)
    /// for the semantics every call of the facade has.
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// sock.as_socket2().set_tcp_nodelay(true)?;
    /// assert!(sock.as_socket2().tcp_nodelay()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_socket2(&self) -> &socket2::Socket {
        &self.inner
    }

    #[doc(alias = "sock_call")]
    /// Runs a send or receive of [`as_socket2`](Socket::as_socket2) under the
    /// socket's timeout mode: the escape hatch for calls this facade does not
    /// wrap, with the semantics every call of the facade has.
    ///
    /// `op` makes the call with the flags it is given, which are `flags` and
    /// what the mode needs: `MSG_DONTWAIT` when the call must not sleep in the
    /// kernel, and for [`Interest::Write`] `MSG_NOSIGNAL` where the OS has
    /// it. It must OR them into the call (socket2's `*_with_flags`
    /// calls and `sendmsg`/`recvmsg` take them as `flags.bits()`); for a call
    /// that takes no flags, use [`call_when_ready`](Socket::call_when_ready).
    /// Then, as in CPython's `sock_call`:
    ///
    /// - in **blocking** mode `op` sleeps in the kernel until it completes;
    /// - in **non-blocking** mode (or in blocking mode with `MSG_DONTWAIT` in
    ///   `flags`) it runs once, and `WouldBlock` is the answer;
    /// - in **timeout** mode it runs, and while it fails with `WouldBlock` the
    ///   call waits for `interest` and runs it again, until one deadline for
    ///   the whole call passes: then [`Error::Timeout`].
    ///
    /// In every mode a call interrupted by a signal (`EINTR`) is run again,
    /// within the same deadline. Any other error is [`Error::Io`].
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::time::Duration;
    /// use pysocket::{socketpair, Interest, MsgFlags};
    /// use socket2::MsgHdr;
    ///
    /// let (a, b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_secs(5)))?;
    /// // socket2's sendmsg, with the socket's timeout and no SIGPIPE.
    /// let buffers = [IoSlice::new(b"via "), IoSlice::new(b"socket2")];
    /// let sent = a.call_with_timeout(Interest::Write, MsgFlags::empty(), |sock, flags| {
    ///     sock.sendmsg(&MsgHdr::new().with_buffers(&buffers), flags.bits())
    /// })?;
    /// assert_eq!(sent, 11);
    /// assert_eq!(b.recv(64)?, b"via socket2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_with_timeout<T>(
        &self,
        interest: Interest,
        flags: MsgFlags,
        mut op: impl FnMut(&socket2::Socket, MsgFlags) -> io::Result<T>,
    ) -> Result<T> {
        let (plan, flags) = match interest {
            Interest::Read => (self.timeouts.receive(flags.bits()), flags.bits()),
            Interest::Write => (
                self.timeouts.send(flags.bits()),
                flags.bits() | sys::SEND_FLAGS,
            ),
        };
        self.call(interest, plan, |dontwait| {
            op(&self.inner, MsgFlags::from_bits_retain(flags | dontwait))
        })
    }

    /// Runs a call of [`as_socket2`](Socket::as_socket2) that takes no flags
    /// (`accept`, `peek_sender`, a `read`) under the socket's timeout mode:
    /// in timeout mode the call waits for `interest` before each attempt, as
    /// CPython's `accept` does, within one deadline for the whole call.
    ///
    /// In blocking mode `op` sleeps in the kernel until it completes; in
    /// non-blocking mode it runs once. `EINTR` is retried in every mode. Where the call takes flags, prefer
    /// [`call_with_timeout`](Socket::call_with_timeout): a call that cannot
    /// be told not to sleep may, after a readiness another thread took,
    /// sleep in the kernel until data comes (in timeout mode on Linux, up to
    /// a little less than the timeout; see
    /// [How timeout mode waits](Socket#how-timeout-mode-waits)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{Interest, Socket, AF_INET, SOCK_DGRAM};
    ///
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// server.settimeout(Some(Duration::from_millis(50)))?;
    /// // socket2's peek_sender has no flags argument.
    /// let err = server.call_when_ready(Interest::Read, |sock| sock.peek_sender()).unwrap_err();
    /// assert!(err.is_timeout());
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.bind(("127.0.0.1", 0))?;
    /// client.sendto(b"hi", server.getsockname()?)?;
    /// let sender = server.call_when_ready(Interest::Read, |sock| sock.peek_sender())?;
    /// assert_eq!(sender.as_socket(), client.getsockname()?.as_socket_addr());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_when_ready<T>(
        &self,
        interest: Interest,
        mut op: impl FnMut(&socket2::Socket) -> io::Result<T>,
    ) -> Result<T> {
        let plan = match interest {
            Interest::Read => self.timeouts.receive(0),
            Interest::Write => self.timeouts.send(0),
        };
        sock_call(self.as_fd(), interest, plan, Attempt::WaitFirst, |_| {
            op(&self.inner)
        })
    }

    /// Gives up the facade for the [`socket2::Socket`] underneath.
    ///
    /// Its descriptor keeps its mode: non-blocking unless the socket was in
    /// blocking mode, and without the kernel timeouts the crate set (see
    /// [How timeout mode waits](Socket#how-timeout-mode-waits)).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// sock.bind(("127.0.0.1", 0))?;
    /// let addr = sock.getsockname()?;
    /// let raw = sock.into_socket2();
    /// assert_eq!(raw.local_addr()?.as_socket(), addr.as_socket_addr());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_socket2(self) -> socket2::Socket {
        self.release();
        self.inner
    }

    /// Runs a send or receive through the timeout engine; `op` gets the flags
    /// the engine adds (`MSG_DONTWAIT` in timeout mode).
    #[inline(always)]
    pub(crate) fn call<T>(
        &self,
        interest: Interest,
        plan: Plan,
        op: impl FnMut(libc::c_int) -> io::Result<T>,
    ) -> Result<T> {
        sock_call(self.as_fd(), interest, plan, Attempt::TryFirst, op)
    }

    /// The plan of a send that starts now, for a call of several sends
    /// against one deadline made outside this file (`sendfile`).
    #[inline]
    pub(crate) fn send_plan(&self) -> Plan {
        self.timeouts.send(0)
    }

    /// Readies the descriptor for life outside the crate (see
    /// [`Timeouts::release`]).
    fn release(&self) {
        self.timeouts.release(self.as_fd());
    }

    fn sockaddr(&self, addr: impl ToAddress) -> Result<SockAddr> {
        addr.to_sockaddr_for(self.family)
    }

    /// The sender `recvfrom` reports. The kernel gives no address for data on
    /// a connected stream (and for an unnamed Unix peer); the sender is then
    /// the peer, or unnamed for `AF_UNIX`. Never an error: the data is already
    /// taken, so a peer that is gone by now (`ENOTCONN`) is an
    /// [`Address::Other`] without bytes, Python's `None`.
    pub(crate) fn peer_address(&self, from: &SockAddr) -> Address {
        if from.len() == 0 || from.family() == libc::AF_UNSPEC as libc::sa_family_t {
            return self.no_sender();
        }
        Address::from_sockaddr(from)
    }

    #[cold]
    #[inline(never)]
    fn no_sender(&self) -> Address {
        if self.family == Family::UNIX {
            return Address::Unix(UnixAddress::Unnamed);
        }
        self.getpeername().unwrap_or(Address::Other {
            family: self.family,
            data: Vec::new(),
        })
    }
}

/// A receive buffer with room for `bufsize` bytes, or an error that says the
/// size cannot be had (instead of an abort).
///
/// With `MSG_TRUNC` the room is zeroed first: on a TCP socket the kernel then
/// discards the data without writing it, yet reports its length, so the bytes
/// returned must not be left uninitialised.
pub(crate) fn alloc_recv_buffer(bufsize: usize, flags: MsgFlags) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(bufsize)
        .map_err(|_| Error::invalid(format!("recv buffer size {bufsize} cannot be allocated")))?;
    if flags.contains(MsgFlags::TRUNC) {
        buf.spare_capacity_mut().fill(MaybeUninit::new(0));
    }
    Ok(buf)
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("fd", &self.fileno())
            .field("family", &self.family)
            .field("type", &self.kind)
            .field("proto", &self.proto)
            .field("timeout", &self.gettimeout())
            .finish()
    }
}

impl fmt::Display for Socket {
    /// Python's repr: `<socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=0, laddr=127.0.0.1:8001>`,
    /// with `raddr` when connected.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<socket fd={}, family={}, type={}, proto={}",
            self.fileno(),
            self.family,
            self.kind,
            self.proto
        )?;
        let named = |addr: &Address| !matches!(addr, Address::Unix(UnixAddress::Unnamed));
        if let Ok(laddr) = self.getsockname() {
            if named(&laddr) {
                write!(f, ", laddr={laddr}")?;
            }
        }
        if let Ok(raddr) = self.getpeername() {
            if named(&raddr) {
                write!(f, ", raddr={raddr}")?;
            }
        }
        f.write_str(">")
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Read for &Socket {
    /// [`Socket::recv_into`], with the socket's timeout as `TimedOut`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.recv_into(buf)?)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// [`Socket::sendall`]: one deadline for all of `buf`.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        (&*self).write_all(buf)
    }
}

impl Write for &Socket {
    /// [`Socket::send`], with the socket's timeout as `TimedOut`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    /// Sockets have no user-space buffer: nothing to do.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// [`Socket::sendall`]: one deadline for all of `buf`.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Ok(self.sendall(buf)?)
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl IntoRawFd for Socket {
    fn into_raw_fd(self) -> RawFd {
        self.detach()
    }
}

impl FromRawFd for Socket {
    /// Adopts a descriptor, reading its family, type, protocol and blocking mode.
    ///
    /// # Safety
    ///
    /// `fd` must be an open socket descriptor that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> Socket {
        // SAFETY: the caller passes ownership of an open socket descriptor.
        Socket::adopt(unsafe { socket2::Socket::from_raw_fd(fd) })
    }
}

impl From<OwnedFd> for Socket {
    /// Adopts a descriptor, reading its family, type, protocol and blocking mode.
    fn from(fd: OwnedFd) -> Socket {
        Socket::adopt(socket2::Socket::from(fd))
    }
}

impl From<Socket> for OwnedFd {
    fn from(sock: Socket) -> OwnedFd {
        sock.release();
        sock.inner.into()
    }
}

impl From<socket2::Socket> for Socket {
    /// Adopts a socket2 socket, reading its family, type, protocol and blocking mode.
    fn from(inner: socket2::Socket) -> Socket {
        Socket::adopt(inner)
    }
}

impl From<Socket> for socket2::Socket {
    fn from(sock: Socket) -> socket2::Socket {
        sock.into_socket2()
    }
}

macro_rules! std_conversions {
    ($($std:ty),*) => {$(
        impl From<$std> for Socket {
            /// Adopts the std socket, reading its family, type, protocol and
            /// blocking mode (non-blocking if it was set so).
            fn from(sock: $std) -> Socket {
                Socket::adopt(socket2::Socket::from(OwnedFd::from(sock)))
            }
        }

        impl From<Socket> for $std {
            /// Gives the descriptor to std. It keeps its mode: in timeout or
            /// non-blocking mode it is non-blocking, so call
            /// `settimeout(None)` first for a blocking std socket.
            fn from(sock: Socket) -> $std {
                <$std>::from(OwnedFd::from(sock))
            }
        }
    )*};
}
std_conversions!(
    TcpStream,
    TcpListener,
    UdpSocket,
    UnixStream,
    UnixListener,
    UnixDatagram
);
