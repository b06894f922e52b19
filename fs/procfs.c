/*
 * procfs: /proc as Linux shows it, for what programs and their C
 * libraries read (Linux: man 5 proc, Documentation/filesystems/proc.rst).
 *
 * Its nodes are ramfs inodes tagged with the entry they show
 * (inode->proc) and what it is about (inode->proc_arg: a pid, tid or fd),
 * so the path walk, stat and getdents need only small hooks:
 *  - a directory is a table of entries, made with the directory. The
 *    directories of numbers (/proc for the pid, /proc/<pid>/fd and
 *    /proc/<pid>/task) also get an entry for a number when a lookup or
 *    getdents finds that it exists. A path walk holds plain pointers to
 *    the inodes it passes, so lookups only ever add; the entries of what
 *    is gone are hidden, and getdents (outside any walk) frees them once
 *    nothing has them open;
 *  - a file's text is made when it is opened, a snapshot that read, lseek
 *    and pread work on; a read at offset 0 after the first makes it again,
 *    as Linux's seq_file does, so that monitors can rewind and reread;
 *  - a link has no target string: following it gives the inode it leads
 *    to (an open file's, the working directory's), as Linux's "magic"
 *    links, and readlink a text made when asked ("/tmp/x", "pipe:[12]").
 *
 * Lock order: vfs_mutex (lookups, links) -> the fd table's lock; a file's
 * text is made without vfs_mutex (under its own lock, then the address
 * space's for maps), since reading application memory may fault.
 */
#include "arch/x86_64/arch.h"
#include "fs/fs_private.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/linux.h"
#include "linux/process.h"
#include "net/net.h"

#define PROC_MAX (1u << 20) /* the most text one file holds */
#define USER_HZ 100	    /* clock ticks of stat and /proc/stat */
#define NS_PER_TICK (1000000000ull / USER_HZ)
/* As uname(2) says (linux/sys_proc.c). */
#define KERNEL_RELEASE "6.1.0-osprey"
#define KERNEL_VERSION "#1 SMP Osprey " OSPREY_VERSION
#define RLIMIT_SIGPENDING 11

struct pbuf;

struct proc_entry {
	const char *name; /* NULL ends a table */
	uint32_t mode;	  /* S_IFREG | 0444, S_IFDIR | 0555, S_IFLNK | 0777 */
	/* files: what makes the text (0 or -errno), or a fixed text */
	int (*show)(struct pbuf *b, int arg);
	const char *text;
	/* directories: their entries; for directories of numbers, the entry
	 * each number gets and the lowest existing number >= from (or -1) */
	const struct proc_entry *table;
	const struct proc_entry *numbered;
	int (*next)(int from);
	/* links: where they lead (under vfs_mutex) and what readlink says
	 * (its length, at most PATH_MAX bytes in buf; without vfs_mutex) */
	int (*follow)(int arg, struct inode **out);
	int (*link)(int arg, char *buf);
};

static struct inode *proc_root; /* set at init; its entries are forever */
static char boot_id[40];	/* set at init */

/* ---- the text of a file ---- */
/* What does not fit is counted but not written, so the caller can retry
 * with a buffer of the size it learns. */
struct pbuf {
	char *buf;	 /* cap + 1 bytes: room for vsnprintf's NUL */
	size_t cap, len; /* len > cap: it did not fit */
};

static void pb_printf(struct pbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pb_printf(struct pbuf *b, const char *fmt, ...)
{
	size_t room = b->len < b->cap ? b->cap - b->len + 1 : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + MIN(b->len, b->cap), room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += n;
}

static void pb_write(struct pbuf *b, const void *p, size_t n)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;

	memcpy(b->buf + MIN(b->len, b->cap), p, MIN(n, room));
	b->len += n;
}

/* Application memory [addr, addr + n); nothing if it is not readable. */
static void pb_user(struct pbuf *b, uint64_t addr, size_t n)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;

	if (n > PROC_MAX)
		return;
	if (copy_from_user(b->buf + MIN(b->len, b->cap), addr, MIN(n, room)))
		return;
	b->len += n;
}

static void pb_pad(struct pbuf *b, size_t start, size_t column)
{
	while (b->len - start < column)
		pb_write(b, " ", 1);
}

/* ---- the system ---- */
/* Pages the application uses, estimated: what is allocated less the
 * kernel heap and file data (pages are not accounted to their users). */
static uint64_t app_pages(void)
{
	struct mm_stats m;
	uint64_t used, kernel;

	mm_get_stats(&m);
	used = m.total_pages - m.free_pages;
	kernel =
	    m.heap_bytes / PAGE_SIZE + m.heap_large_pages + LOAD(ramfs_pages);
	return used > kernel ? used - kernel : 0;
}

static int show_meminfo(struct pbuf *b, int arg)
{
	struct mm_stats m;
	uint64_t kb = PAGE_SIZE / 1024, files = LOAD(ramfs_pages) * kb;
	uint64_t anon = app_pages() * kb, heap;

	mm_get_stats(&m);
	heap = m.heap_bytes / 1024 + m.heap_large_pages * kb;
	const struct {
		const char *name;
		uint64_t kb;
	} rows[] = {
	    {"MemTotal:", m.total_pages * kb},
	    {"MemFree:", m.free_pages * kb},
	    {"MemAvailable:", m.free_pages * kb},
	    {"Buffers:", 0},
	    {"Cached:", files}, /* ramfs data counts as shmem, as tmpfs */
	    {"SwapCached:", 0},
	    {"Active:", anon},
	    {"Inactive:", files},
	    {"Active(anon):", anon},
	    {"Inactive(anon):", files},
	    {"Active(file):", 0},
	    {"Inactive(file):", 0},
	    {"Unevictable:", 0},
	    {"Mlocked:", 0},
	    {"SwapTotal:", 0},
	    {"SwapFree:", 0},
	    {"Dirty:", 0},
	    {"Writeback:", 0},
	    {"AnonPages:", anon},
	    {"Mapped:", 0},
	    {"Shmem:", files},
	    {"KReclaimable:", 0},
	    {"Slab:", heap},
	    {"SReclaimable:", 0},
	    {"SUnreclaim:", heap},
	    {"KernelStack:", (uint64_t)thread_count() * 36},
	    {"PageTables:", 0},
	    {"NFS_Unstable:", 0},
	    {"Bounce:", 0},
	    {"WritebackTmp:", 0},
	    {"CommitLimit:", m.total_pages * kb},
	    {"Committed_AS:", anon + files},
	    {"VmallocTotal:", 34359738367},
	    {"VmallocUsed:", 0},
	    {"VmallocChunk:", 0},
	    {"Percpu:", 0},
	    {"AnonHugePages:", 0},
	    {"ShmemHugePages:", 0},
	    {"ShmemPmdMapped:", 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		pb_printf(b, "%-16s%8lu kB\n", rows[i].name, rows[i].kb);
	pb_printf(b,
		  "HugePages_Total:       0\nHugePages_Free:        0\n"
		  "HugePages_Rsvd:        0\nHugePages_Surp:        0\n"
		  "Hugepagesize:       2048 kB\nHugetlb:               0 kB\n");
	return 0;
}

static uint64_t ticks(uint64_t ns)
{
	return ns / NS_PER_TICK;
}

static int show_uptime(struct pbuf *b, int arg)
{
	uint64_t up = ticks(clock_monotonic_ns()),
		 idle = ticks(sched_idle_ns());

	pb_printf(b, "%lu.%02lu %lu.%02lu\n", up / USER_HZ, up % USER_HZ,
		  idle / USER_HZ, idle % USER_HZ);
	return 0;
}

/* Busy time is all "user": the kernel does not tell the two apart. */
static int show_stat(struct pbuf *b, int arg)
{
	uint64_t total = ticks(clock_monotonic_ns()) * cpu_count;
	uint64_t idle = MIN(ticks(sched_idle_ns()), total), irqs = 0;
	uint64_t busy = total - idle;

	pb_printf(b, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", busy, idle);
	for (unsigned i = 0; i < cpu_count; i++) {
		pb_printf(b, "cpu%u %lu 0 0 %lu 0 0 0 0 0 0\n", i,
			  busy / cpu_count, idle / cpu_count);
		irqs += LOAD(cpus[i].irq_count);
	}
	pb_printf(b,
		  "intr %lu\nctxt 0\nbtime %lu\nprocesses 1\n"
		  "procs_running 1\nprocs_blocked 0\n"
		  "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  irqs,
		  (clock_realtime_ns() - clock_monotonic_ns()) / 1000000000);
	return 0;
}

static int last_tid(void)
{
	int last = current_process()->pid;

	for (int t = process_next_thread(0); t >= 0;
	     t = process_next_thread(t + 1))
		last = t;
	return last;
}

static int show_loadavg(struct pbuf *b, int arg)
{
	pb_printf(b, "0.00 0.00 0.00 1/%d %d\n", thread_count(), last_tid());
	return 0;
}

static int show_kcmdline(struct pbuf *b, int arg)
{
	pb_printf(b, "%s\n", boot_info.cmdline);
	return 0;
}

static void pb_uuid(struct pbuf *b, const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		pb_printf(b, "%s%02x",
			  i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			  id[i]);
	pb_printf(b, "\n");
}

/* A random (version 4) UUID, new at each read, as Linux's. */
static int show_boot_id(struct pbuf *b, int arg)
{
	pb_printf(b, "%s", boot_id);
	return 0;
}

/* What sethostname and setdomainname set (linux/sys_cred.c). */
static int show_hostname(struct pbuf *b, int arg)
{
	char node[65], domain[65];

	uts_names(node, domain);
	pb_printf(b, "%s\n", node);
	return 0;
}

static int show_domainname(struct pbuf *b, int arg)
{
	char node[65], domain[65];

	uts_names(node, domain);
	pb_printf(b, "%s\n", domain);
	return 0;
}

static int show_uuid(struct pbuf *b, int arg)
{
	uint8_t id[16];

	devfs_random_bytes(id, sizeof(id));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
	pb_uuid(b, id);
	return 0;
}

/* ---- /proc/cpuinfo (Linux: arch/x86/kernel/cpu/proc.c) ---- */
struct cpu_ident {
	char model_name[49];
	unsigned family, model, stepping, level, clflush, cache_kb;
	unsigned phys_bits, virt_bits;
	uint32_t max_ext;
};

/* The brand string (CPUID 0x80000002..4), without surrounding blanks. */
static void model_name(struct cpu_ident *c)
{
	char *s = c->model_name;
	size_t n;

	if (c->max_ext < 0x80000004)
		return;
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t r[4];

		cpuid(0x80000002 + i, 0, r);
		memcpy(s + 16 * i, r, 16);
	}
	s[48] = '\0';
	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	memmove(c->model_name, s, n);
	c->model_name[n] = '\0';
}

/* Intel: the last-level cache (CPUID 4); others: L2 (0x80000006). */
static void cache_size(struct cpu_ident *c)
{
	uint32_t r[4];

	if (!strcmp(cpu_features.vendor, "GenuineIntel") && c->level >= 4) {
		for (uint32_t i = 0; i < 16; i++) {
			cpuid(4, i, r);
			if ((r[0] & 0x1f) == 0)
				break;
			if ((r[0] & 0x1f) == 2)
				continue; /* instructions only */
			c->cache_kb = ((r[1] >> 22) + 1) *
				      (((r[1] >> 12) & 0x3ff) + 1) *
				      ((r[1] & 0xfff) + 1) * (r[2] + 1) / 1024;
		}
	} else if (c->max_ext >= 0x80000006) {
		cpuid(0x80000006, 0, r);
		c->cache_kb = r[2] >> 16;
	}
}

static void cpu_identify(struct cpu_ident *c)
{
	uint32_t r[4];

	memset(c, 0, sizeof(*c));
	cpuid(0, 0, r);
	c->level = r[0];
	cpuid(1, 0, r);
	c->stepping = r[0] & 0xf;
	c->model = (r[0] >> 4) & 0xf;
	c->family = (r[0] >> 8) & 0xf;
	if (c->family == 0xf)
		c->family += (r[0] >> 20) & 0xff;
	if (c->family >= 6)
		c->model += ((r[0] >> 16) & 0xf) << 4;
	c->clflush = ((r[1] >> 8) & 0xff) * 8;
	cpuid(0x80000000, 0, r);
	c->max_ext = r[0];
	c->phys_bits = 36;
	c->virt_bits = 48;
	if (c->max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		c->phys_bits = r[0] & 0xff;
		c->virt_bits = (r[0] >> 8) & 0xff;
	}
	model_name(c);
	cache_size(c);
}

/* The CPUID bits Linux names in "flags", word by word in its order
 * (arch/x86/include/asm/cpufeatures.h); leaf 0 marks where its own
 * (synthetic) flags go. */
static const struct cpuid_word {
	uint32_t leaf, sub;
	unsigned reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	const char *names[32];
} flag_words[] = {
    {1, 0, 3, {"fpu", "vme",  "de",   "pse",   "tsc", "msr",	 "pae",
	       "mce", "cx8",  "apic", NULL,    "sep", "mtrr",	 "pge",
	       "mca", "cmov", "pat",  "pse36", "pn",  "clflush", NULL,
	       "dts", "acpi", "mmx",  "fxsr",  "sse", "sse2",	 "ss",
	       "ht",  "tm",   "ia64", "pbe"}},
    {0x80000001,
     0,
     3,
     {[11] = "syscall",
      [19] = "mp",
      [20] = "nx",
      [22] = "mmxext",
      [25] = "fxsr_opt",
      [26] = "pdpe1gb",
      [27] = "rdtscp",
      [29] = "lm",
      [30] = "3dnowext",
      [31] = "3dnow"}},
    {0, 0, 0, {NULL}},
    {1, 0, 2, {"pni",	 "pclmulqdq", "dtes64", "monitor", "ds_cpl",
	       "vmx",	 "smx",	      "est",	"tm2",	   "ssse3",
	       "cid",	 "sdbg",      "fma",	"cx16",	   "xtpr",
	       "pdcm",	 NULL,	      "pcid",	"dca",	   "sse4_1",
	       "sse4_2", "x2apic",    "movbe",	"popcnt",  "tsc_deadline_timer",
	       "aes",	 "xsave",     NULL,	"avx",	   "f16c",
	       "rdrand", "hypervisor"}},
    {0x80000001, 0, 2, {"lahf_lm",    "cmp_legacy",  "svm",
			"extapic",    "cr8_legacy",  "abm",
			"sse4a",      "misalignsse", "3dnowprefetch",
			"osvw",	      "ibs",	     "xop",
			"skinit",     "wdt",	     NULL,
			"lwp",	      "fma4",	     "tce",
			NULL,	      "nodeid_msr",  NULL,
			"tbm",	      "topoext",     "perfctr_core",
			"perfctr_nb", NULL,	     "bpext",
			"ptsc",	      "perfctr_llc", "mwaitx"}},
    {7, 0, 1, {"fsgsbase", "tsc_adjust", "sgx",	     "bmi1",	   "hle",
	       "avx2",	   NULL,	 "smep",     "bmi2",	   "erms",
	       "invpcid",  "rtm",	 "cqm",	     NULL,	   "mpx",
	       "rdt_a",	   "avx512f",	 "avx512dq", "rdseed",	   "adx",
	       "smap",	   "avx512ifma", NULL,	     "clflushopt", "clwb",
	       "intel_pt", "avx512pf",	 "avx512er", "avx512cd",   "sha_ni",
	       "avx512bw", "avx512vl"}},
    {0xd, 1, 0, {"xsaveopt", "xsavec", "xgetbv1", "xsaves"}},
    {7, 1, 0, {[4] = "avx_vnni", [5] = "avx512_bf16"}},
    {0x80000008,
     0,
     1,
     {[0] = "clzero",
      [1] = "irperf",
      [2] = "xsaveerptr",
      [4] = "rdpru",
      [9] = "wbnoinvd"}},
    {6, 0, 0, {"dtherm", "ida", "arat", NULL, "pln", NULL, "pts", "hwp"}},
    {7,
     0,
     2,
     {[1] = "avx512vbmi",
      [2] = "umip",
      [3] = "pku",
      [4] = "ospke",
      [5] = "waitpkg",
      [6] = "avx512_vbmi2",
      [8] = "gfni",
      [9] = "vaes",
      [10] = "vpclmulqdq",
      [11] = "avx512_vnni",
      [12] = "avx512_bitalg",
      [14] = "avx512_vpopcntdq",
      [16] = "la57",
      [22] = "rdpid",
      [25] = "cldemote",
      [27] = "movdiri",
      [28] = "movdir64b"}},
    {7,
     0,
     3,
     {[2] = "avx512_4vnniw",
      [3] = "avx512_4fmaps",
      [4] = "fsrm",
      [8] = "avx512_vp2intersect",
      [10] = "md_clear",
      [14] = "serialize",
      [16] = "tsxldtrk",
      [18] = "pconfig",
      [19] = "arch_lbr",
      [22] = "amx_bf16",
      [23] = "avx512_fp16",
      [24] = "amx_tile",
      [25] = "amx_int8",
      [28] = "flush_l1d",
      [29] = "arch_capabilities"}},
};

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Linux shows vector extensions only if the kernel enabled their state
 * in XCR0 (AVX: YMM; AVX-512: opmask and ZMM; AMX: tiles). */
static bool state_enabled(const char *name)
{
	uint64_t x = cpu_features.xcr0;

	if (starts(name, "avx512"))
		return (x & 0xe6) == 0xe6;
	if (starts(name, "amx"))
		return (x & 0x60000) == 0x60000;
	if (starts(name, "avx") || starts(name, "fma") ||
	    starts(name, "f16c") || starts(name, "vaes") ||
	    starts(name, "vpclmulqdq"))
		return (x & 6) == 6;
	return true;
}

static bool leaf_present(const struct cpu_ident *c, uint32_t leaf, uint32_t sub)
{
	uint32_t r[4];

	if (leaf >= 0x80000000)
		return leaf <= c->max_ext;
	if (leaf > c->level)
		return false;
	if (leaf == 7 && sub) {
		cpuid(7, 0, r);
		return sub <= r[0];
	}
	return true;
}

static void pb_flags(struct pbuf *b, const struct cpu_ident *c)
{
	for (size_t w = 0; w < ARRAY_SIZE(flag_words); w++) {
		const struct cpuid_word *fw = &flag_words[w];
		uint32_t r[4];

		if (!fw->leaf) {
			bool inv = cpu_features.invariant_tsc;

			pb_printf(b, "%s nopl%s%s cpuid",
				  inv ? " constant_tsc" : "",
				  c->level >= 0xb ? " xtopology" : "",
				  inv ? " nonstop_tsc" : "");
			continue;
		}
		if (!leaf_present(c, fw->leaf, fw->sub))
			continue;
		cpuid(fw->leaf, fw->sub, r);
		for (unsigned bit = 0; bit < 32; bit++) {
			const char *name = fw->names[bit];

			if (name && (r[fw->reg] >> bit & 1) &&
			    state_enabled(name))
				pb_printf(b, " %s", name);
		}
	}
}

static int show_cpuinfo(struct pbuf *b, int arg)
{
	struct cpu_ident c;
	uint64_t khz = tsc_hz / 1000, bogo = tsc_hz / 5000; /* 2x MHz */

	cpu_identify(&c);
	for (unsigned i = 0; i < cpu_count; i++) {
		pb_printf(b,
			  "processor\t: %u\nvendor_id\t: %s\n"
			  "cpu family\t: %u\nmodel\t\t: %u\n"
			  "model name\t: %s\nstepping\t: %u\n"
			  "cpu MHz\t\t: %lu.%03lu\ncache size\t: %u KB\n",
			  i, cpu_features.vendor, c.family, c.model,
			  c.model_name, c.stepping, khz / 1000, khz % 1000,
			  c.cache_kb);
		pb_printf(b,
			  "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
			  "cpu cores\t: %u\napicid\t\t: %u\n"
			  "initial apicid\t: %u\nfpu\t\t: yes\n"
			  "fpu_exception\t: yes\ncpuid level\t: %u\n"
			  "wp\t\t: yes\nflags\t\t:",
			  cpu_count, i, cpu_count, cpus[i].apic_id,
			  cpus[i].apic_id, c.level);
		pb_flags(b, &c);
		pb_printf(b,
			  "\nbugs\t\t:\nbogomips\t: %lu.%02lu\n"
			  "clflush size\t: %u\ncache_alignment\t: %u\n"
			  "address sizes\t: %u bits physical, %u bits "
			  "virtual\npower management:\n\n",
			  bogo / 100, bogo % 100, c.clflush, c.clflush,
			  c.phys_bits, c.virt_bits);
	}
	return 0;
}

/* ---- the process and its threads ---- */
struct task {
	const struct thread *t; /* NULL: not found (a self-test's pid) */
	char comm[16];
	const char *state;
	uint64_t ticks;	   /* CPU time */
	uint64_t switches; /* context switches */
	unsigned cpu;
};

/* Linux's comm: the program's base name (15 bytes at most) until
 * prctl(PR_SET_NAME); Osprey names the application's threads "app". */
static void task_comm(const struct thread *t, char comm[16])
{
	const char *name = t ? t->name : "app";

	if (!strcmp(name, "app") && boot_options.argc) {
		name = boot_options.argv[0];
		for (const char *p = name; *p; p++)
			if (*p == '/' && p[1])
				name = p + 1;
	}
	snprintf(comm, 16, "%s", name);
}

static void task_add_time(struct task *k, const struct thread *t)
{
	k->ticks += ticks(tsc_to_ns(LOAD(t->runtime_tsc)));
	k->switches += LOAD(t->nr_switches);
}

/* Thread tid, or the whole process when `whole` (tid is then the pid). */
static void task_get(int tid, bool whole, struct task *k)
{
	memset(k, 0, sizeof(*k));
	k->t = process_find_thread(tid);
	k->state = "R (running)";
	task_comm(k->t, k->comm);
	if (k->t) {
		if (LOAD(k->t->state) == THREAD_WAITING)
			k->state = "S (sleeping)";
		k->cpu = LOAD(k->t->cpu);
	}
	if (!whole) {
		if (k->t)
			task_add_time(k, k->t);
		return;
	}
	for (int n = process_next_thread(0); n >= 0;
	     n = process_next_thread(n + 1)) {
		const struct thread *t = process_find_thread(n);

		if (t)
			task_add_time(k, t);
	}
}

/* The address space in sums, from its VMAs. */
struct vm_sum {
	uint64_t size, stack, exec, data; /* bytes */
	uint64_t start_code, end_code;	  /* the lowest executable VMA */
	uint64_t rss_pages;
};

static void vm_add(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
		   void *arg)
{
	struct vm_sum *s = arg;
	uint64_t len = end - start;

	s->size += len;
	if (flags & VMA_STACK) {
		s->stack += len;
	} else if (prot & PROT_EXEC) {
		s->exec += len;
		if (!s->start_code) {
			s->start_code = start;
			s->end_code = end;
		}
	} else if ((prot & PROT_WRITE) && !(flags & VMA_SHARED)) {
		s->data += len;
	}
}

static void vm_get(struct vm_sum *s)
{
	memset(s, 0, sizeof(*s));
	as_walk(vm_add, s);
	s->rss_pages = MIN(app_pages(), s->size / PAGE_SIZE);
}

static int task_stat(struct pbuf *b, int tid, bool whole)
{
	struct task k;
	struct vm_sum v;
	int pid = current_process()->pid;

	task_get(tid, whole, &k);
	vm_get(&v);
	/* Fields 1-24: pid (comm) state ppid pgrp session tty_nr tpgid
	 * flags minflt cminflt majflt cmajflt utime stime cutime cstime
	 * priority nice num_threads itrealvalue starttime vsize rss. */
	pb_printf(b,
		  "%d (%s) %c 1 %d %d 0 -1 4194304 0 0 0 0 %lu 0 0 0 20 0 "
		  "%d 0 0 %lu %lu ",
		  tid, k.comm, k.state[0], pid, pid, k.ticks,
		  LOAD(current_process()->live_threads), v.size, v.rss_pages);
	/* 25-44: rsslim startcode endcode startstack kstkesp kstkeip signal
	 * blocked sigignore sigcatch wchan nswap cnswap exit_signal
	 * processor rt_priority policy delayacct_blkio_ticks guest_time
	 * cguest_time. */
	pb_printf(b,
		  "18446744073709551615 %lu %lu %lu 0 0 0 0 0 0 0 0 0 17 %u "
		  "0 0 0 0 0 ",
		  v.start_code, v.end_code, current_process()->start_stack, k.cpu);
	/* 45-52: start_data end_data start_brk arg_start arg_end env_start
	 * env_end exit_code. */
	pb_printf(b, "0 0 %lu %lu %lu %lu %lu 0\n", current_process()->brk_start,
		  current_process()->arg_start, current_process()->arg_end, current_process()->env_start,
		  current_process()->env_end);
	return 0;
}

static void pb_cpus_allowed(struct pbuf *b)
{
	uint64_t mask = cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;

	if (cpu_count > 32)
		pb_printf(b, "Cpus_allowed:\t%x,%08x\n", (uint32_t)(mask >> 32),
			  (uint32_t)mask);
	else
		pb_printf(b, "Cpus_allowed:\t%x\n", (uint32_t)mask);
	if (cpu_count == 1)
		pb_printf(b, "Cpus_allowed_list:\t0\n");
	else
		pb_printf(b, "Cpus_allowed_list:\t0-%u\n", cpu_count - 1);
}

static int task_status(struct pbuf *b, int tid, bool whole)
{
	uint64_t kb = PAGE_SIZE / 1024;
	int pid = current_process()->pid;
	struct linux_cred c;
	struct task k;
	struct vm_sum v;

	task_get(tid, whole, &k);
	vm_get(&v);
	linux_cred_get(&c);
	pb_printf(b,
		  "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\n"
		  "Ngid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n"
		  "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		  "FDSize:\t64\nGroups:\t",
		  k.comm, vfs_umask_get(), k.state, pid, tid, c.uid[0], c.uid[1],
		  c.uid[2], c.uid[3], c.gid[0], c.gid[1], c.gid[2], c.gid[3]);
	for (unsigned i = 0; i < c.ngroups && i < LINUX_CRED_GROUPS; i++)
		pb_printf(b, "%u ", c.groups[i]);
	pb_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		  pid, tid, pid, pid);
	pb_printf(b,
		  "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n"
		  "VmPin:\t       0 kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
		  "RssAnon:\t%8lu kB\nRssFile:\t       0 kB\n"
		  "RssShmem:\t       0 kB\nVmData:\t%8lu kB\n"
		  "VmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t       0 kB\n"
		  "VmPTE:\t%8lu kB\nVmSwap:\t       0 kB\n"
		  "HugetlbPages:\t       0 kB\nCoreDumping:\t0\n"
		  "THP_enabled:\t1\n",
		  v.size / 1024, v.size / 1024, v.rss_pages * kb,
		  v.rss_pages * kb, v.rss_pages * kb, v.data / 1024,
		  v.stack / 1024, v.exec / 1024, (v.rss_pages / 512 + 1) * kb);
	pb_printf(b,
		  "Threads:\t%d\nSigQ:\t0/%lu\nSigPnd:\t%016x\n"
		  "ShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\n"
		  "SigCgt:\t%016x\nCapInh:\t%016lx\n"
		  "CapPrm:\t%016lx\nCapEff:\t%016lx\n"
		  "CapBnd:\t000001ffffffffff\nCapAmb:\t%016x\n"
		  "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n",
		  LOAD(current_process()->live_threads), process_rlimit(RLIMIT_SIGPENDING),
		  0, 0, 0, 0, 0, c.cap_inh, c.cap_prm, c.cap_eff, 0);
	pb_cpus_allowed(b);
	pb_printf(b,
		  "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
		  "voluntary_ctxt_switches:\t%lu\n"
		  "nonvoluntary_ctxt_switches:\t0\n",
		  k.switches);
	return 0;
}

static int show_pid_stat(struct pbuf *b, int pid)
{
	return task_stat(b, pid, true);
}

static int show_tid_stat(struct pbuf *b, int tid)
{
	return task_stat(b, tid, false);
}

static int show_pid_status(struct pbuf *b, int pid)
{
	return task_status(b, pid, true);
}

static int show_tid_status(struct pbuf *b, int tid)
{
	return task_status(b, tid, false);
}

static int show_comm(struct pbuf *b, int tid)
{
	char comm[16];

	task_comm(process_find_thread(tid), comm);
	pb_printf(b, "%s\n", comm);
	return 0;
}

static int show_statm(struct pbuf *b, int pid)
{
	struct vm_sum v;

	vm_get(&v);
	pb_printf(b, "%lu %lu 0 %lu 0 %lu 0\n", v.size / PAGE_SIZE, v.rss_pages,
		  v.exec / PAGE_SIZE, (v.data + v.stack) / PAGE_SIZE);
	return 0;
}

/* Linux: fs/proc/task_mmu.c, show_map_vma. Names pad to column 73. */
static void map_line(uint64_t start, uint64_t end, uint32_t prot,
		     uint32_t flags, void *arg)
{
	const char *name = flags & VMA_STACK  ? "[stack]"
			   : flags & VMA_HEAP ? "[heap]"
					      : NULL;
	struct pbuf *b = arg;
	size_t line = b->len;

	pb_printf(b, "%08lx-%08lx %c%c%c%c 00000000 00:00 0 ", start, end,
		  prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
		  prot & PROT_EXEC ? 'x' : '-', flags & VMA_SHARED ? 's' : 'p');
	if (name) {
		pb_pad(b, line, 73);
		pb_printf(b, "%s", name);
	}
	pb_printf(b, "\n");
}

static int show_maps(struct pbuf *b, int pid)
{
	as_walk(map_line, b); /* writes only the buffer under the AS lock */
	return 0;
}

/* The loader's strings; the command line's before a program ran. */
static void pb_strings(struct pbuf *b, uint64_t start, uint64_t end,
		       const char *const *v, unsigned n)
{
	if (end > start) {
		pb_user(b, start, end - start);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		pb_write(b, v[i], strlen(v[i]) + 1);
}

static int show_cmdline(struct pbuf *b, int pid)
{
	pb_strings(b, current_process()->arg_start, current_process()->arg_end, boot_options.argv,
		   boot_options.argc);
	return 0;
}

static int show_environ(struct pbuf *b, int pid)
{
	pb_strings(b, current_process()->env_start, current_process()->env_end, boot_options.env,
		   boot_options.nenv);
	return 0;
}

static int show_auxv(struct pbuf *b, int pid)
{
	if (current_process()->auxv_end > current_process()->auxv_start)
		pb_user(b, current_process()->auxv_start,
			current_process()->auxv_end - current_process()->auxv_start);
	return 0;
}

/* ---- links ---- */
/* Under vfs_mutex: ip's path into buf (PATH_MAX bytes); its length. A
 * file without a name shows as Linux's "(deleted)", under its number. */
static int path_of(struct inode *ip, char *buf)
{
	char *tmp = malloc(PATH_MAX), *p;
	int n;

	if (!tmp)
		return -ENOMEM;
	p = inode_path(ip, tmp, &n);
	if (p) {
		n = strlen(p);
		memcpy(buf, p, n);
	} else if (n == -ENOENT) {
		n = snprintf(buf, PATH_MAX, "/%lu (deleted)", ip->ino);
	}
	free(tmp);
	return n;
}

static int self_follow(int arg, struct inode **out)
{
	char name[16];
	int pid = current_process()->pid, len;
	struct dentry *d;

	if (!pid)
		return -ENOENT;
	len = snprintf(name, sizeof(name), "%d", pid);
	d = procfs_lookup(proc_root, name, len);
	if (!d)
		return -ENOENT;
	*out = d->inode;
	return 0;
}

static int self_link(int arg, char *buf)
{
	int pid = current_process()->pid;

	return pid ? snprintf(buf, PATH_MAX, "%d", pid) : -ENOENT;
}

static struct inode *exe_inode; /* under vfs_mutex; holds a reference */
static bool exe_looking;	/* under vfs_mutex */

/* Under vfs_mutex: the program's file, found the first time where the
 * loader found it (argv[0] from "/"), and kept as Linux's exe_file. */
static struct inode *exe(void)
{
	struct lookup l;
	char *path;

	if (exe_inode || exe_looking || !current_process()->pid || !boot_options.argc)
		return exe_inode;
	path = malloc(PATH_MAX);
	if (!path)
		return NULL;
	snprintf(path, PATH_MAX, "/%s", boot_options.argv[0]);
	exe_looking = true; /* argv[0] might lead through /proc/self/exe */
	if (!lookup(NULL, path, true, &l) && l.ip->type == S_IFREG) {
		exe_inode = l.ip;
		exe_inode->refs++;
	}
	exe_looking = false;
	free(path);
	return exe_inode;
}

static int exe_follow(int arg, struct inode **out)
{
	*out = exe();
	return *out ? 0 : -ENOENT;
}

static int exe_link(int arg, char *buf)
{
	struct inode *ip;
	int n = -ENOENT;

	mutex_lock(&vfs_mutex);
	ip = exe();
	if (ip)
		n = path_of(ip, buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int cwd_follow(int arg, struct inode **out)
{
	*out = fs_cwd;
	return 0;
}

static int cwd_link(int arg, char *buf)
{
	int n;

	mutex_lock(&vfs_mutex);
	n = path_of(fs_cwd, buf);
	mutex_unlock(&vfs_mutex);
	return n;
}

static int root_follow(int arg, struct inode **out)
{
	*out = fs_root;
	return 0;
}

static int root_link(int arg, char *buf)
{
	buf[0] = '/';
	return 1;
}

/* -ENXIO: a file outside the tree, which open takes from the fd table. */
static int fd_follow(int fd, struct inode **out)
{
	bool open;

	*out = fd_inode(fd, &open);
	if (!open)
		return -ENOENT;
	return *out ? 0 : -ENXIO;
}

/* What Linux shows for a file without a path. */
static int outside_name(struct file *f, char *buf)
{
	struct kstat st;
	int err = vfs_fstat(f, &st);

	if (err)
		return err;
	if ((st.mode & S_IFMT) == S_IFIFO)
		return snprintf(buf, PATH_MAX, "pipe:[%lu]", st.ino);
	if ((st.mode & S_IFMT) == S_IFSOCK)
		return snprintf(buf, PATH_MAX, "socket:[%lu]", st.ino);
	return snprintf(buf, PATH_MAX, "anon_inode:%s",
			f->ops->anon_name ? f->ops->anon_name : "[unknown]");
}

static int fd_link(int fd, char *buf)
{
	struct file *f = fd_get(fd);
	int n;

	if (!f)
		return -ENOENT;
	if (f->inode) {
		mutex_lock(&vfs_mutex);
		n = path_of(f->inode, buf);
		mutex_unlock(&vfs_mutex);
	} else {
		n = outside_name(f, buf);
	}
	file_put(f);
	return n;
}

/* ---- /proc/net: the text comes from net/ (net/procnet.c, the stack) ---- */
static int pb_net(struct pbuf *b, int (*text)(char *buf, size_t size))
{
	size_t at = MIN(b->len, b->cap), room = b->cap - at + 1;
	int n = text(b->buf + at, room);

	if (n < 0)
		return n;
	/* A text that filled the room may have been cut short (not every
	 * maker returns the whole length, as snprintf): ask for more. */
	if ((size_t)n >= room - 1 && b->cap < PROC_MAX)
		n = (int)room;
	b->len += (size_t)n;
	return 0;
}

static int show_net_dev(struct pbuf *b, int arg)
{
	return pb_net(b, net_proc_dev);
}

static int show_net_route(struct pbuf *b, int arg)
{
	return pb_net(b, net_proc_route);
}

static int show_net_snmp(struct pbuf *b, int arg)
{
	return pb_net(b, net_proc_snmp);
}

static int show_net_arp(struct pbuf *b, int arg)
{
	return pb_net(b, net_proc_arp);
}

/* ---- the tree ---- */
static int pid_next(int from)
{
	int pid = current_process()->pid;

	return pid && pid >= from ? pid : -1;
}

#define PFILE(n, fn)                                                           \
	{                                                                      \
		.name = n, .mode = S_IFREG | 0444, .show = fn                  \
	}
#define PTEXT(n, s)                                                            \
	{                                                                      \
		.name = n, .mode = S_IFREG | 0444, .text = s                   \
	}
#define PDIR(n, t)                                                             \
	{                                                                      \
		.name = n, .mode = S_IFDIR | 0555, .table = t                  \
	}
#define PLINK(n, f, l)                                                         \
	{                                                                      \
		.name = n, .mode = S_IFLNK | 0777, .follow = f, .link = l      \
	}
#define PNUMBERED(n, e, fn)                                                    \
	{                                                                      \
		.name = n, .mode = S_IFDIR | 0555, .numbered = e, .next = fn   \
	}

#define MOUNTS                                                                 \
	"rootfs / ramfs rw 0 0\nproc /proc proc rw 0 0\n"                      \
	"devtmpfs /dev devtmpfs rw 0 0\n"
#define MOUNTINFO                                                              \
	"1 1 0:1 / / rw - ramfs rootfs rw\n"                                   \
	"2 1 0:22 / /proc rw - proc proc rw\n"                                 \
	"3 1 0:1 /dev /dev rw - devtmpfs devtmpfs rw\n"

static const struct proc_entry tid_table[] = {
    PFILE("comm", show_comm),
    PFILE("stat", show_tid_stat),
    PFILE("status", show_tid_status),
    {NULL},
};
static const struct proc_entry tid_dir = PDIR(NULL, tid_table);
static const struct proc_entry fd_entry = PLINK(NULL, fd_follow, fd_link);

/* /proc/net, and /proc/<pid>/net (on Linux /proc/net links to it) */
static const struct proc_entry proc_net_table[] = {
    PFILE("arp", show_net_arp),
    PFILE("dev", show_net_dev),
    PFILE("route", show_net_route),
    PFILE("snmp", show_net_snmp),
    {NULL},
};

static const struct proc_entry pid_table[] = {
    PFILE("auxv", show_auxv),
    PFILE("cmdline", show_cmdline),
    PFILE("comm", show_comm),
    PLINK("cwd", cwd_follow, cwd_link),
    PFILE("environ", show_environ),
    PLINK("exe", exe_follow, exe_link),
    PNUMBERED("fd", &fd_entry, fd_next_open),
    PFILE("maps", show_maps),
    PTEXT("mountinfo", MOUNTINFO),
    PTEXT("mounts", MOUNTS),
    PDIR("net", proc_net_table),
    PLINK("root", root_follow, root_link),
    PFILE("stat", show_pid_stat),
    PFILE("statm", show_statm),
    PFILE("status", show_pid_status),
    PNUMBERED("task", &tid_dir, process_next_thread),
    {NULL},
};
static const struct proc_entry pid_dir = PDIR(NULL, pid_table);

static const struct proc_entry random_table[] = {
    PFILE("boot_id", show_boot_id),
    PTEXT("entropy_avail", "256\n"),
    PTEXT("poolsize", "256\n"),
    PFILE("uuid", show_uuid),
    {NULL},
};
static const struct proc_entry kernel_table[] = {
    PTEXT("cap_last_cap", "40\n"),
    PFILE("domainname", show_domainname),
    PFILE("hostname", show_hostname),
    PTEXT("ngroups_max", "65536\n"),
    PTEXT("osrelease", KERNEL_RELEASE "\n"),
    PTEXT("ostype", "Linux\n"),
    PTEXT("pid_max", "4194304\n"),
    PDIR("random", random_table),
    /* linux/exec.c's MAX_APP_THREADS */
    PTEXT("threads-max", "4096\n"),
    PTEXT("version", KERNEL_VERSION "\n"),
    {NULL},
};
static const struct proc_entry vm_table[] = {
    PTEXT("overcommit_memory", "0\n"),
    {NULL},
};
/* fs/inotify.c's limits (its watches are counted per instance). */
static const struct proc_entry inotify_table[] = {
    PTEXT("max_queued_events", "16384\n"),
    PTEXT("max_user_instances", "128\n"),
    PTEXT("max_user_watches", "8192\n"),
    {NULL},
};
static const struct proc_entry fs_table[] = {
    PTEXT("file-max", "9223372036854775807\n"),
    PDIR("inotify", inotify_table),
    /* fs/fdtable.c's NR_OPEN */
    PTEXT("nr_open", "1048576\n"),
    {NULL},
};
static const struct proc_entry core_table[] = {
    PTEXT("somaxconn", "4096\n"),
    {NULL},
};
static const struct proc_entry net_table[] = {
    PDIR("core", core_table),
    {NULL},
};
static const struct proc_entry sys_table[] = {
    PDIR("fs", fs_table),
    PDIR("kernel", kernel_table),
    PDIR("net", net_table),
    PDIR("vm", vm_table),
    {NULL},
};

static const struct proc_entry root_table[] = {
    PFILE("cmdline", show_kcmdline),
    PFILE("cpuinfo", show_cpuinfo),
    PTEXT("filesystems",
	  "nodev\tramfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n"),
    PFILE("loadavg", show_loadavg),
    PFILE("meminfo", show_meminfo),
    PTEXT("mounts", MOUNTS),
    PDIR("net", proc_net_table),
    PLINK("self", self_follow, self_link),
    PFILE("stat", show_stat),
    PDIR("sys", sys_table),
    PFILE("uptime", show_uptime),
    PTEXT("version",
	  "Linux version " KERNEL_RELEASE " (osprey@osprey) (gcc " __VERSION__
	  ") " KERNEL_VERSION "\n"),
    {NULL},
};
static const struct proc_entry root_entry = {
    .mode = S_IFDIR | 0555,
    .table = root_table,
    .numbered = &pid_dir,
    .next = pid_next,
};

/* ---- nodes ---- */
static void add_nlink(struct inode *ip, int delta)
{
	__atomic_store_n(&ip->nlink, ip->nlink + delta, __ATOMIC_RELAXED);
}

static void fill(struct inode *dir);

/* Under vfs_mutex: a node showing e about arg, named `name` in dir. */
static struct dentry *node_add(struct inode *dir, const char *name, size_t len,
			       const struct proc_entry *e, int arg)
{
	struct inode *ip = ramfs_inode_new(e->mode, 0);
	struct dentry *d;

	if (!ip)
		return NULL;
	ip->proc = e;
	ip->proc_arg = arg;
	d = dir_add(dir, name, len, ip);
	if (!d) {
		ramfs_inode_free(ip);
		return NULL;
	}
	add_nlink(ip, 1);
	if (S_ISDIR(e->mode)) {
		add_nlink(ip, 1);
		ip->dir.parent = dir;
		add_nlink(dir, 1);
		fill(ip);
	}
	return d;
}

/* Under vfs_mutex: a directory's fixed entries (fewer without memory). */
static void fill(struct inode *dir)
{
	for (const struct proc_entry *e = dir->proc->table; e && e->name; e++)
		node_add(dir, e->name, strlen(e->name), e, dir->proc_arg);
}

/* The number a name spells: decimal without leading zeros, below 10^9. */
static int parse_number(const char *name, size_t len)
{
	int n = 0;

	if (len == 0 || len > 9 || (len > 1 && name[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		n = n * 10 + (name[i] - '0');
	}
	return n;
}

static bool exists(const struct proc_entry *dir, int n)
{
	return dir->next(n) == n;
}

bool procfs_gone(struct inode *dir, struct dentry *d)
{
	const struct proc_entry *e = dir->proc;

	return e->numbered && d->inode->proc == e->numbered &&
	       !exists(e, d->inode->proc_arg);
}

struct dentry *procfs_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct proc_entry *e = dir->proc;
	struct dentry *d = dir_lookup(dir, name, len);
	int n;

	if (!e->numbered)
		return d;
	if (d)
		return procfs_gone(dir, d) ? NULL : d;
	n = parse_number(name, len);
	if (n < 0 || !exists(e, n))
		return NULL;
	return node_add(dir, name, len, e->numbered, n);
}

/* Whether nothing has ip, or anything below it, open or as the working
 * directory. */
static bool unused(struct inode *ip)
{
	if (ip->refs)
		return false;
	for (struct dentry *d = dir_next(ip, NULL); d; d = dir_next(ip, d))
		if (!unused(d->inode))
			return false;
	return true;
}

static void free_tree(struct inode *ip)
{
	struct dentry *d;

	while ((d = dir_next(ip, NULL))) {
		struct inode *child = d->inode;

		dir_remove(ip, d);
		free_tree(child);
	}
	ramfs_inode_free(ip);
}

void procfs_refresh(struct inode *dir)
{
	const struct proc_entry *e = dir->proc;
	struct dentry *d, *next;
	char name[16];

	if (!e->numbered)
		return;
	for (d = dir_next(dir, NULL); d; d = next) {
		struct inode *ip = d->inode;

		next = dir_next(dir, d);
		if (!procfs_gone(dir, d) || !unused(ip))
			continue;
		dir_remove(dir, d);
		if (S_ISDIR(ip->type))
			add_nlink(dir, -1);
		free_tree(ip);
	}
	for (int n = e->next(0); n >= 0 && n < 0x7fffffff; n = e->next(n + 1)) {
		int len = snprintf(name, sizeof(name), "%d", n);

		if (!dir_lookup(dir, name, len))
			node_add(dir, name, len, e->numbered, n);
	}
}

int procfs_follow(struct inode *link, struct inode **out, int *outside_fd)
{
	int err = link->proc->follow(link->proc_arg, out);

	if (err != -ENXIO) /* only fd links say it */
		return err;
	if (!outside_fd)
		return -ENOTDIR; /* a pipe in the middle of a path */
	*outside_fd = link->proc_arg;
	return err;
}

int procfs_readlink(const struct proc_entry *e, int arg, char *buf, size_t size)
{
	char *tmp = malloc(PATH_MAX);
	int n;

	if (!tmp)
		return -ENOMEM;
	n = e->link(arg, tmp);
	if (n > 0) {
		n = MIN((size_t)n, size);
		memcpy(buf, tmp, n);
	}
	free(tmp);
	return n;
}

int procfs_reopen(int fd, int flags, struct file **out)
{
	struct file *f = fd_get(fd);
	int want = flags & O_ACCMODE, have;

	if (!f)
		return -ENOENT;
	have = f->flags & O_ACCMODE;
	if (!(flags & O_PATH) && want != have && have != O_RDWR) {
		file_put(f);
		return -EACCES;
	}
	*out = f;
	return 0;
}

/* ---- open files ---- */
struct proc_file {
	const struct proc_entry *entry;
	int arg;
	struct mutex lock; /* guards the rest */
	char *buf;
	size_t len;
	bool read; /* a read at offset 0 makes the text again */
};

/* Makes the text, growing the buffer until it fits (up to PROC_MAX). */
static int generate(struct proc_file *pf)
{
	const struct proc_entry *e = pf->entry;
	size_t cap = PAGE_SIZE;

	for (;;) {
		struct pbuf b = {malloc(cap + 1), cap, 0};
		int err = 0;

		if (!b.buf)
			return -ENOMEM;
		if (e->show)
			err = e->show(&b, pf->arg);
		else
			pb_printf(&b, "%s", e->text);
		if (!err && b.len > cap && cap < PROC_MAX) {
			free(b.buf);
			while (cap < b.len && cap < PROC_MAX)
				cap *= 2;
			continue;
		}
		if (err) {
			free(b.buf);
			return err;
		}
		free(pf->buf);
		pf->buf = b.buf;
		pf->len = MIN(b.len, cap);
		return 0;
	}
}

static int64_t proc_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct proc_file *pf = f->priv;
	int64_t r = 0;
	int err = 0;

	mutex_lock(&pf->lock);
	if (*pos == 0 && pf->read)
		err = generate(pf);
	pf->read = true;
	if (!err && *pos < (int64_t)pf->len) {
		r = MIN(n, pf->len - (size_t)*pos);
		memcpy(buf, pf->buf + *pos, r);
		*pos += r;
	}
	mutex_unlock(&pf->lock);
	return err ? err : r;
}

/* As Linux's seq_lseek: SEEK_SET and SEEK_CUR only. */
static int64_t proc_llseek(struct file *f, int64_t off, int whence)
{
	int64_t r;

	if (whence == SEEK_CUR && __builtin_add_overflow(f->pos, off, &r))
		return -EINVAL;
	if (whence == SEEK_SET)
		r = off;
	else if (whence != SEEK_CUR)
		return -EINVAL;
	return r < 0 ? -EINVAL : r;
}

static void proc_release(struct file *f)
{
	struct proc_file *pf = f->priv;

	free(pf->buf);
	free(pf);
}

static const struct file_ops proc_ops = {
    .read = proc_read,
    .llseek = proc_llseek,
    .release = proc_release,
};

int procfs_open(struct inode *ip, int flags, struct file **out)
{
	struct proc_file *pf;
	struct file *f;
	int err = -EACCES;

	if ((flags & O_ACCMODE) != O_RDONLY)
		goto out_put; /* nothing in /proc is writable yet */
	err = -ENOMEM;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		goto out_put;
	pf->entry = ip->proc;
	pf->arg = ip->proc_arg;
	mutex_init(&pf->lock);
	err = generate(pf);
	if (err)
		goto out_free;
	err = -ENOMEM;
	f = file_alloc(&proc_ops, pf, flags, ip->type);
	if (!f)
		goto out_free;
	f->inode = ip;
	*out = f;
	return 0;
out_free:
	free(pf->buf);
	free(pf);
out_put:
	inode_put(ip);
	return err;
}

/* ---- setup ---- */
int procfs_init(void)
{
	uint8_t id[16];
	struct pbuf b = {boot_id, sizeof(boot_id) - 1, 0};
	struct lookup l;
	int err;

	devfs_random_bytes(id, sizeof(id));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
	pb_uuid(&b, id);
	mutex_lock(&vfs_mutex);
	err = lookup(NULL, "/proc", true, &l);
	if (!err) {
		proc_root = l.ip;
		proc_root->proc = &root_entry;
		fill(proc_root);
	}
	mutex_unlock(&vfs_mutex);
	return err;
}
