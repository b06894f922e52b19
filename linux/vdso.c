/*
 * The kernel's side of the vDSO (linux/vdso/vdso.h): at boot, fill the
 * data page from the clock; at exec, show that very page, read-only, in
 * the application's mmap area (whose base the loader has randomised),
 * with a copy of the embedded image above it.
 *
 * The data page is the kernel's (one page, allocated at boot, never
 * freed): the application's mapping borrows it (as_borrow), so a munmap
 * leaves it alone, and the kernel writes it through the direct map when
 * the wall clock is set (clock_settime, settimeofday), following the
 * seqlock writer below. Writers are serialised by data_lock and write
 * with interrupts off, so a reader's retry loop never waits on a
 * preempted writer.
 *
 * tsc.c keeps its factor private: vdso_init derives its own and checks
 * that it reproduces the kernel's clocks; when it does not, the vDSO
 * sends every clock call to the kernel (VDSO_MODE_SYSCALL) instead of
 * answering differently.
 */
#include "linux/vdso/vdso.h"
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/linux.h"

#define NSEC 1000000000ull
#define VDSO_IMAGE_MAX (64 * 1024) /* the image is about 8 KiB */

/* The data page: set by vdso_init, then written only under data_lock. */
static struct vdso_data *kdata;
static struct mutex data_lock = MUTEX_INIT;
static bool vdso_ok; /* the image looks like an ELF and kdata exists */

/* The writer's half of the seqlock in vdso.h. */
static void vdso_data_write(struct vdso_data *dst, const struct vdso_data *src)
{
	uint32_t seq = __atomic_load_n(&dst->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&dst->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
#define PUT(f) __atomic_store_n(&dst->f, src->f, __ATOMIC_RELAXED)
	PUT(clock_mode);
	PUT(tsc_base);
	PUT(mult);
	PUT(shift);
	PUT(getcpu_mode);
	PUT(realtime_offset_ns);
	PUT(tz_minuteswest);
	PUT(tz_dsttime);
#undef PUT
	__atomic_store_n(&dst->seq, seq + 2, __ATOMIC_RELEASE);
}

static uint64_t vdso_ticks_to_ns(const struct vdso_data *d, uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * d->mult) >> d->shift);
}

/* Whether d's factor gives tsc_to_ns's answer, tick for tick. */
static bool factor_matches(const struct vdso_data *d)
{
	static const uint64_t samples[] = {
	    0, 1, 999, 1000000007, 123456789012345ull, 1ull << 50,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(samples); i++)
		if (vdso_ticks_to_ns(d, samples[i]) != tsc_to_ns(samples[i]))
			return false;
	return vdso_ticks_to_ns(d, tsc_hz) == tsc_to_ns(tsc_hz);
}

/*
 * How the vDSO's getcpu learns the CPU: RDPID or RDTSCP read MSR_TSC_AUX,
 * which arch_cpu_init sets on every CPU to its number (CPUID.(7,0):ECX
 * bit 22 and CPUID.80000001h:EDX bit 27); without either, a system call.
 * Checked here on this CPU, as a hypervisor may advertise what it lacks.
 */
static uint32_t getcpu_mode(void)
{
	uint32_t r[4], lo, hi, c;
	uint64_t aux;

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		if (r[2] & (1u << 22)) {
			asm volatile("rdpid %0" : "=r"(aux));
			if (aux == cpu_id())
				return VDSO_GETCPU_RDPID;
		}
	}
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		if (r[3] & (1u << 27)) {
			asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
			if (c == cpu_id())
				return VDSO_GETCPU_RDTSCP;
		}
	}
	return VDSO_GETCPU_SYSCALL;
}

static bool image_ok(void)
{
	size_t len = (size_t)(vdso_image_end - vdso_image_start);

	return len >= 64 && len <= VDSO_IMAGE_MAX &&
	       memcmp(vdso_image_start, "\177ELF", 4) == 0;
}

static int vdso_init(void)
{
	struct vdso_data d = {
	    .tsc_base = boot_entry_tsc,
	    .shift = 32,
	    .getcpu_mode = getcpu_mode(),
	};

	kdata = page_alloc(0);
	vdso_ok = image_ok() && kdata;
	if (!vdso_ok) {
		kprintf("osprey: vdso: %s; no vDSO\n",
			kdata ? "the embedded image is not an ELF file"
			      : "no memory for its data page");
		return 0;
	}
	memset(kdata, 0, VDSO_DATA_SIZE);
	if (tsc_hz)
		d.mult = muldiv64(NSEC, 1ull << 32, tsc_hz);
	d.realtime_offset_ns = clock_realtime_offset_ns();
	if (tsc_hz && factor_matches(&d))
		d.clock_mode = VDSO_MODE_TSC;
	else
		kprintf("osprey: vdso: cannot reproduce the kernel's clocks; "
			"the vDSO makes system calls\n");
	vdso_data_write(kdata, &d);
	return 0;
}
INIT_STEP(45, vdso_init);

const struct vdso_data *vdso_kernel_data(void)
{
	return kdata;
}

/* Rewrites the page with `change` applied to a copy of it. */
static void data_update(void (*change)(struct vdso_data *d, const void *arg),
			const void *arg)
{
	struct vdso_data d;

	if (!kdata)
		return;
	mutex_lock(&data_lock);
	d = *kdata;
	change(&d, arg);
	uint64_t flags = irq_save();
	vdso_data_write(kdata, &d);
	irq_restore(flags);
	mutex_unlock(&data_lock);
}

static void put_offset(struct vdso_data *d, const void *arg)
{
	d->realtime_offset_ns = *(const uint64_t *)arg;
}

void vdso_realtime_changed(void)
{
	uint64_t off = clock_realtime_offset_ns();

	data_update(put_offset, &off);
}

static void put_tz(struct vdso_data *d, const void *arg)
{
	const int32_t *tz = arg;

	d->tz_minuteswest = tz[0];
	d->tz_dsttime = tz[1];
}

void vdso_set_tz(int32_t minuteswest, int32_t dsttime)
{
	int32_t tz[2] = {minuteswest, dsttime};

	data_update(put_tz, tz);
}

uint64_t vdso_map(void)
{
	size_t image_len = (size_t)(vdso_image_end - vdso_image_start);
	uint64_t len = VDSO_DATA_SIZE + ALIGN_UP(image_len, PAGE_SIZE);
	uint64_t base = 0;
	int err = -EINVAL;

	if (!vdso_ok)
		goto out;
	err = as_map(&base, len, PROT_READ | PROT_WRITE, 0);
	if (err)
		goto out;
	err = as_borrow(base, virt_to_phys(kdata), VDSO_DATA_SIZE);
	if (!err)
		err = as_populate(base + VDSO_DATA_SIZE, len - VDSO_DATA_SIZE);
	if (err)
		goto out_unmap;
	/* The image's pages are writable until as_protect. */
	memcpy((void *)(base + VDSO_DATA_SIZE), vdso_image_start, image_len);
	err = as_protect(base, VDSO_DATA_SIZE, PROT_READ);
	if (!err)
		err = as_protect(base + VDSO_DATA_SIZE, len - VDSO_DATA_SIZE,
				 PROT_READ | PROT_EXEC);
	if (err)
		goto out_unmap;
	return base + VDSO_DATA_SIZE;
out_unmap:
	as_unmap(base, len);
out:
	kprintf("osprey: no vDSO for the application: error %d\n", -err);
	return 0;
}
