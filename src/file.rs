//! [`SocketFile`]: Python's `socket.makefile()`, a buffered reader and writer
//! over one socket.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use crate::error::Result;
use crate::flags::MsgFlags;
use crate::socket::Socket;
#[cfg(feature = "ssl")]
use crate::ssl::SslSocket;

/// The default size of each [`SocketFile`] buffer: large enough that a stream
/// of short lines costs one `recv` per 64 KiB rather than one per line.
///
/// ```
/// use pysocket::{socketpair, SocketFile, DEFAULT_BUFFER_SIZE};
/// let (a, _b) = socketpair()?;
/// // What SocketFile::new(&a) does:
/// let file = SocketFile::with_capacity(&a, DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE);
/// assert!(file.buffer().is_empty());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub const DEFAULT_BUFFER_SIZE: usize = 64 * 1024;

/// A buffered file over a socket, from [`Socket::makefile`] (which lends it
/// the socket) or [`Socket::into_makefile`] (which gives it the socket, to
/// close when the file is dropped, as Python's file keeps its socket alive):
/// reads and writes on the one socket, like the file Python's
/// `makefile("rwb")` returns.
///
/// - Reading ([`Read`], [`BufRead`]) fills a buffer with one `recv` at a time;
///   [`read_line`](BufRead::read_line) and [`read_until`](BufRead::read_until)
///   search it a word at a time (then with `memchr`) and allocate nothing
///   per line. `read_line` checks the buffer for UTF-8 once per `recv`, not
///   once per line, and slices its lines out of text already checked.
/// - Writing ([`Write`]) collects data and sends it with one deadline per
///   [`flush`](Write::flush); a full buffer is sent on the next write, and
///   dropping the file flushes it (ignoring errors, like `BufWriter`). A
///   write of at least the buffer's size with nothing buffered goes
///   straight to the socket; a `write_all` of it, with one deadline for the
///   whole call, as [`Socket::sendall`].
/// - The socket's timeout holds for every call: a wait that passes it is an
///   `io::Error` of kind `TimedOut` (which `?` turns back into
///   [`Error::Timeout`](crate::Error::Timeout)). Nothing is lost when that
///   happens: a line that did not arrive in full stays buffered for the next
///   `read_line`, and bytes a `flush` could not send stay buffered for the
///   next `flush`.
///
/// # After a timeout
///
/// Python's file refuses every read after one timed out (`OSError: cannot
/// read from timed out object`), because its buffer may have lost data.
/// This one loses nothing, so it goes on reading: the next call picks up
/// where the one that timed out stopped, the partial line included.
///
/// ```
/// use std::io::BufRead;
/// use std::time::Duration;
/// use pysocket::socketpair;
///
/// let (a, b) = socketpair()?;
/// b.settimeout(Some(Duration::from_millis(10)))?;
/// let mut file = b.makefile();
/// a.sendall(b"half")?;
/// let mut line = String::new();
/// let err = file.read_line(&mut line).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
/// a.sendall(b" a line\n")?;
/// file.read_line(&mut line)?; // Python would raise here
/// assert_eq!(line, "half a line\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
#[doc(alias = "SocketIO")]
// The fields a direct read or write looks at (`sock`, `direct_read`, `wcap`
// and `wbuf`'s length) share the first cache line: a handler thread that
// wakes from a `recv` finds its files gone from the cache, and each line is
// a miss to wait for (BENCHMARKS.md, "Servers").
#[repr(C, align(64))]
pub struct SocketFile<'a> {
    sock: FileSocket<'a>,
    /// Reads of at least this many bytes go straight to the socket:
    /// `usize::MAX` unless the read buffer is known to be empty, else its
    /// size, or its capacity once grown. Never below `usize::MAX` while
    /// bytes are buffered: only [`receive_more`](SocketFile::receive_more)
    /// buffers bytes, and it sets `usize::MAX`; the slow path of
    /// [`read`](Read::read) lowers it again once the buffer is read out.
    direct_read: usize,
    wcap: usize,
    wbuf: Vec<u8>,
    rpos: usize,
    /// The bytes received, those from `rpos` on not yet read. Allocated on
    /// first use (so no size given can abort the process), then grown by
    /// doubling when a line does not fit.
    rbuf: ReadBuf,
    rcap: usize,
}

/// The socket a [`SocketFile`] works on: borrowed from [`Socket::makefile`],
/// or owned from [`Socket::into_makefile`] (and closed when the file is
/// dropped, after its last flush); or a TLS connection, for the
/// [`SslFile`](crate::ssl::SslFile) that wraps a `SocketFile`.
enum FileSocket<'a> {
    Borrowed(&'a Socket),
    /// Boxed, so that a file's first cache line holds what a read or a
    /// write looks at.
    Owned(Box<Socket>),
    #[cfg(feature = "ssl")]
    Tls(&'a SslSocket),
    /// Boxed: a TLS socket is large, and a file should not be.
    #[cfg(feature = "ssl")]
    OwnedTls(Box<SslSocket>),
}

impl FileSocket<'_> {
    /// The plain socket (under TLS, the one TLS runs over).
    #[inline(always)]
    fn socket(&self) -> &Socket {
        match self {
            FileSocket::Borrowed(sock) => sock,
            FileSocket::Owned(sock) => sock,
            #[cfg(feature = "ssl")]
            FileSocket::Tls(tls) => tls.get_ref(),
            #[cfg(feature = "ssl")]
            FileSocket::OwnedTls(tls) => tls.get_ref(),
        }
    }

    /// Whether the file closes its socket when dropped.
    fn is_owned(&self) -> bool {
        match self {
            FileSocket::Borrowed(_) => false,
            FileSocket::Owned(_) => true,
            #[cfg(feature = "ssl")]
            FileSocket::Tls(_) => false,
            #[cfg(feature = "ssl")]
            FileSocket::OwnedTls(_) => true,
        }
    }

    /// The TLS connection, for a file over one.
    #[cfg(feature = "ssl")]
    #[inline(always)]
    fn tls(&self) -> Option<&SslSocket> {
        match self {
            FileSocket::Tls(tls) => Some(tls),
            FileSocket::OwnedTls(tls) => Some(tls),
            FileSocket::Borrowed(_) | FileSocket::Owned(_) => None,
        }
    }

    #[inline(always)]
    fn recv_append(&self, buf: &mut Vec<u8>) -> Result<usize> {
        #[cfg(feature = "ssl")]
        if let Some(tls) = self.tls() {
            return tls.recv_append(buf);
        }
        self.socket().recv_append(buf)
    }

    #[inline(always)]
    fn recv_into(&self, buf: &mut [u8]) -> Result<usize> {
        #[cfg(feature = "ssl")]
        if let Some(tls) = self.tls() {
            return tls.recv_into(buf);
        }
        self.socket().recv_into(buf)
    }

    /// Sends `data[*sent..]` with one deadline, counting what went out in
    /// `*sent` even on error.
    #[inline(always)]
    fn send_all_from(&self, data: &[u8], sent: &mut usize) -> Result<()> {
        #[cfg(feature = "ssl")]
        if let Some(tls) = self.tls() {
            return tls.send_all_from(data, sent);
        }
        self.socket().send_all_from(data, sent, MsgFlags::empty())
    }
}

/// The read buffer, its length the bytes received. The first `read_line`
/// after a `recv` checks the whole buffer for UTF-8 once; if it is valid, it
/// becomes text, and `read_line` slices its lines out of it as `&str`
/// without checking each one again. Other reads never pay for the check.
///
/// `String::from_utf8` and `String::into_bytes` move the buffer from one
/// variant to another without copying it.
enum ReadBuf {
    /// Valid UTF-8 throughout (though `rpos` may fall inside a character after
    /// a `read` or `consume` of any byte count).
    Text(String),
    /// Not checked since the last `recv`.
    Unchecked(Vec<u8>),
    /// Not valid UTF-8 as a whole (a bad byte, or a character cut at the
    /// end): lines are checked one at a time until the next `recv`.
    Bytes(Vec<u8>),
}

impl ReadBuf {
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            ReadBuf::Text(text) => text.as_bytes(),
            ReadBuf::Unchecked(bytes) | ReadBuf::Bytes(bytes) => bytes,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.as_bytes().len()
    }

    fn capacity(&self) -> usize {
        match self {
            ReadBuf::Text(text) => text.capacity(),
            ReadBuf::Unchecked(bytes) | ReadBuf::Bytes(bytes) => bytes.capacity(),
        }
    }

    /// Takes the buffer out as bytes, leaving an empty, unallocated one.
    fn take_bytes(&mut self) -> Vec<u8> {
        match std::mem::replace(self, ReadBuf::Bytes(Vec::new())) {
            ReadBuf::Text(text) => text.into_bytes(),
            ReadBuf::Unchecked(bytes) | ReadBuf::Bytes(bytes) => bytes,
        }
    }

    /// Checks an unchecked buffer: text if it is valid UTF-8, else bytes.
    ///
    /// This runs at most once per `recv`, over at most the bytes kept from
    /// before it plus the new ones; bytes are kept across receives only
    /// while one `read_line` or `read_until` waits for the rest of its line,
    /// which checks nothing until the line is complete. So a long line
    /// trickling in is checked once, not once per `recv`.
    #[cold]
    #[inline(never)]
    fn check_utf8(&mut self) {
        if let ReadBuf::Unchecked(bytes) = self {
            let bytes = std::mem::take(bytes);
            *self = match String::from_utf8(bytes) {
                Ok(text) => ReadBuf::Text(text),
                Err(err) => ReadBuf::Bytes(err.into_bytes()),
            };
        }
    }
}

impl SocketFile<'static> {
    /// A buffered file that owns `sock`, with buffers of [`DEFAULT_BUFFER_SIZE`]
    /// bytes: what [`Socket::into_makefile`] returns. Dropping the file
    /// flushes it, then closes the socket.
    pub(crate) fn owning(sock: Socket) -> SocketFile<'static> {
        SocketFile::over(
            FileSocket::Owned(Box::new(sock)),
            DEFAULT_BUFFER_SIZE,
            DEFAULT_BUFFER_SIZE,
        )
    }

    /// A buffered file that owns a TLS connection: the heart of the
    /// [`SslFile`](crate::ssl::SslFile) that
    /// [`SslSocket::into_makefile`](crate::ssl::SslSocket::into_makefile)
    /// returns. Dropping it flushes it, then drops the connection.
    #[cfg(feature = "ssl")]
    pub(crate) fn owning_tls(
        sock: SslSocket,
        read_capacity: usize,
        write_capacity: usize,
    ) -> SocketFile<'static> {
        SocketFile::over(
            FileSocket::OwnedTls(Box::new(sock)),
            read_capacity,
            write_capacity,
        )
    }
}

impl<'a> SocketFile<'a> {
    /// A buffered file over `sock`, with buffers of [`DEFAULT_BUFFER_SIZE`] bytes:
    /// what [`Socket::makefile`] returns.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use pysocket::{socketpair, SocketFile};
    /// let (a, b) = socketpair()?;
    /// let mut file = SocketFile::new(&a);
    /// file.write_all(b"ping")?;
    /// file.flush()?;
    /// let mut buf = [0u8; 4];
    /// SocketFile::new(&b).read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"ping");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(sock: &'a Socket) -> SocketFile<'a> {
        SocketFile::with_capacity(sock, DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE)
    }

    /// A buffered file over `sock` with buffers of the given sizes (each at least
    /// one byte): Python's `makefile(buffering=n)`.
    ///
    /// A line longer than the read buffer grows it. Buffers are allocated when
    /// first needed; a size that cannot be allocated is an error of kind
    /// `OutOfMemory` from the read or write that needed it.
    ///
    /// ```
    /// use std::io::Write;
    /// use pysocket::{socketpair, SocketFile};
    /// let (a, b) = socketpair()?;
    /// let mut file = SocketFile::with_capacity(&a, 4096, 4);
    /// file.write_all(b"abc")?; // fits in the 4-byte write buffer: not sent yet
    /// assert_eq!(file.write_buffer(), b"abc");
    /// file.write_all(b"def")?; // does not fit: what was buffered goes out first
    /// assert_eq!(b.recv(64)?, b"abc");
    /// assert_eq!(file.write_buffer(), b"def");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_capacity(
        sock: &'a Socket,
        read_capacity: usize,
        write_capacity: usize,
    ) -> SocketFile<'a> {
        SocketFile::over(FileSocket::Borrowed(sock), read_capacity, write_capacity)
    }

    /// A buffered file over a TLS connection, with buffers of the given
    /// sizes: the heart of an [`SslFile`](crate::ssl::SslFile).
    #[cfg(feature = "ssl")]
    pub(crate) fn over_tls(
        sock: &'a SslSocket,
        read_capacity: usize,
        write_capacity: usize,
    ) -> SocketFile<'a> {
        SocketFile::over(FileSocket::Tls(sock), read_capacity, write_capacity)
    }

    /// The TLS connection of a file made by [`over_tls`](Self::over_tls)
    /// or [`owning_tls`](Self::owning_tls).
    #[cfg(feature = "ssl")]
    pub(crate) fn tls(&self) -> Option<&SslSocket> {
        self.sock.tls()
    }

    fn over(sock: FileSocket<'a>, read_capacity: usize, write_capacity: usize) -> SocketFile<'a> {
        let rcap = read_capacity.max(1);
        SocketFile {
            sock,
            direct_read: rcap,
            wcap: write_capacity.max(1),
            wbuf: Vec::new(),
            rpos: 0,
            rbuf: ReadBuf::Unchecked(Vec::new()),
            rcap,
        }
    }

    /// The socket underneath (Python's `file.raw._sock`, roughly): the one
    /// it borrows, or the one it owns.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let file = a.makefile();
    /// assert_eq!(file.get_ref().fileno(), a.fileno());
    /// let fd = b.fileno();
    /// let owning = b.into_makefile();
    /// assert_eq!(owning.get_ref().fileno(), fd);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn get_ref(&self) -> &Socket {
        self.sock.socket()
    }

    /// The data received but not yet read (Python's `file.peek()` without a
    /// `recv`).
    ///
    /// ```
    /// use std::io::BufRead;
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"one\ntwo\n")?;
    /// let mut file = b.makefile();
    /// let mut line = String::new();
    /// file.read_line(&mut line)?;
    /// assert_eq!(line, "one\n");
    /// assert_eq!(file.buffer(), b"two\n"); // received with the first line
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.rbuf.as_bytes()[self.rpos..]
    }

    /// The data written but not yet sent; [`flush`](std::io::Write::flush) sends it.
    ///
    /// ```
    /// use std::io::Write;
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// let mut file = a.makefile();
    /// file.write_all(b"queued")?;
    /// assert_eq!(file.write_buffer(), b"queued");
    /// file.flush()?;
    /// assert!(file.write_buffer().is_empty());
    /// assert_eq!(b.recv(64)?, b"queued");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_buffer(&self) -> &[u8] {
        &self.wbuf
    }

    /// Python's `readline(size)` on a binary file: one line, its `\n`
    /// included, of at most `size` bytes (a longer line comes in pieces of
    /// `size` bytes, the rest left for the next call). Empty at the end of
    /// the stream, or when `size` is 0; `usize::MAX` sets no limit (Python's
    /// `size=-1`). No more than `size` bytes are taken from the buffer, though
    /// one `recv` may receive more for the next calls. As with
    /// [`read_line`](BufRead::read_line), a timeout consumes nothing.
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"a long line\nshort\n")?;
    /// let mut file = b.makefile();
    /// assert_eq!(file.readline(6)?, b"a long");
    /// assert_eq!(file.readline(6)?, b" line\n");
    /// assert_eq!(file.readline(usize::MAX)?, b"short\n");
    /// drop(a);
    /// assert_eq!(file.readline(6)?, b""); // the end of the stream
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn readline(&mut self, size: usize) -> io::Result<Vec<u8>> {
        let end = self.fill_line_limit(b'\n', size)?;
        let line = self.rbuf.as_bytes()[self.rpos..end].to_vec();
        self.rpos = end;
        Ok(line)
    }

    /// Python's text-mode `readline()` for the line endings of network
    /// protocols: a line ending in `"\r\n"` is read as ending in `"\n"`
    /// (the count returned is of the bytes consumed, the `\r` included). A
    /// `\r` elsewhere is kept, and does not end a line as it does in
    /// Python's universal newlines. Otherwise as
    /// [`read_line`](BufRead::read_line).
    ///
    /// ```
    /// use pysocket::socketpair;
    /// let (a, b) = socketpair()?;
    /// a.sendall(b"HTTP/1.1 200 OK\r\nplain\n")?;
    /// let mut file = b.makefile();
    /// let mut line = String::new();
    /// assert_eq!(file.read_text_line(&mut line)?, 17);
    /// assert_eq!(line, "HTTP/1.1 200 OK\n");
    /// line.clear();
    /// file.read_text_line(&mut line)?;
    /// assert_eq!(line, "plain\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_text_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let n = self.read_line(buf)?;
        if n >= 2 && buf.ends_with("\r\n") {
            buf.truncate(buf.len() - 2);
            buf.push('\n');
        }
        Ok(n)
    }

    /// Receives at the end of the read buffer, after moving the unread bytes
    /// to its start, growing it when full. Returns the byte count, 0 at the end
    /// of the stream. The buffer is left unchecked for UTF-8, even on an error.
    #[inline(never)]
    fn receive_more(&mut self) -> io::Result<usize> {
        let mut buf = self.rbuf.take_bytes();
        if self.rpos == buf.len() {
            buf.clear();
        } else if self.rpos > 0 {
            buf.copy_within(self.rpos.., 0);
            buf.truncate(buf.len() - self.rpos);
        }
        self.rpos = 0;
        let result = self.receive_into(&mut buf);
        // Bytes may be buffered now: reads go through the buffer until the
        // slow path of `read` finds it empty.
        self.direct_read = usize::MAX;
        self.rbuf = ReadBuf::Unchecked(buf);
        result
    }

    /// Appends one `recv` to `buf`, first growing it if it is full.
    fn receive_into(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        if buf.len() == buf.capacity() {
            let grown = if buf.capacity() == 0 {
                self.rcap
            } else {
                buf.capacity().saturating_mul(2)
            };
            buf.try_reserve_exact(grown - buf.len()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!("a read buffer of {grown} bytes cannot be allocated"),
                )
            })?;
        }
        Ok(self.sock.recv_append(buf)?)
    }

    /// Makes sure the buffer holds a whole line ending in `delim`, or all that is
    /// left of the stream, at `rbuf[rpos..end]`, and returns `end`. Nothing is
    /// consumed, so an error (a timeout) loses nothing.
    #[inline(always)]
    fn fill_line(&mut self, delim: u8) -> io::Result<usize> {
        let mut scanned = self.rpos;
        loop {
            let bytes = self.rbuf.as_bytes();
            if let Some(i) = find_byte(delim, &bytes[scanned..]) {
                return Ok(scanned + i + 1);
            }
            let searched = bytes.len() - self.rpos;
            if self.receive_more()? == 0 {
                return Ok(self.rbuf.len());
            }
            scanned = self.rpos + searched;
        }
    }

    /// As [`fill_line`](Self::fill_line), but the line ends after `limit`
    /// bytes if no `delim` comes first.
    fn fill_line_limit(&mut self, delim: u8, limit: usize) -> io::Result<usize> {
        let mut scanned = self.rpos;
        loop {
            let bytes = self.rbuf.as_bytes();
            let stop = self.rpos.saturating_add(limit).min(bytes.len());
            if let Some(i) = find_byte(delim, &bytes[scanned..stop]) {
                return Ok(scanned + i + 1);
            }
            let searched = stop - self.rpos;
            if searched == limit {
                return Ok(stop);
            }
            if self.receive_more()? == 0 {
                return Ok(self.rbuf.len());
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
        let result = self.sock.send_all_from(&self.wbuf, &mut sent);
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
#[inline(always)]
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

/// `line` as text, or the `InvalidData` error `read_line` returns.
fn line_as_str(line: &[u8]) -> io::Result<&str> {
    std::str::from_utf8(line).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("line is not valid UTF-8: {err}"),
        )
    })
}

impl Read for SocketFile<'_> {
    /// Large reads with nothing buffered go straight to the socket (inlined,
    /// so that a handler's read touches no more than it must); the rest
    /// through the buffer.
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // `direct_read` is at least 1: an empty read takes the other path.
        if buf.len() >= self.direct_read {
            return Ok(self.sock.recv_into(buf)?);
        }
        self.read_buffered(buf)
    }
}

impl SocketFile<'_> {
    #[inline(never)]
    fn read_buffered(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Python's read(0): nothing asked, nothing waited for.
        if buf.is_empty() {
            return Ok(0);
        }
        if self.rpos == self.rbuf.len() {
            // Read out: reads of the buffer's size or more go direct again.
            self.direct_read = self.rcap.max(self.rbuf.capacity());
            if buf.len() >= self.direct_read {
                return Ok(self.sock.recv_into(buf)?);
            }
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
        if self.rpos == self.rbuf.len() {
            self.receive_more()?;
        }
        Ok(&self.rbuf.as_bytes()[self.rpos..])
    }

    fn consume(&mut self, amt: usize) {
        self.rpos = (self.rpos + amt).min(self.rbuf.len());
    }

    /// Reads through `delim` (included) or to the end of the stream. On error
    /// nothing is consumed: the partial line is still there for the next call.
    fn read_until(&mut self, delim: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let end = self.fill_line(delim)?;
        buf.extend_from_slice(&self.rbuf.as_bytes()[self.rpos..end]);
        let n = end - self.rpos;
        self.rpos = end;
        Ok(n)
    }

    /// Reads one line (with its `\n`) into `buf`. On a timeout nothing is
    /// consumed. A line that is not UTF-8 is consumed and reported as
    /// `InvalidData`, leaving `buf` as it was, as std's `read_line` does.
    ///
    /// The buffer is checked for UTF-8 as a whole once per `recv`, so a line
    /// is usually sliced out of it as text without a check of its own.
    fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let end = self.fill_line(b'\n')?;
        if let ReadBuf::Unchecked(_) = self.rbuf {
            self.rbuf.check_utf8();
        }
        let start = std::mem::replace(&mut self.rpos, end);
        let line = match &self.rbuf {
            // `get` fails only if `start` is inside a character (after a
            // `read` or `consume`): a line that is not UTF-8.
            ReadBuf::Text(text) => match text.get(start..end) {
                Some(line) => line,
                None => line_as_str(&text.as_bytes()[start..end])?,
            },
            ReadBuf::Unchecked(bytes) | ReadBuf::Bytes(bytes) => line_as_str(&bytes[start..end])?,
        };
        buf.push_str(line);
        Ok(line.len())
    }
}

impl Write for SocketFile<'_> {
    /// Writes at least the buffer's size with nothing buffered go straight
    /// to the socket (inlined); the rest through the buffer.
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() >= self.wcap && self.wbuf.is_empty() {
            return self.write_direct(buf);
        }
        self.write_buffered(buf)
    }

    /// Writes all of `buf`. What [`write`](Write::write) sends straight
    /// to the socket goes out with one deadline for the whole call, as
    /// [`Socket::sendall`]: a timeout ends the call, however much was sent
    /// (some prefix of `buf` may have been).
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.len() >= self.wcap && self.wbuf.is_empty() {
            let mut sent = 0;
            return Ok(self.sock.send_all_from(buf, &mut sent)?);
        }
        self.write_all_buffered(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer()
    }
}

impl SocketFile<'_> {
    /// Sends `buf` at once, with one deadline. A failure after some bytes
    /// went out is a short write, so a retry sends only the rest.
    #[inline]
    fn write_direct(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut sent = 0;
        match self.sock.send_all_from(buf, &mut sent) {
            Ok(()) => Ok(buf.len()),
            Err(_) if sent > 0 => Ok(sent),
            Err(err) => Err(err.into()),
        }
    }

    /// `write_all` through [`write`](Write::write): std's loop, out of line.
    #[inline(never)]
    fn write_all_buffered(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn write_buffered(&mut self, buf: &[u8]) -> io::Result<usize> {
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
        // Too big to be worth copying.
        self.write_direct(buf)
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
            .field("socket", self.sock.socket())
            .field("owned", &self.sock.is_owned())
            .field("buffered_read", &(self.rbuf.len() - self.rpos))
            .field("buffered_write", &self.wbuf.len())
            .finish()
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    /// What a direct read or write looks at stays on the file's first cache
    /// line (see the comment on [`SocketFile`]).
    #[test]
    fn the_fields_of_direct_reads_and_writes_share_the_first_cache_line() {
        assert_eq!(align_of::<SocketFile<'_>>(), 64);
        let ends = [
            offset_of!(SocketFile<'_>, sock) + size_of::<FileSocket<'_>>(),
            offset_of!(SocketFile<'_>, direct_read) + size_of::<usize>(),
            offset_of!(SocketFile<'_>, wcap) + size_of::<usize>(),
            offset_of!(SocketFile<'_>, wbuf) + size_of::<Vec<u8>>(),
        ];
        assert!(ends.iter().all(|&end| end <= 64), "{ends:?}");
    }
}
