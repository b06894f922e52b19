/*
 * Process costs, the same static binary in Osprey and in the Linux guest
 * (bench/proc.sh): fork + _exit + waitpid; vfork + execve of a static
 * hello + waitpid; posix_spawn of the same + waitpid; and a pipeline of
 * three busybox applets (echo abc | tr a-c x-z | wc -c) started as a
 * shell does, with fork, dup2 and execve, its output read and checked.
 * Each figure repeats its operation for about SCALE * 0.3 s of guest time
 * (at least 5 times) and prints
 *	PROC <name> <ns per op> ns/op (<count> ops)
 * or "PROC <name> n/a <reason>". Under QEMU's -icount the guest clock
 * counts instructions, so the figure is guest instructions per op.
 *
 *	proc_bench [SCALE]	(HELLO and BUSYBOX: the paths it starts)
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static const char *hello = "/bin/extra/proc_hello";
static const char *busybox = "/bin/busybox";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whether pid exited with status 0. */
static int reaped_ok(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

static int fork_exit_wait(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return reaped_ok(pid);
}

static int vfork_exec_wait(void)
{
	char *argv[] = {(char *)hello, NULL};
	pid_t pid = vfork();

	if (pid == 0) {
		execve(hello, argv, environ);
		_exit(127);
	}
	return reaped_ok(pid);
}

static int spawn_wait(void)
{
	char *argv[] = {(char *)hello, NULL};
	pid_t pid;

	if (posix_spawn(&pid, hello, NULL, NULL, argv, environ))
		return 0;
	return reaped_ok(pid);
}

/* One stage: argv run by busybox with in/out as its stdin/stdout. */
static pid_t stage(char **argv, int in, int out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (in != 0)
		dup2(in, 0);
	if (out != 1)
		dup2(out, 1);
	for (int fd = 3; fd < 16; fd++)
		close(fd);
	execve(busybox, argv, environ);
	_exit(127);
}

static int pipeline(void)
{
	char *echo[] = {"echo", "abc", NULL};
	char *tr[] = {"tr", "a-c", "x-z", NULL};
	char *wc[] = {"wc", "-c", NULL};
	int a[2], b[2], c[2], ok = 1;
	char buf[32] = {0};
	pid_t p[3];

	if (pipe(a) || pipe(b) || pipe(c))
		return 0;
	p[0] = stage(echo, 0, a[1]);
	p[1] = stage(tr, a[0], b[1]);
	p[2] = stage(wc, b[0], c[1]);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]), close(c[1]);
	if (read(c[0], buf, sizeof(buf) - 1) <= 0 || atoi(buf) != 4)
		ok = 0; /* "xyz\n" is 4 bytes */
	close(c[0]);
	for (int i = 0; i < 3; i++)
		ok &= reaped_ok(p[i]);
	return ok;
}

static void figure(const char *name, int (*op)(void), double scale)
{
	uint64_t budget = (uint64_t)(scale * 3e8), t0 = now_ns(), t;
	long n = 0;

	if (!op()) { /* a warm-up, and the check that it works */
		printf("PROC %s n/a failed\n", name);
		return;
	}
	t0 = now_ns();
	do {
		if (!op()) {
			printf("PROC %s n/a failed after %ld ops\n", name, n);
			return;
		}
		n++;
		t = now_ns();
	} while ((t - t0 < budget || n < 5) && n < 100000);
	printf("PROC %s %.0f ns/op (%ld ops)\n", name, (double)(t - t0) / n,
	       n);
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("HELLO"))
		hello = getenv("HELLO");
	if (getenv("BUSYBOX"))
		busybox = getenv("BUSYBOX");
	if (scale <= 0)
		scale = 1;
	figure("fork_exit_wait", fork_exit_wait, scale);
	figure("vfork_exec_wait", vfork_exec_wait, scale);
	figure("posix_spawn_wait", spawn_wait, scale);
	figure("pipeline_3_busybox", pipeline, scale);
	return 0;
}
