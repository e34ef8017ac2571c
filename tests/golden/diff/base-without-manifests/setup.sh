#!/usr/bin/env bash
# A base that has the directory but no manifests in it.
. "$(dirname "$0")/../gitlib.sh"
git_case
