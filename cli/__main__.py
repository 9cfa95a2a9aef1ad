"""`python -m cli`: the same as `qi`."""

from cli import main

main()
