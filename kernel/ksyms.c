/*
 * Symbol lookup for backtraces. The table is generated from the first link
 * of the kernel (tools/gen-ksyms.sh) and linked into .ksyms on the second;
 * see arch/x86_64/kernel.ld for why function addresses do not move.
 */
#include "kernel/kernel.h"

extern const uint64_t ksym_count;
extern const uint64_t ksym_addrs[];
extern const uint32_t ksym_name_offsets[];
extern const char ksym_strings[];
extern char __text_start[], __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksym_count;

	if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end ||
	    ksym_count == 0 || addr < ksym_addrs[0])
		return NULL;
	/* The last symbol whose address is <= addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addrs[lo];
	return ksym_strings + ksym_name_offsets[lo];
}
