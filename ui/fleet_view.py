"""Fleet health: one row per node (status colour, battery, temperatures, mode, last contact, next
pass, alarms); below it, any parameter of the selected node over time with its limit lines, and the
node's open alarms, which the operator acknowledges or shelves, and its alarm history (every
transition, exportable as CSV).

The telemetry lives with the operations thread (`ui.operations`): every query and every alarm
action goes there and comes back as a result; new telemetry or alarm events trigger one refresh
(latest-wins), and a timer keeps the ages and countdowns current between them.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from groundstation.fleet_view import (
    ALARM_COLUMNS,
    COLUMNS,
    HISTORY_COLUMNS,
    SHELVE_CHOICES_S,
    AlarmLine,
    FleetLine,
    HistoryLine,
    ParameterPlot,
    alarm_lines,
    fleet_lines,
    history_lines,
    parameter_plot,
    plottable_parameters,
)
from groundstation.scene import Scene
from groundstation.sim.events import AlarmChanged, PassEnded, TelemetryReceived
from groundstation.sim.simulation import Simulation
from groundstation.telemetry.alarms import Alarm, AlarmStore, Severity
from groundstation.telemetry.health import FleetRow
from ui.operations import Operations
from ui.selection import Selection
from ui.theme import Theme

HISTORY = timedelta(hours=24)  # how far back a parameter plot and the alarm history reach
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
    history_applied = Signal(object)  # tuple[HistoryLine, ...]
    history_exported = Signal(str)  # path
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
        self._history: tuple[HistoryLine, ...] = ()
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

        self.history_table = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history_table.setObjectName("fleet_alarm_history")
        self.history_table.setHorizontalHeaderLabels(list(HISTORY_COLUMNS))
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history_table.horizontalHeader().setStretchLastSection(True)
        self.history_title = QLabel("Alarm history of the selected node")
        self.export_history_button = QPushButton("Export CSV…")
        self.export_history_button.setObjectName("fleet_export_history")
        self.export_history_button.setEnabled(False)

        plot_side = QWidget()
        plot_layout = QVBoxLayout(plot_side)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.plot_title, 1)
        top.addWidget(QLabel("Parameter"))
        top.addWidget(self.parameter_box)
        plot_layout.addLayout(top)
        plot_layout.addWidget(self.canvas, 1)
        open_side = QWidget()
        alarm_layout = QVBoxLayout(open_side)
        alarm_layout.setContentsMargins(0, 0, 0, 0)
        alarm_layout.addWidget(QLabel("Open alarms of the selected node"))
        alarm_layout.addWidget(self.alarm_table, 1)
        buttons = QHBoxLayout()
        for widget in (self.ack_button, self.shelve_box, self.shelve_button, self.unshelve_button):
            buttons.addWidget(widget)
        alarm_layout.addLayout(buttons)
        history_side = QWidget()
        history_layout = QVBoxLayout(history_side)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_top = QHBoxLayout()
        history_top.addWidget(self.history_title, 1)
        history_top.addWidget(self.export_history_button)
        history_layout.addLayout(history_top)
        history_layout.addWidget(self.history_table, 1)
        # Tabs keep both tables readable at 1366x768 instead of stacking two short ones.
        self.alarm_tabs = QTabWidget()
        self.alarm_tabs.setObjectName("fleet_alarm_tabs")
        self.alarm_tabs.addTab(open_side, "Open alarms")
        self.alarm_tabs.addTab(history_side, "History")
        alarm_side = self.alarm_tabs
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(plot_side)
        lower.addWidget(alarm_side)
        lower.setSizes([520, 480])
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
        self.export_history_button.clicked.connect(self._ask_export_history)
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
        self.request_history()

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
            if isinstance(event, AlarmChanged):
                self.request_history()

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
        self.request_history()

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
            self.request_history()
            self.refresh()

        self._operations.request(action, done, needs_simulation=True)

    # Alarm history --------------------------------------------------------------------------
    @staticmethod
    def _store(sim: Simulation) -> AlarmStore:  # operations thread
        store = sim.telemetry.alarms.store
        if store is None:
            raise RuntimeError("the telemetry service keeps no alarm archive")
        return store

    def request_history(self) -> None:
        node = self.selected_node()
        if node is None:
            self._show_history(None, ())
            return

        def query(sim: Simulation) -> tuple[str, tuple[HistoryLine, ...]]:
            entries = self._store(sim).history_events(node=node, since=sim.now - HISTORY)
            return node, history_lines(entries)

        self._operations.request(
            query, lambda result: self._show_history(*result), key="fleet-history", needs_simulation=True
        )

    def _show_history(self, node: str | None, lines: tuple[HistoryLine, ...]) -> None:
        if node != self.selected_node():
            return  # an answer for a node no longer selected: the newer request follows
        self._history = lines
        self.history_title.setText(
            "Select one of our nodes to see its alarm history"
            if node is None
            else f"{node}: {len(lines)} alarm transitions in the last {HISTORY.total_seconds() / 3600:g} h"
        )
        self.export_history_button.setEnabled(node is not None)
        scroll = self.history_table.verticalScrollBar()
        at_end = scroll.value() >= scroll.maximum()
        self.history_table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            for column, text in enumerate(line.cells):
                item = QTableWidgetItem(text)
                item.setToolTip(line.summary)
                if column == 3 and line.severity > Severity.OK:
                    critical = line.severity >= Severity.CRITICAL
                    item.setBackground(QBrush(self._theme.colour("error" if critical else "warning")))
                    item.setForeground(QBrush(QColor("#ffffff" if critical else "#000000")))
                self.history_table.setItem(row, column, item)
        if at_end:
            self.history_table.scrollToBottom()  # newest last, as the archive keeps them
        self.history_applied.emit(lines)

    @property
    def history(self) -> tuple[HistoryLine, ...]:
        return self._history

    def _ask_export_history(self) -> None:
        node = self.selected_node()
        if node is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the alarm history as CSV", f"alarms-{node}.csv", "CSV (*.csv)"
        )
        if path:
            self.export_history(Path(path))

    def export_history(self, path: Path) -> bool:
        """Write the selected node's alarm history (the table's window) as CSV, on the operations
        thread; `history_exported` or an error message follows."""
        node = self.selected_node()
        if node is None:
            return False

        def export(sim: Simulation) -> tuple[int, str | None]:
            try:
                with path.open("w", encoding="utf-8", newline="") as out:
                    return self._store(sim).export_history_csv(out, node=node, since=sim.now - HISTORY), None
            except OSError as exc:
                return 0, f"alarm history export to {path}: {exc.strerror or exc}"

        def done(result: tuple[int, str | None]) -> None:
            rows, error = result
            if error is not None:
                self.message.emit("error", error)
                return
            self.message.emit("info", f"{rows} alarm transitions of {node} exported to {path}")
            self.history_exported.emit(str(path))

        return self._operations.request(export, done, needs_simulation=True)
