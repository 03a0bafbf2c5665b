//! Ping-pong: one 64-byte message each way per round trip, TCP_NODELAY,
//! timed on the client from the first send to the last reply. An echo
//! thread answers on the other side of the connection.

use std::io::{ErrorKind, Read, Write};
use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::thread;
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode, Poller};
use pysocket::{
    select, Error, EventMask, Selector, SelectorKey, Socket, AF_INET, EVENT_READ, IPPROTO_TCP,
    SOCK_DGRAM, TCP_NODELAY,
};
use socket2::{Domain, Type};

use crate::loopback;
use crate::MSG;

/// How each side waits for the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Blocking calls.
    Blocking,
    /// Timeout mode (pysocket), kernel timeouts (std).
    Timeout,
    /// Non-blocking, `select` (pysocket) or `poll(2)` before each receive.
    Select,
    /// Non-blocking, a `Selector` (pysocket), `epoll_wait(2)` (socket2) or
    /// the polling crate (std) before each receive.
    Selector,
    /// As `Selector`, pysocket reusing one list with `Selector::select_into`.
    SelectorInto,
}

/// The timeout of the timeout-mode variants: never reached.
const TIMEOUT: Duration = Duration::from_secs(10);

// --- pysocket ---------------------------------------------------------------

pub fn tcp_pysocket(count: usize, wait: Wait) -> Duration {
    let (client, conn) = loopback::pysocket_pair();
    let echo = thread::spawn(move || {
        let mut side = PySide::new(conn, wait);
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            side.recv_exact(&mut buf);
            side.sock.sendall(&buf).unwrap();
        }
    });
    let mut side = PySide::new(client, wait);
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        side.sock.sendall(&msg).unwrap();
        side.recv_exact(&mut buf);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

struct PySide {
    sock: Socket,
    wait: Wait,
    selector: Option<Selector>,
    ready: Vec<(SelectorKey<()>, EventMask)>,
}

impl PySide {
    fn new(sock: Socket, wait: Wait) -> PySide {
        sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, true).unwrap();
        match wait {
            Wait::Blocking => {}
            Wait::Timeout => sock.settimeout(Some(TIMEOUT)).unwrap(),
            Wait::Select | Wait::Selector | Wait::SelectorInto => sock.setblocking(false).unwrap(),
        }
        let selector = matches!(wait, Wait::Selector | Wait::SelectorInto).then(|| {
            let mut selector = Selector::new().unwrap();
            selector.register(&sock, EVENT_READ, ()).unwrap();
            selector
        });
        PySide {
            sock,
            wait,
            selector,
            ready: Vec::new(),
        }
    }

    fn recv_exact(&mut self, buf: &mut [u8]) {
        let mut got = 0;
        while got < buf.len() {
            match self.wait {
                Wait::Select => {
                    select(&[&self.sock], &[], &[], None).unwrap();
                }
                Wait::Selector => {
                    if let Some(selector) = &mut self.selector {
                        selector.select(None).unwrap();
                    }
                }
                Wait::SelectorInto => {
                    if let Some(selector) = &mut self.selector {
                        selector.select_into(None, &mut self.ready).unwrap();
                    }
                }
                Wait::Blocking | Wait::Timeout => {}
            }
            match self.sock.recv_into(&mut buf[got..]) {
                Ok(0) => panic!("peer closed"),
                Ok(n) => got += n,
                Err(Error::Io(err)) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => panic!("recv_into: {err}"),
            }
        }
    }
}

impl Drop for PySide {
    fn drop(&mut self) {
        if let Some(selector) = &mut self.selector {
            let _ = selector.unregister(&self.sock);
        }
    }
}

// --- socket2 and std: the same loops over raw calls -------------------------

pub fn tcp_socket2(count: usize, wait: Wait) -> Duration {
    let (client, conn) = loopback::socket2_pair();
    for sock in [&client, &conn] {
        sock.set_tcp_nodelay(true).unwrap();
        sock.set_nonblocking(matches!(
            wait,
            Wait::Select | Wait::Selector | Wait::SelectorInto
        ))
        .unwrap();
    }
    raw_pingpong(client, conn, count, wait, Waiter::epoll)
}

pub fn tcp_std(count: usize, wait: Wait) -> Duration {
    let (client, conn) = loopback::std_pair();
    for sock in [&client, &conn] {
        sock.set_nodelay(true).unwrap();
        sock.set_nonblocking(matches!(
            wait,
            Wait::Select | Wait::Selector | Wait::SelectorInto
        ))
        .unwrap();
        if wait == Wait::Timeout {
            sock.set_read_timeout(Some(TIMEOUT)).unwrap();
            sock.set_write_timeout(Some(TIMEOUT)).unwrap();
        }
    }
    raw_pingpong(client, conn, count, wait, Waiter::polling)
}

/// The ping-pong over raw calls; `selector` makes the waiter of
/// [`Wait::Selector`].
fn raw_pingpong<S>(
    client: S,
    conn: S,
    count: usize,
    wait: Wait,
    selector: fn(&S) -> Waiter,
) -> Duration
where
    S: AsFd + Send + 'static,
    for<'a> &'a S: Read + Write,
{
    let echo = thread::spawn(move || {
        let mut waiter = Waiter::new(&conn, wait, selector);
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            raw_recv_exact(&conn, &mut waiter, &mut buf);
            (&conn).write_all(&buf).unwrap();
        }
    });
    let mut waiter = Waiter::new(&client, wait, selector);
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        (&client).write_all(&msg).unwrap();
        raw_recv_exact(&client, &mut waiter, &mut buf);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

fn raw_recv_exact<S>(mut sock: &S, waiter: &mut Waiter, buf: &mut [u8])
where
    for<'a> &'a S: Read,
{
    let mut got = 0;
    while got < buf.len() {
        waiter.wait();
        match sock.read(&mut buf[got..]) {
            Ok(0) => panic!("peer closed"),
            Ok(n) => got += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => panic!("read: {err}"),
        }
    }
}

/// The raw readiness wait of each non-blocking variant.
enum Waiter {
    None,
    Poll(RawFd),
    Epoll(OwnedFd),
    Polling(Poller, Events),
}

impl Waiter {
    fn new<S: AsFd>(sock: &S, wait: Wait, selector: fn(&S) -> Waiter) -> Waiter {
        match wait {
            Wait::Blocking | Wait::Timeout => Waiter::None,
            Wait::Select => Waiter::Poll(sock.as_fd().as_raw_fd()),
            Wait::Selector | Wait::SelectorInto => selector(sock),
        }
    }

    /// socket2's variant of [`Wait::Selector`]: `epoll_wait(2)` directly.
    fn epoll<S: AsFd>(sock: &S) -> Waiter {
        Waiter::Epoll(epoll_for(sock.as_fd().as_raw_fd()))
    }

    /// std's variant of [`Wait::Selector`]: the polling crate, as pysocket's
    /// `Selector` uses it outside Linux.
    fn polling<S: AsFd>(sock: &S) -> Waiter {
        let poller = Poller::new().unwrap();
        // SAFETY: the socket outlives the poller, which is dropped (and with
        // it the registration) before the socket at the end of the exchange.
        unsafe {
            poller
                .add_with_mode(
                    sock.as_fd().as_raw_fd(),
                    Event::readable(0),
                    PollMode::Level,
                )
                .unwrap();
        }
        Waiter::Polling(poller, Events::new())
    }

    fn wait(&mut self) {
        match self {
            Waiter::None => {}
            Waiter::Poll(fd) => {
                let mut pollfd = libc::pollfd {
                    fd: *fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd, which the kernel may write.
                let rc = unsafe { libc::poll(&mut pollfd, 1, -1) };
                assert!(rc >= 0 || last_error_is_eintr(), "poll failed");
            }
            Waiter::Epoll(epoll) => {
                let mut event = libc::epoll_event { events: 0, u64: 0 };
                // SAFETY: room for one event, which the kernel may write.
                let rc = unsafe { libc::epoll_wait(epoll.as_raw_fd(), &mut event, 1, -1) };
                assert!(rc >= 0 || last_error_is_eintr(), "epoll_wait failed");
            }
            Waiter::Polling(poller, events) => {
                events.clear();
                poller.wait(events, None).unwrap();
            }
        }
    }
}

/// A new epoll instance watching `fd` for reading, its events keyed by `fd`.
pub fn epoll_for(fd: RawFd) -> OwnedFd {
    // SAFETY: epoll_create1 takes no pointer; the result is checked below.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    assert!(epfd >= 0, "epoll_create1 failed");
    // SAFETY: `epfd` is a new descriptor that nothing else owns.
    let epoll = unsafe { OwnedFd::from_raw_fd(epfd) };
    let mut event = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: fd as u64,
    };
    // SAFETY: both descriptors are open; the kernel only reads `event`.
    let rc = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) };
    assert_eq!(rc, 0, "epoll_ctl failed");
    epoll
}

fn last_error_is_eintr() -> bool {
    std::io::Error::last_os_error().kind() == ErrorKind::Interrupted
}

// --- UDP ----------------------------------------------------------------------

pub fn udp_pysocket(count: usize) -> Duration {
    let server = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    let addr = server.getsockname().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            let (n, from) = server.recvfrom_into(&mut buf).unwrap();
            server.sendto(&buf[..n], &from).unwrap();
        }
    });
    let client = Socket::new(AF_INET, SOCK_DGRAM).unwrap();
    client.bind(("127.0.0.1", 0)).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.sendto(&msg, &addr).unwrap();
        let (n, _) = client.recvfrom_into(&mut buf).unwrap();
        assert_eq!(n, MSG);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

pub fn udp_socket2(count: usize) -> Duration {
    let server = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    server.bind(&loopback::any_port()).unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [std::mem::MaybeUninit::new(0u8); MSG];
        for _ in 0..count {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            // SAFETY: recv_from initialised the first `n` bytes.
            let data = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) };
            server.send_to(data, &from).unwrap();
        }
    });
    let client = socket2::Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    client.bind(&loopback::any_port()).unwrap();
    let msg = [7u8; MSG];
    let mut buf = [std::mem::MaybeUninit::new(0u8); MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.send_to(&msg, &addr).unwrap();
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(n, MSG);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}

pub fn udp_std(count: usize) -> Duration {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; MSG];
        for _ in 0..count {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        }
    });
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let msg = [7u8; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    for _ in 0..count {
        client.send_to(&msg, addr).unwrap();
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(n, MSG);
    }
    let elapsed = start.elapsed();
    echo.join().unwrap();
    elapsed
}
