# bash: pipelines, PIPESTATUS, pipefail, lastpipe, command substitution,
# read loops, here-strings, mapfile.
printf '3\n1\n2\n' | sort -n | tr '\n' ' '; echo
true | false | true; echo "PIPESTATUS ${PIPESTATUS[*]}"
set -o pipefail
true | false | true; echo "pipefail status $?"
set +o pipefail
total=0
seq 1 10 | while read -r n; do total=$((total + n)); done
echo "a piped loop is a subshell: $total"
shopt -s lastpipe 2>/dev/null
set +m
total=0
seq 1 10 | while read -r n; do total=$((total + n)); done
echo "with lastpipe: $total"
read -r a b rest <<<"alpha beta gamma delta"
echo "here-string: $a / $b / $rest"
IFS=, read -r -a fields <<<"x,y,,z"
echo "${#fields[@]} fields: ${fields[*]}"
mapfile -t lines <<<$'l1\nl2\nl3'
echo "mapfile read ${#lines[@]} lines, last ${lines[2]}"
out=$(for i in 1 2 3; do echo "n$i"; done | paste -sd+ -)
echo "$out"
nested=$(echo "$(echo "$(echo deep)")")
echo "$nested"
seq 1 50000 | md5sum
# A named pipe fed from a coprocess-like background loop.
rm -f tmp/nfifo
mkfifo tmp/nfifo
{ for i in 1 2 3; do echo "item $i"; done; } >tmp/nfifo &
while read -r l; do echo "got: $l"; done <tmp/nfifo
wait
[[ -p tmp/nfifo ]] && echo "tmp/nfifo is a FIFO"
rm tmp/nfifo
