/*
 * The ELF-64 structures and constants the loader reads (elf.c), its unit
 * tests build programs from, and the command line follows to a dynamic
 * program's libraries (cli/deps.c).  Own definitions: the core does not
 * depend on the host's <elf.h>.
 */
#ifndef PERSONA_ELF64_H
#define PERSONA_ELF64_H

#include <stdint.h>

struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ET_REL 1
#define ET_EXEC 2
#define ET_DYN 3
#define ET_CORE 4

/* One entry of PT_DYNAMIC. */
struct elf64_dyn {
	int64_t tag;
	uint64_t val;
};

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_RPATH 15
#define DT_RUNPATH 29
#define PF_X 1
#define PF_W 2
#define PF_R 4

#endif
