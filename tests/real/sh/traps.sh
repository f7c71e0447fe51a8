# busybox sh: traps on signals and EXIT, a child with its own trap.
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap - USR1
trap 'echo "in the EXIT trap, status $?"' EXIT
rm -f tmp/ready
(
	trap 'echo "child got TERM"; exit 3' TERM
	: >tmp/ready
	while :; do sleep 0.05; done
) &
p=$!
while [ ! -e tmp/ready ]; do sleep 0.05; done
kill -TERM $p
wait $p; echo "child status $?"
( trap 'echo "subshell EXIT trap"' EXIT; echo "in subshell" )
trap '' INT
sh -c 'kill -INT $$; echo "an ignored INT is inherited: still alive"'
trap - INT
rm -f tmp/ready
exit 4
