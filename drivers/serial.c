/*
 * The 16550 UART on COM1: the console. Output polls the transmitter; with
 * the FIFO on we look at the line status once per 16 bytes, since every
 * port access is a VM exit on a real hypervisor.
 */
#include "arch/x86_64/arch.h"
#include "drivers/drivers.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_THRE 0x20
#define FIFO_SIZE 16

static bool present;

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x80); /* divisor latch */
	outb(COM1 + REG_DATA, 0x01); /* 115200 baud */
	outb(COM1 + REG_IER, 0x00);
	outb(COM1 + REG_LCR, 0x03); /* 8N1 */
	outb(COM1 + REG_FCR, 0x07); /* FIFO on, cleared */
	outb(COM1 + REG_MCR, 0x03);
	/* No UART answers 0xff on its line status register. */
	present = inb(COM1 + REG_LSR) != 0xff;
}

static void wait_fifo_empty(void)
{
	for (int i = 0; i < 1000000; i++)
		if (inb(COM1 + REG_LSR) & LSR_THRE)
			return;
}

void serial_write(const char *s, size_t n)
{
	if (!present)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i % FIFO_SIZE == 0)
			wait_fifo_empty();
		outb(COM1 + REG_DATA, (uint8_t)s[i]);
	}
}
