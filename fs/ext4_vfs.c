/*
 * ext4 in the VFS: the superblock, inode and file operations of fs/vfs.h
 * over the ext4 library (fs/ext4/ext4.h), on a disk of the block layer.
 *
 * Objects. A mount makes a struct ext4v_sb: the library's struct
 * ext4_dev filled from the struct blkdev (reads and writes through
 * blk_pread/blk_pwrite, flush as a FLUSH request), the mounted struct
 * ext4_fs, and the inode cache. Each VFS inode is a struct ext4v_inode
 * holding the library's copy of the on-disk inode (ext4_iget at the
 * first lookup, ext4_iput at eviction); the cache, a hash table keyed by
 * inode number, makes one VFS inode per disk inode, so that every open
 * file and every lookup see the same copy.
 *
 * Lifetime (fs/vfs.h's rules): an inode with names stays cached when its
 * last reference goes (drop answers false), so a directory's children
 * can point at it as their parent; it goes at umount. An inode that lost
 * its last name leaves the cache in drop and is evicted at once.
 *
 * Locks. The library does no locking, and shares the group descriptors
 * and bitmaps between all its calls, so every call into it runs under
 * the superblock's mutex (sb->lock), the innermost lock: vfs_mutex ->
 * ip->lock -> sb->lock. Attributes the VFS keeps in struct inode are
 * written back by dirty_inode (under ip->lock), and refreshed from the
 * library's copy after each call that changes them (size, nlink,
 * blocks, times), outside sb->lock.
 *
 * Data goes through the page cache (fs/pagecache.c; see "the page
 * cache" below and docs/architecture.md): reads fill it, writes go to
 * the disk and into it, mappings map its pages.
 *
 * The journal: the library writes metadata through it (its
 * transaction.c); fsync, syncfs and sync commit, and so do sb_unlock
 * (a transaction holding half the log) and the ext4-commit thread
 * (every 5 s).
 *
 * Not there yet: readahead, device nodes, FIFOs and sockets (-EOPNOTSUPP),
 * xattr writes, and an unlinked file that is still open (the library frees it
 * with its last name: I/O on it answers -EIO, reported once).
 */
#include "block/block.h"
#include "fs/9p/9p.h"
#include "fs/ext4/ext4.h"
#include "fs/fs_private.h"

#define EXT4_SUPER_MAGIC 0xEF53 /* Linux: include/uapi/linux/magic.h */

struct ext4v_inode {
	struct inode vfs;
	/* the library's copy; read and written under the sb's lock */
	struct ext4_inode *e;
	/* under vfs_mutex */
	struct icache_link hash; /* in the sb's cache */
	char *target; /* symlinks: the target, read once (immutable) */
	/* under the sb's lock: freed on disk while still open */
	bool gone;
	/* regular files: the page cache (fs/pagecache.c), under vfs.lock */
	struct pcache pc;
	uint64_t dirty_at_writeback; /* pc.dirty after the last write-back */
};

struct ext4v_sb {
	struct super_block vfs;
	/* set at mount, then read-only */
	struct ext4_dev dev;
	struct blkdev *bd;
	struct ext4_fs *fs;
	char source[24]; /* "/dev/vda" */
	uint32_t block_size;
	/* every library call, innermost */
	struct mutex lock;
	/* under vfs_mutex */
	struct icache cache;
	/* the commit thread (NULL read-only or when it could not be made):
	 * set at mount; stop is set once, by umount, which then joins it */
	struct thread *committer;
	int stop;
};

static const struct inode_ops ext4v_inode_ops;
static const struct file_ops ext4v_file_ops;

static struct ext4v_inode *EI(struct inode *ip)
{
	return container_of(ip, struct ext4v_inode, vfs);
}

static struct ext4v_sb *ESB(struct super_block *sb)
{
	return container_of(sb, struct ext4v_sb, vfs);
}

static void report_once(const char *msg);

/* Leaves the library: a transaction that holds more than half of what
 * the journal's log takes commits now, between two operations (so each
 * stays atomic), before it could fill the log in the middle of one. */
static void sb_unlock(struct ext4v_sb *s)
{
	if (ext4_commit_if_full(s->fs))
		report_once("ext4: committing a full transaction failed");
	mutex_unlock(&s->lock);
}

/* The commit timer: a transaction that no fsync committed reaches the
 * disk within COMMIT_NS (Linux's default commit interval, 5 s). */
#define COMMIT_NS (5ull * 1000000000)

static bool stop_asked(void *arg)
{
	return __atomic_load_n(&((struct ext4v_sb *)arg)->stop,
			       __ATOMIC_ACQUIRE);
}

static void commit_timer(void *arg)
{
	struct ext4v_sb *s = arg;

	while (!sched_wait_for(stop_asked, s, clock_monotonic_ns() + COMMIT_NS)) {
		mutex_lock(&s->lock);
		if (ext4_journal_pending(s->fs) && ext4_sync(s->fs))
			report_once("ext4: the periodic commit failed");
		mutex_unlock(&s->lock);
	}
}

/* ---- reporting: each distinct message once ---- */
#define SEEN_MAX 32
static uint32_t seen[SEEN_MAX]; /* hashes of messages printed */
static unsigned nseen;		/* under report_lock */
static struct mutex report_lock = MUTEX_INIT;

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void report_once(const char *msg)
{
	uint32_t h = hash_str(msg);
	bool show = true;

	mutex_lock(&report_lock);
	for (unsigned i = 0; i < nseen && show; i++)
		show = seen[i] != h;
	if (show && nseen < SEEN_MAX)
		seen[nseen++] = h;
	mutex_unlock(&report_lock);
	if (show)
		kprintf("osprey: %s\n", msg);
}

/* ---- the device under the library ---- */
static int dev_read(struct ext4_dev *dev, uint64_t off, void *buf, size_t len)
{
	int64_t r = blk_pread(dev->ctx, buf, len, off);

	return r < 0 ? (int)r : (uint64_t)r == len ? 0 : -EIO;
}

static int dev_write(struct ext4_dev *dev, uint64_t off, const void *buf,
		     size_t len)
{
	int64_t r = blk_pwrite(dev->ctx, buf, len, off, 0);

	return r < 0 ? (int)r : (uint64_t)r == len ? 0 : -EIO;
}

static int dev_flush(struct ext4_dev *dev)
{
	return blk_flush(dev->ctx);
}

static void dev_log(struct ext4_dev *dev, const char *msg)
{
	report_once(msg);
}

static int64_t dev_now(struct ext4_dev *dev)
{
	return (int64_t)(clock_realtime_ns() / 1000000000);
}

/* ---- the inode cache (icache.c), under vfs_mutex ---- */
static struct ext4v_inode *cache_find(struct ext4v_sb *s, uint64_t ino)
{
	struct icache_link *l = icache_find(&s->cache, ino);

	return l ? container_of(l, struct ext4v_inode, hash) : NULL;
}

static void cache_remove(struct ext4v_sb *s, struct ext4v_inode *vi)
{
	icache_remove(&s->cache, &vi->hash);
}

static struct timespec_k to_ts(struct ext4_timespec t)
{
	return (struct timespec_k){t.sec, t.nsec};
}

/* Linux's new_encode_dev, undone. */
static uint64_t decode_dev(uint32_t d)
{
	return fs_makedev((d & 0xfff00) >> 8,
			  (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* The VFS's attributes from the library's copy (under sb->lock, or
 * before anyone else sees the inode). */
static void attrs_from_disk(struct ext4v_inode *vi, struct ext4_stat *st)
{
	ext4_stat(vi->e, st);
	vi->vfs.mode = st->mode & 07777;
	vi->vfs.uid = st->uid;
	vi->vfs.gid = st->gid;
	vi->vfs.size = (int64_t)st->size;
	vi->vfs.atime = to_ts(st->atime);
	vi->vfs.mtime = to_ts(st->mtime);
	vi->vfs.ctime = to_ts(st->ctime);
}

/* After a library call changed ip on disk: size, times and links. Takes
 * ip->lock then sb->lock. */
static void refresh(struct inode *ip)
{
	struct ext4_stat st;

	mutex_lock(&ip->lock);
	mutex_lock(&ESB(ip->sb)->lock);
	attrs_from_disk(EI(ip), &st);
	mutex_unlock(&ESB(ip->sb)->lock);
	mutex_unlock(&ip->lock);
	inode_set_nlink(ip, st.nlink);
}

/* Under vfs_mutex: a VFS inode for the library's e (taken over). */
static struct ext4v_inode *vnode_new(struct ext4v_sb *s, struct ext4_inode *e)
{
	struct ext4v_inode *vi = calloc(1, sizeof(*vi));
	struct ext4_stat st;

	if (!vi)
		return NULL;
	vi->e = e;
	pcache_init(&vi->pc, &vi->vfs.lock);
	ext4_stat(e, &st);
	inode_init(&vi->vfs, &s->vfs, &ext4v_inode_ops, st.mode,
		   decode_dev(st.rdev), st.ino);
	attrs_from_disk(vi, &st);
	inode_set_nlink(&vi->vfs, st.nlink);
	if (S_ISREG(st.mode))
		vi->vfs.fops = &ext4v_file_ops;
	else if (S_ISDIR(st.mode))
		vi->vfs.fops = &vfs_dir_fops;
	icache_add(&s->cache, &vi->hash, st.ino);
	return vi;
}

/* Under vfs_mutex: the VFS inode of disk inode ino, from the cache or
 * read now; dir becomes a directory's parent. */
static int vnode_get(struct ext4v_sb *s, uint32_t ino, struct inode *dir,
		     struct inode **out)
{
	struct ext4v_inode *vi = cache_find(s, ino);
	struct ext4_inode *e;
	int err;

	if (!vi) {
		mutex_lock(&s->lock);
		err = ext4_iget(s->fs, ino, &e);
		sb_unlock(s);
		if (err)
			return err;
		if (!(vi = vnode_new(s, e))) {
			ext4_iput(e);
			return -ENOMEM;
		}
	}
	if (vi->vfs.type == S_IFDIR && !vi->vfs.parent)
		vi->vfs.parent = dir ? dir : &vi->vfs;
	*out = &vi->vfs;
	return 0;
}

/* ---- names, under vfs_mutex ---- */
static int ext4v_lookup(struct inode *dir, const char *name, size_t len,
			struct inode **out)
{
	struct ext4v_sb *s = ESB(dir->sb);
	uint32_t ino;
	int err;

	mutex_lock(&s->lock);
	err = ext4_lookup(s->fs, EI(dir)->e, name, len, &ino);
	sb_unlock(s);
	return err ? err : vnode_get(s, ino, dir, out);
}

/* After a new name in dir: its inode, and dir's new size and links. */
static int made(struct inode *dir, int err, uint32_t ino, struct inode **out)
{
	if (err)
		return err;
	refresh(dir);
	return vnode_get(ESB(dir->sb), ino, dir, out);
}

static int ext4v_create(struct inode *dir, const char *name, size_t len,
			uint32_t mode, uint64_t rdev, struct inode **out)
{
	struct ext4v_sb *s = ESB(dir->sb);
	uint32_t type = mode & S_IFMT, ino = 0;
	int err;

	if (type != S_IFREG && type != S_IFDIR) {
		report_once("ext4: device nodes, FIFOs and sockets are not "
			    "written yet (EOPNOTSUPP)");
		return -EOPNOTSUPP;
	}
	mutex_lock(&s->lock);
	err = ext4_create(s->fs, EI(dir)->e, name, len, (uint16_t)mode, 0, 0,
			  &ino);
	sb_unlock(s);
	return made(dir, err, ino, out);
}

static int ext4v_symlink(struct inode *dir, const char *name, size_t len,
			 const char *target, struct inode **out)
{
	struct ext4v_sb *s = ESB(dir->sb);
	uint32_t ino = 0;
	int err;

	mutex_lock(&s->lock);
	err = ext4_symlink(s->fs, EI(dir)->e, name, len, target, 0, 0, &ino);
	sb_unlock(s);
	return made(dir, err, ino, out);
}

/*
 * After the library removed ip's name: with names left, its copy is
 * stale (the library wrote the new count through its own), so it is
 * read again; with none, the disk inode is free and ip leaves the
 * cache, to go when its last reference does.
 */
static void unlinked(struct inode *ip, uint32_t links_before)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4v_inode *vi = EI(ip);
	struct ext4_inode *fresh;
	bool is_dir = ip->type == S_IFDIR;

	if (!is_dir && links_before > 1) {
		mutex_lock(&s->lock);
		if (!ext4_iget(s->fs, (uint32_t)ip->ino, &fresh)) {
			ext4_iput(vi->e);
			vi->e = fresh;
		}
		sb_unlock(s);
		refresh(ip);
		return;
	}
	mutex_lock(&s->lock);
	vi->gone = true;
	sb_unlock(s);
	inode_set_nlink(ip, 0);
	if (is_dir)
		ip->parent = NULL;
	cache_remove(s, vi);
}

static int remove_name(struct inode *dir, const char *name, size_t len,
		       struct inode *ip, bool is_dir)
{
	struct ext4v_sb *s = ESB(dir->sb);
	uint32_t links = LOAD(ip->nlink);
	int err;

	mutex_lock(&s->lock);
	err = is_dir ? ext4_rmdir(s->fs, EI(dir)->e, name, len)
		     : ext4_unlink(s->fs, EI(dir)->e, name, len);
	sb_unlock(s);
	if (err)
		return err;
	unlinked(ip, links);
	refresh(dir);
	return 0;
}

static int ext4v_unlink(struct inode *dir, const char *name, size_t len,
			struct inode *ip)
{
	return remove_name(dir, name, len, ip, false);
}

static int ext4v_rmdir(struct inode *dir, const char *name, size_t len,
		       struct inode *ip)
{
	return remove_name(dir, name, len, ip, true);
}

static int ext4v_link(struct inode *dir, const char *name, size_t len,
		      struct inode *ip)
{
	struct ext4v_sb *s = ESB(dir->sb);
	int err;

	mutex_lock(&s->lock);
	err = ext4_link(s->fs, EI(dir)->e, name, len, EI(ip)->e);
	sb_unlock(s);
	if (err)
		return err;
	refresh(ip);
	refresh(dir);
	return 0;
}

/* Under vfs_mutex: a directory's parent, after the library moved it. */
static void reparent(struct inode *ip, struct inode *to)
{
	if (ip->type == S_IFDIR)
		ip->parent = to;
}

static int ext4v_rename(struct inode *odir, const char *oname, size_t olen,
			struct inode *ip, struct inode *ndir, const char *nname,
			size_t nlen, struct inode *victim, unsigned flags)
{
	struct ext4v_sb *s = ESB(odir->sb);
	bool swap = flags & RENAME_EXCHANGE;
	uint32_t vlinks = victim ? LOAD(victim->nlink) : 0;
	int err;

	mutex_lock(&s->lock);
	err =
	    ext4_rename(s->fs, EI(odir)->e, oname, olen, EI(ip)->e, EI(ndir)->e,
			nname, nlen, victim ? EI(victim)->e : NULL,
			swap ? EXT4_RENAME_EXCHANGE : 0);
	sb_unlock(s);
	if (err)
		return err;
	if (swap) {
		reparent(victim, odir);
		refresh(victim);
	} else if (victim) {
		unlinked(victim, vlinks);
	}
	reparent(ip, ndir);
	refresh(ip);
	refresh(odir);
	if (ndir != odir)
		refresh(ndir);
	return 0;
}

static const char *ext4v_get_link(struct inode *ip)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4v_inode *vi = EI(ip);
	size_t n = (size_t)ip->size;
	long r;

	if (vi->target || n >= 4096)
		return vi->target;
	if (!(vi->target = calloc(1, n + 1)))
		return NULL;
	mutex_lock(&s->lock);
	r = ext4_readlink(s->fs, vi->e, vi->target, n);
	sb_unlock(s);
	if (r < 0 || (size_t)r != n) {
		free(vi->target);
		vi->target = NULL;
	}
	return vi->target;
}

/* getdents: the library's positions are byte offsets from 0; ours are
 * those plus 2, since 0 and 1 are the core's "." and "..". */
struct iter {
	struct dir_context *ctx;
};

static int iter_one(void *arg, const struct ext4_dirent *d)
{
	struct iter *it = arg;
	static const uint32_t types[16] = {
	    [1] = S_IFIFO, [2] = S_IFCHR,  [4] = S_IFDIR,  [6] = S_IFBLK,
	    [8] = S_IFREG, [10] = S_IFLNK, [12] = S_IFSOCK};

	if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
		return 0;
	return !it->ctx->emit(it->ctx, d->name, d->name_len, d->ino,
			      types[d->type & 15], (int64_t)d->next + 2);
}

static int ext4v_iterate(struct inode *dir, int64_t *pos,
			 struct dir_context *ctx)
{
	struct ext4v_sb *s = ESB(dir->sb);
	uint64_t epos = *pos < 2 ? 0 : (uint64_t)*pos - 2;
	struct iter it = {ctx};
	int r;

	mutex_lock(&s->lock);
	r = ext4_iterate_dir(s->fs, EI(dir)->e, &epos, iter_one, &it);
	sb_unlock(s);
	if (r < 0)
		return r;
	*pos = (int64_t)epos + 2;
	return 0;
}

/* ---- data and attributes, under ip->lock ---- */
static int gone_error(void)
{
	report_once("ext4: I/O on an unlinked file that is still open is "
		    "not supported yet (no orphan list): EIO");
	return -EIO;
}

/* ---- the page cache (fs/pagecache.c), under ip->lock ----
 * Pages are filled from the disk on first use. write() goes to the disk
 * at once and into the cached pages (write-through), so read, write and
 * mmap see the same bytes and only pages handed to a shared writable
 * mapping are ever dirty; those are written back by msync, fsync, the
 * last unmap and every DIRTY_BATCH newly dirtied pages of a file. A
 * page stays marked dirty while the file is mapped (a mapping may write
 * it again at any time, unseen), so each write-back rewrites it. */
#define DIRTY_BATCH 1024 /* 4 MiB */

/* pcache_fill's read: bytes of the file at off. */
static long read_for_cache(void *arg, uint64_t off, void *buf, size_t len)
{
	struct inode *ip = arg;
	struct ext4v_sb *s = ESB(ip->sb);
	long r;

	mutex_lock(&s->lock);
	r = EI(ip)->gone ? gone_error()
			 : ext4_read(s->fs, EI(ip)->e, off, buf, len);
	sb_unlock(s);
	return r;
}

/* Page `index`, read with the readahead of stream ra on a miss. */
static void *page_ra(struct inode *ip, uint64_t index, struct pcache_ra *ra)
{
	struct pcache *pc = &EI(ip)->pc;
	uint64_t last = ip->size ? (uint64_t)(ip->size - 1) / PAGE_SIZE : 0;
	char *page = pcache_find(pc, index);
	unsigned n = pcache_ra_window(ra, index, last, !page);

	if (page)
		return page;
	if (pcache_fill(pc, index, n, read_for_cache, ip))
		return NULL;
	return pcache_find(pc, index);
}

/* The mappings' pages: their faults are one stream per file. */
static void *ext4v_page(struct inode *ip, uint64_t index)
{
	return page_ra(ip, index, &EI(ip)->pc.ra);
}

static int write_page(void *arg, uint64_t index, void *page)
{
	struct inode *ip = arg;
	struct ext4v_sb *s = ESB(ip->sb);
	uint64_t off = index * PAGE_SIZE;
	long r = 0;

	if (off >= (uint64_t)ip->size)
		return 0;
	size_t len = MIN((uint64_t)PAGE_SIZE, (uint64_t)ip->size - off);
	mutex_lock(&s->lock);
	if (!EI(ip)->gone)
		r = ext4_write(s->fs, EI(ip)->e, off, page, len);
	sb_unlock(s);
	return r < 0 ? (int)r : 0;
}

static int ext4v_writeback(struct inode *ip)
{
	struct ext4v_inode *vi = EI(ip);

	if (ip->sb->rdonly)
		return 0;
	vi->dirty_at_writeback = vi->pc.dirty;
	return pcache_writeback(&vi->pc, ip->pins > 0, write_page, ip);
}

static void ext4v_page_mkdirty(struct inode *ip, uint64_t index)
{
	struct ext4v_inode *vi = EI(ip);

	if (ip->sb->rdonly)
		return;
	pcache_set_dirty(&vi->pc, index);
	if (vi->pc.dirty >= vi->dirty_at_writeback + DIRTY_BATCH &&
	    ext4v_writeback(ip))
		report_once("ext4: writing back a mapped file's pages failed");
}

/* Bytes [pos, pos + n) of the file into buf through the cache. */
static long cached_read(struct inode *ip, char *buf, size_t n, int64_t pos,
			struct pcache_ra *ra)
{
	size_t done = 0;

	if (pos >= ip->size)
		return 0;
	n = MIN(n, (uint64_t)(ip->size - pos));
	while (done < n) {
		uint64_t at = (uint64_t)pos + done;
		size_t in = at & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - in);
		char *page = page_ra(ip, at / PAGE_SIZE, ra);

		if (!page)
			return done ? (long)done : -EIO;
		memcpy(buf + done, page + in, chunk);
		done += chunk;
	}
	return (long)done;
}

/* What write() put on the disk, into the pages cached there. */
static void cache_update(struct inode *ip, const char *buf, size_t n,
			 int64_t pos)
{
	for (size_t done = 0; done < n;) {
		uint64_t at = (uint64_t)pos + done;
		size_t in = at & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - in);
		char *page = pcache_find(&EI(ip)->pc, at / PAGE_SIZE);

		if (page)
			memcpy(page + in, buf + done, chunk);
		done += chunk;
	}
}

/* Drops the pages past a new size and zeroes the last one's tail. */
static void cache_truncate(struct inode *ip, int64_t size)
{
	struct pcache *pc = &EI(ip)->pc;
	char *last = pcache_find(pc, (uint64_t)size / PAGE_SIZE);

	if (last && (size & (PAGE_SIZE - 1)))
		memset(last + (size & (PAGE_SIZE - 1)), 0,
		       PAGE_SIZE - (size & (PAGE_SIZE - 1)));
	pcache_cut(pc, ALIGN_UP((uint64_t)size, PAGE_SIZE) / PAGE_SIZE);
}

static int ext4v_setsize(struct inode *ip, int64_t size)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4_stat st;
	int err;

	if (size < 0)
		return -EINVAL;
	cache_truncate(ip, size);
	mutex_lock(&s->lock);
	err = EI(ip)->gone ? gone_error()
			   : ext4_truncate(s->fs, EI(ip)->e, (uint64_t)size);
	if (!err)
		attrs_from_disk(EI(ip), &st);
	sb_unlock(s);
	return err;
}

/* fallocate PUNCH_HOLE: the cached pages read zeros there too. */
static void cache_zero(struct inode *ip, int64_t off, int64_t len)
{
	uint64_t end = (uint64_t)MIN(off + len, ip->size);

	for (uint64_t at = (uint64_t)off; at < end;) {
		size_t in = at & (PAGE_SIZE - 1);
		size_t chunk =
		    (size_t)MIN(end - at, (uint64_t)(PAGE_SIZE - in));
		char *page = pcache_find(&EI(ip)->pc, at / PAGE_SIZE);

		if (page)
			memset(page + in, 0, chunk);
		at += chunk;
	}
}

static int ext4v_punch(struct inode *ip, int64_t off, int64_t len)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4_stat st;
	int err;

	cache_zero(ip, off, len);
	mutex_lock(&s->lock);
	err = EI(ip)->gone ? gone_error()
			   : ext4_punch_hole(s->fs, EI(ip)->e, (uint64_t)off,
					     (uint64_t)len);
	if (!err)
		attrs_from_disk(EI(ip), &st);
	sb_unlock(s);
	return err;
}

static void ext4v_getattr(struct inode *ip, struct kstat *st)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4_stat es;

	mutex_lock(&s->lock);
	ext4_stat(EI(ip)->e, &es);
	sb_unlock(s);
	st->blocks = (int64_t)es.blocks;
	st->size = (int64_t)es.size;
	st->blksize = s->block_size;
}

static const struct inode_ops ext4v_inode_ops = {
    .lookup = ext4v_lookup,
    .create = ext4v_create,
    .symlink = ext4v_symlink,
    .unlink = ext4v_unlink,
    .rmdir = ext4v_rmdir,
    .link = ext4v_link,
    .rename = ext4v_rename,
    .get_link = ext4v_get_link,
    .iterate = ext4v_iterate,
    .setsize = ext4v_setsize,
    .punch = ext4v_punch,
    .getattr = ext4v_getattr,
    .page = ext4v_page,
    .page_mkdirty = ext4v_page_mkdirty,
    .writeback = ext4v_writeback,
};

/* ---- open files ---- */
static int64_t ext4v_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct inode *ip = f->inode;
	struct ext4v_sb *s = ESB(ip->sb);
	long r;

	mutex_lock(&ip->lock);
	if (LOAD(f->flags) & O_DIRECT) { /* straight from the disk */
		r = ext4v_writeback(ip);
		mutex_lock(&s->lock);
		if (!r)
			r = EI(ip)->gone ? gone_error()
					 : ext4_read(s->fs, EI(ip)->e,
						     (uint64_t)*pos, buf, n);
		sb_unlock(s);
	} else {
		r = cached_read(ip, buf, n, *pos, &f->ra);
	}
	mutex_unlock(&ip->lock);
	if (r > 0) {
		*pos += r;
		fsnotify_change(ip, IN_ACCESS);
	}
	return r;
}

static int64_t ext4v_write(struct file *f, const void *buf, size_t n,
			   int64_t *pos)
{
	struct inode *ip = f->inode;
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4_stat st;
	long r;

	if (ip->sb->rdonly)
		return -EROFS;
	mutex_lock(&ip->lock);
	if (LOAD(f->flags) & O_APPEND)
		*pos = ip->size;
	mutex_lock(&s->lock);
	r = EI(ip)->gone ? gone_error()
			 : ext4_write(s->fs, EI(ip)->e, (uint64_t)*pos, buf, n);
	if (r > 0)
		attrs_from_disk(EI(ip), &st);
	sb_unlock(s);
	if (r > 0)
		cache_update(ip, buf, (size_t)r, *pos);
	mutex_unlock(&ip->lock);
	if (r > 0) {
		*pos += r;
		fsnotify_change(ip, IN_MODIFY);
	}
	return r;
}

static int64_t ext4v_llseek(struct file *f, int64_t off, int whence)
{
	return vfs_generic_llseek(f, off, whence, LOAD(f->inode->size));
}

/* write() went to the disk already: what is left is what mappings
 * dirtied, then the disk's own cache. */
static int ext4v_fsync(struct file *f, bool datasync)
{
	struct inode *ip = f->inode;
	struct ext4v_sb *s = ESB(ip->sb);
	int err;

	mutex_lock(&ip->lock);
	err = ext4v_writeback(ip);
	mutex_unlock(&ip->lock);
	mutex_lock(&s->lock);
	if (!err)
		err = ext4_sync(s->fs);
	sb_unlock(s);
	return err;
}

static const struct file_ops ext4v_file_ops = {
    .read = ext4v_read,
    .write = ext4v_write,
    .llseek = ext4v_llseek,
    .fsync = ext4v_fsync,
};

/* ---- the superblock ---- */
static int ext4v_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct ext4v_sb *s = ESB(sb);
	struct ext4_statfs es;

	mutex_lock(&s->lock);
	ext4_statfs(s->fs, &es);
	sb_unlock(s);
	st->type = EXT4_SUPER_MAGIC;
	st->bsize = st->frsize = es.block_size;
	st->blocks = es.blocks;
	st->bfree = es.free_blocks;
	st->bavail = es.avail_blocks;
	st->files = es.inodes;
	st->ffree = es.free_inodes;
	st->namelen = es.name_max;
	return 0;
}

/* icache_foreach's: one inode's dirty pages; an error is kept. */
static void writeback_one(struct icache_link *l, void *arg)
{
	struct ext4v_inode *vi = container_of(l, struct ext4v_inode, hash);
	int *err = arg;

	mutex_lock(&vi->vfs.lock);
	*err = ext4v_writeback(&vi->vfs) ?: *err;
	mutex_unlock(&vi->vfs.lock);
}

/* Without locks held (syncfs): every cached inode's dirty pages, then
 * a flush. */
static int ext4v_sync(struct super_block *sb)
{
	struct ext4v_sb *s = ESB(sb);
	int err = 0;

	mutex_lock(&vfs_mutex);
	icache_foreach(&s->cache, writeback_one, &err);
	mutex_unlock(&vfs_mutex);
	if (err)
		return err;
	mutex_lock(&s->lock);
	err = ext4_sync(s->fs);
	sb_unlock(s);
	return err;
}

/* Under ip->lock: chmod, chown, utimensat and the times of writes go to
 * the disk. */
static void ext4v_dirty_inode(struct inode *ip)
{
	struct ext4v_sb *s = ESB(ip->sb);
	struct ext4_stat st = {
	    .mode = (uint16_t)(ip->type | ip->mode),
	    .uid = ip->uid,
	    .gid = ip->gid,
	    .atime = {ip->atime.sec, (uint32_t)ip->atime.nsec},
	    .mtime = {ip->mtime.sec, (uint32_t)ip->mtime.nsec},
	    .ctime = {ip->ctime.sec, (uint32_t)ip->ctime.nsec},
	};
	int err;

	if (ip->sb->rdonly)
		return;
	mutex_lock(&s->lock);
	err = EI(ip)->gone ? 0 : ext4_setattr(s->fs, EI(ip)->e, &st, 0x3f);
	sb_unlock(s);
	if (err)
		report_once("ext4: writing an inode's attributes failed");
}

/* Under vfs_mutex: names keep an inode cached (see the top). */
static bool ext4v_drop(struct inode *ip)
{
	if (ip->nlink && ip != ip->sb->root)
		return false;
	if (ip == ip->sb->root)
		return false;
	cache_remove(ESB(ip->sb), EI(ip));
	return true;
}

static void ext4v_evict(struct inode *ip)
{
	struct ext4v_inode *vi = EI(ip);

	inode_free_vfs(ip);
	mutex_lock(&ip->lock); /* the shrinker may be looking */
	if (ext4v_writeback(ip))
		report_once("ext4: writing back an evicted file's pages failed");
	pcache_cut(&vi->pc, 0);
	mutex_unlock(&ip->lock);
	ext4_iput(vi->e);
	free(vi->target);
	free(vi);
}

static struct inode *inode_of(struct icache_link *l)
{
	return &container_of(l, struct ext4v_inode, hash)->vfs;
}

/* umount2(2), under vfs_mutex: every inode written back and freed, then
 * the library's unmount (which writes the superblock). */
static int ext4v_umount(struct super_block *sb)
{
	struct ext4v_sb *s = ESB(sb);
	int err = icache_umount(&s->cache, sb, inode_of, ext4v_evict);

	if (err)
		return err;
	if (s->committer) { /* it uses s: gone before s is freed */
		thread_wake_flag(&s->stop, s->committer);
		thread_join(s->committer);
	}
	mutex_lock(&s->lock);
	if (s->dev.write && ext4_sync(s->fs))
		report_once("ext4: writing back at umount failed");
	ext4_unmount(s->fs);
	mutex_unlock(&s->lock);
	free(s);
	return 0;
}

static const struct super_ops ext4v_super_ops = {
    .umount = ext4v_umount,
    .statfs = ext4v_statfs,
    .sync = ext4v_sync,
    .dirty_inode = ext4v_dirty_inode,
    .drop = ext4v_drop,
    .evict = ext4v_evict,
};

/* ---- mounting ---- */
/* The library's copy of the root, as the superblock's root inode. */
static int mount_root(struct ext4v_sb *s)
{
	struct ext4_inode *e;
	struct ext4v_inode *vi;
	int err = ext4_iget(s->fs, EXT4_ROOT_INO, &e);

	if (err)
		return err;
	if (!(vi = vnode_new(s, e))) {
		ext4_iput(e);
		return -ENOMEM;
	}
	if (vi->vfs.type != S_IFDIR) {
		report_once("ext4: the root inode is not a directory");
		return -EUCLEAN;
	}
	vi->vfs.refs = 1; /* the superblock's */
	vi->vfs.parent = &vi->vfs;
	s->vfs.root = &vi->vfs;
	return 0;
}

static void sb_setup(struct ext4v_sb *s, struct blkdev *bd, bool rdonly)
{
	struct ext4_statfs st;

	ext4_statfs(s->fs, &st);
	s->block_size = st.block_size;
	snprintf(s->source, sizeof(s->source), "/dev/%s", bd->name);
	s->vfs.ops = &ext4v_super_ops;
	s->vfs.type = "ext4";
	s->vfs.source = s->source;
	s->vfs.dev = fs_makedev(bd->major, bd->minor);
	s->vfs.magic = EXT4_SUPER_MAGIC;
	s->vfs.rdonly = rdonly || ext4_is_readonly(s->fs);
	s->vfs.priv = s;
}

/* The file system on disk bd, not yet mounted anywhere. */
static int ext4v_open(struct blkdev *bd, bool rdonly, struct ext4v_sb **out)
{
	struct ext4v_sb *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	rdonly |= (bd->caps & BLK_CAP_RO) != 0;
	mutex_init(&s->lock);
	s->bd = bd;
	s->dev = (struct ext4_dev){dev_read,  rdonly ? NULL : dev_write,
				   dev_flush, dev_log,
				   dev_now,   blk_bytes(bd),
				   bd};
	err = ext4_mount(&s->dev, rdonly ? EXT4_MOUNT_RDONLY : 0, &s->fs);
	if (err)
		goto out_free;
	sb_setup(s, bd, rdonly);
	err = mount_root(s);
	if (err)
		goto out_unmount;
	*out = s;
	return 0;
out_unmount:
	ext4_unmount(s->fs);
out_free:
	free(s);
	return err;
}

/* mkdir -p: each missing directory of path (absolute). */
static int make_path(const char *path)
{
	size_t n = strlen(path);
	char *buf;
	int err = 0;

	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!(buf = malloc(n + 1)))
		return -ENOMEM;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n && !err; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		buf[i] = '\0';
		err = vfs_mkdirat(NULL, buf, 0755);
		if (err == -EEXIST)
			err = 0;
		buf[i] = path[i];
	}
	free(buf);
	return err;
}

int ext4_vfs_mount(const char *disk, const char *path, bool rdonly)
{
	struct blkdev *bd = blk_find(disk);
	struct ext4v_sb *s;
	int err;

	if (!bd)
		return -ENODEV;
	err = ext4v_open(bd, rdonly, &s);
	if (err)
		return err;
	err = make_path(path);
	if (!err)
		err = vfs_mount(&s->vfs, path, rdonly);
	if (err) /* nothing saw it: the root's one reference is ours */
		ext4v_evict(s->vfs.root), ext4_unmount(s->fs), free(s);
	else if (!s->vfs.rdonly &&
		 !(s->committer = thread_create("ext4-commit", commit_timer, s, 0)))
		report_once("ext4: no commit timer (out of memory): commits "
			    "on fsync and sync only");
	return err;
}

/* --mount=DEV:PATH[:ext4][,ro] and TAG:PATH:9p[,ro] (kernel/cmdline.c), after the disks
 * (virtio_init) and before the application: a mount that fails stops
 * the boot with the reason. */
static int ext4_boot_mounts(void)
{
	for (unsigned i = 0; i < boot_options.nmounts; i++) {
		const struct cmdline_mount *m = &boot_options.mounts[i];
		int err = !strcmp(m->type, "9p")
			      ? p9_vfs_mount(m->dev, m->path, m->rdonly)
			  : strcmp(m->type, "ext4")
			      ? -ENODEV
			      : ext4_vfs_mount(m->dev, m->path, m->rdonly);

		if (!err)
			continue;
		kprintf("osprey: cannot mount %s on %s (%s): %s\n", m->dev,
			m->path, m->type,
			err == -ENODEV	  ? "no such disk or file system type"
			: err == -EUCLEAN ? "the file system is corrupt"
			: err == -EBADMSG ? "a checksum does not match"
			: err == -EINVAL  ? "not ext4, or a feature we lack"
					  : "error");
		kprintf("osprey: (errno %d; the ext4 message above names the "
			"problem)\n",
			-err);
		kernel_exit(EXIT_BAD_MOUNT);
	}
	return 0;
}
INIT_STEP(75, ext4_boot_mounts);
