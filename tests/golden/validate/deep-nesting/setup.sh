# 10,000 levels of flow sequences: refused at the depth limit, no crash.
{ printf 'variables:\n  x: '; head -c 10000 /dev/zero | tr '\0' '['; printf '\n'; } >main.yaml
