/*
 * The page cache of a disk file system's files (see "The page cache" in
 * docs/architecture.md): per inode, a radix tree of 4 KiB frames, 512
 * slots per node like a page table, each slot a page's direct-map
 * address with bit 0 set while the page may differ from the disk
 * (dirty). ramfs keeps its files in a tree of the same shape, where the
 * pages are the file itself.
 *
 * Ownership. The tree and its counts are under the owner's lock (the
 * inode's, ip->lock), which the caller holds for every call here except
 * the shrinker's, which only trylocks it. The cache holds one reference
 * to each frame; a mapping holds its own (vfs_file_page_get), so a frame
 * goes back to the allocator when the cache has dropped it and the last
 * mapping is gone. Caches with pages sit on one list (under list_lock)
 * that the shrinker walks.
 *
 * Eviction: the shrinker (kernel/mm's, called by the page allocator
 * when it runs out) frees clean pages that nothing maps, inode by inode,
 * skipping an inode whose lock is taken (its owner may be the thread
 * that is allocating).
 */
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"

#define FANOUT_BITS 9
#define FANOUT (1u << FANOUT_BITS)
#define MAX_LEVELS 4
#define DIRTY 1ul

static struct mutex list_lock = MUTEX_INIT;
static struct list caches = LIST_INIT(caches); /* under list_lock */
uint64_t pcache_pages, pcache_dirty;	       /* atomic */
uint64_t pcache_evicted;		       /* atomic: /proc/vmstat */

void pcache_init(struct pcache *pc, struct mutex *lock)
{
	memset(pc, 0, sizeof(*pc));
	pc->lock = lock;
	list_init(&pc->link);
}

static void *zeroed_page(void)
{
	void *p = page_alloc(0);

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

/* Adds levels on top until the tree covers `index`; false if it cannot. */
static bool cover(struct pcache *pc, uint64_t index)
{
	while (pc->levels == 0 || index >> (FANOUT_BITS * pc->levels)) {
		void **node;

		if (pc->levels == MAX_LEVELS)
			return false;
		if (pc->root) {
			node = zeroed_page();
			if (!node)
				return false;
			node[0] = pc->root;
			pc->root = node;
		}
		pc->levels++;
	}
	return true;
}

/* The slot of page `index`, making nodes when `make`; NULL if none. */
static uintptr_t *slot_of(struct pcache *pc, uint64_t index, bool make)
{
	void **slot = &pc->root;

	if (make ? !cover(pc, index)
		 : !pc->levels || index >> (FANOUT_BITS * pc->levels))
		return NULL;
	for (unsigned l = pc->levels; l > 0; l--) {
		if (!*slot && (!make || !(*slot = zeroed_page())))
			return NULL;
		slot = &((void **)*slot)[(index >> (FANOUT_BITS * (l - 1))) &
					 (FANOUT - 1)];
	}
	return (uintptr_t *)slot;
}

void *pcache_find(struct pcache *pc, uint64_t index)
{
	uintptr_t *slot = slot_of(pc, index, false);

	return slot ? (void *)(*slot & ~DIRTY) : NULL;
}

static void listed(struct pcache *pc, bool on)
{
	mutex_lock(&list_lock);
	if (on && list_empty(&pc->link))
		list_push_back(&caches, &pc->link);
	else if (!on && !list_empty(&pc->link))
		list_remove(&pc->link);
	mutex_unlock(&list_lock);
}

int pcache_insert(struct pcache *pc, uint64_t index, void *page)
{
	uintptr_t *slot = slot_of(pc, index, true);

	if (!slot)
		return -ENOMEM;
	assert(!*slot);
	*slot = (uintptr_t)page;
	if (pc->count++ == 0)
		listed(pc, true);
	__atomic_add_fetch(&pcache_pages, 1, __ATOMIC_RELAXED);
	return 0;
}

void pcache_set_dirty(struct pcache *pc, uint64_t index)
{
	uintptr_t *slot = slot_of(pc, index, false);

	if (slot && *slot && !(*slot & DIRTY)) {
		*slot |= DIRTY;
		pc->dirty++;
		__atomic_add_fetch(&pcache_dirty, 1, __ATOMIC_RELAXED);
	}
}

/* Drops the page in *slot (the cache's reference). */
static void drop(struct pcache *pc, uintptr_t *slot)
{
	if (*slot & DIRTY) {
		pc->dirty--;
		__atomic_sub_fetch(&pcache_dirty, 1, __ATOMIC_RELAXED);
	}
	pmm_frame_put(virt_to_phys((void *)(*slot & ~DIRTY)));
	*slot = 0;
	pc->count--;
	__atomic_sub_fetch(&pcache_pages, 1, __ATOMIC_RELAXED);
}

/*
 * Calls fn for each page of the subtree at *node (covering 512^level
 * pages from base) with index >= first; fn answers whether to drop it.
 * Nodes left empty below `first` are freed.
 */
typedef bool (*visit_fn)(struct pcache *pc, uint64_t index, uintptr_t *slot,
			 void *arg);
static void walk(struct pcache *pc, void **node, unsigned level, uint64_t base,
		 uint64_t first, visit_fn fn, void *arg)
{
	uint64_t span = 1ull << (FANOUT_BITS * level);
	bool empty = true;

	if (!*node || base + span <= first)
		return;
	if (level == 0) {
		if (fn(pc, base, (uintptr_t *)node, arg))
			drop(pc, (uintptr_t *)node);
		return;
	}
	for (unsigned i = 0; i < FANOUT; i++) {
		walk(pc, &((void **)*node)[i], level - 1,
		     base + i * (span / FANOUT), first, fn, arg);
		empty &= !((void **)*node)[i];
	}
	if (empty && base >= first) {
		page_free(*node, 0);
		*node = NULL;
	}
}

static void walk_all(struct pcache *pc, uint64_t first, visit_fn fn, void *arg)
{
	walk(pc, &pc->root, pc->levels, 0, first, fn, arg);
	if (!pc->root)
		pc->levels = 0;
	if (!pc->count)
		listed(pc, false);
}

static bool always(struct pcache *pc, uint64_t index, uintptr_t *slot,
		   void *arg)
{
	return true;
}

void pcache_cut(struct pcache *pc, uint64_t first)
{
	walk_all(pc, first, always, NULL);
}

struct writeback {
	int (*fn)(void *arg, uint64_t index, void *page);
	void *arg;
	bool keep_dirty;
	int err;
};

static bool write_one(struct pcache *pc, uint64_t index, uintptr_t *slot,
		      void *arg)
{
	struct writeback *w = arg;

	if (!(*slot & DIRTY) || w->err)
		return false;
	w->err = w->fn(w->arg, index, (void *)(*slot & ~DIRTY));
	if (!w->err && !w->keep_dirty) {
		*slot &= ~DIRTY;
		pc->dirty--;
		__atomic_sub_fetch(&pcache_dirty, 1, __ATOMIC_RELAXED);
	}
	return false;
}

int pcache_writeback(struct pcache *pc, bool keep_dirty,
		     int (*fn)(void *arg, uint64_t index, void *page),
		     void *arg)
{
	struct writeback w = {fn, arg, keep_dirty, 0};

	if (pc->dirty)
		walk_all(pc, 0, write_one, &w);
	return w.err;
}

static void keep_free(struct pcache *pc);

/* ---- readahead ----
 * A reader that asks for page `next` (the one after its last) reads in
 * order; at each miss it then reads a window of pages in one request,
 * 4 pages the first time and twice the last window after that, up to
 * 32 (128 KiB). Any other page starts over at one page. The read goes
 * into a contiguous bounce buffer (one block request however the disk
 * lays the run out in extents, split only where they are) and is copied
 * into cache frames, which stay order 0 so that mappings and the
 * shrinker see nothing new. A window never passes the file's end or a
 * page already cached. */
unsigned pcache_ra_window(struct pcache_ra *ra, uint64_t index, uint64_t last,
			  bool miss)
{
	bool in_order = index == ra->next;
	unsigned n = 1;

	ra->next = index + 1;
	if (!in_order) {
		ra->pages = 0;
		return 1;
	}
	if (!miss)
		return 1;
	ra->pages = ra->pages ? MIN(ra->pages * 2, PCACHE_RA_MAX)
			      : PCACHE_RA_MIN;
	n = ra->pages;
	if (index > last)
		return 1;
	return (unsigned)MIN((uint64_t)n, last - index + 1);
}

/* The largest order up to `want` pages that the allocator gives now. */
static void *bounce_alloc(unsigned *n, unsigned *order)
{
	void *buf;

	for (*order = 0; (1u << *order) < *n; (*order)++)
		;
	while (!(buf = page_alloc(*order)) && *order)
		(*order)--;
	*n = MIN(*n, 1u << *order);
	return buf;
}

/* Copies `bytes` of buf (zeros past them) into new frames at index.. */
static int fill_copy(struct pcache *pc, uint64_t index, unsigned n,
		     const char *buf, size_t bytes)
{
	for (unsigned i = 0; i < n; i++) {
		char *page = page_alloc(0);
		size_t at = (size_t)i * PAGE_SIZE;
		size_t have = bytes > at ? MIN(bytes - at, PAGE_SIZE) : 0;

		if (!page)
			return i ? 0 : -ENOMEM;
		memcpy(page, buf + at, have);
		memset(page + have, 0, PAGE_SIZE - have);
		if (pcache_insert(pc, index + i, page)) {
			page_free(page, 0);
			return i ? 0 : -ENOMEM;
		}
	}
	return 0;
}

int pcache_fill(struct pcache *pc, uint64_t index, unsigned n,
		pcache_read_fn read, void *arg)
{
	unsigned got = 1, order;
	char *buf;
	long r;

	keep_free(pc);
	while (got < n && !pcache_find(pc, index + got))
		got++;
	buf = bounce_alloc(&got, &order);
	if (!buf)
		return -ENOMEM;
	r = read(arg, index * PAGE_SIZE, buf, (size_t)got * PAGE_SIZE);
	if (r >= 0)
		r = fill_copy(pc, index, got, buf, (size_t)r);
	page_free(buf, order);
	return (int)MIN(r, 0);
}

/* ---- eviction under memory pressure ---- */
struct evict {
	uint64_t want, freed;
};

static bool evictable(struct pcache *pc, uint64_t index, uintptr_t *slot,
		      void *arg)
{
	struct evict *e = arg;

	if (e->freed >= e->want || (*slot & DIRTY) ||
	    pmm_frame_shared(virt_to_phys((void *)*slot)))
		return false; /* dirty, or mapped */
	e->freed++;
	return true;
}

static uint64_t shrink(uint64_t want)
{
	struct evict e = {want, 0};

	if (!mutex_trylock(&list_lock))
		return 0;
	list_for_each(l, &caches)
	{
		struct pcache *pc = container_of(l, struct pcache, link);

		if (e.freed >= want)
			break;
		if (!mutex_trylock(pc->lock))
			continue;
		/* Not walk_all: list_lock is held, the list stays as is. */
		walk(pc, &pc->root, pc->levels, 0, 0, evictable, &e);
		if (!pc->root)
			pc->levels = 0;
		mutex_unlock(pc->lock);
	}
	mutex_unlock(&list_lock);
	__atomic_add_fetch(&pcache_evicted, e.freed, __ATOMIC_RELAXED);
	return e.freed;
}

static struct shrinker pcache_shrinker = {.scan = shrink};

/* Under pc->lock, before a fill: with less than an eighth of memory
 * free, evicts a sixteenth, from the other caches and then pc's own.
 * The allocator's shrinker alone is not enough: it runs only once
 * memory is gone, and the order-0 pages it frees do not make the
 * larger blocks (kernel stacks, bounce buffers) that fail first. */
static void keep_free(struct pcache *pc)
{
	struct mm_stats m;
	struct evict e;

	mm_get_stats(&m);
	if (m.free_pages >= m.total_pages / 8)
		return;
	e = (struct evict){m.total_pages / 16, shrink(m.total_pages / 16)};
	if (e.freed < e.want) {
		uint64_t before = e.freed;

		walk(pc, &pc->root, pc->levels, 0, 0, evictable, &e);
		if (!pc->root)
			pc->levels = 0;
		__atomic_add_fetch(&pcache_evicted, e.freed - before,
				   __ATOMIC_RELAXED);
	}
}

static int pcache_setup(void)
{
	mm_register_shrinker(&pcache_shrinker);
	return 0;
}
INIT_STEP(57, pcache_setup);

/* ---- sync(2) ----
 * Every mounted file system's sync (dirty pages written back, ext4's
 * transaction committed, the disk flushed), each called outside
 * vfs_mutex, which the file systems' sync takes. The superblocks are
 * gathered first, each marked as syncing, which umount2 answers with
 * EBUSY until the mark goes, so none is freed while a sync holds it. */
#define SYNC_MAX 64

int vfs_sync_all(void)
{
	struct super_block *sbs[SYNC_MAX];
	unsigned n = 0;
	int err = 0;

	mutex_lock(&vfs_mutex);
	for (struct mount *m = mount_next(NULL); m && n < SYNC_MAX;
	     m = mount_next(m))
		if (m->sb->ops && m->sb->ops->sync) {
			m->sb->syncing++;
			sbs[n++] = m->sb;
		}
	mutex_unlock(&vfs_mutex);
	for (unsigned i = 0; i < n; i++)
		err = sbs[i]->ops->sync(sbs[i]) ?: err;
	mutex_lock(&vfs_mutex);
	for (unsigned i = 0; i < n; i++)
		sbs[i]->syncing--;
	mutex_unlock(&vfs_mutex);
	return err;
}
