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

use crate::common;

use std::collections::HashMap;
use std::io::{self, Write};
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

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
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
    listen(&server)?;
    println!("Chat server listening on {}", server.getsockname()?);
    chat_room(&server, io::stdout(), None)?;
    Ok(())
}

/// 设置监听: a deeper queue than the documents' 5, for clients that arrive
/// together; the selector says when to accept.
pub fn listen(server: &Socket) -> pysocket::Result<()> {
    server.listen(128)?;
    server.setblocking(false)
}

/// Serves the chat on the listening `server`, printing to `out`. With
/// `guests`, the room closes once that many clients have come and all of
/// them have left; without, it never closes.
pub fn chat_room(server: &Socket, out: impl Write, guests: Option<usize>) -> pysocket::Result<()> {
    let mut room = Room {
        selector: Selector::new()?,
        clients: HashMap::new(),
        out,
        came: 0,
    };
    room.selector.register(server, EventMask::READ, ())?;
    while guests.map_or(true, |guests| {
        room.came < guests || !room.clients.is_empty()
    }) {
        for (key, events) in room.selector.select(None)? {
            if key.fd == server.fileno() {
                room.accept(server)?;
                continue;
            }
            if events.contains(EventMask::WRITE) {
                room.flush(key.fd)?;
            }
            if events.contains(EventMask::READ) {
                room.receive(key.fd)?;
            }
        }
    }
    Ok(())
}

/// The clients, the selector that watches them, and where the server prints.
struct Room<W> {
    selector: Selector,
    clients: HashMap<RawFd, Client>,
    out: W,
    /// How many clients have joined so far.
    came: usize,
}

impl<W: Write> Room<W> {
    /// New clients join, as many as are waiting: each is watched for what it sends.
    fn accept(&mut self, server: &Socket) -> pysocket::Result<()> {
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
            self.selector.register(&sock, EventMask::READ, ())?;
            let name = common::repr(&address);
            writeln!(self.out, "connected from {name}")?;
            self.came += 1;
            self.clients.insert(
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
    fn receive(&mut self, fd: RawFd) -> pysocket::Result<()> {
        let Some(client) = self.clients.get(&fd) else {
            return Ok(());
        };
        let recvmsg = match client.sock.recv(BUFSIZE) {
            Ok(data) => data,
            Err(err) if err.is_would_block() => return Ok(()),
            Err(err) => return self.leave(fd, &format!("error: {err}")),
        };
        if recvmsg.is_empty() {
            return self.leave(fd, "closed the connection");
        }
        if recvmsg == b"q" {
            return self.leave(fd, "left the chat");
        }
        writeln!(
            self.out,
            "接收 {}: {}",
            client.name,
            String::from_utf8_lossy(&recvmsg)
        )?;
        let others: Vec<RawFd> = self
            .clients
            .keys()
            .copied()
            .filter(|&other| other != fd)
            .collect();
        for other in others {
            if let Some(peer) = self.clients.get_mut(&other) {
                peer.pending.extend_from_slice(&recvmsg);
            }
            self.flush(other)?;
        }
        Ok(())
    }

    /// Sends what is waiting for a client, as far as its socket takes it, and
    /// watches for room to send the rest.
    fn flush(&mut self, fd: RawFd) -> pysocket::Result<()> {
        let Some(client) = self.clients.get_mut(&fd) else {
            return Ok(());
        };
        while !client.pending.is_empty() {
            match client.sock.send(&client.pending) {
                Ok(sent) => {
                    client.pending.drain(..sent);
                }
                Err(err) if err.is_would_block() => break,
                Err(err) => return self.leave(fd, &format!("error: {err}")),
            }
        }
        if client.pending.len() > MAX_PENDING {
            return self.leave(fd, "is not reading: dropped");
        }
        let events = if client.pending.is_empty() {
            EventMask::READ
        } else {
            EventMask::READ | EventMask::WRITE
        };
        if let Err(err) = self.selector.modify_events(&client.sock, events) {
            return self.leave(fd, &format!("error: {err}"));
        }
        Ok(())
    }

    /// A client is gone: stop watching it, then close it.
    fn leave(&mut self, fd: RawFd, why: &str) -> pysocket::Result<()> {
        if let Some(client) = self.clients.remove(&fd) {
            let _ = self.selector.unregister(&client.sock);
            writeln!(self.out, "{} {why}", client.name)?;
        }
        Ok(())
    }
}
