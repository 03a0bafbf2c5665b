//! Socket options by level and name: int, bool and bytes values round trip,
//! options the OS rejects keep their errno, and the inheritable flag.

mod common;

use std::io;

use pysocket::{
    socketpair, Error, Family, SockType, Socket, AF_INET, AF_INET6, AF_UNIX, IPPROTO_IP,
    IPPROTO_IPV6, IPPROTO_TCP, IPV6_UNICAST_HOPS, IPV6_V6ONLY, IP_TTL, SOCK_DGRAM, SOCK_SEQPACKET,
    SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_BROADCAST, SO_ERROR, SO_KEEPALIVE, SO_LINGER,
    SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SO_TYPE, TCP_NODELAY,
};

/// An option number no level knows.
const UNKNOWN_OPTION: i32 = 9999;

fn socket(family: Family, kind: SockType) -> Socket {
    Socket::new(family, kind).expect("socket")
}

/// `struct linger { l_onoff, l_linger }` as the bytes `setsockopt` takes.
fn linger_bytes(onoff: i32, seconds: i32) -> Vec<u8> {
    [onoff.to_ne_bytes(), seconds.to_ne_bytes()].concat()
}

fn errno_of<T: std::fmt::Debug>(result: pysocket::Result<T>) -> i32 {
    match result {
        Err(err @ Error::Io(_)) => err.errno().expect("an OS error has an errno"),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

/// Sets a boolean option with `true`, `false`, `1` and `0` and reads each back.
fn assert_bool_round_trip(sock: &Socket, level: i32, name: i32) {
    sock.setsockopt(level, name, true).unwrap();
    assert_eq!(sock.getsockopt(level, name).unwrap(), 1);
    sock.setsockopt(level, name, false).unwrap();
    assert_eq!(sock.getsockopt(level, name).unwrap(), 0);
    sock.setsockopt(level, name, 1).unwrap();
    assert_eq!(sock.getsockopt(level, name).unwrap(), 1);
    sock.setsockopt(level, name, 0).unwrap();
    assert_eq!(sock.getsockopt(level, name).unwrap(), 0);
}

/// SO_REUSEADDR starts off and round trips as bool and int on TCP and UDP.
#[test]
fn so_reuseaddr_round_trips() {
    for kind in [SOCK_STREAM, SOCK_DGRAM] {
        let sock = socket(AF_INET, kind);
        assert_eq!(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR).unwrap(), 0);
        assert_bool_round_trip(&sock, SOL_SOCKET, SO_REUSEADDR);
    }
}

/// SO_KEEPALIVE round trips, also when set from the int's raw bytes.
#[test]
fn so_keepalive_round_trips_as_int_bool_and_bytes() {
    let sock = socket(AF_INET, SOCK_STREAM);
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE).unwrap(), 0);
    assert_bool_round_trip(&sock, SOL_SOCKET, SO_KEEPALIVE);
    sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, &1i32.to_ne_bytes())
        .unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE).unwrap(), 1);
    assert_eq!(
        sock.getsockopt_bytes(SOL_SOCKET, SO_KEEPALIVE, 4).unwrap(),
        1i32.to_ne_bytes()
    );
    let zero = 0i32.to_ne_bytes().to_vec();
    sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, &zero).unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE).unwrap(), 0);
}

/// TCP_NODELAY at IPPROTO_TCP round trips on a fresh and on a connected socket,
/// over IPv4 and IPv6.
#[test]
fn tcp_nodelay_round_trips() {
    let fresh = socket(AF_INET, SOCK_STREAM);
    assert_eq!(fresh.getsockopt(IPPROTO_TCP, TCP_NODELAY).unwrap(), 0);
    assert_bool_round_trip(&fresh, IPPROTO_TCP, TCP_NODELAY);
    for family in [AF_INET, AF_INET6] {
        let (client, server) = common::tcp_pair_of(family);
        client.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
        assert_eq!(client.getsockopt(IPPROTO_TCP, TCP_NODELAY).unwrap(), 1);
        assert_eq!(server.getsockopt(IPPROTO_TCP, TCP_NODELAY).unwrap(), 0);
        client.sendall(b"still works").unwrap();
        server.settimeout(Some(common::PROMPT)).unwrap();
        assert_eq!(server.recv(64).unwrap(), b"still works");
    }
}

/// SO_SNDBUF and SO_RCVBUF read back at least what was set (Linux doubles it),
/// and a larger request gives a larger buffer.
#[test]
fn buffer_sizes_take_at_least_the_value_set() {
    for name in [SO_SNDBUF, SO_RCVBUF] {
        for (family, kind) in [(AF_INET, SOCK_STREAM), (AF_INET6, SOCK_DGRAM)] {
            let sock = socket(family, kind);
            assert!(sock.getsockopt(SOL_SOCKET, name).unwrap() > 0);
            sock.setsockopt(SOL_SOCKET, name, 8192).unwrap();
            let small = sock.getsockopt(SOL_SOCKET, name).unwrap();
            assert!(small >= 8192, "option {name}: set 8192, got {small}");
            sock.setsockopt(SOL_SOCKET, name, 65536).unwrap();
            let large = sock.getsockopt(SOL_SOCKET, name).unwrap();
            assert!(large >= 65536, "option {name}: set 65536, got {large}");
            assert!(large > small, "option {name}: {large} after {small}");
        }
    }
}

/// SO_LINGER round trips as the 8 bytes of `struct linger`.
#[test]
fn so_linger_round_trips_as_bytes() {
    let sock = socket(AF_INET, SOCK_STREAM);
    assert_eq!(
        sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8).unwrap(),
        linger_bytes(0, 0)
    );
    let on = linger_bytes(1, 5);
    sock.setsockopt(SOL_SOCKET, SO_LINGER, &on).unwrap();
    assert_eq!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8).unwrap(), on);
    assert_eq!(
        sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 1024).unwrap(),
        on,
        "the answer is as long as the OS says, not as the buffer"
    );
    let longer = linger_bytes(1, 30);
    sock.setsockopt(SOL_SOCKET, SO_LINGER, longer.as_slice())
        .unwrap();
    assert_eq!(
        sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8).unwrap(),
        longer
    );
    // Turning lingering off clears l_onoff; Linux keeps the old l_linger.
    sock.setsockopt(SOL_SOCKET, SO_LINGER, &linger_bytes(0, 0))
        .unwrap();
    let off = sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8).unwrap();
    assert_eq!(off.len(), 8);
    assert_eq!(off[..4], 0i32.to_ne_bytes());
}

/// SO_TYPE reads the socket's type, as `kind()` reports it.
#[test]
fn so_type_reads_the_socket_type() {
    for (family, kind) in [
        (AF_INET, SOCK_STREAM),
        (AF_INET, SOCK_DGRAM),
        (AF_INET6, SOCK_STREAM),
        (AF_INET6, SOCK_DGRAM),
        (AF_UNIX, SOCK_STREAM),
        (AF_UNIX, SOCK_DGRAM),
        (AF_UNIX, SOCK_SEQPACKET),
    ] {
        let sock = socket(family, kind);
        let raw = sock.getsockopt(SOL_SOCKET, SO_TYPE).unwrap();
        assert_eq!(raw, i32::from(kind), "{family} {kind}");
        assert_eq!(SockType::from(raw), sock.kind());
    }
}

/// SO_ERROR is 0 on a fresh socket and on a healthy connection.
#[test]
fn so_error_is_zero_on_a_fresh_socket() {
    for family in [AF_INET, AF_INET6, AF_UNIX] {
        let sock = socket(family, SOCK_STREAM);
        assert_eq!(sock.getsockopt(SOL_SOCKET, SO_ERROR).unwrap(), 0);
    }
    let (client, _server) = common::tcp_pair();
    assert_eq!(client.getsockopt(SOL_SOCKET, SO_ERROR).unwrap(), 0);
}

/// SO_ACCEPTCONN is 0 until `listen` and 1 after it.
#[test]
fn so_acceptconn_is_set_by_listen() {
    let sock = socket(AF_INET, SOCK_STREAM);
    sock.bind(("127.0.0.1", 0)).unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 0);
    sock.listen(4).unwrap();
    assert_eq!(sock.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 1);
    let (client, conn) = common::tcp_pair();
    assert_eq!(client.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 0);
    assert_eq!(conn.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 0);
}

/// IPV6_V6ONLY round trips on AF_INET6, and an AF_INET socket refuses it with
/// ENOPROTOOPT.
#[test]
fn ipv6_v6only_round_trips_on_inet6() {
    for kind in [SOCK_STREAM, SOCK_DGRAM] {
        let sock = socket(AF_INET6, kind);
        assert_bool_round_trip(&sock, IPPROTO_IPV6, IPV6_V6ONLY);
    }
    let v4 = socket(AF_INET, SOCK_STREAM);
    assert_eq!(
        errno_of(v4.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, true)),
        libc::ENOPROTOOPT
    );
}

/// SO_BROADCAST starts off on UDP and round trips.
#[test]
fn so_broadcast_round_trips_on_udp() {
    for family in [AF_INET, AF_INET6] {
        let sock = socket(family, SOCK_DGRAM);
        assert_eq!(sock.getsockopt(SOL_SOCKET, SO_BROADCAST).unwrap(), 0);
        assert_bool_round_trip(&sock, SOL_SOCKET, SO_BROADCAST);
    }
}

/// IP_TTL (and IPv6's hop limit) round trip, and a TTL out of range is EINVAL.
#[test]
fn ip_ttl_round_trips() {
    for kind in [SOCK_STREAM, SOCK_DGRAM] {
        let sock = socket(AF_INET, kind);
        sock.setsockopt(IPPROTO_IP, IP_TTL, 42).unwrap();
        assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TTL).unwrap(), 42);
        sock.setsockopt(IPPROTO_IP, IP_TTL, 255).unwrap();
        assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TTL).unwrap(), 255);
        assert_eq!(
            errno_of(sock.setsockopt(IPPROTO_IP, IP_TTL, 256)),
            libc::EINVAL
        );
        assert_eq!(sock.getsockopt(IPPROTO_IP, IP_TTL).unwrap(), 255);
    }
    let sock = socket(AF_INET6, SOCK_DGRAM);
    sock.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 17)
        .unwrap();
    assert_eq!(
        sock.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS).unwrap(),
        17
    );
}

/// An option name the OS does not know is `Error::Io` with ENOPROTOOPT, for
/// set, get and get-as-bytes.
#[test]
fn unknown_option_is_enoprotoopt() {
    let sock = socket(AF_INET, SOCK_STREAM);
    assert_eq!(
        errno_of(sock.setsockopt(SOL_SOCKET, UNKNOWN_OPTION, 1)),
        libc::ENOPROTOOPT
    );
    assert_eq!(
        errno_of(sock.getsockopt(SOL_SOCKET, UNKNOWN_OPTION)),
        libc::ENOPROTOOPT
    );
    assert_eq!(
        errno_of(sock.getsockopt_bytes(SOL_SOCKET, UNKNOWN_OPTION, 16)),
        libc::ENOPROTOOPT
    );
    let err = sock.getsockopt(SOL_SOCKET, UNKNOWN_OPTION).unwrap_err();
    let converted = io::Error::from(err);
    assert_eq!(converted.raw_os_error(), Some(libc::ENOPROTOOPT));
}

/// SO_LINGER given bytes of the wrong length (or an int) is `Error::Io` with
/// EINVAL, and the option keeps its value.
#[test]
fn so_linger_of_the_wrong_length_is_einval() {
    let sock = socket(AF_INET, SOCK_STREAM);
    let on = linger_bytes(1, 3);
    sock.setsockopt(SOL_SOCKET, SO_LINGER, &on).unwrap();
    for bad in [&[][..], &[1u8][..], &[1u8, 0, 0, 0][..], &[1u8; 7][..]] {
        assert_eq!(
            errno_of(sock.setsockopt(SOL_SOCKET, SO_LINGER, bad)),
            libc::EINVAL,
            "{} bytes",
            bad.len()
        );
    }
    assert_eq!(
        errno_of(sock.setsockopt(SOL_SOCKET, SO_LINGER, 1)),
        libc::EINVAL
    );
    assert_eq!(sock.getsockopt_bytes(SOL_SOCKET, SO_LINGER, 8).unwrap(), on);
}

/// `getsockopt_bytes` takes a buffer length from 1 to 1024; 0 and 1025 are
/// `InvalidArgument` naming the length and the range.
#[test]
fn getsockopt_bytes_buflen_out_of_range_is_invalid() {
    let sock = socket(AF_INET, SOCK_STREAM);
    for buflen in [0, 1025, usize::MAX] {
        match sock.getsockopt_bytes(SOL_SOCKET, SO_TYPE, buflen) {
            Err(Error::InvalidArgument(message)) => {
                assert!(message.contains(&buflen.to_string()), "{message}");
                assert!(message.contains("1 to 1024"), "{message}");
            }
            other => panic!("buflen {buflen}: expected InvalidArgument, got {other:?}"),
        }
    }
    let one = sock.getsockopt_bytes(SOL_SOCKET, SO_TYPE, 1).unwrap();
    assert_eq!(one.len(), 1, "the kernel fills what room there is");
    let full = sock.getsockopt_bytes(SOL_SOCKET, SO_TYPE, 1024).unwrap();
    assert_eq!(full, i32::from(SOCK_STREAM).to_ne_bytes());
}

/// New sockets are not inheritable (close-on-exec), accepted and duplicated
/// ones included, and `set_inheritable` round trips.
#[test]
fn inheritable_round_trips_and_starts_off() {
    let sock = socket(AF_INET, SOCK_STREAM);
    assert!(!sock.get_inheritable().unwrap());
    sock.set_inheritable(true).unwrap();
    assert!(sock.get_inheritable().unwrap());
    sock.set_inheritable(false).unwrap();
    assert!(!sock.get_inheritable().unwrap());

    let (client, conn) = common::tcp_pair();
    let (a, b) = socketpair().unwrap();
    let dup = client.dup().unwrap();
    for fresh in [&client, &conn, &a, &b, &dup] {
        assert!(!fresh.get_inheritable().unwrap(), "{fresh}");
    }

    client.set_inheritable(true).unwrap();
    assert!(
        !dup.get_inheritable().unwrap(),
        "the flag is per descriptor"
    );
    let dup = client.dup().unwrap();
    assert!(
        !dup.get_inheritable().unwrap(),
        "dup() is never inheritable"
    );
}
