//! The `tls_echo_client` example: document 002's echo client over TLS.
//! The program is in `programs/tls_echo_client.rs`, which the tour runs too.
//!
//! Run: `cargo run --example tls_echo_server`, then `cargo run --example tls_echo_client`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::tls_echo_client::main()
}
