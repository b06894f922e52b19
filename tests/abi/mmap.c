/*
 * Memory mappings: anonymous and file-backed mmap, MAP_FIXED and
 * MAP_FIXED_NOREPLACE, mprotect and the faults it causes (caught as
 * SIGSEGV/SIGBUS and left with siglongjmp), mremap, madvise, mincore,
 * msync, brk, a large sparse mapping, splitting a mapping with munmap and
 * the error paths. The file lives in /tmp/abi-mmap-<pid>, removed at the
 * end.
 */
#define _GNU_SOURCE
#include "common.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long page;
static char path[64];

/* What the last fault was: set by the handler, read after siglongjmp. */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_signo;
static volatile int fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_signo = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* Writes `v` at p; returns 0, or the signal that stopped the write. */
static int try_write(void *p, char v)
{
	fault_signo = 0;
	fault_code = 0;
	fault_addr = NULL;
	if (sigsetjmp(fault_jmp, 1))
		return fault_signo;
	*(volatile char *)p = v;
	return 0;
}

/* Reads a byte at p into *out; returns 0 or the signal. */
static int try_read(const void *p, char *out)
{
	fault_signo = 0;
	fault_code = 0;
	fault_addr = NULL;
	if (sigsetjmp(fault_jmp, 1))
		return fault_signo;
	*out = *(const volatile char *)p;
	return 0;
}

static char *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Whether every byte of [p, p+len) is `v`. */
static int all_bytes(const char *p, size_t len, char v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void anonymous_map_is_zeroed_and_unmaps(void)
{
	char *p = map_anon(16 * page), c;
	int i, ok = 1;

	if (!CHECK(p != NULL))
		return;
	CHECK_EQ_INT((uintptr_t)p % page, 0);
	CHECK(all_bytes(p, 16 * page, 0));
	for (i = 0; i < 16; i++)
		p[i * page + i] = (char)(i + 1);
	for (i = 0; i < 16; i++)
		ok &= p[i * page + i] == (char)(i + 1);
	CHECK(ok);
	CHECK_EQ_INT(munmap(p, 16 * page), 0);
	CHECK_EQ_INT(try_read(p + 5 * page, &c), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_MAPERR);
	CHECK(fault_addr == p + 5 * page);
	/* Unmapping what is not mapped is not an error. */
	CHECK_EQ_INT(munmap(p, 16 * page), 0);
	CHECK_ERRNO(munmap(p + 1, page), EINVAL);
	CHECK_ERRNO(munmap(p, 0), EINVAL);
}

static void map_fixed_replaces_and_noreplace_refuses(void)
{
	char *p = map_anon(4 * page), *q;

	if (!CHECK(p != NULL))
		return;
	memset(p, 'A', 4 * page);
	q = mmap(p + page, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + page);
	CHECK(all_bytes(p + page, 2 * page, 0));
	CHECK(all_bytes(p, page, 'A'));
	CHECK(all_bytes(p + 3 * page, page, 'A'));

	CHECK(mmap(p + 2 * page, page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		   0) == MAP_FAILED &&
	      errno == EEXIST);
	/* Partly overlapping is refused too. */
	CHECK(mmap(p + 3 * page, 2 * page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		   0) == MAP_FAILED &&
	      errno == EEXIST);
	CHECK(all_bytes(p + 3 * page, page, 'A'));
	CHECK_EQ_INT(munmap(p + 2 * page, page), 0);
	q = mmap(p + 2 * page, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + 2 * page);
	CHECK(all_bytes(p + 2 * page, page, 0));
	/* MAP_FIXED with an unaligned address is EINVAL. */
	CHECK(mmap(p + 1, page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		   0) == MAP_FAILED &&
	      errno == EINVAL);
	munmap(p, 4 * page);
}

static void mprotect_faults_with_segv_accerr(void)
{
	char *p = map_anon(2 * page), c = 0;

	if (!CHECK(p != NULL))
		return;
	p[10] = 'x';
	CHECK_EQ_INT(mprotect(p, page, PROT_READ), 0);
	CHECK_EQ_INT(try_read(p + 10, &c), 0);
	CHECK_EQ_INT(c, 'x');
	CHECK_EQ_INT(try_write(p + 20, 'y'), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_ACCERR);
	CHECK(fault_addr == p + 20);
	/* The next page kept its protection. */
	CHECK_EQ_INT(try_write(p + page, 'z'), 0);
	CHECK_EQ_INT(mprotect(p, page, PROT_NONE), 0);
	CHECK_EQ_INT(try_read(p + 30, &c), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_ACCERR);
	CHECK(fault_addr == p + 30);
	CHECK_EQ_INT(mprotect(p, 2 * page, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ_INT(try_write(p + 20, 'y'), 0);
	CHECK_EQ_INT(p[10], 'x'); /* contents survive protection changes */
	CHECK_EQ_INT(p[page], 'z');

	CHECK_ERRNO(mprotect(p + 1, page, PROT_READ), EINVAL);
	CHECK_ERRNO(mprotect(p, page, 0x100), EINVAL);
	munmap(p, 2 * page);
	CHECK_ERRNO(mprotect(p, page, PROT_READ), ENOMEM);
}

static void guard_page_faults_with_segv_maperr(void)
{
	char *p = map_anon(3 * page), c;

	if (!CHECK(p != NULL))
		return;
	CHECK_EQ_INT(munmap(p + page, page), 0);
	CHECK_EQ_INT(try_read(p + page + 123, &c), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_MAPERR);
	CHECK(fault_addr == p + page + 123);
	CHECK_EQ_INT(try_write(p + page - 1, 'a'), 0);
	CHECK_EQ_INT(try_write(p + 2 * page, 'b'), 0);
	/* A PROT_NONE guard (as glibc puts under thread stacks) too. */
	CHECK(mmap(p + page, page, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + page);
	CHECK_EQ_INT(try_write(p + page, 'c'), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_ACCERR);
	munmap(p, 3 * page);
}

static void mremap_grows_and_keeps_contents(void)
{
	char *p = map_anon(2 * page), *q, *r, *blocker;
	int i, ok = 1;

	if (!CHECK(p != NULL))
		return;
	for (i = 0; i < 2 * page; i++)
		p[i] = (char)(i * 7);
	q = mremap(p, 2 * page, 64 * page, MREMAP_MAYMOVE);
	if (!CHECK(q != MAP_FAILED))
		return;
	for (i = 0; i < 2 * page; i++)
		ok &= q[i] == (char)(i * 7);
	CHECK(ok);
	CHECK(all_bytes(q + 2 * page, 62 * page, 0));
	q[64 * page - 1] = 1;
	/* Shrinking stays in place. */
	r = mremap(q, 64 * page, 4 * page, 0);
	CHECK(r == q);
	CHECK_EQ_INT(r[page], (char)(page * 7));

	/* Without MAYMOVE it cannot grow into a neighbour. */
	blocker =
	    mmap(r + 4 * page, page, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (CHECK(blocker == r + 4 * page)) {
		CHECK(mremap(r, 4 * page, 8 * page, 0) == MAP_FAILED &&
		      errno == ENOMEM);
		munmap(blocker, page);
	}
	CHECK(mremap(r + 1, page, 2 * page, MREMAP_MAYMOVE) == MAP_FAILED &&
	      errno == EINVAL);
	CHECK(mremap(r, page, 2 * page, 0x80) == MAP_FAILED && errno == EINVAL);
	/* MREMAP_FIXED needs MREMAP_MAYMOVE. */
	CHECK(mremap(r, page, page, MREMAP_FIXED, r + 100 * page) ==
		  MAP_FAILED &&
	      errno == EINVAL);
	munmap(r, 4 * page);
}

static void madvise_dontneed_zeroes_private_anon(void)
{
	char *p = map_anon(4 * page);

	if (!CHECK(p != NULL))
		return;
	memset(p, 'q', 4 * page);
	CHECK_EQ_INT(madvise(p + page, 2 * page, MADV_DONTNEED), 0);
	CHECK(all_bytes(p + page, 2 * page, 0));
	CHECK(all_bytes(p, page, 'q'));
	CHECK(all_bytes(p + 3 * page, page, 'q'));
	CHECK_EQ_INT(madvise(p, 4 * page, MADV_WILLNEED), 0);
	CHECK_EQ_INT(madvise(p, 4 * page, MADV_NORMAL), 0);
	CHECK_ERRNO(madvise(p + 1, page, MADV_DONTNEED), EINVAL);
	CHECK_ERRNO(madvise(p, page, 12345), EINVAL);
	munmap(p, 4 * page);
	CHECK_ERRNO(madvise(p, page, MADV_WILLNEED), ENOMEM);
}

static void mincore_reports_touched_pages(void)
{
	unsigned char vec[4] = {0};
	char *p = map_anon(4 * page);

	if (!CHECK(p != NULL))
		return;
	p[0] = 1;
	p[2 * page] = 1;
	CHECK_EQ_INT(mincore(p, 4 * page, vec), 0);
	CHECK_EQ_INT(vec[0] & 1, 1);
	CHECK_EQ_INT(vec[2] & 1, 1);
	CHECK_ERRNO(mincore(p + 1, page, vec), EINVAL);
	CHECK_ERRNO(mincore(p, page, (void *)1), EFAULT);
	munmap(p, 4 * page);
	CHECK_ERRNO(mincore(p, page, vec), ENOMEM);
}

/* A file of two and a half pages of 'a', 'b', 'c' pages. */
static int make_file(void)
{
	char *buf = malloc(3 * page);
	int fd;

	if (!buf)
		return -1;
	memset(buf, 'a', page);
	memset(buf + page, 'b', page);
	memset(buf + 2 * page, 'c', page / 2);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0 &&
	    write(fd, buf, 2 * page + page / 2) != 2 * page + page / 2) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

static void file_map_private_keeps_writes_private(void)
{
	char buf[8];
	char *p;
	int fd = make_file();

	if (!CHECK(fd >= 0))
		return;
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK(all_bytes(p, page, 'a'));
	CHECK(all_bytes(p + page, page, 'b'));
	p[5] = 'X';
	CHECK_EQ_INT(msync(p, 2 * page, MS_SYNC), 0);
	CHECK_EQ_INT(pread(fd, buf, 8, 0), 8);
	CHECK_EQ_MEM(buf, "aaaaaaaa", 8);
	munmap(p, 2 * page);
	/* An offset maps from there. */
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
	CHECK(p != MAP_FAILED && all_bytes(p, page, 'b'));
	munmap(p, page);
	close(fd);
	unlink(path);
}

/*
 * Linux: a private file page is the file's until the first write copies
 * it, so write() shows through it before and not after; MADV_DONTNEED
 * drops the copy and the file shows again; a page wholly past the end of
 * the file is SIGBUS, as for a shared mapping.
 */
static void file_map_private_copies_on_first_write(void)
{
	char *p, c = 1;
	int fd = make_file();

	if (!CHECK(fd >= 0))
		return;
	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK_EQ_INT(p[10], 'a');
	CHECK_EQ_INT(pwrite(fd, "Z", 1, 10), 1);
	CHECK_EQ_INT(p[10], 'Z'); /* not copied yet: the file's page */
	p[0] = 'P';		  /* copied now */
	CHECK_EQ_INT(pwrite(fd, "Q", 1, 20), 1);
	CHECK_EQ_INT(p[20], 'a');
	CHECK_EQ_INT(p[10], 'Z');
	CHECK_EQ_INT(pread(fd, &c, 1, 0), 1);
	CHECK_EQ_INT(c, 'a');
	CHECK_EQ_INT(madvise(p, page, MADV_DONTNEED), 0);
	CHECK_EQ_INT(p[0], 'a');
	CHECK_EQ_INT(p[20], 'Q');
	/* The last page's tail past the end reads as zero, writably. */
	CHECK_EQ_INT(try_write(p + 2 * page + page / 2 + 1, 'T'), 0);
	CHECK_EQ_INT(p[2 * page + page / 2], 0);
	CHECK_EQ_INT(try_read(p + 3 * page, &c), SIGBUS);
	CHECK_EQ_INT(fault_code, BUS_ADRERR);
	munmap(p, 4 * page);
	close(fd);
	unlink(path);
}

static void file_map_shared_writes_reach_the_file(void)
{
	char buf[8], *p;
	int fd = make_file();

	if (!CHECK(fd >= 0))
		return;
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	memcpy(p + page + 1, "SHARED", 6);
	CHECK_EQ_INT(msync(p, 2 * page, MS_SYNC), 0);
	CHECK_EQ_INT(pread(fd, buf, 6, page + 1), 6);
	CHECK_EQ_MEM(buf, "SHARED", 6);
	/* ... and write() is seen through the mapping. */
	CHECK_EQ_INT(pwrite(fd, "W", 1, 3), 1);
	CHECK_EQ_INT(p[3], 'W');
	CHECK_ERRNO(msync(p + 1, page, MS_SYNC), EINVAL);
	CHECK_ERRNO(msync(p, page, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_EQ_INT(msync(p, page, MS_ASYNC), 0);
	munmap(p, 2 * page);
	/* The change outlives the mapping. */
	CHECK_EQ_INT(pread(fd, buf, 6, page + 1), 6);
	CHECK_EQ_MEM(buf, "SHARED", 6);
	close(fd);
	unlink(path);
}

/*
 * Thousands of small shared file mappings, side by side, dropped by one
 * munmap and by one MAP_FIXED mmap over them (issue 13: the kernel
 * panicked past 64). Alternate file pages keep Linux from merging them.
 */
#define MANY_MAPS 1500
static void many_file_mappings_unmapped_at_once(void)
{
	int fd = make_file();
	char *base;

	if (!CHECK(fd >= 0))
		return;
	for (int round = 0; round < 2; round++) {
		base = mmap(NULL, MANY_MAPS * page, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!CHECK(base != MAP_FAILED))
			break;
		int ok = 0;
		for (int i = 0; i < MANY_MAPS; i++)
			ok += mmap(base + i * page, page, PROT_READ,
				   MAP_SHARED | MAP_FIXED, fd,
				   (i % 2) * page) == base + i * page;
		CHECK_EQ_INT(ok, MANY_MAPS);
		CHECK_EQ_INT(base[page + 1], 'b'); /* make_file's second page */
		if (round == 0)
			CHECK_EQ_INT(munmap(base, MANY_MAPS * page), 0);
		else
			CHECK(mmap(base, MANY_MAPS * page, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				   0) == base);
		if (round == 1) {
			CHECK_EQ_INT(base[page + 1], 0);
			munmap(base, MANY_MAPS * page);
		}
	}
	close(fd);
	unlink(path);
}

/*
 * Linux: the part of the last page past end of file reads as zero; a page
 * wholly past the end raises SIGBUS (BUS_ADRERR).
 */
static void file_map_past_eof_gives_sigbus(void)
{
	char *p, c = 1;
	int fd = make_file();

	if (!CHECK(fd >= 0))
		return;
	p = mmap(NULL, 4 * page, PROT_READ, MAP_SHARED, fd, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK_EQ_INT(try_read(p + 2 * page + page / 2 - 1, &c), 0);
	CHECK_EQ_INT(c, 'c');
	CHECK_EQ_INT(try_read(p + 2 * page + page / 2, &c), 0);
	CHECK_EQ_INT(c, 0);
	CHECK_EQ_INT(try_read(p + 3 * page + 8, &c), SIGBUS);
	CHECK_EQ_INT(fault_code, BUS_ADRERR);
	CHECK(fault_addr == p + 3 * page + 8);
	/* Growing the file makes the page readable. */
	CHECK_EQ_INT(ftruncate(fd, 4 * page), 0);
	CHECK_EQ_INT(try_read(p + 3 * page + 8, &c), 0);
	CHECK_EQ_INT(c, 0);
	munmap(p, 4 * page);
	close(fd);
	unlink(path);
}

static void file_map_error_paths(void)
{
	int fd = make_file(), ro, wo;
	char *p;

	if (!CHECK(fd >= 0))
		return;
	ro = open(path, O_RDONLY);
	wo = open(path, O_WRONLY);
	CHECK(mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) ==
		  MAP_FAILED &&
	      errno == EACCES);
	/* A private writable map of a read-only descriptor is fine. */
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED)
		munmap(p, page);
	CHECK(mmap(NULL, page, PROT_READ, MAP_PRIVATE, wo, 0) == MAP_FAILED &&
	      errno == EACCES);
	CHECK(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED &&
	      errno == EINVAL);
	CHECK(mmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED &&
	      errno == EBADF);
	CHECK(mmap(NULL, page, PROT_READ, MAP_PRIVATE, 1000000, 0) ==
		  MAP_FAILED &&
	      errno == EBADF);
	close(ro);
	close(wo);
	close(fd);
	unlink(path);
}

/* Runs brk with no output in between: printf may itself use the heap. */
static void brk_grows_and_shrinks(void)
{
	char *start, *cur1, *old, *cur2, *after;
	int brk_ok, shrink_ok;

	start = sbrk(0);
	old = sbrk(16 * page);
	cur1 = sbrk(0);
	if (old != (void *)-1)
		memset(old, 'h', 16 * page);
	/* The raw system call returns the new break (or the old one). */
	cur2 = (char *)syscall(SYS_brk, 0);
	brk_ok = brk(cur1 + 4 * page) == 0;
	after = sbrk(0);
	shrink_ok = brk(cur1) == 0;

	CHECK(old == start);
	CHECK(cur1 == start + 16 * page);
	CHECK(cur2 == cur1);
	CHECK(brk_ok);
	CHECK(after == cur1 + 4 * page);
	CHECK(shrink_ok);
	CHECK(all_bytes(old, 16 * page, 'h'));
	CHECK(sbrk(0) == cur1);
	/* An impossible break is refused by returning the current one. */
	CHECK((char *)syscall(SYS_brk, (void *)8) == cur1);
}

static void large_sparse_mapping(void)
{
	size_t len = 64ul << 20, step = 1ul << 20, off;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int ok = 1;

	if (!CHECK(p != MAP_FAILED))
		return;
	for (off = 0; off < len; off += step)
		p[off + (off / step) % page] = (char)(off / step + 1);
	for (off = 0; off < len; off += step)
		ok &= p[off + (off / step) % page] == (char)(off / step + 1);
	CHECK(ok);
	CHECK_EQ_INT(p[len - 1], 0);
	CHECK_EQ_INT(p[step / 2], 0);
	CHECK_EQ_INT(munmap(p, len), 0);
}

static void munmap_in_the_middle_splits(void)
{
	char *p = map_anon(8 * page), c;
	int i, ok = 1;

	if (!CHECK(p != NULL))
		return;
	for (i = 0; i < 8; i++)
		memset(p + i * page, 'A' + i, page);
	CHECK_EQ_INT(munmap(p + 3 * page, 2 * page), 0);
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4)
			ok &= all_bytes(p + i * page, page, 'A' + i);
	CHECK(ok);
	CHECK_EQ_INT(try_read(p + 4 * page, &c), SIGSEGV);
	CHECK_EQ_INT(fault_code, SEGV_MAPERR);
	/* The two halves are separate mappings now. */
	CHECK_EQ_INT(mprotect(p, 3 * page, PROT_READ), 0);
	CHECK_EQ_INT(try_write(p + 5 * page, 'z'), 0);
	CHECK_EQ_INT(try_write(p + 2 * page, 'z'), SIGSEGV);
	CHECK_EQ_INT(munmap(p, 3 * page), 0);
	CHECK_EQ_INT(munmap(p + 5 * page, 3 * page), 0);
}

static void shared_anonymous_and_exec_mappings(void)
{
	static const unsigned char ret42[] = {0xb8, 42, 0, 0, 0, 0xc3};
	char *p;
	int (*fn)(void);

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	CHECK(p != MAP_FAILED && all_bytes(p, page, 0));
	if (p != MAP_FAILED)
		munmap(p, page);

	/* Code written into memory runs after mprotect(PROT_EXEC). */
	p = map_anon(page);
	if (!CHECK(p != NULL))
		return;
	memcpy(p, ret42, sizeof(ret42));
	CHECK_EQ_INT(mprotect(p, page, PROT_READ | PROT_EXEC), 0);
	fn = (int (*)(void))(uintptr_t)p;
	CHECK_EQ_INT(fn(), 42);
	munmap(p, page);
}

static void mmap_bad_arguments(void)
{
	CHECK(mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
	      errno == EINVAL); /* neither PRIVATE nor SHARED */
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		  MAP_FAILED &&
	      errno == EINVAL);
	CHECK(mmap(NULL, 1ul << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0) == MAP_FAILED &&
	      errno == ENOMEM);
	CHECK_ERRNO(syscall(SYS_mmap, NULL, page, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 1),
		    EINVAL); /* unaligned offset */
}

int main(void)
{
	struct sigaction sa;

	abi_init("mmap");
	page = sysconf(_SC_PAGESIZE);
	CHECK_EQ_INT(page, 4096);
	snprintf(path, sizeof(path), "/tmp/abi-mmap-%d", (int)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ_INT(sigaction(SIGSEGV, &sa, NULL), 0);
	CHECK_EQ_INT(sigaction(SIGBUS, &sa, NULL), 0);

	ABI_RUN(brk_grows_and_shrinks);
	ABI_RUN(anonymous_map_is_zeroed_and_unmaps);
	ABI_RUN(map_fixed_replaces_and_noreplace_refuses);
	ABI_RUN(mprotect_faults_with_segv_accerr);
	ABI_RUN(guard_page_faults_with_segv_maperr);
	ABI_RUN(mremap_grows_and_keeps_contents);
	ABI_RUN(madvise_dontneed_zeroes_private_anon);
	ABI_RUN(mincore_reports_touched_pages);
	ABI_RUN(file_map_private_keeps_writes_private);
	ABI_RUN(file_map_private_copies_on_first_write);
	ABI_RUN(file_map_shared_writes_reach_the_file);
	ABI_RUN(file_map_past_eof_gives_sigbus);
	ABI_RUN(file_map_error_paths);
	ABI_RUN(many_file_mappings_unmapped_at_once);
	ABI_RUN(large_sparse_mapping);
	ABI_RUN(munmap_in_the_middle_splits);
	ABI_RUN(shared_anonymous_and_exec_mappings);
	ABI_RUN(mmap_bad_arguments);

	unlink(path);
	return abi_done();
}
