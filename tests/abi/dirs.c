/*
 * Directories and path names: mkdir/rmdir, reading directories (raw
 * getdents64 and readdir), the working directory, rename, unlink, symbolic
 * and hard links, path resolution ("..", "//", trailing slashes, length
 * limits, symlink loops) and statfs. Everything lives in
 * /tmp/abi-dirs-<pid>/, removed at the end; the working directory is
 * restored.
 */
#define _GNU_SOURCE
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

static char dir[64];

/* The path of `name` inside the test directory (four buffers in turn). */
static const char *P(const char *name)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	return close(fd);
}

static long long ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_ino : -1;
}

static void mkdir_rmdir_and_link_counts(void)
{
	struct stat st;
	int dfd;

	CHECK_EQ_INT(mkdir(P("m"), 0755), 0);
	CHECK_ERRNO(mkdir(P("m"), 0755), EEXIST);
	CHECK_EQ_INT(stat(P("m"), &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	/* An empty directory has two links: its name and its ".". */
	CHECK_EQ_INT(st.st_nlink, 2);
	dfd = open(P("m"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_EQ_INT(mkdirat(dfd, "sub", 0700), 0);
	CHECK_ERRNO(mkdirat(dfd, "sub", 0700), EEXIST);
	/* Each subdirectory's ".." adds one. */
	CHECK_EQ_INT(stat(P("m"), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 3);
	CHECK_EQ_INT(stat(P("m/sub"), &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0700);
	CHECK_EQ_INT(touch(P("m/file")), 0);

	CHECK_ERRNO(mkdir(P("m/file"), 0755), EEXIST);
	CHECK_ERRNO(mkdir(P("m/file/x"), 0755), ENOTDIR);
	CHECK_ERRNO(mkdir(P("nope/x"), 0755), ENOENT);
	CHECK_ERRNO(mkdirat(-1, "rel", 0755), EBADF);
	CHECK_ERRNO(rmdir(P("m")), ENOTEMPTY);
	CHECK_ERRNO(rmdir(P("m/file")), ENOTDIR);
	CHECK_ERRNO(rmdir(P("m/missing")), ENOENT);
	CHECK_ERRNO(rmdir(P("m/sub/.")), EINVAL);
	CHECK_ERRNO(rmdir(P("m/sub/..")), ENOTEMPTY);
	CHECK_EQ_INT(unlink(P("m/file")), 0);
	CHECK_EQ_INT(unlinkat(dfd, "sub", AT_REMOVEDIR), 0);
	CHECK_EQ_INT(stat(P("m"), &st), 0);
	CHECK_EQ_INT(st.st_nlink, 2);
	close(dfd);
	CHECK_EQ_INT(rmdir(P("m")), 0);
	CHECK_ERRNO(stat(P("m"), &st), ENOENT);
}

struct dent_count {
	int total, dot, dotdot, files, dirs, bad_type;
};

/* Reads a whole directory with raw getdents64 into `c`. */
static int count_getdents64(int fd, struct dent_count *c)
{
	char buf[512] __attribute__((aligned(8)));
	long n, off;

	memset(c, 0, sizeof(*c));
	for (;;) {
		n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n <= 0)
			return (int)n;
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			c->total++;
			if (!strcmp(d->d_name, "."))
				c->dot++;
			else if (!strcmp(d->d_name, ".."))
				c->dotdot++;
			else if (d->d_type == DT_REG && d->d_name[0] == 'f')
				c->files++;
			else if (d->d_type == DT_DIR && d->d_name[0] == 'd')
				c->dirs++;
			else
				c->bad_type++;
			if (d->d_reclen == 0 || d->d_reclen % 8)
				return -2;
			off += d->d_reclen;
		}
	}
}

static void getdents64_lists_every_entry(void)
{
	struct dent_count c;
	char name[16];
	int fd, i;

	CHECK_EQ_INT(mkdir(P("g"), 0755), 0);
	/* Enough names to need several calls with a 512-byte buffer. */
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "g/file%02d", i);
		touch(P(name));
	}
	CHECK_EQ_INT(mkdir(P("g/dir"), 0755), 0);
	fd = open(P("g"), O_RDONLY | O_DIRECTORY);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(count_getdents64(fd, &c), 0);
	CHECK_EQ_INT(c.total, 33);
	CHECK_EQ_INT(c.dot, 1);
	CHECK_EQ_INT(c.dotdot, 1);
	CHECK_EQ_INT(c.files, 30);
	CHECK_EQ_INT(c.dirs, 1);
	CHECK_EQ_INT(c.bad_type, 0);
	/* At the end it keeps returning 0; lseek(0) rewinds. */
	CHECK_EQ_INT(syscall(SYS_getdents64, fd, name, sizeof(name)), 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ_INT(count_getdents64(fd, &c), 0);
	CHECK_EQ_INT(c.total, 33);
	/* A buffer too small for one entry is EINVAL. */
	CHECK_EQ_INT(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERRNO(syscall(SYS_getdents64, fd, name, 4), EINVAL);
	CHECK_ERRNO(syscall(SYS_getdents64, fd, (void *)1, 512), EFAULT);
	CHECK_ERRNO(syscall(SYS_getdents64, -1, name, sizeof(name)), EBADF);
	close(fd);
	fd = open(P("g/file00"), O_RDONLY);
	CHECK_ERRNO(syscall(SYS_getdents64, fd, name, sizeof(name)), ENOTDIR);
	close(fd);

	/* An entry removed before reading is not listed. */
	CHECK_EQ_INT(unlink(P("g/file29")), 0);
	fd = open(P("g"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(count_getdents64(fd, &c), 0);
	CHECK_EQ_INT(c.files, 29);
	close(fd);
	for (i = 0; i < 29; i++) {
		snprintf(name, sizeof(name), "g/file%02d", i);
		unlink(P(name));
	}
	rmdir(P("g/dir"));
	CHECK_EQ_INT(rmdir(P("g")), 0);
}

static void readdir_and_rewinddir(void)
{
	struct dirent *d;
	DIR *dp;
	int n = 0, found = 0;

	CHECK_EQ_INT(mkdir(P("r"), 0755), 0);
	CHECK_EQ_INT(touch(P("r/one")), 0);
	CHECK_EQ_INT(touch(P("r/two")), 0);
	dp = opendir(P("r"));
	if (!CHECK(dp != NULL))
		return;
	while ((d = readdir(dp)) != NULL) {
		n++;
		if (!strcmp(d->d_name, "one") || !strcmp(d->d_name, "two"))
			found++;
	}
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(found, 2);
	rewinddir(dp);
	for (n = 0; readdir(dp); n++)
		;
	CHECK_EQ_INT(n, 4);
	CHECK(dirfd(dp) >= 0);
	CHECK_EQ_INT(closedir(dp), 0);
	errno = 0;
	CHECK(opendir(P("r/one")) == NULL && errno == ENOTDIR);
	errno = 0;
	CHECK(opendir(P("missing")) == NULL && errno == ENOENT);
	unlink(P("r/one"));
	unlink(P("r/two"));
	CHECK_EQ_INT(rmdir(P("r")), 0);
}

static void chdir_fchdir_getcwd(void)
{
	char old[PATH_MAX], buf[PATH_MAX], small[2];
	int fd, sub;

	if (!CHECK(getcwd(old, sizeof(old)) != NULL))
		return;
	CHECK_EQ_INT(mkdir(P("c"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("c/sub"), 0755), 0);
	CHECK_EQ_INT(chdir(P("c")), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_EQ_STR(buf, P("c"));
	/* Relative paths start at the new directory. */
	CHECK_EQ_INT(touch("rel"), 0);
	CHECK_EQ_INT(ino_of(P("c/rel")), ino_of("rel"));
	CHECK_EQ_INT(chdir("sub"), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_EQ_STR(buf, P("c/sub"));
	CHECK_EQ_INT(chdir(".."), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_EQ_STR(buf, P("c"));
	sub = open("sub", O_RDONLY | O_DIRECTORY);
	CHECK(sub >= 0);
	CHECK_EQ_INT(fchdir(sub), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_EQ_STR(buf, P("c/sub"));
	CHECK_EQ_INT(syscall(SYS_getcwd, buf, sizeof(buf)),
		     (long)strlen(P("c/sub")) + 1); /* length with the NUL */
	CHECK_ERRNO(syscall(SYS_getcwd, small, sizeof(small)), ERANGE);
	CHECK_ERRNO(syscall(SYS_getcwd, (void *)1, sizeof(buf)), EFAULT);
	CHECK_ERRNO(chdir(P("c/rel")), ENOTDIR);
	CHECK_ERRNO(chdir(P("c/missing")), ENOENT);
	fd = open(P("c/rel"), O_RDONLY);
	CHECK_ERRNO(fchdir(fd), ENOTDIR);
	CHECK_ERRNO(fchdir(-1), EBADF);
	close(fd);
	close(sub);

	/* A removed working directory: getcwd is ENOENT, so is creating. */
	CHECK_EQ_INT(rmdir(P("c/sub")), 0);
	CHECK_ERRNO(syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(open("new", O_WRONLY | O_CREAT, 0644), ENOENT);

	CHECK_EQ_INT(chdir(old), 0);
	unlink(P("c/rel"));
	CHECK_EQ_INT(rmdir(P("c")), 0);
}

static void rename_and_renameat2(void)
{
	long long ino;
	int dfd;

	CHECK_EQ_INT(touch(P("ra")), 0);
	ino = ino_of(P("ra"));
	CHECK_EQ_INT(rename(P("ra"), P("rb")), 0);
	CHECK_ERRNO(access(P("ra"), F_OK), ENOENT);
	CHECK_EQ_INT(ino_of(P("rb")), ino);
	/* Renaming over a file replaces it. */
	CHECK_EQ_INT(touch(P("rc")), 0);
	CHECK_EQ_INT(rename(P("rc"), P("rb")), 0);
	CHECK(ino_of(P("rb")) != ino);
	CHECK_EQ_INT(rename(P("rb"), P("rb")), 0);
	CHECK_ERRNO(rename(P("missing"), P("x")), ENOENT);

	CHECK_EQ_INT(mkdir(P("rd"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("re"), 0755), 0);
	CHECK_EQ_INT(touch(P("re/f")), 0);
	CHECK_ERRNO(rename(P("rd"), P("re")), ENOTEMPTY);
	CHECK_ERRNO(rename(P("rb"), P("rd")), EISDIR);
	CHECK_ERRNO(rename(P("rd"), P("rb")), ENOTDIR);
	CHECK_ERRNO(rename(P("re"), P("re/f/x")), ENOTDIR);
	CHECK_ERRNO(rename(P("rd"), P("rd/inside")), EINVAL);
	/* A directory moves over an empty one; its contents go along. */
	CHECK_EQ_INT(rename(P("re"), P("rd")), 0);
	CHECK_EQ_INT(access(P("rd/f"), F_OK), 0);

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(touch(P("rn")), 0);
	CHECK_ERRNO(renameat2(dfd, "rn", dfd, "rb", RENAME_NOREPLACE), EEXIST);
	CHECK_EQ_INT(access(P("rn"), F_OK), 0);
	CHECK_EQ_INT(renameat2(dfd, "rn", dfd, "rm", RENAME_NOREPLACE), 0);
	CHECK_ERRNO(
	    renameat2(dfd, "rm", dfd, "rb", RENAME_NOREPLACE | RENAME_EXCHANGE),
	    EINVAL);
	CHECK_ERRNO(renameat2(dfd, "rm", dfd, "rb", 0x100), EINVAL);
	CHECK_EQ_INT(renameat(dfd, "rm", dfd, "rd/g"), 0);
	close(dfd);
	unlink(P("rd/f"));
	unlink(P("rd/g"));
	unlink(P("rb"));
	CHECK_EQ_INT(rmdir(P("rd")), 0);
}

static void unlink_and_unlinkat(void)
{
	char buf[8];
	struct stat st;
	int fd, dfd;

	CHECK_EQ_INT(mkdir(P("u"), 0755), 0);
	fd = open(P("u/f"), O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "live", 4), 4);
	/* Linux (unlike POSIX's EPERM) gives EISDIR for a directory. */
	CHECK_ERRNO(unlink(P("u")), EISDIR);
	CHECK_EQ_INT(unlink(P("u/f")), 0);
	CHECK_ERRNO(unlink(P("u/f")), ENOENT);
	/* An open file outlives its name. */
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK_EQ_INT(st.st_nlink, 0);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK_EQ_MEM(buf, "live", 4);
	close(fd);

	dfd = open(P("u"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(touch(P("u/g")), 0);
	CHECK_EQ_INT(mkdir(P("u/d"), 0755), 0);
	CHECK_ERRNO(unlinkat(dfd, "g", AT_REMOVEDIR), ENOTDIR);
	CHECK_ERRNO(unlinkat(dfd, "d", 0), EISDIR);
	CHECK_ERRNO(unlinkat(dfd, "g", 0x1), EINVAL);
	CHECK_EQ_INT(unlinkat(dfd, "g", 0), 0);
	CHECK_EQ_INT(unlinkat(dfd, "d", AT_REMOVEDIR), 0);
	CHECK_ERRNO(unlinkat(dfd, "d", AT_REMOVEDIR), ENOENT);
	close(dfd);
	CHECK_EQ_INT(rmdir(P("u")), 0);
}

static void symlink_and_readlink(void)
{
	char buf[64];
	struct stat st;
	int fd, dfd;

	CHECK_EQ_INT(mkdir(P("s"), 0755), 0);
	CHECK_EQ_INT(touch(P("s/target")), 0);
	CHECK_EQ_INT(symlink("target", P("s/link")), 0);
	CHECK_ERRNO(symlink("other", P("s/link")), EEXIST);
	memset(buf, 'x', sizeof(buf));
	/* No NUL is added; a short buffer truncates silently. */
	CHECK_EQ_INT(readlink(P("s/link"), buf, sizeof(buf)), 6);
	CHECK_EQ_MEM(buf, "targetx", 7);
	CHECK_EQ_INT(readlink(P("s/link"), buf, 3), 3);
	CHECK_EQ_MEM(buf, "tar", 3);
	CHECK_ERRNO(readlink(P("s/target"), buf, sizeof(buf)), EINVAL);
	CHECK_ERRNO(readlink(P("s/missing"), buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(syscall(SYS_readlink, P("s/link"), buf, 0), EINVAL);
	dfd = open(P("s"), O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(readlinkat(dfd, "link", buf, sizeof(buf)), 6);
	CHECK_EQ_MEM(buf, "target", 6);
	/* Relative targets resolve from the link's directory. */
	CHECK_EQ_INT(ino_of(P("s/link")), ino_of(P("s/target")));

	/* A dangling link: stat fails, lstat works, O_CREAT makes the target
	 * but O_CREAT|O_EXCL refuses even a dangling link. */
	CHECK_EQ_INT(symlinkat("made", dfd, "dangling"), 0);
	CHECK_ERRNO(stat(P("s/dangling"), &st), ENOENT);
	CHECK_EQ_INT(lstat(P("s/dangling"), &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_ERRNO(open(P("s/dangling"), O_RDWR | O_CREAT | O_EXCL, 0644),
		    EEXIST);
	fd = open(P("s/dangling"), O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(access(P("s/made"), F_OK), 0);

	/* A link to a directory is walked through. */
	CHECK_EQ_INT(symlink(dir, P("s/up")), 0);
	CHECK_EQ_INT(ino_of(P("s/up/s/target")), ino_of(P("s/target")));
	CHECK_EQ_INT(lstat(P("s/up/"), &st), 0); /* the slash follows it */
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERRNO(symlink("", P("s/empty")), ENOENT);
	close(dfd);
	unlink(P("s/up"));
	unlink(P("s/made"));
	unlink(P("s/dangling"));
	unlink(P("s/link"));
	unlink(P("s/target"));
	CHECK_EQ_INT(rmdir(P("s")), 0);
}

static void symlink_loops_give_eloop(void)
{
	char name[16], target[16];
	struct stat st;
	int i;

	CHECK_EQ_INT(mkdir(P("l"), 0755), 0);
	CHECK_EQ_INT(symlink("b", P("l/a")), 0);
	CHECK_EQ_INT(symlink("a", P("l/b")), 0);
	CHECK_ERRNO(open(P("l/a"), O_RDONLY), ELOOP);
	CHECK_ERRNO(stat(P("l/a"), &st), ELOOP);
	CHECK_ERRNO(access(P("l/a/x"), F_OK), ELOOP);
	CHECK_EQ_INT(lstat(P("l/a"), &st), 0);
	CHECK_EQ_INT(symlink("self", P("l/self")), 0);
	CHECK_ERRNO(open(P("l/self"), O_RDONLY | O_CREAT, 0644), ELOOP);

	/* O_NOFOLLOW refuses a final symlink (with ELOOP) but not a file. */
	CHECK_EQ_INT(touch(P("l/file")), 0);
	CHECK_EQ_INT(symlink("file", P("l/tofile")), 0);
	CHECK_ERRNO(open(P("l/tofile"), O_RDONLY | O_NOFOLLOW), ELOOP);
	i = open(P("l/file"), O_RDONLY | O_NOFOLLOW);
	CHECK(i >= 0);
	close(i);
	/* O_PATH|O_NOFOLLOW opens the link itself. */
	i = open(P("l/tofile"), O_PATH | O_NOFOLLOW);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_INT(fstat(i, &st), 0);
		CHECK(S_ISLNK(st.st_mode));
		close(i);
	}

	/* Linux follows at most 40 links in one lookup: c40 is one too many
	 * (c0 -> file, cN -> c(N-1)). */
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "l/c%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "file");
		else
			snprintf(target, sizeof(target), "c%d", i - 1);
		symlink(target, P(name));
	}
	CHECK_EQ_INT(stat(P("l/c39"), &st), 0);
	CHECK_ERRNO(stat(P("l/c40"), &st), ELOOP);
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "l/c%d", i);
		unlink(P(name));
	}
	unlink(P("l/a"));
	unlink(P("l/b"));
	unlink(P("l/self"));
	unlink(P("l/tofile"));
	unlink(P("l/file"));
	CHECK_EQ_INT(rmdir(P("l")), 0);
}

static void hard_links_share_the_inode(void)
{
	struct stat a, b;

	CHECK_EQ_INT(mkdir(P("h"), 0755), 0);
	CHECK_EQ_INT(touch(P("h/a")), 0);
	CHECK_EQ_INT(link(P("h/a"), P("h/b")), 0);
	CHECK_EQ_INT(stat(P("h/a"), &a), 0);
	CHECK_EQ_INT(stat(P("h/b"), &b), 0);
	CHECK_EQ_INT(a.st_nlink, 2);
	CHECK_EQ_INT(b.st_ino, a.st_ino);
	CHECK_ERRNO(link(P("h/a"), P("h/b")), EEXIST);
	CHECK_ERRNO(link(P("h/missing"), P("h/c")), ENOENT);
	CHECK_ERRNO(link(P("h"), P("h/dirlink")), EPERM);
	/* linkat links the symlink itself unless AT_SYMLINK_FOLLOW. */
	CHECK_EQ_INT(symlink("a", P("h/sym")), 0);
	CHECK_EQ_INT(linkat(AT_FDCWD, P("h/sym"), AT_FDCWD, P("h/s2"), 0), 0);
	CHECK_EQ_INT(lstat(P("h/s2"), &b), 0);
	CHECK(S_ISLNK(b.st_mode));
	CHECK_EQ_INT(
	    linkat(AT_FDCWD, P("h/sym"), AT_FDCWD, P("h/c"), AT_SYMLINK_FOLLOW),
	    0);
	CHECK_EQ_INT(stat(P("h/a"), &a), 0);
	CHECK_EQ_INT(a.st_nlink, 3);
	CHECK_EQ_INT(unlink(P("h/a")), 0);
	CHECK_EQ_INT(unlink(P("h/c")), 0);
	CHECK_EQ_INT(stat(P("h/b"), &b), 0);
	CHECK_EQ_INT(b.st_nlink, 1);
	unlink(P("h/b"));
	unlink(P("h/sym"));
	unlink(P("h/s2"));
	CHECK_EQ_INT(rmdir(P("h")), 0);
}

static void path_resolution_rules(void)
{
	char *longpath;
	char comp[300];
	struct stat st, root, rootdotdot;
	int fd, i;

	CHECK_EQ_INT(mkdir(P("p"), 0755), 0);
	CHECK_EQ_INT(mkdir(P("p/sub/"), 0755), 0); /* a trailing slash is ok */
	CHECK_EQ_INT(touch(P("p/sub/f")), 0);
	CHECK_EQ_INT(ino_of(P("p//sub///f")), ino_of(P("p/sub/f")));
	CHECK_EQ_INT(ino_of(P("p/sub/../sub/./f")), ino_of(P("p/sub/f")));
	CHECK_EQ_INT(ino_of(P("p/sub/..")), ino_of(P("p")));
	CHECK_EQ_INT(ino_of(P("./p/./sub/")), ino_of(P("p/sub")));
	CHECK_EQ_INT(stat("/", &root), 0);
	CHECK_EQ_INT(stat("/..", &rootdotdot), 0);
	CHECK_EQ_INT(rootdotdot.st_ino, root.st_ino);
	CHECK_EQ_INT(ino_of("//tmp/../tmp"), ino_of("/tmp"));
	/* "/.." stays at the root: a path that climbs too far still works. */
	CHECK_EQ_INT(ino_of("/../../../tmp"), ino_of("/tmp"));

	CHECK_ERRNO(stat(P("p/sub/f/"), &st), ENOTDIR);
	CHECK_ERRNO(stat(P("p/sub/f/."), &st), ENOTDIR);
	CHECK_ERRNO(open(P("p/sub/f/"), O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open(P("p/sub/new/"), O_RDWR | O_CREAT, 0644), EISDIR);
	CHECK_ERRNO(open(P("p/sub/f"), O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO(stat(P("p/sub/f/.."), &st), ENOTDIR);
	fd = open(P("p/sub/"), O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERRNO(stat("", &st), ENOENT);

	/* NAME_MAX is 255 bytes per component; PATH_MAX 4096 in all. */
	memset(comp, 'x', 256);
	comp[256] = '\0';
	longpath = malloc(PATH_MAX + 16);
	if (!longpath)
		return;
	snprintf(longpath, PATH_MAX + 16, "%s/p/%s", dir, comp);
	CHECK_ERRNO(stat(longpath, &st), ENAMETOOLONG);
	CHECK_ERRNO(mkdir(longpath, 0755), ENAMETOOLONG);
	comp[255] = '\0';
	snprintf(longpath, PATH_MAX + 16, "%s/p/%s", dir, comp);
	CHECK_ERRNO(stat(longpath, &st), ENOENT);
	CHECK_EQ_INT(touch(longpath), 0);
	CHECK_EQ_INT(unlink(longpath), 0);
	/* "././././..." longer than PATH_MAX. */
	strcpy(longpath, "/");
	for (i = 0; i < PATH_MAX / 2 + 1; i++)
		strcat(longpath + i * 2, "./");
	CHECK_ERRNO(stat(longpath, &st), ENAMETOOLONG);
	longpath[PATH_MAX - 2] = '\0'; /* 4094 bytes + NUL: fits */
	CHECK_EQ_INT(stat(longpath, &st), 0);
	free(longpath);

	unlink(P("p/sub/f"));
	rmdir(P("p/sub"));
	CHECK_EQ_INT(rmdir(P("p")), 0);
}

static void statfs_and_fstatfs(void)
{
	struct statfs a, b;
	int fd;

	CHECK_EQ_INT(statfs(dir, &a), 0);
	CHECK(a.f_bsize > 0);
	CHECK(a.f_namelen >= 255);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(fstatfs(fd, &b), 0);
	CHECK_EQ_INT(b.f_type, a.f_type);
	CHECK_EQ_INT(b.f_bsize, a.f_bsize);
	close(fd);
	CHECK_EQ_INT(statfs("/", &b), 0);
	/* Each file system its own: /proc is proc, a pipe is on pipefs. */
	CHECK_EQ_INT(statfs("/proc", &b), 0);
	CHECK_EQ_INT(b.f_type, 0x9fa0); /* PROC_SUPER_MAGIC */
	CHECK(b.f_flags & 0x20);	/* ST_VALID */
	int p[2];
	if (CHECK_EQ_INT(pipe(p), 0)) {
		CHECK_EQ_INT(fstatfs(p[0], &b), 0);
		CHECK_EQ_INT(b.f_type, 0x50495045); /* PIPEFS_MAGIC */
		close(p[0]);
		close(p[1]);
	}
	CHECK_ERRNO(statfs(P("missing"), &a), ENOENT);
	CHECK_ERRNO(fstatfs(-1, &a), EBADF);
	CHECK_ERRNO(syscall(SYS_statfs, dir, (void *)1), EFAULT);
}

int main(void)
{
	abi_init("dirs");
	snprintf(dir, sizeof(dir), "/tmp/abi-dirs-%d", (int)getpid());
	abi_rmtree(dir);
	if (!CHECK_EQ_INT(mkdir(dir, 0755), 0))
		return abi_done();
	umask(022);

	ABI_RUN(mkdir_rmdir_and_link_counts);
	ABI_RUN(getdents64_lists_every_entry);
	ABI_RUN(readdir_and_rewinddir);
	ABI_RUN(chdir_fchdir_getcwd);
	ABI_RUN(rename_and_renameat2);
	ABI_RUN(unlink_and_unlinkat);
	ABI_RUN(symlink_and_readlink);
	ABI_RUN(symlink_loops_give_eloop);
	ABI_RUN(hard_links_share_the_inode);
	ABI_RUN(path_resolution_rules);
	ABI_RUN(statfs_and_fstatfs);

	/* Every case removed its own files: the directory must be empty. */
	CHECK_EQ_INT(rmdir(dir), 0);
	abi_rmtree(dir);
	return abi_done();
}
