/*
 * Memory advice and placement: madvise's advice values (hints accepted,
 * DONTNEED/FREE/DONTNEED_LOCKED zeroing, POPULATE_*, MADV_REMOVE on
 * private memory, unknown advice), process_madvise on the process's own
 * pidfd, set_mempolicy/get_mempolicy/mbind with node 0 the only node
 * this test assumes (any machine has it), and the protection keys as
 * the CPU has them (pkey_alloc ENOSPC without OSPKE), with error paths.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_STRICT 1

#define PAGE 4096

static char *map(size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void advice_values(void)
{
	static const int hints[] = {
	    MADV_NORMAL,	MADV_RANDOM,	    MADV_SEQUENTIAL,
	    MADV_WILLNEED,	MADV_DONTFORK,	    MADV_DOFORK,
	    MADV_DONTDUMP,	MADV_DODUMP,	    MADV_WIPEONFORK,
	    MADV_KEEPONFORK,	MADV_COLD,	    MADV_PAGEOUT,
	    MADV_POPULATE_READ, MADV_POPULATE_WRITE};
	char *p = map(4);

	if (!CHECK(p))
		return;
	memset(p, 'x', 4 * PAGE);
	for (unsigned i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		CHECK_EQ_INT(madvise(p, 4 * PAGE, hints[i]), 0);
	CHECK_EQ_INT(p[PAGE], 'x'); /* the hints kept the data */
	/* The discarding advice: private anonymous memory reads as zeros. */
	CHECK_EQ_INT(madvise(p, PAGE, MADV_DONTNEED), 0);
	CHECK_EQ_INT(p[0], 0);
	CHECK_EQ_INT(madvise(p + PAGE, PAGE, MADV_DONTNEED_LOCKED), 0);
	CHECK_EQ_INT(p[PAGE], 0);
	CHECK_EQ_INT(p[2 * PAGE], 'x');
	/* MADV_REMOVE needs a shared file mapping. */
	CHECK_ERRNO(madvise(p, PAGE, MADV_REMOVE), EINVAL);
	/* Unknown advice, an unaligned start, a hole, a zero length. */
	CHECK_ERRNO(madvise(p, PAGE, 999), EINVAL);
	CHECK_ERRNO(madvise(p + 1, PAGE, MADV_NORMAL), EINVAL);
	CHECK_EQ_INT(madvise(p, 0, MADV_NORMAL), 0);
	munmap(p + 2 * PAGE, PAGE);
	CHECK_ERRNO(madvise(p, 4 * PAGE, MADV_NORMAL), ENOMEM);
	CHECK_ERRNO(madvise(p, 4 * PAGE, 999), EINVAL); /* advice first */
	/* POPULATE_WRITE on read-only memory: incompatible permissions. */
	mprotect(p, PAGE, PROT_READ);
	CHECK_ERRNO(madvise(p, PAGE, MADV_POPULATE_WRITE), EINVAL);
	munmap(p, 4 * PAGE);
}

static void process_madvise_on_itself(void)
{
	char *p = map(2);
	int pidfd = syscall(SYS_pidfd_open, getpid(), 0), pfd[2];
	struct iovec iov[2];

	if (!CHECK(p && pidfd >= 0))
		return;
	CHECK_EQ_INT(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
	memset(p, 'y', 2 * PAGE);
	iov[0] = (struct iovec){p, PAGE};
	iov[1] = (struct iovec){p + PAGE, PAGE};
	CHECK_EQ_INT(
	    syscall(SYS_process_madvise, pidfd, iov, 2, MADV_DONTNEED, 0),
	    2 * PAGE);
	CHECK_EQ_INT(p[0] + p[PAGE], 0);
	CHECK_EQ_INT(syscall(SYS_process_madvise, pidfd, iov, 2, MADV_COLD, 0),
		     2 * PAGE);
	CHECK_ERRNO(syscall(SYS_process_madvise, pidfd, iov, 2, MADV_COLD, 1),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_process_madvise, pidfd, iov, 2, 999, 0),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_process_madvise, pidfd, 8, 2, MADV_COLD, 0),
		    EFAULT);
	CHECK_EQ_INT(pipe(pfd), 0);
	CHECK_ERRNO(syscall(SYS_process_madvise, pfd[0], iov, 2, MADV_COLD, 0),
		    EBADF);
	/* pidfd_open's own errors. */
	CHECK_ERRNO(syscall(SYS_pidfd_open, getpid(), 0x1), EINVAL);
	CHECK_ERRNO(syscall(SYS_pidfd_open, -1, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_pidfd_open, 0x3ffffff0, 0), ESRCH);
	close(pfd[0]);
	close(pfd[1]);
	close(pidfd);
	munmap(p, 2 * PAGE);
}

static long set_policy(int mode, unsigned long mask, unsigned long maxnode)
{
	return syscall(SYS_set_mempolicy, mode, maxnode ? &mask : NULL,
		       maxnode);
}

static long get_policy(int *mode, unsigned long *mask, void *addr, int flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, mask ? 64 : 0, addr,
		       flags);
}

static void task_policy(void)
{
	unsigned long mask = 99;
	int mode = -1;

	CHECK_EQ_INT(get_policy(&mode, &mask, NULL, 0), 0);
	CHECK_EQ_INT(mode, MPOL_DEFAULT);
	CHECK_EQ_INT(mask, 0);
	CHECK_EQ_INT(set_policy(MPOL_BIND, 1, 2), 0);
	CHECK_EQ_INT(get_policy(&mode, &mask, NULL, 0), 0);
	CHECK_EQ_INT(mode, MPOL_BIND);
	CHECK_EQ_INT(mask, 1);
	CHECK_EQ_INT(set_policy(MPOL_INTERLEAVE, 1, 64), 0);
	CHECK_EQ_INT(get_policy(&mode, NULL, NULL, MPOL_F_NODE), 0);
	CHECK_EQ_INT(mode, 0); /* the next node to interleave on */
	/* PREFERRED with no node is LOCAL. */
	CHECK_EQ_INT(set_policy(MPOL_PREFERRED, 0, 0), 0);
	CHECK_EQ_INT(get_policy(&mode, NULL, NULL, 0), 0);
	CHECK_EQ_INT(mode, MPOL_LOCAL);
	CHECK_EQ_INT(set_policy(MPOL_PREFERRED | MPOL_F_STATIC_NODES, 1, 2), 0);
	CHECK_EQ_INT(get_policy(&mode, &mask, NULL, 0), 0);
	CHECK_EQ_INT(mode, MPOL_PREFERRED | MPOL_F_STATIC_NODES);
	CHECK_EQ_INT(mask, 1);
	CHECK_EQ_INT(set_policy(MPOL_LOCAL, 0, 0), 0);
	CHECK_ERRNO(get_policy(&mode, NULL, NULL, MPOL_F_NODE), EINVAL);
	CHECK_EQ_INT(get_policy(&mode, &mask, NULL, MPOL_F_MEMS_ALLOWED), 0);
	CHECK_EQ_INT(mask & 1, 1);
	/* The errors. */
	CHECK_ERRNO(set_policy(MPOL_BIND, 0, 2), EINVAL);    /* no node */
	CHECK_ERRNO(set_policy(MPOL_DEFAULT, 1, 2), EINVAL); /* a node */
	CHECK_ERRNO(set_policy(MPOL_LOCAL, 1, 2), EINVAL);
	CHECK_ERRNO(set_policy(77, 1, 2), EINVAL);
	CHECK_ERRNO(
	    set_policy(MPOL_BIND | MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES,
		       1, 2),
	    EINVAL);
	CHECK_ERRNO(syscall(SYS_set_mempolicy, MPOL_BIND, 8, 64), EFAULT);
	CHECK_ERRNO(get_policy(&mode, NULL, NULL, 0x10), EINVAL);
	CHECK_ERRNO(get_policy(&mode, NULL, (void *)4096, 0), EINVAL);
	CHECK_ERRNO(
	    get_policy(&mode, &mask, NULL, MPOL_F_MEMS_ALLOWED | MPOL_F_NODE),
	    EINVAL);
	CHECK_ERRNO(syscall(SYS_get_mempolicy, &mode, &mask, 0, NULL, 0),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_get_mempolicy, 8, NULL, 0, NULL, 0), EFAULT);
	CHECK_EQ_INT(set_policy(MPOL_DEFAULT, 0, 0), 0);
}

static long mbind_(void *addr, size_t len, int mode, unsigned long mask,
		   unsigned flags)
{
	return syscall(SYS_mbind, addr, len, mode, &mask, 64, flags);
}

static void range_policy(void)
{
	char *p = map(4);
	unsigned long mask = 0;
	int mode = -1;

	if (!CHECK(p))
		return;
	CHECK_EQ_INT(mbind_(p + PAGE, 2 * PAGE, MPOL_BIND, 1, MPOL_MF_STRICT),
		     0);
	CHECK_EQ_INT(get_policy(&mode, &mask, p + PAGE, MPOL_F_ADDR), 0);
	CHECK_EQ_INT(mode, MPOL_BIND);
	CHECK_EQ_INT(mask, 1);
	CHECK_EQ_INT(get_policy(&mode, NULL, p, MPOL_F_ADDR), 0);
	CHECK_EQ_INT(mode, MPOL_DEFAULT);
	p[PAGE] = 1;
	CHECK_EQ_INT(
	    get_policy(&mode, NULL, p + PAGE, MPOL_F_ADDR | MPOL_F_NODE), 0);
	CHECK_EQ_INT(mode, 0); /* the page is on node 0 */
	/* MPOL_DEFAULT gives the range back to the task's policy. */
	CHECK_EQ_INT(mbind_(p + PAGE, PAGE, MPOL_DEFAULT, 0, 0), 0);
	CHECK_EQ_INT(get_policy(&mode, NULL, p + PAGE, MPOL_F_ADDR), 0);
	CHECK_EQ_INT(mode, MPOL_DEFAULT);
	CHECK_EQ_INT(get_policy(&mode, NULL, p + 2 * PAGE, MPOL_F_ADDR), 0);
	CHECK_EQ_INT(mode, MPOL_BIND);
	/* The errors: flags, alignment, a hole, the policy itself. */
	CHECK_ERRNO(mbind_(p, PAGE, MPOL_BIND, 1, 0x10), EINVAL);
	CHECK_ERRNO(mbind_(p + 1, PAGE, MPOL_BIND, 1, 0), EINVAL);
	CHECK_ERRNO(mbind_(p, PAGE, MPOL_BIND, 0, 0), EINVAL);
	CHECK_EQ_INT(mbind_(p, 0, MPOL_BIND, 0, 0), 0); /* empty: nothing */
	munmap(p + 3 * PAGE, PAGE);
	CHECK_ERRNO(mbind_(p, 4 * PAGE, MPOL_BIND, 1, 0), EFAULT);
	CHECK_ERRNO(get_policy(&mode, NULL, p + 3 * PAGE, MPOL_F_ADDR), EFAULT);
	munmap(p, 3 * PAGE);
}

static int has_ospke(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "flags", 5) && strstr(line, " ospke");
	if (f)
		fclose(f);
	return found;
}

static void protection_keys(void)
{
	char *p = map(1);
	int key;

	CHECK_ERRNO(syscall(SYS_pkey_alloc, 1, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_pkey_alloc, 0, 4), EINVAL);
	key = syscall(SYS_pkey_alloc, 0, 0);
	if (has_ospke()) {
		CHECK(key > 0);
		CHECK_EQ_INT(
		    syscall(SYS_pkey_mprotect, p, PAGE, PROT_READ, key), 0);
		CHECK_EQ_INT(syscall(SYS_pkey_free, key), 0);
	} else {
		CHECK_EQ_INT(key, -1);
		/* No keys on this CPU. */
		CHECK_ERRNO(syscall(SYS_pkey_alloc, 0, 0), ENOSPC);
		CHECK_ERRNO(syscall(SYS_pkey_mprotect, p, PAGE, PROT_READ, 1),
			    EINVAL);
	}
	CHECK_ERRNO(syscall(SYS_pkey_free, 15), EINVAL);
	/* Key -1: plain mprotect. */
	CHECK_EQ_INT(syscall(SYS_pkey_mprotect, p, PAGE, PROT_READ, -1), 0);
	CHECK_ERRNO(syscall(SYS_pkey_mprotect, p + 1, PAGE, PROT_READ, -1),
		    EINVAL);
	munmap(p, PAGE);
}

int main(void)
{
	abi_init("numa");
	ABI_RUN(advice_values);
	ABI_RUN(process_madvise_on_itself);
	ABI_RUN(task_policy);
	ABI_RUN(range_policy);
	ABI_RUN(protection_keys);
	return abi_done();
}
