#!/usr/bin/env bash
# The state commands on a prepared state directory: state list, show and
# rm, force-unlock, and how they treat locks and corrupt or newer files.
. "$(dirname "$0")/lib.sh"

host=$(uname -n)

# write_state DIR: a state with two interpreters and a job, serial 4.
write_state() {
	mkdir -p "$1"
	cat >"$1/sandform.state.json" <<-'EOF'
	{
	  "interpreters": [
	    {
	      "arn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:code-interpreter-custom/myTestSandbox1-a1b2c3d4e5",
	      "created_at": "2025-11-26T13:39:00Z",
	      "description": "Test code sandbox",
	      "generation": 2,
	      "id": "myTestSandbox1-a1b2c3d4e5",
	      "name": "myTestSandbox1",
	      "network": "PUBLIC",
	      "prevent_destroy": true,
	      "status": "READY",
	      "tags": {
	        "team": "data"
	      }
	    },
	    {
	      "generation": 1,
	      "name": "scratch",
	      "network": "SANDBOX",
	      "prevent_destroy": false,
	      "status": "PENDING"
	    }
	  ],
	  "jobs": [
	    {
	      "name": "amzn_close",
	      "runs_failed": 0,
	      "runs_succeeded": 3
	    }
	  ],
	  "lineage": "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f",
	  "provenance": {
	    "updated_at": "2025-11-26T13:40:00Z"
	  },
	  "serial": 4,
	  "target": {
	    "kind": "local"
	  },
	  "version": 1
	}
	EOF
}

# write_lock DIR PID [HOST]: a lock as another sandform would leave it.
write_lock() {
	cat >"$1/.lock" <<-EOF
	{
	  "command": "apply",
	  "host": "${3:-$host}",
	  "id": "5f0c3a52-9a7e-4c1d-8f3b-2d4e6a8b0c1e",
	  "pid": $2,
	  "started": "2025-11-26T14:00:00Z"
	}
	EOF
}
lock_id=5f0c3a52-9a7e-4c1d-8f3b-2d4e6a8b0c1e

# Help
expect_success 'state --help' sandform state --help
expect_output '... shows list, show and rm' stdout '^       sandform state rm NAME'
expect_output '... documents --lock-timeout' stdout '--lock-timeout DURATION'
expect_success 'state rm --help is the same help' sandform state rm --help
expect_output '... naming state' stdout '^Usage: sandform state list'
expect_success 'force-unlock --help' sandform force-unlock --help
expect_output '... shows its usage' stdout '^Usage: sandform force-unlock ID'
expect_success 'the main help lists state' sandform --help
expect_output '... and force-unlock' stdout '^  force-unlock +Remove'

# Usage mistakes
expect_failure 'state without a subcommand' sandform state
expect_output '... says what it needs' stderr 'list, show, rm, import, pull, push or history'
expect_failure 'an unknown subcommand' sandform state lst
expect_output '... gets a did-you-mean' stderr 'did you mean "list"'
expect_failure 'state import needs manifests that declare it' sandform state import a b
expect_output '... and says so' stderr 'no manifests here'
expect_failure 'state show without a name' sandform state show
expect_output '... asks for one' stderr 'needs the NAME of an interpreter'
expect_failure 'state list takes one directory' sandform state list a b
expect_output '... names the extra one' stderr 'unexpected argument "b"'
expect_failure 'state list has no --json' sandform state list --json
expect_output '... says so' stderr 'unknown option "--json"'
expect_failure 'a bad --lock-timeout' sandform state rm x --lock-timeout soon
expect_output '... is named' stderr 'takes a duration such as 0, 30s or 2m, not "soon"'
expect_failure 'force-unlock without an ID' sandform force-unlock
expect_output '... asks for it' stderr 'needs the ID of the lock'

# No state yet
mkdir empty
expect_success 'state list without a state' sandform state list empty
expect_no_output '... lists nothing' stdout
expect_output '... and says why' stderr 'no state in empty/state yet'
check '... and makes no directory' test ! -e empty/state
expect_failure 'state show without a state' sandform state show x empty
expect_output '... says there is none' stderr 'no state yet, so no interpreter "x"'

# list and show, with DIR, from inside it, and with --state
write_state proj/state
expect_success 'state list DIR' sandform state list proj
expect_output '... lists the first' stdout '^myTestSandbox1  myTestSandbox1-a1b2c3d4e5  READY$'
expect_output '... and a pending one' stdout '^scratch         -                          PENDING$'
check '... in two lines' test "$(wc -l <"$OUT")" -eq 2
cp "$OUT" list.txt
expect_success 'state list from inside the directory' \
	bash -c 'cd proj && "$SANDFORM" state list'
check '... the same' cmp -s "$OUT" list.txt
mv proj/state elsewhere
expect_success 'state list --state' sandform state list --state elsewhere
check '... the same' cmp -s "$OUT" list.txt
mv elsewhere proj/state

expect_success 'state show NAME' sandform state show myTestSandbox1 proj
expect_output '... a header' stdout '^# interpreter myTestSandbox1$'
expect_output '... the id' stdout '^  id += "myTestSandbox1-a1b2c3d4e5"$'
expect_output '... the description' stdout '^  description += "Test code sandbox"$'
expect_output '... the tags' stdout '^    team = "data"$'
expect_output '... prevent_destroy' stdout '^  prevent_destroy += true$'
expect_output '... created_at' stdout '^  created_at += 2025-11-26T13:39:00Z$'
expect_output '... generation' stdout '^  generation += 2$'
expect_success 'state show --json' sandform state show myTestSandbox1 proj --json
check '... is JSON' json_valid "$OUT"
check '... of the interpreter' test "$(json_get "$OUT" .id)" = myTestSandbox1-a1b2c3d4e5
check '... with its tags' test "$(json_get "$OUT" .tags.team)" = data
expect_failure 'state show of an unknown name' sandform state show myTestSandbox proj
expect_output '... gets a did-you-mean' stderr \
	'^sandform: error: no interpreter "myTestSandbox" in the state; did you mean "myTestSandbox1"\?$'

# rm: forgets, under the lock, keeps the backup
cp proj/state/sandform.state.json before.json
expect_success 'state rm NAME' sandform state rm scratch proj
expect_output '... says what it did' stdout '^Removed scratch from the state\. The interpreter itself was not deleted'
expect_success '... then list' sandform state list proj
expect_no_output '... has no scratch' stdout '^scratch'
expect_output '... but the other' stdout '^myTestSandbox1 '
check '... the serial went up' test "$(json_get proj/state/sandform.state.json .serial)" = 5
check '... the lineage stayed' test "$(json_get proj/state/sandform.state.json .lineage)" = \
	0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f
check '... the job summary stayed' test "$(json_get proj/state/sandform.state.json .jobs[0].runs_succeeded)" = 3
check '... the old state is the backup' cmp -s before.json proj/state/sandform.state.json.backup
check '... no lock is left' test ! -e proj/state/.lock
check '... no temporary file is left' test -z "$(ls -A proj/state | grep -v '^sandform\.state\.json\(\.backup\)\?$')"
expect_failure 'state rm of an unknown name' sandform state rm nosuch proj
expect_output '... says so' stderr 'no interpreter "nosuch" in the state'
check '... no lock is left' test ! -e proj/state/.lock

# A live holder: refused, with the holder and the command to run.
sleep 120 &
live=$!
write_lock proj/state "$live"
cp proj/state/sandform.state.json before.json
expect_failure 'state rm with the state locked' sandform state rm myTestSandbox1 proj
expect_output '... names the holder' stderr "locked by pid $live on $host \(apply, started 2025-11-26T14:00:00Z\)"
expect_output '... and the way out' stderr "sandform force-unlock $lock_id"
check '... the state is unchanged' cmp -s before.json proj/state/sandform.state.json
check '... the lock is theirs still' grep -q "\"pid\": $live" proj/state/.lock
expect_failure '... also with a short --lock-timeout' \
	sandform state rm myTestSandbox1 proj --lock-timeout 300ms
expect_output '... after waiting' stderr 'still after waiting 0\.[0-9]+s'
expect_success 'state list does not need the lock' sandform state list proj
expect_output '... and works' stdout '^myTestSandbox1 '

expect_failure 'force-unlock with the wrong ID' \
	sandform force-unlock 00000000-0000-4000-8000-000000000000 proj
expect_output '... says whose it is' stderr "the lock's ID is $lock_id"
check '... the lock stays' test -e proj/state/.lock
expect_success 'force-unlock with its ID' sandform force-unlock "$lock_id" proj
expect_output '... says whose it was' stdout "^Removed the lock $lock_id of pid $live on $host \(apply, started 2025-11-26T14:00:00Z\)\.$"
check '... the lock is gone' test ! -e proj/state/.lock
expect_failure 'force-unlock without a lock' sandform force-unlock "$lock_id" proj
expect_output '... says so' stderr 'the state is not locked'
kill "$live" 2>/dev/null
wait "$live" 2>/dev/null

# A dead holder on this host: taken over with a warning.
bash -c 'exit 0' &
dead=$!
wait "$dead"
write_lock proj/state "$dead"
expect_success 'state rm over a dead holder' sandform state rm myTestSandbox1 proj
expect_output '... warns' stderr \
	"^sandform: warning: taking over the lock of pid $dead \(apply, started 2025-11-26T14:00:00Z\), which is no longer running$"
expect_output '... and removes' stdout '^Removed myTestSandbox1 \(myTestSandbox1-a1b2c3d4e5\) from the state'
check '... and unlocks' test ! -e proj/state/.lock

# A dead pid on another host is not ours to judge.
write_state other/state
write_lock other/state "$dead" ci-runner-42
expect_failure 'a lock from another host' sandform state rm scratch other
expect_output '... is left to its owner' stderr "locked by pid $dead on ci-runner-42"
rm other/state/.lock

# Corrupt and newer state files: refused, never overwritten.
write_state bad/state
printf '{"version": 1, "serial": 3, "lin' >bad/state/sandform.state.json
cp bad/state/sandform.state.json before.json
expect_failure 'state list of a truncated state' sandform state list bad
expect_output '... says it is corrupt and where' stderr \
	'^sandform: error: bad/state/sandform.state.json: corrupt state: not valid JSON'
expect_failure 'state rm of a truncated state' sandform state rm scratch bad
check '... left it as it was' cmp -s before.json bad/state/sandform.state.json
check '... and unlocked' test ! -e bad/state/.lock
write_state bad/state
sed -i 's/"network": "SANDBOX"/"network": 7/' bad/state/sandform.state.json
expect_failure 'a state with a wrong type' sandform state show scratch bad
expect_output '... names the field' stderr \
	'interpreters\[1\] \(scratch\)\.network: expected a string, found an integer; the file was left as it is'
sed -i 's/"version": 1/"version": 2/' bad/state/sandform.state.json
cp bad/state/sandform.state.json before.json
expect_failure 'a newer state' sandform state rm scratch bad
expect_output '... is refused' stderr \
	'written by a newer sandform \(state version 2\); this one reads version 1'
check '... and left alone' cmp -s before.json bad/state/sandform.state.json

# state pull | push: the stored bytes out, and a state in, under the lock.
write_state pp/state
expect_success 'state pull prints the stored state' sandform state pull pp
check '... byte for byte' cmp -s "$OUT" pp/state/sandform.state.json
cp "$OUT" pulled.json
expect_failure 'state pull without a state' sandform state pull empty
expect_output '... says there is none' stderr '^sandform: error: no state in empty/state yet$'
expect_no_output '... and prints nothing' stdout
expect_success 'state push into an empty directory' sandform state push pulled.json moved
expect_output '... reports what it pushed' stdout \
	'^Pushed pulled.json to moved/state: 2 interpreters, serial 5\.$'
check '... keeps the lineage' test "$(json_get moved/state/sandform.state.json .lineage)" = \
	0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f
check '... and the interpreters' test \
	"$(json_get moved/state/sandform.state.json .interpreters[0].id)" = myTestSandbox1-a1b2c3d4e5
check '... and releases the lock' test ! -e moved/state/.lock
expect_failure 'pushing the same file again: it is now older' sandform state push pulled.json moved
expect_output '... says so' stderr 'has serial 4 but the state in moved/state is newer \(serial 5\)'
expect_success 'state rm scratch' sandform state rm scratch moved
sed 's/"serial": 4/"serial": 2/' pulled.json >old.json
expect_failure 'pushing an older state' sandform state push old.json moved
expect_output '... is refused with both serials' stderr \
	'old.json: has serial 2 but the state in moved/state is newer \(serial 6\)'
check '... and changes nothing' test "$(json_get moved/state/sandform.state.json .serial)" = 6
sed 's/0b7e2f7c-3f5e/11111111-3f5e/' pulled.json >other.json
expect_failure 'pushing another lineage' sandform state push other.json moved
expect_output '... is refused' stderr 'is of lineage 11111111-3f5e-4a8e-9d4c-1a2b3c4d5e6f but'
expect_success '... unless forced' sandform state push --force other.json moved
check '... which keeps serials increasing' test "$(json_get moved/state/sandform.state.json .serial)" = 7
printf '{"version": 1, "serial": 3' >trunc.json
expect_failure 'pushing a corrupt file' sandform state push trunc.json moved
expect_output '... says what is wrong with it' stderr '^sandform: error: trunc.json: corrupt state'
expect_success 'state push - reads stdin' bash -c "\"\$SANDFORM\" state push - fromstdin <pulled.json"
check '... into the state' test -s fromstdin/state/sandform.state.json
write_lock moved/state $$
expect_failure 'state push waits for no lock by default' sandform state push --force pulled.json moved
expect_output '... naming the holder' stderr "locked by pid $$"
rm moved/state/.lock

done_testing
