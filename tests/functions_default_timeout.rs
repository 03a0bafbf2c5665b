//! `setdefaulttimeout` and the module functions that make sockets: `fromfd`,
//! `create_server` and `ConnectionBuilder` take the default timeout,
//! `create_connection` takes the one it is given.
//!
//! The default timeout is process-global, so this binary holds one test only
//! and restores `None` at the end: nothing else can run beside it.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::{assert_timeout_descriptor, fd_count, fd_nonblocking, RestoreDefault, PROMPT};
use pysocket::{
    create_connection, create_server, fromfd, getdefaulttimeout, setdefaulttimeout, socketpair,
    ConnectionBuilder,
};

#[test]
fn module_functions_take_the_default_timeout() {
    let _restore = RestoreDefault;
    assert_eq!(getdefaulttimeout(), None);
    let timeout = Duration::from_millis(250);
    setdefaulttimeout(Some(timeout));

    // fromfd: the default, not the descriptor's blocking mode.
    let std_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let adopted = fromfd(&std_listener).unwrap();
    assert_eq!(adopted.gettimeout(), Some(timeout));
    assert_timeout_descriptor(&adopted, timeout);
    let start = std::time::Instant::now();
    assert!(adopted.accept().unwrap_err().is_timeout());
    assert!(start.elapsed() >= timeout.mul_f64(0.9));

    // create_server and the connection builder without .timeout().
    let server = create_server(("127.0.0.1", 0)).unwrap();
    assert_eq!(server.gettimeout(), Some(timeout));
    let addr = server.getsockname().unwrap();
    let by_default = ConnectionBuilder::new(&addr).connect().unwrap();
    assert_eq!(by_default.gettimeout(), Some(timeout));
    assert_timeout_descriptor(&by_default, timeout);
    // create_connection's own timeout wins, None included (Python's timeout=None).
    let blocking = create_connection(&addr, None).unwrap();
    assert_eq!(blocking.gettimeout(), None);
    assert!(!fd_nonblocking(&blocking));
    let explicit = create_connection(&addr, Some(PROMPT)).unwrap();
    assert_eq!(explicit.gettimeout(), Some(PROMPT));

    // A zero default: non-blocking.
    setdefaulttimeout(Some(Duration::ZERO));
    let (a, _b) = socketpair().unwrap();
    let zero = fromfd(&a).unwrap();
    assert_eq!(zero.gettimeout(), Some(Duration::ZERO));
    assert!(!zero.getblocking());

    // Back to blocking: fromfd clears the O_NONBLOCK it finds.
    setdefaulttimeout(None);
    let blocking = fromfd(&a).unwrap();
    assert_eq!(blocking.gettimeout(), None);
    assert!(!fd_nonblocking(&blocking));

    // A descriptor that is no socket is refused before anything is duplicated.
    let file = std::fs::File::open("/dev/null").unwrap();
    let before = fd_count();
    let err = fromfd(&file).unwrap_err();
    assert_eq!(err.errno(), Some(libc::ENOTSOCK), "{err:?}");
    assert_eq!(fd_count(), before, "no descriptor leaked");
}
