/* The auxiliary vector the loader leaves on the initial stack. */
#include <elf.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	unsigned long pagesz = getauxval(AT_PAGESZ);
	unsigned char *random = (unsigned char *)getauxval(AT_RANDOM);
	unsigned long hwcap = getauxval(AT_HWCAP);

	CHECK(pagesz == 4096, "AT_PAGESZ == 4096");
	CHECK(sysconf(_SC_PAGESIZE) == 4096, "sysconf(_SC_PAGESIZE) == 4096");
	CHECK(random != NULL, "AT_RANDOM is not null");
	if (random) {
		int nonzero = 0;
		for (int i = 0; i < 16; i++)
			nonzero |= random[i];
		CHECK(nonzero, "AT_RANDOM's 16 bytes are not all zero");
	}
	CHECK(hwcap != 0, "AT_HWCAP is not zero");
	CHECK(getauxval(AT_PHDR) != 0, "AT_PHDR is set");
	CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr), "AT_PHENT == 56");
	CHECK(getauxval(AT_PHNUM) > 0, "AT_PHNUM > 0");
	CHECK(getauxval(AT_ENTRY) != 0, "AT_ENTRY is set");
	CHECK(getauxval(AT_UID) == (unsigned long)getuid(), "AT_UID == getuid()");
	CHECK(getauxval(AT_EGID) == (unsigned long)getegid(), "AT_EGID == getegid()");
	CHECK(getauxval(AT_SECURE) == 0, "AT_SECURE == 0");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	CHECK(execfn && execfn[0], "AT_EXECFN is a non-empty string");
	return check_done();
}
