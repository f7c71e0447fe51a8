/*
 * The machine as the seL4 backend uses it: COM1 as the console (stdout by
 * polling, stdin through IRQ 4 on the IOAPIC), COM2 for stderr and the
 * backend's diagnostics (polled), the PIT as the one-shot
 * timer (ISA IRQ 0, GSI 2), the TSC as the clock (its frequency from
 * bootinfo), the CMOS clock for the wall time at boot, RDRAND for
 * randomness.  Interrupts reach the fault loop through the notification
 * bound to the root TCB (process.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "s4.h"

#define COM1 0x3f8
#define COM2 0x2f8
static bool have_com1, have_com2, have_pit, have_cmos;

static void outb(seL4_CPtr cap, uint16_t port, uint8_t v)
{
	seL4_X86_IOPort_Out8(cap, port, v);
}

static uint8_t inb(seL4_CPtr cap, uint16_t port)
{
	return (uint8_t)seL4_X86_IOPort_In8(cap, port).result;
}

/* ---- Console ------------------------------------------------------------------- */
/*
 * Both directions are raw: the bytes the program writes go out as they
 * are (no "\n" -> "\r\n": the front end copies them to its stdout
 * unchanged), and what arrives is the front end's stdin, usually a pipe or
 * a file, so there is no echo and no CR -> NL here.  Input escape (see
 * cli/sel4.c): 0x10 b stands for b ^ 0x40 (0x04 and 0x10 travel so), a
 * bare 0x04 is the end of the input; after it reads give 0 for ever.
 * An image booted on its own (no console word in the payload) has a person
 * at a terminal in raw mode on the line instead: for them, and only then,
 * output "\n" becomes "\r\n" and input CR becomes NL and is echoed.
 */
#define ESC_EOF 0x04
#define ESC_QUOTE 0x10

static char inbuf[4096];
static unsigned in_head, in_len;
static bool in_quote, in_eof, console_watched, tty_mode;

/* Polled output of n bytes to the UART at port base (cap: its ports). */
static void uart_write(seL4_CPtr cap, uint16_t base, const char *s, size_t n)
{
	unsigned room = 0;
	for (size_t i = 0; i < n; i++) {
		bool cr = tty_mode && s[i] == '\n';
		for (int k = 0; k <= cr; k++) {
			/* THRE: the 16-byte FIFO is empty. */
			while (!room) {
				if (inb(cap, base + 5) & 0x20)
					room = 16;
			}
			outb(cap, base, k < cr ? '\r' : (uint8_t)s[i]);
			room--;
		}
	}
}

void s4_write(const char *s, size_t n)
{
	if (!have_com1) {
		for (size_t i = 0; i < n; i++) {
			if (tty_mode && s[i] == '\n')
				seL4_DebugPutChar('\r');
			seL4_DebugPutChar(s[i]);
		}
		return;
	}
	uart_write(S4_SLOT_PORT_COM1, COM1, s, n);
}

/* The program's stderr and the root task's diagnostics. */
static void err_write(const char *s, size_t n)
{
	if (have_com2)
		uart_write(S4_SLOT_PORT_COM2, COM2, s, n);
	else
		s4_write(s, n);
}

void s4_puts(const char *s)
{
	s4_write(s, strlen(s));
}

void s4_log_str(const char *s)
{
	err_write(s, strlen(s));
	err_write("\n", 1);
}

static void uart_setup(seL4_CPtr cap, uint16_t base)
{
	outb(cap, base + 1, 0x00); /* no interrupts */
	outb(cap, base + 3, 0x80); /* divisor latch: 115200 baud */
	outb(cap, base + 0, 0x01);
	outb(cap, base + 1, 0x00);
	outb(cap, base + 3, 0x03); /* 8N1 */
	outb(cap, base + 2, 0x07); /* FIFOs on and cleared */
}

static uint32_t console_word(void);

void s4_console_init(void)
{
	tty_mode = !(console_word() >> 31);
	have_com2 = !seL4_X86_IOPortControl_Issue(seL4_CapIOPortControl, COM2, COM2 + 7,
	                                          seL4_CapInitThreadCNode, S4_SLOT_PORT_COM2, 64);
	if (have_com2)
		uart_setup(S4_SLOT_PORT_COM2, COM2);
	have_com1 = !seL4_X86_IOPortControl_Issue(seL4_CapIOPortControl, COM1, COM1 + 7,
	                                          seL4_CapInitThreadCNode, S4_SLOT_PORT_COM1, 64);
	if (!have_com1)
		return;
	/* Clearing the receive FIFO loses nothing: the front end sends no
	 * input before PERSONA-START, which comes after this. */
	outb(S4_SLOT_PORT_COM1, COM1 + 2, 0xc7); /* interrupt at 14 bytes or a pause */
	if (seL4_IRQControl_GetIOAPIC(seL4_CapIRQControl, seL4_CapInitThreadCNode,
	                              S4_SLOT_IRQ_SERIAL, 64, 0, 4, 0, 0, 1) ||
	    seL4_IRQHandler_SetNotification(S4_SLOT_IRQ_SERIAL, S4_SLOT_NTFN_SERIAL)) {
		s4_log_str("persona: sel4 backend: no serial interrupt: a read waiting "
		           "on stdin is never woken");
		return;
	}
	outb(S4_SLOT_PORT_COM1, COM1 + 4, 0x0b); /* DTR, RTS, OUT2 (the IRQ line) */
	outb(S4_SLOT_PORT_COM1, COM1 + 1, 0x01); /* interrupt on received data */
	seL4_IRQHandler_Ack(S4_SLOT_IRQ_SERIAL);
}

/* Move what the UART holds into inbuf, decoded, while there is room.
 * What does not fit stays in the UART's FIFO, and QEMU then stops taking
 * the front end's bytes: nothing is dropped.  The next read drains it. */
static void serial_drain(void)
{
	if (!have_com1)
		return;
	while (!in_eof && in_len < sizeof inbuf && (inb(S4_SLOT_PORT_COM1, COM1 + 5) & 1)) {
		uint8_t c = inb(S4_SLOT_PORT_COM1, COM1);
		if (in_quote) {
			in_quote = false;
			c ^= 0x40;
		} else if (c == ESC_QUOTE) {
			in_quote = true;
			continue;
		} else if (c == ESC_EOF) {
			in_eof = true;
			break;
		}
		if (tty_mode && c == '\r')
			c = '\n';
		if (tty_mode)
			s4_write((const char *)&c, 1);
		inbuf[(in_head + in_len++) % sizeof inbuf] = (char)c;
	}
}

void s4_serial_irq(void)
{
	/* Acknowledged first: a byte arriving while we drain raises the
	 * interrupt again rather than waiting unseen in the FIFO. */
	seL4_IRQHandler_Ack(S4_SLOT_IRQ_SERIAL);
	serial_drain();
}

bool s4_console_pending(void)
{
	if (!console_watched || (!in_len && !in_eof))
		return false;
	console_watched = false; /* one event per watch */
	return true;
}

long plat_console_write(int stream, const void *buf, size_t len)
{
	if (stream == 1)
		s4_write(buf, len);
	else if (stream == 2)
		err_write(buf, len);
	else
		return -EBADF;
	return (long)len;
}

long plat_console_read(void *buf, size_t len)
{
	char *d = buf;
	size_t n = 0;
	serial_drain();
	while (n < len && in_len) {
		d[n++] = inbuf[in_head];
		in_head = (in_head + 1) % sizeof inbuf;
		in_len--;
		if (!in_len)
			serial_drain(); /* what waited in the FIFO for room */
	}
	if (n)
		return (long)n;
	return in_eof ? 0 : -EAGAIN;
}

void plat_console_watch(int on)
{
	console_watched = on != 0;
}

/* The payload's console word (cli/sel4.c): what the front end's fd 0, 1,
 * 2 are, two bits each, when bit 31 is set; else (an image booted on its
 * own) the serial line is the guest's terminal on all three. */
extern const char __persona_payload_start[], __persona_payload_end[];

static uint32_t console_word(void)
{
	const unsigned char *w = (const unsigned char *)__persona_payload_start + 20;
	if (__persona_payload_end - __persona_payload_start < 24)
		return 0;
	return w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24;
}

int plat_console_kind(int stream)
{
	uint32_t word = console_word();
	if (stream < 0 || stream > 2)
		return 0;
	if (!(word >> 31))
		return 1;
	return (int)(word >> (2 * stream)) & 3;
}

/* A terminal's settings are kept but change nothing (no line discipline
 * here: the bytes are the front end's stdin as they are). */
static struct termios tty = {
    .c_iflag = ICRNL | IXON,
    .c_oflag = OPOST | ONLCR,
    .c_cflag = B38400 | CS8 | CREAD,
    .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN,
};

long plat_console_ioctl(int stream, unsigned long cmd, void *arg)
{
	/* The kernel's struct termios: 4 flags, c_line, 19 control chars. */
	const size_t ksize = 4 * 4 + 1 + 19;
	if (stream < 0 || stream > 2)
		return -EBADF;
	if (plat_console_kind(stream) != 1)
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
		memcpy(arg, &tty, ksize);
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		memcpy(&tty, arg, ksize);
		return 0;
	case TIOCGWINSZ: {
		struct winsize ws = {.ws_row = 24, .ws_col = 80};
		memcpy(arg, &ws, sizeof ws);
		return 0;
	}
	case TIOCSWINSZ:
		return 0;
	default:
		return -ENOTTY;
	}
}

/* ---- Time ------------------------------------------------------------------------- */
static uint64_t tsc_mhz = 2000, tsc0, realtime0_ns, deadline;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t mono_ns(void)
{
	uint64_t t = rdtsc() - tsc0;
	return t / tsc_mhz * 1000 + t % tsc_mhz * 1000 / tsc_mhz;
}

uint64_t plat_clock_ns(int clock)
{
	return clock == 0 ? realtime0_ns + mono_ns() : mono_ns();
}

static unsigned cmos(unsigned reg, bool bcd)
{
	outb(S4_SLOT_PORT_CMOS, 0x70, (uint8_t)reg);
	unsigned v = inb(S4_SLOT_PORT_CMOS, 0x71);
	return bcd ? (v & 15) + (v >> 4) * 10 : v;
}

/* Days since 1970-01-01 of a civil date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void read_rtc(void)
{
	/* Wait out an update in progress, then read once. */
	for (int i = 0; i < 100000 && (cmos(0x0a, false) & 0x80); i++)
		;
	bool bcd = !(cmos(0x0b, false) & 4);
	unsigned s = cmos(0, bcd), mi = cmos(2, bcd), h = cmos(4, bcd) & 0x7f;
	unsigned d = cmos(7, bcd), mo = cmos(8, bcd), y = cmos(9, bcd);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return;
	int64_t days = days_from_civil(2000 + y, mo, d);
	realtime0_ns = (uint64_t)(days * 86400 + h * 3600 + mi * 60 + s) * 1000000000ULL;
}

static void pit_program(uint64_t ns)
{
	/* 1.193182 MHz, at most 65535 ticks (55 ms): longer waits re-arm. */
	uint64_t ticks = ns / 838 + 1;
	if (ticks > 65535)
		ticks = 65535;
	if (ticks < 2)
		ticks = 2;
	outb(S4_SLOT_PORT_PIT, 0x43, 0x30); /* channel 0, lo/hi, mode 0 */
	outb(S4_SLOT_PORT_PIT, 0x40, (uint8_t)ticks);
	outb(S4_SLOT_PORT_PIT, 0x40, (uint8_t)(ticks >> 8));
}

void s4_time_init(void)
{
	const seL4_BootInfo *bi = s4_bootinfo;
	const char *p = (const char *)bi + 4096, *end = p + bi->extraLen;

	while (p + sizeof(seL4_BootInfoHeader) <= end) {
		const seL4_BootInfoHeader *h = (const void *)p;
		if (h->len < sizeof *h)
			break;
		if (h->id == SEL4_BOOTINFO_HEADER_X86_TSC_FREQ)
			tsc_mhz = *(const uint32_t *)(p + sizeof *h);
		p += h->len;
	}
	if (!tsc_mhz)
		tsc_mhz = 2000;
	tsc0 = rdtsc();
	have_cmos = !seL4_X86_IOPortControl_Issue(seL4_CapIOPortControl, 0x70, 0x71,
	                                          seL4_CapInitThreadCNode, S4_SLOT_PORT_CMOS, 64);
	if (have_cmos)
		read_rtc();
	have_pit = !seL4_X86_IOPortControl_Issue(seL4_CapIOPortControl, 0x40, 0x43,
	                                         seL4_CapInitThreadCNode, S4_SLOT_PORT_PIT, 64) &&
	           !seL4_IRQControl_GetIOAPIC(seL4_CapIRQControl, seL4_CapInitThreadCNode,
	                                      S4_SLOT_IRQ_TIMER, 64, 0, 2, 0, 0, 0) &&
	           !seL4_IRQHandler_SetNotification(S4_SLOT_IRQ_TIMER, S4_SLOT_NTFN_TIMER);
	if (have_pit)
		seL4_IRQHandler_Ack(S4_SLOT_IRQ_TIMER);
	else
		s4_log_str("persona: sel4 backend: no PIT: sleeps and timeouts never end");
}

void plat_timer_set(uint64_t d)
{
	if (d == deadline || !have_pit)
		return;
	deadline = d;
	if (d) {
		uint64_t now = mono_ns();
		pit_program(d > now ? d - now : 0);
	}
}

bool s4_timer_irq(void)
{
	seL4_IRQHandler_Ack(S4_SLOT_IRQ_TIMER);
	if (!deadline)
		return false;
	uint64_t now = mono_ns();
	if (now >= deadline) {
		deadline = 0;
		return true;
	}
	pit_program(deadline - now);
	return false;
}

/* ---- Miscellaneous ---------------------------------------------------------------------- */
void plat_random(void *buf, size_t len)
{
	static int have_rdrand = -1;
	static uint64_t x;
	unsigned char *p = buf;

	if (have_rdrand < 0) {
		uint32_t a, b, c, d;
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
		have_rdrand = (c >> 30) & 1;
		x = rdtsc() | 1;
	}
	while (len) {
		uint64_t v = 0;
		unsigned char ok = 0;
		if (have_rdrand)
			for (int i = 0; i < 10 && !ok; i++)
				__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (!ok) {
			/* No RDRAND: xorshift over the TSC, not for secrets. */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = x ^ rdtsc();
		}
		size_t n = len < 8 ? len : 8;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

unsigned plat_ncpus(void)
{
	return 1; /* KernelMaxNumNodes=1 */
}

/* On COM2, so diagnostics never mix with the program's stdout. */
void plat_log(const char *msg, size_t len)
{
	err_write(msg, len);
	err_write("\n", 1);
}
