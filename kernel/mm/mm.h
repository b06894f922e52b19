/*
 * Memory management: physical pages (a buddy allocator with per-CPU caches,
 * 4 KiB and 2 MiB pages first-class), the kernel page tables (direct map of
 * all RAM, NX data, read-only text), kernel stacks with guard pages, device
 * mappings, and the kernel heap (size classes with per-CPU caches).
 *
 * Out of memory is always an error return (0, NULL or -ENOMEM), never a
 * panic: the caller decides.
 */
#ifndef KERNEL_MM_MM_H
#define KERNEL_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/layout.h"

#define PAGE_ORDER_2M 9
#define MM_MAX_ORDER 10 /* largest buddy block: 4 MiB */

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(phys + PHYS_MAP_BASE);
}
static inline uint64_t virt_to_phys(const void *virt)
{
	uint64_t v = (uint64_t)virt;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - PHYS_MAP_BASE;
}

/* ---- physical pages ---- */
/* 2^order contiguous pages, aligned to their size; 0 when none are free. */
uint64_t pmm_alloc(unsigned order);
void pmm_free(uint64_t phys, unsigned order);
/* The same through the direct map; NULL when none are free. */
void *page_alloc(unsigned order);
void page_free(void *virt, unsigned order);

struct mm_stats {
	uint64_t total_pages; /* usable RAM managed by the allocator */
	uint64_t free_pages;  /* in the buddy lists and per-CPU caches */
	uint64_t heap_bytes;  /* handed out by malloc, by size class */
	uint64_t heap_large_pages;
	uint64_t kernel_image_bytes;
};
void mm_get_stats(struct mm_stats *s);

/* ---- page tables ---- */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* The kernel's top-level table (virtual address). */
extern uint64_t *kernel_pml4;
/*
 * Maps [va, va+size) to [pa, pa+size) with `flags` (PTE_* without PTE_P).
 * Uses 2 MiB pages where both addresses and the size allow it and
 * `flags` has PTE_PS; fails with -EEXIST if something is mapped there,
 * -ENOMEM if a table page cannot be had, -EINVAL for unaligned arguments.
 */
int vm_map(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t size,
	   uint64_t flags);
/* Unmaps whatever is mapped in [va, va+size); page-table pages are kept. */
int vm_unmap(uint64_t *pml4, uint64_t va, uint64_t size);
/* Physical address and flags of the page mapping va; false if unmapped. */
bool vm_translate(uint64_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags);
/* Changes the flags of mapped 4 KiB pages in [va, va+size). */
int vm_protect(uint64_t *pml4, uint64_t va, uint64_t size, uint64_t flags);

/* Maps device memory uncached; NULL when out of memory. */
void *mm_map_mmio(uint64_t phys, uint64_t size);

/* A kernel stack of `size` bytes with an unmapped guard page below it. */
void *mm_stack_alloc(size_t size); /* returns the bottom; NULL if no memory */
void mm_stack_free(void *bottom, size_t size);

/* ---- kernel heap ---- */
void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *aligned_alloc(size_t align, size_t size);
void free(void *p);
/* Bytes usable at p (at least what was asked for). */
size_t malloc_usable_size(void *p);

int mm_init(void);

#endif
