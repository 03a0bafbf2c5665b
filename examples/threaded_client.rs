//! The `threaded_client` example: document 004's threaded client.
//! The program is in `programs/threaded_client.rs`, which the tour runs too.
//!
//! Run: `cargo run --example threaded_server`, then `cargo run --example threaded_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::threaded_client::main()
}
