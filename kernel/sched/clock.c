/* The monotonic clock counts from kernel entry; the wall clock adds the
 * RTC's time at boot to it. */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"

static int64_t boot_epoch;

uint64_t clock_monotonic_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_entry_tsc);
}

uint64_t clock_realtime_ns(void)
{
	return clock_realtime_offset_ns() + clock_monotonic_ns();
}

uint64_t clock_realtime_offset_ns(void)
{
	return (uint64_t)boot_epoch * 1000000000ull;
}

static int clock_init(void)
{
	boot_epoch = rtc_read_epoch();
	return 0;
}
INIT_STEP(44, clock_init);
