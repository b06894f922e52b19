/*
 * mseal (man 2 mseal, Linux 6.10): seals a mapped range so that it can no
 * longer be unmapped, moved (mremap), have its protection changed, be
 * mapped over (MAP_FIXED), or, for private read-only memory, have its
 * pages dropped by madvise (MADV_DONTNEED and the other discarding
 * advice). Those calls then fail with EPERM. The seal is a VMA flag
 * (kernel/mm's VMA_SEALED): splits keep it, fork copies it, and only the
 * address space's end (exit, execve) removes it, as on Linux.
 */
#include "linux/sys.h"

long sys_mseal(long start, long len_in, long flags, long d, long e, long f)
{
	uint64_t s = (uint64_t)start, len = ALIGN_UP((uint64_t)len_in,
						      PAGE_SIZE);

	if (flags || (s & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (len < (uint64_t)len_in)
		return -ENOMEM; /* Linux: the rounding wrapped */
	if (s + len < s)
		return -EINVAL;
	if (!len)
		return 0;
	return as_seal(s, len);
}
