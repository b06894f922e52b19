/*
 * epoll (Linux: man 7 epoll, fs/eventpoll.c).
 *
 * An epoll set keeps its registrations (epitems) in a hash table keyed
 * by (file, fd). Each epitem waits on its file's waitq; a notification
 * runs item_wake, which puts the item on the set's ready list (unless it
 * is there already, or the event is not one it asked for) and notifies
 * the set's own waitq, where epoll_wait sleeps and pollers of the epoll
 * file wait. epoll_wait takes the ready list and polls each item again:
 * what is still ready is reported; a level-triggered item goes back on
 * the list (so the next wait looks again), an edge-triggered one only
 * comes back with the next notification, and a oneshot item is disabled
 * (its events cleared but for the private bits) until EPOLL_CTL_MOD.
 * An item is taken off the list before it is polled, so a notification
 * during the poll puts it back rather than being lost.
 *
 * Locks (see fs/poll.h for the whole order): epoll_mutex serialises
 * epoll_ctl and the removal of closed files, and guards every file's
 * list of epitems; a set's mtx guards its items and is held while its
 * ready items are polled (so a file being released, which takes mtx to
 * leave the set, is not freed under a poll); a set's lock guards only
 * the ready list and `queued`, and is what wake functions take. An epitem
 * holds no reference on its file: the file's last put removes it
 * (epoll_file_release), as Linux does, so that a close is seen.
 */
#include "fs/fs_private.h"
#include "fs/poll.h"

#define EP_MAX_NESTS 4	/* Linux's limit on epoll sets inside each other */
#define EP_MAX_QUEUES 2 /* waitqs one poll hook may register on */
#define EP_PRIVATE (EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE | EPOLLWAKEUP)
#define EP_EXCLUSIVE_OK                                                        \
	(POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET |        \
	 EPOLLEXCLUSIVE)

struct epitem;
struct ep_waiter {
	struct poll_waiter w;
	struct epitem *item;
};

struct epitem {
	/* set at EPOLL_CTL_ADD, then read-only */
	struct epoll *ep;
	struct file *file; /* no reference: the file's release removes us */
	int fd;
	unsigned nwait;
	struct ep_waiter wait[EP_MAX_QUEUES]; /* on the file's waitqs */
	/* under ep->mtx */
	struct epitem *hnext; /* hash chain */
	uint32_t events;      /* written under mtx, read by item_wake */
	uint64_t data;
	/* under epoll_mutex */
	struct epitem *fnext; /* in file->epitems */
	/* under ep->lock */
	bool queued; /* rdlink is on the ready list or a scan's */
	struct list rdlink;
};

struct epoll {
	/* under mtx */
	struct mutex mtx;
	struct epitem **buckets;
	unsigned nbuckets, count;
	/* under lock */
	struct mutex lock;
	struct list ready;
	/* epoll_wait's sleepers and the pollers of the epoll file */
	struct waitq wq;
	struct file *file; /* its own file (no reference), set once */
};

static struct mutex epoll_mutex = MUTEX_INIT;
static const struct file_ops epoll_ops;

/* ---- small helpers ---- */
/* Moves all of `from` to the front of `to`, keeping the order. */
static void list_move_front(struct list *from, struct list *to)
{
	struct list *first = from->next, *last = from->prev;

	if (list_empty(from))
		return;
	last->next = to->next;
	to->next->prev = last;
	to->next = first;
	first->prev = to;
	list_init(from);
}

bool file_is_epoll(struct file *f)
{
	return f->ops == &epoll_ops;
}

/* ---- the table of items ---- */
static unsigned ep_hash(struct epoll *ep, struct file *f, int fd)
{
	uint64_t k = ((uintptr_t)f >> 4) * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)(unsigned)fd * 0xc2b2ae3d27d4eb4full;

	return (unsigned)(k >> 32) & (ep->nbuckets - 1);
}

static struct epitem *ep_find(struct epoll *ep, struct file *f, int fd)
{
	struct epitem *it = ep->buckets[ep_hash(ep, f, fd)];

	while (it && (it->file != f || it->fd != fd))
		it = it->hnext;
	return it;
}

/* Doubles the table; keeps the old one if memory is short. */
static void ep_grow(struct epoll *ep)
{
	unsigned n = ep->nbuckets;
	struct epitem **old = ep->buckets, *it, *next;

	ep->buckets = calloc(2 * n, sizeof(*ep->buckets));
	if (!ep->buckets) {
		ep->buckets = old;
		return;
	}
	ep->nbuckets = 2 * n;
	for (unsigned i = 0; i < n; i++) {
		for (it = old[i]; it; it = next) {
			unsigned h = ep_hash(ep, it->file, it->fd);

			next = it->hnext;
			it->hnext = ep->buckets[h];
			ep->buckets[h] = it;
		}
	}
	free(old);
}

static void ep_hash_add(struct epoll *ep, struct epitem *it)
{
	unsigned h;

	if (ep->count >= 2 * ep->nbuckets)
		ep_grow(ep);
	h = ep_hash(ep, it->file, it->fd);
	it->hnext = ep->buckets[h];
	ep->buckets[h] = it;
	ep->count++;
}

static void ep_hash_del(struct epoll *ep, struct epitem *it)
{
	struct epitem **pp = &ep->buckets[ep_hash(ep, it->file, it->fd)];

	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	ep->count--;
}

/* ---- readiness changes ---- */
/* Under ep->lock: puts it on `list` (the ready list or a scan's). */
static bool ep_queue_locked(struct epitem *it, struct list *list)
{
	if (it->queued)
		return false;
	it->queued = true;
	list_push_back(list, &it->rdlink);
	return true;
}

static void ep_queue(struct epoll *ep, struct epitem *it)
{
	bool queued;

	mutex_lock(&ep->lock);
	queued = ep_queue_locked(it, &ep->ready);
	mutex_unlock(&ep->lock);
	if (queued)
		poll_notify(&ep->wq, POLLIN | POLLRDNORM);
}

/* A notification on the file's waitq (under that waitq's lock). */
static void item_wake(struct poll_waiter *w, unsigned events)
{
	struct epitem *it = container_of(w, struct ep_waiter, w)->item;
	uint32_t want = LOAD(it->events);

	if (!(want & ~EP_PRIVATE))
		return; /* a oneshot that fired: disabled until MOD */
	if (events && !(events & want))
		return;
	ep_queue(it->ep, it);
}

struct ep_register {
	struct poll_table pt;
	struct epitem *item;
};

static void item_register(struct poll_table *pt, struct file *f,
			  struct waitq *wq)
{
	struct epitem *it = container_of(pt, struct ep_register, pt)->item;
	struct ep_waiter *w;

	if (it->nwait == EP_MAX_QUEUES) {
		kprintf("osprey: epoll: a poll hook used more than %d waitqs\n",
			EP_MAX_QUEUES);
		return;
	}
	w = &it->wait[it->nwait++];
	w->item = it;
	w->w.wake = item_wake;
	waitq_add(wq, &w->w);
}

/* ---- scanning the ready list (under ep->mtx) ---- */
/* Takes the next item of a scan's list off it; NULL at the end. */
static struct epitem *ep_next(struct epoll *ep, struct list *tx)
{
	struct list *l;
	struct epitem *it = NULL;

	mutex_lock(&ep->lock);
	l = list_pop_front(tx);
	if (l) {
		it = container_of(l, struct epitem, rdlink);
		it->queued = false;
	}
	mutex_unlock(&ep->lock);
	return it;
}

/* Reports up to max ready events into out; the count. */
static int ep_scan(struct epoll *ep, struct epoll_event_k *out, int max)
{
	struct list tx = LIST_INIT(tx);
	struct epitem *it;
	int n = 0;

	mutex_lock(&ep->lock);
	list_move_front(&ep->ready, &tx);
	mutex_unlock(&ep->lock);
	while (n < max && (it = ep_next(ep, &tx))) {
		uint32_t revents = vfs_poll(it->file, NULL) & it->events;

		if (!revents)
			continue; /* until the next notification */
		out[n].events = revents;
		out[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			__atomic_store_n(&it->events, it->events & EP_PRIVATE,
					 __ATOMIC_RELAXED);
		else if (!(it->events & EPOLLET))
			ep_queue(ep, it); /* level-triggered: look again */
	}
	mutex_lock(&ep->lock);
	list_move_front(&tx, &ep->ready);
	mutex_unlock(&ep->lock);
	return n;
}

/* Whether some ready item really has events, without reporting them;
 * items that have none leave the list (Linux: ep_read_events_proc). */
static bool ep_has_events(struct epoll *ep)
{
	struct list tx = LIST_INIT(tx), keep = LIST_INIT(keep);
	struct epitem *it;
	bool found = false;

	mutex_lock(&ep->lock);
	list_move_front(&ep->ready, &tx);
	mutex_unlock(&ep->lock);
	while (!found && (it = ep_next(ep, &tx))) {
		if (!(vfs_poll(it->file, NULL) & it->events))
			continue;
		found = true;
		mutex_lock(&ep->lock);
		ep_queue_locked(it, &keep);
		mutex_unlock(&ep->lock);
	}
	mutex_lock(&ep->lock);
	list_move_front(&tx, &ep->ready);
	list_move_front(&keep, &ep->ready);
	mutex_unlock(&ep->lock);
	return found;
}

/* ---- epoll_ctl (under epoll_mutex and ep->mtx) ---- */
static int ep_insert(struct epoll *ep, struct file *tf, int fd,
		     const struct epoll_event_k *ev)
{
	struct epitem *it = calloc(1, sizeof(*it));
	struct ep_register reg = {.pt.queue = item_register, .item = it};

	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->file = tf;
	it->fd = fd;
	it->events = ev->events | POLLERR | POLLHUP;
	it->data = ev->data;
	list_init(&it->rdlink);
	ep_hash_add(ep, it);
	it->fnext = tf->epitems;
	tf->epitems = it;
	if (vfs_poll(tf, &reg.pt) & it->events)
		ep_queue(ep, it);
	return 0;
}

static void ep_remove(struct epoll *ep, struct epitem *it)
{
	struct epitem **pp = &it->file->epitems;

	for (unsigned i = 0; i < it->nwait; i++)
		waitq_remove(&it->wait[i].w);
	/* No wake can run now: it would hold a waitq lock we took. */
	mutex_lock(&ep->lock);
	if (it->queued)
		list_remove(&it->rdlink);
	mutex_unlock(&ep->lock);
	ep_hash_del(ep, it);
	while (*pp != it)
		pp = &(*pp)->fnext;
	*pp = it->fnext;
	free(it);
}

static int ep_modify(struct epoll *ep, struct epitem *it,
		     const struct epoll_event_k *ev)
{
	__atomic_store_n(&it->events, ev->events | POLLERR | POLLHUP,
			 __ATOMIC_RELAXED);
	it->data = ev->data;
	if (vfs_poll(it->file, NULL) & it->events)
		ep_queue(ep, it);
	return 0;
}

/*
 * Under epoll_mutex: how many sets contain `ep`, one inside the next, at
 * most (stopping past the limit).
 */
static int ep_depth_up(struct epoll *ep, int depth)
{
	int d = 0;

	if (depth > EP_MAX_NESTS)
		return depth;
	for (struct epitem *it = ep->file->epitems; it; it = it->fnext)
		d = MAX(d, 1 + ep_depth_up(it->ep, depth + 1));
	return d;
}

/* The same downward: sets inside `ep`; -1 if `loop` is among them. */
static int ep_depth_down(struct epoll *ep, struct epoll *loop, int depth)
{
	int d = 0;

	if (depth > EP_MAX_NESTS)
		return depth;
	for (unsigned i = 0; i < ep->nbuckets; i++) {
		for (struct epitem *it = ep->buckets[i]; it; it = it->hnext) {
			struct epoll *inner;
			int r;

			if (!file_is_epoll(it->file))
				continue;
			inner = it->file->priv;
			if (inner == loop)
				return -1;
			r = ep_depth_down(inner, loop, depth + 1);
			if (r < 0)
				return r;
			d = MAX(d, r + 1);
		}
	}
	return d;
}

int epoll_ctl_file(struct file *epf, int op, struct file *tf, int fd,
		   const struct epoll_event_k *ev)
{
	struct epoll *ep = epf->priv;
	struct epitem *it;
	int r = -EINVAL;

	/* Linux's order of checks (do_epoll_ctl). */
	if (!vfs_pollable(tf))
		return -EPERM;
	if (epf == tf || !file_is_epoll(epf))
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (file_is_epoll(tf) || (ev->events & ~EP_EXCLUSIVE_OK))
			return -EINVAL;
	}
	mutex_lock(&epoll_mutex);
	mutex_lock(&ep->mtx);
	it = ep_find(ep, tf, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			r = -EEXIST;
			break;
		}
		if (file_is_epoll(tf)) {
			int down = ep_depth_down(tf->priv, ep, 1);

			if (down < 0 ||
			    ep_depth_up(ep, 0) + 1 + down > EP_MAX_NESTS) {
				r = -ELOOP;
				break;
			}
		}
		r = ep_insert(ep, tf, fd, ev);
		break;
	case EPOLL_CTL_DEL:
		r = -ENOENT;
		if (it) {
			ep_remove(ep, it);
			r = 0;
		}
		break;
	case EPOLL_CTL_MOD:
		r = -ENOENT;
		if (it)
			r = (it->events & EPOLLEXCLUSIVE)
				? -EINVAL
				: ep_modify(ep, it, ev);
		break;
	}
	mutex_unlock(&ep->mtx);
	mutex_unlock(&epoll_mutex);
	return r;
}

void epoll_file_release(struct file *f)
{
	struct epitem *it;

	/* A file at its last put cannot gain items: adding one takes a
	 * reference on it. */
	if (!LOAD(f->epitems))
		return;
	mutex_lock(&epoll_mutex);
	while ((it = f->epitems)) {
		struct epoll *ep = it->ep;

		mutex_lock(&ep->mtx);
		ep_remove(ep, it);
		mutex_unlock(&ep->mtx);
	}
	mutex_unlock(&epoll_mutex);
}

/* ---- epoll_wait ---- */
long epoll_wait_file(struct file *f, struct epoll_event_k *out, int max,
		     uint64_t deadline)
{
	struct epoll *ep = f->priv;
	uint64_t sleep_until = deadline == POLL_FOREVER ? 0 : deadline;
	int n, r = 0;

	for (;;) {
		mutex_lock(&ep->mtx);
		n = ep_scan(ep, out, max);
		mutex_unlock(&ep->mtx);
		if (n || deadline == POLL_NO_WAIT)
			return n;
		mutex_lock(&ep->lock);
		if (list_empty(&ep->ready))
			r = waitq_wait(&ep->wq, &ep->lock, sleep_until);
		mutex_unlock(&ep->lock);
		if (r == -ERESTARTSYS)
			return -EINTR;
		if (r)
			return 0; /* the deadline passed */
	}
}

/* ---- the epoll file ---- */
static unsigned epoll_poll(struct file *f, struct poll_table *pt)
{
	struct epoll *ep = f->priv;
	bool ready;

	poll_wait(f, &ep->wq, pt);
	mutex_lock(&ep->mtx);
	ready = ep_has_events(ep);
	mutex_unlock(&ep->mtx);
	return ready ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	epoll_file_release(f); /* leave the sets that contain this one */
	mutex_lock(&epoll_mutex);
	mutex_lock(&ep->mtx);
	for (unsigned i = 0; i < ep->nbuckets; i++)
		while (ep->buckets[i])
			ep_remove(ep, ep->buckets[i]);
	mutex_unlock(&ep->mtx);
	mutex_unlock(&epoll_mutex);
	assert(list_empty(&ep->wq.waiters));
	free(ep->buckets);
	free(ep);
}

static const struct file_ops epoll_ops = {
	.release = epoll_release,
	.poll = epoll_poll,
	.anon_name = "[eventpoll]",
};

int epoll_create_file(int flags, struct file **out)
{
	struct epoll *ep = calloc(1, sizeof(*ep));
	struct file *f;

	if (!ep)
		return -ENOMEM;
	ep->nbuckets = 16;
	ep->buckets = calloc(ep->nbuckets, sizeof(*ep->buckets));
	f = ep->buckets ? file_alloc(&epoll_ops, ep, O_RDWR | flags, 0600)
			: NULL;
	if (!f) {
		free(ep->buckets);
		free(ep);
		return -ENOMEM;
	}
	ep->file = f;
	mutex_init(&ep->mtx);
	mutex_init(&ep->lock);
	list_init(&ep->ready);
	waitq_init(&ep->wq);
	*out = f;
	return 0;
}
