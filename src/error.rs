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
/// | `socket.gaierror`, `socket.herror` | [`Error::Resolve`] ([`Error::is_gaierror`], [`Error::is_herror`]) |
/// | `OSError` from `create_server`'s bind | [`Error::Bind`] (names the address, keeps the errno) |
/// | `ExceptionGroup` from `create_connection(all_errors=True)` | [`Error::Connect`] |
/// | `ValueError`, `TypeError`, `OverflowError` on arguments | [`Error::InvalidArgument`] |
#[cfg_attr(
    feature = "ssl",
    doc = "| `ssl.SSLError` and its subclasses | [`Error::Ssl`] ([`ssl::SslError`](crate::ssl::SslError)) |"
)]
///
/// # How it prints
///
/// `Display` is Python's `str()` of the exception: `[Errno 111] Connection
/// refused` for every error that carries an errno (those nested in
/// [`Error::Bind`] and [`Error::Connect`] too), the plain message for the
/// others (`timed out`).
///
/// `Debug` is the last line of Python's traceback, the exception's class and
/// then its `str()`: `ConnectionRefusedError: [Errno 111] Connection
/// refused`, `TimeoutError: timed out`, `socket.gaierror: [Errno -2] Name or
/// service not known: "nosuch.invalid"`, `ValueError: ...` for
/// [`Error::InvalidArgument`]. An OS error takes the class Python gives its
/// errno (`BlockingIOError`, `BrokenPipeError`, `PermissionError`, ...;
/// `OSError` for the rest), and [`Error::Connect`] that of its last attempt,
/// which Python raises. So a `fn main() -> pysocket::Result<()>` that fails,
/// or an `unwrap()`, prints what a Python user recognises. `{:#?}` prints the
/// same line: match on the variants, or ask [`Error::errno`] and
/// [`Error::kind`], for the parts.
///
/// ```
/// use pysocket::{Socket, AF_INET, SOCK_STREAM};
///
/// // Bound but not listening: connecting is refused.
/// let holder = Socket::new(AF_INET, SOCK_STREAM)?;
/// holder.bind(("127.0.0.1", 0))?;
/// let client = Socket::new(AF_INET, SOCK_STREAM)?;
/// let err = client.connect(holder.getsockname()?).unwrap_err();
/// let message = format!("[Errno {}] Connection refused", libc::ECONNREFUSED);
/// assert_eq!(err.to_string(), message);
/// assert_eq!(format!("{err:?}"), format!("ConnectionRefusedError: {message}"));
/// # Ok::<(), pysocket::Error>(())
/// ```
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
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket's timeout passed before the call could complete (Python's `socket.timeout`).
    #[doc(alias("timeout", "TimeoutError"))]
    #[error("timed out")]
    Timeout,

    /// The OS refused the call; the `io::Error` keeps the errno. A name or
    /// number that a database lacks (an unknown service, protocol or network
    /// interface: Python's `OSError` without errno) is one of kind `NotFound`,
    /// with no errno and a message that names it.
    #[doc(alias = "OSError")]
    #[error("{}", OsMessage(.0))]
    Io(io::Error),

    /// A host or service name could not be resolved: Python's
    /// `socket.gaierror` from `getaddrinfo`/`getnameinfo`, or `socket.herror`
    /// from the hosts database ([`gethostbyname_ex`](crate::gethostbyname_ex),
    /// [`gethostbyaddr`](crate::gethostbyaddr)). `resolver` says which, and
    /// so how to read `code` ([`Error::is_gaierror`], [`Error::is_herror`]).
    ///
    /// ```
    /// use pysocket::{getaddrinfo, Error, Resolver};
    ///
    /// let err = getaddrinfo("no-such-host.invalid", 80).unwrap_err();
    /// let Error::Resolve { host, code, resolver, .. } = &err else { panic!("{err}") };
    /// assert_eq!(host, "no-such-host.invalid");
    /// assert_eq!(*resolver, Resolver::GetAddrInfo);
    /// assert!([libc::EAI_NONAME, libc::EAI_AGAIN].contains(code));
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(alias("gaierror", "herror"))]
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
        /// The resolver that failed: which of Python's exceptions this is,
        /// and which table `code` belongs to.
        resolver: Resolver,
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
    #[error(
        "{} (while attempting to bind on address {address})",
        OsMessage(source)
    )]
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
    #[doc(alias = "ValueError")]
    #[error("{0}")]
    InvalidArgument(String),

    /// A TLS failure: Python's `ssl.SSLError` family (a certificate that
    /// does not verify, an alert from the peer, a stream that ended in the
    /// middle of a handshake...). It prints as the [`SslError`] inside:
    /// `Display` as Python's `str()`, `Debug` with Python's class first
    /// (`ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]
    /// certificate verify failed: ...`). Its kind is `UnexpectedEof` for
    /// [`SslError::Eof`] and [`SslError::ZeroReturn`], else `InvalidData`;
    /// it has no errno.
    ///
    /// [`SslError`]: crate::ssl::SslError
    /// [`SslError::Eof`]: crate::ssl::SslError::Eof
    /// [`SslError::ZeroReturn`]: crate::ssl::SslError::ZeroReturn
    ///
    /// ```
    /// use pysocket::ssl::{SslContext, PROTOCOL_TLS_SERVER};
    /// use pysocket::Error;
    ///
    /// let mut ctx = SslContext::new(PROTOCOL_TLS_SERVER);
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("empty.pem");
    /// std::fs::write(&path, "")?;
    /// let err = ctx.load_cert_chain(&path, None).unwrap_err();
    /// assert!(matches!(err, Error::Ssl(_)));
    /// assert!(format!("{err:?}").starts_with("ssl.SSLError: [SSL] PEM lib"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "ssl")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ssl")))]
    #[doc(alias("SSLError", "SSLCertVerificationError"))]
    #[error(transparent)]
    Ssl(#[from] crate::ssl::SslError),
}

/// The resolver behind an [`Error::Resolve`]: Python raises a different
/// exception for each, and each has its own codes.
///
/// ```
/// use pysocket::{gethostbyname_ex, getaddrinfo, Error, Resolver};
///
/// // getaddrinfo and getnameinfo: Python's socket.gaierror.
/// let err = getaddrinfo("no-such-host.invalid", 80).unwrap_err();
/// assert!(matches!(err, Error::Resolve { resolver: Resolver::GetAddrInfo, .. }));
///
/// // The hosts database, which has no entry for "": Python's socket.herror.
/// let err = gethostbyname_ex("").unwrap_err();
/// assert!(matches!(err, Error::Resolve { resolver: Resolver::HostDb, .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resolver {
    /// `getaddrinfo(3)` or `getnameinfo(3)`: Python's `socket.gaierror`.
    /// The code is an `EAI_*` value (`libc::EAI_NONAME`, ...), negative on
    /// glibc, and its message is `gai_strerror`'s.
    #[doc(alias = "gaierror")]
    GetAddrInfo,
    /// The hosts database, `gethostbyname(3)` and `gethostbyaddr(3)` (for
    /// [`gethostbyname_ex`](crate::gethostbyname_ex) and
    /// [`gethostbyaddr`](crate::gethostbyaddr)): Python's `socket.herror`.
    /// The code is an `h_errno` value (`HOST_NOT_FOUND` is 1, `TRY_AGAIN`
    /// 2, `NO_RECOVERY` 3, `NO_DATA` 4), and its message is `hstrerror`'s.
    #[doc(alias = "herror")]
    HostDb,
}

impl Resolver {
    /// The kind of a failure with `code`: a temporary one (`EAI_AGAIN`,
    /// `TRY_AGAIN`) is `Other`, any other `NotFound`.
    fn kind(self, code: i32) -> io::ErrorKind {
        let temporary = match self {
            Resolver::GetAddrInfo => code == libc::EAI_AGAIN,
            Resolver::HostDb => code == crate::sys::netdb::TRY_AGAIN,
        };
        if temporary {
            io::ErrorKind::Other
        } else {
            io::ErrorKind::NotFound
        }
    }
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
    /// A name that does not resolve ([`Error::Resolve`]) is `NotFound`,
    /// unless the failure is temporary: `EAI_AGAIN` from `getaddrinfo`
    /// (Python's `gaierror` "Temporary failure in name resolution", often a
    /// DNS server that did not answer) or `TRY_AGAIN` from the hosts
    /// database (`herror`). That one is `Other`: the name may well exist, and
    /// resolve if asked again later.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use pysocket::{getaddrinfo, Error};
    ///
    /// let err = getaddrinfo("no-such-host.invalid", 80).unwrap_err();
    /// match &err {
    ///     Error::Resolve { code, .. } if *code == libc::EAI_AGAIN => {
    ///         assert_eq!(err.kind(), ErrorKind::Other) // offline: retry later
    ///     }
    ///     _ => assert_eq!(err.kind(), ErrorKind::NotFound),
    /// }
    /// ```
    ///
    /// A non-blocking call that would block is `WouldBlock`, a timeout `TimedOut`:
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
            Error::Resolve { resolver, code, .. } => resolver.kind(*code),
            Error::InvalidArgument(_) => io::ErrorKind::InvalidInput,
            Error::Connect { attempts, .. } => attempts
                .last()
                .map_or(io::ErrorKind::Other, |(_, err)| err.kind()),
            #[cfg(feature = "ssl")]
            Error::Ssl(err) => err.kind(),
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

    /// Whether this is Python's `socket.gaierror`: an [`Error::Resolve`]
    /// from `getaddrinfo` or `getnameinfo` ([`Resolver::GetAddrInfo`]).
    /// (Their `EAI_SYSTEM` is the OS error, an [`Error::Io`], as Python
    /// raises an `OSError` for it.)
    ///
    /// ```
    /// use pysocket::{getaddrinfo, gethostbyname, getnameinfo, NameInfoFlags};
    ///
    /// assert!(getaddrinfo("no-such-host.invalid", 80).unwrap_err().is_gaierror());
    /// assert!(gethostbyname("no-such-host.invalid").unwrap_err().is_gaierror());
    /// assert!(getnameinfo(("no-such-host.invalid", 80), NameInfoFlags::empty())
    ///     .unwrap_err()
    ///     .is_gaierror());
    /// ```
    pub fn is_gaierror(&self) -> bool {
        matches!(
            self,
            Error::Resolve {
                resolver: Resolver::GetAddrInfo,
                ..
            }
        )
    }

    /// Whether this is Python's `socket.herror`: an [`Error::Resolve`] from
    /// the hosts database ([`Resolver::HostDb`]), which
    /// [`gethostbyname_ex`](crate::gethostbyname_ex) and
    /// [`gethostbyaddr`](crate::gethostbyaddr) consult.
    ///
    /// ```
    /// use pysocket::gethostbyname_ex;
    ///
    /// // "" passes gethostbyname's check (it is 0.0.0.0), but the hosts
    /// // database has no entry for it: Python's herror(NO_RECOVERY).
    /// let err = gethostbyname_ex("").unwrap_err();
    /// assert!(err.is_herror());
    /// assert!(!err.is_gaierror());
    /// ```
    pub fn is_herror(&self) -> bool {
        matches!(
            self,
            Error::Resolve {
                resolver: Resolver::HostDb,
                ..
            }
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidArgument(message.into())
    }

    pub(crate) fn from_errno(errno: i32) -> Error {
        Error::Io(io::Error::from_raw_os_error(errno))
    }

    /// What a failed `bind` on `address` reports from the calls that bind
    /// for the caller ([`create_server`](crate::create_server), the
    /// servers): an OS error becomes [`Error::Bind`], naming the address;
    /// any other error stays as it is.
    pub(crate) fn bind_failed(address: &Address, err: Error) -> Error {
        match err {
            Error::Io(source) => Error::Bind {
                address: address.clone(),
                source,
            },
            other => other,
        }
    }

    /// The name of the exception Python raises for this error.
    fn python_class(&self) -> &'static str {
        match self {
            Error::Timeout => "TimeoutError",
            Error::Io(_) | Error::Bind { .. } => os_error_class(self.errno()),
            Error::Resolve {
                resolver: Resolver::HostDb,
                ..
            } => "socket.herror",
            Error::Resolve { .. } => "socket.gaierror",
            Error::Connect { attempts, .. } => attempts
                .last()
                .map_or("OSError", |(_, err)| err.python_class()),
            Error::InvalidArgument(_) => "ValueError",
            #[cfg(feature = "ssl")]
            Error::Ssl(err) => err.python_class(),
        }
    }
}

impl From<io::Error> for Error {
    /// An error of this crate carried in an `io::Error` (as the [`Read`],
    /// [`BufRead`] and [`Write`] calls of a [`SocketFile`] return them) comes
    /// back as itself, so a timed-out read passed on with `?` is still
    /// [`Error::Timeout`]; any other `io::Error` is [`Error::Io`], an OS
    /// `ETIMEDOUT` included.
    ///
    /// [`Read`]: std::io::Read
    /// [`BufRead`]: std::io::BufRead
    /// [`Write`]: std::io::Write
    /// [`SocketFile`]: crate::SocketFile
    ///
    /// ```
    /// use std::io::BufRead;
    /// use std::time::Duration;
    /// use pysocket::{socketpair, Error};
    ///
    /// fn first_line(file: &mut pysocket::SocketFile<'_>) -> pysocket::Result<String> {
    ///     let mut line = String::new();
    ///     file.read_line(&mut line)?;
    ///     Ok(line)
    /// }
    ///
    /// let (a, _b) = socketpair()?;
    /// a.settimeout(Some(Duration::from_millis(10)))?;
    /// let err = first_line(&mut a.makefile()).unwrap_err();
    /// assert!(matches!(err, Error::Timeout));
    /// assert!(err.is_timeout());
    /// # Ok::<(), Error>(())
    /// ```
    fn from(err: io::Error) -> Error {
        if !err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::Io(err);
        }
        let kind = err.kind();
        match err.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            // Not reached: the check above found an `Error` inside.
            Some(Err(inner)) => Error::Io(io::Error::new(kind, inner)),
            None => Error::Io(kind.into()),
        }
    }
}

impl fmt::Debug for Error {
    /// Python's traceback line: the exception's class, then its message (see
    /// [How it prints](Error#how-it-prints)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An error of this crate that went through an `io::Error` and back
        // prints as itself.
        if let Error::Io(err) = self {
            if let Some(inner) = err
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<Error>())
            {
                return fmt::Debug::fmt(inner, f);
            }
        }
        write!(f, "{}: {self}", self.python_class())
    }
}

/// The classes Python's `OSError` constructor picks by errno (CPython's
/// `errnomap`); every other errno is plain `OSError`.
const OS_ERROR_CLASSES: &[(i32, &str)] = &[
    (libc::EAGAIN, "BlockingIOError"),
    (libc::EALREADY, "BlockingIOError"),
    (libc::EINPROGRESS, "BlockingIOError"),
    (libc::EWOULDBLOCK, "BlockingIOError"),
    (libc::EPIPE, "BrokenPipeError"),
    (libc::ESHUTDOWN, "BrokenPipeError"),
    (libc::ECHILD, "ChildProcessError"),
    (libc::ECONNABORTED, "ConnectionAbortedError"),
    (libc::ECONNREFUSED, "ConnectionRefusedError"),
    (libc::ECONNRESET, "ConnectionResetError"),
    (libc::EEXIST, "FileExistsError"),
    (libc::ENOENT, "FileNotFoundError"),
    (libc::EISDIR, "IsADirectoryError"),
    (libc::ENOTDIR, "NotADirectoryError"),
    (libc::EINTR, "InterruptedError"),
    (libc::EACCES, "PermissionError"),
    (libc::EPERM, "PermissionError"),
    (libc::ESRCH, "ProcessLookupError"),
    (libc::ETIMEDOUT, "TimeoutError"),
];

/// The class Python raises for an OS error with this errno, if any.
fn os_error_class(errno: Option<i32>) -> &'static str {
    errno
        .and_then(|errno| OS_ERROR_CLASSES.iter().find(|(code, _)| *code == errno))
        .map_or("OSError", |(_, class)| class)
}

/// An `io::Error` as Python's `str(OSError)` shows it: `[Errno 111]
/// Connection refused` when it carries an errno, its own message otherwise.
struct OsMessage<'a>(&'a io::Error);

impl fmt::Display for OsMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.raw_os_error() {
            Some(code) => write!(f, "[Errno {code}] {}", strerror(code)),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The system's text for an errno (`strerror`, which Python prints too).
fn strerror(code: i32) -> String {
    // std offers the text only followed by " (os error N)".
    let text = io::Error::from_raw_os_error(code).to_string();
    match text.strip_suffix(&format!(" (os error {code})")) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// The attempts of an [`Error::Connect`], as its message lists them.
struct Attempts<'a>(&'a [(Address, Error)]);

impl fmt::Display for Attempts<'_> {
    /// `tried [::1]:8001 ([Errno 111] Connection refused), then 127.0.0.1:8001 (timed out)`.
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

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::time::Duration;

    use super::*;
    use crate::{create_server, socketpair, Socket, AF_INET, SOCK_STREAM};

    /// What python3 prints for each line of `script`, or `None` (and a note)
    /// when python3 is not installed.
    fn python(script: &str) -> Option<Vec<String>> {
        let Ok(out) = Command::new("python3").args(["-c", script]).output() else {
            eprintln!("python3 not found: skipping the comparison with Python");
            return None;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        Some(text.lines().map(str::to_string).collect())
    }

    /// Python's `OSError(errno, strerror)` picks the class and prints the
    /// message as `Debug` does, for every errno.
    #[test]
    fn os_errors_print_as_python_prints_them() {
        let codes = 1..=133;
        let script = format!(
            "import os\n\
             for code in range({}, {}):\n    \
             e = OSError(code, os.strerror(code))\n    \
             print(f'{{type(e).__name__}}: {{e}}')",
            codes.start(),
            codes.end() + 1
        );
        let Some(expected) = python(&script) else {
            return;
        };
        let ours: Vec<String> = codes
            .map(|code| format!("{:?}", Error::from_errno(code)))
            .collect();
        assert_eq!(ours, expected);
    }

    /// The same failures over real loopback sockets, in Rust and in Python,
    /// print the same line.
    #[test]
    fn real_failures_print_as_in_python() {
        // Bound but not listening: connects are refused, binds find it taken.
        let holder = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        holder.bind(("127.0.0.1", 0)).unwrap();
        let port = holder.getsockname().unwrap().port().unwrap();

        let refused = Socket::new(AF_INET, SOCK_STREAM)
            .unwrap()
            .connect(("127.0.0.1", port))
            .unwrap_err();
        let in_use = Socket::new(AF_INET, SOCK_STREAM)
            .unwrap()
            .bind(("127.0.0.1", port))
            .unwrap_err();
        let server_in_use = create_server(("127.0.0.1", port)).unwrap_err();
        let (a, _b) = socketpair().unwrap();
        a.settimeout(Some(Duration::from_millis(1))).unwrap();
        let timed_out = a.recv(1).unwrap_err();
        a.setblocking(false).unwrap();
        let would_block = a.recv(1).unwrap_err();
        let ours = [&refused, &in_use, &server_in_use, &timed_out, &would_block]
            .map(|err| format!("{err:?}"));

        let script = format!(
            "import socket\n\
             def show(call):\n    \
             try:\n        call()\n    \
             except OSError as e:\n        print(f'{{type(e).__name__}}: {{e}}')\n\
             show(lambda: socket.socket().connect(('127.0.0.1', {port})))\n\
             show(lambda: socket.socket().bind(('127.0.0.1', {port})))\n\
             show(lambda: socket.create_server(('127.0.0.1', {port})))\n\
             a, b = socket.socketpair()\n\
             a.settimeout(0.001)\n\
             show(lambda: a.recv(1))\n\
             a.setblocking(False)\n\
             show(lambda: a.recv(1))\n"
        );
        let Some(expected) = python(&script) else {
            return;
        };
        assert_eq!(ours[0], expected[0]);
        assert_eq!(ours[1], expected[1]);
        // Python names the address as a tuple, this crate as Rust does.
        let (python_head, _) = expected[2].rsplit_once(" address ").unwrap();
        assert_eq!(ours[2], format!("{python_head} address 127.0.0.1:{port})"));
        assert_eq!(ours[3..], expected[3..]);
    }

    fn address(text: &str) -> Address {
        text.parse::<std::net::SocketAddr>().unwrap().into()
    }

    #[test]
    fn nested_errors_use_the_errno_style() {
        let refused = Error::from_errno(libc::ECONNREFUSED);
        let message = format!("[Errno {}] Connection refused", libc::ECONNREFUSED);
        let connect = Error::Connect {
            target: "localhost:8001".to_string(),
            attempts: vec![
                (address("[::1]:8001"), Error::Timeout),
                (address("127.0.0.1:8001"), refused),
            ],
        };
        assert_eq!(
            connect.to_string(),
            format!(
                "could not connect to localhost:8001: tried [::1]:8001 (timed out), \
                 then 127.0.0.1:8001 ({message})"
            )
        );
        assert_eq!(
            format!("{connect:?}"),
            format!("ConnectionRefusedError: {connect}")
        );
    }

    #[test]
    fn errors_without_errno_print_their_message() {
        let not_found = Error::Io(io::Error::new(
            io::ErrorKind::NotFound,
            "service/proto not found",
        ));
        assert_eq!(format!("{not_found:?}"), "OSError: service/proto not found");
        let invalid = Error::invalid("port must be 0-65535");
        assert_eq!(format!("{invalid:#?}"), "ValueError: port must be 0-65535");
        let resolve = crate::getaddrinfo("no-such-host.invalid", 80).unwrap_err();
        assert!(matches!(resolve, Error::Resolve { .. }), "{resolve:?}");
        assert_eq!(
            format!("{resolve:?}"),
            format!("socket.gaierror: {resolve}")
        );
        let host_db = crate::gethostbyname_ex("").unwrap_err();
        assert!(host_db.is_herror(), "{host_db:?}");
        assert_eq!(format!("{host_db:?}"), format!("socket.herror: {host_db}"));
    }

    /// Every error of the crate that went into an `io::Error` comes back as
    /// itself; an OS `ETIMEDOUT` stays an OS error.
    #[test]
    fn from_io_error_gives_back_the_crate_error() {
        let timeout = Error::from(io::Error::from(Error::Timeout));
        assert!(matches!(timeout, Error::Timeout));
        let invalid = Error::from(io::Error::from(Error::invalid("bad port")));
        assert!(matches!(&invalid, Error::InvalidArgument(m) if m == "bad port"));
        let os = Error::from(io::Error::from_raw_os_error(libc::ETIMEDOUT));
        assert!(matches!(&os, Error::Io(_)), "{os:?}");
        assert_eq!(os.errno(), Some(libc::ETIMEDOUT));
        assert!(!os.is_timeout());
        let other = Error::from(io::Error::new(io::ErrorKind::TimedOut, "elsewhere"));
        assert!(matches!(&other, Error::Io(e) if e.kind() == io::ErrorKind::TimedOut));
    }

    /// An error that went through `io::Error` and back prints as itself, and
    /// the conversion keeps the errno.
    #[test]
    fn round_trips_through_io_error() {
        let timeout = Error::Io(io::Error::from(Error::Timeout));
        assert_eq!(format!("{timeout:?}"), "TimeoutError: timed out");
        let refused = io::Error::from(Error::from_errno(libc::ECONNREFUSED));
        assert_eq!(refused.raw_os_error(), Some(libc::ECONNREFUSED));
    }
}
