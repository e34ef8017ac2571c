#!/usr/bin/env bash
# Invalid manifests in the working tree: diagnostics with their paths on disk.
. "$(dirname "$0")/../gitlib.sh"
git_case
