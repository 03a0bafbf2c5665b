//! The addresses of the families beyond IP and Unix, read and written by the
//! kernel's layout of each `sockaddr`, as CPython's `makesockaddr` and
//! `getsockaddrarg` do. Each family is read with a minimum length, not an
//! exact size: the kernel returns shorter addresses than the C struct when
//! the tail is unused (a `sockaddr_ll` is cut after its hardware address).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use socket2::SockAddr;

#[cfg(any(target_os = "linux", target_os = "android"))]
use super::packet::MAX_HW_LEN;
use super::{Address, PacketAddress, ToAddress, UnixAddress};
use crate::constants::Family;
use crate::error::{Error, Result};
use crate::sys;

/// The size of `sa_family`, the field every address starts with.
const FAMILY_LEN: usize = 2;

/// Reads the bytes of a `sockaddr`, family field first: a decoded address,
/// [`Address::Other`] for a family not decoded, or an error naming what is
/// missing when the bytes are too short for their family.
pub(crate) fn decode(bytes: &[u8]) -> Result<Address> {
    let family = family_of(bytes)?;
    match family {
        libc::AF_INET => {
            let b = need(bytes, 8, "AF_INET", "sockaddr_in up to sin_addr")?;
            let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            Ok(Address::Inet(SocketAddrV4::new(ip, be16(b, 2))))
        }
        libc::AF_INET6 => {
            let b = need(bytes, 24, "AF_INET6", "sockaddr_in6 up to sin6_addr")?;
            let ip = Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).expect("16 bytes"));
            let scope_id = if b.len() >= 28 { ne32(b, 24) } else { 0 };
            Ok(Address::Inet6(SocketAddrV6::new(
                ip,
                be16(b, 2),
                // In host order, as socket2 and std write it.
                ne32(b, 4),
                scope_id,
            )))
        }
        libc::AF_UNIX => {
            let path = &bytes[FAMILY_LEN..];
            // A path may come with its NUL terminator or `sun_path`'s padding.
            let path = match path.first() {
                Some(0) | None => path,
                Some(_) => &path[..memchr::memchr(0, path).unwrap_or(path.len())],
            };
            Ok(Address::Unix(UnixAddress::from_bytes(path)))
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::AF_NETLINK => {
            // sockaddr_nl: family, pad, pid, groups.
            let b = need(bytes, 12, "AF_NETLINK", "sockaddr_nl")?;
            Ok(Address::Netlink {
                pid: ne32(b, 4),
                groups: ne32(b, 8),
            })
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::AF_VSOCK => {
            // sockaddr_vm: family, reserved, port, cid, flags, zeroes.
            let b = need(bytes, 12, "AF_VSOCK", "sockaddr_vm up to svm_cid")?;
            Ok(Address::Vsock {
                cid: ne32(b, 8),
                port: ne32(b, 4),
            })
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::AF_PACKET => {
            // sockaddr_ll: family, protocol (network order), ifindex, hatype,
            // pkttype, halen, then halen bytes of address (the kernel may
            // cut the struct there).
            let b = need(bytes, 12, "AF_PACKET", "sockaddr_ll up to sll_halen")?;
            let halen = usize::from(b[11]);
            if halen > MAX_HW_LEN {
                return Err(Error::invalid(format!(
                    "malformed AF_PACKET address: a hardware address of {halen} bytes, \
                     a sockaddr_ll holds {MAX_HW_LEN}"
                )));
            }
            let hw = b.get(12..12 + halen).ok_or_else(|| {
                Error::invalid(format!(
                    "truncated AF_PACKET address: {} bytes, its {halen}-byte hardware \
                     address takes {}",
                    b.len(),
                    12 + halen
                ))
            })?;
            Ok(Address::Packet(PacketAddress {
                ifname: super::interface::name_of(i32::from_ne_bytes(
                    b[4..8].try_into().expect("4 bytes"),
                )),
                proto: be16(b, 2),
                pkttype: b[10],
                hatype: u16::from_ne_bytes(b[8..10].try_into().expect("2 bytes")),
                addr: hw.to_vec(),
            }))
        }
        _ => Ok(other(bytes)),
    }
}

/// [`Address::Other`] for the bytes of a `sockaddr`, whatever their family.
pub(crate) fn other(bytes: &[u8]) -> Address {
    let family = family_of(bytes).unwrap_or(libc::AF_UNSPEC);
    Address::Other {
        family: Family::from(family),
        data: bytes.get(FAMILY_LEN..).unwrap_or_default().to_vec(),
    }
}

/// The OS form of an address of the families this file handles.
pub(crate) fn encode(addr: &Address) -> Result<SockAddr> {
    let mut bytes = Vec::with_capacity(sys::sockaddr::MAX_LEN);
    match addr {
        Address::Other { family, data } => {
            let family = sa_family(*family)?;
            bytes.extend_from_slice(&family.to_ne_bytes());
            bytes.extend_from_slice(data);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Address::Netlink { pid, groups } => {
            bytes.extend_from_slice(&(libc::AF_NETLINK as libc::sa_family_t).to_ne_bytes());
            bytes.extend_from_slice(&0u16.to_ne_bytes());
            bytes.extend_from_slice(&pid.to_ne_bytes());
            bytes.extend_from_slice(&groups.to_ne_bytes());
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Address::Vsock { cid, port } => {
            bytes.extend_from_slice(&(libc::AF_VSOCK as libc::sa_family_t).to_ne_bytes());
            bytes.extend_from_slice(&0u16.to_ne_bytes());
            bytes.extend_from_slice(&port.to_ne_bytes());
            bytes.extend_from_slice(&cid.to_ne_bytes());
            bytes.extend_from_slice(&[0; 4]); // svm_flags, svm_zero
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Address::Packet(packet) => {
            if packet.addr.len() > MAX_HW_LEN {
                return Err(Error::invalid(format!(
                    "AF_PACKET hardware address of {} bytes; a sockaddr_ll holds {MAX_HW_LEN}",
                    packet.addr.len()
                )));
            }
            let ifindex = packet.ifindex()?;
            bytes.extend_from_slice(&(libc::AF_PACKET as libc::sa_family_t).to_ne_bytes());
            bytes.extend_from_slice(&packet.proto.to_be_bytes());
            bytes.extend_from_slice(&ifindex.to_ne_bytes());
            bytes.extend_from_slice(&packet.hatype.to_ne_bytes());
            bytes.push(packet.pkttype);
            bytes.push(packet.addr.len() as u8);
            let mut hw = [0u8; MAX_HW_LEN];
            hw[..packet.addr.len()].copy_from_slice(&packet.addr);
            bytes.extend_from_slice(&hw);
        }
        _ => {
            return Err(Error::invalid(format!(
                "{} addresses are not supported on this system",
                label(addr)
            )))
        }
    }
    sys::sockaddr::from_bytes(&bytes).ok_or_else(|| {
        Error::invalid(format!(
            "an {} address of {} bytes does not fit in a sockaddr ({} bytes at most)",
            label(addr),
            bytes.len(),
            sys::sockaddr::MAX_LEN
        ))
    })
}

/// Checks that an address of the families this file handles fits a socket
/// of `family`.
pub(crate) fn for_family(addr: &Address, family: Family) -> Result<Address> {
    if addr.family() != family && family != Family::UNSPEC {
        return Err(Error::invalid(format!(
            "an {family} socket does not take the {} address {addr}",
            label(addr)
        )));
    }
    Ok(addr.clone())
}

/// The family's name in messages, whether or not `Family` has one for it.
fn label(addr: &Address) -> String {
    match addr {
        Address::Netlink { .. } => "AF_NETLINK".to_owned(),
        Address::Packet(_) => "AF_PACKET".to_owned(),
        Address::Vsock { .. } => "AF_VSOCK".to_owned(),
        other => other.family().to_string(),
    }
}

/// Python's repr of the address's tuple.
pub(crate) fn display(addr: &Address, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match addr {
        Address::Other { family, data } => {
            write!(f, "({}, ", family.as_raw())?;
            py_bytes(data, f)?;
            f.write_str(")")
        }
        Address::Netlink { pid, groups } => write!(f, "({pid}, {groups})"),
        Address::Vsock { cid, port } => write!(f, "({cid}, {port})"),
        Address::Packet(packet) => fmt::Display::fmt(packet, f),
        _ => unreachable!("IP and Unix addresses are shown by address.rs"),
    }
}

impl ToAddress for (u32, u32) {
    /// `(pid, groups)` on an `AF_NETLINK` socket, `(cid, port)` on an
    /// `AF_VSOCK` one.
    fn to_address(&self, family: Family) -> Result<Address> {
        let (first, second) = *self;
        match family.as_raw() {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            libc::AF_NETLINK => Ok(Address::Netlink {
                pid: first,
                groups: second,
            }),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            libc::AF_VSOCK => Ok(Address::Vsock {
                cid: first,
                port: second,
            }),
            _ => Err(Error::invalid(format!(
                "a pair of integers ({first}, {second}) is an AF_NETLINK (pid, groups) or an \
                 AF_VSOCK (cid, port) address; the socket is {family}"
            ))),
        }
    }

    fn describe(&self) -> Option<String> {
        Some(format!("({}, {})", self.0, self.1))
    }
}

impl ToAddress for PacketAddress {
    fn to_address(&self, family: Family) -> Result<Address> {
        for_family(&Address::Packet(self.clone()), family)
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

/// Python's repr of a `bytes` value: `b'lo\x00'`.
pub(crate) fn py_bytes(data: &[u8], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("b'")?;
    for &byte in data {
        match byte {
            b'\\' => f.write_str("\\\\")?,
            b'\'' => f.write_str("\\'")?,
            b'\t' => f.write_str("\\t")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            0x20..=0x7e => write!(f, "{}", byte as char)?,
            _ => write!(f, "\\x{byte:02x}")?,
        }
    }
    f.write_str("'")
}

/// The family field of `family`, or an error when it does not fit one.
fn sa_family(family: Family) -> Result<libc::sa_family_t> {
    libc::sa_family_t::try_from(family.as_raw()).map_err(|_| {
        Error::invalid(format!(
            "address family {} does not fit in a sockaddr's family field",
            family.as_raw()
        ))
    })
}

fn family_of(bytes: &[u8]) -> Result<i32> {
    let field = bytes.get(..FAMILY_LEN).ok_or_else(|| {
        Error::invalid(format!(
            "a socket address of {} bytes is too short to hold its family",
            bytes.len()
        ))
    })?;
    Ok(i32::from(libc::sa_family_t::from_ne_bytes(
        field.try_into().expect("2 bytes"),
    )))
}

/// The first `len` bytes and more, or an error naming what is missing.
fn need<'a>(bytes: &'a [u8], len: usize, family: &str, what: &str) -> Result<&'a [u8]> {
    if bytes.len() < len {
        return Err(Error::invalid(format!(
            "truncated {family} address: {} bytes, a {what} takes {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

fn be16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(bytes[at..at + 2].try_into().expect("2 bytes"))
}

fn ne32(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

// AF_NETLINK: Linux's.
#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;

    /// An address too short for its family, as a receive could be handed
    /// one: kept whole as `Other`, never an error that would lose the data.
    #[test]
    fn a_truncated_address_from_the_kernel_is_kept_as_other() {
        let mut bytes = (libc::AF_NETLINK as libc::sa_family_t)
            .to_ne_bytes()
            .to_vec();
        bytes.extend_from_slice(&[0, 0, 7, 0]);
        let addr = sys::sockaddr::from_bytes(&bytes).expect("fits");
        assert_eq!(
            Address::from_sockaddr(&addr),
            Address::Other {
                family: Family::from(libc::AF_NETLINK),
                data: vec![0, 0, 7, 0],
            }
        );
        assert!(decode(&bytes)
            .unwrap_err()
            .to_string()
            .contains("truncated AF_NETLINK"));
    }
}
