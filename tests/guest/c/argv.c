/*
 * Arguments as the runner passes them: every guest is started with
 * argv[1] = "alpha", argv[2] = "beta gamma", argv[3] = "" (see
 * tests/run-guests.sh).  argv[0] differs between runs and is not printed.
 */
#include "check.h"

int main(int argc, char **argv)
{
	CHECK(argc == 4, "argc == 4 (got %d)", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = \"%s\"\n", i, argv[i]);
	CHECK(argv[argc] == NULL, "argv[argc] == NULL");
	CHECK(argv[0] && argv[0][0], "argv[0] is a non-empty string");
	return check_done();
}
