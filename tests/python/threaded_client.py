"""Document 004's Socket_client.py, ported to Python 3 (bytes on the wire).

Usage: python3 threaded_client.py [HOST [PORT]] (defaults 10.67.0.134 21567,
the document's own server).
"""
from socket import *
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "10.67.0.134"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 21567
BUFSIZE = 1024
ADDR = (HOST, PORT)
def main():
    """
    tcpClientSocket Demo
    """
    tcpSocket = socket(AF_INET, SOCK_STREAM)
    tcpSocket.connect(ADDR)
    while True:
        data = input("请输入信息:")
        if not data:
            break
        tcpSocket.send(data.encode())
        data = tcpSocket.recv(BUFSIZE)
        if not data:
            break
        print("from sever message:", data.decode())
    tcpSocket.close()

if __name__ == "__main__":
    main()
