//! The `AF_UNIX` servers (Python's `UnixStreamServer`,
//! `ThreadingUnixStreamServer`, `UnixDatagramServer`,
//! `ThreadingUnixDatagramServer`) in a temp dir: a
//! request and its answer through each, shutdown from another thread,
//! `handle_request`, the clients' addresses, the socket file after close,
//! paths that exist already or are too long, abstract names,
//! `verify_request` on the datagram servers.

mod common;
mod server_support;

use std::fs;
use std::io::{BufRead, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{Serve, PROMPT};
use pysocket::server::{
    DatagramRequest, DatagramRequestHandler, HandlerResult, RequestHandler, ServerOptions,
    StreamRequest, ThreadingUnixDatagramServer, ThreadingUnixStreamServer, UnixDatagramServer,
    UnixStreamServer,
};
use pysocket::{Address, Error, Socket, UnixAddress, AF_UNIX, SHUT_WR, SOCK_DGRAM, SOCK_STREAM};
use server_support::{read_to_end, recording, reported, serving};

// ---------------------------------------------------------------------------
// Handlers and clients

/// Answers with the client's address in brackets, then echoes every line.
struct Echo;

impl RequestHandler for Echo {
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        write!(request.wfile, "[{}] ", request.client_address)?;
        let mut line = Vec::new();
        while request.rfile.read_until(b'\n', &mut line)? > 0 {
            request.wfile.write_all(&line)?;
            line.clear();
        }
        Ok(())
    }
}

/// Echoes each datagram.
struct DatagramEcho;

impl DatagramRequestHandler for DatagramEcho {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        request.wfile.write_all(request.packet)?;
        Ok(())
    }
}

/// A stream client connected to `addr`, not bound to any name.
fn stream_client(addr: &Address) -> Socket {
    let sock = Socket::new(AF_UNIX, SOCK_STREAM).expect("socket");
    sock.settimeout(Some(PROMPT * 3)).expect("settimeout");
    sock.connect(addr).expect("connect");
    sock
}

/// Sends `line`, ends the request, and returns the whole answer.
fn exchange(sock: &Socket, line: &[u8]) -> Vec<u8> {
    sock.sendall(line).expect("sendall");
    sock.shutdown(SHUT_WR).expect("shutdown");
    read_to_end(sock)
}

/// A datagram socket bound to `path` (a name the server can answer to).
fn datagram_client(path: &Path) -> Socket {
    let sock = Socket::new(AF_UNIX, SOCK_DGRAM).expect("socket");
    sock.bind(path).expect("bind");
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    sock
}

/// The path of a file named `name` in `dir`.
fn in_dir(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Whether `path` names a socket file.
fn is_socket(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket())
}

// ---------------------------------------------------------------------------
// A request and its answer, and shutdown from another thread

/// Two clients one after the other: unnamed (its address displays as
/// Python's `''`), then bound to a path of its own.
fn two_stream_clients(dir: &tempfile::TempDir, addr: &Address) {
    let unnamed = stream_client(addr);
    assert_eq!(exchange(&unnamed, b"one\n"), b"[] one\n");

    let named_path = in_dir(dir, "client.sock");
    let named = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    named.bind(&named_path).unwrap();
    named.settimeout(Some(PROMPT * 3)).unwrap();
    named.connect(addr).unwrap();
    let want = format!("[{}] two\n", named_path.display());
    assert_eq!(exchange(&named, b"two\n"), want.as_bytes());
}

#[test]
fn unix_stream_server_answers_and_stops_from_another_thread() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");
    let server = UnixStreamServer::new(&path, || Echo).unwrap();
    assert_eq!(server.socket().family(), AF_UNIX);
    assert_eq!(
        server.server_address(),
        &Address::Unix(UnixAddress::Path(path.clone()))
    );
    serving(&server, |addr| two_stream_clients(&dir, addr));
    server.server_close();
    assert!(!path.exists());
}

#[test]
fn threading_unix_stream_server_answers_and_stops_from_another_thread() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");
    let server = ThreadingUnixStreamServer::new(&path, || Echo).unwrap();
    serving(&server, |addr| {
        // A silent client holds a thread; the others are served meanwhile.
        let silent = stream_client(addr);
        silent.sendall(b"hi\n").unwrap();
        assert_eq!(server_support::read_exact(&silent, 6), b"[] hi\n");
        two_stream_clients(&dir, addr);
        // The other two threads end soon after their clients see the end.
        let deadline = Instant::now() + PROMPT;
        while server.active_threads() != 1 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(server.active_threads(), 1, "the silent client's thread");
    });
    let started = Instant::now();
    server.server_close(); // cuts the silent connection, joins its thread
    assert!(started.elapsed() < PROMPT, "took {:?}", started.elapsed());
    assert!(!path.exists());
}

#[test]
fn unix_datagram_server_answers_a_named_client_and_reports_an_unnamed_one() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");
    let (options, reports) = recording();
    let handled = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&handled);
    let factory = move || {
        count.fetch_add(1, Ordering::SeqCst);
        DatagramEcho
    };
    let server = UnixDatagramServer::with_options(&path, factory, options).unwrap();
    assert_eq!(server.socket().kind(), SOCK_DGRAM);
    serving(&server, |addr| {
        let named = datagram_client(&in_dir(&dir, "client.sock"));
        named.sendto(b"ping", addr).unwrap();
        let (answer, from) = named.recvfrom(64).unwrap();
        assert_eq!((answer.as_slice(), &from), (&b"ping"[..], addr));

        // Python's answer to an unbound client fails the same way: the
        // handler runs, and its answer has nowhere to go.
        let unnamed = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
        unnamed.sendto(b"lost", addr).unwrap();
        let seen = reported(&reports, 1);
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].kind, "server", "{seen:?}");
        assert_eq!(seen[0].errno, Some(libc::EINVAL), "{seen:?}");
        assert_eq!(seen[0].client.as_deref(), Some(""), "{seen:?}");
        assert_eq!(handled.load(Ordering::SeqCst), 2);

        named.sendto(b"again", addr).unwrap();
        assert_eq!(named.recvfrom(64).unwrap().0, b"again");
    });
    server.server_close();
    assert!(!path.exists());
}

/// Answers "met" once another datagram's handler is running at the same
/// time, "alone" if none comes within the bound.
struct Meet(Arc<(Mutex<usize>, Condvar)>);

impl DatagramRequestHandler for Meet {
    fn handle(&mut self, request: &mut DatagramRequest<'_>) -> HandlerResult {
        let (count, arrived) = &*self.0;
        let mut count = count.lock().unwrap();
        *count += 1;
        arrived.notify_all();
        let (count, _) = arrived
            .wait_timeout_while(count, PROMPT, |count| *count < 2)
            .unwrap();
        let answer: &[u8] = if *count >= 2 { b"met" } else { b"alone" };
        request.wfile.write_all(answer)?;
        Ok(())
    }
}

#[test]
fn threading_unix_datagram_server_handles_datagrams_at_once() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");
    let meeting = Arc::new((Mutex::new(0), Condvar::new()));
    let shared = Arc::clone(&meeting);
    let server =
        ThreadingUnixDatagramServer::new(&path, move || Meet(Arc::clone(&shared))).unwrap();
    assert_eq!(server.socket().family(), AF_UNIX);
    assert_eq!(server.socket().kind(), SOCK_DGRAM);
    serving(&server, |addr| {
        let first = datagram_client(&in_dir(&dir, "first.sock"));
        let second = datagram_client(&in_dir(&dir, "second.sock"));
        first.settimeout(Some(PROMPT * 3)).unwrap();
        second.settimeout(Some(PROMPT * 3)).unwrap();
        first.sendto(b"1", addr).unwrap();
        second.sendto(b"2", addr).unwrap();
        // Each handler waits for the other: only a server that runs them at
        // once answers both with "met".
        let (one, from) = first.recvfrom(16).unwrap();
        assert_eq!((one.as_slice(), &from), (&b"met"[..], addr));
        assert_eq!(second.recvfrom(16).unwrap().0, b"met");
    });
    server.server_close(); // joins the handler threads, removes the file
    assert!(!path.exists());
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_names_serve_and_make_no_file() {
    let name = common::abstract_name("unix-server");
    let server = UnixStreamServer::new(name.as_str(), || Echo).unwrap();
    assert_eq!(
        server.server_address().to_string(),
        format!("@{}", &name[1..])
    );
    serving(&server, |addr| {
        assert_eq!(exchange(&stream_client(addr), b"x\n"), b"[] x\n");
    });
    server.server_close();

    let dgram = UnixDatagramServer::new(name.as_str(), || DatagramEcho).unwrap();
    let dir = common::temp_dir();
    serving(&dgram, |addr| {
        let client = datagram_client(&in_dir(&dir, "client.sock"));
        client.sendto(b"abstract", addr).unwrap();
        assert_eq!(client.recvfrom(64).unwrap().0, b"abstract");
    });
}

// ---------------------------------------------------------------------------
// handle_request

#[test]
fn handle_request_serves_one_request_on_each_unix_server() {
    let dir = common::temp_dir();
    let (timeouts, hook) = {
        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        (count, move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
    };
    let options = ServerOptions::new()
        .server_timeout(Some(Duration::from_millis(100)))
        .handle_timeout(hook);

    let path = in_dir(&dir, "serial.sock");
    let serial = UnixStreamServer::with_options(&path, || Echo, options.clone()).unwrap();
    let sock = stream_client(serial.server_address());
    sock.sendall(b"serial\n").unwrap();
    sock.shutdown(SHUT_WR).unwrap();
    serial.handle_request().unwrap();
    assert_eq!(read_to_end(&sock), b"[] serial\n");
    serial.handle_request().unwrap(); // nobody: times out
    assert_eq!(timeouts.load(Ordering::SeqCst), 1);

    let path = in_dir(&dir, "threading.sock");
    let threading =
        ThreadingUnixStreamServer::with_options(&path, || Echo, options.clone()).unwrap();
    let sock = stream_client(threading.server_address());
    threading.handle_request().unwrap();
    assert_eq!(exchange(&sock, b"threading\n"), b"[] threading\n");
    threading.server_close();

    let path = in_dir(&dir, "dgram.sock");
    let dgram = UnixDatagramServer::with_options(&path, || DatagramEcho, options).unwrap();
    let client = datagram_client(&in_dir(&dir, "client.sock"));
    client.sendto(b"dgram", &path).unwrap();
    dgram.handle_request().unwrap();
    assert_eq!(client.recvfrom(64).unwrap().0, b"dgram");
    dgram.handle_request().unwrap();
    assert_eq!(timeouts.load(Ordering::SeqCst), 2);
}

#[test]
fn without_bind_and_activate_the_file_is_made_by_server_bind_and_removed() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "late.sock");
    let options = ServerOptions::new().bind_and_activate(false);
    let server = UnixStreamServer::with_options(&path, || Echo, options).unwrap();
    assert!(!path.exists(), "not bound yet");
    server.server_bind().unwrap();
    assert!(is_socket(&path));
    server.server_activate().unwrap();
    let sock = stream_client(server.server_address());
    sock.sendall(b"late\n").unwrap();
    sock.shutdown(SHUT_WR).unwrap();
    server.handle_request().unwrap();
    assert_eq!(read_to_end(&sock), b"[] late\n");
    drop(server);
    assert!(!path.exists());
}

// ---------------------------------------------------------------------------
// The socket file after close

#[test]
fn closing_or_dropping_a_unix_server_removes_its_socket_file() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");
    for round in 0..2 {
        let stream = UnixStreamServer::new(&path, || Echo).unwrap();
        assert!(is_socket(&path));
        if round == 0 {
            stream.server_close();
        } else {
            drop(stream);
        }
        assert!(!path.exists(), "round {round}");

        let threading = ThreadingUnixStreamServer::new(&path, || Echo).unwrap();
        assert!(is_socket(&path));
        drop(threading);
        assert!(!path.exists(), "round {round}");

        let dgram = UnixDatagramServer::new(&path, || DatagramEcho).unwrap();
        assert!(is_socket(&path));
        dgram.server_close();
        assert!(!path.exists(), "round {round}");
    }
}

#[test]
fn unlink_on_close_false_leaves_the_file_as_python_does() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "kept.sock");
    let options = ServerOptions::new().unlink_on_close(false);
    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let options = options.verify_request(move |_, client| {
        *record.lock().unwrap() = Some(client.clone());
        true
    });
    let server = UnixStreamServer::with_options(&path, || Echo, options).unwrap();
    let sock = stream_client(server.server_address());
    sock.shutdown(SHUT_WR).unwrap();
    server.handle_request().unwrap();
    assert_eq!(read_to_end(&sock), b"[] ");
    server.server_close();
    assert!(is_socket(&path), "left behind");
    let client = seen.lock().unwrap().clone().unwrap();
    assert_eq!(client, Address::Unix(UnixAddress::Unnamed));
    assert_eq!(client.to_string(), "");

    // The next bind fails until someone removes the file, as in Python.
    let err = UnixStreamServer::new(&path, || Echo).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EADDRINUSE), "{err}");
    fs::remove_file(&path).unwrap();
    UnixStreamServer::new(&path, || Echo).unwrap();

    // What Python does: the unnamed client is '', the file stays.
    let py_path = in_dir(&dir, "python.sock");
    let script = "import os, socket, socketserver, sys\n\
                  seen = []\n\
                  class H(socketserver.BaseRequestHandler):\n    \
                  def handle(self): seen.append(self.client_address)\n\
                  srv = socketserver.UnixStreamServer(sys.argv[1], H)\n\
                  c = socket.socket(socket.AF_UNIX)\n\
                  c.connect(sys.argv[1])\n\
                  srv.handle_request()\n\
                  c.close()\n\
                  srv.server_close()\n\
                  print(repr(seen[0]), os.path.exists(sys.argv[1]))";
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&py_path)
        .output()
    else {
        eprintln!("python3 not found: skipping the comparison with Python's UnixStreamServer");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "'' True");
}

#[test]
fn a_file_put_in_place_of_the_socket_is_left_alone() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "server.sock");

    // A regular file put where the socket was.
    let server = UnixStreamServer::new(&path, || Echo).unwrap();
    fs::remove_file(&path).unwrap();
    fs::write(&path, b"not a socket").unwrap();
    server.server_close();
    assert_eq!(fs::read(&path).unwrap(), b"not a socket");
    fs::remove_file(&path).unwrap();

    // Another server's socket: the first server's close leaves it, and the
    // second goes on serving.
    let first = UnixStreamServer::new(&path, || Echo).unwrap();
    fs::remove_file(&path).unwrap();
    let second = UnixStreamServer::new(&path, || Echo).unwrap();
    let inode = fs::metadata(&path).unwrap().ino();
    first.server_close();
    assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
    serving(&second, |addr| {
        assert_eq!(exchange(&stream_client(addr), b"second\n"), b"[] second\n");
    });
    second.server_close();
    assert!(!path.exists());
}

#[test]
fn a_relative_path_is_removed_after_a_change_of_directory() {
    // The working directory is process-wide: run in a process of its own.
    const TEST: &str = "a_relative_path_is_removed_after_a_change_of_directory";
    if !common::is_child(TEST) {
        common::assert_child_passes(TEST, common::CHILD_PASSED);
        return;
    }
    let (first, second) = (common::temp_dir(), common::temp_dir());
    fs::write(second.path().join("app.sock"), b"a bystander").unwrap();
    std::env::set_current_dir(first.path()).unwrap();
    let server = UnixStreamServer::new("app.sock", || Echo).unwrap();
    assert!(is_socket(&first.path().join("app.sock")));
    std::env::set_current_dir(second.path()).unwrap();
    server.server_close();
    assert!(!first.path().join("app.sock").exists());
    assert_eq!(fs::read("app.sock").unwrap(), b"a bystander");
    std::env::set_current_dir("/").unwrap();
    println!("{}", common::CHILD_PASSED);
}

// ---------------------------------------------------------------------------
// Paths that cannot be bound

#[test]
fn binding_a_path_that_exists_is_eaddrinuse_naming_the_path() {
    let dir = common::temp_dir();
    let plain = in_dir(&dir, "plain");
    fs::write(&plain, b"keep me").unwrap();
    let live = in_dir(&dir, "live.sock");
    let running = UnixStreamServer::new(&live, || Echo).unwrap();

    for path in [&plain, &live] {
        let want = Address::Unix(UnixAddress::Path(path.clone()));
        let errors = [
            UnixStreamServer::new(path, || Echo).map(drop).unwrap_err(),
            ThreadingUnixStreamServer::new(path, || Echo)
                .map(drop)
                .unwrap_err(),
            UnixDatagramServer::new(path, || DatagramEcho)
                .map(drop)
                .unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.errno(), Some(libc::EADDRINUSE), "{err}");
            assert!(
                matches!(&err, Error::Bind { address, .. } if *address == want),
                "{err:?}"
            );
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{err}"
            );
        }
    }
    // The failed servers removed nothing: the file keeps its bytes and the
    // running server its socket.
    assert_eq!(fs::read(&plain).unwrap(), b"keep me");
    serving(&running, |addr| {
        assert_eq!(exchange(&stream_client(addr), b"up\n"), b"[] up\n");
    });
}

#[test]
fn a_path_too_long_is_a_clear_error() {
    let dir = common::temp_dir();
    let path = dir.path().join("x".repeat(200));
    let errors = [
        UnixStreamServer::new(&path, || Echo).map(drop).unwrap_err(),
        ThreadingUnixStreamServer::new(&path, || Echo)
            .map(drop)
            .unwrap_err(),
        UnixDatagramServer::new(&path, || DatagramEcho)
            .map(drop)
            .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("too long"), "{message}");
        assert!(message.contains("the limit is"), "{message}");
        assert!(message.contains("xxxx"), "names the path: {message}");
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "no file made");
}

#[test]
fn a_host_and_port_is_refused() {
    let err = UnixStreamServer::new(("127.0.0.1", 0), || Echo).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    let err = UnixDatagramServer::new(("127.0.0.1", 0), || DatagramEcho).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

// ---------------------------------------------------------------------------
// Options over AF_UNIX

#[test]
fn disable_nagle_algorithm_leaves_unix_connections_alone() {
    let dir = common::temp_dir();
    let (options, reports) = recording();
    let options = options.disable_nagle_algorithm(true);
    let server = ThreadingUnixStreamServer::with_options(in_dir(&dir, "s"), || Echo, options)
        .expect("server");
    serving(&server, |addr| {
        assert_eq!(exchange(&stream_client(addr), b"fast\n"), b"[] fast\n");
    });
    server.server_close();
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock());
}

#[test]
fn verify_request_can_refuse_unnamed_unix_clients() {
    let dir = common::temp_dir();
    let options = ServerOptions::new().verify_request(|_, client| {
        client
            .as_unix()
            .is_some_and(|unix| unix.as_path().is_some())
    });
    let server = UnixStreamServer::with_options(in_dir(&dir, "s"), || Echo, options).unwrap();
    serving(&server, |addr| {
        let unnamed = stream_client(addr);
        assert!(read_to_end(&unnamed).is_empty(), "refused");
        let named_path = in_dir(&dir, "client.sock");
        let named = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
        named.bind(&named_path).unwrap();
        named.settimeout(Some(PROMPT)).unwrap();
        named.connect(addr).unwrap();
        let want = format!("[{}] hi\n", named_path.display());
        assert_eq!(exchange(&named, b"hi\n"), want.as_bytes());
    });
}

#[test]
fn unix_datagram_server_drops_the_datagrams_verify_request_refuses() {
    let dir = common::temp_dir();
    let admitted = datagram_client(&in_dir(&dir, "friend.sock"));
    let refused = datagram_client(&in_dir(&dir, "stranger.sock"));
    let (options, asked) =
        server_support::refusing(ServerOptions::new(), refused.getsockname().unwrap());
    let (seen, factory) = server_support::witnesses();
    let server = UnixDatagramServer::with_options(in_dir(&dir, "s"), factory, options).unwrap();
    server_support::refuses_one_of_two_clients(&server, &admitted, &refused, &seen, &asked);
}

#[test]
fn threading_unix_datagram_server_drops_the_datagrams_verify_request_refuses() {
    let dir = common::temp_dir();
    let admitted = datagram_client(&in_dir(&dir, "friend.sock"));
    let refused = datagram_client(&in_dir(&dir, "stranger.sock"));
    let (options, asked) =
        server_support::refusing(ServerOptions::new(), refused.getsockname().unwrap());
    let (seen, factory) = server_support::witnesses();
    let server =
        ThreadingUnixDatagramServer::with_options(in_dir(&dir, "s"), factory, options).unwrap();
    server_support::refuses_one_of_two_clients(&server, &admitted, &refused, &seen, &asked);
    server.server_close();
}

#[test]
fn unix_datagram_servers_report_a_verify_request_that_panics_and_serve_the_next_datagram() {
    let dir = common::temp_dir();
    let (options, reports) = recording();
    let (seen, factory) = server_support::witnesses();
    let server = UnixDatagramServer::with_options(
        in_dir(&dir, "serial.sock"),
        factory,
        server_support::panicking_once(options),
    )
    .unwrap();
    let client = datagram_client(&in_dir(&dir, "serial-client.sock"));
    server_support::survives_a_panicking_hook(&server, &client, &seen, &reports);

    let (options, reports) = recording();
    let (seen, factory) = server_support::witnesses();
    let server = ThreadingUnixDatagramServer::with_options(
        in_dir(&dir, "threading.sock"),
        factory,
        server_support::panicking_once(options),
    )
    .unwrap();
    let client = datagram_client(&in_dir(&dir, "threading-client.sock"));
    server_support::survives_a_panicking_hook(&server, &client, &seen, &reports);
    server.server_close();
}

#[test]
fn verify_request_can_drop_datagrams_from_unnamed_unix_clients() {
    // Their answers could not be sent: refused, they make no handler and
    // no report.
    let dir = common::temp_dir();
    let (options, reports) = recording();
    let options = options.verify_request(|_, client| {
        client
            .as_unix()
            .is_some_and(|unix| unix.as_path().is_some())
    });
    let (seen, factory) = server_support::witnesses();
    let server = UnixDatagramServer::with_options(in_dir(&dir, "s"), factory, options).unwrap();
    serving(&server, |addr| {
        let unnamed = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
        unnamed.sendto(b"lost", addr).unwrap();
        let named = datagram_client(&in_dir(&dir, "client.sock"));
        named.sendto(b"ping", addr).unwrap();
        let (answer, from) = named.recvfrom(64).unwrap();
        assert_eq!((answer.as_slice(), &from), (&b"ping"[..], addr));
    });
    server.server_close();
    assert_eq!(*seen.lock().unwrap(), [b"ping".to_vec()]);
    assert!(reports.lock().unwrap().is_empty(), "{:?}", reports.lock());
}

#[test]
fn a_unix_server_stops_from_a_static_handle() {
    let dir = common::temp_dir();
    let path = in_dir(&dir, "s");
    let server = ThreadingUnixStreamServer::new(&path, || Echo).unwrap();
    let handle = Serve::handle(&server);
    let serving = thread::spawn(move || {
        server.serve_forever(Duration::from_secs(3600)).unwrap();
        server
    });
    let sock = stream_client(&Address::Unix(UnixAddress::Path(path.clone())));
    assert_eq!(exchange(&sock, b"bye\n"), b"[] bye\n");
    let started = Instant::now();
    handle.shutdown();
    assert!(started.elapsed() < PROMPT);
    serving.join().unwrap().server_close();
    assert!(!path.exists());
}
