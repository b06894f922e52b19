/*
 * The vDSO as an application finds it: announced by AT_SYSINFO_EHDR, an
 * ELF shared object whose entry points can be found through either hash
 * table with version LINUX_2.6 (as glibc's dl_vdso_vsym looks them up),
 * and whose answers agree with the system calls: every clock id, the
 * fallback ids (CPU-time clocks, a bad id), gettimeofday, time,
 * clock_getres and getcpu; then glibc's own wrappers, which go through it.
 * Passes on Linux and in Osprey, static and dynamic. Prints "vdso: ok".
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SLACK_NS 10000000ll /* 10 ms between a vDSO read and a system call */

static int failures;

#define FAIL(...)                                                              \
	do {                                                                   \
		printf("FAIL %s:%d: ", __func__, __LINE__);                    \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		failures++;                                                    \
	} while (0)

/* ---- finding symbols the way a dynamic linker does ---- */
struct vdso {
	uintptr_t bias; /* added to the image's addresses */
	const Elf64_Sym *symtab;
	const char *strtab;
	const uint32_t *hash;	  /* DT_HASH, or NULL */
	const uint32_t *gnu_hash; /* DT_GNU_HASH, or NULL */
	const uint16_t *versym;
	const Elf64_Verdef *verdef;
};

static int vdso_open(struct vdso *v, uintptr_t base)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int have_load = 0;

	memset(v, 0, sizeof(*v));
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			v->bias = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn) {
		FAIL("no PT_LOAD (%d) or no PT_DYNAMIC (%p)", have_load,
		     (const void *)dyn);
		return -1;
	}
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = v->bias + dyn->d_un.d_ptr;

		switch (dyn->d_tag) {
		case DT_SYMTAB:
			v->symtab = (const Elf64_Sym *)p;
			break;
		case DT_STRTAB:
			v->strtab = (const char *)p;
			break;
		case DT_HASH:
			v->hash = (const uint32_t *)p;
			break;
		case DT_GNU_HASH:
			v->gnu_hash = (const uint32_t *)p;
			break;
		case DT_VERSYM:
			v->versym = (const uint16_t *)p;
			break;
		case DT_VERDEF:
			v->verdef = (const Elf64_Verdef *)p;
			break;
		}
	}
	if (!v->symtab || !v->strtab || (!v->hash && !v->gnu_hash) ||
	    !v->versym || !v->verdef) {
		FAIL("dynamic section lacks symtab %p strtab %p hash %p/%p "
		     "versym %p verdef %p",
		     (const void *)v->symtab, (const void *)v->strtab,
		     (const void *)v->hash, (const void *)v->gnu_hash,
		     (const void *)v->versym, (const void *)v->verdef);
		return -1;
	}
	return 0;
}

/* Whether symbol i is defined with version `ver` (glibc: LINUX_2.6). */
static int has_version(const struct vdso *v, uint32_t i, const char *ver)
{
	uint16_t idx = v->versym[i] & 0x7fff;
	const Elf64_Verdef *d = v->verdef;

	for (;;) {
		if (d->vd_ndx == idx && !(d->vd_flags & VER_FLG_BASE)) {
			const Elf64_Verdaux *a =
			    (const void *)((const char *)d + d->vd_aux);
			return strcmp(v->strtab + a->vda_name, ver) == 0;
		}
		if (!d->vd_next)
			return 0;
		d = (const void *)((const char *)d + d->vd_next);
	}
}

static int sym_matches(const struct vdso *v, uint32_t i, const char *name)
{
	const Elf64_Sym *s = &v->symtab[i];

	return s->st_shndx != SHN_UNDEF &&
	       ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
	       strcmp(v->strtab + s->st_name, name) == 0 &&
	       has_version(v, i, "LINUX_2.6");
}

/* The System V ABI's hash and table (DT_HASH). */
static void *lookup_sysv(const struct vdso *v, const char *name)
{
	uint32_t h = 0, nbucket = v->hash[0];
	const uint32_t *bucket = &v->hash[2], *chain = &bucket[nbucket];

	for (const unsigned char *p = (const void *)name; *p; p++) {
		h = (h << 4) + *p;
		h ^= (h >> 24) & 0xf0;
	}
	h &= 0x0fffffff;
	for (uint32_t i = bucket[h % nbucket]; i; i = chain[i])
		if (sym_matches(v, i, name))
			return (void *)(v->bias + v->symtab[i].st_value);
	return NULL;
}

/* GNU's hash table (DT_GNU_HASH), bloom filter included. */
static void *lookup_gnu(const struct vdso *v, const char *name)
{
	const uint32_t *g = v->gnu_hash;
	uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2],
		 shift = g[3], h = 5381;
	const uint64_t *bloom = (const uint64_t *)&g[4];
	const uint32_t *buckets = (const uint32_t *)&bloom[bloom_size];
	const uint32_t *chain = &buckets[nbuckets];

	for (const unsigned char *p = (const void *)name; *p; p++)
		h = h * 33 + *p;
	uint64_t word = bloom[(h / 64) % bloom_size];
	uint64_t mask = (1ull << (h % 64)) | (1ull << ((h >> shift) % 64));
	if ((word & mask) != mask)
		return NULL;
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];

		if ((h | 1) == (h2 | 1) && sym_matches(v, i, name))
			return (void *)(v->bias + v->symtab[i].st_value);
		if (h2 & 1)
			return NULL;
	}
}

/* Looks `name` up in every hash table the image has; they must agree. */
static void *lookup(const struct vdso *v, const char *name)
{
	void *a = v->hash ? lookup_sysv(v, name) : NULL;
	void *b = v->gnu_hash ? lookup_gnu(v, name) : NULL;

	if (v->hash && v->gnu_hash && a != b)
		FAIL("%s: DT_HASH finds %p, DT_GNU_HASH %p", name, a, b);
	if (!a && !b)
		FAIL("%s@LINUX_2.6 not found", name);
	return a ? a : b;
}

/* ---- the checks ---- */
typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*clock_getres_fn)(clockid_t, struct timespec *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static long long sys_ns(clockid_t clk)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, clk, &ts) != 0)
		return -1;
	return ns_of(&ts);
}

/* A vDSO read between two system-call reads lies between them, give or
 * take SLACK_NS (clocks whose readers differ in resolution). */
static void check_between(const char *what, long long before, long long got,
			  long long after)
{
	if (got < before - SLACK_NS || got > after + SLACK_NS)
		FAIL("%s: %lld ns is not within [%lld, %lld] (the system call "
		     "before and after, +-%lld)",
		     what, got, before, after, SLACK_NS);
}

static void check_clock_gettime(clock_gettime_fn fn)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
	    {CLOCK_REALTIME, "CLOCK_REALTIME"},
	    {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	    {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
	    {CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
	    {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
	    {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
	    {CLOCK_TAI, "CLOCK_TAI"},
	    /* Not the vDSO's: it makes the system call. */
	    {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
	    {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
	};

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec ts = {-1, -1};
		long long before = sys_ns(clocks[i].id);
		int rc = fn(clocks[i].id, &ts);
		long long after = sys_ns(clocks[i].id);

		if (rc != 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
			FAIL("%s: returned %d, tv_nsec %ld", clocks[i].name, rc,
			     (long)ts.tv_nsec);
			continue;
		}
		check_between(clocks[i].name, before, ns_of(&ts), after);
	}
	/* A monotonic clock read from the vDSO never goes back. */
	struct timespec a, b;
	for (int i = 0; i < 100000; i++) {
		fn(CLOCK_MONOTONIC, &a);
		fn(CLOCK_MONOTONIC, &b);
		if (ns_of(&b) < ns_of(&a)) {
			FAIL("CLOCK_MONOTONIC went back from %lld to %lld",
			     ns_of(&a), ns_of(&b));
			break;
		}
	}
	/* A bad id: the system call's answer, -EINVAL, returned raw. */
	struct timespec ts;
	int rc = fn(100, &ts);
	if (rc != -EINVAL)
		FAIL("clock id 100: expected %d, got %d", -EINVAL, rc);
}

static void check_gettimeofday(gettimeofday_fn fn)
{
	struct timeval tv;
	struct timezone tz = {-1, -1};
	long long before = sys_ns(CLOCK_REALTIME);
	int rc = fn(&tv, &tz);
	long long after = sys_ns(CLOCK_REALTIME);
	struct timezone sys_tz = {-2, -2};

	syscall(SYS_gettimeofday, NULL, &sys_tz);
	if (rc != 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		FAIL("returned %d, tv_usec %ld", rc, (long)tv.tv_usec);
	check_between("gettimeofday", before - 1000,
		      tv.tv_sec * 1000000000ll + tv.tv_usec * 1000ll, after);
	if (tz.tz_minuteswest != sys_tz.tz_minuteswest ||
	    tz.tz_dsttime != sys_tz.tz_dsttime)
		FAIL("timezone {%d, %d}, the system call says {%d, %d}",
		     tz.tz_minuteswest, tz.tz_dsttime, sys_tz.tz_minuteswest,
		     sys_tz.tz_dsttime);
	if (fn(NULL, NULL) != 0)
		FAIL("gettimeofday(NULL, NULL) failed");
}

static void check_time(time_fn fn)
{
	time_t before = (time_t)syscall(SYS_time, NULL), t = 0;
	time_t got = fn(&t);
	time_t after = (time_t)syscall(SYS_time, NULL);

	if (got != t)
		FAIL("returned %ld, stored %ld", (long)got, (long)t);
	if (got < before || got > after)
		FAIL("%ld is not within [%ld, %ld]", (long)got, (long)before,
		     (long)after);
	if (fn(NULL) < before)
		FAIL("time(NULL) went back");
}

static void check_clock_getres(clock_getres_fn fn)
{
	static const clockid_t ids[] = {
	    CLOCK_REALTIME,
	    CLOCK_MONOTONIC,
	    CLOCK_MONOTONIC_RAW,
	    CLOCK_REALTIME_COARSE,
	    CLOCK_MONOTONIC_COARSE,
	    CLOCK_BOOTTIME,
	    CLOCK_TAI,
	    CLOCK_PROCESS_CPUTIME_ID,
	};

	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct timespec mine = {-1, -1}, sys = {-2, -2};
		int rc = fn(ids[i], &mine);
		long src = syscall(SYS_clock_getres, ids[i], &sys);

		if (rc != src || mine.tv_sec != sys.tv_sec ||
		    mine.tv_nsec != sys.tv_nsec)
			FAIL("clock %d: vDSO %d {%ld, %ld}, system call %ld "
			     "{%ld, %ld}",
			     ids[i], rc, (long)mine.tv_sec, (long)mine.tv_nsec,
			     src, (long)sys.tv_sec, (long)sys.tv_nsec);
	}
	if (fn(CLOCK_MONOTONIC, NULL) != 0)
		FAIL("clock_getres(CLOCK_MONOTONIC, NULL) failed");
	struct timespec ts;
	int rc = fn(100, &ts);
	if (rc != -EINVAL)
		FAIL("clock id 100: expected %d, got %d", -EINVAL, rc);
}

static void check_getcpu(getcpu_fn fn)
{
	unsigned cpu = ~0u, node = ~0u, scpu = ~0u, snode = ~0u;
	cpu_set_t set;

	/* Pinned, so that the two answers cannot differ by a migration. */
	syscall(SYS_getcpu, &scpu, &snode, NULL);
	CPU_ZERO(&set);
	CPU_SET(scpu, &set);
	int pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
	syscall(SYS_getcpu, &scpu, &snode, NULL);
	int rc = fn(&cpu, &node, NULL);
	if (rc != 0 || (pinned && (cpu != scpu || node != snode)))
		FAIL("vDSO %d {cpu %u, node %u}, system call {cpu %u, node %u}",
		     rc, cpu, node, scpu, snode);
	if (fn(NULL, NULL, NULL) != 0)
		FAIL("getcpu(NULL, NULL, NULL) failed");
}

/* glibc's wrappers, which use the vDSO where there is one. */
static void check_libc(void)
{
	struct timespec ts;
	struct timeval tv;
	long long before = sys_ns(CLOCK_MONOTONIC);

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		FAIL("clock_gettime failed");
	check_between("libc CLOCK_MONOTONIC", before, ns_of(&ts),
		      sys_ns(CLOCK_MONOTONIC));
	before = sys_ns(CLOCK_REALTIME);
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		FAIL("clock_gettime failed");
	check_between("libc CLOCK_REALTIME", before, ns_of(&ts),
		      sys_ns(CLOCK_REALTIME));
	before = sys_ns(CLOCK_REALTIME);
	if (gettimeofday(&tv, NULL) != 0)
		FAIL("gettimeofday failed");
	check_between("libc gettimeofday", before - 1000,
		      tv.tv_sec * 1000000000ll + tv.tv_usec * 1000ll,
		      sys_ns(CLOCK_REALTIME));
	time_t t0 = (time_t)syscall(SYS_time, NULL), t = time(NULL);
	if (t < t0 || t > (time_t)syscall(SYS_time, NULL))
		FAIL("libc time %ld, system call %ld", (long)t, (long)t0);
	errno = 0;
	if (clock_gettime(100, &ts) != -1 || errno != EINVAL)
		FAIL("libc clock_gettime(100): errno %d, expected %d", errno,
		     EINVAL);
}

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	struct vdso v;

	if (!base) {
		printf("FAIL no AT_SYSINFO_EHDR in the auxiliary vector\n");
		return 1;
	}
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_DYN ||
	    base % 4096 != 0) {
		printf("FAIL AT_SYSINFO_EHDR %#lx: not a page-aligned 64-bit "
		       "ELF shared object\n",
		       (unsigned long)base);
		return 1;
	}
	if (vdso_open(&v, base) != 0)
		return 1;
	const char *names[] = {"__vdso_clock_gettime", "__vdso_gettimeofday",
			       "__vdso_time", "__vdso_clock_getres",
			       "__vdso_getcpu"};
	void *fns[5];
	for (int i = 0; i < 5; i++)
		if (!(fns[i] = lookup(&v, names[i])))
			return 1;
	check_clock_gettime((clock_gettime_fn)fns[0]);
	check_gettimeofday((gettimeofday_fn)fns[1]);
	check_time((time_fn)fns[2]);
	check_clock_getres((clock_getres_fn)fns[3]);
	check_getcpu((getcpu_fn)fns[4]);
	check_libc();
	if (failures) {
		printf("vdso: %d failed\n", failures);
		return 1;
	}
	printf("vdso: ok\n");
	return 0;
}
