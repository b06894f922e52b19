/*
 * The socket system calls (Linux: man 2 socket, bind, connect, listen,
 * accept, send, recv, sendmmsg, recvmmsg, shutdown, getsockopt,
 * socketpair, getsockname): application pointers are checked and copied
 * here (addresses, msghdr, control messages, options) and the data
 * travels as a struct uio over application memory; net/socket.c and the
 * protocols' sock_ops do the rest. Linux's net/socket.c is the
 * specification of the order of the checks and of the errnos.
 */
#include "fs/poll.h"
#include "kernel/sched/sched.h"
#include "linux/process.h"
#include "linux/sys.h"
#include "net/net.h"

#define UIO_MAXIOV 1024
#define SOMAXCONN 4096	  /* Linux's net.core.somaxconn */
#define OPT_MAX 512	  /* option bytes copied in or out */
#define CONTROL_MAX 20480 /* Linux's net.core.optmem_max */
#define MAX_RW_COUNT 0x7ffff000l

void sock_self_cred(struct ucred_k *c)
{
	c->pid = current_process()->pid;
	c->uid = 0;
	c->gid = 0;
}

/* The socket behind fd, with the file's reference in *f: -EBADF for a
 * closed descriptor, -ENOTSOCK for another file. */
static struct socket *sock_get(long fd, struct file **f, long *err)
{
	struct socket *s;

	*f = fd_get((int)fd);
	if (!*f) {
		*err = -EBADF;
		return NULL;
	}
	s = sock_of_file(*f);
	if (!s) {
		file_put(*f);
		*err = -ENOTSOCK;
	}
	return s;
}

static bool f_nonblock(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_NONBLOCK;
}

/* ---- addresses ---- */
/* Linux's move_addr_to_kernel. */
static long addr_in(long uaddr, long len, struct sockaddr_k *a)
{
	if (len < 0 || (unsigned long)len > sizeof(*a))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (len && copy_from_user(a, uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

/* Linux's move_addr_to_user: up to *ulen bytes of the address, and its
 * whole length into *ulen. */
static long addr_out(const struct sockaddr_k *a, unsigned klen, long uaddr,
		     long ulen)
{
	int len;

	if (copy_from_user(&len, ulen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if ((unsigned)len > klen)
		len = (int)klen;
	if (len && copy_to_user(uaddr, a, (size_t)len))
		return -EFAULT;
	return copy_to_user(ulen, &klen, sizeof(int)) ? -EFAULT : 0;
}

/* ---- creating ---- */
static long install(struct file *f, int flags)
{
	long fd = fd_install(f, 0, flags & SOCK_CLOEXEC);

	if (fd < 0)
		file_put(f);
	return fd;
}

static long check_type(long family, long type)
{
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	return 0;
}

long sys_socket(long family, long type, long protocol, long d, long e, long f)
{
	struct file *file;
	long r = check_type(family, type);

	if (r)
		return r;
	r = sock_create((int)family, (int)type & SOCK_TYPE_MASK, (int)protocol,
			(int)type & SOCK_NONBLOCK, &file);
	return r ? r : install(file, (int)type);
}

static long pair_make(long family, long type, long protocol, struct file **a,
		      struct file **b)
{
	int t = (int)type & SOCK_TYPE_MASK, nb = (int)type & SOCK_NONBLOCK;
	struct socket *sa, *sb;
	long r;

	r = sock_create((int)family, t, (int)protocol, nb, a);
	if (r)
		return r;
	r = sock_create((int)family, t, (int)protocol, nb, b);
	if (r) {
		file_put(*a);
		return r;
	}
	sa = sock_of_file(*a);
	sb = sock_of_file(*b);
	r = sa->ops->socketpair ? sa->ops->socketpair(sa, sb) : -EOPNOTSUPP;
	if (r) {
		file_put(*a);
		file_put(*b);
	}
	return r;
}

long sys_socketpair(long family, long type, long protocol, long usv, long e,
		    long f)
{
	struct file *a, *b;
	int fds[2];
	long r = check_type(family, type);

	if (r)
		return r;
	r = pair_make(family, type, protocol, &a, &b);
	if (r)
		return r;
	fds[0] = fd_install(a, 0, type & SOCK_CLOEXEC);
	if (fds[0] < 0) {
		file_put(a);
		file_put(b);
		return fds[0];
	}
	fds[1] = fd_install(b, 0, type & SOCK_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		file_put(b);
		return fds[1];
	}
	if (copy_to_user(usv, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* ---- naming and connecting ---- */
long sys_bind(long fd, long uaddr, long len, long d, long e, long f)
{
	struct sockaddr_k a;
	struct file *file;
	struct socket *s = sock_get(fd, &file, &d);

	if (!s)
		return d;
	d = addr_in(uaddr, len, &a);
	if (!d)
		d = s->ops->bind ? s->ops->bind(s, &a, (unsigned)len)
				 : -EOPNOTSUPP;
	file_put(file);
	return d;
}

long sys_connect(long fd, long uaddr, long len, long d, long e, long f)
{
	struct sockaddr_k a;
	struct file *file = fd_get((int)fd);
	struct socket *s;

	if (!file)
		return -EBADF;
	d = addr_in(uaddr, len, &a); /* Linux: before the ENOTSOCK check */
	s = sock_of_file(file);
	if (!d && !s)
		d = -ENOTSOCK;
	if (!d)
		d = s->ops->connect ? s->ops->connect(s, &a, (unsigned)len,
						      f_nonblock(file))
				    : -EOPNOTSUPP;
	file_put(file);
	return d;
}

long sys_listen(long fd, long backlog, long c, long d, long e, long f)
{
	struct file *file;
	struct socket *s = sock_get(fd, &file, &d);

	if (!s)
		return d;
	if ((unsigned)backlog > SOMAXCONN)
		backlog = SOMAXCONN;
	d = s->ops->listen ? s->ops->listen(s, (int)backlog) : -EOPNOTSUPP;
	file_put(file);
	return d;
}

/* The accepted socket's file, installed, with its peer's address. */
static long accept_finish(struct socket *ns, long uaddr, long ulen, int flags)
{
	struct sockaddr_k a;
	unsigned len = sizeof(a);
	struct file *nf;
	long r;

	r = sock_make_file(ns, flags & SOCK_NONBLOCK, &nf);
	if (r) {
		if (ns->ops->release)
			ns->ops->release(ns);
		free(ns);
		return r;
	}
	if (uaddr) {
		r = ns->ops->getname ? ns->ops->getname(ns, &a, &len, true)
				     : -EOPNOTSUPP;
		if (r)
			r = -ECONNABORTED;
		else
			r = addr_out(&a, len, uaddr, ulen);
		if (r) {
			file_put(nf);
			return r;
		}
	}
	return install(nf, flags);
}

long sys_accept4(long fd, long uaddr, long ulen, long flags, long e, long f)
{
	struct socket *ns = NULL;
	struct file *file;
	struct socket *s;

	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	s = sock_get(fd, &file, &e);
	if (!s)
		return e;
	e = s->ops->accept ? s->ops->accept(s, &ns, f_nonblock(file))
			   : -EOPNOTSUPP;
	if (!e)
		e = accept_finish(ns, uaddr, ulen, (int)flags);
	file_put(file);
	return e;
}

long sys_accept(long fd, long uaddr, long ulen, long d, long e, long f)
{
	return sys_accept4(fd, uaddr, ulen, 0, 0, 0);
}

static long getname(long fd, long uaddr, long ulen, bool peer)
{
	struct sockaddr_k a;
	unsigned len = sizeof(a);
	struct file *file;
	long r;
	struct socket *s = sock_get(fd, &file, &r);

	if (!s)
		return r;
	memset(&a, 0, sizeof(a));
	r = s->ops->getname ? s->ops->getname(s, &a, &len, peer) : -EOPNOTSUPP;
	if (!r)
		r = addr_out(&a, len, uaddr, ulen);
	file_put(file);
	return r;
}

long sys_getsockname(long fd, long uaddr, long ulen, long d, long e, long f)
{
	return getname(fd, uaddr, ulen, false);
}

long sys_getpeername(long fd, long uaddr, long ulen, long d, long e, long f)
{
	return getname(fd, uaddr, ulen, true);
}

long sys_shutdown(long fd, long how, long c, long d, long e, long f)
{
	struct file *file;
	struct socket *s = sock_get(fd, &file, &d);

	if (!s)
		return d;
	if (how < SHUT_RD || how > SHUT_RDWR)
		d = -EINVAL;
	else
		d = s->ops->shutdown ? s->ops->shutdown(s, (int)how)
				     : -EOPNOTSUPP;
	file_put(file);
	return d;
}

/* ---- options ---- */
long sys_setsockopt(long fd, long level, long name, long uval, long len, long f)
{
	uint8_t buf[OPT_MAX];
	struct file *file;
	struct socket *s;

	if (len < 0)
		return -EINVAL;
	s = sock_get(fd, &file, &f);
	if (!s)
		return f;
	if (copy_from_user(buf, uval, MIN((size_t)len, sizeof(buf))))
		f = -EFAULT;
	else
		f = sock_setsockopt(s, (int)level, (int)name, buf,
				    (unsigned)MIN((size_t)len, sizeof(buf)));
	file_put(file);
	return f;
}

long sys_getsockopt(long fd, long level, long name, long uval, long ulen,
		    long f)
{
	uint8_t buf[OPT_MAX] = {0};
	struct file *file;
	struct socket *s = sock_get(fd, &file, &f);
	unsigned len;
	int ulen_v;

	if (!s)
		return f;
	f = copy_from_user(&ulen_v, ulen, sizeof(ulen_v)) ? -EFAULT : 0;
	if (!f && ulen_v < 0)
		f = -EINVAL;
	if (!f) {
		len = (unsigned)MIN((size_t)ulen_v, sizeof(buf));
		f = sock_getsockopt(s, (int)level, (int)name, buf, &len);
	}
	if (!f && (copy_to_user(uval, buf, len) ||
		   copy_to_user(ulen, &len, sizeof(int))))
		f = -EFAULT;
	file_put(file);
	return f;
}

/* ---- sending and receiving ---- */
struct msghdr_user {
	uint64_t name;
	int32_t namelen, pad;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad2;
};
_Static_assert(sizeof(struct msghdr_user) == 56, "struct msghdr");

struct mmsghdr_user {
	struct msghdr_user hdr;
	uint32_t len, pad;
};

/* One call's kernel side: the iovec copy, address and control buffer. */
struct msgbuf {
	struct kiovec small[8];
	struct kiovec *iov;
	struct sockaddr_k addr;
	struct kmsg m;
};

static void msgbuf_free(struct msgbuf *b)
{
	if (b->iov != b->small)
		free(b->iov);
	free(b->m.control);
}

/* Linux's import_iovec: UIO_MAXIOV entries, each checked; the total
 * capped at MAX_RW_COUNT. */
static long iov_in(struct msgbuf *b, uint64_t uiov, uint64_t n)
{
	uint64_t total = 0;

	b->iov = b->small;
	if (n > UIO_MAXIOV)
		return -EMSGSIZE;
	if (n > 8 && !(b->iov = malloc(n * sizeof(*b->iov))))
		return -ENOMEM;
	if (n && copy_from_user(b->iov, uiov, n * sizeof(*b->iov)))
		return -EFAULT;
	for (uint64_t i = 0; i < n; i++) {
		if ((int64_t)b->iov[i].len < 0)
			return -EINVAL;
		if (!user_range_ok(b->iov[i].base, b->iov[i].len))
			return -EFAULT;
		b->iov[i].len = MIN(b->iov[i].len, MAX_RW_COUNT - total);
		total += b->iov[i].len;
	}
	uio_init(&b->m.data, b->iov, (unsigned)n, true);
	return 0;
}

static long control_in(struct msgbuf *b, const struct msghdr_user *h, bool send)
{
	size_t n = h->controllen;

	if (!h->control || !n)
		return 0;
	if (send && n > CONTROL_MAX)
		return -ENOBUFS;
	if (n > CONTROL_MAX)
		n = CONTROL_MAX;
	b->m.control = calloc(1, n);
	if (!b->m.control)
		return -ENOMEM;
	b->m.controllen = n;
	if (send && copy_from_user(b->m.control, h->control, n))
		return -EFAULT;
	return 0;
}

/* Linux's copy_msghdr_from_user with the iovec and, to send, the
 * address and control messages. */
static long msg_in(struct msgbuf *b, const struct msghdr_user *h, bool send)
{
	long r;

	memset(b, 0, sizeof(*b));
	b->iov = b->small;
	if (h->namelen < 0)
		return -EINVAL;
	if (send && h->name) {
		r = addr_in((long)h->name, h->namelen, &b->addr);
		if (r)
			return r;
		b->m.name = &b->addr;
		b->m.namelen = (unsigned)h->namelen;
	} else if (!send && h->name) {
		b->m.name = &b->addr;
		b->m.namelen = MIN((unsigned)h->namelen, sizeof(b->addr));
	}
	r = iov_in(b, h->iov, h->iovlen);
	return r ? r : control_in(b, h, send);
}

static long do_sendmsg(struct socket *s, struct file *file,
		       const struct msghdr_user *h, int flags)
{
	struct msgbuf b;
	long r = msg_in(&b, h, true);

	if (!r)
		r = sock_sendmsg(s, &b.m, flags, f_nonblock(file));
	msgbuf_free(&b);
	return r;
}

/* The results of a receive into the application's msghdr at uh. */
static long msg_out(struct msgbuf *b, const struct msghdr_user *h, long uh)
{
	int32_t flags = b->m.flags_out;

	if (h->name && (copy_to_user(h->name, &b->addr,
				     MIN(b->m.namelen, (unsigned)h->namelen)) ||
			copy_to_user(uh + offsetof(struct msghdr_user, namelen),
				     &b->m.namelen, sizeof(int32_t))))
		return -EFAULT;
	if (b->m.control && b->m.controllen &&
	    copy_to_user(h->control, b->m.control, b->m.controllen))
		return -EFAULT;
	if (!b->m.control)
		b->m.controllen = 0;
	if (copy_to_user(uh + offsetof(struct msghdr_user, controllen),
			 &b->m.controllen, sizeof(uint64_t)))
		return -EFAULT;
	return copy_to_user(uh + offsetof(struct msghdr_user, flags), &flags,
			    sizeof(flags))
		   ? -EFAULT
		   : 0;
}

static long do_recvmsg(struct socket *s, struct file *file, long uh, int flags)
{
	struct msghdr_user h;
	struct msgbuf b;
	long r, w;

	if (copy_from_user(&h, uh, sizeof(h)))
		return -EFAULT;
	r = msg_in(&b, &h, false);
	if (!r)
		r = sock_recvmsg(s, &b.m, flags, f_nonblock(file));
	if (r >= 0 && (w = msg_out(&b, &h, uh)))
		r = w;
	msgbuf_free(&b);
	return r;
}

long sys_sendmsg(long fd, long uh, long flags, long d, long e, long f)
{
	struct msghdr_user h;
	struct file *file;
	struct socket *s = sock_get(fd, &file, &d);

	if (!s)
		return d;
	if (copy_from_user(&h, uh, sizeof(h)))
		d = -EFAULT;
	else
		d = do_sendmsg(s, file, &h, (int)flags & ~MSG_CMSG_CLOEXEC);
	file_put(file);
	return d;
}

long sys_recvmsg(long fd, long uh, long flags, long d, long e, long f)
{
	struct file *file;
	struct socket *s = sock_get(fd, &file, &d);

	if (!s)
		return d;
	d = do_recvmsg(s, file, uh, (int)flags);
	file_put(file);
	return d;
}

long sys_sendto(long fd, long buf, long len, long flags, long uaddr, long alen)
{
	struct kiovec iov;
	struct file *file;
	struct socket *s;
	struct msgbuf b;
	long r;

	if (len < 0)
		len = MAX_RW_COUNT; /* Linux treats the count as size_t */
	if (!user_range_ok(buf, (size_t)len))
		return -EFAULT;
	s = sock_get(fd, &file, &r);
	if (!s)
		return r;
	memset(&b, 0, sizeof(b));
	iov = (struct kiovec){(uint64_t)buf, MIN((uint64_t)len, MAX_RW_COUNT)};
	uio_init(&b.m.data, &iov, 1, true);
	b.iov = b.small;
	r = 0;
	if (uaddr) {
		r = addr_in(uaddr, alen, &b.addr);
		b.m.name = &b.addr;
		b.m.namelen = (unsigned)alen;
	}
	if (!r)
		r = sock_sendmsg(s, &b.m, (int)flags, f_nonblock(file));
	file_put(file);
	return r;
}

long sys_recvfrom(long fd, long buf, long len, long flags, long uaddr,
		  long ulen)
{
	struct kiovec iov;
	struct file *file;
	struct socket *s;
	struct msgbuf b;
	long r;

	if (len < 0)
		len = MAX_RW_COUNT;
	if (!user_range_ok(buf, (size_t)len))
		return -EFAULT;
	s = sock_get(fd, &file, &r);
	if (!s)
		return r;
	memset(&b, 0, sizeof(b));
	iov = (struct kiovec){(uint64_t)buf, MIN((uint64_t)len, MAX_RW_COUNT)};
	uio_init(&b.m.data, &iov, 1, true);
	if (uaddr) {
		b.m.name = &b.addr;
		b.m.namelen = sizeof(b.addr);
	}
	r = sock_recvmsg(s, &b.m, (int)flags, f_nonblock(file));
	if (r >= 0 && uaddr) {
		long w = addr_out(&b.addr, b.m.namelen, uaddr, ulen);

		if (w)
			r = w;
	}
	file_put(file);
	return r;
}

/* ---- read, write, readv and writev (linux/sys_fs.c hands them over) ---- */
bool sock_file(struct file *f)
{
	return sock_of_file(f) != NULL;
}

static long sock_uio_rw(struct file *f, struct kmsg *m, bool write)
{
	struct socket *s = sock_of_file(f);

	if (!write && !m->data.resid)
		return 0; /* Linux's sock_read_iter: nothing to read */
	if (write)
		return sock_sendmsg(s, m, 0, f_nonblock(f));
	return sock_recvmsg(s, m, 0, f_nonblock(f));
}

long sock_file_sendfile(struct file *out, struct file *in, int64_t pos,
			size_t n)
{
	struct socket *s = sock_of_file(out);

	if (!s)
		return -EOPNOTSUPP;
	return sock_sendfile(s, in, (uint64_t)pos, MIN((uint64_t)n, MAX_RW_COUNT),
			     f_nonblock(out));
}

/* The range was checked by the caller. */
long sock_file_rw(struct file *f, long buf, size_t n, bool write)
{
	struct kiovec v = {(uint64_t)buf, MIN((uint64_t)n, MAX_RW_COUNT)};
	struct kmsg m = {0};

	uio_init(&m.data, &v, 1, true);
	return sock_uio_rw(f, &m, write);
}

long sock_fd_rwv(long fd, long uiov, long iovcnt, bool write)
{
	struct file *f = fd_get((int)fd);
	struct msgbuf b;
	long r;

	if (!f)
		return -EBADF;
	if (!sock_of_file(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	memset(&b, 0, sizeof(b));
	r = iov_in(&b, (uint64_t)uiov, (uint64_t)iovcnt);
	if (!r)
		r = sock_uio_rw(f, &b.m, write);
	msgbuf_free(&b);
	file_put(f);
	return r;
}

/* ---- many messages ---- */
long sys_sendmmsg(long fd, long uvec, long vlen, long flags, long e, long f)
{
	struct mmsghdr_user mh;
	struct file *file;
	struct socket *s = sock_get(fd, &file, &e);
	long n = 0, r = 0;

	if (!s)
		return e;
	if ((unsigned long)vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (; n < vlen; n++) {
		long at = uvec + n * (long)sizeof(mh);

		if (copy_from_user(&mh, at, sizeof(mh))) {
			r = -EFAULT;
			break;
		}
		r = do_sendmsg(s, file, &mh.hdr,
			       (int)flags & ~MSG_CMSG_CLOEXEC);
		if (r < 0)
			break;
		mh.len = (uint32_t)r;
		if (copy_to_user(at + offsetof(struct mmsghdr_user, len),
				 &mh.len, sizeof(mh.len))) {
			r = -EFAULT;
			break;
		}
	}
	file_put(file);
	return n ? n : r;
}

/* recvmmsg's timeout as a monotonic deadline (0: none). */
static long mmsg_deadline(long uts, uint64_t *deadline)
{
	uint64_t ns;

	*deadline = 0;
	if (!uts)
		return 0;
	int err = timespec_from_user((uint64_t)uts, &ns);
	if (err)
		return err;
	*deadline = clock_monotonic_ns() + ns;
	return 0;
}

static long recv_many(struct socket *s, struct file *file, long uvec, long vlen,
		      int flags, uint64_t deadline)
{
	long n = 0, r = 0;

	for (; n < vlen; n++) {
		long at = uvec + n * (long)sizeof(struct mmsghdr_user);
		uint32_t len;

		r = do_recvmsg(s, file, at, flags);
		if (r < 0)
			break;
		len = (uint32_t)r;
		if (copy_to_user(at + offsetof(struct mmsghdr_user, len), &len,
				 sizeof(len))) {
			r = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (deadline && clock_monotonic_ns() >= deadline) {
			n++;
			break;
		}
	}
	return n ? n : r;
}

long sys_recvmmsg(long fd, long uvec, long vlen, long flags, long uts, long f)
{
	struct file *file;
	struct socket *s;
	uint64_t deadline;
	long r = mmsg_deadline(uts, &deadline);

	if (r)
		return r;
	s = sock_get(fd, &file, &r);
	if (!s)
		return r;
	if ((unsigned long)vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	r = recv_many(s, file, uvec, vlen, (int)flags, deadline);
	file_put(file);
	return r;
}
