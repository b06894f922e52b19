/*
 * Pipes and FIFOs (Linux: man 7 pipe, man 7 fifo).
 *
 * A pipe is a ring of `size` bytes (64 KiB, or what F_SETPIPE_SZ set: a
 * power of two pages) whose pages are allocated when first written. When
 * the pipe drains, the ring starts over at its first page, so a pipe that
 * carries small messages touches one page whatever its size.
 *
 * Writes of at most PIPE_BUF bytes wait until they fit whole (POSIX
 * atomicity: they never interleave with other writes); longer ones go in
 * pieces as room appears. A read returns what is there, waiting only
 * while the pipe is empty and has a writer; without writers it is the end
 * of file. A write without readers is EPIPE (and SIGPIPE). Both ends, and
 * everyone polling either, wait on the pipe's one waitq, notified after
 * every change.
 *
 * A FIFO is the same pipe found through its inode: the open FIFOs are in
 * `fifos`, and an open waits for the other end as Linux's fifo_open does
 * (counting the opens of each kind, so that a waiter notices a partner
 * that came and went).
 */
#include "fs/fs_private.h"
#include "fs/poll.h"

#define PIPE_DEF_SIZE (64 * 1024)
#define PIPE_MAX_SIZE (1ul << 31)

/* The bytes of a pipe, in pages allocated on demand. */
struct ring {
	char **pages; /* size / PAGE_SIZE slots */
	size_t size;
};

struct pipe {
	/* under fifo_mutex */
	int refs;	     /* the ends open or being opened */
	struct inode *inode; /* FIFOs: the key in `fifos`; else NULL */
	struct list fifo_link;
	/* set at creation */
	struct timespec_k ctime;
	/* under lock */
	struct mutex lock;
	struct ring ring;
	size_t head, len;	   /* the data: ring bytes [head, head + len) */
	unsigned readers, writers; /* ends open for each */
	unsigned r_counter, w_counter; /* opens of each kind, ever */
	/* who waits for data, room or a partner, and who polls */
	struct waitq wq;
};

static struct mutex fifo_mutex = MUTEX_INIT;
static struct list fifos = LIST_INIT(fifos); /* under fifo_mutex */

static const struct file_ops pipe_ops;

/* ---- the ring ---- */
/* Where ring offset `at` is, and how many bytes follow it in its page;
 * makes the page if `make`. NULL when it is missing or memory is out. */
static char *ring_at(struct ring *r, size_t at, size_t *contig, bool make)
{
	size_t pos = at % r->size;
	char **page = &r->pages[pos / PAGE_SIZE];

	if (!*page && make)
		*page = page_alloc(0);
	*contig = PAGE_SIZE - pos % PAGE_SIZE;
	return *page ? *page + pos % PAGE_SIZE : NULL;
}

static int ring_put(struct ring *r, size_t at, const char *buf, size_t n)
{
	while (n) {
		size_t k;
		char *p = ring_at(r, at, &k, true);

		if (!p)
			return -ENOMEM;
		k = MIN(k, n);
		memcpy(p, buf, k);
		buf += k;
		at += k;
		n -= k;
	}
	return 0;
}

static void ring_get(struct ring *r, size_t at, char *buf, size_t n)
{
	while (n) {
		size_t k;
		char *p = ring_at(r, at, &k, false);

		assert(p);
		k = MIN(k, n);
		memcpy(buf, p, k);
		buf += k;
		at += k;
		n -= k;
	}
}

static int ring_init(struct ring *r, size_t size)
{
	r->size = size;
	r->pages = calloc(size / PAGE_SIZE, sizeof(*r->pages));
	return r->pages ? 0 : -ENOMEM;
}

static void ring_free(struct ring *r)
{
	for (size_t i = 0; i < r->size / PAGE_SIZE; i++)
		if (r->pages[i])
			page_free(r->pages[i], 0);
	free(r->pages);
}

/* ---- pipes ---- */
static struct pipe *pipe_alloc(void)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (ring_init(&p->ring, PIPE_DEF_SIZE)) {
		free(p);
		return NULL;
	}
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	list_init(&p->fifo_link);
	p->ctime = vfs_now();
	return p;
}

static void pipe_put(struct pipe *p)
{
	bool last;

	mutex_lock(&fifo_mutex);
	last = --p->refs == 0;
	if (last && p->inode)
		list_remove(&p->fifo_link);
	mutex_unlock(&fifo_mutex);
	if (!last)
		return;
	assert(list_empty(&p->wq.waiters));
	ring_free(&p->ring);
	free(p);
}

/* The ends a file is (O_RDWR: a FIFO opened as both). */
static bool reads(int flags)
{
	return (flags & O_ACCMODE) != O_WRONLY;
}

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static bool nonblocking(struct file *f)
{
	return LOAD(f->flags) & O_NONBLOCK;
}

/* Under p->lock: takes n bytes (n <= p->len) off the front into buf. */
static void take(struct pipe *p, void *buf, size_t n)
{
	ring_get(&p->ring, p->head, buf, n);
	p->head = (p->head + n) % p->ring.size;
	p->len -= n;
	if (!p->len)
		p->head = 0; /* start over on the first page */
	poll_notify(&p->wq, POLLOUT | POLLWRNORM);
}

static int64_t read_pipe(struct file *f, void *buf, size_t n, bool nonblock)
{
	struct pipe *p = f->priv;
	int64_t r;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while (!p->len) {
		r = 0; /* no writer: the end of file */
		if (!p->writers)
			goto out;
		r = -EAGAIN;
		if (nonblock)
			goto out;
		r = waitq_wait(&p->wq, &p->lock, 0);
		if (r)
			goto out;
	}
	r = MIN(n, p->len);
	take(p, buf, (size_t)r);
out:
	mutex_unlock(&p->lock);
	return r;
}

static int64_t pipe_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return read_pipe(f, buf, n, nonblocking(f));
}

/* Under p->lock: whether n more bytes (n of a write of `total`) may go now. */
static bool room_for(struct pipe *p, size_t n, size_t total)
{
	size_t room = p->ring.size - p->len;

	return total <= PIPE_BUF ? room >= n : room > 0;
}

static int64_t pipe_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while (done < n) {
		if (!p->readers) {
			linux_raise_sigpipe();
			r = -EPIPE;
			break;
		}
		if (room_for(p, n - done, n)) {
			size_t k = MIN(n - done, p->ring.size - p->len);

			r = ring_put(&p->ring, p->head + p->len,
				     (const char *)buf + done, k);
			if (r)
				break;
			p->len += k;
			done += k;
			poll_notify(&p->wq, POLLIN | POLLRDNORM);
			continue;
		}
		r = -EAGAIN;
		if (nonblocking(f))
			break;
		r = waitq_wait(&p->wq, &p->lock, 0);
		if (r)
			break;
	}
	mutex_unlock(&p->lock);
	return done ? (int64_t)done : r;
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = f->priv;
	unsigned mask = 0;

	poll_wait(f, &p->wq, pt);
	mutex_lock(&p->lock);
	if (reads(f->flags)) {
		if (p->len)
			mask |= POLLIN | POLLRDNORM;
		/* A FIFO reader that opened before any writer keeps the
		 * writer count it saw in f->pos (Linux: f_version), so that
		 * it hangs up only after a writer came and went. */
		if (!p->writers && (uint64_t)f->pos != p->w_counter)
			mask |= POLLHUP;
	}
	if (writes(f->flags)) {
		if (p->ring.size - p->len >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	mutex_unlock(&p->lock);
	return mask;
}

static int pipe_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct pipe *p = f->priv;

	if (cmd != FIONREAD)
		return -ENOTTY;
	*(int *)arg = (int)LOAD(p->len);
	return 0;
}

/* Anonymous pipes (FIFOs have an inode and its stat). */
static int pipe_stat(struct file *f, struct kstat *st)
{
	struct pipe *p = f->priv;

	memset(st, 0, sizeof(*st));
	st->dev = fs_makedev(0, 12); /* Linux's pipefs is an anonymous dev */
	st->ino = (uintptr_t)p >> 4; /* the same for both ends */
	st->mode = S_IFIFO | 0600;
	st->nlink = 1;
	st->blksize = PAGE_SIZE;
	st->atime = st->mtime = st->ctime = p->ctime;
	return 0;
}

/* Under p->lock: an end goes (closed, or an open that failed). */
static void end_leave(struct pipe *p, bool rd, bool wr)
{
	if (rd)
		p->readers--;
	if (wr)
		p->writers--;
	poll_notify(&p->wq, 0);
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;

	epoll_file_release(f);
	mutex_lock(&p->lock);
	end_leave(p, reads(f->flags), writes(f->flags));
	mutex_unlock(&p->lock);
	pipe_put(p);
}

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.stat = pipe_stat,
	.release = pipe_release,
	.poll = pipe_poll,
};

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_alloc();
	int nb = flags & O_NONBLOCK;

	if (!p)
		return -ENOMEM;
	p->readers = p->writers = p->r_counter = p->w_counter = 1;
	p->refs = 2;
	*rd = file_alloc(&pipe_ops, p, O_RDONLY | nb, S_IFIFO | 0600);
	*wr = file_alloc(&pipe_ops, p, O_WRONLY | nb, S_IFIFO | 0600);
	if (*rd && *wr)
		return 0;
	/* Plain frees: the files were never used, no release is due. */
	free(*rd);
	free(*wr);
	ring_free(&p->ring);
	free(p);
	return -ENOMEM;
}

/* ---- F_GETPIPE_SZ, F_SETPIPE_SZ ---- */
long pipe_get_size(struct file *f)
{
	struct pipe *p = f->priv;

	if (f->ops != &pipe_ops)
		return -EBADF;
	return (long)LOAD(p->ring.size);
}

/* Under p->lock: moves the data into a new ring of `size` bytes. */
static int pipe_resize(struct pipe *p, size_t size)
{
	struct ring new;
	size_t done = 0, k;

	if (p->len > size)
		return -EBUSY;
	if (ring_init(&new, size))
		return -ENOMEM;
	while (done < p->len) {
		char *src = ring_at(&p->ring, p->head + done, &k, false);

		k = MIN(k, p->len - done);
		if (ring_put(&new, done, src, k)) {
			ring_free(&new);
			return -ENOMEM;
		}
		done += k;
	}
	ring_free(&p->ring);
	p->ring = new;
	p->head = 0;
	return 0;
}

/* Linux: round_pipe_size; the argument is an unsigned int. We are root,
 * so sizes above /proc/sys/fs/pipe-max-size are allowed. */
long pipe_set_size(struct file *f, unsigned long arg)
{
	struct pipe *p = f->priv;
	size_t size = (unsigned)arg;
	long r;

	if (f->ops != &pipe_ops)
		return -EBADF;
	if (size > PIPE_MAX_SIZE)
		return -EINVAL;
	size = size <= PAGE_SIZE ? PAGE_SIZE
				 : 1ul << (64 - __builtin_clzl(size - 1));
	mutex_lock(&p->lock);
	r = size == p->ring.size ? 0 : pipe_resize(p, size);
	if (!r)
		poll_notify(&p->wq, POLLOUT | POLLWRNORM);
	mutex_unlock(&p->lock);
	return r ? r : (long)size;
}

/* ---- FIFOs ---- */
/* The pipe of a FIFO inode, made on its first open; with a reference. */
static struct pipe *fifo_get(struct inode *ip)
{
	struct pipe *p = NULL;

	mutex_lock(&fifo_mutex);
	list_for_each(it, &fifos)
	{
		struct pipe *q = container_of(it, struct pipe, fifo_link);

		if (q->inode == ip) {
			p = q;
			break;
		}
	}
	if (!p && (p = pipe_alloc())) {
		p->inode = ip;
		list_push_back(&fifos, &p->fifo_link);
	}
	if (p)
		p->refs++;
	mutex_unlock(&fifo_mutex);
	return p;
}

/* Under p->lock: waits until *counter moves (a partner opened). */
static int wait_for_partner(struct pipe *p, unsigned *counter)
{
	unsigned seen = *counter;
	int r = 0;

	while (!r && *counter == seen)
		r = waitq_wait(&p->wq, &p->lock, 0);
	return r;
}

/* Under p->lock: Linux's fifo_open. *seen: the writer count a reader
 * that opens before any writer saw (see pipe_poll). */
static int fifo_join(struct pipe *p, int flags, unsigned *seen)
{
	bool nb = flags & O_NONBLOCK;
	int r = 0;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		p->r_counter++;
		p->readers++;
		poll_notify(&p->wq, 0);
		if (p->writers)
			break;
		if (nb)
			*seen = p->w_counter;
		else if ((r = wait_for_partner(p, &p->w_counter)))
			end_leave(p, true, false);
		break;
	case O_WRONLY:
		if (nb && !p->readers)
			return -ENXIO;
		p->w_counter++;
		p->writers++;
		poll_notify(&p->wq, 0);
		if (!p->readers && (r = wait_for_partner(p, &p->r_counter)))
			end_leave(p, false, true);
		break;
	case O_RDWR:
		/* Never waits: it is its own partner (POSIX leaves it open). */
		p->r_counter++;
		p->w_counter++;
		p->readers++;
		p->writers++;
		poll_notify(&p->wq, 0);
		break;
	default:
		r = -EINVAL;
	}
	return r;
}

/* Flags that act at open and are not kept (as fs/file.c's OPEN_ONLY). */
#define FIFO_OPEN_ONLY (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

int pipe_fifo_open(struct inode *ip, int flags, struct file **out)
{
	struct pipe *p = fifo_get(ip);
	unsigned seen = 0;
	struct file *f;
	int r;

	if (!p) {
		inode_put(ip);
		return -ENOMEM;
	}
	flags &= ~FIFO_OPEN_ONLY;
	mutex_lock(&p->lock);
	r = fifo_join(p, flags, &seen);
	mutex_unlock(&p->lock);
	if (r)
		goto out_put;
	f = file_alloc(&pipe_ops, p, flags, S_IFIFO | 0600);
	if (!f) {
		mutex_lock(&p->lock);
		end_leave(p, reads(flags), writes(flags));
		mutex_unlock(&p->lock);
		r = -ENOMEM;
		goto out_put;
	}
	f->inode = ip;
	f->pos = seen;
	*out = f;
	return 0;
out_put:
	pipe_put(p);
	inode_put(ip);
	return r;
}

/* ---- splice, tee and vmsplice (Linux: man 2 splice) ---- */
bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_ops;
}

int64_t pipe_splice_read(struct file *f, void *buf, size_t n, bool nonblock)
{
	return read_pipe(f, buf, n, nonblock);
}

/* Under p->lock: 0 when bytes may go in now, else why not. */
static int64_t writable_now(struct pipe *p)
{
	if (!p->readers) {
		linux_raise_sigpipe();
		return -EPIPE;
	}
	return p->len < p->ring.size ? 0 : -EAGAIN;
}

int64_t pipe_splice_write(struct file *f, const void *buf, size_t n,
			  bool nonblock)
{
	struct pipe *p = f->priv;
	int64_t r;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while ((r = writable_now(p)) == -EAGAIN && !nonblock) {
		r = waitq_wait(&p->wq, &p->lock, 0);
		if (r)
			goto out;
	}
	if (r)
		goto out;
	n = MIN(n, p->ring.size - p->len);
	r = ring_put(&p->ring, p->head + p->len, buf, n);
	if (!r) {
		p->len += n;
		r = (int64_t)n;
		poll_notify(&p->wq, POLLIN | POLLRDNORM);
	}
out:
	mutex_unlock(&p->lock);
	return r;
}

/*
 * The ends that cannot give back what a pipe does not take, nor take
 * back what they did not send (sockets, terminals): the pipe's lock is
 * held while `fill` or `drain` runs, as Linux's pipe_lock is over
 * splice_read and splice_to_socket, so no other reader or writer of the
 * pipe comes between the sizing and the move. fill gets at most the room
 * there is; drain sees the front bytes and only what it took leaves.
 */
int64_t pipe_splice_fill(struct file *f, void *buf, size_t n, bool nonblock,
			 pipe_io_fn fill, void *arg)
{
	struct pipe *p = f->priv;
	int64_t r;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while ((r = writable_now(p)) == -EAGAIN && !nonblock) {
		r = waitq_wait(&p->wq, &p->lock, 0);
		if (r)
			goto out;
	}
	if (r)
		goto out;
	r = fill(arg, buf, MIN(n, p->ring.size - p->len));
	if (r > 0 && ring_put(&p->ring, p->head + p->len, buf, (size_t)r))
		r = -ENOMEM;
	if (r > 0) {
		p->len += (size_t)r;
		poll_notify(&p->wq, POLLIN | POLLRDNORM);
	}
out:
	mutex_unlock(&p->lock);
	return r;
}

int64_t pipe_splice_drain(struct file *f, void *buf, size_t n, bool nonblock,
			  pipe_io_fn drain, void *arg)
{
	struct pipe *p = f->priv;
	int64_t r = 0;

	if (!n)
		return 0;
	mutex_lock(&p->lock);
	while (!p->len) {
		r = 0; /* no writer: the end of the data */
		if (!p->writers)
			goto out;
		r = -EAGAIN;
		if (nonblock)
			goto out;
		r = waitq_wait(&p->wq, &p->lock, 0);
		if (r)
			goto out;
	}
	n = MIN(n, p->len);
	ring_get(&p->ring, p->head, buf, n);
	r = drain(arg, buf, n);
	if (r > 0)
		take(p, buf, (size_t)MIN((size_t)r, n));
out:
	mutex_unlock(&p->lock);
	return r;
}

/* Under both locks: copies n bytes from a's front to b's end. */
static int ring_copy(struct pipe *a, struct pipe *b, size_t n)
{
	for (size_t off = 0, k; off < n; off += k) {
		char *src = ring_at(&a->ring, a->head + off, &k, false);
		int r;

		k = MIN(k, n - off);
		r = ring_put(&b->ring, b->head + b->len + off, src, k);
		if (r)
			return r;
	}
	b->len += n;
	poll_notify(&b->wq, POLLIN | POLLRDNORM);
	return 0;
}

/* Under both locks: what moves now, or why nothing can; *wait is the
 * pipe to wait for then. */
static int64_t pipes_once(struct pipe *a, struct pipe *b, size_t n, bool tee,
			  struct pipe **wait)
{
	int64_t r = writable_now(b);
	char sink[64];

	*wait = b;
	if (r)
		return r;
	*wait = a;
	if (!a->len)
		return a->writers ? -EAGAIN : 0;
	n = MIN(n, MIN(a->len, b->ring.size - b->len));
	r = ring_copy(a, b, n);
	if (r)
		return r;
	for (size_t left = n, k; !tee && left; left -= k) {
		k = MIN(left, sizeof(sink));
		take(a, sink, k);
	}
	return (int64_t)n;
}

/* Whether w's state still says wait (under w->lock). */
static bool still_blocked(struct pipe *w, struct pipe *a)
{
	if (w == a)
		return !a->len && a->writers;
	return w->readers && w->len == w->ring.size;
}

int64_t pipe_splice_pipes(struct file *in, struct file *out, size_t n,
			  bool nonblock, bool tee)
{
	struct pipe *a = in->priv, *b = out->priv, *w;
	struct pipe *first = a < b ? a : b, *second = a < b ? b : a;
	int64_t r;

	if (!n)
		return 0;
	for (;;) {
		mutex_lock(&first->lock);
		mutex_lock(&second->lock);
		r = pipes_once(a, b, n, tee, &w);
		mutex_unlock(&second->lock);
		mutex_unlock(&first->lock);
		if (r != -EAGAIN || nonblock)
			return r;
		mutex_lock(&w->lock);
		r = still_blocked(w, a) ? waitq_wait(&w->wq, &w->lock, 0) : 0;
		mutex_unlock(&w->lock);
		if (r)
			return r;
	}
}
