//! The three timeout modes as CPython has them (blocking, non-blocking,
//! timeout), the transitions between them, and one deadline per call.
//!
//! The default timeout is process-global: the tests that change it live in
//! `tests/default_timeout.rs`, so here it is always `None`.

mod common;

use std::fmt::Debug;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{
    assert_timed_out, assert_timeout_descriptor, fd_nonblocking, full_backlog, listener, tcp_pair,
    udp_socket, with_watchdog, Mode, PROMPT,
};
use pysocket::{
    socketpair, Error, Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_ERROR, SO_RCVBUF, SO_SNDBUF,
};

/// The timeout of most timeout-mode checks.
const SHORT: Duration = Duration::from_millis(300);

/// How late a timed-out call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_secs(3);

/// Runs `call` on `sock` and checks it failed with `Error::Timeout` after
/// about `timeout`. Should it hang, a watchdog shuts `sock` down.
fn assert_times_out<T: Debug>(
    what: &str,
    sock: &Socket,
    timeout: Duration,
    call: impl FnOnce() -> pysocket::Result<T>,
) {
    let start = Instant::now();
    let result = with_watchdog(sock, timeout + SLACK * 2, call);
    assert_timed_out(what, &result, timeout, start.elapsed(), SLACK);
}

/// Runs `call` on `sock` and checks it failed at once with an `Error::Io` of
/// kind `WouldBlock`. Should it hang, a watchdog shuts `sock` down.
fn assert_would_block<T: Debug>(
    what: &str,
    sock: &Socket,
    call: impl FnOnce() -> pysocket::Result<T>,
) {
    let start = Instant::now();
    let result = with_watchdog(sock, SLACK, call);
    let elapsed = start.elapsed();
    match &result {
        Err(Error::Io(err)) if err.kind() == ErrorKind::WouldBlock => {}
        _ => panic!("{what}: expected Error::Io of kind WouldBlock, got {result:?}"),
    }
    assert!(
        elapsed < Duration::from_secs(2),
        "{what}: took {elapsed:?}, not at once"
    );
}

/// Sends `data` on `sock` from a thread after `delay`.
fn send_later(sock: Arc<Socket>, delay: Duration, data: &'static [u8]) -> JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(delay);
        sock.sendall(data).expect("delayed sendall");
    })
}

/// Fills the send buffer of a non-blocking Unix stream socket whose peer does
/// not read. Unix sockets free send space only when the peer reads, so the
/// buffer stays full.
fn fill_send_buffer(sock: &Socket) -> usize {
    assert!(
        !sock.getblocking(),
        "fill_send_buffer needs a non-blocking socket"
    );
    let chunk = [0x5au8; 65536];
    let mut total = 0;
    for _ in 0..4096 {
        match sock.send(&chunk) {
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return total,
            Err(err) => panic!("send while filling the buffer: {err}"),
        }
    }
    panic!("the send buffer did not fill after {total} bytes");
}

/// Checks that `sock` (whose peer is `peer`, a blocking socket) behaves as `mode` says.
fn assert_mode(sock: &Arc<Socket>, peer: &Arc<Socket>, mode: Mode) {
    assert_eq!(sock.gettimeout(), mode.timeout(), "gettimeout in {mode:?}");
    match mode {
        Mode::Blocking => {
            assert!(sock.getblocking(), "getblocking in blocking mode");
            assert!(!fd_nonblocking(sock), "O_NONBLOCK set in blocking mode");
            // Longer than any timeout these tests set: a recv that kept a
            // timeout would fail first.
            let delay = Duration::from_millis(700);
            let sender = send_later(Arc::clone(peer), delay, b"blocking");
            let start = Instant::now();
            let data = sock.recv(64).expect("blocking recv");
            let elapsed = start.elapsed();
            sender.join().expect("sender thread");
            assert_eq!(data, b"blocking");
            assert!(
                elapsed >= delay.mul_f64(0.9),
                "blocking recv returned after {elapsed:?}, before the data was sent"
            );
        }
        Mode::NonBlocking => {
            assert!(!sock.getblocking(), "getblocking in non-blocking mode");
            assert!(
                fd_nonblocking(sock),
                "O_NONBLOCK clear in non-blocking mode"
            );
            assert_would_block("non-blocking recv", sock, || sock.recv(64));
            peer.sendall(b"ready").expect("sendall");
            let start = Instant::now();
            let mut data = Vec::new();
            while data.len() < 5 && start.elapsed() < PROMPT {
                match sock.recv(64) {
                    Ok(chunk) => data.extend(chunk),
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5))
                    }
                    Err(err) => panic!("non-blocking recv with data queued: {err}"),
                }
            }
            assert_eq!(data, b"ready");
        }
        Mode::Timeout(d) => {
            assert!(sock.getblocking(), "getblocking in timeout mode");
            assert_timeout_descriptor(sock, d);
            assert_times_out("timeout-mode recv", sock, d, || sock.recv(64));
            let sender = send_later(Arc::clone(peer), d / 3, b"in time");
            let data = sock.recv(64).expect("timeout-mode recv with data in time");
            sender.join().expect("sender thread");
            assert_eq!(data, b"in time");
        }
    }
}

/// A new socket is in blocking mode: timeout `None`, `getblocking()` true, no `O_NONBLOCK`.
#[test]
fn new_sockets_are_blocking() {
    let sock = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    assert_eq!(sock.gettimeout(), None);
    assert!(sock.getblocking());
    assert!(!fd_nonblocking(&sock));
}

/// Blocking mode: `recv` waits for as long as the data takes to come.
#[test]
fn blocking_recv_waits_for_data() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    server.settimeout(None).unwrap();
    assert_mode(&server, &client, Mode::Blocking);
}

/// Non-blocking mode: receives, `accept` and sends into a full buffer fail with `WouldBlock`.
#[test]
fn nonblocking_calls_would_block() {
    let (_client, server) = tcp_pair();
    server.settimeout(Some(Duration::ZERO)).unwrap();
    assert_eq!(server.gettimeout(), Some(Duration::ZERO));
    assert!(!server.getblocking());
    assert!(fd_nonblocking(&server));
    assert_would_block("recv", &server, || server.recv(16));
    assert_would_block("recv_into", &server, || server.recv_into(&mut [0u8; 16]));

    let (udp, _) = udp_socket(AF_INET);
    udp.setblocking(false).unwrap();
    assert_would_block("recvfrom", &udp, || udp.recvfrom(16));
    assert_would_block("recvfrom_into", &udp, || udp.recvfrom_into(&mut [0u8; 16]));

    let (server_sock, _) = listener(AF_INET);
    server_sock.setblocking(false).unwrap();
    assert_would_block("accept", &server_sock, || server_sock.accept());

    let (full, _reader) = socketpair().unwrap();
    full.setblocking(false).unwrap();
    assert!(fill_send_buffer(&full) > 0);
    assert_would_block("send into a full buffer", &full, || full.send(b"more"));
    assert_would_block("sendall into a full buffer", &full, || {
        full.sendall(b"more")
    });
}

/// Non-blocking `connect` returns `EINPROGRESS`, then completes: `SO_ERROR` 0, peer set.
#[test]
fn nonblocking_connect_completes_in_background() {
    let (server, addr) = listener(AF_INET);
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.setblocking(false).unwrap();
    let err = client.connect(&addr).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINPROGRESS), "connect: {err:?}");
    assert!(err.is_would_block());

    let start = Instant::now();
    let peer = loop {
        match client.getpeername() {
            Ok(peer) => break peer,
            Err(err) if err.errno() == Some(libc::ENOTCONN) && start.elapsed() < PROMPT => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(err) => panic!("the non-blocking connect did not complete: {err}"),
        }
    };
    assert_eq!(peer, addr);
    assert_eq!(client.getsockopt(SOL_SOCKET, SO_ERROR).unwrap(), 0);
    let (conn, from) = server.accept().unwrap();
    assert_eq!(from, client.getsockname().unwrap());
    conn.sendall(b"hi").unwrap();
    client.settimeout(Some(PROMPT)).unwrap();
    assert_eq!(client.recv(16).unwrap(), b"hi");

    // connect_ex says the same with an errno.
    let other = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    other.setblocking(false).unwrap();
    assert_eq!(other.connect_ex(&addr).unwrap(), libc::EINPROGRESS);
}

/// A refused non-blocking `connect` reports `ECONNREFUSED` through `SO_ERROR`.
#[test]
fn nonblocking_connect_reports_refusal_in_so_error() {
    let unused = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    unused.bind(("127.0.0.1", 0)).unwrap();
    let addr = unused.getsockname().unwrap();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.setblocking(false).unwrap();
    match client.connect(&addr) {
        Err(err) if err.errno() == Some(libc::EINPROGRESS) => {
            let start = Instant::now();
            let mut so_error = 0;
            while so_error == 0 && start.elapsed() < PROMPT {
                thread::sleep(Duration::from_millis(5));
                so_error = client.getsockopt(SOL_SOCKET, SO_ERROR).unwrap();
            }
            assert_eq!(so_error, libc::ECONNREFUSED);
        }
        Err(err) => assert_eq!(err.errno(), Some(libc::ECONNREFUSED), "{err:?}"),
        Ok(()) => panic!("connect to a port nobody listens on succeeded"),
    }
}

/// Timeout mode: receives, `accept` and sends into a full buffer time out after the timeout.
#[test]
fn timeout_mode_calls_time_out() {
    let (_client, server) = tcp_pair();
    server.settimeout(Some(SHORT)).unwrap();
    assert_eq!(server.gettimeout(), Some(SHORT));
    assert!(server.getblocking());
    assert_timeout_descriptor(&server, SHORT);
    assert_times_out("recv", &server, SHORT, || server.recv(16));
    assert_times_out("recv_into", &server, SHORT, || {
        server.recv_into(&mut [0u8; 16])
    });

    let (udp, _) = udp_socket(AF_INET);
    udp.settimeout(Some(SHORT)).unwrap();
    assert_times_out("recvfrom", &udp, SHORT, || udp.recvfrom(16));
    assert_times_out("recvfrom_into", &udp, SHORT, || {
        udp.recvfrom_into(&mut [0u8; 16])
    });

    let (server_sock, _) = listener(AF_INET);
    server_sock.settimeout(Some(SHORT)).unwrap();
    assert_times_out("accept", &server_sock, SHORT, || server_sock.accept());

    let (full, _reader) = socketpair().unwrap();
    full.setblocking(false).unwrap();
    fill_send_buffer(&full);
    full.settimeout(Some(SHORT)).unwrap();
    assert_times_out("send into a full buffer", &full, SHORT, || {
        full.send(b"more")
    });
    assert_times_out("sendall into a full buffer", &full, SHORT, || {
        full.sendall(b"more")
    });
}

/// Timeout mode: `connect`, `accept` and a `recv` whose data comes in time all succeed.
#[test]
fn timeout_mode_succeeds_in_time() {
    let (server, addr) = listener(AF_INET);
    server.settimeout(Some(PROMPT)).unwrap();
    let client = Arc::new(Socket::new(AF_INET, SOCK_STREAM).unwrap());
    client.settimeout(Some(PROMPT)).unwrap();
    client.connect(&addr).unwrap();
    assert_eq!(client.getpeername().unwrap(), addr);
    let (conn, _) = server.accept().unwrap();
    conn.settimeout(Some(Duration::from_secs(2))).unwrap();
    let sender = send_later(
        Arc::clone(&client),
        Duration::from_millis(200),
        b"late but in time",
    );
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let n = conn.recv_into(&mut buf).unwrap();
    sender.join().unwrap();
    assert_eq!(&buf[..n], b"late but in time");
    assert!(start.elapsed() < Duration::from_secs(2));
}

/// Every transition between the three modes, in every order, changes how calls behave.
#[test]
fn mode_transitions_apply() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    let d1 = Duration::from_millis(250);
    let d2 = Duration::from_millis(400);
    // B→N, N→T, T→B, B→T, T→N, N→B, and T→T with a new value.
    let path = [
        Mode::Blocking,
        Mode::NonBlocking,
        Mode::Timeout(d1),
        Mode::Blocking,
        Mode::Timeout(d1),
        Mode::Timeout(d2),
        Mode::NonBlocking,
        Mode::Blocking,
        Mode::NonBlocking,
        Mode::NonBlocking,
        Mode::Timeout(d2),
        Mode::Timeout(d2),
        Mode::Blocking,
        Mode::Blocking,
    ];
    for mode in path {
        server.settimeout(mode.timeout()).unwrap();
        assert_mode(&server, &client, mode);
    }
}

/// `setblocking(true/false)` is `settimeout(None/Some(ZERO))`, from every mode.
#[test]
fn setblocking_is_settimeout() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    for from in [Mode::Blocking, Mode::NonBlocking, Mode::Timeout(SHORT)] {
        server.settimeout(from.timeout()).unwrap();
        server.setblocking(false).unwrap();
        assert_mode(&server, &client, Mode::NonBlocking);
        server.settimeout(from.timeout()).unwrap();
        server.setblocking(true).unwrap();
        assert_mode(&server, &client, Mode::Blocking);
    }
}

/// `accept` returns a blocking socket whatever the listener's mode (no default timeout).
#[test]
fn accept_returns_blocking_sockets() {
    for mode in [Mode::Blocking, Mode::NonBlocking, Mode::Timeout(PROMPT)] {
        let (server, addr) = listener(AF_INET);
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        server.settimeout(mode.timeout()).unwrap();
        let start = Instant::now();
        let conn = loop {
            match server.accept() {
                Ok((conn, _)) => break conn,
                Err(err) if err.is_would_block() && start.elapsed() < PROMPT => {
                    thread::sleep(Duration::from_millis(5))
                }
                Err(err) => panic!("accept from a {mode:?} listener: {err}"),
            }
        };
        let (conn, client) = (Arc::new(conn), Arc::new(client));
        assert_mode(&conn, &client, Mode::Blocking);
    }
}

/// `dup` copies the timeout, and the copy behaves in that mode.
#[test]
fn dup_copies_the_timeout() {
    for mode in [Mode::Blocking, Mode::NonBlocking, Mode::Timeout(SHORT)] {
        let (client, server) = tcp_pair();
        server.settimeout(mode.timeout()).unwrap();
        let copy = Arc::new(server.dup().unwrap());
        assert_mode(&copy, &Arc::new(client), mode);
    }
}

/// `recv(0)` and `recv_into(&mut [])` return at once, even in blocking mode with no data.
#[test]
fn empty_receives_return_at_once() {
    let (client, server) = tcp_pair();
    let client = Arc::new(client);
    for mode in [Mode::Blocking, Mode::Timeout(PROMPT)] {
        server.settimeout(mode.timeout()).unwrap();
        // Should the call block, this byte ends it (and the timing check fails).
        let rescue = send_later(Arc::clone(&client), Duration::from_secs(3), b"!");
        let start = Instant::now();
        assert_eq!(server.recv(0).unwrap(), b"", "recv(0) in {mode:?}");
        assert_eq!(
            server.recv_into(&mut []).unwrap(),
            0,
            "recv_into([]) in {mode:?}"
        );
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "empty receives took {elapsed:?} in {mode:?}"
        );
        rescue.join().unwrap();
        assert_eq!(server.recv(16).unwrap(), b"!");
    }
}

/// After a `Timeout` nothing is lost: data sent later arrives exactly, in order.
#[test]
fn timeouts_lose_no_data() {
    let (client, server) = tcp_pair();
    server.settimeout(Some(Duration::from_millis(100))).unwrap();
    for round in 0u8..5 {
        assert_times_out(
            "recv with nothing sent",
            &server,
            Duration::from_millis(100),
            || server.recv(64),
        );
        let message = [round; 37];
        client.sendall(&message).unwrap();
        let mut got = Vec::new();
        let start = Instant::now();
        while got.len() < message.len() && start.elapsed() < PROMPT {
            got.extend(server.recv(message.len() - got.len()).unwrap());
        }
        assert_eq!(got, message, "round {round}");
    }
    assert_times_out(
        "recv after the last message",
        &server,
        Duration::from_millis(100),
        || server.recv(64),
    );
}

/// `sendall` has one deadline for the whole call, though each of its sends makes progress.
#[test]
fn sendall_has_one_deadline() {
    let (server, addr) = listener(AF_INET);
    // Set before the handshake, so that the window is small from the start.
    server.setsockopt(SOL_SOCKET, SO_RCVBUF, 4096).unwrap();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096).unwrap();
    client.connect(&addr).unwrap();
    let (reader, _) = server.accept().unwrap();
    reader.settimeout(Some(Duration::from_millis(20))).unwrap();

    // The reader takes a little every 20 ms, so each send makes progress well
    // within the timeout: only a deadline for the whole call ends sendall.
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicUsize::new(0));
    let slow_reader = {
        let (stop, received) = (Arc::clone(&stop), Arc::clone(&received));
        thread::spawn(move || {
            let limit = Instant::now() + PROMPT;
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::Relaxed) && Instant::now() < limit {
                match reader.recv_into(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        received.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(Error::Timeout) => {}
                    Err(err) => panic!("slow reader: {err}"),
                }
                thread::sleep(Duration::from_millis(20));
            }
        })
    };

    let timeout = Duration::from_millis(500);
    client.settimeout(Some(timeout)).unwrap();
    let payload = vec![7u8; 16 << 20];
    let start = Instant::now();
    // Were the deadline per send, this would end only when the reader stops.
    let result = with_watchdog(&client, PROMPT * 2, || client.sendall(&payload));
    let elapsed = start.elapsed();
    let during = received.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    slow_reader.join().unwrap();

    assert!(matches!(result, Err(Error::Timeout)), "sendall: {result:?}");
    assert!(
        during > 0,
        "the reader took nothing, so the sends made no progress"
    );
    assert!(
        elapsed > Duration::from_millis(400),
        "sendall timed out early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "sendall took {elapsed:?}: the deadline was not one for the whole call"
    );
}

/// Against a full accept queue `connect` times out and `connect_ex` returns `EWOULDBLOCK`.
#[test]
fn connect_times_out_against_a_full_backlog() {
    let (_server, addr, _held) = full_backlog();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.settimeout(Some(SHORT)).unwrap();
    assert_times_out("connect", &client, SHORT, || client.connect(&addr));

    let other = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    other.settimeout(Some(SHORT)).unwrap();
    let start = Instant::now();
    let errno = other.connect_ex(&addr).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        errno,
        libc::EWOULDBLOCK,
        "connect_ex against a full backlog"
    );
    assert!(
        elapsed >= SHORT.mul_f64(0.9),
        "connect_ex gave up after {elapsed:?}"
    );
    assert!(
        elapsed < SHORT + SLACK,
        "connect_ex gave up after {elapsed:?}"
    );
}

/// Extreme timeouts do not overflow: 1 ns times out at once, `Duration::MAX` waits for data.
#[test]
fn extreme_timeouts_work() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    let tiny = Duration::from_nanos(1);
    server.settimeout(Some(tiny)).unwrap();
    assert_eq!(server.gettimeout(), Some(tiny));
    assert!(server.getblocking());
    assert_times_out("recv with a 1 ns timeout", &server, tiny, || {
        server.recv(16)
    });

    server.settimeout(Some(Duration::MAX)).unwrap();
    assert!(server
        .gettimeout()
        .is_some_and(|t| t > Duration::from_secs(1 << 32)));
    assert!(server.getblocking());
    assert_timeout_descriptor(&server, Duration::MAX);
    let sender = send_later(
        Arc::clone(&client),
        Duration::from_millis(200),
        b"eventually",
    );
    let data = with_watchdog(&server, PROMPT, || server.recv(64));
    sender.join().unwrap();
    assert_eq!(data.unwrap(), b"eventually");
}

/// A dup set to blocking mode shares O_NONBLOCK with the original, yet the
/// original's timed calls still time out (as in CPython, which waits first).
#[test]
fn timeout_survives_a_blocking_dup() {
    let timeout = Duration::from_millis(300);
    let (client, server) = tcp_pair();
    server.settimeout(Some(timeout)).expect("settimeout");
    let copy = server.dup().expect("dup");
    copy.setblocking(true).expect("setblocking");
    assert!(!fd_nonblocking(&server), "the dup cleared the shared flag");
    assert_times_out("recv", &server, timeout, || server.recv(16));
    assert_times_out("recv_into", &server, timeout, || {
        server.recv_into(&mut [0u8; 16])
    });
    // Data sent later still arrives through the timed socket.
    client.sendall(b"late").expect("sendall");
    assert_eq!(server.recv(16).expect("recv"), b"late");

    let (listener, _) = listener(AF_INET);
    listener.settimeout(Some(timeout)).expect("settimeout");
    let listener_copy = listener.dup().expect("dup");
    listener_copy.setblocking(true).expect("setblocking");
    assert_times_out("accept", &listener, timeout, || listener.accept());
}

// The kernel backstop: on Linux a timeout of 50 ms or more keeps the
// descriptor blocking and sets SO_RCVTIMEO/SO_SNDTIMEO a little shorter than
// the timeout, so that a receive, accept or connect sleeps in one system call
// and poll only covers the end of the deadline.

/// The kernel's receive timeout, `None` for none.
fn kernel_read_timeout(sock: &Socket) -> Option<Duration> {
    sock.as_socket2().read_timeout().expect("SO_RCVTIMEO")
}

/// Timed receives, `accept` and `connect` never end before their deadline
/// (the backstop fires first, and `poll` waits out the rest), nor long after.
#[test]
fn timed_calls_end_at_their_deadline_not_at_the_backstop() {
    for timeout in [
        Duration::from_millis(20),
        Duration::from_millis(60),
        Duration::from_millis(130),
        Duration::from_millis(450),
    ] {
        let (_client, server) = tcp_pair();
        server.settimeout(Some(timeout)).unwrap();
        assert_timeout_descriptor(&server, timeout);
        for (what, call) in [
            (
                "recv",
                &(|| server.recv(8).map(drop)) as &dyn Fn() -> pysocket::Result<()>,
            ),
            ("recv_into", &|| server.recv_into(&mut [0u8; 8]).map(drop)),
        ] {
            let start = Instant::now();
            let result = with_watchdog(&server, timeout + SLACK, call);
            let elapsed = start.elapsed();
            assert!(matches!(result, Err(Error::Timeout)), "{what}: {result:?}");
            assert!(
                elapsed >= timeout,
                "{what} ended after {elapsed:?} of {timeout:?}"
            );
            assert!(elapsed < timeout + SLACK, "{what} ended after {elapsed:?}");
        }
        let (listener, _) = listener(AF_INET);
        listener.settimeout(Some(timeout)).unwrap();
        let start = Instant::now();
        let result = with_watchdog(&listener, timeout + SLACK, || listener.accept());
        assert!(matches!(result, Err(Error::Timeout)), "accept: {result:?}");
        assert!(
            start.elapsed() >= timeout,
            "accept ended after {:?}",
            start.elapsed()
        );

        let (_full, addr, _queued) = full_backlog();
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.settimeout(Some(timeout)).unwrap();
        let start = Instant::now();
        let result = client.connect(&addr);
        let elapsed = start.elapsed();
        assert!(matches!(result, Err(Error::Timeout)), "connect: {result:?}");
        assert!(
            elapsed >= timeout,
            "connect ended after {elapsed:?} of {timeout:?}"
        );
        assert!(elapsed < timeout + SLACK, "connect ended after {elapsed:?}");
    }
}

/// Data that comes after the backstop fired but before the deadline is
/// received: the call goes on waiting in `poll`, with what is left.
#[test]
fn data_after_the_backstop_but_in_time_arrives() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    let timeout = Duration::from_millis(1500);
    server.settimeout(Some(timeout)).unwrap();
    // A shorter timeout set meanwhile by a dup lowers the shared backstop,
    // which the longer one then outlasts.
    let twin = server.dup().unwrap();
    twin.settimeout(Some(Duration::from_millis(100))).unwrap();
    if cfg!(target_os = "linux") {
        assert!(kernel_read_timeout(&server).is_some_and(|t| t < Duration::from_millis(100)));
    }
    let sender = send_later(Arc::clone(&client), Duration::from_millis(500), b"late");
    let start = Instant::now();
    let data = with_watchdog(&server, PROMPT, || server.recv(16)).expect("recv in time");
    sender.join().unwrap();
    assert_eq!(data, b"late");
    assert!(start.elapsed() >= Duration::from_millis(400));
    // The twin keeps its own, shorter timeout.
    assert_times_out("the twin's recv", &twin, Duration::from_millis(100), || {
        twin.recv(16)
    });
}

/// A backstop is only ever lowered: a longer timeout leaves a shorter
/// backstop in place (every socket sharing it is then woken in time), and
/// blocking mode leaves it too, yet blocking calls wait as long as they must.
#[cfg(target_os = "linux")]
#[test]
fn blocking_calls_outlast_a_backstop() {
    let (client, server) = tcp_pair();
    let (client, server) = (Arc::new(client), Arc::new(server));
    server.settimeout(Some(Duration::from_millis(100))).unwrap();
    let short = kernel_read_timeout(&server).expect("a backstop");
    server.settimeout(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(kernel_read_timeout(&server), Some(short), "raised");
    server.settimeout(None).unwrap();
    assert_eq!(kernel_read_timeout(&server), Some(short), "cleared");

    let delay = Duration::from_millis(600);
    let sender = send_later(Arc::clone(&client), delay, b"blocking");
    let start = Instant::now();
    let data = with_watchdog(&server, PROMPT, || server.recv_into(&mut [0u8; 16]));
    sender.join().unwrap();
    assert_eq!(data.expect("blocking recv_into"), 8);
    assert!(start.elapsed() >= delay.mul_f64(0.9));

    // A listener the same way, and the sockets it accepts, which inherit its
    // kernel timeouts: blocking accept and recv outlast the backstop.
    let (listener, addr) = listener(AF_INET);
    listener
        .settimeout(Some(Duration::from_millis(100)))
        .unwrap();
    listener.settimeout(None).unwrap();
    let connector = thread::spawn(move || {
        thread::sleep(Duration::from_millis(400));
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        thread::sleep(Duration::from_millis(400));
        client.sendall(b"accepted").unwrap();
        client
    });
    let (conn, _) = with_watchdog(&listener, PROMPT, || listener.accept()).expect("accept");
    assert!(kernel_read_timeout(&conn).is_some(), "inherited");
    assert_eq!(conn.gettimeout(), None);
    let data = with_watchdog(&conn, PROMPT, || conn.recv(16)).expect("recv");
    assert_eq!(data, b"accepted");
    connector.join().unwrap();
}

/// Kernel timeouts the user sets with `setsockopt` are theirs: blocking calls
/// end with `WouldBlock` when they fire (as in CPython), and timeout mode
/// leaves them alone and waits with `poll` on an `O_NONBLOCK` descriptor.
#[cfg(target_os = "linux")]
#[test]
fn user_kernel_timeouts_are_left_alone() {
    let (_client, server) = tcp_pair();
    let user = Duration::from_millis(200);
    let timeval = [
        (0 as libc::time_t).to_ne_bytes(),
        (user.as_micros() as libc::suseconds_t).to_ne_bytes(),
    ]
    .concat();
    server.settimeout(Some(Duration::from_secs(5))).unwrap();
    server
        .setsockopt(SOL_SOCKET, libc::SO_RCVTIMEO, &timeval)
        .unwrap();
    assert_eq!(kernel_read_timeout(&server), Some(user));
    // Timeout mode from now on waits with poll, untouched by the user's value.
    server.settimeout(Some(SHORT)).unwrap();
    assert_eq!(kernel_read_timeout(&server), Some(user));
    assert_times_out("recv", &server, SHORT, || server.recv(16));

    server.settimeout(None).unwrap();
    let start = Instant::now();
    let err = with_watchdog(&server, PROMPT, || server.recv(16)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}");
    assert!(start.elapsed() >= user.mul_f64(0.9));
}

/// A socket leaving the crate takes no backstop along: std sees no timeout it
/// did not set, and a socket in timeout mode is non-blocking, as documented.
#[cfg(target_os = "linux")]
#[test]
fn leaving_the_crate_clears_the_backstop() {
    use std::os::fd::FromRawFd;

    let (_a, b) = tcp_pair();
    b.settimeout(Some(PROMPT)).unwrap();
    assert!(kernel_read_timeout(&b).is_some());
    let stream = std::net::TcpStream::from(b);
    assert_eq!(stream.read_timeout().unwrap(), None);
    assert_eq!(stream.write_timeout().unwrap(), None);
    let mut buf = [0u8; 4];
    let err = std::io::Read::read(&mut &stream, &mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "non-blocking underneath");

    let (_c, d) = tcp_pair();
    d.settimeout(Some(PROMPT)).unwrap();
    d.settimeout(None).unwrap();
    let fd = d.detach();
    // SAFETY: `detach` gave up the descriptor, which nothing else owns.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    assert_eq!(stream.read_timeout().unwrap(), None);

    let (_e, f) = tcp_pair();
    f.settimeout(Some(PROMPT)).unwrap();
    let raw = f.into_socket2();
    assert_eq!(raw.read_timeout().unwrap(), None);
    assert!(raw.nonblocking().unwrap());
}
