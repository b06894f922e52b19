/*
 * What each process has of its own: resource limits (copied at fork,
 * changed apart afterwards), the umask and the working directory; a
 * process-directed signal reaching a thread that does not block it;
 * PR_SET_PDEATHSIG; /proc listing every live process.
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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

int main(void)
{
	abi_init("procstate");
	ABI_RUN(rlimits_per_process);
	ABI_RUN(umask_and_cwd_per_process);
	ABI_RUN(kill_reaches_unblocking_thread);
	ABI_RUN(pdeathsig_on_parent_exit);
	ABI_RUN(proc_lists_every_process);
	return abi_done();
}
