#!/usr/bin/env bash
# Every example under examples/ is a valid configuration: each directory
# there that holds a *.yaml (or *.yml) file validates with exit status 0, both as an
# argument and from inside the directory.
. "$(dirname "$0")/lib.sh"

examples=$SF_SOURCE_DIR/examples
found=0
while IFS= read -r dir; do
	found=$((found + 1))
	name=${dir#"$examples"/}
	expect_success "examples/$name validates" sandform validate "$dir"
	expect_output "examples/$name: Success" stdout '^Success! '
	expect_no_output "examples/$name: no diagnostics" stderr
	expect_success "examples/$name validates from inside it" \
		sh -c 'cd "$1" && "$SANDFORM" validate' sh "$dir"
	expect_success "examples/$name validates as JSON" \
		sandform validate --json "$dir"
	check "examples/$name: JSON says valid" \
		test "$(json_get "$OUT" .valid)" = true
done < <(find "$examples" -type f \( -name '*.yaml' -o -name '*.yml' \) 2>/dev/null |
	sed 's|/[^/]*$||' | sort -u)

check "examples/ has at least one configuration" test "$found" -gt 0

done_testing
