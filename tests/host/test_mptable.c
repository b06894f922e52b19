/* Host tests for drivers/mptable.c, the MP table parser (firmware input). */
#include "drivers/drivers.h"
#include "kernel/kernel.h"
#include "tests/host/check.h"

static uint8_t table[512];
static size_t table_len;
static uint32_t ids[16];

static void fix_checksum(uint8_t *p, size_t n, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	p[at] = (uint8_t)-sum;
}

/* A header, then entries appended by add(); finish() sets the lengths. */
static void start(void)
{
	memset(table, 0, sizeof(table));
	memcpy(table, "PCMP", 4);
	table[6] = 4; /* spec 1.4 */
	memcpy(table + 8, "QEMU    ", 8);
	table_len = 44;
}

static void add(const uint8_t *entry, size_t n)
{
	memcpy(table + table_len, entry, n);
	table_len += n;
	table[34]++; /* the entry count */
}

static void add_cpu(uint8_t apic_id, uint8_t flags)
{
	uint8_t e[20] = {0, apic_id, 0x14, flags};

	add(e, sizeof(e));
}

static void finish(void)
{
	table[4] = (uint8_t)table_len;
	table[5] = (uint8_t)(table_len >> 8);
	fix_checksum(table, table_len, 7);
}

static int parse(void)
{
	memset(ids, 0xa5, sizeof(ids));
	return mptable_cpus(table, table_len, ids, 16);
}

static void mptable_qemu_like_four_cpus(void)
{
	uint8_t bus[8] = {1, 0, 'I', 'S', 'A'}, ioapic[8] = {2, 4, 0x11, 1};
	uint8_t irq[8] = {3}, lint[8] = {4};

	start();
	for (int i = 0; i < 4; i++)
		add_cpu((uint8_t)i, i == 0 ? 3 : 1);
	add(bus, 8);
	add(ioapic, 8);
	add(irq, 8);
	add(lint, 8);
	finish();
	CHECK_EQ(parse(), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(ids[i], i);
}

static void mptable_disabled_cpu_is_left_out(void)
{
	start();
	add_cpu(0, 3);
	add_cpu(7, 0); /* not usable */
	add_cpu(9, 1);
	finish();
	CHECK_EQ(parse(), 2);
	CHECK_EQ(ids[0], 0);
	CHECK_EQ(ids[1], 9);
}

/* Read by length: qboot leaves the entry count 0 (and a count that
 * disagrees changes nothing, as in Linux). */
static void mptable_entry_count_is_ignored(void)
{
	start();
	add_cpu(0, 3);
	add_cpu(1, 1);
	table[34] = 0;
	finish();
	CHECK_EQ(parse(), 2);
	table[34] = 7;
	finish();
	CHECK_EQ(parse(), 2);
}

static void mptable_at_most_max_ids(void)
{
	start();
	for (int i = 0; i < 20; i++)
		add_cpu((uint8_t)i, 1);
	finish();
	CHECK_EQ(parse(), 16);
	CHECK_EQ(ids[15], 15);
}

static void mptable_bad_signature_or_checksum(void)
{
	start();
	add_cpu(0, 1);
	finish();
	table[7]++;
	CHECK_EQ(parse(), -EINVAL);
	table[7]--;
	CHECK_EQ(parse(), 1);
	table[0] = 'X';
	CHECK_EQ(parse(), -EINVAL);
}

static void mptable_lengths_are_checked(void)
{
	start();
	add_cpu(0, 1);
	finish();
	table_len = 50; /* the table says 64 */
	CHECK_EQ(parse(), -EINVAL);
	table_len = 20; /* shorter than a header */
	CHECK_EQ(parse(), -EINVAL);
	start();
	table[4] = 40; /* a base length below the header's */
	fix_checksum(table, 40, 7);
	CHECK_EQ(parse(), -EINVAL);
}

static void mptable_entries_past_the_end_or_unknown(void)
{
	uint8_t unknown[8] = {5};

	start();
	add_cpu(0, 1);
	add(unknown, 8);
	finish();
	CHECK_EQ(parse(), -EINVAL);
	start();
	add_cpu(0, 1);
	finish();
	table[4] = 54; /* cuts the processor entry in half */
	fix_checksum(table, 54, 7);
	CHECK_EQ(parse(), -EINVAL);
}

static void mptable_floating_pointer_checks(void)
{
	uint8_t fp[16] = {'_', 'M', 'P', '_', 0x00, 0xf0, 0x0f, 0x00, 1, 4};

	fix_checksum(fp, 16, 10);
	CHECK_EQ(mptable_floating_pointer(fp, 16), 0xff000);
	CHECK_EQ(mptable_floating_pointer(fp, 15), 0);
	fp[11] = 5; /* a default configuration: no table */
	fix_checksum(fp, 16, 10);
	CHECK_EQ(mptable_floating_pointer(fp, 16), 0);
	fp[11] = 0;
	fp[8] = 2; /* two units */
	fix_checksum(fp, 16, 10);
	CHECK_EQ(mptable_floating_pointer(fp, 16), 0);
	fp[8] = 1;
	fix_checksum(fp, 16, 10);
	CHECK_EQ(mptable_floating_pointer(fp, 16), 0xff000);
	fp[10]++; /* a bad checksum */
	CHECK_EQ(mptable_floating_pointer(fp, 16), 0);
}

int main(void)
{
	RUN_TEST(mptable_qemu_like_four_cpus);
	RUN_TEST(mptable_disabled_cpu_is_left_out);
	RUN_TEST(mptable_entry_count_is_ignored);
	RUN_TEST(mptable_at_most_max_ids);
	RUN_TEST(mptable_bad_signature_or_checksum);
	RUN_TEST(mptable_lengths_are_checked);
	RUN_TEST(mptable_entries_past_the_end_or_unknown);
	RUN_TEST(mptable_floating_pointer_checks);
	return check_exit();
}
