#!/usr/bin/env bash
# sandform local start | status | stop: the server of a state directory is
# started in the background once, found again, described, and stopped.
. "$(dirname "$0")/lib.sh"

export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cleanup() {
	"$SANDFORM" local stop --state "$TRASH/st" >/dev/null 2>&1
	rm -rf "$TRASH"
}
trap cleanup EXIT

expect_failure 'status of nothing: not running' \
	sandform local status --state "$TRASH/st"
expect_output '... says so' stdout '^not running$'
expect_success 'stop of nothing succeeds' sandform local stop --state "$TRASH/st"
expect_output '... and says nothing ran' stdout '^not running$'

expect_success 'start starts a server' sandform local start --state "$TRASH/st"
expect_output '... and says where' stdout '^started http://127\.0\.0\.1:[0-9]+ \(pid [0-9]+\)$'
pid=$(sed -n 's/.*(pid \([0-9]*\))$/\1/p' "$OUT")
check 'the pid file is the server' test "$(cat "$TRASH/st/local/pid")" = "$pid"
check 'the server runs' kill -0 "$pid"
check 'it logs to server.log' test -s "$TRASH/st/local/server.log"
check 'its data directory is under the state' test -d "$TRASH/st/local/data"

expect_success 'start again reuses it' sandform local start --state "$TRASH/st"
expect_output '... the same pid' stdout "^running http://127\.0\.0\.1:[0-9]+ \(pid $pid\)$"

expect_success 'status describes it' sandform local status --state "$TRASH/st"
expect_output '... pid and port' stdout "^running +http://127\.0\.0\.1:[0-9]+ \(pid $pid\)$"
expect_output '... uptime' stdout '^uptime +[0-9]+'
expect_output '... counts' stdout '^interpreters +0$'
expect_output '... sessions' stdout '^sessions +0 active, 0 in all$'
expect_output '... the isolation' stdout '^isolation +echo'
expect_success 'status --json' sandform local status --state "$TRASH/st" --json
check '... is JSON' json_valid "$OUT"
check '... running' test "$(json_get "$OUT" .running)" = true
check '... with its pid' test "$(json_get "$OUT" .pid)" = "$pid"

expect_success 'stop stops it' sandform local stop --state "$TRASH/st"
expect_output '... and says so' stdout '^stopped$'
gone() {
	local i
	for i in $(seq 1 100); do
		[ -r "/proc/$pid/stat" ] || return 0
		case $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) in
		Z | X | '') return 0 ;;
		esac
		sleep 0.05
	done
	return 1
}
check 'the server is gone' gone
check 'its pid file too' test ! -e "$TRASH/st/local/pid"
expect_failure 'status: not running' sandform local status --state "$TRASH/st"

# A stale pid file names a process that is not ours: never touched.
sleep 300 &
other=$!
echo "$other" >"$TRASH/st/local/pid"
echo 1 >"$TRASH/st/local/port"
expect_success 'stop with a stale pid file' sandform local stop --state "$TRASH/st"
expect_output '... finds nothing of ours' stdout '^not running$'
check '... and kills nothing else' kill -0 "$other"
kill "$other"
wait "$other" 2>/dev/null
check '... and forgets the stale files' test ! -e "$TRASH/st/local/pid"

done_testing
