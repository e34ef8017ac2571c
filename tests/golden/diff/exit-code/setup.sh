#!/usr/bin/env bash
# --exit-code: status 2 when there are changes.
. "$(dirname "$0")/../gitlib.sh"
git_case
