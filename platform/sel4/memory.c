/*
 * The seL4 backend's memory: the root task's CSpace (one large CNode made
 * at boot), untyped memory retyped into kernel objects, a cache of objects
 * given back (seL4 memory is only reclaimed by revoking a whole untyped,
 * so page tables, TCBs and frames are reused instead), the heap window,
 * and the frame pool the core allocates from.  Frame f's cap sits at slot
 * S4_FRAME_SLOT0 + f and the frame is mapped at S4_POOL_BASE + f * 4 KiB
 * in the root task, which is what plat_frame_ptr returns.  A second cap
 * of each frame, made once with it, waits at map_slot0 + f for the
 * frame's first client mapping (s4_frame_map_cap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "s4.h"

seL4_BootInfo *s4_bootinfo;

static unsigned cnode_bits;
static seL4_Word slot_limit, slot_next;
static seL4_CPtr *slot_stack;
static size_t slot_stack_len, slot_stack_cap;

/* Untypeds: index into bootinfo's list; full[i] once a page-sized
 * retype failed in it. */
static bool ut_full[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
static uint64_t ut_used[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS]; /* bytes, as the kernel counts */

static uint32_t frame_limit, frame_next, frames_used;
static uint32_t *frame_stack, frame_stack_len;
/* The frames' spare caps for a client mapping: slot map_slot0 + f, and
 * whether it is mapped now. */
static seL4_CPtr map_slot0;
static bool *map_busy;

static uintptr_t heap_mapped = S4_HEAP_BASE, heap_limit;

static unsigned obj_bits(seL4_Word type, seL4_Word size_bits)
{
	switch (type) {
	case seL4_TCBObject:
		return seL4_TCBBits;
	case seL4_EndpointObject:
		return seL4_EndpointBits;
	case seL4_NotificationObject:
		return seL4_NotificationBits;
	case seL4_CapTableObject:
		return (unsigned)size_bits + seL4_SlotBits;
	case seL4_X86_LargePageObject:
		return seL4_LargePageBits;
	default:
		return seL4_PageBits; /* frames and paging structures */
	}
}

/* Retype into slot of the CNode root (depth 0: the root itself). */
static int retype_into(seL4_CPtr root, seL4_Word type, seL4_Word size_bits, seL4_CPtr slot)
{
	const seL4_BootInfo *bi = s4_bootinfo;
	unsigned need = obj_bits(type, size_bits);
	seL4_Word n = bi->untyped.end - bi->untyped.start;

	for (seL4_Word i = 0; i < n; i++) {
		const seL4_UntypedDesc *d = &bi->untypedList[i];
		if (d->isDevice || d->sizeBits < need || ut_full[i])
			continue;
		/* The kernel places each object at the next multiple of its
		 * size: mirror it, to skip untypeds it would refuse. */
		uint64_t at = (ut_used[i] + (1ULL << need) - 1) & ~((1ULL << need) - 1);
		if (at + (1ULL << need) > (1ULL << d->sizeBits))
			continue;
		seL4_Error e = seL4_Untyped_Retype(bi->untyped.start + i, type, size_bits, root, 0,
		                                   0, slot, 1);
		if (e == seL4_NoError) {
			ut_used[i] = at + (1ULL << need);
			return 0;
		}
		if (e != seL4_NotEnoughMemory)
			return -EINVAL;
		if (need <= seL4_PageBits)
			ut_full[i] = true;
	}
	return -ENOMEM;
}

int s4_retype(seL4_Word type, seL4_Word size_bits, seL4_CPtr slot)
{
	return retype_into(seL4_CapInitThreadCNode, type, size_bits, slot);
}

/* ---- Slots ----------------------------------------------------------------- */
seL4_CPtr s4_slot_alloc(void)
{
	if (slot_stack_len)
		return slot_stack[--slot_stack_len];
	if (slot_next >= slot_limit)
		return 0;
	return slot_next++;
}

void s4_slot_free(seL4_CPtr slot)
{
	if (!slot)
		return;
	if (slot_stack_len == slot_stack_cap) {
		size_t ncap = slot_stack_cap ? slot_stack_cap * 2 : 1024;
		seL4_CPtr *n = realloc(slot_stack, ncap * sizeof *n);
		if (!n)
			return; /* the slot is lost, nothing worse */
		slot_stack = n;
		slot_stack_cap = ncap;
	}
	slot_stack[slot_stack_len++] = slot;
}

/* ---- Object cache ------------------------------------------------------------
 * Static arrays: the heap itself grows through s4_obj_get (page tables of
 * the heap window), so this must not call malloc. */
#define CACHE_MAX 4096
struct cache {
	seL4_Word type, size_bits;
	bool used;
	size_t len;
	seL4_CPtr slots[CACHE_MAX];
};
static struct cache caches[8];

static struct cache *cache_of(seL4_Word type, seL4_Word size_bits)
{
	for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++) {
		struct cache *c = &caches[i];
		if (c->used && c->type == type && c->size_bits == size_bits)
			return c;
		if (!c->used) {
			c->used = true;
			c->type = type;
			c->size_bits = size_bits;
			return c;
		}
	}
	return NULL;
}

seL4_CPtr s4_obj_get(seL4_Word type, seL4_Word size_bits)
{
	struct cache *c = cache_of(type, size_bits);
	if (c && c->len)
		return c->slots[--c->len];
	seL4_CPtr slot = s4_slot_alloc();
	if (!slot)
		return 0;
	if (s4_retype(type, size_bits, slot) < 0) {
		s4_slot_free(slot);
		return 0;
	}
	return slot;
}

void s4_obj_put(seL4_Word type, seL4_CPtr slot)
{
	struct cache *c = cache_of(type, type == seL4_CapTableObject ? 2 : 0);
	if (c && c->len < CACHE_MAX) {
		c->slots[c->len++] = slot;
		return;
	}
	/* Cannot keep it: its memory is lost until the machine restarts. */
	seL4_CNode_Delete(seL4_CapInitThreadCNode, slot, 64);
	s4_slot_free(slot);
}

/* ---- The root task's own VSpace ------------------------------------------------- */
/* Add the missing paging structure above va, lowest level first: a
 * level whose parent is missing fails with a lookup error, and the next
 * level up is tried. */
static int root_add_table(uintptr_t va)
{
	static const seL4_Word types[] = {seL4_X86_PageTableObject, seL4_X86_PageDirectoryObject,
	                                  seL4_X86_PDPTObject};
	for (int l = 0; l < 3; l++) {
		seL4_CPtr t = s4_obj_get(types[l], 0);
		if (!t)
			return -ENOMEM;
		seL4_Error e;
		if (l == 0)
			e = seL4_X86_PageTable_Map(t, seL4_CapInitThreadVSpace, va,
			                           seL4_X86_Default_VMAttributes);
		else if (l == 1)
			e = seL4_X86_PageDirectory_Map(t, seL4_CapInitThreadVSpace, va,
			                               seL4_X86_Default_VMAttributes);
		else
			e = seL4_X86_PDPT_Map(t, seL4_CapInitThreadVSpace, va,
			                      seL4_X86_Default_VMAttributes);
		if (e == seL4_NoError)
			return 0;
		s4_obj_put(types[l], t);
		if (e != seL4_FailedLookup)
			return -EINVAL;
	}
	return -EINVAL;
}

static int root_map(seL4_CPtr frame, uintptr_t va)
{
	for (int tries = 0; tries < 4; tries++) {
		seL4_Error e = seL4_X86_Page_Map(frame, seL4_CapInitThreadVSpace, va,
		                                 seL4_AllRights, seL4_X86_Default_VMAttributes);
		if (e == seL4_NoError)
			return 0;
		if (e != seL4_FailedLookup || root_add_table(va) < 0)
			return -ENOMEM;
	}
	return -ENOMEM;
}

int s4_heap_grow(uintptr_t end)
{
	while (heap_mapped < end) {
		if (heap_mapped + S4_HEAP_CHUNK > heap_limit)
			return -ENOMEM;
		seL4_CPtr slot = s4_slot_alloc();
		if (!slot)
			return -ENOMEM;
		if (s4_retype(seL4_X86_LargePageObject, 0, slot) < 0 ||
		    root_map(slot, heap_mapped) < 0) {
			s4_slot_free(slot);
			return -ENOMEM;
		}
		heap_mapped += S4_HEAP_CHUNK;
	}
	return 0;
}

seL4_CPtr s4_fixed0 = 4080; /* set from the boot CNode's size */

/* ---- The CSpace ---------------------------------------------------------------------- */
/* Move every initial cap into a new CNode of 2^bits slots and make it
 * the root task's CSpace root, with a guard so that slot numbers are
 * CPtrs of full depth. */
static int switch_cspace(unsigned bits, const char **why)
{
	const seL4_BootInfo *bi = s4_bootinfo;
	seL4_CPtr x = bi->empty.start; /* the new CNode, in the boot CNode */
	seL4_Word guard = seL4_CNode_CapData_new(0, 64 - bits).words[0];
	seL4_Error e;

	if (bi->empty.end < 4096 || bi->empty.start + 1 >= bi->empty.end - 16 ||
	    bi->empty.end >= (1UL << bits) / 2) {
		*why = "the boot CNode leaves no room for the backend's fixed slots";
		return -EINVAL;
	}
	s4_fixed0 = bi->empty.end - 16;
	if (retype_into(seL4_CapInitThreadCNode, seL4_CapTableObject, bits, x) < 0) {
		*why = "no untyped memory for the root CNode";
		return -ENOMEM;
	}
	for (seL4_CPtr s = 1; s < bi->empty.start; s++) {
		if (s == seL4_CapInitThreadTCB || s == seL4_CapInitThreadCNode ||
		    s == seL4_CapInitThreadVSpace)
			continue;
#ifdef CONFIG_DEBUG_BUILD
		/* Skip empty slots (caps this kernel does not have), which
		 * would only fail, noisily on a debug kernel. */
		if (!seL4_DebugCapIdentify(s))
			continue;
#endif
		seL4_CNode_Move(x, s, (seL4_Uint8)bits, seL4_CapInitThreadCNode, s, 64);
	}
	e = seL4_CNode_Mint(x, seL4_CapInitThreadCNode, (seL4_Uint8)bits, seL4_CapInitThreadCNode,
	                    x, 64, seL4_AllRights, guard);
	if (!e)
		e = seL4_CNode_Move(x, S4_SLOT_OLDROOT, (seL4_Uint8)bits, seL4_CapInitThreadCNode,
		                    seL4_CapInitThreadCNode, 64);
	if (!e)
		e = seL4_TCB_SetSpace(seL4_CapInitThreadTCB, 0, x, guard, seL4_CapInitThreadVSpace,
		                      0);
	if (e) {
		*why = "cannot install the root CNode";
		return -EINVAL;
	}
	/* From here on slot numbers resolve in the new CNode. */
	e = seL4_CNode_Move(seL4_CapInitThreadCNode, seL4_CapInitThreadTCB, 64, S4_SLOT_OLDROOT,
	                    seL4_CapInitThreadTCB, 64);
	if (!e)
		e = seL4_CNode_Move(seL4_CapInitThreadCNode, seL4_CapInitThreadVSpace, 64,
		                    S4_SLOT_OLDROOT, seL4_CapInitThreadVSpace, 64);
	if (e) {
		*why = "cannot move the root task's caps";
		return -EINVAL;
	}
	return 0;
}

int s4_memory_init(const char **why)
{
	const seL4_BootInfo *bi = s4_bootinfo;
	seL4_Word n = bi->untyped.end - bi->untyped.start;
	uint64_t total = 0;
	unsigned maxbits = 0;

	for (seL4_Word i = 0; i < n; i++) {
		const seL4_UntypedDesc *d = &bi->untypedList[i];
		if (d->isDevice)
			continue;
		total += 1ULL << d->sizeBits;
		if (d->sizeBits > maxbits)
			maxbits = d->sizeBits;
	}
	if (total < (64ULL << 20) || maxbits < 20) {
		*why = "less than 64 MiB of memory (give QEMU more with -m)";
		return -ENOMEM;
	}
	cnode_bits = maxbits - seL4_SlotBits;
	if (cnode_bits > 20)
		cnode_bits = 20;
	int r = switch_cspace(cnode_bits, why);
	if (r < 0)
		return r;
	uint64_t left = total - (1ULL << (cnode_bits + seL4_SlotBits));
	uint64_t heap = left / 8;
	if (heap > (256ULL << 20))
		heap = 256ULL << 20;
	heap &= ~(S4_HEAP_CHUNK - 1);
	heap_limit = S4_HEAP_BASE + heap;
	/* What is left after the heap, less an eighth for paging structures,
	 * TCBs and the untypeds' alignment losses, and at most half the
	 * slots (the other half for the clients' mappings). */
	uint64_t frames = (left - heap) / PLAT_PAGE_SIZE / 8 * 7;
	uint64_t slots = (1ULL << cnode_bits) - S4_FRAME_SLOT0;
	if (frames > slots / 3)
		frames = slots / 3;
	frame_limit = (uint32_t)frames;
	map_slot0 = S4_FRAME_SLOT0 + frame_limit;
	slot_next = map_slot0 + frame_limit;
	slot_limit = 1ULL << cnode_bits;
	frame_stack = NULL; /* allocated once the heap works */
	frame_stack = malloc((size_t)frame_limit * sizeof *frame_stack);
	map_busy = calloc(frame_limit, sizeof *map_busy);
	if (!frame_stack || !map_busy) {
		*why = "cannot map the root task's heap";
		return -ENOMEM;
	}
	/* Memory the server itself needs is taken now, once, so that what a
	 * client uses is exactly what s4_free_bytes() sees come and go: the
	 * page tables of the whole pool window, and a heap of some size. */
	for (uintptr_t va = S4_POOL_BASE;
	     va < S4_POOL_BASE + (uintptr_t)frame_limit * PLAT_PAGE_SIZE; va += 1UL << 21)
		while (root_add_table(va) == 0)
			; /* adds one missing level per call; fails once the PT is there */
	uintptr_t pre = S4_HEAP_BASE + S4_HEAP_PREGROW;
	s4_heap_grow(pre < heap_limit ? pre : heap_limit);
	return 0;
}

/* Free memory as the boot test counts it: untyped memory not yet retyped
 * plus what the backend keeps for reuse (free frames, cached objects).
 * A client that exits must leave it where it was. */
uint64_t s4_free_bytes(void)
{
	const seL4_BootInfo *bi = s4_bootinfo;
	uint64_t free = 0;
	for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
		const seL4_UntypedDesc *d = &bi->untypedList[i];
		if (!d->isDevice && !ut_full[i] && ut_used[i] < (1ULL << d->sizeBits))
			free += (1ULL << d->sizeBits) - ut_used[i];
	}
	for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++)
		if (caches[i].used)
			free += (uint64_t)caches[i].len
			        << obj_bits(caches[i].type, caches[i].size_bits);
	return free + (uint64_t)frame_stack_len * PLAT_PAGE_SIZE + s4_kept_bytes();
}

/* ---- Frames (plat.h) ------------------------------------------------------------------ */
uint32_t plat_frame_limit(void)
{
	return frame_limit;
}

int plat_frame_alloc(frame_t *out)
{
	frame_t f;

	if (frame_stack_len) {
		f = frame_stack[--frame_stack_len];
	} else {
		if (frame_next >= frame_limit)
			return -ENOMEM;
		f = frame_next;
		seL4_CPtr slot = S4_FRAME_SLOT0 + f;
		if (s4_retype(seL4_X86_4K, 0, slot) < 0)
			return -ENOMEM;
		if (root_map(slot, S4_POOL_BASE + (uintptr_t)f * PLAT_PAGE_SIZE) < 0) {
			seL4_CNode_Delete(seL4_CapInitThreadCNode, slot, 64);
			return -ENOMEM;
		}
		/* The spare cap for a client mapping; should the copy fail,
		 * the frame's mappings all take copies of their own. */
		if (seL4_CNode_Copy(seL4_CapInitThreadCNode, map_slot0 + f, 64,
		                    seL4_CapInitThreadCNode, slot, 64, seL4_AllRights))
			map_busy[f] = true;
		frame_next++;
	}
	frames_used++;
	*out = f;
	return 0;
}

void plat_frame_free(frame_t f)
{
	if (f >= frame_next || frame_stack_len >= frame_limit) {
		s4_log_str("persona: sel4 backend: bad frame freed");
		return;
	}
	frame_stack[frame_stack_len++] = f;
	frames_used--;
}

void *plat_frame_ptr(frame_t f)
{
	if (f >= frame_next)
		return NULL;
	return (void *)(S4_POOL_BASE + (uintptr_t)f * PLAT_PAGE_SIZE);
}

uint32_t plat_frames_in_use(void)
{
	return frames_used;
}

/* Not counted here: on seL4 the leak check is the free memory printed
 * before and after the program (PERSONA-FREE). */
size_t plat_heap_in_use(void)
{
	return 0;
}

/* Mapping a frame into a client needs a cap of its own per mapping.  A
 * copy made and deleted per mapping costs two more kernel calls per page
 * (copy, delete) than mapping and unmapping the spare cap made with the
 * frame; most frames are mapped once at a time, so the spare cap serves
 * them and only further mappings (shared memory, fork) take copies. */
seL4_CPtr s4_frame_map_cap(frame_t f)
{
	if (f >= frame_next || map_busy[f])
		return 0;
	map_busy[f] = true;
	return map_slot0 + f;
}

bool s4_frame_map_put(frame_t f, seL4_CPtr slot)
{
	if (f >= frame_next || slot != map_slot0 + f)
		return false;
	map_busy[f] = false;
	return true;
}
