#!/usr/bin/env bash
# Benchmarks of plan and apply against the embedded control plane (the
# DESIGN.md targets): apply creating 100 interpreters (under 2 s at the
# default parallelism), and a plan with no changes over 1,000 managed
# interpreters (under 250 ms, at most 15 HTTP requests). Prints figures;
# fails only when a command fails.
#
# usage: bench_plan_apply.sh SANDFORM
set -u
SANDFORM=${1:?usage: bench_plan_apply.sh SANDFORM}
export SANDFORM_LOCAL_BACKEND=echo NO_COLOR=1
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
work=$(mktemp -d)
trap '"$SANDFORM" local stop --state "$work/cfg/state" >/dev/null 2>&1; rm -rf "$work"' EXIT
mkdir -p "$work/cfg"

manifest() { # N
	echo 'version: 1'
	echo 'interpreters:'
	for i in $(seq -w 1 "$1"); do
		echo "  box_$i: { description: benchmark box $i, tags: { team: bench } }"
	done
}

ms() { date +%s%3N; }

requests() {
	"$SANDFORM" local status --state "$work/cfg/state" --json |
		sed -n 's/.*"requests": *\([0-9]*\).*/\1/p'
}

"$SANDFORM" local start --state "$work/cfg/state" >/dev/null || exit 1

manifest 100 >"$work/cfg/main.yaml"
t0=$(ms)
"$SANDFORM" apply --auto-approve "$work/cfg" >"$work/apply.out" 2>&1 || {
	cat "$work/apply.out"
	exit 1
}
t1=$(ms)
echo "bench apply: 100 interpreters created in $((t1 - t0)) ms (parallelism 10); target < 2000 ms"

manifest 1000 >"$work/cfg/main.yaml"
"$SANDFORM" apply --auto-approve --parallelism 50 "$work/cfg" >"$work/apply.out" 2>&1 || {
	cat "$work/apply.out"
	exit 1
}
times=()
for _ in 1 2 3 4 5; do
	r0=$(requests)
	t0=$(ms)
	"$SANDFORM" plan --detailed-exitcode "$work/cfg" >"$work/plan.out" 2>&1
	rc=$?
	t1=$(ms)
	r1=$(requests)
	if [ "$rc" -ne 0 ]; then
		echo "bench plan: expected no changes, got exit $rc"
		cat "$work/plan.out"
		exit 1
	fi
	times+=($((t1 - t0)))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
# The status request itself is one of the counted ones.
echo "bench plan: no changes over 1000 interpreters: median $median ms (runs: $sorted); target < 250 ms"
echo "bench plan: $((r1 - r0 - 1)) HTTP requests per plan; target <= 15"
