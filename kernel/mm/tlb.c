/*
 * TLB shootdown. Osprey has one address space, so any CPU may cache any
 * mapping: a change that takes access away (unmap, mprotect, a freed
 * stack) must reach every CPU's TLB before the memory is reused or the
 * call returns. The changing CPU flushes its own TLB and cross-calls the
 * others (xcall_many), except idle ones: those skip the interrupt and
 * flush everything when they leave idle, if `generation` moved meanwhile.
 * Both sides store first and load second (the shooter bumps the
 * generation, then reads the idle flags; a waking CPU clears its idle
 * flag, then reads the generation), so at least one of them sees the
 * other.
 */
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

/* Beyond this many pages a whole flush is cheaper than invlpg each. */
#define FLUSH_ALL_PAGES 32
#define CR4_PGE (1ull << 7)

static uint64_t generation; /* atomic: shootdowns so far */
static uint64_t seen[MAX_CPUS]; /* each CPU's own: the generation it flushed */

struct range {
	uint64_t start, end;
};

static void flush_all_local(void)
{
	uint64_t cr4;

	/* With global pages on, only toggling PGE drops them; without,
	 * reloading CR3 drops everything (writing CR4 unchanged does not). */
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & CR4_PGE) {
		asm volatile("mov %0, %%cr4" : : "r"(cr4 & ~CR4_PGE) : "memory");
		asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	} else {
		write_cr3(read_cr3());
	}
}

static void flush_local(void *arg)
{
	const struct range *r = arg;

	if (r->end - r->start > FLUSH_ALL_PAGES * PAGE_SIZE) {
		flush_all_local();
		return;
	}
	for (uint64_t va = r->start; va < r->end; va += PAGE_SIZE)
		invlpg(va);
}

void tlb_flush_range(uint64_t start, uint64_t end)
{
	struct range r = {ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE)};
	uint64_t mask = 0;

	preempt_disable();
	flush_local(&r);
	if (cpu_count > 1) {
		__atomic_fetch_add(&generation, 1, __ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < cpu_count; i++)
			if (i != cpu_id() && !sched_cpu_idle(i))
				mask |= 1ull << i;
		if (mask)
			xcall_many(mask, flush_local, &r);
	}
	preempt_enable();
}

void tlb_catch_up(void)
{
	uint64_t g = __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
	unsigned me = cpu_id();

	if (seen[me] != g) {
		seen[me] = g;
		flush_all_local();
	}
}
