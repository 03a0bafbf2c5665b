//! Dual-stack servers: one `AF_INET6` socket that accepts IPv6 clients and
//! IPv4 clients, the latter at IPv4-mapped addresses (`::ffff:127.0.0.1`).

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::PROMPT;
use pysocket::{
    create_connection, has_dualstack_ipv6, Error, ServerBuilder, AF_INET, AF_INET6, AF_UNIX,
    IPPROTO_IPV6, IPV6_V6ONLY,
};

/// The message of an `Error::InvalidArgument`, or a panic saying what came instead.
fn invalid_message<T: std::fmt::Debug>(result: pysocket::Result<T>) -> String {
    match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected Error::InvalidArgument, got {other:?}"),
    }
}

/// One server, an IPv4 client and an IPv6 client.
#[test]
fn dualstack_server_accepts_ipv4_and_ipv6_clients() {
    assert!(
        has_dualstack_ipv6(),
        "Linux with IPv6 has dual-stack sockets"
    );
    let server = ServerBuilder::new(("", 0))
        .dualstack_ipv6(true)
        .build()
        .unwrap();
    assert_eq!(server.family(), AF_INET6);
    assert_eq!(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY).unwrap(), 0);
    let bound = server.getsockname().unwrap();
    assert_eq!(bound.ip(), Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
    let port = bound.port().unwrap();
    server.settimeout(Some(PROMPT)).unwrap();

    let v4 = create_connection(("127.0.0.1", port), Some(PROMPT)).unwrap();
    assert_eq!(v4.family(), AF_INET);
    let (conn, peer) = server.accept().unwrap();
    let mapped = match peer.ip() {
        Some(IpAddr::V6(ip)) => ip,
        other => panic!("an IPv4 client should show as IPv4-mapped IPv6, got {other:?}"),
    };
    assert_eq!(mapped.to_string(), "::ffff:127.0.0.1");
    assert_eq!(mapped.to_ipv4_mapped(), Some(Ipv4Addr::LOCALHOST));
    assert_eq!(peer.port(), v4.getsockname().unwrap().port());
    v4.sendall(b"over IPv4").unwrap();
    conn.settimeout(Some(PROMPT)).unwrap();
    assert_eq!(conn.recv(64).unwrap(), b"over IPv4");

    let v6 = create_connection(("::1", port), Some(PROMPT)).unwrap();
    assert_eq!(v6.family(), AF_INET6);
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer.ip(), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!(peer, v6.getsockname().unwrap());
    v6.sendall(b"over IPv6").unwrap();
    conn.settimeout(Some(PROMPT)).unwrap();
    assert_eq!(conn.recv(64).unwrap(), b"over IPv6");
}

/// Without dual-stack, an AF_INET6 server refuses IPv4 clients (IPV6_V6ONLY).
#[test]
fn ipv6_server_without_dualstack_is_ipv6_only() {
    let server = ServerBuilder::new(("", 0))
        .family(AF_INET6)
        .build()
        .unwrap();
    assert_eq!(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY).unwrap(), 1);
    let port = server.getsockname().unwrap().port().unwrap();
    let err = create_connection(("127.0.0.1", port), Some(PROMPT)).unwrap_err();
    assert_eq!(err.errno(), Some(libc::ECONNREFUSED), "{err:?}");
}

/// Dual-stack needs AF_INET6: another family, or an IPv4 address, is refused.
#[test]
fn dualstack_requires_ipv6() {
    for family in [AF_INET, AF_UNIX] {
        let message = invalid_message(
            ServerBuilder::new(("", 0))
                .family(family)
                .dualstack_ipv6(true)
                .build(),
        );
        assert!(message.contains("AF_INET6"), "{message}");
        assert!(message.contains(&family.to_string()), "{message}");
    }
    let message = invalid_message(
        ServerBuilder::new(("127.0.0.1", 0))
            .dualstack_ipv6(true)
            .build(),
    );
    assert!(message.contains("127.0.0.1"), "{message}");
    let explicit = ServerBuilder::new(("::", 0))
        .family(AF_INET6)
        .dualstack_ipv6(true)
        .build()
        .unwrap();
    assert_eq!(explicit.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY).unwrap(), 0);
}
