//! Every constant of Python's `socket` module, compared with python3's own
//! list when python3 is here; the types' behaviour on real sockets.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use pysocket::{
    Family, MsgFlags, SockType, Socket, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_ROUTE,
    AF_UNIX, AF_VSOCK, MSG_FASTOPEN, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM,
};

/// Runs `script` in python3 and returns its standard output, or `None`
/// (with a message) when python3 is not here.
fn python(script: &str) -> Option<String> {
    match Command::new("python3").args(["-c", script]).output() {
        Ok(out) if out.status.success() => Some(String::from_utf8(out.stdout).unwrap()),
        Ok(out) => panic!(
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(_) => {
            eprintln!("python3 not found: skipping the comparison with Python's socket module");
            None
        }
    }
}

/// `name value` lines, one a constant.
fn parse(text: &str) -> BTreeMap<String, i64> {
    text.lines()
        .map(|line| {
            let (name, value) = line.split_once(' ').unwrap();
            (name.to_owned(), value.parse().unwrap())
        })
        .collect()
}

fn crate_table() -> BTreeMap<String, i64> {
    let all = pysocket::__all_constants();
    let table: BTreeMap<String, i64> = all.iter().map(|&(n, v)| (n.to_owned(), v)).collect();
    assert_eq!(table.len(), all.len(), "a name twice in the table");
    table
}

#[test]
fn every_python_constant_has_the_same_value_here() {
    // Python's integer constants: upper-case names, and AF_DECnet.
    let Some(out) = python(
        "import socket\n\
         for n in sorted(dir(socket)):\n\
         \x20   v = getattr(socket, n)\n\
         \x20   if n[:1].isupper() and n.replace('DECnet', 'DECNET').isupper() \
                    and isinstance(v, int) and not isinstance(v, bool):\n\
         \x20       print(n, int(v))\n",
    ) else {
        return;
    };
    let python = parse(&out);
    assert!(
        python.len() > 300,
        "python3 listed only {} constants",
        python.len()
    );
    let ours = crate_table();

    let missing: Vec<&String> = python.keys().filter(|n| !ours.contains_key(*n)).collect();
    let different: Vec<(&String, i64, i64)> = python
        .iter()
        .filter_map(|(n, &v)| ours.get(n).filter(|&&o| o != v).map(|&o| (n, v, o)))
        .collect();
    // Newer Pythons add constants (IP_PKTINFO came in 3.12?): names this
    // python3 lacks are listed, not refused.
    let extra: Vec<&String> = ours.keys().filter(|n| !python.contains_key(*n)).collect();
    eprintln!(
        "python3: {} constants, pysocket: {}, missing here: {}, values different: {}, \
         not in this python3: {extra:?}",
        python.len(),
        ours.len(),
        missing.len(),
        different.len()
    );
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert!(
        different.is_empty(),
        "different values (name, python, pysocket): {different:?}"
    );
}

#[test]
fn the_table_holds_the_crate_roots_values() {
    let table = crate_table();
    assert_eq!(table["AF_INET"], i64::from(AF_INET.as_raw()));
    assert_eq!(table["AF_ROUTE"], i64::from(AF_NETLINK.as_raw()));
    assert_eq!(table["SOCK_NONBLOCK"], i64::from(libc::SOCK_NONBLOCK));
    assert_eq!(table["MSG_FASTOPEN"], i64::from(MSG_FASTOPEN.bits()));
    assert_eq!(table["INADDR_BROADCAST"], i64::from(u32::MAX));
    assert_eq!(table["CAN_EFF_FLAG"], 0x8000_0000);
    assert_eq!(table["TIPC_WAIT_FOREVER"], -1);
    assert_eq!(table["SHUT_RDWR"], i64::from(libc::SHUT_RDWR));
    assert_eq!(
        table["IOCTL_VM_SOCKETS_GET_LOCAL_CID"],
        i64::from(pysocket::IOCTL_VM_SOCKETS_GET_LOCAL_CID)
    );
    assert!(table.len() >= 342, "{} constants", table.len());
}

#[test]
fn families_display_as_python_names_them() {
    // Fixed expectations first, so the test means something without python3.
    assert_eq!(AF_NETLINK.to_string(), "AF_NETLINK");
    assert_eq!(AF_ROUTE.to_string(), "AF_NETLINK"); // an alias: Python says so too
    assert_eq!(AF_PACKET.to_string(), "AF_PACKET");
    assert_eq!(AF_VSOCK.to_string(), "AF_VSOCK");
    assert_eq!(format!("{:?}", AF_PACKET), "AF_PACKET");
    assert_eq!(Family::from_raw(4242).to_string(), "4242");

    let families: BTreeSet<i64> = crate_table()
        .into_iter()
        .filter(|(n, _)| n.starts_with("AF_"))
        .map(|(_, v)| v)
        .collect();
    let values: Vec<String> = families.iter().map(i64::to_string).collect();
    let Some(out) = python(&format!(
        "import socket\n\
         for v in [{}]:\n\
         \x20   try: print(v, socket.AddressFamily(v).name)\n\
         \x20   except ValueError: print(v, '-')\n",
        values.join(", ")
    )) else {
        return;
    };
    let (mut lines, mut named) = (0, 0);
    for line in out.lines() {
        lines += 1;
        let (value, name) = line.split_once(' ').unwrap();
        let family = Family::from_raw(value.parse().unwrap());
        if name == "-" {
            // Not in this Python's enum (AF_DECnet in 3.11): it has a name
            // here all the same.
            assert!(family.name().is_some(), "family {value}");
            continue;
        }
        assert_eq!(family.to_string(), name, "family {value}");
        assert_eq!(family.name(), Some(name));
        named += 1;
    }
    assert_eq!(lines, families.len());
    assert!(named >= 30, "only {named} families compared");
}

#[test]
fn sock_nonblock_or_ed_into_the_type_makes_a_nonblocking_socket() {
    let kind = SOCK_STREAM | SOCK_NONBLOCK;
    assert_eq!(kind.as_raw(), libc::SOCK_STREAM | libc::SOCK_NONBLOCK);
    let server = Socket::new(AF_INET, kind).unwrap();
    assert!(!server.getblocking());
    assert_eq!(server.gettimeout(), Some(std::time::Duration::ZERO));
    assert_eq!(server.kind(), SOCK_STREAM); // the flags are not part of the type
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(1).unwrap();
    // Nothing to accept: a non-blocking socket says so at once.
    assert!(server.accept().unwrap_err().is_would_block());

    // A plain type stays blocking; SOCK_CLOEXEC alone changes nothing visible.
    let plain = Socket::new(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC).unwrap();
    assert!(plain.getblocking());
    assert_eq!(plain.kind(), SOCK_DGRAM);
    assert!(!plain.get_inheritable().unwrap());

    let mut kind = SockType::DGRAM;
    kind |= SOCK_NONBLOCK;
    let sock = Socket::new(AF_UNIX, kind).unwrap();
    assert!(!sock.getblocking());
    assert!(sock.recv(1).unwrap_err().is_would_block());

    // socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK): both ends non-blocking,
    // of type SOCK_DGRAM, as Python's are.
    let (a, b) = pysocket::socketpair_with(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK).unwrap();
    for end in [&a, &b] {
        assert!(!end.getblocking());
        assert_eq!(end.kind(), SOCK_DGRAM);
        assert!(end.recv(1).unwrap_err().is_would_block());
    }
}

#[test]
fn new_msg_flags_are_bits_of_msgflags() {
    assert_eq!(MSG_FASTOPEN, MsgFlags::FASTOPEN);
    assert_eq!(MSG_FASTOPEN.bits(), libc::MSG_FASTOPEN);
    assert_eq!(pysocket::MSG_NOSIGNAL.bits(), libc::MSG_NOSIGNAL);
    assert_eq!(pysocket::AI_PASSIVE, pysocket::AddrInfoFlags::PASSIVE);
    assert_eq!(
        pysocket::NI_NUMERICHOST,
        pysocket::NameInfoFlags::NUMERICHOST
    );
}

#[test]
fn constants_of_newer_pythons_are_the_kernels_options() {
    use pysocket::{
        IPPROTO_IP, IPPROTO_TCP, IP_RECVERR, IP_RECVTTL, TCP_FASTOPEN_CONNECT, TCP_INQ,
    };
    // This python3 may not have them: the kernel vouches for them instead.
    let udp = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    for option in [IP_RECVERR, IP_RECVTTL] {
        udp.setsockopt(IPPROTO_IP, option, true).unwrap();
        assert_eq!(
            udp.getsockopt(IPPROTO_IP, option).unwrap(),
            1,
            "option {option}"
        );
    }
    let tcp = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    for option in [TCP_INQ, TCP_FASTOPEN_CONNECT] {
        tcp.setsockopt(IPPROTO_TCP, option, true).unwrap();
        assert_eq!(
            tcp.getsockopt(IPPROTO_TCP, option).unwrap(),
            1,
            "option {option}"
        );
    }
}
