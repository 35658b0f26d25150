"""Console entry point `groundstation`.

With a subcommand it runs the headless CLI and never imports Qt; with none it opens the desktop
app, importing Qt only then.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        from groundstation.cli import main as cli_main

        return cli_main(args)
    from ui.desktop import run_desktop  # Qt is imported here, and only here.

    return run_desktop()


if __name__ == "__main__":
    sys.exit(main())
