/*
 * Starting the application: the ELF loader and the initial stack.
 *
 * The program file is read into a temporary anonymous mapping of the
 * application's address space (no size limit, no kernel copy), parsed with
 * elf_parse (which trusts nothing), and its PT_LOAD segments are copied to
 * their place: at their addresses for ET_EXEC, at a randomised base for
 * PIE; a PT_INTERP program gets its interpreter (ld-linux) loaded the same
 * way into the mmap area, and the interpreter's entry runs first. The
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
	char interp[256]; /* PT_INTERP, copied out of the file image */
	uint64_t buf, len; /* the file, in a temporary mapping */
	struct elf_info info;
	uint64_t bias;
};

/* Reads the whole file at `path` into a fresh anonymous mapping. */
static int read_file(struct image *im)
{
	struct file *f;
	int err = vfs_openat(NULL, im->path, 0 /* O_RDONLY */, 0, &f);

	if (err)
		return err;
	int64_t size = vfs_file_size(f);
	if (size <= 0) {
		err = size < 0 ? (int)size : -ENOEXEC;
		goto out;
	}
	im->len = (uint64_t)size;
	err = as_map(&im->buf, im->len, PROT_READ | PROT_WRITE, 0);
	if (err)
		goto out;
	/* Backed before the kernel writes it: running out of memory is then
	 * an error here, not a fault in the copy. */
	err = as_populate(im->buf, im->len);
	if (err) {
		as_unmap(im->buf, im->len);
		goto out;
	}
	for (uint64_t done = 0; done < im->len;) {
		int64_t n = vfs_pread(f, (void *)(im->buf + done), im->len - done,
				      (int64_t)done);
		if (n <= 0) {
			err = n < 0 ? (int)n : -EIO;
			as_unmap(im->buf, im->len);
			goto out;
		}
		done += (uint64_t)n;
	}
out:
	file_put(f);
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

/* Copies the segments to their places and gives each its protection. */
static int place_segments(struct image *im)
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
	int err = as_populate(area, ARGS_AREA);
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
		return 127;
	}
	if (load_image(&prog, false))
		return 127;
	if (prog.info.interp) {
		interp.path = prog.interp;
		if (load_image(&interp, true))
			return 127;
	}
	setup_brk(&prog);
	err = setup_stack(&top, prog.info.exec_stack ||
				      (prog.info.interp && interp.info.exec_stack));
	if (!err)
		err = build_stack(top, &prog, prog.info.interp ? &interp : NULL,
				  argc, argv, envc, envp, &sp);
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
