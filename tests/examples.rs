//! The examples, run as the built binaries: every server with its client over
//! loopback, every client against a server written here with `std::net`,
//! every server against a `std::net` client, the multiplexing and server
//! examples (`select_chat_server`, `socketserver_echo`), bad flags, the tour,
//! the TLS echo pair (with certificates made at test time; with the `ssl`
//! feature), and, where `python3` is installed, the seed documents' own programs
//! (ported to Python 3, in `tests/python/`) against the examples in both
//! directions.
//!
//! Every child process is killed when its test ends, every wait has a
//! deadline, and every port comes from the system.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

/// How long anything that should happen "at once" on loopback may take.
const PATIENCE: Duration = Duration::from_secs(10);
const HOST: &str = "127.0.0.1";
const EXAMPLES: [&str; 13] = [
    "tcp_server",
    "tcp_client",
    "udp_server",
    "udp_client",
    "echo_server",
    "echo_client",
    "chat_server",
    "chat_client",
    "threaded_server",
    "threaded_client",
    "select_chat_server",
    "socketserver_echo",
    "tour",
];

// ---------------------------------------------------------------------------
// The programs and the processes that run them

/// The built example `name`, next to this test binary
/// (`target/debug/deps/examples-…` → `target/debug/examples/name`).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let target = exe.parent().and_then(Path::parent).expect("target dir");
    let path = target.join("examples").join(name);
    assert!(
        path.is_file(),
        "example binary {} is missing: build the examples first \
         (`cargo test` does, and so does `cargo build --examples`)",
        path.display()
    );
    let built = modified(&path);
    if let Some(source) = sources_of(name).iter().find(|src| modified(src) > built) {
        panic!(
            "example binary {} is older than {}: rebuild it (`cargo build --examples`)",
            path.display(),
            source.display()
        );
    }
    path
}

/// The files an example is built from: its own, the shared code and
/// programs (`examples/common/`, `examples/programs/`), the crate.
fn sources_of(name: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = root.join("examples");
    let mut files = vec![examples.join(format!("{name}.rs"))];
    let mut dirs = vec![
        root.join("src"),
        examples.join("common"),
        examples.join("programs"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `python3` can run here; tests of the Python programs skip without it.
fn python_available() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("python3 not found: skipping the seed documents' Python programs");
    }
    found
}

/// A seed program: the Rust example, or the document's own Python program.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Program {
    Rust(&'static str),
    Python(&'static str),
}

impl Program {
    /// The command that runs the program against `HOST:port`.
    fn command(self, port: u16, extra: &[&str]) -> Command {
        match self {
            Program::Rust(name) => {
                let mut command = Command::new(example(name));
                command.args(["--host", HOST, "--port", &port.to_string()]);
                command.args(extra);
                command
            }
            Program::Python(name) => {
                let script = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/python")
                    .join(format!("{name}.py"));
                let mut command = Command::new("python3");
                command
                    .arg("-u")
                    .arg(script)
                    .arg(HOST)
                    .arg(port.to_string());
                command.args(extra).env("PYTHONIOENCODING", "utf-8");
                command
            }
        }
    }
}

/// A running program whose output is collected as it comes; killed and
/// waited for when dropped.
struct Running {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Starts `command`; with `input`, types it all and closes standard input.
    fn start(what: impl Into<String>, mut command: Command, input: Option<&str>) -> Running {
        let what = what.into();
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("stdout"), &stdout),
            collect(child.stderr.take().expect("stderr"), &stderr),
        ];
        let stdin = child.stdin.take();
        let mut running = Running {
            what,
            child,
            stdin,
            stdout,
            stderr,
            readers,
        };
        if let Some(text) = input {
            running.type_text(text);
            running.stdin = None;
        }
        running
    }

    /// Types `text` on the program's standard input. A program that has
    /// already ended (a refused client) reads nothing: that is not an error here.
    fn type_text(&mut self, text: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin
                .write_all(text.as_bytes())
                .and_then(|()| stdin.flush());
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// Waits until the output satisfies `done`; false if the program ended
    /// without that or the deadline passed.
    fn wait_until(&mut self, done: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(&self.stdout()) {
                return true;
            }
            if self.exited().is_some() {
                self.drain();
                return done(&self.stdout());
            }
            if Instant::now() > deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the output contains `text`, or panics with the program's output.
    fn expect(&mut self, text: &str) {
        if !self.wait_until(|out| out.contains(text)) {
            panic!("{} never printed {text:?}\n{}", self.what, self.report());
        }
    }

    /// Waits for the program to end and returns its status, or panics with its output.
    fn finish(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.exited() {
                self.drain();
                return status;
            }
            if Instant::now() > deadline {
                panic!("{} did not end\n{}", self.what, self.report());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Ends the program with success, or panics with its output.
    fn finish_ok(&mut self) {
        let status = self.finish();
        assert!(
            status.success(),
            "{} failed: {status}\n{}",
            self.what,
            self.report()
        );
    }

    fn report(&self) -> String {
        format!("stdout: {:?}\nstderr: {:?}", self.stdout(), self.stderr())
    }

    /// Waits for the readers, which end once the program's pipes close.
    fn drain(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.drain();
    }
}

fn collect(mut pipe: impl Read + Send + 'static, into: &Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    let into = Arc::clone(into);
    thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = again(|| pipe.read(&mut buf)) {
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

/// Makes `call` again while it fails with `EINTR`: a socket read with a
/// timeout fails so after a signal, or a stop and continue, even with
/// `SA_RESTART` (signal(7)).
fn again<T>(mut call: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A loopback port nothing uses, never the same one twice in this test run
/// (so tests running at once cannot pick each other's).
fn fresh_port(udp: bool) -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    loop {
        let port = if udp {
            UdpSocket::bind((HOST, 0)).and_then(|s| s.local_addr())
        } else {
            TcpListener::bind((HOST, 0)).and_then(|s| s.local_addr())
        }
        .expect("bind port 0")
        .port();
        let mut handed_out = HANDED_OUT.lock().unwrap();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// How a program ended.
struct Ended {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs example `name` with `args` and no input to its end.
fn run(name: &str, args: &[&str]) -> Ended {
    let mut command = Command::new(example(name));
    command.args(args);
    let mut running = Running::start(format!("{name} {args:?}"), command, Some(""));
    let status = running.finish();
    Ended {
        status,
        stdout: running.stdout(),
        stderr: running.stderr(),
    }
}

// ---------------------------------------------------------------------------
// Conversations

/// How a document's server shows where it is.
struct Document {
    server: &'static str,
    client: &'static str,
    udp: bool,
    /// What the server prints once it can take clients (None: nothing, so a
    /// client that comes too early is refused and tried again).
    ready: Option<&'static str>,
    /// Whether the server has printed all it prints about one client, last
    /// newline included (None: the server ends after its client).
    done: Option<fn(&str) -> bool>,
}

const DOC_000: Document = Document {
    server: "tcp_server",
    client: "tcp_client",
    udp: false,
    ready: None,
    done: Some(|out| out.ends_with("Exit Server\n\n")),
};
const DOC_001_UDP: Document = Document {
    server: "udp_server",
    client: "udp_client",
    udp: true,
    ready: Some("UDP server bound to"),
    // The last datagram of INPUT_001.
    done: Some(|out| out.ends_with("): 数据报\n")),
};
const DOC_002: Document = Document {
    server: "echo_server",
    client: "echo_client",
    udp: false,
    ready: Some("Server start, listening"),
    done: Some(|out| out.ends_with("Server Recv Over\n")),
};
const DOC_002_SOCKETSERVER: Document = Document {
    server: "socketserver_echo",
    ..DOC_002
};
const DOC_003: Document = Document {
    server: "chat_server",
    client: "chat_client",
    udp: false,
    ready: None,
    done: None,
};
const DOC_004: Document = Document {
    server: "threaded_server",
    client: "threaded_client",
    udp: false,
    ready: Some("waiting for connection..."),
    // The accept loop prints its second line while the client talks, or later.
    done: Some(|out| {
        out.contains("---closed\n") && out.matches("waiting for connection...").count() == 2
    }),
};

/// Who plays each side of a conversation, and what each side types.
struct Cast<'a> {
    python_server: bool,
    python_client: bool,
    server_input: &'a str,
    client_input: &'a str,
    client_args: &'a [&'a str],
}

impl Cast<'_> {
    fn rust(client_input: &str) -> Cast<'_> {
        Cast {
            python_server: false,
            python_client: false,
            server_input: "",
            client_input,
            client_args: &[],
        }
    }
}

/// What both sides printed.
struct Talk {
    port: u16,
    server: String,
    client: String,
}

/// Runs the document's server on a fresh port and its client against it,
/// waits for the client to end and the server to finish the conversation,
/// and returns both transcripts. A server that cannot bind (the port was
/// taken meanwhile) is started again on another port.
fn talk(doc: &Document, cast: &Cast) -> Talk {
    let pick = |python, name| {
        if python {
            Program::Python(name)
        } else {
            Program::Rust(name)
        }
    };
    let server = pick(cast.python_server, doc.server);
    let client = pick(cast.python_client, doc.client);
    'attempt: for _ in 0..3 {
        let port = fresh_port(doc.udp);
        let what = format!("{server:?} on port {port}");
        let mut serving = Running::start(what, server.command(port, &[]), Some(cast.server_input));
        if let Some(ready) = doc.ready {
            if !serving.wait_until(|out| out.contains(ready)) {
                if serving.exited().is_some() {
                    continue 'attempt;
                }
                panic!(
                    "{} never printed {ready:?}\n{}",
                    serving.what,
                    serving.report()
                );
            }
        }
        let deadline = Instant::now() + PATIENCE;
        let mut talking = loop {
            let command = client.command(port, cast.client_args);
            let mut talking =
                Running::start(format!("{client:?}"), command, Some(cast.client_input));
            let status = talking.finish();
            if !status.success() && talking.stderr().contains("refused") {
                if serving.exited().is_some() {
                    continue 'attempt;
                }
                if Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(20));
                    continue; // the server does not listen yet
                }
            }
            break talking;
        };
        talking.finish_ok();
        match doc.done {
            Some(done) => assert!(serving.wait_until(done), "{}", serving.report()),
            None => serving.finish_ok(),
        }
        return Talk {
            port,
            server: serving.stdout(),
            client: talking.stdout(),
        };
    }
    panic!("{server:?} could not bind a free port three times");
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters within one line.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => text.strip_prefix(head).is_some_and(|rest| {
            let line = rest.find('\n').unwrap_or(rest.len());
            (0..=line)
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob(tail, &rest[i..]))
        }),
    }
}

#[track_caller]
fn assert_glob(pattern: &str, text: &str) {
    assert!(
        glob(pattern, text),
        "transcript does not match\n--- expected\n{pattern}\n--- got\n{text}"
    );
}

/// Whether `stamp` is in C's `ctime` format: `Sun Nov 22 02:11:21 2026`,
/// `Mon Nov  2 09:05:00 2026`.
fn is_ctime(stamp: &str) -> bool {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = stamp.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    b.len() == 24
        && DAYS.contains(&&stamp[0..3])
        && MONTHS.contains(&&stamp[4..7])
        && [3, 7, 19].iter().all(|&i| b[i] == b' ')
        && (b[8] == b' ' && b[9] != b'0' || (b'1'..=b'3').contains(&b[8]))
        && digits(9..10)
        && b[13] == b':'
        && b[16] == b':'
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && digits(20..24)
}

/// The stamps of the `from sever message: [<ctime>] ...` lines.
fn stamps(client: &str) -> Vec<&str> {
    client
        .split("from sever message: [")
        .skip(1)
        .map(|rest| &rest[..rest.find(']').unwrap_or(0)])
        .collect()
}

fn check_000(talk: &Talk) {
    assert_eq!(
        talk.client,
        "Please input data:Send Successfully\nOK\n\
         Please input data:Send Successfully\nOK\n\
         Please input data:"
    );
    assert_eq!(
        talk.server,
        "Socket Created\nGet value hello\n\nGet value 你好\n\nGet value \n\nExit Server\n\n"
    );
}
const INPUT_000: &str = "hello\n你好\n\n";

fn check_001(talk: &Talk) {
    let port = talk.port;
    assert_glob(
        &format!(
            "Please input data:Received from ('127.0.0.1', {port}): ping\n\
             Please input data:Received from ('127.0.0.1', {port}): 数据报\n\
             Please input data:"
        ),
        &talk.client,
    );
    assert_glob(
        &format!(
            "UDP server bound to ('127.0.0.1', {port})\n\
             Received from ('127.0.0.1', *): ping\n\
             Received from ('127.0.0.1', *): 数据报\n"
        ),
        &talk.server,
    );
}
const INPUT_001: &str = "ping\n数据报\n\n";

fn check_002(talk: &Talk) {
    assert_eq!(
        talk.client,
        "Client Received: Hello\nClosing connection to the server\n"
    );
    assert_eq!(
        talk.server,
        format!(
            "Server start, listening {}\n\
             Server Recv Data: Hello\nServer Send Data: Hello\nServer Recv Over\n",
            talk.port
        )
    );
}

fn check_003(talk: &Talk, cast: &Cast) {
    // The document's server prints `接收: `, its client `接收 : `.
    let said = if cast.python_client {
        "接收 : "
    } else {
        "接收: "
    };
    assert_eq!(
        talk.client,
        format!("发送: {said}你好呀\n发送: {said}再见\n发送: ")
    );
    assert_eq!(talk.server, "接收: 你好\n发送: 接收: 今天天气不错\n发送: ");
}
const SERVER_INPUT_003: &str = "你好呀\n再见\n";
const INPUT_003: &str = "你好\n今天天气不错\nq\n";

fn check_004(talk: &Talk, cast: &Cast) {
    assert_glob(
        "请输入信息:from sever message: [*] hello\n\
         请输入信息:from sever message: [*] 你好\n\
         请输入信息:",
        &talk.client,
    );
    for stamp in stamps(&talk.client) {
        assert!(is_ctime(stamp), "not in ctime's format: {stamp:?}");
    }
    if cast.python_server {
        // Python's print() writes a line in pieces, and the document's threads
        // print at the same time: the pieces may mix.
        for piece in ["waiting for connection...", "connected from :", "---closed"] {
            assert!(talk.server.contains(piece), "{}", talk.server);
        }
        return;
    }
    // The handler thread and the accept loop print at the same time: any order.
    let lines: Vec<&str> = talk.server.lines().collect();
    let count = |pattern: &str| lines.iter().filter(|line| glob(pattern, line)).count();
    assert_eq!(lines.len(), 5, "{}", talk.server);
    assert_eq!(lines[0], "waiting for connection...");
    assert_glob("<socket*> ('127.0.0.1', *)", lines[1]);
    for (pattern, times) in [
        ("waiting for connection...", 2),
        ("connected from : ('127.0.0.1', *)", 1),
        ("('127.0.0.1', *) ---closed", 1),
    ] {
        assert_eq!(count(pattern), times, "{pattern}: {}", talk.server);
    }
}
const INPUT_004: &str = "hello\n你好\n\n";

// ---------------------------------------------------------------------------
// Each server with its client

/// One conversation of the table: a document's server and client, what
/// each side types, how the transcripts are checked, and who may play each
/// side: `(python_server, python_client)`, the Rust examples being `false`.
struct Case {
    name: &'static str,
    doc: &'static Document,
    server_input: &'static str,
    client_input: &'static str,
    check: fn(&Talk, &Cast),
    casts: &'static [(bool, bool)],
}

/// Rust with Rust, the Python server with the Rust client, the Rust server
/// with the Python client, and the two Python programs (which shows the
/// examples print what the documents' programs print).
const EVERY_CAST: &[(bool, bool)] = &[(false, false), (true, false), (false, true), (true, true)];

const CASES: [Case; 6] = [
    Case {
        name: "000 tcp",
        doc: &DOC_000,
        server_input: "",
        client_input: INPUT_000,
        check: |talk, _| check_000(talk),
        casts: EVERY_CAST,
    },
    Case {
        name: "001 udp",
        doc: &DOC_001_UDP,
        server_input: "",
        client_input: INPUT_001,
        check: |talk, _| check_001(talk),
        casts: EVERY_CAST,
    },
    Case {
        name: "002 echo",
        doc: &DOC_002,
        server_input: "",
        client_input: "",
        check: |talk, _| check_002(talk),
        casts: EVERY_CAST,
    },
    Case {
        // The document has no socketserver program: the Rust server only.
        name: "002 echo on pysocket::server",
        doc: &DOC_002_SOCKETSERVER,
        server_input: "",
        client_input: "",
        check: |talk, _| check_002(talk),
        casts: &[(false, false), (false, true)],
    },
    Case {
        // The document's client leaves without sending `q`, and its server
        // waits for one: only the Rust client can end the document's server.
        name: "003 chat",
        doc: &DOC_003,
        server_input: SERVER_INPUT_003,
        client_input: INPUT_003,
        check: check_003,
        casts: &[(false, false), (true, false), (false, true)],
    },
    Case {
        name: "004 threaded",
        doc: &DOC_004,
        server_input: "",
        client_input: INPUT_004,
        check: check_004,
        casts: EVERY_CAST,
    },
];

/// Every case of the table in every cast, each case in a thread named after
/// it; the Python casts only where `python3` runs. Fails naming every
/// conversation that failed (each one's panic message is printed above).
#[test]
fn every_document_talks_in_every_cast() {
    let python = python_available();
    let runs: Vec<_> = CASES
        .iter()
        .map(|case| {
            let named = thread::Builder::new().name(case.name.to_string());
            named
                .spawn(move || {
                    let mut failed = Vec::new();
                    for &(python_server, python_client) in case.casts {
                        if (python_server || python_client) && !python {
                            continue;
                        }
                        let cast = Cast {
                            python_server,
                            python_client,
                            server_input: case.server_input,
                            client_input: case.client_input,
                            client_args: &[],
                        };
                        let conversation = std::panic::catch_unwind(|| {
                            (case.check)(&talk(case.doc, &cast), &cast);
                        });
                        if conversation.is_err() {
                            let who = |python| if python { "Python" } else { "Rust" };
                            failed.push(format!(
                                "{}: {} server, {} client",
                                case.name,
                                who(python_server),
                                who(python_client)
                            ));
                        }
                    }
                    failed
                })
                .expect("spawn")
        })
        .collect();
    let failed: Vec<String> = runs
        .into_iter()
        .flat_map(|run| run.join().expect("a case's thread"))
        .collect();
    assert!(failed.is_empty(), "conversations that failed: {failed:#?}");
}

#[test]
fn echo_client_reads_a_long_echo_ten_bytes_at_a_time() {
    let cast = Cast {
        client_args: &["--message", "Hello, echo: 25 bytes ok"],
        ..Cast::rust("")
    };
    let talk = talk(&DOC_002, &cast);
    assert_eq!(
        talk.client,
        "Client Received: Hello, ech\nClient Received: o: 25 byte\nClient Received: s ok\n\
         Closing connection to the server\n"
    );
    assert!(talk
        .server
        .contains("Server Recv Data: Hello, echo: 25 bytes ok\n"));
}

#[test]
fn chat_ends_when_the_clients_input_ends() {
    let cast = Cast {
        server_input: "好的\n",
        ..Cast::rust("你好\n\n")
    };
    let talk = talk(&DOC_003, &cast);
    assert_eq!(talk.client, "发送: 接收: 好的\n发送: 发送: ");
    assert_eq!(talk.server, "接收: 你好\n发送: ");
}

#[test]
fn threaded_server_serves_clients_at_once() {
    let port = fresh_port(false);
    let mut server = Running::start(
        "threaded_server",
        Program::Rust("threaded_server").command(port, &[]),
        None,
    );
    server.expect("waiting for connection...");
    let mut clients: Vec<Running> = (1..=3)
        .map(|n| {
            let command = Program::Rust("threaded_client").command(port, &[]);
            let mut client = Running::start(format!("threaded_client {n}"), command, None);
            client.expect("请输入信息:");
            client
        })
        .collect();
    // All three are connected; the last one speaks first, then the others:
    // a server that served one client at a time would never answer it.
    for (n, client) in clients.iter_mut().enumerate().rev() {
        client.type_text(&format!("I am client {}\n", n + 1));
        client.expect(&format!("] I am client {}\n", n + 1));
    }
    for client in &mut clients {
        client.type_text("\n");
        client.finish_ok();
    }
    assert!(
        server.wait_until(|out| out.matches("---closed").count() == 3),
        "{}",
        server.report()
    );
    assert_eq!(server.stdout().matches("connected from : ").count(), 3);
}

#[test]
fn tcp_server_times_out_a_silent_client_and_serves_the_next() {
    let port = fresh_port(false);
    let command = Program::Rust("tcp_server").command(port, &["--timeout", "0.3"]);
    let mut server = Running::start("tcp_server --timeout 0.3", command, None);
    server.expect("Socket Created");
    let mut silent = connect_when_listening(port, &mut server);
    silent.write_all(b"hi").unwrap();
    let mut reply = [0; 2];
    silent.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"OK");
    let quiet_since = Instant::now();
    let mut rest = Vec::new();
    silent.read_to_end(&mut rest).unwrap(); // the server drops the connection
    let waited = quiet_since.elapsed();
    assert!(rest.is_empty());
    assert!(
        waited >= Duration::from_millis(250),
        "dropped after {waited:?}"
    );
    assert!(waited < PATIENCE, "dropped after {waited:?}");
    server.expect("Time out\n");

    let mut next = TcpStream::connect((HOST, port)).unwrap();
    next.write_all(b"again").unwrap();
    next.read_exact(&mut reply).unwrap();
    drop(next);
    server.expect("Exit Server\n\n");
    assert_eq!(
        server.stdout(),
        "Socket Created\nGet value hi\n\nTime out\nGet value again\n\nGet value \n\nExit Server\n\n"
    );
}

#[test]
fn tcp_server_reports_a_failed_bind_with_status_1() {
    let holder = TcpListener::bind((HOST, 0)).unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let ended = run("tcp_server", &["--host", HOST, "--port", &port]);
    assert_eq!(ended.status.code(), Some(1), "{}", ended.stderr);
    let out = &ended.stdout;
    assert!(
        out.starts_with("Socket Created\nBind Failed... ")
            && out.contains("Address already in use"),
        "{out:?}"
    );
}

/// A `std::net` client of a server that prints nothing once it listens.
fn connect_when_listening(port: u16, server: &mut Running) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match TcpStream::connect((HOST, port)) {
            Ok(stream) => {
                stream.set_read_timeout(Some(PATIENCE)).unwrap();
                return stream;
            }
            Err(e) if Instant::now() < deadline && server.exited().is_none() => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!(
                "cannot connect to {}: {e}\n{}",
                server.what,
                server.report()
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Each client against a server written here with std::net

/// A `std::net` server on a loopback port: runs `serve` on its first client.
fn std_server<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    let listener = TcpListener::bind((HOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        serve(stream)
    });
    (port, handle)
}

/// Runs client example `name` against `port`, typing `input`; returns what it printed.
fn client_output(name: &'static str, port: u16, extra: &[&str], input: &str) -> String {
    let command = Program::Rust(name).command(port, extra);
    let mut client = Running::start(name, command, Some(input));
    client.finish_ok();
    client.stdout()
}

/// Reads what one `send` of the peer carries (the protocols here are one
/// message per turn); empty once the peer closed.
fn read_message(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = [0; 4096];
    let n = again(|| stream.read(&mut buf)).expect("read");
    buf[..n].to_vec()
}

#[test]
fn tcp_client_against_a_std_server() {
    let (port, server) = std_server(|mut stream| {
        let mut got = Vec::new();
        loop {
            let message = read_message(&mut stream);
            if message.is_empty() {
                return got;
            }
            got.push(String::from_utf8(message).unwrap());
            stream.write_all(b"OK").unwrap();
        }
    });
    let out = client_output("tcp_client", port, &[], "one\n两个\n\n");
    assert_eq!(
        out,
        "Please input data:Send Successfully\nOK\n\
         Please input data:Send Successfully\nOK\n\
         Please input data:"
    );
    assert_eq!(server.join().unwrap(), ["one", "两个"]);
}

#[test]
fn udp_client_against_a_std_server() {
    let server = UdpSocket::bind((HOST, 0)).unwrap();
    server.set_read_timeout(Some(PATIENCE)).unwrap();
    let port = server.local_addr().unwrap().port();
    let answering = thread::spawn(move || {
        let mut senders = Vec::new();
        let mut buf = [0; 1024];
        for _ in 0..2 {
            let (n, from) = again(|| server.recv_from(&mut buf)).unwrap();
            server.send_to(&buf[..n], from).unwrap();
            senders.push((String::from_utf8(buf[..n].to_vec()).unwrap(), from));
        }
        senders
    });
    let out = client_output("udp_client", port, &[], "ping\n数据报\n\n");
    assert_eq!(
        out,
        format!(
            "Please input data:Received from ('127.0.0.1', {port}): ping\n\
             Please input data:Received from ('127.0.0.1', {port}): 数据报\n\
             Please input data:"
        )
    );
    let senders = answering.join().unwrap();
    assert_eq!(
        (senders[0].0.as_str(), senders[1].0.as_str()),
        ("ping", "数据报")
    );
    assert_eq!(
        senders[0].1, senders[1].1,
        "one socket sends both datagrams"
    );
}

#[test]
fn echo_client_reads_until_the_whole_echo_is_back() {
    // The echo comes back in two pieces, the second one later.
    let (port, server) = std_server(|mut stream| {
        let mut message = [0; 5];
        stream.read_exact(&mut message).unwrap();
        stream.write_all(&message[..2]).unwrap();
        thread::sleep(Duration::from_millis(100));
        stream.write_all(&message[2..]).unwrap();
        read_message(&mut stream).is_empty() && &message == b"Hello"
    });
    let out = client_output("echo_client", port, &[], "");
    assert_eq!(
        out,
        "Client Received: He\nClient Received: llo\nClosing connection to the server\n"
    );
    assert!(server.join().unwrap(), "the client sent Hello, then closed");
}

#[test]
fn echo_client_reports_a_server_that_closes_early() {
    let (port, server) = std_server(|mut stream| {
        let mut message = [0; 5];
        stream.read_exact(&mut message).unwrap();
        stream.write_all(b"He").unwrap();
    });
    let out = client_output("echo_client", port, &[], "");
    assert_eq!(
        out,
        "Client Received: He\nSocket error: the server closed the connection\n\
         Closing connection to the server\n"
    );
    server.join().unwrap();
}

#[test]
fn chat_client_against_a_std_server() {
    let (port, server) = std_server(|mut stream| {
        let mut heard = Vec::new();
        for answer in ["你好呀", "再见"] {
            heard.push(String::from_utf8(read_message(&mut stream)).unwrap());
            stream.write_all(answer.as_bytes()).unwrap();
        }
        heard.push(String::from_utf8(read_message(&mut stream)).unwrap());
        heard.push(String::from_utf8(read_message(&mut stream)).unwrap());
        heard
    });
    let out = client_output("chat_client", port, &[], "你好\n\n今天天气不错\nq\n");
    assert_eq!(out, "发送: 接收: 你好呀\n发送: 发送: 接收: 再见\n发送: ");
    // An empty line sends nothing; `q` is sent, then the connection closes.
    assert_eq!(server.join().unwrap(), ["你好", "今天天气不错", "q", ""]);
}

#[test]
fn threaded_client_against_a_std_server() {
    let (port, server) = std_server(|mut stream| {
        let mut heard = Vec::new();
        loop {
            let message = read_message(&mut stream);
            if message.is_empty() {
                return heard;
            }
            let reply = [b"[Mon Nov  2 09:05:00 2026] ".as_slice(), &message].concat();
            stream.write_all(&reply).unwrap();
            heard.push(String::from_utf8(message).unwrap());
        }
    });
    let out = client_output("threaded_client", port, &[], "hello\n你好\n\n");
    assert_eq!(
        out,
        "请输入信息:from sever message: [Mon Nov  2 09:05:00 2026] hello\n\
         请输入信息:from sever message: [Mon Nov  2 09:05:00 2026] 你好\n\
         请输入信息:"
    );
    assert_eq!(server.join().unwrap(), ["hello", "你好"]);
}

// ---------------------------------------------------------------------------
// Each server against a client written here with std::net

/// Starts server example `name` on a fresh port; waits for `ready` if it prints one.
fn start_server(name: &'static str, input: Option<&str>, ready: Option<&str>) -> (Running, u16) {
    let port = fresh_port(name == "udp_server");
    let mut server = Running::start(name, Program::Rust(name).command(port, &[]), input);
    if let Some(ready) = ready {
        server.expect(ready);
    }
    (server, port)
}

#[test]
fn echo_server_against_a_std_client() {
    let (mut server, port) = start_server("echo_server", None, DOC_002.ready);
    let mut client = connect_when_listening(port, &mut server);
    let message: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    client.write_all(&message).unwrap();
    let mut echo = vec![0; message.len()];
    client.read_exact(&mut echo).unwrap();
    assert_eq!(
        echo, message,
        "more than one 2048-byte buffer comes back whole"
    );
    client.shutdown(Shutdown::Write).unwrap();
    assert!(
        read_message(&mut client).is_empty(),
        "the server closes after the client"
    );
    server.expect("Server Recv Over\n");
    let out = server.stdout();
    assert!(out.matches("Server Recv Data: ").count() >= 3, "{out}");
}

#[test]
fn udp_server_answers_each_sender() {
    let (mut server, port) = start_server("udp_server", None, DOC_001_UDP.ready);
    let first = UdpSocket::bind((HOST, 0)).unwrap();
    let second = UdpSocket::bind((HOST, 0)).unwrap();
    let mut buf = [0; 1024];
    for (client, data) in [(&first, "from the first"), (&second, "from the second")] {
        client.set_read_timeout(Some(PATIENCE)).unwrap();
        client.send_to(data.as_bytes(), (HOST, port)).unwrap();
        let (n, from) = again(|| client.recv_from(&mut buf)).unwrap();
        assert_eq!(
            (&buf[..n], from),
            (data.as_bytes(), SocketAddr::from(([127, 0, 0, 1], port)))
        );
    }
    let first_port = first.local_addr().unwrap().port();
    server.expect(&format!(
        "Received from ('127.0.0.1', {first_port}): from the first\n"
    ));
    server.expect(": from the second\n");
}

#[test]
fn chat_server_against_a_std_client() {
    let (mut server, port) = start_server("chat_server", Some("你好呀\n"), None);
    let mut client = connect_when_listening(port, &mut server);
    client.write_all("你好".as_bytes()).unwrap();
    assert_eq!(read_message(&mut client), "你好呀".as_bytes());
    client.write_all(b"q").unwrap();
    server.finish_ok();
    assert_eq!(server.stdout(), "接收: 你好\n发送: ");
    assert!(read_message(&mut client).is_empty(), "the chat is over");
}

#[test]
fn threaded_server_answers_a_std_client_while_another_waits() {
    let (mut server, port) = start_server("threaded_server", None, DOC_004.ready);
    let idle = connect_when_listening(port, &mut server);
    let mut busy = connect_when_listening(port, &mut server);
    busy.write_all("你好".as_bytes()).unwrap();
    let reply = String::from_utf8(read_message(&mut busy)).unwrap();
    assert!(
        reply.starts_with('[') && reply.ends_with("] 你好"),
        "{reply:?}"
    );
    assert!(is_ctime(&reply[1..25]), "{reply:?}");
    drop((idle, busy));
    assert!(
        server.wait_until(|out| out.matches("---closed").count() == 2),
        "{}",
        server.report()
    );
}

// ---------------------------------------------------------------------------
// The multiplexing and server examples

fn select_chat_server() -> (Running, u16) {
    start_server("select_chat_server", None, Some("Chat server listening on"))
}

/// A `std::net` client of a server that already listens.
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

#[test]
fn select_chat_server_relays_each_message_to_everyone_else() {
    let (mut server, port) = select_chat_server();
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
    let (mut server, port) = select_chat_server();
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
    let (mut server, port) = select_chat_server();
    let mut friend = connect(port);
    server.expect("connected from");
    // chat_client sends "hello", waits for an answer, then its input ends,
    // so it sends `q` and leaves.
    let command = Program::Rust("chat_client").command(port, &[]);
    let mut client = Running::start("chat_client", command, Some("hello\n"));
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
fn socketserver_echo_is_not_held_up_by_an_idle_client() {
    let (_server, port) = start_server("socketserver_echo", None, DOC_002.ready);
    let _idle = connect(port);
    let mut busy = connect(port);
    busy.write_all(b"not waiting").unwrap();
    assert_eq!(read_exact(&mut busy, 11), b"not waiting");
}

#[test]
fn servers_help_shows_their_documents_defaults() {
    for (name, host, port) in [
        ("select_chat_server", "127.0.0.1", "9999"),
        ("socketserver_echo", "localhost", "5000"),
    ] {
        let ended = run(name, &["--help"]);
        assert!(ended.status.success(), "{name} --help");
        let out = &ended.stdout;
        assert!(out.contains(host) && out.contains(port), "{name}: {out}");
    }
}

/// `fd_passing`: the parent hands its listener to a worker process and
/// closes its own copy; the worker, another process, accepts the parent's
/// connection on it and answers.
#[test]
fn fd_passing_worker_answers_on_the_parents_listener() {
    let ended = run("fd_passing", &[]);
    let out = &ended.stdout;
    assert!(
        ended.status.success(),
        "{}\n{out}{}",
        ended.status,
        ended.stderr
    );
    assert_glob(
        "Parent *: listening on 127.0.0.1:*\n\
         Parent: handing the listening socket (fd *) to the worker, and closing it here\n\
         Worker *: received \"listener\" and fd *: a socket listening on 127.0.0.1:*\n\
         Worker *: accepted 127.0.0.1:*, which says \"hello, worker\"\n\
         Parent received: hello from worker *, on the parent's listener\n\
         Parent: the worker * exited (exit status: 0)\n",
        out,
    );
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let word = |line: usize, i: usize| lines[line][i].trim_end_matches([':', ',']);
    let worker = word(2, 1);
    assert_ne!(worker, word(0, 1), "the worker is another process\n{out}");
    for (line, i) in [(3, 1), (4, 5), (5, 3)] {
        assert_eq!(word(line, i), worker, "one worker\n{out}");
    }
    let listening = |line: usize| *lines[line].last().expect("an address");
    assert_eq!(listening(0), listening(2), "the parent's listener\n{out}");
    for bad in [["--port", "x"], ["--worker", "x"]] {
        let ended = run("fd_passing", &bad);
        assert_eq!(ended.status.code(), Some(2), "{bad:?}: {}", ended.stderr);
        assert!(ended.stderr.starts_with("error: bad value"), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------
// Flags, refusals, the tour

#[test]
fn bad_flags_are_one_line_errors() {
    let bad: [&[&str]; 6] = [
        &["--port", "x"],
        &["--port", "70000"],
        &["--port=-1"],
        &["--no-such-flag", "1"],
        &["--port"],
        &["stray"],
    ];
    let timeouts: [&[&str]; 3] = [
        &["--timeout", "-1"],
        &["--timeout", "soon"],
        &["--timeout", "inf"],
    ];
    let cases = EXAMPLES
        .iter()
        .flat_map(|&name| bad.iter().map(move |&args| (name, args)))
        .chain(timeouts.iter().map(|&args| ("tcp_server", args)));
    for (name, args) in cases {
        let ended = run(name, args);
        let err = &ended.stderr;
        assert_eq!(
            ended.status.code(),
            Some(2),
            "{name} {args:?}: {}\n{err}",
            ended.status
        );
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{name} {args:?}: {err:?}"
        );
        assert!(ended.stdout.is_empty(), "{name} {args:?}");
    }
}

#[test]
fn help_names_the_document() {
    let documents = [
        "000", "000", "001", "001", "002", "002", "003", "003", "004", "004", "003", "002",
        "main job",
    ];
    for (name, document) in EXAMPLES.iter().zip(documents) {
        let ended = run(name, &["--help"]);
        let out = &ended.stdout;
        assert!(ended.status.success(), "{name} --help");
        assert!(
            out.contains(document),
            "{name} --help does not name {document}:\n{out}"
        );
        assert!(
            out.contains("--port") || *name == "tour",
            "{name} --help:\n{out}"
        );
    }
}

#[test]
fn clients_report_a_refused_connection_in_one_line() {
    // A socket bound but not listening holds the port: connects are refused.
    let holder = pysocket::Socket::new(pysocket::AF_INET, pysocket::SOCK_STREAM).unwrap();
    holder.bind((HOST, 0)).unwrap();
    let port = holder.getsockname().unwrap().port().unwrap();
    for name in [
        "tcp_client",
        "echo_client",
        "chat_client",
        "threaded_client",
    ] {
        let command = Program::Rust(name).command(port, &[]);
        let mut client = Running::start(name, command, Some("hello\n"));
        let status = client.finish();
        let err = client.stderr();
        assert_eq!(status.code(), Some(1), "{name}: {err}");
        assert_eq!(err, "Error: [Errno 111] Connection refused\n", "{name}");
    }
}

#[test]
fn tour_runs_every_pair_and_exits_zero() {
    let mut tour = Running::start("tour", Command::new(example("tour")), Some(""));
    let status = tour.finish();
    let out = tour.stdout();
    assert!(status.success(), "tour failed: {status}\n{}", tour.report());
    for heading in [
        "== document 000: tcp_server ⇄ tcp_client",
        "== document 001: udp_server ⇄ udp_client",
        "== document 002: echo_server ⇄ echo_client",
        "== document 002, on pysocket::server: socketserver_echo ⇄ echo_client",
        "== document 003 (and 001): chat_server ⇄ chat_client",
        "== document 001 and 003, improved: select_chat_server ⇄ two chat_clients",
        "== document 004: threaded_server ⇄ three threaded_clients at once",
        "== sendfile_server ⇄ an HTTP/1.0 client",
        "== http_server ⇄ an HTTP/1.1 client, one connection",
        "== fd_passing: parent ⇄ worker (a thread here)",
    ] {
        assert!(out.contains(heading), "no {heading:?} in\n{out}");
    }
    for line in [
        "server   │ Time out",
        "client   │ Client Received: Hello",
        "client   │ 接收: 你好, 我是服务器",
        "server   │ Received from ('127.0.0.1', ",
        "client   │ Client Received: Hello, thr",
        "alice    │ 接收: 你好, alice",
        "bob      │ 接收: 大家好",
        "parent   │ Parent received: hello from worker",
        "client   │ <li><a href=\"hello.txt\">hello.txt</a></li>",
        "client   │ Hello from http_server",
        "] \"GET /hello.txt HTTP/1.1\" 200 -",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }
    // The TLS pair, where the crate has TLS: two clients more of the echo server.
    let tls = cfg!(feature = "ssl");
    if tls {
        let heading = "== document 002, over TLS: tls_echo_server ⇄ tls_echo_client";
        assert!(out.contains(heading), "no {heading:?} in\n{out}");
        assert!(
            out.contains("client   │ Client Received:  TLS, in r"),
            "{out}"
        );
    }
    assert_eq!(out.matches("---closed").count(), 3, "{out}");
    assert_eq!(
        out.matches("Server Recv Over").count(),
        if tls { 6 } else { 4 },
        "{out}"
    );
    assert_eq!(out.matches(") left the chat").count(), 2, "{out}");
    assert!(
        out.ends_with("Every pair talked: the tour is over.\n"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------
// The documents' Python programs

#[test]
fn threaded_server_stamps_the_local_time_as_python_does() {
    if !python_available() {
        return;
    }
    let unix_time = || {
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs()
    };
    let port = fresh_port(false);
    let mut command = Program::Rust("threaded_server").command(port, &[]);
    command.env("TZ", "CST-8"); // UTC+8, with no time zone database needed
    let mut server = Running::start("threaded_server", command, None);
    server.expect("waiting for connection...");
    let mut client = connect_when_listening(port, &mut server);
    let before = unix_time();
    client.write_all(b"x").unwrap();
    let reply = String::from_utf8(read_message(&mut client)).unwrap();
    let after = unix_time();
    let stamp = &reply[1..reply.len() - 3];
    // Python's `ctime` of every second the exchange may have stamped, however
    // long Python itself takes to start.
    let script =
        format!("import time\nfor t in range({before}, {after} + 1): print(time.ctime(t))");
    let out = Command::new("python3")
        .args(["-c", &script])
        .env("TZ", "CST-8")
        .output()
        .expect("python3");
    let python = String::from_utf8(out.stdout).unwrap();
    assert!(
        python.lines().any(|line| line == stamp),
        "{stamp:?} is none of Python's {python:?}"
    );
}

// ---------------------------------------------------------------------------
// sendfile_server (the example of Socket::sendfile)

/// A file of a few MiB in a fresh temp dir, bytes that show any lost or
/// moved one: (the dir, the file's path, its bytes).
fn file_to_serve() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("served.bin");
    let data: Vec<u8> = (0..3usize << 20)
        .map(|i| (i % 251 + i / 4093) as u8)
        .collect();
    std::fs::write(&path, &data).expect("write the file");
    (dir, path, data)
}

/// `sendfile_server` serving `file` on a fresh port, once it listens.
fn start_sendfile_server(file: &Path) -> (Running, u16) {
    let port = fresh_port(false);
    let file = file.to_str().expect("a UTF-8 temp path");
    let command = Program::Rust("sendfile_server").command(port, &["--file", file]);
    let mut server = Running::start("sendfile_server", command, None);
    server.expect("Serving ");
    (server, port)
}

/// Sends an HTTP request and reads the response to its end: (head, body).
fn http(port: u16, request: &str) -> (String, Vec<u8>) {
    let mut stream = connect(port);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    again(|| stream.read_to_end(&mut response)).expect("read the response");
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {response:?}"));
    let head = String::from_utf8(response[..end].to_vec()).unwrap();
    (head, response[end + 4..].to_vec())
}

#[test]
fn sendfile_server_serves_its_file_to_a_std_client() {
    let (_dir, path, data) = file_to_serve();
    let (mut server, port) = start_sendfile_server(&path);
    let (head, body) = http(port, "GET /served.bin HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}\r\n", data.len())),
        "{head}"
    );
    assert!(body == data, "{} bytes arrived, not the file", body.len());
    let (head, body) = http(port, "GET /elsewhere HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.0 404 "), "{head}");
    assert_eq!(body, b"404 Not Found\n");
    server.expect(&format!(
        "\"GET /served.bin HTTP/1.0\" 200 {}\n",
        data.len()
    ));
    server.expect("\"GET /elsewhere HTTP/1.0\" 404 0\n");
}

#[test]
fn sendfile_server_serves_python_urllib() {
    if !python_available() {
        return;
    }
    let (_dir, path, data) = file_to_serve();
    let (_server, port) = start_sendfile_server(&path);
    let fetch = "import sys, urllib.request\n\
                 with urllib.request.urlopen(sys.argv[1], timeout=10) as r:\n    \
                 sys.stdout.buffer.write(r.read())";
    let url = format!("http://{HOST}:{port}/served.bin");
    let mut command = Command::new("python3");
    command.args(["-c", fetch, &url]);
    let mut python = Running::start("python3 urllib", command, Some(""));
    python.finish_ok();
    let got = python.stdout.lock().unwrap().clone();
    assert!(got == data, "urllib got {} bytes, not the file", got.len());
}

#[test]
fn sendfile_server_takes_the_usual_flags() {
    let ended = run("sendfile_server", &["--help"]);
    assert!(ended.status.success());
    for flag in ["--host", "--port", "--file", "8000", "sendfile"] {
        assert!(ended.stdout.contains(flag), "no {flag} in {}", ended.stdout);
    }
    let bad: [&[&str]; 3] = [&["--port", "x"], &["--no-such-flag", "1"], &["stray"]];
    for args in bad {
        let ended = run("sendfile_server", args);
        assert_eq!(ended.status.code(), Some(2), "{args:?}");
        assert!(ended.stderr.starts_with("error: ") && ended.stderr.lines().count() == 1);
    }
    let ended = run(
        "sendfile_server",
        &["--port", "0", "--file", "/no/such/file"],
    );
    assert_eq!(ended.status.code(), Some(1), "{}", ended.stderr);
}

// ---------------------------------------------------------------------------
// tls_echo_server and tls_echo_client: document 002's pair over TLS

#[cfg(feature = "ssl")]
#[path = "common/pki.rs"]
mod pki;

#[cfg(feature = "ssl")]
mod tls_echo {
    use super::*;
    use crate::pki::Pki;

    const READY: &str = "Server start, listening";

    /// What `tls_echo_client` prints when its message comes back whole.
    fn echoed(message: &str) -> String {
        let mut out = String::new();
        for piece in message.as_bytes().chunks(10) {
            out += &format!("Client Received: {}\n", String::from_utf8_lossy(piece));
        }
        out + "Closing connection to the server\n"
    }

    /// `program` serving on a fresh port with `extra` flags, once it listens;
    /// started again on another port if that one was taken meanwhile.
    fn start_tls_server(program: Program, extra: &[&str]) -> (Running, u16) {
        for _ in 0..3 {
            let port = fresh_port(false);
            let mut server = Running::start(
                format!("{program:?} {extra:?}"),
                program.command(port, extra),
                None,
            );
            if server.wait_until(|out| out.contains(READY)) {
                return (server, port);
            }
            if !server.stderr().contains("in use") {
                panic!("{} never listened\n{}", server.what, server.report());
            }
        }
        panic!("{program:?} could not bind a free port three times");
    }

    /// `tls_echo_server` with the certificate it makes, its CA written in
    /// `dir`: (the server, its port, the CA's path).
    fn generated_server(dir: &Path) -> (Running, u16, String) {
        let ca = dir.join("ca.pem").to_str().expect("UTF-8 path").to_string();
        let (server, port) =
            start_tls_server(Program::Rust("tls_echo_server"), &["--ca-out", ca.as_str()]);
        (server, port, ca)
    }

    fn path(p: &Path) -> &str {
        p.to_str().expect("a UTF-8 temp path")
    }

    /// A client that ends with status `code`: its (stdout, stderr).
    fn client_ending(port: u16, extra: &[&str], code: i32) -> (String, String) {
        let command = Program::Rust("tls_echo_client").command(port, extra);
        let mut client = Running::start("tls_echo_client", command, Some(""));
        let status = client.finish();
        assert_eq!(status.code(), Some(code), "{}", client.report());
        (client.stdout(), client.stderr())
    }

    #[test]
    fn pair_talks_over_tls_with_the_certificate_the_server_makes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut server, port, ca) = generated_server(dir.path());
        assert!(
            server.stdout().starts_with(&format!(
                "Certificate for localhost, 127.0.0.1 and ::1 made; its CA is in {ca}\n\
                 Server start, listening {port}\n"
            )),
            "{}",
            server.report()
        );
        let pem = std::fs::read_to_string(&ca).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(
            !pem.contains("PRIVATE KEY"),
            "only the CA's certificate is written"
        );

        // By address (127.0.0.1), by name (localhost), and a long message.
        let long = "Hello over TLS: 34 bytes, 10 a go";
        let runs: [(&[&str], &str); 3] = [
            (&[], "Hello"),
            (&["--host", "localhost"], "Hello"),
            (&["--message", long], long),
        ];
        for (i, (extra, message)) in runs.into_iter().enumerate() {
            let args = [&["--cafile", ca.as_str()], extra].concat();
            assert_eq!(
                client_output("tls_echo_client", port, &args, ""),
                echoed(message)
            );
            assert!(
                server.wait_until(|out| out.matches("Server Recv Over\n").count() == i + 1),
                "{}",
                server.report()
            );
        }
        assert!(server.stdout().ends_with(&format!(
            "Server Recv Data: {long}\nServer Send Data: {long}\nServer Recv Over\n"
        )));
        assert_eq!(server.stderr(), "", "no connection failed");
    }

    #[test]
    fn server_serves_the_pem_files_it_is_given() {
        let pki = Pki::new();
        let apart = [
            "--cert",
            path(&pki.server_cert),
            "--key",
            path(&pki.server_key),
        ];
        let combined = ["--cert", path(&pki.server_combined)];
        for flags in [&apart[..], &combined[..]] {
            let (mut server, port) = start_tls_server(Program::Rust("tls_echo_server"), flags);
            assert_eq!(
                server.stdout(),
                format!("{READY} {port}\n"),
                "makes nothing"
            );
            let out = client_output("tls_echo_client", port, &["--cafile", path(&pki.ca)], "");
            assert_eq!(out, echoed("Hello"));
            server.expect("Server Recv Over\n");
        }
    }

    /// A client whose CA did not sign the server's certificate stops at the
    /// handshake, as Python's does (`Socket error: [SSL:
    /// CERTIFICATE_VERIFY_FAILED] ...`); the server reports the client's alert
    /// and serves the next one.
    #[test]
    fn client_refuses_a_certificate_its_ca_did_not_sign() {
        let pki = Pki::new();
        let dir = tempfile::tempdir().unwrap();
        let (mut server, port, ca) = generated_server(dir.path());
        let (out, err) = client_ending(port, &["--cafile", path(&pki.rogue_ca)], 0);
        assert_eq!(
            out,
            "Socket error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: \
             unable to get local issuer certificate\nClosing connection to the server\n"
        );
        assert_eq!(err, "");
        let deadline = Instant::now() + PATIENCE;
        while !server.stderr().contains('\n') && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            server.stderr(),
            "Connection error: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca\n"
        );
        let out = client_output("tls_echo_client", port, &["--cafile", &ca], "");
        assert_eq!(out, echoed("Hello"));
        server.expect("Server Recv Over\n");
        assert_eq!(
            server.stdout().matches("Server Recv Data: Hello\n").count(),
            1,
            "only the second client got through\n{}",
            server.report()
        );
    }

    /// A plain-TCP client that sends HTTP gets an alert and a closed
    /// connection; the server goes on.
    #[test]
    fn server_survives_a_client_that_does_not_speak_tls() {
        let dir = tempfile::tempdir().unwrap();
        let (server, port, ca) = generated_server(dir.path());
        let mut plain = connect(port);
        plain.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        let _ = plain.read_to_end(&mut answer); // an alert, then the end (or a reset)
        assert!(
            answer.is_empty() || answer[0] == 21,
            "a TLS alert record, or nothing: {answer:?}"
        );
        let deadline = Instant::now() + PATIENCE;
        while !server.stderr().contains('\n') && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(
            server.stderr().starts_with("Connection error: "),
            "{}",
            server.report()
        );
        let out = client_output("tls_echo_client", port, &["--cafile", &ca], "");
        assert_eq!(out, echoed("Hello"));
    }

    #[test]
    fn python_ssl_client_talks_to_tls_echo_server() {
        if !python_available() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (mut server, port, ca) = generated_server(dir.path());
        // The script takes HOST PORT CAFILE: by address, then by name.
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/tls_echo_client.py");
        for host in [HOST, "localhost"] {
            let mut command = Command::new("python3");
            command
                .arg("-u")
                .arg(&script)
                .args([host, &port.to_string(), &ca])
                .env("PYTHONIOENCODING", "utf-8");
            let what = format!("python3 tls_echo_client.py {host}");
            let mut client = Running::start(what, command, Some(""));
            client.finish_ok();
            assert_eq!(client.stdout(), echoed("Hello"), "{}", client.report());
        }
        assert!(
            server.wait_until(|out| out.matches("Server Recv Over\n").count() == 2),
            "{}",
            server.report()
        );
        assert_eq!(
            server.stderr(),
            "",
            "Python's close without close_notify is a clean end"
        );
    }

    #[test]
    fn tls_echo_client_talks_to_a_python_ssl_server() {
        if !python_available() {
            return;
        }
        let pki = Pki::new();
        let flags = [path(&pki.server_cert), path(&pki.server_key)];
        let (mut server, port) = start_tls_server(Program::Python("tls_echo_server"), &flags);
        let message = "Hello, Python's ssl";
        let out = client_output(
            "tls_echo_client",
            port,
            &["--cafile", path(&pki.ca), "--message", message],
            "",
        );
        assert_eq!(out, echoed(message));
        server.expect("Server Recv Over\n");
        assert_eq!(
            server.stdout(),
            format!(
                "{READY} {port}\nServer Recv Data: {message}\nServer Send Data: {message}\n\
                 Server Recv Over\n"
            )
        );
        assert_eq!(server.stderr(), "", "close_notify, then the TCP close");
    }

    #[test]
    fn flags_help_and_bad_input() {
        for (name, words) in [
            (
                "tls_echo_server",
                &["002", "--port", "5443", "--cert", "--key", "--ca-out"][..],
            ),
            (
                "tls_echo_client",
                &["002", "--port", "5443", "--cafile", "--message"][..],
            ),
        ] {
            let ended = run(name, &["--help"]);
            assert!(ended.status.success(), "{name} --help");
            for word in words {
                assert!(
                    ended.stdout.contains(word),
                    "{name}: no {word} in\n{}",
                    ended.stdout
                );
            }
        }
        // Usage errors: one line, status 2, nothing done.
        let usage: [(&str, &[&str]); 6] = [
            ("tls_echo_server", &["--port", "x"]),
            ("tls_echo_server", &["--key", "/some/key.pem"]),
            ("tls_echo_server", &["--cert", "a.pem", "--ca-out", "b.pem"]),
            ("tls_echo_server", &["stray"]),
            ("tls_echo_client", &["--port", "70000"]),
            ("tls_echo_client", &["--no-such-flag", "1"]),
        ];
        for (name, args) in usage {
            let ended = run(name, args);
            assert_eq!(
                ended.status.code(),
                Some(2),
                "{name} {args:?}: {}",
                ended.stderr
            );
            assert!(
                ended.stderr.starts_with("error: ") && ended.stderr.lines().count() == 1,
                "{name} {args:?}: {:?}",
                ended.stderr
            );
            assert!(ended.stdout.is_empty(), "{name} {args:?}");
        }
        // Files that cannot be used: status 1, one line naming the file.
        let pki = Pki::new();
        let not_pem = pki.file("notes.txt", b"no certificate here\n");
        let port = fresh_port(false).to_string();
        let failing: [(&str, &[&str], &str); 4] = [
            ("tls_echo_server", &["--port", &port, "--cert", "/no/such/cert.pem"],
             "Error: cannot load --cert /no/such/cert.pem: [Errno 2] No such file or directory\n"),
            ("tls_echo_server", &["--port", &port, "--cert", path(&pki.server_cert), "--key", path(&pki.client_key)],
             "Error: cannot load --cert "),
            ("tls_echo_client", &["--port", &port, "--cafile", "/no/such/ca.pem"],
             "Error: cannot load --cafile /no/such/ca.pem: [Errno 2] No such file or directory\n"),
            ("tls_echo_client", &["--port", &port, "--cafile", path(&not_pem)],
             "Error: cannot load --cafile "),
        ];
        for (name, args, expected) in failing {
            let ended = run(name, args);
            assert_eq!(
                ended.status.code(),
                Some(1),
                "{name} {args:?}: {}",
                ended.stderr
            );
            assert!(
                ended.stderr.starts_with(expected),
                "{name} {args:?}: {:?}",
                ended.stderr
            );
            assert_eq!(ended.stderr.lines().count(), 1, "{:?}", ended.stderr);
            assert!(ended.stdout.is_empty(), "{name} {args:?}: {}", ended.stdout);
        }
    }

    #[test]
    fn client_reports_a_refused_connection_in_one_line() {
        let holder = pysocket::Socket::new(pysocket::AF_INET, pysocket::SOCK_STREAM).unwrap();
        holder.bind((HOST, 0)).unwrap();
        let port = holder.getsockname().unwrap().port().unwrap();
        let pki = Pki::new();
        let (out, err) = client_ending(port, &["--cafile", path(&pki.ca)], 1);
        assert_eq!(
            (out.as_str(), err.as_str()),
            ("", "Error: [Errno 111] Connection refused\n")
        );
    }
}
