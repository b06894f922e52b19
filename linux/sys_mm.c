/*
 * Memory system calls: mmap, munmap, mprotect, madvise, brk. Anonymous
 * memory is demand-zero (kernel/mm/vma.c); file mappings are filled from
 * the file when made (linux/sys_fs.c: mmap_file).
 */
#include "kernel/mm/mm.h"
#include "linux/process.h"
#include "linux/sys.h"

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_DENYWRITE 0x800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN                                                              \
	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN |               \
	 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |        \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_FIXED_NOREPLACE)

struct process process = {.brk_lock = MUTEX_INIT};

long mmap_file(uint64_t addr, uint64_t len, int fd, uint64_t off);
long mmap_file_check(int fd, long prot, long flags);
long mmap_file_shared(uint64_t *addr, uint64_t len, uint32_t prot,
		      uint32_t flags, int fd, uint64_t off);

static uint32_t vma_flags(long flags)
{
	uint32_t f = 0;

	if (flags & MAP_FIXED_NOREPLACE)
		f |= VMA_NOREPLACE;
	else if (flags & MAP_FIXED)
		f |= VMA_FIXED;
	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		f |= VMA_SHARED;
	if (flags & (MAP_STACK | MAP_GROWSDOWN))
		f |= VMA_STACK;
	return f;
}

long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
	uint64_t a = (uint64_t)addr;
	long type = flags & MAP_TYPE;
	int err;

	if (len <= 0 || (off & (PAGE_SIZE - 1)) || (prot & ~7))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
		return -EOPNOTSUPP;
	if (flags & MAP_HUGETLB) {
		linux_missing("mmap MAP_HUGETLB");
		return -EINVAL;
	}
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (a & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		long r = mmap_file_check((int)fd, prot, flags);

		if (r)
			return r;
	}
	/* Without MAP_FIXED the address is only a hint; we place freely. */
	if (!(flags & MAP_ANONYMOUS) && type != MAP_PRIVATE)
		return mmap_file_shared(&a, (uint64_t)len, (uint32_t)prot,
					vma_flags(flags), (int)fd, (uint64_t)off)
			       ?: (long)a;
	err = as_map(&a, (uint64_t)len,
		     (flags & MAP_ANONYMOUS) ? (uint32_t)prot
					     : (uint32_t)prot | PROT_WRITE | PROT_READ,
		     vma_flags(flags));
	if (err)
		return err;
	if (!(flags & MAP_ANONYMOUS)) {
		/* A private copy: filled writable, then given its protection. */
		long r = mmap_file(a, (uint64_t)len, (int)fd, (uint64_t)off);

		if (r == 0)
			r = as_protect(a, ALIGN_UP((uint64_t)len, PAGE_SIZE),
				       (uint32_t)prot);
		if (r) {
			as_unmap(a, ALIGN_UP((uint64_t)len, PAGE_SIZE));
			return r;
		}
	} else if (flags & MAP_POPULATE) {
		as_populate(a, (uint64_t)len);
	}
	return (long)a;
}

long sys_munmap(long addr, long len, long c, long d, long e, long f)
{
	if ((addr & (PAGE_SIZE - 1)) || len <= 0)
		return -EINVAL;
	return as_unmap(addr, len);
}

long sys_mprotect(long addr, long len, long prot, long d, long e, long f)
{
	if ((addr & (PAGE_SIZE - 1)) || len < 0)
		return -EINVAL;
	if (prot & ~7) {
		/* PROT_GROWSDOWN/UP: honoured as a plain mprotect is wrong. */
		linux_missing("mprotect PROT_GROWSDOWN/PROT_GROWSUP");
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	return as_protect(addr, len, (uint32_t)prot);
}

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17

long sys_madvise(long addr, long len, long advice, long d, long e, long f)
{
	if ((addr & (PAGE_SIZE - 1)) || len < 0)
		return -EINVAL;
	if (len && !as_accessible(addr, ALIGN_UP((uint64_t)len, PAGE_SIZE),
				  PROT_NONE))
		return -ENOMEM;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
		/* Anonymous private memory reads back as zeros afterwards. */
		return as_discard(addr, len);
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		return 0; /* hints: ignoring them is a correct implementation */
	default:
		return -EINVAL;
	}
}

/*
 * The break: [brk_start, brk_end) is one VMA that grows and shrinks; it
 * may not run into another mapping. Linux returns the old break on
 * failure rather than an error.
 */
long sys_brk(long addr, long b, long c, long d, long e, long f)
{
	uint64_t want = (uint64_t)addr, ret;

	mutex_lock(&process.brk_lock);
	uint64_t old_top = ALIGN_UP(process.brk_end, PAGE_SIZE);
	uint64_t new_top = ALIGN_UP(want, PAGE_SIZE);
	ret = process.brk_end;
	if (want < process.brk_start || want > process.brk_limit)
		goto out;
	if (new_top > old_top) {
		uint64_t at = old_top;

		if (as_map(&at, new_top - old_top, PROT_READ | PROT_WRITE,
			   VMA_NOREPLACE | VMA_HEAP))
			goto out;
	} else if (new_top < old_top) {
		as_unmap(new_top, old_top - new_top);
	}
	process.brk_end = want;
	ret = want;
out:
	mutex_unlock(&process.brk_lock);
	return (long)ret;
}

/* Everything mapped is resident: pages are never swapped out. */
long sys_mincore(long addr, long len, long uvec, long d, long e, long f)
{
	uint64_t pages = ALIGN_UP((uint64_t)len, PAGE_SIZE) / PAGE_SIZE;
	uint8_t chunk[256];

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (len < 0 || !as_accessible(addr, pages * PAGE_SIZE, PROT_NONE))
		return -ENOMEM;
	for (uint64_t done = 0; done < pages;) {
		uint64_t n = MIN(pages - done, sizeof(chunk));

		for (uint64_t i = 0; i < n; i++)
			chunk[i] = vm_translate(kernel_pml4,
						addr + (done + i) * PAGE_SIZE,
						NULL, NULL);
		if (copy_to_user(uvec + done, chunk, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/* File mappings are private copies (sys_mmap), so there is nothing to
 * write back; the range must still be mapped. */
long sys_msync(long addr, long len, long flags, long d, long e, long f)
{
	if ((addr & (PAGE_SIZE - 1)) || (flags & ~7) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (len && !as_accessible(addr, ALIGN_UP((uint64_t)len, PAGE_SIZE),
				  PROT_NONE))
		return -ENOMEM;
	return 0;
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

/* mremap: shrink in place, grow in place when the pages after are free,
 * else (MREMAP_MAYMOVE) move: map anew, copy, unmap the old range. */
long sys_mremap(long old, long old_len, long new_len, long flags, long naddr,
		long f)
{
	uint64_t o = (uint64_t)old;
	uint64_t ol = ALIGN_UP((uint64_t)old_len, PAGE_SIZE);
	uint64_t nl = ALIGN_UP((uint64_t)new_len, PAGE_SIZE);

	if ((o & (PAGE_SIZE - 1)) || new_len <= 0 ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (flags & MREMAP_FIXED) {
		linux_missing("mremap MREMAP_FIXED");
		return -EINVAL;
	}
	if (!ol || !as_accessible(o, ol, PROT_NONE))
		return -EFAULT;
	if (nl <= ol) {
		if (nl < ol)
			as_unmap(o + nl, ol - nl);
		return (long)o;
	}
	uint64_t tail = o + ol;
	if (as_map(&tail, nl - ol, PROT_READ | PROT_WRITE, VMA_NOREPLACE) == 0)
		return (long)o; /* grew in place */
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	uint64_t to = 0;
	int err = as_map(&to, nl, PROT_READ | PROT_WRITE, 0);
	if (err)
		return err;
	memcpy((void *)to, (const void *)o, ol);
	as_unmap(o, ol);
	return (long)to;
}
