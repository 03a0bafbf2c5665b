//! The crate's error type: Python's `OSError` family as one Rust enum.

use std::io;

/// The result of every fallible call in this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in a socket call.
///
/// | Python                         | pysocket                                   |
/// |--------------------------------|--------------------------------------------|
/// | `socket.timeout` / `TimeoutError` | [`Error::Timeout`]                      |
/// | `OSError` (errno set)          | [`Error::Io`] ([`Error::errno`])           |
/// | `BlockingIOError`              | [`Error::Io`] of kind `WouldBlock`         |
/// | `socket.gaierror`              | [`Error::Resolve`]                         |
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

    /// The OS refused the call; the `io::Error` keeps the errno.
    #[error(transparent)]
    Io(#[from] io::Error),

    /// A host or service name could not be resolved (Python's `socket.gaierror`).
    #[error("[Errno {code}] {message}: {host:?}")]
    Resolve {
        /// The name that was looked up.
        host: String,
        /// The resolver's code (`EAI_NONAME`, ...), as Python's `gaierror.errno`.
        code: i32,
        /// The resolver's message (`gai_strerror`).
        message: String,
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
            Error::Io(err) => err.raw_os_error(),
            _ => None,
        }
    }

    /// The `io::ErrorKind` this error converts to.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Error::Timeout => io::ErrorKind::TimedOut,
            Error::Io(err) => err.kind(),
            Error::Resolve { .. } => io::ErrorKind::NotFound,
            Error::InvalidArgument(_) => io::ErrorKind::InvalidInput,
        }
    }

    /// Whether this is the socket timeout ([`Error::Timeout`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// Whether a non-blocking call would have had to wait (Python's `BlockingIOError`).
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
