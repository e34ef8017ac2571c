#!/usr/bin/env bash
# Manifests in a subfolder, both sides commits: only that folder counts.
. "$(dirname "$0")/../gitlib.sh"
git_case --commit
