"""Fleet health: one row per node (status colour, battery, temperatures, mode, last contact, next
pass, alarms); below it, any parameter of the selected node over time with its limit lines, and the
node's open alarms, which the operator acknowledges or shelves.

The telemetry lives with the operations thread (`ui.operations`): every query and every alarm
action goes there and comes back as a result; new telemetry or alarm events trigger one refresh
(latest-wins), and a timer keeps the ages and countdowns current between them.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from groundstation.fleet_view import (
    ALARM_COLUMNS,
    COLUMNS,
    SHELVE_CHOICES_S,
    AlarmLine,
    FleetLine,
    ParameterPlot,
    alarm_lines,
    fleet_lines,
    parameter_plot,
    plottable_parameters,
)
from groundstation.scene import Scene
from groundstation.sim.events import AlarmChanged, PassEnded, TelemetryReceived
from groundstation.sim.simulation import Simulation
from groundstation.telemetry.alarms import Alarm, Severity
from groundstation.telemetry.health import FleetRow
from ui.operations import Operations
from ui.selection import Selection
from ui.theme import Theme

HISTORY = timedelta(hours=24)  # how far back a parameter plot reaches
AGE_REFRESH_MS = 1000
MAX_LIMIT_LINES = 4
ModelIndex = QModelIndex | QPersistentModelIndex


class FleetTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.lines: tuple[FleetLine, ...] = ()
        self.colours: dict[str, QColor] = {}

    def set_lines(self, lines: tuple[FleetLine, ...]) -> None:
        if [line.node for line in lines] == [line.node for line in self.lines]:
            self.lines = lines  # same rows: repaint the cells, keep the selection
            self.dataChanged.emit(self.index(0, 0), self.index(len(lines) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.lines = lines
            self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return line.cells[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == 0:
            colour = self.colours.get(line.status)
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return QBrush(QColor("#ffffff" if line.status in ("error", "ok") else "#000000"))
        return None

    def headerData(  # noqa: N802 - Qt's API
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None


class FleetView(QWidget):
    rows_applied = Signal(object)  # tuple[FleetLine, ...]
    plot_applied = Signal(object)  # ParameterPlot
    alarms_applied = Signal(object)  # tuple[AlarmLine, ...]
    message = Signal(str, str)

    def __init__(
        self, selection: Selection, operations: Operations, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fleet")
        self._selection = selection
        self._operations = operations
        self._scene: Scene | None = None
        self._norad_ids: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._rows: tuple[FleetRow, ...] = ()
        self._moment: datetime | None = None
        self._alarms: tuple[AlarmLine, ...] = ()
        self.operator = getpass.getuser() or "operator"

        self.model = FleetTableModel()
        self.table = QTableView()
        self.table.setObjectName("fleet_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._row_clicked)

        self.parameter_box = QComboBox()
        self.parameter_box.setObjectName("fleet_parameter")
        self.axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        self.canvas = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.curve = pg.PlotDataItem(symbol="o", symbolSize=4)
        self.canvas.addItem(self.curve)
        self.limit_lines = [pg.InfiniteLine(angle=0, movable=False) for _ in range(MAX_LIMIT_LINES)]
        for line in self.limit_lines:
            line.setVisible(False)
            self.canvas.addItem(line)
        self.plot_title = QLabel("Select a node to plot its telemetry")
        self.plot_title.setObjectName("fleet_plot_title")

        self.alarm_table = QTableWidget(0, len(ALARM_COLUMNS))
        self.alarm_table.setObjectName("fleet_alarms")
        self.alarm_table.setHorizontalHeaderLabels(list(ALARM_COLUMNS))
        self.alarm_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.alarm_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.alarm_table.verticalHeader().setVisible(False)
        self.alarm_table.horizontalHeader().setStretchLastSection(True)
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setObjectName("fleet_acknowledge")
        self.shelve_box = QComboBox()
        for seconds in SHELVE_CHOICES_S:
            self.shelve_box.addItem(
                f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min", seconds
            )
        self.shelve_button = QPushButton("Shelve")
        self.shelve_button.setObjectName("fleet_shelve")
        self.unshelve_button = QPushButton("Unshelve")

        plot_side = QWidget()
        plot_layout = QVBoxLayout(plot_side)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.plot_title, 1)
        top.addWidget(QLabel("Parameter"))
        top.addWidget(self.parameter_box)
        plot_layout.addLayout(top)
        plot_layout.addWidget(self.canvas, 1)
        alarm_side = QWidget()
        alarm_layout = QVBoxLayout(alarm_side)
        alarm_layout.setContentsMargins(0, 0, 0, 0)
        alarm_layout.addWidget(QLabel("Open alarms of the selected node"))
        alarm_layout.addWidget(self.alarm_table, 1)
        buttons = QHBoxLayout()
        for widget in (self.ack_button, self.shelve_box, self.shelve_button, self.unshelve_button):
            buttons.addWidget(widget)
        alarm_layout.addLayout(buttons)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(plot_side)
        lower.addWidget(alarm_side)
        lower.setSizes([600, 400])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([200, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.apply_theme(theme)

        self.parameter_box.currentTextChanged.connect(lambda _t: self.request_plot())
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.shelve_button.clicked.connect(self.shelve_selected)
        self.unshelve_button.clicked.connect(self.unshelve_selected)
        selection.node_changed.connect(self._node_selected)
        operations.event.connect(self._event)
        operations.simulation_ready.connect(self._simulation_ready)
        self._ages = QTimer(self)
        self._ages.setInterval(AGE_REFRESH_MS)
        self._ages.timeout.connect(self._show_rows)
        self._ages.start()

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.model.colours = {
            "ok": theme.colour("ok"), "warning": theme.colour("warning"),
            "error": theme.colour("error"), "unknown": theme.colour("unknown"),
        }  # fmt: skip
        self.canvas.setBackground(theme.colour("background"))
        for axis in ("bottom", "left"):
            self.canvas.getPlotItem().getAxis(axis).setPen(theme.colour("grid"))
            self.canvas.getPlotItem().getAxis(axis).setTextPen(theme.colour("foreground"))
        self.curve.setPen(pg.mkPen(theme.colour("track_future"), width=1.5))
        self.curve.setSymbolBrush(pg.mkBrush(theme.colour("track_future")))
        self.curve.setSymbolPen(None)
        self.model.layoutChanged.emit()

    # Sources ------------------------------------------------------------------------------
    def set_scene(self, scene: Scene) -> None:
        self._scene = scene
        self._norad_ids = {e.name: e.norad_id for e in scene.elements if e.norad_id in scene.own_norad_ids}
        self._names = {v: k for k, v in self._norad_ids.items()}

    def _simulation_ready(self, simulation: Simulation) -> None:
        parameters = plottable_parameters(simulation.telemetry.dictionary)
        self.parameter_box.blockSignals(True)
        self.parameter_box.clear()
        self.parameter_box.addItems(list(parameters))
        preferred = simulation.telemetry.dictionary.health.battery_soc
        if preferred in parameters:
            self.parameter_box.setCurrentText(preferred)
        self.parameter_box.blockSignals(False)
        self.refresh()
        self.request_plot()
        self.request_alarms()

    def _event(self, event: object) -> None:
        if isinstance(event, AlarmChanged):
            node = event.event.alarm.node
        elif isinstance(event, TelemetryReceived | PassEnded):
            node = event.node
        else:
            return
        self.refresh()
        if node == self.selected_node():
            self.request_plot()
            self.request_alarms()

    def show_time(self, moment: datetime) -> None:
        self._moment = moment

    # Fleet rows -----------------------------------------------------------------------------
    def refresh(self) -> None:
        self._operations.request(
            lambda sim: sim.telemetry.fleet.rows(), self._rows_ready, key="fleet-rows", needs_simulation=True
        )

    def _rows_ready(self, rows: tuple[FleetRow, ...]) -> None:
        self._rows = rows
        self._show_rows()

    def _show_rows(self) -> None:
        if self._moment is None or not self._rows:
            return
        lines = fleet_lines(self._rows, self._moment, self._norad_ids)
        self.model.set_lines(lines)
        self._select_row(self._selection.node)
        self.rows_applied.emit(lines)

    @property
    def lines(self) -> tuple[FleetLine, ...]:
        return self.model.lines

    def _row_clicked(self, index: QModelIndex) -> None:
        line = self.model.lines[index.row()]
        if line.norad_id is not None:
            self._selection.select_node(line.norad_id)

    def _select_row(self, norad_id: int | None) -> None:
        rows = [
            i for i, line in enumerate(self.model.lines) if line.norad_id == norad_id and norad_id is not None
        ]
        if rows and self.table.currentIndex().row() != rows[0]:
            self.table.selectRow(rows[0])

    def selected_node(self) -> str | None:
        node = self._selection.node
        return None if node is None else self._names.get(node)

    def _node_selected(self, norad_id: int | None) -> None:
        self._select_row(norad_id)
        self.request_plot()
        self.request_alarms()

    # Detail plot ----------------------------------------------------------------------------
    def request_plot(self) -> None:
        node, parameter, moment = self.selected_node(), self.parameter_box.currentText(), self._moment
        if node is None or not parameter or moment is None:
            self.plot_title.setText("Select one of our nodes to plot its telemetry")
            self.curve.setData([], [])
            return
        mode = next((r.mode for r in self._rows if r.node == node), None)

        def query(sim: Simulation) -> ParameterPlot:
            telemetry = sim.telemetry
            series = telemetry.archive.query_parameter(node, parameter, since=moment - HISTORY)
            return parameter_plot(series, telemetry.dictionary, mode)

        self._operations.request(query, self._show_plot, key="fleet-plot", needs_simulation=True)

    def _show_plot(self, plot: ParameterPlot) -> None:
        if plot.node != self.selected_node() or plot.parameter != self.parameter_box.currentText():
            return
        self.plot_title.setText(
            f"{plot.title}: {len(plot.values)} samples in the last {HISTORY.total_seconds() / 3600:g} h"
        )
        self.curve.setData(plot.times_s, plot.values)
        left = self.canvas.getPlotItem().getAxis("left")
        left.setTicks([list(plot.labels), []] if plot.textual else None)
        for line, limit in zip(self.limit_lines, (*plot.limits, *([None] * MAX_LIMIT_LINES)), strict=False):
            if limit is None:
                line.setVisible(False)
                continue
            colour = self._theme.colour("error" if limit.severity >= Severity.CRITICAL else "warning")
            line.setPen(pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine))
            line.setValue(limit.value)
            line.setVisible(True)
        if len(plot.values):
            values = np.concatenate([plot.values, [limit.value for limit in plot.limits]])
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            pad = (high - low) * 0.08 if high > low else max(abs(high) * 0.05, 1.0)
            self.canvas.getPlotItem().getViewBox().setYRange(low - pad, high + pad, padding=0)
            self.canvas.getPlotItem().getViewBox().setXRange(
                float(plot.times_s[0]), float(plot.times_s[-1]) + 1.0
            )
        self.plot_applied.emit(plot)

    # Alarms -------------------------------------------------------------------------------
    def request_alarms(self) -> None:
        node = self.selected_node()
        if node is None:
            self._show_alarms(())
            return
        self._operations.request(
            lambda sim: (node, sim.telemetry.alarms.open_alarms(node), sim.now),
            lambda result: self._show_alarms(
                alarm_lines(result[1], result[2]) if result[0] == self.selected_node() else self._alarms
            ),
            key="fleet-alarms",
            needs_simulation=True,
        )

    def _show_alarms(self, lines: Sequence[AlarmLine]) -> None:
        self._alarms = tuple(lines)
        self.alarm_table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            for column, text in enumerate(line.cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setBackground(
                        QBrush(
                            self._theme.colour("error" if line.severity >= Severity.CRITICAL else "warning")
                        )
                    )
                self.alarm_table.setItem(row, column, item)
        self.alarms_applied.emit(self._alarms)

    @property
    def alarms(self) -> tuple[AlarmLine, ...]:
        return self._alarms

    def _chosen_alarm(self) -> AlarmLine | None:
        row = self.alarm_table.currentRow()
        if 0 <= row < len(self._alarms):
            return self._alarms[row]
        return self._alarms[0] if len(self._alarms) == 1 else None

    def acknowledge_selected(self) -> None:
        alarm = self._chosen_alarm()
        if alarm is not None:
            by = self.operator
            self._alarm_action(lambda sim: sim.telemetry.alarms.acknowledge(alarm.id, by), "acknowledged")

    def shelve_selected(self) -> None:
        alarm = self._chosen_alarm()
        if alarm is not None:
            seconds, by = float(self.shelve_box.currentData()), self.operator
            self._alarm_action(
                lambda sim: sim.telemetry.alarms.shelve(alarm.id, seconds, by),
                f"shelved for {self.shelve_box.currentText()}",
            )

    def unshelve_selected(self) -> None:
        alarm = self._chosen_alarm()
        if alarm is not None:
            by = self.operator
            self._alarm_action(lambda sim: sim.telemetry.alarms.unshelve(alarm.id, by), "unshelved")

    def _alarm_action(self, action: Any, verb: str) -> None:
        def done(alarm: Alarm) -> None:
            self.message.emit(
                "info", f"alarm {alarm.id} ({alarm.node} {alarm.parameter}) {verb} by {self.operator}"
            )
            self.request_alarms()
            self.refresh()

        self._operations.request(action, done, needs_simulation=True)
