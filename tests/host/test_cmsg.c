/* Host tests for net/cmsg.c, the walk over a send's control messages
 * (application input). */
#include "kernel/kernel.h"
#include "net/cmsg.h"
#include "tests/host/check.h"

static uint64_t buf[16]; /* aligned as the kernel's copy */

static void put(size_t at, uint64_t len, int type)
{
	struct cmsghdr_k h = {len, 1, type};

	memcpy((uint8_t *)buf + at, &h, sizeof(h));
}

static void walk_two(void)
{
	const struct cmsghdr_k *c;
	int err;

	put(0, 20, 1); /* one int: padded to 24 */
	put(24, 28, 2);
	c = cmsg_next(buf, 52, NULL, &err);
	CHECK(c == (void *)buf);
	c = cmsg_next(buf, 52, c, &err);
	CHECK(c == (void *)((uint8_t *)buf + 24));
	CHECK_EQ(c->type, 2);
	CHECK(cmsg_next(buf, 52, c, &err) == NULL);
	CHECK_EQ(err, 0);
}

static void malformed(void)
{
	int err;

	put(0, 8, 1); /* shorter than its header */
	CHECK(cmsg_next(buf, 64, NULL, &err) == NULL);
	CHECK_EQ(err, -EINVAL);
	put(0, 65, 1); /* past the buffer */
	CHECK(cmsg_next(buf, 64, NULL, &err) == NULL);
	CHECK_EQ(err, -EINVAL);
	/* less than a header: the end, no error */
	CHECK(cmsg_next(buf, 15, NULL, &err) == NULL);
	CHECK_EQ(err, 0);
	CHECK(cmsg_next(NULL, 64, NULL, &err) == NULL);
	/* a huge length does not wrap the walk */
	put(0, 16, 1);
	put(16, ~0ull - 3, 1);
	const struct cmsghdr_k *c = cmsg_next(buf, 64, NULL, &err);
	CHECK(cmsg_next(buf, 64, c, &err) == NULL);
	CHECK_EQ(err, -EINVAL);
}

int main(void)
{
	RUN_TEST(walk_two);
	RUN_TEST(malformed);
	return check_exit();
}
