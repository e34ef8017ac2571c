# A manifest that is really binary: a NUL byte on line 2.
printf 'interpreters:\nab\000cd\n' >main.yaml
