/*
 * The Linux ABI: system-call entry and dispatch, copies from and to the
 * application, the program loader, and process-wide state (there is one
 * process). System calls are C functions taking up to six longs and
 * returning a result or a negative errno, listed in linux/syscalls.def.
 */
#ifndef LINUX_LINUX_H
#define LINUX_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/mm/mm.h"

/* What arch/x86_64/syscall.S leaves on the kernel stack. */
struct syscall_frame {
	uint64_t rdi, rsi, rdx, r10, r8, r9;
	uint64_t nr;
	uint64_t rip, rflags;
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rsp;
};

long syscall_dispatch(struct syscall_frame *f);

/* ---- application memory ---- */
bool user_range_ok(uint64_t addr, size_t len);
int copy_from_user(void *dst, uint64_t src, size_t n);
int copy_to_user(uint64_t dst, const void *src, size_t n);
/* Atomically replaces the aligned word at uaddr with `new` if it holds
 * `old`; *found gets what it held. 0 or -EFAULT. */
int cmpxchg_user_u32(uint64_t uaddr, uint32_t old, uint32_t new,
		     uint32_t *found);
/* The aligned word at uaddr, zero-extended, or -EFAULT. */
static inline long get_user_u32(uint64_t uaddr)
{
	long arch_user_load32(uint64_t uaddr);

	if (uaddr > USER_TOP - sizeof(uint32_t) || (uaddr & 3))
		return -EFAULT;
	return arch_user_load32(uaddr);
}
/* A NUL-terminated string of at most max-1 bytes: its length,
 * -EFAULT, or -ENAMETOOLONG. */
long strncpy_from_user(char *dst, uint64_t src, size_t max);

/* ---- randomness (RDRAND when the CPU has it) ---- */
uint64_t linux_random_u64(void);
void linux_random_bytes(void *buf, size_t n);

/* ---- credentials and names (linux/sys_cred.c), as /proc shows them ---- */
#define LINUX_CRED_GROUPS 32 /* the groups shown; ngroups counts them all */
struct linux_cred {
	uint32_t uid[4], gid[4]; /* real, effective, saved, file system */
	uint64_t cap_inh, cap_prm, cap_eff;
	unsigned ngroups;
	uint32_t groups[LINUX_CRED_GROUPS];
};
/* Thread tid's (0: the caller's; a thread gone: root's). */
void linux_cred_get(int tid, struct linux_cred *c);
/* Whether the calling thread may access (mask: R_OK 4, W_OK 2, X_OK 1) a
 * file of owner uid, group gid and mode (with its S_IFMT type): 0 or
 * -EACCES. real: with the real ids, as access(2) without AT_EACCESS. */
int linux_cred_permission(uint32_t uid, uint32_t gid, uint32_t mode, int mask,
			  bool real);
/* The calling thread's file-system uid and gid, a new file's owner. */
void linux_cred_fsids(uint32_t *uid, uint32_t *gid);
/* The host and domain names sethostname and setdomainname set. */
void uts_names(char node[65], char domain[65]);

/* ---- the process ---- */
/* Loads argv[0] from the root file system and starts it in a new thread;
 * returns only on failure, with an exit status (127 for a bad program). */
int linux_start(unsigned argc, const char *const *argv, unsigned envc,
		const char *const *envp);
/* Ends the application (all threads) and the VM with `status`. */
__attribute__((noreturn)) void linux_exit_group(int status);
/* Reports once, by name, a system call or flag the program used that
 * Osprey lacks (debug console always; the console with --verbose). */
void linux_missing(const char *what);
/* Prints the list of what was missing (with --verbose), at exit. */
void linux_missing_report(void);

#endif
