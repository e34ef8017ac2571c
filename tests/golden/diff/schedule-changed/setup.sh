#!/usr/bin/env bash
# Schedules before and after with next fire times, runs per month and cost; a job moved to a PUBLIC interpreter.
. "$(dirname "$0")/../gitlib.sh"
git_case
