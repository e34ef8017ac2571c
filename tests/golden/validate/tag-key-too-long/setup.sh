# Tag keys: 128 characters are allowed, 129 are not.
{
	printf 'version: 1\ninterpreters:\n  a:\n    tags:\n      '
	head -c 128 /dev/zero | tr '\0' 'k'
	printf ': ok\n      '
	head -c 129 /dev/zero | tr '\0' 'k'
	printf ': too long\n'
} >main.yaml
