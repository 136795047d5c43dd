# Bash features that real scripts lean on: loops, 5-command pipelines,
# subshells, command substitution, here-docs, background jobs and wait,
# traps, exit codes. Output must be the same natively and in the sandbox.
set -u
total=0
for i in $(seq 1 20); do
	total=$((total + i))
done
echo "sum=$total"
i=0
while [ $i -lt 3 ]; do echo "while $i"; i=$((i + 1)); done

printf 'pear\napple\nfig\napple\nkiwi\nfig\napple\n' | sort | uniq -c | sort -rn | head -n 2 | tr -s ' '
seq 1 1000 | grep 7 | wc -l

(cd /; echo "subshell in $(pwd)"; exit 4)
echo "subshell status $?"
echo "outer still in $(basename "$(pwd)")"
x=$(echo nested $(echo deeper))
echo "$x"

cat <<END
here-doc with $total and $(echo substitution)
END
cat <<'END'
quoted here-doc keeps $total
END

sleep 0.2 & a=$!
(exit 7) & b=$!
wait $a; echo "job a: $?"
wait $b; echo "job b: $?"
for n in 1 2 3; do (echo "bg $n" >/dev/null; exit $n) & done
wait
echo "all jobs done"

trap 'echo "caught USR1"' USR1
kill -USR1 $$
trap 'echo "exit trap"' EXIT
f() { return 42; }
f; echo "function status $?"
false || echo "or-else ran"
true && echo "and-then ran"
if grep -q root /etc/passwd; then echo "grep found root"; fi
case "abc" in a*) echo "case matched";; esac
bash -c 'exit 9'; echo "child bash status $?"
sh -c 'kill -TERM $$'; echo "killed child status $?"
exit 3
