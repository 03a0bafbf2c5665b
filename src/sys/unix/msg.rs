//! `sendmsg(2)` and `recvmsg(2)` with control messages, and the layout of
//! control messages: `CMSG_LEN`, `CMSG_SPACE`, a buffer aligned for
//! `struct cmsghdr`, the walk over what the kernel wrote into it, the
//! descriptors an `SCM_RIGHTS` message brings, and the structures the typed
//! messages carry (`struct ucred`, `struct in_pktinfo`, `struct in6_pktinfo`).

use std::collections::TryReserveError;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{self, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::{ptr, slice};

use socket2::{SockAddr, SockAddrStorage};

/// The largest length a `socklen_t` is trusted with, as CPython's
/// `SOCKLEN_T_LIMIT`: POSIX promises 2^31 - 1, and `socklen_t` was an `int`.
pub(crate) const SOCKLEN_T_LIMIT: usize = i32::MAX as usize;

/// `CMSG_LEN(0)`: how far a control message's data lies from its start.
// SAFETY: CMSG_LEN is arithmetic on its argument; it touches no memory.
const DATA_OFFSET: usize = unsafe { libc::CMSG_LEN(0) } as usize;

/// `CMSG_SPACE(1)`: a header and the smallest aligned data.
// SAFETY: as for DATA_OFFSET.
const SPACE_OF_ONE: usize = unsafe { libc::CMSG_SPACE(1) } as usize;

/// The alignment of control messages in a buffer (`CMSG_ALIGN`'s): what
/// `CMSG_SPACE(1)` adds to the aligned header.
const ALIGN: usize = SPACE_OF_ONE - DATA_OFFSET;

/// The size of one descriptor in an `SCM_RIGHTS` message.
pub(crate) const FD_SIZE: usize = mem::size_of::<RawFd>();

// A buffer of u64 words is aligned for `struct cmsghdr` on every platform.
const _: () = assert!(mem::align_of::<libc::cmsghdr>() <= mem::align_of::<u64>());
const _: () = assert!(mem::size_of::<libc::cmsghdr>() <= DATA_OFFSET);

/// `CMSG_LEN(length)`, or `None` where the result would not fit a
/// `socklen_t` (CPython's `get_CMSG_LEN`).
pub(crate) fn cmsg_len(length: usize) -> Option<usize> {
    if length > SOCKLEN_T_LIMIT - DATA_OFFSET {
        return None;
    }
    // SAFETY: arithmetic only; `length` fits a `c_uint`, checked above.
    Some(unsafe { libc::CMSG_LEN(length as libc::c_uint) } as usize)
}

/// `CMSG_SPACE(length)`, or `None` where the result would not fit a
/// `socklen_t` (CPython's `get_CMSG_SPACE`, which keeps room for the padding
/// after the data as well as before it).
pub(crate) fn cmsg_space(length: usize) -> Option<usize> {
    if length > SOCKLEN_T_LIMIT - SPACE_OF_ONE {
        return None;
    }
    // SAFETY: arithmetic only; `length` fits a `c_uint`, checked above.
    Some(unsafe { libc::CMSG_SPACE(length as libc::c_uint) } as usize)
}

/// Rounds a control message's length up to where the next one starts, or
/// `None` on overflow.
fn cmsg_align(length: usize) -> Option<usize> {
    Some(length.checked_add(ALIGN - 1)? & !(ALIGN - 1))
}

/// A buffer for control messages: zeroed, and aligned for `struct cmsghdr`
/// (a control buffer of bytes may start anywhere, and the kernel and the
/// `CMSG_*` macros expect headers on their alignment).
#[derive(Debug)]
pub(crate) struct ControlBuffer {
    words: Vec<u64>,
    len: usize,
}

impl ControlBuffer {
    /// A zeroed buffer of `len` bytes, or the allocator's refusal.
    pub(crate) fn zeroed(len: usize) -> Result<ControlBuffer, TryReserveError> {
        let count = len.div_ceil(mem::size_of::<u64>());
        let mut words = Vec::new();
        words.try_reserve_exact(count)?;
        words.resize(count, 0);
        Ok(ControlBuffer { words, len })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// The first `len` bytes (at most all of them).
    #[cfg(test)]
    fn bytes(&self, len: usize) -> &[u8] {
        // SAFETY: the words are initialised, any byte of a u64 is a valid u8,
        // and `len.min(self.len)` bytes lie within the allocation.
        unsafe { slice::from_raw_parts(self.words.as_ptr().cast(), len.min(self.len)) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; the borrow is unique, and any bytes written
        // leave the u64 words valid.
        unsafe { slice::from_raw_parts_mut(self.words.as_mut_ptr().cast(), self.len) }
    }

    /// Writes one control message at `offset`, where the caller sized the
    /// buffer with `CMSG_SPACE` of each message's data; returns where the
    /// next one starts.
    #[cfg(test)]
    fn put(&mut self, offset: usize, level: i32, kind: i32, data: &[u8]) -> usize {
        put_cmsg(self.bytes_mut(), offset, level, kind, data)
    }

    /// The whole buffer, as `sendmsg` passes it.
    pub(crate) fn as_bytes_mut(&mut self) -> &mut [u8] {
        self.bytes_mut()
    }
}

/// The bytes of `words`, a control buffer aligned for `struct cmsghdr`.
pub(crate) fn words_as_bytes_mut(words: &mut [u64]) -> &mut [u8] {
    // SAFETY: the words are initialised, any byte of a u64 is a valid u8 and
    // any bytes written leave the words valid; the length is the words'
    // size in bytes, and the borrow is unique.
    unsafe { slice::from_raw_parts_mut(words.as_mut_ptr().cast(), mem::size_of_val(words)) }
}

/// Writes one control message at `offset` of `buffer`, where the caller sized
/// the buffer with `CMSG_SPACE` of each message's data; returns where the
/// next one starts.
pub(crate) fn put_cmsg(
    buffer: &mut [u8],
    offset: usize,
    level: i32,
    kind: i32,
    data: &[u8],
) -> usize {
    let len = cmsg_len(data.len()).expect("sized with cmsg_space");
    let space = cmsg_space(data.len()).expect("sized with cmsg_space");
    let room = &mut buffer[offset..offset + space];
    // SAFETY: `struct cmsghdr` is plain old data (integers, and on some
    // systems private padding fields): all-zero bytes are a valid value.
    let mut header: libc::cmsghdr = unsafe { mem::zeroed() };
    header.cmsg_len = len as _;
    header.cmsg_level = level;
    header.cmsg_type = kind;
    // SAFETY: `room` is at least `DATA_OFFSET` bytes long, which holds a
    // `cmsghdr`, and the write makes no assumption of alignment.
    unsafe { ptr::write_unaligned(room.as_mut_ptr().cast::<libc::cmsghdr>(), header) };
    room[DATA_OFFSET..len].copy_from_slice(data);
    offset + space
}

/// The control messages in what the kernel wrote into a control buffer, as
/// `(level, type, data)`: CPython's walk, with rustix's bounds. A message cut
/// short by `MSG_CTRUNC` keeps the data that fits; a header that does not
/// fit, or claims less than a header, ends the walk.
#[derive(Clone, Debug)]
pub(crate) struct ControlMessages<'a> {
    rest: &'a [u8],
}

impl<'a> ControlMessages<'a> {
    pub(crate) fn new(control: &'a [u8]) -> ControlMessages<'a> {
        ControlMessages { rest: control }
    }
}

impl<'a> Iterator for ControlMessages<'a> {
    type Item = (i32, i32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < DATA_OFFSET {
            return None;
        }
        // SAFETY: `rest` holds at least DATA_OFFSET bytes, room for a
        // `cmsghdr` (checked at compile time), all initialised; the read
        // makes no assumption of alignment.
        let header = unsafe { ptr::read_unaligned(self.rest.as_ptr().cast::<libc::cmsghdr>()) };
        let len = header.cmsg_len as usize;
        if len < DATA_OFFSET {
            self.rest = &[];
            return None;
        }
        // Linux shortens `cmsg_len` to what it wrote; macOS leaves the
        // length the message had, which may run past the buffer.
        let data = &self.rest[DATA_OFFSET..len.min(self.rest.len())];
        self.rest = cmsg_align(len)
            .and_then(|next| self.rest.get(next..))
            .unwrap_or(&[]);
        Some((header.cmsg_level, header.cmsg_type, data))
    }
}

/// Whether a control message is `SCM_RIGHTS`.
pub(crate) fn is_rights(level: i32, kind: i32) -> bool {
    level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS
}

/// The descriptor numbers of an `SCM_RIGHTS` message's data: whole ones
/// only (truncation can leave part of one at the end).
pub(crate) fn raw_fds(data: &[u8]) -> impl Iterator<Item = RawFd> + '_ {
    data.chunks_exact(FD_SIZE).map(|chunk| {
        let mut bytes = [0; FD_SIZE];
        bytes.copy_from_slice(chunk);
        RawFd::from_ne_bytes(bytes)
    })
}

/// The data of an `SCM_RIGHTS` message carrying `fds`.
pub(crate) fn rights_data(fds: &[BorrowedFd<'_>]) -> Vec<u8> {
    fds.iter()
        .flat_map(|fd| fd.as_raw_fd().to_ne_bytes())
        .collect()
}

/// Takes ownership of every descriptor that arrived in the `SCM_RIGHTS`
/// messages of `control`, what a receive just wrote: from here on each one
/// closes when dropped, whatever happens to the rest of the call.
pub(crate) fn take_fds(control: &[u8]) -> Vec<OwnedFd> {
    let rights = || {
        ControlMessages::new(control)
            .filter(|&(level, kind, _)| is_rights(level, kind))
            .flat_map(|(_, _, data)| raw_fds(data))
    };
    let mut fds = Vec::with_capacity(rights().count());
    for raw in rights() {
        // SAFETY: the kernel installed this descriptor in this process for
        // this receive, and nothing else knows its number yet: the receive
        // hands it on to no one but this `OwnedFd`.
        fds.push(unsafe { OwnedFd::from_raw_fd(raw) });
    }
    mark_cloexec(&fds);
    fds
}

platform! {
    if linux {
        /// Flags every receive of control messages carries:
        /// `MSG_CMSG_CLOEXEC` makes arriving descriptors close-on-exec as
        /// they are installed, with no window for a `fork` to inherit them.
        pub(crate) const RECV_FLAGS: libc::c_int = libc::MSG_CMSG_CLOEXEC;

        /// The most descriptors one message may carry (`SCM_MAX_FD`): the
        /// kernel refuses more with `EINVAL`.
        pub(crate) const MAX_FDS: Option<usize> = Some(253);

        fn mark_cloexec(_fds: &[OwnedFd]) {}
    } else {
        /// Flags every receive of control messages carries: none here,
        /// where there is no `MSG_CMSG_CLOEXEC` (see `mark_cloexec`).
        pub(crate) const RECV_FLAGS: libc::c_int = 0;

        /// The most descriptors one message may carry: left to the kernel.
        pub(crate) const MAX_FDS: Option<usize> = None;

        /// Makes arriving descriptors close-on-exec after the fact, the best
        /// that can be done without `MSG_CMSG_CLOEXEC`.
        fn mark_cloexec(fds: &[OwnedFd]) {
            for fd in fds {
                let _ = socket2::SockRef::from(fd).set_cloexec(true);
            }
        }
    }
}

/// Control messages a receive may take without a heap buffer: a control
/// buffer of up to this many bytes lives on the stack.
pub(crate) const INLINE_CONTROL: usize = 256;

/// Words of the inline control buffer.
pub(crate) const INLINE_CONTROL_WORDS: usize = INLINE_CONTROL / mem::size_of::<u64>();

/// How many `u64` words hold `len` bytes of control data.
pub(crate) const fn control_words(len: usize) -> usize {
    len.div_ceil(mem::size_of::<u64>())
}

/// Room for the control data of a receive: words aligned for `struct
/// cmsghdr` (the kernel and the `CMSG_*` macros expect headers on their
/// alignment), not necessarily initialised, and how much of it the last
/// receive filled.
#[derive(Debug)]
pub(crate) struct ControlRoom<'a> {
    words: &'a mut [MaybeUninit<u64>],
    len: usize,
    filled: usize,
}

impl<'a> ControlRoom<'a> {
    /// No room at all: `msg_control` is null.
    pub(crate) fn none() -> ControlRoom<'static> {
        ControlRoom {
            words: &mut [],
            len: 0,
            filled: 0,
        }
    }

    /// The first `len` bytes of `words`.
    pub(crate) fn new(words: &'a mut [MaybeUninit<u64>], len: usize) -> ControlRoom<'a> {
        assert!(len <= mem::size_of_val(words), "control room too small");
        ControlRoom {
            words,
            len,
            filled: 0,
        }
    }

    /// What the last receive wrote: its control messages.
    #[inline]
    pub(crate) fn received(&self) -> &[u8] {
        // SAFETY: `filled` is 0 or what the kernel reported writing in the
        // last `recvmsg_raw`, capped at `len`, which lies within `words`:
        // those bytes are initialised.
        unsafe { slice::from_raw_parts(self.words.as_ptr().cast(), self.filled) }
    }

    /// `msg_control`: null for no room, as CPython passes it.
    fn as_mut_ptr(&mut self) -> *mut libc::c_void {
        if self.len == 0 {
            ptr::null_mut()
        } else {
            self.words.as_mut_ptr().cast()
        }
    }
}

/// Room for the sender's address a receive reports, not initialised until a
/// receive fills it.
pub(crate) struct NameRoom {
    storage: MaybeUninit<libc::sockaddr_storage>,
    filled: usize,
}

impl NameRoom {
    #[inline]
    pub(crate) fn new() -> NameRoom {
        NameRoom {
            storage: MaybeUninit::uninit(),
            filled: 0,
        }
    }

    /// Whether the last receive wrote no address.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// The address the last receive wrote, or `None` where it wrote none.
    pub(crate) fn address(&self) -> Option<SockAddr> {
        if self.filled == 0 {
            return None;
        }
        let mut storage = SockAddrStorage::zeroed();
        // SAFETY: `filled` is what the kernel reported writing, capped at
        // the storage's size: that many bytes of `self.storage` are
        // initialised, and `storage` (a `sockaddr_storage`) has room for
        // them; the two do not overlap.
        unsafe {
            ptr::copy_nonoverlapping(
                self.storage.as_ptr().cast::<u8>(),
                (&mut storage as *mut SockAddrStorage).cast::<u8>(),
                self.filled,
            );
        }
        // SAFETY: `storage` holds the address the kernel wrote, of that length.
        Some(unsafe { SockAddr::new(storage, self.filled as libc::socklen_t) })
    }
}

/// What one `recvmsg(2)` gave back besides the data, the address and the
/// control messages (which it leaves in the rooms given).
#[derive(Debug)]
pub(crate) struct Received {
    /// The byte count the call returned (with `MSG_TRUNC`, maybe more than
    /// the buffers hold).
    pub(crate) bytes: usize,
    /// `msg_flags`.
    pub(crate) flags: libc::c_int,
}

/// `recvmsg(2)` into one buffer that need not be initialised.
#[inline]
pub(crate) fn recvmsg_uninit(
    fd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<u8>],
    name: Option<&mut NameRoom>,
    control: &mut ControlRoom<'_>,
    flags: libc::c_int,
) -> io::Result<Received> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: the one iovec describes `buf`, writable for its whole length
    // while the call runs; the kernel writes only initialised bytes.
    unsafe { recvmsg_raw(fd, &mut iov, 1, name, control, flags) }
}

/// `recvmsg(2)`, scattering into `buffers`.
#[inline]
pub(crate) fn recvmsg_into(
    fd: BorrowedFd<'_>,
    buffers: &mut [IoSliceMut<'_>],
    name: Option<&mut NameRoom>,
    control: &mut ControlRoom<'_>,
    flags: libc::c_int,
) -> io::Result<Received> {
    // SAFETY: on Unix `IoSliceMut` is guaranteed to have the layout of
    // `struct iovec`, and each one describes a writable buffer borrowed for
    // the whole call.
    unsafe {
        recvmsg_raw(
            fd,
            buffers.as_mut_ptr().cast(),
            buffers.len(),
            name,
            control,
            flags,
        )
    }
}

/// `recvmsg(2)`, with the sender's address into `name` (none asked for
/// without it) and control data into `control`.
///
/// # Safety
///
/// `iov` must point to `iovlen` `struct iovec`s, each describing memory
/// writable for its length, for the duration of the call.
#[inline]
unsafe fn recvmsg_raw(
    fd: BorrowedFd<'_>,
    iov: *mut libc::iovec,
    iovlen: usize,
    mut name: Option<&mut NameRoom>,
    control: &mut ControlRoom<'_>,
    flags: libc::c_int,
) -> io::Result<Received> {
    // SAFETY: `msghdr` is plain old data (integers, pointers and on some
    // systems private padding): all-zero bytes are a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    let storage_size = mem::size_of::<libc::sockaddr_storage>();
    if let Some(name) = name.as_deref_mut() {
        name.filled = 0;
        msg.msg_name = name.storage.as_mut_ptr().cast();
        msg.msg_namelen = storage_size as libc::socklen_t;
    }
    control.filled = 0;
    msg.msg_iov = iov;
    msg.msg_iovlen = msghdr_len(iovlen, too_many_buffers)?;
    msg.msg_controllen = msghdr_len(control.len, invalid_length)?;
    msg.msg_control = control.as_mut_ptr();
    // SAFETY: every pointer in `msg` is valid for the length beside it: the
    // address storage (or null with length 0), the caller's iovecs, and the
    // control room (or null with length 0).
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if let Some(name) = name {
        // The kernel reports an address's full length, which may exceed the
        // storage it filled.
        name.filled = (msg.msg_namelen as usize).min(storage_size);
    }
    control.filled = (msg.msg_controllen as usize).min(control.len);
    Ok(Received {
        bytes: n as usize,
        flags: msg.msg_flags,
    })
}

/// `sendmsg(2)`: gathers `buffers`, with the control messages in `control`
/// (laid out from an address aligned for `struct cmsghdr`; none where
/// empty), to `address` if given.
#[inline]
pub(crate) fn sendmsg(
    fd: BorrowedFd<'_>,
    buffers: &[IoSlice<'_>],
    address: Option<&SockAddr>,
    control: &[u8],
    flags: libc::c_int,
) -> io::Result<usize> {
    // SAFETY: `msghdr` is plain old data: all-zero bytes are a valid value.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    if let Some(address) = address {
        msg.msg_name = address.as_ptr() as *mut libc::c_void;
        msg.msg_namelen = address.len();
    }
    // The kernel only reads through the iovecs of a send.
    msg.msg_iov = buffers.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = msghdr_len(buffers.len(), too_many_buffers)?;
    if !control.is_empty() {
        msg.msg_controllen = msghdr_len(control.len(), invalid_length)?;
        // The kernel only reads the control messages of a send.
        msg.msg_control = control.as_ptr() as *mut libc::c_void;
    }
    // SAFETY: on Unix `IoSlice` is guaranteed to have the layout of `struct
    // iovec`; every pointer in `msg` is valid for the length beside it (the
    // address, the buffers, the control buffer or null with length 0) for
    // the duration of the call, which only reads them.
    let n = unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// A length as a `msghdr` field takes it, whose type differs by system
/// (`size_t` on glibc, `int` or `socklen_t` elsewhere), or `too_long`'s error.
fn msghdr_len<T: TryFrom<usize>>(len: usize, too_long: fn() -> io::Error) -> io::Result<T> {
    T::try_from(len).map_err(|_| too_long())
}

/// More buffers than `msg_iovlen` holds: the kernel's answer to more than it takes.
fn too_many_buffers() -> io::Error {
    io::Error::from_raw_os_error(libc::EMSGSIZE)
}

fn invalid_length() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

platform! {
    if linux {
        /// `SCM_CREDENTIALS`'s `struct ucred` as `(pid, uid, gid)`, if
        /// `data` holds one.
        pub(crate) fn decode_ucred(data: &[u8]) -> Option<(i32, u32, u32)> {
            let ucred: libc::ucred = read_struct(data)?;
            Some((ucred.pid, ucred.uid, ucred.gid))
        }

        /// `struct ucred` for an `SCM_CREDENTIALS` message.
        pub(crate) fn encode_ucred(pid: i32, uid: u32, gid: u32) -> Vec<u8> {
            struct_bytes(&libc::ucred { pid, uid, gid })
        }

        /// This process's `(pid, uid, gid)`.
        pub(crate) fn current_credentials() -> (i32, u32, u32) {
            // SAFETY: getpid, getuid and getgid have no preconditions and
            // cannot fail.
            unsafe { (libc::getpid(), libc::getuid(), libc::getgid()) }
        }

        /// `IP_PKTINFO`'s `struct in_pktinfo` as `(ifindex, spec_dst, addr)`,
        /// the addresses in network byte order.
        pub(crate) fn decode_in_pktinfo(data: &[u8]) -> Option<(u32, [u8; 4], [u8; 4])> {
            let info: libc::in_pktinfo = read_struct(data)?;
            Some((
                info.ipi_ifindex as u32,
                info.ipi_spec_dst.s_addr.to_ne_bytes(),
                info.ipi_addr.s_addr.to_ne_bytes(),
            ))
        }

        /// `struct in_pktinfo` for an `IP_PKTINFO` message.
        pub(crate) fn encode_in_pktinfo(ifindex: u32, spec_dst: [u8; 4], addr: [u8; 4]) -> Vec<u8> {
            struct_bytes(&libc::in_pktinfo {
                ipi_ifindex: ifindex as _,
                ipi_spec_dst: libc::in_addr { s_addr: u32::from_ne_bytes(spec_dst) },
                ipi_addr: libc::in_addr { s_addr: u32::from_ne_bytes(addr) },
            })
        }

        /// `IPV6_PKTINFO`'s `struct in6_pktinfo` as `(addr, ifindex)`.
        // The index is a `c_int` on Android.
        #[allow(clippy::unnecessary_cast)]
        pub(crate) fn decode_in6_pktinfo(data: &[u8]) -> Option<([u8; 16], u32)> {
            let info: libc::in6_pktinfo = read_struct(data)?;
            Some((info.ipi6_addr.s6_addr, info.ipi6_ifindex as u32))
        }

        /// `struct in6_pktinfo` for an `IPV6_PKTINFO` message.
        pub(crate) fn encode_in6_pktinfo(addr: [u8; 16], ifindex: u32) -> Vec<u8> {
            struct_bytes(&libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr { s6_addr: addr },
                ipi6_ifindex: ifindex as _,
            })
        }

        /// Reads a plain C structure from the start of `data`, if it is long
        /// enough.
        fn read_struct<T: Plain>(data: &[u8]) -> Option<T> {
            if data.len() < mem::size_of::<T>() {
                return None;
            }
            // SAFETY: `data` holds at least `size_of::<T>()` initialised
            // bytes, `T` is plain old data (any bytes are a valid value), and
            // the read makes no assumption of alignment.
            Some(unsafe { ptr::read_unaligned(data.as_ptr().cast::<T>()) })
        }

        /// The bytes of a plain C structure.
        fn struct_bytes<T: Plain>(value: &T) -> Vec<u8> {
            // SAFETY: `T` is one of the structures below, whose fields are
            // integers that leave no padding: every byte is initialised.
            unsafe { slice::from_raw_parts((value as *const T).cast::<u8>(), mem::size_of::<T>()) }
                .to_vec()
        }

        /// C structures made of integers only, with no padding.
        trait Plain: Copy {}
        impl Plain for libc::ucred {}
        impl Plain for libc::in_pktinfo {}
        impl Plain for libc::in6_pktinfo {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_round_trip_through_a_buffer() {
        let messages: [(i32, i32, &[u8]); 3] =
            [(1, 2, b"abc"), (3, 4, b""), (5, 6, b"a longer payload")];
        let total: usize = messages
            .iter()
            .map(|(_, _, data)| cmsg_space(data.len()).unwrap())
            .sum();
        let mut buffer = ControlBuffer::zeroed(total).unwrap();
        let mut offset = 0;
        for (level, kind, data) in messages {
            offset = buffer.put(offset, level, kind, data);
        }
        assert_eq!(offset, total);
        let parsed: Vec<_> = ControlMessages::new(buffer.bytes(total)).collect();
        assert_eq!(parsed, messages);
    }

    #[test]
    fn a_truncated_message_keeps_what_fits() {
        let mut buffer = ControlBuffer::zeroed(cmsg_space(12).unwrap()).unwrap();
        buffer.put(0, 1, 2, &[7; 12]);
        // Cut inside the data: the data that fits, then the end.
        let cut = DATA_OFFSET + 5;
        let parsed: Vec<_> = ControlMessages::new(buffer.bytes(cut)).collect();
        assert_eq!(parsed, [(1, 2, &[7u8; 5][..])]);
        // Cut inside the header: nothing.
        assert_eq!(
            ControlMessages::new(buffer.bytes(DATA_OFFSET - 1)).count(),
            0
        );
    }

    #[test]
    fn a_malformed_header_ends_the_walk() {
        let mut buffer = ControlBuffer::zeroed(2 * cmsg_space(4).unwrap()).unwrap();
        let next = buffer.put(0, 1, 2, &[0; 4]);
        buffer.put(next, 3, 4, &[0; 4]);
        // A cmsg_len shorter than a header, as a zeroed buffer has.
        let len = buffer.len();
        buffer.bytes_mut()[..mem::size_of::<libc::cmsghdr>()].fill(0);
        assert_eq!(ControlMessages::new(buffer.bytes(len)).count(), 0);
    }

    #[test]
    fn partial_descriptors_are_rounded_down() {
        let data = [1i32.to_ne_bytes(), 2i32.to_ne_bytes()].concat();
        assert_eq!(raw_fds(&data[..7]).collect::<Vec<_>>(), [1]);
        assert_eq!(raw_fds(&data).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn lengths_past_socklen_t_have_no_cmsg_len() {
        assert_eq!(cmsg_len(0), Some(DATA_OFFSET));
        assert!(cmsg_len(SOCKLEN_T_LIMIT - DATA_OFFSET).is_some());
        assert_eq!(cmsg_len(SOCKLEN_T_LIMIT - DATA_OFFSET + 1), None);
        assert!(cmsg_space(SOCKLEN_T_LIMIT - SPACE_OF_ONE).is_some());
        assert_eq!(cmsg_space(SOCKLEN_T_LIMIT - SPACE_OF_ONE + 1), None);
        assert_eq!(cmsg_space(usize::MAX), None);
        assert_eq!(cmsg_align(usize::MAX), None);
    }
}
