/*
 * inotify (man 7 inotify): the events a file watcher needs, in Linux's
 * order (create, modify, close-write, delete, open/access/close-nowrite,
 * attrib, moves with matching cookies, delete-self and ignored), the
 * watch flags (IN_ONLYDIR, IN_MASK_ADD, IN_MASK_CREATE, IN_ONESHOT),
 * merging of equal events, poll/epoll/FIONREAD, a blocking read woken by
 * another thread, the bounded queue's IN_Q_OVERFLOW, and the error paths.
 * Works in /tmp/abi-inotify-<pid>/, removed at the end.
 */
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static char dir[64];
static char path_buf[4][128];

static const char *at(int slot, const char *name)
{
	snprintf(path_buf[slot], sizeof(path_buf[slot]), "%s/%s", dir, name);
	return path_buf[slot];
}

struct ev {
	int wd;
	unsigned mask, cookie;
	char name[64];
};

/* Reads what is queued now, at most max events (the descriptor is
 * nonblocking): a read of max headers' size cannot return more. */
static int take(int fd, struct ev *out, int max)
{
	static char buf[1 << 16] __attribute__((aligned(8)));
	int n = 0;
	ssize_t r = read(fd, buf, max * sizeof(struct inotify_event));

	for (ssize_t off = 0; r > 0 && off < r && n < max;) {
		struct inotify_event *e = (struct inotify_event *)(buf + off);

		out[n].wd = e->wd;
		out[n].mask = e->mask;
		out[n].cookie = e->cookie;
		snprintf(out[n].name, sizeof(out[n].name), "%s",
			 e->len ? e->name : "");
		n++;
		off += sizeof(*e) + e->len;
	}
	return n;
}

#define CHECK_EV(e, w, m, nm)                                                  \
	do {                                                                   \
		CHECK_EQ_INT((e).wd, (w));                                     \
		CHECK_EQ_INT((e).mask, (m));                                   \
		CHECK_EQ_STR((e).name, (nm));                                  \
	} while (0)

static void create_modify_close_delete(void)
{
	struct ev ev[16];
	int in = inotify_init1(IN_NONBLOCK), fd, wd;

	wd = inotify_add_watch(
	    in, dir, IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE);
	CHECK_EQ_INT(wd, 1);
	fd = open(at(0, "a"), O_CREAT | O_WRONLY, 0644);
	CHECK_EQ_INT(write(fd, "x", 1), 1);
	CHECK_EQ_INT(write(fd, "y", 1), 1); /* merged with the first */
	close(fd);
	CHECK_EQ_INT(unlink(at(0, "a")), 0);
	if (!CHECK_EQ_INT(take(in, ev, 16), 4))
		return;
	CHECK_EV(ev[0], wd, IN_CREATE, "a");
	CHECK_EV(ev[1], wd, IN_MODIFY, "a");
	CHECK_EV(ev[2], wd, IN_CLOSE_WRITE, "a");
	CHECK_EV(ev[3], wd, IN_DELETE, "a");
	CHECK_EQ_INT(ev[0].cookie, 0);
	/* A directory made and removed: IN_ISDIR. */
	mkdir(at(0, "d"), 0755);
	rmdir(at(0, "d"));
	if (CHECK_EQ_INT(take(in, ev, 16), 2)) {
		CHECK_EV(ev[0], wd, IN_CREATE | IN_ISDIR, "d");
		CHECK_EV(ev[1], wd, IN_DELETE | IN_ISDIR, "d");
	}
	close(in);
}

static void open_access_close_and_attrib(void)
{
	struct ev ev[16];
	int in = inotify_init1(IN_NONBLOCK), fd, wd, fwd;
	char c;

	close(open(at(0, "f"), O_CREAT | O_WRONLY, 0644));
	wd = inotify_add_watch(in, dir, IN_ALL_EVENTS);
	fwd = inotify_add_watch(in, at(0, "f"), IN_ATTRIB | IN_OPEN);
	CHECK_EQ_INT(fwd, wd + 1);
	fd = open(at(0, "f"), O_RDONLY);
	CHECK_EQ_INT(read(fd, &c, 1), 0); /* empty: no IN_ACCESS */
	close(fd);
	CHECK_EQ_INT(chmod(at(0, "f"), 0600), 0);
	if (!CHECK_EQ_INT(take(in, ev, 16), 5))
		return;
	/* The directory's watch first, then the file's own (Linux's order). */
	CHECK_EV(ev[0], wd, IN_OPEN, "f");
	CHECK_EV(ev[1], fwd, IN_OPEN, "");
	CHECK_EV(ev[2], wd, IN_CLOSE_NOWRITE, "f");
	CHECK_EV(ev[3], wd, IN_ATTRIB, "f");
	CHECK_EV(ev[4], fwd, IN_ATTRIB, "");
	/* Reading data: IN_ACCESS; truncating: IN_MODIFY. */
	CHECK_EQ_INT(inotify_rm_watch(in, fwd), 0);
	take(in, ev, 16); /* the IN_IGNORED */
	fd = open(at(0, "f"), O_RDWR);
	CHECK_EQ_INT(write(fd, "ab", 2), 2);
	CHECK_EQ_INT(pread(fd, &c, 1, 0), 1);
	CHECK_EQ_INT(ftruncate(fd, 1), 0);
	close(fd);
	if (CHECK_EQ_INT(take(in, ev, 16), 5)) {
		CHECK_EV(ev[0], wd, IN_OPEN, "f");
		CHECK_EV(ev[1], wd, IN_MODIFY, "f");
		CHECK_EV(ev[2], wd, IN_ACCESS, "f");
		CHECK_EV(ev[3], wd, IN_MODIFY, "f");
		CHECK_EV(ev[4], wd, IN_CLOSE_WRITE, "f");
	}
	unlink(at(0, "f"));
	close(in);
}

static void moves_carry_one_cookie(void)
{
	struct ev ev[16];
	int in = inotify_init1(IN_NONBLOCK), wd1, wd2, fwd;

	mkdir(at(0, "m1"), 0755);
	mkdir(at(1, "m2"), 0755);
	close(open(at(2, "m1/x"), O_CREAT | O_WRONLY, 0644));
	wd1 = inotify_add_watch(in, at(0, "m1"), IN_MOVE);
	wd2 = inotify_add_watch(in, at(1, "m2"), IN_MOVE);
	fwd = inotify_add_watch(in, at(2, "m1/x"), IN_MOVE_SELF);
	CHECK_EQ_INT(rename(at(2, "m1/x"), at(3, "m2/y")), 0);
	if (!CHECK_EQ_INT(take(in, ev, 16), 3))
		return;
	CHECK_EV(ev[0], wd1, IN_MOVED_FROM, "x");
	CHECK_EV(ev[1], wd2, IN_MOVED_TO, "y");
	CHECK_EV(ev[2], fwd, IN_MOVE_SELF, "");
	CHECK(ev[0].cookie != 0);
	CHECK_EQ_INT(ev[1].cookie, ev[0].cookie);
	/* Within one directory: both events on its watch, a new cookie. */
	unsigned first = ev[0].cookie;
	CHECK_EQ_INT(rename(at(3, "m2/y"), at(2, "m2/z")), 0);
	if (CHECK_EQ_INT(take(in, ev, 16), 3)) {
		CHECK_EV(ev[0], wd2, IN_MOVED_FROM, "y");
		CHECK_EV(ev[1], wd2, IN_MOVED_TO, "z");
		CHECK(ev[0].cookie == ev[1].cookie && ev[0].cookie != first);
	}
	unlink(at(2, "m2/z"));
	rmdir(at(0, "m1"));
	rmdir(at(1, "m2"));
	close(in);
}

static void deleting_what_is_watched(void)
{
	struct ev ev[16];
	int in = inotify_init1(IN_NONBLOCK), fwd, dwd;

	mkdir(at(0, "sub"), 0755);
	close(open(at(1, "sub/f"), O_CREAT | O_WRONLY, 0644));
	fwd = inotify_add_watch(in, at(1, "sub/f"), IN_ALL_EVENTS);
	dwd = inotify_add_watch(in, at(0, "sub"), IN_DELETE_SELF | IN_DELETE);
	CHECK_EQ_INT(unlink(at(1, "sub/f")), 0);
	if (CHECK_EQ_INT(take(in, ev, 16), 4)) {
		CHECK_EV(ev[0], fwd, IN_ATTRIB, ""); /* the link count */
		CHECK_EV(ev[1], fwd, IN_DELETE_SELF, "");
		CHECK_EV(ev[2], fwd, IN_IGNORED, "");
		CHECK_EV(ev[3], dwd, IN_DELETE, "f");
	}
	CHECK_EQ_INT(rmdir(at(0, "sub")), 0);
	if (CHECK_EQ_INT(take(in, ev, 16), 2)) {
		CHECK_EV(ev[0], dwd, IN_DELETE_SELF, "");
		CHECK_EV(ev[1], dwd, IN_IGNORED, "");
	}
	/* The watch is gone with it. */
	CHECK_ERRNO(inotify_rm_watch(in, dwd), EINVAL);
	close(in);
}

static void watch_flags(void)
{
	struct ev ev[16];
	int in = inotify_init1(IN_NONBLOCK), wd;

	close(open(at(0, "g"), O_CREAT | O_WRONLY, 0644));
	CHECK_ERRNO(inotify_add_watch(in, at(0, "g"), IN_MODIFY | IN_ONLYDIR),
		    ENOTDIR);
	wd = inotify_add_watch(in, dir, IN_CREATE);
	CHECK_EQ_INT(inotify_add_watch(in, dir, IN_DELETE | IN_MASK_ADD), wd);
	CHECK_ERRNO(inotify_add_watch(in, dir, IN_DELETE | IN_MASK_CREATE),
		    EEXIST);
	CHECK_ERRNO(inotify_add_watch(in, dir,
				      IN_DELETE | IN_MASK_CREATE | IN_MASK_ADD),
		    EINVAL);
	close(open(at(1, "h"), O_CREAT | O_WRONLY, 0644));
	unlink(at(1, "h"));
	if (CHECK_EQ_INT(take(in, ev, 16), 2)) {
		CHECK_EV(ev[0], wd, IN_CREATE, "h");
		CHECK_EV(ev[1], wd, IN_DELETE, "h");
	}
	/* Without IN_MASK_ADD the mask is replaced. */
	CHECK_EQ_INT(inotify_add_watch(in, dir, IN_DELETE), wd);
	close(open(at(1, "h"), O_CREAT | O_WRONLY, 0644));
	unlink(at(1, "h"));
	if (CHECK_EQ_INT(take(in, ev, 16), 1))
		CHECK_EV(ev[0], wd, IN_DELETE, "h");
	/* IN_ONESHOT: one event, then the watch goes. */
	int ow = inotify_add_watch(in, at(0, "g"), IN_ATTRIB | IN_ONESHOT);
	chmod(at(0, "g"), 0600);
	chmod(at(0, "g"), 0644);
	if (CHECK_EQ_INT(take(in, ev, 16), 2)) {
		CHECK_EV(ev[0], ow, IN_ATTRIB, "");
		CHECK_EV(ev[1], ow, IN_IGNORED, "");
	}
	CHECK_ERRNO(inotify_rm_watch(in, ow), EINVAL);
	/* inotify_rm_watch: IN_IGNORED. */
	CHECK_EQ_INT(inotify_rm_watch(in, wd), 0);
	if (CHECK_EQ_INT(take(in, ev, 16), 1))
		CHECK_EV(ev[0], wd, IN_IGNORED, "");
	unlink(at(0, "g"));
	close(in);
}

static void *create_later(void *arg)
{
	(void)arg;
	usleep(20000);
	close(open(at(3, "late"), O_CREAT | O_WRONLY, 0644));
	return NULL;
}

static void readiness_and_blocking_read(void)
{
	int in = inotify_init(), ep = epoll_create1(0), avail = -1;
	struct epoll_event ee = {.events = EPOLLIN, .data.u32 = 9}, out;
	struct pollfd p = {.fd = in, .events = POLLIN};
	char buf[256] __attribute__((aligned(8)));
	struct inotify_event *e = (void *)buf;
	pthread_t th;

	int wd = inotify_add_watch(in, dir, IN_CREATE);
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ee), 0);
	CHECK_EQ_INT(poll(&p, 1, 0), 0);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	/* A blocking read waits for another thread's create. */
	pthread_create(&th, NULL, create_later, NULL);
	ssize_t r = read(in, buf, sizeof(buf));
	pthread_join(th, NULL);
	CHECK_EQ_INT(r, sizeof(*e) + 16);
	CHECK_EQ_INT(e->wd, wd);
	CHECK_EQ_INT(e->len, 16); /* "late" padded to 16 with NULs */
	CHECK_EQ_STR(e->name, "late");
	unlink(at(3, "late"));
	close(open(at(3, "late"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ_INT(poll(&p, 1, 1000), 1);
	CHECK_EQ_INT(p.revents, POLLIN);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 1000), 1);
	CHECK_EQ_INT(out.data.u32, 9);
	CHECK_EQ_INT(ioctl(in, FIONREAD, &avail), 0);
	CHECK_EQ_INT(avail, sizeof(*e) + 16);
	/* Too small for the event: EINVAL, and it stays queued. */
	CHECK_ERRNO(read(in, buf, sizeof(*e)), EINVAL);
	CHECK_EQ_INT(read(in, buf, sizeof(buf)), sizeof(*e) + 16);
	unlink(at(3, "late"));
	close(ep);
	close(in);
}

static int max_queued(void)
{
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	int n = 16384;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 16384;
		fclose(f);
	}
	return n;
}

static void the_queue_overflows_once(void)
{
	static struct ev ev[64];
	int in = inotify_init1(IN_NONBLOCK), max = max_queued(), total = 0, n;
	int wd;

	close(open(at(0, "q"), O_CREAT | O_WRONLY, 0644));
	wd = inotify_add_watch(in, at(0, "q"), IN_OPEN | IN_CLOSE_NOWRITE);
	/* Open and close alternate, so no two neighbours merge. */
	for (int i = 0; i < max / 2 + 10; i++)
		close(open(at(0, "q"), O_RDONLY));
	struct ev last = {0};
	while ((n = take(in, ev, 64)) > 0) {
		total += n;
		last = ev[n - 1];
	}
	CHECK_EQ_INT(total, max + 1);
	CHECK_EQ_INT(last.wd, -1);
	CHECK_EQ_INT(last.mask, IN_Q_OVERFLOW);
	/* Room again: events queue as before. */
	close(open(at(0, "q"), O_RDONLY));
	if (CHECK_EQ_INT(take(in, ev, 64), 2))
		CHECK_EV(ev[0], wd, IN_OPEN, "");
	unlink(at(0, "q"));
	close(in);
}

static void error_paths(void)
{
	int in = inotify_init1(IN_CLOEXEC), pfd[2];

	CHECK_EQ_INT(fcntl(in, F_GETFD), FD_CLOEXEC);
	CHECK_ERRNO(inotify_init1(0x1), EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, dir, 0), EINVAL);
	CHECK_ERRNO(inotify_add_watch(1000, dir, IN_CREATE), EBADF);
	CHECK_EQ_INT(pipe(pfd), 0);
	CHECK_ERRNO(inotify_add_watch(pfd[0], dir, IN_CREATE), EINVAL);
	CHECK_ERRNO(inotify_rm_watch(pfd[0], 1), EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, at(0, "missing"), IN_CREATE), ENOENT);
	CHECK_ERRNO(inotify_add_watch(in, (char *)8, IN_CREATE), EFAULT);
	CHECK_ERRNO(inotify_rm_watch(in, 12345), EINVAL);
	CHECK_ERRNO(inotify_rm_watch(1000, 1), EBADF);
	CHECK_ERRNO(write(in, "x", 1), EBADF); /* opened read-only */
	int nb = inotify_init1(IN_NONBLOCK);
	char buf[64];
	CHECK_ERRNO(read(nb, buf, sizeof(buf)), EAGAIN);
	close(nb);
	close(pfd[0]);
	close(pfd[1]);
	close(in);
}

int main(void)
{
	abi_init("inotify");
	snprintf(dir, sizeof(dir), "/tmp/abi-inotify-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	ABI_RUN(create_modify_close_delete);
	ABI_RUN(open_access_close_and_attrib);
	ABI_RUN(moves_carry_one_cookie);
	ABI_RUN(deleting_what_is_watched);
	ABI_RUN(watch_flags);
	ABI_RUN(readiness_and_blocking_read);
	ABI_RUN(the_queue_overflows_once);
	ABI_RUN(error_paths);
	abi_rmtree(dir);
	return abi_done();
}
