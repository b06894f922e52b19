/*
 * The file-descriptor table of the one process: an array of file
 * pointers and close-on-exec bits that grows (doubling) as descriptors
 * are used, up to the RLIMIT_NOFILE limit.
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

#define NR_OPEN (1u << 20) /* Linux's fs.nr_open: the highest limit */

/* The slots, copied into a larger array when they grow. */
struct fd_array {
	struct rcu_head rcu;
	unsigned capacity;
	struct file *file[]; /* written under fd_mutex, read under RCU */
};

/* Under fd_mutex; `fds` is also read under RCU. */
static struct mutex fd_mutex = MUTEX_INIT;
static struct fd_array *fds; /* NULL until the first descriptor */
static bool *cloexec_bits;
static unsigned limit = 1024;

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
	struct fd_array *old = fds, *na;
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
		memcpy(nc, cloexec_bits, cap * sizeof(*nc));
	}
	free(cloexec_bits);
	cloexec_bits = nc;
	rcu_assign_pointer(fds, na);
	if (old)
		call_rcu(&old->rcu, array_free); /* lookups may be in it */
	return 0;
}

/* Under fd_mutex, fd below the capacity: puts f at fd; returns what was
 * there. */
static struct file *set(unsigned fd, struct file *f, bool cloexec)
{
	struct file *old = fds->file[fd];

	rcu_assign_pointer(fds->file[fd], f);
	cloexec_bits[fd] = cloexec;
	return old;
}

int fd_install(struct file *f, int min_fd, bool cloexec)
{
	unsigned fd;
	int err = -EMFILE;

	if (min_fd < 0)
		return -EINVAL;
	mutex_lock(&fd_mutex);
	if ((unsigned)min_fd >= limit)
		err = -EINVAL; /* as fcntl(F_DUPFD) */
	for (fd = min_fd; fd < limit; fd++) {
		if (!slot(fds, fd)) {
			err = grow(fd);
			if (!err)
				set(fd, f, cloexec);
			break;
		}
	}
	mutex_unlock(&fd_mutex);
	return err ? err : (int)fd;
}

struct file *fd_get(int fd)
{
	struct file *f;

	rcu_read_lock();
	f = slot(rcu_dereference(fds), fd);
	if (f && !file_tryget(f))
		f = NULL; /* closed, and its last reference is going */
	rcu_read_unlock();
	return f;
}

int fd_close(int fd)
{
	struct file *f = NULL;

	mutex_lock(&fd_mutex);
	if (slot(fds, fd))
		f = set(fd, NULL, false);
	mutex_unlock(&fd_mutex);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup2(int oldfd, int newfd, bool cloexec)
{
	struct file *f, *old = NULL;
	int err = 0;

	f = fd_get(oldfd);
	if (!f)
		return -EBADF;
	if (oldfd == newfd) {
		file_put(f);
		return newfd;
	}
	mutex_lock(&fd_mutex);
	if (newfd < 0 || (unsigned)newfd >= limit)
		err = -EBADF;
	if (!err)
		err = grow(newfd);
	if (!err)
		old = set(newfd, f, cloexec);
	mutex_unlock(&fd_mutex);
	if (err)
		file_put(f);
	if (old)
		file_put(old);
	return err ? err : newfd;
}

int fd_set_cloexec(int fd, bool on)
{
	int err = -EBADF;

	mutex_lock(&fd_mutex);
	if (slot(fds, fd)) {
		cloexec_bits[fd] = on;
		err = 0;
	}
	mutex_unlock(&fd_mutex);
	return err;
}

int fd_get_cloexec(int fd)
{
	int r = -EBADF;

	mutex_lock(&fd_mutex);
	if (slot(fds, fd))
		r = cloexec_bits[fd];
	mutex_unlock(&fd_mutex);
	return r;
}

int fd_set_limit(uint64_t n)
{
	if (n > NR_OPEN)
		return -EPERM; /* Linux: above fs.nr_open */
	mutex_lock(&fd_mutex);
	limit = n;
	mutex_unlock(&fd_mutex);
	return 0;
}

int fd_next_open(int from)
{
	int fd = -1;

	mutex_lock(&fd_mutex);
	for (int i = MAX(from, 0); fds && (unsigned)i < fds->capacity; i++) {
		if (slot(fds, i)) {
			fd = i;
			break;
		}
	}
	mutex_unlock(&fd_mutex);
	return fd;
}

struct inode *fd_inode(int fd, bool *open)
{
	struct inode *ip;
	struct file *f;

	mutex_lock(&fd_mutex);
	f = slot(fds, fd);
	*open = f != NULL;
	ip = f ? f->inode : NULL;
	mutex_unlock(&fd_mutex);
	return ip;
}

unsigned fd_get_limit(void)
{
	unsigned n;

	mutex_lock(&fd_mutex);
	n = limit;
	mutex_unlock(&fd_mutex);
	return n;
}
