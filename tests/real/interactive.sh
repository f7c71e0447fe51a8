#!/usr/bin/env bash
# An interactive shell typed on a terminal: Debian's busybox `sh -i` run on
# a pseudo-terminal (util-linux's `script`), natively and as
# `PERSONA run --root ROOT /bin/sh -i`, with the same lines typed at the
# same pace: commands, a background job and its "Done" notice, `kill %1`,
# a ^C that must end the foreground `sleep` and leave the shell alive, and
# a ^Z that must stop it (job control) so that the shell can kill it, a
# background job reading the terminal (SIGTTIN) or writing to it with
# `stty tostop` (SIGTTOU) stopped, as the shell then reports.
#
#   tests/real/interactive.sh PERSONA
#
# What a terminal shows depends on timing (echo, prompts), so each case
# lists the lines that must appear; the report of which were
# found is what native and Persona runs must agree on (tests/lib/compare.sh
# judges it, with the exit status).  The last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
PERSONA=${1:?usage: tests/real/interactive.sh PERSONA}
LABEL=${SUITE_LABEL:-interactive shell under $PERSONA}
BUSYBOX=${BUSYBOX:-/bin/busybox}
. tests/lib/compare.sh
cmp_init "$LABEL"

case $PERSONA in /*) ;; *) PERSONA=$PWD/$PERSONA ;; esac
if ! command -v script >/dev/null 2>&1; then
	cmp_skip interactive "util-linux's script is not installed (apt-get install -y bsdutils)"
	cmp_summary
	exit
fi
if [ ! -x "$BUSYBOX" ]; then
	cmp_skip interactive "no $BUSYBOX (apt-get install -y busybox-static)"
	cmp_summary
	exit
fi

work=$(mktemp -d /tmp/persona-interactive.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin"
cp "$BUSYBOX" "$root/bin/busybox"
for a in sh echo sleep kill cat stty; do ln -s busybox "$root/bin/$a"; done

# feed FILE: type each line of FILE; "@ SECONDS" lines wait, "^C" and
# "^Z" type those keys.
feed() {
	sleep 1
	while IFS= read -r line; do
		case $line in
		"@ "*) sleep "${line#@ }" ;;
		"^C") printf '\003' ;;
		"^Z") printf '\032' ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$1"
}

# script runs the command through $SHELL -c; `exec` keeps that shell from
# staying in the terminal's foreground group, where a ^C meant for the
# program would kill it (dash does not exec the last command by itself).
# run_case NAME INPUT EXPECT: EXPECT holds extended regexps, one a line.
run_case() {
	local name=$1 input=$2 expect=$3 side cmd
	local dir=$work/$name
	mkdir -p "$dir"
	for side in native persona; do
		if [ $side = native ]; then
			cmd="cd $root && exec env -i PATH=$root/bin HOME=/ TERM=dumb $root/bin/sh -i"
		else
			cmd="exec env -i PATH=/bin HOME=/ TERM=dumb $PERSONA run --root $root /bin/sh -i"
		fi
		local t0=$SECONDS
		feed "$input" | timeout 60 script -qfec "$cmd" /dev/null >"$dir/$side.raw" 2>"$dir/$side.err"
		echo $? >"$dir/$side.status"
		local took=$((SECONDS - t0))
		tr -d '\r' <"$dir/$side.raw" >"$dir/$side.txt"
		# Which expected lines appeared (anywhere: when a job notice
		# comes relative to the next prompt is a matter of timing).
		awk -v took="$took" 'NR == FNR { want[++n] = $0; next }
			{ for (k = 1; k <= n; k++) if ($0 ~ want[k]) seen[k] = 1 }
			END { for (k = 1; k <= n; k++) print (seen[k] ? "found   " : "missing ") want[k]
			      print (took < 30 ? "finished in time" : "took too long") }' \
			"$expect" "$dir/$side.txt" >"$dir/$side.out"
		cat "$dir/$side.txt" >>"$dir/$side.err"
	done
	local ok=1
	grep -q '^missing\|too long' "$dir/native.out" && ok=0
	cmp_verdict "interactive/$name" "$dir" $ok
}

cat >"$work/basic.in" <<'EOF'
echo sum $((40 + 2))
@ 0.5
sleep 0.2 & wait; echo bg done
@ 1
echo "[$(echo sub)]"
@ 0.5
exit 4
EOF
cat >"$work/basic.want" <<'EOF'
^sum 42$
^bg done$
Done +sleep 0.2
^\[sub\]$
EOF
run_case basic "$work/basic.in" "$work/basic.want"

cat >"$work/ctrlc.in" <<'EOF'
sleep 30; echo not reached
@ 1.5
^C
@ 1
echo alive
@ 0.5
exit 5
EOF
cat >"$work/ctrlc.want" <<'EOF'
^alive$
EOF
run_case ctrl-c "$work/ctrlc.in" "$work/ctrlc.want"

cat >"$work/jobs.in" <<'EOF'
sleep 30 &
@ 0.5
kill %1
@ 1
echo after kill
@ 0.5
exit 0
EOF
cat >"$work/jobs.want" <<'EOF'
Terminated +sleep 30
^after kill$
EOF
run_case jobs "$work/jobs.in" "$work/jobs.want"

cat >"$work/ctrlz.in" <<'EOF'
sleep 30
@ 1.5
^Z
@ 1
jobs
@ 0.5
kill -9 %1
@ 1
echo still here
@ 0.5
exit 0
EOF
cat >"$work/ctrlz.want" <<'EOF'
Stopped +sleep 30
Killed +sleep 30
^still here$
EOF
run_case ctrl-z "$work/ctrlz.in" "$work/ctrlz.want"

cat >"$work/ttin.in" <<'EOF'
cat &
@ 1
jobs
@ 0.5
kill -9 %1
@ 1
echo after ttin
@ 0.5
exit 0
EOF
cat >"$work/ttin.want" <<'EOF'
Stopped \(tty input\) +cat
^after ttin$
EOF
run_case ttin "$work/ttin.in" "$work/ttin.want"

cat >"$work/ttou.in" <<'EOF'
stty tostop
@ 0.5
sh -c 'echo out from bg' &
@ 1
jobs
@ 0.5
stty -tostop
@ 0.5
kill -9 %1
@ 1
echo after ttou
@ 0.5
exit 0
EOF
cat >"$work/ttou.want" <<'EOF'
Stopped \(tty output\) +sh -c
^after ttou$
EOF
run_case ttou "$work/ttou.in" "$work/ttou.want"

cmp_summary
