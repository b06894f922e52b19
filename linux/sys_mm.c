/*
 * Memory system calls: mmap, munmap, mprotect, madvise, brk, the mlock
 * family, membarrier. Anonymous memory is demand-zero (kernel/mm/vma.c);
 * file mappings show the page cache's frames, a private one copying a
 * page on its first write (linux/sys_fs.c: mmap_file_map).
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
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

static long lock_new(uint64_t start, uint64_t len);
long mmap_file_check(int fd, long prot, long flags);
long mmap_file_map(uint64_t *addr, uint64_t len, uint32_t prot,
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
	if (!(flags & MAP_ANONYMOUS))
		err = (int)mmap_file_map(&a, (uint64_t)len, (uint32_t)prot,
					 vma_flags(flags), (int)fd, (uint64_t)off);
	else
		err = as_map(&a, (uint64_t)len, (uint32_t)prot, vma_flags(flags));
	if (err)
		return err;
	if (flags & MAP_POPULATE)
		as_populate(a, (uint64_t)len);
	err = (int)lock_new(a, (uint64_t)len);
	if (err) {
		as_unmap(a, ALIGN_UP((uint64_t)len, PAGE_SIZE));
		return err;
	}
	return (long)a;
}

long sys_munmap(long addr, long len, long c, long d, long e, long f)
{
	long r;

	if ((addr & (PAGE_SIZE - 1)) || len <= 0)
		return -EINVAL;
	r = as_unmap(addr, len);
	if (!r)
		mempolicy_unmap((uint64_t)addr, (uint64_t)len);
	return r;
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

/* ---- madvise (man 2 madvise): every advice, answered as Linux ---- */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#define MADV_DONTNEED_LOCKED 24
#define MADV_COLLAPSE 25
#define MADV_HWPOISON 100
#define MADV_SOFT_OFFLINE 101
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103

/*
 * Advice Linux knows but Osprey answers as a kernel built without it
 * (EINVAL, reported once): transparent huge-page collapse, memory-failure
 * injection, guard regions (Linux 6.13), and MADV_REMOVE, which needs a
 * shared writable file mapping and is EINVAL on private memory anyway.
 */
static long madvise_unsupported(long advice)
{
	switch (advice) {
	case MADV_COLLAPSE:
		linux_missing("madvise MADV_COLLAPSE");
		return -EINVAL;
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
		linux_missing("madvise MADV_HWPOISON/MADV_SOFT_OFFLINE");
		return -EINVAL;
	case MADV_GUARD_INSTALL:
	case MADV_GUARD_REMOVE:
		linux_missing("madvise MADV_GUARD_INSTALL/REMOVE");
		return -EINVAL;
	case MADV_REMOVE:
		linux_missing("madvise MADV_REMOVE");
		return -EINVAL;
	default:
		return -EINVAL; /* not an advice at all */
	}
}

static bool madvise_known(long advice)
{
	return (advice >= MADV_NORMAL && advice <= MADV_DONTNEED) ||
	       (advice >= MADV_FREE && advice <= MADV_COLLAPSE) ||
	       (advice >= MADV_HWPOISON && advice <= MADV_GUARD_REMOVE);
}

/* The advice on a mapped, page-aligned, non-empty range. */
static long madvise_range(uint64_t addr, uint64_t len, long advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		/* Anonymous private memory reads back as zeros afterwards. */
		return as_discard(addr, len);
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		if (!as_accessible(addr, len, advice == MADV_POPULATE_READ
						      ? PROT_READ
						      : PROT_READ | PROT_WRITE))
			return -EINVAL; /* Linux: incompatible permissions */
		return as_populate(addr, len);
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
	case MADV_WIPEONFORK: /* no fork: nothing ever inherits the range */
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT: /* nothing is ever paged out */
		return 0; /* hints: ignoring them is a correct implementation */
	default:
		return madvise_unsupported(advice);
	}
}

/* Linux's order (mm/madvise.c): the advice, the start, the length, then
 * the mapping. */
long sys_madvise(long addr, long len, long advice, long d, long e, long f)
{
	uint64_t alen = ALIGN_UP((uint64_t)len, PAGE_SIZE), end;

	if (!madvise_known(advice))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((len && !alen) || add_overflows((uint64_t)addr, alen, &end))
		return -EINVAL;
	if (!alen)
		return 0;
	if (!as_accessible(addr, alen, PROT_NONE))
		return -ENOMEM;
	return madvise_range((uint64_t)addr, alen, advice);
}

/*
 * process_madvise (man 2 process_madvise): madvise over an iovec, on the
 * process a pidfd names, which can only be this one (as Linux 6.13 on
 * itself, any advice). The bytes advised, or the first error.
 */
struct iovec_mm {
	uint64_t base, len;
};
#define UIO_MAXIOV 1024

long sys_process_madvise(long pidfd, long uiov, long n, long advice,
			 long flags, long g)
{
	struct iovec_mm v;
	long done = 0, r;

	if (flags)
		return -EINVAL;
	if (n < 0 || n > UIO_MAXIOV)
		return -EINVAL;
	if (n && !user_range_ok((uint64_t)uiov, (size_t)n * sizeof(v)))
		return -EFAULT;
	r = pidfd_check((int)pidfd);
	if (r)
		return r;
	for (long i = 0; i < n; i++) {
		if (copy_from_user(&v, uiov + i * sizeof(v), sizeof(v)))
			return done ? done : -EFAULT;
		r = sys_madvise((long)v.base, (long)v.len, advice, 0, 0, 0);
		if (r < 0)
			return done ? done : r;
		done += (long)v.len;
	}
	return done;
}

/*
 * Protection keys (man 7 pkeys) as on a CPU without them (no OSPKE):
 * pkey_alloc is ENOSPC (the man page's answer, and Linux's since its fix
 * of x86's allocator), no key is ever allocated, so pkey_free and
 * pkey_mprotect with a key are EINVAL; key -1 is plain mprotect.
 */
#define PKEY_ACCESS_MASK 3

long sys_pkey_alloc(long flags, long rights, long c, long d, long e, long g)
{
	if (flags || (rights & ~(long)PKEY_ACCESS_MASK))
		return -EINVAL;
	return -ENOSPC;
}

long sys_pkey_free(long pkey, long b, long c, long d, long e, long g)
{
	return -EINVAL;
}

long sys_pkey_mprotect(long addr, long len, long prot, long pkey, long e,
		       long g)
{
	if ((addr & (PAGE_SIZE - 1)) || len < 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	if ((int)pkey != -1)
		return -EINVAL; /* no key is allocated */
	return sys_mprotect(addr, len, prot, 0, 0, 0);
}

/*
 * ---- locking memory (man 2 mlock) ----
 * Nothing is ever swapped out, so locking a range means making it
 * resident now: its anonymous pages are backed at once (a file mapping's
 * pages are the file's, resident already), and MCL_FUTURE backs every
 * later mapping as it is made. We are root (CAP_IPC_LOCK): no
 * RLIMIT_MEMLOCK bound applies, as on Linux.
 */
#define MLOCK_ONFAULT 1
#define MCL_CURRENT 1
#define MCL_FUTURE 2
#define MCL_ONFAULT 4

static bool lock_future; /* MCL_FUTURE without MCL_ONFAULT; atomic */

/* The range rounded out to pages, or -EINVAL (overflow) / -ENOMEM (not
 * all mapped), as Linux's mlock checks it. */
static long lock_range(long addr, long len, uint64_t *start, uint64_t *size)
{
	uint64_t a = ALIGN_DOWN((uint64_t)addr, PAGE_SIZE);
	uint64_t end = (uint64_t)addr + (uint64_t)len;

	if (len < 0 || end < (uint64_t)addr || end > USER_TOP)
		return -EINVAL;
	*start = a;
	*size = ALIGN_UP(end, PAGE_SIZE) - a;
	if (*size && !as_accessible(a, *size, PROT_NONE))
		return -ENOMEM;
	return 0;
}

static long populate(uint64_t start, uint64_t size)
{
	long err = size ? as_populate(start, size) : 0;

	return err == -EFAULT ? -ENOMEM : err;
}

long sys_mlock2(long addr, long len, long flags, long d, long e, long f)
{
	uint64_t start, size;
	long err;

	if (flags & ~(long)MLOCK_ONFAULT)
		return -EINVAL;
	err = lock_range(addr, len, &start, &size);
	if (err || (flags & MLOCK_ONFAULT))
		return err;
	return populate(start, size);
}

long sys_mlock(long addr, long len, long c, long d, long e, long f)
{
	return sys_mlock2(addr, len, 0, 0, 0, 0);
}

long sys_munlock(long addr, long len, long c, long d, long e, long f)
{
	uint64_t start, size;

	return lock_range(addr, len, &start, &size);
}

/* The mappings mlockall(MCL_CURRENT) backs: all but PROT_NONE ones. */
struct lock_all {
	uint64_t (*ranges)[2];
	unsigned n, cap;
};

static void collect(uint64_t start, uint64_t end, uint32_t prot,
		    uint32_t flags, void *arg)
{
	struct lock_all *la = arg;

	if (prot != PROT_NONE && la->n < la->cap) {
		la->ranges[la->n][0] = start;
		la->ranges[la->n++][1] = end;
	}
}

static long populate_all(void)
{
	struct lock_all la = {.cap = 4096};
	long err = 0;

	la.ranges = malloc(la.cap * sizeof(*la.ranges));
	if (!la.ranges)
		return -ENOMEM;
	as_walk(collect, &la); /* gathered first: populating takes as_lock */
	for (unsigned i = 0; i < la.n && !err; i++)
		err = populate(la.ranges[i][0], la.ranges[i][1] - la.ranges[i][0]);
	free(la.ranges);
	return err == -ENOMEM ? -EAGAIN : err; /* Linux: some not lockable */
}

long sys_mlockall(long flags, long b, long c, long d, long e, long f)
{
	if (!(flags & (MCL_CURRENT | MCL_FUTURE)) ||
	    (flags & ~(long)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)))
		return -EINVAL;
	__atomic_store_n(&lock_future,
			 (flags & MCL_FUTURE) && !(flags & MCL_ONFAULT),
			 __ATOMIC_RELAXED);
	if (!(flags & MCL_CURRENT) || (flags & MCL_ONFAULT))
		return 0;
	return populate_all();
}

long sys_munlockall(long a, long b, long c, long d, long e, long f)
{
	__atomic_store_n(&lock_future, false, __ATOMIC_RELAXED);
	return 0;
}

/* A new mapping under MCL_FUTURE; Linux fails the mmap when it cannot. */
static long lock_new(uint64_t start, uint64_t len)
{
	if (!__atomic_load_n(&lock_future, __ATOMIC_RELAXED))
		return 0;
	return populate(start, ALIGN_UP(len, PAGE_SIZE)) ? -EAGAIN : 0;
}

/*
 * ---- membarrier (man 2 membarrier) ----
 * GLOBAL waits for every CPU to pass through the scheduler or idle (a
 * grace period: each such pass is a full barrier). The expedited kinds
 * interrupt every other CPU at once instead (an interrupt's return is
 * serializing, which also gives SYNC_CORE); they need the process to have
 * registered first, as on Linux. No rseq: its commands are not offered.
 */
#define MB_GLOBAL 1
#define MB_GLOBAL_EXPEDITED 2
#define MB_REGISTER_GLOBAL_EXPEDITED 4
#define MB_PRIVATE_EXPEDITED 8
#define MB_REGISTER_PRIVATE_EXPEDITED 16
#define MB_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MB_GET_REGISTRATIONS 512
#define MB_SUPPORTED                                                           \
	(MB_GLOBAL | MB_GLOBAL_EXPEDITED | MB_REGISTER_GLOBAL_EXPEDITED |     \
	 MB_PRIVATE_EXPEDITED | MB_REGISTER_PRIVATE_EXPEDITED |               \
	 MB_PRIVATE_EXPEDITED_SYNC_CORE |                                     \
	 MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MB_GET_REGISTRATIONS)

static long mb_registered; /* the REGISTER_* commands issued; atomic */

static void full_barrier(void *unused)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static long expedited(long needs)
{
	if (!(__atomic_load_n(&mb_registered, __ATOMIC_ACQUIRE) & needs))
		return -EPERM;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	preempt_disable();
	xcall_many(sched_online_mask() & ~(1ull << cpu_id()), full_barrier,
		   NULL);
	preempt_enable();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

long sys_membarrier(long cmd, long flags, long cpu, long d, long e, long f)
{
	if (flags)
		return -EINVAL; /* MEMBARRIER_CMD_FLAG_CPU is rseq's */
	switch (cmd) {
	case 0: /* MEMBARRIER_CMD_QUERY */
		return MB_SUPPORTED;
	case MB_GLOBAL:
		synchronize_rcu();
		return 0;
	case MB_GLOBAL_EXPEDITED:
		return expedited(MB_REGISTER_GLOBAL_EXPEDITED);
	case MB_PRIVATE_EXPEDITED:
		return expedited(MB_REGISTER_PRIVATE_EXPEDITED);
	case MB_PRIVATE_EXPEDITED_SYNC_CORE:
		return expedited(MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE);
	case MB_REGISTER_GLOBAL_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED:
	case MB_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		__atomic_fetch_or(&mb_registered, cmd, __ATOMIC_RELEASE);
		return 0;
	case MB_GET_REGISTRATIONS:
		return __atomic_load_n(&mb_registered, __ATOMIC_ACQUIRE);
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

	mutex_lock(&current_process()->brk_lock);
	uint64_t old_top = ALIGN_UP(current_process()->brk_end, PAGE_SIZE);
	uint64_t new_top = ALIGN_UP(want, PAGE_SIZE);
	ret = current_process()->brk_end;
	if (want < current_process()->brk_start || want > current_process()->brk_limit)
		goto out;
	if (new_top > old_top) {
		uint64_t at = old_top;

		if (as_map(&at, new_top - old_top, PROT_READ | PROT_WRITE,
			   VMA_NOREPLACE | VMA_HEAP))
			goto out;
		if (lock_new(old_top, new_top - old_top)) {
			as_unmap(old_top, new_top - old_top);
			goto out;
		}
	} else if (new_top < old_top) {
		as_unmap(new_top, old_top - new_top);
	}
	current_process()->brk_end = want;
	ret = want;
out:
	mutex_unlock(&current_process()->brk_lock);
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

/* MS_SYNC writes back the files of the shared mappings in the range
 * (fsync's path: the page cache's dirty pages, then the disk's cache);
 * MS_ASYNC has nothing to start (Linux: a no-op too). */
static int msync_file(void *file)
{
	return vfs_fsync(file);
}

long sys_msync(long addr, long len, long flags, long d, long e, long f)
{
	if ((addr & (PAGE_SIZE - 1)) || (flags & ~7) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (len && !as_accessible(addr, ALIGN_UP((uint64_t)len, PAGE_SIZE),
				  PROT_NONE))
		return -ENOMEM;
	if (len && (flags & MS_SYNC))
		return as_sync_files((uint64_t)addr,
				     ALIGN_UP((uint64_t)len, PAGE_SIZE), msync_file);
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
	if (as_sealed(o, ol))
		return -EPERM; /* mseal */
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
