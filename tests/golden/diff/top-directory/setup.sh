#!/usr/bin/env bash
# Manifests at the top of the repository; DIR omitted.
. "$(dirname "$0")/../gitlib.sh"
git_case
