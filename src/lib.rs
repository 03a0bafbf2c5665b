//! Python's `socket` module for Rust: the same calls, CPython's semantics, on
//! [`socket2`].
//!
//! A Python programmer reading a Rust port of their program recognises every
//! call; a Rust programmer finds what they expect: [`Result`] with an error
//! that keeps the errno, [`Duration`](std::time::Duration) timeouts,
//! `std::io` traits, fd traits, and a [`Socket`] that is `Send + Sync`.
//!
//! ```
//! use pysocket::{Socket, AF_INET, SOCK_STREAM};
//!
//! // server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//! let server = Socket::new(AF_INET, SOCK_STREAM)?;
//! server.bind(("127.0.0.1", 0))?;          // server.bind(('127.0.0.1', 0))
//! server.listen(5)?;                        // server.listen(5)
//!
//! let client = Socket::new(AF_INET, SOCK_STREAM)?;
//! client.connect(server.getsockname()?)?;   // client.connect(server.getsockname())
//! let (conn, _addr) = server.accept()?;     // conn, addr = server.accept()
//!
//! client.sendall(b"hello")?;                // client.sendall(b'hello')
//! assert_eq!(conn.recv(1024)?, b"hello");   // conn.recv(1024)
//! # Ok::<(), pysocket::Error>(())
//! ```
//!
//! # From Python to Rust
//!
//! | Python | pysocket |
//! |--------|----------|
//! | `socket.socket(AF_INET, SOCK_STREAM)` | [`Socket::new`]`(AF_INET, SOCK_STREAM)` |
//! | `socket.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)` | [`Socket::with_protocol`]`(AF_INET, SOCK_RAW, Protocol::ICMP)` |
//! | `s.family`, `s.type`, `s.proto` | [`Socket::family`], [`Socket::kind`], [`Socket::proto`] |
//! | `s.bind(('', 8001))` | [`Socket::bind`]`(("", 8001))` |
//! | `s.listen(5)` | [`Socket::listen`]`(5)` |
//! | `conn, addr = s.accept()` | `let (conn, addr) = s.`[`accept`](Socket::accept)`()?` |
//! | `s.connect(('127.0.0.1', 8001))` | [`Socket::connect`]`(("127.0.0.1", 8001))` |
//! | `s.connect_ex(addr)` | [`Socket::connect_ex`] (`Ok(errno)`) |
//! | `s.send(data)`, `s.sendall(data)` | [`Socket::send`], [`Socket::sendall`] |
//! | `s.send(data, MSG_OOB)` | [`Socket::send_with_flags`]`(data, MSG_OOB)` |
//! | `s.sendto(data, addr)` | [`Socket::sendto`] |
//! | `s.recv(1024)`, `s.recv(1024, MSG_PEEK)` | [`Socket::recv`], [`Socket::recv_with_flags`] |
//! | `s.recv_into(buf)` | [`Socket::recv_into`] |
//! | `data, addr = s.recvfrom(1024)` | [`Socket::recvfrom`], [`Socket::recvfrom_into`] |
//! | `s.sendmsg([b'a', b'b'], ancdata, flags, addr)` | [`Socket::sendmsg`]`(&[IoSlice::new(b"a"), IoSlice::new(b"b")], &ancdata, flags)`, [`Socket::sendmsg_to`] (control messages as [`Cmsg`]) |
//! | `data, ancdata, flags, addr = s.recvmsg(1024, CMSG_SPACE(4))` | [`Socket::recvmsg`]`(1024, `[`CMSG_SPACE`]`(4)?, flags)` ([`RecvMsg`], descriptors owned in `fds`), [`Socket::recvmsg_into`] |
//! | `socket.send_fds(s, [b'x'], [fd])`, `socket.recv_fds(s, 1024, 1)` | [`Socket::send_fds`]`(&[IoSlice::new(b"x")], &[fd.as_fd()], flags)`, [`Socket::recv_fds`] (or [`send_fds`], [`recv_fds`]) |
//! | `socket.CMSG_LEN(n)`, `socket.CMSG_SPACE(n)` | [`CMSG_LEN`], [`CMSG_SPACE`] |
//! | `s.shutdown(SHUT_WR)` | [`Socket::shutdown`]`(SHUT_WR)` |
//! | `s.close()` | [`Socket::close`] (or drop) |
//! | `s.detach()`, `s.dup()`, `s.fileno()` | [`Socket::detach`], [`Socket::dup`], [`Socket::fileno`] |
//! | `socket.close(fd)`, `socket.dup(fd)` | `unsafe {`[`close`]`(fd)}`, [`dup`]`(fd)` (an [`OwnedFd`](std::os::fd::OwnedFd)) |
//! | `s.getsockname()`, `s.getpeername()` | [`Socket::getsockname`], [`Socket::getpeername`] |
//! | `s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)` | [`Socket::setsockopt`]`(SOL_SOCKET, SO_REUSEADDR, 1)` |
//! | `s.setsockopt(level, name, None, optlen)` (`AF_ALG`) | [`Socket::setsockopt_null`]`(level, name, optlen)` |
//! | `s.getsockopt(level, name)`, `s.getsockopt(level, name, 8)` | [`Socket::getsockopt`], [`Socket::getsockopt_bytes`] |
//! | `s.settimeout(10)`, `s.settimeout(None)`, `s.gettimeout()` | [`Socket::settimeout`]`(Some(Duration::from_secs(10)))`, `settimeout(None)`, [`Socket::gettimeout`] |
//! | `s.setblocking(False)`, `s.getblocking()` | [`Socket::setblocking`]`(false)`, [`Socket::getblocking`] |
//! | `s.get_inheritable()`, `s.set_inheritable(True)` | [`Socket::get_inheritable`], [`Socket::set_inheritable`] |
//! | `f = s.makefile('rwb')` | [`Socket::makefile`] ([`SocketFile`]: `Read + BufRead + Write`) |
//! | `s.sendfile(file, offset, count)` | [`Socket::sendfile`]`(&file, offset, count)` (`sendfile(2)`, or `send` where the kernel cannot) |
//! | `repr(s)` | `format!("{s}")` |
//! | `socket.socketpair()`, `socket.socketpair(AF_UNIX, SOCK_DGRAM)` | [`socketpair`], [`socketpair_with`]`(AF_UNIX, SOCK_DGRAM)` |
//! | `socket.fromfd(fd, family, type)`, `socket.socket(fileno=fd)` | [`fromfd`]`(fd)` (family, type and protocol read from the OS) |
//! | `socket.create_connection(('localhost', 8001), timeout=5)` | [`create_connection`]`(("localhost", 8001), Some(Duration::from_secs(5)))` |
//! | `socket.create_connection(addr, source_address=src)` | [`ConnectionBuilder`]`::new(addr).source_address(src).connect()` |
//! | `socket.create_server(('', 8001))` | [`create_server`]`(("", 8001))` |
//! | `socket.create_server(addr, family=AF_INET6, backlog=5, reuse_port=True, dualstack_ipv6=True)` | [`ServerBuilder`]`::new(addr).family(AF_INET6).backlog(5).reuse_port(true).dualstack_ipv6(true).build()` |
//! | `socket.has_dualstack_ipv6()` | [`has_dualstack_ipv6`] |
//! | `socket.getaddrinfo('localhost', 80)` | [`getaddrinfo`]`("localhost", 80)` (a `Vec` of [`AddrInfo`]) |
//! | `socket.getaddrinfo(None, 'http', AF_INET, SOCK_STREAM, 0, AI_PASSIVE)` | [`getaddrinfo_with`]`(None, Some("http"), &`[`AddrInfoHints`]` { family: AF_INET, kind: SOCK_STREAM, flags: `[`AddrInfoFlags::PASSIVE`]`, ..Default::default() })` |
//! | `socket.getnameinfo(('127.0.0.1', 80), NI_NUMERICHOST)` | [`getnameinfo`]`(("127.0.0.1", 80), `[`NameInfoFlags::NUMERICHOST`]`)` |
//! | `socket.gethostname()`, `socket.getfqdn(name)` | [`gethostname`], [`getfqdn`] |
//! | `socket.sethostname(name)` | [`sethostname`]`(name)` (text or bytes; needs privilege) |
//! | `socket.gethostbyname(name)`, `socket.gethostbyname_ex(name)` | [`gethostbyname`], [`gethostbyname_ex`] |
//! | `socket.gethostbyaddr(ip)` | [`gethostbyaddr`] |
//! | `socket.getservbyname('http', 'tcp')`, `socket.getservbyport(80, 'tcp')` | [`getservbyname`]`("http", Some("tcp"))`, [`getservbyport`]`(80, Some("tcp"))` |
//! | `socket.getprotobyname('tcp')` | [`getprotobyname`]`("tcp")` |
//! | `socket.if_nameindex()`, `socket.if_nametoindex(name)`, `socket.if_indextoname(i)` | [`if_nameindex`], [`if_nametoindex`], [`if_indextoname`] |
//! | `socket.inet_aton(text)`, `socket.inet_ntoa(packed)` | [`inet_aton`], [`inet_ntoa`] |
//! | `socket.inet_pton(AF_INET6, text)`, `socket.inet_ntop(AF_INET6, packed)` | [`inet_pton`], [`inet_ntop`] |
//! | `socket.htons(x)`, `socket.ntohs(x)`, `socket.htonl(x)`, `socket.ntohl(x)` | [`htons`], [`ntohs`], [`htonl`], [`ntohl`] |
//! | `socket.AF_NETLINK`, `socket.SO_MARK`, ... (every integer constant) | the same name and value at the crate root: `AF_*` [`Family`], `SOCK_*` [`SockType`] ([`SOCK_STREAM`]` | `[`SOCK_NONBLOCK`]), `MSG_*` [`MsgFlags`], `AI_*` [`AddrInfoFlags`], `NI_*` flags [`NameInfoFlags`], the others `i32` (`u32` where the value does not fit) |
//! | `select.select(r, w, x, timeout)` | [`select`]`(&r, &w, &x, timeout)` (poll(2): no `FD_SETSIZE` limit) |
//! | `selectors.DefaultSelector()` | [`Selector::new`] (epoll / kqueue), [`EventMask`] |
//! | `socketserver.TCPServer`, `ThreadingTCPServer`, `UDPServer`, `ThreadingUDPServer` | [`server::TcpServer`], [`server::ThreadingTcpServer`], [`server::UdpServer`], [`server::ThreadingUdpServer`] (and [`server::SelectorTcpServer`]) |
//! | `socketserver.UnixStreamServer`, `ThreadingUnixStreamServer`, `UnixDatagramServer`, `ThreadingUnixDatagramServer` | [`server::UnixStreamServer`], [`server::ThreadingUnixStreamServer`], [`server::UnixDatagramServer`], [`server::ThreadingUnixDatagramServer`] |
//! | `socket.getdefaulttimeout()`, `socket.setdefaulttimeout(t)` | [`getdefaulttimeout`], [`setdefaulttimeout`] |
//! | `except socket.timeout` | [`Error::Timeout`] ([`Error::is_timeout`]) |
//! | `except BlockingIOError` | [`Error::Io`] of kind `WouldBlock` |
//! | `except socket.gaierror`, `except socket.herror` | [`Error::Resolve`] ([`Error::is_gaierror`], [`Error::is_herror`]; its [`Resolver`] says which) |
//! | `except OSError` from `create_server` (the address it tried in the message) | [`Error::Bind`] |
//! | `except* OSError` from `create_connection(..., all_errors=True)` | [`Error::Connect`] (every attempt) |
//! | `except OSError as e: e.errno` | [`Error::errno`] |
#![cfg_attr(
    feature = "ssl",
    doc = "| `ssl.create_default_context()`, `ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)` | [`ssl::create_default_context`], [`ssl::SslContext::new`]`(`[`ssl::PROTOCOL_TLS_SERVER`]`)` (the [`ssl`] module has the whole table) |",
    doc = "| `tls = ctx.wrap_socket(sock, server_hostname='example.com')` | `let tls = ctx.`[`wrap_socket`](ssl::SslContext::wrap_socket)`(sock, false, Some(\"example.com\"))?;` (an [`ssl::SslSocket`], used as a [`Socket`]) |",
    doc = "| `except ssl.SSLError` | [`Error::Ssl`] ([`ssl::SslError`]) |"
)]
//!
//! # The TCP lifecycle, call by call
//!
//! | step | client | server | TCP states |
//! |------|--------|--------|------------|
//! | set up | [`Socket::new`] | [`Socket::new`], [`Socket::bind`], [`Socket::listen`] | server `CLOSED` → `LISTEN` |
//! | handshake 1: `SYN` | [`Socket::connect`] sends it and waits | the kernel receives it | client `SYN_SENT`, server `SYN_RCVD` |
//! | handshake 2: `SYN`+`ACK` | | the kernel answers | |
//! | handshake 3: `ACK` | `connect` returns | [`Socket::accept`] returns the new connection | both `ESTABLISHED` |
//! | data | [`Socket::sendall`], [`Socket::recv`] | [`Socket::recv`], [`Socket::sendall`] | `ESTABLISHED` |
//! | close 1: `FIN` | [`Socket::close`] (or [`Socket::shutdown`]`(SHUT_WR)`) | | client `FIN_WAIT_1` |
//! | close 2: `ACK` | | the kernel acknowledges; `recv` returns empty | client `FIN_WAIT_2`, server `CLOSE_WAIT` |
//! | close 3: `FIN` | | [`Socket::close`] | server `LAST_ACK` |
//! | close 4: `ACK` | the kernel acknowledges | | client `TIME_WAIT` → `CLOSED`, server `CLOSED` |
//!
//! Either side may close first; the side that does goes through `TIME_WAIT`.
//!
//! # Semantics kept from CPython
//!
//! - **Three timeout modes** (blocking, non-blocking, timeout), with one
//!   deadline per call: see [`Socket`'s docs](Socket#timeouts).
//! - **Interrupted system calls are retried** (PEP 475), keeping the deadline.
//! - **No `SIGPIPE`**: every send passes `MSG_NOSIGNAL` (or sets `SO_NOSIGPIPE`
//!   where there is no such flag), and [`Socket::sendfile`], whose system call
//!   takes no flags, blocks `SIGPIPE` in its thread while it runs, so a write
//!   to a closed peer is an error of kind `BrokenPipe`, never the death of the
//!   process.
//! - **Not inherited**: every socket, accepted ones included, is close-on-exec.
//!
#![cfg_attr(
    feature = "ssl",
    doc = "# TLS

The [`ssl`] module, behind the cargo feature `ssl` (on by default), is
Python's `ssl` module on rustls: [`ssl::SslContext`] and
[`ssl::SslSocket`], with the socket's timeout modes, one thread reading
while another writes, and Python's `SSLError` family as [`Error::Ssl`].
Without the feature the crate builds with no TLS and no rustls.
"
)]
//!
//! # Platform support
//!
//! Unix only (Linux is tested; the BSDs and macOS are meant to build). Linux's
//! abstract `AF_UNIX` namespace, `SOCK_SEQPACKET` pairs and some `MSG_*`
//! flags exist only there.
#![deny(missing_docs, missing_debug_implementations)]
#![warn(unsafe_op_in_unsafe_fn)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(unix))]
compile_error!("pysocket supports Unix systems only");

mod address;
mod constants;
mod error;
mod file;
mod flags;
mod functions;
mod inet;
mod msg;
mod poll;
mod resolve;
mod select;
mod sendfile;
pub mod server;
mod socket;
#[cfg(feature = "ssl")]
#[cfg_attr(docsrs, doc(cfg(feature = "ssl")))]
pub mod ssl;
#[cfg_attr(unix, path = "sys/unix/mod.rs")]
mod sys;
mod timeout;

pub use crate::address::{Address, PacketAddress, ToAddress, UnixAddress};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use crate::address::{AlgAddress, CanAddress};
pub use crate::constants::*;
pub use crate::error::{Error, Resolver, Result};
pub use crate::file::{SocketFile, DEFAULT_BUFFER_SIZE};
pub use crate::flags::MsgFlags;
pub use crate::functions::{
    close, create_connection, create_server, dup, fromfd, has_dualstack_ipv6, socketpair,
    socketpair_with, ConnectionBuilder, ServerBuilder,
};
pub use crate::inet::{htonl, htons, inet_aton, inet_ntoa, inet_ntop, inet_pton, ntohl, ntohs};
pub use crate::msg::{recv_fds, send_fds, Cmsg, RecvMsg, RecvMsgInto, CMSG_LEN, CMSG_SPACE};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use crate::msg::{Credentials, PktInfo};
pub use crate::poll::{
    Poll, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND,
    POLLWRNORM,
};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use crate::poll::{POLLMSG, POLLRDHUP};
pub use crate::resolve::{
    getaddrinfo, getaddrinfo_with, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex,
    gethostname, getnameinfo, getprotobyname, getservbyname, getservbyport, if_indextoname,
    if_nameindex, if_nametoindex, sethostname, AddrInfo, AddrInfoFlags, AddrInfoHints,
    NameInfoFlags,
};
pub use crate::select::{
    select, EventMask, Ready, Selector, SelectorIter, SelectorIterMut, SelectorKey, SelectorWaker,
    EVENT_READ, EVENT_WRITE,
};
pub use crate::socket::{OptValue, Socket};
pub use crate::sys::Interest;
pub use crate::timeout::{getdefaulttimeout, setdefaulttimeout};
/// Which directions [`Socket::shutdown`] closes: Python's `how` argument,
/// given as [`SHUT_RD`], [`SHUT_WR`] or [`SHUT_RDWR`] (std's type, re-exported).
#[doc(no_inline)]
pub use std::net::Shutdown;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
