/*
 * inotify (Linux: man 7 inotify) and the one entry the VFS calls when it
 * changes something (fsnotify_*, fs_private.h).
 *
 * An instance is a file with a queue of events; a watch (a mark) ties an
 * instance to an inode with an event mask and a watch descriptor (wd).
 * The marks of an inode hang off inode->marks, those of an instance off
 * the instance; both lists, every instance's queue and every mark's mask
 * are under notify_lock. Lock order: vfs_mutex -> an inode's lock ->
 * notify_lock -> an instance's waitq lock (so the VFS may report while
 * holding either of its locks, and a read waits on notify_lock).
 *
 * Events on an inode go to its own marks and, for changes of a child
 * (modify, attrib, open, close, access), to the marks of the directory
 * holding it, with the child's name: the directory is ->parent for a
 * directory, the last directory a file was linked into (name_dir,
 * maintained by ramfs's dir_add/dir_remove) for anything else. A mark
 * holds no reference: when its inode goes (fsnotify_gone) the instance
 * gets IN_DELETE_SELF and IN_IGNORED and the mark is dropped.
 *
 * As Linux: an event equal to the last one queued is merged into it; the
 * queue holds at most INOTIFY_MAX_EVENTS, then one IN_Q_OVERFLOW.
 */
#include "fs/fs_private.h"
#include "fs/poll.h"

#define INOTIFY_MAX_EVENTS 16384  /* /proc/sys/fs/inotify/max_queued_events */
#define INOTIFY_MAX_WATCHES 8192  /* max_user_watches, per instance here */
#define INOTIFY_MAX_INSTANCES 128 /* max_user_instances */
#define EVENT_HDR 16		  /* struct inotify_event without the name */

struct inotify_mark {
	struct inotify_mark *inode_next; /* in ip->marks */
	struct inotify_mark *inst_next;	 /* in in->marks */
	struct inode *ip;
	struct inotify *in;
	int wd;
	uint32_t mask; /* IN_* events and IN_ONESHOT/IN_EXCL_UNLINK */
};

struct notify_event {
	struct list link; /* in in->events */
	int32_t wd;
	uint32_t mask, cookie, len; /* len: the name's room, 16-aligned */
	char name[];
};

/* Everything but wq's own list is under notify_lock. */
struct inotify {
	struct list events;
	unsigned nevents; /* queued, the overflow event not counted */
	size_t bytes;	  /* what a read of all of them returns */
	bool overflow_queued;
	struct notify_event overflow; /* the IN_Q_OVERFLOW record */
	struct inotify_mark *marks;
	unsigned nmarks;
	int last_wd;
	struct waitq wq;
};

static struct mutex notify_lock = MUTEX_INIT;
int fsnotify_nmarks;   /* atomic: marks in the system (0: skip every hook) */
static int ninstances; /* atomic */
static uint32_t next_cookie; /* atomic */

uint32_t fsnotify_cookie(void)
{
	return __atomic_add_fetch(&next_cookie, 1, __ATOMIC_RELAXED);
}

/* ---- the queue, under notify_lock ---- */
static size_t event_size(const struct notify_event *e)
{
	return EVENT_HDR + e->len;
}

static struct notify_event *last_event(struct inotify *in)
{
	if (list_empty(&in->events))
		return NULL;
	return container_of(in->events.prev, struct notify_event, link);
}

static bool same_event(const struct notify_event *a,
		       const struct notify_event *b)
{
	return a && a->wd == b->wd && a->mask == b->mask &&
	       a->cookie == b->cookie && a->len == b->len &&
	       !memcmp(a->name, b->name, a->len);
}

static void push(struct inotify *in, struct notify_event *e)
{
	list_push_back(&in->events, &e->link);
	in->bytes += event_size(e);
	poll_notify(&in->wq, POLLIN);
}

static void queue_overflow(struct inotify *in)
{
	if (in->overflow_queued)
		return;
	in->overflow_queued = true;
	push(in, &in->overflow);
}

static void queue_event(struct inotify *in, int wd, uint32_t mask,
			uint32_t cookie, const char *name, size_t len)
{
	size_t room = len ? (len + EVENT_HDR) & ~(size_t)(EVENT_HDR - 1) : 0;
	struct notify_event *e;

	if (in->nevents >= INOTIFY_MAX_EVENTS)
		return queue_overflow(in);
	e = calloc(1, sizeof(*e) + room);
	if (!e)
		return queue_overflow(in);
	*e = (struct notify_event){
	    .wd = wd, .mask = mask, .cookie = cookie, .len = (uint32_t)room};
	memcpy(e->name, name, len);
	if (same_event(last_event(in), e)) {
		free(e);
		return;
	}
	in->nevents++;
	push(in, e);
}

/* ---- marks, under notify_lock ---- */
static void unlink_mark(struct inotify_mark *m)
{
	struct inotify_mark **pp;

	for (pp = &m->ip->marks; *pp != m; pp = &(*pp)->inode_next)
		;
	*pp = m->inode_next;
	for (pp = &m->in->marks; *pp != m; pp = &(*pp)->inst_next)
		;
	*pp = m->inst_next;
	m->in->nmarks--;
	__atomic_fetch_sub(&fsnotify_nmarks, 1, __ATOMIC_RELAXED);
	free(m);
}

/* The watch is gone: IN_IGNORED tells the reader. */
static void drop_mark(struct inotify_mark *m)
{
	queue_event(m->in, m->wd, IN_IGNORED, 0, NULL, 0);
	unlink_mark(m);
}

static void deliver(struct inode *ip, uint32_t mask, uint32_t cookie,
		    const char *name, size_t len)
{
	struct inotify_mark *m, *next;
	uint32_t isdir = mask & IN_ISDIR;

	for (m = ip->marks; m; m = next) {
		next = m->inode_next;
		uint32_t hit = mask & m->mask & IN_ALL_EVENTS;
		if (!hit)
			continue;
		queue_event(m->in, m->wd, hit | isdir, cookie, name, len);
		if (m->mask & IN_ONESHOT)
			drop_mark(m);
	}
}

/* ---- what the VFS calls ---- */
static bool active(void)
{
	return __atomic_load_n(&fsnotify_nmarks, __ATOMIC_RELAXED) != 0;
}

static uint32_t isdir(const struct inode *ip)
{
	return ip->type == S_IFDIR ? IN_ISDIR : 0;
}

void fsnotify_dir(struct inode *dir, uint32_t mask, const char *name,
		  size_t len, uint32_t cookie)
{
	if (!active() || !LOAD(dir->marks))
		return;
	mutex_lock(&notify_lock);
	deliver(dir, mask, cookie, name, len);
	mutex_unlock(&notify_lock);
}

void fsnotify_inode(struct inode *ip, uint32_t mask)
{
	fsnotify_dir(ip, mask | isdir(ip), NULL, 0, 0);
}

void fsnotify_change_locked(struct inode *ip, uint32_t mask)
{
	char name[NAME_MAX + 1];
	struct inode *dir;
	int len = -1;

	if (!active())
		return;
	mask |= isdir(ip);
	dir = ip->type == S_IFDIR ? ip->parent : ip->name_dir;
	if (dir && dir != ip && LOAD(dir->marks))
		len = inode_name_in(dir, ip, name);
	if (len > 0) /* the directory's watches first, as Linux */
		fsnotify_dir(dir, mask, name, len, 0);
	fsnotify_dir(ip, mask, NULL, 0, 0);
}

void fsnotify_change(struct inode *ip, uint32_t mask)
{
	if (!active())
		return;
	mutex_lock(&vfs_mutex);
	fsnotify_change_locked(ip, mask);
	mutex_unlock(&vfs_mutex);
}

void fsnotify_gone(struct inode *ip)
{
	if (!active() || !LOAD(ip->marks))
		return;
	mutex_lock(&notify_lock);
	deliver(ip, IN_DELETE_SELF, 0, NULL, 0); /* no IN_ISDIR, as Linux */
	while (ip->marks)
		drop_mark(ip->marks);
	mutex_unlock(&notify_lock);
}

/* ---- the instance's file ---- */
/* Under notify_lock: moves whole events into buf while they fit. */
static int64_t take_events(struct inotify *in, char *buf, size_t n)
{
	size_t done = 0;

	while (!list_empty(&in->events)) {
		struct notify_event *e =
		    container_of(in->events.next, struct notify_event, link);
		size_t size = event_size(e);

		if (size > n - done)
			break;
		memcpy(buf + done, &e->wd, EVENT_HDR);
		memcpy(buf + done + EVENT_HDR, e->name, e->len);
		done += size;
		list_remove(&e->link);
		in->bytes -= size;
		if (e == &in->overflow) {
			in->overflow_queued = false;
			continue;
		}
		in->nevents--;
		free(e);
	}
	return done ? (int64_t)done : -EINVAL; /* the first does not fit */
}

static int64_t in_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct inotify *in = f->priv;
	int64_t r = 0;

	mutex_lock(&notify_lock);
	while (list_empty(&in->events)) {
		r = -EAGAIN;
		if (LOAD(f->flags) & O_NONBLOCK)
			goto out;
		r = waitq_wait(&in->wq, &notify_lock, 0);
		if (r)
			goto out;
	}
	r = take_events(in, buf, n);
out:
	mutex_unlock(&notify_lock);
	return r;
}

static unsigned in_poll(struct file *f, struct poll_table *pt)
{
	struct inotify *in = f->priv;
	bool any;

	poll_wait(f, &in->wq, pt);
	mutex_lock(&notify_lock);
	any = !list_empty(&in->events);
	mutex_unlock(&notify_lock);
	return any ? POLLIN | POLLRDNORM : 0;
}

static int in_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct inotify *in = f->priv;

	if (cmd != FIONREAD)
		return -ENOTTY;
	mutex_lock(&notify_lock);
	*(int *)arg = (int)in->bytes;
	mutex_unlock(&notify_lock);
	return 0;
}

static void in_release(struct file *f)
{
	struct inotify *in = f->priv;

	epoll_file_release(f);
	mutex_lock(&notify_lock);
	while (in->marks)
		unlink_mark(in->marks);
	while (!list_empty(&in->events)) {
		struct notify_event *e =
		    container_of(in->events.next, struct notify_event, link);
		list_remove(&e->link);
		if (e != &in->overflow)
			free(e);
	}
	mutex_unlock(&notify_lock);
	free(in);
	__atomic_fetch_sub(&ninstances, 1, __ATOMIC_RELAXED);
}

static const struct file_ops inotify_ops = {
    .read = in_read,
    .ioctl = in_ioctl,
    .release = in_release,
    .poll = in_poll,
    .anon_name = "inotify",
};

int inotify_create(int flags, struct file **out)
{
	struct inotify *in;

	if (__atomic_add_fetch(&ninstances, 1, __ATOMIC_RELAXED) >
	    INOTIFY_MAX_INSTANCES) {
		__atomic_fetch_sub(&ninstances, 1, __ATOMIC_RELAXED);
		return -EMFILE;
	}
	in = calloc(1, sizeof(*in));
	*out = in ? file_alloc(&inotify_ops, in,
			       O_RDONLY | (flags & O_NONBLOCK), 0600)
		  : NULL;
	if (!*out) {
		free(in);
		__atomic_fetch_sub(&ninstances, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	list_init(&in->events);
	in->overflow = (struct notify_event){.wd = -1, .mask = IN_Q_OVERFLOW};
	waitq_init(&in->wq);
	return 0;
}

static struct inotify *instance(struct file *f)
{
	return f->ops == &inotify_ops ? f->priv : NULL;
}

/* ---- watches ---- */
static struct inotify_mark *find_mark(struct inotify *in, struct inode *ip)
{
	struct inotify_mark *m;

	for (m = in->marks; m && m->ip != ip; m = m->inst_next)
		;
	return m;
}

/* Under notify_lock: a new mark; its wd or -errno. */
static int new_mark(struct inotify *in, struct inode *ip, uint32_t mask)
{
	struct inotify_mark *m;

	if (in->nmarks >= INOTIFY_MAX_WATCHES)
		return -ENOSPC;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct inotify_mark){.inode_next = ip->marks,
				   .inst_next = in->marks,
				   .ip = ip,
				   .in = in,
				   .wd = ++in->last_wd,
				   .mask = mask};
	ip->marks = m;
	in->marks = m;
	in->nmarks++;
	__atomic_fetch_add(&fsnotify_nmarks, 1, __ATOMIC_RELAXED);
	return m->wd;
}

/* Under vfs_mutex and notify_lock. */
static int watch(struct inotify *in, struct inode *ip, uint32_t mask)
{
	struct inotify_mark *m = find_mark(in, ip);
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);

	if (!m)
		return new_mark(in, ip, keep);
	if (mask & IN_MASK_CREATE)
		return -EEXIST;
	m->mask = mask & IN_MASK_ADD ? m->mask | keep : keep;
	return m->wd;
}

int inotify_add(struct file *f, const char *path, uint32_t mask)
{
	struct inotify *in = instance(f);
	int at_flags = mask & IN_DONT_FOLLOW ? AT_SYMLINK_NOFOLLOW : 0;
	struct inode *ip;
	int r;

	if (!in)
		return -EINVAL;
	mutex_lock(&vfs_mutex);
	r = lookup_inode(NULL, path, at_flags, &ip);
	if (!r && (mask & IN_ONLYDIR) && ip->type != S_IFDIR)
		r = -ENOTDIR;
	if (!r) {
		mutex_lock(&notify_lock);
		r = watch(in, ip, mask);
		mutex_unlock(&notify_lock);
	}
	mutex_unlock(&vfs_mutex);
	return r;
}

int inotify_rm(struct file *f, int wd)
{
	struct inotify *in = instance(f);
	struct inotify_mark *m;

	if (!in)
		return -EINVAL;
	mutex_lock(&notify_lock);
	for (m = in->marks; m && m->wd != wd; m = m->inst_next)
		;
	if (m)
		drop_mark(m);
	mutex_unlock(&notify_lock);
	return m ? 0 : -EINVAL;
}
