"""`python -m idp.cli`: the same command as `idp`."""

from idp.cli import main

main()
