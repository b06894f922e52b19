/*
 * Host tests for drivers/virtio/virtq_check.c: the driver's record of its
 * descriptor chains and the checks that refuse what a hostile device
 * hands back in the used ring (ids out of range or not in flight, used
 * lengths beyond the buffer, chains changed in the shared table), the
 * used-index sanity check and the event-index arithmetic. Also
 * drivers/acpi_mmio.c's DSDT scan on the bytes QEMU's microvm writes.
 */
#include "drivers/drivers.h"
#include "drivers/virtio/virtq.h"
#include "tests/host/check.h"

#define SIZE 8
static uint16_t next[SIZE], chain_n[SIZE];
static uint32_t wlen[SIZE];
static struct virtq_desc desc[SIZE];
static struct virtq_shadow s = {.next = next, .chain_n = chain_n, .wlen = wlen};

static void reset(void)
{
	memset(desc, 0, sizeof(desc));
	virtq_shadow_init(&s, SIZE);
}

/* A chain of n buffers: one read-only, then n-1 writable of 100 bytes. */
static int add(unsigned n)
{
	struct virtq_buf b[4];

	for (unsigned i = 0; i < n; i++)
		b[i] = (struct virtq_buf){0x1000 * (i + 1), 100, i > 0};
	return virtq_chain_add(&s, desc, b, n);
}

static void test_good_chain_checks_and_frees(void)
{
	reset();
	int h = add(3);
	CHECK_EQ(h, 0);
	CHECK_EQ(s.nfree, SIZE - 3);
	CHECK_EQ(s.wlen[h], 200);
	CHECK_EQ(virtq_check_used(&s, desc, h, 200), VIRTQ_OK);
	CHECK_EQ(virtq_check_used(&s, desc, h, 0), VIRTQ_OK);
	virtq_chain_free(&s, h);
	CHECK_EQ(s.nfree, SIZE);
	CHECK_EQ(s.chain_n[h], 0);
}

static void test_id_out_of_range(void)
{
	reset();
	add(1);
	CHECK_EQ(virtq_check_used(&s, desc, SIZE, 0), VIRTQ_BAD_ID);
	CHECK_EQ(virtq_check_used(&s, desc, 0xffffffff, 0), VIRTQ_BAD_ID);
}

static void test_id_not_in_flight(void)
{
	reset();
	int h = add(2);
	/* the middle of a chain, a free descriptor, a head given back twice */
	CHECK_EQ(virtq_check_used(&s, desc, h + 1, 0), VIRTQ_NOT_IN_FLIGHT);
	CHECK_EQ(virtq_check_used(&s, desc, 5, 0), VIRTQ_NOT_IN_FLIGHT);
	CHECK_EQ(virtq_check_used(&s, desc, h, 10), VIRTQ_OK);
	virtq_chain_free(&s, h);
	CHECK_EQ(virtq_check_used(&s, desc, h, 10), VIRTQ_NOT_IN_FLIGHT);
}

static void test_used_length_beyond_buffer(void)
{
	reset();
	int h = add(1); /* read-only: nothing may be written */
	CHECK_EQ(virtq_check_used(&s, desc, h, 1), VIRTQ_BAD_LEN);
	int h2 = add(2);
	CHECK_EQ(virtq_check_used(&s, desc, h2, 101), VIRTQ_BAD_LEN);
	CHECK_EQ(virtq_check_used(&s, desc, h2, 0xffffffff), VIRTQ_BAD_LEN);
}

static void test_chain_loop_in_shared_table(void)
{
	reset();
	int h = add(3);
	desc[h + 1].next = (uint16_t)h; /* a loop back to the head */
	CHECK_EQ(virtq_check_used(&s, desc, h, 0), VIRTQ_BAD_CHAIN);
	/* freed by our own links all the same */
	virtq_chain_free(&s, h);
	CHECK_EQ(s.nfree, SIZE);
}

static void test_chain_link_out_of_range(void)
{
	reset();
	int h = add(2);
	desc[h].next = 0xfff0;
	CHECK_EQ(virtq_check_used(&s, desc, h, 0), VIRTQ_BAD_CHAIN);
}

static void test_chain_cut_or_extended(void)
{
	reset();
	int h = add(2);
	desc[h].flags &= ~VIRTQ_DESC_F_NEXT;
	CHECK_EQ(virtq_check_used(&s, desc, h, 0), VIRTQ_BAD_CHAIN);
	reset();
	h = add(2);
	desc[h + 1].flags |= VIRTQ_DESC_F_NEXT; /* runs on past its end */
	CHECK_EQ(virtq_check_used(&s, desc, h, 0), VIRTQ_BAD_CHAIN);
}

static void test_free_list_survives_out_of_order_completion(void)
{
	int h[4];

	reset();
	for (int i = 0; i < 4; i++)
		h[i] = add(2);
	CHECK_EQ(s.nfree, 0);
	CHECK_EQ(add(1), -1);
	virtq_chain_free(&s, (uint16_t)h[2]);
	virtq_chain_free(&s, (uint16_t)h[0]);
	CHECK_EQ(s.nfree, 4);
	/* the reused descriptors make good chains again */
	int a = add(3);
	CHECK(a >= 0);
	CHECK_EQ(virtq_check_used(&s, desc, a, 200), VIRTQ_OK);
	CHECK_EQ(virtq_check_used(&s, desc, h[1], 100), VIRTQ_OK);
	CHECK_EQ(s.nfree, 1);
}

static void test_used_pending(void)
{
	CHECK_EQ(virtq_used_pending(5, 5, 3), 0);
	CHECK_EQ(virtq_used_pending(7, 5, 3), 2);
	CHECK_EQ(virtq_used_pending(2, 0xfffe, 8), 4); /* wraps */
	CHECK_EQ(virtq_used_pending(9, 5, 3), -1);     /* more than given */
	CHECK_EQ(virtq_used_pending(4, 5, 256), -1);   /* moved backwards */
}

static void test_need_event(void)
{
	/* event 5: a kick is due when the index moves past it */
	CHECK(virtq_need_event(5, 6, 5));
	CHECK(virtq_need_event(5, 8, 3));
	CHECK(!virtq_need_event(5, 5, 3));
	CHECK(!virtq_need_event(5, 9, 6));
	CHECK(virtq_need_event(0xffff, 1, 0xfffe)); /* across the wrap */
}

static void test_idle_behind(void)
{
	/* the lost kick's state: device done to 6098, waiting there, we at
	 * 6131 (from QEMU 7.2's monitor and our state dump) */
	CHECK(virtq_idle_behind(6098, 6098, 6131));
	CHECK(!virtq_idle_behind(6098, 6098, 6098)); /* nothing new */
	CHECK(!virtq_idle_behind(6099, 6098, 6131)); /* still working */
	CHECK(virtq_idle_behind(0xffff, 0xffff, 3)); /* across the wrap */
}

/* Device VR23 as QEMU 7.2's microvm writes it (captured from the guest):
 * _HID "LNRO0005", _UID 23, _CCA, then _CRS with Memory32Fixed
 * (0xfeb02e00, 0x200) and an Extended Interrupt (level, high; GSI 47). */
static const uint8_t vr00[] = {
    0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x4c, 0x4e, 0x52, 0x4f, 0x30, 0x30,
    0x30, 0x35, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x0a, 0x17, 0x08, 0x5f,
    0x43, 0x43, 0x41, 0x01, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x1a, 0x0a,
    0x17, 0x86, 0x09, 0x00, 0x01, 0x00, 0x2e, 0xb0, 0xfe, 0x00, 0x02, 0x00,
    0x00, 0x89, 0x06, 0x00, 0x01, 0x01, 0x2f, 0x00, 0x00, 0x00, 0x79, 0x00};

static void test_dsdt_virtio_mmio(void)
{
	struct acpi_mmio_dev d[2];

	CHECK_EQ(acpi_scan_virtio_mmio(vr00, sizeof(vr00), d, 2), 1);
	CHECK_EQ(d[0].base, 0xfeb02e00);
	CHECK_EQ(d[0].size, 0x200);
	CHECK_EQ(d[0].gsi, 47);
	/* cut anywhere inside the descriptors: nothing found, nothing read
	 * past the end (ASan) */
	for (size_t n = 0; n < sizeof(vr00) - 2; n++)
		CHECK_EQ(acpi_scan_virtio_mmio(vr00, n, d, 2), 0);
}

int main(void)
{
	RUN_TEST(test_good_chain_checks_and_frees);
	RUN_TEST(test_id_out_of_range);
	RUN_TEST(test_id_not_in_flight);
	RUN_TEST(test_used_length_beyond_buffer);
	RUN_TEST(test_chain_loop_in_shared_table);
	RUN_TEST(test_chain_link_out_of_range);
	RUN_TEST(test_chain_cut_or_extended);
	RUN_TEST(test_free_list_survives_out_of_order_completion);
	RUN_TEST(test_used_pending);
	RUN_TEST(test_need_event);
	RUN_TEST(test_idle_behind);
	RUN_TEST(test_dsdt_virtio_mmio);
	return check_exit();
}
