/*
 * The file-descriptor table of the one process: an array of file
 * pointers and close-on-exec bits that grows (doubling) as descriptors
 * are used, up to the RLIMIT_NOFILE limit. Everything is under fd_mutex,
 * which is a leaf: a file replaced or closed is put after unlocking,
 * because the last put may take vfs_mutex.
 */
#include "fs/fs_private.h"

#define NR_OPEN (1u << 20) /* Linux's fs.nr_open: the highest limit */

/* Under fd_mutex. */
static struct mutex fd_mutex = MUTEX_INIT;
static struct file **fds;
static bool *cloexec_bits;
static unsigned capacity;
static unsigned limit = 1024;

/* Under fd_mutex: makes room for descriptor fd. */
static int grow(unsigned fd)
{
	unsigned n = capacity ? capacity : 64;
	struct file **nf;
	bool *nc;

	while (n <= fd)
		n *= 2;
	if (n <= capacity)
		return 0;
	nf = calloc(n, sizeof(*nf));
	nc = calloc(n, sizeof(*nc));
	if (!nf || !nc) {
		free(nf);
		free(nc);
		return -ENOMEM;
	}
	if (capacity) {
		memcpy(nf, fds, capacity * sizeof(*nf));
		memcpy(nc, cloexec_bits, capacity * sizeof(*nc));
	}
	free(fds);
	free(cloexec_bits);
	fds = nf;
	cloexec_bits = nc;
	capacity = n;
	return 0;
}

/* Under fd_mutex: puts f at fd; returns what was there. */
static struct file *set(unsigned fd, struct file *f, bool cloexec)
{
	struct file *old = fds[fd];

	fds[fd] = f;
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
		if (fd >= capacity || !fds[fd]) {
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
	struct file *f = NULL;

	mutex_lock(&fd_mutex);
	if (fd >= 0 && (unsigned)fd < capacity && fds[fd]) {
		f = fds[fd];
		file_get(f);
	}
	mutex_unlock(&fd_mutex);
	return f;
}

int fd_close(int fd)
{
	struct file *f = NULL;

	mutex_lock(&fd_mutex);
	if (fd >= 0 && (unsigned)fd < capacity)
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
	if (fd >= 0 && (unsigned)fd < capacity && fds[fd]) {
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
	if (fd >= 0 && (unsigned)fd < capacity && fds[fd])
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
	for (unsigned i = MAX(from, 0); i < capacity; i++) {
		if (fds[i]) {
			fd = i;
			break;
		}
	}
	mutex_unlock(&fd_mutex);
	return fd;
}

struct inode *fd_inode(int fd, bool *open)
{
	struct inode *ip = NULL;

	mutex_lock(&fd_mutex);
	*open = fd >= 0 && (unsigned)fd < capacity && fds[fd];
	if (*open)
		ip = fds[fd]->inode;
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
