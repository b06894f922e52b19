/*
 * What each process has of its own: resource limits (copied at fork,
 * changed apart afterwards), the umask and the working directory; a
 * process-directed signal reaching a thread that does not block it;
 * PR_SET_PDEATHSIG; /proc listing every live process; /proc/<pid>
 * showing that process (a child reads its parent's, a parent its
 * exec'd child's), not the reader; VmRSS and statm's resident count
 * the process's own pages (a child touching 8 MiB grows by that, its
 * parent does not).
 */
#include "common.h"

#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Runs fn in a child and gives its exit code (-1 if it did not exit). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int child_limits(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur != 200)
		return 1; /* inherited */
	r.rlim_cur = 100;
	return setrlimit(RLIMIT_NOFILE, &r) ? 2 : 0;
}

static void rlimits_per_process(void)
{
	struct rlimit old, r;

	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	r = old;
	r.rlim_cur = 200;
	CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &r), 0);
	CHECK_EQ_INT(in_child(child_limits), 0);
	CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &r), 0);
	CHECK_EQ_INT((int)r.rlim_cur, 200);
	CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* The child's umask and working directory change apart from its
 * parent's: relative names (AT_FDCWD) follow its own. */
static int child_umask(void)
{
	struct stat st;
	int dir, fd;

	if (umask(077) != 022)
		return 1;
	if (chdir("sub"))
		return 2;
	fd = openat(AT_FDCWD, "f", O_CREAT | O_WRONLY, 0666);
	if (fd < 0 || fstat(fd, &st) || (st.st_mode & 0777) != 0600)
		return 3;
	close(fd);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	if (dir < 0 || fchdir(dir) || access("sub/f", F_OK) == 0)
		return 4; /* "/" has no sub/f */
	close(dir);
	return 0;
}

static void umask_and_cwd_per_process(void)
{
	char cwd[256], again[256], home[256];
	struct stat st;
	mode_t old = umask(022);
	int fd;

	CHECK(getcwd(home, sizeof(home)) != NULL);
	mkdir("/tmp", 0777);
	mkdir("/tmp/abi-procstate", 0777);
	CHECK_EQ_INT(chdir("/tmp/abi-procstate"), 0);
	CHECK_EQ_INT(mkdir("sub", 0777), 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_EQ_INT(in_child(child_umask), 0);
	CHECK_EQ_INT((int)umask(022), 022);
	CHECK(getcwd(again, sizeof(again)) != NULL);
	CHECK_EQ_STR(again, cwd);
	/* the child's file is in sub/, ours in our directory */
	CHECK_EQ_INT(access("f", F_OK), -1);
	CHECK_EQ_INT(access("sub/f", F_OK), 0);
	fd = openat(AT_FDCWD, "g", O_CREAT | O_WRONLY, 0666);
	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	CHECK_EQ_INT((int)(st.st_mode & 0777), 0644);
	close(fd);
	unlink("g");
	unlink("sub/f");
	rmdir("sub");
	umask(old);
	CHECK_EQ_INT(chdir(home), 0);
	rmdir("/tmp/abi-procstate");
}

static volatile pthread_t got_by;
static volatile int got;

static void on_usr1(int sig)
{
	(void)sig;
	got_by = pthread_self();
	got = 1;
}

static int ready_fd;

/* Unblocks SIGUSR1 (the main thread blocks it), says it is ready, and
 * waits for it. */
static void *worker(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (write(ready_fd, "r", 1) != 1)
		return arg;
	for (int i = 0; i < 5000 && !got; i++)
		usleep(1000);
	return arg;
}

/* kill(pid) must reach the worker. Exit code 0 when it did. */
static int child_signalled(int fd)
{
	sigset_t set;
	pthread_t w;

	ready_fd = fd;
	signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&w, NULL, worker, NULL))
		return 1;
	pthread_join(w, NULL);
	if (!got)
		return 3;
	return pthread_equal(got_by, w) ? 0 : 4;
}

static void kill_reaches_unblocking_thread(void)
{
	int p[2], st;
	char c;

	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_signalled(p[1]));
	CHECK_EQ_INT((int)read(p[0], &c, 1), 1);
	CHECK_EQ_INT(kill(pid, SIGUSR1), 0);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ_INT(WEXITSTATUS(st), 0);
	close(p[0]);
	close(p[1]);
}

static int death_fd;

static void on_death(int sig)
{
	(void)sig;
	if (write(death_fd, "d", 1) != 1)
		_exit(3);
	_exit(0);
}

/* The middle process: its child asks for SIGUSR2 at its death, says so,
 * and the middle one exits. */
static int middle(int ready_w)
{
	int r[2];
	char c;

	if (pipe(r))
		return 1;
	if (fork() == 0) {
		int sig = -1;

		signal(SIGUSR2, on_death);
		prctl(PR_SET_PDEATHSIG, SIGUSR2);
		prctl(PR_GET_PDEATHSIG, &sig);
		if (write(r[1], sig == SIGUSR2 ? "y" : "n", 1) != 1)
			_exit(1);
		for (int i = 0; i < 5000; i++)
			usleep(1000);
		_exit(2);
	}
	if (read(r[0], &c, 1) != 1 || c != 'y')
		return 2;
	(void)ready_w;
	return 0;
}

static void pdeathsig_on_parent_exit(void)
{
	int d[2], st;
	char c = 0;

	if (!CHECK_EQ_INT(pipe(d), 0))
		return;
	death_fd = d[1];
	pid_t pid = fork();
	if (pid == 0)
		_exit(middle(d[1]));
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK_EQ_INT(WEXITSTATUS(st), 0);
	struct pollfd pf = {.fd = d[0], .events = POLLIN};
	CHECK_EQ_INT(poll(&pf, 1, 5000), 1);
	CHECK_EQ_INT((int)read(d[0], &c, 1), 1);
	CHECK_EQ_INT(c, 'd');
	close(d[0]);
	close(d[1]);
}

/* Whether /proc lists pid. */
static int proc_lists(pid_t pid)
{
	char name[32];
	int found = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	snprintf(name, sizeof(name), "%d", (int)pid);
	while (d && (e = readdir(d)))
		found |= !strcmp(e->d_name, name);
	if (d)
		closedir(d);
	return found;
}

static void proc_lists_every_process(void)
{
	int p[2], st;
	char c;

	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1); /* until we close */
	}
	CHECK(proc_lists(getpid()));
	CHECK(proc_lists(pid));
	char path[64], buf[64] = {0};
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0);
	CHECK_EQ_INT(atoi(buf), (int)pid);
	close(fd);
	close(p[1]);
	close(p[0]);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK(!proc_lists(pid));
}

/* ---- /proc/<pid> shows that process, not the reader ---- */
static const char *abi_argv0;

/* The whole of a /proc file (NUL-padded); its length, or -1. */
/* The number after "\nKey:" in a status text, or -1. */
static long status_field(const char *text, const char *key)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\n%s:", key);
	p = strstr(text, want);
	return p ? strtol(p + strlen(want), NULL, 0) : -1;
}

static int child_reads_parent(void)
{
	char path[64], buf[4096];
	pid_t pp = getppid();

	umask(077); /* ours, not the parent's */
	if (chdir("/"))
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pp);
	if (abi_slurp(path, buf, sizeof(buf)) <= 0 || strcmp(buf, abi_argv0))
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pp);
	if (abi_slurp(path, buf, sizeof(buf)) <= 0)
		return 3;
	if (status_field(buf, "Pid") != pp || status_field(buf, "Tgid") != pp)
		return 4;
	if (status_field(buf, "Umask") != 022 || status_field(buf, "Threads") != 1)
		return 5;
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pp);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return 6;
	buf[n] = 0;
	return strcmp(buf, "/tmp/abi-procpid") ? 7 : 0;
}

/* A child that execs "sh -c 'read x'" in its own directory, with its
 * own umask, environment and descriptor 7, and waits on our pipe. */
static void start_shell(int p[2])
{
	char *env[] = {"ABI_MARK=1", NULL};
	int fd;

	close(p[1]);
	dup2(p[0], 0);
	umask(027);
	if (chdir("sub"))
		_exit(1);
	fd = open("held", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || dup2(fd, 7) != 7)
		_exit(2);
	execle("/bin/sh", "sh", "-c", "read x", (char *)NULL, env);
	_exit(3);
}

static int link_of(int pid, const char *what, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return (int)n;
}

static int file_of(int pid, const char *what, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	return abi_slurp(path, buf, size);
}

/* Waits (5 s at most) until pid's comm is want. */
static int comm_becomes(int pid, const char *want)
{
	char buf[64];

	for (int i = 0; i < 500; i++) {
		if (file_of(pid, "comm", buf, sizeof(buf)) > 0 &&
		    !strncmp(buf, want, strlen(want)) && buf[strlen(want)] == '\n')
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Waits (5 s at most) until pid sleeps (the shell in its read). */
static int sleeps(int pid)
{
	char buf[4096];

	for (int i = 0; i < 500; i++) {
		if (file_of(pid, "status", buf, sizeof(buf)) > 0 &&
		    strstr(buf, "\nState:\tS (sleeping)\n"))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void check_shell(int pid)
{
	char buf[8192], want[PATH_MAX];
	static const char cmdline[] = "sh\0-c\0read x";

	CHECK_EQ_INT(file_of(pid, "cmdline", buf, sizeof(buf)),
		     (int)sizeof(cmdline));
	CHECK(!memcmp(buf, cmdline, sizeof(cmdline)));
	CHECK_EQ_INT(file_of(pid, "environ", buf, sizeof(buf)), 11);
	CHECK_EQ_STR(buf, "ABI_MARK=1");
	CHECK(file_of(pid, "status", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "Name:\tsh\n", 9));
	CHECK_EQ_INT((int)status_field(buf, "Pid"), pid);
	CHECK_EQ_INT((int)status_field(buf, "PPid"), (int)getpid());
	CHECK_EQ_INT((int)status_field(buf, "Umask"), 027);
	CHECK(strstr(buf, "\nState:\t") != NULL);
	CHECK(status_field(buf, "VmRSS") > 0);
	CHECK(file_of(pid, "maps", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "[stack]") != NULL);
	CHECK(link_of(pid, "cwd", buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "/tmp/abi-procpid/sub");
	CHECK(link_of(pid, "fd/7", buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "/tmp/abi-procpid/sub/held");
	CHECK(file_of(pid, "fdinfo/7", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "pos:\t0\n", 7));
	CHECK(realpath("/bin/sh", want) != NULL);
	CHECK(link_of(pid, "exe", buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, want);
	snprintf(want, sizeof(want), "/proc/%d/task", pid);
	CHECK(access(want, F_OK) == 0);
	snprintf(want, sizeof(want), "/proc/%d/task/%d/stat", pid, pid);
	CHECK(access(want, R_OK) == 0);
	/* and ours is still ours */
	CHECK(link_of(getpid(), "cwd", buf, sizeof(buf)) > 0);
	CHECK_EQ_STR(buf, "/tmp/abi-procpid");
}

static void proc_shows_that_process(void)
{
	char home[256];
	int p[2], st;
	mode_t old = umask(022);

	CHECK(getcwd(home, sizeof(home)) != NULL);
	mkdir("/tmp", 0777);
	mkdir("/tmp/abi-procpid", 0777);
	mkdir("/tmp/abi-procpid/sub", 0777);
	CHECK_EQ_INT(chdir("/tmp/abi-procpid"), 0);
	CHECK_EQ_INT(in_child(child_reads_parent), 0);
	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	pid_t pid = fork();
	if (pid == 0)
		start_shell(p);
	close(p[0]);
	if (CHECK(comm_becomes(pid, "sh")) && CHECK(sleeps(pid)))
		check_shell(pid);
	close(p[1]); /* sh reads EOF and exits */
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	unlink("/tmp/abi-procpid/sub/held");
	rmdir("/tmp/abi-procpid/sub");
	umask(old);
	CHECK_EQ_INT(chdir(home), 0);
	rmdir("/tmp/abi-procpid");
}

/* Resident kB of process pid (0: self) from statm and from status's
 * VmRSS; -1 when unreadable or the two disagree by more than 256 kB. */
static long rss_kb(pid_t pid)
{
	char path[64], line[128];
	long size, res = -1, vmrss = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid ? pid : getpid());
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/status", pid ? pid : getpid());
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "VmRSS: %ld kB", &vmrss);
	if (f)
		fclose(f);
	res *= sysconf(_SC_PAGESIZE) / 1024;
	if (res < 0 || vmrss < 0 || labs(res - vmrss) > 256)
		return -1;
	return vmrss;
}

#define TOUCH_KB (8 * 1024)

/* Whether grown - before is TOUCH_KB, give or take a little (page
 * tables are not counted; libc may touch a few pages of its own). */
static int about_touch(long before, long grown)
{
	return before >= 0 && grown >= before + TOUCH_KB - 64 &&
	       grown <= before + TOUCH_KB + 1024;
}

/* Touches 8 MiB, tells the parent, waits for it to look: 0 if its own
 * figures grew by that much. */
static int child_touches(int done, int go)
{
	long before = rss_kb(0), after;
	char *m = mmap(NULL, TOUCH_KB * 1024, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	if (m == MAP_FAILED)
		return 1;
	for (long i = 0; i < TOUCH_KB * 1024; i += 4096)
		m[i] = 1;
	after = rss_kb(0);
	if (write(done, &before, sizeof(before)) != sizeof(before) ||
	    read(go, &c, 1) != 1)
		return 2;
	return about_touch(before, after) ? 0 : 3;
}

static void rss_counts_own_pages(void)
{
	int up[2], down[2], st;
	long parent_before = rss_kb(0), child_before, child_after;

	CHECK(parent_before > 0);
	if (!CHECK_EQ_INT(pipe(up), 0) || !CHECK_EQ_INT(pipe(down), 0))
		return;
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_touches(up[1], down[0]));
	CHECK_EQ_INT(read(up[0], &child_before, sizeof(child_before)),
		     sizeof(child_before));
	child_after = rss_kb(pid); /* the parent reads the child's */
	CHECK(about_touch(child_before, child_after));
	CHECK(rss_kb(0) < parent_before + TOUCH_KB / 2);
	CHECK_EQ_INT(write(down[1], "g", 1), 1);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK_EQ_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	if (child_after < 0 || !about_touch(child_before, child_after))
		printf("# child rss before %ld kB, after %ld kB\n",
		       child_before, child_after);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

int main(int argc, char **argv)
{
	abi_argv0 = argc > 0 ? argv[0] : "";
	abi_init("procstate");
	ABI_RUN(rlimits_per_process);
	ABI_RUN(umask_and_cwd_per_process);
	ABI_RUN(kill_reaches_unblocking_thread);
	ABI_RUN(pdeathsig_on_parent_exit);
	ABI_RUN(proc_lists_every_process);
	ABI_RUN(proc_shows_that_process);
	ABI_RUN(rss_counts_own_pages);
	return abi_done();
}
