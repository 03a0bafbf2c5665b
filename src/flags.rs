//! The `MSG_*` flags of `send` and `recv`.

bitflags::bitflags! {
    /// The flags of `send(2)`/`recv(2)` (Python's `MSG_*` constants), as in nix:
    /// the constants drop the prefix (`MsgFlags::PEEK` for `MSG_PEEK`).
    ///
    /// Bits without a name here pass through unchanged (`MsgFlags::from_bits_retain`).
    /// The send paths always add `MSG_NOSIGNAL` where the OS has it, so it need
    /// not be given.
    ///
    /// ```
    /// use pysocket::{socketpair, MsgFlags};
    ///
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"hello")?;
    /// let peeked = b.recv_with_flags(5, MsgFlags::PEEK)?;
    /// assert_eq!(peeked, b"hello");
    /// assert_eq!(b.recv(5)?, b"hello"); // still there after the peek
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MsgFlags: i32 {
        /// `MSG_PEEK`: return data without removing it from the queue.
        const PEEK = libc::MSG_PEEK;
        /// `MSG_OOB`: send or receive out-of-band data.
        const OOB = libc::MSG_OOB;
        /// `MSG_WAITALL`: block until the whole request is satisfied.
        const WAITALL = libc::MSG_WAITALL;
        /// `MSG_DONTWAIT`: make this one call non-blocking.
        const DONTWAIT = libc::MSG_DONTWAIT;
        /// `MSG_DONTROUTE`: send only to directly connected hosts.
        const DONTROUTE = libc::MSG_DONTROUTE;
        /// `MSG_TRUNC`: return the real length of a truncated datagram.
        const TRUNC = libc::MSG_TRUNC;
        /// `MSG_CTRUNC`: control data was truncated.
        const CTRUNC = libc::MSG_CTRUNC;
        /// `MSG_EOR`: end of record (`SOCK_SEQPACKET`).
        const EOR = libc::MSG_EOR;
        /// `MSG_NOSIGNAL`: no `SIGPIPE` on a broken connection (always set on send).
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd", target_os = "netbsd", target_os = "openbsd", target_os = "dragonfly"))]
        const NOSIGNAL = libc::MSG_NOSIGNAL;
        /// `MSG_CONFIRM`: tell the link layer that forward progress happened (Linux).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const CONFIRM = libc::MSG_CONFIRM;
        /// `MSG_MORE`: more data follows (Linux).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const MORE = libc::MSG_MORE;
        /// `MSG_ERRQUEUE`: receive from the error queue (Linux).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const ERRQUEUE = libc::MSG_ERRQUEUE;
        /// `MSG_CMSG_CLOEXEC`: close-on-exec for received descriptors (Linux).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const CMSG_CLOEXEC = libc::MSG_CMSG_CLOEXEC;
        /// `MSG_FASTOPEN`: send data with the SYN, connecting (TCP Fast Open; Linux).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const FASTOPEN = libc::MSG_FASTOPEN;
    }
}
