/*
 * The local APIC: x2APIC through MSRs when the CPU has it, else xAPIC
 * through its MMIO page. Its timer is one-shot: TSC-deadline mode when
 * available (the deadline is written as a TSC value, no conversion),
 * otherwise a count in the APIC timer's own rate, measured against the TSC.
 * The legacy 8259 PICs are masked: every interrupt comes through the APIC.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT1 0x360
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define LVT_NMI (4u << 8)

static volatile uint32_t *xapic;
static bool x2apic, deadline_mode;
static uint64_t apic_timer_hz;

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return xapic[reg / 4];
}

/* Vector v's bits in the in-service, request and trigger-mode registers
 * (for the state dump: which interrupt is stuck where). */
void lapic_dump_vector(unsigned v)
{
	unsigned word = (v / 32) * 0x10, bit = v % 32;

	kprintf("    vector %u: in service %u, requested %u, level %u\n", v,
		(lapic_read(0x100 + word) >> bit) & 1,
		(lapic_read(0x200 + word) >> bit) & 1,
		(lapic_read(0x180 + word) >> bit) & 1);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		xapic[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(REG_ID);

	return x2apic ? id : id >> 24;
}

#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310

/* Sends an IPI (the ICR's low word) to apic_id; waits for delivery. */
void lapic_send_ipi(uint32_t apic_id, uint32_t low)
{
	if (x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
		return;
	}
	/* An interrupt sending its own IPI between the two writes would
	 * change the destination under us. */
	uint64_t flags = irq_save();
	lapic_write(REG_ICR_HIGH, apic_id << 24);
	lapic_write(REG_ICR_LOW, low);
	/* spin-ok: IPI acknowledgement. Delivery status (bit 12) clears in a
	 * few cycles; bounded anyway. */
	for (int i = 0; i < 1000000 && (lapic_read(REG_ICR_LOW) & (1u << 12)); i++)
		cpu_relax();
	irq_restore(flags);
}

void arch_send_ipi(unsigned cpu, int vector)
{
	/* Fixed delivery, physical destination, level assert. */
	lapic_send_ipi(cpus[cpu].apic_id, 0x4000u | (uint32_t)vector);
}

void lapic_eoi(void)
{
	lapic_write(REG_EOI, 0);
}

static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/*
 * How fast the APIC timer counts (divide by 1), measured against the TSC
 * for 100 us: thousands of counts even at 25 MHz, and boot time counts.
 */
static uint64_t measure_apic_timer(void)
{
	uint64_t window = tsc_hz / 10000, start;

	lapic_write(REG_TIMER_DIV, 0xb);
	lapic_write(REG_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(REG_TIMER_INIT, 0xffffffff);
	start = rdtsc();
	/* spin-ok: early boot, timing the LAPIC timer against the TSC. */
	while (rdtsc() - start < window)
		cpu_relax();
	uint32_t left = lapic_read(REG_TIMER_CUR);
	uint64_t elapsed = rdtsc() - start;
	lapic_write(REG_TIMER_INIT, 0);
	return (uint64_t)(0xffffffffu - left) * tsc_hz / elapsed;
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	pic_mask_all();
	x2apic = cpu_features.x2apic;
	if (x2apic) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		if (!xapic)
			xapic = mm_map_mmio(base & 0xfffff000, PAGE_SIZE);
		if (!xapic)
			panic("cannot map the local APIC");
	}
	lapic_write(REG_TPR, 0);
	lapic_write(REG_SVR, 0x100 | VEC_SPURIOUS);
	/* LINT1 is where a hypervisor's "inject NMI" arrives (QEMU's `nmi`):
	 * the kernel's state dump. */
	lapic_write(REG_LVT_LINT1, LVT_NMI);
	deadline_mode = cpu_features.tsc_deadline;
	if (deadline_mode) {
		lapic_write(REG_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	} else {
		if (!apic_timer_hz)
			apic_timer_hz = measure_apic_timer();
		lapic_write(REG_TIMER_DIV, 0xb);
		lapic_write(REG_LVT_TIMER, VEC_TIMER);
	}
	this_cpu()->apic_id = lapic_id();
}

void lapic_timer_arm(uint64_t deadline)
{
	if (deadline_mode) {
		wrmsr(MSR_TSC_DEADLINE, deadline ? deadline : 1);
		return;
	}
	uint64_t now = rdtsc();
	uint64_t ticks = deadline > now ? deadline - now : 0;
	/* Beyond a minute, fire early and let the timer code re-arm. */
	ticks = MIN(ticks, tsc_hz * 60);
	uint64_t count = muldiv64(ticks, apic_timer_hz, tsc_hz);
	if (count == 0)
		count = 1;
	if (count > 0xffffffff)
		count = 0xffffffff; /* fires early; the timer code re-arms */
	lapic_write(REG_TIMER_INIT, (uint32_t)count);
}

static int lapic_setup(void)
{
	lapic_init();
	return 0;
}
INIT_STEP(42, lapic_setup);

static int time_init(void)
{
	return tsc_init();
}
INIT_STEP(40, time_init);
