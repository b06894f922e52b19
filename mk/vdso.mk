# The vDSO (linux/vdso/): its own position-independent shared object,
# build/vdso/vdso.so, which linux/vdso_image.S embeds in the kernel with
# .incbin. Included by the top-level Makefile after the kernel rules.
#
# The object must need no relocation and have nothing writable: it is
# copied into the application as it is, read-only. The link fails on a
# writable section (vdso.ld discards them); the check below catches a
# relocation.
#
# Also the vDSO's application test (tests/apps/vdso_check.c, built by the
# top-level apps rules) and its benchmark (bench/vdso_bench.c):
#   make vdso-bench    # ns per clock_gettime: vDSO vs system call, in
#                      # Osprey and on the host

BUILD ?= build
KCC ?= gcc
HOSTCC ?= gcc

VDSO_CFLAGS := -std=gnu11 -O2 -fPIC -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-plt -mgeneral-regs-only \
	-fcf-protection=none -fasynchronous-unwind-tables \
	-Wall -Wextra -Werror -Wno-unused-parameter -I. -MMD -MP
VDSO_LDFLAGS := -shared -nostdlib -Wl,-T,linux/vdso/vdso.ld \
	-Wl,-soname=linux-vdso.so.1 -Wl,--hash-style=both \
	-Wl,--build-id=sha1 -Wl,--eh-frame-hdr -Wl,-Bsymbolic \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-undefined

$(BUILD)/vdso/vdso.o: linux/vdso/vdso.c
	@mkdir -p $(dir $@)
	$(KCC) $(VDSO_CFLAGS) -c $< -o $@

$(BUILD)/vdso/vdso.so: $(BUILD)/vdso/vdso.o linux/vdso/vdso.ld
	$(KCC) $(VDSO_LDFLAGS) -o $@.tmp $<
	@if readelf -rW $@.tmp | grep -q 'Relocation section'; then \
		echo "$@: the vDSO needs relocations:" >&2; \
		readelf -rW $@.tmp >&2; rm -f $@.tmp; exit 1; fi
	@mv $@.tmp $@

# The top-level pattern rule assembles linux/vdso_image.S; the image it
# includes is not seen by -MMD, hence the explicit prerequisite.
$(BUILD)/k/linux/vdso_image.o: $(BUILD)/vdso/vdso.so
$(BUILD)/k/linux/vdso_image.o: KCFLAGS += -DVDSO_IMAGE='"$(BUILD)/vdso/vdso.so"'

apps: $(BUILD)/apps/vdso_check-static $(BUILD)/apps/vdso_check-dynamic

.PHONY: vdso-bench
$(BUILD)/bench/vdso_bench: bench/vdso_bench.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -static -o $@ $<

vdso-bench: $(BUILD)/osprey.elf $(BUILD)/bench/vdso_bench
	tests/mkinitrd.sh $(BUILD)/bench/vdso.cpio \
		$(BUILD)/bench/vdso_bench:/bin/vdso_bench
	tools/qemu-run --quiet --initrd $(BUILD)/bench/vdso.cpio \
		$(BUILD)/osprey.elf --quiet -- /bin/vdso_bench
	@echo "host:"
	$(BUILD)/bench/vdso_bench

-include $(BUILD)/vdso/vdso.d
