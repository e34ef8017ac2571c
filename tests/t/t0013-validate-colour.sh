#!/usr/bin/env bash
# Colour in validate's diagnostics: only on a terminal, and never with
# NO_COLOR set to anything but the empty string (https://no-color.org).
. "$(dirname "$0")/lib.sh"

esc=$(printf '\033')
mkdir bad good
printf 'version: 1\ninterpreters:\n  a:\n    netwrk: PUBLIC\n' >bad/main.yaml
printf 'version: 1\n' >good/main.yaml

# Not a terminal: output to files.
expect_failure 'NO_COLOR=1, not a terminal' env NO_COLOR=1 "$SANDFORM" validate bad
expect_output '... the diagnostic is printed' stderr '^bad/main\.yaml:4:5: error: unknown key'
expect_no_output '... without escape codes' stderr "$esc"

expect_failure 'NO_COLOR unset, not a terminal' env -u NO_COLOR "$SANDFORM" validate bad
expect_output '... the diagnostic is printed' stderr '^bad/main\.yaml:4:5: error: unknown key'
expect_no_output '... without escape codes' stderr "$esc"
expect_no_output '... on stdout neither' stdout "$esc"

expect_success 'a valid configuration, not a terminal' \
	env -u NO_COLOR "$SANDFORM" validate good
expect_no_output '... prints no escape codes' stdout "$esc"

# On a terminal: script(1) from util-linux runs the command on a pty and
# copies what it printed there (stdout and stderr both) to its stdout.
if ! script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
	echo "# no util-linux script(1) to run sandform on a terminal"
	if [ "$test_failed" -gt 0 ]; then
		done_testing
	fi
	skip_all 'no util-linux script(1) for the terminal checks'
fi

# on_tty ENV-ARGS... -- SANDFORM-ARGS...: run sandform on a terminal.
on_tty() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	run env "${envs[@]}" script -qec "$(printf '%q ' "$SANDFORM" "$@")" /dev/null
}

on_tty -u NO_COLOR -- validate bad
check 'NO_COLOR unset, a terminal: exit status 1' test "$status" -eq 1
expect_output '... the diagnostic is printed' stdout 'unknown key "netwrk"'
expect_output '... in colour' stdout "$esc\\[[0-9;]*m"
expect_output '... "error:" in bold red' stdout "$esc\\[1;31merror:"
expect_output '... the place in bold' stdout "$esc\\[1mbad/main\\.yaml:4:5:"
expect_output '... the caret in red' stdout "$esc\\[1;31m\\^~~~~~"
expect_output '... and the colour reset' stdout "$esc\\[0m"

on_tty NO_COLOR=1 -- validate bad
check 'NO_COLOR=1, a terminal: exit status 1' test "$status" -eq 1
expect_output '... the diagnostic is printed' stdout \
	'^bad/main\.yaml:4:5: error: unknown key "netwrk"'
expect_no_output '... without escape codes' stdout "$esc"

on_tty NO_COLOR=yes -- validate bad
expect_no_output 'NO_COLOR=yes, a terminal: no escape codes' stdout "$esc"

on_tty NO_COLOR= -- validate bad
expect_output 'NO_COLOR set but empty, a terminal: colour' stdout "$esc\\[1;31merror:"

on_tty -u NO_COLOR -- validate --json bad
check 'validate --json on a terminal: exit status 1' test "$status" -eq 1
expect_output '... prints JSON' stdout '"valid": false'
expect_no_output '... without escape codes' stdout "$esc"

on_tty -u NO_COLOR -- validate good
check 'a valid configuration on a terminal: exit status 0' test "$status" -eq 0
expect_output '... says so' stdout '^Success! '

done_testing
