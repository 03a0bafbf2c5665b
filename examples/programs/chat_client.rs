//! The chat client of document 003 ("Python socket 实现服务端和客户端数据传输"),
//! which is also the half-duplex chat of document 001: connect to
//! 127.0.0.1:9999, then take turns: type a message (`发送: `), print the
//! answer (`接收: `). Messages are UTF-8.
//!
//! `q` (or the end of input) ends the chat. The document's client leaves
//! without a word while its server waits for a `q`; this client sends the `q`,
//! so that both the document's server and `chat_server` end the chat cleanly.
//! An empty line is not sent (sending nothing would leave both sides waiting
//! for each other): the prompt comes back.
//!
//! Run: `cargo run --example chat_server`, then `cargo run --example chat_client`.

use crate::common;

use std::io::{BufRead, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    common::run_client(
        "Half-duplex chat client of seed document 003 (\"Python socket 实现服务端和客户端数据传输\")\n\
         and of document 001: type a message, wait for the answer; `q` quits.",
        "9999",
        run,
    )
}

/// The document's program, reading the keyboard from `stdin` and printing to `out`.
pub fn run(
    host: &str,
    port: u16,
    mut stdin: impl BufRead,
    mut out: impl Write,
) -> pysocket::Result<()> {
    let client = Socket::new(AF_INET, SOCK_STREAM)?; // 创建一个 socket 对象
    client.connect((host, port))?; // 连接服务端
    loop {
        // The end of input quits, as `q` does.
        let send_msg = common::input("发送: ", &mut stdin, &mut out)?.unwrap_or_else(|| "q".into());
        if send_msg.is_empty() {
            continue;
        }
        if send_msg == "q" {
            // 设置退出条件: tell the server, which may already be gone
            let _ = client.sendall(b"q");
            break;
        }
        client.sendall(send_msg.as_bytes())?; // 发送数据, 编码
        let msg = client.recv(1024)?; // 接收服务端返回的数据
        if msg.is_empty() {
            break; // the server is gone
        }
        writeln!(out, "接收: {}", String::from_utf8_lossy(&msg))?; // 解码
    }
    client.close() // 关闭客户端
}
