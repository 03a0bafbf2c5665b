//! The multiplexing and server examples, run as the built binaries:
//! `select_chat_server` with raw clients and with the `chat_client` example,
//! and `socketserver_echo` with a raw client and with the `echo_client`
//! example. Every child is killed when its test ends, every wait has a
//! deadline, and every port comes from the system.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long anything that should happen "at once" on loopback may take.
const PATIENCE: Duration = Duration::from_secs(10);
const HOST: &str = "127.0.0.1";

/// The built example `name`, next to this test binary
/// (`target/debug/deps/examples_servers-…` → `target/debug/examples/name`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let target = exe.parent().and_then(Path::parent).expect("target dir");
    let path = target.join("examples").join(name);
    assert!(
        path.is_file(),
        "example binary {} is missing: build the examples first (`cargo build --examples`)",
        path.display()
    );
    path
}

/// A port nothing listens on now: bound, read, and released.
fn free_port() -> u16 {
    let probe = TcpListener::bind((HOST, 0)).expect("bind port 0");
    probe.local_addr().expect("local_addr").port()
}

/// A running example whose output is collected as it comes; killed and
/// waited for when dropped.
struct Running {
    what: String,
    child: Child,
    /// Kept open while the program runs: a server must not see its input end.
    _stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Running {
    /// Starts example `name` with `args`; with `input`, types it all and
    /// closes its standard input.
    fn start(name: &str, args: &[&str], input: Option<&str>) -> Running {
        let mut child = Command::new(example(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().expect("stdout"), &stdout);
        collect(child.stderr.take().expect("stderr"), &stderr);
        let mut stdin = child.stdin.take();
        if let (Some(text), Some(pipe)) = (input, stdin.as_mut()) {
            let _ = pipe.write_all(text.as_bytes());
            stdin = None;
        }
        Running {
            what: format!("{name} {}", args.join(" ")),
            child,
            _stdin: stdin,
            stdout,
            stderr,
        }
    }

    /// Starts a server example on a free port, retrying with another port
    /// should the one chosen be taken in between; waits until it prints `ready`.
    fn server(name: &str, ready: impl Fn(u16) -> String) -> (Running, u16) {
        for _ in 0..3 {
            let port = free_port();
            let mut server =
                Running::start(name, &["--host", HOST, "--port", &port.to_string()], None);
            if server.wait_until(|out| out.contains(&ready(port))) {
                return (server, port);
            }
            if server.child.try_wait().expect("try_wait").is_none() {
                panic!("{} never got ready\n{}", server.what, server.report());
            }
        }
        panic!("{name} could not bind a free port three times");
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn report(&self) -> String {
        let stderr = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        format!("stdout: {:?}\nstderr: {stderr:?}", self.stdout())
    }

    /// Waits until the output satisfies `done`; false if the program ended
    /// without that or the deadline passed.
    fn wait_until(&mut self, done: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(&self.stdout()) {
                return true;
            }
            if self.child.try_wait().expect("try_wait").is_some() {
                thread::sleep(Duration::from_millis(50)); // let the readers finish
                return done(&self.stdout());
            }
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the output contains `text`, or panics with the output.
    fn expect(&mut self, text: &str) {
        if !self.wait_until(|out| out.contains(text)) {
            panic!("{} never printed {text:?}\n{}", self.what, self.report());
        }
    }

    /// Waits for the program to end, or panics with its output.
    fn finish(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                panic!("{} did not end\n{}", self.what, self.report());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(mut from: impl Read + Send + 'static, into: &Arc<Mutex<Vec<u8>>>) {
    let into = Arc::clone(into);
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect((HOST, port)).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads exactly `len` bytes, or panics.
fn read_exact(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).expect("read");
    buf
}

/// Whether nothing arrives on `stream` for a little while.
fn stays_quiet(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 64];
    let quiet = matches!(
        stream.read(&mut buf),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
    );
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    quiet
}

// ---------------------------------------------------------------------------
// select_chat_server

fn chat_server() -> (Running, u16) {
    Running::server("select_chat_server", |port| {
        format!("Chat server listening on {HOST}:{port}")
    })
}

#[test]
fn select_chat_server_relays_each_message_to_everyone_else() {
    let (mut server, port) = chat_server();
    let mut alice = connect(port);
    let mut bob = connect(port);
    let mut carol = connect(port);
    server.expect("connected from");
    // Wait until the server has all three before anyone speaks.
    assert!(server.wait_until(|out| out.matches("connected from").count() == 3));

    alice.write_all(b"hello").unwrap();
    assert_eq!(read_exact(&mut bob, 5), b"hello");
    assert_eq!(read_exact(&mut carol, 5), b"hello");
    assert!(
        stays_quiet(&mut alice),
        "a sender does not get its own message"
    );

    // Full duplex: anyone may speak at any time, in any order.
    let text = "你好, alice";
    carol.write_all(text.as_bytes()).unwrap();
    bob.write_all(b"hi all").unwrap();
    assert_eq!(read_exact(&mut alice, text.len() + 6).len(), text.len() + 6);
    assert_eq!(read_exact(&mut bob, text.len()), text.as_bytes());
    assert_eq!(read_exact(&mut carol, 6), b"hi all");
    server.expect("接收 ('127.0.0.1', ");
    server.expect(text);

    // `q` leaves the chat: the server closes that connection and tells nobody.
    alice.write_all(b"q").unwrap();
    let mut rest = Vec::new();
    alice.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    server.expect("left the chat");
    assert!(stays_quiet(&mut bob));

    // A client that closes is gone too; the others go on.
    drop(carol);
    server.expect("closed the connection");
    let mut dave = connect(port);
    assert!(server.wait_until(|out| out.matches("connected from").count() == 4));
    bob.write_all(b"bye").unwrap();
    assert_eq!(read_exact(&mut dave, 3), b"bye");
}

#[test]
fn select_chat_server_serves_many_clients_at_once() {
    let (mut server, port) = chat_server();
    let mut clients: Vec<TcpStream> = (0..50).map(|_| connect(port)).collect();
    assert!(
        server.wait_until(|out| out.matches("connected from").count() == 50),
        "{}",
        server.report()
    );
    clients[7].write_all(b"to all").unwrap();
    for (i, client) in clients.iter_mut().enumerate() {
        if i != 7 {
            assert_eq!(read_exact(client, 6), b"to all", "client {i}");
        }
    }
}

#[test]
fn chat_client_talks_through_select_chat_server() {
    let (mut server, port) = chat_server();
    let mut friend = connect(port);
    server.expect("connected from");
    // chat_client sends "hello", waits for an answer, then its input ends,
    // so it sends `q` and leaves.
    let mut client = Running::start(
        "chat_client",
        &["--host", HOST, "--port", &port.to_string()],
        Some("hello\n"),
    );
    assert_eq!(read_exact(&mut friend, 5), b"hello");
    friend.write_all("欢迎".as_bytes()).unwrap();
    client.expect("接收: 欢迎");
    let status = client.finish();
    assert!(
        status.success(),
        "chat_client failed: {status}\n{}",
        client.report()
    );
    server.expect("left the chat");
    assert!(stays_quiet(&mut friend), "`q` is not relayed");
}

#[test]
fn select_chat_server_help_shows_document_003_defaults() {
    let mut help = Running::start("select_chat_server", &["--help"], None);
    assert!(help.finish().success());
    let out = help.stdout();
    assert!(out.contains("127.0.0.1") && out.contains("9999"), "{out}");
}

// ---------------------------------------------------------------------------
// socketserver_echo

fn echo_server() -> (Running, u16) {
    Running::server("socketserver_echo", |port| {
        format!("Server start, listening {port}")
    })
}

#[test]
fn socketserver_echo_prints_document_002s_lines() {
    let (mut server, port) = echo_server();
    let mut client = connect(port);
    client.write_all(b"Hello").unwrap();
    assert_eq!(read_exact(&mut client, 5), b"Hello");
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "the server closes after the client");
    server.expect("Server Recv Over");
    let out = server.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("Server start, listening {port}").as_str(),
            "Server Recv Data: Hello",
            "Server Send Data: Hello",
            "Server Recv Over",
        ]
    );
}

#[test]
fn echo_client_works_against_socketserver_echo() {
    let (mut server, port) = echo_server();
    let mut client = Running::start(
        "echo_client",
        &[
            "--host",
            HOST,
            "--port",
            &port.to_string(),
            "--message",
            "Hello, socketserver",
        ],
        None,
    );
    assert!(client.finish().success(), "{}", client.report());
    let out = client.stdout();
    let echoed: String = out
        .lines()
        .filter_map(|line| line.strip_prefix("Client Received: "))
        .collect();
    assert_eq!(echoed, "Hello, socketserver", "{out}");
    assert!(out.contains("Closing connection to the server"), "{out}");
    server.expect("Server Recv Over");
}

#[test]
fn socketserver_echo_is_not_held_up_by_an_idle_client() {
    let (_server, port) = echo_server();
    let _idle = connect(port);
    let mut busy = connect(port);
    busy.write_all(b"not waiting").unwrap();
    assert_eq!(read_exact(&mut busy, 11), b"not waiting");
}

#[test]
fn socketserver_echo_help_shows_document_002_defaults() {
    let mut help = Running::start("socketserver_echo", &["--help"], None);
    assert!(help.finish().success());
    let out = help.stdout();
    assert!(out.contains("localhost") && out.contains("5000"), "{out}");
}
