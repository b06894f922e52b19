/* Self-tests of the page allocator, the heap and the page tables. */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible, so a failure can be replayed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t free_pages_now(void)
{
	struct mm_stats s;

	mm_get_stats(&s);
	return s.free_pages;
}

#define STRESS_SLOTS 64
static struct {
	uint64_t phys;
	unsigned order;
} live[STRESS_SLOTS];

static void fill(uint64_t phys, unsigned order, uint64_t tag)
{
	uint64_t *p = phys_to_virt(phys);

	for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i += 64)
		p[i] = tag ^ i;
}

static bool intact(uint64_t phys, unsigned order, uint64_t tag)
{
	uint64_t *p = phys_to_virt(phys);

	for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i += 64)
		if (p[i] != (tag ^ i))
			return false;
	return true;
}

static int test_pages(void)
{
	int failures = 0;
	uint64_t before = free_pages_now();

	for (unsigned order = 0; order <= MM_MAX_ORDER; order++) {
		uint64_t p = pmm_alloc(order);

		CHECK(p != 0);
		CHECK_EQ(p % (PAGE_SIZE << order), 0);
		if (p)
			pmm_free(p, order);
	}
	CHECK_EQ(pmm_alloc(MM_MAX_ORDER + 1), 0);
	/* Randomised stress: contents survive, blocks never overlap. */
	for (int iter = 0; iter < 4000; iter++) {
		unsigned i = rnd() % STRESS_SLOTS;

		if (live[i].phys) {
			if (!intact(live[i].phys, live[i].order, live[i].phys))
				failures++, kprintf("  FAIL block %lx was "
						    "overwritten\n",
						    live[i].phys);
			pmm_free(live[i].phys, live[i].order);
			live[i].phys = 0;
			continue;
		}
		unsigned order = rnd() % 4 == 0 ? rnd() % (PAGE_ORDER_2M + 1)
						 : 0;
		uint64_t p = pmm_alloc(order);
		if (!p)
			continue; /* memory is short: allowed, not a bug */
		CHECK_EQ(p % (PAGE_SIZE << order), 0);
		live[i].phys = p, live[i].order = order;
		fill(p, order, p);
	}
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		if (live[i].phys) {
			CHECK(intact(live[i].phys, live[i].order, live[i].phys));
			pmm_free(live[i].phys, live[i].order);
			live[i].phys = 0;
		}
	const char *err = pmm_check();
	if (err)
		kprintf("  FAIL buddy invariant: %s\n", err), failures++;
	CHECK_EQ(free_pages_now(), before);
	return failures;
}

/* Allocates until out of memory: must end in NULL, not a crash. */
static int test_exhaustion(void)
{
	int failures = 0;
	uint64_t before = free_pages_now(), head = 0, n = 0;

	for (;;) {
		uint64_t p = pmm_alloc(PAGE_ORDER_2M);

		if (!p)
			break;
		*(uint64_t *)phys_to_virt(p) = head;
		head = p;
		n++;
	}
	while (head) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);

		pmm_free(head, PAGE_ORDER_2M);
		head = next;
	}
	CHECK(n > 0);
	CHECK_EQ(free_pages_now(), before);
	return failures;
}

#define HEAP_SLOTS 256
static struct {
	uint8_t *p;
	size_t size;
	uint8_t tag;
} objs[HEAP_SLOTS];

static int heap_stress(void)
{
	int failures = 0;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned i = rnd() % HEAP_SLOTS;

		if (objs[i].p) {
			for (size_t k = 0; k < objs[i].size; k += 7)
				if (objs[i].p[k] != objs[i].tag) {
					failures++;
					kprintf("  FAIL object %p byte %lu\n",
						objs[i].p, k);
					break;
				}
			free(objs[i].p);
			objs[i].p = NULL;
			continue;
		}
		size_t size = rnd() % 4 ? 1 + rnd() % 600 : 1 + rnd() % 20000;
		size_t align = (size_t)16 << (rnd() % 9);
		uint8_t *p = rnd() % 2 ? malloc(size) : aligned_alloc(align, size);
		if (!p)
			continue;
		CHECK(malloc_usable_size(p) >= size);
		CHECK_EQ((uint64_t)p % 16, 0);
		objs[i] = (typeof(objs[i])){p, size, (uint8_t)iter};
		memset(p, (uint8_t)iter, size);
	}
	for (unsigned i = 0; i < HEAP_SLOTS; i++) {
		free(objs[i].p);
		objs[i].p = NULL;
	}
	return failures;
}

static int test_heap(void)
{
	int failures = 0;
	struct mm_stats s0, s1;

	mm_get_stats(&s0);
	for (size_t align = 16; align <= 65536; align *= 2) {
		void *p = aligned_alloc(align, 24);

		CHECK(p != NULL);
		CHECK_EQ((uint64_t)p % align, 0);
		free(p);
	}
	uint8_t *z = calloc(100, 33);
	CHECK(z != NULL);
	for (int i = 0; z && i < 3300; i++)
		if (z[i]) {
			CHECK_EQ(z[i], 0);
			break;
		}
	free(z);
	char *r = malloc(10);
	memcpy(r, "123456789", 10);
	r = realloc(r, 5000);
	CHECK(r && memcmp(r, "123456789", 10) == 0);
	free(r);
	CHECK(malloc((size_t)1 << 40) == NULL);
	CHECK(calloc((size_t)1 << 40, (size_t)1 << 40) == NULL);
	CHECK(aligned_alloc(24, 10) == NULL);
	failures += heap_stress();
	mm_get_stats(&s1);
	CHECK_EQ(s1.heap_bytes, s0.heap_bytes);
	CHECK_EQ(s1.heap_large_pages, s0.heap_large_pages);
	return failures;
}

static int alloc_test(void)
{
	return test_pages() + test_exhaustion() + test_heap();
}
SELFTEST("alloc", alloc_test);

/* ---- page tables ---- */
extern char __text_start[], __rodata_start[], __data_start[];
#define TEST_VA 0xffffe00000000000ull

static volatile uint64_t demand_faults;
static bool demand_map(struct irq_frame *f, uint64_t addr)
{
	uint64_t p;

	if (addr < TEST_VA || addr >= TEST_VA + (1 << 20))
		return false;
	p = pmm_alloc(0);
	if (!p || vm_map(kernel_pml4, ALIGN_DOWN(addr, PAGE_SIZE), p,
			 PAGE_SIZE, PTE_W | PTE_NX))
		return false;
	demand_faults++;
	return true;
}

static int pagetable_test(void)
{
	int failures = 0;
	uint64_t pa, flags, page = pmm_alloc(0);

	CHECK(vm_translate(kernel_pml4, (uint64_t)__text_start, &pa, &flags));
	CHECK(!(flags & PTE_W) && !(flags & PTE_NX));
	CHECK_EQ(pa, (uint64_t)__text_start - KERNEL_VMA);
	CHECK(vm_translate(kernel_pml4, (uint64_t)__rodata_start, &pa, &flags));
	CHECK(!(flags & PTE_W) && (flags & PTE_NX));
	CHECK(vm_translate(kernel_pml4, (uint64_t)__data_start, &pa, &flags));
	CHECK((flags & PTE_W) && (flags & PTE_NX));
	CHECK(vm_translate(kernel_pml4, PHYS_MAP_BASE + page, &pa, &flags));
	CHECK_EQ(pa, page);
	CHECK(flags & PTE_NX);

	/* Map, write through the new address, read through the direct map. */
	CHECK_EQ(vm_map(kernel_pml4, TEST_VA, page, PAGE_SIZE, PTE_W | PTE_NX), 0);
	CHECK_EQ(vm_map(kernel_pml4, TEST_VA, page, PAGE_SIZE, PTE_W), -EEXIST);
	CHECK_EQ(vm_map(kernel_pml4, TEST_VA + 1, page, PAGE_SIZE, 0), -EINVAL);
	*(volatile uint64_t *)TEST_VA = 0x1234abcd;
	CHECK_EQ(*(uint64_t *)phys_to_virt(page), 0x1234abcd);
	CHECK(vm_translate(kernel_pml4, TEST_VA + 8, &pa, &flags));
	CHECK_EQ(pa, page + 8);
	CHECK_EQ(vm_protect(kernel_pml4, TEST_VA, PAGE_SIZE, PTE_NX), 0);
	CHECK(vm_translate(kernel_pml4, TEST_VA, &pa, &flags) &&
	      !(flags & PTE_W));
	CHECK_EQ(vm_unmap(kernel_pml4, TEST_VA, PAGE_SIZE), 0);
	CHECK(!vm_translate(kernel_pml4, TEST_VA, NULL, NULL));
	pmm_free(page, 0);

	/* A 2 MiB mapping. */
	uint64_t big = pmm_alloc(PAGE_ORDER_2M);
	CHECK_EQ(vm_map(kernel_pml4, TEST_VA + (2 << 20), big, 2 << 20,
			PTE_W | PTE_NX | PTE_PS), 0);
	CHECK(vm_translate(kernel_pml4, TEST_VA + (2 << 20) + 12345, &pa,
			   &flags));
	CHECK_EQ(pa, big + 12345);
	CHECK(flags & PTE_PS);
	CHECK_EQ(vm_unmap(kernel_pml4, TEST_VA + (2 << 20), 2 << 20), 0);
	pmm_free(big, PAGE_ORDER_2M);

	/* The page-fault hook: touching unmapped memory maps it. */
	page_fault_fn old = arch_set_page_fault_handler(demand_map);
	for (int i = 0; i < 4; i++)
		((volatile uint64_t *)TEST_VA)[i * 512] = i;
	arch_set_page_fault_handler(old);
	CHECK_EQ(demand_faults, 4);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(((volatile uint64_t *)TEST_VA)[i * 512], i);
		CHECK(vm_translate(kernel_pml4, TEST_VA + i * PAGE_SIZE, &pa,
				   NULL));
		vm_unmap(kernel_pml4, TEST_VA + i * PAGE_SIZE, PAGE_SIZE);
		pmm_free(pa, 0);
	}

	/* Thread stacks have an unmapped guard page below them. */
	void *stack = mm_stack_alloc(THREAD_STACK_SIZE);
	CHECK(stack != NULL);
	CHECK(vm_translate(kernel_pml4, (uint64_t)stack, NULL, NULL));
	CHECK(!vm_translate(kernel_pml4, (uint64_t)stack - PAGE_SIZE, NULL,
			    NULL));
	mm_stack_free(stack, THREAD_STACK_SIZE);
	return failures;
}
SELFTEST("pagetable", pagetable_test);
