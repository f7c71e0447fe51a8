/*
 * The seL4 root task's entry: set the machine up (CSpace, heap, console,
 * timer), read the payload the front end linked in (arguments,
 * environment, program path and a newc cpio archive of the guest's
 * filesystem), start the program through the core and serve it.  The
 * serial line then gets `PERSONA-EXIT <wait status>`, or
 * `PERSONA-ERROR <reason>` if the program could not be started.
 *
 * Payload (little-endian): "PRSNPLD1", u32 version (1), u32 argc, u32
 * envc, u32 console kinds (devices.c; 0 for a stand-alone image); argc then envc NUL-terminated
 * strings; the program's guest path, NUL-terminated; padding to 8; the cpio archive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "persona.h"
#include "s4.h"
#include "vfs.h"

/* libsel4 built without thread-local IPC buffer pointer: a global. */
seL4_IPCBuffer *__sel4_ipc_buffer;

extern const char __persona_payload_start[], __persona_payload_end[];

static void __attribute__((noreturn)) halt(void)
{
	/* A reset through the keyboard controller: QEMU run with -no-reboot
	 * then exits, so a launcher need not wait for its timeout. */
	seL4_CPtr port = S4_SLOT_PORT_KBD;
	if (!seL4_X86_IOPortControl_Issue(seL4_CapIOPortControl, 0x64, 0x64,
	                                  seL4_CapInitThreadCNode, port, 64))
		seL4_X86_IOPort_Out8(port, 0x64, 0xfe);
	seL4_DebugHalt(); /* debug kernels: QEMU stays, the launcher ends it */
	seL4_TCB_Suspend(seL4_CapInitThreadTCB);
	for (;;)
		;
}

static void __attribute__((noreturn)) fail(const char *why)
{
	char line[256];
	snprintf(line, sizeof line, "PERSONA-ERROR %s\n", why);
	s4_puts(line);
	halt();
}

static uint32_t le32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* ---- The cpio archive (newc) ------------------------------------------------------ */
struct cpio_entry {
	const char *name; /* as in the archive */
	uint32_t mode;
	const char *data;
	size_t len;
};

static bool hex8(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* The entry at *off; false at the end or on a malformed archive. */
static bool cpio_next(const char *base, size_t size, size_t *off, struct cpio_entry *e)
{
	uint32_t f[13];
	size_t o = *off;

	if (size < 110 || o > size - 110 || memcmp(base + o, "070701", 6))
		return false;
	for (int i = 0; i < 13; i++)
		if (!hex8(base + o + 6 + 8 * i, &f[i]))
			return false;
	uint32_t namesize = f[11], filesize = f[6];
	if (namesize == 0 || namesize > size - o - 110)
		return false;
	e->name = base + o + 110;
	if (e->name[namesize - 1])
		return false;
	size_t d = (o + 110 + namesize + 3) & ~(size_t)3;
	if (d > size || filesize > size - d)
		return false;
	e->mode = f[1];
	e->data = base + d;
	e->len = filesize;
	*off = (d + filesize + 3) & ~(size_t)3;
	return strcmp(e->name, "TRAILER!!!") != 0;
}

/* "./a/b", "a/b" and "/a/b" all name /a/b. */
static void guest_path(const char *name, char *out, size_t cap)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	snprintf(out, cap, "/%s", strcmp(name, ".") ? name : "");
}

static int import_cpio(const char *base, size_t size)
{
	struct cpio_entry e;
	size_t off = 0;
	char path[1024], target[1024];
	int n = 0;

	while (cpio_next(base, size, &off, &e)) {
		int r = 0;
		guest_path(e.name, path, sizeof path);
		if (!strcmp(path, "/"))
			continue;
		switch (e.mode & S_IFMT) {
		case S_IFDIR:
			r = vfs_add_dir(path, e.mode & 07777);
			break;
		case S_IFREG:
			r = vfs_add_file(path, e.mode & 07777, e.data, e.len);
			break;
		case S_IFLNK:
			if (e.len >= sizeof target)
				continue;
			memcpy(target, e.data, e.len);
			target[e.len] = 0;
			r = vfs_add_symlink(path, target);
			break;
		default:
			continue; /* devices, fifos: the core has its own /dev */
		}
		if (r < 0 && r != -EEXIST)
			pr_log("persona: cannot add %s to the guest filesystem (%s)", path,
			       strerror(-r));
		n++;
	}
	return n;
}

static bool cpio_find(const char *base, size_t size, const char *want, struct cpio_entry *out)
{
	struct cpio_entry e;
	size_t off = 0;
	char path[1024];

	while (cpio_next(base, size, &off, &e)) {
		guest_path(e.name, path, sizeof path);
		if (!strcmp(path, want) && (e.mode & S_IFMT) == S_IFREG) {
			*out = e;
			return true;
		}
	}
	return false;
}

/* ---- Start-up ---------------------------------------------------------------------------- */
/* NUL-terminated strings from *p, n of them, into a NULL-terminated
 * vector. */
static char **strings(const char **p, const char *end, uint32_t n)
{
	char **v = calloc((size_t)n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strnlen(*p, (size_t)(end - *p));
		if (*p + len >= end)
			return NULL;
		v[i] = (char *)*p;
		*p += len + 1;
	}
	return v;
}

void s4_main(seL4_BootInfo *bi);
void s4_main(seL4_BootInfo *bi)
{
	const char *why = NULL;
	char msg[160];

	s4_bootinfo = bi;
	__sel4_ipc_buffer = bi->ipcBuffer;
	if (s4_memory_init(&why) < 0)
		fail(why);
	if (s4_process_init(&why) < 0)
		fail(why);
	s4_console_init();
	s4_time_init();

	const char *p = __persona_payload_start, *end = __persona_payload_end;
	if (end - p < 24 || memcmp(p, "PRSNPLD1", 8) || le32(p + 8) != 1)
		fail("no payload, or not of version 1 (PRSNPLD1)");
	uint32_t argc = le32(p + 12), envc = le32(p + 16);
	p += 24;
	if (argc > 65536 || envc > 65536)
		fail("payload: bad argument counts");
	char **argv = strings(&p, end, argc);
	char **envp = argv ? strings(&p, end, envc) : NULL;
	char **exe = envp ? strings(&p, end, 1) : NULL;
	if (!exe)
		fail("payload: truncated strings");
	size_t at = ((size_t)(p - __persona_payload_start) + 7) & ~(size_t)7;
	size_t total = (size_t)(end - __persona_payload_start);
	if (at > total)
		fail("payload: no cpio archive");
	const char *cpio = __persona_payload_start + at;
	size_t cpio_len = total - at;

	core_cfg.memory_limit = (uint64_t)plat_frame_limit() * PLAT_PAGE_SIZE;
	if (core_init() < 0)
		fail("cannot set up the guest filesystem");
	import_cpio(cpio, cpio_len);
	struct cpio_entry prog;
	if (!cpio_find(cpio, cpio_len, exe[0], &prog)) {
		snprintf(msg, sizeof msg, "%s: not in the payload's archive", exe[0]);
		fail(msg);
	}
	/* scripts/bench.sh: the kernel's own costs, in this boot, before the
	 * program's. */
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "PERSONA_BENCH_FLOOR=", 20))
			s4_floor_run();
	/* The boot test compares these two figures (the front end hides the
	 * lines). */
	snprintf(msg, sizeof msg, "PERSONA-FREE %llu\n", (unsigned long long)s4_free_bytes());
	s4_puts(msg);
	int r = core_start(exe[0], prog.data, prog.len, argv, envp, &why);
	if (r < 0) {
		snprintf(msg, sizeof msg, "%s: %s", exe[0], why ? why : strerror(-r));
		fail(msg);
	}
	/* The front end shows what follows; everything before is boot noise. */
	s4_puts("PERSONA-START\n");
	int status = core_run();
	if (status < 0) {
		snprintf(msg, sizeof msg, "the seL4 backend failed (%s)", strerror(-status));
		fail(msg);
	}
	snprintf(msg, sizeof msg, "PERSONA-FREE %llu\n", (unsigned long long)s4_free_bytes());
	s4_puts(msg);
	snprintf(msg, sizeof msg, "PERSONA-EXIT %d\n", status);
	s4_puts(msg);
	halt();
}

/* seL4 starts the root task at its ELF entry with the bootinfo pointer
 * in RDI and no stack. */
char s4_boot_stack[256 * 1024] __attribute__((aligned(16)));
__asm__(".section .text.start, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "	leaq s4_boot_stack+262144(%rip), %rsp\n"
        "	xorl %ebp, %ebp\n"
        "	call s4_main\n"
        "1:	jmp 1b\n"
        ".previous\n");
