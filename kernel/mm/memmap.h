/*
 * The firmware memory-map sanitiser: turns whatever the firmware said
 * (entries in any order, overlapping, unaligned, of unknown types, even
 * running past the end of the address space) into a sorted list of
 * page-aligned RAM ranges that are safe to use. Pure: no allocation, no
 * global state, so the host tests and fuzzers run it as is.
 */
#ifndef KERNEL_MM_MEMMAP_H
#define KERNEL_MM_MEMMAP_H

#include <stdint.h>

#include "kernel/kernel.h"

struct phys_range {
	uint64_t start, end; /* [start, end), 4 KiB aligned */
};

struct memmap_report {
	unsigned ram_overlaps;	    /* RAM entries overlapping other RAM */
	unsigned reserved_overlaps; /* RAM entries cut by non-RAM ones */
	unsigned invalid;	    /* zero-size or running past 2^64 */
	unsigned holes;		    /* gaps between the usable ranges */
};

/*
 * Usable RAM: the union of the MEMMAP_RAM entries, shrunk inward to 4 KiB
 * boundaries, minus every other entry (any type but MEMMAP_RAM counts as
 * reserved) grown outward to 4 KiB; sorted, disjoint and never touching.
 *
 * An entry whose addr + size passes 2^64 is counted in rep->invalid; a RAM
 * one is skipped, a reserved one reserves everything from addr up.
 *
 * Returns the number of ranges written to out, -E2BIG if there are more
 * than max_out, or -EINVAL if n > MEMMAP_MAX (or a needed pointer is NULL).
 * *rep is filled in every case but -EINVAL.
 */
int memmap_usable(const struct memmap_entry *in, unsigned n,
		  struct phys_range *out, unsigned max_out,
		  struct memmap_report *rep);

#endif
