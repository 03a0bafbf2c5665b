"""Document 001's UDP client, rebuilt from the document's prose (its code is
lost) exactly as examples/udp_client.rs rebuilds it.

Usage: python3 udp_client.py [HOST [PORT]] (defaults 127.0.0.1 8888).
"""
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8888

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    data = input('Please input data:')
    if not data:
        break
    s.sendto(data.encode(), (HOST, PORT))
    reply, addr = s.recvfrom(1024)
    print('Received from {}: {}'.format(addr, reply.decode()))
s.close()
