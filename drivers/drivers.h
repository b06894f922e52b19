/* Device drivers: the serial console, power-off, ACPI and MP tables, PCI. */
#ifndef DRIVERS_DRIVERS_H
#define DRIVERS_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ENODEV
#define ENODEV 19 /* as fs/fs.h; for files that do not include it */
#endif

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

/* What the MADT says about interrupt routing (for arch/x86_64/ioapic.c):
 * the IOAPICs and the ISA IRQ -> GSI overrides. */
struct acpi_ioapic {
	uint64_t base;
	uint32_t gsi_base;
};
struct acpi_irq_override {
	uint8_t isa_irq;
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
};
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16
extern struct acpi_ioapic acpi_ioapics[ACPI_MAX_IOAPICS];
extern unsigned acpi_nioapics;
extern struct acpi_irq_override acpi_overrides[ACPI_MAX_OVERRIDES];
extern unsigned acpi_noverrides;
/* PCI Express ECAM from the MCFG: segment 0's window; base 0 if none. */
struct acpi_ecam {
	uint64_t base;
	uint8_t bus_start, bus_end;
};
extern struct acpi_ecam acpi_ecam;
/* The FADT says HW_REDUCED_ACPI (microvm): no legacy PC hardware, so no
 * PCI unless the MCFG gives an ECAM window. */
extern bool acpi_hw_reduced;
/* virtio-mmio devices the DSDT describes (_HID "LNRO0005", as QEMU's
 * microvm writes them): base, size and GSI. */
#define ACPI_MAX_MMIO 32
struct acpi_mmio_dev {
	uint64_t base, size;
	uint32_t gsi;
};
extern struct acpi_mmio_dev acpi_mmio[ACPI_MAX_MMIO];
extern unsigned acpi_nmmio;
/* The DSDT scan itself, pure (the host fuzz target runs it): fills at most
 * max devices from the AML in [aml, aml+len); their number. */
unsigned acpi_scan_virtio_mmio(const uint8_t *aml, size_t len,
			       struct acpi_mmio_dev *out, unsigned max);

/* ---- PCI (drivers/pci.c) ---- */
struct pci_dev {
	uint16_t seg;
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	/* from here on: filled by pci_enable */
	uint16_t subsys_device;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t irq_line, irq_pin;
	uint64_t bar[6];      /* physical base; 0 when unused/unassigned */
	uint64_t bar_size[6];
	bool bar_io[6];	      /* an I/O-port BAR */
	uint8_t msix_cap;     /* capability offset; 0 when absent */
	uint16_t msix_size;   /* table entries */
	volatile uint32_t *msix_table; /* mapped when enabled */
	struct pci_dev *next;
};
/* Enumerates every bus: ECAM when the MCFG gives one, else port I/O.
 * Idempotent. */
int pci_init(void);
bool pci_possible(void);
/* The devices found, in bus order. */
struct pci_dev *pci_devices(void);
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
uint8_t pci_read8(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
/* The next capability with `id` after offset `from` (0: from the start);
 * 0 when none. Bounded: a looping list ends. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from);
/* Sizes the BARs, finds MSI-X, turns on memory decoding and bus
 * mastering. */
void pci_enable(struct pci_dev *d);
/* Maps the MSI-X table and enables MSI-X with every entry masked. */
int pci_msix_enable(struct pci_dev *d);
/* Points table entry `entry` at `vector` on CPU index `cpu`, unmasked. */
int pci_msix_set(struct pci_dev *d, unsigned entry, int vector, unsigned cpu);
/* A BAR's region [off, off+len) mapped uncached; NULL if it is not inside
 * the BAR or not memory. */
void *pci_map_bar(struct pci_dev *d, unsigned bar, uint64_t off,
		  uint64_t len);

/* The debug console (port 0xe9): diagnostics for the host, apart from
 * the application's output on the serial console. */
void debugcon_write(const char *s);

/* The program's standard streams on virtio-console ports
 * (drivers/virtio/console.c): fd 0, 1 or 2's device in *path (0; 1
 * when it is the console terminal, to open read-write), -EBADF when the
 * host left that stream closed, -ENODEV without the device (the serial
 * console then). */
int virtio_console_stdio(int fd, const char **path);
/* At the program's exit: waits until the device has taken everything
 * written, for as long as it takes some within every idle_ns. */
void virtio_console_flush(uint64_t idle_ns);

/* Ends the VM: isa-debug-exit, then ACPI S5, then an i8042 reset. */
__attribute__((noreturn)) void power_off(int status);
/* Restarts the VM (reboot(2)'s LINUX_REBOOT_CMD_RESTART). */
__attribute__((noreturn)) void power_restart(void);

#endif
