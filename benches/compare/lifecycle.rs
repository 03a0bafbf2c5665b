//! The calls around the data: connection churn, socket creation, options.

use std::hint::black_box;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use pysocket::{Socket, AF_INET, IPPROTO_TCP, SOCK_STREAM, TCP_NODELAY};
use socket2::{Domain, Type};

use crate::loopback;

/// `count` times: a new socket connects, the listener accepts, both close
/// (the client first). A fresh listener per run keeps the TIME_WAIT entries
/// of earlier runs out of the way.
pub fn churn_pysocket(count: usize) -> Duration {
    let (server, addr) = loopback::pysocket_listener();
    let start = Instant::now();
    for _ in 0..count {
        let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        client.connect(&addr).unwrap();
        let (conn, _) = server.accept().unwrap();
        client.close().unwrap();
        conn.close().unwrap();
    }
    start.elapsed()
}

pub fn churn_socket2(count: usize) -> Duration {
    let (server, addr) = loopback::socket2_listener();
    let start = Instant::now();
    for _ in 0..count {
        let client = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        client.connect(&addr).unwrap();
        let (conn, _) = server.accept().unwrap();
        drop(client);
        drop(conn);
    }
    start.elapsed()
}

pub fn churn_std(count: usize) -> Duration {
    let (server, addr) = loopback::std_listener();
    let start = Instant::now();
    for _ in 0..count {
        let client = TcpStream::connect(addr).unwrap();
        let (conn, _) = server.accept().unwrap();
        drop(client);
        drop(conn);
    }
    start.elapsed()
}

pub fn create_pysocket(count: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..count {
        Socket::new(AF_INET, SOCK_STREAM).unwrap().close().unwrap();
    }
    start.elapsed()
}

pub fn create_socket2(count: usize) -> Duration {
    let start = Instant::now();
    for _ in 0..count {
        drop(socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap());
    }
    start.elapsed()
}

/// `count` pairs of `setsockopt(TCP_NODELAY)` and `getsockopt(TCP_NODELAY)`
/// on a connected socket.
pub fn options_pysocket(count: usize) -> Duration {
    let (sock, _peer) = loopback::pysocket_pair();
    let start = Instant::now();
    for i in 0..count {
        sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, i % 2 == 0)
            .unwrap();
        black_box(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY).unwrap());
    }
    start.elapsed()
}

pub fn options_socket2(count: usize) -> Duration {
    let (sock, _peer) = loopback::socket2_pair();
    let start = Instant::now();
    for i in 0..count {
        sock.set_tcp_nodelay(i % 2 == 0).unwrap();
        black_box(sock.tcp_nodelay().unwrap());
    }
    start.elapsed()
}

pub fn options_std(count: usize) -> Duration {
    let (sock, _peer) = loopback::std_pair();
    let start = Instant::now();
    for i in 0..count {
        sock.set_nodelay(i % 2 == 0).unwrap();
        black_box(sock.nodelay().unwrap());
    }
    start.elapsed()
}
