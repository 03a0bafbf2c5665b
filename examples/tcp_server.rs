//! The `tcp_server` example: document 000's TCP server.
//! The program is in `programs/tcp_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example tcp_server`, then `cargo run --example tcp_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::tcp_server::main()
}
