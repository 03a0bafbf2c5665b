//! Name lookups, as Python's module functions: hosts and addresses
//! (`getaddrinfo`, `getnameinfo`, `gethostname`, `gethostby*`, `getfqdn`),
//! services and protocols (`getservby*`, `getprotobyname`), and network
//! interfaces (`if_*`); and the resolution of a `("host", port)` address
//! ([`ToAddress`]), with the errors of both resolvers (Python's `gaierror`
//! and `herror`).
//!
//! Every lookup calls the C library through `sys::netdb`, which copies
//! the answers out as bytes. Names become text here, with
//! [`String::from_utf8_lossy`]'s rules: a name that is not UTF-8 (a canonical
//! name, host or service from the hosts file or DNS, this machine's host
//! name) comes back with each invalid sequence replaced by U+FFFD, never as a
//! panic. (CPython decodes `getaddrinfo`'s canonical name and `getnameinfo`'s
//! names as strict UTF-8, raising `UnicodeDecodeError`, and the host name as
//! the file system encoding, with `surrogateescape`.)

use std::ffi::CString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::SockAddr;

use crate::address::{ip_for_family, join_host_port, Address, ToAddress};
use crate::constants::{Family, Protocol, SockType};
use crate::error::{Error, Resolver, Result};
use crate::sys;

/// One answer of [`getaddrinfo`]: Python's `(family, type, proto, canonname,
/// sockaddr)` tuple.
///
/// ```
/// use pysocket::{getaddrinfo, Address, AF_INET, SOCK_STREAM};
///
/// let answers = getaddrinfo("127.0.0.1", 80)?;
/// let stream = answers.iter().find(|info| info.kind == SOCK_STREAM).unwrap();
/// assert_eq!(stream.family, AF_INET);
/// assert_eq!(stream.address.to_string(), "127.0.0.1:80");
/// assert_eq!(stream.canonname, None); // only asked for with AddrInfoFlags::CANONNAME
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddrInfo {
    /// The address family (`AF_INET`, `AF_INET6`).
    pub family: Family,
    /// The socket type (`SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW`).
    pub kind: SockType,
    /// The protocol (`6` for TCP, `17` for UDP).
    pub proto: Protocol,
    /// The host's canonical name: in the first answer, when
    /// [`AddrInfoFlags::CANONNAME`] asked for it (Python gives `''` otherwise).
    /// A name that is not UTF-8 has each invalid sequence replaced by U+FFFD
    /// (where Python raises `UnicodeDecodeError`).
    pub canonname: Option<String>,
    /// The address to `connect` or `bind` to.
    pub address: Address,
}

bitflags::bitflags! {
    /// The flags of `getaddrinfo(3)` (Python's `AI_*` constants), prefix dropped.
    ///
    /// ```
    /// use pysocket::{getaddrinfo_with, AddrInfoFlags, AddrInfoHints, AF_INET, SOCK_STREAM};
    ///
    /// // Python: getaddrinfo(None, 8001, AF_INET, SOCK_STREAM, 0, AI_PASSIVE)
    /// let hints = AddrInfoHints {
    ///     family: AF_INET,
    ///     kind: SOCK_STREAM,
    ///     flags: AddrInfoFlags::PASSIVE,
    ///     ..AddrInfoHints::default()
    /// };
    /// let answers = getaddrinfo_with(None, Some("8001"), &hints)?;
    /// assert_eq!(answers[0].address.to_string(), "0.0.0.0:8001"); // the wildcard, to bind
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct AddrInfoFlags: i32 {
        /// `AI_PASSIVE`: with no host, the wildcard address (to bind) rather
        /// than the loopback address (to connect).
        const PASSIVE = libc::AI_PASSIVE;
        /// `AI_CANONNAME`: fill in [`AddrInfo::canonname`] of the first answer.
        const CANONNAME = libc::AI_CANONNAME;
        /// `AI_NUMERICHOST`: the host must be a numeric address; no lookup.
        const NUMERICHOST = libc::AI_NUMERICHOST;
        /// `AI_NUMERICSERV`: the service must be a port number; no lookup.
        const NUMERICSERV = libc::AI_NUMERICSERV;
        /// `AI_V4MAPPED`: for `AF_INET6` with no IPv6 answer, IPv4-mapped addresses.
        const V4MAPPED = libc::AI_V4MAPPED;
        /// `AI_ALL`: with `V4MAPPED`, IPv6 and IPv4-mapped answers both.
        const ALL = libc::AI_ALL;
        /// `AI_ADDRCONFIG`: only families the machine has an address of.
        const ADDRCONFIG = libc::AI_ADDRCONFIG;
    }
}

bitflags::bitflags! {
    /// The flags of `getnameinfo(3)` (Python's `NI_*` constants), prefix dropped.
    ///
    /// ```
    /// use pysocket::{getnameinfo, NameInfoFlags};
    ///
    /// let numeric = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
    /// let (host, port) = getnameinfo(("127.0.0.1", 80), numeric)?;
    /// assert_eq!((host.as_str(), port.as_str()), ("127.0.0.1", "80"));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct NameInfoFlags: i32 {
        /// `NI_NUMERICHOST`: the host as a numeric address, no lookup.
        const NUMERICHOST = libc::NI_NUMERICHOST;
        /// `NI_NUMERICSERV`: the service as a port number, no lookup.
        const NUMERICSERV = libc::NI_NUMERICSERV;
        /// `NI_NAMEREQD`: fail rather than give a numeric host.
        const NAMEREQD = libc::NI_NAMEREQD;
        /// `NI_NOFQDN`: only the host part of local names.
        const NOFQDN = libc::NI_NOFQDN;
        /// `NI_DGRAM`: the service is a datagram one (some ports differ for UDP).
        const DGRAM = libc::NI_DGRAM;
    }
}

/// What [`getaddrinfo_with`] asks for: Python's `family`, `type`, `proto` and
/// `flags` arguments. The default asks for everything (`0` in each).
///
/// ```
/// use pysocket::{AddrInfoHints, AF_UNSPEC};
/// let hints = AddrInfoHints::default();
/// assert_eq!(hints.family, AF_UNSPEC);
/// assert_eq!(hints.kind.as_raw(), 0);
/// assert!(hints.flags.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddrInfoHints {
    /// Only this family; `AF_UNSPEC` for any.
    pub family: Family,
    /// Only this socket type; `SockType::from(0)` for any.
    pub kind: SockType,
    /// Only this protocol; `Protocol::DEFAULT` for any.
    pub proto: Protocol,
    /// `AI_*` flags.
    pub flags: AddrInfoFlags,
}

impl Default for AddrInfoHints {
    fn default() -> AddrInfoHints {
        AddrInfoHints {
            family: Family::UNSPEC,
            kind: SockType::from_raw(0),
            proto: Protocol::DEFAULT,
            flags: AddrInfoFlags::empty(),
        }
    }
}

/// The addresses of a host and port: `getaddrinfo(3)`, Python's
/// `socket.getaddrinfo(host, port)`, every family, type and protocol, in the
/// resolver's order.
///
/// A host that does not resolve is [`Error::Resolve`] with the resolver's
/// code and message (Python's `gaierror`).
///
/// ```
/// use pysocket::{getaddrinfo, Error, SOCK_STREAM};
///
/// let answers = getaddrinfo("localhost", 8001)?;
/// assert!(answers.iter().any(|info| info.kind == SOCK_STREAM
///     && info.address.ip().is_some_and(|ip| ip.is_loopback())));
///
/// let err = getaddrinfo("no-such-host.invalid", 80).unwrap_err();
/// assert!(matches!(err, Error::Resolve { ref host, .. } if host == "no-such-host.invalid"));
/// # Ok::<(), Error>(())
/// ```
pub fn getaddrinfo(host: &str, port: u16) -> Result<Vec<AddrInfo>> {
    let service = port.to_string();
    lookup(Some(host), Some(&service), &AddrInfoHints::default(), host)
}

/// `getaddrinfo(3)` with every argument of Python's
/// `socket.getaddrinfo(host, port, family, type, proto, flags)`: `host` may
/// be `None` (the loopback address, or the wildcard with
/// [`AddrInfoFlags::PASSIVE`]) and `service` a port number or a service name
/// from the services database (`"http"`).
///
/// A failure is [`Error::Resolve`] whose `host` names what was looked up
/// (`host:service`).
///
/// ```
/// use pysocket::{getaddrinfo_with, AddrInfoFlags, AddrInfoHints, Error, AF_INET, SOCK_STREAM};
///
/// let hints = AddrInfoHints {
///     family: AF_INET,
///     kind: SOCK_STREAM,
///     flags: AddrInfoFlags::CANONNAME,
///     ..AddrInfoHints::default()
/// };
/// let answers = getaddrinfo_with(Some("127.0.0.1"), Some("http"), &hints)?;
/// assert_eq!(answers.len(), 1);
/// assert_eq!(answers[0].address.to_string(), "127.0.0.1:80");
/// assert_eq!(answers[0].proto.as_raw(), libc::IPPROTO_TCP);
/// assert_eq!(answers[0].canonname.as_deref(), Some("127.0.0.1"));
///
/// let err = getaddrinfo_with(Some("localhost"), Some("no-such-service"), &hints).unwrap_err();
/// assert!(err.to_string().contains("localhost:no-such-service"));
/// # Ok::<(), Error>(())
/// ```
#[doc(alias = "getaddrinfo")]
pub fn getaddrinfo_with(
    host: Option<&str>,
    service: Option<&str>,
    hints: &AddrInfoHints,
) -> Result<Vec<AddrInfo>> {
    let what = match (host, service) {
        (Some(host), Some(service)) if host.contains(':') => format!("[{host}]:{service}"),
        (Some(host), Some(service)) => format!("{host}:{service}"),
        (Some(host), None) => host.to_owned(),
        (None, Some(service)) => format!(":{service}"),
        (None, None) => {
            return Err(gaierror("", libc::EAI_NONAME));
        }
    };
    lookup(host, service, hints, &what)
}

/// `getaddrinfo(3)`; a failure names `what`.
fn lookup(
    host: Option<&str>,
    service: Option<&str>,
    hints: &AddrInfoHints,
    what: &str,
) -> Result<Vec<AddrInfo>> {
    let c_host = host.map(|host| no_nul("host", host)).transpose()?;
    let c_service = service
        .map(|service| no_nul("service", service))
        .transpose()?;
    let c_hints = sys::netdb::GaiHints {
        flags: hints.flags.bits(),
        family: hints.family.as_raw(),
        socktype: hints.kind.as_raw(),
        protocol: hints.proto.as_raw(),
    };
    let entries = sys::netdb::getaddrinfo(c_host.as_deref(), c_service.as_deref(), c_hints)
        .map_err(|err| resolve_error(what, &err))?;
    entries
        .into_iter()
        .map(|entry| {
            let address = Address::from(entry_socket_addr(&entry)?);
            Ok(AddrInfo {
                family: Family::from(entry.family),
                kind: SockType::from(entry.socktype),
                proto: Protocol::from(entry.protocol),
                canonname: entry.canonname.map(lossy_text),
                address,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Host names as addresses: what `ToAddress` does with `("host", port)`.
// ---------------------------------------------------------------------------

impl ToAddress for (&str, u16) {
    fn to_address(&self, family: Family) -> Result<Address> {
        let mut first = host_port(self.0, self.1, family, false)?;
        first.pop().ok_or_else(|| resolve_empty(self.0))
    }

    fn to_addresses(&self, family: Family) -> Result<Vec<Address>> {
        host_port(self.0, self.1, family, true)
    }

    fn describe(&self) -> Option<String> {
        Some(join_host_port(self.0, self.1))
    }
}

/// Python's `setipaddr`: a host string and port for a socket of `family`.
fn host_port(host: &str, port: u16, family: Family, all: bool) -> Result<Vec<Address>> {
    if !matches!(family, Family::INET | Family::INET6 | Family::UNSPEC) {
        let what = if family == Family::UNIX {
            "a path"
        } else {
            "an address of its own family"
        };
        return Err(Error::invalid(format!(
            "an {family} socket takes {what}, not the host and port ({host:?}, {port})"
        )));
    }
    let literal = match host {
        "" if family == Family::INET6 => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        "" => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        "<broadcast>" => Some(IpAddr::V4(Ipv4Addr::BROADCAST)),
        _ => host.parse::<IpAddr>().ok(),
    };
    if let Some(ip) = literal {
        return ip_for_family(SocketAddr::new(ip, port), family).map(|addr| vec![addr]);
    }
    let mut resolved = resolve(host, port, family)?;
    if !all {
        resolved.truncate(1);
    }
    Ok(resolved)
}

/// Resolves `host` with `getaddrinfo(3)` for `family`, keeping the resolver's
/// order and dropping the duplicates it returns once per socket type.
fn resolve(host: &str, port: u16, family: Family) -> Result<Vec<Address>> {
    let c_host = no_nul("host name", host)?;
    let hints = sys::netdb::GaiHints {
        family: family.as_raw(),
        socktype: SockType::STREAM.as_raw(),
        ..sys::netdb::GaiHints::default()
    };
    let service = no_nul("service", &port.to_string())?;
    let entries = sys::netdb::getaddrinfo(Some(&c_host), Some(&service), hints)
        .map_err(|err| resolve_error(host, &err))?;
    let mut found: Vec<Address> = Vec::new();
    for entry in &entries {
        let sockaddr = entry_socket_addr(entry)?;
        // Only the family asked for: AF_UNSPEC takes both.
        if let Ok(addr) = ip_for_family(sockaddr, family) {
            if !found.contains(&addr) {
                found.push(addr);
            }
        }
    }
    if found.is_empty() {
        return Err(resolve_empty(host));
    }
    Ok(found)
}

/// The IP address and port of a `getaddrinfo` answer. An answer with no
/// address, or one of another family than `AF_INET` and `AF_INET6`, is an
/// [`Error::Io`] (the resolvers this crate runs on give none).
fn entry_socket_addr(entry: &sys::netdb::AddrInfoEntry) -> Result<SocketAddr> {
    entry
        .addr
        .as_ref()
        .and_then(SockAddr::as_socket)
        .ok_or_else(|| {
            Error::Io(io::Error::other(format!(
                "getaddrinfo gave an address of family {}, not AF_INET or AF_INET6",
                Family::from(entry.family)
            )))
        })
}

/// Bytes the C library gave as a name, as text: invalid UTF-8 sequences
/// become U+FFFD, as [`String::from_utf8_lossy`] does; valid UTF-8 is kept
/// without a copy.
fn lossy_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
}

/// The host and service names of an address: `getnameinfo(3)`, Python's
/// `socket.getnameinfo(sockaddr, flags)`.
///
/// The address is an IP address and port in any form [`ToAddress`] takes
/// (an IPv6 one keeps its scope id). Python only takes numeric hosts here;
/// this also takes a name, and looks up its first address. Each name the
/// databases lack comes back numeric, unless [`NameInfoFlags::NAMEREQD`]
/// makes that an [`Error::Resolve`]. A name that is not UTF-8 has each
/// invalid sequence replaced by U+FFFD (where Python raises
/// `UnicodeDecodeError`).
///
/// ```
/// use pysocket::{getnameinfo, NameInfoFlags};
///
/// let (host, service) = getnameinfo(("127.0.0.1", 80), NameInfoFlags::empty())?;
/// assert!(host.starts_with("localhost")); // from /etc/hosts
/// assert_eq!(service, "http");            // from /etc/services
/// let (host, _) = getnameinfo("[::1]:80", NameInfoFlags::NUMERICHOST)?;
/// assert_eq!(host, "::1");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn getnameinfo(addr: impl ToAddress, flags: NameInfoFlags) -> Result<(String, String)> {
    let address = addr.to_address(Family::UNSPEC)?;
    let Some(sockaddr) = address.as_socket_addr() else {
        return Err(Error::invalid(format!(
            "getnameinfo takes an IP address and port, not the AF_UNIX address {address:?}"
        )));
    };
    let (host, service) = sys::netdb::getnameinfo(&SockAddr::from(sockaddr), flags.bits())
        .map_err(|err| resolve_error(&address.to_string(), &err))?;
    Ok((lossy_text(host), lossy_text(service)))
}

/// The machine's host name: `gethostname(2)`, Python's `socket.gethostname()`.
///
/// A name that is not UTF-8 has each invalid sequence replaced by U+FFFD
/// (Python decodes it with `surrogateescape` instead).
///
/// ```
/// let name = pysocket::gethostname()?;
/// assert!(!name.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn gethostname() -> Result<String> {
    Ok(lossy_text(sys::netdb::gethostname()?))
}

/// Sets the machine's host name: `sethostname(2)`, Python's
/// `socket.sethostname(name)`.
///
/// `name` is text or bytes, as Python takes `str` or `bytes`. It needs
/// privilege (`CAP_SYS_ADMIN` in the UTS namespace on Linux): without it the
/// call is an [`Error::Io`] with `EPERM`. A name longer than the system's
/// limit (64 bytes on Linux) is an [`Error::Io`] with `EINVAL`, as in Python;
/// one holding a NUL byte is [`Error::InvalidArgument`] (Python's
/// `ValueError`), and the host name is left unchanged.
///
/// The example changes the name of the machine it runs on, so it is only
/// compiled, not run; the crate's tests run the call inside a UTS namespace
/// of their own.
///
/// ```no_run
/// pysocket::sethostname("build-42")?;
/// assert_eq!(pysocket::gethostname()?, "build-42");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn sethostname(name: impl AsRef<[u8]>) -> Result<()> {
    let name = name.as_ref();
    if name.contains(&0) {
        return Err(Error::invalid(format!(
            "host name {:?} contains a NUL byte",
            String::from_utf8_lossy(name)
        )));
    }
    Ok(sys::netdb::sethostname(name)?)
}

/// The IPv4 address of a host: Python's `socket.gethostbyname(name)`.
///
/// A numeric address is returned as is, `""` is `0.0.0.0` and `"<broadcast>"`
/// is `255.255.255.255`, as in Python; any other name is looked up
/// (`getaddrinfo(3)`, IPv4 only). An IPv6 literal is
/// [`Error::InvalidArgument`]; a name without an IPv4 address is
/// [`Error::Resolve`].
///
/// ```
/// use std::net::Ipv4Addr;
/// use pysocket::gethostbyname;
///
/// assert_eq!(gethostbyname("localhost")?, Ipv4Addr::LOCALHOST);
/// assert_eq!(gethostbyname("10.1.2.3")?, Ipv4Addr::new(10, 1, 2, 3));
/// assert!(gethostbyname("no-such-host.invalid").is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn gethostbyname(name: &str) -> Result<Ipv4Addr> {
    if name.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(Error::invalid(format!(
            "{name:?} is an IPv6 address: gethostbyname only answers IPv4 (use getaddrinfo)"
        )));
    }
    match (name, 0).to_address(Family::INET)? {
        Address::Inet(addr) => Ok(*addr.ip()),
        other => Err(Error::invalid(format!(
            "{name:?} resolved to {other}, not an IPv4 address"
        ))),
    }
}

/// A host's name, aliases and IPv4 addresses: `gethostbyname(3)`, Python's
/// `socket.gethostbyname_ex(name)`.
///
/// As in CPython the name is first resolved as [`gethostbyname`] does (a
/// failure there is `getaddrinfo`'s [`Error::Resolve`]), then looked up in
/// the hosts database; a failure there is an [`Error::Resolve`] with the
/// `h_errno` code (`HOST_NOT_FOUND` is 1) and its `hstrerror` message:
/// Python's `herror`.
///
/// # Platform-specific behavior
///
/// With glibc this calls the reentrant `gethostbyname_r`. Elsewhere it calls
/// `gethostbyname`, whose answer lives in static storage, holding a lock that
/// serialises this crate's host, service and protocol lookups (not those
/// other code in the process makes); there every failure is reported as
/// `HOST_NOT_FOUND`. [`gethostbyaddr`], [`getservbyname`], [`getservbyport`]
/// and [`getprotobyname`] do the same with their own calls.
///
/// ```
/// use std::net::Ipv4Addr;
/// use pysocket::gethostbyname_ex;
///
/// let (name, _aliases, addrs) = gethostbyname_ex("localhost")?;
/// assert!(name.starts_with("localhost"));
/// assert!(addrs.contains(&Ipv4Addr::LOCALHOST));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn gethostbyname_ex(name: &str) -> Result<(String, Vec<String>, Vec<Ipv4Addr>)> {
    gethostbyname(name)?;
    let c_name = no_nul("host name", name)?;
    let entry = sys::netdb::gethostbyname(&c_name).map_err(|err| host_error(name, err))?;
    let addrs = entry
        .addrs
        .into_iter()
        .filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    Ok((entry.name, entry.aliases, addrs))
}

/// The name, aliases and addresses of a host given by address:
/// `gethostbyaddr(3)`, Python's `socket.gethostbyaddr(ip_address)`.
///
/// `ip` is an IPv4 or IPv6 address, or (as in Python) a host name, which is
/// resolved first. An address the hosts database (and DNS) does not know is
/// [`Error::Resolve`] with the `h_errno` code and message (Python's `herror`).
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
/// use pysocket::gethostbyaddr;
///
/// let (name, _aliases, addrs) = gethostbyaddr("127.0.0.1")?;
/// assert!(name.starts_with("localhost")); // from /etc/hosts
/// assert!(addrs.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
/// // An IpAddr goes in as text:
/// let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// assert_eq!(gethostbyaddr(&ip.to_string())?.0, name);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn gethostbyaddr(ip: &str) -> Result<(String, Vec<String>, Vec<IpAddr>)> {
    let address = (ip, 0).to_address(Family::UNSPEC)?;
    let Some(addr) = address.ip() else {
        return Err(Error::invalid(format!("{ip:?} is not an IP address")));
    };
    let entry = sys::netdb::gethostbyaddr(addr).map_err(|err| host_error(ip, err))?;
    Ok((entry.name, entry.aliases, entry.addrs))
}

/// A fully qualified name for `name`: Python's `socket.getfqdn(name)`.
///
/// An empty name (or `0.0.0.0`, `::`) means this machine
/// ([`gethostname`]). The answer is the first of the name and aliases that
/// [`gethostbyaddr`] gives which contains a dot, else its name; when the
/// lookup fails, `name` itself. Never fails, as in Python.
///
/// ```
/// use pysocket::getfqdn;
/// assert!(getfqdn("localhost").starts_with("localhost"));
/// assert_eq!(getfqdn("no-such-host.invalid"), "no-such-host.invalid");
/// ```
pub fn getfqdn(name: &str) -> String {
    let mut name = name.trim().to_owned();
    if name.is_empty() || name == "0.0.0.0" || name == "::" {
        if let Ok(own) = gethostname() {
            name = own;
        }
    }
    match gethostbyaddr(&name) {
        Ok((hostname, aliases, _)) => std::iter::once(&hostname)
            .chain(&aliases)
            .find(|candidate| candidate.contains('.'))
            .unwrap_or(&hostname)
            .clone(),
        Err(_) => name,
    }
}

/// The port of a service: `getservbyname(3)`, Python's
/// `socket.getservbyname(name, proto)`. `proto` (`"tcp"`, `"udp"`) narrows
/// the search; `None` takes any.
///
/// A name the services database lacks is an [`Error::Io`] of kind
/// `NotFound` naming it (Python's `OSError: service/proto not found`).
///
/// ```
/// use pysocket::getservbyname;
/// assert_eq!(getservbyname("http", Some("tcp"))?, 80);
/// assert_eq!(getservbyname("ssh", None)?, 22);
/// let err = getservbyname("no-such-service", None).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("no-such-service"));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn getservbyname(name: &str, proto: Option<&str>) -> Result<u16> {
    let c_name = no_nul("service name", name)?;
    let c_proto = proto
        .map(|proto| no_nul("protocol name", proto))
        .transpose()?;
    sys::netdb::getservbyname(&c_name, c_proto.as_deref())?
        .ok_or_else(|| not_found(format!("service {name:?} not found{}", for_proto(proto))))
}

/// The name of the service on a port: `getservbyport(3)`, Python's
/// `socket.getservbyport(port, proto)`.
///
/// A port the services database lacks is an [`Error::Io`] of kind
/// `NotFound` naming it (Python's `OSError: port/proto not found`).
///
/// ```
/// use pysocket::getservbyport;
/// assert_eq!(getservbyport(80, Some("tcp"))?, "http");
/// assert_eq!(getservbyport(22, None)?, "ssh");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn getservbyport(port: u16, proto: Option<&str>) -> Result<String> {
    let c_proto = proto
        .map(|proto| no_nul("protocol name", proto))
        .transpose()?;
    sys::netdb::getservbyport(port, c_proto.as_deref())?
        .ok_or_else(|| not_found(format!("no service on port {port}{}", for_proto(proto))))
}

/// The number of a protocol: `getprotobyname(3)`, Python's
/// `socket.getprotobyname(name)`.
///
/// A name the protocols database lacks is an [`Error::Io`] of kind
/// `NotFound` naming it (Python's `OSError: protocol not found`).
///
/// ```
/// use pysocket::{getprotobyname, Protocol};
/// assert_eq!(getprotobyname("tcp")?, 6);
/// assert_eq!(Protocol::from(getprotobyname("udp")?), Protocol::UDP);
/// assert!(getprotobyname("no-such-protocol").is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn getprotobyname(name: &str) -> Result<i32> {
    let c_name = no_nul("protocol name", name)?;
    sys::netdb::getprotobyname(&c_name)?
        .ok_or_else(|| not_found(format!("protocol {name:?} not found")))
}

/// Every network interface as `(index, name)`: `if_nameindex(3)`, Python's
/// `socket.if_nameindex()`.
///
/// ```
/// let interfaces = pysocket::if_nameindex()?;
/// assert!(interfaces.iter().all(|(index, name)| *index > 0 && !name.is_empty()));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn if_nameindex() -> Result<Vec<(u32, String)>> {
    Ok(sys::netdb::if_nameindex()?)
}

/// The index of a network interface: `if_nametoindex(3)`, Python's
/// `socket.if_nametoindex(name)`. An unknown name is an [`Error::Io`] of kind
/// `NotFound` naming it (Python's errno-less `OSError`), and saying so when
/// the name is longer than interface names can be (15 bytes on Linux); a
/// name holding a NUL byte is [`Error::InvalidArgument`] (Python's
/// `ValueError`).
///
/// ```
/// use pysocket::{if_indextoname, if_nameindex, if_nametoindex};
/// for (index, name) in if_nameindex()? {
///     assert_eq!(if_nametoindex(&name)?, index);
///     assert_eq!(if_indextoname(index)?, name);
/// }
/// assert!(if_nametoindex("no-such-if0").is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn if_nametoindex(name: &str) -> Result<u32> {
    let c_name = no_nul("interface name", name)?;
    sys::netdb::if_nametoindex(&c_name)?.ok_or_else(|| {
        // The kernel's names hold at most IF_NAMESIZE - 1 bytes: say so
        // rather than leave the reader to look for a missing interface.
        let most = libc::IF_NAMESIZE - 1;
        not_found(if name.len() > most {
            format!(
                "no interface named {name:?}: the name is {} bytes long, interface names are at most {most}",
                name.len()
            )
        } else {
            format!("no interface named {name:?}")
        })
    })
}

/// The name of a network interface: `if_indextoname(3)`, Python's
/// `socket.if_indextoname(index)`. An unknown index is an [`Error::Io`] of
/// kind `NotFound` naming it (Python keeps `ENXIO`'s errno instead).
///
/// ```
/// use pysocket::if_indextoname;
/// assert!(if_indextoname(0).is_err()); // indices start at 1
/// ```
pub fn if_indextoname(index: u32) -> Result<String> {
    sys::netdb::if_indextoname(index)?.ok_or_else(|| {
        not_found(if index == 0 {
            "no interface with index 0: interface indices start at 1".to_owned()
        } else {
            format!("no interface with index {index}")
        })
    })
}

/// Python's errno-less `OSError` for a name or number a database lacks.
fn not_found(message: String) -> Error {
    Error::Io(io::Error::new(io::ErrorKind::NotFound, message))
}

/// ` for protocol "tcp"`, or nothing.
fn for_proto(proto: Option<&str>) -> String {
    proto.map_or_else(String::new, |proto| format!(" for protocol {proto:?}"))
}

/// `text` as a C string, or an error naming it (as `role`) if it holds a NUL.
fn no_nul(role: &str, text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid(format!("{role} {text:?} contains a NUL byte")))
}

/// Python's `herror` for a failed `gethostby*` lookup of `name`.
fn host_error(name: &str, err: sys::netdb::HostError) -> Error {
    match err {
        sys::netdb::HostError::Resolver(code) => herror(name, code),
        sys::netdb::HostError::Os(err) => Error::Io(err),
    }
}

/// Python's `gaierror` from a failed `getaddrinfo`/`getnameinfo`: the
/// `EAI_*` code and its message. `EAI_SYSTEM` is the `errno` the call left,
/// as an [`Error::Io`], as CPython raises an `OSError` for it.
fn resolve_error(host: &str, err: &sys::netdb::GaiError) -> Error {
    match err {
        sys::netdb::GaiError::Resolver(code) => gaierror(host, *code),
        sys::netdb::GaiError::System(err) => Error::Io(err.raw_os_error().map_or_else(
            || io::Error::new(err.kind(), err.to_string()),
            io::Error::from_raw_os_error,
        )),
    }
}

/// Python's `gaierror` for a name that resolved to nothing usable.
pub(crate) fn resolve_empty(host: &str) -> Error {
    gaierror(host, libc::EAI_NONAME)
}

/// Python's `gaierror`: `getaddrinfo` or `getnameinfo` failed with the
/// `EAI_*` `code` while looking up `host`.
fn gaierror(host: &str, code: libc::c_int) -> Error {
    Error::Resolve {
        host: host.to_owned(),
        code,
        message: sys::netdb::gai_strerror(code),
        resolver: Resolver::GetAddrInfo,
    }
}

/// Python's `herror`: the hosts database failed with the `h_errno` `code`
/// while looking up `host`.
fn herror(host: &str, code: libc::c_int) -> Error {
    Error::Resolve {
        host: host.to_owned(),
        code,
        message: sys::netdb::hstrerror(code),
        resolver: Resolver::HostDb,
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::{gaierror, herror, lossy_text};
    use crate::error::{Error, Resolver};
    use crate::sys::netdb::{HOST_NOT_FOUND, TRY_AGAIN};

    /// Each resolver's errors say which it is, and a temporary failure
    /// (`EAI_AGAIN`, `TRY_AGAIN`: nothing a test can provoke offline) is not
    /// `NotFound`, which the other codes are.
    #[test]
    fn resolver_errors_tell_gaierror_from_herror_and_temporary_failures() {
        let mut cases = vec![
            (
                gaierror("a", libc::EAI_NONAME),
                Resolver::GetAddrInfo,
                ErrorKind::NotFound,
            ),
            (
                gaierror("a", libc::EAI_FAIL),
                Resolver::GetAddrInfo,
                ErrorKind::NotFound,
            ),
            (
                gaierror("a", libc::EAI_AGAIN),
                Resolver::GetAddrInfo,
                ErrorKind::Other,
            ),
            (
                herror("a", HOST_NOT_FOUND),
                Resolver::HostDb,
                ErrorKind::NotFound,
            ),
            (herror("a", TRY_AGAIN), Resolver::HostDb, ErrorKind::Other),
        ];
        // Where the two tables give the codes different values (glibc's
        // EAI_AGAIN is -3, the BSDs' 2 as TRY_AGAIN), each code is read
        // against its own resolver's table only.
        if libc::EAI_AGAIN != TRY_AGAIN {
            cases.push((
                gaierror("a", TRY_AGAIN),
                Resolver::GetAddrInfo,
                ErrorKind::NotFound,
            ));
            cases.push((
                herror("a", libc::EAI_AGAIN),
                Resolver::HostDb,
                ErrorKind::NotFound,
            ));
        }
        for (err, resolver, kind) in cases {
            assert!(
                matches!(&err, Error::Resolve { resolver: found, .. } if *found == resolver),
                "{err:?}"
            );
            assert_eq!(
                err.is_gaierror(),
                resolver == Resolver::GetAddrInfo,
                "{err:?}"
            );
            assert_eq!(err.is_herror(), resolver == Resolver::HostDb, "{err:?}");
            assert_eq!(err.kind(), kind, "{err:?}");
            assert_eq!(std::io::Error::from(err).kind(), kind);
        }
    }

    /// The conversion `getaddrinfo` applies to `ai_canonname` (and
    /// `getnameinfo`, `gethostname` to their names): UTF-8 stays as it is.
    #[test]
    fn lossy_text_keeps_utf8() {
        assert_eq!(lossy_text(b"localhost".to_vec()), "localhost");
        assert_eq!(lossy_text(Vec::new()), "");
        let accented = "h\u{f4}te.example";
        assert_eq!(lossy_text(accented.as_bytes().to_vec()), accented);
    }

    /// A canonical name that is not UTF-8 (a Latin-1 hosts entry, a DNS
    /// answer with arbitrary bytes) becomes text with U+FFFD in place of each
    /// invalid sequence: no panic, the valid parts kept.
    #[test]
    fn lossy_text_replaces_invalid_utf8() {
        // "hôte" in Latin-1: 0xF4 starts no valid sequence here.
        assert_eq!(
            lossy_text(b"h\xf4te.example".to_vec()),
            "h\u{fffd}te.example"
        );
        // A truncated 3-byte sequence, a lone continuation byte, 0xFF.
        assert_eq!(
            lossy_text(b"a\xe2\x82b\x80c\xff".to_vec()),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        // Every byte value but NUL (which no C string holds).
        let every: Vec<u8> = (1..=255).collect();
        let text = lossy_text(every.clone());
        assert_eq!(text, String::from_utf8_lossy(&every));
        assert!(text.starts_with("\u{1}\u{2}"));
        assert_eq!(text.matches('\u{fffd}').count(), 128);
    }
}
