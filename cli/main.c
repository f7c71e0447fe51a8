/*
 * The `persona` command: parse the command line, find and read the
 * program on the host, bring up the Linux backend and the core, run the
 * program, and exit the way it did.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "linux/linux.h"
#include "persona.h"

extern char **environ;

#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

static const char usage_text[] =
    "Usage: persona run [OPTIONS] PROGRAM [ARGS...]\n"
    "       persona image -o FILE [--root DIR] [--env NAME=VALUE]... PROGRAM [ARGS...]\n"
    "       persona syscalls --markdown\n"
    "       persona help | --help\n"
    "\n"
    "Persona is an OS personality: it runs unmodified static Linux x86_64\n"
    "programs and gives their system calls Linux semantics itself.  With the\n"
    "Linux backend the program runs as a traced host process whose every\n"
    "system call and page fault is served by Persona.\n"
    "\n"
    "Commands:\n"
    "  run        run PROGRAM with ARGS and exit the way it does\n"
    "  image      write a bootable seL4 image (an ISO) that runs PROGRAM with ARGS\n"
    "  syscalls   print the system call compatibility table (markdown)\n"
    "  help       show this text\n"
    "\n"
    "Options of run:\n"
    "  --backend NAME   where to run: linux (the default), or sel4: the seL4 kernel\n"
    "                   in QEMU (TCG) with Persona as its root task; the kernel\n"
    "                   build is found through PERSONA_SEL4 (default ~/sel4-build)\n"
    "  --root DIR       start the guest's filesystem as a copy of DIR (DIR itself\n"
    "                   is never changed; its dev, proc and sys are left out)\n"
    "  --trace          log every system call of the program on stderr\n"
    "  --memory SIZE    memory for the guest, e.g. 512M or 2G (default 8G; nothing\n"
    "                   is used until the program touches it; with sel4: the\n"
    "                   machine's memory, 1G by default)\n"
    "  --timeout SECS   sel4: stop the machine after SECS seconds, exit 124\n"
    "                   (default 600; 0: no limit)\n"
    "  --verbose        sel4: show the kernel's boot messages on stderr\n"
    "\n"
    "PROGRAM is a path, or a name looked up in PATH.  It must be a statically\n"
    "linked x86_64 Linux program (gcc -static, musl-gcc -static, Rust with\n"
    "+crt-static).\n"
    "\n"
    "Exit status: the program's own, or 128+N if signal N killed it;\n"
    "127 if PROGRAM was not found, 126 if it cannot be run, 2 for usage errors,\n"
    "124 if the seL4 machine ran out of --timeout.\n";

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("persona: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("persona: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see persona --help)\n", stderr);
	return EXIT_USAGE;
}

/* "512M", "8G", "1048576", "64KiB": bytes, or 0 if not a size. */
static uint64_t parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return 0;
	int shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end || v > (UINT64_MAX >> shift))
		return 0;
	return (uint64_t)v << shift;
}

/* ---- Finding the program ------------------------------------------------------------- */
/* Like a shell: a name with a '/' is a path, any other is looked up in
 * PATH.  On success the path to open in buf; else the exit status after
 * printing why. */
int cli_find_program(const char *name, char *buf, size_t size)
{
	struct stat st;

	if (!*name) {
		cli_error("'': command not found");
		return EXIT_NOT_FOUND;
	}
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0) {
			cli_error("%s: %s", name, strerror(errno));
			return errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND
			                                           : EXIT_CANNOT_RUN;
		}
		if (S_ISDIR(st.st_mode)) {
			cli_error("%s: is a directory", name);
			return EXIT_CANNOT_RUN;
		}
		if (!S_ISREG(st.st_mode)) {
			cli_error("%s: not a regular file", name);
			return EXIT_CANNOT_RUN;
		}
		if (access(name, X_OK) < 0) {
			cli_error("%s: permission denied (not executable: chmod +x it)", name);
			return EXIT_CANNOT_RUN;
		}
		snprintf(buf, size, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	bool denied = false;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *e = strchr(p, ':');
		size_t dlen = e ? (size_t)(e - p) : strlen(p);
		/* An empty entry is the current directory, as in a shell. */
		int n = dlen ? snprintf(buf, size, "%.*s/%s", (int)dlen, p, name)
		             : snprintf(buf, size, "%s", name);
		if (n > 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = true;
		}
		if (!e)
			break;
		p = e;
	}
	if (denied) {
		cli_error("%s: permission denied (found in PATH, but not executable)", name);
		return EXIT_CANNOT_RUN;
	}
	cli_error("%s: command not found (give a path, or check PATH)", name);
	return EXIT_NOT_FOUND;
}

int cli_find_guest_program(const char *root, const char *name, char *path, char *exe, size_t size)
{
	struct stat st;
	if (root && name[0] == '/') {
		int n = snprintf(path, size, "%s%s", root, name);
		if (n > 0 && (size_t)n < size && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			/* Symlinks resolved, as /proc/self/exe shows it (a
			 * busybox applet link is busybox). */
			char rroot[PATH_MAX], rprog[PATH_MAX];
			size_t rl;
			if (realpath(root, rroot) && realpath(path, rprog) &&
			    (rl = strlen(rroot), !strncmp(rprog, rroot, rl)) && rprog[rl] == '/')
				snprintf(exe, size, "%s", rprog + rl);
			else
				snprintf(exe, size, "%s", name);
			return 0;
		}
	}
	int r = cli_find_program(name, path, size);
	if (r)
		return r;
	if (!realpath(path, exe))
		snprintf(exe, size, "%s", path);
	return 0;
}

/* ---- persona run ------------------------------------------------------------------------- */
struct run_opts {
	const char *root;
	bool trace;
	uint64_t memory;
	bool sel4;        /* --backend sel4 (cli/sel4.c) */
	bool memory_set;  /* --memory given (QEMU's -m with sel4) */
	bool verbose;     /* sel4: show the kernel's boot messages */
	unsigned timeout; /* sel4: seconds, 600 by default */
};

static struct termios saved_tty;
static bool tty_saved;

/* A program killed in raw mode must not leave the user's terminal so. */
static void restore_tty(void)
{
	if (tty_saved)
		tcsetattr(0, TCSANOW, &saved_tty);
}

int cli_report_status(const char *prog, int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		cli_error("%s killed by signal %d (%s)", prog, sig, strsignal(sig));
		return 128 + sig;
	}
	cli_error("%s ended with an unexpected status %#x", prog, status);
	return 1;
}

static int run(const struct run_opts *o, int argc, char **argv)
{
	char path[PATH_MAX], abs[PATH_MAX];
	const char *why = NULL;
	void *image;
	size_t len;
	int r, fd;

	r = cli_find_guest_program(o->root, argv[0], path, abs, sizeof path);
	if (r)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_error("%s: %s", argv[0], strerror(errno));
		return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	r = cli_read_file(fd, &image, &len);
	close(fd);
	if (r < 0) {
		cli_error("%s: cannot read it (%s)", argv[0], strerror(-r));
		return EXIT_CANNOT_RUN;
	}
	r = linux_plat_init(o->memory);
	if (r < 0) {
		cli_error("cannot start the Linux backend: %s",
		          linux_plat_error() ? linux_plat_error() : strerror(-r));
		return EXIT_CANNOT_RUN;
	}
	core_cfg.trace = o->trace;
	core_cfg.memory_limit = o->memory;
	core_cfg.uid = getuid();
	core_cfg.gid = getgid();
	r = core_init();
	if (r < 0) {
		cli_error("cannot set up the guest filesystem (%s)", strerror(-r));
		return EXIT_CANNOT_RUN;
	}
	if (cli_import_guest(o->root, image, len, abs) < 0)
		return EXIT_CANNOT_RUN;

	r = core_start(abs, image, len, argv, environ, &why);
	free(image);
	if (r < 0) {
		/* A backend failure (ptrace forbidden...) says best what to do. */
		if (linux_plat_error())
			cli_error("%s: %s", argv[0], linux_plat_error());
		else
			cli_error("%s: %s", argv[0], why ? why : strerror(-r));
		return EXIT_CANNOT_RUN;
	}

	if (isatty(0) && tcgetattr(0, &saved_tty) == 0) {
		tty_saved = true;
		atexit(restore_tty);
	}
	int status = core_run();
	if (status < 0) {
		cli_error("the Linux backend failed while running %s (%s)", argv[0],
		          strerror(-status));
		return 1;
	}
	fflush(stdout);
	return cli_report_status(argv[0], status);
}

/* a is --name or --name=value: true, and the inline value if any. */
static bool match_opt(const char *a, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return false;
	*val = a[n] ? a + n + 1 : NULL;
	return true;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.memory = LINUX_DEFAULT_MEMORY, .timeout = 600};
	struct stat st;
	int i;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *val = NULL;
		enum { OPT_BACKEND, OPT_ROOT, OPT_MEMORY, OPT_TIMEOUT } k;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--trace")) {
			o.trace = true;
			continue;
		}
		if (!strcmp(a, "--verbose")) {
			o.verbose = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (match_opt(a, "--backend", &val))
			k = OPT_BACKEND;
		else if (match_opt(a, "--root", &val))
			k = OPT_ROOT;
		else if (match_opt(a, "--memory", &val))
			k = OPT_MEMORY;
		else if (match_opt(a, "--timeout", &val))
			k = OPT_TIMEOUT;
		else
			return usage_error("unknown option '%s'", a);
		if (!val) {
			if (i + 1 >= argc)
				return usage_error("option %s needs a value", a);
			val = argv[++i];
		}
		switch (k) {
		case OPT_BACKEND:
			o.sel4 = !strcmp(val, "sel4");
			if (!o.sel4 && strcmp(val, "linux"))
				return usage_error("unknown backend '%s' (choose linux or sel4)",
				                   val);
			break;
		case OPT_ROOT:
			if (stat(val, &st) < 0 || !S_ISDIR(st.st_mode)) {
				cli_error("--root %s: %s (give an existing directory)", val,
				          errno == ENOENT ? "no such directory"
				                          : "not a directory");
				return EXIT_USAGE;
			}
			o.root = val;
			break;
		case OPT_MEMORY:
			o.memory = parse_size(val);
			if (o.memory < (16ULL << 20) || o.memory / 4096 >= UINT32_MAX) {
				cli_error("--memory %s: not a size from 16M to 16T "
				          "(write it like 512M or 2G)",
				          val);
				return EXIT_USAGE;
			}
			o.memory_set = true;
			break;
		case OPT_TIMEOUT: {
			char *end;
			errno = 0;
			unsigned long t = strtoul(val, &end, 10);
			if (errno || end == val || *end || *val == '-' || t > 1000000) {
				cli_error("--timeout %s: give whole seconds (0: no limit)", val);
				return EXIT_USAGE;
			}
			o.timeout = (unsigned)t;
			break;
		}
		}
	}
	if (i >= argc)
		return usage_error("%s", "run: missing PROGRAM to run");
	if (o.sel4) {
		struct sel4_opts so = {.root = o.root,
		                       .timeout = o.timeout,
		                       .memory_mib =
		                           o.memory_set ? (unsigned)(o.memory >> 20) : 1024,
		                       .verbose = o.verbose};
		if (o.trace) {
			cli_error("--trace is not available with --backend sel4 yet");
			return EXIT_USAGE;
		}
		return sel4_run(&so, argc - i, argv + i);
	}
	return run(&o, argc - i, argv + i);
}

/* ---- persona syscalls -------------------------------------------------------------------- */
static void print_line(const char *line)
{
	puts(line);
}

static int cmd_syscalls(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--markdown"))
			return usage_error("syscalls: unknown option '%s' (only --markdown)",
			                   argv[i]);
	core_print_syscall_table(print_line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command: persona run PROGRAM [ARGS...]");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "syscalls"))
		return cmd_syscalls(argc - 2, argv + 2);
	if (!strcmp(cmd, "image"))
		return sel4_image_cmd(argc - 2, argv + 2);
	if (cmd[0] == '-')
		return usage_error("unknown option '%s'", cmd);
	return usage_error("unknown command '%s'", cmd);
}
