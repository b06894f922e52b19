/*
 * Process and identity system calls. There is one process, run as root;
 * its pid is the main thread's id and its parent is "init" (1). fork and
 * friends are absent by design; wait4 has no children to wait for.
 */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/process.h"
#include "linux/sys.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define MSR_FS_BASE 0xc0000100

long sys_getpid(long a, long b, long c, long d, long e, long f)
{
	return process.pid;
}

long sys_getppid(long a, long b, long c, long d, long e, long f)
{
	return 1;
}

long sys_gettid(long a, long b, long c, long d, long e, long f)
{
	return current_thread()->app_tid;
}

long sys_getuid(long a, long b, long c, long d, long e, long f)
{
	return 0;
}

long sys_geteuid(long a, long b, long c, long d, long e, long f)
{
	return 0;
}

long sys_getgid(long a, long b, long c, long d, long e, long f)
{
	return 0;
}

long sys_getegid(long a, long b, long c, long d, long e, long f)
{
	return 0;
}

long sys_wait4(long pid, long status, long options, long rusage, long e,
	       long f)
{
	return -ECHILD;
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
	snprintf(u.nodename, 65, "osprey");
	/* glibc wants a Linux version it supports; we follow 6.1's ABI. */
	snprintf(u.release, 65, "6.1.0-osprey");
	snprintf(u.version, 65, "#1 SMP Osprey %s", OSPREY_VERSION);
	snprintf(u.machine, 65, "x86_64");
	snprintf(u.domainname, 65, "(none)");
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
	case ARCH_SET_GS:
	case ARCH_GET_GS:
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

/* ---- resource limits ---- */
struct rlimit64 {
	uint64_t cur, max;
};
#define RLIM_INFINITY (~0ull)
#define RLIMIT_NLIMITS 16
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7

/* Under rlimit_lock. */
#define INF RLIM_INFINITY
static struct rlimit64 rlimits[RLIMIT_NLIMITS] = {
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
static struct mutex rlimit_lock = MUTEX_INIT;

uint64_t process_rlimit(int resource)
{
	return rlimits[resource].cur;
}

long sys_prlimit64(long pid, long resource, long new_ptr, long old_ptr,
		   long e, long f)
{
	struct rlimit64 nl, ol;
	int err = 0;

	if (pid != 0 && pid != process.pid)
		return -ESRCH;
	if (resource < 0 || resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (new_ptr && copy_from_user(&nl, new_ptr, sizeof(nl)))
		return -EFAULT;
	if (new_ptr && nl.cur > nl.max)
		return -EINVAL;
	mutex_lock(&rlimit_lock);
	ol = rlimits[resource];
	if (new_ptr)
		rlimits[resource] = nl;
	mutex_unlock(&rlimit_lock);
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
	kernel_exit(status & 0xff);
}

long sys_exit_group(long status, long b, long c, long d, long e, long f)
{
	linux_exit_group((int)status);
}

long sys_exit(long status, long b, long c, long d, long e, long f)
{
	process_thread_exit((int)status);
}
