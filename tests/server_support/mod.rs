//! Helpers for the server tests beyond `tests/server.rs`: running a server
//! for the length of a test (`serving`, from `common`), recording what
//! `handle_error` reports, and `verify_request` on the datagram servers.
//! Each test binary uses a part.
#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use crate::common::serving;
use crate::common::{self, Serve, PROMPT};
use pysocket::server::{
    DatagramRequest, DatagramRequestHandler, HandlerResult, RequestError, ServerOptions,
};
use pysocket::{Address, MsgFlags, Socket};

/// How long to wait for a datagram that must not come.
const QUIET: Duration = Duration::from_millis(300);

/// One failure `handle_error` reported.
#[derive(Clone, Debug)]
pub struct Report {
    /// `handler`, `panic` or `server`.
    pub kind: &'static str,
    /// The client's address as displayed, `None` when there was none.
    pub client: Option<String>,
    /// The error's message.
    pub message: String,
    /// The OS error underneath, if any.
    pub errno: Option<i32>,
}

/// Options (with a listen backlog of 64) whose `handle_error` records what
/// it reports, and the record.
pub fn recording() -> (ServerOptions, Arc<Mutex<Vec<Report>>>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let options = ServerOptions::new()
        .request_queue_size(64)
        .handle_error(move |err, client| {
            let (kind, errno) = match err {
                RequestError::Handler(source) => ("handler", errno_of(source.as_ref())),
                RequestError::Panic(_) => ("panic", None),
                RequestError::Server(source) => ("server", source.errno()),
                _ => ("other", None),
            };
            sink.lock().unwrap().push(Report {
                kind,
                client: client.map(ToString::to_string),
                message: err.to_string(),
                errno,
            });
        });
    (options, reports)
}

/// The errno of a handler's error, whether a `pysocket::Error` or an
/// `io::Error`.
fn errno_of(err: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<i32> {
    if let Some(err) = err.downcast_ref::<pysocket::Error>() {
        return err.errno();
    }
    err.downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::raw_os_error)
}

/// Waits until `reports` holds `count` entries (a report may come after the
/// client sees its connection close), and returns them.
pub fn reported(reports: &Mutex<Vec<Report>>, count: usize) -> Vec<Report> {
    let deadline = Instant::now() + PROMPT;
    loop {
        let seen = reports.lock().unwrap().clone();
        if seen.len() >= count || Instant::now() > deadline {
            return seen;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Reads exactly `len` bytes (less if the stream ends).
pub fn read_exact(sock: &Socket, len: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(len);
    while got.len() < len {
        let chunk = sock.recv(len - got.len()).expect("recv");
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    got
}

/// Reads until the end of the stream; a reset counts as the end (a server
/// that closes with unread data resets the connection).
pub fn read_to_end(sock: &Socket) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        match sock.recv(65536) {
            Ok(chunk) if chunk.is_empty() => return got,
            Ok(chunk) => got.extend_from_slice(&chunk),
            Err(err) if err.errno() == Some(libc::ECONNRESET) => return got,
            Err(err) => panic!("recv: {err}"),
        }
    }
}

/// Waits until this process has `want` descriptors open, and returns the
/// count last seen (the server closes a connection after the client sees
/// its end). For a test run in a process of its own.
pub fn fd_count_settles_at(want: usize) -> usize {
    let deadline = Instant::now() + PROMPT;
    loop {
        let now = common::fd_count();
        if now == want || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------
// verify_request on the datagram servers

/// Echoes each datagram and records it, so that a test can tell which
/// datagrams reached a handler.
pub struct Witness(Arc<Mutex<Vec<Vec<u8>>>>);

impl DatagramRequestHandler for Witness {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        self.0.lock().unwrap().push(request.packet.to_vec());
        request.wfile.write_all(request.packet)?;
        Ok(())
    }
}

/// The datagrams `Witness` handlers saw, and the function that makes them.
pub fn witnesses() -> (
    Arc<Mutex<Vec<Vec<u8>>>>,
    impl Fn() -> Witness + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&seen);
    (seen, move || Witness(Arc::clone(&shared)))
}

/// What a `verify_request` hook was given, each time: the address of the
/// socket, and the sender's.
pub type Asked = Arc<Mutex<Vec<(Address, Address)>>>;

/// `options` with a `verify_request` that refuses the sender `refused`,
/// admits every other, and records what it is given.
pub fn refusing(options: ServerOptions, refused: Address) -> (ServerOptions, Asked) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&asked);
    let options = options.verify_request(move |sock, client| {
        let local = sock.getsockname().expect("getsockname");
        record.lock().unwrap().push((local, client.clone()));
        *client != refused
    });
    (options, asked)
}

/// `options` with a `verify_request` that panics the first time it is
/// asked, and admits every datagram after.
pub fn panicking_once(options: ServerOptions) -> ServerOptions {
    let calls = AtomicUsize::new(0);
    options.verify_request(move |_, _| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("verify_request panicked");
        }
        true
    })
}

/// Receives one datagram within the socket's timeout, and checks that it
/// came from `from`.
fn answer_from(sock: &Socket, from: &Address) -> Vec<u8> {
    let (data, sender) = sock.recvfrom(1 << 16).expect("an answer");
    assert_eq!(&sender, from, "an answer from elsewhere");
    data
}

/// Whether a datagram arrives at `sock` within `QUIET` (left unread); the
/// socket's timeout is `PROMPT` again after.
fn arrives(sock: &Socket) -> bool {
    sock.settimeout(Some(QUIET)).unwrap();
    let arrived = match sock.recv_with_flags(1, MsgFlags::PEEK) {
        Ok(_) => true,
        Err(err) if err.is_timeout() => false,
        Err(err) => panic!("recv: {err}"),
    };
    sock.settimeout(Some(PROMPT)).unwrap();
    arrived
}

/// Runs a datagram server built with options from `refusing(_, refused's
/// address)` and handlers from `witnesses`, and checks it. Datagrams from
/// both clients, sent in turns before the server serves (so that one
/// receive takes some of each), then one more of each while it serves: the
/// admitted client's are answered, once each; the refused client's reach
/// no handler and get no answer; the hook was asked once for each
/// datagram, and given the server's socket.
pub fn refuses_one_of_two_clients<S: Serve>(
    server: &S,
    admitted: &Socket,
    refused: &Socket,
    seen: &Mutex<Vec<Vec<u8>>>,
    asked: &Mutex<Vec<(Address, Address)>>,
) {
    // At most 10 datagrams wait in an AF_UNIX socket by default.
    const QUEUED: usize = 4;
    let server_address = server.address();
    for i in 0..QUEUED {
        refused
            .sendto(format!("out {i}").as_bytes(), &server_address)
            .unwrap();
        admitted
            .sendto(format!("in {i}").as_bytes(), &server_address)
            .unwrap();
    }
    let mut want: Vec<Vec<u8>> = (0..QUEUED)
        .map(|i| format!("in {i}").into_bytes())
        .collect();
    want.push(b"in late".to_vec());
    want.sort();
    serving(server, |addr| {
        let mut answers: Vec<Vec<u8>> = (0..QUEUED).map(|_| answer_from(admitted, addr)).collect();
        // The refused client's first: the server takes it before the
        // admitted one, so it has been through the hook once the admitted
        // one is answered.
        refused.sendto(b"out late", addr).unwrap();
        admitted.sendto(b"in late", addr).unwrap();
        answers.push(answer_from(admitted, addr));
        answers.sort();
        assert_eq!(answers, want);
        assert!(!arrives(admitted), "an answer too many");
        assert!(!arrives(refused), "the refused client was answered");
    });
    let mut saw = seen.lock().unwrap().clone();
    saw.sort();
    assert_eq!(saw, want, "what the handlers saw");
    let asked = asked.lock().unwrap().clone();
    let refused_address = refused.getsockname().unwrap();
    let admitted_address = admitted.getsockname().unwrap();
    for (local, _) in &asked {
        assert_eq!(local, &server_address, "the hook's socket is the server's");
    }
    let times = |who: &Address| asked.iter().filter(|(_, client)| client == who).count();
    assert_eq!(times(&refused_address), QUEUED + 1, "{asked:?}");
    assert_eq!(times(&admitted_address), QUEUED + 1, "{asked:?}");
    assert_eq!(asked.len(), 2 * (QUEUED + 1), "{asked:?}");
}

/// Runs a datagram server built with options from `recording` then
/// `panicking_once`, and handlers from `witnesses`, and checks it: the
/// panic is reported with the client's address, its datagram reaches no
/// handler and gets no answer, and the next datagram is served.
pub fn survives_a_panicking_hook<S: Serve>(
    server: &S,
    client: &Socket,
    seen: &Mutex<Vec<Vec<u8>>>,
    reports: &Mutex<Vec<Report>>,
) {
    let me = client.getsockname().unwrap().to_string();
    serving(server, |addr| {
        client.sendto(b"first", addr).unwrap();
        let got = reported(reports, 1);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].kind, "panic", "{got:?}");
        assert!(
            got[0].message.contains("verify_request panicked"),
            "{got:?}"
        );
        assert_eq!(got[0].client.as_deref(), Some(me.as_str()), "{got:?}");
        client.sendto(b"next", addr).unwrap();
        assert_eq!(answer_from(client, addr), b"next");
        assert!(!arrives(client), "an answer too many");
    });
    assert_eq!(*seen.lock().unwrap(), [b"next".to_vec()]);
    let got = reports.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
}
