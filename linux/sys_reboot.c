/*
 * reboot (man 2 reboot) as Linux's `reboot -f` acts in a VM: power off
 * ends the VM with status 0 (halt too: a halted VM is of no use), restart
 * resets it; Ctrl-Alt-Del's setting is kept. With Linux's checks: the
 * capability first, then the magic numbers, then the command.
 */
#include "drivers/drivers.h"
#include "linux/sys.h"

#define CAP_SYS_BOOT 22
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define LINUX_REBOOT_CMD_HALT 0xCDEF0123
#define LINUX_REBOOT_CMD_CAD_ON 0x89ABCDEF
#define LINUX_REBOOT_CMD_CAD_OFF 0x00000000
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDC
#define LINUX_REBOOT_CMD_RESTART2 0xA1B2C3D4
#define LINUX_REBOOT_CMD_SW_SUSPEND 0xD000FCE2
#define LINUX_REBOOT_CMD_KEXEC 0x45584543

static bool cad_enabled = true; /* atomic; nothing sends Ctrl-Alt-Del */

static bool magic_ok(uint32_t m1, uint32_t m2)
{
	return m1 == LINUX_REBOOT_MAGIC1 &&
	       (m2 == 672274793 || m2 == 85072278 || m2 == 369367448 ||
		m2 == 537993216);
}

long sys_reboot(long m1, long m2, long cmd, long uarg, long e, long g)
{
	char why[256];

	if (!cred_capable(CAP_SYS_BOOT))
		return -EPERM;
	if (!magic_ok((uint32_t)m1, (uint32_t)m2))
		return -EINVAL;
	switch ((uint32_t)cmd) {
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		__atomic_store_n(&cad_enabled, (uint32_t)cmd != 0,
				 __ATOMIC_RELAXED);
		return 0;
	case LINUX_REBOOT_CMD_POWER_OFF:
	case LINUX_REBOOT_CMD_HALT:
		power_off(0);
	case LINUX_REBOOT_CMD_RESTART2:
		if (strncpy_from_user(why, uarg, sizeof(why)) == -EFAULT)
			return -EFAULT;
		/* fallthrough */
	case LINUX_REBOOT_CMD_RESTART:
		power_restart();
	case LINUX_REBOOT_CMD_SW_SUSPEND:
		linux_missing(
		    "reboot LINUX_REBOOT_CMD_SW_SUSPEND (hibernation)");
		return -ENOSYS;
	case LINUX_REBOOT_CMD_KEXEC:
		return -EINVAL; /* no kexec image is ever loaded */
	default:
		return -EINVAL;
	}
}
