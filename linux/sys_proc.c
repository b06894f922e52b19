/*
 * Process and identity system calls. There is one process, run as root;
 * its pid is the main thread's id and its parent is "init" (1). fork and
 * friends are absent by design; wait4 has no children to wait for.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/sys.h"
#include "net/net.h"

/* How long the exit waits for the network to send what it was given. */
#define EXIT_FLUSH_NS 500000000
/* stdout and stderr: given up only when the host reads nothing this long */
#define STDIO_FLUSH_IDLE_NS 5000000000ull

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define MSR_FS_BASE 0xc0000100

long sys_getpid(long a, long b, long c, long d, long e, long f)
{
	return current_process()->pid;
}

/* The first process's parent is always init. */
long sys_getppid_one(long a, long b, long c, long d, long e, long f)
{
	return 1;
}

long sys_getppid(long a, long b, long c, long d, long e, long f)
{
	return __atomic_load_n(&current_process()->ppid, __ATOMIC_RELAXED);
}

long sys_gettid(long a, long b, long c, long d, long e, long f)
{
	return current_thread()->app_tid;
}

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define WAIT_KNOWN (1 | 2 | 4 | 8 | 0x01000000 | 0x20000000 | 0x40000000 | 0x80000000u)

/* A reaped child's rusage: zeros (its times are not kept). */
static int clear_user_rusage(long uru)
{
	int64_t zero[18] = {0}; /* struct rusage: 144 bytes */

	return copy_to_user(uru, zero, sizeof(zero));
}

/* wait4's pid as waitid's idtype and id (P_ALL, P_PID, P_PGID). */
static void wait4_target(int pid, int *idtype, int *id)
{
	*idtype = pid == -1 ? 0 : pid > 0 ? 1 : 2;
	*id = pid > 0 ? pid : pid == 0 ? current_process()->pgid : -pid;
}

/* Stopped and continued children are never reported (no job control
 * stops): WUNTRACED and WCONTINUED are accepted and find nothing. */
long sys_wait4(long pid, long status, long options, long rusage, long e,
	       long f)
{
	int idtype, id, ws = 0;

	if ((uint32_t)options & ~(1u | 2u | 8u | 0x20000000u | 0x40000000u | 0x80000000u))
		return -EINVAL;
	if ((int)pid == INT32_MIN)
		return -ESRCH;
	wait4_target((int)pid, &idtype, &id);
	long r = process_wait(idtype, id, (int)options & WNOHANG, &ws);
	if (r > 0 && status && copy_to_user(status, &ws, sizeof(ws)))
		return -EFAULT;
	if (r >= 0 && rusage && clear_user_rusage(rusage))
		return -EFAULT;
	return r;
}

/* waitid's siginfo for a reaped child (Linux's CLD_* codes), or zeros
 * when WNOHANG found nothing. */
static int waitid_info(long infop, int pid, int ws)
{
	struct ksiginfo info = {0};

	if (pid > 0) {
		info.signo = SIGCHLD;
		info.code = (ws & 0x7f) ? ((ws & 0x80) ? 3 : 2) : 1;
		info.addr = (uint32_t)pid;
		info.rest[0] = (uint32_t)((ws & 0x7f) ? (ws & 0x7f)
						       : (ws >> 8) & 0xff);
	}
	return copy_to_user(infop, &info, sizeof(info));
}

long sys_waitid(long idtype, long id, long infop, long options, long e,
		long f)
{
	int ws = 0;

	if (!((uint32_t)options & (4 | 2 | 8)) || ((uint32_t)options & ~WAIT_KNOWN))
		return -EINVAL;
	if (idtype == 3) {
		linux_missing("waitid P_PIDFD");
		return -EINVAL;
	}
	if (idtype < 0 || idtype > 2 || (idtype != 0 && id <= 0))
		return -EINVAL;
	if (!(options & WEXITED))
		return -ECHILD; /* only exits are reported (see wait4) */
	long r = process_wait((int)idtype, (int)id,
			      (int)options & (WNOHANG | WNOWAIT), &ws);
	if (r >= 0 && infop && waitid_info(infop, (int)r, ws))
		return -EFAULT;
	return r > 0 ? 0 : r;
}

long sys_sched_get_priority_max(long policy, long b, long c, long d, long e,
				long f)
{
	switch ((int)policy) {
	case 0: case 3: case 5: return 0;  /* OTHER, BATCH, IDLE */
	case 1: case 2: return 99;	    /* FIFO, RR */
	default: return -EINVAL;
	}
}

long sys_sched_get_priority_min(long policy, long b, long c, long d, long e,
				long f)
{
	long max = sys_sched_get_priority_max(policy, 0, 0, 0, 0, 0);

	return max > 0 ? 1 : max;
}

/* ---- niceness: per thread, as on Linux ---- */
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

/*
 * The threads `which`/`who` name, as Linux reads them: PRIO_PROCESS is
 * one thread (0: the caller; a tid, the main thread's being the pid),
 * PRIO_PGRP and PRIO_USER our one process group and user (0: ours).
 * Calls fn on each, inside an RCU read section (threads may exit);
 * 0, -EINVAL or -ESRCH.
 */
static int for_prio_targets(long which, long who,
			    void (*fn)(struct thread *t, void *arg), void *arg)
{
	int id = (int)who, err = 0;

	if ((int)which < PRIO_PROCESS || (int)which > PRIO_USER)
		return -EINVAL;
	rcu_read_lock();
	if ((int)which == PRIO_PROCESS) {
		struct thread *t = id ? process_find_thread(id) : current_thread();

		if (t)
			fn(t, arg);
		else
			err = -ESRCH;
	} else if (id != 0 && id != ((int)which == PRIO_PGRP ? current_process()->pid : 0)) {
		err = -ESRCH;
	} else {
		for (int tid = process_next_thread(0); tid >= 0;
		     tid = process_next_thread(tid + 1)) {
			struct thread *t = process_find_thread(tid);

			if (t)
				fn(t, arg);
		}
	}
	rcu_read_unlock();
	return err;
}

static void lowest_nice(struct thread *t, void *arg)
{
	int *lowest = arg;

	*lowest = MIN(*lowest, thread_nice(t));
}

static void set_nice(struct thread *t, void *arg)
{
	thread_set_nice(t, *(int *)arg);
}

long sys_getpriority(long which, long who, long c, long d, long e, long f)
{
	int lowest = 20;
	int err = for_prio_targets(which, who, lowest_nice, &lowest);

	if (err)
		return err;
	if (lowest == 20)
		return -ESRCH; /* no thread at all */
	return 20 - lowest; /* the kernel's biased form, as Linux */
}

long sys_setpriority(long which, long who, long prio, long d, long e, long f)
{
	int nice = (int)MAX(-20, MIN(19, (int)prio));

	return for_prio_targets(which, who, set_nice, &nice);
}

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65],
		domainname[65];
};

long sys_uname(long buf, long b, long c, long d, long e, long f)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	snprintf(u.sysname, 65, "Linux");
	uts_names(u.nodename, u.domainname);
	/* glibc wants a Linux version it supports; we follow 6.1's ABI. */
	snprintf(u.release, 65, "6.1.0-osprey");
	snprintf(u.version, 65, "#1 SMP Osprey %s", OSPREY_VERSION);
	snprintf(u.machine, 65, "x86_64");
	return copy_to_user(buf, &u, sizeof(u));
}

long sys_arch_prctl(long code, long addr, long c, long d, long e, long f)
{
	struct thread *t = current_thread();

	switch (code) {
	case ARCH_SET_FS:
		if ((uint64_t)addr >= USER_TOP)
			return -EPERM;
		t->fs_base = addr;
		wrmsr(MSR_FS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &t->fs_base, sizeof(t->fs_base));
	case ARCH_GET_GS: {
		uint64_t zero = 0; /* the application never has a GS base */

		return copy_to_user(addr, &zero, sizeof(zero));
	}
	case ARCH_SET_GS:
		/* GS is the kernel's per-CPU pointer in this design. */
		linux_missing("arch_prctl ARCH_SET_GS/ARCH_GET_GS");
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

long sys_set_tid_address(long ptr, long b, long c, long d, long e, long f)
{
	current_thread()->clear_child_tid = ptr;
	return current_thread()->app_tid;
}

long sys_set_robust_list(long head, long len, long c, long d, long e, long f)
{
	if (len != 24) /* sizeof(struct robust_list_head) */
		return -EINVAL;
	current_thread()->robust_list = head;
	return 0;
}

/* The robust list of thread tid (0: the caller), as Linux: ESRCH for
 * no such thread. */
long sys_get_robust_list(long tid, long uhead, long ulen, long d, long e,
			 long f)
{
	uint64_t head, len = 24;

	if (tid < 0 || tid > INT32_MAX)
		return -ESRCH;
	rcu_read_lock();
	struct thread *t = tid ? process_find_thread((int)tid) : current_thread();
	if (t)
		head = t->robust_list;
	rcu_read_unlock();
	if (!t)
		return -ESRCH;
	if (copy_to_user((uint64_t)ulen, &len, sizeof(len)) ||
	    copy_to_user((uint64_t)uhead, &head, sizeof(head)))
		return -EFAULT;
	return 0;
}

/* ---- resource limits ---- */
#define RLIM_INFINITY (~0ull)
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7

#define INF RLIM_INFINITY
const struct rlimit64 rlimit_defaults[RLIMIT_NLIMITS] = {
	{INF, INF},		/* CPU */
	{INF, INF},		/* FSIZE */
	{INF, INF},		/* DATA */
	{8 << 20, INF},		/* STACK */
	{0, INF},		/* CORE */
	{INF, INF},		/* RSS */
	{63432, 63432},		/* NPROC */
	{1024, 4096},		/* NOFILE */
	{8 << 20, 8 << 20},	/* MEMLOCK */
	{INF, INF},		/* AS */
	{INF, INF},		/* LOCKS */
	{31721, 31721},		/* SIGPENDING */
	{819200, 819200},	/* MSGQUEUE */
	{0, 0},			/* NICE */
	{0, 0},			/* RTPRIO */
	{INF, INF},		/* RTTIME */
};
/* Every process's rlimits (struct process: the pointer and the table) */
static struct mutex rlimit_lock = MUTEX_INIT;

static const struct rlimit64 *limits_of(const struct process *p)
{
	const struct rlimit64 *r = __atomic_load_n(&p->rlimits, __ATOMIC_ACQUIRE);

	return r ? r : rlimit_defaults;
}

uint64_t process_rlimit(int resource)
{
	return __atomic_load_n(&limits_of(current_process())[resource].cur,
			       __ATOMIC_RELAXED);
}

struct rlimit64 *process_rlimits_fork(void)
{
	struct rlimit64 *r = malloc(sizeof(rlimit_defaults));

	if (r) {
		mutex_lock(&rlimit_lock);
		memcpy(r, limits_of(current_process()), sizeof(rlimit_defaults));
		mutex_unlock(&rlimit_lock);
	}
	return r;
}

/* Under rlimit_lock: the caller's table, made its own at the first
 * change (the first process starts with the defaults). */
static struct rlimit64 *own_limits(void)
{
	struct process *p = current_process();

	if (!p->rlimits) {
		struct rlimit64 *r = malloc(sizeof(rlimit_defaults));

		if (!r)
			return NULL;
		memcpy(r, rlimit_defaults, sizeof(rlimit_defaults));
		__atomic_store_n(&p->rlimits, r, __ATOMIC_RELEASE);
	}
	return p->rlimits;
}

long sys_prlimit64(long pid, long resource, long new_ptr, long old_ptr,
		   long e, long f)
{
	struct rlimit64 nl, ol;
	int err = 0;

	if ((int)pid != 0 && (int)pid != current_process()->pid)
		return -ESRCH;
	if (resource < 0 || resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (new_ptr && copy_from_user(&nl, new_ptr, sizeof(nl)))
		return -EFAULT;
	if (new_ptr && nl.cur > nl.max)
		return -EINVAL;
	mutex_lock(&rlimit_lock);
	ol = limits_of(current_process())[resource];
	struct rlimit64 *mine = new_ptr ? own_limits() : NULL;
	if (new_ptr && !mine)
		err = -ENOMEM;
	if (!err && new_ptr && resource == RLIMIT_NOFILE)
		err = fd_set_limit(nl.cur);
	if (new_ptr && !err)
		mine[resource] = nl;
	mutex_unlock(&rlimit_lock);
	if (err)
		return err;
	if (old_ptr)
		err = copy_to_user(old_ptr, &ol, sizeof(ol));
	return err;
}

long sys_getrlimit(long resource, long ptr, long c, long d, long e, long f)
{
	return sys_prlimit64(0, resource, 0, ptr, 0, 0);
}

/* ---- leaving ---- */
void linux_exit_group(int status)
{
	linux_missing_report();
	net_flush(EXIT_FLUSH_NS);
	virtio_console_flush(STDIO_FLUSH_IDLE_NS);
	kernel_exit(status & 0xff);
}

long sys_exit_group(long status, long b, long c, long d, long e, long f)
{
	process_exit_group(((int)status & 0xff) << 8);
}

long sys_exit(long status, long b, long c, long d, long e, long f)
{
	process_thread_exit((int)status);
}

/* ---- scheduling ---- */
long sys_sched_yield(long a, long b, long c, long d, long e, long f)
{
	thread_yield();
	return 0;
}

/* The thread `pid` names for the affinity calls: 0 is the caller. */
static struct thread *affinity_target(long pid)
{
	if ((int)pid < 0)
		return NULL;
	return pid ? process_find_thread((int)pid) : current_thread();
}

/* Linux's mask is as long as its CPU ids need; ours is 64 bits. */
long sys_sched_getaffinity(long pid, long len, long umask, long d, long e,
			   long f)
{
	struct thread *t = affinity_target(pid);

	if (!t)
		return -ESRCH;
	if (len < 8 || (len & 7))
		return -EINVAL;
	uint64_t mask = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED) &
			sched_online_mask();
	if (copy_to_user(umask, &mask, sizeof(mask)))
		return -EFAULT;
	return sizeof(mask);
}

long sys_sched_setaffinity(long pid, long len, long umask, long d, long e,
			   long f)
{
	struct thread *t = affinity_target(pid);
	uint64_t mask = 0;

	if (!t)
		return -ESRCH;
	/* A shorter mask leaves the rest clear; a longer one is cut. */
	if (len >= 8 && copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	if (len > 0 && len < 8 && copy_from_user(&mask, umask, (size_t)len))
		return -EFAULT;
	return thread_set_affinity(t, mask);
}

long sys_getcpu(long ucpu, long unode, long c, long d, long e, long f)
{
	unsigned cpu = cpu_id(), node = 0;

	if (ucpu && copy_to_user(ucpu, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (unode && copy_to_user(unode, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

long sys_getpgid(long pid, long b, long c, long d, long e, long f)
{
	return (int)pid < 0 ? -ESRCH : process_getpgid((int)pid);
}

long sys_getpgrp(long a, long b, long c, long d, long e, long f)
{
	return process_getpgid(0);
}

long sys_setpgid(long pid, long pgid, long c, long d, long e, long f)
{
	return (int)pid < 0 ? -EINVAL : process_setpgid((int)pid, (int)pgid);
}

/* The terminal's signals (fs/pty.c): to the process, the foreground
 * group of its one session, from the kernel (Linux's SEND_SIG_PRIV). */
void linux_tty_signal(int sig)
{
	struct ksiginfo info = {.signo = sig, .code = SI_KERNEL};

	signal_send_process(sig, &info);
}

int linux_tty_pgrp(void)
{
	return current_process()->pid;
}

long sys_getsid(long pid, long b, long c, long d, long e, long f)
{
	return (int)pid < 0 ? -ESRCH : process_getsid((int)pid);
}

long sys_setsid(long a, long b, long c, long d, long e, long f)
{
	return process_setsid();
}

long sys_personality(long persona, long b, long c, long d, long e, long f)
{
	/* PER_LINUX is all there is; 0xffffffff queries. */
	return persona == 0 || persona == 0xffffffff ? 0 : -EINVAL;
}

/* ---- accounting ---- */
struct rusage_user {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t rest[14];
};

long sys_getrusage(long who, long uru, long c, long d, long e, long f)
{
	struct rusage_user ru = {0};
	uint64_t ns;

	int w = (int)who;
	struct mm_stats m;

	if (w != 0 && w != -1 && w != 1) /* SELF, CHILDREN, THREAD */
		return -EINVAL;
	if (w == -1) {
		return copy_to_user(uru, &ru, sizeof(ru)); /* no children */
	}
	mm_get_stats(&m);
	ru.rest[0] = (int64_t)((m.total_pages - m.free_pages) * 4); /* maxrss, KiB */
	if (w == 1)
		ns = tsc_to_ns(current_thread()->runtime_tsc);
	else
		ns = process_cpu_ns();
	ru.utime_sec = (int64_t)(ns / 1000000000);
	ru.utime_usec = (int64_t)(ns % 1000000000 / 1000);
	return copy_to_user(uru, &ru, sizeof(ru));
}

long sys_times(long ubuf, long b, long c, long d, long e, long f)
{
	uint64_t busy = process_cpu_ns();
	int64_t t[4] = {(int64_t)(busy / 10000000), 0, 0, 0}; /* 100 Hz */

	if (ubuf && copy_to_user(ubuf, t, sizeof(t)))
		return -EFAULT;
	return (long)(clock_monotonic_ns() / 10000000);
}

struct sysinfo_user {
	int64_t uptime;
	uint64_t loads[3], totalram, freeram, sharedram, bufferram;
	uint64_t totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

long sys_sysinfo(long uinfo, long b, long c, long d, long e, long f)
{
	struct mm_stats m;
	struct sysinfo_user s = {0};

	mm_get_stats(&m);
	s.uptime = (int64_t)(clock_monotonic_ns() / 1000000000);
	s.totalram = m.total_pages * PAGE_SIZE;
	s.freeram = m.free_pages * PAGE_SIZE;
	s.procs = (uint16_t)current_process()->live_threads;
	s.mem_unit = 1;
	return copy_to_user(uinfo, &s, sizeof(s));
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42

long sys_prctl(long option, long arg2, long c, long d, long e, long f)
{
	struct thread *t = current_thread();
	char name[16];

	switch (option) {
	case PR_SET_NAME: {
		long n = strncpy_from_user(name, arg2, sizeof(name));

		if (n == -ENAMETOOLONG) { /* Linux cuts it to 15 bytes */
			if (copy_from_user(name, arg2, 15))
				return -EFAULT;
			name[15] = '\0';
		} else if (n < 0) {
			return n;
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		return 0;
	}
	case PR_GET_NAME:
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", t->name);
		return copy_to_user(arg2, name, sizeof(name));
	case PR_SET_PDEATHSIG:
		if (arg2 < 0 || arg2 > 64)
			return -EINVAL;
		__atomic_store_n(&current_process()->pdeath_signal, (int)arg2,
				 __ATOMIC_RELAXED);
		return 0;
	case PR_GET_PDEATHSIG: {
		int sig = __atomic_load_n(&current_process()->pdeath_signal,
					  __ATOMIC_RELAXED);

		return copy_to_user(arg2, &sig, sizeof(sig));
	}
	case PR_SET_DUMPABLE:
		return 0; /* no core dumps */
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_THP_DISABLE: /* Linux: the other arguments must be 0 */
		if (c || d || e)
			return -EINVAL;
		__atomic_store_n(&as_thp_disabled, arg2 != 0, __ATOMIC_RELAXED);
		return 0;
	case PR_GET_THP_DISABLE:
		if (arg2 || c || d || e)
			return -EINVAL;
		return __atomic_load_n(&as_thp_disabled, __ATOMIC_RELAXED);
	default: {
		char what[32];

		snprintf(what, sizeof(what), "prctl option %ld", option);
		linux_missing(what);
		return -EINVAL;
	}
	}
}

long sys_setrlimit(long resource, long ptr, long c, long d, long e, long f)
{
	return sys_prlimit64(0, resource, ptr, 0, 0, 0);
}
