#!/usr/bin/env bash
# No session is left running to cost money: SIGTERM during a run stops the
# session itself; after kill -9 in the middle of a job, `sessions gc` finds
# the orphan and stops it. Also jobs and runs.
. "$(dirname "$0")/lib.sh"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
ST=$TRASH/cfg/state
cleanup() {
	"$SANDFORM" local stop --state "$ST" >/dev/null 2>&1
	rm -rf "$TRASH"
}
trap cleanup EXIT
if ! command -v bwrap >/dev/null 2>&1; then
	skip_all "bubblewrap is not installed"
fi

mkdir -p cfg
cat >cfg/main.yaml <<'EOF'
version: 1
interpreters:
  box: {}
jobs:
  long:
    interpreter: box
    session_timeout: 120
    steps:
      - command: echo started; sleep 60
EOF
expect_success 'apply creates the interpreter' sandform apply --auto-approve cfg

# wait_for FILE ERE: until a line of FILE matches (at most 10 s).
wait_for() {
	for _ in $(seq 1 500); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

ready_sessions() {
	"$SANDFORM" local status --state "$ST" --json >"$TRASH/st.json" 2>/dev/null
	json_get "$TRASH/st.json" .sessionsActive
}

# SIGTERM: the run stops its session before it exits.
"$SANDFORM" run long cfg >"$TRASH/term.out" 2>&1 &
pid=$!
check 'the run started a session' wait_for "$TRASH/term.out" 'starting'
sleep 0.5
check 'one session is READY' test "$(ready_sessions)" = 1
kill -TERM "$pid"
wait "$pid"
term_status=$?
check 'SIGTERM: the run exits 1' test "$term_status" = 1
check '... says it was interrupted' grep -q 'interrupted' "$TRASH/term.out"
check '... and stopped its session' test "$(ready_sessions)" = 0
expect_success 'runs long' sandform runs long cfg
expect_output '... the run is recorded as interrupted' stdout 'interrupted'

# kill -9: nothing stops the session but gc.
"$SANDFORM" run long cfg >"$TRASH/kill.out" 2>&1 &
pid=$!
check 'a second run started' wait_for "$TRASH/kill.out" 'starting'
sleep 0.5
kill -9 "$pid"
wait "$pid" 2>/dev/null
check 'its session is left READY' test "$(ready_sessions)" = 1
expect_failure 'concurrency forbid: no second run while one is on record' \
	sandform run long cfg
expect_output '... says which run' stderr 'is recorded as in progress \(concurrency: forbid\)'
expect_output '... after taking over the dead lock' stderr 'no longer running'
expect_success 'sessions list shows it' sandform sessions cfg
expect_output '... owned by the run the state recorded' stdout 'job long run '
expect_success 'sessions gc --dry-run' sandform sessions gc --dry-run cfg
expect_output '... would stop it' stdout 'would stop'
check '... but does not' test "$(ready_sessions)" = 1
expect_success 'sessions gc' sandform sessions gc cfg
expect_output '... stops the orphan' stdout 'stopping'
expect_output '... records the run' stdout 'recorded as interrupted'
expect_output '... and says what it saves' stdout '^Stopped 1 session; that saves up to \$'
check 'no session is left' test "$(ready_sessions)" = 0
expect_success 'jobs' sandform jobs --json cfg
check '... long is not running any more' \
	test "$(json_get "$OUT" '.[0].running')" = null
check '... its last run was interrupted' \
	test "$(json_get "$OUT" '.[0].last_run.outcome')" = interrupted

done_testing
