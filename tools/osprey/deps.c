/*
 * The program's interpreter and libraries, found the way glibc's ld.so
 * finds them (elf/dl-load.c, _dl_map_object), but on the build host, whose
 * files become the image's at the same paths. For each DT_NEEDED name of
 * an object, in breadth-first order from the executable:
 *
 *  0. a name that an object already loaded answers to (the name it was
 *     asked for by, its DT_SONAME or its path) is that object;
 *  1. a name with a slash is a path (relative ones from "/", the guest's
 *     working directory);
 *  2. unless the object has DT_RUNPATH: the DT_RPATH of the object, of the
 *     object that loaded it, and so on up to the executable;
 *  3. LD_LIBRARY_PATH, only as given with --env (the guest's environment,
 *     not the host's);
 *  4. the object's DT_RUNPATH;
 *  5. /etc/ld.so.cache, and
 *  6. the default directories, both skipped when the object that asks
 *     is DF_1_NODEFLIB.
 *
 * A candidate that is not an x86-64 ELF shared object (a 32-bit library
 * in /usr/lib, say) is passed over, as ld.so passes it over. In a search
 * path, $ORIGIN is the directory of the path the object was found at (for
 * the executable: of its real path, as ld.so reads it from
 * /proc/self/exe), $LIB and $PLATFORM what Debian's ld.so makes of them.
 *
 * Not done: glibc-hwcaps subdirectories (the baseline library is taken;
 * if the host has an x86-64-v3 variant, the guest's ld.so tries it first,
 * finds it missing and falls back), LD_PRELOAD and /etc/ld.so.preload.
 */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/osprey/elfdeps.h"
#include "tools/osprey/ldcache.h"
#include "tools/osprey/osprey.h"

#include <elf.h>

struct object {
	char *name;   /* what it was asked for by (or its path) */
	char *path;   /* where it was found on the host */
	char *origin; /* $ORIGIN in its search paths */
	char *interp, *soname, *runpath, *rpath; /* or NULL */
	bool nodeflib;
	bool optional; /* a --add module's: missing libraries only warn */
	uint16_t type;
	unsigned nneeded;
	char **needed;
	struct object *loader; /* whose DT_NEEDED brought it in */
};

/* One image per run of the command, so the loaded set is global. */
static struct object **objects;
static size_t nobjects;
static struct object *main_object;
static const char *ld_library_path;
static struct image *image;
static bool quiet_missing; /* deps_add_modules(quiet): misses only with -v */

static const char *const default_dirs[] = {
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/*
 * Reads the ELF file at `path` into `o`. Returns 0; -ENOEXEC when it is
 * not an x86-64 ELF file; -EINVAL when it is a malformed one; another
 * negative errno when it cannot be read. *why says more on failure.
 */
static int load(const char *path, struct object *o, const char **why)
{
	struct mapped m;
	struct elfdeps d;
	int r;

	if (map_file(path, &m)) {
		r = -errno;
		*why = strerror(errno);
		return r;
	}
	r = elfdeps_parse(m.data, m.len, &d, why);
	if (!r) {
		o->path = xstrdup(path);
		o->type = d.type;
		o->interp = dup_or_null(d.interp);
		o->soname = dup_or_null(d.soname);
		o->runpath = dup_or_null(d.runpath);
		o->rpath = dup_or_null(d.rpath);
		o->nodeflib = d.nodeflib;
		o->nneeded = d.nneeded;
		o->needed = xcalloc(d.nneeded, sizeof(char *));
		for (unsigned i = 0; i < d.nneeded; i++)
			o->needed[i] = xstrdup(d.needed[i]);
	}
	unmap_file(&m);
	return r;
}

static void remember(struct object *o)
{
	objects = xrealloc(objects, (nobjects + 1) * sizeof(*objects));
	objects[nobjects++] = o;
}

static struct object *find_loaded(const char *name)
{
	for (size_t i = 0; i < nobjects; i++) {
		const struct object *o = objects[i];

		if (!strcmp(o->name, name) || !strcmp(o->path, name) ||
		    (o->soname && !strcmp(o->soname, name)))
			return objects[i];
	}
	return NULL;
}

/* ---- search paths ---- */

/* Whether `p` starts with the dynamic string token `name` ($NAME or
 * ${NAME}); sets *len to the token's length. */
static bool is_dst(const char *p, const char *name, size_t *len)
{
	size_t n = strlen(name);
	char c;

	if (p[0] == '{') {
		if (strncmp(p + 1, name, n) || p[n + 1] != '}')
			return false;
		*len = n + 2;
		return true;
	}
	if (strncmp(p, name, n))
		return false;
	c = p[n];
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_')
		return false;
	*len = n;
	return true;
}

/* $LIB: Debian's ld.so says lib/x86_64-linux-gnu, others lib64. */
static const char *dst_lib(void)
{
	struct stat st;

	return stat("/usr/lib/x86_64-linux-gnu", &st) == 0
		   ? "lib/x86_64-linux-gnu"
		   : "lib64";
}

static char *expand(const char *dir, const struct object *o)
{
	struct strbuf sb = {0};

	sb_add(&sb, "", 0);
	for (const char *p = dir; *p;) {
		size_t len;

		if (*p != '$') {
			sb_add(&sb, p++, 1);
		} else if (is_dst(p + 1, "ORIGIN", &len)) {
			sb_puts(&sb, o->origin);
			p += 1 + len;
		} else if (is_dst(p + 1, "LIB", &len)) {
			sb_puts(&sb, dst_lib());
			p += 1 + len;
		} else if (is_dst(p + 1, "PLATFORM", &len)) {
			sb_puts(&sb, "x86_64");
			p += 1 + len;
		} else {
			sb_add(&sb, p++, 1);
		}
	}
	return sb.s;
}

/* Whether `path` is a library ld.so would take; if so, it is read into o. */
static bool try_candidate(const char *path, struct object *o)
{
	const char *why = "";
	int r;

	if (access(path, F_OK))
		return false;
	r = load(path, o, &why);
	if (r == -EINVAL)
		warn("passing over %s: a malformed ELF file (%s)", path, why);
	if (r)
		return false;
	if (o->type == ET_DYN)
		return true;
	note("passing over %s: an executable, not a shared object", path);
	return false;
}

/* Searches the colon-separated directories of `list`, $ORIGIN and the
 * like taken from `owner`; returns the path found, or NULL. */
static char *search_list(const char *list, const struct object *owner,
			 const char *name, struct object *o)
{
	char *copy = xstrdup(list), *save, *dir;
	char *found = NULL;

	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *expanded = expand(dir, owner);
		char *path = path_join(expanded, name);

		if (expanded[0] == '/' && try_candidate(path, o))
			found = path;
		else
			free(path);
		free(expanded);
	}
	free(copy);
	return found;
}

static char *search_cache(const char *name, struct object *o)
{
	static struct mapped map;
	static struct ldcache cache;
	static bool tried, usable;
	const char *path, *why = "";

	if (!tried) {
		tried = true;
		if (map_file("/etc/ld.so.cache", &map)) {
			note("no /etc/ld.so.cache (%s): searching only the "
			     "default directories",
			     strerror(errno));
		} else if (ldcache_open(map.data, map.len, &cache, &why)) {
			warn("ignoring /etc/ld.so.cache: %s", why);
		} else {
			usable = true;
		}
	}
	if (!usable)
		return NULL;
	path = ldcache_lookup(&cache, name);
	return path && try_candidate(path, o) ? xstrdup(path) : NULL;
}

static char *search_defaults(const char *name, struct object *o)
{
	for (size_t i = 0; i < sizeof(default_dirs) / sizeof(*default_dirs);
	     i++) {
		char *path = path_join(default_dirs[i], name);

		if (try_candidate(path, o))
			return path;
		free(path);
	}
	return NULL;
}

/* The rpath walk, step 2 above. */
static char *search_rpaths(const struct object *loader, const char *name,
			   struct object *o)
{
	bool did_main = false;
	char *found;

	for (const struct object *l = loader; l; l = l->loader) {
		if (l->rpath) {
			found = search_list(l->rpath, l, name, o);
			if (found)
				return found;
		}
		did_main |= l == main_object;
	}
	if (!did_main && main_object && main_object->rpath)
		return search_list(main_object->rpath, main_object, name, o);
	return NULL;
}

static char *search(const struct object *loader, const char *name,
		    struct object *o)
{
	char *found = NULL;

	if (strchr(name, '/')) {
		char *path =
		    name[0] == '/' ? xstrdup(name) : xasprintf("/%s", name);

		if (try_candidate(path, o))
			return path;
		free(path);
		return NULL;
	}
	if (!loader->runpath)
		found = search_rpaths(loader, name, o);
	if (!found && ld_library_path)
		found = search_list(ld_library_path, main_object, name, o);
	if (!found && loader->runpath)
		found = search_list(loader->runpath, loader, name, o);
	if (!found && !loader->nodeflib)
		found = search_cache(name, o);
	if (!found && !loader->nodeflib)
		found = search_defaults(name, o);
	return found;
}

/* ---- the breadth-first walk ---- */

static void add_to_image(const char *path, const char *why)
{
	char *real = hostfs_mirror(image, path, why);

	if (!real)
		fail(FAIL_NOTFOUND, "%s: %s", path, strerror(errno));
	free(real);
}

static void need(struct object *loader, const char *name)
{
	struct object *o;
	char *path;

	if (find_loaded(name))
		return;
	o = xcalloc(1, sizeof(*o));
	path = search(loader, name, o);
	if (!path) {
		if (!loader->optional)
			fail(FAIL_NOTFOUND, "%s: library %s not found",
			     loader->path, name);
		if (quiet_missing)
			note("%s: library %s not found (left out)",
			     loader->path, name);
		else
			warn("%s: library %s not found (left out)",
			     loader->path, name);
		free(o);
		return;
	}
	o->name = xstrdup(name);
	o->origin = path_dirname(path); /* not resolved, as ld.so does */
	o->loader = loader;
	o->optional = loader->optional;
	remember(o);
	add_to_image(path, "library");
	note("%s: %s is %s", loader->path, name, path);
	free(path);
}

static void walk_from(size_t first)
{
	for (size_t i = first; i < nobjects; i++)
		for (unsigned k = 0; k < objects[i]->nneeded; k++)
			need(objects[i], objects[i]->needed[k]);
}

static struct object *load_or_fail(const char *path, const char *what)
{
	struct object *o = xcalloc(1, sizeof(*o));
	const char *why = "";
	FILE *f;
	char hashbang[2] = "";
	int r = load(path, o, &why);

	if (r == -ENOEXEC) {
		f = fopen(path, "rb");
		if (f && fread(hashbang, 1, 2, f) == 2 &&
		    !memcmp(hashbang, "#!", 2))
			why = " (a script: run its interpreter instead)";
		else
			why = "";
		if (f)
			fclose(f);
		fail(FAIL_NOTEXEC, "%s: not an x86-64 ELF %s%s", path, what,
		     why);
	}
	if (r == -EINVAL)
		fail(FAIL_NOTEXEC, "%s: a malformed ELF file: %s", path, why);
	if (r)
		fail(FAIL_NOTFOUND, "%s: %s", path, why);
	o->name = xstrdup(path);
	return o;
}

/* The PT_INTERP of `prog`, unless an object loaded already is it. */
static void add_interpreter(struct object *prog)
{
	struct object *ld;

	if (!prog->interp || find_loaded(prog->interp))
		return;
	if (access(prog->interp, F_OK)) {
		if (!prog->optional)
			fail(FAIL_NOTFOUND, "%s: its interpreter %s: %s",
			     prog->path, prog->interp, strerror(errno));
		warn("%s: its interpreter %s: %s (left out)", prog->path,
		     prog->interp, strerror(errno));
		return;
	}
	ld = load_or_fail(prog->interp, "interpreter");
	ld->origin = path_dirname(prog->interp);
	ld->loader = prog;
	ld->optional = prog->optional;
	remember(ld);
	add_to_image(prog->interp, "interpreter");
}

/*
 * glibc opens libgcc_s.so.1 at run time to unwind stacks (pthread_exit,
 * pthread_cancel, backtrace) and aborts without it; no DT_NEEDED names
 * it, so a program using libc gets it too (left out with a warning if
 * this host lacks it).
 */
static void add_dlopened_by_libc(void)
{
	struct object *libc = find_loaded("libc.so.6");
	size_t first = nobjects;
	bool optional;

	if (!libc)
		return;
	optional = libc->optional;
	libc->optional = true;
	need(libc, "libgcc_s.so.1");
	libc->optional = optional;
	walk_from(first);
}

void deps_add_program(struct image *img, const char *program,
		      const struct deps_options *opt)
{
	struct object *o;
	char *real;

	image = img;
	ld_library_path = opt->ld_library_path;
	o = load_or_fail(program, "executable");
	real = realpath(program, NULL);
	o->origin = real ? path_dirname(real) : path_dirname(program);
	free(real);
	main_object = o;
	remember(o);
	add_to_image(program, "program");
	add_interpreter(o);
	walk_from(0);
	add_dlopened_by_libc();
}

/* A module known, its libraries not looked for yet. */
static void module_load(const char *path)
{
	struct object *o = xcalloc(1, sizeof(*o));
	const char *why = "";

	if (find_loaded(path) || load(path, o, &why)) {
		free(o);
		return; /* not for x86-64, or not ELF at all: just data */
	}
	o->name = xstrdup(path);
	o->origin = path_dirname(path);
	o->loader = main_object;
	o->optional = true;
	remember(o);
}

void deps_add_module(struct image *img, const char *path)
{
	deps_add_modules(img, (char **)&path, 1, false);
}

void deps_add_modules(struct image *img, char **paths, size_t n, bool quiet)
{
	size_t first = nobjects;

	image = img;
	for (size_t i = 0; i < n; i++)
		module_load(paths[i]);
	for (size_t i = first; i < nobjects; i++)
		add_interpreter(objects[i]); /* an executable it may run */
	quiet_missing = quiet;
	walk_from(first);
	quiet_missing = false;
}
