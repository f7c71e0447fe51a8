/*
 * Memory: frames with reference counts, address spaces made of VMAs, lazy
 * faults, and the brk/mmap family.  Owns every client page table decision;
 * the backend only maps what this module tells it to.
 */
#ifndef PERSONA_MM_H
#define PERSONA_MM_H

#include "kernel.h"

/* Mappings per address space, Linux's default vm.max_map_count: past it
 * mmap, mprotect, munmap and mremap that would add one get ENOMEM, as on
 * Linux.  It also bounds what one process's VMAs cost the server. */
#define MM_MAX_MAP_COUNT 65530

/* ---- Frames (frame.c) ---------------------------------------------------- */
/* A fresh frame with one reference, zero-filled.  -ENOMEM. */
int frame_alloc_zeroed(frame_t *out);
void frame_ref(frame_t f);
/* Drop a reference; the frame goes back to the platform at zero. */
void frame_unref(frame_t f);
static inline void *frame_ptr(frame_t f)
{
	return plat_frame_ptr(f);
}

/* A fresh frame with a copy of src's contents, one reference. */
int frame_alloc_copy(frame_t src, frame_t *out);
/* References held on f (1: nobody else has it). */
uint32_t frame_refs(frame_t f);

/* ---- Address spaces -------------------------------------------------------- */
/* An empty mm owning as (the platform address space goes with the mm's
 * last user); one user.  NULL if out of memory (as is then not taken). */
struct mm *mm_create(struct plat_as *as);
/* fork: a copy of src in the new address space as, private pages shared
 * copy-on-write, shared ones shared.  NULL if out of memory (as is then
 * destroyed). */
struct mm *mm_fork(struct mm *src, struct plat_as *as);
/* Another process uses mm (vfork, clone with CLONE_VM). */
void mm_get(struct mm *mm);
/* Processes using mm (more than one after vfork or CLONE_VM). */
int mm_users(const struct mm *mm);
/* One user less; the last destroys the platform address space with every
 * thread still in it, then releases every frame. */
void mm_put(struct mm *mm);
struct plat_as *mm_as(struct mm *mm);

/* A client fault at addr wanting access (PLAT_PROT_*; 0 if unknown), with
 * MM_FAULT_NOT_PRESENT or'ed in when the hardware reported that no
 * translation existed: a page the core has mapped since (another thread
 * of the process faulted on it first) then just resumes.
 * 0: resolved, resume the thread.  -EFAULT: no mapping (SIGSEGV,
 * SEGV_MAPERR).  -EACCES: mapping forbids it (SIGSEGV, SEGV_ACCERR).
 * -ENOMEM: out of frames (SIGBUS / kill). */
#define MM_FAULT_NOT_PRESENT 0x100
int mm_handle_fault(struct mm *mm, uint64_t addr, int access);

/* Flags for mm_map, Linux's MAP_* values. */
/* Create a mapping as mmap would (checked values; addr hint or fixed).
 * ino may be NULL (anonymous); otherwise pages come from inode_get_page()
 * and the mapping takes its own reference on ino.
 * Returns the address or a negative errno. */
long mm_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct inode *ino,
            uint64_t off);
int mm_unmap(struct mm *mm, uint64_t addr, uint64_t len);
/* Set the start of the brk area (after loading an ELF). */
void mm_set_brk_base(struct mm *mm, uint64_t base);
/* Where the stack ends up: the loader asks for a stack VMA of this size. */
long mm_map_stack(struct mm *mm, uint64_t size, uint64_t *top);
/* A shared futex's key: for addr in a shared file mapping, the file and
 * the offset in it (so that processes mapping it meet on the same
 * futex); false for private memory (the key is then the mm and addr). */
bool mm_shared_key(struct mm *mm, uint64_t addr, const void **obj, uint64_t *off);
/* Render /proc/<pid>/maps into a malloc'd buffer (*len bytes). */
int mm_format_maps(struct mm *mm, const char *exe_path, char **buf, size_t *len);
/* Resident pages and total mapped bytes, for /proc/<pid>/status. */
void mm_usage(struct mm *mm, uint64_t *vm_bytes, uint64_t *rss_pages);

/* ---- ELF loading (elf.c) ----------------------------------------------------
 * Load an ET_EXEC or ET_DYN image from exe into t's process's (empty)
 * mm, with the dynamic loader its PT_INTERP names (looked up in the
 * guest's filesystem) if it has one, build the initial stack with argv,
 * envp and auxv, and set regs (IP, SP, zeroed rest) for the first
 * instruction (the mm may hold part of the image after a failure:
 * destroy it).  On failure a negative errno and, in *why, a one-line
 * reason for a human ("wrong architecture: ...", ...). */
int elf_load(struct thread *t, struct inode *exe, const char *execfn, char *const argv[],
             char *const envp[], struct arch_regs *regs, const char **why);

#endif
