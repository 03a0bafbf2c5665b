//! Python's `select.poll()` ([`Poll`]) and its `POLL*` event bits, for code
//! written against them: descriptors registered with an event mask, waited
//! on with one `poll(2)` call and a timeout in milliseconds.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sys;
use crate::timeout::{wait_until, Clock};

/// There is data to read: Python's `select.POLLIN`.
///
/// ```
/// use std::time::Duration;
/// use pysocket::{socketpair, Poll, POLLIN};
/// let (a, b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&b, POLLIN)?;
/// a.sendall(b"x")?;
/// assert_eq!(p.poll(Some(5000))?, [(b.fileno(), POLLIN)]);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const POLLIN: i16 = libc::POLLIN;
/// There is urgent (out-of-band) data to read: Python's `select.POLLPRI`.
///
/// ```
/// assert_eq!(pysocket::POLLPRI, 2);
/// ```
pub const POLLPRI: i16 = libc::POLLPRI;
/// Writing will not block: Python's `select.POLLOUT`.
///
/// ```
/// use pysocket::{socketpair, Poll, POLLOUT};
/// let (a, _b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&a, POLLOUT)?;
/// assert_eq!(p.poll(Some(0))?, [(a.fileno(), POLLOUT)]);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const POLLOUT: i16 = libc::POLLOUT;
/// An error on the descriptor (reported whether asked for or not): Python's
/// `select.POLLERR`.
///
/// ```
/// assert_eq!(pysocket::POLLERR, 8);
/// ```
pub const POLLERR: i16 = libc::POLLERR;
/// The peer hung up (reported whether asked for or not): Python's
/// `select.POLLHUP`.
///
/// ```
/// use pysocket::{socketpair, Poll, POLLHUP, POLLIN};
/// let (a, b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&b, POLLIN)?;
/// drop(a);
/// let ready = p.poll(Some(5000))?;
/// assert_ne!(ready[0].1 & POLLHUP, 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const POLLHUP: i16 = libc::POLLHUP;
/// The descriptor is not open (reported whether asked for or not): Python's
/// `select.POLLNVAL`.
///
/// ```
/// assert_eq!(pysocket::POLLNVAL, 32);
/// ```
pub const POLLNVAL: i16 = libc::POLLNVAL;
/// Normal data to read: Python's `select.POLLRDNORM`.
///
/// ```
/// assert_ne!(pysocket::POLLRDNORM, 0);
/// ```
pub const POLLRDNORM: i16 = libc::POLLRDNORM;
/// Priority data to read: Python's `select.POLLRDBAND`.
///
/// ```
/// assert_ne!(pysocket::POLLRDBAND, 0);
/// ```
pub const POLLRDBAND: i16 = libc::POLLRDBAND;
/// Normal data can be written: Python's `select.POLLWRNORM`.
///
/// ```
/// assert_ne!(pysocket::POLLWRNORM, 0);
/// ```
pub const POLLWRNORM: i16 = libc::POLLWRNORM;
/// Priority data can be written: Python's `select.POLLWRBAND`.
///
/// ```
/// assert_ne!(pysocket::POLLWRBAND, 0);
/// ```
pub const POLLWRBAND: i16 = libc::POLLWRBAND;
/// The peer shut down its writing half: Python's `select.POLLRDHUP` (Linux).
///
/// ```
/// use std::net::Shutdown;
/// use pysocket::{socketpair, Poll, POLLRDHUP};
/// let (a, b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&b, POLLRDHUP)?;
/// a.shutdown(Shutdown::Write)?;
/// assert_eq!(p.poll(Some(5000))?, [(b.fileno(), POLLRDHUP)]);
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const POLLRDHUP: i16 = libc::POLLRDHUP;
/// A STREAMS message is waiting: Python's `select.POLLMSG` (Linux). Linux
/// defines the bit but never reports it; it is here for code that names it.
///
/// ```
/// use pysocket::{socketpair, Poll, POLLIN, POLLMSG};
/// let (a, b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&b, POLLIN | POLLMSG)?;
/// a.sendall(b"x")?;
/// assert_eq!(p.poll(Some(5000))?, [(b.fileno(), POLLIN)]); // never POLLMSG
/// # Ok::<(), pysocket::Error>(())
/// ```
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const POLLMSG: i16 = {
    // Not in the libc crate: the kernel's value (asm-generic/poll.h, and
    // SPARC's own).
    if cfg!(any(target_arch = "sparc", target_arch = "sparc64")) {
        0x200
    } else {
        0x400
    }
};

/// What Python's `poll.register` watches when given no mask.
const DEFAULT_EVENTS: i16 = POLLIN | POLLPRI | POLLOUT;

/// A set of descriptors to wait on with `poll(2)`: Python's `select.poll()`.
///
/// Each descriptor is registered with a mask of `POLL*` bits;
/// [`poll`](Poll::poll) waits until some are ready and returns each ready
/// descriptor with the events it has (`revents`), as Python's list of
/// `(fd, event)` pairs. [`POLLERR`], [`POLLHUP`] and [`POLLNVAL`] are reported
/// whether asked for or not; a descriptor that is not open is reported with
/// `POLLNVAL`, not as an error, as in Python.
///
/// Like [`Selector`](crate::Selector), a `Poll` borrows what it registers for
/// the call only and keeps its number: unregister a socket before closing it.
/// Any number of descriptors, of any value (no `FD_SETSIZE` limit). For new
/// code, [`Selector`](crate::Selector) (epoll) scales better with many
/// descriptors: `poll(2)` looks at every one on every call.
///
/// ```
/// use pysocket::{socketpair, Poll, POLLIN, POLLOUT};
///
/// let (a, b) = socketpair()?;
/// let mut p = Poll::new();
/// p.register(&b, POLLIN)?;
/// assert!(p.poll(Some(0))?.is_empty()); // nothing to read yet
///
/// a.sendall(b"ping")?;
/// for (fd, events) in p.poll(None)? {
///     assert_eq!((fd, events), (b.fileno(), POLLIN));
///     assert_eq!(b.recv(16)?, b"ping");
/// }
/// p.modify(&b, POLLIN | POLLOUT)?;
/// assert_eq!(p.poll(Some(0))?, [(b.fileno(), POLLOUT)]);
/// p.unregister(&b)?;
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Default)]
pub struct Poll {
    fds: Vec<libc::pollfd>,
}

impl Poll {
    /// Creates an empty set: Python's `select.poll()`.
    ///
    /// ```
    /// let p = pysocket::Poll::new();
    /// assert!(p.is_empty());
    /// ```
    pub fn new() -> Poll {
        Poll::default()
    }

    /// Watches `fileobj` for `events` (`POLL*` bits): Python's
    /// `poll.register(fd, eventmask)`. Registering a descriptor again
    /// changes its mask, as in Python. [`register_default`](Poll::register_default)
    /// is Python's call without a mask.
    ///
    /// ```
    /// use pysocket::{socketpair, Poll, POLLIN, POLLOUT};
    /// let (a, _b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register(&a, POLLIN)?;
    /// p.register(&a, POLLOUT)?; // the same descriptor: its mask changes
    /// assert_eq!(p.len(), 1);
    /// assert_eq!(p.poll(Some(0))?, [(a.fileno(), POLLOUT)]);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn register(&mut self, fileobj: &impl AsFd, events: i16) -> Result<()> {
        let fd = fileobj.as_fd().as_raw_fd();
        match self.slot(fd) {
            Some(slot) => slot.events = events,
            None => {
                self.fds
                    .try_reserve(1)
                    .map_err(|_| Error::invalid("poll: too many descriptors"))?;
                self.fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
            }
        }
        Ok(())
    }

    /// Watches `fileobj` for `POLLIN | POLLPRI | POLLOUT`: Python's
    /// `poll.register(fd)` with no mask.
    ///
    /// ```
    /// use pysocket::{socketpair, Poll, POLLOUT};
    /// let (a, _b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register_default(&a)?;
    /// assert_eq!(p.poll(Some(0))?, [(a.fileno(), POLLOUT)]);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn register_default(&mut self, fileobj: &impl AsFd) -> Result<()> {
        self.register(fileobj, DEFAULT_EVENTS)
    }

    /// Changes the mask of a registered descriptor: Python's
    /// `poll.modify(fd, eventmask)`. A descriptor that is not registered is
    /// an [`Error::Io`] with `ENOENT`, Python's `FileNotFoundError`.
    ///
    /// ```
    /// use pysocket::{socketpair, Poll, POLLIN, POLLOUT};
    /// let (a, b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register(&a, POLLIN)?;
    /// p.modify(&a, POLLOUT)?;
    /// assert_eq!(p.modify(&b, POLLIN).unwrap_err().errno(), Some(libc::ENOENT));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn modify(&mut self, fileobj: &impl AsFd, events: i16) -> Result<()> {
        let fd = fileobj.as_fd().as_raw_fd();
        let slot = self
            .slot(fd)
            .ok_or_else(|| Error::from_errno(libc::ENOENT))?;
        slot.events = events;
        Ok(())
    }

    /// Stops watching a descriptor: Python's `poll.unregister(fd)`. One that
    /// is not registered is [`Error::InvalidArgument`] naming it (Python's
    /// `KeyError`).
    ///
    /// ```
    /// use pysocket::{socketpair, Error, Poll, POLLIN};
    /// let (a, _b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register(&a, POLLIN)?;
    /// p.unregister(&a)?;
    /// assert!(p.is_empty());
    /// assert!(matches!(p.unregister(&a), Err(Error::InvalidArgument(_))));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn unregister(&mut self, fileobj: &impl AsFd) -> Result<()> {
        let fd = fileobj.as_fd().as_raw_fd();
        let Some(index) = self.fds.iter().position(|slot| slot.fd == fd) else {
            return Err(Error::invalid(format!(
                "descriptor {fd} is not registered with this poll object"
            )));
        };
        self.fds.swap_remove(index);
        Ok(())
    }

    /// Waits until some registered descriptor is ready: Python's
    /// `poll.poll(timeout)`, `timeout` in milliseconds. `None` or a negative
    /// value waits as long as it takes, `Some(0)` only looks.
    ///
    /// Returns each ready descriptor with its events (`revents`, which may
    /// include [`POLLERR`], [`POLLHUP`] and [`POLLNVAL`] beside those asked
    /// for), in no promised order; an empty list when the timeout passed. A
    /// wait interrupted by a signal is retried with the time that remains
    /// (PEP 475).
    ///
    /// ```
    /// use std::time::Instant;
    /// use pysocket::{socketpair, Poll, POLLIN};
    /// let (_a, b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register(&b, POLLIN)?;
    /// let start = Instant::now();
    /// assert!(p.poll(Some(20))?.is_empty()); // nothing came in 20 ms
    /// assert!(start.elapsed().as_millis() >= 20);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn poll(&mut self, timeout_ms: Option<i32>) -> Result<Vec<(RawFd, i16)>> {
        let timeout = timeout_ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis);
        let fds = &mut self.fds;
        let waited = wait_until(&mut Clock::after(timeout), |remaining| {
            Ok((sys::poll_fds(fds, remaining)? > 0).then_some(()))
        });
        match waited {
            Ok(()) => {}
            Err(Error::Timeout) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        }
        Ok(self
            .fds
            .iter()
            .filter(|slot| slot.revents != 0)
            .map(|slot| (slot.fd, slot.revents))
            .collect())
    }

    /// How many descriptors are registered.
    ///
    /// ```
    /// use pysocket::{socketpair, Poll, POLLIN};
    /// let (a, b) = socketpair()?;
    /// let mut p = Poll::new();
    /// p.register(&a, POLLIN)?;
    /// p.register(&b, POLLIN)?;
    /// assert_eq!(p.len(), 2);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// Whether no descriptor is registered.
    ///
    /// ```
    /// assert!(pysocket::Poll::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    fn slot(&mut self, fd: RawFd) -> Option<&mut libc::pollfd> {
        self.fds.iter_mut().find(|slot| slot.fd == fd)
    }
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fds: Vec<(RawFd, i16)> = self.fds.iter().map(|slot| (slot.fd, slot.events)).collect();
        f.debug_struct("Poll").field("fds", &fds).finish()
    }
}
