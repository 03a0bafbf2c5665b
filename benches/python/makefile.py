"""CPython's makefile on the line-reading scenario of benches/compare:
1,000,000 lines of 40 bytes over loopback TCP, read one readline() at a
time, timed from the first line to the end of the stream. The sender is a
forked process. Binary mode ('rb', lines as bytes) and text mode ('r',
lines as str, the closer match to Rust's read_line into a String).

    python3 benches/python/makefile.py [LINES] [ROUNDS]
"""

import os
import socket
import statistics
import sys
import time


def run(text, lines, mode):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    pid = os.fork()
    if pid == 0:
        try:
            conn, _ = server.accept()
            conn.sendall(text)
            conn.close()
        finally:
            os._exit(0)
    client = socket.create_connection(server.getsockname())
    server.close()
    kwargs = {"encoding": "utf-8", "newline": "\n"} if mode == "r" else {}
    file = client.makefile(mode, **kwargs)
    seen = 0
    start = time.perf_counter()
    while file.readline():
        seen += 1
    elapsed = time.perf_counter() - start
    file.close()
    client.close()
    os.waitpid(pid, 0)
    assert seen == lines, seen
    return elapsed / lines


def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    text = b"".join(b"%08d the quick brown fox jumps over it\n" % i for i in range(lines))
    samples = {"rb": [], "r": []}
    for _ in range(rounds):
        for mode in samples:
            samples[mode].append(run(text, lines, mode))
    print(f"CPython {sys.version.split()[0]}, {lines} lines of 40 bytes x {rounds} rounds")
    for mode, values in samples.items():
        median = statistics.median(values)
        print(
            f"  makefile('{mode}').readline(): median {median * 1e9:.0f} ns"
            f" [{min(values) * 1e9:.0f}..{max(values) * 1e9:.0f}] per line"
            f" ({1 / median / 1e6:.1f} M lines/s)"
        )


if __name__ == "__main__":
    main()
