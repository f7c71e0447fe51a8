/*
 * What the Linux backend offers its front end (cli/) beyond plat.h:
 * bringing the backend up with a memory limit, and the reason of its last
 * failure in words a user can act on.
 */
#ifndef PERSONA_LINUX_H
#define PERSONA_LINUX_H

#include <stdint.h>

#define LINUX_DEFAULT_MEMORY (8ULL << 30)

/* Create the memory pool (memory_limit bytes, sparse: nothing is used
 * until touched) and the event sources.  0 or a negative errno; then
 * linux_plat_error() says what went wrong.  Whether the host lets us trace
 * processes shows at the first plat_as_create. */
int linux_plat_init(uint64_t memory_limit);

/* A one-line explanation of the last failure of the backend that a user
 * can act on (ptrace forbidden, out of host memory...), or NULL. */
const char *linux_plat_error(void);

#endif
