/*
 * Credentials: a process's real, effective, saved and filesystem user and
 * group ids, its supplementary groups and its capability sets, with
 * Linux's rules for changing them (setuid and friends, setgroups, capset,
 * and exec of set-user-ID and set-group-ID programs) and for what they
 * allow: every privileged decision in the core asks capable(), and file
 * access goes by the filesystem ids and groups.
 *
 * Capabilities follow Linux's root emulation (no file capabilities, no
 * securebits): uid 0 starts with all of them; giving up euid 0 clears the
 * effective set, giving up every uid 0 clears the permitted set too, and
 * an fsuid that leaves 0 drops the filesystem capabilities.  exec gives a
 * program run by root (or set-user-ID root) all of them and others none.
 */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "syscall.h"
#include "task.h"

#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */
#define CAP_ALL ((1ULL << (CAP_LAST + 1)) - 1)
#define CAP_FS_MASK                                                                                \
	((1ULL << LX_CAP_CHOWN) | (1ULL << LX_CAP_DAC_OVERRIDE) |                                  \
	 (1ULL << LX_CAP_DAC_READ_SEARCH) | (1ULL << LX_CAP_FOWNER) | (1ULL << LX_CAP_FSETID) |    \
	 (1ULL << 9) | (1ULL << 32) | (1ULL << LX_CAP_MKNOD))
#define NGROUPS_MAX 65536
#define ID_NONE ((uint32_t)-1)

void cred_init(struct proc *p, uint32_t uid, uint32_t gid)
{
	p->uid = p->euid = p->suid = p->fsuid = uid;
	p->gid = p->egid = p->sgid = p->fsgid = gid;
	p->cap_perm = p->cap_eff = uid == 0 ? CAP_ALL : 0;
	p->cap_inh = 0;
}

int cred_copy(struct proc *to, const struct proc *from)
{
	to->uid = from->uid;
	to->euid = from->euid;
	to->suid = from->suid;
	to->fsuid = from->fsuid;
	to->gid = from->gid;
	to->egid = from->egid;
	to->sgid = from->sgid;
	to->fsgid = from->fsgid;
	to->cap_eff = from->cap_eff;
	to->cap_perm = from->cap_perm;
	to->cap_inh = from->cap_inh;
	to->ngroups = 0;
	to->groups = NULL;
	if (from->ngroups) {
		to->groups = malloc(sizeof *to->groups * (size_t)from->ngroups);
		if (!to->groups)
			return -ENOMEM;
		memcpy(to->groups, from->groups, sizeof *to->groups * (size_t)from->ngroups);
		to->ngroups = from->ngroups;
	}
	return 0;
}

void cred_free(struct proc *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

/* The credentials in force: the process whose call is running; outside
 * a call (the server setting up the first process, unit tests calling
 * handlers directly) those persona was started with. */
static struct proc *cur(void)
{
	struct thread *t = sched_current();
	return t ? t->proc : NULL;
}

bool capable(int cap)
{
	struct proc *p = cur();
	return p ? (p->cap_eff >> cap) & 1 : core_cfg.uid == 0;
}

uint32_t cred_fsuid(void)
{
	struct proc *p = cur();
	return p ? p->fsuid : core_cfg.uid;
}

uint32_t cred_fsgid(void)
{
	struct proc *p = cur();
	return p ? p->fsgid : core_cfg.gid;
}

bool cred_in_group(uint32_t gid)
{
	struct proc *p = cur();
	if (!p)
		return gid == core_cfg.gid;
	if (gid == p->fsgid)
		return true;
	for (int i = 0; i < p->ngroups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

void cred_access_begin(struct proc *p, struct cred_ids *s)
{
	cred_save(p, s);
	p->fsuid = p->uid;
	p->fsgid = p->gid;
	/* access(2) asks as the real user: root keeps its permitted set. */
	p->cap_eff = p->uid == 0 ? p->cap_perm : 0;
}

bool cred_may_signal(const struct proc *from, const struct proc *to, int sig)
{
	if (from == to || (from->cap_eff >> LX_CAP_KILL) & 1)
		return true;
	if (sig == SIGCONT && from->sid == to->sid)
		return true;
	return from->euid == to->uid || from->euid == to->suid || from->uid == to->uid ||
	       from->uid == to->suid;
}

/* Linux's cap_emulate_setxuid and the fsuid rule, after a uid change. */
static void uid_changed(struct proc *p, uint32_t old_r, uint32_t old_e, uint32_t old_s,
                        uint32_t old_fs)
{
	if ((old_r == 0 || old_e == 0 || old_s == 0) && p->uid && p->euid && p->suid)
		p->cap_perm = p->cap_eff = 0;
	if (old_e == 0 && p->euid)
		p->cap_eff = 0;
	if (old_e && p->euid == 0)
		p->cap_eff = p->cap_perm;
	if (old_fs == 0 && p->fsuid)
		p->cap_eff &= ~CAP_FS_MASK;
	else if (old_fs && p->fsuid == 0)
		p->cap_eff |= p->cap_perm & CAP_FS_MASK;
	/* New ids: no core dumps or ptrace by the old ones (suid_dumpable 0). */
	if (old_e != p->euid || old_fs != p->fsuid)
		p->dumpable = 0;
}

static void gid_changed(struct proc *p, uint32_t old_e, uint32_t old_fs)
{
	if (old_e != p->egid || old_fs != p->fsgid)
		p->dumpable = 0;
}

/* One of the process's three ids (unprivileged callers may only pick
 * these). */
static bool one_of(uint32_t v, uint32_t a, uint32_t b, uint32_t c)
{
	return v == a || v == b || v == c;
}

/* Set the ids (ID_NONE leaves one); the filesystem id follows the
 * effective one. */
static void apply_res(struct proc *p, bool gid, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t *ids = gid ? &p->gid : &p->uid, *eids = gid ? &p->egid : &p->euid;
	uint32_t *sids = gid ? &p->sgid : &p->suid, *fsids = gid ? &p->fsgid : &p->fsuid;
	uint32_t o_r = *ids, o_e = *eids, o_s = *sids, o_fs = *fsids;
	if (r != ID_NONE)
		*ids = r;
	if (e != ID_NONE)
		*eids = e;
	if (s != ID_NONE)
		*sids = s;
	*fsids = *eids;
	if (gid)
		gid_changed(p, o_e, o_fs);
	else
		uid_changed(p, o_r, o_e, o_s, o_fs);
}

/* setresuid/setresgid: unprivileged, each new id must be one of the
 * three old ones. */
static long set_res(struct thread *t, bool gid, uint32_t r, uint32_t e, uint32_t s)
{
	struct proc *p = t->proc;
	uint32_t o_r = gid ? p->gid : p->uid, o_e = gid ? p->egid : p->euid;
	uint32_t o_s = gid ? p->sgid : p->suid;
	if (!capable(gid ? LX_CAP_SETGID : LX_CAP_SETUID) &&
	    ((r != ID_NONE && !one_of(r, o_r, o_e, o_s)) ||
	     (e != ID_NONE && !one_of(e, o_r, o_e, o_s)) ||
	     (s != ID_NONE && !one_of(s, o_r, o_e, o_s))))
		return -EPERM;
	apply_res(p, gid, r, e, s);
	return 0;
}

long sys_setresuid(struct thread *t, const struct sysargs *a)
{
	return set_res(t, false, (uint32_t)a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2]);
}

long sys_setresgid(struct thread *t, const struct sysargs *a)
{
	return set_res(t, true, (uint32_t)a->a[0], (uint32_t)a->a[1], (uint32_t)a->a[2]);
}

/* setreuid/setregid: the real id may become the effective one, the
 * effective one any of the three; the saved id follows the new effective
 * one when the real id is set or the effective one leaves it. */
static long set_re(struct thread *t, bool gid, uint32_t r, uint32_t e)
{
	struct proc *p = t->proc;
	uint32_t o_r = gid ? p->gid : p->uid, o_e = gid ? p->egid : p->euid;
	uint32_t o_s = gid ? p->sgid : p->suid;
	if (!capable(gid ? LX_CAP_SETGID : LX_CAP_SETUID) &&
	    ((r != ID_NONE && r != o_r && r != o_e) || (e != ID_NONE && !one_of(e, o_r, o_e, o_s))))
		return -EPERM;
	uint32_t s = ID_NONE;
	if (r != ID_NONE || (e != ID_NONE && e != o_r))
		s = e != ID_NONE ? e : o_e;
	apply_res(p, gid, r, e, s);
	return 0;
}

long sys_setreuid(struct thread *t, const struct sysargs *a)
{
	return set_re(t, false, (uint32_t)a->a[0], (uint32_t)a->a[1]);
}

long sys_setregid(struct thread *t, const struct sysargs *a)
{
	return set_re(t, true, (uint32_t)a->a[0], (uint32_t)a->a[1]);
}

/* setuid/setgid: privileged, all three ids; otherwise the effective id
 * may become the real or the saved one. */
static long set_one(struct thread *t, bool gid, uint32_t id)
{
	struct proc *p = t->proc;
	if (id == ID_NONE)
		return -EINVAL;
	if (capable(gid ? LX_CAP_SETGID : LX_CAP_SETUID)) {
		apply_res(p, gid, id, id, id);
		return 0;
	}
	uint32_t o_r = gid ? p->gid : p->uid, o_s = gid ? p->sgid : p->suid;
	if (id != o_r && id != o_s)
		return -EPERM;
	apply_res(p, gid, ID_NONE, id, ID_NONE);
	return 0;
}

long sys_setuid(struct thread *t, const struct sysargs *a)
{
	return set_one(t, false, (uint32_t)a->a[0]);
}

long sys_setgid(struct thread *t, const struct sysargs *a)
{
	return set_one(t, true, (uint32_t)a->a[0]);
}

/* setfsuid/setfsgid: always the old value; the new one only if allowed. */
static long set_fs(struct thread *t, bool gid, uint32_t id)
{
	struct proc *p = t->proc;
	uint32_t old = gid ? p->fsgid : p->fsuid;
	if (id == ID_NONE)
		return old;
	bool ok = capable(gid ? LX_CAP_SETGID : LX_CAP_SETUID) ||
	          (gid ? one_of(id, p->gid, p->egid, p->sgid) || id == p->fsgid
	               : one_of(id, p->uid, p->euid, p->suid) || id == p->fsuid);
	if (ok) {
		if (gid) {
			p->fsgid = id;
			gid_changed(p, p->egid, old);
		} else {
			p->fsuid = id;
			uid_changed(p, p->uid, p->euid, p->suid, old);
		}
	}
	return old;
}

long sys_setfsuid(struct thread *t, const struct sysargs *a)
{
	return set_fs(t, false, (uint32_t)a->a[0]);
}

long sys_setfsgid(struct thread *t, const struct sysargs *a)
{
	return set_fs(t, true, (uint32_t)a->a[0]);
}

/* Linux keeps the groups sorted; a Shell sort (the seL4 root task has no
 * qsort), quick enough for NGROUPS_MAX. */
static void sort_gids(uint32_t *g, int n)
{
	for (int gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11)
		for (int i = gap; i < n; i++) {
			uint32_t v = g[i];
			int j = i;
			for (; j >= gap && g[j - gap] > v; j -= gap)
				g[j] = g[j - gap];
			g[j] = v;
		}
}

long sys_setgroups(struct thread *t, const struct sysargs *a)
{
	struct proc *p = t->proc;
	int n = (int)a->a[0];
	if (!capable(LX_CAP_SETGID))
		return -EPERM;
	if ((unsigned)n > NGROUPS_MAX)
		return -EINVAL;
	uint32_t *g = n ? malloc(sizeof *g * (size_t)n) : NULL;
	if (n && !g)
		return -ENOMEM;
	if (n && copy_from_user(t, g, a->a[1], sizeof *g * (size_t)n) < 0) {
		free(g);
		return -EFAULT;
	}
	for (int i = 0; i < n; i++)
		if (g[i] == ID_NONE) {
			free(g);
			return -EINVAL;
		}
	sort_gids(g, n);
	free(p->groups);
	p->groups = g;
	p->ngroups = n;
	return 0;
}

long sys_getgroups(struct thread *t, const struct sysargs *a)
{
	struct proc *p = t->proc;
	int n = (int)a->a[0];
	if (n < 0)
		return -EINVAL;
	if (n == 0)
		return p->ngroups;
	if (n < p->ngroups)
		return -EINVAL;
	if (p->ngroups &&
	    copy_to_user(t, a->a[1], p->groups, sizeof *p->groups * (size_t)p->ngroups) < 0)
		return -EFAULT;
	return p->ngroups;
}

/* ---- Capabilities ------------------------------------------------------------ */
#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u

/* The header's version: how many 32-bit triplets follow, or -EINVAL after
 * telling the caller the one we prefer (Linux's cap_validate_magic). */
static int cap_words(struct thread *t, uint64_t uhdr, uint32_t *version)
{
	if (copy_from_user(t, version, uhdr, sizeof *version) < 0)
		return -EFAULT;
	if (*version == CAP_V1)
		return 1;
	if (*version == CAP_V2 || *version == CAP_V3)
		return 2;
	uint32_t v = CAP_V3;
	if (copy_to_user(t, uhdr, &v, sizeof v) < 0)
		return -EFAULT;
	return -EINVAL;
}

long sys_capget(struct thread *t, const struct sysargs *a)
{
	uint32_t version, data[6];
	int32_t pid;
	int words = cap_words(t, a->a[0], &version);
	if (words == -EINVAL && !a->a[1])
		return 0; /* a version probe */
	if (words < 0)
		return words;
	if (copy_from_user(t, &pid, a->a[0] + 4, sizeof pid) < 0)
		return -EFAULT;
	if (pid < 0)
		return -EINVAL;
	struct proc *p = pid && pid != t->proc->pid ? proc_by_pid(pid) : t->proc;
	if (!p)
		return -ESRCH;
	for (int i = 0; i < 2; i++) {
		data[i * 3 + 0] = (uint32_t)(p->cap_eff >> (32 * i));
		data[i * 3 + 1] = (uint32_t)(p->cap_perm >> (32 * i));
		data[i * 3 + 2] = (uint32_t)(p->cap_inh >> (32 * i));
	}
	if (!a->a[1])
		return 0;
	return copy_to_user(t, a->a[1], data, sizeof data[0] * 3 * (size_t)words) < 0 ? -EFAULT : 0;
}

/* capset: only the caller's own sets; permitted may only shrink, the
 * effective set stays within it, the inheritable one within the old
 * inheritable and permitted sets (no CAP_SETPCAP games). */
long sys_capset(struct thread *t, const struct sysargs *a)
{
	uint32_t version, data[6] = {0};
	int32_t pid;
	struct proc *p = t->proc;
	int words = cap_words(t, a->a[0], &version);
	if (words < 0)
		return words;
	if (copy_from_user(t, &pid, a->a[0] + 4, sizeof pid) < 0)
		return -EFAULT;
	if (pid != 0 && pid != p->pid)
		return -EPERM;
	if (copy_from_user(t, data, a->a[1], sizeof data[0] * 3 * (size_t)words) < 0)
		return -EFAULT;
	uint64_t eff = data[0] | (uint64_t)data[3] << 32, perm = data[1] | (uint64_t)data[4] << 32;
	uint64_t inh = data[2] | (uint64_t)data[5] << 32;
	eff &= CAP_ALL;
	perm &= CAP_ALL;
	inh &= CAP_ALL;
	if ((perm & ~p->cap_perm) || (eff & ~perm) || (inh & ~(p->cap_inh | p->cap_perm)))
		return -EPERM;
	p->cap_eff = eff;
	p->cap_perm = perm;
	p->cap_inh = inh;
	return 0;
}

/* ---- exec --------------------------------------------------------------------- */

void cred_save(const struct proc *p, struct cred_ids *s)
{
	s->id[0] = p->uid, s->id[1] = p->euid, s->id[2] = p->suid, s->id[3] = p->fsuid;
	s->id[4] = p->gid, s->id[5] = p->egid, s->id[6] = p->sgid, s->id[7] = p->fsgid;
	s->cap[0] = p->cap_eff, s->cap[1] = p->cap_perm, s->cap[2] = p->cap_inh;
	s->dumpable = p->dumpable;
	s->secure = p->secure_exec;
}

void cred_restore(struct proc *p, const struct cred_ids *s)
{
	p->uid = s->id[0], p->euid = s->id[1], p->suid = s->id[2], p->fsuid = s->id[3];
	p->gid = s->id[4], p->egid = s->id[5], p->sgid = s->id[6], p->fsgid = s->id[7];
	p->cap_eff = s->cap[0], p->cap_perm = s->cap[1], p->cap_inh = s->cap[2];
	p->dumpable = s->dumpable;
	p->secure_exec = s->secure;
}

void cred_exec(struct proc *p, const struct inode *exe)
{
	if (!p->no_new_privs) {
		if (exe->mode & S_ISUID)
			p->euid = exe->uid;
		if ((exe->mode & S_ISGID) && (exe->mode & S_IXGRP))
			p->egid = exe->gid;
	}
	p->suid = p->fsuid = p->euid;
	p->sgid = p->fsgid = p->egid;
	/* Root's programs get every capability, others none. */
	if (p->uid == 0 || p->euid == 0) {
		p->cap_perm = CAP_ALL;
		p->cap_eff = p->euid == 0 ? CAP_ALL : 0;
	} else {
		p->cap_perm = p->cap_eff = 0;
	}
	/* Linux's begin_new_exec: a program running with ids not its user's
	 * is not dumpable; any other is again. */
	p->secure_exec = p->euid != p->uid || p->egid != p->gid;
	p->dumpable = p->secure_exec ? 0 : 1;
}
