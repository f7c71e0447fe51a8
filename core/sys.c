/*
 * The syscall table built from core/syscalls.def for this architecture,
 * the handler for calls not implemented, and the compatibility page.
 */
#include <stdio.h>
#include <string.h>

#include "persona.h"
#include "syscall.h"
#include "trace.h"

/*
 * The table is indexed by this architecture's number, so dispatch is one
 * bounds check and one load.  Rows that have no number here (-1 in the
 * def's column: x86_64-only calls such as open or arch_prctl on riscv64)
 * are parked past slot SYS_NR_LIMIT, each in a slot of its own (__COUNTER__),
 * where sys_lookup and the listing never look, and their handler is left
 * out so it need not exist on this architecture.  Two rows with the same
 * number still fail the build (-Woverride-init, in -Wextra).
 */
#define SYS_NR_LIMIT 512
#define SYS_SLOT(x86, rv)                                                                          \
	(ARCH_SYS_NR(x86, rv) < 0 ? SYS_NR_LIMIT + 1 + __COUNTER__ : ARCH_SYS_NR(x86, rv))

#define SC(name, x86, rv, handler, status, k1, k2, k3, k4, k5, k6, note)                           \
	_Static_assert(ARCH_SYS_NR(x86, rv) < SYS_NR_LIMIT, #name ": raise SYS_NR_LIMIT");
#include "syscalls.def"
#undef SC

#define SC(name, x86, rv, handler, status, k1, k2, k3, k4, k5, k6, note)                           \
	[SYS_SLOT(x86, rv)] = {                                                                    \
	    #name,        x86,                                                                     \
	    rv,           ARCH_SYS_NR(x86, rv) < 0 ? (sys_handler)0 : handler,                     \
	    SYS_##status, {TK_##k1, TK_##k2, TK_##k3, TK_##k4, TK_##k5, TK_##k6},                  \
	    note},
const struct sys_entry sys_table[] = {
    [SYS_NR_LIMIT] = {NULL}, /* the table is at least this long */
#include "syscalls.def"
};
#undef SC
/* Only the part indexed by number; the parked rows lie beyond it. */
const unsigned sys_table_len = SYS_NR_LIMIT;

const struct sys_entry *sys_lookup(uint64_t nr)
{
	if (nr >= sys_table_len || !sys_table[nr].name)
		return NULL;
	return &sys_table[nr];
}

/* Warn once per call number.  Numbers past the table share a budget of a
 * few warnings: a client making random calls must not flood the log. */
static bool warn_first_time(uint64_t nr)
{
	static unsigned char warned[1024 / 8];
	static unsigned far_warned;
	if (nr >= 1024) {
		if (far_warned < 8 && ++far_warned == 8)
			pr_log("persona: warning: more unknown system calls; not reported further");
		return far_warned < 8;
	}
	bool first = !(warned[nr / 8] & (1u << (nr % 8)));
	warned[nr / 8] |= (unsigned char)(1u << (nr % 8));
	return first;
}

long sys_ni(struct thread *t, const struct sysargs *a)
{
	if (warn_first_time(a->nr))
		pr_log("persona: warning: system call %s (%llu) is not implemented; the program "
		       "gets ENOSYS",
		       sys_table[a->nr].name, (unsigned long long)a->nr);
	return -ENOSYS;
}

long sys_unknown(struct thread *t, const struct sysargs *a)
{
	if (warn_first_time(a->nr))
		pr_log("persona: warning: unknown system call %llu; the program gets ENOSYS",
		       (unsigned long long)a->nr);
	return -ENOSYS;
}

static const char *status_name(enum sys_status s)
{
	return s == SYS_FULL ? "full" : s == SYS_PARTIAL ? "partial" : "none";
}

void core_print_syscall_table(void (*out)(const char *line))
{
	char line[1024];
	unsigned n[3] = {0, 0, 0};

	for (unsigned i = 0; i < sys_table_len; i++)
		if (sys_table[i].name)
			n[sys_table[i].status]++;
	out("# System call compatibility (" ARCH_NAME ")");
	out("");
	out("Generated from `core/syscalls.def` by `build/persona syscalls --markdown`;");
	out("do not edit by hand. *full*: Linux semantics as far as the guest tests");
	out("reach. *partial*: common uses work, the note says what is missing.");
	out("*none*: the call returns `ENOSYS` (and Persona warns once).");
	out("");
	snprintf(line, sizeof line, "%u full, %u partial, %u not implemented.", n[SYS_FULL],
	         n[SYS_PARTIAL], n[SYS_NONE]);
	out(line);
	out("");
	out("| x86_64 | riscv64 | name | status | note |");
	out("| ---: | ---: | --- | --- | --- |");
	for (unsigned i = 0; i < sys_table_len; i++) {
		const struct sys_entry *e = &sys_table[i];
		char x86[16] = "", rv[16] = "";
		if (!e->name)
			continue;
		/* A blank column: the call does not exist there. */
		if (e->nr_x86_64 >= 0)
			snprintf(x86, sizeof x86, "%d", e->nr_x86_64);
		if (e->nr_riscv64 >= 0)
			snprintf(rv, sizeof rv, "%d", e->nr_riscv64);
		snprintf(line, sizeof line, "| %s | %s | `%s` | %s | %s |", x86, rv, e->name,
		         status_name(e->status), e->note);
		out(line);
	}
}
