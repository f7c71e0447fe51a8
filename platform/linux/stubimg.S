/*
 * The stub program (platform/linux/stub/stub.S, built by the Makefile as
 * a separate static ELF) embedded in the server, which starts each client
 * process from this copy through a memfd.  STUB_ELF is its path.
 */
	.section .rodata
	.balign 16
	.globl linux_stub_image
	.globl linux_stub_image_end
linux_stub_image:
	.incbin STUB_ELF
linux_stub_image_end:

	.section .note.GNU-stack, "", @progbits
