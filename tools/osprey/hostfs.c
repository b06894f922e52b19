/*
 * Host files into the image. A path is copied the way the kernel would
 * walk it: the image gets the same symlinks the host has on the way, so
 * that on a merged-/usr host /lib/x86_64-linux-gnu/libc.so.6 becomes the
 * symlink /lib -> usr/lib and the file /usr/lib/x86_64-linux-gnu/libc.so.6,
 * and a library's soname link (libfoo.so.1 -> libfoo.so.1.2.3) stays a
 * link. The guest then finds every file under every name the host has for
 * it, and realpath() and $ORIGIN mean the same in both.
 */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define MAX_LINKS 40 /* Linux's limit on symlinks in one path walk */

/* The target of symlink `path`, or NULL with errno. */
static char *read_link(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf));

	if (n < 0)
		return NULL;
	if (n == sizeof(buf) || n == 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

static void add_object(struct image *img, const char *path,
		       const struct stat *st, const char *why)
{
	if (S_ISDIR(st->st_mode))
		image_add_dir(img, path, st->st_mode, image_mtime(st));
	else
		image_add_file(img, path, path, st, why);
}

/*
 * The walk keeps `done`, the real path so far ("" for the root), and
 * `rest`, what is left to walk; a symlink's target is put in front of the
 * rest (after resetting `done` if it is absolute).
 */
char *hostfs_mirror(struct image *img, const char *path, const char *why)
{
	char *done = xstrdup(""), *rest = xstrdup(path), *p = rest;
	int links = 0, err = 0;
	struct stat st;

	for (;;) {
		char *end, *name, *next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		name = xasprintf("%.*s", (int)(end - p), p);
		p = end;
		if (!strcmp(name, ".")) {
			free(name);
			continue;
		}
		if (!strcmp(name, "..")) {
			char *slash = strrchr(done, '/');

			if (slash)
				*slash = '\0';
			free(name);
			continue;
		}
		next = xasprintf("%s/%s", done, name);
		free(name);
		if (lstat(next, &st)) {
			err = errno;
			free(next);
			goto out_fail;
		}
		if (S_ISLNK(st.st_mode)) {
			char *target = read_link(next), *joined;

			if (!target || ++links > MAX_LINKS) {
				err = target ? ELOOP : errno;
				free(next);
				free(target);
				goto out_fail;
			}
			image_add_symlink(img, next, target, "symlink");
			free(next);
			if (target[0] == '/')
				done[0] = '\0';
			joined = xasprintf("%s/%s", target, p);
			free(target);
			free(rest);
			rest = p = joined;
			continue;
		}
		while (*p == '/')
			p++;
		if (*p && !S_ISDIR(st.st_mode)) {
			err = ENOTDIR;
			free(next);
			goto out_fail;
		}
		if (*p)
			image_add_dir(img, next, st.st_mode, image_mtime(&st));
		free(done);
		done = next;
	}
	free(rest);
	if (!*done) {
		errno = EISDIR; /* the root itself */
		free(done);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		errno = EINVAL;
		free(done);
		return NULL;
	}
	add_object(img, done, &st, why);
	return done;
out_fail:
	free(done);
	free(rest);
	errno = err;
	return NULL;
}

static bool is_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4);
	close(fd);
	return yes;
}

static void add_file(struct image *img, const char *host, const char *guest,
		     const struct stat *st, void (*found_elf)(const char *))
{
	image_add_file(img, guest, host, st, "--add");
	if (found_elf && is_elf(host))
		found_elf(host);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory `dir`, sorted (so the order of the found_elf
 * calls, and of their warnings, does not depend on the file system). */
static char **list_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		fail(FAIL_OTHER, "cannot read the directory %s: %s", dir,
		     strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	*count = n;
	return names;
}

/* The contents of host directory `host` under `guest`: symlinks stay
 * symlinks (with the same target), so nothing outside the tree is
 * pulled in and no loop is followed. */
static void add_tree(struct image *img, const char *host, const char *guest,
		     void (*found_elf)(const char *))
{
	size_t n;
	char **names = list_dir(host, &n);

	for (size_t i = 0; i < n; i++) {
		char *h = path_join(host, names[i]);
		char *g = path_join(guest, names[i]);
		struct stat st;

		if (lstat(h, &st)) {
			fail(FAIL_OTHER, "cannot read %s: %s", h,
			     strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			char *target = read_link(h);

			if (!target)
				fail(FAIL_OTHER,
				     "cannot read the symlink %s: %s", h,
				     strerror(errno));
			image_add_symlink(img, g, target, "--add");
			free(target);
		} else if (S_ISDIR(st.st_mode)) {
			image_add_dir(img, g, st.st_mode, image_mtime(&st));
			add_tree(img, h, g, found_elf);
		} else if (S_ISREG(st.st_mode)) {
			add_file(img, h, g, &st, found_elf);
		} else {
			warn("%s: left out (not a file, directory or symlink)",
			     h);
		}
		free(h);
		free(g);
		free(names[i]);
	}
	free(names);
}

void hostfs_add(struct image *img, const char *host, const char *guest,
		void (*found_elf)(const char *host_path))
{
	char *abs = path_absolute(host), *at;
	struct stat st;

	if (stat(abs, &st))
		fail(FAIL_NOTFOUND, "--add %s: %s", host, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		fail(FAIL_USAGE, "--add %s: not a file or a directory", host);
	if (guest) {
		at = image_resolve_parent(img, guest);
		if (S_ISDIR(st.st_mode))
			image_add_dir(img, at, st.st_mode, image_mtime(&st));
		else
			add_file(img, abs, at, &st, found_elf);
	} else {
		at = hostfs_mirror(img, abs, "--add");
		if (!at)
			fail(FAIL_NOTFOUND, "--add %s: %s", host,
			     strerror(errno));
		if (S_ISREG(st.st_mode) && found_elf && is_elf(at))
			found_elf(at);
	}
	if (S_ISDIR(st.st_mode))
		add_tree(img, abs, at, found_elf);
	free(at);
	free(abs);
}
