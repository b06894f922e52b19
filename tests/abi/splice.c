/*
 * splice, tee and vmsplice (man 2 splice, tee, vmsplice) between pipes
 * and files, and sendfile from a file into a pipe and from a pipe into a
 * file: offsets given or the file position, a full pipe taking only what
 * fits (nothing lost), SPLICE_F_NONBLOCK, the end of the data, a blocking
 * splice woken by another thread, sockets (AF_UNIX and TCP over
 * 127.0.0.1) at either end with nothing lost when the other side is full,
 * and the error paths.
 * Works in /tmp/abi-splice-<pid>/, removed at the end.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

static char dir[64];
static char path_buf[128];

static const char *at(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

/* A file holding "0123456789", open O_RDWR. */
static int digits(const char *name)
{
	int fd = open(at(name), O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (write(fd, "0123456789", 10) != 10)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void drain_to(int rd, char *buf, size_t n)
{
	memset(buf, 0, n);
	if (read(rd, buf, n - 1) < 0)
		buf[0] = 0;
}

static void file_into_pipe(void)
{
	int fd = digits("a"), p[2];
	loff_t off = 2;
	char buf[32];

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(splice(fd, &off, p[1], NULL, 5, 0), 5);
	CHECK_EQ_INT(off, 7);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0); /* the position stays */
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "23456");
	/* Without an offset: from the position, which moves. */
	lseek(fd, 8, SEEK_SET);
	CHECK_EQ_INT(splice(fd, NULL, p[1], NULL, 100, 0), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 10);
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "89");
	/* At the end of the file: 0. */
	CHECK_EQ_INT(splice(fd, NULL, p[1], NULL, 100, 0), 0);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void a_full_pipe_takes_what_fits(void)
{
	static char big[100000];
	int fd = open(at("big"), O_CREAT | O_TRUNC | O_RDWR, 0644), p[2];
	int size;

	memset(big, 'z', sizeof(big));
	CHECK_EQ_INT(write(fd, big, sizeof(big)), sizeof(big));
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ_INT(pipe(p), 0);
	size = fcntl(p[1], F_GETPIPE_SZ);
	CHECK_EQ_INT(
	    splice(fd, NULL, p[1], NULL, sizeof(big), SPLICE_F_NONBLOCK), size);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), size); /* nothing lost */
	CHECK_ERRNO(
	    splice(fd, NULL, p[1], NULL, sizeof(big), SPLICE_F_NONBLOCK),
	    EAGAIN);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), size);
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink(at("big"));
}

static void pipe_into_file(void)
{
	int fd = open(at("b"), O_CREAT | O_TRUNC | O_RDWR, 0644), p[2];
	loff_t off = 4;
	char buf[32] = {0};

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(write(p[1], "hello", 5), 5);
	CHECK_EQ_INT(splice(p[0], NULL, fd, &off, 3, 0), 3);
	CHECK_EQ_INT(off, 7);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), 0), 7);
	CHECK_EQ_MEM(buf, "\0\0\0\0hel", 7);
	/* Without an offset: at the position; only what the pipe holds. */
	CHECK_EQ_INT(splice(p[0], NULL, fd, NULL, 100, 0), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 2);
	/* Empty: EAGAIN when asked not to wait; 0 once no writer is left. */
	CHECK_ERRNO(splice(p[0], NULL, fd, NULL, 100, SPLICE_F_NONBLOCK),
		    EAGAIN);
	close(p[1]);
	CHECK_EQ_INT(splice(p[0], NULL, fd, NULL, 100, 0), 0);
	close(p[0]);
	/* An O_APPEND output is refused. */
	int app = open(at("b"), O_WRONLY | O_APPEND);
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_ERRNO(splice(p[0], NULL, app, NULL, 1, 0), EINVAL);
	close(app);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void *write_later(void *arg)
{
	usleep(20000);
	if (write((int)(long)arg, "late", 4) != 4)
		return (void *)1;
	return NULL;
}

static void a_blocking_splice_waits(void)
{
	int fd = open(at("c"), O_CREAT | O_TRUNC | O_RDWR, 0644), p[2];
	pthread_t th;

	CHECK_EQ_INT(pipe(p), 0);
	pthread_create(&th, NULL, write_later, (void *)(long)p[1]);
	CHECK_EQ_INT(splice(p[0], NULL, fd, NULL, 100, 0), 4);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void between_pipes_and_tee(void)
{
	int a[2], b[2], c[2];
	char buf[32];

	CHECK_EQ_INT(pipe(a) | pipe(b) | pipe(c), 0);
	CHECK_EQ_INT(write(a[1], "abcdef", 6), 6);
	/* tee copies: a keeps its data. */
	CHECK_EQ_INT(tee(a[0], c[1], 4, 0), 4);
	CHECK_EQ_INT(splice(a[0], NULL, b[1], NULL, 100, 0), 6);
	drain_to(b[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "abcdef");
	drain_to(c[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "abcd");
	CHECK_ERRNO(tee(a[0], c[1], 4, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERRNO(splice(a[0], NULL, b[1], NULL, 4, SPLICE_F_NONBLOCK),
		    EAGAIN);
	close(a[1]);
	CHECK_EQ_INT(splice(a[0], NULL, b[1], NULL, 4, 0), 0);
	CHECK_EQ_INT(tee(a[0], c[1], 4, 0), 0);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
		close(c[i]);
	}
}

static void vmsplice_both_ways(void)
{
	char one[] = "vm", two[] = "splice", out1[4] = {0}, out2[8] = {0};
	struct iovec in[2] = {{one, 2}, {two, 6}};
	struct iovec out[2] = {{out1, 3}, {out2, 7}};
	int p[2];

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(vmsplice(p[1], in, 2, 0), 8);
	CHECK_EQ_INT(vmsplice(p[0], out, 2, 0), 8);
	CHECK_EQ_STR(out1, "vms");
	CHECK_EQ_STR(out2, "plice");
	CHECK_ERRNO(vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_EQ_INT(vmsplice(p[1], in, 0, 0), 0);
	close(p[0]);
	close(p[1]);
}

static void sendfile_with_pipes(void)
{
	int fd = digits("s"), p[2];
	off_t off = 3;
	char buf[32];

	CHECK_EQ_INT(pipe(p), 0);
	/* A file into a pipe, at an offset: the position stays. */
	CHECK_EQ_INT(sendfile(p[1], fd, &off, 4), 4);
	CHECK_EQ_INT(off, 7);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0);
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "3456");
	/* ... and from the position, which moves. */
	CHECK_EQ_INT(sendfile(p[1], fd, NULL, 3), 3);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 3);
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "012");
	/* Not from a pipe (it has no splice_read): EINVAL, data kept. */
	int out = open(at("t"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK_EQ_INT(write(p[1], "pipe", 4), 4);
	CHECK_ERRNO(sendfile(out, p[0], NULL, 4), EINVAL);
	CHECK_EQ_INT(lseek(out, 0, SEEK_CUR), 0);
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "pipe");
	/* With an offset, a pipe cannot seek. */
	off = 0;
	CHECK_EQ_INT(write(p[1], "x", 1), 1);
	CHECK_ERRNO(sendfile(out, p[0], &off, 1), ESPIPE);
	/* An O_APPEND output, an unreadable input. */
	int app = open(at("t"), O_WRONLY | O_APPEND);
	CHECK_ERRNO(sendfile(app, fd, NULL, 1), EINVAL);
	CHECK_ERRNO(sendfile(p[1], out, NULL, 1), EBADF);
	CHECK_ERRNO(sendfile(p[1], 1000, NULL, 1), EBADF);
	close(app);
	close(out);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void unix_socket_and_pipe(void)
{
	int s[2], p[2];
	char buf[128];

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	CHECK_EQ_INT(pipe(p), 0);
	/* A socket into a pipe: what is queued, up to len. */
	CHECK_EQ_INT(write(s[1], "sockdata", 8), 8);
	CHECK_EQ_INT(splice(s[0], NULL, p[1], NULL, 100, 0), 8);
	drain_to(p[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "sockdata");
	/* Nothing queued and asked not to wait. */
	CHECK_ERRNO(splice(s[0], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK),
		    EAGAIN);
	/* A pipe into a socket, SPLICE_F_MORE and SPLICE_F_MOVE accepted. */
	CHECK_EQ_INT(write(p[1], "to-sock", 7), 7);
	CHECK_EQ_INT(
	    splice(p[0], NULL, s[1], NULL, 100, SPLICE_F_MORE | SPLICE_F_MOVE),
	    7);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(read(s[0], buf, sizeof(buf)), 7);
	CHECK_EQ_STR(buf, "to-sock");
	/* A socket cannot take an offset (no pread/pwrite). */
	loff_t off = 0;
	CHECK_EQ_INT(write(s[1], "x", 1), 1);
	CHECK_ERRNO(splice(s[0], &off, p[1], NULL, 1, 0), EINVAL);
	CHECK_EQ_INT(write(p[1], "y", 1), 1);
	CHECK_ERRNO(splice(p[0], NULL, s[1], &off, 1, 0), EINVAL);
	/* Socket to socket: no pipe. */
	CHECK_ERRNO(splice(s[0], NULL, s[1], NULL, 1, 0), EINVAL);
	/* The peer gone: EPIPE (SIGPIPE ignored), the byte stays. */
	signal(SIGPIPE, SIG_IGN);
	close(s[0]);
	CHECK_ERRNO(splice(p[0], NULL, s[1], NULL, 1, 0), EPIPE);
	CHECK_EQ_INT(read(p[0], buf, 1), 1);
	CHECK_EQ_INT(buf[0], 'y');
	signal(SIGPIPE, SIG_DFL);
	close(s[1]);
	close(p[0]);
	close(p[1]);
}

static void a_socket_into_a_nearly_full_pipe(void)
{
	static char fill[65536], buf[10000];
	int s[2], p[2], size;
	long r, left = 0, k;

	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	CHECK_EQ_INT(pipe(p), 0);
	size = fcntl(p[1], F_GETPIPE_SZ);
	CHECK(size > 4096 && size <= (int)sizeof(fill));
	/* One page of room left (Linux counts pages, Osprey bytes). */
	CHECK_EQ_INT(write(p[1], fill, size - 4096), size - 4096);
	memset(buf, 'q', sizeof(buf));
	CHECK_EQ_INT(write(s[1], buf, sizeof(buf)), sizeof(buf));
	/* Only what fits is taken from the socket; the rest stays there. */
	r = splice(s[0], NULL, p[1], NULL, sizeof(buf), SPLICE_F_NONBLOCK);
	CHECK(r > 0 && r <= 4096);
	CHECK_ERRNO(splice(s[0], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK),
		    EAGAIN);
	while ((k = recv(s[0], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		left += k;
	CHECK_EQ_INT(left + r, sizeof(buf));
	for (int i = 0; i < 4; i++)
		close(i < 2 ? s[i] : p[i - 2]);
}

/* A connected pair over 127.0.0.1: *a the client end, *b the accepted. */
static int tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&sa, &len))
		return -1;
	*a = socket(AF_INET, SOCK_STREAM, 0);
	if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	*b = accept(l, NULL, NULL);
	close(l);
	return *b < 0 ? -1 : 0;
}

static void tcp_through_pipes(void)
{
	static char out[20000], in[20000];
	int a = -1, b = -1, p[2], q[2];
	size_t got = 0;

	if (!CHECK_EQ_INT(tcp_pair(&a, &b), 0))
		return;
	CHECK_EQ_INT(pipe(p) | pipe(q), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	/* out -> pipe p -> TCP a -> TCP b -> pipe q -> in */
	CHECK_EQ_INT(write(p[1], out, sizeof(out)), sizeof(out));
	CHECK_EQ_INT(splice(p[0], NULL, a, NULL, sizeof(out), 0), sizeof(out));
	for (int tries = 0; got < sizeof(out) && tries < 1000; tries++) {
		long r = splice(b, NULL, q[1], NULL, sizeof(out) - got, 0);

		if (!CHECK(r > 0))
			break;
		if (read(q[0], in + got, (size_t)r) != r)
			break;
		got += (size_t)r;
	}
	CHECK_EQ_INT(got, sizeof(out));
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	/* The sender closed: the end of the data. */
	close(a);
	CHECK_EQ_INT(splice(b, NULL, q[1], NULL, 100, 0), 0);
	close(b);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
	}
}

static void error_paths(void)
{
	int fd = digits("e"), g = digits("f"), p[2], q[2];
	int wr = open(at("e"), O_WRONLY);
	loff_t off = 0, neg = -1;
	struct iovec v = {&off, 1};

	CHECK_EQ_INT(pipe(p) | pipe(q), 0);
	CHECK_EQ_INT(splice(1000, NULL, 1001, NULL, 0, 0), 0); /* len 0 */
	CHECK_ERRNO(splice(fd, NULL, g, NULL, 1, 0), EINVAL);  /* no pipe */
	CHECK_ERRNO(splice(fd, NULL, p[1], NULL, 1, 0x10), EINVAL);
	CHECK_ERRNO(splice(1000, NULL, p[1], NULL, 1, 0), EBADF);
	CHECK_ERRNO(splice(wr, NULL, p[1], NULL, 1, 0), EBADF);
	CHECK_ERRNO(splice(fd, NULL, p[0], NULL, 1, 0), EBADF);
	CHECK_ERRNO(splice(fd, NULL, p[1], &off, 1, 0), ESPIPE);
	CHECK_ERRNO(splice(p[0], &off, q[1], NULL, 1, 0), ESPIPE);
	CHECK_ERRNO(splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL);
	CHECK_ERRNO(splice(fd, &neg, p[1], NULL, 1, 0), EINVAL);
	CHECK_ERRNO(splice(fd, (loff_t *)8, p[1], NULL, 1, 0), EFAULT);
	CHECK_ERRNO(tee(fd, p[1], 1, 0), EINVAL);
	CHECK_ERRNO(tee(p[0], p[1], 1, 0), EINVAL);
	CHECK_ERRNO(tee(p[0], q[1], 1, 0x10), EINVAL);
	CHECK_ERRNO(vmsplice(fd, &v, 1, 0), EBADF);
	CHECK_ERRNO(vmsplice(1000, &v, 1, 0), EBADF);
	CHECK_ERRNO(vmsplice(p[1], &v, 1, 0x10), EINVAL);
	CHECK_ERRNO(vmsplice(p[1], &v, 5000, 0), EINVAL);
	CHECK_ERRNO(vmsplice(p[1], (struct iovec *)8, 1, 0), EFAULT);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(wr);
	close(fd);
	close(g);
}

int main(void)
{
	abi_init("splice");
	snprintf(dir, sizeof(dir), "/tmp/abi-splice-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	ABI_RUN(file_into_pipe);
	ABI_RUN(a_full_pipe_takes_what_fits);
	ABI_RUN(pipe_into_file);
	ABI_RUN(a_blocking_splice_waits);
	ABI_RUN(between_pipes_and_tee);
	ABI_RUN(vmsplice_both_ways);
	ABI_RUN(sendfile_with_pipes);
	ABI_RUN(unix_socket_and_pipe);
	ABI_RUN(a_socket_into_a_nearly_full_pipe);
	ABI_RUN(tcp_through_pipes);
	ABI_RUN(error_paths);
	abi_rmtree(dir);
	return abi_done();
}
