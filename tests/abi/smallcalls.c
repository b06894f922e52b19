/*
 * The small calls of issue 12's second pass: utime, utimes and futimesat
 * (through the raw system calls: glibc makes them utimensat),
 * get_robust_list, rt_tgsigqueueinfo (to itself and to a child),
 * pidfd_send_signal and pidfd_getfd, kcmp, cachestat, unshare and setns
 * for what needs no namespace, and openat2's checks of struct open_how.
 */
#include "common.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

#define DIR_ "/tmp/abi-smallcalls"
#define FILE_ DIR_ "/f"

static void setup(void)
{
	mkdir(DIR_, 0755);
	int fd = open(FILE_, O_CREAT | O_RDWR | O_TRUNC, 0644);
	char page[4096] = {1};

	for (int i = 0; i < 3; i++)
		(void)!write(fd, page, sizeof(page));
	(void)!write(fd, page, 1); /* 12289 bytes: 4 pages */
	close(fd);
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	stat(path, &st);
	return st;
}

static void old_time_calls(void)
{
	long ut[2] = {100, 200};
	struct timeval tv[2] = {{300, 5}, {400, 7}};

	CHECK_EQ_INT(syscall(SYS_utime, FILE_, ut), 0);
	CHECK_EQ_INT(stat_of(FILE_).st_atime, 100);
	CHECK_EQ_INT(stat_of(FILE_).st_mtime, 200);
	CHECK_EQ_INT(syscall(SYS_utimes, FILE_, tv), 0);
	CHECK_EQ_INT(stat_of(FILE_).st_mtime, 400);
	CHECK_EQ_INT(stat_of(FILE_).st_mtim.tv_nsec, 7000);
	int dir = open(DIR_, O_RDONLY | O_DIRECTORY);
	tv[1].tv_sec = 500;
	CHECK_EQ_INT(syscall(SYS_futimesat, dir, "f", tv), 0);
	CHECK_EQ_INT(stat_of(FILE_).st_mtime, 500);
	int fd = open(FILE_, O_RDONLY);
	tv[1].tv_sec = 600;
	CHECK_EQ_INT(syscall(SYS_futimesat, fd, NULL, tv), 0);
	CHECK_EQ_INT(stat_of(FILE_).st_mtime, 600);
	CHECK_EQ_INT(syscall(SYS_utimes, FILE_, NULL), 0);
	CHECK(stat_of(FILE_).st_mtime > 600);
	tv[0].tv_usec = 1000000;
	CHECK_ERRNO(syscall(SYS_utimes, FILE_, tv), EINVAL);
	CHECK_ERRNO(syscall(SYS_utimes, FILE_, (void *)8), EFAULT);
	CHECK_ERRNO(syscall(SYS_utime, DIR_ "/none", ut), ENOENT);
	CHECK_ERRNO(syscall(SYS_utimes, NULL, NULL), EFAULT);
	CHECK_ERRNO(syscall(SYS_futimesat, -1, NULL, NULL), EBADF);
	close(fd);
	close(dir);
}

static void robust_list(void)
{
	void *head = NULL;
	size_t len = 0;

	CHECK_EQ_INT(syscall(SYS_get_robust_list, 0, &head, &len), 0);
	CHECK_EQ_INT(len, 24);
	CHECK(head != NULL); /* glibc registers one per thread */
	head = NULL;
	CHECK_EQ_INT(syscall(SYS_get_robust_list, gettid(), &head, &len), 0);
	CHECK(head != NULL);
	CHECK_ERRNO(syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len),
		    ESRCH);
	CHECK_ERRNO(syscall(SYS_get_robust_list, 0, (void *)8, &len), EFAULT);
}

static siginfo_t queued(int sig, int code, int value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	return si;
}

static int take(int sig, siginfo_t *si)
{
	sigset_t set;
	struct timespec ts = {2, 0};

	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, si, &ts);
}

static void tgsigqueueinfo(void)
{
	sigset_t set;
	siginfo_t si = queued(SIGUSR1, SI_QUEUE, 77), got;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK_EQ_INT(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(),
			     SIGUSR1, &si),
		     0);
	CHECK_EQ_INT(take(SIGUSR1, &got), SIGUSR1);
	CHECK_EQ_INT(got.si_code, SI_QUEUE);
	CHECK_EQ_INT(got.si_value.sival_int, 77);
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &si),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), 65,
			    &si),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid() + 1000000, gettid(),
			    SIGUSR1, &si),
		    ESRCH);
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR1,
			    (void *)8),
		    EFAULT);
	/* another process's thread: posing as the kernel is EPERM */
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		for (int i = 0; i < 500; i++)
			usleep(10000);
		_exit(0);
	}
	siginfo_t user = queued(SIGUSR1, SI_USER, 0);
	CHECK_ERRNO(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &user),
		    EPERM);
	CHECK_EQ_INT(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &si), 0);
	int status = 0;
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void pidfd_calls(void)
{
	int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int p[2];
	sigset_t set;
	siginfo_t got;

	if (!CHECK(pfd >= 0) || !CHECK_EQ_INT(pipe(p), 0))
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK_EQ_INT(syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, NULL, 0), 0);
	CHECK_EQ_INT(take(SIGUSR2, &got), SIGUSR2);
	CHECK_EQ_INT(got.si_code, SI_USER);
	CHECK_EQ_INT(got.si_pid, getpid());
	siginfo_t si = queued(SIGUSR2, SI_QUEUE, 5);
	CHECK_EQ_INT(syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, &si, 0), 0);
	CHECK_EQ_INT(take(SIGUSR2, &got), SIGUSR2);
	CHECK_EQ_INT(got.si_value.sival_int, 5);
	CHECK_ERRNO(syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, &si, 0),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_pidfd_send_signal, pfd, SIGUSR2, NULL, 99),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_pidfd_send_signal, p[0], SIGUSR2, NULL, 0),
		    EBADF);
	CHECK_EQ_INT(syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0), 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	int w = (int)syscall(SYS_pidfd_getfd, pfd, p[1], 0);
	if (CHECK(w >= 0)) {
		CHECK_EQ_INT(fcntl(w, F_GETFD), FD_CLOEXEC);
		CHECK_EQ_INT(write(w, "z", 1), 1);
		char c = 0;
		CHECK_EQ_INT(read(p[0], &c, 1), 1);
		CHECK_EQ_INT(c, 'z');
		close(w);
	}
	CHECK_ERRNO(syscall(SYS_pidfd_getfd, pfd, 999, 0), EBADF);
	CHECK_ERRNO(syscall(SYS_pidfd_getfd, pfd, p[1], 1), EINVAL);
	CHECK_ERRNO(syscall(SYS_pidfd_getfd, p[0], p[1], 0), EBADF);
	close(p[0]);
	close(p[1]);
	close(pfd);
}

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO,
       KCMP_SYSVSEM };

static long kcmp(pid_t a, pid_t b, int type, long i1, long i2)
{
	return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static void kcmp_calls(void)
{
	pid_t me = getpid();
	int a = open(FILE_, O_RDONLY), b = open(FILE_, O_RDONLY);
	int c = dup(a);

	CHECK_EQ_INT(kcmp(me, me, KCMP_FILE, a, c), 0);
	long ab = kcmp(me, me, KCMP_FILE, a, b);
	long ba = kcmp(me, me, KCMP_FILE, b, a);
	CHECK((ab == 1 && ba == 2) || (ab == 2 && ba == 1));
	CHECK_EQ_INT(kcmp(me, me, KCMP_VM, 0, 0), 0);
	CHECK_EQ_INT(kcmp(me, gettid(), KCMP_FILES, 0, 0), 0);
	CHECK_EQ_INT(kcmp(me, me, KCMP_SIGHAND, 0, 0), 0);
	CHECK_ERRNO(kcmp(me, me, KCMP_FILE, a, 999), EBADF);
	CHECK_ERRNO(kcmp(me, me, 99, 0, 0), EINVAL);
	CHECK_ERRNO(kcmp(me, 0x3ffffff0, KCMP_VM, 0, 0), ESRCH);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(0);
	}
	long vm = kcmp(me, pid, KCMP_VM, 0, 0);
	long vm2 = kcmp(pid, me, KCMP_VM, 0, 0);
	CHECK((vm == 1 && vm2 == 2) || (vm == 2 && vm2 == 1));
	CHECK(kcmp(me, pid, KCMP_FILES, 0, 0) > 0);
	waitpid(pid, NULL, 0);
	close(a);
	close(b);
	close(c);
}

struct cachestat_range {
	uint64_t off, len;
};
struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
	    nr_recently_evicted;
};

static void cachestat_calls(void)
{
	int fd = open(FILE_, O_RDONLY);
	struct cachestat_range all = {0, 0}, one = {4096, 4096},
			       past = {1 << 20, 0};
	struct cachestat cs;

	CHECK_EQ_INT(syscall(SYS_cachestat, fd, &all, &cs, 0), 0);
	CHECK_EQ_INT(cs.nr_cache, 4);
	CHECK_EQ_INT(cs.nr_evicted, 0);
	CHECK_EQ_INT(syscall(SYS_cachestat, fd, &one, &cs, 0), 0);
	CHECK_EQ_INT(cs.nr_cache, 1);
	CHECK_EQ_INT(syscall(SYS_cachestat, fd, &past, &cs, 0), 0);
	CHECK_EQ_INT(cs.nr_cache, 0);
	CHECK_ERRNO(syscall(SYS_cachestat, fd, &all, &cs, 1), EINVAL);
	CHECK_ERRNO(syscall(SYS_cachestat, 999, &all, &cs, 0), EBADF);
	CHECK_ERRNO(syscall(SYS_cachestat, fd, (void *)8, &cs, 0), EFAULT);
	CHECK_ERRNO(syscall(SYS_cachestat, fd, &all, (void *)8, 0), EFAULT);
	close(fd);
}

static void namespaces(void)
{
	int p[2];

	CHECK_EQ_INT(unshare(0), 0);
	CHECK_EQ_INT(unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM), 0);
	CHECK_ERRNO(unshare(0x1), EINVAL);
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_ERRNO(setns(p[0], 0), EINVAL);
	CHECK_ERRNO(setns(999, 0), EBADF);
	close(p[0]);
	close(p[1]);
}

struct open_how_x {
	uint64_t flags, mode, resolve, tail;
};

static long openat2(const char *path, struct open_how_x *how, size_t size)
{
	return syscall(SYS_openat2, AT_FDCWD, path, how, size);
}

static void openat2_checks(void)
{
	struct open_how_x how = {O_RDONLY, 0, 0, 0};
	long fd = openat2(FILE_, &how, 24);

	if (CHECK(fd >= 0))
		close((int)fd);
	fd = openat2(FILE_, &how, 32); /* a larger, zero-tailed struct */
	if (CHECK(fd >= 0))
		close((int)fd);
	how.tail = 1;
	CHECK_ERRNO(openat2(FILE_, &how, 32), E2BIG);
	how.tail = 0;
	CHECK_ERRNO(openat2(FILE_, &how, 23), EINVAL);
	CHECK_ERRNO(openat2(FILE_, &how, 8192), E2BIG);
	CHECK_ERRNO(openat2(FILE_, (void *)8, 24), EFAULT);
	how.mode = 0644;
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how.flags = O_CREAT | O_WRONLY;
	how.mode = 010000;
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how.mode = 0600;
	fd = openat2(DIR_ "/new", &how, 24);
	if (CHECK(fd >= 0))
		close((int)fd);
	CHECK_EQ_INT(stat_of(DIR_ "/new").st_mode & 0777, 0600 & ~umask(022));
	how = (struct open_how_x){O_RDONLY | 04, 0, 0, 0};
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how = (struct open_how_x){O_RDONLY, 0, 0x40, 0};
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how.resolve = 0x08 | 0x10; /* BENEATH | IN_ROOT */
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how = (struct open_how_x){O_PATH | O_RDWR, 0, 0, 0};
	CHECK_ERRNO(openat2(FILE_, &how, 24), EINVAL);
	how = (struct open_how_x){O_CREAT | O_RDWR, 0600, 0x20, 0};
	CHECK_ERRNO(openat2(FILE_, &how, 24), EAGAIN); /* RESOLVE_CACHED */
	unlink(DIR_ "/new");
}

int main(void)
{
	abi_init("smallcalls");
	setup();
	ABI_RUN(old_time_calls);
	ABI_RUN(robust_list);
	ABI_RUN(tgsigqueueinfo);
	ABI_RUN(pidfd_calls);
	ABI_RUN(kcmp_calls);
	ABI_RUN(cachestat_calls);
	ABI_RUN(namespaces);
	ABI_RUN(openat2_checks);
	unlink(FILE_);
	rmdir(DIR_);
	return abi_done();
}
