/*
 * Faults in and for the application. A page fault is first offered to
 * demand paging; a fault inside a user-copy routine becomes -EFAULT for
 * the system call; a fault in application code is a signal. Signal
 * handlers are not delivered yet, so for now every such signal takes its
 * default action: a one-line report and the exit status 128 + signal, as
 * a shell shows for a process killed by it.
 */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/sys.h"

#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11

uint64_t arch_usercopy_fixup(uint64_t rip);

static bool in_app(const struct irq_frame *f)
{
	return f->rip < USER_TOP && current_thread() &&
	       (current_thread()->flags & THREAD_APP);
}

static bool page_fault(struct irq_frame *f, uint64_t addr)
{
	uint64_t fix;

	if (as_fault(addr, f->error & 2, f->error & 16))
		return true;
	fix = arch_usercopy_fixup(f->rip);
	if (fix) {
		f->rip = fix;
		return true;
	}
	return false;
}

static int signal_of(uint64_t vector, const char **name)
{
	switch (vector) {
	case 0:
		*name = "SIGFPE (integer divide error)";
		return SIGFPE;
	case 16:
	case 19:
		*name = "SIGFPE (floating-point exception)";
		return SIGFPE;
	case 1:
	case 3:
		*name = "SIGTRAP";
		return SIGTRAP;
	case 6:
		*name = "SIGILL (invalid opcode)";
		return SIGILL;
	case 17:
		*name = "SIGBUS (alignment check)";
		return SIGBUS;
	case 14:
		*name = "SIGSEGV (page fault)";
		return SIGSEGV;
	default:
		*name = "SIGSEGV (general protection)";
		return SIGSEGV;
	}
}

static bool app_exception(struct irq_frame *f)
{
	const char *name;
	int sig;

	if (!in_app(f))
		return false; /* the kernel's own: fatal, with a backtrace */
	sig = signal_of(f->vector, &name);
	kprintf("osprey: %s killed by %s at rip %lx", current_thread()->name,
		name, f->rip);
	if (f->vector == 14)
		kprintf(", address %lx", read_cr2());
	kprintf("\n");
	linux_exit_group(128 + sig);
}

static int fault_init(void)
{
	arch_set_page_fault_handler(page_fault);
	arch_set_exception_handler(app_exception);
	return 0;
}
INIT_STEP(52, fault_init);
