#!/usr/bin/env bash
# Replaced: the attributes that force it (lists as sets), tags along, the jobs that use it.
. "$(dirname "$0")/../gitlib.sh"
git_case
