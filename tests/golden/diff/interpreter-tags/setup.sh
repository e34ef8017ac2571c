#!/usr/bin/env bash
# Tags change in place; reordered subnets are no change; prevent_destroy alone is sandform-only.
. "$(dirname "$0")/../gitlib.sh"
git_case
