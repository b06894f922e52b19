/*
 * /proc's files about the system as a whole: memory, CPUs, time, the
 * kernel's command line and version, and /proc/sys's constants (what
 * programs and their C libraries read; Linux: man 5 proc).
 */
#include "arch/x86_64/arch.h"
#include "fs/fs_private.h"
#include "fs/procfs.h"
#include "kernel/sched/sched.h"

#define USER_HZ 100 /* clock ticks of stat and /proc/stat */
#define NS_PER_TICK (1000000000ull / USER_HZ)
/* As uname(2) says (linux/sys_proc.c). */
#define KERNEL_RELEASE "6.1.0-osprey"
#define KERNEL_VERSION "#1 SMP Osprey " OSPREY_VERSION

static char boot_id[40]; /* set at init */

uint64_t proc_app_pages(void)
{
	struct mm_stats m;
	uint64_t used, kernel;

	mm_get_stats(&m);
	used = m.total_pages - m.free_pages;
	kernel =
	    m.heap_bytes / PAGE_SIZE + m.heap_large_pages + vfs_file_pages();
	return used > kernel ? used - kernel : 0;
}

static int show_meminfo(struct proc_buf *b, int arg)
{
	struct mm_stats m;
	uint64_t kb = PAGE_SIZE / 1024, files = vfs_file_pages() * kb;
	uint64_t anon = proc_app_pages() * kb, heap;

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
		proc_printf(b, "%-16s%8lu kB\n", rows[i].name, rows[i].kb);
	proc_printf(b,
		  "HugePages_Total:       0\nHugePages_Free:        0\n"
		  "HugePages_Rsvd:        0\nHugePages_Surp:        0\n"
		  "Hugepagesize:       2048 kB\nHugetlb:               0 kB\n");
	return 0;
}

/* The counters Linux's /proc/vmstat has that mean something here: the
 * page cache's shrinker runs in the allocating thread, so its evictions
 * are pgsteal_direct (and pgsteal_file: they are all file pages). */
static int show_vmstat(struct proc_buf *b, int arg)
{
	struct mm_stats m;
	uint64_t stolen = LOAD(pcache_evicted);

	mm_get_stats(&m);
	proc_printf(b,
		    "nr_free_pages %lu\nnr_file_pages %lu\n"
		    "nr_dirty %lu\npgsteal_kswapd 0\npgsteal_direct %lu\n"
		    "pgsteal_anon 0\npgsteal_file %lu\n",
		    m.free_pages, vfs_file_pages(), LOAD(pcache_dirty), stolen,
		    stolen);
	return 0;
}

static uint64_t ticks(uint64_t ns)
{
	return ns / NS_PER_TICK;
}

static int show_uptime(struct proc_buf *b, int arg)
{
	uint64_t up = ticks(clock_monotonic_ns()),
		 idle = ticks(sched_idle_ns());

	proc_printf(b, "%lu.%02lu %lu.%02lu\n", up / USER_HZ, up % USER_HZ,
		  idle / USER_HZ, idle % USER_HZ);
	return 0;
}

/* Busy time is all "user": the kernel does not tell the two apart. */
static int show_stat(struct proc_buf *b, int arg)
{
	uint64_t total = ticks(clock_monotonic_ns()) * cpu_count;
	uint64_t idle = MIN(ticks(sched_idle_ns()), total), irqs = 0;
	uint64_t busy = total - idle;

	proc_printf(b, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", busy, idle);
	for (unsigned i = 0; i < cpu_count; i++) {
		proc_printf(b, "cpu%u %lu 0 0 %lu 0 0 0 0 0 0\n", i,
			  busy / cpu_count, idle / cpu_count);
		irqs += LOAD(cpus[i].irq_count);
	}
	proc_printf(b,
		  "intr %lu\nctxt 0\nbtime %lu\nprocesses 1\n"
		  "procs_running 1\nprocs_blocked 0\n"
		  "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  irqs,
		  (clock_realtime_ns() - clock_monotonic_ns()) / 1000000000);
	return 0;
}

static int show_kcmdline(struct proc_buf *b, int arg)
{
	proc_printf(b, "%s\n", boot_info.cmdline);
	return 0;
}

static void pb_uuid(struct proc_buf *b, const uint8_t id[16])
{
	for (int i = 0; i < 16; i++)
		proc_printf(b, "%s%02x",
			  i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
			  id[i]);
	proc_printf(b, "\n");
}

/* A random (version 4) UUID, new at each read, as Linux's. */
static int show_boot_id(struct proc_buf *b, int arg)
{
	proc_printf(b, "%s", boot_id);
	return 0;
}

static int show_uuid(struct proc_buf *b, int arg)
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

static void pb_flags(struct proc_buf *b, const struct cpu_ident *c)
{
	for (size_t w = 0; w < ARRAY_SIZE(flag_words); w++) {
		const struct cpuid_word *fw = &flag_words[w];
		uint32_t r[4];

		if (!fw->leaf) {
			bool inv = cpu_features.invariant_tsc;

			proc_printf(b, "%s nopl%s%s cpuid",
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
				proc_printf(b, " %s", name);
		}
	}
}

static int show_cpuinfo(struct proc_buf *b, int arg)
{
	struct cpu_ident c;
	uint64_t khz = tsc_hz / 1000, bogo = tsc_hz / 5000; /* 2x MHz */

	cpu_identify(&c);
	for (unsigned i = 0; i < cpu_count; i++) {
		proc_printf(b,
			  "processor\t: %u\nvendor_id\t: %s\n"
			  "cpu family\t: %u\nmodel\t\t: %u\n"
			  "model name\t: %s\nstepping\t: %u\n"
			  "cpu MHz\t\t: %lu.%03lu\ncache size\t: %u KB\n",
			  i, cpu_features.vendor, c.family, c.model,
			  c.model_name, c.stepping, khz / 1000, khz % 1000,
			  c.cache_kb);
		proc_printf(b,
			  "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
			  "cpu cores\t: %u\napicid\t\t: %u\n"
			  "initial apicid\t: %u\nfpu\t\t: yes\n"
			  "fpu_exception\t: yes\ncpuid level\t: %u\n"
			  "wp\t\t: yes\nflags\t\t:",
			  cpu_count, i, cpu_count, cpus[i].apic_id,
			  cpus[i].apic_id, c.level);
		pb_flags(b, &c);
		proc_printf(b,
			  "\nbugs\t\t:\nbogomips\t: %lu.%02lu\n"
			  "clflush size\t: %u\ncache_alignment\t: %u\n"
			  "address sizes\t: %u bits physical, %u bits "
			  "virtual\npower management:\n\n",
			  bogo / 100, bogo % 100, c.clflush, c.clflush,
			  c.phys_bits, c.virt_bits);
	}
	return 0;
}

/* ---- the tree ---- */
static const struct proc_entry random_table[] = {
    PFILE("boot_id", show_boot_id),
    PTEXT("entropy_avail", "256\n"),
    PTEXT("poolsize", "256\n"),
    PFILE("uuid", show_uuid),
    {NULL},
};
/* /proc/sys/kernel; linux/ adds hostname and domainname */
static const struct proc_entry kernel_table[] = {
    PTEXT("cap_last_cap", "40\n"),
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
const struct proc_entry procfs_sys_kernel = PDIR("kernel", kernel_table);

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
    PSAME("kernel", &procfs_sys_kernel),
    PDIR("net", net_table),
    PDIR("vm", vm_table),
    {NULL},
};

static const struct proc_entry root_table[] = {
    PFILE("cmdline", show_kcmdline),
    PFILE("cpuinfo", show_cpuinfo),
    PTEXT("filesystems", "nodev\tramfs\nnodev\ttmpfs\nnodev\tproc\n"
			 "nodev\tdevtmpfs\nnodev\tdevpts\n"),
    PFILE("meminfo", show_meminfo),
    PFILE("stat", show_stat),
    PDIR("sys", sys_table),
    PFILE("uptime", show_uptime),
    PFILE("vmstat", show_vmstat),
    PTEXT("version",
	  "Linux version " KERNEL_RELEASE " (osprey@osprey) (gcc " __VERSION__
	  ") " KERNEL_VERSION "\n"),
    {NULL},
};

static int proc_sys_init(void)
{
	uint8_t id[16];
	struct proc_buf b = {boot_id, sizeof(boot_id) - 1, 0};

	devfs_random_bytes(id, sizeof(id));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
	pb_uuid(&b, id);
	return procfs_register(NULL, root_table);
}
INIT_STEP(55, proc_sys_init);
