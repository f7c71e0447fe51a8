# bash: functions, local variables, arrays, associative arrays, [[ ]],
# parameter expansion, brace expansion, arithmetic.
set -u
greet() { local who=$1; echo "hello, $who"; return 3; }
greet world; echo "greet returned $?"
fib() { local n=$1; if ((n < 2)); then echo "$n"; else echo $(($(fib $((n - 1))) + $(fib $((n - 2))))); fi; }
echo "fib 12 = $(fib 12)"
counter=0
bump() { local counter=100; counter=$((counter + 1)); }
bump; echo "global counter untouched: $counter"
arr=(one "two words" three)
arr+=(four)
echo "${#arr[@]} elements, second '${arr[1]}', slice ${arr[*]:1:2}"
for e in "${arr[@]}"; do printf '[%s]' "$e"; done; echo
unset 'arr[0]'; echo "after unset: ${!arr[*]}"
declare -A color=([apple]=red [banana]=yellow [grape]=purple)
color[lime]=green
for k in $(printf '%s\n' "${!color[@]}" | sort); do echo "$k is ${color[$k]}"; done
echo "${#color[@]} keys"
[[ -v color[apple] ]] && echo "apple is a key"
s="Hello, World"
echo "${s^^} ${s,,} ${s/World/There} ${s//l/L} ${#s} ${s:7:5}"
if [[ $s =~ ^Hello,\ (W[a-z]+)$ ]]; then echo "regex captured ${BASH_REMATCH[1]}"; fi
[[ abc < abd ]] && echo "string compare"
echo {a,b,c}{1,2} {1..5} {10..0..5}
printf -v padded '%05d' 42; echo "$padded"
((x = 7 * 6, y = x % 5)); echo "x=$x y=$y"
echo $(( 1 << 20 )) $(( -7 / 2 )) $(( 0x1f ))
declare -i n=5; n+=3; echo "integer n=$n"
readonly ro=1; (ro=2) 2>/dev/null || echo "readonly holds"
case "$s" in H*World) echo "case glob matched" ;; esac
exit 6
