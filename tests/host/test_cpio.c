/* Host tests for fs/cpio.c: good archives, and every way to break one. */
#include <stdlib.h>

#include "fs/cpio.h"
#include "kernel/kernel.h"
#include "tests/host/check.h"

/* ---- building archives in memory ---- */

struct ar {
	uint8_t buf[16384];
	size_t len;
	uint32_t ino;
};

static bool hex_lower;

static void put_hex8(uint8_t *p, uint32_t v)
{
	const char *digits =
	    hex_lower ? "0123456789abcdef" : "0123456789ABCDEF";

	for (int i = 7; i >= 0; i--, v >>= 4)
		p[i] = digits[v & 15];
}

static void ar_bytes(struct ar *a, const void *p, size_t n)
{
	if (n)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void ar_pad(struct ar *a, size_t align)
{
	while (a->len % align)
		a->buf[a->len++] = 0;
}

/* A header with these 13 field values (namesize is f[11]). */
static void ar_header(struct ar *a, const char *magic, const uint32_t f[13])
{
	ar_bytes(a, magic, 6);
	for (int i = 0; i < 13; i++)
		put_hex8(a->buf + a->len + 8 * i, f[i]);
	a->len += 13 * 8;
}

static uint32_t sum(const void *data, size_t size)
{
	const uint8_t *d = data;
	uint32_t s = 0;

	while (size--)
		s += *d++;
	return s;
}

static void ar_entry_magic(struct ar *a, const char *magic, const char *name,
			   uint32_t mode, const void *data, size_t size)
{
	uint32_t f[13] = {++a->ino,
			  mode,
			  1000,
			  100,
			  1,
			  0x5f000000,
			  (uint32_t)size,
			  8,
			  1,
			  0,
			  0,
			  (uint32_t)strlen(name) + 1,
			  magic[5] == '2' && (mode & 0170000) == 0100000
			      ? sum(data, size)
			      : 0};

	ar_header(a, magic, f);
	ar_bytes(a, name, strlen(name) + 1);
	ar_pad(a, 4);
	ar_bytes(a, data, size);
	ar_pad(a, 4);
}

static void ar_entry(struct ar *a, const char *name, uint32_t mode,
		     const char *data)
{
	ar_entry_magic(a, "070701", name, mode, data, data ? strlen(data) : 0);
}

static void ar_trailer(struct ar *a)
{
	ar_entry(a, "TRAILER!!!", 0, NULL);
}

/* The usual small initramfs: directories, a file, a symlink, an empty file. */
static void ar_sample(struct ar *a)
{
	memset(a, 0, sizeof(*a));
	ar_entry(a, ".", 040755, NULL);
	ar_entry(a, "bin", 040755, NULL);
	ar_entry(a, "bin/app", 0100755, "hello, world\n");
	ar_entry(a, "lib", 0120777, "usr/lib");
	ar_entry(a, "empty", 0100644, NULL);
	ar_trailer(a);
}
#define SAMPLE_ENTRIES 5

/* Validates a copy in a buffer of exactly len bytes, so ASan sees overreads. */
static long validate(const void *buf, size_t len, const char **err)
{
	void *copy = malloc(len ? len : 1);
	long n;

	memcpy(copy, buf, len);
	*err = NULL;
	n = cpio_validate(copy, len, err);
	free(copy);
	return n;
}

static const char *validate_error(const struct ar *a)
{
	const char *err;

	if (!CHECK_EQ(validate(a->buf, a->len, &err), -EINVAL))
		return "(valid)";
	CHECK(err != NULL);
	return err ? err : "(no message)";
}

/* ---- good archives ---- */

static void cpio_empty_input_has_no_entries(void)
{
	const char *err;

	CHECK_EQ(validate("", 0, &err), 0);
}

static void cpio_only_a_trailer(void)
{
	struct ar a = {0};
	const char *err;

	ar_trailer(&a);
	CHECK_EQ(validate(a.buf, a.len, &err), 0);
}

static void cpio_sample_entries_read_back(void)
{
	static struct ar a;
	struct cpio_entry e;
	const char *err = NULL;
	size_t off = 0;

	ar_sample(&a);
	CHECK_EQ(validate(a.buf, a.len, &err), SAMPLE_ENTRIES);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 1);
	CHECK_STR(e.name, ".");
	CHECK_EQ(e.namelen, 1);
	CHECK_EQ(e.mode, 040755);
	CHECK_EQ(e.size, 0);
	CHECK_EQ(e.ino, 1);
	CHECK_EQ(e.uid, 1000);
	CHECK_EQ(e.gid, 100);
	CHECK_EQ(e.nlink, 1);
	CHECK_EQ(e.mtime, 0x5f000000);
	CHECK_EQ(e.devmajor, 8);
	CHECK_EQ(e.devminor, 1);
	CHECK_EQ(off % 4, 0);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 1);
	CHECK_STR(e.name, "bin");
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 1);
	CHECK_STR(e.name, "bin/app");
	CHECK_EQ(e.namelen, 7);
	CHECK_EQ(e.mode, 0100755);
	CHECK_EQ(e.size, 13);
	CHECK(memcmp(e.data, "hello, world\n", 13) == 0);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 1);
	CHECK_STR(e.name, "lib");
	CHECK_EQ(e.mode, 0120777);
	CHECK_EQ(e.size, 7);
	CHECK(memcmp(e.data, "usr/lib", 7) == 0);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 1);
	CHECK_STR(e.name, "empty");
	CHECK_EQ(e.size, 0);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 0);
	CHECK_EQ(off, a.len);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), 0);
}

static void cpio_trailing_zero_padding(void)
{
	static struct ar a;
	const char *err;

	ar_sample(&a);
	ar_pad(&a, 512);
	CHECK_EQ(validate(a.buf, a.len, &err), SAMPLE_ENTRIES);
	a.len += 3; /* padding need not be a multiple of 4 */
	CHECK_EQ(validate(a.buf, a.len, &err), SAMPLE_ENTRIES);
}

static void cpio_concatenated_archives(void)
{
	static struct ar a;
	const char *err;

	ar_sample(&a);
	ar_pad(&a, 512);
	ar_entry(&a, "etc", 040755, NULL);
	ar_entry(&a, "etc/motd", 0100644, "hi\n");
	ar_trailer(&a);
	ar_trailer(&a); /* an empty archive right after */
	ar_entry(&a, "x", 0100644, "x");
	ar_trailer(&a);
	ar_pad(&a, 512);
	CHECK_EQ(validate(a.buf, a.len, &err), SAMPLE_ENTRIES + 3);
}

static void cpio_crc_variant(void)
{
	static struct ar a;
	const char *err;

	memset(&a, 0, sizeof(a));
	ar_entry_magic(&a, "070702", "f", 0100644, "\xff\xfe\x01", 3);
	ar_entry_magic(&a, "070702", "g", 0100644, NULL, 0);
	ar_entry_magic(&a, "070702", "l", 0120777, "f", 1); /* check 0 */
	ar_entry_magic(&a, "070702", "TRAILER!!!", 0, NULL, 0);
	CHECK_EQ(validate(a.buf, a.len, &err), 3);
	a.buf[110 + 4]++; /* the first data byte */
	CHECK_STR(validate_error(&a), "checksum mismatch");
}

static void cpio_lower_case_hex(void)
{
	static struct ar a;
	const char *err;

	hex_lower = true;
	ar_sample(&a);
	hex_lower = false;
	CHECK(memchr(a.buf, 'e', 110) != NULL); /* mode 0x41ed */
	CHECK_EQ(validate(a.buf, a.len, &err), SAMPLE_ENTRIES);
}

/* ---- broken archives ---- */

/* Every cut before the end of the trailer's name is an error. */
static void cpio_truncated_at_every_offset(void)
{
	static struct ar a;
	const char *err;

	ar_sample(&a);
	size_t trailer_end = a.len - 124 + 110 + 11;

	for (size_t cut = 1; cut < a.len; cut++) {
		long n = validate(a.buf, cut, &err);

		if (cut < trailer_end) {
			if (!CHECK_EQ(n, -EINVAL) || !CHECK(err != NULL))
				printf("    cut at %zu\n", cut);
		} else {
			CHECK_EQ(n, SAMPLE_ENTRIES);
		}
	}
}

static void cpio_truncated_messages(void)
{
	static struct ar a;

	ar_sample(&a);
	a.len = 100;
	CHECK_STR(validate_error(&a), "truncated header");
	a.len = 111;
	CHECK_STR(validate_error(&a), "truncated name");
	a.len = 112; /* "." and its NUL, then 2 bytes of padding missing */
	CHECK_STR(validate_error(&a), "missing trailer");
}

static void cpio_bad_magic(void)
{
	static struct ar a;

	ar_sample(&a);
	memcpy(a.buf, "070707", 6); /* the old portable format */
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
	memcpy(a.buf, "070703", 6);
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
	memset(a.buf, 0, 6);
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
	memset(a.buf, 0, sizeof(a.buf)); /* all zeros is not an archive */
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
}

static void cpio_non_hex_digit(void)
{
	static struct ar a;
	const char bad[] = {'g', ' ', '+', '-', 'x', '\0', 'G'};

	for (size_t field = 0; field < 13; field++) {
		for (size_t i = 0; i < sizeof(bad); i++) {
			ar_sample(&a);
			a.buf[6 + field * 8 + i % 8] = bad[i];
			CHECK_STR(validate_error(&a),
				  "non-hex digit in a header");
		}
	}
}

static void cpio_huge_sizes(void)
{
	static struct ar a;
	const uint32_t big[] = {0xffffffff, 0x80000000, 0x7ffffffd, 20000};

	for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
		ar_sample(&a);
		put_hex8(a.buf + 6 + 6 * 8, big[i]); /* filesize */
		CHECK_STR(validate_error(&a), "file size runs past the end");
		ar_sample(&a);
		put_hex8(a.buf + 6 + 11 * 8, big[i]); /* namesize */
		CHECK_STR(validate_error(&a), "truncated name");
	}
}

static void cpio_name_checks(void)
{
	static struct ar a;

	ar_sample(&a);
	put_hex8(a.buf + 6 + 11 * 8, 0);
	CHECK_STR(validate_error(&a), "name without its NUL");
	ar_sample(&a);
	a.buf[111] = 'x'; /* "." loses its NUL */
	CHECK_STR(validate_error(&a), "name without its NUL");
	memset(&a, 0, sizeof(a));
	ar_entry(&a, "abc", 0100644, NULL);
	ar_trailer(&a);
	a.buf[111] = '\0';
	CHECK_STR(validate_error(&a), "NUL inside a name");
}

static void cpio_missing_trailer(void)
{
	static struct ar a;

	memset(&a, 0, sizeof(a));
	ar_entry(&a, "a", 0100644, "data");
	CHECK_STR(validate_error(&a), "missing trailer");
	ar_pad(&a, 512);
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
	/* A second archive without its trailer. */
	memset(&a, 0, sizeof(a));
	ar_trailer(&a);
	ar_entry(&a, "a", 0100644, "data");
	CHECK_STR(validate_error(&a), "missing trailer");
}

static void cpio_garbage_after_trailer(void)
{
	static struct ar a;

	ar_sample(&a);
	ar_bytes(&a, "junk", 4);
	CHECK_STR(validate_error(&a), "truncated header");
	memset(a.buf + a.len, 'j', 200);
	a.len += 200;
	CHECK(strstr(validate_error(&a), "bad magic") != NULL);
	ar_sample(&a);
	ar_bytes(&a,
		 "\0\0\0\0\0"
		 "070701",
		 11); /* misaligned */
	CHECK_STR(validate_error(&a), "garbage after a trailer");
}

static void cpio_next_rejects_bad_offsets(void)
{
	static struct ar a;
	struct cpio_entry e;
	const char *err = NULL;
	size_t off = 2;

	ar_sample(&a);
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), -EINVAL);
	CHECK_STR(err, "bad offset");
	off = a.len + 4;
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, &err), -EINVAL);
	off = SIZE_MAX - 3;
	CHECK_EQ(cpio_next(a.buf, a.len, &off, &e, NULL), -EINVAL);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random damage never crashes, and what is accepted stays in bounds. */
static void cpio_random_damage(void)
{
	static struct ar a, good;
	const char *err;

	ar_sample(&good);
	ar_pad(&good, 256);
	for (int iter = 0; iter < 20000; iter++) {
		a = good;
		for (int k = rnd() % 4 + 1; k > 0; k--) {
			size_t i = rnd() % a.len;

			a.buf[i] = rnd() % 3 ? "0123456789abcdef"[rnd() % 16]
					     : (uint8_t)rnd();
		}
		a.len -= rnd() % 2 ? rnd() % a.len : 0;
		uint8_t *copy = malloc(a.len);
		memcpy(copy, a.buf, a.len);
		long n = cpio_validate(copy, a.len, &err);
		size_t off = 0;
		struct cpio_entry e;
		long seen = 0;

		while (n >= 0 && cpio_next(copy, a.len, &off, &e, &err) > 0) {
			seen++;
			CHECK((uint8_t *)e.name >= copy &&
			      (uint8_t *)e.name + e.namelen < copy + a.len);
			CHECK_EQ(e.name[e.namelen], 0);
			CHECK((uint8_t *)e.data >= copy &&
			      (uint8_t *)e.data + e.size <= copy + a.len);
		}
		if (n >= 0)
			CHECK_EQ(seen, n);
		free(copy);
	}
}

int main(void)
{
	RUN_TEST(cpio_empty_input_has_no_entries);
	RUN_TEST(cpio_only_a_trailer);
	RUN_TEST(cpio_sample_entries_read_back);
	RUN_TEST(cpio_trailing_zero_padding);
	RUN_TEST(cpio_concatenated_archives);
	RUN_TEST(cpio_crc_variant);
	RUN_TEST(cpio_lower_case_hex);
	RUN_TEST(cpio_truncated_at_every_offset);
	RUN_TEST(cpio_truncated_messages);
	RUN_TEST(cpio_bad_magic);
	RUN_TEST(cpio_non_hex_digit);
	RUN_TEST(cpio_huge_sizes);
	RUN_TEST(cpio_name_checks);
	RUN_TEST(cpio_missing_trailer);
	RUN_TEST(cpio_garbage_after_trailer);
	RUN_TEST(cpio_next_rejects_bad_offsets);
	RUN_TEST(cpio_random_damage);
	return check_exit();
}
