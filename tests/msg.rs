//! Messages with control data over real sockets: descriptors passed and
//! used (in this process and in another), credentials, packet info,
//! truncation, scatter/gather, the timeout modes, bad input, `CMSG_LEN` and
//! `CMSG_SPACE` against Python's, the escape hatch for socket2's calls, and
//! no descriptor leaked (counted in a child process, where no other test
//! opens any).

mod common;

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    assert_child_passes, assert_timed_out, fd_count, is_child, raw, repeat_until_delivered,
    tcp_pair, temp_dir, this_thread, udp_socket, with_watchdog, SignalStorm, CHILD_ENV,
    CHILD_PASSED, PROMPT,
};
use pysocket::{
    if_nametoindex, recv_fds, send_fds, socketpair, socketpair_with, Cmsg, Credentials, Error,
    Interest, MsgFlags, PktInfo, Shutdown, SockType, Socket, AF_INET, AF_INET6, AF_UNIX, CMSG_LEN,
    CMSG_SPACE, IPPROTO_IP, IPPROTO_IPV6, IPV6_PKTINFO, IPV6_RECVPKTINFO, IP_PKTINFO,
    SCM_CREDENTIALS, SCM_RIGHTS, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_PASSCRED, SO_SNDBUF,
};

/// How late a timed-out call may return on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(1500);

/// How often a storm signals the thread in a call.
const EVERY: Duration = Duration::from_millis(1);

/// The fewest signals a stormed call must have handled for a case to mean
/// anything. Counted, never inferred from the storm's rate: on a loaded
/// machine the storm's thread wakes rarely.
const ENOUGH_SIGNALS: usize = 20;

/// The most runs of a call with a fixed deadline it may take to gather
/// [`ENOUGH_SIGNALS`].
const ATTEMPTS: usize = 10;

fn none() -> MsgFlags {
    MsgFlags::empty()
}

/// A pipe, both ends close-on-exec: (read end, write end).
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new descriptors into the array on success.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", io::Error::last_os_error());
    // SAFETY: both descriptors were just created and nothing else owns them.
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

fn dev_null() -> File {
    File::open("/dev/null").expect("/dev/null")
}

/// Whether `FD_CLOEXEC` is set.
fn is_cloexec(fd: &impl AsRawFd) -> bool {
    // SAFETY: F_GETFD takes no argument and only reads a live descriptor's flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "fcntl(F_GETFD): {}", io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

/// Whether two descriptors are the same open file (device and inode).
fn same_file(a: &impl AsFd, b: &impl AsFd) -> bool {
    let stat = |fd: BorrowedFd<'_>| {
        let meta = File::from(fd.try_clone_to_owned().expect("dup"))
            .metadata()
            .expect("fstat");
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    };
    stat(a.as_fd()) == stat(b.as_fd())
}

fn assert_invalid<T: std::fmt::Debug>(result: pysocket::Result<T>, needle: &str) {
    match result {
        Err(Error::InvalidArgument(message)) => {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}")
        }
        other => panic!("expected InvalidArgument naming {needle:?}, got {other:?}"),
    }
}

fn assert_errno<T: std::fmt::Debug>(result: pysocket::Result<T>, errno: i32) {
    match result {
        Err(err) if err.errno() == Some(errno) => {}
        other => panic!("expected errno {errno}, got {other:?}"),
    }
}

/// Nothing waits on `sock`: a receive in non-blocking mode would block.
fn assert_nothing_queued(sock: &Socket) {
    let mode = sock.gettimeout();
    sock.setblocking(false).unwrap();
    let err = sock.recv(1).unwrap_err();
    assert!(err.is_would_block(), "{err:?}");
    sock.settimeout(mode).unwrap();
}

#[test]
fn descriptors_passed_over_a_socketpair_work() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let (mut read_end, write_end) = pipe();
    let mut file = tempfile::tempfile().unwrap();
    let sent = a
        .send_fds(
            &[IoSlice::new(b"two fds")],
            &[write_end.as_fd(), file.as_fd()],
            none(),
        )
        .unwrap();
    assert_eq!(sent, 7);
    // Only the copy the receiver gets keeps the pipe open for writing.
    drop(write_end);

    let (data, fds, flags, address) = b.recv_fds(64, 4, none()).unwrap();
    assert_eq!(data, b"two fds");
    assert_eq!(fds.len(), 2);
    assert!(flags.is_empty(), "{flags:?}");
    assert_eq!(address, None);
    for fd in &fds {
        assert!(is_cloexec(fd), "a received descriptor is inheritable");
    }
    assert!(same_file(&fds[1], &file));

    let mut fds = fds.into_iter();
    let mut pipe_copy = File::from(fds.next().unwrap());
    pipe_copy.write_all(b"through the pipe").unwrap();
    drop(pipe_copy);
    let mut text = String::new();
    read_end.read_to_string(&mut text).unwrap();
    assert_eq!(text, "through the pipe");

    File::from(fds.next().unwrap())
        .write_all(b"into the file")
        .unwrap();
    text.clear();
    file.rewind().unwrap();
    file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "into the file");
}

#[test]
fn a_passed_socket_is_adopted_and_used() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let (inner, outer) = socketpair().unwrap();
    outer.settimeout(Some(PROMPT)).unwrap();
    a.send_fds(&[IoSlice::new(b"s")], &[inner.as_fd()], none())
        .unwrap();
    drop(inner);
    let (_, mut fds, _, _) = b.recv_fds(1, 1, none()).unwrap();
    let adopted = Socket::from(fds.pop().unwrap());
    assert_eq!((adopted.family(), adopted.kind()), (AF_UNIX, SOCK_STREAM));
    adopted.sendall(b"from the passed socket").unwrap();
    assert_eq!(outer.recv(64).unwrap(), b"from the passed socket");
}

#[test]
fn module_functions_are_the_methods() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let file = dev_null();
    let sent = send_fds(&a, &[IoSlice::new(b"m")], &[file.as_fd()], none()).unwrap();
    assert_eq!(sent, 1);
    let (data, fds, flags, address) = recv_fds(&b, 8, 1, none()).unwrap();
    assert_eq!((data.as_slice(), fds.len()), (&b"m"[..], 1));
    assert!(flags.is_empty());
    assert_eq!(address, None);
    assert!(same_file(&fds[0], &file));
}

#[test]
fn rights_come_back_as_raw_triples_beside_the_owned_descriptors() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let (f1, f2) = (dev_null(), dev_null());
    let rights = Cmsg::rights(&[f1.as_fd(), f2.as_fd()]);
    assert_eq!((rights.level, rights.kind), (SOL_SOCKET, SCM_RIGHTS));
    assert_eq!(rights.as_rights(), Some(vec![raw(&f1), raw(&f2)]));
    a.sendmsg(&[IoSlice::new(b"r")], &[rights], none()).unwrap();

    let msg = b.recvmsg(1, CMSG_SPACE(8).unwrap(), none()).unwrap();
    assert_eq!(msg.ancdata.len(), 1);
    let cmsg = &msg.ancdata[0];
    assert_eq!(
        (cmsg.level, cmsg.kind, cmsg.data.len()),
        (SOL_SOCKET, SCM_RIGHTS, 8)
    );
    let numbers: Vec<i32> = msg.fds.iter().map(raw).collect();
    assert_eq!(cmsg.as_rights(), Some(numbers));
    assert!(same_file(&msg.fds[0], &f1) && same_file(&msg.fds[1], &f2));
    // Only whole descriptors count, and other messages have none.
    assert_eq!(
        Cmsg::new(SOL_SOCKET, SCM_RIGHTS, [1, 0, 0]).as_rights(),
        Some(vec![])
    );
    assert_eq!(
        Cmsg::new(SOL_SOCKET, SCM_CREDENTIALS, [0; 12]).as_rights(),
        None
    );
}

#[test]
fn the_kernel_echo_of_msg_cmsg_cloexec_is_not_reported() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let file = dev_null();
    a.send_fds(&[IoSlice::new(b"1")], &[file.as_fd()], none())
        .unwrap();
    let msg = b.recvmsg(1, CMSG_SPACE(4).unwrap(), none()).unwrap();
    assert_eq!(msg.flags, none());
    // Asked for, it shows, as the kernel reports it.
    a.send_fds(&[IoSlice::new(b"2")], &[file.as_fd()], none())
        .unwrap();
    let msg = b
        .recvmsg(1, CMSG_SPACE(4).unwrap(), MsgFlags::CMSG_CLOEXEC)
        .unwrap();
    assert_eq!(msg.flags, MsgFlags::CMSG_CLOEXEC);
    assert!(is_cloexec(&msg.fds[0]));
}

#[test]
fn a_descriptor_passed_to_another_process_is_used_there() {
    const TEST: &str = "a_descriptor_passed_to_another_process_is_used_there";
    const PATH_ENV: &str = "PYSOCKET_MSG_TEST_SOCKET";
    if is_child(TEST) {
        let path = std::env::var(PATH_ENV).expect("the socket's path");
        let sock = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
        sock.settimeout(Some(PROMPT)).unwrap();
        sock.connect(path.as_str()).unwrap();
        let (data, mut fds, _, _) = sock.recv_fds(64, 1, none()).unwrap();
        assert_eq!(data, b"write here");
        let mut pipe_end = File::from(fds.pop().expect("a descriptor"));
        write!(pipe_end, "hello from {}", std::process::id()).unwrap();
        drop(pipe_end);
        sock.sendall(b"done").unwrap();
        println!("{CHILD_PASSED}");
        return;
    }
    let dir = temp_dir();
    let path = dir.path().join("pass.sock");
    let server = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    server.bind(path.as_path()).unwrap();
    server.listen(1).unwrap();
    server.settimeout(Some(PROMPT)).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, TEST)
        .env(PATH_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let conn = match server.accept() {
        Ok((conn, _)) => conn,
        Err(err) => {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the child never connected ({err}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    conn.settimeout(Some(PROMPT)).unwrap();
    let (mut read_end, write_end) = pipe();
    conn.send_fds(&[IoSlice::new(b"write here")], &[write_end.as_fd()], none())
        .unwrap();
    drop(write_end);
    let done = conn.recv(16);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(CHILD_PASSED),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(done.unwrap(), b"done");
    let mut text = String::new();
    read_end.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("hello from "), "{text:?}");
    assert_ne!(text, format!("hello from {}", std::process::id()));
}

#[test]
fn credentials_arrive_with_so_passcred() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    b.setsockopt(SOL_SOCKET, SO_PASSCRED, true).unwrap();
    // SAFETY: getuid and getgid have no preconditions and cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let me = Credentials {
        pid: std::process::id() as i32,
        uid,
        gid,
    };
    assert_eq!(Credentials::current(), me);

    // Sent by the kernel on the sender's behalf...
    a.sendall(b"implicit").unwrap();
    let msg = b.recvmsg(64, CMSG_SPACE(12).unwrap(), none()).unwrap();
    assert_eq!(msg.data, b"implicit");
    assert_eq!(msg.ancdata.len(), 1, "{:?}", msg.ancdata);
    let cmsg = &msg.ancdata[0];
    assert_eq!(
        (cmsg.level, cmsg.kind, cmsg.data.len()),
        (SOL_SOCKET, SCM_CREDENTIALS, 12)
    );
    assert_eq!(cmsg.as_credentials(), Some(me));
    assert!(msg.fds.is_empty());

    // ... and sent explicitly.
    a.sendmsg(
        &[IoSlice::new(b"explicit")],
        &[Cmsg::credentials(me)],
        none(),
    )
    .unwrap();
    let msg = b.recvmsg(64, CMSG_SPACE(12).unwrap(), none()).unwrap();
    assert_eq!(msg.data, b"explicit");
    assert_eq!(msg.ancdata[0].as_credentials(), Some(me));
    assert_eq!(Cmsg::credentials(me).as_credentials(), Some(me));
    assert_eq!(
        Cmsg::new(SOL_SOCKET, SCM_CREDENTIALS, [0; 11]).as_credentials(),
        None
    );

    // Claiming another process's credentials takes privileges.
    if uid != 0 {
        let other = Credentials { pid: 1, ..me };
        let denied = a.sendmsg(&[IoSlice::new(b"lie")], &[Cmsg::credentials(other)], none());
        assert_errno(denied, libc::EPERM);
        assert_nothing_queued(&b);
    }
}

#[test]
fn ip_pktinfo_tells_where_a_datagram_went() {
    let lo = if_nametoindex("lo").expect("the loopback interface");
    let (server, server_addr) = udp_socket(AF_INET);
    server.settimeout(Some(PROMPT)).unwrap();
    server.setsockopt(IPPROTO_IP, IP_PKTINFO, true).unwrap();
    let (client, client_addr) = udp_socket(AF_INET);
    client.settimeout(Some(PROMPT)).unwrap();
    client.sendto(b"ping", &server_addr).unwrap();

    let msg = server.recvmsg(16, CMSG_SPACE(12).unwrap(), none()).unwrap();
    assert_eq!(msg.data, b"ping");
    assert_eq!(msg.address, Some(client_addr.clone()));
    assert!(msg.flags.is_empty(), "{:?}", msg.flags);
    assert_eq!(msg.ancdata.len(), 1);
    let cmsg = &msg.ancdata[0];
    assert_eq!(
        (cmsg.level, cmsg.kind, cmsg.data.len()),
        (IPPROTO_IP, IP_PKTINFO, 12)
    );
    let local = Ipv4Addr::LOCALHOST;
    assert_eq!(
        cmsg.as_pktinfo(),
        Some(PktInfo::V4 {
            ifindex: lo,
            spec_dst: local,
            addr: local
        })
    );

    // Sent back, the same message picks the source address.
    let source = PktInfo::V4 {
        ifindex: 0,
        spec_dst: local,
        addr: Ipv4Addr::UNSPECIFIED,
    };
    let sent = server
        .sendmsg_to(
            &[IoSlice::new(b"pong")],
            &[Cmsg::pktinfo(source)],
            none(),
            &client_addr,
        )
        .unwrap();
    assert_eq!(sent, 4);
    assert_eq!(
        client.recvfrom(16).unwrap(),
        (b"pong".to_vec(), server_addr)
    );
}

#[test]
fn ipv6_recvpktinfo_tells_where_a_datagram_went() {
    let Ok(server) = Socket::new(AF_INET6, SOCK_DGRAM) else {
        eprintln!("no IPv6: skipped");
        return;
    };
    if server.bind(("::1", 0)).is_err() {
        eprintln!("no ::1: skipped");
        return;
    }
    let lo = if_nametoindex("lo").expect("the loopback interface");
    server.settimeout(Some(PROMPT)).unwrap();
    server
        .setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO, true)
        .unwrap();
    let (client, client_addr) = udp_socket(AF_INET6);
    client
        .sendto(b"ping6", server.getsockname().unwrap())
        .unwrap();
    let msg = server.recvmsg(16, CMSG_SPACE(20).unwrap(), none()).unwrap();
    assert_eq!(msg.data, b"ping6");
    assert_eq!(msg.address, Some(client_addr));
    let cmsg = &msg.ancdata[0];
    assert_eq!(
        (cmsg.level, cmsg.kind, cmsg.data.len()),
        (IPPROTO_IPV6, IPV6_PKTINFO, 20)
    );
    assert_eq!(
        cmsg.as_pktinfo(),
        Some(PktInfo::V6 {
            addr: Ipv6Addr::LOCALHOST,
            ifindex: lo
        })
    );
    // Other messages are no packet info, nor is one cut short.
    assert_eq!(
        Cmsg::new(IPPROTO_IPV6, IPV6_PKTINFO, [0; 19]).as_pktinfo(),
        None
    );
    assert_eq!(
        Cmsg::new(SOL_SOCKET, SCM_RIGHTS, [0; 20]).as_pktinfo(),
        None
    );
}

#[test]
fn msg_trunc_reports_a_datagram_cut_short() {
    let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    a.send(b"a datagram longer than the buffer").unwrap();
    let msg = b.recvmsg(4, 0, none()).unwrap();
    assert_eq!(msg.data, b"a da");
    assert_eq!(msg.flags, MsgFlags::TRUNC);

    // Given MSG_TRUNC, the count is the datagram's full length.
    a.send(b"twelve bytes").unwrap();
    let mut buf = [0u8; 6];
    let got = b
        .recvmsg_into(&mut [IoSliceMut::new(&mut buf)], 0, MsgFlags::TRUNC)
        .unwrap();
    assert_eq!((got.nbytes, &buf), (12, b"twelve"));
    assert!(got.flags.contains(MsgFlags::TRUNC));
    a.send(b"twelve bytes").unwrap();
    let msg = b.recvmsg(6, 0, MsgFlags::TRUNC).unwrap();
    assert_eq!(msg.data, b"twelve");

    // UDP alike, with the sender's address.
    let (server, server_addr) = udp_socket(AF_INET);
    server.settimeout(Some(PROMPT)).unwrap();
    let (client, client_addr) = udp_socket(AF_INET);
    client.sendto(b"0123456789", &server_addr).unwrap();
    let msg = server.recvmsg(3, 0, none()).unwrap();
    assert_eq!(
        (msg.data.as_slice(), msg.flags),
        (&b"012"[..], MsgFlags::TRUNC)
    );
    assert_eq!(msg.address, Some(client_addr));
}

#[test]
fn msg_ctrunc_keeps_the_descriptors_that_fit_and_closes_the_rest() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let files = [dev_null(), dev_null(), dev_null()];
    let fds: Vec<_> = files.iter().map(File::as_fd).collect();

    // Room for one descriptor: CMSG_LEN, as Python's recv_fds sizes it.
    a.send_fds(&[IoSlice::new(b"x")], &fds, none()).unwrap();
    let msg = b.recvmsg(1, CMSG_LEN(4).unwrap(), none()).unwrap();
    assert!(msg.flags.contains(MsgFlags::CTRUNC), "{:?}", msg.flags);
    assert_eq!(msg.fds.len(), 1);
    assert!(same_file(&msg.fds[0], &files[0]));
    assert_eq!(msg.ancdata.len(), 1);
    assert_eq!(msg.ancdata[0].as_rights().map(|fds| fds.len()), Some(1));

    // recv_fds alike.
    a.send_fds(&[IoSlice::new(b"y")], &fds, none()).unwrap();
    let (data, got, flags, _) = b.recv_fds(1, 2, none()).unwrap();
    assert_eq!((data.as_slice(), got.len()), (&b"y"[..], 2));
    assert!(flags.contains(MsgFlags::CTRUNC));

    // No room at all: the data, and every descriptor closed by the kernel.
    a.send_fds(&[IoSlice::new(b"z")], &fds, none()).unwrap();
    let msg = b.recvmsg(1, 0, none()).unwrap();
    assert_eq!(msg.data, b"z");
    assert!(msg.flags.contains(MsgFlags::CTRUNC));
    assert!(msg.ancdata.is_empty() && msg.fds.is_empty());
}

#[test]
fn scatter_and_gather_over_tcp() {
    let (client, server) = tcp_pair();
    server.settimeout(Some(PROMPT)).unwrap();
    let parts = [
        IoSlice::new(b"alpha "),
        IoSlice::new(b""),
        IoSlice::new(b"beta "),
        IoSlice::new(b"gamma"),
    ];
    assert_eq!(client.sendmsg(&parts, &[], none()).unwrap(), 16);
    let (mut x, mut y, mut z) = ([0u8; 3], [0u8; 5], [0u8; 8]);
    let mut buffers = [
        IoSliceMut::new(&mut x),
        IoSliceMut::new(&mut y),
        IoSliceMut::new(&mut z),
    ];
    let got = server
        .recvmsg_into(&mut buffers, 0, MsgFlags::WAITALL)
        .unwrap();
    assert_eq!(got.nbytes, 16);
    assert_eq!((&x, &y, &z), (b"alp", b"ha be", b"ta gamma"));
    assert_eq!(got.address, None, "a connected stream tells no sender");
    assert!(got.ancdata.is_empty() && got.fds.is_empty());

    // Many buffers, a large message: every byte, in order.
    let chunk: Vec<u8> = (0..=255).collect();
    let many: Vec<IoSlice<'_>> = (0..64).map(|_| IoSlice::new(&chunk)).collect();
    let total = 64 * chunk.len();
    let mut sent = 0;
    let receiver = thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut all = Vec::new();
            while all.len() < total {
                let msg = server.recvmsg(4096, 0, none()).unwrap();
                assert!(!msg.data.is_empty(), "early end of stream");
                assert_eq!(msg.address, None);
                all.extend_from_slice(&msg.data);
            }
            all
        });
        // A stream may take part of a gather: send the rest as plain data.
        sent += client.sendmsg(&many, &[], none()).unwrap();
        let flat = chunk.repeat(64);
        client.sendall(&flat[sent..]).unwrap();
        reader.join().unwrap()
    });
    assert_eq!(receiver, chunk.repeat(64));
    client.shutdown(Shutdown::Write).unwrap();
    let msg = server.recvmsg(16, 0, none()).unwrap();
    assert!(msg.data.is_empty(), "the end of the stream");
}

#[test]
fn sendmsg_to_and_recvmsg_on_datagram_sockets_give_addresses() {
    let dir = temp_dir();
    let server_path = dir.path().join("server.sock");
    let server = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
    server.bind(server_path.as_path()).unwrap();
    server.settimeout(Some(PROMPT)).unwrap();

    let named = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
    named
        .bind(dir.path().join("client.sock").as_path())
        .unwrap();
    named
        .sendmsg_to(
            &[IoSlice::new(b"named")],
            &[],
            none(),
            server_path.as_path(),
        )
        .unwrap();
    let msg = server.recvmsg(16, 0, none()).unwrap();
    assert_eq!(msg.data, b"named");
    assert_eq!(msg.address, Some(named.getsockname().unwrap()));

    // An unbound sender has no address: None, as Python's.
    let unnamed = Socket::new(AF_UNIX, SOCK_DGRAM).unwrap();
    unnamed
        .sendmsg_to(
            &[IoSlice::new(b"unnamed")],
            &[],
            none(),
            server_path.as_path(),
        )
        .unwrap();
    let msg = server.recvmsg(16, 0, none()).unwrap();
    assert_eq!((msg.data.as_slice(), msg.address), (&b"unnamed"[..], None));
}

#[test]
fn empty_buffer_lists_are_allowed_as_in_python() {
    let (a, b) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let file = dev_null();
    // An empty datagram that carries a descriptor.
    assert_eq!(a.send_fds(&[], &[file.as_fd()], none()).unwrap(), 0);
    let msg = b.recvmsg(16, CMSG_SPACE(4).unwrap(), none()).unwrap();
    assert!(msg.data.is_empty());
    assert_eq!(msg.fds.len(), 1);

    // No buffers to receive into: the datagram goes, its descriptor comes.
    a.send_fds(&[IoSlice::new(b"data")], &[file.as_fd()], none())
        .unwrap();
    let got = b
        .recvmsg_into(&mut [], CMSG_SPACE(4).unwrap(), none())
        .unwrap();
    assert_eq!(got.nbytes, 0);
    assert!(got.flags.contains(MsgFlags::TRUNC), "{:?}", got.flags);
    assert_eq!(got.fds.len(), 1);

    // recvmsg of 0 bytes still receives, unlike recv(0).
    a.send(b"zero").unwrap();
    let msg = b.recvmsg(0, 0, none()).unwrap();
    assert!(msg.data.is_empty() && msg.flags.contains(MsgFlags::TRUNC));
    assert_nothing_queued(&b);

    // A stream sends nothing for nothing.
    let (c, d) = socketpair().unwrap();
    assert_eq!(c.sendmsg(&[], &[], none()).unwrap(), 0);
    assert_nothing_queued(&d);
}

#[test]
fn seqpacket_keeps_records_and_msg_eor_is_taken() {
    let (a, b) = socketpair_with(AF_UNIX, SockType::SEQPACKET).unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let sent = a
        .sendmsg(
            &[IoSlice::new(b"record "), IoSlice::new(b"one")],
            &[],
            MsgFlags::EOR,
        )
        .unwrap();
    assert_eq!(sent, 10);
    a.sendmsg(&[IoSlice::new(b"record two")], &[], none())
        .unwrap();
    let msg = b.recvmsg(64, 0, none()).unwrap();
    assert_eq!(msg.data, b"record one");
    // The kernel's flags as it set them: Linux's AF_UNIX sets no MSG_EOR
    // (CPython shows the same), but marks a record cut short.
    assert!(!msg.flags.contains(MsgFlags::TRUNC), "{:?}", msg.flags);
    let msg = b.recvmsg(6, 0, none()).unwrap();
    assert_eq!(msg.data, b"record");
    assert!(msg.flags.contains(MsgFlags::TRUNC), "{:?}", msg.flags);
    assert_nothing_queued(&b);
}

#[test]
fn receives_follow_the_three_timeout_modes() {
    let (a, b) = socketpair().unwrap();
    let timeout = Duration::from_millis(300);
    b.settimeout(Some(timeout)).unwrap();
    let started = Instant::now();
    let result = with_watchdog(&b, PROMPT, || b.recvmsg(16, 64, none()));
    assert_timed_out("recvmsg", &result, timeout, started.elapsed(), SLACK);
    let started = Instant::now();
    let mut buf = [0u8; 8];
    let result = with_watchdog(&b, PROMPT, || {
        b.recvmsg_into(&mut [IoSliceMut::new(&mut buf)], 64, none())
    });
    assert_timed_out("recvmsg_into", &result, timeout, started.elapsed(), SLACK);
    // A short timeout waits in poll rather than under a kernel backstop.
    let short = Duration::from_millis(20);
    b.settimeout(Some(short)).unwrap();
    let started = Instant::now();
    let result = with_watchdog(&b, PROMPT, || b.recv_fds(16, 1, none()));
    assert_timed_out("recv_fds", &result, short, started.elapsed(), SLACK);

    b.setblocking(false).unwrap();
    let err = b.recvmsg(16, 64, none()).unwrap_err();
    assert!(err.is_would_block(), "{err:?}");
    // MSG_DONTWAIT makes one call non-blocking in blocking mode.
    b.setblocking(true).unwrap();
    let err = b.recvmsg(16, 64, MsgFlags::DONTWAIT).unwrap_err();
    assert!(err.is_would_block(), "{err:?}");

    // Blocking: waits for what comes.
    let file = dev_null();
    let msg = thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            a.send_fds(&[IoSlice::new(b"late")], &[file.as_fd()], none())
                .unwrap();
        });
        with_watchdog(&b, PROMPT, || b.recvmsg(16, CMSG_SPACE(4).unwrap(), none()))
    })
    .unwrap();
    assert_eq!((msg.data.as_slice(), msg.fds.len()), (&b"late"[..], 1));

    // Timeout mode receives what comes in time.
    b.settimeout(Some(PROMPT)).unwrap();
    let msg = thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            a.sendall(b"in time").unwrap();
        });
        b.recvmsg(16, 0, none())
    })
    .unwrap();
    assert_eq!(msg.data, b"in time");
}

#[test]
fn a_timed_recvmsg_keeps_its_deadline_under_signals() {
    let (_a, b) = socketpair().unwrap();
    let timeout = Duration::from_millis(300);
    b.settimeout(Some(timeout)).unwrap();
    // Each run is checked in full; runs repeat until their signals add up.
    repeat_until_delivered("timed recvmsg", ENOUGH_SIGNALS, ATTEMPTS, || {
        let storm = SignalStorm::start(this_thread(), EVERY);
        let started = Instant::now();
        let result = with_watchdog(&b, PROMPT, || b.recvmsg(16, 64, none()));
        let elapsed = started.elapsed();
        let handled = storm.stop_delivered();
        assert_timed_out("recvmsg under signals", &result, timeout, elapsed, SLACK);
        [handled]
    });
}

#[test]
fn a_blocking_recvmsg_rides_out_signals() {
    let (a, b) = socketpair().unwrap();
    let file = dev_null();
    let storm = SignalStorm::start(this_thread(), EVERY);
    let deliveries = storm.deliveries();
    let (result, handled) = thread::scope(|scope| {
        scope.spawn(|| {
            // Sends once the receiver has handled enough signals (or the
            // wait has run out: the count below then fails), however slowly
            // the storm runs.
            thread::sleep(Duration::from_millis(300));
            deliveries.wait_for(ENOUGH_SIGNALS, PROMPT);
            a.send_fds(&[IoSlice::new(b"after the storm")], &[file.as_fd()], none())
                .unwrap();
        });
        let result = with_watchdog(&b, PROMPT * 2, || {
            b.recvmsg(64, CMSG_SPACE(4).unwrap(), none())
        });
        (result, storm.stop_delivered())
    });
    let msg = result.unwrap();
    assert_eq!(
        (msg.data.as_slice(), msg.fds.len()),
        (&b"after the storm"[..], 1)
    );
    assert!(handled >= ENOUGH_SIGNALS, "only {handled} signals handled");
}

#[test]
fn a_send_into_a_full_buffer_times_out() {
    let (a, _b) = socketpair().unwrap();
    a.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096).unwrap();
    let timeout = Duration::from_millis(200);
    a.settimeout(Some(timeout)).unwrap();
    let block = vec![7u8; 64 * 1024];
    for _ in 0..1000 {
        let started = Instant::now();
        match a.sendmsg(&[IoSlice::new(&block)], &[], none()) {
            Ok(n) => assert!(n > 0),
            result => {
                assert_timed_out("sendmsg", &result, timeout, started.elapsed(), SLACK);
                a.setblocking(false).unwrap();
                let err = a.sendmsg(&[IoSlice::new(&block)], &[], none()).unwrap_err();
                assert!(err.is_would_block(), "{err:?}");
                return;
            }
        }
    }
    panic!("the send buffer never filled");
}

#[test]
fn bad_input_is_an_error_that_names_it() {
    let (a, b) = socketpair().unwrap();
    let file = dev_null();

    // Too many descriptors for one message: refused before the call.
    let many = vec![file.as_fd(); 254];
    assert_invalid(a.send_fds(&[IoSlice::new(b"x")], &many, none()), "253");
    let split = [Cmsg::rights(&many[..200]), Cmsg::rights(&many[..54])];
    assert_invalid(a.sendmsg(&[IoSlice::new(b"x")], &split, none()), "253");
    assert_nothing_queued(&b);
    // The limit itself is fine.
    b.settimeout(Some(PROMPT)).unwrap();
    a.send_fds(&[IoSlice::new(b"x")], &many[..253], none())
        .unwrap();
    let (_, fds, flags, _) = b.recv_fds(1, 253, none()).unwrap();
    assert_eq!((fds.len(), flags), (253, none()));
    drop(fds);

    // Absurd sizes.
    assert_invalid(b.recvmsg(16, usize::MAX, none()), "ancbufsize");
    assert_invalid(b.recvmsg(16, 1 << 30, none()), "ancbufsize");
    assert_invalid(b.recvmsg(usize::MAX, 0, none()), "cannot be allocated");
    assert_invalid(b.recvmsg_into(&mut [], 1 << 40, none()), "ancbufsize");
    assert_invalid(b.recv_fds(16, usize::MAX, none()), "maxfds");
    assert_invalid(b.recv_fds(16, 1 << 20, none()), "ancbufsize");
    assert_invalid(CMSG_LEN(usize::MAX), "CMSG_LEN");
    assert_invalid(CMSG_SPACE(1 << 31), "CMSG_SPACE");

    // Control messages the kernel refuses: its errno, nothing sent.
    let not_open = Cmsg::new(SOL_SOCKET, SCM_RIGHTS, 999_999i32.to_ne_bytes());
    assert_errno(
        a.sendmsg(&[IoSlice::new(b"x")], &[not_open], none()),
        libc::EBADF,
    );
    let unknown = Cmsg::new(SOL_SOCKET, 0x7fff, [0u8; 4]);
    assert_errno(
        a.sendmsg(&[IoSlice::new(b"x")], &[unknown], none()),
        libc::EINVAL,
    );
    assert_nothing_queued(&b);

    // An address for a connected stream, or of the wrong family.
    let dir = temp_dir();
    let elsewhere = dir.path().join("elsewhere.sock");
    assert_errno(
        a.sendmsg_to(&[IoSlice::new(b"x")], &[], none(), elsewhere.as_path()),
        libc::EISCONN,
    );
    let (udp, _) = udp_socket(AF_INET);
    assert_invalid(
        udp.sendmsg_to(&[IoSlice::new(b"x")], &[], none(), ("::1", 9)),
        "",
    );
    assert_nothing_queued(&b);

    // Descriptors to a socket that cannot carry them: Linux's TCP drops
    // SCM_RIGHTS and sends the data alone.
    let (tcp_client, tcp_server) = tcp_pair();
    tcp_server.settimeout(Some(PROMPT)).unwrap();
    let sent = tcp_client.send_fds(&[IoSlice::new(b"x")], &[file.as_fd()], none());
    assert_eq!(sent.unwrap(), 1);
    let msg = tcp_server
        .recvmsg(1, CMSG_SPACE(4).unwrap(), none())
        .unwrap();
    assert_eq!(msg.data, b"x");
    assert!(msg.ancdata.is_empty() && msg.fds.is_empty() && msg.flags.is_empty());

    // A peer that is gone: an error, not SIGPIPE.
    drop(b);
    let err = a
        .send_fds(&[IoSlice::new(b"x")], &[file.as_fd()], none())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
}

#[test]
fn cmsg_len_and_cmsg_space_match_python() {
    let lengths: Vec<usize> = vec![
        0,
        1,
        4,
        7,
        8,
        12,
        16,
        20,
        1000,
        (1 << 31) - 1 - 24,
        (1 << 31) - 1 - 23,
        (1 << 31) - 1 - 16,
        (1 << 31) - 1 - 15,
        (1 << 31) - 1,
        1 << 31,
        1 << 40,
        usize::MAX,
    ];
    let script = format!(
        "import socket\n\
         for n in {lengths:?}:\n\
         \x20   out = []\n\
         \x20   for f in (socket.CMSG_LEN, socket.CMSG_SPACE):\n\
         \x20       try: out.append(str(f(n)))\n\
         \x20       except (OverflowError, ValueError): out.append('E')\n\
         \x20   print(' '.join(out))\n"
    );
    let Ok(out) = Command::new("python3").args(["-c", &script]).output() else {
        eprintln!("no python3: skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = |result: pysocket::Result<usize>| result.map_or("E".to_string(), |n| n.to_string());
    let ours: Vec<String> = lengths
        .iter()
        .map(|&n| format!("{} {}", show(CMSG_LEN(n)), show(CMSG_SPACE(n))))
        .collect();
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(ours, theirs, "for {lengths:?}");
}

#[test]
fn call_with_timeout_runs_socket2_calls_in_the_three_modes() {
    let (a, b) = socketpair().unwrap();
    let mut buf = [std::mem::MaybeUninit::new(0u8); 16];
    let mut recv = |flags: MsgFlags| {
        b.call_with_timeout(Interest::Read, flags, |sock, flags| {
            sock.recv_with_flags(&mut buf, flags.bits())
        })
    };

    let timeout = Duration::from_millis(300);
    b.settimeout(Some(timeout)).unwrap();
    let started = Instant::now();
    let result = recv(none());
    assert_timed_out(
        "call_with_timeout",
        &result,
        timeout,
        started.elapsed(),
        SLACK,
    );
    // What the call saves a user from: called directly, socket2's receive
    // ends with WouldBlock, when the kernel's backstop fires.
    let mut raw_buf = [std::mem::MaybeUninit::new(0u8); 4];
    let err = with_watchdog(&b, PROMPT, || {
        b.as_socket2().recv_with_flags(&mut raw_buf, 0)
    })
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{err:?}");
    b.settimeout(Some(Duration::from_millis(10))).unwrap();
    let started = Instant::now();
    let result = recv(none());
    assert_timed_out(
        "call_with_timeout, short",
        &result,
        timeout / 30,
        started.elapsed(),
        SLACK,
    );

    b.setblocking(false).unwrap();
    assert!(recv(none()).unwrap_err().is_would_block());
    b.setblocking(true).unwrap();
    assert!(recv(MsgFlags::DONTWAIT).unwrap_err().is_would_block());

    let got = thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(100));
            a.sendall(b"late").unwrap();
        });
        recv(none())
    });
    assert_eq!(got.unwrap(), 4);
    a.sendall(b"peek").unwrap();
    assert_eq!(recv(MsgFlags::PEEK).unwrap(), 4);
    assert_eq!(recv(none()).unwrap(), 4);
    assert_nothing_queued(&b);
}

#[test]
fn call_with_timeout_hands_op_the_flags_to_pass() {
    let (a, b) = socketpair().unwrap();
    let seen = |sock: &Socket, interest, flags| {
        let mut given = none();
        let _ = sock.call_with_timeout(interest, flags, |_, flags| {
            given = flags;
            Ok(())
        });
        given
    };
    assert_eq!(seen(&b, Interest::Read, none()), none());
    assert_eq!(seen(&b, Interest::Read, MsgFlags::PEEK), MsgFlags::PEEK);
    assert_eq!(seen(&a, Interest::Write, none()), MsgFlags::NOSIGNAL);
    // Timeout mode without a backstop tries every call with MSG_DONTWAIT.
    a.settimeout(Some(Duration::from_millis(10))).unwrap();
    assert_eq!(
        seen(&a, Interest::Write, MsgFlags::OOB),
        MsgFlags::OOB | MsgFlags::NOSIGNAL | MsgFlags::DONTWAIT
    );
    // A closed peer: an error, never SIGPIPE.
    drop(b);
    let err = a
        .call_with_timeout(Interest::Write, none(), |sock, flags| {
            sock.send_with_flags(b"x", flags.bits())
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
}

#[test]
fn call_when_ready_waits_before_calls_that_take_no_flags() {
    let server = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    server.bind(("127.0.0.1", 0)).unwrap();
    server.listen(4).unwrap();
    for timeout in [Duration::from_millis(300), Duration::from_millis(20)] {
        server.settimeout(Some(timeout)).unwrap();
        let started = Instant::now();
        let result = with_watchdog(&server, PROMPT, || {
            server.call_when_ready(Interest::Read, |sock| sock.accept())
        });
        assert_timed_out(
            "call_when_ready",
            &result,
            timeout,
            started.elapsed(),
            SLACK,
        );
    }
    server.setblocking(false).unwrap();
    let err = server
        .call_when_ready(Interest::Read, |sock| sock.accept())
        .unwrap_err();
    assert!(err.is_would_block(), "{err:?}");

    server.settimeout(Some(PROMPT)).unwrap();
    let client = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    client.connect(server.getsockname().unwrap()).unwrap();
    let (conn, peer) = server
        .call_when_ready(Interest::Read, |sock| sock.accept())
        .unwrap();
    assert_eq!(
        peer.as_socket(),
        client.getsockname().unwrap().as_socket_addr()
    );
    drop(conn);
}

/// Runs `cycle` once to warm up, then 200 times, and asserts that the count
/// of open descriptors is back to what it was.
fn assert_no_leak(what: &str, mut cycle: impl FnMut()) {
    cycle();
    let before = fd_count();
    for _ in 0..200 {
        cycle();
    }
    let after = fd_count();
    assert_eq!(
        before, after,
        "{what}: {before} descriptors before, {after} after"
    );
}

#[test]
fn no_descriptor_is_leaked() {
    const TEST: &str = "no_descriptor_is_leaked";
    if !is_child(TEST) {
        assert_child_passes(TEST, CHILD_PASSED);
        return;
    }
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let files = [dev_null(), dev_null(), dev_null()];
    let fds: Vec<_> = files.iter().map(File::as_fd).collect();
    let send = |data: &[u8]| {
        a.send_fds(&[IoSlice::new(data)], &fds, none()).unwrap();
    };

    assert_no_leak("recvmsg, descriptors ignored", || {
        send(b"r");
        let msg = b.recvmsg(1, CMSG_SPACE(12).unwrap(), none()).unwrap();
        assert_eq!(msg.fds.len(), 3);
    });
    assert_no_leak("recvmsg_into, descriptors ignored", || {
        send(b"i");
        let mut buf = [0u8; 1];
        let got = b
            .recvmsg_into(&mut [IoSliceMut::new(&mut buf)], 256, none())
            .unwrap();
        assert_eq!(got.fds.len(), 3);
    });
    assert_no_leak("recv_fds, descriptors dropped", || {
        send(b"f");
        let (_, fds, _, _) = b.recv_fds(1, 3, none()).unwrap();
        assert_eq!(fds.len(), 3);
    });
    assert_no_leak("control data truncated: room for one", || {
        send(b"t");
        let msg = b.recvmsg(1, CMSG_LEN(4).unwrap(), none()).unwrap();
        assert!(msg.flags.contains(MsgFlags::CTRUNC));
        assert_eq!(msg.fds.len(), 1);
    });
    assert_no_leak("control data truncated: an odd size", || {
        send(b"o");
        let msg = b.recvmsg(1, CMSG_LEN(4).unwrap() + 6, none()).unwrap();
        assert!(msg.flags.contains(MsgFlags::CTRUNC));
    });
    assert_no_leak("no control buffer", || {
        send(b"n");
        let msg = b.recvmsg(1, 0, none()).unwrap();
        assert!(msg.flags.contains(MsgFlags::CTRUNC) && msg.fds.is_empty());
    });
    assert_no_leak("peeked, then received", || {
        send(b"p");
        let peeked = b
            .recvmsg(1, CMSG_SPACE(12).unwrap(), MsgFlags::PEEK)
            .unwrap();
        let taken = b.recvmsg(1, CMSG_SPACE(12).unwrap(), none()).unwrap();
        assert_eq!((peeked.fds.len(), taken.fds.len()), (3, 3));
    });
    let (c, d) = socketpair_with(AF_UNIX, SOCK_DGRAM).unwrap();
    d.settimeout(Some(PROMPT)).unwrap();
    assert_no_leak("datagram and control data both cut", || {
        c.send_fds(&[IoSlice::new(b"a long datagram")], &fds, none())
            .unwrap();
        let msg = d.recvmsg(2, CMSG_LEN(8).unwrap(), none()).unwrap();
        assert!(msg.flags.contains(MsgFlags::TRUNC | MsgFlags::CTRUNC));
        assert_eq!(msg.fds.len(), 2);
    });
    assert_no_leak("refused sends", || {
        let many = vec![files[0].as_fd(); 300];
        assert!(a.send_fds(&[IoSlice::new(b"x")], &many, none()).is_err());
        let not_open = Cmsg::new(SOL_SOCKET, SCM_RIGHTS, 999_999i32.to_ne_bytes());
        assert!(a
            .sendmsg(&[IoSlice::new(b"x")], &[not_open], none())
            .is_err());
        assert!(b.recvmsg(1, usize::MAX, none()).is_err());
    });
    b.settimeout(Some(Duration::from_millis(1))).unwrap();
    assert_no_leak("timed out receives", || {
        assert!(b.recvmsg(1, 64, none()).unwrap_err().is_timeout());
    });
    b.settimeout(Some(PROMPT)).unwrap();
    assert_no_leak("sockets passed and adopted", || {
        let (inner, outer) = socketpair().unwrap();
        a.send_fds(&[IoSlice::new(b"s")], &[inner.as_fd()], none())
            .unwrap();
        drop(inner);
        let (_, mut got, _, _) = b.recv_fds(1, 1, none()).unwrap();
        Socket::from(got.pop().unwrap()).sendall(b"!").unwrap();
        assert_eq!(outer.recv(1).unwrap(), b"!");
    });
    println!("{CHILD_PASSED}");
}

#[test]
fn received_descriptors_do_not_survive_exec() {
    let (a, b) = socketpair().unwrap();
    b.settimeout(Some(PROMPT)).unwrap();
    let (_read_end, write_end) = pipe();
    a.send_fds(&[IoSlice::new(b"x")], &[write_end.as_fd()], none())
        .unwrap();
    let (_, fds, _, _) = b.recv_fds(1, 1, none()).unwrap();
    let number = raw(&fds[0]);
    // A child process finds the number closed, or reused by something else.
    let out = Command::new("sh")
        .args([
            "-c",
            &format!("test -e /proc/self/fd/{number} && readlink /proc/self/fd/{number}"),
        ])
        .output();
    let Ok(out) = out else {
        eprintln!("no sh: skipped");
        return;
    };
    let link = String::from_utf8_lossy(&out.stdout);
    let mine = std::fs::read_link(format!("/proc/self/fd/{number}")).unwrap();
    assert_ne!(
        link.trim(),
        mine.to_string_lossy(),
        "the descriptor was inherited"
    );
}

/// A Unix stream whose peer has a name reports it with each receive, as
/// Linux's `recvmsg` (and Python's) do; a TCP stream reports none.
#[test]
fn recvmsg_on_streams_reports_a_named_unix_peer_and_no_tcp_sender() {
    let dir = temp_dir();
    let listener = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    listener
        .bind(dir.path().join("listener.sock").as_path())
        .unwrap();
    listener.listen(1).unwrap();
    let client = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    client
        .bind(dir.path().join("client.sock").as_path())
        .unwrap();
    client.connect(listener.getsockname().unwrap()).unwrap();
    let (conn, _) = listener.accept().unwrap();
    conn.settimeout(Some(PROMPT)).unwrap();
    client.sendall(b"from a name").unwrap();
    let msg = conn.recvmsg(64, 0, none()).unwrap();
    assert_eq!(msg.data, b"from a name");
    assert_eq!(msg.address, Some(client.getsockname().unwrap()));
    client.sendall(b"into").unwrap();
    let mut buf = [0u8; 8];
    let got = conn
        .recvmsg_into(
            &mut [IoSliceMut::new(&mut buf)],
            CMSG_SPACE(4).unwrap(),
            none(),
        )
        .unwrap();
    assert_eq!(
        (got.nbytes, got.address),
        (4, Some(client.getsockname().unwrap()))
    );

    let (a, b) = tcp_pair();
    b.settimeout(Some(PROMPT)).unwrap();
    a.sendall(b"tcp").unwrap();
    let msg = b.recvmsg(64, 0, none()).unwrap();
    assert_eq!((msg.data.as_slice(), msg.address), (&b"tcp"[..], None));
}
