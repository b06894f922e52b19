/*
 * Linux native AIO with raw system calls (as libaio makes them):
 * io_setup's ring as libaio's user-space io_getevents reads it, PREAD,
 * PWRITE, PREADV, PWRITEV, FSYNC, FDSYNC and POLL with their events,
 * IOCB_FLAG_RESFD on an eventfd, io_cancel of a pending poll, the
 * ring's limit (EAGAIN until events are reaped), and the error paths of
 * every call in Linux's order. Works in /tmp/abi-aio-<pid>/.
 */
#include "common.h"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* The ring's header at the context's address (Linux's struct aio_ring). */
struct aio_ring {
	unsigned id, nr, head, tail;
	unsigned magic, compat_features, incompat_features, header_length;
	struct io_event events[];
};

static char dir[64];
static char path_buf[128];

static const char *at(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static long setup(unsigned nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long submit(aio_context_t ctx, long n, struct iocb **cbs)
{
	return syscall(SYS_io_submit, ctx, n, cbs);
}

static long getevents(aio_context_t ctx, long min, long nr, struct io_event *ev,
		      struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, nr, ev, ts);
}

static long destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long cancel(aio_context_t ctx, struct iocb *cb, struct io_event *ev)
{
	return syscall(SYS_io_cancel, ctx, cb, ev);
}

static struct iocb rw_cb(int op, int fd, void *buf, size_t n, off_t off,
			 unsigned long data)
{
	struct iocb cb = {.aio_data = data,
			  .aio_lio_opcode = (unsigned short)op,
			  .aio_fildes = (unsigned)fd,
			  .aio_buf = (unsigned long)buf,
			  .aio_nbytes = n,
			  .aio_offset = off};
	return cb;
}

/* Submits one iocb and takes its event (within 2 s). */
static long one(aio_context_t ctx, struct iocb *cb, struct io_event *ev)
{
	struct timespec ts = {2, 0};
	long r = submit(ctx, 1, &cb);

	if (r != 1)
		return r < 0 ? -errno - 1000 : -2000;
	r = getevents(ctx, 1, 1, ev, &ts);
	return r == 1 ? 0 : -3000;
}

static void setup_errors_and_the_ring(void)
{
	aio_context_t ctx = 0, used = 1;
	struct aio_ring *ring;

	CHECK_ERRNO(setup(0, &ctx), EINVAL);
	CHECK_ERRNO(setup(4, &used), EINVAL);
	CHECK_ERRNO(setup(4, (aio_context_t *)8), EFAULT);
	CHECK_ERRNO(setup(65537, &ctx), EAGAIN);
	CHECK_ERRNO(setup(1u << 30, &ctx), EINVAL);
	CHECK_EQ_INT(ctx, 0);
	CHECK_EQ_INT(setup(16, &ctx), 0);
	CHECK(ctx != 0);
	ring = (struct aio_ring *)ctx;
	CHECK_EQ_INT(ring->magic, 0xa10a10a1);
	CHECK_EQ_INT(ring->header_length, sizeof(struct aio_ring));
	CHECK(ring->nr >= 16);
	CHECK_EQ_INT(ring->head, ring->tail);
	CHECK_EQ_INT(destroy(ctx), 0);
	CHECK_ERRNO(destroy(ctx), EINVAL);
	CHECK_ERRNO(destroy(0), EINVAL);
}

static void read_and_write(void)
{
	int fd = open(at("rw"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	char out[] = "asynchronous", in[32] = {0};
	aio_context_t ctx = 0;
	struct iocb cb;
	struct io_event ev;

	CHECK_EQ_INT(setup(8, &ctx), 0);
	cb = rw_cb(IOCB_CMD_PWRITE, fd, out, 12, 4, 77);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.data, 77);
	CHECK_EQ_INT(ev.obj, (unsigned long)&cb);
	CHECK_EQ_INT(ev.res, 12);
	CHECK_EQ_INT(cb.aio_key, 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0); /* no position moves */
	cb = rw_cb(IOCB_CMD_PREAD, fd, in, sizeof(in), 0, 78);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 16);
	CHECK_EQ_MEM(in, "\0\0\0\0asynchronous", 16);
	/* Past the end: 0 bytes. */
	cb = rw_cb(IOCB_CMD_PREAD, fd, in, sizeof(in), 100, 79);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 0);
	/* Vectors. */
	char a[3], b[5];
	struct iovec v[2] = {{a, 3}, {b, 5}};
	cb = rw_cb(IOCB_CMD_PREADV, fd, v, 2, 4, 80);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 8);
	CHECK_EQ_MEM(a, "asy", 3);
	CHECK_EQ_MEM(b, "nchro", 5);
	struct iovec w[2] = {{"AB", 2}, {"CDE", 3}};
	cb = rw_cb(IOCB_CMD_PWRITEV, fd, w, 2, 0, 81);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 5);
	CHECK_EQ_INT(pread(fd, in, 7, 0), 7);
	CHECK_EQ_MEM(in, "ABCDEsy", 7);
	/* Syncs complete with 0. */
	cb = rw_cb(IOCB_CMD_FSYNC, fd, NULL, 0, 0, 82);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 0);
	cb = rw_cb(IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 83);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, 0);
	/* An unmapped buffer fails the I/O, not the submission. */
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ_INT(munmap(gone, 4096), 0);
	cb = rw_cb(IOCB_CMD_PREAD, fd, gone, 4, 0, 84);
	CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	CHECK_EQ_INT(ev.res, -EFAULT);
	CHECK_EQ_INT(destroy(ctx), 0);
	close(fd);
}

static void several_in_one_call_and_the_ring_read_directly(void)
{
	int fd = open(at("many"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	char buf[4][8];
	struct iocb cbs[4], *ptrs[4];
	struct io_event ev[4];
	struct timespec ts = {2, 0};
	aio_context_t ctx = 0;
	struct aio_ring *ring;
	int got = 0;

	CHECK_EQ_INT(write(fd, "0123456789abcdef", 16), 16);
	CHECK_EQ_INT(setup(8, &ctx), 0);
	ring = (struct aio_ring *)ctx;
	for (int i = 0; i < 4; i++) {
		cbs[i] = rw_cb(IOCB_CMD_PREAD, fd, buf[i], 4, i * 4, i);
		ptrs[i] = &cbs[i];
	}
	CHECK_EQ_INT(submit(ctx, 4, ptrs), 4);
	/* As libaio's user_reap: consume one event from the ring itself. */
	while (ring->head == ring->tail && got++ < 1000)
		usleep(1000);
	CHECK(ring->head != ring->tail);
	struct io_event first = ring->events[ring->head % ring->nr];
	__atomic_store_n(&ring->head, (ring->head + 1) % ring->nr,
			 __ATOMIC_RELEASE);
	CHECK_EQ_INT(first.res, 4);
	CHECK_EQ_INT(getevents(ctx, 3, 4, ev, &ts), 3);
	unsigned long seen = 1ul << first.data;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(ev[i].res, 4);
		seen |= 1ul << ev[i].data;
	}
	CHECK_EQ_INT(seen, 0xf);
	CHECK_EQ_MEM(buf[2], "89ab", 4);
	/* Nothing left: a zero timeout returns at once. */
	ts.tv_sec = 0;
	CHECK_EQ_INT(getevents(ctx, 1, 4, ev, &ts), 0);
	CHECK_EQ_INT(getevents(ctx, 0, 4, ev, NULL), 0);
	CHECK_EQ_INT(destroy(ctx), 0);
	close(fd);
}

static void resfd_eventfd(void)
{
	int fd = open(at("efd"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	int efd = eventfd(0, EFD_NONBLOCK);
	aio_context_t ctx = 0;
	struct iocb cb;
	struct io_event ev;
	uint64_t n = 0;

	CHECK_EQ_INT(setup(8, &ctx), 0);
	for (int i = 0; i < 2; i++) {
		cb = rw_cb(IOCB_CMD_PWRITE, fd, "x", 1, i, i);
		cb.aio_flags = IOCB_FLAG_RESFD;
		cb.aio_resfd = (unsigned)efd;
		CHECK_EQ_INT(one(ctx, &cb, &ev), 0);
	}
	CHECK_EQ_INT(read(efd, &n, 8), 8);
	CHECK_EQ_INT(n, 2);
	/* Not an eventfd, not a descriptor. */
	cb.aio_resfd = (unsigned)fd;
	struct iocb *p = &cb;
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	cb.aio_resfd = 1000;
	CHECK_ERRNO(submit(ctx, 1, &p), EBADF);
	CHECK_EQ_INT(destroy(ctx), 0);
	close(efd);
	close(fd);
}

static void poll_and_cancel(void)
{
	struct timespec zero = {0, 0}, two = {2, 0};
	aio_context_t ctx = 0;
	struct iocb cb, cb2, *p = &cb, *p2 = &cb2;
	struct io_event ev;
	int pp[2];

	CHECK_EQ_INT(pipe(pp), 0);
	CHECK_EQ_INT(setup(8, &ctx), 0);
	cb = rw_cb(IOCB_CMD_POLL, pp[0], (void *)(long)POLLIN, 0, 0, 5);
	CHECK_EQ_INT(submit(ctx, 1, &p), 1);
	CHECK_EQ_INT(getevents(ctx, 1, 1, &ev, &zero), 0); /* not yet */
	CHECK_EQ_INT(write(pp[1], "!", 1), 1);
	CHECK_EQ_INT(getevents(ctx, 1, 1, &ev, &two), 1);
	CHECK_EQ_INT(ev.data, 5);
	CHECK(ev.res & POLLIN);
	/* A finished request cannot be cancelled. */
	CHECK_ERRNO(cancel(ctx, &cb, &ev), EINVAL);
	/* Ready at once: POLLOUT on the write end. */
	cb = rw_cb(IOCB_CMD_POLL, pp[1], (void *)(long)POLLOUT, 0, 0, 6);
	CHECK_EQ_INT(submit(ctx, 1, &p), 1);
	CHECK_EQ_INT(getevents(ctx, 1, 1, &ev, &two), 1);
	CHECK(ev.res & POLLOUT);
	/* A pending one cancelled: EINPROGRESS, then its event (res 0). */
	char c;
	CHECK_EQ_INT(read(pp[0], &c, 1), 1);
	cb2 = rw_cb(IOCB_CMD_POLL, pp[0], (void *)(long)POLLIN, 0, 0, 7);
	CHECK_EQ_INT(submit(ctx, 1, &p2), 1);
	CHECK_ERRNO(cancel(ctx, &cb2, &ev), EINPROGRESS);
	CHECK_EQ_INT(getevents(ctx, 1, 1, &ev, &two), 1);
	CHECK_EQ_INT(ev.data, 7);
	CHECK_EQ_INT(ev.res, 0);
	/* A bad key; a poll with an offset. */
	cb2.aio_key = 5;
	CHECK_ERRNO(cancel(ctx, &cb2, &ev), EINVAL);
	CHECK_ERRNO(cancel(ctx, (struct iocb *)8, &ev), EFAULT);
	cb2 = rw_cb(IOCB_CMD_POLL, pp[0], (void *)(long)POLLIN, 0, 1, 8);
	CHECK_ERRNO(submit(ctx, 1, &p2), EINVAL);
	/* io_destroy with a poll pending. */
	cb2 = rw_cb(IOCB_CMD_POLL, pp[0], (void *)(long)POLLIN, 0, 0, 9);
	CHECK_EQ_INT(submit(ctx, 1, &p2), 1);
	CHECK_EQ_INT(destroy(ctx), 0);
	close(pp[0]);
	close(pp[1]);
}

static void the_ring_fills(void)
{
	int fd = open(at("full"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	aio_context_t ctx = 0;
	struct iocb cb = rw_cb(IOCB_CMD_PWRITE, fd, "z", 1, 0, 1), *p = &cb;
	struct io_event ev;
	long n = 0, r;

	CHECK_EQ_INT(setup(1, &ctx), 0);
	while ((r = submit(ctx, 1, &p)) == 1 && n < 100000)
		n++;
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(errno, EAGAIN);
	CHECK(n >= 1 && n < 100000);
	/* Reaping one event makes room for one request. */
	CHECK_EQ_INT(getevents(ctx, 1, 1, &ev, NULL), 1);
	CHECK_EQ_INT(submit(ctx, 1, &p), 1);
	CHECK_EQ_INT(destroy(ctx), 0);
	close(fd);
}

static void submit_errors(void)
{
	int fd = open(at("err"), O_CREAT | O_TRUNC | O_RDWR, 0644);
	int ro = open(at("err"), O_RDONLY);
	aio_context_t ctx = 0;
	char buf[8];
	struct iocb good = rw_cb(IOCB_CMD_PREAD, fd, buf, 8, 0, 1), bad;
	struct iocb *p = &bad, *two[2] = {&good, &bad};
	struct io_event ev[2];
	struct timespec ts = {2, 0};
	struct {
		const sigset_t *mask;
		size_t size;
	} sig = {NULL, 3};
	sigset_t set;

	CHECK_EQ_INT(setup(8, &ctx), 0);
	CHECK_ERRNO(submit(ctx, -1, &p), EINVAL);
	CHECK_ERRNO(submit(12345, 1, &p), EINVAL);
	CHECK_ERRNO(submit(ctx, 1, (struct iocb **)8), EFAULT);
	struct iocb *nowhere = (struct iocb *)8;
	CHECK_ERRNO(submit(ctx, 1, &nowhere), EFAULT);
	bad = rw_cb(IOCB_CMD_PREAD, 1000, buf, 8, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EBADF);
	bad = rw_cb(99, fd, buf, 8, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	bad = rw_cb(IOCB_CMD_PREAD, fd, buf, 8, 0, 2);
	bad.aio_reserved2 = 1;
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	bad = rw_cb(IOCB_CMD_PREAD, fd, buf, 8, -1, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	bad = rw_cb(IOCB_CMD_PWRITE, ro, buf, 8, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EBADF);
	bad = rw_cb(IOCB_CMD_PREAD, fd, buf, 8, 0, 2);
	bad.aio_rw_flags = 0x10000000;
	CHECK_ERRNO(submit(ctx, 1, &p), EOPNOTSUPP);
	bad = rw_cb(IOCB_CMD_PREAD, fd, (void *)0xffff800000000000ul, 8, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EFAULT);
	bad = rw_cb(IOCB_CMD_PREADV, fd, (void *)8, 1, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EFAULT);
	bad = rw_cb(IOCB_CMD_PREADV, fd, buf, 2000, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	bad = rw_cb(IOCB_CMD_FSYNC, fd, NULL, 1, 0, 2);
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	/* The first goes, the second fails: 1. */
	bad = rw_cb(IOCB_CMD_PREAD, 1000, buf, 8, 0, 2);
	CHECK_EQ_INT(submit(ctx, 2, two), 1);
	CHECK_EQ_INT(getevents(ctx, 1, 2, ev, &ts), 1);
	CHECK_EQ_INT(submit(ctx, 0, two), 0);
	/* io_getevents and io_pgetevents. */
	CHECK_ERRNO(getevents(ctx, 2, 1, ev, &ts), EINVAL);
	CHECK_ERRNO(getevents(ctx, -1, 1, ev, &ts), EINVAL);
	CHECK_ERRNO(getevents(12345, 1, 1, ev, &ts), EINVAL);
	CHECK_ERRNO(getevents(ctx, 1, 1, ev, (struct timespec *)8), EFAULT);
	sigemptyset(&set);
	sig.mask = &set;
	CHECK_ERRNO(syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &ts, &sig),
		    EINVAL);
	sig.size = 8;
	CHECK_EQ_INT(syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &ts, &sig), 0);
	CHECK_ERRNO(syscall(SYS_io_pgetevents, ctx, 0, 1, ev, &ts, 8), EFAULT);
	CHECK_EQ_INT(destroy(ctx), 0);
	CHECK_ERRNO(submit(ctx, 1, &p), EINVAL);
	close(ro);
	close(fd);
}

int main(void)
{
	abi_init("aio");
	snprintf(dir, sizeof(dir), "/tmp/abi-aio-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	ABI_RUN(setup_errors_and_the_ring);
	ABI_RUN(read_and_write);
	ABI_RUN(several_in_one_call_and_the_ring_read_directly);
	ABI_RUN(resfd_eventfd);
	ABI_RUN(poll_and_cancel);
	ABI_RUN(the_ring_fills);
	ABI_RUN(submit_errors);
	abi_rmtree(dir);
	return abi_done();
}
