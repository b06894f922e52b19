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
#define RAMFS_MAX_SIZE (1ll << 48)

/* A radix tree of data pages, 512 slots per node, like a page table. */
struct pages {
	void *root;
	unsigned levels; /* 0: empty; else the root covers 512^levels pages */
	uint64_t count;	 /* data pages present */
};

static int ramfs_truncate(struct inode *ip, int64_t size);

struct ramfs_inode {
	struct inode vfs;
	struct dir dir;	    /* directories; under vfs_mutex */
	struct pages pages; /* regular files; under vfs.lock */
	char *target;	    /* symlinks, NUL-terminated; read-only */
};

uint64_t ramfs_pages; /* atomic */
struct super_block *ramfs_shm_sb;

static struct ramfs_inode *RI(struct inode *ip)
{
	return container_of(ip, struct ramfs_inode, vfs);
}

static const struct inode_ops ramfs_inode_ops;
static const struct file_ops ramfs_file_ops;

struct inode *ramfs_new_inode(struct super_block *sb, uint32_t mode)
{
	struct ramfs_inode *ri = calloc(1, sizeof(*ri));

	if (!ri)
		return NULL;
	inode_init(&ri->vfs, sb, &ramfs_inode_ops, mode, 0, 0);
	dir_init(&ri->dir);
	if (S_ISREG(mode))
		ri->vfs.fops = &ramfs_file_ops;
	else if (S_ISDIR(mode))
		ri->vfs.fops = &vfs_dir_fops;
	return &ri->vfs;
}

static void ramfs_evict(struct inode *ip)
{
	struct ramfs_inode *ri = RI(ip);

	inode_free_vfs(ip);
	ip->pins = 0;
	ramfs_truncate(ip, 0);
	dir_destroy(&ri->dir);
	free(ri->target);
	free(ri);
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
	void **slot = pages_slot(&RI(ip)->pages, index, false);

	return slot ? *slot : NULL;
}

static void *ramfs_page(struct inode *ip, uint64_t index)
{
	void **slot = pages_slot(&RI(ip)->pages, index, true);

	if (!slot)
		return NULL;
	if (!*slot) {
		*slot = zeroed_page();
		if (*slot) {
			RI(ip)->pages.count++;
			__atomic_add_fetch(&ramfs_pages, 1, __ATOMIC_RELAXED);
		}
	}
	return *slot;
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
		pmm_frame_put(virt_to_phys(*slot)); /* a mapping may hold it */
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
static int64_t ramfs_read(struct inode *ip, void *buf, size_t n, int64_t off)
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

static int64_t ramfs_write(struct inode *ip, const void *buf, size_t n, int64_t off)
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

static int ramfs_truncate(struct inode *ip, int64_t size)
{
	struct pages *p = &RI(ip)->pages;
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
		pages_cut(p, &p->root, p->levels, 0, first, ip->pins > 0);
		if (!p->root)
			p->levels = 0;
	}
	ip->size = size;
	return 0;
}

/* ---- open files ---- */
static int64_t ramfs_file_read(struct file *f, void *buf, size_t n,
			       int64_t *pos)
{
	struct inode *ip = f->inode;
	int64_t r;

	mutex_lock(&ip->lock);
	r = ramfs_read(ip, buf, n, *pos);
	mutex_unlock(&ip->lock);
	if (r > 0) {
		*pos += r;
		fsnotify_change(ip, IN_ACCESS);
	}
	return r;
}

/* A memfd's seals against a write of n bytes at pos: 0 or -EPERM. */
static int write_sealed(const struct inode *ip, size_t n, int64_t pos)
{
	if (!ip->memfd || !n)
		return 0;
	if (ip->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if (pos + (int64_t)n > ip->size)
		return memfd_check_size(ip, pos + (int64_t)n);
	return 0;
}

static int64_t ramfs_file_write(struct file *f, const void *buf, size_t n,
				int64_t *pos)
{
	struct inode *ip = f->inode;
	int64_t r;

	mutex_lock(&ip->lock);
	if (LOAD(f->flags) & O_APPEND)
		*pos = ip->size;
	r = write_sealed(ip, n, *pos);
	if (!r)
		r = ramfs_write(ip, buf, n, *pos);
	if (r > 0) {
		*pos += r;
		ip->mtime = ip->ctime = vfs_now();
	}
	mutex_unlock(&ip->lock);
	if (r > 0)
		fsnotify_change(ip, IN_MODIFY);
	return r;
}

/* SEEK_DATA and SEEK_HOLE treat the whole file as data, as POSIX allows. */
static int64_t ramfs_llseek(struct file *f, int64_t off, int whence)
{
	return vfs_generic_llseek(f, off, whence, LOAD(f->inode->size));
}

static const struct file_ops ramfs_file_ops = {
	.read = ramfs_file_read,
	.write = ramfs_file_write,
	.llseek = ramfs_llseek,
};

/* ---- names, under vfs_mutex ---- */
static int ramfs_lookup(struct inode *dir, const char *name, size_t len,
			struct inode **out)
{
	struct dentry *d = dir_lookup(&RI(dir)->dir, name, len);

	if (!d)
		return -ENOENT;
	*out = d->inode;
	return 0;
}

/* A new inode named `name` in dir; target for symlinks. */
static int new_node(struct inode *dir, const char *name, size_t len,
		    uint32_t mode, uint64_t rdev, const char *target,
		    struct inode **out)
{
	struct inode *ip = ramfs_new_inode(dir->sb, mode);

	if (!ip)
		return -ENOMEM;
	ip->rdev = rdev;
	if (target) {
		ip->size = strlen(target);
		RI(ip)->target = malloc(ip->size + 1);
		if (RI(ip)->target)
			memcpy(RI(ip)->target, target, ip->size + 1);
	}
	if ((target && !RI(ip)->target) ||
	    !dir_add(&RI(dir)->dir, name, len, ip)) {
		ramfs_evict(ip);
		return -ENOMEM;
	}
	inode_set_nlink(ip, 1);
	if (S_ISDIR(mode)) {
		inode_set_nlink(ip, 2);
		ip->parent = dir;
		inode_set_nlink(dir, dir->nlink + 1);
	}
	*out = ip;
	return 0;
}

static int ramfs_create(struct inode *dir, const char *name, size_t len,
			uint32_t mode, uint64_t rdev, struct inode **out)
{
	return new_node(dir, name, len, mode, rdev, NULL, out);
}

static int ramfs_symlink(struct inode *dir, const char *name, size_t len,
			 const char *target, struct inode **out)
{
	return new_node(dir, name, len, S_IFLNK | 0777, 0, target, out);
}

static int ramfs_link(struct inode *dir, const char *name, size_t len,
		      struct inode *ip)
{
	if (!dir_add(&RI(dir)->dir, name, len, ip))
		return -ENOMEM;
	inode_set_nlink(ip, ip->nlink + 1);
	return 0;
}

static int ramfs_unlink(struct inode *dir, const char *name, size_t len,
			struct inode *ip)
{
	struct dentry *d = dir_lookup(&RI(dir)->dir, name, len);

	assert(d && d->inode == ip);
	dir_remove(&RI(dir)->dir, d);
	inode_set_nlink(ip, ip->nlink - 1);
	return 0;
}

/* Under vfs_mutex: a directory losing its name loses "." and "..". */
static void dir_gone(struct inode *dir, struct inode *ip)
{
	inode_set_nlink(ip, 0);
	ip->parent = NULL;
	inode_set_nlink(dir, dir->nlink - 1);
}

static int ramfs_rmdir(struct inode *dir, const char *name, size_t len,
		       struct inode *ip)
{
	struct dentry *d = dir_lookup(&RI(dir)->dir, name, len);

	assert(d && d->inode == ip);
	if (RI(ip)->dir.count)
		return -ENOTEMPTY;
	dir_remove(&RI(dir)->dir, d);
	dir_gone(dir, ip);
	return 0;
}

/* A directory moving from one parent to another takes its ".." along. */
static void reparent(struct inode *ip, struct inode *from, struct inode *to)
{
	if (ip->type != S_IFDIR || from == to)
		return;
	ip->parent = to;
	inode_set_nlink(from, from->nlink - 1);
	inode_set_nlink(to, to->nlink + 1);
}

static int exchange(struct inode *odir, struct dentry *od, struct inode *ndir,
		    struct dentry *nd)
{
	struct inode *a = od->inode, *b = nd->inode;

	od->inode = b;
	nd->inode = a;
	reparent(a, odir, ndir);
	reparent(b, ndir, odir);
	return 0;
}

/* Moves od's inode to (ndir, nname), over nd's if there is one. */
static int move(struct inode *odir, struct dentry *od, struct inode *ndir,
		const char *nname, size_t nlen, struct dentry *nd)
{
	struct inode *ip = od->inode, *victim = nd ? nd->inode : NULL;

	if (victim && victim->type == S_IFDIR && RI(victim)->dir.count)
		return -ENOTEMPTY;
	if (victim) {
		/* Reuse the victim's entry: nothing can fail past here. */
		nd->inode = ip;
		if (victim->type == S_IFDIR)
			dir_gone(ndir, victim);
		else
			inode_set_nlink(victim, victim->nlink - 1);
	} else if (!dir_add(&RI(ndir)->dir, nname, nlen, ip)) {
		return -ENOMEM;
	}
	dir_remove(&RI(odir)->dir, od);
	reparent(ip, odir, ndir);
	return 0;
}

static int ramfs_rename(struct inode *odir, const char *oname, size_t olen,
			struct inode *ip, struct inode *ndir, const char *nname,
			size_t nlen, struct inode *victim, unsigned flags)
{
	struct dentry *od = dir_lookup(&RI(odir)->dir, oname, olen);
	struct dentry *nd = dir_lookup(&RI(ndir)->dir, nname, nlen);

	assert(od && od->inode == ip && (!victim || nd->inode == victim));
	if (flags & RENAME_EXCHANGE)
		return exchange(odir, od, ndir, nd);
	return move(odir, od, ndir, nname, nlen, nd);
}

static const char *ramfs_get_link(struct inode *ip)
{
	return RI(ip)->target;
}

static int ramfs_iterate(struct inode *dir, int64_t *pos,
			 struct dir_context *ctx)
{
	return dir_iterate(&RI(dir)->dir, pos, ctx, NULL, dir);
}

/* ---- data and attributes, under ip->lock ---- */
static int ramfs_setsize(struct inode *ip, int64_t size)
{
	return ramfs_truncate(ip, size);
}

static void ramfs_getattr(struct inode *ip, struct kstat *st)
{
	st->blocks = RI(ip)->pages.count * (PAGE_SIZE / 512);
}

static const struct inode_ops ramfs_inode_ops = {
	.lookup = ramfs_lookup,
	.create = ramfs_create,
	.symlink = ramfs_symlink,
	.link = ramfs_link,
	.unlink = ramfs_unlink,
	.rmdir = ramfs_rmdir,
	.rename = ramfs_rename,
	.get_link = ramfs_get_link,
	.iterate = ramfs_iterate,
	.setsize = ramfs_setsize,
	.getattr = ramfs_getattr,
	.page = ramfs_page,
	.getxattr = simple_getxattr,
	.setxattr = simple_setxattr,
	.listxattr = simple_listxattr,
	.removexattr = simple_removexattr,
};

/* ---- instances ---- */
/* Linux: include/uapi/linux/magic.h */
#define RAMFS_MAGIC 0x858458f6

/* Under vfs_mutex: the entry of child in dir (it is there). */
static struct dentry *entry_of(struct inode *dir, struct inode *child)
{
	struct dentry *e = dir_next(&RI(dir)->dir, NULL);

	while (e->inode != child)
		e = dir_next(&RI(dir)->dir, e);
	return e;
}

/* Under vfs_mutex: whether an inode of sb is held (see super_ops). The
 * walk is iterative, climbing by ->parent, for trees of any depth. */
static bool ramfs_busy(struct super_block *sb)
{
	struct inode *dir = sb->root, *ip;
	struct dentry *e = dir_next(&RI(dir)->dir, NULL);

	if (dir->refs > 1)
		return true;
	for (;;) {
		if (!e && dir == sb->root)
			return false;
		if (!e) {
			ip = dir;
			dir = dir->parent;
			e = dir_next(&RI(dir)->dir, entry_of(dir, ip));
			continue;
		}
		ip = e->inode;
		if (ip->refs || ip->mounted)
			return true;
		if (ip->type == S_IFDIR)
			dir = ip, e = dir_next(&RI(ip)->dir, NULL);
		else
			e = dir_next(&RI(dir)->dir, e);
	}
}

/* Under vfs_mutex, nothing held: frees the whole tree, taking each name
 * away (an inode goes with its last one, a directory once empty). */
static void ramfs_free_tree(struct inode *root)
{
	struct inode *dir = root, *ip;
	struct dentry *e;

	for (;;) {
		e = dir_next(&RI(dir)->dir, NULL);
		if (!e && dir == root)
			break;
		if (!e) {
			ip = dir, dir = dir->parent;
			ramfs_evict(ip);
			continue;
		}
		ip = e->inode;
		dir_remove(&RI(dir)->dir, e);
		if (ip->type == S_IFDIR)
			dir = ip;
		else if (--ip->nlink == 0)
			ramfs_evict(ip);
	}
	root->refs = 0; /* the superblock's */
	ramfs_evict(root);
}

static int ramfs_umount(struct super_block *sb)
{
	if (ramfs_busy(sb))
		return -EBUSY;
	ramfs_free_tree(sb->root);
	free(sb->priv); /* mount(2)'s copy of the source */
	free(sb);
	return 0;
}

static const struct super_ops ramfs_super_ops = {
	.evict = ramfs_evict,
	.umount = ramfs_umount,
};

struct super_block *ramfs_mount(const char *type, const char *source,
				uint64_t dev)
{
	struct super_block *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return NULL;
	sb->ops = &ramfs_super_ops;
	sb->type = type;
	sb->source = source;
	sb->dev = dev;
	sb->magic = RAMFS_MAGIC;
	sb->next_ino = 1;
	sb->root = ramfs_new_inode(sb, S_IFDIR | 0755);
	if (!sb->root) {
		free(sb);
		return NULL;
	}
	sb->root->nlink = 2;
	sb->root->refs = 1; /* the superblock's */
	sb->root->parent = sb->root;
	return sb;
}

uint64_t vfs_file_pages(void)
{
	return LOAD(ramfs_pages);
}
