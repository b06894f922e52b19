/*
 * Cross-CPU calls: run a function on other CPUs and wait for it, for the
 * few things only the owning CPU may do (remove one of its timers, flush
 * its TLB). A request lives on the caller's stack and is pushed onto the
 * target's lock-free `calls` stack; an IPI makes the target take the
 * whole stack and run each request with interrupts off.
 *
 * The caller waits by spinning: this is IPI acknowledgement, which is
 * short (the target runs the function as soon as its interrupts allow)
 * and cannot sleep (callers may have interrupts off). While it spins it
 * serves calls made to its own CPU, so two CPUs calling each other never
 * deadlock. A target that never answers is a dead CPU: after
 * XCALL_TIMEOUT_NS the caller panics rather than hang silently.
 */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"
#include "lib/lfstack.h"

#define XCALL_TIMEOUT_NS 10000000000ull /* 10 s */

struct xcall_req {
	struct xcall_req *next;
	void (*fn)(void *);
	void *arg;
	int done; /* atomic */
};

static struct xcall_req *calls[MAX_CPUS]; /* atomic stacks */

void xcall_serve(void)
{
	struct xcall_req *r;

	if (!__atomic_load_n(&calls[cpu_id()], __ATOMIC_RELAXED))
		return;
	r = __atomic_exchange_n(&calls[cpu_id()], NULL, __ATOMIC_ACQUIRE);
	while (r) {
		struct xcall_req *next = r->next; /* r may be gone after done */

		r->fn(r->arg);
		__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
		r = next;
	}
}

static void post(unsigned cpu, struct xcall_req *r)
{
	lfstack_push(&calls[cpu], r, next);
	arch_send_ipi(cpu, VEC_IPI_CALL);
}

static void wait_done(struct xcall_req *r, unsigned cpu, uint64_t deadline)
{
	/* spin-ok: IPI acknowledgement (see the top of this file). */
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		xcall_serve();
		cpu_relax();
		if (rdtsc() > deadline)
			panic("CPU %u does not answer cross-CPU calls", cpu);
	}
}

void xcall_many(uint64_t mask, void (*fn)(void *), void *arg)
{
	struct xcall_req reqs[MAX_CPUS];
	uint64_t flags = irq_save();
	unsigned me = cpu_id();
	uint64_t deadline = rdtsc() + ns_to_tsc(XCALL_TIMEOUT_NS);

	mask &= sched_online_mask() & ~(1ull << me);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!(mask & (1ull << i)))
			continue;
		reqs[i] = (struct xcall_req){.fn = fn, .arg = arg};
		post(i, &reqs[i]);
	}
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (mask & (1ull << i))
			wait_done(&reqs[i], i, deadline);
	irq_restore(flags);
}

void xcall(unsigned cpu, void (*fn)(void *), void *arg)
{
	xcall_many(1ull << cpu, fn, arg);
}

static void call_ipi(struct irq_frame *f)
{
	(void)f;
	lapic_eoi();
	xcall_serve();
}

int xcall_init(void)
{
	arch_set_irq_handler(VEC_IPI_CALL, call_ipi);
	return 0;
}
