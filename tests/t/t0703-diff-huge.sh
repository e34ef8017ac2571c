#!/usr/bin/env bash
# A huge change: 2,000 interpreters added (half of them PUBLIC, each with a
# risk note) and 500 jobs changed. The Markdown comment must stay under
# GitHub's 65,536 characters and say what it left out; text and JSON keep
# everything.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || skip_all "git is not installed"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export SANDFORM_NOW=2026-01-05T09:30:00Z

git init -q -b main repo
cd repo || exit 1
mkdir conf
jobs() {
	local schedule=$1 i
	echo 'version: 1'
	echo 'jobs:'
	for ((i = 0; i < 500; i++)); do
		printf '  job%04d:\n    interpreter: aws.codeinterpreter.v1\n' "$i"
		printf '    schedule: "%s"\n    steps:\n' "$schedule"
		printf '      - code: print(%d)\n' "$i"
	done
}
jobs '@daily' >conf/jobs.yaml
git add conf && git commit -q -m base
{
	echo 'version: 1'
	echo 'interpreters:'
	for ((i = 0; i < 2000; i++)); do
		printf '  sandbox%04d:\n    network: %s\n    tags: { team: t%d }\n' \
			"$i" "$([ $((i % 2)) = 0 ] && echo PUBLIC || echo SANDBOX)" "$i"
	done
} >conf/interpreters.yaml
jobs '@hourly' >conf/jobs.yaml

expect_success 'markdown' sandform diff --base main conf --format markdown
size=$(wc -c <"$OUT")
check "... is under 65,536 bytes ($size)" test "$size" -lt 65536
check '... and uses most of it' test "$size" -gt 50000
expect_output '... starts with the summary table' stdout \
	'^\| interpreters \| \*\*2000\*\* \| 0 \| 0 \| 0 \|$'
expect_output '... counts the jobs' stdout '^\| jobs \| 0 \| \*\*500\*\* \|'
expect_output '... warns' stdout '^> \[!WARNING\]$'
expect_output '... lists some risk notes' stdout '^- interpreter <code>sandbox0000</code>: a new PUBLIC'
expect_output '... and says how many more' stdout '^- &hellip; and 1450 more, in the blocks below$'
expect_output '... says it was cut' stdout '^> \[!NOTE\]$'
expect_output '... and what it left out' stdout \
	'resources are not shown \([0-9]+ interpreters?, 500 jobs\)'
expect_output '... and how to see it all' stdout \
	'To see everything, run <code>sandform diff --base main conf</code>\.'
check '... every <details> is closed' \
	test "$(grep -c '^<details>' "$OUT")" = "$(grep -c '^</details>$' "$OUT")"
check '... the footer is kept' grep -q '^interpreters: 2000 to add' "$OUT"

expect_success 'JSON keeps everything' sandform diff --base main conf --format json
check '... 2,500 changes' test "$(json_get "$OUT" '.changes | length')" = 2500
check '... 1,500 risk notes' test "$(json_get "$OUT" .summary.risk_notes)" = 1500

expect_success 'text keeps everything' sandform diff --base main conf
check '... every interpreter' test "$(grep -c '^  + interpreter ' "$OUT")" = 2000
check '... every job' test "$(grep -c '^  ~ job ' "$OUT")" = 500

done_testing
