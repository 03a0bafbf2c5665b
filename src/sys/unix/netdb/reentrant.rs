//! glibc's reentrant netdb calls (`gethostbyname_r`, ...): each writes its
//! answer into a buffer the caller provides, so lookups run in parallel.

use std::ffi::CStr;
use std::io;
use std::mem::MaybeUninit;
use std::ptr;

use libc::{c_char, c_int, c_void, hostent, protoent, servent, size_t, socklen_t};

use super::{c_string, copy_hostent, HostEntry, HostError, HOST_NOT_FOUND};

extern "C" {
    fn gethostbyname_r(
        name: *const c_char,
        ret: *mut hostent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn gethostbyaddr_r(
        addr: *const c_void,
        len: socklen_t,
        kind: c_int,
        ret: *mut hostent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn getservbyname_r(
        name: *const c_char,
        proto: *const c_char,
        ret: *mut servent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut servent,
    ) -> c_int;
    fn getservbyport_r(
        port: c_int,
        proto: *const c_char,
        ret: *mut servent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut servent,
    ) -> c_int;
    fn getprotobyname_r(
        name: *const c_char,
        ret: *mut protoent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut protoent,
    ) -> c_int;
}

/// `h_errno`: an error that `errno` describes.
const NETDB_INTERNAL: c_int = -1;

/// The first buffer the `_r` calls get, and the largest they may grow to.
const BUFFER: (usize, usize) = (4096, 1 << 20);

/// Runs a reentrant netdb call until its answer fits, and copies the answer.
///
/// `call` gets the entry to fill in (`ret`), the buffer its strings and lists
/// go to, and where to store the answer's address (`result`); it returns the
/// C function's result code. The buffer doubles while that code is `ERANGE`
/// (up to [`BUFFER`]'s limit). On success `copy` takes what it needs from the
/// entry while the buffer is still alive; `Ok(None)` says the database has no
/// such entry.
fn lookup<E, T>(
    mut call: impl FnMut(*mut E, &mut [c_char], *mut *mut E) -> c_int,
    copy: impl FnOnce(&E) -> T,
) -> io::Result<Option<T>> {
    let (mut size, limit) = BUFFER;
    loop {
        let mut buf: Vec<c_char> = vec![0; size];
        let mut entry = MaybeUninit::<E>::zeroed();
        let mut result: *mut E = ptr::null_mut();
        match call(entry.as_mut_ptr(), &mut buf, &mut result) {
            0 if result.is_null() => return Ok(None),
            // SAFETY: on success `result` points to `entry`, which the call
            // filled in; its strings and lists point into `buf`, and both
            // stay alive until `copy` returns.
            0 => return Ok(Some(copy(unsafe { &*result }))),
            libc::ERANGE if size < limit => size *= 2,
            code => return Err(io::Error::from_raw_os_error(code)),
        }
    }
}

/// Runs `gethostbyname_r` or `gethostbyaddr_r` (passed as `call`, with the
/// `h_errno` it sets as last argument) and copies its answer.
fn host_lookup(
    mut call: impl FnMut(*mut hostent, &mut [c_char], *mut *mut hostent, *mut c_int) -> c_int,
) -> Result<HostEntry, HostError> {
    let mut h_errno: c_int = 0;
    let outcome = lookup(
        |ret, buf, result| call(ret, buf, result, &mut h_errno),
        // SAFETY: `lookup` passes an entry whose strings and lists are valid
        // and alive during the copy.
        |entry| unsafe { copy_hostent(entry) },
    );
    match outcome {
        Ok(Some(entry)) => Ok(entry),
        Err(err) if h_errno == NETDB_INTERNAL || h_errno == 0 => Err(HostError::Os(err)),
        Ok(None) if h_errno == NETDB_INTERNAL => Err(HostError::Os(io::Error::last_os_error())),
        Ok(None) if h_errno == 0 => Err(HostError::Resolver(HOST_NOT_FOUND)),
        _ => Err(HostError::Resolver(h_errno)),
    }
}

pub(super) fn gethostbyname(name: &CStr) -> Result<HostEntry, HostError> {
    host_lookup(|ret, buf, result, h_errno| {
        // SAFETY: `name` is NUL-terminated; `ret`, `result` and `h_errno`
        // point to writable locals of the caller, and `buf` is a writable
        // buffer of the length passed.
        unsafe {
            gethostbyname_r(
                name.as_ptr(),
                ret,
                buf.as_mut_ptr(),
                buf.len(),
                result,
                h_errno,
            )
        }
    })
}

pub(super) fn gethostbyaddr(addr: &[u8], family: c_int) -> Result<HostEntry, HostError> {
    let len = addr.len() as socklen_t;
    host_lookup(|ret, buf, result, h_errno| {
        // SAFETY: `addr` holds `len` bytes of an address of `family`; `ret`,
        // `result` and `h_errno` point to writable locals of the caller, and
        // `buf` is a writable buffer of the length passed.
        unsafe {
            gethostbyaddr_r(
                addr.as_ptr().cast(),
                len,
                family,
                ret,
                buf.as_mut_ptr(),
                buf.len(),
                result,
                h_errno,
            )
        }
    })
}

/// The port of a service, as the `servent` holds it (network order).
pub(super) fn getservbyname(name: &CStr, proto: Option<&CStr>) -> io::Result<Option<c_int>> {
    let proto = proto.map_or(ptr::null(), CStr::as_ptr);
    lookup(
        |ret, buf, result| {
            // SAFETY: `name` and `proto` are NUL-terminated (or null for any
            // protocol); `ret` and `result` point to writable locals of the
            // caller, and `buf` is a writable buffer of the length passed.
            unsafe { getservbyname_r(name.as_ptr(), proto, ret, buf.as_mut_ptr(), buf.len(), result) }
        },
        |entry: &servent| entry.s_port,
    )
}

/// The name of the service on `port` (network order, as a `servent` holds it).
pub(super) fn getservbyport(port: c_int, proto: Option<&CStr>) -> io::Result<Option<String>> {
    let proto = proto.map_or(ptr::null(), CStr::as_ptr);
    let name = lookup(
        |ret, buf, result| {
            // SAFETY: `proto` is NUL-terminated or null; `ret` and `result`
            // point to writable locals of the caller, and `buf` is a writable
            // buffer of the length passed.
            unsafe { getservbyport_r(port, proto, ret, buf.as_mut_ptr(), buf.len(), result) }
        },
        // SAFETY: `s_name` points into the buffer, alive during the copy.
        |entry: &servent| unsafe { c_string(entry.s_name) },
    )?;
    Ok(name.flatten())
}

pub(super) fn getprotobyname(name: &CStr) -> io::Result<Option<i32>> {
    lookup(
        |ret, buf, result| {
            // SAFETY: `name` is NUL-terminated; `ret` and `result` point to
            // writable locals of the caller, and `buf` is a writable buffer
            // of the length passed.
            unsafe { getprotobyname_r(name.as_ptr(), ret, buf.as_mut_ptr(), buf.len(), result) }
        },
        |entry: &protoent| entry.p_proto,
    )
}
