//! `Socket::makefile`: the buffered `SocketFile` over TCP pairs and socketpairs.
//! Lines, mixed reads and writes on one socket, buffering, timeouts that lose
//! nothing, and flush on drop.

mod common;

use std::io::{self, BufRead, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::{send_chunked, tcp_pair, PROMPT};
use pysocket::{socketpair, Shutdown, Socket, SocketFile, SOL_SOCKET, SO_RCVBUF, SO_SNDBUF};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A short timeout for the calls meant to time out.
const SHORT: Duration = Duration::from_millis(100);

/// A connected TCP pair and a socketpair, each with its name, both ends in
/// timeout mode with [`PROMPT`] so that no test can hang.
fn stream_pairs() -> Vec<(&'static str, Socket, Socket)> {
    let (tcp_a, tcp_b) = tcp_pair();
    let (unix_a, unix_b) = socketpair().expect("socketpair");
    let pairs = vec![("tcp", tcp_a, tcp_b), ("socketpair", unix_a, unix_b)];
    for (_, a, b) in &pairs {
        a.settimeout(Some(PROMPT)).expect("settimeout");
        b.settimeout(Some(PROMPT)).expect("settimeout");
    }
    pairs
}

/// `len` bytes in which every 4-byte group is its own index, so that a lost,
/// duplicated or reordered byte shows in a comparison.
fn counting_bytes(len: usize) -> Vec<u8> {
    (0u32..)
        .flat_map(u32::to_be_bytes)
        .take(len)
        .collect::<Vec<u8>>()
}

/// Reads `sock` to the end of the stream in a thread; the socket's timeout
/// bounds every wait.
fn read_all_in_thread(sock: Socket) -> thread::JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        let mut received = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = sock.recv_into(&mut chunk)?;
            if n == 0 {
                return Ok(received);
            }
            received.extend_from_slice(&chunk[..n]);
        }
    })
}

/// Sends `data` on `sock` in pieces of at most `piece` bytes, then shuts its
/// sending side, in a thread.
fn send_in_thread(
    sock: Socket,
    data: Vec<u8>,
    piece: usize,
) -> thread::JoinHandle<pysocket::Result<()>> {
    thread::spawn(move || send_chunked(&sock, &data, &[piece]))
}

/// Asserts that `received` is `expected`, without printing megabytes.
fn assert_same_stream(name: &str, received: &[u8], expected: &[u8]) {
    assert_eq!(received.len(), expected.len(), "{name}");
    assert!(received == expected, "{name}: the stream differs");
}

/// Shuts `writer`'s sending side, then asserts that `reader` (from
/// [`read_all_in_thread`]) received `expected`.
fn assert_read_all(
    name: &str,
    writer: &Socket,
    reader: thread::JoinHandle<io::Result<Vec<u8>>>,
    expected: &[u8],
) -> TestResult {
    writer.shutdown(Shutdown::Write)?;
    let received = reader.join().expect("reader thread")?;
    assert_same_stream(name, &received, expected);
    Ok(())
}

/// Asserts that `call` fails with `TimedOut` after about [`SHORT`].
fn assert_times_out_after_short<T: std::fmt::Debug>(
    name: &str,
    call: impl FnOnce() -> io::Result<T>,
) {
    let start = Instant::now();
    let err = call().unwrap_err();
    let waited = start.elapsed();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{name}: {err}");
    assert!(
        waited >= SHORT / 2,
        "{name}: timed out after only {waited:?}"
    );
    assert!(waited < PROMPT, "{name}: timed out after {waited:?}");
}

/// Calls `call` again while it times out, until `limit`.
fn retry_timeouts<T>(limit: Instant, mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(err) if err.kind() == io::ErrorKind::TimedOut && Instant::now() < limit => {}
            other => return other,
        }
    }
}

/// Receives exactly `len` bytes within the socket's timeout.
fn recv_exactly(sock: &Socket, len: usize) -> pysocket::Result<Vec<u8>> {
    let mut received = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = sock.recv_into(&mut received[filled..])?;
        assert_ne!(n, 0, "stream ended after {filled} of {len} bytes");
        filled += n;
    }
    Ok(received)
}

/// Asserts that nothing is waiting to be received on `sock` right now.
fn assert_nothing_pending(sock: &Socket, context: &str) {
    let timeout = sock.gettimeout();
    sock.setblocking(false).expect("setblocking");
    let result = sock.recv(64);
    sock.settimeout(timeout).expect("settimeout");
    match result {
        Err(err) => assert_eq!(
            err.kind(),
            io::ErrorKind::WouldBlock,
            "{context}: expected WouldBlock, got {err}"
        ),
        Ok(data) => panic!("{context}: the peer already received {data:?}"),
    }
}

/// read_line, read_until and lines() split a stream into its lines, newline included.
#[test]
fn lines_via_read_line_read_until_and_lines() -> TestResult {
    for (name, a, b) in stream_pairs() {
        a.sendall(b"alpha\nbeta\n\ngamma;delta;\nlast one\nno newline")?;
        a.shutdown(Shutdown::Write)?;
        let mut file = b.makefile();

        let mut line = String::new();
        assert_eq!(file.read_line(&mut line)?, 6, "{name}");
        assert_eq!(line, "alpha\n", "{name}");
        // read_line appends, as std's does.
        assert_eq!(file.read_line(&mut line)?, 5, "{name}");
        assert_eq!(line, "alpha\nbeta\n", "{name}");

        let mut bytes = Vec::new();
        assert_eq!(file.read_until(b'\n', &mut bytes)?, 1, "{name}");
        assert_eq!(bytes, b"\n", "{name}");
        bytes.clear();
        assert_eq!(file.read_until(b';', &mut bytes)?, 6, "{name}");
        assert_eq!(bytes, b"gamma;", "{name}");
        bytes.clear();
        assert_eq!(file.read_until(b';', &mut bytes)?, 6, "{name}");
        assert_eq!(bytes, b"delta;", "{name}");

        let rest: Vec<String> = file.lines().collect::<io::Result<_>>()?;
        assert_eq!(rest, ["", "last one", "no newline"], "{name}");
    }
    Ok(())
}

/// The last line without a newline comes back whole; after it every read returns 0 (EOF).
#[test]
fn last_line_without_newline_then_eof_returns_zero() -> TestResult {
    for (name, a, b) in stream_pairs() {
        a.sendall(b"complete\nincomplete")?;
        drop(a);
        let mut file = b.makefile();
        let mut line = String::new();
        file.read_line(&mut line)?;
        assert_eq!(line, "complete\n", "{name}");
        line.clear();
        assert_eq!(file.read_line(&mut line)?, 10, "{name}");
        assert_eq!(line, "incomplete", "{name}");

        for _ in 0..3 {
            line.clear();
            assert_eq!(file.read_line(&mut line)?, 0, "{name}: read_line at EOF");
            assert_eq!(line, "", "{name}");
            let mut bytes = Vec::new();
            assert_eq!(
                file.read_until(b'\n', &mut bytes)?,
                0,
                "{name}: read_until at EOF"
            );
            assert_eq!(file.read(&mut [0u8; 16])?, 0, "{name}: read at EOF");
            assert_eq!(
                file.read(&mut vec![0u8; 128 * 1024])?,
                0,
                "{name}: large read at EOF"
            );
            assert!(file.fill_buf()?.is_empty(), "{name}: fill_buf at EOF");
        }
        assert_eq!(file.lines().count(), 0, "{name}");
    }
    Ok(())
}

/// One socket's makefile writes requests and reads responses (TCP pair and socketpair).
#[test]
fn request_response_on_one_makefile() -> TestResult {
    for (name, client, server) in stream_pairs() {
        let handler = thread::spawn(move || -> io::Result<usize> {
            let mut file = server.makefile();
            let mut served = 0;
            let mut request = String::new();
            loop {
                request.clear();
                if file.read_line(&mut request)? == 0 {
                    return Ok(served);
                }
                file.write_all(request.to_uppercase().as_bytes())?;
                file.flush()?;
                served += 1;
            }
        });

        let mut file = client.makefile();
        let mut response = String::new();
        for i in 0..200 {
            file.write_all(format!("request {i}\n").as_bytes())?;
            file.flush()?;
            response.clear();
            file.read_line(&mut response)?;
            assert_eq!(response, format!("REQUEST {i}\n"), "{name}");
        }
        drop(file);
        client.shutdown(Shutdown::Write)?;
        let served = handler.join().expect("handler thread")?;
        assert_eq!(served, 200, "{name}");
    }
    Ok(())
}

/// A line far longer than a small read buffer arrives whole, its neighbours intact.
#[test]
fn line_longer_than_small_read_buffer_arrives_whole() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let long: String = (0..5000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let stream = format!("short\n{long}\nafter\n");
        a.sendall(stream.as_bytes())?;
        a.shutdown(Shutdown::Write)?;

        let mut file = SocketFile::with_capacity(&b, 8, 8);
        let lines: Vec<String> = (&mut file).lines().collect::<io::Result<_>>()?;
        assert_eq!(lines, ["short", long.as_str(), "after"], "{name}");

        // The same through read_until, with a capacity of one byte.
        let (c, d) = socketpair()?;
        d.settimeout(Some(PROMPT))?;
        c.sendall(stream.as_bytes())?;
        drop(c);
        let mut tiny = SocketFile::with_capacity(&d, 1, 1);
        let mut all = Vec::new();
        let mut line = Vec::new();
        for expected_len in [6, long.len() + 1, 6, 0] {
            line.clear();
            assert_eq!(tiny.read_until(b'\n', &mut line)?, expected_len, "{name}");
            all.extend_from_slice(&line);
        }
        assert_eq!(all, stream.as_bytes(), "{name}");
    }
    Ok(())
}

/// A line longer than the default 64 KiB buffer arrives whole.
#[test]
fn line_longer_than_default_buffer_arrives_whole() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut long = counting_bytes(300 * 1024);
        // The counting pattern holds 0x0a bytes; this line must not.
        for byte in &mut long {
            if *byte == b'\n' {
                *byte = b'.';
            }
        }
        long.push(b'\n');
        let mut stream = long.clone();
        stream.extend_from_slice(b"next\n");
        let writer = send_in_thread(a, stream, usize::MAX);

        let mut file = b.makefile();
        let mut line = Vec::new();
        assert_eq!(file.read_until(b'\n', &mut line)?, long.len(), "{name}");
        assert!(line == long, "{name}: the long line differs");
        let mut next = String::new();
        file.read_line(&mut next)?;
        assert_eq!(next, "next\n", "{name}");
        writer.join().expect("writer thread")?;
    }
    Ok(())
}

/// read_exact fills across reads, read_to_end reads to EOF, read_exact past EOF is UnexpectedEof.
#[test]
fn read_exact_and_read_to_end() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let data = counting_bytes(200 * 1024);
        let writer = send_in_thread(a, data.clone(), 7777);

        let mut file = b.makefile();
        let mut head = [0u8; 10];
        file.read_exact(&mut head)?;
        assert_eq!(head, data[..10], "{name}");
        let mut middle = vec![0u8; 100 * 1024];
        file.read_exact(&mut middle)?;
        assert!(
            middle == data[10..10 + middle.len()],
            "{name}: middle differs"
        );
        let mut rest = Vec::new();
        file.read_to_end(&mut rest)?;
        assert!(rest == data[10 + middle.len()..], "{name}: rest differs");
        let err = file.read_exact(&mut [0u8; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{name}");
        writer.join().expect("writer thread")?;
    }
    Ok(())
}

/// Read::read with a large buffer returns the buffered bytes first, then the socket's, in order.
#[test]
fn read_with_large_buffer_keeps_order() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let data = counting_bytes(256 * 1024);
        let mut stream = b"header\n".to_vec();
        stream.extend_from_slice(&data);
        let writer = send_in_thread(a, stream, usize::MAX);

        let mut file = b.makefile();
        let mut header = String::new();
        file.read_line(&mut header)?;
        assert_eq!(header, "header\n", "{name}");
        let mut received = Vec::new();
        let mut big = vec![0u8; 200 * 1024];
        for _ in 0..10_000 {
            let n = file.read(&mut big)?;
            if n == 0 {
                break;
            }
            received.extend_from_slice(&big[..n]);
        }
        assert_same_stream(name, &received, &data);
        writer.join().expect("writer thread")?;
    }
    Ok(())
}

/// A read_line/read_until timeout (TimedOut) keeps the partial line: the next call gets it whole.
#[test]
fn read_line_timeout_loses_nothing() -> TestResult {
    for (name, a, b) in stream_pairs() {
        b.settimeout(Some(SHORT))?;
        let mut file = b.makefile();

        a.sendall(b"first half, ")?;
        let mut line = String::new();
        assert_times_out_after_short(name, || file.read_line(&mut line));
        assert_eq!(line, "", "{name}: a partial line was handed out");
        assert_eq!(file.buffer(), b"first half, ", "{name}");

        a.sendall(b"second half\nnext")?;
        file.read_line(&mut line)?;
        assert_eq!(line, "first half, second half\n", "{name}");

        // The same for read_until, twice in a row.
        let mut bytes = Vec::new();
        for _ in 0..2 {
            let err = file.read_until(b'\n', &mut bytes).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{name}: {err}");
            assert!(bytes.is_empty(), "{name}: read_until handed out {bytes:?}");
        }
        a.sendall(b" line\n")?;
        file.read_until(b'\n', &mut bytes)?;
        assert_eq!(bytes, b"next line\n", "{name}");
    }
    Ok(())
}

/// A read_line passed on with `?` into a `pysocket::Result`, as a port of
/// `except socket.timeout:` does: the timeout is `Error::Timeout` again, and
/// the partial line is still there for the next call.
#[test]
fn timeout_passed_on_with_question_mark_is_error_timeout() -> TestResult {
    fn read_one(file: &mut SocketFile<'_>, line: &mut String) -> pysocket::Result<usize> {
        Ok(file.read_line(line)?)
    }
    for (name, a, b) in stream_pairs() {
        b.settimeout(Some(SHORT))?;
        let mut file = b.makefile();
        a.sendall(b"half")?;
        let mut line = String::new();
        let err = read_one(&mut file, &mut line).unwrap_err();
        assert!(err.is_timeout(), "{name}: {err:?}");
        assert!(matches!(err, pysocket::Error::Timeout), "{name}: {err:?}");
        assert_eq!(format!("{err:?}"), "TimeoutError: timed out", "{name}");
        a.sendall(b" line\n")?;
        read_one(&mut file, &mut line)?;
        assert_eq!(line, "half line\n", "{name}");
    }
    Ok(())
}

/// In non-blocking mode read_line on half a line is WouldBlock and keeps that half.
#[test]
fn read_line_would_block_loses_nothing() -> TestResult {
    for (name, a, b) in stream_pairs() {
        b.setblocking(false)?;
        let mut file = b.makefile();
        let mut line = String::new();
        let err = file.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{name}: {err}");

        a.sendall(b"par")?;
        // On TCP the bytes may take a moment to arrive: wait (bounded) for them.
        let limit = Instant::now() + PROMPT;
        while file.buffer().is_empty() && Instant::now() < limit {
            match file.fill_buf() {
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1));
                }
                Err(err) => return Err(err.into()),
            }
        }
        let err = file.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{name}: {err}");
        assert_eq!(line, "", "{name}");

        a.sendall(b"tial\n")?;
        b.settimeout(Some(PROMPT))?;
        file.read_line(&mut line)?;
        assert_eq!(line, "partial\n", "{name}");
    }
    Ok(())
}

/// Writes stay in the buffer until flush: the peer sees nothing before it.
#[test]
fn writes_are_buffered_until_flush() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file = a.makefile();
        file.write_all(b"hello ")?;
        file.write_all(b"world\n")?;
        assert_eq!(file.write_buffer(), b"hello world\n", "{name}");
        // Give a wrongly sent write time to arrive before checking.
        thread::sleep(Duration::from_millis(20));
        assert_nothing_pending(&b, name);

        file.flush()?;
        assert!(file.write_buffer().is_empty(), "{name}");
        assert_eq!(recv_exactly(&b, 12)?, b"hello world\n", "{name}");
        file.flush()?;
        thread::sleep(Duration::from_millis(20));
        assert_nothing_pending(&b, name);
    }
    Ok(())
}

/// Dropping the file flushes what it still holds.
#[test]
fn drop_flushes_the_write_buffer() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file = a.makefile();
        file.write_all(b"sent on drop\n")?;
        assert_nothing_pending(&b, name);
        drop(file);
        let mut reader = b.makefile();
        let mut line = String::new();
        reader.read_line(&mut line)?;
        assert_eq!(line, "sent on drop\n", "{name}");
    }
    Ok(())
}

/// A write that overflows the write buffer sends the buffer first; a large write goes out at once.
#[test]
fn writes_larger_than_the_write_buffer_go_out() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file = SocketFile::with_capacity(&a, 64, 16);
        file.write_all(b"0123456789")?;
        assert_nothing_pending(&b, name);
        file.write_all(b"abcdefghij")?;
        // The first ten bytes went out to make room, the last ten wait.
        assert_eq!(recv_exactly(&b, 10)?, b"0123456789", "{name}");
        assert_eq!(file.write_buffer(), b"abcdefghij", "{name}");

        let big = counting_bytes(100);
        file.write_all(&big)?;
        // Both the buffered bytes and the large write are out, in order, without a flush.
        let received = recv_exactly(&b, 110)?;
        assert_eq!(&received[..10], b"abcdefghij", "{name}");
        assert_eq!(&received[10..], &big[..], "{name}");
        assert!(file.write_buffer().is_empty(), "{name}");
    }
    Ok(())
}

/// A write far larger than the default buffer arrives whole, after the bytes buffered before it.
#[test]
fn write_larger_than_default_buffer_arrives_whole() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let reader = read_all_in_thread(b);
        let big = counting_bytes(1024 * 1024 + 3);
        let mut file = a.makefile();
        file.write_all(b"first\n")?;
        file.write_all(&big)?;
        file.write_all(b"last\n")?;
        file.flush()?;
        drop(file);
        let mut expected = b"first\n".to_vec();
        expected.extend_from_slice(&big);
        expected.extend_from_slice(b"last\n");
        assert_read_all(name, &a, reader, &expected)?;
    }
    Ok(())
}

/// Shrinks the kernel buffers so that a few MiB fill them.
fn small_kernel_buffers(writer: &Socket, reader: &Socket) -> pysocket::Result<()> {
    writer.setsockopt(SOL_SOCKET, SO_SNDBUF, 16 * 1024)?;
    reader.setsockopt(SOL_SOCKET, SO_RCVBUF, 16 * 1024)
}

/// A flush that times out keeps the unsent bytes; later flushes deliver them, none lost or doubled.
#[test]
fn flush_timeout_keeps_unsent_bytes() -> TestResult {
    for (name, a, b) in stream_pairs() {
        small_kernel_buffers(&a, &b)?;
        let payload = counting_bytes(4 * 1024 * 1024);
        let mut file = SocketFile::with_capacity(&a, 1024, 8 * 1024 * 1024);
        file.write_all(&payload)?;
        assert_eq!(
            file.write_buffer().len(),
            payload.len(),
            "{name}: not buffered"
        );

        a.settimeout(Some(SHORT))?;
        assert_times_out_after_short(name, || file.flush());
        let left = file.write_buffer().len();
        assert!(
            left > 0 && left < payload.len(),
            "{name}: {left} bytes left"
        );
        assert!(
            file.write_buffer() == &payload[payload.len() - left..],
            "{name}: the write buffer does not hold the unsent tail"
        );

        let reader = read_all_in_thread(b);
        // Each flush gets SHORT; the reader drains, so they make progress.
        retry_timeouts(Instant::now() + PROMPT, || file.flush())?;
        assert!(file.write_buffer().is_empty(), "{name}");
        drop(file);
        assert_read_all(name, &a, reader, &payload)?;
    }
    Ok(())
}

/// A large write that times out midway is a short write; the rest, written later, is sent once.
#[test]
fn large_write_timeout_is_a_short_write() -> TestResult {
    for (name, a, b) in stream_pairs() {
        small_kernel_buffers(&a, &b)?;
        a.settimeout(Some(SHORT))?;
        let payload = counting_bytes(4 * 1024 * 1024);
        let mut file = SocketFile::with_capacity(&a, 1024, 1024);

        let first = file.write(&payload)?;
        assert!(first > 0 && first < payload.len(), "{name}: wrote {first}");
        let err = file.write(&payload[first..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{name}: {err}");

        let reader = read_all_in_thread(b);
        let mut written = first;
        let limit = Instant::now() + PROMPT;
        while written < payload.len() {
            written += retry_timeouts(limit, || file.write(&payload[written..]))?;
        }
        file.flush()?;
        drop(file);
        assert_read_all(name, &a, reader, &payload)?;
    }
    Ok(())
}

/// A write_all that goes straight to the socket has one deadline for the
/// whole call, as sendall: it times out once, not once per piece it sent.
#[test]
fn write_all_of_a_large_buffer_has_one_deadline() -> TestResult {
    let timeout = Duration::from_millis(500);
    for (name, a, b) in stream_pairs() {
        small_kernel_buffers(&a, &b)?;
        a.settimeout(Some(timeout))?;
        let payload = counting_bytes(4 * 1024 * 1024);
        let mut file = SocketFile::with_capacity(&a, 1024, 1024);
        let started = Instant::now();
        let err = file.write_all(&payload).unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{name}: {err}");
        // A deadline per piece would take twice the timeout at least.
        assert!(
            took >= timeout * 9 / 10 && took < timeout * 19 / 10,
            "{name}: timed out after {took:?}"
        );
        drop(b);
    }
    Ok(())
}

/// A non-UTF-8 line is InvalidData for read_line, which consumes it; the next line still reads.
#[test]
fn invalid_utf8_line_then_next_line() -> TestResult {
    for (name, a, b) in stream_pairs() {
        a.sendall(b"fine\nbad \xff\xfe line\nnext\n")?;
        a.shutdown(Shutdown::Write)?;
        let mut file = b.makefile();
        let mut line = String::new();
        file.read_line(&mut line)?;
        assert_eq!(line, "fine\n", "{name}");
        let err = file.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{name}: {err}");
        assert_eq!(line, "fine\n", "{name}: read_line changed its buffer");
        line.clear();
        file.read_line(&mut line)?;
        assert_eq!(line, "next\n", "{name}");
        line.clear();
        assert_eq!(file.read_line(&mut line)?, 0, "{name}");
    }
    Ok(())
}

/// A character cut between two sends, with a timeout in between, comes back
/// whole; a line entered inside a character (after a consume) is InvalidData,
/// and the lines after it read as text.
#[test]
fn multibyte_characters_across_receives_and_consumes() -> TestResult {
    for (name, a, b) in stream_pairs() {
        b.settimeout(Some(SHORT))?;
        let mut file = SocketFile::with_capacity(&b, 4, 64);
        let first = "naïve €\n".as_bytes();
        // Up to the middle of the euro sign.
        a.sendall(&first[..9])?;
        let mut line = String::new();
        let err = file.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{name}: {err}");
        assert_eq!(file.buffer(), &first[..9], "{name}");
        assert_eq!(line, "", "{name}");

        a.sendall(&first[9..])?;
        a.sendall("€uro\nnext ✓\n".as_bytes())?;
        b.settimeout(Some(PROMPT))?;
        file.read_line(&mut line)?;
        assert_eq!(line, "naïve €\n", "{name}");

        // One byte into the euro sign: the rest of that line is not UTF-8.
        assert_eq!(file.fill_buf()?[0], 0xe2, "{name}");
        file.consume(1);
        line.clear();
        let err = file.read_line(&mut line).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{name}: {err}");
        assert_eq!(line, "", "{name}");
        file.read_line(&mut line)?;
        assert_eq!(line, "next ✓\n", "{name}");
    }
    Ok(())
}

/// fill_buf peeks without consuming, consume moves on; together they read the stream byte-exact.
#[test]
fn fill_buf_and_consume() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let data = counting_bytes(100_000);
        let writer = send_in_thread(a, data.clone(), usize::MAX);

        let mut file = SocketFile::with_capacity(&b, 4096, 4096);
        let first = file.fill_buf()?.to_vec();
        assert!(!first.is_empty(), "{name}");
        assert_eq!(file.fill_buf()?, &first[..], "{name}: fill_buf consumed");
        assert_eq!(file.buffer(), &first[..], "{name}");

        let mut received = Vec::new();
        let mut step = 1;
        for _ in 0..1_000_000 {
            let available = file.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let n = step.min(available.len());
            received.extend_from_slice(&available[..n]);
            file.consume(n);
            step = step % 997 + 13;
        }
        assert_same_stream(name, &received, &data);
        writer.join().expect("writer thread")?;
    }
    Ok(())
}

/// read_line, read_exact and read_to_string interleave on one file without losing a byte.
#[test]
fn mixed_reads_on_one_file() -> TestResult {
    for (name, a, b) in stream_pairs() {
        a.sendall(b"line one\nRAWBYTESline two\ntail")?;
        a.shutdown(Shutdown::Write)?;
        let mut file = SocketFile::with_capacity(&b, 4, 4);
        let mut line = String::new();
        file.read_line(&mut line)?;
        assert_eq!(line, "line one\n", "{name}");
        let mut raw = [0u8; 8];
        file.read_exact(&mut raw)?;
        assert_eq!(&raw, b"RAWBYTES", "{name}");
        line.clear();
        file.read_line(&mut line)?;
        assert_eq!(line, "line two\n", "{name}");
        let mut tail = String::new();
        file.read_to_string(&mut tail)?;
        assert_eq!(tail, "tail", "{name}");
    }
    Ok(())
}

/// A read into an empty buffer returns 0 at once (Python's read(0)), even from a silent peer.
#[test]
fn empty_read_returns_at_once() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file = b.makefile();
        let start = Instant::now();
        assert_eq!(file.read(&mut [])?, 0, "{name}");
        assert!(
            start.elapsed() < PROMPT / 2,
            "{name}: waited {:?}",
            start.elapsed()
        );
        a.sendall(b"data\n")?;
        let mut line = String::new();
        file.read_line(&mut line)?;
        assert_eq!(line, "data\n", "{name}");
    }
    Ok(())
}

/// Buffer sizes that cannot be allocated are an OutOfMemory error from the read, never an abort.
#[test]
fn impossible_buffer_sizes_are_errors() -> TestResult {
    let (a, b) = socketpair()?;
    a.sendall(b"line\n")?;
    let mut file = SocketFile::with_capacity(&b, usize::MAX, usize::MAX);
    let mut line = String::new();
    let err = file.read_line(&mut line).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
    assert!(err.to_string().contains("cannot be allocated"), "{err}");
    assert!(line.is_empty());
    // The socket and its data are untouched: a sane file still reads the line.
    let mut sane = b.makefile();
    sane.read_line(&mut line)?;
    assert_eq!(line, "line\n");
    // A huge write buffer just buffers; the flush delivers.
    let mut writer = SocketFile::with_capacity(&a, 16, usize::MAX);
    writer.write_all(b"more\n")?;
    writer.flush()?;
    let mut echo = String::new();
    sane.read_line(&mut echo)?;
    assert_eq!(echo, "more\n");
    Ok(())
}

/// A file from `into_makefile` owns its socket: it moves to another thread,
/// reads and writes lines there, and closing it (dropping it, after its last
/// flush) is the peer's end of the stream.
#[test]
fn into_makefile_moves_to_a_thread_and_closes_on_drop() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file: SocketFile<'static> = b.into_makefile();
        let echo = thread::spawn(move || -> io::Result<()> {
            let mut line = String::new();
            file.read_line(&mut line)?;
            file.write_all(line.to_uppercase().as_bytes())?;
            // Left in the write buffer: the drop sends it before closing.
            file.write_all(b"last\n")
        });
        a.sendall(b"ping\n")?;
        echo.join().expect("echo thread")?;
        let mut peer = a.makefile();
        let mut received = String::new();
        peer.read_to_string(&mut received)?;
        assert_eq!(received, "PING\nlast\n", "{name}");
    }
    Ok(())
}

/// `create_connection(..)?.into_makefile()`: the file outlives the
/// temporary it came from.
#[test]
fn into_makefile_of_a_temporary() -> TestResult {
    let server = pysocket::create_server(("127.0.0.1", 0))?;
    let mut client =
        pysocket::create_connection(server.getsockname()?, Some(PROMPT))?.into_makefile();
    let (conn, _) = server.accept()?;
    conn.settimeout(Some(PROMPT))?;
    client.write_all(b"hello\n")?;
    client.flush()?;
    assert_eq!(recv_exactly(&conn, 6)?, b"hello\n");
    conn.sendall(b"world\n")?;
    let mut line = String::new();
    client.read_line(&mut line)?;
    assert_eq!(line, "world\n");
    drop(client);
    assert_eq!(conn.recv(16)?, b"", "the peer sees the end of the stream");
    Ok(())
}

/// `readline(size)`: lines cut at `size` bytes, across receives, a timeout
/// that consumes nothing, and the end of the stream, as Python's
/// `readline(size)` on a binary file.
#[test]
fn readline_with_a_size_limit() -> TestResult {
    for (name, a, b) in stream_pairs() {
        b.settimeout(Some(SHORT))?;
        let mut file = b.makefile();
        assert_eq!(file.readline(0)?, b"", "{name}: size 0 waits for nothing");

        a.sendall(b"0123")?;
        assert_times_out_after_short(name, || file.readline(8));
        assert_eq!(file.buffer(), b"0123", "{name}: the timeout consumed bytes");
        a.sendall(b"456789\nab")?;
        assert_eq!(file.readline(8)?, b"01234567", "{name}");
        assert_eq!(file.readline(8)?, b"89\n", "{name}");
        a.sendall(b"c\nlast")?;
        assert_eq!(file.readline(usize::MAX)?, b"abc\n", "{name}");
        a.shutdown(Shutdown::Write)?;
        assert_eq!(file.readline(100)?, b"last", "{name}");
        assert_eq!(file.readline(100)?, b"", "{name}");
    }
    Ok(())
}

/// A long line that trickles in is cut at exactly `size` bytes, whatever
/// the read buffer's size and the pieces it arrives in.
#[test]
fn readline_limit_across_small_receives() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let line: Vec<u8> = counting_bytes(10_000).iter().map(|&c| c | 1).collect();
        let mut data = line.clone();
        data.push(b'\n');
        let mut file = SocketFile::with_capacity(&b, 7, 7);
        let sender = send_in_thread(a, data, 333);
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let piece = file.readline(1000)?;
            if piece.is_empty() {
                break;
            }
            sizes.push(piece.len());
            got.extend_from_slice(&piece);
        }
        sender.join().expect("sender thread")?;
        assert_eq!(
            sizes,
            [1000; 10].iter().chain(&[1]).copied().collect::<Vec<_>>(),
            "{name}"
        );
        assert_same_stream(name, &got[..got.len() - 1], &line);
        assert_eq!(got.last(), Some(&b'\n'), "{name}");
    }
    Ok(())
}

/// `read_text_line` reads "\r\n" as "\n", also when the two arrive in
/// different receives; a lone "\r" is kept.
#[test]
fn read_text_line_translates_crlf() -> TestResult {
    for (name, a, b) in stream_pairs() {
        let mut file = b.makefile();
        let mut line = String::new();
        a.sendall(b"GET / HTTP/1.1\r")?;
        thread::sleep(Duration::from_millis(20));
        a.sendall(b"\nmid\rline\n\r\n")?;
        assert_eq!(file.read_text_line(&mut line)?, 16, "{name}");
        assert_eq!(line, "GET / HTTP/1.1\n", "{name}");
        line.clear();
        file.read_text_line(&mut line)?;
        assert_eq!(line, "mid\rline\n", "{name}");
        line.clear();
        assert_eq!(file.read_text_line(&mut line)?, 2, "{name}");
        assert_eq!(line, "\n", "{name}");
    }
    Ok(())
}
