//! TCP over loopback, on 127.0.0.1 and ::1: the connection's lifecycle, its
//! data, and the calls around them, as a Python programmer relies on them.

mod common;

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::data::payload;
use common::{assert_child_passes, fd_nonblocking, is_child, listener, tcp_pair_of, PROMPT};
use pysocket::{
    Address, Error, Family, MsgFlags, Protocol, Shutdown, Socket, AF_INET, AF_INET6, MSG_PEEK,
    MSG_WAITALL, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_TYPE,
};

const FAMILIES: [Family; 2] = [AF_INET, AF_INET6];

fn loopback(family: Family) -> IpAddr {
    if family == AF_INET6 {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
}

/// Keeps a blocking socket from hanging a failing test: the kernel gives up on
/// a receive or send after a generous bound (the call then fails).
fn guard(sock: &Socket) {
    let inner = sock.as_socket2();
    inner
        .set_read_timeout(Some(PROMPT * 3))
        .expect("SO_RCVTIMEO");
    inner
        .set_write_timeout(Some(PROMPT * 3))
        .expect("SO_SNDTIMEO");
}

/// A connected pair on the loopback of `family`, both ends guarded.
fn pair(family: Family) -> (Socket, Socket) {
    let (client, conn) = tcp_pair_of(family);
    guard(&client);
    guard(&conn);
    (client, conn)
}

/// Receives exactly `n` bytes, or fewer if the stream ends first.
fn recv_exactly(sock: &Socket, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let limit = Instant::now() + PROMPT * 3;
    while out.len() < n {
        assert!(
            Instant::now() < limit,
            "recv_exactly: {} of {n} bytes in time",
            out.len()
        );
        let chunk = sock.recv(n - out.len()).expect("recv");
        if chunk.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    out
}

fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only asks whether the descriptor exists.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Sends to a peer that has closed until the kernel reports the broken
/// connection, and returns that error.
fn send_until_error(sock: &Socket) -> Error {
    for _ in 0..500 {
        match sock.send(b"are you there?") {
            Ok(_) => thread::sleep(Duration::from_millis(5)),
            Err(err) => return err,
        }
    }
    panic!("sends to a closed peer kept succeeding");
}

fn is_broken_connection(err: &Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    ) && matches!(err.errno(), Some(libc::EPIPE | libc::ECONNRESET))
}

/// The two ends of a connection agree: the client's local address is the
/// server's peer address and back, on the family's loopback address.
#[test]
fn both_ends_agree_on_addresses() {
    for family in FAMILIES {
        let (server, addr) = listener(family);
        let client = Socket::new(family, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        let (conn, peer) = server.accept().unwrap();

        assert_eq!(addr.ip(), Some(loopback(family)));
        assert_ne!(addr.port(), Some(0), "port 0 was given a real port");
        assert_eq!(addr.family(), family);
        assert_eq!(peer, client.getsockname().unwrap(), "{family}");
        assert_eq!(conn.getpeername().unwrap(), peer, "{family}");
        assert_eq!(client.getpeername().unwrap(), addr, "{family}");
        assert_eq!(conn.getsockname().unwrap(), addr, "{family}");
        assert_eq!(
            server.getpeername().unwrap_err().errno(),
            Some(libc::ENOTCONN),
            "a listener has no peer"
        );
    }
}

/// send() reports the bytes it sent and recv() returns them, in both directions.
#[test]
fn send_and_recv_in_both_directions() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        assert_eq!(client.send(b"hello").unwrap(), 5);
        assert_eq!(recv_exactly(&conn, 5), b"hello", "{family}");
        assert_eq!(conn.send(b"world!").unwrap(), 6);
        assert_eq!(recv_exactly(&client, 6), b"world!", "{family}");
        conn.sendall(b"abc").unwrap();
        assert_eq!(recv_exactly(&client, 3), b"abc", "{family}");
    }
}

/// recv() never returns more than bufsize bytes; the rest waits for the next call.
#[test]
fn recv_returns_at_most_bufsize() {
    let (client, conn) = pair(AF_INET);
    client.sendall(b"0123456789").unwrap();
    // Peek until everything has arrived, so the first recv has all ten bytes to choose from.
    let limit = Instant::now() + PROMPT;
    while conn.recv_with_flags(10, MSG_PEEK).unwrap().len() < 10 {
        assert!(Instant::now() < limit, "ten bytes never arrived");
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(conn.recv(4).unwrap(), b"0123");
    assert_eq!(recv_exactly(&conn, 6), b"456789");
}

/// recv_into() writes the received bytes at the front of the buffer, returns
/// their count, and leaves the rest of the buffer alone; an empty buffer returns 0 at once.
#[test]
fn recv_into_fills_the_front_of_the_buffer() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        client.sendall(b"0123456789").unwrap();
        let mut small = [0u8; 4];
        assert_eq!(conn.recv_into(&mut small).unwrap(), 4);
        assert_eq!(&small, b"0123");

        let mut rest = Vec::new();
        let limit = Instant::now() + PROMPT;
        while rest.len() < 6 {
            assert!(Instant::now() < limit, "the last six bytes never arrived");
            let mut buf = [0xAAu8; 64];
            let n = conn.recv_into(&mut buf).unwrap();
            assert!(n > 0 && n <= 6 - rest.len(), "{n} bytes");
            assert!(
                buf[n..].iter().all(|&b| b == 0xAA),
                "bytes past the count were touched"
            );
            rest.extend_from_slice(&buf[..n]);
        }
        assert_eq!(rest, b"456789");

        // Nothing is pending and the socket blocks, yet an empty buffer returns at once.
        let started = Instant::now();
        assert_eq!(conn.recv_into(&mut []).unwrap(), 0);
        assert!(conn.recv(0).unwrap().is_empty());
        assert!(started.elapsed() < PROMPT);
    }
}

/// recv_with_flags(MSG_PEEK) shows the data without consuming it.
#[test]
fn msg_peek_leaves_the_data_queued() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        client.sendall(b"peekaboo").unwrap();
        let limit = Instant::now() + PROMPT;
        let peeked = loop {
            let peeked = conn.recv_with_flags(64, MSG_PEEK).unwrap();
            if peeked.len() == 8 || Instant::now() > limit {
                break peeked;
            }
            thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(peeked, b"peekaboo", "{family}");
        assert_eq!(conn.recv_with_flags(4, MSG_PEEK).unwrap(), b"peek");
        assert_eq!(
            conn.recv(8).unwrap(),
            b"peekaboo",
            "the peeks consumed nothing"
        );
        conn.setblocking(false).unwrap();
        let err = conn.recv(8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "nothing left: {err}");
    }
}

/// recv_with_flags(MSG_WAITALL) returns the whole request even when it arrives
/// in pieces with pauses between them.
#[test]
fn msg_waitall_waits_for_the_whole_request() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        let data = payload(4 * 1000, 7);
        let sender = thread::spawn({
            let data = data.clone();
            move || {
                for piece in data.chunks(1000) {
                    client.sendall(piece).unwrap();
                    thread::sleep(Duration::from_millis(50));
                }
                client
            }
        });
        let got = conn.recv_with_flags(data.len(), MSG_WAITALL).unwrap();
        let _client = sender.join().unwrap();
        assert_eq!(got.len(), data.len(), "{family}: one call, every piece");
        assert_eq!(got, data);
    }
}

/// A large payload sent with one sendall() arrives complete and byte-exact.
#[test]
fn large_payload_through_sendall_is_byte_exact() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        let data = payload(8 << 20, 42);
        let sender = thread::spawn({
            let data = data.clone();
            move || {
                client.sendall(&data).unwrap();
                client.close().unwrap();
            }
        });
        let got = recv_exactly(&conn, data.len() + 1);
        sender.join().unwrap();
        assert_eq!(got.len(), data.len(), "{family}: every byte, then the end");
        assert!(got == data, "{family}: the bytes differ");
        assert!(conn.recv(16).unwrap().is_empty(), "the stream stays ended");
    }
}

/// shutdown(SHUT_WR) ends the stream for the peer (its recv returns empty)
/// while data still flows the other way; a later send on the shut side fails.
#[test]
fn shutdown_write_half_closes_the_connection() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        client.sendall(b"last words").unwrap();
        client.shutdown(SHUT_WR).unwrap();
        assert_eq!(recv_exactly(&conn, 64), b"last words", "{family}");
        assert!(conn.recv(64).unwrap().is_empty(), "end of stream");
        assert!(conn.recv(64).unwrap().is_empty(), "still the end of stream");

        conn.sendall(b"still here").unwrap();
        assert_eq!(recv_exactly(&client, 10), b"still here", "{family}");

        let err = client.send(b"too late").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        assert_eq!(err.errno(), Some(libc::EPIPE));
    }
}

/// close() returns Ok, and the peer then reads the end of the stream.
#[test]
fn close_is_ok_and_the_peer_sees_eof() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        client.sendall(b"bye").unwrap();
        client.close().unwrap();
        assert_eq!(recv_exactly(&conn, 3), b"bye");
        assert!(conn.recv(64).unwrap().is_empty(), "{family}: end of stream");
        conn.close().unwrap();
    }
}

/// Writing to a connection the peer closed is an error of kind BrokenPipe or
/// ConnectionReset, for send and for sendall.
#[test]
fn write_to_a_closed_peer_is_an_error() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        drop(conn);
        let err = send_until_error(&client);
        assert!(is_broken_connection(&err), "{family}: {err:?}");
        let err = client.sendall(&payload(1 << 16, 3)).unwrap_err();
        assert!(is_broken_connection(&err), "{family}: {err:?}");
    }
}

/// In a process whose SIGPIPE is the default (death), every send path on a
/// broken connection returns EPIPE instead of killing the process. (The test
/// harness ignores SIGPIPE, so only a child with the default disposition proves it.)
#[test]
fn sends_to_a_closed_peer_never_raise_sigpipe() {
    const TEST: &str = "sends_to_a_closed_peer_never_raise_sigpipe";
    const MARK: &str = "sigpipe child: every send returned EPIPE";
    if is_child(TEST) {
        // SAFETY: restoring the default disposition is always valid; this
        // child process runs this one test only.
        assert_ne!(
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) },
            libc::SIG_ERR
        );
        let (client, conn) = pair(AF_INET);
        let peer = client.getpeername().unwrap();
        drop(conn);
        send_until_error(&client);
        // The connection is now closed: each call below gets EPIPE, and would
        // raise SIGPIPE without MSG_NOSIGNAL.
        let epipe = |what: &str, err: Error| {
            assert_eq!(err.errno(), Some(libc::EPIPE), "{what}: {err:?}");
        };
        epipe("send", client.send(b"x").unwrap_err());
        epipe("sendall", client.sendall(b"x").unwrap_err());
        epipe(
            "send_with_flags",
            client.send_with_flags(b"x", MsgFlags::empty()).unwrap_err(),
        );
        epipe("sendto", client.sendto(b"x", &peer).unwrap_err());
        let err = (&client).write_all(b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "write_all: {err:?}");
        let mut file = client.makefile();
        file.write_all(b"x").unwrap();
        let err = file.flush().unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EPIPE),
            "makefile flush: {err:?}"
        );
        drop(file);
        client.settimeout(Some(PROMPT)).unwrap();
        epipe("send in timeout mode", client.send(b"x").unwrap_err());
        println!("{MARK}");
        return;
    }
    assert_child_passes(TEST, MARK);
}

/// connect() to a port nobody listens on fails with ECONNREFUSED, and
/// connect_ex() returns ECONNREFUSED, in blocking and in timeout mode.
#[test]
fn connect_to_a_closed_port_is_refused() {
    for family in FAMILIES {
        // Bound but not listening: the port stays ours and refuses connections.
        let closed = Socket::new(family, SOCK_STREAM).unwrap();
        closed.bind((loopback(family), 0)).unwrap();
        let addr = closed.getsockname().unwrap();

        let client = Socket::new(family, SOCK_STREAM).unwrap();
        let err = client.connect(&addr).unwrap_err();
        assert_eq!(err.errno(), Some(libc::ECONNREFUSED), "{family}: {err:?}");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

        let client = Socket::new(family, SOCK_STREAM).unwrap();
        assert_eq!(client.connect_ex(&addr).unwrap(), libc::ECONNREFUSED);

        let timed = Socket::new(family, SOCK_STREAM).unwrap();
        timed.settimeout(Some(PROMPT)).unwrap();
        assert_eq!(timed.connect_ex(&addr).unwrap(), libc::ECONNREFUSED);
        let timed = Socket::new(family, SOCK_STREAM).unwrap();
        timed.settimeout(Some(PROMPT)).unwrap();
        let err = timed.connect(&addr).unwrap_err();
        assert_eq!(
            err.errno(),
            Some(libc::ECONNREFUSED),
            "{family} timeout mode: {err:?}"
        );
    }
}

/// connect_ex() returns 0 when the connection is made, in blocking and in
/// timeout mode, and the connection works.
#[test]
fn connect_ex_returns_zero_on_success() {
    for family in FAMILIES {
        for timeout in [None, Some(PROMPT)] {
            let (server, addr) = listener(family);
            let client = Socket::new(family, SOCK_STREAM).unwrap();
            client.settimeout(timeout).unwrap();
            assert_eq!(client.connect_ex(&addr).unwrap(), 0, "{family} {timeout:?}");
            let (conn, peer) = server.accept().unwrap();
            assert_eq!(peer, client.getsockname().unwrap());
            client.sendall(b"ok").unwrap();
            guard(&conn);
            assert_eq!(recv_exactly(&conn, 2), b"ok");
        }
    }
}

/// Sockets are close-on-exec: a listener, a client and an accepted socket are
/// not inheritable, and set_inheritable() changes that.
#[test]
fn sockets_are_not_inheritable() {
    for family in FAMILIES {
        let (server, addr) = listener(family);
        let client = Socket::new(family, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        let (conn, _) = server.accept().unwrap();
        assert!(!server.get_inheritable().unwrap(), "{family} listener");
        assert!(!client.get_inheritable().unwrap(), "{family} client");
        assert!(!conn.get_inheritable().unwrap(), "{family} accepted");
        conn.set_inheritable(true).unwrap();
        assert!(conn.get_inheritable().unwrap());
        conn.set_inheritable(false).unwrap();
        assert!(!conn.get_inheritable().unwrap());
    }
}

/// An accepted socket is blocking (timeout None) whatever the listener's mode:
/// non-blocking or timeout mode.
#[test]
fn accepted_socket_is_blocking_whatever_the_listener() {
    for family in FAMILIES {
        for mode in [Some(Duration::ZERO), Some(PROMPT)] {
            let (server, addr) = listener(family);
            server.settimeout(mode).unwrap();
            let client = Socket::new(family, SOCK_STREAM).unwrap();
            client.connect(&addr).unwrap();
            let limit = Instant::now() + PROMPT;
            let conn = loop {
                match server.accept() {
                    Ok((conn, _)) => break conn,
                    Err(err) if err.is_would_block() && Instant::now() < limit => {
                        thread::sleep(Duration::from_millis(1));
                    }
                    Err(err) => panic!("accept: {err:?}"),
                }
            };
            assert_eq!(conn.gettimeout(), None, "{family}, listener {mode:?}");
            assert!(conn.getblocking());
            assert!(!fd_nonblocking(&conn), "the descriptor is blocking");
            assert_eq!(server.gettimeout(), mode, "the listener keeps its mode");

            // A receive with nothing to read waits (here until the user's
            // SO_RCVTIMEO, which ends it as in CPython) instead of failing at
            // once.
            let timeval = [
                (0 as libc::time_t).to_ne_bytes(),
                (300_000 as libc::suseconds_t).to_ne_bytes(),
            ]
            .concat();
            conn.setsockopt(libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeval)
                .unwrap();
            let started = Instant::now();
            let err = conn.recv(8).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{err:?}");
            assert!(
                started.elapsed() >= Duration::from_millis(150),
                "recv did not wait"
            );
        }
    }
}

/// listen(-1) is accepted (clamped to 0, as in CPython) and the socket takes connections.
#[test]
fn listen_with_a_negative_backlog_still_listens() {
    for family in FAMILIES {
        let server = Socket::new(family, SOCK_STREAM).unwrap();
        server.bind((loopback(family), 0)).unwrap();
        server.listen(-1).unwrap();
        assert_eq!(server.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 1);
        let client = Socket::new(family, SOCK_STREAM).unwrap();
        client.settimeout(Some(PROMPT)).unwrap();
        client.connect(server.getsockname().unwrap()).unwrap();
        let (conn, peer) = server.accept().unwrap();
        assert_eq!(peer, client.getsockname().unwrap());
        client.sendall(b"in").unwrap();
        guard(&conn);
        assert_eq!(recv_exactly(&conn, 2), b"in");
    }
}

/// family(), kind() and proto() report what the socket was made with, and an
/// accepted socket has its listener's family and type.
#[test]
fn family_kind_and_proto() {
    for family in FAMILIES {
        let plain = Socket::new(family, SOCK_STREAM).unwrap();
        assert_eq!(plain.family(), family);
        assert_eq!(plain.kind(), SOCK_STREAM);
        assert_eq!(plain.proto(), Protocol::DEFAULT);
        assert_eq!(i32::from(plain.proto()), 0);
        assert_eq!(
            plain.getsockopt(SOL_SOCKET, SO_TYPE).unwrap(),
            i32::from(SOCK_STREAM)
        );

        let tcp = Socket::with_protocol(family, SOCK_STREAM, Protocol::TCP).unwrap();
        assert_eq!(tcp.proto(), Protocol::TCP);
        assert_eq!(i32::from(tcp.proto()), libc::IPPROTO_TCP);

        let (server, addr) = listener(family);
        let client = Socket::new(family, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        let (conn, _) = server.accept().unwrap();
        assert_eq!((conn.family(), conn.kind()), (family, SOCK_STREAM));
    }
}

/// On Linux, SOCK_NONBLOCK in the type gives a non-blocking socket whose kind()
/// is plain SOCK_STREAM, as Python's `sock.type`.
#[cfg(target_os = "linux")]
#[test]
fn sock_nonblock_flag_is_a_mode_not_a_type() {
    use pysocket::SockType;
    let kind = SockType::from(i32::from(SOCK_STREAM) | libc::SOCK_NONBLOCK);
    let sock = Socket::new(AF_INET, kind).unwrap();
    assert_eq!(sock.kind(), SOCK_STREAM);
    assert_eq!(sock.gettimeout(), Some(Duration::ZERO));
    assert!(fd_nonblocking(&sock));
    assert!(!sock.get_inheritable().unwrap());
}

/// dup() gives a second socket on the same connection with the same timeout;
/// the connection stays open until both are closed.
#[test]
fn dup_shares_the_connection_and_the_timeout() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        conn.settimeout(Some(Duration::from_secs(7))).unwrap();
        let copy = conn.dup().unwrap();
        assert_ne!(copy.fileno(), conn.fileno());
        assert_eq!(copy.gettimeout(), Some(Duration::from_secs(7)));
        assert_eq!((copy.family(), copy.kind()), (conn.family(), conn.kind()));
        assert_eq!(copy.getsockname().unwrap(), conn.getsockname().unwrap());
        assert_eq!(copy.getpeername().unwrap(), conn.getpeername().unwrap());
        assert!(!copy.get_inheritable().unwrap(), "dup is close-on-exec");

        copy.sendall(b"from the copy").unwrap();
        assert_eq!(recv_exactly(&client, 13), b"from the copy");
        client.sendall(b"to either").unwrap();
        assert_eq!(recv_exactly(&conn, 9), b"to either");

        conn.close().unwrap();
        copy.sendall(b"still open").unwrap();
        assert_eq!(recv_exactly(&client, 10), b"still open", "{family}");
        client.sendall(b"ping").unwrap();
        assert_eq!(recv_exactly(&copy, 4), b"ping");

        copy.close().unwrap();
        assert!(client.recv(16).unwrap().is_empty(), "closed once both are");
    }
}

/// detach() gives up the descriptor without closing it; wrapped again with
/// FromRawFd it is a working socket whose family, type and protocol read back.
#[test]
fn detach_keeps_the_descriptor_open() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        let fd = client.fileno();
        assert_eq!(client.detach(), fd);
        assert!(is_open(fd), "detach closed the descriptor");
        // SAFETY: `fd` is the open socket detach() gave up; nothing else owns it.
        let again = unsafe { Socket::from_raw_fd(fd) };
        assert_eq!(again.as_raw_fd(), fd);
        assert_eq!(again.family(), family);
        assert_eq!(again.kind(), SOCK_STREAM);
        assert_eq!(again.proto(), Protocol::TCP);
        assert_eq!(again.getpeername().unwrap(), conn.getsockname().unwrap());
        again.sendall(b"reborn").unwrap();
        assert_eq!(recv_exactly(&conn, 6), b"reborn", "{family}");
        again.close().unwrap();
        assert!(
            conn.recv(8).unwrap().is_empty(),
            "closing the adopted socket ends the stream"
        );
    }
}

/// One `Arc<Socket>` serves a sending thread and a receiving thread at once:
/// a full-duplex exchange larger than the socket buffers completes.
#[test]
fn one_socket_shared_by_a_sender_and_a_receiver_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Socket>();
    assert_send_sync::<Arc<Socket>>();

    for family in FAMILIES {
        let (client, conn) = pair(family);
        let client = Arc::new(client);
        let conn = Arc::new(conn);
        let up = payload(4 << 20, 11);
        let down = payload(4 << 20, 13);
        let start = Arc::new(Barrier::new(4));

        let spawn_sender = |sock: &Arc<Socket>, data: &Vec<u8>| {
            let (sock, data, start) = (Arc::clone(sock), data.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                sock.sendall(&data).unwrap();
                sock.shutdown(SHUT_WR).unwrap();
                Vec::new()
            })
        };
        let spawn_receiver = |sock: &Arc<Socket>, len: usize| {
            let (sock, start) = (Arc::clone(sock), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                recv_exactly(&sock, len + 1)
            })
        };
        let threads = [
            spawn_sender(&client, &up),
            spawn_receiver(&client, down.len()),
            spawn_sender(&conn, &down),
            spawn_receiver(&conn, up.len()),
        ];
        let results: Vec<Vec<u8>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(
            results[1] == down,
            "{family}: client received {} bytes",
            results[1].len()
        );
        assert!(
            results[3] == up,
            "{family}: server received {} bytes",
            results[3].len()
        );
    }
}

/// Read and Write for `Socket` and `&Socket` work with std's tools:
/// `io::copy` both ways, `write_all`, `read_exact` and `read_to_end`.
#[test]
fn std_io_traits_for_socket_and_its_reference() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        let data = payload(1 << 20, 5);
        let reply = payload(3000, 9);
        let sender = thread::spawn({
            let data = data.clone();
            move || {
                let copied = io::copy(&mut &data[..], &mut &client).unwrap();
                assert_eq!(copied, data.len() as u64);
                (&client).flush().unwrap();
                client.shutdown(SHUT_WR).unwrap();
                let mut client = client;
                let mut head = [0u8; 10];
                client.read_exact(&mut head).unwrap();
                let mut back = head.to_vec();
                client.read_to_end(&mut back).unwrap();
                back
            }
        });
        let mut got = Vec::new();
        let copied = io::copy(&mut &conn, &mut got).unwrap();
        assert_eq!(copied, data.len() as u64, "{family}");
        assert!(got == data, "{family}: the copied bytes differ");

        let mut conn = conn;
        conn.write_all(&reply).unwrap();
        conn.flush().unwrap();
        let mut tail = Vec::new();
        assert_eq!(
            (&conn).read_to_end(&mut tail).unwrap(),
            0,
            "already at the end"
        );
        drop(conn);
        assert_eq!(sender.join().unwrap(), reply, "{family}");
    }
}

/// The Address of a TCP peer is the right variant for the family, and converts
/// to the std SocketAddr that std's own sockets report.
#[test]
fn addresses_match_std() {
    for family in FAMILIES {
        let (client, conn) = pair(family);
        let local = client.getsockname().unwrap();
        match (&local, family) {
            (Address::Inet(_), AF_INET) | (Address::Inet6(_), AF_INET6) => {}
            other => panic!("wrong address variant: {other:?}"),
        }
        let std_client = std::net::TcpStream::from(client);
        assert_eq!(
            Some(std_client.local_addr().unwrap()),
            local.as_socket_addr()
        );
        assert_eq!(
            Some(std_client.peer_addr().unwrap()),
            conn.getsockname().unwrap().as_socket_addr()
        );
    }
}

/// connect_ex() on a socket that is already connected returns EISCONN instead
/// of failing, in blocking and in timeout mode.
#[test]
fn connect_ex_on_a_connected_socket_is_eisconn() {
    for family in FAMILIES {
        for timeout in [None, Some(PROMPT)] {
            let (server, addr) = listener(family);
            let client = Socket::new(family, SOCK_STREAM).unwrap();
            client.settimeout(timeout).unwrap();
            client.connect(&addr).unwrap();
            // After a connect that waited in user space (timeout mode), Linux
            // answers the next connect() with 0 as it marks the socket
            // connected; CPython shows the same 0, then EISCONN.
            let first = client.connect_ex(&addr).unwrap();
            let expected = if timeout.is_some() {
                [0, libc::EISCONN]
            } else {
                [libc::EISCONN; 2]
            };
            assert!(expected.contains(&first), "{family} {timeout:?}: {first}");
            assert_eq!(
                client.connect_ex(&addr).unwrap(),
                libc::EISCONN,
                "{family} {timeout:?}"
            );
            let err = client.connect(&addr).unwrap_err();
            assert_eq!(err.errno(), Some(libc::EISCONN));
            drop(server);
        }
    }
}

/// shutdown() from another thread wakes a thread blocked in recv (which then
/// reads the end of the stream) or in accept (which then fails), in blocking
/// and in timeout mode.
#[test]
fn shutdown_wakes_blocked_recv_and_accept() {
    for timeout in [None, Some(PROMPT * 3)] {
        let (_client, conn) = pair(AF_INET);
        conn.settimeout(timeout).unwrap();
        let conn = Arc::new(conn);
        let reader = thread::spawn({
            let conn = Arc::clone(&conn);
            move || {
                let started = Instant::now();
                (conn.recv(64), started.elapsed())
            }
        });
        thread::sleep(Duration::from_millis(100));
        conn.shutdown(Shutdown::Read).unwrap();
        let (got, waited) = reader.join().unwrap();
        assert_eq!(got.unwrap(), b"", "{timeout:?}: the end of the stream");
        assert!(waited < PROMPT, "recv woke only after {waited:?}");

        let (server, _) = listener(AF_INET);
        guard(&server);
        server.settimeout(timeout).unwrap();
        let server = Arc::new(server);
        let acceptor = thread::spawn({
            let server = Arc::clone(&server);
            move || {
                let started = Instant::now();
                (server.accept().map(|_| ()), started.elapsed())
            }
        });
        thread::sleep(Duration::from_millis(100));
        server.shutdown(Shutdown::Both).unwrap();
        let (got, waited) = acceptor.join().unwrap();
        let err = got.unwrap_err();
        assert!(
            err.errno().is_some(),
            "{timeout:?}: an OS error, got {err:?}"
        );
        assert!(waited < PROMPT, "accept woke only after {waited:?}");
    }
}

/// recv_with_flags(MSG_TRUNC) on TCP, where Linux discards the data without
/// copying it, returns zeros, never leftover memory; the data is gone.
#[cfg(target_os = "linux")]
#[test]
fn msg_trunc_on_tcp_never_returns_uninitialised_memory() {
    use pysocket::MSG_TRUNC;
    let (client, conn) = pair(AF_INET);
    for round in 0..4 {
        client.sendall(&[0x11; 4096]).unwrap();
        let limit = Instant::now() + PROMPT;
        while conn.recv_with_flags(4096, MSG_PEEK).unwrap().len() < 4096 {
            assert!(Instant::now() < limit, "the data never arrived");
            thread::sleep(Duration::from_millis(1));
        }
        // Leave a recognisable block for the allocator to hand out again.
        drop(std::hint::black_box(vec![0xABu8; 4096]));
        let got = if round % 2 == 0 {
            conn.recv_with_flags(4096, MSG_TRUNC).unwrap()
        } else {
            conn.recvfrom_with_flags(4096, MSG_TRUNC).unwrap().0
        };
        assert_eq!(got.len(), 4096);
        assert!(
            got.iter().all(|&b| b == 0),
            "round {round}: bytes the kernel never wrote"
        );
        conn.setblocking(false).unwrap();
        assert!(
            conn.recv(16).unwrap_err().is_would_block(),
            "the data was discarded"
        );
        conn.setblocking(true).unwrap();
    }
}
