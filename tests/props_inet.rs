//! Property tests of the address conversions: `inet_pton`/`inet_ntop` and
//! `inet_aton`/`inet_ntoa` round-trip every address; `inet_pton` agrees with
//! std's parsers on arbitrary strings; and `inet_aton`, `inet_pton` and
//! `inet_ntop` agree with the C library's own functions, which Python calls.
//!
//! The one deliberate difference from the C library: `inet_ntop` writes
//! IPv4-compatible IPv6 addresses (`::a.b.c.d`, deprecated by RFC 4291) in
//! hex, as std and RFC 5952 do, where glibc writes the dotted tail.

use std::ffi::{CStr, CString};
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use pysocket::{inet_aton, inet_ntoa, inet_ntop, inet_pton, Error, AF_INET, AF_INET6};

/// The C library's conversions, which the libc crate does not declare.
mod c {
    extern "C" {
        pub fn inet_aton(cp: *const libc::c_char, inp: *mut libc::in_addr) -> libc::c_int;
        pub fn inet_pton(
            af: libc::c_int,
            src: *const libc::c_char,
            dst: *mut libc::c_void,
        ) -> libc::c_int;
        pub fn inet_ntop(
            af: libc::c_int,
            src: *const libc::c_void,
            dst: *mut libc::c_char,
            size: libc::socklen_t,
        ) -> *const libc::c_char;
    }
}

/// The C library's `inet_aton` of `text`, as packed bytes.
fn c_inet_aton(text: &str) -> Option<[u8; 4]> {
    let text = CString::new(text).ok()?;
    let mut addr = libc::in_addr { s_addr: 0 };
    // SAFETY: `text` is NUL-terminated and `addr` is a writable `in_addr`.
    let ok = unsafe { c::inet_aton(text.as_ptr(), &mut addr) };
    (ok == 1).then(|| addr.s_addr.to_ne_bytes())
}

/// The C library's `inet_pton` of `text` for `af`, as packed bytes.
fn c_inet_pton(af: libc::c_int, text: &str) -> Option<Vec<u8>> {
    let text = CString::new(text).ok()?;
    let mut buf = [0u8; 16];
    // SAFETY: `text` is NUL-terminated; `buf` has room for an in6_addr (16
    // bytes), the most either family writes.
    let ok = unsafe { c::inet_pton(af, text.as_ptr(), buf.as_mut_ptr().cast()) };
    let len = if af == libc::AF_INET { 4 } else { 16 };
    (ok == 1).then(|| buf[..len].to_vec())
}

/// The C library's `inet_ntop` of `packed` for `af`.
fn c_inet_ntop(af: libc::c_int, packed: &[u8]) -> String {
    let mut out = [0 as libc::c_char; 64];
    // SAFETY: `packed` holds an address of `af` (4 or 16 bytes) and `out` is a
    // writable buffer of the size passed.
    let text = unsafe {
        c::inet_ntop(
            af,
            packed.as_ptr().cast(),
            out.as_mut_ptr(),
            out.len() as libc::socklen_t,
        )
    };
    assert!(!text.is_null(), "inet_ntop failed");
    // SAFETY: on success `out` holds a NUL-terminated string.
    unsafe { CStr::from_ptr(out.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned()
}

/// Strings that look like IPv4 addresses in any of C's notations.
fn ipv4ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9.]{0,20}",
        "[0-9a-fA-FxX.]{0,20}",
        "(0x?)?[0-9a-f]{1,10}(\\.(0x?)?[0-9a-f]{1,10}){0,4}[ \\t\\n.x]?[0-9a-z ]{0,3}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        any::<String>(),
    ]
}

/// Strings that look like IPv6 addresses.
fn ipv6ish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-fA-F:]{0,41}",
        "[0-9a-fA-F:.]{0,45}",
        "([0-9a-f]{0,5}:){0,9}[0-9a-f]{0,5}",
        "([0-9a-f]{0,4}:){0,7}(:|[0-9a-f]{1,4}|[0-9]{1,3}(\\.[0-9]{1,3}){3})(%[a-z0-9]{1,3})?",
        any::<String>(),
    ]
}

/// The error of a refused conversion names the text it refused.
fn assert_names_input(result: pysocket::Result<impl std::fmt::Debug>, text: &str) {
    match result {
        Err(Error::InvalidArgument(message)) => {
            assert!(message.contains(&format!("{text:?}")), "{message}")
        }
        other => panic!("{text:?}: expected InvalidArgument, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// inet_ntop then inet_pton gives back every IPv4 address.
    #[test]
    fn ipv4_text_round_trip(octets in any::<[u8; 4]>()) {
        let text = inet_ntop(AF_INET, &octets).unwrap();
        prop_assert_eq!(&text, &Ipv4Addr::from(octets).to_string());
        prop_assert_eq!(inet_pton(AF_INET, &text).unwrap(), octets.to_vec());
    }

    /// inet_ntop then inet_pton gives back every IPv6 address.
    #[test]
    fn ipv6_text_round_trip(octets in any::<[u8; 16]>()) {
        let text = inet_ntop(AF_INET6, &octets).unwrap();
        prop_assert_eq!(inet_pton(AF_INET6, &text).unwrap(), octets.to_vec());
    }

    /// IPv6 addresses with long runs of zeros (the `::` cases) round-trip too.
    #[test]
    fn ipv6_zero_runs_round_trip(groups in proptest::collection::vec(prop_oneof![Just(0u16), any::<u16>()], 8)) {
        let mut octets = [0u8; 16];
        for (i, group) in groups.iter().enumerate() {
            octets[2 * i..2 * i + 2].copy_from_slice(&group.to_be_bytes());
        }
        let text = inet_ntop(AF_INET6, &octets).unwrap();
        prop_assert_eq!(inet_pton(AF_INET6, &text).unwrap(), octets.to_vec());
    }

    /// inet_ntoa then inet_aton gives back every IPv4 address.
    #[test]
    fn aton_ntoa_round_trip(octets in any::<[u8; 4]>()) {
        let text = inet_ntoa(&octets).unwrap();
        prop_assert_eq!(inet_aton(&text).unwrap(), octets);
    }

    /// inet_pton(AF_INET) takes exactly what `Ipv4Addr`'s parser takes.
    #[test]
    fn pton_v4_agrees_with_std(text in ipv4ish()) {
        match text.parse::<Ipv4Addr>() {
            Ok(ip) => prop_assert_eq!(inet_pton(AF_INET, &text).unwrap(), ip.octets().to_vec()),
            Err(_) => assert_names_input(inet_pton(AF_INET, &text), &text),
        }
    }

    /// inet_pton(AF_INET6) takes exactly what `Ipv6Addr`'s parser takes.
    #[test]
    fn pton_v6_agrees_with_std(text in ipv6ish()) {
        match text.parse::<Ipv6Addr>() {
            Ok(ip) => prop_assert_eq!(inet_pton(AF_INET6, &text).unwrap(), ip.octets().to_vec()),
            Err(_) => assert_names_input(inet_pton(AF_INET6, &text), &text),
        }
    }

    /// inet_pton agrees with the C library's, for both families.
    #[test]
    fn pton_agrees_with_c(v4 in ipv4ish(), v6 in ipv6ish()) {
        prop_assert_eq!(inet_pton(AF_INET, &v4).ok(), c_inet_pton(libc::AF_INET, &v4), "{:?}", v4);
        prop_assert_eq!(inet_pton(AF_INET6, &v6).ok(), c_inet_pton(libc::AF_INET6, &v6), "{:?}", v6);
    }

    /// inet_aton follows the C library's rules to the byte.
    #[test]
    fn aton_agrees_with_c(text in ipv4ish()) {
        match (inet_aton(&text), c_inet_aton(&text)) {
            (Ok(ours), Some(theirs)) => prop_assert_eq!(ours, theirs, "{:?}", text),
            (Err(_), None) => assert_names_input(inet_aton(&text), &text),
            // Python refuses a NUL where C would stop reading.
            (Err(_), Some(_)) if text.contains('\0') => {}
            (ours, theirs) => prop_assert!(false, "{:?}: ours {:?}, C {:?}", text, ours, theirs),
        }
    }

    /// Whatever inet_pton takes, inet_aton takes the same way.
    #[test]
    fn aton_takes_what_pton_takes(text in ipv4ish()) {
        if let Ok(packed) = inet_pton(AF_INET, &text) {
            prop_assert_eq!(inet_aton(&text).unwrap().to_vec(), packed);
        }
    }

    /// inet_ntop writes what the C library writes, except for the
    /// IPv4-compatible addresses (see the module docs).
    #[test]
    fn ntop_agrees_with_c(v4 in any::<[u8; 4]>(), v6 in any::<[u8; 16]>(), zeros in 0usize..=16) {
        prop_assert_eq!(inet_ntop(AF_INET, &v4).unwrap(), c_inet_ntop(libc::AF_INET, &v4));
        let mut v6 = v6;
        v6[..zeros].fill(0);
        let ip = Ipv6Addr::from(v6);
        let ipv4_compatible = v6[..12] == [0; 12] && ip.segments()[6] != 0;
        if !ipv4_compatible {
            prop_assert_eq!(inet_ntop(AF_INET6, &v6).unwrap(), c_inet_ntop(libc::AF_INET6, &v6));
        }
    }

    /// No string makes the conversions panic.
    #[test]
    fn conversions_never_panic(text in any::<String>(), bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
        let _ = inet_aton(&text);
        let _ = inet_pton(AF_INET, &text);
        let _ = inet_pton(AF_INET6, &text);
        let _ = inet_ntoa(&bytes);
        let _ = inet_ntop(AF_INET, &bytes);
        let _ = inet_ntop(AF_INET6, &bytes);
    }
}
