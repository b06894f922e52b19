/*
 * Linux native AIO (man 2 io_setup, io_submit, io_getevents, io_cancel,
 * io_destroy; the interface libaio wraps).
 *
 * A context is a ring of completion events that the application can read
 * without a system call, as on Linux: io_setup maps the ring at an
 * address of the application's and that address is the context's id.
 * The ring's pages are the kernel's (page_alloc), shown to the program
 * with as_borrow, so a completion writes them through the direct map from
 * any thread or address space, and a program that unmaps the ring cannot
 * make the kernel fault.
 *
 * The ring protocol (Linux's struct aio_ring; libaio's user-space
 * io_getevents reads it): `nr` slots of struct io_event after a 32-byte
 * header. The kernel alone writes `tail` (after the event it covers, with
 * a release store); the consumer, io_getevents or the program itself,
 * writes `head` after it has read the events before it. The ring is full
 * when tail + 1 == head (mod nr), so an io_submit reserves a slot for
 * every request it accepts: requests in flight plus events not yet read
 * stay below nr - 1, or it answers EAGAIN. Both indices are reduced mod
 * nr when read, since the program may store anything in head.
 *
 * Reads and writes of a disk opened with O_DIRECT go to the block layer
 * without waiting (disk_submit): the application's pages are pinned
 * (as_pin: faulted in, a holder taken on each frame, so the frames stay
 * even if the program unmaps them meanwhile) and become the request's
 * segments through the direct map; the driver's completion thread posts
 * the event and drops the pins. So io_submit of 32 requests puts 32 on
 * the disk at once. The other reads, writes and syncs (files, and disk
 * requests the block layer cannot take whole: unaligned, past the end,
 * synchronous flags, 2 MiB pages) run to completion inside io_submit, in
 * the submitting thread (Linux does the same for buffered I/O), and their
 * event is in the ring when io_submit returns. IOCB_CMD_POLL waits: it hangs a
 * waiter on the file's wait queue whose wake function (which runs under
 * that queue's lock) only schedules a deferred check (poll_defer); the
 * check runs in the deferred-work thread, re-polls the file and posts the
 * event. io_cancel and io_destroy cancel a pending poll the same way.
 */
#include "arch/x86_64/arch.h"
#include "block/block.h"
#include "fs/fs.h"
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "linux/process.h"
#include "linux/sys.h"

#define AIO_RING_MAGIC 0xa10a10a1u
#define AIO_MAX_NR 65536		     /* Linux's fs.aio-max-nr */
#define AIO_NR_LIMIT (0x10000000u / 32 / 16) /* above: EINVAL, as Linux */
#define IOCB_CMD_PREAD 0
#define IOCB_CMD_PWRITE 1
#define IOCB_CMD_FSYNC 2
#define IOCB_CMD_FDSYNC 3
#define IOCB_CMD_POLL 5
#define IOCB_CMD_NOOP 6
#define IOCB_CMD_PREADV 7
#define IOCB_CMD_PWRITEV 8
#define IOCB_FLAG_RESFD 1
#define IOCB_FLAG_IOPRIO 2
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#define RWF_KNOWN 0xff /* Linux 6.14's; the rest are EOPNOTSUPP */
#define RWF_DONE (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)
#define UIO_MAXIOV 1024
#define MAX_RW_COUNT 0x7ffff000l
#define STEP (64 * 1024) /* bytes through the kernel per step */
#define EINPROGRESS 115

/* The application's struct iocb and struct io_event (linux/aio_abi.h). */
struct iocb_user {
	uint64_t data;
	uint32_t key, rw_flags; /* little-endian order */
	uint16_t opcode;
	int16_t reqprio;
	uint32_t fildes;
	uint64_t buf, nbytes;
	int64_t offset;
	uint64_t reserved2;
	uint32_t flags, resfd;
};

struct io_event_user {
	uint64_t data, obj;
	int64_t res, res2;
};

/* The ring's header, in the borrowed pages (see the top). */
struct aio_ring {
	uint32_t id, nr;
	uint32_t head; /* written by the consumer */
	uint32_t tail; /* written by the kernel */
	uint32_t magic, compat_features, incompat_features, header_length;
	struct io_event_user events[];
};

struct aio_ctx {
	/* set by io_setup, then read-only */
	uint64_t id; /* the ring's address in the application */
	struct process *owner;
	struct aio_ring *ring; /* the kernel's view of the pages */
	unsigned order;	       /* of the pages */
	uint32_t nr;	       /* slots */
	uint32_t max_reqs;     /* what io_setup asked, for AIO_MAX_NR */
	struct list link;      /* in `contexts`, under aio_mutex */
	/* under lock */
	struct mutex lock;
	uint32_t tail;	   /* the kernel's copy of ring->tail */
	uint32_t inflight; /* accepted, not yet in the ring */
	uint32_t on_disk, on_disk_max; /* disk requests in flight, and most */
	uint32_t users;	   /* calls using it now (ctx_get) */
	bool dead;	   /* io_destroy began */
	struct list polls; /* struct aio_poll, pending */
	/* io_getevents and io_destroy wait here */
	struct waitq wq;
};

/* A pending IOCB_CMD_POLL. */
struct aio_poll {
	/* set at submission, then read-only */
	struct aio_ctx *ctx;
	struct file *file, *resfd; /* references; resfd may be NULL */
	uint64_t data, obj;
	unsigned events;
	struct poll_waiter waiter;
	struct waitq *wq; /* where waiter hangs; NULL: not hung */
	struct poll_deferred deferred;
	struct list link; /* in ctx->polls, under ctx->lock */
	bool cancelled;	  /* atomic */
	bool done;	  /* the deferred thread's: the event is posted */
};

static struct mutex aio_mutex = MUTEX_INIT;
static struct list contexts = LIST_INIT(contexts); /* under aio_mutex */
static uint32_t aio_nr;				   /* under aio_mutex */

/* ---- contexts ---- */
static struct aio_ctx *ctx_find(uint64_t id)
{
	struct process *me = current_process();

	list_for_each(l, &contexts)
	{
		struct aio_ctx *c = container_of(l, struct aio_ctx, link);

		if (c->id == id && c->owner == me && !c->dead)
			return c;
	}
	return NULL;
}

/* The context `id` of this process; it stays while the caller runs
 * (only io_destroy, which waits for no one, frees it: see ctx_kill). */
static struct aio_ctx *ctx_get(uint64_t id)
{
	struct aio_ctx *c;

	mutex_lock(&aio_mutex);
	c = ctx_find(id);
	if (c) {
		mutex_lock(&c->lock);
		c->users++;
		mutex_unlock(&c->lock);
	}
	mutex_unlock(&aio_mutex);
	return c;
}

static void ctx_put(struct aio_ctx *c)
{
	mutex_lock(&c->lock);
	c->users--;
	poll_notify(&c->wq, POLLIN);
	mutex_unlock(&c->lock);
}

/* Under c->lock: slots neither free nor reserved. */
static uint32_t ring_used(struct aio_ctx *c)
{
	uint32_t head =
	    __atomic_load_n(&c->ring->head, __ATOMIC_ACQUIRE) % c->nr;

	return (c->tail + c->nr - head) % c->nr;
}

/* Slots for nr_events as Linux sizes them: twice the request (at least
 * 4 per CPU), rounded up to whole pages of events. */
static unsigned ring_order(uint32_t nr_events, uint32_t *slots)
{
	uint64_t want = (uint64_t)MAX(nr_events, 4u * cpu_count) * 2;
	uint64_t bytes = sizeof(struct aio_ring) + want * 32;
	unsigned order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	*slots = (uint32_t)(((PAGE_SIZE << order) - sizeof(struct aio_ring)) /
			    sizeof(struct io_event_user));
	return order;
}

static int ctx_map(struct aio_ctx *c)
{
	uint64_t len = PAGE_SIZE << c->order;
	int r;

	c->ring = page_alloc(c->order);
	if (!c->ring)
		return -ENOMEM;
	memset(c->ring, 0, len);
	c->id = 0;
	r = as_map(&c->id, len, PROT_READ | PROT_WRITE, 0);
	if (!r)
		r = as_borrow(c->id, virt_to_phys(c->ring), len);
	if (r && c->id)
		as_unmap(c->id, len);
	if (r) {
		page_free(c->ring, c->order);
		return r == -ENOMEM ? -EAGAIN : r;
	}
	c->ring->id = 0;
	c->ring->nr = c->nr;
	c->ring->magic = AIO_RING_MAGIC;
	c->ring->compat_features = 1; /* AIO_RING_COMPAT_FEATURES */
	c->ring->header_length = sizeof(struct aio_ring);
	return 0;
}

static struct aio_ctx *ctx_alloc(uint32_t nr_events)
{
	struct aio_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->owner = current_process();
	c->max_reqs = nr_events;
	c->order = ring_order(nr_events, &c->nr);
	mutex_init(&c->lock);
	list_init(&c->polls);
	waitq_init(&c->wq);
	return c;
}

/* Linux's order: ctxp is read first (EFAULT), a used ctx or 0 events is
 * EINVAL, too many EINVAL or EAGAIN, and the id goes back last. */
long sys_io_setup(long nr_events, long uctxp, long c_, long d, long e, long f)
{
	uint64_t old;
	struct aio_ctx *c;
	long r;

	if (copy_from_user(&old, uctxp, sizeof(old)))
		return -EFAULT;
	if (old || (uint32_t)nr_events == 0)
		return -EINVAL;
	if ((uint32_t)nr_events > AIO_NR_LIMIT)
		return -EINVAL;
	if ((uint32_t)nr_events > AIO_MAX_NR)
		return -EAGAIN;
	r = poll_defer_start();
	if (r)
		return r;
	c = ctx_alloc((uint32_t)nr_events);
	if (!c)
		return -ENOMEM;
	mutex_lock(&aio_mutex);
	r = aio_nr + c->max_reqs > AIO_MAX_NR ? -EAGAIN : ctx_map(c);
	if (!r && copy_to_user(uctxp, &c->id, sizeof(c->id))) {
		as_unmap(c->id, PAGE_SIZE << c->order);
		page_free(c->ring, c->order);
		r = -EFAULT;
	}
	if (!r) {
		aio_nr += c->max_reqs;
		list_push_back(&contexts, &c->link);
	}
	mutex_unlock(&aio_mutex);
	if (r)
		free(c);
	return r;
}

/* ---- completions ---- */
/* Posts one event and gives back the request's reservation. */
static void ctx_complete(struct aio_ctx *c, uint64_t data, uint64_t obj,
			 int64_t res, struct file *resfd)
{
	mutex_lock(&c->lock);
	c->ring->events[c->tail] = (struct io_event_user){data, obj, res, 0};
	c->tail = (c->tail + 1) % c->nr;
	__atomic_store_n(&c->ring->tail, c->tail, __ATOMIC_RELEASE);
	c->inflight--;
	poll_notify(&c->wq, POLLIN);
	mutex_unlock(&c->lock);
	if (resfd)
		eventfd_signal_file(resfd, 1);
}

/* ---- reads, writes and syncs ---- */
struct aio_rw {
	struct file *file;
	struct iovec_k {
		uint64_t base, len;
	} * iov, one;
	long n;
	int64_t off;
	bool write;
	unsigned rw_flags;
};

static bool can(struct file *f, bool write)
{
	int acc = f->flags & O_ACCMODE;

	if (f->flags & O_PATH)
		return false;
	return write ? acc != O_RDONLY : acc != O_WRONLY;
}

static bool has_position(struct file *f)
{
	return vfs_lseek(f, 0, SEEK_CUR) >= 0;
}

/* One segment at off; the bytes moved (short at the end of the file). */
static long rw_segment(struct aio_rw *a, char *buf, struct iovec_k v,
		       int64_t off)
{
	bool pos = has_position(a->file);
	size_t done = 0;
	long r = 0;

	while (done < v.len) {
		size_t k = MIN((size_t)STEP, v.len - done);

		if (a->write && copy_from_user(buf, v.base + done, k))
			return done ? (long)done : -EFAULT;
		if (a->write)
			r = pos ? vfs_pwrite(a->file, buf, k, off + done)
				: vfs_write(a->file, buf, k);
		else
			r = pos ? vfs_pread(a->file, buf, k, off + done)
				: vfs_read(a->file, buf, k);
		if (r <= 0)
			break;
		if (!a->write && copy_to_user(v.base + done, buf, (size_t)r))
			return done ? (long)done : -EFAULT;
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	return done ? (long)done : r;
}

/* The request's result: bytes moved or -errno (it goes in the event). */
static int64_t rw_run(struct aio_rw *a)
{
	char *buf = malloc(STEP);
	int64_t off = a->off, total = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	if (a->write && (a->rw_flags & RWF_APPEND))
		off = MAX(vfs_file_size(a->file), 0);
	for (long i = 0; i < a->n; i++) {
		if (!a->iov[i].len)
			continue;
		r = rw_segment(a, buf, a->iov[i], off + total);
		if (r <= 0)
			break;
		total += r;
		if ((uint64_t)r < a->iov[i].len)
			break;
	}
	free(buf);
	if (!total)
		return r;
	if (a->write && (a->rw_flags & RWF_SYNC))
		r = vfs_fsync(a->file);
	else if (a->write && (a->rw_flags & RWF_DSYNC))
		r = vfs_fdatasync(a->file);
	return r < 0 ? r : total;
}

/* The buffers, checked now as Linux's import of the iovec does: one
 * outside the application's half fails io_submit (EFAULT); an unmapped
 * one fails the I/O, whose event then says -EFAULT. */
static long rw_prep(struct aio_rw *a, const struct iocb_user *cb, bool vector)
{
	uint64_t total = 0;

	if (!can(a->file, a->write))
		return -EBADF;
	if (cb->rw_flags & ~RWF_KNOWN)
		return -EOPNOTSUPP;
	if (cb->rw_flags & ~RWF_DONE)
		return -EOPNOTSUPP; /* NOAPPEND, ATOMIC, DONTCACHE */
	if (cb->offset < 0)
		return -EINVAL;
	a->rw_flags = cb->rw_flags;
	a->off = cb->offset;
	a->iov = &a->one;
	a->n = 1;
	a->one = (struct iovec_k){cb->buf, MIN(cb->nbytes, MAX_RW_COUNT)};
	if (vector) {
		if (cb->nbytes > UIO_MAXIOV)
			return -EINVAL;
		a->n = (long)cb->nbytes;
		a->iov = malloc(sizeof(*a->iov) * (a->n ? a->n : 1));
		if (!a->iov)
			return -ENOMEM;
		if (a->n &&
		    copy_from_user(a->iov, cb->buf, sizeof(*a->iov) * a->n))
			return -EFAULT;
	}
	for (long i = 0; i < a->n; i++) {
		if ((int64_t)a->iov[i].len < 0 ||
		    __builtin_add_overflow(total, a->iov[i].len, &total))
			return -EINVAL;
		if (!user_range_ok(a->iov[i].base, a->iov[i].len))
			return -EFAULT; /* an unmapped one: -EFAULT in the event
					 */
	}
	if ((int64_t)total < 0 || (int64_t)(a->off + total) < a->off)
		return -EINVAL; /* Linux's rw_verify_area */
	return 0;
}

/* ---- disk requests in flight (see the top) ---- */
struct aio_disk {
	struct blk_req req;
	struct aio_ctx *ctx;
	struct file *file, *resfd; /* references */
	uint64_t data, obj;
	unsigned nframes;
	uint64_t *frames;     /* pinned; after segs in the same allocation */
	struct blk_seg segs[];
};

/* The driver's completion thread: the event, then the pins go. */
static void disk_done(struct blk_req *r)
{
	struct aio_disk *k = r->priv;
	struct aio_ctx *c = k->ctx;
	int64_t res = r->status ? r->status : (int64_t)r->bytes;

	for (unsigned i = 0; i < k->nframes; i++)
		pmm_frame_put(k->frames[i]);
	mutex_lock(&c->lock);
	c->on_disk--;
	mutex_unlock(&c->lock);
	ctx_complete(c, k->data, k->obj, res, k->resfd);
	file_put(k->file);
	if (k->resfd)
		file_put(k->resfd);
	free(k);
}

/* Whether the block layer takes the request whole: O_DIRECT on a disk,
 * aligned, within the disk and one request's size, no sync flags. */
static struct blkdev *disk_of(const struct aio_rw *a, uint64_t *pages)
{
	struct file *f = a->file;
	struct blkdev *d = f->ops == &blk_file_ops ? f->priv : NULL;
	int fl = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
	uint64_t total = 0;

	if (!d || !(fl & O_DIRECT) || (fl & O_DSYNC) ||
	    (a->rw_flags & (RWF_SYNC | RWF_DSYNC | RWF_APPEND)) ||
	    (a->write && (d->caps & BLK_CAP_RO)))
		return NULL;
	*pages = 0;
	for (long i = 0; i < a->n; i++) {
		uint64_t b = a->iov[i].base, l = a->iov[i].len;

		total += l;
		if (l)
			*pages += (ALIGN_UP(b + l, PAGE_SIZE) -
				   ALIGN_DOWN(b, PAGE_SIZE)) / PAGE_SIZE;
	}
	if (!total || total % d->lbs || (uint64_t)a->off % d->lbs ||
	    total > blk_max_io(d) || (uint64_t)a->off + total > blk_bytes(d) ||
	    *pages > d->max_segs)
		return NULL;
	return d;
}

/* The segments of one iovec element over its pinned frames. */
static void disk_segs(struct aio_disk *k, unsigned first, struct iovec_k v)
{
	for (unsigned j = first; j < k->nframes; j++) {
		uint64_t in = j == first ? v.base & (PAGE_SIZE - 1) : 0;
		uint64_t n = MIN(PAGE_SIZE - in, v.len);

		k->segs[k->req.nsegs++] = (struct blk_seg){
		    (char *)phys_to_virt(k->frames[j]) + in, (uint32_t)n};
		v.len -= n;
	}
}

/* Pins every buffer; 0, or -errno with nothing left pinned. */
static int disk_pin(struct aio_disk *k, const struct aio_rw *a,
		    unsigned max)
{
	for (long i = 0; i < a->n; i++) {
		if (!a->iov[i].len)
			continue;
		unsigned first = k->nframes;
		int n = as_pin(a->iov[i].base, a->iov[i].len, !a->write,
			       k->frames + first, max - first);
		if (n < 0) {
			while (k->nframes)
				pmm_frame_put(k->frames[--k->nframes]);
			return n;
		}
		k->nframes += (unsigned)n;
		disk_segs(k, first, a->iov[i]);
	}
	return 0;
}

/* 0: on its way (disk_done posts the event); else the caller runs it. */
static int disk_submit(struct aio_ctx *c, struct aio_rw *a, uint64_t data,
		       struct file *resfd, uint64_t obj)
{
	uint64_t pages;
	struct blkdev *d = disk_of(a, &pages);

	if (!d)
		return -EOPNOTSUPP;
	struct aio_disk *k = calloc(1, sizeof(*k) + pages * (sizeof(struct blk_seg) + 8));
	if (!k)
		return -ENOMEM;
	k->frames = (uint64_t *)&k->segs[pages];
	int r = disk_pin(k, a, (unsigned)pages);
	if (r) {
		free(k);
		return r;
	}
	k->ctx = c;
	k->data = data;
	k->obj = obj;
	k->req = (struct blk_req){.op = a->write ? BLK_WRITE : BLK_READ,
				  .sector = (uint64_t)a->off >> BLK_SECTOR_SHIFT,
				  .segs = k->segs, .nsegs = k->req.nsegs,
				  .done = disk_done, .priv = k};
	file_get(a->file);
	k->file = a->file;
	if (resfd)
		file_get(resfd);
	k->resfd = resfd;
	mutex_lock(&c->lock);
	c->on_disk++;
	c->on_disk_max = MAX(c->on_disk_max, c->on_disk);
	mutex_unlock(&c->lock);
	r = blk_submit(d, &k->req);
	if (r) {
		k->req.status = r;
		disk_done(&k->req); /* the event says why */
	}
	return 0;
}

static int64_t do_sync(struct file *f, bool datasync,
		       const struct iocb_user *cb)
{
	if (cb->buf || cb->offset || cb->nbytes || cb->rw_flags)
		return -EINVAL;
	if (!f->ops->fsync && !f->inode)
		return -EINVAL; /* pipes, sockets: no fsync, as Linux */
	return 1;		/* accepted: the caller runs it */
}

/* ---- polls ---- */
static void poll_wake(struct poll_waiter *w, unsigned events)
{
	struct aio_poll *p = container_of(w, struct aio_poll, waiter);

	if (!events || (events & p->events))
		poll_defer(&p->deferred);
}

/* What vfs_poll is given: the table and the poll it arms. */
struct poll_arm {
	struct poll_table pt;
	struct aio_poll *p;
};

static void poll_queue(struct poll_table *pt, struct file *f, struct waitq *wq)
{
	struct aio_poll *p = container_of(pt, struct poll_arm, pt)->p;

	if (p->wq)
		return; /* a second queue: the first one's wakes suffice */
	p->wq = wq;
	waitq_add(wq, &p->waiter);
}

static void poll_free(struct aio_poll *p)
{
	file_put(p->file);
	if (p->resfd)
		file_put(p->resfd);
	free(p);
}

/* The deferred thread: posts the event once the file is ready or the
 * request cancelled. Runs one at a time; a run after `done` (queued by a
 * wake that came before the waiter was removed) frees. */
static void poll_check(struct poll_deferred *d)
{
	struct aio_poll *p = container_of(d, struct aio_poll, deferred);
	unsigned mask;

	if (p->done) {
		poll_free(p);
		return;
	}
	mask = vfs_poll(p->file, NULL) & p->events;
	if (!mask && !__atomic_load_n(&p->cancelled, __ATOMIC_ACQUIRE))
		return;
	if (p->wq)
		waitq_remove(&p->waiter); /* no wake after this */
	mutex_lock(&p->ctx->lock);
	list_remove(&p->link);
	mutex_unlock(&p->ctx->lock);
	ctx_complete(p->ctx, p->data, p->obj, mask, p->resfd);
	p->done = true;
	if (!__atomic_load_n(&d->queued, __ATOMIC_ACQUIRE))
		poll_free(p);
}

static long poll_submit(struct aio_ctx *c, const struct iocb_user *cb,
			struct file *f, struct file *resfd, uint64_t obj)
{
	struct aio_poll *p;
	struct poll_arm q = {{poll_queue}, NULL};

	if ((uint16_t)cb->buf != cb->buf)
		return -EINVAL;
	if (cb->offset || cb->nbytes || cb->rw_flags)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct aio_poll){.ctx = c,
			       .file = f,
			       .resfd = resfd,
			       .data = cb->data,
			       .obj = obj,
			       .events = (unsigned)cb->buf | POLLERR | POLLHUP};
	p->waiter.wake = poll_wake;
	p->deferred.fn = poll_check;
	mutex_lock(&c->lock);
	list_push_back(&c->polls, &p->link);
	mutex_unlock(&c->lock);
	q.p = p;
	if (vfs_poll(f, &q.pt) & p->events)
		poll_defer(&p->deferred);
	return 0; /* p owns f and resfd now */
}

/* ---- io_submit ---- */
/* Takes a slot for one request: 0, or -EAGAIN when the ring would not
 * hold its event. */
static int reserve(struct aio_ctx *c)
{
	int r = 0;

	mutex_lock(&c->lock);
	if (c->inflight + ring_used(c) + 1 >= c->nr)
		r = -EAGAIN;
	else
		c->inflight++;
	mutex_unlock(&c->lock);
	return r;
}

static void unreserve(struct aio_ctx *c)
{
	mutex_lock(&c->lock);
	c->inflight--;
	poll_notify(&c->wq, POLLIN);
	mutex_unlock(&c->lock);
}

static int resfd_get(const struct iocb_user *cb, struct file **out)
{
	*out = NULL;
	if (!(cb->flags & IOCB_FLAG_RESFD))
		return 0;
	*out = fd_get((int)cb->resfd);
	if (!*out)
		return -EBADF;
	if (file_is_eventfd(*out))
		return 0;
	file_put(*out);
	*out = NULL;
	return -EINVAL;
}

/* Runs a read, write or sync now; its event is in the ring after. */
static long run_now(struct aio_ctx *c, const struct iocb_user *cb,
		    struct file *f, struct file *resfd, uint64_t obj)
{
	uint16_t op = cb->opcode;
	struct aio_rw a = {.file = f,
			   .write =
			       op == IOCB_CMD_PWRITE || op == IOCB_CMD_PWRITEV};
	int64_t res;
	long r;

	if (op == IOCB_CMD_FSYNC || op == IOCB_CMD_FDSYNC)
		r = do_sync(f, op == IOCB_CMD_FDSYNC, cb);
	else
		r = rw_prep(&a, cb,
			    op == IOCB_CMD_PREADV || op == IOCB_CMD_PWRITEV);
	if (r < 0)
		goto out;
	if (op == IOCB_CMD_FSYNC || op == IOCB_CMD_FDSYNC) {
		res = op == IOCB_CMD_FSYNC ? vfs_fsync(f) : vfs_fdatasync(f);
	} else if (!disk_submit(c, &a, cb->data, resfd, obj)) {
		r = 0; /* in flight: disk_done posts its event */
		goto out;
	} else {
		res = rw_run(&a);
	}
	if (res == -ERESTARTSYS)
		res = -EINTR;
	ctx_complete(c, cb->data, obj, res, resfd);
	r = 0;
out:
	if (a.iov && a.iov != &a.one)
		free(a.iov);
	return r;
}

static bool known_op(uint16_t op)
{
	return op <= IOCB_CMD_PWRITEV && op != 4 && op != IOCB_CMD_NOOP;
}

/* One iocb, as Linux's io_submit_one: 0 when it was accepted (its result
 * then goes in an event), or why not. */
static long submit_one(struct aio_ctx *c, uint64_t uiocb)
{
	struct iocb_user cb;
	struct file *f, *resfd = NULL;
	uint32_t key = 0;
	long r;

	if (copy_from_user(&cb, uiocb, sizeof(cb)))
		return -EFAULT;
	if (cb.reserved2 || (int64_t)cb.nbytes < 0)
		return -EINVAL;
	r = reserve(c);
	if (r)
		return r;
	f = fd_get((int)cb.fildes);
	r = f ? resfd_get(&cb, &resfd) : -EBADF;
	if (!r && copy_to_user(uiocb + 8, &key, sizeof(key)))
		r = -EFAULT; /* aio_key: what io_cancel checks */
	if (!r && !known_op(cb.opcode))
		r = -EINVAL;
	if (!r && cb.opcode == IOCB_CMD_POLL) {
		r = poll_submit(c, &cb, f, resfd, uiocb);
		if (!r)
			return 0;
	} else if (!r) {
		r = run_now(c, &cb, f, resfd, uiocb);
	}
	if (f)
		file_put(f);
	if (resfd)
		file_put(resfd);
	if (r)
		unreserve(c);
	return r;
}

long sys_io_submit(long ctx, long nr, long uiocbpp, long d, long e, long f)
{
	struct aio_ctx *c;
	long i, r = 0;

	if (nr < 0)
		return -EINVAL;
	c = ctx_get((uint64_t)ctx);
	if (!c)
		return -EINVAL;
	nr = MIN((uint64_t)nr, (uint64_t)c->nr);
	for (i = 0; i < nr; i++) {
		uint64_t uiocb;

		r = copy_from_user(&uiocb, uiocbpp + i * 8, 8) ? -EFAULT : 0;
		if (!r)
			r = submit_one(c, uiocb);
		if (r)
			break;
	}
	ctx_put(c);
	return i ? i : r;
}

/* ---- io_getevents ---- */
/* Under c->lock: copies up to nr events out; the count or -EFAULT. */
static long take_events(struct aio_ctx *c, long nr, uint64_t uevents)
{
	uint32_t head =
	    __atomic_load_n(&c->ring->head, __ATOMIC_ACQUIRE) % c->nr;
	long n = 0;

	while (n < nr && head != c->tail) {
		if (copy_to_user(uevents + n * sizeof(struct io_event_user),
				 &c->ring->events[head],
				 sizeof(struct io_event_user)))
			return n ? n : -EFAULT;
		head = (head + 1) % c->nr;
		n++;
	}
	__atomic_store_n(&c->ring->head, head, __ATOMIC_RELEASE);
	return n;
}

static long get_events(struct aio_ctx *c, long min_nr, long nr,
		       uint64_t uevents, uint64_t deadline)
{
	long r = 0;

	mutex_lock(&c->lock);
	while ((long)ring_used(c) < min_nr && !r)
		r = waitq_wait(&c->wq, &c->lock,
			       deadline == POLL_FOREVER ? 0 : deadline);
	if (ring_used(c) || !r || r == -ETIMEDOUT)
		r = take_events(c, nr, uevents);
	else
		r = -EINTR; /* Linux: not restarted */
	mutex_unlock(&c->lock);
	return r;
}

/* A timeout as Linux's read_events takes it: NULL forever; zero or
 * negative, no wait. */
static int deadline_get(long uts, uint64_t *deadline)
{
	struct {
		int64_t sec, nsec;
	} ts;
	uint64_t ns;

	*deadline = POLL_FOREVER;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || (ts.sec == 0 && ts.nsec <= 0)) {
		*deadline = POLL_NO_WAIT;
		return 0;
	}
	if (__builtin_mul_overflow((uint64_t)ts.sec, 1000000000ull, &ns) ||
	    __builtin_add_overflow(ns, (uint64_t)MAX(ts.nsec, 0), &ns) ||
	    __builtin_add_overflow(ns, clock_monotonic_ns(), deadline))
		*deadline = POLL_FOREVER;
	return 0;
}

static long do_getevents(long ctx, long min_nr, long nr, long uevents,
			 uint64_t deadline)
{
	struct aio_ctx *c = ctx_get((uint64_t)ctx);
	long r;

	if (!c)
		return -EINVAL;
	if (min_nr > nr || min_nr < 0 || nr < 0)
		r = -EINVAL;
	else
		r = get_events(c, min_nr, nr, (uint64_t)uevents,
			       deadline == POLL_NO_WAIT ? 1 : deadline);
	ctx_put(c);
	return r;
}

long sys_io_getevents(long ctx, long min_nr, long nr, long uevents, long uts,
		      long f)
{
	uint64_t deadline;
	long r = deadline_get(uts, &deadline);

	return r ? r : do_getevents(ctx, min_nr, nr, uevents, deadline);
}

/* The sixth argument points to {const sigset_t *sigmask; size_t size}:
 * checked (EFAULT, EINVAL), not applied, as ppoll's here. */
long sys_io_pgetevents(long ctx, long min_nr, long nr, long uevents, long uts,
		       long usig)
{
	struct {
		uint64_t mask, size;
	} sig = {0, 0};
	uint64_t deadline, set;
	long r = deadline_get(uts, &deadline);

	if (r)
		return r;
	if (usig && copy_from_user(&sig, usig, sizeof(sig)))
		return -EFAULT;
	if (sig.mask && sig.size != sizeof(set))
		return -EINVAL;
	if (sig.mask && copy_from_user(&set, sig.mask, sizeof(set)))
		return -EFAULT;
	return do_getevents(ctx, min_nr, nr, uevents, deadline);
}

/* ---- io_cancel and io_destroy ---- */
/* Under c->lock: asks the pending poll with this iocb to finish. */
static bool cancel_poll(struct aio_ctx *c, uint64_t obj, bool all)
{
	bool found = false;

	list_for_each(l, &c->polls)
	{
		struct aio_poll *p = container_of(l, struct aio_poll, link);

		if (!all && p->obj != obj)
			continue;
		__atomic_store_n(&p->cancelled, true, __ATOMIC_RELEASE);
		poll_defer(&p->deferred);
		found = true;
	}
	return found;
}

/* Linux: the event of a cancelled request still comes (here, a poll's
 * with res 0), and io_cancel answers EINPROGRESS; a request that is not
 * pending (done, or never submitted) is EINVAL. */
long sys_io_cancel(long ctx, long uiocb, long uresult, long d, long e, long f)
{
	struct aio_ctx *c;
	uint32_t key;
	long r;

	if (copy_from_user(&key, uiocb + 8, sizeof(key)))
		return -EFAULT;
	if (key != 0)
		return -EINVAL;
	c = ctx_get((uint64_t)ctx);
	if (!c)
		return -EINVAL;
	mutex_lock(&c->lock);
	r = cancel_poll(c, (uint64_t)uiocb, false) ? -EINPROGRESS : -EINVAL;
	mutex_unlock(&c->lock);
	ctx_put(c);
	return r;
}

/* Cancels what is pending, waits until no request (and no other call)
 * holds the context, then unmaps and frees the ring. */
static void ctx_kill(struct aio_ctx *c)
{
	mutex_lock(&c->lock);
	cancel_poll(c, 0, true);
	while (c->inflight || c->users)
		waitq_wait(&c->wq, &c->lock, 0);
	mutex_unlock(&c->lock);
	if (boot_options.verbose && c->on_disk_max)
		kprintf("osprey: aio context: at most %u disk requests in "
			"flight at once\n", c->on_disk_max);
	as_unmap(c->id, PAGE_SIZE << c->order);
	page_free(c->ring, c->order);
	free(c);
}

long sys_io_destroy(long ctx, long b, long c_, long d, long e, long f)
{
	struct aio_ctx *c;

	mutex_lock(&aio_mutex);
	c = ctx_find((uint64_t)ctx);
	if (c) {
		c->dead = true;
		list_remove(&c->link);
		aio_nr -= c->max_reqs;
	}
	mutex_unlock(&aio_mutex);
	if (!c)
		return -EINVAL;
	ctx_kill(c);
	return 0;
}
