#!/usr/bin/env bash
# Invalid manifests at --head: diagnostics named REF:PATH.
. "$(dirname "$0")/../gitlib.sh"
git_case --commit
