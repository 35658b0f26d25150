"""Console entry point `groundstation`.

With a subcommand it runs the headless CLI and never imports Qt; with none it opens the desktop
app, importing Qt only then.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

NO_DISPLAY = (
    "groundstation: error: no display for the desktop app (DISPLAY and WAYLAND_DISPLAY are unset); "
    "run a subcommand instead (`groundstation --help`, e.g. `groundstation demo`), "
    "or choose a Qt platform with QT_QPA_PLATFORM"
)


def _no_display() -> bool:
    """On Linux without a display server Qt aborts (SIGABRT) with a misleading plugin message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        from groundstation.cli import main as cli_main

        return cli_main(args)
    if _no_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    from ui.desktop import run_desktop  # Qt is imported here, and only here.

    return run_desktop()


if __name__ == "__main__":
    sys.exit(main())
