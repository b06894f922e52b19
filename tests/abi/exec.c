/*
 * execve and the ways to start another program: vfork then exec,
 * posix_spawn with file actions, `#!` scripts, errors (ENOENT, EACCES,
 * ENOEXEC for a malformed ELF: the caller goes on), close-on-exec,
 * dispositions across exec, system() and popen() (when /bin/sh exists).
 * The program is its own helper: `exec helper ...` runs a check in the
 * new image and answers with its exit status.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;
static char self[4096];

static int exit_code(pid_t pid)
{
	int s;

	if (waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

/* ---- the helper side, in the new image ---- */
static int helper(int argc, char **argv)
{
	struct sigaction sa;

	if (!strcmp(argv[2], "code"))
		return atoi(argv[3]);
	if (!strcmp(argv[2], "print")) {
		printf("hello %s\n", argv[3]);
		return 0;
	}
	if (!strcmp(argv[2], "fds")) /* argv[3] closed, argv[4] open */
		return fcntl(atoi(argv[3]), F_GETFD) == -1 && errno == EBADF &&
				       fcntl(atoi(argv[4]), F_GETFD) == 0
			       ? 0
			       : 1;
	if (!strcmp(argv[2], "signals")) {
		sigaction(SIGUSR1, NULL, &sa);
		if (sa.sa_handler != SIG_DFL)
			return 1;
		sigaction(SIGUSR2, NULL, &sa);
		return sa.sa_handler == SIG_IGN ? 0 : 2;
	}
	return argc > 100 ? 0 : 99;
}

/* `#!self script-mode`: argv is self, "script-mode", the script, args. */
static int script_mode(int argc, char **argv)
{
	return argc == 4 && strstr(argv[2], "abi-exec-script") &&
			       !strcmp(argv[3], "arg1")
		       ? 42
		       : 1;
}

/* ---- the checks ---- */
static volatile int shared_with_vfork;

static void vfork_then_exec(void)
{
	shared_with_vfork = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		shared_with_vfork = 1; /* the parent's memory, until exec */
		execl(self, self, "helper", "code", "9", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(shared_with_vfork, 1);
	CHECK_EQ_INT(exit_code(pid), 9);
}

static void fork_then_exec(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(self, self, "helper", "code", "11", (char *)NULL);
		_exit(127);
	}
	CHECK_EQ_INT(exit_code(pid), 11);
}

static void posix_spawn_with_file_actions(void)
{
	posix_spawn_file_actions_t fa;
	int pfd[2];
	char buf[64] = {0};
	pid_t pid;
	char *args[] = {self, "helper", "print", "spawn", NULL};

	if (!CHECK_EQ_INT(pipe(pfd), 0))
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	CHECK_EQ_INT(posix_spawn(&pid, self, &fa, NULL, args, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	CHECK_EQ_INT(read(pfd[0], buf, sizeof(buf) - 1), 12);
	CHECK_EQ_STR(buf, "hello spawn\n");
	CHECK_EQ_INT(exit_code(pid), 0);
	close(pfd[0]);
	CHECK_EQ_INT(posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, args,
				 environ),
		     ENOENT);
}

static int write_file(const char *path, const char *data, size_t n, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	int ok = write(fd, data, n) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

static void execve_of_a_script(void)
{
	char text[4200];
	const char *path = "/tmp/abi-exec-script";

	snprintf(text, sizeof(text), "#!%s script-mode\necho not read\n", self);
	if (!CHECK_EQ_INT(write_file(path, text, strlen(text), 0755), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, "arg1", (char *)NULL);
		_exit(127);
	}
	CHECK_EQ_INT(exit_code(pid), 42);
	unlink(path);
}

static void execve_errors_leave_the_caller(void)
{
	char *args[] = {"x", NULL};
	static const char bad_elf[64] = "\177ELF\002\001\001\000garbage";
	const char *p = "/tmp/abi-exec-bad";

	CHECK_ERRNO(execve("/nonexistent/prog", args, environ), ENOENT);
	CHECK_ERRNO(execve("/tmp", args, environ), EACCES);
	CHECK_EQ_INT(write_file(p, "plain text\n", 11, 0644), 0);
	CHECK_ERRNO(execve(p, args, environ), EACCES); /* no x bit */
	chmod(p, 0755);
	CHECK_ERRNO(execve(p, args, environ), ENOEXEC); /* neither ELF nor #! */
	CHECK_EQ_INT(write_file(p, bad_elf, sizeof(bad_elf), 0755), 0);
	CHECK_ERRNO(execve(p, args, environ), ENOEXEC);
	unlink(p);
	CHECK_EQ_INT(getpid() > 0, 1); /* still here, still working */
}

static void exec_closes_cloexec_fds(void)
{
	int keep[2], gone[2];
	char a[16], b[16];

	if (!CHECK_EQ_INT(pipe(keep), 0) ||
	    !CHECK_EQ_INT(pipe2(gone, O_CLOEXEC), 0))
		return;
	snprintf(a, sizeof(a), "%d", gone[0]);
	snprintf(b, sizeof(b), "%d", keep[0]);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "helper", "fds", a, b, (char *)NULL);
		_exit(127);
	}
	CHECK_EQ_INT(exit_code(pid), 0);
	close(keep[0]);
	close(keep[1]);
	close(gone[0]);
	close(gone[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void exec_resets_handlers(void)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "helper", "signals", (char *)NULL);
		_exit(127);
	}
	CHECK_EQ_INT(exit_code(pid), 0);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static void system_and_popen(void)
{
	char buf[64] = {0};

	if (access("/bin/sh", X_OK) != 0) {
		CHECK(1); /* no shell in this image: nothing to run */
		return;
	}
	int s = system("exit 3");
	CHECK(WIFEXITED(s) && WEXITSTATUS(s) == 3);
	FILE *f = popen("echo popen works", "r");
	if (!CHECK(f != NULL))
		return;
	CHECK(fgets(buf, sizeof(buf), f) != NULL);
	CHECK_EQ_STR(buf, "popen works\n");
	CHECK_EQ_INT(pclose(f), 0);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "helper"))
		return helper(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "script-mode"))
		return script_mode(argc, argv);
	if (!realpath(argv[0], self))
		snprintf(self, sizeof(self), "%s", argv[0]);
	abi_init("exec");
	ABI_RUN(vfork_then_exec);
	ABI_RUN(fork_then_exec);
	ABI_RUN(posix_spawn_with_file_actions);
	ABI_RUN(execve_of_a_script);
	ABI_RUN(execve_errors_leave_the_caller);
	ABI_RUN(exec_closes_cloexec_fds);
	ABI_RUN(exec_resets_handlers);
	ABI_RUN(system_and_popen);
	return abi_done();
}
