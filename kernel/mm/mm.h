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
/*
 * Frames with several holders (address spaces sharing it after fork, the
 * page cache and the mappings of a page): one more holder; drop one, the
 * last freeing the frame. A frame fresh from pmm_alloc has one holder.
 */
void pmm_frame_share(uint64_t phys);
void pmm_frame_put(uint64_t phys);
bool pmm_frame_shared(uint64_t phys); /* more than one holder */
/*
 * Caches that can give pages back (the page cache, later ones too): when
 * the allocator runs out it calls each scan, asking for `want` pages,
 * and tries again. scan must not sleep on a lock its caller may hold
 * (trylock) nor allocate; it answers how many it freed.
 */
struct shrinker {
	uint64_t (*scan)(uint64_t want);
	struct shrinker *next; /* the allocator's list */
};
void mm_register_shrinker(struct shrinker *s);
/* Whether free memory (after shrinking the caches if needed) is above
 * the reserve, a 32nd of it: fork answers ENOMEM below, so that a fork
 * bomb ends in an error while its parent can still fault in the pages
 * its copy-on-write writes need, rather than in the parent killed for
 * want of a page (Linux's overcommit heuristic refuses such forks too). */
bool mm_reserve_ok(void);

/* Hands the whole pages inside [start, end) of memory the boot loader
 * lent (the initrd, once unpacked) to the allocator, for good. */
void pmm_release_boot(uint64_t start, uint64_t end);

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

/*
 * Makes every CPU forget translations in [start, end) (kernel/mm/tlb.c);
 * call after changing the entries and before reusing what they mapped.
 */
void tlb_flush_range(uint64_t start, uint64_t end);
/* For the scheduler, as a CPU leaves idle: flushes if shootdowns were
 * skipped meanwhile. */
void tlb_catch_up(void);

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

/* ---- the application's address space (vma.c) ---- */
/*
 * The application lives in the lower half of the kernel's own page table
 * (one address space, ring 0). Regions are described by VMAs; anonymous
 * memory is filled on first touch (zeroed pages), so a large mmap costs
 * nothing until used. Pages are mapped without PTE_U: everything is ring 0.
 */
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define USER_MIN 0x10000ull	    /* like vm.mmap_min_addr */
#define USER_TOP 0x7ffffffff000ull /* end of the canonical lower half */

#define VMA_FIXED 1	 /* exactly at the address; replaces what is there */
#define VMA_NOREPLACE 2	 /* exactly at the address; -EEXIST if taken */
#define VMA_STACK 4	 /* for /proc/self/maps: [stack] */
#define VMA_HEAP 8	 /* for /proc/self/maps: [heap] */
#define VMA_SHARED 16	 /* MAP_SHARED */
#define VMA_SEALED 32	 /* mseal: no unmap, mprotect, mremap, MAP_FIXED
			    over it, nor discarding a private read-only one */

/* Reserves [*addr, *addr + len) with `prot`; a free range near `hint`
 * (searching down from the mmap base) unless VMA_FIXED/NOREPLACE. */
int as_map(uint64_t *addr, uint64_t len, uint32_t prot, uint32_t flags);
int as_unmap(uint64_t addr, uint64_t len);
/* Shows the kernel's pages [phys, phys + len) at addr, inside a VMA whose
 * pages there are not backed yet; unmapping leaves them to the kernel
 * (the vDSO's data page, which the kernel keeps writing). */
int as_borrow(uint64_t addr, uint64_t phys, uint64_t len);
int as_protect(uint64_t addr, uint64_t len, uint32_t prot);
/* prctl(PR_SET_THP_DISABLE): no more 2 MiB pages for the address space
 * (those it has stay, as on Linux); atomic. */
extern int as_thp_disabled;
/*
 * File mappings: the VMA holds the file (via these operations, provided
 * by the file layer) and faults map the page cache's frames (see "The
 * page cache" in docs/architecture.md): a MAP_SHARED mapping writes the
 * cache's frame, a MAP_PRIVATE one maps it read-only and copies it on
 * the first write, as fork's copy on write does. `page` hands over a
 * reference to the frame (0 past the end of the file or without
 * memory); the page table keeps it until the page is unmapped, so a
 * mapped frame outlives truncation. A page wholly past the end of the
 * file is not there (the fault is SIGBUS).
 */
struct vma_file_ops {
	/* phys, referenced; shared: for a MAP_SHARED mapping */
	uint64_t (*page)(void *file, uint64_t index, bool shared);
	bool (*past_eof)(void *file, uint64_t index);
	void (*get)(void *file);
	void (*put)(void *file);
};
void as_set_file_ops(const struct vma_file_ops *ops);
/* As as_map, the range showing `file` from page `pgoff` on. */
int as_map_file(uint64_t *addr, uint64_t len, uint32_t prot, uint32_t flags,
		void *file, uint64_t pgoff);
/* The file mapped at addr and the page of it there, or NULL; *end gets
 * the end of the VMA there (or of the page, if none). No reference is
 * taken: for comparing with a file the caller knows (shmdt). */
void *as_file_at(uint64_t addr, uint64_t *pgoff, uint64_t *end);
/* msync(MS_SYNC): calls sync on the file of each shared file mapping
 * in the range (outside as_lock); the last error, or 0. */
int as_sync_files(uint64_t addr, uint64_t len, int (*sync)(void *file));
/* Whether a fault at addr is past the end of a mapped file (SIGBUS). */
bool as_fault_is_bus(uint64_t addr);
/* mseal: seals the VMAs of [addr, addr + len), which must be mapped
 * (-ENOMEM); as_unmap, as_protect, as_map over them then answer -EPERM,
 * as does as_discard for a private read-only one. as_sealed: whether any
 * VMA in the range is sealed (mremap asks). Fork keeps the seals. */
int as_seal(uint64_t addr, uint64_t len);
bool as_sealed(uint64_t addr, uint64_t len);
/* Pins the frames behind [addr, addr + len) for a device (Linux's
 * pin_user_pages): faults each page in (with `write`, a private writable
 * copy: the device writes it), takes a holder on its frame and stores it
 * in frames[]: how many, or -EFAULT (unmapped, or not allowed), -E2BIG
 * (more than max), -EOPNOTSUPP (a 2 MiB page). Unmapping a pinned page
 * leaves the frame to the last pmm_frame_put, which the caller makes. */
int as_pin(uint64_t addr, uint64_t len, bool write, uint64_t *frames,
	   unsigned max);
/* Drops the pages of the range (MADV_DONTNEED): they read back as zero. */
int as_discard(uint64_t addr, uint64_t len);
/* Backs every page of the range now (for the loader and file mappings):
 * -ENOMEM without memory, -EFAULT for a hole or a page past a file's end. */
int as_populate(uint64_t addr, uint64_t len);
/* Backs the range (which must be writable) with pages of its own,
 * copying those shared copy-on-write, so that the kernel may write them
 * (the loader zeroing a segment's bss tail): 0, -ENOMEM or -EFAULT. */
int as_own(uint64_t addr, uint64_t len);
/* Resolves a fault at addr; false when it is a real access violation. */
bool as_fault(uint64_t addr, bool write, bool exec);
/* Whether [addr, addr+len) is mapped with at least `prot`. */
bool as_accessible(uint64_t addr, uint64_t len, uint32_t prot);
/* Calls fn for each VMA in address order (for /proc/self/maps). */
void as_walk(void (*fn)(uint64_t start, uint64_t end, uint32_t prot,
			uint32_t flags, void *arg),
	     void *arg);
/* Where mmap searches from (below the stack), set by the loader. */
void as_set_mmap_base(uint64_t base);

/*
 * Address spaces of several processes. The calling thread's is
 * thread->as (NULL: the first process's, whose table is kernel_pml4);
 * every as_* call above works on the caller's. Each has its own
 * top-level table sharing the kernel's upper half.
 *   as_fork: a copy of the caller's, private pages shared copy-on-write
 *            (a per-frame count; the first write by either side copies),
 *            MAP_SHARED ones shared; NULL without memory.
 *   as_new:  an empty one (execve).
 *   as_put:  drops a reference; the last frees every page and table. No
 *            thread may be running on it then.
 *   as_cr3:  the value for CR3 (the scheduler's switch).
 */
struct as;
struct as *as_fork(void);
struct as *as_new(void);
void as_get(struct as *a);
void as_put(struct as *a);
uint64_t as_cr3(const struct as *a);
/* Another process's address space (NULL: the first's), held by a
 * reference, for /proc/<pid>: as_walk on it; as_read copies what is
 * present of [addr, addr + n) (stopping at the first page that is not,
 * faulting nothing in) and returns how much it copied. */
void as_walk_in(struct as *a,
		void (*fn)(uint64_t start, uint64_t end, uint32_t prot,
			   uint32_t flags, void *arg),
		void *arg);
size_t as_read(struct as *a, uint64_t addr, void *buf, size_t n);
/* Its resident pages (present in its page table; a page shared
 * copy-on-write counts in each process, as Linux's RSS): those of
 * anonymous mappings and those of file mappings. */
void as_resident(struct as *a, uint64_t *anon, uint64_t *file);

#endif
