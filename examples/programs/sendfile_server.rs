//! A file server on HTTP/1.0, as Python's `http.server` answers a `GET`:
//! the status line and headers with `sendall`, then the file with
//! `sock.sendfile(file)`, which copies it from the page cache to the socket
//! inside the kernel. Not from a seed document: the example of
//! `Socket::sendfile`.
//!
//! Run: `cargo run --example sendfile_server -- --file README.md`, then
//! `curl -O http://127.0.0.1:8000/README.md` (or Python's
//! `urllib.request.urlopen`).

use crate::common;

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use pysocket::{create_server, Address, Socket};

/// The longest request head read: a `GET` line and a few headers.
const MAX_HEAD: usize = 8 << 10;
/// How long a client may take to ask, and to take the file.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The example's `main`: its flags, then the server.
pub fn main() -> Result<(), common::Failure> {
    let me = std::env::current_exe()?;
    let me = me.to_string_lossy();
    let args = common::Args::parse(
        "File server on HTTP/1.0 (not from a seed document): answers every GET of / or of\n\
         the file's name with the file, sent with Socket::sendfile (Python's sock.sendfile).",
        &[
            ("host", "127.0.0.1", "address to bind"),
            ("port", "8000", "port to listen on (Python's http.server's)"),
            ("file", &*me, "the file to serve (by default this program)"),
        ],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");
    let path = Path::new(args.text("file"));
    let size = std::fs::metadata(path)?.len();

    let server = create_server((host.as_str(), port))?;
    let port = server.getsockname()?.port().unwrap_or(port);
    println!(
        "Serving {} ({size} bytes) on http://{host}:{port}/{} ...",
        path.display(),
        file_name(path)
    );
    loop {
        let (conn, addr) = server.accept()?;
        conn.settimeout(Some(CLIENT_TIMEOUT))?;
        if let Err(e) = serve(&conn, &addr, path, io::stdout()) {
            eprintln!("{addr}: {e}"); // one client's failure does not stop the server
        }
    }
}

/// One connection: reads the request, answers it, and logs it as
/// `http.server` does (`127.0.0.1 - "GET / HTTP/1.1" 200 1234`, the bytes
/// `sendfile` sent). Returns the bytes of the file sent.
pub fn serve(
    conn: &Socket,
    addr: &Address,
    path: &Path,
    mut log: impl Write,
) -> pysocket::Result<u64> {
    let head = read_head(conn)?;
    let request = head.lines().next().unwrap_or_default().to_string();
    let mut words = request.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let wanted = target == "/" || target.strip_prefix('/') == Some(&*file_name(path));
    let (status, sent) = match method {
        "GET" | "HEAD" if wanted => {
            let file = File::open(path)?;
            let size = file.metadata()?.len();
            conn.sendall(
                format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\
                     Content-Length: {size}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )?;
            // sock.sendfile(file): the whole file, without a copy in user space.
            let sent = if method == "GET" {
                conn.sendfile(&file, 0, None)?
            } else {
                0
            };
            (200, sent)
        }
        "GET" | "HEAD" => (error(conn, 404, "Not Found")?, 0),
        _ => (error(conn, 501, "Unsupported method")?, 0),
    };
    conn.shutdown(pysocket::Shutdown::Write)?;
    writeln!(
        log,
        "{} - \"{request}\" {status} {sent}",
        addr.ip()
            .map_or_else(|| addr.to_string(), |ip| ip.to_string())
    )?;
    Ok(sent)
}

/// The request's head, up to the blank line that ends it.
fn read_head(conn: &Socket) -> pysocket::Result<String> {
    let mut head = Vec::new();
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        if head.len() > MAX_HEAD {
            return Err(pysocket::Error::InvalidArgument(
                "request head too long".into(),
            ));
        }
        let data = conn.recv(1024)?;
        if data.is_empty() {
            break; // the client stopped asking: answer what came
        }
        head.extend_from_slice(&data);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// An error answer with a one-line body; returns its status.
fn error(conn: &Socket, status: u16, reason: &str) -> pysocket::Result<u16> {
    let body = format!("{status} {reason}\n");
    conn.sendall(
        format!(
            "HTTP/1.0 {status} {reason}\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )?;
    Ok(status)
}

/// The name the file is served under, besides `/`.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}

/// The client the tour runs against the server: `GET /name` with a plain
/// socket, the status line and the body back.
pub fn fetch(host: &str, port: u16, name: &str) -> pysocket::Result<(String, Vec<u8>)> {
    let sock = pysocket::create_connection((host, port), Some(CLIENT_TIMEOUT))?;
    sock.sendall(format!("GET /{name} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n").as_bytes())?;
    let mut response = Vec::new();
    loop {
        let data = sock.recv(64 << 10)?;
        if data.is_empty() {
            break;
        }
        response.extend_from_slice(&data);
    }
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| pysocket::Error::InvalidArgument("no end of the response head".into()))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.lines().next().unwrap_or_default().to_string();
    Ok((status, response[split + 4..].to_vec()))
}
