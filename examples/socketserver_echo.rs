//! The `socketserver_echo` example: document 002's echo server on `pysocket::server`.
//! The program is in `programs/socketserver_echo.rs`, which the tour runs too.
//!
//! Run: `cargo run --example socketserver_echo`, then `cargo run --example echo_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::socketserver_echo::main()
}
