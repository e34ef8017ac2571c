#!/usr/bin/env bash
# Deleted interpreters; one has prevent_destroy, so plan will refuse.
. "$(dirname "$0")/../gitlib.sh"
git_case
