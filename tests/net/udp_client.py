#!/usr/bin/env python3
"""udp_client.py HOST PORT COUNT DEADLINE_S: the host side of the UDP echo
test. Sends COUNT datagrams to HOST:PORT, one at a time, of sizes from 1
byte to 16000 (so that some are fragmented both ways), each with its own
pseudo-random payload, and waits up to 3 s for each echo, comparing it
byte for byte. Prints one line per datagram that failed and a summary;
exits 0 when every echo matched, 1 otherwise. Bounded: COUNT datagrams
and DEADLINE_S seconds in all."""
import random
import socket
import sys
import time

SIZES = [1, 64, 512, 1472, 1473, 3000, 8192, 16000]


def main():
    host, port, count, deadline = (sys.argv[1], int(sys.argv[2]),
                                   int(sys.argv[3]), float(sys.argv[4]))
    end = time.monotonic() + deadline
    rng = random.Random(8)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    ok = 0
    for i in range(count):
        if time.monotonic() > end:
            print(f"udp_client: deadline after {i} datagrams")
            break
        size = SIZES[i % len(SIZES)]
        data = bytes(rng.getrandbits(8) for _ in range(size))
        s.send(data)
        s.settimeout(max(0.1, min(3.0, end - time.monotonic())))
        try:
            got = s.recv(65536)
        except (socket.timeout, ConnectionRefusedError) as e:
            print(f"udp_client: datagram {i} ({size} bytes): no echo ({e})")
            continue
        if got != data:
            print(f"udp_client: datagram {i} ({size} bytes): echo differs"
                  f" ({len(got)} bytes)")
            continue
        ok += 1
    print(f"udp_client: {ok} of {count} echoed intact")
    return 0 if ok == count else 1


if __name__ == "__main__":
    sys.exit(main())
