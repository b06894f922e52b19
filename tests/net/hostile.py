#!/usr/bin/env python3
"""hostile.py IFACE GUEST_MAC GUEST_IP SECONDS MAX_FRAMES: sends malformed
and flooding Ethernet frames at a guest through IFACE (the TAP device in
the test's namespace), for at most SECONDS and MAX_FRAMES frames, paced at
HOSTILE_RATE frames a second (1500), then prints how many of each kind it
sent. The kinds are mixed at random (seeded: every run sends the same
frames), the floods more often. The frames (built with scapy, sent raw
through an AF_PACKET socket):

  ip-bad-checksum     UDP in IPv4 with a wrong header checksum
  ip-len-over-frame   IPv4 total length larger than the frame
  ip-len-under-ihl    IPv4 total length smaller than its header
  ip-ihl-under-5      IHL of 2, 3 and 4 words
  ip-bad-version      version 6 inside an IPv4 (0x0800) frame
  truncated           IPv4, UDP and ICMP headers cut short
  frag-overlap        fragments of one datagram that overlap
  frag-endless        first fragments whose datagrams never end
  frag-flood          1400-byte fragments, each of a new datagram
  frag-giant          fragments whose offset + length pass 65535
  arp-spoof           ARP replies and requests claiming GUEST_IP
  udp-giant-len       UDP length field 65535 in a small datagram
  udp-short-len       UDP length field under 8
  udp-bad-checksum    UDP with a wrong checksum (to a closed port)
  icmp-garbage        ICMP with bad checksums, unknown types, cut short
  udp-flood-closed    valid UDP to a closed port (port unreachable)

Exit status 0 when it sent everything it meant to, 1 on a send error."""
import os
import random
import socket
import sys
import time

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, fragment  # noqa

HOST_MAC = None


def frames(gmac, gip, src):
    """(kind, frame bytes) pairs, in the order they are sent."""
    e = Ether(dst=gmac, src=HOST_MAC)
    out = []

    def add(kind, pkt):
        out.append((kind, bytes(pkt)))

    for i in range(20):
        add("ip-bad-checksum",
            e / IP(src=src, dst=gip, chksum=0x1234 + i) / UDP(dport=9) / Raw(b"x" * 20))
        add("ip-len-over-frame", e / IP(src=src, dst=gip, len=1400) / UDP(dport=9) / Raw(b"y" * 8))
        add("ip-len-under-ihl", e / IP(src=src, dst=gip, len=12) / UDP(dport=9) / Raw(b"z" * 8))
        add("ip-ihl-under-5", e / IP(src=src, dst=gip, ihl=2 + i % 3) / UDP(dport=9) / Raw(b"w" * 8))
        add("ip-bad-version", e / IP(src=src, dst=gip, version=6) / UDP(dport=9))
    ip_hdr = bytes(IP(src=src, dst=gip) / UDP(dport=9) / Raw(b"t" * 16))
    for cut in (1, 10, 19, 21, 27):
        add("truncated", bytes(e) + ip_hdr[:cut])
    add("truncated", bytes(e) + b"\x45")
    add("truncated", bytes(e / IP(src=src, dst=gip, proto=1))[:14 + 20] + b"\x08")
    # Overlapping fragments of datagram 1000+i: 0-23, 8-31 (overlaps), end.
    for i in range(40):
        ident = 1000 + i
        add("frag-overlap", e / IP(src=src, dst=gip, id=ident, flags="MF", frag=0, proto=17) / Raw(b"A" * 24))
        add("frag-overlap", e / IP(src=src, dst=gip, id=ident, flags="MF", frag=1, proto=17) / Raw(b"B" * 24))
        add("frag-overlap", e / IP(src=src, dst=gip, id=ident, frag=3, proto=17) / Raw(b"C" * 16))
    # Datagrams that never end: first fragments only (a reassembler must
    # time them out and bound their memory).
    for i in range(200):
        add("frag-endless", e / IP(src=src, dst=gip, id=5000 + i, flags="MF", frag=0, proto=17) / Raw(b"E" * 64))
    for i in range(3000):
        add("frag-flood", e / IP(src=src, dst=gip, id=(20000 + i) & 0xffff, flags="MF",
                                 frag=(i % 40) * 175, proto=17) / Raw(b"F" * 1400))
    for i in range(20):
        add("frag-giant", e / IP(src=src, dst=gip, id=9000 + i, flags="MF", frag=8189, proto=17) / Raw(b"G" * 64))
        add("frag-giant", e / IP(src=src, dst=gip, id=9000 + i, frag=8190, proto=17) / Raw(b"H" * 64))
    for i in range(20):
        add("arp-spoof", Ether(dst=gmac, src="02:00:de:ad:be:%02x" % i) /
            ARP(op=2, hwsrc="02:00:de:ad:be:%02x" % i, psrc=gip, hwdst=gmac, pdst=gip))
        add("arp-spoof", Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:de:ad:be:ef") /
            ARP(op=1, hwsrc="02:00:de:ad:be:ef", psrc=gip, pdst=gip))
        add("arp-spoof", Ether(dst=gmac, src=HOST_MAC) / ARP(op=2, hwsrc=HOST_MAC, psrc=gip, hwdst=gmac, pdst=gip, plen=3))
    for i in range(20):
        add("udp-giant-len", e / IP(src=src, dst=gip) / UDP(dport=9, len=65535) / Raw(b"u" * 8))
        add("udp-short-len", e / IP(src=src, dst=gip) / UDP(dport=9, len=4) / Raw(b"s" * 8))
        add("udp-bad-checksum", e / IP(src=src, dst=gip) / UDP(dport=9, chksum=0xdead) / Raw(b"c" * 32))
        add("icmp-garbage", e / IP(src=src, dst=gip) / ICMP(type=8, chksum=0xbeef) / Raw(b"i" * 32))
        add("icmp-garbage", e / IP(src=src, dst=gip) / ICMP(type=200 + i, code=77) / Raw(b"j" * 8))
        add("icmp-garbage", bytes(e / IP(src=src, dst=gip, proto=1, len=22)) + b"\x08\x00")
        add("icmp-garbage", e / IP(src=src, dst=gip) / ICMP(type=3, code=3) / Raw(b"k" * 4))
    for i in range(500):
        add("udp-flood-closed", e / IP(src=src, dst=gip) / UDP(sport=40000, dport=30000 + i % 100) / Raw(b"f" * 64))
    return out


# How often each kind is picked, against 1 for the others: the floods
# are floods.
WEIGHTS = {"frag-flood": 6, "udp-flood-closed": 2, "frag-endless": 2}


def schedule(todo, count, seed=8):
    """count frames: kinds picked at random by WEIGHTS (seeded, so every
    run sends the same), each kind's frames in turn."""
    kinds = {}
    for kind, frame in todo:
        kinds.setdefault(kind, []).append(frame)
    names = sorted(kinds)
    weights = [WEIGHTS.get(k, 1) for k in names]
    nexts = dict.fromkeys(names, 0)
    rng = random.Random(seed)
    for kind in rng.choices(names, weights, k=count):
        frames_of = kinds[kind]
        yield kind, frames_of[nexts[kind] % len(frames_of)]
        nexts[kind] += 1


def main():
    global HOST_MAC
    iface, gmac, gip = sys.argv[1:4]
    seconds, max_frames = float(sys.argv[4]), int(sys.argv[5])
    # Paced, so that an emulated guest sees every kind rather than
    # whatever of a burst its TAP queue kept.
    rate = float(os.environ.get("HOSTILE_RATE", "1500"))
    with open(f"/sys/class/net/{iface}/address") as f:
        HOST_MAC = f.read().strip()
    src = os.environ.get("HOSTILE_SRC", "198.18.0.1")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent, errors = {}, 0
    start = time.monotonic()
    end = start + seconds
    n = 0
    for kind, frame in schedule(frames(gmac, gip, src), max_frames):
        now = time.monotonic()
        if now >= end:
            break
        if n % 50 == 0 and start + n / rate > now:
            time.sleep(start + n / rate - now)
        try:
            s.send(frame)
            sent[kind] = sent.get(kind, 0) + 1
        except OSError as e:  # ENOBUFS when the TAP's queue is full
            errors += 1
            if errors == 1:
                print(f"hostile: send: {e}")
        n += 1
    for kind in sorted(sent):
        print(f"hostile: {kind} {sent[kind]}")
    print(f"hostile: {sum(sent.values())} frames sent in "
          f"{time.monotonic() - start:.1f} s, {errors} send errors")
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main())
