/* The smallest guest: write to stdout through stdio and through write(2). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const char *msg = "hello from write(2)\n";

	printf("hello, world\n");
	fflush(stdout);
	if (write(1, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 1;
	fprintf(stderr, "hello on stderr\n");
	return 0;
}
