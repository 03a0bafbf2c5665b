//! The ping-pong loops alone, for counting user-space instructions with
//! callgrind, which (unlike time) come out the same on every run:
//!
//! ```text
//! cargo bench --bench icount --no-run
//! valgrind --tool=callgrind target/release/deps/icount-* MODE 10000
//! valgrind --tool=callgrind target/release/deps/icount-* MODE 0
//! ```
//!
//! The difference of the two totals divided by 10,000 is one round trip's
//! instructions, both sides together (BENCHMARKS.md, "User-space
//! instructions per round trip"). MODE is one of:
//!
//! - `raw`: socket2, blocking `send` and `read`;
//! - `blocking`, `timeout`: pysocket's `sendall` and `recv_into`;
//! - `raw-udp`, `udp`: `send_to`/`recv_from` against `sendto`/`recvfrom_into`;
//! - `select`, `select-into`: non-blocking, a `Selector` before each receive.
//!
//! The count is at most 1,000,000. Without a MODE (as under `cargo bench` or
//! `cargo test --benches`) it does one round trip of each, to prove they
//! work, and prints nothing. Should a run outlive ten minutes (a lost
//! datagram, a peer gone), a watchdog ends the process.

use std::io::Read;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use pysocket::{
    create_connection, EventMask, Selector, Socket, AF_INET, EVENT_READ, IPPROTO_TCP, SOCK_DGRAM,
    SOCK_STREAM, TCP_NODELAY,
};
use socket2::{Domain, Protocol, SockAddr, Type};

const MSG: usize = 64;

/// How long a run may take, even under callgrind (about 50 times slower).
const LIMIT: Duration = Duration::from_secs(600);

fn main() {
    // The watchdog's thread is started in every run, the 0-round-trip one
    // included, so its instructions cancel out of the difference.
    thread::spawn(|| {
        thread::sleep(LIMIT);
        eprintln!("icount: still running after {LIMIT:?}; giving up");
        std::process::exit(2);
    });
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let Some(mode) = args.first() else {
        for mode in MODES {
            run(mode, 1);
        }
        return;
    };
    let count = match args.get(1).map(|n| n.parse::<usize>()) {
        Some(Ok(count)) if count <= 1_000_000 => count,
        Some(Ok(_)) => {
            eprintln!("icount: at most 1000000 round trips");
            std::process::exit(2);
        }
        Some(Err(_)) => {
            eprintln!("icount: the round-trip count must be a number");
            std::process::exit(2);
        }
        None => 10_000,
    };
    if !MODES.contains(&mode.as_str()) {
        eprintln!("icount: unknown mode {mode:?}; one of {MODES:?}");
        std::process::exit(2);
    }
    run(mode, count);
}

const MODES: [&str; 7] = [
    "raw",
    "blocking",
    "timeout",
    "raw-udp",
    "udp",
    "select",
    "select-into",
];

fn run(mode: &str, count: usize) {
    match mode {
        "raw" => raw_tcp(count),
        "blocking" => tcp(count, None),
        "timeout" => tcp(count, Some(Duration::from_secs(10))),
        "raw-udp" => raw_udp(count),
        "udp" => udp(count),
        "select" => selector(count, false),
        _ => selector(count, true),
    }
}

/// A connected pair on 127.0.0.1 with TCP_NODELAY.
fn tcp_pair() -> (Socket, Socket) {
    let server = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(1).unwrap();
    let client = create_connection(server.getsockname().unwrap(), None).unwrap();
    let (conn, _) = server.accept().unwrap();
    for sock in [&client, &conn] {
        sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
    }
    (client, conn)
}

fn recv_exact(sock: &Socket, buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let n = sock.recv_into(&mut buf[got..]).unwrap();
        assert!(n > 0, "peer closed");
        got += n;
    }
}

fn tcp(count: usize, timeout: Option<Duration>) {
    let (client, conn) = tcp_pair();
    for sock in [&client, &conn] {
        sock.settimeout(timeout).unwrap();
    }
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            recv_exact(&conn, &mut buf);
            conn.sendall(&buf).unwrap();
        }
    });
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    for _ in 0..count {
        client.sendall(&msg).unwrap();
        recv_exact(&client, &mut buf);
    }
    echo.join().unwrap();
}

fn raw_tcp(count: usize) {
    let server = socket2::Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    server.bind(&loopback_any_port()).unwrap();
    server.listen(1).unwrap();
    let client = socket2::Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).unwrap();
    client.connect(&server.local_addr().unwrap()).unwrap();
    let (conn, _) = server.accept().unwrap();
    for sock in [&client, &conn] {
        sock.set_tcp_nodelay(true).unwrap();
    }
    // The same loops as `tcp`, over socket2's calls.
    fn send_all(sock: &socket2::Socket, buf: &[u8]) {
        let mut sent = 0;
        while sent < buf.len() {
            sent += sock.send(&buf[sent..]).unwrap();
        }
    }
    fn recv_exact(mut sock: &socket2::Socket, buf: &mut [u8]) {
        let mut got = 0;
        while got < buf.len() {
            let n = sock.read(&mut buf[got..]).unwrap();
            assert!(n > 0, "peer closed");
            got += n;
        }
    }
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            recv_exact(&conn, &mut buf);
            send_all(&conn, &buf);
        }
    });
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    for _ in 0..count {
        send_all(&client, &msg);
        recv_exact(&client, &mut buf);
    }
    echo.join().unwrap();
}

fn udp(count: usize) {
    let bound = || {
        let sock = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
        sock.bind(("127.0.0.1", 0)).unwrap();
        sock
    };
    let (client, echo_sock) = (bound(), bound());
    let to = echo_sock.getsockname().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            let (n, from) = echo_sock.recvfrom_into(&mut buf).unwrap();
            echo_sock.sendto(&buf[..n], &from).unwrap();
        }
    });
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    for _ in 0..count {
        client.sendto(&msg, &to).unwrap();
        client.recvfrom_into(&mut buf).unwrap();
    }
    echo.join().unwrap();
}

fn raw_udp(count: usize) {
    let bound = || {
        let sock = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        sock.bind(&loopback_any_port()).unwrap();
        sock
    };
    let (client, echo_sock) = (bound(), bound());
    let to = echo_sock.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [MaybeUninit::<u8>::uninit(); MSG];
        let msg = [7u8; MSG];
        for _ in 0..count {
            let (n, from) = echo_sock.recv_from(&mut buf).unwrap();
            echo_sock.send_to(&msg[..n], &from).unwrap();
        }
    });
    let msg = [7u8; MSG];
    let mut buf = [MaybeUninit::<u8>::uninit(); MSG];
    for _ in 0..count {
        client.send_to(&msg, &to).unwrap();
        client.recv_from(&mut buf).unwrap();
    }
    echo.join().unwrap();
}

fn selector(count: usize, into: bool) {
    let (client, conn) = tcp_pair();
    fn side(sock: &Socket, count: usize, first: bool, into: bool) {
        sock.setblocking(false).unwrap();
        let mut sel = Selector::new().unwrap();
        sel.register(sock, EVENT_READ, ()).unwrap();
        let mut ready = Vec::new();
        let mut buf = [7u8; MSG];
        for _ in 0..count {
            if first {
                sock.sendall(&buf).unwrap();
            }
            let mut got = 0;
            while got < MSG {
                if into {
                    sel.select_into(None, &mut ready).unwrap();
                } else {
                    ready = sel.select(None).unwrap();
                }
                assert_eq!(
                    ready.first().map(|(_, events)| *events),
                    Some(EventMask::READ)
                );
                if let Ok(n) = sock.recv_into(&mut buf[got..]) {
                    assert!(n > 0, "peer closed");
                    got += n;
                }
            }
            if !first {
                sock.sendall(&buf).unwrap();
            }
        }
        sel.unregister(sock).unwrap();
    }
    let echo = thread::spawn(move || side(&conn, count, false, into));
    side(&client, count, true, into);
    echo.join().unwrap();
}

fn loopback_any_port() -> SockAddr {
    SockAddr::from("127.0.0.1:0".parse::<SocketAddr>().unwrap())
}
