/*
 * The firmware memory-map sanitiser. The map is outside input: firmware
 * (and hypervisors, and whoever wrote the PVH start info) has been seen to
 * give overlapping entries, entries in any order, zero-sized ones and
 * unaligned ones. The rule is to err on the side of not using memory:
 *
 *   1. RAM entries are merged in byte coordinates first, so that two
 *      entries meeting inside a page still make that page usable;
 *   2. the merged ranges shrink inward to whole pages;
 *   3. every other entry, of any type (including unknown ones), grows
 *      outward to whole pages and is cut out of the RAM.
 *
 * Work is O(n^2) for n <= MEMMAP_MAX entries, on a 2 KiB array on the
 * stack: it runs before there is a heap.
 */
#include "kernel/mm/memmap.h"
#include "arch/x86_64/layout.h"
#include "kernel/kernel.h"

/* The highest page-aligned end a range can have: 2^64 - 4096. */
#define MEMMAP_TOP (0ull - PAGE_SIZE)

/* The end of an entry; false when addr + size passes 2^64. */
static bool entry_end(const struct memmap_entry *e, uint64_t *end)
{
	return !add_overflows(e->addr, e->size, end);
}

/* Copies the valid RAM entries, in bytes, and counts the invalid ones. */
static unsigned collect_ram(const struct memmap_entry *in, unsigned n,
			    struct phys_range *ram, struct memmap_report *rep)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t end;
		bool fits = entry_end(&in[i], &end);

		if (!in[i].size || !fits)
			rep->invalid++;
		if (in[i].type == MEMMAP_RAM && in[i].size && fits)
			ram[k++] = (struct phys_range){in[i].addr, end};
	}
	return k;
}

/* Insertion sort by start: n is small and the map is often sorted. */
static void sort_ranges(struct phys_range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct phys_range x = r[i];
		unsigned j = i;

		for (; j > 0 && r[j - 1].start > x.start; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/* Merges sorted ranges that overlap or touch; counts the overlaps. */
static unsigned merge_ranges(struct phys_range *r, unsigned n,
			     struct memmap_report *rep)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (k && r[i].start <= r[k - 1].end) {
			if (r[i].start < r[k - 1].end)
				rep->ram_overlaps++;
			r[k - 1].end = MAX(r[k - 1].end, r[i].end);
		} else {
			r[k++] = r[i];
		}
	}
	return k;
}

/* Shrinks each range inward to whole pages, dropping what is left empty. */
static unsigned shrink_ranges(struct phys_range *r, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t start = r[i].start > MEMMAP_TOP
				     ? MEMMAP_TOP
				     : ALIGN_UP(r[i].start, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(r[i].end, PAGE_SIZE);

		if (start < end)
			r[k++] = (struct phys_range){start, end};
	}
	return k;
}

/* Whether the byte ranges of RAM entry `ram` and entry `res` meet. */
static bool entries_meet(const struct memmap_entry *ram,
			 const struct memmap_entry *res)
{
	uint64_t ram_end, res_end;

	if (!ram->size || !res->size || !entry_end(ram, &ram_end))
		return false;
	if (!entry_end(res, &res_end))
		res_end = UINT64_MAX; /* it runs to the top */
	return res->addr < ram_end && ram->addr < res_end;
}

/* RAM entries that some non-RAM entry cuts into, in firmware bytes. */
static unsigned count_cut_ram(const struct memmap_entry *in, unsigned n)
{
	unsigned cut = 0;

	for (unsigned i = 0; i < n; i++) {
		if (in[i].type != MEMMAP_RAM)
			continue;
		for (unsigned j = 0; j < n; j++) {
			if (in[j].type != MEMMAP_RAM &&
			    entries_meet(&in[i], &in[j])) {
				cut++;
				break;
			}
		}
	}
	return cut;
}

/* Splits r[i] around [s, e), which lies strictly inside it. */
static unsigned split_range(struct phys_range *r, unsigned n, unsigned cap,
			    unsigned i, uint64_t s, uint64_t e)
{
	if (n == cap) {
		/*
		 * Cannot happen (see memmap_usable); if it did, giving up
		 * the upper part is safe where keeping the hole is not.
		 */
		r[i].end = s;
		return n;
	}
	memmove(&r[i + 2], &r[i + 1], (n - i - 1) * sizeof(*r));
	r[i + 1] = (struct phys_range){e, r[i].end};
	r[i].end = s;
	return n + 1;
}

/* Removes [s, e) from the sorted, disjoint ranges; returns the new count. */
static unsigned subtract_range(struct phys_range *r, unsigned n, unsigned cap,
			       uint64_t s, uint64_t e)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct phys_range x = r[i];

		/* Nothing before r[i] meets [s, e), so k == i here. */
		if (s > x.start && e < x.end)
			return split_range(r, n, cap, i, s, e);
		if (s < x.end && e > x.start) {
			if (x.start < s)
				x.end = s;
			else if (e < x.end)
				x.start = e;
			else
				continue; /* wholly reserved */
		}
		r[k++] = x;
	}
	return k;
}

/* Cuts every non-RAM entry, grown outward to pages, out of the ranges. */
static unsigned subtract_reserved(const struct memmap_entry *in, unsigned n,
				  struct phys_range *r, unsigned nr,
				  unsigned cap)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t s = ALIGN_DOWN(in[i].addr, PAGE_SIZE), e;

		if (in[i].type == MEMMAP_RAM || !in[i].size)
			continue;
		if (!entry_end(&in[i], &e) || e > MEMMAP_TOP)
			e = MEMMAP_TOP; /* no RAM range ends above this */
		else
			e = ALIGN_UP(e, PAGE_SIZE);
		nr = subtract_range(r, nr, cap, s, e);
	}
	return nr;
}

int memmap_usable(const struct memmap_entry *in, unsigned n,
		  struct phys_range *out, unsigned max_out,
		  struct memmap_report *rep)
{
	/*
	 * Each non-RAM entry splits at most one range in two, so there are
	 * never more ranges than entries: MEMMAP_MAX slots are enough.
	 */
	struct phys_range r[MEMMAP_MAX];
	unsigned nr;

	if (n > MEMMAP_MAX || (n && !in) || (max_out && !out) || !rep)
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	nr = collect_ram(in, n, r, rep);
	sort_ranges(r, nr);
	nr = merge_ranges(r, nr, rep);
	nr = shrink_ranges(r, nr);
	rep->reserved_overlaps = count_cut_ram(in, n);
	nr = subtract_reserved(in, n, r, nr, ARRAY_SIZE(r));
	rep->holes = nr ? nr - 1 : 0;
	if (nr > max_out)
		return -E2BIG;
	if (nr)
		memcpy(out, r, nr * sizeof(*r));
	return (int)nr;
}
