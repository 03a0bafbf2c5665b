//! `setdefaulttimeout`: the timeout of sockets created afterwards.
//!
//! The default timeout is process-global, so this binary holds one test only
//! and restores `None` at the end: nothing else can run beside it.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::{
    assert_timed_out, assert_timeout_descriptor, fd_nonblocking, listener, with_watchdog,
    RestoreDefault, PROMPT,
};
use pysocket::{getdefaulttimeout, setdefaulttimeout, socketpair, Socket, AF_INET, SOCK_STREAM};

/// Checks that `sock` is in timeout mode with `timeout` and that a `recv` with
/// nothing to read times out after about that long.
fn assert_times_out(what: &str, sock: &Socket, timeout: Duration) {
    assert_eq!(sock.gettimeout(), Some(timeout), "{what}: gettimeout");
    assert!(sock.getblocking(), "{what}: getblocking");
    assert_timeout_descriptor(sock, timeout);
    let start = Instant::now();
    let result = with_watchdog(sock, PROMPT, || sock.recv(16));
    assert_timed_out(
        what,
        &result,
        timeout,
        start.elapsed(),
        Duration::from_secs(3),
    );
}

/// Checks that `sock` is in non-blocking mode and `recv` would block.
fn assert_nonblocking(what: &str, sock: &Socket) {
    assert_eq!(
        sock.gettimeout(),
        Some(Duration::ZERO),
        "{what}: gettimeout"
    );
    assert!(!sock.getblocking(), "{what}: getblocking");
    assert!(fd_nonblocking(sock), "{what}: O_NONBLOCK");
    let err = sock.recv(16).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::WouldBlock,
        "{what}: recv gave {err:?}"
    );
}

/// Checks that `sock` is in blocking mode.
fn assert_blocking(what: &str, sock: &Socket) {
    assert_eq!(sock.gettimeout(), None, "{what}: gettimeout");
    assert!(sock.getblocking(), "{what}: getblocking");
    assert!(!fd_nonblocking(sock), "{what}: O_NONBLOCK");
}

/// Connects a fresh client to `addr` and accepts it on `server`.
fn accepted(server: &Socket, addr: &pysocket::Address) -> (Socket, Socket) {
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.settimeout(Some(PROMPT)).unwrap();
    client.connect(addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    (client, conn)
}

/// `setdefaulttimeout` sets the mode of sockets made afterwards (`new`, `accept`, `socketpair`).
#[test]
fn default_timeout_applies_to_sockets_created_afterwards() {
    let _restore = RestoreDefault;
    assert_eq!(getdefaulttimeout(), None);
    let (server, addr) = listener(AF_INET);
    server.settimeout(Some(PROMPT)).unwrap();
    // Made before any default is set: it must keep blocking mode throughout.
    let (existing, _) = socketpair().unwrap();

    let timeout = Duration::from_millis(250);
    setdefaulttimeout(Some(timeout));
    assert_eq!(getdefaulttimeout(), Some(timeout));
    let fresh = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    assert_eq!(fresh.gettimeout(), Some(timeout));
    assert_timeout_descriptor(&fresh, timeout);
    let (client, conn) = accepted(&server, &addr);
    assert_times_out("accepted with a default timeout", &conn, timeout);
    let first_made = socketpair().unwrap();
    assert_times_out("socketpair end a", &first_made.0, timeout);
    assert_times_out("socketpair end b", &first_made.1, timeout);
    assert_blocking("a socket from before", &existing);
    assert_blocking("a dup of a socket from before", &existing.dup().unwrap());
    drop((client, conn));

    setdefaulttimeout(Some(Duration::ZERO));
    assert_eq!(getdefaulttimeout(), Some(Duration::ZERO));
    assert_eq!(
        Socket::new(AF_INET, SOCK_STREAM).unwrap().gettimeout(),
        Some(Duration::ZERO)
    );
    let (_client, conn) = accepted(&server, &addr);
    assert_nonblocking("accepted with a zero default", &conn);
    let zero_made = socketpair().unwrap();
    assert_nonblocking("socketpair end a", &zero_made.0);
    assert_nonblocking("socketpair end b", &zero_made.1);
    assert_times_out(
        "a socket made under the first default",
        &first_made.0,
        timeout,
    );

    setdefaulttimeout(None);
    assert_eq!(getdefaulttimeout(), None);
    assert_blocking("new", &Socket::new(AF_INET, SOCK_STREAM).unwrap());
    let (_client, conn) = accepted(&server, &addr);
    assert_blocking("accepted from a timeout-mode listener", &conn);
    let (a, b) = socketpair().unwrap();
    assert_blocking("socketpair end a", &a);
    assert_blocking("socketpair end b", &b);
    assert_nonblocking("a socket made under the zero default", &zero_made.0);
}
