#!/usr/bin/env bash
# The same pull request as JSON.
. "$(dirname "$0")/../gitlib.sh"
git_case --commit
