#!/usr/bin/env bash
# A new interpreter: every attribute, and the risks of PUBLIC and a role.
. "$(dirname "$0")/../gitlib.sh"
git_case
