//! Hostile input: a proptest campaign over every parser and converter that
//! takes user input. Address strings for every family (and family numbers
//! that are none), `inet_*` with any family and any length, option bytes of
//! any length for several options, getaddrinfo hints of any value (numeric
//! hosts only: `AI_NUMERICHOST`, so no DNS traffic), `MSG_*` flags of any
//! value, socket numbers of any value, and makefile line reading of
//! arbitrary bytes (invalid UTF-8 included) across arbitrary chunk
//! boundaries. Nothing panics or hangs; every outcome is `Ok` or an `Err`
//! that names the problem.
//!
//! `tests/props.rs` and `tests/props_inet.rs` check the valid inputs
//! (round trips, agreement with the C library); this file throws the rest.

mod common;

use std::io::{BufRead, ErrorKind, Read};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use common::{send_chunked, tcp_pair, udp_socket, PROMPT};
use proptest::prelude::*;
use pysocket::{
    fromfd, getaddrinfo_with, getnameinfo, inet_aton, inet_ntoa, inet_ntop, inet_pton, socketpair,
    AddrInfoFlags, AddrInfoHints, Address, Error, Family, MsgFlags, NameInfoFlags, Protocol,
    Shutdown, SockType, Socket, SocketFile, ToAddress, UnixAddress, AF_INET, AF_INET6, AF_UNIX,
    IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, IP_TOS, IP_TTL, SOCK_DGRAM, SOCK_STREAM,
    SOL_SOCKET, SO_BROADCAST, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_RCVLOWAT, SO_REUSEADDR,
    SO_SNDBUF, TCP_MAXSEG, TCP_NODELAY,
};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Families: the ones addresses have, and numbers that are none (kept out of
/// the range where Linux might try to load a protocol module).
fn family() -> impl Strategy<Value = Family> {
    prop_oneof![
        4 => prop::sample::select(vec![AF_INET, AF_INET6, AF_UNIX, Family::UNSPEC]),
        1 => prop_oneof![i32::MIN..0, 64..=i32::MAX].prop_map(Family::from),
    ]
}

/// Strings that look somewhat like addresses of any kind, and any string.
fn address_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => "[\\[\\]:0-9a-fA-F.%<>+ /@\\x00-]{0,60}",
        1 => "(\\[[0-9a-f:.%a-z]{0,45}\\]|[0-9.]{0,20}):[+-]?[0-9]{0,7}",
        1 => "\\x00?[a-z/. \\x00]{0,200}",
        1 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(:[0-9]{1,6})?",
    ]
}

/// Whether `host` would go to the resolver (a name, not a literal): such
/// hosts are left out so that no case makes DNS traffic.
fn would_resolve(host: &str) -> bool {
    !(host.is_empty()
        || host == "<broadcast>"
        || host.contains('\0')
        || host.parse::<std::net::IpAddr>().is_ok())
}

/// The host part `ToAddress` would look up for `"host:port"` text, if the
/// text gets that far.
fn host_of(text: &str) -> Option<&str> {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => rest.split_once("]:")?,
        None => text.rsplit_once(':')?,
    };
    port.parse::<u16>().ok()?;
    Some(host)
}

/// Whether resolving `text` for `family` could make DNS traffic.
fn text_may_resolve(text: &str, family: Family) -> bool {
    matches!(family, Family::INET | Family::INET6 | Family::UNSPEC)
        && host_of(text).is_some_and(would_resolve)
}

/// Checks one conversion: an address of the family asked for, or an error
/// that says something (a bad argument, or a name that did not resolve).
fn check_address(
    what: &str,
    family: Family,
    outcome: pysocket::Result<Address>,
) -> Result<(), TestCaseError> {
    match outcome {
        Ok(addr) => {
            if matches!(family, Family::INET | Family::INET6 | Family::UNIX) {
                prop_assert_eq!(addr.family(), family, "{}: {:?}", what, addr);
            }
            if let Some(ip) = addr.as_socket_addr() {
                // A numeric reverse lookup of what was parsed: no traffic.
                let flags = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
                let (host, port) = getnameinfo(ip, flags)
                    .map_err(|err| TestCaseError::fail(format!("{what}: getnameinfo: {err}")))?;
                prop_assert_eq!(port, ip.port().to_string());
                prop_assert!(!host.is_empty());
            }
        }
        Err(err) => {
            prop_assert!(!err.to_string().is_empty(), "{}: an empty message", what);
            prop_assert!(
                matches!(err, Error::InvalidArgument(_) | Error::Resolve { .. }),
                "{}: unexpected error {:?}",
                what,
                err
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    /// Any text, as `"host:port"`, a host with a port, a path, or a Unix
    /// address, for any family: an address of that family or an error.
    #[test]
    fn address_text_for_any_family(text in address_text(), family in family(), port in any::<u16>()) {
        if !text_may_resolve(&text, family) {
            check_address("str", family, text.as_str().to_address(family))?;
            check_address("String", family, text.clone().to_address(family))?;
            let all = text.as_str().to_addresses(family);
            check_address("to_addresses", family, all.map(|mut all| {
                assert_eq!(all.len(), 1, "{text:?}: several addresses without resolving");
                all.remove(0)
            }))?;
        }
        let host_may_resolve =
            matches!(family, Family::INET | Family::INET6 | Family::UNSPEC) && would_resolve(&text);
        if !host_may_resolve {
            check_address("(host, port)", family, (text.as_str(), port).to_address(family))?;
            check_address("(String, port)", family, (text.clone(), port).to_address(family))?;
        }
        check_address("Path", family, Path::new(&text).to_address(family))?;
        check_address("UnixAddress", family, UnixAddress::from(text.as_str()).to_address(family))?;
    }

    /// `inet_aton`, `inet_pton`, `inet_ntop` and `inet_ntoa` with any text,
    /// any family and any number of bytes: a value, or `InvalidArgument`
    /// naming the function.
    #[test]
    fn inet_conversions_with_any_family_and_length(
        text in address_text(),
        bytes in prop::collection::vec(any::<u8>(), 0..80),
        family in family(),
    ) {
        fn check<T: std::fmt::Debug>(function: &str, outcome: pysocket::Result<T>) -> Result<(), TestCaseError> {
            if let Err(err) = outcome {
                match &err {
                    Error::InvalidArgument(message) => {
                        prop_assert!(message.contains(function), "{}: {}", function, message)
                    }
                    other => prop_assert!(false, "{}: {:?}", function, other),
                }
            }
            Ok(())
        }
        check("inet_aton", inet_aton(&text))?;
        check("inet_pton", inet_pton(family, &text))?;
        check("inet_ntop", inet_ntop(family, &bytes))?;
        check("inet_ntoa", inet_ntoa(&bytes))?;
        if let Ok(packed) = inet_pton(family, &text) {
            prop_assert_eq!(packed.len(), if family == AF_INET { 4 } else { 16 });
            prop_assert!(inet_ntop(family, &packed).is_ok());
        }
    }
}

/// Options set by level and name, with the sockets they apply to.
const OPTIONS: [(i32, i32, &str); 14] = [
    (SOL_SOCKET, SO_LINGER, "SO_LINGER"),
    (SOL_SOCKET, libc::SO_RCVTIMEO, "SO_RCVTIMEO"),
    (SOL_SOCKET, libc::SO_SNDTIMEO, "SO_SNDTIMEO"),
    (SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"),
    (SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"),
    (SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF"),
    (SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"),
    (SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST"),
    (SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT"),
    (IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"),
    (IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG"),
    (IPPROTO_IP, IP_TTL, "IP_TTL"),
    (IPPROTO_IP, IP_TOS, "IP_TOS"),
    (IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY"),
];

/// An OS refusal carries its errno and a message.
fn check_os_outcome<T>(
    what: &str,
    outcome: pysocket::Result<T>,
) -> Result<Option<T>, TestCaseError> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(err) => {
            prop_assert!(err.errno().is_some(), "{}: no errno in {:?}", what, err);
            prop_assert!(!err.to_string().is_empty(), "{}: an empty message", what);
            Ok(None)
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Option bytes of any length (and `int`s of any value) for several
    /// options on TCP and UDP sockets of both families: set, or refused with
    /// an errno; then read back as an `int` and as bytes of any buffer length
    /// (out of 1..=1024: `InvalidArgument` naming the length).
    #[test]
    fn option_values_of_any_length(
        option in 0..OPTIONS.len(),
        bytes in prop_oneof![
            4 => prop::collection::vec(any::<u8>(), 0..=64),
            1 => prop::collection::vec(any::<u8>(), 0..=70_000),
        ],
        int in any::<i32>(),
        buflen in prop_oneof![3 => 1usize..=1024, 1 => any::<usize>()],
        socket in 0..4usize,
    ) {
        let (level, name, label) = OPTIONS[option];
        let (family, kind) = [(AF_INET, SOCK_STREAM), (AF_INET, SOCK_DGRAM), (AF_INET6, SOCK_STREAM), (AF_INET6, SOCK_DGRAM)][socket];
        let sock = Socket::new(family, kind)?;
        let what = format!("{label} on {family} {kind}");
        check_os_outcome(&what, sock.setsockopt(level, name, &bytes))?;
        check_os_outcome(&what, sock.setsockopt(level, name, int))?;
        check_os_outcome(&what, sock.getsockopt(level, name))?;
        match sock.getsockopt_bytes(level, name, buflen) {
            Ok(value) => prop_assert!(value.len() <= buflen, "{}: {} bytes from {}", what, value.len(), buflen),
            Err(Error::InvalidArgument(message)) => {
                prop_assert!(buflen == 0 || buflen > 1024, "{}: {}", what, message);
                prop_assert!(message.contains(&buflen.to_string()), "{}: {}", what, message);
            }
            Err(err) => prop_assert!(err.errno().is_some(), "{}: {:?}", what, err),
        }
        // The socket still works as a socket.
        prop_assert!(sock.getsockname().is_ok());
    }

    /// getaddrinfo with any hints (family, type, protocol and flag values,
    /// known or not) and numeric hosts only (`AI_NUMERICHOST` is always set,
    /// so nothing goes to DNS): answers, or a resolver error with its code and
    /// message.
    #[test]
    fn getaddrinfo_with_any_hints(
        host in prop::option::of(prop_oneof![
            any::<std::net::IpAddr>().prop_map(|ip| ip.to_string()),
            "[0-9a-fA-F:.%]{0,46}",
            address_text(),
        ]),
        service in prop::option::of(prop_oneof![
            any::<u16>().prop_map(|port| port.to_string()),
            "[0-9a-z+-]{0,12}",
            any::<String>(),
        ]),
        family in prop_oneof![
            3 => prop::sample::select(vec![AF_INET, AF_INET6, Family::UNSPEC, AF_UNIX]),
            1 => any::<i32>().prop_map(Family::from),
        ],
        kind in prop_oneof![3 => 0..=5i32, 1 => any::<i32>()],
        proto in prop_oneof![3 => prop::sample::select(vec![0, 6, 17, 132]), 1 => any::<i32>()],
        flags in any::<i32>(),
    ) {
        let hints = AddrInfoHints {
            family,
            kind: SockType::from(kind),
            proto: Protocol::from(proto),
            flags: AddrInfoFlags::from_bits_retain(flags) | AddrInfoFlags::NUMERICHOST,
        };
        match getaddrinfo_with(host.as_deref(), service.as_deref(), &hints) {
            Ok(answers) => {
                for answer in answers {
                    prop_assert!(answer.address.as_socket_addr().is_some(), "{:?}", answer);
                }
            }
            Err(err) => {
                prop_assert!(!err.to_string().is_empty(), "an empty message");
                prop_assert!(
                    matches!(err, Error::Resolve { .. } | Error::InvalidArgument(_) | Error::Io(_)),
                    "{:?}", err
                );
            }
        }
    }

    /// Sockets of any family number (none that could load a module), type
    /// and protocol: made, or refused with an errno; a socket made shows,
    /// names and closes itself.
    #[test]
    fn sockets_of_any_numbers(family in family(), kind in any::<i32>(), proto in any::<i32>()) {
        let made = Socket::with_protocol(family, SockType::from(kind), Protocol::from(proto));
        if let Some(sock) = check_os_outcome("Socket::with_protocol", made)? {
            let _ = (sock.to_string(), format!("{sock:?}"), sock.getsockname());
            let _ = sock.close();
        }
    }
}

/// Every `MsgFlags` bit the kernel knows of, and some it does not.
fn msg_flags() -> impl Strategy<Value = MsgFlags> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(vec![
            MsgFlags::PEEK, MsgFlags::OOB, MsgFlags::WAITALL, MsgFlags::DONTWAIT,
            MsgFlags::DONTROUTE, MsgFlags::TRUNC, MsgFlags::CTRUNC, MsgFlags::EOR,
            MsgFlags::CONFIRM, MsgFlags::MORE, MsgFlags::ERRQUEUE, MsgFlags::CMSG_CLOEXEC,
        ]), 0..4).prop_map(|flags| flags.into_iter().fold(MsgFlags::empty(), |all, f| all | f)),
        1 => any::<i32>().prop_map(MsgFlags::from_bits_retain),
    ]
}

/// One send or receive call of [`any_flags_keep_the_deadline`], given a buffer.
type Call<'a> = Box<dyn Fn(&mut [u8]) -> pysocket::Result<usize> + 'a>;

proptest! {
    #![proptest_config(config(64))]

    /// Sends and receives with any flags, on a TCP and a UDP socket in
    /// timeout mode: each returns within its timeout (no flag makes the
    /// engine spin past its deadline, or block), with a count within the
    /// buffer, or an error with an errno (or the timeout).
    #[test]
    fn any_flags_keep_the_deadline(flags in msg_flags(), size in 1usize..=4096, pending in any::<bool>()) {
        let timeout = Duration::from_millis(30);
        let (tcp_a, tcp_b) = tcp_pair();
        let (udp_a, addr_a) = udp_socket(AF_INET);
        let (udp_b, addr_b) = udp_socket(AF_INET);
        udp_a.connect(&addr_b)?;
        udp_b.connect(&addr_a)?;
        for (name, writer, reader) in [("tcp", &tcp_a, &tcp_b), ("udp", &udp_a, &udp_b)] {
            if pending {
                writer.send(b"pending data")?;
                thread::sleep(Duration::from_millis(2));
            }
            for sock in [writer, reader] {
                sock.settimeout(Some(timeout))?;
            }
            let what = format!("{name} {flags:?}");
            let mut buf = vec![0u8; size];
            let calls: [(&str, Call<'_>); 4] = [
                ("recv_with_flags", Box::new(|_| reader.recv_with_flags(size, flags).map(|data| {
                    assert!(data.len() <= size);
                    data.len()
                }))),
                ("recv_into_with_flags", Box::new(|buf| reader.recv_into_with_flags(buf, flags))),
                ("recvfrom_with_flags", Box::new(|_| reader.recvfrom_with_flags(size, flags).map(|(data, _)| data.len()))),
                ("send_with_flags", Box::new(|buf| writer.send_with_flags(&buf[..buf.len().min(64)], flags))),
            ];
            for (call, run) in calls {
                let started = Instant::now();
                let outcome = run(&mut buf);
                let took = started.elapsed();
                prop_assert!(took < timeout + Duration::from_secs(2), "{} {}: took {:?}", what, call, took);
                match outcome {
                    Ok(n) => {
                        let truncating = flags.contains(MsgFlags::TRUNC) && name == "udp";
                        prop_assert!(n <= size || truncating, "{} {}: {} from {}", what, call, n, size);
                    }
                    Err(Error::Timeout) => {}
                    Err(err) => prop_assert!(err.errno().is_some(), "{} {}: {:?}", what, call, err),
                }
            }
        }
    }
}

/// Lines of arbitrary bytes (no newline), valid UTF-8 or not.
fn byte_lines() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let line = prop_oneof![
        2 => prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..300),
        1 => "[^\n]{0,100}".prop_map(String::into_bytes),
        // Multi-byte characters cut anywhere.
        1 => ("[é€😀a]{1,40}", any::<prop::sample::Index>()).prop_map(|(text, cut)| {
            let bytes = text.into_bytes();
            let at = cut.index(bytes.len() + 1);
            bytes[..at].to_vec()
        }),
    ];
    prop::collection::vec(line, 0..40)
}

proptest! {
    #![proptest_config(config(96))]

    /// Lines of arbitrary bytes sent in arbitrary chunks, read with
    /// `read_line`: each valid line comes back whole, each invalid one is an
    /// `InvalidData` error that says UTF-8 (and is consumed, so the next line
    /// follows), in order; the last line may lack its newline.
    #[test]
    fn read_line_with_invalid_utf8_across_any_chunking(
        lines in byte_lines(),
        terminated in any::<bool>(),
        send_sizes in prop::collection::vec(1..=700usize, 1..10),
        read_capacity in 1..=300usize,
        stream in 0..2usize,
    ) {
        let mut wire = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            wire.extend_from_slice(line);
            if terminated || i + 1 < lines.len() {
                wire.push(b'\n');
            }
        }
        let (writer, reader) = if stream == 0 { tcp_pair() } else { socketpair()? };
        reader.settimeout(Some(PROMPT))?;
        let sender =
            thread::spawn(move || send_chunked(&writer, &wire, &send_sizes).expect("send"));
        let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
        let mut results = Vec::new();
        for _ in 0..=lines.len() + 1 {
            let mut line = String::new();
            match file.read_line(&mut line) {
                Ok(0) => break,
                Ok(n) => {
                    prop_assert_eq!(n, line.len());
                    results.push(Ok(line));
                }
                Err(err) => {
                    prop_assert_eq!(err.kind(), ErrorKind::InvalidData, "{}", err);
                    prop_assert!(err.to_string().contains("UTF-8"), "{}", err);
                    prop_assert!(line.is_empty(), "an invalid line handed out {:?}", line);
                    results.push(Err(()));
                }
            }
        }
        sender.join().expect("sender");
        let expected: Vec<Result<String, ()>> = lines
            .iter()
            .enumerate()
            .filter(|(i, line)| !(line.is_empty() && !terminated && i + 1 == lines.len()))
            .map(|(i, line)| {
                let mut full = line.clone();
                if terminated || i + 1 < lines.len() {
                    full.push(b'\n');
                }
                String::from_utf8(full).map_err(drop)
            })
            .collect();
        prop_assert_eq!(results, expected);
    }

    /// `read_until` with any delimiter, and `read_to_string`, over arbitrary
    /// bytes in arbitrary chunks: the pieces put back together are the
    /// stream; `read_to_string` gives the text or `InvalidData`.
    #[test]
    fn read_until_any_delimiter_and_read_to_string(
        data in prop::collection::vec(any::<u8>(), 0..5000),
        delim in any::<u8>(),
        send_sizes in prop::collection::vec(1..=500usize, 1..8),
        read_capacity in 1..=200usize,
        to_string in any::<bool>(),
    ) {
        let (writer, reader) = socketpair()?;
        reader.settimeout(Some(PROMPT))?;
        let wire = data.clone();
        let sender =
            thread::spawn(move || send_chunked(&writer, &wire, &send_sizes).expect("send"));
        let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
        if to_string {
            let mut text = String::new();
            match file.read_to_string(&mut text) {
                Ok(_) => prop_assert_eq!(text.as_bytes(), &data[..]),
                Err(err) => {
                    prop_assert_eq!(err.kind(), ErrorKind::InvalidData);
                    prop_assert!(std::str::from_utf8(&data).is_err());
                }
            }
        } else {
            let mut got = Vec::new();
            for _ in 0..=data.len() {
                let mut piece = Vec::new();
                let n = file.read_until(delim, &mut piece)?;
                if n == 0 {
                    break;
                }
                prop_assert_eq!(n, piece.len());
                let ends_here = piece.last() == Some(&delim);
                prop_assert!(ends_here || got.len() + n == data.len(), "a piece cut short");
                prop_assert!(!piece[..n - 1].contains(&delim), "a piece past its delimiter");
                got.extend(piece);
            }
            prop_assert_eq!(got, data);
        }
        sender.join().expect("sender");
    }
}

/// A descriptor that is no socket (a pipe), given to the socket calls:
/// `fromfd` refuses it with `ENOTSOCK`, and a `Socket` adopting it anyway
/// answers every call with an error, never a panic.
#[test]
fn a_pipe_is_no_socket() {
    let (read_end, write_end) = {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two new descriptors into the array it is given.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors are new and owned by nothing else.
        unsafe {
            use std::os::fd::FromRawFd;
            (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
        }
    };
    let err = fromfd(&read_end).unwrap_err();
    assert_eq!(err.errno(), Some(libc::ENOTSOCK), "{err:?}");
    drop(write_end);
    let sock = Socket::from(read_end);
    assert_eq!(sock.family(), Family::UNSPEC);
    let _ = (sock.to_string(), format!("{sock:?}"));
    let failures: Vec<(&str, pysocket::Result<()>)> = vec![
        ("bind", sock.bind(("127.0.0.1", 0))),
        ("listen", sock.listen(1)),
        ("accept", sock.accept().map(drop)),
        ("connect", sock.connect(("127.0.0.1", 9))),
        ("send", sock.send(b"x").map(drop)),
        ("recv", sock.recv(16).map(drop)),
        ("recv_into", sock.recv_into(&mut [0u8; 4]).map(drop)),
        ("recvfrom", sock.recvfrom(16).map(drop)),
        ("getsockname", sock.getsockname().map(drop)),
        ("getpeername", sock.getpeername().map(drop)),
        ("setsockopt", sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)),
        (
            "getsockopt",
            sock.getsockopt(SOL_SOCKET, SO_REUSEADDR).map(drop),
        ),
        ("shutdown", sock.shutdown(Shutdown::Both)),
    ];
    for (call, outcome) in failures {
        let err = outcome.expect_err(call);
        assert!(
            err.errno().is_some() || matches!(err, Error::InvalidArgument(_)),
            "{call}: {err:?}"
        );
    }
    let mut file = sock.makefile();
    let mut line = String::new();
    assert!(file.read_line(&mut line).is_err());
    let mut buf = [0u8; 8];
    assert!(file.read(&mut buf).is_err());
}
