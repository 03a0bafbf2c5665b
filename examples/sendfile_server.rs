//! The `sendfile_server` example: a file server on HTTP/1.0 that sends the
//! file with `Socket::sendfile` (Python's `sock.sendfile`).
//! The program is in `programs/sendfile_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example sendfile_server -- --file README.md`, then
//! `curl -O http://127.0.0.1:8000/README.md`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::sendfile_server::main()
}
