/* The memory subsystem's init step and statistics. */
#include "kernel/kernel.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/mm_private.h"

extern char __kernel_end[];

int mm_init(void)
{
	int err = pmm_collect_ranges();

	if (!err)
		err = vm_init();
	if (err == -ENOMEM) {
		kprintf("osprey: not enough memory for the kernel's page tables; "
			"give the VM more (QEMU -m)\n");
		kernel_exit(EXIT_NO_MEMORY);
	}
	if (!err)
		err = pmm_init_buddy();
	return err;
}
INIT_STEP(30, mm_init);

void mm_get_stats(struct mm_stats *s)
{
	pmm_get_stats(&s->total_pages, &s->free_pages);
	heap_get_stats(&s->heap_bytes, &s->heap_large_pages);
	s->kernel_image_bytes = virt_to_phys(__kernel_end) - 0x100000;
}
