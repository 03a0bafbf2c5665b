//! The name lookups of `netdb.h`: `getaddrinfo`, `getnameinfo` and
//! `gethostname`, then hosts with their aliases, services, protocols and
//! network interfaces. Answers are copied out as bytes or owned values; the
//! caller decides how they become text.
//!
//! The host, service and protocol lookups (`gethostby*`, `getservby*`,
//! `getprotobyname`) come in two backends with one interface: glibc's
//! reentrant `_r` calls (`reentrant`), and elsewhere the plain calls, which
//! answer in static storage and so run under one lock (`plain`).

use std::ffi::CStr;
use std::io;
use std::mem;
use std::net::IpAddr;
use std::ptr;

use socket2::SockAddr;

use super::cvt;

platform! {
    if glibc {
        mod reentrant;
        use reentrant as backend;
    } else {
        mod plain;
        use plain as backend;
    }
}

/// What [`getaddrinfo`] asks for: the raw `ai_flags`, `ai_family`,
/// `ai_socktype` and `ai_protocol` of its hints (`0` for any).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GaiHints {
    pub(crate) flags: libc::c_int,
    pub(crate) family: libc::c_int,
    pub(crate) socktype: libc::c_int,
    pub(crate) protocol: libc::c_int,
}

/// One answer of [`getaddrinfo`] (a `struct addrinfo`), copied out of the C
/// library's list.
#[derive(Clone, Debug)]
pub(crate) struct AddrInfoEntry {
    pub(crate) family: libc::c_int,
    pub(crate) socktype: libc::c_int,
    pub(crate) protocol: libc::c_int,
    /// The bytes of `ai_canonname` (no NUL), when the entry has one: the
    /// first entry, with `AI_CANONNAME`. Not necessarily UTF-8.
    pub(crate) canonname: Option<Vec<u8>>,
    /// A copy of `ai_addr`; `None` when the entry has none, or one longer
    /// than a `sockaddr_storage`.
    pub(crate) addr: Option<SockAddr>,
}

/// Why `getaddrinfo` or `getnameinfo` failed.
#[derive(Debug)]
pub(crate) enum GaiError {
    /// The resolver's `EAI_*` code (any but `EAI_SYSTEM`).
    Resolver(libc::c_int),
    /// `EAI_SYSTEM`: the system error, `errno` as it was right after the call.
    System(io::Error),
}

impl GaiError {
    /// The error for a non-zero result of `getaddrinfo` or `getnameinfo`;
    /// to be called before anything else can change `errno`.
    fn from_code(code: libc::c_int) -> GaiError {
        if code == libc::EAI_SYSTEM {
            GaiError::System(io::Error::last_os_error())
        } else {
            GaiError::Resolver(code)
        }
    }
}

/// The C library's message for a `getaddrinfo`/`getnameinfo` code.
pub(crate) fn gai_strerror(code: libc::c_int) -> String {
    // SAFETY: gai_strerror returns a pointer to a static, NUL-terminated string
    // for any code, known or not.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(code)) };
    text.to_string_lossy().into_owned()
}

/// A `getaddrinfo` answer, freed with `freeaddrinfo` when dropped: once,
/// however the copy of its entries ends.
struct AddrInfoList(*mut libc::addrinfo);

impl Drop for AddrInfoList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the list came from a successful getaddrinfo, is freed
            // only here, and nothing points into it any more.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}

/// `getaddrinfo(3)`: the addresses of `host` and `service` (either may be
/// `None`, not both: the C library then says `EAI_NONAME`), in the
/// resolver's order.
pub(crate) fn getaddrinfo(
    host: Option<&CStr>,
    service: Option<&CStr>,
    hints: GaiHints,
) -> Result<Vec<AddrInfoEntry>, GaiError> {
    // SAFETY: `addrinfo` is plain old data; all-zero bytes are a valid value
    // (every pointer null, as the hints must have them).
    let mut c_hints: libc::addrinfo = unsafe { mem::zeroed() };
    c_hints.ai_flags = hints.flags;
    c_hints.ai_family = hints.family;
    c_hints.ai_socktype = hints.socktype;
    c_hints.ai_protocol = hints.protocol;
    let mut answer: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: `host` and `service` are NUL-terminated or null; `c_hints` is a
    // valid `addrinfo` with null pointers, and `answer` a writable local.
    let code = unsafe {
        libc::getaddrinfo(
            host.map_or(ptr::null(), CStr::as_ptr),
            service.map_or(ptr::null(), CStr::as_ptr),
            &c_hints,
            &mut answer,
        )
    };
    if code != 0 {
        return Err(GaiError::from_code(code));
    }
    let list = AddrInfoList(answer);
    let mut entries = Vec::new();
    let mut cursor: *const libc::addrinfo = list.0;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getaddrinfo returned, which
        // `list` keeps alive until the end of this function.
        let node = unsafe { &*cursor };
        entries.push(AddrInfoEntry {
            family: node.ai_family,
            socktype: node.ai_socktype,
            protocol: node.ai_protocol,
            // SAFETY: `ai_canonname` is null or a NUL-terminated string of
            // the list, alive here.
            canonname: unsafe { c_bytes(node.ai_canonname) },
            // SAFETY: `ai_addr` is null or points to `ai_addrlen` bytes of
            // the list, alive here.
            addr: unsafe {
                copy_sockaddr(
                    node.ai_addr,
                    usize::try_from(node.ai_addrlen).unwrap_or(usize::MAX),
                )
            },
        });
        cursor = node.ai_next;
    }
    Ok(entries)
}

/// A copy of the socket address at `addr`, `len` bytes long; `None` for a
/// null pointer or a length that does not fit a `sockaddr_storage`.
///
/// # Safety
///
/// `addr` is null or points to `len` readable bytes, alive during the call.
unsafe fn copy_sockaddr(addr: *const libc::sockaddr, len: usize) -> Option<SockAddr> {
    if addr.is_null() || len > mem::size_of::<libc::sockaddr_storage>() {
        return None;
    }
    // SAFETY: the storage try_init hands over is a zeroed `sockaddr_storage`,
    // writable and large enough for the `len` (checked above) bytes copied
    // from `addr`, readable by the caller's promise; the length set is that
    // of the address the C library built, whose family field it filled in.
    let copied = unsafe {
        SockAddr::try_init(|storage, storage_len| {
            ptr::copy_nonoverlapping(addr.cast::<u8>(), storage.cast::<u8>(), len);
            *storage_len = len as libc::socklen_t;
            Ok(())
        })
    };
    copied.ok().map(|((), addr)| addr)
}

/// The bytes of a C string (without its NUL), `None` if null.
///
/// # Safety
///
/// `text` is null or a valid NUL-terminated string, alive during the call.
unsafe fn c_bytes(text: *const libc::c_char) -> Option<Vec<u8>> {
    if text.is_null() {
        return None;
    }
    // SAFETY: non-null, and valid by the caller's promise.
    Some(unsafe { CStr::from_ptr(text) }.to_bytes().to_vec())
}

/// `NI_MAXHOST`: room for any host name `getnameinfo` gives, NUL included.
/// (The same 1025 on every Unix; the libc crate does not define it on all.)
const NI_MAXHOST: usize = 1025;
/// `NI_MAXSERV`: room for any service name `getnameinfo` gives, NUL included.
const NI_MAXSERV: usize = 32;

/// `getnameinfo(3)`: the host and service names of an address, as bytes
/// (not necessarily UTF-8).
pub(crate) fn getnameinfo(
    addr: &SockAddr,
    flags: libc::c_int,
) -> Result<(Vec<u8>, Vec<u8>), GaiError> {
    let mut host = [0u8; NI_MAXHOST];
    let mut service = [0u8; NI_MAXSERV];
    // The lengths are `socklen_t` or `size_t`, depending on the system.
    // SAFETY: `addr` points to a valid socket address of `addr.len()` bytes;
    // `host` and `service` are writable buffers of the lengths passed (each
    // small enough for either type).
    let code = unsafe {
        libc::getnameinfo(
            addr.as_ptr().cast(),
            addr.len() as _,
            host.as_mut_ptr().cast(),
            NI_MAXHOST as _,
            service.as_mut_ptr().cast(),
            NI_MAXSERV as _,
            flags,
        )
    };
    if code != 0 {
        return Err(GaiError::from_code(code));
    }
    Ok((until_nul(&host), until_nul(&service)))
}

/// `gethostname(2)`: this machine's host name, as bytes (not necessarily UTF-8).
pub(crate) fn gethostname() -> io::Result<Vec<u8>> {
    // SAFETY: sysconf only reads a system limit.
    let limit = unsafe { libc::sysconf(libc::_SC_HOST_NAME_MAX) };
    // The limit leaves out the NUL; -1 means there is none. At least 256
    // bytes, at most 4 KiB, and one more that stays NUL.
    let limit = usize::try_from(limit).unwrap_or(0).clamp(256, 4096);
    let mut name = vec![0u8; limit + 1];
    // SAFETY: `name` is writable for `limit + 1` bytes; the call gets `limit`,
    // so the last byte stays NUL even where a long name is cut short
    // without one.
    let rc = unsafe { libc::gethostname(name.as_mut_ptr().cast(), limit) };
    cvt(rc)?;
    Ok(until_nul(&name))
}

/// `sethostname(2)`: sets this machine's (this UTS namespace's) host name.
pub(crate) fn sethostname(name: &[u8]) -> io::Result<()> {
    // The length's type differs between systems (size_t on Linux, int on the
    // BSDs): the conversion does nothing only on some.
    #[allow(clippy::useless_conversion)]
    let len = name
        .len()
        .try_into()
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: the pointer and length describe `name`, which the call only reads.
    let rc = unsafe { libc::sethostname(name.as_ptr().cast(), len) };
    cvt(rc).map(drop)
}

/// The bytes of `text` before its first NUL (all of them if it has none).
fn until_nul(text: &[u8]) -> Vec<u8> {
    let end = memchr::memchr(0, text).unwrap_or(text.len());
    text[..end].to_vec()
}

// ---------------------------------------------------------------------------
// Hosts, services, protocols and network interfaces.
// ---------------------------------------------------------------------------

/// `h_errno`: the name is not known.
pub(crate) const HOST_NOT_FOUND: libc::c_int = 1;
/// `h_errno`: a temporary failure, worth trying again later (the same 2 on
/// every Unix; the libc crate does not define it).
pub(crate) const TRY_AGAIN: libc::c_int = 2;

/// A host entry (`struct hostent`), copied out of the C library.
#[derive(Debug)]
pub(crate) struct HostEntry {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) addrs: Vec<IpAddr>,
}

/// Why a `gethostby*` lookup failed.
#[derive(Debug)]
pub(crate) enum HostError {
    /// The resolver's `h_errno` (`HOST_NOT_FOUND`, `TRY_AGAIN`, ...).
    Resolver(libc::c_int),
    /// A system error. Only the reentrant backend tells one apart (it can
    /// read `h_errno`): the plain one never builds this variant.
    #[allow(dead_code)]
    Os(io::Error),
}

/// The C library's message for an `h_errno` code.
pub(crate) fn hstrerror(code: libc::c_int) -> String {
    // SAFETY: hstrerror returns a pointer to a static, NUL-terminated string
    // for any code, known or not.
    let text = unsafe { CStr::from_ptr(libc::hstrerror(code)) };
    text.to_string_lossy().into_owned()
}

/// `gethostbyname(3)`: the IPv4 entry of a host name, with its aliases.
pub(crate) fn gethostbyname(name: &CStr) -> Result<HostEntry, HostError> {
    backend::gethostbyname(name)
}

/// `gethostbyaddr(3)`: the entry of an address, with its aliases.
pub(crate) fn gethostbyaddr(ip: IpAddr) -> Result<HostEntry, HostError> {
    let (bytes, family): (Vec<u8>, libc::c_int) = match ip {
        IpAddr::V4(v4) => (v4.octets().to_vec(), libc::AF_INET),
        IpAddr::V6(v6) => (v6.octets().to_vec(), libc::AF_INET6),
    };
    backend::gethostbyaddr(&bytes, family)
}

/// `getservbyname(3)`: the port of a service, in host byte order; `None` when
/// the services database has no such service for `proto`.
pub(crate) fn getservbyname(name: &CStr, proto: Option<&CStr>) -> io::Result<Option<u16>> {
    Ok(backend::getservbyname(name, proto)?.map(network_port))
}

/// `getservbyport(3)`: the name of the service on `port` (host byte order);
/// `None` when the services database has none for `proto`.
pub(crate) fn getservbyport(port: u16, proto: Option<&CStr>) -> io::Result<Option<String>> {
    backend::getservbyport(libc::c_int::from(port.to_be()), proto)
}

/// `getprotobyname(3)`: the number of a protocol; `None` when the protocols
/// database has no such name.
pub(crate) fn getprotobyname(name: &CStr) -> io::Result<Option<i32>> {
    backend::getprotobyname(name)
}

/// Copies a `hostent` into owned Rust values.
///
/// # Safety
///
/// The strings and lists of `entry` are valid, NUL-terminated (the lists by a
/// null pointer), and alive during the call; `h_length` is the size of each
/// address in `h_addr_list`.
unsafe fn copy_hostent(entry: &libc::hostent) -> HostEntry {
    // SAFETY: as promised by the caller.
    let name = unsafe { c_string(entry.h_name) }.unwrap_or_default();
    // SAFETY: as promised by the caller.
    let aliases = unsafe { c_string_list(entry.h_aliases) };
    let mut addrs = Vec::new();
    let mut cursor = entry.h_addr_list;
    while !cursor.is_null() {
        // SAFETY: `cursor` walks a null-terminated list the caller vouches for.
        let item = unsafe { *cursor };
        if item.is_null() {
            break;
        }
        let addr = match (entry.h_addrtype, entry.h_length) {
            (libc::AF_INET, 4) => {
                let mut octets = [0u8; 4];
                // SAFETY: each address of an AF_INET entry is `h_length` (4) bytes.
                unsafe { std::ptr::copy_nonoverlapping(item.cast::<u8>(), octets.as_mut_ptr(), 4) };
                Some(IpAddr::from(octets))
            }
            (libc::AF_INET6, 16) => {
                let mut octets = [0u8; 16];
                // SAFETY: each address of an AF_INET6 entry is `h_length` (16) bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(item.cast::<u8>(), octets.as_mut_ptr(), 16)
                };
                Some(IpAddr::from(octets))
            }
            _ => None,
        };
        addrs.extend(addr);
        // SAFETY: the list goes on until its null terminator, not yet reached.
        cursor = unsafe { cursor.add(1) };
    }
    HostEntry {
        name,
        aliases,
        addrs,
    }
}

/// A C string as an owned `String` (invalid UTF-8 replaced), `None` if null.
///
/// # Safety
///
/// `text` is null or a valid NUL-terminated string, alive during the call.
unsafe fn c_string(text: *const libc::c_char) -> Option<String> {
    if text.is_null() {
        return None;
    }
    // SAFETY: non-null, and valid by the caller's promise.
    Some(
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// A null-terminated list of C strings as owned `String`s.
///
/// # Safety
///
/// `list` is null or a valid null-terminated array of valid NUL-terminated
/// strings, all alive during the call.
unsafe fn c_string_list(list: *mut *mut libc::c_char) -> Vec<String> {
    let mut items = Vec::new();
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: `cursor` walks a null-terminated list the caller vouches for.
        let item = unsafe { *cursor };
        // SAFETY: each item is null (the end) or a valid string.
        match unsafe { c_string(item) } {
            Some(text) => items.push(text),
            None => break,
        }
        // SAFETY: the terminator was not reached, so the next slot exists.
        cursor = unsafe { cursor.add(1) };
    }
    items
}

/// A `servent`'s port (a network-order `u16` in an `int`), in host order.
fn network_port(raw: libc::c_int) -> u16 {
    u16::from_be(raw as u16)
}

/// `if_nameindex(3)`: every network interface, as (index, name).
pub(crate) fn if_nameindex() -> io::Result<Vec<(u32, String)>> {
    // SAFETY: if_nameindex takes no argument; it returns null or an array
    // the caller frees with if_freenameindex.
    let list = unsafe { libc::if_nameindex() };
    if list.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut interfaces = Vec::new();
    let mut cursor = list;
    loop {
        // SAFETY: `cursor` walks the array if_nameindex returned, which ends
        // with an entry of index 0 and a null name.
        let entry = unsafe { &*cursor };
        if entry.if_index == 0 && entry.if_name.is_null() {
            break;
        }
        // SAFETY: the names of the array are NUL-terminated strings.
        if let Some(name) = unsafe { c_string(entry.if_name) } {
            interfaces.push((entry.if_index, name));
        }
        // SAFETY: the terminating entry was not reached, so the next exists.
        cursor = unsafe { cursor.add(1) };
    }
    // SAFETY: `list` came from if_nameindex and is freed once, after its last use.
    unsafe { libc::if_freenameindex(list) };
    Ok(interfaces)
}

/// `if_nametoindex(3)`: the index of an interface; `Ok(None)` for no such
/// interface.
pub(crate) fn if_nametoindex(name: &CStr) -> io::Result<Option<u32>> {
    // SAFETY: `name` is NUL-terminated.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index != 0 {
        return Ok(Some(index));
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::ENODEV | libc::ENXIO | 0) | None => Ok(None),
        _ => Err(err),
    }
}

/// `if_indextoname(3)`: the name of an interface; `Ok(None)` for no such index.
pub(crate) fn if_indextoname(index: u32) -> io::Result<Option<String>> {
    let mut name = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `name` has room for IF_NAMESIZE bytes, as the call requires.
    let answer = unsafe { libc::if_indextoname(index, name.as_mut_ptr()) };
    if answer.is_null() {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::ENXIO | libc::ENODEV) => Ok(None),
            _ => Err(err),
        };
    }
    // SAFETY: on success the call wrote a NUL-terminated name into `name`.
    Ok(unsafe { c_string(name.as_ptr()) })
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};

    use socket2::SockAddr;

    use super::{copy_sockaddr, until_nul};

    /// `getaddrinfo`'s copy of `ai_addr` keeps every field of the address, and
    /// refuses a null pointer or a length past a `sockaddr_storage`.
    #[test]
    fn copy_sockaddr_copies_or_refuses() {
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8001, 7, 3));
        let original = SockAddr::from(v6);
        let len = original.len() as usize;
        // SAFETY: `original` holds `len` bytes of a socket address, alive here.
        let copy = unsafe { copy_sockaddr(original.as_ptr().cast(), len) };
        let copy = copy.expect("a copy");
        assert_eq!(copy.len(), original.len());
        assert_eq!(copy.as_socket(), Some(v6));
        // SAFETY: null is allowed.
        assert!(unsafe { copy_sockaddr(std::ptr::null(), len) }.is_none());
        let too_long = std::mem::size_of::<libc::sockaddr_storage>() + 1;
        // SAFETY: the length is refused before anything is read.
        assert!(unsafe { copy_sockaddr(original.as_ptr().cast(), too_long) }.is_none());
    }

    /// The names `getnameinfo` and `gethostname` write end at the first NUL,
    /// or at the end of a buffer without one.
    #[test]
    fn until_nul_stops_at_the_first_nul() {
        assert_eq!(until_nul(b"localhost\0\0junk"), b"localhost");
        assert_eq!(until_nul(b"\0"), b"");
        assert_eq!(until_nul(b"no-nul"), b"no-nul");
        assert_eq!(until_nul(b"h\xf4te\0"), b"h\xf4te");
    }
}
