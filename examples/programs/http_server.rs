//! A static-file HTTP/1.1 server after Python's `http.server`
//! (`python3 -m http.server --protocol HTTP/1.1`): `SimpleHTTPRequestHandler`
//! on a `ThreadingTcpServer`, method for method. Each connection gets a
//! thread, which reads requests from `request.rfile` and answers them on
//! `request.wfile` for as long as the client keeps the connection open
//! (keep-alive); file bodies go out with `Socket::sendfile`. Not from a seed
//! document: the example of `pysocket::server` talking to real clients
//! (browsers, `curl`, Python's `urllib`).
//!
//! What it does, as Python's does: `GET` and `HEAD` of files (with
//! `Content-type`, `Content-Length`, `Last-Modified`), an HTML listing of a
//! directory without `index.html`, a `301` from `/dir` to `/dir/`, `404`,
//! `501` for other methods, `400` for a malformed request line, `414` for one
//! over 64 KiB, `431` for too long or too many header lines. Request paths
//! cannot leave the directory (`..`, percent-encoded or not, is dropped).
//! Where it differs: a connection silent for `--timeout` seconds is closed
//! (Python waits for ever); every answer says whether the connection stays
//! open; a request with a body is answered and then the connection closed
//! (Python would read the body as the next request); a garbled request
//! line is answered with a status line (Python answers it as HTTP/0.9,
//! with the error page alone); types come from a small table (Python asks
//! `mimetypes`), the log's times are UTC, and `If-Modified-Since` is not
//! looked at (Python may answer `304`).
//!
//! Run: `cargo run --example http_server -- 8000 --bind 127.0.0.1 --directory .`,
//! then open <http://127.0.0.1:8000/>, or `curl -O http://127.0.0.1:8000/README.md`.

use crate::common;

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pysocket::server::{
    HandlerResult, RequestHandler, ServerOptions, StreamRequest, ThreadingTcpServer,
    DEFAULT_POLL_INTERVAL,
};
use pysocket::{
    getaddrinfo_with, AddrInfoFlags, AddrInfoHints, Address, Family, SocketFile, ToAddress,
    AF_INET6, IPPROTO_IPV6, IPV6_V6ONLY, SOCK_STREAM,
};

/// The version answered with: Python's `protocol_version`, set to HTTP/1.1 so
/// that connections stay open between requests.
const PROTOCOL_VERSION: &str = "HTTP/1.1";
/// The `Server` header: Python's `server_version` and `sys_version`.
const SERVER_VERSION: &str = concat!("SimpleHTTP/0.6 pysocket/", env!("CARGO_PKG_VERSION"));
/// The longest request or header line: Python reads `readline(65537)` and
/// refuses what is longer than 65536 bytes (`http.client._MAXLINE`).
const MAX_LINE: usize = 65536;
/// At most this many header lines, the blank one included
/// (`http.client._MAXHEADERS`).
const MAX_HEADERS: usize = 100;
/// How much of a file one `sendfile` is asked for: each piece gets the
/// connection's timeout afresh, so the timeout bounds a stalled client, not
/// the whole download.
const COPY_CHUNK: u64 = 1 << 20;
/// How long a connection may stay silent (`--timeout`).
const DEFAULT_TIMEOUT: &str = "30";

/// The example's `main`: Python's `http.server` command line, then the server.
pub fn main() -> Result<(), common::Failure> {
    let flags = Flags::parse();
    let (family, address) = best_family(flags.bind.as_deref(), flags.port)?;
    let directory: Arc<Path> = flags.directory.into();
    let httpd = http_server(address, family, flags.timeout, move || {
        SimpleHttpRequestHandler::new(Arc::clone(&directory), io::stderr())
    })?;
    let bound = httpd.server_address();
    let host = bound
        .ip()
        .map_or_else(|| bound.to_string(), |ip| ip.to_string());
    let port = bound.port().unwrap_or_default();
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    println!("Serving HTTP on {host} port {port} (http://{url_host}:{port}/) ...");
    httpd.serve_forever(DEFAULT_POLL_INTERVAL)?;
    Ok(())
}

/// Python's `_get_best_family(bind, port)`: the first address `getaddrinfo`
/// gives to bind to; with no `bind`, the wildcard (`::` where the machine
/// has IPv6).
fn best_family(bind: Option<&str>, port: u16) -> pysocket::Result<(Family, Address)> {
    let hints = AddrInfoHints {
        kind: SOCK_STREAM,
        flags: AddrInfoFlags::PASSIVE,
        ..AddrInfoHints::default()
    };
    let infos = getaddrinfo_with(bind, Some(&port.to_string()), &hints)?;
    let first = infos.into_iter().next().ok_or_else(|| {
        pysocket::Error::InvalidArgument(format!("no address to bind for {bind:?}"))
    })?;
    Ok((first.family, first.address))
}

/// Python's `ThreadingHTTPServer` (and `http.server`'s `DualStackServer`):
/// a thread per connection, `SO_REUSEADDR`, and on IPv6 a socket that takes
/// IPv4 clients too, bound to `address` of `family`. Each connection's
/// handler comes from `handler`.
pub fn http_server<W: Write + 'static>(
    address: impl ToAddress,
    family: Family,
    timeout: Duration,
    handler: impl Fn() -> SimpleHttpRequestHandler<W> + Send + Sync + 'static,
) -> pysocket::Result<ThreadingTcpServer<SimpleHttpRequestHandler<W>>> {
    let options = ServerOptions::new()
        .address_family(family)
        .allow_reuse_address(true) // HTTPServer.allow_reuse_address = 1
        .timeout(Some(timeout)) // idle keep-alive connections end
        .disable_nagle_algorithm(true) // headers and body are two sends
        .bind_and_activate(false);
    let httpd = ThreadingTcpServer::with_options(address, handler, options)?;
    if family == AF_INET6 {
        // DualStackServer.server_bind: "ensure dual-stack is not disabled".
        let _ = httpd.socket().setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 0);
    }
    httpd.server_bind()?;
    httpd.server_activate()?;
    Ok(httpd)
}

/// What `send_head` gives `do_GET` to copy to the client: Python's `f`, an
/// open file or the listing's bytes (`io.BytesIO`).
enum Body {
    File(File, u64),
    Listing(Vec<u8>),
}

/// Python's `SimpleHTTPRequestHandler`: serves `directory` to one
/// connection, logging each request to `log` (Python's `sys.stderr`).
pub struct SimpleHttpRequestHandler<W> {
    directory: Arc<Path>,
    log: W,
    /// `self.client_address[0]`, as the log shows it.
    client: String,
    /// Whether the connection ends after this request.
    close_connection: bool,
    /// The request line without its line ending, for the log.
    requestline: String,
    command: String,
    path: String,
    request_version: String,
    /// The request's headers (name, value), in the order received.
    headers: Vec<(String, String)>,
    /// The status line and headers, until `end_headers` writes them.
    headers_buffer: Vec<u8>,
}

impl<W: Write> SimpleHttpRequestHandler<W> {
    /// A handler serving the files under `directory`.
    pub fn new(directory: Arc<Path>, log: W) -> SimpleHttpRequestHandler<W> {
        SimpleHttpRequestHandler {
            directory,
            log,
            client: String::new(),
            close_connection: true,
            requestline: String::new(),
            command: String::new(),
            path: String::new(),
            request_version: String::new(),
            headers: Vec::new(),
            headers_buffer: Vec::new(),
        }
    }

    /// Python's `handle_one_request`: read and parse one request, then call
    /// the method for its command. Errors are those of the connection (the
    /// client's timeout among them); a bad request is answered, not an error.
    fn handle_one_request(&mut self, request: &mut StreamRequest<'_>) -> io::Result<()> {
        let raw_requestline = request.rfile.readline(MAX_LINE + 1)?;
        if raw_requestline.len() > MAX_LINE {
            self.requestline.clear();
            self.request_version.clear();
            self.command.clear();
            return self.send_error(request, 414, None, None);
        }
        if raw_requestline.is_empty() {
            self.close_connection = true; // the client has closed
            return Ok(());
        }
        if !self.parse_request(request, &raw_requestline)? {
            return Ok(()); // an error has been sent
        }
        match self.command.as_str() {
            "GET" => self.do_get(request),
            "HEAD" => self.do_head(request),
            command => {
                let message = format!("Unsupported method ({})", repr(command));
                self.send_error(request, 501, Some(&message), None)
            }
        }
    }

    /// Python's `parse_request`: the request line, then the headers. Returns
    /// `false` after sending an error.
    fn parse_request(
        &mut self,
        request: &mut StreamRequest<'_>,
        raw_requestline: &[u8],
    ) -> io::Result<bool> {
        self.command.clear();
        // Unknown until the line is parsed. Python starts from "HTTP/0.9",
        // and so answers a garbled line without a status line; answering
        // with one tells the client what went wrong.
        self.request_version.clear();
        self.close_connection = true;
        let requestline = latin1(raw_requestline);
        self.requestline = requestline.trim_end_matches(['\r', '\n']).to_string();
        let requestline = self.requestline.clone();
        let words: Vec<&str> = requestline.split_whitespace().collect();
        if words.is_empty() {
            return Ok(false);
        }
        if words.len() >= 3 {
            let version = words[words.len() - 1];
            self.request_version = version.to_string();
            let Some((major, minor)) = http_version(version) else {
                let message = format!("Bad request version ({})", repr(version));
                self.send_error(request, 400, Some(&message), None)?;
                return Ok(false);
            };
            if (major, minor) >= (1, 1) {
                self.close_connection = false;
            }
            if major >= 2 {
                let message = format!("Invalid HTTP version ({major}.{minor})");
                self.send_error(request, 505, Some(&message), None)?;
                return Ok(false);
            }
        }
        if !(2..=3).contains(&words.len()) {
            let message = format!("Bad request syntax ({})", repr(&requestline));
            self.send_error(request, 400, Some(&message), None)?;
            return Ok(false);
        }
        let (command, path) = (words[0], words[1]);
        if words.len() == 2 {
            self.request_version = "HTTP/0.9".to_string();
            self.close_connection = true;
            if command != "GET" {
                let message = format!("Bad HTTP/0.9 request type ({})", repr(command));
                self.send_error(request, 400, Some(&message), None)?;
                return Ok(false);
            }
        }
        self.command = command.to_string();
        // gh-87389: `//host` would be taken by clients for another site.
        self.path = if path.starts_with("//") {
            format!("/{}", path.trim_start_matches('/'))
        } else {
            path.to_string()
        };

        if let Err(message) = self.parse_headers(&mut request.rfile)? {
            self.send_error(request, 431, Some(message), None)?;
            return Ok(false);
        }
        let conntype = self.header("Connection").unwrap_or("").to_ascii_lowercase();
        if conntype == "close" {
            self.close_connection = true;
        } else if conntype == "keep-alive" {
            self.close_connection = false;
        }
        // Not in Python: a body this server does not read would be taken for
        // the next request, so the connection ends after the answer.
        let has_body = self.header("Transfer-Encoding").is_some()
            || self
                .header("Content-Length")
                .is_some_and(|len| len.trim() != "0");
        if has_body {
            self.close_connection = true;
        }
        Ok(true)
    }

    /// `http.client.parse_headers`: header lines up to a blank line, each at
    /// most `MAX_LINE` bytes, at most `MAX_HEADERS` of them. The outer error
    /// is the connection's; the inner one says why the headers are refused.
    fn parse_headers(
        &mut self,
        rfile: &mut SocketFile<'_>,
    ) -> io::Result<Result<(), &'static str>> {
        self.headers.clear();
        for count in 1.. {
            let line = rfile.readline(MAX_LINE + 1)?;
            if line.len() > MAX_LINE {
                return Ok(Err("Line too long"));
            }
            if count > MAX_HEADERS {
                return Ok(Err("Too many headers"));
            }
            if matches!(&line[..], b"\r\n" | b"\n" | b"") {
                break;
            }
            if let Some((name, value)) = latin1(&line).split_once(':') {
                self.headers
                    .push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        Ok(Ok(()))
    }

    /// The value of the request's header `name` (`self.headers.get(name)`).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Serves a `GET`: the head, then the file.
    fn do_get(&mut self, request: &mut StreamRequest<'_>) -> io::Result<()> {
        match self.send_head(request)? {
            Some(body) => self.copyfile(body, request),
            None => Ok(()),
        }
    }

    /// Serves a `HEAD`: the same head as a `GET`, and no body.
    fn do_head(&mut self, request: &mut StreamRequest<'_>) -> io::Result<()> {
        self.send_head(request)?;
        Ok(())
    }

    /// Python's `send_head`, common to `GET` and `HEAD`: sends the status
    /// line and headers, and returns the body to send, if any.
    fn send_head(&mut self, request: &mut StreamRequest<'_>) -> io::Result<Option<Body>> {
        let mut path = self.translate_path(&self.path);
        if path.is_dir() {
            let (url_path, query) = split_query(&self.path);
            if !url_path.ends_with('/') {
                // Redirect browsers to the slash form, as Apache does, so
                // that the listing's relative links work.
                let location = format!("{url_path}/{query}");
                self.send_response(301, None);
                self.send_header("Location", &location);
                self.send_header("Content-Length", "0");
                self.end_headers(request)?;
                return Ok(None);
            }
            match ["index.html", "index.htm"]
                .iter()
                .map(|index| path.join(index))
                .find(|index| index.is_file())
            {
                Some(index) => path = index,
                None => return self.list_directory(&path, request),
            }
        }
        let ctype = guess_type(&path);
        // A trailing "/" names a directory: not this file (bpo-17324).
        if path.as_os_str().as_bytes().ends_with(b"/") {
            self.send_error(request, 404, Some("File not found"), None)?;
            return Ok(None);
        }
        let Ok((file, size, modified)) = open_regular_file(&path) else {
            self.send_error(request, 404, Some("File not found"), None)?;
            return Ok(None);
        };
        self.send_response(200, None);
        self.send_header("Content-type", ctype);
        self.send_header("Content-Length", &size.to_string());
        self.send_header("Last-Modified", &date_time_string(modified));
        self.end_headers(request)?;
        Ok(Some(Body::File(file, size)))
    }

    /// Python's `list_directory`: an HTML page linking every entry of `path`,
    /// sorted by name regardless of case, directories with a trailing `/`,
    /// symbolic links with `@`.
    fn list_directory(
        &mut self,
        path: &Path,
        request: &mut StreamRequest<'_>,
    ) -> io::Result<Option<Body>> {
        let Ok(entries) = fs::read_dir(path) else {
            self.send_error(request, 404, Some("No permission to list directory"), None)?;
            return Ok(None);
        };
        let mut list: Vec<OsString> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
            .collect();
        list.sort_by_cached_key(|name| (name.to_string_lossy().to_lowercase(), name.clone()));
        let displaypath = html_escape(&String::from_utf8_lossy(&unquote(&self.path)));
        let title = format!("Directory listing for {displaypath}");
        let mut r = vec![
            "<!DOCTYPE HTML>".to_string(),
            "<html lang=\"en\">".to_string(),
            "<head>".to_string(),
            "<meta charset=\"utf-8\">".to_string(),
            format!("<title>{title}</title>\n</head>"),
            format!("<body>\n<h1>{title}</h1>"),
            "<hr>\n<ul>".to_string(),
        ];
        for name in list {
            let fullname = path.join(&name);
            let mut displayname = name.to_string_lossy().into_owned();
            let mut linkname = name.as_bytes().to_vec();
            if fullname.is_dir() {
                displayname.push('/');
                linkname.push(b'/');
            }
            if fullname.is_symlink() {
                // A link to a directory shows with "@" and links with "/".
                displayname = format!("{}@", name.to_string_lossy());
            }
            r.push(format!(
                "<li><a href=\"{}\">{}</a></li>",
                quote(&linkname),
                html_escape(&displayname)
            ));
        }
        r.push("</ul>\n<hr>\n</body>\n</html>\n".to_string());
        let encoded = r.join("\n").into_bytes();
        self.send_response(200, None);
        self.send_header("Content-type", "text/html; charset=utf-8");
        self.send_header("Content-Length", &encoded.len().to_string());
        self.end_headers(request)?;
        Ok(Some(Body::Listing(encoded)))
    }

    /// Python's `translate_path`: the file a URL path names under the
    /// directory. The query and fragment are dropped, `%XX` escapes decoded,
    /// and `.` and `..` resolved as `posixpath.normpath` does, so that no
    /// path leads out of the directory. A trailing `/` is kept.
    fn translate_path(&self, path: &str) -> PathBuf {
        let (path, _query) = split_query(path);
        let trailing_slash = path.trim_end().ends_with('/');
        let path = unquote(path);
        let mut words: Vec<&[u8]> = Vec::new();
        for word in path.split(|&byte| byte == b'/') {
            match word {
                b"" | b"." => {}
                b".." => {
                    words.pop(); // at the top already: stays there
                }
                word => words.push(word),
            }
        }
        let mut path = self.directory.to_path_buf();
        for word in words {
            path.push(OsStr::from_bytes(word));
        }
        if trailing_slash {
            path.push(""); // appends the "/"
        }
        path
    }

    /// Python's `copyfile` (`shutil.copyfileobj(f, self.wfile)`), with the
    /// file copied by the kernel: `sendfile` on the connection, beside
    /// `wfile`, whose headers must be out first.
    fn copyfile(&mut self, body: Body, request: &mut StreamRequest<'_>) -> io::Result<()> {
        request.wfile.flush()?;
        match body {
            Body::Listing(bytes) => request.wfile.write_all(&bytes),
            Body::File(file, size) => {
                let mut offset = 0;
                while offset < size {
                    let count = (size - offset).min(COPY_CHUNK);
                    let sent = request.connection.sendfile(&file, offset, Some(count))?;
                    if sent == 0 {
                        // Content-Length promised more: only closing tells the client.
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the file shrank while it was being sent",
                        ));
                    }
                    offset += sent;
                }
                Ok(())
            }
        }
    }

    /// Python's `send_error`: an HTML page explaining `code`, and the end of
    /// the connection. `message` defaults to the status's phrase, `explain`
    /// to its description.
    fn send_error(
        &mut self,
        request: &mut StreamRequest<'_>,
        code: u16,
        message: Option<&str>,
        explain: Option<&str>,
    ) -> io::Result<()> {
        let (shortmsg, longmsg) = responses(code);
        let message = message.unwrap_or(shortmsg);
        let explain = explain.unwrap_or(longmsg);
        self.log_error(&format!("code {code}, message {message}"));
        self.close_connection = true; // Python: send_header('Connection', 'close')
        self.send_response(code, Some(message));
        let body = format!(
            "<!DOCTYPE HTML>\n\
             <html lang=\"en\">\n    \
             <head>\n        \
             <meta charset=\"utf-8\">\n        \
             <title>Error response</title>\n    \
             </head>\n    \
             <body>\n        \
             <h1>Error response</h1>\n        \
             <p>Error code: {code}</p>\n        \
             <p>Message: {}.</p>\n        \
             <p>Error code explanation: {code} - {}.</p>\n    \
             </body>\n\
             </html>\n",
            html_escape(message),
            html_escape(explain)
        );
        self.send_header("Content-Type", "text/html;charset=utf-8");
        self.send_header("Content-Length", &body.len().to_string());
        self.end_headers(request)?;
        if self.command != "HEAD" {
            request.wfile.write_all(body.as_bytes())?;
        }
        Ok(())
    }

    /// Python's `send_response`: logs the request, then buffers the status
    /// line and the `Server` and `Date` headers. Unlike Python it always
    /// says whether the connection stays open, so that HTTP/1.0 clients
    /// that asked to keep it know they may, and HTTP/1.1 clients know when
    /// it ends.
    fn send_response(&mut self, code: u16, message: Option<&str>) {
        self.log_request(code);
        self.send_response_only(code, message);
        self.send_header("Server", SERVER_VERSION);
        self.send_header("Date", &date_time_string(SystemTime::now()));
        let connection = if self.close_connection {
            "close"
        } else {
            "keep-alive"
        };
        self.send_header("Connection", connection);
    }

    /// Python's `send_response_only`: the status line, into the buffer (an
    /// HTTP/0.9 request gets no status line and no headers).
    fn send_response_only(&mut self, code: u16, message: Option<&str>) {
        if self.request_version != "HTTP/0.9" {
            let message = message.unwrap_or(responses(code).0);
            let line = format!("{PROTOCOL_VERSION} {code} {message}\r\n");
            self.headers_buffer.extend(latin1_bytes(&line));
        }
    }

    /// Python's `send_header`: one header line, into the buffer.
    fn send_header(&mut self, keyword: &str, value: &str) {
        if self.request_version != "HTTP/0.9" {
            let line = format!("{keyword}: {value}\r\n");
            self.headers_buffer.extend(latin1_bytes(&line));
        }
    }

    /// Python's `end_headers` and `flush_headers`: the blank line, then the
    /// whole head in one write.
    fn end_headers(&mut self, request: &mut StreamRequest<'_>) -> io::Result<()> {
        if self.request_version != "HTTP/0.9" {
            self.headers_buffer.extend(b"\r\n");
        }
        request.wfile.write_all(&self.headers_buffer)?;
        self.headers_buffer.clear();
        Ok(())
    }

    /// Python's `log_request`: `"GET / HTTP/1.1" 200 -`.
    fn log_request(&mut self, code: u16) {
        let message = format!("\"{}\" {code} -", self.requestline);
        self.log_message(&message);
    }

    /// Python's `log_error`.
    fn log_error(&mut self, message: &str) {
        self.log_message(message);
    }

    /// Python's `log_message`: `127.0.0.1 - - [02/Nov/2026 09:05:00] ...`,
    /// with control characters escaped, so that a request cannot drive the
    /// terminal. The time is UTC (Python's is local time).
    fn log_message(&mut self, message: &str) {
        let mut escaped = String::with_capacity(message.len());
        for c in message.chars() {
            match c {
                '\\' => escaped.push_str("\\\\"),
                '\0'..='\x1f' | '\x7f'..='\u{9f}' => {
                    escaped.push_str(&format!("\\x{:02x}", u32::from(c)));
                }
                c => escaped.push(c),
            }
        }
        let now = Utc::from(SystemTime::now());
        let line = format!(
            "{} - - [{:02}/{}/{:04} {:02}:{:02}:{:02}] {escaped}\n",
            self.client,
            now.day,
            MONTHS[now.month - 1],
            now.year,
            now.hour,
            now.minute,
            now.second
        );
        // One write, so that the lines of threads logging at once do not mix
        // (`writeln!` writes piece by piece).
        let _ = self.log.write_all(line.as_bytes());
    }
}

impl<W: Write> RequestHandler for SimpleHttpRequestHandler<W> {
    /// Python's `handle`: requests one after another until one ends the
    /// connection. A client silent for the server's timeout ends it too.
    fn handle(&mut self, request: &mut StreamRequest<'_>) -> HandlerResult {
        let address = &request.client_address;
        self.client = address
            .ip()
            .map_or_else(|| address.to_string(), |ip| ip.to_string());
        loop {
            match self.handle_one_request(request) {
                Ok(()) if self.close_connection => return Ok(()),
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                    self.log_error(&format!("Request timed out: {err}"));
                    return Ok(());
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
}

/// The major and minor numbers of `HTTP/x.y`, as Python checks them: two
/// numbers of at most 10 digits each.
fn http_version(version: &str) -> Option<(u64, u64)> {
    let (major, minor) = version.strip_prefix("HTTP/")?.split_once('.')?;
    let number = |digits: &str| {
        let ok =
            !digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| digits.parse().ok()).flatten()
    };
    Some((number(major)?, number(minor)?))
}

/// The path of a URL and what follows it (`?query`, `#fragment`), as
/// `urllib.parse.urlsplit` parts them.
fn split_query(url: &str) -> (&str, &str) {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url.split_at(end)
}

/// Opens `path` for `sendfile` if it is a regular file: (the file, its size,
/// its modification time). Opened without blocking, so that a FIFO in the
/// directory cannot hold the thread.
fn open_regular_file(path: &Path) -> io::Result<(File, u64, SystemTime)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let fs = file.metadata()?;
    if !fs.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((file, fs.len(), fs.modified()?))
}

/// Python's `guess_type`: the type of a file by its extension (a small
/// table here, where Python asks `mimetypes`), `application/octet-stream`
/// for the others.
fn guess_type(path: &Path) -> &'static str {
    const TYPES: [(&str, &str); 16] = [
        ("html", "text/html"),
        ("htm", "text/html"),
        ("txt", "text/plain"),
        ("css", "text/css"),
        ("js", "text/javascript"),
        ("json", "application/json"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("svg", "image/svg+xml"),
        ("pdf", "application/pdf"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("bz2", "application/x-bzip2"),
        ("xz", "application/x-xz"),
    ];
    let ext = path
        .extension()
        .map(|ext| ext.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    TYPES
        .iter()
        .find(|(known, _)| *known == ext)
        .map_or("application/octet-stream", |(_, ctype)| ctype)
}

/// The status phrase and description of `code` (Python's `responses`, from
/// `http.HTTPStatus`).
fn responses(code: u16) -> (&'static str, &'static str) {
    match code {
        200 => ("OK", "Request fulfilled, document follows"),
        301 => (
            "Moved Permanently",
            "Object moved permanently -- see URI list",
        ),
        400 => (
            "Bad Request",
            "Bad request syntax or unsupported method",
        ),
        404 => ("Not Found", "Nothing matches the given URI"),
        414 => ("Request-URI Too Long", "URI is too long"),
        431 => (
            "Request Header Fields Too Large",
            "The server is unwilling to process the request because its header fields are too large",
        ),
        501 => ("Not Implemented", "Server does not support this operation"),
        505 => ("HTTP Version Not Supported", "Cannot fulfill request"),
        _ => ("???", "???"),
    }
}

/// Python's `urllib.parse.unquote` to bytes: each `%XX` becomes its byte,
/// anything else (a `%` without two hex digits too) stays as it is.
fn unquote(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Python's `urllib.parse.quote`: every byte but letters, digits, `_.-~`
/// and `/` as `%XX`.
fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Python's `html.escape(text, quote=False)`.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Python's `repr` of a string, as the error messages quote what the client
/// sent: in single quotes, with backslashes, quotes and control characters
/// escaped.
fn repr(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '\0'..='\x1f' | '\x7f'..='\u{a0}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Bytes as ISO-8859-1 text (`str(raw, 'iso-8859-1')`): every byte is one
/// character, so nothing a client sends fails to decode.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}

/// Text as ISO-8859-1 bytes, as Python encodes the head (`'latin-1'`);
/// characters past U+00FF, which requests cannot bring, become `?`.
fn latin1_bytes(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Python's `date_time_string` (`email.utils.formatdate(t, usegmt=True)`):
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn date_time_string(time: SystemTime) -> String {
    let t = Utc::from(time);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[t.weekday],
        t.day,
        MONTHS[t.month - 1],
        t.year,
        t.hour,
        t.minute,
        t.second
    )
}

/// A time in UTC, as `time.gmtime` splits it (times before 1970 count as 1970).
struct Utc {
    year: i64,
    month: usize,
    day: i64,
    hour: u64,
    minute: u64,
    second: u64,
    /// 0 for Monday, as Python's `tm_wday`.
    weekday: usize,
}

impl From<SystemTime> for Utc {
    fn from(time: SystemTime) -> Utc {
        let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let days = (secs / 86400) as i64;
        // Howard Hinnant's civil_from_days: the date of a day count, in
        // eras of 400 years that start on 1 March.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            year,
            month: month as usize,
            day,
            hour: secs % 86400 / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
            weekday: (days + 3).rem_euclid(7) as usize, // 1970-01-01 was a Thursday
        }
    }
}

/// The command line, as `python3 -m http.server` takes it:
/// `[port] [--bind ADDRESS] [--directory DIR]`, and `--timeout`.
struct Flags {
    port: u16,
    bind: Option<String>,
    directory: PathBuf,
    timeout: Duration,
}

impl Flags {
    /// Parses `std::env::args()`; `--help` prints the usage and exits 0, a
    /// bad argument is a one-line error and exit status 2.
    fn parse() -> Flags {
        let mut port = None;
        let mut bind = None;
        let mut directory = None;
        let mut timeout = DEFAULT_TIMEOUT.to_string();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if arg.starts_with("--") => (flag.to_string(), Some(value)),
                _ => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .map(str::to_string)
                    .or_else(|| args.next())
                    .unwrap_or_else(|| common::fail(&format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => {
                    println!("{HELP}");
                    std::process::exit(0);
                }
                "-b" | "--bind" => bind = Some(value()),
                "-d" | "--directory" => directory = Some(PathBuf::from(value())),
                "--timeout" => timeout = value(),
                flag if flag.starts_with('-') => {
                    common::fail(&format!("unknown flag {flag} (try --help)"))
                }
                _ if port.is_none() => {
                    port = Some(arg.parse::<u16>().unwrap_or_else(|_| {
                        common::fail(&format!("bad port {arg:?} (0 to 65535)"))
                    }));
                }
                _ => common::fail(&format!("unexpected argument {arg:?} (try --help)")),
            }
        }
        let timeout = timeout
            .parse()
            .ok()
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .filter(|timeout| !timeout.is_zero())
            .unwrap_or_else(|| {
                common::fail(&format!(
                    "--timeout must be a positive number of seconds, not {timeout:?}"
                ))
            });
        let directory = match directory {
            Some(directory) => directory,
            None => std::env::current_dir()
                .unwrap_or_else(|e| common::fail(&format!("no current directory: {e}"))),
        };
        if !directory.is_dir() {
            common::fail(&format!("{} is not a directory", directory.display()));
        }
        Flags {
            port: port.unwrap_or(8000),
            bind,
            directory,
            timeout,
        }
    }
}

const HELP: &str = "\
A static-file HTTP/1.1 server after Python's http.server (python3 -m http.server),
on pysocket::server (not from a seed document): GET and HEAD of files and
directory listings, connections kept open between requests, files sent with
Socket::sendfile.

Usage: http_server [port] [--bind ADDRESS] [--directory DIR] [--timeout SECONDS]

Arguments:
  port                  bind to this port (default: 8000; 0: the system picks)

Options:
  -b, --bind ADDRESS    bind to this address (default: all interfaces)
  -d, --directory DIR   serve this directory (default: current directory)
  --timeout SECONDS     close a connection silent for this long (default: 30)
  -h, --help            print this help";

/// A response read by [`get`]: the status line, the headers, the body.
pub struct Response {
    pub status: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The client the tour runs: `GET path` on a connection kept open, read
/// through `file` (the connection's `makefile()`), the response read by its
/// `Content-Length` so that the connection can carry the next request.
pub fn get(file: &mut SocketFile<'_>, host: &str, path: &str) -> io::Result<Response> {
    write!(file, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n")?;
    file.flush()?;
    let mut status = String::new();
    file.read_text_line(&mut status)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if file.read_text_line(&mut line)? == 0 || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, value)| value.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no Content-Length"))?;
    let mut body = vec![0; length];
    file.read_exact(&mut body)?;
    Ok(Response {
        status: status.trim_end().to_string(),
        headers,
        body,
    })
}
