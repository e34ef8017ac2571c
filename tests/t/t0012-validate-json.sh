#!/usr/bin/env bash
# validate --json: the shape of `terraform validate -json`, every
# diagnostic with its range, and byte offsets that count bytes where the
# columns count characters.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null 2>&1 || command -v python3 >/dev/null 2>&1 ||
	skip_all 'neither jq nor python3 to read JSON'

# j EXPR: a value of the last command's JSON output.
j() {
	json_get "$OUT" "$1"
}

# is NAME EXPR WANT: the value at EXPR is WANT.
is() {
	local got
	got=$(j "$2")
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$2 is \"$got\", expected \"$3\""
	fi
}

mkdir good bad
cat >good/main.yaml <<'YAML'
version: 1
interpreters:
  a: {}
jobs:
  j:
    interpreter: a
    steps: [{command: echo}]
YAML

expect_success 'a valid configuration' sandform validate --json good
check '... prints valid JSON' json_valid "$OUT"
expect_no_output '... and nothing on stderr' stderr
expect_no_output '... and no Success line' stdout '^Success'
is '... format_version is "1.0"' .format_version 1.0
is '... valid is true' .valid true
is '... error_count is 0' .error_count 0
is '... warning_count is 0' .warning_count 0
is '... diagnostics is empty' '.diagnostics | length' 0

# Line 4 has three two-byte characters (ü, ß, ö) before the unknown key;
# line 6 is after them. Bytes of lines 1-3: 11 + 14 + 5 = 30.
cat >bad/main.yaml <<'YAML'
version: 1
interpreters:
  a:
    {description: "Grüße aus Köln", netwrk: PUBLIC}
jobs:
  j: {interpreter: nope, schedule: "0 25 * * *", steps: [{command: echo}]}
YAML
line4=30
line5=$((line4 + $(sed -n 4p bad/main.yaml | wc -c)))
line6=$((line5 + 6))

expect_failure 'an invalid configuration' sandform validate --json bad
check '... prints valid JSON' json_valid "$OUT"
expect_no_output '... and nothing on stderr' stderr
is '... valid is false' .valid false
is '... error_count counts the errors' .error_count 3
is '... warning_count is 0' .warning_count 0
is '... one diagnostic per error' '.diagnostics | length' 3

for i in 0 1 2; do
	d=".diagnostics[$i]"
	is "diagnostic $i: severity" "$d.severity" error
	check "diagnostic $i: a summary" test -n "$(j "$d.summary")"
	check "diagnostic $i: a detail string" \
		test "$(j "$d.detail")" != null
	is "diagnostic $i: range.filename" "$d.range.filename" bad/main.yaml
	for end in start end; do
		for k in line column byte; do
			check "diagnostic $i: range.$end.$k is a number" \
				grep -Eq '^[0-9]+$' <(j "$d.range.$end.$k")
		done
	done
done

# Line 4: '    {description: "Grüße aus Köln", netwrk: PUBLIC}'; "netwrk" is
# at character column 37, 36 characters and so 36 + 3 bytes into the line.
d='.diagnostics[0]'
is 'unknown key: the summary' "$d.summary" \
	'unknown key "netwrk" in interpreters.a; did you mean "network"?'
is 'unknown key: the detail lists the valid keys' "$d.detail" \
	'valid keys: description, network, vpc, execution_role_arn, certificates, tags, prevent_destroy'
is 'unknown key: start line' "$d.range.start.line" 4
is 'unknown key: start column counts characters' "$d.range.start.column" 37
is 'unknown key: start byte counts bytes' "$d.range.start.byte" \
	$((line4 + 36 + 3))
is 'unknown key: end line' "$d.range.end.line" 4
is 'unknown key: end column is after the key' "$d.range.end.column" 43
is 'unknown key: end byte is after the key' "$d.range.end.byte" \
	$((line4 + 42 + 3))
check 'unknown key: the bytes of the range are the key' test \
	"$(tail -c +$(($(j "$d.range.start.byte") + 1)) bad/main.yaml |
		head -c $(($(j "$d.range.end.byte") - $(j "$d.range.start.byte"))))" = netwrk

# Line 6: '  j: {interpreter: nope, schedule: "0 25 * * *", ...', all
# one-byte characters.
d='.diagnostics[1]'
is 'the diagnostics are in file order' "$d.range.start.line" 6
is 'undeclared interpreter: start column' "$d.range.start.column" 20
is 'undeclared interpreter: start byte after the multibyte line' \
	"$d.range.start.byte" $((line6 + 19))
is 'undeclared interpreter: end byte' "$d.range.end.byte" $((line6 + 23))
d='.diagnostics[2]'
is 'schedule: the range is the field in error' "$d.range.start.column" 39
is 'schedule: start byte' "$d.range.start.byte" $((line6 + 38))
is 'schedule: end column' "$d.range.end.column" 41
is 'schedule: end byte' "$d.range.end.byte" $((line6 + 40))

# Diagnostics without a place in a file have no range, or no start.
expect_failure 'an undeclared --var' sandform validate --json good --var nope=1
check '... prints valid JSON' json_valid "$OUT"
is '... is one error' .error_count 1
is '... without a range' '.diagnostics[0].range' null
is '... but with a summary' '.diagnostics[0].summary' \
	'--var nope: no variable "nope" is declared in the configuration'

expect_failure 'a missing directory' sandform validate --json missing
check '... prints valid JSON' json_valid "$OUT"
is '... names it in range.filename' '.diagnostics[0].range.filename' missing
is '... without a start' '.diagnostics[0].range.start' null
expect_no_output '... and nothing on stderr' stderr

# Strings are escaped: a quote and a control character in a key.
mkdir quoting
printf 'version: 1\n"a\\"b\\tc": 1\n' >quoting/main.yaml
expect_failure 'a key with a quote and a tab' sandform validate --json quoting
check '... still prints valid JSON' json_valid "$OUT"
check '... with the key in the summary' \
	grep -q "unknown key \"a\"b	c\"" <(j '.diagnostics[0].summary')

done_testing
