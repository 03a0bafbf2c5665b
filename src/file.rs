//! [`SocketFile`]: Python's `socket.makefile()`, a buffered reader and writer
//! over one socket.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use crate::flags::MsgFlags;
use crate::socket::Socket;

/// The default size of each buffer: large enough that a stream of short lines
/// costs one `recv` per 64 KiB rather than one per line.
pub const DEFAULT_BUFFER_SIZE: usize = 64 * 1024;

/// A buffered file over a socket, from [`Socket::makefile`]: reads and writes
/// on the one socket, like the file Python's `makefile("rwb")` returns.
///
/// - Reading ([`Read`], [`BufRead`]) fills a buffer with one `recv` at a time;
///   [`read_line`](BufRead::read_line) and [`read_until`](BufRead::read_until)
///   search it a word at a time (then with `memchr`) and allocate nothing
///   per line.
/// - Writing ([`Write`]) collects data and sends it with one deadline per
///   [`flush`](Write::flush); a full buffer is sent on the next write, and
///   dropping the file flushes it (ignoring errors, like `BufWriter`).
/// - The socket's timeout holds for every call: a wait that passes it is an
///   `io::Error` of kind `TimedOut`. Nothing is lost when that happens: a line
///   that did not arrive in full stays buffered for the next `read_line`, and
///   bytes a `flush` could not send stay buffered for the next `flush`.
///
/// ```
/// use std::io::{BufRead, Write};
/// use pysocket::socketpair;
///
/// let (a, b) = socketpair()?;
/// let mut writer = a.makefile();
/// writer.write_all(b"first line\nsecond line\n")?;
/// writer.flush()?;
///
/// let mut reader = b.makefile();
/// let mut line = String::new();
/// reader.read_line(&mut line)?;
/// assert_eq!(line, "first line\n");
/// line.clear();
/// reader.read_line(&mut line)?;
/// assert_eq!(line, "second line\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SocketFile<'a> {
    sock: &'a Socket,
    /// Allocated on first use (so no size given can abort the process), then
    /// grown by doubling when a line does not fit.
    rbuf: Vec<u8>,
    rcap: usize,
    rpos: usize,
    rend: usize,
    wbuf: Vec<u8>,
    wcap: usize,
}

impl<'a> SocketFile<'a> {
    /// A file with buffers of [`DEFAULT_BUFFER_SIZE`] bytes.
    pub fn new(sock: &'a Socket) -> SocketFile<'a> {
        SocketFile::with_capacity(sock, DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE)
    }

    /// A file with buffers of the given sizes (each at least one byte). A line
    /// longer than the read buffer grows it. Buffers are allocated when first
    /// needed; a size that cannot be allocated is an error of kind
    /// `OutOfMemory` from the read or write that needed it.
    pub fn with_capacity(
        sock: &'a Socket,
        read_capacity: usize,
        write_capacity: usize,
    ) -> SocketFile<'a> {
        SocketFile {
            sock,
            rbuf: Vec::new(),
            rcap: read_capacity.max(1),
            rpos: 0,
            rend: 0,
            wbuf: Vec::new(),
            wcap: write_capacity.max(1),
        }
    }

    /// The socket underneath.
    pub fn get_ref(&self) -> &'a Socket {
        self.sock
    }

    /// The data received but not yet read.
    pub fn buffer(&self) -> &[u8] {
        &self.rbuf[self.rpos..self.rend]
    }

    /// The data written but not yet sent.
    pub fn write_buffer(&self) -> &[u8] {
        &self.wbuf
    }

    /// Receives into the free end of the read buffer, growing it when full.
    /// Returns the byte count, 0 at the end of the stream.
    fn receive_more(&mut self) -> io::Result<usize> {
        if self.rpos == self.rend {
            self.rpos = 0;
            self.rend = 0;
        } else if self.rpos > 0 {
            self.rbuf.copy_within(self.rpos..self.rend, 0);
            self.rend -= self.rpos;
            self.rpos = 0;
        }
        if self.rend == self.rbuf.len() {
            let grown = if self.rbuf.is_empty() {
                self.rcap
            } else {
                self.rbuf.len().saturating_mul(2)
            };
            self.rbuf
                .try_reserve_exact(grown - self.rbuf.len())
                .map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::OutOfMemory,
                        format!("a read buffer of {grown} bytes cannot be allocated"),
                    )
                })?;
            self.rbuf.resize(grown, 0);
        }
        let n = self.sock.recv_into(&mut self.rbuf[self.rend..])?;
        self.rend += n;
        Ok(n)
    }

    /// Makes sure the buffer holds a whole line ending in `delim`, or all that is
    /// left of the stream, at `rbuf[rpos..end]`, and returns `end`. Nothing is
    /// consumed, so an error (a timeout) loses nothing.
    #[inline]
    fn fill_line(&mut self, delim: u8) -> io::Result<usize> {
        let mut scanned = self.rpos;
        loop {
            if let Some(i) = find_byte(delim, &self.rbuf[scanned..self.rend]) {
                return Ok(scanned + i + 1);
            }
            let searched = self.rend - self.rpos;
            if self.receive_more()? == 0 {
                return Ok(self.rend);
            }
            scanned = self.rpos + searched;
        }
    }

    /// Sends the write buffer with one deadline, dropping what went out even if
    /// the rest fails.
    fn flush_buffer(&mut self) -> io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let mut sent = 0;
        let result = self.sock.send_all_from(
            &self.wbuf,
            &mut sent,
            MsgFlags::empty(),
            self.sock.deadline(),
        );
        self.wbuf.drain(..sent);
        Ok(result?)
    }
}

/// The position of the first `delim` in `haystack`.
///
/// Lines are short, and on a 40-byte line memchr's dispatch and set-up cost
/// more than the search, so the first 64 bytes are searched 16 at a time,
/// in two 8-byte words, with the classic zero-byte bit trick (safe code, no
/// SIMD intrinsics); memchr takes over for longer lines.
fn find_byte(delim: u8, haystack: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = ONES * u64::from(delim);
    // The high bit of each byte equal to `delim` is set, and the lowest set
    // bit is the first match (bits above it may be false positives).
    let matches = |bytes: &[u8]| {
        let word = u64::from_le_bytes(bytes.try_into().expect("8 bytes")) ^ pattern;
        word.wrapping_sub(ONES) & !word & HIGHS
    };
    let mut offset = 0;
    for chunk in haystack.chunks_exact(16).take(4) {
        let (low, high) = (matches(&chunk[..8]), matches(&chunk[8..]));
        if low | high != 0 {
            let bit = if low != 0 {
                low.trailing_zeros()
            } else {
                64 + high.trailing_zeros()
            };
            return Some(offset + bit as usize / 8);
        }
        offset += 16;
    }
    memchr::memchr(delim, &haystack[offset..]).map(|i| offset + i)
}

impl Read for SocketFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Python's read(0): nothing asked, nothing waited for.
        if buf.is_empty() {
            return Ok(0);
        }
        // Large reads with nothing buffered go straight to the socket.
        if self.rpos == self.rend && buf.len() >= self.rcap.max(self.rbuf.len()) {
            return Ok(self.sock.recv_into(buf)?);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SocketFile<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.rpos == self.rend {
            self.receive_more()?;
        }
        Ok(&self.rbuf[self.rpos..self.rend])
    }

    fn consume(&mut self, amt: usize) {
        self.rpos = (self.rpos + amt).min(self.rend);
    }

    /// Reads through `delim` (included) or to the end of the stream. On error
    /// nothing is consumed: the partial line is still there for the next call.
    fn read_until(&mut self, delim: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let end = self.fill_line(delim)?;
        buf.extend_from_slice(&self.rbuf[self.rpos..end]);
        let n = end - self.rpos;
        self.rpos = end;
        Ok(n)
    }

    /// Reads one line (with its `\n`) into `buf`. On a timeout nothing is
    /// consumed. A line that is not UTF-8 is consumed and reported as
    /// `InvalidData`, leaving `buf` as it was, as std's `read_line` does.
    fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let end = self.fill_line(b'\n')?;
        let line = &self.rbuf[self.rpos..end];
        self.rpos = end;
        let text = std::str::from_utf8(line).map_err(|err| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line is not valid UTF-8: {err}"),
            )
        })?;
        buf.push_str(text);
        Ok(text.len())
    }
}

impl Write for SocketFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.wbuf.len() + buf.len() > self.wcap {
            self.flush_buffer()?;
        }
        if buf.len() < self.wcap {
            self.wbuf.try_reserve(buf.len()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "write buffer cannot be allocated",
                )
            })?;
            self.wbuf.extend_from_slice(buf);
            return Ok(buf.len());
        }
        // Too big to be worth copying: sent at once, with one deadline. A failure
        // after some bytes went out is a short write, so a retry sends only the rest.
        let mut sent = 0;
        match self
            .sock
            .send_all_from(buf, &mut sent, MsgFlags::empty(), self.sock.deadline())
        {
            Ok(()) => Ok(buf.len()),
            Err(_) if sent > 0 => Ok(sent),
            Err(err) => Err(err.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()
    }
}

impl Drop for SocketFile<'_> {
    fn drop(&mut self) {
        let _ = self.flush_buffer();
    }
}

impl fmt::Debug for SocketFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketFile")
            .field("socket", &self.sock)
            .field("buffered_read", &(self.rend - self.rpos))
            .field("buffered_write", &self.wbuf.len())
            .finish()
    }
}
