/* Runs the registered unit tests; see unit.h. */
#include <stdlib.h>

#include "fake.h"
#include "unit.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
};

static struct unit_test tests[512];
static int ntests;
static int cur_failed;

void unit_register(const char *name, void (*fn)(void))
{
	if (ntests < (int)(sizeof tests / sizeof tests[0]))
		tests[ntests++] = (struct unit_test){name, fn};
}

void unit_fail(const char *file, int line, const char *what)
{
	printf("  FAIL %s:%d: %s\n", file, line, what);
	cur_failed = 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		fake_reset(1u << 16);
		cur_failed = 0;
		tests[i].fn();
		printf("%s %s\n", cur_failed ? "FAIL" : "ok  ", tests[i].name);
		if (cur_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
