//! A UDP echo server under load: four client threads, each keeping 32
//! datagrams of 64 bytes in flight on 127.0.0.1 (a new one sent for each
//! echo received), timed from the clients' start to the last echo; the time
//! per datagram answered.
//!
//! - pysocket: `server::UdpServer` with an echo `DatagramRequestHandler`
//!   (writes `request.packet` to `request.wfile`), in `serve_forever`;
//! - socket2: the least a hand-written server does, a blocking
//!   `recv_from`/`send_to` loop with one 8192-byte buffer (the server's
//!   `max_packet_size`);
//! - std: the same loop on `std::net::UdpSocket`.
//!
//! A second row sets `UdpServer` against the floor batching can reach: a
//! blocking `recvmmsg`/`sendmmsg` echo loop on libc, with no handler and no
//! way to stop but an empty datagram.
//!
//! The clients are the same std sockets for every variant, connected to the
//! server. Loopback drops a datagram only when a receive buffer overflows,
//! which 128 small datagrams do not; a client that waits a second for an echo
//! all the same sends its window again, and the run says so on stderr.

use std::mem::MaybeUninit;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UdpServer};
use socket2::{Domain, Type};

use crate::{loopback, Suite, MSG};

/// Client threads.
const CLIENTS: usize = 4;

/// Datagrams each client keeps in flight.
const WINDOW: usize = 32;

/// The echo server's receive buffer, as `UdpServer`'s default `max_packet_size`.
const PACKET: usize = 8192;

/// How long a client waits for an echo before it takes its window as lost.
const LOSS_WAIT: Duration = Duration::from_secs(1);

/// Windows sent again after a wait for an echo ran out, over the whole run.
static RESENT: AtomicUsize = AtomicUsize::new(0);

pub fn run(suite: &mut Suite) {
    // 12,000 datagrams a round in the full run.
    let per_client = suite.plan.pingpongs;
    suite.compare(
        "UdpServer echo, 4 clients x 32 in flight (datagram)",
        Some("4 client threads, each keeping 32 datagrams of 64 B in flight to the server; pysocket: UdpServer with an echo handler (request.wfile); socket2 and std: a blocking recv_from/send_to loop with an 8192-byte buffer; the time per datagram answered (1 / datagrams per second)"),
        CLIENTS * per_client,
        [
            Some(&mut || pysocket(per_client)),
            Some(&mut || socket2(per_client)),
            Some(&mut || std(per_client)),
        ],
    );
    suite.compare(
        "UdpServer echo vs raw recvmmsg/sendmmsg (datagram)",
        Some("as the row above; socket2 column: the floor batching can reach, a blocking loop of recvmmsg (MSG_WAITFORONE, 32 at a time) and sendmmsg with libc, no handler, no wait for shutdown"),
        CLIENTS * per_client,
        [
            Some(&mut || pysocket(per_client)),
            Some(&mut || raw_mmsg(per_client)),
            None,
        ],
    );
    let resent = RESENT.swap(0, Ordering::Relaxed);
    if resent > 0 {
        eprintln!("UdpServer bench: {resent} windows sent again after a lost datagram");
    }
}

struct Echo;

impl DatagramRequestHandler for Echo {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        request.wfile.extend_from_slice(request.packet);
        Ok(())
    }
}

fn pysocket(per_client: usize) -> Duration {
    let server = UdpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    let addr = server.server_address().as_socket_addr().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| server.serve_forever(Duration::from_millis(500)));
        let elapsed = clients(addr, per_client);
        server.shutdown();
        serving.join().unwrap().unwrap();
        elapsed
    })
}

fn socket2(per_client: usize) -> Duration {
    let server = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    server.bind(&loopback::any_port()).unwrap();
    let addr = server.local_addr().unwrap().as_socket().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut buf = [MaybeUninit::new(0u8); PACKET];
            loop {
                match server.recv_from(&mut buf) {
                    Ok((0, _)) => return,
                    Ok((n, from)) => {
                        // SAFETY: recv_from initialised the first `n` bytes.
                        let data = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), n) };
                        let _ = server.send_to(data, &from);
                    }
                    Err(err) => assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED)),
                }
            }
        });
        let elapsed = clients(addr, per_client);
        stop(addr);
        elapsed
    })
}

fn std(per_client: usize) -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut buf = [0u8; PACKET];
            loop {
                match server.recv_from(&mut buf) {
                    Ok((0, _)) => return,
                    Ok((n, from)) => {
                        let _ = server.send_to(&buf[..n], from);
                    }
                    Err(err) => assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED)),
                }
            }
        });
        let elapsed = clients(addr, per_client);
        stop(addr);
        elapsed
    })
}

/// The most datagrams the raw loop takes or sends a call.
const BATCH: usize = 32;

/// A blocking `recvmmsg`/`sendmmsg` echo loop on libc: what batching alone
/// gives, with nothing of a server around it.
fn raw_mmsg(per_client: usize) -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| {
            let fd = server.as_raw_fd();
            let mut data = vec![0u8; BATCH * PACKET];
            // SAFETY: plain old data; all-zero bytes are valid values.
            let mut names: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            let mut iovecs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
            loop {
                for (iovec, slot) in iovecs.iter_mut().zip(data.chunks_exact_mut(PACKET)) {
                    iovec.iov_base = slot.as_mut_ptr().cast();
                    iovec.iov_len = PACKET;
                }
                let iov = iovecs.as_mut_ptr();
                for (i, (header, name)) in headers.iter_mut().zip(&mut names).enumerate() {
                    header.msg_hdr.msg_name = (name as *mut libc::sockaddr_storage).cast();
                    header.msg_hdr.msg_namelen = std::mem::size_of_val(name) as libc::socklen_t;
                    header.msg_hdr.msg_iov = iov.wrapping_add(i);
                    header.msg_hdr.msg_iovlen = 1;
                }
                // SAFETY: each header points at its own iovec (a slot of
                // `data`) and address storage, all live and unborrowed
                // until the call returns.
                let got = unsafe {
                    libc::recvmmsg(
                        fd,
                        headers.as_mut_ptr(),
                        BATCH as _,
                        libc::MSG_WAITFORONE,
                        std::ptr::null_mut(),
                    )
                };
                if got <= 0 {
                    continue;
                }
                let got = got as usize;
                if headers[..got].iter().any(|header| header.msg_len == 0) {
                    return;
                }
                for (iovec, header) in iovecs.iter_mut().zip(&headers).take(got) {
                    iovec.iov_len = header.msg_len as usize;
                }
                let mut next = 0;
                while next < got {
                    // SAFETY: the headers from `next` on describe the
                    // datagrams just received, their lengths and senders.
                    let sent = unsafe {
                        libc::sendmmsg(fd, headers.as_mut_ptr().add(next), (got - next) as _, 0)
                    };
                    next += if sent > 0 { sent as usize } else { 1 };
                }
            }
        });
        let elapsed = clients(addr, per_client);
        stop(addr);
        elapsed
    })
}

/// Ends a hand-written server's loop: an empty datagram.
fn stop(addr: SocketAddr) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(&[], addr).unwrap();
}

/// Runs the clients against `addr` until each has had `per_client` echoes;
/// the time from their start to the last echo.
fn clients(addr: SocketAddr, per_client: usize) -> Duration {
    let start = Barrier::new(CLIENTS + 1);
    thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
                sock.connect(addr).unwrap();
                sock.set_read_timeout(Some(LOSS_WAIT)).unwrap();
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    client(&sock, per_client)
                })
            })
            .collect();
        start.wait();
        let started = Instant::now();
        for client in clients {
            client.join().unwrap();
        }
        started.elapsed()
    })
}

/// One client: `WINDOW` datagrams in flight until `count` echoes came back.
fn client(sock: &UdpSocket, count: usize) {
    let msg = [7u8; MSG];
    let mut buf = [0u8; PACKET];
    let mut sent = 0;
    let mut received = 0;
    while sent < WINDOW.min(count) {
        sock.send(&msg).unwrap();
        sent += 1;
    }
    while received < count {
        match sock.recv(&mut buf) {
            Ok(n) => {
                assert_eq!(n, MSG);
                received += 1;
                if sent < count {
                    sock.send(&msg).unwrap();
                    sent += 1;
                }
            }
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                RESENT.fetch_add(1, Ordering::Relaxed);
                for _ in 0..WINDOW.min(count - received) {
                    sock.send(&msg).unwrap();
                }
            }
            Err(err) => panic!("client recv: {err}"),
        }
    }
}
