/* The monotonic clock counts from kernel entry; the wall clock adds an
 * offset to it: the RTC's time at boot, until clock_settime moves it. */
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"

static uint64_t realtime_offset; /* atomic: CLOCK_REALTIME - MONOTONIC */

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
	return __atomic_load_n(&realtime_offset, __ATOMIC_RELAXED);
}

int clock_set_realtime(uint64_t ns)
{
	uint64_t mono = clock_monotonic_ns();

	if (ns < mono)
		return -EINVAL; /* before boot: Linux refuses it too */
	__atomic_store_n(&realtime_offset, ns - mono, __ATOMIC_RELAXED);
	return 0;
}

static int clock_init(void)
{
	realtime_offset = (uint64_t)rtc_read_epoch() * 1000000000ull;
	return 0;
}
INIT_STEP(44, clock_init);
