//! Listeners and connected pairs on 127.0.0.1 for each library.

use std::net::{SocketAddr, TcpListener, TcpStream};

use pysocket::{Address, Socket, AF_INET, SOCK_STREAM};
use socket2::{Domain, SockAddr, Type};

pub fn pysocket_listener() -> (Socket, Address) {
    let server = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(128).unwrap();
    let addr = server.getsockname().unwrap();
    (server, addr)
}

pub fn socket2_listener() -> (socket2::Socket, SockAddr) {
    let server = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    server.bind(&any_port()).unwrap();
    server.listen(128).unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr)
}

pub fn std_listener() -> (TcpListener, SocketAddr) {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    (server, addr)
}

/// 127.0.0.1, port 0 (the OS picks).
pub fn any_port() -> SockAddr {
    SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// A connected TCP pair: (client, server side).
pub fn pysocket_pair() -> (Socket, Socket) {
    let (server, addr) = pysocket_listener();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(&addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    (client, conn)
}

pub fn socket2_pair() -> (socket2::Socket, socket2::Socket) {
    let (server, addr) = socket2_listener();
    let client = socket2::Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    client.connect(&addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    (client, conn)
}

pub fn std_pair() -> (TcpStream, TcpStream) {
    let (server, addr) = std_listener();
    let client = TcpStream::connect(addr).unwrap();
    let (conn, _) = server.accept().unwrap();
    (client, conn)
}
