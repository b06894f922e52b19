/*
 * Pipes: pipe and pipe2 flags, a 1 MiB transfer between threads checked
 * by checksum, nonblocking reads and writes (EAGAIN, the exact capacity),
 * EOF, EPIPE and SIGPIPE, FIONREAD, ESPIPE for seeks and positioned I/O,
 * F_GETPIPE_SZ/F_SETPIPE_SZ, and a named FIFO in /tmp (removed at the end).
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define TRANSFER (1 << 20)

/* The byte at offset i of the transfer: not periodic in any chunk size. */
static unsigned char pattern(uint32_t i)
{
	i ^= i >> 7;
	i *= 0x9e3779b1u;
	return (unsigned char)(i >> 24);
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

struct writer_args {
	int fd;
	long written;
	uint64_t sum;
};

/* Writes the transfer in chunks of changing size, some above PIPE_BUF. */
static void *writer(void *arg)
{
	struct writer_args *w = arg;
	static unsigned char buf[9000];
	uint32_t off = 0, n, i;
	ssize_t r;

	w->sum = 0xcbf29ce484222325ull;
	while (off < TRANSFER) {
		n = 1 + (off * 7 + 333) % sizeof(buf);
		if (n > TRANSFER - off)
			n = TRANSFER - off;
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		r = write(w->fd, buf, n);
		if (r <= 0)
			break;
		/* A blocking pipe write completes in full. */
		if ((uint32_t)r != n)
			break;
		w->sum = fnv1a(w->sum, buf, n);
		off += n;
	}
	w->written = off;
	close(w->fd);
	return NULL;
}

static void megabyte_across_threads(void)
{
	static unsigned char buf[5000];
	struct writer_args w;
	pthread_t t;
	uint64_t sum = 0xcbf29ce484222325ull;
	long total = 0, mismatches = 0;
	ssize_t r;
	int p[2];

	if (!CHECK_EQ_INT(pipe(p), 0))
		return;
	w.fd = p[1];
	CHECK_EQ_INT(pthread_create(&t, NULL, writer, &w), 0);
	while ((r = read(p[0], buf, 1 + total % sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < r; i++)
			mismatches += buf[i] != pattern((uint32_t)(total + i));
		sum = fnv1a(sum, buf, r);
		total += r;
	}
	CHECK_EQ_INT(r, 0); /* EOF once the writer closed */
	pthread_join(t, NULL);
	CHECK_EQ_INT(w.written, TRANSFER);
	CHECK_EQ_INT(total, TRANSFER);
	CHECK_EQ_INT(mismatches, 0);
	CHECK(sum == w.sum);
	CHECK_EQ_INT(read(p[0], buf, 1), 0); /* and again */
	close(p[0]);
}

static void pipe_and_pipe2_flags(void)
{
	struct stat st;
	char buf[4];
	int p[2];

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ_INT(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_EQ_INT(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ_INT(fstat(p[0], &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_ERRNO(write(p[0], "x", 1), EBADF);
	CHECK_ERRNO(read(p[1], buf, 1), EBADF);
	CHECK_EQ_INT(write(p[1], "", 0), 0);
	CHECK_EQ_INT(read(p[0], buf, 0), 0);
	close(p[0]);
	close(p[1]);

	CHECK_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ_INT(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ_INT(fcntl(p[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	CHECK_ERRNO(pipe2(p, O_APPEND), EINVAL);
	CHECK_ERRNO(syscall(SYS_pipe2, (void *)1, 0), EFAULT);
}

static void nonblocking_empty_and_full(void)
{
	static char buf[1024];
	long total = 0, size;
	ssize_t r;
	int p[2];

	CHECK_EQ_INT(pipe2(p, O_NONBLOCK), 0);
	CHECK_ERRNO(read(p[0], buf, sizeof(buf)), EAGAIN);
	size = fcntl(p[1], F_GETPIPE_SZ);
	CHECK(size >= 4096);
	/* Small writes share pages: the pipe holds exactly its size. */
	while ((r = write(p[1], buf, sizeof(buf))) > 0)
		total += r;
	CHECK_EQ_INT(r, -1);
	CHECK_EQ_INT(errno, EAGAIN);
	CHECK_EQ_INT(total, size);
	CHECK_ERRNO(write(p[1], buf, 1), EAGAIN);
	/* Room for one byte is not room for an atomic PIPE_BUF write. */
	CHECK_EQ_INT(read(p[0], buf, 1), 1);
	CHECK_ERRNO(write(p[1], buf, 2), EAGAIN);
	/* A page's worth of room is. */
	for (total = 1; total < 4096; total += r)
		if ((r = read(p[0], buf,
			      4096 - total > 1024 ? 1024 : 4096 - total)) <= 0)
			break;
	CHECK_EQ_INT(total, 4096);
	CHECK_EQ_INT(write(p[1], buf, 2), 2);
	close(p[0]);
	close(p[1]);
}

static volatile int sigpipe_count;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipe_count++;
}

static void write_without_reader_is_epipe(void)
{
	struct sigaction sa, old;
	int p[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old);
	CHECK_EQ_INT(pipe(p), 0);
	close(p[0]);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	/* With a handler the signal arrives as well. */
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	sigpipe_count = 0;
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	CHECK_EQ_INT(sigpipe_count, 1);
	{
		struct iovec iov = {"y", 1};

		CHECK_ERRNO(writev(p[1], &iov, 1), EPIPE);
		CHECK_EQ_INT(sigpipe_count, 2);
	}
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
}

static void fionread_eof_and_espipe(void)
{
	char buf[256];
	int p[2], n = -1;

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(ioctl(p[0], FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 0);
	memset(buf, 'r', sizeof(buf));
	CHECK_EQ_INT(write(p[1], buf, 123), 123);
	CHECK_EQ_INT(ioctl(p[0], FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 123);
	CHECK_EQ_INT(read(p[0], buf, 23), 23);
	CHECK_EQ_INT(ioctl(p[0], FIONREAD, &n), 0);
	CHECK_EQ_INT(n, 100);

	CHECK_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERRNO(lseek(p[1], 0, SEEK_CUR), ESPIPE);
	CHECK_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
	CHECK_ERRNO(pwrite(p[1], buf, 1, 0), ESPIPE);
	CHECK_ERRNO(ioctl(p[0], 0x5401 /* TCGETS */, buf), ENOTTY);

	/* Data first, then EOF. */
	close(p[1]);
	CHECK_EQ_INT(read(p[0], buf, sizeof(buf)), 100);
	CHECK_EQ_INT(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void pipe_size_can_change(void)
{
	int p[2], sz;

	CHECK_EQ_INT(pipe(p), 0);
	sz = fcntl(p[0], F_GETPIPE_SZ);
	CHECK(sz >= 4096);
	CHECK_EQ_INT(fcntl(p[1], F_GETPIPE_SZ), sz);
	/* Rounded up to a power of two pages. */
	CHECK_EQ_INT(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096), 4 * 4096);
	CHECK_EQ_INT(fcntl(p[0], F_GETPIPE_SZ), 4 * 4096);
	CHECK_EQ_INT(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
	/* Over 2^31 cannot be rounded (a smaller huge size could be EPERM
	 * without CAP_SYS_RESOURCE, or ENOMEM). */
	CHECK_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 0x80000001L), EINVAL);
	close(p[0]);
	close(p[1]);
	CHECK_ERRNO(fcntl(-1, F_GETPIPE_SZ), EBADF);
}

static void named_fifo_in_tmp(void)
{
	char path[64], buf[8];
	struct stat st;
	int r, w;

	snprintf(path, sizeof(path), "/tmp/abi-pipes-%d", (int)getpid());
	unlink(path);
	if (!CHECK_EQ_INT(mkfifo(path, 0600), 0))
		return;
	CHECK_EQ_INT(lstat(path, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	/* No reader yet: a nonblocking writer is refused with ENXIO. */
	CHECK_ERRNO(open(path, O_WRONLY | O_NONBLOCK), ENXIO);
	r = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	w = open(path, O_WRONLY);
	CHECK(w >= 0);
	CHECK_EQ_INT(write(w, "fifo", 4), 4);
	CHECK_EQ_INT(read(r, buf, sizeof(buf)), 4);
	CHECK_EQ_MEM(buf, "fifo", 4);
	CHECK_ERRNO(read(r, buf, sizeof(buf)), EAGAIN);
	close(w);
	CHECK_EQ_INT(read(r, buf, sizeof(buf)), 0);
	close(r);
	CHECK_ERRNO(mkfifo(path, 0600), EEXIST);
	CHECK_EQ_INT(unlink(path), 0);
}

int main(void)
{
	abi_init("pipes");
	ABI_RUN(pipe_and_pipe2_flags);
	ABI_RUN(megabyte_across_threads);
	ABI_RUN(nonblocking_empty_and_full);
	ABI_RUN(write_without_reader_is_epipe);
	ABI_RUN(fionread_eof_and_espipe);
	ABI_RUN(pipe_size_can_change);
	ABI_RUN(named_fifo_in_tmp);
	return abi_done();
}
