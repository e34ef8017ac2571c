#!/usr/bin/env bash
# examples/ci/: the GitHub Actions workflow and the GitLab CI file are
# well-formed YAML (parsed with the `yaml` package tests/schema installs),
# comment `sandform diff --base ... --format markdown` on every pull request
# and run `sandform apply --auto-approve` on the main branch and on a
# schedule.
. "$(dirname "$0")/lib.sh"

ci=$SF_SOURCE_DIR/examples/ci
modules=$SF_SOURCE_DIR/tests/schema/node_modules

if ! command -v node >/dev/null 2>&1; then
	echo "not ok 1 - node is not installed (Debian: apt-get install nodejs npm)"
	exit 1
fi
if [ ! -d "$modules/yaml" ]; then
	echo "not ok 1 - $modules/yaml is missing: run npm ci --prefix tests/schema"
	exit 1
fi

# parse FILE: print the document as JSON, or fail with the parser's error.
parse() {
	node -e '
		const YAML = require(process.argv[1]);
		const fs = require("fs");
		const doc = YAML.parseDocument(fs.readFileSync(process.argv[2], "utf8"),
			{ prettyErrors: true, uniqueKeys: true });
		if (doc.errors.length) {
			for (const e of doc.errors) console.error(e.message);
			process.exit(1);
		}
		console.log(JSON.stringify(doc.toJS()));
	' "$modules/yaml" "$1"
}

# has FILE JSPATH: the parsed document (in $OUT) has that path, truthy.
has() {
	node -e '
		const doc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const v = process.argv[2].split(".").reduce((o, k) => o == null ? o : o[k], doc);
		process.exit(v ? 0 : 1);
	' "$OUT" "$1"
}

gh=$ci/github-actions.yml.example
gl=$ci/gitlab-ci.yml.example

for f in "$gh" "$gl"; do
	name=${f#"$SF_SOURCE_DIR"/}
	check "$name exists" test -f "$f"
	expect_success "$name is well-formed YAML" parse "$f"
	expect_success "$name is not a sandform manifest by its name" \
		sh -c 'case "$1" in *.yml|*.yaml) exit 1;; esac' sh "$f"
	check "$name comments the diff as Markdown" \
		grep -Eq 'sandform diff --base "?\$[A-Z_]+"? "?\$SANDFORM_DIR"? --format markdown' "$f"
	check "$name keeps the diff as JSON" \
		grep -q -- '--format json' "$f"
	check "$name plans" grep -q 'sandform plan ' "$f"
	check "$name applies with --auto-approve" \
		grep -q 'sandform apply .*--auto-approve' "$f"
	check "$name keeps the state with the git backend" \
		grep -q 'backend: git' "$f"
	check "$name passes no local --state" sh -c "! grep -q -- '--state' '$f'"
done

# GitHub Actions: the triggers and the jobs
run parse "$gh"
check 'github: on pull_request' has on.pull_request
check 'github: on push to main' sh -c "grep -q '\"push\":{\"branches\":\\[\"main\"\\]' '$OUT'"
check 'github: on a schedule' has on.schedule.0.cron
check 'github: a review job' has jobs.review.steps
check 'github: it can comment' \
	test "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).jobs.review.permissions["pull-requests"]' "$OUT")" = write
check 'github: the checkout has the base commit' \
	test "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).jobs.review.steps[0].with["fetch-depth"]' "$OUT")" = 0
check 'github: posts with gh pr comment --body-file' \
	grep -q 'gh pr comment "$PR" --body-file comment.md' "$gh"
check 'github: diffs against the PR base' \
	grep -q 'github.event.pull_request.base.sha' "$gh"
check 'github: an apply job' has jobs.apply.steps
check 'github: apply only on main' sh -c "grep -q \"refs/heads/main\" '$gh'"
check 'github: apply may push the state ref' \
	test "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).jobs.apply.permissions.contents' "$OUT")" = write
check 'github: apply has a token for it' \
	test "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).jobs.apply.steps.find(s => s.name === "sandform apply").env.SANDFORM_GIT_TOKEN' "$OUT")" = '${{ github.token }}'

# GitLab CI
run parse "$gl"
check 'gitlab: a review job' has review.script
check 'gitlab: on merge requests' \
	grep -q 'CI_PIPELINE_SOURCE == "merge_request_event"' "$gl"
check 'gitlab: diffs against the target branch' \
	grep -q 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME' "$gl"
check 'gitlab: posts through the notes API with curl' \
	grep -q 'curl .*-X POST' "$gl"
check 'gitlab: ... of the merge request' \
	grep -q 'merge_requests/$CI_MERGE_REQUEST_IID/notes' "$gl"
check 'gitlab: an apply job' has apply.script
check 'gitlab: apply on a schedule' \
	grep -q 'CI_PIPELINE_SOURCE == "schedule"' "$gl"
check 'gitlab: apply on the default branch' \
	grep -q 'CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' "$gl"
check 'gitlab: apply pushes the state ref without CI_JOB_TOKEN in the URL' \
	grep -q 'git remote set-url origin "$CI_SERVER_URL/$CI_PROJECT_PATH.git"' "$gl"

done_testing
