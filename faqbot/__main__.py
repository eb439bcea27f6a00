"""`python -m faqbot` runs the same CLI as the `faqbot` script."""

from faqbot.cli.commands import main

main()
