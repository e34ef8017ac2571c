#!/usr/bin/env bash
# Golden test runner: run.sh COMMAND CASE_DIR
#
# CASE_DIR/in/        the configuration (copied to a temporary directory)
# CASE_DIR/setup.sh   optional: run there first (for inputs too big or too
#                     binary to commit)
# CASE_DIR/args       optional: arguments after COMMAND (default: none, so
#                     the command reads the current directory)
# CASE_DIR/env        optional: NAME=VALUE lines for the environment
# CASE_DIR/expected.stdout, expected.stderr, expected.status
#
# The command runs in a clean environment (NO_COLOR=1, LC_ALL=C.UTF-8).
# SF_UPDATE_GOLDEN=1 rewrites the expected files from what it printed.
set -u
cmd=$1
case_dir=$(cd "$2" && pwd)
: "${SANDFORM:?SANDFORM must name the sandform binary}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
[ -d "$case_dir/in" ] && cp -R "$case_dir/in/." "$work/in/"
cd "$work/in" || exit 1
if [ -f "$case_dir/setup.sh" ]; then
	bash "$case_dir/setup.sh" || { echo "setup.sh failed"; exit 1; }
fi

args=()
[ -f "$case_dir/args" ] && read -r -a args <"$case_dir/args"
envs=(PATH="$PATH" NO_COLOR=1 LC_ALL=C.UTF-8 HOME="$work")
if [ -f "$case_dir/env" ]; then
	while IFS= read -r line; do
		[ -n "$line" ] && envs+=("$line")
	done <"$case_dir/env"
fi

env -i "${envs[@]}" "$SANDFORM" "$cmd" "${args[@]}" \
	>"$work/stdout" 2>"$work/stderr" </dev/null
echo $? >"$work/status"

if [ -n "${SF_UPDATE_GOLDEN:-}" ]; then
	for f in stdout stderr status; do
		if [ -s "$work/$f" ] || [ -f "$case_dir/expected.$f" ]; then
			cp "$work/$f" "$case_dir/expected.$f"
		fi
	done
	echo "updated $case_dir"
	exit 0
fi

fail=0
for f in stdout stderr status; do
	want="$case_dir/expected.$f"
	if [ -f "$want" ]; then
		if ! diff -u "$want" "$work/$f"; then
			echo "--- $f differs from $want"
			fail=1
		fi
	elif [ -s "$work/$f" ]; then
		echo "--- unexpected $f (no $want):"
		cat "$work/$f"
		fail=1
	fi
done
exit $fail
