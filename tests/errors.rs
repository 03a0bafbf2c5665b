//! Bad input and calls in the wrong state: never a panic, always an error that
//! says what was wrong, and an `Error` API that keeps the errno and the kind.

mod common;

use std::error::Error as StdError;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::time::Duration;

use pysocket::{
    socketpair, Address, Error, Family, MsgFlags, SockType, Socket, ToAddress, UnixAddress,
    AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM,
};

/// The message of an `Error::InvalidArgument`, or a panic saying what came instead.
fn invalid_message<T: std::fmt::Debug>(result: pysocket::Result<T>) -> String {
    match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected Error::InvalidArgument, got {other:?}"),
    }
}

/// The errno of an `Error::Io`, or a panic saying what came instead.
fn errno_of<T: std::fmt::Debug>(result: pysocket::Result<T>) -> i32 {
    match result {
        Err(err @ Error::Io(_)) => err.errno().expect("an OS error has an errno"),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

fn stream(family: Family) -> Socket {
    let sock = Socket::new(family, SOCK_STREAM).expect("socket");
    sock.settimeout(Some(common::PROMPT)).expect("settimeout");
    sock
}

fn dgram(family: Family) -> Socket {
    let sock = Socket::new(family, SOCK_DGRAM).expect("socket");
    sock.settimeout(Some(common::PROMPT)).expect("settimeout");
    sock
}

/// Checks that `text` is refused as an address by bind, connect, connect_ex
/// and sendto on sockets of `family`, with a message that quotes it and
/// contains `needle`. Returns the message bind gave.
fn refused_everywhere(family: Family, text: &str, needle: &str) -> String {
    let quoted = format!("{text:?}");
    let tcp = stream(family);
    let udp = dgram(family);
    let messages = [
        invalid_message(text.to_address(family)),
        invalid_message(tcp.bind(text)),
        invalid_message(tcp.connect(text)),
        invalid_message(tcp.connect_ex(text.to_owned())),
        invalid_message(udp.sendto(b"x", text)),
    ];
    for message in &messages {
        assert!(
            message.contains(&quoted),
            "{family} {quoted}: the message should quote the input: {message}"
        );
        assert!(
            message.contains(needle),
            "{family} {quoted}: the message should say {needle:?}: {message}"
        );
    }
    assert!(
        tcp.getsockname().unwrap().port() == Some(0),
        "nothing was bound"
    );
    messages[0].clone()
}

/// `"host:port"` with a port that is not a number is `InvalidArgument` quoting it.
#[test]
fn host_port_with_a_non_numeric_port_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        refused_everywhere(family, "localhost:http", "\"http\"");
        refused_everywhere(family, "127.0.0.1:80x", "not a number");
        refused_everywhere(family, "[::1]:http", "not a number");
        refused_everywhere(family, "127.0.0.1:-1", "not a number");
        refused_everywhere(family, "127.0.0.1:", "not a number");
    }
}

/// A port above 65535 is `InvalidArgument` that names the allowed range.
#[test]
fn host_port_with_a_port_above_65535_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        refused_everywhere(family, "127.0.0.1:65536", "65535");
        refused_everywhere(family, "[::1]:99999", "65535");
        refused_everywhere(family, "localhost:18446744073709551616", "65535");
    }
}

/// `"host"` without `":port"` is `InvalidArgument` saying the port is missing.
#[test]
fn host_without_a_colon_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        refused_everywhere(family, "127.0.0.1", "no ':'");
        refused_everywhere(family, "localhost", "no ':'");
        refused_everywhere(family, "", "no ':'");
    }
}

/// An unbracketed IPv6 address with a port is `InvalidArgument` showing the
/// bracketed form; one without a port is not mistaken for address and port.
#[test]
fn unbracketed_ipv6_is_invalid_and_shows_the_brackets() {
    for family in [AF_INET, AF_INET6] {
        refused_everywhere(family, "::1:80", "\"[::1]:80\"");
        refused_everywhere(family, "fe80::1:8001", "\"[fe80::1]:8001\"");
        let message = refused_everywhere(family, "::1", "brackets");
        assert!(message.contains("\"[::1]:port\""), "{message}");
    }
}

/// A bracketed host without `:` before the port is `InvalidArgument`.
#[test]
fn bracketed_host_without_colon_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        refused_everywhere(family, "[::1]80", "[host]:port");
        refused_everywhere(family, "[::1", "[host]:port");
        refused_everywhere(family, "[::1]", "[host]:port");
    }
}

/// An IPv6 address for an AF_INET socket is `InvalidArgument` naming it, in
/// every form an address can take.
#[test]
fn ipv6_address_for_an_inet_socket_is_invalid() {
    let v6 = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 8001, 0, 0);
    let address = Address::Inet6(v6);
    let tcp = stream(AF_INET);
    let udp = dgram(AF_INET);
    let messages = [
        invalid_message(tcp.bind(("::1", 0))),
        invalid_message(tcp.bind("[::1]:0")),
        invalid_message(tcp.connect(("::1".to_owned(), 8001))),
        invalid_message(tcp.connect(SocketAddr::V6(v6))),
        invalid_message(tcp.connect(v6)),
        invalid_message(tcp.connect((Ipv6Addr::LOCALHOST, 8001))),
        invalid_message(tcp.connect_ex(Address::Inet6(v6))),
        invalid_message(udp.sendto(b"x", ("::1", 8001))),
        invalid_message(udp.sendto(b"x", v6)),
        invalid_message(udp.sendto(b"x", SocketAddr::V6(v6))),
        invalid_message(udp.sendto(b"x", &address)),
        invalid_message(udp.sendto(b"x", address)),
        invalid_message(udp.connect(v6)),
    ];
    for message in &messages {
        assert!(message.contains("::1"), "{message}");
        assert!(message.contains("IPv6"), "{message}");
        assert!(message.contains("AF_INET"), "{message}");
    }
}

/// An IPv4 address for an AF_INET6 socket is `InvalidArgument` naming it.
#[test]
fn ipv4_address_for_an_inet6_socket_is_invalid() {
    let v4 = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8001);
    let address = Address::Inet(v4);
    let tcp = stream(AF_INET6);
    let udp = dgram(AF_INET6);
    let messages = [
        invalid_message(tcp.bind(("127.0.0.1", 0))),
        invalid_message(tcp.bind("127.0.0.1:0")),
        invalid_message(tcp.connect(SocketAddr::V4(v4))),
        invalid_message(tcp.connect(v4)),
        invalid_message(tcp.connect((Ipv4Addr::LOCALHOST, 8001))),
        invalid_message(tcp.connect_ex(Address::Inet(v4))),
        invalid_message(udp.sendto(b"x", ("127.0.0.1", 8001))),
        invalid_message(udp.sendto(b"x", v4)),
        invalid_message(udp.sendto(b"x", SocketAddr::V4(v4))),
        invalid_message(udp.sendto(b"x", &address)),
        invalid_message(udp.sendto(b"x", address)),
        invalid_message(udp.connect(v4)),
    ];
    for message in &messages {
        assert!(message.contains("127.0.0.1"), "{message}");
        assert!(message.contains("IPv4"), "{message}");
        assert!(message.contains("AF_INET6"), "{message}");
    }
    let message = invalid_message(("<broadcast>", 9).to_address(AF_INET6));
    assert!(message.contains("255.255.255.255"), "{message}");
}

/// A v4-mapped IPv6 literal is an IPv6 address, so an AF_INET6 socket takes it.
#[test]
fn v4_mapped_ipv6_literal_is_fine_for_inet6() {
    let addr = ("::ffff:127.0.0.1", 8001).to_address(AF_INET6).unwrap();
    assert_eq!(addr.ip(), Some("::ffff:127.0.0.1".parse().unwrap()));
    assert!(matches!(
        ("::ffff:127.0.0.1", 8001).to_address(AF_INET),
        Err(Error::InvalidArgument(_))
    ));
}

/// A path or a Unix address for an AF_INET or AF_INET6 socket is
/// `InvalidArgument` naming the path.
#[test]
fn path_for_an_inet_socket_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        let sock = stream(family);
        let message = invalid_message(sock.bind(Path::new("/tmp/pysocket.sock")));
        assert!(message.contains("/tmp/pysocket.sock"), "{message}");
        assert!(message.contains("path"), "{message}");
        let message = invalid_message(sock.connect(Path::new("/tmp/pysocket.sock").to_owned()));
        assert!(message.contains("/tmp/pysocket.sock"), "{message}");
        let message = invalid_message(sock.connect(UnixAddress::from("/tmp/pysocket.sock")));
        assert!(message.contains("/tmp/pysocket.sock"), "{message}");
        assert!(message.contains("AF_UNIX"), "{message}");
        let message = invalid_message(sock.connect(Address::Unix(UnixAddress::Unnamed)));
        assert!(message.contains("AF_UNIX"), "{message}");
        // A path as a &str is read as "host:port" and has no port.
        refused_everywhere(family, "/tmp/pysocket.sock", "no ':'");
    }
}

/// A host name with a NUL byte is `InvalidArgument` (not a truncated lookup).
#[test]
fn host_with_a_nul_byte_is_invalid() {
    for family in [AF_INET, AF_INET6] {
        let sock = stream(family);
        for host in ["local\0host", "\0", "127.0.0.1\0evil"] {
            let message = invalid_message(sock.connect((host, 8001)));
            assert!(message.contains(&format!("{host:?}")), "{message}");
            assert!(message.contains("NUL"), "{message}");
        }
        let udp = dgram(family);
        for message in [
            invalid_message(sock.bind("local\0host:80")),
            invalid_message(udp.sendto(b"x", "local\0host:80".to_owned())),
        ] {
            assert!(message.contains(r#""local\0host""#), "{message}");
            assert!(message.contains("NUL"), "{message}");
        }
    }
}

/// A name that does not resolve is `Error::Resolve` carrying the host, with
/// no errno, and `connect_ex` reports it as `Err` too.
#[test]
fn unresolvable_name_is_a_resolve_error() {
    let host = "no-such-host.invalid";
    for family in [AF_INET, AF_INET6] {
        let sock = stream(family);
        let err = sock.connect((host, 80)).unwrap_err();
        match &err {
            Error::Resolve {
                host: name,
                message,
                ..
            } => {
                assert_eq!(name, host);
                assert!(!message.is_empty());
            }
            other => panic!("expected Error::Resolve, got {other:?}"),
        }
        assert!(err.to_string().contains(host), "{err}");
        assert_eq!(err.errno(), None);
        assert!(!err.is_timeout());
        assert!(matches!(
            sock.connect_ex(format!("{host}:80")),
            Err(Error::Resolve { .. })
        ));
        let converted = io::Error::from(err);
        assert!(converted.to_string().contains(host), "{converted}");
    }
}

/// `""` is the wildcard address of the family and `"<broadcast>"` is
/// 255.255.255.255, as in Python; literals are used as they are.
#[test]
fn empty_host_is_the_wildcard_and_broadcast_is_all_ones() {
    assert_eq!(
        ("", 8001).to_address(AF_INET).unwrap(),
        Address::Inet(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8001))
    );
    assert_eq!(
        ("", 8001).to_address(AF_INET6).unwrap(),
        Address::Inet6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 8001, 0, 0))
    );
    assert_eq!(
        (String::new(), 7).to_address(AF_INET).unwrap().to_string(),
        "0.0.0.0:7"
    );
    assert_eq!(
        ":8001".to_address(AF_INET).unwrap().ip(),
        Some(Ipv4Addr::UNSPECIFIED.into())
    );
    assert_eq!(
        ("<broadcast>", 9).to_address(AF_INET).unwrap(),
        Address::Inet(SocketAddrV4::new(Ipv4Addr::BROADCAST, 9))
    );
    assert_eq!(
        "<broadcast>:9".to_address(AF_INET).unwrap().to_string(),
        "255.255.255.255:9"
    );
    assert_eq!(
        ("127.0.0.1", 80).to_address(AF_INET).unwrap().to_string(),
        "127.0.0.1:80"
    );
    assert_eq!(
        "[::1]:80".to_address(AF_INET6).unwrap().to_string(),
        "[::1]:80"
    );
}

/// Odd strings never panic: each is an address or an error with a message.
/// (Every name that reaches the resolver is under `.invalid`: no DNS traffic.)
#[test]
fn odd_address_strings_never_panic() {
    let long = format!("{}.invalid:80", "x".repeat(300));
    let cases = [
        "",
        ":",
        "::",
        ":::",
        "[",
        "]",
        "[]",
        "[]:",
        "[]:80",
        "[[::1]]",
        "[::1]:80:80",
        "1.2.3.4.5.invalid:80",
        "256.0.0.1.invalid:80",
        "127.0.0.1:+80",
        "127.0.0.1: 80",
        "\u{e9}\u{301}.invalid:80",
        "\0",
        "\0:0",
        long.as_str(),
    ];
    for text in cases {
        for family in [AF_INET, AF_INET6, AF_UNIX, Family::from(12345)] {
            match text.to_address(family) {
                Ok(_) => {}
                Err(Error::InvalidArgument(message)) => {
                    assert!(!message.is_empty(), "{family} {text:?}")
                }
                Err(Error::Resolve { host, .. }) => assert!(text.contains(host.as_str())),
                Err(other) => panic!("{family} {text:?}: unexpected {other:?}"),
            }
        }
    }
}

/// `recv` with a size that cannot be allocated is `Err`, not an abort, and
/// leaves the queued data for the next call.
#[test]
fn recv_of_an_impossible_size_is_an_error() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(common::PROMPT)).unwrap();
    a.sendall(b"still here").unwrap();
    for size in [usize::MAX, 1 << 60, isize::MAX as usize + 1] {
        let message = invalid_message(b.recv(size));
        assert!(message.contains(&size.to_string()), "{message}");
        assert!(b.recv_with_flags(size, MsgFlags::PEEK).is_err());
        assert!(b.recvfrom(size).is_err());
    }
    assert_eq!(b.recv(64).unwrap(), b"still here");
}

/// `listen` on a UDP socket fails with EOPNOTSUPP.
#[test]
fn listen_on_udp_is_eopnotsupp() {
    for family in [AF_INET, AF_INET6] {
        let (udp, _) = common::udp_socket(family);
        assert_eq!(errno_of(udp.listen(1)), libc::EOPNOTSUPP);
    }
}

/// `accept` on a socket that is not listening fails with EINVAL at once.
#[test]
fn accept_without_listen_is_einval() {
    let sock = stream(AF_INET);
    sock.bind(("127.0.0.1", 0)).unwrap();
    let err = sock.accept().unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINVAL), "{err}");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

/// `getpeername` on an unconnected socket fails with ENOTCONN.
#[test]
fn getpeername_unconnected_is_enotconn() {
    for sock in [
        stream(AF_INET),
        stream(AF_INET6),
        dgram(AF_INET),
        stream(AF_UNIX),
    ] {
        let err = sock.getpeername().unwrap_err();
        assert_eq!(err.errno(), Some(libc::ENOTCONN), "{err}");
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
    }
}

/// `send` and `sendall` on an unconnected TCP socket fail with EPIPE or ENOTCONN.
#[test]
fn send_on_unconnected_tcp_fails() {
    for family in [AF_INET, AF_INET6] {
        let sock = stream(family);
        let errno = errno_of(sock.send(b"nobody listens"));
        assert!(
            errno == libc::EPIPE || errno == libc::ENOTCONN,
            "errno {errno}"
        );
        let errno = errno_of(sock.sendall(b"nobody listens"));
        assert!(
            errno == libc::EPIPE || errno == libc::ENOTCONN,
            "errno {errno}"
        );
    }
}

/// `recv` on an unconnected TCP socket fails with ENOTCONN instead of waiting.
#[test]
fn recv_on_unconnected_tcp_is_enotconn() {
    let sock = stream(AF_INET);
    assert_eq!(errno_of(sock.recv(16)), libc::ENOTCONN);
}

/// Binding a socket a second time fails with EINVAL and keeps the first address.
#[test]
fn bind_twice_is_einval() {
    for family in [AF_INET, AF_INET6] {
        let (udp, addr) = common::udp_socket(family);
        let host = if family == AF_INET {
            "127.0.0.1"
        } else {
            "::1"
        };
        assert_eq!(errno_of(udp.bind((host, 0))), libc::EINVAL);
        assert_eq!(udp.getsockname().unwrap(), addr);
    }
}

/// Connecting a UDP socket to an address of the other family is
/// `InvalidArgument` and leaves it unconnected.
#[test]
fn connect_udp_to_the_wrong_family_is_invalid() {
    let (v6_peer, v6_addr) = common::udp_socket(AF_INET6);
    let (v4_peer, v4_addr) = common::udp_socket(AF_INET);
    let udp4 = dgram(AF_INET);
    let message = invalid_message(udp4.connect(&v6_addr));
    assert!(message.contains(&v6_addr.to_string()), "{message}");
    let udp6 = dgram(AF_INET6);
    let message = invalid_message(udp6.connect(&v4_addr));
    assert!(message.contains(&v4_addr.to_string()), "{message}");
    for sock in [&udp4, &udp6] {
        assert_eq!(
            sock.getpeername().unwrap_err().errno(),
            Some(libc::ENOTCONN)
        );
    }
    drop((v6_peer, v4_peer));
}

/// A connected TCP socket cannot connect again: EISCONN.
#[test]
fn connect_twice_is_eisconn() {
    let (client, _server) = common::tcp_pair();
    let peer = client.getpeername().unwrap();
    assert_eq!(errno_of(client.connect(&peer)), libc::EISCONN);
    assert_eq!(client.connect_ex(&peer).unwrap(), libc::EISCONN);
}

/// `Error::Timeout` is "timed out", has no errno, and becomes an `io::Error`
/// of kind `TimedOut`.
#[test]
fn timeout_error_api() {
    let (a, _b) = socketpair().unwrap();
    a.settimeout(Some(Duration::from_millis(10))).unwrap();
    let err = a.recv(16).unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_timeout());
    assert!(!err.is_would_block());
    assert_eq!(err.errno(), None);
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(err.to_string(), "timed out");
    let converted = io::Error::from(err);
    assert_eq!(converted.kind(), io::ErrorKind::TimedOut);
    assert_eq!(converted.raw_os_error(), None);
    assert_eq!(converted.to_string(), "timed out");
}

/// A non-blocking call that would wait is `Error::Io` of kind `WouldBlock`
/// with EAGAIN, and converts to an `io::Error` with that errno.
#[test]
fn would_block_error_api() {
    let (a, _b) = socketpair().unwrap();
    a.setblocking(false).unwrap();
    let err = a.recv(16).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert!(err.is_would_block());
    assert!(!err.is_timeout());
    assert_eq!(err.errno(), Some(libc::EAGAIN));
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    let converted = io::Error::from(err);
    assert_eq!(converted.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(converted.kind(), io::ErrorKind::WouldBlock);

    let (listener, _) = common::listener(AF_INET);
    listener.setblocking(false).unwrap();
    assert!(listener.accept().unwrap_err().is_would_block());
}

/// An OS error keeps its errno and its text through `Error` and back to
/// `io::Error`, and through `?` into a boxed error.
#[test]
fn io_error_keeps_its_errno() {
    let sock = stream(AF_INET);
    let err = sock.getpeername().unwrap_err();
    let expected = io::Error::from_raw_os_error(libc::ENOTCONN);
    assert_eq!(err.errno(), Some(libc::ENOTCONN));
    let text = expected
        .to_string()
        .replace(&format!(" (os error {})", libc::ENOTCONN), "");
    assert_eq!(
        err.to_string(),
        format!("[Errno {}] {text}", libc::ENOTCONN)
    );
    assert!(!err.is_would_block());
    let converted = io::Error::from(err);
    assert_eq!(converted.raw_os_error(), Some(libc::ENOTCONN));
    assert_eq!(converted.kind(), io::ErrorKind::NotConnected);

    fn boxed(sock: &Socket) -> Result<(), Box<dyn StdError + Send + Sync>> {
        sock.getpeername()?;
        Ok(())
    }
    let err = boxed(&sock).unwrap_err();
    let inner = err
        .downcast_ref::<Error>()
        .expect("the boxed error is pysocket's");
    assert_eq!(inner.errno(), Some(libc::ENOTCONN));
}

/// `Error::InvalidArgument` has no errno and becomes an `io::Error` of kind
/// `InvalidInput` that keeps the message.
#[test]
fn invalid_argument_error_api() {
    let err = "localhost:http".to_address(AF_INET).unwrap_err();
    assert_eq!(err.errno(), None);
    assert!(!err.is_timeout());
    assert!(!err.is_would_block());
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let message = err.to_string();
    let converted = io::Error::from(err);
    assert_eq!(converted.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(converted.raw_os_error(), None);
    assert_eq!(converted.to_string(), message);
}

/// An unknown family or type is `Error::Io` with the OS's errno, not a panic.
#[test]
fn unknown_family_or_type_is_an_os_error() {
    let err = Socket::new(Family::from(12345), SOCK_STREAM).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EAFNOSUPPORT), "{err}");
    let err = Socket::new(AF_INET, SockType::from(12345)).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINVAL), "{err}");
}
