/*
 * What programs read from /proc, checked against what the program knows
 * itself: /proc/self/exe is its own path, maps holds its stack and the
 * text that contains main, status and stat its pid, fd its descriptors,
 * task its threads, cmdline its argv; cpuinfo counts the CPUs sysconf
 * reports; meminfo has a total. Prints a PASS or FAIL line per check and
 * exits 0 only if all passed. It must pass on the host Linux too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int passed, failed;

static void check(bool ok, const char *name, const char *detail)
{
	if (ok) {
		printf("PASS %s\n", name);
		passed++;
	} else {
		printf("FAIL %s%s%s\n", name, detail ? ": " : "",
		       detail ? detail : "");
		failed++;
	}
}

/* The whole file (NUL-terminated, which binary files may also contain);
 * NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static long field(const char *text, const char *label)
{
	const char *p = text ? strstr(text, label) : NULL;

	return p ? strtol(p + strlen(label), NULL, 10) : -1;
}

static bool dir_has(const char *path, const char *name)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = !strcmp(e->d_name, name);
	closedir(d);
	return found;
}

static unsigned dir_count(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void check_exe(const char *argv0)
{
	char link[PATH_MAX], want[PATH_MAX], detail[2 * PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);

	if (n >= 0)
		link[n] = '\0';
	if (!realpath(argv0, want))
		snprintf(want, sizeof(want), "(realpath failed)");
	snprintf(detail, sizeof(detail),
		 "readlink '%s', realpath(argv[0]) '%s'",
		 n >= 0 ? link : "(failed)", want);
	check(n > 0 && !strcmp(link, want), "exe-is-own-path", detail);
}

/* Whether a maps line covers addr with the permission `perm` ('x', 'w'),
 * and, if name, ends with it. */
static bool maps_cover(const char *maps, uintptr_t addr, char perm,
		       const char *name)
{
	for (const char *line = maps; line && *line;) {
		const char *end = strchr(line, '\n');
		unsigned long lo, hi;
		char perms[5];
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    addr >= lo && addr < hi && strchr(perms, perm) &&
		    (!name ||
		     (len >= strlen(name) &&
		      !strncmp(line + len - strlen(name), name, strlen(name)))))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void check_maps(void)
{
	char *maps = slurp("/proc/self/maps", NULL);
	int local = 0;

	check(maps && strstr(maps, "[stack]"), "maps-has-stack", NULL);
	check(maps_cover(maps, (uintptr_t)&local, 'w', "[stack]"),
	      "maps-stack-holds-locals", NULL);
	check(maps_cover(maps, (uintptr_t)&check_maps, 'x', NULL),
	      "maps-text-holds-code", NULL);
	unsigned long lo, hi, off, ino;
	unsigned major, minor;
	char perms[5];
	check(maps &&
		  sscanf(maps, "%lx-%lx %4s %lx %x:%x %lu", &lo, &hi, perms,
			 &off, &major, &minor, &ino) == 7 &&
		  lo < hi,
	      "maps-format", NULL);
	free(maps);
}

static void check_status_and_stat(void)
{
	char *status = slurp("/proc/self/status", NULL);
	char *stat = slurp("/proc/self/stat", NULL);
	char comm[64], state = 0, detail[64];
	int pid = 0, ppid = -1;

	snprintf(detail, sizeof(detail), "Pid %ld, getpid %d",
		 field(status, "\nPid:"), getpid());
	check(field(status, "\nPid:") == getpid(), "status-pid", detail);
	check(status && !strncmp(status, "Name:\t", 6), "status-name", NULL);
	check(field(status, "\nThreads:") >= 1, "status-threads", NULL);
	check(field(status, "\nVmRSS:") > 0, "status-vmrss", NULL);
	check(stat &&
		  sscanf(stat, "%d (%63[^)]) %c %d", &pid, comm, &state,
			 &ppid) == 4 &&
		  pid == getpid() && state == 'R',
	      "stat-pid-comm-state", stat);
	free(status);
	free(stat);
}

static void check_fds(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	char name[32], link[PATH_MAX];
	bool all = true;
	ssize_t n;

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%d", i);
		if (fcntl(i, F_GETFD) >= 0)
			all &= dir_has("/proc/self/fd", name);
	}
	check(all, "fd-lists-stdio", NULL);
	snprintf(name, sizeof(name), "%d", fd);
	check(fd >= 0 && dir_has("/proc/self/fd", name), "fd-lists-opened",
	      NULL);
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	n = readlink(name, link, sizeof(link) - 1);
	if (n >= 0)
		link[n] = '\0';
	/* Linux names it by the pid: /proc/<pid>/maps */
	check(n > 0 && !strncmp(link, "/proc/", 6) && strstr(link, "/maps"),
	      "fd-link-names-file", n > 0 ? link : "readlink failed");
	close(fd);
	/* (opendir would take the number again) */
	check(readlink(name, link, sizeof(link)) < 0, "fd-closed-gone", NULL);

	int p[2];
	if (pipe(p) == 0) {
		snprintf(name, sizeof(name), "/proc/self/fd/%d", p[0]);
		n = readlink(name, link, sizeof(link) - 1);
		if (n >= 0)
			link[n] = '\0';
		check(n > 0 && !strncmp(link, "pipe:[", 6), "fd-link-pipe",
		      n > 0 ? link : "readlink failed");
		struct stat st;
		check(stat(name, &st) == 0 && S_ISFIFO(st.st_mode),
		      "fd-stat-pipe", NULL);
		/* opening the link gives the pipe again */
		int again = open(name, O_RDONLY);
		check(again >= 0 && write(p[1], "x", 1) == 1 &&
			  read(again, link, 1) == 1 && link[0] == 'x',
		      "fd-reopen-pipe", NULL);
		if (again >= 0)
			close(again);
		close(p[0]);
		close(p[1]);
	}
}

static void check_cwd(void)
{
	char link[PATH_MAX], cwd[PATH_MAX];
	ssize_t n = readlink("/proc/self/cwd", link, sizeof(link) - 1);

	if (n >= 0)
		link[n] = '\0';
	check(n > 0 && getcwd(cwd, sizeof(cwd)) && !strcmp(link, cwd),
	      "cwd-link", NULL);
}

static void check_cpuinfo_meminfo(void)
{
	char *cpuinfo = slurp("/proc/cpuinfo", NULL);
	char *meminfo = slurp("/proc/meminfo", NULL);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), n = 0;
	char detail[64];

	for (const char *p = cpuinfo; p && (p = strstr(p, "processor\t:")); p++)
		n++;
	snprintf(detail, sizeof(detail), "%ld processor lines, sysconf %ld", n,
		 cpus);
	check(n >= 1 && n == cpus, "cpuinfo-processors", detail);
	check(cpuinfo && strstr(cpuinfo, "\nflags\t\t:"), "cpuinfo-flags",
	      NULL);
	check(field(meminfo, "MemTotal:") > 0, "meminfo-total", NULL);
	check(field(meminfo, "\nMemAvailable:") > 0, "meminfo-available", NULL);
	free(cpuinfo);
	free(meminfo);
}

static void check_cmdline_environ(int argc, char **argv)
{
	size_t len, want = 0;
	char *cmd = slurp("/proc/self/cmdline", &len);
	char *env = slurp("/proc/self/environ", NULL);
	bool same = cmd != NULL;
	const char *p = cmd, *path = getenv("PATH");
	char entry[4096];

	for (int i = 0; i < argc && same; i++) {
		same = !strcmp(p, argv[i]);
		want += strlen(argv[i]) + 1;
		p += strlen(argv[i]) + 1;
	}
	check(same && len == want, "cmdline-is-argv", NULL);
	snprintf(entry, sizeof(entry), "PATH=%s", path ? path : "");
	same = false;
	for (p = env; path && env && *p; p += strlen(p) + 1)
		same |= !strcmp(p, entry);
	check(same, "environ-has-path", NULL);
	free(cmd);
	free(env);
}

/* A read at offset 0 makes the text again (Linux's seq_file). */
static void check_reread(void)
{
	int fd = open("/proc/self/stat", O_RDONLY);
	char a[512], b[512];
	ssize_t n1 = read(fd, a, sizeof(a) - 1), n2;

	lseek(fd, 0, SEEK_SET);
	n2 = read(fd, b, sizeof(b) - 1);
	check(fd >= 0 && n1 > 0 && n2 > 0 && !strncmp(a, b, 10) &&
		  pread(fd, b, 5, 0) == 5 && !strncmp(a, b, 5),
	      "reread-and-pread", NULL);
	if (fd >= 0)
		close(fd);
}

static int gate[2], ready[2];

static void *waiter(void *arg)
{
	char c;

	if (write(ready[1], "r", 1) != 1)
		return NULL;
	return read(gate[0], &c, 1) == 1 ? arg : NULL;
}

static void check_tasks(void)
{
	pthread_t t;
	char *status;
	char tid[32];

	snprintf(tid, sizeof(tid), "%d", gettid());
	check(dir_has("/proc/self/task", tid), "task-lists-main", NULL);
	char c;

	if (pipe(gate) || pipe(ready) ||
	    pthread_create(&t, NULL, waiter, NULL) ||
	    read(ready[0], &c, 1) != 1) {
		check(false, "task-thread-start", NULL);
		return;
	}
	status = slurp("/proc/self/status", NULL);
	check(dir_count("/proc/self/task") == 2, "task-lists-two", NULL);
	check(field(status, "\nThreads:") == 2, "status-two-threads", NULL);
	free(status);
	if (write(gate[1], "x", 1) == 1)
		pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	check_exe(argv[0]);
	check_maps();
	check_status_and_stat();
	check_fds();
	check_cwd();
	check_cpuinfo_meminfo();
	check_cmdline_environ(argc, argv);
	check_reread();
	check_tasks();
	printf("proc_check: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
