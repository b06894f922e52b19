/*
 * splice, tee and vmsplice (man 2 splice, tee, vmsplice) for pipes and
 * files, with Linux's checks. Data moves through a kernel buffer: from a
 * file into a pipe only what fits in the pipe is read (from a seekable
 * file, at its offset, so nothing is lost when the pipe fills); from a
 * pipe into a file what is in the pipe. Only the first step may wait
 * (for data or room); SPLICE_F_NONBLOCK never waits, nor does an
 * O_NONBLOCK pipe for splice and tee (vmsplice looks only at the flag, as
 * Linux). A socket (or another end that cannot seek, a terminal) at
 * either end moves under the pipe's lock (pipe_splice_fill and _drain):
 * a socket gives only what the pipe takes now, and only what the socket
 * took leaves the pipe, so nothing is lost when either side is full.
 */
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "linux/sys.h"
#include "net/net.h"

#define SPLICE_F_MOVE 1
#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_MORE 4
#define SPLICE_F_GIFT 8
#define SPLICE_F_ALL 15
#define STEP 4096 /* bytes per step through the kernel */
#define MAX_RW_COUNT 0x7ffff000l
#define UIO_MAXIOV 1024

static bool can_read(struct file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool can_write(struct file *f)
{
	int acc = f->flags & O_ACCMODE;

	return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* splice and tee (not vmsplice) treat an O_NONBLOCK pipe as
 * SPLICE_F_NONBLOCK, as Linux's do_splice and do_tee. */
static bool nonblocking(struct file *f)
{
	return vfs_getfl(f) & O_NONBLOCK;
}

/* An offset argument: NULL (*has false), or a value >= 0. */
static long offset_get(long uptr, int64_t *off, bool *has)
{
	*has = uptr != 0;
	if (!uptr)
		return 0;
	if (copy_from_user(off, uptr, sizeof(*off)))
		return -EFAULT;
	return *off < 0 ? -EINVAL : 0;
}

/* A stream end (socket, terminal) as pipe_splice_fill/_drain see it. */
struct stream {
	struct file *f;
	struct socket *s; /* NULL: read or write the file */
	int msg_flags;	  /* sends: MSG_MORE */
	bool nonblock;	  /* the socket's own wait (recv) */
};

static int64_t stream_recv(void *arg, void *buf, size_t n)
{
	struct stream *st = arg;
	struct kiovec v = {.base = (uint64_t)buf, .len = n};
	struct kmsg m = {0};

	if (!st->s)
		return vfs_read(st->f, buf, n);
	uio_init(&m.data, &v, 1, false);
	return sock_recvmsg(st->s, &m, 0, st->nonblock);
}

static int64_t stream_send(void *arg, void *buf, size_t n)
{
	struct stream *st = arg;
	struct kiovec v = {.base = (uint64_t)buf, .len = n};
	struct kmsg m = {0};

	if (!st->s)
		return vfs_write(st->f, buf, n);
	uio_init(&m.data, &v, 1, false);
	return sock_sendmsg(st->s, &m, st->msg_flags, nonblocking(st->f));
}

/* A socket or other stream into a pipe: only what the pipe takes is
 * read. The first step may wait (for room, then data), no later one. */
static long stream_to_pipe(struct file *in, struct file *out, size_t len,
			   bool nonblock)
{
	struct stream st = {.f = in, .s = sock_of_file(in)};
	char *buf = malloc(STEP);
	size_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t k = MIN((size_t)STEP, len - done);

		st.nonblock = nonblock || done || nonblocking(in);
		r = pipe_splice_fill(out, buf, k, nonblock || done, stream_recv,
				     &st);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	free(buf);
	return done ? (long)done : r;
}

/* A pipe into a socket or other stream: only what was sent leaves the
 * pipe. The socket waits as its O_NONBLOCK says (Linux's
 * splice_to_socket); SPLICE_F_MORE is MSG_MORE. */
static long pipe_to_stream(struct file *in, struct file *out, size_t len,
			   bool nonblock, bool more)
{
	struct stream st = {
	    .f = out, .s = sock_of_file(out), .msg_flags = more ? MSG_MORE : 0};
	char *buf = malloc(STEP);
	size_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t k = MIN((size_t)STEP, len - done);

		r = pipe_splice_drain(in, buf, k, nonblock || done, stream_send,
				      &st);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < k && st.s && nonblocking(out))
			break; /* the socket is full */
	}
	free(buf);
	return done ? (long)done : r;
}

/* Whether f has a position (a regular file, a block device). */
static bool seekable(struct file *f)
{
	return vfs_lseek(f, 0, SEEK_CUR) >= 0;
}

/* A file into a pipe: at *off, or at the file's position (off NULL). */
static long file_to_pipe(struct file *in, int64_t *off, struct file *out,
			 size_t len, bool nonblock)
{
	int64_t pos = off ? *off : vfs_lseek(in, 0, SEEK_CUR);
	bool seekable = pos >= 0;
	char *buf = malloc(STEP);
	size_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	if (off && !seekable)
		r = -ESPIPE;
	while (!r && done < len) {
		size_t k = MIN((size_t)STEP, len - done);

		r = seekable ? vfs_pread(in, buf, k, pos)
			     : vfs_read(in, buf, k);
		if (r <= 0)
			break;
		r = pipe_splice_write(out, buf, (size_t)r, nonblock || done);
		if (r <= 0)
			break;
		done += (size_t)r;
		pos += r;
		r = (size_t)r < k ? 1 : 0; /* the pipe is full, or the end */
	}
	free(buf);
	if (done && seekable && off)
		*off = pos;
	else if (done && seekable)
		vfs_lseek(in, pos, SEEK_SET);
	return done ? (long)done : r;
}

/* A pipe into a file: at *off, or at the file's position (off NULL). */
static long pipe_to_file(struct file *in, struct file *out, int64_t *off,
			 size_t len, bool nonblock)
{
	char *buf = malloc(STEP);
	size_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t k = MIN((size_t)STEP, len - done);

		r = pipe_splice_read(in, buf, k, nonblock || done);
		if (r <= 0)
			break;
		long w = off ? vfs_pwrite(out, buf, (size_t)r, *off + done)
			     : vfs_write(out, buf, (size_t)r);
		if (w < 0) {
			r = w;
			break;
		}
		done += (size_t)w;
		if ((size_t)w < k)
			break;
	}
	free(buf);
	if (off)
		*off += done;
	return done ? (long)done : r;
}

struct splice_args {
	struct file *in, *out;
	long uoff_in, uoff_out;
	size_t len;
	bool nonblock, more;
};

/* One of the ends is a pipe: the move and its offsets. */
static long do_splice(struct splice_args *a)
{
	bool ipipe = file_is_pipe(a->in), opipe = file_is_pipe(a->out), has;
	int64_t off = 0;
	long r;

	if (ipipe && opipe) {
		if (a->uoff_in || a->uoff_out)
			return -ESPIPE;
		if (a->in->priv == a->out->priv)
			return -EINVAL;
		return pipe_splice_pipes(a->in, a->out, a->len,
					 a->nonblock || nonblocking(a->in) ||
					     nonblocking(a->out),
					 false);
	}
	a->nonblock = a->nonblock || nonblocking(ipipe ? a->in : a->out);
	if (ipipe) {
		if (a->uoff_in)
			return -ESPIPE;
		if (vfs_getfl(a->out) & O_APPEND)
			return -EINVAL;
		if (!seekable(a->out)) /* no pwrite: Linux's FMODE_PWRITE */
			return a->uoff_out
				   ? -EINVAL
				   : pipe_to_stream(a->in, a->out, a->len,
						    a->nonblock, a->more);
		r = offset_get(a->uoff_out, &off, &has);
		if (!r)
			r = pipe_to_file(a->in, a->out, has ? &off : NULL,
					 a->len, a->nonblock);
		if (r > 0 && has &&
		    copy_to_user(a->uoff_out, &off, sizeof(off)))
			r = -EFAULT;
		return r;
	}
	if (a->uoff_out)
		return -ESPIPE;
	if (!seekable(a->in)) /* no pread: Linux's FMODE_PREAD */
		return a->uoff_in
			   ? -EINVAL
			   : stream_to_pipe(a->in, a->out, a->len, a->nonblock);
	r = offset_get(a->uoff_in, &off, &has);
	if (!r)
		r = file_to_pipe(a->in, has ? &off : NULL, a->out, a->len,
				 a->nonblock);
	if (r > 0 && has && copy_to_user(a->uoff_in, &off, sizeof(off)))
		r = -EFAULT;
	return r;
}

/* Linux's order: a zero length first, then the flags, then the files. */
long sys_splice(long fd_in, long uoff_in, long fd_out, long uoff_out, long len,
		long flags)
{
	struct splice_args a = {.uoff_in = uoff_in,
				.uoff_out = uoff_out,
				.len = MIN((size_t)len, (size_t)MAX_RW_COUNT),
				.nonblock = flags & SPLICE_F_NONBLOCK,
				.more = flags & SPLICE_F_MORE};
	long r;

	if (!len)
		return 0;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	a.in = fd_get((int)fd_in);
	a.out = fd_get((int)fd_out);
	if (!a.in || !a.out || !can_read(a.in) || !can_write(a.out))
		r = -EBADF;
	else if (!file_is_pipe(a.in) && !file_is_pipe(a.out))
		r = -EINVAL;
	else
		r = do_splice(&a);
	if (a.in)
		file_put(a.in);
	if (a.out)
		file_put(a.out);
	return r;
}

long sys_tee(long fd_in, long fd_out, long len, long flags, long e, long g)
{
	struct file *in, *out;
	long r;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (!len)
		return 0;
	in = fd_get((int)fd_in);
	out = fd_get((int)fd_out);
	if (!in || !out || !can_read(in) || !can_write(out))
		r = -EBADF;
	else if (!file_is_pipe(in) || !file_is_pipe(out) ||
		 in->priv == out->priv)
		r = -EINVAL;
	else
		r = pipe_splice_pipes(in, out,
				      MIN((size_t)len, (size_t)MAX_RW_COUNT),
				      (flags & SPLICE_F_NONBLOCK) ||
					  nonblocking(in) || nonblocking(out),
				      true);
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return r;
}

/* ---- vmsplice: the application's memory into or out of a pipe ---- */
struct iovec_user {
	uint64_t base, len;
};

/* One segment; the bytes moved, stopping short when the pipe does. */
static long vm_segment(struct file *f, struct iovec_user v, char *buf,
		       bool to_pipe, bool nonblock)
{
	size_t done = 0;
	long r = 0;

	while (done < v.len) {
		size_t k = MIN((size_t)STEP, v.len - done);

		if (to_pipe && copy_from_user(buf, v.base + done, k))
			return done ? (long)done : -EFAULT;
		r = to_pipe ? pipe_splice_write(f, buf, k, nonblock || done)
			    : pipe_splice_read(f, buf, k, nonblock || done);
		if (r <= 0)
			break;
		if (!to_pipe && copy_to_user(v.base + done, buf, (size_t)r))
			return done ? (long)done : -EFAULT;
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	return done ? (long)done : r;
}

static long vm_move(struct file *f, long uiov, long n, bool nonblock)
{
	bool to_pipe = can_write(f);
	char *buf = malloc(STEP);
	struct iovec_user v;
	size_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	for (long i = 0; i < n; i++) {
		if (copy_from_user(&v, uiov + i * sizeof(v), sizeof(v))) {
			r = -EFAULT;
			break;
		}
		if (!v.len)
			continue;
		r = vm_segment(f, v, buf, to_pipe, nonblock || done);
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < v.len)
			break;
	}
	free(buf);
	return done ? (long)done : r;
}

long sys_vmsplice(long fd, long uiov, long n, long flags, long e, long g)
{
	struct file *f;
	long r;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (n < 0 || n > UIO_MAXIOV)
		return -EINVAL;
	f = fd_get((int)fd);
	if (!f)
		return -EBADF;
	r = file_is_pipe(f) ? vm_move(f, uiov, n, flags & SPLICE_F_NONBLOCK)
			    : -EBADF;
	file_put(f);
	return r;
}
