#!/usr/bin/env python3
"""tcp_client.py HOST PORT SIZE [TIMEOUT]: one connection to a TCP echo
server (tests/apps/tcp_echo.c); sends SIZE random bytes from a thread,
shuts its side down, reads the echo to its end and compares. Prints
"SIZE bytes echoed intact in S s" (exit 0) or what went wrong (exit 1).
Every wait is bounded by TIMEOUT seconds (default 120)."""
import os
import socket
import sys
import threading
import time


def main():
    host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    data = os.urandom(size)
    start = time.monotonic()
    s = socket.create_connection((host, port), timeout=limit)
    err = []

    def send():
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    got = bytearray()
    while time.monotonic() - start < limit:
        try:
            b = s.recv(1 << 16)
        except OSError as e:
            print(f"recv: {e} after {len(got)} bytes")
            return 1
        if not b:
            break
        got += b
    t.join(5)
    s.close()
    took = time.monotonic() - start
    if err:
        print(f"send: {err[0]}")
        return 1
    if bytes(got) != data:
        first = next((i for i in range(min(len(got), size))
                      if got[i] != data[i]), min(len(got), size))
        print(f"got {len(got)} of {size} bytes, first difference at {first}")
        return 1
    print(f"{size} bytes echoed intact in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
