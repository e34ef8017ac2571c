#!/usr/bin/env bash
# sandform diff against real repositories: refs of every kind, detached
# HEADs, shallow clones, the working tree (staged, unstaged, untracked),
# renames, and how mistakes are reported. Output formats are pinned by the
# golden cases in tests/golden/diff/; this checks behaviour.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || skip_all "git is not installed"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export SANDFORM_NOW=2026-01-05T09:30:00Z

v1='version: 1
interpreters:
  analytics:
    network: SANDBOX
    tags: { team: data }
'
v2='version: 1
interpreters:
  analytics:
    network: PUBLIC
    tags: { team: data }
'
v3='version: 1
interpreters:
  analytics:
    network: PUBLIC
    tags: { team: science }
'

git init -q -b main repo
cd repo || exit 1
mkdir conf
printf '%s' "$v1" >conf/main.yaml
git add conf && git commit -q -m one
git tag v1
printf '%s' "$v2" >conf/main.yaml
git commit -q -am two
printf '%s' "$v3" >conf/main.yaml
git commit -q -am three
sha1=$(git rev-parse v1)

# The command line
expect_success 'help lists diff' sandform help
expect_output '... with a summary' stdout '^  diff +[A-Z]'
expect_success 'diff --help' sandform diff --help
expect_output '... shows the usage' stdout '^Usage: sandform diff --base REF'
expect_output '... documents --exit-code' stdout '^  --exit-code '
expect_failure '--base is required' sandform diff conf
expect_output '... and says so' stderr '--base REF is required'
expect_failure 'a bad --format' sandform diff --base main --format yaml conf
expect_output '... is named' stderr 'not "yaml"'
expect_failure 'two directories' sandform diff --base main conf other
expect_output '... the second is unexpected' stderr 'unexpected argument "other"'
SANDFORM_NOW=yesterday expect_failure 'a bad SANDFORM_NOW' \
	sandform diff --base main conf
expect_output '... is named' stderr '^sandform: error: SANDFORM_NOW: '

# Refs of every kind, both sides from the object database
expect_success 'a tag against a branch' sandform diff --base v1 --head main conf
expect_output '... sees the replacement' stdout '^-/\+ interpreter "analytics"'
expect_output '... and the tag change' stdout 'tags.team += "data" -> "science"'
expect_output '... names the base with its commit' stdout "^  base: v1 \(${sha1:0:7}\)$"
expect_success 'HEAD~1 and HEAD~2' sandform diff --base HEAD~2 --head HEAD~1 conf
expect_output '... see only the network' stdout 'network += "SANDBOX" -> "PUBLIC"'
expect_no_output '... and no tag change' stdout 'tags.team'
expect_success 'a full sha' sandform diff --base "$sha1" --head HEAD conf
expect_success 'an abbreviated sha' sandform diff --base "${sha1:0:10}" --head HEAD conf
expect_success 'the same commit twice' sandform diff --base main --head HEAD conf
expect_output '... has no changes' stdout '^No changes\.'
expect_success 'a ref^{tree}' sandform diff --base 'v1^{tree}' --head HEAD conf
expect_output '... names the tree without a commit' stdout '^  base: v1\^\{tree\}$'

# Errors name the side
expect_failure 'a missing base' sandform diff --base nosuch conf
expect_output '... says which side' stderr '^sandform: error: --base nosuch: no such ref$'
expect_failure 'a missing head' sandform diff --base main --head nosuch conf
expect_output '... says which side' stderr '^sandform: error: --head nosuch: no such ref$'
expect_failure 'a directory that is not at the base' sandform diff --base main elsewhere
expect_output '... says so' stderr '^sandform: error: --base main: no manifests in elsewhere at that commit'
expect_failure 'a file for DIR' sandform diff --base main conf/main.yaml
expect_output '... is refused' stderr 'conf/main.yaml is a file: diff compares the configuration in a directory'
expect_failure 'outside a repository' sandform diff --base main /
expect_output '... says so' stderr 'not in a git repository'
(cd / && "$SANDFORM" diff --base main "$TRASH/repo/conf" >"$OUT" 2>"$ERR")
check 'DIR may be given from outside the repository' test $? -eq 0

# The working tree: unstaged, staged, untracked
expect_success 'a clean working tree' sandform diff --base main conf --format json
check '... is not dirty' test "$(json_get "$OUT" .head.dirty)" = false
check '... and has no changes' test "$(json_get "$OUT" .changed)" = false
check '... its commit is HEAD' test "$(json_get "$OUT" .head.commit)" = "$(git rev-parse HEAD)"
printf '%s' "$v1" >conf/main.yaml
expect_success 'an unstaged change' sandform diff --base main conf --format json
check '... is seen' test "$(json_get "$OUT" .summary.interpreters.replace)" = 1
check '... and the tree is dirty' test "$(json_get "$OUT" .head.dirty)" = true
git add conf/main.yaml
expect_success 'a staged change' sandform diff --base main conf --format json
check '... is seen' test "$(json_get "$OUT" .summary.interpreters.replace)" = 1
git checkout -q HEAD -- conf/main.yaml
printf 'version: 1\ninterpreters:\n  extra: {}\n' >conf/extra.yaml
expect_success 'an untracked manifest' sandform diff --base main conf --format json
check '... is read' test "$(json_get "$OUT" .summary.interpreters.add)" = 1
check '... and makes the tree dirty' test "$(json_get "$OUT" .head.dirty)" = true
rm conf/extra.yaml
echo scratch >notes.txt
expect_success 'an untracked file that is no manifest' \
	sandform diff --base main conf --format json
check '... leaves the tree clean' test "$(json_get "$OUT" .head.dirty)" = false
rm notes.txt

# Renames change nothing
git mv conf/main.yaml conf/interpreters.yml
git commit -q -m rename
expect_success 'a renamed manifest' sandform diff --base HEAD~1 --head HEAD conf
expect_output '... is no change' stdout '^No changes\.'
expect_success '... and as JSON' sandform diff --base HEAD~1 conf --format json
check '... the manifest hash changes with the name' \
	test "$(json_get "$OUT" .base.manifest_hash)" != "$(json_get "$OUT" .head.manifest_hash)"

# --var applies to both sides
printf 'version: 1\nvariables:\n  team: data\ninterpreters:\n  analytics:\n    tags: { team: "${var.team}" }\n' >conf/interpreters.yml
git commit -q -am var
printf 'version: 1\nvariables:\n  team: data\ninterpreters:\n  analytics:\n    network: PUBLIC\n    tags: { team: "${var.team}" }\n' >conf/interpreters.yml
expect_success '--var' sandform diff --base HEAD conf --var team=ops --format json
check '... the variable is not a change' \
	test "$(json_get "$OUT" .summary.variables.update)" = 0
git checkout -q HEAD -- conf

# --exit-code
expect_status '--exit-code without changes' 0 sandform diff --base HEAD conf --exit-code
expect_status '--exit-code with changes' 2 sandform diff --base v1 conf --exit-code

# A detached HEAD
git checkout -q --detach HEAD~1
expect_success 'a detached HEAD' sandform diff --base v1 conf --format json
check '... reads the working tree' test "$(json_get "$OUT" .head.working_tree)" = true
expect_success '... and HEAD as a ref' sandform diff --base v1 --head HEAD conf
git checkout -q main

# A shallow clone that has the base commit
cd "$TRASH" || exit 1
git clone -q --depth 2 "file://$TRASH/repo" shallow
cd shallow || exit 1
check 'the clone is shallow' test -f .git/shallow
expect_success 'a shallow clone: HEAD~1' sandform diff --base HEAD~1 conf
expect_output '... compares' stdout '^  base: HEAD~1 \('
expect_success 'origin/main' sandform diff --base origin/main --head HEAD conf
expect_output '... has no changes' stdout '^No changes\.'
expect_failure 'a base older than the clone' sandform diff --base HEAD~5 conf
expect_output '... says it may be the shallow history' stderr \
	'^sandform: error: --base HEAD~5: no such ref \(this is a shallow clone'

done_testing
