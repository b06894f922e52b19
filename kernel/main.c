/*
 * The boot: kernel_main runs the init steps in the order their section
 * names give (INIT_STEP), timing each with the TSC for the bootchart, and
 * then does what the command line asks: self-tests, the application, or
 * (for now, with neither) prints the bootchart and exits.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "fs/cpio.h"
#include "fs/fs.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"
#include "linux/linux.h"
#include "net/net.h"

struct boot_info boot_info;
struct boot_options boot_options;
static char cmdline_words[4096];

extern const struct init_step __init_steps_start[], __init_steps_end[];
void arch_set_cpu_base(struct cpu *c);

/* ---- console ---- */
void console_write(const char *s, size_t n)
{
	serial_write(s, n);
}

int kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (klog_to_console())
		console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	klog_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	return n;
}

/* ---- leaving ---- */
void kernel_exit(int status)
{
	vfs_sync_all(); /* what the program wrote is on its disks */
	power_off(status);
}

void panic(const char *fmt, ...)
{
	static int panicking;
	char buf[256];
	va_list ap;

	irq_disable();
	if (panicking++)
		power_off(EXIT_PANIC);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("\nosprey: panic: %s\n", buf);
	arch_backtrace((uint64_t)__builtin_frame_address(0),
		       (uint64_t)__builtin_return_address(0));
	power_off(EXIT_PANIC);
}

/* ---- bootchart ---- */
#define BOOTCHART_MAX 32
static struct {
	const char *name;
	uint64_t tsc;
} marks[BOOTCHART_MAX];
static unsigned nmarks;

void bootchart_mark(const char *name)
{
	if (nmarks < BOOTCHART_MAX)
		marks[nmarks++] = (typeof(marks[0])){name, rdtsc()};
}

void bootchart_print(void)
{
	uint64_t prev = boot_entry_tsc;

	kprintf("bootchart (TSC %lu Hz from %s):\n", tsc_hz, tsc_source);
	for (unsigned i = 0; i < nmarks; i++) {
		uint64_t d = marks[i].tsc - prev;

		kprintf("  %-12s %8lu us %12lu ticks\n", marks[i].name,
			tsc_to_ns(d) / 1000, d);
		prev = marks[i].tsc;
	}
	uint64_t total = prev - boot_entry_tsc;
	kprintf("osprey-ready tsc=%lu us=%lu\n", total,
		tsc_to_ns(total) / 1000);
}

void bootchart_app_entry(void)
{
	uint64_t total = rdtsc() - boot_entry_tsc;

	if (boot_options.bootchart)
		kprintf("osprey-app tsc=%lu us=%lu\n", total,
			tsc_to_ns(total) / 1000);
}

/* ---- early init steps that belong to no subsystem ---- */
static int boot_info_init(void)
{
	if (pvh_parse_start_info(boot_start_info, &boot_info))
		kernel_exit(EXIT_BAD_MEMMAP);
	return 0;
}
INIT_STEP(12, boot_info_init);

static int cmdline_init(void)
{
	if (cmdline_parse(boot_info.cmdline, cmdline_words,
			  sizeof(cmdline_words), &boot_options)) {
		kprintf("osprey: bad command line: %s\n", boot_options.error);
		kprintf("usage: [--bootchart] [--verbose] [--quiet] [--strace] "
			"[--test=NAME,...] "
			"[--env=KEY=VALUE]... [--ip=ADDR/PREFIX[,GW]] "
			"[--dns=ADDR]... [--mount=DEV:PATH[:ext4|:9p][,ro]]... "
			"[--] [PROGRAM ARGS...]\n");
		kernel_exit(EXIT_BAD_CMDLINE);
	}
	return 0;
}
INIT_STEP(14, cmdline_init);

/* The initramfs must be whole before anything trusts it. */
static int initrd_check(void)
{
	const char *err = "";
	long n;

	if (!boot_info.initrd_size)
		return 0;
	n = cpio_validate(phys_to_virt(boot_info.initrd_phys),
			  boot_info.initrd_size, &err);
	if (n < 0) {
		kprintf("osprey: the initrd (%lu bytes) is not a valid cpio "
			"newc archive: %s\n",
			boot_info.initrd_size, err);
		kernel_exit(EXIT_BAD_INITRD);
	}
	if (boot_options.verbose)
		kprintf("osprey: initrd: %ld entries, %lu bytes\n", n,
			boot_info.initrd_size);
	return 0;
}
INIT_STEP(60, initrd_check);

static void run_init_steps(void)
{
	for (const struct init_step *s = __init_steps_start;
	     s < __init_steps_end; s++) {
		int err = s->fn();

		if (err)
			panic("init step %s failed: %d", s->name, err);
		bootchart_mark(s->name);
	}
}

/* The environment: --env values, then defaults for what they leave out. */
static unsigned build_env(const char **envp, unsigned max)
{
	static const char *const defaults[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "TERM=linux",
	};
	unsigned n = 0;

	for (unsigned i = 0; i < boot_options.nenv && n < max; i++)
		envp[n++] = boot_options.env[i];
	for (unsigned d = 0; d < ARRAY_SIZE(defaults) && n < max; d++) {
		size_t klen = strchr(defaults[d], '=') - defaults[d] + 1;
		bool given = false;

		for (unsigned i = 0; i < boot_options.nenv; i++)
			given |= strncmp(boot_options.env[i], defaults[d], klen) == 0;
		if (!given)
			envp[n++] = defaults[d];
	}
	return n;
}

/* The initrd's pages go to the allocator as they are unpacked. */
static void release_initrd(const void *start, const void *end)
{
	pmm_release_boot(virt_to_phys(start), virt_to_phys(end));
}

/* Whether "/" is a disk (--mount=vda:/, mounted by init step 75): the
 * program is on it, and an initrd, when given, adds to it. */
static bool root_from_disk(void)
{
	for (unsigned i = 0; i < boot_options.nmounts; i++)
		if (!strcmp(boot_options.mounts[i].path, "/"))
			return true;
	return false;
}

static int unpack_initrd(void)
{
	if (!boot_info.initrd_size && root_from_disk())
		return 0;
	if (!boot_info.initrd_size) {
		kprintf("osprey: cannot run %s: no initrd was given\n",
			boot_options.argv[0]);
		return EXIT_BAD_INITRD;
	}
	int r = fs_unpack_initrd_freeing(phys_to_virt(boot_info.initrd_phys),
					 boot_info.initrd_size, release_initrd);
	if (r == -ENOMEM || r == -ENOSPC) { /* ramfs: ENOSPC as tmpfs */
		kprintf("osprey: not enough memory to unpack the initrd (%lu "
			"KiB); give the VM more memory (-m)\n",
			(unsigned long)(boot_info.initrd_size / 1024));
		return EXIT_NO_MEMORY;
	}
	if (r) {
		kprintf("osprey: cannot unpack the initrd\n");
		return EXIT_BAD_INITRD;
	}
	return 0;
}

static int run_application(void)
{
	static const char *envp[CMDLINE_MAX_ENV + 8];
	int r;

	if (!boot_options.argv[0][0]) {
		kprintf("osprey: the program name is empty\n");
		return EXIT_BAD_CMDLINE;
	}
	if ((r = unpack_initrd()))
		return r;
	if (net_start())
		kprintf("osprey: the network is not configured\n");
	unsigned envc = build_env(envp, ARRAY_SIZE(envp));
	return linux_start(boot_options.argc, boot_options.argv, envc, envp);
}

static void print_banner(void)
{
	struct mm_stats mem;

	mm_get_stats(&mem);
	kprintf("Osprey %s x86_64: %lu MiB RAM, %lu MiB free, TSC %lu MHz "
		"(%s)\n",
		OSPREY_VERSION, mem.total_pages >> 8, mem.free_pages >> 8,
		tsc_hz / 1000000, tsc_source);
}

void kernel_main(void)
{
	int status;

	arch_set_cpu_base(&cpus[0]);
	serial_init();
	arch_cpu_features_init();
	run_init_steps();
	/* --quiet keeps the banner off the console, not out of the log. */
	int level = boot_options.quiet ? klog_set_console_level(1) : -1;
	print_banner();
	if (level >= 0)
		klog_set_console_level(level);
	if (boot_options.bootchart)
		bootchart_print();
	if (boot_options.ntests)
		status = selftests_run();
	else if (boot_options.argc)
		status = run_application();
	else
		status = 0; /* the default demo: the bootchart, if asked */
	kernel_exit(status);
}
