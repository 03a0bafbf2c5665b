//! The module-level functions of Python's `socket` module.

use socket2::{Domain, Type};

use crate::constants::{Family, Protocol, SockType};
use crate::error::Result;
use crate::socket::Socket;
use crate::timeout::getdefaulttimeout;

/// A pair of connected `AF_UNIX` stream sockets: `socketpair(2)`, Python's
/// `socket.socketpair()`. Both are close-on-exec and start with the
/// [default timeout](crate::getdefaulttimeout).
///
/// ```
/// use pysocket::socketpair;
/// let (a, b) = socketpair()?;
/// a.sendall(b"ping")?;
/// assert_eq!(b.recv(4)?, b"ping");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn socketpair() -> Result<(Socket, Socket)> {
    socketpair_with(Family::UNIX, SockType::STREAM)
}

/// A pair of connected sockets of the given family and type
/// (`AF_UNIX` with `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET` on Linux).
///
/// ```
/// use pysocket::{socketpair_with, AF_UNIX, SOCK_DGRAM};
/// let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM)?;
/// a.send(b"one")?;
/// a.send(b"two")?;
/// assert_eq!(b.recv(64)?, b"one"); // datagram boundaries are kept
/// assert_eq!(b.recv(64)?, b"two");
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn socketpair_with(family: Family, kind: SockType) -> Result<(Socket, Socket)> {
    let (a, b) = socket2::Socket::pair(
        Domain::from(family.as_raw()),
        Type::from(kind.as_raw()),
        None,
    )?;
    let timeout = getdefaulttimeout();
    Ok((
        Socket::from_new(a, family, kind, Protocol::DEFAULT, timeout)?,
        Socket::from_new(b, family, kind, Protocol::DEFAULT, timeout)?,
    ))
}
