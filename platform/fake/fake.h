/*
 * The in-process fake platform for unit tests of the core: frames come from
 * the heap, address spaces are tables the tests can inspect, events come
 * from a queue the test fills, time moves only when the test says so, and
 * failures can be injected at every call that may fail.
 */
#ifndef PERSONA_FAKE_H
#define PERSONA_FAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "plat.h"

/* Reset everything (frees all frames, address spaces, threads, events). */
void fake_reset(uint32_t frame_limit);

/* Fault injection: the next n calls succeed, then every call fails with
 * -ENOMEM until disarmed with a negative n. */
void fake_fail_frame_alloc_after(int n);
void fake_fail_map_after(int n);
void fake_fail_thread_create_after(int n);

/* What a client address space currently maps at va: the frame and prot,
 * or FRAME_NONE.  Lets tests check the core's decisions. */
frame_t fake_lookup(struct plat_as *as, uintptr_t va, int *prot);
size_t fake_mapped_pages(struct plat_as *as);

/* Events: tests queue them; plat_wait_event pops them, and returns
 * -EDEADLK when the queue is empty (so a test cannot hang). */
void fake_push_event(const struct plat_event *ev);
/* Registers a fake thread was last resumed with, and how often. */
const struct arch_regs *fake_thread_regs(struct plat_thread *th);
void fake_set_thread_regs(struct plat_thread *th, const struct arch_regs *r);
int fake_thread_resumes(struct plat_thread *th);
void *fake_thread_owner(struct plat_thread *th);

/* Time. */
void fake_set_clock(int clock, uint64_t ns);
uint64_t fake_timer_deadline(void);

/* Console: what the core wrote to stdout/stderr, and input to feed it. */
const char *fake_console_output(int stream, size_t *len);
void fake_console_input(const void *buf, size_t len, bool eof);
void fake_console_clear(void);

#endif
