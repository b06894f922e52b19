/*
 * memfd_create(2) and file seals (fcntl F_ADD_SEALS/F_GET_SEALS): an
 * anonymous file that reads, writes, maps and truncates like a tmpfs
 * file, and seals that refuse what they forbid.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void memfd_is_a_file(void)
{
	char buf[16] = {0};
	struct stat st;
	int fd = memfd_create("osprey-test", MFD_CLOEXEC);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ_INT(write(fd, "hello", 5), 5);
	CHECK_EQ_INT(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK_EQ_STR(buf, "hello");
	CHECK_EQ_INT(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ_INT((int)st.st_size, 5);
	CHECK_EQ_INT(st.st_nlink, 0);
	CHECK_EQ_INT(ftruncate(fd, 8192), 0);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (CHECK(p != MAP_FAILED)) {
		p[4096] = 'x';
		CHECK_EQ_INT(pread(fd, buf, 1, 4096), 1);
		CHECK_EQ_INT(buf[0], 'x');
		munmap(p, 8192);
	}
	/* Without MFD_ALLOW_SEALING: sealed against seals. */
	CHECK_EQ_INT(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
}

static void seals_refuse_what_they_forbid(void)
{
	int fd = memfd_create("sealed", MFD_ALLOW_SEALING);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(fcntl(fd, F_GET_SEALS), 0);
	CHECK_EQ_INT(write(fd, "abcdefgh", 8), 8);
	CHECK_EQ_INT(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	CHECK_ERRNO(ftruncate(fd, 4), EPERM);
	CHECK_EQ_INT(ftruncate(fd, 16), 0);
	CHECK_EQ_INT(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	CHECK_ERRNO(ftruncate(fd, 32), EPERM);
	CHECK_ERRNO(pwrite(fd, "x", 1, 100), EPERM);
	CHECK_EQ_INT(pwrite(fd, "x", 1, 0), 1); /* inside: fine */
	CHECK_EQ_INT(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	CHECK_ERRNO(pwrite(fd, "x", 1, 0), EPERM);
	CHECK(mmap(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	      MAP_FAILED);
	CHECK_EQ_INT(errno, EPERM);
	char *p = mmap(NULL, 16, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && p[0] == 'x');
	if (p != MAP_FAILED)
		munmap(p, 16);
	CHECK_EQ_INT(fcntl(fd, F_GET_SEALS),
		     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	CHECK_EQ_INT(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
	close(fd);
}

static void write_seal_needs_no_writable_mapping(void)
{
	int fd = memfd_create("busy", MFD_ALLOW_SEALING);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(ftruncate(fd, 4096), 0);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	munmap(p, 4096);
	CHECK_EQ_INT(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	close(fd);
}

static void errors(void)
{
	char name[300];
	int fds[2];

	memset(name, 'n', sizeof(name));
	name[250] = '\0';
	CHECK_ERRNO(memfd_create(name, 0), EINVAL);
	CHECK_ERRNO(memfd_create("x", 0x100), EINVAL);
	CHECK_ERRNO(syscall(SYS_memfd_create, 1L, 0L), EFAULT);
	int fd = memfd_create("flags", MFD_ALLOW_SEALING);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	close(fd);
	CHECK_EQ_INT(pipe(fds), 0);
	CHECK_ERRNO(fcntl(fds[0], F_GET_SEALS), EINVAL);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	abi_init("memfd");
	ABI_RUN(memfd_is_a_file);
	ABI_RUN(seals_refuse_what_they_forbid);
	ABI_RUN(write_seal_needs_no_writable_mapping);
	ABI_RUN(errors);
	return abi_done();
}
