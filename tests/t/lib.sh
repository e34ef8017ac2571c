# Shared helpers of the shell tests (tests/t/tNNNN-command-detail.sh), in the
# manner of git's t/test-lib.sh: each test drives the real binary and checks
# what it printed and how it exited.
#
#   . "$(dirname "$0")/lib.sh"
#   expect_success 'validate an empty config' sandform validate dir
#   expect_output  'it says so' stdout '^Success!'
#   done_testing
#
# ctest sets SANDFORM (the binary), SF_SOURCE_DIR, SF_SHARED_DIR and
# NO_COLOR=1. Each test script runs in a fresh scratch directory, removed at
# exit. A script exits 0 when every check passed, 1 when any failed, and 77
# (ctest's "skipped") through skip_all.

set -u

if [ -z "${SANDFORM:-}" ]; then
	echo "SANDFORM must name the sandform binary" >&2
	exit 1
fi
case $SANDFORM in
/*) ;;
*) SANDFORM=$(cd "$(dirname "$SANDFORM")" && pwd)/$(basename "$SANDFORM") ;;
esac
: "${SF_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export SANDFORM SF_SOURCE_DIR

test_name=$(basename "$0" .sh)
test_count=0
test_failed=0

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/sf-$test_name.XXXXXX") || exit 1
trap 'rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
OUT=$TRASH/.stdout
ERR=$TRASH/.stderr
status=0

# The binary under test, as a command tests can name.
sandform() {
	"$SANDFORM" "$@"
}

# run CMD...: run it with stdin from /dev/null; its output goes to $OUT and
# $ERR, its exit status to $status. Never fails itself.
run() {
	"$@" >"$OUT" 2>"$ERR" </dev/null
	status=$?
	return 0
}

pass() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1"
}

# fail DESC WHY: record a failure with the last command's output.
fail() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	echo "not ok $test_count - $1"
	echo "#   $2"
	if [ -s "$OUT" ]; then
		echo "#   stdout:"
		sed -n '1,20s/^/#     /p' "$OUT"
	fi
	if [ -s "$ERR" ]; then
		echo "#   stderr:"
		sed -n '1,20s/^/#     /p' "$ERR"
	fi
}

# Exit statuses above 1 other than usage are crashes (128+signal) or bugs.
describe_status() {
	if [ "$1" -gt 128 ]; then
		echo "exit status $1 (killed by signal $(($1 - 128)))"
	else
		echo "exit status $1"
	fi
}

# expect_success DESC CMD...: CMD exits 0.
expect_success() {
	local desc=$1
	shift
	run "$@"
	if [ "$status" -eq 0 ]; then
		pass "$desc"
	else
		fail "$desc" "$(describe_status "$status"), expected 0: $*"
	fi
}

# expect_failure DESC CMD...: CMD exits 1, sandform's status for every
# error; anything else (a crash, an abort) is a failure of the test.
expect_failure() {
	expect_status "$1" 1 "${@:2}"
}

# expect_status DESC N CMD...: CMD exits N.
expect_status() {
	local desc=$1 want=$2
	shift 2
	run "$@"
	if [ "$status" -eq "$want" ]; then
		pass "$desc"
	else
		fail "$desc" "$(describe_status "$status"), expected $want: $*"
	fi
}

# expect_output DESC stdout|stderr ERE: the last command's output has a
# line matching the extended regular expression.
expect_output() {
	local f
	f=$(stream_file "$2") || return 0
	if grep -Eq -- "$3" "$f"; then
		pass "$1"
	else
		fail "$1" "no line of $2 matches /$3/"
	fi
}

# expect_no_output DESC stdout|stderr [ERE]: no line matches (without ERE:
# the stream is empty).
expect_no_output() {
	local f
	f=$(stream_file "$2") || return 0
	if [ $# -lt 3 ]; then
		if [ -s "$f" ]; then
			fail "$1" "$2 is not empty"
		else
			pass "$1"
		fi
	elif grep -Eq -- "$3" "$f"; then
		fail "$1" "a line of $2 matches /$3/"
	else
		pass "$1"
	fi
}

stream_file() {
	case $1 in
	stdout) echo "$OUT" ;;
	stderr) echo "$ERR" ;;
	*)
		fail "bad stream \"$1\"" "expect_output takes stdout or stderr"
		return 1
		;;
	esac
}

# check DESC CMD...: any other condition, as a command that succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc" "failed: $*"
	fi
}

# json_get FILE EXPR: print a value of a JSON document, with jq when it is
# installed, else python3; EXPR is a jq path such as .diagnostics[0].summary
# (only .key and [N] steps, a missing one being null, and a final
# "| length").
json_get() {
	if command -v jq >/dev/null 2>&1; then
		jq -r "$2" "$1"
	else
		python3 - "$1" "$2" <<-'EOF'
		import json, re, sys
		v = json.load(open(sys.argv[1]))
		path, _, length = sys.argv[2].partition(" | length")
		for key, ix in re.findall(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]', path):
		    try:
		        v = v[key] if key else v[int(ix)]
		    except (KeyError, IndexError, TypeError):
		        v = None
		        break
		if _ == " | length":
		    v = len(v) if v is not None else 0
		print("true" if v is True else "false" if v is False else
		      "null" if v is None else v)
		EOF
	fi
}

# json_valid FILE: the file is one well-formed JSON value.
json_valid() {
	if command -v jq >/dev/null 2>&1; then
		jq -e . "$1" >/dev/null
	else
		python3 -m json.tool "$1" >/dev/null
	fi
}

# skip_all REASON: the whole script does not apply here.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 77
}

# done_testing: print the plan and a summary; the script's exit status.
done_testing() {
	echo "1..$test_count"
	if [ "$test_failed" -gt 0 ]; then
		echo "# $test_name: $test_failed of $test_count failed"
		exit 1
	fi
	echo "# $test_name: all $test_count passed"
	exit 0
}
