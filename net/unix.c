/*
 * AF_UNIX sockets (Linux: man 7 unix): SOCK_STREAM, SOCK_DGRAM and
 * SOCK_SEQPACKET; socketpair; names in the file system (an S_IFSOCK node,
 * fs/fs.h's vfs_bind_socket) and in the abstract namespace (a leading
 * NUL); SCM_RIGHTS, SCM_CREDENTIALS and SO_PEERCRED. Linux's
 * net/unix/af_unix.c is the specification of the semantics and errnos.
 *
 * Data moves as messages (struct umsg) queued on the receiver: a stream
 * send is cut into messages that a read joins again, a datagram or
 * seqpacket send is one message. Every message is charged to its sender
 * (wmem) until it is read, which is what makes a writer wait: a sender
 * with sndbuf bytes unread waits (as Linux's sock_alloc_send_pskb); a
 * datagram receiver with more than UNIX_MAX_DGRAM_QLEN messages makes
 * unconnected senders wait too.
 *
 * Locking: one mutex, unix_mutex, guards every AF_UNIX socket's state
 * (one process: the sections are short, nothing sleeps inside one but
 * through waitq_wait, and it makes connect/accept/close races simple).
 * Order: unix_mutex -> vfs_mutex (binding and finding path names) -> a
 * waitq's lock. Files carried by SCM_RIGHTS are released only after
 * unix_mutex is dropped (their release may be a unix socket's).
 *
 * Lifetime: a struct usock is counted (refs, under unix_mutex): its socket
 * holds one, a peer pointing at it one, each message it sent one, and a
 * thread waiting on its peer_wait one. The struct socket is gone after
 * release (u->sock NULL), so waiters that do not own the socket's file
 * wait on u->peer_wait, which lives as long as the usock.
 */
#include "net/net.h"

#include "linux/linux.h"

#define UNIX_PATH_MAX 108
#define SUN_PATH_OFF 2	       /* offsetof(struct sockaddr_un, sun_path) */
#define UNIX_MAX_DGRAM_QLEN 10 /* Linux's net.unix.max_dgram_qlen */
#define UNIX_CHUNK_MAX 65536   /* bytes of one stream message */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

enum ustate { US_UNCONNECTED, US_LISTEN, US_CONNECTED };

/* One send's data and what travels with it. */
struct umsg {
	struct umsg *next;
	struct usock *from; /* a reference; charged len in from->wmem */
	size_t len, off;    /* off: stream bytes already read */
	struct file **fds;  /* SCM_RIGHTS: references */
	unsigned nfds;
	struct ucred_k cred; /* the sender's, or what SCM_CREDENTIALS said */
	uint8_t data[];
};

/* All fields under unix_mutex. */
struct usock {
	int refs;
	struct socket *sock; /* NULL once closed (and for embryos) */
	int type;
	enum ustate state;
	unsigned shut;		    /* RCV_SHUTDOWN | SEND_SHUTDOWN */
	int err;		    /* SO_ERROR */
	struct usock *peer;	    /* a reference */
	struct umsg *rq, **rq_tail; /* the receive queue */
	size_t rq_bytes;
	unsigned rq_len;
	size_t wmem; /* bytes of its messages not yet read */
	/* the name: alen bytes of a sockaddr_un (0: unbound) */
	unsigned alen;
	struct sockaddr_k addr;
	void *node;	     /* path names: the fs node */
	struct usock *bnext; /* abstract names: in `abstract` */
	/* listening: connected embryos waiting for accept */
	int backlog;
	struct usock *acq, **acq_tail, *acq_next;
	unsigned acq_len;
	struct ucred_k peercred;
	bool has_peercred;
	/* who waits for room in this socket's queue or backlog */
	struct waitq peer_wait;
	/* a datagram sender polling a full receiver: on the receiver's
	 * peer_wait while relay_to (its socket's wq) is set */
	struct poll_waiter relay;
	struct waitq *relay_to;
	/* garbage collection of sockets in flight (unix_gc) */
	unsigned inflight;     /* SCM_RIGHTS references to its file */
	struct usock *gc_next; /* in gc_list while inflight > 0 */
	struct usock *gc_work; /* unix_gc's work and garbage lists */
	long gc_count;	       /* unix_gc: references from outside */
	enum { GC_NONE, GC_CANDIDATE, GC_ALIVE } gc_state;
};

static struct mutex unix_mutex = MUTEX_INIT;
static struct usock *abstract; /* sockets with abstract names */
static unsigned inflight;      /* files in SCM_RIGHTS messages */
static struct usock *gc_list;  /* AF_UNIX sockets in such messages */
static unsigned next_autobind;

static const struct sock_ops unix_stream_ops, unix_dgram_ops,
    unix_seqpacket_ops;

/* What to release after unix_mutex is dropped. */
struct reap {
	struct umsg *msgs;
	struct usock *socks;
	struct file **fds; /* the files of one received SCM_RIGHTS */
	unsigned nfds;
};

/* ---- references and waking ---- */
static struct usock *usock_new(int type)
{
	struct usock *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->refs = 1;
	u->type = type;
	u->rq_tail = &u->rq;
	u->acq_tail = &u->acq;
	waitq_init(&u->peer_wait);
	return u;
}

static void uget(struct usock *u)
{
	u->refs++;
}

static void uput(struct usock *u, struct reap *r)
{
	if (--u->refs)
		return;
	u->bnext = r->socks; /* no longer listed anywhere */
	r->socks = u;
}

static void uwake(struct usock *u, unsigned events)
{
	if (u->sock)
		sock_wake(u->sock, events);
	poll_notify(&u->peer_wait, events);
}

/* Unlocks unix_mutex and frees what the section let go. */
static void unlock_reap(struct reap *r)
{
	mutex_unlock(&unix_mutex);
	while (r->msgs) {
		struct umsg *m = r->msgs;

		r->msgs = m->next;
		for (unsigned i = 0; i < m->nfds; i++)
			if (m->fds[i])
				file_put(m->fds[i]);
		free(m->fds);
		free(m);
	}
	while (r->socks) {
		struct usock *u = r->socks;

		r->socks = u->bnext;
		free(u);
	}
	for (unsigned i = 0; i < r->nfds; i++)
		file_put(r->fds[i]);
	free(r->fds);
}

/* ---- messages ---- */
static struct umsg *umsg_alloc(size_t len)
{
	struct umsg *m = malloc(sizeof(*m) + len);

	if (m)
		memset(m, 0, sizeof(*m));
	if (m)
		m->len = len;
	return m;
}

static void files_leave(struct file **fds, unsigned n);

/* Under unix_mutex: a message leaves its queue for good. */
static void umsg_done(struct umsg *m, struct reap *r)
{
	if (m->from) {
		m->from->wmem -= m->len;
		uwake(m->from, POLLOUT | POLLWRNORM | POLLWRBAND);
		uput(m->from, r);
		m->from = NULL;
	}
	files_leave(m->fds, m->nfds);
	m->next = r->msgs;
	r->msgs = m;
}

static void enqueue(struct usock *to, struct usock *from, struct umsg *m)
{
	m->from = from;
	uget(from);
	from->wmem += m->len;
	m->next = NULL;
	*to->rq_tail = m;
	to->rq_tail = &m->next;
	to->rq_bytes += m->len;
	to->rq_len++;
	uwake(to, POLLIN | POLLRDNORM);
}

static struct umsg *dequeue(struct usock *u)
{
	struct umsg *m = u->rq;

	u->rq = m->next;
	if (!u->rq)
		u->rq_tail = &u->rq;
	u->rq_bytes -= m->len;
	u->rq_len--;
	poll_notify(&u->peer_wait, POLLOUT | POLLWRNORM);
	return m;
}

static void drain(struct usock *u, struct reap *r)
{
	while (u->rq)
		umsg_done(dequeue(u), r);
}

/* ---- names ---- */
static bool is_abstract(const struct sockaddr_k *a, unsigned len)
{
	return len > SUN_PATH_OFF && a->data[0] == 0;
}

/* Linux's unix_validate_addr. */
static int check_addr(const struct sockaddr_k *a, unsigned len)
{
	if (len <= SUN_PATH_OFF || len > SUN_PATH_OFF + UNIX_PATH_MAX)
		return -EINVAL;
	return a->family == AF_UNIX ? 0 : -EINVAL;
}

/* A path name as a C string (cut at its first NUL, as Linux). */
static void path_of(const struct sockaddr_k *a, unsigned len, char *out)
{
	size_t n = len - SUN_PATH_OFF;

	memcpy(out, a->data, n);
	out[n] = 0;
}

static struct usock *abstract_find(const struct sockaddr_k *a, unsigned len,
				   int type)
{
	for (struct usock *u = abstract; u; u = u->bnext)
		if (u->alen == len && u->type == type &&
		    !memcmp(u->addr.data, a->data, len - SUN_PATH_OFF))
			return u;
	return NULL;
}

static void set_name(struct usock *u, const struct sockaddr_k *a, unsigned len)
{
	memset(&u->addr, 0, sizeof(u->addr));
	memcpy(&u->addr, a, len);
	u->addr.family = AF_UNIX;
	u->alen = len;
}

static int bind_abstract(struct usock *u, const struct sockaddr_k *a,
			 unsigned len)
{
	if (abstract_find(a, len, u->type))
		return -EADDRINUSE;
	set_name(u, a, len);
	u->bnext = abstract;
	abstract = u;
	return 0;
}

/* Linux's unix_autobind: an abstract name of five hex digits. */
static int autobind(struct usock *u)
{
	struct sockaddr_k a = {.family = AF_UNIX};

	for (unsigned tries = 0; tries < 0x100000; tries++) {
		snprintf((char *)a.data + 1, 6, "%05x",
			 next_autobind++ & 0xfffff);
		if (!bind_abstract(u, &a, SUN_PATH_OFF + 6))
			return 0;
	}
	return -ENOSPC;
}

static int bind_path(struct usock *u, const struct sockaddr_k *a, unsigned len)
{
	char path[UNIX_PATH_MAX + 1];
	int r;

	path_of(a, len, path);
	r = vfs_bind_socket(NULL, path, 0777, u, &u->node);
	if (r == -EEXIST)
		return -EADDRINUSE;
	if (r)
		return r;
	/* the name as Linux keeps it: the path and its NUL */
	set_name(u, a, (unsigned)(SUN_PATH_OFF + strlen(path) + 1));
	return 0;
}

static int unix_bind(struct socket *s, const struct sockaddr_k *a, unsigned len)
{
	struct usock *u = s->priv;
	struct reap r = {0};
	int err;

	if (len < SUN_PATH_OFF || a->family != AF_UNIX)
		return -EINVAL;
	mutex_lock(&unix_mutex);
	if (len == SUN_PATH_OFF)
		err = u->alen ? 0 : autobind(u); /* Linux: bound is fine */
	else if (u->alen)
		err = -EINVAL;
	else if ((err = check_addr(a, len)) == 0)
		err = is_abstract(a, len) ? bind_abstract(u, a, len)
					  : bind_path(u, a, len);
	unlock_reap(&r);
	return err;
}

/* Under vfs_mutex and unix_mutex (the caller's): a live socket's ref. */
static bool usock_tryget(void *p)
{
	struct usock *u = p;

	if (!u->sock)
		return false;
	uget(u);
	return true;
}

/* Linux's unix_find_other: the socket named a, with a reference. */
static int find_other(const struct sockaddr_k *a, unsigned len, int type,
		      struct usock **out)
{
	char path[UNIX_PATH_MAX + 1];
	void *p;
	int err;

	if (is_abstract(a, len)) {
		*out = abstract_find(a, len, type);
		if (!*out || !(*out)->sock)
			return -ECONNREFUSED;
		uget(*out);
		return 0;
	}
	path_of(a, len, path);
	err = vfs_lookup_socket(NULL, path, usock_tryget, &p);
	if (err)
		return err;
	*out = p;
	return 0;
}

static int unix_getname(struct socket *s, struct sockaddr_k *a, unsigned *len,
			bool peer)
{
	struct usock *u = s->priv;
	int err = 0;

	mutex_lock(&unix_mutex);
	if (peer && !u->peer)
		err = -ENOTCONN;
	else
		u = peer ? u->peer : u;
	if (!err && u->alen) {
		memcpy(a, &u->addr, u->alen);
		*len = u->alen;
	} else if (!err) {
		a->family = AF_UNIX;
		*len = sizeof(a->family);
	}
	mutex_unlock(&unix_mutex);
	return err;
}

/* ---- connections ---- */
static bool dead(struct usock *u)
{
	return !u->sock && u->state != US_CONNECTED;
}

static void set_peercred(struct usock *u, const struct ucred_k *c)
{
	u->peercred = *c;
	u->has_peercred = true;
}

/* Waits on other's peer_wait (room in its queue or backlog). */
static int wait_other(struct usock *other, uint64_t deadline, struct reap *r)
{
	int err;

	uget(other);
	err = sock_wait(&other->peer_wait, &unix_mutex, deadline);
	uput(other, r);
	return err;
}

/* Under unix_mutex: a new connection from u to the listener l. */
static int connect_to(struct usock *u, struct usock *l)
{
	struct usock *e = usock_new(u->type);
	struct ucred_k self;

	if (!e)
		return -ENOMEM;
	sock_self_cred(&self);
	e->state = US_CONNECTED;
	u->state = US_CONNECTED;
	e->peer = u;
	uget(u);
	u->peer = e;
	uget(e);
	if (l->alen)
		set_name(e, &l->addr, l->alen);
	set_peercred(e, &self);
	set_peercred(u, &l->peercred);
	e->acq_next = NULL;
	*l->acq_tail = e;
	l->acq_tail = &e->acq_next;
	l->acq_len++;
	uwake(l, POLLIN | POLLRDNORM);
	return 0;
}

/* Waits for room in the listener's backlog; 0 when there is room. */
static int backlog_room(struct socket *s, struct usock *l, bool nonblock,
			struct reap *r)
{
	uint64_t deadline = sock_deadline(s->sndtimeo);
	int err;

	while (l->acq_len > (unsigned)l->backlog) {
		if (nonblock)
			return -EAGAIN;
		err = wait_other(l, deadline, r);
		if (err)
			return err;
		if (l->state != US_LISTEN || !l->sock)
			return -ECONNREFUSED;
	}
	return 0;
}

static int stream_connect_locked(struct socket *s, struct usock *u,
				 const struct sockaddr_k *a, unsigned len,
				 bool nonblock, struct reap *r)
{
	struct usock *l;
	int err;

	/* Linux's order: the name first, then the listener, then our state */
	if (s->passcred && !u->alen && (err = autobind(u)))
		return err;
	err = find_other(a, len, u->type, &l);
	if (err)
		return err;
	if (l->type != u->type)
		err = -EPROTOTYPE;
	else if (l->state != US_LISTEN || !l->sock || (l->shut & RCV_SHUTDOWN))
		err = -ECONNREFUSED;
	if (!err)
		err = backlog_room(s, l, nonblock, r);
	if (!err && u->state != US_UNCONNECTED)
		err = u->state == US_CONNECTED ? -EISCONN : -EINVAL;
	if (!err)
		err = connect_to(u, l);
	uput(l, r);
	return err;
}

static int unix_stream_connect(struct socket *s, const struct sockaddr_k *a,
			       unsigned len, bool nonblock)
{
	struct reap r = {0};
	int err = check_addr(a, len);

	if (err)
		return err;
	mutex_lock(&unix_mutex);
	err = stream_connect_locked(s, s->priv, a, len, nonblock, &r);
	unlock_reap(&r);
	return err;
}

static int unix_listen(struct socket *s, int backlog)
{
	struct usock *u = s->priv;
	int err = 0;

	mutex_lock(&unix_mutex);
	if (!u->alen || u->state == US_CONNECTED) {
		err = -EINVAL;
	} else {
		u->backlog = backlog;
		if (u->state != US_LISTEN) {
			struct ucred_k self;

			sock_self_cred(&self);
			set_peercred(u, &self);
		}
		u->state = US_LISTEN;
		uwake(u, POLLOUT); /* a backlog grown makes room */
	}
	mutex_unlock(&unix_mutex);
	return err;
}

/* Under unix_mutex: the next embryo, made a socket. */
static int take_embryo(struct socket *s, struct usock *l, struct socket **out)
{
	struct usock *e = l->acq;
	struct socket *ns = sock_alloc(AF_UNIX, s->type, s->protocol);

	if (!ns)
		return -ENOMEM;
	l->acq = e->acq_next;
	if (!l->acq)
		l->acq_tail = &l->acq;
	l->acq_len--;
	poll_notify(&l->peer_wait, POLLOUT);
	ns->ops = s->ops;
	ns->passcred = s->passcred; /* Linux's unix_sock_inherit_flags */
	ns->priv = e;
	e->sock = ns;
	*out = ns;
	return 0;
}

static int unix_accept(struct socket *s, struct socket **out, bool nonblock)
{
	struct usock *u = s->priv;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	int err = 0;

	mutex_lock(&unix_mutex);
	/* Linux: a listener shut down for reading accepts what is queued,
	 * then says EINVAL */
	while (!err && u->state == US_LISTEN && !u->acq &&
	       !(u->shut & RCV_SHUTDOWN))
		err = nonblock ? -EAGAIN
			       : sock_wait(&s->wq, &unix_mutex, deadline);
	if (!err && (u->state != US_LISTEN || !u->acq))
		err = -EINVAL;
	if (!err)
		err = take_embryo(s, u, out);
	mutex_unlock(&unix_mutex);
	return err;
}

static int unix_socketpair(struct socket *a, struct socket *b)
{
	struct usock *ua = a->priv, *ub = b->priv;
	struct ucred_k self;

	sock_self_cred(&self);
	mutex_lock(&unix_mutex);
	ua->peer = ub;
	uget(ub);
	ub->peer = ua;
	uget(ua);
	if (a->type != SOCK_DGRAM) {
		ua->state = US_CONNECTED;
		ub->state = US_CONNECTED;
	}
	set_peercred(ua, &self);
	set_peercred(ub, &self);
	mutex_unlock(&unix_mutex);
	return 0;
}

/* Under unix_mutex: u drops its peer (dgram reconnect or disconnect). */
static void relay_off(struct usock *u);

static void drop_peer(struct usock *u, struct reap *r)
{
	if (!u->peer)
		return;
	relay_off(u);
	uput(u->peer, r);
	u->peer = NULL;
}

static int dgram_connect_locked(struct usock *u, const struct sockaddr_k *a,
				unsigned len, struct socket *s, struct reap *r)
{
	struct usock *other;
	int err;

	if (a->family == AF_UNSPEC) {
		drop_peer(u, r);
		return 0;
	}
	err = check_addr(a, len);
	if (!err && s->passcred && !u->alen)
		err = autobind(u);
	if (!err)
		err = find_other(a, len, u->type, &other);
	if (err)
		return err;
	if (other->type != u->type)
		err = -EPROTOTYPE;
	else if (other->peer && other->peer != u)
		err = -EPERM; /* Linux's unix_may_send */
	if (!err) {
		drop_peer(u, r);
		u->peer = other;
		uget(other);
	}
	uput(other, r);
	return err;
}

static int unix_dgram_connect(struct socket *s, const struct sockaddr_k *a,
			      unsigned len, bool nonblock)
{
	struct reap r = {0};
	int err;

	if (len < sizeof(a->family))
		return -EINVAL;
	mutex_lock(&unix_mutex);
	err = dgram_connect_locked(s->priv, a, len, s, &r);
	unlock_reap(&r);
	return err;
}

/* Linux's unix_shutdown: mirrored onto a connected peer. */
static int unix_shutdown(struct socket *s, int how)
{
	struct usock *u = s->priv;
	unsigned mode = (unsigned)(how + 1) & SHUTDOWN_MASK;

	mutex_lock(&unix_mutex);
	u->shut |= mode;
	uwake(u, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	if (u->peer && u->type != SOCK_DGRAM) {
		unsigned pm = (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) |
			      (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);

		u->peer->shut |= pm;
		uwake(u->peer, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	}
	mutex_unlock(&unix_mutex);
	return 0;
}

/* ---- closing ---- */
static void close_usock(struct usock *u, struct reap *r);

/* A connected peer learns that u went away (Linux: unix_release_sock). */
static void hang_up_peer(struct usock *u, struct reap *r)
{
	struct usock *p = u->peer;

	if (!p)
		return;
	/* p keeps pointing at u (getpeername still answers, as Linux) */
	if (u->type != SOCK_DGRAM) {
		p->shut = SHUTDOWN_MASK;
		if (u->rq)
			p->err = ECONNRESET; /* data was lost */
	}
	uwake(p, POLLIN | POLLOUT | POLLHUP | POLLRDHUP | POLLERR);
	drop_peer(u, r);
}

static void close_usock(struct usock *u, struct reap *r)
{
	u->sock = NULL;
	u->shut = SHUTDOWN_MASK;
	hang_up_peer(u, r);
	u->state = US_UNCONNECTED;
	while (u->acq) {
		struct usock *e = u->acq;

		u->acq = e->acq_next;
		close_usock(e, r);
	}
	u->acq_tail = &u->acq;
	u->acq_len = 0;
	drain(u, r);
	poll_notify(&u->peer_wait, POLLHUP);
	if (u->node)
		vfs_unbind_socket(u->node);
	u->node = NULL;
	for (struct usock **pp = &abstract; *pp; pp = &(*pp)->bnext)
		if (*pp == u) {
			*pp = u->bnext;
			break;
		}
	uput(u, r);
}

static void unix_gc(struct reap *r);

static void unix_release(struct socket *s)
{
	struct reap r = {0};

	if (!s->priv)
		return;
	mutex_lock(&unix_mutex);
	close_usock(s->priv, &r);
	if (gc_list)
		unix_gc(&r); /* as Linux: when a socket goes */
	unlock_reap(&r);
}

/* ---- garbage collection of sockets in flight ---- */
/*
 * A socket whose only references are SCM_RIGHTS messages queued on
 * sockets that are themselves referenced only that way (a socket sent
 * over itself, two sent to each other) is never received nor closed.
 * Linux's unix_gc finds them: the candidates are the sockets in flight
 * whose file has no reference but the messages' (nothing outside can
 * reach them, so their set does not change while unix_mutex is held:
 * receiving is the only way out, and it takes the mutex). A candidate
 * referenced from a queue that is not a candidate's is alive, and so is
 * everything its queue reaches; the rest have their queues purged, which
 * lets go of the files and so closes them.
 */
static struct usock *usock_of_file(struct file *f)
{
	struct socket *s = sock_of_file(f);

	if (!s || (s->ops != &unix_stream_ops && s->ops != &unix_dgram_ops &&
		   s->ops != &unix_seqpacket_ops))
		return NULL;
	return s->priv;
}

/* Under unix_mutex: files go into a message, or out of one for good. */
static void files_enter(struct file **fds, unsigned n)
{
	inflight += n;
	for (unsigned i = 0; i < n; i++) {
		struct usock *u = usock_of_file(fds[i]);

		if (u && u->inflight++ == 0) {
			u->gc_next = gc_list;
			gc_list = u;
		}
	}
}

static void files_leave(struct file **fds, unsigned n)
{
	inflight -= n;
	for (unsigned i = 0; i < n; i++) {
		struct usock *u = usock_of_file(fds[i]);

		if (!u || --u->inflight)
			continue;
		for (struct usock **pp = &gc_list; *pp; pp = &(*pp)->gc_next)
			if (*pp == u) {
				*pp = u->gc_next;
				break;
			}
	}
}

/* Calls fn on every candidate in flight in q's queue. */
static void scan_queue(struct usock *q, void (*fn)(struct usock *, void *),
		       void *arg)
{
	for (struct umsg *m = q->rq; m; m = m->next)
		for (unsigned i = 0; i < m->nfds; i++) {
			struct usock *c = usock_of_file(m->fds[i]);

			if (c && c->gc_state != GC_NONE)
				fn(c, arg);
		}
}

/* ... in u's queue and those of its embryos (not yet accepted). */
static void scan_children(struct usock *u, void (*fn)(struct usock *, void *),
			  void *arg)
{
	scan_queue(u, fn, arg);
	for (struct usock *e = u->acq; e; e = e->acq_next)
		scan_queue(e, fn, arg);
}

static void gc_dec(struct usock *c, void *arg)
{
	c->gc_count--;
}

static void gc_mark(struct usock *c, void *arg)
{
	struct usock **work = arg;

	if (c->gc_state != GC_CANDIDATE)
		return;
	c->gc_state = GC_ALIVE;
	c->gc_work = *work;
	*work = c;
}

static bool gc_is_candidate(struct usock *u)
{
	struct file *f = u->sock ? u->sock->file : NULL;

	return f &&
	       __atomic_load_n(&f->refs, __ATOMIC_RELAXED) == (int)u->inflight;
}

/* Under unix_mutex; what it lets go is released with r. */
static void unix_gc(struct reap *r)
{
	struct usock *u, *work = NULL, *garbage = NULL;

	for (u = gc_list; u; u = u->gc_next) {
		u->gc_state = gc_is_candidate(u) ? GC_CANDIDATE : GC_NONE;
		u->gc_count = u->inflight;
	}
	for (u = gc_list; u; u = u->gc_next)
		if (u->gc_state == GC_CANDIDATE)
			scan_children(u, gc_dec, NULL);
	for (u = gc_list; u; u = u->gc_next)
		if (u->gc_state == GC_CANDIDATE && u->gc_count > 0)
			gc_mark(u, &work);
	while ((u = work)) {
		work = u->gc_work;
		scan_children(u, gc_mark, &work);
	}
	for (u = gc_list; u; u = u->gc_next) {
		if (u->gc_state == GC_CANDIDATE) {
			u->gc_work = garbage;
			garbage = u;
		}
		u->gc_state = GC_NONE;
	}
	for (u = garbage; u; u = u->gc_work) {
		drain(u, r); /* changes gc_list: hence the garbage list */
		for (struct usock *e = u->acq; e; e = e->acq_next)
			drain(e, r);
	}
}

/* ---- control messages ---- */
/* What a send carries besides data (Linux's struct scm_cookie). */
struct scm {
	struct file *fds[SCM_MAX_FD];
	unsigned nfds;
	struct ucred_k cred;
};

static int scm_rights(struct scm *c, const struct cmsghdr_k *h)
{
	size_t n = (h->len - CMSG_HDR_K) / sizeof(int);
	const int *fd = (const int *)((const uint8_t *)h + CMSG_HDR_K);

	if (!n)
		return 0;
	if (c->nfds + n > SCM_MAX_FD)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct file *f = fd_get(fd[i]);

		if (!f)
			return -EBADF;
		c->fds[c->nfds++] = f;
	}
	return 0;
}

/* Linux's scm_check_creds for root: any ids, but only a pid that exists
 * (ours: one process). */
static int scm_creds(struct scm *c, const struct cmsghdr_k *h)
{
	struct ucred_k want;

	if (h->len != CMSG_HDR_K + sizeof(want))
		return -EINVAL;
	memcpy(&want, (const uint8_t *)h + CMSG_HDR_K, sizeof(want));
	if (want.uid == (uint32_t)-1 || want.gid == (uint32_t)-1)
		return -EINVAL;
	if (want.pid != c->cred.pid)
		return -ESRCH;
	c->cred = want;
	return 0;
}

static void scm_release(struct scm *c)
{
	for (unsigned i = 0; i < c->nfds; i++)
		file_put(c->fds[i]);
	c->nfds = 0;
}

/* Linux's __scm_send: SOL_SOCKET messages only; others are ignored. */
static int scm_parse(const struct kmsg *m, struct scm *c)
{
	const struct cmsghdr_k *h = NULL;
	int err;

	sock_self_cred(&c->cred);
	c->nfds = 0;
	while ((h = kmsg_next_cmsg(m, h, &err))) {
		if (h->level != SOL_SOCKET)
			continue;
		if (h->type == SCM_RIGHTS)
			err = scm_rights(c, h);
		else if (h->type == SCM_CREDENTIALS)
			err = scm_creds(c, h);
		else
			err = -EINVAL;
		if (err)
			break;
	}
	if (err)
		scm_release(c);
	return err;
}

/* Under unix_mutex: moves the files into the message. */
static int scm_attach(struct umsg *msg, struct scm *c, struct reap *r)
{
	msg->cred = c->cred;
	if (!c->nfds)
		return 0;
	if (inflight + c->nfds > fd_get_limit())
		unix_gc(r); /* cycles may hold most of them */
	if (inflight + c->nfds > fd_get_limit())
		return -ETOOMANYREFS;
	msg->fds = malloc(c->nfds * sizeof(*msg->fds));
	if (!msg->fds)
		return -ENOMEM;
	memcpy(msg->fds, c->fds, c->nfds * sizeof(*msg->fds));
	msg->nfds = c->nfds;
	files_enter(msg->fds, msg->nfds);
	c->nfds = 0;
	return 0;
}

/* At receive: installs the message's files (new references when
 * peeking) and writes SCM_RIGHTS; what does not fit is closed, with
 * MSG_CTRUNC (Linux's scm_detach_fds). The message's own references go
 * to r, dropped after unix_mutex: the last one may close a socket. */
static void put_rights(struct kmsg *km, size_t *used, struct umsg *msg,
		       int flags, struct reap *r)
{
	size_t room = km->controllen > *used + CMSG_HDR_K
			  ? (km->controllen - *used - CMSG_HDR_K) / sizeof(int)
			  : 0;
	int fds[SCM_MAX_FD];
	unsigned n = 0;

	for (unsigned i = 0; i < msg->nfds && n < room; i++) {
		int fd;

		file_get(msg->fds[i]);
		fd = fd_install(msg->fds[i], 0, flags & MSG_CMSG_CLOEXEC);
		if (fd < 0) {
			file_put(msg->fds[i]);
			break;
		}
		fds[n++] = fd;
	}
	if (n < msg->nfds)
		km->flags_out |= MSG_CTRUNC;
	if (n)
		kmsg_put_cmsg(km, used, SOL_SOCKET, SCM_RIGHTS, fds,
			      n * sizeof(int));
	if (flags & MSG_PEEK)
		return;
	assert(!r->fds); /* one message's files per receive */
	r->fds = msg->fds;
	r->nfds = msg->nfds;
	files_leave(msg->fds, msg->nfds);
	msg->fds = NULL;
	msg->nfds = 0;
}

/* Control messages of a received message (fd_install under unix_mutex
 * is fine: the fd table's lock is a leaf). */
static void put_control(struct socket *s, struct kmsg *km, size_t *used,
			struct umsg *msg, int flags, struct reap *r)
{
	if (s->passcred)
		kmsg_put_cmsg(km, used, SOL_SOCKET, SCM_CREDENTIALS, &msg->cred,
			      sizeof(msg->cred));
	if (msg->nfds)
		put_rights(km, used, msg, flags, r);
}

static void put_source(struct kmsg *km, struct umsg *msg)
{
	struct usock *from = msg->from;

	if (!km->name)
		return;
	if (!from || !from->alen) {
		km->namelen = 0;
		return;
	}
	memcpy(km->name, &from->addr, MIN(from->alen, sizeof(*km->name)));
	km->namelen = from->alen;
}

/* Out-of-band data (Linux's CONFIG_AF_UNIX_OOB) is not kept. */
static int oob_missing(void)
{
	linux_missing("AF_UNIX MSG_OOB");
	return -EOPNOTSUPP;
}

/* ---- datagrams and seqpacket ---- */
/* Under unix_mutex: waits until `to` has room for a datagram from u. */
static int dgram_room(struct socket *s, struct usock *u, struct usock *to,
		      size_t len, bool nonblock, struct reap *r)
{
	uint64_t deadline = sock_deadline(s->sndtimeo);
	int err;

	for (;;) {
		if (dead(to))
			return -ECONNREFUSED;
		if (to->shut & RCV_SHUTDOWN)
			return -EPIPE;
		if (u->wmem && u->wmem + len > (size_t)s->sndbuf) {
			if (nonblock)
				return -EAGAIN;
			err = sock_wait(&s->wq, &unix_mutex, deadline);
		} else if (to != u && to->peer != u &&
			   to->rq_len > UNIX_MAX_DGRAM_QLEN) {
			if (nonblock)
				return -EAGAIN;
			err = wait_other(to, deadline, r);
		} else {
			return 0;
		}
		if (err)
			return err;
	}
}

/* The receiver of a datagram: named, or the peer (with a reference). */
static int dgram_target(struct socket *s, struct usock *u,
			const struct kmsg *km, struct usock **to,
			struct reap *r)
{
	int err;

	if (!km->name || s->type != SOCK_DGRAM) {
		if (!u->peer)
			return -ENOTCONN;
		*to = u->peer;
		uget(*to);
		return 0;
	}
	err = check_addr(km->name, km->namelen);
	if (!err)
		err = find_other(km->name, km->namelen, u->type, to);
	if (err)
		return err;
	if ((*to)->type != u->type)
		err = -EPROTOTYPE;
	else if ((*to)->peer && (*to)->peer != u)
		err = -EPERM; /* Linux's unix_may_send */
	if (err)
		uput(*to, r);
	return err;
}

static int64_t dgram_send_locked(struct socket *s, struct umsg *msg,
				 struct scm *c, const struct kmsg *km,
				 bool nonblock, struct reap *r)
{
	struct usock *u = s->priv, *to;
	int64_t err;

	if (u->shut & SEND_SHUTDOWN)
		return -EPIPE;
	if (s->type == SOCK_SEQPACKET && u->state != US_CONNECTED)
		return -ENOTCONN;
	if (s->passcred && !u->alen && (err = autobind(u)))
		return err;
	err = dgram_target(s, u, km, &to, r);
	if (err)
		return err;
	/* Linux: a receiver that wants credentials sees a named sender */
	if (!u->alen && to->sock && to->sock->passcred)
		autobind(u);
	err = dgram_room(s, u, to, msg->len, nonblock, r);
	if (!err && s->type == SOCK_DGRAM && to == u->peer && dead(to))
		err = -ECONNREFUSED;
	if (!err)
		err = scm_attach(msg, c, r);
	if (!err)
		enqueue(to, u, msg);
	if (err == -ECONNREFUSED && to == u->peer)
		drop_peer(u, r);
	uput(to, r);
	return err ? err : (int64_t)msg->len;
}

static int64_t unix_dgram_sendmsg(struct socket *s, struct kmsg *km, int flags,
				  bool nonblock)
{
	size_t len = km->data.resid;
	struct umsg *msg;
	struct reap r = {0};
	struct scm c;
	int64_t err;

	if (flags & MSG_OOB)
		return oob_missing();
	if (len > (size_t)s->sndbuf - 32)
		return -EMSGSIZE;
	err = scm_parse(km, &c);
	if (err)
		return err;
	msg = umsg_alloc(len);
	if (!msg) {
		scm_release(&c);
		return -ENOMEM;
	}
	if (len && uio_copy_from(&km->data, msg->data, len) != (int64_t)len) {
		scm_release(&c);
		free(msg);
		return -EFAULT;
	}
	mutex_lock(&unix_mutex);
	err = dgram_send_locked(s, msg, &c, km, nonblock, &r);
	if (err < 0) {
		msg->next = r.msgs; /* never queued: freed with the rest */
		r.msgs = msg;
	}
	unlock_reap(&r);
	scm_release(&c);
	return err;
}

/* Under unix_mutex: waits for a message; 0 when one is there, 1 at the
 * end (shut down for reading); a pending error first (Linux's
 * sock_error: ECONNRESET once when the peer closed with data unread). */
static int wait_data(struct socket *s, struct usock *u, bool nonblock,
		     uint64_t deadline)
{
	int err;

	while (!u->rq) {
		if (u->err) {
			err = -u->err;
			u->err = 0;
			return err;
		}
		if (u->shut & RCV_SHUTDOWN)
			return 1;
		if (nonblock)
			return -EAGAIN;
		err = sock_wait(&s->wq, &unix_mutex, deadline);
		if (err)
			return err;
	}
	return 0;
}

static int64_t dgram_recv_locked(struct socket *s, struct kmsg *km, int flags,
				 bool nonblock, struct reap *r)
{
	struct usock *u = s->priv;
	struct umsg *msg;
	size_t used = 0;
	int64_t n;
	int err;

	if (s->type == SOCK_SEQPACKET && u->state != US_CONNECTED && !u->rq)
		return -ENOTCONN;
	err = wait_data(s, u, nonblock, sock_deadline(s->rcvtimeo));
	if (err)
		return err < 0 ? err : 0;
	msg = u->rq;
	n = uio_copy_to(&km->data, msg->data, MIN(msg->len, km->data.resid));
	if (n < 0)
		return n;
	if ((size_t)n < msg->len)
		km->flags_out |= MSG_TRUNC;
	put_source(km, msg);
	put_control(s, km, &used, msg, flags, r);
	km->controllen = used;
	if (!(flags & MSG_PEEK))
		umsg_done(dequeue(u), r);
	return flags & MSG_TRUNC ? (int64_t)msg->len : n;
}

static int64_t unix_dgram_recvmsg(struct socket *s, struct kmsg *km, int flags,
				  bool nonblock)
{
	struct reap r = {0};
	int64_t n;

	if (flags & MSG_OOB)
		return oob_missing();
	mutex_lock(&unix_mutex);
	n = dgram_recv_locked(s, km, flags, nonblock, &r);
	unlock_reap(&r);
	return n;
}

/* ---- streams ---- */
static int stream_room(struct socket *s, struct usock *u, bool nonblock,
		       uint64_t deadline)
{
	int err;

	for (;;) {
		if ((u->shut & SEND_SHUTDOWN) || !u->peer ||
		    (u->peer->shut & RCV_SHUTDOWN))
			return -EPIPE;
		if (u->wmem < (size_t)s->sndbuf)
			return 0;
		if (nonblock)
			return -EAGAIN;
		err = sock_wait(&s->wq, &unix_mutex, deadline);
		if (err)
			return err;
	}
}

/* One stream message of up to `size` bytes, data copied in. */
static struct umsg *stream_chunk(struct kmsg *km, size_t size, int *err)
{
	size_t n = MIN(km->data.resid, size);
	struct umsg *msg = umsg_alloc(n);

	*err = -ENOMEM;
	if (!msg)
		return NULL;
	if (n && uio_copy_from(&km->data, msg->data, n) != (int64_t)n) {
		free(msg);
		*err = -EFAULT;
		return NULL;
	}
	return msg;
}

static int stream_send_one(struct socket *s, struct umsg *msg, struct scm *c,
			   bool nonblock, uint64_t deadline)
{
	struct usock *u = s->priv;
	struct reap r = {0};
	int err;

	mutex_lock(&unix_mutex);
	err = stream_room(s, u, nonblock, deadline);
	if (!err)
		err = scm_attach(msg, c, &r);
	if (!err) {
		enqueue(u->peer, u, msg);
	} else {
		msg->next = NULL; /* never queued: freed with the rest */
		r.msgs = msg;
	}
	unlock_reap(&r);
	return err;
}

static int64_t unix_stream_sendmsg(struct socket *s, struct kmsg *km, int flags,
				   bool nonblock)
{
	struct usock *u = s->priv;
	uint64_t deadline = sock_deadline(s->sndtimeo);
	size_t size = MIN((size_t)s->sndbuf / 2 - 64, UNIX_CHUNK_MAX);
	int64_t sent = 0;
	struct scm c;
	int err;

	if (flags & MSG_OOB)
		return oob_missing();
	mutex_lock(&unix_mutex);
	err = u->state != US_CONNECTED ? -ENOTCONN : 0;
	mutex_unlock(&unix_mutex);
	if (km->name)
		return err ? -EOPNOTSUPP : -EISCONN;
	if (err)
		return err;
	err = scm_parse(km, &c);
	if (err)
		return err;
	while (km->data.resid) {
		struct umsg *msg = stream_chunk(km, size, &err);

		if (!msg)
			break;
		sent += (int64_t)msg->len;
		err = stream_send_one(s, msg, &c, nonblock, deadline);
		if (err) {
			sent -= (int64_t)msg->len;
			break;
		}
	}
	scm_release(&c);
	return sent ? sent : err;
}

/* Copies queued stream bytes; the count. The first message read in a
 * call (so_far 0) gives the source and control messages; a later one
 * that carries files ends the read before it (0 if nothing was copied
 * in this step). */
static int64_t stream_copy(struct socket *s, struct usock *u, struct kmsg *km,
			   int flags, int64_t so_far, size_t *used,
			   struct reap *r)
{
	bool peek = flags & MSG_PEEK;
	int64_t done = 0;

	for (struct umsg *msg = u->rq; msg && km->data.resid;) {
		size_t at = msg->off;
		int64_t n;

		if ((done || so_far) && msg->nfds)
			break;
		if (!done && !so_far) {
			put_source(km, msg);
			put_control(s, km, used, msg, flags, r);
		}
		n = uio_copy_to(&km->data, msg->data + at, msg->len - at);
		if (n < 0)
			return done ? done : n;
		done += n;
		if (peek) {
			msg = msg->next;
			continue;
		}
		msg->off += (size_t)n;
		u->rq_bytes -= (size_t)n;
		if (msg->off < msg->len)
			break;
		u->rq_bytes += msg->len; /* dequeue subtracts it whole */
		msg = msg->next;
		umsg_done(dequeue(u), r);
	}
	return done;
}

static int64_t stream_recv_locked(struct socket *s, struct kmsg *km, int flags,
				  bool nonblock, struct reap *r)
{
	struct usock *u = s->priv;
	uint64_t deadline = sock_deadline(s->rcvtimeo);
	size_t target = flags & MSG_WAITALL ? km->data.resid : 1, used = 0;
	int64_t done = 0, n;
	int err = 0;

	if (u->state != US_CONNECTED)
		return -EINVAL;
	km->namelen = 0;
	while (km->data.resid) {
		err = wait_data(s, u, nonblock || (size_t)done >= target,
				deadline);
		if (err)
			break;
		n = stream_copy(s, u, km, flags, done, &used, r);
		if (n < 0) {
			err = (int)n;
			break;
		}
		if (!n)
			break; /* files wait for the next read */
		done += n;
		if ((size_t)done >= target || (flags & MSG_PEEK))
			break;
	}
	km->controllen = used;
	if (done)
		return done;
	return err > 0 ? 0 : err;
}

static int64_t unix_stream_recvmsg(struct socket *s, struct kmsg *km, int flags,
				   bool nonblock)
{
	struct reap r = {0};
	int64_t n;

	if (flags & MSG_OOB)
		return oob_missing();
	mutex_lock(&unix_mutex);
	n = stream_recv_locked(s, km, flags, nonblock, &r);
	unlock_reap(&r);
	return n;
}

/* ---- readiness, options, ioctls ---- */
static bool writable(struct socket *s, struct usock *u)
{
	return u->state != US_LISTEN && (u->wmem << 2) <= (size_t)s->sndbuf;
}

/* Linux's unix_poll and unix_dgram_poll. */
/*
 * Linux's unix_dgram_peer_wake_relay: a datagram socket connected to a
 * full receiver (one not connected back) is told of room by the
 * receiver's peer_wait, forwarded to its own waiters. The relay stays
 * until the socket drops that peer (spurious wakeups are harmless); it
 * forwards from a peer_wait to a socket's wq, never the other way, so
 * relays make no loops.
 */
static void relay_wake(struct poll_waiter *w, unsigned events)
{
	struct usock *u = container_of(w, struct usock, relay);

	poll_notify(u->relay_to, POLLOUT | POLLWRNORM | POLLWRBAND);
}

/* Under unix_mutex. */
static void relay_on(struct socket *s, struct usock *u, struct usock *to)
{
	if (u->relay_to)
		return;
	u->relay_to = &s->wq;
	u->relay.wake = relay_wake;
	waitq_add(&to->peer_wait, &u->relay);
}

/* Under unix_mutex, before u drops its peer (which holds the waitq). */
static void relay_off(struct usock *u)
{
	if (!u->relay_to)
		return;
	waitq_remove(&u->relay);
	u->relay_to = NULL;
}

static unsigned unix_poll(struct socket *s, struct file *f,
			  struct poll_table *pt)
{
	struct usock *u = s->priv;
	unsigned mask = 0;
	struct usock *to;

	poll_wait(f, &s->wq, pt);
	mutex_lock(&unix_mutex);
	if (u->err)
		mask |= POLLERR;
	if (u->shut == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shut & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->rq || u->acq)
		mask |= POLLIN | POLLRDNORM;
	if (s->type != SOCK_DGRAM && u->state == US_UNCONNECTED)
		mask |= POLLHUP;
	to = s->type == SOCK_DGRAM ? u->peer : NULL;
	if (to && (to->peer == u || to->rq_len <= UNIX_MAX_DGRAM_QLEN))
		to = NULL; /* not full */
	if (to)
		relay_on(s, u, to);
	if (writable(s, u) && !to)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	mutex_unlock(&unix_mutex);
	return mask;
}

static int put_opt(void *val, unsigned *len, const void *v, unsigned n)
{
	*len = MIN(*len, n);
	memcpy(val, v, *len);
	return 0;
}

static int unix_getsockopt(struct socket *s, int level, int name, void *val,
			   unsigned *len)
{
	struct usock *u = s->priv;
	struct ucred_k none = {0, 65534, 65534}; /* Linux's overflow ids */
	int v, r = -ENOPROTOOPT;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	mutex_lock(&unix_mutex);
	if (name == SO_PEERCRED) {
		r = put_opt(val, len, u->has_peercred ? &u->peercred : &none,
			    sizeof(none));
	} else if (name == SO_ERROR) {
		v = u->err;
		u->err = 0;
		r = put_opt(val, len, &v, sizeof(v));
	} else if (name == SO_ACCEPTCONN) {
		v = u->state == US_LISTEN;
		r = put_opt(val, len, &v, sizeof(v));
	}
	mutex_unlock(&unix_mutex);
	return r;
}

static int unix_setsockopt(struct socket *s, int level, int name,
			   const void *val, unsigned len)
{
	return level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
}

/* SIOCINQ: unread bytes (a stream) or the next datagram's size;
 * SIOCOUTQ: bytes sent and not yet read. */
static int unix_ioctl(struct socket *s, unsigned long cmd, void *arg)
{
	struct usock *u = s->priv;
	int r = 0;

	if (cmd != FIONREAD && cmd != TIOCOUTQ)
		return -ENOTTY;
	mutex_lock(&unix_mutex);
	if (cmd == TIOCOUTQ)
		*(int *)arg = (int)u->wmem;
	else if (u->state == US_LISTEN)
		r = -EINVAL;
	else if (s->type == SOCK_STREAM)
		*(int *)arg = (int)u->rq_bytes;
	else
		*(int *)arg = u->rq ? (int)u->rq->len : 0;
	mutex_unlock(&unix_mutex);
	return r;
}

/* ---- the family ---- */
static const struct sock_ops unix_stream_ops = {
    .bind = unix_bind,
    .connect = unix_stream_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .sendmsg = unix_stream_sendmsg,
    .recvmsg = unix_stream_recvmsg,
    .shutdown = unix_shutdown,
    .setsockopt = unix_setsockopt,
    .getsockopt = unix_getsockopt,
    .getname = unix_getname,
    .poll = unix_poll,
    .ioctl = unix_ioctl,
    .release = unix_release,
    .socketpair = unix_socketpair,
};

static const struct sock_ops unix_seqpacket_ops = {
    .bind = unix_bind,
    .connect = unix_stream_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .sendmsg = unix_dgram_sendmsg,
    .recvmsg = unix_dgram_recvmsg,
    .shutdown = unix_shutdown,
    .setsockopt = unix_setsockopt,
    .getsockopt = unix_getsockopt,
    .getname = unix_getname,
    .poll = unix_poll,
    .ioctl = unix_ioctl,
    .release = unix_release,
    .socketpair = unix_socketpair,
};

static const struct sock_ops unix_dgram_ops = {
    .bind = unix_bind,
    .connect = unix_dgram_connect,
    .sendmsg = unix_dgram_sendmsg,
    .recvmsg = unix_dgram_recvmsg,
    .shutdown = unix_shutdown,
    .setsockopt = unix_setsockopt,
    .getsockopt = unix_getsockopt,
    .getname = unix_getname,
    .poll = unix_poll,
    .ioctl = unix_ioctl,
    .release = unix_release,
    .socketpair = unix_socketpair,
};

static int unix_create(struct socket *s, int type, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (type == SOCK_STREAM)
		s->ops = &unix_stream_ops;
	else if (type == SOCK_DGRAM || type == SOCK_RAW)
		s->ops = &unix_dgram_ops; /* Linux: SOCK_RAW is a datagram */
	else if (type == SOCK_SEQPACKET)
		s->ops = &unix_seqpacket_ops;
	else
		return -ESOCKTNOSUPPORT;
	if (type == SOCK_RAW)
		s->type = SOCK_DGRAM;
	s->priv = usock_new(s->type);
	if (!s->priv)
		return -ENOMEM;
	((struct usock *)s->priv)->sock = s;
	return 0;
}

static int unix_init(void)
{
	return net_family_register(AF_UNIX, unix_create);
}
INIT_STEP(59, unix_init);
