#!/usr/bin/env bash
# Comments and formatting change nothing.
. "$(dirname "$0")/../gitlib.sh"
git_case
