/* Diagnostics from the core go through plat_log, one line at a time. */
#include <stdarg.h>
#include <stdio.h>

#include "kernel.h"

struct core_config core_cfg;

void pr_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plat_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}
