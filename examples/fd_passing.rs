//! The `fd_passing` example: a parent hands its listening socket to a worker
//! process with `send_fds`, as pre-forking servers and socket activation do.
//! The program is in `programs/fd_passing.rs`, which the tour runs too.
//!
//! Run: `cargo run --example fd_passing`.

mod common;
mod programs;

fn main() -> Result<(), common::Failure> {
    programs::fd_passing::main()
}
