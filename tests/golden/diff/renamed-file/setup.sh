#!/usr/bin/env bash
# Files renamed (and .yml to .yaml), the same content: no change.
. "$(dirname "$0")/../gitlib.sh"
git_case
