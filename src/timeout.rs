//! The timeout engine: CPython's `sock_call_ex`, the one place where a socket
//! call waits, retries on `EINTR` and keeps its deadline.
//!
//! # Modes
//!
//! A socket is in one of three modes, as in CPython:
//!
//! | `gettimeout()`     | mode         | descriptor    | a call that cannot complete now |
//! |--------------------|--------------|---------------|---------------------------------|
//! | `None`             | blocking     | blocking      | sleeps in the kernel            |
//! | `Some(ZERO)`       | non-blocking | `O_NONBLOCK`  | fails with `WouldBlock`         |
//! | `Some(d)`          | timeout      | see below     | waits up to `d`, then [`Error::Timeout`] |
//!
//! The socket keeps its mode, and what it knows of its kernel timeouts, in
//! [`Timeouts`], which also puts the descriptor in the mode
//! ([`Timeouts::set`]). Each call starts with a [`Plan`] made from it: a
//! [`Mode`], how that one call behaves, and a [`Clock`], its deadline. The
//! call keeps its plan to the end: another thread's `settimeout` changes the
//! calls that start afterwards, not those under way.
//!
//! # One deadline per call, started lazily
//!
//! In timeout mode the deadline covers the whole call: every wait and every
//! retry inside it (after `EINTR`, after a readiness the call then denies)
//! counts against it, and `sendall` has one deadline for all its sends. The
//! deadline is a [`Clock`], which starts (reads `Instant::now()`) at the
//! latest moment that keeps this true, as CPython's `sock_call_ex` starts it
//! at the first wait:
//!
//! - at the call's first wait in `poll` ([`wait_until`]);
//! - just before a first attempt that sleeps in the kernel under a backstop
//!   (below), since how long the kernel slept before it gave up is unknown
//!   otherwise; the deadline is set from that reading only if the attempt
//!   fails;
//! - for `sendall`, once its first send has left data to send
//!   ([`Plan::start_clock`]).
//!
//! A deadline is set in one place, [`Clock::started_at`]. So a call that
//! never has to wait never reads the clock (under a backstop, once). Unlike CPython,
//! which polls before every attempt, the engine tries the call first and
//! waits only when it cannot complete: the same semantics, with no `poll`
//! when the socket is already ready. Only a timed `accept` in the `poll`
//! fallback waits before its first attempt, as CPython's does: it has no
//! per-call non-blocking flag (below).
//!
//! # How a timed call waits
//!
//! **The kernel backstop.** On Linux, with a timeout of at least 50 ms
//! ([`backstop`]), the descriptor stays blocking and the kernel's own
//! timeouts, `SO_RCVTIMEO` and `SO_SNDTIMEO`, are set to a *backstop* a
//! little shorter than the timeout: `d - d/8 - 20 ms`. A receive, `accept`
//! or `connect` then sleeps in the kernel, one system call as in blocking
//! mode ([`Mode::Backstop`]), and the kernel wakes it by the backstop at the
//! latest: with `EWOULDBLOCK`, or `EINPROGRESS` for a `connect`, which goes
//! on in the background. A signal makes it fail with `EINTR` (Linux does not
//! restart a call that has a timeout). Either way the call goes on as any
//! timed call for what is left of its deadline: `poll`, then the call again
//! with `MSG_DONTWAIT`. The backstop fires before the deadline because the
//! kernel rounds a timeout up to whole ticks and its timer wheel fires long
//! ones up to an eighth late: the eighth and 20 ms (two ticks at 100 Hz)
//! cover both. So the end of the call is always decided by `poll`, which
//! keeps time to the millisecond: a timed call never ends early, and ends
//! late only by what `poll` and the scheduler add.
//!
//! **Sends** get no backstop: they are tried with `MSG_DONTWAIT` and wait in
//! `poll` ([`Timeouts::send`]). A blocking send on a stream sleeps
//! until all its data is queued, where a send in timeout mode returns what
//! fits once there is room, as CPython's does on its non-blocking
//! descriptor; and a send nearly always finds room at once, so trying it
//! first costs the one system call it makes anyway.
//!
//! **The `poll` fallback.** Timeouts under 50 ms, systems other than Linux,
//! and sockets whose kernel timeouts the user set put the descriptor in
//! `O_NONBLOCK`, as CPython does, and every wait is a `poll`
//! ([`Mode::Timed`]). Below 50 ms the backstop would be short (under 24 ms,
//! and nothing at all below 23 ms, where the margin takes all of it): it
//! would fire on most calls that have to wait, each of which would then pay
//! a `poll` after its kernel sleep.
//!
//! **`MSG_DONTWAIT` on every timed attempt.** `O_NONBLOCK` belongs to the
//! open file, which every `dup` shares: a `dup` set to blocking mode clears
//! it under this socket. Sends and receives therefore ask for a non-blocking
//! call themselves, so that a timed call never turns into an endless one.
//! `accept` has no such flag: in timeout mode it waits for readiness before
//! each attempt ([`Attempt::WaitFirst`]), but the first under a backstop,
//! which sleeps in the kernel. `connect` is made once and goes on in the
//! background ([`sock_connect`]); the call then waits for writability before
//! each reading of its outcome.
//!
//! # Kernel timeouts are shared
//!
//! Kernel timeouts belong to the socket, not to one descriptor: every `dup`,
//! a forked process's copy, and (on Linux) every socket `accept` returns
//! share or inherit them. What a socket knows of them is its
//! [`KernelTimeouts`]. The rules that keep every sharer correct:
//!
//! - The crate only ever *lowers* a backstop while a socket is in its hands:
//!   a longer timeout, or blocking mode, leaves a shorter one in place.
//!   Whoever set it, the kernel then wakes every timed call sharing the
//!   socket no later than its own deadline; a wake-up before the deadline
//!   costs one `poll`.
//! - A blocking call on a socket that may carry a crate backstop waits out
//!   the `EWOULDBLOCK` it gets ([`Mode::BlockingUnderBackstop`]): it waits in
//!   `poll` with no limit and retries.
//! - `SO_RCVTIMEO` and `SO_SNDTIMEO` set through `Socket::setsockopt`, or
//!   found on a socket when it is adopted, are the user's: the crate leaves
//!   them alone, a blocking call ends with `WouldBlock` when they fire, as in
//!   CPython ([`Mode::Blocking`]), and timeout mode uses the `poll` fallback.
//!   Kernel timeouts set behind the crate's back (through `as_socket2` or a
//!   raw `setsockopt`) cannot be told from its backstop once it has set one:
//!   blocking calls then wait them out. On a socket that never had a
//!   backstop they end blocking calls as the user's do.
//! - A socket leaving the crate (`detach`, `into_socket2`, the conversions
//!   to std and `OwnedFd`) has the crate's backstop cleared, so that std sees
//!   no timeout it did not set, and in timeout mode `O_NONBLOCK` set
//!   ([`Timeouts::release`]). A `dup` left in the crate then waits in `poll`
//!   if it is in timeout mode and non-blocking; if the socket that left was
//!   in blocking mode, the `dup`'s next timed receive sleeps in the kernel
//!   with no backstop until a `settimeout` sets one again.
//!
//! # Retries
//!
//! A call interrupted by a signal is retried (PEP 475); a timed call waits
//! for readiness first when it has no per-call non-blocking flag. A
//! readiness that the call then denies (`EWOULDBLOCK` after the wait) is
//! waited out again, as in CPython, but never past the deadline: a
//! descriptor that stays ready while the call keeps saying `EWOULDBLOCK`
//! times out on time instead of spinning. When the wait saw a hang-up or an
//! error, which no wait clears, the call's `EWOULDBLOCK` is returned at once,
//! as in blocking mode (a UDP socket shut down for reading by another thread
//! wakes its reader so).
//!
//! A call started in blocking mode that gets `EWOULDBLOCK` (or a blocking
//! `connect` that gets `EINPROGRESS`) found either the descriptor made
//! non-blocking under it (by another thread's `settimeout`, or a `dup`'s) or
//! a backstop: it waits for readiness as the blocking call it is, and
//! retries, rather than fail (which, in `sendall`, would lose count of what
//! was sent). Only a kernel timeout the user set ends it.
//!
//! # The cost of a call
//!
//! The first attempt of every call is inlined into its caller ([`sock_call`]):
//! in blocking and non-blocking mode, and in timeout mode when it succeeds,
//! a call is that one system call and a match on its [`Mode`], with no clock
//! read (one under a backstop, the start of its deadline). Everything after a
//! failed attempt, the waits and retries, is out of line and `#[cold]`.

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
struct TimeoutCell(AtomicU64);

impl TimeoutCell {
    fn new(timeout: Option<Duration>) -> TimeoutCell {
        TimeoutCell(AtomicU64::new(encode(timeout)))
    }

    #[inline]
    fn get(&self) -> Option<Duration> {
        decode(self.0.load(Ordering::Relaxed))
    }

    fn set(&self, timeout: Option<Duration>) {
        self.0.store(encode(timeout), Ordering::Relaxed);
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

#[inline]
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
/// the timeout: two clock ticks at 100 Hz (see the module docs).
const BACKSTOP_MARGIN: Duration = Duration::from_millis(20);

/// The kernel timeout that backs up a call with `timeout`, if it gets one.
fn backstop(timeout: Duration) -> Option<Duration> {
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
/// `SO_SNDTIMEO`), which timeout mode uses as a backstop. They are shared
/// with every `dup` of the socket (see the module docs, "Kernel timeouts are
/// shared").
#[derive(Debug)]
struct KernelTimeouts(AtomicU8);

impl KernelTimeouts {
    /// A socket the crate created: no kernel timeouts.
    fn none() -> KernelTimeouts {
        KernelTimeouts(AtomicU8::new(0))
    }

    /// What a `dup` of this socket, or a socket accepted on it (which
    /// inherits its kernel timeouts), knows.
    fn inherit(&self) -> KernelTimeouts {
        KernelTimeouts(AtomicU8::new(self.0.load(Ordering::Relaxed)))
    }

    fn set_crate_backstop(&self) {
        self.0.fetch_or(CRATE_BACKSTOP, Ordering::Relaxed);
    }

    fn set_user(&self) {
        self.0.fetch_or(USER_TIMEOUTS, Ordering::Relaxed);
    }

    /// Whether the user set kernel timeouts: they are left alone, and timeout
    /// mode waits with `poll` on an `O_NONBLOCK` descriptor.
    fn user_set(&self) -> bool {
        self.0.load(Ordering::Relaxed) & USER_TIMEOUTS != 0
    }

    /// Whether the kernel timeouts, if any, are backstops the crate set.
    #[inline]
    fn crate_backstop(&self) -> bool {
        self.0.load(Ordering::Relaxed) == CRATE_BACKSTOP
    }
}

/// What is known of a descriptor's `O_NONBLOCK` when its mode is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Descriptor {
    /// Just created, so blocking: blocking mode needs no call.
    Blocking,
    /// It may be non-blocking: a socket in use, or one `accept` returned
    /// where it inherits the listener's `O_NONBLOCK`.
    MaybeNonBlocking,
}

/// The timeout engine's state in a socket: its timeout (the mode) and what it
/// knows of its kernel timeouts. It gives each call its [`Mode`], and puts
/// the descriptor in the mode the timeout asks for.
#[derive(Debug)]
pub(crate) struct Timeouts {
    timeout: TimeoutCell,
    kernel: KernelTimeouts,
}

impl Timeouts {
    /// A socket just made (so blocking, with no kernel timeouts), put in the
    /// mode `timeout` asks for.
    pub(crate) fn new(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<Timeouts> {
        Timeouts::install(fd, timeout, Descriptor::Blocking, KernelTimeouts::none())
    }

    /// A socket `accept` returned on this one, put in the mode `timeout` asks
    /// for. It inherits the listener's kernel timeouts, and where `accept4`
    /// is not used (`sys::ACCEPT_CLEARS_NONBLOCK`), maybe its `O_NONBLOCK`.
    pub(crate) fn accepted(
        &self,
        fd: BorrowedFd<'_>,
        timeout: Option<Duration>,
    ) -> io::Result<Timeouts> {
        let descriptor = if sys::ACCEPT_CLEARS_NONBLOCK {
            Descriptor::Blocking
        } else {
            Descriptor::MaybeNonBlocking
        };
        Timeouts::install(fd, timeout, descriptor, self.kernel.inherit())
    }

    fn install(
        fd: BorrowedFd<'_>,
        timeout: Option<Duration>,
        descriptor: Descriptor,
        kernel: KernelTimeouts,
    ) -> io::Result<Timeouts> {
        let timeouts = Timeouts {
            timeout: TimeoutCell::new(timeout),
            kernel,
        };
        if timeout.is_some() || descriptor == Descriptor::MaybeNonBlocking {
            timeouts.set_mode(fd, timeout, descriptor)?;
        }
        Ok(timeouts)
    }

    /// A socket adopted from elsewhere, in the mode `timeout` says its
    /// descriptor is in (which is left as it is). Kernel timeouts set before
    /// the crate saw the socket are the user's.
    pub(crate) fn adopted(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> Timeouts {
        let user_set =
            sys::kernel_timeouts(fd).is_ok_and(|(read, write)| read.is_some() || write.is_some());
        Timeouts {
            timeout: TimeoutCell::new(timeout),
            kernel: KernelTimeouts(AtomicU8::new(if user_set { USER_TIMEOUTS } else { 0 })),
        }
    }

    /// A `dup`'s: the same timeout, and the same (shared) kernel timeouts.
    pub(crate) fn dup(&self) -> Timeouts {
        Timeouts {
            timeout: TimeoutCell::new(self.get()),
            kernel: self.kernel.inherit(),
        }
    }

    /// The timeout: `None` in blocking mode, `Some(ZERO)` in non-blocking mode.
    #[inline]
    pub(crate) fn get(&self) -> Option<Duration> {
        self.timeout.get()
    }

    /// Loads the timeout's cache line, and so the socket's, for a call to
    /// come, without waiting for it.
    #[inline(always)]
    pub(crate) fn touch(&self) {
        std::hint::black_box(self.timeout.0.load(Ordering::Relaxed));
    }

    /// `settimeout`: puts the descriptor in the mode `timeout` asks for, then
    /// makes it the mode of the calls that start from now on.
    pub(crate) fn set(&self, fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
        self.set_mode(fd, timeout, Descriptor::MaybeNonBlocking)?;
        self.timeout.set(timeout);
        Ok(())
    }

    /// The user set `SO_RCVTIMEO` or `SO_SNDTIMEO`: the crate leaves the
    /// kernel timeouts alone from now on, so a socket in timeout mode moves
    /// to the `poll` fallback.
    pub(crate) fn yield_kernel_timeouts(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.kernel.set_user();
        self.set_mode(fd, self.get(), Descriptor::MaybeNonBlocking)
    }

    /// Puts the descriptor in the mode `timeout` asks for: `O_NONBLOCK` in
    /// non-blocking mode and in timeout mode without a backstop; blocking,
    /// with the kernel timeouts lowered to the backstop, in timeout mode with
    /// one. Blocking mode leaves a backstop in place (it is only lowered).
    fn set_mode(
        &self,
        fd: BorrowedFd<'_>,
        timeout: Option<Duration>,
        descriptor: Descriptor,
    ) -> io::Result<()> {
        match timeout.and_then(backstop) {
            Some(limit) if !self.kernel.user_set() => {
                if descriptor == Descriptor::MaybeNonBlocking {
                    sys::set_nonblocking(fd, false)?;
                }
                sys::lower_kernel_timeouts(fd, limit, self.kernel.crate_backstop())?;
                self.kernel.set_crate_backstop();
                Ok(())
            }
            _ => sys::set_nonblocking(fd, timeout.is_some()),
        }
    }

    /// Readies the descriptor for life outside the crate: a backstop the crate
    /// set is cleared (std would take it for a timeout of its own), and in
    /// timeout mode the descriptor is made non-blocking, as it is documented
    /// to leave. Best effort: the descriptor is given up either way.
    pub(crate) fn release(&self, fd: BorrowedFd<'_>) {
        if !self.kernel.crate_backstop() {
            return;
        }
        let _ = sys::set_kernel_timeouts(fd, None);
        if self.get().is_some() {
            let _ = sys::set_nonblocking(fd, true);
        }
    }

    /// The plan of a call whose every attempt must be non-blocking, and that
    /// waits in `poll` only: TLS, which makes its system calls with
    /// `MSG_DONTWAIT` so that no lock it holds is ever held across a sleep
    /// in the kernel. Blocking mode waits in `poll` with no limit (as a
    /// blocking `connect` whose outcome is pending does), non-blocking mode
    /// answers `WouldBlock`, timeout mode waits against its clock; never
    /// under a backstop.
    #[cfg(feature = "ssl")]
    #[inline]
    pub(crate) fn polled(&self) -> Plan {
        match self.get() {
            None => Plan {
                mode: Mode::Timed,
                clock: Clock::Unbounded,
            },
            Some(timeout) => Plan::timed(timeout),
        }
    }

    /// The plan of a receive that TLS makes within a call that `polled`
    /// planned (`call`). A TLS reader waits holding only its own turn (no
    /// lock a writer needs), so it may sleep in the kernel as a plain
    /// receive does ([`receive`](Timeouts::receive)): one blocking `recv` in
    /// blocking mode, rather than a `recv` that fails, a `poll` and the
    /// `recv` again; in timeout mode, while the call's clock has not
    /// started, a first attempt under the backstop. Otherwise `call`.
    /// [`Plan::received`] takes back what the receive made of its clock.
    #[cfg(feature = "ssl")]
    #[inline]
    pub(crate) fn polled_receive(&self, call: Plan) -> Plan {
        match (call.mode, call.clock, self.get()) {
            (Mode::Timed, Clock::Unbounded, None) => self.blocking(0),
            (Mode::Timed, Clock::Unstarted(left), Some(timeout)) if left == timeout => {
                self.receive(0)
            }
            _ => call,
        }
    }

    /// The plan of a send that starts now with the `MSG_*` `flags`: never
    /// under a backstop (see the module docs).
    #[inline]
    pub(crate) fn send(&self, flags: libc::c_int) -> Plan {
        match self.get() {
            None => self.blocking(flags),
            Some(timeout) => Plan::timed(timeout),
        }
    }

    /// The plan of a receive, `accept` or `connect` that starts now with the
    /// `MSG_*` `flags`: under a backstop when its timeout gets one and the
    /// socket carries the crate's.
    #[inline]
    pub(crate) fn receive(&self, flags: libc::c_int) -> Plan {
        match self.get() {
            None => self.blocking(flags),
            Some(timeout) if gets_backstop(timeout) && self.kernel.crate_backstop() => Plan {
                mode: Mode::Backstop,
                clock: Clock::Unstarted(timeout),
            },
            Some(timeout) => Plan::timed(timeout),
        }
    }

    /// The plan of a call in blocking mode: a call given `MSG_DONTWAIT` is a
    /// non-blocking call.
    #[inline]
    fn blocking(&self, flags: libc::c_int) -> Plan {
        let mode = if flags & libc::MSG_DONTWAIT != 0 {
            Mode::NonBlocking
        } else if self.kernel.crate_backstop() {
            Mode::BlockingUnderBackstop
        } else {
            Mode::Blocking
        };
        Plan::untimed(mode)
    }
}

/// How one call behaves: the socket's mode when the call started, told what
/// the call may meet in the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Blocking mode: the call sleeps in the kernel for as long as it must.
    /// A kernel timeout the user set (`SO_RCVTIMEO`) ends it with
    /// `WouldBlock`, as in CPython.
    Blocking,
    /// Blocking mode on a socket that may carry a crate backstop: every
    /// `EWOULDBLOCK` is waited out.
    BlockingUnderBackstop,
    /// Non-blocking mode (or a call given `MSG_DONTWAIT`): `WouldBlock` is the
    /// caller's answer.
    NonBlocking,
    /// Timeout mode under a kernel backstop: the first attempt sleeps in the
    /// kernel, which wakes it before the deadline, and the clock starts with
    /// it. After that attempt the call is [`Mode::Timed`].
    Backstop,
    /// Timeout mode: the call is tried with `MSG_DONTWAIT` and waits in
    /// `poll` against its clock.
    Timed,
}

impl Mode {
    /// Whether the call waits in user space, against its clock.
    fn is_timed(self) -> bool {
        matches!(self, Mode::Backstop | Mode::Timed)
    }

    /// Whether a blocking-mode call that got `EWOULDBLOCK` (or a blocking
    /// `connect` that got `EINPROGRESS`) waits and retries: always on a
    /// socket that may carry a crate backstop, else unless the user's kernel
    /// timeout ended it.
    fn blocking_call_waits(self, fd: BorrowedFd<'_>, interest: Interest) -> bool {
        match self {
            Mode::BlockingUnderBackstop => true,
            Mode::Blocking => sys::no_kernel_timeout(fd, interest),
            _ => false,
        }
    }
}

/// When a timed call gives up. The clock starts lazily: see the module docs
/// for when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clock {
    /// Not started: the call has this long from when it starts.
    Unstarted(Duration),
    /// Started: the call gives up at this instant.
    At(Instant),
    /// No limit: a call that is not timed, a timeout too long to be an
    /// `Instant`, or a blocking call waiting in `poll`.
    Unbounded,
}

impl Clock {
    /// The clock of a wait of `timeout` (`None`: no limit), not started.
    #[inline]
    pub(crate) fn after(timeout: Option<Duration>) -> Clock {
        timeout.map_or(Clock::Unbounded, Clock::Unstarted)
    }

    /// A clock of `timeout` that started at `now`: the one place a deadline
    /// is set.
    fn started_at(now: Instant, timeout: Duration) -> Clock {
        now.checked_add(timeout).map_or(Clock::Unbounded, Clock::At)
    }

    /// Starts the clock if it has not started. Returns all of its timeout if
    /// it started now (what is left, without a second reading of the clock).
    #[inline]
    fn start(&mut self) -> Option<Duration> {
        let Clock::Unstarted(timeout) = *self else {
            return None;
        };
        *self = Clock::started_at(Instant::now(), timeout);
        Some(timeout)
    }

    /// When a started clock runs out (`None`: no limit).
    #[inline]
    fn deadline(self) -> Option<Instant> {
        match self {
            Clock::At(at) => Some(at),
            Clock::Unstarted(_) | Clock::Unbounded => None,
        }
    }

    /// Whether the clock has run out (never, unless started).
    #[inline]
    fn has_passed(self) -> bool {
        matches!(self, Clock::At(at) if Instant::now() >= at)
    }
}

/// One call's plan: how it behaves ([`Mode`]) and its deadline ([`Clock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    mode: Mode,
    clock: Clock,
}

impl Plan {
    /// A call in blocking or non-blocking mode: no deadline.
    fn untimed(mode: Mode) -> Plan {
        Plan {
            mode,
            clock: Clock::Unbounded,
        }
    }

    /// A call that makes one attempt and never waits, whatever the socket's
    /// mode: for what is sent only if the socket takes it at once (TLS's
    /// `close_notify` on close).
    #[cfg(feature = "ssl")]
    pub(crate) fn non_blocking() -> Plan {
        Plan::untimed(Mode::NonBlocking)
    }

    /// A call in timeout mode with `timeout` and no backstop; in
    /// non-blocking mode for a zero timeout.
    #[inline]
    fn timed(timeout: Duration) -> Plan {
        if timeout.is_zero() {
            Plan::untimed(Mode::NonBlocking)
        } else {
            Plan {
                mode: Mode::Timed,
                clock: Clock::Unstarted(timeout),
            }
        }
    }

    /// Takes back into a TLS call's plan (from `polled`) what its receive,
    /// planned by [`Timeouts::polled_receive`], made of the clock: a timed
    /// call's deadline, started under the backstop. A blocking receive has
    /// none, and leaves the call's plan as it was.
    #[cfg(feature = "ssl")]
    #[inline]
    pub(crate) fn received(&mut self, receive: Plan) {
        if self.mode.is_timed() && receive.mode.is_timed() {
            *self = receive;
        }
    }

    /// Starts the clock of a timed call now, if it has not started: for an
    /// operation of several system calls (`sendall`) once the first has done
    /// part of the work, so that the rest counts against one deadline.
    pub(crate) fn start_clock(&mut self) {
        if self.mode.is_timed() {
            self.mode = Mode::Timed;
            self.clock.start();
        }
    }
}

/// When a timed call waits for readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// After an attempt that found the socket not ready: for a send or a
    /// receive, which a per-call `MSG_DONTWAIT` keeps from sleeping in the
    /// kernel.
    TryFirst,
    /// Before every attempt but a backstop's first: for a call that has no
    /// per-call non-blocking flag (`accept`), or whose completion only shows
    /// as readiness (`connect`'s outcome).
    WaitFirst,
}

/// Runs one socket call to completion: CPython's `sock_call_ex`.
///
/// `op` is tried at once (in timeout mode with [`Attempt::WaitFirst`],
/// after a wait), then retried as the module docs tell until it completes,
/// fails, or the deadline passes. `op` receives the flags a send or receive
/// must add: `MSG_DONTWAIT` when the call waits in user space.
///
/// The first attempt is inlined into every caller; everything after a
/// failed attempt (the waits and retries) is out of line, in
/// [`sock_call_retry`].
#[inline]
pub(crate) fn sock_call<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    plan: Plan,
    attempt: Attempt,
    op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let mut plan = plan;
    sock_call_in(fd, interest, &mut plan, attempt, op)
}

/// [`sock_call`], leaving in `plan` what the call made of it: its clock
/// started if it waited. For a caller that makes several calls against one
/// deadline (`sendall`).
#[inline]
pub(crate) fn sock_call_in<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    plan: &mut Plan,
    attempt: Attempt,
    mut op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let first = *plan;
    let (failed, next) = if attempt == Attempt::WaitFirst && first.mode == Mode::Timed {
        (None, first)
    } else {
        match attempt_first(first, &mut op) {
            Ok(value) => return Ok(value),
            Err((err, next)) => (Some(err), next),
        }
    };
    // The retry gets a plan of its own, so that `plan` never has its address
    // taken on the inlined path and can stay in registers.
    let mut next = next;
    let result = sock_call_retry(fd, interest, &mut next, attempt, failed, op);
    *plan = next;
    result
}

/// A call's first attempt: its value, or its error and the plan the call
/// goes on with. Under a backstop the attempt is a blocking system call,
/// which the kernel's timeout wakes before the deadline: the clock starts
/// just before it (the time is read before, the deadline set only if the
/// attempt fails), and if it fails (`EWOULDBLOCK`, `EINPROGRESS`, `EINTR`)
/// the call goes on as a [`Mode::Timed`] one for what is left.
#[inline(always)]
fn attempt_first<T>(
    plan: Plan,
    op: impl FnOnce(libc::c_int) -> io::Result<T>,
) -> std::result::Result<T, (io::Error, Plan)> {
    // One call site for `op`, so that the system call is inlined once.
    let (flags, started) = match (plan.mode, plan.clock) {
        (Mode::Backstop, Clock::Unstarted(_)) => (0, Some(Instant::now())),
        (Mode::Backstop | Mode::Timed, _) => (libc::MSG_DONTWAIT, None),
        (Mode::Blocking | Mode::BlockingUnderBackstop | Mode::NonBlocking, _) => (0, None),
    };
    op(flags).map_err(|err| (err, plan.after_first_attempt(started)))
}

impl Plan {
    /// What a call goes on with after a first attempt that failed: a timed
    /// call goes on as [`Mode::Timed`], its clock started at `started` if the
    /// attempt was a blocking one under a backstop.
    #[cold]
    fn after_first_attempt(self, started: Option<Instant>) -> Plan {
        match (self.mode, self.clock, started) {
            (Mode::Backstop, Clock::Unstarted(timeout), Some(now)) => Plan {
                mode: Mode::Timed,
                clock: Clock::started_at(now, timeout),
            },
            (Mode::Backstop | Mode::Timed, _, _) => Plan {
                mode: Mode::Timed,
                ..self
            },
            _ => self,
        }
    }
}

/// The rest of a [`sock_call`] whose first attempt failed with `failed`
/// (`None`: a call that waits before its first attempt).
#[cold]
#[inline(never)]
fn sock_call_retry<T>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    plan: &mut Plan,
    attempt: Attempt,
    mut failed: Option<io::Error>,
    mut op: impl FnMut(libc::c_int) -> io::Result<T>,
) -> Result<T> {
    let timed = plan.mode.is_timed();
    let call_flags = if timed { libc::MSG_DONTWAIT } else { 0 };
    let mut hung_up = false;
    if failed.is_none() && timed {
        hung_up = wait(fd, interest, &mut plan.clock)?;
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
                if attempt == Attempt::WaitFirst && timed {
                    hung_up = wait(fd, interest, &mut plan.clock)?;
                }
            }
            io::ErrorKind::WouldBlock if timed && !hung_up => {
                if plan.clock.has_passed() {
                    return Err(Error::Timeout);
                }
                hung_up = wait(fd, interest, &mut plan.clock)?;
            }
            io::ErrorKind::WouldBlock
                if !hung_up && plan.mode.blocking_call_waits(fd, interest) =>
            {
                hung_up = wait(fd, interest, &mut Clock::Unbounded)?;
            }
            _ => return Err(Error::Io(err)),
        }
    }
}

/// Connects: CPython's `internal_connect`. `connect` makes the system call;
/// `outcome` reads how the connection went (`SO_ERROR`) once the socket is
/// writable.
///
/// A `connect` that cannot complete at once (`EINPROGRESS`: a non-blocking
/// descriptor, or a backstop that fired) or was interrupted by a signal
/// (which cannot be restarted) goes on in the background: the call waits for
/// writability and reads the outcome, against the deadline in timeout mode
/// and with no limit in blocking mode. In non-blocking mode it returns
/// `EINPROGRESS`.
pub(crate) fn sock_connect(
    fd: BorrowedFd<'_>,
    plan: Plan,
    connect: impl FnOnce() -> io::Result<()>,
    mut outcome: impl FnMut() -> io::Result<()>,
) -> Result<()> {
    let (err, plan) = match attempt_first(plan, |_| connect()) {
        Ok(()) => return Ok(()),
        Err(failed) => failed,
    };
    let unbounded = Plan {
        mode: Mode::Timed,
        clock: Clock::Unbounded,
    };
    let blocking = matches!(plan.mode, Mode::Blocking | Mode::BlockingUnderBackstop);
    let wait = match err.raw_os_error() {
        Some(libc::EINTR | libc::EINPROGRESS) if plan.mode.is_timed() => plan,
        Some(libc::EINTR) if blocking => unbounded,
        Some(libc::EINTR) => return Err(Error::from_errno(libc::EINPROGRESS)),
        // A blocking connect that did not block: another thread made the
        // descriptor non-blocking under it, or a backstop ended it.
        Some(libc::EINPROGRESS) if plan.mode.blocking_call_waits(fd, Interest::Write) => unbounded,
        _ => return Err(Error::Io(err)),
    };
    sock_call(fd, Interest::Write, wait, Attempt::WaitFirst, |_| outcome())
}

/// Waits for readiness against `clock`, starting it if this is the call's
/// first wait. Returns whether the descriptor reported a hang-up or an error
/// (see `sys::poll`).
fn wait(fd: BorrowedFd<'_>, interest: Interest, clock: &mut Clock) -> Result<bool> {
    wait_until(clock, |remaining| sys::poll(fd, interest, remaining))
}

/// The one wait loop, shared by the engine, [`select`](crate::select()) and
/// [`Selector`](crate::Selector): calls `poll` with what is left of `clock`
/// (`None`: no limit) until it reports readiness (`Some`), and fails with
/// [`Error::Timeout`] once the clock has run out. An unstarted clock starts
/// here.
///
/// `poll` runs at least once, even when the deadline has already passed (a
/// zero timeout still looks). A wait interrupted by a signal (`EINTR`), or one
/// that ends early by its own clock or spuriously (`Ok(None)`), is retried
/// with the time that remains (PEP 475).
#[inline]
pub(crate) fn wait_until<T>(
    clock: &mut Clock,
    poll: impl FnMut(Option<Duration>) -> io::Result<Option<T>>,
) -> Result<T> {
    // All of the timeout is left when the clock starts now: no second
    // reading of the clock for the first wait.
    let left = clock.start();
    wait_from(clock.deadline(), left, poll)
}

/// [`wait_until`]'s loop, against `deadline` (`None`: no limit), told what
/// is left of it for the first wait when the clock has just started (`None`:
/// read it here).
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const HOUR: Duration = Duration::from_secs(3600);

    fn timeouts(timeout: Option<Duration>, kernel: u8) -> Timeouts {
        Timeouts {
            timeout: TimeoutCell::new(timeout),
            kernel: KernelTimeouts(AtomicU8::new(kernel)),
        }
    }

    #[test]
    fn timeouts_round_trip_through_their_encoding() {
        for timeout in [
            None,
            Some(Duration::ZERO),
            Some(Duration::from_nanos(1)),
            Some(Duration::from_millis(50)),
            Some(HOUR),
            Some(Duration::from_nanos(u64::MAX - 1)),
        ] {
            assert_eq!(decode(encode(timeout)), timeout);
            let cell = TimeoutCell::new(None);
            cell.set(timeout);
            assert_eq!(cell.get(), timeout);
        }
    }

    #[test]
    fn huge_timeouts_stay_timeouts() {
        let longest = Some(Duration::from_nanos(u64::MAX - 1));
        for huge in [
            Duration::from_nanos(u64::MAX),
            Duration::from_secs(u64::MAX),
            Duration::MAX,
        ] {
            assert_eq!(encode(Some(huge)), BLOCKING - 1);
            assert_eq!(decode(encode(Some(huge))), longest);
        }
        assert_eq!(encode(None), BLOCKING);
    }

    #[test]
    fn backstops_fire_before_the_timeout_and_only_for_long_ones() {
        assert_eq!(backstop(Duration::ZERO), None);
        assert_eq!(backstop(Duration::from_millis(49)), None);
        if !sys::KERNEL_BACKSTOP {
            assert_eq!(backstop(HOUR), None);
            return;
        }
        // 50 ms - 6.25 ms - 20 ms; 1 s - 125 ms - 20 ms.
        assert_eq!(
            backstop(Duration::from_millis(50)),
            Some(Duration::from_micros(23_750))
        );
        assert_eq!(backstop(SECOND), Some(Duration::from_millis(855)));
        for timeout in [Duration::from_millis(50), SECOND, HOUR, Duration::MAX] {
            let limit = backstop(timeout).expect("a backstop");
            assert!(limit < timeout && limit >= timeout - timeout / 8 - BACKSTOP_MARGIN);
        }
    }

    fn timed(timeout: Duration) -> Plan {
        Plan {
            mode: Mode::Timed,
            clock: Clock::Unstarted(timeout),
        }
    }

    #[test]
    fn each_mode_plans_its_calls() {
        let dontwait = libc::MSG_DONTWAIT;
        let blocking = Plan::untimed(Mode::Blocking);
        let non_blocking = Plan::untimed(Mode::NonBlocking);
        let under_backstop = Plan::untimed(Mode::BlockingUnderBackstop);
        let short = Duration::from_millis(10);
        let cases = [
            (None, 0, 0, blocking),
            (None, 0, dontwait, non_blocking),
            (None, CRATE_BACKSTOP, 0, under_backstop),
            (None, CRATE_BACKSTOP, dontwait, non_blocking),
            // The user's kernel timeouts end a blocking call.
            (None, USER_TIMEOUTS, 0, blocking),
            (None, USER_TIMEOUTS | CRATE_BACKSTOP, 0, blocking),
            (Some(Duration::ZERO), CRATE_BACKSTOP, 0, non_blocking),
            (Some(SECOND), 0, 0, timed(SECOND)),
            // Timeout mode ignores a MSG_DONTWAIT of the caller's.
            (Some(SECOND), 0, dontwait, timed(SECOND)),
            (Some(SECOND), USER_TIMEOUTS, 0, timed(SECOND)),
            // Too short for a backstop, though the socket carries one.
            (Some(short), CRATE_BACKSTOP, 0, timed(short)),
        ];
        for (timeout, kernel, flags, plan) in cases {
            let timeouts = timeouts(timeout, kernel);
            let case = (timeout, kernel, flags);
            assert_eq!(timeouts.send(flags), plan, "send: {case:?}");
            assert_eq!(timeouts.receive(flags), plan, "receive: {case:?}");
        }
        // Only receives sleep under a backstop, and only where there is one.
        let under = timeouts(Some(SECOND), CRATE_BACKSTOP);
        assert_eq!(under.send(0), timed(SECOND));
        let receive = if sys::KERNEL_BACKSTOP {
            Plan {
                mode: Mode::Backstop,
                clock: Clock::Unstarted(SECOND),
            }
        } else {
            timed(SECOND)
        };
        assert_eq!(under.receive(0), receive);
    }

    #[test]
    fn kernel_timeouts_are_inherited_and_the_users_win() {
        let kernel = KernelTimeouts::none();
        assert!(!kernel.crate_backstop() && !kernel.user_set());
        kernel.set_crate_backstop();
        assert!(kernel.inherit().crate_backstop());
        kernel.set_user();
        assert!(kernel.user_set() && !kernel.crate_backstop());
        let timeouts = timeouts(None, CRATE_BACKSTOP);
        assert_eq!(
            timeouts.dup().receive(0),
            Plan::untimed(Mode::BlockingUnderBackstop)
        );
    }

    #[test]
    fn clocks_start_once_and_count_down() {
        let now = Instant::now();
        assert_eq!(Clock::started_at(now, SECOND), Clock::At(now + SECOND));
        assert_eq!(Clock::started_at(now, Duration::MAX), Clock::Unbounded);
        assert_eq!(Clock::after(None), Clock::Unbounded);

        let mut clock = Clock::after(Some(HOUR));
        assert_eq!(clock.deadline(), None);
        assert!(!clock.has_passed());
        assert_eq!(clock.start(), Some(HOUR));
        let Clock::At(at) = clock else {
            panic!("not started: {clock:?}");
        };
        assert!(at >= now + HOUR);
        assert_eq!(clock.start(), None, "a clock starts once");
        assert_eq!(clock.deadline(), Some(at));
        assert!(!clock.has_passed());

        let mut forever = Clock::after(Some(Duration::MAX));
        assert_eq!(forever.start(), Some(Duration::MAX));
        assert_eq!(forever, Clock::Unbounded);
        assert_eq!(forever.deadline(), None);
        assert!(!forever.has_passed());

        assert!(Clock::At(now).has_passed());
    }

    /// Polled plans never let an attempt sleep in the kernel: blocking mode
    /// waits in `poll` with no limit, whatever backstop the socket carries.
    #[cfg(feature = "ssl")]
    #[test]
    fn polled_plans_never_sleep_in_the_kernel() {
        let unbounded = Plan {
            mode: Mode::Timed,
            clock: Clock::Unbounded,
        };
        for kernel in [0, CRATE_BACKSTOP, USER_TIMEOUTS] {
            assert_eq!(timeouts(None, kernel).polled(), unbounded);
            assert_eq!(
                timeouts(Some(Duration::ZERO), kernel).polled(),
                Plan::untimed(Mode::NonBlocking)
            );
            assert_eq!(timeouts(Some(SECOND), kernel).polled(), timed(SECOND));
        }
    }

    #[cfg(feature = "ssl")]
    #[test]
    fn tls_receives_sleep_in_the_kernel_as_plain_ones_do() {
        for kernel in [0, CRATE_BACKSTOP, USER_TIMEOUTS] {
            for timeout in [None, Some(Duration::ZERO), Some(SECOND)] {
                let t = timeouts(timeout, kernel);
                // A call whose clock has not started receives as a plain
                // receive does, and takes back the clock the receive started.
                let call = t.polled();
                let receive = t.polled_receive(call);
                assert_eq!(receive, t.receive(0), "{timeout:?} {kernel}");
                let mut back = call;
                back.received(receive);
                let expected = if timeout.is_none() { call } else { receive };
                assert_eq!(back, expected);
            }
            // Once the clock has started, the call's own plan.
            let mut call = timeouts(Some(SECOND), kernel).polled();
            call.start_clock();
            assert_eq!(timeouts(Some(SECOND), kernel).polled_receive(call), call);
        }
    }

    #[test]
    fn only_a_timed_plan_starts_its_clock() {
        for mode in [
            Mode::Blocking,
            Mode::BlockingUnderBackstop,
            Mode::NonBlocking,
        ] {
            let mut plan = Plan::untimed(mode);
            plan.start_clock();
            assert_eq!(plan, Plan::untimed(mode));
            assert!(!mode.is_timed());
        }
        for mode in [Mode::Timed, Mode::Backstop] {
            let mut plan = Plan {
                mode,
                clock: Clock::Unstarted(HOUR),
            };
            plan.start_clock();
            assert_eq!(plan.mode, Mode::Timed);
            assert!(matches!(plan.clock, Clock::At(_)));
        }
    }

    /// A `poll` that answers from `script` and records what it was given.
    struct ScriptedPoll {
        script: RefCell<VecDeque<io::Result<Option<u8>>>>,
        given: RefCell<Vec<Option<Duration>>>,
    }

    impl ScriptedPoll {
        fn new(script: impl IntoIterator<Item = io::Result<Option<u8>>>) -> ScriptedPoll {
            ScriptedPoll {
                script: RefCell::new(script.into_iter().collect()),
                given: RefCell::new(Vec::new()),
            }
        }

        fn poll(&self, remaining: Option<Duration>) -> io::Result<Option<u8>> {
            self.given.borrow_mut().push(remaining);
            self.script
                .borrow_mut()
                .pop_front()
                .expect("polled past the script")
        }

        fn given(&self) -> Vec<Option<Duration>> {
            self.given.borrow().clone()
        }
    }

    fn eintr() -> io::Result<Option<u8>> {
        Err(io::Error::from_raw_os_error(libc::EINTR))
    }

    #[test]
    fn the_wait_loop_retries_until_ready() {
        let poll = ScriptedPoll::new([Ok(None), eintr(), Ok(None), Ok(Some(7))]);
        let waited = wait_until(&mut Clock::Unbounded, |left| poll.poll(left));
        assert!(matches!(waited, Ok(7)));
        assert_eq!(poll.given(), [None; 4]);
    }

    #[test]
    fn the_wait_loop_starts_the_clock_with_all_of_the_timeout() {
        let poll = ScriptedPoll::new([eintr(), Ok(Some(1))]);
        let mut clock = Clock::after(Some(HOUR));
        assert!(matches!(
            wait_until(&mut clock, |left| poll.poll(left)),
            Ok(1)
        ));
        assert!(matches!(clock, Clock::At(_)));
        let given = poll.given();
        assert_eq!(given[0], Some(HOUR), "the first wait gets all of it");
        assert!(given[1].is_some_and(|left| left <= HOUR && left > HOUR - SECOND));
    }

    #[test]
    fn the_wait_loop_looks_once_when_the_deadline_passed() {
        let past = Instant::now();
        for answer in [Ok(None), eintr()] {
            let poll = ScriptedPoll::new([answer]);
            let waited = wait_until(&mut Clock::At(past), |left| poll.poll(left));
            assert!(matches!(waited, Err(Error::Timeout)));
            assert_eq!(poll.given(), [Some(Duration::ZERO)]);
        }
        // A zero timeout still looks, and readiness wins.
        let poll = ScriptedPoll::new([Ok(Some(3))]);
        let waited = wait_until(&mut Clock::after(Some(Duration::ZERO)), |left| {
            poll.poll(left)
        });
        assert!(matches!(waited, Ok(3)));
        assert_eq!(poll.given(), [Some(Duration::ZERO)]);
    }

    #[test]
    fn the_wait_loop_returns_other_errors() {
        let poll = ScriptedPoll::new([eintr(), Err(io::Error::from_raw_os_error(libc::EBADF))]);
        let waited = wait_until(&mut Clock::Unbounded, |left| poll.poll(left));
        assert!(matches!(waited, Err(Error::Io(err)) if err.raw_os_error() == Some(libc::EBADF)));
    }

    /// An `op` that answers from `script` and records the flags it was given.
    fn scripted_op(
        script: Vec<i32>,
        flags: &RefCell<Vec<libc::c_int>>,
    ) -> impl FnMut(libc::c_int) -> io::Result<usize> + '_ {
        let mut script = script.into_iter();
        move |given| {
            flags.borrow_mut().push(given);
            match script.next().expect("called past the script") {
                0 => Ok(5),
                errno => Err(io::Error::from_raw_os_error(errno)),
            }
        }
    }

    /// A connected pair whose first end is readable.
    fn readable_pair() -> (UnixStream, UnixStream) {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"x").unwrap();
        (a, b)
    }

    #[test]
    fn untimed_calls_retry_interrupts_only() {
        let (a, _b) = readable_pair();
        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EINTR, libc::EINTR, 0], &flags);
        let done = sock_call(
            a.as_fd(),
            Interest::Read,
            Plan::untimed(Mode::Blocking),
            Attempt::TryFirst,
            op,
        );
        assert!(matches!(done, Ok(5)));
        assert_eq!(*flags.borrow(), [0, 0, 0]);

        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EAGAIN], &flags);
        let done = sock_call(
            a.as_fd(),
            Interest::Read,
            Plan::untimed(Mode::NonBlocking),
            Attempt::TryFirst,
            op,
        );
        assert!(matches!(done, Err(Error::Io(err)) if err.kind() == io::ErrorKind::WouldBlock));
    }

    #[test]
    fn blocking_calls_wait_out_a_backstop() {
        let (a, _b) = readable_pair();
        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EAGAIN, 0], &flags);
        let plan = Plan::untimed(Mode::BlockingUnderBackstop);
        let done = sock_call(a.as_fd(), Interest::Read, plan, Attempt::TryFirst, op);
        assert!(matches!(done, Ok(5)));
        assert_eq!(*flags.borrow(), [0, 0]);
    }

    #[test]
    fn timed_calls_try_first_with_dontwait() {
        let (a, _b) = readable_pair();
        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EAGAIN, libc::EINTR, 0], &flags);
        let mut plan = timed(HOUR);
        let done = sock_call_in(a.as_fd(), Interest::Read, &mut plan, Attempt::TryFirst, op);
        assert!(matches!(done, Ok(5)));
        assert_eq!(*flags.borrow(), [libc::MSG_DONTWAIT; 3]);
        assert!(
            matches!(plan.clock, Clock::At(_)),
            "the wait started the clock"
        );
    }

    #[test]
    fn timed_calls_that_succeed_at_once_never_start_the_clock() {
        let (a, _b) = readable_pair();
        let flags = RefCell::new(Vec::new());
        let mut plan = timed(HOUR);
        let op = scripted_op(vec![0], &flags);
        let done = sock_call_in(a.as_fd(), Interest::Read, &mut plan, Attempt::TryFirst, op);
        assert!(matches!(done, Ok(5)));
        assert_eq!(plan, timed(HOUR));
    }

    #[test]
    fn wait_first_calls_wait_before_each_attempt_but_a_backstops_first() {
        let (a, _b) = readable_pair();
        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EINTR, 0], &flags);
        let mut plan = timed(HOUR);
        let done = sock_call_in(a.as_fd(), Interest::Read, &mut plan, Attempt::WaitFirst, op);
        assert!(matches!(done, Ok(5)));
        assert!(matches!(plan.clock, Clock::At(_)), "it waited first");

        let flags = RefCell::new(Vec::new());
        let op = scripted_op(vec![libc::EAGAIN, 0], &flags);
        let mut plan = Plan {
            mode: Mode::Backstop,
            clock: Clock::Unstarted(HOUR),
        };
        let done = sock_call_in(a.as_fd(), Interest::Read, &mut plan, Attempt::WaitFirst, op);
        assert!(matches!(done, Ok(5)));
        // The first attempt sleeps in the kernel; the next one, after a wait, does not.
        assert_eq!(*flags.borrow(), [0, libc::MSG_DONTWAIT]);
        assert_eq!(plan.mode, Mode::Timed);
        assert!(matches!(plan.clock, Clock::At(_)));
    }

    #[test]
    fn a_readiness_denied_for_ever_times_out() {
        let (a, _b) = readable_pair();
        let denied = |_| Err::<(), _>(io::Error::from_raw_os_error(libc::EAGAIN));
        let plan = timed(Duration::from_millis(20));
        let done = sock_call(a.as_fd(), Interest::Read, plan, Attempt::TryFirst, denied);
        assert!(matches!(done, Err(Error::Timeout)));
    }

    #[test]
    fn a_hang_up_ends_a_call_that_would_block() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let denied = |_| Err::<(), _>(io::Error::from_raw_os_error(libc::EAGAIN));
        let plan = timed(HOUR);
        let done = sock_call(a.as_fd(), Interest::Read, plan, Attempt::TryFirst, denied);
        assert!(matches!(done, Err(Error::Io(err)) if err.kind() == io::ErrorKind::WouldBlock));
    }
}
