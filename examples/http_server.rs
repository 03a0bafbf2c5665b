//! The `http_server` example: a static-file HTTP/1.1 server after Python's
//! `http.server`, on `pysocket::server`.
//! The program is in `programs/http_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example http_server -- 8000 --bind 127.0.0.1`, then
//! `curl http://127.0.0.1:8000/` (or open it in a browser).

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::http_server::main()
}
