//! A page-cached file sent over TCP loopback: with `Socket::sendfile`, with
//! socket2's one-call `sendfile` in a loop (the zero-copy floor), and with
//! what `sendfile` replaces, the file read into a buffer and sent with
//! `sendall`. All three send on the same kind of pysocket pair (socket2's
//! call on its `as_socket2()`), and a reader thread drains it with
//! `recv_into` into 64 KiB. Timed from the first call to the last byte
//! received.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::thread;
use std::time::{Duration, Instant};

use pysocket::Socket;

use crate::loopback;

const READ_BUFFER: usize = 64 << 10;
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

pub fn pysocket(file: &File, len: usize) -> Duration {
    let (tx, rx) = loopback::pysocket_pair();
    timed(&rx, len, || {
        let sent = tx.sendfile(file, 0, None).unwrap();
        assert_eq!(sent, len as u64);
    })
}

pub fn socket2(file: &File, len: usize) -> Duration {
    let (tx, rx) = loopback::pysocket_pair();
    let raw = tx.as_socket2();
    timed(&rx, len, || {
        let mut sent = 0;
        while sent < len {
            let n = raw.sendfile(file, sent, None).unwrap();
            assert!(n > 0, "file ended early");
            sent += n;
        }
    })
}

pub fn read_sendall(file: &File, len: usize) -> Duration {
    let (tx, rx) = loopback::pysocket_pair();
    let mut buf = vec![0u8; COPY_BUFFER];
    timed(&rx, len, || {
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
/// the start of `send` to the last byte received.
fn timed(rx: &Socket, total: usize, send: impl FnOnce()) -> Duration {
    thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut buf = vec![0u8; READ_BUFFER];
            let mut got = 0;
            while got < total {
                let n = rx.recv_into(&mut buf).unwrap();
                assert!(n > 0, "peer closed early");
                got += n;
            }
        });
        let start = Instant::now();
        send();
        reader.join().unwrap();
        start.elapsed()
    })
}
