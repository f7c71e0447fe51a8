#!/usr/bin/env bash
# Run every guest test natively and under Persona and compare.
#
#   tests/run-guests.sh PERSONA [FILTER]
#
# PERSONA is the server binary (build/persona or build/asan/persona).  Each
# program in build/guests/{glibc,musl,rust}/ is run twice with the same
# arguments, environment and stdin (</dev/null): natively and as
# `PERSONA run PROGRAM ARGS...`.  Stdout and the exit status must agree.
# Stderr is not compared (it carries diagnostics), but is shown on failure.
# FILTER, if given, is a substring a test's name must contain.
#
# Known gaps live in tests/expectations.txt, one line per test:
#   <test-name> <reason>
# such a test failing prints "xfail" and does not count; passing prints
# "XPASS" and counts as a failure, so the list stays honest.
# The last line is "N passed, N failed" (", N xfail" may follow).
set -u
cd "$(dirname "$0")/.." || exit 1
PERSONA=${1:?usage: tests/run-guests.sh PERSONA [FILTER]}
FILTER=${2:-}
GUESTS=${GUEST_OUT:-build/guests}
TIMEOUT=${PERSONA_TEST_TIMEOUT:-60}
EXPECT=tests/expectations.txt
LABEL=${SUITE_LABEL:-guests under $PERSONA}

work=$(mktemp -d /tmp/persona-guests.XXXXXX)
trap 'rm -rf "$work"' EXIT
ulimit -c 0 # abort tests must not leave core files

# The environment every guest sees, natively and under Persona.
ENV=(env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C PERSONA_TEST=guest)
# The server gets the same environment and passes it to the program, so
# sanitizer options cannot be given to build/asan/persona without the
# program seeing them: the sanitizer builds run with their defaults (leak
# detection on).
PENV=("${ENV[@]}")
ARGS=(alpha "beta gamma" "")

expected_reason() {
	[ -f "$EXPECT" ] || return 1
	awk -v t="$1" '$1 == t { $1 = ""; sub(/^ /, ""); print; found = 1 } END { exit !found }' "$EXPECT"
}

case $PERSONA in /*) ;; *) PERSONA=$PWD/$PERSONA ;; esac
passed=0 failed=0 xfailed=0
if [ ! -x "$PERSONA" ]; then
	echo "run-guests: $PERSONA not built" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi
tests=()
for flavour in glibc musl rust; do
	for bin in "$GUESTS/$flavour"/*; do
		[ -f "$bin" ] && [ -x "$bin" ] || continue
		name=$flavour/$(basename "$bin")
		case $name in *"$FILTER"*) tests+=("$name") ;; esac
	done
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run-guests: no guest programs in $GUESTS (run tests/build-guests.sh)" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi

for name in "${tests[@]}"; do
	bin=$GUESTS/$name
	(cd /tmp && timeout -k 5 "$TIMEOUT" "${ENV[@]}" "$OLDPWD/$bin" "${ARGS[@]}" \
		</dev/null >"$work/native.out" 2>"$work/native.err") 2>/dev/null
	nstat=$?
	(cd /tmp && timeout -k 5 "$TIMEOUT" "${PENV[@]}" "$PERSONA" run "$OLDPWD/$bin" "${ARGS[@]}" \
		</dev/null >"$work/persona.out" 2>"$work/persona.err") 2>/dev/null
	pstat=$?
	ok=1
	cmp -s "$work/native.out" "$work/persona.out" || ok=0
	[ "$nstat" = "$pstat" ] || ok=0
	# a sanitizer report from the server fails the test even if the
	# client's output happened to agree
	grep -qE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined)Sanitizer|[^ ]+:[0-9]+:[0-9]+: runtime error: )' \
		"$work/persona.err" && ok=0
	if reason=$(expected_reason "$name"); then
		if [ $ok = 1 ]; then
			echo "XPASS $name (listed in $EXPECT: $reason)"
			failed=$((failed + 1))
		else
			echo "xfail $name ($reason)"
			xfailed=$((xfailed + 1))
		fi
		continue
	fi
	if [ $ok = 1 ]; then
		echo "ok   $name"
		passed=$((passed + 1))
		continue
	fi
	echo "FAIL $name: status native $nstat, persona $pstat"
	diff -u --label native "$work/native.out" --label persona "$work/persona.out" |
		head -n "${PERSONA_DIFF_LINES:-40}" | sed 's/^/     /'
	if [ -s "$work/persona.err" ]; then
		echo "     --- persona stderr (last lines):"
		tail -n 15 "$work/persona.err" | sed 's/^/     /'
	fi
	failed=$((failed + 1))
done

summary="$passed passed, $failed failed"
[ $xfailed -gt 0 ] && summary="$summary, $xfailed xfail"
echo "$LABEL: $summary"
[ $failed -eq 0 ]
