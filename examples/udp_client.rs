//! The `udp_client` example: document 001's UDP client.
//! The program is in `programs/udp_client.rs`, which the tour runs too.
//!
//! Run: `cargo run --example udp_server`, then `cargo run --example udp_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::udp_client::main()
}
