# busybox sh: pipelines through other programs (each stage a new process),
# their exit status, and a large stream through a pipe.
printf 'banana\napple\ncherry\napple\nbanana\napple\n' | sort | uniq -c | sort -rn
echo "Hello World" | tr a-z A-Z | sed 's/WORLD/THERE/' | cat
seq 1 20000 | wc -l
seq 1 20000 | md5sum
seq 1 100 | grep 7 | tr '\n' ' '; echo
false | true; echo "status of false | true: $?"
true | false; echo "status of true | false: $?"
set -o pipefail
false | true; echo "with pipefail: $?"
set +o pipefail
echo one two three | { read a b c; echo "read in a group: $c $b $a"; }
count=0
printf 'x\ny\nz\n' | while read l; do count=$((count + 1)); done
echo "a pipeline's while loop runs in a subshell: count is $count"
head -c 300000 /dev/zero | tr '\0' 'q' | wc -c
yes abc | head -n 3
for i in 1 2 3; do echo "line $i"; done | tail -n 1
echo "$(echo a | cat | cat | cat)"
# Named pipes: a writer in the background, readers in the foreground; the
# opens meet whichever side comes first.
rm -f tmp/fifo
mkfifo tmp/fifo
ls -l tmp/fifo | cut -c1
(seq 1 5 >tmp/fifo) &
sort -rn <tmp/fifo | tr '\n' ' '; echo
wait
cat tmp/fifo | wc -l &
sleep 0.1
printf 'a\nb\nc\n' >tmp/fifo
wait
exec 3<>tmp/fifo
echo "through a read-write descriptor" >&3
read line <&3
echo "$line"
exec 3>&-
rm tmp/fifo
