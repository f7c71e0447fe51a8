#!/usr/bin/env bash
# Real programs: Debian's busybox-static applets, each run natively and
# under Persona with the same input; stdout and exit status must agree.
#
#   tests/real/busybox.sh PERSONA [FILTER]
#
# Each case is one applet (shell scripts with pipelines and jobs are
# tests/real/shell.sh's), so pipelines here are built on the host side:
# each stage is its own busybox run.  Each case is a shell snippet in which $BB stands for the
# busybox command: "/bin/busybox" natively, "PERSONA run --root ROOT
# /bin/busybox" under Persona.  Input files live in ROOT/data (ROOT also
# holds bin/busybox); both runs start in ROOT and name them data/...
# The runner's expectations list (tests/expectations.txt) applies here too,
# with test names "busybox/<case>".
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
PERSONA=${1:?usage: tests/real/busybox.sh PERSONA [FILTER]}
FILTER=${2:-}
case $PERSONA in /*) ;; *) PERSONA=$TOP/$PERSONA ;; esac
EXPECT=$TOP/tests/expectations.txt
TIMEOUT=${PERSONA_TEST_TIMEOUT:-60}
LABEL=${SUITE_LABEL:-busybox under $PERSONA}
BUSYBOX=${BUSYBOX:-/bin/busybox}

if [ ! -x "$BUSYBOX" ]; then
	echo "busybox: $BUSYBOX not found (apt-get install busybox-static)" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$PERSONA" ]; then
	echo "busybox: $PERSONA not built" >&2
	echo "$LABEL: 0 passed, 1 failed"
	exit 1
fi

work=$(mktemp -d /tmp/persona-busybox.XXXXXX)
trap 'rm -rf "$work"' EXIT
ROOT=$work/root
mkdir -p "$ROOT/bin" "$ROOT/data/tree/sub" "$ROOT/tmp"
cp "$BUSYBOX" "$ROOT/bin/busybox"

# --- inputs ---
# fruit, text, a 200 KiB blob and a small tree; then this suite's own
. "$TOP/tests/lib/inputs.sh"
make_inputs "$ROOT/data" 204800
printf '10\n9\n100\n-3\n42\n7\n9\n0\n' >"$ROOT/data/nums"
printf 'name,age,city\nalice,30,paris\nbob,25,rome\ncarol,35,oslo\n' >"$ROOT/data/people.csv"
printf 'x' >"$ROOT/data/tree/c"

ENV=(env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C)
# The server gets the same environment and passes it to the program, so
# sanitizer options cannot be given to build/asan/persona without the
# program seeing them: the sanitizer builds run with their defaults (leak
# detection on).
PENV=("${ENV[@]}")
# The seL4 front end finds its kernel through PERSONA_SEL4 (and keeps it
# out of the program's environment); the clean HOME above would hide the
# default.
[ -n "${PERSONA_RUN_ARGS:-}" ] && PENV+=("PERSONA_SEL4=${PERSONA_SEL4:-$HOME/sel4-build}")
# PERSONA_RUN_ARGS adds options to every `persona run` (the seL4 suite
# passes --backend sel4); PERSONA_TEST_PREFIX prefixes the test names, so
# that tests/expectations.txt can list gaps of one backend only.

# The verdict rules (stdout, status, sanitizer reports, expectations).
CMP_EXPECT=$EXPECT
. "$TOP/tests/lib/compare.sh"
cmp_init "$LABEL"

# run_side SIDE SNIPPET BB...: run the snippet with $BB set; stdout to
# $work/SIDE.out, stderr to $work/SIDE.err, status to $work/SIDE.status.
run_side() {
	local side=$1 snippet=$2
	shift 2
	(
		cd "$ROOT" || exit 99
		BB="$*"
		# shellcheck disable=SC2034 # BB is read by the eval below
		eval "$snippet"
	) </dev/null >"$work/$side.out" 2>"$work/$side.err"
	echo $? >"$work/$side.status"
}

# bbtest NAME SNIPPET [empty-ok]
bbtest() {
	local name=${PERSONA_TEST_PREFIX:-}busybox/$1 snippet=$2
	case $name in *"$FILTER"*) ;; *) return ;; esac
	run_side native "$snippet" timeout -k 5 "$TIMEOUT" "${ENV[@]}" "$BUSYBOX"
	run_side persona "$snippet" timeout -k 5 "$TIMEOUT" "${PENV[@]}" \
		"$PERSONA" run ${PERSONA_RUN_ARGS:-} --root "$ROOT" /bin/busybox
	# an empty native output means the case itself is broken
	local ok=1
	[ -s "$work/native.out" ] || [ "${3:-}" = empty-ok ] || ok=0
	cmp_verdict "$name" "$work" $ok || true
}

# --- cases: stdin fed from the host ---
bbtest sha256sum-stdin '$BB sha256sum <data/blob'
bbtest md5sum-stdin '$BB md5sum <data/text'
bbtest sort '$BB sort <data/fruit'
bbtest sort-n '$BB sort -n <data/nums'
bbtest sort-rn '$BB sort -r -n <data/nums'
bbtest sort-u '$BB sort -u <data/fruit'
bbtest uniq '$BB sort <data/fruit | $BB uniq -c'
bbtest wc '$BB wc <data/text'
bbtest wc-blob '$BB wc -c <data/blob'
bbtest awk '$BB awk -F, '\''NR > 1 { sum += $2; n++; print toupper($1), $3 } END { printf "avg %.2f\n", sum / n }'\'' <data/people.csv'
bbtest sed-s '$BB sed "s/quick/slow/g; s/o/0/g" <data/text'
bbtest sed-n '$BB sed -n "2,3p" <data/text'
bbtest grep-c '$BB grep -c -i the <data/text'
bbtest grep-v '$BB grep -v a <data/fruit'
bbtest grep-E '$BB grep -E "^(apple|fig)$" <data/fruit'
bbtest grep-none '$BB grep nothing-matches <data/fruit; echo "status $?"'
bbtest tr '$BB tr a-z A-Z <data/text'
bbtest tr-d '$BB tr -d aeiou <data/text'
bbtest cut '$BB cut -d, -f1,3 <data/people.csv'
bbtest head '$BB head -n 2 <data/text'
bbtest tail '$BB tail -n 2 <data/text'
bbtest base64 '$BB base64 <data/text'
bbtest base64-roundtrip '$BB base64 <data/blob | $BB base64 -d | $BB sha256sum'
bbtest od '$BB od -A x -t x1 -c <data/text'
bbtest seq '$BB seq 1 3 20'
bbtest expr '$BB expr 6 \* 7 + 1'
bbtest printf '$BB printf "%05d|%-6s|%x|%s\n" 42 ab 255 "two words"'
bbtest gzip-bytes '$BB gzip -c -9 <data/blob | $BB sha256sum'
bbtest gzip-roundtrip '$BB gzip -c <data/text >"$work/out.gz.$$" && $BB gunzip -c <"$work/out.gz.$$"'
bbtest sh-builtins '$BB sh -c '\''
	x=3; y=4; echo "sum $((x + y)) product $((x * y))"
	i=0; while [ $i -lt 5 ]; do i=$((i + 1)); printf "%d," $i; done; echo
	for w in alpha beta gamma; do
		case $w in a*) echo "$w starts with a" ;; *a) echo "$w ends with a" ;; esac
	done
	fact() { if [ $1 -le 1 ]; then r=1; else fact $(($1 - 1)); r=$((r * $1)); fi; }
	fact 10; echo "10! = $r"
	s="a:b:c"; IFS=:; set -- $s; echo "fields $# second $2"
	test -z "" && echo "empty string tests true"
	exit 3'\'''

# --- cases: files from the --root tree ---
bbtest sha256sum-file '$BB sha256sum data/blob data/text'
bbtest md5sum-file '$BB md5sum data/fruit'
bbtest cat-files '$BB cat data/fruit data/nums'
bbtest wc-files '$BB wc -l data/fruit data/text'
bbtest missing-file '$BB cat data/no-such-file; echo "status $?"'
bbtest tar-list '$BB tar cf - -C data tree | $BB tar tf - | $BB sort'
bbtest tar-roundtrip '$BB tar cf - -C data tree | $BB tar xOf - tree/sub/b'
bbtest tar-tmp '$BB tar cf /tmp/t.tar -C data tree; echo "status $?"'
bbtest ls '$BB ls data/tree data/tree/sub'

cmp_summary
