//! The timeout engine's possible designs, measured against each other on the
//! 64-byte TCP ping-pong: `cargo bench --bench compare -- designs`.
//!
//! Each design is written over raw `libc` calls on socket2 sockets, counting
//! its system calls, next to pysocket's own timeout and blocking modes. The
//! ratio is against raw blocking calls, round by round.

use std::cell::Cell;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::thread;
use std::time::{Duration, Instant};

use pysocket::{Socket, IPPROTO_TCP, TCP_NODELAY};

use crate::pingpong::epoll_for;
use crate::{loopback, ratio_median, stats, Plan, MSG};

/// The timeout every design is given: never reached.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Design {
    /// Blocking calls, no timeout: the baseline.
    Blocking,
    /// `O_NONBLOCK` and `MSG_DONTWAIT`; the call first, `poll` only on
    /// `EWOULDBLOCK` (pysocket's engine before the kernel backstop).
    TryFirst,
    /// `TryFirst` without a deadline (`poll` with no limit): the pattern's
    /// floor, with no clock read at all.
    TryFirstNoClock,
    /// Sends tried first, receives after a `poll`.
    PollBeforeRecv,
    /// `poll` before every call (CPython's `sock_call_ex`).
    PollFirst,
    /// Like `TryFirst`, waiting in `epoll_wait` on an epoll instance kept
    /// per socket (one more descriptor per socket).
    EpollPerSocket,
    /// Blocking descriptor with `SO_RCVTIMEO`/`SO_SNDTIMEO` set once (std's
    /// `set_read_timeout`): one timeout per system call, not per Python call.
    KernelOnce,
    /// Kernel timeouts set to the time left before every call, for one
    /// deadline per call.
    KernelPerCall,
    /// Blocking descriptor with `SO_RCVTIMEO` set once, shorter than the
    /// timeout, as a backstop: a receive sleeps in the kernel and falls back
    /// to `poll` for what is left of its deadline only on `EAGAIN` or
    /// `EINTR`; sends are tried first with `MSG_DONTWAIT`.
    KernelBackstop,
    /// pysocket in timeout mode.
    PysocketTimeout,
    /// pysocket in blocking mode.
    PysocketBlocking,
}

const DESIGNS: [(Design, &str); 11] = [
    (Design::Blocking, "raw blocking recv/send (baseline)"),
    (
        Design::TryFirst,
        "try first, poll on EAGAIN (pysocket's until now, raw)",
    ),
    (
        Design::TryFirstNoClock,
        "the same without a deadline (no clock read)",
    ),
    (Design::PollBeforeRecv, "try send first, poll before recv"),
    (
        Design::PollFirst,
        "poll before every call (CPython's design)",
    ),
    (
        Design::EpollPerSocket,
        "try first, epoll_wait on a per-socket epoll",
    ),
    (
        Design::KernelOnce,
        "kernel SO_RCVTIMEO/SO_SNDTIMEO set once (std's)",
    ),
    (
        Design::KernelPerCall,
        "kernel timeouts set before every call",
    ),
    (
        Design::KernelBackstop,
        "kernel backstop, poll after (pysocket's, raw)",
    ),
    (Design::PysocketTimeout, "pysocket timeout mode"),
    (Design::PysocketBlocking, "pysocket blocking mode"),
];

/// Runs the designs whose names contain one of `words` (all of them when
/// there is none), interleaved, and prints their table.
pub fn run(plan: Plan, words: &[String]) {
    crate::watchdog::arm("designs", Duration::from_secs(240));
    let count = plan.design_pingpongs;
    let designs: Vec<(Design, &str)> = DESIGNS
        .into_iter()
        .filter(|(_, name)| {
            words.is_empty() || words.iter().any(|word| name.contains(word.as_str()))
        })
        .collect();
    for (design, _) in &designs {
        run_design(*design, count);
    }
    let mut samples = vec![Vec::new(); designs.len()];
    let mut calls = vec![0.0; designs.len()];
    for round in 0..plan.rounds {
        // A rotated order each round, as in the main table.
        for k in 0..designs.len() {
            let i = (round + k) % designs.len();
            let (elapsed, syscalls) = run_design(designs[i].0, count);
            samples[i].push(elapsed.as_nanos() as f64 / count as f64);
            calls[i] = syscalls as f64 / count as f64;
        }
    }
    println!(
        "{:<52} {:>30} {:>13} {:>15}",
        "timeout design: round trip, median [min..max]", "", "/blocking", "syscalls/trip"
    );
    for (i, (design, name)) in designs.iter().enumerate() {
        let (med, min, max) = stats(&samples[i]);
        let us = |ns: f64| format!("{:.2}µs", ns / 1e3);
        let syscalls = match design {
            Design::PysocketTimeout | Design::PysocketBlocking => "(strace)".to_string(),
            _ => format!("{:.2}", calls[i]),
        };
        let (ratio, spread) = ratio_median(&samples[i], &samples[0]);
        println!(
            "{:<52} {:>30} {:>13} {:>15}",
            name,
            format!("{} [{}..{}]", us(med), us(min), us(max)),
            format!("{ratio:.3}±{spread:.3}"),
            syscalls
        );
    }
}

/// One ping-pong run: its time and the system calls both sides made in it
/// (raw designs only).
fn run_design(design: Design, count: usize) -> (Duration, usize) {
    let (client, conn) = loopback::socket2_pair();
    for sock in [&client, &conn] {
        sock.set_tcp_nodelay(true).unwrap();
        match design {
            Design::KernelOnce | Design::KernelPerCall => {
                sock.set_read_timeout(Some(TIMEOUT)).unwrap();
                sock.set_write_timeout(Some(TIMEOUT)).unwrap();
            }
            Design::KernelBackstop => sock.set_read_timeout(Some(TIMEOUT * 7 / 8)).unwrap(),
            Design::TryFirst
            | Design::TryFirstNoClock
            | Design::PollBeforeRecv
            | Design::PollFirst
            | Design::EpollPerSocket => sock.set_nonblocking(true).unwrap(),
            _ => {}
        }
    }
    if matches!(design, Design::PysocketTimeout | Design::PysocketBlocking) {
        let timeout = (design == Design::PysocketTimeout).then_some(TIMEOUT);
        let [client, conn] = [client, conn].map(|sock| {
            let sock = Socket::from(sock);
            sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
            sock.settimeout(timeout).unwrap();
            sock
        });
        let echo = thread::spawn(move || {
            let mut buf = [0u8; MSG];
            for _ in 0..count {
                let mut got = 0;
                while got < MSG {
                    got += conn.recv_into(&mut buf[got..]).unwrap();
                }
                conn.sendall(&buf).unwrap();
            }
        });
        let mut buf = [7u8; MSG];
        let start = Instant::now();
        for _ in 0..count {
            client.sendall(&buf).unwrap();
            let mut got = 0;
            while got < MSG {
                got += client.recv_into(&mut buf[got..]).unwrap();
            }
        }
        let elapsed = start.elapsed();
        echo.join().unwrap();
        return (elapsed, 0);
    }
    let echo = thread::spawn(move || {
        let side = Side::new(conn.as_raw_fd(), design);
        let mut buf = [0u8; MSG];
        SYSCALLS.set(0);
        for _ in 0..count {
            side.recv_exact(&mut buf);
            side.send_all(&buf);
        }
        SYSCALLS.get()
    });
    let side = Side::new(client.as_raw_fd(), design);
    let mut buf = [7u8; MSG];
    SYSCALLS.set(0);
    let start = Instant::now();
    for _ in 0..count {
        side.send_all(&buf);
        side.recv_exact(&mut buf);
    }
    let elapsed = start.elapsed();
    let echo_calls = echo.join().unwrap();
    (elapsed, SYSCALLS.get() + echo_calls)
}

thread_local! {
    /// The system calls this thread made in the current run.
    static SYSCALLS: Cell<usize> = const { Cell::new(0) };
}

fn counted<T>(call: impl FnOnce() -> T) -> T {
    SYSCALLS.set(SYSCALLS.get() + 1);
    call()
}

/// One end of a raw ping-pong under one design.
struct Side {
    fd: RawFd,
    design: Design,
    /// The epoll instance of [`Design::EpollPerSocket`].
    epoll: Option<OwnedFd>,
}

impl Side {
    fn new(fd: RawFd, design: Design) -> Side {
        let epoll = (design == Design::EpollPerSocket).then(|| epoll_for(fd));
        Side { fd, design, epoll }
    }

    /// Flags of each receive (`POLLIN`) and send (`POLLOUT`).
    fn call_flags(&self, events: libc::c_short) -> libc::c_int {
        match self.design {
            Design::KernelBackstop if events == libc::POLLOUT => libc::MSG_DONTWAIT,
            Design::TryFirst
            | Design::TryFirstNoClock
            | Design::PollBeforeRecv
            | Design::PollFirst
            | Design::EpollPerSocket => libc::MSG_DONTWAIT,
            _ => 0,
        }
    }

    fn recv_exact(&self, buf: &mut [u8]) {
        let mut got = 0;
        while got < buf.len() {
            got += self.io(libc::POLLIN, |fd, flags| {
                let rest = &mut buf[got..];
                // SAFETY: the pointer and length describe `rest`, which the kernel may write.
                unsafe { libc::recv(fd, rest.as_mut_ptr().cast(), rest.len(), flags) }
            });
        }
    }

    fn send_all(&self, buf: &[u8]) {
        let mut sent = 0;
        while sent < buf.len() {
            sent += self.io(libc::POLLOUT, |fd, flags| {
                let rest = &buf[sent..];
                let flags = flags | libc::MSG_NOSIGNAL;
                // SAFETY: the pointer and length describe `rest`, which the kernel only reads.
                unsafe { libc::send(fd, rest.as_ptr().cast(), rest.len(), flags) }
            });
        }
    }

    /// One receive or send under the design, with one deadline, retried on
    /// `EINTR` and, after a wait, on `EWOULDBLOCK`.
    fn io(
        &self,
        events: libc::c_short,
        mut call: impl FnMut(RawFd, libc::c_int) -> isize,
    ) -> usize {
        let design = self.design;
        // The baseline and std's design keep no deadline of their own.
        let deadline = match design {
            Design::Blocking | Design::KernelOnce | Design::TryFirstNoClock => None,
            _ => Some(Instant::now() + TIMEOUT),
        };
        let poll_first = design == Design::PollFirst
            || (design == Design::PollBeforeRecv && events == libc::POLLIN);
        if poll_first {
            self.wait(events, deadline);
        }
        loop {
            if design == Design::KernelPerCall {
                set_kernel_timeout(self.fd, events, deadline);
            }
            let n = counted(|| call(self.fd, self.call_flags(events)));
            if n >= 0 {
                return n as usize;
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => {}
                Some(libc::EAGAIN)
                    if self.call_flags(events) != 0 || design == Design::KernelBackstop =>
                {
                    self.wait(events, deadline)
                }
                other => panic!("socket call failed: {other:?}"),
            }
        }
    }

    /// Waits until the descriptor is ready, against `deadline` (`None`: no
    /// limit, and no clock read).
    fn wait(&self, events: libc::c_short, deadline: Option<Instant>) {
        loop {
            let millis = match deadline {
                None => -1,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    assert!(!left.is_zero(), "timed out");
                    left.as_millis() as libc::c_int
                }
            };
            let rc = match &self.epoll {
                // The epoll instance watches this socket for reading only.
                Some(epoll) if events == libc::POLLIN => {
                    let mut event = libc::epoll_event { events: 0, u64: 0 };
                    // SAFETY: room for one event, which the kernel may write.
                    counted(|| unsafe {
                        libc::epoll_wait(epoll.as_raw_fd(), &mut event, 1, millis)
                    })
                }
                _ => {
                    let mut pollfd = libc::pollfd {
                        fd: self.fd,
                        events,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, which the kernel may write.
                    counted(|| unsafe { libc::poll(&mut pollfd, 1, millis) })
                }
            };
            if rc > 0 {
                return;
            }
        }
    }
}

fn set_kernel_timeout(fd: RawFd, events: libc::c_short, deadline: Option<Instant>) {
    let deadline = deadline.expect("a design that waits keeps a deadline");
    let left = deadline.saturating_duration_since(Instant::now());
    let tv = libc::timeval {
        tv_sec: left.as_secs() as libc::time_t,
        tv_usec: left.subsec_micros() as libc::suseconds_t,
    };
    let name = if events == libc::POLLIN {
        libc::SO_RCVTIMEO
    } else {
        libc::SO_SNDTIMEO
    };
    // SAFETY: the pointer and length describe `tv`, which the kernel only reads.
    let rc = counted(|| unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    });
    assert_eq!(rc, 0, "setsockopt failed");
}
