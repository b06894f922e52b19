/*
 * Disks: `osprey run --disk` attaches raw image files as virtio-blk
 * devices (/dev/vda, /dev/vdb, ... in the guest, in the order given),
 * and `osprey disk` makes, checks and fills ext4 images with Debian's
 * e2fsprogs (mke2fs, e2fsck, debugfs), so no file system writer of ours
 * stands between the user and a format other tools read.
 *
 * --disk FILE[:PATH][:SIZE][,ro][,cache=writeback|none|unsafe]
 *   FILE that does not exist is made (sparse) when SIZE is given
 *   (a number with K, M, G or T), and formatted with mke2fs -t ext4 when
 *   PATH is given too; PATH, the guest directory to mount it on, goes to
 *   the kernel as --mount=vdX:PATH[,ro] (fs/ext4_vfs.c mounts it at
 *   boot, making the directory). cache= is QEMU's host cache mode (default writeback: the host's
 *   page cache, flushed when the guest flushes; none: O_DIRECT on the
 *   host, which some host file systems refuse).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

/* SIZE with an optional K/M/G/T suffix (powers of 1024); false if bad. */
static bool parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	char *end;
	unsigned long long v;
	const char *sfx;

	errno = 0;
	if (!*s || *s == '-')
		return false;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end && (sfx = strchr(suffixes, *end & ~0x20)) && !end[1]) {
		for (long i = 0; i <= sfx - suffixes; i++) {
			if (v > UINT64_MAX / 1024)
				return false;
			v *= 1024;
		}
		end++;
	}
	if (*end || v == 0 || v % 512)
		return false;
	*out = v;
	return true;
}

/* ",ro" and ",cache=..." at the end of spec; cut off. */
static void parse_flags(char *spec, struct disk *d)
{
	char *comma;

	d->cache = "writeback";
	while ((comma = strrchr(spec, ','))) {
		const char *f = comma + 1;

		if (!strcmp(f, "ro"))
			d->ro = true;
		else if (!strcmp(f, "cache=writeback") ||
			 !strcmp(f, "cache=none") || !strcmp(f, "cache=unsafe"))
			d->cache = f + 6;
		else
			fail(FAIL_USAGE,
			     "--disk: unknown option '%s' (ro, "
			     "cache=writeback|none|unsafe)",
			     f);
		*comma = '\0';
	}
}

void disk_add(struct disk_options *o, const char *arg)
{
	char *spec = xstrdup(arg), *last;
	struct disk d = {0};

	parse_flags(spec, &d);
	/* FILE[:PATH][:SIZE], from the end: a SIZE, then a PATH */
	last = strrchr(spec, ':');
	if (last && last[1] != '/') {
		if (!parse_size(last + 1, &d.size))
			fail(FAIL_USAGE,
			     "--disk %s: SIZE must be a multiple of 512 bytes "
			     "with K, M, G or T, like 64M",
			     arg);
		*last = '\0';
		last = strrchr(spec, ':');
	}
	if (last) {
		if (last[1])
			d.path = last + 1;
		*last = '\0';
	}
	if (!*spec)
		fail(FAIL_USAGE, "--disk %s: no FILE", arg);
	if (d.path && strpbrk(d.path, ",: \t\n'\"\\"))
		fail(FAIL_USAGE,
		     "--disk %s: the mount point %s may not hold commas, "
		     "colons, blanks, quotes or backslashes",
		     arg, d.path);
	d.file = spec;
	o->disks = xrealloc(o->disks, (o->n + 1) * sizeof(*o->disks));
	o->disks[o->n++] = d;
}



static int make_ext4(const char *file)
{
	char *mk[] = {"mke2fs", "-q", "-F", "-t", "ext4", (char *)file, NULL};

	return spawn(mk);
}

/* A sparse raw file of d->size (ext4 when it is to be mounted), or the
 * existing one. */
static void disk_prepare(const struct disk *d)
{
	struct stat st;
	int fd;

	if (stat(d->file, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			fail(FAIL_USAGE, "--disk %s: not a file", d->file);
		if (d->size && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size != d->size)
			note("--disk %s: exists with %lld bytes; SIZE ignored",
			     d->file, (long long)st.st_size);
		return;
	}
	if (errno != ENOENT)
		fail(FAIL_OTHER, "--disk %s: %s", d->file, strerror(errno));
	if (!d->size)
		fail(FAIL_NOTFOUND,
		     "--disk %s: no such file (give a size to make one: "
		     "--disk %s::64M)",
		     d->file, d->file);
	fd = open(d->file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)d->size))
		fail(FAIL_OTHER, "--disk %s: cannot make it: %s", d->file,
		     strerror(errno));
	close(fd);
	note("made %s, %llu bytes (raw, sparse)", d->file,
	     (unsigned long long)d->size);
	if (d->path && make_ext4(d->file)) {
		unlink(d->file);
		fail(FAIL_OTHER, "--disk %s: mke2fs failed", d->file);
	}
}

void disk_kernel_options(const struct disk_options *o, struct strbuf *sb)
{
	for (size_t k = 0; k < o->n; k++) {
		if (!o->disks[k].path)
			continue;
		char *opt = xasprintf(" --mount=vd%c:%s%s", (char)('a' + k),
				      o->disks[k].path,
				      o->disks[k].ro ? ",ro" : "");
		sb_puts(sb, opt);
		free(opt);
	}
}

int disk_qemu_args(const struct disk_options *o, const char *machine, char **v,
		   int i)
{
	bool mmio = !strcmp(machine, "microvm");

	for (size_t k = 0; k < o->n; k++) {
		const struct disk *d = &o->disks[k];

		disk_prepare(d);
		v[i++] = "-drive";
		v[i++] = xasprintf("file=%s,if=none,id=disk%zu,format=raw,"
				   "cache=%s%s",
				   commas_doubled(d->file), k, d->cache,
				   d->ro ? ",readonly=on" : "");
		v[i++] = "-device";
		v[i++] =
		    xasprintf("%s,drive=disk%zu",
			      mmio ? "virtio-blk-device" : "virtio-blk-pci", k);
		note("disk: %s as /dev/vd%c (%s, cache=%s%s)", d->file,
		     (char)('a' + k),
		     mmio ? "virtio-blk-device" : "virtio-blk-pci", d->cache,
		     d->ro ? ", read-only" : "");
	}
	if (o->n && mmio) {
		v[i++] = "-global";
		v[i++] = "virtio-mmio.force-legacy=false";
	}
	return i;
}

/* ---- osprey disk ---- */
static const char disk_usage[] =
    "usage: osprey disk create FILE SIZE [--ext4]\n"
    "       osprey disk check FILE\n"
    "       osprey disk cp HOSTFILE FILE:GUESTPATH    (into the image)\n"
    "       osprey disk cp FILE:GUESTPATH HOSTFILE    (out of it)\n"
    "\n"
    "create makes a raw image of SIZE (K, M, G, T), with --ext4 formatted\n"
    "by mke2fs; check runs e2fsck -fn (exit status 0: clean); cp copies a\n"
    "file with debugfs. The tools are Debian's e2fsprogs (tools/deps.sh).\n";

/* Runs argv, its output on ours; its exit status (127: not found). */
int spawn(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		fail(FAIL_OTHER, "fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr,
			"osprey: %s: %s (Debian: apt-get install "
			"e2fsprogs)\n",
			argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail(FAIL_OTHER, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int disk_create(int argc, char **argv)
{
	struct disk d = {.cache = "writeback"};
	bool ext4 = argc == 3 && !strcmp(argv[2], "--ext4");

	if ((argc != 2 && !ext4) || !parse_size(argv[1], &d.size))
		fail(FAIL_USAGE, "%s", disk_usage);
	d.file = argv[0];
	if (access(d.file, F_OK) == 0)
		fail(FAIL_USAGE, "disk create: %s exists", d.file);
	disk_prepare(&d);
	if (!ext4)
		return 0;
	return make_ext4(argv[0]);
}

static int disk_check(int argc, char **argv)
{
	if (argc != 1)
		fail(FAIL_USAGE, "%s", disk_usage);
	char *ck[] = {"e2fsck", "-fn", argv[0], NULL};
	return spawn(ck);
}

/* "FILE:GUESTPATH" (the last ":/") split; NULL if not one. */
static char *split_image(char *s)
{
	char *sep = NULL;

	for (char *p = strstr(s, ":/"); p; p = strstr(p + 1, ":/"))
		sep = p;
	if (!sep || sep == s)
		return NULL;
	*sep = '\0';
	return sep + 1;
}

static int disk_cp(int argc, char **argv)
{
	char *src, *dst, *in_image, *cmd;

	if (argc != 2)
		fail(FAIL_USAGE, "%s", disk_usage);
	src = xstrdup(argv[0]);
	dst = xstrdup(argv[1]);
	if ((in_image = split_image(dst)) && access(src, R_OK) == 0) {
		/* debugfs's request language: a name with a space or a quote
		 * cannot be said; refuse it rather than mangle it */
		if (strpbrk(src, " \"\n") || strpbrk(in_image, " \"\n"))
			fail(FAIL_USAGE, "disk cp: names with spaces or quotes "
					 "are not supported");
		cmd = xasprintf("write %s %s", src, in_image);
		char *w[] = {"debugfs", "-w", "-R", cmd, dst, NULL};
		return spawn(w);
	}
	if ((in_image = split_image(src))) {
		if (strpbrk(dst, " \"\n") || strpbrk(in_image, " \"\n"))
			fail(FAIL_USAGE, "disk cp: names with spaces or quotes "
					 "are not supported");
		cmd = xasprintf("dump %s %s", in_image, dst);
		char *r[] = {"debugfs", "-R", cmd, src, NULL};
		int rc = spawn(r);
		return rc ? rc : access(dst, F_OK) ? 1 : 0;
	}
	fail(FAIL_USAGE, "disk cp: one side must be IMAGE:/PATH\n%s",
	     disk_usage);
}

int disk_main(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "create"))
		return disk_create(argc - 2, argv + 2);
	if (!strcmp(sub, "check"))
		return disk_check(argc - 2, argv + 2);
	if (!strcmp(sub, "cp"))
		return disk_cp(argc - 2, argv + 2);
	fputs(disk_usage, !strcmp(sub, "--help") ? stdout : stderr);
	return !strcmp(sub, "--help") ? 0 : 2;
}
