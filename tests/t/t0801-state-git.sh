#!/usr/bin/env bash
# The git backend of the state, as CI uses it: fresh clones of one remote
# (a bare repository over file://, and the same served by git daemon on
# loopback; shallow clones among them) share the state through
# refs/sandform/state; racing applies lose nothing; a lock left behind is
# reported and removed by id; the working tree and the branch are never
# touched; `state history` lists the commits; init --migrate-state moves a
# local state in.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || skip_all "git is not installed"
export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export HOME=$TRASH GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
CP=$TRASH/cp # one embedded control plane both clones talk to, as to AWS
cleanup() {
	test -s "$CP/pid" && kill "$(cat "$CP/pid")" 2>/dev/null
	test -n "${dpid:-}" && kill "$dpid" 2>/dev/null
	rm -rf "$TRASH"
}
trap cleanup EXIT

git init -q --bare -b main remote.git
git init -q -b main seed
mkdir -p seed/infra
printf 'state/\n' >seed/.gitignore
cat >seed/infra/main.yaml <<'EOF2'
version: 1
state:
  backend: git
interpreters:
  alpha: {}
  beta: { network: SANDBOX }
EOF2
git -C seed add . && git -C seed commit -q -m 'two interpreters'
git -C seed push -q "file://$TRASH/remote.git" main

git clone -q "file://$TRASH/remote.git" a
git clone -q --depth 1 "file://$TRASH/remote.git" b
check 'clone b is shallow' test -f b/.git/shallow

mkdir -p "$CP"
"$SANDFORM" local serve --quiet --data "$CP/data" --pid-file "$CP/pid" \
	--port-file "$CP/port" >"$TRASH/serve.log" 2>&1 &
for _ in $(seq 1 250); do
	test -s "$CP/port" && break
	sleep 0.02
done
check 'the control plane listens' test -s "$CP/port"
for c in a b; do
	mkdir -p "$c/infra/state"
	ln -s "$CP" "$c/infra/state/local"
done

head_a=$(git -C a rev-parse HEAD)
expect_success 'apply from clone a' sandform apply --auto-approve a/infra
expect_output '... creates both' stdout 'Interpreters: 2 added'
check '... commits the state to the remote ref' test -n \
	"$(git --git-dir=remote.git rev-parse -q --verify refs/sandform/state)"
check '... and leaves no lock behind' \
	test -z "$(git --git-dir=remote.git for-each-ref refs/sandform/state-lock)"
git --git-dir=remote.git log -1 --format=%B refs/sandform/state >msg
check '... with a message saying what wrote it and from where' \
	grep -Eq "^sandform apply: state serial [0-9]+$" msg
check '... naming the manifests commit' grep -q "Manifests at $head_a on main" msg
check '... and the plan it carried out' grep -qx "Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy." msg
check '... in a tree with the state file' \
	git --git-dir=remote.git cat-file -e refs/sandform/state:sandform.state.json
check 'the branch of clone a did not move' test "$(git -C a rev-parse HEAD)" = "$head_a"
check 'its working tree is clean' test -z "$(git -C a status --porcelain)"
check 'no state file was written beside the manifests' \
	test ! -e a/infra/state/sandform.state.json

expect_status 'the shallow clone b sees the shared state: no changes' 0 \
	sandform plan --detailed-exitcode b/infra
expect_success 'state list in b' sandform state list b/infra
expect_output '... lists alpha' stdout '^alpha '
expect_output '... and beta' stdout '^beta '

# b changes the manifests and applies; a sees the new interpreter as state.
printf '  gamma: {}\n' >>b/infra/main.yaml
expect_success 'apply from b' sandform apply --auto-approve b/infra
expect_output '... adds gamma' stdout 'Interpreters: 1 added'
expect_success 'state list in a' sandform state list a/infra
expect_output '... has gamma, written by b' stdout '^gamma '

# Two applies at once, of the same change (both branches have caught up
# on gamma): the lock ref lets one in at a time, and nothing is lost
# whoever wins.
printf '  gamma: {}\n  delta: {}\n' >>a/infra/main.yaml
printf '  delta: {}\n' >>b/infra/main.yaml
"$SANDFORM" apply --auto-approve a/infra >race_a.out 2>race_a.err &
pa=$!
"$SANDFORM" apply --auto-approve b/infra >race_b.out 2>race_b.err &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
check 'at least one racing apply succeeded' test $sa -eq 0 -o $sb -eq 0
for x in a b; do
	eval "st=\$s$x"
	if [ "$st" -ne 0 ]; then
		check "the loser ($x) says who holds the lock or that the state moved" \
			grep -Eq 'locked by pid [0-9]+ on|changed since' "race_$x.err"
	fi
done
expect_status 'after the race: no changes from a' 0 \
	sandform plan --detailed-exitcode a/infra
expect_status '... nor from b' 0 sandform plan --detailed-exitcode b/infra
expect_success 'local status' sandform local status --state a/infra/state --json
check 'exactly 4 interpreters: none lost, none twice' \
	test "$(json_get "$OUT" .interpreters)" = 4

# An apply killed while it holds the lock (kill -9 at its prompt, on a
# terminal that script(1) gives it): the lock ref stays on the remote and
# the next apply, from another clone, reports its holder.
if command -v script >/dev/null 2>&1; then
	printf '  eta: {}\n' >>a/infra/main.yaml
	mkfifo answer
	script -qfec "\"$SANDFORM\" apply a/infra" /dev/null <answer >killed.out 2>&1 &
	spid=$!
	exec 3>answer # keeps the prompt waiting
	for _ in $(seq 1 250); do
		grep -q "Only 'yes' will be accepted" killed.out && break
		sleep 0.02
	done
	check 'the interactive apply waits at its prompt' grep -q "Only 'yes'" killed.out
	holder=$(git --git-dir=remote.git cat-file blob refs/sandform/state-lock:lock.json 2>/dev/null |
		sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
	check '... holding the lock ref on the remote' test -n "$holder"
	test -n "$holder" && kill -9 "$holder"
	exec 3>&-
	wait $spid 2>/dev/null
	check 'after kill -9 the lock ref is still there' \
		test -n "$(git --git-dir=remote.git for-each-ref refs/sandform/state-lock)"
	expect_failure 'apply from clone b meets it' sandform apply --auto-approve b/infra
	expect_output '... naming the killed apply' stderr "locked by pid $holder on .* \\(apply"
	lock_id=$(git --git-dir=remote.git cat-file blob refs/sandform/state-lock:lock.json |
		sed -n 's/.*"id": "\([^"]*\)".*/\1/p')
	expect_success 'force-unlock it' sandform force-unlock "$lock_id" b/infra
	expect_status 'the state is intact: a plans only its own change' 2 \
		sandform plan --detailed-exitcode a/infra
	expect_output '... only eta to add' stdout 'Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy'
	sed -i '/^  eta: {}$/d' a/infra/main.yaml
fi

# A lock its holder left behind (a killed CI job on another runner).
lock_json='{"command": "apply", "host": "ci-runner-9", "id": "5f0c3a52-9a7e-4c1d-8f3b-2d4e6a8b0c1e", "pid": 4242, "started": "2026-11-26T14:00:00Z"}'
blob=$(printf '%s\n' "$lock_json" | git --git-dir=remote.git hash-object -w --stdin)
tree=$(printf '100644 blob %s\tlock.json\n' "$blob" | git --git-dir=remote.git mktree)
commit=$(git --git-dir=remote.git commit-tree -m 'sandform: lock' "$tree")
git --git-dir=remote.git update-ref refs/sandform/state-lock "$commit"
expect_failure 'apply with a lock left on the remote' sandform apply --auto-approve a/infra
expect_output '... names its holder' stderr 'locked by pid 4242 on ci-runner-9 \(apply'
expect_failure 'force-unlock with a wrong id' sandform force-unlock 00000000-0000-4000-8000-000000000000 a/infra
expect_success 'force-unlock with its id' sandform force-unlock 5f0c3a52-9a7e-4c1d-8f3b-2d4e6a8b0c1e b/infra
check '... removes the lock ref on the remote' \
	test -z "$(git --git-dir=remote.git for-each-ref refs/sandform/state-lock)"
expect_status 'apply goes on after' 0 sandform apply --auto-approve a/infra

# A saved plan applies against the shared state, not a local directory.
printf '  zeta: {}\n' >>a/infra/main.yaml
expect_status 'plan -out with the git backend' 2 \
	sandform plan --detailed-exitcode --out a.plan a/infra
expect_success 'apply the saved plan' sandform apply a.plan
expect_output '... adds zeta' stdout 'Interpreters: 1 added'
expect_failure 'the same plan again is stale' sandform apply a.plan
expect_output '... says so' stderr 'stale plan: the state changed since it was made'

expect_success 'state history' sandform state history b/infra
expect_output '... lists the applies, newest first' stdout \
	'^[0-9a-f]{12}  20[0-9-]+T[0-9:.]+Z  sandform apply: state serial [0-9]+$'
check '... one line per commit of the ref' test "$(wc -l <"$OUT")" -eq \
	"$(git --git-dir=remote.git rev-list --count refs/sandform/state)"

expect_success 'state pull from the git backend' sandform state pull a/infra
check '... is the committed file' cmp -s "$OUT" \
	<(git --git-dir=remote.git cat-file blob refs/sandform/state:sandform.state.json)
expect_failure '--state with a git backend' sandform plan --state elsewhere a/infra
expect_output '... is refused, at the state: block' stderr \
	'^a/infra/main.yaml:2:1: error: --state names a local state directory'

# Not in a git repository at all.
mkdir -p plain
cp seed/infra/main.yaml plain/
expect_failure 'backend git outside a repository' sandform plan plain
expect_output '... says so' stderr 'this directory is in none'

# The same remote served by `git daemon` on loopback (git://): a transport
# with a real server process between the two writers.
daemon_up=
base=$((20000 + RANDOM % 20000))
for port in $(seq $base 7 $((base + 70))); do
	"$(git --exec-path)/git-daemon" --listen=127.0.0.1 --port=$port \
		--base-path="$TRASH" --export-all --enable=receive-pack \
		--informative-errors --verbose "$TRASH/remote.git" >daemon.log 2>&1 &
	dpid=$!
	for _ in $(seq 1 100); do
		grep -q 'Ready to rumble' daemon.log && break
		kill -0 $dpid 2>/dev/null || break
		sleep 0.02
	done
	if grep -q 'Ready to rumble' daemon.log; then
		daemon_up=$port
		break
	fi
	kill $dpid 2>/dev/null
	wait $dpid 2>/dev/null
done
check 'git daemon listens on loopback' test -n "$daemon_up"
if [ -n "$daemon_up" ]; then
	git clone -q --depth 1 "git://127.0.0.1:$daemon_up/remote.git" d
	mkdir -p d/infra/state
	ln -s "$CP" d/infra/state/local
	cp a/infra/main.yaml d/infra/main.yaml
	expect_status 'a clone over git:// reads the shared state: no changes' 0 \
		sandform plan --detailed-exitcode d/infra
	before=$(git --git-dir=remote.git rev-parse refs/sandform/state)
	printf '  epsilon: {}\n' >>d/infra/main.yaml
	expect_success 'apply over git://' sandform apply --auto-approve d/infra
	expect_output '... adds epsilon' stdout 'Interpreters: 1 added'
	check '... pushed through the daemon: the ref moved on' test \
		"$(git --git-dir=remote.git rev-parse refs/sandform/state)" != "$before"
	check '... as a descendant of what it read (no force)' \
		git --git-dir=remote.git merge-base --is-ancestor "$before" refs/sandform/state
	kill $dpid 2>/dev/null
	wait $dpid 2>/dev/null
fi

# From a local state to the git backend: init --migrate-state.
git init -q -b main mig
mkdir -p mig/infra/state
ln -s "$CP" mig/infra/state/local
printf 'state/\n' >mig/.gitignore
cat >mig/infra/main.yaml <<'EOF2'
version: 1
interpreters:
  solo: {}
jobs:
  hello:
    interpreter: solo
    schedule: "@daily"
    steps: [{ command: echo hi }]
EOF2
git -C mig add . && git -C mig commit -q -m local
expect_success 'apply with the local state' sandform apply --auto-approve --no-jobs mig/infra
run sandform run hello mig/infra
check 'a run record in the local state' test -n "$(ls mig/infra/state/runs/hello)"
run_id=$(ls mig/infra/state/runs/hello | head -1 | sed 's/\.json$//')
expect_success 'init with no state: block' sandform init mig/infra
expect_output '... says the local backend is ready' stdout '^The local backend at mig/infra/state is ready; it holds a state of serial'
expect_failure 'init --migrate-state without a backend to go to' sandform init --migrate-state mig/infra
expect_output '... says so' stderr 'no backend to migrate to'
sed -i 's/^version: 1$/version: 1\nstate: { backend: git, remote: "file:\/\/'"${TRASH//\//\\/}"'\/mig.git" }/' mig/infra/main.yaml
git init -q --bare -b main mig.git
expect_success 'init on an empty git backend' sandform init mig/infra
expect_output '... says it is empty' stdout '^The git backend at .* is ready; it holds no state yet\.$'
expect_success 'init --migrate-state' sandform init --migrate-state mig/infra
expect_output '... reports what moved' stdout '^Migrated the state of mig/infra/state \(serial [0-9]+, 1 interpreter\) and 1 run record to '
check '... the run record is on the ref' git --git-dir=mig.git cat-file -e "refs/sandform/state:runs/hello/$run_id.json"
expect_success 'plan against the migrated state' sandform plan mig/infra
expect_output '... changes no interpreter' stdout '^No changes\. The interpreters match the configuration\.$'
expect_success 'runs reads the record from git' sandform runs hello mig/infra
expect_output '... listing the migrated run' stdout "$run_id"
expect_failure 'migrating the old local copy again' sandform init --migrate-state mig/infra
expect_output '... is refused: the backend is newer' stderr 'holds a newer state \(serial [0-9]+\) than mig/infra/state'

done_testing
