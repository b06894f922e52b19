/*
 * Open files: reference counting, and read/write/lseek/getdents/ioctl
 * dispatched through each file's operations.
 *
 * A file with an llseek hook has a position, and its pos_lock serialises
 * the calls that use it (as Linux's f_pos_lock for regular files and
 * directories), so two threads reading one file descriptor never read the
 * same bytes. Files without one (terminals, later pipes and sockets) take
 * no lock here, so a blocking read cannot hold up a write.
 *
 * fd_get finds files without a lock (fs/fdtable.c), so it may read a file
 * whose last reference is going: it takes one only if the count is not 0
 * (file_tryget), and the last put frees the memory only after an RCU
 * grace period, when no such lookup can still be looking at it.
 */
#include "fs/fs_private.h"

static bool writable(struct file *f);

/* ---- references ---- */
struct file *file_alloc(const struct file_ops *ops, void *priv, int flags,
			uint32_t mode)
{
	struct file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->ops = ops;
	f->priv = priv;
	f->flags = flags;
	f->mode = mode;
	f->refs = 1;
	mutex_init(&f->pos_lock);
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

bool file_tryget(struct file *f)
{
	int n = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);

	do {
		if (n == 0)
			return false;
	} while (!__atomic_compare_exchange_n(
	    &f->refs, &n, n + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

static void file_free(struct rcu_head *h)
{
	free(container_of(h, struct file, rcu));
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	epoll_file_release(f); /* leave every epoll set that watches it */
	fasync_release(f);
	if (f->inode && !(f->flags & O_PATH))
		fsnotify_change(f->inode, writable(f) ? IN_CLOSE_WRITE
						      : IN_CLOSE_NOWRITE);
	if (f->ops->release)
		f->ops->release(f);
	if (f->inode)
		inode_put(f->inode);
	/* fd_get may have read f from a slot and be about to try refs */
	call_rcu(&f->rcu, file_free);
}

static bool readable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool writable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* ---- positions ---- */
static int64_t seek_from(int64_t base, int64_t off)
{
	int64_t r;

	if (__builtin_add_overflow(base, off, &r) || r < 0)
		return -EINVAL;
	return r;
}

int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence,
			   int64_t size)
{
	switch (whence) {
	case SEEK_SET:
		return seek_from(0, off);
	case SEEK_CUR:
		return seek_from(f->pos, off);
	case SEEK_END:
		return seek_from(size, off);
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		return whence == SEEK_DATA ? off : size;
	}
	return -EINVAL;
}

/* ---- directories ---- */
static int64_t dir_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return -EISDIR;
}

/* The position is a cookie (see getdents64): only SET and CUR. */
static int64_t dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_SET)
		return seek_from(0, off);
	if (whence == SEEK_CUR)
		return seek_from(f->pos, off);
	return -EINVAL;
}

const struct file_ops vfs_dir_fops = {
	.read = dir_read,
	.llseek = dir_llseek,
};

/* Flags that act at open and are not kept (Linux: f_flags). */
#define OPEN_ONLY (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

/* O_PATH files: every data operation is refused before it gets here. */
static const struct file_ops path_ops;

int file_open_inode(struct inode *ip, int flags, struct file **out)
{
	const struct file_ops *ops = NULL;
	struct file *f;

	if (flags & O_PATH)
		ops = &path_ops;
	else if (ip->type == S_IFREG && ip->ops->open)
		return ip->ops->open(ip, flags & ~OPEN_ONLY, out);
	else if (ip->type == S_IFREG || ip->type == S_IFDIR)
		ops = ip->fops;
	else if (ip->type == S_IFCHR)
		ops = chrdev_find(ip->rdev);
	else if (ip->type == S_IFBLK)
		ops = blkdev_find(ip->rdev);
	else if (ip->type == S_IFIFO)
		return pipe_fifo_open(ip, flags, out);
	/* Sockets, block devices, unknown devices: no driver. */
	f = ops ? file_alloc(ops, NULL, flags & ~OPEN_ONLY, ip->type) : NULL;
	if (!f) {
		inode_put(ip);
		return ops ? -ENOMEM : -ENXIO;
	}
	f->inode = ip;
	int err = ops->open ? ops->open(f, flags) : 0;
	if (err) {
		file_put(f);
		return err;
	}
	*out = f;
	if (!(flags & O_PATH))
		fsnotify_change(ip, IN_OPEN);
	return 0;
}

/* ---- reading and writing ---- */
static int64_t do_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	if (!readable(f))
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	return f->ops->read(f, buf, MIN(n, (size_t)MAX_RW_COUNT), pos);
}

static int64_t do_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	if (!writable(f))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	return f->ops->write(f, buf, MIN(n, (size_t)MAX_RW_COUNT), pos);
}

bool vfs_pos_lock(struct file *f)
{
	if (!f->ops->llseek)
		return false;
	mutex_lock(&f->pos_lock);
	return true;
}

void vfs_pos_unlock(struct file *f, bool locked)
{
	if (locked)
		mutex_unlock(&f->pos_lock);
}

int64_t vfs_read_locked(struct file *f, void *buf, size_t n)
{
	int64_t pos = 0;

	return do_read(f, buf, n, f->ops->llseek ? &f->pos : &pos);
}

int64_t vfs_write_locked(struct file *f, const void *buf, size_t n)
{
	int64_t pos = 0;

	return do_write(f, buf, n, f->ops->llseek ? &f->pos : &pos);
}

int64_t vfs_read(struct file *f, void *buf, size_t n)
{
	bool locked = vfs_pos_lock(f);
	int64_t r = vfs_read_locked(f, buf, n);

	vfs_pos_unlock(f, locked);
	return r;
}

int64_t vfs_write(struct file *f, const void *buf, size_t n)
{
	bool locked = vfs_pos_lock(f);
	int64_t r = vfs_write_locked(f, buf, n);

	vfs_pos_unlock(f, locked);
	return r;
}

int64_t vfs_pread(struct file *f, void *buf, size_t n, int64_t off)
{
	if (!readable(f))
		return -EBADF;
	if (!f->ops->llseek)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	return do_read(f, buf, n, &off);
}

int64_t vfs_pwrite(struct file *f, const void *buf, size_t n, int64_t off)
{
	if (!writable(f))
		return -EBADF;
	if (!f->ops->llseek)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	return do_write(f, buf, n, &off);
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	int64_t r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (!f->ops->llseek)
		return -ESPIPE;
	if (whence < SEEK_SET || whence > SEEK_HOLE)
		return -EINVAL;
	mutex_lock(&f->pos_lock);
	r = f->ops->llseek(f, off, whence);
	if (r >= 0)
		f->pos = r;
	mutex_unlock(&f->pos_lock);
	return r;
}

/* ---- directories: getdents64 ---- */
/*
 * The position of a directory file is 0 before ".", 1 before "..", and
 * otherwise the sequence number of the next entry to return: entries are
 * numbered in creation order, so the position stays meaningful whatever
 * is added or removed between calls.
 */
struct dirbuf {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	bool full; /* an entry did not fit */
};

static uint8_t dtype(uint32_t type)
{
	return type >> 12; /* DT_* is S_IF* >> 12 by design */
}

static bool emit(struct dir_context *ctx, const char *name, size_t len,
		 uint64_t ino, uint32_t type, int64_t next)
{
	struct dirbuf *b = container_of(ctx, struct dirbuf, ctx);
	size_t head = offsetof(struct linux_dirent64, d_name);
	size_t reclen = ALIGN_UP(head + len + 1, 8);
	struct linux_dirent64 *d;

	if (reclen > b->size - b->used) {
		b->full = true;
		return false;
	}
	d = (struct linux_dirent64 *)(b->buf + b->used);
	d->d_ino = ino;
	d->d_off = next;
	d->d_reclen = reclen;
	d->d_type = dtype(type);
	memcpy(d->d_name, name, len);
	memset(d->d_name + len, 0, reclen - head - len);
	b->used += reclen;
	return true;
}

/* Under vfs_mutex and the file's pos_lock: ".", "..", then what the file
 * system's iterate lists. */
static int fill_dirents(struct inode *dir, struct dirbuf *b, int64_t *pos)
{
	struct inode *parent = dir;

	if (dir->parent)
		lookup_step(dir, "..", 2, &parent);
	if (*pos == 0) {
		if (!emit(&b->ctx, ".", 1, dir->ino, dir->type, 1))
			goto full;
		*pos = 1;
	}
	if (*pos == 1) {
		if (!emit(&b->ctx, "..", 2, parent->ino, parent->type, 2))
			goto full;
		*pos = 2;
	}
	if (dir->ops->iterate) {
		int err = dir->ops->iterate(dir, pos, &b->ctx);

		if (err && !b->used)
			return err;
	}
	if (b->used || !b->full)
		return b->used;
full:
	return b->used ? (int)b->used : -EINVAL;
}

int vfs_getdents64(struct file *f, void *buf, size_t size)
{
	struct dirbuf b = {{emit, true}, buf, MIN(size, (size_t)MAX_RW_COUNT), 0,
			   false};
	int r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (!f->inode || f->inode->type != S_IFDIR)
		return -ENOTDIR;
	mutex_lock(&f->pos_lock);
	mutex_lock(&vfs_mutex);
	r = fill_dirents(f->inode, &b, &f->pos);
	mutex_unlock(&vfs_mutex);
	mutex_unlock(&f->pos_lock);
	return r;
}

/* ---- flags, ioctl, sync ---- */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

int vfs_setfl(struct file *f, int flags)
{
	int old = LOAD(f->flags), new;

	if (old & O_PATH)
		return -EBADF;
	if (!fasync_supported(f))
		flags &= ~O_ASYNC;
	do
		new = (old & ~SETFL_MASK) | (flags & SETFL_MASK);
	while (!__atomic_compare_exchange_n(
	    &f->flags, &old, new, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

int vfs_getfl(struct file *f)
{
	return LOAD(f->flags) | O_LARGEFILE;
}

static int fionread(struct file *f, int *arg)
{
	int64_t left;

	if (!f->inode || f->inode->type != S_IFREG)
		return -ENOTTY;
	left = vfs_file_size(f) - LOAD(f->pos);
	*arg = left < 0 ? 0 : (int)MIN(left, (int64_t)0x7fffffff);
	return 0;
}

int vfs_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	int r;

	if (f->flags & O_PATH)
		return -EBADF;
	if (cmd == FIONBIO) {
		int flags = LOAD(f->flags);

		return vfs_setfl(f, *(int *)arg ? flags | O_NONBLOCK
						: flags & ~O_NONBLOCK);
	}
	if (f->ops->ioctl) {
		r = f->ops->ioctl(f, cmd, arg);
		if (r != -ENOTTY)
			return r;
	}
	if (cmd == FIONREAD)
		return fionread(f, arg);
	return -ENOTTY;
}

size_t vfs_ioctl_arg_size(unsigned long cmd)
{
	switch (cmd) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return 36; /* struct termios */
	case TIOCGWINSZ:
	case TIOCSWINSZ:
		return 8; /* struct winsize */
	case TIOCGPTN: /* ptys (fs/pty.c): an int or pid_t */
	case TIOCSPTLCK:
	case TIOCGPTLCK:
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID:
	case FIONREAD:
	case FIONBIO:
	case TIOCOUTQ: /* SIOCOUTQ */
		return sizeof(int);
	/* sockets' interface ioctls (net/ifioctl.c): struct ifreq, and
	 * struct ifconf whose buffer net/ copies itself */
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFADDR:
	case SIOCGIFBRDADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
		return 40;
	case SIOCGIFCONF:
		return 16;
	case BLKGETSIZE64: /* block devices: a u64, an unsigned long */
	case BLKGETSIZE:
	case BLKBSZGET:
		return 8;
	case BLKROGET:
	case BLKROSET:
	case BLKSSZGET:
	case BLKPBSZGET:
	case BLKIOMIN:
	case BLKIOOPT:
	case BLKALIGNOFF:
	case BLKDISCARDZEROES:
		return 4;
	case BLKSECTGET:
		return 2;
	case BLKDISCARD: /* uint64_t range[2] */
	case BLKZEROOUT:
		return 16;
	}
	return 0;
}

static int do_fsync(struct file *f, bool datasync)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->ops->fsync)
		return f->ops->fsync(f, datasync);
	return f->inode ? 0 : -EINVAL;
}

int vfs_fsync(struct file *f)
{
	return do_fsync(f, false);
}

int vfs_syncfs(struct file *f)
{
	struct super_block *sb = f->inode ? f->inode->sb : NULL;

	return sb && sb->ops && sb->ops->sync ? sb->ops->sync(sb) : 0;
}

int vfs_fdatasync(struct file *f)
{
	return do_fsync(f, true);
}

/* ---- file data for the loader and mmap ---- */
/* A regular file whose data has pages (not one of /proc's). */
static struct inode *regular(struct file *f)
{
	if (!f->inode || f->inode->type != S_IFREG || !f->inode->ops->page ||
	    (f->flags & O_PATH))
		return NULL;
	return f->inode;
}

int64_t vfs_file_size(struct file *f)
{
	struct inode *ip = regular(f);

	return ip ? LOAD(ip->size) : -EINVAL;
}

/* The reference is taken under ip->lock, which truncation holds too. */
uint64_t vfs_file_page_get(struct file *f, uint64_t index, bool shared)
{
	struct inode *ip = regular(f);
	uint64_t phys = 0;

	if (!ip)
		return 0;
	mutex_lock(&ip->lock);
	if (index < ALIGN_UP((uint64_t)ip->size, PAGE_SIZE) / PAGE_SIZE) {
		void *page = ip->ops->page(ip, index);

		if (page) {
			phys = virt_to_phys(page);
			pmm_frame_share(phys);
			if (shared && (LOAD(f->flags) & O_ACCMODE) == O_RDWR &&
			    ip->ops->page_mkdirty)
				ip->ops->page_mkdirty(ip, index);
		}
	}
	mutex_unlock(&ip->lock);
	return phys;
}

int vfs_file_pin(struct file *f)
{
	struct inode *ip = regular(f);

	if (!ip)
		return -EINVAL;
	mutex_lock(&ip->lock);
	ip->pins++;
	mutex_unlock(&ip->lock);
	return 0;
}

void vfs_file_unpin(struct file *f)
{
	struct inode *ip = regular(f);

	assert(ip);
	mutex_lock(&ip->lock);
	assert(ip->pins > 0);
	if (--ip->pins == 0 && ip->ops->writeback &&
	    ip->ops->writeback(ip))
		kprintf("osprey: writing back a mapped file's pages failed "
			"(inode %lu)\n", ip->ino);
	mutex_unlock(&ip->lock);
}
