"""Status bar: UTC and local time of the clock, the clock mode, the selected station."""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from ui.clock_controller import ClockController
from ui.selection import Selection


class StatusBar(QStatusBar):
    def __init__(
        self,
        clock: ClockController,
        selection: Selection,
        local_zone: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("status_bar")
        self._clock = clock
        self._local_zone = local_zone  # None: the system's zone
        self.utc = QLabel()
        self.local = QLabel()
        self.mode = QLabel()
        self.station = QLabel()
        for label, name in (
            (self.utc, "status_utc"), (self.local, "status_local"),
            (self.mode, "status_mode"), (self.station, "status_station"),
        ):  # fmt: skip
            label.setObjectName(name)
            self.addPermanentWidget(label)
        self._shown_second: datetime | None = None
        clock.tick.connect(self.show_time)
        clock.mode_changed.connect(self.show_mode)
        selection.station_changed.connect(self.show_station)
        self.show_mode()
        self.show_station(selection.station)

    def show_time(self, moment: datetime) -> None:
        second = moment.replace(microsecond=0)
        if second == self._shown_second:  # ticks come 20 times a second; redraw once a second
            return
        self._shown_second = second
        self.utc.setText(f"UTC {second:%Y-%m-%d %H:%M:%S}")
        local = second.astimezone(self._local_zone)
        self.local.setText(f"Local {local:%H:%M:%S} {local:%Z}")

    def show_mode(self) -> None:
        self.mode.setText(f"Clock: {self._clock.describe()}")
        self._shown_second = None
        self.show_time(self._clock.now())

    def show_station(self, name: str) -> None:
        self.station.setText(f"Station: {name or 'none'}")
