//! The main job: every seed program talks to its partner, inside this one
//! process, on loopback ports the system picks. Servers run in threads,
//! clients read a script instead of the keyboard, and each conversation is
//! printed as a transcript, one line per line either side prints.
//!
//! The conversations are the examples' own code: this file includes each
//! example as a module and calls the function that holds its document's
//! program (`tcp_client::run`, `echo_server::echo`, ...). Only the servers'
//! `main` (flags, `bind`, the endless `accept` loop) is left out: the tour
//! binds port 0 and accepts as many clients as it sends.
//!
//! Run: `cargo run --example tour`.

// Each example included below declares `mod common` itself.
#![allow(clippy::duplicate_mod)]

mod common;

#[allow(dead_code)]
#[path = "chat_client.rs"]
mod chat_client;
#[allow(dead_code)]
#[path = "chat_server.rs"]
mod chat_server;
#[allow(dead_code)]
#[path = "echo_client.rs"]
mod echo_client;
#[allow(dead_code)]
#[path = "echo_server.rs"]
mod echo_server;
#[allow(dead_code)]
#[path = "tcp_client.rs"]
mod tcp_client;
#[allow(dead_code)]
#[path = "tcp_server.rs"]
mod tcp_server;
#[allow(dead_code)]
#[path = "threaded_client.rs"]
mod threaded_client;
#[allow(dead_code)]
#[path = "threaded_server.rs"]
mod threaded_server;
#[allow(dead_code)]
#[path = "udp_client.rs"]
mod udp_client;
#[allow(dead_code)]
#[path = "udp_server.rs"]
mod udp_server;

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use common::Failure;
use pysocket::{Socket, AF_INET, SOCK_DGRAM, SOCK_STREAM};

const HOST: &str = "127.0.0.1";

fn main() -> Result<(), Failure> {
    common::Args::parse(
        "The main job: runs every seed document's server and client against each other\n\
         inside this process, on loopback ports, and prints each conversation.",
        &[],
    );
    // A watchdog: a conversation that stalls fails with "timed out" instead of hanging.
    pysocket::setdefaulttimeout(Some(Duration::from_secs(5)));

    document_000()?;
    document_001_udp()?;
    document_002()?;
    document_003_chat()?;
    document_004()?;
    println!("\nEvery pair talked: the tour is over.");
    Ok(())
}

fn document_000() -> Result<(), Failure> {
    let (listener, port) = tcp_listener()?;
    heading("000", "tcp_server ⇄ tcp_client", port);
    let listener = Arc::new(listener);
    let server = Side::new("server");
    let client = Side::new("client");
    let serving = serve_one(&listener, &server, Duration::from_secs(10));
    let keyboard = Keyboard::new(&client, &["hello", "你好, server", ""]);
    tcp_client::run(HOST, port, keyboard, client)?;
    join(serving)?;

    // A client that says nothing: the timeout (10 s in the document, 0.3 s
    // here) drops it.
    let serving = serve_one(&listener, &server, Duration::from_millis(300));
    writeln!(Side::new("silent"), "(connects, sends nothing)")?;
    let silent = Socket::new(AF_INET, SOCK_STREAM)?;
    silent.connect((HOST, port))?;
    join(serving)
}

/// `tcp_server`'s loop, once: accept a client and serve it.
fn serve_one(
    listener: &Arc<Socket>,
    server: &Side,
    timeout: Duration,
) -> JoinHandle<pysocket::Result<()>> {
    let (listener, server) = (Arc::clone(listener), server.clone());
    thread::spawn(move || {
        let (conn, _addr) = listener.accept()?;
        tcp_server::serve(conn, timeout, server)
    })
}

fn document_001_udp() -> Result<(), Failure> {
    let server_socket = Socket::new(AF_INET, SOCK_DGRAM)?;
    server_socket.bind((HOST, 0))?;
    let port = bound_port(&server_socket)?;
    heading("001", "udp_server ⇄ udp_client", port);
    let server = Side::new("server");
    let client = Side::new("client");
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        for _datagram in 0..2 {
            udp_server::answer(&server_socket, server.clone())?;
        }
        Ok(())
    });
    let keyboard = Keyboard::new(&client, &["ping", "第二个数据报", ""]);
    udp_client::run(HOST, port, keyboard, client)?;
    join(serving)
}

fn document_002() -> Result<(), Failure> {
    let (listener, port) = tcp_listener()?;
    heading("002", "echo_server ⇄ echo_client", port);
    let server = Side::new("server");
    let client = Side::new("client");
    let messages = ["Hello", "Hello again, in recv(10) steps"];
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        for _ in messages {
            let (conn, _addr) = listener.accept()?;
            echo_server::echo(conn, server.clone())?;
        }
        Ok(())
    });
    for message in messages {
        echo_client::run(HOST, port, message, client.clone())?;
    }
    join(serving)
}

fn document_003_chat() -> Result<(), Failure> {
    let (listener, port) = tcp_listener()?;
    heading("003 (and 001)", "chat_server ⇄ chat_client", port);
    let server = Side::new("server");
    let client = Side::new("client");
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        let (client_socket, _address) = listener.accept()?;
        let keyboard = Keyboard::new(&server, &["你好, 我是服务器", "再见"]);
        chat_server::chat(&client_socket, keyboard, server)
    });
    let keyboard = Keyboard::new(&client, &["你好", "今天天气不错", "q"]);
    chat_client::run(HOST, port, keyboard, client)?;
    join(serving)
}

fn document_004() -> Result<(), Failure> {
    let (listener, port) = tcp_listener()?;
    heading(
        "004",
        "threaded_server ⇄ three threaded_clients at once",
        port,
    );
    const CLIENTS: usize = 3;
    let serving = thread::spawn(move || -> pysocket::Result<Vec<_>> {
        let mut handlers = Vec::new();
        for _ in 0..CLIENTS {
            let (conn_sock, addr) = listener.accept()?;
            let server = Side::new("server");
            handlers.push(thread::spawn(move || {
                threaded_server::msg_handler(conn_sock, addr, server)
            }));
        }
        Ok(handlers)
    });
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|n| {
            thread::spawn(move || -> pysocket::Result<()> {
                let client = Side::new(&format!("client {n}"));
                let hello = format!("hello from client {n}");
                let keyboard = Keyboard::new(&client, &[&hello, "bye", ""])
                    .pausing(Duration::from_millis(40 * n as u64));
                threaded_client::run(HOST, port, keyboard, client)
            })
        })
        .collect();
    for client in clients {
        join(client)?;
    }
    for handler in join(serving)? {
        join(handler)?;
    }
    Ok(())
}

fn heading(document: &str, pair: &str, port: u16) {
    println!("\n== document {document}: {pair}, on {HOST}:{port} ==");
}

/// A listening TCP socket on a loopback port the system picks.
fn tcp_listener() -> pysocket::Result<(Socket, u16)> {
    let listener = Socket::new(AF_INET, SOCK_STREAM)?;
    listener.bind((HOST, 0))?;
    listener.listen(5)?;
    let port = bound_port(&listener)?;
    Ok((listener, port))
}

fn bound_port(sock: &Socket) -> pysocket::Result<u16> {
    Ok(sock.getsockname()?.port().unwrap_or_default())
}

/// Waits for a thread of the tour and passes on its error.
fn join<T>(handle: JoinHandle<pysocket::Result<T>>) -> Result<T, Failure> {
    match handle.join() {
        Ok(result) => Ok(result?),
        Err(_) => Err(Failure::from("a thread of the tour panicked")),
    }
}

/// One side of a conversation, as the program there writes it: every complete
/// line is printed at once, after the side's name. Clones write to the same line.
#[derive(Clone)]
struct Side(Arc<Mutex<Line>>);

struct Line {
    name: String,
    pending: Vec<u8>,
}

impl Side {
    fn new(name: &str) -> Side {
        Side(Arc::new(Mutex::new(Line {
            name: name.to_string(),
            pending: Vec::new(),
        })))
    }
}

impl Write for Side {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut line = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        line.pending.extend_from_slice(buf);
        while let Some(end) = line.pending.iter().position(|&b| b == b'\n') {
            let text: Vec<u8> = line.pending.drain(..=end).collect();
            line.print(&text[..end]);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Line {
    fn print(&self, text: &[u8]) {
        println!("  {:<9}│ {}", self.name, String::from_utf8_lossy(text));
    }
}

impl Drop for Line {
    /// A last prompt the program left without a newline.
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            self.print(&self.pending);
        }
    }
}

/// Someone at the keyboard typing a script: each line is handed to the program
/// when it asks for one and echoed on its side of the transcript, as a
/// terminal would show it. After the script, the end of input.
struct Keyboard {
    script: VecDeque<String>,
    typed: Vec<u8>,
    echo: Side,
    pause: Duration,
}

impl Keyboard {
    fn new(side: &Side, script: &[&str]) -> Keyboard {
        Keyboard {
            script: script.iter().map(|line| line.to_string()).collect(),
            typed: Vec::new(),
            echo: side.clone(),
            pause: Duration::ZERO,
        }
    }

    /// Thinks for `pause` before typing each line.
    fn pausing(mut self, pause: Duration) -> Keyboard {
        self.pause = pause;
        self
    }
}

impl BufRead for Keyboard {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.typed.is_empty() {
            if let Some(line) = self.script.pop_front() {
                thread::sleep(self.pause);
                self.typed = format!("{line}\n").into_bytes();
                self.echo.write_all(&self.typed)?;
            }
        }
        Ok(&self.typed)
    }

    fn consume(&mut self, amount: usize) {
        self.typed.drain(..amount);
    }
}

impl Read for Keyboard {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let typed = self.fill_buf()?;
        let amount = typed.len().min(buf.len());
        buf[..amount].copy_from_slice(&typed[..amount]);
        self.consume(amount);
        Ok(amount)
    }
}
