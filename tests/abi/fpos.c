/*
 * The file position is shared by the threads reading one descriptor,
 * and each read is atomic with respect to it (POSIX: "Thread
 * Interactions with Regular File Operations"; Linux's f_pos_lock): two
 * threads reading a 1 MiB file through one fd in 64 KiB reads each get
 * whole, contiguous 64 KiB pieces, and between them every piece exactly
 * once. A kernel that copies a read in smaller steps, taking the
 * position for each step, lets the other thread's steps come between.
 */
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>

#define FILE_SIZE (1u << 20)
#define CHUNK (64u << 10)
#define WORDS (CHUNK / 4)
#define PIECES (FILE_SIZE / CHUNK)
#define ROUNDS 16

static const char *path = "/tmp/abi-fpos";

struct reader {
	int fd;
	unsigned broken;      /* reads that were not one piece */
	unsigned got[PIECES]; /* how often each piece came */
	uint32_t buf[WORDS];
};

/* Word i of the file holds i. */
static int make_file(void)
{
	static uint32_t words[FILE_SIZE / 4];
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);

	for (uint32_t i = 0; i < FILE_SIZE / 4; i++)
		words[i] = i;
	if (fd >= 0 && write(fd, words, FILE_SIZE) != (ssize_t)FILE_SIZE) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether buf holds one whole piece; counts it. */
static int one_piece(struct reader *r, ssize_t n)
{
	uint32_t first = r->buf[0];

	if (n != (ssize_t)CHUNK || first % WORDS)
		return 0;
	for (uint32_t i = 1; i < WORDS; i++)
		if (r->buf[i] != first + i)
			return 0;
	r->got[first / WORDS]++;
	return 1;
}

static void *read_all(void *arg)
{
	struct reader *r = arg;
	ssize_t n;

	while ((n = read(r->fd, r->buf, CHUNK)) > 0)
		if (!one_piece(r, n))
			r->broken++;
	return NULL;
}

static void two_readers_get_whole_pieces(void)
{
	static struct reader a, b;
	unsigned broken = 0, missing = 0;
	pthread_t ta, tb;
	int fd = make_file();

	if (!CHECK(fd >= 0))
		return;
	a.fd = b.fd = fd;
	for (int round = 0; round < ROUNDS; round++) {
		if (lseek(fd, 0, SEEK_SET) != 0)
			break;
		pthread_create(&ta, NULL, read_all, &a);
		pthread_create(&tb, NULL, read_all, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
	}
	broken = a.broken + b.broken;
	for (unsigned i = 0; i < PIECES; i++)
		if (a.got[i] + b.got[i] != ROUNDS)
			missing++;
	CHECK_EQ_INT(broken, 0);
	CHECK_EQ_INT(missing, 0);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), FILE_SIZE);
	close(fd);
	unlink(path);
}

int main(void)
{
	abi_init("fpos");
	ABI_RUN(two_readers_get_whole_pieces);
	return abi_done();
}
