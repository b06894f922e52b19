/*
 * ramfs: inodes that live only in memory.
 *
 * A directory is a list of entries in creation order (each numbered by a
 * sequence number that getdents uses as its position, so entries added or
 * removed between calls never make it skip or repeat the others) plus a
 * hash table over the same entries for lookups.
 *
 * A regular file's data is a radix tree of 4 KiB pages with 512 slots per
 * node, like a page table: a missing page is a hole and reads as zeros,
 * and the tree grows a level at a time (4 levels: 256 TiB), so a sparse
 * file costs only the pages written.
 */
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"

#define FANOUT_BITS 9
#define FANOUT (1u << FANOUT_BITS)
#define MAX_LEVELS 4

static uint64_t next_ino = 1; /* under vfs_mutex */
uint64_t ramfs_pages;	      /* atomic */

struct timespec_k ramfs_now(void)
{
	uint64_t ns = clock_realtime_ns();

	return (struct timespec_k){ns / 1000000000, ns % 1000000000};
}

struct inode *ramfs_inode_new(uint32_t mode, uint64_t rdev)
{
	struct inode *ip = calloc(1, sizeof(*ip));

	if (!ip)
		return NULL;
	ip->ino = next_ino++;
	ip->type = mode & S_IFMT;
	ip->mode = mode & 07777;
	ip->rdev = rdev;
	mutex_init(&ip->lock);
	list_init(&ip->dir.entries);
	ip->dir.next_seq = 2; /* 0 and 1 are "." and ".." */
	ip->atime = ip->mtime = ip->ctime = ramfs_now();
	return ip;
}

void ramfs_inode_free(struct inode *ip)
{
	assert(ip->dir.count == 0 && ip->refs == 0);
	fsnotify_gone(ip);
	ip->pins = 0;
	ramfs_truncate(ip, 0);
	xattr_free_all(ip);
	free(ip->dir.buckets);
	free(ip->target);
	free(ip);
}

/* ---- directories ---- */
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (len--)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h;
}

static struct dentry **bucket(struct dir *d, uint32_t hash)
{
	return &d->buckets[hash & (d->nbuckets - 1)];
}

/* Doubles the table when it gets crowded; stays as it is without memory. */
static void dir_grow(struct dir *d)
{
	uint32_t n = d->nbuckets ? d->nbuckets * 2 : 8;
	struct dentry **old = d->buckets;
	uint32_t oldn = d->nbuckets;

	if (d->count < d->nbuckets * 2)
		return;
	d->buckets = calloc(n, sizeof(*d->buckets));
	if (!d->buckets) {
		d->buckets = old;
		return;
	}
	d->nbuckets = n;
	for (uint32_t i = 0; i < oldn; i++) {
		for (struct dentry *e = old[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = *bucket(d, e->hash);
			*bucket(d, e->hash) = e;
		}
	}
	free(old);
}

struct dentry *dir_lookup(struct inode *dir, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);

	if (!dir->dir.nbuckets)
		return NULL;
	for (struct dentry *e = *bucket(&dir->dir, h); e; e = e->hnext)
		if (e->hash == h && e->namelen == len &&
		    !memcmp(e->name, name, len))
			return e;
	return NULL;
}

struct dentry *dir_add(struct inode *dir, const char *name, size_t len,
		       struct inode *ip)
{
	struct dentry *e;

	assert(len >= 1 && len <= NAME_MAX);
	dir_grow(&dir->dir);
	if (!dir->dir.nbuckets)
		return NULL;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->namelen = len;
	e->hash = name_hash(name, len);
	e->inode = ip;
	e->seq = dir->dir.next_seq++;
	e->hnext = *bucket(&dir->dir, e->hash);
	*bucket(&dir->dir, e->hash) = e;
	list_push_back(&dir->dir.entries, &e->link);
	dir->dir.count++;
	ip->name_dir = dir;
	return e;
}

void dir_remove(struct inode *dir, struct dentry *d)
{
	struct dentry **pp = bucket(&dir->dir, d->hash);

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->inode->name_dir == dir)
		d->inode->name_dir = NULL;
	list_remove(&d->link);
	dir->dir.count--;
	free(d);
}

struct dentry *dir_next(struct inode *dir, struct dentry *d)
{
	struct list *n = d ? d->link.next : dir->dir.entries.next;

	if (n == &dir->dir.entries)
		return NULL;
	return container_of(n, struct dentry, link);
}

struct dentry *dir_first_from(struct inode *dir, uint64_t pos)
{
	struct dentry *d = dir_next(dir, NULL);

	while (d && d->seq < pos)
		d = dir_next(dir, d);
	return d;
}

struct dentry *dir_find_inode(struct inode *dir, struct inode *ip)
{
	for (struct dentry *d = dir_next(dir, NULL); d; d = dir_next(dir, d))
		if (d->inode == ip)
			return d;
	return NULL;
}

/* ---- data pages ---- */
static void *zeroed_page(void)
{
	void *p = page_alloc(0);

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

/* Adds levels on top until the tree covers `index`; false if it cannot. */
static bool pages_cover(struct pages *p, uint64_t index)
{
	while (p->levels == 0 || index >> (FANOUT_BITS * p->levels)) {
		void **node;

		if (p->levels == MAX_LEVELS)
			return false;
		if (p->root) {
			node = zeroed_page();
			if (!node)
				return false;
			node[0] = p->root;
			p->root = node;
		}
		p->levels++;
	}
	return true;
}

/* The slot holding page `index`, making nodes when `make`; NULL if none. */
static void **pages_slot(struct pages *p, uint64_t index, bool make)
{
	void **slot = &p->root;

	if (make ? !pages_cover(p, index)
		 : !p->levels || index >> (FANOUT_BITS * p->levels))
		return NULL;
	for (unsigned l = p->levels; l > 0; l--) {
		if (!*slot && (!make || !(*slot = zeroed_page())))
			return NULL;
		slot = &((void **)*slot)[(index >> (FANOUT_BITS * (l - 1))) &
					 (FANOUT - 1)];
	}
	return slot;
}

static void *page_at(struct inode *ip, uint64_t index)
{
	void **slot = pages_slot(&ip->pages, index, false);

	return slot ? *slot : NULL;
}

void *ramfs_page(struct inode *ip, uint64_t index)
{
	void **slot = pages_slot(&ip->pages, index, true);

	if (!slot)
		return NULL;
	if (!*slot) {
		*slot = zeroed_page();
		if (*slot) {
			ip->pages.count++;
			__atomic_add_fetch(&ramfs_pages, 1, __ATOMIC_RELAXED);
		}
	}
	return *slot;
}

bool ramfs_page_present(struct inode *ip, uint64_t index)
{
	return page_at(ip, index) != NULL;
}

/*
 * Frees the data pages with index >= first below *slot, which covers
 * 512^level pages from `base` (level 0: a data page), and the nodes left
 * with nothing. Pinned files keep their pages, zeroed.
 */
static void pages_cut(struct pages *p, void **slot, unsigned level,
		      uint64_t base, uint64_t first, bool keep)
{
	uint64_t span = 1ull << (FANOUT_BITS * level);

	if (!*slot || base + span <= first)
		return;
	if (level == 0) {
		if (keep) {
			memset(*slot, 0, PAGE_SIZE);
			return;
		}
		page_free(*slot, 0);
		*slot = NULL;
		p->count--;
		__atomic_sub_fetch(&ramfs_pages, 1, __ATOMIC_RELAXED);
		return;
	}
	for (unsigned i = 0; i < FANOUT; i++)
		pages_cut(p, &((void **)*slot)[i], level - 1,
			  base + i * (span / FANOUT), first, keep);
	if (base >= first && !keep) {
		page_free(*slot, 0);
		*slot = NULL;
	}
}

/* ---- file data, under ip->lock ---- */
int64_t ramfs_read(struct inode *ip, void *buf, size_t n, int64_t off)
{
	size_t done = 0;

	if (off >= ip->size)
		return 0;
	n = MIN(n, (uint64_t)(ip->size - off));
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - in);
		char *page = page_at(ip, pos >> PAGE_SHIFT);

		if (page)
			memcpy((char *)buf + done, page + in, chunk);
		else
			memset((char *)buf + done, 0, chunk);
		done += chunk;
	}
	return done;
}

int64_t ramfs_write(struct inode *ip, const void *buf, size_t n, int64_t off)
{
	size_t done = 0;

	if (off >= RAMFS_MAX_SIZE)
		return n ? -EFBIG : 0;
	n = MIN(n, (uint64_t)(RAMFS_MAX_SIZE - off));
	while (done < n) {
		uint64_t pos = off + done;
		size_t in = pos & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - in);
		char *page = ramfs_page(ip, pos >> PAGE_SHIFT);

		if (!page)
			break;
		memcpy(page + in, (const char *)buf + done, chunk);
		done += chunk;
	}
	if (done && off + (int64_t)done > ip->size)
		ip->size = off + done;
	if (!done && n)
		return -ENOSPC; /* as tmpfs when memory runs out */
	return done;
}

int ramfs_truncate(struct inode *ip, int64_t size)
{
	uint64_t first = ALIGN_UP((uint64_t)size, PAGE_SIZE) >> PAGE_SHIFT;
	char *last;

	if (size < 0)
		return -EINVAL;
	if (size > RAMFS_MAX_SIZE)
		return -EFBIG;
	if (size < ip->size) {
		/* The cut-off tail of the last page must read as zeros. */
		last = page_at(ip, size >> PAGE_SHIFT);
		if (last && (size & (PAGE_SIZE - 1)))
			memset(last + (size & (PAGE_SIZE - 1)), 0,
			       PAGE_SIZE - (size & (PAGE_SIZE - 1)));
		pages_cut(&ip->pages, &ip->pages.root, ip->pages.levels, 0,
			  first, ip->pins > 0);
		if (!ip->pages.root)
			ip->pages.levels = 0;
	}
	ip->size = size;
	return 0;
}
