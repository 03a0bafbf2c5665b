"""CPython's socket module on the ping-pong of benches/compare: 64-byte
messages over loopback TCP with TCP_NODELAY, in blocking mode and in
timeout mode (settimeout), timed per round trip on the client.

The echo side runs in a forked process, so the GIL is not shared between
the two sides (in the Rust bench they are two threads of one process).

    python3 benches/python/pingpong.py [ROUND_TRIPS] [ROUNDS]
"""

import os
import socket
import statistics
import sys
import time

MSG = 64


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def run(count, timeout):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    pid = os.fork()
    if pid == 0:
        try:
            conn, _ = server.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(timeout)
            for _ in range(count):
                conn.sendall(recv_exact(conn, MSG))
        finally:
            os._exit(0)
    client = socket.create_connection(server.getsockname())
    server.close()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.settimeout(timeout)
    msg = b"x" * MSG
    start = time.perf_counter()
    for _ in range(count):
        client.sendall(msg)
        recv_exact(client, MSG)
    elapsed = time.perf_counter() - start
    client.close()
    os.waitpid(pid, 0)
    return elapsed / count


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    modes = [("blocking", None), ("timeout mode", 10.0)]
    samples = {name: [] for name, _ in modes}
    for _ in range(rounds):
        for name, timeout in modes:
            samples[name].append(run(count, timeout))
    print(f"CPython {sys.version.split()[0]}, {count} round trips x {rounds} rounds")
    for name, values in samples.items():
        print(
            f"  ping-pong 64 B, {name:<12}: median {statistics.median(values) * 1e6:.2f} us"
            f" [{min(values) * 1e6:.2f}..{max(values) * 1e6:.2f}] per round trip"
        )
    ratios = [t / b for t, b in zip(samples["timeout mode"], samples["blocking"])]
    print(f"  timeout mode / blocking, median of per-round ratios: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
