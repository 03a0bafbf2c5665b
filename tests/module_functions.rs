//! The module functions of issue 15: `close(fd)`, `dup(fd)`, `sethostname`
//! (only inside a fresh UTS namespace), `Socket::setsockopt_null`, and the
//! interface functions checked against the kernel's own list.

use std::os::fd::{AsFd, AsRawFd, IntoRawFd};

use pysocket::{socketpair, Socket, AF_INET, SOCK_STREAM};

/// Whether the descriptor is close-on-exec.
fn is_cloexec(fd: impl AsFd) -> bool {
    // SAFETY: F_GETFD takes no argument and only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "F_GETFD: {}", std::io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

#[test]
fn close_closes_a_detached_descriptor_and_the_peer_sees_the_end() {
    let (a, b) = socketpair().unwrap();
    let fd = a.detach();
    // SAFETY: `detach` gave up `fd`; nothing else owns or uses it.
    unsafe { pysocket::close(fd) }.unwrap();
    assert_eq!(b.recv(16).unwrap(), b"");
}

#[test]
fn close_of_a_descriptor_that_is_not_open_is_ebadf() {
    // Neither number can be open: -1 is no descriptor, and i32::MAX is above
    // the kernel's highest possible descriptor (fs.nr_open is at most 2^30).
    for fd in [-1, i32::MAX] {
        // SAFETY: neither number is a descriptor anything owns.
        let err = unsafe { pysocket::close(fd) }.unwrap_err();
        assert_eq!(err.errno(), Some(libc::EBADF), "{fd}: {err}");
        assert!(matches!(err, pysocket::Error::Io(_)), "{err:?}");
    }
}

#[test]
fn dup_is_a_close_on_exec_descriptor_of_the_same_socket() {
    let sock = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    sock.bind(("127.0.0.1", 0)).unwrap();
    let copy = pysocket::dup(&sock).unwrap();
    assert_ne!(copy.as_raw_fd(), sock.fileno());
    assert!(is_cloexec(&copy));
    let via_copy = pysocket::fromfd(&copy).unwrap();
    assert_eq!(via_copy.getsockname().unwrap(), sock.getsockname().unwrap());

    // The duplicate outlives the original: the connection stays open.
    let (a, b) = socketpair().unwrap();
    let copy = pysocket::dup(&a).unwrap();
    drop(a);
    let a = pysocket::fromfd(&copy).unwrap();
    a.sendall(b"still here").unwrap();
    assert_eq!(b.recv(64).unwrap(), b"still here");
    // SAFETY: `copy` is ours and given up here; nothing uses it afterwards.
    unsafe { pysocket::close(copy.into_raw_fd()) }.unwrap();
}

#[test]
fn dup_of_a_raw_number_borrowed() {
    let (a, b) = socketpair().unwrap();
    // SAFETY: `a` stays open for the borrow's whole life.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(a.fileno()) };
    let copy = pysocket::dup(borrowed).unwrap();
    drop(a);
    std::io::Write::write_all(&mut &std::os::unix::net::UnixStream::from(copy), b"x").unwrap();
    assert_eq!(b.recv(8).unwrap(), b"x");
}

/// The device name `SO_BINDTODEVICE` reads back, without its NUL.
fn bound_device(sock: &Socket) -> Vec<u8> {
    let mut name = sock
        .getsockopt_bytes(libc::SOL_SOCKET, libc::SO_BINDTODEVICE, 16)
        .unwrap();
    name.retain(|&byte| byte != 0);
    name
}

#[test]
fn setsockopt_null_unbinds_so_bindtodevice() {
    let sock = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    // Binding to a device needs CAP_NET_RAW; unbinding an unbound socket does not.
    match sock.setsockopt(libc::SOL_SOCKET, libc::SO_BINDTODEVICE, b"lo") {
        Ok(()) => assert_eq!(bound_device(&sock), b"lo"),
        Err(err) => assert_eq!(err.errno(), Some(libc::EPERM), "{err}"),
    }
    sock.setsockopt_null(libc::SOL_SOCKET, libc::SO_BINDTODEVICE, 0)
        .unwrap();
    assert_eq!(bound_device(&sock), b"");
}

#[test]
fn setsockopt_null_on_an_option_that_needs_a_value_is_the_kernels_error() {
    let sock = Socket::new(AF_INET, SOCK_STREAM).unwrap();
    // As python3: setsockopt(SOL_SOCKET, SO_REUSEADDR, None, 4) is
    // OSError(14, 'Bad address'), with optlen 0 OSError(22, 'Invalid argument').
    let err = sock
        .setsockopt_null(libc::SOL_SOCKET, libc::SO_REUSEADDR, 4)
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc::EFAULT), "{err}");
    let err = sock
        .setsockopt_null(libc::SOL_SOCKET, libc::SO_REUSEADDR, 0)
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINVAL), "{err}");
    assert_eq!(
        sock.getsockopt(libc::SOL_SOCKET, libc::SO_REUSEADDR)
            .unwrap(),
        0
    );
}

/// The UTS namespace of the calling thread, as `/proc` names it.
fn uts_namespace() -> std::path::PathBuf {
    std::fs::read_link("/proc/thread-self/ns/uts").unwrap()
}

/// Runs `body` in a new thread that first moves into a UTS namespace of its
/// own (namespaces belong to each thread on Linux), so that host names set
/// there never reach the machine's. `None` where the thread cannot have one
/// (no privilege, or no namespaces): the caller skips.
fn in_own_uts_namespace<T: Send + 'static>(body: fn() -> T) -> Option<T> {
    let machines = uts_namespace();
    std::thread::spawn(move || {
        // SAFETY: unshare takes a flag and touches only this thread's namespaces.
        if unsafe { libc::unshare(libc::CLONE_NEWUTS) } != 0 {
            eprintln!(
                "skipped: unshare(CLONE_NEWUTS): {}",
                std::io::Error::last_os_error()
            );
            return None;
        }
        // Never set a name unless this thread is out of the machine's namespace.
        assert_ne!(
            uts_namespace(),
            machines,
            "unshare left the thread in the machine's namespace"
        );
        Some(body())
    })
    .join()
    .unwrap()
}

#[test]
fn sethostname_sets_the_name_gethostname_reads_in_its_own_namespace() {
    let machines_name = pysocket::gethostname().unwrap();
    let Some(names) = in_own_uts_namespace(|| {
        pysocket::sethostname("pysocket-test").unwrap();
        let text = pysocket::gethostname().unwrap();
        pysocket::sethostname(b"bytes-too").unwrap();
        let bytes = pysocket::gethostname().unwrap();
        // 64 bytes is Linux's limit (HOST_NAME_MAX); Python sets it too.
        pysocket::sethostname("x".repeat(64)).unwrap();
        let longest = pysocket::gethostname().unwrap();
        (text, bytes, longest)
    }) else {
        return;
    };
    assert_eq!(
        names,
        ("pysocket-test".into(), "bytes-too".into(), "x".repeat(64))
    );
    assert_eq!(pysocket::gethostname().unwrap(), machines_name);
}

#[test]
fn sethostname_refuses_a_name_too_long_or_with_a_nul_and_keeps_the_old_one() {
    let Some(results) = in_own_uts_namespace(|| {
        pysocket::sethostname("before").unwrap();
        // As python3: sethostname(b'x' * 65) is OSError(22, 'Invalid argument'),
        // sethostname('a\0b') ValueError('embedded null byte').
        let too_long = pysocket::sethostname("x".repeat(65)).unwrap_err();
        let nul = pysocket::sethostname("a\0b").unwrap_err();
        (too_long, nul, pysocket::gethostname().unwrap())
    }) else {
        return;
    };
    let (too_long, nul, after) = results;
    assert_eq!(too_long.errno(), Some(libc::EINVAL), "{too_long}");
    assert!(matches!(too_long, pysocket::Error::Io(_)), "{too_long:?}");
    match nul {
        pysocket::Error::InvalidArgument(message) => {
            assert!(message.contains("NUL"), "{message}")
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert_eq!(after, "before");
}

/// Every interface the kernel lists in `/sys/class/net`, as (index, name), sorted.
fn kernels_interfaces() -> Vec<(u32, String)> {
    let mut interfaces: Vec<(u32, String)> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            // An interface removed between the listing and the read is gone.
            let index = std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex")).ok()?;
            Some((index.trim().parse().unwrap(), name))
        })
        .collect();
    interfaces.sort();
    interfaces
}

#[test]
fn if_functions_agree_with_the_kernels_list() {
    // Retried while the kernel's list changes under the comparison.
    for _ in 0..10 {
        let before = kernels_interfaces();
        let mut ours = pysocket::if_nameindex().unwrap();
        ours.sort();
        if kernels_interfaces() != before {
            continue;
        }
        assert!(before.iter().any(|(_, name)| name == "lo"), "{before:?}");
        assert_eq!(ours, before);
        for (index, name) in &before {
            assert_eq!(pysocket::if_nametoindex(name).unwrap(), *index, "{name}");
            assert_eq!(pysocket::if_indextoname(*index).unwrap(), *name, "{index}");
        }
        return;
    }
    panic!("the kernel's interface list kept changing");
}

/// The kind and message of an `Error::Io`, or a panic saying what came instead.
fn io_error<T: std::fmt::Debug>(result: pysocket::Result<T>) -> (std::io::ErrorKind, String) {
    match result {
        Err(pysocket::Error::Io(err)) => (err.kind(), err.to_string()),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

#[test]
fn if_nametoindex_names_what_is_wrong_with_a_bad_name() {
    use std::io::ErrorKind::NotFound;
    // As python3: OSError('no interface with this name') for each, and
    // ValueError('embedded null byte') for a NUL.
    let (kind, message) = io_error(pysocket::if_nametoindex("no-such-if0"));
    assert_eq!(kind, NotFound);
    assert!(message.contains("\"no-such-if0\""), "{message}");

    for long in ["x".repeat(16), "x".repeat(20)] {
        let (kind, message) = io_error(pysocket::if_nametoindex(&long));
        assert_eq!(kind, NotFound);
        assert!(message.contains(&long), "{message}");
        assert!(message.contains("at most 15"), "{message}");
    }
    // 15 bytes is a name that could exist: only "no interface".
    let (_, message) = io_error(pysocket::if_nametoindex(&"x".repeat(15)));
    assert!(!message.contains("at most"), "{message}");

    match pysocket::if_nametoindex("lo\0") {
        Err(pysocket::Error::InvalidArgument(message)) => {
            assert!(message.contains("NUL"), "{message}")
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    assert_eq!(
        pysocket::if_nametoindex("")
            .map_err(|e| e.kind())
            .unwrap_err(),
        NotFound
    );
}

#[test]
fn if_indextoname_names_the_bad_index() {
    use std::io::ErrorKind::NotFound;
    // python3 raises OSError(ENXIO) for both; here NotFound naming the index.
    let (kind, message) = io_error(pysocket::if_indextoname(0));
    assert_eq!(kind, NotFound);
    assert!(
        message.contains("index 0") && message.contains("start at 1"),
        "{message}"
    );

    let unused = kernels_interfaces()
        .iter()
        .map(|(index, _)| index)
        .max()
        .unwrap()
        + 100_000;
    let (kind, message) = io_error(pysocket::if_indextoname(unused));
    assert_eq!(kind, NotFound);
    assert!(message.contains(&unused.to_string()), "{message}");
    let (kind, _) = io_error(pysocket::if_indextoname(u32::MAX));
    assert_eq!(kind, NotFound);
}
