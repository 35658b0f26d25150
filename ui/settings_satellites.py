"""The settings dialog's Satellites page: each satellite's radio by catalog number (frequencies at
the satellite, measured offsets, receiver mode, linear transponder passband)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QWidget

from groundstation.app_settings import TRANSPONDERS, SatelliteSettings
from radios.rig import HAMLIB_MODES
from ui.settings_form import EntryListPage, FieldForm, dimmed

FREQUENCY_FIELDS = (
    ("downlink_hz", "Downlink", "at the satellite"),
    ("uplink_hz", "Uplink", "at the satellite"),
    ("downlink_offset_hz", "Downlink offset", "its transmitter off nominal"),
    ("uplink_offset_hz", "Uplink offset", "its receiver off nominal"),
)
PASSBAND_FIELDS = (
    ("transponder_downlink_low_hz", "Passband downlink low"),
    ("transponder_downlink_high_hz", "Passband downlink high"),
    ("transponder_uplink_low_hz", "Passband uplink low"),
    ("transponder_uplink_high_hz", "Passband uplink high"),
)


def satellite_label(satellite: SatelliteSettings) -> str:
    return f"{satellite.name} #{satellite.norad_id}" if satellite.name else f"#{satellite.norad_id}"


class SatellitesPage(EntryListPage[SatelliteSettings]):
    def __init__(
        self,
        satellites: Sequence[SatelliteSettings],
        suggested_norad_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(satellites, satellite_label, self._new_satellite, parent)
        self._suggested = suggested_norad_id
        self.form = FieldForm()
        self.form.add_number("norad_id", "Catalog number", "", "NORAD", whole=True)
        self.form.add_text("name", "Name")
        for key, label, hint in FREQUENCY_FIELDS:
            self.form.add_number(key, label, "Hz", hint, placeholder="0" if "offset" in key else "none")
        self.form.add_choice("mode", "Mode", [("", "rig's own"), *((m, m) for m in HAMLIB_MODES)])
        self.form.add_choice("transponder", "Transponder", [(t, t or "none") for t in TRANSPONDERS])
        for key, label in PASSBAND_FIELDS:
            self.form.add_number(key, label, "Hz", placeholder="none")
        self.form.edited.connect(self.edited)
        self.form_column.addWidget(
            dimmed(
                "With a transponder, Downlink is the spot in its passband (default the middle) and the "
                "uplink follows it. Offsets are what was measured: actual minus nominal."
            )
        )
        self.form_column.addWidget(self.form)
        self.finish()

    def _new_satellite(self, existing: Sequence[SatelliteSettings]) -> SatelliteSettings:
        taken = {s.norad_id for s in existing}
        norad_id = self._suggested if self._suggested is not None and self._suggested not in taken else 1
        while norad_id in taken:
            norad_id += 1
        return SatelliteSettings(norad_id)

    def load_entry(self, entry: SatelliteSettings | None) -> None:
        if entry is None:
            self.form.clear()
        else:
            self.form.load(entry)

    def build_entry(self) -> SatelliteSettings | str:
        result = self.form.build(SatelliteSettings)
        return result if isinstance(result, SatelliteSettings) else f"{result.key}: {result.message}"
