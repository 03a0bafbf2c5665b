"""Document 001's UDP server, rebuilt from the document's prose (its code is
lost) exactly as examples/udp_server.rs rebuilds it.

Usage: python3 udp_server.py [HOST [PORT]] (defaults 127.0.0.1 8888).
"""
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8888

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((HOST, PORT))
print('UDP server bound to', s.getsockname())
while True:
    data, addr = s.recvfrom(1024)
    print('Received from {}: {}'.format(addr, data.decode()))
    s.sendto(data, addr)
