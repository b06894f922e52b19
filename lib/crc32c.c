/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * ext4's metadata_csum, iSCSI and SCTP (RFC 3720 B.4). The function is the
 * raw update, without the initial and final inversion, as Linux's
 * crc32c(): ext4 seeds it with ~0 and stores the result uninverted, while
 * the usual "check" value is ~crc32c(~0, "123456789", 9) == 0xE3069283.
 *
 * Slicing by 8: eight 256-entry tables, built once on first use, consume
 * eight bytes per step. Integer code only (the kernel has no SSE).
 */
#include "lib/lib.h"

#define CRC32C_POLY 0x82F63B78u

static uint32_t crc32c_table[8][256];
static bool crc32c_ready;

/* Idempotent, so a race between two first callers writes the same words. */
static void crc32c_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
		crc32c_table[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc32c_table[t][i] =
			    (crc32c_table[t - 1][i] >> 8) ^
			    crc32c_table[0][crc32c_table[t - 1][i] & 0xFF];
	__atomic_store_n(&crc32c_ready, true, __ATOMIC_RELEASE);
}

static uint32_t crc32c_step8(uint32_t crc, const uint8_t *p)
{
	uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
			     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);

	return crc32c_table[7][lo & 0xFF] ^ crc32c_table[6][(lo >> 8) & 0xFF] ^
	       crc32c_table[5][(lo >> 16) & 0xFF] ^ crc32c_table[4][lo >> 24] ^
	       crc32c_table[3][p[4]] ^ crc32c_table[2][p[5]] ^
	       crc32c_table[1][p[6]] ^ crc32c_table[0][p[7]];
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!__atomic_load_n(&crc32c_ready, __ATOMIC_ACQUIRE))
		crc32c_init();
	for (; len >= 8; len -= 8, p += 8)
		crc = crc32c_step8(crc, p);
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xFF];
	return crc;
}
