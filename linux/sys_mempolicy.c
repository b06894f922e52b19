/*
 * NUMA memory policies (man 2 set_mempolicy, get_mempolicy, mbind) on a
 * machine with one node, node 0, answered as Linux answers there: every
 * mode is accepted with Linux's checks (a mask must name node 0 where a
 * mode needs nodes, and be empty where it must), the policy is kept and
 * read back, and all memory is on node 0 whatever it says.
 *
 * Kept under mpol_lock: the task policy (Linux keeps one per thread;
 * here it is the process's) and the policies mbind gave to ranges, a
 * small table of disjoint [start, end) ranges that munmap trims.
 */
#include "kernel/mm/mm.h"
#include "kernel/sync/sync.h"
#include "linux/sys.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_PREFERRED_MANY 5
#define MPOL_WEIGHTED_INTERLEAVE 6
#define MPOL_MAX 7
#define MPOL_F_NUMA_BALANCING (1 << 13)
#define MPOL_F_RELATIVE_NODES (1 << 14)
#define MPOL_F_STATIC_NODES (1 << 15)
#define MPOL_MODE_FLAGS                                                        \
	(MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
#define MPOL_F_NODE 1
#define MPOL_F_ADDR 2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_VALID 7	  /* STRICT | MOVE | MOVE_ALL */
#define MAX_NUMNODES 1024 /* a distribution kernel's (NODES_SHIFT 10) */
#define NODE_WORDS (MAX_NUMNODES / 64)
#define RANGES_MAX 64

struct mpol {
	int mode;
	unsigned flags; /* MPOL_F_* mode flags */
	uint64_t nodes; /* what it applies to: 1 (node 0) or 0 */
	uint64_t user;	/* the first 64 bits of the mask given */
};

struct range_pol {
	uint64_t start, end;
	struct mpol pol;
};

static struct mutex mpol_lock = MUTEX_INIT;
static struct mpol task_pol;		    /* under mpol_lock */
static struct range_pol ranges[RANGES_MAX]; /* under mpol_lock */
static unsigned nranges;		    /* under mpol_lock */

/* ---- the mode and its nodes from the application ---- */
static long split_mode(long mode, int *m, unsigned *flags)
{
	*flags = (unsigned)mode & MPOL_MODE_FLAGS;
	*m = (int)(mode & ~(long)MPOL_MODE_FLAGS);
	if (*m < 0 || *m >= MPOL_MAX)
		return -EINVAL;
	if ((*flags & MPOL_F_STATIC_NODES) && (*flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((*flags & MPOL_F_NUMA_BALANCING) && *m != MPOL_BIND &&
	    *m != MPOL_PREFERRED_MANY)
		return -EINVAL;
	return 0;
}

/* Linux's get_nodes: maxnode - 1 bits of the mask; bits past the
 * kernel's MAX_NUMNODES must be clear. *user: the first word. */
static long nodes_in(long umask, uint64_t maxnode, uint64_t *user, bool *any)
{
	uint64_t w, words;

	*user = 0;
	*any = false;
	maxnode--; /* 0 wraps to huge, as Linux's unsigned long */
	if (maxnode == 0 || !umask)
		return 0;
	if (maxnode > PAGE_SIZE * 8)
		return -EINVAL;
	words = (maxnode + 63) / 64;
	for (uint64_t i = 0; i < words; i++) {
		if (copy_from_user(&w, umask + i * 8, 8))
			return -EFAULT;
		if (i == words - 1 && maxnode % 64)
			w &= (1ull << (maxnode % 64)) - 1;
		if (w && i >= NODE_WORDS)
			return -EINVAL;
		if (i == 0)
			*user = w;
		*any = *any || w;
	}
	return 0;
}

/* Linux's mpol_new and mpol_set_nodemask, with node 0 the only one. */
static long mpol_make(int mode, unsigned flags, uint64_t user, bool any,
		      struct mpol *out)
{
	bool relative = flags & MPOL_F_RELATIVE_NODES;

	*out = (struct mpol){.mode = mode, .flags = flags, .user = user};
	if (mode == MPOL_DEFAULT)
		return any ? -EINVAL : 0;
	if (mode == MPOL_PREFERRED && !any) {
		if (flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES))
			return -EINVAL;
		out->mode = MPOL_LOCAL;
		return 0;
	}
	if (mode == MPOL_LOCAL)
		return any || (flags &
			       (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES))
			   ? -EINVAL
			   : 0;
	if (!any)
		return -EINVAL;
	/* Relative masks fold onto the nodes there are; others intersect. */
	out->nodes = relative ? 1 : user & 1;
	return out->nodes ? 0 : -EINVAL;
}

/* ---- the ranges mbind set, under mpol_lock ---- */
/* Cuts [s, e) out of every range (a range around it keeps its left
 * part, and its right part if there is room for it). */
static void ranges_cut(uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < nranges;) {
		struct range_pol *r = &ranges[i];

		if (r->end <= s || r->start >= e) {
			i++;
			continue;
		}
		if (r->start < s && r->end > e && nranges < RANGES_MAX)
			ranges[nranges++] =
			    (struct range_pol){e, r->end, r->pol};
		if (r->start < s) {
			r->end = s;
			i++;
		} else if (r->end > e) {
			r->start = e;
			i++;
		} else {
			*r = ranges[--nranges];
		}
	}
}

static long ranges_set(uint64_t s, uint64_t e, const struct mpol *pol)
{
	ranges_cut(s, e);
	if (pol->mode == MPOL_DEFAULT)
		return 0; /* back to the task's policy */
	if (nranges == RANGES_MAX)
		return -ENOMEM;
	ranges[nranges++] = (struct range_pol){s, e, *pol};
	return 0;
}

static const struct mpol *policy_at(uint64_t addr)
{
	for (unsigned i = 0; i < nranges; i++)
		if (addr >= ranges[i].start && addr < ranges[i].end)
			return &ranges[i].pol;
	return &task_pol;
}

void mempolicy_unmap(uint64_t addr, uint64_t len)
{
	mutex_lock(&mpol_lock);
	ranges_cut(addr, addr + ALIGN_UP(len, PAGE_SIZE));
	mutex_unlock(&mpol_lock);
}

/* ---- the calls ---- */
/* A policy as the application gave it, before mpol_make's checks. */
struct mpol_args {
	int mode;
	unsigned flags;
	uint64_t user;
	bool any;
};

static long args_from_user(long mode, long umask, long maxnode,
			   struct mpol_args *a)
{
	long r = split_mode(mode, &a->mode, &a->flags);

	return r ? r : nodes_in(umask, (uint64_t)maxnode, &a->user, &a->any);
}

static long policy_from_user(long mode, long umask, long maxnode,
			     struct mpol *pol)
{
	struct mpol_args a;
	long r = args_from_user(mode, umask, maxnode, &a);

	return r ? r : mpol_make(a.mode, a.flags, a.user, a.any, pol);
}

long sys_set_mempolicy(long mode, long umask, long maxnode, long d, long e,
		       long g)
{
	struct mpol pol;
	long r = policy_from_user(mode, umask, maxnode, &pol);

	if (r)
		return r;
	mutex_lock(&mpol_lock);
	task_pol = pol;
	mutex_unlock(&mpol_lock);
	return 0;
}

long sys_mbind(long addr, long len, long mode, long umask, long maxnode,
	       long flags)
{
	uint64_t alen = ALIGN_UP((uint64_t)len, PAGE_SIZE), end;
	struct mpol_args a;
	struct mpol pol;
	long r = args_from_user(mode, umask, maxnode, &a);

	if (r)
		return r;
	/* Linux's do_mbind: the flags and the range before the policy. */
	if (flags & ~(long)MPOL_MF_VALID)
		return -EINVAL;
	if ((addr & (PAGE_SIZE - 1)) || add_overflows(addr, alen, &end))
		return -EINVAL;
	if (!alen)
		return 0;
	r = mpol_make(a.mode, a.flags, a.user, a.any, &pol);
	if (r)
		return r;
	if (!as_accessible((uint64_t)addr, alen, PROT_NONE))
		return -EFAULT; /* a hole in the range */
	mutex_lock(&mpol_lock);
	r = ranges_set((uint64_t)addr, end, &pol);
	mutex_unlock(&mpol_lock);
	return r;
}

/* Linux's copy_nodes_to_user: the nodes' word, zeros up to maxnode. */
static long nodes_out(long umask, uint64_t maxnode, uint64_t nodes)
{
	uint64_t bytes = ALIGN_UP(maxnode - 1, 64) / 8, zero = 0;

	if (bytes > PAGE_SIZE)
		return -EINVAL;
	for (uint64_t at = 8; at < bytes; at += 8)
		if (copy_to_user(umask + at, &zero, 8))
			return -EFAULT;
	if (bytes && copy_to_user(umask, &nodes, 8))
		return -EFAULT;
	return 0;
}

/* What get_mempolicy answers (mm/mempolicy.c's do_get_mempolicy). */
static long policy_query(long addr, long flags, int *mode, uint64_t *nodes)
{
	const struct mpol *pol = &task_pol;

	if (flags & ~(long)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		*mode = 0;
		*nodes = 1;
		return flags & (MPOL_F_NODE | MPOL_F_ADDR) ? -EINVAL : 0;
	}
	if (flags & MPOL_F_ADDR) {
		if (!as_accessible((uint64_t)addr, 1, PROT_NONE))
			return -EFAULT;
		pol = policy_at((uint64_t)addr);
	} else if (addr) {
		return -EINVAL;
	}
	*nodes = pol->flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)
		     ? pol->user
		     : pol->nodes;
	if (!(flags & MPOL_F_NODE)) {
		*mode = pol->mode | (int)pol->flags;
		return 0;
	}
	*mode = 0; /* the node of the page, or the next interleave node */
	if (flags & MPOL_F_ADDR)
		return 0;
	return pol == &task_pol && (pol->mode == MPOL_INTERLEAVE ||
				    pol->mode == MPOL_WEIGHTED_INTERLEAVE)
		   ? 0
		   : -EINVAL;
}

long sys_get_mempolicy(long upolicy, long umask, long maxnode, long addr,
		       long flags, long g)
{
	uint64_t nodes = 0;
	int mode = 0;
	long r;

	if (umask && (uint64_t)maxnode < 1)
		return -EINVAL;
	mutex_lock(&mpol_lock);
	r = policy_query(addr, flags, &mode, &nodes);
	mutex_unlock(&mpol_lock);
	if (r)
		return r;
	if (upolicy && copy_to_user(upolicy, &mode, sizeof(mode)))
		return -EFAULT;
	return umask ? nodes_out(umask, (uint64_t)maxnode, nodes) : 0;
}
