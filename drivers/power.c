/*
 * Leaving the VM with an exit status.
 *
 * QEMU's isa-debug-exit device (the harness adds it at port 0xf4) ends QEMU
 * with (value << 1) | 1, which only carries 7 bits. So the status is first
 * written, as a text line "osprey-exit N", to the Bochs debug console port
 * 0xe9 (QEMU's isa-debugcon, which the harness routes to a file): the host
 * reads the full 0..255 status there. Where neither device exists
 * (Firecracker, cloud-hypervisor) we power off through ACPI S5, and failing
 * that pulse the i8042 reset line; QEMU's -no-reboot turns that into an
 * exit. The status is also on the console for those cases.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define DEBUGCON_PORT 0xe9
#define DEBUG_EXIT_PORT 0xf4
#define SLP_EN (1u << 13)

void debugcon_write(const char *s)
{
	while (*s)
		outb(DEBUGCON_PORT, (uint8_t)*s++);
}

static void acpi_s5(void)
{
	struct acpi_power *p = &acpi_power;

	if (!p->have_s5)
		return;
	if (p->sleep_control) {
		/* Hardware-reduced ACPI: SLP_TYPx in bits 2..4, SLP_EN bit 5. */
		uint8_t v = (uint8_t)(((p->s5_typ_a & 7) << 2) | (1 << 5));

		if (!p->sleep_control_mmio) {
			outb((uint16_t)p->sleep_control, v);
		} else {
			volatile uint8_t *r = mm_map_mmio(p->sleep_control, 1);

			if (r)
				*r = v;
		}
		return;
	}
	if (p->pm1a_cnt)
		outw(p->pm1a_cnt, (uint16_t)((p->s5_typ_a << 10) | SLP_EN));
	if (p->pm1b_cnt)
		outw(p->pm1b_cnt, (uint16_t)((p->s5_typ_b << 10) | SLP_EN));
}

/* A VM restart, as a reset: the i8042 reset line where there is one,
 * else a triple fault (an empty IDT and a breakpoint), which every
 * hypervisor turns into a reset (or, with QEMU's -no-reboot, an exit). */
void power_restart(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = {0, 0};

	irq_disable();
	debugcon_write("osprey-restart\n");
	outb(0x64, 0xfe);
	__asm__ volatile("lidt %0; int3" ::"m"(no_idt));
	for (;;)
		halt();
}

void power_off(int status)
{
	char line[32];

	irq_disable();
	snprintf(line, sizeof(line), "osprey-exit %d\n", status & 0xff);
	debugcon_write(line);
	outl(DEBUG_EXIT_PORT, (uint32_t)status & 0xff);
	acpi_s5();
	outb(0x64, 0xfe); /* i8042: pulse the reset line */
	for (;;)
		halt();
}
