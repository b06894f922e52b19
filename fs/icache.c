/*
 * The inode cache of ext4 and 9p (fs_private.h): a hash table of chains
 * by inode number, under vfs_mutex, so that a file met again by another
 * path is the VFS inode it already has.
 */
#include "fs/fs_private.h"

static struct icache_link **bucket(struct icache *c, uint64_t ino)
{
	return &c->bucket[ino % ICACHE_BUCKETS];
}

void icache_add(struct icache *c, struct icache_link *l, uint64_t ino)
{
	l->ino = ino;
	l->next = *bucket(c, ino);
	*bucket(c, ino) = l;
	l->cached = true;
}

struct icache_link *icache_find(struct icache *c, uint64_t ino)
{
	struct icache_link *l = *bucket(c, ino);

	while (l && l->ino != ino)
		l = l->next;
	return l;
}

void icache_remove(struct icache *c, struct icache_link *l)
{
	struct icache_link **p = bucket(c, l->ino);

	if (!l->cached)
		return;
	while (*p != l)
		p = &(*p)->next;
	*p = l->next;
	l->cached = false;
}

void icache_foreach(struct icache *c, void (*fn)(struct icache_link *l, void *arg),
		    void *arg)
{
	for (unsigned b = 0; b < ICACHE_BUCKETS; b++)
		for (struct icache_link *l = c->bucket[b]; l; l = l->next)
			fn(l, arg);
}

struct icache_link *icache_first(struct icache *c)
{
	for (unsigned b = 0; b < ICACHE_BUCKETS; b++)
		if (c->bucket[b])
			return c->bucket[b];
	return NULL;
}
