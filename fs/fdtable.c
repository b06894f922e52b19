/*
 * The file-descriptor table of a process: an array of file pointers and
 * close-on-exec bits that grows (doubling) as descriptors are used, up
 * to the RLIMIT_NOFILE limit; with it, the process's working directory
 * and umask (Linux's fs_struct, see struct fd_table).
 *
 * Every change (install, close, dup2, growing, close-on-exec, the limit)
 * is under fd_mutex, which is a leaf: a file replaced or closed is put
 * after unlocking, because the last put may take vfs_mutex. Lookups
 * (fd_get) take no lock. Under rcu_read_lock they read the published
 * array, then the slot, and take a reference only if the file's count is
 * not already 0 (file_tryget: its last put is under way). Nothing they
 * may be reading is freed before an RCU grace period: an array replaced
 * by a larger copy goes through call_rcu, and so does a file's memory
 * after its last put (fs/file.c). The array and each slot are published
 * with release stores after what they point to is written, so a lookup
 * sees a whole file and the capacity of the array it found. A lookup that
 * found the array just replaced may return a file closed meanwhile, as if
 * it had come just before the close.
 */
#include "fs/fs_private.h"
#include "kernel/sched/sched.h"

#define NR_OPEN (1u << 20) /* Linux's fs.nr_open: the highest limit */

/* The slots, copied into a larger array when they grow. */
struct fd_array {
	struct rcu_head rcu;
	unsigned capacity;
	struct file *file[]; /* written under fd_mutex, read under RCU */
};

/*
 * One table per process (thread->files; NULL: the first process's, so
 * that a program that never forks uses `first` alone). fork copies it
 * (the copy takes a reference on every open file: parent and child share
 * the open files and their offsets, as Linux); a vfork child or
 * CLONE_FILES shares it, counted in `refs` (atomic).
 */
struct fd_table {
	struct mutex fd_mutex;
	struct fd_array *fds; /* NULL until the first descriptor; RCU */
	bool *cloexec_bits;
	unsigned limit;
	int refs;
	/* The process's working directory (a reference; under vfs_mutex)
	 * and umask (atomic): Linux keeps them in fs_struct, shared by
	 * CLONE_FS; Osprey keeps them here, so they are shared exactly
	 * when the table is (threads, CLONE_FILES) and copied by fork. */
	struct inode *cwd;
	uint32_t umask;
	/* chroot: the process's root directory (a reference; under
	 * vfs_mutex), kept and copied as cwd is; NULL: fs_root */
	struct inode *root;
	/* /proc/<pid>/exe: what execve last loaded (a reference; under
	 * vfs_mutex); NULL: the first program, found by fs/proc_vfs.c */
	struct inode *exe;
};
static struct fd_table first = {.fd_mutex = MUTEX_INIT, .limit = 1024,
				.refs = 1, .umask = 022};

/* Inline: every system call on a descriptor asks (current_thread() is
 * set before any descriptor can exist). */
static inline struct fd_table *cur(void)
{
	if (!several_as())
		return &first;
	struct fd_table *t = current_thread()->files;

	return likely(!t) ? &first : t;
}

/* Another process's table (fs.h's linux_with_files): NULL is the first. */
static struct fd_table *tab(struct fd_table *t)
{
	return t ? t : &first;
}

/* Under fd_mutex or rcu_read_lock: the file at fd, NULL if none. */
static struct file *slot(const struct fd_array *a, int fd)
{
	if (!a || fd < 0 || (unsigned)fd >= a->capacity)
		return NULL;
	return rcu_dereference(a->file[fd]);
}

static void array_free(struct rcu_head *h)
{
	free(container_of(h, struct fd_array, rcu));
}

/* Under fd_mutex: makes room for descriptor fd. */
static int grow(unsigned fd)
{
	struct fd_table *t = cur();
	struct fd_array *old = t->fds, *na;
	unsigned cap = old ? old->capacity : 0;
	unsigned n = cap ? cap : 64;
	bool *nc;

	while (n <= fd)
		n *= 2;
	if (n <= cap)
		return 0;
	na = calloc(1, sizeof(*na) + n * sizeof(na->file[0]));
	nc = calloc(n, sizeof(*nc));
	if (!na || !nc) {
		free(na);
		free(nc);
		return -ENOMEM;
	}
	na->capacity = n;
	if (cap) {
		memcpy(na->file, old->file, cap * sizeof(na->file[0]));
		memcpy(nc, t->cloexec_bits, cap * sizeof(*nc));
	}
	free(t->cloexec_bits);
	t->cloexec_bits = nc;
	rcu_assign_pointer(t->fds, na);
	if (old)
		call_rcu(&old->rcu, array_free); /* lookups may be in it */
	return 0;
}

/* Under fd_mutex, fd below the capacity: puts f at fd; returns what was
 * there. */
static struct file *set(unsigned fd, struct file *f, bool cloexec)
{
	struct fd_table *t = cur();
	struct file *old = t->fds->file[fd];

	rcu_assign_pointer(t->fds->file[fd], f);
	t->cloexec_bits[fd] = cloexec;
	return old;
}

int fd_install(struct file *f, int min_fd, bool cloexec)
{
	struct fd_table *t = cur();
	unsigned fd;
	int err = -EMFILE;

	if (min_fd < 0)
		return -EINVAL;
	mutex_lock(&t->fd_mutex);
	if ((unsigned)min_fd >= t->limit)
		err = -EINVAL; /* as fcntl(F_DUPFD) */
	for (fd = min_fd; fd < t->limit; fd++) {
		if (!slot(t->fds, fd)) {
			err = grow(fd);
			if (!err)
				set(fd, f, cloexec);
			break;
		}
	}
	mutex_unlock(&t->fd_mutex);
	return err ? err : (int)fd;
}

struct file *fd_get(int fd)
{
	return fd_get_in(cur(), fd);
}

struct file *fd_get_in(struct fd_table *t, int fd)
{
	struct file *f;

	t = tab(t);
	rcu_read_lock();
	f = slot(rcu_dereference(t->fds), fd);
	if (f && !file_tryget(f))
		f = NULL; /* closed, and its last reference is going */
	rcu_read_unlock();
	return f;
}

int fd_close(int fd)
{
	struct fd_table *t = cur();
	struct file *f = NULL;

	mutex_lock(&t->fd_mutex);
	if (slot(t->fds, fd))
		f = set(fd, NULL, false);
	mutex_unlock(&t->fd_mutex);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup2(int oldfd, int newfd, bool cloexec)
{
	struct fd_table *t = cur();
	struct file *f, *old = NULL;
	int err = 0;

	f = fd_get(oldfd);
	if (!f)
		return -EBADF;
	if (oldfd == newfd) {
		file_put(f);
		return newfd;
	}
	mutex_lock(&t->fd_mutex);
	if (newfd < 0 || (unsigned)newfd >= t->limit)
		err = -EBADF;
	if (!err)
		err = grow(newfd);
	if (!err)
		old = set(newfd, f, cloexec);
	mutex_unlock(&t->fd_mutex);
	if (err)
		file_put(f);
	if (old)
		file_put(old);
	return err ? err : newfd;
}

int fd_set_cloexec(int fd, bool on)
{
	struct fd_table *t = cur();
	int err = -EBADF;

	mutex_lock(&t->fd_mutex);
	if (slot(t->fds, fd)) {
		t->cloexec_bits[fd] = on;
		err = 0;
	}
	mutex_unlock(&t->fd_mutex);
	return err;
}

int fd_get_cloexec(int fd)
{
	struct fd_table *t = cur();
	int r = -EBADF;

	mutex_lock(&t->fd_mutex);
	if (slot(t->fds, fd))
		r = t->cloexec_bits[fd];
	mutex_unlock(&t->fd_mutex);
	return r;
}

int fd_set_limit(uint64_t n)
{
	struct fd_table *t = cur();
	if (n > NR_OPEN)
		return -EPERM; /* Linux: above fs.nr_open */
	mutex_lock(&t->fd_mutex);
	t->limit = n;
	mutex_unlock(&t->fd_mutex);
	return 0;
}

int fd_next_open(struct fd_table *t, int from)
{
	int fd = -1;

	t = tab(t);
	mutex_lock(&t->fd_mutex);
	for (int i = MAX(from, 0); t->fds && (unsigned)i < t->fds->capacity; i++) {
		if (slot(t->fds, i)) {
			fd = i;
			break;
		}
	}
	mutex_unlock(&t->fd_mutex);
	return fd;
}

struct inode *fd_inode(struct fd_table *t, int fd, bool *open)
{
	struct inode *ip;
	struct file *f;

	t = tab(t);
	mutex_lock(&t->fd_mutex);
	f = slot(t->fds, fd);
	*open = f != NULL;
	ip = f ? f->inode : NULL;
	mutex_unlock(&t->fd_mutex);
	return ip;
}

unsigned fd_get_limit(void)
{
	struct fd_table *t = cur();
	unsigned n;

	mutex_lock(&t->fd_mutex);
	n = t->limit;
	mutex_unlock(&t->fd_mutex);
	return n;
}

/* Under from's lock: to gets from's slots, each file with a reference. */
static int copy_slots(struct fd_table *from, struct fd_table *to, unsigned cap)
{
	to->fds = calloc(1, sizeof(*to->fds) + cap * sizeof(to->fds->file[0]));
	to->cloexec_bits = calloc(cap, sizeof(bool));
	if (!to->fds || !to->cloexec_bits) {
		free(to->fds);
		free(to->cloexec_bits);
		return -ENOMEM;
	}
	to->fds->capacity = cap;
	for (unsigned i = 0; i < cap; i++) {
		struct file *f = from->fds->file[i];

		if (f)
			file_get(f);
		to->fds->file[i] = f;
		to->cloexec_bits[i] = from->cloexec_bits[i];
	}
	return 0;
}

struct fd_table *fd_table_fork(void)
{
	struct fd_table *from = cur(), *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	mutex_init(&t->fd_mutex);
	t->refs = 1;
	mutex_lock(&from->fd_mutex);
	t->limit = from->limit;
	unsigned cap = from->fds ? from->fds->capacity : 0;
	if (cap && copy_slots(from, t, cap)) {
		mutex_unlock(&from->fd_mutex);
		free(t);
		return NULL;
	}
	mutex_unlock(&from->fd_mutex);
	t->umask = LOAD(from->umask);
	mutex_lock(&vfs_mutex);
	t->cwd = from->cwd;
	if (t->cwd)
		t->cwd->refs++;
	t->exe = from->exe;
	if (t->exe)
		t->exe->refs++;
	t->root = from->root;
	if (t->root)
		t->root->refs++;
	mutex_unlock(&vfs_mutex);
	return t;
}

/* The table's working directory and program go with its last
 * reference. */
static void put_cwd(struct fd_table *t)
{
	struct inode *dead = NULL, *dead_exe = NULL, *dead_root = NULL;

	mutex_lock(&vfs_mutex);
	if (t->cwd)
		dead = inode_unref_locked(t->cwd);
	if (t->exe)
		dead_exe = inode_unref_locked(t->exe);
	if (t->root)
		dead_root = inode_unref_locked(t->root);
	t->cwd = t->exe = t->root = NULL;
	mutex_unlock(&vfs_mutex);
	if (dead)
		inode_evict(dead);
	if (dead_exe)
		inode_evict(dead_exe);
	if (dead_root)
		inode_evict(dead_root);
}

struct inode *fd_table_cwd(struct fd_table *t)
{
	return tab(t)->cwd;
}

struct inode *fd_table_exe(struct fd_table *t)
{
	return tab(t)->exe;
}

struct inode *fd_table_exe_set(struct fd_table *t, struct inode *ip)
{
	struct inode *old = tab(t)->exe;

	tab(t)->exe = ip;
	return old;
}

struct fd_table *fd_table_caller(void)
{
	return cur() == &first ? NULL : cur();
}

struct inode *fs_cwd(void)
{
	return cur()->cwd;
}

struct inode *fs_cwd_set(struct inode *ip)
{
	struct fd_table *t = cur();
	struct inode *old = t->cwd;

	t->cwd = ip;
	return old;
}

struct inode *fs_proc_root(void)
{
	struct inode *r = cur()->root;

	return r ? r : fs_root;
}

struct inode *fs_proc_root_set(struct inode *ip)
{
	struct fd_table *t = cur();
	struct inode *old = t->root;

	t->root = ip;
	return old;
}

uint32_t *fs_umask_of_caller(void)
{
	return &cur()->umask;
}

static int get_umask(struct fd_table *t, void *arg)
{
	return (int)LOAD(tab(t)->umask);
}

int vfs_umask_of(int pid)
{
	return linux_with_files(pid, get_umask, NULL);
}

void fd_table_get(struct fd_table *t)
{
	if (t)
		__atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
}

/* The last reference closes everything; nobody can look it up then. */
void fd_table_put(struct fd_table *t)
{
	if (!t || t == &first || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; t->fds && i < t->fds->capacity; i++)
		if (t->fds->file[i])
			file_put(t->fds->file[i]);
	if (t->fds)
		call_rcu(&t->fds->rcu, array_free);
	free(t->cloexec_bits);
	put_cwd(t);
	free(t);
}

/* execve: the close-on-exec descriptors go. */
void fd_close_on_exec(void)
{
	struct fd_table *t = cur();

	for (unsigned i = 0; t->fds && i < t->fds->capacity; i++) {
		mutex_lock(&t->fd_mutex);
		struct file *f = t->cloexec_bits[i] ? slot(t->fds, (int)i) : NULL;
		if (f)
			set(i, NULL, false);
		mutex_unlock(&t->fd_mutex);
		if (f)
			file_put(f);
	}
}
