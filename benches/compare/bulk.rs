//! Bulk transfer: one buffer sent with `sendall` (or `write_all`) in slices
//! of `chunk` bytes, or in one call when `chunk` is the whole buffer; a
//! reader thread drains it with `recv_into` into 64 KiB. Timed from the first
//! send to the last byte received.

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use crate::loopback;

const READ_BUFFER: usize = 64 << 10;

pub fn pysocket(data: &[u8], chunk: usize) -> Duration {
    let (tx, rx) = loopback::pysocket_pair();
    let total = data.len();
    thread::scope(|scope| {
        let reader = scope.spawn(move || drain(&rx, total));
        let start = Instant::now();
        for slice in data.chunks(chunk) {
            tx.sendall(slice).unwrap();
        }
        reader.join().unwrap();
        start.elapsed()
    })
}

/// Receives `total` bytes from `rx` with `recv_into` into 64 KiB, as the
/// bulk and sendfile scenarios' reader does.
pub fn drain(rx: &pysocket::Socket, total: usize) {
    let mut buf = vec![0u8; READ_BUFFER];
    let mut got = 0;
    while got < total {
        let n = rx.recv_into(&mut buf).unwrap();
        assert!(n > 0, "peer closed early");
        got += n;
    }
}

pub fn socket2(data: &[u8], chunk: usize) -> Duration {
    let (tx, rx) = loopback::socket2_pair();
    raw(&tx, &rx, data, chunk)
}

pub fn std(data: &[u8], chunk: usize) -> Duration {
    let (tx, rx) = loopback::std_pair();
    raw(&tx, &rx, data, chunk)
}

fn raw<S: Sync>(mut tx: &S, mut rx: &S, data: &[u8], chunk: usize) -> Duration
where
    for<'a> &'a S: Read + Write,
{
    let total = data.len();
    thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut buf = vec![0u8; READ_BUFFER];
            let mut got = 0;
            while got < total {
                let n = rx.read(&mut buf).unwrap();
                assert!(n > 0, "peer closed early");
                got += n;
            }
        });
        let start = Instant::now();
        for slice in data.chunks(chunk) {
            tx.write_all(slice).unwrap();
        }
        reader.join().unwrap();
        start.elapsed()
    })
}
