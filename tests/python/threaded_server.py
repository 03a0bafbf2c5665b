"""Document 004's Socket_server.py, ported to Python 3 (bytes on the wire).

Usage: python3 threaded_server.py [HOST [PORT]] (defaults "" 21567).
"""
from socket import *
from time import ctime
import sys
import threading
HOST = sys.argv[1] if len(sys.argv) > 1 else ""
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 21567
BUFSIZE = 1024
ADDR = (HOST, PORT)
def msgHandler(conn_socket, addr):
    """
    对消息进行处理
    """
    print("connected from :", addr)
    while True:
        data = conn_socket.recv(BUFSIZE)
        if not data:
            break
        conn_socket.send(("[%s] %s" % (ctime(), data.decode())).encode())
    conn_socket.close()
    print(addr, "---closed")

def main():
    """
    tcpServerSocket Demo
    """
    tcpSocket = socket(AF_INET, SOCK_STREAM)
    tcpSocket.bind(ADDR)
    tcpSocket.listen(5)
    try:
        while True:
            print("waiting for connection...")
            connSock, addr = tcpSocket.accept()
            print(connSock, addr)
            thread = threading.Thread(target=msgHandler, args=(connSock, addr))
            thread.start()
    except Exception as e:
        tcpSocket.close()

if __name__ == "__main__":
    main()
