/*
 * Self-tests of /proc: the text of cpuinfo, meminfo, version and the
 * sysctl files in Linux's formats, what stat, getdents, lseek and pread
 * show of them, that nothing there can be written or made, and, with a
 * pid lent to the tests (no application runs), /proc/self with its
 * status, fd links (to files, a deleted file, a pipe, an eventfd) and
 * cwd.
 */
#include "arch/x86_64/arch.h"
#include "fs/poll.h"
#include "kernel/mm/mm.h"
#include "kernel/tests/selftest.h"
#include "linux/process.h"

#define TEXT_MAX (256 * 1024)

/* The whole text of path (NUL-terminated) in a new buffer; NULL if it
 * cannot be read. */
static char *slurp(const char *path, int64_t *len)
{
	char *buf = malloc(TEXT_MAX + 1);
	struct file *f;
	int64_t n = 0, r;

	if (!buf)
		return NULL;
	if (vfs_openat(NULL, path, O_RDONLY, 0, &f)) {
		kprintf("  cannot open %s\n", path);
		free(buf);
		return NULL;
	}
	while (n < TEXT_MAX && (r = vfs_read(f, buf + n, 1000)) > 0)
		n += r;
	file_put(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static unsigned count(const char *text, const char *what)
{
	unsigned n = 0;
	size_t len = strlen(what);

	for (const char *p = text; *p; p++)
		n += !strncmp(p, what, len);
	return n;
}

static bool has(const char *text, const char *what)
{
	return text && count(text, what) > 0;
}

static bool starts(const char *text, const char *what)
{
	return text && !strncmp(text, what, strlen(what));
}

/* The number after `label` in text, or -1. */
static int64_t number_after(const char *text, const char *label)
{
	size_t len = strlen(label);
	int64_t v = 0;

	for (const char *p = text; p && *p; p++) {
		if (strncmp(p, label, len))
			continue;
		for (p += len; *p == ' ' || *p == '\t'; p++)
			;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		return v;
	}
	return -1;
}

static bool link_is(const char *path, const char *want)
{
	char buf[256];
	int n = vfs_readlinkat(NULL, path, buf, sizeof(buf) - 1);

	if (n < 0) {
		kprintf("  readlink %s: error %d, expected %s\n", path, n,
			want);
		return false;
	}
	buf[n] = '\0';
	if (strcmp(buf, want))
		kprintf("  readlink %s: '%s', expected '%s'\n", path, buf,
			want);
	return !strcmp(buf, want);
}

/* Whether the directory lists `name`. */
static bool lists(const char *dir, const char *name)
{
	char *buf = malloc(8192);
	struct file *f;
	bool found = false;
	int n;

	if (!buf || vfs_openat(NULL, dir, O_RDONLY | O_DIRECTORY, 0, &f)) {
		free(buf);
		return false;
	}
	while (!found && (n = vfs_getdents64(f, buf, 8192)) > 0) {
		for (int off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			found |= !strcmp(d->d_name, name);
			off += d->d_reclen;
		}
	}
	file_put(f);
	free(buf);
	return found;
}

static int cpuinfo(void)
{
	char *t = slurp("/proc/cpuinfo", NULL);
	int failures = 0;

	CHECK(t);
	CHECK(starts(t, "processor\t: 0\nvendor_id\t: "));
	CHECK_EQ(count(t, "processor\t: "), cpu_count);
	CHECK_EQ(count(t, "\nmodel name\t: "), cpu_count);
	CHECK_EQ(count(t, "\ncpu MHz\t\t: "), cpu_count);
	CHECK_EQ(count(t, "\nflags\t\t: fpu "), cpu_count);
	CHECK(has(t, " sse2 "));
	CHECK(has(t, " lm "));
	CHECK_EQ(number_after(t, "\nsiblings\t:"), cpu_count);
	CHECK(has(t, " bits physical, "));
	CHECK(has(t, "\npower management:\n\n"));
	free(t);
	return failures;
}

static int meminfo(void)
{
	char *t = slurp("/proc/meminfo", NULL);
	struct mm_stats m;
	int failures = 0;

	mm_get_stats(&m);
	CHECK(t);
	CHECK(starts(t, "MemTotal:       "));
	CHECK_EQ(number_after(t, "MemTotal:"), m.total_pages * 4);
	CHECK(number_after(t, "\nMemFree:") > 0);
	CHECK(number_after(t, "\nMemAvailable:") > 0);
	CHECK(has(t, "\nSwapTotal:             0 kB\n"));
	CHECK(has(t, "\nHugepagesize:       2048 kB\n"));
	free(t);
	return failures;
}

static int small_files(void)
{
	char *t = slurp("/proc/version", NULL);
	int failures = 0;

	CHECK(starts(t, "Linux version 6.1.0-osprey ("));
	free(t);
	t = slurp("/proc/sys/kernel/ostype", NULL);
	CHECK(t && !strcmp(t, "Linux\n"));
	free(t);
	t = slurp("/proc/sys/kernel/osrelease", NULL);
	CHECK(t && !strcmp(t, "6.1.0-osprey\n"));
	free(t);
	t = slurp("/proc/sys/vm/overcommit_memory", NULL);
	CHECK(t && !strcmp(t, "0\n"));
	free(t);
	t = slurp("/proc/stat", NULL);
	CHECK(starts(t, "cpu  "));
	CHECK_EQ(count(t, "\ncpu"), cpu_count);
	CHECK(number_after(t, "\nbtime") > 1000000000);
	free(t);
	t = slurp("/proc/uptime", NULL);
	CHECK(t && count(t, ".") == 2 && t[strlen(t) - 1] == '\n');
	free(t);
	t = slurp("/proc/mounts", NULL);
	CHECK(has(t, "rootfs / ramfs rw 0 0\n"));
	CHECK(has(t, "proc /proc proc rw 0 0\n"));
	CHECK(has(t, "devtmpfs /dev devtmpfs rw 0 0\n"));
	CHECK(has(t, "devpts /dev/pts devpts rw 0 0\n"));
	free(t);

	return failures;
}

/* stat, lseek, pread, a new text at offset 0, and what is refused. */
static int file_semantics(void)
{
	char a[64], b[64];
	struct file *f;
	struct kstat st;
	int failures = 0;

	CHECK_EQ(vfs_statat(NULL, "/proc/cpuinfo", &st, 0), 0);
	CHECK_EQ(st.mode, S_IFREG | 0444);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(vfs_statat(NULL, "/proc/sys", &st, 0), 0);
	CHECK_EQ(st.mode, S_IFDIR | 0555);
	CHECK_EQ(vfs_openat(NULL, "/proc/meminfo", O_WRONLY, 0, &f), -EACCES);
	CHECK_EQ(vfs_openat(NULL, "/proc/new", O_CREAT | O_RDWR, 0644, &f),
		 -EACCES);
	CHECK_EQ(vfs_mkdirat(NULL, "/proc/sys/new", 0755), -EACCES);
	CHECK_EQ(vfs_unlinkat(NULL, "/proc/cpuinfo", 0), -EPERM);
	/* another mount: Linux's -EXDEV */
	CHECK_EQ(vfs_renameat(NULL, "/proc/version", NULL, "/tmp/v", 0),
		 -EXDEV);
	CHECK_EQ(vfs_renameat(NULL, "/proc/version", NULL, "/proc/v", 0),
		 -EPERM);

	if (vfs_openat(NULL, "/proc/sys/kernel/random/uuid", O_RDONLY, 0, &f))
		return failures + 1;
	CHECK_EQ(vfs_read(f, a, 37), 37);
	CHECK_EQ(a[8], '-');
	CHECK_EQ(a[14], '4'); /* version 4 */
	CHECK_EQ(vfs_pread(f, b, 10, 5), 10);
	CHECK(!memcmp(a + 5, b, 10)); /* the same snapshot */
	CHECK_EQ(vfs_lseek(f, 0, SEEK_END), -EINVAL);
	CHECK_EQ(vfs_lseek(f, 0, SEEK_SET), 0);
	CHECK_EQ(vfs_read(f, b, 37), 37); /* offset 0 again: a new one */
	CHECK(memcmp(a, b, 36));
	file_put(f);

	CHECK(lists("/proc", "cpuinfo"));
	CHECK(lists("/proc", "self"));
	CHECK(lists("/proc/sys/kernel/random", "boot_id"));
	return failures;
}

/* /proc/self and /proc/<pid>, with a pid lent while no program runs. */
static int self_links(int pid)
{
	char path[64], want[64];
	struct file *f, *g, *rd, *wr;
	struct kstat st, st2;
	int failures = 0, fd, pfd;
	char *t;

	snprintf(want, sizeof(want), "%d", pid);
	CHECK(link_is("/proc/self", want));
	CHECK(lists("/proc", want));
	t = slurp("/proc/self/status", NULL);
	CHECK(starts(t, "Name:\t"));
	CHECK_EQ(number_after(t, "\nPid:"), pid);
	CHECK_EQ(number_after(t, "\nPPid:"), 1);
	free(t);
	t = slurp("/proc/self/stat", NULL);
	CHECK_EQ(number_after(t, ""), pid);
	free(t);
	CHECK(link_is("/proc/self/cwd", "/"));
	CHECK(link_is("/proc/self/root", "/"));

	/* an fd link to a file: readlink, open through it, list, close */
	if (vfs_openat(NULL, "/tmp/procfs_x", O_CREAT | O_RDWR, 0644, &f))
		return failures + 1;
	CHECK_EQ(vfs_fstat(f, &st), 0);
	fd = fd_install(f, 10, false);
	CHECK(fd >= 10);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(link_is(path, "/tmp/procfs_x"));
	snprintf(want, sizeof(want), "%d", fd);
	CHECK(lists("/proc/self/fd", want));
	g = fd_get(0);
	CHECK(lists("/proc/self/fd/", "0") == (g != NULL));
	if (g)
		file_put(g);
	CHECK_EQ(vfs_openat(NULL, path, O_RDONLY, 0, &g), 0);
	if (g) {
		CHECK_EQ(vfs_fstat(g, &st2), 0);
		CHECK_EQ(st2.ino, st.ino);
		file_put(g);
	}
	CHECK_EQ(vfs_statat(NULL, path, &st2, AT_SYMLINK_NOFOLLOW), 0);
	CHECK_EQ(st2.mode & S_IFMT, S_IFLNK);
	CHECK_EQ(vfs_unlinkat(NULL, "/tmp/procfs_x", 0), 0);
	snprintf(want, sizeof(want), "/%lu (deleted)", st.ino);
	CHECK(link_is(path, want));
	CHECK_EQ(fd_close(fd), 0);
	CHECK_EQ(vfs_readlinkat(NULL, path, want, sizeof(want)), -ENOENT);
	CHECK(!lists("/proc/self/fd", "10"));

	/* a pipe: its name, and open through the link gives its end */
	if (pipe_create(0, &rd, &wr))
		return failures + 1;
	pfd = fd_install(rd, 10, false);
	CHECK_EQ(vfs_fstat(rd, &st), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	snprintf(want, sizeof(want), "pipe:[%lu]", st.ino);
	CHECK(link_is(path, want));
	CHECK_EQ(vfs_statat(NULL, path, &st2, 0), 0);
	CHECK_EQ(st2.mode & S_IFMT, S_IFIFO);
	CHECK_EQ(vfs_openat(NULL, path, O_WRONLY, 0, &g), -EACCES);
	CHECK_EQ(vfs_openat(NULL, path, O_RDONLY, 0, &g), 0);
	if (g) {
		CHECK(g == rd);
		file_put(g);
	}
	CHECK_EQ(fd_close(pfd), 0);
	file_put(wr);
	if (eventfd_create(0, 0, &f))
		return failures + 1;
	fd = fd_install(f, 10, false);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(link_is(path, "anon_inode:[eventfd]"));
	CHECK_EQ(fd_close(fd), 0);
	return failures;
}

static int procfs_test(void)
{
	int failures = cpuinfo() + meminfo() + small_files() + file_semantics();
	char name[16];

	if (current_process()->pid)
		return failures; /* a program runs: its /proc is its own */
	CHECK_EQ(vfs_readlinkat(NULL, "/proc/self", name, sizeof(name)),
		 -ENOENT);
	current_process()->pid = 4242;
	failures += self_links(4242);
	current_process()->pid = 0;
	CHECK(!lists("/proc", "4242")); /* gone, and freed */
	CHECK_EQ(vfs_statat(NULL, "/proc/4242", &(struct kstat){0}, 0),
		 -ENOENT);
	return failures;
}
SELFTEST("procfs", procfs_test);
