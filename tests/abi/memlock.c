/*
 * mlock, mlock2, munlock, mlockall, munlockall (man 2 mlock) and
 * membarrier (man 2 membarrier): what they accept and refuse, and that
 * locked memory is there (mincore says resident).
 */
#include "common.h"

#include <linux/membarrier.h>
#include <sys/mman.h>

static long membarrier(int cmd, unsigned flags)
{
	return syscall(SYS_membarrier, cmd, flags, 0);
}

static void mlock_makes_resident_and_checks_ranges(void)
{
	size_t n = 16 * 4096;
	unsigned char vec[16];
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK_EQ_INT(mlock(p + 100, 5000), 0); /* rounded out to pages */
	CHECK_EQ_INT(mincore(p, 2 * 4096, vec), 0);
	CHECK(vec[0] & 1);
	CHECK(vec[1] & 1);
	CHECK_EQ_INT(munlock(p, n), 0);
	CHECK_EQ_INT(syscall(SYS_mlock2, p, n, 1 /* MLOCK_ONFAULT */), 0);
	CHECK_ERRNO(syscall(SYS_mlock2, p, n, 2), EINVAL);
	CHECK_EQ_INT(munmap(p + 8 * 4096, 4096), 0);
	CHECK_ERRNO(mlock(p, n), ENOMEM); /* a hole in the range */
	CHECK_ERRNO(munlock(p, n), ENOMEM);
	CHECK_ERRNO(mlock((void *)-4096L, 8192), EINVAL); /* wraps */
	CHECK_EQ_INT(mlock(p, 0), 0);
	munmap(p, n);
}

static void mlockall_flags(void)
{
	CHECK_ERRNO(mlockall(0), EINVAL);
	CHECK_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
	CHECK_ERRNO(mlockall(8), EINVAL);
	CHECK_EQ_INT(mlockall(MCL_FUTURE), 0);
	/* A new mapping comes in resident. */
	unsigned char vec[4];
	char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ_INT(mincore(p, 4 * 4096, vec), 0);
	CHECK((vec[0] & 1) && (vec[3] & 1));
	munmap(p, 4 * 4096);
	CHECK_EQ_INT(munlockall(), 0);
	CHECK_EQ_INT(mlockall(MCL_CURRENT | MCL_ONFAULT), 0);
	CHECK_EQ_INT(munlockall(), 0);
}

static void membarrier_commands(void)
{
	long q = membarrier(MEMBARRIER_CMD_QUERY, 0);

	CHECK(q > 0);
	CHECK(q & MEMBARRIER_CMD_GLOBAL);
	CHECK(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	CHECK(q & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	CHECK_EQ_INT(membarrier(MEMBARRIER_CMD_GLOBAL, 0), 0);
	CHECK_ERRNO(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), EPERM);
	CHECK_EQ_INT(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0),
		     0);
	CHECK_EQ_INT(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0);
	CHECK_ERRNO(membarrier(MEMBARRIER_CMD_QUERY, 1), EINVAL);
	CHECK_ERRNO(membarrier(1 << 20, 0), EINVAL);
}

int main(void)
{
	abi_init("memlock");
	ABI_RUN(mlock_makes_resident_and_checks_ranges);
	ABI_RUN(mlockall_flags);
	ABI_RUN(membarrier_commands);
	return abi_done();
}
