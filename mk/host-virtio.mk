# The virtio helper's host tests and fuzz targets (see mk/host.mk): the
# used-ring checks of drivers/virtio/virtq_check.c and the DSDT scan of
# drivers/acpi_mmio.c, both pure.
VIRTIO_HOST_SRCS := drivers/virtio/virtq_check.c drivers/acpi_mmio.c
VIRTIO_HOST_HDRS := drivers/virtio/virtq.h drivers/drivers.h lib/lib.h \
	tests/host/check.h
# virtio-console's control messages (drivers/virtio/console_ctl.c).
CONSOLE_HOST_SRCS := drivers/virtio/console_ctl.c
CONSOLE_HOST_HDRS := drivers/virtio/console_ctl.h tests/host/check.h

HOST_TEST_BINS += $(BUILD)/host/test_virtq
FUZZ_BINS += $(BUILD)/fuzz/fuzz_virtq $(BUILD)/fuzz/fuzz_acpi_mmio

$(BUILD)/host/test_virtq: tests/host/test_virtq.c $(VIRTIO_HOST_SRCS) \
		$(VIRTIO_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(VIRTIO_HOST_SRCS)

$(BUILD)/fuzz/fuzz_virtq $(BUILD)/fuzz/fuzz_acpi_mmio: \
		$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(VIRTIO_HOST_SRCS) \
		$(VIRTIO_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(VIRTIO_HOST_SRCS)

HOST_TEST_BINS += $(BUILD)/host/test_console_ctl
FUZZ_BINS += $(BUILD)/fuzz/fuzz_console_ctl

$(BUILD)/host/test_console_ctl: tests/host/test_console_ctl.c \
		$(CONSOLE_HOST_SRCS) $(CONSOLE_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $< $(CONSOLE_HOST_SRCS)

$(BUILD)/fuzz/fuzz_console_ctl: tests/fuzz/fuzz_console_ctl.c \
		$(CONSOLE_HOST_SRCS) $(CONSOLE_HOST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(CONSOLE_HOST_SRCS)
