//! The `threaded_server` example: document 004's threaded server.
//! The program is in `programs/threaded_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example threaded_server`, then `cargo run --example threaded_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::threaded_server::main()
}
