# busybox sh: variables, arithmetic, loops, case, functions, $?, command
# substitution, subshells, here-documents.  Run from the root of the test
# tree: relative paths (tmp/, data/) mean the same natively and under Persona.
x=3 y=4
echo "sum $((x + y)) product $((x * y)) power $((2 ** 10))"
i=0
while [ $i -lt 5 ]; do i=$((i + 1)); printf '%d,' $i; done; echo
for w in alpha beta gamma; do
	case $w in a*) echo "$w starts with a" ;; *a) echo "$w ends with a" ;; esac
done
fact() { if [ "$1" -le 1 ]; then echo 1; else echo $(($1 * $(fact $(($1 - 1))))); fi; }
echo "10! = $(fact 10)"
outer=$(echo "inner $(echo nested $(echo deep))")
echo "$outer"
v=before
(v=inside; echo "subshell sees $v"; exit 3)
echo "subshell status $? and v is still $v"
{ v=group; }
echo "a brace group runs in the shell: $v"
false; echo "false gives $?"
true; echo "true gives $?"
! false; echo "! false gives $?"
sh -c 'exit 42'; echo "sh -c exit 42 gives $?"
no-such-command-here 2>/dev/null; echo "a missing command gives $?"
cat <<END
here-doc with $x and $((x + 1))
	tab kept
END
cat <<'END'
quoted here-doc: $x stays
END
cat <<-END
	leading tabs stripped
	END
set -- one "two words" three
echo "$# args, second is '$2'"
shift; echo "after shift: $*"
s="a:b:c"; IFS=:; set -- $s; IFS=' '; echo "fields $# last $3"
n=$(printf '%s\n' x y z | wc -l); echo "lines $n"
echo "${undefined:-default} ${#outer} ${outer%% *} ${outer#* }"
exit 5
