"""Document 002's client.py, ported to Python 3 (bytes on the wire; the
document's `except socket.errno, e` becomes `except socket.error as e`).

Usage: python3 echo_client.py [HOST [PORT]] (defaults localhost 5000).
"""
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else 'localhost'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
BUFFER_SIZE = 1024

# 创建客户端套接字
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 连接到服务器
sock.connect((HOST, PORT))
try:
    message = "Hello"
    # 发起数据给服务器
    sock.sendall(message.encode())
    amount_received = 0
    amount_expected = len(message)
    while amount_received < amount_expected:
        # 接收服务器返回的数据
        data = sock.recv(10)
        amount_received += len(data)
        print('Client Received: {}'.format(data.decode()))
except socket.error as e:
    print('Socket error: {}'.format(e))
except Exception as e:
    print('Other exception: {}'.format(e))
finally:
    print('Closing connection to the server')
    sock.close()
