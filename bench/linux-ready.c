/*
 * linux-ready: /init of the Linux guest for the boot benchmark's TSC figure.
 * Its first instruction reads the TSC (the guest's TSC starts at 0 when the
 * VM starts; under -icount shift=0,sleep=off it counts guest instructions);
 * it prints "linux-ready tsc=<ticks>" on the console and reboots, which
 * (kernel reboot=t, QEMU -no-reboot) ends QEMU at once.
 *
 * It is the counterpart of Osprey's "osprey-ready tsc=" line: the time at
 * the application's first instruction. bench/boot.sh subtracts the
 * firmware's share (bench/pvh-probe.S) to get kernel entry to init.
 *
 * Static, no libc: gcc -O2 -static -nostdlib -fno-pie -no-pie
 */
#include <stdint.h>

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	rdtsc\n"
	"	shlq $32, %rdx\n"
	"	orq %rdx, %rax\n"
	"	movq %rax, %rdi\n"
	"	andq $-16, %rsp\n"
	"	call ready_main\n"
	"	hlt\n");

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS_write 1
#define SYS_reboot 169

__attribute__((noreturn, used)) void ready_main(uint64_t tsc)
{
	static const char prefix[] = "linux-ready tsc=";
	char buf[64];
	char digits[24];
	int n = 0, d = 0;

	for (unsigned i = 0; i < sizeof(prefix) - 1; i++)
		buf[n++] = prefix[i];
	do {
		digits[d++] = (char)('0' + tsc % 10);
		tsc /= 10;
	} while (tsc);
	while (d)
		buf[n++] = digits[--d];
	buf[n++] = '\n';
	sys3(SYS_write, 1, (long)buf, n);
	/* LINUX_REBOOT_MAGIC1, MAGIC2, LINUX_REBOOT_CMD_RESTART */
	sys3(SYS_reboot, 0xfee1dead, 672274793, 0x01234567);
	for (;;)
		;
}
