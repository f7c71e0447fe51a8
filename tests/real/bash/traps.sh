# bash: traps (EXIT, ERR, RETURN, a signal from ourselves and from a
# child), background jobs and wait.
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "ERR trap for status $?"' ERR
false
trap - ERR
f() { trap 'echo "RETURN trap"' RETURN; echo "in f"; }
f
trap - RETURN
trap 'echo "got USR2 from a child"' USR2
bash -c "kill -USR2 $$"
wait 2>/dev/null
rm -f tmp/ready
(
	trap 'echo "child: TERM"; exit 5' TERM
	: >tmp/ready
	while :; do sleep 0.05; done
) &
child=$!
while [ ! -e tmp/ready ]; do sleep 0.05; done
kill $child
wait $child; echo "child exit $?"
sleep 30 &
s=$!
kill -KILL $s
wait $s; echo "killed sleep: $?"
(exit 11) & a=$!
(sleep 0.1; exit 12) & b=$!
wait $a; ra=$?
wait $b; rb=$?
echo "statuses $ra $rb"
# The slower job waits for tmp/go, made only after wait -n returns, so
# which job ends first does not depend on how fast fork is (under QEMU's
# TCG a fork can take longer than any fixed sleep).
rm -f tmp/go
(while [ ! -e tmp/go ]; do sleep 0.05; done; exit 21) &
(exit 22) &
wait -n; echo "wait -n: first finished gave $?"
: >tmp/go
wait
echo "jobs left: $(jobs -p | wc -l)"
rm -f tmp/ready tmp/go
exit 2
