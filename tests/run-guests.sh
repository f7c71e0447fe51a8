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

# The verdict rules (stdout, status, sanitizer reports, expectations).
CMP_EXPECT=$EXPECT
. tests/lib/compare.sh
cmp_init "$LABEL"

case $PERSONA in /*) ;; *) PERSONA=$PWD/$PERSONA ;; esac
if [ ! -x "$PERSONA" ]; then
	echo "run-guests: $PERSONA not built" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi
tests=()
for flavour in glibc musl rust glibc-dyn rust-dyn; do
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
	echo "$nstat" >"$work/native.status"
	echo "$pstat" >"$work/persona.status"
	cmp_verdict "$name" "$work"
done

cmp_summary
