//! `sendfile(2)`, for [`Socket::sendfile`](crate::Socket::sendfile), and the
//! `SIGPIPE` it raises. Wrapped for Linux and Android; elsewhere
//! [`FileSender::sendfile`] fails with `ENOSYS`, and every
//! `Socket::sendfile` takes the `send` fallback.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Whether `file` is open for writing only (a `sendfile` from it fails with
/// `EBADF`, which then gets a message that says why).
pub(crate) fn is_write_only(file: BorrowedFd<'_>) -> bool {
    // SAFETY: F_GETFL takes no argument and only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    flags != -1 && flags & libc::O_ACCMODE == libc::O_WRONLY
}

platform! {
    if linux {
        use std::mem::MaybeUninit;

        /// Sends files with `sendfile(2)`, with `SIGPIPE` blocked in the
        /// calling thread while it lives.
        ///
        /// `sendfile(2)` takes no `MSG_NOSIGNAL`: to a peer that has gone it
        /// raises `SIGPIPE` (thread-directed) as well as failing with `EPIPE`.
        /// With the signal blocked it stays pending on the thread instead of
        /// killing the process, and is taken back before the old mask returns
        /// (libpq does the same around its sends where there is no
        /// `MSG_NOSIGNAL`). A `SIGPIPE` that was pending before is left alone:
        /// it was not raised here.
        pub(crate) struct FileSender {
            old_mask: libc::sigset_t,
            pending_before: bool,
            raised: bool,
        }

        /// `{SIGPIPE}`.
        fn sigpipe_set() -> libc::sigset_t {
            let mut set = MaybeUninit::<libc::sigset_t>::uninit();
            // SAFETY: sigemptyset initialises the set it is given; sigaddset
            // then adds a valid signal number to it.
            unsafe {
                libc::sigemptyset(set.as_mut_ptr());
                libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
                set.assume_init()
            }
        }

        /// Whether a `SIGPIPE` is pending on this thread or the process.
        fn sigpipe_pending() -> bool {
            let mut set = MaybeUninit::<libc::sigset_t>::uninit();
            // SAFETY: sigpending fills the set it is given, or fails and leaves
            // it unread.
            unsafe {
                libc::sigpending(set.as_mut_ptr()) == 0
                    && libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
            }
        }

        impl FileSender {
            /// Blocks `SIGPIPE` in the calling thread until the sender is dropped.
            pub(crate) fn new() -> io::Result<FileSender> {
                let set = sigpipe_set();
                let mut old_mask = MaybeUninit::<libc::sigset_t>::uninit();
                // SAFETY: `set` is an initialised signal set; the old mask is
                // written to `old_mask` on success.
                let rc = unsafe {
                    libc::pthread_sigmask(libc::SIG_BLOCK, &set, old_mask.as_mut_ptr())
                };
                if rc != 0 {
                    return Err(io::Error::from_raw_os_error(rc));
                }
                // SAFETY: pthread_sigmask succeeded, so it wrote the old mask.
                let old_mask = unsafe { old_mask.assume_init() };
                // SAFETY: `old_mask` is an initialised signal set.
                let was_blocked = unsafe { libc::sigismember(&old_mask, libc::SIGPIPE) } == 1;
                Ok(FileSender {
                    old_mask,
                    // Only a blocked SIGPIPE can be pending.
                    pending_before: was_blocked && sigpipe_pending(),
                    raised: false,
                })
            }

            /// `sendfile(2)`: sends up to `count` bytes of `file` from `offset`
            /// to `socket`, without moving the file's position. Returns the
            /// bytes sent, 0 at the end of the file.
            pub(crate) fn sendfile(
                &mut self,
                socket: BorrowedFd<'_>,
                file: BorrowedFd<'_>,
                offset: u64,
                count: usize,
            ) -> io::Result<usize> {
                // An offset past what this off_t holds (a 32-bit one) is left
                // to the fallback, whose positioned reads take any u64.
                let mut offset = libc::off_t::try_from(offset)
                    .map_err(|_| io::Error::from_raw_os_error(libc::EOVERFLOW))?;
                // SAFETY: both descriptors are live for their borrows; the
                // kernel reads and updates `offset`, a local off_t.
                let sent = unsafe {
                    libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut offset, count)
                };
                if sent == -1 {
                    let err = io::Error::last_os_error();
                    self.raised |= err.raw_os_error() == Some(libc::EPIPE);
                    return Err(err);
                }
                Ok(sent as usize)
            }
        }

        impl Drop for FileSender {
            fn drop(&mut self) {
                if self.raised && !self.pending_before {
                    let set = sigpipe_set();
                    // SAFETY: all-zero bytes are a valid timespec: no time at
                    // all. `set` and `zero` are valid for the call, and no
                    // siginfo is asked for. A zero timeout never waits: with
                    // no SIGPIPE pending the call fails with EAGAIN, which is
                    // fine.
                    unsafe {
                        let zero: libc::timespec = std::mem::zeroed();
                        libc::sigtimedwait(&set, std::ptr::null_mut(), &zero);
                    }
                }
                // SAFETY: `old_mask` is the initialised mask saved in `new`.
                unsafe {
                    libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut())
                };
            }
        }
    } else {
        /// No `sendfile(2)` wrapped here: every call says `ENOSYS`, and
        /// `Socket::sendfile` sends with `send` instead.
        pub(crate) struct FileSender;

        impl FileSender {
            pub(crate) fn new() -> io::Result<FileSender> {
                Ok(FileSender)
            }

            pub(crate) fn sendfile(
                &mut self,
                _socket: BorrowedFd<'_>,
                _file: BorrowedFd<'_>,
                _offset: u64,
                _count: usize,
            ) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::ENOSYS))
            }
        }
    }
}

/// Whether a `sendfile(2)` that failed with `errno` before sending anything
/// should give way to the `send` fallback: the kernel cannot send from this
/// file (std's `kernel_copy` falls back on the same), not that the socket
/// failed.
pub(crate) fn falls_back(errno: i32) -> bool {
    // EINVAL: a file with no splice support (a pipe, some /proc files);
    // ESPIPE: a file without positioned reads (a pipe, given an offset);
    // ENOSYS, EPERM: no such system call, or one a seccomp filter forbids;
    // EOVERFLOW: an offset or size the call cannot represent; ENOTSUP and
    // EOPNOTSUPP: a file system that does not support it.
    [
        libc::EINVAL,
        libc::ESPIPE,
        libc::ENOSYS,
        libc::EPERM,
        libc::EOVERFLOW,
        libc::ENOTSUP,
        libc::EOPNOTSUPP,
    ]
    .contains(&errno)
}
