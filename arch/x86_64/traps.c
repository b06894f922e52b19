/*
 * Interrupt and exception dispatch. entry.S has already moved the frame to
 * the right stack; here we route by vector. A fault nobody claims prints
 * the registers, the faulting address and a symbolised backtrace, and ends
 * the VM with EXIT_PANIC.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"
#include "kernel/sched/sched.h"

static irq_handler_fn handlers[256];
static page_fault_fn page_fault_hook;
static exception_fn exception_hook;

static void (*irq_return_hook)(struct irq_frame *f);
static irq_handler_fn nmi_hook;

void arch_set_nmi_handler(irq_handler_fn fn)
{
	nmi_hook = fn;
}

void arch_set_irq_return_hook(void (*fn)(struct irq_frame *f))
{
	irq_return_hook = fn;
}

void arch_set_exception_handler(exception_fn fn)
{
	exception_hook = fn;
}

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault", "coprocessor overrun",
	"#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void arch_set_irq_handler(int vector, irq_handler_fn fn)
{
	handlers[vector] = fn;
}

page_fault_fn arch_set_page_fault_handler(page_fault_fn fn)
{
	page_fault_fn old = page_fault_hook;

	page_fault_hook = fn;
	return old;
}

void arch_dump_frame(const struct irq_frame *f)
{
	uint64_t off;
	const char *sym = ksym_lookup(f->rip, &off);

	kprintf("  rip %016lx", f->rip);
	if (sym)
		kprintf(" <%s+0x%lx>", sym, off);
	kprintf("  rsp %016lx  rflags %08lx\n", f->rsp, f->rflags);
	kprintf("  rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx,
		f->rcx);
	kprintf("  rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi,
		f->rdi);
	kprintf("  rbp %016lx  r8  %016lx  r9  %016lx\n", f->rbp, f->r8,
		f->r9);
	kprintf("  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r10, f->r11,
		f->r12);
	kprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14,
		f->r15);
	kprintf("  cr2 %016lx  cr3 %016lx  error %lx\n", read_cr2(),
		read_cr3(), f->error);
}

static bool kernel_address(uint64_t a)
{
	return a >= PHYS_MAP_BASE && (a & 7) == 0;
}

/* Follows the frame-pointer chain (the kernel keeps frame pointers). */
void arch_backtrace(uint64_t rbp, uint64_t rip)
{
	kprintf("  backtrace:\n");
	for (int depth = 0; depth < 32 && rip; depth++) {
		uint64_t off;
		const char *sym = ksym_lookup(rip, &off);

		if (sym)
			kprintf("    %016lx %s+0x%lx\n", rip, sym, off);
		else
			kprintf("    %016lx ?\n", rip);
		if (!kernel_address(rbp))
			break;
		rip = ((uint64_t *)rbp)[1];
		rbp = ((uint64_t *)rbp)[0];
	}
}

static __attribute__((noreturn)) void fatal_exception(struct irq_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector]
				   ? exception_names[f->vector]
				   : "unexpected interrupt";
	struct thread *t = current_thread();

	kprintf("\nosprey: fatal exception %lu (%s)", f->vector, name);
	if (f->vector == 14)
		kprintf(" at address %016lx (%s, %s%s)", read_cr2(),
			f->error & 1 ? "protection" : "not present",
			f->error & 2 ? "write" : "read",
			f->error & 16 ? ", instruction fetch" : "");
	kprintf("\n  thread %s\n", t ? t->name : "(boot)");
	arch_dump_frame(f);
	arch_backtrace(f->rbp, f->rip);
	kernel_exit(EXIT_PANIC);
}

void irq_dispatch(struct irq_frame *f)
{
	uint64_t v = f->vector;

	if (v == 2 && nmi_hook) {
		nmi_hook(f);
		return;
	}
	if (v < 32) {
		if (v == 14 && page_fault_hook && page_fault_hook(f, read_cr2()))
			return;
		if (exception_hook && exception_hook(f))
			return;
		fatal_exception(f);
	}
	this_cpu()->irq_count++;
	if (current_thread())
		sched_irq_enter();
	if (handlers[v])
		handlers[v](f);
	else if (v != VEC_SPURIOUS)
		kprintf("osprey: interrupt on unused vector %lu\n", v);
	/* Preempt only code that ran with interrupts on. */
	if ((f->rflags & 0x200) && current_thread()) {
		sched_preempt_point();
		if (irq_return_hook)
			irq_return_hook(f);
	}
	if (current_thread())
		sched_irq_exit();
}
