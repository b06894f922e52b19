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
#include <sys/wait.h>

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

int main(void)
{
	abi_init("smallcalls2");
	ABI_RUN(pv_self);
	ABI_RUN(pv_child);
	ABI_RUN(pv_partial);
	ABI_RUN(pv_errors);
	return abi_done();
}
