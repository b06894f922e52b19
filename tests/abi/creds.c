/*
 * Credentials per process and per thread (man 7 credentials): a forked
 * child's setresuid leaves its parent root; the child, uid 1000 now,
 * cannot open its parent's 0600 file (EACCES), access(2) says the same,
 * a file it creates is its own, and it may not signal or read its root
 * parent (EPERM); /proc/<pid>/status shows the child's ids. The raw
 * setresuid system call changes the calling thread only, glibc's
 * setresuid every thread of the process. setgroups in a child leaves the
 * parent's groups. Needs root; without it, says so and checks nothing.
 */
#include "common.h"

#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define SECRET "/tmp/abi-creds-secret"
#define MINE "/tmp/abi-creds-mine"
#define USER 1000

/* Runs fn in a forked child; the child's checks print their own lines,
 * and its exit status says whether any failed. */
static void in_child(void (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		abi_passed = abi_failed = 0;
		fn();
		_exit(abi_failed ? 1 : 0);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(status, 0);
}

static void become_user(void)
{
	uid_t r, e, s;

	CHECK_EQ_INT(setresuid(USER, USER, USER), 0);
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK_EQ_INT(r, USER);
	CHECK_EQ_INT(e, USER);
	CHECK_EQ_INT(s, USER);
}

static void child_setresuid_leaves_parent_root(void)
{
	uid_t r = 1, e = 1, s = 1;

	in_child(become_user);
	CHECK_EQ_INT(getresuid(&r, &e, &s), 0);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(e, 0);
	CHECK_EQ_INT(s, 0);
	CHECK_EQ_INT(getuid(), 0);
	CHECK_EQ_INT(geteuid(), 0);
}

static void user_is_refused(void)
{
	struct stat st;
	char buf[8];
	struct iovec loc = {buf, sizeof(buf)}, rem = {buf, sizeof(buf)};
	int fd;

	become_user();
	CHECK_ERRNO(open(SECRET, O_RDONLY), EACCES);
	CHECK_ERRNO(open(SECRET, O_WRONLY), EACCES);
	CHECK_ERRNO(access(SECRET, R_OK), EACCES);
	CHECK_ERRNO(faccessat(AT_FDCWD, SECRET, W_OK, AT_EACCESS), EACCES);
	CHECK_EQ_INT(access(SECRET, F_OK), 0);
	CHECK_ERRNO(kill(getppid(), 0), EPERM);
	CHECK_ERRNO(process_vm_readv(getppid(), &loc, 1, &rem, 1, 0), EPERM);
	CHECK((fd = open(MINE, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_uid, USER);
	CHECK_EQ_INT(close(fd), 0);
	CHECK((fd = open(MINE, O_RDWR)) >= 0); /* its own 0600 file */
	CHECK_EQ_INT(close(fd), 0);
}

static void user_cannot_open_root_file(void)
{
	int fd;

	unlink(SECRET);
	unlink(MINE);
	CHECK((fd = open(SECRET, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	CHECK_EQ_INT(close(fd), 0);
	in_child(user_is_refused);
	CHECK((fd = open(SECRET, O_RDWR)) >= 0); /* root still may */
	CHECK_EQ_INT(close(fd), 0);
	CHECK_EQ_INT(kill(getpid(), 0), 0);
	CHECK_EQ_INT(unlink(SECRET), 0);
	CHECK_EQ_INT(unlink(MINE), 0);
}

/* The first line of /proc/<pid>/status that starts with key. */
static void status_line(pid_t pid, const char *key, char *out, size_t n)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	out[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			snprintf(out, n, "%s", line);
			break;
		}
	fclose(f);
}

static void proc_status_shows_each_process(void)
{
	int ready[2], go[2], status = -1;
	char line[256], c = 0;

	CHECK_EQ_INT(pipe(ready), 0);
	CHECK_EQ_INT(pipe(go), 0);
	pid_t pid = fork();
	if (pid == 0) {
		bool ok =
		    setresgid(7, 8, 9) == 0 && setresuid(USER, USER, USER) == 0;
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		_exit(!ok);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(read(ready[0], &c, 1), 1);
	status_line(pid, "Uid:", line, sizeof(line));
	CHECK_EQ_STR(line, "Uid:\t1000\t1000\t1000\t1000\n");
	status_line(pid, "Gid:", line, sizeof(line));
	CHECK_EQ_STR(line, "Gid:\t7\t8\t9\t8\n");
	status_line(getpid(), "Uid:", line, sizeof(line));
	CHECK_EQ_STR(line, "Uid:\t0\t0\t0\t0\n");
	CHECK_EQ_INT(write(go[1], &c, 1), 1);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(status, 0);
	close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
}

/* Another thread, reporting its ids when the main thread asks. */
static pthread_barrier_t step;
static uid_t seen_euid, seen_uid;

static void *watcher(void *arg ABI_UNUSED)
{
	pthread_barrier_wait(&step);
	seen_euid = geteuid(); /* after the raw call in the main thread */
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	seen_uid = getuid(); /* after glibc's setresuid */
	pthread_barrier_wait(&step);
	return NULL;
}

static void threads_apart_and_together(void)
{
	pthread_t t;

	pthread_barrier_init(&step, NULL, 2);
	CHECK_EQ_INT(pthread_create(&t, NULL, watcher, NULL), 0);
	CHECK_EQ_INT(syscall(SYS_setresuid, -1, USER, -1), 0);
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	CHECK_EQ_INT(geteuid(), USER);
	CHECK_EQ_INT(seen_euid, 0); /* the raw call changed this thread only */
	CHECK_EQ_INT(syscall(SYS_setresuid, -1, 0, -1), 0);
	CHECK_EQ_INT(setresuid(USER, USER, USER), 0);
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	CHECK_EQ_INT(getuid(), USER);
	CHECK_EQ_INT(seen_uid, USER); /* glibc's call changed both */
	CHECK_EQ_INT(pthread_join(t, NULL), 0);
}

static void raw_setresuid_is_per_thread(void)
{
	in_child(threads_apart_and_together);
	CHECK_EQ_INT(getuid(), 0);
}

static void set_two_groups(void)
{
	gid_t want[2] = {5, 6}, got[4] = {0};

	CHECK_EQ_INT(setgroups(2, want), 0);
	CHECK_EQ_INT(getgroups(4, got), 2);
	CHECK_EQ_INT(got[0], 5);
	CHECK_EQ_INT(got[1], 6);
}

static void setgroups_is_per_process(void)
{
	gid_t before[64], after[64];
	int n = getgroups(64, before);

	CHECK(n >= 0);
	in_child(set_two_groups);
	CHECK_EQ_INT(getgroups(64, after), n);
	if (n > 0)
		CHECK_EQ_MEM(after, before, n * sizeof(gid_t));
}

int main(void)
{
	abi_init("creds");
	if (geteuid() != 0) {
		printf("creds: not root, nothing checked\n");
		return abi_done();
	}
	ABI_RUN(child_setresuid_leaves_parent_root);
	ABI_RUN(user_cannot_open_root_file);
	ABI_RUN(proc_status_shows_each_process);
	ABI_RUN(raw_setresuid_is_per_thread);
	ABI_RUN(setgroups_is_per_process);
	return abi_done();
}
