#!/usr/bin/env bash
# The system-call fuzzer (tests/fuzz/fuzz.c) against the server built with
# ASan and UBSan.
#
#   scripts/fuzz.sh [--long] [PERSONA]
#
# PERSONA defaults to build/asan/persona.  Each seed is one run of
# `PERSONA run $PERSONA_RUN_ARGS build/fuzz/fuzz SEED CALLS`
# (PERSONA_RUN_ARGS="--backend sel4": the root task on seL4 in QEMU); it passes when the server ends
# normally with the fuzzer's exit status 0 and its figures line, within
# the time limit, with no sanitizer report on its stderr.  Anything else
# (a server crash, a report, a server that stops answering) fails it.
# Default: seeds 1-3, 20,000 calls each (the budget of scripts/test.sh).
# --long: seeds 1-20, 100,000 calls each (2 million calls, several
# minutes).  The last lines give the totals and "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
SEEDS="1 2 3" CALLS=20000 LIMIT=300
if [ "${1:-}" = --long ]; then
	SEEDS=$(seq 1 20) CALLS=100000 LIMIT=1800
	shift
fi
PERSONA=${1:-build/asan/persona}
case $PERSONA in /*) ;; *) PERSONA=$PWD/$PERSONA ;; esac
read -r -a RUN_ARGS <<<"${PERSONA_RUN_ARGS:-}"
# persona finds the seL4 kernel build through PERSONA_SEL4 (env -i below).
SEL4=${PERSONA_SEL4:-$HOME/sel4-build}
FUZZ=$PWD/build/fuzz/fuzz
passed=0 failed=0 calls=0 died=0 killed=0
work=$(mktemp -d /tmp/persona-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$PERSONA" ]; then
	echo "fuzz: $PERSONA not built (make asan)"
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p build/fuzz
if [ ! "$FUZZ" -nt tests/fuzz/fuzz.c ] &&
	! gcc -static -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$FUZZ" tests/fuzz/fuzz.c; then
	echo "fuzz: tests/fuzz/fuzz.c did not build"
	echo "0 passed, 1 failed"
	exit 1
fi
# Draw most calls from what the server implements.
FUZZ_CALLS=$("$PERSONA" syscalls | awk -F'|' '$5 ~ /full|partial/ { gsub(/ /, "", $2); printf "%s,", $2 }')
export FUZZ_CALLS

for seed in $SEEDS; do
	start=$(date +%s)
	(cd /tmp && timeout -k 5 "$LIMIT" env -i PATH=/usr/bin:/bin PERSONA_SEL4="$SEL4" FUZZ_CALLS="$FUZZ_CALLS" \
		"$PERSONA" run "${RUN_ARGS[@]}" "$FUZZ" "$seed" "$CALLS" \
		</dev/null >"$work/out" 2>"$work/err")
	status=$?
	secs=$(($(date +%s) - start))
	line=$(grep -a '^fuzz: seed' "$work/out" | tail -n 1)
	why=
	if grep -qaE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined)Sanitizer|[^ ]+:[0-9]+:[0-9]+: runtime error: )' "$work/err"; then
		why="sanitizer report"
	elif [ $status = 124 ] || [ $status = 137 ]; then
		why="the server stopped answering (no end within ${LIMIT}s)"
	elif [ $status != 0 ] || [ -z "$line" ]; then
		why="exit status $status, no figures"
	fi
	if [ -z "$why" ]; then
		echo "ok   seed $seed (${secs}s): ${line#fuzz: seed $seed: }"
		passed=$((passed + 1))
		set -- $(sed -E 's/.*: ([0-9]+) calls in .*, ([0-9]+) died of a signal, ([0-9]+) killed.*/\1 \2 \3/' <<<"$line")
		calls=$((calls + $1)) died=$((died + $2)) killed=$((killed + $3))
	else
		echo "FAIL seed $seed (${secs}s): $why"
		grep -av 'persona: warning: \(system call\|unknown system call\)' "$work/err" | tail -n 25 | sed 's/^/     /'
		failed=$((failed + 1))
	fi
done
echo "fuzz: $calls calls, $failed server failures, $died batches died of a signal, $killed killed (server: $PERSONA ${RUN_ARGS[*]})"
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
