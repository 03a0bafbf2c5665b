//! Stream requests with blocking handlers: [`RequestHandler`], the
//! [`StreamRequest`] it sees, and how one connection is served, shared by
//! [`TcpServer`](super::TcpServer) and
//! [`ThreadingTcpServer`](super::ThreadingTcpServer).

use std::io::Write;
use std::net::Shutdown;

use super::base::BaseServer;
use super::{make, run_handler, Factory, HandlerResult, RequestError, ServerHandle, ServerOptions};
use crate::address::{Address, ToAddress};
use crate::constants::SockType;
use crate::error::Result;
use crate::file::SocketFile;
use crate::socket::Socket;

/// The size of the buffer of [`StreamRequest::rfile`] (Python's
/// `io.DEFAULT_BUFFER_SIZE`); a line longer than that grows it.
const STREAM_BUFFER_SIZE: usize = 8192;

/// The handler of one TCP connection of a [`TcpServer`](super::TcpServer) or
/// [`ThreadingTcpServer`](super::ThreadingTcpServer): Python's
/// `BaseRequestHandler` and `StreamRequestHandler`.
///
/// The server makes a handler for each connection (with the function given
/// to its constructor) and calls [`setup`](RequestHandler::setup), then
/// [`handle`](RequestHandler::handle), then [`finish`](RequestHandler::finish),
/// which runs even when `handle` failed, as in Python. If `setup` fails,
/// neither runs. Then the server flushes [`StreamRequest::wfile`], shuts the
/// connection's sending side down and closes it.
///
/// ```
/// use std::io::BufRead;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
///
/// /// Answers each line with its length.
/// struct Count;
///
/// impl RequestHandler for Count {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         let mut line = String::new();
///         while request.rfile.read_line(&mut line)? > 0 {
///             request.connection.sendall(format!("{}\n", line.len()).as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
/// ```
#[doc(alias = "StreamRequestHandler")]
#[doc(alias = "BaseRequestHandler")]
pub trait RequestHandler {
    /// Runs before [`handle`](RequestHandler::handle); does nothing by default.
    fn setup(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }

    /// Serves the connection.
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult;

    /// Runs after [`handle`](RequestHandler::handle), even if it failed; does
    /// nothing by default.
    fn finish(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let _ = request;
        Ok(())
    }
}

/// One TCP connection as its [`RequestHandler`] sees it: what Python's
/// `StreamRequestHandler` sets up (`self.connection`, `self.client_address`,
/// `self.rfile`, `self.wfile`, `self.server`).
///
/// `rfile` is a buffered file over the connection ([`Socket::makefile`]).
/// `wfile` writes through at once, as Python's (`wbufsize = 0`), so a
/// handler that writes a prompt and then reads never stalls for want of a
/// `flush`; [`ServerOptions::wbufsize`] gives it a buffer, which the server
/// flushes after [`finish`](RequestHandler::finish). The fields are public
/// so that a handler can read from `rfile` and write to `wfile` at once.
///
/// ```
/// use std::io::{BufRead, Write};
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
///
/// /// Greets the client by address, then echoes lines until it sends "quit".
/// struct Session;
/// impl RequestHandler for Session {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         writeln!(request.wfile, "hello {}", request.client_address)?;
///         let mut line = String::new();
///         while request.rfile.read_line(&mut line)? > 0 && line.trim() != "quit" {
///             request.wfile.write_all(line.as_bytes())?;
///             line.clear();
///         }
///         Ok(())
///     }
/// }
/// ```
///
/// # Long lines
///
/// `rfile`'s [`read_line`](std::io::BufRead::read_line) and
/// [`read_until`](std::io::BufRead::read_until) hold a line whole, however
/// long: a client that sends 10 MB with no newline makes `rfile` buffer
/// 10 MB, as Python's `rfile.readline()` does. A handler that reads lines
/// from clients it does not trust bounds them with
/// [`rfile.readline(limit)`](SocketFile::readline) (Python's
/// `readline(size)`; `http.server` uses 65537), which returns at most
/// `limit` bytes, without the newline when the line is longer: the buffer
/// then never grows past its 8 KiB or twice `limit`, whichever is larger.
/// [`ServerOptions::timeout`] bounds how long each read waits for the rest
/// of a line.
///
/// ```
/// use std::io::Write;
/// use pysocket::server::{HandlerResult, RequestHandler, StreamRequest};
///
/// /// Echoes lines of at most 1024 bytes; a longer one ends the request.
/// struct Bounded;
/// impl RequestHandler for Bounded {
///     fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
///         loop {
///             let line = request.rfile.readline(1024)?;
///             if line.is_empty() {
///                 return Ok(()); // the end of the stream
///             }
///             if !line.ends_with(b"\n") {
///                 request.wfile.write_all(b"line too long\n")?;
///                 return Ok(());
///             }
///             request.wfile.write_all(&line)?;
///         }
///     }
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct StreamRequest<'a> {
    /// The connected socket (Python's `self.request` and `self.connection`).
    pub connection: &'a Socket,
    /// The client's address.
    pub client_address: Address,
    /// Buffered reading from the connection (`BufRead`): Python's `self.rfile`.
    pub rfile: SocketFile<'a>,
    /// Writing to the connection (`Write`): Python's `self.wfile`, which
    /// writes through at once unless [`ServerOptions::wbufsize`] gives it a
    /// buffer.
    pub wfile: SocketFile<'a>,
    /// The server, to [`shutdown`](ServerHandle::shutdown) it from a handler.
    pub server: &'a ServerHandle,
}

/// What the stream servers need to run one connection, shared with handler
/// threads.
pub(super) struct StreamService<H> {
    factory: Factory<H>,
    pub(super) options: ServerOptions,
    handle: ServerHandle,
}

impl<H> StreamService<H> {
    /// Binds a stream server (see [`BaseServer::bind`]) and sets up the service of
    /// its connections, which `handler` makes the handlers of.
    pub(super) fn bind(
        server_address: impl ToAddress,
        handler: impl Fn() -> H + Send + Sync + 'static,
        options: ServerOptions,
        cut_on_shutdown: bool,
    ) -> Result<(BaseServer, StreamService<H>)> {
        let base = BaseServer::bind(
            server_address,
            SockType::STREAM,
            options.clone(),
            cut_on_shutdown,
        )?;
        let service = StreamService {
            factory: Box::new(handler),
            options,
            handle: base.handle.clone(),
        };
        Ok((base, service))
    }
}

impl<H: RequestHandler> StreamService<H> {
    /// Python's `process_request` without threads: `finish_request`, then
    /// `shutdown_request`.
    pub(super) fn process(&self, conn: &Socket, client_address: Address) {
        if let Err(err) = self.prepare(conn) {
            self.options
                .report(&RequestError::Server(err), Some(&client_address));
        } else {
            self.finish_request(conn, client_address);
        }
        // Python's `shutdown_request`: end the stream explicitly; the caller closes.
        let _ = conn.shutdown(Shutdown::Write);
    }

    /// Applies the options' `timeout` and `disable_nagle_algorithm` to the
    /// connection.
    fn prepare(&self, conn: &Socket) -> Result<()> {
        if let Some(timeout) = self.options.timeout {
            conn.settimeout(Some(timeout))?;
        }
        self.options.set_nodelay(conn)
    }

    /// Python's `finish_request`: make the handler, run setup, handle and
    /// finish, and flush `wfile`.
    fn finish_request(&self, conn: &Socket, client_address: Address) {
        let report = |err: RequestError| self.options.report(&err, Some(&client_address));
        let Ok(mut handler) = make(&self.factory).map_err(&report) else {
            return;
        };
        let mut request = StreamRequest {
            connection: conn,
            client_address: client_address.clone(),
            rfile: SocketFile::with_capacity(conn, STREAM_BUFFER_SIZE, STREAM_BUFFER_SIZE),
            // A write buffer of one byte (what 0 becomes) sends every
            // non-empty write at once: Python's `wbufsize = 0`.
            wfile: SocketFile::with_capacity(conn, STREAM_BUFFER_SIZE, self.options.wbufsize),
            server: &self.handle,
        };
        if run_handler(
            &mut handler,
            &mut request,
            H::setup,
            H::handle,
            H::finish,
            report,
        ) {
            // Python's StreamRequestHandler.finish ignores a failed flush:
            // the client may be gone.
            let _ = request.wfile.flush();
        }
    }
}
