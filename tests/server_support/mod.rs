//! Helpers for the server tests beyond `tests/server.rs`: running a server
//! for the length of a test (`serving`, from `common`), recording what
//! `handle_error` reports. Each test binary uses a part.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use crate::common::serving;
use crate::common::{self, PROMPT};
use pysocket::server::{RequestError, ServerOptions};
use pysocket::Socket;

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
