/*
 * The environment: the runner starts every guest with exactly
 * PATH=/usr/bin:/bin HOME=/tmp LANG=C PERSONA_TEST=guest.
 */
#include <stdlib.h>

#include "check.h"

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	int n = 0;

	while (environ[n])
		n++;
	char **copy = calloc(n + 1, sizeof *copy);
	memcpy(copy, environ, n * sizeof *copy);
	qsort(copy, n, sizeof *copy, cmp);
	for (int i = 0; i < n; i++)
		printf("env: %s\n", copy[i]);
	free(copy);

	const char *v = getenv("PERSONA_TEST");
	CHECK(v && !strcmp(v, "guest"), "getenv(PERSONA_TEST) == guest");
	CHECK(getenv("NO_SUCH_VARIABLE") == NULL, "getenv of a missing name");
	CHECK_OK(setenv("ADDED", "1", 1));
	CHECK(!strcmp(getenv("ADDED"), "1"), "setenv then getenv");
	CHECK_OK(unsetenv("ADDED"));
	CHECK(getenv("ADDED") == NULL, "unsetenv");
	return check_done();
}
