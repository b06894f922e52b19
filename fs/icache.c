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

struct held {
	struct inode *(*inode_of)(struct icache_link *l);
	bool any;
};

/* Whether a cached inode is held: by more than the table (the root: more
 * than the superblock's reference) or by a mount on it. */
static void held_one(struct icache_link *l, void *arg)
{
	struct held *h = arg;
	struct inode *ip = h->inode_of(l);

	if (ip->refs > (ip == ip->sb->root) || ip->mounted)
		h->any = true;
}

int icache_umount(struct icache *c, struct super_block *sb,
		  struct inode *(*inode_of)(struct icache_link *l),
		  void (*evict)(struct inode *ip))
{
	struct held h = {inode_of, sb->root->refs > 1};
	struct icache_link *l;

	icache_foreach(c, held_one, &h);
	if (h.any)
		return -EBUSY;
	while ((l = icache_first(c))) {
		struct inode *ip = inode_of(l);

		icache_remove(c, l);
		if (ip != sb->root)
			evict(ip);
	}
	sb->root->refs = 0; /* the superblock's */
	evict(sb->root);
	return 0;
}
