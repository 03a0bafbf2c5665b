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
//! The clients are the same std sockets for every variant, connected to the
//! server. Loopback drops a datagram only when a receive buffer overflows,
//! which 128 small datagrams do not; a client that waits a second for an echo
//! all the same sends its window again, and the run says so on stderr.

use std::mem::MaybeUninit;
use std::net::{SocketAddr, UdpSocket};
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
    let name = "UdpServer echo, 4 clients x 32 in flight (datagram)";
    if !suite.wants(name) {
        return;
    }
    // 12,000 datagrams a round in the full run.
    let per_client = suite.plan.pingpongs;
    suite.compare(
        name,
        Some("4 client threads, each keeping 32 datagrams of 64 B in flight to the server; pysocket: UdpServer with an echo handler (request.wfile); socket2 and std: a blocking recv_from/send_to loop with an 8192-byte buffer; the time per datagram answered (1 / datagrams per second)"),
        CLIENTS * per_client,
        [
            Some(&mut || pysocket(per_client)),
            Some(&mut || socket2(per_client)),
            Some(&mut || std(per_client)),
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
