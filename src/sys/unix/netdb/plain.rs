//! The plain netdb calls (`gethostbyname`, ...), where there are no
//! reentrant ones: each answers in static storage, so every such call and
//! the copy of its answer hold [`NETDB`]. That serialises this crate's calls,
//! not a C library call made elsewhere in the process. A failed host lookup
//! has no portable `h_errno` to read here, so it is reported as
//! `HOST_NOT_FOUND`.

use std::ffi::CStr;
use std::io;
use std::ptr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use libc::{c_int, hostent, socklen_t};

use super::{c_string, copy_hostent, HostEntry, HostError, HOST_NOT_FOUND};

/// Held across every plain netdb call and the copy of its answer.
static NETDB: Mutex<()> = Mutex::new(());

/// The host calls, which the libc crate does not declare everywhere.
mod ffi {
    use libc::{c_char, c_int, c_void, hostent, socklen_t};

    extern "C" {
        pub(super) fn gethostbyname(name: *const c_char) -> *mut hostent;
        pub(super) fn gethostbyaddr(addr: *const c_void, len: socklen_t, kind: c_int)
            -> *mut hostent;
    }
}

fn lock() -> MutexGuard<'static, ()> {
    NETDB.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Copies the answer of a plain `gethostby*` call.
///
/// # Safety
///
/// `entry` is null or points to a valid `hostent` that stays alive and
/// unchanged during the call.
unsafe fn host_answer(entry: *const hostent) -> Result<HostEntry, HostError> {
    if entry.is_null() {
        return Err(HostError::Resolver(HOST_NOT_FOUND));
    }
    // SAFETY: non-null, and valid by the caller's promise.
    Ok(unsafe { copy_hostent(&*entry) })
}

pub(super) fn gethostbyname(name: &CStr) -> Result<HostEntry, HostError> {
    let _guard = lock();
    // SAFETY: `name` is NUL-terminated; the answer lives in static storage
    // that `NETDB` keeps from being overwritten until it is copied.
    unsafe { host_answer(ffi::gethostbyname(name.as_ptr())) }
}

pub(super) fn gethostbyaddr(addr: &[u8], family: c_int) -> Result<HostEntry, HostError> {
    let len = addr.len() as socklen_t;
    let _guard = lock();
    // SAFETY: `addr` holds `len` bytes of an address of `family`; the answer
    // lives in static storage that `NETDB` keeps from being overwritten until
    // it is copied.
    unsafe { host_answer(ffi::gethostbyaddr(addr.as_ptr().cast(), len, family)) }
}

/// The port of a service, as the `servent` holds it (network order).
pub(super) fn getservbyname(name: &CStr, proto: Option<&CStr>) -> io::Result<Option<c_int>> {
    let proto = proto.map_or(ptr::null(), CStr::as_ptr);
    let _guard = lock();
    // SAFETY: `name` and `proto` are NUL-terminated (or null for any protocol).
    let entry = unsafe { libc::getservbyname(name.as_ptr(), proto) };
    // SAFETY: a non-null answer is a valid `servent` in static storage that
    // `NETDB` keeps from being overwritten.
    Ok(unsafe { entry.as_ref() }.map(|entry| entry.s_port))
}

/// The name of the service on `port` (network order, as a `servent` holds it).
pub(super) fn getservbyport(port: c_int, proto: Option<&CStr>) -> io::Result<Option<String>> {
    let proto = proto.map_or(ptr::null(), CStr::as_ptr);
    let _guard = lock();
    // SAFETY: `proto` is NUL-terminated or null.
    let entry = unsafe { libc::getservbyport(port, proto) };
    if entry.is_null() {
        return Ok(None);
    }
    // SAFETY: a non-null answer is a valid `servent` in static storage that
    // `NETDB` keeps from being overwritten, its name a valid string.
    Ok(unsafe { c_string((*entry).s_name) })
}

pub(super) fn getprotobyname(name: &CStr) -> io::Result<Option<i32>> {
    let _guard = lock();
    // SAFETY: `name` is NUL-terminated.
    let entry = unsafe { libc::getprotobyname(name.as_ptr()) };
    // SAFETY: a non-null answer is a valid `protoent` in static storage that
    // `NETDB` keeps from being overwritten.
    Ok(unsafe { entry.as_ref() }.map(|entry| entry.p_proto))
}
