# Sourced by the setup.sh of the golden diff cases (tests/golden/diff/*/).
#
# A case's in/base/ and in/head/ hold two trees of a repository. git_case
# turns the current directory (run.sh's copy of in/) into a repository
# whose branch main has base/, and then either
#   git_case             puts head/ in the working tree (uncommitted), or
#   git_case --commit    commits head/ on a branch "pr" and checks main out.
#
# Identities and dates are fixed, so commit ids, and so the output, are the
# same on every machine and with every git version.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=sandform GIT_AUTHOR_EMAIL=tests@sandform.invalid
export GIT_COMMITTER_NAME=sandform GIT_COMMITTER_EMAIL=tests@sandform.invalid
export GIT_AUTHOR_DATE='2026-01-01T00:00:00+00:00'
export GIT_COMMITTER_DATE='2026-01-01T00:00:00+00:00'

git_case() {
	local trees
	trees=$(mktemp -d) || exit 1
	mv base head "$trees/" || exit 1
	git init -q -b main . || exit 1
	cp -R "$trees/base/." . || exit 1
	git add -A && git commit -q -m base || exit 1
	if [ "${1:-}" = --commit ]; then
		git checkout -q -b pr || exit 1
	fi
	git rm -rq --ignore-unmatch . >/dev/null || exit 1
	cp -R "$trees/head/." . || exit 1
	if [ "${1:-}" = --commit ]; then
		git add -A && git commit -q -m head || exit 1
		git checkout -q main || exit 1
	fi
	rm -rf "$trees"
}
