/* Messages, exit statuses, allocation, paths and string buffers. */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

bool verbose;
static int statuses[FAIL_KINDS] = {2, 1, 1, 1};

void set_fail_statuses(const int s[FAIL_KINDS])
{
	memcpy(statuses, s, sizeof(statuses));
}

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	/* One write, so that the line is not torn by the VM's output. */
	char line[1024];
	int n = snprintf(line, sizeof(line), "osprey: %s", prefix);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void fail(enum fail_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
	exit(statuses[kind]); /* the atexit handler removes temporary files */
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

/* ---- temporary files and signals ---- */

#define MAX_CLEANUP 8
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
/* Written with the signals blocked, read by the handler. */
static char cleanup_paths[MAX_CLEANUP][PATH_MAX];
static volatile sig_atomic_t cleanup_used[MAX_CLEANUP];
static volatile sig_atomic_t child_pid, pending_signal;

/* The terminal to put back (cleanup_terminal), or -1. */
static struct termios saved_termios;
static volatile sig_atomic_t saved_termios_fd = -1;

/* At exit and from the signal handler: tcsetattr is async-signal-safe. */
static void remove_files(void)
{
	int fd = saved_termios_fd;

	for (int i = 0; i < MAX_CLEANUP; i++)
		if (cleanup_used[i])
			unlink(cleanup_paths[i]);
	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &saved_termios);
}

void cleanup_terminal(int fd, const struct termios *t)
{
	saved_termios_fd = -1;
	if (!t)
		return;
	saved_termios = *t;
	saved_termios_fd = fd;
}

static void on_signal(int sig)
{
	int saved = errno;

	if (child_pid > 0) {
		pending_signal = sig;
		kill(child_pid, sig);
		errno = saved;
		return;
	}
	cleanup_die(sig);
}

void cleanup_die(int sig)
{
	sigset_t set;

	remove_files();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

void cleanup_init(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(int); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(int); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	atexit(remove_files);
}

static void block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(int); i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

void cleanup_add(const char *path)
{
	sigset_t old;
	int i;

	if (strlen(path) >= PATH_MAX)
		fail(FAIL_OTHER, "%s: path too long", path);
	block_signals(&old);
	for (i = 0; i < MAX_CLEANUP && cleanup_used[i]; i++)
		;
	if (i < MAX_CLEANUP) {
		strcpy(cleanup_paths[i], path);
		cleanup_used[i] = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (i == MAX_CLEANUP)
		fail(FAIL_OTHER, "too many temporary files");
}

void cleanup_forget(const char *path)
{
	sigset_t old;

	block_signals(&old);
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (cleanup_used[i] && !strcmp(cleanup_paths[i], path))
			cleanup_used[i] = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void cleanup_set_child(int pid)
{
	child_pid = pid;
}

int cleanup_signal(void)
{
	return pending_signal;
}

int mkstemp_cleanup(char *template)
{
	sigset_t old;
	int fd;

	/* No signal between making the file and recording it. */
	block_signals(&old);
	fd = mkstemp(template);
	if (fd >= 0)
		cleanup_add(template);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

const char *tmpfile_make(const char *prefix)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	path = xasprintf("%s/%s.XXXXXX", dir, prefix);
	fd = mkstemp_cleanup(path);
	if (fd < 0)
		fail(FAIL_OTHER, "cannot create a file in %s: %s", dir,
		     strerror(errno));
	close(fd);
	return path;
}

static void *checked(void *p)
{
	if (!p)
		fail(FAIL_OTHER, "out of memory");
	return p;
}

void *xmalloc(size_t n)
{
	return checked(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t size)
{
	return checked(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return checked(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return checked(strdup(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail(FAIL_OTHER, "out of memory");
	return s;
}

void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->s = xrealloc(sb->s, sb->cap);
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* QEMU's option syntax: a comma in a value is written twice. */
char *commas_doubled(const char *s)
{
	struct strbuf sb = {0};

	for (; *s; s++)
		if (sb_add(&sb, s, 1), *s == ',')
			sb_add(&sb, s, 1);
	return sb.s ? sb.s : xstrdup("");
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail(FAIL_OTHER, "out of memory");
	sb_add(sb, s, n);
	free(s);
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* ".." is kept: only the host's path walk knows what it means after a
 * symlink, and hostfs_mirror walks it the same way. */
char *path_absolute(const char *path)
{
	struct strbuf sb = {0};
	char *whole, *save, *part;

	if (path[0] == '/') {
		whole = xstrdup(path);
	} else {
		char *cwd = getcwd(NULL, 0);

		if (!cwd)
			fail(FAIL_OTHER,
			     "cannot find the current directory: %s",
			     strerror(errno));
		whole = path_join(cwd, path);
		free(cwd);
	}
	for (part = strtok_r(whole, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, ".") == 0)
			continue;
		sb_puts(&sb, "/");
		sb_puts(&sb, part);
	}
	free(whole);
	if (!sb.s)
		sb_puts(&sb, "/");
	return sb.s;
}

int map_file(const char *path, struct mapped *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	m->data = NULL;
	m->len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto out_close;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out_close;
	}
	if (st.st_size == 0) {
		close(fd);
		m->data =
		    (const uint8_t *)""; /* an empty file: nothing to map */
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		goto out_close;
	close(fd);
	m->data = p;
	m->len = st.st_size;
	return 0;
out_close:
	close(fd);
	return -1;
}

void unmap_file(struct mapped *m)
{
	if (m->len)
		munmap((void *)m->data, m->len);
	m->data = NULL;
	m->len = 0;
}
