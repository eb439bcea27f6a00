"""`python -m faqbot` runs the same CLI as the `faqbot` script."""

from faqbot.cli.main import main

main()
