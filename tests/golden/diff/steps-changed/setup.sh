#!/usr/bin/env bash
# A unified diff of changed step code (two hunks), an added job with its steps, a removed job.
. "$(dirname "$0")/../gitlib.sh"
git_case
