//! Address families, socket types, protocols and the Python-named constants.
//!
//! [`Family`], [`SockType`] and [`Protocol`] are small `Copy` newtypes over the
//! OS's `int` values, in the manner of socket2's `Domain`: the associated
//! constants name the common values and any other value the OS knows still
//! passes through unchanged.

use std::fmt;
use std::net::Shutdown;

use crate::flags::MsgFlags;

macro_rules! int_newtype {
    (
        $(#[$meta:meta])*
        $name:ident, unknown = $unknown:literal, { $( $(#[$cmeta:meta])* $cname:ident = $value:expr, $text:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i32);

        impl $name {
            $(
                $(#[$cmeta])*
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
                    $( $name::$cname => Some($text), )*
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
