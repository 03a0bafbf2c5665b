//! The crate's error type: Python's `OSError` family as one Rust enum.

use std::fmt;
use std::io;

use crate::address::Address;

/// The result of every fallible call in this crate: `Ok`, or an [`Error`].
///
/// ```
/// fn local_port() -> pysocket::Result<u16> {
///     let sock = pysocket::create_server(("127.0.0.1", 0))?;
///     Ok(sock.getsockname()?.port().unwrap_or(0))
/// }
/// assert_ne!(local_port()?, 0);
/// # Ok::<(), pysocket::Error>(())
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in a socket call.
///
/// | Python                         | pysocket                                   |
/// |--------------------------------|--------------------------------------------|
/// | `socket.timeout` / `TimeoutError` | [`Error::Timeout`]                      |
/// | `OSError` (errno set)          | [`Error::Io`] ([`Error::errno`])           |
/// | `BlockingIOError`              | [`Error::Io`] of kind `WouldBlock`         |
/// | `socket.gaierror`, `socket.herror` | [`Error::Resolve`]                     |
/// | `OSError` from `create_server`'s bind | [`Error::Bind`] (names the address, keeps the errno) |
/// | `ExceptionGroup` from `create_connection(all_errors=True)` | [`Error::Connect`] |
/// | `ValueError`, `TypeError`, `OverflowError` on arguments | [`Error::InvalidArgument`] |
///
/// ```
/// use std::time::Duration;
/// use pysocket::{socketpair, Error};
///
/// let (a, _b) = socketpair()?;
/// a.settimeout(Some(Duration::from_millis(10)))?;
/// let err = a.recv(16).unwrap_err();
/// assert!(err.is_timeout());
/// assert_eq!(err.to_string(), "timed out");
/// assert_eq!(std::io::Error::from(err).kind(), std::io::ErrorKind::TimedOut);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket's timeout passed before the call could complete (Python's `socket.timeout`).
    #[error("timed out")]
    Timeout,

    /// The OS refused the call; the `io::Error` keeps the errno. A name or
    /// number that a database lacks (an unknown service, protocol or network
    /// interface: Python's `OSError` without errno) is one of kind `NotFound`,
    /// with no errno and a message that names it.
    #[error(transparent)]
    Io(#[from] io::Error),

    /// A host or service name could not be resolved (Python's `socket.gaierror`,
    /// and `socket.herror` for [`gethostbyname_ex`](crate::gethostbyname_ex)
    /// and [`gethostbyaddr`](crate::gethostbyaddr)).
    #[error("[Errno {code}] {message}: {host:?}")]
    Resolve {
        /// The name that was looked up (`host:service` when a service was too).
        host: String,
        /// The resolver's code: `getaddrinfo`'s `EAI_*` (Python's
        /// `gaierror.errno`), or `h_errno` (`HOST_NOT_FOUND`, ...) from the
        /// `gethostby*` calls (Python's `herror.errno`).
        code: i32,
        /// The resolver's message (`gai_strerror`, or `hstrerror` for `h_errno`).
        message: String,
    },

    /// [`create_server`](crate::create_server) could not bind its address.
    /// The errno stays in `source` ([`Error::errno`], [`Error::kind`]); the
    /// message names the address, as Python's does.
    ///
    /// ```
    /// use pysocket::{create_server, Error};
    ///
    /// let first = create_server(("127.0.0.1", 0))?;
    /// let taken = first.getsockname()?;
    /// let err = create_server(&taken).unwrap_err();
    /// assert!(matches!(&err, Error::Bind { address, .. } if *address == taken));
    /// assert_eq!(err.errno(), Some(libc::EADDRINUSE));
    /// assert!(err.to_string().contains(&taken.to_string()));
    /// # Ok::<(), Error>(())
    /// ```
    #[error("{source} (while attempting to bind on address {address})")]
    Bind {
        /// The address the socket was to be bound to.
        address: Address,
        /// What `bind(2)` said.
        source: io::Error,
    },

    /// [`create_connection`](crate::create_connection) tried several addresses
    /// and none connected: every attempt with its error, in order (Python's
    /// `create_connection(..., all_errors=True)`). [`Error::errno`],
    /// [`Error::kind`] and [`Error::is_timeout`] report the last attempt, the
    /// error Python raises without `all_errors`. A single failed attempt is
    /// reported as its own error, not as this variant.
    #[error("could not connect to {target}: {}", Attempts(attempts))]
    Connect {
        /// What the caller asked to connect to (`localhost:8001`).
        target: String,
        /// Each address tried, with the error it gave.
        attempts: Vec<(Address, Error)>,
    },

    /// An argument was malformed or does not fit the socket; the message names it.
    #[error("{0}")]
    InvalidArgument(String),
}

impl Error {
    /// The OS error number, as Python's `OSError.errno`; `None` where there is none
    /// (a timeout, a resolver failure, a bad argument).
    ///
    /// ```
    /// use pysocket::{Socket, AF_INET, SOCK_STREAM};
    ///
    /// let listener = Socket::new(AF_INET, SOCK_STREAM)?;
    /// listener.bind(("127.0.0.1", 0))?;
    /// let port = listener.getsockname()?.port().unwrap();
    /// drop(listener); // nothing listens there any more
    /// let client = Socket::new(AF_INET, SOCK_STREAM)?;
    /// let err = client.connect(("127.0.0.1", port)).unwrap_err();
    /// assert_eq!(err.errno(), Some(libc::ECONNREFUSED));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io(err) | Error::Bind { source: err, .. } => err.raw_os_error(),
            Error::Connect { attempts, .. } => attempts.last()?.1.errno(),
            _ => None,
        }
    }

    /// The `io::ErrorKind` this error converts to, as `io::Error::from(err).kind()`
    /// would give.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.setblocking(false)?;
    /// assert_eq!(a.recv(1).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// a.settimeout(Some(Duration::from_millis(10)))?;
    /// assert_eq!(a.recv(1).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Timeout => io::ErrorKind::TimedOut,
            Error::Io(err) | Error::Bind { source: err, .. } => err.kind(),
            Error::Resolve { .. } => io::ErrorKind::NotFound,
            Error::InvalidArgument(_) => io::ErrorKind::InvalidInput,
            Error::Connect { attempts, .. } => attempts
                .last()
                .map_or(io::ErrorKind::Other, |(_, err)| err.kind()),
        }
    }

    /// Whether this is the socket timeout ([`Error::Timeout`], Python's
    /// `socket.timeout`), or a failed [`create_connection`](crate::create_connection)
    /// whose last attempt timed out.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_millis(10)))?;
    /// assert!(a.recv(1).unwrap_err().is_timeout());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout => true,
            Error::Connect { attempts, .. } => {
                attempts.last().is_some_and(|(_, err)| err.is_timeout())
            }
            _ => false,
        }
    }

    /// Whether a non-blocking call would have had to wait: Python's
    /// `BlockingIOError` (`EWOULDBLOCK`, `EINPROGRESS`, `EALREADY`).
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, _b) = socketpair()?;
    /// a.setblocking(false)?;
    /// let err = a.recv(1).unwrap_err();
    /// assert!(err.is_would_block());
    /// assert!(!err.is_timeout());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn is_would_block(&self) -> bool {
        matches!(
            self.errno(),
            Some(libc::EWOULDBLOCK | libc::EINPROGRESS | libc::EALREADY)
        ) || (matches!(self, Error::Io(_)) && self.kind() == io::ErrorKind::WouldBlock)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidArgument(message.into())
    }

    pub(crate) fn from_errno(errno: i32) -> Error {
        Error::Io(io::Error::from_raw_os_error(errno))
    }
}

/// The attempts of an [`Error::Connect`], as its message lists them.
struct Attempts<'a>(&'a [(Address, Error)]);

impl fmt::Display for Attempts<'_> {
    /// `tried [::1]:8001 (Connection refused (os error 111)), then 127.0.0.1:8001 (timed out)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no address to try");
        }
        for (i, (address, err)) in self.0.iter().enumerate() {
            let lead = if i == 0 { "tried " } else { ", then " };
            write!(f, "{lead}{address} ({err})")?;
        }
        Ok(())
    }
}

impl From<Error> for io::Error {
    /// Keeps the errno of OS errors and the kind of the others
    /// ([`Error::Timeout`] becomes `TimedOut`).
    fn from(err: Error) -> io::Error {
        match err {
            Error::Io(err) => err,
            other => io::Error::new(other.kind(), other),
        }
    }
}
