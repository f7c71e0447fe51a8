/*
 * Starting the personality: the empty filesystem, then the first process
 * made from an ELF image the front end read (from the host's filesystem
 * on Linux, from the boot image's initramfs on seL4).
 */
#include <stdlib.h>
#include <string.h>

#include "mm.h"
#include "persona.h"
#include "task.h"
#include "vfs.h"

void sched_set_first(struct proc *p);

int core_init(void)
{
	return vfs_init();
}

/* argv as NUL-separated bytes, for /proc/<pid>/cmdline. */
static int set_cmdline(struct proc *p, char *const argv[])
{
	size_t len = 0;
	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	p->cmdline = malloc(len ? len : 1);
	if (!p->cmdline)
		return -ENOMEM;
	p->cmdline_len = len;
	char *d = p->cmdline;
	for (int i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(d, argv[i], n);
		d += n;
	}
	return 0;
}

int core_start(const char *exe_path, const void *image, size_t len, char *const argv[],
               char *const envp[], const char **why)
{
	struct thread *t;
	struct inode *exe;
	struct proc *p;
	int r;

	*why = NULL;
	exe = vfs_add_program(exe_path, image, len);
	if (!exe) {
		*why = "out of memory while loading the program";
		return -ENOMEM;
	}
	p = proc_create();
	if (!p) {
		inode_put(exe);
		*why = "out of memory";
		return -ENOMEM;
	}
	cred_init(p, core_cfg.uid, core_cfg.gid);
	p->exe = exe;
	strncpy(p->exe_path, exe_path, sizeof p->exe_path - 1);
	r = plat_as_create(&p->as);
	if (r < 0) {
		*why = "could not create the client's address space";
		return r;
	}
	p->mm = mm_create(p->as);
	p->fds = fdtable_create();
	p->fs = fs_context_create();
	p->sighand = sighand_create();
	if (!p->mm || !p->fds || !p->fs || !p->sighand || set_cmdline(p, argv) < 0) {
		*why = "out of memory";
		return -ENOMEM;
	}
	r = fdtable_install_console(p->fds);
	if (r < 0) {
		*why = "could not set up standard input and output";
		return r;
	}
	r = thread_create(p, &t);
	if (r < 0) {
		*why = "could not create the first thread";
		return r;
	}
	r = elf_load(t, exe, argv[0] ? argv[0] : exe_path, argv, envp, &t->regs, why);
	if (r < 0)
		return r;
	sched_set_first(p);
	sched_start_thread(t);
	return 0;
}
