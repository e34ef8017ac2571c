#!/usr/bin/env bash
# Every apply and job run records where the configuration came from: the
# git commit, branch, whether the tree was dirty, and the manifest hash;
# `sandform show` prints it.
. "$(dirname "$0")/lib.sh"

export SANDFORM_LOCAL_BACKEND=echo
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
ST=$TRASH/repo/infra/state
cleanup() {
	"$SANDFORM" local stop --state "$ST" >/dev/null 2>&1
	rm -rf "$TRASH"
}
trap cleanup EXIT

mkdir -p repo/infra
cd repo || exit 1
git init -q -b main .
printf 'state/\n' >.gitignore
cat >infra/main.yaml <<'EOF2'
version: 1
interpreters:
  box: {}
jobs:
  hello:
    interpreter: box
    steps: [{ command: echo hi }]
EOF2
git add -A && git commit -qm first
head=$(git rev-parse HEAD)

expect_success 'apply from a clean tree' sandform apply --auto-approve infra
state=$ST/sandform.state.json
check 'the state names the commit' \
	test "$(json_get "$state" .provenance.git.commit)" = "$head"
check '... the branch' test "$(json_get "$state" .provenance.git.branch)" = main
check '... clean' test "$(json_get "$state" .provenance.git.dirty)" = false
check '... the manifest hash' \
	test "$(json_get "$state" .provenance.manifest_hash | wc -c)" -eq 65
check '... the sandform version' \
	test "$(json_get "$state" .provenance.sandform_version)" != null

echo '# a comment' >>infra/main.yaml
expect_success 'run a job from a dirty tree' sandform run hello infra
run=$(ls "$ST"/runs/hello/*.json)
check 'the run record names the commit' \
	test "$(json_get "$run" .provenance.git.commit)" = "$head"
check '... and that the tree was dirty' \
	test "$(json_get "$run" .provenance.git.dirty)" = true
check 'the state says dirty now' \
	test "$(json_get "$state" .provenance.git.dirty)" = true
check 'the manifest hash changed with the file' \
	test "$(json_get "$run" .provenance.manifest_hash)" = \
	"$(json_get "$state" .provenance.manifest_hash)"

expect_success 'show prints it' sandform show infra
expect_output '... the commit' stdout "last written from commit $head \\(main\\), with uncommitted changes"
expect_output '... the hash' stdout '^  manifests [0-9a-f]{64}, by sandform '

done_testing
