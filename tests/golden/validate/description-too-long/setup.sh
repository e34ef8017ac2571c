# 4096 characters are allowed, 4097 are not.
{
	printf 'version: 1\ninterpreters:\n  ok:\n    description: '
	head -c 4096 /dev/zero | tr '\0' 'x'
	printf '\n  long:\n    description: '
	head -c 4097 /dev/zero | tr '\0' 'x'
	printf '\n'
} >main.yaml
