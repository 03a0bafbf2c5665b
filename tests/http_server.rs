//! The `http_server` example (Python's `http.server` on `pysocket::server`),
//! run as the built binary on port 0 over a temp directory, against real
//! clients: Python's `urllib` and `http.client`, `curl`, Python's own
//! `http.server` answering the same requests, and raw sockets of this crate
//! for what clients never send (bad request lines, `..`, endless lines).
//!
//! Every process a test starts is killed when the test ends, by a watchdog
//! if the test outlives `LIFETIME`, and on Linux by the kernel if the test's
//! thread dies first; every wait has a deadline.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pysocket::{create_connection, Socket, SocketFile};

const HOST: &str = "127.0.0.1";
/// How long anything that should happen "at once" on loopback may take.
const PATIENCE: Duration = Duration::from_secs(20);
/// The longest any process a test starts may live.
const LIFETIME: Duration = Duration::from_secs(120);
/// The secret next to the served directory, which no request may reach.
const SECRET: &[u8] = b"the secret outside the served directory\n";

// ---------------------------------------------------------------------------
// Processes

/// The built example, next to this test binary
/// (`target/debug/deps/http_server-…` → `target/debug/examples/http_server`),
/// refused if older than its sources.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let target = exe.parent().and_then(Path::parent).expect("target dir");
    let path = target.join("examples").join("http_server");
    assert!(
        path.is_file(),
        "{} is missing: build the examples first (`cargo build --examples`)",
        path.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = modified(&path);
    let mut dirs = vec![root.join("src"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let source = entry.path();
            if source.is_dir() {
                dirs.push(source);
            } else if source.extension().is_some_and(|ext| ext == "rs") {
                assert!(
                    modified(&source) <= built,
                    "{} is older than {}: rebuild it (`cargo build --examples`)",
                    path.display(),
                    source.display()
                );
            }
        }
    }
    path
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether `program` runs here; the tests that need it skip, saying so.
fn available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("{program} not found: skipping the test that needs it");
    }
    found
}

/// A child process of a test, its output collected as it comes; killed and
/// reaped when dropped.
struct Process {
    what: String,
    child: Arc<Mutex<Child>>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    /// Dropping the sender stops the watchdog.
    watchdog: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Process {
    fn spawn(what: impl Into<String>, mut command: Command) -> Process {
        let what = what.into();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: the closure runs in the child between fork and exec,
            // and only calls prctl, which is async-signal-safe and touches
            // nothing but the child's own state.
            unsafe {
                command.pre_exec(|| {
                    // The child dies with the thread that started it.
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("stdout"), &stdout),
            collect(child.stderr.take().expect("stderr"), &stderr),
        ];
        let child = Arc::new(Mutex::new(child));
        let (stop, stopped) = mpsc::channel::<()>();
        let watched = Arc::clone(&child);
        let watchdog = thread::spawn(move || {
            if stopped.recv_timeout(LIFETIME) == Err(RecvTimeoutError::Timeout) {
                let _ = watched.lock().unwrap().kill();
            }
        });
        Process {
            what,
            child,
            stdout,
            stderr,
            readers,
            watchdog: Some((stop, watchdog)),
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn stdout_bytes(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    fn report(&self) -> String {
        format!(
            "{}\nstdout: {:?}\nstderr: {:?}",
            self.what,
            self.stdout(),
            self.stderr()
        )
    }

    fn exited(&self) -> Option<ExitStatus> {
        self.child.lock().unwrap().try_wait().expect("try_wait")
    }

    /// Waits until `done` holds of what the process printed on stdout (and
    /// stderr), or panics with its output if it ends or the deadline passes.
    fn wait_for(&mut self, what: &str, done: impl Fn(&str, &str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(&self.stdout(), &self.stderr()) {
                return;
            }
            if self.exited().is_some() {
                self.drain();
                if done(&self.stdout(), &self.stderr()) {
                    return;
                }
                panic!("ended before {what}: {}", self.report());
            }
            assert!(
                Instant::now() < deadline,
                "no {what} in time: {}",
                self.report()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the process to end, or panics with its output.
    fn finish(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE * 2;
        loop {
            if let Some(status) = self.exited() {
                self.drain();
                return status;
            }
            assert!(Instant::now() < deadline, "did not end: {}", self.report());
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the readers, which end once the process's pipes close.
    fn drain(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some((stop, watchdog)) = self.watchdog.take() {
            drop(stop);
            let _ = watchdog.join();
        }
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
        drop(child);
        self.drain();
    }
}

fn collect(mut pipe: impl Read + Send + 'static, into: &Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    let into = Arc::clone(into);
    thread::spawn(move || {
        let mut buf = [0; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    })
}

/// Runs `program` with `args` to its end; panics unless it succeeds.
/// Returns what it printed on stdout and stderr.
fn run_ok(program: &str, args: &[&str]) -> (Vec<u8>, String) {
    let mut command = Command::new(program);
    command.args(args);
    let mut process = Process::spawn(format!("{program} {args:?}"), command);
    let status = process.finish();
    assert!(status.success(), "{status}: {}", process.report());
    (process.stdout_bytes(), process.stderr())
}

/// Runs a Python script with `args`; its stdout, as text.
fn python(script: &str, args: &[&str]) -> String {
    let mut all = vec!["-c", script];
    all.extend_from_slice(args);
    let (stdout, _) = run_ok("python3", &all);
    String::from_utf8(stdout).expect("UTF-8 from python3")
}

// ---------------------------------------------------------------------------
// The server and what it serves

/// The files served: `www/` in a temp dir, beside a secret no request may
/// reach.
struct Tree {
    dir: tempfile::TempDir,
    small: Vec<u8>,
    big: Vec<u8>,
    quoted: Vec<u8>,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("pysocket-http")
            .tempdir()
            .expect("temp dir");
        let www = dir.path().join("www");
        let small = b"hello, http_server\n".to_vec();
        let big: Vec<u8> = (0..3usize << 20)
            .map(|i| (i % 251 + i / 4093) as u8)
            .collect();
        let quoted = b"a name to quote\n".to_vec();
        std::fs::create_dir_all(www.join("sub")).unwrap();
        std::fs::create_dir_all(www.join("with_index")).unwrap();
        std::fs::write(www.join("small.txt"), &small).unwrap();
        std::fs::write(www.join("big.bin"), &big).unwrap();
        std::fs::write(www.join("a b&c.txt"), &quoted).unwrap();
        std::fs::write(www.join("sub").join("inner.txt"), b"inner\n").unwrap();
        std::fs::write(
            www.join("with_index").join("index.html"),
            b"<p>the index</p>\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
        Tree {
            dir,
            small,
            big,
            quoted,
        }
    }

    fn www(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    fn www_str(&self) -> String {
        self.www().to_str().expect("a UTF-8 temp path").to_string()
    }

    /// A fresh directory beside `www/` for a client's downloads.
    fn out(&self, name: &str) -> PathBuf {
        let out = self.dir.path().join(name);
        std::fs::create_dir_all(&out).unwrap();
        out
    }
}

/// The example serving `tree` on 127.0.0.1 and a port the system picks.
struct Server {
    process: Process,
    port: u16,
}

impl Server {
    fn start(tree: &Tree, extra: &[&str]) -> Server {
        let mut command = Command::new(example());
        command.args(["0", "--bind", HOST, "--directory", &tree.www_str()]);
        command.args(extra);
        let mut process = Process::spawn("http_server", command);
        process.wait_for("Serving line", |out, _| out.ends_with(" ...\n"));
        let out = process.stdout();
        let port: u16 = out
            .strip_prefix("Serving HTTP on 127.0.0.1 port ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {out:?}"));
        assert_eq!(
            out,
            format!("Serving HTTP on 127.0.0.1 port {port} (http://127.0.0.1:{port}/) ...\n"),
            "Python's line"
        );
        Server { process, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{HOST}:{}{path}", self.port)
    }

    /// Waits until the server has logged `count` whole lines (requests or
    /// errors) in all.
    fn wait_for_log_lines(&mut self, count: usize) {
        self.process.wait_for("log lines", |_, err| {
            err.split_inclusive('\n')
                .filter(|line| line.ends_with('\n') && line.contains(" - - ["))
                .count()
                >= count
        });
    }
}

// ---------------------------------------------------------------------------
// A client on this crate's sockets

/// A response as read from the wire.
#[derive(Debug)]
struct Response {
    status: String,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

fn connect(port: u16) -> Socket {
    create_connection((HOST, port), Some(PATIENCE)).expect("connect to http_server")
}

/// Reads one response: its head, then `Content-Length` bytes of body (none
/// for `HEAD`).
fn read_response(file: &mut SocketFile<'_>, head_request: bool) -> Response {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = file.read_text_line(&mut line).expect("read the head");
        assert!(n > 0, "the connection ended inside a head: {head:?}");
        if line == "\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.lines().next().unwrap_or_default().to_string();
    let mut response = Response {
        status,
        head,
        body: Vec::new(),
    };
    if !head_request {
        let length: usize = response
            .header("Content-Length")
            .and_then(|len| len.parse().ok())
            .unwrap_or_else(|| panic!("no Content-Length in {:?}", response.head));
        response.body = vec![0; length];
        file.read_exact(&mut response.body).expect("read the body");
    }
    response
}

/// Reads until the server closes (or resets) the connection.
fn read_to_end(sock: &Socket) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        match sock.recv(64 << 10) {
            Ok(data) if data.is_empty() => return all,
            Ok(data) => all.extend_from_slice(&data),
            // A server that closes with unread data resets the connection;
            // what arrived before still counts.
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(err) => panic!("reading to the end: {err} after {} bytes", all.len()),
        }
    }
}

/// Sends `request` on a fresh connection; everything the server sends
/// until it closes. The server may close before it has read all of a
/// request it refuses, so a failed send is not an error here.
fn exchange(port: u16, request: &[u8]) -> String {
    let sock = connect(port);
    let _ = sock.sendall(request);
    String::from_utf8_lossy(&read_to_end(&sock)).into_owned()
}

/// Whether `sock`'s peer has closed: the next `recv` gives end of stream.
fn closed_by_server(sock: &Socket) -> bool {
    matches!(sock.recv(1), Ok(data) if data.is_empty())
}

// ---------------------------------------------------------------------------
// Real clients: urllib, http.client, curl, and Python's own server

/// `urllib.request.urlopen`, as a program fetching files does it: files
/// byte for byte, `HEAD`, `404`, the listing, the `301` followed, the index.
#[test]
fn urllib_fetches_files_listings_and_errors() {
    if !available("python3") {
        return;
    }
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    let out = tree.out("urllib");
    let script = r#"
import email.utils, sys, urllib.error, urllib.request
base, out = sys.argv[1], sys.argv[2]
def fetch(name, path, method="GET"):
    request = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            body = r.read()
            status, url, headers = r.status, r.geturl(), r.headers
    except urllib.error.HTTPError as e:
        body, status, url, headers = e.read(), e.code, e.geturl(), e.headers
    open(out + "/" + name, "wb").write(body)
    modified = headers.get("Last-Modified")
    stamp = int(email.utils.parsedate_to_datetime(modified).timestamp()) if modified else "-"
    print(name, status, url, headers.get("Content-Type"), headers.get("Content-Length"), stamp, sep="|")
fetch("small", "/small.txt")
fetch("big", "/big.bin")
fetch("quoted", "/a%20b%26c.txt")
fetch("head", "/big.bin", "HEAD")
fetch("missing", "/no-such-file.txt")
fetch("listing", "/")
fetch("sub", "/sub")
fetch("index", "/with_index/")
"#;
    let printed = python(
        script,
        &[&server.url(""), out.to_str().expect("UTF-8 temp path")],
    );
    let facts: Vec<Vec<&str>> = printed.lines().map(|l| l.split('|').collect()).collect();
    let fact = |name: &str| -> &Vec<&str> {
        facts
            .iter()
            .find(|fact| fact[0] == name)
            .unwrap_or_else(|| panic!("no {name} in {printed}"))
    };
    let body = |name: &str| std::fs::read(out.join(name)).unwrap();
    let www = tree.www();
    let mtime = |name: &str| {
        modified(&www.join(name))
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string()
    };

    let small = fact("small");
    assert_eq!(
        small[1..],
        [
            "200",
            &server.url("/small.txt"),
            "text/plain",
            "19",
            &mtime("small.txt")
        ],
        "{printed}"
    );
    assert_eq!(body("small"), tree.small);
    let big = fact("big");
    assert_eq!(
        big[1..4],
        ["200", &server.url("/big.bin"), "application/octet-stream"]
    );
    assert_eq!(big[4], tree.big.len().to_string());
    assert!(body("big") == tree.big, "the 3 MiB file came back changed");
    assert_eq!(fact("quoted")[1], "200");
    assert_eq!(body("quoted"), tree.quoted);

    let head = fact("head");
    assert_eq!(head[1], "200", "{printed}");
    assert_eq!(head[4], tree.big.len().to_string(), "HEAD tells the length");
    assert_eq!(
        head[5],
        mtime("big.bin"),
        "Last-Modified is the file's mtime"
    );
    assert!(body("head").is_empty(), "HEAD has no body");

    assert_eq!(fact("missing")[1], "404", "{printed}");
    assert!(String::from_utf8(body("missing"))
        .unwrap()
        .contains("<p>Error code: 404</p>"));

    let listing = fact("listing");
    assert_eq!(
        listing[1..4],
        ["200", &server.url("/"), "text/html; charset=utf-8"]
    );
    let html = String::from_utf8(body("listing")).unwrap();
    for entry in [
        "<li><a href=\"a%20b%26c.txt\">a b&amp;c.txt</a></li>\n\
         <li><a href=\"big.bin\">big.bin</a></li>\n\
         <li><a href=\"small.txt\">small.txt</a></li>\n\
         <li><a href=\"sub/\">sub/</a></li>\n\
         <li><a href=\"with_index/\">with_index/</a></li>\n",
        "<title>Directory listing for /</title>",
    ] {
        assert!(html.contains(entry), "no {entry:?} in\n{html}");
    }
    assert!(!html.contains("secret"), "{html}");

    let sub = fact("sub");
    assert_eq!(
        sub[1..3],
        ["200", &server.url("/sub/")],
        "the 301 was followed"
    );
    let html = String::from_utf8(body("sub")).unwrap();
    assert!(
        html.contains("<a href=\"inner.txt\">inner.txt</a>"),
        "{html}"
    );

    assert_eq!(
        fact("index")[1..4],
        ["200", &server.url("/with_index/"), "text/html"]
    );
    assert_eq!(body("index"), b"<p>the index</p>\n");
}

/// `http.client.HTTPConnection` sends several requests on one connection:
/// the same socket, the same local port, throughout; the server logs every
/// request.
#[test]
fn http_client_keeps_one_connection_for_many_requests() {
    if !available("python3") {
        return;
    }
    let tree = Tree::new();
    let mut server = Server::start(&tree, &[]);
    let script = r#"
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
first = None
for method, path in [("GET", "/small.txt"), ("HEAD", "/big.bin"), ("GET", "/big.bin"),
                     ("GET", "/sub/"), ("GET", "/a%20b%26c.txt"), ("GET", "/small.txt")]:
    conn.request(method, path)
    r = conn.getresponse()
    body = r.read()
    if first is None:
        first = conn.sock
    print(method, path, r.status, len(body), r.getheader("Content-Length"),
          conn.sock is first, conn.sock.getsockname()[1], r.getheader("Connection"))
conn.close()
"#;
    let printed = python(script, &[&server.port.to_string()]);
    let lines: Vec<Vec<&str>> = printed
        .lines()
        .map(|line| line.split(' ').collect())
        .collect();
    assert_eq!(lines.len(), 6, "{printed}");
    let big = tree.big.len().to_string();
    let small = tree.small.len().to_string();
    let expected = [
        ("GET", "/small.txt", small.as_str(), small.as_str()),
        ("HEAD", "/big.bin", "0", big.as_str()),
        ("GET", "/big.bin", big.as_str(), big.as_str()),
        ("GET", "/sub/", "", ""),
        ("GET", "/a%20b%26c.txt", "16", "16"),
        ("GET", "/small.txt", small.as_str(), small.as_str()),
    ];
    for (line, (method, path, length, header)) in lines.iter().zip(expected) {
        assert_eq!(line[..3], [method, path, "200"], "{printed}");
        if !length.is_empty() {
            assert_eq!(line[3..5], [length, header], "{printed}");
        }
        assert_eq!(line[5], "True", "the same socket: {printed}");
        assert_eq!(line[6], lines[0][6], "the same local port: {printed}");
        assert_eq!(line[7], "keep-alive", "{printed}");
    }
    server.wait_for_log_lines(6);
    let log = server.process.stderr();
    assert!(
        log.contains("127.0.0.1 - - [") && log.contains("] \"HEAD /big.bin HTTP/1.1\" 200 -\n"),
        "{log}"
    );
}

/// `curl`: a download byte for byte, `curl -I`, and two URLs on one command
/// line sharing the connection.
#[test]
fn curl_downloads_and_reuses_the_connection() {
    if !available("curl") {
        return;
    }
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    let out = tree.out("curl");
    let file = |name: &str| out.join(name).to_str().unwrap().to_string();

    run_ok(
        "curl",
        &[
            "-sS",
            "--max-time",
            "60",
            "-o",
            &file("big"),
            &server.url("/big.bin"),
        ],
    );
    assert!(
        std::fs::read(out.join("big")).unwrap() == tree.big,
        "curl's download is not the file"
    );

    let (head, _) = run_ok(
        "curl",
        &["-sS", "--max-time", "60", "-I", &server.url("/big.bin")],
    );
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let length = format!("content-length: {}\r\n", tree.big.len());
    assert!(head.to_lowercase().contains(&length), "{head}");
    assert!(
        head.contains("Last-Modified: ") && head.contains(" GMT\r\n"),
        "{head}"
    );
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head:?}");

    let (_, verbose) = run_ok(
        "curl",
        &[
            "-sS",
            "-v",
            "--max-time",
            "60",
            "-o",
            &file("one"),
            &server.url("/a%20b%26c.txt"),
            "-o",
            &file("two"),
            &server.url("/small.txt"),
        ],
    );
    let reused = verbose.to_lowercase();
    assert!(
        reused.contains("re-using existing connection")
            || reused.contains("reusing existing connection"),
        "curl opened a second connection:\n{verbose}"
    );
    assert_eq!(std::fs::read(out.join("one")).unwrap(), tree.quoted);
    assert_eq!(std::fs::read(out.join("two")).unwrap(), tree.small);

    let (code, _) = run_ok(
        "curl",
        &[
            "-sS",
            "--max-time",
            "60",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &server.url("/nothing"),
        ],
    );
    assert_eq!(code, b"404");
}

/// Python's own `http.server` (with `--protocol HTTP/1.1`) and the example,
/// serving the same directory, answer every request alike: the status, the
/// redirect's `Location`, the type, the length and the bytes of a file, the
/// links of a listing.
#[test]
fn answers_as_pythons_http_server_does() {
    if !available("python3") {
        return;
    }
    let tree = Tree::new();
    let ours = Server::start(&tree, &[]);
    let mut command = Command::new("python3");
    command.args(["-u", "-m", "http.server", "--protocol", "HTTP/1.1"]);
    command.args(["--bind", HOST, "--directory", &tree.www_str(), "0"]);
    let mut theirs = Process::spawn("python3 -m http.server", command);
    theirs.wait_for("Serving line", |out, _| out.ends_with(" ...\n"));
    let their_port = theirs
        .stdout()
        .split(" port ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .map(str::to_string)
        .expect("python's port");
    let script = r#"
import hashlib, html.parser, http.client, sys
class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.href = [], None
    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href = dict(attrs)["href"]
    def handle_data(self, data):
        if self.href is not None:
            self.links.append((self.href, data))
            self.href = None
paths = ["/", "/small.txt", "/big.bin", "/a%20b%26c.txt", "/sub", "/sub/",
         "/sub?q=1", "/sub/inner.txt", "/with_index", "/with_index/", "/with_index/index.html",
         "/small.txt/", "/small.txt?x=1#y", "/no-such", "//small.txt", "/../secret.txt",
         "/%2e%2e/secret.txt", "/sub/..%2f..%2fsecret.txt", "/sub/%2E%2E/%2e%2e/secret.txt",
         "/%2fetc%2fpasswd", "/.", "/..", "/sub/.."]
for port in sys.argv[1:]:
    for method in ["GET", "HEAD"]:
        for path in paths:
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
            conn.request(method, path)
            r = conn.getresponse()
            body = r.read()
            kind = r.getheader("Content-Type")
            if r.status == 200 and kind.startswith("text/html; charset="):
                parser = Links()
                parser.feed(body.decode())
                what = repr(parser.links)
            elif r.status == 200:
                what = (r.getheader("Content-Length"), len(body), hashlib.sha256(body).hexdigest())
            else:
                what = len(body) > 0
            print(method, path, r.status, r.getheader("Location"), kind, what)
            conn.close()
    print("--")
"#;
    let printed = python(script, &[&ours.port.to_string(), &their_port]);
    let (mine, python_s) = printed
        .split_once("--\n")
        .unwrap_or_else(|| panic!("{printed}"));
    let python_s = python_s.trim_end_matches("--\n");
    for (mine, theirs) in mine.lines().zip(python_s.lines()) {
        assert_eq!(mine, theirs, "pysocket's answer, then Python's");
    }
    assert_eq!(mine.lines().count(), python_s.lines().count(), "{printed}");
    assert!(!mine.contains("secret.txt 200"), "{mine}");
}

// ---------------------------------------------------------------------------
// What clients never send: raw sockets

#[test]
fn other_methods_get_501_and_bad_request_lines_400() {
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let request = format!("{method} /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        let answer = exchange(server.port, request.as_bytes());
        let status = format!("HTTP/1.1 501 Unsupported method ('{method}')\r\n");
        assert!(answer.starts_with(&status), "{answer}");
        assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
        assert!(answer.contains("<p>Error code: 501</p>"), "{answer}");
    }
    let bad: [(&[u8], &str); 8] = [
        (b"HELLO\r\n\r\n", "400 Bad request syntax ('HELLO')"),
        (
            b"GET / HTTP/1.1 more\r\n\r\n",
            "400 Bad request version ('more')",
        ),
        (
            b"GET / HTTX/1.1\r\n\r\n",
            "400 Bad request version ('HTTX/1.1')",
        ),
        (
            b"GET / HTTP/1.x\r\n\r\n",
            "400 Bad request version ('HTTP/1.x')",
        ),
        (
            b"GET / HTTP/1\r\n\r\n",
            "400 Bad request version ('HTTP/1')",
        ),
        (b"GET / HTTP/2.0\r\n\r\n", "505 Invalid HTTP version (2.0)"),
        (
            b"GET /a b c HTTP/1.1\r\n\r\n",
            "400 Bad request syntax ('GET /a b c HTTP/1.1')",
        ),
        (b"GET /\x1b[2J HTTP/1.1\r\n\r\n", "404 File not found"),
    ];
    for (request, status) in bad {
        let answer = exchange(server.port, request);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{:?}: {answer}",
            String::from_utf8_lossy(request)
        );
    }
    // HTTP/0.9: the body alone, and only GET.
    // (Python reads headers after an HTTP/0.9 line too: the blank line ends them.)
    let answer = exchange(server.port, b"GET /small.txt\r\n\r\n");
    assert_eq!(answer.as_bytes(), tree.small);
    let answer = exchange(server.port, b"HEAD /small.txt\r\n\r\n");
    assert!(
        answer.contains("<p>Message: Bad HTTP/0.9 request type ('HEAD').</p>"),
        "{answer}"
    );
    // The log escapes what would drive a terminal.
    let mut server = server;
    let logged = "\"GET /\\x1b[2J HTTP/1.1\" 404 -\n";
    server
        .process
        .wait_for("the escaped line", |_, log| log.contains(logged));
    assert!(!server.process.stderr().contains('\x1b'));
}

/// No request reaches outside the served directory: `..` plain or
/// percent-encoded, in any case, `%2f` for `/`.
#[test]
fn paths_stay_inside_the_directory() {
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    let secret = String::from_utf8_lossy(SECRET).into_owned();
    for path in [
        "/../secret.txt",
        "/../../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "..%2fsecret.txt",
        "../secret.txt",
        "/%2fsecret.txt",
        "/..%5csecret.txt",
        "/%00/../secret.txt",
    ] {
        let answer = exchange(
            server.port,
            format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes(),
        );
        assert!(
            answer.starts_with("HTTP/1.1 404 File not found\r\n"),
            "{path}: {answer}"
        );
        assert!(!answer.contains(&secret), "{path} reached the secret");
    }
    // `..` inside the directory still works, and stops at its top.
    let answer = exchange(server.port, b"GET /sub/../small.txt HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("hello, http_server\n"));
    let answer = exchange(server.port, b"GET /../../small.txt HTTP/1.0\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
}

/// A request line over 65536 bytes is a 414, as in Python; a header line
/// over 65536 bytes or more than 100 header lines a 431. What the server
/// reads stays bounded whatever the client sends.
#[test]
fn request_lines_and_headers_are_bounded() {
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    // Exactly 65536 bytes with its CRLF: long, but allowed.
    let path = "a".repeat(65536 - "GET / HTTP/1.1\r\n".len());
    let answer = exchange(
        server.port,
        format!("GET /{path} HTTP/1.1\r\n\r\n").as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 404 "), "{}", &answer[..60]);
    let answer = exchange(
        server.port,
        format!("GET /{path}a HTTP/1.1\r\n\r\n").as_bytes(),
    );
    assert!(
        answer.starts_with("HTTP/1.1 414 Request-URI Too Long\r\n"),
        "{}",
        &answer[..60]
    );

    // A line that never ends: the server answers after 64 KiB, without
    // waiting for the rest.
    let sock = connect(server.port);
    let _ = sock.sendall(&vec![b'x'; 200 << 10]);
    let answer = String::from_utf8_lossy(&read_to_end(&sock)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 414 "), "{answer}");

    let long = format!("GET / HTTP/1.1\r\nX-Long: {}\r\n\r\n", "v".repeat(70_000));
    let answer = exchange(server.port, long.as_bytes());
    assert!(
        answer.starts_with("HTTP/1.1 431 Line too long\r\n"),
        "{answer}"
    );
    let headers = |count: usize| {
        let mut request = String::from("GET /small.txt HTTP/1.1\r\n");
        for i in 0..count {
            request.push_str(&format!("X-Header-{i}: {i}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        request
    };
    // 99 lines and the blank one: the most allowed.
    let answer = exchange(server.port, headers(98).as_bytes());
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let answer = exchange(server.port, headers(99).as_bytes());
    assert!(
        answer.starts_with("HTTP/1.1 431 Too many headers\r\n"),
        "{answer}"
    );
}

/// Requests pipelined on one connection are answered in order; a `HEAD`
/// sends no body (the next answer follows its head at once); an idle
/// connection does not hold up another; `Connection: close` ends it.
#[test]
fn keep_alive_serves_requests_in_order_until_close() {
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    let idle = connect(server.port);
    let sock = connect(server.port);
    sock.sendall(
        b"GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n\
          HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /a%20b%26c.txt HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let mut file = sock.makefile();
    let small = read_response(&mut file, false);
    assert_eq!(small.status, "HTTP/1.1 200 OK");
    assert_eq!(small.header("Connection"), Some("keep-alive"));
    assert_eq!(small.header("Content-type"), Some("text/plain"));
    assert_eq!(small.body, tree.small);
    let head = read_response(&mut file, true);
    assert_eq!(head.status, "HTTP/1.1 200 OK");
    assert_eq!(
        head.header("Content-Length"),
        Some(&*tree.big.len().to_string())
    );
    let quoted = read_response(&mut file, false);
    assert_eq!(quoted.status, "HTTP/1.1 200 OK", "HEAD sent no body");
    assert_eq!(quoted.body, tree.quoted);
    let big = read_response(&mut file, false);
    assert!(big.body == tree.big, "the big file came back changed");

    file.write_all(b"GET /sub HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    file.flush().unwrap();
    let redirect = read_response(&mut file, false);
    assert_eq!(redirect.status, "HTTP/1.1 301 Moved Permanently");
    assert_eq!(redirect.header("Location"), Some("/sub/"));

    file.write_all(b"GET /small.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    file.flush().unwrap();
    let last = read_response(&mut file, false);
    assert_eq!(last.header("Connection"), Some("close"));
    assert_eq!(last.body, tree.small);
    drop(file);
    assert!(closed_by_server(&sock), "Connection: close is honoured");

    idle.sendall(b"GET /small.txt HTTP/1.1\r\n\r\n").unwrap();
    let mut file = idle.makefile();
    assert_eq!(read_response(&mut file, false).body, tree.small);
}

/// HTTP/1.0 closes after each answer unless the client asks to keep the
/// connection; a request with a body closes it too.
#[test]
fn http_1_0_closes_unless_keep_alive_is_asked() {
    let tree = Tree::new();
    let server = Server::start(&tree, &[]);
    let sock = connect(server.port);
    sock.sendall(b"GET /small.txt HTTP/1.0\r\n\r\n").unwrap();
    let mut file = sock.makefile();
    let response = read_response(&mut file, false);
    assert_eq!(response.status, "HTTP/1.1 200 OK");
    assert_eq!(response.header("Connection"), Some("close"));
    assert_eq!(response.body, tree.small);
    drop(file);
    assert!(closed_by_server(&sock));

    let sock = connect(server.port);
    let mut file = sock.makefile();
    for _ in 0..3 {
        file.write_all(b"GET /small.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        file.flush().unwrap();
        let response = read_response(&mut file, false);
        assert_eq!(response.header("Connection"), Some("keep-alive"));
        assert_eq!(response.body, tree.small);
    }

    let sock = connect(server.port);
    sock.sendall(b"GET /small.txt HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        .unwrap();
    let mut file = sock.makefile();
    let response = read_response(&mut file, false);
    assert_eq!(response.header("Connection"), Some("close"));
    assert_eq!(response.body, tree.small);
    drop(file);
    assert!(closed_by_server(&sock), "the body is not a request");
}

/// `--timeout`: a connection silent that long is closed, before its first
/// request or between two, and the server logs it as Python does.
#[test]
fn idle_connections_time_out() {
    let tree = Tree::new();
    let mut server = Server::start(&tree, &["--timeout", "1"]);
    let started = Instant::now();
    let silent = connect(server.port);
    let kept = connect(server.port);
    kept.sendall(b"GET /small.txt HTTP/1.1\r\n\r\n").unwrap();
    let mut file = kept.makefile();
    assert_eq!(read_response(&mut file, false).body, tree.small);
    drop(file);
    assert!(closed_by_server(&silent), "the silent connection ended");
    assert!(
        closed_by_server(&kept),
        "the idle keep-alive connection ended"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed after {:?}, before the timeout",
        started.elapsed()
    );
    server.process.wait_for("two timeouts logged", |_, log| {
        log.matches("] Request timed out: timed out\n").count() == 2
    });
}

// ---------------------------------------------------------------------------
// The command line

#[test]
fn takes_pythons_command_line() {
    let (help, _) = run_ok(example().to_str().unwrap(), &["--help"]);
    let help = String::from_utf8(help).unwrap();
    for word in [
        "http.server",
        "[port]",
        "--bind",
        "--directory",
        "8000",
        "--timeout",
    ] {
        assert!(help.contains(word), "no {word} in\n{help}");
    }
    let bad: [&[&str]; 10] = [
        &["x"],
        &["70000"],
        &["-1"],
        &["0", "1"],
        &["--no-such-flag"],
        &["--bind"],
        &["--timeout", "0"],
        &["--timeout", "soon"],
        &["--directory", "/no/such/directory"],
        &["0", "--bind", "192.0.2.1"],
    ];
    for args in bad {
        let mut process = Process::spawn(format!("http_server {args:?}"), {
            let mut command = Command::new(example());
            command.args(args);
            command
        });
        let status = process.finish();
        let err = process.stderr();
        let expected = if args[0] == "0" && args.len() == 3 {
            1
        } else {
            2
        };
        assert_eq!(status.code(), Some(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(process.stdout().is_empty(), "{args:?}");
    }
}

/// `--bind ::1`: Python's line with the IPv6 URL, and a client served.
#[test]
fn binds_ipv6_as_python_prints_it() {
    if Socket::new(pysocket::AF_INET6, pysocket::SOCK_STREAM)
        .and_then(|sock| sock.bind(("::1", 0)))
        .is_err()
    {
        eprintln!("no IPv6 loopback: skipping");
        return;
    }
    let tree = Tree::new();
    let mut command = Command::new(example());
    command.args(["0", "--bind", "::1", "--directory", &tree.www_str()]);
    let mut process = Process::spawn("http_server --bind ::1", command);
    process.wait_for("Serving line", |out, _| out.ends_with(" ...\n"));
    let out = process.stdout();
    let port: u16 = out
        .strip_prefix("Serving HTTP on ::1 port ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("{out:?}"));
    assert_eq!(
        out,
        format!("Serving HTTP on ::1 port {port} (http://[::1]:{port}/) ...\n")
    );
    let sock = create_connection(("::1", port), Some(PATIENCE)).unwrap();
    sock.sendall(b"GET /small.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_to_end(&sock);
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n") && answer.ends_with(&tree.small));
}
