//! pysocket against raw socket2 and std::net doing the same work, in one run.
//!
//! Each scenario runs its variants interleaved (A B C, A B C, ...) for a
//! number of rounds, so that drift on a noisy machine hits them alike, and
//! reports the median, min and max per variant and the median of the
//! per-round ratios against socket2 and std.
//!
//! `cargo bench` runs the full suite; `cargo test --benches` runs every
//! scenario once on tiny inputs, to prove they work.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use pysocket::{Socket, AF_INET, IPPROTO_TCP, SOCK_DGRAM, SOCK_STREAM, TCP_NODELAY};
use socket2::{Domain, SockAddr, Type};

/// Sizes and counts of one run: full for `cargo bench`, tiny for `cargo test`.
#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    pingpongs: usize,
    bulk_bytes: usize,
}

const FULL: Plan = Plan {
    rounds: 9,
    pingpongs: 20_000,
    bulk_bytes: 256 << 20,
};
const SMOKE: Plan = Plan {
    rounds: 1,
    pingpongs: 10,
    bulk_bytes: 1 << 20,
};

const MSG: usize = 64;

fn main() {
    let plan = if std::env::args().any(|arg| arg == "--bench") {
        FULL
    } else {
        println!("smoke run (not `cargo bench`): every scenario once on tiny inputs; the timings mean nothing");
        SMOKE
    };
    let mut table = Table::default();

    table.add(compare(
        "TCP ping-pong 64 B, blocking (per round trip)",
        plan,
        plan.pingpongs,
        [
            &mut || tcp_pingpong_pysocket(plan.pingpongs, None),
            &mut || tcp_pingpong_socket2(plan.pingpongs),
            &mut || tcp_pingpong_std(plan.pingpongs),
        ],
    ));
    table.add(compare(
        "TCP ping-pong 64 B, timeout mode vs raw blocking",
        plan,
        plan.pingpongs,
        [
            &mut || tcp_pingpong_pysocket(plan.pingpongs, Some(Duration::from_secs(10))),
            &mut || tcp_pingpong_socket2(plan.pingpongs),
            &mut || tcp_pingpong_std(plan.pingpongs),
        ],
    ));
    table.add(compare(
        "UDP ping-pong 64 B (per round trip)",
        plan,
        plan.pingpongs,
        [
            &mut || udp_pingpong_pysocket(plan.pingpongs),
            &mut || udp_pingpong_socket2(plan.pingpongs),
            &mut || udp_pingpong_std(plan.pingpongs),
        ],
    ));
    table.add(compare(
        "bulk sendall in 64 KiB chunks (per MiB)",
        plan,
        plan.bulk_bytes >> 20,
        [
            &mut || bulk_pysocket(plan.bulk_bytes, 64 << 10),
            &mut || bulk_socket2(plan.bulk_bytes, 64 << 10),
            &mut || bulk_std(plan.bulk_bytes, 64 << 10),
        ],
    ));
    table.add(compare(
        "bulk sendall in one call (per MiB)",
        plan,
        plan.bulk_bytes >> 20,
        [
            &mut || bulk_pysocket(plan.bulk_bytes, plan.bulk_bytes),
            &mut || bulk_socket2(plan.bulk_bytes, plan.bulk_bytes),
            &mut || bulk_std(plan.bulk_bytes, plan.bulk_bytes),
        ],
    ));
    table.print();
}

/// The timings of one scenario.
struct Row {
    name: &'static str,
    /// Per variant (pysocket, socket2, std): the time per unit of each round.
    times: [Vec<Duration>; 3],
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn add(&mut self, row: Row) {
        self.rows.push(row);
    }

    fn print(&self) {
        println!(
            "{:<50} {:>22} {:>22} {:>22} {:>9} {:>9}",
            "scenario (median [min..max] per unit)",
            "pysocket",
            "socket2",
            "std",
            "py/s2",
            "py/std"
        );
        for row in &self.rows {
            let cell = |times: &Vec<Duration>| {
                let (med, min, max) = stats(times);
                format!("{} [{}..{}]", show(med), show(min), show(max))
            };
            println!(
                "{:<50} {:>22} {:>22} {:>22} {:>9.3} {:>9.3}",
                row.name,
                cell(&row.times[0]),
                cell(&row.times[1]),
                cell(&row.times[2]),
                ratio_median(&row.times[0], &row.times[1]),
                ratio_median(&row.times[0], &row.times[2]),
            );
        }
    }
}

/// Runs the three variants interleaved for `plan.rounds` rounds (after one
/// warm-up round) and keeps each round's time divided by `units`.
fn compare(
    name: &'static str,
    plan: Plan,
    units: usize,
    mut variants: [&mut dyn FnMut() -> Duration; 3],
) -> Row {
    for variant in variants.iter_mut() {
        black_box(variant());
    }
    let mut times: [Vec<Duration>; 3] = Default::default();
    for _ in 0..plan.rounds {
        for (i, variant) in variants.iter_mut().enumerate() {
            times[i].push(variant() / units.max(1) as u32);
        }
    }
    Row { name, times }
}

fn stats(times: &[Duration]) -> (Duration, Duration, Duration) {
    let mut sorted = times.to_vec();
    sorted.sort();
    (
        sorted[sorted.len() / 2],
        sorted[0],
        sorted[sorted.len() - 1],
    )
}

fn ratio_median(a: &[Duration], b: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn show(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos >= 10_000_000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else if nanos >= 10_000 {
        format!("{:.2}µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{nanos}ns")
    }
}

// --- TCP ping-pong -------------------------------------------------------

fn tcp_pingpong_pysocket(count: usize, timeout: Option<Duration>) -> Duration {
    let server = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(1).unwrap();
    let addr = server.getsockname().unwrap();
    let echo = thread::spawn(move || {
        let (conn, _) = server.accept().unwrap();
        conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
        conn.settimeout(timeout).unwrap();
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            recv_exact_pysocket(&conn, &mut buf);
            conn.sendall(&buf).unwrap();
        }
    });
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(&addr).unwrap();
    client.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
    client.settimeout(timeout).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.sendall(&msg).unwrap();
        recv_exact_pysocket(&client, &mut buf);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

fn recv_exact_pysocket(sock: &Socket, buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let n = sock.recv_into(&mut buf[got..]).unwrap();
        assert!(n > 0, "peer closed");
        got += n;
    }
}

fn tcp_pingpong_socket2(count: usize) -> Duration {
    let server = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    server
        .bind(&SockAddr::from(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            0,
        ))))
        .unwrap();
    server.listen(1).unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let (conn, _) = server.accept().unwrap();
        conn.set_tcp_nodelay(true).unwrap();
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            (&conn).read_exact(&mut buf).unwrap();
            (&conn).write_all(&buf).unwrap();
        }
    });
    let client = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    client.connect(&addr).unwrap();
    client.set_tcp_nodelay(true).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        (&client).write_all(&msg).unwrap();
        (&client).read_exact(&mut buf).unwrap();
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

fn tcp_pingpong_std(count: usize) -> Duration {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let (mut conn, _) = server.accept().unwrap();
        conn.set_nodelay(true).unwrap();
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            conn.read_exact(&mut buf).unwrap();
            conn.write_all(&buf).unwrap();
        }
    });
    let mut client = TcpStream::connect(addr).unwrap();
    client.set_nodelay(true).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.write_all(&msg).unwrap();
        client.read_exact(&mut buf).unwrap();
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

// --- UDP ping-pong -------------------------------------------------------

fn udp_pingpong_pysocket(count: usize) -> Duration {
    let server = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    let addr = server.getsockname().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            let (n, from) = server.recvfrom_into(&mut buf).unwrap();
            server.sendto(&buf[..n], &from).unwrap();
        }
    });
    let client = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    client.connect(&addr).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.send(&msg).unwrap();
        client.recv_into(&mut buf).unwrap();
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

fn udp_pingpong_socket2(count: usize) -> Duration {
    let server = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    server
        .bind(&SockAddr::from(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            0,
        ))))
        .unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [std::mem::MaybeUninit::new(0u8); MSG];
        for _ in 0..count {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            // SAFETY: recv_from initialised the first `n` bytes.
            let data = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
            server.send_to(data, &from).unwrap();
        }
    });
    let client = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    client.connect(&addr).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.send(&msg).unwrap();
        assert_eq!((&client).read(&mut buf).unwrap(), MSG);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

fn udp_pingpong_std(count: usize) -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        }
    });
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(addr).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.send(&msg).unwrap();
        client.recv(&mut buf).unwrap();
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

// --- bulk ------------------------------------------------------------------

/// Sends `total` bytes in `chunk`-sized sendall calls; the receiver drains with
/// recv_into into a 64 KiB buffer. Timed from the first send to the last byte.
fn bulk_pysocket(total: usize, chunk: usize) -> Duration {
    let (tx, rx) = bulk_pair_pysocket();
    let data = vec![1u8; chunk];
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        let mut got = 0;
        while got < total {
            let n = rx.recv_into(&mut buf).unwrap();
            assert!(n > 0);
            got += n;
        }
    });
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let n = chunk.min(total - sent);
        tx.sendall(&data[..n]).unwrap();
        sent += n;
    }
    reader.join().unwrap();
    start.elapsed()
}

fn bulk_pair_pysocket() -> (Socket, Socket) {
    let server = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(1).unwrap();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(server.getsockname().unwrap()).unwrap();
    let (conn, _) = server.accept().unwrap();
    (client, conn)
}

fn bulk_socket2(total: usize, chunk: usize) -> Duration {
    let server = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    server
        .bind(&SockAddr::from(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            0,
        ))))
        .unwrap();
    server.listen(1).unwrap();
    let tx = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    tx.connect(&server.local_addr().unwrap()).unwrap();
    let (rx, _) = server.accept().unwrap();
    let data = vec![1u8; chunk];
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        let mut got = 0;
        while got < total {
            let n = (&rx).read(&mut buf).unwrap();
            assert!(n > 0);
            got += n;
        }
    });
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let n = chunk.min(total - sent);
        (&tx).write_all(&data[..n]).unwrap();
        sent += n;
    }
    reader.join().unwrap();
    start.elapsed()
}

fn bulk_std(total: usize, chunk: usize) -> Duration {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut tx = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let (mut rx, _) = server.accept().unwrap();
    let data = vec![1u8; chunk];
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        let mut got = 0;
        while got < total {
            let n = rx.read(&mut buf).unwrap();
            assert!(n > 0);
            got += n;
        }
    });
    let start = Instant::now();
    let mut sent = 0;
    while sent < total {
        let n = chunk.min(total - sent);
        tx.write_all(&data[..n]).unwrap();
        sent += n;
    }
    reader.join().unwrap();
    start.elapsed()
}
