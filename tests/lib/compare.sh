# Shared by the suites that run a program natively and under Persona and
# compare the two (source it; bash).  The rules are those of
# tests/run-guests.sh: stdout and the exit status must agree, stderr is
# only shown on failure, a sanitizer report on the server's stderr fails
# the test, and tests/expectations.txt lists the known gaps ("xfail" when
# a listed test fails, "XPASS" -- a failure -- when it passes).
#
#   cmp_init LABEL            reset the counters
#   cmp_verdict NAME DIR [OK] judge DIR/{native,persona}.{out,err,status}
#                             (OK=0: the caller already found it failed)
#   cmp_skip NAME WHY         a test that could not run
#   cmp_summary               "LABEL: N passed, N failed[, N xfail][, N skipped]";
#                             its status is non-zero if anything failed
# Set CMP_EXPECT to another list than tests/expectations.txt if needed.

CMP_EXPECT=${CMP_EXPECT:-tests/expectations.txt}

cmp_init() {
	cmp_label=$1
	cmp_passed=0 cmp_failed=0 cmp_xfailed=0 cmp_skipped=0
}

# The reason a test is listed for, or status 1 if it is not.
cmp_expected_reason() {
	[ -f "$CMP_EXPECT" ] || return 1
	awk -v t="$1" '$1 == t { $1 = ""; sub(/^ /, ""); print; found = 1 } END { exit !found }' "$CMP_EXPECT"
}

cmp_verdict() {
	local name=$1 dir=$2 ok=${3:-1} nstat pstat reason
	nstat=$(cat "$dir/native.status") pstat=$(cat "$dir/persona.status")
	cmp -s "$dir/native.out" "$dir/persona.out" || ok=0
	[ "$nstat" = "$pstat" ] || ok=0
	grep -qE '^(==[0-9]+==ERROR: |SUMMARY: (Address|Undefined)Sanitizer|[^ ]+:[0-9]+:[0-9]+: runtime error: )' \
		"$dir/persona.err" && ok=0
	if reason=$(cmp_expected_reason "$name"); then
		if [ $ok = 1 ]; then
			echo "XPASS $name (listed in $CMP_EXPECT: $reason)"
			cmp_failed=$((cmp_failed + 1))
		else
			echo "xfail $name ($reason)"
			cmp_xfailed=$((cmp_xfailed + 1))
		fi
		return 0
	fi
	if [ $ok = 1 ]; then
		echo "ok   $name"
		cmp_passed=$((cmp_passed + 1))
		return 0
	fi
	echo "FAIL $name: status native $nstat, persona $pstat"
	diff -u --label native "$dir/native.out" --label persona "$dir/persona.out" |
		head -n "${PERSONA_DIFF_LINES:-40}" | sed 's/^/     /'
	if [ -s "$dir/persona.err" ]; then
		echo "     --- persona stderr (last lines):"
		tail -n 15 "$dir/persona.err" | sed 's/^/     /'
	fi
	cmp_failed=$((cmp_failed + 1))
	return 1
}

cmp_skip() {
	echo "skip $1 ($2)"
	cmp_skipped=$((cmp_skipped + 1))
}

cmp_summary() {
	local s="$cmp_passed passed, $cmp_failed failed"
	[ $cmp_xfailed -gt 0 ] && s="$s, $cmp_xfailed xfail"
	[ $cmp_skipped -gt 0 ] && s="$s, $cmp_skipped skipped"
	echo "$cmp_label: $s"
	[ $cmp_failed -eq 0 ]
}
