/*
 * Internals shared by the files of the seL4 backend: the root task's
 * CSpace and VSpace layout, the untyped and slot allocators, the heap
 * window, and the console used for the backend's own messages.
 *
 * CSpace: at boot the root task moves every initial capability into one
 * large CNode (2^s4_cnode_bits slots, guard filling the rest of the 64
 * bits) that becomes its CSpace root, so a slot number is its CPtr.
 *   [0, boot CNode size)           the initial caps at their usual numbers,
 *                                  and the backend's fixed caps (S4_SLOT_*)
 *   [S4_FRAME_SLOT0, +frame limit) the cap of pool frame f (the pool view)
 *   above                          slots handed out by s4_slot_alloc
 * VSpace: the image at 0x400000, the heap window from S4_HEAP_BASE (2 MiB
 * pages mapped on demand), frame f at S4_POOL_BASE + f * 4 KiB.
 */
#ifndef PERSONA_S4_H
#define PERSONA_S4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include "plat.h"

#define S4_HEAP_BASE 0x10000000UL
#define S4_HEAP_CHUNK (2UL << 20)    /* one large page */
#define S4_HEAP_PREGROW (16UL << 20) /* heap mapped at boot */
#define S4_POOL_BASE 0x8000000000UL

/* Fixed slots of the backend's own caps: the last 16 slots below the end of
 * the boot CNode (2^KernelRootCNodeSizeBits), above the initial caps, so a
 * kernel built with a larger boot CNode (room for a larger image) moves
 * them up; pool frame caps start at that end. */
extern seL4_CPtr s4_fixed0;
#define S4_SLOT_OLDROOT (s4_fixed0 + 0) /* the boot CNode, emptied */
#define S4_SLOT_EP (s4_fixed0 + 1)      /* the fault endpoint */
#define S4_SLOT_NTFN (s4_fixed0 + 2)    /* bound to the root TCB: IRQs */
#define S4_SLOT_NTFN_TIMER (s4_fixed0 + 3)
#define S4_SLOT_NTFN_SERIAL (s4_fixed0 + 4)
#define S4_SLOT_IRQ_TIMER (s4_fixed0 + 5)
#define S4_SLOT_IRQ_SERIAL (s4_fixed0 + 6)
#define S4_SLOT_PORT_COM1 (s4_fixed0 + 7)
#define S4_SLOT_PORT_PIT (s4_fixed0 + 8)
#define S4_SLOT_PORT_CMOS (s4_fixed0 + 9)
#define S4_SLOT_PORT_KBD (s4_fixed0 + 10)
#define S4_SLOT_PORT_COM2 (s4_fixed0 + 11)
#define S4_FRAME_SLOT0 (s4_fixed0 + 16)

/* Badges: a thread's fault badge is its index + 1 (below 2^32); the
 * notification's are single high bits, so a badge says where a message
 * came from. */
#define S4_BADGE_TIMER (1UL << 40)
#define S4_BADGE_SERIAL (1UL << 41)
#define S4_BADGE_NTFN_MASK (S4_BADGE_TIMER | S4_BADGE_SERIAL)

/* ---- memory.c ------------------------------------------------------------- */
extern seL4_BootInfo *s4_bootinfo;
/* Set the big CNode up, find the untypeds, size the frame pool.  A
 * one-line reason in *why on failure. */
int s4_memory_init(const char **why);
/* A free slot / give it back (the slot must be empty). */
seL4_CPtr s4_slot_alloc(void);
void s4_slot_free(seL4_CPtr slot);
/* Retype one object from untyped memory into slot.  size_bits only for
 * objects of variable size (CNodes: the radix). */
int s4_retype(seL4_Word type, seL4_Word size_bits, seL4_CPtr slot);
/* An object of a kernel type in a new slot, from the cache of given-back
 * objects of that type if any; 0 when out of memory. */
seL4_CPtr s4_obj_get(seL4_Word type, seL4_Word size_bits);
void s4_obj_put(seL4_Word type, seL4_CPtr slot);
/* Map the heap window up to end (2 MiB aligned).  -ENOMEM past its size. */
int s4_heap_grow(uintptr_t end);
uint64_t s4_free_bytes(void);
/* Frame f's spare cap for a client mapping, marked taken; 0 if it is
 * taken already.  s4_frame_map_put: true if slot was that cap (unmapped
 * by the caller), now free again; false for any other slot. */
seL4_CPtr s4_frame_map_cap(frame_t f);
bool s4_frame_map_put(frame_t f, seL4_CPtr slot);
uint64_t s4_kept_bytes(void);

/* ---- console.c ------------------------------------------------------------ */
void s4_console_init(void);
void s4_puts(const char *s);
void s4_write(const char *s, size_t n);
/* One line of diagnostics on COM2 (persona's stderr), else on COM1. */
void s4_log_str(const char *s);
/* Called with the serial notification badge: reads what arrived. */
void s4_serial_irq(void);
bool s4_console_pending(void); /* EV_CONSOLE wanted and input there */

/* ---- time.c ---------------------------------------------------------------- */
void s4_time_init(void);
/* The timer's interrupt came: true if the core's deadline has passed. */
bool s4_timer_irq(void);

/* ---- process.c -------------------------------------------------------------- */
int s4_process_init(const char **why);

/* ---- floor.c ----------------------------------------------------------------- */
/* The bare kernel round trips of each path, printed as `bench` lines on
 * COM2 (PERSONA_BENCH_FLOOR in the payload's environment asks for it). */
void s4_floor_run(void);

#endif
