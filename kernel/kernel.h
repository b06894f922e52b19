/*
 * The kernel core: console output, panics and assertions, the way out of
 * the VM, boot information from the firmware, the command line, and the
 * ordered table of init steps that makes up the boot.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

#define OSPREY_VERSION "0.1"

/* ---- console ---- */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
/* The kernel's log (kernel/klog.c), which kprintf also writes: bytes are
 * numbered from boot; klog_copy copies up to n of them from `from`
 * (raised to the oldest kept) and says how many. */
void klog_write(const char *s, size_t n);
uint64_t klog_head(void);
size_t klog_size(void);
size_t klog_copy(char *dst, uint64_t from, size_t n);
/* syslog(2)'s console level (1..8, 7 at boot): kprintf writes to the
 * console only while klog_to_console(); the set returns the old level. */
bool klog_to_console(void);
int klog_set_console_level(int level);

/* ---- exit statuses the VM leaves with (besides the application's) ---- */
#define EXIT_BAD_CMDLINE 2
#define EXIT_NO_MEMORY 3
#define EXIT_BAD_INITRD 4
#define EXIT_BAD_MEMMAP 5
#define EXIT_BAD_MOUNT 6 /* a --mount that could not be mounted */
#define EXIT_TESTS_FAILED 1
#define EXIT_PANIC 125

/* Ends the VM with `status`; see drivers/power.c for how. */
__attribute__((noreturn)) void kernel_exit(int status);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt,
							    ...);
#define assert(cond)                                                           \
	do {                                                                   \
		if (unlikely(!(cond)))                                         \
			panic("assertion failed: %s at %s:%d", #cond,          \
			      __FILE__, __LINE__);                             \
	} while (0)

/* ---- what the firmware handed us (arch/x86_64/pvh.c) ---- */
enum memmap_type {
	MEMMAP_RAM = 1,
	MEMMAP_RESERVED = 2,
	MEMMAP_ACPI = 3,
	MEMMAP_NVS = 4,
	MEMMAP_UNUSABLE = 5,
};
struct memmap_entry {
	uint64_t addr, size;
	uint32_t type;
};
#define MEMMAP_MAX 128
struct boot_info {
	struct memmap_entry memmap[MEMMAP_MAX];
	unsigned memmap_count;
	const char *cmdline; /* in the direct map; never NULL */
	uint64_t initrd_phys, initrd_size; /* size 0: none */
	uint64_t rsdp_phys;		   /* 0: unknown */
};
extern struct boot_info boot_info;
int pvh_parse_start_info(uint64_t phys, struct boot_info *bi);

/* ---- the command line (kernel/cmdline.c, pure) ---- */
#define CMDLINE_MAX_ARGS 256
#define CMDLINE_MAX_TESTS 32
#define CMDLINE_MAX_ENV 64
#define CMDLINE_MAX_MMIO 16
#define CMDLINE_MAX_DNS 3
#define CMDLINE_MAX_MOUNTS 8
/* --mount=DEV:PATH[:TYPE][,ro] (the words cut in place) */
struct cmdline_mount {
	const char *dev, *path, *type; /* "vda", "/data", "ext4" */
	bool rdonly;
};
/* virtio_mmio.device=SIZE@BASE:IRQ, as Linux and QEMU's microvm write it */
struct cmdline_mmio {
	uint64_t size, base;
	uint32_t irq;
};
struct boot_options {
	bool bootchart;
	bool verbose;
	bool quiet; /* no banner: the console is the application's */
	bool strace; /* print every system call of the application */
	unsigned ntests;
	const char *tests[CMDLINE_MAX_TESTS];
	unsigned nenv;
	const char *env[CMDLINE_MAX_ENV];
	/* virtio-mmio devices (anywhere on the line: QEMU appends them) */
	unsigned nmmio;
	struct cmdline_mmio mmio[CMDLINE_MAX_MMIO];
	/* --ip=ADDR/PREFIX[,GATEWAY] (network byte order; ip 0: DHCP) */
	uint32_t ip, gateway;
	unsigned prefix;
	/* --dns=ADDR (repeatable) */
	unsigned ndns;
	uint32_t dns[CMDLINE_MAX_DNS];
	/* --mount= (repeatable), in order */
	unsigned nmounts;
	struct cmdline_mount mounts[CMDLINE_MAX_MOUNTS];
	unsigned argc; /* the application's argv, after "--" */
	const char *argv[CMDLINE_MAX_ARGS];
	char error[128]; /* set when cmdline_parse fails */
};
/*
 * Splits `line` into words (double and single quotes, backslash escapes)
 * and fills `opt`. The words are written into `storage` (at least
 * strlen(line) + 1 bytes); `opt` points into it. Returns 0 or -EINVAL with
 * opt->error saying what was wrong.
 */
int cmdline_parse(const char *line, char *storage, size_t storage_size,
		  struct boot_options *opt);
extern struct boot_options boot_options;

/* ---- boot phases ---- */
/*
 * Init order is data: each step is placed in section .init_steps.NN and the
 * boot runs them in NN order, timing each for the bootchart.
 */
struct init_step {
	const char *name;
	int (*fn)(void);
} __attribute__((aligned(16)));
#define INIT_STEP(order, func)                                                 \
	static const struct init_step __init_##func                            \
		__attribute__((used, section(".init_steps." #order))) = {      \
			#func, func}

/* Records the TSC now under `name` for the bootchart. */
void bootchart_mark(const char *name);
void bootchart_print(void);
/* With --bootchart: "osprey-app tsc=" at the application's first
 * instruction (linux/exec.c calls it just before entering it). */
void bootchart_app_entry(void);

/* ---- kernel symbols, for backtraces ---- */
/* The function containing `addr` and the offset into it, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* ---- errno values (Linux's) ---- */
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define E2BIG 7
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define ETIMEDOUT 110

#endif
