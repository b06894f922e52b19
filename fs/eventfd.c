/*
 * eventfd (Linux: man 2 eventfd): a 64-bit counter behind a file. A
 * write adds its 8-byte value, waiting while the sum would pass 2^64 - 2;
 * a read takes the whole counter (EFD_SEMAPHORE: just 1), waiting while
 * it is 0. Readers, writers and pollers wait on one waitq.
 */
#include "fs/fs_private.h"
#include "fs/poll.h"

#define EFD_MAX (UINT64_MAX - 1) /* the counter's largest value */

struct eventfd {
	bool semaphore; /* set at creation */
	struct mutex lock;
	uint64_t count; /* under lock */
	struct waitq wq;
};

static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

static int64_t efd_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int64_t r;

	if (n < sizeof(v))
		return -EINVAL;
	mutex_lock(&e->lock);
	while (!e->count) {
		r = -EAGAIN;
		if (nonblocking(f))
			goto out;
		r = waitq_wait(&e->wq, &e->lock, 0);
		if (r)
			goto out;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, sizeof(v));
	poll_notify(&e->wq, POLLOUT);
	r = sizeof(v);
out:
	mutex_unlock(&e->lock);
	return r;
}

static int64_t efd_write(struct file *f, const void *buf, size_t n,
			 int64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int64_t r;

	if (n < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	mutex_lock(&e->lock);
	while (EFD_MAX - e->count < v) {
		r = -EAGAIN;
		if (nonblocking(f))
			goto out;
		r = waitq_wait(&e->wq, &e->lock, 0);
		if (r)
			goto out;
	}
	e->count += v;
	poll_notify(&e->wq, POLLIN); /* each write is an edge, even of 0 */
	r = sizeof(v);
out:
	mutex_unlock(&e->lock);
	return r;
}

static unsigned efd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd *e = f->priv;
	uint64_t count;
	unsigned mask = 0;

	poll_wait(f, &e->wq, pt);
	mutex_lock(&e->lock);
	count = e->count;
	mutex_unlock(&e->lock);
	if (count)
		mask |= POLLIN;
	if (count < EFD_MAX)
		mask |= POLLOUT;
	return mask;
}

static void efd_release(struct file *f)
{
	struct eventfd *e = f->priv;

	epoll_file_release(f);
	assert(list_empty(&e->wq.waiters));
	free(e);
}

static const struct file_ops efd_ops = {
	.read = efd_read,
	.write = efd_write,
	.release = efd_release,
	.poll = efd_poll,
	.anon_name = "[eventfd]",
};

int eventfd_create(uint64_t count, int flags, struct file **out)
{
	struct eventfd *e = calloc(1, sizeof(*e));
	struct file *f;

	if (!e)
		return -ENOMEM;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->count = count;
	mutex_init(&e->lock);
	waitq_init(&e->wq);
	f = file_alloc(&efd_ops, e, O_RDWR | (flags & O_NONBLOCK), 0600);
	if (!f) {
		free(e);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* ---- for the kernel: AIO's IOCB_FLAG_RESFD ---- */
bool file_is_eventfd(struct file *f)
{
	return f->ops == &efd_ops;
}

/* Adds n to the counter without waiting, stopping at its largest value
 * (Linux's eventfd_signal); readers and pollers are woken. */
void eventfd_signal_file(struct file *f, uint64_t n)
{
	struct eventfd *e = f->priv;

	mutex_lock(&e->lock);
	e->count += MIN(n, EFD_MAX - e->count);
	poll_notify(&e->wq, POLLIN);
	mutex_unlock(&e->lock);
}
