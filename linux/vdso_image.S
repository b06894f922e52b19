/*
 * The vDSO's ELF image (build/vdso/vdso.so, see mk/vdso.mk), embedded as
 * read-only data between vdso_image_start and vdso_image_end. linux/vdso.c
 * copies it into the application. Aligned so that the ELF header's
 * fields are naturally aligned when the kernel reads them in place.
 *
 * VDSO_IMAGE, the path of vdso.so, comes from mk/vdso.mk. Without it (a
 * Makefile that does not include mk/vdso.mk) the image is empty: the
 * kernel says so at boot, maps no vDSO, and the "vdso" self-test fails.
 */
	.section .rodata.vdso_image, "a"
	.balign 16
	.globl vdso_image_start
vdso_image_start:
#ifdef VDSO_IMAGE
	.incbin VDSO_IMAGE
#endif
	.globl vdso_image_end
vdso_image_end:
	.section .note.GNU-stack, "", @progbits
