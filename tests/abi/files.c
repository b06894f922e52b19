/*
 * Regular files and file descriptors: open/read/write and their positioned
 * and vectored forms, lseek and holes, truncation, the stat family, access,
 * dup and fcntl, open flags, close_range, in-kernel copies (sendfile,
 * copy_file_range), fallocate, modes and umask, timestamps, the descriptor
 * limit and the /dev character devices. Everything lives in
 * /tmp/abi-files-<pid>/, removed at the end.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The kernel's O_LARGEFILE on x86-64; glibc's header defines it as 0. */
#define KERNEL_O_LARGEFILE 0100000

static char dir[64];

/* The path of `name` inside the test directory (four buffers in turn). */
static const char *P(const char *name)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

/* Creates `name` holding `text`; returns an O_RDWR descriptor or -1. */
static int make_file(const char *name, const char *text)
{
	int fd = open(P(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void creat_write_then_read_back(void)
{
	char buf[64] = {0};
	int fd;

	fd = creat(P("a"), 0644);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(write(fd, "hello world", 11), 11);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EBADF); /* creat is O_WRONLY */
	CHECK_EQ_INT(close(fd), 0);

	fd = open(P("a"), O_RDONLY);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), 11);
	CHECK_EQ_MEM(buf, "hello world", 11);
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), 0);
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	CHECK_EQ_INT(close(fd), 0);
	CHECK_ERRNO(close(fd), EBADF);
	CHECK_EQ_INT(unlink(P("a")), 0);
}

static void open_error_paths(void)
{
	char longname[300], longpath[400];
	int fd;

	CHECK_ERRNO(open(P("missing"), O_RDONLY), ENOENT);
	CHECK_ERRNO(open(P("missing/x"), O_RDONLY | O_CREAT, 0644), ENOENT);
	fd = make_file("f", "data");
	CHECK(fd >= 0);
	CHECK_ERRNO(open(P("f"), O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_ERRNO(open(P("f/x"), O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open(P("f/"), O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open(dir, O_WRONLY), EISDIR);
	CHECK_ERRNO(open(dir, O_RDWR), EISDIR);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(longpath, sizeof(longpath), "%s/%s", dir, longname);
	CHECK_ERRNO(open(longpath, O_RDONLY), ENAMETOOLONG);
	CHECK_ERRNO(open("", O_RDONLY), ENOENT);
	/* A directory opens read-only; read() on it is EISDIR. */
	{
		char c;
		int dfd = open(dir, O_RDONLY);

		CHECK(dfd >= 0);
		CHECK_ERRNO(read(dfd, &c, 1), EISDIR);
		close(dfd);
	}
	CHECK_ERRNO(read(-1, longname, 1), EBADF);
	CHECK_ERRNO(write(-1, "x", 1), EBADF);
	CHECK_ERRNO(read(1000000, longname, 1), EBADF);
	CHECK_ERRNO(close(-1), EBADF);
	close(fd);
	unlink(P("f"));
}

/* Bad user pointers must come back as EFAULT, not a crash. */
static void bad_pointers_give_efault(void)
{
	struct stat st;
	int fd = make_file("e", "0123456789");

	if (!CHECK(fd >= 0))
		return;
	lseek(fd, 0, SEEK_SET);
	CHECK_ERRNO(syscall(SYS_read, fd, (void *)1, 10), EFAULT);
	CHECK_ERRNO(syscall(SYS_write, fd, (void *)1, 10), EFAULT);
	CHECK_ERRNO(syscall(SYS_pread64, fd, (void *)1, 10, 0), EFAULT);
	CHECK_ERRNO(syscall(SYS_open, (void *)1, O_RDONLY), EFAULT);
	CHECK_ERRNO(syscall(SYS_stat, (void *)1, &st), EFAULT);
	CHECK_ERRNO(syscall(SYS_stat, P("e"), (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_fstat, fd, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_readv, fd, (void *)1, 1), EFAULT);
	/* A failed read leaves the offset alone. */
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
	unlink(P("e"));
}

static void pread_pwrite_leave_offset(void)
{
	char buf[16] = {0};
	struct stat st;
	int fd = make_file("p", "abcdef");

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(lseek(fd, 2, SEEK_SET), 2);
	CHECK_EQ_INT(pwrite(fd, "XYZ", 3, 100), 3);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 103);
	CHECK_EQ_INT(pread(fd, buf, 4, 1), 4);
	CHECK_EQ_MEM(buf, "bcde", 4);
	CHECK_EQ_INT(pread(fd, buf, 16, 99), 4);
	CHECK_EQ_MEM(buf, "\0XYZ", 4);
	CHECK_EQ_INT(pread(fd, buf, 16, 103), 0);
	CHECK_EQ_INT(pread(fd, buf, 16, 5000), 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_ERRNO(pread(fd, buf, 1, -1), EINVAL);
	CHECK_ERRNO(pwrite(fd, buf, 1, -1), EINVAL);
	close(fd);
	unlink(P("p"));
}

static void readv_writev_scatter_gather(void)
{
	char a[3], b[5], c[8] = {0};
	struct iovec out[3] = {{"one", 3}, {"", 0}, {"twothree", 8}};
	struct iovec in[3] = {{a, 3}, {b, 5}, {c, 8}};
	volatile int bad;
	int fd = make_file("v", "");

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(writev(fd, out, 3), 11);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ_INT(readv(fd, in, 3), 11);
	CHECK_EQ_MEM(a, "one", 3);
	CHECK_EQ_MEM(b, "twoth", 5);
	CHECK_EQ_MEM(c, "ree", 3);
	CHECK_EQ_INT(preadv(fd, in, 1, 8), 3);
	CHECK_EQ_MEM(a, "ree", 3);
	CHECK_EQ_INT(pwritev(fd, out, 1, 20), 3);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_END), 23);
	/* volatile: gcc would reject the bad counts at compile time. */
	bad = -1;
	CHECK_ERRNO(writev(fd, out, bad), EINVAL);
	bad = IOV_MAX + 1;
	CHECK_ERRNO(writev(fd, out, bad), EINVAL);
	CHECK_EQ_INT(writev(fd, out, 0), 0);
	close(fd);
	unlink(P("v"));
}

static void lseek_whence_and_holes_read_zero(void)
{
	char buf[8192], zero[8192] = {0};
	struct stat st;
	int fd = make_file("s", "0123456789");

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_EQ_INT(lseek(fd, 3, SEEK_SET), 3);
	CHECK_EQ_INT(lseek(fd, 2, SEEK_CUR), 5);
	CHECK_EQ_INT(lseek(fd, -4, SEEK_CUR), 1);
	CHECK_EQ_INT(lseek(fd, -1, SEEK_END), 9);
	CHECK_EQ_INT(read(fd, buf, 10), 1);
	CHECK_EQ_INT(buf[0], '9');
	/* Past the end is allowed; a write there leaves a hole of zeros. */
	CHECK_EQ_INT(lseek(fd, 10000, SEEK_END), 10010);
	CHECK_EQ_INT(read(fd, buf, 1), 0);
	CHECK_EQ_INT(write(fd, "END", 3), 3);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 10013);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), 10), (ssize_t)sizeof(buf));
	CHECK_EQ_MEM(buf, zero, sizeof(buf));
	CHECK_EQ_INT(pread(fd, buf, 10, 10005), 8);
	CHECK_EQ_MEM(buf, "\0\0\0\0\0END", 8);
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERRNO(lseek(fd, -20000, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, 99), EINVAL);
	CHECK_ERRNO(lseek(-1, 0, SEEK_SET), EBADF);
	/* A failed lseek keeps the offset. */
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 10013);
	close(fd);
	unlink(P("s"));
}

static void truncate_grows_with_zeros_and_shrinks(void)
{
	char buf[16];
	struct stat st;
	int fd = make_file("t", "abcdefgh"), ro;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(ftruncate(fd, 4), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 4);
	/* The offset (8) is now past the end: writing there makes a hole. */
	CHECK_EQ_INT(ftruncate(fd, 6), 0);
	CHECK_EQ_INT(pread(fd, buf, 16, 0), 6);
	CHECK_EQ_MEM(buf, "abcd\0\0", 6);
	CHECK_EQ_INT(truncate(P("t"), 2), 0);
	CHECK_EQ_INT(pread(fd, buf, 16, 0), 2);
	CHECK_EQ_INT(truncate(P("t"), 0), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 0);
	CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
	CHECK_ERRNO(truncate(P("missing"), 0), ENOENT);
	CHECK_ERRNO(truncate(dir, 0), EISDIR);
	CHECK_ERRNO(ftruncate(-1, 0), EBADF);
	/* Linux: a descriptor not open for writing gives EINVAL, not EBADF. */
	ro = open(P("t"), O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERRNO(ftruncate(ro, 0), EINVAL);
	close(ro);
	close(fd);
	unlink(P("t"));
}

static void stat_family_agrees(void)
{
	struct stat st, st2, lst;
	struct statx stx;
	int fd = make_file("st", "12345"), dfd;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 07777, 0644 & ~022);
	CHECK_EQ_INT(st.st_size, 5);
	CHECK_EQ_INT(st.st_nlink, 1);
	CHECK_EQ_INT(st.st_uid, geteuid());
	CHECK_EQ_INT(st.st_gid, getegid());
	CHECK(st.st_blksize > 0);
	CHECK_EQ_INT(stat(P("st"), &st2), 0);
	CHECK_EQ_INT(st2.st_ino, st.st_ino);
	CHECK_EQ_INT(st2.st_dev, st.st_dev);

	CHECK_EQ_INT(symlink("st", P("st-link")), 0);
	CHECK_EQ_INT(lstat(P("st-link"), &lst), 0);
	CHECK(S_ISLNK(lst.st_mode));
	CHECK_EQ_INT(lst.st_size, 2); /* the target's length */
	CHECK_EQ_INT(stat(P("st-link"), &st2), 0);
	CHECK_EQ_INT(st2.st_ino, st.st_ino);

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_EQ_INT(syscall(SYS_newfstatat, dfd, "st", &st2, 0), 0);
	CHECK_EQ_INT(st2.st_ino, st.st_ino);
	CHECK_EQ_INT(fstatat(dfd, "st-link", &st2, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISLNK(st2.st_mode));
	CHECK_EQ_INT(fstatat(fd, "", &st2, AT_EMPTY_PATH), 0);
	CHECK_EQ_INT(st2.st_ino, st.st_ino);
	CHECK_EQ_INT(fstatat(dfd, "", &st2, AT_EMPTY_PATH), 0);
	CHECK(S_ISDIR(st2.st_mode));
	CHECK_EQ_INT(st2.st_dev, st.st_dev);
	CHECK_ERRNO(fstatat(dfd, "st", &st2, 0x12345678), EINVAL);
	CHECK_ERRNO(fstatat(fd, "x", &st2, 0), ENOTDIR);
	CHECK_ERRNO(stat("", &st2), ENOENT);
	CHECK_ERRNO(stat(P("missing"), &st2), ENOENT);

	memset(&stx, 0, sizeof(stx));
	CHECK_EQ_INT(syscall(SYS_statx, dfd, "st", 0, STATX_BASIC_STATS, &stx),
		     0);
	CHECK((stx.stx_mask &
	       (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO)) ==
	      (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_INO));
	CHECK(S_ISREG(stx.stx_mode));
	CHECK_EQ_INT(stx.stx_size, 5);
	CHECK_EQ_INT(stx.stx_ino, st.st_ino);
	CHECK_EQ_INT(stx.stx_nlink, 1);
	CHECK_EQ_INT(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	CHECK_EQ_INT(stx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
	CHECK_EQ_INT(syscall(SYS_statx, dfd, "st-link", AT_SYMLINK_NOFOLLOW,
			     STATX_BASIC_STATS, &stx),
		     0);
	CHECK(S_ISLNK(stx.stx_mode));
	CHECK_ERRNO(
	    syscall(SYS_statx, dfd, "missing", 0, STATX_BASIC_STATS, &stx),
	    ENOENT);
	CHECK_ERRNO(syscall(SYS_statx, dfd, "st", 0, 0x80000000u, &stx),
		    EINVAL); /* STATX__RESERVED */
	CHECK_ERRNO(
	    syscall(SYS_statx, dfd, "st", 0, STATX_BASIC_STATS, (void *)1),
	    EFAULT);
	close(dfd);
	close(fd);
	unlink(P("st-link"));
	unlink(P("st"));
}

static void access_and_faccessat(void)
{
	int fd = make_file("ac", "x"), dfd;

	close(fd);
	CHECK_EQ_INT(access(P("ac"), F_OK), 0);
	CHECK_EQ_INT(access(P("ac"), R_OK | W_OK), 0);
	/* Even root needs some execute bit for X_OK on a regular file. */
	CHECK_EQ_INT(chmod(P("ac"), 0644), 0);
	CHECK_ERRNO(access(P("ac"), X_OK), EACCES);
	CHECK_EQ_INT(chmod(P("ac"), 0744), 0);
	CHECK_EQ_INT(access(P("ac"), X_OK), 0);
	CHECK_EQ_INT(access(dir, X_OK), 0);
	CHECK_ERRNO(access(P("missing"), F_OK), ENOENT);
	CHECK_ERRNO(access(P("ac/x"), F_OK), ENOTDIR);
	CHECK_ERRNO(access(P("ac"), 0100), EINVAL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(faccessat(dfd, "ac", R_OK, 0), 0);
	CHECK_EQ_INT(faccessat(dfd, "ac", R_OK, AT_EACCESS), 0);
	CHECK_ERRNO(faccessat(dfd, "missing", R_OK, 0), ENOENT);
	CHECK_ERRNO(syscall(SYS_faccessat, -1, "ac", R_OK), EBADF);
	close(dfd);
	unlink(P("ac"));
}

static void fsync_and_fdatasync(void)
{
	int fd = make_file("sy", "sync me"), p[2];

	CHECK_EQ_INT(fsync(fd), 0);
	CHECK_EQ_INT(fdatasync(fd), 0);
	CHECK_ERRNO(fsync(-1), EBADF);
	CHECK_ERRNO(fdatasync(-1), EBADF);
	/* Linux: a pipe has no fsync: EINVAL. */
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_ERRNO(fsync(p[0]), EINVAL);
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink(P("sy"));
}

static void dup_family_shares_offset(void)
{
	char c;
	int fd = make_file("d", "abcdef"), d, d2, d3;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(lseek(fd, 1, SEEK_SET), 1);
	d = dup(fd);
	CHECK(d > fd);
	CHECK_EQ_INT(read(d, &c, 1), 1);
	CHECK_EQ_INT(c, 'b');
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 2); /* shared offset */
	close(d);
	/* The lowest free descriptor comes first. */
	CHECK_EQ_INT(dup(fd), d);

	d2 = d + 10;
	CHECK_EQ_INT(dup2(fd, d2), d2);
	CHECK_EQ_INT(fcntl(d2, F_GETFD), 0);
	CHECK_EQ_INT(dup2(d, d2), d2); /* replaces silently */
	CHECK_EQ_INT(dup2(fd, fd), fd);
	CHECK_ERRNO(dup2(-1, d2), EBADF);
	CHECK_ERRNO(dup2(d2 + 1, d2), EBADF);
	CHECK_ERRNO(dup2(fd, -1), EBADF);
	CHECK_ERRNO(dup(-1), EBADF);

	d3 = d2 + 1;
	CHECK_EQ_INT(dup3(fd, d3, O_CLOEXEC), d3);
	CHECK_EQ_INT(fcntl(d3, F_GETFD), FD_CLOEXEC);
	CHECK_ERRNO(dup3(fd, fd, 0), EINVAL);
	CHECK_ERRNO(dup3(fd, d3, O_NONBLOCK), EINVAL);
	close(d3);
	close(d2);
	close(d);
	close(fd);
	unlink(P("d"));
}

static void fcntl_flags_and_dupfd(void)
{
	char buf[16] = {0};
	int fd = make_file("fc", "abc"), d, fl;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GETFD), 0);
	CHECK_EQ_INT(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(fcntl(fd, F_SETFD, 0), 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFD), 0);

	fl = fcntl(fd, F_GETFL);
	CHECK_EQ_INT(fl & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR);
	/* Linux reports O_LARGEFILE, forced on for every 64-bit open. */
	CHECK_EQ_INT(fl & KERNEL_O_LARGEFILE, KERNEL_O_LARGEFILE);
	CHECK_EQ_INT(fcntl(fd, F_SETFL, fl | O_APPEND), 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ_INT(write(fd, "de", 2), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_EQ_INT(pread(fd, buf, 16, 0), 5);
	CHECK_EQ_MEM(buf, "abcde", 5);
	/* F_SETFL ignores the access mode. */
	CHECK_EQ_INT(fcntl(fd, F_SETFL, O_RDONLY), 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDWR);

	d = fcntl(fd, F_DUPFD, 100);
	CHECK_EQ_INT(d, 100);
	CHECK_EQ_INT(fcntl(d, F_GETFD), 0);
	CHECK_EQ_INT(fcntl(fd, F_DUPFD, 100), 101);
	close(101);
	CHECK_EQ_INT(fcntl(fd, F_DUPFD_CLOEXEC, 100), 101);
	CHECK_EQ_INT(fcntl(101, F_GETFD), FD_CLOEXEC);
	CHECK_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
	CHECK_ERRNO(fcntl(-1, F_GETFD), EBADF);
	CHECK_ERRNO(fcntl(fd, 0x7fff), EINVAL);
	close(101);
	close(d);
	close(fd);
	unlink(P("fc"));
}

static void open_flags_append_excl_trunc_cloexec(void)
{
	char buf[16] = {0};
	struct stat st;
	int fd;

	fd = open(P("o"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(write(fd, "12345", 5), 5);
	close(fd);

	fd = open(P("o"), O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fcntl(fd, F_GETFD), 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ_INT(write(fd, "67", 2), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 7);
	/* O_APPEND wins over pwrite's offset on Linux. */
	CHECK_EQ_INT(pwrite(fd, "8", 1, 0), 1);
	close(fd);
	fd = open(P("o"), O_RDONLY);
	CHECK_EQ_INT(read(fd, buf, 16), 8);
	CHECK_EQ_MEM(buf, "12345678", 8);
	close(fd);

	fd = open(P("o"), O_RDWR | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 0);
	close(fd);
	/* O_CREAT without O_EXCL opens what exists, keeping its mode. */
	fd = open(P("o"), O_RDWR | O_CREAT, 0777);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	close(fd);
	unlink(P("o"));
}

static void close_range_closes_and_marks_cloexec(void)
{
	int fd = open("/dev/null", O_RDONLY), i;

	if (!CHECK(fd >= 0))
		return;
	for (i = 200; i < 205; i++)
		dup2(fd, i);
	CHECK_EQ_INT(syscall(SYS_close_range, 201, 203, 0), 0);
	CHECK_EQ_INT(fcntl(200, F_GETFD), 0);
	CHECK_ERRNO(fcntl(201, F_GETFD), EBADF);
	CHECK_ERRNO(fcntl(203, F_GETFD), EBADF);
	CHECK_EQ_INT(fcntl(204, F_GETFD), 0);
	CHECK_EQ_INT(syscall(SYS_close_range, 200, ~0u, CLOSE_RANGE_CLOEXEC),
		     0);
	CHECK_EQ_INT(fcntl(200, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(fcntl(204, F_GETFD), FD_CLOEXEC);
	CHECK_ERRNO(syscall(SYS_close_range, 204, 200, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_close_range, 200, 204, 0x8000), EINVAL);
	/* An empty range of closed descriptors is fine. */
	CHECK_EQ_INT(syscall(SYS_close_range, 300, 400, 0), 0);
	CHECK_EQ_INT(syscall(SYS_close_range, 200, ~0u, 0), 0);
	CHECK_ERRNO(fcntl(200, F_GETFD), EBADF);
	CHECK_ERRNO(fcntl(204, F_GETFD), EBADF);
	close(fd);
}

static void sendfile_and_copy_file_range(void)
{
	char buf[64] = {0};
	off_t off = 2;
	loff_t in_off = 1, out_off = 3;
	int in = make_file("src", "0123456789"), out = make_file("dst", "");

	if (!CHECK(in >= 0 && out >= 0))
		return;
	lseek(in, 0, SEEK_SET);
	CHECK_EQ_INT(sendfile(out, in, &off, 5), 5);
	CHECK_EQ_INT(off, 7);
	CHECK_EQ_INT(lseek(in, 0, SEEK_CUR), 0); /* untouched with an offset */
	CHECK_EQ_INT(sendfile(out, in, NULL, 3), 3);
	CHECK_EQ_INT(lseek(in, 0, SEEK_CUR), 3);
	CHECK_EQ_INT(lseek(out, 0, SEEK_CUR), 8);
	CHECK_EQ_INT(pread(out, buf, sizeof(buf), 0), 8);
	CHECK_EQ_MEM(buf, "23456012", 8);
	off = 10;
	CHECK_EQ_INT(sendfile(out, in, &off, 5), 0); /* at EOF */
	CHECK_ERRNO(sendfile(out, -1, NULL, 1), EBADF);
	CHECK_ERRNO(sendfile(-1, in, NULL, 1), EBADF);

	CHECK_EQ_INT(ftruncate(out, 0), 0);
	CHECK_EQ_INT(copy_file_range(in, &in_off, out, &out_off, 4, 0), 4);
	CHECK_EQ_INT(in_off, 5);
	CHECK_EQ_INT(out_off, 7);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(pread(out, buf, sizeof(buf), 0), 7);
	CHECK_EQ_MEM(buf,
		     "\0\0\0"
		     "1234",
		     7);
	CHECK_ERRNO(copy_file_range(in, &in_off, out, &out_off, 4, 1), EINVAL);
	CHECK_ERRNO(copy_file_range(-1, NULL, out, NULL, 4, 0), EBADF);
	close(in);
	close(out);
	unlink(P("src"));
	unlink(P("dst"));
}

static void fallocate_extends_with_zeros(void)
{
	char buf[100], zero[100] = {0};
	struct stat st;
	int fd = make_file("fa", "abc");

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fallocate(fd, 0, 0, 8192), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 8192);
	CHECK_EQ_INT(pread(fd, buf, 3, 0), 3);
	CHECK_EQ_MEM(buf, "abc", 3);
	CHECK_EQ_INT(pread(fd, buf, 100, 4000), 100);
	CHECK_EQ_MEM(buf, zero, 100);
	/* Inside the file it changes nothing. */
	CHECK_EQ_INT(fallocate(fd, 0, 100, 100), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_size, 8192);
	CHECK_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERRNO(fallocate(-1, 0, 0, 10), EBADF);
	close(fd);
	unlink(P("fa"));
}

static void umask_and_chmod(void)
{
	struct stat st;
	mode_t old = umask(022);
	int fd;

	CHECK_EQ_INT(umask(077), 022);
	fd = open(P("m"), O_RDWR | O_CREAT, 0666);
	CHECK(fd >= 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(umask(022), 077);
	CHECK_EQ_INT(mkdir(P("md"), 0777), 0);
	CHECK_EQ_INT(stat(P("md"), &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0755);
	CHECK_EQ_INT(rmdir(P("md")), 0);

	CHECK_EQ_INT(chmod(P("m"), 04751), 0);
	CHECK_EQ_INT(stat(P("m"), &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 04751);
	CHECK_EQ_INT(fchmod(fd, 0640), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0640);
	CHECK(S_ISREG(st.st_mode));
	CHECK_ERRNO(chmod(P("missing"), 0600), ENOENT);
	CHECK_ERRNO(fchmod(-1, 0600), EBADF);
	close(fd);
	unlink(P("m"));
	umask(old);
}

static void utimensat_sets_exact_times(void)
{
	struct timespec ts[2] = {{1000000000, 123456789}, {1500000000, 5000}};
	struct timespec now;
	struct stat st;
	int fd = make_file("u", "x"), dfd;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(utimensat(AT_FDCWD, P("u"), ts, 0), 0);
	CHECK_EQ_INT(stat(P("u"), &st), 0);
	CHECK_EQ_INT(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ_INT(st.st_atim.tv_nsec, 123456789);
	CHECK_EQ_INT(st.st_mtim.tv_sec, 1500000000);
	CHECK_EQ_INT(st.st_mtim.tv_nsec, 5000);

	/* UTIME_OMIT keeps atime; UTIME_NOW takes the current time. */
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	clock_gettime(CLOCK_REALTIME, &now);
	CHECK_EQ_INT(futimens(fd, ts), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_atim.tv_sec, 1000000000);
	CHECK(st.st_mtim.tv_sec >= now.tv_sec - 2 &&
	      st.st_mtim.tv_sec <= now.tv_sec + 2);

	/* NULL means both now. */
	CHECK_EQ_INT(utimensat(AT_FDCWD, P("u"), NULL, 0), 0);
	CHECK_EQ_INT(stat(P("u"), &st), 0);
	CHECK(st.st_atim.tv_sec >= now.tv_sec - 2);

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ts[0] = (struct timespec){2000000000, 1};
	ts[1] = (struct timespec){2000000000, 2};
	CHECK_EQ_INT(utimensat(dfd, "u", ts, 0), 0);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_mtim.tv_sec, 2000000000);
	CHECK_EQ_INT(st.st_mtim.tv_nsec, 2);
	/* A write moves mtime forward to now. */
	CHECK_EQ_INT(write(fd, "y", 1), 1);
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK(st.st_mtim.tv_sec < 2000000000);

	ts[1].tv_nsec = 1000000000;
	CHECK_ERRNO(utimensat(dfd, "u", ts, 0), EINVAL);
	ts[1].tv_nsec = 0;
	CHECK_ERRNO(utimensat(dfd, "missing", ts, 0), ENOENT);
	CHECK_ERRNO(utimensat(dfd, "u", ts, 0x4000000), EINVAL);
	close(dfd);
	close(fd);
	unlink(P("u"));
}

/* Descriptors beyond RLIMIT_NOFILE: EMFILE from open, others differ. */
static void nofile_limit_gives_emfile(void)
{
	struct rlimit old, lim;
	int fds[64], n = 0, i, fd;

	if (!CHECK_EQ_INT(getrlimit(RLIMIT_NOFILE, &old), 0))
		return;
	lim = old;
	lim.rlim_cur = 32;
	if (!CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &lim), 0))
		return;
	while (n < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = fd;
	CHECK(n > 0 && n < 32);
	CHECK_EQ_INT(n > 0 ? fds[n - 1] : -1, 31); /* the highest allowed */
	CHECK_ERRNO(open("/dev/null", O_RDONLY), EMFILE);
	if (n > 1) {
		CHECK_ERRNO(dup(fds[0]), EMFILE);
		CHECK_ERRNO(pipe(fds + 60), EMFILE);
		close(fds[--n]);
		/* dup2 beyond the limit is EBADF; F_DUPFD there is EINVAL. */
		CHECK_ERRNO(dup2(fds[0], 32), EBADF);
		CHECK_ERRNO(fcntl(fds[0], F_DUPFD, 32), EINVAL);
		CHECK_EQ_INT(dup2(fds[0], 31), 31);
		close(31);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	CHECK_EQ_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
}

static void dev_null_zero_full_urandom(void)
{
	char buf[64], zero[64] = {0};
	int fd;

	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "abc", 3), 3);
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), 0);
	close(fd);

	fd = open("/dev/zero", O_RDWR);
	CHECK(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	CHECK_EQ_MEM(buf, zero, sizeof(buf));
	CHECK_EQ_INT(write(fd, "abc", 3), 3);
	close(fd);

	fd = open("/dev/full", O_RDWR);
	CHECK(fd >= 0);
	CHECK_ERRNO(write(fd, "abc", 3), ENOSPC);
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	CHECK_EQ_MEM(buf, zero, sizeof(buf));
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	CHECK(fd >= 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	CHECK(memcmp(buf, zero, sizeof(buf)) != 0);
	close(fd);
	{
		struct stat st;

		CHECK_EQ_INT(stat("/dev/null", &st), 0);
		CHECK(S_ISCHR(st.st_mode));
		CHECK_EQ_INT(st.st_rdev, makedev(1, 3));
		CHECK_EQ_INT(stat("/dev/zero", &st), 0);
		CHECK_EQ_INT(st.st_rdev, makedev(1, 5));
	}
}

int main(void)
{
	abi_init("files");
	snprintf(dir, sizeof(dir), "/tmp/abi-files-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	umask(022);

	ABI_RUN(creat_write_then_read_back);
	ABI_RUN(open_error_paths);
	ABI_RUN(bad_pointers_give_efault);
	ABI_RUN(pread_pwrite_leave_offset);
	ABI_RUN(readv_writev_scatter_gather);
	ABI_RUN(lseek_whence_and_holes_read_zero);
	ABI_RUN(truncate_grows_with_zeros_and_shrinks);
	ABI_RUN(stat_family_agrees);
	ABI_RUN(access_and_faccessat);
	ABI_RUN(fsync_and_fdatasync);
	ABI_RUN(dup_family_shares_offset);
	ABI_RUN(fcntl_flags_and_dupfd);
	ABI_RUN(open_flags_append_excl_trunc_cloexec);
	ABI_RUN(close_range_closes_and_marks_cloexec);
	ABI_RUN(sendfile_and_copy_file_range);
	ABI_RUN(fallocate_extends_with_zeros);
	ABI_RUN(umask_and_chmod);
	ABI_RUN(utimensat_sets_exact_times);
	ABI_RUN(nofile_limit_gives_emfile);
	ABI_RUN(dev_null_zero_full_urandom);

	/* Every case removed its own files: the directory must be empty. */
	CHECK_EQ_INT(rmdir(dir), 0);
	abi_rmtree(dir);
	return abi_done();
}
