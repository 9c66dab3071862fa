"""`python -m decode_data ...`: see decode_data/cli/main.py."""

from decode_data.cli import main

raise SystemExit(main())
