#!/usr/bin/env bash
# apply against a control plane that answers 500 and 429 and drops
# connections part of the time (the embedded one's --faults): retries
# absorb it, the apply converges, and there is no duplicate.
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
{
	echo 'version: 1'
	echo 'interpreters:'
	for i in $(seq -w 1 15); do echo "  f_$i: { tags: { n: '$i' } }"; done
} >cfg/main.yaml

# The server the CLI finds for this state, started by hand with faults.
"$SANDFORM" local serve --faults 500=0.2,429=0.2,drop=0.05 \
	--faults-seed 7 --quiet --data "$ST/local/data" \
	--pid-file "$ST/local/pid" --port-file "$ST/local/port" \
	>"$TRASH/serve.log" 2>&1 &
for _ in $(seq 1 250); do
	test -s "$ST/local/port" && break
	sleep 0.02
done
check 'the faulty server listens' test -s "$ST/local/port"

expect_success 'apply through 45% of failures' \
	sandform apply --auto-approve cfg
expect_output '... all 15 created' stdout 'Interpreters: 15 added'
expect_status 'a second plan: no changes' 0 \
	sandform plan --detailed-exitcode cfg
expect_success 'local status' sandform local status --state "$ST" --json
check 'exactly 15 interpreters: no duplicate' \
	test "$(json_get "$OUT" .interpreters)" = 15
check 'the faults were there to absorb' \
	test "$(json_get "$OUT" .requests)" -gt 40
expect_success 'destroy through the same faults' \
	sandform destroy --auto-approve cfg
expect_success 'local status' sandform local status --state "$ST" --json
check 'nothing left' test "$(json_get "$OUT" .interpreters)" = 0

done_testing
