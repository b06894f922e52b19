/*
 * In-memory directories, for the file systems that keep theirs in RAM
 * (ramfs, procfs): a list of entries in creation order, each numbered by
 * a sequence number that getdents uses as its position (so entries added
 * or removed between calls never make it skip or repeat the others), and
 * a hash table over the same entries for lookups. All under vfs_mutex.
 */
#include "fs/fs_private.h"

void dir_init(struct dir *d)
{
	list_init(&d->entries);
	d->next_seq = 2; /* 0 and 1 are "." and ".." */
}

void dir_destroy(struct dir *d)
{
	assert(d->count == 0);
	free(d->buckets);
	d->buckets = NULL;
}

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

struct dentry *dir_lookup(struct dir *d, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);

	if (!d->nbuckets)
		return NULL;
	for (struct dentry *e = *bucket(d, h); e; e = e->hnext)
		if (e->hash == h && e->namelen == len &&
		    !memcmp(e->name, name, len))
			return e;
	return NULL;
}

struct dentry *dir_add(struct dir *d, const char *name, size_t len,
		       struct inode *ip)
{
	struct dentry *e;

	assert(len >= 1 && len <= NAME_MAX);
	dir_grow(d);
	if (!d->nbuckets)
		return NULL;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->namelen = len;
	e->hash = name_hash(name, len);
	e->inode = ip;
	e->seq = d->next_seq++;
	e->hnext = *bucket(d, e->hash);
	*bucket(d, e->hash) = e;
	list_push_back(&d->entries, &e->link);
	d->count++;
	return e;
}

void dir_remove(struct dir *d, struct dentry *e)
{
	struct dentry **pp = bucket(d, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	list_remove(&e->link);
	d->count--;
	free(e);
}

struct dentry *dir_next(struct dir *d, struct dentry *e)
{
	struct list *n = e ? e->link.next : d->entries.next;

	if (n == &d->entries)
		return NULL;
	return container_of(n, struct dentry, link);
}

struct dentry *dir_first_from(struct dir *d, uint64_t pos)
{
	struct dentry *e = dir_next(d, NULL);

	while (e && e->seq < pos)
		e = dir_next(d, e);
	return e;
}

int dir_iterate(struct dir *d, int64_t *pos, struct dir_context *ctx,
		bool (*hide)(struct inode *dir, struct dentry *e),
		struct inode *dirip)
{
	for (struct dentry *e = dir_first_from(d, *pos); e;
	     e = dir_next(d, e)) {
		if (hide && hide(dirip, e))
			continue;
		if (!ctx->emit(ctx, e->name, e->namelen, e->inode->ino,
			       e->inode->type, e->seq + 1))
			break;
		*pos = e->seq + 1;
	}
	return 0;
}
