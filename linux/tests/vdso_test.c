/*
 * Self-test of the vDSO's kernel side: the embedded image is there, the
 * data page reproduces the kernel's clocks (so the vDSO answers without
 * system calls), and vdso_map lays out the data page (read-only) below a
 * copy of the image (read + execute). The vDSO's code itself is tested
 * from an application: tests/apps/vdso_check.c.
 */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/tests/selftest.h"
#include "linux/vdso/vdso.h"

static uint64_t data_monotonic_ns(const struct vdso_data *d)
{
	unsigned __int128 p =
	    (unsigned __int128)(rdtsc() - d->tsc_base) * d->mult;

	return (uint64_t)(p >> d->shift);
}

static int data_page_test(void)
{
	const struct vdso_data *d = vdso_kernel_data();
	int failures = 0;

	CHECK_EQ(d->clock_mode, VDSO_MODE_TSC);
	CHECK_EQ(d->seq & 1, 0);
	uint64_t m0 = clock_monotonic_ns();
	uint64_t v = data_monotonic_ns(d);
	uint64_t m1 = clock_monotonic_ns();
	CHECK(m0 <= v && v <= m1);
	uint64_t r0 = clock_realtime_ns();
	uint64_t vr = data_monotonic_ns(d) + d->realtime_offset_ns;
	uint64_t r1 = clock_realtime_ns();
	CHECK(r0 <= vr && vr <= r1);
	return failures;
}

static int mapping_test(void)
{
	size_t image_len = (size_t)(vdso_image_end - vdso_image_start);
	int failures = 0;

	CHECK(image_len > 64);
	CHECK(memcmp(vdso_image_start, "\177ELF", 4) == 0);
	uint64_t base = vdso_map();
	CHECK(base != 0);
	if (!base)
		return failures;
	uint64_t data = base - VDSO_DATA_SIZE;
	CHECK_EQ(base % PAGE_SIZE, 0);
	CHECK(as_accessible(data, VDSO_DATA_SIZE, PROT_READ));
	CHECK(!as_accessible(data, VDSO_DATA_SIZE, PROT_WRITE));
	CHECK(!as_accessible(data, VDSO_DATA_SIZE, PROT_EXEC));
	CHECK(as_accessible(base, image_len, PROT_READ | PROT_EXEC));
	CHECK(!as_accessible(base, image_len, PROT_WRITE));
	CHECK(memcmp((const void *)base, vdso_image_start, image_len) == 0);
	CHECK(memcmp((const void *)data, vdso_kernel_data(),
		     sizeof(struct vdso_data)) == 0);
	/* The mapping shows the kernel's page itself: a change is seen. */
	const struct vdso_data *shown = (const void *)data;
	vdso_set_tz(-90, 1);
	CHECK_EQ(shown->tz_minuteswest, -90);
	CHECK_EQ(shown->seq & 1, 0);
	vdso_set_tz(0, 0);
	CHECK_EQ(shown->tz_minuteswest, 0);
	CHECK_EQ(
	    as_unmap(data, VDSO_DATA_SIZE + ALIGN_UP(image_len, PAGE_SIZE)), 0);
	/* ... and unmapping left the page to the kernel. */
	CHECK_EQ(vdso_kernel_data()->seq & 1, 0);
	CHECK_EQ(vdso_kernel_data()->clock_mode, VDSO_MODE_TSC);
	return failures;
}

static int vdso_test(void)
{
	return data_page_test() + mapping_test();
}
SELFTEST("vdso", vdso_test);
