//! What every server kind is built on: the bound socket, the selector the
//! loop waits on, the handle, Python's `serve_forever` loop, accepting, and
//! the methods every server kind has.

use std::fmt;
use std::sync::{Arc, Mutex, TryLockError};
use std::thread;
use std::time::Duration;

use super::handle::{Control, Serving};
use super::{RequestError, ServerHandle, ServerOptions};
use crate::address::{Address, ToAddress};
use crate::constants::{SockType, SOL_SOCKET, SO_REUSEADDR};
use crate::error::{Error, Result};
use crate::select::{EventMask, Selector, SelectorKey};
use crate::socket::Socket;

/// How long a server waits before accepting again when the process is out of
/// descriptors or memory (the listener stays readable, so retrying at once
/// would spin).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What every server kind holds: its socket, the selector its loop waits
/// on, its handle and its options.
pub(super) struct Core {
    /// Declared before `socket`, so that it drops (and forgets the socket) first.
    selector: Mutex<Selector<()>>,
    pub(super) socket: Socket,
    pub(super) handle: ServerHandle,
    pub(super) options: ServerOptions,
}

impl Core {
    /// Python's `server_bind` and `server_activate`: a socket of the
    /// options' family, bound (after the reuse options), listening if it is
    /// a stream, and watched by the loop's selector.
    pub(super) fn bind(
        server_address: impl ToAddress,
        kind: SockType,
        options: ServerOptions,
        cut_on_shutdown: bool,
    ) -> Result<Core> {
        let address = server_address.to_address(options.address_family)?;
        let socket = Socket::new(options.address_family, kind)?;
        if options.allow_reuse_address {
            socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)?;
        }
        if options.allow_reuse_port {
            socket.as_socket2().set_reuse_port(true)?;
        }
        socket.bind(&address).map_err(|err| match err {
            Error::Io(source) => Error::Bind {
                address: address.clone(),
                source,
            },
            other => other,
        })?;
        if kind == SockType::STREAM {
            socket.listen(options.request_queue_size)?;
            // The loop accepts only when the listener is ready; a client gone
            // in between must give `WouldBlock`, not a hang.
            socket.setblocking(false)?;
        } else {
            // Blocking whatever the default timeout, so answers wait for room
            // and the loop's `MSG_DONTWAIT` receive never waits in the engine.
            socket.setblocking(true)?;
        }
        let address = socket.getsockname()?;
        let mut selector = Selector::new()?;
        selector.register(&socket, EventMask::READ, ())?;
        let handle = ServerHandle::new(
            address,
            selector.waker(),
            cut_on_shutdown,
            options.close_grace,
        );
        Ok(Core {
            selector: Mutex::new(selector),
            socket,
            handle,
            options,
        })
    }

    pub(super) fn control(&self) -> &Arc<Control> {
        &self.handle.control
    }

    /// Python's `serve_forever`: wait for readiness (at most `poll_interval`
    /// at a time), hand each round of ready keys to `round`, run
    /// `service_actions`, until [`ServerHandle::shutdown`]. `finish` runs
    /// with the selector once the loop has stopped.
    pub(super) fn serve(
        &self,
        poll_interval: Duration,
        mut round: impl FnMut(&mut Selector<()>, &[(SelectorKey<()>, EventMask)]),
        mut service_actions: impl FnMut(&mut Selector<()>),
        finish: impl FnOnce(&mut Selector<()>),
    ) -> Result<()> {
        let mut selector = match self.selector.try_lock() {
            Ok(selector) => selector,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::invalid(
                    "serve_forever is already running for this server",
                ))
            }
        };
        let control = self.control();
        let serving = Serving::begin(control);
        let mut outcome = Ok(());
        // One list of ready keys for the whole loop.
        let mut ready = Vec::new();
        while !control.shutdown_requested() {
            if let Err(err) = selector.select_into(Some(poll_interval), &mut ready) {
                outcome = Err(err);
                break;
            }
            if control.shutdown_requested() {
                break;
            }
            if !ready.is_empty() {
                round(&mut selector, &ready);
            }
            service_actions(&mut selector);
        }
        finish(&mut selector);
        drop(serving);
        outcome
    }

    /// Accepts a connection the listener reported. `None` when there was
    /// none after all, or when accepting failed (reported, and followed by a
    /// pause when the process is out of resources).
    pub(super) fn accept(&self) -> Option<(Socket, Address)> {
        match self.socket.accept() {
            Ok(accepted) => Some(accepted),
            Err(err) if err.is_would_block() => None,
            Err(err) if matches!(err.errno(), Some(libc::ECONNABORTED | libc::EINTR)) => None,
            Err(err) => {
                let exhausted = matches!(
                    err.errno(),
                    Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
                );
                self.options.report(&RequestError::Server(err), None);
                if exhausted {
                    thread::sleep(ACCEPT_BACKOFF);
                }
                None
            }
        }
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("server_address", self.handle.server_address())
            .field("fd", &self.socket.fileno())
            .finish_non_exhaustive()
    }
}

/// The methods every server kind has.
macro_rules! common_methods {
    () => {
        /// The address the server is bound to: Python's `server.server_address`
        /// (with the port the OS chose when asked for port 0).
        pub fn server_address(&self) -> &Address {
            self.core.handle.server_address()
        }

        /// The server's socket: Python's `server.socket`.
        pub fn socket(&self) -> &Socket {
            &self.core.socket
        }

        /// The server socket's descriptor: Python's `server.fileno()`.
        pub fn fileno(&self) -> RawFd {
            self.core.socket.as_raw_fd()
        }

        /// A handle to stop the server from any thread, `'static`.
        pub fn handle(&self) -> ServerHandle {
            self.core.handle.clone()
        }

        /// Stops `serve_forever` and returns once it has stopped: Python's
        /// `server.shutdown()`. See [`ServerHandle::shutdown`].
        pub fn shutdown(&self) {
            self.core.handle.shutdown()
        }
    };
}

pub(super) use common_methods;
