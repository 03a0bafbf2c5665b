//! The seed documents' programs, one module each. Every example binary runs
//! one of them (its `main`), and the tour runs them all in one process,
//! calling the functions that hold each document's conversation.
#![allow(dead_code)]

pub mod chat_client;
pub mod chat_server;
pub mod echo_client;
pub mod echo_server;
pub mod fd_passing;
pub mod http_server;
pub mod select_chat_server;
pub mod sendfile_server;
pub mod socketserver_echo;
pub mod tcp_client;
pub mod tcp_server;
pub mod threaded_client;
pub mod threaded_server;
#[cfg(feature = "ssl")]
pub mod tls_echo_client;
#[cfg(feature = "ssl")]
pub mod tls_echo_server;
pub mod udp_client;
pub mod udp_server;
