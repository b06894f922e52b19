/*
 * Several processes: fork with copy-on-write isolation in both
 * directions (private memory) and sharing (MAP_SHARED), wait4 and waitid
 * with exit codes and signals, WNOHANG, SIGCHLD, a child that faults,
 * pipes between parent and child with shared offsets, fork from a
 * threaded parent, getppid, process groups and sessions, kill between
 * processes. Children report only through their exit status: the parent
 * prints every line.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

/* The child's status, or -1. */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int exit_code(pid_t pid)
{
	int s = reap(pid);

	return s >= 0 && WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

static void fork_returns_zero_in_child(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0)
		_exit(getppid() == parent && getpid() != parent ? 7 : 1);
	CHECK(pid > 0);
	CHECK(pid != parent);
	CHECK_EQ_INT(exit_code(pid), 7);
}

static int global_value = 1;

static void cow_isolates_both_ways(void)
{
	char *heap = malloc(1 << 20);
	int pfd[2];

	memset(heap, 'p', 1 << 20);
	global_value = 10;
	if (!CHECK_EQ_INT(pipe(pfd), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		int ok = global_value == 10 && heap[12345] == 'p';

		global_value = 20;	/* the child's write */
		memset(heap, 'c', 1 << 20);
		/* wait until the parent wrote, then look again */
		if (read(pfd[0], &c, 1) != 1)
			_exit(2);
		ok = ok && global_value == 20 && heap[777] == 'c';
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	global_value = 30;	/* the parent's write */
	heap[777] = 'P';
	CHECK_EQ_INT(write(pfd[1], "x", 1), 1);
	CHECK_EQ_INT(exit_code(pid), 0);
	CHECK_EQ_INT(global_value, 30);
	CHECK_EQ_INT(heap[12345], 'p');
	CHECK_EQ_INT(heap[777], 'P');
	close(pfd[0]);
	close(pfd[1]);
	free(heap);
}

static void shared_mapping_stays_shared(void)
{
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(shared != MAP_FAILED))
		return;
	*shared = 1;
	pid_t pid = fork();
	if (pid == 0) {
		shared[0] = 42;
		shared[100] = 43; /* a part the parent never touched */
		_exit(0);
	}
	CHECK_EQ_INT(exit_code(pid), 0);
	CHECK_EQ_INT(shared[0], 42);
	CHECK_EQ_INT(shared[100], 43);
	munmap(shared, 4096);
}

static void exit_codes_and_signals(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(3);
	CHECK_EQ_INT(wait4(pid, &status, 0, NULL), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 3);

	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		for (;;)
			pause();
	}
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ_INT(WTERMSIG(status), SIGTERM);

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK_EQ_INT(kill(pid, SIGKILL), 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	pid = fork();
	if (pid == 0)
		exit(0x1ff); /* only the low byte counts */
	CHECK_EQ_INT(exit_code(pid), 0xff);
}

static void child_fault_is_sigsegv(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile int *)16 = 1;
		_exit(0);
	}
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ_INT(WTERMSIG(status), SIGSEGV);
}

static void wnohang_and_waitid(void)
{
	int pfd[2], status;
	siginfo_t si;

	if (!CHECK_EQ_INT(pipe(pfd), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;

		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) == 0 ? 5 : 6); /* EOF: parent closed */
	}
	close(pfd[0]);
	CHECK_EQ_INT(waitpid(pid, &status, WNOHANG), 0);
	memset(&si, 0xff, sizeof(si));
	CHECK_EQ_INT(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ_INT(si.si_pid, 0);
	close(pfd[1]);
	memset(&si, 0, sizeof(si));
	CHECK_EQ_INT(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ_INT(si.si_pid, pid);
	CHECK_EQ_INT(si.si_code, CLD_EXITED);
	CHECK_EQ_INT(si.si_status, 5);
	CHECK_EQ_INT(si.si_signo, SIGCHLD);
	/* WNOWAIT left it: it can be waited for again */
	memset(&si, 0, sizeof(si));
	CHECK_EQ_INT(waitid(P_ALL, 0, &si, WEXITED), 0);
	CHECK_EQ_INT(si.si_pid, pid);
	CHECK_ERRNO(waitpid(pid, &status, 0), ECHILD);
	CHECK_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
}

static volatile sig_atomic_t chld_count, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_count++;
	chld_pid = si->si_pid;
}

static void sigchld_reaches_parent(void)
{
	struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
	sigset_t block, old;

	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	chld_count = 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	/* sigsuspend returns once the SIGCHLD handler ran */
	while (!chld_count)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ_INT(chld_count, 1);
	CHECK_EQ_INT(chld_pid, pid);
	CHECK_EQ_INT(exit_code(pid), 0);
	signal(SIGCHLD, SIG_DFL);
}

static void ignored_sigchld_leaves_no_zombie(void)
{
	int status;

	signal(SIGCHLD, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	/* Linux: wait blocks until the child is gone, then ECHILD */
	CHECK_ERRNO(waitpid(pid, &status, 0), ECHILD);
	signal(SIGCHLD, SIG_DFL);
}

static void pipe_and_offsets_shared(void)
{
	int pfd[2];
	char buf[32] = {0};
	char path[] = "/tmp/abi-fork-XXXXXX";
	int fd = mkstemp(path);

	if (!CHECK(fd >= 0) || !CHECK_EQ_INT(pipe(pfd), 0))
		return;
	unlink(path);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (write(pfd[1], "from child", 10) != 10)
			_exit(1);
		if (write(fd, "abc", 3) != 3) /* moves the shared offset */
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ_INT(read(pfd[0], buf, sizeof(buf)), 10);
	CHECK_EQ_STR(buf, "from child");
	CHECK_EQ_INT(exit_code(pid), 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ_INT(read(pfd[0], buf, 1), 0); /* every writer closed */
	close(pfd[0]);
	close(fd);
}

static void *spin_thread(void *arg)
{
	volatile int *stop = arg;

	while (!*stop)
		usleep(1000);
	return NULL;
}

static void fork_from_threaded_parent(void)
{
	pthread_t th[3];
	volatile int stop = 0;

	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, spin_thread, (void *)&stop);
	pid_t pid = fork();
	if (pid == 0) {
		/* only the caller was copied: a new thread works here too */
		pthread_t t;
		volatile int s2 = 1;

		if (pthread_create(&t, NULL, spin_thread, (void *)&s2))
			_exit(1);
		pthread_join(t, NULL);
		_exit(0);
	}
	CHECK_EQ_INT(exit_code(pid), 0);
	stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
}

static void groups_and_sessions(void)
{
	int pfd[2];

	if (!CHECK_EQ_INT(pipe(pfd), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;

		if (read(pfd[0], &c, 1) != 1)
			_exit(1);
		_exit(getpgid(0) == getpid() ? 0 : 2);
	}
	CHECK_EQ_INT(getpgid(pid), getpgid(0));
	CHECK_EQ_INT(getsid(pid), getsid(0));
	CHECK_EQ_INT(setpgid(pid, pid), 0);
	CHECK_EQ_INT(getpgid(pid), pid);
	CHECK_EQ_INT(write(pfd[1], "x", 1), 1);
	CHECK_EQ_INT(exit_code(pid), 0);

	pid = fork();
	if (pid == 0)
		_exit(setsid() == getpid() && getsid(0) == getpid() &&
				      getpgid(0) == getpid()
			      ? 0
			      : 1);
	CHECK_EQ_INT(exit_code(pid), 0);
	CHECK_ERRNO(getpgid(999999), ESRCH);
	CHECK_ERRNO(kill(999999, 0), ESRCH);
}

static void many_children(void)
{
	enum { N = 20 };
	pid_t pids[N];
	int sum = 0;

	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(i);
	}
	for (int i = 0; i < N; i++)
		sum += exit_code(pids[i]);
	CHECK_EQ_INT(sum, N * (N - 1) / 2);
}

/* A bounded fork bomb: fork until it fails (Osprey's process limit) or
 * 1000 children; a failure is EAGAIN or ENOMEM, and once the children
 * are gone fork works again. */
static void fork_bomb_ends_in_eagain(void)
{
	enum { MAX = 1000 };
	static pid_t kids[MAX];
	int n = 0, err = 0;

	for (; n < MAX; n++) {
		kids[n] = fork();
		if (kids[n] == 0) {
			for (;;)
				pause();
		}
		if (kids[n] < 0) {
			err = errno;
			break;
		}
	}
	CHECK(n == MAX || err == EAGAIN || err == ENOMEM);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	int reaped = 0;
	for (int i = 0; i < n; i++)
		reaped += waitpid(kids[i], NULL, 0) == kids[i];
	CHECK_EQ_INT(reaped, n);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ_INT(exit_code(pid), 0);
}

int main(void)
{
	abi_init("fork");
	ABI_RUN(fork_returns_zero_in_child);
	ABI_RUN(cow_isolates_both_ways);
	ABI_RUN(shared_mapping_stays_shared);
	ABI_RUN(exit_codes_and_signals);
	ABI_RUN(child_fault_is_sigsegv);
	ABI_RUN(wnohang_and_waitid);
	ABI_RUN(sigchld_reaches_parent);
	ABI_RUN(ignored_sigchld_leaves_no_zombie);
	ABI_RUN(pipe_and_offsets_shared);
	ABI_RUN(fork_from_threaded_parent);
	ABI_RUN(groups_and_sessions);
	ABI_RUN(many_children);
	ABI_RUN(fork_bomb_ends_in_eagain);
	return abi_done();
}
