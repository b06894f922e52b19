/* Host tests for kernel/mm/memmap.c, the firmware memory-map sanitiser. */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "kernel/mm/memmap.h"
#include "tests/host/check.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define RAM MEMMAP_RAM
#define RES MEMMAP_RESERVED

static struct phys_range out[MEMMAP_MAX];
static struct memmap_report rep;

static int usable(const struct memmap_entry *in, unsigned n)
{
	memset(out, 0xa5, sizeof(out));
	return memmap_usable(in, n, out, MEMMAP_MAX, &rep);
}

static void check_range(unsigned i, uint64_t start, uint64_t end)
{
	CHECK_EQ(out[i].start, start);
	CHECK_EQ(out[i].end, end);
}

static void memmap_empty(void)
{
	CHECK_EQ(usable(NULL, 0), 0);
	CHECK_EQ(rep.invalid + rep.holes + rep.ram_overlaps, 0);
}

static void memmap_one_ram_entry_shrinks_inward(void)
{
	struct memmap_entry m[] = {{0x1234, 0x10000, RAM}};

	CHECK_EQ(usable(m, 1), 1);
	check_range(0, 0x2000, 0x11000);
}

static void memmap_sub_page_ram_is_dropped(void)
{
	struct memmap_entry m[] = {{0x1001, 0xfff, RAM}, {0x3000, 0xfff, RAM}};

	CHECK_EQ(usable(m, 2), 0);
	CHECK_EQ(rep.invalid, 0);
}

/* What QEMU's q35 gives a 4 GiB guest: two RAM runs around the PCI hole. */
static void memmap_qemu_like_map(void)
{
	struct memmap_entry m[] = {
	    {0, 0x9fc00, RAM},
	    {0x9fc00, 0x400, RES},
	    {0xf0000, 0x10000, RES},
	    {0x100000, 0x7fee0000, RAM},
	    {0x7ffe0000, 0x20000, RES},
	    {0xb0000000, 0x10000000, RES},
	    {0xfeffc000, 0x4000, RES},
	    {0xfffc0000, 0x40000, RES},
	    {0x100000000, 0x80000000, RAM},
	};

	CHECK_EQ(usable(m, ARRAY_SIZE(m)), 3);
	check_range(0, 0, 0x9f000);
	check_range(1, 0x100000, 0x7ffe0000);
	check_range(2, 0x100000000, 0x180000000);
	CHECK_EQ(rep.ram_overlaps, 0);
	CHECK_EQ(rep.reserved_overlaps, 0);
	CHECK_EQ(rep.invalid, 0);
	CHECK_EQ(rep.holes, 2);
}

static void memmap_unsorted_input_gives_sorted_output(void)
{
	struct memmap_entry m[] = {
	    {3 * GiB, GiB, RAM},
	    {0, MiB, RAM},
	    {GiB, GiB, RAM},
	};

	CHECK_EQ(usable(m, 3), 3);
	check_range(0, 0, MiB);
	check_range(1, GiB, 2 * GiB);
	check_range(2, 3 * GiB, 4 * GiB);
	CHECK_EQ(rep.holes, 2);
}

static void memmap_overlapping_ram_merges(void)
{
	struct memmap_entry m[] = {
	    {0x10000, 0x10000, RAM},
	    {0x18000, 0x10000, RAM},
	    {0x12000, 0x1000, RAM}, /* inside the first */
	    {0x28000, 0x8000, RAM}, /* touches the second: no overlap */
	};

	CHECK_EQ(usable(m, 4), 1);
	check_range(0, 0x10000, 0x30000);
	CHECK_EQ(rep.ram_overlaps, 2);
	CHECK_EQ(rep.holes, 0);
}

/* Two RAM entries meeting inside a page still cover that page. */
static void memmap_ram_touching_mid_page_keeps_page(void)
{
	struct memmap_entry m[] = {{0, 0x1800, RAM}, {0x1800, 0x1800, RAM}};

	CHECK_EQ(usable(m, 2), 1);
	check_range(0, 0, 0x3000);
	CHECK_EQ(rep.ram_overlaps, 0);
}

static void memmap_reserved_splits_ram(void)
{
	struct memmap_entry m[] = {
	    {0, 0x100000, RAM},
	    {0x40000, 0x10000, RES},
	};

	CHECK_EQ(usable(m, 2), 2);
	check_range(0, 0, 0x40000);
	check_range(1, 0x50000, 0x100000);
	CHECK_EQ(rep.reserved_overlaps, 1);
	CHECK_EQ(rep.holes, 1);
}

static void memmap_reserved_grows_outward(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {0x3800, 1, RES},	      /* takes page 0x3000 */
	    {0x6fff, 2, MEMMAP_ACPI}, /* takes pages 0x6000 and 0x7000 */
	};

	CHECK_EQ(usable(m, 3), 3);
	check_range(0, 0, 0x3000);
	check_range(1, 0x4000, 0x6000);
	check_range(2, 0x8000, 0x10000);
	CHECK_EQ(rep.reserved_overlaps, 1);
}

static void memmap_reserved_covers_whole_ram(void)
{
	struct memmap_entry m[] = {
	    {0x10000, 0x10000, RAM},
	    {0x20000, 0x10000, RAM},
	    {0x8000, 0x30000, MEMMAP_NVS},
	};

	CHECK_EQ(usable(m, 3), 0);
	CHECK_EQ(rep.reserved_overlaps, 2);
	CHECK_EQ(rep.holes, 0);
}

static void memmap_reserved_trims_ends(void)
{
	struct memmap_entry m[] = {
	    {0x10000, 0x10000, RAM},
	    {0x8000, 0x9000, RES},  /* the front */
	    {0x1f000, 0x9000, RES}, /* the back */
	};

	CHECK_EQ(usable(m, 3), 1);
	check_range(0, 0x11000, 0x1f000);
}

static void memmap_unknown_type_is_reserved(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {0x4000, 0x1000, 0},
	    {0x8000, 0x1000, 0xdeadbeef},
	    {0xa000, 0x1000, MEMMAP_UNUSABLE},
	};

	CHECK_EQ(usable(m, 4), 4);
	check_range(0, 0, 0x4000);
	check_range(1, 0x5000, 0x8000);
	check_range(2, 0x9000, 0xa000);
	check_range(3, 0xb000, 0x10000);
}

static void memmap_zero_size_is_invalid(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {0x4000, 0, RES},
	    {0x20000, 0, RAM},
	};

	CHECK_EQ(usable(m, 3), 1);
	check_range(0, 0, 0x10000);
	CHECK_EQ(rep.invalid, 2);
	CHECK_EQ(rep.reserved_overlaps, 0);
}

static void memmap_overflowing_ram_is_skipped(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {UINT64_MAX - 0x10000, 0x20000, RAM},
	    {0xfffffffffffff000, 0x1000, RAM}, /* ends at exactly 2^64 */
	};

	CHECK_EQ(usable(m, 3), 1);
	check_range(0, 0, 0x10000);
	CHECK_EQ(rep.invalid, 2);
}

static void memmap_overflowing_reserved_takes_the_top(void)
{
	struct memmap_entry m[] = {
	    {0, 0x100000, RAM},
	    {0xffffffff00000000, 0xfffff000, RAM},
	    {0x80000, UINT64_MAX, RES},
	};

	CHECK_EQ(usable(m, 3), 1);
	check_range(0, 0, 0x80000);
	CHECK_EQ(rep.invalid, 1);
	CHECK_EQ(rep.reserved_overlaps, 2);
}

static void memmap_ram_at_the_top(void)
{
	struct memmap_entry m[] = {
	    {0xffffffffffffe000, 0x1fff, RAM}, /* ends at 2^64 - 1 */
	    {0xfffffffffffff800, 0x100, RAM},
	    {0xffffffffffffe800, 0x10, RES},
	};

	CHECK_EQ(usable(m, 2), 1);
	check_range(0, 0xffffffffffffe000, 0xfffffffffffff000);
	CHECK_EQ(usable(m, 3), 0);
	CHECK_EQ(rep.invalid, 0);
}

static void memmap_reserved_near_the_top_does_not_wrap(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {0xfffffffffffff800, 0x100, RES},
	    {0xffffffffffffffff, 1, RES}, /* ends at exactly 2^64 */
	};

	CHECK_EQ(usable(m, 3), 1);
	check_range(0, 0, 0x10000);
}

static void memmap_too_many_ranges_is_e2big(void)
{
	struct memmap_entry m[] = {
	    {0, 0x10000, RAM},
	    {0x20000, 0x10000, RAM},
	    {0x40000, 0x10000, RAM},
	};
	struct phys_range small[2];

	CHECK_EQ(memmap_usable(m, 3, small, 2, &rep), -E2BIG);
	CHECK_EQ(rep.holes, 2);
	CHECK_EQ(memmap_usable(m, 3, NULL, 0, &rep), -E2BIG);
	CHECK_EQ(memmap_usable(m, 2, small, 2, &rep), 2);
}

static void memmap_too_many_entries_is_einval(void)
{
	static struct memmap_entry m[MEMMAP_MAX + 1];

	for (unsigned i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = (struct memmap_entry){i * 0x10000, 0x1000, RAM};
	CHECK_EQ(usable(m, MEMMAP_MAX + 1), -EINVAL);
	CHECK_EQ(usable(m, MEMMAP_MAX), MEMMAP_MAX);
	CHECK_EQ(memmap_usable(m, 1, out, 1, NULL), -EINVAL);
	CHECK_EQ(memmap_usable(NULL, 1, out, 1, &rep), -EINVAL);
}

/* One RAM run cut by MEMMAP_MAX - 1 reserved pages: the most ranges. */
static void memmap_most_fragmented_map(void)
{
	struct memmap_entry m[MEMMAP_MAX];

	m[0] = (struct memmap_entry){0, 2 * MEMMAP_MAX * 0x1000, RAM};
	for (unsigned i = 1; i < MEMMAP_MAX; i++) /* in reverse order */
		m[i] = (struct memmap_entry){
		    (2 * (MEMMAP_MAX - i) - 1) * 0x1000ull, 0x1000, RES};
	CHECK_EQ(usable(m, MEMMAP_MAX), MEMMAP_MAX);
	for (unsigned i = 0; i < MEMMAP_MAX - 1; i++)
		check_range(i, 2 * i * 0x1000ull, (2 * i + 1) * 0x1000ull);
	check_range(MEMMAP_MAX - 1, (2 * MEMMAP_MAX - 2) * 0x1000ull,
		    2 * MEMMAP_MAX * 0x1000ull);
	CHECK_EQ(rep.holes, MEMMAP_MAX - 1);
}

/*
 * Random maps in a small address space against a brute-force oracle: a
 * page is usable iff RAM covers all of its bytes and no other entry
 * touches any of them. Addresses are in 64-byte chunks to keep it cheap.
 */
#define CHUNK 64
#define SPACE_PAGES 64
#define CHUNKS_PER_PAGE (4096 / CHUNK)
#define SPACE_CHUNKS (SPACE_PAGES * CHUNKS_PER_PAGE)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void oracle(const struct memmap_entry *m, unsigned n, bool *usable_page)
{
	static bool ram[SPACE_CHUNKS], res[SPACE_CHUNKS];

	memset(ram, 0, sizeof(ram));
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < n; i++)
		for (uint64_t c = m[i].addr / CHUNK;
		     c < (m[i].addr + m[i].size) / CHUNK; c++)
			(m[i].type == RAM ? ram : res)[c] = true;
	for (unsigned p = 0; p < SPACE_PAGES; p++) {
		usable_page[p] = true;
		for (unsigned c = 0; c < CHUNKS_PER_PAGE; c++)
			if (!ram[p * CHUNKS_PER_PAGE + c] ||
			    res[p * CHUNKS_PER_PAGE + c])
				usable_page[p] = false;
	}
}

static void memmap_random_maps_match_oracle(void)
{
	struct memmap_entry m[24];
	bool want[SPACE_PAGES], got[SPACE_PAGES];

	for (int iter = 0; iter < 20000; iter++) {
		unsigned n = rnd() % ARRAY_SIZE(m) + 1;

		for (unsigned i = 0; i < n; i++) {
			uint64_t a = rnd() % SPACE_CHUNKS;
			uint64_t len = rnd() % (SPACE_CHUNKS - a) + 1;

			if (rnd() % 4 == 0)
				len = rnd() % (3 * CHUNKS_PER_PAGE) + 1;
			if (a + len > SPACE_CHUNKS)
				len = SPACE_CHUNKS - a;
			m[i] = (struct memmap_entry){
			    a * CHUNK, len * CHUNK,
			    rnd() % 3 ? RAM : (uint32_t)(rnd() % 7)};
		}
		oracle(m, n, want);
		int r = usable(m, n);
		if (!CHECK(r >= 0))
			return;
		memset(got, 0, sizeof(got));
		for (int i = 0; i < r; i++) {
			CHECK(out[i].start % 4096 == 0 &&
			      out[i].end % 4096 == 0);
			CHECK(out[i].start < out[i].end);
			if (i)
				CHECK(out[i - 1].end < out[i].start);
			for (uint64_t p = out[i].start / 4096;
			     p < out[i].end / 4096 && p < SPACE_PAGES; p++)
				got[p] = true;
		}
		CHECK_EQ(rep.holes, r ? r - 1 : 0);
		if (!CHECK(memcmp(got, want, sizeof(got)) == 0)) {
			for (unsigned i = 0; i < n; i++)
				printf("    entry %#lx +%#lx type %u\n",
				       m[i].addr, m[i].size, m[i].type);
			return;
		}
	}
}

int main(void)
{
	RUN_TEST(memmap_empty);
	RUN_TEST(memmap_one_ram_entry_shrinks_inward);
	RUN_TEST(memmap_sub_page_ram_is_dropped);
	RUN_TEST(memmap_qemu_like_map);
	RUN_TEST(memmap_unsorted_input_gives_sorted_output);
	RUN_TEST(memmap_overlapping_ram_merges);
	RUN_TEST(memmap_ram_touching_mid_page_keeps_page);
	RUN_TEST(memmap_reserved_splits_ram);
	RUN_TEST(memmap_reserved_grows_outward);
	RUN_TEST(memmap_reserved_covers_whole_ram);
	RUN_TEST(memmap_reserved_trims_ends);
	RUN_TEST(memmap_unknown_type_is_reserved);
	RUN_TEST(memmap_zero_size_is_invalid);
	RUN_TEST(memmap_overflowing_ram_is_skipped);
	RUN_TEST(memmap_overflowing_reserved_takes_the_top);
	RUN_TEST(memmap_ram_at_the_top);
	RUN_TEST(memmap_reserved_near_the_top_does_not_wrap);
	RUN_TEST(memmap_too_many_ranges_is_e2big);
	RUN_TEST(memmap_too_many_entries_is_einval);
	RUN_TEST(memmap_most_fragmented_map);
	RUN_TEST(memmap_random_maps_match_oracle);
	return check_exit();
}
