#!/usr/bin/env bash
# Variables added, removed, changed (a sensitive name is never shown), and what they change.
. "$(dirname "$0")/../gitlib.sh"
git_case
