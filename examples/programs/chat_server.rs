//! The chat server of document 003 ("Python socket 实现服务端和客户端数据传输"),
//! which is also the half-duplex chat of document 001: listen on
//! 127.0.0.1:9999, `accept` one client (outside the loop, so the whole chat
//! is one connection), then take turns: print what the client says
//! (`接收: `), type the answer (`发送: `). Messages are UTF-8.
//!
//! The chat ends when the client sends `q` or closes, or when the server's
//! input ends; the server then exits, as in both documents. An empty line is
//! not sent (sending nothing would leave both sides waiting for each other):
//! the prompt comes back.
//!
//! Run: `cargo run --example chat_server`, then `cargo run --example chat_client`.

use crate::common;

use std::io::{self, BufRead, Write};

use pysocket::{Socket, AF_INET, SOCK_STREAM};

/// The example's `main`: its flags, then the program.
pub fn main() -> Result<(), common::Failure> {
    let args = common::Args::parse(
        "Half-duplex chat server of seed document 003 (\"Python socket 实现服务端和客户端数据传输\")\n\
         and of document 001: one client, turns taken, `q` from the client ends the chat.",
        &[("host", "127.0.0.1", "address to bind"), ("port", "9999", "port to bind")],
    );
    let host: String = args.get("host");
    let port: u16 = args.get("port");

    let socket_server = Socket::new(AF_INET, SOCK_STREAM)?; // 创建一个 socket 对象
    socket_server.bind((host.as_str(), port))?; // 绑定地址
    socket_server.listen(5)?; // 设置监听

    // accept() 返回一个元组: 客户端的 socket 对象和地址. It comes before the
    // loop, so the whole chat is this one connection (document 001).
    let (client_socket, _address) = socket_server.accept()?;
    chat(&client_socket, io::stdin().lock(), io::stdout())?;
    socket_server.close()?; // 关闭服务器端
    Ok(())
}

/// The conversation (the document's `while` loop), typing from `stdin`.
pub fn chat(
    client_socket: &Socket,
    mut stdin: impl BufRead,
    mut out: impl Write,
) -> pysocket::Result<()> {
    loop {
        let recvmsg = client_socket.recv(1024)?; // 接收客户端的请求
        let str_data = String::from_utf8_lossy(&recvmsg); // 把接收到的数据进行解码
        if str_data == "q" || recvmsg.is_empty() {
            break; // 设置退出条件 (or the client is gone)
        }
        writeln!(out, "接收: {str_data}")?;
        let msg = loop {
            match common::input("发送: ", &mut stdin, &mut out)? {
                Some(msg) if msg.is_empty() => continue,
                Some(msg) => break msg,
                None => return Ok(()),
            }
        };
        client_socket.sendall(msg.as_bytes())?; // 发送数据, 需要进行编码
    }
    Ok(())
}
