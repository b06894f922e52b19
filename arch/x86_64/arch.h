/*
 * The x86-64 architecture interface: port and MSR access, interrupt
 * control, per-CPU data through the GS base, descriptor tables and
 * exception frames, the local APIC timer, the TSC, and context switch.
 */
#ifndef ARCH_X86_64_ARCH_H
#define ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/layout.h"

#define MAX_CPUS 64

/* ---- instructions ---- */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t read_cr2(void)
{
	uint64_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline void write_cr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void invlpg(uintptr_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}
static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}
static inline void halt(void)
{
	asm volatile("hlt" ::: "memory");
}

/*
 * a * b / c with a 128-bit intermediate; the quotient must fit in 64 bits
 * (else #DE). The kernel links no libgcc: its 128-bit division may use the
 * red zone, which kernel stacks do not have.
 */
static inline uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q, r;
	asm("mulq %3\n\tdivq %4"
	    : "=a"(q), "=&d"(r)
	    : "a"(a), "rm"(b), "rm"(c)
	    : "cc");
	return q;
}

/* ---- interrupt flag ---- */
static inline void irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}
static inline void irq_enable(void)
{
	asm volatile("sti" ::: "memory");
}
static inline uint64_t irq_save(void)
{
	uint64_t flags;
	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}
static inline void irq_restore(uint64_t flags)
{
	if (flags & 0x200)
		irq_enable();
}
static inline bool irq_enabled(void)
{
	uint64_t flags;
	asm volatile("pushfq; popq %0" : "=r"(flags));
	return flags & 0x200;
}
/* Enables interrupts and halts with no window for a lost wakeup. */
static inline void irq_enable_and_halt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

/* ---- CPU features, filled by arch_cpu_features_init ---- */
struct cpu_features {
	bool x2apic, tsc_deadline, xsave, xsaveopt, pdpe1gb, nx, invariant_tsc;
	bool hypervisor, rdrand, rdseed, fsgsbase;
	uint32_t xsave_size; /* bytes needed by XSAVE for the enabled XCR0 */
	uint64_t xcr0;
	char vendor[13], hypervisor_id[13];
};
extern struct cpu_features cpu_features;

/* ---- per-CPU data, reached through the GS base ---- */
struct thread;
struct sched_cpu;
struct cpu {
	struct cpu *self;	  /* %gs:0 */
	struct thread *current;	  /* %gs:8 */
	uint64_t syscall_scratch; /* %gs:16, for the syscall entry */
	/* owned by this CPU; interrupts off */
	uint32_t id;
	uint32_t apic_id;
	int preempt_count;
	bool need_resched;
	struct thread *fpu_owner; /* whose extended state is in registers */
	struct sched_cpu *sched;  /* the scheduler's state for this CPU */
	uint64_t irq_count;
	void *arch; /* GDT, TSS and IST stacks: static for the boot CPU */
};
extern struct cpu cpus[MAX_CPUS];
extern unsigned cpu_count;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	asm volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}
static inline struct thread *current_thread(void)
{
	struct thread *t;
	asm volatile("movq %%gs:8, %0" : "=r"(t));
	return t;
}
/* One %gs-relative load, like this_cpu(): cannot be split by a move. */
static inline unsigned cpu_id(void)
{
	uint32_t id;
	asm volatile("movl %%gs:%c1, %0"
		     : "=r"(id)
		     : "i"(__builtin_offsetof(struct cpu, id)));
	return id;
}

/* ---- interrupt and exception frames ---- */
/*
 * What the entry stubs leave on the thread's kernel stack, lowest address
 * first: the general registers pushed by the stub, the vector and error
 * code, then the frame the CPU pushed.
 */
struct irq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*irq_handler_fn)(struct irq_frame *f);

/* Vectors. Exceptions are 0..31. */
#define VEC_TIMER 0xf0
#define VEC_IPI_WAKE 0xf1 /* something is queued for this CPU */
#define VEC_IPI_CALL 0xf2 /* a cross-CPU call is queued */
#define VEC_SPURIOUS 0xff

void arch_cpu_features_init(void);
void arch_cpu_init(struct cpu *c);	/* GDT, TSS, IDT, FPU, GS */
size_t arch_cpu_state_size(void);	/* what c->arch must point to */
void arch_set_irq_handler(int vector, irq_handler_fn fn);
/* A page-fault hook: returns true when the fault was resolved. */
typedef bool (*page_fault_fn)(struct irq_frame *f, uint64_t addr);
/* Returns the handler it replaces. */
page_fault_fn arch_set_page_fault_handler(page_fault_fn fn);
/* Sees every exception nobody resolved before it is fatal to the kernel:
 * the application's faults end here (returns only if it handled them). */
typedef bool (*exception_fn)(struct irq_frame *f);
void arch_set_exception_handler(exception_fn fn);
/* Runs before an interrupt returns to code that ran with interrupts on
 * (asynchronous signals are delivered there). */
void arch_set_irq_return_hook(void (*fn)(struct irq_frame *f));
/* Runs on every NMI, on its own IST stack, with the interrupted frame. */
void arch_set_nmi_handler(irq_handler_fn fn);
void arch_dump_frame(const struct irq_frame *f);
void arch_backtrace(uint64_t rbp, uint64_t rip);

/* ---- local APIC and its timer ---- */
void lapic_init(void);
void lapic_eoi(void);
void lapic_dump_vector(unsigned v); /* for the state dump */
void ioapic_dump_gsi(uint32_t gsi);  /* for the state dump */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
/* A fixed interrupt `vector` to CPU index `cpu`. */
void arch_send_ipi(unsigned cpu, int vector);
/* Arms the one-shot timer to fire at TSC value `deadline` (or now, if past). */
void lapic_timer_arm(uint64_t deadline_tsc);
uint32_t lapic_id(void);

/* ---- device interrupts (irq.c, ioapic.c) ---- */
/*
 * Vectors 0x30..0xef are handed out to drivers at run time, one per
 * interrupt source. The handler runs in interrupt context with
 * interrupts off, on whatever CPU the source was routed to; it may only
 * read and acknowledge its device and wake threads. The allocator sends
 * the local APIC's EOI after the handler returns.
 */
#define VEC_DYN_FIRST 0x30
#define VEC_DYN_LAST 0xef
/* A free vector that calls fn(arg); -ENOSPC when all are taken. */
int arch_irq_alloc(void (*fn)(void *arg), void *arg);
void arch_irq_free(int vector);
/* The MSI/MSI-X message that raises `vector` on CPU index `cpu` (fixed
 * delivery, physical destination, edge). */
void arch_msi_message(unsigned cpu, int vector, uint64_t *addr,
		      uint32_t *data);
/*
 * The IOAPIC(s): found in the ACPI MADT, else the one every PC has at
 * 0xfec00000 (what the MP table of QEMU's machines also says). GSIs are
 * global system interrupts: an ISA IRQ becomes a GSI through the MADT's
 * interrupt source overrides (ioapic_isa_gsi).
 */
#define IOAPIC_LEVEL 1u	     /* level-triggered (else edge) */
#define IOAPIC_ACTIVE_LOW 2u /* (else active high) */
int ioapic_init(void);
/* Routes `gsi` to `vector` on CPU index `cpu`, unmasked; -ENODEV when no
 * IOAPIC has that input. */
int ioapic_route(uint32_t gsi, int vector, unsigned cpu, unsigned flags);
void ioapic_mask(uint32_t gsi);
/* The GSI of ISA IRQ `irq`, and its trigger/polarity flags (ISA default:
 * edge, active high), after the MADT's overrides. */
uint32_t ioapic_isa_gsi(unsigned irq, unsigned *flags);

/* ---- TSC ---- */
/* Calibrates the TSC: kvmclock, CPUID 0x15/0x16/0x40000010, else the PIT. */
int tsc_init(void);
extern uint64_t tsc_hz;
extern const char *tsc_source;
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);
/* Seconds since the epoch at boot, from kvmclock or the CMOS RTC. */
int64_t rtc_read_epoch(void);

/* ---- extended state (x87/SSE/AVX) ---- */
void fpu_init_cpu(void);
size_t fpu_state_size(void);
void fpu_state_init(void *area); /* a clean state for a new thread */
/*
 * Inline: a context switch between application threads makes one of each.
 * XSAVEOPT skips components unchanged since the last XRSTOR; FXSAVE is
 * the fallback on CPUs without XSAVE.
 */
static inline void fpu_save(void *area)
{
	uint32_t lo = (uint32_t)cpu_features.xcr0;
	uint32_t hi = (uint32_t)(cpu_features.xcr0 >> 32);

	if (cpu_features.xsaveopt)
		asm volatile("xsaveopt64 (%0)"
			     :
			     : "r"(area), "a"(lo), "d"(hi)
			     : "memory");
	else if (cpu_features.xsave)
		asm volatile("xsave64 (%0)"
			     :
			     : "r"(area), "a"(lo), "d"(hi)
			     : "memory");
	else
		asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static inline void fpu_restore(const void *area)
{
	uint32_t lo = (uint32_t)cpu_features.xcr0;
	uint32_t hi = (uint32_t)(cpu_features.xcr0 >> 32);

	if (cpu_features.xsave)
		asm volatile("xrstor64 (%0)"
			     :
			     : "r"(area), "a"(lo), "d"(hi)
			     : "memory");
	else
		asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* ---- context switch (switch.S) ---- */
/*
 * Saves the callee-saved registers on the current stack, stores the stack
 * pointer in *save_rsp, loads load_rsp and returns on that stack, with
 * `pass`: what the thread that switched to us passed in.
 */
void *arch_switch_stack(uint64_t *save_rsp, uint64_t load_rsp, void *pass);

/* ---- firmware hand-off ---- */
extern uint64_t boot_entry_tsc;
extern uint64_t boot_start_info;

#endif
