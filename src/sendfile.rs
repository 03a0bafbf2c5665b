//! [`Socket::sendfile`]: Python's `socket.sendfile`, with `sendfile(2)` where
//! the kernel can send from the file, and `send` where it cannot.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use crate::constants::SockType;
use crate::error::{Error, Result};
use crate::socket::Socket;
use crate::sys::sendfile::{falls_back, is_write_only, FileSender};
use crate::sys::{self, Interest};
use crate::timeout::{sock_call_in, Attempt, Plan};

/// The most one `sendfile(2)` is asked to send, as in CPython (bpo-38319):
/// more than any socket takes at once, and less than any kernel's limit.
const SENDFILE_CHUNK: u64 = 1 << 30;

/// The buffer of the `send` fallback: what a pipe gives in one read at most.
const FALLBACK_BUFFER: usize = 64 << 10;

/// The largest offset in a file (`off_t`'s maximum): the kernel refuses a
/// read or `sendfile(2)` whose range runs past it.
const MAX_OFFSET: u64 = i64::MAX as u64;

impl Socket {
    /// Sends a file, from `offset` to its end or for `count` bytes, with
    /// `sendfile(2)`, which copies from the file to the socket inside the
    /// kernel: Python's `sock.sendfile(file, offset, count)`. Returns the
    /// bytes sent.
    ///
    /// `count` of `None` sends up to the end of the file, and so does a
    /// larger count; an `offset` at or past the end sends nothing and returns
    /// `Ok(0)`. As in Python, the socket must be a `SOCK_STREAM` one not in
    /// non-blocking mode, `count` must not be `Some(0)`, and the file must be
    /// open for reading: each of these is an [`Error::InvalidArgument`] that
    /// says which.
    ///
    /// ```
    /// use std::io::{Seek, Write};
    /// use pysocket::socketpair;
    ///
    /// let mut file = tempfile::tempfile()?;
    /// file.write_all(b"hello, sendfile")?;
    /// let (a, b) = socketpair()?;
    /// // sock.sendfile(file, 7): from offset 7 to the end.
    /// assert_eq!(a.sendfile(&file, 7, None)?, 8);
    /// assert_eq!(b.recv(64)?, b"sendfile");
    /// // sock.sendfile(file, 0, 5): five bytes from the start.
    /// assert_eq!(a.sendfile(&file, 0, Some(5))?, 5);
    /// assert_eq!(b.recv(64)?, b"hello");
    /// // The file's position is left after the last byte sent.
    /// assert_eq!(file.stream_position()?, 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Timeouts and `SIGPIPE`
    ///
    /// The call goes through the socket's timeout mode as
    /// [`sendall`](Socket::sendall) does: in timeout mode one deadline covers
    /// all of it, however many system calls it takes, so a gigabyte sent to a
    /// slow reader gets the timeout in all, and [`Error::Timeout`] ends it
    /// (waits for the socket are timed; reading the file is not, as in
    /// CPython). An interrupted call is retried. Since `sendfile(2)` takes no
    /// `MSG_DONTWAIT`, a timed call makes the descriptor `O_NONBLOCK` while it
    /// runs (other calls on the socket at most wait in `poll` meanwhile), and
    /// since it takes no `MSG_NOSIGNAL` either, `SIGPIPE` is blocked in the
    /// calling thread while it runs and the one it raised is taken back: a
    /// peer that has gone is an error of kind `BrokenPipe`, never the death
    /// of the process.
    ///
    /// # The `send` fallback and the file's position
    ///
    /// Where the kernel cannot send from the file (a pipe, a file system
    /// without support, a system where this crate has no `sendfile(2)`:
    /// all but Linux and Android), the call reads the file into a buffer and
    /// sends it with `send`, as CPython's `_sendfile_use_send` does, against
    /// the same deadline. Zero-copy is given up only while nothing has been
    /// sent; a failure after that is the call's error.
    ///
    /// The file is read from `offset` without using or moving its position
    /// (positioned reads), so other users of the position are not disturbed
    /// while the call runs. When it returns, successfully or not, the position
    /// is `offset` plus the bytes sent, as CPython's `finally` leaves it (on
    /// an error, the position tells how much went out); if nothing was sent,
    /// it is left where it was. A file without a position (a pipe) is read
    /// from where it stands, and only with an `offset` of 0.
    pub fn sendfile(&self, file: &File, offset: u64, count: Option<u64>) -> Result<u64> {
        let timeout = self.check_sendfile(count)?;
        // One deadline for the whole call, the fallback's sends included.
        let mut plan = self.send_plan();
        let mut sent = 0;
        let mut result =
            self.sendfile_zero_copy(file, offset, count, timeout, &mut plan, &mut sent);
        if sent == 0 {
            if let Err(Error::Io(err)) = &result {
                if err.raw_os_error().is_some_and(falls_back) {
                    result = self.sendfile_by_send(file, offset, count, &mut plan, &mut sent);
                }
            }
        }
        // CPython's `finally`: the position after the last byte sent, error or not.
        let positioned = if sent > 0 {
            set_position(file, offset.saturating_add(sent))
        } else {
            Ok(())
        };
        result.map_err(|err| name_the_file_problem(file, err))?;
        positioned?;
        Ok(sent)
    }

    /// CPython's `_check_sendfile_params` and its refusal of non-blocking
    /// sockets. Returns the socket's timeout.
    fn check_sendfile(&self, count: Option<u64>) -> Result<Option<Duration>> {
        if self.kind() != SockType::STREAM {
            return Err(Error::invalid(format!(
                "sendfile requires a SOCK_STREAM socket, not {}",
                self.kind()
            )));
        }
        if count == Some(0) {
            return Err(Error::invalid(
                "sendfile: count must be a positive integer (got 0); None sends to the end of the file",
            ));
        }
        let timeout = self.gettimeout();
        if timeout == Some(Duration::ZERO) {
            return Err(Error::invalid(
                "sendfile: non-blocking sockets are not supported",
            ));
        }
        Ok(timeout)
    }

    /// Sends with `sendfile(2)`, counting in `sent`, until the end of the
    /// file or `count`.
    fn sendfile_zero_copy(
        &self,
        file: &File,
        offset: u64,
        count: Option<u64>,
        timeout: Option<Duration>,
        plan: &mut Plan,
        sent: &mut u64,
    ) -> Result<()> {
        let mut sender = FileSender::new()?;
        let mut nonblocking = NonBlockingForCall::new(self, timeout);
        loop {
            let pos = offset.saturating_add(*sent);
            let want = next_piece(pos, count, *sent, SENDFILE_CHUNK) as usize;
            if want == 0 {
                return Ok(());
            }
            let n = sock_call_in(
                self.as_fd(),
                Interest::Write,
                plan,
                Attempt::TryFirst,
                |dontwait| {
                    if dontwait != 0 {
                        nonblocking.ensure()?;
                    }
                    sender.sendfile(self.as_fd(), file.as_fd(), pos, want)
                },
            )?;
            if n == 0 {
                return Ok(()); // the end of the file
            }
            *sent += n as u64;
            plan.start_clock();
        }
    }

    /// The fallback, CPython's `_sendfile_use_send`: reads the file into a
    /// buffer and sends it, counting in `sent`, until the end of the file or
    /// `count`.
    fn sendfile_by_send(
        &self,
        file: &File,
        offset: u64,
        count: Option<u64>,
        plan: &mut Plan,
        sent: &mut u64,
    ) -> Result<()> {
        let size = count.map_or(FALLBACK_BUFFER, |count| {
            count.min(FALLBACK_BUFFER as u64) as usize
        });
        let mut buf = vec![0u8; size];
        let mut positioned = true;
        loop {
            let pos = offset.saturating_add(*sent);
            let want = next_piece(pos, count, *sent, size as u64) as usize;
            if want == 0 {
                return Ok(());
            }
            let read = read_piece(file, &mut buf[..want], pos, &mut positioned)?;
            if read == 0 {
                return Ok(()); // the end of the file
            }
            let mut piece = &buf[..read];
            while !piece.is_empty() {
                let n = sock_call_in(
                    self.as_fd(),
                    Interest::Write,
                    plan,
                    Attempt::TryFirst,
                    |dontwait| sys::send(self.as_fd(), piece, sys::SEND_FLAGS | dontwait),
                )?;
                if n == 0 {
                    return Err(Error::Io(io::ErrorKind::WriteZero.into()));
                }
                *sent += n as u64;
                piece = &piece[n..];
                plan.start_clock();
            }
        }
    }
}

/// How much the next call may send from `pos`, `sent` bytes into the call:
/// what is left of `count`, at most `most`, and nothing past the largest
/// offset a file can have (so an offset there is at the end of the file).
fn next_piece(pos: u64, count: Option<u64>, sent: u64, most: u64) -> u64 {
    let left = count.map_or(u64::MAX, |count| count.saturating_sub(sent));
    left.min(most).min(MAX_OFFSET.saturating_sub(pos))
}

/// Reads the next piece of `file` into `buf`, at `pos` without moving the
/// file's position; a file that has no position (a pipe: `ESPIPE`) is read
/// from where it stands from then on (`positioned` false), if the call asked
/// for offset 0. Interrupted reads are retried.
fn read_piece(file: &File, buf: &mut [u8], pos: u64, positioned: &mut bool) -> Result<usize> {
    loop {
        let read = if *positioned {
            file.read_at(buf, pos)
        } else {
            let mut file = file;
            file.read(buf)
        };
        match read {
            Ok(n) => return Ok(n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) if *positioned && err.raw_os_error() == Some(libc::ESPIPE) => {
                if pos != 0 {
                    return Err(Error::invalid(format!(
                        "sendfile: offset {pos} in a file that cannot seek (a pipe, a socket, \
                         a terminal): such a file is sent from where it stands, with offset 0"
                    )));
                }
                *positioned = false;
            }
            Err(err) => return Err(Error::Io(err)),
        }
    }
}

/// Moves the file's position to `pos`, if the file has one.
fn set_position(file: &File, pos: u64) -> Result<()> {
    let mut file = file;
    match file.seek(SeekFrom::Start(pos)) {
        Ok(_) => Ok(()),
        Err(err) if err.raw_os_error() == Some(libc::ESPIPE) => Ok(()),
        Err(err) => Err(Error::Io(err)),
    }
}

/// Names the problem a bare `EBADF` hides: a file open for writing only
/// (Python says `File not open for reading`).
fn name_the_file_problem(file: &File, err: Error) -> Error {
    if err.errno() == Some(libc::EBADF) && is_write_only(file.as_fd()) {
        return Error::invalid(
            "sendfile: the file is open for writing only; it must be open for reading",
        );
    }
    err
}

/// `O_NONBLOCK` on the socket's descriptor for one timed `sendfile`:
/// `sendfile(2)` has no `MSG_DONTWAIT`, and timeout mode under a kernel
/// backstop keeps the descriptor blocking. The timeout engine copes with a
/// descriptor made non-blocking under a call (another thread's or a `dup`'s
/// blocking call waits in `poll`, a receive under a backstop waits in `poll`
/// for its deadline), so the socket's other calls only wait differently
/// meanwhile. Set at the first timed attempt; put back as it was found once
/// the call is over, unless the socket's timeout changed meanwhile, which set
/// the descriptor's mode itself.
struct NonBlockingForCall<'a> {
    sock: &'a Socket,
    timeout: Option<Duration>,
    /// Whether the call made the descriptor non-blocking (`None`: not looked at yet).
    made: Option<bool>,
}

impl<'a> NonBlockingForCall<'a> {
    fn new(sock: &'a Socket, timeout: Option<Duration>) -> NonBlockingForCall<'a> {
        NonBlockingForCall {
            sock,
            timeout,
            made: None,
        }
    }

    fn ensure(&mut self) -> io::Result<()> {
        if self.made.is_none() {
            let fd = self.sock.as_fd();
            let already = sys::is_nonblocking(fd)?;
            if !already {
                sys::set_nonblocking(fd, true)?;
            }
            self.made = Some(!already);
        }
        Ok(())
    }
}

impl Drop for NonBlockingForCall<'_> {
    fn drop(&mut self) {
        if self.made == Some(true) && self.sock.gettimeout() == self.timeout {
            // Best effort: should it fail, the socket's calls still work on
            // a non-blocking descriptor, waiting in `poll`.
            let _ = sys::set_nonblocking(self.sock.as_fd(), false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_stop_at_the_count_and_at_the_largest_offset() {
        let gib = SENDFILE_CHUNK;
        assert_eq!(next_piece(0, None, 0, gib), gib);
        assert_eq!(next_piece(0, Some(10), 0, gib), 10);
        assert_eq!(next_piece(5, Some(10), 4, gib), 6);
        assert_eq!(next_piece(10, Some(10), 10, gib), 0, "the count is sent");
        assert_eq!(next_piece(0, Some(u64::MAX), 0, 7), 7);
        // Nothing lies past the largest offset: there the file has ended.
        assert_eq!(next_piece(MAX_OFFSET - 3, None, 0, gib), 3);
        assert_eq!(next_piece(MAX_OFFSET, None, 0, gib), 0);
        assert_eq!(next_piece(u64::MAX, Some(1), 0, gib), 0);
    }

    #[test]
    fn only_errors_about_the_file_fall_back() {
        for errno in [libc::EINVAL, libc::ESPIPE, libc::ENOSYS, libc::EOPNOTSUPP] {
            assert!(falls_back(errno), "{errno}");
        }
        for errno in [
            libc::EPIPE,
            libc::ECONNRESET,
            libc::EBADF,
            libc::EAGAIN,
            libc::EIO,
        ] {
            assert!(!falls_back(errno), "{errno}");
        }
    }
}
