# bash: process substitution, which hands the command a /dev/fd/N path
# (kept apart: it needs /dev/fd in the guest's filesystem).
total=0
while read -r n; do total=$((total + n)); done < <(seq 1 100)
echo "sum through <(...): $total"
diff <(printf 'a\nb\n') <(printf 'a\nc\n') >/dev/null; echo "diff of two <(...): $?"
cat <(echo left) <(echo right)
echo data > >(tr a-z A-Z >tmp/upper)
wait $!
cat tmp/upper
rm -f tmp/upper
