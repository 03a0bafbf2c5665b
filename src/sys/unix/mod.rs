//! The few raw calls socket2 does not expose, for Unix.
//!
//! Everything OS-specific lives here: the flag that keeps sends from raising
//! `SIGPIPE`, readiness waits, options by level and name, `close` with its
//! error reported, and the netdb lookups: `getaddrinfo`, `getnameinfo` and
//! `gethostname`, hosts with their aliases, services, protocols, network
//! interfaces.

use std::ffi::CStr;
use std::io;
use std::mem::{self, MaybeUninit};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::ptr;
use std::time::Duration;

use socket2::SockAddr;

#[cfg(any(target_os = "linux", target_os = "android"))]
#[path = "poller/epoll.rs"]
mod poller;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[path = "poller/polling.rs"]
mod poller;

pub(crate) use poller::{PollEvents, Poller, SPLITS_EVENTS};

/// Flags every send carries: `MSG_NOSIGNAL` turns a write to a closed peer into
/// `EPIPE` instead of a process-killing `SIGPIPE`. Apple systems have no such
/// flag; socket2 sets `SO_NOSIGPIPE` on every socket it creates there instead
/// (see [`prepare_foreign`]).
#[cfg(not(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos"
)))]
pub(crate) const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "tvos",
    target_os = "watchos"
))]
pub(crate) const SEND_FLAGS: libc::c_int = 0;

/// Whether `accept` is done with `accept4(SOCK_CLOEXEC)`, whose result never
/// inherits the listener's `O_NONBLOCK`. Elsewhere it may, so the mode of an
/// accepted socket is always set explicitly.
pub(crate) const ACCEPT_CLEARS_NONBLOCK: bool = cfg!(any(
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "illumos",
    target_os = "linux",
    target_os = "netbsd",
    target_os = "openbsd",
));

/// Makes a socket that did not come from socket2 behave like one that did.
pub(crate) fn prepare_foreign(socket: &socket2::Socket) -> io::Result<()> {
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "watchos"
    ))]
    socket.set_nosigpipe(true)?;
    let _ = socket;
    Ok(())
}

/// Sets or clears `O_NONBLOCK` with one `ioctl(FIONBIO)` (as CPython does).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let mut value: libc::c_int = nonblocking.into();
    // SAFETY: `fd` is a live descriptor for the duration of the borrow, and
    // FIONBIO reads one `c_int` through the pointer, which points to `value`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONBIO, &mut value) };
    cvt(rc).map(drop)
}

/// Whether `O_NONBLOCK` is set.
pub(crate) fn is_nonblocking(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: F_GETFL takes no argument and only reads the descriptor's flags.
    let flags = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    Ok(flags & libc::O_NONBLOCK != 0)
}

/// Whether `FD_CLOEXEC` is set.
pub(crate) fn is_cloexec(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: F_GETFD takes no argument and only reads the descriptor's flags.
    let flags = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) })?;
    Ok(flags & libc::FD_CLOEXEC != 0)
}

/// What a readiness wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// `POLLRDHUP`: the reading side is shut down (Linux only).
#[cfg(any(target_os = "linux", target_os = "android"))]
const POLL_READ_HANGUP: libc::c_short = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const POLL_READ_HANGUP: libc::c_short = 0;

/// Waits until `fd` is ready for `interest`, or `timeout` passes (`None`: no
/// limit). Returns `Ok(None)` on timeout, else `Ok(Some(hung_up))`. Errors and
/// hang-ups count as ready: the call that follows reports them. `hung_up`
/// says the descriptor reported one (`POLLERR`, `POLLHUP`, or for reading
/// `POLLRDHUP`): a state no wait clears, so a call that still would block
/// then (a UDP socket shut down for reading) will block for ever. `EINTR` is
/// returned to the caller, which recomputes what is left of its deadline.
pub(crate) fn poll(
    fd: BorrowedFd<'_>,
    interest: Interest,
    timeout: Option<Duration>,
) -> io::Result<Option<bool>> {
    let (events, hangups) = match interest {
        Interest::Read => (
            libc::POLLIN | POLL_READ_HANGUP,
            libc::POLLERR | libc::POLLHUP | POLL_READ_HANGUP,
        ),
        Interest::Write => (libc::POLLOUT, libc::POLLERR | libc::POLLHUP),
    };
    let mut pollfd = [libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }];
    if poll_fds(&mut pollfd, timeout)? == 0 {
        return Ok(None);
    }
    Ok(Some(pollfd[0].revents & hangups != 0))
}

/// `poll(2)` over any number of descriptors (no `FD_SETSIZE` limit): waits
/// until one of `fds` has an event or `timeout` passes (`None`: no limit), and
/// returns how many entries have `revents` set (0 on timeout). `EINTR` is
/// returned to the caller, which recomputes what is left of its deadline.
/// A wait's timeout in milliseconds, as `poll` and `epoll_wait` take it: -1
/// for none, rounded up so that a wait never ends before the deadline it
/// serves.
fn timeout_millis(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(timeout) => {
            let millis = timeout.as_nanos().div_ceil(1_000_000);
            libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX)
        }
    }
}

pub(crate) fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let count = libc::nfds_t::try_from(fds.len())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let millis = timeout_millis(timeout);
    // SAFETY: the pointer and count describe `fds`, a slice of valid,
    // initialised `struct pollfd` that the kernel may write (`revents`).
    let ready = cvt(unsafe { libc::poll(fds.as_mut_ptr(), count, millis) })?;
    Ok(ready as usize)
}

/// Whether the kernel has no timeout of its own (`SO_RCVTIMEO` for reading,
/// `SO_SNDTIMEO` for writing) on `fd`: then a call on a blocking descriptor
/// cannot end in `EWOULDBLOCK` (nor a `connect` in `EINPROGRESS`).
pub(crate) fn no_kernel_timeout(fd: BorrowedFd<'_>, interest: Interest) -> bool {
    let sock = socket2::SockRef::from(&fd);
    let timeout = match interest {
        Interest::Read => sock.read_timeout(),
        Interest::Write => sock.write_timeout(),
    };
    matches!(timeout, Ok(None))
}

/// Whether the kernel's own timeouts can back up a timed call (see
/// `timeout::KernelTimeouts`): on Linux `SO_RCVTIMEO` bounds `recv` and
/// `accept`, `SO_SNDTIMEO` bounds `connect` (which then fails with
/// `EINPROGRESS` and goes on in the background), and a signal makes all three
/// fail with `EINTR` rather than restart with a fresh timeout.
pub(crate) const KERNEL_BACKSTOP: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// The kernel's receive and send timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`);
/// `None` for none.
pub(crate) fn kernel_timeouts(
    fd: BorrowedFd<'_>,
) -> io::Result<(Option<Duration>, Option<Duration>)> {
    let sock = socket2::SockRef::from(&fd);
    Ok((sock.read_timeout()?, sock.write_timeout()?))
}

/// Sets both kernel timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`); `None` clears them.
pub(crate) fn set_kernel_timeouts(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    let sock = socket2::SockRef::from(&fd);
    sock.set_read_timeout(timeout)?;
    sock.set_write_timeout(timeout)
}

/// Lowers each kernel timeout to `limit` unless it is already that short; a
/// socket that may carry no timeout (`may_have_timeouts` false) gets both set
/// without asking.
pub(crate) fn lower_kernel_timeouts(
    fd: BorrowedFd<'_>,
    limit: Duration,
    may_have_timeouts: bool,
) -> io::Result<()> {
    let sock = socket2::SockRef::from(&fd);
    let (read, write) = if may_have_timeouts {
        kernel_timeouts(fd)?
    } else {
        (None, None)
    };
    if !read.is_some_and(|read| read <= limit) {
        sock.set_read_timeout(Some(limit))?;
    }
    if !write.is_some_and(|write| write <= limit) {
        sock.set_write_timeout(Some(limit))?;
    }
    Ok(())
}

/// `setsockopt(2)` with the option's bytes as given.
pub(crate) fn setsockopt(
    fd: BorrowedFd<'_>,
    level: i32,
    name: i32,
    value: &[u8],
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: the pointer and length describe `value`, which the kernel only reads.
    let rc = unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, value.as_ptr().cast(), len) };
    cvt(rc).map(drop)
}

/// `getsockopt(2)` of an `int` option.
pub(crate) fn getsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the pointer and length describe `value`, a writable `c_int`; the
    // kernel writes at most `len` bytes and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    cvt(rc)?;
    // A shorter answer (a one-byte option) is zero-extended, as CPython does.
    Ok(value)
}

/// `getsockopt(2)` into a buffer of `buflen` bytes; the answer is truncated to
/// the length the kernel reports.
pub(crate) fn getsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: i32,
    name: i32,
    buflen: usize,
) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; buflen];
    let mut len = libc::socklen_t::try_from(buflen)
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: the pointer and length describe `buf`, which is writable and
    // `buflen` bytes long; the kernel writes at most `len` bytes and updates it.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    cvt(rc)?;
    buf.truncate(len as usize);
    Ok(buf)
}

/// `close(2)`, with its error reported. `EINTR` counts as closed: on Linux the
/// descriptor is released before the interruption, and retrying could close a
/// descriptor another thread has just been given (PEP 475 leaves `close` alone).
pub(crate) fn close(fd: RawFd) -> io::Result<()> {
    // SAFETY: the caller owns `fd` and gives it up here; it is not used again.
    let rc = unsafe { libc::close(fd) };
    match cvt(rc) {
        Err(err) if err.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(drop),
    }
}

/// Views an initialised buffer as one the OS may write into.
pub(crate) fn as_uninit_mut(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`. The receive calls this
    // feeds only ever write initialised bytes into the slice, never
    // uninitialised ones, so `buf` stays initialised.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

// ---------------------------------------------------------------------------
// getaddrinfo, getnameinfo and gethostname. The answers are copied out as
// bytes; the caller decides how they become text.
// ---------------------------------------------------------------------------

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

/// The bytes of `text` before its first NUL (all of them if it has none).
fn until_nul(text: &[u8]) -> Vec<u8> {
    let end = memchr::memchr(0, text).unwrap_or(text.len());
    text[..end].to_vec()
}

// ---------------------------------------------------------------------------
// The netdb lookups no crate wraps: hosts with their aliases, services,
// protocols, and network interfaces.
//
// glibc has reentrant `_r` forms of the netdb calls, used there. Elsewhere the
// plain forms return a pointer into static storage, so every such call (and
// the copy of its answer) holds `NETDB`; that serialises this crate's calls,
// not a C library call made elsewhere in the process.
// ---------------------------------------------------------------------------

/// `h_errno`: the name is not known.
pub(crate) const HOST_NOT_FOUND: libc::c_int = 1;
/// `h_errno`: an error that `errno` describes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const NETDB_INTERNAL: libc::c_int = -1;

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
    /// A system error (told apart only where `h_errno` can be read).
    #[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
    Os(io::Error),
}

/// The C library's message for an `h_errno` code.
pub(crate) fn hstrerror(code: libc::c_int) -> String {
    // SAFETY: hstrerror returns a pointer to a static, NUL-terminated string
    // for any code, known or not.
    let text = unsafe { CStr::from_ptr(libc::hstrerror(code)) };
    text.to_string_lossy().into_owned()
}

/// The `netdb` calls with buffers the caller provides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod reentrant {
    use libc::{c_char, c_int, c_void, hostent, protoent, servent, size_t, socklen_t};

    extern "C" {
        pub(super) fn gethostbyname_r(
            name: *const c_char,
            ret: *mut hostent,
            buf: *mut c_char,
            buflen: size_t,
            result: *mut *mut hostent,
            h_errnop: *mut c_int,
        ) -> c_int;
        pub(super) fn gethostbyaddr_r(
            addr: *const c_void,
            len: socklen_t,
            kind: c_int,
            ret: *mut hostent,
            buf: *mut c_char,
            buflen: size_t,
            result: *mut *mut hostent,
            h_errnop: *mut c_int,
        ) -> c_int;
        pub(super) fn getservbyname_r(
            name: *const c_char,
            proto: *const c_char,
            ret: *mut servent,
            buf: *mut c_char,
            buflen: size_t,
            result: *mut *mut servent,
        ) -> c_int;
        pub(super) fn getservbyport_r(
            port: c_int,
            proto: *const c_char,
            ret: *mut servent,
            buf: *mut c_char,
            buflen: size_t,
            result: *mut *mut servent,
        ) -> c_int;
        pub(super) fn getprotobyname_r(
            name: *const c_char,
            ret: *mut protoent,
            buf: *mut c_char,
            buflen: size_t,
            result: *mut *mut protoent,
        ) -> c_int;
    }
}

/// The plain `netdb` calls, which answer in static storage.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod plain {
    use libc::{c_char, c_int, c_void, hostent, socklen_t};

    /// Held across every plain netdb call and the copy of its answer.
    pub(super) static NETDB: std::sync::Mutex<()> = std::sync::Mutex::new(());

    extern "C" {
        pub(super) fn gethostbyname(name: *const c_char) -> *mut hostent;
        pub(super) fn gethostbyaddr(
            addr: *const c_void,
            len: socklen_t,
            kind: c_int,
        ) -> *mut hostent;
    }

    pub(super) fn lock() -> std::sync::MutexGuard<'static, ()> {
        NETDB
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The first buffer the `_r` calls get, and the largest they may grow to.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const NETDB_BUFFER: (usize, usize) = (4096, 1 << 20);

/// Runs a reentrant netdb call with a buffer that doubles while the call says
/// `ERANGE` (up to [`NETDB_BUFFER`]'s limit). `call` returns the C function's
/// result code; `Ok(())` means the answer was written.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_netdb_buffer(mut call: impl FnMut(&mut [libc::c_char]) -> libc::c_int) -> io::Result<()> {
    let (mut size, limit) = NETDB_BUFFER;
    loop {
        let mut buf: Vec<libc::c_char> = vec![0; size];
        match call(&mut buf) {
            0 => return Ok(()),
            libc::ERANGE if size < limit => size *= 2,
            code => return Err(io::Error::from_raw_os_error(code)),
        }
    }
}

/// `gethostbyname(3)`: the IPv4 entry of a host name, with its aliases.
pub(crate) fn gethostbyname(name: &CStr) -> Result<HostEntry, HostError> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        host_lookup_r(|ret, buf, result, h_errno| {
            // SAFETY: `name` is NUL-terminated; `ret`, `result` and `h_errno`
            // point to writable locals of the caller, and `buf` is a writable
            // buffer of the length passed.
            unsafe {
                reentrant::gethostbyname_r(
                    name.as_ptr(),
                    ret,
                    buf.as_mut_ptr(),
                    buf.len(),
                    result,
                    h_errno,
                )
            }
        })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _guard = plain::lock();
        // SAFETY: `name` is NUL-terminated; the answer lives in static storage
        // that `NETDB` keeps from being overwritten until it is copied.
        unsafe { host_answer(plain::gethostbyname(name.as_ptr())) }
    }
}

/// `gethostbyaddr(3)`: the entry of an address, with its aliases.
pub(crate) fn gethostbyaddr(ip: IpAddr) -> Result<HostEntry, HostError> {
    let (bytes, family): (Vec<u8>, libc::c_int) = match ip {
        IpAddr::V4(v4) => (v4.octets().to_vec(), libc::AF_INET),
        IpAddr::V6(v6) => (v6.octets().to_vec(), libc::AF_INET6),
    };
    let len = bytes.len() as libc::socklen_t;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        host_lookup_r(|ret, buf, result, h_errno| {
            // SAFETY: `bytes` holds `len` bytes of an address of `family`;
            // `ret`, `result` and `h_errno` point to writable locals of the
            // caller, and `buf` is a writable buffer of the length passed.
            unsafe {
                reentrant::gethostbyaddr_r(
                    bytes.as_ptr().cast(),
                    len,
                    family,
                    ret,
                    buf.as_mut_ptr(),
                    buf.len(),
                    result,
                    h_errno,
                )
            }
        })
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _guard = plain::lock();
        // SAFETY: `bytes` holds `len` bytes of an address of `family`; the
        // answer lives in static storage that `NETDB` keeps from being
        // overwritten until it is copied.
        unsafe { host_answer(plain::gethostbyaddr(bytes.as_ptr().cast(), len, family)) }
    }
}

/// Runs `gethostbyname_r` or `gethostbyaddr_r` (passed as `call`) and copies
/// its answer.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn host_lookup_r(
    mut call: impl FnMut(
        *mut libc::hostent,
        &mut [libc::c_char],
        *mut *mut libc::hostent,
        *mut libc::c_int,
    ) -> libc::c_int,
) -> Result<HostEntry, HostError> {
    let mut answer = None;
    let mut h_errno: libc::c_int = 0;
    let outcome = with_netdb_buffer(|buf| {
        // SAFETY: `hostent` is plain old data; all-zero bytes are a valid value.
        let mut ret: libc::hostent = unsafe { mem::zeroed() };
        let mut result: *mut libc::hostent = std::ptr::null_mut();
        let code = call(&mut ret, buf, &mut result, &mut h_errno);
        if code == 0 && !result.is_null() {
            // SAFETY: on success `result` points to `ret`, whose strings and
            // lists point into `buf`, and both are alive here.
            answer = Some(unsafe { copy_hostent(&*result) });
        }
        code
    });
    match (outcome, answer) {
        (Ok(()), Some(entry)) => Ok(entry),
        (Err(err), _) if h_errno == NETDB_INTERNAL || h_errno == 0 => Err(HostError::Os(err)),
        (Ok(()), None) if h_errno == NETDB_INTERNAL => {
            Err(HostError::Os(io::Error::last_os_error()))
        }
        (Ok(()), None) if h_errno == 0 => Err(HostError::Resolver(HOST_NOT_FOUND)),
        _ => Err(HostError::Resolver(h_errno)),
    }
}

/// Copies the answer of a plain `gethostby*` call. A null answer has no
/// portable `h_errno` to read here, so it is reported as `HOST_NOT_FOUND`.
///
/// # Safety
///
/// `entry` is null or points to a valid `hostent` that stays alive and
/// unchanged during the call.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
unsafe fn host_answer(entry: *const libc::hostent) -> Result<HostEntry, HostError> {
    if entry.is_null() {
        return Err(HostError::Resolver(HOST_NOT_FOUND));
    }
    // SAFETY: non-null, and valid by the caller's promise.
    Ok(unsafe { copy_hostent(&*entry) })
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

/// `getservbyname(3)`: the port of a service, in host byte order; `None` when
/// the services database has no such service for `proto`.
pub(crate) fn getservbyname(name: &CStr, proto: Option<&CStr>) -> io::Result<Option<u16>> {
    let proto = proto.map_or(std::ptr::null(), CStr::as_ptr);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut port = None;
        with_netdb_buffer(|buf| {
            // SAFETY: `servent` is plain old data; all-zero bytes are a valid value.
            let mut ret: libc::servent = unsafe { mem::zeroed() };
            let mut result: *mut libc::servent = std::ptr::null_mut();
            // SAFETY: `name` and `proto` are NUL-terminated (or null for any
            // protocol); `ret` and `result` are writable locals, and `buf` is
            // a writable buffer of the length passed.
            let code = unsafe {
                reentrant::getservbyname_r(
                    name.as_ptr(),
                    proto,
                    &mut ret,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            };
            if code == 0 && !result.is_null() {
                port = Some(ret.s_port);
            }
            code
        })?;
        Ok(port.map(network_port))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _guard = plain::lock();
        // SAFETY: `name` and `proto` are NUL-terminated (or null for any protocol).
        let entry = unsafe { libc::getservbyname(name.as_ptr(), proto) };
        // SAFETY: a non-null answer is a valid `servent` in static storage
        // that `NETDB` keeps from being overwritten.
        Ok(unsafe { entry.as_ref() }.map(|entry| network_port(entry.s_port)))
    }
}

/// `getservbyport(3)`: the name of the service on `port` (host byte order);
/// `None` when the services database has none for `proto`.
pub(crate) fn getservbyport(port: u16, proto: Option<&CStr>) -> io::Result<Option<String>> {
    let proto = proto.map_or(std::ptr::null(), CStr::as_ptr);
    let port = libc::c_int::from(port.to_be());
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut name = None;
        with_netdb_buffer(|buf| {
            // SAFETY: `servent` is plain old data; all-zero bytes are a valid value.
            let mut ret: libc::servent = unsafe { mem::zeroed() };
            let mut result: *mut libc::servent = std::ptr::null_mut();
            // SAFETY: `proto` is NUL-terminated or null; `ret` and `result`
            // are writable locals, and `buf` is a writable buffer of the
            // length passed.
            let code = unsafe {
                reentrant::getservbyport_r(
                    port,
                    proto,
                    &mut ret,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            };
            if code == 0 && !result.is_null() {
                // SAFETY: on success `s_name` points into `buf`, alive here.
                name = unsafe { c_string(ret.s_name) };
            }
            code
        })?;
        Ok(name)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _guard = plain::lock();
        // SAFETY: `proto` is NUL-terminated or null.
        let entry = unsafe { libc::getservbyport(port, proto) };
        if entry.is_null() {
            return Ok(None);
        }
        // SAFETY: a non-null answer is a valid `servent` in static storage
        // that `NETDB` keeps from being overwritten, its name a valid string.
        Ok(unsafe { c_string((*entry).s_name) })
    }
}

/// A `servent`'s port (a network-order `u16` in an `int`), in host order.
fn network_port(raw: libc::c_int) -> u16 {
    u16::from_be(raw as u16)
}

/// `getprotobyname(3)`: the number of a protocol; `None` when the protocols
/// database has no such name.
pub(crate) fn getprotobyname(name: &CStr) -> io::Result<Option<i32>> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut number = None;
        with_netdb_buffer(|buf| {
            // SAFETY: `protoent` is plain old data; all-zero bytes are a valid value.
            let mut ret: libc::protoent = unsafe { mem::zeroed() };
            let mut result: *mut libc::protoent = std::ptr::null_mut();
            // SAFETY: `name` is NUL-terminated; `ret` and `result` are
            // writable locals, and `buf` is a writable buffer of the length passed.
            let code = unsafe {
                reentrant::getprotobyname_r(
                    name.as_ptr(),
                    &mut ret,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            };
            if code == 0 && !result.is_null() {
                number = Some(ret.p_proto);
            }
            code
        })?;
        Ok(number)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _guard = plain::lock();
        // SAFETY: `name` is NUL-terminated.
        let entry = unsafe { libc::getprotobyname(name.as_ptr()) };
        // SAFETY: a non-null answer is a valid `protoent` in static storage
        // that `NETDB` keeps from being overwritten.
        Ok(unsafe { entry.as_ref() }.map(|entry| entry.p_proto))
    }
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
