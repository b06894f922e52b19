/*
 * Device interrupt vectors, handed out at run time, and the MSI message
 * format. The IDT is shared by all CPUs, so a vector names one handler
 * everywhere; which CPU takes it is decided where the source is routed
 * (the IOAPIC entry or the MSI address).
 *
 * Allocation happens in thread context at driver start; the table is
 * written before the vector is handed to a device, so the interrupt side
 * reads it without a lock (a released slot is cleared after its source
 * was silenced).
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/sync/sync.h"

static struct {
	void (*fn)(void *arg);
	void *arg;
} dyn[256]; /* written under alloc_lock, read by the interrupt */
static struct mutex alloc_lock = MUTEX_INIT;

static void dyn_dispatch(struct irq_frame *f)
{
	unsigned v = (unsigned)f->vector;
	void (*fn)(void *) = __atomic_load_n(&dyn[v].fn, __ATOMIC_ACQUIRE);

	if (fn)
		fn(dyn[v].arg);
	lapic_eoi();
}

int arch_irq_alloc(void (*fn)(void *arg), void *arg)
{
	int found = -ENOSPC;

	mutex_lock(&alloc_lock);
	for (int v = VEC_DYN_FIRST; v <= VEC_DYN_LAST; v++) {
		if (dyn[v].fn)
			continue;
		dyn[v].arg = arg;
		__atomic_store_n(&dyn[v].fn, fn, __ATOMIC_RELEASE);
		arch_set_irq_handler(v, dyn_dispatch);
		found = v;
		break;
	}
	mutex_unlock(&alloc_lock);
	return found;
}

void arch_irq_free(int vector)
{
	if (vector < VEC_DYN_FIRST || vector > VEC_DYN_LAST)
		return;
	mutex_lock(&alloc_lock);
	__atomic_store_n(&dyn[vector].fn, NULL, __ATOMIC_RELEASE);
	mutex_unlock(&alloc_lock);
}

/*
 * Intel SDM vol. 3, 11.11 (Message Signalled Interrupts): the address is
 * 0xfee00000 with the destination APIC id in bits 12-19 (physical mode,
 * no redirection hint); the data is the vector with fixed delivery and
 * edge trigger (all other bits 0).
 */
void arch_msi_message(unsigned cpu, int vector, uint64_t *addr, uint32_t *data)
{
	*addr = 0xfee00000ull | ((uint64_t)(cpus[cpu].apic_id & 0xff) << 12);
	*data = (uint32_t)vector & 0xff;
}
