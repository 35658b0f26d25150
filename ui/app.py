"""Console entry point `groundstation`.

With a subcommand it runs the headless CLI and never imports Qt; with none it opens the desktop
app, importing Qt only then.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Sequence

NO_DISPLAY = (
    "groundstation: error: no display for the desktop app (DISPLAY and WAYLAND_DISPLAY are unset); "
    "run a subcommand instead (`groundstation --help`, e.g. `groundstation demo`), "
    "or choose a Qt platform with QT_QPA_PLATFORM"
)

# What Qt's X11 (xcb) platform plugin loads, by library name, and the Debian package holding each.
# Without one of them Qt aborts (SIGABRT) after a message about plugins that names none of them.
X11_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
}


def missing_x11_packages(find_library: Callable[[str], str | None] = ctypes.util.find_library) -> list[str]:
    """Debian packages to install before Qt can open a window on X11 (empty when none)."""
    return [package for library, package in X11_LIBRARIES.items() if find_library(library) is None]


def _on_x11() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def _no_display() -> bool:
    """On Linux without a display server Qt aborts (SIGABRT) with a misleading plugin message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def desktop_unavailable() -> str | None:
    """Why no window can open here (a one-line error), or None when the desktop app can start."""
    if _no_display():
        return NO_DISPLAY
    missing = missing_x11_packages() if _on_x11() else []
    if missing:
        return (
            "groundstation: error: the desktop app needs Qt's X11 libraries: "
            f"sudo apt-get install {' '.join(missing)}"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        from groundstation.cli import main as cli_main

        return cli_main(args)
    reason = desktop_unavailable()
    if reason is not None:
        print(reason, file=sys.stderr)
        return 2
    from ui.desktop import run_desktop  # Qt is imported here, and only here.

    return run_desktop()


if __name__ == "__main__":
    sys.exit(main())
