# The same kind of script for busybox sh (POSIX sh, no bash-isms).
total=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	total=$((total + i))
done
echo "sum=$total"
echo "c b a b c a c" | tr ' ' '\n' | sort | uniq -c | sort -rn | head -n 1
(echo "in subshell"; exit 5)
echo "subshell status $?"
y=$(echo "$(echo inner) outer")
echo "$y"
cat <<END
here-doc $total
END
sleep 0.1 & p=$!
wait $p; echo "bg status $?"
trap 'echo caught TERM' TERM
kill -TERM $$
busybox sh -c 'exit 6'; echo "child status $?"
busybox true | busybox cat | busybox wc -c
exit 2
