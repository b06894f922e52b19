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
};

#define MAX_VMAS 4096
/* Under as_lock. */
static struct vma vmas[MAX_VMAS];
static unsigned nvmas;
static uint64_t mmap_base = 0x7f0000000000ull;
static struct mutex as_lock = MUTEX_INIT;

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

/* Frees the pages held in [start, end). */
static void release_pages(uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t *pte = vm_pte(kernel_pml4, va);

		if (!pte || !*pte)
			continue;
		uint64_t pa = *pte & PTE_ADDR_MASK;
		bool borrowed = *pte & PTE_BORROWED;
		*pte = 0;
		invlpg(va);
		if (!borrowed)
			pmm_free(pa, 0);
	}
}

/* Gives the held page at va the access `prot` allows. */
static void set_access(uint64_t va, uint32_t prot)
{
	uint64_t *pte = vm_pte(kernel_pml4, va);

	if (!pte || !*pte)
		return;
	*pte = (*pte & (PTE_ADDR_MASK | PTE_BORROWED)) | pte_flags(prot) |
	       (prot == PROT_NONE ? 0 : PTE_P);
	invlpg(va);
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
			struct vma tail = *v;
			tail.start = end;
			v->end = start;
			insert_at(i + 1, tail);
			return 0;
		}
		if (v->start < start) {
			v->end = start;
		} else if (v->end > end) {
			v->start = end;
		} else {
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
			else if (!(err = carve(*addr, *addr + len)))
				release_pages(*addr, *addr + len);
		}
	} else {
		*addr = find_free(len);
		if (!*addr)
			err = -ENOMEM;
	}
	if (!err)
		err = insert_sorted((struct vma){*addr, *addr + len, prot,
						 flags & ~(VMA_FIXED | VMA_NOREPLACE)});
	mutex_unlock(&as_lock);
	return err;
}

int as_unmap(uint64_t addr, uint64_t len)
{
	int err;

	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -EINVAL;
	mutex_lock(&as_lock);
	err = carve(addr, addr + len);
	if (!err)
		release_pages(addr, addr + len);
	mutex_unlock(&as_lock);
	return err;
}

static const struct vma *find(uint64_t addr);

int as_share_page(uint64_t va, uint64_t phys)
{
	int err;

	mutex_lock(&as_lock);
	const struct vma *v = find(va);
	if (!v) {
		err = -EFAULT;
	} else {
		release_pages(va, va + PAGE_SIZE);
		err = vm_map(kernel_pml4, va, phys, PAGE_SIZE,
			     pte_flags(v->prot) | PTE_BORROWED);
	}
	mutex_unlock(&as_lock);
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
	mutex_unlock(&as_lock);
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
				insert_sorted((struct vma){old.start, s, old.prot, old.flags});
			insert_sorted((struct vma){s, e, prot, old.flags});
			if (e < old.end)
				insert_sorted((struct vma){e, old.end, old.prot, old.flags});
			i = 0; /* the array moved: start over; bounded by splits */
			continue;
		}
		v->prot = prot;
	}
	for (uint64_t va = addr; va < end && !err; va += PAGE_SIZE)
		set_access(va, prot);
out:
	mutex_unlock(&as_lock);
	return err;
}

static const struct vma *find(uint64_t addr)
{
	for (unsigned i = 0; i < nvmas; i++)
		if (addr >= vmas[i].start && addr < vmas[i].end)
			return &vmas[i];
	return NULL;
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
		else if (!frame_of(va))
			err = back_page(va, v->prot);
	}
	mutex_unlock(&as_lock);
	return err;
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

		if (!frame_of(va)) {
			ok = back_page(va, v->prot) == 0;
		} else {
			/* Present already (another thread won) or kept. */
			set_access(va, v->prot);
			ok = true;
		}
	}
	mutex_unlock(&as_lock);
	return ok;
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
	mutex_unlock(&as_lock);
}

void as_set_mmap_base(uint64_t base)
{
	mmap_base = ALIGN_DOWN(base, PAGE_SIZE);
}
