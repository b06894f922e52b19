/*
 * More of issue 12's calls: process_vm_readv and process_vm_writev
 * (on itself and on a forked child, whose pages start shared copy on
 * write with ours; partial transfers; the errors), futex_waitv, mseal
 * and chroot.
 */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <linux/futex.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#define SYS_futex_wake_ 454
#define SYS_futex_wait_ 455
#define F2_U32 0x02
#define F2_PRIVATE 128

#define PG 4096

static char shared_buf[64] = "parent's bytes";

static long pv(pid_t pid, const struct iovec *l, long ln,
	       const struct iovec *r, long rn, long flags, int write)
{
	return syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv,
		       pid, l, ln, r, rn, flags);
}

/* Scatter from our own memory, gather into two local pieces. */
static void pv_self(void)
{
	char src[] = "0123456789", a[4] = {0}, b[7] = {0};
	struct iovec l[2] = {{a, 3}, {b, 6}};
	struct iovec r[2] = {{src, 5}, {src + 5, 5}};

	CHECK_EQ_INT(pv(getpid(), l, 2, r, 2, 0, 0), 9);
	CHECK_EQ_STR(a, "012");
	CHECK_EQ_STR(b, "345678");
	char dst[8] = "xxxxxxx";
	struct iovec w = {dst + 2, 3}, s = {"abc", 3};
	CHECK_EQ_INT(pv(getpid(), &s, 1, &w, 1, 0, 1), 3);
	CHECK_EQ_STR(dst, "xxabcxx");
}

/* A child changes its copy of shared_buf, we read it and write ours into
 * it; the child checks and reports through its exit status. */
static void pv_child(void)
{
	int to_parent[2], to_child[2];
	char c;

	if (!CHECK_EQ_INT(pipe(to_parent), 0) || !CHECK_EQ_INT(pipe(to_child), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(shared_buf, "child's bytes");
		if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(strcmp(shared_buf, "written by parent") ? 1 : 0);
	}
	char got[64] = {0};
	struct iovec l = {got, sizeof(got)}, r = {shared_buf, sizeof(shared_buf)};
	CHECK_EQ_INT(read(to_parent[0], &c, 1), 1);
	CHECK_EQ_INT(pv(pid, &l, 1, &r, 1, 0, 0), sizeof(shared_buf));
	CHECK_EQ_STR(got, "child's bytes");
	struct iovec s = {"written by parent", 18};
	r.iov_len = 18;
	CHECK_EQ_INT(pv(pid, &s, 1, &r, 1, 0, 1), 18);
	CHECK_EQ_STR(shared_buf, "parent's bytes"); /* ours is our own */
	CHECK_EQ_INT(write(to_child[1], "w", 1), 1);
	int st = -1;
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK_EQ_INT(st, 0);
	CHECK_ERRNO(pv(pid, &l, 1, &r, 1, 0, 0), ESRCH); /* reaped */
	for (int i = 0; i < 2; i++) {
		close(to_parent[i]);
		close(to_child[i]);
	}
}

/* The copy stops at the first remote page that is not there. */
static void pv_partial(void)
{
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static char big[3 * PG];

	if (!CHECK(m != MAP_FAILED))
		return;
	memset(m, 'm', 3 * PG);
	munmap(m + PG, PG);
	struct iovec l = {big, sizeof(big)}, r = {m + 100, 2 * PG};
	CHECK_EQ_INT(pv(getpid(), &l, 1, &r, 1, 0, 0), PG - 100);
	CHECK_EQ_INT(big[PG - 101], 'm');
	r.iov_base = m + PG;
	CHECK_ERRNO(pv(getpid(), &l, 1, &r, 1, 0, 0), EFAULT);
	/* two remote elements: the second one's failure keeps the first's */
	struct iovec r2[2] = {{m, 10}, {m + PG, 10}};
	CHECK_EQ_INT(pv(getpid(), &l, 1, r2, 2, 0, 0), 10);
	/* a read-only remote page is not written */
	mprotect(m + 2 * PG, PG, PROT_READ);
	r.iov_base = m + 2 * PG;
	r.iov_len = 10;
	CHECK_ERRNO(pv(getpid(), &l, 1, &r, 1, 0, 1), EFAULT);
	CHECK_EQ_INT(m[2 * PG], 'm');
	/* a bad local range */
	struct iovec bad = {(void *)8, 10};
	r.iov_base = m;
	CHECK_ERRNO(pv(getpid(), &bad, 1, &r, 1, 0, 0), EFAULT);
	munmap(m, 3 * PG);
}

static void pv_errors(void)
{
	char buf[8];
	struct iovec l = {buf, 8}, r = {buf, 8};

	CHECK_ERRNO(pv(getpid(), &l, 1, &r, 1, 1, 0), EINVAL);
	CHECK_ERRNO(pv(getpid(), &l, 1025, &r, 1, 0, 0), EINVAL);
	CHECK_ERRNO(pv(getpid(), &l, 1, &r, -1, 0, 0), EINVAL);
	CHECK_ERRNO(pv(getpid(), (void *)8, 1, &r, 1, 0, 0), EFAULT);
	CHECK_ERRNO(pv(getpid(), &l, 1, (void *)8, 1, 0, 0), EFAULT);
	CHECK_ERRNO(pv(-1, &l, 1, &r, 1, 0, 0), ESRCH);
	CHECK_ERRNO(pv(0, &l, 1, &r, 1, 0, 0), ESRCH);
	struct iovec neg = {buf, (size_t)-1};
	CHECK_ERRNO(pv(getpid(), &l, 1, &neg, 1, 0, 0), EINVAL);
	/* nothing to copy: 0 before the process is looked up */
	CHECK_EQ_INT(pv(-1, &l, 0, &r, 1, 0, 0), 0);
	r.iov_len = 0;
	CHECK_EQ_INT(pv(-1, &l, 1, &r, 1, 0, 0), 0);
}

/* ---- futex_waitv ---- */
static uint32_t fw[3];

static long waitv(struct futex_waitv *v, unsigned n, unsigned flags,
		  struct timespec *ts, int clk)
{
	return syscall(SYS_futex_waitv, v, n, flags, ts, clk);
}

static struct timespec abs_in(int clk, long ms)
{
	struct timespec t;

	clock_gettime(clk, &t);
	t.tv_nsec += ms * 1000000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	return t;
}

static void *waker(void *arg ABI_UNUSED)
{
	usleep(50000);
	__atomic_store_n(&fw[2], 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &fw[2], FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
	return NULL;
}

static void fill(struct futex_waitv *v)
{
	for (int i = 0; i < 3; i++)
		v[i] = (struct futex_waitv){.val = 0, .uaddr = (uintptr_t)&fw[i],
					    .flags = F2_U32 | F2_PRIVATE};
}

static void futex_waitv_calls(void)
{
	struct futex_waitv v[3];
	pthread_t t;

	memset(fw, 0, sizeof(fw));
	fill(v);
	/* woken through the third word by a plain FUTEX_WAKE: its index */
	if (!CHECK_EQ_INT(pthread_create(&t, NULL, waker, NULL), 0))
		return;
	struct timespec ts = abs_in(CLOCK_MONOTONIC, 5000);
	CHECK_EQ_INT(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), 2);
	pthread_join(t, NULL);
	/* a word that differs: EAGAIN at once */
	CHECK_ERRNO(waitv(v, 3, 0, NULL, 0), EAGAIN);
	fw[2] = 0;
	/* the timeout is absolute, on the clock named */
	ts = abs_in(CLOCK_REALTIME, 30);
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_REALTIME), ETIMEDOUT);
	ts = abs_in(CLOCK_MONOTONIC, 0);
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), ETIMEDOUT);
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_BOOTTIME), EINVAL);
	/* the checks of the call and of each entry */
	CHECK_ERRNO(waitv(v, 3, 1, &ts, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(v, 0, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(v, 129, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(NULL, 1, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv((void *)8, 1, 0, &ts, CLOCK_MONOTONIC), EFAULT);
	v[1].flags = 3; /* FUTEX2_SIZE_U64 */
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	fill(v);
	v[1].__reserved = 1;
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	fill(v);
	v[0].uaddr += 1;
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	fill(v);
	v[0].val = 1ull << 32;
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), EINVAL);
	fill(v);
	v[0].uaddr = 8;
	CHECK_ERRNO(waitv(v, 3, 0, &ts, CLOCK_MONOTONIC), EFAULT);
}

/* futex_wait and futex_wake, the futex2 single calls (Linux 6.7). */
static void futex2_single(void)
{
	uint32_t w = 5;
	struct timespec ts = abs_in(CLOCK_MONOTONIC, 20);

	CHECK_ERRNO(syscall(SYS_futex_wait_, &w, 4, 0xfffffffful, F2_U32, &ts,
			    CLOCK_MONOTONIC), EAGAIN);
	CHECK_ERRNO(syscall(SYS_futex_wait_, &w, 5, 0xfffffffful, F2_U32, &ts,
			    CLOCK_MONOTONIC), ETIMEDOUT);
	CHECK_ERRNO(syscall(SYS_futex_wait_, &w, 5, 0xfffffffful, 3, &ts,
			    CLOCK_MONOTONIC), EINVAL);
	CHECK_EQ_INT(syscall(SYS_futex_wake_, &w, 0xfffffffful, 1, F2_U32), 0);
	/* the mask and value are 32 bits wide with FUTEX2_SIZE_U32 */
	CHECK_ERRNO(syscall(SYS_futex_wake_, &w, ~0ul, 1, F2_U32), EINVAL);
	CHECK_ERRNO(syscall(SYS_futex_wait_, &w, 5, ~0ul, F2_U32, &ts,
			    CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(syscall(SYS_futex_wake_, &w, 0ul, 1, F2_U32), EINVAL);
	CHECK_ERRNO(syscall(SYS_futex_wake_, (char *)&w + 1, 1ul, 1, F2_U32),
		    EINVAL);
}

/* ---- mseal ---- */
static void mseal_calls(void)
{
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(m != MAP_FAILED))
		return;
	m[PG] = 'x';
	CHECK_ERRNO(syscall(SYS_mseal, m + 1, PG, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_mseal, m, PG, 1), EINVAL);
	CHECK_EQ_INT(syscall(SYS_mseal, m, 0, 0), 0);
	/* the middle two pages; the outer ones stay free to change */
	CHECK_EQ_INT(syscall(SYS_mseal, m + PG, 2 * PG - 100, 0), 0);
	CHECK_ERRNO(munmap(m + PG, PG), EPERM);
	CHECK_ERRNO(munmap(m, 4 * PG), EPERM);
	CHECK_ERRNO(mprotect(m + 2 * PG, PG, PROT_READ), EPERM);
	CHECK_ERRNO(mremap(m + PG, PG, 8 * PG, MREMAP_MAYMOVE), EPERM);
	CHECK_ERRNO(mmap(m + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0, EPERM);
	/* writable private memory may still be discarded, as Linux */
	CHECK_EQ_INT(madvise(m + PG, PG, MADV_DONTNEED), 0);
	CHECK_EQ_INT(m[PG], 0);
	CHECK_EQ_INT(mprotect(m, PG, PROT_READ), 0);
	CHECK_EQ_INT(munmap(m + 3 * PG, PG), 0);
	/* read-only private memory sealed: no discarding */
	CHECK_EQ_INT(syscall(SYS_mseal, m, PG, 0), 0);
	CHECK_ERRNO(madvise(m, PG, MADV_DONTNEED), EPERM);
	/* a hole in the range */
	CHECK_ERRNO(syscall(SYS_mseal, m, 4 * PG, 0), ENOMEM);
	/* a forked child's copy is sealed too */
	pid_t pid = fork();
	if (pid == 0)
		_exit(munmap(m + PG, PG) == -1 && errno == EPERM ? 0 : 1);
	int st = -1;
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK_EQ_INT(st, 0);
}

/* ---- chroot ---- */
#define CR "/tmp/abi-chroot"

/* In a child, which exits with the number of the first check that
 * failed: its root is its own. */
static int chrooted(void)
{
	struct stat a, b;
	char cwd[64];

	if (chroot(CR))
		return 1;
	if (stat("/sub/inner", &a))
		return 2;
	if (stat(CR, &a) == 0 || errno != ENOENT)
		return 3;
	if (stat("/lnk/inner", &a)) /* an absolute link starts at the root */
		return 4;
	if (chdir("/sub") || !getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/sub"))
		return 5;
	if (stat("/", &a) || stat("/..", &b) || a.st_ino != b.st_ino)
		return 6;
	if (stat("../../..", &b) || a.st_ino != b.st_ino) /* ".." stops */
		return 7;
	pid_t pid = fork(); /* a child keeps the root */
	if (pid == 0)
		_exit(stat("/sub/inner", &a) ? 1 : 0);
	int st = -1;
	if (waitpid(pid, &st, 0) != pid || st != 0)
		return 8;
	if (setuid(65534) || chroot("/") != -1 || errno != EPERM)
		return 9;
	return 0;
}

static void chroot_calls(void)
{
	mkdir(CR, 0755);
	mkdir(CR "/sub", 0755);
	close(open(CR "/sub/inner", O_CREAT | O_WRONLY, 0644));
	unlink(CR "/lnk");
	CHECK_EQ_INT(symlink("/sub", CR "/lnk"), 0);
	CHECK_ERRNO(chroot(CR "/missing"), ENOENT);
	CHECK_ERRNO(chroot(CR "/sub/inner"), ENOTDIR);
	CHECK_ERRNO(chroot((char *)8), EFAULT);
	pid_t pid = fork();
	if (pid == 0)
		_exit(chrooted());
	int st = -1;
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK_EQ_INT(WEXITSTATUS(st), 0);
	/* ours is untouched */
	CHECK_EQ_INT(access(CR "/sub/inner", F_OK), 0);
	unlink(CR "/lnk");
	unlink(CR "/sub/inner");
	rmdir(CR "/sub");
	rmdir(CR);
}

int main(void)
{
	abi_init("smallcalls2");
	ABI_RUN(pv_self);
	ABI_RUN(pv_child);
	ABI_RUN(pv_partial);
	ABI_RUN(pv_errors);
	ABI_RUN(futex_waitv_calls);
	ABI_RUN(futex2_single);
	ABI_RUN(mseal_calls);
	ABI_RUN(chroot_calls);
	return abi_done();
}
