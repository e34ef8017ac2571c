#!/usr/bin/env bash
# --exit-code: status 0 without changes.
. "$(dirname "$0")/../gitlib.sh"
git_case
