//! Signal storms (a signal every millisecond, handler without `SA_RESTART`)
//! during long conversations, in each timeout mode: `recv`/`recv_into`/
//! makefile reading loops, `send` loops and makefile writes, `sendall`'s
//! deadline, timed and non-blocking `connect`, and makefile line reads. No
//! call fails spuriously, no byte is lost, and deadlines hold.
//!
//! `tests/signals.rs` has the cases this file does not repeat: blocking and
//! timed `recv` of one message, blocking and timed `sendall` of 4 MiB,
//! `accept` in every mode, blocking `connect`, and `SIGPIPE` at its default
//! in a child. Signal handlers are process-wide, so these tests have their
//! own binary; each storm targets one thread with `pthread_kill` and stops
//! before that thread ends.
//!
//! A case proves something only if signals did reach its calls, so each
//! counts the signals its threads handled. How many one run catches depends
//! on the machine's load (the storm's thread may wake rarely), so a case runs
//! again, each run checked in full, until its signals add up to
//! [`ENOUGH_SIGNALS`] ([`repeat_until_delivered`]).

mod common;

use std::io::{BufRead, ErrorKind, Read, Write};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::data::{payload, Rng};
use common::{
    assert_connected_after_drain, assert_timed_out, full_backlog, listener, repeat_until_delivered,
    tcp_pair, this_thread, with_watchdog, Deliveries, DrainingBacklog, Mode, SignalStorm, PROMPT,
};
use pysocket::{
    select, Error, Shutdown, Socket, SocketFile, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_ERROR,
    SO_SNDBUF,
};

/// How often a storm signals its thread.
const EVERY: Duration = Duration::from_millis(1);

/// The fewest signals a stormed thread must have handled, over the runs of
/// a case, for the case to mean anything.
const ENOUGH_SIGNALS: usize = 20;

/// The most runs of a case it may take to gather [`ENOUGH_SIGNALS`].
const ATTEMPTS: usize = 10;

/// How long any one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(30);

/// How late a timed-out call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(1500);

/// Every mode; in timeout mode, with a timeout only a hang reaches.
const MODES: [Mode; 3] = [
    Mode::Blocking,
    Mode::Timeout(PROMPT.saturating_mul(2)),
    Mode::NonBlocking,
];

/// Waits for readiness between `WouldBlock`s (`select` retries its own
/// interrupted waits).
fn wait_for(sock: &Socket, write: bool) {
    let (read, written): (&[&Socket], &[&Socket]) = if write {
        (&[], &[sock])
    } else {
        (&[sock], &[])
    };
    select(read, written, &[], Some(Duration::from_millis(100))).expect("select");
}

/// Runs `body` in a thread that is itself under a storm for as long as the
/// body runs; returns the body's result and the signals the thread handled.
fn stormed<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> JoinHandle<(T, usize)> {
    thread::spawn(move || {
        let storm = SignalStorm::start(this_thread(), EVERY);
        let result = body();
        (result, storm.stop_delivered())
    })
}

/// Runs `call` (a call on `sock`) under a storm against this thread, with
/// a watchdog that shuts `sock` down after [`CASE_LIMIT`]: the call's
/// result, how long it took, and the signals this thread handled.
fn stormed_call<T>(sock: &Socket, call: impl FnOnce() -> T) -> (T, Duration, usize) {
    let storm = SignalStorm::start(this_thread(), EVERY);
    let started = Instant::now();
    let result = with_watchdog(sock, CASE_LIMIT, call);
    let elapsed = started.elapsed();
    (result, elapsed, storm.stop_delivered())
}

/// Sends `data` in random chunks, with `send` (or `sendall`, every other
/// chunk, when the socket may wait), waiting for room in non-blocking mode
/// and pausing after each chunk so that the reader waits too. Only `WouldBlock`
/// in non-blocking mode is an expected error.
fn send_in_chunks(sock: &Socket, data: &[u8], seed: u64) -> pysocket::Result<()> {
    let mut rng = Rng::new(seed);
    let mut sent = 0;
    let limit = Instant::now() + CASE_LIMIT;
    while sent < data.len() {
        assert!(Instant::now() < limit, "the sender hung");
        let size = if rng.one_in(8) {
            rng.range(1, 16)
        } else {
            rng.range(1, 16 * 1024)
        };
        let end = (sent + size).min(data.len());
        if sock.getblocking() && rng.one_in(2) {
            sock.sendall(&data[sent..end])?;
            sent = end;
        } else {
            match sock.send(&data[sent..end]) {
                Ok(n) => sent += n,
                Err(err) if !sock.getblocking() && err.is_would_block() => wait_for(sock, true),
                Err(err) => return Err(err),
            }
        }
        thread::sleep(Duration::from_micros(500));
    }
    Ok(())
}

/// How the receiving loop reads.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Recv,
    RecvInto,
    Makefile,
}

/// Reads to the end of the stream; in non-blocking mode `WouldBlock` waits
/// for readiness, and every other error fails the loop.
fn read_to_end(sock: &Socket, reader: Reader, seed: u64) -> std::io::Result<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut file = SocketFile::with_capacity(sock, rng.range(1, 8192), 64);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 70_000];
    let limit = Instant::now() + CASE_LIMIT;
    loop {
        assert!(Instant::now() < limit, "the reader hung");
        let size = rng.chunk();
        let result = match reader {
            Reader::Recv => sock.recv(size).map(|chunk| {
                got.extend_from_slice(&chunk);
                chunk.len()
            }),
            Reader::RecvInto => sock.recv_into(&mut buf[..size]).inspect(|&n| {
                got.extend_from_slice(&buf[..n]);
            }),
            Reader::Makefile => match file.read(&mut buf[..size]) {
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    Ok(n)
                }
                Err(err) => Err(Error::Io(err)),
            },
        };
        match result {
            Ok(0) => return Ok(got),
            Ok(_) => {}
            Err(err) if !sock.getblocking() && err.is_would_block() => wait_for(sock, false),
            Err(err) => return Err(err.into()),
        }
    }
}

/// Long `recv`, `recv_into` and makefile loops under a storm, in every mode,
/// while the sender is under a storm of its own: every byte arrives once, in
/// order, and no call fails but a non-blocking one that would block.
#[test]
fn read_loops_under_a_storm_lose_nothing_in_every_mode() {
    let mut case = 0u64;
    for mode in MODES {
        for reader in [Reader::Recv, Reader::RecvInto, Reader::Makefile] {
            let what = format!("{mode:?} {reader:?}");
            repeat_until_delivered(&what, ENOUGH_SIGNALS, ATTEMPTS, || {
                case += 1;
                let data = Arc::new(payload(2 << 20, case));
                let (client, server) = tcp_pair();
                client.settimeout(mode.timeout()).unwrap();
                server.settimeout(mode.timeout()).unwrap();
                let sender = stormed({
                    let data = Arc::clone(&data);
                    move || {
                        let result = send_in_chunks(&client, &data, case);
                        client.shutdown(Shutdown::Write).unwrap();
                        result
                    }
                });
                let (got, _, received) =
                    stormed_call(&server, || read_to_end(&server, reader, case));
                let (sent, sender_signals) = sender.join().unwrap();
                sent.unwrap_or_else(|err| panic!("{what}: sender: {err}"));
                let got = got.unwrap_or_else(|err| panic!("{what}: reader: {err}"));
                assert_eq!(got.len(), data.len(), "{what}: byte count");
                assert!(got == *data, "{what}: the bytes differ");
                [received, sender_signals]
            });
        }
    }
}

/// A slow reader for `sock`: reads nothing until the writer's thread has
/// handled [`ENOUGH_SIGNALS`] (`writer`) while it waits on a full buffer
/// (where a signal fails a write that copied nothing with `EINTR`), then
/// reads to the end with pauses, so that the writer waits again and again.
fn slow_reader(sock: Socket, writer: Deliveries) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        writer.wait_for(ENOUGH_SIGNALS, PROMPT);
        sock.settimeout(Some(PROMPT)).unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        let limit = Instant::now() + CASE_LIMIT;
        while Instant::now() < limit {
            match sock.recv_into(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(err) => panic!("slow reader: {err}"),
            }
            thread::sleep(Duration::from_micros(500));
        }
        got
    })
}

/// `send` loops and makefile writes into a small, often full send buffer,
/// under a storm, in every mode: every byte arrives once, in order.
/// (`sendall` in blocking and timeout mode: `tests/signals.rs`.)
#[test]
fn writes_under_a_storm_lose_nothing_in_every_mode() {
    let data = Arc::new(payload(2 << 20, 77));
    for mode in MODES {
        for makefile in [false, true] {
            if makefile && mode == Mode::NonBlocking {
                // A makefile's flush is sendall: it needs a socket that may wait.
                continue;
            }
            let what = format!("{mode:?} makefile={makefile}");
            repeat_until_delivered(&what, ENOUGH_SIGNALS, ATTEMPTS, || {
                let (client, server) = tcp_pair();
                client.setsockopt(SOL_SOCKET, SO_SNDBUF, 16 * 1024).unwrap();
                client.settimeout(mode.timeout()).unwrap();
                let storm = SignalStorm::start(this_thread(), EVERY);
                let reader = slow_reader(server, storm.deliveries());
                let result = with_watchdog(&client, CASE_LIMIT, || -> std::io::Result<()> {
                    if makefile {
                        let mut rng = Rng::new(5);
                        let mut file = SocketFile::with_capacity(&client, 64, 8192);
                        let mut at = 0;
                        while at < data.len() {
                            let end = (at + rng.chunk()).min(data.len());
                            file.write_all(&data[at..end])?;
                            at = end;
                        }
                        file.flush()
                    } else {
                        Ok(send_in_chunks(&client, &data, 6)?)
                    }
                });
                let signals = storm.stop_delivered();
                result.unwrap_or_else(|err| panic!("{what}: {err}"));
                client.shutdown(Shutdown::Write).unwrap();
                let got = reader.join().unwrap();
                assert_eq!(got.len(), data.len(), "{what}: byte count");
                assert!(got == *data, "{what}: the bytes differ");
                [signals]
            });
        }
    }
}

/// Timed `sendall` to a peer that never reads, under a storm: it times out at
/// its one deadline, which the signals do not extend.
#[test]
fn sendall_keeps_its_deadline_under_a_storm() {
    let data = vec![7u8; 64 << 20];
    repeat_until_delivered("sendall", ENOUGH_SIGNALS, ATTEMPTS, || {
        let (client, _server) = tcp_pair();
        client.setsockopt(SOL_SOCKET, SO_SNDBUF, 16 * 1024).unwrap();
        let timeout = Duration::from_millis(500);
        client.settimeout(Some(timeout)).unwrap();
        let (result, elapsed, signals) = stormed_call(&client, || client.sendall(&data));
        assert_timed_out("sendall", &result, timeout, elapsed, SLACK);
        [signals]
    });
}

/// A timed `connect` whose `SYN` is dropped by a full backlog, under a storm:
/// it completes once the backlog drains, within its timeout.
#[test]
fn timed_connect_completes_under_a_storm() {
    repeat_until_delivered("timed connect", ENOUGH_SIGNALS, ATTEMPTS, || {
        let backlog = DrainingBacklog::start();
        let addr = backlog.addr.clone();
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.settimeout(Some(PROMPT * 2)).unwrap();
        let (result, elapsed, signals) = stormed_call(&client, || client.connect(&addr));
        let accepted = backlog.stop();
        result.unwrap_or_else(|err| panic!("timed connect under a storm: {err}"));
        assert_connected_after_drain(&client, &addr, &accepted, elapsed);
        [signals]
    });
}

/// A timed `connect` to a backlog that stays full, under a storm: it times
/// out at its deadline, which the signals do not extend.
#[test]
fn timed_connect_keeps_its_deadline_under_a_storm() {
    let (_server, addr, _held) = full_backlog();
    repeat_until_delivered("connect", ENOUGH_SIGNALS, ATTEMPTS, || {
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        let timeout = Duration::from_millis(600);
        client.settimeout(Some(timeout)).unwrap();
        let (result, elapsed, signals) = stormed_call(&client, || client.connect(&addr));
        assert_timed_out("connect", &result, timeout, elapsed, SLACK);
        [signals]
    });
}

/// A non-blocking `connect` under a storm: it reports `EINPROGRESS`, the
/// connection completes in the background once the backlog drains, and
/// `select` (interrupted again and again) sees it writable with no error.
#[test]
fn nonblocking_connect_completes_under_a_storm() {
    repeat_until_delivered("non-blocking connect", ENOUGH_SIGNALS, ATTEMPTS, || {
        let backlog = DrainingBacklog::start();
        let addr = backlog.addr.clone();
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.setblocking(false).unwrap();
        let storm = SignalStorm::start(this_thread(), EVERY);
        let started = Instant::now();
        let first = client.connect(&addr);
        assert!(
            first.as_ref().is_err_and(Error::is_would_block),
            "non-blocking connect: {first:?}"
        );
        let mut writable = false;
        while !writable && started.elapsed() < CASE_LIMIT {
            let (_, w, _) = select(
                &[&client],
                &[&client],
                &[],
                Some(Duration::from_millis(100)),
            )
            .expect("select under a storm");
            writable = !w.is_empty();
        }
        let elapsed = started.elapsed();
        let signals = storm.stop_delivered();
        let accepted = backlog.stop();
        assert!(writable, "the connection never completed");
        assert_eq!(client.getsockopt(SOL_SOCKET, SO_ERROR).unwrap(), 0);
        assert_connected_after_drain(&client, &addr, &accepted, elapsed);
        [signals]
    });
}

/// Makefile line and record reads under a storm, in every mode, while the
/// lines trickle in: every line arrives once, whole, in order.
#[test]
fn makefile_reads_under_a_storm_lose_nothing_in_every_mode() {
    let lines: Vec<String> = (0..3000)
        .map(|i| format!("line {i:06} {}\n", "y".repeat(i % 97)))
        .collect();
    let text = Arc::new(lines.concat());
    for mode in MODES {
        for by_line in [true, false] {
            let what = format!("{mode:?} by_line={by_line}");
            repeat_until_delivered(&what, ENOUGH_SIGNALS, ATTEMPTS, || {
                let (client, server) = tcp_pair();
                server.settimeout(mode.timeout()).unwrap();
                let sender = thread::spawn({
                    let text = Arc::clone(&text);
                    move || {
                        let mut rng = Rng::new(3);
                        let bytes = text.as_bytes();
                        let mut at = 0;
                        while at < bytes.len() {
                            let end = (at + rng.range(1, 3000)).min(bytes.len());
                            client.sendall(&bytes[at..end]).unwrap();
                            at = end;
                            thread::sleep(Duration::from_micros(200));
                        }
                        client.shutdown(Shutdown::Write).unwrap();
                    }
                });
                let (got, _, signals) = stormed_call(&server, || {
                    let mut file = SocketFile::with_capacity(&server, 256, 64);
                    let mut got = String::new();
                    let limit = Instant::now() + CASE_LIMIT;
                    while Instant::now() < limit {
                        let result = if by_line || mode == Mode::NonBlocking {
                            let mut line = String::new();
                            file.read_line(&mut line).inspect(|_| got.push_str(&line))
                        } else {
                            // Blocking and timeout mode: fixed-size records.
                            let mut record = [0u8; 50];
                            match file.read_exact(&mut record) {
                                Ok(()) => {
                                    got.push_str(std::str::from_utf8(&record).unwrap());
                                    Ok(record.len())
                                }
                                Err(err) if err.kind() == ErrorKind::UnexpectedEof => {
                                    let mut rest = Vec::new();
                                    file.read_to_end(&mut rest).map(|_| 0)
                                }
                                Err(err) => Err(err),
                            }
                        };
                        match result {
                            Ok(0) => return Ok(got),
                            Ok(_) => {}
                            Err(err)
                                if mode == Mode::NonBlocking
                                    && err.kind() == ErrorKind::WouldBlock =>
                            {
                                wait_for(&server, false)
                            }
                            Err(err) => return Err(err),
                        }
                    }
                    panic!("the line reader hung");
                });
                sender.join().unwrap();
                let got = got.unwrap_or_else(|err| panic!("{what}: {err}"));
                let expected = if by_line || mode == Mode::NonBlocking {
                    text.as_str()
                } else {
                    &text[..text.len() / 50 * 50]
                };
                assert_eq!(got.len(), expected.len(), "{what}");
                assert!(got == expected, "{what}: the text differs");
                [signals]
            });
        }
    }
}

/// Blocking `accept` and `recv` loops of a small server under a storm, while
/// clients come one after another: every connection is served.
#[test]
fn a_server_loop_under_a_storm_serves_every_client() {
    repeat_until_delivered("server loop", ENOUGH_SIGNALS, ATTEMPTS, || {
        let (server, addr) = listener(AF_INET);
        let clients = thread::spawn(move || {
            for i in 0..30u32 {
                let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
                client.settimeout(Some(PROMPT)).unwrap();
                client.connect(&addr).unwrap();
                let request = payload(20_000 + i as usize, u64::from(i));
                client.sendall(&request).unwrap();
                client.shutdown(Shutdown::Write).unwrap();
                let mut echo = Vec::new();
                loop {
                    let chunk = client.recv(65536).unwrap();
                    if chunk.is_empty() {
                        break;
                    }
                    echo.extend(chunk);
                }
                assert!(echo == request, "client {i}: the echo differs");
                thread::sleep(Duration::from_millis(5));
            }
        });
        let (served, _, signals) = stormed_call(&server, || {
            let mut served = 0;
            while served < 30 {
                let (conn, _) = server.accept().expect("accept under a storm");
                let mut file = conn.makefile();
                let mut request = Vec::new();
                file.read_to_end(&mut request).expect("read under a storm");
                drop(file);
                conn.sendall(&request).expect("sendall under a storm");
                served += 1;
            }
            served
        });
        clients.join().unwrap();
        assert_eq!(served, 30);
        [signals]
    });
}
