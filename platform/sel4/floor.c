/*
 * The bare seL4 floor for the benchmark suite: what the kernel itself
 * costs for each path Persona serves, measured in the same boot as the
 * program (before it starts) with no personality work at all.
 *
 * A client thread in its own address space (a PML4 of its own, as a
 * Persona client has, so every round trip switches address spaces) runs
 * a few instructions of hand-written code copied into one page, and the
 * root task answers its events in a tight loop, timing them with rdtsc:
 *   floor_ud          `syscall` (#UD on this kernel, a UserException
 *                     fault) answered by seL4_ReplyRecv with RIP + 2 in
 *                     the reply's three registers: two kernel entries
 *   floor_ud_regs     the same answered as the backend must answer a
 *                     system call: TCB_ReadRegisters, TCB_WriteRegisters
 *                     (RIP, RSP, RFLAGS, RAX, resume), seL4_Recv
 *   floor_unknown     `sysenter` with a number seL4 does not know: an
 *                     UnknownSyscall fault, which carries all registers
 *                     and takes them all back in the reply (what a #UD
 *                     that did the same would cost)
 *   floor_pf          first touch of a page: VMFault, seL4_X86_Page_Map,
 *                     seL4_ReplyRecv (per page, 256 pages a round)
 *   floor_pf_full     the same plus what any handler does: read the
 *                     registers and zero the frame
 *   floor_ipc         seL4_Call from the client, seL4_ReplyRecv: IPC
 * Each figure is the best of a few rounds, in TSC ticks per round trip,
 * printed on COM2 (persona's stderr) as `bench NAME VALUE ticks`.
 * Asked for by PERSONA_BENCH_FLOOR in the payload's environment
 * (scripts/bench.sh sets it); the figures are the floor Persona's own
 * costs are divided by in docs/BENCHMARKS.md.
 */
#include <stdio.h>
#include <string.h>

#include "s4.h"

#define FLOOR_BADGE (1UL << 39) /* apart from clients' and notifications' */
#define FLOOR_CODE_VA 0x400000UL
#define FLOOR_DATA_VA 0x40000000UL /* one page table's worth, below 2 MiB */
#define FLOOR_PAGES 256
#define FLOOR_CNODE_BITS 7
#define FLOOR_EP_SLOT 1
#define FLOOR_ROUNDS 5
#define FLOOR_CALLS 200 /* round trips per round (page faults: FLOOR_PAGES) */
#define NREGS (sizeof(seL4_UserContext) / sizeof(seL4_Word))
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The client's code, position independent, copied to FLOOR_CODE_VA.  It
 * needs no stack.  Entry points (offsets from floor_client):
 *   ud:      `syscall` for ever
 *   unknown: `sysenter` with RAX = 1000 for ever (seL4's convention: RCX
 *            the stack, RDX the address of the sysenter instruction)
 *   pf:      touch FLOOR_PAGES pages from RSI, then `ud2`, again
 *   ipc:     seL4_Call on the endpoint (slot 1) for ever (RAX = -1)
 */
extern const char floor_client[], floor_client_end[], floor_ud[], floor_unknown[], floor_pf[],
    floor_ipc[];
__asm__(
    ".section .rodata\n"
    ".global floor_client, floor_client_end, floor_ud, floor_unknown, floor_pf, floor_ipc\n"
    "floor_client:\n"
    "floor_ud:\n"
    "	syscall\n"
    "	jmp floor_ud\n"
    "floor_unknown:\n"
    "	movq $1000, %rax\n"
    "	movq %rsp, %rcx\n"
    "	leaq 1f(%rip), %rdx\n"
    "1:	sysenter\n"
    "	jmp floor_unknown\n"
    "floor_pf:\n"
    "	movq %rsi, %rax\n"
    "	movl $" STR(FLOOR_PAGES) ", %ecx\n"
                                 "2:	movb $1, (%rax)\n"
                                 "	addq $4096, %rax\n"
                                 "	decl %ecx\n"
                                 "	jnz 2b\n"
                                 "	ud2\n"
                                 "	jmp floor_pf\n"
                                 "floor_ipc:\n"
                                 "	movq $" STR(
                                     FLOOR_EP_SLOT) ", %rdi\n" /* the reply left the badge there */
                                                    "	movq $-1, %rax\n"
                                                    "	xorl %esi, %esi\n"
                                                    "	movq %rsp, %rcx\n"
                                                    "	leaq 3f(%rip), %rdx\n"
                                                    "3:	sysenter\n"
                                                    "	jmp floor_ipc\n"
                                                    "floor_client_end:\n"
                                                    ".previous\n");

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static seL4_CPtr pml4, tcb;
static frame_t code_frame, data_frame[FLOOR_PAGES];
static seL4_CPtr code_cap, data_cap[FLOOR_PAGES];

static void say(const char *name, uint64_t ticks)
{
	char line[96];
	snprintf(line, sizeof line, "bench %s %llu ticks", name, (unsigned long long)ticks);
	s4_log_str(line);
}

/* The next message from the floor client; interrupts that come in
 * between are served as the backend serves them (an unacknowledged timer
 * interrupt would never come again). */
static seL4_MessageInfo_t next(seL4_MessageInfo_t info, seL4_Word badge)
{
	while (badge != FLOOR_BADGE) {
		if (badge & S4_BADGE_SERIAL)
			s4_serial_irq();
		if (badge & S4_BADGE_TIMER)
			s4_timer_irq();
		info = seL4_Recv(S4_SLOT_EP, &badge);
	}
	return info;
}

static seL4_MessageInfo_t recv(void)
{
	seL4_Word badge;
	seL4_MessageInfo_t info = seL4_Recv(S4_SLOT_EP, &badge);
	return next(info, badge);
}

static seL4_MessageInfo_t reply_recv(seL4_MessageInfo_t reply)
{
	seL4_Word badge;
	seL4_MessageInfo_t info = seL4_ReplyRecv(S4_SLOT_EP, reply, &badge);
	return next(info, badge);
}

/* Start the client at entry (a fresh start: the previous path's pending
 * fault, if any, is cancelled by the suspend). */
static int start(const char *entry)
{
	seL4_UserContext c;
	memset(&c, 0, sizeof c);
	c.rip = FLOOR_CODE_VA + (seL4_Word)(entry - floor_client);
	c.rsi = FLOOR_DATA_VA;
	c.rdi = FLOOR_EP_SLOT;
	c.rflags = 0x202;
	seL4_TCB_Suspend(tcb);
	return seL4_TCB_WriteRegisters(tcb, 1, 0, NREGS, &c) ? -1 : 0;
}

/* Reply to a UserException with RIP moved past the 2-byte instruction. */
static seL4_MessageInfo_t skip_reply(void)
{
	seL4_SetMR(0, seL4_GetMR(0) + 2);
	return seL4_MessageInfo_new(0, 0, 0, 3);
}

/* Anything but the expected message (a bug in the client code: a cap
 * fault, say) ends the path without a figure rather than answering it
 * for ever. */
static bool is(seL4_MessageInfo_t info, seL4_Word label)
{
	return seL4_MessageInfo_get_label(info) == label;
}

static uint64_t path_ud(void)
{
	uint64_t best = UINT64_MAX;
	if (!is(recv(), seL4_Fault_UserException))
		return UINT64_MAX;
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < FLOOR_CALLS; i++)
			if (!is(reply_recv(skip_reply()), seL4_Fault_UserException))
				return UINT64_MAX;
		uint64_t t = (rdtsc() - t0) / FLOOR_CALLS;
		best = t < best ? t : best;
	}
	return best;
}

static uint64_t path_ud_regs(void)
{
	uint64_t best = UINT64_MAX;
	seL4_UserContext c;
	if (!is(recv(), seL4_Fault_UserException))
		return UINT64_MAX;
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < FLOOR_CALLS; i++) {
			seL4_TCB_ReadRegisters(tcb, 0, 0, NREGS, &c);
			c.rip += 2;
			c.rax = 39;
			/* rip, rsp, rflags, rax: as the backend writes a result. */
			seL4_TCB_WriteRegisters(tcb, 1, 0, 4, &c);
			if (!is(recv(), seL4_Fault_UserException))
				return UINT64_MAX;
		}
		uint64_t t = (rdtsc() - t0) / FLOOR_CALLS;
		best = t < best ? t : best;
	}
	return best;
}

static uint64_t path_unknown(void)
{
	uint64_t best = UINT64_MAX;
	if (!is(recv(), seL4_Fault_UnknownSyscall))
		return UINT64_MAX;
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < FLOOR_CALLS; i++) {
			/* All registers back as they came, as a full emulation
			 * would send them (RAX the result). */
			seL4_Word regs[seL4_UnknownSyscall_Syscall];
			for (int k = 0; k < seL4_UnknownSyscall_Syscall; k++)
				regs[k] = seL4_GetMR(k);
			for (int k = 0; k < seL4_UnknownSyscall_Syscall; k++)
				seL4_SetMR(k, regs[k]);
			if (!is(reply_recv(
			            seL4_MessageInfo_new(0, 0, 0, seL4_UnknownSyscall_Syscall)),
			        seL4_Fault_UnknownSyscall))
				return UINT64_MAX;
		}
		uint64_t t = (rdtsc() - t0) / FLOOR_CALLS;
		best = t < best ? t : best;
	}
	return best;
}

/* One round of FLOOR_PAGES first touches: each VMFault gets its page
 * mapped; the `ud2` at the end of the round is answered by the caller
 * after the pages are unmapped again.  full: also read the registers and
 * zero the frame, as any real handler does. */
static uint64_t pf_round(seL4_MessageInfo_t *info, bool full)
{
	seL4_UserContext c;
	uint64_t t0 = rdtsc();
	while (seL4_MessageInfo_get_label(*info) == seL4_Fault_VMFault) {
		seL4_Word addr = seL4_GetMR(seL4_VMFault_Addr);
		seL4_Word i = (addr - FLOOR_DATA_VA) >> 12;
		if (i >= FLOOR_PAGES)
			return UINT64_MAX; /* not ours: give up on the figure */
		if (full) {
			seL4_TCB_ReadRegisters(tcb, 0, 0, NREGS, &c);
			memset(plat_frame_ptr(data_frame[i]), 0, PLAT_PAGE_SIZE);
		}
		seL4_X86_Page_Map(data_cap[i], pml4, addr & ~0xfffUL, seL4_ReadWrite,
		                  seL4_X86_Default_VMAttributes);
		*info = reply_recv(seL4_MessageInfo_new(0, 0, 0, 0));
	}
	uint64_t t = (rdtsc() - t0) / FLOOR_PAGES;
	for (int i = 0; i < FLOOR_PAGES; i++)
		seL4_X86_Page_Unmap(data_cap[i]);
	return t;
}

static uint64_t path_pf(bool full)
{
	uint64_t best = UINT64_MAX;
	seL4_MessageInfo_t info = recv();
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t = pf_round(&info, full);
		if (t == UINT64_MAX || seL4_MessageInfo_get_label(info) != seL4_Fault_UserException)
			return UINT64_MAX;
		best = t < best ? t : best;
		info = reply_recv(skip_reply());
	}
	return best;
}

static uint64_t path_pf_bare(void)
{
	return path_pf(false);
}

static uint64_t path_pf_full(void)
{
	return path_pf(true);
}

static uint64_t path_ipc(void)
{
	uint64_t best = UINT64_MAX;
	if (!is(recv(), 0))
		return UINT64_MAX;
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		for (int i = 0; i < FLOOR_CALLS; i++)
			if (!is(reply_recv(seL4_MessageInfo_new(0, 0, 0, 0)), 0))
				return UINT64_MAX;
		uint64_t t = (rdtsc() - t0) / FLOOR_CALLS;
		best = t < best ? t : best;
	}
	return best;
}

/* A paging structure for va in the floor's PML4; already there is fine. */
static int table(seL4_Word type, uintptr_t va)
{
	seL4_CPtr cap = s4_obj_get(type, 0);
	int e;
	if (!cap)
		return -1;
	if (type == seL4_X86_PDPTObject)
		e = seL4_X86_PDPT_Map(cap, pml4, va, seL4_X86_Default_VMAttributes);
	else if (type == seL4_X86_PageDirectoryObject)
		e = seL4_X86_PageDirectory_Map(cap, pml4, va, seL4_X86_Default_VMAttributes);
	else
		e = seL4_X86_PageTable_Map(cap, pml4, va, seL4_X86_Default_VMAttributes);
	if (e == seL4_DeleteFirst) {
		s4_obj_put(type, cap);
		return 0;
	}
	return e ? -1 : 0;
}

static int tables(uintptr_t va)
{
	return table(seL4_X86_PDPTObject, va) || table(seL4_X86_PageDirectoryObject, va) ||
	               table(seL4_X86_PageTableObject, va)
	           ? -1
	           : 0;
}

/* The client's address space, code page, data frames and thread.  A
 * reason, or NULL. */
static const char *setup(void)
{
	seL4_CPtr cnode;
	size_t len = (size_t)(floor_client_end - floor_client);

	pml4 = s4_slot_alloc();
	if (!pml4 || s4_retype(seL4_X64_PML4Object, 0, pml4) < 0 ||
	    seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, pml4))
		return "no address space";
	if (tables(FLOOR_CODE_VA) < 0 || tables(FLOOR_DATA_VA) < 0)
		return "no page tables";
	if (plat_frame_alloc(&code_frame) < 0)
		return "no frame";
	memcpy(plat_frame_ptr(code_frame), floor_client, len);
	code_cap = s4_frame_map_cap(code_frame);
	if (seL4_X86_Page_Map(code_cap, pml4, FLOOR_CODE_VA, seL4_CanRead,
	                      seL4_X86_Default_VMAttributes))
		return "cannot map the code";
	for (int i = 0; i < FLOOR_PAGES; i++) {
		if (plat_frame_alloc(&data_frame[i]) < 0)
			return "no frame";
		data_cap[i] = s4_frame_map_cap(data_frame[i]);
	}
	tcb = s4_obj_get(seL4_TCBObject, 0);
	cnode = s4_slot_alloc();
	if (!tcb || !cnode || s4_retype(seL4_CapTableObject, FLOOR_CNODE_BITS, cnode) < 0)
		return "no thread";
	/* Write and GrantReply: enough for faults and for seL4_Call. */
	if (seL4_CNode_Mint(cnode, FLOOR_EP_SLOT, FLOOR_CNODE_BITS, seL4_CapInitThreadCNode,
	                    S4_SLOT_EP, 64, seL4_CapRights_new(1, 0, 0, 1), FLOOR_BADGE))
		return "cannot mint the endpoint";
	seL4_Word guard = seL4_CNode_CapData_new(0, 64 - FLOOR_CNODE_BITS).words[0];
	if (seL4_TCB_Configure(tcb, FLOOR_EP_SLOT, cnode, guard, pml4, 0, 0, 0) ||
	    seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, 100))
		return "cannot configure the thread";
	return NULL;
}

/* Give the frames back (the kernel objects stay: a few pages, once). */
static void teardown(void)
{
	seL4_TCB_Suspend(tcb);
	seL4_X86_Page_Unmap(code_cap);
	s4_frame_map_put(code_frame, code_cap);
	plat_frame_free(code_frame);
	for (int i = 0; i < FLOOR_PAGES; i++) {
		seL4_X86_Page_Unmap(data_cap[i]);
		s4_frame_map_put(data_frame[i], data_cap[i]);
		plat_frame_free(data_frame[i]);
	}
}

void s4_floor_run(void)
{
	static const struct {
		const char *name;
		const char *entry; /* where the client starts */
		uint64_t (*serve)(void);
	} paths[] = {
	    {"floor_ud", floor_ud, path_ud},
	    {"floor_ud_regs", floor_ud, path_ud_regs},
	    {"floor_unknown", floor_unknown, path_unknown},
	    {"floor_pf", floor_pf, path_pf_bare},
	    {"floor_pf_full", floor_pf, path_pf_full},
	    {"floor_ipc", floor_ipc, path_ipc},
	};
	const char *why = setup();
	if (why) {
		char line[128];
		snprintf(line, sizeof line,
		         "persona: the seL4 floor cannot run (%s); the figures are missing", why);
		s4_log_str(line);
		return;
	}
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (start(paths[i].entry) < 0)
			break;
		uint64_t t = paths[i].serve();
		if (t != UINT64_MAX)
			say(paths[i].name, t);
		else
			s4_log_str("persona: a floor path got an unexpected message: no figure");
	}
	teardown();
}
