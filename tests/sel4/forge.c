/*
 * A hostile client for the seL4 backend: it executes `sysenter` itself and
 * sends forged messages on the only capability it holds (the fault
 * endpoint, and a slot next to it that is empty), under every fault label
 * and with garbage message registers, with seL4_Send, seL4_NBSend and
 * seL4_Call.  The server must treat each as client-controlled: the client
 * may get a signal for it, the server keeps running and the program ends
 * normally.  (Natively this program means nothing: seL4 only.)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static sigjmp_buf jb;
static void on_signal(int s)
{
	siglongjmp(jb, s);
}

/* seL4's x86_64 sysenter convention: number in rax, destination in rdi,
 * message info in rsi, message registers in r10, r8, r9, r15, the user
 * stack in rcx and the return address in rdx. */
static void forge(long sys, long dest, long info, long m0, long m1, long m2, long m3)
{
	register long r10 __asm__("r10") = m0;
	register long r8 __asm__("r8") = m1;
	register long r9 __asm__("r9") = m2;
	register long r15 __asm__("r15") = m3;
	__asm__ volatile("movq %%rsp, %%rcx\n\tleaq 1f(%%rip), %%rdx\n\tsysenter\n1:\tnop\n"
	                 :
	                 : "a"(sys), "D"(dest), "S"(info), "r"(r10), "r"(r8), "r"(r9), "r"(r15)
	                 : "rcx", "rdx", "rbx", "memory");
}

int main(void)
{
	static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS};
	static const long calls[] = {-3 /* Send */, -4 /* NBSend */, -1 /* Call */};
	int sent = 0;

	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_signal);
	for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++)
		for (long label = 0; label < 12; label++)
			for (long len = 0; len <= 5; len += 5)
				for (long dest = 93; dest <= 94; dest++) {
					if (sigsetjmp(jb, 1))
						continue;
					sent++;
					forge(calls[c], dest, label << 12 | len, 0x1000, 0xdeadbeef,
					      -1, 0);
				}
	printf("forged %d messages; the server is still serving\n", sent);
	return 0;
}
