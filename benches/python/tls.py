"""CPython's ssl module (OpenSSL) on the TLS scenarios of benches/compare
(tls.rs): a 64-byte ping-pong over loopback TCP with TCP_NODELAY, timed per
round trip on the client, and a bulk transfer from the server to the client,
received with recv_into into 64 KiB, timed per MiB on the server from its
first send to the client's word that all of it arrived.

The other side runs in a forked process, so the GIL is not shared between
the two sides (in the Rust bench they are two threads of one process). The
handshake and one round trip come before the clock starts.

    python3 benches/python/tls.py CAFILE CERTFILE KEYFILE [ROUND_TRIPS] [BULK_MIB] [ROUNDS]

prints a table (the certificate must name localhost, and CAFILE must hold
the CA that signed it). `cargo bench --bench compare -- tls` makes such
files and runs this script once per round, interleaved with the Rust
variants, as

    python3 benches/python/tls.py --once pingpong|bulk COUNT CAFILE CERTFILE KEYFILE

which prints the seconds the run took, the cipher suite and the TLS version.
"""

import os
import socket
import ssl
import statistics
import sys
import time

MSG = 64
READ_BUFFER = 64 << 10


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def contexts(cafile, certfile, keyfile):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certfile, keyfile)
    client = ssl.create_default_context(cafile=cafile)
    return server, client


def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    return server


def accept_tls(listening, server_ctx):
    conn, _ = listening.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return server_ctx.wrap_socket(conn, server_side=True)


def connect_tls(address, client_ctx):
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client_ctx.wrap_socket(sock, server_hostname="localhost")


def pingpong(count, server_ctx, client_ctx):
    """Seconds for `count` round trips; the cipher and version."""
    listening = listener()
    pid = os.fork()
    if pid == 0:
        try:
            conn = accept_tls(listening, server_ctx)
            for _ in range(count + 1):
                conn.sendall(recv_exact(conn, MSG))
            conn.close()
        finally:
            os._exit(0)
    client = connect_tls(listening.getsockname(), client_ctx)
    listening.close()
    msg = b"x" * MSG
    client.sendall(msg)  # the first round trip, untimed (it brings the tickets)
    recv_exact(client, MSG)
    start = time.perf_counter()
    for _ in range(count):
        client.sendall(msg)
        recv_exact(client, MSG)
    elapsed = time.perf_counter() - start
    cipher, version = client.cipher()[0], client.version()
    client.close()
    os.waitpid(pid, 0)
    return elapsed, cipher, version


def bulk(total, server_ctx, client_ctx):
    """Seconds for the server to send `total` bytes that the client
    receives; the cipher and version."""
    listening = listener()
    address = listening.getsockname()
    pid = os.fork()
    if pid == 0:
        try:
            listening.close()
            client = connect_tls(address, client_ctx)
            buf = bytearray(READ_BUFFER)
            got = 0
            while got < total:
                n = client.recv_into(buf)
                if n == 0:
                    raise ConnectionError("peer closed early")
                got += n
            client.sendall(b"!")  # all of it arrived
            client.close()
        finally:
            os._exit(0)
    conn = accept_tls(listening, server_ctx)
    listening.close()
    data = b"\x5a" * total
    start = time.perf_counter()
    conn.sendall(data)
    recv_exact(conn, 1)
    elapsed = time.perf_counter() - start
    cipher, version = conn.cipher()[0], conn.version()
    conn.close()
    os.waitpid(pid, 0)
    return elapsed, cipher, version


def main():
    args = sys.argv[1:]
    if args and args[0] == "--once":
        scenario, count = args[1], int(args[2])
        server_ctx, client_ctx = contexts(*args[3:6])
        run = {"pingpong": pingpong, "bulk": bulk}[scenario]
        elapsed, cipher, version = run(count, server_ctx, client_ctx)
        print(f"{elapsed:.9f} {cipher} {version}")
        return
    if len(args) < 3:
        sys.exit(__doc__)
    server_ctx, client_ctx = contexts(*args[:3])
    count = int(args[3]) if len(args) > 3 else 3000
    mib = int(args[4]) if len(args) > 4 else 16
    rounds = int(args[5]) if len(args) > 5 else 9
    ping, flow = [], []
    for _ in range(rounds):
        elapsed, cipher, version = pingpong(count, server_ctx, client_ctx)
        ping.append(elapsed / count)
        flow.append(bulk(mib << 20, server_ctx, client_ctx)[0] / mib)
    print(f"CPython {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}, {version} {cipher}")
    for name, values, unit in [
        (f"TLS ping-pong {MSG} B, blocking", ping, "round trip"),
        (f"TLS bulk {mib} MiB, server to client", flow, "MiB"),
    ]:
        print(
            f"  {name:<36}: median {statistics.median(values) * 1e6:.2f} us"
            f" [{min(values) * 1e6:.2f}..{max(values) * 1e6:.2f}] per {unit}"
        )


if __name__ == "__main__":
    main()
