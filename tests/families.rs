//! Addresses of the families beyond IP and Unix, over real sockets where this
//! kernel has them: netlink (a request to the kernel and its reply), packet
//! sockets on `lo`, vsock. No receive may take a datagram and then fail on
//! its sender's address.

use std::time::Duration;

use pysocket::{Address, Family, MsgFlags, Protocol, SockType, Socket, SOCK_DGRAM, SOCK_RAW};

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
        assert_eq!(from.family(), netlink_family());

        sock.send(&getlink_request(2)).expect("send");
        let mut buf = vec![0u8; 65536];
        let (n, from) = sock.recvfrom_into(&mut buf).expect("recvfrom_into");
        assert_newlink(&buf[..n], 2);
        assert_eq!(from.family(), netlink_family());

        sock.send(&getlink_request(3)).expect("send");
        let msg = sock.recvmsg(65536, 0, MsgFlags::empty()).expect("recvmsg");
        assert_newlink(&msg.data, 3);
        assert_eq!(msg.address.expect("sender").family(), netlink_family());
    }
}

/// Whatever the family, the raw bytes after the family field come back.
#[test]
fn an_address_the_crate_does_not_decode_is_other_with_its_bytes() {
    let sock = route_socket(SOCK_RAW);
    let name = sock.getsockname().expect("getsockname");
    assert_eq!(name.family(), netlink_family());
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
