//! Messages with control data: Python's `sendmsg`, `recvmsg`,
//! `recvmsg_into`, `send_fds`, `recv_fds`, `CMSG_LEN` and `CMSG_SPACE`, with
//! control messages as Python's `(level, type, data)` triples ([`Cmsg`]) and
//! typed helpers beside them.
//!
//! Descriptors that arrive in `SCM_RIGHTS` messages are never leaked: each
//! receive passes `MSG_CMSG_CLOEXEC`, and wraps every descriptor in an
//! [`OwnedFd`] right after the system call, before anything else can fail,
//! so that a descriptor the caller ignores, one in a message cut short by
//! `MSG_CTRUNC`, or one of a call that fails afterwards, is closed on drop.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

use socket2::SockAddr;

use crate::address::{Address, ToAddress};
use crate::constants::{Family, SockType};
use crate::error::{Error, Result};
use crate::flags::MsgFlags;
use crate::socket::{alloc_recv_buffer, Socket};
use crate::sys::msg::{
    self as sys_msg, ControlBuffer, ControlMessages, ControlRoom, NameRoom, Received,
};
use crate::sys::{self, Interest};

/// The most control data one receive takes (`ancbufsize`): 1 MiB.
///
/// CPython takes up to 2 GiB and allocates it; no receive ever needs that
/// much. The largest control message Linux delivers, 253 descriptors
/// (`SCM_MAX_FD`), takes about 1 KiB, and the kernel bounds what one
/// message may carry by `net.core.optmem_max` (20 to 128 KiB by default).
const ANCBUFSIZE_MAX: usize = 1 << 20;

/// A control message (ancillary data): Python's `(cmsg_level, cmsg_type,
/// cmsg_data)` triple, as [`Socket::sendmsg`] sends and [`Socket::recvmsg`]
/// returns them.
///
/// The raw triple can carry any control message the OS knows; typed
/// constructors and readers sit beside it for the common ones:
/// [`Cmsg::rights`] (`SCM_RIGHTS`), [`Cmsg::credentials`] and
/// [`Cmsg::as_credentials`] (`SCM_CREDENTIALS`), [`Cmsg::pktinfo`] and
/// [`Cmsg::as_pktinfo`] (`IP_PKTINFO`, `IPV6_PKTINFO`).
///
/// ```
/// use std::io::IoSlice;
/// use pysocket::{socketpair, Cmsg, MsgFlags, CMSG_SPACE, SCM_CREDENTIALS, SOL_SOCKET, SO_PASSCRED};
///
/// let (a, b) = socketpair()?;
/// b.setsockopt(SOL_SOCKET, SO_PASSCRED, true)?;
/// // struct ucred { pid, uid, gid }, as Python's struct.pack("iII", ...)
/// let me = pysocket::Credentials::current();
/// let data = [me.pid.to_ne_bytes(), me.uid.to_ne_bytes(), me.gid.to_ne_bytes()].concat();
/// let creds = Cmsg::new(SOL_SOCKET, SCM_CREDENTIALS, data);
/// a.sendmsg(&[IoSlice::new(b"hi")], &[creds.clone()], MsgFlags::empty())?;
/// let msg = b.recvmsg(16, CMSG_SPACE(12)?, MsgFlags::empty())?;
/// assert_eq!(msg.data, b"hi");
/// assert_eq!(msg.ancdata, [creds]);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cmsg {
    /// The protocol level: [`SOL_SOCKET`](crate::SOL_SOCKET),
    /// [`IPPROTO_IP`](crate::IPPROTO_IP), ... (`cmsg_level`).
    pub level: i32,
    /// The message type at that level: [`SCM_RIGHTS`](crate::SCM_RIGHTS),
    /// ... (`cmsg_type`; `type` is a Rust keyword).
    pub kind: i32,
    /// The message's data, as the C structure's bytes (`cmsg_data`).
    pub data: Vec<u8>,
}

impl Cmsg {
    /// A control message from its level, type and data: Python's
    /// `(level, type, data)` tuple.
    ///
    /// ```
    /// use pysocket::{Cmsg, IPPROTO_IP, IP_TOS};
    /// let tos = Cmsg::new(IPPROTO_IP, IP_TOS, [0x10]);
    /// assert_eq!((tos.level, tos.kind, tos.data.as_slice()), (IPPROTO_IP, IP_TOS, &[0x10][..]));
    /// ```
    pub fn new(level: i32, kind: i32, data: impl Into<Vec<u8>>) -> Cmsg {
        Cmsg {
            level,
            kind,
            data: data.into(),
        }
    }

    /// An `SCM_RIGHTS` message that passes `fds` to the receiving process,
    /// as Python's `(SOL_SOCKET, SCM_RIGHTS, array.array("i", fds))`.
    ///
    /// The message holds only the descriptors' numbers: they must stay open
    /// until it is sent. [`Socket::send_fds`] builds and sends it in one call.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::os::fd::AsFd;
    /// use pysocket::{socketpair, Cmsg, MsgFlags, CMSG_SPACE};
    ///
    /// let (a, b) = socketpair()?;
    /// let file = std::fs::File::open("/dev/null")?;
    /// a.sendmsg(&[IoSlice::new(b"x")], &[Cmsg::rights(&[file.as_fd()])], MsgFlags::empty())?;
    /// let msg = b.recvmsg(1, CMSG_SPACE(4)?, MsgFlags::empty())?;
    /// assert_eq!(msg.fds.len(), 1); // a new descriptor for the same file
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rights(fds: &[BorrowedFd<'_>]) -> Cmsg {
        Cmsg::new(
            libc::SOL_SOCKET,
            libc::SCM_RIGHTS,
            sys_msg::rights_data(fds),
        )
    }

    /// The descriptor numbers of an `SCM_RIGHTS` message, or `None` for any
    /// other message.
    ///
    /// The numbers are a view: a received message's descriptors are owned
    /// by [`RecvMsg::fds`], which closes them when dropped. A message cut
    /// short by `MSG_CTRUNC` gives only its whole descriptors.
    ///
    /// ```
    /// use std::os::fd::{AsFd, AsRawFd};
    /// use pysocket::Cmsg;
    /// let file = std::fs::File::open("/dev/null")?;
    /// let rights = Cmsg::rights(&[file.as_fd()]);
    /// assert_eq!(rights.as_rights(), Some(vec![file.as_raw_fd()]));
    /// assert_eq!(Cmsg::new(0, 0, []).as_rights(), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_rights(&self) -> Option<Vec<RawFd>> {
        sys_msg::is_rights(self.level, self.kind).then(|| sys_msg::raw_fds(&self.data).collect())
    }

    /// An `SCM_CREDENTIALS` message (Linux): sent, it tells the receiver
    /// `credentials`, which the kernel checks (a process may only claim its
    /// own ids unless privileged).
    ///
    /// A receiver with [`SO_PASSCRED`](crate::SO_PASSCRED) set gets the
    /// sender's credentials with every message even when none are sent.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use pysocket::{socketpair, Cmsg, Credentials, MsgFlags, CMSG_SPACE, SOL_SOCKET, SO_PASSCRED};
    /// let (a, b) = socketpair()?;
    /// b.setsockopt(SOL_SOCKET, SO_PASSCRED, true)?;
    /// a.sendmsg(&[IoSlice::new(b"x")], &[Cmsg::credentials(Credentials::current())], MsgFlags::empty())?;
    /// let msg = b.recvmsg(1, CMSG_SPACE(12)?, MsgFlags::empty())?;
    /// assert_eq!(msg.ancdata[0].as_credentials(), Some(Credentials::current()));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
    pub fn credentials(credentials: Credentials) -> Cmsg {
        let Credentials { pid, uid, gid } = credentials;
        Cmsg::new(
            libc::SOL_SOCKET,
            libc::SCM_CREDENTIALS,
            sys_msg::encode_ucred(pid, uid, gid),
        )
    }

    /// The credentials an `SCM_CREDENTIALS` message carries (Linux), or
    /// `None` for any other message (or one cut too short).
    ///
    /// ```
    /// use pysocket::{socketpair, Credentials, MsgFlags, CMSG_SPACE, SOL_SOCKET, SO_PASSCRED};
    /// let (a, b) = socketpair()?;
    /// b.setsockopt(SOL_SOCKET, SO_PASSCRED, true)?;
    /// a.sendall(b"x")?;
    /// let msg = b.recvmsg(1, CMSG_SPACE(12)?, MsgFlags::empty())?;
    /// let peer = msg.ancdata.iter().find_map(|cmsg| cmsg.as_credentials());
    /// assert_eq!(peer.map(|creds| creds.pid), Some(std::process::id() as i32));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
    pub fn as_credentials(&self) -> Option<Credentials> {
        if (self.level, self.kind) != (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) {
            return None;
        }
        let (pid, uid, gid) = sys_msg::decode_ucred(&self.data)?;
        Some(Credentials { pid, uid, gid })
    }

    /// An `IP_PKTINFO` or `IPV6_PKTINFO` message (Linux): sent with a
    /// datagram, it picks the source address (`spec_dst` for IPv4, `addr`
    /// for IPv6) and the outgoing interface (`ifindex`, 0 for any).
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::net::Ipv4Addr;
    /// use pysocket::{Cmsg, MsgFlags, PktInfo, Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// let from = PktInfo::V4 { ifindex: 0, spec_dst: Ipv4Addr::LOCALHOST, addr: Ipv4Addr::UNSPECIFIED };
    /// let buffers = [IoSlice::new(b"ping")];
    /// client.sendmsg_to(&buffers, &[Cmsg::pktinfo(from)], MsgFlags::empty(), server.getsockname()?)?;
    /// let (data, sender) = server.recvfrom(16)?;
    /// assert_eq!((data.as_slice(), sender.ip()), (&b"ping"[..], Some(Ipv4Addr::LOCALHOST.into())));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
    pub fn pktinfo(info: PktInfo) -> Cmsg {
        match info {
            PktInfo::V4 {
                ifindex,
                spec_dst,
                addr,
            } => Cmsg::new(
                libc::IPPROTO_IP,
                libc::IP_PKTINFO,
                sys_msg::encode_in_pktinfo(ifindex, spec_dst.octets(), addr.octets()),
            ),
            PktInfo::V6 { addr, ifindex } => Cmsg::new(
                libc::IPPROTO_IPV6,
                libc::IPV6_PKTINFO,
                sys_msg::encode_in6_pktinfo(addr.octets(), ifindex),
            ),
        }
    }

    /// The packet information an `IP_PKTINFO` or `IPV6_PKTINFO` message
    /// carries (Linux), or `None` for any other message (or one cut too
    /// short). A socket receives them once [`IP_PKTINFO`](crate::IP_PKTINFO)
    /// or [`IPV6_RECVPKTINFO`](crate::IPV6_RECVPKTINFO) is set.
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use pysocket::{MsgFlags, PktInfo, Socket, AF_INET, CMSG_SPACE, IPPROTO_IP, IP_PKTINFO, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// server.setsockopt(IPPROTO_IP, IP_PKTINFO, true)?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.sendto(b"ping", server.getsockname()?)?;
    /// let msg = server.recvmsg(16, CMSG_SPACE(12)?, MsgFlags::empty())?;
    /// let Some(PktInfo::V4 { addr, .. }) = msg.ancdata[0].as_pktinfo() else { panic!("no IP_PKTINFO") };
    /// assert_eq!(addr, Ipv4Addr::LOCALHOST); // the address the datagram was sent to
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
    pub fn as_pktinfo(&self) -> Option<PktInfo> {
        match (self.level, self.kind) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                let (ifindex, spec_dst, addr) = sys_msg::decode_in_pktinfo(&self.data)?;
                Some(PktInfo::V4 {
                    ifindex,
                    spec_dst: Ipv4Addr::from(spec_dst),
                    addr: Ipv4Addr::from(addr),
                })
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                let (addr, ifindex) = sys_msg::decode_in6_pktinfo(&self.data)?;
                Some(PktInfo::V6 {
                    addr: Ipv6Addr::from(addr),
                    ifindex,
                })
            }
            _ => None,
        }
    }
}

/// A process's credentials, as an `SCM_CREDENTIALS` message carries them
/// (`struct ucred`, Linux): see [`Cmsg::credentials`] and
/// [`Cmsg::as_credentials`].
///
/// ```
/// use pysocket::Credentials;
/// let me = Credentials::current();
/// assert_eq!(me.pid, std::process::id() as i32);
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The process id.
    pub pid: i32,
    /// The user id.
    pub uid: u32,
    /// The group id.
    pub gid: u32,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Credentials {
    /// This process's credentials: `getpid()`, `getuid()` and `getgid()`,
    /// what the kernel lets an unprivileged process send.
    ///
    /// ```
    /// use pysocket::Credentials;
    /// assert_eq!(Credentials::current(), Credentials::current());
    /// ```
    pub fn current() -> Credentials {
        let (pid, uid, gid) = sys_msg::current_credentials();
        Credentials { pid, uid, gid }
    }
}

/// Where a datagram went and came in, as an `IP_PKTINFO` or `IPV6_PKTINFO`
/// message carries it (Linux): see [`Cmsg::as_pktinfo`] and
/// [`Cmsg::pktinfo`].
///
/// ```
/// use std::net::Ipv6Addr;
/// use pysocket::{Cmsg, PktInfo};
/// let info = PktInfo::V6 { addr: Ipv6Addr::LOCALHOST, ifindex: 1 };
/// assert_eq!(Cmsg::pktinfo(info).as_pktinfo(), Some(info));
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PktInfo {
    /// `IP_PKTINFO`'s `struct in_pktinfo`.
    V4 {
        /// The interface the datagram came in on (sending: goes out on; 0
        /// for any), as [`if_nametoindex`](crate::if_nametoindex) numbers them.
        ifindex: u32,
        /// The local address a reply would come from (sending: the source
        /// address to use).
        spec_dst: Ipv4Addr,
        /// The destination address in the datagram's header (ignored when
        /// sending).
        addr: Ipv4Addr,
    },
    /// `IPV6_PKTINFO`'s `struct in6_pktinfo`.
    V6 {
        /// The datagram's destination address (sending: the source address
        /// to use).
        addr: Ipv6Addr,
        /// The interface the datagram came in on (sending: goes out on; 0
        /// for any).
        ifindex: u32,
    },
}

/// What [`Socket::recvmsg`] received: Python's `(data, ancdata, msg_flags,
/// address)`, and the descriptors that came with it, owned.
///
/// ```
/// use std::io::IoSlice;
/// use std::os::fd::AsFd;
/// use pysocket::{socketpair, MsgFlags, CMSG_SPACE};
/// let (a, b) = socketpair()?;
/// let file = std::fs::File::open("/dev/null")?;
/// a.send_fds(&[IoSlice::new(b"here")], &[file.as_fd()], MsgFlags::empty())?;
/// let msg = b.recvmsg(16, CMSG_SPACE(4)?, MsgFlags::empty())?;
/// assert_eq!(msg.data, b"here");
/// assert_eq!(msg.ancdata.len(), 1); // the SCM_RIGHTS message, as raw bytes
/// assert_eq!(msg.fds.len(), 1); // its descriptor, which closes on drop
/// assert_eq!(msg.address, None); // a connected stream tells no sender
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RecvMsg {
    /// The data, at most `bufsize` bytes.
    pub data: Vec<u8>,
    /// Every control message, as raw triples (the `SCM_RIGHTS` ones included,
    /// their data the descriptors' numbers, which [`fds`](RecvMsg::fds) owns).
    pub ancdata: Vec<Cmsg>,
    /// The kernel's `msg_flags`: [`MsgFlags::TRUNC`] (the datagram was longer
    /// than the buffer), [`MsgFlags::CTRUNC`] (control data did not fit),
    /// [`MsgFlags::EOR`], ...
    pub flags: MsgFlags,
    /// The sender's address; `None` where the kernel gives none (a connected
    /// stream, an unnamed `AF_UNIX` peer), as Python's `None`.
    pub address: Option<Address>,
    /// Every descriptor that arrived in `SCM_RIGHTS` messages, owned and
    /// close-on-exec: dropped, they close.
    pub fds: Vec<OwnedFd>,
}

/// What [`Socket::recvmsg_into`] received: Python's `(nbytes, ancdata,
/// msg_flags, address)`, and the descriptors that came with it, owned.
///
/// ```
/// use std::io::{IoSlice, IoSliceMut};
/// use pysocket::{socketpair, MsgFlags};
/// let (a, b) = socketpair()?;
/// a.sendmsg(&[IoSlice::new(b"head"), IoSlice::new(b"body")], &[], MsgFlags::empty())?;
/// let (mut head, mut body) = ([0u8; 4], [0u8; 16]);
/// let got = b.recvmsg_into(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)], 0, MsgFlags::empty())?;
/// assert_eq!((got.nbytes, &head, &body[..4]), (8, b"head", &b"body"[..]));
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Debug)]
pub struct RecvMsgInto {
    /// The bytes received into the buffers (with [`MsgFlags::TRUNC`] given on
    /// a datagram socket, the datagram's full length, which may be more).
    pub nbytes: usize,
    /// Every control message, as raw triples (see [`RecvMsg::ancdata`]).
    pub ancdata: Vec<Cmsg>,
    /// The kernel's `msg_flags` (see [`RecvMsg::flags`]).
    pub flags: MsgFlags,
    /// The sender's address, if the kernel gave one (see [`RecvMsg::address`]).
    pub address: Option<Address>,
    /// Every descriptor that arrived in `SCM_RIGHTS` messages, owned and
    /// close-on-exec.
    pub fds: Vec<OwnedFd>,
}

/// The length of a control message with `length` bytes of data, without
/// the padding after it: Python's `socket.CMSG_LEN(length)`.
///
/// A length whose result would not fit a `socklen_t` (more than 2^31 - 1)
/// is [`Error::InvalidArgument`], where Python raises `OverflowError`.
///
/// ```
/// use pysocket::{CMSG_LEN, CMSG_SPACE};
/// assert_eq!(CMSG_LEN(0)?, std::mem::size_of::<libc::cmsghdr>()); // on Linux, 16
/// assert!(CMSG_LEN(4)? <= CMSG_SPACE(4)?);
/// assert!(CMSG_LEN(usize::MAX).is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
#[allow(non_snake_case)]
pub fn CMSG_LEN(length: usize) -> Result<usize> {
    sys_msg::cmsg_len(length)
        .ok_or_else(|| Error::invalid(format!("CMSG_LEN() argument out of range: {length}")))
}

/// The room a control message with `length` bytes of data takes in a
/// control buffer, padding included: Python's `socket.CMSG_SPACE(length)`.
/// Sum it over the messages expected for [`Socket::recvmsg`]'s `ancbufsize`.
///
/// A length whose result would not fit a `socklen_t` (more than 2^31 - 1)
/// is [`Error::InvalidArgument`], where Python raises `OverflowError`.
///
/// ```
/// use pysocket::CMSG_SPACE;
/// // Room for two descriptors (two 4-byte ints) and credentials (12 bytes).
/// let ancbufsize = CMSG_SPACE(2 * 4)? + CMSG_SPACE(12)?;
/// assert!(ancbufsize >= 2 * 4 + 12);
/// assert!(CMSG_SPACE(usize::MAX).is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
#[allow(non_snake_case)]
pub fn CMSG_SPACE(length: usize) -> Result<usize> {
    sys_msg::cmsg_space(length)
        .ok_or_else(|| Error::invalid(format!("CMSG_SPACE() argument out of range: {length}")))
}

/// Sends `buffers` with the descriptors `fds` in one `SCM_RIGHTS` message:
/// Python's `socket.send_fds(sock, buffers, fds, flags)`. The same as
/// [`Socket::send_fds`].
///
/// ```
/// use std::io::IoSlice;
/// use std::os::fd::AsFd;
/// use pysocket::{recv_fds, send_fds, socketpair, MsgFlags};
/// let (a, b) = socketpair()?;
/// let file = std::fs::File::open("/dev/null")?;
/// send_fds(&a, &[IoSlice::new(b"take this")], &[file.as_fd()], MsgFlags::empty())?;
/// let (data, fds, _flags, _addr) = recv_fds(&b, 64, 1, MsgFlags::empty())?;
/// assert_eq!((data.as_slice(), fds.len()), (&b"take this"[..], 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn send_fds(
    sock: &Socket,
    buffers: &[IoSlice<'_>],
    fds: &[BorrowedFd<'_>],
    flags: MsgFlags,
) -> Result<usize> {
    sock.send_fds(buffers, fds, flags)
}

/// Receives up to `bufsize` bytes and up to `maxfds` descriptors: Python's
/// `socket.recv_fds(sock, bufsize, maxfds, flags)`, returning `(data, fds,
/// msg_flags, address)`. The same as [`Socket::recv_fds`].
///
/// ```
/// use std::io::IoSlice;
/// use std::os::fd::AsFd;
/// use pysocket::{recv_fds, send_fds, socketpair, MsgFlags};
/// let (a, b) = socketpair()?;
/// let file = std::fs::File::open("/dev/null")?;
/// send_fds(&a, &[IoSlice::new(b"x")], &[file.as_fd(), file.as_fd()], MsgFlags::empty())?;
/// let (_data, fds, _flags, _addr) = recv_fds(&b, 1, 2, MsgFlags::empty())?;
/// assert_eq!(fds.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(clippy::type_complexity)]
pub fn recv_fds(
    sock: &Socket,
    bufsize: usize,
    maxfds: usize,
    flags: MsgFlags,
) -> Result<(Vec<u8>, Vec<OwnedFd>, MsgFlags, Option<Address>)> {
    sock.recv_fds(bufsize, maxfds, flags)
}

/// A receive's outcome before the data is handed over.
struct Message {
    bytes: usize,
    ancdata: Vec<Cmsg>,
    flags: MsgFlags,
    address: Option<Address>,
    fds: Vec<OwnedFd>,
}

impl Socket {
    /// Sends data gathered from `buffers`, with control messages:
    /// `sendmsg(2)`, Python's `sock.sendmsg(buffers, ancdata, flags)`.
    ///
    /// Returns the bytes sent, which on a stream may be fewer than given. The
    /// buffers may be empty, as in Python: a datagram socket then sends an
    /// empty datagram with the control messages (a stream sends nothing, and
    /// no control message without data). The call goes through the socket's
    /// timeout mode, with `MSG_NOSIGNAL` added.
    ///
    /// Bad control data is an error before anything is sent: an
    /// [`Error::InvalidArgument`] for a message too large for a `socklen_t`,
    /// or (Linux) more than 253 descriptors in one message (`SCM_MAX_FD`);
    /// a control message the kernel refuses is an [`Error::Io`] with its
    /// errno (`EBADF` for a descriptor that is not open, `EINVAL`, ...).
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// let n = a.sendmsg(&[IoSlice::new(b"gathered "), IoSlice::new(b"in one call")], &[], MsgFlags::empty())?;
    /// assert_eq!(n, 20);
    /// assert_eq!(b.recv(64)?, b"gathered in one call");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline]
    pub fn sendmsg(
        &self,
        buffers: &[IoSlice<'_>],
        ancdata: &[Cmsg],
        flags: MsgFlags,
    ) -> Result<usize> {
        self.send_message(buffers, ancdata, flags, None)
    }

    #[doc(alias = "sendmsg")]
    /// Sends a message to an address: `sendmsg(2)` with `msg_name`, Python's
    /// `sock.sendmsg(buffers, ancdata, flags, address)`.
    ///
    /// For unconnected datagram sockets. On a connected socket the kernel
    /// decides: an `AF_UNIX` stream fails with `EISCONN`, where Linux's TCP
    /// ignores the address.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use pysocket::{MsgFlags, Socket, AF_INET, SOCK_DGRAM};
    /// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// server.bind(("127.0.0.1", 0))?;
    /// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
    /// client.sendmsg_to(&[IoSlice::new(b"ping")], &[], MsgFlags::empty(), server.getsockname()?)?;
    /// assert_eq!(server.recv(16)?, b"ping");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn sendmsg_to(
        &self,
        buffers: &[IoSlice<'_>],
        ancdata: &[Cmsg],
        flags: MsgFlags,
        addr: impl ToAddress,
    ) -> Result<usize> {
        let addr = addr.to_sockaddr_for(self.family())?;
        self.send_message(buffers, ancdata, flags, Some(&addr))
    }

    /// Receives up to `bufsize` bytes and up to `ancbufsize` bytes of control
    /// data: `recvmsg(2)`, Python's `sock.recvmsg(bufsize, ancbufsize, flags)`.
    ///
    /// Size `ancbufsize` with [`CMSG_SPACE`] for each control message
    /// expected; 0 receives none. Every control message comes back as a raw
    /// [`Cmsg`], the `SCM_RIGHTS` ones included, and their descriptors are
    /// in [`RecvMsg::fds`], owned: they close when dropped, whether or not
    /// the caller looks at them. A control buffer too small sets
    /// [`MsgFlags::CTRUNC`]: what fits is returned (whole descriptors only),
    /// and the kernel closes the descriptors that did not fit.
    ///
    /// The call goes through the socket's timeout mode. Unlike
    /// [`recv`](Socket::recv), a `bufsize` of 0 still receives (a
    /// datagram's control data, for one). A `bufsize` that cannot be
    /// allocated, or an `ancbufsize` over 1 MiB (no receive needs that much:
    /// 253 descriptors take about 1 KiB), is [`Error::InvalidArgument`].
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::os::fd::AsFd;
    /// use pysocket::{socketpair, Cmsg, MsgFlags, CMSG_SPACE};
    /// let (a, b) = socketpair()?;
    /// let file = std::fs::File::open("/dev/null")?;
    /// a.sendmsg(&[IoSlice::new(b"fd")], &[Cmsg::rights(&[file.as_fd()])], MsgFlags::empty())?;
    /// let msg = b.recvmsg(16, CMSG_SPACE(4)?, MsgFlags::empty())?;
    /// assert_eq!(msg.data, b"fd");
    /// assert_eq!(msg.fds.len(), 1);
    /// assert!(msg.flags.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn recvmsg(&self, bufsize: usize, ancbufsize: usize, flags: MsgFlags) -> Result<RecvMsg> {
        let mut heap = control_heap(ancbufsize)?;
        let mut data = alloc_recv_buffer(bufsize, flags)?;
        let fd = self.as_fd();
        let message =
            self.receive_message(&mut heap, ancbufsize, flags, |name, control, call_flags| {
                let room = &mut data.spare_capacity_mut()[..bufsize];
                sys_msg::recvmsg_uninit(fd, room, name, control, call_flags)
            })?;
        // With MSG_TRUNC the kernel reports a datagram's full length, which
        // may exceed what it wrote.
        let n = message.bytes.min(bufsize);
        // SAFETY: the kernel initialised the first `n` bytes of the spare
        // capacity (or, with MSG_TRUNC, alloc_recv_buffer zeroed it), and `n`
        // does not exceed the capacity.
        unsafe { data.set_len(n) };
        Ok(RecvMsg {
            data,
            ancdata: message.ancdata,
            flags: message.flags,
            address: message.address,
            fds: message.fds,
        })
    }

    #[doc(alias = "recvmsg")]
    /// Receives data scattered into `buffers`, and up to `ancbufsize` bytes of
    /// control data: `recvmsg(2)`, Python's
    /// `sock.recvmsg_into(buffers, ancbufsize, flags)`.
    ///
    /// The buffers fill in order. They may be empty, as in Python: the call
    /// then takes a message for its control data (a datagram's data is
    /// discarded, with [`MsgFlags::TRUNC`]). Control data and descriptors are
    /// handled as by [`recvmsg`](Socket::recvmsg).
    ///
    /// ```
    /// use std::io::IoSliceMut;
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"0123456789")?;
    /// let (mut first, mut rest) = ([0u8; 4], [0u8; 16]);
    /// let mut buffers = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut rest)];
    /// let got = b.recvmsg_into(&mut buffers, 0, MsgFlags::empty())?;
    /// assert_eq!(got.nbytes, 10);
    /// assert_eq!((&first, &rest[..6]), (b"0123", &b"456789"[..]));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[inline]
    pub fn recvmsg_into(
        &self,
        buffers: &mut [IoSliceMut<'_>],
        ancbufsize: usize,
        flags: MsgFlags,
    ) -> Result<RecvMsgInto> {
        let mut heap = control_heap(ancbufsize)?;
        let fd = self.as_fd();
        let message =
            self.receive_message(&mut heap, ancbufsize, flags, |name, control, call_flags| {
                sys_msg::recvmsg_into(fd, buffers, name, control, call_flags)
            })?;
        Ok(RecvMsgInto {
            nbytes: message.bytes,
            ancdata: message.ancdata,
            flags: message.flags,
            address: message.address,
            fds: message.fds,
        })
    }

    /// Sends `buffers` with the descriptors `fds` in one `SCM_RIGHTS`
    /// message: Python's `socket.send_fds(sock, buffers, fds, flags)`, as a
    /// method. The receiving process gets new descriptors for the same open
    /// files ([`recv_fds`](Socket::recv_fds)).
    ///
    /// Descriptors pass over `AF_UNIX` sockets only (Linux's TCP drops the
    /// message and sends the data alone). On a stream, send at least one
    /// byte: the descriptors travel with the data. More descriptors than the kernel takes in one message (253 on
    /// Linux) is [`Error::InvalidArgument`], before anything is sent.
    /// To send to an address, use [`sendmsg_to`](Socket::sendmsg_to) with
    /// [`Cmsg::rights`].
    ///
    /// ```
    /// use std::io::{IoSlice, Read, Seek, Write};
    /// use std::os::fd::AsFd;
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// let mut file = tempfile::tempfile()?;
    /// a.send_fds(&[IoSlice::new(b"a file")], &[file.as_fd()], MsgFlags::empty())?;
    /// let (_data, mut fds, _, _) = b.recv_fds(16, 1, MsgFlags::empty())?;
    /// // The received descriptor is the same open file.
    /// std::fs::File::from(fds.remove(0)).write_all(b"written through the copy")?;
    /// let mut text = String::new();
    /// file.rewind()?;
    /// file.read_to_string(&mut text)?;
    /// assert_eq!(text, "written through the copy");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_fds(
        &self,
        buffers: &[IoSlice<'_>],
        fds: &[BorrowedFd<'_>],
        flags: MsgFlags,
    ) -> Result<usize> {
        self.sendmsg(buffers, &[Cmsg::rights(fds)], flags)
    }

    /// Receives up to `bufsize` bytes and up to `maxfds` descriptors:
    /// Python's `socket.recv_fds(sock, bufsize, maxfds, flags)`, as a method,
    /// returning `(data, fds, msg_flags, address)`.
    ///
    /// The control buffer has room for `maxfds` descriptors
    /// (`CMSG_LEN(maxfds * 4)`, as Python sizes it); more set
    /// [`MsgFlags::CTRUNC`], and the kernel closes those that did not fit.
    /// The descriptors are owned and close-on-exec.
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::os::fd::AsFd;
    /// use pysocket::{socketpair, MsgFlags};
    /// let (a, b) = socketpair()?;
    /// let file = std::fs::File::open("/dev/null")?;
    /// a.send_fds(&[IoSlice::new(b"two")], &[file.as_fd(), file.as_fd()], MsgFlags::empty())?;
    /// let (data, fds, flags, _) = b.recv_fds(16, 1, MsgFlags::empty())?; // room for one
    /// assert_eq!((data.as_slice(), fds.len()), (&b"two"[..], 1));
    /// assert!(flags.contains(MsgFlags::CTRUNC));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn recv_fds(
        &self,
        bufsize: usize,
        maxfds: usize,
        flags: MsgFlags,
    ) -> Result<(Vec<u8>, Vec<OwnedFd>, MsgFlags, Option<Address>)> {
        let room = maxfds
            .checked_mul(sys_msg::FD_SIZE)
            .and_then(sys_msg::cmsg_len)
            .ok_or_else(|| Error::invalid(format!("recv_fds maxfds out of range: {maxfds}")))?;
        let msg = self.recvmsg(bufsize, room, flags)?;
        Ok((msg.data, msg.fds, msg.flags, msg.address))
    }

    /// `sendmsg(2)` through the timeout engine, with `MSG_NOSIGNAL`.
    #[inline]
    fn send_message(
        &self,
        buffers: &[IoSlice<'_>],
        ancdata: &[Cmsg],
        flags: MsgFlags,
        address: Option<&SockAddr>,
    ) -> Result<usize> {
        if ancdata.is_empty() {
            return self.send_with_control(buffers, &[], flags, address);
        }
        let total = control_space(ancdata)?;
        if total <= sys_msg::INLINE_CONTROL {
            let mut words = [0u64; sys_msg::INLINE_CONTROL_WORDS];
            let control = sys_msg::words_as_bytes_mut(&mut words[..sys_msg::control_words(total)]);
            let control = fill_control(&mut control[..total], ancdata);
            return self.send_with_control(buffers, control, flags, address);
        }
        let mut control = ControlBuffer::zeroed(total).map_err(|_| {
            Error::invalid(format!(
                "{total} bytes of ancillary data cannot be allocated"
            ))
        })?;
        let control = fill_control(control.as_bytes_mut(), ancdata);
        self.send_with_control(buffers, control, flags, address)
    }

    /// `sendmsg(2)` of a control buffer already laid out.
    #[inline]
    fn send_with_control(
        &self,
        buffers: &[IoSlice<'_>],
        control: &[u8],
        flags: MsgFlags,
        address: Option<&SockAddr>,
    ) -> Result<usize> {
        let plan = self.timeouts.send(flags.bits());
        let flags = flags.bits() | sys::SEND_FLAGS;
        let fd = self.as_fd();
        self.call(Interest::Write, plan, |dontwait| {
            sys_msg::sendmsg(fd, buffers, address, control, flags | dontwait)
        })
    }

    /// Whether a receive may report a sender. A TCP stream never does, so
    /// its receives pass no address buffer; every other socket keeps one
    /// (an `AF_UNIX` stream reports a named peer's address).
    #[inline]
    fn receives_addresses(&self) -> bool {
        let tcp = self.kind() == SockType::STREAM
            && matches!(self.family(), Family::INET | Family::INET6)
            && matches!(self.proto().as_raw(), 0 | libc::IPPROTO_TCP);
        !tcp
    }

    /// `recvmsg(2)` (made by `recv`, given the rooms for the address and
    /// the control data, and the flags) through the timeout engine, and what
    /// it returned. The control room is `heap` where that holds
    /// `ancbufsize` bytes, else on the stack.
    #[inline]
    fn receive_message(
        &self,
        heap: &mut Vec<u64>,
        ancbufsize: usize,
        flags: MsgFlags,
        mut recv: impl FnMut(
            Option<&mut NameRoom>,
            &mut ControlRoom<'_>,
            libc::c_int,
        ) -> io::Result<Received>,
    ) -> Result<Message> {
        let plan = self.timeouts.receive(flags.bits());
        let call_flags = flags.bits() | sys_msg::RECV_FLAGS;
        let mut name = NameRoom::new();
        let want_name = self.receives_addresses();
        // The kernel echoes MSG_CMSG_CLOEXEC, which only the caller's flags
        // should show.
        let added = MsgFlags::from_bits_retain(sys_msg::RECV_FLAGS & !flags.bits());
        if ancbufsize == 0 {
            // No control room: the kernel delivers no control messages (and
            // closes any descriptors sent), so there are none to take.
            let mut control = ControlRoom::none();
            let received = self.call(Interest::Read, plan, |dontwait| {
                let name = if want_name { Some(&mut name) } else { None };
                recv(name, &mut control, call_flags | dontwait)
            })?;
            return Ok(Message {
                bytes: received.bytes,
                ancdata: Vec::new(),
                flags: MsgFlags::from_bits_retain(received.flags).difference(added),
                address: sender(&name),
                fds: Vec::new(),
            });
        }
        let words = sys_msg::control_words(ancbufsize);
        let mut inline = [MaybeUninit::<u64>::uninit(); sys_msg::INLINE_CONTROL_WORDS];
        let words = if words <= inline.len() {
            &mut inline[..words]
        } else {
            &mut heap.spare_capacity_mut()[..words]
        };
        let mut control = ControlRoom::new(words, ancbufsize);
        let (received, fds) = self.call(Interest::Read, plan, |dontwait| {
            let name = if want_name { Some(&mut name) } else { None };
            let received = recv(name, &mut control, call_flags | dontwait)?;
            // Owned at once: from here on, whatever fails, they close.
            let fds = sys_msg::take_fds(control.received());
            Ok((received, fds))
        })?;
        let ancdata = ControlMessages::new(control.received())
            .map(|(level, kind, data)| Cmsg::new(level, kind, data))
            .collect();
        Ok(Message {
            bytes: received.bytes,
            ancdata,
            flags: MsgFlags::from_bits_retain(received.flags).difference(added),
            address: sender(&name),
            fds,
        })
    }
}

/// The sender a receive reports: `None` where the kernel gave no address,
/// as Python's. An address of a family the crate does not decode is
/// [`Address::Other`] with its bytes, never an error that would lose the
/// data and descriptors already received.
#[inline]
fn sender(name: &NameRoom) -> Option<Address> {
    if name.is_empty() {
        return None;
    }
    decode_sender(name)
}

/// [`sender`] where the kernel wrote an address.
#[cold]
#[inline(never)]
fn decode_sender(name: &NameRoom) -> Option<Address> {
    let address = name.address()?;
    if address.family() == libc::AF_UNSPEC as libc::sa_family_t {
        return None;
    }
    Some(Address::from_sockaddr(&address))
}

/// The heap room for a receive of up to `ancbufsize` bytes of control data:
/// none (no allocation) where the stack's room suffices.
#[inline]
fn control_heap(ancbufsize: usize) -> Result<Vec<u64>> {
    if ancbufsize <= sys_msg::INLINE_CONTROL {
        return Ok(Vec::new());
    }
    control_heap_alloc(ancbufsize)
}

/// [`control_heap`] past the stack's room.
#[inline(never)]
fn control_heap_alloc(ancbufsize: usize) -> Result<Vec<u64>> {
    if ancbufsize > ANCBUFSIZE_MAX {
        return Err(Error::invalid(format!(
            "ancbufsize too large: {ancbufsize} bytes (a receive takes at most \
             {ANCBUFSIZE_MAX} bytes of control data)"
        )));
    }
    let mut heap = Vec::new();
    heap.try_reserve_exact(sys_msg::control_words(ancbufsize))
        .map_err(|_| Error::invalid(format!("ancbufsize {ancbufsize} cannot be allocated")))?;
    Ok(heap)
}

/// Lays `ancdata` out in `control` (zeroed, aligned for `struct cmsghdr`,
/// and sized by [`control_space`]) as CPython's `sendmsg` lays it out: each
/// message in `CMSG_SPACE` of its data.
fn fill_control<'a>(control: &'a mut [u8], ancdata: &[Cmsg]) -> &'a [u8] {
    let mut offset = 0;
    for cmsg in ancdata {
        offset = sys_msg::put_cmsg(control, offset, cmsg.level, cmsg.kind, &cmsg.data);
    }
    control
}

/// The size of the control buffer a send of `ancdata` passes (each message
/// in `CMSG_SPACE` of its data), after the checks that make bad control data
/// an error before the call.
fn control_space(ancdata: &[Cmsg]) -> Result<usize> {
    let mut total = 0usize;
    let mut fds = 0usize;
    for cmsg in ancdata {
        let space = sys_msg::cmsg_space(cmsg.data.len()).ok_or_else(|| {
            Error::invalid(format!(
                "ancillary data item too large: {} bytes",
                cmsg.data.len()
            ))
        })?;
        total = total
            .checked_add(space)
            .filter(|&total| total <= sys_msg::SOCKLEN_T_LIMIT)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "too much ancillary data: more than {} bytes",
                    sys_msg::SOCKLEN_T_LIMIT
                ))
            })?;
        if sys_msg::is_rights(cmsg.level, cmsg.kind) {
            fds += cmsg.data.len() / sys_msg::FD_SIZE;
        }
    }
    if let Some(most) = sys_msg::MAX_FDS {
        if fds > most {
            return Err(Error::invalid(format!(
                "too many descriptors for one message: {fds} (the kernel takes at most \
                 {most}, SCM_MAX_FD)"
            )));
        }
    }
    Ok(total)
}
