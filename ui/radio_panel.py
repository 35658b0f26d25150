"""Radio panel: spectrum and waterfall of the selected station's RX stream, the frames decoded from
it as they arrive, the selected node's Doppler-corrected frequencies (and, on request, the radio
kept tuned to them), the rotator's azimuth and elevation and the rig's state; start and stop.

The radio runs on its own thread (radios.sdr); reading, analysing and decoding its samples run on
the panel's worker at display rate (`groundstation.radio_monitor`), never on the GUI thread.

While the sky plot's Engage works a pass with this station's SDR, the engaged session tunes it
through `sdr_slot` (its Doppler controller: interval, threshold); "Follow Doppler" then shows it is
driven by the session and the panel's own following stands aside.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import AppSettings, StationSettings
from groundstation.radio_monitor import FLOOR_DB, DopplerView, RxMonitor, RxUpdate, doppler_view, frame_line
from groundstation.scene import Scene
from groundstation.sky_plot import station_location
from groundstation.station.configured import frequency_plan, station_radio
from groundstation.station.doppler import DopplerController, RadioSlot, TunedFrequencies
from radios.ax25 import Frame
from radios.errors import DeviceConfigError, DeviceError
from radios.packet_modem import PacketModem
from radios.registry import open_rig
from radios.rig import Rig
from radios.rotator import Pointing
from radios.sdr import Radio
from radios.sdr import RadioSettings as SdrSettings
from radios.sdr_registry import open_radio
from ui.background import Background
from ui.selection import Selection
from ui.theme import Theme

SAMPLE_RATE_HZ = 96_000.0  # the G3RUH modem's rate: 10 samples a bit at 9600 bd
DISPLAY_MS = 100
RIG_POLL_MS = 1000
# The demo's loopback radio runs in real time with this much noise, so the panel has a live
# stream to show between test frames.
DEMO_LOOPBACK = "loopback:realtime=1,ebn0_db=14,bit_rate_bps=9600"
TEST_SOURCE, TEST_DESTINATION = "GROUND", "GSNET"


def radio_uri(driver: str, device: str) -> str | None:
    """The SDR URI of a station's radio settings; None for a rig-only (hamlib) station."""
    if driver == "loopback":
        return f"loopback:{device}" if device else DEMO_LOOPBACK
    if driver == "soapy":
        return f"soapy:{device}"
    return None


class RadioPanel(QWidget):
    update_applied = Signal(object)  # RxUpdate
    frame_received = Signal(str)  # the frame's line, as listed
    running_changed = Signal(bool)
    message = Signal(str, str)

    def __init__(self, selection: Selection, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("radio_panel")
        self._selection = selection
        self._scene: Scene | None = None
        self._settings = AppSettings()
        self._radio: Radio | None = None
        self._monitor: RxMonitor | None = None
        self._rig: Rig | None = None
        self._downlink_hz = 0.0
        self._uplink_hz = 0.0
        self._moment: datetime | None = None
        self._doppler: DopplerView | None = None
        self.frames_shown = 0
        self.sdr_slot = RadioSlot()
        self._follow: DopplerController | None = None  # the panel's own "Follow Doppler"
        self._follow_checked = False  # the operator's choice, kept while a session drives the radio

        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("radio_start")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("radio_stop")
        self.test_button = QPushButton("Send test frame")
        self.test_button.setObjectName("radio_test")
        self.track_box = QCheckBox("Follow Doppler")
        self.track_box.setObjectName("radio_follow_doppler")
        self.state_label = QLabel("Stopped")
        self.state_label.setObjectName("radio_state")
        self.doppler_label = QLabel("Select a node for its Doppler-corrected frequencies")
        self.doppler_label.setObjectName("radio_doppler")
        self.rotator_label = QLabel("Rotator: —")
        self.rotator_label.setObjectName("radio_rotator")
        self.rig_label = QLabel("Rig: —")
        self.rig_label.setObjectName("radio_rig")

        self.spectrum = pg.PlotWidget()
        self.spectrum.setLabel("left", "dBFS")
        self.spectrum.setLabel("bottom", "kHz from the tuned centre")
        half_khz = SAMPLE_RATE_HZ / 2000
        self.spectrum.setXRange(-half_khz, half_khz, padding=0)
        self.spectrum.getPlotItem().getViewBox().setMouseEnabled(x=True, y=False)
        self.trace = pg.PlotDataItem()
        self.spectrum.addItem(self.trace)
        self.tuned_line = pg.InfiniteLine(angle=90, movable=False)
        self.spectrum.addItem(self.tuned_line)
        self.waterfall_plot = pg.PlotWidget()
        self.waterfall_plot.hideAxis("left")
        self.waterfall = pg.ImageItem(axisOrder="row-major")
        self.waterfall_plot.addItem(self.waterfall)
        self.waterfall.setColorMap(pg.colormap.get("viridis"))
        self.waterfall_plot.setXLink(self.spectrum)
        self.frames = QPlainTextEdit()
        self.frames.setObjectName("radio_frames")
        self.frames.setReadOnly(True)
        self.frames.setMaximumBlockCount(1000)

        buttons = QHBoxLayout()
        for widget in (self.start_button, self.stop_button, self.test_button, self.track_box):
            buttons.addWidget(widget)
        buttons.addWidget(self.state_label, 1)
        info = QHBoxLayout()
        info.addWidget(self.doppler_label, 2)
        status = QVBoxLayout()
        status.addWidget(self.rotator_label)
        status.addWidget(self.rig_label)
        info.addLayout(status, 1)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.spectrum)
        plots.addWidget(self.waterfall_plot)
        plots.addWidget(self.frames)
        plots.setSizes([170, 130, 90])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(info)
        layout.addWidget(plots, 1)
        self.apply_theme(theme)

        self.background = Background("radio", self)
        self.background.done.connect(self._done)
        self.background.failed.connect(self._failed)
        self._display = QTimer(self)
        self._display.setInterval(DISPLAY_MS)
        self._display.timeout.connect(self._pull)
        self._rig_poll = QTimer(self)
        self._rig_poll.setInterval(RIG_POLL_MS)
        self._rig_poll.timeout.connect(self._poll_rig)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.test_button.clicked.connect(self.send_test_frame)
        selection.station_changed.connect(lambda _name: self._station_changed())
        self._show_running(False)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        for plot in (self.spectrum, self.waterfall_plot):
            plot.setBackground(theme.colour("background"))
            for axis in ("bottom", "left"):
                plot.getPlotItem().getAxis(axis).setPen(theme.colour("grid"))
                plot.getPlotItem().getAxis(axis).setTextPen(theme.colour("foreground"))
        self.trace.setPen(pg.mkPen(theme.colour("track_future"), width=1))
        self.tuned_line.setPen(pg.mkPen(theme.colour("pass_next"), width=1, style=Qt.PenStyle.DashLine))

    # Configuration ------------------------------------------------------------------------
    def set_scene(self, scene: Scene, settings: AppSettings) -> None:
        self._scene = scene
        self._settings = settings
        self._station_changed()

    def station(self) -> StationSettings | None:
        name = self._selection.station
        return next((s for s in self._settings.stations if s.name == name), None)

    def _radio_settings(self) -> tuple[str | None, str]:
        """(SDR URI or None, rig address) of the selected station's radio."""
        station = self.station()
        config = (
            None
            if station is None
            else next((r for r in self._settings.radios if r.name == station.radio), None)
        )
        if config is None:
            self._downlink_hz = self._uplink_hz = 0.0
            return None, ""
        self._downlink_hz, self._uplink_hz = config.downlink_hz, config.uplink_hz
        if config.driver == "hamlib":
            return None, config.device
        return radio_uri(config.driver, config.device), ""

    def _station_changed(self) -> None:
        was_running = self._radio is not None
        self.stop()
        uri, rig = self._radio_settings()
        self._open_rig(rig)
        station = self.station()
        if uri is None:
            self.state_label.setText(f"No SDR at {station.name if station else 'this station'}")
        else:
            self.state_label.setText(f"Stopped ({uri})")
        self.start_button.setEnabled(uri is not None)
        if was_running and uri is not None:
            self.start()

    # Running ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._radio is not None:
            return
        uri, _rig = self._radio_settings()
        if uri is None:
            return
        centre = self._downlink_hz or 435.8e6
        try:
            radio = open_radio(uri, SdrSettings(SAMPLE_RATE_HZ, centre))
        except DeviceConfigError as exc:
            self.message.emit("error", f"radio: {exc}")
            return
        self._radio = radio
        self._monitor = RxMonitor(radio)
        moment = self._moment
        slot = self.sdr_slot

        def start_radio() -> str:
            radio.open()
            slot.attach(radio)  # tuned now if an engaged session asked for a frequency
            radio.start_rx(moment)
            return radio.name

        self.background.submit("open", start_radio)
        self._show_running(True)

    def stop(self) -> None:
        radio, self._radio, self._monitor = self._radio, None, None
        self._display.stop()
        if radio is not None:
            slot = self.sdr_slot

            def close() -> None:  # on the worker, after the job that attached it
                if slot.radio is radio:
                    slot.attach(None)
                radio.close()

            self.background.submit(("close", id(radio)), close)
            self.message.emit("info", "radio stopped")
        self._show_running(False)

    def _show_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.test_button.setEnabled(
            running and self._radio is not None and self._radio.name.startswith("loopback")
        )
        self.running_changed.emit(running)

    @property
    def running(self) -> bool:
        return self._radio is not None

    def _pull(self) -> None:
        monitor = self._monitor
        if monitor is not None and not self.background.busy("step"):
            self.background.submit("step", monitor.step)

    def send_test_frame(self) -> None:
        radio = self._radio
        if radio is None:
            return
        stamp = f"{self._moment:%H:%M:%S}" if self._moment else "test"
        frame = Frame.ui(TEST_SOURCE, TEST_DESTINATION, f"test frame {stamp}".encode())
        self.background.submit(("send", self.frames_shown, stamp), lambda: PacketModem(radio).send([frame]))

    def _done(self, key: object, result: object) -> None:
        if key == "open":
            self.state_label.setText(f"Receiving ({result}) at {SAMPLE_RATE_HZ / 1000:g} ksps")
            self.message.emit("info", f"radio started: {result}")
            self._display.start()
        elif key == "step" and isinstance(result, RxUpdate):
            self._draw(result)
        elif key == "rig" and isinstance(result, str):
            self.rig_label.setText(result)

    def _failed(self, key: object, text: str) -> None:
        if key == "rig":
            self.rig_label.setText(f"Rig: {text}")
            return
        self.message.emit("error", f"radio: {text}")
        if key in ("open", "step"):
            self.stop()

    def _draw(self, update: RxUpdate) -> None:
        offsets_khz = (update.frequency_hz - update.centre_hz) / 1000.0
        self.trace.setData(offsets_khz, update.trace_db)
        low = max(float(np.median(update.trace_db)) - 10.0, FLOOR_DB)
        high = float(update.trace_db.max()) + 5.0
        self.spectrum.setYRange(low, high, padding=0)
        self.waterfall.setImage(update.waterfall_db, autoLevels=False, levels=(low, high))
        rows = update.waterfall_db.shape[0]
        span_khz = float(offsets_khz[-1] - offsets_khz[0])
        self.waterfall.setRect(QRectF(float(offsets_khz[0]), 0.0, span_khz, float(rows)))
        wanted = self._doppler.downlink_hz if self._doppler else update.centre_hz
        asked_hz = self.sdr_slot.asked_rx_hz
        if self.driven and asked_hz is not None:  # where the engaged session tunes
            wanted = asked_hz
        self.tuned_line.setValue((wanted - update.centre_hz) / 1000.0)
        stats = update.stats
        seconds = stats.samples_received / SAMPLE_RATE_HZ
        frames = self._monitor.frames_total if self._monitor else 0
        self.state_label.setText(
            f"Receiving at {update.centre_hz / 1e6:.6f} MHz: {seconds:,.0f} s, {stats.overruns} overruns, "
            f"{frames} frames"
        )
        moment = self._moment or datetime.now().astimezone()
        for received in update.frames:
            line = frame_line(received, moment)
            self.frames.appendPlainText(line)
            self.frames_shown += 1
            self.frame_received.emit(line)
        self.update_applied.emit(update)

    # Doppler, rotator and rig -------------------------------------------------------------
    def _show_driver(self) -> bool:
        """Show on "Follow Doppler" whether an engaged session drives the SDR; True when it does."""
        driver = self.sdr_slot.driver
        if bool(driver) == (not self.track_box.isEnabled()):
            return bool(driver)
        if driver:
            self._follow_checked = self.track_box.isChecked()
            self.track_box.setChecked(True)
            self.track_box.setEnabled(False)
            self.track_box.setText("Follow Doppler (engaged)")
            self.track_box.setToolTip(f"{driver}: the engaged session tunes the radio for Doppler")
        else:
            self.track_box.setEnabled(True)
            self.track_box.setChecked(self._follow_checked)
            self.track_box.setText("Follow Doppler")
            self.track_box.setToolTip("")
        return bool(driver)

    @property
    def driven(self) -> bool:
        """Whether an engaged session tunes the SDR now."""
        return bool(self.sdr_slot.driver)

    def show_time(self, moment: datetime) -> None:
        self._moment = moment
        driven = self._show_driver()
        station, scene, node = self.station(), self._scene, self._selection.node
        index = scene.index_of(node) if scene is not None and node is not None else None
        element = scene.elements[index] if scene is not None and index is not None else None
        plan = (
            frequency_plan(self._settings, element.norad_id, station_radio(self._settings, station))
            if station is not None and element is not None
            else None
        )
        if station is None or element is None or plan is None or plan.downlink_hz is None:
            self._doppler = self._follow = None
            return
        # As the engaged session tunes: the satellite's plan (calibration offsets included).
        down_hz = plan.downlink_hz + plan.downlink_offset_hz
        up_hz = plan.uplink_hz + plan.uplink_offset_hz if plan.uplink_hz is not None else 0.0
        view = doppler_view(element, station_location(station), moment, down_hz, up_hz)
        self._doppler = view
        self.doppler_label.setText(view.text(down_hz, up_hz))
        monitor = self._monitor
        follow = self.track_box.isChecked() and monitor is not None and view.elevation_deg > 0.0
        if driven or not follow or monitor is None:
            self._follow = None  # whoever tunes next starts from what the radio holds
            return
        if self._follow is None or self._follow.plan != plan:
            self._follow = DopplerController(plan)
        # The same threshold as the engaged session: resend only past it (this tick is the interval).
        due = self._follow.due(TunedFrequencies(view.downlink_hz, None)).rx_hz
        if due is not None and not self.background.busy("tune"):
            self._follow.record_rx(due)
            self.background.submit("tune", lambda: monitor.tune(due))

    @property
    def doppler(self) -> DopplerView | None:
        return self._doppler

    def show_rotator(self, position: Pointing) -> None:
        self.rotator_label.setText(
            f"Rotator: az {position.azimuth_deg:.1f}°  el {position.elevation_deg:.1f}°"
        )

    def _open_rig(self, address: str) -> None:
        self._rig_poll.stop()
        rig, self._rig = self._rig, None
        if rig is not None:
            self.background.submit(("close-rig", id(rig)), rig.close)
        if not address:
            self.rig_label.setText("Rig: none (SDR only)")
            return
        try:
            self._rig = open_rig(f"rigctld://{address}")
        except DeviceConfigError as exc:
            self.rig_label.setText(f"Rig: {exc}")
            return
        self._rig_poll.start()
        self._poll_rig()

    def _poll_rig(self) -> None:
        rig = self._rig
        if rig is None or self.background.busy("rig"):
            return

        def read() -> str:
            try:
                frequency_hz, mode = rig.frequency(), rig.mode()
            except DeviceError as exc:
                return f"Rig: {exc}"
            try:  # not every rig (or rigctld setup) can report PTT
                ptt = "on" if rig.ptt() else "off"
            except DeviceError:
                ptt = "n/a"
            return (
                f"Rig {rig.name}: {frequency_hz / 1e6:.6f} MHz {mode.mode} {mode.passband_hz} Hz, PTT {ptt}"
            )

        self.background.submit("rig", read)

    def shutdown(self) -> None:
        self._display.stop()
        self._rig_poll.stop()
        self.background.stop()
        for device in (self._radio, self._rig):
            if device is not None:
                device.close()
        self._radio = self._monitor = self._rig = None

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
