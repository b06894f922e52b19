/*
 * osprey build: packs a host program, its interpreter, its libraries and
 * the files named with --add into an Osprey image (a cpio newc
 * initramfs). osprey run: the same into a temporary image, booted under
 * QEMU, exiting with the program's exit status. See usage_text.
 */
#define _GNU_SOURCE /* strchrnul, vasprintf, pipe2 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/osprey/osprey.h"

#ifndef OSPREY_LIBDIR
#define OSPREY_LIBDIR "/usr/local/lib/osprey"
#endif

/* The kernel's limits (arch/x86_64/pvh.c, kernel/kernel.h). */
#define KERNEL_CMDLINE_MAX 4095
#define KERNEL_MAX_ARGS 256
#define KERNEL_MAX_ENV 64

static const char usage_text[] =
    "usage: osprey build [-o IMAGE] [BUILD OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       osprey run [BUILD OPTIONS] [RUN OPTIONS] [--] PROGRAM "
    "[ARGS...]\n"
    "       osprey disk create|check|cp ...   (osprey disk --help)\n"
    "\n"
    "Packs a Linux x86-64 program with its ELF interpreter and libraries\n"
    "(found as ld.so would find them) into an Osprey image, a cpio newc\n"
    "initramfs. `run` builds a temporary image, boots it under QEMU with\n"
    "the program's stdin, stdout and stderr on this command's own (Osprey's\n"
    "messages on stderr), and exits with the program's status.\n"
    "PROGRAM is a path or a name looked up in PATH; it keeps its absolute\n"
    "path in the image, which is its argv[0].\n"
    "\n"
    "Build options:\n"
    "  -o, --output IMAGE   the image to write (build: PROGRAM-NAME.cpio\n"
    "                       or .ext4; run: a temporary file, unless given)\n"
    "  --format cpio|ext4   cpio (default): an initramfs, unpacked into RAM\n"
    "                       at boot; ext4: a disk image (mke2fs -d) that\n"
    "                       osprey run attaches as /dev/vda and the kernel\n"
    "                       mounts as /, its files read on demand\n"
    "  --add HOST[:GUEST]   a file or a directory tree, at GUEST (default:\n"
    "                       HOST's own path); ELF files in it bring their\n"
    "                       libraries\n"
    "  --env KEY=VALUE      an environment variable for the program\n"
    "  --locale             add /usr/lib/locale and the gconv modules\n"
    "  --no-runtime         do not add what the program's runtime needs\n"
    "                       (by default, from a table of recipes: python3.N's\n"
    "                       /usr/lib/python3.N, perl's, ruby's, lua's and\n"
    "                       tclsh's libraries, the JDK's home for java)\n"
    "  -v, --verbose        print the manifest (every file, its source and\n"
    "                       size), the accelerator and why, and what the\n"
    "                       kernel reported missing\n"
    "Run options:\n"
    "  -m, --mem MB         memory, default 256 (a G suffix for GiB)\n"
    "  -c, --cpus N         virtual CPUs, default 1\n"
    "  --kvm, --tcg         force the accelerator (default: KVM only when\n"
    "                       /dev/kvm is usable and the CPU has vmx or svm)\n"
    "  --machine microvm|q35|pc   default microvm\n"
    "  --timeout SECONDS    stop the VM after SECONDS and exit 124, after\n"
    "                       the kernel printed its state (as SIGUSR1 does)\n"
    "  --strace             have the kernel print every system call\n"
    "Network options (run; without them the guest has loopback only):\n"
    "  -p, --publish HOSTPORT:GUESTPORT[/udp|/tcp]   forward 127.0.0.1:\n"
    "                       HOSTPORT (TCP unless /udp) to the guest's\n"
    "                       GUESTPORT, through QEMU's user networking;\n"
    "                       the guest is 10.0.2.15/24, gateway 10.0.2.2,\n"
    "                       DNS 10.0.2.3 (repeatable)\n"
    "  --net user|tap:NAME|none   QEMU's user networking; an existing TAP\n"
    "                       device NAME (the guest runs DHCP unless --ip\n"
    "                       is given; one queue pair per vCPU when NAME is\n"
    "                       multi_queue); or no network device\n"
    "  --ip ADDR/PREFIX[,GATEWAY]   the guest's static address\n"
    "  --dns ADDR           a name server for the guest (repeatable)\n"
    "Disk options (run):\n"
    "  --disk FILE[:PATH][:SIZE][,ro][,cache=writeback|none|unsafe]   a raw\n"
    "                       image as the next virtio-blk disk (/dev/vda,\n"
    "                       vdb, ... in the guest); made (sparse) when\n"
    "                       missing and SIZE is given (K, M, G, T). With\n"
    "                       PATH the guest mounts it (ext4) there, and a\n"
    "                       new FILE is made with mke2fs -t ext4. See also\n"
    "                       `osprey disk --help` (create, check, cp).\n"
    "  --share HOSTDIR:GUESTDIR[:ro]   a host directory, mounted on GUESTDIR\n"
    "                       in the guest over virtio-9p (9P2000.L; QEMU's\n"
    "                       -fsdev local, security_model=none): the guest\n"
    "                       reads and writes the host's files, made as the\n"
    "                       user running osprey; :ro refuses writes (EROFS)\n"
    "                       (repeatable)\n"
    "\n"
    "Environment: OSPREY_KERNEL (the kernel; default osprey.elf beside this\n"
    "command, or in ../lib/osprey), OSPREY_QEMU (default "
    "qemu-system-x86_64).\n"
    "Exit status: build: 0, 1 on error, 2 for a bad command line. run: the\n"
    "program's; 125 bad command line or failure (build, QEMU), 126 PROGRAM\n"
    "is not an x86-64 ELF executable, 127 it or a library is missing,\n"
    "124 timeout.\n"
    "SIGUSR1 to a running `osprey run` makes the kernel print the state of\n"
    "every CPU and thread (backtraces included); the program runs on.\n"
    "When stdin is a terminal, it is in raw mode while the VM runs and the\n"
    "program gets a terminal (Ctrl-C is its SIGINT, resizes its SIGWINCH);\n"
    "Ctrl-] stops the VM whatever the program does (exit status 130).\n";

struct options {
	bool run;
	const char *output;
	char **adds, **envs;
	size_t nadds, nenvs;
	bool locale, strace, no_runtime;
	bool ext4; /* --format ext4 */
	struct net_options net;
	struct disk_options disks;
	struct share_options shares;
	const char *ld_library_path;
	struct vm_options vm;
	int argc; /* PROGRAM and its arguments */
	char **argv;
};

static _Noreturn void usage_error(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	fail(FAIL_USAGE, "%s (osprey --help for usage)", msg);
}

static char **push(char **list, size_t *n, char *item)
{
	list = xrealloc(list, (*n + 1) * sizeof(*list));
	list[(*n)++] = item;
	return list;
}

static unsigned parse_number(const char *s, const char *what, unsigned min,
			     unsigned max, bool gib_suffix)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (gib_suffix && (*end == 'G' || *end == 'g') && v <= max / 1024) {
		v *= 1024;
		end++;
	} else if (gib_suffix && (*end == 'M' || *end == 'm')) {
		end++;
	}
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s must be %u to %u, not '%%s'",
			 what, min, max);
		usage_error(msg, s);
	}
	return v;
}

static void check_env(const char *kv, struct options *o)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		usage_error("--env needs KEY=VALUE, not '%s'", kv);
	if (!strncmp(kv, "LD_LIBRARY_PATH=", 16))
		o->ld_library_path = kv + 16;
}

static const struct option long_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"add", required_argument, NULL, 'A'},
    {"format", required_argument, NULL, 'F'},
    {"env", required_argument, NULL, 'E'},
    {"locale", no_argument, NULL, 'L'},
    {"no-runtime", no_argument, NULL, 'R'},
    {"verbose", no_argument, NULL, 'v'},
    {"mem", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, 'c'},
    {"kvm", no_argument, NULL, 'K'},
    {"tcg", no_argument, NULL, 'T'},
    {"machine", required_argument, NULL, 'M'},
    {"timeout", required_argument, NULL, 'X'},
    {"strace", no_argument, NULL, 'S'},
    {"publish", required_argument, NULL, 'p'},
    {"net", required_argument, NULL, 'N'},
    {"ip", required_argument, NULL, 'I'},
    {"dns", required_argument, NULL, 'D'},
    {"disk", required_argument, NULL, 'B'},
    {"share", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *option_name(int c)
{
	for (const struct option *l = long_options; l->name; l++)
		if (l->val == c)
			return l->name;
	return "?";
}

static void run_option(int c, struct options *o)
{
	switch (c) {
	case 'm':
		o->vm.mem_mb = parse_number(optarg, "-m", 1, 1 << 20, true);
		break;
	case 'c':
		o->vm.cpus = parse_number(optarg, "-c", 1, 255, false);
		break;
	case 'K':
		o->vm.accel = ACCEL_KVM;
		break;
	case 'T':
		o->vm.accel = ACCEL_TCG;
		break;
	case 'M':
		if (strcmp(optarg, "microvm") && strcmp(optarg, "q35") &&
		    strcmp(optarg, "pc"))
			usage_error("--machine is microvm, q35 or pc, not '%s'",
				    optarg);
		o->vm.machine = optarg;
		break;
	case 'X':
		o->vm.timeout_s =
		    parse_number(optarg, "--timeout", 1, 1000000, false);
		break;
	case 'S':
		o->strace = true;
		break;
	case 'p':
		net_add_port(&o->net, optarg);
		break;
	case 'N':
		net_set_kind(&o->net, optarg);
		break;
	case 'I':
		net_set_ip(&o->net, optarg);
		break;
	case 'D':
		net_add_dns(&o->net, optarg);
		break;
	case 'B':
		disk_add(&o->disks, optarg);
		break;
	case 'H':
		share_add(&o->shares, optarg);
		break;
	}
}

/* argv[0] is "build" or "run". */
static void parse(int argc, char **argv, struct options *o)
{
	int c;

	o->vm =
	    (struct vm_options){.machine = "microvm", .mem_mb = 256, .cpus = 1};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:m:c:p:vh", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'A':
			o->adds = push(o->adds, &o->nadds, optarg);
			break;
		case 'F':
			if (strcmp(optarg, "cpio") && strcmp(optarg, "ext4"))
				usage_error("--format is cpio or ext4, not '%s'",
					    optarg);
			o->ext4 = !strcmp(optarg, "ext4");
			break;
		case 'E':
			check_env(optarg, o);
			o->envs = push(o->envs, &o->nenvs, optarg);
			break;
		case 'L':
			o->locale = true;
			break;
		case 'R':
			o->no_runtime = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case '?':
			/* optopt is the option when its value is missing */
			if (optopt && strchr("omcpAFEMXNIDBH", optopt))
				usage_error("'%s' needs a value",
					    argv[optind - 1]);
			usage_error("unknown option '%s'", argv[optind - 1]);
		default:
			if (!o->run)
				usage_error("'--%s' is an option of osprey run",
					    option_name(c));
			run_option(c, o);
		}
	}
	net_check(&o->net);
	if (optind >= argc)
		usage_error("no PROGRAM given%s", "");
	o->argc = argc - optind;
	o->argv = argv + optind;
}

/* ---- the program and the kernel ---- */

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/*
 * The program's path in the image (its argv[0]): absolute, as given, so
 * that /bin/true stays /bin/true. A ".." in it is resolved on the host
 * (realpath of the directory), since what it means depends on symlinks.
 */
static char *program_path(const char *name)
{
	char *abs = path_absolute(name), *dir, *real, *joined;
	size_t n = strlen(abs);

	if (!strstr(abs, "/../") && (n < 3 || strcmp(abs + n - 3, "/..")))
		return abs;
	dir = path_dirname(abs);
	real = realpath(dir, NULL);
	if (!real)
		return abs; /* the caller reports the missing file */
	joined = path_join(real, strrchr(abs, '/') + 1);
	free(real);
	free(dir);
	free(abs);
	return joined;
}

static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save;
	struct stat st;
	char *found = NULL;

	if (strchr(name, '/')) {
		found = program_path(name);
		if (stat(found, &st))
			fail(FAIL_NOTFOUND, "%s: %s", name, strerror(errno));
		if (S_ISDIR(st.st_mode))
			fail(FAIL_NOTEXEC, "%s: is a directory", name);
		return found;
	}
	if (!*name)
		usage_error("the program name is empty%s", "");
	copy = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	/* strsep, not strtok: an empty element means the current directory */
	for (save = copy; !found && (dir = strsep(&save, ":"));) {
		char *candidate = path_join(*dir ? dir : ".", name);

		if (is_executable_file(candidate))
			found = program_path(candidate);
		free(candidate);
	}
	free(copy);
	if (!found)
		fail(FAIL_NOTFOUND, "%s: not found in PATH", name);
	return found;
}

static char *find_kernel(const char *argv0)
{
	const char *env = getenv("OSPREY_KERNEL");
	char self[PATH_MAX], *dir, *candidates[3];
	ssize_t n;

	if (env && *env) {
		if (access(env, R_OK))
			fail(FAIL_OTHER, "OSPREY_KERNEL=%s: %s", env,
			     strerror(errno));
		return xstrdup(env);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = path_dirname(self);
	} else {
		char *abs = path_absolute(argv0);

		dir = path_dirname(abs);
		free(abs);
	}
	candidates[0] = path_join(dir, "osprey.elf");
	candidates[1] = path_join(dir, "../lib/osprey/osprey.elf");
	candidates[2] = path_join(OSPREY_LIBDIR, "osprey.elf");
	for (int i = 0; i < 3; i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	fail(FAIL_OTHER,
	     "cannot find the kernel: no %s, %s or %s (make builds "
	     "build/osprey.elf; or set OSPREY_KERNEL)",
	     candidates[0], candidates[1], candidates[2]);
}

/* ---- the kernel command line (kernel/cmdline.c splits it) ---- */

/* Characters that need no quoting (a NUL never reaches here). */
static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("_@%+=:,./-", c);
}

static void quote(struct strbuf *sb, const char *word)
{
	bool plain = *word != '\0';

	for (const char *c = word; *c; c++)
		plain &= plain_char(*c);
	if (plain) {
		sb_puts(sb, word);
		return;
	}
	/* 'it'\''s': a single quote ends the quoted part, a backslash
	 * outside quotes keeps the quote, and a new part starts. */
	sb_puts(sb, "'");
	for (const char *c = word; *c; c++)
		sb_puts(sb, *c == '\'' ? "'\\''" : (char[]){*c, 0});
	sb_puts(sb, "'");
}

static char *kernel_cmdline(const struct options *o, const char *program)
{
	struct strbuf sb = {0};

	if (o->nenvs > KERNEL_MAX_ENV)
		fail(FAIL_USAGE, "too many --env (the kernel takes %d)",
		     KERNEL_MAX_ENV);
	if (o->argc > KERNEL_MAX_ARGS)
		fail(FAIL_USAGE, "too many arguments (the kernel takes %d)",
		     KERNEL_MAX_ARGS);
	sb_puts(&sb, "--quiet");
	if (o->strace)
		sb_puts(&sb, " --strace");
	net_kernel_options(&o->net, &sb);
	disk_kernel_options(&o->disks, &sb);
	share_kernel_options(&o->shares, &sb);
	for (size_t i = 0; i < o->nenvs; i++) {
		char *opt = xasprintf("--env=%s", o->envs[i]);

		sb_puts(&sb, " ");
		quote(&sb, opt);
		free(opt);
	}
	sb_puts(&sb, " --");
	for (int i = 0; i < o->argc; i++) {
		sb_puts(&sb, " ");
		quote(&sb, i == 0 ? program : o->argv[i]);
	}
	if (sb.len > KERNEL_CMDLINE_MAX)
		fail(FAIL_USAGE,
		     "the kernel command line would be %zu bytes; the kernel "
		     "takes %d",
		     sb.len, KERNEL_CMDLINE_MAX);
	return sb.s;
}

/* ---- building ---- */

static struct image *the_image;

static void found_module(const char *host_path)
{
	deps_add_module(the_image, host_path);
}

/* HOST[:GUEST]: GUEST starts at the last ":/" (HOST may hold colons). */
static void add_spec(struct image *img, char *spec)
{
	char *sep = NULL;

	for (char *p = strstr(spec, ":/"); p; p = strstr(p + 1, ":/"))
		sep = p;
	if (sep == spec)
		usage_error("--add %s: no HOST path", spec);
	if (!*spec)
		usage_error("--add needs HOST[:GUEST]%s", "");
	if (sep) {
		char *host = xasprintf("%.*s", (int)(sep - spec), spec);

		hostfs_add(img, host, sep + 1, found_module);
		free(host);
	} else {
		char *colon = strrchr(spec, ':');
		struct stat st;

		if (colon && stat(spec, &st) == 0)
			colon = NULL; /* a host name with a colon in it */
		if (colon)
			usage_error("--add %s: GUEST must be an absolute path",
				    spec);
		hostfs_add(img, spec, NULL, found_module);
	}
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void add_locale(struct image *img)
{
	static const char *const gconv[] = {
	    "/usr/lib/x86_64-linux-gnu/gconv",
	    "/usr/lib64/gconv",
	    "/usr/lib/gconv",
	};
	bool any = false;

	if (is_dir("/usr/lib/locale")) {
		hostfs_add(img, "/usr/lib/locale", NULL, found_module);
		any = true;
	}
	for (size_t i = 0; i < sizeof(gconv) / sizeof(*gconv); i++) {
		if (is_dir(gconv[i])) {
			hostfs_add(img, gconv[i], NULL, found_module);
			any = true;
			break;
		}
	}
	if (!any)
		warn("--locale: this host has no /usr/lib/locale and no "
		     "gconv directory");
}

/*
 * What glibc reads at run time. Generated rather than copied, so that the
 * host's accounts and host names stay out of the image and no NSS module
 * the image lacks is named (glibc 2.34 and later have files and dns
 * built in). --add replaces any of them.
 */
static const struct {
	const char *path, *text;
} etc_files[] = {
    {"/etc/passwd", "root:x:0:0:root:/:/bin/sh\n"
		    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
    {"/etc/group", "root:x:0:\nnogroup:x:65534:\n"},
    {"/etc/hosts", "127.0.0.1\tlocalhost\n"
		   "::1\tlocalhost ip6-localhost ip6-loopback\n"},
    {"/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
			   "hosts: files dns\nnetworks: files\n"
			   "protocols: files\nservices: files\n"
			   "ethers: files\nrpc: files\n"},
};

static void add_defaults(struct image *img)
{
	char *at;

	image_add_dir(img, "/tmp", 01777, 0);
	for (size_t i = 0; i < sizeof(etc_files) / sizeof(*etc_files); i++) {
		at = image_resolve_parent(img, etc_files[i].path);
		if (!image_find(img, at))
			image_add_data(img, at, etc_files[i].text,
				       strlen(etc_files[i].text), 0644,
				       "generated");
		free(at);
	}
	at = image_resolve_parent(img, "/etc/ld.so.cache");
	if (!image_find(img, at) && access("/etc/ld.so.cache", R_OK) == 0)
		free(hostfs_mirror(img, "/etc/ld.so.cache", "ld.so.cache"));
	free(at);
}

/* Builds the image into `out`; returns the kernel command line. */
static char *build(struct options *o, const char *out)
{
	struct deps_options dopt = {.ld_library_path = o->ld_library_path};
	char *program = find_program(o->argv[0]);
	char *cmdline = kernel_cmdline(o, program);
	struct image *img = image_new();
	char *manifest, *at;
	uint64_t bytes;

	the_image = img;
	deps_add_program(img, program, &dopt);
	for (size_t i = 0; i < o->nadds; i++)
		add_spec(img, o->adds[i]);
	if (o->locale)
		add_locale(img);
	if (!o->no_runtime)
		runtime_add(img, program);
	add_defaults(img);
	manifest = image_manifest(img, cmdline);
	at = image_resolve_parent(img, "/etc/osprey/manifest");
	image_add_data(img, at, manifest, strlen(manifest), 0644, "manifest");
	if (verbose)
		fputs(manifest, stderr);
	bytes = o->ext4 ? image_write_ext4(img, out) : image_write(img, out);
	note("wrote %s: %zu entries, %llu bytes%s", out, img->n,
	     (unsigned long long)bytes, o->ext4 ? " of files (ext4)" : "");
	free(at);
	free(manifest);
	free(program);
	return cmdline;
}

static char *default_output(const char *program, bool ext4)
{
	const char *base = strrchr(program, '/');

	return xasprintf("%s.%s", base ? base + 1 : program,
			 ext4 ? "ext4" : "cpio");
}

/* --format ext4 under osprey run: the image is /dev/vda, mounted as "/"
 * (the kernel's --mount=vda:/, first of the mounts), and no initrd. */
static void root_disk_first(struct options *o, const char *image)
{
	struct disk_options *d = &o->disks;
	struct disk root;

	disk_add(d, image);
	root = d->disks[d->n - 1];
	root.path = "/";
	memmove(d->disks + 1, d->disks, (d->n - 1) * sizeof(*d->disks));
	d->disks[0] = root;
}

int main(int argc, char **argv)
{
	static const int build_statuses[FAIL_KINDS] = {2, 1, 1, 1};
	static const int run_statuses[FAIL_KINDS] = {125, 127, 126, 125};
	struct options o = {0};
	const char *cmd = argc > 1 ? argv[1] : "";

	cleanup_init();
	vm_signals_init();
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "run")) {
		o.run = true;
		set_fail_statuses(run_statuses);
	} else if (!strcmp(cmd, "build")) {
		set_fail_statuses(build_statuses);
	} else if (!strcmp(cmd, "disk")) {
		set_fail_statuses(build_statuses);
		return disk_main(argc - 1, argv + 1);
	} else {
		if (*cmd)
			fprintf(stderr, "osprey: unknown command '%s'\n", cmd);
		/* The two synopsis lines, and where the rest is. */
		fprintf(stderr, "%.*s(osprey --help for more)\n",
			(int)(strstr(usage_text, "\n\n") - usage_text + 1),
			usage_text);
		return 2;
	}
	parse(argc - 1, argv + 1, &o);
	if (!o.run) {
		char *out =
		    o.output ? xstrdup(o.output)
			     : default_output(o.argv[0], o.ext4);

		free(build(&o, out));
		free(out);
		return 0;
	}
	o.vm.net = &o.net;
	o.vm.disks = &o.disks;
	o.vm.shares = &o.shares;
	o.vm.kernel = find_kernel(argv[0]);
	o.vm.image = o.output ? o.output : tmpfile_make("osprey-image");
	if (o.ext4)
		root_disk_first(&o, o.vm.image);
	o.vm.cmdline = build(&o, o.vm.image);
	if (o.ext4)
		o.vm.image = NULL; /* no initrd: the root is the disk */
	return vm_run(&o.vm);
}
