#!/usr/bin/env bash
# A realistic pull request as a PR comment.
. "$(dirname "$0")/../gitlib.sh"
git_case --commit
