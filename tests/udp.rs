//! UDP over loopback, on 127.0.0.1 and ::1: datagrams, their senders and their
//! boundaries, connected UDP, broadcast permission, and raw sockets.

mod common;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::{Duration, Instant};

use common::{assert_child_passes, is_child, udp_socket, PROMPT};
use pysocket::{
    Address, Error, Family, Protocol, Socket, AF_INET, AF_INET6, MSG_PEEK, MSG_TRUNC, SOCK_DGRAM,
    SOCK_RAW, SOL_SOCKET, SO_BROADCAST,
};

const FAMILIES: [Family; 2] = [AF_INET, AF_INET6];

/// A bound UDP socket whose blocking receives give up after a generous bound,
/// so a lost datagram fails the test instead of hanging it.
fn bound(family: Family) -> (Socket, Address) {
    let (sock, addr) = udp_socket(family);
    sock.as_socket2()
        .set_read_timeout(Some(PROMPT))
        .expect("SO_RCVTIMEO");
    (sock, addr)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// sendto() returns the datagram's length and recvfrom() returns the datagram
/// with the sender's address, which a reply can be sent to.
#[test]
fn sendto_and_recvfrom_report_the_sender() {
    for family in FAMILIES {
        let (a, a_addr) = bound(family);
        let (b, b_addr) = bound(family);
        assert_eq!(a.sendto(b"ping", &b_addr).unwrap(), 4);
        let (data, from) = b.recvfrom(1024).unwrap();
        assert_eq!(data, b"ping", "{family}");
        assert_eq!(from, a_addr, "{family}: the sender's bound address");
        assert_eq!(from.family(), family);

        assert_eq!(b.sendto(b"pong", &from).unwrap(), 4);
        let (data, from) = a.recvfrom(1024).unwrap();
        assert_eq!((data.as_slice(), &from), (&b"pong"[..], &b_addr));
    }
}

/// recvfrom_into() writes the datagram at the front of the buffer and reports
/// its length and sender.
#[test]
fn recvfrom_into_reports_length_and_sender() {
    for family in FAMILIES {
        let (a, a_addr) = bound(family);
        let (b, b_addr) = bound(family);
        a.sendto(b"into the buffer", &b_addr).unwrap();
        let mut buf = [0xAAu8; 64];
        let (n, from) = b.recvfrom_into(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"into the buffer", "{family}");
        assert!(
            buf[n..].iter().all(|&b| b == 0xAA),
            "bytes past the datagram were touched"
        );
        assert_eq!(from, a_addr);
    }
}

/// A sender that never bound gets an address on its first sendto(), and that
/// is the address the receiver sees.
#[test]
fn unbound_sender_is_seen_at_its_implicit_address() {
    for family in FAMILIES {
        let (b, b_addr) = bound(family);
        let a = Socket::new(family, SOCK_DGRAM).unwrap();
        a.sendto(b"hi", &b_addr).unwrap();
        let (_, from) = b.recvfrom(64).unwrap();
        let local = a.getsockname().unwrap();
        assert_eq!(from.port(), local.port(), "{family}");
        assert_ne!(from.port(), Some(0));
        assert_eq!(from.ip(), b_addr.ip(), "sent over loopback");
    }
}

/// Connected UDP: connect() sets the peer, send() and recv() need no address,
/// and datagrams from anyone else are not delivered to the connected socket.
#[test]
fn connected_udp_sends_and_receives_with_its_peer_only() {
    for family in FAMILIES {
        let (a, a_addr) = bound(family);
        let (b, b_addr) = bound(family);
        let (stranger, _) = bound(family);
        a.connect(&b_addr).unwrap();
        assert_eq!(a.getpeername().unwrap(), b_addr, "{family}");

        assert_eq!(a.send(b"to my peer").unwrap(), 10);
        let (data, from) = b.recvfrom(64).unwrap();
        assert_eq!((data.as_slice(), &from), (&b"to my peer"[..], &a_addr));

        // The stranger's datagram is sent first, so if it were delivered it would come first.
        stranger.sendto(b"not for you", &a_addr).unwrap();
        b.sendto(b"from the peer", &a_addr).unwrap();
        assert_eq!(a.recv(64).unwrap(), b"from the peer", "{family}");
        a.setblocking(false).unwrap();
        let err = a.recv(64).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{family}: {err:?}");
    }
}

/// Each recv() returns exactly one datagram, whatever the buffer size,
/// including an empty datagram.
#[test]
fn datagram_boundaries_are_preserved() {
    for family in FAMILIES {
        let (a, _) = bound(family);
        let (b, b_addr) = bound(family);
        let sizes = [1usize, 100, 0, 1000, 7];
        for (i, &size) in sizes.iter().enumerate() {
            let datagram = vec![i as u8 + 1; size];
            assert_eq!(a.sendto(&datagram, &b_addr).unwrap(), size);
        }
        for (i, &size) in sizes.iter().enumerate() {
            let (data, _) = b.recvfrom(65536).unwrap();
            assert_eq!(data, vec![i as u8 + 1; size], "{family}: datagram {i}");
        }
    }
}

/// A datagram longer than the buffer is cut to bufsize (the rest is
/// discarded), and recv_with_flags(MSG_TRUNC) never returns more than bufsize.
#[test]
fn long_datagrams_are_truncated_to_bufsize() {
    for family in FAMILIES {
        let (a, _) = bound(family);
        let (b, b_addr) = bound(family);
        let long: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let send_long = || assert_eq!(a.sendto(&long, &b_addr).unwrap(), 1000);

        send_long();
        a.sendto(b"next", &b_addr).unwrap();
        assert_eq!(b.recv(100).unwrap(), &long[..100], "{family} recv");
        assert_eq!(b.recv(100).unwrap(), b"next", "the rest was discarded");

        send_long();
        let (data, from) = b.recvfrom(10).unwrap();
        assert_eq!(
            (data.as_slice(), from),
            (&long[..10], a.getsockname().unwrap())
        );

        send_long();
        let mut buf = [0u8; 16];
        let (n, _) = b.recvfrom_into(&mut buf).unwrap();
        assert_eq!((n, &buf[..]), (16, &long[..16]), "{family} recvfrom_into");

        send_long();
        let peeked = b.recv_with_flags(100, MSG_TRUNC | MSG_PEEK).unwrap();
        assert_eq!(
            peeked,
            &long[..100],
            "{family}: MSG_TRUNC reports 1000, returns 100"
        );
        let data = b.recv_with_flags(100, MSG_TRUNC).unwrap();
        assert_eq!(data, &long[..100]);

        send_long();
        let (data, _) = b.recvfrom_with_flags(50, MSG_TRUNC).unwrap();
        assert_eq!(data, &long[..50]);

        // recv_into with MSG_TRUNC reports the datagram's full length, as documented.
        send_long();
        let mut buf = [0u8; 20];
        let n = b.recv_into_with_flags(&mut buf, MSG_TRUNC).unwrap();
        assert_eq!((n, &buf[..]), (1000, &long[..20]));
    }
}

/// sendto(("<broadcast>", port)) without SO_BROADCAST is refused with EACCES;
/// SO_BROADCAST can be set and read back, after which the kernel lets the
/// datagram go (or reports no route). The socket is bound to 127.0.0.1, so a
/// broadcast that does go out stays on the loopback interface.
#[test]
fn broadcast_needs_so_broadcast() {
    let (sock, addr) = bound(AF_INET);
    let port = addr.port().unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_BROADCAST).unwrap(), 0);
    let err = sock.sendto(b"all", ("<broadcast>", port)).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EACCES), "{err:?}");
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);

    sock.setsockopt(SOL_SOCKET, SO_BROADCAST, true).unwrap();
    assert_ne!(sock.getsockopt(SOL_SOCKET, SO_BROADCAST).unwrap(), 0);
    match sock.sendto(b"all", ("<broadcast>", port)) {
        Ok(n) => assert_eq!(n, 3),
        Err(err) => assert_eq!(err.errno(), Some(libc::ENETUNREACH), "{err:?}"),
    }
    sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 0).unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_BROADCAST).unwrap(), 0);
}

/// An IPv6 address given to an AF_INET socket is Error::InvalidArgument (in
/// every form), and nothing is sent.
#[test]
fn ipv6_address_on_an_ipv4_socket_is_invalid() {
    let (sock, _) = bound(AF_INET);
    let (v6, v6_addr) = bound(AF_INET6);
    let port = v6_addr.port().unwrap();
    let attempts: Vec<(&str, Result<usize, Error>)> = vec![
        ("(&str, port)", sock.sendto(b"x", ("::1", port))),
        (
            "(Ipv6Addr, port)",
            sock.sendto(b"x", (Ipv6Addr::LOCALHOST, port)),
        ),
        (
            "SocketAddr",
            sock.sendto(b"x", SocketAddr::from((Ipv6Addr::LOCALHOST, port))),
        ),
        (
            "SocketAddrV6",
            sock.sendto(b"x", SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0)),
        ),
        ("Address", sock.sendto(b"x", &v6_addr)),
        ("\"[::1]:port\"", sock.sendto(b"x", format!("[::1]:{port}"))),
    ];
    for (form, result) in attempts {
        match result {
            Err(Error::InvalidArgument(message)) => assert!(!message.is_empty(), "{form}"),
            other => panic!("{form}: expected InvalidArgument, got {other:?}"),
        }
    }
    v6.setblocking(false).unwrap();
    assert!(v6.recv(8).unwrap_err().is_would_block(), "nothing arrived");
    // And the v4 socket still works with a v4 address.
    let (v4, v4_addr) = bound(AF_INET);
    sock.sendto(b"ok", (Ipv4Addr::LOCALHOST, v4_addr.port().unwrap()))
        .unwrap();
    assert_eq!(v4.recv(8).unwrap(), b"ok");
}

/// In timeout mode a UDP receive with nothing to read fails with Error::Timeout
/// after about the timeout, and a datagram that arrives in time is returned.
#[test]
fn udp_receive_in_timeout_mode() {
    let (a, _) = bound(AF_INET);
    let (b, b_addr) = bound(AF_INET);
    b.settimeout(Some(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let err = b.recvfrom(64).unwrap_err();
    let waited = started.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        waited >= Duration::from_millis(150),
        "gave up after {waited:?}"
    );
    assert!(waited < PROMPT, "waited {waited:?}");
    a.sendto(b"in time", &b_addr).unwrap();
    assert_eq!(b.recvfrom(64).unwrap().0, b"in time");
}

/// The ones' complement checksum of ICMP (RFC 792).
fn icmp_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// As root, an ICMP raw socket opens with the family, type and protocol asked
/// for, and pings 127.0.0.1: the echo reply comes back through recvfrom.
#[test]
fn raw_icmp_socket_as_root() {
    if !is_root() {
        println!("skipped raw_icmp_socket_as_root: raw sockets need root");
        return;
    }
    let raw = Socket::with_protocol(AF_INET, SOCK_RAW, Protocol::ICMP).unwrap();
    assert_eq!(
        (raw.family(), raw.kind(), raw.proto()),
        (AF_INET, SOCK_RAW, Protocol::ICMP)
    );
    assert!(!raw.get_inheritable().unwrap());

    let ignores_pings = std::fs::read_to_string("/proc/sys/net/ipv4/icmp_echo_ignore_all")
        .is_ok_and(|value| value.trim() != "0");
    if ignores_pings {
        println!("skipped the echo in raw_icmp_socket_as_root: the kernel ignores pings");
        return;
    }
    let id = (std::process::id() as u16) ^ 0x5a5a;
    let seq = 0x0102u16;
    let mut echo = vec![8, 0, 0, 0];
    echo.extend_from_slice(&id.to_be_bytes());
    echo.extend_from_slice(&seq.to_be_bytes());
    echo.extend_from_slice(b"pysocket raw ping");
    let sum = icmp_checksum(&echo);
    echo[2..4].copy_from_slice(&sum.to_be_bytes());
    raw.settimeout(Some(PROMPT)).unwrap();
    assert_eq!(
        raw.sendto(&echo, (Ipv4Addr::LOCALHOST, 0)).unwrap(),
        echo.len()
    );

    // The socket sees every ICMP message of the host: look for our reply.
    let limit = Instant::now() + PROMPT;
    for _ in 0..1000 {
        assert!(Instant::now() < limit, "no echo reply in time");
        let (packet, from) = raw.recvfrom(2048).unwrap();
        let header = usize::from(packet[0] & 0x0f) * 4;
        let icmp = &packet[header..];
        if icmp.len() >= 8 && icmp[0] == 0 && icmp[4..6] == id.to_be_bytes() {
            assert_eq!(icmp[6..8], seq.to_be_bytes());
            assert_eq!(&icmp[8..], b"pysocket raw ping");
            assert_eq!(from.ip(), Some(Ipv4Addr::LOCALHOST.into()));
            return;
        }
    }
    panic!("no echo reply among 1000 ICMP messages");
}

/// Without privileges, opening a raw socket is an Error::Io of kind
/// PermissionDenied (checked in a child that drops root to nobody).
#[test]
fn raw_socket_without_privileges_is_permission_denied() {
    const TEST: &str = "raw_socket_without_privileges_is_permission_denied";
    const MARK: &str = "unprivileged child: raw socket refused";
    if is_child(TEST) {
        // SAFETY: plain system calls on this child process, which runs only
        // this test; glibc applies setgid/setuid to every thread.
        unsafe {
            assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
            assert_eq!(libc::setgid(65534), 0, "setgid");
            assert_eq!(libc::setuid(65534), 0, "setuid");
            assert_eq!(libc::geteuid(), 65534);
        }
        match Socket::with_protocol(AF_INET, SOCK_RAW, Protocol::ICMP) {
            Err(Error::Io(err)) => {
                assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err:?}");
                assert!(matches!(
                    err.raw_os_error(),
                    Some(libc::EPERM | libc::EACCES)
                ));
            }
            other => panic!("expected PermissionDenied, got {other:?}"),
        }
        // Ordinary sockets still open.
        let (sock, _) = udp_socket(AF_INET);
        assert_eq!(sock.kind(), SOCK_DGRAM);
        println!("{MARK}");
        return;
    }
    if !is_root() {
        println!("skipped raw_socket_without_privileges_is_permission_denied: cannot drop privileges without root");
        return;
    }
    assert_child_passes(TEST, MARK);
}
