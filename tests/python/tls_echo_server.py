"""Document 002's server.py over TLS, with Python's ssl module: the Python
equivalent of examples/programs/tls_echo_server.rs given --cert and --key
(Python's standard library cannot make certificates).

Usage: python3 tls_echo_server.py HOST PORT CERTFILE [KEYFILE]
"""
import socket
import ssl
import sys

HOST = sys.argv[1]  # 服务器主机地址
PORT = int(sys.argv[2])  # 服务器监听端口
CERTFILE = sys.argv[3]
KEYFILE = sys.argv[4] if len(sys.argv) > 4 else None
BUFFER_SIZE = 2048  # 读取数据大小

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERTFILE, KEYFILE)

# 创建一个套接字
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 绑定主机和端口
sock.bind((HOST, PORT))
# 开启socket监听
sock.listen(5)
print('Server start, listening {}'.format(PORT))

while True:
    # 建立连接,连接为建立的时候阻塞
    conn, addr = sock.accept()
    try:
        conn = context.wrap_socket(conn, server_side=True)  # the TLS handshake
        while True:
            # 读取数据,数据还没到来阻塞
            data = conn.recv(BUFFER_SIZE)
            if len(data):
                print('Server Recv Data: {}'.format(data.decode()))
                conn.sendall(data)
                print('Server Send Data: {}'.format(data.decode()))
            else:
                print('Server Recv Over')
                break
    except OSError as e:  # ssl.SSLError included
        print('Connection error: {}'.format(e), file=sys.stderr)
    conn.close()
