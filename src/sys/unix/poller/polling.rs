//! The [`Selector`](crate::Selector)'s backend outside Linux: kqueue on the
//! BSDs and macOS (and `poll` elsewhere) through the `polling` crate,
//! level-triggered. Same interface as the Linux backend (`epoll.rs`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use polling::{Event, Events, PollMode};

/// kqueue reports reading and writing as two events of one descriptor.
pub(crate) const SPLITS_EVENTS: bool = true;

#[derive(Debug)]
pub(crate) struct Poller(polling::Poller);

/// The events of one wait.
pub(crate) struct PollEvents(Events);

impl PollEvents {
    pub(crate) fn new() -> PollEvents {
        PollEvents(Events::new())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each event's descriptor with whether it is readable and writable.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RawFd, bool, bool)> + '_ {
        self.0.iter().filter_map(|event| {
            let fd = RawFd::try_from(event.key).ok()?;
            Some((fd, event.readable, event.writable))
        })
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        polling::Poller::new().map(Poller)
    }

    /// Watches `fd`, level-triggered.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, read: bool, write: bool) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        // SAFETY: polling asks that a source be deleted from the poller before
        // it is closed. `fd` is open for this call (it is borrowed), and the
        // selector deletes it in `unregister`; closing it first is the user's
        // breach of the documented rule (Python's too), and on the Unix
        // backends polling has (kqueue, poll) it cannot cause memory
        // unsafety: the kernel drops the registration of a closed descriptor
        // and polling keeps only its number, so the worst outcome is a stale
        // key (see `Selector`'s docs).
        unsafe {
            self.0
                .add_with_mode(raw, interest(raw, read, write), PollMode::Level)
        }
    }

    pub(crate) fn modify(&self, fd: BorrowedFd<'_>, read: bool, write: bool) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.0
            .modify_with_mode(fd, interest(raw, read, write), PollMode::Level)
    }

    pub(crate) fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.0.delete(fd)
    }

    /// Waits up to `timeout` (`None`: no limit) and fills `events`. polling
    /// does not say whether a notification ended the wait: the selector's
    /// own flag does.
    pub(crate) fn wait(
        &self,
        events: &mut PollEvents,
        timeout: Option<Duration>,
    ) -> io::Result<bool> {
        events.0.clear();
        self.0.wait(&mut events.0, timeout)?;
        Ok(false)
    }

    /// Wakes the current or next [`wait`](Poller::wait).
    pub(crate) fn notify(&self) -> io::Result<()> {
        self.0.notify()
    }
}

/// The `polling` interest for reading and writing on `fd`.
fn interest(fd: RawFd, read: bool, write: bool) -> Event {
    // A registered descriptor is open, so not negative.
    let key = usize::try_from(fd).unwrap_or_default();
    Event::new(key, read, write)
}
