//! makefile: a stream of short lines read one `read_line` at a time into a
//! reused `String`. A sender thread writes all the lines and closes; the
//! reader is timed from its first line to the end of the stream.

use std::io::{BufRead, BufReader, Write};
use std::thread;
use std::time::{Duration, Instant};

use crate::loopback;

/// `count` lines of 40 bytes each, newline included.
pub fn lines(count: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(count * 40);
    for i in 0..count {
        writeln!(text, "{i:08} the quick brown fox jumps over it").unwrap();
    }
    text
}

pub fn pysocket(text: &[u8], count: usize) -> Duration {
    let (tx, rx) = loopback::pysocket_pair();
    thread::scope(|scope| {
        scope.spawn(move || {
            tx.sendall(text).unwrap();
            tx.close().unwrap();
        });
        let mut file = rx.makefile();
        read_lines(&mut file, count)
    })
}

pub fn socket2(text: &[u8], count: usize) -> Duration {
    let (tx, rx) = loopback::socket2_pair();
    thread::scope(|scope| {
        scope.spawn(move || (&tx).write_all(text).unwrap());
        let mut file = BufReader::with_capacity(64 << 10, &rx);
        read_lines(&mut file, count)
    })
}

pub fn std(text: &[u8], count: usize) -> Duration {
    let (mut tx, rx) = loopback::std_pair();
    thread::scope(|scope| {
        scope.spawn(move || tx.write_all(text).unwrap());
        let mut file = BufReader::new(rx);
        read_lines(&mut file, count)
    })
}

/// Reads to the end of the stream, checks the line count, returns the time.
fn read_lines(file: &mut impl BufRead, count: usize) -> Duration {
    let mut line = String::new();
    let mut seen = 0;
    let start = Instant::now();
    loop {
        line.clear();
        if file.read_line(&mut line).unwrap() == 0 {
            break;
        }
        seen += 1;
    }
    let elapsed = start.elapsed();
    assert_eq!(seen, count, "lines lost");
    elapsed
}
