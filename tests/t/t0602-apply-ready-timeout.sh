#!/usr/bin/env bash
# apply --ready-timeout: an interpreter that stays CREATING longer is
# reported, recorded as it is, and the next apply picks it up.
. "$(dirname "$0")/lib.sh"

export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
ST=$TRASH/cfg/state
cleanup() {
	"$SANDFORM" local stop --state "$ST" >/dev/null 2>&1
	rm -rf "$TRASH"
}
trap cleanup EXIT

mkdir -p "$ST/local"
printf 'version: 1\ninterpreters:\n  slowpoke: {}\n' >cfg/main.yaml
# A control plane whose interpreters take 3 s to be READY.
"$SANDFORM" local serve --transition-ms 3000 --quiet --data "$ST/local/data" \
	--pid-file "$ST/local/pid" --port-file "$ST/local/port" \
	>"$TRASH/serve.log" 2>&1 &
for _ in $(seq 1 250); do
	test -s "$ST/local/port" && break
	sleep 0.02
done

expect_failure 'apply --ready-timeout 1s gives up' \
	sandform apply --auto-approve --ready-timeout 1s cfg
expect_output '... saying why' stdout 'slowpoke: error: .*still CREATING after the timeout'
expect_success 'the state has it, as CREATING' sandform state list cfg
expect_output '... with its id' stdout '^slowpoke +slowpoke-[A-Za-z0-9]{10} +CREATING$'
sleep 3
expect_success 'the next apply finds it READY' sandform apply --auto-approve cfg
expect_status 'and then nothing is left to do' 0 \
	sandform plan --detailed-exitcode cfg
expect_success 'the state has it READY now' sandform state list cfg
expect_output '... READY' stdout '^slowpoke +slowpoke-[A-Za-z0-9]{10} +READY$'
expect_success 'local status' sandform local status --state "$ST" --json
check 'one interpreter, not two' test "$(json_get "$OUT" .interpreters)" = 1

done_testing
