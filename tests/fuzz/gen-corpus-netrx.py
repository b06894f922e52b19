#!/usr/bin/env python3
"""Writes fuzz_netrx's seed corpus into tests/fuzz/corpus/netrx/.

Each seed is the record format tests/fuzz/fuzz_netrx.c decodes: a control
byte (interface, drain, clock step), a 16-bit little-endian length, a
frame. The seeds are committed; run this again only to change them.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
HOST_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0, 0, 0, 0, 2])
BCAST = b"\xff" * 6
HOST = bytes([10, 0, 0, 2])
PEER = bytes([10, 0, 0, 5])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, typ, payload):
    return dst + PEER_MAC + struct.pack("!H", typ) + payload


def ip(proto, payload, src=PEER, dst=HOST, ident=1, frag=0, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    frag, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return eth(HOST_MAC, 0x0800, h + payload)


def udp(sport, dport, data, src=PEER, dst=HOST):
    ln = 8 + len(data)
    ph = src + dst + struct.pack("!BBH", 0, 17, ln)
    u = struct.pack("!HHHH", sport, dport, ln, 0) + data
    c = csum(ph + u) or 0xffff
    return ip(17, u[:6] + struct.pack("!H", c) + u[8:], src, dst)


def icmp(typ, code, rest, body):
    m = struct.pack("!BBH", typ, code, 0) + rest + body
    return ip(1, m[:2] + struct.pack("!H", csum(m)) + m[4:])


def arp(op, spa, tpa, sha=PEER_MAC):
    a = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa,
                    b"\0" * 6, tpa)
    return eth(BCAST if op == 1 else HOST_MAC, 0x0806, a)


def rec(frame, ctl=4):
    return bytes([ctl]) + struct.pack("<H", len(frame)) + frame


def frags(ident, data, size):
    out = b""
    for off in range(0, len(data), size):
        more = 0x2000 if off + size < len(data) else 0
        out += rec(ip(17, data[off:off + size], ident=ident,
                      frag=more | (off // 8)))
    return out


def write(name, data):
    d = os.path.join(HERE, "corpus", "netrx")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    dns = udp(4000, 53, b"\x12\x34\x01\x00\x00\x01" + b"\0" * 6)
    write("udp-dns", rec(dns))
    write("udp-5000", rec(udp(4000, 5000, b"x" * 100)) * 3)
    write("udp-noport", rec(arp(1, PEER, HOST)) + rec(udp(1, 9999, b"q")))
    write("udp-connected", rec(udp(7000, 6000, b"reply")))
    write("arp", rec(arp(1, PEER, HOST)) + rec(arp(2, PEER, HOST)) +
          rec(arp(2, HOST, HOST)))
    ping = icmp(8, 0, struct.pack("!HH", 1, 1), b"a" * 56)
    write("ping", rec(arp(1, PEER, HOST)) + rec(ping))
    inner = udp(6000, 7000, b"zz", src=HOST, dst=PEER)[14:14 + 28]
    write("icmp-unreach", rec(icmp(3, 3, b"\0" * 4, inner)) +
          rec(icmp(3, 4, struct.pack("!HH", 0, 576), inner)))
    payload = struct.pack("!HHHH", 1, 5000, 8 + 3000, 0) + b"f" * 3000
    write("frags", frags(77, payload, 1480))
    write("frags-overlap", frags(78, payload, 1480) + frags(78, payload, 1000))
    write("timeout", frags(79, payload, 1480)[:1500] + bytes([0xf8, 0, 0]))
    write("lo", rec(eth(b"\0" * 6, 0x0800, udp(1, 53, b"l", src=bytes(
        [127, 0, 0, 1]), dst=bytes([127, 0, 0, 1]))[14:]), ctl=6))


if __name__ == "__main__":
    main()
