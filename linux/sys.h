/* Private to linux/: the system-call handlers, one family per file. */
#ifndef LINUX_SYS_H
#define LINUX_SYS_H

#include "kernel/kernel.h"
#include "linux/linux.h"

#define SYSCALL(nr, name) long sys_##name(long, long, long, long, long, long);
#include "linux/syscalls.def"
#undef SYSCALL
/* clone's and clone3's handlers, behind sys_clone_entry and
 * sys_clone3_entry (arch/x86_64/syscall.S). */
long sys_clone(long, long, long, long, long, long);
long sys_clone3(long, long, long, long, long, long);
long sys_fork(long, long, long, long, long, long);
long sys_vfork(long, long, long, long, long, long);
/* getppid while the VM runs one process (linux/sys_proc.c): the entry
 * table holds it until syscall_several_processes (linux/syscall.c) puts
 * the general one back, at the first fork. */
long sys_getppid_one(long, long, long, long, long, long);
void syscall_several_processes(void);

/* A path argument copied in, with the dirfd it is relative to. */
struct file;
struct at_path {
	struct file *dir; /* NULL: the working directory */
	char *path;
};
int at_get(long dirfd, long upath, struct at_path *p);
void at_put(struct at_path *p);

/* Signal-driven I/O (linux/sigio.c): fcntl's F_SETOWN, F_GETOWN,
 * F_SETOWN_EX, F_GETOWN_EX, F_SETSIG and F_GETSIG; and the ioctls
 * FIOASYNC, FIOSETOWN, FIOGETOWN, SIOCSPGRP, SIOCGPGRP (true: cmd was
 * one of them, its result in *r). */
/* fcntl's owner and signal commands, which fcntl_sigio takes */
#define F_SETOWN 8
#define F_GETOWN 9
#define F_SETSIG 10
#define F_GETSIG 11
#define F_SETOWN_EX 15
#define F_GETOWN_EX 16
long fcntl_sigio(struct file *f, long cmd, long arg);
bool ioctl_sigio(struct file *f, int fd, long cmd, long uarg, long *r);

/* A struct timespec from the application, in nanoseconds (a huge one
 * clamped to "forever"): 0, -EFAULT, or -EINVAL for a negative or
 * unnormalised one (linux/sys_time.c). */
int timespec_from_user(uint64_t uptr, uint64_t *ns);

/* Sockets (linux/sys_net.c): read, write, readv and writev on a socket
 * are one recvmsg or sendmsg, so a datagram is never cut at the bounce
 * buffer's size nor split at iovec boundaries. */
bool sock_file(struct file *f);
long sock_file_rw(struct file *f, long buf, size_t n, bool write);
/* sendfile to a socket from a file's pages, in place: bytes, an error,
 * or -EOPNOTSUPP (not a socket that can, or a file without pages). */
long sock_file_sendfile(struct file *out, struct file *in, int64_t pos,
			size_t n);
/* -ENOTSOCK when fd is not a socket (then it is the caller's). */
long sock_fd_rwv(long fd, long uiov, long iovcnt, bool write);

/* 0 if fd is a pidfd (of this process, the only one), else -EBADF
 * (linux/sys_pidfd.c). */
int pidfd_check(int fd);
/* munmap drops the NUMA policies of what it unmaps
 * (linux/sys_mempolicy.c). */
void mempolicy_unmap(uint64_t addr, uint64_t len);

/* Credentials (linux/sys_cred.c): whether the calling thread's effective set
 * has capability `cap` (CAP_* numbers), and the names uname reports. */
bool cred_capable(int cap);
/* A new thread's credentials are its creator's (before it starts); an
 * exiting thread drops its own. */
struct thread;
void cred_thread_inherit(struct thread *child);
void cred_thread_exit(struct thread *t);
/* Whether the caller may signal t (kill(2)'s rule) or read and write its
 * memory (process_vm_readv's, ptrace's); t in a read section. */
bool cred_may_signal(struct thread *t);
bool cred_may_ptrace(struct thread *t);
/* A new application thread takes its creator's scheduling attributes
 * (linux/sys_sched.c); called before it runs. */
struct thread;
void sched_thread_inherit(struct thread *child);

/* System V shared memory (linux/sys_shm.c): the file mappings' get and
 * put of a file count a segment's attaches (put: before the VMA's own
 * reference goes). */
void shm_vma_get(void *file);
void shm_vma_put(void *file);
/* /proc/sysvipc (made by linux/sys_shm.c), for the other IPC families'
 * files. */
struct proc_entry;
const struct proc_entry *sysvipc_dir(void);
/* System V semaphores (linux/sys_sem.c): a process's last thread applies
 * its SEM_UNDO adjustments. */
struct process;
void sem_exit(const struct process *p);

/* Linux error numbers beyond kernel/kernel.h's. */
#define ESRCH 3
#define ECHILD 10
#define EACCES 13
#define ENOTDIR 20
#define EISDIR 21
#define EMFILE 24
#define ENOTTY 25
#define ESPIPE 29
#define EPIPE 32
#define ENAMETOOLONG 36
#define EOPNOTSUPP 95
#define ENODEV 19
#define ENOTSOCK 88 /* as net/net.h */

#endif
