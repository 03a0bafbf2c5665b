//! AF_UNIX sockets: file system paths, Linux's abstract namespace, datagrams,
//! seqpacket records, socketpair, autobind, and the errors of bad Unix addresses.

mod common;

use std::ffi::OsStr;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pysocket::{
    socketpair, socketpair_with, Address, Error, Shutdown, SockType, Socket, UnixAddress, AF_UNIX,
    SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM,
};

/// The `Address` of a file system path.
fn path_addr(path: &Path) -> Address {
    Address::Unix(UnixAddress::Path(path.to_path_buf()))
}

/// The `Address` of an abstract name given as `"\0name"`.
fn abstract_addr(name: &str) -> Address {
    let bytes = name.as_bytes();
    assert_eq!(bytes[0], 0, "abstract names start with NUL");
    Address::Unix(UnixAddress::Abstract(bytes[1..].to_vec()))
}

fn unnamed() -> Address {
    Address::Unix(UnixAddress::Unnamed)
}

/// A socket that gives up after [`common::PROMPT`] instead of hanging a test.
fn unix_socket(kind: SockType) -> Socket {
    let sock = Socket::new(AF_UNIX, kind).expect("socket");
    sock.settimeout(Some(common::PROMPT)).expect("settimeout");
    sock
}

/// A listening socket of `kind` bound to `addr`.
fn unix_listener(kind: SockType, addr: &Address) -> Socket {
    let sock = unix_socket(kind);
    sock.bind(addr).expect("bind");
    sock.listen(8).expect("listen");
    sock
}

fn invalid_message(result: pysocket::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected Error::InvalidArgument, got {other:?}"),
    }
}

fn errno_of(result: pysocket::Result<impl std::fmt::Debug>) -> i32 {
    match result {
        Err(err @ Error::Io(_)) => err.errno().expect("an OS error has an errno"),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

/// A stream socket bound to a path names that path, and the accepted side sees
/// an unbound client as unnamed.
#[test]
fn stream_over_a_path_names_both_ends() {
    let dir = common::temp_dir();
    let path = dir.path().join("server.sock");
    let server = unix_socket(SOCK_STREAM);
    server.bind(&path).expect("bind a &PathBuf");
    server.listen(8).expect("listen");
    assert!(path.exists(), "bind creates the socket file");
    assert_eq!(server.getsockname().unwrap(), path_addr(&path));

    let client = unix_socket(SOCK_STREAM);
    assert_eq!(client.getsockname().unwrap(), unnamed());
    client
        .connect(path.to_str().unwrap())
        .expect("connect a &str path");
    let (conn, peer) = server.accept().expect("accept");

    assert_eq!(peer, unnamed());
    assert_eq!(conn.getpeername().unwrap(), unnamed());
    assert_eq!(conn.getsockname().unwrap(), path_addr(&path));
    assert_eq!(client.getpeername().unwrap(), path_addr(&path));
    assert_eq!(conn.family(), AF_UNIX);
    assert_eq!(conn.kind(), SOCK_STREAM);

    client.sendall(b"over the path").unwrap();
    assert_eq!(conn.recv(64).unwrap(), b"over the path");
    conn.sendall(b"and back").unwrap();
    assert_eq!(client.recv(64).unwrap(), b"and back");
    client.close().unwrap();
    assert_eq!(
        conn.recv(64).unwrap(),
        b"",
        "close is an orderly end of stream"
    );
}

/// A client bound to its own path is named by that path on the accepting side.
#[test]
fn stream_client_bound_to_a_path_is_named_by_it() {
    let dir = common::temp_dir();
    let server_path = dir.path().join("server.sock");
    let client_path = dir.path().join("client.sock");
    let server = unix_listener(SOCK_STREAM, &path_addr(&server_path));

    let client = unix_socket(SOCK_STREAM);
    client.bind(client_path.clone()).expect("bind a PathBuf");
    client
        .connect(server_path.to_str().unwrap().to_owned())
        .expect("connect a String path");
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, path_addr(&client_path));
    assert_eq!(conn.getpeername().unwrap(), path_addr(&client_path));
    assert_eq!(client.getsockname().unwrap(), path_addr(&client_path));
}

/// `"\0name"` as a `&str` binds in the abstract namespace, with no file, and
/// `getsockname` gives the name back without its NUL.
#[test]
fn abstract_name_as_str() {
    let name = common::abstract_name("stream-str");
    let server = unix_socket(SOCK_STREAM);
    server.bind(name.as_str()).expect("bind an abstract &str");
    server.listen(8).unwrap();
    assert_eq!(server.getsockname().unwrap(), abstract_addr(&name));
    assert!(
        server.getsockname().unwrap().to_string().starts_with('@'),
        "an abstract name displays as @name"
    );

    let client = unix_socket(SOCK_STREAM);
    client
        .connect(name.as_str())
        .expect("connect to an abstract &str");
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, unnamed());
    assert_eq!(client.getpeername().unwrap(), abstract_addr(&name));
    client.sendall(b"abstract").unwrap();
    assert_eq!(conn.recv(64).unwrap(), b"abstract");
}

/// A `&Path` that starts with a NUL byte is an abstract name too.
#[test]
fn abstract_name_as_path() {
    let name = common::abstract_name("stream-path");
    let server = unix_socket(SOCK_STREAM);
    server
        .bind(Path::new(&name))
        .expect("bind an abstract &Path");
    server.listen(8).unwrap();
    assert_eq!(server.getsockname().unwrap(), abstract_addr(&name));

    let client = unix_socket(SOCK_STREAM);
    client
        .connect(PathBuf::from(&name))
        .expect("connect to an abstract PathBuf");
    let (conn, _) = server.accept().unwrap();
    conn.sendall(b"from the server").unwrap();
    assert_eq!(client.recv(64).unwrap(), b"from the server");
}

/// Two sockets cannot hold one abstract name.
#[test]
fn abstract_name_taken_twice_is_eaddrinuse() {
    let name = common::abstract_name("taken");
    let first = unix_socket(SOCK_DGRAM);
    first.bind(name.as_str()).unwrap();
    let second = unix_socket(SOCK_DGRAM);
    assert_eq!(errno_of(second.bind(name.as_str())), libc::EADDRINUSE);
}

/// `recvfrom` names a sender bound to a path by that path, and a reply to that
/// address reaches it.
#[test]
fn datagram_from_a_bound_sender_carries_its_path() {
    let dir = common::temp_dir();
    let server_path = dir.path().join("server.dgram");
    let sender_path = dir.path().join("sender.dgram");
    let server = unix_socket(SOCK_DGRAM);
    server.bind(&server_path).unwrap();
    let sender = unix_socket(SOCK_DGRAM);
    sender.bind(&sender_path).unwrap();

    assert_eq!(sender.sendto(b"one", &server_path).unwrap(), 3);
    assert_eq!(sender.sendto(b"two!", &server_path).unwrap(), 4);
    let (data, from) = server.recvfrom(64).unwrap();
    assert_eq!(
        (data.as_slice(), &from),
        (&b"one"[..], &path_addr(&sender_path))
    );
    let mut buf = [0u8; 64];
    let (n, from) = server.recvfrom_into(&mut buf).unwrap();
    assert_eq!((&buf[..n], &from), (&b"two!"[..], &path_addr(&sender_path)));

    server
        .sendto(b"reply", &from)
        .expect("reply to the sender's address");
    let (data, from) = sender.recvfrom(64).unwrap();
    assert_eq!(data, b"reply");
    assert_eq!(from, path_addr(&server_path));
}

/// `recvfrom` reports a sender that never bound as `UnixAddress::Unnamed`.
#[test]
fn datagram_from_an_unbound_sender_is_unnamed() {
    let name = common::abstract_name("dgram-server");
    let server = unix_socket(SOCK_DGRAM);
    server.bind(name.as_str()).unwrap();
    let sender = unix_socket(SOCK_DGRAM);
    sender.sendto(b"anonymous", name.as_str()).unwrap();
    sender.sendto(b"again", name.as_str()).unwrap();

    let (data, from) = server.recvfrom(64).unwrap();
    assert_eq!(data, b"anonymous");
    assert_eq!(from, unnamed());
    let mut buf = [0u8; 64];
    let (n, from) = server.recvfrom_into(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"again");
    assert_eq!(from, unnamed());
}

/// A datagram larger than the buffer is cut to the buffer and the rest is
/// dropped: the next `recv` gets the next datagram.
#[test]
fn datagram_boundaries_are_kept() {
    let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    b.settimeout(Some(common::PROMPT)).unwrap();
    a.send(b"a long datagram").unwrap();
    a.send(b"next").unwrap();
    assert_eq!(b.recv(6).unwrap(), b"a long");
    assert_eq!(b.recv(64).unwrap(), b"next");
}

/// SOCK_SEQPACKET keeps each send as one record, without MSG_EOR, and a
/// record longer than the buffer loses its tail, not the next record.
#[test]
fn seqpacket_keeps_record_boundaries() {
    let dir = common::temp_dir();
    let path = dir.path().join("seq.sock");
    let server = unix_listener(SOCK_SEQPACKET, &path_addr(&path));
    assert_eq!(server.kind(), SOCK_SEQPACKET);

    let client = unix_socket(SOCK_SEQPACKET);
    client.connect(&path).unwrap();
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, unnamed());
    assert_eq!(conn.kind(), SOCK_SEQPACKET);

    client.sendall(b"first").unwrap();
    client.sendall(b"second record").unwrap();
    client.sendall(b"a record too long for the buffer").unwrap();
    client.sendall(b"last").unwrap();
    assert_eq!(conn.recv(1024).unwrap(), b"first");
    assert_eq!(conn.recv(1024).unwrap(), b"second record");
    assert_eq!(conn.recv(8).unwrap(), b"a record");
    assert_eq!(conn.recv(1024).unwrap(), b"last");

    conn.sendall(b"reply").unwrap();
    assert_eq!(client.recv(1024).unwrap(), b"reply");
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        conn.recv(1024).unwrap(),
        b"",
        "shutdown ends the stream of records"
    );
}

/// `socketpair()` gives two connected, unnamed AF_UNIX stream sockets.
#[test]
fn socketpair_is_a_connected_unix_stream() {
    let (a, b) = socketpair().unwrap();
    for sock in [&a, &b] {
        sock.settimeout(Some(common::PROMPT)).unwrap();
        assert_eq!(sock.family(), AF_UNIX);
        assert_eq!(sock.kind(), SOCK_STREAM);
        assert_eq!(sock.getsockname().unwrap(), unnamed());
        assert_eq!(sock.getpeername().unwrap(), unnamed());
    }
    a.sendall(b"ping").unwrap();
    assert_eq!(b.recv(64).unwrap(), b"ping");
    b.sendall(b"pong").unwrap();
    assert_eq!(a.recv(64).unwrap(), b"pong");
    a.shutdown(Shutdown::Write).unwrap();
    assert_eq!(b.recv(64).unwrap(), b"");
}

/// `socketpair_with(AF_UNIX, SOCK_DGRAM)` gives a connected datagram pair.
#[test]
fn socketpair_with_dgram_sends_datagrams() {
    let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    assert_eq!((a.family(), a.kind()), (AF_UNIX, SOCK_DGRAM));
    assert_eq!((b.family(), b.kind()), (AF_UNIX, SOCK_DGRAM));
    b.settimeout(Some(common::PROMPT)).unwrap();
    a.send(b"one").unwrap();
    a.send(b"two").unwrap();
    let (data, from) = b.recvfrom(64).unwrap();
    assert_eq!(data, b"one");
    assert_eq!(from, unnamed());
    assert_eq!(b.recv(64).unwrap(), b"two");
}

/// `socketpair_with(AF_UNIX, SOCK_SEQPACKET)` gives a connected record pair.
#[test]
fn socketpair_with_seqpacket_keeps_records() {
    let (a, b) = socketpair_with(AF_UNIX, SOCK_SEQPACKET).unwrap();
    assert_eq!((a.family(), a.kind()), (AF_UNIX, SOCK_SEQPACKET));
    b.settimeout(Some(common::PROMPT)).unwrap();
    a.sendall(b"rec-1").unwrap();
    a.sendall(b"rec-2").unwrap();
    assert_eq!(b.recv(64).unwrap(), b"rec-1");
    assert_eq!(b.recv(64).unwrap(), b"rec-2");
    drop(a);
    assert_eq!(b.recv(64).unwrap(), b"");
}

/// Binding to `UnixAddress::Unnamed` (or `""`) autobinds to a fresh abstract
/// name that others can send to.
#[test]
fn binding_unnamed_autobinds_to_an_abstract_name() {
    let receiver = unix_socket(SOCK_DGRAM);
    assert_eq!(receiver.getsockname().unwrap(), unnamed());
    receiver.bind(UnixAddress::Unnamed).expect("autobind");
    let addr = receiver.getsockname().unwrap();
    match &addr {
        Address::Unix(UnixAddress::Abstract(name)) => assert!(!name.is_empty()),
        other => panic!("autobind should give an abstract name, got {other:?}"),
    }

    let other = unix_socket(SOCK_STREAM);
    other.bind("").expect("autobind with \"\"");
    let other_addr = other.getsockname().unwrap();
    assert!(matches!(
        other_addr,
        Address::Unix(UnixAddress::Abstract(_))
    ));
    assert_ne!(other_addr, addr, "each autobind gets its own name");

    let sender = unix_socket(SOCK_DGRAM);
    sender.bind(UnixAddress::Unnamed).unwrap();
    sender.sendto(b"to the autobound name", &addr).unwrap();
    let (data, from) = receiver.recvfrom(64).unwrap();
    assert_eq!(data, b"to the autobound name");
    assert_eq!(from, sender.getsockname().unwrap());
}

/// A path of 107 bytes binds; one of 108 bytes (no room for the NUL in
/// sun_path) is `InvalidArgument` saying it is too long.
#[test]
fn path_longer_than_sun_path_is_invalid_argument() {
    let dir = common::temp_dir();
    let dir_len = dir.path().as_os_str().len();
    assert!(dir_len < 100, "the temp dir path is too long for this test");
    let longest = dir.path().join("x".repeat(107 - dir_len - 1));
    assert_eq!(longest.as_os_str().len(), 107);
    let sock = unix_socket(SOCK_STREAM);
    sock.bind(&longest).expect("a 107-byte path fits");
    assert_eq!(sock.getsockname().unwrap(), path_addr(&longest));

    let too_long = dir.path().join("y".repeat(108 - dir_len - 1));
    assert_eq!(too_long.as_os_str().len(), 108);
    let sock = unix_socket(SOCK_STREAM);
    let message = invalid_message(sock.bind(&too_long));
    assert!(message.contains("too long"), "{message}");
    assert!(message.contains("108"), "{message}");
    let message = invalid_message(sock.connect(too_long.to_str().unwrap()));
    assert!(message.contains("too long"), "{message}");
    assert!(!too_long.exists());

    let dgram = unix_socket(SOCK_DGRAM);
    let message = invalid_message(dgram.sendto(b"x", &too_long));
    assert!(message.contains("too long"), "{message}");
}

/// An abstract name longer than sun_path takes is `InvalidArgument`.
#[test]
fn abstract_name_too_long_is_invalid_argument() {
    let name = format!("\0{}", "n".repeat(200));
    let sock = unix_socket(SOCK_DGRAM);
    let message = invalid_message(sock.bind(name.as_str()));
    assert!(message.contains("too long"), "{message}");
}

/// A path with a NUL byte inside is `InvalidArgument` naming the NUL, as a
/// `&str` and as a `&Path`.
#[test]
fn path_with_interior_nul_is_invalid_argument() {
    let dir = common::temp_dir();
    let text = format!("{}/bad\0name.sock", dir.path().display());
    let sock = unix_socket(SOCK_STREAM);
    let message = invalid_message(sock.bind(text.as_str()));
    assert!(message.contains("NUL"), "{message}");
    assert!(message.contains("bad"), "names the path: {message}");
    let message = invalid_message(sock.connect(Path::new(OsStr::from_bytes(text.as_bytes()))));
    assert!(message.contains("NUL"), "{message}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}

/// Binding a path that already exists (a socket or any file) fails with EADDRINUSE.
#[test]
fn binding_an_existing_path_is_eaddrinuse() {
    let dir = common::temp_dir();
    let path = dir.path().join("taken.sock");
    let first = unix_socket(SOCK_STREAM);
    first.bind(&path).unwrap();
    let second = unix_socket(SOCK_STREAM);
    assert_eq!(errno_of(second.bind(&path)), libc::EADDRINUSE);

    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"not a socket").unwrap();
    assert_eq!(errno_of(second.bind(&file)), libc::EADDRINUSE);
    assert_eq!(std::fs::read(&file).unwrap(), b"not a socket");
}

/// Connecting or sending to a path where nothing exists fails with ENOENT;
/// `connect_ex` reports it as its errno.
#[test]
fn connecting_to_a_missing_path_is_enoent() {
    let dir = common::temp_dir();
    let missing = dir.path().join("nobody-here.sock");
    let sock = unix_socket(SOCK_STREAM);
    let err = sock.connect(&missing).unwrap_err();
    assert_eq!(err.errno(), Some(libc::ENOENT), "{err}");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    let sock = unix_socket(SOCK_STREAM);
    assert_eq!(sock.connect_ex(&missing).unwrap(), libc::ENOENT);
    let dgram = unix_socket(SOCK_DGRAM);
    assert_eq!(errno_of(dgram.sendto(b"x", &missing)), libc::ENOENT);
}

/// Connecting to a path whose socket is not listening is refused.
#[test]
fn connecting_to_a_bound_but_not_listening_path_is_refused() {
    let dir = common::temp_dir();
    let path = dir.path().join("deaf.sock");
    let bound = unix_socket(SOCK_STREAM);
    bound.bind(&path).unwrap();
    let client = unix_socket(SOCK_STREAM);
    assert_eq!(errno_of(client.connect(&path)), libc::ECONNREFUSED);
}

/// Host-and-port and IP addresses are `InvalidArgument` for an AF_UNIX socket,
/// whatever call they are passed to.
#[test]
fn inet_addresses_are_invalid_for_unix_sockets() {
    let stream = unix_socket(SOCK_STREAM);
    let dgram = unix_socket(SOCK_DGRAM);
    let v4 = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8001);

    let messages = [
        invalid_message(stream.bind(("127.0.0.1", 0))),
        invalid_message(stream.bind(("localhost".to_owned(), 8001))),
        invalid_message(stream.connect(("", 8001))),
        invalid_message(stream.connect(SocketAddr::V4(v4))),
        invalid_message(stream.connect(v4)),
        invalid_message(stream.connect((Ipv4Addr::LOCALHOST, 8001))),
        invalid_message(stream.connect(Address::Inet(v4))),
        invalid_message(stream.connect_ex(("127.0.0.1", 8001))),
        invalid_message(dgram.sendto(b"x", ("127.0.0.1", 8001))),
        invalid_message(dgram.sendto(b"x", SocketAddr::V4(v4))),
    ];
    for message in &messages {
        assert!(message.contains("AF_UNIX"), "{message}");
    }
    assert!(messages[0].contains("127.0.0.1"), "{}", messages[0]);
    assert!(messages[1].contains("localhost"), "{}", messages[1]);
    assert!(messages[3].contains("127.0.0.1:8001"), "{}", messages[3]);
    assert_eq!(
        stream.getsockname().unwrap(),
        unnamed(),
        "nothing was bound"
    );
}

/// A Unix socket in timeout mode times out on an empty queue instead of hanging.
#[test]
fn unix_recv_honours_the_timeout() {
    let (a, _b) = socketpair_with(AF_UNIX, SOCK_SEQPACKET).unwrap();
    a.settimeout(Some(Duration::from_millis(30))).unwrap();
    let start = std::time::Instant::now();
    assert!(a.recv(16).unwrap_err().is_timeout());
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(start.elapsed() < common::PROMPT);
}
