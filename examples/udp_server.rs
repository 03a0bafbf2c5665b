//! The `udp_server` example: document 001's UDP server.
//! The program is in `programs/udp_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example udp_server`, then `cargo run --example udp_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::udp_server::main()
}
