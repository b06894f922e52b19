/*
 * 9P2000.L in the VFS: a host folder, served by the hypervisor (QEMU's
 * virtio-9p, security_model=none), as a file system of fs/vfs.h.
 *
 * Fids. Every VFS inode holds the fid the path walk made for it (walked
 * from its directory's fid by one name): stat, setattr, readlink, and
 * the walks to its children go through it. A walked fid cannot do I/O,
 * so reading and writing open two more lazily (rfid O_RDONLY, wfid
 * O_WRONLY, or the O_RDWR fid Tlcreate left); they are clunked with the
 * inode. The server keeps a fid working after the file is renamed or
 * unlinked, so an open file behaves as on Linux.
 *
 * The inode cache (a hash table on qid.path, under vfs_mutex) keeps one
 * VFS inode per host file while it has names, as ext4's does: a lookup
 * that finds its file cached takes fresh attributes from the server and
 * clunks the fid it walked. Attributes are the host's: stat asks the
 * server each time, so a change made on the host shows at once; read
 * and write are requests each (Linux's cache=none).
 *
 * Mappings. mmap and the loader take pages from a page cache
 * (fs/pagecache.c) that lives while the file is mapped: filled from the
 * read fid on a fault (with readahead), kept equal to what write() sends
 * (write-through into the cached pages), and dropped when the last
 * mapping goes, so a file mapped again sees the host's changes. A shared
 * writable mapping's pages are marked dirty when handed out and written
 * through the write fid by msync, fsync, read() and the last unmap (as
 * Linux's cache=mmap mode; with cache=none Linux refuses such a mapping,
 * EINVAL, which would stop programs that work here).
 *
 * Locks: vfs_mutex -> ip->lock, as the core takes them; the client
 * needs none (fs/9p/client.c), so requests of different threads are in
 * flight together. An inode's lazily opened fids are set under ip->lock
 * (directories': under vfs_mutex, where iterate runs).
 */
#include "fs/9p/client.h"
#include "fs/fs_private.h"

#define V9FS_MAGIC 0x01021997 /* Linux: include/uapi/linux/magic.h */
#define NO_FID 0u /* fids are handed out from 1 */
#define EOF_POS INT64_MAX

struct p9v_inode {
	struct inode vfs;
	/* set when made, then read-only */
	uint32_t fid;
	/* under ip->lock (directories: vfs_mutex); NO_FID until needed */
	uint32_t rfid, wfid;
	uint32_t huid, hgid; /* the owner the host last told */
	struct pcache pc;    /* the mapped pages; under ip->lock */
	/* under vfs_mutex */
	struct icache_link hash; /* in the sb's cache */
	char *target; /* symlinks: read once */
};

struct p9v_sb {
	struct super_block vfs;
	/* set at mount, then read-only */
	struct p9_client c;
	struct p9_transport *t;
	/* under vfs_mutex */
	struct icache cache;
};

static const struct inode_ops p9v_inode_ops;
static const struct file_ops p9v_file_ops;

static struct p9v_inode *VI(struct inode *ip)
{
	return container_of(ip, struct p9v_inode, vfs);
}

static struct p9v_sb *VSB(struct super_block *sb)
{
	return container_of(sb, struct p9v_sb, vfs);
}

static struct p9_client *CL(struct inode *ip)
{
	return &VSB(ip->sb)->c;
}

/* Things we do not do yet, reported once each by name. */
static void report_once(bool *seen, const char *msg)
{
	if (!__atomic_exchange_n(seen, true, __ATOMIC_RELAXED))
		kprintf("osprey: 9p: %s\n", msg);
}

/* ---- the inode cache (icache.c), under vfs_mutex ---- */
static struct p9v_inode *cache_find(struct p9v_sb *s, uint64_t ino)
{
	struct icache_link *l = icache_find(&s->cache, ino);

	return l ? container_of(l, struct p9v_inode, hash) : NULL;
}

static void cache_remove(struct p9v_sb *s, struct p9v_inode *vi)
{
	icache_remove(&s->cache, &vi->hash);
}

/* ---- attributes ---- */
static struct timespec_k ts(uint64_t sec, uint64_t nsec)
{
	return (struct timespec_k){(int64_t)sec, (int64_t)(nsec % 1000000000)};
}

/* The host's attributes into the VFS inode (under ip->lock, or before
 * anyone else sees it). */
static void attrs_from(struct p9v_inode *vi, const struct p9_attr *a)
{
	vi->vfs.mode = a->mode & 07777;
	vi->vfs.uid = vi->huid = a->uid;
	vi->vfs.gid = vi->hgid = a->gid;
	vi->vfs.size = (int64_t)MIN(a->size, (uint64_t)INT64_MAX);
	vi->vfs.atime = ts(a->atime_sec, a->atime_nsec);
	vi->vfs.mtime = ts(a->mtime_sec, a->mtime_nsec);
	vi->vfs.ctime = ts(a->ctime_sec, a->ctime_nsec);
	inode_set_nlink(&vi->vfs, (uint32_t)MIN(a->nlink, 0xffffffffull));
}

/* Asks the server for ip's attributes again; takes ip->lock. */
static int refresh(struct inode *ip)
{
	struct p9_attr a;
	int err = p9c_getattr(CL(ip), VI(ip)->fid, &a);

	if (err)
		return err;
	mutex_lock(&ip->lock);
	attrs_from(VI(ip), &a);
	mutex_unlock(&ip->lock);
	return 0;
}

/* Linux's new_encode_dev, undone (the server sends st_rdev as is). */
static uint64_t rdev_of(uint64_t d)
{
	return fs_makedev((uint32_t)((d >> 8) & 0xfff),
			  (uint32_t)((d & 0xff) | ((d >> 12) & 0xfff00)));
}

/* Under vfs_mutex: a new VFS inode for fid (taken over), cached. */
static struct p9v_inode *vnode_new(struct p9v_sb *s, uint32_t fid,
				   const struct p9_attr *a)
{
	struct p9v_inode *vi = calloc(1, sizeof(*vi));
	uint32_t type = a->mode & S_IFMT;

	if (!vi)
		return NULL;
	vi->fid = fid;
	inode_init(&vi->vfs, &s->vfs, &p9v_inode_ops, a->mode, rdev_of(a->rdev),
		   a->qid.path ? a->qid.path : 1);
	attrs_from(vi, a);
	pcache_init(&vi->pc, &vi->vfs.lock);
	if (type == S_IFREG)
		vi->vfs.fops = &p9v_file_ops;
	else if (type == S_IFDIR)
		vi->vfs.fops = &vfs_dir_fops;
	icache_add(&s->cache, &vi->hash, vi->vfs.ino);
	return vi;
}

/* Under vfs_mutex: the inode of the file fid was walked to (the fid is
 * taken over: kept by a new inode, clunked when the file is cached). */
static int vnode_get(struct p9v_sb *s, uint32_t fid, struct inode *dir,
		     struct inode **out)
{
	struct p9v_inode *vi;
	struct p9_attr a;
	int err = p9c_getattr(&s->c, fid, &a);

	if (err)
		goto out_clunk;
	vi = cache_find(s, a.qid.path ? a.qid.path : 1);
	if (vi && vi->vfs.type != (a.mode & S_IFMT)) {
		cache_remove(s, vi); /* replaced on the host */
		vi = NULL;
	}
	if (vi) {
		p9c_clunk(&s->c, fid);
		mutex_lock(&vi->vfs.lock);
		attrs_from(vi, &a);
		mutex_unlock(&vi->vfs.lock);
	} else if (!(vi = vnode_new(s, fid, &a))) {
		err = -ENOMEM;
		goto out_clunk;
	}
	if (vi->vfs.type == S_IFDIR && !vi->vfs.parent)
		vi->vfs.parent = dir;
	*out = &vi->vfs;
	return 0;
out_clunk:
	p9c_clunk(&s->c, fid);
	return err;
}

/* ---- names, under vfs_mutex ---- */
static int p9v_lookup(struct inode *dir, const char *name, size_t len,
		      struct inode **out)
{
	struct p9v_sb *s = VSB(dir->sb);
	uint32_t fid = p9c_fid(&s->c);
	struct p9_qid qid;
	int err = p9c_walk(&s->c, VI(dir)->fid, fid, name, len, &qid);

	return err ? err : vnode_get(s, fid, dir, out);
}

/* After a new name in dir: its inode, and dir's new times and links. */
static int made(struct inode *dir, const char *name, size_t len, int err,
		struct inode **out)
{
	if (err)
		return err;
	refresh(dir);
	return p9v_lookup(dir, name, len, out);
}

/* A regular file: Tlcreate turns a clone of dir's fid into the new
 * file, opened O_RDWR; the new inode keeps it as its wfid. */
static int create_file(struct inode *dir, const char *name, size_t len,
		       uint32_t mode, struct inode **out)
{
	struct p9_client *c = CL(dir);
	uint32_t fid = p9c_fid(c);
	struct p9v_inode *vi;
	struct p9_qid qid;
	int err = p9c_walk(c, VI(dir)->fid, fid, NULL, 0, &qid);

	if (err)
		return err;
	err = p9c_lcreate(c, fid, name, len, O_RDWR | O_EXCL, mode & 07777, 0);
	if (!err)
		err = made(dir, name, len, 0, out);
	if (err) {
		p9c_clunk(c, fid);
		return err;
	}
	vi = VI(*out);
	mutex_lock(&vi->vfs.lock);
	if (vi->wfid == NO_FID)
		vi->wfid = fid, fid = NO_FID;
	mutex_unlock(&vi->vfs.lock);
	if (fid != NO_FID)
		p9c_clunk(c, fid);
	return 0;
}

static int p9v_create(struct inode *dir, const char *name, size_t len,
		      uint32_t mode, uint64_t rdev, struct inode **out)
{
	static bool seen;
	uint32_t type = mode & S_IFMT;

	if (type == S_IFREG)
		return create_file(dir, name, len, mode, out);
	if (type == S_IFDIR)
		return made(dir, name, len,
			    p9c_mkdir(CL(dir), VI(dir)->fid, name, len,
				      mode & 07777, 0),
			    out);
	report_once(&seen, "device nodes, FIFOs and sockets (Tmknod) are not "
			   "made yet: EOPNOTSUPP");
	return -EOPNOTSUPP;
}

static int p9v_symlink(struct inode *dir, const char *name, size_t len,
		       const char *target, struct inode **out)
{
	return made(dir, name, len,
		    p9c_symlink(CL(dir), VI(dir)->fid, name, len, target, 0),
		    out);
}

/* Tlink; the link count is the host's, asked again. */
static int p9v_link(struct inode *dir, const char *name, size_t len,
		    struct inode *ip)
{
	int err = p9c_link(CL(dir), VI(dir)->fid, VI(ip)->fid, name, len);

	if (err)
		return err;
	refresh(ip);
	refresh(dir);
	return 0;
}

/* Under vfs_mutex: ip lost a name. With names left, its link count is
 * asked again; without, it leaves the cache, to go with its last
 * reference (its fids still reach the file on the host). */
static void name_gone(struct inode *ip)
{
	if (ip->type != S_IFDIR && LOAD(ip->nlink) > 1 && !refresh(ip))
		return;
	inode_set_nlink(ip, 0);
	if (ip->type == S_IFDIR)
		ip->parent = NULL;
	cache_remove(VSB(ip->sb), VI(ip));
}

static int remove_name(struct inode *dir, const char *name, size_t len,
		       struct inode *ip, uint32_t flags)
{
	int err = p9c_unlinkat(CL(dir), VI(dir)->fid, name, len, flags);

	if (err)
		return err;
	name_gone(ip);
	refresh(dir);
	return 0;
}

static int p9v_unlink(struct inode *dir, const char *name, size_t len,
		      struct inode *ip)
{
	return remove_name(dir, name, len, ip, 0);
}

static int p9v_rmdir(struct inode *dir, const char *name, size_t len,
		     struct inode *ip)
{
	return remove_name(dir, name, len, ip, P9_AT_REMOVEDIR);
}

static int p9v_rename(struct inode *odir, const char *oname, size_t olen,
		      struct inode *ip, struct inode *ndir, const char *nname,
		      size_t nlen, struct inode *victim, unsigned flags)
{
	static bool seen;
	int err;

	if (flags & RENAME_EXCHANGE) { /* 9P has no exchange: Linux's v9fs */
		report_once(&seen, "renameat2(RENAME_EXCHANGE) is not in "
				   "9P2000.L: EINVAL");
		return -EINVAL;
	}
	err = p9c_renameat(CL(odir), VI(odir)->fid, oname, olen, VI(ndir)->fid,
			   nname, nlen);
	if (err)
		return err;
	if (victim)
		name_gone(victim);
	if (ip->type == S_IFDIR)
		ip->parent = ndir;
	refresh(odir);
	if (ndir != odir)
		refresh(ndir);
	return 0;
}

static const char *p9v_get_link(struct inode *ip)
{
	struct p9v_inode *vi = VI(ip);
	char *buf;

	if (vi->target)
		return vi->target;
	if (!(buf = malloc(PATH_MAX)))
		return NULL;
	if (p9c_readlink(CL(ip), vi->fid, buf, PATH_MAX) < 0) {
		free(buf);
		return NULL;
	}
	vi->target = buf;
	return buf;
}

/* ---- directories ---- */
/* Opens a fid of ip for I/O: a clone of its walked fid, Tlopen'ed. */
static int open_fid(struct inode *ip, uint32_t flags, uint32_t *out)
{
	struct p9_client *c = CL(ip);
	uint32_t fid = p9c_fid(c);
	struct p9_qid qid;
	int err = p9c_walk(c, VI(ip)->fid, fid, NULL, 0, &qid);

	if (err)
		return err;
	if ((err = p9c_lopen(c, fid, flags))) {
		p9c_clunk(c, fid);
		return err;
	}
	*out = fid;
	return 0;
}

/* *slot's fid, opened with flags if it is not yet. */
static int fid_for(struct inode *ip, uint32_t *slot, uint32_t flags)
{
	return *slot != NO_FID ? 0 : open_fid(ip, flags, slot);
}

struct iter {
	struct dir_context *ctx;
	int64_t *pos;
};

static bool iter_one(void *arg, const struct p9_dirent *d)
{
	struct iter *it = arg;
	int64_t next =
	    d->next >= (uint64_t)EOF_POS - 2 ? EOF_POS : (int64_t)d->next + 2;

	if ((d->name.len == 1 && d->name.s[0] == '.') ||
	    (d->name.len == 2 && !memcmp(d->name.s, "..", 2))) {
		*it->pos = next;
		return true;
	}
	if (!d->name.len ||
	    !it->ctx->emit(it->ctx, d->name.s, d->name.len, d->qid.path,
			   (uint32_t)d->type << 12, next))
		return false;
	*it->pos = next;
	return next != EOF_POS;
}

/* Positions: the server's offsets plus 2 (0 and 1 are the core's "."
 * and ".."); the last entry's end-of-directory cookie (ext4 on the host
 * gives INT64_MAX) is EOF_POS. */
static int p9v_iterate(struct inode *dir, int64_t *pos, struct dir_context *ctx)
{
	struct iter it = {ctx, pos};
	int err;

	if (*pos == EOF_POS)
		return 0;
	if ((err = fid_for(dir, &VI(dir)->rfid, O_RDONLY | O_DIRECTORY)))
		return err;
	return p9c_readdir(CL(dir), VI(dir)->rfid,
			   *pos < 2 ? 0 : (uint64_t)*pos - 2, iter_one, &it);
}

/* ---- the mappings' page cache, under ip->lock ---- */
/* pcache_fill's read: bytes of the file at off, through the read fid. */
static long read_for_cache(void *arg, uint64_t off, void *buf, size_t len)
{
	struct inode *ip = arg;
	size_t done = 0;
	long r = fid_for(ip, &VI(ip)->rfid, O_RDONLY);

	while (!r && done < len) {
		r = p9c_read(CL(ip), VI(ip)->rfid, off + done,
			     (char *)buf + done, len - done);
		if (r <= 0)
			break; /* 0: the host's file ends here (zeros) */
		done += (size_t)r;
		r = 0;
	}
	return r < 0 ? r : (long)done;
}

static void *p9v_page(struct inode *ip, uint64_t index)
{
	struct pcache *pc = &VI(ip)->pc;
	uint64_t last = ip->size ? (uint64_t)(ip->size - 1) / PAGE_SIZE : 0;
	void *page = pcache_find(pc, index);
	unsigned n = pcache_ra_window(&pc->ra, index, last, !page);

	if (page)
		return page;
	if (pcache_fill(pc, index, n, read_for_cache, ip))
		return NULL;
	return pcache_find(pc, index);
}

static void p9v_page_mkdirty(struct inode *ip, uint64_t index)
{
	if (!ip->sb->rdonly)
		pcache_set_dirty(&VI(ip)->pc, index);
}

static int64_t write_locked(struct inode *ip, const void *buf, size_t n,
			    int64_t *pos);

/* pcache_writeback's fn: the page's bytes inside the file to the host. */
static int write_page(void *arg, uint64_t index, void *page)
{
	struct inode *ip = arg;
	int64_t off = (int64_t)(index * PAGE_SIZE);
	int64_t r;

	if (off >= ip->size)
		return 0;
	size_t len = (size_t)MIN((int64_t)PAGE_SIZE, ip->size - off);
	r = write_locked(ip, page, len, &off);
	return r < 0 ? (int)r : r == (int64_t)len ? 0 : -EIO;
}

/* The dirty pages to the host; the cache goes with the last mapping. */
static int p9v_writeback(struct inode *ip)
{
	struct pcache *pc = &VI(ip)->pc;
	int err = ip->sb->rdonly ? 0
				 : pcache_writeback(pc, ip->pins > 0,
						    write_page, ip);

	if (!err && !ip->pins)
		pcache_cut(pc, 0);
	return err;
}

/* What write() sent, into the pages cached there. */
static void cache_update(struct inode *ip, const char *buf, size_t n,
			 int64_t pos)
{
	for (size_t done = 0; done < n;) {
		uint64_t at = (uint64_t)pos + done;
		size_t in = at & (PAGE_SIZE - 1);
		size_t chunk = MIN(n - done, PAGE_SIZE - in);
		char *page = pcache_find(&VI(ip)->pc, at / PAGE_SIZE);

		if (page && page + in != buf + done) /* not write_page's */
			memcpy(page + in, buf + done, chunk);
		done += chunk;
	}
}

/* Drops the pages past a new size and zeroes the last one's tail. */
static void cache_truncate(struct inode *ip, int64_t size)
{
	struct pcache *pc = &VI(ip)->pc;
	size_t in = (size_t)size & (PAGE_SIZE - 1);
	char *last = pcache_find(pc, (uint64_t)size / PAGE_SIZE);

	if (last && in)
		memset(last + in, 0, PAGE_SIZE - in);
	pcache_cut(pc, ALIGN_UP((uint64_t)size, PAGE_SIZE) / PAGE_SIZE);
}

/* ---- data and attributes, under ip->lock ---- */
static int p9v_setsize(struct inode *ip, int64_t size)
{
	struct p9_setattr a = {.valid = P9_SETATTR_SIZE,
			       .size = (uint64_t)size};
	int err;

	if (size < 0)
		return -EINVAL;
	err = p9c_setattr(CL(ip), VI(ip)->fid, &a);
	if (!err)
		ip->size = size;
	if (!err)
		cache_truncate(ip, size);
	return err;
}

static void p9v_getattr(struct inode *ip, struct kstat *st)
{
	struct p9_attr a;

	if (p9c_getattr(CL(ip), VI(ip)->fid, &a))
		return; /* gone on the host: what we knew */
	attrs_from(VI(ip), &a);
	st->mode = ip->type | ip->mode;
	st->uid = ip->uid;
	st->gid = ip->gid;
	st->size = ip->size;
	st->atime = ip->atime;
	st->mtime = ip->mtime;
	st->ctime = ip->ctime;
	st->nlink = LOAD(ip->nlink);
	st->blocks = (int64_t)MIN(a.blocks, (uint64_t)INT64_MAX);
	if (a.blksize && a.blksize <= (1u << 20))
		st->blksize = (int64_t)a.blksize;
}

static const struct inode_ops p9v_inode_ops = {
    .lookup = p9v_lookup,
    .create = p9v_create,
    .symlink = p9v_symlink,
    .link = p9v_link,
    .unlink = p9v_unlink,
    .rmdir = p9v_rmdir,
    .rename = p9v_rename,
    .get_link = p9v_get_link,
    .iterate = p9v_iterate,
    .setsize = p9v_setsize,
    .getattr = p9v_getattr,
    .page = p9v_page,
    .page_mkdirty = p9v_page_mkdirty,
    .writeback = p9v_writeback,
};

/* ---- open files ---- */
static int64_t p9v_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct inode *ip = f->inode;
	size_t done = 0;
	int64_t r = 0;

	mutex_lock(&ip->lock);
	r = VI(ip)->pc.dirty ? p9v_writeback(ip) : 0;
	if (!r)
		r = fid_for(ip, &VI(ip)->rfid, O_RDONLY);
	mutex_unlock(&ip->lock);
	while (!r && done < n) {
		r = p9c_read(CL(ip), VI(ip)->rfid, (uint64_t)*pos + done,
			     (char *)buf + done, n - done);
		if (r <= 0)
			break;
		done += (size_t)r;
		r = 0;
	}
	if (!done)
		return r;
	*pos += (int64_t)done;
	fsnotify_change(ip, IN_ACCESS);
	return (int64_t)done;
}

/* Under ip->lock: n bytes at *pos through the write fid. */
static int64_t write_locked(struct inode *ip, const void *buf, size_t n,
			    int64_t *pos)
{
	size_t done = 0;
	int64_t r = fid_for(ip, &VI(ip)->wfid, O_WRONLY);

	while (!r && done < n) {
		r = p9c_write(CL(ip), VI(ip)->wfid, (uint64_t)*pos + done,
			      (const char *)buf + done, n - done);
		if (r == 0)
			r = -EIO; /* a server that takes nothing */
		if (r < 0)
			break;
		done += (size_t)r;
		r = 0;
	}
	if (!done)
		return r;
	cache_update(ip, buf, done, *pos);
	*pos += (int64_t)done;
	if (*pos > ip->size)
		ip->size = *pos;
	return (int64_t)done;
}

static int64_t p9v_write(struct file *f, const void *buf, size_t n,
			 int64_t *pos)
{
	struct inode *ip = f->inode;
	int64_t r;

	if (ip->sb->rdonly)
		return -EROFS;
	mutex_lock(&ip->lock);
	if (LOAD(f->flags) & O_APPEND)
		*pos = ip->size;
	r = write_locked(ip, buf, n, pos);
	mutex_unlock(&ip->lock);
	if (r > 0)
		fsnotify_change(ip, IN_MODIFY);
	return r;
}

static int64_t p9v_llseek(struct file *f, int64_t off, int whence)
{
	return vfs_generic_llseek(f, off, whence, LOAD(f->inode->size));
}

/* The host's fsync(2) on an open fid of the file. */
static int p9v_fsync(struct file *f, bool datasync)
{
	struct inode *ip = f->inode;
	struct p9v_inode *vi = VI(ip);
	int err = 0;

	mutex_lock(&ip->lock);
	err = p9v_writeback(ip);
	if (!err && vi->wfid == NO_FID)
		err = fid_for(ip, &vi->rfid, O_RDONLY);
	if (!err)
		err = p9c_fsync(
		    CL(ip), vi->wfid != NO_FID ? vi->wfid : vi->rfid, datasync);
	mutex_unlock(&ip->lock);
	return err;
}

static const struct file_ops p9v_file_ops = {
    .read = p9v_read,
    .write = p9v_write,
    .llseek = p9v_llseek,
    .fsync = p9v_fsync,
};

/* ---- the superblock ---- */
static int p9v_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct p9_statfs ps;
	int err = p9c_statfs(&VSB(sb)->c, VI(sb->root)->fid, &ps);

	if (err)
		return err;
	st->type = V9FS_MAGIC; /* Linux's v9fs says its own, not the host's */
	st->bsize = st->frsize = ps.bsize;
	st->blocks = ps.blocks;
	st->bfree = ps.bfree;
	st->bavail = ps.bavail;
	st->files = ps.files;
	st->ffree = ps.ffree;
	st->namelen = ps.namelen;
	return 0;
}

/* Under ip->lock: chmod, chown and utimensat (and the times of writes)
 * go to the host; the owner only when it changed, so a server that is
 * not root is not asked to chown. */
static void p9v_dirty_inode(struct inode *ip)
{
	static bool seen;
	struct p9v_inode *vi = VI(ip);
	struct p9_setattr a = {
	    .valid = P9_SETATTR_MODE | P9_SETATTR_ATIME | P9_SETATTR_MTIME |
		     P9_SETATTR_ATIME_SET | P9_SETATTR_MTIME_SET,
	    .mode = ip->mode,
	    .uid = ip->uid,
	    .gid = ip->gid,
	    .atime_sec = (uint64_t)ip->atime.sec,
	    .atime_nsec = (uint64_t)ip->atime.nsec,
	    .mtime_sec = (uint64_t)ip->mtime.sec,
	    .mtime_nsec = (uint64_t)ip->mtime.nsec,
	};

	if (ip->sb->rdonly || ip->type == S_IFLNK || !LOAD(ip->nlink))
		return; /* an unlinked file's fid may no longer reach it */
	if (ip->uid != vi->huid)
		a.valid |= P9_SETATTR_UID;
	if (ip->gid != vi->hgid)
		a.valid |= P9_SETATTR_GID;
	int err = p9c_setattr(CL(ip), vi->fid, &a);

	if (err && !__atomic_exchange_n(&seen, true, __ATOMIC_RELAXED))
		kprintf("osprey: 9p: the host refused an attribute change "
			"(chmod, chown or utimensat): errno %d\n",
			-err);
	vi->huid = ip->uid;
	vi->hgid = ip->gid;
}

/* Under vfs_mutex: names keep an inode cached (see the top). */
static bool p9v_drop(struct inode *ip)
{
	if (ip == ip->sb->root || (ip->nlink && VI(ip)->hash.cached))
		return false;
	cache_remove(VSB(ip->sb), VI(ip));
	return true;
}

static void p9v_evict(struct inode *ip)
{
	struct p9v_inode *vi = VI(ip);
	struct p9_client *c = CL(ip);

	inode_free_vfs(ip);
	mutex_lock(&ip->lock); /* the shrinker may be looking */
	if (p9v_writeback(ip))
		kprintf("osprey: 9p: writing back an evicted file's pages "
			"failed\n");
	pcache_cut(&vi->pc, 0);
	mutex_unlock(&ip->lock);
	p9c_clunk(c, vi->fid);
	if (vi->rfid != NO_FID)
		p9c_clunk(c, vi->rfid);
	if (vi->wfid != NO_FID)
		p9c_clunk(c, vi->wfid);
	free(vi->target);
	free(vi);
}

static int p9v_umount(struct super_block *sb);

static const struct super_ops p9v_super_ops = {
    .umount = p9v_umount,
    .statfs = p9v_statfs,
    .dirty_inode = p9v_dirty_inode,
    .drop = p9v_drop,
    .evict = p9v_evict,
};

/* ---- channels and mounting ---- */
static struct p9_transport *channels; /* under channels_lock */
static struct mutex channels_lock = MUTEX_INIT;

void p9_register(struct p9_transport *t)
{
	mutex_lock(&channels_lock);
	t->next = channels;
	channels = t;
	mutex_unlock(&channels_lock);
}

/* The channel `tag`, marked taken: 0, -ENODEV or -EBUSY. */
static int take_channel(const char *tag, struct p9_transport **out)
{
	struct p9_transport *t;
	int err = -ENODEV;

	mutex_lock(&channels_lock);
	for (t = channels; t && strcmp(t->tag, tag); t = t->next)
		;
	if (t)
		err = t->taken ? -EBUSY : 0;
	if (t && !err)
		t->taken = true, *out = t;
	mutex_unlock(&channels_lock);
	return err;
}

static struct inode *inode_of(struct icache_link *l)
{
	return &container_of(l, struct p9v_inode, hash)->vfs;
}

/* umount2(2), under vfs_mutex: every fid clunked, the channel free for
 * the next mount (a new Tversion starts a new session). */
static int p9v_umount(struct super_block *sb)
{
	struct p9v_sb *s = VSB(sb);
	int err = icache_umount(&s->cache, sb, inode_of, p9v_evict);

	if (err)
		return err;
	mutex_lock(&channels_lock);
	s->t->taken = false;
	mutex_unlock(&channels_lock);
	free(s);
	return 0;
}

/* Connects, attaches and makes the root inode. */
static int p9v_open(struct p9v_sb *s, bool rdonly)
{
	uint32_t fid;
	struct p9_qid qid;
	struct inode *root;
	int err = p9c_connect(&s->c, s->t);

	if (err)
		return err;
	fid = p9c_fid(&s->c);
	if ((err = p9c_attach(&s->c, fid, &qid)))
		return err;
	s->vfs.ops = &p9v_super_ops;
	s->vfs.type = "9p";
	s->vfs.source = s->t->tag;
	s->vfs.dev = fs_makedev(0, 90 + (uint32_t)(s->t->tag[0] & 7));
	s->vfs.magic = V9FS_MAGIC;
	s->vfs.rdonly = rdonly;
	s->vfs.priv = s;
	mutex_lock(&vfs_mutex);
	err = vnode_get(s, fid, NULL, &root);
	mutex_unlock(&vfs_mutex);
	if (err)
		return err;
	if (root->type != S_IFDIR)
		return -ENOTDIR;
	root->refs = 1; /* the superblock's */
	root->parent = root;
	s->vfs.root = root;
	return 0;
}

/* mkdir -p: each missing directory of path (absolute). */
static int make_path(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	int err = 0;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
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
	return err;
}

int p9_vfs_mount(const char *tag, const char *path, bool rdonly)
{
	struct p9v_sb *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	if ((err = take_channel(tag, &s->t)))
		goto out_free;
	err = p9v_open(s, rdonly);
	if (!err)
		err = make_path(path);
	if (!err)
		err = vfs_mount(&s->vfs, path, rdonly);
	if (!err)
		return 0;
	/* the channel stays taken: its fids are in an unknown state */
	kprintf("osprey: 9p %s: cannot mount on %s (errno %d)\n", tag, path,
		-err);
out_free:
	free(s);
	return err;
}
