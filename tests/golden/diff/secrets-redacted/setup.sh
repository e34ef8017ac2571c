#!/usr/bin/env bash
# Strings that look like secrets are redacted; code that merely calls a function is not.
. "$(dirname "$0")/../gitlib.sh"
git_case
