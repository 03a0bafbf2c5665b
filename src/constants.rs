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
            pub const fn from_raw(raw: i32) -> $name {
                $name(raw)
            }

            /// The raw OS value.
            pub const fn as_raw(self) -> i32 {
                self.0
            }

            /// The Python name of this value (`"AF_INET"`), if it has one here.
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

/// `AF_UNSPEC`.
pub const AF_UNSPEC: Family = Family::UNSPEC;
/// `AF_INET`: IPv4.
pub const AF_INET: Family = Family::INET;
/// `AF_INET6`: IPv6.
pub const AF_INET6: Family = Family::INET6;
/// `AF_UNIX`: Unix domain sockets.
pub const AF_UNIX: Family = Family::UNIX;

/// `SOCK_STREAM`.
pub const SOCK_STREAM: SockType = SockType::STREAM;
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: SockType = SockType::DGRAM;
/// `SOCK_RAW`.
pub const SOCK_RAW: SockType = SockType::RAW;
/// `SOCK_SEQPACKET`.
pub const SOCK_SEQPACKET: SockType = SockType::SEQPACKET;

/// `IPPROTO_IP`: the option level of IPv4 options.
pub const IPPROTO_IP: i32 = libc::IPPROTO_IP;
/// `IPPROTO_IPV6`: the option level of IPv6 options.
pub const IPPROTO_IPV6: i32 = libc::IPPROTO_IPV6;
/// `IPPROTO_TCP`: the TCP protocol number and option level.
pub const IPPROTO_TCP: i32 = libc::IPPROTO_TCP;
/// `IPPROTO_UDP`: the UDP protocol number and option level.
pub const IPPROTO_UDP: i32 = libc::IPPROTO_UDP;
/// `IPPROTO_ICMP`.
pub const IPPROTO_ICMP: i32 = libc::IPPROTO_ICMP;
/// `IPPROTO_ICMPV6`.
pub const IPPROTO_ICMPV6: i32 = libc::IPPROTO_ICMPV6;

/// `SOL_SOCKET`: the option level of socket-wide options.
pub const SOL_SOCKET: i32 = libc::SOL_SOCKET;
/// `SO_REUSEADDR`.
pub const SO_REUSEADDR: i32 = libc::SO_REUSEADDR;
/// `SO_REUSEPORT`.
pub const SO_REUSEPORT: i32 = libc::SO_REUSEPORT;
/// `SO_KEEPALIVE`.
pub const SO_KEEPALIVE: i32 = libc::SO_KEEPALIVE;
/// `SO_SNDBUF`.
pub const SO_SNDBUF: i32 = libc::SO_SNDBUF;
/// `SO_RCVBUF`.
pub const SO_RCVBUF: i32 = libc::SO_RCVBUF;
/// `SO_LINGER`: takes the bytes of a `struct linger` (8 bytes on Linux).
pub const SO_LINGER: i32 = libc::SO_LINGER;
/// `SO_BROADCAST`.
pub const SO_BROADCAST: i32 = libc::SO_BROADCAST;
/// `SO_ERROR`: the pending error, cleared on read.
pub const SO_ERROR: i32 = libc::SO_ERROR;
/// `SO_TYPE`: the socket type (read-only).
pub const SO_TYPE: i32 = libc::SO_TYPE;
/// `SO_OOBINLINE`.
pub const SO_OOBINLINE: i32 = libc::SO_OOBINLINE;
/// `SO_RCVLOWAT`.
pub const SO_RCVLOWAT: i32 = libc::SO_RCVLOWAT;
/// `SO_SNDLOWAT`.
pub const SO_SNDLOWAT: i32 = libc::SO_SNDLOWAT;
/// `SO_ACCEPTCONN`: whether the socket listens (read-only).
pub const SO_ACCEPTCONN: i32 = libc::SO_ACCEPTCONN;
/// `TCP_NODELAY`: disable Nagle's algorithm.
pub const TCP_NODELAY: i32 = libc::TCP_NODELAY;
/// `TCP_MAXSEG`.
pub const TCP_MAXSEG: i32 = libc::TCP_MAXSEG;
/// `IP_TTL`.
pub const IP_TTL: i32 = libc::IP_TTL;
/// `IP_TOS`.
pub const IP_TOS: i32 = libc::IP_TOS;
/// `IP_MULTICAST_TTL`.
pub const IP_MULTICAST_TTL: i32 = libc::IP_MULTICAST_TTL;
/// `IP_MULTICAST_LOOP`.
pub const IP_MULTICAST_LOOP: i32 = libc::IP_MULTICAST_LOOP;
/// `IPV6_V6ONLY`: an `AF_INET6` socket that refuses IPv4-mapped peers.
pub const IPV6_V6ONLY: i32 = libc::IPV6_V6ONLY;
/// `IPV6_UNICAST_HOPS`.
pub const IPV6_UNICAST_HOPS: i32 = libc::IPV6_UNICAST_HOPS;

/// `SHUT_RD`: no more receives.
pub const SHUT_RD: Shutdown = Shutdown::Read;
/// `SHUT_WR`: no more sends (sends a FIN on TCP).
pub const SHUT_WR: Shutdown = Shutdown::Write;
/// `SHUT_RDWR`: both.
pub const SHUT_RDWR: Shutdown = Shutdown::Both;

/// `MSG_PEEK`: look at the data without taking it.
pub const MSG_PEEK: MsgFlags = MsgFlags::PEEK;
/// `MSG_OOB`: out-of-band data.
pub const MSG_OOB: MsgFlags = MsgFlags::OOB;
/// `MSG_WAITALL`: wait for the whole buffer.
pub const MSG_WAITALL: MsgFlags = MsgFlags::WAITALL;
/// `MSG_DONTWAIT`: this call only is non-blocking.
pub const MSG_DONTWAIT: MsgFlags = MsgFlags::DONTWAIT;
/// `MSG_DONTROUTE`: bypass routing.
pub const MSG_DONTROUTE: MsgFlags = MsgFlags::DONTROUTE;
/// `MSG_TRUNC`.
pub const MSG_TRUNC: MsgFlags = MsgFlags::TRUNC;
/// `MSG_EOR`: end of record.
pub const MSG_EOR: MsgFlags = MsgFlags::EOR;

/// `SOMAXCONN`: the largest backlog `listen` takes.
pub const SOMAXCONN: i32 = libc::SOMAXCONN;
