//! Network interfaces by name in the addresses that hold an index
//! (`AF_PACKET`, `AF_CAN`), checked as CPython's `getsockaddrarg` checks them.

use crate::error::{Error, Result};
use crate::sys;

/// The index of interface `ifname` for an address of `family`: 0 for an
/// empty name (every interface), an error naming the problem for a name too
/// long for the kernel (`IFNAMSIZ`) or unknown.
pub(crate) fn index_of(ifname: &str, family: &str) -> Result<i32> {
    if ifname.is_empty() {
        return Ok(0);
    }
    let limit = libc::IF_NAMESIZE - 1;
    if ifname.len() > limit {
        return Err(Error::invalid(format!(
            "{family} address: interface name {ifname:?} is {} bytes; the limit is {limit}",
            ifname.len()
        )));
    }
    let index = crate::resolve::if_nametoindex(ifname)
        .map_err(|err| Error::invalid(format!("{family} address: interface {ifname:?}: {err}")))?;
    i32::try_from(index).map_err(|_| {
        Error::invalid(format!(
            "{family} address: interface {ifname:?} has index {index}, beyond a C int"
        ))
    })
}

/// The name of interface `index`: empty for 0 and for an index that no
/// longer has one (CPython's `makesockaddr`), so reading an address never
/// fails.
pub(crate) fn name_of(index: i32) -> String {
    match u32::try_from(index) {
        Ok(index) if index > 0 => sys::netdb::if_indextoname(index)
            .ok()
            .flatten()
            .unwrap_or_default(),
        _ => String::new(),
    }
}
