/*
 * The application's address space: a sorted array of VMAs under one mutex,
 * and the page-table work to go with them. Anonymous pages are allocated
 * zeroed on the first fault (or at once by as_populate); PROT_NONE regions
 * have no page-table entries at all. Unmapping frees the pages.
 *
 * The array is small and simple on purpose: programs have tens to a few
 * thousand mappings; a tree can replace it behind the same interface.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"

#define EOPNOTSUPP 95 /* as linux/sys.h */

struct vma {
	uint64_t start, end;
	uint32_t prot, flags;
	void *file;	/* a file's mapping: one reference per VMA */
	uint64_t pgoff; /* the file page shown at start */
};

#define MAX_VMAS 4096

/*
 * One address space: its page table and VMAs. A thread reaches its own
 * through thread->as (NULL: the first process's, as_first, whose page
 * table is the kernel's own: a program that never forks uses nothing
 * else). Ownership: the fields are under `lock`; `refs` (atomic) counts
 * the processes using it (a vfork child shares its parent's) and the
 * caller of as_fork until it hands its reference on.
 */
struct as {
	struct mutex lock;
	uint64_t *pml4; /* lower half ours, upper half the kernel's */
	struct vma *vmas;
	unsigned nvmas, cap;
	uint64_t mmap_base;
	void **deferred; /* file references to put after unlocking */
	unsigned ndeferred, deferred_cap;
	int refs; /* atomic */
};

static struct vma first_vmas[MAX_VMAS];
static struct as as_first = {
	.lock = MUTEX_INIT, .vmas = first_vmas, .cap = MAX_VMAS,
	.mmap_base = 0x7f0000000000ull, .refs = 1};
static const struct vma_file_ops *file_ops;

void as_first_init(uint64_t *pml4)
{
	as_first.pml4 = pml4;
}

/* Inline: the system calls that check a user range ask. */
static inline struct as *cur_as(void)
{
	if (!several_as())
		return &as_first;
	struct thread *t = current_thread();
	struct as *a = likely(t) ? t->as : NULL;

	return likely(!a) ? &as_first : a;
}

uint64_t as_cr3(const struct as *a)
{
	return virt_to_phys(a ? a->pml4 : as_first.pml4);
}

/* Under a->lock: room for n more VMAs (the first's array is fixed). */
static int room(struct as *a, unsigned n)
{
	unsigned cap;
	struct vma *grown;

	if (a->nvmas + n <= a->cap)
		return 0;
	if (a->nvmas + n > MAX_VMAS)
		return -ENOMEM;
	cap = MIN(MAX(2 * a->cap, a->nvmas + n), (unsigned)MAX_VMAS);
	grown = realloc(a->vmas, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	a->vmas = grown;
	a->cap = cap;
	return 0;
}

void as_set_file_ops(const struct vma_file_ops *ops)
{
	file_ops = ops;
}

/* A piece of v starting at `start`: same file, its own reference. */
static struct vma piece(const struct vma *v, uint64_t start, uint64_t end,
			uint32_t prot)
{
	struct vma p = *v;

	p.start = start;
	p.end = end;
	p.prot = prot;
	if (p.file) {
		p.pgoff += (start - v->start) / PAGE_SIZE;
		file_ops->get(p.file);
	}
	return p;
}

/*
 * File references dropped under as_lock wait in `deferred` and are put
 * after it is released: putting may call into the file system, which
 * itself faults into as_lock (lock order: file system, then as_lock).
 * Before a carve, reserve_drops grows the array to hold every reference
 * the carve may drop, so that a drop never fails half-way through an
 * unmap (one munmap may drop thousands: VMAs are never merged). unlock
 * puts them one at a time with as_lock released around each put; it may
 * put another thread's, which is as good.
 */

static unsigned files_inside(uint64_t start, uint64_t end)
{
	struct as *a = cur_as();
	unsigned n = 0;

	for (unsigned i = 0; i < a->nvmas; i++)
		n += a->vmas[i].file && a->vmas[i].start >= start && a->vmas[i].end <= end;
	return n;
}

static int reserve_drops(uint64_t start, uint64_t end)
{
	struct as *a = cur_as();
	unsigned need = a->ndeferred + files_inside(start, end);

	if (need <= a->deferred_cap)
		return 0;
	unsigned cap = MAX(need, MAX(2 * a->deferred_cap, 64u));
	void **grown = realloc(a->deferred, cap * sizeof(void *));
	if (!grown)
		return -ENOMEM;
	a->deferred = grown;
	a->deferred_cap = cap;
	return 0;
}

static void drop_file(struct vma *v)
{
	struct as *a = cur_as();
	if (v->file)
		a->deferred[a->ndeferred++] = v->file;
	v->file = NULL;
}

static void unlock(void)
{
	struct as *a = cur_as();
	while (a->ndeferred) {
		void *file = a->deferred[--a->ndeferred];

		mutex_unlock(&a->lock);
		file_ops->put(file);
		mutex_lock(&a->lock);
	}
	mutex_unlock(&a->lock);
}

static uint64_t pte_flags(uint32_t prot)
{
	uint64_t f = 0;

	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

static bool range_ok(uint64_t addr, uint64_t len)
{
	uint64_t end;

	return len && !(addr & (PAGE_SIZE - 1)) && !add_overflows(addr, len, &end) &&
	       addr >= USER_MIN && end <= USER_TOP;
}

/*
 * A PROT_NONE page keeps its frame in a page-table entry without PTE_P, so
 * that mprotect back to readable finds the data again.
 */
static uint64_t frame_of(uint64_t va)
{
	struct as *a = cur_as();
	uint64_t *pte = vm_pte(a->pml4, va);

	return pte ? *pte & PTE_ADDR_MASK : 0;
}

/* Software bits: the page belongs to someone else (the vDSO's data page,
 * as_borrow); the page's frame may be shared with another address space
 * or the page cache (copy on write). */
#define PTE_BORROWED (1ull << 9)
#define PTE_COW (1ull << 10)

/*
 * Frees the pages held in [start, end): in batches, each unmapped and
 * shot down from every TLB before its frames go back to the allocator.
 * 2 MiB blocks with no page table are skipped whole: a thread's exit
 * discards its 8 MiB stack, most of it never touched.
 */
#define RELEASE_BATCH 64
#define BLOCK (2ull << 20)
static void release_pages_of(struct as *a, uint64_t start, uint64_t end)
{
	uint64_t frames[RELEASE_BATCH];

	while (start < end) {
		uint64_t block_end = MIN(end, ALIGN_DOWN(start, BLOCK) + BLOCK);
		/* One walk per batch: the entries of a 2 MiB block lie side by
		 * side in its page table (a 2 MiB page is split first). */
		uint64_t *pte = vm_block_used(a->pml4, start)
					? vm_pte(a->pml4, start)
					: NULL;

		if (!pte) {
			start = block_end;
			continue;
		}
		uint64_t stop = MIN(block_end, start + RELEASE_BATCH * PAGE_SIZE);
		unsigned n = 0, cleared = 0;

		for (uint64_t va = start; va < stop; va += PAGE_SIZE, pte++) {
			if (!*pte)
				continue;
			if (!(*pte & PTE_BORROWED))
				frames[n++] = *pte & PTE_ADDR_MASK;
			*pte = 0;
			cleared++;
		}
		if (cleared)
			tlb_flush_range(start, stop);
		while (n)
			pmm_frame_put(frames[--n]); /* shared: the last one frees */
		start = stop;
	}
}

static void release_pages(uint64_t start, uint64_t end)
{
	release_pages_of(cur_as(), start, end);
}

/* The PTE bits a page keeps whatever its protection becomes. */
#define PTE_KEEP (PTE_ADDR_MASK | PTE_BORROWED | PTE_COW)

/* Gives the held page at va the access `prot` allows (never writing to a
 * frame shared copy-on-write); the caller flushes the TLBs. */
static void set_access(uint64_t va, uint32_t prot)
{
	struct as *a = cur_as();
	uint64_t *pte = vm_pte(a->pml4, va);

	if (!pte || !*pte)
		return;
	uint64_t f = pte_flags(prot);
	if (*pte & PTE_COW)
		f &= ~PTE_W;
	*pte = (*pte & PTE_KEEP) | f | (prot == PROT_NONE ? 0 : PTE_P);
}

static void insert_at(unsigned i, struct vma v)
{
	struct as *a = cur_as();
	memmove(&a->vmas[i + 1], &a->vmas[i], (a->nvmas - i) * sizeof(v));
	a->vmas[i] = v;
	a->nvmas++;
}

static void remove_at(unsigned i)
{
	struct as *a = cur_as();
	memmove(&a->vmas[i], &a->vmas[i + 1], (a->nvmas - i - 1) * sizeof(a->vmas[0]));
	a->nvmas--;
}

/* Cuts [start, end) out of the VMA list (pages are the caller's). */
static int carve(uint64_t start, uint64_t end)
{
	struct as *a = cur_as();
	for (unsigned i = 0; i < a->nvmas; i++) {
		struct vma *v = &a->vmas[i];

		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {
			if (room(a, 1))
				return -ENOMEM;
			v = &a->vmas[i]; /* the array may have moved */
			struct vma tail = piece(v, end, v->end, v->prot);
			v->end = start;
			insert_at(i + 1, tail);
			return 0;
		}
		if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->pgoff += (end - v->start) / PAGE_SIZE;
			v->start = end;
		} else {
			drop_file(v);
			remove_at(i);
			i--;
		}
	}
	return 0;
}

static bool overlaps(uint64_t start, uint64_t end)
{
	struct as *a = cur_as();
	for (unsigned i = 0; i < a->nvmas; i++)
		if (a->vmas[i].start < end && a->vmas[i].end > start)
			return true;
	return false;
}

/* Under the lock: whether a VMA in [start, end) is sealed (mseal) and,
 * with ro_private, also private and not writable (the ones whose pages
 * a discarding madvise may not drop, as Linux's is_ro_anon). */
static bool sealed(uint64_t start, uint64_t end, bool ro_private)
{
	struct as *a = cur_as();
	for (unsigned i = 0; i < a->nvmas; i++) {
		const struct vma *v = &a->vmas[i];

		if (v->start < end && v->end > start && (v->flags & VMA_SEALED) &&
		    (!ro_private || !(v->flags & VMA_SHARED || v->prot & PROT_WRITE)))
			return true;
	}
	return false;
}

/* The highest free gap of `len` bytes below mmap_base. */
static uint64_t find_free(uint64_t len)
{
	struct as *a = cur_as();
	uint64_t top = a->mmap_base;

	if (len > top - USER_MIN)
		return 0;
	for (unsigned i = a->nvmas; i-- > 0;) {
		if (a->vmas[i].start >= top)
			continue;
		if (a->vmas[i].end <= top - len && top - len >= USER_MIN)
			return top - len;
		top = a->vmas[i].start;
		if (top < len + USER_MIN)
			return 0;
	}
	return top - len >= USER_MIN ? top - len : 0;
}

static int insert_sorted(struct vma v)
{
	struct as *a = cur_as();
	unsigned i = 0;

	if (room(a, 1))
		return -ENOMEM;
	while (i < a->nvmas && a->vmas[i].start < v.start)
		i++;
	insert_at(i, v);
	return 0;
}

int as_map(uint64_t *addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	struct as *a = cur_as();
	int err = 0;

	len = ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&a->lock);
	if (flags & (VMA_FIXED | VMA_NOREPLACE)) {
		if (!range_ok(*addr, len)) {
			err = -EINVAL;
		} else if (overlaps(*addr, *addr + len)) {
			if (flags & VMA_NOREPLACE)
				err = -EEXIST;
			else if (sealed(*addr, *addr + len, false))
				err = -EPERM;
			else if (!(err = reserve_drops(*addr, *addr + len)) &&
				 !(err = carve(*addr, *addr + len)))
				release_pages(*addr, *addr + len);
		}
	} else {
		*addr = find_free(len);
		if (!*addr)
			err = -ENOMEM;
	}
	if (!err)
		err = insert_sorted((struct vma){
			.start = *addr, .end = *addr + len, .prot = prot,
			.flags = flags & ~(VMA_FIXED | VMA_NOREPLACE)});
	unlock();
	return err;
}

int as_map_file(uint64_t *addr, uint64_t len, uint32_t prot, uint32_t flags,
		void *file, uint64_t pgoff)
{
	struct as *a = cur_as();
	int err = as_map(addr, len, prot, flags);

	if (err)
		return err;
	mutex_lock(&a->lock);
	for (unsigned i = 0; i < a->nvmas; i++)
		if (a->vmas[i].start == *addr) {
			file_ops->get(file);
			a->vmas[i].file = file;
			a->vmas[i].pgoff = pgoff;
		}
	unlock();
	return 0;
}

int as_unmap(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	int err;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	mutex_lock(&a->lock);
	err = sealed(addr, addr + len, false) ? -EPERM
					       : reserve_drops(addr, addr + len);
	if (!err)
		err = carve(addr, addr + len);
	if (!err)
		release_pages(addr, addr + len);
	unlock();
	return err;
}

int as_discard(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	mutex_lock(&a->lock);
	bool mapped = as_accessible(addr, len, PROT_NONE);
	bool refused = mapped && sealed(addr, addr + len, true);
	if (mapped && !refused)
		release_pages(addr, addr + len);
	unlock();
	return refused ? -EPERM : mapped ? 0 : -ENOMEM;
}

/* Sets the protection of [start, end), which must be fully mapped. */
int as_protect(uint64_t addr, uint64_t len, uint32_t prot)
{
	struct as *a = cur_as();
	uint64_t end;
	int err = 0;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	end = addr + len;
	mutex_lock(&a->lock);
	if (!as_accessible(addr, len, PROT_NONE)) {
		err = -ENOMEM; /* Linux: part of the range is not mapped */
		goto out;
	}
	if (sealed(addr, end, false)) {
		err = -EPERM;
		goto out;
	}
	/* Split at both ends, then retag the VMAs inside. */
	for (unsigned i = 0; i < a->nvmas && !err; i++) {
		struct vma *v = &a->vmas[i];

		if (v->end <= addr || v->start >= end)
			continue;
		struct vma old = *v;
		if (old.start < addr || old.end > end) {
			if (room(a, 2)) {
				err = -ENOMEM;
				break;
			}
			remove_at(i);
			uint64_t s = MAX(old.start, addr), e = MIN(old.end, end);
			if (old.start < s)
				insert_sorted(piece(&old, old.start, s, old.prot));
			insert_sorted(piece(&old, s, e, prot));
			if (e < old.end)
				insert_sorted(piece(&old, e, old.end, old.prot));
			drop_file(&old); /* each piece took its own */
			i = 0; /* the array moved: start over; bounded by splits */
			continue;
		}
		v->prot = prot;
	}
	if (!err) {
		for (uint64_t va = addr; va < end; va += PAGE_SIZE)
			set_access(va, prot);
		tlb_flush_range(addr, end);
	}
out:
	unlock();
	return err;
}

/* Under the lock: the VMA around addr becomes two at addr. */
static int split_at(struct as *a, uint64_t addr)
{
	for (unsigned i = 0; i < a->nvmas; i++) {
		struct vma *v = &a->vmas[i];

		if (v->start >= addr || v->end <= addr)
			continue;
		if (room(a, 1))
			return -ENOMEM;
		v = &a->vmas[i]; /* the array may have moved */
		struct vma tail = piece(v, addr, v->end, v->prot);
		v->end = addr;
		insert_at(i + 1, tail);
		return 0;
	}
	return 0;
}

int as_seal(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	int err;

	if (!range_ok(addr, len))
		return -ENOMEM;
	mutex_lock(&a->lock);
	err = as_accessible(addr, len, PROT_NONE) ? 0 : -ENOMEM;
	if (!err)
		err = split_at(a, addr);
	if (!err)
		err = split_at(a, addr + len);
	for (unsigned i = 0; i < a->nvmas && !err; i++)
		if (a->vmas[i].start >= addr && a->vmas[i].end <= addr + len)
			a->vmas[i].flags |= VMA_SEALED;
	unlock();
	return err;
}

bool as_sealed(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	uint64_t end;

	if (add_overflows(addr, len, &end))
		return false;
	mutex_lock(&a->lock);
	bool r = sealed(addr, end, false);
	unlock();
	return r;
}

/* ---- pinning frames for a device (Linux's pin_user_pages) ---- */
/* Under a->lock: the frame at va, if present with the access asked (for
 * `write`, writable, so not shared copy on write); 0 if a fault must
 * bring it; 1 for a 2 MiB page (not pinned by 4 KiB frame). */
static uint64_t pinnable(struct as *a, uint64_t va, bool write)
{
	uint64_t pa, fl;

	if (!vm_translate(a->pml4, va, &pa, &fl) || !(fl & PTE_P))
		return 0;
	if (fl & PTE_PS)
		return 1;
	if (write && !(fl & PTE_W))
		return 0;
	return pa & ~(uint64_t)(PAGE_SIZE - 1);
}

/* One frame of va, faulted in as needed: the frame, or -errno. */
static int64_t pin_one(struct as *a, uint64_t va, bool write)
{
	for (int tries = 0; tries < 4; tries++) {
		mutex_lock(&a->lock);
		uint64_t pa = pinnable(a, va, write);
		if (pa > 1)
			pmm_frame_share(pa);
		mutex_unlock(&a->lock);
		if (pa == 1)
			return -EOPNOTSUPP;
		if (pa)
			return (int64_t)pa;
		if (!as_fault(va, write, false))
			return -EFAULT;
	}
	return -EFAULT; /* unmapped under us each time */
}

int as_pin(uint64_t addr, uint64_t len, bool write, uint64_t *frames,
	   unsigned max)
{
	struct as *a = cur_as();
	uint64_t end, va = ALIGN_DOWN(addr, PAGE_SIZE);
	unsigned n = 0;
	int64_t r = 0;

	if (add_overflows(addr, len, &end) || addr < USER_MIN || end > USER_TOP)
		return -EFAULT;
	for (; va < end && r >= 0; va += PAGE_SIZE) {
		r = n < max ? pin_one(a, va, write) : -E2BIG;
		if (r >= 0)
			frames[n++] = (uint64_t)r;
	}
	if (r >= 0)
		return (int)n;
	while (n)
		pmm_frame_put(frames[--n]);
	return (int)r;
}

static const struct vma *find_in(const struct as *a, uint64_t addr)
{
	for (unsigned i = 0; i < a->nvmas; i++)
		if (addr >= a->vmas[i].start && addr < a->vmas[i].end)
			return &a->vmas[i];
	return NULL;
}

static const struct vma *find(uint64_t addr)
{
	return find_in(cur_as(), addr);
}

int as_borrow(uint64_t addr, uint64_t phys, uint64_t len)
{
	struct as *a = cur_as();
	int err = -EINVAL;

	if (!range_ok(addr, len) || phys % PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&a->lock);
	const struct vma *v = find(addr);
	if (v && !v->file && addr + len <= v->end) {
		err = 0;
		for (uint64_t off = 0; off < len && !err; off += PAGE_SIZE)
			if (frame_of(addr + off))
				err = -EEXIST;
		if (!err)
			err = vm_map(a->pml4, addr, phys, len,
				     pte_flags(v->prot) | PTE_BORROWED);
	}
	unlock();
	return err;
}

/*
 * A large anonymous mapping gets 2 MiB pages: when the aligned 2 MiB
 * block around va lies inside the VMA and nothing is mapped in it yet,
 * one zeroed 2 MiB page backs it all (fewer faults, fewer TLB misses).
 * Under as_lock; false: use 4 KiB pages.
 */
#define HUGE (2ull << 20)
int as_thp_disabled;

static bool back_huge(const struct vma *v, uint64_t va)
{
	struct as *a = cur_as();
	uint64_t base = ALIGN_DOWN(va, HUGE);

	if (v->file || __atomic_load_n(&as_thp_disabled, __ATOMIC_RELAXED) ||
	    base < v->start || base + HUGE > v->end ||
	    vm_block_used(a->pml4, base))
		return false;
	uint64_t pa = pmm_alloc(PAGE_ORDER_2M);
	if (!pa)
		return false;
	memset(phys_to_virt(pa), 0, HUGE);
	if (vm_map(a->pml4, base, pa, HUGE, pte_flags(v->prot) | PTE_PS)) {
		pmm_free(pa, PAGE_ORDER_2M);
		return false;
	}
	return true;
}

/* Maps a zeroed page at va; under as_lock. */
static int back_page(uint64_t va, uint32_t prot)
{
	struct as *a = cur_as();
	uint64_t pa = pmm_alloc(0);

	if (!pa)
		return -ENOMEM;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	int err = vm_map(a->pml4, va, pa, PAGE_SIZE, pte_flags(prot));
	if (err)
		pmm_free(pa, 0);
	return err;
}

static bool map_file_page(uint64_t va, void *file, uint64_t index,
			  bool shared);

/* Backs the page at va: a zeroed page, or the file's (mapped outside
 * as_lock, which the file system may not be called under). */
static int populate_page(struct as *a, uint64_t va)
{
	mutex_lock(&a->lock);
	const struct vma *v = find(va);
	int err = !v ? -EFAULT : frame_of(va) || v->file ? 0 : back_page(va, v->prot);
	void *file = v && !frame_of(va) ? v->file : NULL;
	uint64_t index = file ? v->pgoff + (va - v->start) / PAGE_SIZE : 0;
	bool shared = file && (v->flags & VMA_SHARED);

	if (file)
		file_ops->get(file);
	unlock();
	if (file) {
		if (!map_file_page(va, file, index, shared))
			err = file_ops->past_eof(file, index) ? -EFAULT : -ENOMEM;
		file_ops->put(file);
	}
	return err;
}

int as_populate(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	int err = 0;

	for (uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len && !err;
	     va += PAGE_SIZE)
		err = populate_page(a, va);
	return err;
}

/*
 * Maps the file's page at va, taking as_lock again around the mapping.
 * The page cache hands over a reference to the frame, which the page
 * table entry keeps (release_pages puts it). A private mapping shows
 * the cache's frame read-only and copy-on-write: the first write copies
 * it (cow_break), exactly as after fork, since the cache holds a
 * reference too. A shared one writes the cache's frame itself.
 */
static bool map_file_page(uint64_t va, void *file, uint64_t index,
			  bool shared)
{
	struct as *a = cur_as();
	/* file system: no a->lock */
	uint64_t pa = file_ops->page(file, index, shared);
	bool ok = false, mapped = false;

	if (!pa)
		return false; /* past the end of the file, or no memory */
	mutex_lock(&a->lock);
	const struct vma *v = find(va);
	if (v && v->file == file && !frame_of(va)) {
		uint64_t f = pte_flags(v->prot);

		if (!(v->flags & VMA_SHARED))
			f = (f & ~PTE_W) | PTE_COW;
		ok = mapped = vm_map(a->pml4, va, pa, PAGE_SIZE, f) == 0;
	} else {
		ok = v != NULL; /* raced with another fault or a change */
	}
	unlock();
	if (!mapped)
		pmm_frame_put(pa);
	return ok;
}

/* ---- copy on write ---- */

static bool is_cow(struct as *a, uint64_t va)
{
	uint64_t *pte = vm_pte(a->pml4, va);

	return pte && (*pte & PTE_COW);
}

/*
 * A write to a page fork shared: the last holder takes the frame back
 * as it is; the others copy it, and put their reference only after every
 * TLB has forgotten the old frame (another thread of this address space
 * could still be reading it through a stale entry). Under a->lock.
 */
static bool cow_break(struct as *a, uint64_t va, uint32_t prot)
{
	uint64_t *pte = vm_pte(a->pml4, va);
	uint64_t old = *pte & PTE_ADDR_MASK;

	if (pmm_frame_shared(old)) {
		uint64_t pa = pmm_alloc(0);

		if (!pa)
			return false;
		memcpy(phys_to_virt(pa), phys_to_virt(old), PAGE_SIZE);
		*pte = (*pte & ~(PTE_ADDR_MASK | PTE_COW)) | pa;
		set_access(va, prot);
		tlb_flush_range(va, va + PAGE_SIZE);
		pmm_frame_put(old);
		return true;
	}
	*pte &= ~PTE_COW;
	set_access(va, prot);
	invlpg(va); /* access only grew */
	return true;
}

int as_own(uint64_t addr, uint64_t len)
{
	struct as *a = cur_as();
	int err = as_populate(addr, len);

	mutex_lock(&a->lock);
	for (uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len && !err;
	     va += PAGE_SIZE) {
		const struct vma *v = find(va);

		if (!v || !(v->prot & PROT_WRITE))
			err = -EFAULT;
		else if (is_cow(a, va) && !cow_break(a, va, v->prot))
			err = -ENOMEM;
	}
	unlock();
	return err;
}

/* ---- fork and the end of an address space ---- */

/* A new address space: the kernel's upper half, nothing below. */
static struct as *as_alloc(unsigned cap)
{
	struct as *a = calloc(1, sizeof(*a));
	uint64_t pml4 = pmm_alloc_table_page();

	if (!a || !pml4)
		goto out_free;
	a->vmas = malloc(MAX(cap, 1u) * sizeof(struct vma));
	if (!a->vmas)
		goto out_free;
	a->cap = MAX(cap, 1u);
	a->pml4 = phys_to_virt(pml4);
	memcpy(a->pml4 + 256, as_first.pml4 + 256, 256 * sizeof(uint64_t));
	mutex_init(&a->lock);
	a->refs = 1;
	return a;
out_free:
	if (pml4)
		pmm_free(pml4, 0);
	free(a ? a->vmas : NULL);
	free(a);
	return NULL;
}

/* The parent's entry for va, shared into the child's table. Private
 * pages become copy-on-write in both; MAP_SHARED ones stay as they are. */
static int fork_pte(struct as *child, const struct vma *v, uint64_t va,
		    uint64_t *pte)
{
	uint64_t *to = vm_pte_alloc(child->pml4, va);

	if (!to)
		return -ENOMEM;
	if (!(*pte & PTE_BORROWED)) {
		pmm_frame_share(*pte & PTE_ADDR_MASK);
		if (!(v->flags & VMA_SHARED))
			*pte = (*pte & ~PTE_W) | PTE_COW;
	}
	*to = *pte;
	return 0;
}

/* Shared anonymous memory must exist before fork to be shared. */
static int populate_shared(struct as *a, const struct vma *v)
{
	if (!(v->flags & VMA_SHARED) || v->file || v->prot == PROT_NONE)
		return 0;
	for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE) {
		uint64_t *pte = vm_pte(a->pml4, va);

		if ((!pte || !*pte) && back_page(va, v->prot))
			return -ENOMEM;
	}
	return 0;
}

static int fork_vma(struct as *parent, struct as *child, const struct vma *v)
{
	int err = populate_shared(parent, v);

	for (uint64_t va = v->start; va < v->end && !err;) {
		uint64_t block_end = MIN(v->end, ALIGN_DOWN(va, BLOCK) + BLOCK);

		if (!vm_block_used(parent->pml4, va)) {
			va = block_end;
			continue;
		}
		for (; va < block_end && !err; va += PAGE_SIZE) {
			uint64_t *pte = vm_pte(parent->pml4, va);

			if (!pte)
				err = -ENOMEM; /* a 2 MiB page could not split */
			else if (*pte)
				err = fork_pte(child, v, va, pte);
		}
	}
	return err;
}

static void copy_vmas(struct as *parent, struct as *child)
{
	memcpy(child->vmas, parent->vmas, parent->nvmas * sizeof(struct vma));
	child->nvmas = parent->nvmas;
	child->mmap_base = parent->mmap_base;
	for (unsigned i = 0; i < child->nvmas; i++)
		if (child->vmas[i].file)
			file_ops->get(child->vmas[i].file);
}

struct as *as_fork(void)
{
	struct as *parent = cur_as();
	int err = 0;

	mutex_lock(&parent->lock);
	struct as *child = as_alloc(parent->nvmas + 16);
	if (child)
		copy_vmas(parent, child);
	for (unsigned i = 0; child && i < child->nvmas && !err; i++)
		err = fork_vma(parent, child, &child->vmas[i]);
	/* The parent's pages lost their write access: every CPU running
	 * one of its threads must see it before it returns. */
	tlb_flush_range(USER_MIN, USER_TOP);
	unlock();
	if (child && err) {
		as_put(child);
		child = NULL;
	}
	return child;
}

void as_get(struct as *a)
{
	__atomic_fetch_add(&(a ? a : &as_first)->refs, 1, __ATOMIC_RELAXED);
}

/* Frees the lower half's page tables (the leaves are empty by now). */
static void free_tables(uint64_t *table, int level)
{
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = table[i];

		if (!(e & PTE_P) || (e & PTE_PS))
			continue;
		if (level > 1)
			free_tables(phys_to_virt(e & PTE_ADDR_MASK), level - 1);
		pmm_free(e & PTE_ADDR_MASK, 0);
	}
}

/*
 * The last reference: no thread runs on it (each switched to another
 * before putting it), so its table is loaded on no CPU.
 */
void as_put(struct as *a)
{
	if (!a)
		a = &as_first;
	if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; i < a->nvmas; i++) {
		release_pages_of(a, a->vmas[i].start, a->vmas[i].end);
		if (a->vmas[i].file)
			file_ops->put(a->vmas[i].file);
	}
	a->nvmas = 0;
	if (a == &as_first)
		return; /* its tables are the kernel's: they stay */
	for (unsigned i = 0; i < 256; i++)
		if (a->pml4[i] & PTE_P) {
			free_tables(phys_to_virt(a->pml4[i] & PTE_ADDR_MASK), 2);
			pmm_free(a->pml4[i] & PTE_ADDR_MASK, 0);
		}
	pmm_free(virt_to_phys(a->pml4), 0);
	free(a->deferred);
	free(a->vmas);
	free(a);
}

struct as *as_new(void)
{
	struct as *a = as_alloc(16);

	if (a)
		a->mmap_base = as_first.mmap_base;
	return a;
}

bool as_fault(uint64_t addr, bool write, bool exec)
{
	struct as *a = cur_as();
	bool ok = false;

	if (addr < USER_MIN || addr >= USER_TOP)
		return false;
	mutex_lock(&a->lock);
	const struct vma *v = find(addr);
	if (v && (v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) &&
	    (!write || (v->prot & PROT_WRITE)) && (!exec || (v->prot & PROT_EXEC))) {
		uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);

		if (!frame_of(va) && v->file) {
			void *file = v->file;
			uint64_t index = v->pgoff + (va - v->start) / PAGE_SIZE;
			bool shared = v->flags & VMA_SHARED;

			file_ops->get(file);
			unlock();
			ok = map_file_page(va, file, index, shared);
			file_ops->put(file);
			return ok;
		} else if (!frame_of(va)) {
			ok = back_huge(v, va) || back_page(va, v->prot) == 0;
		} else if (write && is_cow(a, va)) {
			ok = cow_break(a, va, v->prot);
		} else {
			/* Present already (another thread won) or kept. Access
			 * only grows here: other CPUs' stale entries fault
			 * and come here too. */
			set_access(va, v->prot);
			invlpg(va);
			ok = true;
		}
	}
	unlock();
	return ok;
}

int as_sync_files(uint64_t addr, uint64_t len, int (*sync)(void *file))
{
	struct as *a = cur_as();
	int err = 0;

	for (uint64_t va = addr; va < addr + len;) {
		mutex_lock(&a->lock);
		const struct vma *v = find(va);
		void *file = v && (v->flags & VMA_SHARED) ? v->file : NULL;
		uint64_t end = v ? v->end : va + PAGE_SIZE;

		if (file)
			file_ops->get(file);
		unlock();
		if (file) {
			err = sync(file) ?: err;
			file_ops->put(file);
		}
		va = end;
	}
	return err;
}

bool as_fault_is_bus(uint64_t addr)
{
	struct as *a = cur_as();
	bool bus = false;

	void *file = NULL;
	uint64_t index = 0;

	mutex_lock(&a->lock);
	const struct vma *v = find(addr);
	if (v && v->file) {
		file = v->file;
		index = v->pgoff + (ALIGN_DOWN(addr, PAGE_SIZE) - v->start) / PAGE_SIZE;
		file_ops->get(file);
	}
	unlock();
	if (file) {
		bus = file_ops->past_eof(file, index);
		file_ops->put(file);
	}
	return bus;
}

void *as_file_at(uint64_t addr, uint64_t *pgoff, uint64_t *end)
{
	struct as *a = cur_as();
	void *file = NULL;

	mutex_lock(&a->lock);
	const struct vma *v = find(addr);
	*end = v ? v->end : ALIGN_DOWN(addr, PAGE_SIZE) + PAGE_SIZE;
	if (v && v->file) {
		file = v->file;
		*pgoff = v->pgoff + (ALIGN_DOWN(addr, PAGE_SIZE) - v->start) / PAGE_SIZE;
	}
	unlock();
	return file;
}

/* Inline twice below: the first address space's copy finds it at a
 * constant address. */
static inline __attribute__((always_inline)) bool
accessible_in(const struct as *as, uint64_t addr, uint64_t len, uint32_t prot)
{
	uint64_t end;

	if (add_overflows(addr, len, &end))
		return false;
	for (uint64_t a = addr; a < end;) {
		const struct vma *v = find_in(as, a);

		if (!v || (v->prot & prot) != prot)
			return false;
		a = v->end;
	}
	return true;
}

bool as_accessible(uint64_t addr, uint64_t len, uint32_t prot)
{
	if (!several_as())
		return accessible_in(&as_first, addr, len, prot);
	return accessible_in(cur_as(), addr, len, prot);
}

void as_walk(void (*fn)(uint64_t, uint64_t, uint32_t, uint32_t, void *),
	     void *arg)
{
	struct as *a = cur_as();
	mutex_lock(&a->lock);
	for (unsigned i = 0; i < a->nvmas; i++)
		fn(a->vmas[i].start, a->vmas[i].end, a->vmas[i].prot, a->vmas[i].flags, arg);
	unlock();
}

void as_set_mmap_base(uint64_t base)
{
	struct as *a = cur_as();
	a->mmap_base = ALIGN_DOWN(base, PAGE_SIZE);
}

/* ---- another process's address space, for /proc/<pid> ---- */
void as_walk_in(struct as *a,
		void (*fn)(uint64_t, uint64_t, uint32_t, uint32_t, void *),
		void *arg)
{
	if (!a)
		a = &as_first;
	mutex_lock(&a->lock);
	for (unsigned i = 0; i < a->nvmas; i++)
		fn(a->vmas[i].start, a->vmas[i].end, a->vmas[i].prot,
		   a->vmas[i].flags, arg);
	mutex_unlock(&a->lock);
}

void as_resident(struct as *a, uint64_t *anon, uint64_t *file)
{
	if (!a)
		a = &as_first;
	*anon = *file = 0;
	mutex_lock(&a->lock);
	for (unsigned i = 0; i < a->nvmas; i++) {
		const struct vma *v = &a->vmas[i];
		uint64_t n = vm_present_pages(a->pml4, v->start, v->end);

		*(v->file ? file : anon) += n;
	}
	mutex_unlock(&a->lock);
}

/* Under a->lock: the bytes at va up to the end of its page, if present. */
static size_t read_page_in(struct as *a, uint64_t va, void *buf, size_t n)
{
	uint64_t phys = vm_phys(a->pml4, va);
	size_t in_page = PAGE_SIZE - (va & (PAGE_SIZE - 1));

	if (!phys)
		return 0;
	n = MIN(n, in_page);
	memcpy(buf, phys_to_virt(phys), n);
	return n;
}

size_t as_read(struct as *a, uint64_t addr, void *buf, size_t n)
{
	size_t done = 0, got = 1;

	if (!a)
		a = &as_first;
	mutex_lock(&a->lock);
	while (done < n && got && addr + done >= USER_MIN &&
	       addr + done < USER_TOP) {
		got = read_page_in(a, addr + done, (char *)buf + done, n - done);
		done += got;
	}
	mutex_unlock(&a->lock);
	return done;
}
