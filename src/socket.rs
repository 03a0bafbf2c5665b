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
/// Every method takes `&self` (except those that give the socket up), so one
/// socket can be shared between threads (`Arc<Socket>`): one thread sending
/// while another receives, as with a Python socket.
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
/// - **timeout** (`Some(d)`): a call waits at most `d` in all, then fails with
///   [`Error::Timeout`]. One deadline covers the whole call, so
///   [`sendall`](Socket::sendall) gets `d` for all its data, not per chunk.
///   Its clock starts when the call first has to wait (for `sendall`, at
///   the latest once its first send has left data to send), so a call that
///   never waits never reads the clock.
///
/// Calls interrupted by a signal are retried (PEP 475) without extending the
/// deadline. Sends never raise `SIGPIPE`: a write to a closed peer is
/// `Err` of kind `BrokenPipe`. Sockets are close-on-exec.
///
/// A call keeps the mode it started in: another thread's `settimeout` (or a
/// `dup`'s) changes the calls that start afterwards, and a call already
/// waiting in blocking mode goes on waiting. [`shutdown`](Socket::shutdown)
/// from another thread wakes the calls waiting on the socket.
///
/// ## How timeout mode waits
///
/// The semantics are CPython's; the mechanism is cheaper. On Linux a timeout
/// of 50 ms or more keeps the descriptor blocking and sets the kernel's
/// `SO_RCVTIMEO` and `SO_SNDTIMEO` to a *backstop* a little shorter than the
/// timeout (an eighth and 20 ms shorter): a receive, `accept` or `connect`
/// that must wait sleeps in that one system call, as in blocking mode, and
/// only if the backstop fires (or a signal interrupts it) does `poll` wait out
/// what is left of the deadline. So a timed call still ends at its deadline to
/// the millisecond, and costs what a blocking one does (BENCHMARKS.md). Sends
/// are tried with `MSG_DONTWAIT` and wait in `poll`. Shorter timeouts, and
/// other systems, put the descriptor in `O_NONBLOCK` and wait in `poll`, as
/// CPython does. What shows at the OS level:
///
/// - in timeout mode the descriptor is not `O_NONBLOCK` (CPython's is), and it
///   carries kernel timeouts the crate set. Kernel timeouts belong to the
///   socket, so `dup`s, forked copies and accepted sockets share or inherit
///   them: the crate only ever lowers a backstop, which wakes every timed
///   call sharing it in time, and blocking calls wait out its wake-ups;
/// - a socket leaving the crate ([`detach`](Socket::detach),
///   [`into_socket2`](Socket::into_socket2), the conversions to std and
///   `OwnedFd`) has the crate's kernel timeouts cleared and, in timeout mode,
///   `O_NONBLOCK` set: std sees no timeout it did not set. (A `dup` still in
///   timeout mode then waits in `poll` if it is non-blocking, but if the one
///   leaving was in blocking mode the `dup`'s next receive sleeps in the
///   kernel without its backstop: let a socket leave the crate when its
///   `dup`s are done.)
/// - `SO_RCVTIMEO`/`SO_SNDTIMEO` set with [`setsockopt`](Socket::setsockopt)
///   are the user's: the crate then leaves them alone, blocking calls end with
///   `WouldBlock` when they fire (as in CPython), and timeout mode waits with
///   `poll` on an `O_NONBLOCK` descriptor. Set them through
///   [`as_socket2`](Socket::as_socket2) or by raw `setsockopt`, and the crate
///   does not know they are yours: a blocking call waits out their
///   `WouldBlock` like a backstop's.
///
/// # Example
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM};
///
/// let server = Socket::new(AF_INET, SOCK_STREAM)?;
/// server.bind(("127.0.0.1", 0))?;
/// server.listen(5)?;
/// let addr = server.getsockname()?;
///
/// let client = Socket::new(AF_INET, SOCK_STREAM)?;
/// client.connect(&addr)?;
/// let (conn, peer) = server.accept()?;
/// assert_eq!(peer, client.getsockname()?);
///
/// client.sendall(b"hello")?;
/// assert_eq!(conn.recv(1024)?, b"hello");
/// conn.sendall(b"OK")?;
/// assert_eq!(client.recv(1024)?, b"OK");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct Socket {
    inner: socket2::Socket,
    family: Family,
    kind: SockType,
    proto: Protocol,
    timeouts: Timeouts,
}

/// A socket option value for [`Socket::setsockopt`]: an `int` (from `i32` or
/// `bool`) or the option's raw bytes (from a byte slice or array).
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
    pub fn new(family: Family, kind: SockType) -> Result<Socket> {
        Socket::with_protocol(family, kind, Protocol::DEFAULT)
    }

    /// Creates a socket with a protocol: `socket(2)`, Python's
    /// `socket.socket(family, type, proto)`.
    ///
    /// Raw sockets need privileges: without them this is an [`Error::Io`] of
    /// kind `PermissionDenied`.
    ///
    /// ```no_run
    /// use pysocket::{Protocol, Socket, AF_INET, SOCK_RAW};
    /// let icmp = Socket::with_protocol(AF_INET, SOCK_RAW, Protocol::ICMP)?; // as root
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn with_protocol(family: Family, kind: SockType, proto: Protocol) -> Result<Socket> {
        let (kind, nonblocking) = split_type_flags(kind);
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
        let proto = adopted_protocol(&inner);
        let nonblocking = sys::is_nonblocking(inner.as_fd()).unwrap_or(false);
        // Best effort: a descriptor that is no socket refuses the option, and its
        // calls will say so.
        let _ = sys::prepare_foreign(&inner);
        let timeouts = Timeouts::adopted(inner.as_fd(), nonblocking.then_some(Duration::ZERO));
        Socket::assemble(inner, family, kind, proto, timeouts)
    }

    /// The address family: Python's `sock.family`.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The socket type: Python's `sock.type`.
    pub fn kind(&self) -> SockType {
        self.kind
    }

    /// The protocol: Python's `sock.proto`.
    pub fn proto(&self) -> Protocol {
        self.proto
    }

    /// Binds the socket to an address: `bind(2)`.
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

    /// Starts accepting connections: `listen(2)`. A negative backlog counts as 0,
    /// as in CPython. In TCP's terms the socket goes from `CLOSED` to `LISTEN`.
    pub fn listen(&self, backlog: i32) -> Result<()> {
        Ok(self.inner.listen(backlog.max(0))?)
    }

    /// Takes the next connection: `accept(2)`. Returns the connected socket and
    /// the peer's address.
    ///
    /// This is where the server sees the end of the three-way handshake: the
    /// kernel completed it (`SYN`, `SYN-ACK`, `ACK`) and queued the connection,
    /// which is now `ESTABLISHED`. The new socket is close-on-exec and starts
    /// with the [default timeout](crate::getdefaulttimeout), whatever the
    /// listener's mode, as in CPython.
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
        let peer = Address::from_sockaddr(&addr)?;
        let timeouts = self.timeouts.accepted(inner.as_fd(), getdefaulttimeout())?;
        let conn = Socket::assemble(inner, self.family, self.kind, self.proto, timeouts);
        Ok((conn, peer))
    }

    /// Connects to an address: `connect(2)`.
    ///
    /// For TCP this sends the `SYN` of the three-way handshake and returns once
    /// the `SYN-ACK` arrived (`SYN_SENT` then `ESTABLISHED`). In timeout mode
    /// the handshake must finish within the timeout ([`Error::Timeout`]); in
    /// non-blocking mode the connection goes on in the background and this
    /// returns an [`Error::Io`] with `EINPROGRESS`.
    pub fn connect(&self, addr: impl ToAddress) -> Result<()> {
        let addr = self.sockaddr(addr)?;
        self.connect_sockaddr(&addr)
    }

    /// Like [`connect`](Socket::connect), but an OS failure is returned as its
    /// errno (`Ok(0)` on success), as Python's `connect_ex`. A timeout is
    /// `EWOULDBLOCK`. Bad addresses and names that do not resolve are still `Err`.
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

    /// Sends data: `send(2)`. Returns how many bytes went out, which may be
    /// fewer than given; [`sendall`](Socket::sendall) sends everything.
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with_flags(data, MsgFlags::empty())
    }

    /// [`send`](Socket::send) with `MSG_*` flags.
    pub fn send_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<usize> {
        let flags = flags.bits() | sys::SEND_FLAGS;
        self.call(Interest::Write, self.timeouts.send(flags), |dontwait| {
            self.inner.send_with_flags(data, flags | dontwait)
        })
    }

    /// Sends all of `data`, calling `send(2)` until it is out: Python's `sendall`.
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
    pub fn sendall(&self, data: &[u8]) -> Result<()> {
        self.sendall_with_flags(data, MsgFlags::empty())
    }

    /// [`sendall`](Socket::sendall) with `MSG_*` flags.
    pub fn sendall_with_flags(&self, data: &[u8], flags: MsgFlags) -> Result<()> {
        let mut sent = 0;
        self.send_all_from(data, &mut sent, flags)
    }

    /// Sends `data[*sent..]` against one deadline, keeping `*sent` up to date so
    /// that a caller that buffers (the [`SocketFile`]) never sends a byte twice.
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
        let flags = flags.bits() | sys::SEND_FLAGS;
        // A stream has no message to keep whole, so a large buffer goes out
        // in sends of SENDALL_CHUNK; datagrams and records go in one.
        let most = if self.kind == SockType::STREAM {
            SENDALL_CHUNK
        } else {
            usize::MAX
        };
        // One send even for empty data, as CPython's do-while: a closed peer still errs.
        loop {
            let rest = &data[*sent..];
            let rest = &rest[..rest.len().min(most)];
            let n = sock_call_in(
                self.as_fd(),
                Interest::Write,
                &mut plan,
                Attempt::TryFirst,
                |dontwait| self.inner.send_with_flags(rest, flags | dontwait),
            )?;
            if n == 0 && !rest.is_empty() {
                return Err(Error::Io(io::ErrorKind::WriteZero.into()));
            }
            *sent += n;
            if *sent >= data.len() {
                return Ok(());
            }
            plan.start_clock();
        }
    }

    /// Sends a datagram to an address: `sendto(2)`.
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

    /// [`sendto`](Socket::sendto) with `MSG_*` flags.
    pub fn sendto_with_flags(
        &self,
        data: &[u8],
        flags: MsgFlags,
        addr: impl ToAddress,
    ) -> Result<usize> {
        let addr = self.sockaddr(addr)?;
        let flags = flags.bits() | sys::SEND_FLAGS;
        self.call(Interest::Write, self.timeouts.send(flags), |dontwait| {
            self.inner.send_to_with_flags(data, &addr, flags | dontwait)
        })
    }

    /// Receives up to `bufsize` bytes: `recv(2)`. An empty result means the peer
    /// shut down its side (TCP's `FIN`: this end goes to `CLOSE_WAIT`).
    ///
    /// `recv(0)` returns an empty vector at once. The vector is allocated once,
    /// with room for `bufsize` bytes; a size that cannot be allocated is
    /// [`Error::InvalidArgument`].
    pub fn recv(&self, bufsize: usize) -> Result<Vec<u8>> {
        self.recv_with_flags(bufsize, MsgFlags::empty())
    }

    /// [`recv`](Socket::recv) with `MSG_*` flags (`MSG_PEEK`, `MSG_WAITALL`, ...).
    ///
    /// With `MSG_TRUNC` a datagram longer than `bufsize` is still cut to
    /// `bufsize`; on a TCP socket Linux discards the data unread, and the result
    /// is that many zero bytes.
    pub fn recv_with_flags(&self, bufsize: usize, flags: MsgFlags) -> Result<Vec<u8>> {
        let mut buf = alloc_recv_buffer(bufsize, flags)?;
        if bufsize == 0 {
            return Ok(buf);
        }
        let plan = self.timeouts.receive(flags.bits());
        let n = self.call(Interest::Read, plan, |dontwait| {
            self.inner
                .recv_with_flags(buf.spare_capacity_mut(), flags.bits() | dontwait)
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

    /// Receives into `buf`: `recv(2)`, Python's `recv_into`. Returns the byte
    /// count, 0 at the end of the stream; an empty `buf` returns 0 at once.
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
    pub fn recv_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_into_with_flags(buf, MsgFlags::empty())
    }

    /// [`recv_into`](Socket::recv_into) with `MSG_*` flags. With `MSG_TRUNC` on a
    /// datagram socket the count is the datagram's full length, which may exceed
    /// `buf.len()`.
    pub fn recv_into_with_flags(&self, buf: &mut [u8], flags: MsgFlags) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let buf = sys::as_uninit_mut(buf);
        let plan = self.timeouts.receive(flags.bits());
        self.call(Interest::Read, plan, |dontwait| {
            self.inner.recv_with_flags(buf, flags.bits() | dontwait)
        })
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
            self.inner.recv_with_flags(spare, dontwait)
        })?;
        // Without MSG_TRUNC the kernel never reports more than it wrote; the
        // `min` only guards the length below.
        let n = n.min(room);
        // SAFETY: the kernel initialised the first `n` bytes of the spare
        // capacity, and `len + n` does not exceed the capacity.
        unsafe { buf.set_len(len + n) };
        Ok(n)
    }

    /// Receives a datagram and its sender: `recvfrom(2)`.
    pub fn recvfrom(&self, bufsize: usize) -> Result<(Vec<u8>, Address)> {
        self.recvfrom_with_flags(bufsize, MsgFlags::empty())
    }

    /// [`recvfrom`](Socket::recvfrom) with `MSG_*` flags.
    pub fn recvfrom_with_flags(
        &self,
        bufsize: usize,
        flags: MsgFlags,
    ) -> Result<(Vec<u8>, Address)> {
        let mut buf = alloc_recv_buffer(bufsize, flags)?;
        let plan = self.timeouts.receive(flags.bits());
        let (n, from) = self.call(Interest::Read, plan, |dontwait| {
            self.inner
                .recv_from_with_flags(buf.spare_capacity_mut(), flags.bits() | dontwait)
        })?;
        let n = n.min(bufsize);
        // SAFETY: the kernel initialised the first `n` bytes of the spare capacity
        // (or, with MSG_TRUNC, alloc_recv_buffer zeroed it), and `n` does not
        // exceed the capacity.
        unsafe { buf.set_len(n) };
        Ok((buf, self.peer_address(&from)?))
    }

    /// Receives a datagram into `buf`, with its sender: `recvfrom(2)`, Python's
    /// `recvfrom_into`.
    pub fn recvfrom_into(&self, buf: &mut [u8]) -> Result<(usize, Address)> {
        self.recvfrom_into_with_flags(buf, MsgFlags::empty())
    }

    /// [`recvfrom_into`](Socket::recvfrom_into) with `MSG_*` flags.
    pub fn recvfrom_into_with_flags(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> Result<(usize, Address)> {
        let buf = sys::as_uninit_mut(buf);
        let plan = self.timeouts.receive(flags.bits());
        let (n, from) = self.call(Interest::Read, plan, |dontwait| {
            self.inner
                .recv_from_with_flags(buf, flags.bits() | dontwait)
        })?;
        Ok((n, self.peer_address(&from)?))
    }

    /// Shuts down one or both directions: `shutdown(2)`.
    ///
    /// `SHUT_WR` sends TCP's `FIN` (this end goes to `FIN_WAIT_1`, then
    /// `FIN_WAIT_2` once acknowledged), so the peer's `recv` returns empty while
    /// it can still send back. Threads blocked in `recv` or `accept` on this
    /// socket wake up.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.inner.shutdown(how)?)
    }

    /// Closes the socket: `close(2)`, with its error reported. Dropping the
    /// socket closes it too, ignoring errors.
    ///
    /// On a connected TCP socket this starts (or finishes) the four-way close:
    /// a `FIN` to the peer, whose `recv` then returns empty. Like CPython,
    /// `ECONNRESET` from `close` is not an error: the peer is gone either way.
    pub fn close(self) -> Result<()> {
        match sys::close(self.inner.into_raw_fd()) {
            Err(err) if err.raw_os_error() == Some(libc::ECONNRESET) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Gives up the descriptor without closing it: Python's `detach`.
    pub fn detach(self) -> RawFd {
        self.release();
        self.inner.into_raw_fd()
    }

    /// A second socket on the same connection: `dup(2)` (close-on-exec), with
    /// the same timeout. Both share the descriptor's file status, as in
    /// CPython, and the socket's kernel timeouts (see
    /// [How timeout mode waits](Socket#how-timeout-mode-waits)).
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

    /// The descriptor: Python's `fileno`.
    pub fn fileno(&self) -> RawFd {
        self.inner.as_raw_fd()
    }

    /// The local address: `getsockname(2)`.
    pub fn getsockname(&self) -> Result<Address> {
        Address::from_sockaddr(&self.inner.local_addr()?)
    }

    /// The peer's address: `getpeername(2)`. `ENOTCONN` on an unconnected socket.
    pub fn getpeername(&self) -> Result<Address> {
        Address::from_sockaddr(&self.inner.peer_addr()?)
    }

    /// Sets an option by level and name: `setsockopt(2)`. The value is an `int`
    /// (`i32` or `bool`) or the option's raw bytes. An option the OS rejects is
    /// an [`Error::Io`] with its errno.
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

    /// Reads an `int` option: `getsockopt(2)`.
    pub fn getsockopt(&self, level: i32, name: i32) -> Result<i32> {
        Ok(sys::getsockopt_int(self.as_fd(), level, name)?)
    }

    /// Reads an option as bytes, with room for `buflen` bytes (1 to 1024, as in
    /// CPython); the result is as long as the OS says.
    pub fn getsockopt_bytes(&self, level: i32, name: i32, buflen: usize) -> Result<Vec<u8>> {
        if buflen == 0 || buflen > GETSOCKOPT_MAX {
            return Err(Error::invalid(format!(
                "getsockopt buflen out of range: {buflen} (it must be from 1 to {GETSOCKOPT_MAX})"
            )));
        }
        Ok(sys::getsockopt_bytes(self.as_fd(), level, name, buflen)?)
    }

    /// Sets the timeout mode: `None` blocking, `Some(Duration::ZERO)`
    /// non-blocking, `Some(d)` timeout mode (see [the type's docs](Socket#timeouts)).
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
    pub fn settimeout(&self, timeout: Option<Duration>) -> Result<()> {
        Ok(self.timeouts.set(self.as_fd(), timeout)?)
    }

    /// The timeout: `None` in blocking mode, `Some(ZERO)` in non-blocking mode.
    pub fn gettimeout(&self) -> Option<Duration> {
        self.timeouts.get()
    }

    /// `setblocking(true)` is `settimeout(None)`; `setblocking(false)` is
    /// `settimeout(Some(Duration::ZERO))`.
    pub fn setblocking(&self, blocking: bool) -> Result<()> {
        self.settimeout(if blocking { None } else { Some(Duration::ZERO) })
    }

    /// Whether calls may wait: true in blocking mode *and* in timeout mode, as in
    /// CPython; false only in non-blocking mode.
    pub fn getblocking(&self) -> bool {
        self.gettimeout() != Some(Duration::ZERO)
    }

    /// Whether child processes inherit the descriptor (never, unless set): Python's
    /// `get_inheritable`.
    pub fn get_inheritable(&self) -> Result<bool> {
        Ok(!sys::is_cloexec(self.as_fd())?)
    }

    /// Lets child processes inherit the descriptor, or not: Python's `set_inheritable`.
    pub fn set_inheritable(&self, inheritable: bool) -> Result<()> {
        Ok(self.inner.set_cloexec(!inheritable)?)
    }

    /// A buffered file over the socket: Python's `makefile`. It reads
    /// ([`Read`], [`BufRead`](std::io::BufRead)) and writes ([`Write`]) on the
    /// one socket, honours its timeout (errors of kind `TimedOut`), and flushes
    /// on drop. See [`SocketFile`].
    pub fn makefile(&self) -> SocketFile<'_> {
        SocketFile::new(self)
    }

    /// The socket2 socket underneath, for options this facade does not wrap.
    ///
    /// Changing its blocking mode directly bypasses the facade's timeout mode;
    /// use [`settimeout`](Socket::settimeout) instead.
    pub fn as_socket2(&self) -> &socket2::Socket {
        &self.inner
    }

    /// Gives up the facade for the socket2 socket underneath. Its descriptor
    /// keeps its mode: non-blocking unless the socket was in blocking mode.
    pub fn into_socket2(self) -> socket2::Socket {
        self.release();
        self.inner
    }

    /// Runs a send or receive through the timeout engine; `op` gets the flags
    /// the engine adds (`MSG_DONTWAIT` in timeout mode).
    #[inline]
    pub(crate) fn call<T>(
        &self,
        interest: Interest,
        plan: Plan,
        op: impl FnMut(libc::c_int) -> io::Result<T>,
    ) -> Result<T> {
        sock_call(self.as_fd(), interest, plan, Attempt::TryFirst, op)
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
    /// the peer, or unnamed for `AF_UNIX`.
    fn peer_address(&self, from: &SockAddr) -> Result<Address> {
        if from.len() == 0 || from.family() == libc::AF_UNSPEC as libc::sa_family_t {
            if self.family == Family::UNIX {
                return Ok(Address::Unix(UnixAddress::Unnamed));
            }
            return self.getpeername();
        }
        Address::from_sockaddr(from)
    }
}

/// Splits Linux's `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits off a socket type.
fn split_type_flags(kind: SockType) -> (SockType, bool) {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "illumos"
    ))]
    {
        let raw = kind.as_raw();
        let nonblocking = raw & libc::SOCK_NONBLOCK != 0;
        (
            SockType::from(raw & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)),
            nonblocking,
        )
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "dragonfly",
        target_os = "illumos"
    )))]
    {
        (kind, false)
    }
}

/// The protocol of an adopted socket, where the OS tells it.
fn adopted_protocol(inner: &socket2::Socket) -> Protocol {
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "fuchsia"
    ))]
    {
        match inner.protocol() {
            Ok(Some(proto)) => Protocol::from(i32::from(proto)),
            _ => Protocol::DEFAULT,
        }
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "freebsd",
        target_os = "fuchsia"
    )))]
    {
        let _ = inner;
        Protocol::DEFAULT
    }
}

/// A receive buffer with room for `bufsize` bytes, or an error that says the
/// size cannot be had (instead of an abort).
///
/// With `MSG_TRUNC` the room is zeroed first: on a TCP socket the kernel then
/// discards the data without writing it, yet reports its length, so the bytes
/// returned must not be left uninitialised.
fn alloc_recv_buffer(bufsize: usize, flags: MsgFlags) -> Result<Vec<u8>> {
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
