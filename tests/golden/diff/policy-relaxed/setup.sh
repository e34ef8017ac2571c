#!/usr/bin/env bash
# The PR relaxes the policy guards that would have stopped it, and changes the pricing.
. "$(dirname "$0")/../gitlib.sh"
git_case
