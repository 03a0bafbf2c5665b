//! Socket addresses as the bytes the kernel reads and writes, for the
//! families socket2 has no type for (netlink, packet, vsock, CAN, ALG, ...):
//! `address/families.rs` lays out and reads the fields, this file moves the
//! bytes in and out of a `SockAddr`.

use std::mem;
use std::ptr;

use socket2::{SockAddr, SockAddrStorage};

/// The most bytes a socket address may have (`sizeof(struct sockaddr_storage)`).
pub(crate) const MAX_LEN: usize = mem::size_of::<libc::sockaddr_storage>();

/// The bytes of `addr`, family field first, as long as the kernel said.
pub(crate) fn bytes(addr: &SockAddr) -> &[u8] {
    let len = (addr.len() as usize).min(MAX_LEN);
    // SAFETY: `as_ptr` points at the address's `sockaddr_storage`, which is
    // `MAX_LEN` bytes, all initialised (socket2 zeroes the storage before the
    // kernel fills it), and lives as long as `addr`.
    unsafe { std::slice::from_raw_parts(addr.as_ptr().cast::<u8>(), len) }
}

/// The address whose bytes (family field first) are `bytes`; `None` when
/// they do not fit in a `sockaddr_storage`.
pub(crate) fn from_bytes(bytes: &[u8]) -> Option<SockAddr> {
    if bytes.len() > MAX_LEN {
        return None;
    }
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: `storage` is a `sockaddr_storage` of `MAX_LEN` bytes and
    // `bytes` is no longer; the two do not overlap.
    unsafe {
        ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            (&mut storage as *mut SockAddrStorage).cast::<u8>(),
            bytes.len(),
        );
    }
    // SAFETY: `storage` holds `bytes.len()` bytes of address, zeroes after.
    Some(unsafe { SockAddr::new(storage, bytes.len() as libc::socklen_t) })
}
