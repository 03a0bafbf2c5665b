//! The module functions: name lookups against this machine's own databases
//! (`/etc/hosts`, `/etc/services`, `/etc/protocols`, the loopback interface),
//! address conversions, `create_connection`, `create_server` and `fromfd`.
//!
//! No traffic leaves the machine: hosts are `localhost`, numeric addresses,
//! or names under the reserved `.invalid` TLD, which the resolver refuses.

mod common;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::{full_backlog, listener, temp_dir, PROMPT};
use pysocket::{
    create_connection, create_server, fromfd, getaddrinfo, getaddrinfo_with, getfqdn,
    gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname, getnameinfo, getprotobyname,
    getservbyname, getservbyport, htonl, htons, if_indextoname, if_nameindex, if_nametoindex,
    inet_aton, inet_ntoa, inet_ntop, inet_pton, ntohl, ntohs, socketpair, AddrInfoFlags,
    AddrInfoHints, Address, ConnectionBuilder, Error, Family, NameInfoFlags, Protocol, Resolver,
    ServerBuilder, Socket, ToAddress, AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, IPPROTO_IPV6,
    IPV6_V6ONLY, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_REUSEADDR, SO_REUSEPORT,
};

/// A name the resolver must refuse (RFC 6761 reserves `.invalid`).
const NO_SUCH_HOST: &str = "no-such-host.invalid";

/// The message of an `Error::InvalidArgument`, or a panic saying what came instead.
fn invalid_message<T: std::fmt::Debug>(result: pysocket::Result<T>) -> String {
    match result {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("expected Error::InvalidArgument, got {other:?}"),
    }
}

/// An `Error::Io` of kind `NotFound` (Python's errno-less `OSError`), with its message.
fn not_found_message<T: std::fmt::Debug>(result: pysocket::Result<T>) -> String {
    match result {
        Err(Error::Io(err)) if err.kind() == ErrorKind::NotFound => err.to_string(),
        other => panic!("expected an Error::Io of kind NotFound, got {other:?}"),
    }
}

/// The host of an `Error::Resolve`, checking it has a code and a message.
fn resolve_host<T: std::fmt::Debug>(result: pysocket::Result<T>) -> String {
    match result {
        Err(err @ Error::Resolve { .. }) => {
            let text = err.to_string();
            let Error::Resolve {
                host,
                code,
                message,
                ..
            } = err
            else {
                unreachable!()
            };
            assert_ne!(code, 0, "{text}");
            assert!(!message.is_empty(), "{text}");
            assert!(text.contains(&message), "{text}");
            host
        }
        other => panic!("expected Error::Resolve, got {other:?}"),
    }
}

/// Whether a host name is this machine's name for the loopback address.
fn is_localhost_name(name: &str) -> bool {
    name == "localhost" || name.starts_with("localhost.")
}

/// A port on 127.0.0.1 where nothing listens, so connections are refused.
/// The socket holding it stays bound (not listening) so no one else takes it.
fn refusing_port() -> (Socket, Address) {
    let holder = Socket::new(AF_INET, SOCK_STREAM).expect("socket");
    holder.bind(("127.0.0.1", 0)).expect("bind");
    let addr = holder.getsockname().expect("getsockname");
    (holder, addr)
}

// ---------------------------------------------------------------------------
// getaddrinfo and getnameinfo
// ---------------------------------------------------------------------------

/// `localhost` resolves to a loopback address, with TCP for stream answers.
#[test]
fn getaddrinfo_resolves_localhost() {
    let answers = getaddrinfo("localhost", 8001).unwrap();
    assert!(!answers.is_empty());
    for info in &answers {
        assert_eq!(info.address.family(), info.family, "{info:?}");
        assert_eq!(info.address.port(), Some(8001), "{info:?}");
        assert!(info.address.ip().unwrap().is_loopback(), "{info:?}");
        assert_eq!(info.canonname, None, "{info:?}");
        if info.kind == SOCK_STREAM {
            assert_eq!(info.proto, Protocol::TCP, "{info:?}");
        }
    }
    let v4 = Address::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 8001)));
    assert!(
        answers
            .iter()
            .any(|info| info.kind == SOCK_STREAM && info.address == v4),
        "{answers:?}"
    );
    assert!(answers.iter().any(|info| info.kind == SOCK_DGRAM));
}

/// Numeric hosts come back as they are, one answer per socket type.
#[test]
fn getaddrinfo_takes_numeric_hosts() {
    let answers = getaddrinfo("::1", 443).unwrap();
    assert!(answers
        .iter()
        .all(|info| info.family == AF_INET6 && info.address.to_string() == "[::1]:443"));
    let streams: Vec<_> = getaddrinfo("10.20.30.40", 0)
        .unwrap()
        .into_iter()
        .filter(|info| info.kind == SOCK_STREAM)
        .collect();
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(streams[0].address.to_string(), "10.20.30.40:0");
}

/// The hints narrow the answers; service names come from /etc/services.
#[test]
fn getaddrinfo_with_hints_and_service_names() {
    let tcp_v4 = AddrInfoHints {
        family: AF_INET,
        kind: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(Some("localhost"), Some("http"), &tcp_v4).unwrap();
    assert!(!answers.is_empty());
    for info in &answers {
        assert_eq!(
            (info.family, info.kind, info.proto),
            (AF_INET, SOCK_STREAM, Protocol::TCP)
        );
        assert_eq!(info.address.port(), Some(80));
    }
    let udp_v6 = AddrInfoHints {
        family: AF_INET6,
        kind: SOCK_DGRAM,
        flags: AddrInfoFlags::NUMERICHOST,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(Some("::1"), Some("53"), &udp_v6).unwrap();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].proto, Protocol::UDP);
    assert_eq!(answers[0].address.to_string(), "[::1]:53");
}

/// `CANONNAME` fills in the first answer's canonical name.
#[test]
fn getaddrinfo_canonical_name() {
    let hints = AddrInfoHints {
        family: AF_INET,
        kind: SOCK_STREAM,
        flags: AddrInfoFlags::CANONNAME,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(Some("localhost"), None, &hints).unwrap();
    let canonical = answers[0].canonname.as_deref().expect("a canonical name");
    assert!(is_localhost_name(canonical), "{canonical}");
}

/// With every family and type, `CANONNAME` names the host in the first
/// answer only, as the C library does (Python shows `''` in the others): for
/// a name, one of this machine's names for loopback; for a numeric address,
/// the address itself.
#[test]
fn getaddrinfo_canonical_name_on_the_first_answer_only() {
    let hints = AddrInfoHints {
        flags: AddrInfoFlags::CANONNAME,
        ..AddrInfoHints::default()
    };
    for host in ["localhost", "127.0.0.1", "::1"] {
        let answers = getaddrinfo_with(Some(host), Some("8001"), &hints).unwrap();
        assert!(answers.len() > 1, "{host}: {answers:?}");
        let canonical = answers[0].canonname.as_deref().expect("a canonical name");
        if host == "localhost" {
            assert!(is_localhost_name(canonical), "{canonical}");
        } else {
            assert_eq!(canonical, host);
        }
        for info in &answers[1..] {
            assert_eq!(info.canonname, None, "{host}: {info:?}");
        }
        assert!(answers
            .iter()
            .all(|info| info.address.ip().unwrap().is_loopback()
                && info.address.port() == Some(8001)));
    }
    // Without the flag, no answer has one.
    let answers = getaddrinfo_with(Some("127.0.0.1"), Some("8001"), &AddrInfoHints::default());
    assert!(answers.unwrap().iter().all(|info| info.canonname.is_none()));
}

/// A failed lookup keeps the resolver's `EAI_*` code and `gai_strerror`
/// message (Python's `gaierror.errno` and `strerror`), has no errno, and
/// names what was looked up: an unknown host (`.invalid` never resolves), an
/// unknown service name, a service that is no number under `NUMERICSERV`,
/// a name under `NUMERICHOST`.
#[test]
fn getaddrinfo_errors_keep_the_eai_code() {
    let tcp = AddrInfoHints {
        kind: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let numeric = AddrInfoHints {
        flags: AddrInfoFlags::NUMERICHOST | AddrInfoFlags::NUMERICSERV,
        ..tcp
    };
    let cases = [
        // Without DNS at all the resolver may say EAI_AGAIN (or EAI_FAIL).
        (
            getaddrinfo(NO_SUCH_HOST, 80),
            NO_SUCH_HOST.to_owned(),
            &[libc::EAI_NONAME, libc::EAI_AGAIN, libc::EAI_FAIL][..],
        ),
        (
            getaddrinfo_with(Some("localhost"), Some("no-such-service"), &tcp),
            "localhost:no-such-service".to_owned(),
            &[libc::EAI_SERVICE, libc::EAI_NONAME][..],
        ),
        (
            getaddrinfo_with(Some("127.0.0.1"), Some("h\u{e9}tp"), &numeric),
            "127.0.0.1:h\u{e9}tp".to_owned(),
            &[libc::EAI_NONAME, libc::EAI_SERVICE][..],
        ),
        (
            getaddrinfo_with(Some("::1"), Some("80x"), &numeric),
            "[::1]:80x".to_owned(),
            &[libc::EAI_NONAME, libc::EAI_SERVICE][..],
        ),
        (
            getaddrinfo_with(Some("localhost"), Some("80"), &numeric),
            "localhost:80".to_owned(),
            &[libc::EAI_NONAME][..],
        ),
    ];
    for (outcome, what, codes) in cases {
        let err = outcome.unwrap_err();
        let text = err.to_string();
        let Error::Resolve {
            host,
            code,
            message,
            ..
        } = &err
        else {
            panic!("{what}: expected Error::Resolve, got {err:?}");
        };
        assert_eq!(host, &what);
        assert!(codes.contains(code), "{what}: code {code} ({text})");
        // SAFETY: gai_strerror returns a static NUL-terminated string.
        let expected = unsafe { std::ffi::CStr::from_ptr(libc::gai_strerror(*code)) };
        assert_eq!(message, &expected.to_string_lossy(), "{what}");
        assert_eq!(text, format!("[Errno {code}] {message}: {what:?}"));
        assert_eq!(err.errno(), None, "{what}");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{what}");
    }
}

/// With no host: the wildcard with `PASSIVE` (to bind), else loopback.
#[test]
fn getaddrinfo_without_host() {
    let passive = AddrInfoHints {
        kind: SOCK_STREAM,
        flags: AddrInfoFlags::PASSIVE,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(None, Some("8001"), &passive).unwrap();
    assert!(
        answers
            .iter()
            .all(|info| info.address.ip().unwrap().is_unspecified()),
        "{answers:?}"
    );
    assert!(answers
        .iter()
        .any(|info| info.address.to_string() == "0.0.0.0:8001"));
    let active = AddrInfoHints {
        kind: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(None, Some("8001"), &active).unwrap();
    assert!(
        answers
            .iter()
            .all(|info| info.address.ip().unwrap().is_loopback()),
        "{answers:?}"
    );
}

/// Lookups that fail are `Error::Resolve` naming what was looked up.
#[test]
fn getaddrinfo_failures_name_the_input() {
    assert_eq!(resolve_host(getaddrinfo(NO_SUCH_HOST, 80)), NO_SUCH_HOST);
    let hints = AddrInfoHints::default();
    assert_eq!(
        resolve_host(getaddrinfo_with(Some(NO_SUCH_HOST), Some("http"), &hints)),
        format!("{NO_SUCH_HOST}:http")
    );
    let tcp = AddrInfoHints {
        kind: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let err = getaddrinfo_with(Some("localhost"), Some("no-such-service"), &tcp).unwrap_err();
    assert!(
        err.to_string().contains("localhost:no-such-service"),
        "{err}"
    );
    assert!(matches!(err, Error::Resolve { .. }));
    let numeric_only = AddrInfoHints {
        flags: AddrInfoFlags::NUMERICHOST,
        ..AddrInfoHints::default()
    };
    let err = getaddrinfo_with(Some("localhost"), None, &numeric_only).unwrap_err();
    assert!(
        matches!(&err, Error::Resolve { code, .. } if *code == libc::EAI_NONAME),
        "{err:?}"
    );
    let numeric_service = AddrInfoHints {
        flags: AddrInfoFlags::NUMERICSERV,
        ..tcp
    };
    assert_eq!(
        resolve_host(getaddrinfo_with(
            Some("127.0.0.1"),
            Some("http"),
            &numeric_service
        )),
        "127.0.0.1:http"
    );
    assert!(matches!(
        getaddrinfo_with(None, None, &hints),
        Err(Error::Resolve { .. })
    ));
    let message = invalid_message(getaddrinfo("local\0host", 80));
    assert!(message.contains(r#""local\0host""#), "{message}");
    let message = invalid_message(getaddrinfo_with(None, Some("ht\0tp"), &hints));
    assert!(message.contains(r#""ht\0tp""#), "{message}");
}

/// `getnameinfo` answers from /etc/hosts and /etc/services, or numerically.
#[test]
fn getnameinfo_both_ways() {
    let (host, service) = getnameinfo(("127.0.0.1", 80), NameInfoFlags::empty()).unwrap();
    assert!(is_localhost_name(&host), "{host}");
    assert_eq!(service, "http");
    let (host, _) = getnameinfo(("127.0.0.1", 80), NameInfoFlags::NAMEREQD).unwrap();
    assert!(is_localhost_name(&host), "{host}");
    let numeric = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
    assert_eq!(
        getnameinfo(("127.0.0.1", 80), numeric).unwrap(),
        ("127.0.0.1".to_owned(), "80".to_owned())
    );
    assert_eq!(
        getnameinfo("[::1]:8001", numeric).unwrap(),
        ("::1".to_owned(), "8001".to_owned())
    );
    let (_, service) = getnameinfo(("127.0.0.1", 53), NameInfoFlags::DGRAM).unwrap();
    assert_eq!(service, "domain");
    let (host, _) = getnameinfo(("localhost", 80), NameInfoFlags::NUMERICHOST).unwrap();
    assert!(host.parse::<IpAddr>().unwrap().is_loopback(), "{host}");
}

/// `getnameinfo` refuses what is no IP address, naming it.
#[test]
fn getnameinfo_refuses_non_ip_addresses() {
    let path = pysocket::UnixAddress::from("/tmp/x.sock");
    let message = invalid_message(getnameinfo(path, NameInfoFlags::empty()));
    assert!(message.contains("/tmp/x.sock"), "{message}");
    assert_eq!(
        resolve_host(getnameinfo((NO_SUCH_HOST, 80), NameInfoFlags::empty())),
        NO_SUCH_HOST
    );
    let message = invalid_message(getnameinfo("localhost:http", NameInfoFlags::empty()));
    assert!(message.contains("\"http\""), "{message}");
}

// ---------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------

/// `gethostname` is the kernel's host name, whole (Linux shows it in /proc).
#[cfg(target_os = "linux")]
#[test]
fn gethostname_is_the_kernels_name() {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(gethostname().unwrap(), kernel.trim_end_matches('\n'));
}

/// `gethostname` and `getfqdn` name this machine.
#[test]
fn gethostname_and_getfqdn() {
    let name = gethostname().unwrap();
    assert!(!name.is_empty());
    assert!(!name.contains('\0'));
    let fqdn = getfqdn("");
    assert!(!fqdn.is_empty());
    assert_eq!(getfqdn("  "), fqdn);
    assert!(
        is_localhost_name(&getfqdn("localhost")),
        "{}",
        getfqdn("localhost")
    );
    assert!(is_localhost_name(&getfqdn("127.0.0.1")));
    assert_eq!(getfqdn(NO_SUCH_HOST), NO_SUCH_HOST);
    assert_eq!(getfqdn(&format!(" {NO_SUCH_HOST} ")), NO_SUCH_HOST);
}

/// `gethostbyname`: names and Python's special strings to IPv4 addresses.
#[test]
fn gethostbyname_answers_ipv4() {
    assert_eq!(gethostbyname("localhost").unwrap(), Ipv4Addr::LOCALHOST);
    assert_eq!(
        gethostbyname("192.0.2.7").unwrap(),
        Ipv4Addr::new(192, 0, 2, 7)
    );
    assert_eq!(gethostbyname("").unwrap(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(gethostbyname("<broadcast>").unwrap(), Ipv4Addr::BROADCAST);
    let message = invalid_message(gethostbyname("::1"));
    assert!(
        message.contains("\"::1\"") && message.contains("IPv6"),
        "{message}"
    );
    assert_eq!(resolve_host(gethostbyname(NO_SUCH_HOST)), NO_SUCH_HOST);
    let message = invalid_message(gethostbyname("local\0host"));
    assert!(message.contains(r#""local\0host""#), "{message}");
}

/// `gethostbyname_ex` and `gethostbyaddr` agree about `localhost` both ways.
#[test]
fn localhost_both_ways() {
    let (name, aliases, addrs) = gethostbyname_ex("localhost").unwrap();
    assert!(
        is_localhost_name(&name) || aliases.iter().any(|alias| is_localhost_name(alias)),
        "{name} {aliases:?}"
    );
    assert!(addrs.contains(&Ipv4Addr::LOCALHOST), "{addrs:?}");

    let (name, aliases, addrs) = gethostbyaddr("127.0.0.1").unwrap();
    assert!(!name.is_empty());
    assert!(
        std::iter::once(&name)
            .chain(&aliases)
            .any(|n| is_localhost_name(n)),
        "127.0.0.1 is {name} {aliases:?}"
    );
    assert_eq!(addrs, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    // A host name is resolved first, as in Python.
    assert_eq!(gethostbyaddr("localhost").unwrap().0, name);

    let (name, aliases, addrs) = gethostbyname_ex("127.0.0.1").unwrap();
    assert_eq!(name, "127.0.0.1");
    assert!(aliases.is_empty());
    assert_eq!(addrs, [Ipv4Addr::LOCALHOST]);
}

/// Host lookups that fail name the host.
#[test]
fn host_lookup_failures_name_the_host() {
    assert_eq!(resolve_host(gethostbyname_ex(NO_SUCH_HOST)), NO_SUCH_HOST);
    assert_eq!(resolve_host(gethostbyaddr(NO_SUCH_HOST)), NO_SUCH_HOST);
    let message = invalid_message(gethostbyname_ex("::1"));
    assert!(message.contains("\"::1\""), "{message}");
    let message = invalid_message(gethostbyaddr("local\0host"));
    assert!(message.contains(r#""local\0host""#), "{message}");
    // The hosts database cannot answer for "": Python's herror(NO_RECOVERY).
    let err = gethostbyname_ex("").unwrap_err();
    assert!(
        matches!(&err, Error::Resolve { code, .. } if *code > 0),
        "{err:?}"
    );
}

/// Python's `gaierror` and `herror` are told apart from the error itself:
/// `getaddrinfo` (and what resolves with it) raises the one, the hosts
/// database the other. Either is `NotFound`, unless the failure is temporary.
#[test]
fn gaierror_and_herror_are_told_apart() {
    let gaierrors = [
        getaddrinfo(NO_SUCH_HOST, 80).unwrap_err(),
        getaddrinfo_with(None, None, &AddrInfoHints::default()).unwrap_err(),
        getnameinfo((NO_SUCH_HOST, 80), NameInfoFlags::empty()).unwrap_err(),
        gethostbyname(NO_SUCH_HOST).unwrap_err(),
        // As in CPython, the name goes through getaddrinfo first.
        gethostbyname_ex(NO_SUCH_HOST).unwrap_err(),
        Socket::new(AF_INET, SOCK_STREAM)
            .unwrap()
            .connect((NO_SUCH_HOST, 80))
            .unwrap_err(),
    ];
    for err in &gaierrors {
        assert!(err.is_gaierror() && !err.is_herror(), "{err:?}");
        let Error::Resolve { code, resolver, .. } = err else {
            panic!("expected Error::Resolve, got {err:?}");
        };
        assert_eq!(*resolver, Resolver::GetAddrInfo, "{err:?}");
        let kind = if *code == libc::EAI_AGAIN {
            ErrorKind::Other
        } else {
            ErrorKind::NotFound
        };
        assert_eq!(err.kind(), kind, "{err:?}");
    }
    // The hosts database has no entry for "" (glibc says NO_RECOVERY).
    let err = gethostbyname_ex("").unwrap_err();
    assert!(err.is_herror() && !err.is_gaierror(), "{err:?}");
    let Error::Resolve { code, resolver, .. } = &err else {
        panic!("expected Error::Resolve, got {err:?}");
    };
    assert_eq!(*resolver, Resolver::HostDb);
    const TRY_AGAIN: i32 = 2;
    let kind = if *code == TRY_AGAIN {
        ErrorKind::Other
    } else {
        ErrorKind::NotFound
    };
    assert_eq!(err.kind(), kind, "{err:?}");
    let other = Error::Timeout;
    assert!(!other.is_gaierror() && !other.is_herror());
}

// ---------------------------------------------------------------------------
// Services, protocols, interfaces
// ---------------------------------------------------------------------------

/// `http` ↔ 80 and `https` ↔ 443 in /etc/services.
#[test]
fn services_both_ways() {
    assert_eq!(getservbyname("http", Some("tcp")).unwrap(), 80);
    assert_eq!(getservbyname("http", None).unwrap(), 80);
    assert_eq!(getservbyname("https", Some("tcp")).unwrap(), 443);
    assert_eq!(getservbyname("domain", Some("udp")).unwrap(), 53);
    assert_eq!(getservbyport(80, Some("tcp")).unwrap(), "http");
    assert_eq!(getservbyport(80, None).unwrap(), "http");
    assert_eq!(getservbyport(443, Some("tcp")).unwrap(), "https");
    assert_eq!(getservbyport(53, Some("udp")).unwrap(), "domain");
}

/// Unknown services and protocols are `NotFound` errors naming them.
#[test]
fn unknown_services_name_the_input() {
    let message = not_found_message(getservbyname("no-such-service", None));
    assert!(message.contains("\"no-such-service\""), "{message}");
    let message = not_found_message(getservbyname("http", Some("no-such-proto")));
    assert!(
        message.contains("\"http\"") && message.contains("\"no-such-proto\""),
        "{message}"
    );
    let message = not_found_message(getservbyport(80, Some("no-such-proto")));
    assert!(
        message.contains("80") && message.contains("\"no-such-proto\""),
        "{message}"
    );
    let message = invalid_message(getservbyname("ht\0tp", None));
    assert!(message.contains(r#""ht\0tp""#), "{message}");
    let message = invalid_message(getservbyport(80, Some("t\0cp")));
    assert!(message.contains(r#""t\0cp""#), "{message}");
}

/// `tcp` ↔ 6: /etc/protocols, the constants and getaddrinfo agree.
#[test]
fn protocols_by_name() {
    assert_eq!(getprotobyname("tcp").unwrap(), 6);
    assert_eq!(getprotobyname("tcp").unwrap(), Protocol::TCP.as_raw());
    assert_eq!(getprotobyname("udp").unwrap(), libc::IPPROTO_UDP);
    assert_eq!(getprotobyname("icmp").unwrap(), libc::IPPROTO_ICMP);
    let tcp = AddrInfoHints {
        kind: SOCK_STREAM,
        ..AddrInfoHints::default()
    };
    let answers = getaddrinfo_with(Some("127.0.0.1"), Some("80"), &tcp).unwrap();
    assert_eq!(
        answers[0].proto,
        Protocol::from(getprotobyname("tcp").unwrap())
    );
    let message = not_found_message(getprotobyname("no-such-protocol"));
    assert!(message.contains("\"no-such-protocol\""), "{message}");
    let message = invalid_message(getprotobyname("t\0cp"));
    assert!(message.contains(r#""t\0cp""#), "{message}");
}

/// The loopback interface `lo` ↔ its index, and the whole list agrees.
#[test]
fn interfaces_both_ways() {
    let interfaces = if_nameindex().unwrap();
    let (lo_index, _) = interfaces
        .iter()
        .find(|(_, name)| name == "lo")
        .expect("a loopback interface named lo");
    assert_eq!(if_nametoindex("lo").unwrap(), *lo_index);
    assert_eq!(if_indextoname(*lo_index).unwrap(), "lo");
    for (index, name) in &interfaces {
        assert_eq!(if_nametoindex(name).unwrap(), *index, "{name}");
        assert_eq!(&if_indextoname(*index).unwrap(), name, "{index}");
    }
}

/// Unknown interfaces are `NotFound` errors naming them.
#[test]
fn unknown_interfaces_name_the_input() {
    let message = not_found_message(if_nametoindex("no-such-if0"));
    assert!(message.contains("\"no-such-if0\""), "{message}");
    let too_long = "x".repeat(64);
    let message = not_found_message(if_nametoindex(&too_long));
    assert!(message.contains(&too_long), "{message}");
    let unused = if_nameindex()
        .unwrap()
        .iter()
        .map(|(i, _)| *i)
        .max()
        .unwrap()
        + 1000;
    let message = not_found_message(if_indextoname(unused));
    assert!(message.contains(&unused.to_string()), "{message}");
    not_found_message(if_indextoname(0));
    let message = invalid_message(if_nametoindex("l\0o"));
    assert!(message.contains(r#""l\0o""#), "{message}");
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

/// `inet_aton` takes C's forms; `inet_ntoa` writes dotted quads.
#[test]
fn inet_aton_takes_c_forms() {
    for (text, packed) in [
        ("127.0.0.1", [127, 0, 0, 1]),
        ("255.255.255.255", [255, 255, 255, 255]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("127.1", [127, 0, 0, 1]),
        ("10.1.258", [10, 1, 1, 2]),
        ("1", [0, 0, 0, 1]),
        ("4294967295", [255, 255, 255, 255]),
        ("0x7f.0.0.1", [127, 0, 0, 1]),
        ("0X7F000001", [127, 0, 0, 1]),
        ("017.0.0.010", [15, 0, 0, 8]),
        ("1.2.3.4 trailing words", [1, 2, 3, 4]),
        ("1.2.3.4\n", [1, 2, 3, 4]),
    ] {
        assert_eq!(inet_aton(text).unwrap(), packed, "{text:?}");
    }
    assert_eq!(inet_ntoa(&[192, 168, 0, 1]).unwrap(), "192.168.0.1");
    assert_eq!(
        inet_ntoa(&inet_aton("127.1").unwrap()).unwrap(),
        "127.0.0.1"
    );
}

/// Every bad dotted quad is refused, naming it.
#[test]
fn bad_dotted_quads_name_the_input() {
    for text in [
        "",
        " 1.2.3.4",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.2.3.256",
        "1.2.65536",
        "1.16777216",
        "4294967296",
        "1..2",
        "1.2.3.",
        ".1.2.3",
        "08.0.0.1",
        "0x.1.2.3",
        "0xg",
        "+1.2.3.4",
        "-1",
        "1.2.3.4x",
        "a.b.c.d",
        "localhost",
        "1.2.3.4\0",
        "99999999999999999999999",
        "١.٢.٣.٤",
    ] {
        let message = invalid_message(inet_aton(text));
        assert!(message.contains(&format!("{text:?}")), "{message}");
        assert!(message.contains("inet_aton"), "{message}");
    }
}

/// Packed addresses of the wrong length are refused, saying the length.
#[test]
fn wrong_packed_lengths_say_the_length() {
    for len in [0, 3, 5, 16] {
        let message = invalid_message(inet_ntoa(&vec![1; len]));
        assert!(message.contains(&format!("{len} bytes")), "{message}");
    }
    for (family, right) in [(AF_INET, 4), (AF_INET6, 16)] {
        for len in [0, 1, 4, 5, 15, 16, 17] {
            if len == right {
                continue;
            }
            let message = invalid_message(inet_ntop(family, &vec![0; len]));
            assert!(message.contains(&format!("{len} bytes")), "{message}");
            assert!(message.contains(&right.to_string()), "{message}");
        }
    }
}

/// `inet_pton` and `inet_ntop` convert both families both ways.
#[test]
fn inet_pton_and_ntop() {
    assert_eq!(inet_pton(AF_INET, "192.0.2.1").unwrap(), [192, 0, 2, 1]);
    assert_eq!(
        inet_pton(AF_INET6, "2001:db8::1").unwrap(),
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets()
    );
    assert_eq!(
        inet_pton(AF_INET6, "::ffff:10.0.0.1").unwrap(),
        Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped().octets()
    );
    assert_eq!(inet_ntop(AF_INET, &[192, 0, 2, 1]).unwrap(), "192.0.2.1");
    assert_eq!(
        inet_ntop(
            AF_INET6,
            &inet_pton(AF_INET6, "2001:0DB8:0:0:0:0:0:1").unwrap()
        )
        .unwrap(),
        "2001:db8::1"
    );
    assert_eq!(inet_ntop(AF_INET6, &[0; 16]).unwrap(), "::");
}

/// Bad text and unknown families are refused, naming them.
#[test]
fn inet_pton_refuses_bad_text() {
    for (family, text) in [
        (AF_INET, ""),
        (AF_INET, "127.1"),
        (AF_INET, "01.2.3.4"),
        (AF_INET, "1.2.3.4 "),
        (AF_INET, "256.1.1.1"),
        (AF_INET, "::1"),
        (AF_INET6, ""),
        (AF_INET6, "1.2.3.4"),
        (AF_INET6, "1:2:3:4:5:6:7:8:9"),
        (AF_INET6, "1::2::3"),
        (AF_INET6, "12345::"),
        (AF_INET6, "fe80::1%lo"),
        (AF_INET6, "zz::"),
    ] {
        let message = invalid_message(inet_pton(family, text));
        assert!(message.contains(&format!("{text:?}")), "{message}");
        assert!(message.contains("illegal IP address string"), "{message}");
    }
    for family in [AF_UNIX, AF_UNSPEC, Family::from(12345)] {
        let message = invalid_message(inet_pton(family, "1.2.3.4"));
        assert!(message.contains(&family.to_string()), "{message}");
        invalid_message(inet_ntop(family, &[1, 2, 3, 4]));
    }
}

/// Byte order: network order is big-endian.
#[test]
fn byte_order() {
    assert_eq!(htons(0x0102).to_ne_bytes(), [1, 2]);
    assert_eq!(htonl(0x0102_0304).to_ne_bytes(), [1, 2, 3, 4]);
    assert_eq!(ntohs(u16::from_ne_bytes([1, 2])), 0x0102);
    assert_eq!(ntohl(u32::from_ne_bytes([1, 2, 3, 4])), 0x0102_0304);
    for value in [0u16, 1, 80, 0x1234, u16::MAX] {
        assert_eq!(ntohs(htons(value)), value);
    }
}

// ---------------------------------------------------------------------------
// create_connection
// ---------------------------------------------------------------------------

/// A fixed list of addresses, tried in order (what a resolver might return).
struct Candidates(Vec<Address>);

impl ToAddress for Candidates {
    fn to_address(&self, family: Family) -> pysocket::Result<Address> {
        self.0[0].to_address(family)
    }

    fn to_addresses(&self, _family: Family) -> pysocket::Result<Vec<Address>> {
        Ok(self.0.clone())
    }
}

/// [`Candidates`] under a name, as a host name that resolved to them.
struct Named(&'static str, Vec<Address>);

impl ToAddress for Named {
    fn to_address(&self, family: Family) -> pysocket::Result<Address> {
        self.1[0].to_address(family)
    }

    fn to_addresses(&self, _family: Family) -> pysocket::Result<Vec<Address>> {
        Ok(self.1.clone())
    }

    fn describe(&self) -> Option<String> {
        Some(self.0.to_owned())
    }
}

/// The timeout given stays on the socket; `None` is blocking.
#[test]
fn create_connection_keeps_its_timeout() {
    let (server, addr) = listener(AF_INET);
    let port = addr.port().unwrap();
    let timed = create_connection(("127.0.0.1", port), Some(PROMPT)).unwrap();
    assert_eq!(timed.gettimeout(), Some(PROMPT));
    assert_eq!(timed.getpeername().unwrap(), addr);
    let (conn, peer) = server.accept().unwrap();
    assert_eq!(peer, timed.getsockname().unwrap());
    timed.sendall(b"ping").unwrap();
    conn.settimeout(Some(PROMPT)).unwrap();
    assert_eq!(conn.recv(4).unwrap(), b"ping");

    let blocking = create_connection(format!("localhost:{port}"), None);
    // localhost may resolve to ::1 first, where nothing listens: the IPv4
    // attempt follows.
    let blocking = blocking.unwrap();
    assert_eq!(blocking.gettimeout(), None);
    assert_eq!(blocking.family(), AF_INET);
    assert_eq!(blocking.kind(), SOCK_STREAM);
    let (_conn, _) = server.accept().unwrap();

    let v6 = listener(AF_INET6);
    let sock = create_connection(&v6.1, Some(PROMPT)).unwrap();
    assert_eq!(sock.family(), AF_INET6);
}

/// An address that refuses is passed over for the next one, which accepts.
#[test]
fn create_connection_falls_through_to_an_address_that_accepts() {
    let (_holder, refusing) = refusing_port();
    let (server, accepting) = listener(AF_INET);
    let (_v6_holder, refusing_v6) = {
        let holder = Socket::new(AF_INET6, SOCK_STREAM).unwrap();
        holder.bind(("::1", 0)).unwrap();
        let addr = holder.getsockname().unwrap();
        (holder, addr)
    };
    let candidates = Candidates(vec![refusing_v6, refusing, accepting.clone()]);
    let sock = create_connection(&candidates, Some(PROMPT)).unwrap();
    assert_eq!(sock.getpeername().unwrap(), accepting);
    assert_eq!(sock.gettimeout(), Some(PROMPT));
    let (_conn, peer) = server.accept().unwrap();
    assert_eq!(peer, sock.getsockname().unwrap());
}

/// When every attempt fails, `Error::Connect` keeps each one; errno, kind and
/// is_timeout are the last attempt's.
#[test]
fn create_connection_reports_every_attempt() {
    let (_a, first) = refusing_port();
    let (_b, second) = refusing_port();
    let err = create_connection(
        Candidates(vec![first.clone(), second.clone()]),
        Some(PROMPT),
    )
    .unwrap_err();
    let text = err.to_string();
    match &err {
        Error::Connect { target, attempts } => {
            assert_eq!(target, &format!("{first}, {second}"));
            assert_eq!(attempts.len(), 2);
            assert_eq!(attempts[0].0, first);
            assert_eq!(attempts[1].0, second);
            for (_, attempt) in attempts {
                assert_eq!(attempt.errno(), Some(libc::ECONNREFUSED), "{attempt:?}");
            }
        }
        other => panic!("expected Error::Connect, got {other:?}"),
    }
    assert_eq!(err.errno(), Some(libc::ECONNREFUSED));
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(!err.is_timeout());
    assert!(text.starts_with("could not connect to "), "{text}");
    assert!(text.contains(&first.to_string()), "{text}");
    assert!(text.contains(&second.to_string()), "{text}");
    assert_eq!(io::Error::from(err).kind(), ErrorKind::ConnectionRefused);

    // A target that can name itself is named so.
    let named = Named("service.test:8001", vec![first.clone(), second.clone()]);
    let err = create_connection(named, Some(PROMPT)).unwrap_err();
    assert!(
        matches!(&err, Error::Connect { target, .. } if target == "service.test:8001"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "could not connect to service.test:8001: tried {first} ("
        )),
        "{text}"
    );
    assert!(text.contains(&format!(", then {second} (")), "{text}");
}

/// One address that refuses: its own error, as Python raises it.
#[test]
fn create_connection_with_one_address_returns_its_error() {
    let (_holder, refusing) = refusing_port();
    let err = create_connection(&refusing, Some(PROMPT)).unwrap_err();
    assert!(matches!(&err, Error::Io(_)), "{err:?}");
    assert_eq!(err.errno(), Some(libc::ECONNREFUSED));
    assert_eq!(
        resolve_host(create_connection((NO_SUCH_HOST, 80), None)),
        NO_SUCH_HOST
    );
    let message = invalid_message(create_connection("/tmp/not-a-host", None));
    assert!(message.contains("/tmp/not-a-host"), "{message}");
    let empty = create_connection(Candidates(Vec::new()), None).unwrap_err();
    assert!(matches!(empty, Error::Resolve { .. }), "{empty:?}");
}

/// The timeout bounds each attempt, and a timed-out last attempt makes the
/// whole error a timeout.
#[test]
fn create_connection_timeout_bounds_each_attempt() {
    let (_server, full, _held) = full_backlog();
    let (_holder, refusing) = refusing_port();
    let timeout = Duration::from_millis(300);
    let start = std::time::Instant::now();
    let err =
        create_connection(Candidates(vec![refusing, full.clone()]), Some(timeout)).unwrap_err();
    assert!(
        start.elapsed() >= timeout.mul_f64(0.9),
        "{:?}",
        start.elapsed()
    );
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    match &err {
        Error::Connect { attempts, .. } => {
            assert_eq!(attempts[0].1.errno(), Some(libc::ECONNREFUSED));
            assert!(matches!(attempts[1], (ref addr, Error::Timeout) if *addr == full));
        }
        other => panic!("expected Error::Connect, got {other:?}"),
    }
    assert!(err.to_string().contains("timed out"), "{err}");
}

/// `source_address` binds the client before it connects.
#[test]
fn source_address_binds_the_client() {
    let (server, addr) = listener(AF_INET);
    let source_port = {
        let probe = Socket::new(AF_INET, SOCK_STREAM).unwrap();
        probe.bind(("127.0.0.1", 0)).unwrap();
        probe.getsockname().unwrap().port().unwrap()
    };
    let client = ConnectionBuilder::new(&addr)
        .timeout(Some(PROMPT))
        .source_address(("127.0.0.1", source_port))
        .connect()
        .unwrap();
    let local = client.getsockname().unwrap();
    assert_eq!(local.to_string(), format!("127.0.0.1:{source_port}"));
    assert_eq!(client.gettimeout(), Some(PROMPT));
    let (_conn, peer) = server.accept().unwrap();
    assert_eq!(peer, local);

    // Without .timeout(), the default timeout (None in this test binary).
    let default = ConnectionBuilder::new(&addr)
        .source_address(("", 0))
        .connect()
        .unwrap();
    assert_eq!(default.gettimeout(), None);

    // A source that does not fit the target's family fails that attempt.
    let message = invalid_message(
        ConnectionBuilder::new(&addr)
            .source_address(("::1", 0))
            .connect(),
    );
    assert!(message.contains("::1"), "{message}");
}

// ---------------------------------------------------------------------------
// create_server
// ---------------------------------------------------------------------------

/// `create_server` binds with SO_REUSEADDR and listens; the family follows
/// the address.
#[test]
fn create_server_binds_and_listens() {
    let server = create_server(("127.0.0.1", 0)).unwrap();
    assert_eq!(server.family(), AF_INET);
    assert_eq!(server.kind(), SOCK_STREAM);
    assert_eq!(server.getsockopt(SOL_SOCKET, SO_REUSEADDR).unwrap(), 1);
    assert_eq!(server.getsockopt(SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 1);
    let client = create_connection(server.getsockname().unwrap(), Some(PROMPT)).unwrap();
    let (_conn, peer) = server.accept().unwrap();
    assert_eq!(peer, client.getsockname().unwrap());

    let wildcard = create_server(("", 0)).unwrap();
    assert_eq!(
        wildcard.getsockname().unwrap().ip(),
        Some(Ipv4Addr::UNSPECIFIED.into())
    );
    assert_eq!(create_server(("localhost", 0)).unwrap().family(), AF_INET);

    for v6 in [
        create_server(("::1", 0)).unwrap(),
        create_server("[::1]:0").unwrap(),
        create_server(SocketAddr::from((Ipv6Addr::LOCALHOST, 0))).unwrap(),
    ] {
        assert_eq!(v6.family(), AF_INET6);
        assert_eq!(v6.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY).unwrap(), 1);
    }
}

/// The builder's family and backlog, and AF_UNIX servers.
#[test]
fn server_builder_family_and_backlog() {
    let server = ServerBuilder::new(("", 0))
        .family(AF_INET6)
        .backlog(1)
        .build()
        .unwrap();
    assert_eq!(server.family(), AF_INET6);
    assert_eq!(
        server.getsockname().unwrap().ip(),
        Some(Ipv6Addr::UNSPECIFIED.into())
    );
    let port = server.getsockname().unwrap().port().unwrap();
    let _client = create_connection(("::1", port), Some(PROMPT)).unwrap();
    server.accept().unwrap();

    let dir = temp_dir();
    let path = dir.path().join("server.sock");
    let unix = ServerBuilder::new(path.as_path())
        .family(AF_UNIX)
        .build()
        .unwrap();
    assert_eq!(unix.family(), AF_UNIX);
    let client = Socket::new(AF_UNIX, SOCK_STREAM).unwrap();
    client.connect(path.as_path()).unwrap();
    unix.accept().unwrap();

    let message = invalid_message(ServerBuilder::new(("::1", 0)).family(AF_INET).build());
    assert!(message.contains("::1"), "{message}");
    let message = invalid_message(create_server("/tmp/x.sock"));
    assert!(message.contains("/tmp/x.sock"), "{message}");
}

/// A bind failure names the address and keeps EADDRINUSE.
#[test]
fn create_server_bind_failure_names_the_address() {
    let first = create_server(("127.0.0.1", 0)).unwrap();
    let taken = first.getsockname().unwrap();
    let err = create_server(("127.0.0.1", taken.port().unwrap())).unwrap_err();
    match &err {
        Error::Bind { address, source } => {
            assert_eq!(address, &taken);
            assert_eq!(source.raw_os_error(), Some(libc::EADDRINUSE));
        }
        other => panic!("expected Error::Bind, got {other:?}"),
    }
    assert_eq!(err.errno(), Some(libc::EADDRINUSE));
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&taken.to_string()), "{err}");
    assert_eq!(io::Error::from(err).kind(), ErrorKind::AddrInUse);
    assert_eq!(resolve_host(create_server((NO_SUCH_HOST, 0))), NO_SUCH_HOST);
}

/// With `reuse_port`, two servers bind one port.
#[test]
fn reuse_port_lets_two_servers_share_a_port() {
    let first = ServerBuilder::new(("127.0.0.1", 0))
        .reuse_port(true)
        .build()
        .unwrap();
    assert_eq!(first.getsockopt(SOL_SOCKET, SO_REUSEPORT).unwrap(), 1);
    let addr = first.getsockname().unwrap();
    let second = ServerBuilder::new(&addr).reuse_port(true).build().unwrap();
    assert_eq!(second.getsockname().unwrap(), addr);
    let without = create_server(&addr).unwrap_err();
    assert_eq!(without.errno(), Some(libc::EADDRINUSE));
}

// ---------------------------------------------------------------------------
// fromfd
// ---------------------------------------------------------------------------

/// Whether a descriptor is close-on-exec.
fn cloexec(fd: i32) -> bool {
    // SAFETY: F_GETFD takes no argument and only reads the flags of a live descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fcntl(F_GETFD)");
    flags & libc::FD_CLOEXEC != 0
}

/// `fromfd` duplicates: a new close-on-exec descriptor on the same
/// connection, and both keep working.
#[test]
fn fromfd_duplicates_the_descriptor() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut original = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let (mut peer, _) = server.accept().unwrap();
    peer.set_read_timeout(Some(PROMPT)).unwrap();

    let sock = fromfd(&original).unwrap();
    assert_ne!(sock.fileno(), original.as_raw_fd());
    assert!(cloexec(sock.fileno()));
    assert!(!sock.get_inheritable().unwrap());
    assert_eq!(sock.family(), AF_INET);
    assert_eq!(sock.kind(), SOCK_STREAM);
    assert_eq!(sock.proto(), Protocol::TCP);
    assert_eq!(
        sock.getpeername().unwrap().as_socket_addr(),
        Some(server.local_addr().unwrap())
    );

    sock.sendall(b"from the duplicate ").unwrap();
    original.write_all(b"and the original").unwrap();
    let mut got = [0u8; 35];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"from the duplicate and the original");

    sock.close().unwrap();
    original.write_all(b"!").unwrap();
    let mut bang = [0u8; 1];
    peer.read_exact(&mut bang).unwrap();
    assert_eq!(&bang, b"!");
}

/// `fromfd` reads family, type and protocol for each kind of socket.
#[test]
fn fromfd_reads_family_type_and_protocol() {
    let udp = UdpSocket::bind("[::1]:0").unwrap();
    let sock = fromfd(&udp).unwrap();
    assert_eq!(
        (sock.family(), sock.kind(), sock.proto()),
        (AF_INET6, SOCK_DGRAM, Protocol::UDP)
    );
    assert_eq!(
        sock.getsockname().unwrap().as_socket_addr(),
        Some(udp.local_addr().unwrap())
    );

    let (a, _b) = socketpair().unwrap();
    let sock = fromfd(&a).unwrap();
    assert_eq!((sock.family(), sock.kind()), (AF_UNIX, SOCK_STREAM));

    let unbound = Socket::new(AF_INET6, SOCK_STREAM).unwrap();
    let sock = fromfd(&unbound).unwrap();
    assert_eq!((sock.family(), sock.kind()), (AF_INET6, SOCK_STREAM));
}

/// `fromfd` starts from the default timeout (blocking here), not from the
/// descriptor's `O_NONBLOCK`, and refuses what is no socket.
#[test]
fn fromfd_uses_the_default_timeout_and_refuses_non_sockets() {
    let (a, _b) = socketpair().unwrap();
    a.setblocking(false).unwrap();
    let sock = fromfd(&a).unwrap();
    assert_eq!(sock.gettimeout(), None);
    assert!(sock.getblocking());

    let file = std::fs::File::open("/dev/null").unwrap();
    let err = fromfd(&file).unwrap_err();
    assert_eq!(err.errno(), Some(libc::ENOTSOCK), "{err:?}");
}
