/*
 * The TSC is the kernel's clock. Its rate comes from the first source that
 * knows it: kvmclock (KVM's pvclock), CPUID leaf 0x15 (crystal ratio),
 * 0x16 (base MHz), 0x40000010 (hypervisor timing leaf), else a measurement
 * against the PIT, else against the CMOS RTC's once-a-second update. The
 * last two matter on microvm under TCG, which has neither kvmclock nor HPET.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define PIT_HZ 1193182
#define PIT_CALIBRATE_MS 2 /* 0.04% at one PIT tick; boot time counts */

uint64_t tsc_hz;
const char *tsc_source = "none";
static uint64_t ns_mult;  /* ns = ticks * ns_mult >> 32 */
static uint64_t tsc_mult; /* ticks = ns * tsc_mult >> 32 */

struct pvclock {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad[2];
} __attribute__((packed));
struct pvclock_wall {
	uint32_t version, sec, nsec;
} __attribute__((packed));

static struct pvclock kvmclock __attribute__((aligned(64)));
static struct pvclock_wall kvm_wall __attribute__((aligned(64)));
static bool have_kvmclock;

static uint64_t from_kvmclock(void)
{
	uint32_t r[4];

	if (memcmp(cpu_features.hypervisor_id, "KVMKVMKVM", 9) != 0)
		return 0;
	cpuid(0x40000001, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys(&kvmclock) | 1);
	uint32_t mul = __atomic_load_n(&kvmclock.tsc_to_system_mul,
				       __ATOMIC_ACQUIRE);
	if (!mul)
		return 0;
	have_kvmclock = true;
	/* ns = ((ticks << shift) * mul) >> 32, so Hz = 1e9 * 2^32 / mul. */
	uint64_t hz = muldiv64(1000000000, 1ull << 32, mul);
	int s = kvmclock.tsc_shift;
	return s >= 0 ? hz >> s : hz << -s;
}

static uint64_t from_cpuid(const char **src)
{
	uint32_t r[4], max;

	cpuid(0, 0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);
		if (r[0] && r[1] && r[2]) {
			*src = "CPUID 0x15";
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);
		if (r[0]) {
			*src = "CPUID 0x16";
			return (uint64_t)r[0] * 1000000;
		}
	}
	if (cpu_features.hypervisor) {
		cpuid(0x40000000, 0, r);
		if (r[0] >= 0x40000010) {
			cpuid(0x40000010, 0, r);
			if (r[0]) {
				*src = "CPUID 0x40000010";
				return (uint64_t)r[0] * 1000;
			}
		}
	}
	return 0;
}

/*
 * PIT channel 0, counting down once from 0xffff (mode 0), read with the
 * latch command. Channel 2's gate (port 0x61) would be simpler but belongs
 * to the PC speaker, which microvm does not have. Interrupts are off and
 * the PIC is masked, so the terminal-count interrupt goes nowhere.
 */
static uint16_t pit_read_count(void)
{
	outb(0x43, 0x00); /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | (inb(0x40) << 8));
}

static uint64_t from_pit(void)
{
	const uint16_t window = PIT_HZ * PIT_CALIBRATE_MS / 1000;

	outb(0x43, 0x30); /* channel 0, lo/hi byte, mode 0 */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	/* A missing PIT reads 0xffff forever; a present one soon moves. */
	uint64_t start = rdtsc();
	while (pit_read_count() == 0xffff)
		if (rdtsc() - start > (1ull << 26))
			return 0;
	uint16_t c0 = pit_read_count(), c;
	uint64_t t0 = rdtsc();
	/* Bounded: 2^32 ticks is seconds even on a fast CPU. */
	do {
		c = pit_read_count();
		if (c > c0 || rdtsc() - start > (1ull << 32))
			return 0; /* wrapped or stuck: no trustworthy PIT */
	} while ((uint16_t)(c0 - c) < window);
	uint64_t ticks = rdtsc() - t0;
	return muldiv64(ticks, PIT_HZ, (uint16_t)(c0 - c));
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static bool rtc_update_in_progress(void)
{
	return cmos_read(0x0a) & 0x80;
}

/* The RTC starts an update once a second: time two such edges. */
static uint64_t from_rtc(void)
{
	uint64_t start, limit = 1ull << 36;

	if (cmos_read(0x0a) == 0xff)
		return 0;
	start = rdtsc();
	while (!rtc_update_in_progress())
		if (rdtsc() - start > limit)
			return 0;
	while (rtc_update_in_progress())
		if (rdtsc() - start > limit)
			return 0;
	uint64_t t0 = rdtsc();
	while (!rtc_update_in_progress())
		if (rdtsc() - start > limit)
			return 0;
	while (rtc_update_in_progress())
		if (rdtsc() - start > limit)
			return 0;
	return rdtsc() - t0;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_mult) >> 32);
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * tsc_mult) >> 32);
}

static int days_from_civil(int y, int m, int d)
{
	/* Days since 1970-01-01 of a Gregorian date (proleptic). */
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int bcd(uint8_t v, bool binary)
{
	return binary ? v : (v & 0x0f) + (v >> 4) * 10;
}

int64_t rtc_read_epoch(void)
{
	if (have_kvmclock) {
		wrmsr(MSR_KVM_WALL_CLOCK_NEW, virt_to_phys(&kvm_wall));
		uint64_t since_boot = tsc_to_ns(rdtsc() - boot_entry_tsc);
		return (int64_t)kvm_wall.sec +
		       (int64_t)(kvmclock.system_time - since_boot) /
			       1000000000;
	}
	if (cmos_read(0x0a) == 0xff)
		return 0;
	/* spin-ok: the RTC updates for under 2 ms; bounded. */
	for (int i = 0; i < 1000000 && rtc_update_in_progress(); i++)
		cpu_relax();
	uint8_t b = cmos_read(0x0b);
	bool binary = b & 0x04, h24 = b & 0x02;
	int sec = bcd(cmos_read(0x00), binary);
	int min = bcd(cmos_read(0x02), binary);
	uint8_t hr = cmos_read(0x04);
	int hour = bcd(hr & 0x7f, binary);
	int day = bcd(cmos_read(0x07), binary);
	int mon = bcd(cmos_read(0x08), binary);
	int year = bcd(cmos_read(0x09), binary);
	int century = bcd(cmos_read(0x32), binary);

	if (!h24 && (hr & 0x80))
		hour = (hour % 12) + 12;
	year += (century >= 19 && century <= 30) ? century * 100 : 2000;
	return (int64_t)days_from_civil(year, mon, day) * 86400 + hour * 3600 +
	       min * 60 + sec;
}

int tsc_init(void)
{
	const char *src = NULL;
	uint64_t hz;

	if ((hz = from_kvmclock()))
		src = "kvmclock";
	else if ((hz = from_cpuid(&src)))
		;
	else if ((hz = from_pit()))
		src = "PIT";
	else if ((hz = from_rtc()))
		src = "RTC";
	if (!hz) {
		kprintf("osprey: cannot find the TSC rate: no kvmclock, no "
			"CPUID timing leaf, no PIT, no RTC\n");
		return -EIO;
	}
	tsc_hz = hz;
	tsc_source = src;
	ns_mult = muldiv64(1000000000, 1ull << 32, hz);
	tsc_mult = muldiv64(hz, 1ull << 32, 1000000000);
	return 0;
}
