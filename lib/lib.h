/*
 * Freestanding C library for the kernel: string functions and formatting.
 * Everything here is pure, so the host unit tests build it too.
 */
#ifndef LIB_LIB_H
#define LIB_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(p, type, member)                                          \
	((type *)((char *)(p)-offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#ifndef OSPREY_HOST
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#else
#include <string.h>
#endif

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a decimal or 0x-prefixed unsigned number; false on junk/overflow. */
bool parse_u64(const char *s, size_t len, uint64_t *out);

/* SipHash-2-4 (lib/siphash.c): the keyed 64-bit hash of len bytes. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

/* CRC-32C (lib/crc32c.c), the raw update as Linux's crc32c(): no initial
 * or final inversion, so the usual check value is ~crc32c(~0u, ...). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* Overflow-checked arithmetic for lengths from outside input. */
static inline bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

#endif
