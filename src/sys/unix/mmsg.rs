//! Many datagrams in one system call, for the UDP server's loop:
//! `recvmmsg(2)` and `sendmmsg(2)` on Linux, and elsewhere one datagram a
//! call (`recvfrom(2)`, `sendto(2)`), behind the same two functions.

use std::collections::TryReserveError;
use std::io;
use std::marker::PhantomData;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd};

use socket2::{SockAddr, SockAddrStorage};

/// The most datagrams one call receives or sends.
pub(crate) const MAX_BATCH: usize = 32;

/// Room for the datagrams one receive takes, each in a slot of its own of
/// the same size, with its sender's address.
#[derive(Debug)]
pub(crate) struct RecvBatch {
    /// `capacity` slots of `size` bytes, one after another.
    data: Vec<u8>,
    size: usize,
    names: Vec<Name>,
    /// The bytes in each slot, for the first `filled` slots.
    lens: Vec<usize>,
    filled: usize,
}

/// A sender's address as the kernel writes it.
#[derive(Clone, Copy)]
struct Name {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Name")
            .field("family", &self.storage.ss_family)
            .field("len", &self.len)
            .finish()
    }
}

/// An address a datagram is sent to, borrowed for `'a`: a sender's
/// address as a [`RecvBatch`] holds it.
#[derive(Clone, Copy)]
pub(crate) struct Destination<'a> {
    /// Valid for reads of `len` bytes for `'a`.
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
    _borrow: PhantomData<&'a ()>,
}

impl RecvBatch {
    /// Room for up to `count` datagrams (at least 1, at most [`MAX_BATCH`],
    /// and 1 where there is no `recvmmsg`) of `size` bytes each, zeroed; or
    /// the allocator's refusal.
    pub(crate) fn new(count: usize, size: usize) -> Result<RecvBatch, TryReserveError> {
        let count = if platform!(is linux) {
            count.clamp(1, MAX_BATCH)
        } else {
            1
        };
        let total = count.saturating_mul(size);
        let mut data = Vec::new();
        data.try_reserve_exact(total)?;
        data.resize(total, 0);
        let name = Name {
            // SAFETY: `sockaddr_storage` is plain old data: all-zero bytes
            // are a valid value.
            storage: unsafe { mem::zeroed() },
            len: 0,
        };
        Ok(RecvBatch {
            data,
            size,
            names: vec![name; count],
            lens: vec![0; count],
            filled: 0,
        })
    }

    /// The `i`th datagram the last receive took (cut to the slot's size, as
    /// `recvfrom` cuts it), and its sender.
    pub(crate) fn get(&self, i: usize) -> (&[u8], SockAddr) {
        let data = self.packet(i);
        let name = &self.names[i];
        let mut storage = SockAddrStorage::zeroed();
        // SAFETY: `sockaddr_storage` is one of the platform's `sockaddr_*`
        // types, which `view_as` asks for.
        unsafe { *storage.view_as::<libc::sockaddr_storage>() = name.storage };
        let len = name
            .len
            .min(mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t);
        // SAFETY: `storage` holds what the kernel wrote as the sender's
        // address (zeroes past it), and `len` is the length it reported,
        // capped at the storage's size.
        (data, unsafe { SockAddr::new(storage, len) })
    }

    /// The `i`th datagram's bytes.
    pub(crate) fn packet(&self, i: usize) -> &[u8] {
        assert!(i < self.filled, "datagram {i} of {}", self.filled);
        let start = i * self.size;
        &self.data[start..start + self.lens[i]]
    }

    /// The sender of the `i`th datagram if it is an IPv4 or IPv6 address,
    /// read in place (what [`get`](RecvBatch::get) and an `Address` made
    /// from its `SockAddr` give, without copying the storage).
    pub(crate) fn sender_ip(&self, i: usize) -> Option<SocketAddr> {
        assert!(i < self.filled, "datagram {i} of {}", self.filled);
        let name = &self.names[i];
        let len = name.len as usize;
        let storage: *const libc::sockaddr_storage = &name.storage;
        match libc::c_int::from(name.storage.ss_family) {
            libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
                // SAFETY: the kernel wrote a `sockaddr_in` at the start of
                // the storage, which is aligned and large enough for one,
                // and any bytes are a valid `sockaddr_in`.
                let sin = unsafe { &*storage.cast::<libc::sockaddr_in>() };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()),
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above, for a `sockaddr_in6`.
                let sin6 = unsafe { &*storage.cast::<libc::sockaddr_in6>() };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// Whether the kernel gave the `i`th datagram's sender an address (an
    /// unnamed Unix socket has none).
    pub(crate) fn has_sender(&self, i: usize) -> bool {
        assert!(i < self.filled, "datagram {i} of {}", self.filled);
        self.names[i].len > 0
    }

    /// Where the `i`th datagram came from, as the kernel wrote it, to send
    /// an answer there without a copy of the address.
    pub(crate) fn sender(&self, i: usize) -> Destination<'_> {
        assert!(i < self.filled, "datagram {i} of {}", self.filled);
        let name = &self.names[i];
        Destination {
            addr: (&name.storage as *const libc::sockaddr_storage).cast(),
            len: name
                .len
                .min(mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t),
            _borrow: PhantomData,
        }
    }

    /// Receives as many datagrams as are there, up to the capacity, in one
    /// call with `flags` (the caller adds `MSG_DONTWAIT` not to wait):
    /// how many. An error only when none was received.
    pub(crate) fn recv(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<usize> {
        self.filled = 0;
        let n = self.recv_raw(fd, flags)?;
        self.filled = n;
        Ok(n)
    }
}

platform! {
    if linux {
        impl RecvBatch {
            /// How many datagrams one receive may take.
            fn capacity(&self) -> usize {
                self.names.len()
            }

            fn recv_raw(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<usize> {
                let count = self.capacity();
                // SAFETY: `iovec` and `mmsghdr` are plain old data (integers
                // and pointers): all-zero bytes are a valid value.
                let mut iovecs: [libc::iovec; MAX_BATCH] = unsafe { mem::zeroed() };
                // SAFETY: as above.
                let mut headers: [libc::mmsghdr; MAX_BATCH] = unsafe { mem::zeroed() };
                for (iovec, slot) in iovecs.iter_mut().zip(self.data.chunks_exact_mut(self.size)) {
                    *iovec = libc::iovec {
                        iov_base: slot.as_mut_ptr().cast(),
                        iov_len: slot.len(),
                    };
                }
                let iovecs = iovecs.as_mut_ptr();
                for (i, (header, name)) in headers.iter_mut().zip(&mut self.names).enumerate() {
                    name.len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                    let header = &mut header.msg_hdr;
                    header.msg_name = (&mut name.storage as *mut libc::sockaddr_storage).cast();
                    header.msg_namelen = name.len;
                    header.msg_iov = iovecs.wrapping_add(i);
                    header.msg_iovlen = 1;
                }
                // SAFETY: the first `count` headers each point at one iovec
                // describing a slot of `self.data`, writable for its whole
                // length, and at a `sockaddr_storage` of `self.names` with its
                // size; all of them live, and are borrowed by nothing else,
                // until the call returns. The kernel writes only initialised
                // bytes into the slots.
                let n = unsafe {
                    libc::recvmmsg(
                        fd.as_raw_fd(),
                        headers.as_mut_ptr(),
                        count as libc::c_uint,
                        flags as _,
                        std::ptr::null_mut(),
                    )
                };
                if n < 0 {
                    return Err(io::Error::last_os_error());
                }
                let n = n as usize;
                for (i, header) in headers.iter().enumerate().take(n) {
                    self.lens[i] = (header.msg_len as usize).min(self.size);
                    self.names[i].len = header.msg_hdr.msg_namelen;
                }
                Ok(n)
            }
        }

        /// Sends the datagrams `messages` gives, each to its address, in
        /// order: as many as one `sendmmsg` takes (at most [`MAX_BATCH`]).
        /// Returns how many were sent, at least one; an error when the first
        /// could not be sent, which is then that datagram's error (the kernel
        /// reports a later datagram's error only when it comes first).
        pub(crate) fn send_batch<'a>(
            fd: BorrowedFd<'_>,
            messages: impl Iterator<Item = (&'a [u8], Destination<'a>)>,
            flags: libc::c_int,
        ) -> io::Result<usize> {
            // SAFETY: `iovec` and `mmsghdr` are plain old data: all-zero
            // bytes are a valid value.
            let mut iovecs: [libc::iovec; MAX_BATCH] = unsafe { mem::zeroed() };
            // SAFETY: as above.
            let mut headers: [libc::mmsghdr; MAX_BATCH] = unsafe { mem::zeroed() };
            let mut count = 0;
            for ((data, to), (iovec, header)) in messages.zip(iovecs.iter_mut().zip(&mut headers)) {
                // The kernel only reads through the iovecs and names of a send.
                *iovec = libc::iovec {
                    iov_base: data.as_ptr() as *mut libc::c_void,
                    iov_len: data.len(),
                };
                header.msg_hdr.msg_name = to.addr as *mut libc::c_void;
                header.msg_hdr.msg_namelen = to.len;
                count += 1;
            }
            let iov = iovecs.as_mut_ptr();
            for (i, header) in headers.iter_mut().enumerate().take(count) {
                header.msg_hdr.msg_iov = iov.wrapping_add(i);
                header.msg_hdr.msg_iovlen = 1;
            }
            if count == 0 {
                return Ok(0);
            }
            // SAFETY: the first `count` headers each point at one iovec
            // describing a datagram borrowed for the whole call, and at an
            // address with its length; the kernel only reads them and writes
            // each header's `msg_len`.
            let n = unsafe {
                libc::sendmmsg(fd.as_raw_fd(), headers.as_mut_ptr(), count as libc::c_uint, flags as _)
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(n as usize)
        }
    } else {
        impl RecvBatch {
            fn recv_raw(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> io::Result<usize> {
                let name = &mut self.names[0];
                name.len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                let slot = &mut self.data[..self.size];
                // SAFETY: `slot` is writable for its whole length and the
                // name's storage for the size given beside it, both borrowed
                // by nothing else until the call returns.
                let n = unsafe {
                    libc::recvfrom(
                        fd.as_raw_fd(),
                        slot.as_mut_ptr().cast(),
                        slot.len(),
                        flags,
                        (&mut name.storage as *mut libc::sockaddr_storage).cast(),
                        &mut name.len,
                    )
                };
                if n < 0 {
                    return Err(io::Error::last_os_error());
                }
                self.lens[0] = (n as usize).min(self.size);
                Ok(1)
            }
        }

        /// Sends the first datagram `messages` gives to its address: where
        /// there is no `sendmmsg`, one a call. Returns 1, or its error.
        pub(crate) fn send_batch<'a>(
            fd: BorrowedFd<'_>,
            mut messages: impl Iterator<Item = (&'a [u8], Destination<'a>)>,
            flags: libc::c_int,
        ) -> io::Result<usize> {
            let Some((data, to)) = messages.next() else {
                return Ok(0);
            };
            // SAFETY: `data` and the address are valid for the lengths given
            // beside them for the whole call, which only reads them.
            let n = unsafe {
                libc::sendto(
                    fd.as_raw_fd(),
                    data.as_ptr().cast(),
                    data.len(),
                    flags,
                    to.addr,
                    to.len,
                )
            };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(1)
        }
    }
}
