"""`make screenshots`: PNGs of the main window and of each view on the demo, for the README.

    python -m ui.screenshots [OUT_DIR]     (default docs/screenshots)

Runs offscreen at 1366x768 on a fixed simulated instant with a node selected, so the pictures are
the same from run to run.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from groundstation.app_settings import AppSettings
from groundstation.scene import load_scene
from groundstation.sky_plot import plan_sky
from ui.theme import RESOURCES

MOMENT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SIZE = (1366, 768)
SELECTED = 6  # the demo's seventh node
FRAME_TIMEOUT_S = 30.0
SETTLE_MS = 500
RESEND_MS = 5000
THEMES = ("dark", "light")
MIN_PASS_ELEVATION_DEG = 30.0  # a pass worth a picture
PASS_OFFSET = timedelta(minutes=1)  # shown a minute before culmination


def shot_name(view: str, theme: str) -> str:
    return f"{view}.png" if theme == THEMES[0] else f"{view}-{theme}.png"


def pass_in_view(settings: AppSettings) -> tuple[int, datetime]:
    """A demo node and the culmination of its first pass over the first station on MOMENT's day
    (the demo's elements are that day's), so the sky plot has a pass in progress to show."""
    scene = load_scene(settings, MOMENT)
    end_of_day = MOMENT.replace(hour=23, minute=59, second=59)
    order = scene.elements[SELECTED:] + scene.elements[:SELECTED]
    for element in order:
        for track in plan_sky(settings.stations[0], element, MOMENT).tracks:
            if (
                MOMENT <= track.pass_.tca <= end_of_day
                and track.pass_.max_elevation_deg > MIN_PASS_ELEVATION_DEG
            ):
                return element.norad_id, track.pass_.tca - PASS_OFFSET
    return scene.elements[SELECTED].norad_id, MOMENT


def take_screenshots(out_dir: Path, themes: tuple[str, ...] = THEMES) -> list[Path]:
    """Render the demo and save one PNG per view plus the whole window, per theme; needs a
    QApplication."""
    from PySide6.QtCore import QElapsedTimer, QPoint, QRect
    from PySide6.QtWidgets import QApplication

    from groundstation.clock import SimulatedClock
    from ui.desktop import build_main_window

    app = QApplication.instance()
    assert isinstance(app, QApplication), "create the QApplication first"
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = AppSettings.demo()
    node, moment = pass_in_view(settings)
    clock = SimulatedClock(moment, speed=0.0)
    # The default layout, and the user's saved one left alone.
    window = build_main_window(clock, settings, remember_layout=False)
    window.resize(*SIZE)
    window.show()
    window.selection.select_node(node)
    window.clock.start()
    timer = QElapsedTimer()
    timer.start()

    def ready() -> bool:
        frame = window.map_view.last_frame
        sky = window.sky_plot
        return (
            frame is not None
            and frame.selected is not None
            and sky.shown is not None
            and sky.rotator_position is not None
            and window.timeline.timeline is not None
            and len(window.fleet.lines) > 0
            and window.fleet.plot_title.text().endswith(" h")
        )

    while not ready():
        app.processEvents()
        if timer.elapsed() > FRAME_TIMEOUT_S * 1000:
            raise TimeoutError("the views drew nothing")
    shots = {
        "main-window": window,
        "map": window.map_dock,
        "sky": window.sky_dock,
        "timeline": window.timeline_dock,
        "fleet": window.fleet_dock,
        "console": window.console_dock,
        "radio": window.radio_dock,
        "event-log": window.log_dock,
    }
    # The radio panel on the demo's loopback radio, with one frame sent through it and decoded.
    window.radio.start()
    sent_at: int | None = None
    while window.radio.frames_shown == 0:
        app.processEvents()
        receiving = window.radio.state_label.text().startswith("Receiving")
        if receiving and (sent_at is None or timer.elapsed() - sent_at > RESEND_MS):
            window.radio.send_test_frame()
            sent_at = timer.elapsed()
        if timer.elapsed() > FRAME_TIMEOUT_S * 1000:
            raise TimeoutError("the radio panel decoded nothing")
    paths = []
    for theme in themes:
        window.apply_theme(theme)
        window.clock.emit_tick()  # the map redraws its catalog in the theme's colour
        settle = QElapsedTimer()
        settle.start()
        while settle.elapsed() < SETTLE_MS:  # dock tab bars are placed by deferred layout passes
            app.processEvents()
        for name, widget in shots.items():
            if widget is not window:
                widget.raise_()  # docks may share a tab area
                app.processEvents()
            path = out_dir / shot_name(name, theme)
            # Cut each view out of the window's picture: grabbing a dock alone leaves the plot black.
            area = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            if not window.grab(area).save(str(path)):
                raise OSError(f"cannot write {path}")
            paths.append(path)
        window.map_dock.raise_()  # the default tab again
        paths.append(_settings_shot(app, window, out_dir / shot_name("settings", theme)))
    window.close()
    return paths


def _settings_shot(app: Any, window: Any, path: Path) -> Path:
    """The settings dialog on the demo's first station (its rotator, radio and horizon mask)."""
    from PySide6.QtCore import QElapsedTimer

    dialog = window.open_settings()
    settle = QElapsedTimer()
    settle.start()
    while settle.elapsed() < SETTLE_MS:
        app.processEvents()
    saved = dialog.grab().save(str(path))
    dialog.reject()
    if not saved:
        raise OSError(f"cannot write {path}")
    return path


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
