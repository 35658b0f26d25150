"""Opens the desktop app: settings (or the demo on first start), the clock, the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timedelta

from PySide6.QtWidgets import QApplication

from groundstation.app_settings import AppSettings, load_layout, load_settings, save_layout, settings_path
from groundstation.cli.elements import element_cache, load_sources
from groundstation.clock import Clock
from groundstation.errors import InputError
from groundstation.scene import load_scene
from ui.clock_controller import ClockController
from ui.main_window import MainWindow
from ui.operations import DEMO_HISTORY


def build_main_window(
    clock: Clock | None = None,
    settings: AppSettings | None = None,
    remember_layout: bool = True,
    demo_history: timedelta = DEMO_HISTORY,
) -> MainWindow:
    """The window on the saved settings (the demo when there are none), driven by `clock` (real time
    by default); with `remember_layout` it opens in the saved layout and saves it on close. With the
    demo constellation shown, its nodes are simulated (over the loopback air link), starting
    `demo_history` before the clock. Raises InputError on bad settings. Needs a QApplication."""
    demo = from_file = False
    if settings is None:
        loaded = load_settings()
        demo, from_file = loaded is None, loaded is not None
        settings = AppSettings.demo() if loaded is None else loaded
    controller = ClockController(clock)
    if from_file:  # the operator's setup: their network sources' cached elements too
        scene = load_scene(settings, controller.now(), load_sources(), element_cache())
    else:  # first start (the demo alone) or settings handed in by the caller
        scene = load_scene(settings, controller.now())
    if remember_layout:
        window = MainWindow(settings, scene, controller, load_layout(), save_layout)
    else:
        window = MainWindow(settings, scene, controller)
    if demo:
        window.log("info", "settings", f"no {settings_path()}: showing the built-in demo")
    window.log("info", "scene", f"{len(scene.elements)} objects, {len(scene.stations)} stations")
    for warning in scene.warnings:
        window.log("warning", "elements", warning)
    if settings.show_demo:
        window.operations.start_demo(controller.now(), demo_history)
    return window


def run_desktop(argv: Sequence[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("groundstation")
    try:
        window = build_main_window()
    except InputError as exc:  # bad settings: one line, exit 2, the file left as it is
        print(f"groundstation: error: {exc}", file=sys.stderr)
        return 2
    window.show()
    window.clock.start()
    return int(app.exec())
