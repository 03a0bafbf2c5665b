//! Load: 200 client threads at once, each sending 2 MiB and receiving 2 MiB
//! back, against four servers: a plain accept loop (a thread per
//! connection), the test's own one-thread loop on a [`Selector`] with
//! non-blocking sockets, and the `pysocket::server` module's
//! `ThreadingTcpServer` and `SelectorTcpServer`.
//!
//! In the request and answer exchange (the first three servers) each client
//! sends a header (length, seed), its payload in random chunk sizes (with
//! `sendall`, `send` or a makefile), and a trailer with the payload's length
//! and hash; the server checks them, acknowledges with the length and hash it
//! computed, and answers with a payload of its own in the same way, which the
//! client reads with `recv`, `recv_into` or a makefile and checks against
//! the server's trailer. Against `SelectorTcpServer`, whose handlers react to
//! events, the server echoes every byte, checks the trailer on the way, and
//! the client compares each chunk's echo with what it sent. Every byte is
//! checked end to end.
//!
//! The sizes (200 clients × 2 MiB each way, 800 MiB through loopback per
//! server) keep a debug build on two cores to seconds per server. Every call
//! is bounded: sockets in timeout mode time out, and a watchdog shuts every
//! client down should a run pass [`LOAD_LIMIT`]. Afterwards the process has
//! as many descriptors and threads as before.
//!
//! The tests of this binary hold [`SERIAL`] so that they run one at a time:
//! the descriptor and thread counts are the whole process's.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::data::{payload, Digest, Rng, Stream};
use common::{fd_count, Serve};
use pysocket::server::{
    Connection, ConnectionHandler, HandlerResult, RequestHandler, SelectorTcpServer, ServerOptions,
    StreamRequest, ThreadingTcpServer,
};
use pysocket::{
    Address, EventMask, Selector, Shutdown, Socket, SocketFile, AF_INET, SOCK_STREAM, SOL_SOCKET,
    SO_REUSEADDR,
};

/// Client threads per run.
const CLIENTS: usize = 200;

/// About how much each client sends, and receives back.
const PAYLOAD: usize = 2 << 20;

/// The stack of every thread these tests start: small, so that hundreds fit.
const STACK: usize = 256 * 1024;

/// How long one run may take before the watchdog ends it.
const LOAD_LIMIT: Duration = Duration::from_secs(120);

/// The timeout of sockets in timeout mode: only a hang reaches it.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Held by every test of this binary.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The number of threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .count()
}

/// Waits (at most 10 s) until the descriptor and thread counts are back
/// within `slack` of `before`, and asserts that they are.
fn assert_back_to(before: (usize, usize), slack: usize, what: &str) {
    let limit = Instant::now() + Duration::from_secs(10);
    loop {
        let now = (fd_count(), thread_count());
        if now.0 <= before.0 + slack && now.1 <= before.1 + slack {
            return;
        }
        assert!(
            Instant::now() < limit,
            "{what}: (descriptors, threads) were {before:?} before the run, {now:?} after"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Every socket of a run, weakly held, so a watchdog can shut them all down.
#[derive(Default)]
struct Registry(Mutex<Vec<Weak<Socket>>>);

impl Registry {
    fn add(&self, sock: &Arc<Socket>) {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.retain(|weak| weak.strong_count() > 0);
        all.push(Arc::downgrade(sock));
    }

    fn shutdown_all(&self) {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for sock in all.iter().filter_map(Weak::upgrade) {
            let _ = sock.shutdown(Shutdown::Both);
        }
    }
}

/// Shuts every registered socket down if the run is not over within
/// [`LOAD_LIMIT`], so that a hang becomes a failure. Ends with the run.
struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<bool>>,
}

impl Watchdog {
    fn start(registry: Arc<Registry>) -> Watchdog {
        let (done, finished) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .stack_size(STACK)
            .spawn(move || match finished.recv_timeout(LOAD_LIMIT) {
                Err(RecvTimeoutError::Timeout) => {
                    registry.shutdown_all();
                    true
                }
                _ => false,
            })
            .expect("spawn watchdog");
        Watchdog {
            done: Some(done),
            thread: Some(thread),
        }
    }

    /// Ends the watchdog; returns whether it had to fire.
    fn stop(mut self) -> bool {
        drop(self.done.take());
        self.thread
            .take()
            .is_some_and(|t| t.join().expect("watchdog"))
    }
}

/// How a side reads.
#[derive(Clone, Copy, Debug)]
enum How {
    Recv,
    RecvInto,
    Makefile,
}

impl How {
    fn pick(rng: &mut Rng) -> How {
        [How::Recv, How::RecvInto, How::Makefile][rng.range(0, 2)]
    }
}

/// The reading half of a connection, by one of the [`How`]s; `file` is the
/// makefile it reads through in [`How::Makefile`].
struct Input<'a, F> {
    sock: &'a Socket,
    how: How,
    file: F,
    buf: Vec<u8>,
    rng: Rng,
}

impl<'a> Input<'a, SocketFile<'a>> {
    fn new(sock: &'a Socket, how: How, rng: Rng) -> Input<'a, SocketFile<'a>> {
        Input::with_file(
            sock,
            how,
            SocketFile::with_capacity(sock, 16 * 1024, 64),
            rng,
        )
    }
}

impl<'a, F: BufRead> Input<'a, F> {
    fn with_file(sock: &'a Socket, how: How, file: F, rng: Rng) -> Input<'a, F> {
        Input {
            sock,
            how,
            file,
            buf: vec![0u8; 64 * 1024],
            rng,
        }
    }

    /// Reads at most `max` bytes (fewer, in a random amount) and hands them
    /// to `sink`; returns the count, 0 at the end of the stream.
    fn read_some(&mut self, max: usize, sink: &mut impl FnMut(&[u8])) -> Result<usize, String> {
        let size = self.rng.chunk().min(max).max(1);
        let n = match self.how {
            How::Recv => {
                let chunk = self.sock.recv(size).map_err(|e| format!("recv: {e}"))?;
                sink(&chunk);
                return Ok(chunk.len());
            }
            How::RecvInto => self
                .sock
                .recv_into(&mut self.buf[..size])
                .map_err(|e| format!("recv_into: {e}"))?,
            How::Makefile => {
                if self.rng.one_in(2) {
                    self.file
                        .read(&mut self.buf[..size])
                        .map_err(|e| format!("makefile read: {e}"))?
                } else {
                    let available = self
                        .file
                        .fill_buf()
                        .map_err(|e| format!("makefile fill_buf: {e}"))?;
                    let n = available.len().min(size);
                    sink(&available[..n]);
                    self.file.consume(n);
                    return Ok(n);
                }
            }
        };
        sink(&self.buf[..n]);
        Ok(n)
    }

    /// Reads exactly `len` bytes into `sink`.
    fn read_exactly(&mut self, len: usize, sink: &mut impl FnMut(&[u8])) -> Result<(), String> {
        let mut left = len;
        while left > 0 {
            let n = self.read_some(left, sink)?;
            if n == 0 {
                return Err(format!("the stream ended {left} bytes short"));
            }
            left -= n;
        }
        Ok(())
    }

    /// Reads exactly `len` bytes.
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(len);
        self.read_exactly(len, &mut |bytes| out.extend_from_slice(bytes))?;
        Ok(out)
    }

    /// Reads a 16-byte block of two big-endian `u64`s.
    fn read_pair(&mut self) -> Result<(u64, u64), String> {
        Ok(split_pair(&self.read_vec(16)?))
    }

    /// Reads `len` bytes and returns their digest.
    fn read_digest(&mut self, len: usize) -> Result<(u64, u64), String> {
        let mut digest = Digest::new();
        self.read_exactly(len, &mut |bytes| digest.update(bytes))?;
        Ok(digest.finish())
    }

    /// Checks that the stream ends here.
    fn expect_end(&mut self) -> Result<(), String> {
        let mut extra = 0;
        let n = self.read_some(64, &mut |bytes| extra += bytes.len())?;
        if n == 0 {
            Ok(())
        } else {
            Err(format!("{extra} bytes after the end"))
        }
    }
}

/// How a side writes.
#[derive(Clone, Copy, Debug)]
enum Put {
    Sendall,
    Send,
    Makefile,
}

impl Put {
    fn pick(rng: &mut Rng) -> Put {
        [Put::Sendall, Put::Send, Put::Makefile][rng.range(0, 2)]
    }
}

/// The writing half of a connection, by one of the [`Put`]s; `file` is the
/// makefile it writes through in [`Put::Makefile`].
struct Output<'a, W> {
    sock: &'a Socket,
    how: Put,
    file: W,
    rng: Rng,
}

impl<'a> Output<'a, SocketFile<'a>> {
    fn new(sock: &'a Socket, how: Put, mut rng: Rng) -> Output<'a, SocketFile<'a>> {
        let capacity = rng.range(1, 128 * 1024);
        Output::with_file(
            sock,
            how,
            SocketFile::with_capacity(sock, 64, capacity),
            rng,
        )
    }
}

impl<'a, W: Write> Output<'a, W> {
    fn with_file(sock: &'a Socket, how: Put, file: W, rng: Rng) -> Output<'a, W> {
        Output {
            sock,
            how,
            file,
            rng,
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), String> {
        match self.how {
            Put::Sendall => self.sock.sendall(data).map_err(|e| format!("sendall: {e}")),
            Put::Send => {
                let mut sent = 0;
                while sent < data.len() {
                    sent += self
                        .sock
                        .send(&data[sent..])
                        .map_err(|e| format!("send: {e}"))?;
                }
                Ok(())
            }
            Put::Makefile => self
                .file
                .write_all(data)
                .map_err(|e| format!("makefile write: {e}")),
        }
    }

    /// Writes `len` bytes of the stream of `seed`, in random chunk sizes;
    /// returns their digest.
    fn write_stream(&mut self, len: usize, seed: u64) -> Result<(u64, u64), String> {
        let mut stream = Stream::new(seed);
        let mut digest = Digest::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = self.rng.chunk().min(left);
            stream.fill(&mut chunk[..n]);
            digest.update(&chunk[..n]);
            self.write(&chunk[..n])?;
            left -= n;
        }
        Ok(digest.finish())
    }

    fn flush(&mut self) -> Result<(), String> {
        self.file
            .flush()
            .map_err(|e| format!("makefile flush: {e}"))
    }
}

fn pair_bytes(a: u64, b: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_be_bytes());
    out[8..].copy_from_slice(&b.to_be_bytes());
    out
}

fn split_pair(block: &[u8]) -> (u64, u64) {
    let a = u64::from_be_bytes(block[..8].try_into().expect("8 bytes"));
    let b = u64::from_be_bytes(block[8..16].try_into().expect("8 bytes"));
    (a, b)
}

/// The seed of the server's answer to a client whose seed is `seed`.
fn answer_seed(seed: u64) -> u64 {
    seed ^ 0x5EED_0FA1_157E_5500
}

/// A client's socket, connected to `addr`, registered with the watchdog;
/// even clients in blocking mode, odd ones in timeout mode.
fn connect_client(
    index: usize,
    addr: &Address,
    registry: &Registry,
) -> Result<Arc<Socket>, String> {
    let sock = Arc::new(Socket::new(AF_INET, SOCK_STREAM).map_err(|e| format!("socket: {e}"))?);
    registry.add(&sock);
    sock.settimeout(Some(IO_TIMEOUT))
        .map_err(|e| format!("settimeout: {e}"))?;
    sock.connect(addr).map_err(|e| format!("connect: {e}"))?;
    if index % 2 == 0 {
        sock.settimeout(None)
            .map_err(|e| format!("settimeout: {e}"))?;
    }
    Ok(sock)
}

/// One client of the request and answer exchange: sends its payload, checks
/// the acknowledgement, then reads the answer and checks it against the
/// server's trailer.
fn run_client(index: usize, addr: &Address, registry: &Registry) -> Result<(), String> {
    let seed = 0x1000 + index as u64;
    let mut rng = Rng::new(seed);
    let len = PAYLOAD - rng.range(0, 4096);
    let put = Put::pick(&mut rng);
    let how = How::pick(&mut rng);
    let what = |e: String| format!("client {index} ({put:?}, {how:?}): {e}");
    let sock = connect_client(index, addr, registry).map_err(what)?;

    let mut output = Output::new(&sock, put, Rng::new(rng.next_u64()));
    output.write(&pair_bytes(len as u64, seed)).map_err(what)?;
    let sent = output.write_stream(len, seed).map_err(what)?;
    output.write(&pair_bytes(sent.0, sent.1)).map_err(what)?;
    output.flush().map_err(what)?;

    let mut input = Input::new(&sock, how, Rng::new(rng.next_u64()));
    let ack = input.read_pair().map_err(what)?;
    if ack != sent {
        return Err(what(format!("sent {sent:?}, the server got {ack:?}")));
    }
    let got = input.read_digest(len).map_err(what)?;
    let trailer = input.read_pair().map_err(what)?;
    if got != trailer {
        return Err(what(format!(
            "received {got:?}, the server sent {trailer:?}"
        )));
    }
    input.expect_end().map_err(what)
}

/// One client of the echo exchange: sends the same header, payload and
/// trailer, a chunk at a time, and reads each chunk's echo back before the
/// next, checking every byte; then half-closes and expects the end.
fn run_echo_client(index: usize, addr: &Address, registry: &Registry) -> Result<(), String> {
    let seed = 0x2000 + index as u64;
    let mut rng = Rng::new(seed);
    let len = PAYLOAD - rng.range(0, 4096);
    let put = Put::pick(&mut rng);
    let how = How::pick(&mut rng);
    let what = |e: String| format!("echo client {index} ({put:?}, {how:?}): {e}");
    let sock = connect_client(index, addr, registry).map_err(what)?;
    let mut output = Output::new(&sock, put, Rng::new(rng.next_u64()));
    let mut input = Input::new(&sock, how, Rng::new(rng.next_u64()));
    let mut exchange = |chunk: &[u8]| -> Result<(), String> {
        output.write(chunk)?;
        output.flush()?;
        let echo = input.read_vec(chunk.len())?;
        if echo != chunk {
            return Err(format!("a {}-byte chunk came back different", chunk.len()));
        }
        Ok(())
    };
    exchange(&pair_bytes(len as u64, seed)).map_err(what)?;
    let mut stream = Stream::new(seed);
    let mut digest = Digest::new();
    let mut left = len;
    while left > 0 {
        let chunk = stream.take(rng.chunk().min(left));
        digest.update(&chunk);
        exchange(&chunk).map_err(what)?;
        left -= chunk.len();
    }
    let sent = digest.finish();
    exchange(&pair_bytes(sent.0, sent.1)).map_err(what)?;
    sock.shutdown(Shutdown::Write)
        .map_err(|e| what(format!("shutdown: {e}")))?;
    input.expect_end().map_err(what)
}

/// Serves one connection the way the threaded servers do: reads the
/// payload, acknowledges, answers. `rfile` and `wfile` are the makefiles to
/// use when it reads or writes through one.
fn serve_stream(
    conn: &Socket,
    rfile: impl BufRead,
    wfile: impl Write,
    id: u64,
) -> Result<(), String> {
    let mut rng = Rng::new(0xC0FFEE ^ id);
    let how = How::pick(&mut rng);
    let put = Put::pick(&mut rng);
    let what = |e: String| format!("server connection {id} ({how:?}, {put:?}): {e}");
    let mut input = Input::with_file(conn, how, rfile, Rng::new(rng.next_u64()));
    let (len, seed) = input.read_pair().map_err(what)?;
    if len > 2 * PAYLOAD as u64 {
        return Err(what(format!("a header asking for {len} bytes")));
    }
    let got = input.read_digest(len as usize).map_err(what)?;
    let trailer = input.read_pair().map_err(what)?;
    if got != trailer {
        return Err(what(format!(
            "received {got:?}, the client sent {trailer:?}"
        )));
    }
    let mut output = Output::with_file(conn, put, wfile, Rng::new(rng.next_u64()));
    output.write(&pair_bytes(got.0, got.1)).map_err(what)?;
    let sent = output
        .write_stream(len as usize, answer_seed(seed))
        .map_err(what)?;
    output.write(&pair_bytes(sent.0, sent.1)).map_err(what)?;
    output.flush().map_err(what)
}

/// [`serve_stream`] with makefiles of its own.
fn serve_connection(conn: &Socket, id: u64) -> Result<(), String> {
    let rfile = SocketFile::with_capacity(conn, 16 * 1024, 64);
    let wfile = SocketFile::with_capacity(conn, 64, 32 * 1024);
    serve_stream(conn, rfile, wfile, id)
}

/// Reads a request (header, payload, trailer) as it arrives in pieces of any
/// size, for the servers that cannot block: checks the trailer against the
/// payload's digest.
#[derive(Default)]
struct RequestParser {
    /// The bytes of the header or trailer read so far.
    block: Vec<u8>,
    header: Option<(u64, u64)>,
    body_left: u64,
    digest: Digest,
    complete: bool,
}

impl RequestParser {
    /// Takes in received bytes; returns how many it used (all, unless the
    /// request ended inside them).
    fn take(&mut self, bytes: &[u8]) -> Result<usize, String> {
        let mut used = 0;
        while used < bytes.len() && !self.complete {
            let rest = &bytes[used..];
            if self.header.is_some() && self.body_left > 0 {
                let n = rest.len().min(self.body_left as usize);
                self.digest.update(&rest[..n]);
                self.body_left -= n as u64;
                used += n;
                continue;
            }
            let n = (16 - self.block.len()).min(rest.len());
            self.block.extend_from_slice(&rest[..n]);
            used += n;
            if self.block.len() < 16 {
                continue;
            }
            let pair = split_pair(&self.block);
            self.block.clear();
            match self.header {
                None => {
                    if pair.0 == 0 || pair.0 > 2 * PAYLOAD as u64 {
                        return Err(format!("a header asking for {} bytes", pair.0));
                    }
                    self.header = Some(pair);
                    self.body_left = pair.0;
                }
                Some(_) => {
                    let got = self.digest.finish();
                    if got != pair {
                        return Err(format!("received {got:?}, the client sent {pair:?}"));
                    }
                    self.complete = true;
                }
            }
        }
        Ok(used)
    }
}

/// A listener on 127.0.0.1 with room for every client in its queue.
fn load_listener() -> (Socket, Address) {
    let listener = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    listener
        .setsockopt(SOL_SOCKET, SO_REUSEADDR, true)
        .expect("SO_REUSEADDR");
    listener.bind(("127.0.0.1", 0)).expect("bind");
    listener.listen(1024).expect("listen");
    let addr = listener.getsockname().expect("getsockname");
    (listener, addr)
}

/// A client, as [`run_load`] starts [`CLIENTS`] of them.
type Client = fn(usize, &Address, &Registry) -> Result<(), String>;

/// Runs [`CLIENTS`] clients at once against the server at `addr`, which the
/// thread `server` runs, then `stop`s the server, and checks that every
/// exchange was byte-exact, that the run was bounded, and that no descriptor
/// or thread is left.
fn run_load(
    what: &str,
    before: (usize, usize),
    addr: Address,
    client: Client,
    server: JoinHandle<Vec<String>>,
    stop: impl FnOnce(),
) {
    let registry = Arc::new(Registry::default());
    let started = Instant::now();
    let watchdog = Watchdog::start(Arc::clone(&registry));
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<JoinHandle<Result<(), String>>> = (0..CLIENTS)
        .map(|index| {
            let (addr, registry, barrier) =
                (addr.clone(), Arc::clone(&registry), Arc::clone(&barrier));
            thread::Builder::new()
                .stack_size(STACK)
                .spawn(move || {
                    barrier.wait();
                    client(index, &addr, &registry)
                })
                .expect("spawn client")
        })
        .collect();
    let mut failures: Vec<String> = clients
        .into_iter()
        .filter_map(|client| client.join().expect("client thread").err())
        .collect();
    stop();
    failures.extend(server.join().expect("server thread"));
    let fired = watchdog.stop();
    let took = started.elapsed();
    eprintln!("{what}: {CLIENTS} clients, {PAYLOAD} bytes each way, in {took:?}");
    assert!(!fired, "{what}: the run passed {LOAD_LIMIT:?}");
    assert!(
        failures.is_empty(),
        "{what}: {} failures, first: {:?}",
        failures.len(),
        failures.iter().take(3).collect::<Vec<_>>()
    );
    assert_back_to(before, 2, what);
}

/// A plain accept loop, a thread per connection: every byte of 200
/// concurrent clients arrives intact both ways.
#[test]
fn load_against_a_plain_accept_loop() {
    let _serial = serial();
    let before = (fd_count(), thread_count());
    let (listener, addr) = load_listener();
    let server = thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            listener
                .settimeout(Some(Duration::from_millis(200)))
                .expect("settimeout");
            let limit = Instant::now() + LOAD_LIMIT;
            let mut handlers = Vec::new();
            let mut errors = Vec::new();
            while handlers.len() < CLIENTS && Instant::now() < limit {
                let (conn, _) = match listener.accept() {
                    Ok(accepted) => accepted,
                    Err(err) if err.is_timeout() => continue,
                    Err(err) => {
                        errors.push(format!("accept: {err}"));
                        continue;
                    }
                };
                let id = handlers.len() as u64;
                if id % 2 == 1 {
                    conn.settimeout(Some(IO_TIMEOUT)).expect("settimeout");
                }
                handlers.push(
                    thread::Builder::new()
                        .stack_size(STACK)
                        .spawn(move || serve_connection(&conn, id))
                        .expect("spawn handler"),
                );
            }
            errors.extend(
                handlers
                    .into_iter()
                    .filter_map(|h| h.join().expect("handler thread").err()),
            );
            errors
        })
        .expect("spawn server");
    run_load("plain accept loop", before, addr, run_client, server, || {});
}

/// A connection of the test's own selector server.
struct Conn {
    sock: Socket,
    rng: Rng,
    request: RequestParser,
    /// The bytes queued to send, and how many of them went out.
    out: Vec<u8>,
    out_at: usize,
    answer: Stream,
    answer_left: u64,
    answer_digest: Digest,
    trailer_queued: bool,
}

impl Conn {
    fn new(sock: Socket, id: u64) -> Conn {
        Conn {
            sock,
            rng: Rng::new(0xFACE ^ id),
            request: RequestParser::default(),
            out: Vec::new(),
            out_at: 0,
            answer: Stream::new(0),
            answer_left: 0,
            answer_digest: Digest::new(),
            trailer_queued: false,
        }
    }

    /// Takes in received bytes; once the request is complete, queues the
    /// acknowledgement and returns true.
    fn take(&mut self, bytes: &[u8]) -> Result<bool, String> {
        let used = self.request.take(bytes)?;
        if !self.request.complete {
            return Ok(false);
        }
        if used < bytes.len() {
            return Err(format!("{} bytes after the trailer", bytes.len() - used));
        }
        let got = self.request.digest.finish();
        let (len, seed) = self
            .request
            .header
            .expect("a complete request has a header");
        self.out = pair_bytes(got.0, got.1).to_vec();
        self.answer = Stream::new(answer_seed(seed));
        self.answer_left = len;
        Ok(true)
    }

    /// Queues the next piece of the answer once the last went out; returns
    /// false when everything has been sent.
    fn refill(&mut self) -> bool {
        if self.out_at < self.out.len() {
            return true;
        }
        self.out_at = 0;
        if self.answer_left > 0 {
            let n = (self.rng.chunk() as u64).min(self.answer_left) as usize;
            self.out = self.answer.take(n);
            self.answer_digest.update(&self.out);
            self.answer_left -= n as u64;
            true
        } else if !self.trailer_queued {
            let sent = self.answer_digest.finish();
            self.out = pair_bytes(sent.0, sent.1).to_vec();
            self.trailer_queued = true;
            true
        } else {
            false
        }
    }
}

/// What the selector server did with a ready socket.
enum Step {
    Wait,
    NowWrite,
    Finished,
}

/// Reads what `conn` has, until it would block.
fn on_readable(conn: &mut Conn, buf: &mut [u8]) -> Result<Step, String> {
    loop {
        let size = conn.rng.chunk();
        match conn.sock.recv_into(&mut buf[..size]) {
            Ok(0) => return Err("the client closed before its trailer".into()),
            Ok(n) => {
                if conn.take(&buf[..n])? {
                    return Ok(Step::NowWrite);
                }
            }
            Err(err) if err.is_would_block() => return Ok(Step::Wait),
            Err(err) => return Err(format!("recv_into: {err}")),
        }
    }
}

/// Sends what `conn` has queued, until it would block or all is sent.
fn on_writable(conn: &mut Conn) -> Result<Step, String> {
    while conn.refill() {
        match conn.sock.send(&conn.out[conn.out_at..]) {
            Ok(n) => conn.out_at += n,
            Err(err) if err.is_would_block() => return Ok(Step::Wait),
            Err(err) => return Err(format!("send: {err}")),
        }
    }
    Ok(Step::Finished)
}

/// The test's own server on one thread: non-blocking sockets and a
/// [`Selector`] (epoll), with a state machine per connection.
fn selector_server(listener: Socket) -> Vec<String> {
    const LISTENER: u64 = u64::MAX;
    let mut errors = Vec::new();
    let mut selector: Selector<u64> = Selector::new().expect("selector");
    listener.setblocking(false).expect("setblocking");
    selector
        .register(&listener, EventMask::READ, LISTENER)
        .expect("register listener");
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut next_id = 0u64;
    let mut finished = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let limit = Instant::now() + LOAD_LIMIT;
    while finished < CLIENTS && Instant::now() < limit {
        let ready = match selector.select(Some(Duration::from_millis(200))) {
            Ok(ready) => ready,
            Err(err) => {
                errors.push(format!("select: {err}"));
                break;
            }
        };
        for (key, events) in ready {
            if key.data == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((sock, _)) => {
                            sock.setblocking(false).expect("setblocking");
                            let id = next_id;
                            next_id += 1;
                            selector
                                .register(&sock, EventMask::READ, id)
                                .expect("register connection");
                            conns.insert(id, Conn::new(sock, id));
                        }
                        Err(err) if err.is_would_block() => break,
                        Err(err) => {
                            errors.push(format!("accept: {err}"));
                            break;
                        }
                    }
                }
                continue;
            }
            let Some(conn) = conns.get_mut(&key.data) else {
                continue;
            };
            let reading = !conn.request.complete;
            let step = if reading && events.contains(EventMask::READ) {
                on_readable(conn, &mut buf)
            } else if !reading && events.contains(EventMask::WRITE) {
                on_writable(conn)
            } else {
                Ok(Step::Wait)
            };
            match step {
                Ok(Step::Wait) => {}
                Ok(Step::NowWrite) => {
                    selector
                        .modify_events(&conn.sock, EventMask::WRITE)
                        .expect("modify");
                }
                Ok(Step::Finished) | Err(_) => {
                    if let Err(err) = step {
                        errors.push(format!("selector connection {}: {err}", key.data));
                    }
                    let conn = conns.remove(&key.data).expect("a known connection");
                    selector.unregister(&conn.sock).expect("unregister");
                    finished += 1;
                }
            }
        }
    }
    if finished < CLIENTS {
        errors.push(format!(
            "the selector server finished {finished} of {CLIENTS} connections"
        ));
    }
    selector.unregister(&listener).expect("unregister listener");
    errors
}

/// The test's own one-thread server on a `Selector` with non-blocking
/// sockets: every byte of 200 concurrent clients arrives intact both ways.
#[test]
fn load_against_a_selector_loop() {
    let _serial = serial();
    let before = (fd_count(), thread_count());
    let (listener, addr) = load_listener();
    let server = thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || selector_server(listener))
        .expect("spawn server");
    run_load("selector loop", before, addr, run_client, server, || {});
}

/// Runs a server of the `server` module in a thread, until the function
/// returned with it: the server's address, the thread, which closes the
/// server (dropping it) and returns the failures collected into `errors` and
/// `serve_forever`'s own, and what stops the server.
fn serve_in_thread(
    server: impl Serve + Send + 'static,
    errors: Arc<Mutex<Vec<String>>>,
) -> (Address, JoinHandle<Vec<String>>, impl FnOnce()) {
    let addr = server.address();
    let handle = server.handle();
    let thread = thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let served = server.serve(Duration::from_millis(100));
            drop(server);
            let mut errors =
                std::mem::take(&mut *errors.lock().unwrap_or_else(PoisonError::into_inner));
            if let Err(err) = served {
                errors.push(format!("serve_forever: {err}"));
            }
            errors
        })
        .expect("spawn server");
    (addr, thread, move || handle.shutdown())
}

/// Server options for a load: a backlog for every client at once, and
/// failures collected into `errors` instead of printed.
fn load_options(errors: &Arc<Mutex<Vec<String>>>) -> ServerOptions {
    let errors = Arc::clone(errors);
    ServerOptions::new()
        .request_queue_size(1024)
        .max_threads(CLIENTS + 16)
        .timeout(Some(IO_TIMEOUT))
        .handle_error(move |err, client| {
            errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("request from {client:?}: {err}"));
        })
}

/// The request handler of the threading server's load: the same exchange,
/// through the request's own `rfile` and `wfile`.
struct LoadHandler {
    id: u64,
}

impl RequestHandler for LoadHandler {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        serve_stream(
            request.connection,
            &mut request.rfile,
            &mut request.wfile,
            self.id,
        )?;
        Ok(())
    }
}

/// `server::ThreadingTcpServer`: every byte of 200 concurrent clients
/// arrives intact both ways, and closing the server leaves no thread.
#[test]
fn load_against_the_threading_server() {
    let _serial = serial();
    let before = (fd_count(), thread_count());
    let errors = Arc::new(Mutex::new(Vec::new()));
    let next_id = Arc::new(AtomicU64::new(0));
    let server = ThreadingTcpServer::with_options(
        ("127.0.0.1", 0),
        move || LoadHandler {
            id: next_id.fetch_add(1, Ordering::Relaxed),
        },
        load_options(&errors),
    )
    .expect("threading server");
    let (addr, thread, stop) = serve_in_thread(server, errors);
    run_load("threading server", before, addr, run_client, thread, stop);
}

/// The connection handler of the selector server's load: echoes every byte
/// as it comes, and checks the request's trailer on the way.
#[derive(Default)]
struct EchoCheck {
    request: RequestParser,
}

impl ConnectionHandler for EchoCheck {
    fn data_received(&mut self, data: &[u8], conn: &mut Connection<'_>) -> HandlerResult {
        conn.write(data);
        let used = self.request.take(data)?;
        if used < data.len() {
            return Err(format!("{} bytes after the trailer", data.len() - used).into());
        }
        Ok(())
    }

    fn eof_received(&mut self, _conn: &mut Connection<'_>) -> HandlerResult {
        if self.request.complete {
            Ok(())
        } else {
            Err("the client closed before its trailer".into())
        }
    }
}

/// `server::SelectorTcpServer`, one thread for every connection: the echo
/// of every byte of 200 concurrent clients comes back intact.
#[test]
fn load_against_the_selector_server() {
    let _serial = serial();
    let before = (fd_count(), thread_count());
    let errors = Arc::new(Mutex::new(Vec::new()));
    let server = SelectorTcpServer::with_options(
        ("127.0.0.1", 0),
        EchoCheck::default,
        load_options(&errors),
    )
    .expect("selector server");
    let (addr, thread, stop) = serve_in_thread(server, errors);
    run_load(
        "selector server",
        before,
        addr,
        run_echo_client,
        thread,
        stop,
    );
}

/// The test data itself: a stream and a digest do not depend on how the
/// bytes are cut, and a digest tells a changed or shortened stream.
#[test]
fn digest_and_stream_ignore_chunking() {
    let whole = payload(10_007, 42);
    let mut rng = Rng::new(7);
    let mut digest = Digest::new();
    let mut stream = Stream::new(42);
    let mut rebuilt = Vec::new();
    let mut at = 0;
    while at < whole.len() {
        let n = rng.range(1, 37).min(whole.len() - at);
        digest.update(&whole[at..at + n]);
        rebuilt.extend(stream.take(n));
        at += n;
    }
    assert_eq!(rebuilt, whole);
    assert_eq!(digest.finish(), Digest::of(&whole));
    assert_eq!(Digest::of_stream(whole.len(), 42), Digest::of(&whole));
    let mut changed = whole.clone();
    changed.swap(100, 101);
    assert_ne!(Digest::of(&changed), Digest::of(&whole));
    assert_ne!(Digest::of(&whole[1..]), Digest::of(&whole));
}
