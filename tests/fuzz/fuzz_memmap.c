/*
 * Fuzzes memmap_usable. The input is a mode byte, then 17-byte entries:
 * addr and size (8 bytes each, little-endian) and a type byte (its low 3
 * bits: 1 is RAM, anything else reserved or unknown). In "small" mode
 * (mode bit 0) addresses and sizes are cut to 16-byte units below 64 KiB,
 * which makes overlaps common and lets a brute-force oracle check the
 * exact answer. Always checked: ranges sorted, aligned, disjoint and not
 * touching; inside RAM; clear of every other entry; the report agrees;
 * -E2BIG when out is one range short.
 */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "kernel/mm/memmap.h"

#define ENTRY_BYTES 17
#define SMALL_SPACE 0x10000
#define UNIT 16

static struct memmap_entry in[MEMMAP_MAX + 8];
static struct phys_range out[MEMMAP_MAX];

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static unsigned decode(const uint8_t *data, size_t size, bool small)
{
	unsigned n = 0;

	for (size_t off = 1; off + ENTRY_BYTES <= size && n < ARRAY_SIZE(in);
	     off += ENTRY_BYTES, n++) {
		in[n].addr = le64(data + off);
		in[n].size = le64(data + off + 8);
		in[n].type = data[off + 16] & 7;
		if (small) {
			in[n].addr = in[n].addr % SMALL_SPACE & ~(UNIT - 1ull);
			in[n].size = in[n].size % (SMALL_SPACE - in[n].addr) &
				     ~(UNIT - 1ull);
		}
	}
	return n;
}

/* Whether the RAM entries together cover all of [s, e). */
static bool ram_covers(unsigned n, uint64_t s, uint64_t e)
{
	while (s < e) {
		uint64_t best = s, end;

		for (unsigned i = 0; i < n; i++)
			if (in[i].type == MEMMAP_RAM && in[i].size &&
			    !__builtin_add_overflow(in[i].addr, in[i].size,
						    &end) &&
			    in[i].addr <= s && end > best)
				best = end;
		if (best == s)
			return false;
		s = best;
	}
	return true;
}

static bool reserved_meets(unsigned n, uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t end;

		if (in[i].type == MEMMAP_RAM || !in[i].size)
			continue;
		if (__builtin_add_overflow(in[i].addr, in[i].size, &end))
			end = UINT64_MAX;
		if (in[i].addr < e && s < end)
			return true;
	}
	return false;
}

static void check_ranges(unsigned n, int r)
{
	for (int i = 0; i < r; i++) {
		if (out[i].start % 4096 || out[i].end % 4096 ||
		    out[i].start >= out[i].end)
			abort();
		if (i && out[i - 1].end >= out[i].start)
			abort();
		if (!ram_covers(n, out[i].start, out[i].end) ||
		    reserved_meets(n, out[i].start, out[i].end))
			abort();
	}
}

/* In small mode: the exact set of usable pages, by brute force. */
static void check_oracle(unsigned n, int r)
{
	static bool ram[SMALL_SPACE / UNIT], res[SMALL_SPACE / UNIT];
	const unsigned per_page = 4096 / UNIT;

	memset(ram, 0, sizeof(ram));
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < n; i++)
		for (uint64_t u = in[i].addr / UNIT;
		     u < (in[i].addr + in[i].size) / UNIT; u++)
			(in[i].type == MEMMAP_RAM ? ram : res)[u] = true;
	for (unsigned p = 0; p < SMALL_SPACE / 4096; p++) {
		bool want = true, got = false;

		for (unsigned u = p * per_page; u < (p + 1) * per_page; u++)
			want = want && ram[u] && !res[u];
		for (int i = 0; i < r; i++)
			got = got || (out[i].start <= p * 4096ull &&
				      p * 4096ull < out[i].end);
		if (want != got)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool small = size && (data[0] & 1);
	unsigned n = decode(data, size, small);
	struct memmap_report rep;
	int r = memmap_usable(in, n, out, MEMMAP_MAX, &rep);

	if (n > MEMMAP_MAX) {
		if (r != -EINVAL)
			abort();
		return 0;
	}
	if (r < 0 || (unsigned)r > n)
		abort();
	if (rep.holes != (r ? (unsigned)r - 1 : 0) || rep.invalid > n ||
	    rep.ram_overlaps > n || rep.reserved_overlaps > n)
		abort();
	check_ranges(n, r);
	if (small)
		check_oracle(n, r);
	if (r && memmap_usable(in, n, out, r - 1, &rep) != -E2BIG)
		abort();
	return 0;
}
