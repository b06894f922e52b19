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
#define STRINGS_MAX (1u << 20) /* cmdline, environ and auxv at most */

int linux_pid(void)
{
	return current_process()->pid;
}

static uint64_t ticks(uint64_t ns)
{
	return ns / NS_PER_TICK;
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
/* The process a /proc/<pid> file shows: a copy of its fields and, while
 * it lives, a reference to its address space. */
struct target {
	struct process p;
	struct as *as; /* NULL: the first process's (when has_as) */
	bool has_as;   /* false: a zombie, or no process (a self-test's pid) */
};

static void target_get(int pid, struct target *tg)
{
	memset(tg, 0, sizeof(*tg));
	tg->has_as = !process_hold_as(pid, &tg->p, &tg->as);
	if (!tg->has_as && process_snapshot(pid, &tg->p))
		tg->p.pid = pid;
}

/* The process thread tid belongs to. */
static int pid_of_tid(int tid)
{
	rcu_read_lock();
	const struct thread *t = process_find_thread(tid);
	int pid = t && t->proc ? t->proc->pid : first_process.pid;
	rcu_read_unlock();
	return pid;
}

static void target_put(struct target *tg)
{
	if (tg->has_as)
		as_put(tg->as);
}

struct task {
	const struct thread *t; /* NULL: not found (a self-test's pid) */
	char comm[16];
	const char *state;
	uint64_t ticks;	   /* CPU time */
	uint64_t switches; /* context switches */
	unsigned cpu;
};

/* Linux's comm: the program's base name (15 bytes at most) until
 * prctl(PR_SET_NAME) or execve; Osprey names the first program's
 * threads "app". */
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

/* Thread tid, or the whole process pid when `whole` (tid is then the
 * pid); a zombie's state is Z. In a read section: the threads found may
 * exit meanwhile. */
static void task_get(int tid, bool whole, const struct target *tg,
		     struct task *k)
{
	memset(k, 0, sizeof(*k));
	rcu_read_lock();
	k->t = process_find_thread(tid);
	k->state = tg->p.state == PROC_ZOMBIE ? "Z (zombie)" : "R (running)";
	task_comm(k->t, k->comm);
	if (k->t) {
		if (LOAD(k->t->state) != THREAD_RUNNING) /* waiting, asleep */
			k->state = "S (sleeping)";
		k->cpu = LOAD(k->t->cpu);
	}
	if (!whole) {
		if (k->t)
			task_add_time(k, k->t);
		rcu_read_unlock();
		return;
	}
	for (int n = process_next_thread_in(tg->p.pid, 0); n >= 0;
	     n = process_next_thread_in(tg->p.pid, n + 1)) {
		const struct thread *t = process_find_thread(n);

		if (t)
			task_add_time(k, t);
	}
	rcu_read_unlock();
}

/* The address space in sums, from its VMAs. */
struct vm_sum {
	uint64_t size, stack, exec, data; /* bytes */
	uint64_t start_code, end_code;	  /* the lowest executable VMA */
	/* present in its page table (Linux: RSS; statm's resident) */
	uint64_t rss_pages, anon_pages, file_pages;
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

static void vm_get(const struct target *tg, struct vm_sum *s)
{
	memset(s, 0, sizeof(*s));
	if (!tg->has_as)
		return;
	as_walk_in(tg->as, vm_add, s);
	as_resident(tg->as, &s->anon_pages, &s->file_pages);
	s->rss_pages = s->anon_pages + s->file_pages;
}

static int task_stat(struct proc_buf *b, int tid, bool whole)
{
	struct task k;
	struct vm_sum v;
	struct target tg;
	const struct process *p = &tg.p;

	target_get(whole ? tid : pid_of_tid(tid), &tg);
	task_get(tid, whole, &tg, &k);
	vm_get(&tg, &v);
	/* Fields 1-24: pid (comm) state ppid pgrp session tty_nr tpgid
	 * flags minflt cminflt majflt cmajflt utime stime cutime cstime
	 * priority nice num_threads itrealvalue starttime vsize rss. */
	proc_printf(b,
		    "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %lu 0 0 0 20 0 "
		    "%d 0 0 %lu %lu ",
		    tid, k.comm, k.state[0], p->ppid,
		    p->pgid ? p->pgid : p->pid, p->sid ? p->sid : p->pid,
		    k.ticks, p->live_threads, v.size, v.rss_pages);
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
	target_put(&tg);
	return 0;
}

static void pb_cpus_allowed(struct proc_buf *b)
{
	uint64_t mask = cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;

	if (cpu_count > 32)
		proc_printf(b, "Cpus_allowed:\t%x,%08x\n",
			    (uint32_t)(mask >> 32), (uint32_t)mask);
	else
		proc_printf(b, "Cpus_allowed:\t%x\n", (uint32_t)mask);
	if (cpu_count == 1)
		proc_printf(b, "Cpus_allowed_list:\t0\n");
	else
		proc_printf(b, "Cpus_allowed_list:\t0-%u\n", cpu_count - 1);
}

/* The lines from Name to Groups (Linux: fs/proc/array.c). */
static void status_head(struct proc_buf *b, int tid, const struct target *tg,
			const struct task *k)
{
	const struct process *p = &tg->p;
	struct linux_cred c;
	int umask = vfs_umask_of(p->pid);

	linux_cred_get(tid, &c);
	proc_printf(b, "Name:\t%s\n", k->comm);
	if (umask >= 0)
		proc_printf(b, "Umask:\t%04o\n", umask);
	proc_printf(b,
		    "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
		    "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
		    "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t64\nGroups:\t",
		    k->state, p->pid, tid, p->ppid, c.uid[0], c.uid[1],
		    c.uid[2], c.uid[3], c.gid[0], c.gid[1], c.gid[2], c.gid[3]);
	for (unsigned i = 0; i < c.ngroups && i < LINUX_CRED_GROUPS; i++)
		proc_printf(b, "%u ", c.groups[i]);
	proc_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
		    p->pid, tid, p->pgid ? p->pgid : p->pid,
		    p->sid ? p->sid : p->pid);
}

static void status_vm(struct proc_buf *b, const struct vm_sum *v)
{
	uint64_t kb = PAGE_SIZE / 1024;

	proc_printf(b,
		    "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t       0 kB\n"
		    "VmPin:\t       0 kB\nVmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n"
		    "RssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n"
		    "RssShmem:\t       0 kB\nVmData:\t%8lu kB\n"
		    "VmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t       0 kB\n"
		    "VmPTE:\t%8lu kB\nVmSwap:\t       0 kB\n"
		    "HugetlbPages:\t       0 kB\nCoreDumping:\t0\n"
		    "THP_enabled:\t1\n",
		    v->size / 1024, v->size / 1024, v->rss_pages * kb,
		    v->rss_pages * kb, v->anon_pages * kb, v->file_pages * kb,
		    v->data / 1024,
		    v->stack / 1024, v->exec / 1024,
		    (v->rss_pages / 512 + 1) * kb);
}

static int task_status(struct proc_buf *b, int tid, bool whole)
{
	struct linux_cred c;
	struct task k;
	struct vm_sum v;
	struct target tg;

	target_get(whole ? tid : pid_of_tid(tid), &tg);
	task_get(tid, whole, &tg, &k);
	vm_get(&tg, &v);
	linux_cred_get(tid, &c);
	status_head(b, tid, &tg, &k);
	if (tg.has_as)
		status_vm(b, &v);
	proc_printf(b,
		    "Threads:\t%d\nSigQ:\t0/%lu\nSigPnd:\t%016x\n"
		    "ShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\n"
		    "SigCgt:\t%016x\nCapInh:\t%016lx\n"
		    "CapPrm:\t%016lx\nCapEff:\t%016lx\n"
		    "CapBnd:\t000001ffffffffff\nCapAmb:\t%016x\n"
		    "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n",
		    tg.p.live_threads, process_rlimit(RLIMIT_SIGPENDING), 0, 0,
		    0, 0, 0, c.cap_inh, c.cap_prm, c.cap_eff, 0);
	pb_cpus_allowed(b);
	proc_printf(b,
		    "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
		    "voluntary_ctxt_switches:\t%lu\n"
		    "nonvoluntary_ctxt_switches:\t0\n",
		    k.switches);
	target_put(&tg);
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

	rcu_read_lock();
	task_comm(process_find_thread(tid), comm);
	rcu_read_unlock();
	proc_printf(b, "%s\n", comm);
	return 0;
}

static int show_statm(struct proc_buf *b, int pid)
{
	struct vm_sum v;
	struct target tg;

	target_get(pid, &tg);
	vm_get(&tg, &v);
	target_put(&tg);
	/* size resident shared(file pages) text lib data dt */
	proc_printf(b, "%lu %lu %lu %lu 0 %lu 0\n", v.size / PAGE_SIZE,
		    v.rss_pages, v.file_pages, v.exec / PAGE_SIZE,
		    (v.data + v.stack) / PAGE_SIZE);
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
		    prot & PROT_EXEC ? 'x' : '-',
		    flags & VMA_SHARED ? 's' : 'p');
	if (name) {
		proc_pad(b, line, 73);
		proc_printf(b, "%s", name);
	}
	proc_printf(b, "\n");
}

static int show_maps(struct proc_buf *b, int pid)
{
	struct target tg;

	target_get(pid, &tg);
	if (tg.has_as) /* writes only the buffer under the AS lock */
		as_walk_in(tg.as, map_line, b);
	target_put(&tg);
	return 0;
}

/* [start, end) of the process's memory, what of it is present. */
static void pb_memory(struct proc_buf *b, const struct target *tg,
		      uint64_t start, uint64_t end)
{
	char *page = malloc(PAGE_SIZE);

	if (!page)
		return;
	while (start < end && end - start <= STRINGS_MAX) {
		size_t n = MIN(end - start, PAGE_SIZE);
		size_t got = as_read(tg->as, start, page, n);

		proc_write(b, page, got);
		if (got < n)
			break;
		start += n;
	}
	free(page);
}

/* The loader's strings; the command line's before a program ran. */
static void pb_strings(struct proc_buf *b, const struct target *tg,
		       uint64_t start, uint64_t end, const char *const *v,
		       unsigned n)
{
	if (end > start) {
		if (tg->has_as)
			pb_memory(b, tg, start, end);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		proc_write(b, v[i], strlen(v[i]) + 1);
}

static int show_cmdline(struct proc_buf *b, int pid)
{
	struct target tg;

	target_get(pid, &tg);
	pb_strings(b, &tg, tg.p.arg_start, tg.p.arg_end, boot_options.argv,
		   boot_options.argc);
	target_put(&tg);
	return 0;
}

static int show_environ(struct proc_buf *b, int pid)
{
	struct target tg;

	target_get(pid, &tg);
	pb_strings(b, &tg, tg.p.env_start, tg.p.env_end, boot_options.env,
		   boot_options.nenv);
	target_put(&tg);
	return 0;
}

static int show_auxv(struct proc_buf *b, int pid)
{
	struct target tg;

	target_get(pid, &tg);
	if (tg.has_as && tg.p.auxv_end > tg.p.auxv_start)
		pb_memory(b, &tg, tg.p.auxv_start, tg.p.auxv_end);
	target_put(&tg);
	return 0;
}

/* ---- the tree ---- */
/* Every process, live or zombie. */
static int pid_next(int pid, int from)
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
    PSAME("fdinfo", &procfs_fdinfo),
    PFILE("maps", show_maps),
    PSAME("mountinfo", &procfs_mountinfo),
    PSAME("mounts", &procfs_mounts),
    PSAME("net", &procfs_net),
    PSAME("root", &procfs_root),
    PFILE("stat", show_pid_stat),
    PFILE("statm", show_statm),
    PFILE("status", show_pid_status),
    PNUMBERED("task", &tid_dir, process_next_thread_in),
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
