/*
 * The osprey command: packs a host program into an Osprey image and boots
 * it. This header is the interface between its parts:
 *
 *   main.c     the command line, `build` and `run`
 *   util.c     messages, exit statuses, allocation, paths, string buffers
 *   image.c    the image being built: entries, cpio newc writer, manifest
 *   hostfs.c   copying host paths into the image (symlinks mirrored)
 *   deps.c     the interpreter and libraries, resolved the way ld.so does
 *   vm.c       QEMU: accelerator choice, launch, exit status, temp files
 *   net.c      the guest's network: -p, --net, --ip, --dns
 *   disk.c     --disk (virtio-blk) and `osprey disk` (e2fsprogs)
 *   share.c    --share (host folders over virtio-9p)
 *   elfdeps.c  the ELF reader (pure, fuzzed: elfdeps.h)
 *   ldcache.c  the /etc/ld.so.cache reader (pure, fuzzed: ldcache.h)
 *   stdio.c    the program's standard streams, and a terminal
 *   runtime.c  runtime recipes: an interpreter's library, the JDK's home
 */
#ifndef OSPREY_CLI_H
#define OSPREY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct stat;

/* ---- messages and exit statuses (util.c) ---- */

/* What went wrong decides the exit status; main.c maps each to a number. */
enum fail_kind {
	FAIL_USAGE,    /* a bad command line */
	FAIL_NOTFOUND, /* the program, a library or a file is missing */
	FAIL_NOTEXEC,  /* the program is not an x86-64 ELF executable */
	FAIL_OTHER,    /* anything else (I/O, QEMU) */
	FAIL_KINDS
};

extern bool verbose; /* -v */
void set_fail_statuses(const int statuses[FAIL_KINDS]);
/* "osprey: MESSAGE" on stderr, then exit with the kind's status. */
_Noreturn void fail(enum fail_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like warn, only with -v. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Files to remove at exit and on SIGINT, SIGTERM, SIGHUP or SIGQUIT (the
 * handler only calls unlink, so it is async-signal-safe). While a child
 * runs (cleanup_set_child), those signals are passed on to it instead and
 * cleanup_signal says which one came.
 */
void cleanup_init(void);
void cleanup_add(const char *path);
void cleanup_forget(const char *path);
void cleanup_set_child(int pid);
int cleanup_signal(void);
/* Puts the terminal fd back to *t at exit, on those signals, and in
 * cleanup_die (NULL: not any more). */
struct termios;
void cleanup_terminal(int fd, const struct termios *t);
/* mkstemp, and the file is removed at exit unless forgotten. */
int mkstemp_cleanup(char *template);
/* Removes the files now and dies of `sig`, as if it had not been caught. */
_Noreturn void cleanup_die(int sig);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing NUL-terminated string. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
/* s for a QEMU option value: each comma written twice (malloc'd). */
char *commas_doubled(const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

char *path_join(const char *dir, const char *name);
char *path_dirname(const char *path); /* "/a/b" -> "/a", "/a" -> "/" */
/* PATH made absolute against the current directory, "." and "//" removed. */
char *path_absolute(const char *path);

/* The whole file mapped read-only (NULL and errno on failure). */
struct mapped {
	const uint8_t *data;
	size_t len;
};
int map_file(const char *path, struct mapped *m);
void unmap_file(struct mapped *m);

/* ---- the image (image.c) ---- */

enum entry_type { ENTRY_DIR, ENTRY_FILE, ENTRY_SYMLINK };

struct entry {
	char *path; /* in the image: absolute, no "." or ".." or "//" */
	enum entry_type type;
	uint32_t mode;	   /* permission bits */
	uint32_t mtime;	   /* seconds; kept so that .pyc files stay fresh */
	char *source;	   /* a file's host path; NULL when generated */
	uint64_t dev, ino; /* a host file's identity */
	char *data;	   /* generated contents, or a symlink's target */
	uint64_t size;	   /* a file's bytes, or the target's length */
	const char *why;   /* for the manifest: "program", "library", ... */
	struct entry *hash_next;
};

struct image {
	struct entry **entries;
	size_t n, cap;
	struct entry **buckets;
	size_t nbuckets;
};

struct image *image_new(void);
/* st_mtime as a cpio mtime (clamped to 0..2^32-1). */
uint32_t image_mtime(const struct stat *st);
struct entry *image_find(const struct image *img, const char *path);
/*
 * Each adds an entry (and any missing parent directories, mode 0755) and
 * returns it. Adding what is already there is a no-op; adding something
 * else at a taken path fails with a message naming both.
 */
struct entry *image_add_dir(struct image *img, const char *path, uint32_t mode,
			    uint32_t mtime);
/* A host file, `st` its stat: the same file (device and inode) added
 * again at the same path, under any name, is no conflict. */
struct entry *image_add_file(struct image *img, const char *path,
			     const char *source, const struct stat *st,
			     const char *why);
struct entry *image_add_data(struct image *img, const char *path,
			     const char *data, size_t len, uint32_t mode,
			     const char *why);
struct entry *image_add_symlink(struct image *img, const char *path,
				const char *target, const char *why);
/* PATH with the image's own symlinks in its directories resolved. */
char *image_resolve_parent(const struct image *img, const char *path);
/* The manifest text: every entry but directories, its source and size. */
char *image_manifest(struct image *img, const char *cmdline);
/* Writes the cpio newc archive to `out` (atomically: a temporary file
 * beside it, then rename). Returns the number of bytes written. */
uint64_t image_write(struct image *img, const char *out);
/* Writes the image as an ext4 file system instead (image_ext4.c): the
 * tree staged in a temporary directory, then `mke2fs -d` (Debian's
 * e2fsprogs) into `out`, sized from what it holds. Returns the bytes
 * the files take (data rounded to blocks). */
uint64_t image_write_ext4(struct image *img, const char *out);
/* Sorts the entries by path: a directory before what it holds. */
void image_sort(struct image *img);

/* ---- host files into the image (hostfs.c) ---- */

/*
 * Adds the host path PATH (absolute) at the same path in the image,
 * following it the way the kernel would: each symlink on the way, in a
 * directory (/lib -> usr/lib) or at the end (libc.so.6 -> libc-2.36.so),
 * is added as the same symlink, and what the path finally names is added
 * at its real path. Returns that real path, or NULL with errno set (and
 * nothing reported) when the path does not resolve.
 */
char *hostfs_mirror(struct image *img, const char *path, const char *why);
/*
 * --add HOST[:GUEST]: a file, or a directory tree with its symlinks kept
 * as symlinks. Without GUEST, HOST's own path (mirrored as above). Calls
 * found_elf for each regular file that starts with the ELF magic, with
 * its host path.
 */
void hostfs_add(struct image *img, const char *host, const char *guest,
		void (*found_elf)(const char *host_path));

/* ---- dependencies (deps.c) ---- */

struct deps_options {
	const char *ld_library_path; /* from --env LD_LIBRARY_PATH=, or NULL */
};
/* The program's interpreter and libraries, transitively. Fails on
 * anything missing. */
void deps_add_program(struct image *img, const char *program,
		      const struct deps_options *opt);
/* The libraries of an ELF file added with --add (a dlopen'ed module,
 * say): what is missing is only a warning. */
void deps_add_module(struct image *img, const char *path);
/* The same for many at once, all loaded before any library is looked
 * for, so that one's library found among the others (the JDK's
 * libjvm.so) is no miss; quiet: what is missing only with -v. */
void deps_add_modules(struct image *img, char **paths, size_t n, bool quiet);

/* ---- runtime recipes (runtime.c) ---- */

/* Adds what the program's runtime needs (python3.N's library, the JDK's
 * home...), by the table of recipes. */
void runtime_add(struct image *img, const char *program);

/* ---- the guest's network (net.c) ---- */

enum net_kind {
	NET_DEFAULT, /* nothing asked: no device, loopback only */
	NET_NONE,    /* --net none: the same, said */
	NET_USER,    /* -p or --net user: QEMU's user networking */
	NET_TAP,     /* --net tap:NAME: an existing TAP device */
};

struct port_forward {
	unsigned host, guest; /* 1..65535 */
	bool udp;	      /* else TCP */
};

/* Filled by the parsers below from the command line; read-only after. */
struct net_options {
	enum net_kind kind;
	const char *tap; /* NET_TAP: the device's name */
	struct port_forward *fwds;
	size_t nfwds;
	const char *ip; /* --ip ADDR/PREFIX[,GATEWAY], or NULL */
	const char **dns;
	size_t ndns;
};

/* Each fails with FAIL_USAGE and a message naming what is wrong. */
void net_add_port(struct net_options *n, const char *spec);
void net_set_kind(struct net_options *n, const char *spec);
void net_set_ip(struct net_options *n, const char *spec);
void net_add_dns(struct net_options *n, const char *spec);
/* After the command line: -p implies user networking; --ip needs one. */
void net_check(struct net_options *n);
/* Appends " --ip=... --dns=..." for the kernel. */
void net_kernel_options(const struct net_options *n, struct strbuf *sb);
/* Appends QEMU's arguments (at most NET_QEMU_ARGS) to v at i; returns
 * the new i. Fails (FAIL_OTHER) when the TAP device does not exist. */
#define NET_QEMU_ARGS 6
int net_qemu_args(const struct net_options *n, const char *machine,
		  unsigned cpus, char **v, int i);

/* ---- disks (disk.c) ---- */
struct disk {
	char *file;	   /* the raw image on the host */
	const char *path;  /* the guest mount point (--mount=), or NULL */
	uint64_t size;	   /* made this size when missing; 0: must exist */
	bool ro;
	const char *cache; /* QEMU's cache mode */
};
struct disk_options {
	struct disk *disks; /* /dev/vda, vdb, ... in order */
	size_t n;
};
/* --disk FILE[:PATH][:SIZE][,ro][,cache=MODE]; FAIL_USAGE when bad. */
void disk_add(struct disk_options *o, const char *spec);
/* Makes missing files, appends QEMU's arguments (DISK_QEMU_ARGS a disk
 * and 2 more) to v at i; returns the new i. */
#define DISK_QEMU_ARGS 4
int disk_qemu_args(const struct disk_options *o, const char *machine,
		   char **v, int i);
/* Appends " --mount=vdX:PATH[,ro]" for each disk with a PATH. */
void disk_kernel_options(const struct disk_options *o, struct strbuf *sb);
/* Runs argv (an e2fsprogs tool), its output on ours; its exit status
 * (127: not found). */
int spawn(char *const argv[]);
/* `osprey disk ...` (argv[0] is "disk"): its exit status. */
int disk_main(int argc, char **argv);

/* ---- host folders over virtio-9p (share.c) ---- */
struct share {
	char *host;	   /* the host directory */
	const char *guest; /* where the guest mounts it */
	bool ro;
};
struct share_options {
	struct share *shares; /* mount tags share0, share1, ... in order */
	size_t n;
};
/* --share HOSTDIR:GUESTDIR[:ro]; FAIL_USAGE when bad. */
void share_add(struct share_options *o, const char *spec);
/* Appends QEMU's arguments (SHARE_QEMU_ARGS a share and 2 more) to v at
 * i; returns the new i. */
#define SHARE_QEMU_ARGS 4
int share_qemu_args(const struct share_options *o, const char *machine,
		    char **v, int i);
/* Appends " --mount=shareN:GUESTDIR:9p[,ro]" for each share. */
void share_kernel_options(const struct share_options *o, struct strbuf *sb);

/* ---- the program's standard streams (stdio.c) ---- */
struct stdio_relay {
	bool open[3]; /* our fd 0, 1, 2 was open: the guest gets a port */
	bool merged;  /* fds 1 and 2 are one file: they share stdout's port */
	bool tty;     /* fd 0 is a terminal: port 1 is the guest's terminal */
	bool on_tty[3]; /* fd 1, 2 is that terminal too: no port of its own */
	int guest[4]; /* QEMU's socket ends (-chardev socket,fd=), or -1; */
	int cli[4];   /* ours, or -1; [3]: the control port (a terminal's) */
};
/* Before QEMU's command line: the sockets (closed streams get
 * /dev/null here, and no port). */
void stdio_prepare(struct stdio_relay *r);
/* Appends the virtio-console device and its ports (at most
 * STDIO_QEMU_ARGS) to v at n; returns the new n. */
#define STDIO_QEMU_ARGS 20
int stdio_qemu_args(const struct stdio_relay *r, const char *machine,
		    char **v, int n);
/* In QEMU's process before exec, and in ours after the fork. */
void stdio_child(const struct stdio_relay *r);
void stdio_parent(struct stdio_relay *r);
/* Copies the streams until QEMU (pid) has ended and its output is out.
 * With a terminal: true when Ctrl-] stopped the VM. */
bool stdio_relay(struct stdio_relay *r, pid_t pid);
/* The terminal in raw mode, put back by stdio_restore and at any exit. */
void stdio_raw(const struct stdio_relay *r);
void stdio_restore(const struct stdio_relay *r);
#define STDIO_ESCAPE 0x1d   /* Ctrl-]: stops the VM, whatever it runs */
#define STDIO_ESCAPE_EXIT 130 /* and osprey run exits with this */

/* ---- the virtual machine (vm.c) ---- */

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

struct vm_options {
	const char *kernel;
	const char *image;
	const char *cmdline;
	const char *machine;		  /* microvm, q35 or pc */
	unsigned mem_mb, cpus, timeout_s; /* timeout 0: none */
	enum accel accel;
	const struct net_options *net;
	const struct disk_options *disks;
	const struct share_options *shares;
};

/* A new empty file in $TMPDIR (or /tmp), removed at exit. */
const char *tmpfile_make(const char *prefix);
/* Boots the image and returns the application's exit status. */
int vm_run(const struct vm_options *opt);
/* SIGUSR1 asks a running VM's kernel for its state dump; before the VM
 * runs it does nothing (instead of ending this command). */
void vm_signals_init(void);

#endif
