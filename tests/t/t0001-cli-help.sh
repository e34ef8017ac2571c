#!/usr/bin/env bash
# The command line itself: usage, help, version, and how mistakes on it are
# answered (exit status 1 and a pointer to --help, never a crash).
. "$(dirname "$0")/lib.sh"

# Usage
expect_failure 'no arguments is a usage error' sandform
expect_output 'no arguments prints the usage' stderr '^Usage: sandform '
expect_no_output '... on stderr only' stdout

for h in --help -h help; do
	expect_success "sandform $h succeeds" sandform $h
	expect_output "sandform $h prints the usage" stdout '^Usage: sandform '
	expect_output "sandform $h lists validate" stdout '^  validate +[A-Z]'
	expect_output "sandform $h lists version" stdout '^  version +[A-Z]'
	expect_output "sandform $h lists help" stdout '^  help +[A-Z]'
	expect_no_output "sandform $h writes nothing to stderr" stderr
done

# Each command's help, three ways
for cmd in validate version help; do
	expect_success "help $cmd succeeds" sandform help "$cmd"
	expect_output "help $cmd shows its usage" stdout "^Usage: sandform $cmd"
	cp "$OUT" "$TRASH/help-$cmd"
	expect_success "$cmd --help succeeds" sandform "$cmd" --help
	check "$cmd --help is the same text as help $cmd" \
		cmp -s "$OUT" "$TRASH/help-$cmd"
	expect_success "$cmd -h succeeds" sandform "$cmd" -h
	check "$cmd -h is the same text as help $cmd" \
		cmp -s "$OUT" "$TRASH/help-$cmd"
done
run sandform validate --help
expect_output 'validate --help documents --json' stdout '^  --json '
expect_output 'validate --help documents --var' stdout '^  --var NAME=VALUE '
expect_output 'validate --help documents its exit status' stdout 'Exit status'
expect_success '--help wins over other arguments' \
	sandform validate /nonexistent --json --help
expect_output '... and prints the usage' stdout '^Usage: sandform validate'

expect_failure 'help of an unknown command' sandform help nosuch
expect_output '... names it' stderr 'unknown command "nosuch"'
expect_failure 'help takes one command' sandform help validate version
expect_output '... and says so' stderr 'too many arguments'

# Version
expect_success 'version succeeds' sandform version
expect_output 'version names sandform and a version number' stdout \
	'^sandform [0-9]+\.[0-9]+\.[0-9]+'
expect_output 'version names the libraries' stdout \
	'^libyaml [0-9.]+, jansson [0-9.]+, libcurl [0-9.]+, OpenSSL [0-9.]+, libgit2 [0-9.]+$'
cp "$OUT" "$TRASH/version"
expect_success '--version succeeds' sandform --version
check '--version prints the same as version' cmp -s "$OUT" "$TRASH/version"

expect_success 'version --json succeeds' sandform version --json
check 'version --json is valid JSON' json_valid "$OUT"
check 'version --json has the version' \
	test "$(json_get "$OUT" .version)" = \
	"$(sed -n 's/^sandform \([^ ]*\).*/\1/p' "$TRASH/version")"
for lib in libyaml jansson libcurl openssl libgit2; do
	check "version --json has the $lib version" \
		grep -Eq '^[0-9]+\.' <(json_get "$OUT" .libraries.$lib)
done
expect_failure 'version refuses other arguments' sandform version --yaml
expect_output '... naming the argument' stderr 'unexpected argument "--yaml"'

# Mistakes
expect_failure 'an unknown command fails' sandform valdate
expect_output '... with a did-you-mean' stderr \
	'^sandform: error: unknown command "valdate"; did you mean "validate"\?$'
expect_output '... and a pointer to --help' stderr '`sandform --help`'
expect_no_output '... and nothing on stdout' stdout

expect_failure 'a command nothing like any other' sandform frobnicate
expect_output '... gets no hint' stderr '^sandform: error: unknown command "frobnicate"$'

expect_failure 'an unknown option before the command' sandform --frob
expect_output '... is named' stderr 'unknown option "--frob"'

expect_failure 'an unknown option of validate' sandform validate --frob
expect_output '... is named' stderr 'unknown option "--frob"'
expect_output '... with a pointer to validate --help' stderr \
	'`sandform validate --help`'

expect_failure '--var without its value' sandform validate --var
expect_output '... says it needs one' stderr '--var needs a value'

done_testing
