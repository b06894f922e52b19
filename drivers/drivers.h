/* Device drivers: the serial console, power-off, ACPI and MP tables. */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void serial_init(void);
void serial_write(const char *s, size_t n);

/* ACPI: the fixed hardware we need to power off. */
struct acpi_power {
	uint16_t pm1a_cnt, pm1b_cnt; /* 0 when absent */
	uint64_t sleep_control;	     /* hardware-reduced ACPI; 0 when absent */
	bool sleep_control_mmio;     /* in memory space (QEMU microvm's GED) */
	uint16_t s5_typ_a, s5_typ_b;
	bool have_s5;
};
int acpi_init(void);
/* The local APIC ids of the usable CPUs, from the MADT (boot CPU first
 * is not promised); 0 CPUs when there is no MADT. */
extern uint32_t acpi_cpu_apic_ids[64];
extern unsigned acpi_ncpus;
extern struct acpi_power acpi_power;

/*
 * The MP table (drivers/mptable.c), for machines without a MADT.
 * mptable_floating_pointer: the configuration table's physical address
 * from a floating pointer structure at fp (avail bytes readable), or 0 if
 * it is not a valid one. mptable_cpus: the local APIC ids of the usable
 * processors in the configuration table t (len bytes readable), at most
 * max of them; their number, or -EINVAL for a malformed table.
 * mptable_find_cpus: both, on the firmware's table; 0 when there is none.
 */
uint32_t mptable_floating_pointer(const uint8_t *fp, size_t avail);
int mptable_cpus(const uint8_t *t, size_t len, uint32_t *ids, unsigned max);
unsigned mptable_find_cpus(uint32_t *ids, unsigned max);

/* The debug console (port 0xe9): diagnostics for the host, apart from
 * the application's output on the serial console. */
void debugcon_write(const char *s);

/* Ends the VM: isa-debug-exit, then ACPI S5, then an i8042 reset. */
__attribute__((noreturn)) void power_off(int status);

#endif
