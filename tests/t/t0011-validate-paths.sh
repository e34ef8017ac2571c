#!/usr/bin/env bash
# Which files validate reads: the directory given (or the current one), the
# one file given, never hidden files, editor backups or subdirectories.
. "$(dirname "$0")/lib.sh"

good='version: 1
jobs:
  hello:
    interpreter: aws.codeinterpreter.v1
    steps:
      - command: echo hello
'
bad='version: 1
interpreters:
  bad-name: {}
'

mkdir conf
printf '%s' "$good" >conf/main.yaml
printf '%s' "$bad" >conf/other.yml.disabled

expect_success 'a directory' sandform validate conf
expect_output '... is valid' stdout '^Success! The configuration is valid: 0 interpreters, 1 job\.$'
expect_no_output '... quietly' stderr

expect_success 'a single file' sandform validate conf/main.yaml
expect_output '... is read' stdout ', 1 job\.$'

printf '%s' "$bad" >conf/broken.yaml
expect_failure 'a directory reads every *.yaml in it' sandform validate conf
expect_output '... so an error in another file is found' stderr \
	'^conf/broken\.yaml:3:3: error: invalid interpreter name "bad-name"'
expect_success 'a single file reads only that file' \
	sandform validate conf/main.yaml
expect_failure 'and naming the broken file' sandform validate conf/broken.yaml
expect_output '... reports it' stderr '^conf/broken\.yaml:3:3: error: '
rm conf/broken.yaml

printf '%s' "$good" >conf/extra.yml
expect_failure '*.yml files are read too' sandform validate conf
expect_output '... so a job declared in both is declared twice' stderr \
	'^conf/main\.yaml:3:3: error: job "hello" is declared twice; the first is at conf/extra\.yml:3:3$'
rm conf/extra.yml

expect_failure 'a path that does not exist' sandform validate no/such/dir
expect_output '... is named' stderr '^no/such/dir: error: no such file or directory$'
expect_output '... and counted' stderr \
	'^sandform: error: no/such/dir: 1 error in the configuration$'
expect_no_output '... nothing on stdout' stdout

expect_failure 'a missing file' sandform validate conf/nope.yaml
expect_output '... is named' stderr '^conf/nope\.yaml: error: no such file or directory$'

# Editor litter and hidden files are skipped, so this is an empty config.
mkdir litter
printf '%s' "$bad" >litter/.hidden.yaml
printf '%s' "$bad" >litter/x.yaml~
printf '%s' "$bad" >litter/notes.txt
expect_failure 'a directory of only .hidden.yaml and x.yaml~' \
	sandform validate litter
expect_output '... has no manifests' stderr '^litter: error: no manifests here'
expect_no_output '... and does not read the skipped files' stderr 'bad-name'

# Subdirectories are not read, even one whose name ends in .yaml.
mkdir -p nested/sub.yaml nested/deeper
printf '%s' "$bad" >nested/sub.yaml/inside.yaml
printf '%s' "$bad" >nested/deeper/main.yaml
expect_failure 'a directory holding only a sub.yaml/ directory' \
	sandform validate nested
expect_output '... has no manifests' stderr '^nested: error: no manifests here'
printf '%s' "$good" >nested/main.yaml
expect_success 'with a manifest beside sub.yaml/ and deeper/' \
	sandform validate nested
expect_no_output '... the subdirectories are not read' stderr

expect_failure 'two directories' sandform validate conf nested
expect_output '... are refused as an extra argument' stderr \
	'^sandform: error: unexpected argument "nested"$'
expect_output '... with a pointer to the help' stderr '`sandform validate --help`'
expect_no_output '... before reading anything' stdout

expect_success 'no argument: the current directory' \
	sh -c 'cd conf && "$SANDFORM" validate'
expect_output '... is read' stdout '^Success! '
expect_failure 'no argument in a directory without manifests' \
	sh -c 'cd litter && "$SANDFORM" validate'
expect_output '... names the current directory' stderr '^\.: error: no manifests here'

expect_success 'options may follow the directory' \
	sandform validate conf --json
expect_output '... and still apply' stdout '"valid": true'

done_testing
