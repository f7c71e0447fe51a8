# bash: reading files line by line, IFS splitting, here-documents,
# $'...' strings, printf %q, redirections of a whole loop.
cat >tmp/people <<'END'
alice 30 paris
bob 25 rome
carol 35 oslo
END
while read -r name age city; do
	printf '%-6s|%3d|%s\n' "$name" "$age" "${city^}"
done <tmp/people
oldest= max=0
while read -r name age _; do
	if ((age > max)); then max=$age oldest=$name; fi
done <tmp/people
echo "oldest: $oldest ($max)"
while IFS=: read -r k v; do echo "[$k]=[$v]"; done <<'END'
key:value
spaces : kept
END
{ echo a; echo b; } >tmp/two
while read -r l; do echo "got $l"; done <tmp/two >tmp/copy
cat tmp/copy
s=$'tab\there\nnewline'
printf '%q\n' "$s"
printf '%s\n' "${s@Q}"
exec 5<tmp/people
read -r first <&5
read -r second <&5
exec 5<&-
echo "fd 5: ${first%% *} ${second%% *}"
read -r -d '' whole <tmp/two; echo "read -d '': $(printf '%s' "$whole" | tr '\n' ',')"
wc -l <tmp/people
rm -f tmp/people tmp/two tmp/copy
