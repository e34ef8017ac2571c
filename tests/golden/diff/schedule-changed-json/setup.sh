#!/usr/bin/env bash
# The same as schedule-changed, as JSON.
. "$(dirname "$0")/../gitlib.sh"
git_case
