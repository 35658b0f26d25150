"""The settings dialog's Stations page: each station's place, horizon mask, rotator and radio.

A station names its rotator and radio (`[[rotators]]` / `[[radios]]` entries, which stations may
share); the page edits the entry the station names, and keeps entries no station names any more
(nothing saved is dropped behind the operator's back).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import (
    ALTITUDE_RANGE_M,
    ANTENNAS_RANGE,
    LATITUDE_RANGE_DEG,
    LONGITUDE_RANGE_DEG,
    MIN_ELEVATION_RANGE_DEG,
    RADIO_DRIVERS,
    ROTATOR_DRIVERS,
    FieldError,
    RadioSettings,
    RotatorSettings,
    StationSettings,
    read_horizon_mask,
)
from groundstation.errors import InputError
from ui.device_test import DeviceTester
from ui.settings_form import (
    ERROR_STYLE,
    EntryListPage,
    FieldForm,
    dimmed,
    hint_range,
    number_text,
    number_value,
)

_D = TypeVar("_D", RotatorSettings, RadioSettings)
MASK_COLUMNS = ("Azimuth °", "Elevation °")
ROTATOR_LIMITS = (
    ("azimuth_min_deg", "Azimuth min", "°"),
    ("azimuth_max_deg", "Azimuth max", "°"),
    ("elevation_min_deg", "Elevation min", "°"),
    ("elevation_max_deg", "Elevation max", "°"),
    ("azimuth_slew_deg_s", "Azimuth slew", "°/s"),
    ("elevation_slew_deg_s", "Elevation slew", "°/s"),
    ("park_azimuth_deg", "Park azimuth", "°"),
    ("park_elevation_deg", "Park elevation", "°"),
    ("tolerance_deg", "Pointing tolerance", "°"),
)


def rig_uri(radio: RadioSettings) -> str:
    """The Hamlib rig URI of a `hamlib` radio ("" for the other drivers)."""
    return f"rigctld://{radio.device}" if radio.driver == "hamlib" and radio.device else ""


class StationsPage(EntryListPage[StationSettings]):
    def __init__(
        self,
        stations: Sequence[StationSettings],
        rotators: Sequence[RotatorSettings],
        radios: Sequence[RadioSettings],
        tester: DeviceTester,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(stations, lambda s: s.name, _new_station, parent)
        self.rotators: list[RotatorSettings] = list(rotators)
        self.radios: list[RadioSettings] = list(radios)
        self._tester = tester
        self._rotator_name = self._radio_name = ""  # the entries the shown station names

        self.form = FieldForm()
        self.form.add_text("name", "Name")
        self.form.add_number("latitude_deg", "Latitude", "° N", hint_range(LATITUDE_RANGE_DEG))
        self.form.add_number("longitude_deg", "Longitude", "° E", hint_range(LONGITUDE_RANGE_DEG))
        self.form.add_number("altitude_m", "Altitude", "m", hint_range(ALTITUDE_RANGE_M), placeholder="0")
        self.form.add_number(
            "min_elevation_deg",
            "Minimum elevation",
            "°",
            hint_range(MIN_ELEVATION_RANGE_DEG, closed_top=False),
            placeholder="0",
        )
        self.form.add_number(
            "antennas", "Antennas", "", hint_range(ANTENNAS_RANGE), whole=True, placeholder="1"
        )
        self.form.edited.connect(self.edited)
        self.form_column.addWidget(self.form)

        mask_box = QGroupBox("Horizon mask (what hides the sky; empty: a clear horizon)")
        mask_column = QVBoxLayout(mask_box)
        self.mask_table = QTableWidget(0, 2)
        self.mask_table.setObjectName("mask_table")
        self.mask_table.setHorizontalHeaderLabels(MASK_COLUMNS)
        self.mask_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mask_table.setMaximumHeight(150)
        self.mask_table.itemChanged.connect(lambda _item: self.edited())
        mask_buttons = QHBoxLayout()
        for text, slot in (
            ("Add point", self._add_mask_point),
            ("Remove point", self._remove_mask_point),
            ("Import file…", self._import_mask),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            mask_buttons.addWidget(button)
        mask_buttons.addStretch(1)
        self.mask_error = QLabel()
        self.mask_error.setObjectName("error_horizon_mask")
        self.mask_error.setStyleSheet(ERROR_STYLE)
        self.mask_error.setWordWrap(True)
        self.mask_error.hide()
        mask_column.addWidget(self.mask_table)
        mask_column.addLayout(mask_buttons)
        mask_column.addWidget(self.mask_error)
        self.form_column.addWidget(mask_box)

        rotator_box = QGroupBox("Rotator")
        rotator_column = QVBoxLayout(rotator_box)
        self.rotator_form = FieldForm()
        self.rotator_form.add_choice(
            "driver",
            "Driver",
            [("", "none"), *((d, d) for d in ROTATOR_DRIVERS)],
            hint="rotctld: Hamlib daemon",
        )
        self.rotator_form.add_text("name", "Rotator name", hint="stations may share one")
        self.rotator_form.add_text("address", "Address", "host:port, or /dev/ttyUSB0[@baud]")
        for key, label, unit in ROTATOR_LIMITS:
            self.rotator_form.add_number(key, label, unit, placeholder="device's")
        self.rotator_form.edited.connect(self.edited)
        rotator_column.addWidget(dimmed("Empty limits are asked of rotctld (or assumed 0..360° / 0..90°)."))
        rotator_column.addWidget(self.rotator_form)
        self.rotator_test = QPushButton("Test")
        self.rotator_test.setObjectName("test_rotator")
        self.rotator_test.setToolTip("Open the rotator and read its position")
        self.rotator_test.clicked.connect(self._test_rotator)
        self.rotator_result = QLabel()
        self.rotator_result.setObjectName("rotator_result")
        self.rotator_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.rotator_test)
        test_row.addWidget(self.rotator_result, 1)
        rotator_column.addLayout(test_row)
        self.form_column.addWidget(rotator_box)

        radio_box = QGroupBox("Radio")
        radio_column = QVBoxLayout(radio_box)
        self.radio_form = FieldForm()
        self.radio_form.add_choice(
            "driver", "Driver", [("", "none"), *((d, d) for d in RADIO_DRIVERS)], hint="hamlib: a rigctld rig"
        )
        self.radio_form.add_text("name", "Radio name", hint="stations may share one")
        self.radio_form.add_text("device", "Device", "hamlib: host:port; soapy: driver=rtlsdr")
        self.radio_form.add_number("downlink_hz", "Downlink", "Hz", placeholder="0")
        self.radio_form.add_number("uplink_hz", "Uplink", "Hz", placeholder="0")
        self.radio_form.edited.connect(self.edited)
        radio_column.addWidget(self.radio_form)
        self.rig_test = QPushButton("Test")
        self.rig_test.setObjectName("test_rig")
        self.rig_test.setToolTip("Open the rig (hamlib driver) and read its frequency")
        self.rig_test.clicked.connect(self._test_rig)
        self.rig_result = QLabel()
        self.rig_result.setObjectName("rig_result")
        self.rig_result.setWordWrap(True)
        rig_row = QHBoxLayout()
        rig_row.addWidget(self.rig_test)
        rig_row.addWidget(self.rig_result, 1)
        radio_column.addLayout(rig_row)
        self.form_column.addWidget(radio_box)
        tester.result.connect(self._tested)
        self.finish()

    # Loading ----------------------------------------------------------------------------------
    def load_entry(self, entry: StationSettings | None) -> None:
        self.mask_table.blockSignals(True)
        self.mask_table.setRowCount(0)
        for azimuth_deg, elevation_deg in entry.horizon_mask if entry is not None else ():
            self._append_mask_row(number_text(azimuth_deg), number_text(elevation_deg))
        self.mask_table.blockSignals(False)
        self.mask_error.hide()
        self.rotator_result.clear()
        self.rig_result.clear()
        self._rotator_name = self._radio_name = ""
        if entry is None:
            self.form.clear()
            self.rotator_form.clear()
            self.radio_form.clear()
            return
        self.form.load(entry)
        self._rotator_name, self._radio_name = entry.rotator, entry.radio
        rotator = next((r for r in self.rotators if r.name == entry.rotator), None)
        if rotator is None:
            self.rotator_form.clear()
        else:
            self.rotator_form.load(rotator)
        radio = next((r for r in self.radios if r.name == entry.radio), None)
        if radio is None:
            self.radio_form.clear()
        else:
            self.radio_form.load(radio)
        self._enable_device_fields()

    def _append_mask_row(self, azimuth: str, elevation: str) -> None:
        row = self.mask_table.rowCount()
        self.mask_table.insertRow(row)
        self.mask_table.setItem(row, 0, QTableWidgetItem(azimuth))
        self.mask_table.setItem(row, 1, QTableWidgetItem(elevation))

    def _enable_device_fields(self) -> None:
        for form in (self.rotator_form, self.radio_form):
            none = not form.values()["driver"]
            for key, editor in form.editors.items():
                if key != "driver":
                    editor.setEnabled(not none)
        self.rotator_test.setEnabled(bool(self.rotator_form.values()["driver"]))
        self.rig_test.setEnabled(self.radio_form.values()["driver"] == "hamlib")

    # Building ---------------------------------------------------------------------------------
    def mask_values(self) -> list[list[object]]:
        rows = []
        for row in range(self.mask_table.rowCount()):
            cells = [self.mask_table.item(row, column) for column in range(2)]
            texts = [cell.text() if cell is not None else "" for cell in cells]
            if any(text.strip() for text in texts):
                rows.append([number_value(text) if text.strip() else text for text in texts])
        return rows

    def build_entry(self) -> StationSettings | str:
        self._enable_device_fields()
        self.mask_error.hide()
        rotator = self._build_device(self.rotator_form, RotatorSettings, "rotator")
        radio = self._build_device(self.radio_form, RadioSettings, "radio")
        extra = {
            "horizon_mask": self.mask_values(),
            "rotator": rotator.name if isinstance(rotator, RotatorSettings) else "",
            "radio": radio.name if isinstance(radio, RadioSettings) else "",
        }
        station = self.form.build(StationSettings, extra)
        if isinstance(station, FieldError) and station.key == "horizon_mask":
            self.mask_error.setText(station.message)
            self.mask_error.show()
        for result in (station, rotator, radio):
            if isinstance(result, FieldError):
                return f"{result.key}: {result.message}"
        assert isinstance(station, StationSettings)
        row = self.current()
        others = [s for i, s in enumerate(self.entries) if i != row]
        if isinstance(rotator, RotatorSettings):
            shared = any(s.rotator == self._rotator_name for s in others)
            self.rotators = _put(self.rotators, rotator, self._rotator_name, shared)
            self._rotator_name = rotator.name
        if isinstance(radio, RadioSettings):
            shared = any(s.radio == self._radio_name for s in others)
            self.radios = _put(self.radios, radio, self._radio_name, shared)
            self._radio_name = radio.name
        return station

    def _build_device(
        self, form: FieldForm, cls: type[RotatorSettings] | type[RadioSettings], kind: str
    ) -> RotatorSettings | RadioSettings | FieldError | None:
        values = form.values()
        if not values["driver"]:
            form.show_error(None)
            return None
        if not values["name"]:  # a new device is named after its station
            station = self.form.values()["name"] or "station"
            form.editors["name"].setText(f"{station} {kind}")  # type: ignore[union-attr]
        return form.build(cls)

    # Horizon mask -----------------------------------------------------------------------------
    def _add_mask_point(self) -> None:
        self.mask_table.blockSignals(True)
        self._append_mask_row("", "")
        self.mask_table.blockSignals(False)
        self.mask_table.setCurrentCell(self.mask_table.rowCount() - 1, 0)

    def _remove_mask_point(self) -> None:
        row = self.mask_table.currentRow()
        if row >= 0:
            self.mask_table.removeRow(row)
            self.edited()

    def _import_mask(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Horizon mask: azimuth elevation per line")
        if path:
            self.import_mask(Path(path))

    def import_mask(self, path: Path) -> None:
        try:
            points = read_horizon_mask(path)
        except InputError as exc:
            self.mask_error.setText(str(exc))
            self.mask_error.show()
            return
        self.mask_table.blockSignals(True)
        self.mask_table.setRowCount(0)
        for azimuth_deg, elevation_deg in points:
            self._append_mask_row(number_text(azimuth_deg), number_text(elevation_deg))
        self.mask_table.blockSignals(False)
        self.edited()

    # Device tests -----------------------------------------------------------------------------
    def _test_rotator(self) -> None:
        rotator = self.rotator_form.build(RotatorSettings)
        if isinstance(rotator, RotatorSettings):
            self.rotator_result.setText(f"Opening {rotator.uri} …")
            self._tester.test_rotator(rotator.uri)

    def _test_rig(self) -> None:
        radio = self.radio_form.build(RadioSettings)
        if isinstance(radio, RadioSettings):
            uri = rig_uri(radio)
            if not uri:
                self.rig_result.setText("needs a hamlib radio with its rigctld address")
                return
            self.rig_result.setText(f"Opening {uri} …")
            self._tester.test_rig(uri)

    def _tested(self, kind: str, ok: bool, text: str) -> None:
        label = self.rotator_result if kind == "rotator" else self.rig_result
        label.setStyleSheet("" if ok else ERROR_STYLE)
        label.setText(text)


def _put(entries: list[_D], entry: _D, editing: str, shared: bool) -> list[_D]:
    """`entries` with `entry` in: in place of the one being edited (renaming it) unless other
    stations use that one too, else in place of its namesake, else added. A rename onto another
    entry's name leaves both, for the loader's duplicate check to refuse."""
    if editing and not shared and any(e.name == editing for e in entries):
        return [entry if e.name == editing else e for e in entries]
    if any(e.name == entry.name for e in entries):
        return [entry if e.name == entry.name else e for e in entries]
    return [*entries, entry]


def _new_station(existing: Sequence[StationSettings]) -> StationSettings:
    names = {s.name for s in existing}
    number = 1
    while f"Station {number}" in names:
        number += 1
    return StationSettings(f"Station {number}", 0.0, 0.0)
