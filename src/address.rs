//! Socket addresses, and what callers may pass as one ([`ToAddress`]),
//! checked against a socket's family as Python's `socket` module does it.
//! A host name is resolved by `resolve.rs`, which holds the impl for
//! `("host", port)`; this module does not call the resolver itself.

use std::ffi::OsStr;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use socket2::SockAddr;

use crate::constants::Family;
use crate::error::{Error, Result};
use crate::sys;

#[cfg(any(target_os = "linux", target_os = "android"))]
mod alg;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod can;
mod families;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod interface;
mod packet;

#[cfg(any(target_os = "linux", target_os = "android"))]
pub use alg::AlgAddress;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use can::CanAddress;
pub use packet::PacketAddress;

/// The address of an `AF_UNIX` socket.
///
/// ```
/// use pysocket::UnixAddress;
/// let path = UnixAddress::from("/tmp/app.sock");
/// assert_eq!(path.to_string(), "/tmp/app.sock");
/// let name = UnixAddress::from("\0app"); // Linux's abstract namespace
/// assert_eq!(name, UnixAddress::Abstract(b"app".to_vec()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixAddress {
    /// A file system path.
    Path(PathBuf),
    /// A name in Linux's abstract namespace (given without the leading NUL).
    Abstract(Vec<u8>),
    /// No name: an unbound socket, or a peer that never bound (Python shows `''`).
    /// Binding to it asks Linux to choose an abstract name ("autobind").
    Unnamed,
}

impl UnixAddress {
    /// The file system path, if this is one (`None` for abstract and unnamed addresses).
    ///
    /// ```
    /// use std::path::Path;
    /// use pysocket::UnixAddress;
    /// assert_eq!(UnixAddress::from("/tmp/app.sock").as_path(), Some(Path::new("/tmp/app.sock")));
    /// assert_eq!(UnixAddress::from("\0app").as_path(), None);
    /// ```
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            UnixAddress::Path(path) => Some(path),
            _ => None,
        }
    }

    fn from_bytes(bytes: &[u8]) -> UnixAddress {
        match bytes.split_first() {
            None => UnixAddress::Unnamed,
            Some((0, name)) => UnixAddress::Abstract(name.to_vec()),
            Some(_) => UnixAddress::Path(PathBuf::from(OsStr::from_bytes(bytes))),
        }
    }

    fn to_sockaddr(&self) -> Result<SockAddr> {
        let bytes: Vec<u8> = match self {
            UnixAddress::Path(path) => {
                let bytes = path.as_os_str().as_bytes();
                if bytes.contains(&0) {
                    return Err(Error::invalid(format!(
                        "AF_UNIX path {path:?} contains a NUL byte"
                    )));
                }
                if bytes.len() > sys::unix_path_limit() {
                    return Err(Error::invalid(format!(
                        "AF_UNIX path too long: {path:?} is {} bytes, the limit is {}",
                        bytes.len(),
                        sys::unix_path_limit()
                    )));
                }
                bytes.to_vec()
            }
            UnixAddress::Abstract(name) => {
                if name.len() > sys::unix_path_limit() {
                    return Err(Error::invalid(format!(
                        "AF_UNIX abstract name too long: {} bytes, the limit is {}",
                        name.len(),
                        sys::unix_path_limit()
                    )));
                }
                let mut bytes = Vec::with_capacity(name.len() + 1);
                bytes.push(0);
                bytes.extend_from_slice(name);
                bytes
            }
            UnixAddress::Unnamed => Vec::new(),
        };
        SockAddr::unix(OsStr::from_bytes(&bytes))
            .map_err(|err| Error::invalid(format!("AF_UNIX address {self}: {err}")))
    }
}

impl fmt::Display for UnixAddress {
    /// The path; an abstract name as `@name` (as `ss` shows it); nothing when unnamed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnixAddress::Path(path) => write!(f, "{}", path.display()),
            UnixAddress::Abstract(name) => write!(f, "@{}", String::from_utf8_lossy(name)),
            UnixAddress::Unnamed => Ok(()),
        }
    }
}

impl From<&str> for UnixAddress {
    /// A path, or an abstract name when it starts with `"\0"`.
    fn from(text: &str) -> UnixAddress {
        UnixAddress::from_bytes(text.as_bytes())
    }
}

impl From<&Path> for UnixAddress {
    /// A path, or an abstract name when it starts with a NUL byte.
    fn from(path: &Path) -> UnixAddress {
        UnixAddress::from_bytes(path.as_os_str().as_bytes())
    }
}

/// A socket address: what `getsockname`, `getpeername`, `accept` and
/// `recvfrom` return, and one of the things [`ToAddress`] accepts.
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// use pysocket::Address;
///
/// let addr = Address::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 8001)));
/// assert_eq!(addr.to_string(), "127.0.0.1:8001");
/// assert_eq!(addr.port(), Some(8001));
/// assert_eq!(addr.ip(), Some(Ipv4Addr::LOCALHOST.into()));
/// ```
///
/// # Every family
///
/// The families beyond IP and Unix are read as CPython's `makesockaddr` reads
/// them: `AF_NETLINK` as [`Netlink`](Address::Netlink), `AF_PACKET` as
/// [`Packet`](Address::Packet) (the interface by name, the protocol in host
/// byte order, the hardware address cut to its length), `AF_VSOCK` as
/// [`Vsock`](Address::Vsock), and any other family as
/// [`Other`](Address::Other) with the raw bytes, never an error: a receive
/// that took a datagram always returns it. The netlink, packet and vsock
/// addresses are tested against Linux itself (a netlink request and its reply,
/// a packet socket on `lo`, a vsock bind; a vsock connection only where the
/// kernel has the local transport). `AF_CAN` and `AF_ALG` addresses travel as
/// `Other` with the kernel's bytes, written and read by [`CanAddress`] and
/// [`AlgAddress`]; the test kernel refuses both families, so their layouts
/// are tested byte for byte against libc's structs, not over sockets.
///
/// ```
/// use pysocket::{Address, Family, Protocol, Socket, SOCK_RAW};
/// # if unsafe { libc::geteuid() } != 0 { return Ok(()); }
/// let route = Socket::with_protocol(
///     Family::from(libc::AF_NETLINK),
///     SOCK_RAW,
///     Protocol::from(libc::NETLINK_ROUTE),
/// )?;
/// route.bind((0u32, 0u32))?; // (pid, groups): the kernel picks the pid
/// let Address::Netlink { pid, groups } = route.getsockname()? else { unreachable!() };
/// assert_ne!(pid, 0);
/// assert_eq!(groups, 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// An `AF_INET` address: Python's `(host, port)`.
    Inet(SocketAddrV4),
    /// An `AF_INET6` address: Python's `(host, port, flowinfo, scope_id)`.
    Inet6(SocketAddrV6),
    /// An `AF_UNIX` address: Python's path string or bytes.
    Unix(UnixAddress),
    /// An `AF_NETLINK` address: Python's `(pid, groups)`. The kernel is
    /// `pid` 0; `groups` is the bit mask of multicast groups.
    Netlink {
        /// The port id (`nl_pid`): 0 for the kernel, else a socket's.
        pid: u32,
        /// The multicast groups (`nl_groups`), a bit mask.
        groups: u32,
    },
    /// An `AF_PACKET` address: Python's `(ifname, proto, pkttype, hatype, addr)`.
    Packet(PacketAddress),
    /// An `AF_VSOCK` address (virtual machines and their host): Python's
    /// `(cid, port)`.
    Vsock {
        /// The context id (`svm_cid`): `VMADDR_CID_ANY` (`u32::MAX`) to bind
        /// to any, 1 for the local host, 2 for the host.
        cid: u32,
        /// The port (`svm_port`): `VMADDR_PORT_ANY` (`u32::MAX`) to let the
        /// kernel choose.
        port: u32,
    },
    /// An address of a family the crate does not decode, as Python gives it:
    /// the family and the raw bytes of the `sockaddr` after its family field
    /// (host byte order, as the kernel wrote them). A receive never fails
    /// over its sender's address: it gives this instead.
    Other {
        /// The address family (`sa_family`).
        family: Family,
        /// The bytes after the family field.
        data: Vec<u8>,
    },
}

impl Address {
    /// The IP address, for `Inet` and `Inet6` (`None` for the other families).
    ///
    /// ```
    /// use std::net::{Ipv6Addr, SocketAddr};
    /// use pysocket::{Address, UnixAddress};
    /// let addr = Address::from(SocketAddr::from((Ipv6Addr::LOCALHOST, 8001)));
    /// assert_eq!(addr.ip(), Some(Ipv6Addr::LOCALHOST.into()));
    /// assert_eq!(Address::from(UnixAddress::from("/tmp/app.sock")).ip(), None);
    /// ```
    pub fn ip(&self) -> Option<IpAddr> {
        self.as_socket_addr().map(|addr| addr.ip())
    }

    /// The port, for `Inet` and `Inet6` (`None` for the other families).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    /// let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    /// sock.bind(("127.0.0.1", 0))?;
    /// let port = sock.getsockname()?.port().unwrap();
    /// assert_ne!(port, 0); // the port the OS chose
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn port(&self) -> Option<u16> {
        self.as_socket_addr().map(|addr| addr.port())
    }

    /// The std address, for `Inet` and `Inet6` (`None` for the other families).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use pysocket::Address;
    /// let std_addr: SocketAddr = "127.0.0.1:8001".parse().unwrap();
    /// assert_eq!(Address::from(std_addr).as_socket_addr(), Some(std_addr));
    /// ```
    pub fn as_socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Address::Inet(addr) => Some(SocketAddr::V4(*addr)),
            Address::Inet6(addr) => Some(SocketAddr::V6(*addr)),
            _ => None,
        }
    }

    /// The Unix address, for `Unix` (`None` for the IP families).
    ///
    /// ```
    /// use pysocket::{socketpair, UnixAddress};
    /// let (a, _b) = socketpair()?;
    /// assert_eq!(a.getsockname()?.as_unix(), Some(&UnixAddress::Unnamed));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn as_unix(&self) -> Option<&UnixAddress> {
        match self {
            Address::Unix(addr) => Some(addr),
            _ => None,
        }
    }

    /// The family this address belongs to (`AF_INET`, `AF_UNIX`, `AF_NETLINK`, ...).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use pysocket::{Address, UnixAddress, AF_INET6, AF_UNIX};
    /// let v6: SocketAddr = "[::1]:8001".parse().unwrap();
    /// assert_eq!(Address::from(v6).family(), AF_INET6);
    /// assert_eq!(Address::from(UnixAddress::from("/tmp/app.sock")).family(), AF_UNIX);
    /// ```
    pub fn family(&self) -> Family {
        match self {
            Address::Inet(_) => Family::INET,
            Address::Inet6(_) => Family::INET6,
            Address::Unix(_) => Family::UNIX,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Address::Netlink { .. } => Family::from(libc::AF_NETLINK),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Address::Packet(_) => Family::from(libc::AF_PACKET),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Address::Vsock { .. } => Family::from(libc::AF_VSOCK),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Address::Netlink { .. } | Address::Packet(_) | Address::Vsock { .. } => Family::UNSPEC,
            Address::Other { family, .. } => *family,
        }
    }

    /// Reads the raw bytes of a `sockaddr`, family field first, as the
    /// kernel lays them out: the decoded address, [`Address::Other`] for a
    /// family not decoded, or an error naming what is missing when the bytes
    /// are too short for their family (receives never fail this way: they
    /// keep such bytes as `Other`). For tests and other families' helpers.
    ///
    /// ```
    /// use pysocket::Address;
    /// let mut raw = (libc::AF_NETLINK as u16).to_ne_bytes().to_vec();
    /// raw.extend_from_slice(&[0, 0]); // nl_pad
    /// raw.extend_from_slice(&42u32.to_ne_bytes()); // nl_pid
    /// raw.extend_from_slice(&1u32.to_ne_bytes()); // nl_groups
    /// assert_eq!(Address::decode_raw(&raw)?, Address::Netlink { pid: 42, groups: 1 });
    /// assert!(Address::decode_raw(&raw[..6]).is_err()); // truncated
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(hidden)]
    pub fn decode_raw(bytes: &[u8]) -> Result<Address> {
        families::decode(bytes)
    }

    /// The raw bytes of the `sockaddr` this address is, family field first:
    /// what `bind` and `sendto` give the kernel. For tests and other
    /// families' helpers.
    ///
    /// ```
    /// use pysocket::Address;
    /// let addr = Address::Vsock { cid: 2, port: 1234 };
    /// let raw = addr.encode_raw()?;
    /// assert_eq!(raw.len(), 16); // sizeof(struct sockaddr_vm)
    /// assert_eq!(Address::decode_raw(&raw)?, addr);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(hidden)]
    pub fn encode_raw(&self) -> Result<Vec<u8>> {
        Ok(sys::sockaddr::bytes(&self.to_sockaddr()?).to_vec())
    }

    /// The OS form of the address.
    pub(crate) fn to_sockaddr(&self) -> Result<SockAddr> {
        match self {
            Address::Inet(addr) => Ok(SockAddr::from(*addr)),
            Address::Inet6(addr) => {
                ip_for_family(SocketAddr::V6(*addr), Family::INET6)?;
                Ok(SockAddr::from(*addr))
            }
            Address::Unix(addr) => addr.to_sockaddr(),
            other => families::encode(other),
        }
    }

    /// Reads an address the OS returned. Never fails: an address of a family
    /// the crate does not decode, or one too short for its family, is
    /// [`Address::Other`] with its bytes, so that no receive takes data and
    /// then loses it over its sender.
    pub(crate) fn from_sockaddr(addr: &SockAddr) -> Address {
        if let Some(v4) = addr.as_socket_ipv4() {
            return Address::Inet(v4);
        }
        if let Some(v6) = addr.as_socket_ipv6() {
            return Address::Inet6(v6);
        }
        if addr.is_unix() {
            if addr.is_unnamed() {
                return Address::Unix(UnixAddress::Unnamed);
            }
            if let Some(name) = addr.as_abstract_namespace() {
                return Address::Unix(UnixAddress::Abstract(name.to_vec()));
            }
            if let Some(path) = addr.as_pathname() {
                // Some systems report the whole `sun_path`, NUL padding included.
                let bytes = path.as_os_str().as_bytes();
                let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
                return Address::Unix(UnixAddress::from_bytes(&bytes[..end]));
            }
            return Address::Unix(UnixAddress::Unnamed);
        }
        let bytes = sys::sockaddr::bytes(addr);
        families::decode(bytes).unwrap_or_else(|_| families::other(bytes))
    }
}

impl fmt::Display for Address {
    /// Rust's notation for IP (`127.0.0.1:8001`, `[::1]:8001`), the Unix
    /// path, and Python's tuple for the other families: `(0, 0)` for
    /// netlink's `(pid, groups)`, `('lo', 2048, 0, 772, b'...')` for a packet
    /// address, `(16, b'...')` (family, raw bytes) for `Other`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Inet(addr) => addr.fmt(f),
            Address::Inet6(addr) => addr.fmt(f),
            Address::Unix(addr) => addr.fmt(f),
            other => families::display(other, f),
        }
    }
}

impl From<SocketAddr> for Address {
    fn from(addr: SocketAddr) -> Address {
        match addr {
            SocketAddr::V4(addr) => Address::Inet(addr),
            SocketAddr::V6(addr) => Address::Inet6(addr),
        }
    }
}

impl From<SocketAddrV4> for Address {
    fn from(addr: SocketAddrV4) -> Address {
        Address::Inet(addr)
    }
}

impl From<SocketAddrV6> for Address {
    fn from(addr: SocketAddrV6) -> Address {
        Address::Inet6(addr)
    }
}

impl From<PacketAddress> for Address {
    fn from(addr: PacketAddress) -> Address {
        Address::Packet(addr)
    }
}

impl From<UnixAddress> for Address {
    fn from(addr: UnixAddress) -> Address {
        Address::Unix(addr)
    }
}

/// What `bind`, `connect`, `connect_ex`, `sendto` and the module functions
/// accept as an address, interpreted against the socket's family as Python
/// does:
///
/// | value | `AF_INET` / `AF_INET6` | `AF_UNIX` |
/// |-------|------------------------|-----------|
/// | `("host", port)`, `(String, port)` | `""` is the wildcard, `"<broadcast>"` is 255.255.255.255, a literal is used as is, any other name is resolved for the family | error |
/// | `(IpAddr, port)`, `SocketAddr`, `SocketAddrV4`, `SocketAddrV6` | used when its version fits the family | error |
/// | `"host:port"` (`&str`, `String`) | parsed, IPv6 in brackets (`"[::1]:80"`) | a path |
/// | `&Path`, `PathBuf` | error | a path; starting with `\0`, a Linux abstract name |
/// | [`Address`], [`UnixAddress`] | when its family fits | when its family fits |
///
/// and for the other families: `(u32, u32)` is `(pid, groups)` on an
/// `AF_NETLINK` socket and `(cid, port)` on an `AF_VSOCK` one (an error on any
/// other); a [`PacketAddress`] goes to an `AF_PACKET` socket; an
/// [`Address::Other`] to a socket of its family, its bytes as they are.
///
/// A mismatch is [`Error::InvalidArgument`] naming the problem; a name that does
/// not resolve is [`Error::Resolve`].
///
/// ```
/// use pysocket::{ToAddress, Address, AF_INET, AF_INET6, AF_UNIX, Error};
///
/// let addr = ("127.0.0.1", 8001).to_address(AF_INET)?;
/// assert_eq!(addr.to_string(), "127.0.0.1:8001");
/// assert_eq!("[::1]:80".to_address(AF_INET6)?.to_string(), "[::1]:80");
/// assert_eq!(("", 80).to_address(AF_INET)?.to_string(), "0.0.0.0:80");
/// assert!(matches!(("::1", 80).to_address(AF_INET), Err(Error::InvalidArgument(_))));
/// assert!(matches!("localhost:http".to_address(AF_INET), Err(Error::InvalidArgument(_))));
/// assert!(matches!("/tmp/x.sock".to_address(AF_UNIX)?, Address::Unix(_)));
/// # Ok::<(), Error>(())
/// ```
pub trait ToAddress {
    /// The address for a socket of `family`: the first one a name resolves to.
    fn to_address(&self, family: Family) -> Result<Address>;

    /// Every address for a socket of `family`, in the resolver's order (what
    /// `create_connection` tries one after another). One address unless a
    /// name is resolved.
    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        self.to_address(family).map(|addr| vec![addr])
    }

    /// How error messages name this address, as given and before any
    /// resolution (`localhost:8001`). `None` by default: messages then name
    /// the addresses it resolved to.
    fn describe(&self) -> Option<String> {
        None
    }

    /// The OS form of [`to_address`](ToAddress::to_address)'s answer, which
    /// the socket calls pass to the kernel. The default builds the
    /// [`Address`] first; an address that already holds an IP address skips
    /// that step (a `sendto` per datagram pays for it).
    #[doc(hidden)]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        self.to_address(family)?.to_sockaddr()
    }
}

impl<T: ToAddress + ?Sized> ToAddress for &T {
    fn to_address(&self, family: Family) -> Result<Address> {
        (**self).to_address(family)
    }

    #[inline]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        (**self).to_sockaddr_for(family)
    }

    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        (**self).to_addresses(family)
    }

    fn describe(&self) -> Option<String> {
        (**self).describe()
    }
}

impl ToAddress for Address {
    fn to_address(&self, family: Family) -> Result<Address> {
        match self {
            Address::Inet(addr) => ip_for_family(SocketAddr::V4(*addr), family),
            Address::Inet6(addr) => ip_for_family(SocketAddr::V6(*addr), family),
            Address::Unix(addr) => addr.to_address(family),
            other => families::for_family(other, family),
        }
    }

    #[inline]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        match (self, family) {
            (Address::Inet(addr), Family::INET | Family::UNSPEC) => Ok(SockAddr::from(*addr)),
            (Address::Inet6(addr), Family::INET6 | Family::UNSPEC)
                if addr.flowinfo() <= MAX_FLOWINFO =>
            {
                Ok(SockAddr::from(*addr))
            }
            // A mismatch (with its error) or a Unix address.
            _ => self.to_address(family)?.to_sockaddr(),
        }
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl ToAddress for UnixAddress {
    fn to_address(&self, family: Family) -> Result<Address> {
        if family != Family::UNIX {
            return Err(Error::invalid(format!(
                "an {family} socket takes a host and port, not the AF_UNIX address {self:?}"
            )));
        }
        Ok(Address::Unix(self.clone()))
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl ToAddress for SocketAddr {
    fn to_address(&self, family: Family) -> Result<Address> {
        ip_for_family(*self, family)
    }

    #[inline]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        Address::from(*self).to_sockaddr_for(family)
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl ToAddress for SocketAddrV4 {
    fn to_address(&self, family: Family) -> Result<Address> {
        ip_for_family(SocketAddr::V4(*self), family)
    }

    #[inline]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        Address::Inet(*self).to_sockaddr_for(family)
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl ToAddress for SocketAddrV6 {
    fn to_address(&self, family: Family) -> Result<Address> {
        ip_for_family(SocketAddr::V6(*self), family)
    }

    #[inline]
    fn to_sockaddr_for(&self, family: Family) -> Result<SockAddr> {
        Address::Inet6(*self).to_sockaddr_for(family)
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

macro_rules! ip_tuple {
    ($($ip:ty),*) => {$(
        impl ToAddress for ($ip, u16) {
            fn to_address(&self, family: Family) -> Result<Address> {
                ip_for_family(SocketAddr::new(self.0.into(), self.1), family)
            }

            fn describe(&self) -> Option<String> {
                Some(SocketAddr::new(self.0.into(), self.1).to_string())
            }
        }
    )*};
}
ip_tuple!(IpAddr, Ipv4Addr, Ipv6Addr);

// `("host", port)` is resolved: its impl is with the resolver, in `resolve.rs`.

impl ToAddress for (String, u16) {
    fn to_address(&self, family: Family) -> Result<Address> {
        (self.0.as_str(), self.1).to_address(family)
    }

    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        (self.0.as_str(), self.1).to_addresses(family)
    }

    fn describe(&self) -> Option<String> {
        Some(join_host_port(&self.0, self.1))
    }
}

impl ToAddress for str {
    fn to_address(&self, family: Family) -> Result<Address> {
        match family {
            Family::UNIX => UnixAddress::from(self).to_address(family),
            _ => {
                let (host, port) = split_host_port(self)?;
                (host, port).to_address(family)
            }
        }
    }

    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        match family {
            Family::UNIX => self.to_address(family).map(|addr| vec![addr]),
            _ => {
                let (host, port) = split_host_port(self)?;
                (host, port).to_addresses(family)
            }
        }
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_owned())
    }
}

impl ToAddress for String {
    fn to_address(&self, family: Family) -> Result<Address> {
        self.as_str().to_address(family)
    }

    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        self.as_str().to_addresses(family)
    }

    fn describe(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl ToAddress for Path {
    fn to_address(&self, family: Family) -> Result<Address> {
        if family != Family::UNIX {
            return Err(Error::invalid(format!(
                "an {family} socket takes a host and port, not the path {self:?}"
            )));
        }
        Ok(Address::Unix(UnixAddress::from(self)))
    }

    fn describe(&self) -> Option<String> {
        Some(self.display().to_string())
    }
}

impl ToAddress for PathBuf {
    fn to_address(&self, family: Family) -> Result<Address> {
        self.as_path().to_address(family)
    }

    fn describe(&self) -> Option<String> {
        self.as_path().describe()
    }
}

/// `host:port`, with brackets around an IPv6 literal (`[::1]:80`).
pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The largest IPv6 flow information: the flow label is 20 bits (Python's
/// `OverflowError: flowinfo must be 0-1048575`).
const MAX_FLOWINFO: u32 = 0xF_FFFF;

/// Checks that an IP address fits a socket of `family`.
pub(crate) fn ip_for_family(addr: SocketAddr, family: Family) -> Result<Address> {
    match (family, addr) {
        (Family::INET | Family::UNSPEC, SocketAddr::V4(v4)) => Ok(Address::Inet(v4)),
        (Family::INET6 | Family::UNSPEC, SocketAddr::V6(v6)) if v6.flowinfo() > MAX_FLOWINFO => {
            Err(Error::invalid(format!(
                "{addr}: flowinfo must be 0-{MAX_FLOWINFO} (a 20-bit flow label), not {}",
                v6.flowinfo()
            )))
        }
        (Family::INET6 | Family::UNSPEC, SocketAddr::V6(v6)) => Ok(Address::Inet6(v6)),
        (Family::INET, SocketAddr::V6(_)) => Err(Error::invalid(format!(
            "{addr} is an IPv6 address; the socket is AF_INET"
        ))),
        (Family::INET6, SocketAddr::V4(_)) => Err(Error::invalid(format!(
            "{addr} is an IPv4 address; the socket is AF_INET6"
        ))),
        (Family::UNIX, _) => Err(Error::invalid(format!(
            "an AF_UNIX socket takes a path, not the address {addr}"
        ))),
        (other, _) => Err(Error::invalid(format!(
            "an {other} socket does not take the IP address {addr}"
        ))),
    }
}

/// Splits `"host:port"` (`"[v6]:port"` for IPv6 literals).
pub(crate) fn split_host_port(text: &str) -> Result<(&str, u16)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, port) = rest
            .split_once("]:")
            .ok_or_else(|| Error::invalid(format!("{text:?} is not \"[host]:port\"")))?;
        (host, port)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or_else(|| {
            Error::invalid(format!(
                "{text:?} is not \"host:port\" (no ':' before a port)"
            ))
        })?;
        if host.contains(':') {
            // Without brackets the last ':' may belong to the address itself
            // ("::1"): suggest only a split that leaves a real IPv6 address.
            let example = if host.parse::<Ipv6Addr>().is_ok() {
                format!("[{host}]:{port}")
            } else if text.parse::<Ipv6Addr>().is_ok() {
                format!("[{text}]:port")
            } else {
                "[::1]:80".to_owned()
            };
            return Err(Error::invalid(format!(
                "{text:?}: an IPv6 address takes brackets, as in \"{example}\""
            )));
        }
        (host, port)
    };
    let port = port.parse::<u16>().map_err(|_| {
        Error::invalid(format!(
            "port {port:?} in {text:?} is not a number from 0 to 65535"
        ))
    })?;
    Ok((host, port))
}
