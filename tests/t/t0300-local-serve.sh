#!/usr/bin/env bash
# sandform local serve: listens where it says (port 0 picks one and prints
# it), generates a private key pair, writes its pid and port files, answers
# unsigned requests with AWS's errors, refuses a second server on the same
# data directory, and shuts down cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"

export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
server_pid=
cleanup() {
	# Only the pid this script started.
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid"
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$TRASH"
}
trap cleanup EXIT

# wait_for FILE ERE: until a line of FILE matches (10 s at most).
wait_for() {
	local i
	for i in $(seq 1 200); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# http PORT REQUEST: send a raw request, print the answer.
http() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf '%b' "$2" >&3
	cat <&3
	exec 3<&-
}

expect_failure 'local needs a subcommand' sandform local
expect_output '... and says which' stderr 'serve, start, stop or status'
expect_failure 'an unknown subcommand is refused' sandform local bogus
expect_failure 'a bad --faults is refused' \
	sandform local serve --data "$TRASH/x" --faults 'oops'
expect_output '... with a reason' stderr 'faults'
expect_failure 'a bad --account is refused' \
	sandform local serve --account 12 --data "$TRASH/x"
expect_failure 'a bad --listen is refused' \
	sandform local serve --listen nowhere --data "$TRASH/x"
expect_success 'local --help' sandform local --help
expect_output '... documents serve' stdout '^Usage: sandform local serve'

"$SANDFORM" local serve --listen 127.0.0.1:0 --data "$TRASH/data" \
	--pid-file "$TRASH/pid" --port-file "$TRASH/port" \
	>"$TRASH/serve.out" 2>"$TRASH/serve.err" &
server_pid=$!
check 'serve says where it listens' \
	wait_for "$TRASH/serve.out" '^listening on http://127\.0\.0\.1:[0-9]+$'
port=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$TRASH/serve.out")
check 'a port was picked' test -n "$port" -a "$port" != 0
check 'the port file says the same' test "$(cat "$TRASH/port")" = "$port"
check 'the pid file names the server' test "$(cat "$TRASH/pid")" = "$server_pid"
check 'a key pair was generated' \
	grep -q '^aws_secret_access_key = ' "$TRASH/data/credentials"
check '... readable by its owner only' \
	test "$(stat -c %a "$TRASH/data/credentials")" = 600

http "$port" 'GET /code-interpreters/aws.codeinterpreter.v1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TRASH/unsigned" 2>&1
check 'an unsigned request is refused with 403' \
	grep -q '^HTTP/1.1 403' "$TRASH/unsigned"
check '... as MissingAuthenticationTokenException' \
	grep -qi '^X-Amzn-ErrorType: MissingAuthenticationTokenException' "$TRASH/unsigned"
check '... with a request id' \
	grep -Eqi '^x-amzn-RequestId: [0-9a-f-]{36}' "$TRASH/unsigned"
check '... and a Date' grep -qi '^Date: ' "$TRASH/unsigned"
http "$port" 'GET /no/such/thing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TRASH/unknown" 2>&1
check 'an unknown path is a 404 UnknownOperationException' \
	grep -qi '^X-Amzn-ErrorType: UnknownOperationException' "$TRASH/unknown"
http "$port" 'this is not HTTP\r\n\r\n' >"$TRASH/garbage" 2>&1
check 'garbage gets a 4xx' grep -Eq '^HTTP/1.1 4[0-9][0-9]' "$TRASH/garbage"
http "$port" 'GET /code-interpreters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TRASH/after" 2>&1
check '... and the server serves on' grep -q '^HTTP/1.1 ' "$TRASH/after"
check 'requests are logged on stderr' \
	grep -q 'GetCodeInterpreter MissingAuthenticationTokenException' "$TRASH/serve.err"

expect_failure 'a second server on the same data directory is refused' \
	sandform local serve --data "$TRASH/data"
expect_output '... and says why' stderr 'another server uses this data directory'

kill "$server_pid"
wait "$server_pid"
st=$?
server_pid=
check 'SIGTERM ends it with status 0' test "$st" = 0
check '... and it removes its pid file' test ! -e "$TRASH/pid"
check '... and its port file' test ! -e "$TRASH/port"

done_testing
