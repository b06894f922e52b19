/*
 * A binary buddy allocator over page frame numbers: pure bookkeeping on an
 * array of struct page, no locking (the caller locks) and no knowledge of
 * what the frames hold, so the host tests run it on a plain array.
 *
 * Frame indexes are absolute (frame 0 is physical 0) and a block of order k
 * is aligned to 2^k frames in those absolute numbers, which is what makes
 * a 2 MiB block a 2 MiB page. Free lists are doubly linked through the page
 * array with uint32 indexes, so at most 2^32 - 1 frames (16 TiB).
 */
#ifndef KERNEL_MM_BUDDY_H
#define KERNEL_MM_BUDDY_H

#include <stdint.h>

#include "kernel/mm/mm.h"

/* One per physical 4 KiB frame, 24 bytes. */
struct page {
	uint32_t next, prev; /* free-list links: frame indexes or BUDDY_NIL */
	uint8_t order;	     /* of the free block this page heads */
	uint8_t flags;	     /* PG_* */
	uint16_t slab_class; /* used by the heap, not by the buddy code */
	uint32_t refcount;   /* not used by the buddy code */
	void *owner;	     /* used by the heap, not by the buddy code */
};
_Static_assert(sizeof(struct page) == 24, "struct page grew");

#define BUDDY_NIL 0xffffffffu
#define PG_FREE 1     /* heads a free block of 2^order pages */
#define PG_RESERVED 2 /* never given out: not RAM, or the kernel's own */
#define PG_SLAB 4     /* the heap's; buddy code ignores */
#define PG_LARGE 8    /* the heap's; buddy code ignores */

struct buddy {
	struct page *pages; /* covers frames [0, npages) */
	uint64_t npages;
	uint32_t free_head[MM_MAX_ORDER + 1];
	uint64_t free_blocks[MM_MAX_ORDER + 1];
	uint64_t free_pages, managed_pages;
};

/*
 * Starts with every frame PG_RESERVED and nothing free. npages above
 * BUDDY_NIL is cut to BUDDY_NIL: the frames beyond stay unmanaged.
 */
void buddy_init(struct buddy *b, struct page *pages, uint64_t npages);
/*
 * Hands the frames [start_pfn, end_pfn) to the allocator as the largest
 * aligned blocks that fit, coalescing with free neighbours. Frames past
 * npages, and frames that are not PG_RESERVED (already handed over: a
 * caller bug), are skipped.
 */
void buddy_add_free(struct buddy *b, uint64_t start_pfn, uint64_t end_pfn);
/* A free block of 2^order frames, aligned to its size: its first pfn, or
 * -1 if there is none (or order > MM_MAX_ORDER). Its head page gets
 * flags 0 and `order`. O(MM_MAX_ORDER). */
int64_t buddy_alloc(struct buddy *b, unsigned order);
/*
 * Gives back a block from buddy_alloc, coalescing it with free buddies.
 * O(MM_MAX_ORDER). A bad call (misaligned, out of range, a head that is
 * free or reserved, or a block inside a free block: a double free) leaves
 * the allocator unchanged; the kernel side asserts before calling.
 */
void buddy_free(struct buddy *b, uint64_t pfn, unsigned order);
/*
 * NULL if every invariant holds, else a description of the first
 * violation (in a static buffer: call under the caller's lock). O(npages).
 */
const char *buddy_check(const struct buddy *b);

#endif
