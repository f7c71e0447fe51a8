#!/usr/bin/env bash
# Second command: install what is missing, build everything (normal and
# sanitizer builds), run every test suite, and print one closing line
#   N passed, N failed[, N skipped]
# totalling all of them (known gaps listed in tests/expectations.txt count
# as skipped).  Exit status non-zero if anything failed.
#
# Suites: unit tests (normal and ASan), the backend test when the Makefile
# has it, the guest programs under build/persona and build/asan/persona,
# Debian's busybox, shell scripts run by busybox sh and bash, and an
# interactive busybox shell on a terminal under both, limits and leaks
# (tests/robust.sh), the system-call fuzzer (scripts/fuzz.sh), the
# benchmark programs' smoke run, the seL4 suite,
# docs/syscalls.md against the generated
# table, and clang-format over the project's C files.
set -u
cd "$(dirname "$0")/.." || exit 1
. scripts/deps.sh

total_pass=0 total_fail=0 total_skip=0
log=$(mktemp -d /tmp/persona-test.XXXXXX)
trap 'rm -rf "$log"' EXIT
JOBS=$(nproc 2>/dev/null || echo 2)

# count NAME STATUS OUTPUT_FILE: add a suite's counts to the totals.  A suite
# that prints "N passed, N failed" counts by those numbers (plus one failure
# if it exited non-zero without reporting one); otherwise it counts as one
# check that passed or failed by its exit status.
count() {
	local name=$1 status=$2 out=$3 line p f x
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
		x=0
		grep -qE '[0-9]+ (xfail|skipped)' <<<"$line" &&
			x=$(sed -E 's/.*\b([0-9]+) (xfail|skipped).*/\1/' <<<"$line")
		if [ "$status" != 0 ] && [ "$f" = 0 ]; then
			f=1
		fi
	elif [ "$status" = 0 ]; then
		p=1 f=0 x=0
	else
		p=0 f=1 x=0
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + x))
	printf '== %-28s %s passed, %s failed' "$name:" "$p" "$f"
	[ "$x" != 0 ] && printf ', %s skipped' "$x"
	[ "$status" != 0 ] && printf '  (exit status %s)' "$status"
	printf '\n'
}

# suite NAME COMMAND...: run a suite, show its output, count it.
suite() {
	local name=$1 status
	shift
	echo
	echo "=== $name: $*"
	"$@" </dev/null 2>&1 | tee "$log/out"
	status=${PIPESTATUS[0]}
	count "$name" "$status" "$log/out"
}

# skip NAME WHY: a suite that cannot run because what it needs did not build.
skip() {
	echo
	echo "=== $1: skipped ($2)"
	total_skip=$((total_skip + 1))
}

echo "=== dependencies"
if ! persona_install_deps; then
	echo "dependency installation failed; continuing with what is there"
fi

suite build make -j"$JOBS"
suite build-asan make -j"$JOBS" asan
HAVE_BACKEND_TEST=0
if grep -qE '^[^#]*backend-test' Makefile; then
	suite build-backend-test make -j"$JOBS" build/backend-test && HAVE_BACKEND_TEST=1
fi
suite build-guests tests/build-guests.sh

# ASan: leaks are failures (the default); UBSan stops at the first error
# (the build uses -fno-sanitize-recover).  The guest suites start the server
# with a clean environment, so these reach the unit tests only.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

for u in build/unit build/asan/unit; do
	if [ -x "$u" ]; then
		suite "$u" timeout 600 "$u"
	else
		skip "$u" "not built"
	fi
done
# The core for riscv64: cross-built and its unit tests run under qemu-user.
suite "riscv64 unit" make check-riscv64
if [ "$HAVE_BACKEND_TEST" = 1 ] && [ -x build/backend-test ]; then
	suite build/backend-test timeout 600 build/backend-test
fi

for p in build/persona build/asan/persona; do
	if [ -x "$p" ]; then
		SUITE_LABEL="guests under $p" suite "guests ($p)" tests/run-guests.sh "$p"
		SUITE_LABEL="busybox under $p" suite "busybox ($p)" tests/real/busybox.sh "$p"
		SUITE_LABEL="interactive shell under $p" suite "interactive ($p)" \
			tests/real/interactive.sh "$p"
		SUITE_LABEL="shell scripts under $p" suite "shell ($p)" tests/real/shell.sh "$p"
		SUITE_LABEL="dynamic programs under $p" suite "dynamic ($p)" tests/real/dynamic.sh "$p"
	else
		skip "guests ($p)" "$p not built"
		skip "busybox ($p)" "$p not built"
		skip "interactive ($p)" "$p not built"
		skip "shell ($p)" "$p not built"
		skip "dynamic ($p)" "$p not built"
	fi
done

# The benchmark programs (bench/): built and run once with tiny counts,
# natively and under the Linux backend, so they cannot rot.
if [ -x build/persona ]; then
	suite "bench (smoke)" tests/bench-smoke.sh build/persona
else
	skip "bench (smoke)" "build/persona not built"
fi

# Limits and leaks (kill cycles, --memory, threads-max) under both servers,
# and the system-call fuzzer against the ASan/UBSan server (60,000 calls;
# scripts/fuzz.sh --long runs two million).
suite "robust" tests/robust.sh
suite "fuzz" scripts/fuzz.sh

# The seL4 backend in QEMU, when a kernel build is there (PERSONA_SEL4,
# default $HOME/sel4-build); it says "skipped: no seL4 kernel build at ..."
# otherwise.
if [ -x build/persona ]; then
	suite "seL4 (QEMU)" tests/sel4/run.sh build/persona
	# Debian's busybox on seL4 too, when the kernel build is there.
	if [ -f "${PERSONA_SEL4:-$HOME/sel4-build}/kernel32.elf" ]; then
		PERSONA_RUN_ARGS="--backend sel4" PERSONA_TEST_PREFIX=sel4/ \
			SUITE_LABEL="busybox on seL4" suite "busybox (seL4)" tests/real/busybox.sh build/persona
		# and the shell scripts (busybox sh and bash) there
		PERSONA_RUN_ARGS="--backend sel4" PERSONA_TEST_PREFIX=sel4/ \
			SUITE_LABEL="shell scripts on seL4" suite "shell (seL4)" tests/real/shell.sh build/persona
		# Debian's dynamically linked programs there
		PERSONA_RUN_ARGS="--backend sel4" PERSONA_TEST_PREFIX=sel4/ \
			SUITE_LABEL="dynamic programs on seL4" suite "dynamic (seL4)" tests/real/dynamic.sh build/persona
		# and the fuzzer against the root task (the same seeds)
		PERSONA_RUN_ARGS="--backend sel4" suite "fuzz (seL4)" scripts/fuzz.sh build/persona
	fi
else
	skip "seL4 (QEMU)" "build/persona not built"
fi

# docs/syscalls.md is generated from core/syscalls.def: it must be current.
check_syscalls_doc() {
	[ -x build/persona ] || { echo "build/persona not built"; return 1; }
	build/persona syscalls --markdown >"$log/syscalls.md" || return 1
	if diff -u docs/syscalls.md "$log/syscalls.md" >"$log/syscalls.diff"; then
		echo "docs/syscalls.md is current"
	else
		head -n 40 "$log/syscalls.diff"
		echo "docs/syscalls.md is stale: build/persona syscalls --markdown > docs/syscalls.md"
		return 1
	fi
}
suite syscalls-doc check_syscalls_doc

# clang-format over the project's own C files (the tracked ones when this
# is a git checkout).
check_format() {
	local files bad=0 f
	if git rev-parse --git-dir >/dev/null 2>&1; then
		files=$(git ls-files '*.c' '*.h')
	else
		files=$(find core platform cli tests -name '*.[ch]' 2>/dev/null)
	fi
	for f in $files; do
		[ -f "$f" ] || continue
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "not formatted: $f (make format)"
			bad=$((bad + 1))
		fi
	done
	echo "$(wc -w <<<"$files") files checked, $bad not formatted"
	[ $bad -eq 0 ]
}
suite clang-format check_format

echo
line="$total_pass passed, $total_fail failed"
[ $total_skip -gt 0 ] && line="$line, $total_skip skipped"
echo "$line"
[ $total_fail -eq 0 ]
