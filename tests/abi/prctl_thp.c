/*
 * prctl(PR_SET_THP_DISABLE / PR_GET_THP_DISABLE), which ruby calls at
 * start (found by tests/apps/sweep.sh): the flag reads back as set, the
 * unused arguments must be 0 (EINVAL), and memory still works after.
 */
#define _GNU_SOURCE
#include "common.h"

#include <sys/mman.h>
#include <sys/prctl.h>

static void thp_disable_reads_back(void)
{
	CHECK_EQ_INT(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), 0);
	CHECK_EQ_INT(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
	CHECK_EQ_INT(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), 1);
	CHECK_EQ_INT(prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0), 0);
	CHECK_EQ_INT(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), 0);
}

static void unused_arguments_must_be_zero(void)
{
	CHECK_ERRNO(prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_GET_THP_DISABLE, 1, 0, 0, 0), EINVAL);
	CHECK_EQ_INT(prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0), 0);
}

static void large_mapping_after_disable(void)
{
	size_t len = 8 << 20;
	char *p;

	CHECK_EQ_INT(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	CHECK_EQ_INT(p[len - 4096], (char)(len - 4096));
	CHECK_EQ_INT(munmap(p, len), 0);
	CHECK_EQ_INT(prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0), 0);
}

int main(void)
{
	abi_init("prctl_thp");
	ABI_RUN(thp_disable_reads_back);
	ABI_RUN(unused_arguments_must_be_zero);
	ABI_RUN(large_mapping_after_disable);
	return abi_done();
}
