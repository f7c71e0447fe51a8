#!/usr/bin/env bash
# The benchmark programs must not rot: build them (make bench-build) and
# run each benchmark once with tiny counts (bench -q), natively and under
# PERSONA's Linux backend.  Every benchmark must print its figures; under
# Persona the known gaps are the bench/NAME lines of tests/expectations.txt
# (fork, until processes exist): "xfail" while they say "unsupported",
# "XPASS" (a failure: delete the line) once they work.  Timings are not
# judged here: scripts/bench.sh is for that.
#
#   tests/bench-smoke.sh [PERSONA]
#
# The last line is "N passed, N failed[, N xfail][, N skipped]".
set -u
cd "$(dirname "$0")/.." || exit 1
PERSONA=${1:-build/persona}
B=build/bench
passed=0 failed=0 xfailed=0 skipped=0
work=$(mktemp -d /tmp/persona-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$PATH:$HOME/.cargo/bin"
if ! make -s "$B/bench" >"$work/make.log" 2>&1; then
	cat "$work/make.log"
	echo "FAIL build: bench/bench.c did not build"
	echo "0 passed, 1 failed"
	exit 1
fi
RARGS=()
mkdir -p "$work/root/bench"
if ! command -v cargo >/dev/null 2>&1; then
	echo "skip rust build: no cargo (rust_start_exit unsupported)"
elif make -s "$B/bench-rust-start" >"$work/make.log" 2>&1; then
	cp "$B/bench-rust-start" "$work/root/bench/"
	RARGS=(-r /bench/bench-rust-start)
	passed=$((passed + 1))
	echo "ok   build bench-rust-start"
else
	cat "$work/make.log"
	failed=$((failed + 1))
	echo "FAIL build bench-rust-start"
fi

. tests/lib/compare.sh

# judge WHERE OUTPUT STATUS: every benchmark printed its figures, except
# the known gaps under Persona (WHERE=persona).
judge() {
	local where=$1 out=$2 st=$3 name line reason
	if [ "$st" != 0 ]; then
		echo "FAIL $where: exit status $st"
		tail -n 5 "$out.err" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
	for name in $("$B/bench" -l); do
		line=$(grep -E "^bench $name " "$out" | head -n 1)
		reason=
		[ "$where" = persona ] && reason=$(cmp_expected_reason "bench/$name")
		if [ "$name" = rust_start_exit ] && [ ${#RARGS[@]} = 0 ]; then
			echo "skip $where/$name: the Rust program is not built"
			skipped=$((skipped + 1))
		elif grep -qE "^bench $name [0-9]+ ticks$" "$out"; then
			if [ -n "$reason" ]; then
				echo "XPASS $where/$name (listed in tests/expectations.txt: $reason)"
				failed=$((failed + 1))
			else
				echo "ok   $where/$name"
				passed=$((passed + 1))
			fi
		elif [ -n "$reason" ]; then
			echo "xfail $where/$name ($reason; it says: ${line#bench "$name" })"
			xfailed=$((xfailed + 1))
		else
			echo "FAIL $where/$name: no figure (${line:-no line at all})"
			failed=$((failed + 1))
		fi
	done
}

# Natively the Rust program is at its build path; under Persona at
# /bench/ of the --root tree.
if [ ${#RARGS[@]} -gt 0 ]; then
	"$B/bench" -q -r "$work/root/bench/bench-rust-start" >"$work/native" 2>"$work/native.err"
else
	"$B/bench" -q >"$work/native" 2>"$work/native.err"
fi
judge native "$work/native" $?

if [ -x "$PERSONA" ]; then
	# fork_exec_wait executes the program from the guest's filesystem.
	cp "$B/bench" "$work/root/bench/"
	"$PERSONA" run --root "$work/root" "$B/bench" -q -e /bench/bench "${RARGS[@]}" \
		>"$work/persona" 2>"$work/persona.err"
	judge persona "$work/persona" $?
else
	echo "skip persona: $PERSONA not built (make)"
	skipped=$((skipped + 1))
fi

line="$passed passed, $failed failed"
[ $xfailed -gt 0 ] && line="$line, $xfailed xfail"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
