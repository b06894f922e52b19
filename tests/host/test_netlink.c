/* Host tests for net/nlmsg.c, the netlink message and attribute walk
 * (application input to AF_NETLINK sockets). */
#include "net/nlmsg.h"
#include "tests/host/check.h"

static uint8_t buf[256];

/* A message of `len` bytes (header included) at `at`; returns at + its
 * aligned length. */
static size_t put_msg(size_t at, uint32_t len, uint16_t type)
{
	struct nlmsghdr_k h = {len, type, 1, 7, 0};

	memcpy(buf + at, &h, sizeof(h));
	return at + NLMSG_ALIGN(len);
}

static void put_attr(size_t at, uint16_t len, uint16_t type)
{
	memcpy(buf + at, &len, 2);
	memcpy(buf + at + 2, &type, 2);
}

static void walk_two_messages(void)
{
	struct nlmsghdr_k h;
	size_t off = 0, end = put_msg(put_msg(0, 20, 18), 16, 3);

	CHECK(nlmsg_next(buf, end, &off, &h) == buf);
	CHECK_EQ(h.type, 18);
	CHECK_EQ(off, 20);
	CHECK(nlmsg_next(buf, end, &off, &h) == buf + 20);
	CHECK_EQ(h.type, 3);
	CHECK(nlmsg_next(buf, end, &off, &h) == NULL);
}

static void malformed_ends_the_buffer(void)
{
	struct nlmsghdr_k h;
	size_t off = 0;

	put_msg(0, 12, 18); /* shorter than its header */
	CHECK(nlmsg_next(buf, 64, &off, &h) == NULL);
	put_msg(0, 65, 18); /* longer than the buffer */
	off = 0;
	CHECK(nlmsg_next(buf, 64, &off, &h) == NULL);
	off = 0;
	CHECK(nlmsg_next(buf, 15, &off, &h) == NULL); /* a partial header */
	/* the last message's padding may be missing */
	put_msg(0, 18, 18);
	off = 0;
	CHECK(nlmsg_next(buf, 18, &off, &h) == buf);
	CHECK_EQ(off, 18);
}

static void attributes(void)
{
	size_t vlen = 0;
	bool bad;

	memset(buf, 0, sizeof(buf));
	put_attr(32, 8, 4); /* a u32 */
	put_attr(40, 7, 3); /* "lo" + NUL, padded to 8 */
	CHECK(nlattr_find(buf, 48, 32, 3, &vlen, &bad) == buf + 44);
	CHECK_EQ(vlen, 3);
	CHECK(!bad);
	CHECK(nlattr_find(buf, 48, 32, 9, &vlen, &bad) == NULL);
	CHECK(!bad);
	put_attr(40, 3, 3); /* shorter than its header */
	CHECK(nlattr_find(buf, 48, 32, 3, &vlen, &bad) == NULL);
	CHECK(bad);
	put_attr(40, 12, 3); /* past the message */
	CHECK(nlattr_find(buf, 48, 32, 3, &vlen, &bad) == NULL);
	CHECK(bad);
}

int main(void)
{
	RUN_TEST(walk_two_messages);
	RUN_TEST(malformed_ends_the_buffer);
	RUN_TEST(attributes);
	return check_exit();
}
