//! Descriptor passing, as pre-forking servers and socket activation do it:
//! the parent creates the listening socket, starts a worker process (this
//! same program, run again with `--worker`), and hands it the socket over a
//! Unix socketpair with `send_fds`. The worker takes it with `recv_fds`,
//! accepts one connection, answers it and exits. The parent, which closed
//! its own copy of the listener, connects as a client and prints the answer.
//!
//! In Python, the same program reads:
//!
//! ```python
//! channel, worker_end = socket.socketpair()
//! worker = subprocess.Popen([sys.argv[0], "--worker", str(worker_end.fileno())],
//!                           pass_fds=[worker_end.fileno()])
//! socket.send_fds(channel, [b"listener"], [listener.fileno()])
//! listener.close()
//! # ... and in the worker:
//! msg, fds, flags, addr = socket.recv_fds(channel, 1024, 1)
//! listener = socket.socket(fileno=fds[0])
//! ```
//!
//! Run: `cargo run --example fd_passing`.

use crate::common;

use std::io::{self, IoSlice, Write};
use std::os::fd::{AsFd, FromRawFd, RawFd};
use std::process::Command;
use std::time::Duration;

use pysocket::{socketpair, Address, MsgFlags, Socket, AF_INET, SOCK_STREAM};

/// How long the worker waits for its listener and its client, and the
/// parent for the answer: nobody waits for ever on a lost peer.
const PATIENCE: Duration = Duration::from_secs(10);
/// What the parent writes beside the descriptor (a message must carry a byte).
const LABEL: &[u8] = b"listener";

/// The example's `main`: its flags, then the parent's program or the worker's.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Descriptor passing (Python's socket.send_fds/recv_fds): the parent listens, starts a\n\
         worker process and hands it the listening socket over a socketpair; the worker\n\
         accepts one connection and answers it; the parent connects and prints the answer.",
        &[
            ("host", "127.0.0.1", "address to listen on"),
            ("port", "0", "port to listen on (0: one the system picks)"),
            (
                "worker",
                "",
                "run as the worker, on this inherited socketpair descriptor (the parent passes it)",
            ),
        ],
    );
    if !args.text("worker").is_empty() {
        let fd: RawFd = args.get("worker");
        // SAFETY: the parent left this one descriptor, its end of the
        // socketpair, open across exec for this process, which owns it now.
        let channel = unsafe { Socket::from_raw_fd(fd) };
        return Ok(worker(channel, io::stdout())?);
    }
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let listener = Socket::new(AF_INET, SOCK_STREAM)?;
    listener.bind((host.as_str(), port))?;
    listener.listen(5)?;
    let addr = listener.getsockname()?;
    let mut out = io::stdout();
    writeln!(out, "Parent {}: listening on {addr}", std::process::id())?;

    let (channel, worker_end) = socketpair()?;
    // Python's `pass_fds`: the worker inherits this descriptor and no other
    // (the crate's descriptors are all close-on-exec).
    worker_end.set_inheritable(true)?;
    let mut worker = Command::new(std::env::current_exe()?)
        .args(["--worker", &worker_end.fileno().to_string()])
        .spawn()?;
    drop(worker_end);
    let talk = hand_over(listener, &channel, &mut out).and_then(|()| ask(&addr, &mut out));
    if talk.is_err() {
        let _ = worker.kill();
    }
    let status = worker.wait()?;
    talk?;
    writeln!(out, "Parent: the worker {} exited ({status})", worker.id())?;
    if !status.success() {
        return Err(common::Failure::from("the worker failed"));
    }
    Ok(())
}

/// The parent's handover: sends `listener` over `channel`, then closes its
/// own copy, so that only the receiver can accept on it.
pub fn hand_over(listener: Socket, channel: &Socket, mut out: impl Write) -> pysocket::Result<()> {
    writeln!(
        out,
        "Parent: handing the listening socket (fd {}) to the worker, and closing it here",
        listener.fileno()
    )?;
    channel.send_fds(
        &[IoSlice::new(LABEL)],
        &[listener.as_fd()],
        MsgFlags::empty(),
    )?;
    listener.close()
}

/// The parent as a client: connects to the listener it gave away, says hello
/// and prints the answer, which the worker sends before closing.
pub fn ask(addr: &Address, mut out: impl Write) -> pysocket::Result<()> {
    let client = Socket::new(AF_INET, SOCK_STREAM)?;
    client.settimeout(Some(PATIENCE))?;
    client.connect(addr)?;
    client.sendall(b"hello, worker")?;
    let mut answer = Vec::new();
    loop {
        let data = client.recv(1024)?;
        if data.is_empty() {
            break;
        }
        answer.extend_from_slice(&data);
    }
    writeln!(out, "Parent received: {}", String::from_utf8_lossy(&answer))?;
    client.close()
}

/// The worker: receives the listener over `channel` with `recv_fds`,
/// accepts one connection on it and answers. It prints nothing after it
/// answers, so that its lines and the parent's come in one order.
pub fn worker(channel: Socket, mut out: impl Write) -> pysocket::Result<()> {
    let me = std::process::id();
    channel.settimeout(Some(PATIENCE))?;
    let (label, fds, _flags, _address) = channel.recv_fds(1024, 1, MsgFlags::empty())?;
    let Some(fd) = fds.into_iter().next() else {
        let err = io::Error::new(io::ErrorKind::InvalidData, "no descriptor arrived");
        return Err(err.into());
    };
    let listener = Socket::from(fd);
    writeln!(
        out,
        "Worker {me}: received {:?} and fd {}: a socket listening on {}",
        String::from_utf8_lossy(&label),
        listener.fileno(),
        listener.getsockname()?
    )?;
    listener.settimeout(Some(PATIENCE))?;
    let (conn, peer) = listener.accept()?;
    conn.settimeout(Some(PATIENCE))?;
    let request = conn.recv(1024)?;
    writeln!(
        out,
        "Worker {me}: accepted {peer}, which says {:?}",
        String::from_utf8_lossy(&request)
    )?;
    conn.sendall(format!("hello from worker {me}, on the parent's listener").as_bytes())?;
    conn.close()
}
