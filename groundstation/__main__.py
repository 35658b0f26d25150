"""`python -m groundstation`: the headless CLI (never imports Qt)."""

import sys

from groundstation.cli import main

sys.exit(main(sys.argv[1:]))
