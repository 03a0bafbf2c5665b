//! [`SslSocket`]: Python's `ssl.SSLSocket`, a TLS connection over a
//! [`Socket`], on rustls.
//!
//! # Two threads on one connection
//!
//! rustls's connection is a state machine: bytes from the wire go in,
//! plaintext and bytes for the wire come out. It sits in a mutex held for
//! that work and across non-blocking system calls only, never across a wait
//! on the socket (rustls's `read_tls`/`write_tls` on a blocking socket would
//! hold it while the kernel sleeps, and a reader would stall every writer).
//! Around it:
//!
//! - the **inbox** lock is the reader's turn: whoever receives from the
//!   wire (a read, a handshake, `unwrap`) holds it, and waits on the socket
//!   with it, for its own deadline;
//! - the **outbox** lock is the writer's turn (the send lock): whoever
//!   encrypts and sends holds it, taken before the connection's lock, so
//!   that records reach the wire whole and in the order they were made.
//!
//! A reader whose records make the connection want to write (a TLS 1.3 key
//! update, an alert) sends that without waiting, if no writer holds the
//! outbox; else the writer sends it with its own records. So one thread can
//! block in `recv` while another sends, as Python's full-duplex programs do.
//! Locks are taken in the order inbox, outbox, connection.
//!
//! # Sending
//!
//! rustls keeps the records it makes until they are written, and a send
//! writes them from there, as rustls's own streams do: under the writer's
//! turn and the connection's lock, `write_tls` with `MSG_DONTWAIT` (one
//! `sendmsg` for several records), no copy. While a reader is in a call
//! (holds its turn), the writer takes the records out of rustls instead and
//! sends them without the connection's lock, so that the reader, which
//! needs that lock to decrypt, never waits for a send (in full duplex on
//! loopback that wait cost more than the copy). When the socket is full, the
//! call waits, without the connection's lock, in a `poll` of the timeout
//! engine (`Timeouts::polled`) with one deadline for the whole call (the
//! socket's three timeout modes, as on [`Socket`]), then writes again.
//! Bytes a failed send could not write (taken out, or still in rustls) go
//! first next time, ahead of anything made later. `sendall` encrypts 64 KiB
//! (four records) at a time, and writes them before it encrypts more.
//!
//! A receive, made holding only the reader's turn, sleeps in the kernel as a
//! plain socket's does (`Timeouts::polled_receive`): in blocking mode one
//! blocking `recv`.
//!
//! # Reading ahead, and `unwrap`
//!
//! A receive takes as much as the inbox has room for (about 72 KiB), many
//! records in one system call, where rustls's own streams take at most the
//! room left in rustls's buffer (a record or less). The inbox then gives
//! rustls one whole record at a time (its header says how long it is), and
//! stops at the peer's `close_notify`, and while 16 KiB of plaintext wait
//! unread (rustls takes no more then; `pending` shows them). After the
//! handshake each record goes with the next one's header (what of it is in),
//! so that rustls's buffer does not empty between records (rustls shrinks an
//! empty buffer, and would grow it again, zeroed, for each record); after a
//! `close_notify` rustls ignores those five bytes or fewer, and the inbox
//! still counts them as its own. Each byte is copied once more
//! than in rustls's own streams (from the inbox into rustls), for a quarter
//! of the system calls or fewer.
//!
//! Once this side has sent its own `close_notify` ([`unwrap`](SslSocket::unwrap)),
//! records are received exactly (the five-byte header, then the rest), as
//! OpenSSL does: nothing past the peer's `close_notify` is taken from the
//! kernel, so the socket `unwrap` hands back holds whatever the peer sent
//! after it. Reading ahead before that is safe with a peer that unwraps as
//! Python (and this type) does: it sends plain bytes only once it has our
//! `close_notify`. A peer that sends them right behind its own
//! `close_notify`, unasked, may have them read ahead with it; they cannot be
//! put back in the kernel, so `unwrap` then fails and says so rather than
//! losing them silently. (TLS 1.3 encrypts alerts: a `close_notify` cannot
//! be told from data before it is decrypted, so reading ahead cannot stop
//! at it.)

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rustls::{CipherSuite, Connection, ProtocolVersion};

use super::context::SslContext;
use super::file::SslFile;
use super::SslError;
use crate::address::Address;
use crate::error::{Error, Result};
use crate::flags::MsgFlags;
use crate::socket::{alloc_recv_buffer, Socket};
use crate::sys::{self, Interest};
use crate::timeout::{sock_call_in, Attempt, Plan};

/// A TLS record's header: content type, version, length.
const HEADER: usize = 5;

/// The largest record TLS 1.2 allows (TLS 1.3's are smaller), header
/// included.
const MAX_RECORD: usize = HEADER + 16384 + 2048;

/// The inbox's size: the most one receive takes from the wire, four of the
/// largest records.
const INBOX_SIZE: usize = 4 * MAX_RECORD;

/// The plaintext rustls holds at most before it refuses more records
/// (`read_tls` fails once more than this waits unread).
const PLAINTEXT_LIMIT: usize = 16384;

/// The most [`SslSocket::close`] reads and drops before closing.
const DISCARD_LIMIT: usize = 1 << 20;

/// The most plaintext one send encrypts before writing it out: four full
/// records.
const SEND_CHUNK: usize = 4 * 16384;

/// A TLS connection over a socket: Python's `ssl.SSLSocket`, from
/// [`SslContext::wrap_socket`]. It is used as a [`Socket`] is: the same
/// calls, the same timeout modes, and `&self` everywhere, so that one thread
/// can block in [`recv`](SslSocket::recv) while another
/// [`sendall`](SslSocket::sendall)s (share it in an `Arc`).
///
/// - **Reading**: [`recv`](SslSocket::recv) returns what the peer sent, up
///   to one record's plaintext at a time, and empty at the end: after the
///   peer's `close_notify`, or a TCP close without one (Python's default
///   `suppress_ragged_eofs=True`).
/// - **Writing**: [`sendall`](SslSocket::sendall) encrypts and sends all of
///   it with one deadline; [`send`](SslSocket::send) as much as one call
///   takes (up to 64 KiB).
/// - **Timeouts** are the socket's: blocking, non-blocking (a call that
///   cannot go on fails with `WouldBlock`, Python's `SSLWantReadError` and
///   `SSLWantWriteError`), or a timeout with one deadline per call
///   ([`Error::Timeout`]).
/// - **Closing**: [`close`](SslSocket::close) (and drop) sends
///   `close_notify` if the socket takes it at once, then closes;
///   [`unwrap`](SslSocket::unwrap) ends TLS both ways and gives the plain
///   socket back.
/// - **Threads**: a reader and a writer never wait for each other. Two
///   readers at once (or two writers) take turns, records being read (and
///   written) whole and in order: the second waits until the first's call
///   ends, and its own timeout counts from then.
///
/// ```
/// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
/// use std::sync::Arc;
///
/// let pki = Pki::new();
/// let (client, server) = pki.tls_pair();
/// // Full duplex: one thread reads while another writes.
/// let client = Arc::new(client);
/// let reader = Arc::clone(&client);
/// let listening = std::thread::spawn(move || reader.recv(1024));
/// client.sendall(b"ping")?;
/// assert_eq!(server.recv(1024)?, b"ping");
/// server.sendall(b"pong")?;
/// assert_eq!(listening.join().unwrap()?, b"pong");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[doc(alias = "SSLSocket")]
pub struct SslSocket {
    /// The socket underneath: `None` only once `close` or `unwrap` took it.
    sock: Option<Socket>,
    conn: Mutex<Connection>,
    inbox: Mutex<Inbox>,
    outbox: Mutex<Outbox>,
    /// Set once the handshake is over, so reads and writes skip it.
    handshaken: AtomicBool,
    context: SslContext,
    server_side: bool,
    server_hostname: Option<String>,
}

/// The reader's state: TLS bytes received and not yet given to rustls (see
/// the module docs, "Reading ahead").
struct Inbox {
    /// Where receives land; `buf[start..end]` is held for rustls, which has
    /// been given its first `lent` bytes already (the header of the record
    /// there, see [`feed`]). Empty until the first receive.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    lent: usize,
    /// Receive exactly up to the end of the current record: set once this
    /// side has sent `close_notify`.
    exact: bool,
    /// The TCP stream has ended (and rustls was told).
    eof: bool,
}

impl Inbox {
    fn new() -> Inbox {
        Inbox {
            buf: Vec::new(),
            start: 0,
            end: 0,
            lent: 0,
            exact: false,
            eof: false,
        }
    }

    /// The bytes held for rustls.
    fn held(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// How many held bytes go to rustls next: the first record if it is all
    /// in; everything held if it does not start like a TLS record (rustls
    /// refuses it at once, without waiting for more); else 0.
    fn next_record(&self) -> usize {
        let held = self.held();
        match record_len(held) {
            None => 0,
            Some(None) => held.len(),
            Some(Some(len)) if len <= held.len() => len,
            Some(Some(_)) => 0,
        }
    }

    /// How many bytes of the record after the first (`first` bytes long) go
    /// to rustls with it: as much of that record's header as is in, if it
    /// looks like TLS so far and fits in rustls's buffer along with the
    /// first; none in exact mode.
    fn next_header(&self, first: usize) -> usize {
        if self.exact || first + HEADER > MAX_RECORD {
            return 0;
        }
        let after = &self.held()[first..];
        match record_len(after) {
            Some(Some(_)) => HEADER,
            None => after.len(),
            Some(None) => 0,
        }
    }

    /// Where the next receive lands: all the room left, or in exact mode
    /// up to the end of the current record (its header first). Moves what
    /// is held to the front first, when that leaves more room than the
    /// largest record.
    fn room(&mut self) -> std::ops::Range<usize> {
        if self.buf.is_empty() {
            self.buf = vec![0; INBOX_SIZE];
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < MAX_RECORD {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let free = self.buf.len() - self.end;
        let held = self.end - self.start;
        let wanted = if !self.exact {
            free
        } else {
            match record_len(self.held()) {
                Some(Some(len)) => len.saturating_sub(held),
                // A header not all in yet, or one that is not TLS (rustls
                // has refused it already): the header's bytes only.
                _ => HEADER.saturating_sub(held).max(1),
            }
        };
        // A whole record held is given to rustls before any receive, which
        // is made only when rustls takes nothing more: never with no room,
        // which would read as the end of the stream.
        let wanted = if wanted == 0 { free } else { wanted };
        self.end..self.end + wanted.min(free)
    }
}

/// The length, header included, of the TLS record `held` starts with:
/// `None` until its header is all in (or earlier, `Some(None)`, if what is
/// in cannot start a TLS record: a content type or version TLS does not
/// have, a length above the largest record).
fn record_len(held: &[u8]) -> Option<Option<usize>> {
    let plausible = match *held {
        [] => return None,
        [kind, ..] if !(20..=24).contains(&kind) => false,
        [_, major, ..] if major != 3 => false,
        [_, _, _, high, low, ..] => {
            let len = HEADER + usize::from(u16::from_be_bytes([high, low]));
            return Some((len <= MAX_RECORD).then_some(len));
        }
        _ => true,
    };
    if plausible {
        None
    } else {
        Some(None)
    }
}

/// The writer's state, held with its turn (see the module docs, "Sending").
#[derive(Default)]
struct Outbox {
    /// TLS bytes taken out of rustls to be sent without its lock (while a
    /// reader is in a call), those from `pos` on not yet sent: they go
    /// before anything rustls still holds.
    buf: Vec<u8>,
    pos: usize,
    /// The plaintext of a [`SslSocket::send`] that failed after its record
    /// was made: it leaves with the next write, and a retry of the same data
    /// (what Python asks after `SSLWantWriteError`) reports it sent rather
    /// than sending it twice.
    retry: Option<Vec<u8>>,
}

/// The socket as rustls's `write_tls` sees it: every send non-blocking
/// (`MSG_DONTWAIT`), `sendmsg` for the records rustls holds, so that the
/// connection's lock is held across no wait.
struct Wire<'a>(&'a Socket);

impl io::Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::send(self.0.as_fd(), buf, libc::MSG_DONTWAIT | sys::SEND_FLAGS)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match bufs {
            // One record (a ping-pong's): `send`, the lighter system call.
            [one] => self.write(one),
            _ => self
                .0
                .as_socket2()
                .send_vectored_with_flags(bufs, libc::MSG_DONTWAIT | sys::SEND_FLAGS),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Locks `mutex`, whatever a thread that panicked while holding it left: the
/// state is plain data, and a failed call never leaves it half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SslSocket {
    /// A TLS socket over `sock` for `conn`, its handshake made within the
    /// socket's timeout (started only, in non-blocking mode).
    pub(crate) fn handshake_new(
        sock: Socket,
        conn: Connection,
        context: SslContext,
        server_side: bool,
        server_hostname: Option<String>,
    ) -> Result<SslSocket> {
        let tls = SslSocket {
            sock: Some(sock),
            conn: Mutex::new(conn),
            inbox: Mutex::new(Inbox::new()),
            outbox: Mutex::new(Outbox::default()),
            handshaken: AtomicBool::new(false),
            context,
            server_side,
            server_hostname,
        };
        let mut plan = tls.plan();
        match tls.handshake(&mut plan) {
            Err(err) if err.is_would_block() => Ok(tls),
            Err(err) => Err(err),
            Ok(()) => Ok(tls),
        }
    }

    /// The socket underneath.
    fn sock(&self) -> &Socket {
        self.sock
            .as_ref()
            .expect("an SslSocket has its socket until close or unwrap consumes it")
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// The plan of a call that starts now: every attempt non-blocking, every
    /// wait in `poll` against one deadline.
    fn plan(&self) -> Plan {
        self.sock().timeouts.polled()
    }

    /// Makes the handshake, or the rest of it: Python's
    /// `sslsock.do_handshake()`.
    ///
    /// [`SslContext::wrap_socket`] has made it already, unless the socket is
    /// in non-blocking mode, where each call goes as far as the socket lets
    /// it and fails with `WouldBlock` (Python's `SSLWantReadError`) until
    /// the handshake is done; then it returns `Ok` at once.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::time::{Duration, Instant};
    ///
    /// let pki = Pki::new();
    /// let (a, b) = pysocket::socketpair()?;
    /// a.setblocking(false)?;
    /// // The client's handshake is only started: no server has answered yet.
    /// let client = pki.client_context().wrap_socket(a, false, Some("localhost"))?;
    /// assert!(client.do_handshake().unwrap_err().is_would_block());
    /// let server_ctx = pki.server_context();
    /// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
    /// let give_up = Instant::now() + Duration::from_secs(10);
    /// loop {
    ///     match client.do_handshake() {
    ///         Ok(()) => break,
    ///         Err(err) if err.is_would_block() && Instant::now() < give_up => {
    ///             // SSLWantReadError: wait until the server's answer comes.
    ///             pysocket::select(&[&client], &[], &[], Some(Duration::from_millis(100)))?;
    ///         }
    ///         Err(err) => return Err(err),
    ///     }
    /// }
    /// assert!(client.version().is_some());
    /// server.join().unwrap()?;
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn do_handshake(&self) -> Result<()> {
        self.handshake(&mut self.plan())
    }

    /// Drives the handshake to its end against `plan`.
    fn handshake(&self, plan: &mut Plan) -> Result<()> {
        if self.handshaken.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut inbox = lock(&self.inbox);
        loop {
            let (done, tickets_only) = {
                let conn = self.conn();
                let done = !conn.is_handshaking();
                let tls13 = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
                (done, done && self.server_side && tls13)
            };
            let flushed = self.flush_out(&mut lock(&self.outbox), plan);
            if tickets_only {
                // All a TLS 1.3 server has left to send is its session
                // tickets, which the client does not wait for: a client
                // that has hung up already (or a socket that cannot take
                // them now) is the next call's business, not a failed
                // handshake. What was not sent stays in rustls.
                self.handshaken.store(true, Ordering::Release);
                return Ok(());
            }
            flushed?;
            if done {
                self.handshaken.store(true, Ordering::Release);
                return Ok(());
            }
            if inbox.eof {
                return Err(SslError::Eof.into());
            }
            self.receive(&mut inbox, plan)?;
        }
    }

    /// Gives rustls the records the inbox holds, receiving from the wire
    /// first if that gives it nothing: as much as the inbox has room for,
    /// or in exact mode up to the end of the current record. At the end of
    /// the stream rustls is told so and `inbox.eof` is set.
    fn receive(&self, inbox: &mut Inbox, plan: &mut Plan) -> Result<()> {
        if inbox.next_record() > 0 {
            let before = (inbox.start, inbox.lent);
            let fed = self.feed_held(inbox);
            if fed.is_err() || (inbox.start, inbox.lent) != before {
                return fed;
            }
        }
        let room = inbox.room();
        let sock = self.sock();
        let dst = &mut inbox.buf[room.clone()];
        let mut receive = sock.timeouts.polled_receive(*plan);
        let n = sock_call_in(
            sock.as_fd(),
            Interest::Read,
            &mut receive,
            Attempt::TryFirst,
            |dontwait| sys::recv(sock.as_fd(), sys::as_uninit_mut(dst), dontwait),
        );
        plan.received(receive);
        let n = n?;
        plan.start_clock();
        if n == 0 {
            inbox.eof = true;
            // A reader at its end: rustls notes the end of the stream.
            self.conn().read_tls(&mut io::empty())?;
            return Ok(());
        }
        // Without MSG_TRUNC the kernel never reports more than it wrote.
        inbox.end += n.min(room.len());
        self.feed_held(inbox)
    }

    /// Gives rustls the whole records the inbox holds (see [`feed`]), then
    /// sends what that made the connection want to send.
    fn feed_held(&self, inbox: &mut Inbox) -> Result<()> {
        let mut conn = self.conn();
        let fed = feed(&mut conn, inbox);
        let wants_write = conn.wants_write();
        drop(conn);
        if wants_write {
            // An alert for what failed, or a reply (a key update): sent if
            // it can be at once; else it goes with the next write.
            self.flush_nowait();
        }
        fed
    }

    /// Sends the TLS bytes the connection has made, until none is left:
    /// those taken out earlier first, then rustls's own, written straight
    /// from its records with the connection's lock held across each
    /// non-blocking send, or, while a reader is in a call, taken out and
    /// sent without the lock. A wait for the socket (the call's plan) is
    /// made without the connection's lock.
    fn flush_out(&self, out: &mut Outbox, plan: &mut Plan) -> Result<()> {
        let sock = self.sock();
        loop {
            while out.pos < out.buf.len() {
                let rest = &out.buf[out.pos..];
                let n = sock_call_in(
                    sock.as_fd(),
                    Interest::Write,
                    plan,
                    Attempt::TryFirst,
                    |_| Wire(sock).write(rest),
                )?;
                if n == 0 {
                    return Err(Error::Io(io::ErrorKind::WriteZero.into()));
                }
                out.pos += n;
                plan.start_clock();
            }
            out.buf.clear();
            out.pos = 0;
            let sent = sock_call_in(
                sock.as_fd(),
                Interest::Write,
                plan,
                Attempt::TryFirst,
                |_| {
                    let mut conn = self.conn();
                    if !conn.wants_write() {
                        return Ok(None);
                    }
                    if self.reading() {
                        take_out(&mut conn, &mut out.buf);
                        return Ok(Some(out.buf.len()));
                    }
                    conn.write_tls(&mut Wire(sock)).map(Some)
                },
            )?;
            match sent {
                None => return Ok(()),
                Some(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Some(_) if out.buf.is_empty() => plan.start_clock(),
                Some(_) => {}
            }
        }
    }

    /// Whether a call holds the reader's turn: a reader that could want the
    /// connection's lock (to decrypt) while a writer's send holds it.
    fn reading(&self) -> bool {
        matches!(
            self.inbox.try_lock(),
            Err(std::sync::TryLockError::WouldBlock)
        )
    }

    /// Sends what is waiting to be sent if no writer holds the outbox and the
    /// socket takes it without waiting; leaves the rest for the next write.
    fn flush_nowait(&self) {
        let mut out = match self.outbox.try_lock() {
            Ok(out) => out,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        let _ = self.flush_out(&mut out, &mut Plan::non_blocking());
    }

    /// Encrypts up to [`SEND_CHUNK`] bytes of `data` into records that
    /// rustls holds until [`flush_out`](Self::flush_out) sends them; returns
    /// how many. `_turn` is the writer's turn, held.
    fn encrypt(&self, _turn: &mut Outbox, data: &[u8]) -> Result<usize> {
        let chunk = &data[..data.len().min(SEND_CHUNK)];
        let mut conn = self.conn();
        // A connection that failed stays failed: its error, not a write
        // that goes nowhere.
        conn.process_new_packets().map_err(SslError::from)?;
        Ok(conn.writer().write(chunk)?)
    }

    /// Runs `take` over the plaintext received, receiving first if there is
    /// none. `take` is given chunks in order until it takes less than a whole
    /// one; it returns how much it took (never 0 of a chunk). Returns the
    /// total taken: 0 at the end of the stream.
    fn read_with(&self, mut take: impl FnMut(&[u8]) -> usize) -> Result<usize> {
        let mut plan = self.plan();
        self.handshake(&mut plan)?;
        let mut inbox = lock(&self.inbox);
        loop {
            if let Some(n) = self.take_plaintext(&mut take)? {
                if inbox.next_record() > 0 {
                    // Records read ahead go to rustls as soon as it has
                    // room, so that they show in `pending` (a `select` on
                    // the socket cannot see them). A failure stays in the
                    // connection for the next call: this one has its data.
                    let _ = self.feed_held(&mut inbox);
                }
                return Ok(n);
            }
            self.receive(&mut inbox, &mut plan)?;
        }
    }

    /// [`read_with`](Self::read_with)'s look at the plaintext: `Some` total
    /// taken (0 at the end of the stream), or `None` if there is nothing yet.
    fn take_plaintext(&self, take: &mut impl FnMut(&[u8]) -> usize) -> Result<Option<usize>> {
        let mut conn = self.conn();
        // A connection that failed stays failed: its error again, rather
        // than a wait for more from the peer.
        conn.process_new_packets().map_err(SslError::from)?;
        let mut reader = conn.reader();
        let mut total = 0;
        loop {
            let (n, whole) = match reader.fill_buf() {
                // Empty: the peer's close_notify came after the last byte.
                Ok([]) => return Ok(Some(total)),
                Ok(chunk) => {
                    let n = take(chunk);
                    (n, n == chunk.len())
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    return Ok((total > 0).then_some(total))
                }
                // A TCP close without close_notify: the end all the same
                // (Python's suppress_ragged_eofs=True).
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(Some(total)),
                Err(err) => return Err(err.into()),
            };
            reader.consume(n);
            total += n;
            if !whole {
                return Ok(Some(total));
            }
        }
    }

    /// Receives up to `bufsize` bytes: Python's `sslsock.recv(bufsize)`.
    ///
    /// Returns what one record brought (TLS delivers plaintext a record at a
    /// time), or what is left of it; empty at the end of the stream, whether
    /// the peer sent `close_notify` or just closed TCP. `recv(0)` returns
    /// empty at once. Waits as the socket's timeout says.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.sendall(b"hello")?;
    /// assert_eq!(server.recv(1024)?, b"hello");
    /// client.close()?; // close_notify, then the socket is closed
    /// assert!(server.recv(1024)?.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recv(&self, bufsize: usize) -> Result<Vec<u8>> {
        let mut buf = alloc_recv_buffer(bufsize, MsgFlags::empty())?;
        if bufsize > 0 {
            self.recv_append(&mut buf)?;
        }
        Ok(buf)
    }

    /// Receives into the spare capacity of `buf`, which must have some,
    /// extending its length; returns the byte count, 0 at the end of the
    /// stream. For [`recv`](Self::recv) and [`SslFile`].
    pub(crate) fn recv_append(&self, buf: &mut Vec<u8>) -> Result<usize> {
        self.read_with(|chunk| {
            let n = chunk.len().min(buf.capacity() - buf.len());
            buf.extend_from_slice(&chunk[..n]);
            n
        })
    }

    /// Receives into `buf`: Python's `sslsock.recv_into(buffer)`. Returns the
    /// byte count, 0 at the end of the stream (an empty `buf` returns 0 at
    /// once).
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// server.sendall(b"abc")?;
    /// let mut buf = [0u8; 16];
    /// let n = client.recv_into(&mut buf)?;
    /// assert_eq!(&buf[..n], b"abc");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn recv_into(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut filled = 0;
        self.read_with(|chunk| {
            let n = chunk.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&chunk[..n]);
            filled += n;
            n
        })
    }

    /// Sends data: Python's `sslsock.send(data)`. Returns how many bytes
    /// went out, up to 64 KiB, which may be fewer than given;
    /// [`sendall`](SslSocket::sendall) sends everything.
    ///
    /// In non-blocking and timeout mode a send can fail (`WouldBlock`,
    /// Python's `SSLWantWriteError`, or [`Error::Timeout`]) after its data
    /// went into a TLS record: that record is sent before anything else, and
    /// calling `send` again with the same data, as Python asks after
    /// `SSLWantWriteError`, returns its count without sending it twice.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let n = client.send(b"hello")?;
    /// assert_eq!(n, 5);
    /// assert_eq!(server.recv(1024)?, b"hello");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        let mut plan = self.plan();
        self.handshake(&mut plan)?;
        let mut out = lock(&self.outbox);
        self.flush_out(&mut out, &mut plan)?;
        if let Some(retry) = out.retry.take() {
            if data.starts_with(&retry) {
                return Ok(retry.len());
            }
        }
        if data.is_empty() {
            return Ok(0);
        }
        let n = self.encrypt(&mut out, data)?;
        match self.flush_out(&mut out, &mut plan) {
            Ok(()) => Ok(n),
            Err(err) => {
                out.retry = Some(data[..n].to_vec());
                Err(err)
            }
        }
    }

    /// Sends all of `data`: Python's `sslsock.sendall(data)`. In timeout
    /// mode one deadline covers the whole call. On error a prefix of the
    /// data may have been sent (the part already in TLS records is sent
    /// before anything that follows).
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let data = vec![7u8; 200_000];
    /// let reader = std::thread::spawn(move || {
    ///     let mut got = Vec::new();
    ///     while got.len() < 200_000 {
    ///         got.extend(server.recv(65536)?);
    ///     }
    ///     Ok::<_, pysocket::Error>(got)
    /// });
    /// client.sendall(&data)?;
    /// assert_eq!(reader.join().unwrap()?, data);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn sendall(&self, data: &[u8]) -> Result<()> {
        let mut sent = 0;
        self.send_all_from(data, &mut sent)
    }

    /// Sends `data[*sent..]` against one deadline, counting in `*sent` the
    /// bytes that are in TLS records (which go out before anything else, so
    /// a caller that buffers, the [`SslFile`], never sends a byte twice).
    pub(crate) fn send_all_from(&self, data: &[u8], sent: &mut usize) -> Result<()> {
        let mut plan = self.plan();
        self.handshake(&mut plan)?;
        let mut out = lock(&self.outbox);
        self.flush_out(&mut out, &mut plan)?;
        if let Some(retry) = out.retry.take() {
            if data[*sent..].starts_with(&retry) {
                *sent += retry.len();
            }
        }
        while *sent < data.len() {
            *sent += self.encrypt(&mut out, &data[*sent..])?;
            self.flush_out(&mut out, &mut plan)?;
            plan.start_clock();
        }
        Ok(())
    }

    /// A buffered file over the connection: Python's `sslsock.makefile('rwb')`.
    /// It reads ([`Read`], [`BufRead`]) and writes ([`Write`]) as a
    /// [`SocketFile`](crate::SocketFile) does on a plain socket. See
    /// [`SslFile`]; [`into_makefile`](SslSocket::into_makefile) gives one
    /// that owns the connection.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::{BufRead, Write};
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let mut out = client.makefile();
    /// out.write_all(b"first line\nsecond line\n")?;
    /// out.flush()?;
    /// let mut lines = server.makefile();
    /// let mut line = String::new();
    /// lines.read_line(&mut line)?;
    /// assert_eq!(line, "first line\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn makefile(&self) -> SslFile<'_> {
        SslFile::new(self)
    }

    /// A buffered file that owns the connection: what
    /// [`makefile`](SslSocket::makefile) gives, for a connection nothing
    /// else keeps (`ctx.wrap_socket(create_connection(..)?, ..)?.into_makefile()`),
    /// or to move to another thread. Dropping the file flushes it, then
    /// closes the connection as dropping the `SslSocket` does
    /// (`close_notify` if the socket takes it at once). The TLS twin of
    /// [`Socket::into_makefile`].
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::io::{BufRead, Write};
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// // The file owns its connection, so it can move to another thread.
    /// let echo = std::thread::spawn(move || -> std::io::Result<()> {
    ///     let mut file = server.into_makefile();
    ///     let mut line = String::new();
    ///     file.read_line(&mut line)?;
    ///     file.write_all(line.to_uppercase().as_bytes())
    ///     // dropped: flushed, then the connection closes
    /// });
    /// let mut file = client.into_makefile();
    /// writeln!(file, "hello")?;
    /// file.flush()?;
    /// let mut reply = String::new();
    /// file.read_line(&mut reply)?;
    /// assert_eq!(reply, "HELLO\n");
    /// echo.join().unwrap()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_makefile(self) -> SslFile<'static> {
        SslFile::owning(self)
    }

    /// Sets the timeout: Python's `sslsock.settimeout(t)`, the socket's
    /// ([`Socket::settimeout`]). `None` blocks, `Some(Duration::ZERO)` is
    /// non-blocking, any other bounds each call.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::time::Duration;
    ///
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// client.settimeout(Some(Duration::from_millis(50)))?;
    /// assert!(client.recv(1024).unwrap_err().is_timeout());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn settimeout(&self, timeout: Option<Duration>) -> Result<()> {
        self.sock().settimeout(timeout)
    }

    /// The timeout: Python's `sslsock.gettimeout()`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use std::time::Duration;
    ///
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// assert_eq!(client.gettimeout(), None);
    /// client.settimeout(Some(Duration::from_secs(5)))?;
    /// assert_eq!(client.gettimeout(), Some(Duration::from_secs(5)));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn gettimeout(&self) -> Option<Duration> {
        self.sock().gettimeout()
    }

    /// Sets blocking or non-blocking mode: Python's
    /// `sslsock.setblocking(flag)`. In non-blocking mode a call that cannot
    /// go on fails with `WouldBlock` (Python's `SSLWantReadError`).
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// client.setblocking(false)?;
    /// assert!(client.recv(1024).unwrap_err().is_would_block());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn setblocking(&self, blocking: bool) -> Result<()> {
        self.sock().setblocking(blocking)
    }

    /// Whether calls may wait: Python's `sslsock.getblocking()` (false only
    /// in non-blocking mode).
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// assert!(client.getblocking());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getblocking(&self) -> bool {
        self.sock().getblocking()
    }

    /// The TLS version the handshake settled on, as Python names it
    /// (`"TLSv1.3"`, `"TLSv1.2"`): Python's `sslsock.version()`. `None`
    /// until the handshake is done.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert_eq!(client.version().as_deref(), Some("TLSv1.3"));
    /// assert_eq!(server.version(), client.version());
    /// ```
    pub fn version(&self) -> Option<String> {
        let conn = self.conn();
        if conn.is_handshaking() {
            return None;
        }
        version_name(conn.protocol_version()?).map(str::to_string)
    }

    /// The cipher suite in use: Python's `sslsock.cipher()`, `(name,
    /// protocol, secret bits)`. The name is OpenSSL's, as Python shows it
    /// (`TLS_AES_256_GCM_SHA384` for TLS 1.3, `ECDHE-ECDSA-AES256-GCM-SHA384`
    /// for TLS 1.2). `None` until the handshake is done.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// let (name, protocol, bits) = client.cipher().unwrap();
    /// assert!(name.starts_with("TLS_"), "{name}");
    /// assert_eq!(protocol, "TLSv1.3");
    /// assert!(bits >= 128);
    /// ```
    pub fn cipher(&self) -> Option<(String, String, u32)> {
        let conn = self.conn();
        if conn.is_handshaking() {
            return None;
        }
        let suite = conn.negotiated_cipher_suite()?;
        let (name, bits) = cipher_name(suite.suite())?;
        let protocol = version_name(suite.version().version)?;
        Some((name.to_string(), protocol.to_string(), bits))
    }

    /// The protocol ALPN settled on: Python's
    /// `sslsock.selected_alpn_protocol()`. `None` if either side offered
    /// none.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let mut server_ctx = pki.server_context();
    /// server_ctx.set_alpn_protocols(&["h2", "http/1.1"])?;
    /// let mut client_ctx = pki.client_context();
    /// client_ctx.set_alpn_protocols(&["http/1.1"])?;
    /// let (a, b) = pysocket::socketpair()?;
    /// let server = std::thread::spawn(move || server_ctx.wrap_socket(b, true, None));
    /// let client = client_ctx.wrap_socket(a, false, Some("localhost"))?;
    /// assert_eq!(client.selected_alpn_protocol().as_deref(), Some("http/1.1"));
    /// assert_eq!(server.join().unwrap()?.selected_alpn_protocol().as_deref(), Some("http/1.1"));
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn selected_alpn_protocol(&self) -> Option<String> {
        let conn = self.conn();
        conn.alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The peer's certificate, DER-encoded: Python's
    /// `sslsock.getpeercert(binary_form=True)`. `None` if the peer sent
    /// none (a client a server did not ask for one), or before the
    /// handshake.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert_eq!(client.getpeercert_der(), Some(pki.server_der.clone()));
    /// assert_eq!(server.getpeercert_der(), None); // the server asked for none
    /// ```
    pub fn getpeercert_der(&self) -> Option<Vec<u8>> {
        let conn = self.conn();
        let cert = conn.peer_certificates()?.first()?;
        Some(cert.as_ref().to_vec())
    }

    /// The host name a client asked for: Python's `sslsock.server_hostname`.
    /// `None` on the server side, and on a client wrapped without one.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert_eq!(client.server_hostname(), Some("localhost"));
    /// assert_eq!(server.server_hostname(), None);
    /// ```
    pub fn server_hostname(&self) -> Option<&str> {
        self.server_hostname.as_deref()
    }

    /// Whether this is the server side of the connection: Python's
    /// `sslsock.server_side`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert!(!client.server_side() && server.server_side());
    /// ```
    pub fn server_side(&self) -> bool {
        self.server_side
    }

    /// The context the socket was wrapped with: Python's `sslsock.context`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::ssl::PROTOCOL_TLS_SERVER;
    ///
    /// let pki = Pki::new();
    /// let (_client, server) = pki.tls_pair();
    /// assert_eq!(server.context().protocol(), PROTOCOL_TLS_SERVER);
    /// ```
    pub fn context(&self) -> &SslContext {
        &self.context
    }

    /// How many bytes of plaintext are received and waiting to be read:
    /// Python's `sslsock.pending()`. A `select` on the socket does not see
    /// them: read them first.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.sendall(b"twelve bytes")?;
    /// assert_eq!(server.recv(5)?, b"twelv");
    /// assert_eq!(server.pending(), 7);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn pending(&self) -> usize {
        self.conn()
            .process_new_packets()
            .map_or(0, |state| state.plaintext_bytes_to_read())
    }

    /// Ends TLS both ways and gives the plain socket back: Python's
    /// `sslsock.unwrap()`.
    ///
    /// Sends `close_notify`, then reads until the peer's own, within the
    /// socket's timeout (one deadline for the whole call); plaintext that
    /// arrives before it is discarded, as in Python. Whatever the peer sends
    /// after its `close_notify` stays in the socket, to be read in plain.
    ///
    /// # Errors
    ///
    /// [`SslError::Eof`] if the peer closes TCP without `close_notify`;
    /// [`Error::Timeout`], or `WouldBlock` in non-blocking mode, if it has
    /// not sent it yet (the socket is then closed: wait for the peer in a
    /// mode that waits).
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// let peer = std::thread::spawn(move || -> pysocket::Result<Vec<u8>> {
    ///     let plain = server.unwrap()?;
    ///     plain.recv(1024)
    /// });
    /// let plain = client.unwrap()?;
    /// plain.sendall(b"in the clear")?;
    /// assert_eq!(peer.join().unwrap()?, b"in the clear");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn unwrap(mut self) -> Result<Socket> {
        let mut plan = self.plan();
        self.handshake(&mut plan)?;
        {
            let mut inbox = lock(&self.inbox);
            // From now on nothing past the peer's close_notify is taken from
            // the kernel.
            inbox.exact = true;
            {
                let mut out = lock(&self.outbox);
                self.conn().send_close_notify();
                self.flush_out(&mut out, &mut plan)?;
            }
            while !self.discard_until_close()? {
                if inbox.eof {
                    return Err(SslError::Eof.into());
                }
                self.receive(&mut inbox, &mut plan)?;
            }
            let ahead = inbox.end - inbox.start;
            if ahead > 0 {
                return Err(SslError::Protocol(format!(
                    "the peer sent {ahead} bytes right behind its close_notify, before it had \
                     ours; they were read ahead with it and cannot be handed back in the socket"
                ))
                .into());
            }
        }
        Ok(self.sock.take().expect("unwrap has the socket"))
    }

    /// Discards the plaintext received; tells whether the peer's
    /// `close_notify` has come.
    fn discard_until_close(&self) -> Result<bool> {
        let mut conn = self.conn();
        let mut reader = conn.reader();
        loop {
            match reader.fill_buf() {
                Ok([]) => return Ok(true),
                Ok(chunk) => {
                    let n = chunk.len();
                    reader.consume(n);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(SslError::Eof.into())
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    /// Sends `close_notify` if the socket takes it at once, then closes the
    /// socket: Python's `sslsock.close()` (which sends none; a peer that
    /// reads then sees a clean end rather than a TCP close). Dropping the
    /// socket does the same and ignores errors; `close` reports those of
    /// `close(2)`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.close()?;
    /// assert!(server.recv(1024)?.is_empty());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn close(mut self) -> Result<()> {
        self.notify_close();
        match self.sock.take() {
            Some(sock) => sock.close(),
            None => Ok(()),
        }
    }

    /// What closing does before the socket closes: queues `close_notify`
    /// after any records waiting and sends what the socket takes at once
    /// (only after a handshake: an unfinished one has no session to close),
    /// then drops what the peer sent that was not read.
    fn notify_close(&self) {
        if self.sock.is_none() {
            return;
        }
        if self.handshaken.load(Ordering::Acquire) {
            let mut out = lock(&self.outbox);
            self.conn().send_close_notify();
            let _ = self.flush_out(&mut out, &mut Plan::non_blocking());
        }
        self.discard_unread();
    }

    /// Reads and drops what the peer sent that no one read (in TLS 1.3,
    /// typically the server's session tickets to a client that only wrote;
    /// or the rest of a handshake that failed): a socket closed with unread
    /// data makes the kernel reset the connection, and the peer could lose
    /// the end of what it is reading, or the alert that tells it why.
    /// Takes only what has arrived, and at most [`DISCARD_LIMIT`] bytes.
    fn discard_unread(&self) {
        let mut scratch = vec![0u8; 16384];
        let sock = self.sock();
        let mut left = DISCARD_LIMIT;
        while left > 0 {
            match sys::recv(
                sock.as_fd(),
                sys::as_uninit_mut(&mut scratch),
                libc::MSG_DONTWAIT,
            ) {
                Ok(n) if n > 0 => left = left.saturating_sub(n),
                _ => return,
            }
        }
    }

    /// Shuts down one or both directions of the socket underneath, without
    /// any TLS: `shutdown(2)`, as Python's `sslsock.shutdown(how)` (which
    /// also drops the TLS state; use [`unwrap`](SslSocket::unwrap) to end
    /// TLS cleanly). Another thread's call that waits on the socket wakes.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::Shutdown;
    ///
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// client.shutdown(Shutdown::Write)?;
    /// assert!(server.recv(1024)?.is_empty()); // a TCP close: the end, all the same
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.sock().shutdown(how)
    }

    /// The address of the peer: Python's `sslsock.getpeername()`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert_eq!(client.getpeername()?, server.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getpeername(&self) -> Result<Address> {
        self.sock().getpeername()
    }

    /// The socket's own address: Python's `sslsock.getsockname()`.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, server) = pki.tls_pair();
    /// assert_eq!(server.getpeername()?, client.getsockname()?);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn getsockname(&self) -> Result<Address> {
        self.sock().getsockname()
    }

    /// The descriptor: Python's `sslsock.fileno()`, for `select` and the
    /// like. Readiness to read means TLS bytes on the wire; plaintext
    /// already decrypted shows in [`pending`](SslSocket::pending) instead.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// assert!(client.fileno() >= 0);
    /// ```
    pub fn fileno(&self) -> RawFd {
        self.sock().fileno()
    }

    /// The plain socket underneath, for its options (`setsockopt`,
    /// `getsockopt`, ...). Sending or receiving on it directly breaks the
    /// TLS stream.
    ///
    /// ```
    /// # mod pki { include!("../../tests/common/pki.rs"); } use pki::Pki;
    /// use pysocket::{SOL_SOCKET, SO_TYPE};
    ///
    /// let pki = Pki::new();
    /// let (client, _server) = pki.tls_pair();
    /// assert_eq!(client.get_ref().getsockopt(SOL_SOCKET, SO_TYPE)?, libc::SOCK_STREAM);
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn get_ref(&self) -> &Socket {
        self.sock()
    }
}

/// Gives rustls the whole records `inbox` holds, one at a time, each
/// processed before the next: up to the peer's `close_notify` (what follows
/// stays in the inbox) and while rustls has room for their plaintext. A TLS
/// failure is an [`Error::Ssl`]; rustls has then queued the alert that
/// tells the peer.
///
/// Once the handshake is done, the next record's header goes with each
/// record (see [`Inbox::next_header`]), so that rustls's buffer never
/// empties between records: rustls shrinks an empty buffer, and would grow it again, zeroed,
/// for every record. Those bytes (five at most) stay counted in the inbox
/// until their record is given; bytes rustls has after a `close_notify` it ignores.
fn feed(conn: &mut Connection, inbox: &mut Inbox) -> Result<()> {
    let mut state = conn.process_new_packets().map_err(SslError::from)?;
    loop {
        if state.peer_has_closed() || state.plaintext_bytes_to_read() >= PLAINTEXT_LIMIT {
            return Ok(());
        }
        let len = inbox.next_record();
        if len == 0 {
            return Ok(());
        }
        // Not while handshaking, when rustls may hold a handshake message
        // that spans records, up to the most its buffer takes.
        let header = if conn.is_handshaking() {
            0
        } else {
            inbox.next_header(len)
        };
        let given = &inbox.buf[inbox.start + inbox.lent..inbox.start + len + header];
        // rustls takes what it is given a few KiB at a time.
        let mut rest = given;
        while !rest.is_empty() {
            let n = conn.read_tls(&mut rest).map_err(|err| {
                Error::Ssl(SslError::Protocol(format!(
                    "cannot take the peer's TLS data: {err}"
                )))
            })?;
            if n == 0 {
                break;
            }
        }
        let whole = rest.is_empty();
        let through = inbox.lent + given.len() - rest.len();
        if through >= len {
            inbox.start += len;
            inbox.lent = through - len;
        } else {
            inbox.lent = through;
        }
        state = conn.process_new_packets().map_err(SslError::from)?;
        if !whole {
            return Ok(());
        }
    }
}

/// Moves every TLS byte the connection has made into `buf`.
fn take_out(conn: &mut Connection, buf: &mut Vec<u8>) {
    while conn.wants_write() {
        // Writing to a Vec cannot fail.
        if conn.write_tls(buf).is_err() {
            break;
        }
    }
}

/// Python's name for a TLS version.
fn version_name(version: ProtocolVersion) -> Option<&'static str> {
    match version {
        ProtocolVersion::TLSv1_3 => Some("TLSv1.3"),
        ProtocolVersion::TLSv1_2 => Some("TLSv1.2"),
        _ => None,
    }
}

/// OpenSSL's name for a cipher suite, as Python's `cipher()` shows it, and
/// its secret bits.
fn cipher_name(suite: CipherSuite) -> Option<(&'static str, u32)> {
    use CipherSuite as C;
    Some(match suite {
        C::TLS13_AES_128_GCM_SHA256 => ("TLS_AES_128_GCM_SHA256", 128),
        C::TLS13_AES_256_GCM_SHA384 => ("TLS_AES_256_GCM_SHA384", 256),
        C::TLS13_CHACHA20_POLY1305_SHA256 => ("TLS_CHACHA20_POLY1305_SHA256", 256),
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => ("ECDHE-ECDSA-AES128-GCM-SHA256", 128),
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => ("ECDHE-ECDSA-AES256-GCM-SHA384", 256),
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => ("ECDHE-ECDSA-CHACHA20-POLY1305", 256),
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => ("ECDHE-RSA-AES128-GCM-SHA256", 128),
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => ("ECDHE-RSA-AES256-GCM-SHA384", 256),
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => ("ECDHE-RSA-CHACHA20-POLY1305", 256),
        _ => return None,
    })
}

impl Drop for SslSocket {
    /// Sends `close_notify` if the socket takes it at once (see
    /// [`close`](SslSocket::close)); the socket closes as it drops.
    fn drop(&mut self) {
        self.notify_close();
    }
}

impl fmt::Debug for SslSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SslSocket")
            .field("socket", &self.sock)
            .field("server_side", &self.server_side)
            .field("server_hostname", &self.server_hostname)
            .field("version", &self.version())
            .finish()
    }
}

impl fmt::Display for SslSocket {
    /// Python's repr: `<ssl.SSLSocket fd=3, family=AF_INET, type=SOCK_STREAM,
    /// proto=0, laddr=127.0.0.1:8443, raddr=127.0.0.1:50312>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sock {
            Some(sock) => {
                let plain = sock.to_string();
                let rest = plain.strip_prefix("<socket").unwrap_or(&plain);
                write!(f, "<ssl.SSLSocket{rest}")
            }
            None => f.write_str("<ssl.SSLSocket [closed]>"),
        }
    }
}

impl Read for SslSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Read for &SslSocket {
    /// [`SslSocket::recv_into`], with the socket's timeout as `TimedOut`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.recv_into(buf)?)
    }
}

impl Write for SslSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Write for &SslSocket {
    /// [`SslSocket::send`].
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    /// Sends what earlier writes left waiting in TLS records, within the
    /// socket's timeout.
    fn flush(&mut self) -> io::Result<()> {
        let mut plan = self.plan();
        Ok(self.flush_out(&mut lock(&self.outbox), &mut plan)?)
    }
}

impl AsFd for SslSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock().as_fd()
    }
}

impl AsRawFd for SslSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fileno()
    }
}
