//! The `chat_server` example: the half-duplex chat server of documents 003 and 001.
//! The program is in `programs/chat_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example chat_server`, then `cargo run --example chat_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::chat_server::main()
}
