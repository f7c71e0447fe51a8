/*
 * The program every client process of the Linux backend runs: nothing but
 * the two instructions the server needs to make the process do a system
 * call on its behalf.  It is linked at a fixed address above
 * plat_user_top(), so the whole range below it belongs to the core.
 *
 * The process is traced from its first instruction (PTRACE_EVENT_EXEC) and
 * never runs this code on its own: the server points a stopped thread's
 * RIP at `syscall`, lets it run, and catches it at the `int3` after it.
 * Were it ever to start untraced, the `syscall` does read(0, ..) with
 * every register zero (fd 0 is closed) and the `int3` kills it.
 */
	.text
	.globl _start
_start:
	syscall
	int3
	jmp _start

	.section .note.GNU-stack, "", @progbits
