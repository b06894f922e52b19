/*
 * What the host builds of net/dhcp_msg.c (its unit tests, fuzzer and
 * interop program) need of net/core.c: the Internet checksum (RFC 1071),
 * a plain reference version, word by word, so that they link nothing of
 * the kernel.
 */
#include <stddef.h>
#include <stdint.h>

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t net_csum_fold(uint32_t sum);

uint32_t net_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t acc = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		acc += (uint32_t)b[len - 1] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t net_csum_fold(uint32_t sum)
{
	uint16_t v;

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = (uint16_t)~sum;
	return (uint16_t)(v << 8 | v >> 8);
}
