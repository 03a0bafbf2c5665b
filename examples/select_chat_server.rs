//! The chat of documents 001 and 003, improved as document 001 asks ("no
//! threads, no I/O multiplexing, half-duplex: one user speaks at a time"):
//! one thread serves every client through a [`Selector`], full duplex. Each
//! message a client sends goes to all the other clients as it arrives;
//! nobody waits for a turn.
//!
//! The wire protocol is `chat_server`'s, so `chat_client` (and document
//! 003's Python client) can join: UTF-8 text sent raw, no framing, and a
//! message that is exactly `q` leaves the chat. Messages are relayed byte
//! for byte, as they were received.
//!
//! Run: `cargo run --example select_chat_server`, then, in two or more
//! terminals, `cargo run --example chat_client`.

mod common;

use std::collections::HashMap;
use std::os::fd::RawFd;

use pysocket::{EventMask, Selector, Socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR};

const BUFSIZE: usize = 1024;
/// A client that lets this much pile up unread is dropped, so that one
/// stalled reader cannot make the server hold everything for ever.
const MAX_PENDING: usize = 1024 * 1024;

/// A connected client: its socket, its name (the Python repr of its
/// address), and what is waiting to be sent to it.
struct Client {
    sock: Socket,
    name: String,
    pending: Vec<u8>,
}

fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Chat server of seed documents 001 and 003 on one thread, with a Selector:\n\
         every message a client sends goes to all the others; `q` leaves the chat.",
        &[
            ("host", "127.0.0.1", "address to bind"),
            ("port", "9999", "port to bind"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let server = Socket::new(AF_INET, SOCK_STREAM)?; // 创建一个 socket 对象
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)?; // restart at once after a stop
    server.bind((host.as_str(), port))?; // 绑定地址
                                         // 设置监听: a deeper queue than the documents' 5, for clients that
                                         // arrive together.
    server.listen(128)?;
    server.setblocking(false)?; // the selector says when to accept
    println!("Chat server listening on {}", server.getsockname()?);

    let mut selector = Selector::new()?;
    selector.register(&server, EventMask::READ, ())?;
    let mut clients: HashMap<RawFd, Client> = HashMap::new();

    loop {
        for (key, events) in selector.select(None)? {
            if key.fd == server.fileno() {
                accept(&server, &mut selector, &mut clients)?;
                continue;
            }
            if events.contains(EventMask::WRITE) {
                flush(key.fd, &mut selector, &mut clients);
            }
            if events.contains(EventMask::READ) {
                receive(key.fd, &mut selector, &mut clients);
            }
        }
    }
}

/// New clients join, as many as are waiting: each is watched for what it sends.
fn accept(
    server: &Socket,
    selector: &mut Selector,
    clients: &mut HashMap<RawFd, Client>,
) -> pysocket::Result<()> {
    loop {
        let (sock, address) = match server.accept() {
            Ok(accepted) => accepted,
            Err(err) if err.is_would_block() => return Ok(()), // nobody else waiting
            Err(err) => {
                eprintln!("accept failed: {err}");
                return Ok(());
            }
        };
        sock.setblocking(false)?;
        selector.register(&sock, EventMask::READ, ())?;
        let name = common::repr(&address);
        println!("connected from {name}");
        clients.insert(
            sock.fileno(),
            Client {
                sock,
                name,
                pending: Vec::new(),
            },
        );
    }
}

/// A client sent something: relay it to everyone else, or let the client go.
fn receive(fd: RawFd, selector: &mut Selector, clients: &mut HashMap<RawFd, Client>) {
    let Some(client) = clients.get(&fd) else {
        return;
    };
    let recvmsg = match client.sock.recv(BUFSIZE) {
        Ok(data) => data,
        Err(err) if err.is_would_block() => return,
        Err(err) => return leave(fd, selector, clients, &format!("error: {err}")),
    };
    if recvmsg.is_empty() {
        return leave(fd, selector, clients, "closed the connection");
    }
    if recvmsg == b"q" {
        return leave(fd, selector, clients, "left the chat");
    }
    println!(
        "接收 {}: {}",
        client.name,
        String::from_utf8_lossy(&recvmsg)
    );
    let others: Vec<RawFd> = clients
        .keys()
        .copied()
        .filter(|&other| other != fd)
        .collect();
    for other in others {
        if let Some(peer) = clients.get_mut(&other) {
            peer.pending.extend_from_slice(&recvmsg);
        }
        flush(other, selector, clients);
    }
}

/// Sends what is waiting for a client, as far as its socket takes it, and
/// watches for room to send the rest.
fn flush(fd: RawFd, selector: &mut Selector, clients: &mut HashMap<RawFd, Client>) {
    let Some(client) = clients.get_mut(&fd) else {
        return;
    };
    while !client.pending.is_empty() {
        match client.sock.send(&client.pending) {
            Ok(sent) => {
                client.pending.drain(..sent);
            }
            Err(err) if err.is_would_block() => break,
            Err(err) => return leave(fd, selector, clients, &format!("error: {err}")),
        }
    }
    if client.pending.len() > MAX_PENDING {
        return leave(fd, selector, clients, "is not reading: dropped");
    }
    let events = if client.pending.is_empty() {
        EventMask::READ
    } else {
        EventMask::READ | EventMask::WRITE
    };
    if let Err(err) = selector.modify_events(&client.sock, events) {
        leave(fd, selector, clients, &format!("error: {err}"));
    }
}

/// A client is gone: stop watching it, then close it.
fn leave(fd: RawFd, selector: &mut Selector, clients: &mut HashMap<RawFd, Client>, why: &str) {
    if let Some(client) = clients.remove(&fd) {
        let _ = selector.unregister(&client.sock);
        println!("{} {why}", client.name);
    }
}
