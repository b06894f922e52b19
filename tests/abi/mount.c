/*
 * mount(2) and umount2(2) (man 2 mount, man 2 umount): a tmpfs mounted,
 * used, made read-only and back, refused while busy, unmounted (its
 * files go with it), detached while busy; the errors Linux gives; and
 * /proc/self/mountinfo and /proc/mounts following each step. With a
 * block device and a directory as arguments (`mount /dev/vda /mnt`: a
 * scratch ext4 disk, its contents overwritten), the same for ext4, and
 * that what was written survives an umount. Needs CAP_SYS_ADMIN (as
 * root); without it only the EPERM is checked.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#define DIR_ "/tmp/abi-mount"
#define SUB DIR_ "/sub"

static char text[1 << 16];

static const char *slurp(const char *path)
{
	return abi_slurp(path, text, sizeof(text)) < 0 ? NULL : text;
}

/* The options ("rw,..." or "ro,...") of /proc/mounts' line for mount
 * point `at` of type `type`, or NULL. */
static const char *mounts_opts(const char *at, const char *type)
{
	static char opts[256];
	char want[256];
	const char *t = slurp("/proc/mounts"), *l, *end;

	snprintf(want, sizeof(want), " %s %s ", at, type);
	for (l = t; l && *l; l = end + 1) {
		const char *hit = strstr(l, want);

		end = strchr(l, '\n');
		if (!end)
			break;
		if (hit && hit < end) {
			size_t n = (size_t)(end - hit - strlen(want));

			snprintf(opts, sizeof(opts), "%.*s", (int)n,
				 hit + strlen(want));
			return opts;
		}
	}
	return NULL;
}

/* Whether mountinfo's line for `at` says `type` and options ro/rw. */
static int mountinfo_has(const char *at, const char *type, const char *rw)
{
	char want_at[128], want_type[64];
	const char *info = slurp("/proc/self/mountinfo");

	snprintf(want_at, sizeof(want_at), " %s %s", at, rw);
	snprintf(want_type, sizeof(want_type), " - %s ", type);
	for (const char *l = info; l && *l; l = strchr(l, '\n') + 1) {
		const char *end = strchr(l, '\n');

		if (!end)
			break;
		if (memmem(l, end - l, want_at, strlen(want_at)) &&
		    memmem(l, end - l, want_type, strlen(want_type)))
			return 1;
	}
	return 0;
}

static dev_t dev_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? (dev_t)-1 : st.st_dev;
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, s, strlen(s)), (long)strlen(s));
	CHECK_EQ_INT(close(fd), 0);
}

static void tmpfs_mounts_and_unmounts(void)
{
	struct stat st;

	mkdir(DIR_, 0755);
	CHECK_EQ_INT(mount("abi-tmp", DIR_, "tmpfs", 0, "mode=0710"), 0);
	CHECK(dev_of(DIR_) != dev_of("/tmp"));
	CHECK_EQ_INT(stat(DIR_, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0710);
	CHECK(mountinfo_has(DIR_, "tmpfs", "rw"));
	CHECK(mounts_opts(DIR_, "tmpfs") != NULL);
	write_file(DIR_ "/f", "hello");
	CHECK_EQ_INT(umount2(DIR_, 0), 0);
	CHECK(!mountinfo_has(DIR_, "tmpfs", "rw"));
	CHECK(dev_of(DIR_) == dev_of("/tmp"));
	CHECK_ERRNO(stat(DIR_ "/f", &st), ENOENT);
}

static void busy_mount_is_ebusy(void)
{
	int fd;

	CHECK_EQ_INT(mount("abi-tmp", DIR_, "tmpfs", 0, NULL), 0);
	fd = open(DIR_ "/f", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_ERRNO(umount2(DIR_, 0), EBUSY);
	CHECK_ERRNO(umount2(DIR_, MNT_FORCE), EBUSY);
	CHECK_EQ_INT(close(fd), 0);
	CHECK_EQ_INT(chdir(DIR_), 0);
	CHECK_ERRNO(umount2(DIR_, 0), EBUSY);
	CHECK_EQ_INT(chdir("/"), 0);
	/* a mount on one of its directories */
	CHECK_EQ_INT(mkdir(SUB, 0755), 0);
	CHECK_EQ_INT(mount("abi-sub", SUB, "tmpfs", 0, NULL), 0);
	CHECK_ERRNO(umount2(DIR_, 0), EBUSY);
	CHECK_EQ_INT(umount2(SUB, 0), 0);
	CHECK_EQ_INT(umount2(DIR_, 0), 0);
}

static void remount_read_only_and_back(void)
{
	struct statvfs sv;

	CHECK_EQ_INT(mount("abi-tmp", DIR_, "tmpfs", 0, NULL), 0);
	write_file(DIR_ "/f", "x");
	CHECK_EQ_INT(mount(NULL, DIR_, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	CHECK_ERRNO(open(DIR_ "/g", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERRNO(open(DIR_ "/f", O_WRONLY), EROFS);
	CHECK_ERRNO(mkdir(DIR_ "/d", 0755), EROFS);
	CHECK_EQ_INT(statvfs(DIR_, &sv), 0);
	CHECK(sv.f_flag & ST_RDONLY);
	CHECK(mountinfo_has(DIR_, "tmpfs", "ro"));
	CHECK_EQ_INT(mount(NULL, DIR_, NULL, MS_REMOUNT, NULL), 0);
	CHECK(mountinfo_has(DIR_, "tmpfs", "rw"));
	write_file(DIR_ "/g", "y");
	CHECK_EQ_INT(umount2(DIR_, 0), 0);
	/* mounted read-only from the start */
	CHECK_EQ_INT(mount("abi-tmp", DIR_, "tmpfs", MS_RDONLY, NULL), 0);
	CHECK_ERRNO(mkdir(DIR_ "/d", 0755), EROFS);
	CHECK_EQ_INT(umount2(DIR_, 0), 0);
}

static void detach_takes_a_busy_mount_away(void)
{
	char buf[8] = {0};
	int fd;

	CHECK_EQ_INT(mount("abi-tmp", DIR_, "tmpfs", 0, NULL), 0);
	write_file(DIR_ "/f", "kept");
	fd = open(DIR_ "/f", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(umount2(DIR_, MNT_DETACH), 0);
	CHECK(!mountinfo_has(DIR_, "tmpfs", "rw"));
	CHECK(access(DIR_ "/f", F_OK) != 0);
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), 4); /* still readable */
	CHECK_EQ_STR(buf, "kept");
	CHECK_EQ_INT(close(fd), 0);
}

static void errors_as_linux(void)
{
	CHECK_ERRNO(umount2(DIR_, 0), EINVAL); /* not a mount */
	CHECK_ERRNO(umount2("/tmp/abi-mount-none", 0), ENOENT);
	CHECK_ERRNO(umount2(DIR_, 0x100), EINVAL);
	CHECK_ERRNO(umount2(DIR_, MNT_EXPIRE | MNT_DETACH), EINVAL);
	CHECK_ERRNO(mount("x", DIR_, "abi-no-such-fs", 0, NULL), ENODEV);
	CHECK_ERRNO(mount("x", "/tmp/abi-mount-none", "tmpfs", 0, NULL),
		    ENOENT);
	write_file("/tmp/abi-mount-file", "f");
	CHECK_ERRNO(mount("x", "/tmp/abi-mount-file", "tmpfs", 0, NULL),
		    ENOTDIR);
	CHECK_ERRNO(mount("/tmp/abi-mount-file", DIR_, "ext4", 0, NULL),
		    ENOTBLK);
	CHECK_ERRNO(mount("/tmp/abi-mount-none", DIR_, "ext4", 0, NULL),
		    ENOENT);
	CHECK_ERRNO(mount(NULL, DIR_, NULL, MS_REMOUNT, NULL), EINVAL);
	CHECK_ERRNO(mount("x", DIR_, "tmpfs", 0, "abi-no-such-option"), EINVAL);
	CHECK_EQ_INT(unlink("/tmp/abi-mount-file"), 0);
}

static void unprivileged_is_eperm(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		if (mount("x", "/tmp", "tmpfs", 0, NULL) == 0)
			_exit(3);
		if (errno != EPERM)
			_exit(4);
		_exit(umount2("/tmp", 0) == -1 && errno == EPERM ? 0 : 5);
	}
	CHECK(pid > 0);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(status, 0);
}

static void eperm_without_root(void)
{
	CHECK_ERRNO(mount("x", "/tmp", "tmpfs", 0, NULL), EPERM);
	CHECK_ERRNO(umount2("/tmp", 0), EPERM);
}

/* ext4 on a scratch block device, mounted at mnt. */
static const char *ext4_dev, *ext4_mnt;

static void ext4_keeps_data_across_umount(void)
{
	char buf[16] = {0}, path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/abi-mount-f", ext4_mnt);
	mkdir(ext4_mnt, 0755);
	CHECK_EQ_INT(mount(ext4_dev, ext4_mnt, "ext4", 0, NULL), 0);
	CHECK(mountinfo_has(ext4_mnt, "ext4", "rw"));
	CHECK(strstr(slurp("/proc/mounts"), ext4_dev) != NULL);
	write_file(path, "on disk");
	CHECK_EQ_INT(mount(NULL, ext4_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL),
		     0);
	CHECK_ERRNO(open(path, O_WRONLY), EROFS);
	CHECK_EQ_INT(mount(NULL, ext4_mnt, NULL, MS_REMOUNT, NULL), 0);
	fd = open(path, O_RDONLY);
	CHECK_ERRNO(umount2(ext4_mnt, 0), EBUSY);
	CHECK_EQ_INT(close(fd), 0);
	CHECK_EQ_INT(umount2(ext4_mnt, 0), 0);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ_INT(mount(ext4_dev, ext4_mnt, "ext4", MS_RDONLY, NULL), 0);
	CHECK(mountinfo_has(ext4_mnt, "ext4", "ro"));
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ_INT(read(fd, buf, sizeof(buf)), 7);
	CHECK_EQ_STR(buf, "on disk");
	CHECK_EQ_INT(close(fd), 0);
	CHECK_EQ_INT(umount2(ext4_mnt, 0), 0);
}

int main(int argc, char **argv)
{
	abi_init("mount");
	if (geteuid() != 0) {
		ABI_RUN(eperm_without_root);
		return abi_done();
	}
	/* first: a child's setresuid leaves this process root */
	ABI_RUN(unprivileged_is_eperm);
	ABI_RUN(tmpfs_mounts_and_unmounts);
	ABI_RUN(busy_mount_is_ebusy);
	ABI_RUN(remount_read_only_and_back);
	ABI_RUN(detach_takes_a_busy_mount_away);
	ABI_RUN(errors_as_linux);
	if (argc == 3) {
		ext4_dev = argv[1];
		ext4_mnt = argv[2];
		ABI_RUN(ext4_keeps_data_across_umount);
	}
	rmdir(DIR_);
	return abi_done();
}
