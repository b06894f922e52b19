/*
 * procfs: /proc as Linux shows it, for what programs and their C
 * libraries read (Linux: man 5 proc, Documentation/filesystems/proc.rst).
 * This file is the mechanism; the files come from who knows the facts,
 * through procfs_register (fs.h): fs/proc_sys.c, fs/proc_vfs.c,
 * linux/proc_pid.c, net/procnet.c.
 *
 * Its inodes (struct proc_inode) carry the entry they show, what it
 * is about (a pid, tid or fd) and the pid of the /proc/<pid> they are
 * under (links, numbered directories and show_in files get it: fd/N of
 * another process needs both), behind the VFS's inode_ops:
 *  - a directory is a table of entries (its own and those registered
 *    for it), made with the directory; /proc itself is filled at its
 *    first use, after every init step has registered. The directories
 *    of numbers (/proc for the pids, /proc/<pid>/fd and /proc/<pid>/task)
 *    also get an entry for a number when a lookup or getdents finds that
 *    it exists. A path walk holds plain pointers to the inodes it
 *    passes, so lookups only ever add; the entries of what is gone are
 *    hidden, and getdents (outside any walk) frees them once nothing has
 *    them open;
 *  - a file's text is made when it is opened, a snapshot that read, lseek
 *    and pread work on; a read at offset 0 after the first makes it again,
 *    as Linux's seq_file does, so that monitors can rewind and reread;
 *  - a link has no target string: following it gives the inode it leads
 *    to (an open file's, the working directory's), as Linux's "magic"
 *    links, and readlink a text made when asked ("/tmp/x", "pipe:[12]").
 *
 * Lock order: vfs_mutex (lookups, links) -> the fd table's lock; a file's
 * text is made without vfs_mutex (under its own lock, then the address
 * space's for maps), since reading application memory may fault.
 */
#include "fs/fs_private.h"
#include "fs/procfs.h"
#include "linux/linux.h" /* copy_from_user */

static struct super_block *proc_sb; /* set at init */
static struct inode *proc_root;	    /* set at init; its entries are forever */
static bool root_filled;	    /* under vfs_mutex */

/* ---- the text of a file ---- */
void proc_printf(struct proc_buf *b, const char *fmt, ...)
{
	size_t room = b->len < b->cap ? b->cap - b->len + 1 : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + MIN(b->len, b->cap), room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += n;
}

void proc_write(struct proc_buf *b, const void *p, size_t n)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;

	memcpy(b->buf + MIN(b->len, b->cap), p, MIN(n, room));
	b->len += n;
}

void proc_user(struct proc_buf *b, uint64_t addr, size_t n)
{
	size_t room = b->len < b->cap ? b->cap - b->len : 0;

	if (n > PROC_MAX)
		return;
	if (copy_from_user(b->buf + MIN(b->len, b->cap), addr, MIN(n, room)))
		return;
	b->len += n;
}

void proc_pad(struct proc_buf *b, size_t start, size_t column)
{
	while (b->len - start < column)
		proc_write(b, " ", 1);
}

size_t proc_len(const struct proc_buf *b)
{
	return b->len;
}

int proc_text(struct proc_buf *b, int (*text)(char *buf, size_t size))
{
	size_t at = MIN(b->len, b->cap), room = b->cap - at + 1;
	int n = text(b->buf + at, room);

	if (n < 0)
		return n;
	/* A text that filled the room may have been cut short (not every
	 * maker returns the whole length, as snprintf): ask for more. */
	if ((size_t)n >= room - 1 && b->cap < PROC_MAX)
		n = (int)room;
	b->len += (size_t)n;
	return 0;
}

/* ---- the registry ---- */
#define REG_MAX 32

/* written at boot by one init step at a time, then read-only */
static struct {
	const struct proc_entry *dir, *table;
} reg[REG_MAX];
static unsigned nreg;

static const struct proc_entry root_table[] = {
    PSAME("mounts", &procfs_mounts),
    PSAME("net", &procfs_net),
    PSAME("self", &procfs_self),
    {NULL},
};
static struct proc_entry root_entry = {
    .mode = S_IFDIR | 0555,
    .table = root_table,
};
const struct proc_entry procfs_net = PDIR("net", NULL);

int procfs_register(const struct proc_entry *dir,
		    const struct proc_entry *table)
{
	if (nreg == REG_MAX)
		return -ENOMEM;
	reg[nreg].dir = dir ? dir : &root_entry;
	reg[nreg].table = table;
	nreg++;
	return 0;
}

void procfs_set_pids(const struct proc_entry *each,
		     int (*next)(int pid, int from))
{
	root_entry.numbered = each;
	root_entry.next = next;
}

static const struct proc_entry *real(const struct proc_entry *e)
{
	return e->same ? e->same : e;
}

/* ---- nodes ---- */
struct proc_inode {
	struct inode vfs;
	struct dir dir; /* under vfs_mutex */
	/* set when made, then read-only */
	const struct proc_entry *entry;
	int arg; /* the pid, tid or fd it is about */
	int pid; /* the /proc/<pid> it is under; 0: none */
};

static struct proc_inode *PI(struct inode *ip)
{
	return container_of(ip, struct proc_inode, vfs);
}

static const struct inode_ops proc_inode_ops;

static void proc_evict(struct inode *ip)
{
	inode_free_vfs(ip);
	dir_destroy(&PI(ip)->dir);
	free(PI(ip));
}

static struct proc_inode *proc_inode_new(const struct proc_entry *e, int arg,
					 int pid)
{
	struct proc_inode *pi = calloc(1, sizeof(*pi));

	if (!pi)
		return NULL;
	inode_init(&pi->vfs, proc_sb, &proc_inode_ops, e->mode, 0, 0);
	dir_init(&pi->dir);
	if (S_ISDIR(e->mode))
		pi->vfs.fops = &vfs_dir_fops;
	pi->entry = e;
	pi->arg = arg;
	pi->pid = pid;
	return pi;
}

static void add_nlink(struct inode *ip, int delta)
{
	inode_set_nlink(ip, ip->nlink + delta);
}

static void fill(struct inode *dir);

/* Under vfs_mutex: a node showing e about arg, named `name` in dir. */
static struct dentry *node_add(struct inode *dir, const char *name, size_t len,
			       const struct proc_entry *e, int arg)
{
	/* /proc's numbered entries are the pids; below, the pid is kept */
	int pid = dir == proc_root ? arg : PI(dir)->pid;
	struct proc_inode *pi = proc_inode_new(e, arg, pid);
	struct inode *ip;
	struct dentry *d;

	if (!pi)
		return NULL;
	ip = &pi->vfs;
	d = dir_add(&PI(dir)->dir, name, len, ip);
	if (!d) {
		proc_evict(ip);
		return NULL;
	}
	ip->name_dir = dir;
	add_nlink(ip, 1);
	if (S_ISDIR(e->mode)) {
		add_nlink(ip, 1);
		ip->parent = dir;
		add_nlink(dir, 1);
		fill(ip);
	}
	return d;
}

static void fill_table(struct inode *dir, const struct proc_entry *t)
{
	for (const struct proc_entry *e = t; e && e->name; e++)
		node_add(dir, e->name, strlen(e->name), real(e), PI(dir)->arg);
}

/* Under vfs_mutex: a directory's fixed entries (fewer without memory). */
static void fill(struct inode *dir)
{
	const struct proc_entry *e = PI(dir)->entry;

	fill_table(dir, e->table);
	for (unsigned i = 0; i < nreg; i++)
		if (reg[i].dir == e)
			fill_table(dir, reg[i].table);
}

/* Under vfs_mutex: /proc's own entries, made at first use. */
static void ready(struct inode *dir)
{
	if (dir != proc_root || root_filled)
		return;
	root_filled = true;
	fill(dir);
}

/* The number a name spells: decimal without leading zeros, below 10^9. */
static int parse_number(const char *name, size_t len)
{
	int n = 0;

	if (len == 0 || len > 9 || (len > 1 && name[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		n = n * 10 + (name[i] - '0');
	}
	return n;
}

static bool exists(struct inode *dir, int n)
{
	return PI(dir)->entry->next(PI(dir)->pid, n) == n;
}

/* Under vfs_mutex: whether the entry stands for something gone. */
static bool gone(struct inode *dir, struct dentry *d)
{
	const struct proc_entry *e = PI(dir)->entry;
	struct proc_inode *child = PI(d->inode);

	return e->numbered && child->entry == e->numbered &&
	       !exists(dir, child->arg);
}

/* Under vfs_mutex: the entry `name` of dir, made when the pid, tid or fd
 * it stands for exists. A path walk holds plain pointers to the inodes
 * it passes, so this only ever adds. */
static struct dentry *proc_find(struct inode *dir, const char *name,
				size_t len)
{
	const struct proc_entry *e = PI(dir)->entry;
	struct dentry *d = dir_lookup(&PI(dir)->dir, name, len);
	int n;

	if (!e->numbered)
		return d;
	if (d)
		return gone(dir, d) ? NULL : d;
	n = parse_number(name, len);
	if (n < 0 || !exists(dir, n))
		return NULL;
	return node_add(dir, name, len, e->numbered, n);
}

static int proc_lookup(struct inode *dir, const char *name, size_t len,
		       struct inode **out)
{
	struct dentry *d;

	ready(dir);
	d = proc_find(dir, name, len);
	if (!d)
		return -ENOENT;
	*out = d->inode;
	return 0;
}

/* Whether nothing has ip, or anything below it, open or as the working
 * directory. */
static bool unused(struct inode *ip)
{
	struct dir *dir = &PI(ip)->dir;

	if (ip->refs)
		return false;
	for (struct dentry *d = dir_next(dir, NULL); d; d = dir_next(dir, d))
		if (!unused(d->inode))
			return false;
	return true;
}

static void free_tree(struct inode *ip)
{
	struct dir *dir = &PI(ip)->dir;
	struct dentry *d;

	while ((d = dir_next(dir, NULL))) {
		struct inode *child = d->inode;

		dir_remove(dir, d);
		free_tree(child);
	}
	proc_evict(ip);
}

/* Under vfs_mutex, outside any path walk (getdents): brings the entries
 * of a directory of numbers up to date, freeing those of what is gone. */
static void refresh(struct inode *dir)
{
	const struct proc_entry *e = PI(dir)->entry;
	struct dentry *d, *next;
	char name[16];

	for (d = dir_next(&PI(dir)->dir, NULL); d; d = next) {
		struct inode *ip = d->inode;

		next = dir_next(&PI(dir)->dir, d);
		if (!gone(dir, d) || !unused(ip))
			continue;
		dir_remove(&PI(dir)->dir, d);
		if (S_ISDIR(ip->type))
			add_nlink(dir, -1);
		free_tree(ip);
	}
	int pid = PI(dir)->pid;

	for (int n = e->next(pid, 0); n >= 0 && n < 0x7fffffff;
	     n = e->next(pid, n + 1)) {
		int len = snprintf(name, sizeof(name), "%d", n);

		if (!dir_lookup(&PI(dir)->dir, name, len))
			node_add(dir, name, len, e->numbered, n);
	}
}

static int proc_iterate(struct inode *dir, int64_t *pos,
			struct dir_context *ctx)
{
	const struct proc_entry *e = PI(dir)->entry;

	ready(dir);
	if (!e->numbered)
		return dir_iterate(&PI(dir)->dir, pos, ctx, NULL, dir);
	if (ctx->getdents)
		refresh(dir);
	return dir_iterate(&PI(dir)->dir, pos, ctx, gone, dir);
}

/* Under vfs_mutex: where a link leads; -ENXIO with *outside_fd set for a
 * descriptor whose file is outside the tree. */
static int proc_follow(struct inode *link, struct inode **out,
		       int *outside_fd)
{
	struct proc_inode *pi = PI(link);
	int err = pi->entry->follow(pi->pid, pi->arg, out);

	if (err == -ENXIO) /* only fd links say it */
		*outside_fd = pi->arg;
	return err;
}

/* readlink(2), without vfs_mutex. */
static int proc_readlink(struct inode *ip, char *buf, size_t size)
{
	char *tmp = malloc(PATH_MAX);
	int n;

	if (!tmp)
		return -ENOMEM;
	n = PI(ip)->entry->link(PI(ip)->pid, PI(ip)->arg, tmp);
	if (n > 0) {
		n = MIN((size_t)n, size);
		memcpy(buf, tmp, n);
	}
	free(tmp);
	return n;
}

/* ---- open files ---- */
struct proc_file {
	const struct proc_entry *entry;
	int arg, pid;
	struct mutex lock; /* guards the rest */
	char *buf;
	size_t len;
	bool read; /* a read at offset 0 makes the text again */
};

/* Makes the text, growing the buffer until it fits (up to PROC_MAX). */
static int generate(struct proc_file *pf)
{
	const struct proc_entry *e = pf->entry;
	size_t cap = PAGE_SIZE;

	for (;;) {
		struct proc_buf b = {malloc(cap + 1), cap, 0};
		int err = 0;

		if (!b.buf)
			return -ENOMEM;
		if (e->show_in)
			err = e->show_in(&b, pf->pid, pf->arg);
		else if (e->show)
			err = e->show(&b, pf->arg);
		else
			proc_printf(&b, "%s", e->text);
		if (!err && b.len > cap && cap < PROC_MAX) {
			free(b.buf);
			while (cap < b.len && cap < PROC_MAX)
				cap *= 2;
			continue;
		}
		if (err) {
			free(b.buf);
			return err;
		}
		free(pf->buf);
		pf->buf = b.buf;
		pf->len = MIN(b.len, cap);
		return 0;
	}
}

static int64_t proc_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct proc_file *pf = f->priv;
	int64_t r = 0;
	int err = 0;

	mutex_lock(&pf->lock);
	if (*pos == 0 && pf->read)
		err = generate(pf);
	pf->read = true;
	if (!err && *pos < (int64_t)pf->len) {
		r = MIN(n, pf->len - (size_t)*pos);
		memcpy(buf, pf->buf + *pos, r);
		*pos += r;
	}
	mutex_unlock(&pf->lock);
	return err ? err : r;
}

/* As Linux's seq_lseek: SEEK_SET and SEEK_CUR only. */
static int64_t proc_llseek(struct file *f, int64_t off, int whence)
{
	int64_t r;

	if (whence == SEEK_CUR && __builtin_add_overflow(f->pos, off, &r))
		return -EINVAL;
	if (whence == SEEK_SET)
		r = off;
	else if (whence != SEEK_CUR)
		return -EINVAL;
	return r < 0 ? -EINVAL : r;
}

static void proc_release(struct file *f)
{
	struct proc_file *pf = f->priv;

	free(pf->buf);
	free(pf);
}

static const struct file_ops proc_ops = {
    .read = proc_read,
    .llseek = proc_llseek,
    .release = proc_release,
};

/* Opens a file (taking over the inode reference): its contents are
 * computed now, and again by a read at offset 0 after the first. */
static int proc_open(struct inode *ip, int flags, struct file **out)
{
	struct proc_file *pf;
	struct file *f;
	int err = -EACCES;

	if ((flags & O_ACCMODE) != O_RDONLY)
		goto out_put; /* nothing in /proc is writable yet */
	err = -ENOMEM;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		goto out_put;
	pf->entry = PI(ip)->entry;
	pf->arg = PI(ip)->arg;
	pf->pid = PI(ip)->pid;
	mutex_init(&pf->lock);
	err = generate(pf);
	if (err)
		goto out_free;
	err = -ENOMEM;
	f = file_alloc(&proc_ops, pf, flags, ip->type);
	if (!f)
		goto out_free;
	f->inode = ip;
	*out = f;
	return 0;
out_free:
	free(pf->buf);
	free(pf);
out_put:
	inode_put(ip);
	return err;
}

static const struct inode_ops proc_inode_ops = {
	.lookup = proc_lookup,
	.follow = proc_follow,
	.readlink = proc_readlink,
	.iterate = proc_iterate,
	.open = proc_open,
};

/* ---- setup ---- */
#define PROC_SUPER_MAGIC 0x9fa0 /* Linux: include/uapi/linux/magic.h */

static const struct super_ops proc_super_ops = {
	.evict = proc_evict,
};

int procfs_mount(void)
{
	struct proc_inode *root;
	struct super_block *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return -ENOMEM;
	sb->ops = &proc_super_ops;
	sb->type = sb->source = "proc";
	sb->dev = fs_makedev(0, 22);
	sb->magic = PROC_SUPER_MAGIC;
	sb->next_ino = 1;
	proc_sb = sb;
	root = proc_inode_new(&root_entry, 0, 0);
	if (!root)
		return -ENOMEM;
	proc_root = sb->root = &root->vfs;
	proc_root->nlink = 2;
	proc_root->refs = 1; /* the superblock's */
	proc_root->parent = proc_root;
	return vfs_mount(sb, "/proc", false);
}


/* Under vfs_mutex: the inode of /proc/<name>; -ENOENT if none. */
int procfs_find_root(const char *name, size_t len, struct inode **out)
{
	struct dentry *d;

	ready(proc_root);
	d = proc_find(proc_root, name, len);
	if (!d)
		return -ENOENT;
	*out = d->inode;
	return 0;
}
