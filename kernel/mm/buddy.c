/*
 * The buddy allocator. A free block of order k is a run of 2^k frames
 * aligned to 2^k whose first ("head") page has PG_FREE and order k and sits
 * on free_head[k]; its other pages have no PG_FREE. Its buddy is the block
 * at pfn ^ 2^k: when both are free they merge into one block of order
 * k + 1, so no two free buddies of one order are ever left side by side,
 * and the free blocks of any set of free frames are always the same ones.
 * PG_RESERVED frames are never free, which is what stops a merge across a
 * hole in the memory map.
 */
#include "kernel/mm/buddy.h"
#include "kernel/kernel.h"

static uint64_t block_pages(unsigned order)
{
	return 1ull << order;
}

static void list_push(struct buddy *b, uint64_t pfn, unsigned order)
{
	struct page *p = &b->pages[pfn];
	uint32_t head = b->free_head[order];

	p->next = head;
	p->prev = BUDDY_NIL;
	p->order = (uint8_t)order;
	p->flags = PG_FREE;
	if (head != BUDDY_NIL)
		b->pages[head].prev = (uint32_t)pfn;
	b->free_head[order] = (uint32_t)pfn;
	b->free_blocks[order]++;
}

static void list_remove(struct buddy *b, uint64_t pfn)
{
	struct page *p = &b->pages[pfn];

	if (p->prev != BUDDY_NIL)
		b->pages[p->prev].next = p->next;
	else
		b->free_head[p->order] = p->next;
	if (p->next != BUDDY_NIL)
		b->pages[p->next].prev = p->prev;
	p->next = p->prev = BUDDY_NIL;
	p->flags &= ~PG_FREE;
	b->free_blocks[p->order]--;
}

/* Frees a block whose head is not on any list, merging upward. */
static void free_block(struct buddy *b, uint64_t pfn, unsigned order)
{
	b->free_pages += block_pages(order);
	while (order < MM_MAX_ORDER) {
		uint64_t buddy = pfn ^ block_pages(order);
		struct page *bp;

		if (buddy >= b->npages)
			break;
		bp = &b->pages[buddy];
		if (!(bp->flags & PG_FREE) || bp->order != order)
			break;
		list_remove(b, buddy);
		pfn &= ~block_pages(order);
		order++;
	}
	list_push(b, pfn, order);
}

void buddy_init(struct buddy *b, struct page *pages, uint64_t npages)
{
	if (npages > BUDDY_NIL)
		npages = BUDDY_NIL;
	memset(b, 0, sizeof(*b));
	b->pages = pages;
	b->npages = npages;
	for (unsigned o = 0; o <= MM_MAX_ORDER; o++)
		b->free_head[o] = BUDDY_NIL;
	for (uint64_t i = 0; i < npages; i++)
		pages[i] = (struct page){
		    .next = BUDDY_NIL, .prev = BUDDY_NIL, .flags = PG_RESERVED};
}

/* Frees [pfn, end), all reserved until now, as the largest blocks. */
static void add_run(struct buddy *b, uint64_t pfn, uint64_t end)
{
	for (uint64_t i = pfn; i < end; i++)
		b->pages[i].flags = 0;
	b->managed_pages += end - pfn;
	while (pfn < end) {
		unsigned order = 0;

		while (order < MM_MAX_ORDER && !(pfn & block_pages(order)) &&
		       block_pages(order + 1) <= end - pfn)
			order++;
		free_block(b, pfn, order);
		pfn += block_pages(order);
	}
}

void buddy_add_free(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn)
{
	end_pfn = MIN(end_pfn, b->npages);
	while (start_pfn < end_pfn) {
		uint64_t run = start_pfn;

		while (run < end_pfn && (b->pages[run].flags & PG_RESERVED))
			run++;
		if (run == start_pfn) {
			start_pfn++; /* already the allocator's: skip it */
			continue;
		}
		add_run(b, start_pfn, run);
		start_pfn = run;
	}
}

int64_t buddy_alloc(struct buddy *b, unsigned order)
{
	unsigned o = order;
	uint64_t pfn;

	if (order > MM_MAX_ORDER)
		return -1;
	while (o <= MM_MAX_ORDER && b->free_head[o] == BUDDY_NIL)
		o++;
	if (o > MM_MAX_ORDER)
		return -1;
	pfn = b->free_head[o];
	list_remove(b, pfn);
	while (o > order) {
		o--;
		list_push(b, pfn + block_pages(o), o); /* the upper half */
	}
	b->pages[pfn].flags = 0;
	b->pages[pfn].order = (uint8_t)order;
	b->free_pages -= block_pages(order);
	return (int64_t)pfn;
}

/* Whether freeing [pfn, pfn + 2^order) is a plausible call (cheap checks). */
static bool free_ok(const struct buddy *b, uint64_t pfn, unsigned order)
{
	if (order > MM_MAX_ORDER || pfn >= b->npages ||
	    (pfn & (block_pages(order) - 1)) ||
	    block_pages(order) > b->npages - pfn)
		return false;
	if (b->pages[pfn].flags & (PG_FREE | PG_RESERVED))
		return false;
	/* A larger free block holding pfn: it was freed and merged already. */
	for (unsigned o = order + 1; o <= MM_MAX_ORDER; o++) {
		uint64_t up = pfn & ~(block_pages(o) - 1);
		const struct page *p = &b->pages[up];

		if ((p->flags & PG_FREE) && pfn - up < block_pages(p->order))
			return false;
	}
	return true;
}

void buddy_free(struct buddy *b, uint64_t pfn, unsigned order)
{
	/*
	 * A bad free is the caller's bug; the kernel asserts on it before
	 * calling. Here it is ignored, so the lists stay consistent. Free
	 * blocks inside the one given back are not looked for: that would
	 * cost O(2^order).
	 */
	if (!free_ok(b, pfn, order))
		return;
	b->pages[pfn].flags = 0;
	free_block(b, pfn, order);
}

/* ---- invariants ---- */

static char check_msg[160];

static __attribute__((format(printf, 1, 2))) const char *
check_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(check_msg, sizeof(check_msg), fmt, ap);
	va_end(ap);
	return check_msg;
}

/* The checks on one listed block, the list links aside. */
static const char *check_block(const struct buddy *b, uint32_t i,
			       unsigned order)
{
	const struct page *p = &b->pages[i];
	uint64_t n = block_pages(order), buddy = i ^ n;

	if ((p->flags & (PG_FREE | PG_RESERVED)) != PG_FREE)
		return check_fail("frame %u on the order %u list has flags %u",
				  i, order, p->flags);
	if (p->order != order)
		return check_fail("frame %u on the order %u list has order %u",
				  i, order, p->order);
	if (i & (n - 1))
		return check_fail("free block %u of order %u is misaligned", i,
				  order);
	if (n > b->npages - i)
		return check_fail("free block %u of order %u passes npages %lu",
				  i, order, b->npages);
	if (order < MM_MAX_ORDER && buddy < b->npages &&
	    (b->pages[buddy].flags & PG_FREE) && b->pages[buddy].order == order)
		return check_fail("free buddies %u and %lu of order %u not "
				  "merged",
				  i, buddy, order);
	for (uint64_t j = i + 1; j < i + n; j++)
		if (b->pages[j].flags & (PG_FREE | PG_RESERVED))
			return check_fail("free block %u of order %u overlaps "
					  "frame %lu (flags %u)",
					  i, order, j, b->pages[j].flags);
	return NULL;
}

static const char *check_list(const struct buddy *b, unsigned order,
			      uint64_t *pages)
{
	uint32_t prev = BUDDY_NIL;
	uint64_t count = 0;
	const char *err;

	for (uint32_t i = b->free_head[order]; i != BUDDY_NIL;
	     prev = i, i = b->pages[i].next) {
		if (i >= b->npages)
			return check_fail("order %u list holds frame %u, past "
					  "npages %lu",
					  order, i, b->npages);
		if (++count > b->npages)
			return check_fail("order %u list loops", order);
		if (b->pages[i].prev != prev)
			return check_fail("frame %u: prev is %u, expected %u",
					  i, b->pages[i].prev, prev);
		err = check_block(b, i, order);
		if (err)
			return err;
	}
	if (count != b->free_blocks[order])
		return check_fail("order %u: %lu blocks listed, free_blocks "
				  "says %lu",
				  order, count, b->free_blocks[order]);
	*pages += count << order;
	return NULL;
}

const char *buddy_check(const struct buddy *b)
{
	uint64_t pages = 0, blocks = 0, heads = 0;
	const char *err;

	for (unsigned o = 0; o <= MM_MAX_ORDER; o++) {
		err = check_list(b, o, &pages);
		if (err)
			return err;
		blocks += b->free_blocks[o];
	}
	/* Every PG_FREE head is on a list, so no block hides off-list. */
	for (uint64_t i = 0; i < b->npages; i++)
		heads += !!(b->pages[i].flags & PG_FREE);
	if (heads != blocks)
		return check_fail("%lu frames marked free, %lu blocks listed",
				  heads, blocks);
	if (pages != b->free_pages)
		return check_fail("free_pages is %lu, the lists hold %lu",
				  b->free_pages, pages);
	if (b->free_pages > b->managed_pages)
		return check_fail("free_pages %lu > managed_pages %lu",
				  b->free_pages, b->managed_pages);
	return NULL;
}
