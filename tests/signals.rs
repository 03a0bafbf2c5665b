//! Signals: calls interrupted by a signal are retried (PEP 475) with their
//! deadline kept, writes to a closed peer never raise `SIGPIPE`, and sockets
//! are close-on-exec.
//!
//! Signal handlers are process-wide, so these tests have their own binary.
//! Each storm targets the test's own thread with `pthread_kill`, so the other
//! tests of this binary are not disturbed, and is stopped (dropped) before
//! that thread ends.
//!
//! A case proves something only if signals did reach its call, so each
//! counts the signals the call's thread handled, never the rate at which a
//! storm sends them (on a loaded machine the storm's thread wakes rarely):
//! the peer a call waits for holds back until [`ENOUGH_SIGNALS`] have been
//! handled, and a call with a fixed deadline runs again, each run checked in
//! full, until its signals add up ([`repeat_until_delivered`]).

mod common;

use std::io::{ErrorKind, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::data::payload;
use common::{
    assert_connected_after_drain, assert_timed_out, is_child, listener, repeat_until_delivered,
    run_child, tcp_pair, this_thread, under_storm, with_watchdog, Deliveries, DrainingBacklog,
    SignalStorm, PROMPT,
};
use pysocket::{socketpair, Shutdown, Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_SNDBUF};

/// How often a storm signals its thread.
const EVERY: Duration = Duration::from_millis(1);

/// How late a timed-out call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(1500);

/// The fewest signals the stormed thread must have handled for a case to
/// mean anything.
const ENOUGH_SIGNALS: usize = 20;

/// The most runs of a case with a fixed deadline it may take to gather
/// [`ENOUGH_SIGNALS`].
const ATTEMPTS: usize = 10;

/// Runs `action` in a thread after `delay`, and once the storm's thread has
/// handled [`ENOUGH_SIGNALS`] (or [`PROMPT`] has passed: the call's own
/// assertion then fails), so that the call waiting for `action` is
/// interrupted again and again however slowly the storm runs.
fn after<T: Send + 'static>(
    delay: Duration,
    deliveries: Deliveries,
    action: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    thread::spawn(move || {
        thread::sleep(delay);
        deliveries.wait_for(ENOUGH_SIGNALS, PROMPT);
        action()
    })
}

/// Blocking `recv` under a signal storm returns the data that comes later, never `EINTR`.
#[test]
fn blocking_recv_survives_a_signal_storm() {
    let (client, server) = tcp_pair();
    let storm = SignalStorm::start(this_thread(), EVERY);
    let sender = after(Duration::from_millis(200), storm.deliveries(), move || {
        client.sendall(b"through the storm").unwrap();
        client
    });
    let start = Instant::now();
    let result = server.recv(64);
    let elapsed = start.elapsed();
    let handled = storm.stop_delivered();
    let _client = sender.join().unwrap();
    assert_eq!(result.unwrap(), b"through the storm");
    assert!(
        elapsed >= Duration::from_millis(180),
        "recv returned after {elapsed:?}"
    );
    assert!(handled >= ENOUGH_SIGNALS, "only {handled} signals handled");
}

/// Timeout-mode `recv` (a timeout only a hang reaches) under a signal storm
/// returns data that comes after 300 ms and many signals.
#[test]
fn timed_recv_survives_a_signal_storm() {
    let (client, server) = tcp_pair();
    server.settimeout(Some(PROMPT * 2)).unwrap();
    let storm = SignalStorm::start(this_thread(), EVERY);
    let sender = after(Duration::from_millis(300), storm.deliveries(), move || {
        client.sendall(b"in time").unwrap();
        client
    });
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let result = server.recv_into(&mut buf);
    let elapsed = start.elapsed();
    let handled = storm.stop_delivered();
    let _client = sender.join().unwrap();
    let n = result.unwrap();
    assert_eq!(&buf[..n], b"in time");
    assert!(
        elapsed >= Duration::from_millis(270),
        "recv returned after {elapsed:?}"
    );
    assert!(handled >= ENOUGH_SIGNALS, "only {handled} signals handled");
}

/// Timeout-mode `recv` under a signal storm times out at its original deadline.
#[test]
fn timed_recv_keeps_its_deadline_under_a_signal_storm() {
    let (_client, server) = tcp_pair();
    let timeout = Duration::from_millis(500);
    server.settimeout(Some(timeout)).unwrap();
    repeat_until_delivered("timed recv", ENOUGH_SIGNALS, ATTEMPTS, || {
        let storm = SignalStorm::start(this_thread(), EVERY);
        let start = Instant::now();
        let result = with_watchdog(&server, PROMPT, || server.recv(64));
        let elapsed = start.elapsed();
        let handled = storm.stop_delivered();
        assert_timed_out("recv", &result, timeout, elapsed, SLACK);
        [handled]
    });
}

/// `accept` as a server loop does it in `timeout`'s mode: a non-blocking
/// listener waits in `select` (which retries its own interrupted waits)
/// between `WouldBlock`s.
fn accept_in_mode(server: &Socket) -> pysocket::Result<(Socket, pysocket::Address)> {
    let limit = Instant::now() + PROMPT;
    loop {
        match server.accept() {
            Err(err) if !server.getblocking() && err.is_would_block() && Instant::now() < limit => {
                pysocket::select(&[server], &[], &[], Some(Duration::from_millis(100)))?;
            }
            other => return other,
        }
    }
}

/// `accept` under a signal storm, blocking, timed or non-blocking, gets its
/// connection or times out on time.
#[test]
fn accept_survives_a_signal_storm() {
    for timeout in [None, Some(Duration::from_secs(2)), Some(Duration::ZERO)] {
        let (server, addr) = listener(AF_INET);
        server.settimeout(timeout).unwrap();
        let storm = SignalStorm::start(this_thread(), EVERY);
        let connector = after(Duration::from_millis(200), storm.deliveries(), move || {
            let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
            client.connect(&addr).unwrap();
            client
        });
        let start = Instant::now();
        let result = accept_in_mode(&server);
        let elapsed = start.elapsed();
        let handled = storm.stop_delivered();
        let client = connector.join().unwrap();
        let (_conn, peer) = result.unwrap_or_else(|err| panic!("accept ({timeout:?}): {err}"));
        assert_eq!(peer, client.getsockname().unwrap());
        assert!(
            elapsed >= Duration::from_millis(180),
            "accept returned after {elapsed:?}"
        );
        assert!(
            handled >= ENOUGH_SIGNALS,
            "accept ({timeout:?}): only {handled} signals handled"
        );
    }

    let (server, _) = listener(AF_INET);
    let timeout = Duration::from_millis(400);
    server.settimeout(Some(timeout)).unwrap();
    let (result, elapsed, _) = under_storm(&server, EVERY, PROMPT, || server.accept());
    assert_timed_out("accept", &result, timeout, elapsed, SLACK);
}

/// `sendall` to a slow reader under a signal storm delivers every byte once, in order.
#[test]
fn sendall_survives_a_signal_storm() {
    let payload = Arc::new(payload(4 << 20, 1));
    for timeout in [None, Some(PROMPT)] {
        let (server, addr) = listener(AF_INET);
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.setsockopt(SOL_SOCKET, SO_SNDBUF, 16384).unwrap();
        client.connect(&addr).unwrap();
        let (reader, _) = server.accept().unwrap();
        reader.settimeout(Some(PROMPT)).unwrap();
        let expected = payload.len();
        client.settimeout(timeout).unwrap();
        let storm = SignalStorm::start(this_thread(), EVERY);
        let deliveries = storm.deliveries();
        let slow_reader = thread::spawn(move || {
            // Reads nothing until the writer, blocked on a full buffer, has
            // handled enough signals.
            deliveries.wait_for(ENOUGH_SIGNALS, PROMPT);
            let mut got = Vec::with_capacity(expected);
            let mut buf = vec![0u8; 32768];
            let limit = Instant::now() + PROMPT * 2;
            while Instant::now() < limit {
                match reader.recv_into(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(err) => panic!("slow reader: {err}"),
                }
                thread::sleep(Duration::from_millis(1));
            }
            got
        });
        let result = client.sendall(&payload);
        let handled = storm.stop_delivered();
        result.unwrap_or_else(|err| panic!("sendall ({timeout:?}): {err}"));
        client.shutdown(Shutdown::Write).unwrap();
        let got = slow_reader.join().unwrap();
        assert_eq!(got.len(), payload.len(), "byte count ({timeout:?})");
        assert!(got == *payload, "the bytes differ ({timeout:?})");
        assert!(
            handled >= ENOUGH_SIGNALS,
            "sendall ({timeout:?}): only {handled} signals handled"
        );
    }
}

/// A blocking `connect` interrupted by signals while its `SYN` waits still completes.
#[test]
fn blocking_connect_survives_a_signal_storm() {
    // The full queue drops the SYN, so the connect must wait (for the SYN's
    // retransmission) while the signals come; the queue drains after 200 ms.
    repeat_until_delivered("blocking connect", ENOUGH_SIGNALS, ATTEMPTS, || {
        let backlog = DrainingBacklog::start();
        let addr = backlog.addr.clone();
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        assert_eq!(client.gettimeout(), None);
        let storm = SignalStorm::start(this_thread(), EVERY);
        let start = Instant::now();
        let result = with_watchdog(&client, PROMPT * 2, || client.connect(&addr));
        let elapsed = start.elapsed();
        let handled = storm.stop_delivered();
        let accepted = backlog.stop();
        result.unwrap_or_else(|err| panic!("blocking connect under a storm: {err}"));
        assert_connected_after_drain(&client, &addr, &accepted, elapsed);
        [handled]
    });
}

/// Printed by the child of the SIGPIPE test when every write failed cleanly.
const SIGPIPE_MARKER: &str = "SIGPIPE-CHILD-OK";

/// Writes with `write` to a socket whose peer has closed until it fails, and
/// returns that error's kind (TCP takes a write or two to learn of the close).
fn first_write_error(what: &str, mut write: impl FnMut() -> std::io::Result<()>) -> ErrorKind {
    for _ in 0..200 {
        if let Err(err) = write() {
            return err.kind();
        }
        thread::sleep(Duration::from_millis(5));
    }
    panic!("{what}: writes to a closed peer kept succeeding");
}

/// Run in the child: with `SIGPIPE` at its default action, every way of
/// writing to a closed peer must return an error instead of killing us.
fn write_to_closed_peers() {
    // SAFETY: resetting a signal's disposition to the default has no preconditions.
    assert_ne!(
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) },
        libc::SIG_ERR
    );
    let big = vec![1u8; 1 << 20];
    type Writer = fn(&mut Socket, &[u8]) -> std::io::Result<()>;
    let writers: [(&str, Writer); 8] = [
        ("send", |s, data| s.send(data).map(drop).map_err(Into::into)),
        ("sendall", |s, data| s.sendall(data).map_err(Into::into)),
        ("<&Socket as Write>::write", |s, data| {
            (&*s).write(data).map(drop)
        }),
        ("<&Socket as Write>::write_all", |s, data| {
            (&*s).write_all(data)
        }),
        ("<Socket as Write>::write", |s, data| {
            s.write(data).map(drop)
        }),
        ("<Socket as Write>::write_all", |s, data| s.write_all(data)),
        ("send_with_flags", |s, data| {
            s.send_with_flags(data, pysocket::MsgFlags::empty())
                .map(drop)
                .map_err(Into::into)
        }),
        ("makefile write and flush", |s, data| {
            let mut file = s.makefile();
            file.write_all(data)?;
            file.flush()
        }),
    ];
    for (name, writer) in writers {
        for transport in ["tcp", "unix"] {
            let (mut local, peer) = if transport == "tcp" {
                tcp_pair()
            } else {
                socketpair().unwrap()
            };
            drop(peer);
            let what = format!("{name} over {transport}");
            let kind = first_write_error(&what, || writer(&mut local, &big));
            assert!(
                matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
                "{what}: {kind:?}"
            );
        }
    }
    println!("{SIGPIPE_MARKER}");
}

/// Writes to a closed peer fail with `BrokenPipe`, not `SIGPIPE`, even with `SIG_DFL`.
#[test]
fn writes_to_a_closed_peer_do_not_raise_sigpipe() {
    const TEST: &str = "writes_to_a_closed_peer_do_not_raise_sigpipe";
    if is_child(TEST) {
        write_to_closed_peers();
        return;
    }
    let out = run_child(TEST);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "the child was killed by SIGPIPE"
    );
    assert!(
        out.status.success(),
        "child failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(SIGPIPE_MARKER),
        "no marker from the child:\n{stdout}\n{stderr}"
    );
}

/// Whether a child process started now sees `sock`'s descriptor as the same socket.
fn inherited(sock: &Socket) -> bool {
    let fd = sock.fileno();
    assert!(fd > 2, "descriptor {fd} would be mistaken for standard I/O");
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "test -e /proc/self/fd/{fd} && test \"$(readlink /proc/self/fd/{fd})\" = \"$LINK\""
        ))
        .env("LINK", link)
        .status()
        .expect("spawn sh");
    match status.code() {
        Some(0) => true,
        Some(1) => false,
        _ => panic!("sh -c test failed oddly: {status:?}"),
    }
}

/// Sockets from `new`, `accept`, `socketpair` and `dup` are not inherited by a child process.
#[test]
fn sockets_are_close_on_exec() {
    let (server, addr) = listener(AF_INET);
    assert!(!inherited(&server), "Socket::new");
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(&addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    assert!(!inherited(&conn), "accept");
    let (a, b) = socketpair().unwrap();
    assert!(!inherited(&a), "socketpair");
    assert!(!inherited(&b), "socketpair");
    let copy = client.dup().unwrap();
    assert!(!inherited(&copy), "dup");
    for sock in [&server, &client, &conn, &a, &b, &copy] {
        assert!(!sock.get_inheritable().unwrap());
    }
}

/// After `set_inheritable(true)` a child inherits the socket; after `(false)` it does not.
#[test]
fn set_inheritable_lets_children_inherit() {
    let (a, _b) = socketpair().unwrap();
    let (server, _) = listener(AF_INET);
    for sock in [&a, &server] {
        sock.set_inheritable(true).unwrap();
        assert!(sock.get_inheritable().unwrap());
        assert!(inherited(sock), "after set_inheritable(true)");
        sock.set_inheritable(false).unwrap();
        assert!(!sock.get_inheritable().unwrap());
        assert!(!inherited(sock), "after set_inheritable(false)");
    }
}
