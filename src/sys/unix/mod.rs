//! The raw calls socket2 does not expose, for Unix. Everything OS-specific
//! lives under this module, by job:
//!
//! - here, the descriptor's calls: the flag that keeps sends from raising
//!   `SIGPIPE`, the split of a socket type's flags, non-blocking and
//!   close-on-exec flags, readiness waits (`poll`), kernel timeouts, options
//!   by level and name, and `close` with its error reported;
//! - [`mmsg`]: many datagrams a call (`recvmmsg`, `sendmmsg`) for the UDP
//!   server, and one a call where the system has no such calls;
//! - [`msg`]: `sendmsg` and `recvmsg` with control messages, and their
//!   layout;
//! - [`netdb`]: the name lookups (`getaddrinfo`, `getnameinfo`,
//!   `gethostname`, hosts with their aliases, services, protocols, network
//!   interfaces);
//! - `poller`: the [`Selector`](crate::Selector)'s backend (epoll on Linux,
//!   the `polling` crate elsewhere);
//! - [`sendfile`]: `sendfile(2)`, and the `SIGPIPE` it raises;
//! - [`sockaddr`]: socket addresses as raw bytes, for the families socket2
//!   has no type for.

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

/// Keeps items for one group of systems, and others (after `else`) for the
/// rest: `platform! { if apple { ... } else { ... } }`; `platform!(is apple)`
/// is whether this is one of them. Each group's list of systems is written
/// here once, and the `else` side is its exact complement.
macro_rules! platform {
    (if $group:ident { $($then:item)* } $(else { $($else:item)* })?) => {
        platform! { @group $group [$($then)*] [$($($else)*)?] }
    };
    (is $group:ident) => {
        platform! { @group $group is }
    };
    // Apple's systems: no `MSG_NOSIGNAL`, but `SO_NOSIGPIPE`.
    (@group apple $($rest:tt)*) => {
        platform! { @cfg [any(
            target_os = "macos",
            target_os = "ios",
            target_os = "tvos",
            target_os = "watchos"
        )] $($rest)* }
    };
    // Linux: epoll, `POLLRDHUP`, and kernel timeouts that back up a timed call.
    (@group linux $($rest:tt)*) => {
        platform! { @cfg [any(target_os = "linux", target_os = "android")] $($rest)* }
    };
    // glibc: the reentrant `_r` netdb calls.
    (@group glibc $($rest:tt)*) => {
        platform! { @cfg [all(target_os = "linux", target_env = "gnu")] $($rest)* }
    };
    // Socket types that carry `SOCK_NONBLOCK` and `SOCK_CLOEXEC`, and an
    // `accept4` that socket2 calls with `SOCK_CLOEXEC`.
    (@group type_flags $($rest:tt)*) => {
        platform! { @cfg [any(
            target_os = "android",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "illumos",
            target_os = "linux",
            target_os = "netbsd",
            target_os = "openbsd"
        )] $($rest)* }
    };
    // `SO_PROTOCOL` (socket2's `Socket::protocol`).
    (@group so_protocol $($rest:tt)*) => {
        platform! { @cfg [any(
            target_os = "android",
            target_os = "freebsd",
            target_os = "fuchsia",
            target_os = "linux"
        )] $($rest)* }
    };
    (@cfg [$cond:meta] [$($then:item)*] [$($else:item)*]) => {
        $(#[cfg($cond)] $then)*
        $(#[cfg(not($cond))] $else)*
    };
    (@cfg [$cond:meta] is) => {
        cfg!($cond)
    };
}

pub(crate) mod mmsg;
pub(crate) mod msg;
pub(crate) mod netdb;
mod poller;
pub(crate) mod sendfile;
pub(crate) mod sockaddr;

pub(crate) use poller::{PollEvents, Poller, SPLITS_EVENTS};

platform! {
    if apple {
        /// Flags every send carries: none here, where there is no
        /// `MSG_NOSIGNAL`; socket2 sets `SO_NOSIGPIPE` on every socket it
        /// creates instead (see [`prepare_foreign`]).
        pub(crate) const SEND_FLAGS: libc::c_int = 0;

        /// Makes a socket that did not come from socket2 behave like one that
        /// did: `SO_NOSIGPIPE`, as socket2 sets it.
        pub(crate) fn prepare_foreign(socket: &socket2::Socket) -> io::Result<()> {
            socket.set_nosigpipe(true)
        }
    } else {
        /// Flags every send carries: `MSG_NOSIGNAL` turns a write to a closed
        /// peer into `EPIPE` instead of a process-killing `SIGPIPE`.
        pub(crate) const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;

        /// Makes a socket that did not come from socket2 behave like one that
        /// did: nothing to do where sends carry `MSG_NOSIGNAL`.
        pub(crate) fn prepare_foreign(_socket: &socket2::Socket) -> io::Result<()> {
            Ok(())
        }
    }
}

platform! {
    if linux {
        /// `recvfrom(2)`, made as the system call itself. libc's `recv`,
        /// `recvfrom`, `send` and `sendto` are thread cancellation points:
        /// around the call glibc reads and swaps the thread's cancellation
        /// state, a cache line a thread that slept in the call no longer
        /// has, so that every receive that waited paid a miss (and about 60
        /// instructions a call) for a feature Rust never uses (BENCHMARKS.md,
        /// "Servers").
        ///
        /// # Safety
        ///
        /// As `recvfrom(2)`: `buf` valid for writes of `len` bytes; `addr`
        /// and `addrlen` both null, or valid for the sizes `*addrlen` gives.
        #[inline(always)]
        unsafe fn recvfrom_raw(
            fd: RawFd,
            buf: *mut MaybeUninit<u8>,
            len: usize,
            flags: libc::c_int,
            addr: *mut libc::sockaddr,
            addrlen: *mut libc::socklen_t,
        ) -> libc::c_long {
            // SAFETY: the caller keeps `recvfrom(2)`'s contract.
            unsafe {
                libc::syscall(
                    libc::SYS_recvfrom,
                    libc::c_long::from(fd),
                    buf,
                    len,
                    libc::c_long::from(flags),
                    addr,
                    addrlen,
                )
            }
        }

        /// `sendto(2)`, made as the system call itself, for the reason
        /// [`recvfrom_raw`] gives.
        ///
        /// # Safety
        ///
        /// As `sendto(2)`: `buf` valid for reads of `len` bytes; `addr` null
        /// with `addrlen` 0, or valid for reads of `addrlen` bytes.
        #[inline(always)]
        unsafe fn sendto_raw(
            fd: RawFd,
            buf: *const u8,
            len: usize,
            flags: libc::c_int,
            addr: *const libc::sockaddr,
            addrlen: libc::socklen_t,
        ) -> libc::c_long {
            // SAFETY: the caller keeps `sendto(2)`'s contract.
            unsafe {
                libc::syscall(
                    libc::SYS_sendto,
                    libc::c_long::from(fd),
                    buf,
                    len,
                    libc::c_long::from(flags),
                    addr,
                    libc::c_long::from(addrlen),
                )
            }
        }
    } else {
        /// libc's `recvfrom(2)`.
        ///
        /// # Safety
        ///
        /// As `recvfrom(2)`: `buf` valid for writes of `len` bytes; `addr`
        /// and `addrlen` both null, or valid for the sizes `*addrlen` gives.
        #[inline(always)]
        unsafe fn recvfrom_raw(
            fd: RawFd,
            buf: *mut MaybeUninit<u8>,
            len: usize,
            flags: libc::c_int,
            addr: *mut libc::sockaddr,
            addrlen: *mut libc::socklen_t,
        ) -> isize {
            // SAFETY: the caller keeps `recvfrom(2)`'s contract.
            unsafe { libc::recvfrom(fd, buf.cast(), len, flags, addr, addrlen) }
        }

        /// libc's `sendto(2)`.
        ///
        /// # Safety
        ///
        /// As `sendto(2)`: `buf` valid for reads of `len` bytes; `addr` null
        /// with `addrlen` 0, or valid for reads of `addrlen` bytes.
        #[inline(always)]
        unsafe fn sendto_raw(
            fd: RawFd,
            buf: *const u8,
            len: usize,
            flags: libc::c_int,
            addr: *const libc::sockaddr,
            addrlen: libc::socklen_t,
        ) -> isize {
            // SAFETY: the caller keeps `sendto(2)`'s contract.
            unsafe { libc::sendto(fd, buf.cast(), len, flags, addr, addrlen) }
        }
    }
}

/// `recv(2)`: receives into `buf` (which a slice keeps within `isize::MAX`
/// bytes), returning the byte count.
#[inline]
pub(crate) fn recv(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
    flags: libc::c_int,
) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of its length, and the kernel writes
    // at most that many bytes, initialised ones; no address is asked for.
    let rc = unsafe {
        recvfrom_raw(
            fd.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
            flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    byte_count(rc)
}

/// `recvfrom(2)`: receives into `buf`, returning the byte count and the
/// sender's address (empty, of length 0, where the kernel gives none).
#[inline]
pub(crate) fn recvfrom(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
    flags: libc::c_int,
) -> io::Result<(usize, socket2::SockAddr)> {
    // SAFETY: `try_init` hands over zeroed storage and its size for the
    // kernel to fill in; `buf` is valid for writes of its length, and the
    // kernel writes at most that many bytes, initialised ones.
    unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            byte_count(recvfrom_raw(
                fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
                flags,
                storage.cast(),
                len,
            ))
        })
    }
}

/// `send(2)`: sends from `buf`, returning the byte count.
#[inline]
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of its length; no address is given.
    let rc = unsafe {
        sendto_raw(
            fd.as_raw_fd(),
            buf.as_ptr(),
            buf.len(),
            flags,
            std::ptr::null(),
            0,
        )
    };
    byte_count(rc)
}

/// `sendto(2)`: sends from `buf` to `addr`, returning the byte count.
#[inline]
pub(crate) fn sendto(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    flags: libc::c_int,
    addr: &socket2::SockAddr,
) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of its length, and `addr` for reads
    // of the length it gives.
    let rc = unsafe {
        sendto_raw(
            fd.as_raw_fd(),
            buf.as_ptr(),
            buf.len(),
            flags,
            addr.as_ptr().cast(),
            addr.len(),
        )
    };
    byte_count(rc)
}

/// A byte count from a receive or send, or its error.
#[inline(always)]
fn byte_count(rc: impl TryInto<usize>) -> io::Result<usize> {
    rc.try_into().map_err(|_| io::Error::last_os_error())
}

/// Whether `accept` is done with `accept4(SOCK_CLOEXEC)`, whose result never
/// inherits the listener's `O_NONBLOCK`. Elsewhere it may, so the mode of an
/// accepted socket is always set explicitly.
pub(crate) const ACCEPT_CLEARS_NONBLOCK: bool = platform!(is type_flags);

platform! {
    if type_flags {
        /// Splits the `SOCK_NONBLOCK`/`SOCK_CLOEXEC` bits off a raw socket
        /// type: the type without them, and whether `SOCK_NONBLOCK` was set.
        pub(crate) fn split_type_flags(kind: libc::c_int) -> (libc::c_int, bool) {
            let nonblocking = kind & libc::SOCK_NONBLOCK != 0;
            (kind & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC), nonblocking)
        }
    } else {
        /// A raw socket type as it is, never non-blocking: socket types carry
        /// no flags here.
        pub(crate) fn split_type_flags(kind: libc::c_int) -> (libc::c_int, bool) {
            (kind, false)
        }
    }
}

platform! {
    if so_protocol {
        /// The protocol of a socket, where the OS tells it (`SO_PROTOCOL`).
        pub(crate) fn socket_protocol(socket: &socket2::Socket) -> Option<libc::c_int> {
            match socket.protocol() {
                Ok(Some(proto)) => Some(proto.into()),
                _ => None,
            }
        }
    } else {
        /// The protocol of a socket: never known, the OS does not tell it.
        pub(crate) fn socket_protocol(_socket: &socket2::Socket) -> Option<libc::c_int> {
            None
        }
    }
}

/// The longest `AF_UNIX` path the OS takes, in bytes, without the final NUL.
pub(crate) fn unix_path_limit() -> usize {
    // SAFETY: `sockaddr_un` is plain old data; all-zero bytes are a valid value.
    let storage: libc::sockaddr_un = unsafe { mem::zeroed() };
    storage.sun_path.len() - 1
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

/// What a call waits for when it cannot complete at once: the socket
/// becoming readable or writable. [`Socket::call_with_timeout`] and
/// [`Socket::call_when_ready`] take it, to run a call of
/// [`as_socket2`] under the socket's timeout mode.
///
/// [`Socket::call_with_timeout`]: crate::Socket::call_with_timeout
/// [`Socket::call_when_ready`]: crate::Socket::call_when_ready
/// [`as_socket2`]: crate::Socket::as_socket2
///
/// ```
/// use std::time::Duration;
/// use pysocket::{socketpair, Interest, MsgFlags};
///
/// let (a, b) = socketpair()?;
/// b.settimeout(Some(Duration::from_millis(50)))?;
/// let mut buf = [std::mem::MaybeUninit::new(0u8); 16];
/// // Nothing to read: the call waits for readability, then times out.
/// let err = b
///     .call_with_timeout(Interest::Read, MsgFlags::empty(), |sock, flags| {
///         sock.recv_with_flags(&mut buf, flags.bits())
///     })
///     .unwrap_err();
/// assert!(err.is_timeout());
/// a.sendall(b"now")?;
/// let n = b.call_with_timeout(Interest::Read, MsgFlags::empty(), |sock, flags| {
///     sock.recv_with_flags(&mut buf, flags.bits())
/// })?;
/// assert_eq!(n, 3);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interest {
    /// Readable: data, a connection to accept, or the end of the stream.
    Read,
    /// Writable: room in the send buffer, or a connection's outcome.
    Write,
}

platform! {
    if linux {
        /// `POLLRDHUP`: the reading side is shut down (Linux only).
        const POLL_READ_HANGUP: libc::c_short = libc::POLLRDHUP;
    } else {
        const POLL_READ_HANGUP: libc::c_short = 0;
    }
}

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

/// `poll(2)` over any number of descriptors (no `FD_SETSIZE` limit): waits
/// until one of `fds` has an event or `timeout` passes (`None`: no limit), and
/// returns how many entries have `revents` set (0 on timeout). `EINTR` is
/// returned to the caller, which recomputes what is left of its deadline.
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
pub(crate) const KERNEL_BACKSTOP: bool = platform!(is linux);

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

/// `setsockopt(2)` with a null `optval` and `len` as its length, as `AF_ALG`
/// options take.
pub(crate) fn setsockopt_null(
    fd: BorrowedFd<'_>,
    level: i32,
    name: i32,
    len: libc::socklen_t,
) -> io::Result<()> {
    // SAFETY: a null optval is an argument the kernel checks: options that
    // take none ignore it, others fail with EFAULT; nothing is written.
    let rc = unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, std::ptr::null(), len) };
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
