/*
 * Starting the application processors: the MADT (or, without ACPI, the MP
 * table) lists the CPUs' local APIC ids; each is sent INIT and a startup
 * IPI pointing at the real-mode trampoline (trampoline.S) copied to
 * 0x8000, which reaches long mode on temporary page tables in low memory
 * and calls ap_main on a stack made here. Each AP sets up its descriptor
 * tables, FPU, local APIC and timer, and then runs its idle loop, where
 * the scheduler gives it threads.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"

#define TRAMPOLINE 0x8000
/* Low pages for the trampoline's page tables; below 1 MiB, never given
 * to the allocator, and reachable by a 32-bit mov to %cr3. */
#define TR_PML4 0x5000
#define TR_PDPT 0x6000
#define TR_PD 0x7000
#define AP_WAIT_MS 200
#define ICR_INIT 0x4500
#define ICR_STARTUP 0x4600

extern char smp_trampoline[], smp_trampoline_end[];
extern char smp_tr_cr3[], smp_tr_stack[], smp_tr_entry[], smp_tr_arg[];

static int ap_online; /* atomic: set by the AP that just started */
static struct thread *ap_idle[MAX_CPUS];

static uint64_t *tr_field(const char *sym)
{
	return phys_to_virt(TRAMPOLINE + (uint64_t)(sym - smp_trampoline));
}

static __attribute__((noreturn)) void ap_main(struct cpu *c)
{
	/* Nothing here may take a lock: the boot CPU made everything. */
	write_cr3(virt_to_phys(kernel_pml4));
	arch_cpu_init(c);
	lapic_init();
	struct thread *idle = ap_idle[c->id];
	__atomic_store_n(&ap_online, 1, __ATOMIC_SEQ_CST);
	sched_run_idle(idle);
}

/* The upper half as the kernel has it, plus low memory identity-mapped. */
static void build_trampoline(void)
{
	uint64_t *pml4 = phys_to_virt(TR_PML4), *pdpt = phys_to_virt(TR_PDPT);
	uint64_t *pd = phys_to_virt(TR_PD);

	memcpy(phys_to_virt(TRAMPOLINE), smp_trampoline,
	       (size_t)(smp_trampoline_end - smp_trampoline));
	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	memcpy(pml4 + 256, kernel_pml4 + 256, 256 * sizeof(uint64_t));
	pml4[0] = TR_PDPT | PTE_P | PTE_W;
	pdpt[0] = TR_PD | PTE_P | PTE_W;
	pd[0] = PTE_P | PTE_W | PTE_PS; /* 0..2 MiB */
	*tr_field(smp_tr_cr3) = TR_PML4;
}

static void wait_us(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);

	/* spin-ok: early boot, the INIT-SIPI protocol's delays. */
	while (rdtsc() < end)
		cpu_relax();
}

static bool wait_online(void)
{
	uint64_t end = rdtsc() + ns_to_tsc(AP_WAIT_MS * 1000000ull);

	/* spin-ok: early boot, waiting for an AP to report in; bounded. */
	while (rdtsc() < end) {
		if (__atomic_load_n(&ap_online, __ATOMIC_SEQ_CST))
			return true;
		cpu_relax();
	}
	return false;
}

static bool start_ap(unsigned idx, uint32_t apic_id)
{
	struct cpu *c = &cpus[idx];
	void *stack = mm_stack_alloc(THREAD_STACK_SIZE);

	c->arch = aligned_alloc(64, arch_cpu_state_size());
	ap_idle[idx] = stack ? sched_make_idle(idx, stack, THREAD_STACK_SIZE) : NULL;
	if (!stack || !c->arch || !ap_idle[idx]) {
		kprintf("osprey: no memory to start CPU %u\n", idx);
		return false;
	}
	c->id = idx;
	c->apic_id = apic_id;
	*tr_field(smp_tr_stack) = (uint64_t)stack + THREAD_STACK_SIZE;
	*tr_field(smp_tr_entry) = (uint64_t)ap_main;
	*tr_field(smp_tr_arg) = (uint64_t)c;
	__atomic_store_n(&ap_online, 0, __ATOMIC_SEQ_CST);
	/* Modern CPUs (and every hypervisor) need no 10 ms after INIT. */
	lapic_send_ipi(apic_id, ICR_INIT);
	wait_us(100);
	for (int tries = 0; tries < 2; tries++) {
		lapic_send_ipi(apic_id, ICR_STARTUP | (TRAMPOLINE >> 12));
		if (wait_online())
			return true;
	}
	kprintf("osprey: CPU with APIC id %u did not start\n", apic_id);
	return false;
}

static uint32_t cpu_apic_ids[MAX_CPUS];

/* The CPUs' local APIC ids from the MADT, else from the MP table. */
static unsigned find_cpus(const char **source)
{
	acpi_init(); /* idempotent */
	if (acpi_ncpus) {
		unsigned n = MIN(acpi_ncpus, (unsigned)MAX_CPUS);

		memcpy(cpu_apic_ids, acpi_cpu_apic_ids, n * sizeof(uint32_t));
		*source = "MADT";
		return n;
	}
	*source = "MP table";
	return mptable_find_cpus(cpu_apic_ids, MAX_CPUS);
}

static int smp_init(void)
{
	uint32_t me = lapic_id();
	const char *source;
	unsigned n = find_cpus(&source);

	if (n > 1) {
		build_trampoline();
		for (unsigned i = 0; i < n && cpu_count < MAX_CPUS; i++) {
			if (cpu_apic_ids[i] == me)
				continue;
			if (start_ap(cpu_count, cpu_apic_ids[i]))
				cpu_count++;
		}
	}
	if (boot_options.verbose)
		kprintf("osprey: %u CPUs online (%s)\n", cpu_count,
			n ? source : "no MADT or MP table");
	return 0;
}
INIT_STEP(58, smp_init);
