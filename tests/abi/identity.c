/*
 * Scheduling and identity: sched_setscheduler/setparam/getparam/
 * rr_get_interval/setattr/getattr (policies, priorities, nice, the
 * reset-on-fork flag, E2BIG), ioprio_set/get, syslog's reading actions,
 * capget/capset (root with every capability /proc/self/status shows),
 * the set*id calls consistent with the get* ones (and with the
 * capability changes of leaving and regaining uid 0), setgroups, and
 * sethostname/setdomainname as uname sees them (in a new UTS namespace
 * on the host, so the host keeps its names), with the error paths.
 */
#include "common.h"

#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#define SCHED_FLAG_RESET_ON_FORK 0x01
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_VALUE(class, level) (((class) << 13) | (level))
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_UNREAD 9
#define SYSLOG_ACTION_SIZE_BUFFER 10
#define CAP_V1 0x19980330
#define CAP_V3 0x20080522
#define CAP_SYS_PACCT 20
#define CAP_SYS_BOOT 22
#define NO_PID 0x3ffffff0

struct sched_attr_u {
	unsigned size, policy;
	unsigned long long flags;
	int nice;
	unsigned priority;
	unsigned long long runtime, deadline, period;
	unsigned util_min, util_max;
};

struct cap_hdr {
	unsigned version;
	int pid;
};

struct cap_data {
	unsigned eff, prm, inh;
};

static void policies_and_priorities(void)
{
	struct sched_param p = {.sched_priority = 1};
	struct timespec ts;

	CHECK_EQ_INT(sched_getscheduler(0), SCHED_OTHER);
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_RR, &p), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_RR);
	CHECK_EQ_INT(sched_rr_get_interval(0, &ts), 0);
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 100000000); /* RR: 100 ms */
	p.sched_priority = 5;
	CHECK_EQ_INT(sched_setparam(0, &p), 0);
	p.sched_priority = 0;
	CHECK_EQ_INT(sched_getparam(0, &p), 0);
	CHECK_EQ_INT(p.sched_priority, 5);
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_FIFO, &p), 0);
	CHECK_EQ_INT(sched_rr_get_interval(0, &ts), 0);
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0); /* FIFO: no slice */
	p.sched_priority = 0;
	CHECK_EQ_INT(
	    sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &p), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_OTHER | SCHED_RESET_ON_FORK);
	/* setscheduler sets the flag as its policy says; setparam keeps it. */
	CHECK_EQ_INT(sched_setparam(0, &p), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_OTHER | SCHED_RESET_ON_FORK);
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_BATCH, &p), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_BATCH);
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_IDLE, &p), 0);
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_OTHER, &p), 0);
	CHECK_EQ_INT(sched_rr_get_interval(0, &ts), 0);
	/* The errors. */
	p.sched_priority = 0;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &p), EINVAL);
	p.sched_priority = 1;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_OTHER, &p), EINVAL);
	p.sched_priority = 100;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &p), EINVAL);
	CHECK_ERRNO(sched_setscheduler(0, 77, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, 8), EFAULT);
	CHECK_ERRNO(sched_setscheduler(-1, SCHED_OTHER, &p), EINVAL);
	p.sched_priority = 0;
	CHECK_ERRNO(sched_setscheduler(NO_PID, SCHED_OTHER, &p), ESRCH);
	CHECK_ERRNO(sched_getscheduler(NO_PID), ESRCH);
	CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_rr_get_interval, 0, 8), EFAULT);
}

static void attributes_and_nice(void)
{
	struct sched_attr_u a = {.size = sizeof(a), .nice = 5};
	char big[200];

	CHECK_EQ_INT(syscall(SYS_sched_setattr, 0, &a, 0), 0);
	CHECK_EQ_INT(getpriority(PRIO_PROCESS, 0), 5); /* nice honoured */
	memset(&a, 0xff, sizeof(a));
	CHECK_EQ_INT(syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0), 0);
	CHECK_EQ_INT(a.size, sizeof(a));
	CHECK_EQ_INT(a.policy, SCHED_OTHER);
	CHECK_EQ_INT(a.nice, 5);
	CHECK_EQ_INT(a.priority, 0);
	/* RR by attributes, with reset-on-fork. */
	a = (struct sched_attr_u){.size = sizeof(a),
				  .policy = SCHED_RR,
				  .priority = 3,
				  .flags = SCHED_FLAG_RESET_ON_FORK};
	CHECK_EQ_INT(syscall(SYS_sched_setattr, 0, &a, 0), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK);
	memset(&a, 0, sizeof(a));
	CHECK_EQ_INT(syscall(SYS_sched_getattr, 0, &a, 48, 0), 0);
	CHECK_EQ_INT(a.size, 48); /* what the caller's size holds */
	CHECK_EQ_INT(a.priority, 3);
	CHECK_EQ_INT(a.flags, SCHED_FLAG_RESET_ON_FORK);
	/* Keeping policy and parameters keeps the reset flag too. */
	a = (struct sched_attr_u){.size = sizeof(a), .flags = 0x18};
	CHECK_EQ_INT(syscall(SYS_sched_setattr, 0, &a, 0), 0);
	CHECK_EQ_INT(sched_getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK);
	struct sched_param p;
	CHECK_EQ_INT(sched_getparam(0, &p), 0);
	CHECK_EQ_INT(p.sched_priority, 3);
	a = (struct sched_attr_u){.size = sizeof(a), .policy = SCHED_OTHER};
	CHECK_EQ_INT(syscall(SYS_sched_setattr, 0, &a, 0), 0);
	CHECK_EQ_INT(getpriority(PRIO_PROCESS, 0), 0);
	/* A bigger struct with non-zero tail bytes: E2BIG, our size back. */
	memset(big, 0, sizeof(big));
	memcpy(big, &a, sizeof(a));
	((struct sched_attr_u *)big)->size = sizeof(big);
	big[150] = 1;
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, big, 0), E2BIG);
	CHECK_EQ_INT(((struct sched_attr_u *)big)->size, sizeof(a));
	a.size = sizeof(a);
	a.flags = 0x1000;
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, &a, 0), EINVAL);
	a.flags = 0;
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, &a, 1), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setattr, NO_PID, &a, 0), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getattr, 0, &a, 10, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getattr, 0, &a, sizeof(a), 1), EINVAL);
}

static void *child_view(void *arg)
{
	int *v = arg;

	v[0] = sched_getscheduler(0);
	v[1] = getpriority(PRIO_PROCESS, 0);
	return NULL;
}

static void threads_inherit_the_policy(void)
{
	struct sched_param p = {.sched_priority = 2};
	int v[2] = {-1, -1};
	pthread_t th;

	CHECK_EQ_INT(setpriority(PRIO_PROCESS, 0, 3), 0);
	CHECK_EQ_INT(
	    sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){0}), 0);
	pthread_create(&th, NULL, child_view, v);
	pthread_join(th, NULL);
	CHECK_EQ_INT(v[0], SCHED_BATCH);
	CHECK_EQ_INT(v[1], 3);
	/* Reset on fork: a real-time policy becomes SCHED_OTHER. */
	CHECK_EQ_INT(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p),
		     0);
	pthread_create(&th, NULL, child_view, v);
	pthread_join(th, NULL);
	CHECK_EQ_INT(v[0], SCHED_OTHER);
	CHECK_EQ_INT(
	    sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){0}), 0);
	CHECK_EQ_INT(setpriority(PRIO_PROCESS, 0, 0), 0);
}

static void io_priorities(void)
{
	long be4 = IOPRIO_VALUE(2, 4), idle = IOPRIO_VALUE(3, 0);

	CHECK_EQ_INT(syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), 0);
	CHECK_EQ_INT(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, be4), 0);
	CHECK_EQ_INT(syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), be4);
	CHECK_EQ_INT(syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, getpid()),
		     be4);
	CHECK_EQ_INT(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, idle), 0);
	CHECK_EQ_INT(syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0), idle);
	CHECK_ERRNO(
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(5, 0)),
	    EINVAL);
	CHECK_ERRNO(
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(0, 1)),
	    EINVAL);
	CHECK_ERRNO(syscall(SYS_ioprio_set, 0, 0, be4), EINVAL);
	CHECK_ERRNO(syscall(SYS_ioprio_get, 9, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, NO_PID), ESRCH);
	CHECK_EQ_INT(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, 0), 0);
}

static void the_kernel_log(void)
{
	static char buf[4096];
	long n;

	CHECK(syscall(SYS_syslog, SYSLOG_ACTION_SIZE_BUFFER, NULL, 0) > 0);
	CHECK(syscall(SYS_syslog, SYSLOG_ACTION_SIZE_UNREAD, NULL, 0) >= 0);
	n = syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, sizeof(buf));
	CHECK(n > 0 && n <= (long)sizeof(buf));
	CHECK(buf[0] == '<' && buf[2] == '>'); /* "<level>" opens a line */
	CHECK_EQ_INT(syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, 0), 0);
	CHECK_ERRNO(syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, NULL, 10),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, -1),
		    EINVAL);
	/* Whole lines only: none fits in 2 bytes. */
	CHECK_EQ_INT(syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, 2), 0);
	CHECK_ERRNO(syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, 8, 4096),
		    EFAULT);
	CHECK_ERRNO(syscall(SYS_syslog, SYSLOG_ACTION_CONSOLE_LEVEL, NULL, 0),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_syslog, SYSLOG_ACTION_CONSOLE_LEVEL, NULL, 9),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_syslog, 99, NULL, 0), EINVAL);
}

static unsigned long long cap_status(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = 0;
	size_t n = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n))
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* The rest of the line of /proc/self/status that starts with field. */
static const char *status_line(const char *field)
{
	static char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(field);
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, field, n);
	if (f)
		fclose(f);
	return found ? line + n : "";
}

static unsigned long long join(const struct cap_data *d, size_t field)
{
	const unsigned *lo = (const void *)((const char *)&d[0] + field);
	const unsigned *hi = (const void *)((const char *)&d[1] + field);

	return *lo | (unsigned long long)*hi << 32;
}

static long capset_(unsigned long long eff, unsigned long long prm)
{
	struct cap_hdr h = {CAP_V3, 0};
	struct cap_data d[2] = {
	    {(unsigned)eff, (unsigned)prm, 0},
	    {(unsigned)(eff >> 32), (unsigned)(prm >> 32), 0}};

	return syscall(SYS_capset, &h, d);
}

static unsigned long long prm0; /* the permitted set at the start */

static void capabilities(void)
{
	struct cap_hdr h = {CAP_V3, 0};
	struct cap_data d[2];
	unsigned long long eff, bit = 1ull << CAP_SYS_PACCT;

	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	eff = join(d, 0);
	prm0 = join(d, 4);
	CHECK_EQ_INT(eff, cap_status("CapEff:"));
	CHECK_EQ_INT(prm0, cap_status("CapPrm:"));
	CHECK(eff & (1ull << 7)); /* CAP_SETUID */
	/* Version 1: one set of 32 bits. */
	memset(d, 0xee, sizeof(d));
	h.version = CAP_V1;
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(d[0].eff, (unsigned)eff);
	CHECK_EQ_INT(d[1].eff, 0xeeeeeeee);
	/* An unknown version: EINVAL, and the preferred one written back;
	 * with no data it is a query (0). */
	h.version = 1;
	CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ_INT(h.version, CAP_V3);
	h.version = 1;
	CHECK_EQ_INT(syscall(SYS_capget, &h, NULL), 0);
	CHECK_EQ_INT(h.version, CAP_V3);
	h.pid = -1;
	CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
	h.pid = NO_PID;
	CHECK_ERRNO(syscall(SYS_capget, &h, d), ESRCH);
	/* reboot: the magic numbers first (only invalid commands here: the
	 * host must not reboot), and without CAP_SYS_BOOT nothing at all. */
	CHECK_ERRNO(syscall(SYS_reboot, 0x1234, 0, 0x12345678, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_reboot, 0xfee1dead, 1, 0x12345678, NULL),
		    EINVAL);
	CHECK_ERRNO(
	    syscall(SYS_reboot, 0xfee1dead, 672274793, 0x12345678, NULL),
	    EINVAL);
	bit |= 1ull << CAP_SYS_BOOT;
	/* Dropping them for good; they cannot come back. */
	CHECK_EQ_INT(capset_(eff & ~bit, prm0 & ~bit), 0);
	CHECK_ERRNO(syscall(SYS_reboot, 0x1234, 0, 0x12345678, NULL), EPERM);
	h = (struct cap_hdr){CAP_V3, 0};
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(join(d, 4), prm0 & ~bit);
	CHECK_ERRNO(capset_(eff, prm0), EPERM);
	CHECK_ERRNO(capset_(eff, prm0 & ~bit), EPERM); /* eff not in prm */
	prm0 &= ~bit;
	h = (struct cap_hdr){CAP_V3, 1};
	CHECK_ERRNO(syscall(SYS_capset, &h, d), EPERM); /* another process */
}

static void ids_as_linux_changes_them(void)
{
	uid_t r, e, s;
	gid_t g[4];
	struct cap_hdr h = {CAP_V3, 0};
	struct cap_data d[2];
	struct sched_param p = {.sched_priority = 1};

	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK(r == 0 && e == 0 && s == 0);
	CHECK_EQ_INT(setgroups(2, (gid_t[]){50, 30}), 0);
	CHECK_EQ_INT(getgroups(0, NULL), 2);
	CHECK_EQ_INT(getgroups(4, g), 2);
	CHECK(g[0] == 30 && g[1] == 50); /* sorted, as Linux keeps them */
	CHECK_ERRNO(getgroups(1, g), EINVAL);
	CHECK_EQ_INT(setgroups(0, NULL), 0);
	CHECK_EQ_INT(getgroups(0, NULL), 0);
	CHECK_EQ_INT(setresgid(10, 20, 30), 0);
	CHECK_EQ_INT(getresgid(&r, &e, &s), 0);
	CHECK(r == 10 && e == 20 && s == 30);
	CHECK_EQ_INT(getgid(), 10);
	CHECK_EQ_INT(getegid(), 20);
	CHECK_EQ_STR(status_line("Gid:"), "\t10\t20\t30\t20\n");
	CHECK_EQ_INT(setfsgid(-1), 20); /* follows the effective id */
	CHECK_EQ_INT(setresgid(0, 0, 0), 0);
	/* The effective uid leaves 0: no effective capabilities. */
	CHECK_EQ_INT(setresuid(-1, 1000, -1), 0);
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK(r == 0 && e == 1000 && s == 0);
	CHECK_EQ_INT(geteuid(), 1000);
	CHECK_EQ_INT(setfsuid(-1), 1000);
	/* /proc shows the same ids and capabilities. */
	CHECK_EQ_STR(status_line("Uid:"), "\t0\t1000\t0\t1000\n");
	CHECK_EQ_INT(cap_status("CapEff:"), 0);
	CHECK_EQ_INT(cap_status("CapPrm:"), prm0);
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(join(d, 0), 0);
	CHECK_EQ_INT(join(d, 4), prm0);
	CHECK_ERRNO(setresuid(2000, -1, -1), EPERM);
	CHECK_ERRNO(setuid(2000), EPERM);
	CHECK_ERRNO(setgroups(0, NULL), EPERM);
	CHECK_ERRNO(sethostname("x", 1), EPERM);
	CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &p), EPERM);
	/* Back to 0: the effective set is the permitted one again. */
	CHECK_EQ_INT(seteuid(0), 0);
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(join(d, 0), prm0);
	/* setreuid: a real id set makes the saved id the effective one. */
	CHECK_EQ_INT(setreuid(1000, -1), 0);
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK(r == 1000 && e == 0 && s == 0);
	/* ... but not an effective id set to the real one. */
	CHECK_EQ_INT(setreuid(-1, 1000), 0);
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK(r == 1000 && e == 1000 && s == 0);
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(join(d, 4), prm0);
	CHECK_EQ_INT(setresuid(-1, -1, 1000), 0);
	/* Every id left 0: the capabilities are gone for good. */
	CHECK_EQ_INT(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ_INT(join(d, 4), 0);
	CHECK_ERRNO(setuid(0), EPERM);
	CHECK_ERRNO(seteuid(0), EPERM);
	CHECK_EQ_INT(setuid(1000), 0); /* its own id is allowed */
}

static void host_and_domain_names(void)
{
	struct utsname u;
	char long_name[70];

	/* On the host: a namespace of our own, so the host keeps its name
	 * (Osprey has none to make, EINVAL as a kernel without namespaces:
	 * the VM's names are the program's). */
	if (unshare(CLONE_NEWUTS) != 0 && errno != ENOSYS &&
	    !(errno == EINVAL && uname(&u) == 0 &&
	      strstr(u.release, "osprey"))) {
		CHECK_EQ_INT(errno, EPERM); /* no namespace: not tested */
		return;
	}
	CHECK_EQ_INT(sethostname("abi-host", 8), 0);
	CHECK_EQ_INT(setdomainname("abi.example", 11), 0);
	CHECK_EQ_INT(uname(&u), 0);
	CHECK_EQ_STR(u.nodename, "abi-host");
	CHECK_EQ_STR(u.domainname, "abi.example");
	char got[65];
	CHECK_EQ_INT(gethostname(got, sizeof(got)), 0);
	CHECK_EQ_STR(got, "abi-host");
	FILE *f = fopen("/proc/sys/kernel/hostname", "r");
	if (CHECK(f && fgets(got, sizeof(got), f)))
		CHECK_EQ_STR(got, "abi-host\n");
	if (f)
		fclose(f);
	memset(long_name, 'n', sizeof(long_name));
	CHECK_ERRNO(sethostname(long_name, 65), EINVAL);
	CHECK_EQ_INT(sethostname(long_name, 64), 0);
	CHECK_EQ_INT(uname(&u), 0);
	CHECK_EQ_INT(strlen(u.nodename), 64);
	CHECK_ERRNO(syscall(SYS_sethostname, 8, 4), EFAULT);
	CHECK_ERRNO(syscall(SYS_setdomainname, "x", -1), EINVAL);
}

static void which_cpu(void)
{
	unsigned cpu = 999, node = 999;

	CHECK_EQ_INT(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
	CHECK(cpu < 4096);
	CHECK_EQ_INT(node, 0);
	CHECK_ERRNO(syscall(SYS_getcpu, 8, NULL, NULL), EFAULT);
}

int main(void)
{
	abi_init("identity");
	ABI_RUN(policies_and_priorities);
	ABI_RUN(attributes_and_nice);
	ABI_RUN(threads_inherit_the_policy);
	ABI_RUN(io_priorities);
	ABI_RUN(the_kernel_log);
	ABI_RUN(which_cpu);
	ABI_RUN(host_and_domain_names);
	ABI_RUN(capabilities);
	ABI_RUN(ids_as_linux_changes_them); /* last: it leaves uid 0 */
	return abi_done();
}
