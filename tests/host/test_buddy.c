/* Host tests for kernel/mm/buddy.c, the buddy allocator. */
#include <stdlib.h>

#include "kernel/kernel.h"
#include "kernel/mm/buddy.h"
#include "tests/host/check.h"

static struct buddy b;
static struct page *pages;

static void setup(uint64_t npages)
{
	free(pages);
	pages = malloc(npages * sizeof(*pages));
	memset(pages, 0xa5, npages * sizeof(*pages));
	buddy_init(&b, pages, npages);
}

/* buddy_check is NULL; prints the violation when it is not. */
#define CHECK_INVARIANTS() CHECK_STR(buddy_check(&b), NULL)

static void buddy_init_reserves_everything(void)
{
	setup(100);
	CHECK_EQ(b.free_pages, 0);
	CHECK_EQ(b.managed_pages, 0);
	for (unsigned i = 0; i < 100; i++)
		CHECK_EQ(pages[i].flags, PG_RESERVED);
	for (unsigned o = 0; o <= MM_MAX_ORDER; o++)
		CHECK_EQ(b.free_head[o], BUDDY_NIL);
	CHECK_EQ(buddy_alloc(&b, 0), -1);
	CHECK_INVARIANTS();
}

static void buddy_aligned_range_is_one_block(void)
{
	setup(2048);
	buddy_add_free(&b, 1024, 2048);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], 1);
	CHECK_EQ(b.free_head[MM_MAX_ORDER], 1024);
	CHECK_EQ(b.free_pages, 1024);
	CHECK_EQ(b.managed_pages, 1024);
	CHECK_EQ(pages[1023].flags, PG_RESERVED);
	CHECK_INVARIANTS();
}

static void buddy_unaligned_range_is_largest_blocks(void)
{
	setup(64);
	buddy_add_free(&b, 3, 17); /* 3, 4-7, 8-15, 16 */
	CHECK_EQ(b.free_pages, 14);
	CHECK_EQ(b.free_blocks[0], 2);
	CHECK_EQ(b.free_blocks[1], 0);
	CHECK_EQ(b.free_blocks[2], 1);
	CHECK_EQ(b.free_blocks[3], 1);
	CHECK_EQ(pages[4].order, 2);
	CHECK_EQ(pages[8].order, 3);
	CHECK_INVARIANTS();
}

static void buddy_adjacent_ranges_coalesce(void)
{
	setup(4096);
	buddy_add_free(&b, 0, 512);
	buddy_add_free(&b, 512, 1024);
	buddy_add_free(&b, 1030, 2048);
	buddy_add_free(&b, 1024, 1030);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], 2);
	CHECK_EQ(b.free_pages, 2048);
	for (unsigned o = 0; o < MM_MAX_ORDER; o++)
		CHECK_EQ(b.free_blocks[o], 0);
	CHECK_INVARIANTS();
}

static void buddy_range_is_clipped_at_npages(void)
{
	setup(1000);
	buddy_add_free(&b, 0, 5000);
	CHECK_EQ(b.managed_pages, 1000);
	CHECK_EQ(b.free_pages, 1000);
	CHECK_EQ(b.free_blocks[9], 1); /* 512 + 256 + 128 + 64 + 32 + 8 */
	CHECK_EQ(b.free_blocks[8], 1);
	CHECK_EQ(b.free_blocks[3], 1);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], 0);
	buddy_add_free(&b, 2000, 3000);
	CHECK_EQ(b.managed_pages, 1000);
	CHECK_INVARIANTS();
}

static void buddy_adding_twice_is_ignored(void)
{
	setup(256);
	buddy_add_free(&b, 10, 100);
	int64_t p = buddy_alloc(&b, 0);
	buddy_add_free(&b, 0, 200); /* 10-99 are not reserved any more */
	CHECK_EQ(b.managed_pages, 200);
	CHECK_EQ(b.free_pages, 199);
	CHECK_EQ(pages[p].flags, 0);
	CHECK_INVARIANTS();
}

static void buddy_alloc_splits_and_aligns(void)
{
	setup(1024);
	buddy_add_free(&b, 0, 1024);
	int64_t p = buddy_alloc(&b, 0);
	CHECK_EQ(p, 0);
	for (unsigned o = 0; o < MM_MAX_ORDER; o++)
		CHECK_EQ(b.free_blocks[o], 1);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], 0);
	CHECK_EQ(b.free_pages, 1023);
	int64_t q = buddy_alloc(&b, 4);
	CHECK_EQ(q, 16);
	CHECK_EQ(pages[q].order, 4);
	CHECK_EQ(pages[q].flags, 0);
	CHECK_INVARIANTS();
	buddy_free(&b, p, 0);
	buddy_free(&b, q, 4);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], 1);
	CHECK_EQ(b.free_pages, 1024);
	CHECK_INVARIANTS();
}

static void buddy_alloc_too_big_fails(void)
{
	setup(2048);
	buddy_add_free(&b, 0, 2048);
	CHECK_EQ(buddy_alloc(&b, MM_MAX_ORDER + 1), -1);
	CHECK_EQ(buddy_alloc(&b, 1000), -1);
	CHECK_EQ(buddy_alloc(&b, MM_MAX_ORDER), 1024);
	CHECK_EQ(buddy_alloc(&b, MM_MAX_ORDER), 0);
	CHECK_EQ(buddy_alloc(&b, 0), -1);
	CHECK_EQ(b.free_pages, 0);
	CHECK_INVARIANTS();
}

static void buddy_exhaustion_gives_every_page_once(void)
{
	static bool seen[3000];

	setup(3000);
	buddy_add_free(&b, 1, 1500);
	buddy_add_free(&b, 1501, 3000);
	uint64_t n = 0, want = b.free_pages;
	int64_t p;

	while ((p = buddy_alloc(&b, 0)) >= 0) {
		CHECK(p != 0 && p != 1500 && !seen[p]);
		seen[p] = true;
		n++;
	}
	CHECK_EQ(n, want);
	CHECK_EQ(b.free_pages, 0);
	CHECK_INVARIANTS();
	for (p = 0; p < 3000; p++)
		if (seen[p])
			buddy_free(&b, p, 0);
	CHECK_EQ(b.free_pages, want);
	CHECK_INVARIANTS();
}

static void buddy_holes_stop_merging(void)
{
	setup(16);
	buddy_add_free(&b, 0, 4);
	buddy_add_free(&b, 5, 8);
	CHECK_EQ(b.free_blocks[2], 1); /* 0-3 */
	CHECK_EQ(b.free_blocks[0], 1); /* 5 */
	CHECK_EQ(b.free_blocks[1], 1); /* 6-7 */
	CHECK_EQ(buddy_alloc(&b, 3), -1);
	CHECK_INVARIANTS();
}

static void buddy_double_free_is_ignored(void)
{
	setup(1024);
	buddy_add_free(&b, 0, 1024);
	int64_t p = buddy_alloc(&b, 2), q = buddy_alloc(&b, 2);
	buddy_free(&b, p, 2);
	struct buddy before = b;
	buddy_free(&b, p, 2); /* head already free */
	CHECK(memcmp(&before, &b, sizeof(b)) == 0);
	buddy_free(&b, q, 2); /* merges p and q into bigger blocks */
	before = b;
	buddy_free(&b, q, 2); /* inside a free block */
	buddy_free(&b, p + 1, 0);
	buddy_free(&b, 512, 9);
	CHECK(memcmp(&before, &b, sizeof(b)) == 0);
	CHECK_EQ(b.free_pages, 1024);
	CHECK_INVARIANTS();
}

static void buddy_bad_frees_are_ignored(void)
{
	setup(64);
	buddy_add_free(&b, 8, 64);
	int64_t p = buddy_alloc(&b, 3);
	struct buddy before = b;

	buddy_free(&b, 0, 0);		     /* reserved */
	buddy_free(&b, p + 1, 1);	     /* misaligned */
	buddy_free(&b, 64, 0);		     /* past npages */
	buddy_free(&b, 56, 4);		     /* runs past npages */
	buddy_free(&b, p, MM_MAX_ORDER + 1); /* no such order */
	buddy_free(&b, UINT64_MAX, 0);
	CHECK(memcmp(&before, &b, sizeof(b)) == 0);
	CHECK_INVARIANTS();
	buddy_free(&b, p, 3);
	CHECK_EQ(b.free_pages, 56);
	CHECK_INVARIANTS();
}

static void buddy_heap_flags_do_not_matter(void)
{
	setup(64);
	buddy_add_free(&b, 0, 64);
	int64_t p = buddy_alloc(&b, 2);
	for (int i = 0; i < 4; i++)
		pages[p + i].flags = PG_SLAB, pages[p + i].slab_class = 7;
	pages[p].flags = 0;
	buddy_free(&b, p, 2);
	CHECK_EQ(b.free_pages, 64);
	CHECK_INVARIANTS();
	p = buddy_alloc(&b, 0);
	pages[p].flags = PG_LARGE;
	buddy_free(&b, p, 0); /* flags other than FREE and RESERVED: fine */
	CHECK_EQ(b.free_pages, 64);
	CHECK_INVARIANTS();
}

/* buddy_check must notice each kind of corruption. */
static void buddy_check_finds_corruption(void)
{
	setup(256);
	buddy_add_free(&b, 0, 200);
	CHECK_INVARIANTS();
	int64_t p = buddy_alloc(&b, 0);

	b.free_pages++;
	CHECK(buddy_check(&b) != NULL);
	b.free_pages--;
	b.free_blocks[0]++;
	CHECK(buddy_check(&b) != NULL);
	b.free_blocks[0]--;
	pages[p].flags = PG_FREE; /* marked free, on no list */
	CHECK(buddy_check(&b) != NULL);
	pages[p].flags = 0;
	uint32_t h = b.free_head[6];
	pages[h + 1].flags = PG_RESERVED; /* a reserved page inside a block */
	CHECK(buddy_check(&b) != NULL);
	pages[h + 1].flags = 0;
	pages[b.free_head[0]].prev = 7; /* a broken link */
	CHECK(buddy_check(&b) != NULL);
	pages[b.free_head[0]].prev = BUDDY_NIL;
	pages[b.free_head[0]].next = b.free_head[0]; /* a loop */
	CHECK(buddy_check(&b) != NULL);
	pages[b.free_head[0]].next = BUDDY_NIL;
	CHECK_INVARIANTS();
	/* Two free buddies left unmerged. */
	setup(4);
	buddy_add_free(&b, 0, 2);
	pages[0].order = 0;
	b.free_blocks[1]--;
	b.free_head[1] = BUDDY_NIL;
	b.free_head[0] = 0;
	pages[0].next = 1;
	pages[1] =
	    (struct page){.next = BUDDY_NIL, .prev = 0, .flags = PG_FREE};
	b.free_blocks[0] = 2;
	CHECK(buddy_check(&b) != NULL);
}

/*
 * Thousands of random allocations and frees of random orders over a
 * memory map with holes: the invariants hold after every step, live
 * blocks never overlap or touch a hole, and freeing everything gives back
 * exactly the blocks there were at the start.
 */
#define STRESS_PAGES 20000
#define STRESS_SLOTS 300

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct live {
	int64_t pfn;
	unsigned order;
};

static bool stress_step(struct live *slot, int32_t *owner, const bool *ram,
			unsigned id)
{
	if (slot->pfn >= 0) {
		for (uint64_t i = 0; i < (1u << slot->order); i++)
			owner[slot->pfn + i] = -1;
		buddy_free(&b, slot->pfn, slot->order);
		slot->pfn = -1;
		return true;
	}
	unsigned order = rnd() % 3 ? rnd() % 3 : rnd() % (MM_MAX_ORDER + 1);
	int64_t p = buddy_alloc(&b, order);

	if (p < 0)
		return true;
	if (!CHECK_EQ(p % (1 << order), 0) ||
	    !CHECK(p + (1 << order) <= STRESS_PAGES))
		return false;
	for (uint64_t i = 0; i < (1u << order); i++) {
		if (!CHECK(ram[p + i]) || !CHECK_EQ(owner[p + i], -1))
			return false;
		owner[p + i] = (int32_t)id;
	}
	*slot = (struct live){p, order};
	return true;
}

static void buddy_random_stress(void)
{
	static bool ram[STRESS_PAGES];
	static int32_t owner[STRESS_PAGES];
	static struct live live[STRESS_SLOTS];
	uint64_t blocks0[MM_MAX_ORDER + 1], used = 0;

	setup(STRESS_PAGES);
	/* Random ranges with random holes between them. */
	for (uint64_t pfn = rnd() % 50; pfn < STRESS_PAGES;) {
		uint64_t len = rnd() % 3000 + 1,
			 end = MIN(pfn + len, STRESS_PAGES);

		buddy_add_free(&b, pfn, end);
		for (uint64_t i = pfn; i < end; i++)
			ram[i] = true;
		pfn = end + rnd() % 40 + 1;
	}
	memcpy(blocks0, b.free_blocks, sizeof(blocks0));
	uint64_t free0 = b.free_pages;
	CHECK_EQ(free0, b.managed_pages);
	memset(owner, 0xff, sizeof(owner));
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		live[i].pfn = -1;
	for (int step = 0; step < 6000; step++) {
		unsigned i = rnd() % STRESS_SLOTS;

		if (!stress_step(&live[i], owner, ram, i))
			return;
		if (!CHECK_INVARIANTS())
			return;
	}
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		if (live[i].pfn >= 0)
			used += 1u << live[i].order;
	CHECK_EQ(b.free_pages, free0 - used);
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		if (live[i].pfn >= 0)
			stress_step(&live[i], owner, ram, i);
	CHECK_INVARIANTS();
	CHECK_EQ(b.free_pages, free0);
	CHECK(memcmp(blocks0, b.free_blocks, sizeof(blocks0)) == 0);
}

/* A 4 GiB machine's worth of frames: the lists stay fast and correct. */
static void buddy_many_frames(void)
{
	const uint64_t n = 1 << 20;

	setup(n);
	buddy_add_free(&b, 256, n);
	CHECK_EQ(b.free_pages, n - 256);
	CHECK_EQ(b.free_blocks[MM_MAX_ORDER], n / 1024 - 1);
	for (int i = 0; i < 1000; i++)
		CHECK(buddy_alloc(&b, MM_MAX_ORDER) >= 0);
	CHECK_INVARIANTS();
}

int main(void)
{
	RUN_TEST(buddy_init_reserves_everything);
	RUN_TEST(buddy_aligned_range_is_one_block);
	RUN_TEST(buddy_unaligned_range_is_largest_blocks);
	RUN_TEST(buddy_adjacent_ranges_coalesce);
	RUN_TEST(buddy_range_is_clipped_at_npages);
	RUN_TEST(buddy_adding_twice_is_ignored);
	RUN_TEST(buddy_alloc_splits_and_aligns);
	RUN_TEST(buddy_alloc_too_big_fails);
	RUN_TEST(buddy_exhaustion_gives_every_page_once);
	RUN_TEST(buddy_holes_stop_merging);
	RUN_TEST(buddy_double_free_is_ignored);
	RUN_TEST(buddy_bad_frees_are_ignored);
	RUN_TEST(buddy_heap_flags_do_not_matter);
	RUN_TEST(buddy_check_finds_corruption);
	RUN_TEST(buddy_random_stress);
	RUN_TEST(buddy_many_frames);
	free(pages);
	return check_exit();
}
