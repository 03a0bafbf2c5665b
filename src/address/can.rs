//! The address of an `AF_CAN` socket (Controller Area Network), Python's
//! tuples by protocol, carried as [`Address::Other`] with the bytes of a
//! `sockaddr_can`.

use std::fmt;

use super::interface;
use super::{Address, ToAddress};
use crate::constants::{Family, Protocol};
use crate::error::{Error, Result};

/// `sizeof(struct sockaddr_can)`: family, ifindex, then a union of
/// `tp { rx_id, tx_id }` and `j1939 { name, pgn, addr }`.
const LEN: usize = 24;
const IFINDEX_AT: usize = 4;
const UNION_AT: usize = 8;

/// The address of an `AF_CAN` socket, as Python reads it by the socket's
/// protocol: `(interface,)` for `CAN_RAW` and `CAN_BCM`,
/// `(interface, rx_id, tx_id)` for `CAN_ISOTP`,
/// `(interface, name, pgn, addr)` for `CAN_J1939`.
///
/// The crate has no [`Address`] variant for it: [`encode`](CanAddress::encode)
/// gives the [`Address::Other`] holding the kernel's `sockaddr_can`, and
/// [`decode`](CanAddress::decode) reads one back for a protocol. The layout
/// is tested byte for byte against libc's `sockaddr_can`; no CAN socket runs
/// in the tests (the test kernel has no CAN interface). An empty interface
/// name is index 0, every interface.
///
/// ```
/// use pysocket::{CanAddress, Protocol};
/// let addr = CanAddress::Isotp { ifname: String::new(), rx_id: 0x123, tx_id: 0x456 };
/// let raw = addr.encode()?;
/// assert_eq!(CanAddress::decode(&raw, Protocol::from(libc::CAN_ISOTP))?, addr);
/// assert_eq!(addr.to_string(), "('', 291, 1110)");
/// # Ok::<(), pysocket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CanAddress {
    /// `CAN_RAW` and `CAN_BCM`: Python's `(interface,)`.
    Raw {
        /// The CAN interface (`"vcan0"`), empty for every interface.
        ifname: String,
    },
    /// `CAN_ISOTP`: Python's `(interface, rx_id, tx_id)`.
    Isotp {
        /// The CAN interface.
        ifname: String,
        /// The CAN id received on.
        rx_id: u32,
        /// The CAN id sent with.
        tx_id: u32,
    },
    /// `CAN_J1939`: Python's `(interface, name, pgn, addr)`.
    J1939 {
        /// The CAN interface.
        ifname: String,
        /// The 64-bit J1939 name.
        name: u64,
        /// The parameter group number.
        pgn: u32,
        /// The 8-bit J1939 address.
        addr: u8,
    },
}

impl CanAddress {
    /// The interface's name.
    ///
    /// ```
    /// use pysocket::CanAddress;
    /// assert_eq!(CanAddress::Raw { ifname: "vcan0".into() }.ifname(), "vcan0");
    /// ```
    pub fn ifname(&self) -> &str {
        match self {
            CanAddress::Raw { ifname }
            | CanAddress::Isotp { ifname, .. }
            | CanAddress::J1939 { ifname, .. } => ifname,
        }
    }

    /// The `sockaddr_can` as an [`Address::Other`] of family `AF_CAN`; an
    /// error naming the interface when its name is too long or unknown.
    ///
    /// ```
    /// use pysocket::{Address, CanAddress};
    /// let raw = CanAddress::Raw { ifname: String::new() }.encode()?;
    /// assert!(matches!(raw, Address::Other { ref data, .. } if data.len() == 22));
    /// assert!(CanAddress::Raw { ifname: "no-such-can0".into() }.encode().is_err());
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn encode(&self) -> Result<Address> {
        let mut bytes = vec![0u8; LEN];
        bytes[..2].copy_from_slice(&(libc::AF_CAN as libc::sa_family_t).to_ne_bytes());
        let ifindex = interface::index_of(self.ifname(), "AF_CAN")?;
        bytes[IFINDEX_AT..IFINDEX_AT + 4].copy_from_slice(&ifindex.to_ne_bytes());
        let union = &mut bytes[UNION_AT..];
        match self {
            CanAddress::Raw { .. } => {}
            CanAddress::Isotp { rx_id, tx_id, .. } => {
                union[..4].copy_from_slice(&rx_id.to_ne_bytes());
                union[4..8].copy_from_slice(&tx_id.to_ne_bytes());
            }
            CanAddress::J1939 {
                name, pgn, addr, ..
            } => {
                union[..8].copy_from_slice(&name.to_ne_bytes());
                union[8..12].copy_from_slice(&pgn.to_ne_bytes());
                union[12] = *addr;
            }
        }
        Ok(Address::Other {
            family: Family::from(libc::AF_CAN),
            data: bytes.split_off(2),
        })
    }

    /// Reads an `AF_CAN` address for a socket of protocol `proto`, as
    /// CPython's `makesockaddr` does; an error for another family or bytes
    /// too short for the protocol's fields.
    ///
    /// ```
    /// use pysocket::{Address, CanAddress, Protocol};
    /// let raw = CanAddress::J1939 { ifname: String::new(), name: 7, pgn: 0xef00, addr: 0x80 }.encode()?;
    /// let j1939 = CanAddress::decode(&raw, Protocol::from(libc::CAN_J1939))?;
    /// assert!(matches!(j1939, CanAddress::J1939 { pgn: 0xef00, addr: 0x80, .. }));
    /// assert_eq!(CanAddress::decode(&raw, Protocol::from(libc::CAN_RAW))?.to_string(), "('',)");
    /// # Ok::<(), pysocket::Error>(())
    /// ```
    pub fn decode(addr: &Address, proto: Protocol) -> Result<CanAddress> {
        let data = match addr {
            Address::Other { family, data } if family.as_raw() == libc::AF_CAN => data,
            other => return Err(Error::invalid(format!("{other} is not an AF_CAN address"))),
        };
        // `data` starts after the family field.
        let need = match proto.as_raw() {
            libc::CAN_ISOTP => UNION_AT + 8,
            libc::CAN_J1939 => UNION_AT + 13,
            _ => UNION_AT,
        };
        if data.len() + 2 < need {
            return Err(Error::invalid(format!(
                "truncated AF_CAN address: {} bytes, protocol {} takes {need}",
                data.len() + 2,
                proto.as_raw()
            )));
        }
        let field = |offset: usize, len: usize| &data[offset - 2..offset - 2 + len];
        let u32_at = |offset: usize| u32::from_ne_bytes(field(offset, 4).try_into().expect("4"));
        let ifindex = i32::from_ne_bytes(field(IFINDEX_AT, 4).try_into().expect("4 bytes"));
        let ifname = interface::name_of(ifindex);
        Ok(match proto.as_raw() {
            libc::CAN_ISOTP => CanAddress::Isotp {
                ifname,
                rx_id: u32_at(UNION_AT),
                tx_id: u32_at(UNION_AT + 4),
            },
            libc::CAN_J1939 => CanAddress::J1939 {
                ifname,
                name: u64::from_ne_bytes(field(UNION_AT, 8).try_into().expect("8 bytes")),
                pgn: u32_at(UNION_AT + 8),
                addr: field(UNION_AT + 12, 1)[0],
            },
            _ => CanAddress::Raw { ifname },
        })
    }
}

impl fmt::Display for CanAddress {
    /// Python's tuple: `('vcan0',)`, `('vcan0', rx_id, tx_id)`,
    /// `('vcan0', name, pgn, addr)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ifname = self.ifname().escape_default();
        match self {
            CanAddress::Raw { .. } => write!(f, "('{ifname}',)"),
            CanAddress::Isotp { rx_id, tx_id, .. } => write!(f, "('{ifname}', {rx_id}, {tx_id})"),
            CanAddress::J1939 {
                name, pgn, addr, ..
            } => {
                write!(f, "('{ifname}', {name}, {pgn}, {addr})")
            }
        }
    }
}

impl ToAddress for CanAddress {
    fn to_address(&self, family: Family) -> Result<Address> {
        if family.as_raw() != libc::AF_CAN {
            return Err(Error::invalid(format!(
                "an {family} socket does not take the AF_CAN address {self}"
            )));
        }
        self.encode()
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}
