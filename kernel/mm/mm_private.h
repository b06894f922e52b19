/* Shared between the files of kernel/mm only. */
#ifndef KERNEL_MM_MM_PRIVATE_H
#define KERNEL_MM_MM_PRIVATE_H

#include "kernel/mm/buddy.h"

extern struct page *mm_pages;
extern uint64_t mm_max_pfn;

int pmm_collect_ranges(void);
int pmm_init_buddy(void);
uint64_t pmm_alloc_table_page(void);
struct page *pmm_page(uint64_t phys);
void pmm_get_stats(uint64_t *total, uint64_t *free_pages);
const char *pmm_check(void); /* buddy invariants; NULL when they hold */

int vm_init(void);
/* The 4 KiB page-table entry for va, or NULL if no table holds it; a
 * 2 MiB page there is split into 4 KiB entries first. */
uint64_t *vm_pte(uint64_t *pml4, uint64_t va);
/* The same, making the tables on the way; NULL without memory. */
uint64_t *vm_pte_alloc(uint64_t *pml4, uint64_t va);
/* The physical address va maps to (a 4 KiB or 2 MiB page, present),
 * or 0; changes nothing. */
uint64_t vm_phys(uint64_t *pml4, uint64_t va);
/* How many 4 KiB pages of [start, end) are present in pml4's tables (a
 * 2 MiB page counts for its part in the range). */
uint64_t vm_present_pages(uint64_t *pml4, uint64_t start, uint64_t end);
void as_first_init(uint64_t *pml4);
/* Whether anything (a page table or a 2 MiB page) covers va's 2 MiB. */
bool vm_block_used(uint64_t *pml4, uint64_t va);
void heap_get_stats(uint64_t *bytes, uint64_t *large_pages);

#endif
