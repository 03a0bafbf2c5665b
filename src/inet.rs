//! Address conversions between text and packed bytes (`inet_aton`,
//! `inet_ntoa`, `inet_pton`, `inet_ntop`) and byte order (`htons`, `ntohl`,
//! ...), as Python's module functions, in Rust with no system call.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::constants::Family;
use crate::error::{Error, Result};

/// A dotted IPv4 address as its 4 packed bytes, by the rules of C's
/// `inet_aton(3)`: Python's `socket.inet_aton(text)`.
///
/// These rules are looser than [`inet_pton`]'s, and Python code relies on
/// them: one to four parts (`a`, `a.b`, `a.b.c`, `a.b.c.d`), the last filling
/// the bytes left (`"127.1"` is 127.0.0.1); each part decimal, octal with a
/// leading `0`, or hex with `0x`; and, as glibc does, anything after a
/// whitespace character is ignored (`"1.2.3.4 x"` is 1.2.3.4). Anything else,
/// including an empty string and a NUL byte, is [`Error::InvalidArgument`]
/// naming the text.
///
/// ```
/// use pysocket::inet_aton;
/// assert_eq!(inet_aton("192.168.0.1")?, [192, 168, 0, 1]);
/// assert_eq!(inet_aton("127.1")?, [127, 0, 0, 1]);
/// assert_eq!(inet_aton("0x7f.0.0.01")?, [127, 0, 0, 1]);
/// assert!(inet_aton("256.0.0.1").is_err());
/// assert!(inet_aton("1.2.3.4.5").is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn inet_aton(text: &str) -> Result<[u8; 4]> {
    parse_aton(text.as_bytes())
        .map(|addr| addr.to_be_bytes())
        .ok_or_else(|| {
            Error::invalid(format!(
                "illegal IP address string passed to inet_aton: {text:?}"
            ))
        })
}

/// glibc's `inet_aton`: the address in host order, or `None`.
fn parse_aton(text: &[u8]) -> Option<u32> {
    /// The largest value of the last part, by the number of parts before it.
    const LAST_MAX: [u32; 4] = [u32::MAX, 0x00ff_ffff, 0xffff, 0xff];
    // C would stop at a NUL; Python refuses strings that hold one.
    if text.contains(&0) {
        return None;
    }
    let mut addr = 0u32;
    let mut parts = 0;
    let mut rest = text;
    loop {
        let (value, after) = parse_c_number(rest)?;
        match after.split_first() {
            Some((b'.', after)) => {
                if parts == 3 || value > 0xff {
                    return None;
                }
                addr |= value << (24 - 8 * parts);
                parts += 1;
                rest = after;
            }
            // C's isspace: Rust's ASCII whitespace and the vertical tab.
            Some((c, _)) if !(c.is_ascii_whitespace() || *c == 0x0b) => return None,
            _ if value > LAST_MAX[parts] => return None,
            _ => return Some(addr | value),
        }
    }
}

/// One part of an `inet_aton` address, as C's `strtoul(text, &end, 0)` reads
/// it after checking that it starts with a digit: the value (`None` past 32
/// bits) and the text after it.
fn parse_c_number(text: &[u8]) -> Option<(u32, &[u8])> {
    let first = *text.first()?;
    if !first.is_ascii_digit() {
        return None;
    }
    let (radix, digits) = match text {
        [b'0', b'x' | b'X', next, ..] if next.is_ascii_hexdigit() => (16, &text[2..]),
        [b'0', ..] => (8, text),
        _ => (10, text),
    };
    let mut value: u64 = 0;
    let mut used = 0;
    for &c in digits {
        let Some(digit) = char::from(c).to_digit(radix) else {
            break;
        };
        value = (value * u64::from(radix) + u64::from(digit)).min(u64::from(u32::MAX) + 1);
        used += 1;
    }
    let value = u32::try_from(value).ok()?;
    Some((value, &digits[used..]))
}

/// 4 packed bytes as a dotted IPv4 address: Python's `socket.inet_ntoa(packed)`.
/// Any other length is [`Error::InvalidArgument`] saying it.
///
/// ```
/// use pysocket::inet_ntoa;
/// assert_eq!(inet_ntoa(&[127, 0, 0, 1])?, "127.0.0.1");
/// assert!(inet_ntoa(&[1, 2, 3]).is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn inet_ntoa(packed: &[u8]) -> Result<String> {
    let octets: [u8; 4] = packed.try_into().map_err(|_| {
        Error::invalid(format!(
            "packed IP wrong length for inet_ntoa: {} bytes, it takes 4",
            packed.len()
        ))
    })?;
    Ok(Ipv4Addr::from(octets).to_string())
}

/// An IP address in text as its packed bytes (4 for `AF_INET`, 16 for
/// `AF_INET6`): `inet_pton(3)`, Python's `socket.inet_pton(family, text)`.
///
/// The text is read by std's [`Ipv4Addr`] and [`Ipv6Addr`] parsers, which
/// take what `inet_pton(3)` takes: four decimal parts without leading zeros
/// for IPv4; for IPv6, up to eight groups of at most four hex digits, one
/// `::`, and a dotted IPv4 tail. Text they refuse is
/// [`Error::InvalidArgument`] naming it; another family is
/// [`Error::InvalidArgument`] too.
///
/// ```
/// use pysocket::{inet_pton, AF_INET, AF_INET6};
/// assert_eq!(inet_pton(AF_INET, "192.168.0.1")?, [192, 168, 0, 1]);
/// let mut loopback = [0u8; 16];
/// loopback[15] = 1;
/// assert_eq!(inet_pton(AF_INET6, "::1")?, loopback);
/// assert!(inet_pton(AF_INET, "127.1").is_err()); // inet_aton takes that, inet_pton does not
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn inet_pton(family: Family, text: &str) -> Result<Vec<u8>> {
    let illegal = || {
        Error::invalid(format!(
            "illegal IP address string passed to inet_pton: {text:?} is not an {family} address"
        ))
    };
    match family {
        Family::INET => Ok(text
            .parse::<Ipv4Addr>()
            .map_err(|_| illegal())?
            .octets()
            .to_vec()),
        Family::INET6 => Ok(text
            .parse::<Ipv6Addr>()
            .map_err(|_| illegal())?
            .octets()
            .to_vec()),
        other => Err(unknown_family("inet_pton", other)),
    }
}

/// Packed bytes as an IP address in text: `inet_ntop(3)`, Python's
/// `socket.inet_ntop(family, packed)`.
///
/// `AF_INET` takes 4 bytes and `AF_INET6` 16; any other length is
/// [`Error::InvalidArgument`] saying it. IPv6 text is std's, which follows
/// RFC 5952 (the longest run of zero groups as `::`, lowercase hex,
/// IPv4-mapped addresses as `::ffff:1.2.3.4`); unlike glibc it writes the
/// deprecated IPv4-compatible form in hex (`::102:304`, not `::1.2.3.4`).
///
/// ```
/// use pysocket::{inet_ntop, AF_INET, AF_INET6};
/// assert_eq!(inet_ntop(AF_INET, &[10, 0, 0, 1])?, "10.0.0.1");
/// let mut mapped = [0u8; 16];
/// mapped[10..].copy_from_slice(&[0xff, 0xff, 127, 0, 0, 1]);
/// assert_eq!(inet_ntop(AF_INET6, &mapped)?, "::ffff:127.0.0.1");
/// assert!(inet_ntop(AF_INET6, &[0; 4]).is_err());
/// # Ok::<(), pysocket::Error>(())
/// ```
pub fn inet_ntop(family: Family, packed: &[u8]) -> Result<String> {
    let wrong_length = |expected: usize| {
        Error::invalid(format!(
            "packed IP wrong length for inet_ntop: {} bytes, {family} takes {expected}",
            packed.len()
        ))
    };
    match family {
        Family::INET => {
            let octets: [u8; 4] = packed.try_into().map_err(|_| wrong_length(4))?;
            Ok(Ipv4Addr::from(octets).to_string())
        }
        Family::INET6 => {
            let octets: [u8; 16] = packed.try_into().map_err(|_| wrong_length(16))?;
            Ok(Ipv6Addr::from(octets).to_string())
        }
        other => Err(unknown_family("inet_ntop", other)),
    }
}

fn unknown_family(function: &str, family: Family) -> Error {
    Error::invalid(format!(
        "{function} takes AF_INET or AF_INET6, not the address family {family}"
    ))
}

/// A 16-bit value from host to network byte order (big-endian): Python's
/// `socket.htons`.
///
/// ```
/// assert_eq!(pysocket::htons(0x1234), 0x1234u16.to_be());
/// assert_eq!(pysocket::ntohs(pysocket::htons(80)), 80);
/// ```
pub const fn htons(value: u16) -> u16 {
    value.to_be()
}

/// A 16-bit value from network to host byte order: Python's `socket.ntohs`.
///
/// ```
/// assert_eq!(pysocket::ntohs(u16::from_ne_bytes([0x1f, 0x90])), 8080);
/// ```
pub const fn ntohs(value: u16) -> u16 {
    u16::from_be(value)
}

/// A 32-bit value from host to network byte order (big-endian): Python's
/// `socket.htonl`.
///
/// ```
/// assert_eq!(pysocket::htonl(0x7f00_0001).to_ne_bytes(), [127, 0, 0, 1]);
/// assert_eq!(pysocket::ntohl(pysocket::htonl(0xdead_beef)), 0xdead_beef);
/// ```
pub const fn htonl(value: u32) -> u32 {
    value.to_be()
}

/// A 32-bit value from network to host byte order: Python's `socket.ntohl`.
///
/// ```
/// assert_eq!(pysocket::ntohl(u32::from_ne_bytes([127, 0, 0, 1])), 0x7f00_0001);
/// ```
pub const fn ntohl(value: u32) -> u32 {
    u32::from_be(value)
}
