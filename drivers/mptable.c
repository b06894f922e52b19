/*
 * The Intel MultiProcessor table (MP specification 1.4), for the CPUs of
 * machines without ACPI: Firecracker before it had ACPI, QEMU's microvm
 * with acpi=off. A 16-byte floating pointer ("_MP_", its length in 16-byte
 * units, a checksum) lies in the first KiB of the EBDA, the last KiB of
 * base memory or the BIOS ROM (0xf0000-0xfffff) and points to the
 * configuration table: a 44-byte header ("PCMP", the base table's length,
 * a checksum, an entry count), then entries whose first byte is their
 * kind: processors (kind 0) take 20 bytes, buses, I/O APICs and interrupt
 * assignments (1 to 4) take 8. A processor entry holds its local APIC id
 * (byte 1) and flags (byte 3; bit 0: usable).
 *
 * Firmware input: every length is checked against the bytes that hold
 * it, and a bad signature, checksum or entry kind rejects the table.
 * The parsers are pure (tests/host/test_mptable.c, tests/fuzz); the scan
 * of low memory is the kernel's.
 */
#include "drivers/drivers.h"
#include "kernel/kernel.h"

#define HEADER_BYTES 44
#define PROCESSOR_BYTES 20
#define OTHER_ENTRY_BYTES 8

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static bool sums_to_zero(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return sum == 0;
}

uint32_t mptable_floating_pointer(const uint8_t *fp, size_t avail)
{
	if (avail < 16 || memcmp(fp, "_MP_", 4) != 0)
		return 0;
	/* One 16-byte unit in every version; feature byte 1 non-zero means
	 * a default configuration without a table, which we cannot use. */
	if (fp[8] != 1 || !sums_to_zero(fp, 16) || fp[11] != 0)
		return 0;
	return le32(fp + 4);
}

int mptable_cpus(const uint8_t *t, size_t len, uint32_t *ids, unsigned max)
{
	size_t base, at = HEADER_BYTES;
	unsigned found = 0;

	if (len < HEADER_BYTES || memcmp(t, "PCMP", 4) != 0)
		return -EINVAL;
	base = le16(t + 4);
	if (base < HEADER_BYTES || base > len || !sums_to_zero(t, base))
		return -EINVAL;
	/* By length, not by the entry count: qboot (QEMU's microvm) leaves
	 * the count 0, and Linux reads the table the same way. */
	while (at < base) {
		size_t size;

		size = t[at] == 0 ? PROCESSOR_BYTES
		       : t[at] <= 4 ? OTHER_ENTRY_BYTES
				    : 0;
		if (!size || size > base - at)
			return -EINVAL;
		if (t[at] == 0 && (t[at + 3] & 1) && found < max)
			ids[found++] = t[at + 1];
		at += size;
	}
	return (int)found;
}

#ifndef OSPREY_HOST
#include "kernel/mm/mm.h"

/* Where the MP specification says to look, 16-byte aligned. */
static const uint8_t *find_floating_pointer(void)
{
	uint64_t ebda = (uint64_t)le16(phys_to_virt(0x40e)) << 4;
	const uint64_t areas[][2] = {
		{ebda, 1024}, {0x9fc00, 1024}, {0xf0000, 0x10000}};

	for (unsigned i = 0; i < ARRAY_SIZE(areas); i++) {
		if (areas[i][0] < 0x80000 || areas[i][0] >= 0x100000)
			continue; /* no EBDA, or a nonsense segment */
		for (uint64_t a = areas[i][0]; a < areas[i][0] + areas[i][1];
		     a += 16) {
			const uint8_t *p = phys_to_virt(a);

			if (mptable_floating_pointer(p, 16))
				return p;
		}
	}
	return NULL;
}

unsigned mptable_find_cpus(uint32_t *ids, unsigned max)
{
	const uint8_t *fp = find_floating_pointer();
	uint32_t table = fp ? le32(fp + 4) : 0;

	/* The table's own length is checked against what we may read: the
	 * low 4 GiB of the direct map, and 64 KiB at most (16-bit length). */
	if (!table || table > (4ull << 30) - 0x10000)
		return 0;
	int n = mptable_cpus(phys_to_virt(table), 0x10000, ids, max);
	if (n < 0)
		kprintf("osprey: the MP table at 0x%x is malformed; one CPU\n",
			table);
	return n < 0 ? 0 : (unsigned)n;
}
#endif
