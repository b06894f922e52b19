/*
 * The vDSO's code: built as its own position-independent shared object
 * (mk/vdso.mk, vdso.ld), embedded in the kernel and mapped into the
 * application, where glibc finds these functions by name and version
 * (LINUX_2.6) and calls them instead of making system calls.
 *
 * It runs in the application: no libc, no kernel symbols, no writable data
 * and no relocations. Everything it knows comes from the data page the
 * kernel fills (vdso.h); a clock it cannot answer from there, or any clock
 * while the kernel has set VDSO_MODE_SYSCALL, goes to the real system call,
 * as Linux's vDSO does. Like Linux's, it returns 0 or a negative errno
 * (glibc turns that into errno) and trusts its pointer arguments.
 */
#include <stdbool.h>
#include <stdint.h>

#include "linux/vdso/vdso.h"

/* Nothing here is called through the dynamic symbol table but the entry
 * points: every internal reference stays RIP-relative. */
#pragma GCC visibility push(hidden)

#define NSEC 1000000000ull
#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_getcpu 309

struct timespec_abi {
	int64_t tv_sec, tv_nsec;
};
struct timeval_abi {
	int64_t tv_sec, tv_usec;
};
struct timezone_abi {
	int32_t tz_minuteswest, tz_dsttime;
};

/* Placed one page below the image by vdso.ld. */
extern const struct vdso_data vdso_vvar;

#pragma GCC visibility pop

static long syscall2(long nr, long a, long b)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr), "D"(a), "S"(b)
		     : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr), "D"(a), "S"(b), "d"(c)
		     : "rcx", "r11", "memory");
	return ret;
}

/* LFENCE keeps the TSC read after the seqlock's load, as Linux's
 * rdtsc_ordered does: otherwise it may execute before it. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* The fields one clock read needs, from one generation of the page. */
struct snapshot {
	uint64_t tsc, tsc_base, mult, realtime_offset_ns;
	uint32_t shift, clock_mode;
};

/* The reader's half of the seqlock in vdso.h. */
static void read_clock(struct snapshot *s)
{
	const struct vdso_data *d = &vdso_vvar;
	uint32_t seq;

	do {
		/* spin-ok: a seqlock reader; the writer updates with
		 * interrupts off, in a few instructions. */
		while ((seq = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE)) & 1)
			asm volatile("pause" ::: "memory");
		s->clock_mode =
		    __atomic_load_n(&d->clock_mode, __ATOMIC_RELAXED);
		s->tsc_base = __atomic_load_n(&d->tsc_base, __ATOMIC_RELAXED);
		s->mult = __atomic_load_n(&d->mult, __ATOMIC_RELAXED);
		s->shift = __atomic_load_n(&d->shift, __ATOMIC_RELAXED);
		s->realtime_offset_ns =
		    __atomic_load_n(&d->realtime_offset_ns, __ATOMIC_RELAXED);
		s->tsc = rdtsc_ordered();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while (__atomic_load_n(&d->seq, __ATOMIC_RELAXED) != seq);
}

/* The same arithmetic as the kernel's tsc_to_ns (vdso.h). */
static uint64_t monotonic_ns(const struct snapshot *s)
{
	unsigned __int128 p =
	    (unsigned __int128)(s->tsc - s->tsc_base) * s->mult;

	return (uint64_t)(p >> s->shift);
}

/* The clocks the vDSO answers, as bit masks over the clock ids: one test
 * per call instead of a chain of compares on this hot path. */
#define REALTIME_CLOCKS                                                        \
	((1u << VDSO_CLOCK_REALTIME) | (1u << VDSO_CLOCK_REALTIME_COARSE) |    \
	 (1u << VDSO_CLOCK_TAI))
#define MONOTONIC_CLOCKS                                                       \
	((1u << VDSO_CLOCK_MONOTONIC) | (1u << VDSO_CLOCK_MONOTONIC_RAW) |     \
	 (1u << VDSO_CLOCK_MONOTONIC_COARSE) | (1u << VDSO_CLOCK_BOOTTIME))

static uint32_t clock_bit(int32_t clk)
{
	return (uint32_t)clk < 32 ? 1u << clk : 0;
}

/*
 * The time of clock `clk` in ns; false when the vDSO cannot answer it (a
 * CPU-time clock, an alarm clock, a bad id, or VDSO_MODE_SYSCALL). A
 * negative id is a CPU-time clock of a process or thread: never ours.
 */
static inline __attribute__((always_inline)) bool clock_ns(int32_t clk,
							    uint64_t *ns)
{
	struct snapshot s;

	uint32_t bit = clock_bit(clk);

	if (!(bit & (REALTIME_CLOCKS | MONOTONIC_CLOCKS)))
		return false;
	read_clock(&s);
	if (s.clock_mode != VDSO_MODE_TSC)
		return false;
	*ns = monotonic_ns(&s);
	if (bit & REALTIME_CLOCKS)
		*ns += s.realtime_offset_ns;
	return true;
}

int __vdso_clock_gettime(int32_t clk, struct timespec_abi *ts)
{
	uint64_t ns;

	if (!clock_ns(clk, &ns))
		return (int)syscall2(SYS_clock_gettime, clk, (long)ts);
	ts->tv_sec = (int64_t)(ns / NSEC);
	ts->tv_nsec = (int64_t)(ns % NSEC);
	return 0;
}

int __vdso_gettimeofday(struct timeval_abi *tv, struct timezone_abi *tz)
{
	const struct vdso_data *d = &vdso_vvar;
	uint64_t ns;

	if (tv && !clock_ns(VDSO_CLOCK_REALTIME, &ns))
		return (int)syscall2(SYS_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = (int64_t)(ns / NSEC);
		tv->tv_usec = (int64_t)(ns % NSEC / 1000);
	}
	if (tz) {
		tz->tz_minuteswest =
		    __atomic_load_n(&d->tz_minuteswest, __ATOMIC_RELAXED);
		tz->tz_dsttime =
		    __atomic_load_n(&d->tz_dsttime, __ATOMIC_RELAXED);
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	uint64_t ns;

	if (!clock_ns(VDSO_CLOCK_REALTIME, &ns))
		return syscall2(SYS_time, (long)t, 0);
	int64_t sec = (int64_t)(ns / NSEC);
	if (t)
		*t = sec;
	return sec;
}

int __vdso_clock_getres(int32_t clk, struct timespec_abi *res)
{
	const struct vdso_data *d = &vdso_vvar;
	bool coarse = clk == VDSO_CLOCK_REALTIME_COARSE ||
		      clk == VDSO_CLOCK_MONOTONIC_COARSE;

	if (!(clock_bit(clk) & (REALTIME_CLOCKS | MONOTONIC_CLOCKS)) ||
	    __atomic_load_n(&d->clock_mode, __ATOMIC_RELAXED) != VDSO_MODE_TSC)
		return (int)syscall2(SYS_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = coarse ? VDSO_COARSE_RES_NS : 1;
	}
	return 0;
}

/* The third argument is a cache Linux has ignored since 2.6.24. */
int __vdso_getcpu(uint32_t *cpu, uint32_t *node, void *unused)
{
	const struct vdso_data *d = &vdso_vvar;
	uint64_t aux = 0;

	switch (__atomic_load_n(&d->getcpu_mode, __ATOMIC_RELAXED)) {
	case VDSO_GETCPU_RDPID:
		asm volatile("rdpid %0" : "=r"(aux));
		break;
	case VDSO_GETCPU_RDTSCP: {
		uint32_t lo, hi, c;

		asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
		aux = c;
		break;
	}
	default:
		return (int)syscall3(SYS_getcpu, (long)cpu, (long)node,
				     (long)unused);
	}
	if (cpu)
		*cpu = (uint32_t)(aux & 0xfff);
	if (node)
		*node = (uint32_t)(aux >> 12);
	return 0;
}

/* The unprefixed names, as Linux's vDSO exports them too. */
int clock_gettime(int32_t, struct timespec_abi *)
    __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_abi *, struct timezone_abi *)
    __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int32_t, struct timespec_abi *)
    __attribute__((weak, alias("__vdso_clock_getres")));
int getcpu(uint32_t *, uint32_t *, void *)
    __attribute__((weak, alias("__vdso_getcpu")));

/*
 * The "Linux" ELF note with the kernel version the vDSO belongs to (the
 * same as uname's release, 6.1.0), which older glibc reads instead of
 * calling uname. Linux: include/linux/elfnote.h.
 */
struct linux_note {
	uint32_t namesz, descsz, type;
	char name[8];
	uint32_t version;
};
static const struct linux_note linux_note
    __attribute__((used, section(".note.Linux"), aligned(4))) = {
	6, 4, 0, "Linux", (6 << 16) | (1 << 8) | 0};
