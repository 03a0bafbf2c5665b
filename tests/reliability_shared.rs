//! One socket shared between threads: one sending, one receiving, one
//! changing the timeout all at once, with every byte checked; and shutdown
//! from another thread, which wakes every call blocked on the socket
//! (`recv`, `recv_into`, makefile reads, `accept`, `recvfrom`, `sendall`).

mod common;

use std::io::{BufRead, ErrorKind, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::data::{payload, Rng};
use common::{listener, tcp_pair, udp_socket, PROMPT};
use pysocket::{select, Error, Shutdown, Socket, SocketFile, AF_INET, SOL_SOCKET, SO_SNDBUF};

/// How long any one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(30);

/// A timeout no call of these tests should reach: a call that returns long
/// before it was woken, not timed out.
const LONG: Duration = Duration::from_secs(60);

/// Waits for readiness between `WouldBlock`s.
fn wait_for(sock: &Socket, write: bool) {
    let (read, written): (&[&Socket], &[&Socket]) = if write {
        (&[], &[sock])
    } else {
        (&[sock], &[])
    };
    select(read, written, &[], Some(Duration::from_millis(50))).expect("select");
}

/// Whether an error only says "not now" in the mode the call started in:
/// `WouldBlock` (non-blocking mode) or a timeout (timeout mode).
fn not_now(err: &Error) -> bool {
    err.is_would_block() || err.is_timeout()
}

/// Changes `sock`'s timeout among `choices`, at random, until `stop`; also
/// reads its state the way a monitoring thread would. Returns how many
/// changes it made.
fn retimer(
    sock: Arc<Socket>,
    choices: Vec<Option<Duration>>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<usize> {
    thread::spawn(move || {
        let mut rng = Rng::new(99);
        let mut changes = 0;
        let limit = Instant::now() + CASE_LIMIT;
        while !stop.load(Ordering::Relaxed) && Instant::now() < limit {
            let timeout = choices[rng.range(0, choices.len() - 1)];
            sock.settimeout(timeout)
                .expect("settimeout from another thread");
            changes += 1;
            let _ = (sock.gettimeout(), sock.getblocking(), sock.to_string());
            thread::sleep(Duration::from_micros(200));
        }
        changes
    })
}

/// Sends `data` on `sock` with `send`, whatever mode another thread puts it
/// in: `WouldBlock` and timeouts are retried, and `send`'s count says
/// exactly what went out.
fn send_through_mode_changes(sock: &Socket, data: &[u8]) -> pysocket::Result<()> {
    let mut rng = Rng::new(1);
    let mut sent = 0;
    let limit = Instant::now() + CASE_LIMIT;
    while sent < data.len() {
        assert!(Instant::now() < limit, "the sender hung");
        let end = (sent + rng.chunk()).min(data.len());
        match sock.send(&data[sent..end]) {
            Ok(n) => sent += n,
            Err(err) if not_now(&err) => wait_for(sock, true),
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Receives to the end of the stream on `sock` with `recv_into`, whatever
/// mode another thread puts it in.
fn recv_through_mode_changes(sock: &Socket) -> pysocket::Result<Vec<u8>> {
    let mut rng = Rng::new(2);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 70_000];
    let limit = Instant::now() + CASE_LIMIT;
    loop {
        assert!(Instant::now() < limit, "the receiver hung");
        let size = rng.chunk();
        match sock.recv_into(&mut buf[..size]) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) if not_now(&err) => wait_for(sock, false),
            Err(err) => return Err(err),
        }
    }
}

/// The peer of a shared socket: sends `data` then half-closes, and reads
/// everything sent to it; both in threads of their own, in blocking mode,
/// pausing after each 16 KiB so that the shared socket's calls wait often.
fn peer(sock: Socket, data: Arc<Vec<u8>>) -> (JoinHandle<()>, JoinHandle<Vec<u8>>) {
    const PIECE: usize = 16 * 1024;
    // Blocking in all but name: the timeout only bounds a test that went wrong.
    sock.settimeout(Some(CASE_LIMIT)).expect("settimeout");
    let sock = Arc::new(sock);
    let sender = {
        let sock = Arc::clone(&sock);
        thread::spawn(move || {
            for piece in data.chunks(PIECE) {
                sock.sendall(piece).expect("peer sendall");
                thread::sleep(Duration::from_millis(1));
            }
            sock.shutdown(Shutdown::Write).expect("peer shutdown");
        })
    };
    let receiver = thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            let chunk = sock.recv(PIECE).expect("peer recv");
            if chunk.is_empty() {
                return got;
            }
            got.extend(chunk);
            thread::sleep(Duration::from_millis(1));
        }
    });
    (sender, receiver)
}

/// One socket, three threads: one sends 4 MiB with `send`, one receives 4
/// MiB with `recv_into`, one switches the timeout among every mode as fast
/// as it can. Every byte arrives once, in order, both ways; the only errors
/// are the ones the mode of the moment calls for (`WouldBlock`, a timeout).
#[test]
fn one_socket_sending_receiving_and_retimed_at_once() {
    let (shared, other) = tcp_pair();
    let shared = Arc::new(shared);
    let up = Arc::new(payload(4 << 20, 1));
    let down = Arc::new(payload(4 << 20, 2));
    let (peer_sender, peer_receiver) = peer(other, Arc::clone(&down));
    let stop = Arc::new(AtomicBool::new(false));
    let retimer = retimer(
        Arc::clone(&shared),
        vec![
            None,
            Some(Duration::ZERO),
            Some(Duration::from_millis(1)),
            Some(LONG),
        ],
        Arc::clone(&stop),
    );
    let sender = {
        let (shared, up) = (Arc::clone(&shared), Arc::clone(&up));
        thread::spawn(move || {
            let result = send_through_mode_changes(&shared, &up);
            shared.shutdown(Shutdown::Write).expect("shutdown");
            result
        })
    };
    let received = recv_through_mode_changes(&shared);
    let sent = sender.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    let changes = retimer.join().unwrap();
    peer_sender.join().unwrap();
    let peer_got = peer_receiver.join().unwrap();
    sent.expect("send");
    let received = received.expect("recv_into");
    assert!(received == *down, "the bytes received differ");
    assert!(peer_got == *up, "the bytes sent differ");
    assert!(changes >= 20, "only {changes} timeout changes");
}

/// How the receiving thread of the waiting-modes test reads.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Recv,
    RecvInto,
    Makefile,
}

/// One socket whose timeout another thread keeps switching between blocking
/// and timeout mode, the two modes in which calls wait: `sendall`, `recv`,
/// `recv_into` and makefile reads on it never fail, and every byte arrives
/// once, in order, both ways. (A call started in blocking mode must wait even
/// if the descriptor is made non-blocking under it.)
#[test]
fn calls_that_may_wait_never_fail_while_retimed() {
    for reader in [Reader::Recv, Reader::RecvInto, Reader::Makefile] {
        let (shared, other) = tcp_pair();
        shared.setsockopt(SOL_SOCKET, SO_SNDBUF, 32 * 1024).unwrap();
        let shared = Arc::new(shared);
        let up = Arc::new(payload(2 << 20, 3));
        let down = Arc::new(payload(2 << 20, 4));
        let (peer_sender, peer_receiver) = peer(other, Arc::clone(&down));
        let stop = Arc::new(AtomicBool::new(false));
        let retimer = retimer(
            Arc::clone(&shared),
            vec![None, Some(LONG)],
            Arc::clone(&stop),
        );
        let sender = {
            let (shared, up) = (Arc::clone(&shared), Arc::clone(&up));
            thread::spawn(move || -> pysocket::Result<()> {
                let mut rng = Rng::new(5);
                let mut at = 0;
                let mut result = Ok(());
                while at < up.len() && result.is_ok() {
                    let end = (at + rng.chunk()).min(up.len());
                    result = shared.sendall(&up[at..end]);
                    at = end;
                }
                shared.shutdown(Shutdown::Write)?;
                result
            })
        };
        let received = (|| -> std::io::Result<Vec<u8>> {
            let mut rng = Rng::new(6);
            let mut file = SocketFile::with_capacity(&shared, 4096, 64);
            let mut got = Vec::new();
            let mut buf = vec![0u8; 70_000];
            let limit = Instant::now() + CASE_LIMIT;
            while Instant::now() < limit {
                let size = rng.chunk();
                let n = match reader {
                    Reader::Recv => {
                        let chunk = shared.recv(size)?;
                        got.extend_from_slice(&chunk);
                        chunk.len()
                    }
                    Reader::RecvInto => {
                        let n = shared.recv_into(&mut buf[..size])?;
                        got.extend_from_slice(&buf[..n]);
                        n
                    }
                    Reader::Makefile => file.read_until(b'\n', &mut got)?,
                };
                if n == 0 {
                    return Ok(got);
                }
            }
            panic!("{reader:?}: the receiver hung");
        })();
        let sent = sender.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        let changes = retimer.join().unwrap();
        peer_sender.join().unwrap();
        let peer_got = peer_receiver.join().unwrap();
        sent.unwrap_or_else(|err| panic!("{reader:?}: sendall failed while retimed: {err:?}"));
        let received = received
            .unwrap_or_else(|err| panic!("{reader:?}: a read failed while retimed: {err:?}"));
        assert!(received == *down, "{reader:?}: the bytes received differ");
        assert!(peer_got == *up, "{reader:?}: the bytes sent differ");
        assert!(changes >= 20, "only {changes} timeout changes");
    }
}

/// Runs `call` in `count` threads that start together, and returns each
/// one's result and how long it took.
fn blocked_threads<T: Send + 'static>(
    count: usize,
    call: impl Fn(usize) -> T + Send + Sync + 'static,
) -> (Vec<JoinHandle<(T, Duration)>>, Arc<AtomicUsize>) {
    let call = Arc::new(call);
    let started = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(count));
    let handles = (0..count)
        .map(|i| {
            let (call, started, barrier) = (
                Arc::clone(&call),
                Arc::clone(&started),
                Arc::clone(&barrier),
            );
            thread::spawn(move || {
                barrier.wait();
                started.fetch_add(1, Ordering::SeqCst);
                let begin = Instant::now();
                let result = call(i);
                (result, begin.elapsed())
            })
        })
        .collect();
    (handles, started)
}

/// Gives the threads time to block in their calls.
fn let_them_block(started: &AtomicUsize, count: usize) {
    let limit = Instant::now() + PROMPT;
    while started.load(Ordering::SeqCst) < count && Instant::now() < limit {
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(200));
}

/// `shutdown(SHUT_RD)` from another thread wakes every thread blocked in a
/// read of the socket (`recv`, `recv_into`, makefile `read_line` and
/// `read`), in blocking and in timeout mode: each returns the end of the
/// stream at once, not at its timeout.
#[test]
fn shutdown_wakes_every_blocked_read() {
    for timeout in [None, Some(LONG)] {
        let (_client, conn) = tcp_pair();
        conn.settimeout(timeout).unwrap();
        let conn = Arc::new(conn);
        let readers = 8;
        let (handles, started) = blocked_threads(readers, {
            let conn = Arc::clone(&conn);
            move |i| -> std::io::Result<usize> {
                match i % 4 {
                    0 => Ok(conn.recv(64)?.len()),
                    1 => Ok(conn.recv_into(&mut [0u8; 64])?),
                    2 => {
                        let mut line = String::new();
                        conn.makefile().read_line(&mut line)
                    }
                    _ => conn.makefile().read(&mut [0u8; 64]),
                }
            }
        });
        let_them_block(&started, readers);
        let woke_at = Instant::now();
        conn.shutdown(Shutdown::Read).expect("shutdown");
        for (i, handle) in handles.into_iter().enumerate() {
            let (result, _) = handle.join().unwrap();
            let n = result.unwrap_or_else(|err| panic!("{timeout:?} reader {i}: {err}"));
            assert_eq!(n, 0, "{timeout:?} reader {i}: the end of the stream");
        }
        let took = woke_at.elapsed();
        assert!(
            took < PROMPT,
            "{timeout:?}: the readers woke after {took:?}"
        );
    }
}

/// `shutdown` of a listener from another thread wakes every thread blocked
/// in `accept`, in blocking and in timeout mode: each gets an OS error at
/// once, not at its timeout.
#[test]
fn shutdown_wakes_every_blocked_accept() {
    for timeout in [None, Some(LONG)] {
        let (server, _) = listener(AF_INET);
        server.settimeout(timeout).unwrap();
        let server = Arc::new(server);
        let acceptors = 6;
        let (handles, started) = blocked_threads(acceptors, {
            let server = Arc::clone(&server);
            move |_| server.accept().map(drop)
        });
        let_them_block(&started, acceptors);
        let woke_at = Instant::now();
        server.shutdown(Shutdown::Both).expect("shutdown");
        for (i, handle) in handles.into_iter().enumerate() {
            let (result, _) = handle.join().unwrap();
            let err = result.expect_err("accept on a shut down listener");
            assert!(
                err.errno().is_some(),
                "{timeout:?} acceptor {i}: an OS error, got {err:?}"
            );
        }
        let took = woke_at.elapsed();
        assert!(
            took < PROMPT,
            "{timeout:?}: the acceptors woke after {took:?}"
        );
    }
}

/// `shutdown(SHUT_RD)` of a UDP socket from another thread wakes a thread
/// blocked in `recvfrom`, in blocking and in timeout mode.
#[test]
fn shutdown_wakes_a_blocked_recvfrom() {
    for timeout in [None, Some(LONG)] {
        let (sock, _) = udp_socket(AF_INET);
        sock.settimeout(timeout).unwrap();
        let sock = Arc::new(sock);
        let (handles, started) = blocked_threads(2, {
            let sock = Arc::clone(&sock);
            move |_| sock.recvfrom(64).map(|(data, _)| data.len())
        });
        let_them_block(&started, 2);
        let woke_at = Instant::now();
        // An unconnected UDP socket reports ENOTCONN, and wakes its readers all the same.
        let _ = sock.shutdown(Shutdown::Read);
        for handle in handles {
            let (result, _) = handle.join().unwrap();
            match result {
                Ok(0) => {}
                Err(err) if err.errno().is_some() => {}
                other => panic!("{timeout:?}: recvfrom after shutdown: {other:?}"),
            }
        }
        let took = woke_at.elapsed();
        assert!(took < PROMPT, "{timeout:?}: the reader woke after {took:?}");
    }
}

/// `shutdown(SHUT_WR)` from another thread wakes a thread blocked in
/// `sendall` on a full send buffer, in blocking and in timeout mode: it
/// fails with `BrokenPipe` at once.
#[test]
fn shutdown_wakes_a_blocked_sendall() {
    for timeout in [None, Some(LONG)] {
        let (client, _server) = tcp_pair();
        client.setsockopt(SOL_SOCKET, SO_SNDBUF, 16 * 1024).unwrap();
        client.settimeout(timeout).unwrap();
        let client = Arc::new(client);
        let (handles, started) = blocked_threads(1, {
            let client = Arc::clone(&client);
            move |_| client.sendall(&vec![1u8; 64 << 20])
        });
        let_them_block(&started, 1);
        let woke_at = Instant::now();
        client.shutdown(Shutdown::Write).expect("shutdown");
        for handle in handles {
            let (result, _) = handle.join().unwrap();
            let err = result.expect_err("sendall after shutdown");
            assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{timeout:?}: {err:?}");
        }
        let took = woke_at.elapsed();
        assert!(took < PROMPT, "{timeout:?}: the sender woke after {took:?}");
    }
}
