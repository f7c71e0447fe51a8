/* exit(42) after output: the status must reach the runner as 42. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("exiting with 42\n");
	exit(42);
}
