#!/usr/bin/env bash
# The server's robustness under its own limits, on the Linux backend:
#
#   tests/robust.sh [PERSONA...]     (default: build/persona build/asan/persona)
#
#   leak      tests/robust/leak.c: 1,200 cycles of a child killed with
#             SIGKILL while blocked (pipe read, futex wait, pipe write,
#             nanosleep, wait4, two threads, unix sockets), then the server's frames,
#             heap, threads and processes (/proc/persona) as before; the
#             heap exactly under ASan (its allocator counts exactly), within 8 KiB
#             under glibc's malloc (whose figure includes the chunks
#             its per-thread caches hold)
#   memlimit  tests/robust/memlimit.c under --memory 16M: the OOM kill of a
#             child with its message, ENOMEM for a request larger than the
#             memory, fork and thread creation EAGAIN at threads-max
# Each check fails on a sanitizer report on the server's stderr too.  The
# last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- build/persona build/asan/persona
passed=0 failed=0
work=$(mktemp -d /tmp/persona-robust.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p build/robust
for t in leak memlimit; do
	if [ ! build/robust/$t -nt tests/robust/$t.c ] &&
		! gcc -static -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
			-o build/robust/$t tests/robust/$t.c; then
		echo "robust: tests/robust/$t.c did not build"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

# judge NAME STATUS WANT_STDERR: pass if the run exited 0, its stderr has
# no sanitizer report and (if given) matches WANT_STDERR.
judge() {
	local name=$1 status=$2 want=$3 why=
	if grep -qaE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined)Sanitizer|[^ ]+:[0-9]+:[0-9]+: runtime error: )' "$work/err"; then
		why="sanitizer report"
	elif [ "$status" != 0 ]; then
		why="exit status $status"
	elif [ -n "$want" ] && ! grep -qa -- "$want" "$work/err"; then
		why="no message matching '$want' on stderr"
	fi
	if [ -z "$why" ]; then
		echo "ok   $name: $(head -n 1 "$work/out")"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $why"
		sed 's/^/     /' "$work/out" | head -n 20
		grep -av '^persona: warning' "$work/err" | tail -n 15 | sed 's/^/     /'
		failed=$((failed + 1))
	fi
}

for p in "$@"; do
	case $p in /*) ;; *) p=$PWD/$p ;; esac
	label=${p#"$PWD"/}
	if [ ! -x "$p" ]; then
		echo "FAIL $label: not built"
		failed=$((failed + 1))
		continue
	fi
	slack=8192
	case $p in */asan/*) slack=0 ;; esac
	(cd /tmp && timeout -k 5 300 env -i PATH=/usr/bin:/bin "$p" run "$OLDPWD/build/robust/leak" 1200 $slack \
		</dev/null >"$work/out" 2>"$work/err")
	judge "$label leak" $? ""
	(cd /tmp && timeout -k 5 120 env -i PATH=/usr/bin:/bin "$p" run --memory 16M "$OLDPWD/build/robust/memlimit" \
		</dev/null >"$work/out" 2>"$work/err")
	judge "$label memlimit" $? "persona: out of memory (all 16 MiB of the guest's memory in use): killed process [0-9]* (memlimit); give the guest more with --memory SIZE"
done
echo "robust: $passed passed, $failed failed"
[ $failed = 0 ]
