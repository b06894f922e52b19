#!/usr/bin/env python3
"""hostile_tcp.py IFACE GUEST_MAC GUEST_IP PORT SECONDS MAX_SEGMENTS: plays
a hostile TCP peer against a guest that serves tests/apps/tcp_stream.c on
PORT, through IFACE (the guest's TAP device in the test's namespace), for
at most SECONDS seconds and MAX_SEGMENTS segments sent, then checks that a
connection made before the attack still works.

First an ordinary connection from the host's own stack ("echo"): a
message goes through it, and its sequence numbers are read off the TAP.
Then, paced at HOSTILE_RATE segments a second (1500), mixed at random
(seeded, so every run sends the same):

  conn-bad-checksum   data at the connection's next sequence number with a
                      wrong TCP checksum (must be dropped)
  conn-out-of-window  data far before and far after the window
  conn-rst-blind      RST outside the window and inside it off the exact
                      number (RFC 5961 3: ignored or a challenge ACK)
  conn-syn-blind      SYN inside the window (RFC 5961 4: challenge ACK)
  conn-ack-blind      data whose ACK acknowledges unsent data or is older
                      than the window allows (RFC 5961 5: dropped)
  syn-flood           SYNs from 100 addresses of 198.18.0.0/24 that never
                      answer, from many source ports
  syn-bad-checksum    SYNs with a wrong checksum
  bad-options         SYNs and segments with broken options (zero and
                      overlong lengths, truncated MSS, window scale 255,
                      SACK blocks on a SYN, data offset under 5 or past the
                      segment)

and stateful peers from addresses this script answers ARP for:

  zero-window         asks for a long stream, then advertises a zero
                      window to every probe, for ever
  never-acks          asks for a long stream and acknowledges nothing
  one-byte            sends "sink 300" and its 300 bytes one byte a
                      segment; the guest's answer must hold their checksum
  urgent              urgent pointers (0, inside, past the data, 65535)
                      on an echo connection

If the guest took any injected byte into the first connection, its echo
differs. Prints what it sent, "old connection: still works" or what went
wrong, "one-byte: answered ..." and exits 0 when the old connection
still works. HOSTILE_TCP_PROVE=1 also injects one valid segment, which the
guest must take: then the check of the old connection must fail (it
proves the check can)."""
import os
import random
import select
import socket
import struct
import sys
import time

from scapy.all import ARP, IP, TCP, Ether, Raw  # noqa

HOST_IP = "198.18.0.1"
FLOOD_NET = "198.18.0.%d"  # .100-.199 flood (never answer), .200-.209 peers
FAKE_MAC = "02:00:00:00:01:%02x"


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


class Tap:
    """Raw frames on the guest's TAP: what the guest sends, and ours to it."""

    def __init__(self, iface, gmac, gip):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((iface, 0))
        self.gmac, self.gip = gmac, gip
        with open(f"/sys/class/net/{iface}/address") as f:
            self.mac = f.read().strip()
        self.sent, self.errors = {}, 0
        self.live = {}  # fake IP -> peer, answered in ARP
        self.conn_log = []  # (outgoing?, TCP) of the old connection

    def send(self, kind, frame):
        try:
            self.s.send(bytes(frame))
            self.sent[kind] = self.sent.get(kind, 0) + 1
        except OSError as e:  # ENOBUFS when the TAP's queue is full
            self.errors += 1
            if self.errors == 1:
                print(f"hostile_tcp: send: {e}")

    def total(self):
        return sum(self.sent.values())

    def pump(self, timeout=0.0):
        """Reads what is waiting: answers ARP for live peers, hands TCP
        to them, and keeps the old connection's segments."""
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return
            data, addr = self.s.recvfrom(70000)
            outgoing = addr[2] == socket.PACKET_OUTGOING
            try:
                self.handle(Ether(data), outgoing)
            except Exception:  # a frame scapy cannot parse: not ours
                pass

    def handle(self, f, outgoing):
        if ARP in f and not outgoing and f[ARP].op == 1 and f[ARP].pdst in self.live:
            ip = f[ARP].pdst
            mac = self.live[ip].mac
            self.send("arp-reply", Ether(dst=f.src, src=mac) /
                      ARP(op=2, hwsrc=mac, psrc=ip, hwdst=f[ARP].hwsrc, pdst=f[ARP].psrc))
            return
        if IP not in f or TCP not in f:
            return
        ip, tcp = f[IP], f[TCP]
        # the payload by the IP length: short frames may carry padding
        data = bytes(tcp.payload)[:max(0, ip.len - ip.ihl * 4 - tcp.dataofs * 4)]
        if outgoing and ip.src == HOST_IP and ip.dst == self.gip:
            self.conn_log.append((True, tcp, len(data)))
        elif not outgoing and ip.src == self.gip and ip.dst == HOST_IP:
            self.conn_log.append((False, tcp, len(data)))
        elif not outgoing and ip.src == self.gip and ip.dst in self.live:
            self.live[ip.dst].on_segment(tcp, data)


class Peer:
    """A TCP peer from a fake address, driven by the guest's segments."""

    def __init__(self, tap, n, port, mode):
        self.tap, self.mode, self.port = tap, mode, port
        self.ip, self.mac = FLOOD_NET % (200 + n), FAKE_MAC % n
        self.sport = 20000 + n
        self.iss = 1000000 * (n + 1)
        self.irs = None
        self.sent_bytes = 0
        self.answer = b""
        tap.live[self.ip] = self

    def seg(self, flags, seq, ack=0, window=65535, data=b"", urgptr=0, options=()):
        e = Ether(dst=self.tap.gmac, src=self.mac)
        t = TCP(sport=self.sport, dport=self.port, flags=flags, seq=seq % 2**32,
                ack=ack % 2**32, window=window, urgptr=urgptr, options=list(options))
        return e / IP(src=self.ip, dst=self.tap.gip) / t / Raw(data)

    def start(self):
        self.tap.send(self.mode, self.seg("S", self.iss, options=[("MSS", 1460)]))

    def nxt(self):
        return self.iss + 1 + self.sent_bytes

    def data(self, payload, window=65535, flags="PA", urgptr=0):
        self.tap.send(self.mode, self.seg(flags, self.nxt(), self.irs + 1, window,
                                          payload, urgptr))
        self.sent_bytes += len(payload)

    def on_segment(self, t, data):
        if t.dport != self.sport:
            return
        if t.flags & 0x12 == 0x12 and self.irs is None:  # SYN-ACK
            self.irs = t.seq
            self.established()
            return
        if self.irs is None:
            return
        if self.mode == "zero-window":  # every probe gets a zero window
            self.tap.send(self.mode, self.seg("A", self.nxt(), t.seq, 0))
        elif self.mode == "one-byte" and data and t.seq == self.irs + 1 + len(self.answer):
            self.answer += data

    def established(self):
        ack = self.irs + 1
        if self.mode == "zero-window":
            self.tap.send(self.mode, self.seg("A", self.nxt(), ack, 0))
            self.data(b"source 100000000 1\n", window=0)
        elif self.mode == "never-acks":
            self.tap.send(self.mode, self.seg("A", self.nxt(), ack))
            self.data(b"source 100000000 2\n")
        else:
            self.tap.send(self.mode, self.seg("A", self.nxt(), ack))

    def tick(self, rng):
        """One step of the peers that keep sending."""
        if self.irs is None:
            return
        if self.mode == "one-byte" and self.sent_bytes < len(ONE_BYTE):
            self.data(ONE_BYTE[self.sent_bytes:self.sent_bytes + 1])
        elif self.mode == "urgent" and self.sent_bytes < 200:
            if self.sent_bytes == 0:
                self.data(b"echo\n")
            else:
                ptr = rng.choice([0, 1, 5, 40, 65535])
                self.data(b"u" * 10, flags="PAU", urgptr=ptr)


ONE_BYTE_DATA = bytes(random.Random(5).randrange(256) for _ in range(300))
ONE_BYTE = b"sink 300\n" + ONE_BYTE_DATA


def conn_state(tap):
    """(host's next seq, guest's next seq, host port, guest's window) of
    the old connection, from the last segments seen each way."""
    out = [(t, n) for o, t, n in tap.conn_log if o]
    inn = [t for o, t, n in tap.conn_log if not o]
    if not out or not inn:
        return None
    h, n = out[-1]
    return h.seq + n, h.ack, h.sport, inn[-1].window


def injections(tap, st, port):
    """Segments into the old connection that must not change it."""
    hseq, gseq, hport, win = st
    e = Ether(dst=tap.gmac, src=tap.mac)
    ip = IP(src=HOST_IP, dst=tap.gip)

    def t(flags, seq, ack, data=b"EVIL", **kw):
        return e / ip / TCP(sport=hport, dport=port, flags=flags, seq=seq % 2**32,
                            ack=ack % 2**32, window=1000, **kw) / Raw(data)

    out = []
    for i in range(20):
        out.append(("conn-bad-checksum", t("PA", hseq, gseq, chksum=0xdead ^ i)))
        out.append(("conn-out-of-window", t("PA", hseq + (1 << 20) + i * 1000, gseq)))
        out.append(("conn-out-of-window", t("PA", hseq - (1 << 20) - i * 1000, gseq)))
        out.append(("conn-rst-blind", t("R", hseq + (1 << 30) + i, 0, b"")))
        out.append(("conn-rst-blind", t("R", hseq + 1 + i * 7, 0, b"")))
        out.append(("conn-rst-blind", t("RA", hseq + 100 + i, gseq, b"")))
        out.append(("conn-ack-blind", t("PA", hseq, gseq + (1 << 20) + i)))
        out.append(("conn-ack-blind", t("PA", hseq, gseq - (1 << 30) - i)))
    for i in range(10):
        out.append(("conn-syn-blind", t("S", hseq + 5 + i, 0, b"")))
    if os.environ.get("HOSTILE_TCP_PROVE"):  # a valid segment: must break it
        out.append(("conn-valid-injection", t("PA", hseq, gseq)))
    return out


def stateless(tap, port, rng):
    e = Ether(dst=tap.gmac, src=tap.mac)
    out = []
    for i in range(3000):
        src = FLOOD_NET % (100 + i % 100)
        out.append(("syn-flood", e / IP(src=src, dst=tap.gip) /
                    TCP(sport=1024 + rng.randrange(60000), dport=port, flags="S",
                        seq=rng.randrange(2**32), options=[("MSS", 1460)])))
    for i in range(100):
        out.append(("syn-bad-checksum", e / IP(src=FLOOD_NET % (100 + i), dst=tap.gip) /
                    TCP(sport=3000 + i, dport=port, flags="S", chksum=0xbad0 + i)))
    bad_opts = [
        b"\x02\x00\x05\xb4",          # MSS with length 0
        b"\x02\x02",                  # MSS with length 2 (no value)
        b"\x02\x28\x05\xb4",          # MSS claiming 40 bytes
        b"\x03\x03\xff\x01",          # window scale 255
        b"\x05\x0a\x00\x00\x00\x01\x00\x00\x00\x02",  # SACK blocks on a SYN
        b"\x04\x09\x00\x00",          # SACK-permitted, length 9
        b"\x08\x04\x00\x00",          # timestamps cut short
        b"\x00\xff\xff\xff",          # EOL then junk
        b"\x01" * 40,                 # only NOPs, 40 of them
        b"\xfe\x01\x00\x00",          # unknown kind, length 1
        b"\x13\x12" + b"\x00" * 16,   # TCP-MD5 signature nobody agreed
    ]
    for i in range(30):
        for j, o in enumerate(bad_opts):
            o = o + b"\x00" * (-len(o) % 4)
            seg = TCP(sport=5000 + i * 16 + j, dport=port, flags="S", seq=i,
                      dataofs=5 + len(o) // 4) / Raw(o)
            out.append(("bad-options", e / IP(src=FLOOD_NET % (100 + i), dst=tap.gip) / seg))
        for off in (0, 2, 4, 15):  # data offset under 5, or past the end
            out.append(("bad-options", e / IP(src=FLOOD_NET % (100 + i), dst=tap.gip) /
                        TCP(sport=6000 + i, dport=port, flags="S", seq=i, dataofs=off)))
    return out


def guest_segments(tap):
    return sum(1 for o, _, _ in tap.conn_log if not o)


def acks_rate_limited(tap, acks, seconds):
    """The guest's answers on the old connection during the attack: one
    duplicate ACK per out-of-window data segment, and the rest (challenge
    ACKs to blind RSTs, SYNs and ACKs, RFC 5961 7) at most one per 500 ms,
    as Linux's tcp_invalid_ratelimit. Without the limit it would be one
    per injected segment (about 130). Prints the verdict."""
    data = tap.sent.get("conn-out-of-window", 0)
    bound = data + int(seconds * 2) + 4
    verdict = "ok" if acks <= bound else "not rate-limited"
    print(f"hostile_tcp: ACKs on the old connection: {acks} in {seconds:.1f} s "
          f"({data} out-of-window data segments; at most {bound}): {verdict}")


def old_connection(gip, port):
    c = socket.create_connection((gip, port), timeout=20)
    c.settimeout(20)
    c.sendall(b"echo\n")
    return c


def echo_check(c, msg):
    c.sendall(msg)
    got = b""
    while len(got) < len(msg):
        d = c.recv(len(msg) - len(got))
        if not d:
            break
        got += d
    return got


def main():
    iface, gmac, gip = sys.argv[1:4]
    port, seconds, max_segments = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    rate = float(os.environ.get("HOSTILE_RATE", "1500"))
    rng = random.Random(9)
    tap = Tap(iface, gmac, gip)
    start = time.monotonic()
    end = start + seconds

    try:
        c = old_connection(gip, port)
        before = echo_check(c, b"before the attack\n")
    except OSError as e:
        print(f"hostile_tcp: old connection: cannot connect or echo: {e}")
        return 1
    tap.pump(0.5)
    st = conn_state(tap)
    if before != b"before the attack\n" or not st:
        print(f"hostile_tcp: old connection: echo {before!r}, state {st}")
        return 1
    print(f"hostile_tcp: old connection: host seq {st[0]}, guest seq {st[1]}, "
          f"port {st[2]}, window {st[3]}")

    todo = injections(tap, st, port) + stateless(tap, port, rng)
    rng.shuffle(todo)
    peers = [Peer(tap, n, port, m) for n, m in
             enumerate(["zero-window", "never-acks", "one-byte", "urgent"])]
    for p in peers:
        p.start()
    acks_before = guest_segments(tap)
    attack_start = time.monotonic()
    n = 0
    while time.monotonic() < end and tap.total() < max_segments:
        if todo:
            kind, frame = todo.pop()
            tap.send(kind, frame)
        for p in peers:
            p.tick(rng)
        n += 1
        due = start + n / rate
        tap.pump(max(0.0, due - time.monotonic()))
        if not todo and all(p.irs is not None for p in peers) and \
                peers[2].sent_bytes >= len(ONE_BYTE) and time.monotonic() > start + seconds / 2:
            tap.pump(1.0)  # let the answers in
            break
    tap.pump(0.5)
    acks_rate_limited(tap, guest_segments(tap) - acks_before,
                      time.monotonic() - attack_start)

    for kind in sorted(tap.sent):
        print(f"hostile_tcp: {kind} {tap.sent[kind]}")
    print(f"hostile_tcp: {tap.total()} segments sent in {time.monotonic() - start:.1f} s, "
          f"{tap.errors} send errors, {len(todo)} not sent")
    want = b"ok 300 %016x\n" % fnv1a(ONE_BYTE_DATA)
    ans = peers[2].answer[:len(want)]
    print(f"hostile_tcp: one-byte: answered {ans!r}, expected {want!r}")
    for p in peers:
        print(f"hostile_tcp: peer {p.mode}: {'connected' if p.irs is not None else 'no SYN-ACK'}")

    msg = b"after the attack: %d segments\n" % tap.total()
    try:
        after = echo_check(c, msg)
        c.shutdown(socket.SHUT_WR)
        eof = c.recv(1)
    except OSError as e:
        print(f"hostile_tcp: old connection: broken after the attack: {e}")
        return 1
    if after != msg or eof != b"":
        print(f"hostile_tcp: old connection: echoed {after!r}, expected {msg!r} then EOF")
        return 1
    print("hostile_tcp: old connection: still works")
    return 0


if __name__ == "__main__":
    sys.exit(main())
