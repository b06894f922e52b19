/*
 * Physical memory: the boot sequence that turns the firmware memory map
 * into a buddy allocator, and the per-CPU page caches in front of it.
 *
 * Boot order matters because only the first GiB is mapped at entry:
 *   1. usable RAM = the sanitised memory map minus the low 1 MiB, the
 *      kernel image and the initrd;
 *   2. page-table pages come from a bump allocator over that RAM while
 *      vm.c builds the real direct map of all of it;
 *   3. the page array (one struct page per frame) is placed in RAM that
 *      is now mapped, and everything not used so far goes to the buddy.
 *
 * The buddy lists are shared and sit behind a mutex; single pages, by far
 * the most common request, come from a per-CPU cache with preemption off.
 */
#include "kernel/kernel.h"
#include "kernel/mm/buddy.h"
#include "kernel/mm/memmap.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

#define MAX_RANGES (MEMMAP_MAX * 2)
#define PCP_CAPACITY 64
#define PCP_BATCH 32
#define MIN_FREE_PAGES 512 /* 2 MiB: below this nothing useful can run */

static struct buddy buddy;
static struct mutex buddy_lock = MUTEX_INIT;
struct page *mm_pages;
uint64_t mm_max_pfn;

/* Owned by one CPU; preemption off. */
struct page_cache {
	unsigned count;
	uint64_t pfns[PCP_CAPACITY];
} __attribute__((aligned(64)));
static struct page_cache page_caches[MAX_CPUS];

static struct phys_range ranges[MAX_RANGES];
static unsigned nranges;
static uint64_t bump_next, bump_end; /* the boot-time allocator */

extern char __kernel_end[];
#define KERNEL_PHYS_START 0x100000

/* Removes [start, end) from the usable ranges. */
static void ranges_remove(uint64_t start, uint64_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	for (unsigned i = 0; i < nranges; i++) {
		struct phys_range *r = &ranges[i];

		if (end <= r->start || start >= r->end)
			continue;
		if (start > r->start && end < r->end && nranges < MAX_RANGES) {
			/* Split in two. */
			memmove(&ranges[i + 2], &ranges[i + 1],
				(nranges - i - 1) * sizeof(*r));
			ranges[i + 1] = (struct phys_range){end, r->end};
			r->end = start;
			nranges++;
			return;
		}
		if (start <= r->start)
			r->start = MIN(end, r->end);
		else
			r->end = start;
	}
}

static uint64_t ranges_total(void)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < nranges; i++)
		total += ranges[i].end - ranges[i].start;
	return total;
}

/* Takes `size` bytes (page aligned) from the ranges, below `limit`. */
static uint64_t ranges_take(uint64_t size, uint64_t limit)
{
	for (unsigned i = 0; i < nranges; i++) {
		struct phys_range *r = &ranges[i];

		if (r->end - r->start >= size && r->start + size <= limit) {
			uint64_t p = r->start;

			r->start += size;
			return p;
		}
	}
	return 0;
}

static void __attribute__((noreturn)) out_of_memory(const char *what)
{
	kprintf("osprey: not enough memory for %s: %lu KiB usable RAM; give "
		"the VM more (QEMU -m)\n",
		what, ranges_total() / 1024);
	kernel_exit(EXIT_NO_MEMORY);
}

int pmm_collect_ranges(void)
{
	struct memmap_report rep;
	int n = memmap_usable(boot_info.memmap, boot_info.memmap_count,
			      ranges, MAX_RANGES, &rep);

	if (n < 0) {
		kprintf("osprey: cannot use the firmware memory map (%d)\n", n);
		kernel_exit(EXIT_BAD_MEMMAP);
	}
	nranges = (unsigned)n;
	/* Microvm's map ends with an all-zero entry: "invalid" is routine. */
	if (rep.ram_overlaps || rep.reserved_overlaps ||
	    (rep.invalid && boot_options.verbose))
		kprintf("osprey: memory map: %u overlapping RAM entries, %u "
			"RAM entries cut by reserved ones, %u invalid entries "
			"(handled)\n",
			rep.ram_overlaps, rep.reserved_overlaps, rep.invalid);
	if (nranges == 0) {
		kprintf("osprey: the firmware memory map has no usable RAM\n");
		kernel_exit(EXIT_BAD_MEMMAP);
	}
	mm_max_pfn = ranges[nranges - 1].end / PAGE_SIZE;
	ranges_remove(0, 0x100000); /* real-mode and BIOS structures */
	ranges_remove(KERNEL_PHYS_START, virt_to_phys(__kernel_end));
	if (boot_info.initrd_size)
		ranges_remove(boot_info.initrd_phys,
			      boot_info.initrd_phys + boot_info.initrd_size);
	/* Up to 4 MiB for page tables while the buddy does not exist yet. */
	uint64_t bump_size = MIN(4ull << 20, ranges_total() / 4);
	bump_size = ALIGN_DOWN(bump_size, PAGE_SIZE);
	bump_next = ranges_take(bump_size, 1ull << 30);
	if (!bump_next)
		out_of_memory("the page tables");
	bump_end = bump_next + bump_size;
	return 0;
}

/* A zeroed page for a page table, before and after the buddy exists. */
uint64_t pmm_alloc_table_page(void)
{
	uint64_t p;

	if (mm_pages)
		p = pmm_alloc(0);
	else if (bump_next < bump_end)
		p = (bump_next += PAGE_SIZE) - PAGE_SIZE;
	else
		p = 0;
	if (p)
		memset(phys_to_virt(p), 0, PAGE_SIZE);
	return p;
}

int pmm_init_buddy(void)
{
	uint64_t bytes = ALIGN_UP(mm_max_pfn * sizeof(struct page), PAGE_SIZE);
	uint64_t array = ranges_take(bytes, UINT64_MAX);

	if (!array)
		out_of_memory("the page array");
	buddy_init(&buddy, phys_to_virt(array), mm_max_pfn);
	/* The rest of the bump region goes back too. */
	if (bump_next < bump_end)
		buddy_add_free(&buddy, bump_next / PAGE_SIZE,
			       bump_end / PAGE_SIZE);
	bump_next = bump_end;
	for (unsigned i = 0; i < nranges; i++)
		if (ranges[i].end > ranges[i].start)
			buddy_add_free(&buddy, ranges[i].start / PAGE_SIZE,
				       ranges[i].end / PAGE_SIZE);
	mm_pages = buddy.pages;
	/* The initrd comes back as it is unpacked (pmm_release_boot). */
	if (buddy.free_pages + boot_info.initrd_size / PAGE_SIZE < MIN_FREE_PAGES)
		out_of_memory("the kernel");
	return 0;
}

static uint64_t buddy_take(unsigned order)
{
	int64_t pfn;

	mutex_lock(&buddy_lock);
	pfn = buddy_alloc(&buddy, order);
	mutex_unlock(&buddy_lock);
	return pfn < 0 ? 0 : (uint64_t)pfn * PAGE_SIZE;
}

/* Refills this CPU's cache; called with preemption on. */
static void cache_refill(void)
{
	uint64_t got[PCP_BATCH];
	unsigned n = 0;

	mutex_lock(&buddy_lock);
	while (n < PCP_BATCH) {
		int64_t pfn = buddy_alloc(&buddy, 0);

		if (pfn < 0)
			break;
		got[n++] = (uint64_t)pfn;
	}
	mutex_unlock(&buddy_lock);
	preempt_disable();
	struct page_cache *pc = &page_caches[cpu_id()];
	while (n && pc->count < PCP_CAPACITY)
		pc->pfns[pc->count++] = got[--n];
	preempt_enable();
	if (n) {
		/* We moved to a CPU whose cache filled meanwhile. */
		mutex_lock(&buddy_lock);
		while (n)
			buddy_free(&buddy, got[--n], 0);
		mutex_unlock(&buddy_lock);
	}
}

static uint64_t cache_take(void)
{
	for (int tries = 0; tries < 2; tries++) {
		preempt_disable();
		struct page_cache *pc = &page_caches[cpu_id()];
		if (pc->count) {
			uint64_t pfn = pc->pfns[--pc->count];

			preempt_enable();
			return pfn * PAGE_SIZE;
		}
		preempt_enable();
		cache_refill();
	}
	return 0;
}

static void cache_put(uint64_t pfn)
{
	uint64_t spill[PCP_BATCH];
	unsigned n = 0;

	preempt_disable();
	struct page_cache *pc = &page_caches[cpu_id()];
	if (pc->count == PCP_CAPACITY) {
		while (n < PCP_BATCH)
			spill[n++] = pc->pfns[--pc->count];
	}
	pc->pfns[pc->count++] = pfn;
	preempt_enable();
	if (n) {
		mutex_lock(&buddy_lock);
		while (n)
			buddy_free(&buddy, spill[--n], 0);
		mutex_unlock(&buddy_lock);
	}
}

/*
 * Shrinkers: a list that only grows (registered at init), read without
 * a lock through an acquire load of its head. One shrink runs at a
 * time (`shrinking`); an allocation meanwhile simply fails.
 */
static struct shrinker *shrinkers;
static int shrinking; /* atomic */

void mm_register_shrinker(struct shrinker *s)
{
	s->next = __atomic_load_n(&shrinkers, __ATOMIC_ACQUIRE);
	while (!__atomic_compare_exchange_n(&shrinkers, &s->next, s, false,
					    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		;
}

static bool shrink_pages(uint64_t want)
{
	uint64_t freed = 0;

	if (__atomic_exchange_n(&shrinking, 1, __ATOMIC_ACQUIRE))
		return false;
	for (struct shrinker *s = __atomic_load_n(&shrinkers, __ATOMIC_ACQUIRE);
	     s; s = s->next)
		freed += s->scan(want);
	__atomic_store_n(&shrinking, 0, __ATOMIC_RELEASE);
	return freed > 0;
}

static bool shrink(unsigned order)
{
	return shrink_pages(MAX(PCP_BATCH, 1u << order) * 2);
}

/* A 32nd of memory, at least 1 MiB: what fork leaves free (mm.h). */
static uint64_t reserve_pages(uint64_t total)
{
	return MAX(total / 32, (uint64_t)(1 << 20) / PAGE_SIZE);
}

bool mm_reserve_ok(void)
{
	uint64_t total, free_pages, reserve;

	pmm_get_stats(&total, &free_pages);
	reserve = reserve_pages(total);
	if (free_pages >= reserve)
		return true;
	shrink_pages(reserve - free_pages);
	pmm_get_stats(&total, &free_pages);
	return free_pages >= reserve;
}

static uint64_t alloc_once(unsigned order)
{
	return order == 0 ? cache_take() : buddy_take(order);
}

uint64_t pmm_alloc(unsigned order)
{
	uint64_t p;

	if (order > MM_MAX_ORDER || !mm_pages)
		return 0;
	p = alloc_once(order);
	if (!p && shrink(order))
		p = alloc_once(order);
	return p;
}

void pmm_free(uint64_t phys, unsigned order)
{
	uint64_t pfn = phys / PAGE_SIZE;

	assert(phys % (PAGE_SIZE << order) == 0 && pfn < mm_max_pfn);
	assert(!(mm_pages[pfn].flags & (PG_FREE | PG_RESERVED)));
	mm_pages[pfn].flags = 0;
	if (order == 0) {
		cache_put(pfn);
		return;
	}
	mutex_lock(&buddy_lock);
	buddy_free(&buddy, pfn, order);
	mutex_unlock(&buddy_lock);
}

void pmm_release_boot(uint64_t start, uint64_t end)
{
	start = ALIGN_UP(start, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (start >= end || !mm_pages)
		return;
	mutex_lock(&buddy_lock);
	buddy_add_free(&buddy, start / PAGE_SIZE, end / PAGE_SIZE);
	mutex_unlock(&buddy_lock);
}

void *page_alloc(unsigned order)
{
	uint64_t p = pmm_alloc(order);

	return p ? phys_to_virt(p) : NULL;
}

void page_free(void *virt, unsigned order)
{
	pmm_free(virt_to_phys(virt), order);
}

/*
 * Frames fork shares (kernel/mm/vma.c): page->refcount is the number of
 * address spaces holding the frame, with 0 standing for one, so that a
 * frame nobody shared is never counted (a program that never forks
 * never writes it). It changes atomically: two address spaces drop or
 * copy one frame at once, each under its own lock. From 0 only its one
 * holder can move it, so share's plain store there is safe.
 */
void pmm_frame_share(uint64_t phys)
{
	uint32_t *r = &mm_pages[phys / PAGE_SIZE].refcount;

	if (__atomic_load_n(r, __ATOMIC_ACQUIRE) == 0)
		__atomic_store_n(r, 2, __ATOMIC_RELEASE);
	else
		__atomic_fetch_add(r, 1, __ATOMIC_ACQ_REL);
}

void pmm_frame_put(uint64_t phys)
{
	uint32_t *r = &mm_pages[phys / PAGE_SIZE].refcount;

	if (__atomic_load_n(r, __ATOMIC_ACQUIRE) != 0 &&
	    __atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	__atomic_store_n(r, 0, __ATOMIC_RELAXED);
	pmm_free(phys, 0);
}

bool pmm_frame_shared(uint64_t phys)
{
	return __atomic_load_n(&mm_pages[phys / PAGE_SIZE].refcount,
			       __ATOMIC_ACQUIRE) > 1;
}

struct page *pmm_page(uint64_t phys)
{
	uint64_t pfn = phys / PAGE_SIZE;

	return pfn < mm_max_pfn ? &mm_pages[pfn] : NULL;
}

void pmm_get_stats(uint64_t *total, uint64_t *free_pages)
{
	uint64_t cached = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		cached += __atomic_load_n(&page_caches[i].count,
					  __ATOMIC_RELAXED);
	mutex_lock(&buddy_lock);
	*total = buddy.managed_pages;
	*free_pages = buddy.free_pages + cached;
	mutex_unlock(&buddy_lock);
}

const char *pmm_check(void)
{
	const char *err;

	mutex_lock(&buddy_lock);
	err = buddy_check(&buddy);
	mutex_unlock(&buddy_lock);
	return err;
}
