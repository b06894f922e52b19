/*
 * Per-CPU architectural state: CPU features, the GDT with its TSS and IST
 * stacks, the IDT, the extended-state (FPU) setup, and the GS base that
 * makes this_cpu() work.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"

#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

struct cpu_features cpu_features;
struct cpu cpus[MAX_CPUS];
unsigned cpu_count = 1;

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo, selector;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/*
 * IST stacks: 1 for every ordinary vector (left at once, see entry.S),
 * 2 for #DF, 3 for NMI, 4 for #MC.
 */
#define IST_GENERAL 1
#define IST_DF 2
#define IST_NMI 3
#define IST_MC 4
#define IST_STACK_SIZE 8192

struct cpu_arch {
	uint64_t gdt[5]; /* null, code, data, TSS (two slots) */
	struct tss tss;
	uint8_t ist_stacks[4][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* The boot CPU's, static so exceptions work before the allocator does. */
static struct cpu_arch bsp_arch __attribute__((aligned(64)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
extern char irq_stubs[];

static void features_from_cpuid(struct cpu_features *f)
{
	uint32_t r[4], max, maxext;

	cpuid(0, 0, r);
	max = r[0];
	memcpy(f->vendor, &r[1], 4);
	memcpy(f->vendor + 4, &r[3], 4);
	memcpy(f->vendor + 8, &r[2], 4);
	cpuid(1, 0, r);
	f->x2apic = r[2] & (1u << 21);
	f->tsc_deadline = r[2] & (1u << 24);
	f->xsave = r[2] & (1u << 26);
	f->rdrand = r[2] & (1u << 30);
	f->hypervisor = r[2] & (1u << 31);
	if (max >= 7) {
		cpuid(7, 0, r);
		f->fsgsbase = r[1] & 1;
		f->rdseed = r[1] & (1u << 18);
	}
	if (f->xsave && max >= 0xd) {
		cpuid(0xd, 1, r);
		f->xsaveopt = r[0] & 1;
	}
	cpuid(0x80000000, 0, r);
	maxext = r[0];
	if (maxext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		f->nx = r[3] & (1u << 20);
		f->pdpe1gb = r[3] & (1u << 26);
	}
	if (maxext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		f->invariant_tsc = r[3] & (1u << 8);
	}
	if (f->hypervisor) {
		cpuid(0x40000000, 0, r);
		memcpy(f->hypervisor_id, &r[1], 4);
		memcpy(f->hypervisor_id + 4, &r[2], 4);
		memcpy(f->hypervisor_id + 8, &r[3], 4);
	}
}

void arch_cpu_features_init(void)
{
	features_from_cpuid(&cpu_features);
}

static void set_gate(int vec, void *handler, int ist)
{
	uint64_t a = (uint64_t)handler;

	idt[vec] = (struct idt_gate){
		.off_lo = a & 0xffff,
		.selector = 0x08,
		.ist = ist,
		.type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
		.off_mid = (a >> 16) & 0xffff,
		.off_hi = a >> 32,
	};
}

static void idt_build(void)
{
	for (int v = 0; v < 256; v++) {
		int ist = IST_GENERAL;

		if (v == 2)
			ist = IST_NMI;
		else if (v == 8)
			ist = IST_DF;
		else if (v == 18)
			ist = IST_MC;
		set_gate(v, irq_stubs + 16 * v, ist);
	}
}

static void gdt_load(struct cpu_arch *a)
{
	uint64_t tss = (uint64_t)&a->tss;
	uint64_t limit = sizeof(a->tss) - 1;
	struct desc_ptr gdtr = {sizeof(a->gdt) - 1, (uint64_t)a->gdt};

	a->gdt[0] = 0;
	a->gdt[1] = 0x00af9a000000ffff;
	a->gdt[2] = 0x00cf92000000ffff;
	a->gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) |
		    (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
		    (((tss >> 24) & 0xff) << 56);
	a->gdt[4] = tss >> 32;
	for (int i = 0; i < 4; i++)
		a->tss.ist[i] = (uint64_t)a->ist_stacks[i] + IST_STACK_SIZE;
	a->tss.iomap_base = sizeof(a->tss);

	asm volatile("lgdt %0\n\t"
		     "pushq $0x08\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl $0x10, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "ltr %w1"
		     :
		     : "m"(gdtr), "r"(0x18)
		     : "rax", "memory");
}

static void idt_load(void)
{
	struct desc_ptr idtr = {sizeof(idt) - 1, (uint64_t)idt};

	asm volatile("lidt %0" : : "m"(idtr));
}

/* Sets GS so this_cpu() works; the first thing the boot CPU does. */
void arch_set_cpu_base(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE 1
extern char syscall_entry[];

/*
 * `syscall` from ring 0 to ring 0: CS/SS from STAR, entry at LSTAR, and
 * FMASK clears IF (the entry must switch stacks before any interrupt),
 * TF, DF and AC.
 */
static void syscall_msrs_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (0x08ull << 32) | (0x08ull << 48));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, 0x200 | 0x100 | 0x400 | 0x40000);
}

#define MSR_TSC_AUX 0xc0000103

/*
 * RDPID and RDTSCP return MSR_TSC_AUX, which Linux sets to
 * (node << 12) | cpu: the vDSO's getcpu reads it. Writing it on a CPU with
 * neither instruction would #GP.
 */
static void tsc_aux_init(struct cpu *c)
{
	uint32_t r[4];
	bool rdpid = false, rdtscp = false;

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		rdpid = r[2] & (1u << 22);
	}
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		rdtscp = r[3] & (1u << 27);
	}
	if (rdpid || rdtscp)
		wrmsr(MSR_TSC_AUX, c->id);
}

size_t arch_cpu_state_size(void)
{
	return sizeof(struct cpu_arch);
}

void arch_cpu_init(struct cpu *c)
{
	arch_set_cpu_base(c);
	if (c->id == 0)
		idt_build();
	gdt_load(c->arch ? c->arch : &bsp_arch);
	idt_load();
	fpu_init_cpu();
	syscall_msrs_init();
	tsc_aux_init(c);
}

static int boot_cpu_init(void)
{
	arch_cpu_init(&cpus[0]);
	return 0;
}
INIT_STEP(10, boot_cpu_init);
