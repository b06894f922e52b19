#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into tests/fuzz/corpus/<target>/.

The seeds are committed; run this again only to change them. The memmap
encoding is the one tests/fuzz/fuzz_memmap.c decodes.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def cmdline():
    lines = {
        "empty": b"",
        "app": b"/bin/app arg1 arg2",
        "options": b"--bootchart --verbose --test=mm,sched --test=vfs "
                   b"--env=HOME=/root --env=TERM=dumb -- /bin/sh -c 'echo hi'",
        "quotes": b"app a\"b c\"d 'e f'g \"x\\\"y\\\\z\" \\ sp\\'q",
        "errors": b"--bootchart=1 --foo \"unterminated",
    }
    for name, line in lines.items():
        write("cmdline", name, line)


RAM, RES, ACPI, NVS = 1, 2, 3, 4


def memmap_input(entries, small=False):
    out = bytes([1 if small else 0])
    for addr, size, typ in entries:
        out += struct.pack("<QQB", addr, size, typ)
    return out


def memmap():
    q35 = [
        (0, 0x9FC00, RAM), (0x9FC00, 0x400, RES), (0xF0000, 0x10000, RES),
        (0x100000, 0x7FEE0000, RAM), (0x7FFE0000, 0x20000, RES),
        (0xB0000000, 0x10000000, RES), (0xFEFFC000, 0x4000, RES),
        (0xFFFC0000, 0x40000, RES), (0x100000000, 0x80000000, RAM),
    ]
    write("memmap", "q35", memmap_input(q35))
    overlap = [
        (0x1000, 0x8000, RAM), (0x4800, 0x8000, RAM), (0x2010, 0x20, ACPI),
        (0xC000, 0x10, 7), (0, 0, RAM), (0xF000, 0x800, RAM),
        (0xF800, 0x800, RAM),
    ]
    write("memmap", "small-overlap", memmap_input(overlap, small=True))
    top = [
        (0, 0x100000, RAM), (0xFFFFFFFFFFFFF000, 0x2000, RAM),
        (0x80000, 0xFFFFFFFFFFFFFFFF, NVS),
    ]
    write("memmap", "overflow", memmap_input(top))


def hex8(v):
    return b"%08X" % v


def cpio_entry(name, mode, data=b"", magic=b"070701", ino=1):
    name = name.encode() + b"\0"
    check = sum(data) & 0xFFFFFFFF if magic == b"070702" and \
        (mode & 0o170000) == 0o100000 else 0
    fields = [ino, mode, 0, 0, 1, 0x5F000000, len(data), 0, 0, 0, 0,
              len(name), check]
    out = magic + b"".join(hex8(f) for f in fields) + name
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def cpio_archive(entries, magic=b"070701"):
    out = b"".join(cpio_entry(n, m, d, magic, i + 1)
                   for i, (n, m, d) in enumerate(entries))
    return out + cpio_entry("TRAILER!!!", 0, magic=magic)


def cpio():
    root = [
        (".", 0o40755, b""), ("bin", 0o40755, b""),
        ("bin/app", 0o100755, b"\x7fELF" + b"\0" * 12),
        ("lib", 0o120777, b"usr/lib"), ("etc", 0o40755, b""),
        ("etc/motd", 0o100644, b"hello\n"), ("dev/null", 0o20666, b""),
    ]
    a = cpio_archive(root)
    a += b"\0" * (-len(a) % 512)
    write("cpio", "initramfs", a)
    b = cpio_archive([("x", 0o100644, b"crc data")], magic=b"070702")
    write("cpio", "crc", b)
    write("cpio", "concatenated", a + b + b"\0" * 64)
    write("cpio", "trailer-only", cpio_archive([]))


def checksummed(data, at):
    data = bytearray(data)
    data[at] = (-sum(data)) & 0xff
    return bytes(data)


def mptable():
    cpus = b"".join(struct.pack("<BBBB16x", 0, i, 0x14, 3 if i == 0 else 1)
                    for i in range(4))
    others = bytes([1, 0]) + b"ISA   " + bytes([2, 4, 0x11, 1, 0, 0, 0xc0, 0xfe])
    body = cpus + others
    header = struct.pack("<4sHBB8s12sIHHIHBB", b"PCMP", 44 + len(body), 4, 0,
                         b"QEMU    ", b"000000000000", 0, 0, 6, 0xfee00000,
                         0, 0, 0)
    write("mptable", "four-cpus", checksummed(header + body, 7))
    write("mptable", "floating-pointer",
          checksummed(b"_MP_" + struct.pack("<IBBBB4x", 0xf0010, 1, 4, 0, 0), 10))


if __name__ == "__main__":
    cmdline()
    memmap()
    cpio()
    mptable()
