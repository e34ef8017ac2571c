#!/usr/bin/env bash
# Jobs in real sandboxes on the embedded control plane: apply runs the due
# ones, run JOB runs one now, output is on the terminal and in the run
# record, a failing step and a failed expectation fail the run, and no
# session is left running after any of it.
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
printf 'a,b\n1,2\n' >cfg/input.csv
cat >cfg/main.yaml <<'EOF'
version: 1
interpreters:
  box: { network: SANDBOX }
jobs:
  daily:
    interpreter: box
    schedule: "@daily"
    steps:
      - command: echo hello from the sandbox
        name: greet
      - files: [{ path: in.csv, source: input.csv }]
      - code: |
          rows = open("in.csv").read().split()
          total = sum(int(x) for x in rows[1].split(","))
          open("out.txt", "w").write(str(total))
          print("total", total)
        expect: { stdout: '^total 3$' }
      - fetch: [out.txt]
  broken:
    interpreter: aws.codeinterpreter.v1
    steps:
      - command: exit 3
      - command: echo never
  picky:
    interpreter: box
    retries: 1
    steps:
      - code: print(41)
        expect: { stdout: '^42$' }
EOF

expect_success 'apply creates the interpreter and runs the due job' \
	sandform apply --auto-approve cfg
expect_output '... the job is due' stdout 'daily: due: fired'
expect_output '... its output, prefixed' stdout '^\[daily/greet\] hello from the sandbox$'
expect_output '... python ran' stdout '^\[daily/3:code\] total 3$'
expect_output '... succeeded' stdout 'daily: run [0-9TZ]+-[0-9a-f]+ succeeded'
expect_output '... summary' stdout 'Jobs: 1 succeeded, 0 failed\.'
run_file=$(ls "$ST"/runs/daily/*.json | head -1)
check 'the run is recorded' test -s "$run_file"
check '... as succeeded' test "$(json_get "$run_file" .outcome)" = succeeded
check '... with its fetched file' \
	test "$(json_get "$run_file" '.attempts[0].steps[3].files[0].text')" = 3
check '... and the cost estimate' \
	grep -q '"estimate_usd"' "$run_file"

expect_success 'a second apply: the job is not due again' \
	sandform apply --auto-approve cfg
expect_no_output '... nothing ran' stdout 'starting'

expect_failure 'run broken: a failing step fails the run' sandform run broken cfg
expect_output '... with the exit code' stderr 'exit code 3, expected 0|run [^ ]+ failed'
expect_no_output '... and later steps do not run' stdout 'never'
expect_failure 'run picky: an expectation that fails, twice' sandform run picky cfg
expect_output '... retried once' stdout 'failed in'
check '... two attempts recorded' \
	test "$(json_get "$(ls "$ST"/runs/picky/*.json | tail -1)" '.attempts | length')" = 2

# Due jobs run side by side, each in its own session; a whole-run
# timeout ends a run (and its session) whatever it is doing.
cat >>cfg/main.yaml <<'EOF'
  par_a:
    interpreter: box
    schedule: "@hourly"
    steps: [{ command: sleep 1 }]
  par_b:
    interpreter: box
    schedule: "@hourly"
    steps: [{ command: sleep 1 }]
  slow:
    interpreter: aws.codeinterpreter.v1
    timeout: 2s
    steps: [{ command: sleep 30 }, { command: echo never }]
EOF
expect_success 'apply runs the new due jobs' sandform apply --auto-approve cfg
expect_output '... par_a' stdout 'par_a: run [^ ]+ succeeded'
expect_output '... par_b' stdout 'par_b: run [^ ]+ succeeded'
a=$(ls "$ST"/runs/par_a/*.json) b=$(ls "$ST"/runs/par_b/*.json)
check 'they ran at the same time (each started before the other ended)' \
	test "$(json_get "$a" .started)" "<" "$(json_get "$b" .finished)" -a \
	"$(json_get "$b" .started)" "<" "$(json_get "$a" .finished)"
expect_failure 'run slow: a 2 s timeout' sandform run slow cfg
check 'slow timed out' \
	test "$(json_get "$(ls "$ST"/runs/slow/*.json)" .outcome)" = timed_out
check '... and its last step never ran' \
	test "$(json_get "$(ls "$ST"/runs/slow/*.json)" '.attempts[0].steps | length')" = 1

expect_success 'local status' sandform local status --state "$ST" --json
check 'no session is left running' test "$(json_get "$OUT" .sessionsActive)" = 0
check 'every session was started and stopped' \
	test "$(json_get "$OUT" .sessionsTotal)" -ge 4

done_testing
