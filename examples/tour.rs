//! The main job: every seed program talks to its partner, inside this one
//! process, on loopback ports the system picks. Servers run in threads,
//! clients read a script instead of the keyboard, and each conversation is
//! printed as a transcript, one line per line either side prints.
//!
//! The conversations are the examples' own code (`examples/programs/`): the
//! tour calls the function that holds each document's program
//! (`tcp_client::run`, `echo_server::echo`, `select_chat_server::chat_room`,
//! ...). Only the servers' `main` (flags, `bind`, the endless `accept` loop)
//! is left out: the tour binds port 0, serves as many clients as it sends,
//! and every server stops once its clients are done.
//!
//! Run: `cargo run --example tour`.

mod common;
mod programs;

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::Failure;
use programs::{
    chat_client, chat_server, echo_client, echo_server, select_chat_server, socketserver_echo,
    tcp_client, tcp_server, threaded_client, threaded_server, udp_client, udp_server,
};
use pysocket::server::{ThreadingTcpServer, DEFAULT_POLL_INTERVAL};
use pysocket::{Socket, AF_INET, SOCK_DGRAM, SOCK_STREAM};

const HOST: &str = "127.0.0.1";
/// The watchdog: a conversation that stalls longer fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(5);

fn main() -> Result<(), Failure> {
    common::Args::parse(
        "The main job: runs every seed document's server and client against each other\n\
         inside this process, on loopback ports, and prints each conversation.",
        &[],
    );
    pysocket::setdefaulttimeout(Some(PATIENCE));

    document_000()?;
    document_001_udp()?;
    document_002()?;
    document_002_socketserver()?;
    #[cfg(feature = "ssl")]
    document_002_tls()?;
    document_003_chat()?;
    document_003_select_chat()?;
    document_004()?;
    sendfile_server_fetch()?;
    http_server_fetch()?;
    fd_passing()?;
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

/// Document 002's server again, as Python would write it with `socketserver`:
/// a thread per connection, stopped with `shutdown` once the clients are done.
fn document_002_socketserver() -> Result<(), Failure> {
    let server = Side::new("server");
    let out = server.clone();
    let echo_server = ThreadingTcpServer::new((HOST, 0), move || socketserver_echo::EchoHandler {
        out: out.clone(),
    })?;
    let port = echo_server.server_address().port().unwrap_or_default();
    heading(
        "002, on pysocket::server",
        "socketserver_echo ⇄ echo_client",
        port,
    );
    let stop = echo_server.handle();
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        echo_server.serve_forever(DEFAULT_POLL_INTERVAL)?;
        echo_server.server_close(); // waits for the handler threads
        Ok(())
    });
    let client = Side::new("client");
    for message in ["Hello", "Hello, threads"] {
        echo_client::run(HOST, port, message, client.clone())?;
    }
    stop.shutdown();
    join(serving)
}

/// Document 002's pair over TLS: the server makes a CA and its certificate,
/// writes the CA to a temporary file, and the client trusts that file.
#[cfg(feature = "ssl")]
fn document_002_tls() -> Result<(), Failure> {
    use programs::{tls_echo_client, tls_echo_server};
    let (listener, port) = tcp_listener()?;
    heading("002, over TLS", "tls_echo_server ⇄ tls_echo_client", port);
    let server = Side::new("server");
    let client = Side::new("client");
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("ca.pem");
    let context = tls_echo_server::generated_context(&ca, server.clone())?;
    let messages = ["Hello", "Hello over TLS, in recv(10) steps"];
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        for _ in messages {
            let (conn, _addr) = listener.accept()?;
            tls_echo_server::serve(&context, conn, server.clone())?;
        }
        Ok(())
    });
    let client_context = tls_echo_client::client_context(&ca.to_string_lossy())?;
    for message in messages {
        tls_echo_client::run(&client_context, "localhost", port, message, client.clone())?;
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

/// The chat improved as document 001 asks: full duplex, one thread, a
/// `Selector`. Two chat clients take part; each waits until both are in
/// the room before it speaks, so that neither misses the other's message.
fn document_003_select_chat() -> Result<(), Failure> {
    let listener = tcp_socket()?;
    select_chat_server::listen(&listener)?;
    let port = bound_port(&listener)?;
    heading(
        "001 and 003, improved",
        "select_chat_server ⇄ two chat_clients",
        port,
    );
    let server = Side::new("server");
    let room = server.clone();
    let serving = thread::spawn(move || select_chat_server::chat_room(&listener, room, Some(2)));
    let guests = [("alice", "大家好", 0), ("bob", "你好, alice", 100)];
    let clients: Vec<_> = guests
        .into_iter()
        .map(|(name, message, pause)| {
            let server = server.clone();
            thread::spawn(move || -> pysocket::Result<()> {
                let side = Side::new(name);
                let keyboard = Keyboard::new(&side, &[message, "q"])
                    .pausing(Duration::from_millis(pause))
                    .after(move || server.count("connected from") == 2);
                chat_client::run(HOST, port, keyboard, side)
            })
        })
        .collect();
    for client in clients {
        join(client)?;
    }
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

/// `sendfile_server` (not from a seed document: the example of
/// `Socket::sendfile`) serves the tour's own binary, several MiB; a plain
/// socket fetches it, and the bytes are compared with the file's.
fn sendfile_server_fetch() -> Result<(), Failure> {
    use programs::sendfile_server;
    let (listener, port) = tcp_listener()?;
    println!("\n== sendfile_server ⇄ an HTTP/1.0 client, on {HOST}:{port} ==");
    let path = std::env::current_exe()?;
    let name = sendfile_server::file_name(&path);
    let server = Side::new("server");
    let served = path.clone();
    let serving = thread::spawn(move || -> pysocket::Result<u64> {
        let (conn, addr) = listener.accept()?;
        sendfile_server::serve(&conn, &addr, &served, server)
    });
    let mut client = Side::new("client");
    writeln!(client, "GET /{name} HTTP/1.0")?;
    let (status, body) = sendfile_server::fetch(HOST, port, &name)?;
    let sent = join(serving)?;
    writeln!(client, "{status}: {} bytes", body.len())?;
    let file = std::fs::read(&path)?;
    if body != file || sent != file.len() as u64 {
        return Err(Failure::from("the file served is not the file on disk"));
    }
    writeln!(
        client,
        "the bytes are the file's, all {sent} sent by sendfile"
    )?;
    Ok(())
}

/// `http_server` (not from a seed document: Python's `http.server`) serves
/// a directory made for the tour; a client on a plain socket asks for the
/// listing, then for a file, on the one connection (HTTP/1.1 keep-alive),
/// and closes it; then the server stops.
fn http_server_fetch() -> Result<(), Failure> {
    use programs::http_server::{self, SimpleHttpRequestHandler};
    let dir = tempfile::tempdir()?;
    let text = "Hello from http_server\n";
    std::fs::write(dir.path().join("hello.txt"), text)?;
    let directory: Arc<std::path::Path> = dir.path().into();
    let server = Side::new("server");
    let httpd = http_server::http_server((HOST, 0), AF_INET, PATIENCE, move || {
        SimpleHttpRequestHandler::new(Arc::clone(&directory), server.clone())
    })?;
    let port = httpd.server_address().port().unwrap_or_default();
    println!("\n== http_server ⇄ an HTTP/1.1 client, one connection, on {HOST}:{port} ==");
    let stop = httpd.handle();
    let serving = thread::spawn(move || -> pysocket::Result<()> {
        httpd.serve_forever(DEFAULT_POLL_INTERVAL)?;
        httpd.server_close(); // waits for the handler thread
        Ok(())
    });
    let mut client = Side::new("client");
    let conn = pysocket::create_connection((HOST, port), Some(PATIENCE))?;
    let mut file = conn.makefile();
    for path in ["/", "/hello.txt"] {
        writeln!(client, "GET {path} HTTP/1.1")?;
        let response = http_server::get(&mut file, HOST, path)?;
        writeln!(
            client,
            "{} ({} bytes)",
            response.status,
            response.body.len()
        )?;
        if path == "/" {
            let listing = String::from_utf8_lossy(&response.body).into_owned();
            for entry in listing.lines().filter(|line| line.starts_with("<li>")) {
                writeln!(client, "{entry}")?;
            }
        } else if response.body != text.as_bytes() {
            return Err(Failure::from("the file served is not the file on disk"));
        } else {
            write!(client, "{}", String::from_utf8_lossy(&response.body))?;
        }
    }
    drop(file);
    drop(conn); // the handler sees the end of the stream and returns
    stop.shutdown();
    join(serving)
}

/// `fd_passing`: the parent hands its listener to a worker over a
/// socketpair with `send_fds`, then asks it a question as a client. The
/// example's worker is another process; here it is a thread running the
/// same function, so that the tour needs no other binary. The descriptor
/// still travels through the kernel, and the parent closes its copy.
fn fd_passing() -> Result<(), Failure> {
    use programs::fd_passing::{ask, hand_over, worker};
    let (listener, port) = tcp_listener()?;
    println!("\n== fd_passing: parent ⇄ worker (a thread here), on {HOST}:{port} ==");
    let addr = listener.getsockname()?;
    let (channel, worker_end) = pysocket::socketpair()?;
    let side = Side::new("worker");
    let working = thread::spawn(move || worker(worker_end, side));
    let parent = Side::new("parent");
    hand_over(listener, &channel, parent.clone())?;
    ask(&addr, parent)?;
    join(working)
}

fn heading(document: &str, pair: &str, port: u16) {
    println!("\n== document {document}: {pair}, on {HOST}:{port} ==");
}

/// A listening TCP socket on a loopback port the system picks.
fn tcp_listener() -> pysocket::Result<(Socket, u16)> {
    let listener = tcp_socket()?;
    listener.listen(5)?;
    let port = bound_port(&listener)?;
    Ok((listener, port))
}

/// A TCP socket bound to a loopback port the system picks.
fn tcp_socket() -> pysocket::Result<Socket> {
    let sock = Socket::new(AF_INET, SOCK_STREAM)?;
    sock.bind((HOST, 0))?;
    Ok(sock)
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
    printed: Vec<String>,
}

impl Side {
    fn new(name: &str) -> Side {
        Side(Arc::new(Mutex::new(Line {
            name: name.to_string(),
            pending: Vec::new(),
            printed: Vec::new(),
        })))
    }

    /// How many of the lines printed so far contain `text`.
    fn count(&self, text: &str) -> usize {
        let line = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        line.printed
            .iter()
            .filter(|printed| printed.contains(text))
            .count()
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
    fn print(&mut self, text: &[u8]) {
        let text = String::from_utf8_lossy(text).into_owned();
        println!("  {:<9}│ {text}", self.name);
        self.printed.push(text);
    }
}

impl Drop for Line {
    /// A last prompt the program left without a newline.
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.print(&pending);
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
    /// What the typist waits for before the first line.
    cue: Option<Box<dyn Fn() -> bool + Send>>,
}

impl Keyboard {
    fn new(side: &Side, script: &[&str]) -> Keyboard {
        Keyboard {
            script: script.iter().map(|line| line.to_string()).collect(),
            typed: Vec::new(),
            echo: side.clone(),
            pause: Duration::ZERO,
            cue: None,
        }
    }

    /// Types nothing until `cue` holds (at most `PATIENCE`).
    fn after(mut self, cue: impl Fn() -> bool + Send + 'static) -> Keyboard {
        self.cue = Some(Box::new(cue));
        self
    }

    fn wait_for_cue(&mut self) -> io::Result<()> {
        let Some(cue) = self.cue.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + PATIENCE;
        while !cue() {
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the cue never came",
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(())
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
            self.wait_for_cue()?;
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
