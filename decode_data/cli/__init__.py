"""`python -m decode_data ...`: the command line, one module per command group (main.py parses)."""

from decode_data.cli.main import main

__all__ = ["main"]
