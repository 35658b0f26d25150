"""`make screenshots`: PNGs of the main window and of each view on the demo, for the README.

    python -m ui.screenshots [OUT_DIR]     (default docs/screenshots)

Runs offscreen at 1366x768 on a fixed simulated instant with a node selected, so the pictures are
the same from run to run.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from ui.theme import RESOURCES

MOMENT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SIZE = (1366, 768)
SELECTED_NODE = 99007
FRAME_TIMEOUT_S = 30.0


def take_screenshots(out_dir: Path, theme: str = "dark") -> list[Path]:
    """Render the demo and save one PNG per view plus the whole window; needs a QApplication."""
    from PySide6.QtCore import QElapsedTimer, QPoint, QRect
    from PySide6.QtWidgets import QApplication

    from groundstation.app_settings import AppSettings
    from groundstation.clock import SimulatedClock
    from ui.desktop import build_main_window

    app = QApplication.instance()
    assert isinstance(app, QApplication), "create the QApplication first"
    out_dir.mkdir(parents=True, exist_ok=True)
    # The default layout, and the user's saved one left alone.
    window = build_main_window(SimulatedClock(MOMENT, speed=0.0), AppSettings.demo(), remember_layout=False)
    window.apply_theme(theme)
    window.resize(*SIZE)
    window.show()
    window.selection.select_node(SELECTED_NODE)
    window.clock.start()
    timer = QElapsedTimer()
    timer.start()
    view = window.map_view
    while view.last_frame is None or view.last_frame.selected is None:
        app.processEvents()
        if timer.elapsed() > FRAME_TIMEOUT_S * 1000:
            raise TimeoutError("the map drew no frame")
    app.processEvents()
    shots = {"main-window": window, "map": window.map_dock, "event-log": window.log_dock}
    paths = []
    for name, widget in shots.items():
        path = out_dir / f"{name}.png"
        # Cut each view out of the window's picture: grabbing a dock alone leaves the plot black.
        area = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not window.grab(area).save(str(path)):
            raise OSError(f"cannot write {path}")
        paths.append(path)
    window.close()
    return paths


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={RESOURCES / 'offscreen-screen.json'}")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out_dir = Path(argv[0]) if argv else Path("docs/screenshots")
    for path in take_screenshots(out_dir):
        print(path)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
