/*
 * Page tables. The kernel's own table maps:
 *   - all RAM (and at least the first 4 GiB, where firmware tables and
 *     device memory live) at PHYS_MAP_BASE, with 1 GiB pages when the CPU
 *     has them, else 2 MiB; writable, never executable;
 *   - the kernel image at KERNEL_VMA with 4 KiB pages: text read-only and
 *     executable, rodata read-only, data and bss writable, both NX;
 *   - device memory on demand at MMIO_BASE + phys, uncached;
 *   - kernel stacks in the VMAP area, each with an unmapped guard page.
 * The application (a later issue) gets the lower half of the same table.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"
#include "kernel/sync/sync.h"

uint64_t *kernel_pml4;
static struct mutex vm_lock = MUTEX_INIT; /* kernel_pml4's upper half */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_end[];

static unsigned pt_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* The entry for va at `level` (0 = PTE), creating tables on the way. */
static uint64_t *walk(uint64_t *pml4, uint64_t va, int level, bool create)
{
	uint64_t *table = pml4;

	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			uint64_t p = pmm_alloc_table_page();
			if (!p)
				return NULL;
			*e = p | PTE_P | PTE_W;
		} else if (*e & PTE_PS) {
			return NULL; /* a huge page is in the way */
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return &table[pt_index(va, level)];
}

static int map_one(uint64_t *pml4, uint64_t va, uint64_t pa, int level,
		   uint64_t flags)
{
	uint64_t *e = walk(pml4, va, level, true);

	if (!e)
		return -ENOMEM;
	if (*e & PTE_P)
		return -EEXIST;
	*e = pa | flags | PTE_P | (level ? PTE_PS : 0);
	return 0;
}

static int page_level(uint64_t va, uint64_t pa, uint64_t left, uint64_t flags)
{
	const uint64_t gib = 1ull << 30, mib2 = 2ull << 20;

	if (!(flags & PTE_PS))
		return 0;
	if (cpu_features.pdpe1gb && ((va | pa) & (gib - 1)) == 0 && left >= gib)
		return 2;
	if (((va | pa) & (mib2 - 1)) == 0 && left >= mib2)
		return 1;
	return 0;
}

int vm_map(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t size,
	   uint64_t flags)
{
	if ((va | pa | size) & (PAGE_SIZE - 1))
		return -EINVAL;
	while (size) {
		int level = page_level(va, pa, size, flags);
		uint64_t step = PAGE_SIZE << (9 * level);
		int err = map_one(pml4, va, pa, level, flags & ~PTE_PS);

		if (err)
			return err;
		va += step, pa += step, size -= step;
	}
	return 0;
}

/* The leaf entry mapping va and its level, or NULL. */
static uint64_t *leaf(uint64_t *pml4, uint64_t va, int *level)
{
	uint64_t *table = pml4;

	for (int l = 3; l >= 0; l--) {
		uint64_t *e = &table[pt_index(va, l)];

		if (!(*e & PTE_P))
			return NULL;
		if (l == 0 || (*e & PTE_PS)) {
			*level = l;
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return NULL;
}

int vm_unmap(uint64_t *pml4, uint64_t va, uint64_t size)
{
	uint64_t start = va, end = va + size;
	int err = 0;

	if ((va | size) & (PAGE_SIZE - 1))
		return -EINVAL;
	while (va < end) {
		int level;
		uint64_t *e = leaf(pml4, va, &level);
		uint64_t step = PAGE_SIZE << (9 * (e ? level : 0));

		if (e) {
			if ((va & (step - 1)) || va + step > end) {
				err = -EINVAL; /* would split a huge page */
				break;
			}
			*e = 0;
		}
		va += step;
	}
	tlb_flush_range(start, va);
	return err;
}

bool vm_translate(uint64_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags)
{
	int level;
	uint64_t *e = leaf(pml4, va, &level);

	if (!e)
		return false;
	uint64_t mask = (PAGE_SIZE << (9 * level)) - 1;
	if (pa)
		*pa = (*e & PTE_ADDR_MASK & ~mask) | (va & mask);
	if (flags)
		*flags = *e & ~PTE_ADDR_MASK;
	return true;
}

/*
 * Replaces a 2 MiB mapping by 512 4 KiB entries with the same flags, so
 * that code working page by page (unmap, mprotect, MADV_DONTNEED) can
 * treat it like any other. The table entry above stays permissive; the
 * leaves carry the protection.
 */
static int split_huge(uint64_t *pde, uint64_t va)
{
	uint64_t p = pmm_alloc_table_page();

	if (!p)
		return -ENOMEM;
	uint64_t *pt = phys_to_virt(p);
	uint64_t base = *pde & PTE_ADDR_MASK & ~((2ull << 20) - 1);
	uint64_t flags = *pde & ~PTE_ADDR_MASK & ~PTE_PS;
	for (unsigned i = 0; i < 512; i++)
		pt[i] = (base + i * PAGE_SIZE) | flags;
	*pde = p | PTE_P | PTE_W;
	invlpg(ALIGN_DOWN(va, 2ull << 20));
	return 0;
}

uint64_t *vm_pte(uint64_t *pml4, uint64_t va)
{
	uint64_t *pde = walk(pml4, va, 1, false);

	if (pde && (*pde & PTE_P) && (*pde & PTE_PS) && split_huge(pde, va))
		return NULL;
	return walk(pml4, va, 0, false);
}

uint64_t *vm_pte_alloc(uint64_t *pml4, uint64_t va)
{
	return walk(pml4, va, 0, true);
}

bool vm_block_used(uint64_t *pml4, uint64_t va)
{
	uint64_t *pde = walk(pml4, va, 1, false);

	return pde && *pde;
}

int vm_protect(uint64_t *pml4, uint64_t va, uint64_t size, uint64_t flags)
{
	uint64_t start = va, end = va + size;
	int err = 0;

	for (; va < end; va += PAGE_SIZE) {
		int level;
		uint64_t *e = leaf(pml4, va, &level);

		if (!e || level != 0) {
			err = -EINVAL;
			break;
		}
		*e = (*e & PTE_ADDR_MASK) | flags | PTE_P;
	}
	tlb_flush_range(start, va);
	return err;
}

static int map_kernel_image(uint64_t *pml4)
{
	struct {
		char *start, *end;
		uint64_t flags;
	} parts[] = {
		{__text_start, __text_end, PTE_G},
		{__rodata_start, __rodata_end, PTE_G | PTE_NX},
		{__data_start, __kernel_end, PTE_G | PTE_NX | PTE_W},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
		uint64_t s = ALIGN_DOWN((uint64_t)parts[i].start, PAGE_SIZE);
		uint64_t e = ALIGN_UP((uint64_t)parts[i].end, PAGE_SIZE);
		int err = vm_map(pml4, s, s - KERNEL_VMA, e - s, parts[i].flags);

		if (err)
			return err;
	}
	return 0;
}

int vm_init(void)
{
	uint64_t top = MAX(mm_max_pfn * PAGE_SIZE, 4ull << 30);
	uint64_t pml4_phys = pmm_alloc_table_page();
	int err;

	if (!pml4_phys)
		return -ENOMEM;
	kernel_pml4 = phys_to_virt(pml4_phys);
	top = ALIGN_UP(top, 2ull << 20);
	err = vm_map(kernel_pml4, PHYS_MAP_BASE, 0, top,
		     PTE_W | PTE_NX | PTE_G | PTE_PS);
	if (!err)
		err = map_kernel_image(kernel_pml4);
	/* Every upper-half slot the kernel uses exists from now on: each
	 * process's top-level table copies them once (kernel/mm/vma.c). */
	if (!err && (!walk(kernel_pml4, MMIO_BASE, 2, true) ||
		     !walk(kernel_pml4, VMAP_BASE, 2, true)))
		err = -ENOMEM;
	if (err)
		return err;
	as_first_init(kernel_pml4);
	write_cr3(pml4_phys);
	return 0;
}

void *mm_map_mmio(uint64_t phys, uint64_t size)
{
	uint64_t start = ALIGN_DOWN(phys, PAGE_SIZE);
	uint64_t end = ALIGN_UP(phys + size, PAGE_SIZE);
	int err = 0;

	mutex_lock(&vm_lock);
	for (uint64_t p = start; p < end && !err; p += PAGE_SIZE) {
		uint64_t pa;

		if (vm_translate(kernel_pml4, MMIO_BASE + p, &pa, NULL))
			continue; /* mapped before, by us: same address */
		err = vm_map(kernel_pml4, MMIO_BASE + p, p, PAGE_SIZE,
			     PTE_W | PTE_NX | PTE_G | PTE_PCD | PTE_PWT);
	}
	mutex_unlock(&vm_lock);
	return err ? NULL : (void *)(MMIO_BASE + phys);
}

/*
 * Kernel stacks: slot i of the VMAP area holds a stack of up to
 * STACK_SLOT - PAGE_SIZE bytes at its top, with the guard page below.
 * Freed slots are reused through a free list threaded through an array.
 * The last few freed stacks stay mapped, in `cached`, for the next
 * thread: creating and ending threads in a loop then maps, unmaps and
 * shoots down nothing (all under vm_lock).
 */
#define STACK_SLOT (64 * 1024)
#define MAX_STACK_SLOTS 65536
#define CACHED_STACKS 16
static uint32_t stack_slots_used;
static uint32_t free_slots[256];
static unsigned nfree_slots;
static struct {
	void *bottom;
	size_t size;
} cached[CACHED_STACKS];
static unsigned ncached;

/* Under vm_lock: a cached stack of exactly `size`, or NULL. */
static void *cache_take(size_t size)
{
	for (unsigned i = ncached; i-- > 0;) {
		if (cached[i].size != size)
			continue;
		void *bottom = cached[i].bottom;
		cached[i] = cached[--ncached];
		return bottom;
	}
	return NULL;
}

/* Under vm_lock: keeps a whole freed stack mapped if there is room. */
static bool cache_put(void *bottom, size_t size)
{
	if (ncached == CACHED_STACKS)
		return false;
	cached[ncached].bottom = bottom;
	cached[ncached++].size = size;
	return true;
}

static uint64_t slot_take(void)
{
	if (nfree_slots)
		return free_slots[--nfree_slots];
	if (stack_slots_used == MAX_STACK_SLOTS)
		return UINT64_MAX;
	return stack_slots_used++;
}

void *mm_stack_alloc(size_t size)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	if (size > STACK_SLOT - PAGE_SIZE)
		return NULL;
	mutex_lock(&vm_lock);
	void *reused = cache_take(size);
	if (reused) {
		mutex_unlock(&vm_lock);
		return reused;
	}
	uint64_t slot = slot_take();
	if (slot == UINT64_MAX) {
		mutex_unlock(&vm_lock);
		return NULL;
	}
	uint64_t top = VMAP_BASE + (slot + 1) * STACK_SLOT;
	uint64_t bottom = top - size;
	for (uint64_t va = bottom; va < top; va += PAGE_SIZE) {
		uint64_t p = pmm_alloc(0);

		if (!p || vm_map(kernel_pml4, va, p, PAGE_SIZE,
				 PTE_W | PTE_NX | PTE_G)) {
			if (p)
				pmm_free(p, 0);
			mutex_unlock(&vm_lock);
			mm_stack_free((void *)bottom, va - bottom);
			return NULL;
		}
	}
	mutex_unlock(&vm_lock);
	return (void *)bottom;
}

void mm_stack_free(void *bottom, size_t size)
{
	uint64_t b = (uint64_t)bottom;
	uint64_t slot = (b - VMAP_BASE) / STACK_SLOT;
	uint64_t frames[STACK_SLOT / PAGE_SIZE];
	unsigned n = 0;

	size = ALIGN_UP(size, PAGE_SIZE);
	assert(size <= STACK_SLOT);
	mutex_lock(&vm_lock);
	/* A whole stack (its top at the slot's top) may be kept mapped; a
	 * partial one, from a failed allocation, may not. */
	if (b + size == VMAP_BASE + (slot + 1) * STACK_SLOT &&
	    cache_put(bottom, size)) {
		mutex_unlock(&vm_lock);
		return;
	}
	for (uint64_t va = b; va < b + size; va += PAGE_SIZE)
		if (vm_translate(kernel_pml4, va, &frames[n], NULL))
			n++;
	/* One shootdown for the whole stack, before its frames are reused. */
	vm_unmap(kernel_pml4, b, size);
	while (n)
		pmm_free(frames[--n], 0);
	if (nfree_slots < ARRAY_SIZE(free_slots))
		free_slots[nfree_slots++] = (uint32_t)slot;
	mutex_unlock(&vm_lock);
}

uint64_t vm_phys(uint64_t *pml4, uint64_t va)
{
	int level;
	uint64_t *e = leaf(pml4, va, &level);

	if (!e)
		return 0;
	uint64_t huge = PAGE_SIZE << PAGE_ORDER_2M;

	if (level == 1)
		return (*e & PTE_ADDR_MASK & ~(huge - 1)) + (va & (huge - 1));
	if (level != 0)
		return 0;
	return (*e & PTE_ADDR_MASK) + (va & (PAGE_SIZE - 1));
}

/* The present pages of [start, end) under `table`, a table of `level`. */
static uint64_t present_in(uint64_t *table, int level, uint64_t start,
			   uint64_t end)
{
	uint64_t span = 1ull << (12 + 9 * level), n = 0;

	for (uint64_t va = start, next; va < end; va = next) {
		uint64_t e = table[pt_index(va, level)];

		next = MIN(end, (va & ~(span - 1)) + span);
		if (!(e & PTE_P))
			continue;
		if (level == 0)
			n++;
		else if (e & PTE_PS)
			n += (next - va) / PAGE_SIZE;
		else
			n += present_in(phys_to_virt(e & PTE_ADDR_MASK),
					level - 1, va, next);
	}
	return n;
}

uint64_t vm_present_pages(uint64_t *pml4, uint64_t start, uint64_t end)
{
	return start < end ? present_in(pml4, 3, start, end) : 0;
}
