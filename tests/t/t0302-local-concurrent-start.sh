#!/usr/bin/env bash
# Two CLIs starting the server of one state directory at once get the same
# server: one starts it, the other waits for the lock and finds it.
. "$(dirname "$0")/lib.sh"

export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cleanup() {
	"$SANDFORM" local stop --state "$TRASH/st" >/dev/null 2>&1
	rm -rf "$TRASH"
}
trap cleanup EXIT

for round in 1 2 3; do
	"$SANDFORM" local start --state "$TRASH/st" >"$TRASH/a" 2>&1 &
	a=$!
	"$SANDFORM" local start --state "$TRASH/st" >"$TRASH/b" 2>&1 &
	b=$!
	wait "$a"
	sa=$?
	wait "$b"
	sb=$?
	check "round $round: both succeed" test "$sa" = 0 -a "$sb" = 0
	pa=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' "$TRASH/a")
	pb=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' "$TRASH/b")
	check "round $round: one server" test -n "$pa" -a "$pa" = "$pb"
	check "round $round: one started it, one found it" \
		test "$(cat "$TRASH/a" "$TRASH/b" | grep -c '^started ')" = 1
	n=0
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null |
			grep -q -- "--data $TRASH/st/local/data "; then
			n=$((n + 1))
		fi
	done
	check "round $round: exactly one process serves the directory" test "$n" = 1
	run "$SANDFORM" local stop --state "$TRASH/st"
done

done_testing
