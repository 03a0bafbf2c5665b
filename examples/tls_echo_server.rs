//! The `tls_echo_server` example: document 002's echo server over TLS.
//! The program is in `programs/tls_echo_server.rs`, which the tour runs too.
//!
//! Run: `cargo run --example tls_echo_server`, then `cargo run --example tls_echo_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::tls_echo_server::main()
}
