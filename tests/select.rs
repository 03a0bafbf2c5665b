//! `select` and `Selector`: readiness for reading, writing and exceptional
//! conditions, timeouts, descriptors past `FD_SETSIZE`, interrupted waits,
//! and the selector's registrations and their errors.

mod common;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::{Duration, Instant};

use common::{repeat_until_delivered, tcp_pair, this_thread, SignalStorm, PROMPT};
use pysocket::{
    select, socketpair, Error, EventMask, MsgFlags, Selector, Socket, AF_INET, EVENT_READ,
    EVENT_WRITE, SOCK_STREAM,
};

/// A descriptor number that is never open: the kernel caps descriptors far
/// below it (`nr_open`), so no other test can be given it.
const NEVER_OPEN: i32 = 1 << 30;

fn never_open() -> BorrowedFd<'static> {
    // SAFETY: deliberately out of contract, to check that a descriptor that is
    // not open is an error: nothing can be open at this number (see
    // `NEVER_OPEN`), and the calls under test only pass it to the kernel.
    unsafe { BorrowedFd::borrow_raw(NEVER_OPEN) }
}

/// Fills `sock`'s send buffer (and the peer's receive buffer) until a
/// non-blocking send would block. Returns how many bytes went out.
fn fill(sock: &Socket) -> usize {
    sock.setblocking(false).expect("setblocking");
    let chunk = vec![7u8; 64 * 1024];
    let mut total = 0;
    for _ in 0..100_000 {
        match sock.send(&chunk) {
            Ok(n) => total += n,
            Err(err) if err.is_would_block() => break,
            Err(err) => panic!("send: {err}"),
        }
    }
    sock.setblocking(true).expect("setblocking");
    total
}

/// Reads exactly `len` bytes.
fn drain(sock: &Socket, len: usize) {
    sock.settimeout(Some(PROMPT)).expect("settimeout");
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0;
    while got < len {
        let n = sock.recv_into(&mut buf).expect("recv while draining");
        assert!(n > 0, "the peer closed while draining");
        got += n;
    }
}

/// How often a storm signals the waiting thread.
const EVERY: Duration = Duration::from_millis(2);

/// The fewest signals a stormed wait must have handled for a case to mean
/// anything. Counted, never inferred from the storm's rate: on a loaded
/// machine the storm's thread wakes rarely.
const ENOUGH_SIGNALS: usize = 20;

/// The most runs of a wait with a fixed deadline it may take to gather
/// [`ENOUGH_SIGNALS`].
const ATTEMPTS: usize = 10;

/// Runs `call`, a wait of `wait` on descriptors that stay unready (it
/// returns how many were reported), under a signal storm, and checks that it
/// reports none after the whole wait and no later than [`PROMPT`] past it;
/// runs it again, each run checked in full, until the runs have handled
/// [`ENOUGH_SIGNALS`] between them.
fn assert_keeps_its_deadline_under_signals(
    what: &str,
    wait: Duration,
    mut call: impl FnMut() -> pysocket::Result<usize>,
) {
    repeat_until_delivered(what, ENOUGH_SIGNALS, ATTEMPTS, || {
        let storm = SignalStorm::start(this_thread(), EVERY);
        let started = Instant::now();
        let ready = call();
        let waited = started.elapsed();
        let handled = storm.stop_delivered();
        let ready = ready.unwrap_or_else(|err| panic!("{what}: {err}"));
        assert_eq!(ready, 0, "{what}: reported ready with nothing to read");
        assert!(waited >= wait, "{what}: returned after {waited:?}");
        assert!(
            waited < wait + PROMPT,
            "{what}: the deadline was not kept: {waited:?}"
        );
        [handled]
    });
}

/// Runs `call`, a wait for `a`'s peer to become readable with no deadline
/// (or one only a hang reaches), under a signal storm; `a` sends a byte
/// after 150 ms and once the waiting thread has handled [`ENOUGH_SIGNALS`]
/// (or [`PROMPT`] has passed), so the wait is interrupted again and again
/// however slowly the storm runs. Returns what `call` returned, after
/// checking that enough signals were handled.
fn wait_for_a_byte_under_signals<T>(
    what: &str,
    a: &Socket,
    call: impl FnOnce() -> pysocket::Result<T>,
) -> T {
    let storm = SignalStorm::start(this_thread(), EVERY);
    let deliveries = storm.deliveries();
    let (result, handled) = thread::scope(|scope| {
        scope.spawn(move || {
            thread::sleep(Duration::from_millis(150));
            deliveries.wait_for(ENOUGH_SIGNALS, PROMPT);
            a.sendall(b"x").unwrap();
        });
        let result = call();
        (result, storm.stop_delivered())
    });
    let result = result.unwrap_or_else(|err| panic!("{what}: {err}"));
    assert!(
        handled >= ENOUGH_SIGNALS,
        "{what}: only {handled} signals handled"
    );
    result
}

// ---------------------------------------------------------------------------
// select

#[test]
fn select_reports_a_socket_once_data_arrives() {
    let (a, b) = socketpair().unwrap();
    let (r, w, x) = select(&[&a, &b], &[], &[&a, &b], Some(Duration::ZERO)).unwrap();
    assert!(r.is_empty() && w.is_empty() && x.is_empty());

    let started = Instant::now();
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            a.sendall(b"late").unwrap();
        });
        let (r, w, x) = select(&[&a, &b], &[], &[], Some(PROMPT)).unwrap();
        assert_eq!(r.len(), 1);
        assert!(std::ptr::eq(r[0], &b), "only b has data");
        assert!(w.is_empty() && x.is_empty());
    });
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(80),
        "returned after {waited:?}"
    );
    assert!(waited < PROMPT);
    assert_eq!(b.recv(16).unwrap(), b"late");
}

#[test]
fn select_returns_at_once_when_already_ready() {
    let (a, b) = socketpair().unwrap();
    a.sendall(b"x").unwrap();
    let started = Instant::now();
    let (r, w, _) = select(&[&b], &[&a, &b], &[], None).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(w.len(), 2, "both ends have room to write");
    assert!(started.elapsed() < PROMPT);
}

#[test]
fn select_reports_writable_once_the_peer_reads() {
    let (client, server) = tcp_pair();
    let sent = fill(&client);
    let (_, w, _) = select(&[], &[&client], &[], Some(Duration::ZERO)).unwrap();
    assert!(w.is_empty(), "a full send buffer is not writable");
    thread::scope(|scope| {
        scope.spawn(|| drain(&server, sent));
        let (_, w, _) = select(&[], &[&client], &[], Some(PROMPT)).unwrap();
        assert_eq!(w.len(), 1, "writable once the peer drained the data");
    });
}

#[test]
fn select_reports_a_pending_connection_and_a_hang_up_as_readable() {
    let (listener, addr) = common::listener(AF_INET);
    let (r, _, _) = select(&[&listener], &[], &[], Some(Duration::ZERO)).unwrap();
    assert!(r.is_empty());
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(&addr).unwrap();
    let (r, _, _) = select(&[&listener], &[], &[], Some(PROMPT)).unwrap();
    assert_eq!(r.len(), 1, "a connection to accept");
    let (conn, _) = listener.accept().unwrap();

    drop(client);
    let (r, _, _) = select(&[&conn], &[], &[], Some(PROMPT)).unwrap();
    assert_eq!(r.len(), 1, "the end of the stream is readable");
    assert!(conn.recv(16).unwrap().is_empty());
}

#[test]
fn select_reports_out_of_band_data_as_exceptional() {
    let (client, server) = tcp_pair();
    let (_, _, x) = select(&[], &[], &[&server], Some(Duration::ZERO)).unwrap();
    assert!(x.is_empty());
    client.send_with_flags(b"!", MsgFlags::OOB).unwrap();
    let (_, _, x) = select(&[], &[], &[&server], Some(PROMPT)).unwrap();
    assert_eq!(x.len(), 1, "urgent data is an exceptional condition");
}

#[test]
fn select_times_out_with_empty_lists() {
    let (a, _b) = socketpair().unwrap();
    for wait in [Duration::from_millis(50), Duration::from_millis(250)] {
        let started = Instant::now();
        let (r, w, x) = select(&[&a], &[], &[&a], Some(wait)).unwrap();
        let waited = started.elapsed();
        assert!(r.is_empty() && w.is_empty() && x.is_empty());
        assert!(waited >= wait, "returned after {waited:?}, before {wait:?}");
        assert!(waited < wait + PROMPT, "returned after {waited:?}");
    }
    let started = Instant::now();
    let (r, _, _) = select(&[&a], &[], &[], Some(Duration::ZERO)).unwrap();
    assert!(r.is_empty());
    assert!(started.elapsed() < PROMPT);
}

#[test]
fn select_with_no_descriptor_sleeps_for_the_timeout() {
    let started = Instant::now();
    let (r, w, x) = select::<&Socket>(&[], &[], &[], Some(Duration::from_millis(100))).unwrap();
    assert!(r.is_empty() && w.is_empty() && x.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[test]
fn select_takes_any_descriptor_kind() {
    let (a, b) = socketpair().unwrap();
    let (std_a, std_b) = UnixStream::pair().unwrap();
    std::io::Write::write_all(&mut &std_a, b"std").unwrap();
    a.sendall(b"pysocket").unwrap();
    let read: [&dyn AsFd; 2] = [&b, &std_b];
    let (r, _, _) = select(&read, &[], &[], Some(PROMPT)).unwrap();
    assert_eq!(r.len(), 2);
    let fds: Vec<BorrowedFd<'_>> = vec![b.as_fd(), std_b.as_fd()];
    let (r, _, _) = select(&fds, &[], &[], Some(PROMPT)).unwrap();
    assert_eq!(r.len(), 2);
}

#[test]
fn select_lists_a_descriptor_in_each_list_it_is_in() {
    let (a, b) = socketpair().unwrap();
    a.sendall(b"x").unwrap();
    let (r, w, _) = select(&[&b, &b], &[&b], &[], Some(PROMPT)).unwrap();
    assert_eq!(r.len(), 2, "listed twice, reported twice");
    assert_eq!(w.len(), 1);
}

#[test]
fn select_on_a_descriptor_that_is_not_open_is_ebadf() {
    let (a, _b) = socketpair().unwrap();
    let err = select(&[a.as_fd(), never_open()], &[], &[], Some(PROMPT)).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EBADF), "{err}");
}

/// Raises the soft descriptor limit to at least `want`, if the hard limit allows.
fn raise_nofile(want: u64) -> bool {
    // SAFETY: `limit` is a valid, writable `rlimit` for both calls.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return false;
        }
        if limit.rlim_cur as u64 >= want {
            return true;
        }
        if (limit.rlim_max as u64) < want {
            return false;
        }
        limit.rlim_cur = want as libc::rlim_t;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0
    }
}

#[test]
fn select_has_no_fd_setsize_limit() {
    const PAIRS: usize = 700; // 1400 descriptors, so some numbers pass 1024
    if !raise_nofile(4096) {
        eprintln!("cannot raise RLIMIT_NOFILE to 4096: skipping");
        return;
    }
    let pairs: Vec<(Socket, Socket)> = (0..PAIRS).map(|_| socketpair().unwrap()).collect();
    let readers: Vec<&Socket> = pairs.iter().map(|(_, b)| b).collect();
    let highest = readers.iter().map(|s| s.fileno()).max().unwrap();
    assert!(
        highest >= libc::FD_SETSIZE as i32,
        "descriptor {highest} is not past FD_SETSIZE"
    );

    let (r, _, _) = select(&readers, &[], &[], Some(Duration::ZERO)).unwrap();
    assert!(r.is_empty());

    // The socket with the highest number is among those that get data.
    let top = (0..PAIRS).max_by_key(|&i| pairs[i].1.fileno()).unwrap();
    let mut chosen = vec![0, PAIRS / 2, top];
    chosen.sort_unstable();
    chosen.dedup();
    for &i in &chosen {
        pairs[i].0.sendall(b"x").unwrap();
    }
    let (r, _, _) = select(&readers, &[], &[], Some(PROMPT)).unwrap();
    let ready: Vec<i32> = r.iter().map(|s| s.fileno()).collect();
    let expected: Vec<i32> = chosen.iter().map(|&i| pairs[i].1.fileno()).collect();
    assert_eq!(ready, expected);
    assert!(expected.contains(&highest));
}

#[test]
fn select_retries_interrupted_waits_with_the_time_left() {
    let (a, b) = socketpair().unwrap();
    let wait = Duration::from_millis(300);
    assert_keeps_its_deadline_under_signals("select (300 ms)", wait, || {
        select(&[&b], &[], &[], Some(wait)).map(|(r, w, x)| r.len() + w.len() + x.len())
    });
    let (r, w, x) = wait_for_a_byte_under_signals("select (until ready)", &a, || {
        select(&[&b], &[], &[], Some(PROMPT * 2))
    });
    assert_eq!((r.len(), w.len(), x.len()), (1, 0, 0));
    assert_eq!(r[0].fileno(), b.fileno());
}

// ---------------------------------------------------------------------------
// Selector

#[test]
fn selector_registers_selects_and_unregisters() {
    let (a, b) = socketpair().unwrap();
    let mut sel: Selector<&str> = Selector::new().unwrap();
    assert!(sel.is_empty());
    let key = sel.register(&b, EVENT_READ, "b").unwrap();
    assert_eq!(
        (key.fd, key.events, key.data),
        (b.fileno(), EVENT_READ, "b")
    );
    sel.register(&a, EVENT_WRITE, "a").unwrap();
    assert_eq!(sel.len(), 2);
    let mut data: Vec<&str> = sel.iter().map(|key| key.data).collect();
    data.sort_unstable();
    assert_eq!(data, ["a", "b"]);
    assert_eq!((&sel).into_iter().len(), 2);

    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!(ready.len(), 1, "only a is ready (to write)");
    assert_eq!((ready[0].0.data, ready[0].1), ("a", EVENT_WRITE));

    a.sendall(b"hello").unwrap();
    let mut ready = sel.select(Some(PROMPT)).unwrap();
    ready.sort_by_key(|(key, _)| key.data);
    let seen: Vec<(&str, EventMask)> = ready.iter().map(|(k, e)| (k.data, *e)).collect();
    assert_eq!(seen, [("a", EVENT_WRITE), ("b", EVENT_READ)]);

    assert_eq!(sel.get_key(b.fileno()).unwrap().data, "b");
    let key = sel.unregister(&b).unwrap();
    assert_eq!((key.fd, key.data), (b.fileno(), "b"));
    assert!(sel.get_key(b.fileno()).is_none());
    assert_eq!(sel.len(), 1);
    let ready = sel.select(Some(Duration::ZERO)).unwrap();
    assert!(ready.iter().all(|(key, _)| key.data == "a"));
    sel.close();
}

#[test]
fn selector_is_level_triggered() {
    let (a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&b, EventMask::READ, ()).unwrap();
    a.sendall(b"unread").unwrap();
    for round in 0..3 {
        let ready = sel.select(Some(PROMPT)).unwrap();
        assert_eq!(ready.len(), 1, "round {round}: still unread, still ready");
    }
    assert_eq!(b.recv(64).unwrap(), b"unread");
    assert!(sel.select(Some(Duration::ZERO)).unwrap().is_empty());
}

#[test]
fn selector_reports_both_events_together() {
    let (a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&b, EventMask::READ | EventMask::WRITE, 1u32)
        .unwrap();
    a.sendall(b"x").unwrap();
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!(ready.len(), 1, "one entry per descriptor");
    assert_eq!(ready[0].1, EventMask::READ | EventMask::WRITE);
}

#[test]
fn selector_modify_changes_events_and_data() {
    let (_a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&b, EventMask::READ, "old").unwrap();
    assert!(sel.select(Some(Duration::ZERO)).unwrap().is_empty());

    let key = sel
        .modify_events(&b, EventMask::READ | EventMask::WRITE)
        .unwrap();
    assert_eq!(
        (key.events, key.data),
        (EventMask::READ | EventMask::WRITE, "old")
    );
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!((ready[0].0.data, ready[0].1), ("old", EventMask::WRITE));

    let key = sel.modify(&b, EventMask::READ, "new").unwrap();
    assert_eq!((key.events, key.data), (EventMask::READ, "new"));
    assert!(sel.select(Some(Duration::ZERO)).unwrap().is_empty());
    assert_eq!(sel.get_key(b.fileno()).unwrap().data, "new");
}

#[test]
fn selector_refuses_bad_registrations_with_clear_errors() {
    let (a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();

    let err = sel.register(&a, EventMask::empty(), ()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("no event"), "{err}");
    assert!(err.to_string().contains(&a.fileno().to_string()), "{err}");

    let err = sel
        .register(&a, EventMask::from_bits_retain(4), ())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("invalid events"), "{err}");

    sel.register(&a, EventMask::READ, ()).unwrap();
    let err = sel.register(&a, EventMask::WRITE, ()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(err.to_string().contains("already registered"), "{err}");
    assert_eq!(sel.get_key(a.fileno()).unwrap().events, EventMask::READ);

    for err in [
        sel.unregister(&b).unwrap_err(),
        sel.modify(&b, EventMask::READ, ()).map(drop).unwrap_err(),
        sel.modify_events(&b, EventMask::READ)
            .map(drop)
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("not registered"), "{err}");
        assert!(err.to_string().contains(&b.fileno().to_string()), "{err}");
    }
    let err = sel.modify_events(&a, EventMask::empty()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

    let err = sel
        .register(&never_open(), EventMask::READ, ())
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc::EBADF), "{err}");
    assert_eq!(sel.len(), 1, "failed registrations leave nothing behind");
}

#[cfg(target_os = "linux")]
#[test]
fn selector_refuses_a_regular_file_and_takes_a_pipe() {
    let dir = common::temp_dir();
    let file = File::create(dir.path().join("plain")).unwrap();
    let mut sel = Selector::new().unwrap();
    let err = sel.register(&file, EventMask::READ, ()).unwrap_err();
    assert_eq!(
        err.errno(),
        Some(libc::EPERM),
        "epoll cannot watch a file: {err}"
    );
    assert!(sel.is_empty());

    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe(2) just opened both descriptors; each is owned once here.
    let (reader, writer) = unsafe {
        use std::os::fd::FromRawFd;
        (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
    };
    sel.register(&reader, EventMask::READ, ()).unwrap();
    std::io::Write::write_all(&mut &writer, b"x").unwrap();
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!(ready[0].0.fd, reader.as_raw_fd());
    sel.unregister(&reader).unwrap();
}

#[test]
fn selector_times_out_with_an_empty_list() {
    let (_a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&b, EventMask::READ, ()).unwrap();
    let wait = Duration::from_millis(200);
    let started = Instant::now();
    assert!(sel.select(Some(wait)).unwrap().is_empty());
    let waited = started.elapsed();
    assert!(waited >= wait, "returned after {waited:?}");
    assert!(waited < wait + PROMPT);
    let started = Instant::now();
    assert!(sel.select(Some(Duration::ZERO)).unwrap().is_empty());
    assert!(started.elapsed() < PROMPT);
}

#[test]
fn selector_retries_interrupted_waits_with_the_time_left() {
    let (a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&b, EventMask::READ, ()).unwrap();
    let wait = Duration::from_millis(300);
    assert_keeps_its_deadline_under_signals("Selector::select (300 ms)", wait, || {
        sel.select(Some(wait)).map(|ready| ready.len())
    });
    let ready = wait_for_a_byte_under_signals("Selector::select (no timeout)", &a, || {
        sel.select(None).map(|ready| ready.len())
    });
    assert_eq!(ready, 1);
}

#[test]
fn selector_waker_ends_a_wait_from_another_thread() {
    let mut sel: Selector = Selector::new().unwrap();
    let waker = sel.waker();
    let started = Instant::now();
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            waker.wake().unwrap();
        });
        assert!(sel.select(Some(PROMPT * 6)).unwrap().is_empty());
    });
    assert!(
        started.elapsed() < PROMPT,
        "woken late: {:?}",
        started.elapsed()
    );

    // A wake while nobody waits makes the next select return at once, once.
    sel.waker().wake().unwrap();
    let started = Instant::now();
    assert!(sel.select(None).unwrap().is_empty());
    assert!(started.elapsed() < PROMPT);
    let started = Instant::now();
    assert!(sel
        .select(Some(Duration::from_millis(100)))
        .unwrap()
        .is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "woken twice"
    );
}

#[test]
fn selector_watches_many_sockets() {
    const PAIRS: usize = 300;
    let pairs: Vec<(Socket, Socket)> = (0..PAIRS).map(|_| socketpair().unwrap()).collect();
    let mut sel = Selector::new().unwrap();
    for (i, (_, b)) in pairs.iter().enumerate() {
        sel.register(b, EventMask::READ, i).unwrap();
    }
    let chosen = [3, 150, 299];
    for &i in &chosen {
        pairs[i].0.sendall(b"x").unwrap();
    }
    let mut ready: Vec<usize> = Vec::new();
    let deadline = Instant::now() + PROMPT;
    while ready.len() < chosen.len() && Instant::now() < deadline {
        for (key, events) in sel.select(Some(PROMPT)).unwrap() {
            assert_eq!(events, EventMask::READ);
            pairs[key.data].1.recv(1).unwrap();
            ready.push(key.data);
        }
    }
    ready.sort_unstable();
    assert_eq!(ready, chosen);
    for (_, b) in &pairs {
        sel.unregister(b).unwrap();
    }
    assert!(sel.is_empty());
}

#[test]
fn selector_select_into_reuses_one_list() {
    // Consecutive descriptors, registered and unregistered in turn: the
    // selector's map must find each one whatever its number.
    const PAIRS: usize = 64;
    let pairs: Vec<(Socket, Socket)> = (0..PAIRS).map(|_| socketpair().unwrap()).collect();
    let mut sel = Selector::new().unwrap();
    for (i, (_, b)) in pairs.iter().enumerate() {
        sel.register(b, EventMask::READ, i).unwrap();
    }
    let mut ready = Vec::new();
    for chosen in [[0, 31, 63], [1, 2, 62], [5, 40, 41]] {
        for &i in &chosen {
            pairs[i].0.sendall(b"x").unwrap();
        }
        let mut seen: Vec<usize> = Vec::new();
        let deadline = Instant::now() + PROMPT;
        while seen.len() < chosen.len() && Instant::now() < deadline {
            let n = sel.select_into(Some(PROMPT), &mut ready).unwrap();
            assert_eq!(n, ready.len());
            for (key, events) in &ready {
                assert_eq!(*events, EventMask::READ);
                assert_eq!(key.fd, pairs[key.data].1.fileno());
                pairs[key.data].1.recv(1).unwrap();
                seen.push(key.data);
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, chosen, "exactly the sockets written to, once each");
    }
    // A timeout clears what the list held.
    pairs[7].0.sendall(b"x").unwrap();
    assert_eq!(sel.select_into(Some(PROMPT), &mut ready).unwrap(), 1);
    pairs[7].1.recv(1).unwrap();
    assert_eq!(
        sel.select_into(Some(Duration::ZERO), &mut ready).unwrap(),
        0
    );
    assert!(ready.is_empty());
    // So does a wake-up.
    ready.push((
        sel.get_key(pairs[0].1.fileno()).unwrap().clone(),
        EVENT_READ,
    ));
    sel.waker().wake().unwrap();
    assert_eq!(sel.select_into(Some(PROMPT), &mut ready).unwrap(), 0);
    assert!(ready.is_empty());
    for (i, (_, b)) in pairs.iter().enumerate() {
        assert_eq!(sel.unregister(b).unwrap().data, i);
    }
    assert!(sel.is_empty());
}

#[test]
fn selector_and_waker_are_send() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<Selector<String>>();
    send_sync::<pysocket::SelectorWaker>();
}

#[test]
fn selector_borrows_what_it_registers() {
    // Python's `sel.register(lsock, EVENT_READ)`: the listener stays open
    // and usable, and a connection to it is seen as readable.
    let lsock = pysocket::create_server(("127.0.0.1", 0)).unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&lsock, EVENT_READ, "listener").unwrap();
    assert!(sel.select(Some(Duration::ZERO)).unwrap().is_empty());
    let addr = lsock.getsockname().unwrap();
    let client = pysocket::create_connection(&addr, Some(PROMPT)).unwrap();
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(
        (ready[0].0.fd, ready[0].0.data, ready[0].1),
        (lsock.fileno(), "listener", EVENT_READ)
    );
    let (conn, _) = lsock.accept().unwrap();
    sel.modify(&lsock, EVENT_READ, "still listening").unwrap();
    sel.register(&conn, EVENT_READ, "conn").unwrap();
    client.sendall(b"hi").unwrap();
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].0.data, "conn");
    assert_eq!(conn.recv(16).unwrap(), b"hi");
    assert_eq!(sel.unregister(&conn).unwrap().data, "conn");
    assert_eq!(sel.unregister(&lsock).unwrap().data, "still listening");
    // Still open after all three calls: it accepts another connection.
    let _again = pysocket::create_connection(&addr, Some(PROMPT)).unwrap();
    lsock.settimeout(Some(PROMPT)).unwrap();
    assert!(lsock.accept().is_ok());
}

#[test]
fn selector_data_changes_in_place() {
    // Python's per-connection state in `key.data`, grown as data arrives.
    let (a, b) = socketpair().unwrap();
    let (c, d) = socketpair().unwrap();
    let mut sel: Selector<Vec<u8>> = Selector::new().unwrap();
    sel.register(&b, EVENT_READ, Vec::new()).unwrap();
    sel.register(&d, EVENT_READ, b"d:".to_vec()).unwrap();
    assert!(sel.contains(b.fileno()) && sel.contains(d.fileno()));
    assert!(!sel.contains(a.fileno()));
    assert!(sel.data_mut(a.fileno()).is_none());
    for round in 0..3u8 {
        a.sendall(&[b'0' + round]).unwrap();
        c.sendall(&[b'a' + round]).unwrap();
        let mut seen = 0;
        while seen < 2 {
            for (key, _) in sel.select(Some(PROMPT)).unwrap() {
                let sock = if key.fd == b.fileno() { &b } else { &d };
                let got = sock.recv(16).unwrap();
                sel.data_mut(key.fd).unwrap().extend_from_slice(&got);
                seen += got.len();
            }
        }
    }
    assert_eq!(sel.get_key(b.fileno()).unwrap().data, b"012");
    assert_eq!(sel.get_key(d.fileno()).unwrap().data, b"d:abc");

    assert_eq!(sel.iter_mut().len(), 2);
    for (fd, events, data) in sel.iter_mut() {
        assert_eq!(events, EVENT_READ);
        assert!(fd == b.fileno() || fd == d.fileno());
        data.clear();
    }
    assert!(sel.iter().all(|key| key.data.is_empty()));
    // The events and the data stay as changed across modify_events.
    sel.data_mut(b.fileno()).unwrap().push(1);
    let key = sel.modify_events(&b, EVENT_READ | EVENT_WRITE).unwrap();
    assert_eq!(
        (key.events, &key.data[..]),
        (EVENT_READ | EVENT_WRITE, &[1][..])
    );
    assert_eq!(sel.unregister(&b).unwrap().data, [1]);
    assert!(!sel.contains(b.fileno()));
    assert_eq!(sel.len(), 1);
}

// ---------------------------------------------------------------------------
// Poll (Python's select.poll)

#[test]
fn poll_registers_modifies_polls_and_unregisters() {
    use pysocket::{Poll, POLLIN, POLLOUT};
    let lsock = pysocket::create_server(("127.0.0.1", 0)).unwrap();
    let mut p = Poll::new();
    p.register(&lsock, POLLIN).unwrap();
    assert!(p.poll(Some(0)).unwrap().is_empty());
    let addr = lsock.getsockname().unwrap();
    let client = pysocket::create_connection(&addr, Some(PROMPT)).unwrap();
    assert_eq!(p.poll(Some(5000)).unwrap(), [(lsock.fileno(), POLLIN)]);
    let (conn, _) = lsock.accept().unwrap();
    p.unregister(&lsock).unwrap();

    p.register(&conn, POLLIN | POLLOUT).unwrap();
    assert_eq!(p.poll(None).unwrap(), [(conn.fileno(), POLLOUT)]);
    client.sendall(b"hi").unwrap();
    p.modify(&conn, POLLIN).unwrap();
    assert_eq!(p.poll(Some(-1)).unwrap(), [(conn.fileno(), POLLIN)]);
    assert_eq!(conn.recv(16).unwrap(), b"hi");
    // Registering again changes the mask, as in Python.
    p.register(&conn, POLLOUT).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p.poll(Some(0)).unwrap(), [(conn.fileno(), POLLOUT)]);

    p.register(&client, POLLIN).unwrap();
    conn.sendall(b"back").unwrap();
    let mut ready = p.poll(Some(5000)).unwrap();
    ready.sort_unstable();
    let mut want = [(conn.fileno(), POLLOUT), (client.fileno(), POLLIN)];
    want.sort_unstable();
    assert_eq!(ready, want);

    p.unregister(&conn).unwrap();
    p.unregister(&client).unwrap();
    assert!(p.is_empty());
    let err = p.unregister(&conn).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(
        err.to_string().contains(&conn.fileno().to_string()),
        "{err}"
    );
    assert_eq!(
        p.modify(&conn, POLLIN).unwrap_err().errno(),
        Some(libc::ENOENT)
    );
    // Every socket is still open and usable.
    client.sendall(b"still").unwrap();
    assert_eq!(conn.recv(16).unwrap(), b"still");
}

#[test]
fn poll_reports_hang_ups_and_closed_descriptors_as_python_does() {
    use pysocket::{Poll, POLLHUP, POLLIN, POLLNVAL};
    let (a, b) = socketpair().unwrap();
    let mut p = Poll::new();
    p.register(&b, POLLIN).unwrap();
    p.register(&never_open(), POLLIN).unwrap();
    drop(a);
    let mut ready = p.poll(Some(5000)).unwrap();
    ready.sort_unstable();
    assert_eq!(ready.len(), 2, "{ready:?}");
    assert_eq!(ready[0].0, b.fileno());
    assert_ne!(ready[0].1 & POLLHUP, 0, "{ready:?}");
    assert_eq!(ready[1], (NEVER_OPEN, POLLNVAL));
}

#[test]
fn poll_times_out_in_milliseconds_and_retries_interrupted_waits() {
    use pysocket::{Poll, POLLIN};
    let (a, b) = socketpair().unwrap();
    let mut p = Poll::new();
    p.register(&b, POLLIN).unwrap();
    assert_keeps_its_deadline_under_signals("poll (300 ms)", Duration::from_millis(300), || {
        p.poll(Some(300)).map(|ready| ready.len())
    });
    let ready = wait_for_a_byte_under_signals("poll (no timeout)", &a, || p.poll(None));
    assert_eq!(ready, [(b.fileno(), POLLIN)]);
}

#[test]
fn poll_constants_are_pythons() {
    let ours = [
        ("POLLIN", pysocket::POLLIN),
        ("POLLPRI", pysocket::POLLPRI),
        ("POLLOUT", pysocket::POLLOUT),
        ("POLLERR", pysocket::POLLERR),
        ("POLLHUP", pysocket::POLLHUP),
        ("POLLNVAL", pysocket::POLLNVAL),
        ("POLLRDNORM", pysocket::POLLRDNORM),
        ("POLLRDBAND", pysocket::POLLRDBAND),
        ("POLLWRNORM", pysocket::POLLWRNORM),
        ("POLLWRBAND", pysocket::POLLWRBAND),
        #[cfg(target_os = "linux")]
        ("POLLRDHUP", pysocket::POLLRDHUP),
        #[cfg(target_os = "linux")]
        ("POLLMSG", pysocket::POLLMSG),
    ];
    // Every POLL* name Python's select module has, with its value.
    let script = "import select\n\
                  for n in dir(select):\n    \
                  if n.startswith('POLL'): print(n, getattr(select, n))";
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
    else {
        eprintln!("python3 not found: skipping the comparison with Python's select module");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<(String, i64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, value) = line.split_once(' ').expect("name value");
            (name.to_string(), value.parse().expect("an integer"))
        })
        .collect();
    assert!(
        theirs.len() >= 10,
        "Python's select module has only {theirs:?}"
    );
    let mut missing = Vec::new();
    for (name, value) in &theirs {
        match ours.iter().find(|(ours, _)| ours == name) {
            Some((_, ours)) => assert_eq!(i64::from(*ours), *value, "{name}"),
            None => missing.push(name.as_str()),
        }
    }
    assert!(
        missing.is_empty(),
        "Python has, pysocket lacks: {missing:?}"
    );
    for (name, _) in &ours {
        assert!(
            theirs.iter().any(|(theirs, _)| theirs == name),
            "{name} is not in Python's select module"
        );
    }
}

// ---------------------------------------------------------------------------
// Registering what cannot be watched

#[test]
fn registering_a_descriptor_closed_after_use() {
    // A number that was open a moment ago, the usual mistake (a socket
    // closed while its number is kept). In a process of its own, so that no
    // other test opens a descriptor that takes the number in between.
    use pysocket::{Poll, POLLIN, POLLNVAL};
    const TEST: &str = "registering_a_descriptor_closed_after_use";
    if !common::is_child(TEST) {
        common::assert_child_passes(TEST, common::CHILD_PASSED);
        return;
    }
    let (a, b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    let mut p = Poll::new();
    sel.register(&b, EVENT_READ, "b").unwrap();
    let copy = a.dup().unwrap();
    let number = copy.fileno();
    drop(copy);
    // SAFETY: deliberately out of contract, to check the error: `number` was
    // just closed, nothing in this process opens a descriptor before the
    // calls below have passed it to the kernel, and they only pass it there.
    let closed = unsafe { BorrowedFd::borrow_raw(number) };

    let err = sel.register(&closed, EVENT_READ, "closed").unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert_eq!(err.errno(), Some(libc::EBADF), "{err}");
    assert!(!sel.contains(number), "a failed registration leaves no key");
    let err = sel.modify(&closed, EVENT_READ, "closed").unwrap_err();
    assert!(err.to_string().contains("not registered"), "{err}");

    // Python's poll takes any number and reports a closed one as POLLNVAL.
    p.register(&closed, POLLIN).unwrap();
    assert_eq!(p.poll(Some(0)).unwrap(), [(number, POLLNVAL)]);
    p.unregister(&closed).unwrap();

    // Both still work.
    a.sendall(b"x").unwrap();
    let ready = sel.select(Some(PROMPT)).unwrap();
    assert_eq!((ready.len(), ready[0].0.data), (1, "b"));
    p.register(&b, POLLIN).unwrap();
    assert_eq!(p.poll(Some(0)).unwrap(), [(b.fileno(), POLLIN)]);
    println!("{}", common::CHILD_PASSED);
}

#[test]
fn poll_takes_a_regular_file_as_python_does() {
    // epoll refuses a regular file (EPERM, see the Selector test above);
    // poll(2) takes it and reports it always ready, as Python's poll does.
    use pysocket::{Poll, POLLIN, POLLOUT};
    let dir = common::temp_dir();
    let path = dir.path().join("plain");
    let file = File::create(&path).unwrap();
    let mut p = Poll::new();
    p.register(&file, POLLIN | POLLOUT).unwrap();
    let ours = p.poll(Some(0)).unwrap();
    assert_eq!(ours, [(file.as_raw_fd(), POLLIN | POLLOUT)]);

    let script = format!(
        "import select\nf = open({:?}, 'w')\np = select.poll()\n\
         p.register(f, select.POLLIN | select.POLLOUT)\nprint(p.poll(0)[0][1])",
        path.to_str().unwrap()
    );
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
    else {
        eprintln!("python3 not found: skipping the comparison with Python's poll");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: i16 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(ours[0].1, theirs);
}

#[test]
fn registering_a_descriptor_twice() {
    // Python: the selector raises KeyError ("... is already registered"),
    // poll's register changes the mask.
    use pysocket::{Poll, POLLIN, POLLOUT};
    let (a, _b) = socketpair().unwrap();
    let mut sel = Selector::new().unwrap();
    sel.register(&a, EVENT_READ, 1).unwrap();
    for err in [
        sel.register(&a, EVENT_WRITE, 2).unwrap_err(),
        sel.register(&a.as_fd(), EVENT_WRITE, 2).unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("already registered"), "{err}");
        assert!(err.to_string().contains(&a.fileno().to_string()), "{err}");
    }
    let key = sel.get_key(a.fileno()).unwrap();
    assert_eq!(
        (key.events, key.data),
        (EVENT_READ, 1),
        "the first one stays"
    );
    // A duplicate is another descriptor, as in Python: it registers.
    let copy = a.dup().unwrap();
    sel.register(&copy, EVENT_WRITE, 3).unwrap();
    assert_eq!(sel.len(), 2);
    sel.unregister(&copy).unwrap();

    let mut p = Poll::new();
    p.register(&a, POLLIN).unwrap();
    p.register(&a, POLLOUT).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p.poll(Some(0)).unwrap(), [(a.fileno(), POLLOUT)]);
}
