"""Opens the desktop app. Issue 8 builds the window; until then say so plainly."""

from __future__ import annotations

import sys


def run_desktop() -> int:
    print(
        "groundstation: the desktop app is not built yet; run `groundstation --help` for the "
        "headless commands or `make run` for the demo.",
        file=sys.stderr,
    )
    return 1
