# busybox sh: background jobs, wait and their statuses, kill.
sh -c 'exit 7' &
p1=$!
sh -c 'sleep 0.2; exit 9' &
p2=$!
wait $p2; echo "second job: $?"
wait $p1; echo "first job: $?"
rm -f tmp/job.*
for i in 1 2 3 4; do (sleep 0.$i; echo "job $i done" >tmp/job.$i) & done
wait
cat tmp/job.1 tmp/job.2 tmp/job.3 tmp/job.4
sleep 30 &
p=$!
kill $p
wait $p; echo "a killed job: $?"
sleep 30 &
p=$!
kill -9 $p
wait $p; echo "a job killed by SIGKILL: $?"
kill -0 $$ && echo "kill -0 on the shell itself works"
(exit 3) &
wait $!; echo "a background subshell: $?"
echo background-output >tmp/bg & wait; cat tmp/bg
rm -f tmp/job.* tmp/bg
