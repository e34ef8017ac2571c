#!/usr/bin/env bash
# The provider now targets AWS.
. "$(dirname "$0")/../gitlib.sh"
git_case
