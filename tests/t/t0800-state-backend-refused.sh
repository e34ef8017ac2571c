#!/usr/bin/env bash
# A manifest's state: block asking for a shared backend (git, s3) that this
# version does not run yet is refused before any state is read or written,
# never quietly replaced by a runner-local state directory.
. "$(dirname "$0")/lib.sh"

for backend in git s3; do
	mkdir -p "$backend"
	{
		echo 'version: 1'
		echo 'state:'
		echo "  backend: $backend"
		[ "$backend" = s3 ] && echo '  bucket: team-state'
	} >"$backend/main.yaml"
	expect_success "validate accepts backend $backend" sandform validate "$backend"
	expect_failure "plan refuses backend $backend" sandform plan "$backend"
	expect_output '... at the block, naming the backend' stderr \
		"^$backend/main.yaml:2:1: error: state.backend $backend is not available"
	check '... and creates no local state' test ! -e "$backend/state"
done

mkdir -p local
printf 'version: 1\nstate:\n  backend: local\n' >local/main.yaml
expect_success 'backend local plans' sandform plan local
check '... and keeps nothing on a no-change plan' test ! -e local/state/.lock

done_testing
