//! The `echo_client` example: document 002's echo client.
//! The program is in `programs/echo_client.rs`, which the tour runs too.
//!
//! Run: `cargo run --example echo_server`, then `cargo run --example echo_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::echo_client::main()
}
