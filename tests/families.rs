//! Addresses of the families beyond IP and Unix, over real sockets where this
//! kernel has them: netlink (a request to the kernel and its reply), packet
//! sockets on `lo`, vsock. No receive may take a datagram and then fail on
//! its sender's address.

use std::io::IoSliceMut;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::time::{Duration, Instant};

use pysocket::{
    Address, AlgAddress, CanAddress, Error, Family, MsgFlags, PacketAddress, Protocol, SockType,
    Socket, ToAddress, AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM,
};

const WAIT: Duration = Duration::from_secs(5);

fn netlink_family() -> Family {
    Family::from(libc::AF_NETLINK)
}

/// A `NETLINK_ROUTE` socket whose receives give up after [`WAIT`].
fn route_socket(kind: SockType) -> Socket {
    let sock = Socket::with_protocol(netlink_family(), kind, Protocol::from(libc::NETLINK_ROUTE))
        .expect("AF_NETLINK socket");
    sock.settimeout(Some(WAIT)).expect("settimeout");
    sock
}

fn loopback_index() -> u32 {
    // SAFETY: the name is a NUL-terminated C string.
    let index = unsafe { libc::if_nametoindex(c"lo".as_ptr()) };
    assert_ne!(index, 0, "no loopback interface");
    index
}

/// An `RTM_GETLINK` request for `lo`: a `nlmsghdr` and an `ifinfomsg`, by hand.
fn getlink_request(seq: u32) -> Vec<u8> {
    let mut msg = Vec::with_capacity(32);
    msg.extend_from_slice(&32u32.to_ne_bytes()); // nlmsg_len
    msg.extend_from_slice(&libc::RTM_GETLINK.to_ne_bytes()); // nlmsg_type
    msg.extend_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes()); // nlmsg_flags
    msg.extend_from_slice(&seq.to_ne_bytes()); // nlmsg_seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // nlmsg_pid
    msg.push(libc::AF_UNSPEC as u8); // ifi_family
    msg.push(0); // padding
    msg.extend_from_slice(&0u16.to_ne_bytes()); // ifi_type
    msg.extend_from_slice(&(loopback_index() as i32).to_ne_bytes()); // ifi_index
    msg.extend_from_slice(&0u32.to_ne_bytes()); // ifi_flags
    msg.extend_from_slice(&0u32.to_ne_bytes()); // ifi_change
    msg
}

/// Checks that `reply` is the kernel's `RTM_NEWLINK` answer to request `seq`.
fn assert_newlink(reply: &[u8], seq: u32) {
    assert!(reply.len() >= 32, "reply of {} bytes", reply.len());
    let len = u32::from_ne_bytes(reply[0..4].try_into().unwrap()) as usize;
    let kind = u16::from_ne_bytes(reply[4..6].try_into().unwrap());
    let reply_seq = u32::from_ne_bytes(reply[8..12].try_into().unwrap());
    let index = i32::from_ne_bytes(reply[20..24].try_into().unwrap());
    assert_eq!(len, reply.len(), "one message, all of it");
    assert_eq!(kind, libc::RTM_NEWLINK);
    assert_eq!(reply_seq, seq);
    assert_eq!(index as u32, loopback_index());
}

/// The reproduction: the reply to `RTM_GETLINK` came back as an error
/// ("addresses of family 16 are not supported") and was gone.
#[test]
fn recvfrom_on_netlink_returns_the_datagram_it_took() {
    for kind in [SOCK_RAW, SOCK_DGRAM] {
        let sock = route_socket(kind);
        sock.send(&getlink_request(1)).expect("send");
        let (reply, from) = sock.recvfrom(65536).expect("recvfrom");
        assert_newlink(&reply, 1);
        assert_eq!(from, Address::Netlink { pid: 0, groups: 0 });

        sock.send(&getlink_request(2)).expect("send");
        let mut buf = vec![0u8; 65536];
        let (n, from) = sock.recvfrom_into(&mut buf).expect("recvfrom_into");
        assert_newlink(&buf[..n], 2);
        assert_eq!(from.family(), netlink_family());

        sock.send(&getlink_request(3)).expect("send");
        let msg = sock.recvmsg(65536, 0, MsgFlags::empty()).expect("recvmsg");
        assert_newlink(&msg.data, 3);
        assert_eq!(msg.address, Some(Address::Netlink { pid: 0, groups: 0 }));
    }
}

/// Whatever the family, the raw bytes after the family field come back.
#[test]
fn an_address_the_crate_does_not_decode_is_other_with_its_bytes() {
    // 16 is AF_NETLINK; the bytes are nl_pad, nl_pid, nl_groups.
    let other = Address::Other {
        family: Family::from(16),
        data: vec![0, 0, 1, 2, 3, 4, 0, 0, 0, 0],
    };
    assert_eq!(
        other.to_string(),
        "(16, b'\\x00\\x00\\x01\\x02\\x03\\x04\\x00\\x00\\x00\\x00')"
    );
}

/// A netlink request sent with `sendto` to the kernel, `(0, 0)`, after a bind
/// to `(0, 0)` (the kernel picks the socket's port id).
#[test]
fn netlink_bind_sendto_connect_and_names() {
    let sock = route_socket(SOCK_RAW);
    sock.bind((0u32, 0u32)).expect("bind");
    let Address::Netlink { pid, groups } = sock.getsockname().expect("getsockname") else {
        panic!("not a netlink address");
    };
    assert_ne!(pid, 0, "the kernel assigns a port id");
    assert_eq!(groups, 0);
    assert_eq!(Address::Netlink { pid: 7, groups: 1 }.to_string(), "(7, 1)");

    sock.sendto(&getlink_request(10), (0u32, 0u32))
        .expect("sendto");
    let (reply, from) = sock.recvfrom(65536).expect("recvfrom");
    assert_newlink(&reply, 10);
    assert_eq!(from, Address::Netlink { pid: 0, groups: 0 });

    let kernel = Address::Netlink { pid: 0, groups: 0 };
    sock.connect(&kernel).expect("connect");
    assert_eq!(sock.getpeername().expect("getpeername"), kernel);
    sock.send(&getlink_request(11)).expect("send");
    let mut buf = vec![0u8; 65536];
    let msg = sock
        .recvmsg_into(&mut [IoSliceMut::new(&mut buf)], 0, MsgFlags::empty())
        .expect("recvmsg_into");
    assert_newlink(&buf[..msg.nbytes], 11);
    assert_eq!(msg.address, Some(kernel));
}

/// Two netlink sockets of this process talk to each other by port id.
#[test]
fn netlink_sockets_address_each_other() {
    let a = route_socket(SOCK_DGRAM);
    let b = route_socket(SOCK_DGRAM);
    a.bind((0u32, 0u32)).expect("bind a");
    b.bind((0u32, 0u32)).expect("bind b");
    let a_name = a.getsockname().expect("a's name");
    b.sendto(b"not a netlink message", &a_name).expect("sendto");
    let (data, from) = a.recvfrom(64).expect("recvfrom");
    assert_eq!(data, b"not a netlink message");
    assert_eq!(from, b.getsockname().expect("b's name"));
}

#[test]
fn a_pair_of_integers_is_refused_where_it_means_nothing() {
    for family in [AF_INET, AF_INET6, AF_UNIX] {
        let err = (0u32, 0u32).to_address(family).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::InvalidArgument(_)), "{text}");
        assert!(
            text.contains("AF_NETLINK") && text.contains(&family.to_string()),
            "{text}"
        );
    }
    let udp = Socket::new(AF_INET, SOCK_DGRAM).expect("udp");
    let err = udp.bind((0u32, 0u32)).unwrap_err();
    assert!(err.to_string().contains("(pid, groups)"), "{err}");
    // A netlink address on a netlink socket of another kind of address is refused too.
    let err = Address::Netlink { pid: 0, groups: 0 }
        .to_address(AF_INET)
        .unwrap_err();
    assert!(err.to_string().contains("AF_INET"), "{err}");
}

/// Python: `OverflowError: flowinfo must be 0-1048575`.
#[test]
fn a_flowinfo_beyond_twenty_bits_is_refused() {
    let sock = Socket::new(AF_INET6, SOCK_DGRAM).expect("udp6");
    let bad = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 1 << 20, 0);
    for err in [
        sock.bind(bad).unwrap_err(),
        sock.bind(Address::Inet6(bad)).unwrap_err(),
        sock.sendto(b"x", bad).unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(
            err.to_string().contains("flowinfo must be 0-1048575"),
            "{err}"
        );
    }
    let good = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, (1 << 20) - 1, 0);
    sock.bind(good).expect("the largest flow label binds");
}

fn vsock_family() -> Family {
    Family::from(libc::AF_VSOCK)
}

/// `VMADDR_CID_ANY` and `VMADDR_PORT_ANY`.
const ANY: u32 = u32::MAX;

#[test]
fn vsock_bind_getsockname_and_loopback_connect() {
    let listener = match Socket::new(vsock_family(), SOCK_STREAM) {
        Ok(sock) => sock,
        Err(err) => {
            eprintln!("skipped: this kernel has no AF_VSOCK ({err})");
            return;
        }
    };
    listener.settimeout(Some(WAIT)).expect("settimeout");
    listener
        .bind((ANY, ANY))
        .expect("bind (VMADDR_CID_ANY, VMADDR_PORT_ANY)");
    let name = listener.getsockname().expect("getsockname");
    let Address::Vsock { port, .. } = name else {
        panic!("not a vsock address: {name:?}");
    };
    assert_ne!(port, ANY, "the kernel chose a port");
    assert_eq!(Address::Vsock { cid: 1, port: 9 }.to_string(), "(1, 9)");

    // Without the local transport (vsock_loopback) the bind is all: a
    // connect would only time out, after 2 s.
    if !std::path::Path::new("/sys/module/vsock_loopback").exists() {
        eprintln!("vsock connect not run: no vsock_loopback module");
        return;
    }
    listener.listen(1).expect("listen");
    let client = Socket::new(vsock_family(), SOCK_STREAM).expect("client");
    client.settimeout(Some(WAIT)).expect("settimeout");
    let local = Address::Vsock { cid: 1, port }; // VMADDR_CID_LOCAL
    client.connect(&local).expect("connect to the local cid");
    let (conn, peer) = listener.accept().expect("accept");
    assert_eq!(peer.family(), vsock_family());
    assert_eq!(client.getpeername().expect("getpeername"), local);
    assert_eq!(conn.getpeername().expect("peer"), peer);
}

fn packet_family() -> Family {
    Family::from(libc::AF_PACKET)
}

fn htons(value: u16) -> i32 {
    i32::from(value.to_be())
}

/// A packet socket bound to `lo` for `proto`, receives bounded by [`WAIT`].
fn packet_socket(kind: SockType, proto: u16) -> Socket {
    let sock = Socket::with_protocol(packet_family(), kind, Protocol::from(htons(proto)))
        .expect("AF_PACKET socket (root)");
    sock.settimeout(Some(WAIT)).expect("settimeout");
    sock.bind(PacketAddress::new("lo", proto))
        .expect("bind to lo");
    sock
}

/// Receives on `sock` until a packet ending with `marker` comes (other tests
/// share the loopback), within [`WAIT`] and a bounded number of packets.
fn receive_marked(sock: &Socket, marker: &[u8]) -> (Vec<u8>, Address) {
    let deadline = Instant::now() + WAIT;
    for _ in 0..100_000 {
        assert!(Instant::now() < deadline, "no packet with the marker");
        let (data, from) = sock.recvfrom(65536).expect("recvfrom");
        if data.ends_with(marker) {
            return (data, from);
        }
    }
    panic!("no packet with the marker among 100000");
}

#[test]
fn a_packet_socket_on_lo_sees_udp_sent_to_localhost() {
    const ETH_P_ALL: u16 = libc::ETH_P_ALL as u16;
    const ETH_P_IP: u16 = libc::ETH_P_IP as u16;
    for kind in [SOCK_DGRAM, SOCK_RAW] {
        let sniffer = packet_socket(kind, ETH_P_ALL);
        let Address::Packet(name) = sniffer.getsockname().expect("getsockname") else {
            panic!("not a packet address");
        };
        assert_eq!((name.ifname.as_str(), name.proto), ("lo", ETH_P_ALL));
        assert_eq!(name.hatype, libc::ARPHRD_LOOPBACK);

        let receiver = Socket::new(AF_INET, SOCK_DGRAM).expect("udp");
        receiver.bind(("127.0.0.1", 0)).expect("bind");
        let sender = Socket::new(AF_INET, SOCK_DGRAM).expect("udp");
        let marker = format!("pysocket-families-{}-{kind:?}", std::process::id());
        sender
            .sendto(marker.as_bytes(), receiver.getsockname().unwrap())
            .expect("sendto");

        let (_, from) = receive_marked(&sniffer, marker.as_bytes());
        let Address::Packet(from) = from else {
            panic!("not a packet address: {from:?}");
        };
        assert_eq!(from.ifname, "lo");
        assert_eq!(from.proto, ETH_P_IP, "host byte order");
        assert_eq!(from.hatype, libc::ARPHRD_LOOPBACK);
        assert_eq!(
            from.addr,
            vec![0; 6],
            "the loopback's all-zero MAC, cut to sll_halen"
        );
        assert!(
            from.to_string().starts_with("('lo', 2048, ")
                && from
                    .to_string()
                    .ends_with(", 772, b'\\x00\\x00\\x00\\x00\\x00\\x00')"),
            "{from}"
        );
    }
}

/// A frame of an experimental EtherType, sent with `sendto` to a packet
/// address on `lo` and received by a socket bound to that EtherType.
#[test]
fn a_packet_socket_sends_to_a_packet_address() {
    const ETH_P_LOCAL_EXPERIMENTAL: u16 = 0x88b5;
    let receiver = packet_socket(SOCK_DGRAM, ETH_P_LOCAL_EXPERIMENTAL);
    let sender = Socket::with_protocol(packet_family(), SOCK_DGRAM, Protocol::from(0))
        .expect("AF_PACKET socket");
    let marker = format!("pysocket-families-sendto-{}", std::process::id());
    let mut to = PacketAddress::new("lo", ETH_P_LOCAL_EXPERIMENTAL);
    to.addr = vec![0; 6];
    sender.sendto(marker.as_bytes(), &to).expect("sendto");
    let (data, from) = receive_marked(&receiver, marker.as_bytes());
    assert_eq!(data, marker.as_bytes());
    let Address::Packet(from) = from else {
        panic!("not a packet address");
    };
    assert_eq!(
        (from.ifname.as_str(), from.proto),
        ("lo", ETH_P_LOCAL_EXPERIMENTAL)
    );
}

#[test]
fn bad_packet_addresses_are_errors_that_name_the_problem() {
    let sock = Socket::with_protocol(packet_family(), SOCK_DGRAM, Protocol::from(0))
        .expect("AF_PACKET socket");
    let cases: [(PacketAddress, &str); 3] = [
        (
            PacketAddress::new("an-interface-name-too-long", 3),
            "the limit is 15",
        ),
        (PacketAddress::new("no-such-if0", 3), "no-such-if0"),
        (
            PacketAddress {
                addr: vec![0; 9],
                ..PacketAddress::new("lo", 3)
            },
            "holds 8",
        ),
    ];
    for (addr, expected) in cases {
        let err = sock.bind(&addr).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(
            err.to_string().contains(expected),
            "{expected:?} not in {err}"
        );
    }
    let udp = Socket::new(AF_INET, SOCK_DGRAM).expect("udp");
    let err = udp.bind(PacketAddress::new("lo", 3)).unwrap_err();
    assert!(err.to_string().contains("AF_PACKET"), "{err}");
}

#[test]
fn an_unknown_family_is_an_os_error_and_other_round_trips() {
    // 250 is no family the OS knows: creating the socket fails with its errno.
    let err = Socket::new(Family::from(250), SOCK_DGRAM).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EAFNOSUPPORT), "{err}");
    // An Other address only goes to a socket of its family.
    let other = Address::Other {
        family: Family::from(250),
        data: vec![1, 2, 3],
    };
    let err = other.to_address(AF_INET).unwrap_err();
    assert!(err.to_string().contains("250"), "{err}");
    assert_eq!(other.to_address(Family::from(250)).unwrap(), other);
    let big = Address::Other {
        family: netlink_family(),
        data: vec![0; 200],
    };
    let sock = route_socket(SOCK_RAW);
    let err = sock.bind(&big).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    // The raw bytes of a netlink address bind as the typed address does.
    let raw = Address::Other {
        family: netlink_family(),
        data: vec![0; 10],
    };
    sock.bind(&raw).expect("bind raw (0, 0)");
    assert!(matches!(
        sock.getsockname().unwrap(),
        Address::Netlink { .. }
    ));
}

/// `AF_ALG` sockets are refused by the test kernel: the address is checked
/// byte for byte against libc's `sockaddr_alg`, and bound for real only
/// where the kernel allows the family.
#[test]
fn alg_addresses_have_the_kernels_layout() {
    use std::mem::{offset_of, size_of};
    let addr = AlgAddress {
        kind: "hash".into(),
        name: "sha256".into(),
        feat: 0x0102_0304,
        mask: 0x0506_0708,
    };
    let raw = addr.encode().unwrap().encode_raw().unwrap();
    assert_eq!(raw.len(), size_of::<libc::sockaddr_alg>());
    assert_eq!(&raw[..2], &(libc::AF_ALG as u16).to_ne_bytes());
    let kind_at = offset_of!(libc::sockaddr_alg, salg_type);
    assert_eq!(&raw[kind_at..kind_at + 5], b"hash\0");
    let feat_at = offset_of!(libc::sockaddr_alg, salg_feat);
    assert_eq!(&raw[feat_at..feat_at + 4], &0x0102_0304u32.to_ne_bytes());
    let mask_at = offset_of!(libc::sockaddr_alg, salg_mask);
    assert_eq!(&raw[mask_at..mask_at + 4], &0x0506_0708u32.to_ne_bytes());
    let name_at = offset_of!(libc::sockaddr_alg, salg_name);
    assert_eq!(&raw[name_at..name_at + 7], b"sha256\0");
    // What the kernel would return decodes as Other, and back to the tuple.
    let back = Address::decode_raw(&raw).unwrap();
    assert_eq!(AlgAddress::decode(&back).unwrap(), addr);
    assert_eq!(addr.to_string(), "('hash', 'sha256', 16909060, 84281096)");

    for (bad, expected) in [
        (
            AlgAddress::new("fourteen-bytes", "sha256"),
            "AF_ALG type too long",
        ),
        (
            AlgAddress::new("hash", &"x".repeat(64)),
            "AF_ALG name too long",
        ),
        (AlgAddress::new("ha\0sh", "sha256"), "NUL"),
    ] {
        let err = bad.encode().unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    let err = AlgAddress::decode(&Address::Other {
        family: Family::from(libc::AF_ALG),
        data: vec![0; 20],
    })
    .unwrap_err();
    assert!(err.to_string().contains("truncated AF_ALG"), "{err}");
    let err = Socket::new(AF_INET, SOCK_DGRAM)
        .unwrap()
        .bind(&addr)
        .unwrap_err();
    assert!(err.to_string().contains("AF_ALG"), "{err}");

    match Socket::new(
        Family::from(libc::AF_ALG),
        SockType::from(libc::SOCK_SEQPACKET),
    ) {
        Err(err) => eprintln!("AF_ALG bind not run: the kernel refuses the family ({err})"),
        Ok(sock) => {
            sock.bind(&addr).expect("bind hash/sha256");
        }
    }
}

/// `AF_CAN` sockets are refused by the test kernel (and it has no CAN
/// interface): the address is checked byte for byte against libc's
/// `sockaddr_can`, for each protocol's fields.
#[test]
fn can_addresses_have_the_kernels_layout() {
    use std::mem::{offset_of, size_of};
    let lo = loopback_index() as i32; // any interface's index will do for the bytes
    let ifindex_at = offset_of!(libc::sockaddr_can, can_ifindex);
    let union_at = offset_of!(libc::sockaddr_can, can_addr);

    let isotp = CanAddress::Isotp {
        ifname: "lo".into(),
        rx_id: 0x123,
        tx_id: 0x456,
    };
    let raw = isotp.encode().unwrap().encode_raw().unwrap();
    assert_eq!(raw.len(), size_of::<libc::sockaddr_can>());
    assert_eq!(&raw[..2], &(libc::AF_CAN as u16).to_ne_bytes());
    assert_eq!(&raw[ifindex_at..ifindex_at + 4], &lo.to_ne_bytes());
    assert_eq!(&raw[union_at..union_at + 4], &0x123u32.to_ne_bytes());
    assert_eq!(&raw[union_at + 4..union_at + 8], &0x456u32.to_ne_bytes());
    let back = Address::decode_raw(&raw).unwrap();
    assert_eq!(
        CanAddress::decode(&back, Protocol::from(libc::CAN_ISOTP)).unwrap(),
        isotp
    );
    assert_eq!(isotp.to_string(), "('lo', 291, 1110)");

    let j1939 = CanAddress::J1939 {
        ifname: "lo".into(),
        name: 0x0102_0304_0506_0708,
        pgn: 0x1_ef00,
        addr: 0x80,
    };
    let raw = j1939.encode().unwrap().encode_raw().unwrap();
    assert_eq!(
        &raw[union_at..union_at + 8],
        &0x0102_0304_0506_0708u64.to_ne_bytes()
    );
    assert_eq!(
        &raw[union_at + 8..union_at + 12],
        &0x1_ef00u32.to_ne_bytes()
    );
    assert_eq!(raw[union_at + 12], 0x80);
    let back = Address::decode_raw(&raw).unwrap();
    assert_eq!(
        CanAddress::decode(&back, Protocol::from(libc::CAN_J1939)).unwrap(),
        j1939
    );
    let raw_can = CanAddress::decode(&back, Protocol::from(libc::CAN_RAW)).unwrap();
    assert_eq!(
        raw_can,
        CanAddress::Raw {
            ifname: "lo".into()
        }
    );
    assert_eq!(raw_can.to_string(), "('lo',)");

    for (bad, expected) in [
        ("a-can-name-too-long", "the limit is 15"),
        ("no-such-can0", "no-such-can0"),
    ] {
        let err = CanAddress::Raw { ifname: bad.into() }.encode().unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    let short = Address::Other {
        family: Family::from(libc::AF_CAN),
        data: vec![0; 10],
    };
    assert!(CanAddress::decode(&short, Protocol::from(libc::CAN_RAW)).is_ok());
    let err = CanAddress::decode(&short, Protocol::from(libc::CAN_J1939)).unwrap_err();
    assert!(err.to_string().contains("truncated AF_CAN"), "{err}");

    match Socket::with_protocol(
        Family::from(libc::AF_CAN),
        SOCK_RAW,
        Protocol::from(libc::CAN_RAW),
    ) {
        Err(err) => eprintln!("AF_CAN bind not run: the kernel refuses the family ({err})"),
        Ok(sock) => {
            sock.bind(CanAddress::Raw {
                ifname: String::new(),
            })
            .expect("bind to every CAN interface");
        }
    }
}
