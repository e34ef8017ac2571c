#!/usr/bin/env bash
# SANDBOX and VPC to PUBLIC, SANDBOX to VPC, a new PUBLIC one; PUBLIC to SANDBOX narrows.
. "$(dirname "$0")/../gitlib.sh"
git_case
