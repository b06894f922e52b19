/*
 * System-call dispatch: one table built from linux/syscalls.def, indexed
 * by number. The entry (arch/x86_64/syscall.S) calls the table itself;
 * unknown numbers, and every call under --strace, come here instead.
 * Unknown numbers return -ENOSYS and are reported once by name (the names
 * come from Linux's own header, see linux/syscall_names.h).
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"
#include "kernel/mm/mm.h"
#include "linux/signal.h"
#include "linux/sys.h"
#include "linux/syscall_abi.h"
#include "linux/syscall_names.h"

void strace_enter(const struct syscall_frame *f);
void strace_exit(long ret);

typedef long (*syscall_fn)(long, long, long, long, long, long);

/* The handlers; syscall_entry_table below is what syscall.S calls. */
const syscall_fn syscall_table[NR_SYSCALLS] = {
#define SYSCALL(nr, name) [nr] = sys_##name,
#include "linux/syscalls.def"
#undef SYSCALL
};
/*
 * What syscall.S calls: syscall_table with its holes, or every entry
 * under --strace, filled with syscall_slow_stub, which leaves for the
 * slow entry. The fast path then needs no check but the bound.
 */
syscall_fn syscall_entry_table[NR_SYSCALLS];
long syscall_slow_stub(long, long, long, long, long, long);

/* The offsets syscall.S uses. */
_Static_assert(sizeof(struct syscall_frame) == SYSCALL_FRAME_SIZE,
	       "syscall frame");
_Static_assert(__builtin_offsetof(struct thread, kstack_top) ==
		       THREAD_KSTACK_TOP,
	       "thread kstack_top");
_Static_assert(__builtin_offsetof(struct thread, sig) == THREAD_SIG,
	       "thread sig");
_Static_assert(__builtin_offsetof(struct sigstate_head, blocked) ==
			       SIGSTATE_BLOCKED &&
		       __builtin_offsetof(struct sigstate_head, pending) ==
			       SIGSTATE_PENDING,
	       "sigstate_head");
_Static_assert(ERESTARTSYS_NEG == -ERESTARTSYS, "ERESTARTSYS");
_Static_assert(ERESTART_RESTARTBLOCK_NEG == -ERESTART_RESTARTBLOCK,
	       "ERESTART_RESTARTBLOCK");

/*
 * The fast entry's variants for a VM that runs one process: each is what
 * the general handler answers for the first process, with no look-up of
 * the caller's process. The first fork puts the general ones back; a
 * thread of the first process that still reads a variant then gets the
 * same answer, so the switch needs no ordering but that the child starts
 * after it.
 */
static const struct {
	unsigned nr;
	syscall_fn fn;
} one_process[] = {
    {110, sys_getppid_one},
};

void syscall_several_processes(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(one_process); i++) {
		unsigned nr = one_process[i].nr;

		if (syscall_entry_table[nr] == one_process[i].fn)
			__atomic_store_n(&syscall_entry_table[nr],
					 syscall_table[nr], __ATOMIC_RELEASE);
	}
}

static int syscall_init(void)
{
	for (unsigned i = 0; i < NR_SYSCALLS; i++)
		syscall_entry_table[i] = syscall_table[i] && !boot_options.strace
						 ? syscall_table[i]
						 : syscall_slow_stub;
	for (unsigned i = 0; i < ARRAY_SIZE(one_process); i++)
		if (!boot_options.strace)
			syscall_entry_table[one_process[i].nr] = one_process[i].fn;
	return 0;
}
INIT_STEP(15, syscall_init);

static const char *syscall_name(uint64_t nr)
{
	if (nr < ARRAY_SIZE(syscall_names) && syscall_names[nr])
		return syscall_names[nr];
	return NULL;
}

static __attribute__((noinline)) long syscall_unknown(uint64_t nr)
{
	char what[48];
	const char *name = syscall_name(nr);

	if (name)
		snprintf(what, sizeof(what), "system call %s", name);
	else
		snprintf(what, sizeof(what), "system call %lu", nr);
	linux_missing(what);
	return -ENOSYS;
}

static long call(const struct syscall_frame *f)
{
	uint64_t nr = f->nr;

	if (likely(nr < NR_SYSCALLS && syscall_table[nr]))
		return syscall_table[nr](f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
	return syscall_unknown(nr);
}

static __attribute__((noinline)) long call_traced(struct syscall_frame *f)
{
	strace_enter(f);
	long ret = call(f);
	strace_exit(ret);
	return ret;
}

long syscall_dispatch(struct syscall_frame *f)
{
	long ret = unlikely(boot_options.strace) ? call_traced(f) : call(f);

	return signal_check(f, ret);
}

/* ---- reporting what is missing, once each ---- */
#define MISSING_MAX 128
static char missing[MISSING_MAX][160];
static unsigned nmissing;

void linux_missing(const char *what)
{
	char line[192];

	for (unsigned i = 0; i < nmissing; i++)
		if (strcmp(missing[i], what) == 0)
			return;
	if (nmissing < MISSING_MAX)
		snprintf(missing[nmissing++], sizeof(missing[0]), "%s", what);
	snprintf(line, sizeof(line), "osprey-missing %s\n", what);
	debugcon_write(line);
	if (boot_options.verbose)
		kprintf("osprey: not implemented: %s\n", what);
}

/* At exit, with --verbose: everything missing, once each, on one list. */
void linux_missing_report(void)
{
	if (!nmissing || !boot_options.verbose)
		return;
	kprintf("osprey: this run asked for %u thing%s Osprey lacks:\n", nmissing,
		nmissing == 1 ? "" : "s");
	for (unsigned i = 0; i < nmissing; i++)
		kprintf("  %s\n", missing[i]);
}

/* ---- application memory ---- */
long arch_user_copy(void *dst, const void *src, size_t n);
long arch_user_strncpy(char *dst, const char *src, size_t max);
long arch_user_cmpxchg32(uint64_t uaddr, uint32_t old, uint32_t new,
			 uint32_t *found);

bool user_range_ok(uint64_t addr, size_t len)
{
	uint64_t end;

	return !add_overflows(addr, len, &end) && end <= USER_TOP;
}

int copy_from_user(void *dst, uint64_t src, size_t n)
{
	if (!user_range_ok(src, n))
		return -EFAULT;
	return (int)arch_user_copy(dst, (const void *)src, n);
}

int copy_to_user(uint64_t dst, const void *src, size_t n)
{
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return (int)arch_user_copy((void *)dst, src, n);
}

int cmpxchg_user_u32(uint64_t uaddr, uint32_t old, uint32_t new,
		     uint32_t *found)
{
	if (!user_range_ok(uaddr, sizeof(uint32_t)) || (uaddr & 3))
		return -EFAULT;
	return (int)arch_user_cmpxchg32(uaddr, old, new, found);
}

long strncpy_from_user(char *dst, uint64_t src, size_t max)
{
	if (src >= USER_TOP)
		return -EFAULT;
	/* Do not read past the lower half even if no NUL comes first. */
	max = MIN(max, USER_TOP - src);
	long n = arch_user_strncpy(dst, (const char *)src, max);
	if (n < 0)
		return n;
	if ((size_t)n == max)
		return -ENAMETOOLONG;
	return n;
}
