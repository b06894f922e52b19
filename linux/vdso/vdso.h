/*
 * The vDSO: a small ELF shared object that the kernel maps into the
 * application (announced by AT_SYSINFO_EHDR) so that clock_gettime,
 * gettimeofday, time, clock_getres and getcpu are plain function calls.
 *
 * Memory layout, one page of data below the code:
 *
 *	vdso_base - 4096   the data page ("vvar"): struct vdso_data, read-only
 *	vdso_base          the ELF image (linux/vdso/vdso.c), read + execute
 *
 * The vDSO finds the data page with a RIP-relative reference to the symbol
 * vdso_vvar, which its linker script (vdso.ld) places one page below the
 * image's first byte.
 *
 * The seqlock. The kernel is the only writer; any number of application
 * threads read, on any CPU, without a lock:
 *   writer: seq += 1 (odd); release fence; write the fields; seq += 1
 *           (even) with release order.
 *   reader: s = seq (acquire), waiting while it is odd; read the fields;
 *           acquire fence; if seq != s, start again.
 * A reader that overlaps a write sees seq change (or odd) and retries, so
 * it never mixes fields of two generations. Writers run only at boot for
 * now, but a clock adjustment (settimeofday, NTP slewing) must use the
 * same protocol.
 *
 * This header is shared by the kernel (writer) and the vDSO (reader): the
 * layout is the ABI between them, both built from this tree, so it has no
 * version beyond the build.
 */
#ifndef LINUX_VDSO_VDSO_H
#define LINUX_VDSO_VDSO_H

#include <stdint.h>

#define VDSO_DATA_SIZE 4096 /* one page below the image */

/* The clock ids (Linux: include/uapi/linux/time.h). sys_time.c answers
 * every id; the vDSO answers those its clock_mode allows. */
#define VDSO_CLOCK_REALTIME 0
#define VDSO_CLOCK_MONOTONIC 1
#define VDSO_CLOCK_MONOTONIC_RAW 4
#define VDSO_CLOCK_REALTIME_COARSE 5
#define VDSO_CLOCK_MONOTONIC_COARSE 6
#define VDSO_CLOCK_BOOTTIME 7
#define VDSO_CLOCK_TAI 11
/* clock_getres of the coarse clocks; the same as sys_time.c's
 * COARSE_RES_NS (Linux's jiffy at HZ=250). */
#define VDSO_COARSE_RES_NS 4000000

/* vdso_data.clock_mode */
#define VDSO_MODE_SYSCALL 0 /* every call enters the kernel */
#define VDSO_MODE_TSC 1	    /* the clocks come from the TSC */

/* vdso_data.getcpu_mode */
#define VDSO_GETCPU_RDPID 1 /* RDPID reads MSR_TSC_AUX: (node << 12) | cpu */
#define VDSO_GETCPU_RDTSCP 2 /* RDTSCP reads it too, with the TSC */
#define VDSO_GETCPU_SYSCALL 3 /* neither: ask the kernel */

/*
 * CLOCK_MONOTONIC = ((tsc - tsc_base) * mult) >> shift, the product in 128
 * bits: the same arithmetic as the kernel's clock_monotonic_ns, so that a
 * vDSO read and a system call at the same TSC value agree to the
 * nanosecond. CLOCK_REALTIME = CLOCK_MONOTONIC + realtime_offset_ns.
 */
struct vdso_data {
	uint32_t seq; /* the seqlock above; odd while the kernel writes */
	uint32_t clock_mode;	     /* VDSO_MODE_* */
	uint64_t tsc_base;	     /* the TSC at CLOCK_MONOTONIC 0 */
	uint64_t mult;		     /* ns per tick, as a fixed-point factor */
	uint32_t shift;		     /* ... with this many fraction bits */
	uint32_t getcpu_mode;	     /* VDSO_GETCPU_*; fixed at boot */
	uint64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	int32_t tz_minuteswest;	     /* for gettimeofday's struct timezone */
	int32_t tz_dsttime;
};

/* ---- the kernel side (linux/vdso.c) ---- */
/*
 * Maps the data page and the image into the application's mmap area and
 * returns the image's address for AT_SYSINFO_EHDR; 0 when there is no
 * vDSO (out of memory): the application then makes system calls.
 */
uint64_t vdso_map(void);
/* The data page, the kernel's, which every application's mapping shows
 * (NULL when there is no vDSO); read it for the time zone and the
 * self-test. */
const struct vdso_data *vdso_kernel_data(void);
/* The wall clock was set (clock_set_realtime): publish its new offset. */
void vdso_realtime_changed(void);
/* settimeofday's time zone, which gettimeofday reports. */
void vdso_set_tz(int32_t minuteswest, int32_t dsttime);
/* The embedded image, for the self-test. */
extern const char vdso_image_start[], vdso_image_end[];

#endif
