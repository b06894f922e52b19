#!/usr/bin/env python3
"""Drives a memcached server (text protocol) and verifies what it holds.

    mc_check.py HOST PORT KEYS [SECONDS]

Stores KEYS keys whose values (0 to 3000 bytes, and one of 100 KiB) are
made from the key's number, reads each back with `get`, then all of them
again with multi-key `gets` of 50 keys, and compares every byte and
flag. Also checks a miss, `delete`, `incr`, `add` on an existing key and
`cas` with a stale token, whose replies the protocol fixes
(memcached's doc/protocol.txt). Every socket operation has a timeout and
the whole run a deadline of SECONDS (default 120). Prints
"N of N keys verified" and exits 0 when all were; otherwise says what
differed and exits 1.
"""
import socket
import sys
import time


class Fail(Exception):
    pass


class Conn:
    def __init__(self, host, port, deadline):
        self.deadline = deadline
        self.s = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def _recv(self):
        if time.monotonic() > self.deadline:
            raise Fail("deadline passed")
        try:
            d = self.s.recv(65536)
        except socket.timeout:
            raise Fail("no reply in 10 s")
        if not d:
            raise Fail("the server closed the connection")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self._recv()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n:
            self._recv()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line().decode(errors="replace")

    def values(self):
        """The VALUE blocks up to END: {key: (flags, data, cas)}."""
        out = {}
        while True:
            head = self.line().split()
            if head == [b"END"]:
                return out
            if len(head) < 4 or head[0] != b"VALUE":
                raise Fail("expected VALUE or END, got %r" % b" ".join(head))
            data = self.exact(int(head[3]) + 2)
            if data[-2:] != b"\r\n":
                raise Fail("value of %s not ended by CRLF" % head[1])
            cas = int(head[4]) if len(head) > 4 else None
            out[head[1].decode()] = (int(head[2]), data[:-2], cas)


def value_of(i):
    size = 100 * 1024 if i == 7 else (i * 37) % 3001
    pattern = ("%d:" % i).encode()
    return (pattern * (size // len(pattern) + 1))[:size]


def expect(what, got, want):
    if got != want:
        raise Fail("%s: expected %r, got %r" % (what, want, got))


def store_all(c, n):
    # Pipelined in batches of 100: a whole batch is written, then read.
    for first in range(0, n, 100):
        batch = range(first, min(n, first + 100))
        c.send(b"".join(b"set osprey:%d %d 0 %d\r\n%s\r\n" %
                        (i, i % 65536, len(value_of(i)), value_of(i))
                        for i in batch))
        for i in batch:
            expect("set osprey:%d" % i, c.line(), b"STORED")


def verify_one(c, i):
    c.send(b"get osprey:%d\r\n" % i)
    got = c.values()
    want = {"osprey:%d" % i: (i % 65536, value_of(i), None)}
    if got != want:
        g = got.get("osprey:%d" % i)
        raise Fail("get osprey:%d: expected flags %d and %d bytes, got %s" %
                   (i, i % 65536, len(value_of(i)),
                    "nothing" if g is None else
                    "flags %d and %d bytes%s" % (g[0], len(g[1]),
                    "" if g[1] == value_of(i)[:len(g[1])] else " that differ")))


def verify_multi(c, n):
    for first in range(0, n, 50):
        keys = ["osprey:%d" % i for i in range(first, min(n, first + 50))]
        c.send(("gets " + " ".join(keys) + "\r\n").encode())
        got = c.values()
        for k in keys:
            i = int(k.split(":")[1])
            if k not in got or got[k][:2] != (i % 65536, value_of(i)):
                raise Fail("gets: %s missing or different" % k)
            if got[k][2] is None:
                raise Fail("gets: %s without a cas token" % k)


def protocol_checks(c):
    expect("get of a missing key", c.cmd("get osprey:nope"), "END")
    expect("add of an existing key", c.cmd("add osprey:1 0 0 1\r\nx"),
           "NOT_STORED")
    expect("set counter", c.cmd("set osprey:n 0 0 2\r\n41"), "STORED")
    expect("incr", c.cmd("incr osprey:n 1"), "42")
    expect("decr below 0", c.cmd("decr osprey:n 100"), "0")
    c.send(b"gets osprey:n\r\n")
    cas = c.values()["osprey:n"][2]
    expect("cas with the token", c.cmd("cas osprey:n 0 0 1 %d\r\n5" % cas),
           "STORED")
    expect("cas with a stale token",
           c.cmd("cas osprey:n 0 0 1 %d\r\n6" % cas), "EXISTS")
    expect("delete", c.cmd("delete osprey:n"), "DELETED")
    expect("delete again", c.cmd("delete osprey:n"), "NOT_FOUND")
    expect("unknown command", c.cmd("frobnicate"), "ERROR")


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    seconds = float(sys.argv[4]) if len(sys.argv) == 5 else 120
    deadline = time.monotonic() + seconds
    try:
        c = Conn(host, port, deadline)
        t0 = time.monotonic()
        store_all(c, n)
        for i in range(n):
            verify_one(c, i)
        verify_multi(c, n)
        protocol_checks(c)
        dt = time.monotonic() - t0
    except (Fail, OSError) as e:
        print("mc_check: FAILED: %s" % e)
        sys.exit(1)
    print("mc_check: %d of %d keys verified (set, get, gets) in %.1f s"
          % (n, n, dt))


if __name__ == "__main__":
    main()
