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
#include "kernel/sync/sync.h"

struct vma {
	uint64_t start, end;
	uint32_t prot, flags;
	void *file;	/* MAP_SHARED of a file: one reference per VMA */
	uint64_t pgoff; /* the file page shown at start */
};

#define MAX_VMAS 4096
/* Under as_lock. */
static struct vma vmas[MAX_VMAS];
static unsigned nvmas;
static uint64_t mmap_base = 0x7f0000000000ull;
static struct mutex as_lock = MUTEX_INIT;
static const struct vma_file_ops *file_ops;

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
static void **deferred; /* under as_lock */
static unsigned ndeferred, deferred_cap;

static unsigned files_inside(uint64_t start, uint64_t end)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nvmas; i++)
		n += vmas[i].file && vmas[i].start >= start && vmas[i].end <= end;
	return n;
}

static int reserve_drops(uint64_t start, uint64_t end)
{
	unsigned need = ndeferred + files_inside(start, end);

	if (need <= deferred_cap)
		return 0;
	unsigned cap = MAX(need, MAX(2 * deferred_cap, 64u));
	void **grown = realloc(deferred, cap * sizeof(void *));
	if (!grown)
		return -ENOMEM;
	deferred = grown;
	deferred_cap = cap;
	return 0;
}

static void drop_file(struct vma *v)
{
	if (v->file)
		deferred[ndeferred++] = v->file;
	v->file = NULL;
}

static void unlock(void)
{
	while (ndeferred) {
		void *file = deferred[--ndeferred];

		mutex_unlock(&as_lock);
		file_ops->put(file);
		mutex_lock(&as_lock);
	}
	mutex_unlock(&as_lock);
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
	uint64_t *pte = vm_pte(kernel_pml4, va);

	return pte ? *pte & PTE_ADDR_MASK : 0;
}

/* A software bit: the page belongs to someone else (a file). */
#define PTE_BORROWED (1ull << 9)

/*
 * Frees the pages held in [start, end): in batches, each unmapped and
 * shot down from every TLB before its frames go back to the allocator.
 * 2 MiB blocks with no page table are skipped whole: a thread's exit
 * discards its 8 MiB stack, most of it never touched.
 */
#define RELEASE_BATCH 64
#define BLOCK (2ull << 20)
static void release_pages(uint64_t start, uint64_t end)
{
	uint64_t frames[RELEASE_BATCH];

	while (start < end) {
		uint64_t block_end = MIN(end, ALIGN_DOWN(start, BLOCK) + BLOCK);
		/* One walk per batch: the entries of a 2 MiB block lie side by
		 * side in its page table (a 2 MiB page is split first). */
		uint64_t *pte = vm_block_used(kernel_pml4, start)
					? vm_pte(kernel_pml4, start)
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
			pmm_free(frames[--n], 0);
		start = stop;
	}
}

/* Gives the held page at va the access `prot` allows; the caller flushes
 * the TLBs. */
static void set_access(uint64_t va, uint32_t prot)
{
	uint64_t *pte = vm_pte(kernel_pml4, va);

	if (!pte || !*pte)
		return;
	*pte = (*pte & (PTE_ADDR_MASK | PTE_BORROWED)) | pte_flags(prot) |
	       (prot == PROT_NONE ? 0 : PTE_P);
}

static void insert_at(unsigned i, struct vma v)
{
	memmove(&vmas[i + 1], &vmas[i], (nvmas - i) * sizeof(v));
	vmas[i] = v;
	nvmas++;
}

static void remove_at(unsigned i)
{
	memmove(&vmas[i], &vmas[i + 1], (nvmas - i - 1) * sizeof(vmas[0]));
	nvmas--;
}

/* Cuts [start, end) out of the VMA list (pages are the caller's). */
static int carve(uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < nvmas; i++) {
		struct vma *v = &vmas[i];

		if (v->end <= start || v->start >= end)
			continue;
		if (v->start < start && v->end > end) {
			if (nvmas == MAX_VMAS)
				return -ENOMEM;
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
	for (unsigned i = 0; i < nvmas; i++)
		if (vmas[i].start < end && vmas[i].end > start)
			return true;
	return false;
}

/* The highest free gap of `len` bytes below mmap_base. */
static uint64_t find_free(uint64_t len)
{
	uint64_t top = mmap_base;

	if (len > top - USER_MIN)
		return 0;
	for (unsigned i = nvmas; i-- > 0;) {
		if (vmas[i].start >= top)
			continue;
		if (vmas[i].end <= top - len && top - len >= USER_MIN)
			return top - len;
		top = vmas[i].start;
		if (top < len + USER_MIN)
			return 0;
	}
	return top - len >= USER_MIN ? top - len : 0;
}

static int insert_sorted(struct vma v)
{
	unsigned i = 0;

	if (nvmas == MAX_VMAS)
		return -ENOMEM;
	while (i < nvmas && vmas[i].start < v.start)
		i++;
	insert_at(i, v);
	return 0;
}

int as_map(uint64_t *addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	int err = 0;

	len = ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&as_lock);
	if (flags & (VMA_FIXED | VMA_NOREPLACE)) {
		if (!range_ok(*addr, len)) {
			err = -EINVAL;
		} else if (overlaps(*addr, *addr + len)) {
			if (flags & VMA_NOREPLACE)
				err = -EEXIST;
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
	int err = as_map(addr, len, prot, flags);

	if (err)
		return err;
	mutex_lock(&as_lock);
	for (unsigned i = 0; i < nvmas; i++)
		if (vmas[i].start == *addr) {
			file_ops->get(file);
			vmas[i].file = file;
			vmas[i].pgoff = pgoff;
		}
	unlock();
	return 0;
}

int as_unmap(uint64_t addr, uint64_t len)
{
	int err;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	mutex_lock(&as_lock);
	err = reserve_drops(addr, addr + len);
	if (!err)
		err = carve(addr, addr + len);
	if (!err)
		release_pages(addr, addr + len);
	unlock();
	return err;
}

int as_discard(uint64_t addr, uint64_t len)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	mutex_lock(&as_lock);
	bool mapped = as_accessible(addr, len, PROT_NONE);
	if (mapped)
		release_pages(addr, addr + len);
	unlock();
	return mapped ? 0 : -ENOMEM;
}

/* Sets the protection of [start, end), which must be fully mapped. */
int as_protect(uint64_t addr, uint64_t len, uint32_t prot)
{
	uint64_t end;
	int err = 0;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	end = addr + len;
	mutex_lock(&as_lock);
	if (!as_accessible(addr, len, PROT_NONE)) {
		err = -ENOMEM; /* Linux: part of the range is not mapped */
		goto out;
	}
	/* Split at both ends, then retag the VMAs inside. */
	for (unsigned i = 0; i < nvmas && !err; i++) {
		struct vma *v = &vmas[i];

		if (v->end <= addr || v->start >= end)
			continue;
		struct vma old = *v;
		if (old.start < addr || old.end > end) {
			if (nvmas + 2 > MAX_VMAS) {
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

static const struct vma *find(uint64_t addr)
{
	for (unsigned i = 0; i < nvmas; i++)
		if (addr >= vmas[i].start && addr < vmas[i].end)
			return &vmas[i];
	return NULL;
}

int as_borrow(uint64_t addr, uint64_t phys, uint64_t len)
{
	int err = -EINVAL;

	if (!range_ok(addr, len) || phys % PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&as_lock);
	const struct vma *v = find(addr);
	if (v && !v->file && addr + len <= v->end) {
		err = 0;
		for (uint64_t off = 0; off < len && !err; off += PAGE_SIZE)
			if (frame_of(addr + off))
				err = -EEXIST;
		if (!err)
			err = vm_map(kernel_pml4, addr, phys, len,
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
	uint64_t base = ALIGN_DOWN(va, HUGE);

	if (v->file || __atomic_load_n(&as_thp_disabled, __ATOMIC_RELAXED) || base < v->start || base + HUGE > v->end ||
	    vm_block_used(kernel_pml4, base))
		return false;
	uint64_t pa = pmm_alloc(PAGE_ORDER_2M);
	if (!pa)
		return false;
	memset(phys_to_virt(pa), 0, HUGE);
	if (vm_map(kernel_pml4, base, pa, HUGE, pte_flags(v->prot) | PTE_PS)) {
		pmm_free(pa, PAGE_ORDER_2M);
		return false;
	}
	return true;
}

/* Maps a zeroed page at va; under as_lock. */
static int back_page(uint64_t va, uint32_t prot)
{
	uint64_t pa = pmm_alloc(0);

	if (!pa)
		return -ENOMEM;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	int err = vm_map(kernel_pml4, va, pa, PAGE_SIZE, pte_flags(prot));
	if (err)
		pmm_free(pa, 0);
	return err;
}

int as_populate(uint64_t addr, uint64_t len)
{
	int err = 0;

	mutex_lock(&as_lock);
	for (uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len && !err;
	     va += PAGE_SIZE) {
		const struct vma *v = find(va);

		if (!v)
			err = -EFAULT;
		else if (!frame_of(va) && !v->file)
			err = back_page(va, v->prot);
	}
	unlock();
	return err;
}

/* Maps the file's page at va, taking as_lock again around the mapping. */
static bool map_file_page(uint64_t va, void *file, uint64_t index)
{
	uint64_t pa = file_ops->page(file, index); /* file system: no as_lock */
	bool ok = false;

	if (!pa)
		return false; /* past the end of the file */
	mutex_lock(&as_lock);
	const struct vma *v = find(va);
	if (v && v->file == file && !frame_of(va))
		ok = vm_map(kernel_pml4, va, pa, PAGE_SIZE,
			    pte_flags(v->prot) | PTE_BORROWED) == 0;
	else
		ok = v != NULL; /* raced with another fault or a change */
	unlock();
	return ok;
}

bool as_fault(uint64_t addr, bool write, bool exec)
{
	bool ok = false;

	if (addr < USER_MIN || addr >= USER_TOP)
		return false;
	mutex_lock(&as_lock);
	const struct vma *v = find(addr);
	if (v && (v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) &&
	    (!write || (v->prot & PROT_WRITE)) && (!exec || (v->prot & PROT_EXEC))) {
		uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);

		if (!frame_of(va) && v->file) {
			void *file = v->file;
			uint64_t index = v->pgoff + (va - v->start) / PAGE_SIZE;

			file_ops->get(file);
			unlock();
			ok = map_file_page(va, file, index);
			file_ops->put(file);
			return ok;
		} else if (!frame_of(va)) {
			ok = back_huge(v, va) || back_page(va, v->prot) == 0;
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

bool as_fault_is_bus(uint64_t addr)
{
	bool bus = false;

	void *file = NULL;
	uint64_t index = 0;

	mutex_lock(&as_lock);
	const struct vma *v = find(addr);
	if (v && v->file) {
		file = v->file;
		index = v->pgoff + (ALIGN_DOWN(addr, PAGE_SIZE) - v->start) / PAGE_SIZE;
		file_ops->get(file);
	}
	unlock();
	if (file) {
		bus = !file_ops->page(file, index);
		file_ops->put(file);
	}
	return bus;
}

bool as_accessible(uint64_t addr, uint64_t len, uint32_t prot)
{
	uint64_t end;

	if (add_overflows(addr, len, &end))
		return false;
	for (uint64_t a = addr; a < end;) {
		const struct vma *v = find(a);

		if (!v || (v->prot & prot) != prot)
			return false;
		a = v->end;
	}
	return true;
}

void as_walk(void (*fn)(uint64_t, uint64_t, uint32_t, uint32_t, void *),
	     void *arg)
{
	mutex_lock(&as_lock);
	for (unsigned i = 0; i < nvmas; i++)
		fn(vmas[i].start, vmas[i].end, vmas[i].prot, vmas[i].flags, arg);
	unlock();
}

void as_set_mmap_base(uint64_t base)
{
	mmap_base = ALIGN_DOWN(base, PAGE_SIZE);
}
