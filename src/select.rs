//! I/O multiplexing: Python's `select.select` ([`select`]) and
//! `selectors.DefaultSelector` ([`Selector`]), so one thread can serve many
//! sockets.
//!
//! [`select`] is `poll(2)` underneath, so it has no `FD_SETSIZE` limit; a
//! [`Selector`] is epoll on Linux (one `epoll_wait` per wait) and kqueue on
//! the BSDs and macOS, through the `polling` crate. Both wait against one deadline and retry waits
//! interrupted by signals with what is left of it (PEP 475), like every
//! blocking call of this crate.

use std::collections::hash_map::{self, Entry};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sys::{self, PollEvents, Poller};
use crate::timeout::{wait_until, Clock};

/// What [`select`] returns: the ready items of each list, in the order given
/// (Python's `(rlist, wlist, xlist)`).
///
/// ```
/// use std::time::Duration;
/// use pysocket::{select, socketpair, Ready};
/// let (a, b) = socketpair()?;
/// a.sendall(b"x")?;
/// let ready: Ready<&pysocket::Socket> = select(&[&b], &[], &[], Some(Duration::ZERO))?;
/// assert_eq!(ready.0.len(), 1);
/// assert!(ready.1.is_empty() && ready.2.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub type Ready<S> = (Vec<S>, Vec<S>, Vec<S>);

/// Waits until some of the given sockets are ready: Python's
/// `select.select(rlist, wlist, xlist, timeout)`.
///
/// - `read`: wait until these can be read without blocking (data, a pending
///   connection on a listener, or the end of the stream);
/// - `write`: wait until these can be written without blocking;
/// - `except`: wait for an exceptional condition (TCP out-of-band data).
///
/// Returns the ready items of each list, in the order given, as Python
/// returns the ready objects: copies of the items, so pass references
/// (`&Socket`), [`BorrowedFd`](std::os::fd::BorrowedFd)s or `Arc`s, which
/// are cheap to copy. `timeout` is `None` to wait as long
/// as it takes, `Some(Duration::ZERO)` to look without waiting, `Some(d)` to
/// wait at most `d`; when it passes, the three lists are empty (no error).
///
/// Any [`AsFd`] works (`&Socket`, `Socket`, `Arc<Socket>`, std's sockets,
/// pipes); the three lists share one item type, so mix kinds of descriptors
/// as `&dyn AsFd` or `BorrowedFd`. To tell which item is ready, compare
/// references with [`std::ptr::eq`], or descriptors with
/// [`fileno`](crate::Socket::fileno).
///
/// This is `poll(2)` underneath: any number of descriptors, of any value (no
/// `FD_SETSIZE` limit). A descriptor with an error or a hang-up counts as
/// ready in whichever list it is in, so the call that follows reports the
/// problem; a descriptor that is not open is an [`Error::Io`] with `EBADF`.
/// A wait interrupted by a signal is retried with the time that remains.
///
/// ```
/// use std::time::Duration;
/// use pysocket::{select, socketpair};
///
/// let (a, b) = socketpair()?;
/// // Nothing to read yet, but room to write: a zero timeout only looks.
/// let (r, w, _) = select(&[&a, &b], &[&a], &[], Some(Duration::ZERO))?;
/// assert!(r.is_empty());
/// assert_eq!(w.len(), 1);
///
/// a.sendall(b"ping")?;
/// let (r, _, _) = select(&[&a, &b], &[], &[], Some(Duration::from_secs(5)))?;
/// assert_eq!(r.len(), 1);
/// assert!(std::ptr::eq(r[0], &b)); // b is the one with data
/// assert_eq!(r[0].recv(16)?, b"ping");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn select<S: AsFd + Clone>(
    read: &[S],
    write: &[S],
    except: &[S],
    timeout: Option<Duration>,
) -> Result<Ready<S>> {
    let lists = [
        (read, libc::POLLIN),
        (write, libc::POLLOUT),
        (except, libc::POLLPRI),
    ];
    let mut fds: Vec<libc::pollfd> = Vec::new();
    fds.try_reserve_exact(read.len() + write.len() + except.len())
        .map_err(|_| Error::invalid("select: too many descriptors"))?;
    for (list, events) in lists {
        fds.extend(list.iter().map(|item| libc::pollfd {
            fd: item.as_fd().as_raw_fd(),
            events,
            revents: 0,
        }));
    }
    let waited = wait_until(&mut Clock::after(timeout), |remaining| {
        Ok((sys::poll_fds(&mut fds, remaining)? > 0).then_some(()))
    });
    match waited {
        Ok(()) => {}
        Err(Error::Timeout) => return Ok((Vec::new(), Vec::new(), Vec::new())),
        Err(err) => return Err(err),
    }
    if fds.iter().any(|fd| fd.revents & libc::POLLNVAL != 0) {
        return Err(Error::from_errno(libc::EBADF));
    }
    let mut ready = fds.iter().map(|fd| fd.revents != 0);
    let mut pick = |list: &[S]| -> Vec<S> {
        list.iter()
            .zip(ready.by_ref())
            .filter(|(_, is_ready)| *is_ready)
            .map(|(item, _)| item.clone())
            .collect()
    };
    let readable = pick(read);
    let writable = pick(write);
    let exceptional = pick(except);
    Ok((readable, writable, exceptional))
}

bitflags::bitflags! {
    /// The events a [`Selector`] waits for and reports: Python's
    /// `selectors.EVENT_READ` and `EVENT_WRITE` (also exported as
    /// [`EVENT_READ`] and [`EVENT_WRITE`]).
    ///
    /// ```
    /// use pysocket::EventMask;
    /// let both = EventMask::READ | EventMask::WRITE;
    /// assert!(both.contains(EventMask::WRITE));
    /// assert_eq!(EventMask::READ.bits(), 1); // as in Python
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct EventMask: u8 {
        /// Readable: data, a connection to accept, or the end of the stream.
        const READ = 1;
        /// Writable: room in the send buffer, or a connect that finished.
        const WRITE = 2;
    }
}

/// Readable: Python's `selectors.EVENT_READ` ([`EventMask::READ`]).
///
/// ```
/// use pysocket::{socketpair, Selector, EVENT_READ};
/// let (_a, b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// assert_eq!(sel.register(&b, EVENT_READ, ())?.events, EVENT_READ);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const EVENT_READ: EventMask = EventMask::READ;
/// Writable: Python's `selectors.EVENT_WRITE` ([`EventMask::WRITE`]).
///
/// ```
/// use std::time::Duration;
/// use pysocket::{socketpair, Selector, EVENT_WRITE};
/// let (a, _b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// sel.register(&a, EVENT_WRITE, ())?;
/// assert_eq!(sel.select(Some(Duration::from_secs(5)))?[0].1, EVENT_WRITE);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const EVENT_WRITE: EventMask = EventMask::WRITE;

/// A registration of a [`Selector`]: Python's `SelectorKey`, without
/// `fileobj` (the selector does not hold the socket; see [`Selector`]'s
/// ownership rule).
///
/// ```
/// use pysocket::{socketpair, EventMask, Selector};
/// let (a, _b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// let key = sel.register(&a, EventMask::READ, "a")?;
/// assert_eq!((key.fd, key.events, key.data), (a.fileno(), EventMask::READ, "a"));
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SelectorKey<T> {
    /// The registered descriptor.
    pub fd: RawFd,
    /// The events it is registered for.
    pub events: EventMask,
    /// The data given to [`register`](Selector::register) or
    /// [`modify`](Selector::modify).
    pub data: T,
}

/// The state a [`Selector`] shares with its [`SelectorWaker`]s.
struct Shared {
    poller: Poller,
    woken: AtomicBool,
}

/// Waits for I/O events on many sockets at once: Python's
/// `selectors.DefaultSelector`, generic over the data kept with each
/// registration (`T`, Python's `key.data`).
///
/// epoll on Linux, kqueue on the BSDs and macOS (through the `polling`
/// crate), in level-triggered mode as in Python: a socket stays ready, and is
/// reported by every [`select`](Selector::select), until it has been read or
/// written enough to stop being ready.
///
/// ```
/// use std::time::Duration;
/// use pysocket::{socketpair, EventMask, Selector};
///
/// let (a, b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// sel.register(&b, EventMask::READ, "b")?;
/// assert!(sel.select(Some(Duration::ZERO))?.is_empty());
///
/// a.sendall(b"hello")?;
/// let ready = sel.select(Some(Duration::from_secs(5)))?;
/// assert_eq!(ready.len(), 1);
/// let (key, events) = &ready[0];
/// assert_eq!((key.fd, key.data, *events), (b.fileno(), "b", EventMask::READ));
/// sel.unregister(&b)?;
/// # Ok::<(), pysocket::Error>(())
/// ```
///
/// # Ownership of registered sockets
///
/// As in Python, the selector does not own what it watches: it keeps each
/// descriptor's number, not the socket. **Unregister a socket before closing
/// it.** A socket closed while registered leaves a stale key behind: the
/// kernel forgets the registration (epoll once no duplicate of the
/// descriptor is left), the key stays in the map, and a new socket that gets
/// the same number cannot be registered until that key is
/// [`unregister`](Selector::unregister)ed (with the new socket; the OS's
/// answer for the stale registration is ignored there, as Python does).
/// Nothing unsafe follows from breaking this rule, only such stale keys.
/// [`register`](Selector::register), [`modify`](Selector::modify) and
/// [`unregister`](Selector::unregister) borrow the socket for the call only
/// (`&sock`): registering can never move or close it, and a server can still
/// register the connections it accepts while the selector lives on.
///
/// # Errors
///
/// Registering an empty or unknown event mask, registering a descriptor
/// twice, and modifying or unregistering one that is not registered are
/// [`Error::InvalidArgument`] naming the descriptor; what the OS refuses is
/// [`Error::Io`] with its errno (`EPERM` for a regular file on Linux, which
/// epoll cannot watch; `EBADF` for a descriptor that is not open). Pipes and
/// other pollable non-sockets work, as in Python.
///
/// # Threads
///
/// A selector is `Send` (when `T` is) but waits in one thread at a time:
/// [`select`](Selector::select) takes `&mut self`. Another thread stops a wait
/// early with a [`SelectorWaker`].
#[doc(alias = "DefaultSelector")]
pub struct Selector<T = ()> {
    shared: Arc<Shared>,
    keys: FdMap<SelectorKey<T>>,
    events: PollEvents,
}

/// A map keyed by descriptor number, hashed by [`FdHasher`].
type FdMap<V> = HashMap<RawFd, V, BuildHasherDefault<FdHasher>>;

/// Hashes a descriptor number with one multiplication, far cheaper than
/// std's SipHash, which defends against hash flooding. Descriptor numbers are small
/// integers the kernel hands out, not input an attacker picks, so there is
/// no hash flooding to defend against. Multiplying by an odd constant keeps
/// the low bits (the bucket) distinct for consecutive numbers and spreads
/// them into the high bits (hashbrown's tag).
#[derive(Clone, Copy, Default)]
struct FdHasher(u64);

impl Hasher for FdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(FD_HASH_FACTOR);
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = u64::from(n as u32).wrapping_mul(FD_HASH_FACTOR);
    }
}

/// 2^64 divided by the golden ratio, odd.
const FD_HASH_FACTOR: u64 = 0x9e37_79b9_7f4a_7c15;

impl<T> Selector<T> {
    /// Creates an empty selector: Python's `selectors.DefaultSelector()`, epoll on
    /// Linux, kqueue elsewhere.
    ///
    /// ```
    /// use pysocket::Selector;
    /// let sel: Selector<&str> = Selector::new()?;
    /// assert!(sel.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn new() -> Result<Selector<T>> {
        let poller = Poller::new()?;
        Ok(Selector {
            shared: Arc::new(Shared {
                poller,
                woken: AtomicBool::new(false),
            }),
            keys: FdMap::default(),
            events: PollEvents::new(),
        })
    }

    /// Watches `fileobj` for `events`, keeping `data` with it: Python's
    /// `selector.register(fileobj, events, data)`. Returns the new key.
    ///
    /// The socket is borrowed for the call only: it stays yours, open and
    /// usable (Python's `sel.register(lsock, EVENT_READ)` is
    /// `sel.register(&lsock, EVENT_READ, ())`). See [`Selector`]'s rule:
    /// unregister the socket before closing it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{create_connection, create_server, EventMask, Selector};
    ///
    /// let lsock = create_server(("127.0.0.1", 0))?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&lsock, EventMask::READ, ())?;
    /// let _client = create_connection(lsock.getsockname()?, None)?;
    /// let ready = sel.select(Some(Duration::from_secs(5)))?;
    /// assert_eq!(ready[0].0.fd, lsock.fileno()); // a connection to accept
    /// let (_conn, _addr) = lsock.accept()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    ///
    /// Passing the socket by value, which would close it when the call ends,
    /// does not compile:
    ///
    /// ```compile_fail
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(a, EventMask::READ, ())?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    ///
    /// ```
    /// use pysocket::{socketpair, Error, EventMask, Selector};
    ///
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// let key = sel.register(&a, EventMask::READ | EventMask::WRITE, 7)?;
    /// assert_eq!((key.fd, key.data), (a.fileno(), 7));
    ///
    /// let twice = sel.register(&a, EventMask::READ, 8).unwrap_err();
    /// assert!(matches!(twice, Error::InvalidArgument(_)));
    /// assert!(twice.to_string().contains("already registered"));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn register(
        &mut self,
        fileobj: &impl AsFd,
        events: EventMask,
        data: T,
    ) -> Result<&SelectorKey<T>> {
        let source = fileobj.as_fd();
        let fd = source.as_raw_fd();
        check_events(fd, events)?;
        let Entry::Vacant(slot) = self.keys.entry(fd) else {
            return Err(Error::invalid(format!(
                "descriptor {fd} is already registered with this selector"
            )));
        };
        self.shared.poller.add(
            source,
            events.contains(EventMask::READ),
            events.contains(EventMask::WRITE),
        )?;
        Ok(slot.insert(SelectorKey { fd, events, data }))
    }

    /// Changes the events and the data of a registered socket: Python's
    /// `selector.modify(fileobj, events, data)`. Returns the updated key.
    /// [`modify_events`](Selector::modify_events) keeps the data.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, "reading")?;
    /// let key = sel.modify(&a, EventMask::WRITE, "writing")?;
    /// assert_eq!((key.events, key.data), (EventMask::WRITE, "writing"));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn modify(
        &mut self,
        fileobj: &impl AsFd,
        events: EventMask,
        data: T,
    ) -> Result<&SelectorKey<T>> {
        let key = self.modify_key(fileobj, events)?;
        key.data = data;
        Ok(key)
    }

    /// Changes the events a registered socket is watched for, keeping its
    /// data (for example, adding [`EventMask::WRITE`] while there is output
    /// waiting to be sent).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{socketpair, EventMask, Selector};
    ///
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, "a")?;
    /// assert!(sel.select(Some(Duration::ZERO))?.is_empty()); // nothing to read
    ///
    /// sel.modify_events(&a, EventMask::READ | EventMask::WRITE)?;
    /// let ready = sel.select(Some(Duration::from_secs(5)))?;
    /// assert_eq!(ready[0].1, EventMask::WRITE); // room to write
    /// assert_eq!(ready[0].0.data, "a");
    /// sel.unregister(&a)?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn modify_events(
        &mut self,
        fileobj: &impl AsFd,
        events: EventMask,
    ) -> Result<&SelectorKey<T>> {
        self.modify_key(fileobj, events).map(|key| &*key)
    }

    /// Watches a registered socket for `events`; returns its key.
    fn modify_key(
        &mut self,
        fileobj: &impl AsFd,
        events: EventMask,
    ) -> Result<&mut SelectorKey<T>> {
        let source = fileobj.as_fd();
        let fd = source.as_raw_fd();
        check_events(fd, events)?;
        let Some(key) = self.keys.get_mut(&fd) else {
            return Err(not_registered(fd));
        };
        if key.events != events {
            self.shared.poller.modify(
                source,
                events.contains(EventMask::READ),
                events.contains(EventMask::WRITE),
            )?;
            key.events = events;
        }
        Ok(key)
    }

    /// Stops watching a socket: Python's `selector.unregister(fileobj)`.
    /// Returns its key (with the data).
    ///
    /// The OS's answer is ignored, as in Python, so that a stale registration
    /// (its socket closed while registered) can still be removed.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, 7)?;
    /// assert_eq!(sel.unregister(&a)?.data, 7);
    /// assert!(sel.is_empty());
    /// assert!(sel.unregister(&a).is_err()); // no longer registered
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn unregister(&mut self, fileobj: &impl AsFd) -> Result<SelectorKey<T>> {
        let source = fileobj.as_fd();
        let fd = source.as_raw_fd();
        let key = self.keys.remove(&fd).ok_or_else(|| not_registered(fd))?;
        let _ = self.shared.poller.delete(source);
        Ok(key)
    }

    /// The key of a registered descriptor: Python's `selector.get_key(fileobj)`,
    /// `None` where Python raises `KeyError`.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, "a")?;
    /// assert_eq!(sel.get_key(a.fileno()).map(|key| key.data), Some("a"));
    /// assert!(sel.get_key(b.fileno()).is_none());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn get_key(&self, fd: RawFd) -> Option<&SelectorKey<T>> {
        self.keys.get(&fd)
    }

    /// The data of a registered descriptor, to change in place: Python's
    /// `selector.get_key(fileobj).data` when it is a mutable object. `None`
    /// when `fd` is not registered.
    ///
    /// The keys [`select`](Selector::select) returns are clones: change the
    /// selector's own data through this call, with [`fd`](SelectorKey::fd).
    /// The descriptor and its events are changed only through
    /// [`modify`](Selector::modify), which tells the OS.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{socketpair, EventMask, Selector};
    ///
    /// let (a, b) = socketpair()?;
    /// let mut sel: Selector<Vec<u8>> = Selector::new()?;
    /// sel.register(&b, EventMask::READ, Vec::new())?;
    /// a.sendall(b"hello")?;
    /// for (key, _events) in sel.select(Some(Duration::from_secs(5)))? {
    ///     let received = b.recv(64)?;
    ///     if let Some(buf) = sel.data_mut(key.fd) {
    ///         buf.extend_from_slice(&received);
    ///     }
    /// }
    /// assert_eq!(sel.get_key(b.fileno()).unwrap().data, b"hello");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(alias = "get_mut")]
    pub fn data_mut(&mut self, fd: RawFd) -> Option<&mut T> {
        self.keys.get_mut(&fd).map(|key| &mut key.data)
    }

    /// Whether `fd` is registered: Python's `fileobj in selector.get_map()`.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, ())?;
    /// assert!(sel.contains(a.fileno()));
    /// assert!(!sel.contains(b.fileno()));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn contains(&self, fd: RawFd) -> bool {
        self.keys.contains_key(&fd)
    }

    /// How many descriptors are registered: Python's `len(selector.get_map())`.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, ())?;
    /// sel.register(&b, EventMask::READ, ())?;
    /// assert_eq!(sel.len(), 2);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no descriptor is registered: Python's `not selector.get_map()`.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, _b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// assert!(sel.is_empty());
    /// sel.register(&a, EventMask::READ, ())?;
    /// assert!(!sel.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key, in no particular order: Python's `selector.get_map().values()`.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, 1)?;
    /// sel.register(&b, EventMask::READ, 2)?;
    /// let total: i32 = sel.iter().map(|key| key.data).sum();
    /// assert_eq!(total, 3);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[doc(alias = "get_map")]
    pub fn iter(&self) -> SelectorIter<'_, T> {
        SelectorIter(self.keys.values())
    }

    /// Every registration with its data to change in place, in no
    /// particular order: each item is the descriptor, its events and a
    /// mutable reference to its data (Python's loop over
    /// `selector.get_map().values()` changing each `key.data`).
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, 1)?;
    /// sel.register(&b, EventMask::WRITE, 2)?;
    /// for (_fd, events, count) in sel.iter_mut() {
    ///     if events.contains(EventMask::WRITE) {
    ///         *count += 10;
    ///     }
    /// }
    /// assert_eq!(sel.get_key(b.fileno()).unwrap().data, 12);
    /// assert_eq!(sel.get_key(a.fileno()).unwrap().data, 1);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn iter_mut(&mut self) -> SelectorIterMut<'_, T> {
        SelectorIterMut(self.keys.values_mut())
    }

    /// A handle another thread uses to end a [`select`](Selector::select)
    /// early.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::Selector;
    ///
    /// let mut sel: Selector = Selector::new()?;
    /// let waker = sel.waker();
    /// let wake = std::thread::spawn(move || waker.wake());
    /// // Returns once woken, long before the hour is up.
    /// assert!(sel.select(Some(Duration::from_secs(3600)))?.is_empty());
    /// wake.join().unwrap()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn waker(&self) -> SelectorWaker {
        SelectorWaker {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Closes the selector: Python's `selector.close()`. Every registration
    /// ends with it; the sockets themselves stay open. Dropping the selector
    /// does the same.
    ///
    /// ```
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&a, EventMask::READ, ())?;
    /// sel.close();
    /// a.sendall(b"still open")?;
    /// assert_eq!(b.recv(64)?, b"still open");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn close(self) {}

    /// Waits until some registered socket is ready, or `timeout` passes:
    /// Python's `selector.select(timeout)`.
    ///
    /// Returns each ready socket's key (a clone, so the selector can be
    /// changed while going through the list) with the events it is ready
    /// for, a subset of those registered. `timeout` is `None` to wait as long
    /// as it takes, `Some(Duration::ZERO)` to look without waiting, `Some(d)`
    /// to wait at most `d`; when it passes, or a [`SelectorWaker`] wakes the
    /// call, the list is empty. Interrupted waits are retried with the time
    /// that remains.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{socketpair, EventMask, Selector};
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&b, EventMask::READ, "b")?;
    /// assert!(sel.select(Some(Duration::from_millis(10)))?.is_empty()); // timed out
    /// a.sendall(b"x")?;
    /// for (key, events) in sel.select(None)? {
    ///     assert_eq!((key.data, events), ("b", EventMask::READ));
    /// }
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    ///
    /// Keep `T` cheap to clone (an index, an enum, an `Rc`/`Arc`), and keep
    /// large per-socket state beside the selector, keyed by
    /// [`fd`](SelectorKey::fd). A loop that selects many times can reuse one
    /// list with [`select_into`](Selector::select_into).
    pub fn select(&mut self, timeout: Option<Duration>) -> Result<Vec<(SelectorKey<T>, EventMask)>>
    where
        T: Clone,
    {
        let mut ready = Vec::new();
        self.select_into(timeout, &mut ready)?;
        Ok(ready)
    }

    /// Waits as [`select`](Selector::select) does, into a list the caller
    /// keeps: `ready` is cleared, then filled with the ready keys and their
    /// events, and their number is returned (0 when the timeout passed or a
    /// waker woke the call). A loop that reuses one list allocates nothing
    /// once the list has grown to the most sockets ready at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::{socketpair, EventMask, Selector};
    ///
    /// let (a, b) = socketpair()?;
    /// let mut sel = Selector::new()?;
    /// sel.register(&b, EventMask::READ, ())?;
    /// let mut ready = Vec::new();
    /// for round in 0..3 {
    ///     a.sendall(b"ping")?;
    ///     assert_eq!(sel.select_into(Some(Duration::from_secs(5)), &mut ready)?, 1);
    ///     assert_eq!(ready[0].0.fd, b.fileno());
    ///     assert_eq!(b.recv(16)?, b"ping");
    /// }
    /// assert_eq!(sel.select_into(Some(Duration::ZERO), &mut ready)?, 0);
    /// assert!(ready.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn select_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(SelectorKey<T>, EventMask)>,
    ) -> Result<usize>
    where
        T: Clone,
    {
        ready.clear();
        let shared = &self.shared;
        let events = &mut self.events;
        let waited = wait_until(&mut Clock::after(timeout), |remaining| {
            let fired = shared.poller.wait(events, remaining)?;
            // A wait may end with no event (a wake-up, or spuriously): only a
            // wake ends the call then.
            let woken = shared.woken.swap(false, Ordering::AcqRel) || fired;
            Ok((!events.is_empty() || woken).then_some(()))
        });
        match waited {
            Ok(()) => {}
            Err(Error::Timeout) => return Ok(0),
            Err(err) => return Err(err),
        }
        ready.reserve(self.events.len());
        // kqueue reports reading and writing as two events: merge them.
        let mut slots: FdMap<usize> = FdMap::default();
        for (fd, readable, writable) in self.events.iter() {
            let Some(key) = self.keys.get(&fd) else {
                continue;
            };
            let mut mask = EventMask::empty();
            mask.set(EventMask::READ, readable);
            mask.set(EventMask::WRITE, writable);
            let mask = mask & key.events;
            if mask.is_empty() {
                continue;
            }
            if !sys::SPLITS_EVENTS {
                ready.push((key.clone(), mask));
                continue;
            }
            match slots.entry(fd) {
                Entry::Occupied(slot) => ready[*slot.get()].1 |= mask,
                Entry::Vacant(slot) => {
                    slot.insert(ready.len());
                    ready.push((key.clone(), mask));
                }
            }
        }
        Ok(ready.len())
    }
}

fn check_events(fd: RawFd, events: EventMask) -> Result<()> {
    if events.is_empty() {
        return Err(Error::invalid(format!(
            "cannot watch descriptor {fd} for no event: give EventMask::READ, WRITE or both"
        )));
    }
    if !EventMask::all().contains(events) {
        return Err(Error::invalid(format!(
            "invalid events {:#x} for descriptor {fd}: only EventMask::READ and WRITE exist",
            events.bits()
        )));
    }
    Ok(())
}

fn not_registered(fd: RawFd) -> Error {
    Error::invalid(format!(
        "descriptor {fd} is not registered with this selector"
    ))
}

impl<T> fmt::Debug for Selector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fds: Vec<RawFd> = self.keys.keys().copied().collect();
        fds.sort_unstable();
        f.debug_struct("Selector").field("fds", &fds).finish()
    }
}

impl<'a, T> IntoIterator for &'a Selector<T> {
    type Item = &'a SelectorKey<T>;
    type IntoIter = SelectorIter<'a, T>;

    fn into_iter(self) -> SelectorIter<'a, T> {
        self.iter()
    }
}

/// An iterator over the keys of a [`Selector`], from [`Selector::iter`].
///
/// ```
/// use pysocket::{socketpair, EventMask, Selector};
/// let (a, _b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// sel.register(&a, EventMask::READ, "a")?;
/// let mut keys = sel.iter();
/// assert_eq!(keys.len(), 1);
/// assert_eq!(keys.next().map(|key| key.fd), Some(a.fileno()));
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct SelectorIter<'a, T>(hash_map::Values<'a, RawFd, SelectorKey<T>>);

impl<'a, T> Iterator for SelectorIter<'a, T> {
    type Item = &'a SelectorKey<T>;

    fn next(&mut self) -> Option<&'a SelectorKey<T>> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T> ExactSizeIterator for SelectorIter<'_, T> {}

impl<T> fmt::Debug for SelectorIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectorIter")
            .field("remaining", &self.0.len())
            .finish()
    }
}

/// An iterator over the registrations of a [`Selector`] with their data to
/// change in place, from [`Selector::iter_mut`]: `(fd, events, &mut data)`.
///
/// ```
/// use pysocket::{socketpair, EventMask, Selector};
/// let (a, _b) = socketpair()?;
/// let mut sel = Selector::new()?;
/// sel.register(&a, EventMask::READ, String::from("a"))?;
/// let mut regs = sel.iter_mut();
/// assert_eq!(regs.len(), 1);
/// let (fd, events, data) = regs.next().unwrap();
/// assert_eq!((fd, events), (a.fileno(), EventMask::READ));
/// data.push('!');
/// assert_eq!(sel.get_key(a.fileno()).unwrap().data, "a!");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub struct SelectorIterMut<'a, T>(hash_map::ValuesMut<'a, RawFd, SelectorKey<T>>);

impl<'a, T> Iterator for SelectorIterMut<'a, T> {
    type Item = (RawFd, EventMask, &'a mut T);

    fn next(&mut self) -> Option<(RawFd, EventMask, &'a mut T)> {
        self.0.next().map(|key| (key.fd, key.events, &mut key.data))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T> ExactSizeIterator for SelectorIterMut<'_, T> {}

impl<T> fmt::Debug for SelectorIterMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectorIterMut")
            .field("remaining", &self.0.len())
            .finish()
    }
}

/// Ends a [`Selector::select`] early, from any thread (from
/// [`Selector::waker`]).
///
/// A wake while no `select` is waiting makes the next one return at once.
///
/// ```
/// use std::time::Duration;
/// use pysocket::Selector;
/// let mut sel: Selector = Selector::new()?;
/// sel.waker().wake()?; // before the select: it returns at once
/// assert!(sel.select(Some(Duration::from_secs(3600)))?.is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone)]
pub struct SelectorWaker {
    shared: Arc<Shared>,
}

impl SelectorWaker {
    /// Wakes the selector's current or next [`select`](Selector::select),
    /// which returns an empty list (or the events already there).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::Selector;
    /// let mut sel: Selector = Selector::new()?;
    /// let waker = sel.waker();
    /// let wake = std::thread::spawn(move || waker.wake());
    /// assert!(sel.select(Some(Duration::from_secs(3600)))?.is_empty());
    /// wake.join().unwrap()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn wake(&self) -> Result<()> {
        self.shared.woken.store(true, Ordering::Release);
        self.shared.poller.notify().map_err(Error::Io)
    }
}

impl fmt::Debug for SelectorWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectorWaker").finish_non_exhaustive()
    }
}
