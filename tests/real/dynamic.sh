#!/usr/bin/env bash
# Real dynamically linked programs: Debian's own bash, coreutils, findutils,
# grep, sed, mawk, gzip, tar, perl and util-linux's flock, as the
# distribution builds them,
# copied into a guest tree without their libraries.  Each case is a bash
# script run natively (the copies, from the tree's directory) and as
# `PERSONA run --root ROOT /bin/bash -c SCRIPT`, where Persona must bring
# in the dynamic loader and every library the programs need; stdout and
# exit status must agree.
#
#   tests/real/dynamic.sh PERSONA [FILTER]
#
# PERSONA_RUN_ARGS adds options to every `persona run` (--backend sel4),
# PERSONA_TEST_PREFIX prefixes the test names.  The last line is
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
PERSONA=${1:?usage: tests/real/dynamic.sh PERSONA [FILTER]}
FILTER=${2:-}
case $PERSONA in /*) ;; *) PERSONA=$TOP/$PERSONA ;; esac
TIMEOUT=${PERSONA_TEST_TIMEOUT:-120}
LABEL=${SUITE_LABEL:-dynamic programs under $PERSONA}
CMP_EXPECT=$TOP/tests/expectations.txt
. "$TOP/tests/lib/compare.sh"
cmp_init "$LABEL"

PROGS="bash sort uniq head tail sha256sum md5sum seq tr cut od date wc ls cat find grep sed mawk gzip tar xargs expr printf perl flock rm sleep true"
work=$(mktemp -d /tmp/persona-dynamic.XXXXXX)
trap 'rm -rf "$work"' EXIT
ROOT=$work/root
mkdir -p "$ROOT/bin" "$ROOT/data/tree/sub"
for p in $PROGS; do
	src=$(PATH=/usr/bin:/bin type -P "$p")
	if [ -z "$src" ] || [ "${src#/}" = "$src" ]; then
		cmp_skip "dynamic" "$p is not installed (apt-get install -y coreutils findutils grep sed mawk gzip tar perl-base util-linux)"
		cmp_summary
		exit 0
	fi
	cp -L "$src" "$ROOT/bin/$p"
done
if ! file -L "$ROOT/bin/bash" 2>/dev/null | grep -q 'dynamically linked'; then
	# Without file(1) the check is the loader's own
	head -c 4096 "$ROOT/bin/bash" | grep -q 'ld-linux' ||
		{ cmp_skip dynamic "the host's bash is not dynamically linked"; cmp_summary; exit 0; }
fi

. "$TOP/tests/lib/inputs.sh"
make_inputs "$ROOT/data" 102400

ENV=(env -i HOME=/tmp LANG=C)
PENV=("${ENV[@]}" PATH=/bin)
[ -n "${PERSONA_RUN_ARGS:-}" ] && PENV+=("PERSONA_SEL4=${PERSONA_SEL4:-$HOME/sel4-build}")

# dyntest NAME SCRIPT: SCRIPT runs in bash with the tree's programs first
# on PATH and the tree as its working directory (the guest's / under
# Persona), so data/... names the same files on both sides.
dyntest() {
	local name=${PERSONA_TEST_PREFIX:-}dynamic/$1 script=$2
	case $name in *"$FILTER"*) ;; *) return ;; esac
	(cd "$ROOT" && timeout -k 5 "$TIMEOUT" "${ENV[@]}" PATH="$ROOT/bin" "$ROOT/bin/bash" -c "$script") \
		</dev/null >"$work/native.out" 2>"$work/native.err"
	echo $? >"$work/native.status"
	(cd /tmp && timeout -k 5 "$TIMEOUT" "${PENV[@]}" "$PERSONA" run ${PERSONA_RUN_ARGS:-} \
		--root "$ROOT" /bin/bash -c "$script") \
		</dev/null >"$work/persona.out" 2>"$work/persona.err"
	echo $? >"$work/persona.status"
	local ok=1
	[ -s "$work/native.out" ] || ok=0
	cmp_verdict "$name" "$work" $ok || true
}

dyntest coreutils-pipeline 'sort data/fruit | uniq -c | sort -rn | head -n 3; tail -n 1 data/text'
dyntest checksums 'sha256sum data/blob; md5sum data/text data/fruit'
dyntest text 'tr a-z A-Z <data/text | cut -c1-12; od -A x -t x1 data/fruit | head -n 2; wc data/text'
dyntest seq-mawk 'seq 1 100 | mawk "{ s += \$1 } END { print s, NR }"; seq -s, 5 -1 1'
dyntest grep-sed 'grep -c -i the data/text; grep -n an data/fruit; sed "s/a/A/g; 3q" data/fruit'
dyntest find-ls 'find data -type f | sort; ls data data/tree'
dyntest gzip-tar 'gzip -c -9 data/blob | gzip -dc | sha256sum; tar cf - -C data tree | tar tf - | sort'
dyntest xargs-expr 'printf "%s\n" 3 4 5 | xargs expr 1 +; printf "%05d|%-4s|%x\n" 42 ab 255'
dyntest date 'date -u -d @86400 "+%Y-%m-%d %H:%M:%S %A"'
dyntest perl 'perl -e '\''my %n; $n{$_}++ for split /\n/, `cat data/fruit`; print join(",", map { "$_=$n{$_}" } sort keys %n), "\n"; printf "%.3f\n", atan2(1, 1) * 4'\'''
dyntest bash-language 'declare -A c; for w in $(cat data/fruit); do c[$w]=$(( ${c[$w]:-0} + 1 )); done
	for k in $(printf "%s\n" "${!c[@]}" | sort); do echo "$k ${c[$k]}"; done
	f() { local x=$1; (( x <= 1 )) && { echo 1; return; }; echo $(( x * $(f $((x - 1))) )); }; f 10
	diff_lines=$(sort data/fruit | uniq | wc -l); echo "distinct $diff_lines"
	while read -r l; do echo "${#l}"; done <data/text
	echo "$(seq 3 | tr "\n" " ")"; exit 5'
dyntest bash-jobs 'sleep 0.1 & p=$!; sort data/fruit >/tmp/s & wait $p; wait; head -n 2 /tmp/s
	cat <(seq 2) <(echo x); trap "echo trapped" EXIT'
# flock(1): three holders in turn never interleave; while one holds the
# lock, -n fails at once and -w gives up after its timeout (a POSIX timer
# ending the wait); the holder signals it is in through a file, so no
# timing is assumed.
dyntest flock 'rm -f data/lk data/log data/held
	for n in 1 2 3; do flock data/lk bash -c "echo start >>data/log; sleep 0.1; echo end >>data/log" & done; wait
	tr "\n" " " <data/log; echo
	flock data/lk bash -c ": >data/held; sleep 3" &
	while [ ! -e data/held ]; do sleep 0.05; done
	flock -n data/lk true; echo "flock -n while held: $?"
	flock -w 0.2 data/lk true; echo "flock -w 0.2 while held: $?"
	wait; flock -n data/lk true; echo "after: $?"'

cmp_summary
