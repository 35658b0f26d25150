"""Pass timeline: a Gantt view of the upcoming passes of our nodes over every station and of the
contacts planned per station and antenna; filters by node, station and minimum elevation; plans
in a worker (HiGHS, or greedy) and exports the plan in the planning formats.

Bars are two long-lived BarGraphItems (passes, contacts) plus one for the selected node's bars,
updated with setOpts; the time axis is UTC; a line marks the clock's instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import AppSettings
from groundstation.scene import Scene
from groundstation.timeline import (
    EXPORT_FORMATS,
    PLAN_HOURS,
    SOLVERS,
    Bars,
    NetworkPlan,
    Timeline,
    TimelineFilter,
    build_timeline,
    export_plan,
    plan_network,
    summary,
)
from ui.background import Background
from ui.selection import Selection
from ui.theme import Theme

# Replan when the clock gets this close to the plan's end, or moves before its start.
REPLAN_BEFORE_END = timedelta(hours=6)
SHOWN_HOURS = 8.0  # the time range shown at first


class TimelineView(QWidget):
    plan_ready = Signal(object)  # NetworkPlan
    timeline_applied = Signal(object)  # Timeline
    exported = Signal(str)  # path
    message = Signal(str, str)  # level, text

    def __init__(self, selection: Selection, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self._selection = selection
        self._scene: Scene | None = None
        self._settings = AppSettings()
        self._network: NetworkPlan | None = None
        self._timeline: Timeline | None = None
        self._moment: datetime | None = None
        self._auto = True  # plan by itself on the first tick and when the plan runs out

        self.node_box = QComboBox()
        self.node_box.setObjectName("timeline_node")
        self.station_box = QComboBox()
        self.station_box.setObjectName("timeline_station")
        self.elevation_box = QDoubleSpinBox()
        self.elevation_box.setObjectName("timeline_min_elevation")
        self.elevation_box.setRange(0.0, 89.0)
        self.elevation_box.setSuffix("°")
        self.elevation_box.setDecimals(0)
        self.solver_box = QComboBox()
        self.solver_box.setObjectName("timeline_solver")
        self.solver_box.addItems(list(SOLVERS))
        self.plan_button = QPushButton("Plan")
        self.plan_button.setObjectName("timeline_plan")
        self.plan_button.setToolTip(f"Plan the next {PLAN_HOURS:g} hours from the clock's time")
        self.export_button = QToolButton()
        self.export_button.setObjectName("timeline_export")
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt in EXPORT_FORMATS:
            menu.addAction(fmt.upper(), lambda f=fmt: self._ask_export(f))
        self.export_button.setMenu(menu)
        self.export_button.setEnabled(False)
        self.status = QLabel("No plan yet")
        self.status.setObjectName("timeline_status")
        self.hover = QLabel("")
        self.hover.setObjectName("timeline_hover")

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 2, 4, 2)
        for label, widget in (
            ("Node", self.node_box), ("Station", self.station_box), ("Min el", self.elevation_box),
            ("Planner", self.solver_box),
        ):  # fmt: skip
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.plan_button)
        controls.addWidget(self.export_button)
        controls.addWidget(self.status, 1)

        self.axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        self.canvas = pg.PlotWidget(axisItems={"bottom": self.axis})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.hover)
        self._build_items()
        self.apply_theme(theme)

        self.background = Background("timeline", self)
        self.background.done.connect(self._planned)
        self.background.failed.connect(self._plan_failed)
        for box in (self.node_box, self.station_box):
            box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.elevation_box.valueChanged.connect(lambda _v: self.refresh())
        self.plan_button.clicked.connect(self.plan_now)
        selection.node_changed.connect(lambda _n: self._highlight())

    # Items --------------------------------------------------------------------------------
    def _build_items(self) -> None:
        plot = self.canvas.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=False, alpha=0.3)
        self.view_box = plot.getViewBox()
        self.view_box.invertY(True)
        self.view_box.setMouseEnabled(x=True, y=True)
        empty = {"x0": np.empty(0), "x1": np.empty(0), "y0": np.empty(0), "height": np.empty(0)}
        self.passes = pg.BarGraphItem(**empty)
        self.contacts = pg.BarGraphItem(**empty)
        self.highlight = pg.BarGraphItem(**empty)
        self.now_line = pg.InfiniteLine(angle=90, movable=False)
        for z, item in enumerate((self.passes, self.contacts, self.highlight, self.now_line)):
            item.setZValue(z)
            plot.addItem(item)
        self.canvas.scene().sigMouseMoved.connect(self._hovered)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.canvas.setBackground(theme.colour("background"))
        plot = self.canvas.getPlotItem()
        for axis in ("bottom", "left"):
            plot.getAxis(axis).setPen(theme.colour("grid"))
            plot.getAxis(axis).setTextPen(theme.colour("foreground"))
        self.passes.setOpts(brush=pg.mkBrush(theme.colour("pass_bar")), pen=pg.mkPen(theme.colour("unknown")))
        self.contacts.setOpts(brush=pg.mkBrush(theme.colour("contact")), pen=pg.mkPen(None))
        self.highlight.setOpts(brush=pg.mkBrush(None), pen=pg.mkPen(theme.colour("selected"), width=2))
        self.now_line.setPen(pg.mkPen(theme.colour("selected"), width=1.5))

    # Scene --------------------------------------------------------------------------------
    def set_scene(self, scene: Scene, settings: AppSettings) -> None:
        self._scene = scene
        self._settings = settings
        self._network = None
        for box in (self.node_box, self.station_box):
            box.blockSignals(True)
            box.clear()
        self.node_box.addItem("All nodes", None)
        for element in scene.elements:
            if element.norad_id in scene.own_norad_ids:
                self.node_box.addItem(element.name, element.norad_id)
        self.station_box.addItem("All stations", "")
        for station in settings.stations:
            self.station_box.addItem(station.name, station.name)
        for box in (self.node_box, self.station_box):
            box.blockSignals(False)
        self._clear()
        if self._moment is not None and self._auto:
            self.plan_now()

    def current_filter(self) -> TimelineFilter:
        return TimelineFilter(
            node=self.node_box.currentData(),
            station=self.station_box.currentData() or "",
            min_elevation_deg=self.elevation_box.value(),
        )

    # Planning -----------------------------------------------------------------------------
    def show_time(self, moment: datetime) -> None:
        first = self._moment is None
        self._moment = moment
        self.now_line.setValue(moment.timestamp())
        network = self._network
        if self._scene is None or self.background.busy("plan") or not self._auto:
            return
        if first or (
            network is not None
            and (moment < network.problem.start or moment > network.problem.end - REPLAN_BEFORE_END)
        ):
            self.plan_now()

    def plan_now(self) -> None:
        scene, moment = self._scene, self._moment
        if scene is None or moment is None:
            return
        settings, solver = self._settings, self.solver_box.currentText()
        self.status.setText(f"Planning {PLAN_HOURS:g} h from {moment:%Y-%m-%d %H:%M}Z ({solver})…")
        self.plan_button.setEnabled(False)
        self.background.submit("plan", lambda: plan_network(scene, settings, moment, solver=solver))

    def _planned(self, key: object, result: object) -> None:
        if key != "plan" or not isinstance(result, NetworkPlan):
            return
        self.plan_button.setEnabled(True)
        first = self._network is None
        self._network = result
        self.export_button.setEnabled(True)
        self.status.setText(summary(result))
        self.message.emit("info", summary(result))
        for unmet in result.plan.unmet[:3]:
            self.message.emit(
                "warning", f"{result.names.get(unmet.norad_id, unmet.norad_id)}: {unmet.reason}"
            )
        self.refresh()
        if first:
            start = result.problem.start.timestamp()
            self.view_box.setXRange(start - 600.0, start + SHOWN_HOURS * 3600.0, padding=0)
        self.plan_ready.emit(result)

    def _plan_failed(self, key: object, text: str) -> None:
        self.plan_button.setEnabled(True)
        self.status.setText(f"Planning failed: {text}")
        self.message.emit("error", f"planning: {text}")

    @property
    def network(self) -> NetworkPlan | None:
        return self._network

    # Drawing ------------------------------------------------------------------------------
    def _clear(self) -> None:
        self._timeline = None
        for bars in (self.passes, self.contacts, self.highlight):
            bars.setOpts(x0=np.empty(0), x1=np.empty(0), y0=np.empty(0), height=np.empty(0))

    def refresh(self) -> None:
        """Rebuild the bars from the plan and the filters (cheap: no planning)."""
        network = self._network
        if network is None:
            return
        timeline = build_timeline(network, self.current_filter())
        self._timeline = timeline
        for item, bars in ((self.passes, timeline.passes), (self.contacts, timeline.contacts)):
            item.setOpts(x0=bars.start_s, x1=bars.end_s, y0=bars.y0, height=bars.height)
        left = self.canvas.getPlotItem().getAxis("left")
        left.setTicks([[(row.y0 + row.height / 2, row.label) for row in timeline.rows], []])
        self.view_box.setYRange(0.0, max(timeline.height, 1.0), padding=0.02)
        self._highlight()
        self.timeline_applied.emit(timeline)

    def _highlight(self) -> None:
        timeline, node = self._timeline, self._selection.node
        if timeline is None or node is None:
            self.highlight.setOpts(x0=np.empty(0), x1=np.empty(0), y0=np.empty(0), height=np.empty(0))
            return
        parts = [_select(bars, bars.norad_id == node) for bars in (timeline.passes, timeline.contacts)]
        self.highlight.setOpts(
            x0=np.concatenate([p.start_s for p in parts]),
            x1=np.concatenate([p.end_s for p in parts]),
            y0=np.concatenate([p.y0 for p in parts]),
            height=np.concatenate([p.height for p in parts]),
        )

    @property
    def timeline(self) -> Timeline | None:
        return self._timeline

    # Interaction --------------------------------------------------------------------------
    def _bar_at(self, scene_pos: QPointF) -> tuple[str, Bars, int] | None:
        timeline = self._timeline
        if timeline is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view_box.mapSceneToView(scene_pos)
        for kind, bars in (("contact", timeline.contacts), ("pass", timeline.passes)):
            index = bars.at(point.x(), point.y())
            if index is not None:
                return kind, bars, index
        return None

    def describe_bar(self, kind: str, bars: Bars, index: int) -> str:
        names = self._network.names if self._network else {}
        node = int(bars.norad_id[index])
        begin = _hhmmss(float(bars.start_s[index]))
        end = _hhmmss(float(bars.end_s[index]))
        what = "planned contact" if kind == "contact" else "pass"
        return (
            f"{names.get(node, node)} {what} over {bars.station[index]}  {begin}–{end}Z  "
            f"max {float(bars.max_elevation_deg[index]):.1f}°"
        )

    def _hovered(self, scene_pos: QPointF) -> None:
        found = self._bar_at(scene_pos)
        self.hover.setText("" if found is None else self.describe_bar(*found))

    def _clicked(self, event: object) -> None:
        found = self._bar_at(event.scenePos())  # type: ignore[attr-defined]
        if found is not None:
            _kind, bars, index = found
            self._selection.select_node(int(bars.norad_id[index]))

    # Export -------------------------------------------------------------------------------
    def _ask_export(self, fmt: str) -> None:
        if self._network is None:
            return
        suffix = EXPORT_FORMATS[fmt]
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the plan as {fmt.upper()}", f"plan{suffix}", f"{fmt.upper()} (*{suffix})"
        )
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> bool:
        network, moment = self._network, self._moment
        if network is None or moment is None:
            return False
        try:
            path.write_text(export_plan(network, fmt, moment), encoding="utf-8", newline="")
        except OSError as exc:
            self.message.emit("error", f"export to {path}: {exc.strerror or exc}")
            return False
        self.message.emit("info", f"plan exported as {fmt} to {path}")
        self.exported.emit(str(path))
        return True

    def shutdown(self) -> None:
        self.background.stop()

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]


def _select(bars: Bars, keep: np.ndarray) -> Bars:
    return Bars(
        bars.start_s[keep],
        bars.end_s[keep],
        bars.y0[keep],
        bars.height[keep],
        bars.norad_id[keep],
        tuple(s for s, k in zip(bars.station, keep, strict=True) if k),
        bars.max_elevation_deg[keep],
    )


def _hhmmss(posix_s: float) -> str:
    return f"{datetime.fromtimestamp(posix_s, UTC):%H:%M:%S}"
