//! The timeout engine: CPython's `sock_call_ex`, the one place where a socket
//! call waits, retries on `EINTR` and keeps its deadline.
//!
//! A socket is in one of three modes, as in CPython:
//!
//! | `gettimeout()`     | mode         | descriptor    | a call that cannot complete now |
//! |--------------------|--------------|---------------|---------------------------------|
//! | `None`             | blocking     | blocking      | sleeps in the kernel            |
//! | `Some(ZERO)`       | non-blocking | `O_NONBLOCK`  | fails with `WouldBlock`         |
//! | `Some(d)`          | timeout      | see below     | waits up to `d`, then [`Error::Timeout`] |
//!
//! In timeout mode the deadline is fixed when the call starts and every wait
//! and retry inside that call counts against it. Unlike CPython, which polls
//! before every attempt, the engine tries the call first and waits only when
//! it cannot complete: the same semantics, with no `poll` when the socket is
//! already ready.
//!
//! How a timed call waits depends on the timeout. On Linux, with a timeout of
//! at least 50 ms, the descriptor stays blocking and the kernel's own
//! timeouts (`SO_RCVTIMEO`, `SO_SNDTIMEO`) are set to a *backstop* a little
//! shorter than the timeout (see [`KernelTimeouts`]): a receive, `accept` or
//! `connect` sleeps in the kernel, one system call as in blocking mode, and
//! only when the backstop fires or a signal interrupts it does the engine
//! `poll` for what is left of the deadline. Sends are tried with
//! `MSG_DONTWAIT` and wait in `poll`. Shorter timeouts, other systems, and
//! sockets whose kernel timeouts the user set put the descriptor in
//! `O_NONBLOCK`, as CPython does, and every wait is a `poll`.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::sys::{self, Interest};

/// A timeout as one `u64`, so that it can live in an atomic.
const BLOCKING: u64 = u64::MAX;

/// A socket's timeout, stored atomically so `settimeout` can take `&self`.
#[derive(Debug)]
pub(crate) struct TimeoutCell(AtomicU64);

impl TimeoutCell {
    pub(crate) fn new(timeout: Option<Duration>) -> TimeoutCell {
        TimeoutCell(AtomicU64::new(encode(timeout)))
    }

    pub(crate) fn get(&self) -> Option<Duration> {
        decode(self.0.load(Ordering::Relaxed))
    }

    pub(crate) fn set(&self, timeout: Option<Duration>) {
        self.0.store(encode(timeout), Ordering::Relaxed);
    }

    /// The deadline of a call that starts now (in timeout mode its clock
    /// starts at the call's first wait: see [`Deadline::After`]).
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::for_timeout(self.get())
    }
}

fn encode(timeout: Option<Duration>) -> u64 {
    match timeout {
        None => BLOCKING,
        // Durations past u64 nanoseconds (584 years) are as good as forever but
        // must stay distinct from blocking mode.
        Some(d) => u64::try_from(d.as_nanos())
            .unwrap_or(BLOCKING - 1)
            .min(BLOCKING - 1),
    }
}

fn decode(raw: u64) -> Option<Duration> {
    (raw != BLOCKING).then(|| Duration::from_nanos(raw))
}

static DEFAULT_TIMEOUT: AtomicU64 = AtomicU64::new(BLOCKING);

/// The timeout new sockets start with: Python's `socket.getdefaulttimeout()`.
///
/// `None` (blocking) unless [`setdefaulttimeout`] changed it.
///
/// ```
/// assert_eq!(pysocket::getdefaulttimeout(), None);
/// ```
pub fn getdefaulttimeout() -> Option<Duration> {
    decode(DEFAULT_TIMEOUT.load(Ordering::Relaxed))
}

/// Sets the timeout of every socket created afterwards (by [`Socket::new`],
/// [`Socket::accept`], [`socketpair`] and the other constructors): Python's
/// `socket.setdefaulttimeout()`. Sockets that already exist keep theirs.
///
/// [`Socket::new`]: crate::Socket::new
/// [`Socket::accept`]: crate::Socket::accept
/// [`socketpair`]: crate::socketpair
///
/// ```
/// use std::time::Duration;
/// use pysocket::{getdefaulttimeout, setdefaulttimeout};
///
/// setdefaulttimeout(Some(Duration::from_secs(5)));
/// assert_eq!(getdefaulttimeout(), Some(Duration::from_secs(5)));
/// setdefaulttimeout(None);
/// ```
pub fn setdefaulttimeout(timeout: Option<Duration>) {
    DEFAULT_TIMEOUT.store(encode(timeout), Ordering::Relaxed);
}

/// The shortest timeout that gets a kernel backstop.
const BACKSTOP_MIN_TIMEOUT: Duration = Duration::from_millis(50);

/// How much sooner than its timeout a backstop fires, besides an eighth of
/// the timeout: two clock ticks at 100 Hz. The kernel rounds a timeout up to
/// whole ticks and its timer wheel fires long ones up to an eighth late; the
/// margin keeps the backstop before the deadline, so that the end of the call
/// is decided by `poll`, which keeps time to the millisecond.
const BACKSTOP_MARGIN: Duration = Duration::from_millis(20);

/// The kernel timeout that backs up a call with `timeout`, if it gets one.
pub(crate) fn backstop(timeout: Duration) -> Option<Duration> {
    gets_backstop(timeout).then(|| timeout - timeout / 8 - BACKSTOP_MARGIN)
}

/// Whether a call with `timeout` gets a kernel backstop: what every receive
/// asks, without computing the backstop.
#[inline]
fn gets_backstop(timeout: Duration) -> bool {
    sys::KERNEL_BACKSTOP && timeout >= BACKSTOP_MIN_TIMEOUT
}

/// The descriptor may carry a backstop the crate set.
const CRATE_BACKSTOP: u8 = 1;
/// The user set `SO_RCVTIMEO` or `SO_SNDTIMEO` (through
/// [`Socket::setsockopt`](crate::Socket::setsockopt), or before the socket
/// was adopted): the crate leaves them alone.
const USER_TIMEOUTS: u8 = 2;

/// What a socket knows of its descriptor's kernel timeouts (`SO_RCVTIMEO`,
/// `SO_SNDTIMEO`), which timeout mode uses as a backstop (see the module
/// docs).
///
/// Kernel timeouts belong to the socket, not to one descriptor: every `dup`,
/// a forked process's copy, and (on Linux) every socket `accept` returns
/// share or inherit them. So the crate only ever *lowers* a backstop while a
/// socket is in the crate's hands (a socket in timeout mode with a longer
/// timeout leaves a shorter one in place, and blocking mode leaves it too):
/// whoever set it, the kernel then wakes every timed call sharing the
/// socket no later than its own deadline, and a wake-up before the deadline
/// costs one `poll`. Blocking calls wait out the `EWOULDBLOCK` a backstop
/// gives them. A socket leaving the crate ([`Socket::detach`],
/// [`Socket::into_socket2`], the conversions to std and `OwnedFd`) has its
/// backstop cleared, so std sees no timeout it did not set.
///
/// [`Socket::detach`]: crate::Socket::detach
/// [`Socket::into_socket2`]: crate::Socket::into_socket2
#[derive(Debug)]
pub(crate) struct KernelTimeouts(AtomicU8);

impl KernelTimeouts {
    /// A socket the crate created: no kernel timeouts.
    pub(crate) fn none() -> KernelTimeouts {
        KernelTimeouts(AtomicU8::new(0))
    }

    /// A socket adopted from elsewhere, whose kernel timeouts, if it has any,
    /// are the user's.
    pub(crate) fn adopted(user_set: bool) -> KernelTimeouts {
        KernelTimeouts(AtomicU8::new(if user_set { USER_TIMEOUTS } else { 0 }))
    }

    /// What a `dup` of this socket, or a socket accepted on it (which
    /// inherits its kernel timeouts), knows.
    pub(crate) fn inherit(&self) -> KernelTimeouts {
        KernelTimeouts(AtomicU8::new(self.0.load(Ordering::Relaxed)))
    }

    pub(crate) fn set_crate_backstop(&self) {
        self.0.fetch_or(CRATE_BACKSTOP, Ordering::Relaxed);
    }

    pub(crate) fn set_user(&self) {
        self.0.fetch_or(USER_TIMEOUTS, Ordering::Relaxed);
    }

    /// Whether the user set kernel timeouts: they are left alone, and timeout
    /// mode waits with `poll` on an `O_NONBLOCK` descriptor.
    pub(crate) fn user_set(&self) -> bool {
        self.0.load(Ordering::Relaxed) & USER_TIMEOUTS != 0
    }

    /// Whether the kernel timeouts, if any, are backstops the crate set.
    pub(crate) fn crate_backstop(&self) -> bool {
        self.0.load(Ordering::Relaxed) == CRATE_BACKSTOP
    }

    /// The deadline of a call, given the mode's (`deadline`): a timed call
    /// whose socket carries a backstop sleeps in the kernel first, and a
    /// blocking call on such a socket waits out the backstop's `EWOULDBLOCK`.
    pub(crate) fn refine(&self, deadline: Deadline) -> Deadline {
        match deadline {
            Deadline::After(timeout) if self.crate_backstop() && gets_backstop(timeout) => {
                Deadline::Backstop(timeout)
            }
            Deadline::Blocking if self.crate_backstop() => Deadline::Forever,
            other => other,
        }
    }
}

/// When a call must give up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Deadline {
    /// Blocking mode: the call sleeps in the kernel for as long as it must.
    /// A kernel timeout the user set (`SO_RCVTIMEO`) ends it with
    /// `WouldBlock`, as in CPython.
    Blocking,
    /// Blocking mode on a socket that may carry a crate backstop: every
    /// `EWOULDBLOCK` is waited out.
    Forever,
    /// Non-blocking mode (or a call given `MSG_DONTWAIT`): `WouldBlock` is the
    /// caller's answer.
    Kernel,
    /// Timeout mode with a kernel backstop (see [`KernelTimeouts`]): the
    /// first attempt sleeps in the kernel, which wakes it before the
    /// deadline; the clock starts with it.
    Backstop(Duration),
    /// Timeout mode, the clock not started yet: it starts at the call's
    /// first wait, as CPython's `sock_call_ex` starts it, so that a call that
    /// never has to wait never reads the clock.
    After(Duration),
    /// Timeout mode: wait for readiness until this instant.
    At(Instant),
    /// Wait for readiness with no limit (a blocking `connect` interrupted by a
    /// signal, or a timeout too large to be an `Instant`).
    Unbounded,
}

impl Deadline {
    pub(crate) fn for_timeout(timeout: Option<Duration>) -> Deadline {
        match timeout {
            None => Deadline::Blocking,
            Some(d) if d.is_zero() => Deadline::Kernel,
            Some(d) => Deadline::After(d),
        }
    }

    /// The deadline with its clock started: from now on every wait counts.
    pub(crate) fn started(self) -> Deadline {
        match self {
            Deadline::After(d) | Deadline::Backstop(d) => Instant::now()
                .checked_add(d)
                .map_or(Deadline::Unbounded, Deadline::At),
            other => other,
        }
    }

    /// Whether this call waits in user space (timeout mode).
    pub(crate) fn waits(self) -> bool {
        !matches!(
            self,
            Deadline::Blocking | Deadline::Forever | Deadline::Kernel
        )
    }

    /// The deadline of a call given the `MSG_*` `flags`: one that asks for
    /// `MSG_DONTWAIT` in blocking mode is a non-blocking call.
    pub(crate) fn with_flags(self, flags: libc::c_int) -> Deadline {
        match self {
            Deadline::Blocking | Deadline::Forever if flags & libc::MSG_DONTWAIT != 0 => {
                Deadline::Kernel
            }
            other => other,
        }
    }

    /// Whether the deadline is behind us.
    fn has_passed(self) -> bool {
        matches!(self, Deadline::At(at) if Instant::now() >= at)
    }
}

/// Runs one socket call to completion: CPython's `sock_call_ex`.
///
/// `op` is tried at once. It is retried when interrupted by a signal (PEP
/// 475), and, when the deadline waits, after each `EWOULDBLOCK` once the
/// descriptor is ready, until the deadline passes. `op` receives the flags a
/// send or receive must add: `MSG_DONTWAIT` when the deadline waits in user
/// space. The descriptor may be non-blocking already, but its `O_NONBLOCK` is
/// shared with every `dup` of it, and one of those set to blocking mode must
/// not turn this socket's timed call into an endless one.
///
/// `no_dontwait` is for calls that have no per-call non-blocking flag
/// (`accept`) or whose completion only shows as writability (`connect`): in
/// timeout mode they wait for readiness before each attempt, but the first
/// attempt of a [`Deadline::Backstop`] call, which sleeps in the kernel.
///
/// With a backstop the first attempt is a blocking system call, and the
/// kernel's timeout wakes it before the deadline: its `EWOULDBLOCK` (or an
/// `EINTR`) hands the call over to `poll` for what is left of the deadline,
/// which started just before it.
///
/// A readiness that the call then denies (`EWOULDBLOCK` after the wait) is
/// waited out again, as in CPython, but never past the deadline: a descriptor
/// that stays ready while the call keeps saying `EWOULDBLOCK` times out on
/// time instead of spinning. When the wait saw a hang-up or an error, which no
/// wait clears, the call's `EWOULDBLOCK` is returned at once, as in blocking
/// mode (a UDP socket shut down for reading by another thread wakes its
/// reader so).
///
/// A call started in blocking mode that gets `EWOULDBLOCK` found either the
/// descriptor made non-blocking under it (by another thread's `settimeout` or
/// a `dup`'s) or a kernel backstop set for timeout mode: it waits for
/// readiness as the blocking call it is, and retries, rather than fail
/// (which, in `sendall`, would lose count of what was sent). Only a kernel
/// timeout the user set ends it ([`Deadline::Blocking`]).
///
/// The first attempt is inlined into every caller: in blocking and
/// non-blocking mode, and in timeout mode when it succeeds, a call is that
/// one system call and a few tests. Everything after a failed attempt (the
/// waits and retries) is out of line, in [`sock_call_retry`].
#[inline]
pub(crate) fn sock_call<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    deadline: Deadline,
    no_dontwait: bool,
    op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let mut deadline = deadline;
    sock_call_in(fd, interest, &mut deadline, no_dontwait, op)
}

/// [`sock_call`], leaving in `deadline` what the call made of it: started
/// ([`Deadline::At`]) if the call waited, as it was if not. For a caller that
/// makes several calls against one deadline (`sendall`).
#[inline]
pub(crate) fn sock_call_in<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    deadline: &mut Deadline,
    no_dontwait: bool,
    mut op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let failed = match *deadline {
        // Blocking and non-blocking mode: the call at once.
        Deadline::Blocking | Deadline::Forever | Deadline::Kernel => match op(0) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        },
        // Timeout mode under a backstop: the clock starts, and the first
        // attempt sleeps in the kernel, which wakes it before the deadline.
        // Its `EWOULDBLOCK` or `EINTR` is then one of a call with a started
        // deadline, waited out as below.
        Deadline::Backstop(timeout) => {
            let start = Instant::now();
            match op(0) {
                Ok(value) => return Ok(value),
                Err(err) => {
                    *deadline = start
                        .checked_add(timeout)
                        .map_or(Deadline::Unbounded, Deadline::At);
                    err
                }
            }
        }
        // Timeout mode: a send or receive is tried at once, without waiting.
        _ if !no_dontwait => match op(libc::MSG_DONTWAIT) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        },
        // Timeout mode, `accept` and `connect`: wait first.
        _ => return sock_call_retry(fd, interest, deadline, no_dontwait, None, op),
    };
    sock_call_retry(fd, interest, deadline, no_dontwait, Some(failed), op)
}

/// The rest of a [`sock_call`] whose first attempt failed with `failed`
/// (`None`: a call that waits before its first attempt).
#[cold]
#[inline(never)]
fn sock_call_retry<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    deadline: &mut Deadline,
    no_dontwait: bool,
    mut failed: Option<io::Error>,
    mut op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let call_flags = if deadline.waits() {
        libc::MSG_DONTWAIT
    } else {
        0
    };
    let mut hung_up = false;
    if failed.is_none() {
        hung_up = wait(fd, interest, deadline)?;
    }
    loop {
        let err = match failed.take() {
            Some(err) => err,
            None => match op(call_flags) {
                Ok(value) => return Ok(value),
                Err(err) => err,
            },
        };
        match err.kind() {
            io::ErrorKind::Interrupted => {
                if no_dontwait && deadline.waits() {
                    hung_up = wait(fd, interest, deadline)?;
                }
            }
            io::ErrorKind::WouldBlock if deadline.waits() && !hung_up => {
                if deadline.has_passed() {
                    return Err(Error::Timeout);
                }
                hung_up = wait(fd, interest, deadline)?;
            }
            io::ErrorKind::WouldBlock
                if !hung_up && blocking_call_waits(*deadline, fd, interest) =>
            {
                hung_up = wait(fd, interest, &mut Deadline::Unbounded)?;
            }
            _ => return Err(Error::Io(err)),
        }
    }
}

/// Whether a blocking-mode call that got `EWOULDBLOCK` (or a blocking
/// `connect` that got `EINPROGRESS`) waits and retries: always on a socket
/// that may carry a crate backstop, else unless the user's kernel timeout
/// ended it.
pub(crate) fn blocking_call_waits(
    deadline: Deadline,
    fd: BorrowedFd<'_>,
    interest: Interest,
) -> bool {
    match deadline {
        Deadline::Forever => true,
        Deadline::Blocking => sys::no_kernel_timeout(fd, interest),
        _ => false,
    }
}

/// Waits for readiness against `deadline`, retrying interrupted waits with
/// what is left of it, and starts its clock if this is the call's first wait.
/// Returns whether the descriptor reported a hang-up or an error (see
/// `sys::poll`).
fn wait(fd: BorrowedFd<'_>, interest: Interest, deadline: &mut Deadline) -> Result<bool> {
    let (limit, left) = match *deadline {
        Deadline::Blocking | Deadline::Forever | Deadline::Kernel => return Ok(false),
        Deadline::Unbounded => (None, None),
        Deadline::At(at) => (Some(at), None),
        Deadline::After(timeout) | Deadline::Backstop(timeout) => {
            *deadline = deadline.started();
            match *deadline {
                // All of the timeout is left: no second reading of the clock.
                Deadline::At(at) => (Some(at), Some(timeout)),
                _ => (None, None),
            }
        }
    };
    wait_from(limit, left, |remaining| sys::poll(fd, interest, remaining))
}

/// The instant a wait of `timeout` that starts now ends; `None` for no limit
/// (no timeout, or one too large to be an `Instant`).
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|timeout| Instant::now().checked_add(timeout))
}

/// The one wait loop, shared by the engine, [`select`](crate::select) and
/// [`Selector`](crate::Selector): calls `poll` with what is left of
/// `deadline` (`None`: no limit) until it reports readiness (`Some`), and
/// fails with [`Error::Timeout`] once the deadline has passed.
///
/// `poll` runs at least once, even when the deadline has already passed (a
/// zero timeout still looks). A wait interrupted by a signal (`EINTR`), or one
/// that ends early by its own clock or spuriously (`Ok(None)`), is retried
/// with the time that remains (PEP 475).
pub(crate) fn wait_until<T>(
    deadline: Option<Instant>,
    poll: impl FnMut(Option<Duration>) -> io::Result<Option<T>>,
) -> Result<T> {
    wait_from(deadline, None, poll)
}

/// [`wait_until`], told what is left of `deadline` when its caller has just
/// read the clock (`None`: read it here).
fn wait_from<T>(
    deadline: Option<Instant>,
    mut left: Option<Duration>,
    mut poll: impl FnMut(Option<Duration>) -> io::Result<Option<T>>,
) -> Result<T> {
    loop {
        let remaining = left
            .take()
            .or_else(|| deadline.map(|at| at.saturating_duration_since(Instant::now())));
        match poll(remaining) {
            Ok(Some(ready)) => return Ok(ready),
            Ok(None) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::Io(err)),
        }
        if deadline.is_some_and(|at| Instant::now() >= at) {
            return Err(Error::Timeout);
        }
    }
}
