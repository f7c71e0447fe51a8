/*
 * The host side of the seL4 backend: `persona run --backend sel4` and
 * `persona image`.
 *
 * The server is then seL4's root task, built once by `make sel4` as
 * build/sel4/roottask.a and roottask.ld without its payload.  For each run
 * this file packs the payload (argv, environment, the program's guest path
 * and a newc cpio of the guest filesystem), links it into the root task in
 * a private temporary directory, boots the seL4 kernel with it in QEMU
 * (TCG), and turns the serial console back into the program's stdout and
 * exit status (COM2 into its stderr).
 *
 * Console protocol with the root task (each marker ends with a newline and
 * may follow the program's last output on the same line, so a program
 * whose output does not end in a newline keeps it exact):
 *   PERSONA-START        the client starts now: everything before is the
 *                        kernel's boot noise (shown on stderr with --verbose)
 *   PERSONA-FREE <n>     free memory in bytes, before the first client and
 *                        after the last one (shown with --verbose)
 *   PERSONA-EXIT <n>     the program's Linux wait status: the run is over
 *   PERSONA-ERROR <why>  the program could not be started
 * Everything else on COM1 is the program's stdout, byte for byte (no
 * CRLF conversion either way); COM2 is its stderr and the root task's
 * diagnostics, copied to our stderr as they are.  Our stdin goes to the
 * serial input once PERSONA-START came (bytes sent earlier would be lost
 * while the kernel and the root task set the UART up), escaped so that
 * the end of input can be told from data: 0x04 and 0x10 are sent as 0x10
 * followed by the byte ^ 0x40, every other byte as it is, and a bare 0x04
 * marks the end; the root task then gives end of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126
#define EXIT_TIMEOUT 124

#define PAYLOAD_MAGIC "PRSNPLD1"
#define PAYLOAD_VERSION 1
/* An environment variable longer than this is not passed to the guest. */
#define ENV_MAX_ENTRY (32 * 1024)

/* The CPU model the kernel in $PERSONA_SEL4 was configured for (see
 * DEVELOPERS.md, "seL4"): Intel (64-bit SYSENTER), XSAVE with AVX,
 * 1 GiB pages, FSGSBASE; the '-' features only silence TCG warnings. */
static const char qemu_cpu[] = "Haswell-noTSX,+pdpe1gb,-pcid,-invpcid,-x2apic,-tsc-deadline";

/* ---- Finding the pieces ------------------------------------------------------------------- */
struct parts {
	char kernel[PATH_MAX + 16];  /* $PERSONA_SEL4/kernel32.elf */
	char archive[PATH_MAX + 32]; /* build/sel4/roottask.a */
	char script[PATH_MAX + 32];  /* build/sel4/roottask.ld */
	char qemu[PATH_MAX];         /* qemu-system-x86_64 */
};

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* name looked up in PATH: true and its path in buf. */
static bool in_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int w = snprintf(buf, size, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", name);
		if (w > 0 && (size_t)w < size && is_file(buf) && access(buf, X_OK) == 0)
			return true;
		if (!e)
			return false;
		p = e;
	}
}

/* 0, or the exit status after saying what is missing.  need_qemu: only
 * `run` boots anything. */
static int find_parts(struct parts *p, bool need_qemu)
{
	const char *sel4 = getenv("PERSONA_SEL4");
	char exe[PATH_MAX], base[PATH_MAX];
	ssize_t n;

	if (sel4 && *sel4)
		snprintf(base, sizeof base, "%s", sel4);
	else
		snprintf(base, sizeof base, "%s/sel4-build", getenv("HOME") ? getenv("HOME") : "");
	snprintf(p->kernel, sizeof p->kernel, "%s/kernel32.elf", base);
	if (!is_file(p->kernel)) {
		cli_error("no seL4 kernel build at %s (build one as DEVELOPERS.md says, "
		          "or set PERSONA_SEL4)",
		          base);
		return EXIT_USAGE;
	}

	/* The root task is built next to this binary: build/sel4/ beside
	 * build/persona, and the same one for build/asan/persona. */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		cli_error("cannot find where the persona binary is (%s)", strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	static const char *const where[] = {"%s/sel4", "%s/../sel4"};
	bool found = false;
	for (size_t i = 0; i < sizeof where / sizeof *where && !found; i++) {
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof dir, where[i], exe);
		snprintf(p->archive, sizeof p->archive, "%s/roottask.a", dir);
		snprintf(p->script, sizeof p->script, "%s/roottask.ld", dir);
		found = is_file(p->archive) && is_file(p->script);
	}
	if (!found) {
		cli_error("the seL4 root task is not built: run make sel4");
		return EXIT_CANNOT_RUN;
	}

	if (need_qemu) {
		const char *q = getenv("PERSONA_QEMU");
		if (q && *q)
			snprintf(p->qemu, sizeof p->qemu, "%s", q);
		else if (!in_path("qemu-system-x86_64", p->qemu, sizeof p->qemu)) {
			cli_error("qemu-system-x86_64 not found: install Debian's package "
			          "qemu-system-x86 (apt-get install qemu-system-x86)");
			return EXIT_CANNOT_RUN;
		}
	}
	return 0;
}

/* ---- The payload ----------------------------------------------------------------------- */
/* Passed to the guest?  Not a huge variable (it would only grow every
 * image: shells keep function bodies in them), nor persona's own settings
 * of this backend. */
static bool env_passed(const char *e)
{
	return strlen(e) <= ENV_MAX_ENTRY && strncmp(e, "PERSONA_SEL4=", 13) &&
	       strncmp(e, "PERSONA_QEMU=", 13);
}

static int put_u32(struct cli_buf *b, uint32_t v)
{
	unsigned char le[4] = {v, v >> 8, v >> 16, v >> 24};
	return cli_buf_put(b, le, 4);
}

static int put_str(struct cli_buf *b, const char *s)
{
	return cli_buf_put(b, s, strlen(s) + 1);
}

/* What our fd 0, 1, 2 are, for the payload's console word: the kinds of
 * plat_console_kind (1 terminal, 2 pipe, 3 regular file, 0 other), two
 * bits each from bit 0, and bit 31 saying they are given. */
static uint32_t console_kinds(void)
{
	uint32_t w = 1u << 31;
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		uint32_t k = 0;
		if (fstat(fd, &st) < 0)
			k = 0;
		else if (S_ISCHR(st.st_mode) && isatty(fd))
			k = 1;
		else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
			k = 2;
		else if (S_ISREG(st.st_mode))
			k = 3;
		w |= k << (2 * fd);
	}
	return w;
}

/*
 * "PRSNPLD1", u32 version, argc, envc, console (little-endian); argc
 * then envc NUL-terminated strings; the guest path of the program; zeros
 * to a multiple of 8; the newc cpio of the guest filesystem to the end.
 * console: 0 (an image: the serial line is the guest's terminal) or
 * console_kinds().
 * The program goes into the cpio at its absolute host path (as the Linux
 * backend names it), after the --root tree.  0 or the exit status after
 * saying why.
 */
static int pack_file(void *ctx, const char *gpath, unsigned mode, long long mtime, const void *data,
                     size_t len)
{
	struct cpio *c = ctx;
	int r = cpio_add_parents(c, gpath);
	return r ? r : cpio_add(c, gpath, S_IFREG | mode, mtime, data, len);
}

static int build_payload(struct cli_buf *b, const char *root, int argc, char **argv, char **envp,
                         const char *exe_path, const char *prog, uint32_t console)
{
	struct cpio c = {.out = b};
	struct stat st;
	uint32_t envc = 0;
	void *image;
	size_t len;
	int r, fd;

	for (char **e = envp; *e; e++)
		envc += env_passed(*e);
	r = cli_buf_put(b, PAYLOAD_MAGIC, 8);
	if (!r)
		r = put_u32(b, PAYLOAD_VERSION);
	if (!r)
		r = put_u32(b, (uint32_t)argc);
	if (!r)
		r = put_u32(b, envc);
	if (!r)
		r = put_u32(b, console);
	for (int i = 0; i < argc && !r; i++)
		r = put_str(b, argv[i]);
	for (char **e = envp; *e && !r; e++)
		if (env_passed(*e))
			r = put_str(b, *e);
	if (!r)
		r = put_str(b, exe_path);
	if (!r)
		r = cli_buf_pad(b, 8);
	if (r < 0)
		goto nomem;

	/* Dynamically linked programs bring their loader and libraries. */
	static const struct root_visitor packer = {.file = pack_file,
	                                           .verb = "pack into the guest image"};
	struct deps *d = cli_deps_new(root, &packer, &c);
	if (!d) {
		cpio_finish(&c);
		goto nomem;
	}
	if (root && cpio_add_tree(&c, root, d) < 0) {
		cli_deps_free(d);
		cpio_finish(&c);
		return EXIT_CANNOT_RUN;
	}
	fd = open(prog, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		cli_error("%s: %s", prog, strerror(errno));
		if (fd >= 0)
			close(fd);
		cli_deps_free(d);
		cpio_finish(&c);
		return EXIT_CANNOT_RUN;
	}
	r = cli_read_file(fd, &image, &len);
	close(fd);
	if (r < 0) {
		cli_error("%s: cannot read it (%s)", prog, strerror(-r));
		cli_deps_free(d);
		cpio_finish(&c);
		return EXIT_CANNOT_RUN;
	}
	/* With --root, a file already at that path is the guest's. */
	r = cpio_add_parents(&c, exe_path);
	if (!r)
		r = cpio_add(&c, exe_path, S_IFREG | (st.st_mode & 07777), st.st_mtime, image, len);
	if (!r) {
		char dir[PATH_MAX];
		cli_dirname(exe_path, dir, sizeof dir);
		if (cli_add_deps(d, image, len, dir) < 0) {
			cli_deps_free(d);
			free(image);
			cpio_finish(&c);
			return EXIT_CANNOT_RUN;
		}
	}
	cli_deps_free(d);
	free(image);
	if (!r)
		r = cpio_finish(&c);
	else
		cpio_finish(&c);
	if (r == -EFBIG) {
		cli_error("%s: too large for a cpio archive (4 GiB per file)", prog);
		return EXIT_CANNOT_RUN;
	}
	if (r < 0)
		goto nomem;
	return 0;
nomem:
	cli_error("out of memory while packing the guest image");
	return EXIT_CANNOT_RUN;
}

/* ---- Running the host tools ------------------------------------------------------------- */
/* A private directory for one run, removed afterwards. */
static char workdir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_workdir(void)
{
	if (workdir[0])
		nftw(workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	workdir[0] = 0;
}

static int make_workdir(void)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(workdir, sizeof workdir, "%s/persona-sel4.XXXXXX", tmp);
	if (!mkdtemp(workdir)) {
		cli_error("cannot make a temporary directory in %s (%s)", tmp, strerror(errno));
		workdir[0] = 0;
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Run argv[0] (looked up in PATH) in the work directory with its output
 * in log; on failure say so with the log.  0 or -1. */
static int run_tool(char *const argv[], const char *log)
{
	int status;
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("cannot start %s (%s)", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0 || chdir(workdir) < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;

	cli_error("%s failed while building the seL4 image:", argv[0]);
	FILE *f = fopen(log, "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
	return -1;
}

/* Link build/sel4/roottask.a with the payload into workdir/roottask.elf.
 * 0 or -1 after saying why. */
static int link_roottask(const struct parts *p, const struct cli_buf *payload)
{
	char log[PATH_MAX + 16];
	int r;

	char path[PATH_MAX + 16];
	snprintf(log, sizeof log, "%s/link.log", workdir);
	snprintf(path, sizeof path, "%s/payload.bin", workdir);
	r = write_file(path, payload->data, payload->len, 0600);
	if (r < 0) {
		cli_error("cannot write %s (%s)", path, strerror(-r));
		return -1;
	}
	/* Run in the work directory, so the symbols ld makes from the file
	 * name are _binary_payload_bin_{start,end}. */
	char *ld[] = {"ld", "-r", "-b", "binary", "-o", "payload.o", "payload.bin", NULL};
	/* Page-aligned, so the root task can use the cpio's pages in place. */
	char *objcopy[] = {"objcopy",
	                   "--redefine-sym",
	                   "_binary_payload_bin_start=__persona_payload_start",
	                   "--redefine-sym",
	                   "_binary_payload_bin_end=__persona_payload_end",
	                   "--set-section-alignment",
	                   ".data=4096",
	                   "payload.o",
	                   NULL};
	char *cc[] = {"cc",
	              "-Wl,-z,noexecstack",
	              "-nostdlib",
	              "-static",
	              "-no-pie",
	              "-T",
	              (char *)p->script,
	              "-o",
	              "roottask.elf",
	              (char *)p->archive,
	              "payload.o",
	              NULL};
	if (run_tool(ld, log) < 0 || run_tool(objcopy, log) < 0 || run_tool(cc, log) < 0)
		return -1;
	return 0;
}

/* Everything up to a linked workdir/roottask.elf (or, with payload_file,
 * only the payload written there).  0 or the exit status. */
static int prepare(const struct parts *p, const char *root, int argc, char **argv, char **envp,
                   const char *payload_file, uint32_t console)
{
	char path[PATH_MAX], abs[PATH_MAX];
	struct cli_buf payload = {0};
	int r;

	r = cli_find_guest_program(root, argv[0], path, abs, sizeof path);
	if (r)
		return r;
	r = build_payload(&payload, root, argc, argv, envp, abs, path, console);
	if (r) {
		cli_buf_free(&payload);
		return r;
	}
	if (payload_file) {
		r = write_file(payload_file, payload.data, payload.len, 0644);
		if (r < 0)
			cli_error("cannot write %s (%s)", payload_file, strerror(-r));
		cli_buf_free(&payload);
		return r < 0 ? EXIT_CANNOT_RUN : 0;
	}
	if (make_workdir() < 0) {
		cli_buf_free(&payload);
		return EXIT_CANNOT_RUN;
	}
	r = link_roottask(p, &payload);
	cli_buf_free(&payload);
	return r < 0 ? EXIT_CANNOT_RUN : 0;
}

/* ---- The console ----------------------------------------------------------------------- */
#define HOLD_MAX 512
#define BOOTLOG_MAX 8192

struct console {
	bool verbose;
	bool started; /* PERSONA-START seen */
	bool done;    /* PERSONA-EXIT or PERSONA-ERROR seen */
	int status;   /* the wait status from PERSONA-EXIT */
	char error[HOLD_MAX];
	long long free_before, free_after;
	char hold[HOLD_MAX]; /* what may be the start of a marker */
	size_t nhold;
	struct cli_buf out;        /* the program's output, to write to stdout */
	char bootlog[BOOTLOG_MAX]; /* the last boot messages, shown on failure */
	size_t nboot;
	size_t line_start;    /* where the current line began in bootlog */
	bool in_user;         /* the kernel said it dropped to user space */
	struct cli_buf early; /* the root task's output before PERSONA-START */
};

/* The seL4 kernel's last boot message: what follows is the root task's. */
static const char kernel_done[] = "Booting all finished, dropped to user space";

/* Could s[0..n) still be the beginning of a marker line (its '\n'
 * included)? */
static bool marker_prefix(const char *s, size_t n)
{
	static const char *const words[] = {"START", "EXIT", "FREE", "ERROR"};
	const size_t plen = 8; /* "PERSONA-" */

	if (n <= plen)
		return !memcmp(s, "PERSONA-", n);
	if (memcmp(s, "PERSONA-", plen))
		return false;
	s += plen;
	n -= plen;
	for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
		size_t k = strlen(words[w]);
		if (n <= k) {
			if (!memcmp(s, words[w], n))
				return true;
			continue;
		}
		if (memcmp(s, words[w], k))
			continue;
		if (w == 0) /* START: nothing but the newline */
			return n == k + 1 && s[k] == '\n';
		if (s[k] != ' ')
			return false;
		for (size_t i = k + 1; i < n; i++) {
			bool last = i == n - 1;
			if (s[i] == '\n')
				return last && (w == 3 || i > k + 1);
			if (w < 3 && (s[i] < '0' || s[i] > '9'))
				return false;
		}
		return true;
	}
	return false;
}

/* The kernel gave up booting (its "ERROR:" lines say why, then "seL4
 * called fail"): end the run at once with a reason a user can act on. */
static bool boot_failed(struct console *c, const char *line, size_t len)
{
	static const char full[] = "ERROR: can't add another cap";
	static const char fail[] = "seL4 called fail";
	if (len >= sizeof full - 1 && !memcmp(line, full, sizeof full - 1)) {
		snprintf(
		    c->error, sizeof c->error,
		    "the guest image is too large for this seL4 kernel's boot CNode (one slot "
		    "per 4 KiB page): rebuild the kernel with a larger KernelRootCNodeSizeBits "
		    "(16 holds about 250 MB) or make --root smaller");
		return false; /* the kernel's own failure line ends the run */
	}
	if (len < sizeof fail - 1 || memcmp(line, fail, sizeof fail - 1))
		return false;
	if (!c->error[0])
		snprintf(c->error, sizeof c->error,
		         "the seL4 kernel failed to boot (run with --verbose to see its messages)");
	c->done = true;
	return true;
}

static void emit(struct console *c, const char *s, size_t n)
{
	if (c->started) {
		if (cli_buf_put(&c->out, s, n) < 0)
			c->done = true; /* out of memory: give up on the run */
		return;
	}
	if (c->in_user) {
		/* Kept until PERSONA-START says it was the root task's own
		 * noise, or PERSONA-EXIT comes without one (a root task that
		 * does not mark the start: then it was the program's). */
		if (cli_buf_put(&c->early, s, n) < 0)
			c->done = true;
		return;
	}
	if (c->verbose)
		fwrite(s, 1, n, stderr);
	for (size_t i = 0; i < n; i++) {
		if (c->nboot == BOOTLOG_MAX) {
			size_t half = BOOTLOG_MAX / 2;
			memmove(c->bootlog, c->bootlog + half, half);
			c->nboot = half;
			c->line_start = c->line_start > half ? c->line_start - half : 0;
		}
		c->bootlog[c->nboot++] = s[i];
		if (s[i] != '\n')
			continue;
		size_t len = c->nboot - 1 - c->line_start;
		const char *line = c->bootlog + c->line_start;
		if (boot_failed(c, line, len))
			return;
		if (len == sizeof kernel_done - 1 && !memcmp(line, kernel_done, len)) {
			c->in_user = true;
			if (i + 1 < n)
				emit(c, s + i + 1, n - i - 1);
			return;
		}
		c->line_start = c->nboot;
	}
}

static void marker(struct console *c, const char *line)
{
	const char *arg = strchr(line, ' ');
	arg = arg ? arg + 1 : "";
	if (c->verbose)
		fprintf(stderr, "%s\n", line);
	if (!strcmp(line, "PERSONA-START")) {
		if (c->verbose)
			fwrite(c->early.data, 1, c->early.len, stderr);
		c->early.len = 0;
		c->started = true;
	} else if (!strncmp(line, "PERSONA-EXIT ", 13)) {
		c->status = (int)strtol(arg, NULL, 10);
		c->done = true;
		if (!c->started && c->early.len) {
			c->started = true;
			emit(c, c->early.data, c->early.len);
			c->early.len = 0;
		}
	} else if (!strncmp(line, "PERSONA-ERROR ", 14)) {
		snprintf(c->error, sizeof c->error, "%s", arg);
		c->done = true;
	} else if (!strncmp(line, "PERSONA-FREE ", 13)) {
		if (c->free_before < 0)
			c->free_before = strtoll(arg, NULL, 10);
		else
			c->free_after = strtoll(arg, NULL, 10);
	}
}

/* One byte of console output. */
static void feed_byte(struct console *c, char ch)
{
	if (c->done)
		return;
	if (!c->nhold && ch != 'P') {
		emit(c, &ch, 1);
		return;
	}
	c->hold[c->nhold++] = ch;
	if (marker_prefix(c->hold, c->nhold) && c->nhold < HOLD_MAX) {
		if (ch == '\n') {
			c->hold[c->nhold - 1] = 0;
			c->nhold = 0;
			marker(c, c->hold);
		}
		return;
	}
	/* Not a marker after all: its first byte is output, and the rest
	 * may hold the start of a real one. */
	char rest[HOLD_MAX];
	size_t n = c->nhold - 1;
	memcpy(rest, c->hold + 1, n);
	c->nhold = 0;
	emit(c, c->hold, 1);
	for (size_t i = 0; i < n; i++)
		feed_byte(c, rest[i]);
}

static void feed(struct console *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		feed_byte(c, s[i]);
}

/* Quiet for a while: what was held back is output after all. */
static void flush_held(struct console *c)
{
	char held[HOLD_MAX];
	size_t n = c->nhold;
	if (!n)
		return;
	memcpy(held, c->hold, n);
	c->nhold = 0;
	emit(c, held, n);
}

/* Write the program's output so far.  false if stdout is gone. */
static bool write_out(struct console *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t w = write(1, c->out.data + off, c->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		off += (size_t)w;
	}
	c->out.len = 0;
	return true;
}

/* ---- Booting --------------------------------------------------------------------------- */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The program's stderr from COM2, as it is. */
static void relay_stderr(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
	fflush(stderr);
}

/* Everything COM2 holds now: it was written before the marker that ended
 * the run, so it is in the pipe already. */
static void drain_stderr(int fd)
{
	char buf[4096];
	ssize_t r;
	while ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			relay_stderr(buf, (size_t)r);
}

/* Our stdin bytes in[0..n) escaped for the serial line (see the top of
 * this file) into out, which has room for 2 * n; its length. */
static size_t escape_input(const char *in, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == 0x04 || in[i] == 0x10) {
			out[k++] = 0x10;
			out[k++] = (char)(in[i] ^ 0x40);
		} else {
			out[k++] = in[i];
		}
	}
	return k;
}

/* The last lines of what the kernel printed, to explain a failed boot. */
static void show_boot_tail(const struct console *c, const char *qemu_err)
{
	size_t start = c->nboot, lines = 0;
	while (start > 0 && lines <= 12)
		if (c->bootlog[--start] == '\n')
			lines++;
	if (c->nboot) {
		fputs("persona: the last console lines were:\n", stderr);
		fwrite(c->bootlog + start, 1, c->nboot - start, stderr);
		if (c->bootlog[c->nboot - 1] != '\n')
			fputc('\n', stderr);
	}
	if (c->early.len) {
		fputs("persona: then the root task printed:\n", stderr);
		fwrite(c->early.data, 1, c->early.len, stderr);
		if (c->early.data[c->early.len - 1] != '\n')
			fputc('\n', stderr);
	}
	FILE *f = fopen(qemu_err, "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		fprintf(stderr, "qemu: %s", line);
	if (f)
		fclose(f);
}

/* Boot the kernel with workdir/roottask.elf and relay the console.
 * Returns persona's exit status. */
static int boot(const struct parts *p, const struct sel4_opts *o, const char *prog)
{
	char mem[32], elf[PATH_MAX + 16], qerr[PATH_MAX + 16];
	int in[2], out[2], err[2];
	struct console c = {
	    .verbose = o->verbose, .status = -1, .free_before = -1, .free_after = -1};
	char pending[4096];
	size_t npending = 0;
	bool stdin_open = true, eot_sent = false, qemu_gone = false;
	long long deadline = o->timeout ? now_ms() + o->timeout * 1000LL : 0;
	int status = 0, ret;

	snprintf(mem, sizeof mem, "%u", o->memory_mib);
	snprintf(elf, sizeof elf, "%s/roottask.elf", workdir);
	snprintf(qerr, sizeof qerr, "%s/qemu.err", workdir);
	/* No monitor on the serial line: every byte of our stdin is the
	 * guest's, ^A included.  COM1 is the console (stdin, stdout, the
	 * markers); COM2, on our fd 3 in QEMU, is for a root task that
	 * keeps the program's stderr apart. */
	char *argv[] = {(char *)p->qemu,
	                "-cpu",
	                (char *)qemu_cpu,
	                "-m",
	                mem,
	                "-nodefaults",
	                "-display",
	                "none",
	                "-chardev",
	                "stdio,id=con,signal=off",
	                "-serial",
	                "chardev:con",
	                "-chardev",
	                "file,id=err,path=/dev/fd/3,append=on",
	                "-serial",
	                "chardev:err",
	                "-kernel",
	                (char *)p->kernel,
	                "-initrd",
	                elf,
	                "-no-reboot",
	                NULL};

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		cli_error("cannot make a pipe (%s)", strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("cannot start %s (%s)", p->qemu, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	if (pid == 0) {
		int fd = open(qerr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* Its own process group: ^C reaches persona, which stops it. */
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 3);
		if (fd >= 0)
			dup2(fd, 2);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	set_nonblock(in[1]);
	set_nonblock(out[0]);
	set_nonblock(err[0]);

	while (!c.done && !got_signal) {
		struct pollfd fds[4] = {
		    {out[0], POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLOUT, 0}, {err[0], POLLIN, 0}};
		int wait = -1;

		/* Input only once the root task listens (PERSONA-START). */
		if (stdin_open && !npending && c.started)
			fds[1].fd = 0;
		if (npending)
			fds[2].fd = in[1];
		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0)
				break;
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (c.nhold && (wait < 0 || wait > 300))
			wait = 300;
		int n = poll(fds, err[0] >= 0 ? 4 : 3, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("poll failed (%s)", strerror(errno));
			break;
		}
		if (n == 0) {
			flush_held(&c);
		}
		if (fds[0].revents) {
			char buf[4096];
			ssize_t r = read(out[0], buf, sizeof buf);
			if (r > 0)
				feed(&c, buf, (size_t)r);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				qemu_gone = true;
				break;
			}
		}
		if (fds[3].revents) {
			char buf[4096];
			ssize_t r = read(err[0], buf, sizeof buf);
			if (r > 0)
				relay_stderr(buf, (size_t)r);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(err[0]);
				err[0] = -1;
			}
		}
		if (fds[1].revents) {
			char raw[sizeof pending / 2];
			ssize_t r = read(0, raw, sizeof raw);
			if (r > 0)
				npending = escape_input(raw, (size_t)r, pending);
			else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				stdin_open = false;
				/* End of input: the bare 0x04. */
				if (!eot_sent) {
					pending[0] = 4;
					npending = 1;
					eot_sent = true;
				}
			}
		}
		if (fds[2].revents & POLLOUT) {
			ssize_t w = write(in[1], pending, npending);
			if (w > 0) {
				memmove(pending, pending + w, npending - (size_t)w);
				npending -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				npending = 0;
				stdin_open = false;
			}
		} else if (fds[2].revents) {
			npending = 0; /* QEMU closed its input */
			stdin_open = false;
		}
		if (c.out.len && !write_out(&c)) {
			got_signal = SIGPIPE;
			break;
		}
	}
	if (c.done || got_signal || !qemu_gone) {
		/* drain nothing more: the run is over, or timed out */
		kill(pid, SIGKILL);
	}
	close(in[1]);
	close(out[0]);
	if (err[0] >= 0) {
		drain_stderr(err[0]);
		close(err[0]);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!c.done)
		flush_held(&c);
	bool out_ok = write_out(&c);
	cli_buf_free(&c.out);
	cli_buf_free(&c.early);
	fflush(stderr);

	if (c.done && c.error[0]) {
		cli_error("%s", c.error);
		ret = EXIT_CANNOT_RUN;
	} else if (c.done) {
		if (o->verbose && c.free_before >= 0)
			cli_error("seL4 free memory: %lld bytes before the program, %lld after",
			          c.free_before, c.free_after);
		ret = cli_report_status(prog, c.status);
	} else if (got_signal == SIGPIPE || !out_ok) {
		ret = 128 + SIGPIPE;
	} else if (got_signal) {
		ret = 128 + got_signal;
	} else if (!qemu_gone) {
		cli_error("the guest did not finish within %u s (raise --timeout)", o->timeout);
		if (!c.started)
			show_boot_tail(&c, qerr);
		ret = EXIT_TIMEOUT;
	} else {
		if (WIFEXITED(status))
			cli_error("QEMU ended (status %d) before the root task reported how %s "
			          "ended",
			          WEXITSTATUS(status), prog);
		else
			cli_error("QEMU was killed by signal %d before the root task reported "
			          "how %s ended",
			          WTERMSIG(status), prog);
		show_boot_tail(&c, qerr);
		ret = c.started ? 1 : EXIT_CANNOT_RUN;
	}
	return ret;
}

int sel4_run(const struct sel4_opts *o, int argc, char **argv)
{
	struct parts p;
	struct sigaction sa = {.sa_handler = on_signal}, old[4];
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	int r;

	r = find_parts(&p, true);
	if (r)
		return r;
	/* Until the work directory is gone, a signal only ends the loop. */
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i],
		          sigs[i] == SIGPIPE ? &(struct sigaction){.sa_handler = SIG_IGN} : &sa,
		          &old[i]);
	r = prepare(&p, o->root, argc, argv, environ, NULL, console_kinds());
	if (!r && !got_signal)
		r = boot(&p, o, argv[0]);
	else if (!r)
		r = 128 + got_signal;
	remove_workdir();
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	return r;
}

/* ---- persona image ----------------------------------------------------------------------- */
static int copy_file(const char *from, const char *to, int mode)
{
	void *data;
	size_t len;
	int fd = open(from, O_RDONLY | O_CLOEXEC), r;
	if (fd < 0)
		return -errno;
	r = cli_read_file(fd, &data, &len);
	close(fd);
	if (r < 0)
		return r;
	r = write_file(to, data, len, mode);
	free(data);
	return r;
}

static void qemu_line(char *buf, size_t size, const char *how)
{
	snprintf(buf, size,
	         "qemu-system-x86_64 -cpu %s -m 1024 -nographic -serial mon:stdio %s "
	         "-no-reboot",
	         qemu_cpu, how);
}

/* FILE/ : a directory with the two ELF files and a script that boots them. */
static int write_dir(const struct parts *p, const char *dir)
{
	char path[PATH_MAX + 32], elf[PATH_MAX + 16], line[2048];
	int r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		cli_error("cannot make %s (%s)", dir, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	snprintf(elf, sizeof elf, "%s/roottask.elf", workdir);
	snprintf(path, sizeof path, "%s/kernel32.elf", dir);
	r = copy_file(p->kernel, path, 0644);
	if (!r) {
		snprintf(path, sizeof path, "%s/roottask.elf", dir);
		r = copy_file(elf, path, 0644);
	}
	if (!r) {
		char script[4096];
		qemu_line(line, sizeof line,
		          "-kernel \"$d/kernel32.elf\" -initrd \"$d/roottask.elf\"");
		snprintf(script, sizeof script,
		         "#!/bin/sh\n"
		         "# Boots the seL4 kernel with the Persona root task and its program\n"
		         "# (made by `persona image`).  QEMU's TCG only: not -enable-kvm.\n"
		         "# The program's output follows the line PERSONA-START; the line\n"
		         "# PERSONA-EXIT <wait status> ends the run (quit with ^A x).\n"
		         "d=$(dirname \"$0\")\n"
		         "exec %s\n",
		         line);
		snprintf(path, sizeof path, "%s/run.sh", dir);
		r = write_file(path, script, strlen(script), 0755);
	}
	if (r < 0) {
		cli_error("cannot write %s (%s)", path, strerror(-r));
		return EXIT_CANNOT_RUN;
	}
	printf("wrote %s/ (kernel32.elf, roottask.elf, run.sh); boot it with: %s/run.sh\n", dir,
	       dir);
	return 0;
}

/* FILE: a BIOS-bootable ISO made by grub-mkrescue, GRUB loading the
 * kernel by multiboot with the root task as its module. */
static int write_iso(const struct parts *p, const char *file, const char *title)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 64], log[PATH_MAX + 16], abs[PATH_MAX];
	char line[PATH_MAX + 1024];
	char tool[PATH_MAX], cfg[1024];
	int r;

	if (!in_path("grub-mkrescue", tool, sizeof tool) ||
	    !in_path("xorriso", tool, sizeof tool) || !in_path("mformat", tool, sizeof tool) ||
	    access("/usr/lib/grub/i386-pc", F_OK) < 0) {
		cli_error("an ISO needs grub-mkrescue with BIOS support: apt-get install "
		          "grub-pc-bin grub-common xorriso mtools (or give -o DIR/ for a "
		          "directory with the kernel, the root task and a run script)");
		return EXIT_CANNOT_RUN;
	}
	snprintf(dir, sizeof dir, "%s/iso/boot/grub", workdir);
	snprintf(path, sizeof path, "%s/iso", workdir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/iso/boot", workdir);
	mkdir(path, 0755);
	if (mkdir(dir, 0755) < 0) {
		cli_error("cannot make %s (%s)", dir, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	snprintf(path, sizeof path, "%s/iso/boot/kernel32.elf", workdir);
	r = copy_file(p->kernel, path, 0644);
	if (!r) {
		char elf[PATH_MAX + 16];
		snprintf(elf, sizeof elf, "%s/roottask.elf", workdir);
		snprintf(path, sizeof path, "%s/iso/boot/roottask.elf", workdir);
		r = copy_file(elf, path, 0644);
	}
	if (!r) {
		/* GRUB stays on the screen (none under -nographic): the serial
		 * line carries only what seL4 and the root task print. */
		snprintf(cfg, sizeof cfg,
		         "set timeout=0\n"
		         "set default=0\n"
		         "menuentry \"Persona on seL4: %s\" {\n"
		         "\tmultiboot /boot/kernel32.elf\n"
		         "\tmodule /boot/roottask.elf roottask\n"
		         "\tboot\n"
		         "}\n",
		         title);
		snprintf(path, sizeof path, "%s/grub.cfg", dir);
		r = write_file(path, cfg, strlen(cfg), 0644);
	}
	if (r < 0) {
		cli_error("cannot write %s (%s)", path, strerror(-r));
		return EXIT_CANNOT_RUN;
	}
	/* grub-mkrescue runs in the work directory: the output path must
	 * not be relative to it. */
	if (file[0] == '/')
		snprintf(abs, sizeof abs, "%s", file);
	else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd)) {
			cli_error("cannot tell the current directory (%s)", strerror(errno));
			return EXIT_CANNOT_RUN;
		}
		if (snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= (int)sizeof abs) {
			cli_error("%s: path too long", file);
			return EXIT_CANNOT_RUN;
		}
	}
	snprintf(log, sizeof log, "%s/grub.log", workdir);
	char *argv[] = {"grub-mkrescue", "-o", abs, "iso", NULL};
	if (run_tool(argv, log) < 0)
		return EXIT_CANNOT_RUN;
	snprintf(path, sizeof path, "-cdrom %s", file);
	qemu_line(line, sizeof line, path);
	printf("wrote %s (BIOS-bootable ISO: GRUB, seL4 kernel, Persona root task); boot it "
	       "with:\n  %s\n",
	       file, line);
	return 0;
}

static const char image_usage[] =
    "Usage: persona image -o FILE [--root DIR] [--env NAME=VALUE]... [--payload]\n"
    "                     PROGRAM [ARGS...]\n"
    "\n"
    "Writes a bootable seL4 image that runs PROGRAM with ARGS under Persona and\n"
    "prints its output on the serial console.  FILE is a BIOS-bootable ISO (GRUB\n"
    "loading seL4 with the Persona root task); FILE ending in '/' is a directory\n"
    "holding kernel32.elf, roottask.elf and run.sh instead.  The program sees the\n"
    "environment PATH=/usr/local/bin:/usr/bin:/bin HOME=/ plus each --env (the\n"
    "caller's own environment is not put in the image).  --payload writes only\n"
    "the root task's payload to FILE (arguments, environment, program path and\n"
    "the newc cpio archive of the guest's files; see cli/sel4.c).\n";

int sel4_image_cmd(int argc, char **argv)
{
	const char *file = NULL, *root = NULL;
	bool payload_only = false;
	char **envp = calloc((size_t)argc + 3, sizeof *envp);
	size_t envc = 0;
	struct parts p;
	struct stat st;
	int i, r;

	if (!envp) {
		cli_error("out of memory");
		return EXIT_CANNOT_RUN;
	}
	envp[envc++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[envc++] = "HOME=/";
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(image_usage, stdout);
			free(envp);
			return 0;
		}
		if (!strcmp(a, "--payload")) {
			payload_only = true;
			continue;
		}
		if (strcmp(a, "-o") && strcmp(a, "--root") && strcmp(a, "--env")) {
			cli_error("image: unknown option '%s' (see persona image --help)", a);
			free(envp);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			cli_error("image: option %s needs a value (see persona image --help)", a);
			free(envp);
			return EXIT_USAGE;
		}
		const char *val = argv[++i];
		if (!strcmp(a, "-o")) {
			file = val;
		} else if (!strcmp(a, "--root")) {
			if (stat(val, &st) < 0 || !S_ISDIR(st.st_mode)) {
				cli_error("--root %s: not a directory (give an existing directory)",
				          val);
				free(envp);
				return EXIT_USAGE;
			}
			root = val;
		} else {
			const char *eq = strchr(val, '=');
			if (!eq || eq == val) {
				cli_error("--env %s: write it NAME=VALUE", val);
				free(envp);
				return EXIT_USAGE;
			}
			/* A later NAME= replaces an earlier one. */
			size_t k;
			for (k = 0; k < envc; k++)
				if (!strncmp(envp[k], val, (size_t)(eq - val) + 1))
					break;
			envp[k] = (char *)val;
			if (k == envc)
				envc++;
		}
	}
	envp[envc] = NULL;
	if (!file || i >= argc) {
		cli_error("image: %s (see persona image --help)",
		          !file ? "missing -o FILE" : "missing PROGRAM");
		free(envp);
		return EXIT_USAGE;
	}
	if (payload_only) {
		/* For looking at, or for testing a root task by hand. */
		r = prepare(NULL, root, argc - i, argv + i, envp, file, 0);
		free(envp);
		return r;
	}
	r = find_parts(&p, false);
	if (!r)
		r = prepare(&p, root, argc - i, argv + i, envp, NULL, 0);
	free(envp);
	if (!r) {
		size_t n = strlen(file);
		if (n > 1 && file[n - 1] == '/') {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%.*s", (int)(n - 1), file);
			r = write_dir(&p, dir);
		} else {
			r = write_iso(&p, file, argv[i]);
		}
	}
	remove_workdir();
	return r;
}
