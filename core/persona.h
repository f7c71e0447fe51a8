/*
 * The core as a front end (the CLI, the seL4 root task's main) drives it:
 * set up the guest filesystem, start the first program, run the event loop.
 */
#ifndef PERSONA_PERSONA_H
#define PERSONA_PERSONA_H

#include <stddef.h>

#include "kernel.h"

/* Prepare the core (empty filesystem with /tmp, /dev, /proc). */
int core_init(void);
/* Create the first process from an ELF image held in memory.  exe_path is
 * what /proc/self/exe says.  On failure a negative errno and a one-line
 * reason in *why. */
int core_start(const char *exe_path, const void *image, size_t len, char *const argv[],
               char *const envp[], const char **why);
/* Serve events until the first process has exited.  Returns its wait
 * status (Linux encoding), or a negative errno if the platform failed. */
int core_run(void);

/* Print the syscall table as a markdown page (docs/syscalls.md). */
void core_print_syscall_table(void (*out)(const char *line));

#endif
