"""Document 002's client.py over TLS, with Python's ssl module: the Python
equivalent of examples/programs/tls_echo_client.rs.

Usage: python3 tls_echo_client.py HOST PORT CAFILE [MESSAGE]
"""
import socket
import ssl
import sys

HOST = sys.argv[1]
PORT = int(sys.argv[2])
CAFILE = sys.argv[3]
MESSAGE = sys.argv[4] if len(sys.argv) > 4 else 'Hello'

context = ssl.create_default_context(cafile=CAFILE)
# 创建客户端套接字
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 连接到服务器
sock.connect((HOST, PORT))
try:
    sock = context.wrap_socket(sock, server_hostname=HOST)  # the TLS handshake
    # 发起数据给服务器
    sock.sendall(MESSAGE.encode())
    amount_received = 0
    amount_expected = len(MESSAGE.encode())
    while amount_received < amount_expected:
        # 接收服务器返回的数据
        data = sock.recv(10)
        if not data:
            raise ConnectionError('the server closed the connection')
        amount_received += len(data)
        print('Client Received: {}'.format(data.decode()))
except socket.error as e:
    print('Socket error: {}'.format(e))
finally:
    print('Closing connection to the server')
    sock.close()
