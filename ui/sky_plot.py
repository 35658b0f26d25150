"""Polar sky plot for the selected station: the selected node's current and next pass, where it is
now, where the station's rotator actually points (and, when engaged, where it was sent), and the horizon mask.

The pass search runs in a background thread (`groundstation.sky_plot.plan_sky`) and is redone only
when the station, the node or the time it covers changes; each tick only looks the plan up. The
rotator is polled off the GUI thread too (a rotctld or serial rotator may take its timeout to
answer). Every drawn thing is a long-lived item updated with setData.

"Engage" (as in Gpredict) has the station's rotator, and its rigctld rig or SDR if it has one, work
the selected node's passes until disengaged (`ui.engage`): the engaged node stays the target when the
selection moves on; changing station disengages, which parks the rotator. The session is set up from
the settings as `groundstation track` is (`groundstation.station.configured`): the satellite's
frequency plan and mode, the rotator's configured limits and tolerance, AOS/LOS at the station's
horizon mask (the passes drawn here). An SDR is tuned through the radio panel's `RadioSlot`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from groundstation.app_settings import AppSettings, StationSettings
from groundstation.clock import Clock, SystemClock
from groundstation.scene import Scene
from groundstation.sky_plot import (
    SkyPlan,
    SkyTrack,
    SkyView,
    horizon_line,
    plan_sky,
    polar_xy,
)
from groundstation.station.configured import (
    configured_limits,
    configured_tracker,
    engage_target,
    is_sdr,
    rig_uri,
    station_radio,
    station_rotator,
)
from groundstation.station.doppler import RadioSlot
from groundstation.station.engage import EngageTarget, StationRotator, open_station_rotator
from groundstation.station.tracker import TrackerEvent
from radios.rotator import Pointing, Rotator, RotatorLimits
from ui.background import Background
from ui.engage import EngageController
from ui.selection import Selection
from ui.theme import Theme

ROTATOR_POLL_MS = 250
RING_ELEVATIONS_DEG = (0.0, 30.0, 60.0)
NODE_SIZE_PX = 11
ROTATOR_SIZE_PX = 18
COMMANDED_SIZE_PX = 14
# Tracker events the line under the plot shows (the event log gets them all).
LABELLED_KINDS = frozenset({"lost", "back", "error", "warning", "aos", "los", "plan", "wait"})
PLOT_RADIUS = 98.0  # the horizon is at 90; room for the compass letters


def _countdown(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def describe(view: SkyView, node: str, station: str) -> str:
    """The info line above the plot (Qt-free text, tested with the view)."""
    lines = [f"{node} over {station}"]
    now_s = view.moment.timestamp()
    if view.current is not None:
        p = view.current.pass_
        lines.append(
            f"IN PASS  LOS {p.los:%H:%M:%S}Z in {_countdown(p.los.timestamp() - now_s)}   "
            f"max {p.max_elevation_deg:.1f}°"
        )
    if view.next is not None:
        p = view.next.pass_
        lines.append(
            f"Next  AOS {p.aos:%Y-%m-%d %H:%M:%S}Z in {_countdown(p.aos.timestamp() - now_s)}   "
            f"max {p.max_elevation_deg:.1f}°   az {p.aos_azimuth_deg:.0f}° → {p.los_azimuth_deg:.0f}°"
        )
    elif view.current is None:
        lines.append("No pass within the search window")
    if math.isfinite(view.elevation_deg):
        lines.append(
            f"Now  az {view.azimuth_deg:.1f}°  el {view.elevation_deg:.1f}°  "
            f"range {view.range_km:,.0f} km  range rate {view.range_rate_m_s / 1000:+.2f} km/s"
        )
    return "\n".join(lines)


class SkyPlotView(QWidget):
    view_applied = Signal(object)  # SkyView, after the items were updated
    plan_ready = Signal(object)  # SkyPlan
    rotator_read = Signal(object)  # Pointing
    message = Signal(str, str)  # level, text: for the event log
    tracker_event = Signal(object)  # TrackerEvent of the engaged session, for the event log
    engaged_changed = Signal(bool)

    def __init__(self, selection: Selection, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sky_plot")
        self._selection = selection
        self._scene: Scene | None = None
        self._settings = AppSettings()
        self._plan: SkyPlan | None = None
        self._view: SkyView | None = None
        self._moment: datetime | None = None
        self._rotator: Rotator | None = None
        self._rotator_station = ""
        self._rotator_error = ""
        self._rotator_generation = 0  # readings of a rotator since replaced are dropped
        self._rotator_opening = False
        self.rotator_position: Pointing | None = None
        self._clock: Clock = SystemClock()
        self._rate: Callable[[], float] = lambda: 1.0
        self._engaged_text = ""
        self._sdr: RadioSlot | None = None
        self._sdr_driven: RadioSlot | None = None

        self.info = QLabel("Select a node to see its passes")
        self.info.setObjectName("sky_info")
        self.info.setWordWrap(True)
        self.rotator_label = QLabel("")
        self.rotator_label.setObjectName("sky_rotator")
        self.canvas = pg.PlotWidget()
        self.engage_button = QPushButton("Engage")
        self.engage_button.setObjectName("sky_engage")
        self.engage_button.setCheckable(True)
        self.engage_button.setToolTip("Rotator and rig work the selected node's passes (Ctrl+E)")
        self.engage_label = QLabel("")
        self.engage_label.setObjectName("sky_engaged")
        self.engage_label.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.engage_button)
        controls.addWidget(self.engage_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.info)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.rotator_label)
        layout.addLayout(controls)
        self._build_items()
        self.apply_theme(theme)

        self.background = Background("sky-plot", self)
        self.background.done.connect(self._job_done)
        self.background.failed.connect(self._job_failed)
        self._poll = QTimer(self)
        self._poll.setInterval(ROTATOR_POLL_MS)
        self._poll.timeout.connect(self._poll_rotator)
        self.engagement = EngageController(self)
        self.engagement.event.connect(self._tracker_event)
        self.engagement.engaged_changed.connect(self._engaged_changed)
        self.engage_button.clicked.connect(lambda _checked=False: self.toggle_engage())
        selection.node_changed.connect(lambda _node: self._replan())
        selection.node_changed.connect(lambda _node: self._update_engage_button())
        selection.station_changed.connect(self._station_changed)

    # Items --------------------------------------------------------------------------------
    def _build_items(self) -> None:
        plot = self.canvas.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.hideAxis("bottom")
        plot.hideAxis("left")
        plot.setMouseEnabled(x=False, y=False)
        plot.setAspectLocked(True)
        plot.setRange(xRange=(-PLOT_RADIUS, PLOT_RADIUS), yRange=(-PLOT_RADIUS, PLOT_RADIUS), padding=0)
        self.mask = QGraphicsPathItem()
        self.mask.setZValue(0)
        self.grid = pg.PlotCurveItem(connect="finite")
        self.grid.setZValue(1)
        x, y = self._grid_lines()
        self.grid.setData(x, y)
        self.next_track = pg.PlotDataItem()
        self.current_track = pg.PlotDataItem()
        for item in (self.next_track, self.current_track):
            item.setZValue(2)
        self.aos_marker = pg.ScatterPlotItem(pxMode=True, size=7, symbol="o")
        self.aos_marker.setZValue(3)
        self.node = pg.ScatterPlotItem(pxMode=True, size=NODE_SIZE_PX, symbol="o")
        self.node.setZValue(4)
        self.rotator = pg.ScatterPlotItem(pxMode=True, size=ROTATOR_SIZE_PX, symbol="+")
        self.rotator.setZValue(5)
        self.commanded = pg.ScatterPlotItem(pxMode=True, size=COMMANDED_SIZE_PX, symbol="o")
        self.commanded.setZValue(5)
        for item in (
            self.grid,
            self.next_track,
            self.current_track,
            self.aos_marker,
            self.node,
            self.rotator,
            self.commanded,
        ):
            plot.addItem(item)
        plot.addItem(self.mask)
        self.labels: list[pg.TextItem] = []
        for text, (lx, ly) in (("N", (0, 94)), ("E", (94, 0)), ("S", (0, -94)), ("W", (-94, 0))):
            label = pg.TextItem(text, anchor=(0.5, 0.5))
            label.setPos(lx, ly)
            self.labels.append(label)
        for elevation in RING_ELEVATIONS_DEG[1:]:
            label = pg.TextItem(f"{elevation:.0f}°", anchor=(0, 1))
            label.setPos(2, 90 - elevation)
            self.labels.append(label)
        for label in self.labels:
            plot.addItem(label)

    @staticmethod
    def _grid_lines() -> tuple[np.ndarray, np.ndarray]:
        parts_x: list[np.ndarray] = []
        parts_y: list[np.ndarray] = []
        azimuth = np.linspace(0.0, 360.0, 181)
        for elevation in RING_ELEVATIONS_DEG:
            x, y = polar_xy(azimuth, np.full_like(azimuth, elevation))
            parts_x += [x, np.array([np.nan])]
            parts_y += [y, np.array([np.nan])]
        for spoke in range(0, 360, 30):
            x, y = polar_xy(np.array([spoke, spoke]), np.array([90.0, 0.0]))
            parts_x += [x, np.array([np.nan])]
            parts_y += [y, np.array([np.nan])]
        return np.concatenate(parts_x), np.concatenate(parts_y)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.canvas.setBackground(theme.colour("background"))
        self.grid.setPen(pg.mkPen(theme.colour("grid"), width=1))
        self.mask.setBrush(QBrush(theme.colour("mask")))
        self.mask.setPen(QPen(Qt.PenStyle.NoPen))
        self.current_track.setPen(pg.mkPen(theme.colour("pass_current"), width=2.5))
        self.next_track.setPen(pg.mkPen(theme.colour("pass_next"), width=1.5, style=Qt.PenStyle.DashLine))
        self.aos_marker.setBrush(pg.mkBrush(theme.colour("pass_next")))
        self.aos_marker.setPen(pg.mkPen(None))
        self.node.setBrush(pg.mkBrush(theme.colour("node")))
        self.node.setPen(pg.mkPen(theme.colour("background"), width=1))
        self.rotator.setBrush(pg.mkBrush(theme.colour("rotator")))
        self.rotator.setPen(pg.mkPen(theme.colour("rotator"), width=2))
        self.commanded.setBrush(pg.mkBrush(None))
        self.commanded.setPen(pg.mkPen(theme.colour("rotator"), width=1.5, style=Qt.PenStyle.DashLine))
        for label in self.labels:
            label.setColor(theme.colour("foreground"))

    # Scene and selection ------------------------------------------------------------------
    def set_clock(self, clock: Clock, rate: Callable[[], float]) -> None:
        """The app's clock (before `set_scene`): a simulated rotator slews in its time, and an
        engaged session runs on it; `rate` is its clock seconds per real second (0 when paused)."""
        self._clock = clock
        self._rate = rate

    def set_sdr(self, slot: RadioSlot) -> None:
        """Where an engaged session tunes a station's SDR (the radio panel attaches its radio)."""
        self._sdr = slot
        self._update_engage_button()

    def clock_changed(self) -> None:
        """The clock jumped or changed pace: an engaged session looks at it again now."""
        self.engagement.wake()

    def set_scene(self, scene: Scene, settings: AppSettings) -> None:
        self._scene = scene
        self._settings = settings
        self._station_changed(self._selection.station)

    def station(self) -> StationSettings | None:
        name = self._selection.station
        return next((s for s in self._settings.stations if s.name == name), None)

    def _station_changed(self, _name: str) -> None:
        self.disengage()  # the rotator belongs to the station
        station = self.station()
        if station is None:
            self.mask.setPath(QPainterPath())
        else:
            self.mask.setPath(self._mask_path(station))
        self._open_rotator(station)
        self._replan()

    @staticmethod
    def _mask_path(station: StationSettings) -> QPainterPath:
        azimuth, elevation = horizon_line(station)
        outer_x, outer_y = polar_xy(azimuth, np.zeros_like(azimuth))
        inner_x, inner_y = polar_xy(azimuth, elevation)
        path = QPainterPath()
        path.moveTo(QPointF(float(outer_x[0]), float(outer_y[0])))
        for x, y in zip(outer_x[1:], outer_y[1:], strict=True):
            path.lineTo(QPointF(float(x), float(y)))
        for x, y in zip(inner_x[::-1], inner_y[::-1], strict=True):
            path.lineTo(QPointF(float(x), float(y)))
        path.closeSubpath()
        return path

    def _replan(self) -> None:
        self._plan = None
        self._clear_tracks()
        if self._moment is not None:
            self._request_plan(self._moment)

    def _request_plan(self, moment: datetime) -> None:
        station, scene, node = self.station(), self._scene, self._selection.node
        index = scene.index_of(node) if scene is not None and node is not None else None
        if station is None or scene is None or index is None:
            self.info.setText("Select a node to see its passes" if station else "No station selected")
            return
        element = scene.elements[index]
        self.background.submit("plan", lambda: plan_sky(station, element, moment))

    # Ticks --------------------------------------------------------------------------------
    def show_time(self, moment: datetime) -> None:
        self._moment = moment
        plan = self._plan
        if plan is None or not plan.covers(moment):
            if not self.background.busy("plan"):
                self._request_plan(moment)
            if plan is None:
                return
        self._draw(plan.at(moment), plan)

    def _job_done(self, key: object, result: object) -> None:
        if key == "plan" and isinstance(result, SkyPlan):
            station, node = self.station(), self._selection.node
            if station != result.station or node != result.element.norad_id:
                return  # the selection moved on while it was searched
            self._plan = result
            self.plan_ready.emit(result)
            if self._moment is not None:
                self._draw(result.at(self._moment), result)
        elif key == ("rotator", self._rotator_generation) and isinstance(result, Pointing):
            self._show_rotator(result)
        elif isinstance(key, tuple) and key[0] == "open" and isinstance(result, StationRotator):
            if key[1] == self._rotator_generation:
                self._rotator_opened(str(key[2]), result)
            else:  # the station changed while it was opened
                self.background.submit(("close", key[1]), result.rotator.close)

    def _job_failed(self, key: object, text: str) -> None:
        if isinstance(key, tuple) and key[0] == "open" and key[1] == self._rotator_generation:
            self._rotator_opening = False
            self.rotator_label.setText(f"Rotator: {text}")
            self.message.emit("error", f"rotator {key[2]}: {text}")
            self._update_engage_button()
        elif key == ("rotator", self._rotator_generation):
            if text != self._rotator_error:
                self._rotator_error = text
                self.message.emit("warning", f"rotator at {self._rotator_station}: {text}")
            self.rotator_label.setText(f"Rotator: {text}")
            self.rotator.setData(x=[], y=[])
        elif key == "plan":
            self.message.emit("error", f"pass search: {text}")

    @property
    def shown(self) -> SkyView | None:
        """What the plot shows now (None: no plan yet for the selection)."""
        return self._view

    def _clear_tracks(self) -> None:
        self._view = None
        for item in (self.current_track, self.next_track):
            item.setData([], [])
        for scatter in (self.aos_marker, self.node):
            scatter.setData(x=[], y=[])

    def _draw(self, view: SkyView, plan: SkyPlan) -> None:
        previous, self._view = self._view, view
        for item, track, before in (
            (self.current_track, view.current, previous.current if previous else None),
            (self.next_track, view.next, previous.next if previous else None),
        ):
            if previous is None or track is not before:
                self._set_track(item, track)
        if previous is None or view.next is not previous.next:
            if view.next is None:
                self.aos_marker.setData(x=[], y=[])
            else:
                x, y = polar_xy(view.next.azimuth_deg[:1], view.next.elevation_deg[:1])
                self.aos_marker.setData(x=x, y=y)
        if math.isfinite(view.elevation_deg) and view.elevation_deg >= 0.0:
            x, y = polar_xy(view.azimuth_deg, view.elevation_deg)
            self.node.setData(x=[float(x)], y=[float(y)])
        else:
            self.node.setData(x=[], y=[])
        self.info.setText(describe(view, plan.element.name, plan.station.name))
        self.view_applied.emit(view)

    @staticmethod
    def _set_track(item: pg.PlotDataItem, track: SkyTrack | None) -> None:
        if track is None:
            item.setData([], [])
        else:
            x, y = polar_xy(track.azimuth_deg, track.elevation_deg)
            item.setData(x, y)

    # Rotator ------------------------------------------------------------------------------
    def _open_rotator(self, station: StationSettings | None) -> None:
        self._close_rotator()
        self.rotator.setData(x=[], y=[])
        self.commanded.setData(x=[], y=[])
        if station is None or not station.rotator:
            self.rotator_label.setText("Rotator: none configured for this station")
            self._update_engage_button()
            return
        config = next((r for r in self._settings.rotators if r.name == station.rotator), None)
        if config is None:
            return
        self._rotator_station = station.name
        self._rotator_error = ""
        self.rotator_label.setText(f"Rotator {config.name}: connecting…")
        uri, clock = config.uri, self._clock

        def configured(asked: RotatorLimits) -> RotatorLimits:
            return configured_limits(asked, config)

        # rotctld is asked for its limits: off the GUI thread.
        self._rotator_opening = True
        self.background.submit(
            ("open", self._rotator_generation, config.name),
            lambda: open_station_rotator(uri, clock, configured=configured),
        )
        self._update_engage_button()

    def _rotator_opened(self, name: str, opened: StationRotator) -> None:
        self._rotator_opening = False
        self._rotator = opened.rotator
        if opened.note:
            self.message.emit("warning", f"rotator {name}: {opened.note}")
        self.rotator_label.setText(f"Rotator {name} ({opened.rotator.name}): reading…")
        self._update_engage_button()
        self._poll.start()
        self._poll_rotator()

    def _poll_rotator(self) -> None:
        rotator, key = self._rotator, ("rotator", self._rotator_generation)
        if rotator is not None and not self.background.busy(key):
            self.background.submit(key, rotator.position)

    def _show_rotator(self, position: Pointing) -> None:
        self.rotator_position = position
        if self._rotator_error:
            self.message.emit("info", f"rotator at {self._rotator_station}: answering again")
            self._rotator_error = ""
        x, y = self._sky_xy(position)
        self.rotator.setData(x=[x], y=[y])
        commanded = self.engagement.commanded
        sent = (
            f"  → sent az {commanded.azimuth_deg:.1f}° el {commanded.elevation_deg:.1f}°"
            if commanded is not None
            else ""
        )
        self.rotator_label.setText(
            f"Rotator ({self._rotator.name if self._rotator else '?'}): "
            f"az {position.azimuth_deg:.1f}°  el {position.elevation_deg:.1f}°{sent}"
        )
        self.rotator_read.emit(position)

    @staticmethod
    def _sky_xy(position: Pointing) -> tuple[float, float]:
        """Plot point of a rotator position: its logical azimuth may run past 360° (cable wrap)
        and its elevation past 90° (flipped); the sky has one of each direction."""
        azimuth = position.azimuth_deg % 360.0
        elevation = min(position.elevation_deg, 180.0 - position.elevation_deg)
        if position.elevation_deg > 90.0:
            azimuth = (azimuth + 180.0) % 360.0
        x, y = polar_xy(azimuth, elevation)
        return float(x), float(y)

    def _close_rotator(self) -> None:
        self._poll.stop()
        rotator, self._rotator = self._rotator, None
        if rotator is not None:
            if self.engagement.engaged:  # closed once the session has parked it and returned
                self.engagement.after_session(rotator.close)
            else:
                self.background.submit(("close", self._rotator_generation), rotator.close)
        self._rotator_generation += 1

    # Engage -------------------------------------------------------------------------------
    @property
    def rotator_device(self) -> Rotator | None:
        """The station's rotator, once opened (the poller and an engaged session share it)."""
        return self._rotator

    @property
    def engaged(self) -> bool:
        return self.engagement.engaged

    def _engage_target(self) -> tuple[EngageTarget, str, RadioSlot | None] | None:
        """What engaging would work now: (target, rig URI, SDR slot), or None."""
        station, scene, node = self.station(), self._scene, self._selection.node
        index = scene.index_of(node) if scene is not None and node is not None else None
        if station is None or scene is None or index is None:
            return None
        target = engage_target(self._settings, station, scene.elements[index])
        radio = station_radio(self._settings, station)
        sdr = self._sdr if is_sdr(radio) and target.frequencies is not None else None
        return target, rig_uri(radio) or "", sdr

    def _has_radio(self) -> bool:
        """Whether the station has a radio an engaged session can tune (a rig, or an SDR)."""
        station = self.station()
        radio = station_radio(self._settings, station) if station is not None else None
        return rig_uri(radio) is not None or (is_sdr(radio) and self._sdr is not None)

    def _update_engage_button(self) -> None:
        if self.engagement.engaged:
            self.engage_button.setEnabled(True)
            return
        station = self.station()
        has_rig = self._has_radio()
        ready = (self._rotator is not None or has_rig) and not self._rotator_opening
        self.engage_button.setEnabled(ready and self._selection.node is not None)
        if station is not None and not (station.rotator or has_rig):
            self.engage_label.setText("Nothing to engage: no rotator or rig at this station")
        elif self._selection.node is None:
            self.engage_label.setText("Select a node to engage")
        else:
            self.engage_label.setText("Disengaged")

    def toggle_engage(self) -> None:
        if self.engagement.engaged:
            self.disengage()
        else:
            self.engage()

    def engage(self) -> bool:
        """Have the station's rotator and rig work the selected node's passes."""
        found = self._engage_target()
        if found is None or not self.engage_button.isEnabled():
            self.engage_button.setChecked(False)
            self.message.emit("warning", "engage: select a station with a rotator or rig, and a node")
            return False
        target, rig, sdr = found
        station = self.station()
        rotator_config = station_rotator(self._settings, station) if station is not None else None
        self._engaged_text = f"Engaged: {target.name} over {target.location.name}"
        if sdr is not None:
            sdr.driver = self._engaged_text  # the radio panel shows who tunes its radio
        started = self.engagement.engage(
            target,
            clock=self._clock,
            rate=self._rate,
            rotator=self._rotator,
            rig_uri=rig,
            sink=sdr,
            tracker_settings=configured_tracker(rotator_config),
        )
        self._sdr_driven = sdr if started else None
        if not started:
            self._engaged_text = ""
            if sdr is not None:
                sdr.release()
        self.engage_label.setText(self._engaged_text or "Disengaged")
        self.engage_button.setChecked(started)
        return started

    def disengage(self) -> None:
        if self.engagement.engaged:
            self.engage_label.setText(f"{self._engaged_text}: parking…")
            self.engagement.disengage()

    def _engaged_changed(self, engaged: bool) -> None:
        self.engage_button.setChecked(engaged)
        self.engage_button.setText("Disengage" if engaged else "Engage")
        if not engaged:
            self._engaged_text = ""
            if self._sdr_driven is not None:
                self._sdr_driven.release()
                self._sdr_driven = None
            self._update_engage_button()
        self.engaged_changed.emit(engaged)

    def _tracker_event(self, event: TrackerEvent) -> None:
        commanded = self.engagement.commanded
        if commanded is not None:
            x, y = self._sky_xy(commanded)
            self.commanded.setData(x=[x], y=[y])
        if self._engaged_text and event.kind in (
            "lost",
            "back",
            "error",
            "warning",
            "aos",
            "los",
            "plan",
            "wait",
        ):
            first = event.message.split(";", 1)[0]
            self.engage_label.setText(f"{self._engaged_text} · {event.kind}: {first}")
        self.tracker_event.emit(event)

    def shutdown(self) -> None:
        self._poll.stop()
        self.engagement.shutdown()  # parks the rotator and waits for the session to return
        self.background.stop()  # waits for a reading in progress: nothing else uses the rotator now
        rotator, self._rotator = self._rotator, None
        if rotator is not None:
            rotator.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)
