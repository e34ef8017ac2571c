# 50 tags are allowed, 51 are not.
{
	printf 'version: 1\ninterpreters:\n  fifty:\n    tags:\n'
	for i in $(seq 1 50); do printf '      t%d: v\n' "$i"; done
	printf '  fiftyone:\n    tags:\n'
	for i in $(seq 1 51); do printf '      t%d: v\n' "$i"; done
} >main.yaml
