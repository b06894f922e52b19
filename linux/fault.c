/*
 * Faults in and for the application. A page fault is first offered to
 * demand paging; a fault inside a user-copy routine becomes -EFAULT for
 * the system call; a fault in application code is a signal to the
 * faulting thread (linux/signal.c), which kills with a one-line report and
 * status 128 + signal when it is not handled.
 */
#include "arch/x86_64/arch.h"
#include "kernel/mm/mm.h"
#include "kernel/sched/sched.h"
#include "linux/signal.h"
#include "linux/sys.h"


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

/* Linux's signal, si_code and si_addr for an exception in the program. */
static int signal_of(const struct irq_frame *f, int *code, uint64_t *addr)
{
	*addr = f->rip;
	switch (f->vector) {
	case 0:
		*code = 1; /* FPE_INTDIV */
		return SIGFPE;
	case 16:
	case 19:
		*code = 0;
		return SIGFPE;
	case 1:
	case 3:
		*code = 0x80; /* SI_KERNEL */
		*addr = 0;
		return SIGTRAP;
	case 6:
		*code = 2; /* ILL_ILLOPN */
		return SIGILL;
	case 17:
		*code = 1; /* BUS_ADRALN */
		return SIGBUS;
	case 14:
		*addr = read_cr2();
		if (as_fault_is_bus(*addr)) {
			*code = 2; /* BUS_ADRERR: past the end of a mapped file */
			return SIGBUS;
		}
		/* Linux: ACCERR when a mapping is there but forbids it. */
		*code = as_accessible(*addr, 1, PROT_NONE) ? 2 : 1;
		return SIGSEGV;
	default:
		*code = 0x80;
		*addr = 0;
		return SIGSEGV;
	}
}

/*
 * A page fault on an access its mapping allows, which demand paging could
 * not serve: memory ran out. Linux's OOM killer ends the process with
 * SIGKILL; so do we, saying so.
 */
static bool out_of_memory(const struct irq_frame *f)
{
	uint32_t need = f->error & 16 ? PROT_EXEC
			: f->error & 2 ? PROT_WRITE
				       : PROT_READ;
	struct mm_stats mem;

	if (f->vector != 14 || !as_accessible(read_cr2(), 1, need))
		return false;
	mm_get_stats(&mem);
	kprintf("osprey: out of memory: the program needed a page at %lx "
		"with %lu KiB of %lu MiB free; killed as Linux's OOM killer "
		"would (give the VM more: osprey run -m)\n",
		read_cr2(), mem.free_pages * 4, mem.total_pages >> 8);
	return true;
}

static bool app_exception(struct irq_frame *f)
{
	int code, sig;
	uint64_t addr;

	if (!in_app(f))
		return false; /* the kernel's own: fatal, with a backtrace */
	sig = signal_of(f, &code, &addr);
	if (sig == SIGSEGV && out_of_memory(f)) {
		sig = SIGKILL;
		code = 0x80; /* SI_KERNEL */
	}
	if (f->vector == 14)
		f->error |= 4; /* the U/S bit Linux reports for user faults */
	signal_fault(f, sig, code, addr);
	return true;
}

static int fault_init(void)
{
	arch_set_page_fault_handler(page_fault);
	arch_set_exception_handler(app_exception);
	return 0;
}
INIT_STEP(52, fault_init);
