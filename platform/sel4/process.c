/*
 * Client address spaces, threads and the fault loop of the seL4 backend.
 *
 * An address space is a PML4 assigned to the boot ASID pool; its paging
 * structures are made on demand and recorded in a tree shaped like the
 * hardware's (a node exists exactly when its PDPT, PD or PT does), whose
 * leaves also hold, per page, the copy of the frame cap mapped there and
 * the frame.  A thread is a TCB whose CSpace is a 4-slot CNode holding
 * only the fault endpoint, badged with the thread's index + 1.
 *
 * Events: the kernel is built with KernelSyscall=sysenter, so a client's
 * `syscall` is #UD and arrives as a UserException fault; page faults are
 * VMFaults; timer and serial interrupts come through the notification
 * bound to the root TCB, on the same seL4_Recv.  A stopped thread is
 * blocked on its reply; the reply cap stays in the root TCB until the next
 * seL4_Recv deletes it.  It is never saved: a thread the core parks is let
 * go later by seL4_TCB_WriteRegisters or seL4_TCB_Resume, whose restart()
 * of a thread blocked on a reply is what an empty reply would do (the
 * thread restarts at its fault address with the fault cleared), so a park
 * costs no kernel call of its own.
 *
 * Kernel calls are the cost here (under TCG each is worth more than the
 * core's whole handling of a getpid), so a resume is one call at most: a
 * seL4_TCB_WriteRegisters of the registers that changed, with resume set,
 * which also answers the fault and deletes the reply cap; with nothing
 * changed (a page fault served) the reply waits for the next wait and
 * goes with it as one seL4_ReplyRecv.  A getpid is thus ReadRegisters,
 * WriteRegisters and the wait; a page fault ReadRegisters, one
 * seL4_X86_Page_Map per page and the wait.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "s4.h"

#define USER_BASE 0x10000UL
#define USER_TOP 0x7ff000000000UL /* as the Linux backend: same layouts */
#define CLIENT_PRIO 100
/* A client's CSpace is one CNode holding only the fault endpoint.  It has
 * 128 slots (4 KiB, page-sized) rather than the 4 it needs: a smaller
 * object retyped next to page-sized ones would leave alignment holes in
 * the untyped that are never recovered, and the free-memory figure would
 * drift with every new thread. */
#define CLIENT_CNODE_BITS 7
#define CLIENT_EP_SLOT 93 /* the fault endpoint's CPtr in a client: an unlikely one */
#define NREGS (sizeof(seL4_UserContext) / sizeof(seL4_Word))

uintptr_t plat_user_base(void)
{
	return USER_BASE;
}
uintptr_t plat_user_top(void)
{
	return USER_TOP;
}

/* ---- Address spaces ------------------------------------------------------------ */
struct pt_node {
	seL4_CPtr cap;
	unsigned count;
	seL4_CPtr slot[512]; /* the frame cap copy mapped there, 0: none */
	frame_t frame[512];
};
struct pd_node {
	seL4_CPtr cap;
	struct pt_node *pt[512];
};
struct pdpt_node {
	seL4_CPtr cap;
	struct pd_node *pd[512];
};

struct plat_as {
	seL4_CPtr pml4;
	struct pdpt_node *pdpt[256]; /* the lower half */
	struct plat_thread *threads;
};

/* PML4s given back keep their ASID: reused as they are. */
static seL4_CPtr pml4_free[512];
static unsigned pml4_nfree;

#define IDX4(va) (((va) >> 39) & 511)
#define IDX3(va) (((va) >> 30) & 511)
#define IDX2(va) (((va) >> 21) & 511)
#define IDX1(va) (((va) >> 12) & 511)

int plat_as_create(struct plat_as **out)
{
	struct plat_as *as = calloc(1, sizeof *as);
	if (!as)
		return -ENOMEM;
	if (pml4_nfree) {
		as->pml4 = pml4_free[--pml4_nfree];
	} else {
		as->pml4 = s4_slot_alloc();
		if (!as->pml4 || s4_retype(seL4_X64_PML4Object, 0, as->pml4) < 0) {
			s4_slot_free(as->pml4);
			free(as);
			return -ENOMEM;
		}
		if (seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, as->pml4)) {
			/* Out of ASIDs (one pool: 511 address spaces). */
			seL4_CNode_Delete(seL4_CapInitThreadCNode, as->pml4, 64);
			s4_slot_free(as->pml4);
			free(as);
			return -ENOMEM;
		}
	}
	*out = as;
	return 0;
}

static struct pt_node *find_pt(struct plat_as *as, uintptr_t va)
{
	struct pdpt_node *a = as->pdpt[IDX4(va) & 255];
	if (!a)
		return NULL;
	struct pd_node *b = a->pd[IDX3(va)];
	return b ? b->pt[IDX2(va)] : NULL;
}

/* The page table covering va, made (with what is above it) if missing. */
static struct pt_node *make_pt(struct plat_as *as, uintptr_t va)
{
	struct pdpt_node **a = &as->pdpt[IDX4(va) & 255];
	if (!*a) {
		struct pdpt_node *n = calloc(1, sizeof *n);
		if (!n)
			return NULL;
		n->cap = s4_obj_get(seL4_X86_PDPTObject, 0);
		if (!n->cap ||
		    seL4_X86_PDPT_Map(n->cap, as->pml4, va, seL4_X86_Default_VMAttributes)) {
			if (n->cap)
				s4_obj_put(seL4_X86_PDPTObject, n->cap);
			free(n);
			return NULL;
		}
		*a = n;
	}
	struct pd_node **b = &(*a)->pd[IDX3(va)];
	if (!*b) {
		struct pd_node *n = calloc(1, sizeof *n);
		if (!n)
			return NULL;
		n->cap = s4_obj_get(seL4_X86_PageDirectoryObject, 0);
		if (!n->cap || seL4_X86_PageDirectory_Map(n->cap, as->pml4, va,
		                                          seL4_X86_Default_VMAttributes)) {
			if (n->cap)
				s4_obj_put(seL4_X86_PageDirectoryObject, n->cap);
			free(n);
			return NULL;
		}
		*b = n;
	}
	struct pt_node **c = &(*b)->pt[IDX2(va)];
	if (!*c) {
		struct pt_node *n = calloc(1, sizeof *n);
		if (!n)
			return NULL;
		n->cap = s4_obj_get(seL4_X86_PageTableObject, 0);
		if (!n->cap ||
		    seL4_X86_PageTable_Map(n->cap, as->pml4, va, seL4_X86_Default_VMAttributes)) {
			if (n->cap)
				s4_obj_put(seL4_X86_PageTableObject, n->cap);
			free(n);
			return NULL;
		}
		*c = n;
	}
	return *c;
}

/* The frame's spare cap is unmapped and kept; deleting a copy of a frame
 * cap unmaps it. */
static void unmap_one(struct pt_node *pt, unsigned i)
{
	if (!pt->slot[i])
		return;
	if (s4_frame_map_put(pt->frame[i], pt->slot[i])) {
		seL4_X86_Page_Unmap(pt->slot[i]);
	} else {
		seL4_CNode_Delete(seL4_CapInitThreadCNode, pt->slot[i], 64);
		s4_slot_free(pt->slot[i]);
	}
	pt->slot[i] = 0;
	pt->frame[i] = FRAME_NONE;
	pt->count--;
}

static seL4_CapRights_t rights_of(int prot)
{
	return (prot & PLAT_PROT_WRITE) ? seL4_ReadWrite : seL4_CanRead;
}

static bool range_ok(uintptr_t va, size_t len)
{
	return !(va & (PLAT_PAGE_SIZE - 1)) && va >= USER_BASE && len <= USER_TOP &&
	       va <= USER_TOP - len;
}

int plat_map(struct plat_as *as, uintptr_t va, const frame_t *frames, size_t npages, int prot)
{
	if (!range_ok(va, npages * PLAT_PAGE_SIZE))
		return -ENOMEM;
	for (size_t i = 0; i < npages; i++, va += PLAT_PAGE_SIZE) {
		if (frames[i] >= plat_frame_limit() || !plat_frame_ptr(frames[i]))
			return -ENOMEM;
		struct pt_node *pt = make_pt(as, va);
		if (!pt)
			return -ENOMEM;
		unsigned k = IDX1(va);
		unmap_one(pt, k);
		if (!(prot & (PLAT_PROT_READ | PLAT_PROT_WRITE | PLAT_PROT_EXEC)))
			continue; /* PROT_NONE: left unmapped, a touch faults */
		seL4_CPtr s = s4_frame_map_cap(frames[i]);
		if (s) {
			if (seL4_X86_Page_Map(s, as->pml4, va, rights_of(prot),
			                      seL4_X86_Default_VMAttributes)) {
				s4_frame_map_put(frames[i], s);
				return -ENOMEM;
			}
		} else {
			s = s4_slot_alloc();
			if (!s)
				return -ENOMEM;
			if (seL4_CNode_Copy(seL4_CapInitThreadCNode, s, 64, seL4_CapInitThreadCNode,
			                    S4_FRAME_SLOT0 + frames[i], 64, seL4_AllRights)) {
				s4_slot_free(s);
				return -ENOMEM;
			}
			if (seL4_X86_Page_Map(s, as->pml4, va, rights_of(prot),
			                      seL4_X86_Default_VMAttributes)) {
				seL4_CNode_Delete(seL4_CapInitThreadCNode, s, 64);
				s4_slot_free(s);
				return -ENOMEM;
			}
		}
		pt->slot[k] = s;
		pt->frame[k] = frames[i];
		pt->count++;
	}
	return 0;
}

/* Call fn on every mapped page of [va, end), skipping absent tables. */
static void walk(struct plat_as *as, uintptr_t va, uintptr_t end,
                 void (*fn)(struct plat_as *, struct pt_node *, unsigned, uintptr_t, int), int arg)
{
	while (va < end) {
		struct pdpt_node *a = as->pdpt[IDX4(va) & 255];
		if (!a) {
			va = (va | ((1UL << 39) - 1)) + 1;
			continue;
		}
		struct pd_node *b = a->pd[IDX3(va)];
		if (!b) {
			va = (va | ((1UL << 30) - 1)) + 1;
			continue;
		}
		struct pt_node *c = b->pt[IDX2(va)];
		if (!c || !c->count) {
			va = (va | ((1UL << 21) - 1)) + 1;
			continue;
		}
		if (c->slot[IDX1(va)])
			fn(as, c, IDX1(va), va, arg);
		va += PLAT_PAGE_SIZE;
	}
}

static void unmap_fn(struct plat_as *as, struct pt_node *pt, unsigned i, uintptr_t va, int arg)
{
	unmap_one(pt, i);
}

void plat_unmap(struct plat_as *as, uintptr_t va, size_t len)
{
	va &= ~(PLAT_PAGE_SIZE - 1);
	if (len == 0 || va >= USER_TOP)
		return;
	if (len > USER_TOP - va)
		len = USER_TOP - va;
	walk(as, va, va + len, unmap_fn, 0);
}

static int protect_err;
static void protect_fn(struct plat_as *as, struct pt_node *pt, unsigned i, uintptr_t va, int prot)
{
	if (!(prot & (PLAT_PROT_READ | PLAT_PROT_WRITE | PLAT_PROT_EXEC))) {
		unmap_one(pt, i);
		return;
	}
	/* Mapping a mapped cap again at the same place changes its rights. */
	if (seL4_X86_Page_Map(pt->slot[i], as->pml4, va, rights_of(prot),
	                      seL4_X86_Default_VMAttributes))
		protect_err = -ENOMEM;
}

int plat_protect(struct plat_as *as, uintptr_t va, size_t len, int prot)
{
	if (!range_ok(va, len))
		return -ENOMEM;
	protect_err = 0;
	walk(as, va, va + len, protect_fn, prot);
	return protect_err;
}

/* One byte of client memory as mapped now; -1 if nothing is mapped. */
static int peek(struct plat_as *as, uintptr_t va)
{
	if (va < USER_BASE || va >= USER_TOP)
		return -1;
	struct pt_node *pt = find_pt(as, va);
	if (!pt || !pt->slot[IDX1(va)])
		return -1;
	const unsigned char *p = plat_frame_ptr(pt->frame[IDX1(va)]);
	return p ? p[va & (PLAT_PAGE_SIZE - 1)] : -1;
}

/* ---- Threads ---------------------------------------------------------------------- */
enum how { HOW_RESUME, HOW_REPLY_IMPLICIT };

struct plat_thread {
	struct plat_as *as;
	void *owner;
	uint32_t idx;
	bool running;
	bool syscall_stop; /* stopped at a `syscall`: rip + 2 for the core */
	bool regs_valid;
	enum how how; /* how to let it go on once stopped */
	seL4_UserContext ctx;
	struct plat_thread *as_next;
};

/* Per index (badge - 1): the kernel objects, kept across reuse. */
struct tslot {
	struct plat_thread *th;
	seL4_CPtr tcb, cnode;
	bool in_use;
};
static struct tslot *tslots;
static uint32_t ntslots, tslots_cap;

/* The thread whose reply cap is the root TCB's, not yet answered. */
static struct plat_thread *implicit_owner;
/* The thread whose reply is deferred to the next seL4_ReplyRecv: it was
 * stopped by the last seL4_Recv (its reply cap is the root TCB's) and the
 * core resumed it with its registers unchanged (a page fault served), so
 * the reply rides on the wait's own kernel entry. */
static struct plat_thread *reply_pending;

/* Events produced outside seL4_Recv (kicks), handed out first. */
#define EVQ_MAX 256
static struct plat_event evq[EVQ_MAX];
static unsigned evq_len;

static void queue_event(const struct plat_event *ev)
{
	if (evq_len < EVQ_MAX)
		evq[evq_len++] = *ev;
	else
		s4_log_str("persona: sel4 backend: event queue full, event lost");
}

static void unqueue_thread(struct plat_thread *th)
{
	unsigned j = 0;
	for (unsigned i = 0; i < evq_len; i++)
		if (evq[i].th != th)
			evq[j++] = evq[i];
	evq_len = j;
}

/* Kernel objects kept here for reuse (idle thread slots, PML4s with their
 * ASID), for the free-memory figure. */
uint64_t s4_kept_bytes(void)
{
	uint64_t n = (uint64_t)pml4_nfree << seL4_PML4Bits;
	for (uint32_t i = 0; i < ntslots; i++)
		if (!tslots[i].in_use)
			n += (1ULL << seL4_TCBBits) + (1ULL << (CLIENT_CNODE_BITS + seL4_SlotBits));
	return n;
}

static int tslot_new(uint32_t *out)
{
	for (uint32_t i = 0; i < ntslots; i++) {
		if (!tslots[i].in_use) {
			*out = i;
			return 0;
		}
	}
	if (ntslots == tslots_cap) {
		uint32_t ncap = tslots_cap ? tslots_cap * 2 : 64;
		struct tslot *n = realloc(tslots, ncap * sizeof *n);
		if (!n)
			return -ENOMEM;
		tslots = n;
		tslots_cap = ncap;
	}
	struct tslot *t = &tslots[ntslots];
	memset(t, 0, sizeof *t);
	t->tcb = s4_obj_get(seL4_TCBObject, 0);
	t->cnode = s4_slot_alloc();
	if (!t->tcb || !t->cnode || s4_retype(seL4_CapTableObject, CLIENT_CNODE_BITS, t->cnode) < 0)
		goto fail;
	/* Fault delivery needs Write and GrantReply on the endpoint; the
	 * client gets nothing more (it cannot receive on it). */
	if (seL4_CNode_Mint(t->cnode, CLIENT_EP_SLOT, CLIENT_CNODE_BITS, seL4_CapInitThreadCNode,
	                    S4_SLOT_EP, 64, seL4_CapRights_new(1, 0, 0, 1), ntslots + 1))
		goto fail;
	*out = ntslots++;
	return 0;
fail:
	/* Whatever was made is lost: memory is short anyway. */
	return -EAGAIN;
}

int plat_thread_create(struct plat_as *as, void *owner, struct plat_thread **out)
{
	uint32_t idx;
	int r = tslot_new(&idx);
	if (r < 0)
		return r;
	struct tslot *t = &tslots[idx];
	struct plat_thread *th = calloc(1, sizeof *th);
	if (!th)
		return -ENOMEM;
	seL4_Word guard = seL4_CNode_CapData_new(0, 64 - CLIENT_CNODE_BITS).words[0];
	if (seL4_TCB_Configure(t->tcb, CLIENT_EP_SLOT, t->cnode, guard, as->pml4, 0, 0, 0) ||
	    seL4_TCB_SetPriority(t->tcb, seL4_CapInitThreadTCB, CLIENT_PRIO)) {
		free(th);
		return -EAGAIN;
	}
	t->in_use = true;
	t->th = th;
	th->as = as;
	th->owner = owner;
	th->idx = idx;
	th->how = HOW_RESUME;
	th->as_next = as->threads;
	as->threads = th;
	*out = th;
	return 0;
}

void plat_thread_destroy(struct plat_thread *th)
{
	if (!th)
		return;
	struct tslot *t = &tslots[th->idx];
	seL4_TCB_Suspend(t->tcb);
	if (implicit_owner == th)
		implicit_owner = NULL; /* the next seL4_Recv drops that reply cap */
	if (reply_pending == th)
		reply_pending = NULL; /* Suspend deleted it */
	unqueue_thread(th);
	for (struct plat_thread **pp = &th->as->threads; *pp; pp = &(*pp)->as_next) {
		if (*pp == th) {
			*pp = th->as_next;
			break;
		}
	}
	t->th = NULL;
	t->in_use = false;
	free(th);
}

static void free_tables(struct plat_as *as)
{
	for (unsigned a = 0; a < 256; a++) {
		struct pdpt_node *pa = as->pdpt[a];
		if (!pa)
			continue;
		for (unsigned b = 0; b < 512; b++) {
			struct pd_node *pb = pa->pd[b];
			if (!pb)
				continue;
			for (unsigned c = 0; c < 512; c++) {
				struct pt_node *pc = pb->pt[c];
				if (!pc)
					continue;
				for (unsigned i = 0; pc->count && i < 512; i++)
					unmap_one(pc, i);
				seL4_X86_PageTable_Unmap(pc->cap);
				s4_obj_put(seL4_X86_PageTableObject, pc->cap);
				free(pc);
			}
			seL4_X86_PageDirectory_Unmap(pb->cap);
			s4_obj_put(seL4_X86_PageDirectoryObject, pb->cap);
			free(pb);
		}
		seL4_X86_PDPT_Unmap(pa->cap);
		s4_obj_put(seL4_X86_PDPTObject, pa->cap);
		free(pa);
	}
}

void plat_as_destroy(struct plat_as *as)
{
	if (!as)
		return;
	while (as->threads)
		plat_thread_destroy(as->threads);
	free_tables(as);
	if (pml4_nfree < sizeof pml4_free / sizeof pml4_free[0]) {
		pml4_free[pml4_nfree++] = as->pml4;
	} else {
		seL4_CNode_Delete(seL4_CapInitThreadCNode, as->pml4, 64);
		s4_slot_free(as->pml4);
	}
	free(as);
}

static int fetch_regs(struct plat_thread *th)
{
	if (th->regs_valid)
		return 0;
	if (seL4_TCB_ReadRegisters(tslots[th->idx].tcb, 0, 0, NREGS, &th->ctx))
		return -ESRCH;
	th->regs_valid = true;
	return 0;
}

int plat_thread_get_regs(struct plat_thread *th, struct arch_regs *r)
{
	if (th->running || fetch_regs(th) < 0)
		return -ESRCH;
	const seL4_UserContext *c = &th->ctx;
	r->rax = c->rax;
	r->rbx = c->rbx;
	r->rcx = c->rcx;
	r->rdx = c->rdx;
	r->rsi = c->rsi;
	r->rdi = c->rdi;
	r->rbp = c->rbp;
	r->rsp = c->rsp;
	r->r8 = c->r8;
	r->r9 = c->r9;
	r->r10 = c->r10;
	r->r11 = c->r11;
	r->r12 = c->r12;
	r->r13 = c->r13;
	r->r14 = c->r14;
	r->r15 = c->r15;
	/* The #UD leaves rip at the `syscall`; Linux reports it after. */
	r->rip = c->rip + (th->syscall_stop ? 2 : 0);
	r->rflags = c->rflags;
	r->fs_base = c->fs_base;
	r->gs_base = c->gs_base;
	return 0;
}

int plat_thread_resume(struct plat_thread *th, const struct arch_regs *r)
{
	if (th->running)
		return -ESRCH;
	seL4_UserContext n;
	n.rax = r->rax;
	n.rbx = r->rbx;
	n.rcx = r->rcx;
	n.rdx = r->rdx;
	n.rsi = r->rsi;
	n.rdi = r->rdi;
	n.rbp = r->rbp;
	n.rsp = r->rsp;
	n.r8 = r->r8;
	n.r9 = r->r9;
	n.r10 = r->r10;
	n.r11 = r->r11;
	n.r12 = r->r12;
	n.r13 = r->r13;
	n.r14 = r->r14;
	n.r15 = r->r15;
	n.rip = r->rip;
	n.rflags = r->rflags;
	/* A base beyond the user half would fault in the kernel's
	 * wrfsbase; Linux's arch_prctl refuses those with EPERM anyway. */
	n.fs_base = r->fs_base < USER_TOP ? r->fs_base : 0;
	n.gs_base = r->gs_base < USER_TOP ? r->gs_base : 0;

	/* Each kernel call costs a kernel entry (under TCG, about as much as
	 * the core's whole handling of a simple syscall): write only the
	 * registers up to the last one that changed (seL4_UserContext
	 * order: rip, rsp, rflags, rax, ... so a syscall's result is 4
	 * words), and none if nothing changed.  Registers not read at this
	 * stop (a new thread) are all written. */
	unsigned count = NREGS;
	if (th->regs_valid) {
		const seL4_Word *a = (const seL4_Word *)&th->ctx, *b = (const seL4_Word *)&n;
		while (count && a[count - 1] == b[count - 1])
			count--;
	}
	th->ctx = n;
	seL4_CPtr tcb = tslots[th->idx].tcb;
	if (count) {
		/* With resume set, the kernel's restart() of a thread blocked
		 * on its fault reply also deletes the reply cap (cancelIPC),
		 * wherever it is, and clears the fault: no seL4_Reply needed. */
		if (seL4_TCB_WriteRegisters(tcb, 1, 0, count, &th->ctx))
			return -ESRCH;
		if (implicit_owner == th)
			implicit_owner = NULL;
	} else if (th->how == HOW_REPLY_IMPLICIT) {
		reply_pending = th;
		implicit_owner = NULL;
	} else {
		/* Restarts it at its fault address, as an empty reply would. */
		seL4_TCB_Resume(tcb);
	}
	th->running = true;
	th->regs_valid = false;
	th->syscall_stop = false;
	return 0;
}

/* seL4 offers no TCB invocation for another thread's FPU state on x86:
 * the core then builds a default one for signal frames (see report). */
int plat_thread_get_fpu(struct plat_thread *th, void *buf)
{
	return -ENOSYS;
}

int plat_thread_set_fpu(struct plat_thread *th, const void *buf)
{
	return -ENOSYS;
}

void plat_thread_kick(struct plat_thread *th)
{
	if (!th->running)
		return;
	/* Suspending cancels a fault IPC not yet received: resumed, the
	 * thread executes the faulting instruction again. */
	/* Suspending also deletes a reply cap not yet used (cancelIPC). */
	seL4_TCB_Suspend(tslots[th->idx].tcb);
	if (reply_pending == th)
		reply_pending = NULL;
	th->running = false;
	th->how = HOW_RESUME;
	th->regs_valid = false;
	th->syscall_stop = false;
	struct plat_event ev = {.kind = EV_KICKED, .th = th, .owner = th->owner};
	queue_event(&ev);
}

/* ---- The wait ---------------------------------------------------------------------- */
/* Linux's signal for an x86 exception vector, and its si_code. */
static void exception_signal(seL4_Word vec, struct plat_event *ev, uintptr_t ip)
{
	ev->addr = ip;
	switch (vec) {
	case 0: /* #DE */
		ev->signo = SIGFPE;
		ev->code = 1; /* FPE_INTDIV */
		break;
	case 1: /* #DB */
		ev->signo = SIGTRAP;
		ev->code = 2; /* TRAP_TRACE */
		break;
	case 3: /* #BP */
		ev->signo = SIGTRAP;
		ev->code = 0x80; /* SI_KERNEL */
		break;
	case 6: /* #UD */
		ev->signo = SIGILL;
		ev->code = 2; /* ILL_ILLOPN */
		break;
	case 16: /* #MF */
	case 19: /* #XM */
		ev->signo = SIGFPE;
		ev->code = 0;
		break;
	case 17: /* #AC */
		ev->signo = SIGBUS;
		ev->code = 1; /* BUS_ADRALN */
		break;
	default: /* #GP, #SS, #NP...: Linux says SIGSEGV, SI_KERNEL, address 0 */
		ev->signo = SIGSEGV;
		ev->code = 0x80;
		ev->addr = 0;
		break;
	}
}

/* A message from a client thread (badge idx + 1).  Its contents are the
 * client's to forge (it may seL4_Call its own fault endpoint): only the
 * label and fault details are taken from it, registers come from the TCB. */
static int thread_message(seL4_Word badge, seL4_MessageInfo_t info, struct plat_event *ev)
{
	seL4_Word idx = badge - 1;
	seL4_Word label = seL4_MessageInfo_get_label(info);
	seL4_Word mr[4] = {seL4_GetMR(0), seL4_GetMR(1), seL4_GetMR(2), seL4_GetMR(3)};

	if (idx >= ntslots || !tslots[idx].th || !tslots[idx].th->running)
		return 0; /* nobody we let run: ignore, never reply */
	struct plat_thread *th = tslots[idx].th;
	th->running = false;
	th->how = HOW_REPLY_IMPLICIT;
	th->regs_valid = false;
	th->syscall_stop = false;
	implicit_owner = th;
	memset(ev, 0, sizeof *ev);
	ev->th = th;
	ev->owner = th->owner;
	if (fetch_regs(th) < 0) {
		ev->kind = EV_THREAD_LOST;
		return 1;
	}
	switch (label) {
	case seL4_Fault_UserException:
		if (mr[seL4_UserException_Number] == 6 && peek(th->as, th->ctx.rip) == 0x0f &&
		    peek(th->as, th->ctx.rip + 1) == 0x05) {
			ev->kind = EV_SYSCALL;
			th->syscall_stop = true;
			return 1;
		}
		ev->kind = EV_EXCEPTION;
		exception_signal(mr[seL4_UserException_Number], ev, th->ctx.rip);
		return 1;
	case seL4_Fault_VMFault: {
		seL4_Word fsr = mr[seL4_VMFault_FSR];
		ev->kind = EV_PAGEFAULT;
		ev->addr = mr[seL4_VMFault_Addr];
		ev->present = (int)(fsr & 1);
		ev->access = (fsr & 2)    ? PLAT_PROT_WRITE
		             : (fsr & 16) ? PLAT_PROT_EXEC
		                          : PLAT_PROT_READ;
		return 1;
	}
	case seL4_Fault_UnknownSyscall:
		/* A `sysenter` with a number seL4 does not know. */
		ev->kind = EV_EXCEPTION;
		ev->signo = SIGSYS;
		ev->code = 0x80;
		ev->addr = th->ctx.rip;
		return 1;
	default:
		/* Cap faults (a client invoking caps it does not have) and
		 * anything else: a crash of that client. */
		ev->kind = EV_EXCEPTION;
		ev->signo = SIGSEGV;
		ev->code = 0x80;
		return 1;
	}
}

int plat_wait_event(struct plat_event *ev)
{
	for (;;) {
		if (evq_len) {
			*ev = evq[0];
			memmove(&evq[0], &evq[1], (evq_len - 1) * sizeof *evq);
			evq_len--;
			return 0;
		}
		if (s4_console_pending()) {
			memset(ev, 0, sizeof *ev);
			ev->kind = EV_CONSOLE;
			return 0;
		}
		if (implicit_owner) {
			/* The core keeps it parked: this wait drops its reply
			 * cap, and a resume will restart it instead. */
			implicit_owner->how = HOW_RESUME;
			implicit_owner = NULL;
		}
		seL4_Word badge = 0;
		seL4_MessageInfo_t info;
		if (reply_pending) {
			/* Answer the thread resumed as it was, in the same
			 * kernel entry as the wait. */
			reply_pending = NULL;
			info = seL4_ReplyRecv(S4_SLOT_EP, seL4_MessageInfo_new(0, 0, 0, 0), &badge);
		} else {
			info = seL4_Recv(S4_SLOT_EP, &badge);
		}
		if (badge & S4_BADGE_NTFN_MASK) {
			/* A notification: no reply cap came with it. */
			if (badge & S4_BADGE_SERIAL)
				s4_serial_irq();
			if ((badge & S4_BADGE_TIMER) && s4_timer_irq()) {
				memset(ev, 0, sizeof *ev);
				ev->kind = EV_TIMER;
				return 0;
			}
			continue;
		}
		if (badge == 0)
			continue;
		if (thread_message(badge, info, ev))
			return 0;
	}
}

/* The endpoint and the notification every event arrives through. */
int s4_process_init(const char **why)
{
	if (s4_retype(seL4_EndpointObject, 0, S4_SLOT_EP) < 0 ||
	    s4_retype(seL4_NotificationObject, 0, S4_SLOT_NTFN) < 0 ||
	    seL4_TCB_BindNotification(seL4_CapInitThreadTCB, S4_SLOT_NTFN) ||
	    seL4_CNode_Mint(seL4_CapInitThreadCNode, S4_SLOT_NTFN_TIMER, 64,
	                    seL4_CapInitThreadCNode, S4_SLOT_NTFN, 64, seL4_AllRights,
	                    S4_BADGE_TIMER) ||
	    seL4_CNode_Mint(seL4_CapInitThreadCNode, S4_SLOT_NTFN_SERIAL, 64,
	                    seL4_CapInitThreadCNode, S4_SLOT_NTFN, 64, seL4_AllRights,
	                    S4_BADGE_SERIAL)) {
		*why = "cannot create the fault endpoint";
		return -ENOMEM;
	}
#ifndef __SSE2__
	/* The root task is built without SSE/x87 code: tell the kernel, which
	 * then leaves the FPU to the clients and skips an XSAVE + XRSTOR at
	 * every switch between a client and the server. */
	seL4_TCB_SetFlags(seL4_CapInitThreadTCB, 0, seL4_TCBFlag_fpuDisabled);
#endif
	return 0;
}
