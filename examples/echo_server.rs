//! The `echo_server` example: document 002's echo server.
//! The program is in `programs/echo_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example echo_server`, then `cargo run --example echo_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::echo_server::main()
}
