/*
 * The socket layer: a struct socket behind a file, the file operations
 * of every socket (read and write are recvmsg and sendmsg with a kernel
 * uio), the SOL_SOCKET options the layer keeps itself, and the help it
 * gives protocols (sleeping with SO_RCVTIMEO/SO_SNDTIMEO, control
 * messages). linux/sys_net.c turns system calls into the calls here and
 * the protocols' sock_ops; Linux's net/socket.c and net/core/sock.c are
 * the specification.
 *
 * Ownership: the file owns the socket (one reference: the file's); the
 * last file_put releases the protocol's part, then frees the socket.
 */
#include "net/net.h"

#include "kernel/sched/sched.h"
#include "fs/fs.h"
#include "linux/linux.h"

/* Linux's sysctl_rmem_max and wmem_max (net.core.*): SO_RCVBUF and
 * SO_SNDBUF are clamped to them, then doubled; SOCK_MIN_* are floors. */
#define SOCK_RMEM_MAX 212992
#define SOCK_WMEM_MAX 212992
#define SOCK_MIN_RCVBUF 2304
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MAX 11 /* SOCK_PACKET + 1 */

static const struct file_ops sock_file_ops;

struct socket_file {
	struct socket *s;
};

struct socket *sock_of_file(struct file *f)
{
	if (!f || f->ops != &sock_file_ops)
		return NULL;
	return ((struct socket_file *)f->priv)->s;
}

int sock_make_file(struct socket *s, int flags, struct file **out)
{
	struct socket_file *sf = malloc(sizeof(*sf));
	struct file *f;

	if (!sf)
		return -ENOMEM;
	sf->s = s;
	f = file_alloc(&sock_file_ops, sf, O_RDWR | (flags & O_NONBLOCK),
		       S_IFSOCK | 0777);
	if (!f) {
		free(sf);
		return -ENOMEM;
	}
	s->file = f;
	*out = f;
	return 0;
}

int sock_create(int family, int type, int protocol, int flags,
		struct file **out)
{
	sock_create_fn create;
	struct socket *s;
	int err;

	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_MAX)
		return -EINVAL;
	create = net_family(family);
	if (!create)
		return -EAFNOSUPPORT;
	s = sock_alloc(family, type, protocol);
	if (!s)
		return -ENOMEM;
	err = create(s, type, protocol);
	if (!err)
		err = sock_make_file(s, flags, out);
	if (err) {
		if (s->ops && s->ops->release)
			s->ops->release(s);
		free(s);
	}
	return err;
}

/* ---- sleeping ---- */
uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns ? clock_monotonic_ns() + timeo_ns : 0;
}

int sock_wait(struct waitq *wq, struct mutex *m, uint64_t deadline)
{
	int r = waitq_wait(wq, m, deadline);

	if (r == -ETIMEDOUT)
		return -EAGAIN;
	if (r == -ERESTARTSYS && deadline)
		return -EINTR;
	return r;
}

/* ---- control messages ---- */
void kmsg_put_cmsg(struct kmsg *m, size_t *used, int level, int type,
		   const void *data, size_t len)
{
	size_t room = m->controllen > *used ? m->controllen - *used : 0;
	struct cmsghdr_k h = {
	    .len = CMSG_HDR_K + len, .level = level, .type = type};
	uint8_t *at = (uint8_t *)m->control + *used;

	if (room < sizeof(h)) {
		m->flags_out |= MSG_CTRUNC;
		return;
	}
	if (room < h.len) {
		m->flags_out |= MSG_CTRUNC;
		h.len = room;
	}
	memcpy(at, &h, sizeof(h));
	memcpy(at + CMSG_HDR_K, data, h.len - CMSG_HDR_K);
	*used += MIN(CMSG_ALIGN_K(h.len), room);
}

const struct cmsghdr_k *kmsg_next_cmsg(const struct kmsg *m,
				       const struct cmsghdr_k *c, int *err)
{
	return cmsg_next(m->control, m->controllen, c, err);
}

/* ---- the file operations ---- */
static bool f_nonblock(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK;
}

static int64_t sock_rw(struct file *f, void *buf, size_t n, bool write)
{
	struct socket *s = sock_of_file(f);
	struct kiovec v = {.base = (uint64_t)buf, .len = n};
	struct kmsg m = {0};

	uio_init(&m.data, &v, 1, false);
	if (!write && !n)
		return 0; /* Linux: a read of nothing reads nothing */
	if (!write)
		return sock_recvmsg(s, &m, 0, f_nonblock(f));
	return sock_sendmsg(s, &m, 0, f_nonblock(f));
}

static int64_t sock_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return sock_rw(f, buf, n, false);
}

static int64_t sock_write(struct file *f, const void *buf, size_t n,
			  int64_t *pos)
{
	return sock_rw(f, (void *)buf, n, true);
}

static unsigned sock_poll(struct file *f, struct poll_table *pt)
{
	struct socket *s = sock_of_file(f);

	if (!s->ops->poll)
		return POLL_DEFAULT;
	return s->ops->poll(s, f, pt);
}

/* FIONBIO is vfs_ioctl's; FIONREAD/SIOCINQ and SIOCOUTQ the protocol's;
 * the interface ioctls any socket's. */
static int sock_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	struct socket *s = sock_of_file(f);
	int r = -ENOTTY;

	if (s->ops->ioctl)
		r = s->ops->ioctl(s, cmd, arg);
	if (r == -ENOTTY)
		r = net_if_ioctl(s->family, cmd, arg);
	return r;
}

static int sock_stat(struct file *f, struct kstat *st)
{
	struct socket_file *sf = f->priv;

	memset(st, 0, sizeof(*st));
	st->dev = 8; /* Linux's sockfs: 0:8 */
	st->ino = sf->s->ino;
	st->nlink = 1;
	st->mode = S_IFSOCK | 0777;
	st->blksize = 4096;
	return 0;
}

static void sock_release(struct file *f)
{
	struct socket_file *sf = f->priv;
	struct socket *s = sf->s;

	epoll_file_release(f);
	if (s->ops && s->ops->release)
		s->ops->release(s);
	free(s);
	free(sf);
}

static const struct file_ops sock_file_ops = {
    .read = sock_read,
    .write = sock_write,
    .ioctl = sock_ioctl,
    .stat = sock_stat,
    .release = sock_release,
    .poll = sock_poll,
};

/* ---- SOL_SOCKET options the layer keeps ---- */
/* struct timeval (x86-64) <-> ns; Linux: EDOM for tv_usec out of range,
 * a negative time is no timeout. */
struct timeval_k {
	int64_t sec, usec;
};
#define EDOM 33

static int timeo_set(uint64_t *out, const void *val, unsigned len)
{
	struct timeval_k tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.usec < 0 || tv.usec >= 1000000)
		return -EDOM;
	if (tv.sec < 0) {
		*out = 0;
		return 0;
	}
	if (tv.sec > (int64_t)(UINT64_MAX / 1000000000ull) - 1)
		*out = 0; /* beyond forever: none, as MAX_SCHEDULE_TIMEOUT */
	else
		*out =
		    (uint64_t)tv.sec * 1000000000ull + (uint64_t)tv.usec * 1000;
	return 0;
}

/* Linux's sock_setsockopt for SO_RCVBUF/SO_SNDBUF: clamp (the value as
 * unsigned: a negative one is the maximum), then double. */
static int buf_size(int v, int max, int min)
{
	int64_t n = MIN((uint32_t)v, (uint32_t)max) * 2ll;

	return (int)(n < min ? min : n);
}

static int int_opt(const void *val, unsigned len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

struct linger_k {
	int onoff, linger;
};

static int bind_device(struct socket *s, const void *val, unsigned len)
{
	char name[16] = {0};
	struct netdev *d;

	memcpy(name, val, MIN(len, sizeof(name) - 1));
	if (!name[0]) {
		s->bound_if = 0;
		return 0;
	}
	d = netdev_by_name(name);
	if (!d)
		return -ENODEV;
	s->bound_if = d->ifindex;
	return 0;
}

/* The options struct socket keeps; 1 when `name` is not one of them. */
static int sol_set(struct socket *s, int name, const void *val, unsigned len)
{
	int v = 0, r;

	if (name == SO_RCVTIMEO)
		return timeo_set(&s->rcvtimeo, val, len);
	if (name == SO_SNDTIMEO)
		return timeo_set(&s->sndtimeo, val, len);
	if (name == SO_BINDTODEVICE)
		return bind_device(s, val, len);
	if (name == SO_LINGER) {
		struct linger_k l;

		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		s->linger_on = !!l.onoff;
		s->linger_s = l.linger;
		return 0;
	}
	r = int_opt(val, len, &v);
	if (r)
		return r;
	switch (name) {
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		s->rcvbuf = buf_size(
		    v, name == SO_RCVBUF ? SOCK_RMEM_MAX : INT32_MAX / 2,
		    SOCK_MIN_RCVBUF);
		return 0;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		s->sndbuf = buf_size(
		    v, name == SO_SNDBUF ? SOCK_WMEM_MAX : INT32_MAX / 2,
		    SOCK_MIN_SNDBUF);
		return 0;
	case SO_REUSEADDR:
		s->reuseaddr = !!v;
		return 0;
	case SO_REUSEPORT:
		s->reuseport = !!v;
		return 0;
	case SO_BROADCAST:
		s->broadcast = !!v;
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = !!v;
		return 0;
	case SO_PASSCRED:
		s->passcred = !!v;
		return 0;
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
	case SO_RCVLOWAT:
		return 0; /* accepted, no effect here */
	}
	return 1;
}

/* Names for the report of an unknown option. */
static const char *const level_names[] = {
    [SOL_SOCKET] = "SOL_SOCKET",
    [IPPROTO_TCP] = "IPPROTO_TCP",
    [IPPROTO_UDP] = "IPPROTO_UDP",
    [41] = "IPPROTO_IPV6",
};
static const char *const sol_names[] = {
    [12] = "SO_PRIORITY",     [26] = "SO_ATTACH_FILTER",
    [29] = "SO_TIMESTAMP",    [31] = "SO_PEERSEC",
    [34] = "SO_PASSSEC",      [35] = "SO_TIMESTAMPNS",
    [36] = "SO_MARK",	      [37] = "SO_TIMESTAMPING",
    [40] = "SO_RXQ_OVFL",     [41] = "SO_WIFI_STATUS",
    [42] = "SO_PEEK_OFF",     [43] = "SO_NOFCS",
    [44] = "SO_LOCK_FILTER",  [45] = "SO_SELECT_ERR_QUEUE",
    [46] = "SO_BUSY_POLL",    [47] = "SO_MAX_PACING_RATE",
    [49] = "SO_INCOMING_CPU", [50] = "SO_ATTACH_BPF",
    [57] = "SO_COOKIE",	      [59] = "SO_PEERGROUPS",
    [60] = "SO_ZEROCOPY",     [61] = "SO_TXTIME",
};

static void missing_opt(const char *call, int level, int name)
{
	const char *ln = level >= 0 && level < (int)ARRAY_SIZE(level_names)
			     ? level_names[level]
			     : NULL;
	const char *on = level == SOL_SOCKET && name >= 0 &&
				 name < (int)ARRAY_SIZE(sol_names)
			     ? sol_names[name]
			     : NULL;
	char what[80];

	if (!ln && level == IPPROTO_IP)
		ln = "IPPROTO_IP";
	if (ln && on)
		snprintf(what, sizeof(what), "%s %s %s", call, ln, on);
	else if (ln)
		snprintf(what, sizeof(what), "%s %s option %d", call, ln, name);
	else
		snprintf(what, sizeof(what), "%s level %d option %d", call,
			 level, name);
	linux_missing(what);
}

int sock_setsockopt(struct socket *s, int level, int name, const void *val,
		    unsigned len)
{
	int r = level == SOL_SOCKET ? sol_set(s, name, val, len) : 1;
	int p = -ENOPROTOOPT;

	if (r < 0)
		return r;
	if (s->ops->setsockopt)
		p = s->ops->setsockopt(s, level, name, val, len);
	if (r == 0) /* the layer's: the protocol may act on it */
		return p == -ENOPROTOOPT ? 0 : p;
	if (p == -ENOPROTOOPT)
		missing_opt("setsockopt", level, name);
	return p;
}

static int put_int(void *val, unsigned *len, int v)
{
	*len = MIN(*len, sizeof(int));
	memcpy(val, &v, *len);
	return 0;
}

static int put_timeo(void *val, unsigned *len, uint64_t ns)
{
	struct timeval_k tv = {(int64_t)(ns / 1000000000ull),
			       (int64_t)(ns % 1000000000ull / 1000)};

	*len = MIN(*len, sizeof(tv));
	memcpy(val, &tv, *len);
	return 0;
}

/* The SOL_SOCKET options the layer answers; 1 for the protocol's. */
static int sol_get(struct socket *s, int name, void *val, unsigned *len)
{
	switch (name) {
	case SO_TYPE:
		return put_int(val, len, s->type);
	case SO_DOMAIN:
		return put_int(val, len, s->family);
	case SO_PROTOCOL:
		return put_int(val, len, s->protocol);
	case SO_RCVBUF:
		return put_int(val, len, s->rcvbuf);
	case SO_SNDBUF:
		return put_int(val, len, s->sndbuf);
	case SO_REUSEADDR:
		return put_int(val, len, s->reuseaddr);
	case SO_REUSEPORT:
		return put_int(val, len, s->reuseport);
	case SO_BROADCAST:
		return put_int(val, len, s->broadcast);
	case SO_KEEPALIVE:
		return put_int(val, len, s->keepalive);
	case SO_PASSCRED:
		return put_int(val, len, s->passcred);
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
		return put_int(val, len, 0);
	case SO_RCVLOWAT:
	case SO_SNDLOWAT:
		return put_int(val, len, 1);
	case SO_RCVTIMEO:
		return put_timeo(val, len, s->rcvtimeo);
	case SO_SNDTIMEO:
		return put_timeo(val, len, s->sndtimeo);
	case SO_LINGER: {
		struct linger_k l = {s->linger_on, s->linger_s};

		*len = MIN(*len, sizeof(l));
		memcpy(val, &l, *len);
		return 0;
	}
	case SO_BINDTODEVICE: {
		struct netdev *d = netdev_by_index(s->bound_if);

		if (!d) {
			*len = 0;
			return 0;
		}
		if (*len < strlen(d->name) + 1)
			return -EINVAL;
		*len = (unsigned)strlen(d->name) + 1;
		memcpy(val, d->name, *len);
		return 0;
	}
	}
	return 1;
}

int sock_getsockopt(struct socket *s, int level, int name, void *val,
		    unsigned *len)
{
	int r = level == SOL_SOCKET ? sol_get(s, name, val, len) : 1;

	if (r <= 0)
		return r;
	r = -ENOPROTOOPT;
	if (s->ops->getsockopt)
		r = s->ops->getsockopt(s, level, name, val, len);
	/* protocols without errors or listening answer 0 */
	if (r == -ENOPROTOOPT && level == SOL_SOCKET &&
	    (name == SO_ERROR || name == SO_ACCEPTCONN))
		return put_int(val, len, 0);
	/* without a peer: pid 0 and Linux's overflow ids */
	if (r == -ENOPROTOOPT && level == SOL_SOCKET && name == SO_PEERCRED) {
		struct ucred_k none = {0, 65534, 65534};

		*len = MIN(*len, sizeof(none));
		memcpy(val, &none, *len);
		return 0;
	}
	if (r == -ENOPROTOOPT)
		missing_opt("getsockopt", level, name);
	return r;
}

/* ---- sending and receiving ---- */
int64_t sock_sendmsg(struct socket *s, struct kmsg *m, int flags, bool nonblock)
{
	int64_t r;

	if (!s->ops->sendmsg)
		return -EOPNOTSUPP;
	r = s->ops->sendmsg(s, m, flags, nonblock || (flags & MSG_DONTWAIT));
	if (r == -EPIPE && s->type == SOCK_STREAM && !(flags & MSG_NOSIGNAL))
		linux_raise_sigpipe();
	return r;
}

int64_t sock_sendfile(struct socket *s, struct file *in, uint64_t off,
		      size_t n, bool nonblock)
{
	int64_t size = vfs_file_size(in), r;

	if (!s->ops->sendfile || size < 0)
		return -EOPNOTSUPP;
	if (off >= (uint64_t)size || !n)
		return 0;
	n = (size_t)MIN((uint64_t)n, (uint64_t)size - off);
	r = s->ops->sendfile(s, in, off, n, nonblock);
	if (r == -EPIPE && s->type == SOCK_STREAM)
		linux_raise_sigpipe();
	return r;
}

int64_t sock_recvmsg(struct socket *s, struct kmsg *m, int flags, bool nonblock)
{
	if (!s->ops->recvmsg)
		return -EOPNOTSUPP;
	return s->ops->recvmsg(s, m, flags, nonblock || (flags & MSG_DONTWAIT));
}
