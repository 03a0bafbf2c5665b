//! The sockaddr decoder against random bytes of every family: it never
//! panics, it reads every address its encoder writes, and it refuses only
//! bytes too short for their family, with an error that says so.

use proptest::prelude::*;

use pysocket::{Address, Family, PacketAddress};

/// The families the decoder reads, some it keeps as raw bytes (CAN, ALG,
/// TIPC, Bluetooth), and numbers no OS has.
const FAMILIES: [i32; 12] = [
    libc::AF_UNSPEC,
    libc::AF_UNIX,
    libc::AF_INET,
    libc::AF_INET6,
    libc::AF_NETLINK,
    libc::AF_PACKET,
    libc::AF_VSOCK,
    libc::AF_CAN,
    libc::AF_ALG,
    libc::AF_TIPC,
    libc::AF_BLUETOOTH,
    250,
];

/// The shortest address each decoded family takes.
fn minimum(family: i32) -> usize {
    match family {
        libc::AF_INET => 8,
        libc::AF_INET6 => 24,
        libc::AF_NETLINK | libc::AF_PACKET | libc::AF_VSOCK => 12,
        _ => 2,
    }
}

fn raw_address() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            proptest::sample::select(&FAMILIES[..]).prop_map(|f| f as u16),
            any::<u16>()
        ],
        proptest::collection::vec(any::<u8>(), 0..140),
    )
        .prop_map(|(family, tail)| {
            let mut bytes = family.to_ne_bytes().to_vec();
            bytes.extend_from_slice(&tail);
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// Random bytes: an address of the family they name, or an error that
    /// names the truncation or the malformed field; never a panic.
    #[test]
    fn decoding_random_bytes_never_panics(bytes in raw_address()) {
        let family = i32::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
        match Address::decode_raw(&bytes) {
            Ok(addr) => {
                prop_assert!(bytes.len() >= minimum(family));
                if family != libc::AF_UNSPEC {
                    prop_assert_eq!(addr.family(), Family::from(family));
                }
                if let Address::Other { data, .. } = &addr {
                    prop_assert_eq!(&data[..], &bytes[2..]);
                }
                let _ = addr.to_string();
            }
            Err(err) => {
                let text = err.to_string();
                prop_assert!(
                    text.contains("truncated") || text.contains("malformed"),
                    "{}", text
                );
                prop_assert!(bytes.len() < minimum(family) || family == libc::AF_PACKET);
            }
        }
    }

    /// Fewer than two bytes hold no family: an error, not a panic.
    #[test]
    fn bytes_without_a_family_are_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..2)) {
        let err = Address::decode_raw(&bytes).unwrap_err();
        prop_assert!(err.to_string().contains("too short to hold its family"));
    }

    /// What the encoder writes, the decoder reads back.
    #[test]
    fn netlink_vsock_and_other_round_trip(
        a in any::<u32>(),
        b in any::<u32>(),
        family in 41i32..250, // none the decoder reads (AF_VSOCK is 40)
        data in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        for addr in [
            Address::Netlink { pid: a, groups: b },
            Address::Vsock { cid: a, port: b },
            Address::Other { family: Family::from(family), data: data.clone() },
        ] {
            let raw = addr.encode_raw().unwrap();
            prop_assert_eq!(Address::decode_raw(&raw).unwrap(), addr);
        }
    }

    /// A packet address on the loopback (or every interface) round-trips,
    /// its hardware address cut to its length.
    #[test]
    fn packet_addresses_round_trip(
        on_lo in any::<bool>(),
        proto in any::<u16>(),
        pkttype in any::<u8>(),
        hatype in any::<u16>(),
        hw in proptest::collection::vec(any::<u8>(), 0..=8),
    ) {
        let addr = Address::Packet(PacketAddress {
            ifname: if on_lo { "lo".to_owned() } else { String::new() },
            proto,
            pkttype,
            hatype,
            addr: hw,
        });
        let raw = addr.encode_raw().unwrap();
        prop_assert_eq!(raw.len(), 20); // sizeof(struct sockaddr_ll)
        prop_assert_eq!(Address::decode_raw(&raw).unwrap(), addr);
    }

    /// A hardware address length beyond the bytes given, or beyond 8, is
    /// refused by name.
    #[test]
    fn a_packet_address_longer_than_its_bytes_is_refused(halen in 0u8..=255, cut in 12usize..20) {
        let mut raw = Address::Packet(PacketAddress::new("", 3)).encode_raw().unwrap();
        raw[11] = halen;
        raw.truncate(cut);
        let result = Address::decode_raw(&raw);
        if usize::from(halen) <= 8 && 12 + usize::from(halen) <= cut {
            prop_assert!(result.is_ok());
        } else {
            let text = result.unwrap_err().to_string();
            prop_assert!(text.contains("AF_PACKET"), "{}", text);
        }
    }
}
