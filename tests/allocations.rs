//! What the data paths allocate, counted by a global allocator: nothing per
//! call on `send`, `sendall`, `recv_into`, `sendto` and `recvfrom_into` in
//! each timeout mode (waits, timeouts and `WouldBlock` included), exactly one
//! allocation per `recv(n)` and `recvfrom(n)`, and nothing per line once a
//! makefile's buffers exist, nor per `Selector::select_into` with a reused
//! list, nor per `sendmsg` (control data included) and `recvmsg_into`
//! without control data.
//!
//! The allocator counts per thread, so the threads of other tests (and the
//! helper threads here) never disturb a count.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{BufRead, ErrorKind, IoSlice, IoSliceMut, Write};
use std::thread;
use std::time::Duration;

use common::{tcp_pair, udp_socket, PROMPT};
use pysocket::{
    socketpair, Cmsg, Error, EventMask, MsgFlags, Selector, Socket, AF_INET, CMSG_SPACE,
};

struct CountingAllocator;

thread_local! {
    /// Allocations (and reallocations) made by this thread.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // A const-initialised `Cell` needs no lazy set-up, so this cannot
    // allocate; `try_with` covers a thread that is being torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// count has no effect on the memory returned.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `realloc`'s contract, passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// How many allocations this thread makes while running `f`.
fn allocations_in<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (ALLOCATIONS.with(Cell::get) - before, value)
}

/// Calls per measurement.
const CALLS: usize = 1_000;

const MSG: usize = 64;

/// The three timeout modes, as `settimeout` takes them.
const MODES: [(&str, Option<Duration>); 3] = [
    ("blocking", None),
    ("timeout", Some(PROMPT)),
    ("non-blocking", Some(Duration::ZERO)),
];

/// Receives exactly `buf.len()` bytes (see [`until_ready`] for non-blocking
/// mode).
fn recv_exact(sock: &Socket, buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        let (n, _) = until_ready("recv_into", || sock.recv_into(&mut buf[got..]));
        assert!(n > 0, "peer closed");
        got += n;
    }
}

#[test]
fn tcp_send_and_recv_into_allocate_nothing_in_any_mode() {
    for (mode, timeout) in MODES {
        let (client, server) = tcp_pair();
        client.settimeout(timeout).expect("settimeout");
        server.settimeout(timeout).expect("settimeout");
        let msg = [7u8; MSG];
        let mut buf = [0u8; MSG];
        let (allocations, ()) = allocations_in(|| {
            for _ in 0..CALLS {
                assert_eq!(client.send(&msg).expect("send"), MSG);
                recv_exact(&server, &mut buf);
                server.sendall(&buf).expect("sendall");
                recv_exact(&client, &mut buf);
            }
        });
        assert_eq!(
            allocations, 0,
            "{mode} mode: {allocations} allocations in {CALLS} round trips of send, sendall and recv_into"
        );
    }
}

#[test]
fn large_sendall_allocates_nothing_in_any_mode() {
    let data = vec![0x5au8; 4 << 20];
    for (mode, timeout) in MODES {
        let (client, server) = tcp_pair();
        // A non-blocking sendall stops where the buffers fill, so that mode
        // sends what they hold; the others wait for the reader.
        let size = if timeout == Some(Duration::ZERO) {
            16 << 10
        } else {
            data.len()
        };
        let reader = thread::spawn(move || {
            let mut buf = vec![0u8; 64 << 10];
            let mut got = 0;
            while got < size {
                got += server.recv_into(&mut buf).expect("recv_into");
            }
        });
        client.settimeout(timeout).expect("settimeout");
        let (allocations, result) = allocations_in(|| client.sendall(&data[..size]));
        result.expect("sendall");
        reader.join().expect("reader");
        assert_eq!(
            allocations, 0,
            "{mode} mode: sendall of {size} bytes allocated"
        );
    }
}

/// The paths that end without data: a wait that times out, a non-blocking
/// call that would block, and a timeout-mode call that waits for data sent
/// later by another thread.
#[test]
fn waits_timeouts_and_would_block_allocate_nothing() {
    let (client, server) = tcp_pair();
    let mut buf = [0u8; MSG];

    server
        .settimeout(Some(Duration::from_millis(1)))
        .expect("settimeout");
    let (allocations, result) = allocations_in(|| server.recv_into(&mut buf));
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert_eq!(allocations, 0, "a timed-out recv_into allocated");

    server.setblocking(false).expect("setblocking");
    let (allocations, result) = allocations_in(|| server.recv_into(&mut buf));
    assert!(
        matches!(&result, Err(Error::Io(err)) if err.kind() == ErrorKind::WouldBlock),
        "{result:?}"
    );
    assert_eq!(allocations, 0, "a recv_into that would block allocated");

    server.settimeout(Some(PROMPT)).expect("settimeout");
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        client.sendall(&[1u8; MSG]).expect("sendall");
        client
    });
    let (allocations, ()) = allocations_in(|| recv_exact(&server, &mut buf));
    sender.join().expect("sender");
    assert_eq!(
        allocations, 0,
        "a recv_into that waited for its data allocated"
    );
}

/// Runs `call` until it does not fail with `WouldBlock` (non-blocking mode,
/// data not there yet: a bounded number of retries after a yield), and
/// returns its value with the number of calls made.
fn until_ready<T>(what: &str, mut call: impl FnMut() -> pysocket::Result<T>) -> (T, u64) {
    let mut calls = 0;
    loop {
        calls += 1;
        match call() {
            Ok(value) => return (value, calls),
            Err(Error::Io(err)) if err.kind() == ErrorKind::WouldBlock && calls < 100_000 => {
                thread::yield_now()
            }
            Err(err) => panic!("{what}: {err}"),
        }
    }
}

#[test]
fn udp_sendto_and_recvfrom_into_allocate_nothing_in_any_mode() {
    for (mode, timeout) in MODES {
        let (a, a_addr) = udp_socket(AF_INET);
        let (b, b_addr) = udp_socket(AF_INET);
        a.settimeout(timeout).expect("settimeout");
        b.settimeout(timeout).expect("settimeout");
        let msg = [7u8; MSG];
        let mut buf = [0u8; MSG];
        let (allocations, ()) = allocations_in(|| {
            for _ in 0..CALLS {
                a.sendto(&msg, &b_addr).expect("sendto");
                let ((n, from), _) = until_ready("recvfrom_into", || b.recvfrom_into(&mut buf));
                assert_eq!((n, &from), (MSG, &a_addr));
                b.sendto(&buf, &from).expect("sendto");
                until_ready("recvfrom_into", || a.recvfrom_into(&mut buf));
            }
        });
        assert_eq!(
            allocations, 0,
            "{mode} mode: {allocations} allocations in {CALLS} UDP round trips"
        );
    }
}

/// `recv(n)` and `recvfrom(n)` allocate their result, once per call, even
/// a call that fails with `WouldBlock`.
#[test]
fn recv_and_recvfrom_allocate_once_per_call() {
    for (mode, timeout) in MODES {
        let (client, server) = tcp_pair();
        client.settimeout(timeout).expect("settimeout");
        server.settimeout(timeout).expect("settimeout");
        let msg = [7u8; MSG];
        let (allocations, calls) = allocations_in(|| {
            let mut calls = 0;
            for _ in 0..CALLS {
                client.sendall(&msg).expect("sendall");
                let mut got = 0;
                while got < MSG {
                    let (data, made) = until_ready("recv", || server.recv(MSG - got));
                    got += data.len();
                    calls += made;
                }
            }
            calls
        });
        assert_eq!(
            allocations, calls,
            "{mode} mode: {allocations} allocations in {calls} calls of recv(n)"
        );

        let (a, _) = udp_socket(AF_INET);
        let (b, b_addr) = udp_socket(AF_INET);
        a.settimeout(timeout).expect("settimeout");
        b.settimeout(timeout).expect("settimeout");
        let (allocations, calls) = allocations_in(|| {
            let mut calls = 0;
            for _ in 0..CALLS {
                a.sendto(&msg, &b_addr).expect("sendto");
                let ((data, _), made) = until_ready("recvfrom", || b.recvfrom(MSG));
                assert_eq!(data.len(), MSG);
                calls += made;
            }
            calls
        });
        assert_eq!(
            allocations, calls,
            "{mode} mode: {allocations} allocations in {calls} calls of recvfrom(n)"
        );
    }
}

/// Once the read buffer and the line's `String` exist, lines cost nothing;
/// once the write buffer exists, writes and flushes cost nothing.
#[test]
fn makefile_lines_allocate_nothing_once_buffered() {
    let (client, server) = tcp_pair();
    server.settimeout(Some(PROMPT)).expect("settimeout");
    const LINES: usize = 10_000;
    let writer = thread::spawn(move || {
        let mut file = client.makefile();
        for i in 0..=LINES {
            writeln!(file, "{i:08} the quick brown fox jumps over it").expect("write");
        }
        file.flush().expect("flush");
        drop(file);
        client.close().expect("close");
    });
    let mut reader = server.makefile();
    let mut line = String::new();
    reader.read_line(&mut line).expect("first line");
    let (allocations, lines) = allocations_in(|| {
        let mut lines = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line).expect("read_line") == 0 {
                return lines;
            }
            lines += 1;
        }
    });
    writer.join().expect("writer");
    assert_eq!(lines, LINES);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations reading {LINES} lines"
    );

    let (a, b) = tcp_pair();
    let drain = thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        while b.recv_into(&mut buf).expect("recv_into") > 0 {}
    });
    let mut file = a.makefile();
    let line = b"0123456789 the quick brown fox jumps over it\n";
    // The write buffer grows to what is written; the first line sizes it.
    file.write_all(line).expect("write");
    file.flush().expect("flush");
    let (allocations, ()) = allocations_in(|| {
        for _ in 0..CALLS {
            file.write_all(line).expect("write");
            file.flush().expect("flush");
        }
    });
    drop(file);
    a.close().expect("close");
    drain.join().expect("drain");
    assert_eq!(
        allocations, 0,
        "{allocations} allocations in {CALLS} writes and flushes"
    );
}

#[test]
fn selector_select_into_allocates_nothing_once_its_list_has_grown() {
    let (client, server) = tcp_pair();
    server.setblocking(false).unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&server, EventMask::READ, 7u32).unwrap();
    let mut ready = Vec::new();
    let mut buf = [0u8; 64];
    // The first ready socket grows the list; from then on nothing allocates.
    client.sendall(&buf).unwrap();
    assert_eq!(sel.select_into(Some(PROMPT), &mut ready).unwrap(), 1);
    recv_exact(&server, &mut buf);
    let (allocations, ()) = allocations_in(|| {
        for _ in 0..100 {
            client.sendall(&buf).unwrap();
            let mut got = 0;
            while got < buf.len() {
                let n = sel.select_into(Some(PROMPT), &mut ready).unwrap();
                assert_eq!(n, 1, "the socket is ready");
                assert_eq!((ready[0].0.data, ready[0].1), (7, EventMask::READ));
                match server.recv_into(&mut buf[got..]) {
                    Ok(n) => got += n,
                    Err(Error::Io(err)) if err.kind() == ErrorKind::WouldBlock => {}
                    Err(err) => panic!("recv_into: {err}"),
                }
            }
        }
        // A timeout, too.
        assert_eq!(
            sel.select_into(Some(Duration::ZERO), &mut ready).unwrap(),
            0
        );
    });
    assert_eq!(allocations, 0);
}

#[test]
fn sendmsg_and_recvmsg_into_without_control_data_allocate_nothing() {
    let file = std::fs::File::open("/dev/null").expect("open /dev/null");
    let rights = [Cmsg::rights(&[std::os::fd::AsFd::as_fd(&file)])];
    for (mode, timeout) in &MODES[..2] {
        let pairs = [
            ("socketpair", socketpair().expect("socketpair")),
            ("TCP", tcp_pair()),
        ];
        for (kind, (a, b)) in pairs {
            a.settimeout(*timeout).expect("settimeout");
            b.settimeout(*timeout).expect("settimeout");
            let msg = [7u8; MSG];
            let mut buf = [0u8; MSG];
            let (allocations, ()) = allocations_in(|| {
                for _ in 0..CALLS {
                    let sent = a
                        .sendmsg(&[IoSlice::new(&msg)], &[], MsgFlags::empty())
                        .expect("sendmsg");
                    assert_eq!(sent, MSG);
                    let got = b
                        .recvmsg_into(&mut [IoSliceMut::new(&mut buf)], 0, MsgFlags::empty())
                        .expect("recvmsg_into");
                    assert_eq!((got.nbytes, got.address), (MSG, None));
                }
            });
            assert_eq!(
                allocations, 0,
                "{kind}, {mode} mode: {allocations} allocations in {CALLS} sendmsg/recvmsg_into"
            );
            // Room for control data that does not come allocates nothing either.
            let room = CMSG_SPACE(4).expect("CMSG_SPACE");
            let (allocations, ()) = allocations_in(|| {
                for _ in 0..CALLS {
                    a.sendmsg(&[IoSlice::new(&msg)], &[], MsgFlags::empty())
                        .expect("sendmsg");
                    let got = b
                        .recvmsg_into(&mut [IoSliceMut::new(&mut buf)], room, MsgFlags::empty())
                        .expect("recvmsg_into");
                    assert_eq!((got.nbytes, got.fds.len()), (MSG, 0));
                }
            });
            assert_eq!(
                allocations, 0,
                "{kind}, {mode} mode: recvmsg_into with unused control room allocated"
            );
        }
        // Sending control data allocates nothing (receiving it makes the
        // descriptors' list and the messages' data).
        let (a, b) = socketpair().expect("socketpair");
        a.settimeout(*timeout).expect("settimeout");
        let (allocations, ()) = allocations_in(|| {
            for _ in 0..16 {
                let sent = a
                    .sendmsg(&[IoSlice::new(b"x")], &rights, MsgFlags::empty())
                    .expect("sendmsg");
                assert_eq!(sent, 1);
            }
        });
        assert_eq!(
            allocations, 0,
            "{mode} mode: sendmsg with SCM_RIGHTS allocated"
        );
        let got = b.recvmsg(
            16,
            CMSG_SPACE(4 * 16).expect("CMSG_SPACE"),
            MsgFlags::empty(),
        );
        assert!(!got.expect("recvmsg").fds.is_empty());
    }
}
