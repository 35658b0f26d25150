import tomllib
from datetime import UTC, timedelta, timezone

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from groundstation.app_settings import AppSettings, layout_path, load_layout
from groundstation.scene import load_scene
from tests.ui.conftest import T0
from ui.main_window import find_node, shortcuts_text
from ui.status_bar import StatusBar

SCREEN_1366 = (1366, 768)


def test_window_assembles_docks_and_status_bar(window):
    docks = {d.objectName() for d in window.findChildren(QDockWidget)}
    assert {"dock_map", "dock_event_log"} <= docks
    assert window.status.utc.text() == "UTC 2026-11-22 12:00:00"
    assert window.status.mode.text() == "Clock: simulated ×0"
    assert window.status.station.text() == "Station: Delft"


def test_status_bar_shows_local_time_in_the_given_zone(qtbot, window):
    bar = StatusBar(window.clock, window.selection, local_zone=timezone(timedelta(hours=9), "JST"))
    qtbot.addWidget(bar)
    bar.show_time(T0)
    assert bar.local.text() == "Local 21:00:00 JST"


def test_keyboard_shortcuts_drive_the_clock(qtbot, window):
    clock = window.clock
    with qtbot.waitSignal(clock.mode_changed):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert clock.paused
    assert window.status.mode.text() == "Clock: simulated, paused"
    with qtbot.waitSignal(clock.tick) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0] == T0 + timedelta(minutes=10)
    with qtbot.waitSignal(clock.mode_changed):
        qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert not clock.paused
    assert clock.speed == 1.0
    assert "Space\tPause / resume" in shortcuts_text(window.actions_by_name.values())


def test_find_box_selects_a_node_and_the_log_says_so(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.find_box.hasFocus)
    qtbot.keyClicks(window.find_box, "node-02-01")
    qtbot.keyClick(window.find_box, Qt.Key.Key_Return)
    assert window.selection.node == 906
    # A frame already in flight may still show no selection; the next one does.
    qtbot.waitUntil(lambda: window.map_view.last_frame.selected is not None, timeout=10_000)
    assert any(line.endswith("selection: NODE-02-01 #906") for line in window.event_log.lines())
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.selection.node is None


def test_find_node_matches_name_id_and_completer_text():
    scene = load_scene(AppSettings.demo(), T0)
    assert find_node(scene, "903") == 903
    assert find_node(scene, "NODE-02-06 #911") == 911
    assert find_node(scene, "node-03") == 912  # the first partial match: NODE-03-01
    assert find_node(scene, "hubble") is None
    assert find_node(scene, "  ") is None


def test_theme_toggles_and_both_themes_load(qtbot, window):
    assert window.theme.name == "dark"
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.theme.name == "light"
    assert window.map_view.canvas.backgroundBrush().color().name() == "#f6f8fa"


def test_station_choice_reaches_the_status_bar(qtbot, window):
    window.station_box.setCurrentText("Kiruna")
    assert window.selection.station == "Kiruna"
    assert window.status.station.text() == "Station: Kiruna"


def test_usable_at_1366x768(window):
    window.resize(*SCREEN_1366)
    hint = window.minimumSizeHint()
    assert hint.width() <= SCREEN_1366[0]
    assert hint.height() <= SCREEN_1366[1]


def test_layout_is_saved_on_close_and_restored(qtbot, isolated_dirs, sim_clock):
    from ui.desktop import build_main_window

    first = build_main_window(sim_clock, AppSettings.demo())
    qtbot.addWidget(first)
    first.show()
    first.resize(1100, 650)
    first.log_dock.setFloating(False)
    first.station_box.setCurrentText("Perth")
    first.selection.select_node(904)
    first.apply_theme("light")
    first.map_view.restore_view_state("-60.000,60.000,-30.000,30.000")
    first.close()
    saved = tomllib.loads(layout_path().read_text())
    assert saved["selected_station"] == "Perth"
    assert saved["theme"] == "light"

    second = build_main_window(sim_clock, AppSettings.demo())
    qtbot.addWidget(second)
    second.show()
    assert second.selection.station == "Perth"
    assert second.selection.node == 904
    assert second.theme.name == "light"
    assert (second.width(), second.height()) == (1100, 650)
    assert second.map_view.view_state() == "-60.000,60.000,-30.000,30.000"
    assert load_layout().window_state
    second.close()


def test_clock_time_is_utc(window):
    assert window.clock.now().tzinfo == UTC


def test_panels_come_to_the_front_with_alt_and_a_number(qtbot, window):
    from ui.main_window import PANEL_SHORTCUTS

    assert window.fleet_dock.visibleRegion().isEmpty()  # behind the map's tab
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not window.fleet_dock.visibleRegion().isEmpty())
    assert window.map_dock.visibleRegion().isEmpty()
    window.console_dock.close()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(
        lambda: window.console_dock.isVisible() and not window.console_dock.visibleRegion().isEmpty()
    )
    assert [name for name, _ in PANEL_SHORTCUTS][:4] == ["map", "fleet", "console", "radio"]
    assert "Alt+4\tShow radio panel" in shortcuts_text(window.actions_by_name.values())
