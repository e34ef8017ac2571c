# 50 MiB of YAML comments: must be refused for its size, without parsing.
yes '# padding padding padding padding padding padding padding padding' |
	head -c 52428800 >big.yaml
printf 'version: 1\n' >main.yaml
