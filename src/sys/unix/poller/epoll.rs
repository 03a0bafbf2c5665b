//! The [`Selector`](crate::Selector)'s backend on Linux: epoll,
//! level-triggered, with an eventfd that wakes it.
//!
//! A wait is one `epoll_wait`; the eventfd is read only when a wake-up fired
//! it. (The `polling` crate, used on other systems, re-arms a timer and its
//! notifier around every wait: five system calls where this makes one.)

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::sys::{cvt, timeout_millis};

/// Each backend event carries a readable and a writable flag of its own, so
/// [`PollEvents`] never reports one descriptor twice.
pub(crate) const SPLITS_EVENTS: bool = false;

/// The key of the waker's eventfd: registered descriptors are never negative,
/// so their keys never reach it.
const WAKER: u64 = u64::MAX;

/// How many events one wait can report (more stay ready for the next).
const EVENTS_PER_WAIT: usize = 1024;

/// An epoll instance and the eventfd that wakes it.
#[derive(Debug)]
pub(crate) struct Poller {
    epoll: OwnedFd,
    waker: OwnedFd,
}

/// The events of one wait: each ready descriptor once, with whether it is
/// readable and writable.
pub(crate) struct PollEvents {
    buf: Vec<libc::epoll_event>,
    len: usize,
}

impl PollEvents {
    pub(crate) fn new() -> PollEvents {
        PollEvents {
            buf: vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_PER_WAIT],
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each ready descriptor with whether it is readable and writable. As in
    /// Python's `EpollSelector`, a hang-up or an error counts as both.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RawFd, bool, bool)> + '_ {
        self.buf[..self.len].iter().filter_map(|event| {
            let (bits, key) = (event.events, event.u64);
            let fd = RawFd::try_from(key).ok()?;
            let readable = bits & !(libc::EPOLLOUT as u32) != 0;
            let writable = bits & !(libc::EPOLLIN as u32) != 0;
            Some((fd, readable, writable))
        })
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        // SAFETY: epoll_create1 takes only flags; it returns a new descriptor
        // or -1.
        let epoll = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `epoll` is a descriptor that was just created and that
        // nothing else owns.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        // SAFETY: eventfd takes an initial count and flags; it returns a new
        // descriptor or -1.
        let waker = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: as for `epoll` above.
        let waker = unsafe { OwnedFd::from_raw_fd(waker) };
        let poller = Poller { epoll, waker };
        poller.control(
            libc::EPOLL_CTL_ADD,
            poller.waker.as_raw_fd(),
            libc::EPOLLIN as u32,
            WAKER,
        )?;
        Ok(poller)
    }

    /// Watches `fd`, level-triggered.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, read: bool, write: bool) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.control(libc::EPOLL_CTL_ADD, raw, interest(read, write), key(raw))
    }

    pub(crate) fn modify(&self, fd: BorrowedFd<'_>, read: bool, write: bool) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.control(libc::EPOLL_CTL_MOD, raw, interest(read, write), key(raw))
    }

    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.control(libc::EPOLL_CTL_DEL, fd.as_raw_fd(), 0, 0)
    }

    /// Waits up to `timeout` (`None`: no limit) and fills `events`. Returns
    /// whether the waker fired (its count is drained then).
    pub(crate) fn wait(
        &self,
        events: &mut PollEvents,
        timeout: Option<Duration>,
    ) -> io::Result<bool> {
        events.len = 0;
        let capacity = libc::c_int::try_from(events.buf.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: the pointer and count describe `events.buf`, initialised
        // `epoll_event`s the kernel may overwrite.
        let ready = cvt(unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                events.buf.as_mut_ptr(),
                capacity,
                timeout_millis(timeout),
            )
        })?;
        let mut woken = false;
        for i in 0..usize::try_from(ready).unwrap_or(0) {
            let event = events.buf[i];
            if event.u64 == WAKER {
                woken = true;
                self.drain_waker();
            } else {
                events.buf[events.len] = event;
                events.len += 1;
            }
        }
        Ok(woken)
    }

    /// Wakes the current or next [`wait`](Poller::wait).
    pub(crate) fn notify(&self) -> io::Result<()> {
        let one = 1u64.to_ne_bytes();
        // SAFETY: the pointer and length describe `one`, 8 bytes the kernel
        // only reads, as eventfd expects.
        let rc = unsafe { libc::write(self.waker.as_raw_fd(), one.as_ptr().cast(), one.len()) };
        match rc {
            // A full count (EAGAIN) is a wake-up already pending.
            -1 if io::Error::last_os_error().kind() != io::ErrorKind::WouldBlock => {
                Err(io::Error::last_os_error())
            }
            _ => Ok(()),
        }
    }

    /// Resets the waker's count, so that it stops being readable.
    fn drain_waker(&self) {
        let mut count = [0u8; 8];
        // SAFETY: the pointer and length describe `count`, 8 writable bytes,
        // as eventfd expects. The descriptor is non-blocking: an empty count
        // is EAGAIN, which is fine.
        let _ = unsafe {
            libc::read(
                self.waker.as_raw_fd(),
                count.as_mut_ptr().cast(),
                count.len(),
            )
        };
    }

    fn control(&self, op: libc::c_int, fd: RawFd, events: u32, key: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: key };
        // SAFETY: `event` is a valid `epoll_event` the kernel only reads (a
        // non-null pointer even for EPOLL_CTL_DEL, as kernels before 2.6.9
        // require); `fd` is the caller's descriptor, open for the call.
        cvt(unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut event) }).map(drop)
    }
}

/// The epoll events for watching for reading and writing.
fn interest(read: bool, write: bool) -> u32 {
    let mut events = 0;
    if read {
        events |= libc::EPOLLIN as u32;
    }
    if write {
        events |= libc::EPOLLOUT as u32;
    }
    events
}

/// A registered descriptor's key: its number.
fn key(fd: RawFd) -> u64 {
    // An open descriptor is not negative.
    u64::try_from(fd).unwrap_or(WAKER - 1)
}
