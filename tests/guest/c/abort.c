/*
 * Death by SIGABRT: a shell reports 128 + 6 = 134 for the native run, and
 * persona must exit with the same status.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
