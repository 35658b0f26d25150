"""What the operator has selected (a node, a station), shared by every view."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Selection(QObject):
    node_changed = Signal(object)  # NORAD id (int) or None
    station_changed = Signal(str)  # station name, "" for none

    def __init__(self) -> None:
        super().__init__()
        self._node: int | None = None
        self._station = ""

    @property
    def node(self) -> int | None:
        return self._node

    @property
    def station(self) -> str:
        return self._station

    def select_node(self, norad_id: int | None) -> None:
        if norad_id != self._node:
            self._node = norad_id
            self.node_changed.emit(norad_id)

    def select_station(self, name: str) -> None:
        if name != self._station:
            self._station = name
            self.station_changed.emit(name)
