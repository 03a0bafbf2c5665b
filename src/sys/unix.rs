//! The few raw calls socket2 does not expose, for Unix.
//!
//! Everything OS-specific lives here: the flag that keeps sends from raising
//! `SIGPIPE`, readiness waits, options by level and name, and `close` with its
//! error reported.

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

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

/// Waits until `fd` is ready for `interest`, or `timeout` passes (`None`: no
/// limit). Returns `Ok(false)` on timeout. Errors and hang-ups count as ready:
/// the call that follows reports them. `EINTR` is returned to the caller, which
/// recomputes what is left of its deadline.
pub(crate) fn poll(
    fd: BorrowedFd<'_>,
    interest: Interest,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let events = match interest {
        Interest::Read => libc::POLLIN,
        Interest::Write => libc::POLLOUT,
    };
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    let millis = match timeout {
        None => -1,
        // Round up so that a wait never ends before the deadline it serves.
        Some(timeout) => {
            let millis = timeout.as_nanos().div_ceil(1_000_000);
            libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX)
        }
    };
    // SAFETY: `pollfd` is one valid, initialised `struct pollfd` and the count is 1.
    let ready = cvt(unsafe { libc::poll(&mut pollfd, 1, millis) })?;
    Ok(ready > 0)
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
