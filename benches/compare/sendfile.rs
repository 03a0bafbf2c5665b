//! A page-cached file sent over TCP loopback or an AF_UNIX stream pair: with
//! `Socket::sendfile`, with socket2's one-call `sendfile` in a loop (the
//! zero-copy floor), and with what `sendfile` replaces, the file read into a
//! buffer and sent with `sendall`. All three send on the same kind of
//! pysocket pair (socket2's call on its `as_socket2()`), and a reader thread
//! drains it with `recv_into` into 64 KiB. Timed from the first call to the
//! last byte received, or, for the sender's CPU, by the sending thread's
//! CPU clock: over TCP loopback the receiver's copy bounds the throughput,
//! and what `sendfile` saves shows as the sender's CPU.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::thread;
use std::time::{Duration, Instant};

use pysocket::{socketpair, Socket};

use crate::loopback;

/// The buffer of read + `sendall`: as large as the most one of `sendall`'s
/// sends hands the kernel.
const COPY_BUFFER: usize = 256 << 10;

/// A temporary file of `len` bytes; written just now, it is in the page
/// cache (and the warm-up round reads it through once more).
pub fn cached_file(len: usize) -> File {
    let mut file = tempfile::tempfile().expect("temp file");
    let block: Vec<u8> = (0..1usize << 20).map(|i| (i % 251) as u8).collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        file.write_all(&block[..n]).expect("write temp file");
        left -= n;
    }
    file
}

/// Which pair a row sends on.
#[derive(Clone, Copy)]
pub enum Over {
    Tcp,
    Unix,
}

/// What a row measures.
#[derive(Clone, Copy)]
pub enum Measure {
    /// From the first call to the last byte received.
    Wall,
    /// The sending thread's CPU time.
    SenderCpu,
}

fn pair(over: Over) -> (Socket, Socket) {
    match over {
        Over::Tcp => loopback::pysocket_pair(),
        Over::Unix => socketpair().unwrap(),
    }
}

pub fn pysocket(over: Over, measure: Measure, file: &File, len: usize) -> Duration {
    let (tx, rx) = pair(over);
    timed(&rx, len, measure, || {
        let sent = tx.sendfile(file, 0, None).unwrap();
        assert_eq!(sent, len as u64);
    })
}

pub fn socket2(over: Over, measure: Measure, file: &File, len: usize) -> Duration {
    let (tx, rx) = pair(over);
    let raw = tx.as_socket2();
    timed(&rx, len, measure, || {
        let mut sent = 0;
        while sent < len {
            let n = raw.sendfile(file, sent, None).unwrap();
            assert!(n > 0, "file ended early");
            sent += n;
        }
    })
}

pub fn read_sendall(over: Over, measure: Measure, file: &File, len: usize) -> Duration {
    let (tx, rx) = pair(over);
    let mut buf = vec![0u8; COPY_BUFFER];
    timed(&rx, len, measure, || {
        let mut sent = 0;
        while sent < len {
            let n = file.read_at(&mut buf, sent as u64).unwrap();
            assert!(n > 0, "file ended early");
            tx.sendall(&buf[..n]).unwrap();
            sent += n;
        }
    })
}

/// Runs `send` while a thread drains `total` bytes from `rx`; the time from
/// the start of `send` to the last byte received, or the CPU time of the
/// thread that ran `send`.
fn timed(rx: &Socket, total: usize, measure: Measure, send: impl FnOnce()) -> Duration {
    thread::scope(|scope| {
        let reader = scope.spawn(move || crate::bulk::drain(rx, total));
        let start = Instant::now();
        let cpu_start = thread_cpu_time();
        send();
        let cpu = thread_cpu_time() - cpu_start;
        reader.join().unwrap();
        match measure {
            Measure::Wall => start.elapsed(),
            Measure::SenderCpu => cpu,
        }
    })
}

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    // SAFETY: an all-zero timespec is a valid value, which clock_gettime
    // overwrites; the clock id is valid on every Unix this bench runs on.
    let time = unsafe {
        let mut time: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time);
        time
    };
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}
