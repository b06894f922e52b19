/*
 * Extended processor state (x87, SSE, AVX, AVX-512). The kernel itself is
 * built with -mgeneral-regs-only and never touches these registers, so a
 * system call preserves them for free; only a context switch between
 * threads that use them has to save and restore them (sched decides when).
 * fpu_save and fpu_restore are inline, in arch.h.
 */
#include "arch/x86_64/arch.h"
#include "kernel/kernel.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define XCR0_X87 1
#define XCR0_SSE 2
#define XCR0_AVX 4
#define XCR0_AVX512 0xe0

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr4(void)
{
	uint64_t v;
	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void xsetbv(uint32_t reg, uint64_t v)
{
	asm volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)));
}

/* The state a new thread starts with: default control words, all clear. */
static uint8_t initial_state[4096] __attribute__((aligned(64)));

void fpu_init_cpu(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	struct cpu_features *f = &cpu_features;

	cr0 = (cr0 & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
	asm volatile("mov %0, %%cr0" : : "r"(cr0));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (f->xsave)
		cr4 |= CR4_OSXSAVE;
	asm volatile("mov %0, %%cr4" : : "r"(cr4));
	if (f->xsave) {
		uint32_t r[4];

		cpuid(0xd, 0, r);
		uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
		f->xcr0 = supported & (XCR0_X87 | XCR0_SSE | XCR0_AVX |
				       XCR0_AVX512);
		xsetbv(0, f->xcr0);
		cpuid(0xd, 0, r);
		f->xsave_size = r[1]; /* for the XCR0 just set */
	} else {
		f->xsave_size = 512;
	}
	assert(f->xsave_size <= sizeof(initial_state));
	if (cpus[0].self == this_cpu() && this_cpu()->id == 0) {
		asm volatile("fninit");
		uint32_t mxcsr = 0x1f80;
		/* The kernel has no SSE code; ldmxcsr is fine in asm. */
		asm volatile("ldmxcsr %0" : : "m"(mxcsr));
		fpu_save(initial_state);
	}
}

size_t fpu_state_size(void)
{
	return cpu_features.xsave_size;
}

void fpu_state_init(void *area)
{
	memcpy(area, initial_state, cpu_features.xsave_size);
}
