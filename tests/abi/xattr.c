/*
 * Extended attributes (man 7 xattr, man 2 getxattr ...) on a tmpfs-like
 * file system: /dev/shm, which is tmpfs on the host and ramfs in Osprey.
 * The user namespace on files, directories and symlinks, the size and
 * flag rules, and the three forms (path, l-path, fd).
 */
#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static char dir[64], file[96], link_path[96], sub[96];

static void set_get_list_remove(void)
{
	char buf[64];

	CHECK_EQ_INT(listxattr(file, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(setxattr(file, "user.a", "hello", 5, 0), 0);
	CHECK_EQ_INT(getxattr(file, "user.a", NULL, 0), 5);
	CHECK_EQ_INT(getxattr(file, "user.a", buf, sizeof(buf)), 5);
	CHECK_EQ_MEM(buf, "hello", 5);
	CHECK_ERRNO(getxattr(file, "user.a", buf, 2), ERANGE);
	CHECK_EQ_INT(setxattr(file, "user.b", "", 0, 0), 0);
	CHECK_EQ_INT(getxattr(file, "user.b", buf, sizeof(buf)), 0);
	CHECK_EQ_INT(listxattr(file, NULL, 0), 14);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_INT(listxattr(file, buf, sizeof(buf)), 14);
	/* Order is the file system's: look for both names. */
	CHECK(!strcmp(buf, "user.a") || !strcmp(buf + 7, "user.a"));
	CHECK(!strcmp(buf, "user.b") || !strcmp(buf + 7, "user.b"));
	CHECK_ERRNO(listxattr(file, buf, 3), ERANGE);
	CHECK_EQ_INT(removexattr(file, "user.a"), 0);
	CHECK_ERRNO(removexattr(file, "user.a"), ENODATA);
	CHECK_ERRNO(getxattr(file, "user.a", buf, sizeof(buf)), ENODATA);
	CHECK_EQ_INT(listxattr(file, buf, sizeof(buf)), 7);
	CHECK_EQ_INT(removexattr(file, "user.b"), 0);
}

static void create_and_replace_flags(void)
{
	char buf[8];

	CHECK_ERRNO(setxattr(file, "user.f", "1", 1, XATTR_REPLACE), ENODATA);
	CHECK_EQ_INT(setxattr(file, "user.f", "1", 1, XATTR_CREATE), 0);
	CHECK_ERRNO(setxattr(file, "user.f", "2", 1, XATTR_CREATE), EEXIST);
	CHECK_EQ_INT(setxattr(file, "user.f", "22", 2, XATTR_REPLACE), 0);
	CHECK_EQ_INT(getxattr(file, "user.f", buf, sizeof(buf)), 2);
	CHECK_ERRNO(setxattr(file, "user.f", "3", 1, 4), EINVAL);
	CHECK_EQ_INT(removexattr(file, "user.f"), 0);
}

static void names_and_sizes_are_checked(void)
{
	char longname[300], buf[8];
	static char big[65537];

	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "user.", 5);
	longname[256] = '\0';
	CHECK_ERRNO(setxattr(file, longname, "v", 1, 0), ERANGE);
	CHECK_ERRNO(getxattr(file, longname, buf, sizeof(buf)), ERANGE);
	CHECK_ERRNO(setxattr(file, "", "v", 1, 0), ERANGE);
	CHECK_ERRNO(setxattr(file, "user.big", big, sizeof(big), 0), E2BIG);
	CHECK_EQ_INT(setxattr(file, "user.max", big, 65536, 0), 0);
	CHECK_EQ_INT(getxattr(file, "user.max", NULL, 0), 65536);
	CHECK_EQ_INT(removexattr(file, "user.max"), 0);
	CHECK_ERRNO(setxattr(file, "osprey.unknown", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERRNO(getxattr(file, "osprey.unknown", buf, sizeof(buf)),
		    EOPNOTSUPP);
	CHECK_ERRNO(getxattr("/dev/shm/no/such", "user.a", buf, 8), ENOENT);
	CHECK_ERRNO(syscall(SYS_getxattr, file, "user.a", 1L, 8L), ENODATA);
	CHECK_EQ_INT(setxattr(file, "user.a", "v", 1, 0), 0);
	CHECK_ERRNO(syscall(SYS_getxattr, file, "user.a", 1L, 8L), EFAULT);
	CHECK_ERRNO(syscall(SYS_setxattr, file, "user.a", 1L, 8L, 0L), EFAULT);
	CHECK_EQ_INT(removexattr(file, "user.a"), 0);
}

static void symlinks_directories_and_descriptors(void)
{
	char buf[8];
	int fds[2];

	/* user.* only on files and directories: a symlink itself refuses. */
	CHECK_ERRNO(lsetxattr(link_path, "user.l", "v", 1, 0), EPERM);
	CHECK_ERRNO(lgetxattr(link_path, "user.l", buf, sizeof(buf)), ENODATA);
	/* Through the link: the file. */
	CHECK_EQ_INT(setxattr(link_path, "user.via", "v", 1, 0), 0);
	CHECK_EQ_INT(getxattr(file, "user.via", buf, sizeof(buf)), 1);
	CHECK_EQ_INT(llistxattr(link_path, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(lremovexattr(file, "user.via"), 0);
	CHECK_EQ_INT(setxattr(sub, "user.d", "dir", 3, 0), 0);
	CHECK_EQ_INT(getxattr(sub, "user.d", buf, sizeof(buf)), 3);
	CHECK_EQ_INT(removexattr(sub, "user.d"), 0);
	int fd = open(file, O_RDWR);
	CHECK_EQ_INT(fsetxattr(fd, "user.fd", "x", 1, 0), 0);
	CHECK_EQ_INT(fgetxattr(fd, "user.fd", buf, sizeof(buf)), 1);
	CHECK_EQ_INT(flistxattr(fd, buf, sizeof(buf)), 8);
	CHECK_EQ_INT(fremovexattr(fd, "user.fd"), 0);
	close(fd);
	fd = open(file, O_PATH);
	CHECK_ERRNO(fgetxattr(fd, "user.fd", buf, sizeof(buf)), EBADF);
	close(fd);
	CHECK_ERRNO(fgetxattr(-1, "user.fd", buf, sizeof(buf)), EBADF);
	CHECK_EQ_INT(pipe(fds), 0);
	/* A pipe: the user namespace's rule first, then nothing kept. */
	CHECK_ERRNO(fsetxattr(fds[0], "user.p", "v", 1, 0), EPERM);
	CHECK_ERRNO(fgetxattr(fds[0], "user.p", buf, sizeof(buf)), ENODATA);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	abi_init("xattr");
	snprintf(dir, sizeof(dir), "/dev/shm/abi-xattr-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(link_path, sizeof(link_path), "%s/l", dir);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	if (mkdir(dir, 0700) || mkdir(sub, 0700) || symlink(file, link_path))
		return perror("setup"), 1;
	close(open(file, O_CREAT | O_WRONLY, 0600));
	ABI_RUN(set_get_list_remove);
	ABI_RUN(create_and_replace_flags);
	ABI_RUN(names_and_sizes_are_checked);
	ABI_RUN(symlinks_directories_and_descriptors);
	unlink(link_path);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	return abi_done();
}
