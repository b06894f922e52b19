/*
 * The guest half of tests/blk/crash.sh: writes and fsyncs until it is
 * killed, so that the host can check that every record it reported as
 * synced survives.
 *
 *   crashwrite DIR ROUND MAX [PREV COUNT]
 *
 * First, with PREV: DIR/rPREV.log must hold at least COUNT records, each
 * the one expected in its place (the previous boot, killed, said
 * "synced PREV COUNT"; this boot's mount replayed its journal). Then it
 * appends 64-byte records "rROUND nN ..." to DIR/rROUND.log, fsyncs after
 * each and prints "synced ROUND N"; every few records it also churns
 * names (a file written, renamed over another, one unlinked, a
 * directory made and removed), so that the metadata the records ride
 * with changes too. It stops by itself after MAX records. ROUND 0 only
 * checks.
 *
 * Runs on the host too (any directory): tests/blk/crash.sh starts it
 * there once before the guest runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC 64

static void record(char *buf, long round, long n)
{
	memset(buf, '.', REC);
	snprintf(buf, REC, "r%ld n%ld", round, n);
	buf[strlen(buf)] = ' ';
	buf[REC - 1] = '\n';
}

static int verify(const char *dir, long prev, long count)
{
	char path[512], want[REC], got[REC];
	int fd;
	long n = 0;

	snprintf(path, sizeof(path), "%s/r%ld.log", dir, prev);
	fd = open(path, O_RDONLY);
	if (fd < 0 && count) {
		printf("FAIL verify: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fd >= 0 && read(fd, got, REC) == REC) {
		record(want, prev, n + 1);
		if (memcmp(want, got, REC)) {
			printf(
			    "FAIL verify: %s record %ld: expected \"%.20s\", "
			    "got \"%.20s\"\n",
			    path, n + 1, want, got);
			return 1;
		}
		n++;
	}
	if (fd >= 0)
		close(fd);
	if (n < count) {
		printf("FAIL verify: %s holds %ld records, %ld were synced\n",
		       path, n, count);
		return 1;
	}
	printf("verified r%ld: %ld records (%ld synced)\n", prev, n, count);
	return 0;
}

/* Names come and go beside the records. */
static int churn(const char *dir, long round, long n)
{
	char tmp[512], dst[512], sub[512], buf[3000];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/t%ld-%ld", dir, round, n);
	snprintf(dst, sizeof(dst), "%s/m%ld", dir, n % 5);
	snprintf(sub, sizeof(sub), "%s/d%ld", dir, n % 3);
	memset(buf, (int)('a' + n % 26), sizeof(buf));
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, (size_t)(n % 3000) + 1) < 0 || close(fd) ||
	    rename(tmp, dst))
		return perror("churn"), 1;
	if (n % 7 == 0)
		unlink(dst);
	if (n % 2)
		return rmdir(sub) && errno != ENOENT ? perror("rmdir"), 1 : 0;
	return mkdir(sub, 0755) && errno != EEXIST ? perror("mkdir"), 1 : 0;
}

int main(int argc, char **argv)
{
	char path[512], buf[REC];
	long round, max, n;
	int fd;

	if (argc != 4 && argc != 6) {
		fprintf(stderr,
			"usage: crashwrite DIR ROUND MAX [PREV COUNT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	round = atol(argv[2]);
	max = atol(argv[3]);
	if (argc == 6 && verify(argv[1], atol(argv[4]), atol(argv[5])))
		return 1;
	if (!round) /* only the check */
		return 0;
	snprintf(path, sizeof(path), "%s/r%ld.log", argv[1], round);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
	if (fd < 0)
		return perror(path), 1;
	for (n = 1; n <= max; n++) {
		record(buf, round, n);
		if (write(fd, buf, REC) != REC || fsync(fd))
			return perror("write/fsync"), 1;
		printf("synced %ld %ld\n", round, n);
		if (n % 4 == 0 && churn(argv[1], round, n))
			return 1;
	}
	close(fd);
	printf("crashwrite: done\n");
	return 0;
}
