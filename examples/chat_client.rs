//! The `chat_client` example: the half-duplex chat client of documents 003 and 001.
//! The program is in `programs/chat_client.rs`, which the tour runs too.
//!
//! Run: `cargo run --example chat_server`, then `cargo run --example chat_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::chat_client::main()
}
