//! A UDP echo server under load: one client thread keeping 32 datagrams of
//! 64 bytes in flight on 127.0.0.1, timed from the client's start to the
//! last echo; the time per datagram answered, and what the server thread
//! and the client thread each spent of their CPU clocks per datagram.
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
//! The server must set the pace, so the client is the same for every
//! variant and costs less per datagram than any server: a std socket
//! connected to the server, with UDP generic segmentation offload
//! (`UDP_SEGMENT` of 64 bytes), so that one `send` of n × 64 bytes goes
//! through the stack as one buffer and reaches the server as n datagrams.
//! It sends its first 32 datagrams in one `send`, then takes the echoes
//! waiting, up to 32, with one blocking `recvmmsg` (`MSG_WAITFORONE`), and
//! sends as many new datagrams in one `send`, until it has its count. Were
//! it woken for every echo it would cost about what a server does (taking
//! an echo and a wake-up per datagram); so when a `recvmmsg` brings fewer
//! than 8 echoes the client sleeps, for about the time 8 echoes have taken
//! so far (timer slack 1 ns), and lets them gather: the server still has
//! the rest of the 32 to answer meanwhile. `sendmmsg` in place of the
//! segmented `send` would save system calls only, and most of what a
//! datagram costs is the kernel's work for it, the same in a client as in
//! a server: a `sendmmsg`/`recvmmsg` client measured as much CPU per
//! datagram as the servers. One client thread: on two CPUs, the server's
//! thread and the client's each have one (two or four client threads took
//! turns with the server for the CPUs, and the server's thread was idle a
//! tenth to a fifth of the time).
//!
//! CPU times are the threads' CPU clocks (`CLOCK_THREAD_CPUTIME_ID`), read
//! inside each thread at its start and at the end of its loop. They include
//! the kernel's work in the thread's system calls and what the kernel does
//! in the thread's time meanwhile: on loopback, a send also delivers its
//! datagrams into the receiving socket, so each side pays for the delivery
//! of what it sends.
//!
//! Loopback drops a datagram only when a receive buffer overflows, which
//! 32 small datagrams do not; a client that waits a second for an echo all
//! the same sends its window again, and the run says so on stderr.

use std::mem::MaybeUninit;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use pysocket::server::{DatagramRequest, DatagramRequestHandler, HandlerResult, UdpServer};
use socket2::{Domain, Type};

use crate::sendfile::thread_cpu_time;
use crate::{loopback, Row, Suite, Unit, MSG};

/// Client threads (see the module's comment).
const CLIENTS: usize = 1;

/// Datagrams each client keeps in flight.
const WINDOW: usize = 32;

/// A client that takes fewer echoes than this in one `recvmmsg` sleeps
/// for about the time as many echoes took so far, to let them gather.
const GATHER: usize = 8;

/// The longest a client sleeps to let echoes gather.
const MOST_GATHERING: Duration = Duration::from_millis(1);

/// The echo server's receive buffer, as `UdpServer`'s default `max_packet_size`.
const PACKET: usize = 8192;

/// How long a client waits for an echo before it takes its window as lost.
const LOSS_WAIT: Duration = Duration::from_secs(1);

/// `UDP_SEGMENT` from Linux's `<linux/udp.h>` (since 4.18), which the libc
/// crate lacks for glibc: the size of the datagrams a send is cut into.
const UDP_SEGMENT: libc::c_int = 103;

/// Windows sent again after a wait for an echo ran out, over the whole run.
static RESENT: AtomicUsize = AtomicUsize::new(0);

/// What one run of a variant measured.
struct Run {
    /// From the clients' start to the last echo.
    wall: Duration,
    /// The server thread's CPU time, from its start to the end of its loop.
    server_cpu: Duration,
    /// The client threads' CPU time, together.
    clients_cpu: Duration,
}

/// The CPU times of one variant's runs, the warm-up run first.
#[derive(Default)]
struct CpuTimes {
    server: Vec<Duration>,
    clients: Vec<Duration>,
}

impl CpuTimes {
    /// Keeps `run`'s CPU times; its wall time for [`Suite::compare`].
    fn keep(&mut self, run: Run) -> Duration {
        self.server.push(run.server_cpu);
        self.clients.push(run.clients_cpu);
        run.wall
    }
}

pub fn run(suite: &mut Suite) {
    // 3,000 datagrams a round in the full run.
    let per_client = suite.plan.pingpongs;
    let units = CLIENTS * per_client;
    let mut times: [CpuTimes; 3] = Default::default();
    let [py, s2, st] = &mut times;
    suite.compare(
        "UdpServer echo, 1 client x 32 in flight (datagram)",
        Some("UdpServer rows: 1 client thread keeping 32 datagrams of 64 B in flight to the server, its std socket connected and with UDP_SEGMENT (GSO) of 64 B, so that one send of n x 64 B is n datagrams: the first 32 in one send, then after each blocking recvmmsg (MSG_WAITFORONE, up to 32 echoes) as many new ones in one send; after a recvmmsg of fewer than 8 echoes it sleeps about the time 8 echoes took so far (timer slack 1 ns) to let them gather. pysocket: UdpServer with an echo handler (request.wfile); socket2 and std: a blocking recv_from/send_to loop with an 8192-byte buffer; the time per datagram answered (1 / datagrams per second). CPU rows: the thread's CPU clock from its start to the end of its loop, per datagram answered; while the client's is well below the server's and the server's near the time per datagram, the server sets the pace"),
        units,
        [
            Some(&mut || py.keep(pysocket(per_client))),
            Some(&mut || s2.keep(socket2(per_client))),
            Some(&mut || st.keep(std(per_client))),
        ],
    );
    add_cpu_row(
        suite,
        "UdpServer echo: server thread CPU (datagram)",
        units,
        [Some(&py.server), Some(&s2.server), Some(&st.server)],
    );
    add_cpu_row(
        suite,
        "UdpServer echo: client thread CPU (datagram)",
        units,
        [Some(&py.clients), Some(&s2.clients), Some(&st.clients)],
    );
    let mut times: [CpuTimes; 2] = Default::default();
    let [py, raw] = &mut times;
    suite.compare(
        "UdpServer echo vs raw recvmmsg/sendmmsg (datagram)",
        Some("the same client; socket2 column: the floor batching can reach, a blocking loop of recvmmsg (MSG_WAITFORONE, 32 at a time) and sendmmsg with libc, no handler, no wait for shutdown"),
        units,
        [
            Some(&mut || py.keep(pysocket(per_client))),
            Some(&mut || raw.keep(raw_mmsg(per_client))),
            None,
        ],
    );
    add_cpu_row(
        suite,
        "UdpServer vs raw mmsg: server thread CPU (datagram)",
        units,
        [Some(&py.server), Some(&raw.server), None],
    );
    let resent = RESENT.swap(0, Ordering::Relaxed);
    if resent > 0 {
        eprintln!("UdpServer bench: {resent} windows sent again after a lost datagram");
    }
}

/// Adds a row of CPU times per datagram, round for round as the row of
/// wall times they were measured with; none if that row did not run.
fn add_cpu_row(
    suite: &mut Suite,
    name: &'static str,
    units: usize,
    times: [Option<&Vec<Duration>>; 3],
) {
    if times.iter().flatten().any(|times| times.is_empty()) {
        return;
    }
    // The first run of each variant is `compare`'s warm-up round.
    let samples = times.map(|times| {
        times.map(|times| {
            times[1..]
                .iter()
                .map(|time| time.as_nanos() as f64 / units.max(1) as f64)
                .collect()
        })
    });
    suite.table.add(Row {
        name,
        note: None,
        unit: Unit::Time,
        samples,
    });
}

struct Echo;

impl DatagramRequestHandler for Echo {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        request.wfile.extend_from_slice(request.packet);
        Ok(())
    }
}

fn pysocket(per_client: usize) -> Run {
    let server = UdpServer::new(("127.0.0.1", 0), || Echo).unwrap();
    let addr = server.server_address().as_socket_addr().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| {
            let start = thread_cpu_time();
            server.serve_forever(Duration::from_millis(500)).unwrap();
            thread_cpu_time() - start
        });
        let (wall, clients_cpu) = clients(addr, per_client);
        server.shutdown();
        let server_cpu = serving.join().unwrap();
        Run {
            wall,
            server_cpu,
            clients_cpu,
        }
    })
}

fn socket2(per_client: usize) -> Run {
    let server = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    server.bind(&loopback::any_port()).unwrap();
    let addr = server.local_addr().unwrap().as_socket().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| {
            let start = thread_cpu_time();
            let mut buf = [MaybeUninit::new(0u8); PACKET];
            loop {
                match server.recv_from(&mut buf) {
                    Ok((0, _)) => break,
                    Ok((n, from)) => {
                        // SAFETY: recv_from initialised the first `n` bytes.
                        let data = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), n) };
                        let _ = server.send_to(data, &from);
                    }
                    Err(err) => assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED)),
                }
            }
            thread_cpu_time() - start
        });
        stopped(serving, addr, clients(addr, per_client))
    })
}

fn std(per_client: usize) -> Run {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| {
            let start = thread_cpu_time();
            let mut buf = [0u8; PACKET];
            loop {
                match server.recv_from(&mut buf) {
                    Ok((0, _)) => break,
                    Ok((n, from)) => {
                        let _ = server.send_to(&buf[..n], from);
                    }
                    Err(err) => assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED)),
                }
            }
            thread_cpu_time() - start
        });
        stopped(serving, addr, clients(addr, per_client))
    })
}

/// The most datagrams one `recvmmsg` or `sendmmsg` takes, in the raw server
/// and in the clients.
const BATCH: usize = 32;

/// Room for [`BATCH`] datagrams of one size, each in a slot of its own, and
/// the headers of one `recvmmsg` call, or of a `sendmmsg` of what it took.
struct Mmsg {
    /// The slots, one after another.
    data: Vec<u8>,
    slot: usize,
    names: [libc::sockaddr_storage; BATCH],
    iovecs: [libc::iovec; BATCH],
    headers: [libc::mmsghdr; BATCH],
}

impl Mmsg {
    /// [`BATCH`] slots of `slot` bytes.
    fn new(slot: usize) -> Box<Mmsg> {
        Box::new(Mmsg {
            data: vec![0; BATCH * slot],
            slot,
            // SAFETY: plain old data; all-zero bytes are valid values.
            names: unsafe { std::mem::zeroed() },
            // SAFETY: as above.
            iovecs: unsafe { std::mem::zeroed() },
            // SAFETY: as above.
            headers: unsafe { std::mem::zeroed() },
        })
    }

    /// Takes up to `count` (at most [`BATCH`]) datagrams waiting on `fd`,
    /// waiting for the first (`MSG_WAITFORONE`), with their senders'
    /// addresses if `named` (else none, as a connected socket needs): how
    /// many, or the error.
    fn recv(&mut self, fd: RawFd, count: usize, named: bool) -> std::io::Result<usize> {
        for (iovec, slot) in self
            .iovecs
            .iter_mut()
            .zip(self.data.chunks_exact_mut(self.slot))
        {
            iovec.iov_base = slot.as_mut_ptr().cast();
            iovec.iov_len = slot.len();
        }
        let iov = self.iovecs.as_mut_ptr();
        for (i, (header, name)) in self.headers.iter_mut().zip(&mut self.names).enumerate() {
            if named {
                header.msg_hdr.msg_name = (name as *mut libc::sockaddr_storage).cast();
                header.msg_hdr.msg_namelen = std::mem::size_of_val(name) as libc::socklen_t;
            } else {
                header.msg_hdr.msg_name = std::ptr::null_mut();
                header.msg_hdr.msg_namelen = 0;
            }
            header.msg_hdr.msg_iov = iov.wrapping_add(i);
            header.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: each header points at its own iovec (a slot of `data`)
        // and, if named, address storage, all live and unborrowed until the
        // call returns.
        let got = unsafe {
            libc::recvmmsg(
                fd,
                self.headers.as_mut_ptr(),
                count.min(BATCH) as _,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if got < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(got as usize)
    }

    /// The lengths and flags of the first `count` datagrams `recv` took.
    fn received(&self, count: usize) -> impl Iterator<Item = (usize, libc::c_int)> + '_ {
        self.headers[..count]
            .iter()
            .map(|header| (header.msg_len as usize, header.msg_hdr.msg_flags))
    }
}

/// A blocking `recvmmsg`/`sendmmsg` echo loop on libc: what batching alone
/// gives, with nothing of a server around it.
fn raw_mmsg(per_client: usize) -> Run {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    thread::scope(|scope| {
        let serving = scope.spawn(|| {
            let start = thread_cpu_time();
            let fd = server.as_raw_fd();
            let mut batch = Mmsg::new(PACKET);
            loop {
                let got = match batch.recv(fd, BATCH, true) {
                    Ok(got) if got > 0 => got,
                    _ => continue,
                };
                if batch.received(got).any(|(len, _)| len == 0) {
                    break;
                }
                for (iovec, header) in batch.iovecs.iter_mut().zip(&batch.headers).take(got) {
                    iovec.iov_len = header.msg_len as usize;
                }
                let mut next = 0;
                while next < got {
                    // SAFETY: the headers from `next` on describe the
                    // datagrams just received, their lengths and senders.
                    let sent = unsafe {
                        libc::sendmmsg(
                            fd,
                            batch.headers.as_mut_ptr().add(next),
                            (got - next) as _,
                            0,
                        )
                    };
                    next += if sent > 0 { sent as usize } else { 1 };
                }
            }
            thread_cpu_time() - start
        });
        stopped(serving, addr, clients(addr, per_client))
    })
}

/// Ends a hand-written server's loop with an empty datagram and joins it:
/// the run's times, given the clients' wall and CPU times.
fn stopped(
    serving: thread::ScopedJoinHandle<'_, Duration>,
    addr: SocketAddr,
    (wall, clients_cpu): (Duration, Duration),
) -> Run {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.send_to(&[], addr).unwrap();
    Run {
        wall,
        server_cpu: serving.join().unwrap(),
        clients_cpu,
    }
}

/// Runs the clients against `addr` until each has had `per_client` echoes;
/// the time from their start to the last echo, and their CPU time together.
fn clients(addr: SocketAddr, per_client: usize) -> (Duration, Duration) {
    let start = Barrier::new(CLIENTS + 1);
    thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
                sock.connect(addr).unwrap();
                sock.set_read_timeout(Some(LOSS_WAIT)).unwrap();
                segment(&sock, MSG);
                let start = &start;
                scope.spawn(move || {
                    // SAFETY: PR_SET_TIMERSLACK takes one integer argument
                    // and changes only this thread's timers.
                    let rc = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
                    assert_eq!(
                        rc,
                        0,
                        "PR_SET_TIMERSLACK: {}",
                        std::io::Error::last_os_error()
                    );
                    start.wait();
                    let cpu = thread_cpu_time();
                    client(&sock, per_client);
                    thread_cpu_time() - cpu
                })
            })
            .collect();
        start.wait();
        let started = Instant::now();
        let cpu = clients
            .into_iter()
            .map(|client| client.join().unwrap())
            .sum();
        (started.elapsed(), cpu)
    })
}

/// Has the kernel cut what `sock` sends into datagrams of `size` bytes
/// (`UDP_SEGMENT`, Linux 4.18 and later).
fn segment(sock: &UdpSocket, size: usize) {
    let size = size as libc::c_int;
    // SAFETY: the option's value is an int, `size`, live for the call.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_UDP,
            UDP_SEGMENT,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of_val(&size) as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "UDP_SEGMENT (Linux 4.18 and later): {}",
        std::io::Error::last_os_error()
    );
}

/// One client: `WINDOW` datagrams in flight until `count` echoes came back,
/// the echoes taken a `recvmmsg` at a time and as many new datagrams sent
/// in one `send`, cut into datagrams by `UDP_SEGMENT`.
fn client(sock: &UdpSocket, count: usize) {
    let fd = sock.as_raw_fd();
    let window = [7u8; WINDOW * MSG];
    let send = |datagrams: usize| {
        let bytes = datagrams * MSG;
        if bytes > 0 {
            assert_eq!(sock.send(&window[..bytes]).unwrap(), bytes);
        }
    };
    let mut echoes = Mmsg::new(MSG);
    let started = Instant::now();
    let mut sent = WINDOW.min(count);
    let mut received = 0;
    send(sent);
    while received < count {
        match echoes.recv(fd, WINDOW.min(count - received), false) {
            Ok(got) => {
                for (len, flags) in echoes.received(got) {
                    assert_eq!((len, flags & libc::MSG_TRUNC), (MSG, 0));
                }
                received += got;
                let more = got.min(count - sent);
                send(more);
                sent += more;
                if got < GATHER && received < count {
                    // About the time GATHER echoes took so far.
                    let gathering = started.elapsed() * GATHER as u32 / received.max(1) as u32;
                    thread::sleep(gathering.min(MOST_GATHERING));
                }
            }
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                RESENT.fetch_add(1, Ordering::Relaxed);
                send(WINDOW.min(count - received));
            }
            Err(err) => panic!("client recvmmsg: {err}"),
        }
    }
}
