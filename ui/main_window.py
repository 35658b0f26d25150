"""The main window: assembles the panels as docks, the time toolbar, menus, shortcuts and the status
bar, and remembers its layout. It holds no view logic of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from PySide6.QtCore import QByteArray, QStringListModel, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from groundstation import settings as folders
from groundstation.app_settings import THEMES, AppSettings, LayoutState
from groundstation.cli.elements import SOURCES_FILE, load_sources
from groundstation.errors import InputError
from groundstation.scene import Scene
from ui.clock_controller import ClockController
from ui.console_view import ConsoleView
from ui.engage import event_level
from ui.event_log import EventLog, EventLogPanel
from ui.fleet_view import FleetView
from ui.map_view import MapView
from ui.operations import Operations
from ui.radio_panel import RadioPanel
from ui.selection import Selection
from ui.settings_apply import Applied, SettingsApplier
from ui.settings_dialog import SettingsDialog
from ui.sky_plot import SkyPlotView
from ui.status_bar import StatusBar
from ui.theme import apply_theme, load_theme
from ui.timeline_view import TimelineView

DEFAULT_SIZE = (1280, 720)  # fits a 1366x768 screen with its task bar
JUMP_SECONDS = 600.0
PANEL_SHORTCUTS = (
    ("map", "map"), ("fleet", "fleet health"), ("console", "command console"), ("radio", "radio panel"),
    ("sky", "sky plot"), ("timeline", "pass timeline"), ("log", "event log"),
)  # fmt: skip


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: AppSettings,
        scene: Scene,
        clock: ClockController,
        layout: LayoutState | None = None,
        save_layout: Callable[[LayoutState], object] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle(f"groundstation — {scene.title}")
        self.setDockNestingEnabled(True)
        self.settings = settings
        self.scene = scene
        self.clock = clock
        self._layout = layout or LayoutState()
        self._save_layout = save_layout
        self.theme = load_theme(self._layout.theme)
        self.selection = Selection()
        self.events = EventLog(clock)
        self.operations = Operations(self)
        self.actions_by_name: dict[str, QAction] = {}
        self.settings_applier = SettingsApplier(clock, self)
        self.settings_dialog: SettingsDialog | None = None

        # Panels, each its own module; the window only docks them.
        self.map_view = MapView(self.selection, self.theme)
        self.event_log = EventLogPanel(self.events, self.theme)
        self.sky_plot = SkyPlotView(self.selection, self.theme)
        self.timeline = TimelineView(self.selection, self.theme)
        self.fleet = FleetView(self.selection, self.operations, self.theme)
        self.console = ConsoleView(self.selection, self.operations, self.theme)
        self.radio = RadioPanel(self.selection, self.theme)
        # At 1366x768: the big views share the top left as tabs, the sky and the event log the
        # right, the timeline the bottom. One tab group only: Qt 6.11 leaves a stale copy of a
        # second group's tab bar painted over the window.
        top, bottom = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.map_dock = self._dock("Map", "dock_map", self.map_view, top)
        self.sky_dock = self._dock("Sky", "dock_sky", self.sky_plot, top)
        self.splitDockWidget(self.map_dock, self.sky_dock, Qt.Orientation.Horizontal)
        self.log_dock = self._dock("Event log", "dock_event_log", self.event_log, top)
        self.splitDockWidget(self.sky_dock, self.log_dock, Qt.Orientation.Vertical)
        self.fleet_dock = self._dock("Fleet health", "dock_fleet", self.fleet, top)
        self.tabifyDockWidget(self.map_dock, self.fleet_dock)
        self.console_dock = self._dock("Command console", "dock_console", self.console, top)
        self.tabifyDockWidget(self.map_dock, self.console_dock)
        self.radio_dock = self._dock("Radio", "dock_radio", self.radio, top)
        self.tabifyDockWidget(self.map_dock, self.radio_dock)
        self.timeline_dock = self._dock("Pass timeline", "dock_timeline", self.timeline, bottom)
        self.map_dock.raise_()

        self.status = StatusBar(clock, self.selection)
        self.setStatusBar(self.status)
        self._build_actions()
        self._build_toolbar()
        self._build_menus()

        self.map_view.message.connect(lambda level, text: self.events.post(level, "map", text))
        self.sky_plot.message.connect(lambda level, text: self.events.post(level, "sky", text))
        self.timeline.message.connect(lambda level, text: self.events.post(level, "plan", text))
        self.fleet.message.connect(lambda level, text: self.events.post(level, "alarms", text))
        self.console.message.connect(lambda level, text: self.events.post(level, "console", text))
        self.radio.message.connect(lambda level, text: self.events.post(level, "radio", text))
        self.sky_plot.rotator_read.connect(self.radio.show_rotator)
        self.sky_plot.set_sdr(self.radio.sdr_slot)  # Engage tunes the station's SDR through the panel
        self.sky_plot.tracker_event.connect(
            lambda event: self.events.post(event_level(event), "track", f"{event.kind}: {event.message}")
        )
        self.sky_plot.engaged_changed.connect(self.actions_by_name["engage"].setChecked)
        clock.mode_changed.connect(self.sky_plot.clock_changed)
        self.operations.message.connect(lambda level, text: self.events.post(level, "operations", text))
        self.selection.node_changed.connect(self._node_selected)
        self.selection.station_changed.connect(
            lambda name: self.events.post("info", "station", f"selected {name}")
        )
        clock.mode_changed.connect(lambda: self.events.post("info", "clock", clock.describe()))
        clock.tick.connect(self.map_view.show_time)
        clock.tick.connect(self.sky_plot.show_time)
        clock.tick.connect(self.timeline.show_time)
        clock.tick.connect(self.fleet.show_time)
        clock.tick.connect(self.console.show_time)
        clock.tick.connect(self.radio.show_time)
        clock.tick.connect(self.operations.follow)

        self.map_view.set_scene(scene)
        self.sky_plot.set_clock(clock, lambda: 0.0 if clock.paused else clock.speed)
        self.sky_plot.set_scene(scene, settings)
        self.timeline.set_scene(scene, settings)
        self.fleet.set_scene(scene)
        self.console.set_scene(scene)
        self.radio.set_scene(scene, settings)
        self._restore_layout()
        self.apply_theme(self.theme.name)

    # Assembly -----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() keys on it
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name: str, text: str, slot: Callable[[], object], *keys: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"action_{name}")
        action.setShortcuts([QKeySequence(k) for k in keys])
        if keys:
            action.setToolTip(f"{text} ({' or '.join(keys)})")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        clock = self.clock
        self._action("pause", "Pause / resume", clock.toggle_pause, "Space")
        self._action("slower", "Slower", clock.slower, "[", "-")
        self._action("faster", "Faster", clock.faster, "]", "+")
        self._action("back", "Back 10 min", lambda: clock.jump_by(-JUMP_SECONDS), "Ctrl+Left")
        self._action("forward", "Forward 10 min", lambda: clock.jump_by(JUMP_SECONDS), "Ctrl+Right")
        self._action("real_time", "Real time", clock.use_real_time, "Ctrl+0")
        self._action("find", "Find node", self._focus_find, "Ctrl+F")
        self._action("deselect", "Clear selection", lambda: self.selection.select_node(None), "Esc")
        self._action("next_station", "Next station", self._next_station, "Ctrl+Tab")
        self._action("reset_view", "Whole world", self.map_view.reset_view, "Home")
        self._action("theme", "Toggle dark/light theme", self._toggle_theme, "Ctrl+T")
        self._action("plan", "Plan contacts now", self.timeline.plan_now, "Ctrl+P")
        self._action("engage", "Engage rotator and rig", self._toggle_engage, "Ctrl+E").setCheckable(True)
        self._action("settings", "Settings…", self.open_settings, "Ctrl+,")
        self._action("shortcuts", "Keyboard shortcuts", self._show_shortcuts, "F1")
        for number, (name, text) in enumerate(PANEL_SHORTCUTS, start=1):
            self._action(f"show_{name}", f"Show {text}", lambda n=name: self.show_panel(n), f"Alt+{number}")
        self._action("quit", "Quit", self.close, "Ctrl+Q")

    def _build_toolbar(self) -> None:
        bar = QToolBar("Time")
        bar.setObjectName("toolbar_time")
        for name in ("pause", "slower", "faster", "back", "forward", "real_time"):
            bar.addAction(self.actions_by_name[name])
        bar.addSeparator()
        bar.addWidget(QLabel("Station "))
        self.station_box = QComboBox()
        self.station_box.setObjectName("station_box")
        self.station_box.addItems([s.name for s in self.scene.stations])
        self.station_box.currentTextChanged.connect(self.selection.select_station)
        bar.addWidget(self.station_box)
        bar.addAction(self.actions_by_name["engage"])
        bar.addSeparator()
        self.find_box = QLineEdit()
        self.find_box.setObjectName("find_box")
        self.find_box.setPlaceholderText("Find node (name or NORAD id)  Ctrl+F")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMaximumWidth(280)
        names = [f"{e.name} #{e.norad_id}" for e in self.scene.elements]
        self._find_names = QStringListModel(names, self)
        completer = QCompleter(self._find_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.find_box.setCompleter(completer)
        self.find_box.returnPressed.connect(self._find)
        completer.activated.connect(lambda _text: self._find())
        bar.addWidget(self.find_box)
        self.addToolBar(bar)
        self.toolbar = bar

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.actions_by_name["quit"])
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self.actions_by_name["settings"])
        time_menu = menu.addMenu("&Time")
        for name in ("pause", "slower", "faster", "back", "forward", "real_time"):
            time_menu.addAction(self.actions_by_name[name])
        view_menu = menu.addMenu("&View")
        for dock in (
            self.map_dock,
            self.sky_dock,
            self.timeline_dock,
            self.fleet_dock,
            self.console_dock,
            self.radio_dock,
            self.log_dock,
        ):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self.toolbar.toggleViewAction())
        view_menu.addSeparator()
        for name in ("find", "deselect", "next_station", "reset_view", "theme", "plan"):
            view_menu.addAction(self.actions_by_name[name])
        view_menu.addSeparator()
        for name, _text in PANEL_SHORTCUTS:
            view_menu.addAction(self.actions_by_name[f"show_{name}"])
        station_menu = menu.addMenu("&Station")
        station_menu.addAction(self.actions_by_name["next_station"])
        station_menu.addAction(self.actions_by_name["engage"])
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self.actions_by_name["shortcuts"])

    # Behaviour ----------------------------------------------------------------------------
    def show_panel(self, name: str) -> None:
        """Bring a panel to the front (its tab, or its dock if it was closed)."""
        dock: QDockWidget = getattr(self, f"{name}_dock")
        dock.show()
        dock.raise_()
        dock.widget().setFocus()

    def _node_selected(self, norad_id: int | None) -> None:
        if norad_id is None:
            self.events.post("info", "selection", "cleared")
            return
        index = self.scene.index_of(norad_id)
        name = self.scene.elements[index].name if index is not None else "?"
        self.events.post("info", "selection", f"{name} #{norad_id}")

    def _focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def _find(self) -> None:
        norad_id = find_node(self.scene, self.find_box.text())
        if norad_id is None:
            self.events.post("warning", "find", f"no node matches {self.find_box.text()!r}")
            return
        self.selection.select_node(norad_id)

    def _next_station(self) -> None:
        count = self.station_box.count()
        if count:
            self.station_box.setCurrentIndex((self.station_box.currentIndex() + 1) % count)

    def _toggle_engage(self) -> None:
        self.sky_plot.toggle_engage()
        # Checked while a session runs (it ends, parked, a little after disengaging).
        self.actions_by_name["engage"].setChecked(self.sky_plot.engaged)

    def _toggle_theme(self) -> None:
        self.apply_theme("light" if self.theme.name == "dark" else "dark")

    def apply_theme(self, name: str) -> None:
        self.theme = load_theme(name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.theme)
        self.map_view.apply_theme(self.theme)
        self.sky_plot.apply_theme(self.theme)
        self.timeline.apply_theme(self.theme)
        self.fleet.apply_theme(self.theme)
        self.console.apply_theme(self.theme)
        self.radio.apply_theme(self.theme)
        self.event_log.apply_theme(self.theme)

    def open_settings(self) -> SettingsDialog:
        """The settings dialog on the current settings (one at a time)."""
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return self.settings_dialog
        sources_note = ""
        try:
            sources = load_sources()
        except InputError as exc:  # shown, and the file left alone unless the operator edits the list
            sources, sources_note = (), f"sources not loaded: {exc}"
        dialog = SettingsDialog(
            self.settings,
            sources,
            folders.config_dir() / SOURCES_FILE,
            folders.data_dir() / "keys",
            self.settings_applier,
            self.clock,
            self.selection.node,
            sources_note,
            self,
        )
        dialog.saved.connect(self.use_settings)
        dialog.show()
        self.settings_dialog = dialog
        return dialog

    def use_settings(self, applied: Applied) -> None:
        """Switch every view to saved settings and the scene built for them (in a worker)."""
        self.settings, self.scene = applied.settings, applied.scene
        scene = applied.scene
        self.setWindowTitle(f"groundstation — {scene.title}")
        self._find_names.setStringList([f"{e.name} #{e.norad_id}" for e in scene.elements])
        names = [s.name for s in scene.stations]
        keep = self.selection.station if self.selection.station in names else (names[0] if names else "")
        self.station_box.blockSignals(True)
        self.station_box.clear()
        self.station_box.addItems(names)
        self.station_box.setCurrentText(keep)
        self.station_box.blockSignals(False)
        self.selection.select_station(keep)
        if self.selection.node is not None and scene.index_of(self.selection.node) is None:
            self.selection.select_node(None)
        self.map_view.set_scene(scene)
        self.sky_plot.set_scene(scene, applied.settings)
        self.timeline.set_scene(scene, applied.settings)
        self.fleet.set_scene(scene)
        self.console.set_scene(scene)
        self.radio.set_scene(scene, applied.settings)
        self.events.post(
            "info",
            "settings",
            f"saved to {applied.path}; {len(scene.elements)} objects, {len(scene.stations)} stations",
        )
        for warning in scene.warnings:
            self.events.post("warning", "elements", warning)

    def _show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", shortcuts_text(self.actions_by_name.values()))

    def log(self, level: str, source: str, text: str) -> None:
        self.events.post(level, source, text)

    # Layout -------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        layout = self._layout
        if layout.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(layout.window_geometry.encode("ascii")))
        else:
            self.resize(*DEFAULT_SIZE)
        if layout.window_state:
            self.restoreState(QByteArray.fromBase64(layout.window_state.encode("ascii")))
        self._default_proportions = not layout.window_state
        self.map_view.restore_view_state(layout.extra.get("map.range", ""))
        names = [s.name for s in self.scene.stations]
        station = layout.selected_station if layout.selected_station in names else (names[0] if names else "")
        self.station_box.setCurrentText(station)
        self.selection.select_station(station)
        if layout.selected_norad_id is not None and self.scene.index_of(layout.selected_norad_id) is not None:
            self.selection.select_node(layout.selected_norad_id)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._default_proportions:  # docks take sizes only once the window is laid out
            self._default_proportions = False
            QTimer.singleShot(0, self._apply_default_proportions)

    def _apply_default_proportions(self) -> None:
        self.resizeDocks([self.map_dock, self.timeline_dock], [440, 270], Qt.Orientation.Vertical)
        self.resizeDocks([self.map_dock, self.sky_dock], [920, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.sky_dock, self.log_dock], [330, 110], Qt.Orientation.Vertical)

    def layout_state(self) -> LayoutState:
        return replace(
            self._layout,
            theme=self.theme.name if self.theme.name in THEMES else "dark",
            selected_station=self.selection.station,
            selected_norad_id=self.selection.node,
            window_geometry=bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
            window_state=bytes(self.saveState().toBase64().data()).decode("ascii"),
            extra={**self._layout.extra, "map.range": self.map_view.view_state()},
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._save_layout is not None:
            try:
                self._save_layout(self.layout_state())
            except OSError as exc:  # never block closing on a read-only config folder
                self.events.post("error", "layout", f"not saved: {exc}")
        self.clock.stop()
        self.map_view.shutdown()
        self.sky_plot.shutdown()
        self.timeline.shutdown()
        self.operations.shutdown()
        self.radio.shutdown()
        if self.settings_dialog is not None:
            self.settings_dialog.reject()
        self.settings_applier.shutdown()
        super().closeEvent(event)


def find_node(scene: Scene, text: str) -> int | None:
    """NORAD id of the first element matching a typed name, 'NAME #ID' or a bare NORAD id."""
    query = text.strip()
    if "#" in query:
        query = query.rsplit("#", 1)[1].strip()
    if query.isdigit() and scene.index_of(int(query)) is not None:
        return int(query)
    lowered = query.lower()
    if not lowered:
        return None
    exact = [e for e in scene.elements if e.name.lower() == lowered]
    partial = exact or [e for e in scene.elements if lowered in e.name.lower()]
    return partial[0].norad_id if partial else None


def shortcuts_text(actions: Iterable[QAction]) -> str:
    lines = []
    for action in actions:
        keys = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        if keys:
            lines.append(f"{keys}\t{action.text()}")
    return "\n".join(lines)
