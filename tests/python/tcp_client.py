"""Document 000's TCP client, ported to Python 3 (bytes on the wire).

Usage: python3 tcp_client.py [HOST [PORT]] (defaults 127.0.0.1 8001).
"""
import socket
import sys

if __name__ == '__main__':
    HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8001

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # 创建 Socket 连接
    sock.connect((HOST, PORT))  # 连接服务器
    while True:
        data = input('Please input data:')
        if not data:
            break
        try:
            sock.sendall(data.encode())
        except socket.error as e:
            print('Send Failed...', e)
            sys.exit(0)
        print('Send Successfully')

        res = sock.recv(4096)  # 获取服务器返回的数据,还可以用 recvfrom()、recv_into() 等
        print(res.decode())
    sock.close()
