//! Address families, socket types, protocols and the Python-named constants.
//!
//! [`Family`], [`SockType`] and [`Protocol`] are small `Copy` newtypes over the
//! OS's `int` values, in the manner of socket2's `Domain`: the associated
//! constants name the common values and any other value the OS knows still
//! passes through unchanged.

use std::fmt;
use std::net::Shutdown;

use crate::flags::MsgFlags;
use crate::resolve::{AddrInfoFlags, NameInfoFlags};

macro_rules! int_newtype {
    (
        $(#[$meta:meta])*
        $name:ident, unknown = $unknown:literal, { $( $(#[doc = $cdoc:literal])* $(#[cfg($cfg:meta)])? $cname:ident = $value:expr, $text:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i32);

        impl $name {
            $(
                $(#[doc = $cdoc])*
                $(#[cfg($cfg)])?
                pub const $cname: $name = $name($value);
            )*

            /// Wraps a raw OS value; values without a named constant pass through.
            ///
            #[doc = concat!("```\nuse pysocket::", stringify!($name), ";\nlet value = ", stringify!($name), "::from_raw(4242);\nassert_eq!(value.as_raw(), 4242);\nassert_eq!(value.name(), None);\n```")]
            pub const fn from_raw(raw: i32) -> $name {
                $name(raw)
            }

            /// The raw OS value, as the C constant has it.
            ///
            #[doc = concat!("```\nuse pysocket::", stringify!($name), ";\nassert_eq!(", stringify!($name), "::from_raw(7).as_raw(), 7);\n```")]
            pub const fn as_raw(self) -> i32 {
                self.0
            }

            /// The Python name of this value (`"AF_INET"`), if it has one here.
            ///
            #[doc = concat!("```\nuse pysocket::", stringify!($name), ";\n", $("assert_eq!(", stringify!($name), "::", stringify!($cname), ".name(), Some(", stringify!($text), "));\n",)* "assert_eq!(", stringify!($name), "::from_raw(4242).name(), None);\n```")]
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $(#[cfg($cfg)])? $name::$cname => Some($text), )*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }

        impl From<i32> for $name {
            fn from(raw: i32) -> $name {
                $name(raw)
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> i32 {
                value.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            /// Python's name for the value (`AF_INET`), or the number when it has none.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match (self.name(), $unknown) {
                    (Some(name), false) => f.write_str(name),
                    _ => write!(f, "{}", self.0),
                }
            }
        }
    };
}

int_newtype! {
    /// An address family: Python's `socket.AddressFamily` (`AF_INET`, ...).
    ///
    /// ```
    /// use pysocket::{Family, AF_INET};
    /// assert_eq!(AF_INET, Family::INET);
    /// assert_eq!(AF_INET.to_string(), "AF_INET");
    /// assert_eq!(Family::from(libc::AF_INET6), Family::INET6);
    /// assert_eq!(i32::from(Family::UNIX), libc::AF_UNIX);
    /// ```
    #[doc(alias = "AddressFamily")]
    Family, unknown = false, {
        /// `AF_UNSPEC`: any family (for resolution).
        UNSPEC = libc::AF_UNSPEC, "AF_UNSPEC";
        /// `AF_INET`: IPv4.
        INET = libc::AF_INET, "AF_INET";
        /// `AF_INET6`: IPv6.
        INET6 = libc::AF_INET6, "AF_INET6";
        /// `AF_UNIX`: local (Unix domain) sockets.
        UNIX = libc::AF_UNIX, "AF_UNIX";
        /// `AF_AX25`: amateur radio AX.25.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        AX25 = libc::AF_AX25, "AF_AX25";
        /// `AF_IPX`: Novell IPX.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        IPX = libc::AF_IPX, "AF_IPX";
        /// `AF_APPLETALK`: AppleTalk.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        APPLETALK = libc::AF_APPLETALK, "AF_APPLETALK";
        /// `AF_NETROM`: amateur radio NET/ROM.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        NETROM = libc::AF_NETROM, "AF_NETROM";
        /// `AF_BRIDGE`: multiprotocol bridge.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        BRIDGE = libc::AF_BRIDGE, "AF_BRIDGE";
        /// `AF_ATMPVC`: ATM permanent virtual circuits.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ATMPVC = libc::AF_ATMPVC, "AF_ATMPVC";
        /// `AF_X25`: ITU-T X.25 / ISO-8208.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        X25 = libc::AF_X25, "AF_X25";
        /// `AF_ROSE`: amateur radio X.25 PLP (ROSE).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ROSE = libc::AF_ROSE, "AF_ROSE";
        /// `AF_DECnet`: DECnet.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        DECNET = libc::AF_DECnet, "AF_DECnet";
        /// `AF_NETBEUI`: NetBEUI.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        NETBEUI = libc::AF_NETBEUI, "AF_NETBEUI";
        /// `AF_SECURITY`: security callback pseudo family.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        SECURITY = libc::AF_SECURITY, "AF_SECURITY";
        /// `AF_KEY`: PF_KEY key management (IPsec).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        KEY = libc::AF_KEY, "AF_KEY";
        /// `AF_NETLINK`: netlink: talking to the kernel.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        NETLINK = libc::AF_NETLINK, "AF_NETLINK";
        /// `AF_PACKET`: packet sockets: raw link-layer frames.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        PACKET = libc::AF_PACKET, "AF_PACKET";
        /// `AF_ASH`: Ash.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ASH = libc::AF_ASH, "AF_ASH";
        /// `AF_ECONET`: Acorn Econet.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ECONET = libc::AF_ECONET, "AF_ECONET";
        /// `AF_ATMSVC`: ATM switched virtual circuits.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ATMSVC = libc::AF_ATMSVC, "AF_ATMSVC";
        /// `AF_RDS`: Reliable Datagram Sockets.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        RDS = libc::AF_RDS, "AF_RDS";
        /// `AF_SNA`: Linux SNA.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        SNA = libc::AF_SNA, "AF_SNA";
        /// `AF_IRDA`: IrDA.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        IRDA = libc::AF_IRDA, "AF_IRDA";
        /// `AF_PPPOX`: PPP over X (PPPoE, L2TP).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        PPPOX = libc::AF_PPPOX, "AF_PPPOX";
        /// `AF_WANPIPE`: Wanpipe API.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        WANPIPE = libc::AF_WANPIPE, "AF_WANPIPE";
        /// `AF_LLC`: IEEE 802.2 LLC.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        LLC = libc::AF_LLC, "AF_LLC";
        /// `AF_CAN`: Controller Area Network.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        CAN = libc::AF_CAN, "AF_CAN";
        /// `AF_TIPC`: TIPC cluster communication.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        TIPC = libc::AF_TIPC, "AF_TIPC";
        /// `AF_ALG`: the kernel crypto API.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        ALG = libc::AF_ALG, "AF_ALG";
        // libc has AF_VSOCK for glibc only; the value is <linux/socket.h>'s,
        // the same on every architecture.
        /// `AF_VSOCK`: virtual machine sockets (host and guests).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        VSOCK = 40, "AF_VSOCK";
        // Not in libc; <linux/socket.h>'s value, the same on every architecture.
        /// `AF_QIPCRTR`: Qualcomm IPC router.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        QIPCRTR = 42, "AF_QIPCRTR";
    }
}

int_newtype! {
    /// A socket type: Python's `socket.SocketKind` (`SOCK_STREAM`, ...).
    ///
    /// ```
    /// use pysocket::{SockType, SOCK_STREAM};
    /// assert_eq!(SOCK_STREAM, SockType::STREAM);
    /// assert_eq!(SOCK_STREAM.to_string(), "SOCK_STREAM");
    /// assert_eq!(SockType::from(libc::SOCK_DGRAM), SockType::DGRAM);
    /// ```
    #[doc(alias = "SocketKind")]
    SockType, unknown = false, {
        /// `SOCK_STREAM`: a reliable byte stream (TCP, Unix stream).
        STREAM = libc::SOCK_STREAM, "SOCK_STREAM";
        /// `SOCK_DGRAM`: datagrams (UDP, Unix datagram).
        DGRAM = libc::SOCK_DGRAM, "SOCK_DGRAM";
        /// `SOCK_RAW`: raw network protocol access.
        RAW = libc::SOCK_RAW, "SOCK_RAW";
        /// `SOCK_SEQPACKET`: reliable, ordered, record-preserving.
        SEQPACKET = libc::SOCK_SEQPACKET, "SOCK_SEQPACKET";
        /// `SOCK_RDM`: reliably delivered messages, in any order.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        RDM = libc::SOCK_RDM, "SOCK_RDM";
        /// `SOCK_NONBLOCK`: a flag or-ed into the type: the new socket is non-blocking.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        NONBLOCK = libc::SOCK_NONBLOCK, "SOCK_NONBLOCK";
        /// `SOCK_CLOEXEC`: a flag or-ed into the type: close-on-exec (pysocket sets it anyway).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        CLOEXEC = libc::SOCK_CLOEXEC, "SOCK_CLOEXEC";
    }
}

/// Or-ing flags into a type, as Python does: `SOCK_STREAM | SOCK_NONBLOCK`
/// makes [`Socket::new`](crate::Socket::new) create a non-blocking socket.
///
/// ```
/// use pysocket::{SockType, Socket, AF_INET, SOCK_NONBLOCK, SOCK_STREAM};
/// let kind = SOCK_STREAM | SOCK_NONBLOCK;
/// assert_eq!(kind.as_raw(), libc::SOCK_STREAM | libc::SOCK_NONBLOCK);
/// let sock = Socket::new(AF_INET, kind)?;
/// assert!(!sock.getblocking());
/// assert_eq!(sock.kind(), SOCK_STREAM);
/// # Ok::<(), pysocket::Error>(())
/// ```
impl std::ops::BitOr for SockType {
    type Output = SockType;

    fn bitor(self, rhs: SockType) -> SockType {
        SockType(self.0 | rhs.0)
    }
}

/// `kind |= SOCK_NONBLOCK`, as [`BitOr`](std::ops::BitOr).
///
/// ```
/// use pysocket::{SOCK_CLOEXEC, SOCK_DGRAM};
/// let mut kind = SOCK_DGRAM;
/// kind |= SOCK_CLOEXEC;
/// assert_eq!(kind.as_raw(), libc::SOCK_DGRAM | libc::SOCK_CLOEXEC);
/// ```
impl std::ops::BitOrAssign for SockType {
    fn bitor_assign(&mut self, rhs: SockType) {
        self.0 |= rhs.0;
    }
}

int_newtype! {
    /// A protocol number (`IPPROTO_TCP`, ...). Displays as the number, as Python's repr does.
    ///
    /// ```
    /// use pysocket::Protocol;
    /// assert_eq!(Protocol::TCP.as_raw(), libc::IPPROTO_TCP);
    /// assert_eq!(Protocol::DEFAULT.to_string(), "0");
    /// ```
    Protocol, unknown = true, {
        /// `0`: the default protocol for the family and type.
        DEFAULT = 0, "0";
        /// `IPPROTO_TCP`.
        TCP = libc::IPPROTO_TCP, "IPPROTO_TCP";
        /// `IPPROTO_UDP`.
        UDP = libc::IPPROTO_UDP, "IPPROTO_UDP";
        /// `IPPROTO_ICMP`.
        ICMP = libc::IPPROTO_ICMP, "IPPROTO_ICMP";
        /// `IPPROTO_ICMPV6`.
        ICMPV6 = libc::IPPROTO_ICMPV6, "IPPROTO_ICMPV6";
    }
}

/// `AF_UNSPEC`: any family, for resolution ([`getaddrinfo_with`](crate::getaddrinfo_with)).
///
/// ```
/// use pysocket::{getaddrinfo_with, AddrInfoHints, AF_UNSPEC};
/// let hints = AddrInfoHints { family: AF_UNSPEC, ..Default::default() };
/// assert!(!getaddrinfo_with(Some("127.0.0.1"), Some("80"), &hints)?.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const AF_UNSPEC: Family = Family::UNSPEC;
/// `AF_INET`: IPv4.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.bind(("127.0.0.1", 0))?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const AF_INET: Family = Family::INET;
/// `AF_INET6`: IPv6.
///
/// ```
/// use pysocket::{Socket, AF_INET6, SOCK_STREAM};
/// let sock = Socket::new(AF_INET6, SOCK_STREAM)?;
/// sock.bind(("::1", 0))?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const AF_INET6: Family = Family::INET6;
/// `AF_UNIX`: local (Unix domain) sockets.
///
/// ```
/// use pysocket::{socketpair_with, AF_UNIX, SOCK_STREAM};
/// let (a, _b) = socketpair_with(AF_UNIX, SOCK_STREAM)?;
/// assert_eq!(a.family(), AF_UNIX);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const AF_UNIX: Family = Family::UNIX;

/// `SOCK_STREAM`: a reliable byte stream (TCP, Unix stream).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM};
/// assert_eq!(Socket::new(AF_INET, SOCK_STREAM)?.kind(), SOCK_STREAM);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SOCK_STREAM: SockType = SockType::STREAM;
/// `SOCK_DGRAM`: datagrams (UDP, Unix datagram).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_DGRAM};
/// assert_eq!(Socket::new(AF_INET, SOCK_DGRAM)?.kind(), SOCK_DGRAM);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SOCK_DGRAM: SockType = SockType::DGRAM;
/// `SOCK_RAW`: raw network protocol access (needs privileges).
///
/// ```
/// use pysocket::{SockType, SOCK_RAW};
/// assert_eq!(SOCK_RAW, SockType::RAW);
/// assert_eq!(SOCK_RAW.as_raw(), libc::SOCK_RAW);
/// ```
pub const SOCK_RAW: SockType = SockType::RAW;
/// `SOCK_SEQPACKET`: reliable, ordered, record-preserving.
///
/// ```
/// use pysocket::{SockType, SOCK_SEQPACKET};
/// assert_eq!(SOCK_SEQPACKET, SockType::SEQPACKET);
/// assert_eq!(SOCK_SEQPACKET.to_string(), "SOCK_SEQPACKET");
/// ```
pub const SOCK_SEQPACKET: SockType = SockType::SEQPACKET;

/// `IPPROTO_IP`: the option level of IPv4 options.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_TTL, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_TTL, 32)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TTL)?, 32);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPPROTO_IP: i32 = libc::IPPROTO_IP;
/// `IPPROTO_IPV6`: the option level of IPv6 options.
///
/// ```
/// use pysocket::{Socket, AF_INET6, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_STREAM};
/// let sock = Socket::new(AF_INET6, SOCK_STREAM)?;
/// sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPPROTO_IPV6: i32 = libc::IPPROTO_IPV6;
/// `IPPROTO_TCP`: the TCP protocol number and option level.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_TCP, SOCK_STREAM, TCP_NODELAY};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPPROTO_TCP: i32 = libc::IPPROTO_TCP;
/// `IPPROTO_UDP`: the UDP protocol number and option level.
///
/// ```
/// use pysocket::{Protocol, Socket, AF_INET, IPPROTO_UDP, SOCK_DGRAM};
/// let sock = Socket::with_protocol(AF_INET, SOCK_DGRAM, Protocol::from(IPPROTO_UDP))?;
/// assert_eq!(sock.proto(), Protocol::UDP);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPPROTO_UDP: i32 = libc::IPPROTO_UDP;
/// `IPPROTO_ICMP`: the ICMP protocol number (raw sockets).
///
/// ```
/// use pysocket::{Protocol, IPPROTO_ICMP};
/// assert_eq!(Protocol::from(IPPROTO_ICMP), Protocol::ICMP);
/// ```
pub const IPPROTO_ICMP: i32 = libc::IPPROTO_ICMP;
/// `IPPROTO_ICMPV6`: the ICMPv6 protocol number (raw sockets).
///
/// ```
/// use pysocket::{Protocol, IPPROTO_ICMPV6};
/// assert_eq!(Protocol::from(IPPROTO_ICMPV6), Protocol::ICMPV6);
/// ```
pub const IPPROTO_ICMPV6: i32 = libc::IPPROTO_ICMPV6;

/// `SOL_SOCKET`: the option level of socket-wide options (`SO_*`).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SOL_SOCKET: i32 = libc::SOL_SOCKET;
/// `SO_REUSEADDR`: lets a server bind a port whose old connections linger in `TIME_WAIT`.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_REUSEADDR: i32 = libc::SO_REUSEADDR;
/// `SO_REUSEPORT`: lets several sockets (each with it) bind the same address and port.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEPORT};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_REUSEPORT)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_REUSEPORT: i32 = libc::SO_REUSEPORT;
/// `SO_KEEPALIVE`: probes an idle connection to find a dead peer.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_KEEPALIVE: i32 = libc::SO_KEEPALIVE;
/// `SO_SNDBUF`: the size of the kernel's send buffer.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_SNDBUF};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert!(sock.getsockopt(SOL_SOCKET, SO_SNDBUF)? > 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_SNDBUF: i32 = libc::SO_SNDBUF;
/// `SO_RCVBUF`: the size of the kernel's receive buffer.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVBUF};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert!(sock.getsockopt(SOL_SOCKET, SO_RCVBUF)? > 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_RCVBUF: i32 = libc::SO_RCVBUF;
/// `SO_LINGER`: how `close` waits for unsent data; takes the bytes of a
/// `struct linger` (8 bytes on Linux).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// let linger = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat(); // on, 0 s: reset on close
/// sock.setsockopt(SOL_SOCKET, SO_LINGER, &linger)?;
/// assert_eq!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8)?, linger);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_LINGER: i32 = libc::SO_LINGER;
/// `SO_BROADCAST`: allows sending datagrams to a broadcast address.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_BROADCAST, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_BROADCAST)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_BROADCAST: i32 = libc::SO_BROADCAST;
/// `SO_ERROR`: the pending error, cleared on read.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_ERROR};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_ERROR)?, 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_ERROR: i32 = libc::SO_ERROR;
/// `SO_TYPE`: the socket type (read-only).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_TYPE};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_TYPE)?, SOCK_STREAM.as_raw());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_TYPE: i32 = libc::SO_TYPE;
/// `SO_OOBINLINE`: out-of-band data arrives in the normal stream.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_OOBINLINE};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(SOL_SOCKET, SO_OOBINLINE, true)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_OOBINLINE)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_OOBINLINE: i32 = libc::SO_OOBINLINE;
/// `SO_RCVLOWAT`: the fewest bytes a receive waits for.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVLOWAT};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert_eq!(sock.getsockopt(SOL_SOCKET, SO_RCVLOWAT)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_RCVLOWAT: i32 = libc::SO_RCVLOWAT;
/// `SO_SNDLOWAT`: the least buffer room a send waits for (read-only on Linux).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_SNDLOWAT};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert!(sock.getsockopt(SOL_SOCKET, SO_SNDLOWAT)? >= 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_SNDLOWAT: i32 = libc::SO_SNDLOWAT;
/// `SO_ACCEPTCONN`: whether the socket listens (read-only).
///
/// ```
/// use pysocket::{create_server, SOL_SOCKET, SO_ACCEPTCONN};
/// let server = create_server(("127.0.0.1", 0))?;
/// assert_eq!(server.getsockopt(SOL_SOCKET, SO_ACCEPTCONN)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SO_ACCEPTCONN: i32 = libc::SO_ACCEPTCONN;
/// `TCP_NODELAY`: sends small segments at once (disables Nagle's algorithm).
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const TCP_NODELAY: i32 = libc::TCP_NODELAY;
/// `TCP_MAXSEG`: the largest TCP segment the connection sends.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_TCP, SOCK_STREAM, TCP_MAXSEG};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// assert!(sock.getsockopt(IPPROTO_TCP, TCP_MAXSEG)? > 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const TCP_MAXSEG: i32 = libc::TCP_MAXSEG;
/// `IP_TTL`: the time-to-live of outgoing IPv4 packets.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_TTL, SOCK_STREAM};
/// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_TTL, 10)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TTL)?, 10);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IP_TTL: i32 = libc::IP_TTL;
/// `IP_TOS`: the type-of-service byte of outgoing IPv4 packets.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_TOS, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_TOS, 0x10)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TOS)?, 0x10);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IP_TOS: i32 = libc::IP_TOS;
/// `IP_MULTICAST_TTL`: the time-to-live of outgoing IPv4 multicast packets.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_MULTICAST_TTL, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 2)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL)?, 2);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IP_MULTICAST_TTL: i32 = libc::IP_MULTICAST_TTL;
/// `IP_MULTICAST_LOOP`: whether this host receives its own IPv4 multicast.
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_MULTICAST_LOOP, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, false)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP)?, 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IP_MULTICAST_LOOP: i32 = libc::IP_MULTICAST_LOOP;
/// `IPV6_V6ONLY`: an `AF_INET6` socket that refuses IPv4-mapped peers.
///
/// ```
/// use pysocket::{Socket, AF_INET6, SOCK_STREAM, IPPROTO_IPV6, IPV6_V6ONLY};
/// let sock = Socket::new(AF_INET6, SOCK_STREAM)?;
/// sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPV6_V6ONLY: i32 = libc::IPV6_V6ONLY;
/// `IPV6_UNICAST_HOPS`: the hop limit of outgoing IPv6 unicast packets.
///
/// ```
/// use pysocket::{Socket, AF_INET6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET6, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 16)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS)?, 16);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const IPV6_UNICAST_HOPS: i32 = libc::IPV6_UNICAST_HOPS;

/// `SHUT_RD`: [`Socket::shutdown`](crate::Socket::shutdown) stops receiving.
///
/// Data still queued and data that arrives later are discarded, and
/// `recv` returns empty at once, on every `dup` of the socket. (The value
/// is std's [`Shutdown::Read`], re-exported as [`Shutdown`](crate::Shutdown).)
///
/// ```
/// use pysocket::{socketpair, SHUT_RD};
/// let (a, _b) = socketpair()?;
/// a.shutdown(SHUT_RD)?;
/// assert!(a.recv(64)?.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SHUT_RD: Shutdown = Shutdown::Read;
/// `SHUT_WR`: [`Socket::shutdown`](crate::Socket::shutdown) stops sending.
///
/// On TCP this sends a `FIN` after the data already sent: the peer reads
/// what was sent, then an empty `recv` (the end of the stream), and can
/// still answer. Further sends here fail with `EPIPE` (kind `BrokenPipe`).
/// (The value is std's [`Shutdown::Write`], re-exported as
/// [`Shutdown`](crate::Shutdown).)
///
/// ```
/// use pysocket::{socketpair, SHUT_WR};
/// let (a, b) = socketpair()?;
/// a.sendall(b"last words")?;
/// a.shutdown(SHUT_WR)?;
/// assert_eq!(b.recv(64)?, b"last words");
/// assert!(b.recv(64)?.is_empty());
/// assert_eq!(a.send(b"more").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SHUT_WR: Shutdown = Shutdown::Write;
/// `SHUT_RDWR`: [`Socket::shutdown`](crate::Socket::shutdown) stops both
/// directions ([`SHUT_RD`] and [`SHUT_WR`]).
///
/// Unlike [`Socket::close`](crate::Socket::close) it ends the connection for
/// every `dup` of the socket, and wakes the threads waiting on it. (The value
/// is std's [`Shutdown::Both`], re-exported as [`Shutdown`](crate::Shutdown).)
///
/// ```
/// use pysocket::{socketpair, SHUT_RDWR};
/// let (a, b) = socketpair()?;
/// a.shutdown(SHUT_RDWR)?;
/// assert!(b.recv(64)?.is_empty());
/// assert!(a.recv(64)?.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SHUT_RDWR: Shutdown = Shutdown::Both;

/// `MSG_PEEK`: look at the data without taking it.
///
/// ```
/// use pysocket::{socketpair, MSG_PEEK};
/// let (a, b) = socketpair()?;
/// a.sendall(b"hello")?;
/// assert_eq!(b.recv_with_flags(5, MSG_PEEK)?, b"hello");
/// assert_eq!(b.recv(5)?, b"hello");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_PEEK: MsgFlags = MsgFlags::PEEK;
/// `MSG_OOB`: send or receive TCP's out-of-band (urgent) byte.
///
/// ```
/// use pysocket::{create_server, Socket, AF_INET, MSG_OOB, SOCK_STREAM};
/// let server = create_server(("127.0.0.1", 0))?;
/// let client = Socket::new(AF_INET, SOCK_STREAM)?;
/// client.connect(server.getsockname()?)?;
/// let (conn, _) = server.accept()?;
/// client.send_with_flags(b"!", MSG_OOB)?;
/// // Wait for the urgent byte: select's third list (`except`) reports it.
/// let (_, _, urgent) = pysocket::select(&[], &[], &[&conn], Some(std::time::Duration::from_secs(5)))?;
/// assert_eq!(urgent.len(), 1);
/// assert_eq!(conn.recv_with_flags(1, MSG_OOB)?, b"!");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_OOB: MsgFlags = MsgFlags::OOB;
/// `MSG_WAITALL`: a receive waits for the whole buffer (or the end of the stream).
///
/// ```
/// use pysocket::{socketpair, MSG_WAITALL};
/// let (a, b) = socketpair()?;
/// a.sendall(b"ab")?;
/// a.sendall(b"cd")?;
/// assert_eq!(b.recv_with_flags(4, MSG_WAITALL)?, b"abcd");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_WAITALL: MsgFlags = MsgFlags::WAITALL;
/// `MSG_DONTWAIT`: this one call does not wait, whatever the socket's mode.
///
/// ```
/// use pysocket::{socketpair, MSG_DONTWAIT};
/// let (_a, b) = socketpair()?; // blocking, yet the call returns at once
/// assert!(b.recv_with_flags(1, MSG_DONTWAIT).unwrap_err().is_would_block());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_DONTWAIT: MsgFlags = MsgFlags::DONTWAIT;
/// `MSG_DONTROUTE`: send only to directly connected hosts, bypassing routing.
///
/// ```
/// use pysocket::{Socket, AF_INET, MSG_DONTROUTE, SOCK_DGRAM};
/// let server = Socket::new(AF_INET, SOCK_DGRAM)?;
/// server.bind(("127.0.0.1", 0))?;
/// let client = Socket::new(AF_INET, SOCK_DGRAM)?;
/// client.sendto_with_flags(b"local", MSG_DONTROUTE, server.getsockname()?)?;
/// assert_eq!(server.recv(64)?, b"local");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_DONTROUTE: MsgFlags = MsgFlags::DONTROUTE;
/// `MSG_TRUNC`: a receive reports a datagram's real length, even when cut.
///
/// ```
/// use pysocket::{socketpair_with, AF_UNIX, MSG_TRUNC, SOCK_DGRAM};
/// let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM)?;
/// a.send(b"twelve bytes")?;
/// let mut buf = [0u8; 6];
/// assert_eq!(b.recv_into_with_flags(&mut buf, MSG_TRUNC)?, 12);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const MSG_TRUNC: MsgFlags = MsgFlags::TRUNC;
/// `MSG_EOR`: ends a record (`SOCK_SEQPACKET`).
///
/// ```
/// use pysocket::{MsgFlags, MSG_EOR};
/// assert_eq!(MSG_EOR, MsgFlags::EOR);
/// assert_eq!(MSG_EOR.bits(), libc::MSG_EOR);
/// ```
pub const MSG_EOR: MsgFlags = MsgFlags::EOR;

/// `SOMAXCONN`: the largest backlog `listen` takes; larger ones are cut to it.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM, SOMAXCONN};
/// let server = Socket::new(AF_INET, SOCK_STREAM)?;
/// server.bind(("127.0.0.1", 0))?;
/// server.listen(SOMAXCONN)?;
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const SOMAXCONN: i32 = libc::SOMAXCONN;

/// `MSG_CTRUNC`: a receive's control data did not fit its buffer, and was
/// cut ([`RecvMsg::flags`](crate::RecvMsg::flags) says so).
///
/// ```
/// use std::io::IoSlice;
/// use pysocket::{socketpair, MSG_CTRUNC};
/// let (a, b) = socketpair()?;
/// let file = std::fs::File::open("/dev/null")?;
/// a.send_fds(&[IoSlice::new(b"x")], &[std::os::fd::AsFd::as_fd(&file)], Default::default())?;
/// let msg = b.recvmsg(1, 0, Default::default())?; // no room for the descriptor
/// assert!(msg.flags.contains(MSG_CTRUNC));
/// assert!(msg.fds.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MSG_CTRUNC: MsgFlags = MsgFlags::CTRUNC;
/// `MSG_CMSG_CLOEXEC`: descriptors received in `SCM_RIGHTS` are
/// close-on-exec (Linux). [`Socket::recvmsg`](crate::Socket::recvmsg) and the
/// other receives of control data always pass it.
///
/// ```
/// use pysocket::{MsgFlags, MSG_CMSG_CLOEXEC};
/// assert_eq!(MSG_CMSG_CLOEXEC, MsgFlags::CMSG_CLOEXEC);
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const MSG_CMSG_CLOEXEC: MsgFlags = MsgFlags::CMSG_CLOEXEC;

/// `SCM_RIGHTS`: a control message (level [`SOL_SOCKET`]) that passes open
/// descriptors to the process at the other end of an `AF_UNIX` socket.
///
/// ```
/// use std::io::IoSlice;
/// use std::os::fd::AsFd;
/// use pysocket::{socketpair, Cmsg, MsgFlags, SCM_RIGHTS, SOL_SOCKET};
/// let (a, b) = socketpair()?;
/// let file = std::fs::File::open("/dev/null")?;
/// let rights = Cmsg::rights(&[file.as_fd()]);
/// assert_eq!((rights.level, rights.kind), (SOL_SOCKET, SCM_RIGHTS));
/// a.sendmsg(&[IoSlice::new(b"x")], &[rights], MsgFlags::empty())?;
/// let msg = b.recvmsg(1, pysocket::CMSG_SPACE(4)?, MsgFlags::empty())?;
/// assert_eq!(msg.fds.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SCM_RIGHTS: i32 = libc::SCM_RIGHTS;
/// `SCM_CREDENTIALS`: a control message (level [`SOL_SOCKET`]) carrying the
/// sender's `struct ucred` (pid, uid, gid) over `AF_UNIX` (Linux); the
/// receiver gets it once it set [`SO_PASSCRED`].
///
/// ```
/// use pysocket::{socketpair, Credentials, SCM_CREDENTIALS, SOL_SOCKET, SO_PASSCRED};
/// let (a, b) = socketpair()?;
/// b.setsockopt(SOL_SOCKET, SO_PASSCRED, true)?;
/// a.sendall(b"who am I?")?;
/// let msg = b.recvmsg(64, pysocket::CMSG_SPACE(12)?, Default::default())?;
/// assert_eq!((msg.ancdata[0].level, msg.ancdata[0].kind), (SOL_SOCKET, SCM_CREDENTIALS));
/// assert_eq!(msg.ancdata[0].as_credentials(), Some(Credentials::current()));
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const SCM_CREDENTIALS: i32 = libc::SCM_CREDENTIALS;
/// `SO_PASSCRED`: an `AF_UNIX` socket receives the sender's credentials
/// with its data, as [`SCM_CREDENTIALS`] messages (Linux).
///
/// ```
/// use pysocket::{socketpair, SOL_SOCKET, SO_PASSCRED};
/// let (_a, b) = socketpair()?;
/// b.setsockopt(SOL_SOCKET, SO_PASSCRED, true)?;
/// assert_eq!(b.getsockopt(SOL_SOCKET, SO_PASSCRED)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const SO_PASSCRED: i32 = libc::SO_PASSCRED;
/// `IP_PKTINFO`: an IPv4 datagram socket receives, with each datagram, the
/// address it was sent to and the interface it came in on, as an
/// `IP_PKTINFO` control message ([`Cmsg::as_pktinfo`](crate::Cmsg::as_pktinfo));
/// sent, the same message picks the source address (Linux).
///
/// ```
/// use pysocket::{Socket, AF_INET, IPPROTO_IP, IP_PKTINFO, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IP, IP_PKTINFO, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IP, IP_PKTINFO)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const IP_PKTINFO: i32 = libc::IP_PKTINFO;
/// `IPV6_PKTINFO`: the control message (level [`IPPROTO_IPV6`]) that carries
/// an IPv6 datagram's destination address and interface, received once
/// [`IPV6_RECVPKTINFO`] is set; sent, it picks the source address (Linux).
///
/// ```
/// use pysocket::{Cmsg, PktInfo, IPPROTO_IPV6, IPV6_PKTINFO};
/// let info = PktInfo::V6 { addr: std::net::Ipv6Addr::LOCALHOST, ifindex: 0 };
/// let cmsg = Cmsg::pktinfo(info);
/// assert_eq!((cmsg.level, cmsg.kind), (IPPROTO_IPV6, IPV6_PKTINFO));
/// assert_eq!(cmsg.as_pktinfo(), Some(info));
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const IPV6_PKTINFO: i32 = libc::IPV6_PKTINFO;
/// `IPV6_RECVPKTINFO`: an IPv6 datagram socket receives an [`IPV6_PKTINFO`]
/// control message with each datagram (Linux).
///
/// ```
/// use pysocket::{Socket, AF_INET6, IPPROTO_IPV6, IPV6_RECVPKTINFO, SOCK_DGRAM};
/// let sock = Socket::new(AF_INET6, SOCK_DGRAM)?;
/// sock.setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO, true)?;
/// assert_eq!(sock.getsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO)?, 1);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const IPV6_RECVPKTINFO: i32 = libc::IPV6_RECVPKTINFO;

/// A constant's value as Python prints it, for the table of every constant.
trait TableValue {
    fn table_value(&self) -> i64;
}

impl TableValue for i32 {
    fn table_value(&self) -> i64 {
        i64::from(*self)
    }
}

impl TableValue for u32 {
    fn table_value(&self) -> i64 {
        i64::from(*self)
    }
}

impl TableValue for Family {
    fn table_value(&self) -> i64 {
        i64::from(self.as_raw())
    }
}

impl TableValue for SockType {
    fn table_value(&self) -> i64 {
        i64::from(self.as_raw())
    }
}

impl TableValue for MsgFlags {
    fn table_value(&self) -> i64 {
        i64::from(self.bits())
    }
}

impl TableValue for AddrInfoFlags {
    fn table_value(&self) -> i64 {
        i64::from(self.bits())
    }
}

impl TableValue for NameInfoFlags {
    fn table_value(&self) -> i64 {
        i64::from(self.bits())
    }
}

impl TableValue for Shutdown {
    fn table_value(&self) -> i64 {
        i64::from(match self {
            Shutdown::Read => libc::SHUT_RD,
            Shutdown::Write => libc::SHUT_WR,
            Shutdown::Both => libc::SHUT_RDWR,
        })
    }
}

/// Defines a group of constants that share a `cfg`, each with its doc, and
/// a function that adds their names and values to the table of every constant.
macro_rules! constants {
    (
        #[cfg($cfg:meta)] fn $table:ident;
        $( $(#[doc = $doc:literal])* $name:ident: $ty:ty = $value:expr; )*
    ) => {
        $(
            $(#[doc = $doc])*
            #[cfg($cfg)]
            pub const $name: $ty = $value;
        )*

        #[cfg($cfg)]
        fn $table(all: &mut Vec<(&'static str, i64)>) {
            $( all.push((stringify!($name), TableValue::table_value(&$name))); )*
        }
    };
}

/// The constants above, defined by hand with their examples, in the table.
macro_rules! table_only {
    ($(#[cfg($cfg:meta)])? fn $table:ident; $( $name:ident ),* $(,)?) => {
        $(#[cfg($cfg)])?
        fn $table(all: &mut Vec<(&'static str, i64)>) {
            $( all.push((stringify!($name), TableValue::table_value(&$name))); )*
        }
    };
}

table_only! {
    fn table_by_hand;
    AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET,
    IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6,
    SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_SNDBUF, SO_RCVBUF, SO_LINGER,
    SO_BROADCAST, SO_ERROR, SO_TYPE, SO_OOBINLINE, SO_RCVLOWAT, SO_SNDLOWAT, SO_ACCEPTCONN,
    TCP_NODELAY, TCP_MAXSEG, IP_TTL, IP_TOS, IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IPV6_V6ONLY,
    IPV6_UNICAST_HOPS, SHUT_RD, SHUT_WR, SHUT_RDWR, MSG_PEEK, MSG_OOB, MSG_WAITALL,
    MSG_DONTWAIT, MSG_DONTROUTE, MSG_TRUNC, MSG_EOR, SOMAXCONN, MSG_CTRUNC, SCM_RIGHTS
}

/// `AF_DECnet`: DECnet (Python spells it so, and so does C).
///
/// ```
/// use pysocket::{Family, AF_DECnet};
/// assert_eq!(AF_DECnet, Family::DECNET);
/// assert_eq!(AF_DECnet.to_string(), "AF_DECnet");
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
#[allow(non_upper_case_globals)]
pub const AF_DECnet: Family = Family::DECNET;

table_only! {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn table_by_hand_linux;
    AF_DECnet, MSG_CMSG_CLOEXEC, SCM_CREDENTIALS, SO_PASSCRED, IP_PKTINFO, IPV6_PKTINFO,
    IPV6_RECVPKTINFO
}

// The constants of Linux (and Android) whose values libc has.
constants! {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn table_linux_android;
    /// `AF_ALG`: the kernel crypto API.
    AF_ALG: Family = Family::ALG;
    /// `AF_APPLETALK`: AppleTalk.
    AF_APPLETALK: Family = Family::APPLETALK;
    /// `AF_ASH`: Ash.
    AF_ASH: Family = Family::ASH;
    /// `AF_ATMPVC`: ATM permanent virtual circuits.
    AF_ATMPVC: Family = Family::ATMPVC;
    /// `AF_ATMSVC`: ATM switched virtual circuits.
    AF_ATMSVC: Family = Family::ATMSVC;
    /// `AF_AX25`: amateur radio AX.25.
    AF_AX25: Family = Family::AX25;
    /// `AF_BRIDGE`: multiprotocol bridge.
    AF_BRIDGE: Family = Family::BRIDGE;
    /// `AF_CAN`: Controller Area Network.
    AF_CAN: Family = Family::CAN;
    /// `AF_ECONET`: Acorn Econet.
    AF_ECONET: Family = Family::ECONET;
    /// `AF_IPX`: Novell IPX.
    AF_IPX: Family = Family::IPX;
    /// `AF_IRDA`: IrDA.
    AF_IRDA: Family = Family::IRDA;
    /// `AF_KEY`: PF_KEY key management (IPsec).
    AF_KEY: Family = Family::KEY;
    /// `AF_LLC`: IEEE 802.2 LLC.
    AF_LLC: Family = Family::LLC;
    /// `AF_NETBEUI`: NetBEUI.
    AF_NETBEUI: Family = Family::NETBEUI;
    /// `AF_NETLINK`: netlink: talking to the kernel.
    AF_NETLINK: Family = Family::NETLINK;
    /// `AF_NETROM`: amateur radio NET/ROM.
    AF_NETROM: Family = Family::NETROM;
    /// `AF_PACKET`: packet sockets: raw link-layer frames.
    AF_PACKET: Family = Family::PACKET;
    /// `AF_PPPOX`: PPP over X (PPPoE, L2TP).
    AF_PPPOX: Family = Family::PPPOX;
    /// `AF_QIPCRTR`: Qualcomm IPC router.
    AF_QIPCRTR: Family = Family::QIPCRTR;
    /// `AF_RDS`: Reliable Datagram Sockets.
    AF_RDS: Family = Family::RDS;
    /// `AF_ROSE`: amateur radio X.25 PLP (ROSE).
    AF_ROSE: Family = Family::ROSE;
    /// `AF_ROUTE`: an alias of `AF_NETLINK` (BSD's name for routing sockets).
    AF_ROUTE: Family = Family::NETLINK;
    /// `AF_SECURITY`: security callback pseudo family.
    AF_SECURITY: Family = Family::SECURITY;
    /// `AF_SNA`: Linux SNA.
    AF_SNA: Family = Family::SNA;
    /// `AF_TIPC`: TIPC cluster communication.
    AF_TIPC: Family = Family::TIPC;
    /// `AF_VSOCK`: virtual machine sockets (host and guests).
    AF_VSOCK: Family = Family::VSOCK;
    /// `AF_WANPIPE`: Wanpipe API.
    AF_WANPIPE: Family = Family::WANPIPE;
    /// `AF_X25`: ITU-T X.25 / ISO-8208.
    AF_X25: Family = Family::X25;
    /// `AI_ADDRCONFIG`: only families the machine has an address of.
    AI_ADDRCONFIG: AddrInfoFlags = AddrInfoFlags::ADDRCONFIG;
    /// `AI_ALL`: with `AI_V4MAPPED`, IPv6 and IPv4-mapped answers both.
    AI_ALL: AddrInfoFlags = AddrInfoFlags::ALL;
    /// `AI_CANONNAME`: fill in the canonical name.
    AI_CANONNAME: AddrInfoFlags = AddrInfoFlags::CANONNAME;
    /// `AI_NUMERICHOST`: the host is a numeric address, no lookup.
    AI_NUMERICHOST: AddrInfoFlags = AddrInfoFlags::NUMERICHOST;
    /// `AI_NUMERICSERV`: the service is a port number, no lookup.
    AI_NUMERICSERV: AddrInfoFlags = AddrInfoFlags::NUMERICSERV;
    /// `AI_PASSIVE`: with no host, the wildcard address (to bind).
    AI_PASSIVE: AddrInfoFlags = AddrInfoFlags::PASSIVE;
    /// `AI_V4MAPPED`: IPv4-mapped IPv6 answers when there is no IPv6 one.
    AI_V4MAPPED: AddrInfoFlags = AddrInfoFlags::V4MAPPED;
    /// `ALG_OP_DECRYPT`: `AF_ALG` operation: decrypt.
    ALG_OP_DECRYPT: i32 = libc::ALG_OP_DECRYPT;
    /// `ALG_OP_ENCRYPT`: `AF_ALG` operation: encrypt.
    ALG_OP_ENCRYPT: i32 = libc::ALG_OP_ENCRYPT;
    /// `ALG_SET_AEAD_ASSOCLEN`: `AF_ALG` control message: AEAD associated data length.
    ALG_SET_AEAD_ASSOCLEN: i32 = libc::ALG_SET_AEAD_ASSOCLEN;
    /// `ALG_SET_AEAD_AUTHSIZE`: `AF_ALG` option: AEAD tag size.
    ALG_SET_AEAD_AUTHSIZE: i32 = libc::ALG_SET_AEAD_AUTHSIZE;
    /// `ALG_SET_IV`: `AF_ALG` control message: the IV.
    ALG_SET_IV: i32 = libc::ALG_SET_IV;
    /// `ALG_SET_KEY`: `AF_ALG` option: the key.
    ALG_SET_KEY: i32 = libc::ALG_SET_KEY;
    /// `ALG_SET_OP`: `AF_ALG` control message: the operation.
    ALG_SET_OP: i32 = libc::ALG_SET_OP;
    /// `EAGAIN`: errno: resource temporarily unavailable (no data yet on a non-blocking socket).
    EAGAIN: i32 = libc::EAGAIN;
    /// `EAI_AGAIN`: temporary failure in name resolution.
    EAI_AGAIN: i32 = libc::EAI_AGAIN;
    /// `EAI_BADFLAGS`: bad value of the flags.
    EAI_BADFLAGS: i32 = libc::EAI_BADFLAGS;
    /// `EAI_FAIL`: non-recoverable failure in name resolution.
    EAI_FAIL: i32 = libc::EAI_FAIL;
    /// `EAI_FAMILY`: family not supported.
    EAI_FAMILY: i32 = libc::EAI_FAMILY;
    /// `EAI_MEMORY`: out of memory.
    EAI_MEMORY: i32 = libc::EAI_MEMORY;
    /// `EAI_NODATA`: no address for this name.
    EAI_NODATA: i32 = libc::EAI_NODATA;
    /// `EAI_NONAME`: name or service not known.
    EAI_NONAME: i32 = libc::EAI_NONAME;
    /// `EAI_OVERFLOW`: an argument buffer overflowed.
    EAI_OVERFLOW: i32 = libc::EAI_OVERFLOW;
    /// `EAI_SERVICE`: service not supported for the socket type.
    EAI_SERVICE: i32 = libc::EAI_SERVICE;
    /// `EAI_SOCKTYPE`: socket type not supported.
    EAI_SOCKTYPE: i32 = libc::EAI_SOCKTYPE;
    /// `EAI_SYSTEM`: system error: see errno.
    EAI_SYSTEM: i32 = libc::EAI_SYSTEM;
    /// `EBADF`: errno: bad file descriptor.
    EBADF: i32 = libc::EBADF;
    /// `EWOULDBLOCK`: errno: the operation would block (the same value as `EAGAIN` on Linux).
    EWOULDBLOCK: i32 = libc::EWOULDBLOCK;
    /// `INADDR_ANY`: `0.0.0.0` as a host-order `u32`: any address (to bind).
    INADDR_ANY: u32 = libc::INADDR_ANY;
    /// `INADDR_BROADCAST`: `255.255.255.255` as a host-order `u32`: the broadcast address.
    INADDR_BROADCAST: u32 = libc::INADDR_BROADCAST;
    /// `INADDR_LOOPBACK`: `127.0.0.1` as a host-order `u32`.
    INADDR_LOOPBACK: u32 = libc::INADDR_LOOPBACK;
    /// `INADDR_NONE`: `255.255.255.255`: the error value of `inet_addr`.
    INADDR_NONE: u32 = libc::INADDR_NONE;
    /// `IPPROTO_AH`: IPsec authentication header.
    IPPROTO_AH: i32 = libc::IPPROTO_AH;
    /// `IPPROTO_DSTOPTS`: IPv6 destination options.
    IPPROTO_DSTOPTS: i32 = libc::IPPROTO_DSTOPTS;
    /// `IPPROTO_EGP`: Exterior Gateway Protocol.
    IPPROTO_EGP: i32 = libc::IPPROTO_EGP;
    /// `IPPROTO_ESP`: IPsec encapsulating security payload.
    IPPROTO_ESP: i32 = libc::IPPROTO_ESP;
    /// `IPPROTO_FRAGMENT`: IPv6 fragment header.
    IPPROTO_FRAGMENT: i32 = libc::IPPROTO_FRAGMENT;
    /// `IPPROTO_GRE`: Generic Routing Encapsulation.
    IPPROTO_GRE: i32 = libc::IPPROTO_GRE;
    /// `IPPROTO_HOPOPTS`: IPv6 hop-by-hop options.
    IPPROTO_HOPOPTS: i32 = libc::IPPROTO_HOPOPTS;
    /// `IPPROTO_IDP`: Xerox NS IDP.
    IPPROTO_IDP: i32 = libc::IPPROTO_IDP;
    /// `IPPROTO_IGMP`: Internet Group Management Protocol.
    IPPROTO_IGMP: i32 = libc::IPPROTO_IGMP;
    /// `IPPROTO_IPIP`: IP in IP tunnels.
    IPPROTO_IPIP: i32 = libc::IPPROTO_IPIP;
    /// `IPPROTO_MPTCP`: Multipath TCP.
    IPPROTO_MPTCP: i32 = libc::IPPROTO_MPTCP;
    /// `IPPROTO_NONE`: IPv6: no next header.
    IPPROTO_NONE: i32 = libc::IPPROTO_NONE;
    /// `IPPROTO_PIM`: Protocol Independent Multicast.
    IPPROTO_PIM: i32 = libc::IPPROTO_PIM;
    /// `IPPROTO_PUP`: PARC Universal Packet.
    IPPROTO_PUP: i32 = libc::IPPROTO_PUP;
    /// `IPPROTO_RAW`: raw IP packets.
    IPPROTO_RAW: i32 = libc::IPPROTO_RAW;
    /// `IPPROTO_ROUTING`: IPv6 routing header.
    IPPROTO_ROUTING: i32 = libc::IPPROTO_ROUTING;
    /// `IPPROTO_RSVP`: Resource Reservation Protocol.
    IPPROTO_RSVP: i32 = libc::IPPROTO_RSVP;
    /// `IPPROTO_SCTP`: Stream Control Transmission Protocol.
    IPPROTO_SCTP: i32 = libc::IPPROTO_SCTP;
    /// `IPPROTO_TP`: ISO transport protocol class 4.
    IPPROTO_TP: i32 = libc::IPPROTO_TP;
    /// `IPPROTO_UDPLITE`: UDP-Lite.
    IPPROTO_UDPLITE: i32 = libc::IPPROTO_UDPLITE;
    /// `IPV6_CHECKSUM`: raw IPv6: the offset of the checksum.
    IPV6_CHECKSUM: i32 = libc::IPV6_CHECKSUM;
    /// `IPV6_DONTFRAG`: do not fragment outgoing packets.
    IPV6_DONTFRAG: i32 = libc::IPV6_DONTFRAG;
    /// `IPV6_DSTOPTS`: the destination options header (control data).
    IPV6_DSTOPTS: i32 = libc::IPV6_DSTOPTS;
    /// `IPV6_HOPLIMIT`: the hop limit (control data).
    IPV6_HOPLIMIT: i32 = libc::IPV6_HOPLIMIT;
    /// `IPV6_HOPOPTS`: the hop-by-hop options header (control data).
    IPV6_HOPOPTS: i32 = libc::IPV6_HOPOPTS;
    // glibc's alias of IPV6_ADD_MEMBERSHIP (libc has no IPV6_JOIN_GROUP).
    /// `IPV6_JOIN_GROUP`: join an IPv6 multicast group.
    IPV6_JOIN_GROUP: i32 = libc::IPV6_ADD_MEMBERSHIP;
    // glibc's alias of IPV6_DROP_MEMBERSHIP.
    /// `IPV6_LEAVE_GROUP`: leave an IPv6 multicast group.
    IPV6_LEAVE_GROUP: i32 = libc::IPV6_DROP_MEMBERSHIP;
    /// `IPV6_MULTICAST_HOPS`: the hop limit of outgoing multicast.
    IPV6_MULTICAST_HOPS: i32 = libc::IPV6_MULTICAST_HOPS;
    /// `IPV6_MULTICAST_IF`: the interface of outgoing multicast.
    IPV6_MULTICAST_IF: i32 = libc::IPV6_MULTICAST_IF;
    /// `IPV6_MULTICAST_LOOP`: loop outgoing multicast back to this host.
    IPV6_MULTICAST_LOOP: i32 = libc::IPV6_MULTICAST_LOOP;
    /// `IPV6_NEXTHOP`: the next hop address (control data).
    IPV6_NEXTHOP: i32 = libc::IPV6_NEXTHOP;
    /// `IPV6_PATHMTU`: the path MTU (control data or option).
    IPV6_PATHMTU: i32 = libc::IPV6_PATHMTU;
    /// `IPV6_RECVDSTOPTS`: receive destination options as control data.
    IPV6_RECVDSTOPTS: i32 = libc::IPV6_RECVDSTOPTS;
    /// `IPV6_RECVHOPLIMIT`: receive the hop limit as control data.
    IPV6_RECVHOPLIMIT: i32 = libc::IPV6_RECVHOPLIMIT;
    /// `IPV6_RECVHOPOPTS`: receive hop-by-hop options as control data.
    IPV6_RECVHOPOPTS: i32 = libc::IPV6_RECVHOPOPTS;
    /// `IPV6_RECVPATHMTU`: receive path MTU changes as control data.
    IPV6_RECVPATHMTU: i32 = libc::IPV6_RECVPATHMTU;
    /// `IPV6_RECVRTHDR`: receive the routing header as control data.
    IPV6_RECVRTHDR: i32 = libc::IPV6_RECVRTHDR;
    /// `IPV6_RECVTCLASS`: receive the traffic class as control data.
    IPV6_RECVTCLASS: i32 = libc::IPV6_RECVTCLASS;
    /// `IPV6_RTHDR`: the routing header (control data).
    IPV6_RTHDR: i32 = libc::IPV6_RTHDR;
    /// `IPV6_RTHDRDSTOPTS`: destination options before the routing header.
    IPV6_RTHDRDSTOPTS: i32 = libc::IPV6_RTHDRDSTOPTS;
    /// `IPV6_TCLASS`: the traffic class of outgoing packets.
    IPV6_TCLASS: i32 = libc::IPV6_TCLASS;
    /// `IP_ADD_MEMBERSHIP`: join an IPv4 multicast group.
    IP_ADD_MEMBERSHIP: i32 = libc::IP_ADD_MEMBERSHIP;
    /// `IP_BIND_ADDRESS_NO_PORT`: bind the address now, the port at connect.
    IP_BIND_ADDRESS_NO_PORT: i32 = libc::IP_BIND_ADDRESS_NO_PORT;
    /// `IP_DEFAULT_MULTICAST_LOOP`: the default of `IP_MULTICAST_LOOP`.
    IP_DEFAULT_MULTICAST_LOOP: i32 = libc::IP_DEFAULT_MULTICAST_LOOP;
    /// `IP_DEFAULT_MULTICAST_TTL`: the default of `IP_MULTICAST_TTL`.
    IP_DEFAULT_MULTICAST_TTL: i32 = libc::IP_DEFAULT_MULTICAST_TTL;
    /// `IP_DROP_MEMBERSHIP`: leave an IPv4 multicast group.
    IP_DROP_MEMBERSHIP: i32 = libc::IP_DROP_MEMBERSHIP;
    /// `IP_HDRINCL`: raw socket: the application writes the IP header.
    IP_HDRINCL: i32 = libc::IP_HDRINCL;
    /// `IP_MULTICAST_IF`: the interface of outgoing multicast.
    IP_MULTICAST_IF: i32 = libc::IP_MULTICAST_IF;
    /// `IP_OPTIONS`: the IP options of outgoing packets.
    IP_OPTIONS: i32 = libc::IP_OPTIONS;
    /// `IP_RECVOPTS`: receive the IP options as control data.
    IP_RECVOPTS: i32 = libc::IP_RECVOPTS;
    // <linux/in.h>'s alias of IP_RETOPTS.
    /// `IP_RECVRETOPTS`: receive the reply options (an alias of `IP_RETOPTS`).
    IP_RECVRETOPTS: i32 = libc::IP_RETOPTS;
    /// `IP_RECVTOS`: receive the TOS field as control data.
    IP_RECVTOS: i32 = libc::IP_RECVTOS;
    /// `IP_RETOPTS`: receive the reply IP options as control data.
    IP_RETOPTS: i32 = libc::IP_RETOPTS;
    /// `IP_TRANSPARENT`: transparent proxying: bind foreign addresses.
    IP_TRANSPARENT: i32 = libc::IP_TRANSPARENT;
    /// `MSG_CONFIRM`: tell the link layer the neighbour answered.
    MSG_CONFIRM: MsgFlags = MsgFlags::CONFIRM;
    /// `MSG_ERRQUEUE`: receive from the socket's error queue.
    MSG_ERRQUEUE: MsgFlags = MsgFlags::ERRQUEUE;
    /// `MSG_FASTOPEN`: send data with the SYN (TCP Fast Open).
    MSG_FASTOPEN: MsgFlags = MsgFlags::FASTOPEN;
    /// `MSG_MORE`: more data follows: hold the packet.
    MSG_MORE: MsgFlags = MsgFlags::MORE;
    /// `MSG_NOSIGNAL`: no `SIGPIPE` on a broken connection (pysocket always passes it).
    MSG_NOSIGNAL: MsgFlags = MsgFlags::NOSIGNAL;
    /// `NETLINK_CRYPTO`: netlink protocol: the crypto layer.
    NETLINK_CRYPTO: i32 = libc::NETLINK_CRYPTO;
    /// `NETLINK_DNRTMSG`: netlink protocol: DECnet routing messages.
    NETLINK_DNRTMSG: i32 = libc::NETLINK_DNRTMSG;
    /// `NETLINK_FIREWALL`: netlink protocol: firewall packets (obsolete).
    NETLINK_FIREWALL: i32 = libc::NETLINK_FIREWALL;
    /// `NETLINK_IP6_FW`: netlink protocol: IPv6 firewall (obsolete).
    NETLINK_IP6_FW: i32 = libc::NETLINK_IP6_FW;
    /// `NETLINK_NFLOG`: netlink protocol: netfilter logging (obsolete).
    NETLINK_NFLOG: i32 = libc::NETLINK_NFLOG;
    /// `NETLINK_ROUTE`: netlink protocol: routing and link updates (rtnetlink).
    NETLINK_ROUTE: i32 = libc::NETLINK_ROUTE;
    /// `NETLINK_USERSOCK`: netlink protocol: reserved for user-space protocols.
    NETLINK_USERSOCK: i32 = libc::NETLINK_USERSOCK;
    /// `NETLINK_XFRM`: netlink protocol: IPsec (xfrm).
    NETLINK_XFRM: i32 = libc::NETLINK_XFRM;
    /// `NI_DGRAM`: the service is a datagram one.
    NI_DGRAM: NameInfoFlags = NameInfoFlags::DGRAM;
    /// `NI_MAXHOST`: the size of a buffer big enough for any host name `getnameinfo` gives.
    NI_MAXHOST: i32 = libc::NI_MAXHOST as i32;
    /// `NI_NAMEREQD`: fail rather than give a numeric host.
    NI_NAMEREQD: NameInfoFlags = NameInfoFlags::NAMEREQD;
    /// `NI_NOFQDN`: only the host part of local names.
    NI_NOFQDN: NameInfoFlags = NameInfoFlags::NOFQDN;
    /// `NI_NUMERICHOST`: the host as a numeric address.
    NI_NUMERICHOST: NameInfoFlags = NameInfoFlags::NUMERICHOST;
    /// `NI_NUMERICSERV`: the service as a port number.
    NI_NUMERICSERV: NameInfoFlags = NameInfoFlags::NUMERICSERV;
    /// `PF_CAN`: `AF_CAN` under its protocol-family name.
    PF_CAN: i32 = libc::PF_CAN;
    /// `PF_PACKET`: `AF_PACKET` under its protocol-family name.
    PF_PACKET: i32 = libc::PF_PACKET;
    /// `PF_RDS`: `AF_RDS` under its protocol-family name.
    PF_RDS: i32 = libc::PF_RDS;
    /// `SOCK_CLOEXEC`: a flag or-ed into the type: close-on-exec (pysocket sets it anyway).
    SOCK_CLOEXEC: SockType = SockType::CLOEXEC;
    /// `SOCK_NONBLOCK`: or-ed into the type, a non-blocking socket (`SOCK_STREAM | SOCK_NONBLOCK`).
    SOCK_NONBLOCK: SockType = SockType::NONBLOCK;
    /// `SOCK_RDM`: reliably delivered messages, in any order.
    SOCK_RDM: SockType = SockType::RDM;
    /// `SOL_ALG`: option level of `AF_ALG` sockets.
    SOL_ALG: i32 = libc::SOL_ALG;
    /// `SOL_IP`: option level of IPv4 (`IPPROTO_IP`).
    SOL_IP: i32 = libc::SOL_IP;
    /// `SOL_TCP`: option level of TCP (`IPPROTO_TCP`).
    SOL_TCP: i32 = libc::SOL_TCP;
    /// `SOL_TIPC`: option level of TIPC sockets.
    SOL_TIPC: i32 = libc::SOL_TIPC;
    /// `SOL_UDP`: option level of UDP (`IPPROTO_UDP`).
    SOL_UDP: i32 = libc::SOL_UDP;
    /// `SO_BINDTODEVICE`: bind to a network interface by name.
    SO_BINDTODEVICE: i32 = libc::SO_BINDTODEVICE;
    /// `SO_DEBUG`: enable socket debugging.
    SO_DEBUG: i32 = libc::SO_DEBUG;
    /// `SO_DOMAIN`: the socket's family (read-only).
    SO_DOMAIN: i32 = libc::SO_DOMAIN;
    /// `SO_DONTROUTE`: bypass routing: only directly connected hosts.
    SO_DONTROUTE: i32 = libc::SO_DONTROUTE;
    /// `SO_MARK`: the firewall mark of outgoing packets.
    SO_MARK: i32 = libc::SO_MARK;
    /// `SO_PASSSEC`: receive the peer's security context (`SCM_SECURITY`).
    SO_PASSSEC: i32 = libc::SO_PASSSEC;
    /// `SO_PEERCRED`: the credentials (`struct ucred`) of the peer of an `AF_UNIX` socket.
    SO_PEERCRED: i32 = libc::SO_PEERCRED;
    /// `SO_PEERSEC`: the security context of the peer.
    SO_PEERSEC: i32 = libc::SO_PEERSEC;
    /// `SO_PRIORITY`: the protocol-defined priority of outgoing packets.
    SO_PRIORITY: i32 = libc::SO_PRIORITY;
    /// `SO_PROTOCOL`: the socket's protocol (read-only).
    SO_PROTOCOL: i32 = libc::SO_PROTOCOL;
    /// `SO_RCVTIMEO`: the kernel's receive timeout (a `struct timeval`).
    SO_RCVTIMEO: i32 = libc::SO_RCVTIMEO;
    /// `SO_SNDTIMEO`: the kernel's send timeout (a `struct timeval`).
    SO_SNDTIMEO: i32 = libc::SO_SNDTIMEO;
    /// `TCP_CONGESTION`: the congestion control algorithm (by name).
    TCP_CONGESTION: i32 = libc::TCP_CONGESTION;
    /// `TCP_CORK`: hold partial frames until uncorked.
    TCP_CORK: i32 = libc::TCP_CORK;
    /// `TCP_DEFER_ACCEPT`: wake `accept` only when data arrived.
    TCP_DEFER_ACCEPT: i32 = libc::TCP_DEFER_ACCEPT;
    /// `TCP_FASTOPEN`: enable TCP Fast Open on a listener (queue length).
    TCP_FASTOPEN: i32 = libc::TCP_FASTOPEN;
    /// `TCP_INFO`: the connection's `struct tcp_info`.
    TCP_INFO: i32 = libc::TCP_INFO;
    /// `TCP_KEEPCNT`: keepalive probes before dropping the connection.
    TCP_KEEPCNT: i32 = libc::TCP_KEEPCNT;
    /// `TCP_KEEPIDLE`: idle seconds before keepalive probes start.
    TCP_KEEPIDLE: i32 = libc::TCP_KEEPIDLE;
    /// `TCP_KEEPINTVL`: seconds between keepalive probes.
    TCP_KEEPINTVL: i32 = libc::TCP_KEEPINTVL;
    /// `TCP_LINGER2`: lifetime of orphaned `FIN_WAIT2` sockets.
    TCP_LINGER2: i32 = libc::TCP_LINGER2;
    /// `TCP_NOTSENT_LOWAT`: the most unsent bytes before the socket stops being writable.
    TCP_NOTSENT_LOWAT: i32 = libc::TCP_NOTSENT_LOWAT;
    /// `TCP_QUICKACK`: acknowledge at once (quick-ack mode).
    TCP_QUICKACK: i32 = libc::TCP_QUICKACK;
    /// `TCP_SYNCNT`: SYN retransmits before giving up on a connect.
    TCP_SYNCNT: i32 = libc::TCP_SYNCNT;
    /// `TCP_USER_TIMEOUT`: how long (ms) sent data may stay unacknowledged before the connection drops.
    TCP_USER_TIMEOUT: i32 = libc::TCP_USER_TIMEOUT;
    /// `TCP_WINDOW_CLAMP`: the largest advertised window.
    TCP_WINDOW_CLAMP: i32 = libc::TCP_WINDOW_CLAMP;
    /// `VMADDR_CID_ANY`: vsock: any context id (to bind).
    VMADDR_CID_ANY: u32 = libc::VMADDR_CID_ANY;
    /// `VMADDR_CID_HOST`: vsock: the host's context id.
    VMADDR_CID_HOST: u32 = libc::VMADDR_CID_HOST;
    /// `VMADDR_PORT_ANY`: vsock: any port (to bind).
    VMADDR_PORT_ANY: u32 = libc::VMADDR_PORT_ANY;
}

// Linux's constants that libc has for Linux only (its copies of the kernel's
// uapi headers: CAN, J1939, netlink, packet, vsock).
constants! {
    #[cfg(target_os = "linux")]
    fn table_linux;
    /// `CAN_BCM`: CAN protocol: the broadcast manager.
    CAN_BCM: i32 = libc::CAN_BCM;
    /// `CAN_EFF_FLAG`: CAN id flag: extended frame format (29 bits).
    CAN_EFF_FLAG: u32 = libc::CAN_EFF_FLAG;
    /// `CAN_EFF_MASK`: CAN id mask: extended frame format.
    CAN_EFF_MASK: i32 = libc::CAN_EFF_MASK as i32;
    /// `CAN_ERR_FLAG`: CAN id flag: an error frame.
    CAN_ERR_FLAG: i32 = libc::CAN_ERR_FLAG as i32;
    /// `CAN_ERR_MASK`: CAN id mask: error classes.
    CAN_ERR_MASK: i32 = libc::CAN_ERR_MASK as i32;
    /// `CAN_ISOTP`: CAN protocol: ISO 15765-2 transport.
    CAN_ISOTP: i32 = libc::CAN_ISOTP;
    /// `CAN_J1939`: CAN protocol: SAE J1939.
    CAN_J1939: i32 = libc::CAN_J1939;
    /// `CAN_RAW`: CAN protocol: raw frames.
    CAN_RAW: i32 = libc::CAN_RAW;
    /// `CAN_RAW_FD_FRAMES`: raw CAN option: CAN FD frames.
    CAN_RAW_FD_FRAMES: i32 = libc::CAN_RAW_FD_FRAMES;
    /// `CAN_RAW_FILTER`: raw CAN option: receive filters.
    CAN_RAW_FILTER: i32 = libc::CAN_RAW_FILTER;
    /// `CAN_RAW_JOIN_FILTERS`: raw CAN option: all filters must match.
    CAN_RAW_JOIN_FILTERS: i32 = libc::CAN_RAW_JOIN_FILTERS;
    /// `CAN_RAW_LOOPBACK`: raw CAN option: local loopback of sent frames.
    CAN_RAW_LOOPBACK: i32 = libc::CAN_RAW_LOOPBACK;
    /// `CAN_RAW_RECV_OWN_MSGS`: raw CAN option: receive the frames this socket sent.
    CAN_RAW_RECV_OWN_MSGS: i32 = libc::CAN_RAW_RECV_OWN_MSGS;
    /// `CAN_RTR_FLAG`: CAN id flag: remote transmission request.
    CAN_RTR_FLAG: i32 = libc::CAN_RTR_FLAG as i32;
    /// `CAN_SFF_MASK`: CAN id mask: standard frame format (11 bits).
    CAN_SFF_MASK: i32 = libc::CAN_SFF_MASK as i32;
    // <linux/vm_sockets.h>: _IO(7, 0xb9); libc's _IO encodes it per architecture.
    /// `IOCTL_VM_SOCKETS_GET_LOCAL_CID`: the `ioctl` of `/dev/vsock` giving the local context id.
    IOCTL_VM_SOCKETS_GET_LOCAL_CID: i32 = libc::_IO(7, 0xb9) as i32;
    /// `J1939_EE_INFO_NONE`: SAE J1939 value `EE_INFO_NONE` (`linux/can/j1939.h`).
    J1939_EE_INFO_NONE: i32 = libc::J1939_EE_INFO_NONE;
    /// `J1939_EE_INFO_TX_ABORT`: SAE J1939 value `EE_INFO_TX_ABORT` (`linux/can/j1939.h`).
    J1939_EE_INFO_TX_ABORT: i32 = libc::J1939_EE_INFO_TX_ABORT;
    /// `J1939_FILTER_MAX`: SAE J1939 value `FILTER_MAX` (`linux/can/j1939.h`).
    J1939_FILTER_MAX: i32 = libc::J1939_FILTER_MAX;
    /// `J1939_IDLE_ADDR`: SAE J1939 value `IDLE_ADDR` (`linux/can/j1939.h`).
    J1939_IDLE_ADDR: i32 = libc::J1939_IDLE_ADDR as i32;
    /// `J1939_MAX_UNICAST_ADDR`: SAE J1939 value `MAX_UNICAST_ADDR` (`linux/can/j1939.h`).
    J1939_MAX_UNICAST_ADDR: i32 = libc::J1939_MAX_UNICAST_ADDR as i32;
    /// `J1939_NLA_BYTES_ACKED`: SAE J1939 value `NLA_BYTES_ACKED` (`linux/can/j1939.h`).
    J1939_NLA_BYTES_ACKED: i32 = libc::J1939_NLA_BYTES_ACKED;
    /// `J1939_NLA_PAD`: SAE J1939 value `NLA_PAD` (`linux/can/j1939.h`).
    J1939_NLA_PAD: i32 = libc::J1939_NLA_PAD;
    /// `J1939_NO_ADDR`: SAE J1939 value `NO_ADDR` (`linux/can/j1939.h`).
    J1939_NO_ADDR: i32 = libc::J1939_NO_ADDR as i32;
    /// `J1939_NO_NAME`: SAE J1939 value `NO_NAME` (`linux/can/j1939.h`).
    J1939_NO_NAME: i32 = libc::J1939_NO_NAME as i32;
    /// `J1939_NO_PGN`: SAE J1939 value `NO_PGN` (`linux/can/j1939.h`).
    J1939_NO_PGN: i32 = libc::J1939_NO_PGN as i32;
    /// `J1939_PGN_ADDRESS_CLAIMED`: SAE J1939 value `PGN_ADDRESS_CLAIMED` (`linux/can/j1939.h`).
    J1939_PGN_ADDRESS_CLAIMED: i32 = libc::J1939_PGN_ADDRESS_CLAIMED as i32;
    /// `J1939_PGN_ADDRESS_COMMANDED`: SAE J1939 value `PGN_ADDRESS_COMMANDED` (`linux/can/j1939.h`).
    J1939_PGN_ADDRESS_COMMANDED: i32 = libc::J1939_PGN_ADDRESS_COMMANDED as i32;
    /// `J1939_PGN_MAX`: SAE J1939 value `PGN_MAX` (`linux/can/j1939.h`).
    J1939_PGN_MAX: i32 = libc::J1939_PGN_MAX as i32;
    /// `J1939_PGN_PDU1_MAX`: SAE J1939 value `PGN_PDU1_MAX` (`linux/can/j1939.h`).
    J1939_PGN_PDU1_MAX: i32 = libc::J1939_PGN_PDU1_MAX as i32;
    /// `J1939_PGN_REQUEST`: SAE J1939 value `PGN_REQUEST` (`linux/can/j1939.h`).
    J1939_PGN_REQUEST: i32 = libc::J1939_PGN_REQUEST as i32;
    /// `PACKET_BROADCAST`: packet type: a broadcast.
    PACKET_BROADCAST: i32 = libc::PACKET_BROADCAST as i32;
    /// `PACKET_HOST`: packet type: addressed to this host.
    PACKET_HOST: i32 = libc::PACKET_HOST as i32;
    /// `PACKET_LOOPBACK`: packet type: looped back.
    PACKET_LOOPBACK: i32 = libc::PACKET_LOOPBACK as i32;
    /// `PACKET_MULTICAST`: packet type: a multicast.
    PACKET_MULTICAST: i32 = libc::PACKET_MULTICAST as i32;
    /// `PACKET_OTHERHOST`: packet type: addressed to another host (promiscuous).
    PACKET_OTHERHOST: i32 = libc::PACKET_OTHERHOST as i32;
    /// `PACKET_OUTGOING`: packet type: sent by this host.
    PACKET_OUTGOING: i32 = libc::PACKET_OUTGOING as i32;
    /// `SCM_J1939_DEST_ADDR`: J1939 control message `DEST_ADDR`.
    SCM_J1939_DEST_ADDR: i32 = libc::SCM_J1939_DEST_ADDR;
    /// `SCM_J1939_DEST_NAME`: J1939 control message `DEST_NAME`.
    SCM_J1939_DEST_NAME: i32 = libc::SCM_J1939_DEST_NAME;
    /// `SCM_J1939_ERRQUEUE`: J1939 control message `ERRQUEUE`.
    SCM_J1939_ERRQUEUE: i32 = libc::SCM_J1939_ERRQUEUE;
    /// `SCM_J1939_PRIO`: J1939 control message `PRIO`.
    SCM_J1939_PRIO: i32 = libc::SCM_J1939_PRIO;
    /// `SOL_CAN_BASE`: the base of CAN option levels.
    SOL_CAN_BASE: i32 = libc::SOL_CAN_BASE;
    /// `SOL_CAN_RAW`: option level of raw CAN sockets.
    SOL_CAN_RAW: i32 = libc::SOL_CAN_RAW;
    /// `SO_INCOMING_CPU`: the CPU that handles the socket's incoming packets.
    SO_INCOMING_CPU: i32 = libc::SO_INCOMING_CPU;
    /// `SO_J1939_ERRQUEUE`: J1939 socket option `ERRQUEUE`.
    SO_J1939_ERRQUEUE: i32 = libc::SO_J1939_ERRQUEUE;
    /// `SO_J1939_FILTER`: J1939 socket option `FILTER`.
    SO_J1939_FILTER: i32 = libc::SO_J1939_FILTER;
    /// `SO_J1939_PROMISC`: J1939 socket option `PROMISC`.
    SO_J1939_PROMISC: i32 = libc::SO_J1939_PROMISC;
    /// `SO_J1939_SEND_PRIO`: J1939 socket option `SEND_PRIO`.
    SO_J1939_SEND_PRIO: i32 = libc::SO_J1939_SEND_PRIO;
}

// The constants libc lacks (or has for glibc only: `SOL_RDS`). Each value is
// the kernel's uapi header's (or glibc's `<netinet/in.h>` / `<netdb.h>` for
// `INADDR_*`, `IPPORT_*`, `IP_MAX_MEMBERSHIPS`, `NI_MAXSERV`), and the same
// on every Linux architecture: `<linux/tipc.h>`, `<linux/can/bcm.h>`, `<linux/if_alg.h>`,
// `<linux/if_packet.h>`, `<linux/vm_sockets.h>`, `<linux/udp.h>`,
// `<linux/in6.h>`, `<linux/socket.h>` (`SOL_RDS`).
constants! {
    #[cfg(target_os = "linux")]
    fn table_linux_literal;
    /// `ALG_OP_SIGN`: `AF_ALG` operation: sign.
    ALG_OP_SIGN: i32 = 2;
    /// `ALG_OP_VERIFY`: `AF_ALG` operation: verify.
    ALG_OP_VERIFY: i32 = 3;
    /// `ALG_SET_PUBKEY`: `AF_ALG` option: a public key.
    ALG_SET_PUBKEY: i32 = 6;
    /// `CAN_BCM_CAN_FD_FRAME`: CAN broadcast manager flag `CAN_FD_FRAME`.
    CAN_BCM_CAN_FD_FRAME: i32 = 2048;
    /// `CAN_BCM_RX_ANNOUNCE_RESUME`: CAN broadcast manager flag `RX_ANNOUNCE_RESUME`.
    CAN_BCM_RX_ANNOUNCE_RESUME: i32 = 256;
    /// `CAN_BCM_RX_CHANGED`: CAN broadcast manager opcode `RX_CHANGED`.
    CAN_BCM_RX_CHANGED: i32 = 12;
    /// `CAN_BCM_RX_CHECK_DLC`: CAN broadcast manager flag `RX_CHECK_DLC`.
    CAN_BCM_RX_CHECK_DLC: i32 = 64;
    /// `CAN_BCM_RX_DELETE`: CAN broadcast manager opcode `RX_DELETE`.
    CAN_BCM_RX_DELETE: i32 = 6;
    /// `CAN_BCM_RX_FILTER_ID`: CAN broadcast manager flag `RX_FILTER_ID`.
    CAN_BCM_RX_FILTER_ID: i32 = 32;
    /// `CAN_BCM_RX_NO_AUTOTIMER`: CAN broadcast manager flag `RX_NO_AUTOTIMER`.
    CAN_BCM_RX_NO_AUTOTIMER: i32 = 128;
    /// `CAN_BCM_RX_READ`: CAN broadcast manager opcode `RX_READ`.
    CAN_BCM_RX_READ: i32 = 7;
    /// `CAN_BCM_RX_RTR_FRAME`: CAN broadcast manager flag `RX_RTR_FRAME`.
    CAN_BCM_RX_RTR_FRAME: i32 = 1024;
    /// `CAN_BCM_RX_SETUP`: CAN broadcast manager opcode `RX_SETUP`.
    CAN_BCM_RX_SETUP: i32 = 5;
    /// `CAN_BCM_RX_STATUS`: CAN broadcast manager opcode `RX_STATUS`.
    CAN_BCM_RX_STATUS: i32 = 10;
    /// `CAN_BCM_RX_TIMEOUT`: CAN broadcast manager opcode `RX_TIMEOUT`.
    CAN_BCM_RX_TIMEOUT: i32 = 11;
    /// `CAN_BCM_SETTIMER`: CAN broadcast manager flag `SETTIMER`.
    CAN_BCM_SETTIMER: i32 = 1;
    /// `CAN_BCM_STARTTIMER`: CAN broadcast manager flag `STARTTIMER`.
    CAN_BCM_STARTTIMER: i32 = 2;
    /// `CAN_BCM_TX_ANNOUNCE`: CAN broadcast manager flag `TX_ANNOUNCE`.
    CAN_BCM_TX_ANNOUNCE: i32 = 8;
    /// `CAN_BCM_TX_COUNTEVT`: CAN broadcast manager flag `TX_COUNTEVT`.
    CAN_BCM_TX_COUNTEVT: i32 = 4;
    /// `CAN_BCM_TX_CP_CAN_ID`: CAN broadcast manager flag `TX_CP_CAN_ID`.
    CAN_BCM_TX_CP_CAN_ID: i32 = 16;
    /// `CAN_BCM_TX_DELETE`: CAN broadcast manager opcode `TX_DELETE`.
    CAN_BCM_TX_DELETE: i32 = 2;
    /// `CAN_BCM_TX_EXPIRED`: CAN broadcast manager opcode `TX_EXPIRED`.
    CAN_BCM_TX_EXPIRED: i32 = 9;
    /// `CAN_BCM_TX_READ`: CAN broadcast manager opcode `TX_READ`.
    CAN_BCM_TX_READ: i32 = 3;
    /// `CAN_BCM_TX_RESET_MULTI_IDX`: CAN broadcast manager flag `TX_RESET_MULTI_IDX`.
    CAN_BCM_TX_RESET_MULTI_IDX: i32 = 512;
    /// `CAN_BCM_TX_SEND`: CAN broadcast manager opcode `TX_SEND`.
    CAN_BCM_TX_SEND: i32 = 4;
    /// `CAN_BCM_TX_SETUP`: CAN broadcast manager opcode `TX_SETUP`.
    CAN_BCM_TX_SETUP: i32 = 1;
    /// `CAN_BCM_TX_STATUS`: CAN broadcast manager opcode `TX_STATUS`.
    CAN_BCM_TX_STATUS: i32 = 8;
    /// `INADDR_ALLHOSTS_GROUP`: `224.0.0.1`: the all-hosts multicast group.
    INADDR_ALLHOSTS_GROUP: u32 = 0xe0000001;
    /// `INADDR_MAX_LOCAL_GROUP`: `224.0.0.255`: the last local multicast group.
    INADDR_MAX_LOCAL_GROUP: u32 = 0xe00000ff;
    /// `INADDR_UNSPEC_GROUP`: `224.0.0.0`: the base of multicast groups.
    INADDR_UNSPEC_GROUP: u32 = 0xe0000000;
    /// `IPPORT_RESERVED`: ports below this one are reserved to privileged processes.
    IPPORT_RESERVED: i32 = 1024;
    /// `IPPORT_USERRESERVED`: ports from here on are for unprivileged servers (BSD convention).
    IPPORT_USERRESERVED: i32 = 5000;
    /// `IPV6_RTHDR_TYPE_0`: the type 0 routing header.
    IPV6_RTHDR_TYPE_0: i32 = 0;
    /// `IP_MAX_MEMBERSHIPS`: historical limit of multicast groups per socket.
    IP_MAX_MEMBERSHIPS: i32 = 20;
    /// `NI_MAXSERV`: the size of a buffer big enough for any service name `getnameinfo` gives.
    NI_MAXSERV: i32 = 32;
    /// `PACKET_FASTROUTE`: packet type: fast-routed (unused).
    PACKET_FASTROUTE: i32 = 6;
    /// `SOL_RDS`: option level of RDS sockets.
    SOL_RDS: i32 = 276;
    /// `SO_VM_SOCKETS_BUFFER_MAX_SIZE`: vsock option: the largest buffer size.
    SO_VM_SOCKETS_BUFFER_MAX_SIZE: i32 = 2;
    /// `SO_VM_SOCKETS_BUFFER_MIN_SIZE`: vsock option: the smallest buffer size.
    SO_VM_SOCKETS_BUFFER_MIN_SIZE: i32 = 1;
    /// `SO_VM_SOCKETS_BUFFER_SIZE`: vsock option: the buffer size.
    SO_VM_SOCKETS_BUFFER_SIZE: i32 = 0;
    /// `TIPC_ADDR_ID`: TIPC address type: a port id.
    TIPC_ADDR_ID: i32 = 3;
    /// `TIPC_ADDR_NAME`: TIPC address type: a service name.
    TIPC_ADDR_NAME: i32 = 2;
    /// `TIPC_ADDR_NAMESEQ`: TIPC address type: a service range.
    TIPC_ADDR_NAMESEQ: i32 = 1;
    /// `TIPC_CFG_SRV`: TIPC: the configuration service type.
    TIPC_CFG_SRV: i32 = 0;
    /// `TIPC_CLUSTER_SCOPE`: TIPC scope: the cluster.
    TIPC_CLUSTER_SCOPE: i32 = 2;
    /// `TIPC_CONN_TIMEOUT`: TIPC option: the connect timeout (ms).
    TIPC_CONN_TIMEOUT: i32 = 130;
    /// `TIPC_CRITICAL_IMPORTANCE`: TIPC importance: critical.
    TIPC_CRITICAL_IMPORTANCE: i32 = 3;
    /// `TIPC_DEST_DROPPABLE`: TIPC option: drop undeliverable messages.
    TIPC_DEST_DROPPABLE: i32 = 129;
    /// `TIPC_HIGH_IMPORTANCE`: TIPC importance: high.
    TIPC_HIGH_IMPORTANCE: i32 = 2;
    /// `TIPC_IMPORTANCE`: TIPC option: message importance.
    TIPC_IMPORTANCE: i32 = 127;
    /// `TIPC_LOW_IMPORTANCE`: TIPC importance: low.
    TIPC_LOW_IMPORTANCE: i32 = 0;
    /// `TIPC_MEDIUM_IMPORTANCE`: TIPC importance: medium.
    TIPC_MEDIUM_IMPORTANCE: i32 = 1;
    /// `TIPC_NODE_SCOPE`: TIPC scope: this node.
    TIPC_NODE_SCOPE: i32 = 3;
    /// `TIPC_PUBLISHED`: TIPC topology event: a service was published.
    TIPC_PUBLISHED: i32 = 1;
    /// `TIPC_SRC_DROPPABLE`: TIPC option: drop messages on congestion.
    TIPC_SRC_DROPPABLE: i32 = 128;
    /// `TIPC_SUBSCR_TIMEOUT`: TIPC topology event: a subscription timed out.
    TIPC_SUBSCR_TIMEOUT: i32 = 3;
    /// `TIPC_SUB_CANCEL`: TIPC subscription flag: cancel.
    TIPC_SUB_CANCEL: i32 = 4;
    /// `TIPC_SUB_PORTS`: TIPC subscription flag: each port.
    TIPC_SUB_PORTS: i32 = 1;
    /// `TIPC_SUB_SERVICE`: TIPC subscription flag: the service.
    TIPC_SUB_SERVICE: i32 = 2;
    /// `TIPC_TOP_SRV`: TIPC: the topology service type.
    TIPC_TOP_SRV: i32 = 1;
    /// `TIPC_WAIT_FOREVER`: TIPC: no timeout for a subscription.
    TIPC_WAIT_FOREVER: i32 = -1;
    /// `TIPC_WITHDRAWN`: TIPC topology event: a service was withdrawn.
    TIPC_WITHDRAWN: i32 = 2;
    /// `TIPC_ZONE_SCOPE`: TIPC scope: the zone.
    TIPC_ZONE_SCOPE: i32 = 1;
    /// `UDPLITE_RECV_CSCOV`: UDP-Lite: least checksum coverage accepted.
    UDPLITE_RECV_CSCOV: i32 = 11;
    /// `UDPLITE_SEND_CSCOV`: UDP-Lite: checksum coverage of sent datagrams.
    UDPLITE_SEND_CSCOV: i32 = 10;
    /// `VM_SOCKETS_INVALID_VERSION`: vsock: the error value of the version `ioctl`.
    VM_SOCKETS_INVALID_VERSION: u32 = 0xffffffff;
}

// glibc's value (`<netdb.h>`, every architecture); musl and Bionic have no
// such error.
constants! {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn table_glibc;
    /// `EAI_ADDRFAMILY`: the host has no address of the family asked for.
    EAI_ADDRFAMILY: i32 = -9;
}

// Constants that newer Pythons add on Linux (3.12: the `TCP_*` and the
// `IP_*SOURCE*`; 3.13: `SO_BINDTOIFINDEX`; 3.14: `IP_RECVERR`, `IP_RECVTTL`,
// `IP_RECVORIGDSTADDR`), so that a comparison with them finds no name missing.
constants! {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn table_newer_python;
    /// `TCP_FASTOPEN_CONNECT`: connect with TCP Fast Open, data going with the SYN on the first send.
    TCP_FASTOPEN_CONNECT: i32 = libc::TCP_FASTOPEN_CONNECT;
    /// `TCP_FASTOPEN_KEY`: the key of Fast Open cookies.
    TCP_FASTOPEN_KEY: i32 = libc::TCP_FASTOPEN_KEY;
    /// `TCP_FASTOPEN_NO_COOKIE`: Fast Open without a cookie.
    TCP_FASTOPEN_NO_COOKIE: i32 = libc::TCP_FASTOPEN_NO_COOKIE;
    /// `TCP_INQ`: receive the bytes left to read as control data.
    TCP_INQ: i32 = libc::TCP_INQ;
    /// `TCP_MD5SIG_EXT`: TCP MD5 signatures, with prefix and interface.
    TCP_MD5SIG_EXT: i32 = libc::TCP_MD5SIG_EXT;
    /// `TCP_ULP`: attach an upper layer protocol (`"tls"`).
    TCP_ULP: i32 = libc::TCP_ULP;
    /// `TCP_ZEROCOPY_RECEIVE`: map received data instead of copying it.
    TCP_ZEROCOPY_RECEIVE: i32 = libc::TCP_ZEROCOPY_RECEIVE;
    /// `IP_ADD_SOURCE_MEMBERSHIP`: join a multicast group from one source.
    IP_ADD_SOURCE_MEMBERSHIP: i32 = libc::IP_ADD_SOURCE_MEMBERSHIP;
    /// `IP_DROP_SOURCE_MEMBERSHIP`: leave a multicast group from one source.
    IP_DROP_SOURCE_MEMBERSHIP: i32 = libc::IP_DROP_SOURCE_MEMBERSHIP;
    /// `IP_BLOCK_SOURCE`: stop receiving a multicast group from one source.
    IP_BLOCK_SOURCE: i32 = libc::IP_BLOCK_SOURCE;
    /// `IP_UNBLOCK_SOURCE`: receive a blocked multicast source again.
    IP_UNBLOCK_SOURCE: i32 = libc::IP_UNBLOCK_SOURCE;
    /// `IP_RECVERR`: queue extended errors, read with `MSG_ERRQUEUE`.
    IP_RECVERR: i32 = libc::IP_RECVERR;
    /// `IP_RECVTTL`: receive the TTL as control data.
    IP_RECVTTL: i32 = libc::IP_RECVTTL;
    /// `IP_RECVORIGDSTADDR`: receive the original destination address as control data.
    IP_RECVORIGDSTADDR: i32 = libc::IP_RECVORIGDSTADDR;
    /// `SO_BINDTOIFINDEX`: bind to a network interface by index.
    SO_BINDTOIFINDEX: i32 = libc::SO_BINDTOIFINDEX;
}

// libc leaves TCP_TX_DELAY out; <linux/tcp.h>'s value, the same on every
// architecture (Python 3.12 has it).
constants! {
    #[cfg(target_os = "linux")]
    fn table_newer_python_literal;
    /// `TCP_TX_DELAY`: delay sending (microseconds), to test.
    TCP_TX_DELAY: i32 = 37;
}

/// Every constant of the crate root that Python's `socket` module has, as
/// `(name, value)`: what the tests compare with Python's own list.
///
/// ```
/// let all = pysocket::__all_constants();
/// assert!(all.contains(&("AF_INET", i64::from(libc::AF_INET))));
/// ```
#[doc(hidden)]
pub fn __all_constants() -> Vec<(&'static str, i64)> {
    let mut all = Vec::new();
    table_by_hand(&mut all);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        table_by_hand_linux(&mut all);
        table_linux_android(&mut all);
        table_newer_python(&mut all);
    }
    #[cfg(target_os = "linux")]
    {
        table_linux(&mut all);
        table_linux_literal(&mut all);
        table_newer_python_literal(&mut all);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    table_glibc(&mut all);
    all
}
