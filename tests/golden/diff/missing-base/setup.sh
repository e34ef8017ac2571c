#!/usr/bin/env bash
# A base that is no ref.
. "$(dirname "$0")/../gitlib.sh"
git_case
