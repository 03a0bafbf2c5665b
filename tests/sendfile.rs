//! `Socket::sendfile` over real sockets: files that arrive byte-exact over
//! TCP and AF_UNIX in every mode, offsets and counts, the file's position,
//! the `send` fallback from a pipe, the arguments Python refuses, one
//! deadline for the whole call against a reader that reads nothing or
//! trickles, signals, and no `SIGPIPE` from a peer that has gone.

mod common;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::data::payload;
use common::{
    assert_child_passes, assert_timed_out, assert_timeout_descriptor, fd_nonblocking, tcp_pair,
    this_thread, with_watchdog, SignalStorm, PROMPT,
};
use pysocket::{socketpair, socketpair_with, Error, Shutdown, Socket, AF_UNIX, SOCK_DGRAM};

/// A file large enough to take many sends: a few MiB.
const LARGE: usize = 3 << 20;

/// An unnamed temporary file holding `data`, open for reading and writing,
/// its position at the start.
fn file_of(data: &[u8]) -> File {
    let mut file = tempfile::tempfile().expect("temp file");
    file.write_all(data).expect("write temp file");
    file.rewind().expect("rewind");
    file
}

/// A connected TCP pair on loopback, then an AF_UNIX stream pair.
fn stream_pairs() -> [(&'static str, Socket, Socket); 2] {
    let (tcp_a, tcp_b) = tcp_pair();
    let (unix_a, unix_b) = socketpair().expect("socketpair");
    [("tcp", tcp_a, tcp_b), ("unix", unix_a, unix_b)]
}

/// Reads `conn` to its end (the peer shuts down writing), within `PROMPT`.
fn read_to_end(conn: &Socket) -> Vec<u8> {
    conn.settimeout(Some(PROMPT)).expect("settimeout");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = conn.recv_into(&mut buf).expect("recv_into");
        if n == 0 {
            return got;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// Runs `send` on `tx` while a thread reads `rx` to its end; `tx` is shut
/// down for writing after `send`. Returns what `send` returned and what
/// arrived.
fn send_and_receive<T>(tx: &Socket, rx: &Socket, send: impl FnOnce() -> T) -> (T, Vec<u8>) {
    thread::scope(|scope| {
        let reader = scope.spawn(|| read_to_end(rx));
        let result = with_watchdog(tx, PROMPT, send);
        tx.shutdown(Shutdown::Write).expect("shutdown");
        (result, reader.join().expect("reader"))
    })
}

/// A pipe as two files: (read end, write end).
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    // SAFETY: pipe(2) just returned both descriptors, owned by nothing else.
    unsafe {
        (
            File::from(OwnedFd::from_raw_fd(fds[0])),
            File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

#[test]
fn a_large_file_arrives_byte_exact_in_every_mode() {
    let data = payload(LARGE, 14);
    for timeout in [None, Some(Duration::from_secs(5))] {
        for (transport, tx, rx) in stream_pairs() {
            let what = format!("{transport}, timeout {timeout:?}");
            tx.settimeout(timeout).unwrap();
            let file = file_of(&data);
            let (sent, got) = send_and_receive(&tx, &rx, || tx.sendfile(&file, 0, None));
            assert_eq!(sent.unwrap_or_else(|e| panic!("{what}: {e}")), LARGE as u64);
            assert!(
                got == data,
                "{what}: {} bytes arrived, not the file",
                got.len()
            );
            let mut file = file;
            assert_eq!(file.stream_position().unwrap(), LARGE as u64, "{what}");
            // A timed call leaves the descriptor in the mode it found it in.
            match timeout {
                Some(timeout) => assert_timeout_descriptor(&tx, timeout),
                None => assert!(!fd_nonblocking(&tx), "{what}: O_NONBLOCK left set"),
            }
        }
    }
}

#[test]
fn a_short_timeout_sends_a_file_that_fits_the_buffers() {
    // Under 50 ms the descriptor is O_NONBLOCK already (the poll fallback):
    // the call finds it so, and leaves it so.
    let timeout = Duration::from_millis(30);
    let data = payload(8 << 10, 6);
    for (transport, tx, rx) in stream_pairs() {
        tx.settimeout(Some(timeout)).unwrap();
        let file = file_of(&data);
        let (sent, got) = send_and_receive(&tx, &rx, || tx.sendfile(&file, 0, None));
        assert_eq!(sent.unwrap(), data.len() as u64, "{transport}");
        assert!(got == data, "{transport}: wrong bytes");
        assert_timeout_descriptor(&tx, timeout);
    }
}

#[test]
fn offset_and_count_choose_the_bytes() {
    let data = payload(100_000, 3);
    let len = data.len() as u64;
    let cases: [(u64, Option<u64>, std::ops::Range<usize>); 6] = [
        (0, Some(10), 0..10),
        (1_000, Some(50_000), 1_000..51_000),
        (99_990, None, 99_990..100_000),
        (99_990, Some(1_000), 99_990..100_000),
        (0, Some(len * 2), 0..100_000),
        (12_345, None, 12_345..100_000),
    ];
    for (offset, count, expected) in cases {
        let (tx, rx) = socketpair().unwrap();
        let file = file_of(&data);
        let (sent, got) = send_and_receive(&tx, &rx, || tx.sendfile(&file, offset, count));
        let what = format!("offset {offset}, count {count:?}");
        assert_eq!(sent.unwrap(), expected.len() as u64, "{what}");
        assert!(got == data[expected.clone()], "{what}: wrong bytes");
        let mut file = file;
        assert_eq!(
            file.stream_position().unwrap(),
            expected.end as u64,
            "{what}: the position is after the last byte sent"
        );
    }
}

#[test]
fn an_offset_at_or_past_the_end_sends_nothing() {
    let data = payload(4_096, 5);
    let (tx, rx) = socketpair().unwrap();
    let mut file = file_of(&data);
    file.seek(SeekFrom::Start(7)).unwrap();
    for offset in [4_096, 4_097, 1 << 40, i64::MAX as u64, u64::MAX] {
        for count in [None, Some(1), Some(u64::MAX)] {
            assert_eq!(
                tx.sendfile(&file, offset, count).unwrap(),
                0,
                "offset {offset}, count {count:?}"
            );
        }
        assert_eq!(
            file.stream_position().unwrap(),
            7,
            "nothing sent: the position is left alone"
        );
    }
    // An empty file too.
    let empty = file_of(b"");
    assert_eq!(tx.sendfile(&empty, 0, None).unwrap(), 0);
    rx.setblocking(false).unwrap();
    assert!(rx.recv(16).unwrap_err().is_would_block(), "nothing arrived");
}

#[test]
fn the_position_is_neither_used_nor_moved_during_the_call() {
    let data = payload(50_000, 8);
    let (tx, rx) = socketpair().unwrap();
    let mut file = file_of(&data);
    file.seek(SeekFrom::Start(40_000)).unwrap();
    // From the offset, not the position; the position ends after the last byte sent.
    let (sent, got) = send_and_receive(&tx, &rx, || tx.sendfile(&file, 100, Some(20_000)));
    assert_eq!(sent.unwrap(), 20_000);
    assert!(got == data[100..20_100]);
    assert_eq!(file.stream_position().unwrap(), 20_100);
}

#[test]
fn a_pipe_takes_the_send_fallback() {
    let data = payload(LARGE, 21);
    for (count, expected) in [(None, LARGE), (Some(100_001), 100_001)] {
        for timeout in [None, Some(Duration::from_secs(5))] {
            let (tx, rx) = socketpair().unwrap();
            tx.settimeout(timeout).unwrap();
            let (source, mut sink) = pipe();
            let what = format!("count {count:?}, timeout {timeout:?}");
            let data = &data;
            let (sent, got) = thread::scope(|scope| {
                // The writer ends with EPIPE once the count is sent and the
                // read end closed.
                scope.spawn(move || {
                    let _ = sink.write_all(data);
                });
                let outcome = send_and_receive(&tx, &rx, || tx.sendfile(&source, 0, count));
                drop(source);
                outcome
            });
            assert_eq!(
                sent.unwrap_or_else(|e| panic!("{what}: {e}")),
                expected as u64
            );
            assert!(got == data[..expected], "{what}: wrong bytes");
        }
    }
}

#[test]
fn a_pipe_takes_no_offset() {
    let (tx, _rx) = socketpair().unwrap();
    let (source, mut sink) = pipe();
    sink.write_all(b"some bytes").unwrap();
    let err = tx.sendfile(&source, 3, None).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("cannot seek"), "{err}");
}

#[test]
fn datagram_sockets_are_refused() {
    let file = file_of(b"data");
    let udp = Socket::new(pysocket::AF_INET, SOCK_DGRAM).unwrap();
    let (unix, _peer) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    for sock in [udp, unix] {
        let err = sock.sendfile(&file, 0, None).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("SOCK_STREAM"), "{err}");
    }
}

#[test]
fn a_write_only_file_is_refused_and_nothing_is_sent() {
    let dir = common::temp_dir();
    let path = dir.path().join("write-only");
    std::fs::write(&path, b"not for reading").unwrap();
    let file = File::options().write(true).open(&path).unwrap();
    let (tx, rx) = socketpair().unwrap();
    for timeout in [None, Some(Duration::from_secs(1))] {
        tx.settimeout(timeout).unwrap();
        let err = tx.sendfile(&file, 0, None).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("open for writing only"), "{err}");
    }
    rx.setblocking(false).unwrap();
    assert!(rx.recv(16).unwrap_err().is_would_block(), "nothing arrived");
}

#[test]
fn a_directory_is_an_error_that_says_so() {
    let dir = common::temp_dir();
    let file = File::open(dir.path()).unwrap();
    let (tx, _rx) = socketpair().unwrap();
    let err = tx.sendfile(&file, 0, None).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EISDIR), "{err:?}");
}

#[test]
fn count_zero_and_non_blocking_sockets_are_refused() {
    let file = file_of(b"data");
    let (tx, _rx) = socketpair().unwrap();
    let err = tx.sendfile(&file, 0, Some(0)).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("positive"), "{err}");

    tx.setblocking(false).unwrap();
    let err = tx.sendfile(&file, 0, None).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("non-blocking"), "{err}");
}

/// A file larger than what the pair's buffers hold, so that a reader that
/// reads nothing stalls the sender: sparse, so it costs no disk.
fn stalling_file() -> File {
    let file = tempfile::tempfile().unwrap();
    file.set_len(64 << 20).unwrap();
    file
}

/// A pair with small buffers, so that little data fills them.
fn small_buffers(tx: &Socket, rx: &Socket) {
    tx.as_socket2().set_send_buffer_size(64 << 10).unwrap();
    rx.as_socket2().set_recv_buffer_size(64 << 10).unwrap();
}

#[test]
fn a_reader_that_reads_nothing_times_out_at_the_deadline() {
    // 300 ms gets a kernel backstop on Linux, 30 ms the poll fallback.
    for timeout in [Duration::from_millis(300), Duration::from_millis(30)] {
        for (transport, tx, rx) in stream_pairs() {
            let what = format!("{transport}, timeout {timeout:?}");
            small_buffers(&tx, &rx);
            tx.settimeout(Some(timeout)).unwrap();
            let mut file = stalling_file();
            let started = Instant::now();
            let result = with_watchdog(&tx, PROMPT, || tx.sendfile(&file, 0, None));
            let elapsed = started.elapsed();
            assert_timed_out(&what, &result, timeout, elapsed, Duration::from_secs(2));
            // The position tells what went out, and that is what arrives.
            let sent = file.stream_position().unwrap();
            assert!(sent > 0 && sent < 64 << 20, "{what}: position {sent}");
            assert_timeout_descriptor(&tx, timeout);
            tx.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&rx).len() as u64, sent, "{what}");
        }
    }
}

#[test]
fn a_trickling_reader_gets_one_deadline_for_the_whole_call() {
    // Each wait is short, as the reader takes a little every few
    // milliseconds: only one deadline for the whole call ends it on time.
    let timeout = Duration::from_millis(400);
    for (transport, tx, rx) in stream_pairs() {
        small_buffers(&tx, &rx);
        tx.settimeout(Some(timeout)).unwrap();
        let mut file = stalling_file();
        let done = AtomicBool::new(false);
        let (result, elapsed, trickled) = thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut buf = vec![0u8; 16 << 10];
                let mut got = 0u64;
                rx.settimeout(Some(Duration::from_millis(20))).unwrap();
                while !done.load(Ordering::Relaxed) {
                    match rx.recv_into(&mut buf) {
                        Ok(n) => got += n as u64,
                        Err(Error::Timeout) => {}
                        Err(err) => panic!("trickling reader: {err}"),
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                got
            });
            let started = Instant::now();
            let result = with_watchdog(&tx, PROMPT, || tx.sendfile(&file, 0, None));
            let elapsed = started.elapsed();
            done.store(true, Ordering::Relaxed);
            (result, elapsed, reader.join().unwrap())
        });
        let what = format!("{transport}: trickling reader");
        assert_timed_out(&what, &result, timeout, elapsed, Duration::from_secs(2));
        let sent = file.stream_position().unwrap();
        assert!(
            trickled > 0 && sent >= trickled,
            "{what}: sent {sent}, read {trickled}"
        );
    }
}

/// The fewest signals a blocked `sendfile` must have handled for
/// [`signals_do_not_end_a_blocking_sendfile`] to mean anything. Counted,
/// never inferred from the storm's rate: on a loaded machine the storm's
/// thread wakes rarely.
const ENOUGH_SIGNALS: usize = 20;

#[test]
fn signals_do_not_end_a_blocking_sendfile() {
    let data = payload(LARGE, 77);
    let (tx, rx) = tcp_pair();
    small_buffers(&tx, &rx);
    let file = file_of(&data);
    let storm = SignalStorm::start(this_thread(), Duration::from_millis(1));
    let deliveries = storm.deliveries();
    let (sent, handled, got) = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            // Reads nothing until the sender, blocked on full buffers, has
            // handled enough signals (or the wait has run out: the count
            // below then fails).
            thread::sleep(Duration::from_millis(100));
            deliveries.wait_for(ENOUGH_SIGNALS, PROMPT);
            read_to_end(&rx)
        });
        let sent = with_watchdog(&tx, PROMPT * 2, || tx.sendfile(&file, 0, None));
        let handled = storm.stop_delivered();
        tx.shutdown(Shutdown::Write).unwrap();
        (sent, handled, reader.join().unwrap())
    });
    assert_eq!(sent.unwrap(), LARGE as u64);
    assert!(got == data, "wrong bytes under signals");
    assert!(handled >= ENOUGH_SIGNALS, "only {handled} signals handled");
}

/// Whether `SIGPIPE` is blocked in this thread, and whether one is pending.
fn sigpipe_state() -> (bool, bool) {
    // SAFETY: both sets are initialised by the calls that fill them; a null
    // new mask makes pthread_sigmask only read the current one.
    unsafe {
        let mut mask: libc::sigset_t = std::mem::zeroed();
        let mut pending: libc::sigset_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut mask),
            0
        );
        assert_eq!(libc::sigpending(&mut pending), 0);
        (
            libc::sigismember(&mask, libc::SIGPIPE) == 1,
            libc::sigismember(&pending, libc::SIGPIPE) == 1,
        )
    }
}

/// Calls `sendfile` on `tx`, whose peer has gone, until it fails (TCP may
/// take a call or two to learn of the close); returns the error.
fn sendfile_until_error(tx: &Socket, file: &File) -> Error {
    for _ in 0..200 {
        match tx.sendfile(file, 0, None) {
            Ok(_) => thread::sleep(Duration::from_millis(5)),
            Err(err) => return err,
        }
    }
    panic!("sendfile to a closed peer kept succeeding");
}

#[test]
fn a_peer_that_has_gone_is_an_error_never_sigpipe() {
    const TEST: &str = "a_peer_that_has_gone_is_an_error_never_sigpipe";
    const MARK: &str = "sendfile sigpipe child: every call returned an error";
    if !common::is_child(TEST) {
        assert_child_passes(TEST, MARK);
        return;
    }
    // SAFETY: restoring the default disposition is always valid; this child
    // process runs this one test only.
    assert_ne!(
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) },
        libc::SIG_ERR
    );
    let file = file_of(&payload(1 << 20, 9));
    for timeout in [None, Some(PROMPT)] {
        for (transport, tx, rx) in stream_pairs() {
            tx.settimeout(timeout).unwrap();
            drop(rx);
            let err = sendfile_until_error(&tx, &file);
            let what = format!("{transport}, timeout {timeout:?}");
            assert!(
                matches!(
                    err.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{what}: {err:?}"
            );
            assert_eq!(sigpipe_state(), (false, false), "{what}: mask or pending");
        }
    }
    println!("{MARK}");
}

#[test]
fn a_sigpipe_pending_before_the_call_is_left_alone() {
    // In a thread of its own, whose mask is its own.
    thread::spawn(|| {
        let file = file_of(&payload(1 << 16, 4));
        // SAFETY: an all-zero sigset_t is a valid value, emptied then filled
        // here; blocking SIGPIPE in this thread and raising one at it affect
        // this thread only.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGPIPE);
            assert_eq!(
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()),
                0
            );
            assert_eq!(libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE), 0);
            set
        };
        assert_eq!(sigpipe_state(), (true, true));
        let (tx, rx) = tcp_pair();
        drop(rx);
        sendfile_until_error(&tx, &file);
        assert_eq!(
            sigpipe_state(),
            (true, true),
            "the user's SIGPIPE was taken"
        );
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `set` and `zero` are valid for the call; no siginfo is asked for.
        let taken = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        assert_eq!(taken, libc::SIGPIPE);
        assert_eq!(sigpipe_state(), (true, false));
    })
    .join()
    .unwrap();
}

#[test]
fn reading_the_file_again_after_the_call_goes_on_from_the_position() {
    // CPython's contract: after sendfile, file.read() continues after the bytes sent.
    let data = payload(10_000, 31);
    let (tx, rx) = socketpair().unwrap();
    let mut file = file_of(&data);
    let (sent, got) = send_and_receive(&tx, &rx, || tx.sendfile(&file, 2_000, Some(3_000)));
    assert_eq!(sent.unwrap(), 3_000);
    assert!(got == data[2_000..5_000]);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).unwrap();
    assert!(rest == data[5_000..]);
}
