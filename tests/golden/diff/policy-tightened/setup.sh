#!/usr/bin/env bash
# Guards added: a change, but no risk.
. "$(dirname "$0")/../gitlib.sh"
git_case
