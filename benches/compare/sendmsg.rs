//! `sendmsg`/`recvmsg` ping-pong on an `AF_UNIX` `SOCK_STREAM` socketpair:
//! one 64-byte message each way per round trip, with no control data or with
//! one `SCM_RIGHTS` message carrying a descriptor (each side sends its own
//! `/dev/null`; the receiver closes what arrives, as any receiver must).
//! pysocket's `sendmsg`/`recvmsg`/`recvmsg_into` against socket2's
//! `sendmsg`/`recvmsg` with `MsgHdr`/`MsgHdrMut`, the control messages
//! built and parsed with libc's `CMSG_*`; std has no `sendmsg`. Timed on the
//! client from the first send to the last reply. An echo thread answers, or
//! the client's own thread plays both ends ([`Peer`]): the echo thread is how
//! processes talk, but its wake-ups vary by tens of microseconds on a shared
//! machine, which hides a difference of a few percent in the calls themselves.

use std::fs::File;
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::thread;
use std::time::{Duration, Instant};

use pysocket::{socketpair, Cmsg, MsgFlags, Socket, CMSG_SPACE, SCM_RIGHTS, SOL_SOCKET};
use socket2::{Domain, MaybeUninitSlice, MsgHdr, MsgHdrMut, SockAddr, SockAddrStorage, Type};

use crate::MSG;

/// The size of one descriptor in an `SCM_RIGHTS` message.
const FD_SIZE: usize = std::mem::size_of::<RawFd>();

/// What travels beside the 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// No control data, and no room for any on receive.
    None,
    /// One `SCM_RIGHTS` message with one descriptor.
    Rights,
}

/// How pysocket receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receive {
    /// `recvmsg(bufsize, ancbufsize)`: the data in a new `Vec`.
    Recvmsg,
    /// `recvmsg_into` one reused buffer.
    RecvmsgInto,
}

/// The timeout of the timeout-mode variant: never reached.
const TIMEOUT: Duration = Duration::from_secs(10);

// --- pysocket ---------------------------------------------------------------

/// pysocket on both sides; `timeout` puts both in timeout mode.
pub fn pysocket(
    count: usize,
    peer: Peer,
    control: Control,
    receive: Receive,
    timeout: bool,
) -> Duration {
    let (client, conn) = socketpair().unwrap();
    if timeout {
        client.settimeout(Some(TIMEOUT)).unwrap();
        conn.settimeout(Some(TIMEOUT)).unwrap();
    }
    exchange(
        PySide::new(client, control, receive),
        PySide::new(conn, control, receive),
        count,
        peer,
    )
}

/// Who answers the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// An echo thread: each message wakes the other side, as between
    /// processes.
    EchoThread,
    /// The client's own thread plays both ends in turn: no wake-ups, so the
    /// time is the calls' own, and a library's overhead shows undiluted.
    OneThread,
}

/// One end of the exchange.
trait End: Send + 'static {
    fn send(&mut self, data: &[u8]);
    fn recv(&mut self, buf: &mut [u8; MSG]);
}

/// `count` round trips from `client` to `conn` and back, timed on the client.
fn exchange<E: End>(mut client: E, mut conn: E, count: usize, peer: Peer) -> Duration {
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    match peer {
        Peer::EchoThread => {
            let echo = thread::spawn(move || {
                let mut buf = [0u8; MSG];
                for _ in 0..count {
                    conn.recv(&mut buf);
                    conn.send(&buf);
                }
            });
            let start = Instant::now();
            for _ in 0..count {
                client.send(&msg);
                client.recv(&mut buf);
            }
            let elapsed = start.elapsed();
            echo.join().unwrap();
            elapsed
        }
        Peer::OneThread => {
            let mut echoed = [0u8; MSG];
            let start = Instant::now();
            for _ in 0..count {
                client.send(&msg);
                conn.recv(&mut echoed);
                conn.send(&echoed);
                client.recv(&mut buf);
            }
            start.elapsed()
        }
    }
}

struct PySide {
    sock: Socket,
    receive: Receive,
    /// The control messages of every send (built once).
    ancdata: Vec<Cmsg>,
    ancbufsize: usize,
    /// The descriptor the `SCM_RIGHTS` message carries.
    _null: File,
}

impl PySide {
    fn new(sock: Socket, control: Control, receive: Receive) -> PySide {
        let null = File::open("/dev/null").unwrap();
        let (ancdata, ancbufsize) = match control {
            Control::None => (Vec::new(), 0),
            Control::Rights => (
                vec![Cmsg::new(
                    SOL_SOCKET,
                    SCM_RIGHTS,
                    null.as_raw_fd().to_ne_bytes(),
                )],
                CMSG_SPACE(FD_SIZE).unwrap(),
            ),
        };
        PySide {
            sock,
            receive,
            ancdata,
            ancbufsize,
            _null: null,
        }
    }
}

impl End for PySide {
    fn send(&mut self, data: &[u8]) {
        let sent = self
            .sock
            .sendmsg(&[IoSlice::new(data)], &self.ancdata, MsgFlags::empty())
            .unwrap();
        assert_eq!(sent, MSG);
    }

    /// Receives one message; the descriptors that arrive are closed as the
    /// result is dropped.
    fn recv(&mut self, buf: &mut [u8; MSG]) {
        let (n, fds) = match self.receive {
            Receive::Recvmsg => {
                let got = self
                    .sock
                    .recvmsg(MSG, self.ancbufsize, MsgFlags::empty())
                    .unwrap();
                buf.copy_from_slice(&got.data);
                (got.data.len(), got.fds.len())
            }
            Receive::RecvmsgInto => {
                let got = self
                    .sock
                    .recvmsg_into(
                        &mut [IoSliceMut::new(buf)],
                        self.ancbufsize,
                        MsgFlags::empty(),
                    )
                    .unwrap();
                (got.nbytes, got.fds.len())
            }
        };
        assert_eq!(n, MSG);
        assert_eq!(fds, usize::from(self.ancbufsize > 0));
    }
}

// --- socket2 -------------------------------------------------------------------

/// A control buffer aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Aligned<T>(T);

/// socket2's `sendmsg`/`recvmsg` on both sides, blocking.
pub fn socket2(count: usize, peer: Peer, control: Control) -> Duration {
    let (client, conn) = socket2::Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
    exchange(
        RawSide::new(client, control),
        RawSide::new(conn, control),
        count,
        peer,
    )
}

struct RawSide {
    sock: socket2::Socket,
    /// The control data of every send: one `SCM_RIGHTS` message, or nothing.
    send_control: Aligned<[u8; 64]>,
    send_len: usize,
    recv_control: Aligned<[MaybeUninit<u8>; 64]>,
    recv_len: usize,
    /// Room for the sender's address, which every receive asks for, as
    /// pysocket's `recvmsg` must (Python's returns it): on an `AF_UNIX`
    /// stream the kernel copies a named peer's path there.
    from: SockAddr,
    _null: File,
}

impl RawSide {
    fn new(sock: socket2::Socket, control: Control) -> RawSide {
        let null = File::open("/dev/null").unwrap();
        let mut send_control = Aligned([0u8; 64]);
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(FD_SIZE as u32) } as usize;
        let len = match control {
            Control::None => 0,
            Control::Rights => {
                // SAFETY: a zeroed msghdr is valid; it points at the aligned
                // buffer, which has room for one cmsghdr and one descriptor
                // (`space` bytes), so CMSG_FIRSTHDR is not null and the
                // header and data written stay inside the buffer.
                unsafe {
                    let mut hdr: libc::msghdr = std::mem::zeroed();
                    hdr.msg_control = send_control.0.as_mut_ptr().cast();
                    hdr.msg_controllen = space as _;
                    let cmsg = libc::CMSG_FIRSTHDR(&hdr);
                    (*cmsg).cmsg_level = libc::SOL_SOCKET;
                    (*cmsg).cmsg_type = libc::SCM_RIGHTS;
                    (*cmsg).cmsg_len = libc::CMSG_LEN(FD_SIZE as u32) as _;
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast(), null.as_raw_fd());
                }
                space
            }
        };
        RawSide {
            sock,
            send_control,
            send_len: len,
            recv_control: Aligned([MaybeUninit::new(0); 64]),
            recv_len: len,
            // SAFETY: zeroed storage with its full size as the length is an
            // empty address the kernel may fill.
            from: unsafe {
                SockAddr::new(
                    SockAddrStorage::zeroed(),
                    std::mem::size_of::<SockAddrStorage>() as libc::socklen_t,
                )
            },
            _null: null,
        }
    }
}

impl End for RawSide {
    fn send(&mut self, data: &[u8]) {
        let bufs = [IoSlice::new(data)];
        let msg = MsgHdr::new()
            .with_buffers(&bufs)
            .with_control(&self.send_control.0[..self.send_len]);
        let sent = self.sock.sendmsg(&msg, libc::MSG_NOSIGNAL).unwrap();
        assert_eq!(sent, MSG);
    }

    /// Receives one message and closes every descriptor that arrived.
    fn recv(&mut self, buf: &mut [u8; MSG]) {
        // SAFETY: `[u8]` and `[MaybeUninit<u8>]` have one layout, and the
        // kernel only writes initialised bytes into the buffer.
        let uninit = unsafe { &mut *(buf.as_mut_slice() as *mut [u8] as *mut [MaybeUninit<u8>]) };
        let mut bufs = [MaybeUninitSlice::new(uninit)];
        let mut msg = MsgHdrMut::new()
            .with_addr(&mut self.from)
            .with_buffers(&mut bufs)
            .with_control(&mut self.recv_control.0[..self.recv_len]);
        let n = self.sock.recvmsg(&mut msg, libc::MSG_CMSG_CLOEXEC).unwrap();
        let control_len = msg.control_len();
        assert_eq!(n, MSG);
        assert!(!msg.flags().is_truncated());
        let mut fds = 0;
        // SAFETY: the kernel wrote `control_len` bytes of well-formed control
        // messages at the start of the aligned buffer; CMSG_FIRSTHDR and
        // CMSG_NXTHDR stay within them, and each SCM_RIGHTS payload holds
        // descriptors this process now owns and closes once.
        unsafe {
            let mut hdr: libc::msghdr = std::mem::zeroed();
            hdr.msg_control = self.recv_control.0.as_mut_ptr().cast();
            hdr.msg_controllen = control_len as _;
            let mut cmsg = libc::CMSG_FIRSTHDR(&hdr);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(cmsg);
                    let len = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                    for i in 0..len / FD_SIZE {
                        let fd: RawFd = std::ptr::read_unaligned(data.add(i * FD_SIZE).cast());
                        drop(OwnedFd::from_raw_fd(fd));
                        fds += 1;
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&hdr, cmsg);
            }
        }
        assert_eq!(fds, usize::from(self.recv_len > 0));
    }
}
