/*
 * --strace: every system call of the application, printed like strace(1)
 * on the console with its decoded arguments and result. The argument
 * kinds of the common calls are listed here (s: string, d: int, x: hex,
 * o: octal, p: pointer, f: open flags); others print six hex words.
 */
#include "kernel/sched/sched.h"
#include "linux/sys.h"

extern const char *const syscall_names[];
#define NAMES_MAX 451

static const char *const kinds[NAMES_MAX] = {
	[0] = "dpd", [1] = "dpd", [2] = "sfo", [3] = "d", [4] = "sp",
	[5] = "dp", [6] = "sp", [8] = "dxd", [9] = "pxxxdx", [10] = "pxx",
	[11] = "px", [12] = "p", [13] = "dpp", [14] = "dpp", [16] = "dxx",
	[17] = "dpdd", [18] = "dpdd", [19] = "dpd", [20] = "dpd", [21] = "so",
	[32] = "d", [33] = "dd", [39] = "", [56] = "xpppx", [60] = "d",
	[62] = "dd", [63] = "p", [72] = "dxx", [79] = "pd", [80] = "s",
	[82] = "ss", [83] = "so", [84] = "s", [87] = "s", [89] = "spd",
	[158] = "xp", [202] = "pxdppx", [217] = "dpd", [218] = "p",
	[228] = "dp", [231] = "d", [257] = "dsfo", [262] = "dspx",
	[267] = "dspd", [269] = "dso", [273] = "pd", [302] = "ddpp",
	[318] = "pdx",
	/* sockets (linux/sys_net.c) */
	[41] = "dxd", [42] = "dpd", [43] = "dpp", [44] = "dpdxpd",
	[45] = "dpdxpp", [46] = "dpx", [47] = "dpx", [48] = "dd",
	[49] = "dpd", [50] = "dd", [51] = "dpp", [52] = "dpp",
	[53] = "dxdp", [54] = "dddpd", [55] = "dddpp", [288] = "dppx",
	[299] = "dpdxp", [307] = "dpdx",
};

static void print_arg(char kind, long v)
{
	char buf[64];

	switch (kind) {
	case 'd':
		kprintf("%d", (int)v);
		break;
	case 'o':
		kprintf("0%o", (unsigned)v);
		break;
	case 'f':
		kprintf("0x%x", (unsigned)v);
		break;
	case 's': {
		long n = strncpy_from_user(buf, v, sizeof(buf));

		if (n >= 0)
			kprintf("\"%s\"", buf);
		else if (n == -ENAMETOOLONG)
			kprintf("\"%.*s\"...", (int)sizeof(buf) - 1, buf);
		else
			kprintf("%p", (void *)v);
		break;
	}
	case 'p':
		if (v)
			kprintf("%p", (void *)v);
		else
			kprintf("NULL");
		break;
	default:
		kprintf("0x%lx", v);
	}
}

void strace_enter(const struct syscall_frame *f)
{
	const long args[6] = {(long)f->rdi, (long)f->rsi, (long)f->rdx,
			      (long)f->r10, (long)f->r8,  (long)f->r9};
	const char *name = f->nr < NAMES_MAX ? syscall_names[f->nr] : NULL;
	const char *k = f->nr < NAMES_MAX && kinds[f->nr] ? kinds[f->nr]
							  : "xxxxxx";

	kprintf("[%d] ", current_thread()->app_tid);
	if (name)
		kprintf("%s(", name);
	else
		kprintf("syscall_%lu(", f->nr);
	for (int i = 0; k[i]; i++) {
		if (i)
			kprintf(", ");
		print_arg(k[i], args[i]);
	}
	kprintf(")");
}

void strace_exit(long ret)
{
	if (ret < 0 && ret > -4096)
		kprintf(" = -1 (errno %ld)\n", -ret);
	else if (ret > 0xffff || ret < -4096)
		kprintf(" = 0x%lx\n", ret);
	else
		kprintf(" = %ld\n", ret);
}
