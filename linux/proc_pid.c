/*
 * /proc/<pid> and /proc/<pid>/task/<tid>: the process and its threads
 * as Linux shows them (man 5 proc), registered with fs/'s procfs at
 * boot, with /proc/loadavg and /proc/sys/kernel's host names. The VFS's
 * own entries (cwd, exe, root, fd, mounts) come from fs/proc_vfs.c.
 */
#include "arch/x86_64/arch.h"
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/linux.h"
#include "linux/process.h"

#define USER_HZ 100 /* clock ticks of stat */
#define NS_PER_TICK (1000000000ull / USER_HZ)
#define RLIMIT_SIGPENDING 11
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

int linux_pid(void)
{
	return current_process()->pid;
}

static uint64_t ticks(uint64_t ns)
{
	return ns / NS_PER_TICK;
}

/* Pages the application uses, estimated: what is allocated less the
 * kernel heap and file data (pages are not accounted to their users). */
static uint64_t app_pages(void)
{
	struct mm_stats m;
	uint64_t used, kernel;

	mm_get_stats(&m);
	used = m.total_pages - m.free_pages;
	kernel = m.heap_bytes / PAGE_SIZE + m.heap_large_pages +
		 vfs_file_pages();
	return used > kernel ? used - kernel : 0;
}

static int last_tid(void)
{
	int last = current_process()->pid;

	for (int t = process_next_thread(0); t >= 0;
	     t = process_next_thread(t + 1))
		last = t;
	return last;
}

static int show_loadavg(struct proc_buf *b, int arg)
{
	proc_printf(b, "0.00 0.00 0.00 1/%d %d\n", thread_count(), last_tid());
	return 0;
}

/* What sethostname and setdomainname set (linux/sys_cred.c). */
static int show_hostname(struct proc_buf *b, int arg)
{
	char node[65], domain[65];

	uts_names(node, domain);
	proc_printf(b, "%s\n", node);
	return 0;
}

static int show_domainname(struct proc_buf *b, int arg)
{
	char node[65], domain[65];

	uts_names(node, domain);
	proc_printf(b, "%s\n", domain);
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

/* The process /proc/<pid> shows: a copy, or the caller's own. */
static const struct process *shown(int pid, struct process *copy)
{
	if (pid == current_process()->pid || process_snapshot(pid, copy))
		return current_process();
	return copy;
}

static int task_stat(struct proc_buf *b, int tid, bool whole)
{
	struct task k;
	struct vm_sum v;
	struct process copy;
	const struct process *p = shown(whole ? tid : current_process()->pid,
					&copy);

	task_get(tid, whole, &k);
	vm_get(&v);
	/* Fields 1-24: pid (comm) state ppid pgrp session tty_nr tpgid
	 * flags minflt cminflt majflt cmajflt utime stime cutime cstime
	 * priority nice num_threads itrealvalue starttime vsize rss. */
	proc_printf(b,
		  "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %lu 0 0 0 20 0 "
		  "%d 0 0 %lu %lu ",
		  tid, k.comm, k.state[0], LOAD(p->ppid), p->pgid ? p->pgid : p->pid,
		  p->sid ? p->sid : p->pid, k.ticks, LOAD(p->live_threads), v.size,
		  v.rss_pages);
	/* 25-44: rsslim startcode endcode startstack kstkesp kstkeip signal
	 * blocked sigignore sigcatch wchan nswap cnswap exit_signal
	 * processor rt_priority policy delayacct_blkio_ticks guest_time
	 * cguest_time. */
	proc_printf(b,
		  "18446744073709551615 %lu %lu %lu 0 0 0 0 0 0 0 0 0 17 %u "
		  "0 0 0 0 0 ",
		  v.start_code, v.end_code, p->start_stack, k.cpu);
	/* 45-52: start_data end_data start_brk arg_start arg_end env_start
	 * env_end exit_code. */
	proc_printf(b, "0 0 %lu %lu %lu %lu %lu 0\n", p->brk_start,
		  p->arg_start, p->arg_end, p->env_start, p->env_end);
	return 0;
}

static void pb_cpus_allowed(struct proc_buf *b)
{
	uint64_t mask = cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;

	if (cpu_count > 32)
		proc_printf(b, "Cpus_allowed:\t%x,%08x\n", (uint32_t)(mask >> 32),
			  (uint32_t)mask);
	else
		proc_printf(b, "Cpus_allowed:\t%x\n", (uint32_t)mask);
	if (cpu_count == 1)
		proc_printf(b, "Cpus_allowed_list:\t0\n");
	else
		proc_printf(b, "Cpus_allowed_list:\t0-%u\n", cpu_count - 1);
}

static int task_status(struct proc_buf *b, int tid, bool whole)
{
	uint64_t kb = PAGE_SIZE / 1024;
	int pid = current_process()->pid;
	struct linux_cred c;
	struct task k;
	struct vm_sum v;

	task_get(tid, whole, &k);
	vm_get(&v);
	linux_cred_get(&c);
	proc_printf(b,
		  "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\n"
		  "Ngid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n"
		  "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		  "FDSize:\t64\nGroups:\t",
		  k.comm, vfs_umask_get(), k.state, pid, tid, c.uid[0], c.uid[1],
		  c.uid[2], c.uid[3], c.gid[0], c.gid[1], c.gid[2], c.gid[3]);
	for (unsigned i = 0; i < c.ngroups && i < LINUX_CRED_GROUPS; i++)
		proc_printf(b, "%u ", c.groups[i]);
	proc_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		  pid, tid, pid, pid);
	proc_printf(b,
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
	proc_printf(b,
		  "Threads:\t%d\nSigQ:\t0/%lu\nSigPnd:\t%016x\n"
		  "ShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\n"
		  "SigCgt:\t%016x\nCapInh:\t%016lx\n"
		  "CapPrm:\t%016lx\nCapEff:\t%016lx\n"
		  "CapBnd:\t000001ffffffffff\nCapAmb:\t%016x\n"
		  "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n",
		  LOAD(current_process()->live_threads), process_rlimit(RLIMIT_SIGPENDING),
		  0, 0, 0, 0, 0, c.cap_inh, c.cap_prm, c.cap_eff, 0);
	pb_cpus_allowed(b);
	proc_printf(b,
		  "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
		  "voluntary_ctxt_switches:\t%lu\n"
		  "nonvoluntary_ctxt_switches:\t0\n",
		  k.switches);
	return 0;
}

static int show_pid_stat(struct proc_buf *b, int pid)
{
	return task_stat(b, pid, true);
}

static int show_tid_stat(struct proc_buf *b, int tid)
{
	return task_stat(b, tid, false);
}

static int show_pid_status(struct proc_buf *b, int pid)
{
	return task_status(b, pid, true);
}

static int show_tid_status(struct proc_buf *b, int tid)
{
	return task_status(b, tid, false);
}

static int show_comm(struct proc_buf *b, int tid)
{
	char comm[16];

	task_comm(process_find_thread(tid), comm);
	proc_printf(b, "%s\n", comm);
	return 0;
}

static int show_statm(struct proc_buf *b, int pid)
{
	struct vm_sum v;

	vm_get(&v);
	proc_printf(b, "%lu %lu 0 %lu 0 %lu 0\n", v.size / PAGE_SIZE, v.rss_pages,
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
	struct proc_buf *b = arg;
	size_t line = proc_len(b);

	proc_printf(b, "%08lx-%08lx %c%c%c%c 00000000 00:00 0 ", start, end,
		  prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
		  prot & PROT_EXEC ? 'x' : '-', flags & VMA_SHARED ? 's' : 'p');
	if (name) {
		proc_pad(b, line, 73);
		proc_printf(b, "%s", name);
	}
	proc_printf(b, "\n");
}

static int show_maps(struct proc_buf *b, int pid)
{
	as_walk(map_line, b); /* writes only the buffer under the AS lock */
	return 0;
}

/* The loader's strings; the command line's before a program ran. */
static void pb_strings(struct proc_buf *b, uint64_t start, uint64_t end,
		       const char *const *v, unsigned n)
{
	if (end > start) {
		proc_user(b, start, end - start);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		proc_write(b, v[i], strlen(v[i]) + 1);
}

static int show_cmdline(struct proc_buf *b, int pid)
{
	pb_strings(b, current_process()->arg_start, current_process()->arg_end, boot_options.argv,
		   boot_options.argc);
	return 0;
}

static int show_environ(struct proc_buf *b, int pid)
{
	pb_strings(b, current_process()->env_start, current_process()->env_end, boot_options.env,
		   boot_options.nenv);
	return 0;
}

static int show_auxv(struct proc_buf *b, int pid)
{
	if (current_process()->auxv_end > current_process()->auxv_start)
		proc_user(b, current_process()->auxv_start,
			current_process()->auxv_end - current_process()->auxv_start);
	return 0;
}

/* ---- the tree ---- */
/* Every process, live or zombie. */
static int pid_next(int from)
{
	return process_next_pid(from);
}

static const struct proc_entry tid_table[] = {
    PFILE("comm", show_comm),
    PFILE("stat", show_tid_stat),
    PFILE("status", show_tid_status),
    {NULL},
};
static const struct proc_entry tid_dir = PDIR(NULL, tid_table);

static const struct proc_entry pid_table[] = {
    PFILE("auxv", show_auxv),
    PFILE("cmdline", show_cmdline),
    PFILE("comm", show_comm),
    PSAME("cwd", &procfs_cwd),
    PFILE("environ", show_environ),
    PSAME("exe", &procfs_exe),
    PSAME("fd", &procfs_fd),
    PFILE("maps", show_maps),
    PSAME("mountinfo", &procfs_mountinfo),
    PSAME("mounts", &procfs_mounts),
    PSAME("net", &procfs_net),
    PSAME("root", &procfs_root),
    PFILE("stat", show_pid_stat),
    PFILE("statm", show_statm),
    PFILE("status", show_pid_status),
    PNUMBERED("task", &tid_dir, process_next_thread),
    {NULL},
};
static const struct proc_entry pid_dir = PDIR(NULL, pid_table);


static const struct proc_entry root_table[] = {
    PFILE("loadavg", show_loadavg),
    {NULL},
};
static const struct proc_entry kernel_table[] = {
    PFILE("domainname", show_domainname),
    PFILE("hostname", show_hostname),
    {NULL},
};

static int proc_pid_init(void)
{
	int err = procfs_register(NULL, root_table);

	if (!err)
		err = procfs_register(&procfs_sys_kernel, kernel_table);
	procfs_set_pids(&pid_dir, pid_next);
	return err;
}
INIT_STEP(56, proc_pid_init);
