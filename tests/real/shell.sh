#!/usr/bin/env bash
# Real shells: Debian's busybox sh and bash (bash-static) running scripts
# that fork and exec all the time (pipelines, command substitution,
# subshells, background jobs, wait, kill, traps), natively and under
# Persona; stdout and exit status must agree.
#
#   tests/real/shell.sh PERSONA [FILTER]
#
# The guest root ROOT holds bin/busybox with applet symlinks, bin/bash,
# the scripts of tests/real/sh/ (run by /bin/sh) in sh/ and those of
# tests/real/bash/ (run by /bin/bash) in bash/, and an empty tmp/.  Both
# runs start in ROOT with the script named by the same relative path:
#   natively   cd ROOT; env -i PATH=ROOT/bin ... ROOT/bin/sh sh/NAME.sh
#   Persona    cd ROOT; env -i PATH=/bin ... PERSONA run --root ROOT /bin/sh sh/NAME.sh
# (the guest starts in /, which is ROOT).  Scripts print nothing that
# differs between runs (no pids, no absolute paths) and write only under
# tmp/, which is emptied before each run.  Test names are shell/sh/NAME
# and shell/bash/NAME, prefixed by PERSONA_TEST_PREFIX; PERSONA_RUN_ARGS
# adds options to every `persona run` (the seL4 suite passes --backend
# sel4), as in tests/real/busybox.sh.  tests/expectations.txt applies.
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
PERSONA=${1:?usage: tests/real/shell.sh PERSONA [FILTER]}
FILTER=${2:-}
case $PERSONA in /*) ;; *) PERSONA=$TOP/$PERSONA ;; esac
TIMEOUT=${PERSONA_TEST_TIMEOUT:-60}
LABEL=${SUITE_LABEL:-shell under $PERSONA}
BUSYBOX=${BUSYBOX:-/bin/busybox}
BASH_STATIC=${BASH_STATIC:-/bin/bash-static}

CMP_EXPECT=$TOP/tests/expectations.txt
. "$TOP/tests/lib/compare.sh"
cmp_init "$LABEL"

if [ ! -x "$PERSONA" ]; then
	echo "shell: $PERSONA not built" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi

work=$(mktemp -d /tmp/persona-shell.XXXXXX)
trap 'rm -rf "$work"' EXIT
ROOT=$work/root
mkdir -p "$ROOT/bin" "$ROOT/tmp" "$ROOT/sh" "$ROOT/bash"

# Which shells can run: a missing one skips its scripts, each on its own
# line.
have_sh=1 have_bash=1
if [ -x "$BUSYBOX" ]; then
	cp "$BUSYBOX" "$ROOT/bin/busybox"
	for a in sh cat echo ls sleep kill sort uniq wc tr sed grep head tail seq md5sum \
		yes printf true false test expr cut paste diff rm env mkfifo; do
		ln -s busybox "$ROOT/bin/$a"
	done
else
	have_sh=0
fi
if [ -x "$BASH_STATIC" ]; then
	cp "$BASH_STATIC" "$ROOT/bin/bash"
else
	have_bash=0
fi
cp tests/real/sh/*.sh "$ROOT/sh/"
cp tests/real/bash/*.sh "$ROOT/bash/"

ENV=(env -i HOME=/ LANG=C)
# The server gets the same environment and passes it to the program, so
# sanitizer options cannot be given to build/asan/persona without the
# program seeing them: the sanitizer builds run with their defaults.
PENV=("${ENV[@]}" PATH=/bin)
# The seL4 front end finds its kernel through PERSONA_SEL4 (and keeps it
# out of the program's environment); the clean HOME above would hide the
# default.
[ -n "${PERSONA_RUN_ARGS:-}" ] && PENV+=("PERSONA_SEL4=${PERSONA_SEL4:-$HOME/sel4-build}")
ENV+=(PATH="$ROOT/bin")

# run_side SIDE COMMAND...: run in ROOT with an empty tmp/; stdout, stderr
# and status to $work/SIDE.*.
run_side() {
	local side=$1
	shift
	rm -rf "$ROOT/tmp" && mkdir "$ROOT/tmp"
	(cd "$ROOT" && "$@") </dev/null >"$work/$side.out" 2>"$work/$side.err"
	echo $? >"$work/$side.status"
}

# shtest SHELL SCRIPT: SHELL is sh or bash, SCRIPT a file of ROOT/SHELL/.
shtest() {
	local shell=$1 script=$2 name
	name=${PERSONA_TEST_PREFIX:-}shell/$shell/${script%.sh}
	case $name in *"$FILTER"*) ;; *) return ;; esac
	if [ "$shell" = sh ] && [ $have_sh = 0 ]; then
		cmp_skip "$name" "no $BUSYBOX (apt-get install -y busybox-static)"
		return
	fi
	if [ "$shell" = bash ] && [ $have_bash = 0 ]; then
		cmp_skip "$name" "no $BASH_STATIC (apt-get install -y bash-static)"
		return
	fi
	run_side native timeout -k 5 "$TIMEOUT" "${ENV[@]}" "$ROOT/bin/$shell" "$shell/$script"
	run_side persona timeout -k 5 "$TIMEOUT" "${PENV[@]}" \
		"$PERSONA" run ${PERSONA_RUN_ARGS:-} --root "$ROOT" "/bin/$shell" "$shell/$script"
	# an empty native output means the script itself is broken
	local ok=1
	[ -s "$work/native.out" ] || ok=0
	cmp_verdict "$name" "$work" $ok || true
}

for f in tests/real/sh/*.sh; do
	shtest sh "$(basename "$f")"
done
for f in tests/real/bash/*.sh; do
	shtest bash "$(basename "$f")"
done

cmp_summary
