#!/usr/bin/env bash
# The same as network-widened, as a PR comment: the warning banner.
. "$(dirname "$0")/../gitlib.sh"
git_case
