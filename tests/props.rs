//! Property tests: payloads, chunkings and line sets arrive byte-exact through
//! `sendall`/`recv_into` and `makefile`; addresses survive a format/parse round
//! trip; no string given as an address makes `ToAddress` panic, nor any host
//! or service string `getaddrinfo_with`.

mod common;

use std::io::{self, BufRead, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::thread;
use std::time::{Duration, Instant};

use common::data::chunked;
use common::{send_chunked, tcp_pair, temp_dir, PROMPT};
use proptest::prelude::*;
use pysocket::{
    getaddrinfo_with, socketpair, AddrInfoFlags, AddrInfoHints, Address, Error, Family, Shutdown,
    SockType, Socket, SocketFile, ToAddress, UnixAddress, AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM,
    SOCK_STREAM, SOL_SOCKET, SO_SNDBUF,
};

const MAX_PAYLOAD: usize = 256 * 1024;

/// Modest case counts: every case opens real sockets.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// A TCP pair and a socketpair, each with its name; the reading end in
/// timeout mode so that no case can hang, the writing end in `writer_timeout`.
fn stream_pairs(writer_timeout: Option<Duration>) -> Vec<(&'static str, Socket, Socket)> {
    let (tcp_a, tcp_b) = tcp_pair();
    let (unix_a, unix_b) = socketpair().expect("socketpair");
    let pairs = vec![("tcp", tcp_a, tcp_b), ("socketpair", unix_a, unix_b)];
    for (_, writer, reader) in &pairs {
        writer.settimeout(writer_timeout).expect("settimeout");
        reader.settimeout(Some(PROMPT)).expect("settimeout");
    }
    pairs
}

/// `len` bytes drawn from `seed` (splitmix64): arbitrary data that costs one
/// generated value rather than one per byte, and shrinks by length.
fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Whether the crate could hand this `"host:port"` text to the resolver (a
/// valid port and a host that is no literal): such strings are left out so
/// that no case waits on DNS.
fn may_resolve(text: &str) -> bool {
    let split = match text.strip_prefix('[') {
        Some(rest) => rest.split_once("]:"),
        None => text.rsplit_once(':'),
    };
    match split {
        Some((host, port)) => port.parse::<u16>().is_ok() && may_resolve_host(host),
        None => false,
    }
}

/// Whether a host string would be resolved rather than read as a literal or
/// refused outright.
fn may_resolve_host(host: &str) -> bool {
    !(host.is_empty()
        || host == "<broadcast>"
        || host.contains('\0')
        || host.parse::<IpAddr>().is_ok())
}

/// Checks the outcome of a conversion for a socket of `family`: an address of
/// that family, or an error that says something.
fn check_outcome(
    input: &str,
    family: Family,
    outcome: pysocket::Result<Address>,
) -> Result<(), TestCaseError> {
    match outcome {
        Ok(addr) => {
            if family != Family::UNSPEC {
                prop_assert_eq!(addr.family(), family, "{:?} gave {:?}", input, addr);
            }
        }
        Err(err) => {
            prop_assert!(!err.to_string().is_empty(), "{:?}: empty message", input);
            prop_assert!(
                matches!(err, Error::InvalidArgument(_) | Error::Resolve { .. }),
                "{:?} for {}: unexpected error {:?}",
                input,
                family,
                err
            );
        }
    }
    Ok(())
}

/// Valid "host:port" texts of either version with one character inserted,
/// replaced or removed (or none).
fn mangled_address() -> impl Strategy<Value = String> {
    let text = (any::<IpAddr>(), any::<u16>())
        .prop_map(|(ip, port)| SocketAddr::new(ip, port).to_string());
    let edit = prop_oneof![
        Just(None),
        Just(Some(None)),
        prop::sample::select(&[':', '[', ']', '.', '%', '0', 'f', ' ', '\0'][..])
            .prop_map(|c| Some(Some(c)))
    ];
    (text, edit, any::<prop::sample::Index>(), any::<bool>()).prop_map(
        |(text, edit, at, replace)| {
            let mut chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len());
            match edit {
                None => {}
                Some(None) => {
                    chars.remove(i);
                }
                Some(Some(c)) if replace => chars[i] = c,
                Some(Some(c)) => chars.insert(i, c),
            }
            chars.into_iter().collect()
        },
    )
}

/// Address-like strings: valid ones slightly damaged, and brackets, colons,
/// hex digits, dots, signs, percent signs, spaces and NULs in any order, often
/// ending in a port.
fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => mangled_address(),
        1 => any::<String>(),
        1 => "[\\[\\]:0-9a-fA-F.%<>+ \\x00-]{0,40}",
        1 => "\\[?[0-9a-f:.]{0,40}\\]?:[+0-9]{0,7}",
        1 => "\\[[0-9a-f:.%]{0,40}\\]:[0-9]{1,5}",
        1 => "[0-9.]{0,20}:[0-9]{1,6}",
        1 => "<broadcast>:[0-9]{0,6}",
    ]
}

/// Lines of arbitrary bytes without a newline, and an optional unterminated tail.
fn byte_lines() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>)> {
    let line = prop::collection::vec(
        any::<u8>().prop_filter("no newline", |b| *b != b'\n'),
        0..600,
    );
    (prop::collection::vec(line.clone(), 0..40), line)
}

/// `format!` for proptest's failures.
fn fail(name: &str, err: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(format!("{name}: {err}"))
}

/// Waits for a thread of a case and fails the case with its error.
fn joined<T, E: std::fmt::Display>(
    name: &str,
    thread: thread::JoinHandle<Result<T, E>>,
) -> Result<T, TestCaseError> {
    thread
        .join()
        .expect("a thread of the case")
        .map_err(|err| fail(name, err))
}

/// Checks that `received` is `expected`, without printing megabytes.
fn same_stream(name: &str, received: &[u8], expected: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(received.len(), expected.len(), "{}", name);
    prop_assert!(received == expected, "{}: the bytes differ", name);
    Ok(())
}

/// Sends `data` in pieces whose sizes cycle through `sizes`, pausing
/// `pause` (if any) after each, then shuts down writing, in a thread.
fn send_paced(
    sock: Socket,
    data: Vec<u8>,
    sizes: Vec<usize>,
    pause: Duration,
) -> thread::JoinHandle<pysocket::Result<()>> {
    thread::spawn(move || {
        for piece in chunked(&data, &sizes) {
            sock.sendall(piece)?;
            if !pause.is_zero() {
                thread::sleep(pause);
            }
        }
        sock.shutdown(Shutdown::Write)
    })
}

/// The lines of [`byte_lines`] as they come back from `read_until` (each
/// with its newline, then the tail, if any), and the stream they make.
fn terminated(lines: Vec<Vec<u8>>, tail: Vec<u8>) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut expected: Vec<Vec<u8>> = lines
        .into_iter()
        .map(|mut line| {
            line.push(b'\n');
            line
        })
        .collect();
    if !tail.is_empty() {
        expected.push(tail);
    }
    let stream = expected.concat();
    (expected, stream)
}

proptest! {
    #![proptest_config(config(64))]

    /// Any payload through sendall chunkings and recv_into buffer sizes arrives byte-exact.
    #[test]
    fn sendall_recv_into_chunkings_arrive_exact(
        len in 0..=MAX_PAYLOAD,
        seed in any::<u64>(),
        send_sizes in prop::collection::vec(prop_oneof![4 => 1..=70_000usize, 1 => 1..=64usize], 1..12),
        recv_sizes in prop::collection::vec(prop_oneof![4 => 1..=100_000usize, 1 => 1..=64usize], 1..12),
        writer_timeout in prop_oneof![Just(None), Just(Some(PROMPT))],
    ) {
        let data = payload(len, seed);
        for (name, writer, reader) in stream_pairs(writer_timeout) {
            let sizes = recv_sizes.clone();
            let receiver = thread::spawn(move || -> pysocket::Result<Vec<u8>> {
                let mut received = Vec::new();
                let mut buf = vec![0u8; *sizes.iter().max().unwrap_or(&1)];
                for &size in sizes.iter().cycle() {
                    let n = reader.recv_into(&mut buf[..size])?;
                    if n == 0 {
                        break;
                    }
                    assert!(n <= size, "recv_into returned {n} for a buffer of {size}");
                    received.extend_from_slice(&buf[..n]);
                }
                Ok(received)
            });
            send_chunked(&writer, &data, &send_sizes).map_err(|err| fail(name, err))?;
            let received = joined(name, receiver)?;
            same_stream(name, &received, &data)?;
        }
    }

    /// Any byte lines sent raw in any chunking come back one by one from read_until.
    #[test]
    fn read_until_returns_lines_across_chunk_boundaries(
        (lines, tail) in byte_lines(),
        send_sizes in prop::collection::vec(1..=1000usize, 1..12),
        read_capacity in 1..=512usize,
    ) {
        let (expected, stream) = terminated(lines, tail);
        for (name, writer, reader) in stream_pairs(Some(PROMPT)) {
            let sender = send_paced(writer, stream.clone(), send_sizes.clone(), Duration::ZERO);

            let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
            let mut got = Vec::new();
            for _ in 0..=expected.len() {
                let mut line = Vec::new();
                let n = file
                    .read_until(b'\n', &mut line)
                    .map_err(|err| fail(name, err))?;
                prop_assert_eq!(n, line.len(), "{}", name);
                if n == 0 {
                    break;
                }
                got.push(line);
            }
            joined(name, sender)?;
            prop_assert_eq!(&got, &expected, "{}", name);
        }
    }

    /// Any text lines written through a makefile come back from read_line/read_until mixed.
    #[test]
    fn makefile_lines_round_trip(
        lines in prop::collection::vec("[^\n]{0,200}", 0..40),
        tail in "[^\n]{0,50}",
        write_capacity in 1..=512usize,
        read_capacity in 1..=512usize,
        use_read_line in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let mut expected: Vec<String> = lines.iter().map(|line| format!("{line}\n")).collect();
        if !tail.is_empty() {
            expected.push(tail.clone());
        }
        for (name, writer, reader) in stream_pairs(Some(PROMPT)) {
            let to_send = expected.clone();
            let sender = thread::spawn(move || -> io::Result<()> {
                let mut file = SocketFile::with_capacity(&writer, 64, write_capacity);
                for line in &to_send {
                    file.write_all(line.as_bytes())?;
                }
                file.flush()?;
                drop(file);
                Ok(writer.shutdown(Shutdown::Write)?)
            });

            let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
            let mut got = Vec::new();
            for &by_line in use_read_line.iter().cycle().take(expected.len() + 1) {
                let line = if by_line {
                    let mut line = String::new();
                    file.read_line(&mut line).map(|_| line)
                } else {
                    let mut bytes = Vec::new();
                    file.read_until(b'\n', &mut bytes)
                        .map(|_| String::from_utf8(bytes).expect("UTF-8 in, UTF-8 out"))
                }
                .map_err(|err| fail(name, err))?;
                if line.is_empty() {
                    break;
                }
                got.push(line);
            }
            joined(name, sender)?;
            prop_assert_eq!(&got, &expected, "{}", name);
        }
    }

    /// read_until splits any bytes at any delimiter as `split_inclusive`
    /// does: the makefile's word-at-a-time search finds the first match.
    #[test]
    fn read_until_splits_at_any_delimiter(
        data in prop::collection::vec(any::<u8>(), 0..600),
        pick in any::<Option<prop::sample::Index>>(),
        other in any::<u8>(),
    ) {
        // Often a byte of the data (so there are matches), else any byte.
        let delim = match pick {
            Some(index) if !data.is_empty() => data[index.index(data.len())],
            _ => other,
        };
        let (writer, reader) = socketpair().expect("socketpair");
        reader.settimeout(Some(PROMPT)).expect("settimeout");
        writer.sendall(&data).expect("sendall");
        writer.shutdown(Shutdown::Write).expect("shutdown");
        let expected: Vec<&[u8]> = data.split_inclusive(|&byte| byte == delim).collect();
        let mut file = reader.makefile();
        let mut got = Vec::new();
        for _ in 0..=expected.len() {
            let mut piece = Vec::new();
            if file.read_until(delim, &mut piece).expect("read_until") == 0 {
                break;
            }
            got.push(piece);
        }
        prop_assert_eq!(got, expected);
    }
}

/// Bytes that are not UTF-8: a stray continuation byte, bytes never used,
/// sequences cut short, a surrogate and an overlong encoding.
const NOT_UTF8: [&[u8]; 8] = [
    b"\x80",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b"\xbf\xbf",
];

/// Text for `read_line`: runs of ASCII, characters of two, three and four
/// bytes, newlines, any character; and, in one case in four, bytes that are
/// not UTF-8 among them.
fn mixed_text() -> impl Strategy<Value = Vec<u8>> {
    let text = || {
        prop_oneof![
            4 => "[a-z ]{1,12}".prop_map(String::into_bytes),
            3 => "[éß\u{7ff}д€中\u{800}\u{ffff}😀\u{10000}\u{10ffff}]{1,6}".prop_map(String::into_bytes),
            3 => Just(b"\n".to_vec()),
            1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
        ]
    };
    let with_invalid = prop_oneof![
        8 => text(),
        1 => prop::sample::select(&NOT_UTF8[..]).prop_map(<[u8]>::to_vec),
    ];
    prop_oneof![
        3 => prop::collection::vec(text(), 0..80),
        1 => prop::collection::vec(with_invalid, 0..80),
    ]
    .prop_map(|pieces| pieces.concat())
}

/// What `read_line` gives for one line of `data`: the text, or the kind of
/// its error.
fn line_result(line: &[u8]) -> Result<String, io::ErrorKind> {
    std::str::from_utf8(line)
        .map(str::to_owned)
        .map_err(|_| io::ErrorKind::InvalidData)
}

/// One way of reading from a makefile, for the interleaving test.
#[derive(Clone, Copy, Debug)]
enum ReadOp {
    Line,
    Until,
    Read(usize),
    Consume(usize),
}

fn read_op() -> impl Strategy<Value = ReadOp> {
    let count = prop_oneof![4 => 1..=7usize, 1 => 1..=200usize];
    prop_oneof![
        3 => Just(ReadOp::Line),
        1 => Just(ReadOp::Until),
        2 => count.clone().prop_map(ReadOp::Read),
        2 => count.prop_map(ReadOp::Consume),
    ]
}

proptest! {
    #![proptest_config(config(64))]

    /// read_line on text of one- to four-byte characters (sometimes with bytes
    /// that are not UTF-8), sent in small chunks so that characters straddle
    /// the receives of a small buffer, gives line by line what
    /// `split_inclusive` and `from_utf8` give: the text appended to the
    /// buffer, or InvalidData with the buffer untouched.
    #[test]
    fn read_line_checks_utf8_like_from_utf8_per_line(
        data in mixed_text(),
        send_sizes in prop::collection::vec(1..=40usize, 1..12),
        read_capacity in 1..=64usize,
    ) {
        let expected: Vec<Result<String, io::ErrorKind>> =
            data.split_inclusive(|&byte| byte == b'\n').map(line_result).collect();
        for (name, writer, reader) in stream_pairs(Some(PROMPT)) {
            let raw = data.clone();
            let sizes = send_sizes.clone();
            let sender = thread::spawn(move || send_chunked(&writer, &raw, &sizes));

            let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
            let mut got = Vec::new();
            let mut line = String::new();
            for _ in 0..=expected.len() {
                // read_line appends: what was in the buffer stays.
                line.clear();
                line.push_str("before|");
                match file.read_line(&mut line) {
                    Ok(0) => {
                        prop_assert_eq!(&line, "before|", "{}", name);
                        break;
                    }
                    Ok(n) => {
                        let text = line.strip_prefix("before|").expect("kept");
                        prop_assert_eq!(n, text.len(), "{}", name);
                        got.push(Ok(text.to_owned()));
                    }
                    Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                        prop_assert_eq!(&line, "before|", "{}: the buffer changed", name);
                        got.push(Err(err.kind()));
                    }
                    Err(err) => return Err(fail(name, err)),
                }
            }
            joined(name, sender)?;
            prop_assert_eq!(&got, &expected, "{}", name);
        }
    }

    /// read, fill_buf + consume of odd byte counts (which leave the read
    /// position inside a character), read_until and read_line interleaved on
    /// the same text never panic and hand out the stream's bytes in order:
    /// read_line the rest of the line as from_utf8 sees it.
    #[test]
    fn reads_of_any_size_interleave_with_read_line(
        data in mixed_text(),
        ops in prop::collection::vec(read_op(), 1..12),
        send_sizes in prop::collection::vec(1..=40usize, 1..12),
        read_capacity in 1..=64usize,
    ) {
        for (name, writer, reader) in stream_pairs(Some(PROMPT)) {
            let raw = data.clone();
            let sizes = send_sizes.clone();
            let sender = thread::spawn(move || send_chunked(&writer, &raw, &sizes));

            let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
            // Every step reads at least one byte, so `data.len()` steps end it.
            let mut pos = 0;
            for &op in ops.iter().cycle().take(data.len()) {
                if pos == data.len() {
                    break;
                }
                let rest = &data[pos..];
                let line_end = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
                match op {
                    ReadOp::Line => {
                        let mut line = String::new();
                        let got = file.read_line(&mut line).map(|n| {
                            assert_eq!(n, line.len());
                            line
                        });
                        match (got, line_result(&rest[..line_end])) {
                            (Ok(got), Ok(want)) => prop_assert_eq!(got, want, "{}", name),
                            (Err(err), Err(kind)) if err.kind() == kind => {}
                            (got, want) => prop_assert!(false, "{}: {:?}, expected {:?}", name, got, want),
                        }
                        pos += line_end;
                    }
                    ReadOp::Until => {
                        let mut bytes = Vec::new();
                        let n = file.read_until(b'\n', &mut bytes).map_err(|err| fail(name, err))?;
                        prop_assert_eq!(n, line_end, "{}", name);
                        prop_assert_eq!(&bytes[..], &rest[..line_end], "{}", name);
                        pos += n;
                    }
                    ReadOp::Read(count) => {
                        let mut buf = vec![0u8; count];
                        let n = file.read(&mut buf).map_err(|err| fail(name, err))?;
                        prop_assert!(n >= 1 && n <= rest.len(), "{}: read {} of {}", name, n, rest.len());
                        prop_assert_eq!(&buf[..n], &rest[..n], "{}", name);
                        pos += n;
                    }
                    ReadOp::Consume(count) => {
                        let available = file.fill_buf().map_err(|err| fail(name, err))?;
                        prop_assert!(
                            !available.is_empty() && rest.starts_with(available),
                            "{}: fill_buf gave {:?}",
                            name,
                            available
                        );
                        let n = count.min(available.len());
                        file.consume(n);
                        pos += n;
                    }
                }
                prop_assert!(data[pos..].starts_with(file.buffer()), "{}: buffer() is off", name);
            }
            prop_assert_eq!(pos, data.len(), "{}: steps ran out", name);
            let mut line = String::new();
            prop_assert_eq!(file.read_line(&mut line).map_err(|err| fail(name, err))?, 0, "{}", name);
            prop_assert_eq!(file.read(&mut [0u8; 8]).map_err(|err| fail(name, err))?, 0, "{}", name);
            joined(name, sender)?;
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Any SocketAddrV4 displayed and parsed back for AF_INET (text or tuple) is unchanged.
    #[test]
    fn ipv4_address_round_trip(ip in any::<Ipv4Addr>(), port in any::<u16>()) {
        let addr = SocketAddrV4::new(ip, port);
        let text = addr.to_string();
        prop_assert_eq!(text.as_str().to_address(AF_INET)?, Address::Inet(addr));
        prop_assert_eq!(text.clone().to_address(AF_INET)?, Address::Inet(addr));
        prop_assert_eq!((ip.to_string().as_str(), port).to_address(AF_INET)?, Address::Inet(addr));
        prop_assert_eq!((ip.to_string(), port).to_address(Family::UNSPEC)?, Address::Inet(addr));
        let shown = Address::Inet(addr).to_string();
        prop_assert_eq!(&shown, &text);
        prop_assert_eq!(shown.to_address(AF_INET)?, Address::Inet(addr));
        prop_assert_eq!(Address::Inet(addr).port(), Some(port));
    }

    /// Any SocketAddrV6 (flowinfo and scope 0) displayed and parsed back for AF_INET6 is unchanged.
    #[test]
    fn ipv6_address_round_trip(ip in any::<Ipv6Addr>(), port in any::<u16>()) {
        let addr = SocketAddrV6::new(ip, port, 0, 0);
        let text = addr.to_string();
        prop_assert!(text.starts_with('['), "{}", text);
        prop_assert_eq!(text.as_str().to_address(AF_INET6)?, Address::Inet6(addr));
        prop_assert_eq!((ip.to_string().as_str(), port).to_address(AF_INET6)?, Address::Inet6(addr));
        prop_assert_eq!((ip.to_string(), port).to_address(Family::UNSPEC)?, Address::Inet6(addr));
        let shown = Address::Inet6(addr).to_string();
        prop_assert_eq!(&shown, &text);
        prop_assert_eq!(shown.to_address(AF_INET6)?, Address::Inet6(addr));
        prop_assert_eq!(Address::Inet6(addr).port(), Some(port));
    }

    /// A port past 65535 in "host:port" is InvalidArgument naming the port.
    #[test]
    fn port_out_of_range_is_invalid_argument(ip in any::<Ipv4Addr>(), port in 65_536..=u64::MAX) {
        let text = format!("{ip}:{port}");
        match text.as_str().to_address(AF_INET) {
            Err(Error::InvalidArgument(message)) => {
                prop_assert!(message.contains(&port.to_string()), "{}", message);
            }
            other => prop_assert!(false, "{} gave {:?}", text, other),
        }
    }

    /// No address string panics for AF_INET/AF_INET6/AF_UNSPEC: a fitting address or a message.
    #[test]
    fn address_strings_never_panic(text in address_like(), port in any::<u16>()) {
        for family in [AF_INET, AF_INET6, Family::UNSPEC] {
            if !may_resolve(&text) {
                check_outcome(&text, family, text.as_str().to_address(family))?;
                check_outcome(&text, family, text.as_str().to_addresses(family).map(|all| {
                    assert_eq!(all.len(), 1, "{text:?}: several addresses without resolving");
                    all[0].clone()
                }))?;
            }
            if !may_resolve_host(&text) {
                check_outcome(&text, family, (text.as_str(), port).to_address(family))?;
            }
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any string is an AF_UNIX address, and connecting to it never panics nor succeeds.
    #[test]
    fn unix_strings_never_panic(text in prop_oneof![
        any::<String>(),
        "\\x00?[a-z/. \\x00]{0,300}",
    ]) {
        let addr = text.as_str().to_address(AF_UNIX)?;
        prop_assert_eq!(addr, Address::Unix(UnixAddress::from(text.as_str())));

        if !text.contains("..") {
            let dir = temp_dir();
            let path = format!("{}/{}", dir.path().display(), text);
            let sock = Socket::new(AF_UNIX, SOCK_STREAM)?;
            match sock.connect_ex(path.as_str()) {
                Ok(errno) => prop_assert_ne!(errno, 0, "connected to {:?}", path),
                Err(err) => {
                    prop_assert!(!err.to_string().is_empty(), "{:?}: empty message", path);
                    prop_assert!(matches!(err, Error::InvalidArgument(_)), "{:?}: {:?}", path, err);
                }
            }
        }
    }
}

/// Host or service strings for getaddrinfo: anything (NULs and non-ASCII
/// included), numbers, and numbers slightly off.
fn lookup_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => any::<IpAddr>().prop_map(|ip| ip.to_string()),
        1 => any::<u16>().prop_map(|port| port.to_string()),
        1 => "[0-9a-fA-F:.%+ x\\x00\u{e9}\u{fffd}-]{0,20}",
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// getaddrinfo_with on any host and service strings never panics: answers
    /// (IP addresses, with the service's port when it is a number), or an
    /// error naming the input. `AI_NUMERICHOST | AI_NUMERICSERV` keep every
    /// case off DNS and the services database.
    #[test]
    fn getaddrinfo_any_strings_never_panic(
        host in prop::option::of(lookup_text()),
        service in prop::option::of(lookup_text()),
        family in prop::sample::select(vec![Family::UNSPEC, AF_INET, AF_INET6]),
        kind in prop::sample::select(vec![SockType::from(0), SOCK_STREAM, SOCK_DGRAM]),
        extra in prop::sample::subsequence(
            vec![AddrInfoFlags::PASSIVE, AddrInfoFlags::CANONNAME, AddrInfoFlags::V4MAPPED],
            0..=3,
        ),
    ) {
        let flags = extra
            .into_iter()
            .fold(AddrInfoFlags::NUMERICHOST | AddrInfoFlags::NUMERICSERV, |all, flag| all | flag);
        let hints = AddrInfoHints { family, kind, flags, ..AddrInfoHints::default() };
        let input = format!("{host:?}, {service:?}, {family}, {flags:?}");
        match getaddrinfo_with(host.as_deref(), service.as_deref(), &hints) {
            Ok(answers) => {
                let port = service.as_deref().and_then(|text| text.parse::<u16>().ok());
                for (i, answer) in answers.iter().enumerate() {
                    let ip = answer.address.as_socket_addr();
                    prop_assert!(ip.is_some(), "{}: {:?}", input, answer);
                    prop_assert_eq!(answer.address.family(), answer.family, "{}", input);
                    if let (Some(port), Some(ip)) = (port, ip) {
                        prop_assert_eq!(ip.port(), port, "{}", input);
                    }
                    if i > 0 {
                        prop_assert_eq!(&answer.canonname, &None, "{}", input);
                    }
                }
            }
            Err(Error::InvalidArgument(message)) => {
                let has_nul = |text: &Option<String>| text.as_deref().is_some_and(|t| t.contains('\0'));
                prop_assert!(has_nul(&host) || has_nul(&service), "{}: {}", input, message);
                prop_assert!(message.contains("NUL"), "{}: {}", input, message);
            }
            Err(err @ Error::Resolve { .. }) => {
                let text = err.to_string();
                let Error::Resolve { code, message, .. } = err else { unreachable!() };
                prop_assert_ne!(code, 0, "{}: {}", input, text);
                prop_assert!(!message.is_empty(), "{}: {}", input, text);
            }
            Err(other) => prop_assert!(false, "{}: unexpected {:?}", input, other),
        }
    }
}

/// Whether an I/O error is the socket timeout.
fn timed_out(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::TimedOut
}

proptest! {
    #![proptest_config(config(24))]

    /// read_until retried after short timeouts hands out no partial line and loses no byte.
    #[test]
    fn read_until_retried_after_timeouts_loses_nothing(
        (lines, tail) in byte_lines(),
        send_sizes in prop::collection::vec(16..=4000usize, 1..8),
        pause_ms in 0..=3u64,
        read_capacity in 1..=512usize,
    ) {
        let (expected, stream) = terminated(lines, tail);
        for (name, writer, reader) in stream_pairs(Some(PROMPT)) {
            let pause = Duration::from_millis(pause_ms);
            let sender = send_paced(writer, stream.clone(), send_sizes.clone(), pause);

            reader.settimeout(Some(Duration::from_millis(1)))?;
            let mut file = SocketFile::with_capacity(&reader, read_capacity, 64);
            let mut got = Vec::new();
            let limit = Instant::now() + PROMPT;
            while Instant::now() < limit {
                let mut line = Vec::new();
                match file.read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) => got.push(line),
                    Err(err) if timed_out(&err) => {
                        prop_assert!(line.is_empty(), "{}: a timeout handed out {:?}", name, line);
                    }
                    Err(err) => return Err(fail(name, err)),
                }
            }
            joined(name, sender)?;
            prop_assert_eq!(&got, &expected, "{}", name);
        }
    }

    /// Writes and flushes retried after timeouts deliver every byte exactly once.
    #[test]
    fn writes_and_flushes_retried_after_timeouts_lose_nothing(
        len in 0..=512 * 1024usize,
        seed in any::<u64>(),
        write_capacity in prop_oneof![1..=64usize, 1..=256 * 1024usize],
        write_sizes in prop::collection::vec(1..=100_000usize, 1..8),
        recv_size in prop_oneof![1 => 1..=64usize, 4 => 64..=64 * 1024usize],
    ) {
        let data = payload(len, seed);
        for (name, writer, reader) in stream_pairs(Some(Duration::from_millis(2))) {
            // A small send buffer, so that the writer waits on the reader. (A
            // small receive buffer would make TCP stall on its persist timer.)
            writer.setsockopt(SOL_SOCKET, SO_SNDBUF, 16 * 1024)?;
            let receiver = thread::spawn(move || -> pysocket::Result<Vec<u8>> {
                let mut received = Vec::new();
                let mut buf = vec![0u8; recv_size];
                let mut next_pause = 0;
                loop {
                    let n = reader.recv_into(&mut buf)?;
                    if n == 0 {
                        return Ok(received);
                    }
                    received.extend_from_slice(&buf[..n]);
                    if received.len() >= next_pause {
                        thread::sleep(Duration::from_millis(1));
                        next_pause += 32 * 1024;
                    }
                }
            });

            let mut file = SocketFile::with_capacity(&writer, 64, write_capacity);
            let limit = Instant::now() + PROMPT;
            for piece in chunked(&data, &write_sizes) {
                let mut written = 0;
                while written < piece.len() && Instant::now() < limit {
                    match file.write(&piece[written..]) {
                        Ok(n) => written += n,
                        Err(err) if timed_out(&err) => {}
                        Err(err) => return Err(fail(name, err)),
                    }
                }
            }
            loop {
                match file.flush() {
                    Ok(()) => break,
                    Err(err) if timed_out(&err) && Instant::now() < limit => {}
                    Err(err) => return Err(fail(name, err)),
                }
            }
            drop(file);
            writer.shutdown(Shutdown::Write)?;
            let received = joined(name, receiver)?;
            same_stream(name, &received, &data)?;
        }
    }
}
