//! Descriptors passed between processes over a Unix socketpair, where the
//! process that receives them really uses them: a child process of this test
//! binary that accepts on a listening socket it received and writes through
//! a pipe it received, then hands a descriptor back; and Python's own
//! `socket.send_fds`/`recv_fds` and `sendmsg`/`recvmsg` (with raw
//! `SCM_RIGHTS` and `SCM_CREDENTIALS` triples) on the other end, both ways.
//!
//! Every child inherits exactly one descriptor of ours (its end of the
//! socketpair: every other one is close-on-exec), every socket and pipe read
//! has a deadline, and every child is killed when its test ends. The Python
//! tests skip, saying so, where `python3` is not installed.

mod common;

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{is_child, listener, CHILD_ENV, PROMPT};
use pysocket::{
    socketpair, Cmsg, MsgFlags, Socket, AF_INET, AF_UNIX, CMSG_LEN, CMSG_SPACE, SCM_CREDENTIALS,
    SCM_RIGHTS, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_PASSCRED,
};

/// The environment variable that tells a child which descriptor it inherited.
const FD_ENV: &str = "PYSOCKET_TEST_FD";

/// The size of one descriptor in an `SCM_RIGHTS` message.
const FD_SIZE: usize = std::mem::size_of::<RawFd>();

// ---------------------------------------------------------------------------
// Children, pipes and bounded reads

/// A child process that inherited one end of a socketpair; killed and reaped
/// when dropped, so that a failing test leaves nothing behind.
struct Peer {
    what: String,
    child: Option<Child>,
}

impl Peer {
    /// Starts `command` with `fd` open in it, its number in [`FD_ENV`]. Only
    /// the child's copy loses close-on-exec: a child another test starts
    /// meanwhile inherits nothing of ours.
    fn start(what: &str, mut command: Command, fd: BorrowedFd<'_>) -> Peer {
        let raw = fd.as_raw_fd();
        command
            .env(FD_ENV, raw.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: the closure runs in the forked child before exec, where only
        // async-signal-safe calls are allowed: two `fcntl`s on a descriptor
        // the fork copied, no allocation, no lock.
        unsafe {
            command.pre_exec(move || {
                let flags = libc::fcntl(raw, libc::F_GETFD);
                if flags < 0 || libc::fcntl(raw, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Peer {
            what: what.to_string(),
            child: Some(child),
        }
    }

    fn id(&self) -> u32 {
        self.child.as_ref().expect("running child").id()
    }

    /// Waits (at most [`PROMPT`] times three) for the child to end, asserts
    /// that it succeeded and printed `mark`, and returns its output.
    fn finish(mut self, mark: &str) -> Output {
        let mut child = self.child.take().expect("running child");
        let limit = Instant::now() + PROMPT * 3;
        while child.try_wait().expect("try_wait").is_none() {
            if Instant::now() > limit {
                let _ = child.kill();
            }
            thread::sleep(Duration::from_millis(5));
        }
        let out = child.wait_with_output().expect("child output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(mark),
            "{} failed ({:?}):\n{stdout}\n{}",
            self.what,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Peer {
    /// Kills the child; when the test is failing, shows what the child said,
    /// which is often why.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            if let Ok(out) = child.wait_with_output() {
                if thread::panicking() {
                    eprintln!(
                        "{} ({:?}):\n{}\n{}",
                        self.what,
                        out.status,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            }
        }
    }
}

/// The command that runs the test `test` of this binary as a child
/// ([`is_child`] is true there).
fn test_child(test: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("current_exe"));
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test);
    command
}

/// The command that runs `script` in `python3`, or `None` (having said so)
/// where there is no `python3`.
/// What every Python script here starts with: the socketpair end the test
/// passed (named by `PYSOCKET_TEST_FD`) with a timeout, an alarm so that the
/// child never outlives the test, and a helper that reads a pipe to its end.
const PYTHON_PRELUDE: &str = r#"
import array, os, signal, socket, struct
signal.alarm(30)  # never outlive the test
sock = socket.socket(fileno=int(os.environ["PYSOCKET_TEST_FD"]))
sock.settimeout(10)

def read_to_end(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)
"#;

fn python(script: &str) -> Option<Command> {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("python3 not found: skipping the interop test with Python's socket module");
        return None;
    }
    let mut command = Command::new("python3");
    command.args(["-c", &format!("{PYTHON_PRELUDE}{script}")]);
    Some(command)
}

/// In a child: the socketpair end its parent passed, with a timeout.
fn inherited() -> Socket {
    let fd: RawFd = std::env::var(FD_ENV)
        .expect("the parent names the inherited descriptor")
        .parse()
        .expect("a descriptor number");
    // SAFETY: the parent left this one descriptor open across exec for this
    // process (`Peer::start`), and nothing else here owns it.
    let sock = unsafe { Socket::from_raw_fd(fd) };
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    sock
}

/// A new pipe, (read end, write end), both close-on-exec.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two descriptors into the array, which has room for them.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", io::Error::last_os_error());
    // SAFETY: both are new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn is_cloexec(fd: &impl AsFd) -> bool {
    // SAFETY: F_GETFD only reads the flags of a live descriptor.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "fcntl(F_GETFD): {}", io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

/// Everything a pipe's read end gives until every writer has closed it,
/// waiting at most [`PROMPT`] in all.
fn read_pipe_to_end(fd: OwnedFd) -> Vec<u8> {
    let limit = Instant::now() + PROMPT;
    let mut file = File::from(fd);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_duration_since(Instant::now());
        let mut pollfd = libc::pollfd {
            fd: file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, which the kernel may write.
        let ready = unsafe { libc::poll(&mut pollfd, 1, left.as_millis() as libc::c_int) };
        match ready {
            0 => panic!(
                "the pipe was not closed in time; read so far: {:?}",
                String::from_utf8_lossy(&out)
            ),
            n if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            n if n < 0 => panic!("poll: {}", io::Error::last_os_error()),
            _ => match file.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => panic!("read from the pipe: {e}"),
            },
        }
    }
}

/// Everything the peer sends until it closes; `sock` has a timeout.
fn recv_to_end(sock: &Socket) -> Vec<u8> {
    let limit = Instant::now() + PROMPT * 2;
    let mut out = Vec::new();
    loop {
        assert!(Instant::now() < limit, "the peer never closed");
        let chunk = sock.recv(4096).expect("recv");
        if chunk.is_empty() {
            return out;
        }
        out.extend_from_slice(&chunk);
    }
}

// ---------------------------------------------------------------------------
// Between two processes of this test binary

/// What the parent sends beside the listener and the log pipe.
const HANDOVER: &[u8] = b"a listener and a log";

/// A pre-forking server's handover: the parent passes its listening socket
/// and the write end of a log pipe to a child in one message, closes its own
/// copies, and connects as a client. Only the child can accept the
/// connection and write to the log, and it does both.
#[test]
fn a_child_process_accepts_on_the_listener_it_received() {
    const TEST: &str = "a_child_process_accepts_on_the_listener_it_received";
    const MARK: &str = "child: accepted on the received listener";
    if is_child(TEST) {
        accept_on_received_listener();
        println!("{MARK}");
        return;
    }
    let (listener, addr) = listener(AF_INET);
    let (log_read, log_write) = pipe();
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    let child = Peer::start(TEST, test_child(TEST), theirs.as_fd());
    drop(theirs);

    let sent = ours
        .send_fds(
            &[IoSlice::new(&HANDOVER[..8]), IoSlice::new(&HANDOVER[8..])],
            &[listener.as_fd(), log_write.as_fd()],
            MsgFlags::empty(),
        )
        .expect("send_fds");
    assert_eq!(sent, HANDOVER.len());
    // From here on the child's copies (in flight, then received) are the only ones.
    drop(listener);
    drop(log_write);

    let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    client.settimeout(Some(PROMPT)).expect("settimeout");
    client
        .connect(&addr)
        .expect("connect to the handed-over listener");
    client.sendall(b"ping").expect("sendall");
    let answer = recv_to_end(&client);
    let pid = child.id();
    assert_eq!(String::from_utf8_lossy(&answer), format!("pong from {pid}"));
    let log = read_pipe_to_end(log_read);
    let me = client.getsockname().expect("getsockname");
    assert_eq!(
        String::from_utf8_lossy(&log),
        format!("{pid} accepted {me}\n")
    );
    child.finish(MARK);
}

/// The child's side: receive the listener and the log, check what arrived,
/// serve one client, log it.
fn accept_on_received_listener() {
    let channel = inherited();
    let (data, fds, flags, _) = channel
        .recv_fds(64, 4, MsgFlags::empty())
        .expect("recv_fds");
    assert_eq!(data, HANDOVER);
    assert!(!flags.contains(MsgFlags::CTRUNC), "{flags:?}");
    assert_eq!(fds.len(), 2, "{fds:?}");
    assert!(
        fds.iter().all(is_cloexec),
        "received descriptors are close-on-exec"
    );
    let mut fds = fds.into_iter();
    let listener = Socket::from(fds.next().expect("the listener"));
    let mut log = File::from(fds.next().expect("the log"));
    assert_eq!(listener.kind(), SOCK_STREAM);
    assert_eq!(listener.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 1);

    listener.settimeout(Some(PROMPT)).expect("settimeout");
    let (conn, peer) = listener.accept().expect("accept on the received listener");
    conn.settimeout(Some(PROMPT)).expect("settimeout");
    assert_eq!(conn.recv(64).expect("recv"), b"ping");
    let pid = std::process::id();
    writeln!(log, "{pid} accepted {peer}").expect("write to the log");
    conn.sendall(format!("pong from {pid}").as_bytes())
        .expect("sendall");
}

/// Both ways: the parent passes the write end of a pipe, the child writes
/// through it; the child passes back the read end of a pipe of its own and
/// writes into it, the parent reads it.
#[test]
fn descriptors_go_to_a_child_process_and_back() {
    const TEST: &str = "descriptors_go_to_a_child_process_and_back";
    const MARK: &str = "child: wrote through the received pipe, sent one back";
    if is_child(TEST) {
        write_and_send_back();
        println!("{MARK}");
        return;
    }
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    let child = Peer::start(TEST, test_child(TEST), theirs.as_fd());
    drop(theirs);

    let (read_end, write_end) = pipe();
    ours.send_fds(
        &[IoSlice::new(b"write here")],
        &[write_end.as_fd()],
        MsgFlags::empty(),
    )
    .expect("send_fds");
    drop(write_end);
    let pid = child.id();
    assert_eq!(
        String::from_utf8_lossy(&read_pipe_to_end(read_end)),
        format!("written by {pid}")
    );

    let (data, mut fds, _, _) = ours.recv_fds(64, 1, MsgFlags::empty()).expect("recv_fds");
    assert_eq!(data, b"read this");
    assert_eq!(fds.len(), 1);
    assert!(is_cloexec(&fds[0]));
    let back = read_pipe_to_end(fds.pop().expect("one descriptor"));
    assert_eq!(
        String::from_utf8_lossy(&back),
        format!("sent back by {pid}")
    );
    child.finish(MARK);
}

fn write_and_send_back() {
    let channel = inherited();
    let (data, fds, _, _) = channel
        .recv_fds(64, 1, MsgFlags::empty())
        .expect("recv_fds");
    assert_eq!(data, b"write here");
    let pid = std::process::id();
    let mut pipe_end = File::from(fds.into_iter().next().expect("one descriptor"));
    write!(pipe_end, "written by {pid}").expect("write through the received pipe");
    drop(pipe_end);

    let (read_end, write_end) = pipe();
    channel
        .send_fds(
            &[IoSlice::new(b"read this")],
            &[read_end.as_fd()],
            MsgFlags::empty(),
        )
        .expect("send_fds");
    drop(read_end);
    let mut write_end = File::from(write_end);
    write!(write_end, "sent back by {pid}").expect("write into our pipe");
}

// ---------------------------------------------------------------------------
// With Python's socket module

/// Python hands Rust the write end of a pipe with `socket.send_fds` (two
/// buffers); Rust writes through it. Rust hands Python the read end of a
/// pipe with `send_fds`; Python takes it with `socket.recv_fds` and reads
/// it. Python reports what it read, the message and its flags.
const PYTHON_SEND_RECV_FDS: &str = r#"

r, w = os.pipe()
socket.send_fds(sock, [b"a pipe ", b"from python"], [w])
os.close(w)
written = read_to_end(r)

msg, fds, flags, addr = socket.recv_fds(sock, 1024, 4)
assert len(fds) == 1, fds
back = read_to_end(fds[0])
sock.sendall(b"|".join([written, msg, back, str(flags).encode()]))
sock.close()
print("python: done")
"#;

#[test]
fn python_send_fds_to_rust_and_rust_send_fds_to_python() {
    let Some(script) = python(PYTHON_SEND_RECV_FDS) else {
        return;
    };
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    let python = Peer::start("python3 (send_fds/recv_fds)", script, theirs.as_fd());
    drop(theirs);

    let (data, fds, flags, _) = ours.recv_fds(1024, 4, MsgFlags::empty()).expect("recv_fds");
    assert_eq!(data, b"a pipe from python");
    assert!(!flags.contains(MsgFlags::CTRUNC), "{flags:?}");
    assert_eq!(fds.len(), 1, "{fds:?}");
    assert!(is_cloexec(&fds[0]));
    let mut pipe_end = File::from(fds.into_iter().next().expect("one descriptor"));
    pipe_end
        .write_all(b"written by rust")
        .expect("write through Python's pipe");
    drop(pipe_end);

    let (read_end, write_end) = pipe();
    ours.send_fds(
        &[IoSlice::new(b"a pipe "), IoSlice::new(b"from rust")],
        &[read_end.as_fd()],
        MsgFlags::empty(),
    )
    .expect("send_fds");
    drop(read_end);
    File::from(write_end)
        .write_all(b"read by python")
        .expect("write into our pipe");

    let reply = recv_to_end(&ours);
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "written by rust|a pipe from rust|read by python|0"
    );
    python.finish("python: done");
}

/// Raw `SCM_RIGHTS` triples both ways. Python sends, as the data of a
/// `sendmsg` whose ancillary data carries the write ends of two pipes, its
/// `SOL_SOCKET`, `SCM_RIGHTS`, `CMSG_LEN(n)` and `CMSG_SPACE(n)`; Rust
/// compares them with its own and with the triple `recvmsg` gives, then
/// writes through both pipes. Rust then `sendmsg`s an `SCM_RIGHTS` triple
/// of its own; Python takes it with `recvmsg` and reports the triple and
/// what it read from every pipe.
const PYTHON_SENDMSG_RECVMSG: &str = r#"

sizes = [0, 1, 4, 8, 12, 13, 100, 1000]
facts = [socket.SOL_SOCKET, socket.SCM_RIGHTS]
facts += [socket.CMSG_LEN(n) for n in sizes] + [socket.CMSG_SPACE(n) for n in sizes]
first_r, first_w = os.pipe()
second_r, second_w = os.pipe()
fds = array.array("i", [first_w, second_w])
sock.sendmsg([" ".join(map(str, facts)).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
os.close(first_w)
os.close(second_w)
first, second = read_to_end(first_r), read_to_end(second_r)

msg, ancdata, flags, addr = sock.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
assert len(ancdata) == 1, ancdata
level, kind, data = ancdata[0]
received = array.array("i")
received.frombytes(data[: len(data) - len(data) % received.itemsize])
third = read_to_end(received[0])
report = [str(level).encode(), str(kind).encode(), str(len(data)).encode(), str(flags).encode(),
          msg, first, second, third]
sock.sendall(b"|".join(report))
sock.close()
print("python: done")
"#;

/// The sizes whose `CMSG_LEN` and `CMSG_SPACE` Python reports.
const CMSG_SIZES: [usize; 8] = [0, 1, 4, 8, 12, 13, 100, 1000];

#[test]
fn python_sendmsg_scm_rights_to_rust_recvmsg_and_back() {
    let Some(script) = python(PYTHON_SENDMSG_RECVMSG) else {
        return;
    };
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    let python = Peer::start("python3 (sendmsg/recvmsg)", script, theirs.as_fd());
    drop(theirs);

    let ancbufsize = CMSG_SPACE(2 * FD_SIZE).expect("CMSG_SPACE");
    let msg = ours
        .recvmsg(1024, ancbufsize, MsgFlags::empty())
        .expect("recvmsg");
    let facts: Vec<i64> = String::from_utf8(msg.data.clone())
        .expect("Python's facts")
        .split(' ')
        .map(|n| n.parse().expect("a number"))
        .collect();
    let ours_facts: Vec<i64> = [i64::from(SOL_SOCKET), i64::from(SCM_RIGHTS)]
        .into_iter()
        .chain(CMSG_SIZES.map(|n| CMSG_LEN(n).expect("CMSG_LEN") as i64))
        .chain(CMSG_SIZES.map(|n| CMSG_SPACE(n).expect("CMSG_SPACE") as i64))
        .collect();
    assert_eq!(
        facts, ours_facts,
        "Python's SOL_SOCKET, SCM_RIGHTS, CMSG_LEN, CMSG_SPACE"
    );

    assert!(msg.flags.is_empty(), "{:?}", msg.flags);
    assert_eq!(msg.ancdata.len(), 1, "{:?}", msg.ancdata);
    let triple = &msg.ancdata[0];
    assert_eq!(i64::from(triple.level), facts[0], "cmsg_level");
    assert_eq!(i64::from(triple.kind), facts[1], "cmsg_type");
    assert_eq!(triple.data.len(), 2 * FD_SIZE, "{triple:?}");
    assert_eq!(msg.fds.len(), 2, "{:?}", msg.fds);
    // The raw triple holds the numbers of the very descriptors `fds` owns.
    let numbers: Vec<RawFd> = triple
        .data
        .chunks_exact(FD_SIZE)
        .map(|n| RawFd::from_ne_bytes(n.try_into().expect("four bytes")))
        .collect();
    let owned: Vec<RawFd> = msg.fds.iter().map(AsRawFd::as_raw_fd).collect();
    assert_eq!(numbers, owned);
    assert_eq!(
        triple.as_rights().as_deref(),
        Some(&owned[..]),
        "Cmsg::as_rights"
    );
    for (fd, text) in msg.fds.into_iter().zip(["first pipe", "second pipe"]) {
        assert!(is_cloexec(&fd));
        File::from(fd)
            .write_all(text.as_bytes())
            .expect("write through Python's pipe");
    }

    let (read_end, write_end) = pipe();
    let rights = Cmsg::new(SOL_SOCKET, SCM_RIGHTS, read_end.as_raw_fd().to_ne_bytes());
    let sent = ours
        .sendmsg(
            &[IoSlice::new(b"from rust's sendmsg")],
            &[rights],
            MsgFlags::empty(),
        )
        .expect("sendmsg");
    assert_eq!(sent, 19);
    drop(read_end);
    File::from(write_end)
        .write_all(b"third pipe")
        .expect("write into our pipe");

    let reply = String::from_utf8(recv_to_end(&ours)).expect("Python's report");
    let expected = format!(
        "{SOL_SOCKET}|{SCM_RIGHTS}|{FD_SIZE}|0|from rust's sendmsg|first pipe|second pipe|third pipe"
    );
    assert_eq!(reply, expected);
    python.finish("python: done");
}

/// Sockets both ways: Rust hands Python its listening TCP socket, and
/// Python, with `socket.socket(fileno=...)` on what `recv_fds` gave,
/// accepts Rust's connection on it; Python hands Rust one end of a new
/// socketpair, and Rust, with `Socket::from` on what `recv_fds` gave, talks
/// to Python through it.
const PYTHON_SOCKETS: &str = r#"

msg, fds, flags, addr = socket.recv_fds(sock, 1024, 1)
assert msg == b"listener" and len(fds) == 1, (msg, fds)
listener = socket.socket(fileno=fds[0])
assert listener.type == socket.SOCK_STREAM
listener.settimeout(10)
conn, peer = listener.accept()
conn.settimeout(10)
data = conn.recv(1024)
conn.sendall(f"python {os.getpid()} got {data.decode()}".encode())
conn.close()
listener.close()

mine, theirs = socket.socketpair()
socket.send_fds(sock, [b"one end"], [theirs.fileno()])
theirs.close()
mine.settimeout(10)
mine.sendall(b"over the new pair")
assert mine.recv(1024) == b"rust answers"
print("python: done")
"#;

#[test]
fn python_and_rust_hand_each_other_sockets() {
    let Some(script) = python(PYTHON_SOCKETS) else {
        return;
    };
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    let python = Peer::start("python3 (sockets)", script, theirs.as_fd());
    drop(theirs);

    let (listener, addr) = listener(AF_INET);
    ours.send_fds(
        &[IoSlice::new(b"listener")],
        &[listener.as_fd()],
        MsgFlags::empty(),
    )
    .expect("send_fds");
    drop(listener);
    let client = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    client.settimeout(Some(PROMPT)).expect("settimeout");
    client
        .connect(&addr)
        .expect("connect to the listener Python holds");
    client.sendall(b"hello").expect("sendall");
    let answer = String::from_utf8(recv_to_end(&client)).expect("Python's answer");
    assert_eq!(answer, format!("python {} got hello", python.id()));

    let (data, fds, _, _) = ours.recv_fds(64, 1, MsgFlags::empty()).expect("recv_fds");
    assert_eq!(data, b"one end");
    let end = Socket::from(fds.into_iter().next().expect("one descriptor"));
    assert_eq!((end.family(), end.kind()), (AF_UNIX, SOCK_STREAM));
    end.settimeout(Some(PROMPT)).expect("settimeout");
    assert_eq!(end.recv(64).expect("recv"), b"over the new pair");
    end.sendall(b"rust answers").expect("sendall");
    python.finish("python: done");
}

/// `SCM_CREDENTIALS` both ways, as raw triples: Python `sendmsg`s its
/// pid, uid and gid (`struct ucred`) to Rust, with the write end of a pipe
/// in an `SCM_RIGHTS` message beside them; Rust receives both with
/// `SO_PASSCRED` on, finds Python's process id, the one it started, and
/// writes through the pipe. Rust `sendmsg`s its own credentials, and
/// Python's `recvmsg` finds this process's id.
const PYTHON_CREDENTIALS: &str = r#"
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
ucred = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
facts = f"{socket.SOL_SOCKET} {socket.SCM_CREDENTIALS} {socket.SO_PASSCRED}"
r, w = os.pipe()
sock.sendmsg([facts.encode()], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, ucred),
                                (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))])
os.close(w)
piped = b""
while True:
    chunk = os.read(r, 4096)
    if not chunk:
        break
    piped += chunk

msg, ancdata, flags, addr = sock.recvmsg(1024, socket.CMSG_SPACE(struct.calcsize("iII")))
creds = [struct.unpack("iII", data) for level, kind, data in ancdata
         if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS]
assert len(creds) == 1, ancdata
pid, uid, gid = creds[0]
sock.sendall(f"{msg.decode()} {pid} {uid} {gid} {piped.decode()}".encode())
sock.close()
print("python: done")
"#;

#[test]
fn python_and_rust_send_each_other_credentials() {
    let Some(script) = python(PYTHON_CREDENTIALS) else {
        return;
    };
    let (ours, theirs) = socketpair().expect("socketpair");
    ours.settimeout(Some(PROMPT)).expect("settimeout");
    ours.setsockopt(SOL_SOCKET, SO_PASSCRED, true)
        .expect("SO_PASSCRED");
    let python = Peer::start("python3 (credentials)", script, theirs.as_fd());
    drop(theirs);

    let ancbufsize =
        CMSG_SPACE(UCRED_SIZE).expect("CMSG_SPACE") + CMSG_SPACE(FD_SIZE).expect("CMSG_SPACE");
    let msg = ours
        .recvmsg(1024, ancbufsize, MsgFlags::empty())
        .expect("recvmsg");
    let facts = String::from_utf8(msg.data).expect("Python's facts");
    assert_eq!(
        facts,
        format!("{SOL_SOCKET} {SCM_CREDENTIALS} {SO_PASSCRED}"),
        "Python's SOL_SOCKET, SCM_CREDENTIALS, SO_PASSCRED"
    );
    assert!(msg.flags.is_empty(), "{:?}", msg.flags);
    assert_eq!(msg.ancdata.len(), 2, "{:?}", msg.ancdata);
    let kinds = |kind| {
        msg.ancdata
            .iter()
            .filter(move |cmsg| (cmsg.level, cmsg.kind) == (SOL_SOCKET, kind))
    };
    assert_eq!(kinds(SCM_RIGHTS).count(), 1, "{:?}", msg.ancdata);
    let triple = kinds(SCM_CREDENTIALS)
        .next()
        .expect("an SCM_CREDENTIALS triple");
    let (pid, uid, gid) = ucred(&triple.data);
    // SAFETY: getuid and getgid cannot fail and have no preconditions.
    let (my_uid, my_gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert_eq!((pid, uid, gid), (python.id() as i32, my_uid, my_gid));
    let typed = triple.as_credentials().expect("Cmsg::as_credentials");
    assert_eq!((typed.pid, typed.uid, typed.gid), (pid, uid, gid));
    assert_eq!(msg.fds.len(), 1, "{:?}", msg.fds);
    let mut pipe_end = File::from(msg.fds.into_iter().next().expect("one descriptor"));
    pipe_end
        .write_all(b"beside the credentials")
        .expect("write through Python's pipe");
    drop(pipe_end);

    let me = std::process::id() as i32;
    let mut data = Vec::with_capacity(UCRED_SIZE);
    data.extend_from_slice(&me.to_ne_bytes());
    data.extend_from_slice(&my_uid.to_ne_bytes());
    data.extend_from_slice(&my_gid.to_ne_bytes());
    let credentials = Cmsg::new(SOL_SOCKET, SCM_CREDENTIALS, data);
    ours.sendmsg(&[IoSlice::new(b"rust")], &[credentials], MsgFlags::empty())
        .expect("sendmsg SCM_CREDENTIALS");
    let reply = String::from_utf8(recv_to_end(&ours)).expect("Python's report");
    assert_eq!(
        reply,
        format!("rust {me} {my_uid} {my_gid} beside the credentials")
    );
    python.finish("python: done");
}

/// The size of `struct ucred`: pid, uid, gid.
const UCRED_SIZE: usize = 12;

/// The pid, uid and gid of a `struct ucred` in an `SCM_CREDENTIALS` triple.
fn ucred(data: &[u8]) -> (i32, u32, u32) {
    assert_eq!(data.len(), UCRED_SIZE, "{data:?}");
    let word = |i: usize| <[u8; 4]>::try_from(&data[4 * i..4 * i + 4]).expect("four bytes");
    (
        i32::from_ne_bytes(word(0)),
        u32::from_ne_bytes(word(1)),
        u32::from_ne_bytes(word(2)),
    )
}
