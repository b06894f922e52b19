/*
 * Runtime recipes: what an interpreter or a virtual machine needs beside
 * its executable and libraries (its standard library, its home), found
 * from the program's resolved path, one table for every language rather
 * than code for each.
 *
 * A recipe applies when the base name of the program's real path (every
 * symlink followed: /usr/bin/python3 -> python3.11, /usr/bin/java ->
 * /usr/lib/jvm/java-17-openjdk-amd64/bin/java) matches its pattern and
 * its marker file exists. Its paths are globs in which {home} is the
 * program's directory `up` levels above its own (the JDK's home, as the
 * java launcher finds it from its own path), {name} the base name and
 * {ver} the name without its leading letters (python3.11: 3.11). Paths
 * that match nothing are left out: a runtime installed without some
 * part still runs what does not need it. Symlinks in them are kept, and
 * what they name is added as well. ELF files in what was added
 * bring their libraries; a library that none of the runtime's own files
 * and no system directory has (the JDK's X11 and sound parts) is
 * reported only with -v, since the programs that would load it fail
 * there on the host too.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#define MAX_PATHS 8

struct recipe {
	const char *name;    /* in messages */
	const char *match;   /* fnmatch pattern on the real base name */
	unsigned up;	     /* {home}: the program's directory, up this many */
	const char *marker;  /* must exist (NULL: nothing to check) */
	const char *paths[MAX_PATHS];
};

static const struct recipe recipes[] = {
    {"python", "python[0-9]*.[0-9]*", 0, "/usr/lib/{name}/os.py",
     {"/usr/lib/{name}"}},
    {"perl", "perl*", 0, "/usr/lib/x86_64-linux-gnu/perl-base/strict.pm",
     {"/usr/lib/x86_64-linux-gnu/perl-base", "/usr/lib/x86_64-linux-gnu/perl/5.*",
      "/usr/share/perl/5.*", "/etc/perl"}},
    {"ruby", "ruby*", 0, NULL,
     {"/usr/lib/ruby/[0-9]*", "/usr/lib/x86_64-linux-gnu/ruby/[0-9]*",
      "/usr/lib/ruby/vendor_ruby", "/usr/share/rubygems-integration"}},
    {"lua", "lua[0-9]*.[0-9]*", 0, NULL,
     {"/usr/share/lua/{ver}", "/usr/lib/x86_64-linux-gnu/lua/{ver}"}},
    {"tcl", "tclsh[0-9]*.[0-9]*", 0, "/usr/share/tcltk/tcl{ver}/init.tcl",
     {"/usr/share/tcltk/tcl{ver}"}},
    /* not a language, but a program no use without its data: file(1)
     * and libmagic's compiled database */
    {"libmagic", "file", 0, "/usr/share/misc/magic.mgc",
     {"/usr/share/misc/magic.mgc", "/etc/magic"}},
    /* node's standard library is inside its executable; it and the JDK
     * run at -m's default 256 (their files are mapped from the page
     * cache, not copied), so no recipe asks for more memory */
    {"node", "node*", 0, NULL, {NULL}},
    /* the JDK's launchers (java, javac, jshell...): {home}/bin/NAME */
    {"JDK", "*", 1, "{home}/lib/jvm.cfg",
     {"{home}/lib/modules", "{home}/lib/server", "{home}/lib/*.so",
      "{home}/lib/jvm.cfg", "{home}/lib/tzdb.dat", "{home}/lib/security",
      "{home}/conf", "{home}/release"}},
};

/* The program's real path and the words a recipe's paths use. */
struct words {
	const char *name, *ver;
	char *home;
};

/* s with {home}, {name} and {ver} replaced. */
static char *expand(const char *s, const struct words *w)
{
	struct strbuf sb = {0};

	sb_add(&sb, "", 0);
	while (*s) {
		if (!strncmp(s, "{home}", 6))
			sb_puts(&sb, w->home), s += 6;
		else if (!strncmp(s, "{name}", 6))
			sb_puts(&sb, w->name), s += 6;
		else if (!strncmp(s, "{ver}", 5))
			sb_puts(&sb, w->ver), s += 5;
		else
			sb_add(&sb, s++, 1);
	}
	return sb.s;
}

static char *home_of(const char *real, unsigned up)
{
	char *home = path_dirname(real);

	while (up--) {
		char *parent = path_dirname(home);

		free(home);
		home = parent;
	}
	return home;
}

static bool applies(const struct recipe *r, const char *real,
		    struct words *w)
{
	char *marker;
	bool ok;

	if (fnmatch(r->match, w->name, 0))
		return false;
	w->home = home_of(real, r->up);
	if (!r->marker)
		return true;
	marker = expand(r->marker, w);
	ok = access(marker, R_OK) == 0;
	free(marker);
	if (!ok) {
		free(w->home);
		w->home = NULL;
	}
	return ok;
}

/* ELF files found in the trees, for their libraries once all are in. */
static char **modules;
static size_t nmodules;

static void found_module(const char *host_path)
{
	modules = xrealloc(modules, (nmodules + 1) * sizeof(*modules));
	modules[nmodules++] = xstrdup(host_path);
}

/* Symlinks in the trees are kept as symlinks; what they name outside
 * (the JDK's conf/ points into /etc/java-17-openjdk) is added too. */
static struct image *walk_image;

static int follow_link(const char *path, const struct stat *st, int type,
		       struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (type == FTW_SL)
		free(hostfs_mirror(walk_image, path, "runtime")); /* or dangling */
	return 0;
}

static void add_link_targets(struct image *img, const char *tree)
{
	walk_image = img;
	nftw(tree, follow_link, 16, FTW_PHYS);
}

static void add_paths(struct image *img, const struct recipe *r,
		      const struct words *w)
{
	for (size_t i = 0; i < MAX_PATHS && r->paths[i]; i++) {
		char *pattern = expand(r->paths[i], w);
		glob_t g;

		if (glob(pattern, 0, NULL, &g) == 0) {
			note("adding %s (%zu) for %s (--no-runtime to "
			     "leave it out)",
			     pattern, g.gl_pathc, r->name);
			for (size_t k = 0; k < g.gl_pathc; k++) {
				hostfs_add(img, g.gl_pathv[k], NULL,
					   found_module);
				add_link_targets(img, g.gl_pathv[k]);
			}
			globfree(&g);
		}
		free(pattern);
	}
}

static const struct recipe *find_recipe(const char *real, struct words *w)
{
	for (size_t i = 0; i < sizeof(recipes) / sizeof(*recipes); i++)
		if (applies(&recipes[i], real, w))
			return &recipes[i];
	return NULL;
}

void runtime_add(struct image *img, const char *program)
{
	char real[PATH_MAX];
	struct words w = {0};
	const struct recipe *r;

	if (!realpath(program, real))
		return;
	w.name = strrchr(real, '/') + 1;
	w.ver = w.name + strcspn(w.name, "0123456789");
	r = find_recipe(real, &w);
	if (!r)
		return;
	add_paths(img, r, &w);
	deps_add_modules(img, modules, nmodules, true);
	for (size_t i = 0; i < nmodules; i++)
		free(modules[i]);
	free(modules);
	modules = NULL;
	nmodules = 0;
	free(w.home);
}
