//! The `select_chat_server` example: the chat of documents 001 and 003, full duplex on one thread with a `Selector`.
//! The program is in `programs/select_chat_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example select_chat_server`, then `cargo run --example chat_client` in two or more terminals.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::select_chat_server::main()
}
