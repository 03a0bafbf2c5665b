//! Descriptor leaks: hundreds of cycles of every way a socket is made, used,
//! copied and closed, failures included, leave `/proc/self/fd` as it was.
//!
//! Everything runs in one test: another test of this binary running beside
//! it would move the count.

mod common;

use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::time::Duration;

use common::{fd_count, listener, tcp_pair, temp_dir, PROMPT};
use pysocket::{
    socketpair, socketpair_with, Error, Shutdown, SockType, Socket, AF_INET, AF_INET6, AF_UNIX,
    SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_LINGER,
};

const CYCLES: usize = 300;

/// Descriptors the runtime may open on its own (none are expected).
const SLACK: usize = 2;

/// Runs `cycle` once to warm up, then [`CYCLES`] times, and asserts that the
/// number of open descriptors is back to what it was before.
fn assert_no_leak(what: &str, mut cycle: impl FnMut()) {
    cycle();
    let before = fd_count();
    for _ in 0..CYCLES {
        cycle();
    }
    let after = fd_count();
    assert!(
        after <= before + SLACK,
        "{what}: {before} descriptors before {CYCLES} cycles, {after} after"
    );
}

/// A TCP port on 127.0.0.1 that is bound but not listening, so connections to
/// it are refused; the socket holds the port for as long as it lives.
fn refusing_port() -> (Socket, pysocket::Address) {
    let holder = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    holder.bind(("127.0.0.1", 0)).expect("bind");
    let addr = holder.getsockname().expect("getsockname");
    (holder, addr)
}

/// No socket made, used, copied, converted or closed, failures included, leaks a descriptor.
#[test]
fn no_descriptor_leaks() {
    assert_no_leak("Socket::new + close", || {
        for (family, kind) in [
            (AF_INET, SOCK_STREAM),
            (AF_INET6, SOCK_STREAM),
            (AF_INET, SOCK_DGRAM),
            (AF_UNIX, SOCK_STREAM),
            (AF_UNIX, SOCK_DGRAM),
        ] {
            Socket::new(family, kind)
                .expect("socket")
                .close()
                .expect("close");
            drop(Socket::new(family, kind).expect("socket"));
        }
    });

    let (server, addr) = listener(AF_INET);
    server.settimeout(Some(PROMPT)).expect("settimeout");
    assert_no_leak("TCP connect, accept, talk, close", || {
        let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        client.settimeout(Some(PROMPT)).expect("settimeout");
        client.connect(&addr).expect("connect");
        let (conn, _) = server.accept().expect("accept");
        client.sendall(b"ping").expect("sendall");
        assert_eq!(conn.recv(16).expect("recv"), b"ping");
        conn.close().expect("close");
        assert_eq!(client.recv(16).expect("recv"), b"");
        client.close().expect("close");
    });

    assert_no_leak("non-blocking connect, then accept", || {
        let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        client.setblocking(false).expect("setblocking");
        if let Err(err) = client.connect(&addr) {
            assert!(err.is_would_block(), "{err:?}");
        }
        let (conn, _) = server.accept().expect("accept");
        drop((client, conn));
    });

    let (server6, addr6) = listener(AF_INET6);
    server6.settimeout(Some(PROMPT)).expect("settimeout");
    assert_no_leak("TCP over ::1, dropped", || {
        let client = Socket::new(AF_INET6, SOCK_STREAM).expect("socket");
        client.connect(&addr6).expect("connect");
        let (conn, _) = server6.accept().expect("accept");
        drop(conn);
        drop(client);
    });

    assert_no_leak("socketpair + drop", || {
        let (a, b) = socketpair().expect("socketpair");
        a.sendall(b"x").expect("sendall");
        assert_eq!(b.recv(1).expect("recv"), b"x");
        drop((a, b));
        let (c, d) = socketpair_with(AF_UNIX, SOCK_DGRAM).expect("socketpair");
        drop((c, d));
        let (e, f) = socketpair_with(AF_UNIX, SockType::SEQPACKET).expect("socketpair");
        drop((e, f));
    });

    let (keep_a, keep_b) = socketpair().expect("socketpair");
    assert_no_leak("dup + close", || {
        let copy = keep_a.dup().expect("dup");
        copy.sendall(b"d").expect("sendall");
        copy.close().expect("close");
        drop(keep_b.dup().expect("dup"));
        assert_eq!(keep_b.recv(1).expect("recv"), b"d");
    });

    assert_no_leak("conversions: raw fd, OwnedFd, socket2, std", || {
        let sock = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        // SAFETY: the descriptor was just given up by `into_raw_fd` and nothing else owns it.
        let sock = unsafe { Socket::from_raw_fd(sock.into_raw_fd()) };
        let sock = Socket::from(OwnedFd::from(sock));
        let sock = Socket::from(socket2::Socket::from(sock));
        let (client, conn) = tcp_pair();
        let std_stream = TcpStream::from(client);
        drop(Socket::from(std_stream));
        drop(conn);
        let raw = Socket::new(AF_INET, SOCK_STREAM).expect("socket").detach();
        // SAFETY: `detach` gave up `raw` without closing it; this takes it back.
        drop(unsafe { OwnedFd::from_raw_fd(raw) });
        drop(sock);
    });

    assert_no_leak("makefile use", || {
        let (a, b) = socketpair().expect("socketpair");
        b.settimeout(Some(PROMPT)).expect("settimeout");
        let mut writer = a.makefile();
        writer.write_all(b"line\n").expect("write_all");
        drop(writer);
        let mut reader = b.makefile();
        let mut line = String::new();
        reader.read_line(&mut line).expect("read_line");
        assert_eq!(line, "line\n");
        // A read that times out with nothing buffered.
        b.settimeout(Some(Duration::from_millis(1)))
            .expect("settimeout");
        let err = reader.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(reader);
        drop((a, b));
    });

    let (refusing, refused_addr) = refusing_port();
    assert_no_leak("connect refused", || {
        let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        let err = client.connect(&refused_addr).unwrap_err();
        assert_eq!(err.errno(), Some(libc::ECONNREFUSED), "{err}");
        drop(client);
        let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        assert_eq!(
            client.connect_ex(&refused_addr).expect("connect_ex"),
            libc::ECONNREFUSED
        );
        client.settimeout(Some(PROMPT)).expect("settimeout");
        let err = client.connect(&refused_addr).unwrap_err();
        assert_eq!(err.errno(), Some(libc::ECONNREFUSED), "{err}");
        client.close().expect("close");
    });

    assert_no_leak("bind to an address in use", || {
        let sock = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        let err = sock.bind(&addr).unwrap_err();
        assert_eq!(err.errno(), Some(libc::EADDRINUSE), "{err}");
    });

    let dir = temp_dir();
    let path = dir.path().join("in-use.sock");
    let unix_server = Socket::new(AF_UNIX, SOCK_STREAM).expect("socket");
    unix_server.bind(path.as_path()).expect("bind");
    unix_server.listen(4).expect("listen");
    assert_no_leak(
        "AF_UNIX bind to a path in use, connect to a missing one",
        || {
            let sock = Socket::new(AF_UNIX, SOCK_STREAM).expect("socket");
            let err = sock.bind(path.as_path()).unwrap_err();
            assert_eq!(err.errno(), Some(libc::EADDRINUSE), "{err}");
            let err = sock.connect(dir.path().join("missing.sock")).unwrap_err();
            assert_eq!(err.errno(), Some(libc::ENOENT), "{err}");
        },
    );

    assert_no_leak("bad address arguments", || {
        let sock = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        for err in [
            sock.connect("not an address").unwrap_err(),
            sock.connect("127.0.0.1:99999").unwrap_err(),
            sock.connect(("::1", 80)).unwrap_err(),
            sock.bind(path.as_path()).unwrap_err(),
        ] {
            assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        }
        let unix = Socket::new(AF_UNIX, SOCK_STREAM).expect("socket");
        let err = unix.connect(("127.0.0.1", 80)).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let too_long = "x".repeat(200);
        let err = unix.bind(too_long.as_str()).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let err = Socket::new(pysocket::Family::from(12345), SOCK_STREAM).unwrap_err();
        assert!(err.errno().is_some(), "{err:?}");
        let err = sock.recv(usize::MAX).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    });

    let (idle, _) = listener(AF_INET);
    idle.settimeout(Some(Duration::from_millis(1)))
        .expect("settimeout");
    assert_no_leak("accept timing out", || {
        let err = idle.accept().unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
    });
    idle.setblocking(false).expect("setblocking");
    assert_no_leak("accept would block", || {
        let err = idle.accept().unwrap_err();
        assert!(err.is_would_block(), "{err:?}");
    });

    // struct linger { l_onoff: 1, l_linger: 0 }: close sends a reset.
    let abort = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat();
    assert_no_leak("recv and send on a reset connection", || {
        let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
        client.connect(&addr).expect("connect");
        let (conn, _) = server.accept().expect("accept");
        conn.settimeout(Some(PROMPT)).expect("settimeout");
        client
            .setsockopt(SOL_SOCKET, SO_LINGER, &abort)
            .expect("SO_LINGER");
        client.close().expect("close");
        let err = conn.recv(16).unwrap_err();
        assert_eq!(err.errno(), Some(libc::ECONNRESET), "{err}");
        let err = conn.sendall(b"too late").unwrap_err();
        assert!(err.errno().is_some(), "{err:?}");
        drop(conn);
    });

    assert_no_leak("send after the peer closed, shutdown twice", || {
        let (a, b) = socketpair().expect("socketpair");
        drop(b);
        let err = a.sendall(b"nobody").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        a.shutdown(Shutdown::Both).expect("shutdown");
        let _ = a.shutdown(Shutdown::Both);
        let mut file = a.makefile();
        file.write_all(b"lost").expect("buffered");
        assert_eq!(file.flush().unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        drop(file);
    });

    drop((server, server6, keep_a, keep_b, refusing, unix_server, idle));
}
