//! Conversions between `Socket` and std, socket2 and raw descriptors (family,
//! type, protocol and mode read back from the OS), Python's repr as `Display`,
//! `Debug`, and the `Address` and constant types.

mod common;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, TcpListener, TcpStream,
    UdpSocket,
};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::Duration;

use common::{listener, tcp_pair, temp_dir, udp_socket, PROMPT};
use pysocket::{
    Address, Family, Protocol, SockType, Socket, UnixAddress, AF_INET, AF_INET6, AF_UNIX,
    SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM,
};

/// The loopback listener address of `family` in std's notation.
fn loopback(family: Family) -> &'static str {
    if family == AF_INET6 {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    }
}

/// Receives exactly `n` bytes with std's `read_exact` on the facade.
fn read_n(sock: &Socket, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    (&*sock).read_exact(&mut buf).expect("read_exact");
    buf
}

fn guarded(sock: Socket) -> Socket {
    sock.as_socket2()
        .set_read_timeout(Some(PROMPT))
        .expect("SO_RCVTIMEO");
    sock
}

/// A std TcpStream becomes a Socket with its family, SOCK_STREAM and
/// IPPROTO_TCP, keeps working, and converts back to a working TcpStream.
#[test]
fn tcp_stream_to_socket_and_back() {
    for family in [AF_INET, AF_INET6] {
        let std_listener = TcpListener::bind(loopback(family)).unwrap();
        let stream = TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = std_listener.accept().unwrap();
        peer.set_read_timeout(Some(PROMPT)).unwrap();
        let local = stream.local_addr().unwrap();

        let sock = guarded(Socket::from(stream));
        assert_eq!(sock.family(), family);
        assert_eq!(sock.kind(), SOCK_STREAM);
        assert_eq!(sock.proto(), Protocol::TCP);
        assert_eq!(i32::from(sock.proto()), 6);
        assert_eq!(
            sock.gettimeout(),
            None,
            "a blocking std socket is in blocking mode"
        );
        assert_eq!(sock.getsockname().unwrap().as_socket_addr(), Some(local));

        sock.sendall(b"from pysocket").unwrap();
        let mut buf = [0u8; 13];
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"from pysocket");
        peer.write_all(b"from std").unwrap();
        assert_eq!(read_n(&sock, 8), b"from std");

        let mut back = TcpStream::from(sock);
        assert_eq!(back.local_addr().unwrap(), local);
        back.write_all(b"back in std").unwrap();
        let mut buf = [0u8; 11];
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"back in std", "{family}");
    }
}

/// A std TcpListener becomes a listening Socket that accepts, and converts back
/// to a TcpListener that accepts.
#[test]
fn tcp_listener_to_socket_and_back() {
    for family in [AF_INET, AF_INET6] {
        let std_listener = TcpListener::bind(loopback(family)).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let server = Socket::from(std_listener);
        assert_eq!((server.family(), server.kind()), (family, SOCK_STREAM));
        assert_eq!(server.proto(), Protocol::TCP);
        assert_eq!(server.getsockname().unwrap().as_socket_addr(), Some(addr));

        let client = TcpStream::connect(addr).unwrap();
        let (conn, peer) = server.accept().unwrap();
        assert_eq!(peer.as_socket_addr(), Some(client.local_addr().unwrap()));
        assert_eq!((conn.family(), conn.kind()), (family, SOCK_STREAM));
        drop((conn, client));

        let back = TcpListener::from(server);
        let client = TcpStream::connect(addr).unwrap();
        let (_, peer) = back.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap(), "{family}");
    }
}

/// A std UdpSocket becomes a Socket with SOCK_DGRAM and IPPROTO_UDP that sends
/// and receives, and converts back.
#[test]
fn udp_socket_to_socket_and_back() {
    for family in [AF_INET, AF_INET6] {
        let std_sock = UdpSocket::bind(loopback(family)).unwrap();
        let addr = std_sock.local_addr().unwrap();
        let sock = guarded(Socket::from(std_sock));
        assert_eq!((sock.family(), sock.kind()), (family, SOCK_DGRAM));
        assert_eq!(sock.proto(), Protocol::UDP);
        assert_eq!(i32::from(sock.proto()), 17);

        let (other, other_addr) = udp_socket(family);
        let other = guarded(other);
        other.sendto(b"to the converted", addr).unwrap();
        let (data, from) = sock.recvfrom(64).unwrap();
        assert_eq!(
            (data.as_slice(), &from),
            (&b"to the converted"[..], &other_addr)
        );
        sock.sendto(b"reply", &from).unwrap();
        assert_eq!(other.recv(64).unwrap(), b"reply");

        let back = UdpSocket::from(sock);
        assert_eq!(back.local_addr().unwrap(), addr);
        back.send_to(b"std again", other_addr.as_socket_addr().unwrap())
            .unwrap();
        assert_eq!(other.recv(64).unwrap(), b"std again", "{family}");
    }
}

/// std's UnixListener, UnixStream and UnixDatagram become AF_UNIX Sockets of
/// the right type with their path addresses, work, and convert back.
#[test]
fn unix_sockets_to_socket_and_back() {
    let dir = temp_dir();
    let path = dir.path().join("stream.sock");
    let server = Socket::from(UnixListener::bind(&path).unwrap());
    assert_eq!((server.family(), server.kind()), (AF_UNIX, SOCK_STREAM));
    assert_eq!(server.proto(), Protocol::DEFAULT);
    assert_eq!(
        server.getsockname().unwrap(),
        Address::Unix(UnixAddress::Path(path.clone()))
    );

    let client = guarded(Socket::from(UnixStream::connect(&path).unwrap()));
    assert_eq!((client.family(), client.kind()), (AF_UNIX, SOCK_STREAM));
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, Address::Unix(UnixAddress::Unnamed));
    let conn = guarded(conn);
    client.sendall(b"over unix").unwrap();
    assert_eq!(read_n(&conn, 9), b"over unix");

    let back = UnixListener::from(server);
    let _second = UnixStream::connect(&path).unwrap();
    back.accept().unwrap();
    let mut stream = UnixStream::from(client);
    stream.write_all(b"std").unwrap();
    assert_eq!(read_n(&conn, 3), b"std");

    let dgram_path = dir.path().join("dgram.sock");
    let dgram = guarded(Socket::from(UnixDatagram::bind(&dgram_path).unwrap()));
    assert_eq!((dgram.family(), dgram.kind()), (AF_UNIX, SOCK_DGRAM));
    let sender = UnixDatagram::unbound().unwrap();
    sender.send_to(b"datagram", &dgram_path).unwrap();
    assert_eq!(dgram.recv(64).unwrap(), b"datagram");
    let back = UnixDatagram::from(dgram);
    assert_eq!(
        back.local_addr().unwrap().as_pathname(),
        Some(dgram_path.as_path())
    );

    let (a, b) = UnixStream::pair().unwrap();
    let a = Socket::from(a);
    assert_eq!((a.family(), a.kind()), (AF_UNIX, SOCK_STREAM));
    a.sendall(b"pair").unwrap();
    let mut b = b;
    let mut buf = [0u8; 4];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pair");
}

/// A socket2 socket becomes a Socket with its family, type and protocol read
/// from the OS, and the socket2 socket is reachable and recoverable.
#[test]
fn socket2_to_socket_and_back() {
    use socket2::{Domain, Type};
    let inner = socket2::Socket::new(Domain::IPV6, Type::DGRAM, None).unwrap();
    let fd = inner.as_raw_fd();
    let sock = Socket::from(inner);
    assert_eq!((sock.family(), sock.kind()), (AF_INET6, SOCK_DGRAM));
    assert_eq!(
        sock.proto(),
        Protocol::UDP,
        "the OS names the default protocol"
    );
    assert_eq!(sock.as_socket2().as_raw_fd(), fd);
    sock.bind(("::1", 0)).unwrap();
    let addr = sock.getsockname().unwrap();
    assert_eq!(
        sock.as_socket2().local_addr().unwrap().as_socket(),
        addr.as_socket_addr()
    );

    let back = socket2::Socket::from(sock);
    assert_eq!(back.as_raw_fd(), fd);
    let again = Socket::from(back).into_socket2();
    assert_eq!(again.as_raw_fd(), fd);
    assert_eq!(
        again.local_addr().unwrap().as_socket(),
        addr.as_socket_addr()
    );
}

/// OwnedFd, raw descriptors and AsFd/AsRawFd: the descriptor is the same
/// through every conversion, and the adopted socket knows what it is and works.
#[test]
fn owned_and_raw_descriptors() {
    let (client, conn) = tcp_pair();
    let conn = guarded(conn);
    let fd = client.fileno();
    assert_eq!(client.as_raw_fd(), fd);
    assert_eq!(client.as_fd().as_raw_fd(), fd);

    let owned = OwnedFd::from(client);
    assert_eq!(owned.as_raw_fd(), fd);
    let client = Socket::from(owned);
    assert_eq!(client.fileno(), fd);
    assert_eq!(
        (client.family(), client.kind(), client.proto()),
        (AF_INET, SOCK_STREAM, Protocol::TCP)
    );
    client.sendall(b"owned").unwrap();
    assert_eq!(read_n(&conn, 5), b"owned");

    let raw = client.into_raw_fd();
    assert_eq!(raw, fd);
    // SAFETY: `raw` is the open socket into_raw_fd() just gave up.
    let client = unsafe { Socket::from_raw_fd(raw) };
    assert_eq!(client.getpeername().unwrap(), conn.getsockname().unwrap());
    client.sendall(b"raw").unwrap();
    assert_eq!(read_n(&conn, 3), b"raw");

    let stream = TcpStream::from(OwnedFd::from(client));
    drop(stream);
    assert!(conn.recv(8).unwrap().is_empty(), "the std owner closed it");
}

/// A non-blocking std socket arrives in non-blocking mode (timeout ZERO,
/// WouldBlock when nothing is there); a blocking one in blocking mode.
#[test]
fn nonblocking_std_sockets_arrive_nonblocking() {
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = std_listener.accept().unwrap();
    stream.set_nonblocking(true).unwrap();
    let sock = Socket::from(stream);
    assert_eq!(sock.gettimeout(), Some(Duration::ZERO));
    assert!(!sock.getblocking());
    assert_eq!(sock.recv(8).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    sock.settimeout(Some(PROMPT)).unwrap();
    peer.write_all(b"late").unwrap();
    assert_eq!(read_n(&sock, 4), b"late");

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let udp = Socket::from(udp);
    assert_eq!(udp.gettimeout(), Some(Duration::ZERO));
    assert!(udp.recv(8).unwrap_err().is_would_block());

    let (a, _b) = UnixDatagram::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    assert_eq!(Socket::from(a).gettimeout(), Some(Duration::ZERO));

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let listener = Socket::from(listener);
    assert_eq!(listener.gettimeout(), Some(Duration::ZERO));
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );

    let blocking = Socket::from(UdpSocket::bind("127.0.0.1:0").unwrap());
    assert_eq!(blocking.gettimeout(), None);
    assert!(blocking.getblocking());
}

/// A socket in blocking mode converts to a blocking std socket; one in
/// timeout mode keeps its non-blocking descriptor, as documented.
#[test]
fn conversion_to_std_keeps_the_descriptor_mode() {
    let (client, conn) = tcp_pair();
    let mut blocking = TcpStream::from(client);
    blocking
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let err = blocking.read(&mut [0u8; 4]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );

    conn.settimeout(Some(PROMPT)).unwrap();
    let mut timed = TcpStream::from(conn);
    let err = timed.read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::WouldBlock,
        "non-blocking underneath"
    );
    blocking.write_all(b"ok").unwrap();
    timed.set_nonblocking(false).unwrap();
    timed.set_read_timeout(Some(PROMPT)).unwrap();
    let mut buf = [0u8; 2];
    timed.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok");
}

/// Display is Python's repr: fd, family, type, proto, then laddr once bound
/// and raddr once connected.
#[test]
fn display_is_pythons_repr() {
    for family in [AF_INET, AF_INET6] {
        let (server, addr) = listener(family);
        assert_eq!(
            server.to_string(),
            format!(
                "<socket fd={}, family={family}, type=SOCK_STREAM, proto=0, laddr={addr}>",
                server.fileno()
            )
        );
        let client = Socket::new(family, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        let local = client.getsockname().unwrap();
        assert_eq!(
            client.to_string(),
            format!(
                "<socket fd={}, family={family}, type=SOCK_STREAM, proto=0, laddr={local}, raddr={addr}>",
                client.fileno()
            )
        );
    }
    let (server, addr) = listener(AF_INET);
    let text = server.to_string();
    assert!(
        text.starts_with("<socket fd=")
            && text.ends_with(&format!("laddr=127.0.0.1:{}>", addr.port().unwrap())),
        "{text}"
    );
    let (v6, v6_addr) = listener(AF_INET6);
    assert!(v6.to_string().ends_with(&format!(
        ", family=AF_INET6, type=SOCK_STREAM, proto=0, laddr=[::1]:{}>",
        v6_addr.port().unwrap()
    )));

    let fresh = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    assert_eq!(
        fresh.to_string(),
        format!(
            "<socket fd={}, family=AF_INET, type=SOCK_DGRAM, proto=0, laddr=0.0.0.0:0>",
            fresh.fileno()
        ),
        "Python shows an unbound inet socket at 0.0.0.0:0"
    );

    let tcp = Socket::from(TcpStream::connect(addr.as_socket_addr().unwrap()).unwrap());
    assert!(tcp.to_string().contains(", proto=6, "), "{tcp}");
}

/// AF_UNIX repr: no laddr while unbound, the path once bound, and a client that
/// never bound shows only its raddr.
#[test]
fn display_of_unix_sockets() {
    let unbound = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    assert_eq!(
        unbound.to_string(),
        format!(
            "<socket fd={}, family=AF_UNIX, type=SOCK_STREAM, proto=0>",
            unbound.fileno()
        )
    );

    let dir = temp_dir();
    let path = dir.path().join("repr.sock");
    let server = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    server.bind(path.as_path()).unwrap();
    server.listen(1).unwrap();
    assert_eq!(
        server.to_string(),
        format!(
            "<socket fd={}, family=AF_UNIX, type=SOCK_STREAM, proto=0, laddr={}>",
            server.fileno(),
            path.display()
        )
    );
    unbound.connect(path.as_path()).unwrap();
    assert_eq!(
        unbound.to_string(),
        format!(
            "<socket fd={}, family=AF_UNIX, type=SOCK_STREAM, proto=0, raddr={}>",
            unbound.fileno(),
            path.display()
        )
    );
}

/// Debug names the descriptor, the family and the type.
#[test]
fn debug_shows_fd_family_and_type() {
    let sock = Socket::new(AF_INET6, SOCK_DGRAM).unwrap();
    let text = format!("{sock:?}");
    assert!(text.starts_with("Socket"), "{text}");
    assert!(text.contains(&format!("fd: {}", sock.fileno())), "{text}");
    assert!(text.contains("family: AF_INET6"), "{text}");
    assert!(text.contains("type: SOCK_DGRAM"), "{text}");
}

/// A descriptor that is not a socket is adopted without a panic: its family is
/// unknown, socket calls fail with ENOTSOCK, and Display still works.
#[test]
fn adopting_a_non_socket_does_not_panic() {
    let file = std::fs::File::open("/dev/null").unwrap();
    let sock = Socket::from(OwnedFd::from(file));
    assert_eq!(sock.family(), Family::UNSPEC);
    assert_eq!(sock.recv(8).unwrap_err().errno(), Some(libc::ENOTSOCK));
    assert_eq!(
        sock.getsockname().unwrap_err().errno(),
        Some(libc::ENOTSOCK)
    );
    let text = sock.to_string();
    assert!(
        text.starts_with(&format!("<socket fd={}, ", sock.fileno())),
        "{text}"
    );
    assert!(!text.contains("laddr"), "{text}");
}

/// Address displays as Rust does, gives its ip, port and std SocketAddr, and
/// works as a set key.
#[test]
fn address_accessors_and_display() {
    let v4 = Address::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8001));
    assert_eq!(v4.to_string(), "127.0.0.1:8001");
    assert_eq!(v4.ip(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    assert_eq!(v4.port(), Some(8001));
    assert_eq!(v4.family(), AF_INET);
    assert_eq!(
        v4.as_socket_addr(),
        Some(SocketAddr::from(([127, 0, 0, 1], 8001)))
    );

    let v6 = Address::from(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8001, 0, 0));
    assert_eq!(v6.to_string(), "[::1]:8001");
    assert_eq!(v6.ip(), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!(v6.port(), Some(8001));
    assert_eq!(v6.family(), AF_INET6);
    assert_eq!(Address::from(v6.as_socket_addr().unwrap()), v6);

    let path = Address::Unix(UnixAddress::from("/tmp/app.sock"));
    assert_eq!(path.to_string(), "/tmp/app.sock");
    assert_eq!(
        (path.ip(), path.port(), path.as_socket_addr()),
        (None, None, None)
    );
    assert_eq!(path.family(), AF_UNIX);
    let name = Address::Unix(UnixAddress::from("\0app"));
    assert_eq!(name.to_string(), "@app");
    assert_eq!(Address::Unix(UnixAddress::Unnamed).to_string(), "");

    let set: HashSet<Address> = [v4.clone(), v6.clone(), path.clone(), v4.clone()].into();
    assert_eq!(set.len(), 3);

    // What the OS reports is the same Address the caller would build.
    let (sock, addr) = udp_socket(AF_INET);
    let std_addr = addr.as_socket_addr().unwrap();
    assert_eq!(sock.getsockname().unwrap(), Address::from(std_addr));
    assert_eq!(addr.to_string(), std_addr.to_string());
}

/// Family, SockType and Protocol convert to and from the OS's i32 and display
/// with Python's names; values without a name pass through.
#[test]
fn constant_types_convert_and_display() {
    assert_eq!(i32::from(AF_INET), libc::AF_INET);
    assert_eq!(i32::from(AF_INET6), libc::AF_INET6);
    assert_eq!(Family::from(libc::AF_UNIX), AF_UNIX);
    assert_eq!(AF_INET.to_string(), "AF_INET");
    assert_eq!(AF_INET6.to_string(), "AF_INET6");
    assert_eq!(AF_UNIX.to_string(), "AF_UNIX");

    assert_eq!(i32::from(SOCK_STREAM), libc::SOCK_STREAM);
    assert_eq!(SockType::from(libc::SOCK_DGRAM), SOCK_DGRAM);
    for (kind, name) in [
        (SOCK_STREAM, "SOCK_STREAM"),
        (SOCK_DGRAM, "SOCK_DGRAM"),
        (SOCK_RAW, "SOCK_RAW"),
        (SOCK_SEQPACKET, "SOCK_SEQPACKET"),
    ] {
        assert_eq!(kind.to_string(), name);
        assert_eq!(SockType::from(i32::from(kind)), kind);
    }

    assert_eq!(Protocol::from(libc::IPPROTO_TCP), Protocol::TCP);
    assert_eq!(i32::from(Protocol::UDP), libc::IPPROTO_UDP);
    assert_eq!(
        Protocol::TCP.to_string(),
        "6",
        "Python's repr shows the number"
    );
    assert_eq!(Protocol::DEFAULT.to_string(), "0");

    let odd = Family::from(4242);
    assert_eq!(i32::from(odd), 4242);
    assert_eq!(odd.to_string(), "4242");
    assert_eq!(i32::from(SockType::from(77)), 77);
}
