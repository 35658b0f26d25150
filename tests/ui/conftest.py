"""Qt fixtures: a main window on the demo scene, driven by a paused simulated clock."""

import os
from datetime import UTC, datetime, timedelta

import pytest

from groundstation.app_settings import AppSettings
from groundstation.clock import SimulatedClock

# Qt's offscreen screen is 800x600 unless told otherwise; windows are sized for 1366x768 and up.
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    from ui.theme import RESOURCES

    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={RESOURCES / 'offscreen-screen.json'}"

# A fixed instant, so every run draws the same sky.
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def sim_clock():
    clock = SimulatedClock(T0, speed=0.0)
    return clock


@pytest.fixture
def window(qtbot, isolated_dirs, sim_clock):
    from ui.desktop import build_main_window

    main = build_main_window(sim_clock, AppSettings.demo(), demo_history=timedelta(0))
    qtbot.addWidget(main)
    main.show()
    with qtbot.waitSignal(main.map_view.frame_applied, timeout=10_000):
        main.clock.start()
    yield main
    main.close()
