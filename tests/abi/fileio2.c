/*
 * The second pass over file I/O: posix_fadvise (fadvise64), readahead,
 * sync_file_range, preadv2/pwritev2 with offset -1 (the position) and
 * the RWF_* flags (HIPRI, DSYNC, SYNC, NOWAIT, APPEND; unknown bits
 * EOPNOTSUPP), the old getdents (struct linux_dirent with d_type in its
 * last byte), fchmodat2 (AT_SYMLINK_NOFOLLOW: EOPNOTSUPP on a symlink),
 * and name_to_handle_at/open_by_handle_at on a file system without file
 * handles (/proc), with their error paths.
 * Works in /tmp/abi-fileio2-<pid>/, removed at the end.
 */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x01
#define RWF_DSYNC 0x02
#define RWF_SYNC 0x04
#define RWF_NOWAIT 0x08
#define RWF_APPEND 0x10
#endif

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static char dir[64];
static char path_buf[128];

static const char *at(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static int new_file(const char *name, const char *text)
{
	int fd = open(at(name), O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void hints_and_syncs(void)
{
	int fd = new_file("h", "hello"), p[2];
	int wr = open(at("h"), O_WRONLY);

	CHECK_EQ_INT(pipe(p), 0);
	/* posix_fadvise returns the error instead of setting errno. */
	for (int adv = POSIX_FADV_NORMAL; adv <= POSIX_FADV_NOREUSE; adv++)
		CHECK_EQ_INT(posix_fadvise(fd, 0, 5, adv), 0);
	CHECK_EQ_INT(posix_fadvise(fd, 0, 5, 99), EINVAL);
	CHECK_EQ_INT(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL), EINVAL);
	CHECK_EQ_INT(posix_fadvise(p[0], 0, 5, POSIX_FADV_NORMAL), ESPIPE);
	CHECK_EQ_INT(posix_fadvise(1000, 0, 5, POSIX_FADV_NORMAL), EBADF);
	/* readahead: readable regular files only. */
	CHECK_EQ_INT(readahead(fd, 0, 4096), 0);
	CHECK_ERRNO(readahead(p[0], 0, 4096), EINVAL);
	CHECK_ERRNO(readahead(wr, 0, 4096), EBADF);
	CHECK_ERRNO(readahead(1000, 0, 4096), EBADF);
	/* sync_file_range */
	CHECK_EQ_INT(sync_file_range(fd, 0, 0,
				     SYNC_FILE_RANGE_WAIT_BEFORE |
					 SYNC_FILE_RANGE_WRITE |
					 SYNC_FILE_RANGE_WAIT_AFTER),
		     0);
	CHECK_ERRNO(sync_file_range(fd, 0, 0, 8), EINVAL);
	CHECK_ERRNO(sync_file_range(fd, -1, 0, 0), EINVAL);
	CHECK_ERRNO(sync_file_range(fd, 0, -1, 0), EINVAL);
	CHECK_ERRNO(sync_file_range(fd, 0x7fffffffffffffffll, 10, 0), EINVAL);
	CHECK_ERRNO(sync_file_range(p[0], 0, 0, 0), ESPIPE);
	CHECK_ERRNO(sync_file_range(1000, 0, 0, 0), EBADF);
	close(p[0]);
	close(p[1]);
	close(wr);
	close(fd);
}

static void preadv2_and_pwritev2(void)
{
	int fd = new_file("v", "0123456789"), p[2];
	char a[4] = {0}, b[4] = {0};
	struct iovec iov[2] = {{a, 3}, {b, 3}};

	/* An offset: the position stays. */
	CHECK_EQ_INT(preadv2(fd, iov, 2, 2, 0), 6);
	CHECK_EQ_STR(a, "234");
	CHECK_EQ_STR(b, "567");
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0);
	/* -1: at the position, which moves. */
	lseek(fd, 4, SEEK_SET);
	CHECK_EQ_INT(preadv2(fd, iov, 2, -1, RWF_HIPRI), 6);
	CHECK_EQ_STR(a, "456");
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_ERRNO(preadv2(fd, iov, 2, -2, 0), EINVAL);
	/* Writes: DSYNC and SYNC are accepted (writes are synchronous). */
	struct iovec w = {"AB", 2};
	CHECK_EQ_INT(pwritev2(fd, &w, 1, 0, RWF_DSYNC | RWF_SYNC), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 10);
	/* RWF_APPEND: at the end whatever the offset; with an offset the
	 * position stays, with -1 it moves to the new end. */
	lseek(fd, 1, SEEK_SET);
	CHECK_EQ_INT(pwritev2(fd, &w, 1, 0, RWF_APPEND), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 1);
	CHECK_EQ_INT(pwritev2(fd, &w, 1, -1, RWF_APPEND), 2);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 14);
	char all[16] = {0};
	CHECK_EQ_INT(pread(fd, all, sizeof(all), 0), 14);
	CHECK_EQ_STR(all, "AB23456789ABAB");
	/* RWF_NOWAIT: a pipe with nothing to read says EAGAIN. */
	CHECK_EQ_INT(pipe(p), 0);
	CHECK_ERRNO(preadv2(p[0], iov, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_EQ_INT(pwritev2(p[1], &w, 1, -1, RWF_NOWAIT), 2);
	CHECK_EQ_INT(preadv2(p[0], iov, 1, -1, RWF_NOWAIT), 2);
	CHECK_ERRNO(preadv2(p[0], iov, 1, 0, 0), ESPIPE);
	/* Unknown flags: EOPNOTSUPP, as Linux. */
	CHECK_ERRNO(preadv2(fd, iov, 1, 0, 0x10000000), EOPNOTSUPP);
	CHECK_ERRNO(pwritev2(fd, &w, 1, 0, 0x10000000), EOPNOTSUPP);
	CHECK_ERRNO(preadv2(1000, iov, 1, 0, 0), EBADF);
	CHECK_ERRNO(syscall(SYS_preadv2, fd, 8, 1, 0, 0, 0), EFAULT);
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* The old getdents record (man 2 getdents). */
struct linux_dirent {
	unsigned long d_ino, d_off;
	unsigned short d_reclen;
	char d_name[];
};

static void old_getdents(void)
{
	char buf[4096] __attribute__((aligned(8)));
	int seen_file = 0, seen_dir = 0, dots = 0;
	int fd, n;

	mkdir(at("dd"), 0755);
	close(new_file("dd/file", "x"));
	mkdir(at("dd/sub"), 0755);
	fd = open(at("dd"), O_RDONLY | O_DIRECTORY);
	n = syscall(SYS_getdents, fd, buf, sizeof(buf));
	CHECK(n > 0);
	for (int off = 0; off < n;) {
		struct linux_dirent *d = (void *)(buf + off);
		char type = buf[off + d->d_reclen - 1];
		struct stat st;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			dots++;
		if (!strcmp(d->d_name, "file")) {
			seen_file = type == DT_REG;
			stat(at("dd/file"), &st);
			CHECK_EQ_INT(d->d_ino, st.st_ino);
		}
		if (!strcmp(d->d_name, "sub"))
			seen_dir = type == DT_DIR;
		off += d->d_reclen;
	}
	CHECK_EQ_INT(dots, 2);
	CHECK(seen_file);
	CHECK(seen_dir);
	CHECK_EQ_INT(syscall(SYS_getdents, fd, buf, sizeof(buf)), 0);
	lseek(fd, 0, SEEK_SET);
	CHECK_ERRNO(syscall(SYS_getdents, fd, buf, 4), EINVAL);
	CHECK_ERRNO(syscall(SYS_getdents, fd, (void *)8, sizeof(buf)), EFAULT);
	CHECK_ERRNO(syscall(SYS_getdents, 1000, buf, sizeof(buf)), EBADF);
	int file = open(at("dd/file"), O_RDONLY);
	CHECK_ERRNO(syscall(SYS_getdents, file, buf, sizeof(buf)), ENOTDIR);
	close(file);
	close(fd);
	unlink(at("dd/file"));
	rmdir(at("dd/sub"));
	rmdir(at("dd"));
}

static void fchmodat2_flags(void)
{
	struct stat st;

	close(new_file("m", ""));
	symlink("m", at("ml"));
	CHECK_EQ_INT(syscall(SYS_fchmodat2, AT_FDCWD, at("m"), 0600, 0), 0);
	stat(at("m"), &st);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	/* Through the symlink by default; not on the symlink itself. */
	CHECK_EQ_INT(syscall(SYS_fchmodat2, AT_FDCWD, at("ml"), 0640, 0), 0);
	stat(at("m"), &st);
	CHECK_EQ_INT(st.st_mode & 07777, 0640);
	CHECK_ERRNO(syscall(SYS_fchmodat2, AT_FDCWD, at("ml"), 0600,
			    AT_SYMLINK_NOFOLLOW),
		    EOPNOTSUPP);
	CHECK_EQ_INT(syscall(SYS_fchmodat2, AT_FDCWD, at("m"), 0644,
			     AT_SYMLINK_NOFOLLOW),
		     0);
	int fd = open(at("m"), O_RDONLY);
	CHECK_EQ_INT(syscall(SYS_fchmodat2, fd, "", 0604, AT_EMPTY_PATH), 0);
	stat(at("m"), &st);
	CHECK_EQ_INT(st.st_mode & 07777, 0604);
	close(fd);
	CHECK_ERRNO(syscall(SYS_fchmodat2, AT_FDCWD, at("m"), 0600, 0x8000),
		    EINVAL);
	CHECK_ERRNO(syscall(SYS_fchmodat2, AT_FDCWD, at("none"), 0600, 0),
		    ENOENT);
	unlink(at("ml"));
	unlink(at("m"));
}

static void file_handles_on_proc(void)
{
	struct {
		struct file_handle h;
		unsigned char room[128];
	} fh = {.h = {.handle_bytes = 128}};
	int mnt = -1, proc = open("/proc", O_RDONLY | O_DIRECTORY);

	CHECK_ERRNO(
	    name_to_handle_at(AT_FDCWD, "/proc/self/status", &fh.h, &mnt, 0),
	    EOPNOTSUPP);
	CHECK_ERRNO(
	    name_to_handle_at(AT_FDCWD, "/proc/self/none", &fh.h, &mnt, 0),
	    ENOENT);
	CHECK_ERRNO(name_to_handle_at(AT_FDCWD, "/proc/self/status", &fh.h,
				      &mnt, 0x8000),
		    EINVAL);
	CHECK_ERRNO(name_to_handle_at(AT_FDCWD, (char *)8, &fh.h, &mnt, 0),
		    EFAULT);
	/* No handle opens anything on a file system without them. */
	fh.h.handle_bytes = 8;
	fh.h.handle_type = 1;
	CHECK_ERRNO(open_by_handle_at(proc, &fh.h, O_RDONLY), ESTALE);
	fh.h.handle_bytes = 0;
	CHECK_ERRNO(open_by_handle_at(proc, &fh.h, O_RDONLY), EINVAL);
	fh.h.handle_bytes = 4096;
	CHECK_ERRNO(open_by_handle_at(proc, &fh.h, O_RDONLY), EINVAL);
	CHECK_ERRNO(open_by_handle_at(proc, (struct file_handle *)8, O_RDONLY),
		    EFAULT);
	fh.h.handle_bytes = 8;
	CHECK_ERRNO(open_by_handle_at(1000, &fh.h, O_RDONLY), EBADF);
	close(proc);
}

int main(void)
{
	abi_init("fileio2");
	snprintf(dir, sizeof(dir), "/tmp/abi-fileio2-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	ABI_RUN(hints_and_syncs);
	ABI_RUN(preadv2_and_pwritev2);
	ABI_RUN(old_getdents);
	ABI_RUN(fchmodat2_flags);
	ABI_RUN(file_handles_on_proc);
	abi_rmtree(dir);
	return abi_done();
}
