/*
 * The process and what it can ask about itself: ids and groups, uname,
 * resource limits (getrlimit/setrlimit/prlimit64), getrusage, sysinfo,
 * prctl names, getrandom, waiting with no children, CPU affinity and
 * getcpu, scheduling policy, arch_prctl's FS base (the TLS pointer),
 * set_tid_address, personality and the auxiliary vector and argv the
 * program was started with. Never forks: Osprey runs one process.
 */
#define _GNU_SOURCE
#include "common.h"

#include <asm/prctl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static int saved_argc;
static char **saved_argv;

static void ids_are_consistent(void)
{
	gid_t groups[256];
	uid_t r, e, s;
	gid_t rg, eg, sg;
	volatile int bad;
	int n;

	CHECK(getpid() > 0);
	CHECK(getppid() >= 0);
	CHECK_EQ_INT(gettid(), getpid());
	CHECK_EQ_INT(syscall(SYS_getpid), getpid()); /* no stale cache */
	CHECK_EQ_INT(getuid(), geteuid());
	CHECK_EQ_INT(getgid(), getegid());
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK(r == getuid() && e == geteuid() && s == geteuid());
	CHECK_EQ_INT(getresgid(&rg, &eg, &sg), 0);
	CHECK(rg == getgid() && eg == getegid() && sg == getegid());
	n = getgroups(0, NULL);
	CHECK(n >= 0 && n <= 256);
	CHECK_EQ_INT(getgroups(256, groups), n);
	if (n >= 2) /* a list too small (but not 0, which asks the size) */
		CHECK_ERRNO(getgroups(n - 1, groups), EINVAL);
	bad = -1; /* volatile: gcc rejects a constant -1 */
	CHECK_ERRNO(getgroups(bad, groups), EINVAL);
	CHECK_EQ_INT(getpgid(0), getpgrp());
	/* 0 when the group or session leader lives outside our PID namespace
	 * (a container's exec'd process), so only the sign is certain. */
	CHECK(getpgrp() >= 0);
	CHECK(getsid(0) >= 0);
	CHECK_EQ_INT(getsid(getpid()), getsid(0));
	CHECK_ERRNO(getpgid(0x3ffffff0), ESRCH);
}

static void uname_says_linux_x86_64(void)
{
	struct utsname u;

	CHECK_EQ_INT(uname(&u), 0);
	CHECK_EQ_STR(u.sysname, "Linux");
	CHECK_EQ_STR(u.machine, "x86_64");
	CHECK(u.release[0] >= '2' && u.release[0] <= '9');
	CHECK(strchr(u.release, '.') != NULL);
	CHECK(u.version[0] != '\0');
	CHECK(u.nodename[0] != '\0');
	CHECK_ERRNO(syscall(SYS_uname, (void *)1), EFAULT);
}

static void rlimits_round_trip(void)
{
	struct rlimit old, set, got, p_old;
	rlim_t lower;

	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK(old.rlim_cur > 3 && old.rlim_cur <= old.rlim_max);
	lower = old.rlim_cur > 256 ? 256 : old.rlim_cur - 1;
	set.rlim_cur = lower;
	set.rlim_max = old.rlim_max;
	CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &set), 0);
	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &got), 0);
	CHECK_EQ_INT(got.rlim_cur, lower);
	CHECK_EQ_INT(got.rlim_max, old.rlim_max);
	/* prlimit64 sets and returns the previous value in one call. */
	set.rlim_cur = lower - 1;
	CHECK_EQ_INT(prlimit(0, RLIMIT_NOFILE, &set, &p_old), 0);
	CHECK_EQ_INT(p_old.rlim_cur, lower);
	CHECK_EQ_INT(prlimit(getpid(), RLIMIT_NOFILE, NULL, &got), 0);
	CHECK_EQ_INT(got.rlim_cur, lower - 1);
	CHECK_EQ_INT(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, NULL), 0);
	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &got), 0);
	CHECK_EQ_INT(got.rlim_cur, old.rlim_cur);

	/* soft above hard is EINVAL; so is an unknown resource. */
	set.rlim_cur = 10;
	set.rlim_max = 5;
	CHECK_ERRNO(setrlimit(RLIMIT_CORE, &set), EINVAL);
	CHECK_ERRNO(getrlimit(1000, &got), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
	CHECK_ERRNO(prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &got), ESRCH);

	CHECK_EQ_INT(getrlimit(RLIMIT_STACK, &got), 0);
	CHECK(got.rlim_cur >= 64 * 1024);
	CHECK_EQ_INT(getrlimit(RLIMIT_AS, &got), 0);
	CHECK_EQ_INT(getrlimit(RLIMIT_CORE, &old), 0);
	/* Lowering a soft limit and raising it back to the hard one works. */
	set = old;
	set.rlim_cur = 0;
	CHECK_EQ_INT(setrlimit(RLIMIT_CORE, &set), 0);
	CHECK_EQ_INT(setrlimit(RLIMIT_CORE, &old), 0);
}

static void getrusage_reports_usage(void)
{
	struct rusage ru;
	volatile unsigned long spin = 0;
	unsigned long i;

	for (i = 0; i < 1000000; i++)
		spin += i;
	CHECK_EQ_INT(getrusage(RUSAGE_SELF, &ru), 0);
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	CHECK(ru.ru_maxrss > 0); /* in kilobytes */
	CHECK_EQ_INT(getrusage(RUSAGE_THREAD, &ru), 0);
	CHECK_EQ_INT(getrusage(RUSAGE_CHILDREN, &ru), 0);
	CHECK_EQ_INT(ru.ru_utime.tv_sec + ru.ru_utime.tv_usec, 0);
	CHECK_ERRNO(getrusage(12345, &ru), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, (void *)1), EFAULT);
}

static void sysinfo_has_memory(void)
{
	struct sysinfo si;

	CHECK_EQ_INT(sysinfo(&si), 0);
	CHECK(si.totalram > 0);
	CHECK(si.mem_unit >= 1);
	CHECK(si.freeram <= si.totalram);
	CHECK(si.uptime >= 0);
	CHECK(si.procs >= 1);
	CHECK(get_nprocs() >= 1);
	CHECK(sysconf(_SC_PHYS_PAGES) > 0);
	CHECK_ERRNO(syscall(SYS_sysinfo, (void *)1), EFAULT);
}

static void prctl_name_round_trip(void)
{
	char name[32];

	CHECK_EQ_INT(prctl(PR_SET_NAME, "abi-process", 0, 0, 0), 0);
	memset(name, 'x', sizeof(name));
	CHECK_EQ_INT(prctl(PR_GET_NAME, name, 0, 0, 0), 0);
	CHECK_EQ_STR(name, "abi-process");
	/* Names keep 15 bytes and a NUL. */
	CHECK_EQ_INT(prctl(PR_SET_NAME, "0123456789abcdefghij", 0, 0, 0), 0);
	CHECK_EQ_INT(prctl(PR_GET_NAME, name, 0, 0, 0), 0);
	CHECK_EQ_STR(name, "0123456789abcde");
	CHECK_EQ_INT(pthread_setname_np(pthread_self(), "abi-again"), 0);
	CHECK_EQ_INT(pthread_getname_np(pthread_self(), name, sizeof(name)), 0);
	CHECK_EQ_STR(name, "abi-again");
	CHECK_ERRNO(prctl(0x7fffffff, 0, 0, 0, 0), EINVAL);
	CHECK_EQ_INT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) >= 0, 1);
}

static void getrandom_gives_fresh_bytes(void)
{
	unsigned char a[32], b[32], zero[32] = {0};

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ_INT(getrandom(a, sizeof(a), 0), 32);
	CHECK_EQ_INT(getrandom(b, sizeof(b), GRND_NONBLOCK), 32);
	CHECK(memcmp(a, zero, 32) != 0);
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_EQ_INT(getrandom(a, 0, 0), 0);
	CHECK_ERRNO(getrandom(a, sizeof(a), 0x100), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrandom, (void *)1, 16, 0), EFAULT);
}

static void waiting_without_children_is_echild(void)
{
	siginfo_t si;
	int status;

	CHECK_ERRNO(wait4(-1, &status, 0, NULL), ECHILD);
	CHECK_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
	CHECK_ERRNO(wait(&status), ECHILD);
	CHECK_ERRNO(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	CHECK_ERRNO(wait4(-1, &status, 0x1000, NULL), EINVAL);
}

static void cpus_and_scheduling(void)
{
	struct sched_param sp = {.sched_priority = 99};
	unsigned cpu = 1000, node = 1000;
	cpu_set_t set;

	CHECK_EQ_INT(sched_getaffinity(0, sizeof(set), &set), 0);
	CHECK(CPU_COUNT(&set) >= 1);
	CHECK_EQ_INT(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
	CHECK(cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set));
	CHECK(node < 1000);
	CHECK(sched_getcpu() >= 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_OTHER);
	CHECK_EQ_INT(sched_getscheduler(getpid()), SCHED_OTHER);
	CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
	CHECK_ERRNO(sched_getscheduler(0x3fffff00), ESRCH);
	CHECK_ERRNO(sched_getparam(-1, &sp), EINVAL);
	CHECK_ERRNO(sched_getparam(0x3fffff00, &sp), ESRCH);
	CHECK_EQ_INT(sched_getparam(0, &sp), 0);
	CHECK_EQ_INT(sp.sched_priority, 0);
	CHECK_EQ_INT(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ_INT(sched_get_priority_max(SCHED_FIFO), 99);
	errno = 0;
	CHECK(getpriority(PRIO_PROCESS, 0) >= -20 && errno == 0);
}

static void arch_prctl_fs_is_the_tls_base(void)
{
	unsigned long fs = 0, self = 0, gs = 1;

	CHECK_EQ_INT(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	CHECK(fs != 0);
	/* glibc's thread pointer: the TCB starts with a pointer to itself. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	CHECK(self == fs);
	CHECK(fs == (unsigned long)pthread_self());
	CHECK_EQ_INT(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	CHECK_ERRNO(syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
	CHECK_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1), EFAULT);
}

/*
 * Last, and in the main thread only: it moves where the kernel clears the
 * tid at exit, which only a joiner of this thread would notice.
 */
static void set_tid_address_returns_tid(void)
{
	static int tid_word;

	CHECK_EQ_INT(syscall(SYS_set_tid_address, &tid_word), gettid());
}

static void personality_is_linux(void)
{
	CHECK_EQ_INT(personality(0xffffffff) & PER_MASK, PER_LINUX);
}

/* Linux x86-64 leaves 335-423 unassigned, and knows nothing past its
 * table: both are ENOSYS (Osprey: a hole in its table, or past it). */
static void unknown_numbers_are_enosys(void)
{
	CHECK_ERRNO(syscall(400), ENOSYS);
	CHECK_ERRNO(syscall(100000), ENOSYS);
}

static void auxv_and_argv(void)
{
	const unsigned char *rnd = (const void *)getauxval(AT_RANDOM);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	static const unsigned char zero[16];

	CHECK_EQ_INT(getauxval(AT_PAGESZ), 4096);
	CHECK(rnd != NULL && memcmp(rnd, zero, 16) != 0);
	CHECK(getauxval(AT_PHDR) != 0);
	CHECK_EQ_INT(getauxval(AT_PHENT), 56); /* sizeof(Elf64_Phdr) */
	CHECK(getauxval(AT_PHNUM) > 0);
	CHECK(getauxval(AT_ENTRY) != 0);
	CHECK_EQ_INT(getauxval(AT_UID), getuid());
	CHECK_EQ_INT(getauxval(AT_EUID), geteuid());
	CHECK_EQ_INT(getauxval(AT_GID), getgid());
	CHECK_EQ_INT(getauxval(AT_EGID), getegid());
	CHECK_EQ_INT(getauxval(AT_SECURE), 0);
	CHECK_EQ_INT(getauxval(AT_CLKTCK), 100);
	CHECK(getauxval(AT_HWCAP) != 0);
	CHECK(execfn != NULL && execfn[0] != '\0');
	CHECK(platform != NULL && !strcmp(platform, "x86_64"));
	CHECK(getauxval(AT_SYSINFO_EHDR) != 0);
	CHECK(saved_argc >= 1);
	CHECK(saved_argv[0] != NULL && saved_argv[saved_argc] == NULL);
	CHECK(environ != NULL);
}

int main(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
	abi_init("process");
	ABI_RUN(ids_are_consistent);
	ABI_RUN(uname_says_linux_x86_64);
	ABI_RUN(unknown_numbers_are_enosys);
	ABI_RUN(rlimits_round_trip);
	ABI_RUN(getrusage_reports_usage);
	ABI_RUN(sysinfo_has_memory);
	ABI_RUN(prctl_name_round_trip);
	ABI_RUN(getrandom_gives_fresh_bytes);
	ABI_RUN(waiting_without_children_is_echild);
	ABI_RUN(cpus_and_scheduling);
	ABI_RUN(arch_prctl_fs_is_the_tls_base);
	ABI_RUN(personality_is_linux);
	ABI_RUN(auxv_and_argv);
	ABI_RUN(set_tid_address_returns_tid);
	return abi_done();
}
