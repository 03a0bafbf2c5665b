//! [`SslFile`]: Python's `sslsock.makefile()`, the buffered file of
//! [`SocketFile`] over a TLS connection.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use super::SslSocket;
use crate::file::{SocketFile, DEFAULT_BUFFER_SIZE};

/// A buffered file over a TLS connection, from [`SslSocket::makefile`] (or,
/// owning the connection, [`SslSocket::into_makefile`]): what Python's
/// `makefile("rwb")` returns on an `SSLSocket`.
///
/// It is a [`SocketFile`] whose reads and writes go through TLS, and keeps
/// its every promise: reads ([`Read`], [`BufRead`]) fill a buffer one
/// [`recv`](SslSocket::recv) at a time, writes ([`Write`]) collect data and
/// send it with one deadline per [`flush`](Write::flush) (and on drop), the
/// socket's timeout holds for every call (kind `TimedOut`), and nothing is
/// lost when it passes: a line that did not arrive in full stays buffered,
/// and bytes a flush could not send stay buffered for the next.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use std::io::{BufRead, Write};
///
/// let pki = Pki::new();
/// let (client, server) = pki.tls_pair();
/// let echo = std::thread::spawn(move || -> std::io::Result<()> {
///     let mut file = server.makefile();
///     let mut line = String::new();
///     file.read_line(&mut line)?;
///     file.write_all(line.to_uppercase().as_bytes())
///     // dropped: flushed
/// });
/// let mut file = client.makefile();
/// file.write_all(b"hello over tls\n")?;
/// file.flush()?;
/// let mut reply = String::new();
/// file.read_line(&mut reply)?;
/// assert_eq!(reply, "HELLO OVER TLS\n");
/// echo.join().unwrap()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "SocketIO")]
pub struct SslFile<'a> {
    /// Over a borrowed TLS connection, or one it owns
    /// ([`SslSocket::into_makefile`]).
    file: SocketFile<'a>,
}

impl SslFile<'static> {
    /// A buffered file that owns `sock`, with buffers of
    /// [`DEFAULT_BUFFER_SIZE`] bytes: what [`SslSocket::into_makefile`]
    /// returns.
    pub(crate) fn owning(sock: SslSocket) -> SslFile<'static> {
        SslFile {
            file: SocketFile::owning_tls(sock, DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE),
        }
    }
}

impl<'a> SslFile<'a> {
    /// A buffered file over `sock`, with buffers of [`DEFAULT_BUFFER_SIZE`]
    /// bytes: what [`SslSocket::makefile`] returns.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::{Read, Write};
    /// use pysocket::ssl::SslFile;
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let mut file = SslFile::new(&client);
    /// file.write_all(b"ping")?;
    /// file.flush()?;
    /// let mut buf = [0u8; 4];
    /// SslFile::new(&server).read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"ping");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(sock: &'a SslSocket) -> SslFile<'a> {
        SslFile::with_capacity(sock, DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE)
    }

    /// A buffered file over `sock` with buffers of the given sizes (each at
    /// least one byte): Python's `makefile(buffering=n)`. A line longer than
    /// the read buffer grows it.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::Write;
    /// use pysocket::ssl::SslFile;
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let mut file = SslFile::with_capacity(&client, 4096, 4);
    /// file.write_all(b"abc")?; // fits in the 4-byte write buffer: not sent yet
    /// assert_eq!(file.write_buffer(), b"abc");
    /// file.write_all(b"def")?; // does not fit: what was buffered goes out first
    /// assert_eq!(server.recv(64)?, b"abc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_capacity(
        sock: &'a SslSocket,
        read_capacity: usize,
        write_capacity: usize,
    ) -> SslFile<'a> {
        SslFile {
            file: SocketFile::over_tls(sock, read_capacity, write_capacity),
        }
    }

    /// The TLS socket underneath.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// let file = client.makefile();
    /// assert_eq!(file.get_ref().fileno(), client.fileno());
    /// ```
    pub fn get_ref(&self) -> &SslSocket {
        self.file
            .tls()
            .expect("an SslFile is over a TLS connection")
    }

    /// The data received but not yet read.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::BufRead;
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.sendall(b"one\ntwo\n")?;
    /// let mut file = server.makefile();
    /// let mut line = String::new();
    /// file.read_line(&mut line)?;
    /// assert_eq!(file.buffer(), b"two\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffer(&self) -> &[u8] {
        self.file.buffer()
    }

    /// The data written but not yet sent; [`flush`](Write::flush) sends it.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::Write;
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let mut file = client.makefile();
    /// file.write_all(b"queued")?;
    /// assert_eq!(file.write_buffer(), b"queued");
    /// file.flush()?;
    /// assert!(file.write_buffer().is_empty());
    /// assert_eq!(server.recv(64)?, b"queued");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_buffer(&self) -> &[u8] {
        self.file.write_buffer()
    }

    /// Python's `readline(size)`: one line, its `\n` included, of at most
    /// `size` bytes; empty at the end of the stream. See
    /// [`SocketFile::readline`].
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.sendall(b"a long line\n")?;
    /// let mut file = server.makefile();
    /// assert_eq!(file.readline(6)?, b"a long");
    /// assert_eq!(file.readline(usize::MAX)?, b" line\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn readline(&mut self, size: usize) -> io::Result<Vec<u8>> {
        self.file.readline(size)
    }

    /// Python's text-mode `readline()` for network protocols: a line ending
    /// in `"\r\n"` is read as ending in `"\n"`. See
    /// [`SocketFile::read_text_line`].
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.sendall(b"HTTP/1.1 200 OK\r\n")?;
    /// let mut line = String::new();
    /// server.makefile().read_text_line(&mut line)?;
    /// assert_eq!(line, "HTTP/1.1 200 OK\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_text_line(&mut self, buf: &mut String) -> io::Result<usize> {
        self.file.read_text_line(buf)
    }
}

impl Read for SslFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf)
    }
}

impl BufRead for SslFile<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.file.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.file.consume(amt)
    }

    /// Reads through `delim` (included) or to the end of the stream; on
    /// error nothing is consumed.
    fn read_until(&mut self, delim: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.file.read_until(delim, buf)
    }

    /// Reads one line (with its `\n`); on a timeout nothing is consumed.
    fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        self.file.read_line(buf)
    }
}

impl Write for SslFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl fmt::Debug for SslFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SslFile")
            .field("socket", self.get_ref())
            .field("buffered_read", &self.buffer().len())
            .field("buffered_write", &self.write_buffer().len())
            .finish()
    }
}
