/*
 * Starting the application: the ELF loader and the initial stack.
 *
 * The program file is mapped (a private, read-only file mapping: the
 * page cache's own frames, no copy) for elf_parse (which trusts
 * nothing), and its PT_LOAD segments are mapped from the file the same
 * way mmap's MAP_PRIVATE does: read-only pages stay the cache's, a
 * writable page is copied on its first write, the bss tail of the last
 * file page is zeroed on a private copy and the rest of the bss is
 * anonymous. Segments go at their addresses for ET_EXEC, at a
 * randomised base for PIE; a PT_INTERP program gets its interpreter
 * (ld-linux) loaded the same way into the mmap area, and the
 * interpreter's entry runs first. The
 * stack is 8 MiB below a randomised top, laid out by stack_build as Linux
 * does; mmap allocations grow down from below the stack.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "fs/fs.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "kernel/sync/sync.h"
#include "linux/elf.h"
#include "linux/process.h"
#include "linux/shebang.h"
#include "linux/signal.h"
#include "linux/sys.h"
#include "linux/vdso/vdso.h"

#define STACK_SIZE (8ull << 20)
#define STACK_TOP_MAX 0x7ffffffde000ull
#define PIE_BASE 0x555555554000ull
#define ARGS_AREA (256 * 1024) /* argv, envp, auxv and their strings */
#define BRK_MAX (1ull << 40)

struct image {
	const char *path;
	struct file *dir; /* what a relative path starts from; NULL: cwd */
	char interp[256]; /* PT_INTERP, copied out of the file image */
	struct file *file;
	uint64_t buf, len; /* the file, in a temporary mapping */
	struct elf_info info;
	uint64_t bias;
};

/* Backs [off, off + n) of the file's temporary mapping (clipped to the
 * file), so that the kernel may read it without a fault. */
static int populate_range(struct image *im, uint64_t off, uint64_t n)
{
	uint64_t lo, hi;

	if (off >= im->len)
		return 0;
	n = MIN(n, im->len - off);
	lo = ALIGN_DOWN(im->buf + off, PAGE_SIZE);
	hi = ALIGN_UP(im->buf + off + n, PAGE_SIZE);
	return as_populate(lo, hi - lo);
}

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_INTERP 3

/*
 * Backs what elf_parse reads: the ELF header, the program headers and
 * PT_INTERP's bytes, however the file places them (elf_parse checks
 * them; here they are only clipped to the file). The rest of the file
 * is mapped by its segments, not read by the kernel: a large program
 * costs no more to start than a small one (Linux reads the same parts).
 */
static int populate_headers(struct image *im)
{
	const uint8_t *p = (const uint8_t *)im->buf;
	uint64_t phoff, off, pt_off, pt_size;
	uint16_t phnum;
	uint32_t type;
	int err = populate_range(im, 0, EHDR_SIZE);

	if (err || im->len < EHDR_SIZE)
		return err;
	memcpy(&phoff, p + 32, sizeof(phoff)); /* e_phoff */
	memcpy(&phnum, p + 56, sizeof(phnum)); /* e_phnum */
	err = populate_range(im, phoff, (uint64_t)phnum * PHDR_SIZE);
	for (unsigned i = 0; !err && phoff <= im->len && i < phnum; i++) {
		off = phoff + (uint64_t)i * PHDR_SIZE;
		if (off + PHDR_SIZE > im->len)
			break;
		memcpy(&type, p + off, sizeof(type));
		memcpy(&pt_off, p + off + 8, sizeof(pt_off));
		memcpy(&pt_size, p + off + 32, sizeof(pt_size));
		if (type == PT_INTERP)
			err = populate_range(im, pt_off, pt_size);
	}
	return err;
}

/* Opens the file at `path` and maps it whole, read-only, at im->buf
 * (lazily: only its headers are backed). */
static int read_file(struct image *im)
{
	int err = vfs_openat(im->dir, im->path, 0 /* O_RDONLY */, 0, &im->file);

	if (err)
		return err;
	int64_t size = vfs_file_size(im->file);
	if (size <= 0) {
		err = size < 0 ? (int)size : -ENOEXEC;
		goto out_put;
	}
	im->len = (uint64_t)size;
	err = as_map_file(&im->buf, im->len, PROT_READ, 0, im->file, 0);
	if (err)
		goto out_put;
	/* What the parser reads is backed first: running out of memory (or
	 * a disk error) is then an error here, not a fault in the kernel. */
	err = populate_headers(im);
	if (err == -EFAULT)
		err = -EIO; /* the file shrank under us */
	if (!err)
		return 0;
	as_unmap(im->buf, im->len);
out_put:
	file_put(im->file);
	im->file = NULL;
	return err;
}

/* The pages [lo, hi) that segment i covers. */
static void seg_pages(const struct image *im, unsigned i, uint64_t *lo,
		      uint64_t *hi)
{
	const struct elf_load *l = &im->info.loads[i];

	*lo = ALIGN_DOWN(im->bias + l->vaddr, PAGE_SIZE);
	*hi = ALIGN_UP(im->bias + l->vaddr + l->memsz, PAGE_SIZE);
}

/* Copies the segments to their places and gives each its protection:
 * for the rare file whose segments share a page. */
static int place_copied(struct image *im)
{
	const struct elf_info *in = &im->info;
	uint64_t span_lo = im->bias + in->min_vaddr;
	uint64_t span = in->max_vaddr - in->min_vaddr;
	int err = as_map(&span_lo, span, PROT_READ | PROT_WRITE, VMA_FIXED);

	if (err)
		return err;
	for (unsigned i = 0; i < in->nloads && !err; i++) {
		const struct elf_load *l = &in->loads[i];

		err = as_populate(im->bias + l->vaddr, l->filesz);
		if (!err)
			err = populate_range(im, l->offset, l->filesz);
		if (!err)
			memcpy((void *)(im->bias + l->vaddr),
			       (const void *)(im->buf + l->offset), l->filesz);
	}
	if (err) {
		as_unmap(span_lo, span);
		return err;
	}
	uint64_t prev_hi = span_lo;
	uint32_t prev_prot = 0;
	for (unsigned i = 0; i < in->nloads && !err; i++) {
		uint64_t lo, hi;
		uint32_t prot = in->loads[i].prot;

		seg_pages(im, i, &lo, &hi);
		if (lo > prev_hi)
			err = as_unmap(prev_hi, lo - prev_hi); /* a gap */
		else if (lo < prev_hi) /* shares a page with the previous one */
			prot |= prev_prot;
		if (!err)
			err = as_protect(lo, hi - lo, prot);
		prev_hi = hi;
		prev_prot = in->loads[i].prot;
	}
	return err;
}

/* Whether two segments share a page: they cannot both be file pages. */
static bool pages_shared(const struct image *im)
{
	uint64_t prev_hi = 0;

	for (unsigned i = 0; i < im->info.nloads; i++) {
		uint64_t lo, hi;

		seg_pages(im, i, &lo, &hi);
		if (i && lo < prev_hi)
			return true;
		prev_hi = hi;
	}
	return false;
}

/*
 * Maps segment i from the file, private (Linux's elf_map): its file
 * pages, then anonymous pages for the bss past them; the bytes between
 * the end of the file part and the end of its page are zeroed on a
 * private copy of that page (Linux's padzero).
 */
static int map_segment(struct image *im, unsigned i)
{
	const struct elf_load *l = &im->info.loads[i];
	uint64_t start = im->bias + l->vaddr, fend = start + l->filesz;
	uint64_t lo = ALIGN_DOWN(start, PAGE_SIZE), fhi = lo, hi;
	int err = 0;

	hi = ALIGN_UP(start + l->memsz, PAGE_SIZE);
	if (l->filesz) {
		fhi = ALIGN_UP(fend, PAGE_SIZE);
		err = as_map_file(&lo, fhi - lo, PROT_READ | PROT_WRITE, VMA_FIXED,
				  im->file, ALIGN_DOWN(l->offset, PAGE_SIZE) / PAGE_SIZE);
	}
	if (!err && hi > fhi) {
		uint64_t at = fhi;

		err = as_map(&at, hi - fhi, PROT_READ | PROT_WRITE, VMA_FIXED);
	}
	if (!err && l->memsz > l->filesz && l->filesz && fend < fhi) {
		err = as_own(ALIGN_DOWN(fend, PAGE_SIZE), PAGE_SIZE);
		if (!err)
			memset((void *)fend, 0, fhi - fend);
	}
	if (!err)
		err = as_protect(lo, hi - lo, l->prot);
	return err;
}

static int place_segments(struct image *im)
{
	const struct elf_info *in = &im->info;
	int err = 0;

	if (pages_shared(im))
		return place_copied(im);
	for (unsigned i = 0; i < in->nloads && !err; i++)
		err = map_segment(im, i);
	if (err)
		as_unmap(im->bias + in->min_vaddr, in->max_vaddr - in->min_vaddr);
	return err;
}

static int load_image(struct image *im, bool is_interp)
{
	const char *why = "";
	int err = read_file(im);

	if (err == -ENOMEM) {
		kprintf("osprey: not enough memory to load %s (%lu KiB); give "
			"the VM more (osprey run -m)\n",
			im->path, im->len >> 10);
		return err;
	}
	if (err) {
		kprintf("osprey: cannot read %s: error %d\n", im->path, -err);
		return err;
	}
	err = elf_parse((const void *)im->buf, im->len, &im->info, &why);
	if (err) {
		kprintf("osprey: %s: not a program Osprey can run: %s\n",
			im->path, why);
		goto out;
	}
	if (im->info.interp &&
	    strlen(im->info.interp) >= sizeof(im->interp)) {
		kprintf("osprey: %s: interpreter path too long\n", im->path);
		err = -ENOEXEC;
		goto out;
	}
	if (im->info.interp)
		memcpy(im->interp, im->info.interp, strlen(im->info.interp) + 1);
	if (is_interp && im->info.interp) {
		kprintf("osprey: %s: an interpreter with an interpreter\n",
			im->path);
		err = -ENOEXEC;
		goto out;
	}
	uint64_t span = im->info.max_vaddr - im->info.min_vaddr;
	if (!im->info.dynamic) {
		im->bias = 0;
	} else if (!is_interp) {
		uint64_t rnd = (linux_random_u64() % (1ull << 28)) * PAGE_SIZE;
		im->bias = PIE_BASE + rnd - im->info.min_vaddr;
	} else {
		uint64_t at = 0;

		err = as_map(&at, span, PROT_NONE, 0); /* find room */
		if (!err)
			as_unmap(at, span);
		im->bias = at - im->info.min_vaddr;
	}
	if (!err)
		err = place_segments(im);
	if (err == -ENOMEM)
		kprintf("osprey: not enough memory to load %s; give the VM "
			"more (osprey run -m)\n",
			im->path);
	else if (err)
		kprintf("osprey: %s: cannot map its segments: error %d\n",
			im->path, -err);
out:
	as_unmap(im->buf, im->len);
	file_put(im->file);
	im->file = NULL;
	return err;
}

static void setup_brk(const struct image *prog)
{
	uint64_t end = ALIGN_UP(prog->bias + prog->info.max_vaddr, PAGE_SIZE);

	end += (linux_random_u64() % 8192) * PAGE_SIZE; /* as Linux's brk ASLR */
	current_process()->brk_start = current_process()->brk_end = end;
	current_process()->brk_limit = end + BRK_MAX;
}

/* PT_GNU_STACK decides whether the stack is executable, as on Linux. */
static int setup_stack(uint64_t *top_out, bool exec_stack)
{
	uint64_t top = STACK_TOP_MAX - (linux_random_u64() % (1ull << 22)) * PAGE_SIZE;
	uint64_t bottom = top - STACK_SIZE;
	uint32_t prot = PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0);
	int err = as_map(&bottom, STACK_SIZE, prot, VMA_FIXED | VMA_STACK);

	if (err)
		return err;
	/* mmap works downwards from a gap below the stack. */
	as_set_mmap_base(bottom - (128ull << 20) -
			 (linux_random_u64() % (1ull << 28)) * PAGE_SIZE);
	*top_out = top;
	return 0;
}

static uint64_t hwcap(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[3];
}

/* The end of the NUL-terminated string at addr (written by stack_build). */
static uint64_t string_end(uint64_t addr)
{
	return addr + strlen((const char *)addr) + 1;
}

/* Where the strings and the auxv landed, for /proc/<pid>/cmdline,
 * environ, auxv and stat: sp holds argc, then the argv and envp arrays
 * with their NULLs, then the auxv up to its AT_NULL pair. */
static void record_layout(uint64_t sp, unsigned argc, unsigned envc)
{
	const uint64_t *argv = (const uint64_t *)sp + 1;
	const uint64_t *envp = argv + argc + 1;
	const uint64_t *auxv = envp + envc + 1;

	if (!argc)
		return; /* the command line always has the program */
	current_process()->start_stack = sp;
	current_process()->arg_start = argv[0];
	current_process()->arg_end = string_end(argv[argc - 1]);
	current_process()->env_start = envc ? envp[0] : current_process()->arg_end;
	current_process()->env_end = envc ? string_end(envp[envc - 1]) : current_process()->arg_end;
	while (auxv[0] != AT_NULL)
		auxv += 2;
	current_process()->auxv_start = (uint64_t)(envp + envc + 1);
	current_process()->auxv_end = (uint64_t)(auxv + 2);
}

static int build_stack(uint64_t top, const struct image *prog,
		       const struct image *interp, unsigned argc,
		       const char *const *argv, unsigned envc,
		       const char *const *envp, uint64_t *sp)
{
	uint8_t random16[16];
	const struct elf_info *in = &prog->info;
	uint64_t r0 = linux_random_u64(), r1 = linux_random_u64();
	uint64_t vdso_base = vdso_map(); /* 0: none, and no AT_SYSINFO_EHDR */

	memcpy(random16, &r0, 8);
	memcpy(random16 + 8, &r1, 8);
	struct auxv_pair aux[] = {
		{AT_SYSINFO_EHDR, vdso_base},
		{AT_MINSIGSTKSZ, 2048},
		{AT_HWCAP, hwcap()},
		{AT_PAGESZ, PAGE_SIZE},
		{AT_CLKTCK, 100},
		{AT_PHDR, prog->bias + in->phdr_vaddr},
		{AT_PHENT, in->phentsize},
		{AT_PHNUM, in->phnum},
		{AT_BASE, interp ? interp->bias : 0},
		{AT_FLAGS, 0},
		{AT_ENTRY, prog->bias + in->entry},
		{AT_UID, 0},
		{AT_EUID, 0},
		{AT_GID, 0},
		{AT_EGID, 0},
		{AT_SECURE, 0},
		{AT_HWCAP2, 0},
	};
	struct stack_spec spec = {
		.argc = argc, .argv = argv, .envc = envc, .envp = envp,
		.execfn = argv[0], .platform = "x86_64", .random16 = random16,
		.auxv = aux + !vdso_base, .nauxv = ARRAY_SIZE(aux) - !vdso_base,
	};
	uint64_t area = top - ARGS_AREA;
	uint64_t need = stack_need(ARGS_AREA, top, &spec);
	if (!need)
		return -E2BIG;
	/* Only the pages the arguments take are backed now; the rest of
	 * the stack is faulted in as the program grows into it. */
	uint64_t lo = ALIGN_DOWN(top - need, PAGE_SIZE);
	int err = as_populate(lo, top - lo);
	if (err)
		return err;
	*sp = stack_build((void *)area, ARGS_AREA, top, &spec);
	if (!*sp)
		return -E2BIG;
	record_layout(*sp, argc, envc);
	return 0;
}

struct start {
	uint64_t entry, sp;
};
void arch_enter_app(uint64_t entry, uint64_t sp) __attribute__((noreturn));

static int no_memory_to_start(const char *path)
{
	kprintf("osprey: not enough memory to start %s; give the VM more "
		"(osprey run -m)\n",
		path);
	return EXIT_NO_MEMORY;
}

static void app_main(void *arg)
{
	struct start *s = arg;
	uint64_t entry = s->entry, sp = s->sp;
	struct thread *t = current_thread();

	free(s);
	t->app_tid = first_process.pid = t->tid;
	first_process.pgid = first_process.sid = t->tid;
	if (signal_thread_init(t, 0) || process_add_thread(t)) {
		kprintf("osprey: out of memory starting the application\n");
		linux_exit_group(EXIT_NO_MEMORY);
	}
	bootchart_app_entry();
	arch_enter_app(entry, sp);
}

/*
 * fds 0, 1 and 2: the host's standard streams on virtio-console ports
 * when `osprey run` gave them (fd 0 read-only, 1 and 2 write-only, as a
 * shell's redirections; one the host left closed stays closed), else the
 * serial console, as a terminal would give them.
 */
static int open_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		const char *path = "/dev/console";
		int flags = O_RDWR, err = virtio_console_stdio(fd, &path);
		struct file *f;

		if (err == -EBADF)
			continue;
		if (!err)
			flags = fd == 0 ? O_RDONLY : O_WRONLY;
		err = vfs_openat(NULL, path, flags, 0, &f);
		if (err)
			return err;
		err = fd_install(f, fd, false); /* takes our reference */
		if (err < 0)
			file_put(f);
		if (err != fd)
			return err < 0 ? err : -EBADF;
	}
	return 0;
}

int linux_start(unsigned argc, const char *const *argv, unsigned envc,
		const char *const *envp)
{
	struct image prog = {.path = argv[0]}, interp = {0};
	uint64_t top, sp;
	int err = open_stdio();

	if (err) {
		kprintf("osprey: cannot open /dev/console: error %d\n", -err);
		return err == -ENOMEM ? EXIT_NO_MEMORY : 127;
	}
	err = load_image(&prog, false);
	if (!err && prog.info.interp) {
		interp.path = prog.interp;
		err = load_image(&interp, true);
	}
	if (err) /* said why; running short of memory has its own status */
		return err == -ENOMEM ? EXIT_NO_MEMORY : 127;
	setup_brk(&prog);
	err = setup_stack(&top, prog.info.exec_stack ||
				      (prog.info.interp && interp.info.exec_stack));
	if (!err)
		err = build_stack(top, &prog, prog.info.interp ? &interp : NULL,
				  argc, argv, envc, envp, &sp);
	if (err == -ENOMEM)
		return no_memory_to_start(argv[0]);
	if (err) {
		kprintf("osprey: cannot set up the stack of %s: error %d\n",
			argv[0], -err);
		return 127;
	}
	struct start *s = malloc(sizeof(*s));
	if (!s)
		return no_memory_to_start(argv[0]);
	s->entry = prog.info.interp ? interp.bias + interp.info.entry
				    : prog.bias + prog.info.entry;
	s->sp = sp;
	current_process()->live_threads = 1;
	struct thread *t = thread_create("app", app_main, s,
					 THREAD_FPU | THREAD_APP | THREAD_DETACHED);
	if (!t) {
		free(s);
		return no_memory_to_start(argv[0]);
	}
	/* The process ends with its last thread, through linux_exit_group. */
	for (;;) {
		sched_prepare_wait();
		sched_wait();
	}
}

/* ---- execve ---- */
/*
 * execve replaces the caller's image: the path is checked first (ENOENT,
 * EACCES, ENOEXEC for what is neither ELF nor a `#!` script, answered
 * while the caller still runs), then the process is cut down to the
 * calling thread and the program is loaded into a fresh address space;
 * a load that fails there (a malformed ELF, no memory) switches back to
 * the old one and returns its error. Then the old address space is put,
 * close-on-exec descriptors closed, handled signals reset, and a vfork
 * parent released.
 */
#define EXEC_MAX_BYTES (2u << 20) /* argv and envp strings, as ARG_MAX */
#define EXEC_MAX_STRINGS 65536
#define SCRIPT_DEPTH 4 /* interpreters of interpreters, as Linux's limit */

struct exec_args {
	char *path;
	struct file *dir;
	char **argv, **envp; /* NULL-terminated kernel copies */
	unsigned argc, envc;
	size_t bytes;
	char comm[16]; /* Linux: the base name of the path execve was given */
};

static char *copy_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = malloc(n);

	if (c)
		memcpy(c, s, n);
	return c;
}

static void free_strings(char **v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void exec_args_free(struct exec_args *a)
{
	free_strings(a->argv, a->argc);
	free_strings(a->envp, a->envc);
	free(a->path);
	if (a->dir)
		file_put(a->dir);
}

/* One string from the application, counted against the total. */
static int copy_string(struct exec_args *a, uint64_t uptr, char **out)
{
	char *buf = malloc(PAGE_SIZE * 32);
	long n;

	if (!buf)
		return -ENOMEM;
	n = strncpy_from_user(buf, uptr, PAGE_SIZE * 32);
	if (n < 0 || a->bytes + (size_t)n + 1 > EXEC_MAX_BYTES) {
		free(buf);
		return n == -EFAULT ? -EFAULT : -E2BIG;
	}
	a->bytes += (size_t)n + 1;
	*out = realloc(buf, (size_t)n + 1);
	if (!*out)
		*out = buf;
	return 0;
}

/* A NULL-terminated array of strings from the application (NULL: none,
 * as Linux takes it). */
static int copy_vector(struct exec_args *a, uint64_t uvec, char ***out,
		       unsigned *count)
{
	unsigned cap = 16;
	char **v = calloc(cap + 1, sizeof(char *));
	int err = 0;

	*count = 0;
	if (!v)
		return -ENOMEM;
	for (; uvec && !err; (*count)++) {
		uint64_t p;

		if (copy_from_user(&p, uvec + *count * 8ull, sizeof(p)))
			err = -EFAULT;
		else if (!p)
			break;
		else if (*count == EXEC_MAX_STRINGS)
			err = -E2BIG;
		else if (*count == cap) {
			char **g = realloc(v, (2 * cap + 1) * sizeof(char *));

			if (!g) {
				err = -ENOMEM;
				break;
			}
			v = g;
			cap *= 2;
		}
		if (!err)
			err = copy_string(a, p, &v[*count]);
	}
	if (err) {
		free_strings(v, *count);
		return err;
	}
	v[*count] = NULL;
	*out = v;
	return 0;
}

/* The file's first bytes: 0 with *n, or the open's error. EACCES for
 * what is not a regular file or has no execute bit (Linux). */
static int peek_file(const struct exec_args *a, char *buf, size_t len,
		     int64_t *n)
{
	struct file *f;
	struct kstat st;
	int err = vfs_openat(a->dir, a->path, O_RDONLY, 0, &f);

	if (err)
		return err;
	err = vfs_fstat(f, &st);
	if (!err && (!S_ISREG(st.mode) || !(st.mode & 0111)))
		err = -EACCES;
	if (!err) {
		*n = vfs_pread(f, buf, len, 0);
		if (*n < 0)
			err = (int)*n;
	}
	file_put(f);
	return err;
}

/* argv with `extra` strings put first, argv[0] replaced by the script's
 * path (Linux: interpreter [arg] script argv[1...]). */
static int prepend_args(struct exec_args *a, char **extra, unsigned nextra)
{
	unsigned n = a->argc ? a->argc - 1 : 0;
	char **v = calloc(nextra + 1 + n + 1, sizeof(char *));
	char *script = copy_str(a->path);

	if (!v || !script) {
		free(v);
		free(script);
		return -ENOMEM;
	}
	memcpy(v, extra, nextra * sizeof(char *));
	v[nextra] = script;
	for (unsigned i = 0; i < n; i++)
		v[nextra + 1 + i] = a->argv[i + 1];
	if (a->argc)
		free(a->argv[0]);
	free(a->argv);
	a->argv = v;
	a->argc = nextra + 1 + n;
	return 0;
}

/* `#!interp [arg]` (buf: n bytes of the file): the interpreter becomes
 * the program. */
static int use_interpreter(struct exec_args *a, char *buf, size_t n)
{
	char *interp, *arg, *extra[2];
	unsigned nx = 0;
	int err = shebang_parse(buf, n, &interp, &arg);

	if (err)
		return err;
	extra[nx++] = copy_str(interp);
	if (arg)
		extra[nx++] = copy_str(arg);
	err = (!extra[0] || (nx == 2 && !extra[1])) ? -ENOMEM
						    : prepend_args(a, extra, nx);
	if (err) {
		free(extra[0]);
		free(nx == 2 ? extra[1] : NULL);
		return err;
	}
	free(a->path);
	a->path = copy_str(interp);
	if (a->dir && interp[0] != '/') {
		/* the interpreter is found from the cwd, as Linux */
		file_put(a->dir);
		a->dir = NULL;
	}
	return a->path ? 0 : -ENOMEM;
}

/* Follows `#!` lines to an ELF file: 0, or the error execve returns. */
static int resolve_program(struct exec_args *a)
{
	char buf[SHEBANG_MAX + 1];

	for (int depth = 0;; depth++) {
		int64_t n = 0;
		int err = peek_file(a, buf, SHEBANG_MAX, &n);

		if (err)
			return err;
		n = n < 0 ? 0 : MIN(n, (int64_t)SHEBANG_MAX);
		buf[n] = 0;
		if (n >= 4 && !memcmp(buf, "\x7f" "ELF", 4))
			return 0;
		if (n < 2 || buf[0] != '#' || buf[1] != '!')
			return -ENOEXEC;
		if (depth == SCRIPT_DEPTH)
			return -ELOOP;
		err = use_interpreter(a, buf, (size_t)n);
		if (err)
			return err;
	}
}

/* Loads the program into the caller's (fresh) address space. */
static int load_program(struct exec_args *a, uint64_t *entry, uint64_t *sp)
{
	struct image prog = {.path = a->path, .dir = a->dir}, interp = {0};
	uint64_t top;

	if (load_image(&prog, false))
		return -ENOEXEC;
	if (prog.info.interp) {
		interp.path = prog.interp;
		if (load_image(&interp, true))
			return -ENOEXEC;
	}
	setup_brk(&prog);
	int err = setup_stack(&top, prog.info.exec_stack ||
					    (prog.info.interp &&
					     interp.info.exec_stack));
	if (!err)
		err = build_stack(top, &prog, prog.info.interp ? &interp : NULL,
				  a->argc, (const char *const *)a->argv,
				  a->envc, (const char *const *)a->envp, sp);
	*entry = prog.info.interp ? interp.bias + interp.info.entry
				  : prog.bias + prog.info.entry;
	return err;
}

/* The process's new image goes in place of the old one (see above). */
static long exec_replace(struct exec_args *a)
{
	struct thread *t = current_thread();
	struct as *old = t->as, *fresh;
	uint64_t entry, sp;

	process_end_other_threads();
	fresh = as_new();
	if (!fresh)
		return -ENOMEM;
	sched_switch_as(fresh);
	int err = load_program(a, &entry, &sp);
	if (err) {
		sched_switch_as(old);
		as_put(fresh);
		return err;
	}
	process_set_as(fresh);
	as_put(old);
	vfs_exe_set(a->dir, a->path);
	snprintf(t->name, sizeof(t->name), "%s", a->comm);
	fd_close_on_exec();
	signal_exec_reset();
	process_vfork_release();
	exec_args_free(a);
	t->fs_base = 0;
	t->robust_list = 0;
	wrmsr(0xc0000100, 0);
	fpu_state_init(t->fpu_state);
	fpu_restore(t->fpu_state);
	arch_enter_app(entry, sp);
}

static long do_execve(struct exec_args *a, long uargv, long uenvp)
{
	int err = copy_vector(a, (uint64_t)uargv, &a->argv, &a->argc);

	if (!err)
		err = copy_vector(a, (uint64_t)uenvp, &a->envp, &a->envc);
	if (!err)
		err = resolve_program(a);
	if (!err)
		err = (int)exec_replace(a);
	exec_args_free(a);
	return err;
}

long sys_execve(long upath, long uargv, long uenvp, long d, long e, long f)
{
	return sys_execveat(AT_FDCWD, upath, uargv, uenvp, 0, 0);
}

#define AT_EMPTY_PATH 0x1000
#define AT_SYMLINK_NOFOLLOW 0x100

long sys_execveat(long dirfd, long upath, long uargv, long uenvp, long flags,
		  long f)
{
	struct exec_args a = {0};
	struct at_path at;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (flags) {
		linux_missing("execveat with AT_EMPTY_PATH/AT_SYMLINK_NOFOLLOW");
		return -EINVAL;
	}
	int err = at_get(dirfd, upath, &at);
	if (err)
		return err;
	a.path = at.path;
	a.dir = at.dir;
	if (!a.path[0]) {
		exec_args_free(&a);
		return -ENOENT;
	}
	const char *base = a.path;
	for (const char *c = a.path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	snprintf(a.comm, sizeof(a.comm), "%s", base);
	return do_execve(&a, uargv, uenvp);
}
