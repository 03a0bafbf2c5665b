//! The address of an `AF_PACKET` socket (Linux's link layer), Python's
//! `(ifname, proto, pkttype, hatype, addr)` tuple.

use std::fmt;

#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::error::Result;

/// The address of an `AF_PACKET` socket: Python's
/// `(ifname, proto, pkttype, hatype, addr)`.
///
/// What the kernel calls `sockaddr_ll`, with the interface by name (the
/// kernel's index is looked up, as Python does) and the protocol in host
/// byte order. To bind, `ifname` and `proto` are enough
/// ([`PacketAddress::new`]); an empty name is every interface (index 0).
///
/// ```
/// use pysocket::{Address, PacketAddress};
/// let addr = PacketAddress::new("lo", 0x0800); // ETH_P_IP on the loopback
/// assert_eq!(addr.to_string(), "('lo', 2048, 0, 0, b'')");
/// assert_eq!(Address::from(addr.clone()), Address::Packet(addr));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PacketAddress {
    /// The interface's name (`"lo"`, `"eth0"`); empty for index 0, or an
    /// index with no name any more.
    pub ifname: String,
    /// The Ethernet protocol (`ETH_P_*`), in host byte order.
    pub proto: u16,
    /// The packet type (`PACKET_HOST`, `PACKET_OUTGOING`, ...): what the
    /// kernel reports on receive, ignored on send.
    pub pkttype: u8,
    /// The ARP hardware type (`ARPHRD_ETHER`, `ARPHRD_LOOPBACK`, ...).
    pub hatype: u16,
    /// The hardware address, at most 8 bytes (the kernel's `sll_addr`).
    pub addr: Vec<u8>,
}

/// The most bytes of hardware address a `sockaddr_ll` holds.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) const MAX_HW_LEN: usize = 8;

impl PacketAddress {
    /// The address of an interface and protocol, as a bind takes it:
    /// Python's `(ifname, proto)`.
    ///
    /// ```
    /// use pysocket::PacketAddress;
    /// let addr = PacketAddress::new("lo", 0x0003); // ETH_P_ALL
    /// assert_eq!((addr.ifname.as_str(), addr.proto, addr.addr.len()), ("lo", 3, 0));
    /// ```
    pub fn new(ifname: &str, proto: u16) -> PacketAddress {
        PacketAddress {
            ifname: ifname.to_owned(),
            proto,
            ..PacketAddress::default()
        }
    }

    /// The interface's index, checked as Python's `getsockaddrarg` does.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn ifindex(&self) -> Result<i32> {
        super::interface::index_of(&self.ifname, "AF_PACKET")
    }
}

impl fmt::Display for PacketAddress {
    /// Python's repr of the tuple: `('lo', 2048, 0, 772, b'\x00\x00\x00\x00\x00\x00')`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "('{}', {}, {}, {}, ",
            self.ifname.escape_default(),
            self.proto,
            self.pkttype,
            self.hatype
        )?;
        super::families::py_bytes(&self.addr, f)?;
        f.write_str(")")
    }
}
