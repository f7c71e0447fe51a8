# busybox sh: redirections and file descriptors.
rm -f tmp/out tmp/err
echo first >tmp/out
echo second >>tmp/out
cat tmp/out
ls /no/such/dir 2>tmp/err >/dev/null; echo "ls status $?, stderr has $(wc -l <tmp/err) line(s)"
{ echo to-out; echo to-err >&2; } 2>&1 | sort
exec 3>tmp/fd3
echo "via fd 3" >&3
exec 3>&-
cat tmp/fd3
exec 4<tmp/out
read a <&4; read b <&4
exec 4<&-
echo "read from fd 4: $a $b"
while read l; do echo "loop: $l"; done <tmp/out
wc -c <tmp/out
cat <tmp/out | cat - tmp/fd3
echo hidden >/dev/null; echo "after /dev/null"
rm -f tmp/out tmp/err tmp/fd3
