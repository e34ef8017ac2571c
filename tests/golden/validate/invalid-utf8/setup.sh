# Latin-1 "é" (0xE9) where UTF-8 is required, on line 3 after a valid "ü".
printf 'interpreters:\n  a:\n    description: caf\303\274 \351t\351\n' >main.yaml
