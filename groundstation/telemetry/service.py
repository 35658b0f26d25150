"""The receive path in one call: decode → archive (the acknowledgement) → alarms → fleet view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from groundstation.clock import Clock
from groundstation.telemetry.alarms import AlarmEvent, AlarmManager, AlarmStore
from groundstation.telemetry.archive import TelemetryArchive, WriteReceipt
from groundstation.telemetry.decoder import DecodeResult, TelemetryDecoder
from groundstation.telemetry.dictionary import TelemetryDictionary
from groundstation.telemetry.frames import TelemetryFrame
from groundstation.telemetry.health import FleetModel


@dataclass(frozen=True)
class Ingested:
    receipt: WriteReceipt
    decoded: DecodeResult
    alarm_events: tuple[AlarmEvent, ...]


class TelemetryService:
    """What a ground station runs on every batch of received frames (the simulator too)."""

    def __init__(self, dictionary: TelemetryDictionary, archive: TelemetryArchive, clock: Clock) -> None:
        self.dictionary = dictionary
        self.archive = archive
        self.decoder = TelemetryDecoder(dictionary)
        self.alarms = AlarmManager(dictionary, clock, AlarmStore(archive.db))
        self.fleet = FleetModel(dictionary, clock, self.alarms)
        self.fleet.restore(archive)
        for node, parameter, time in self.fleet.latest_times():  # staleness resumes after a restart
            self.alarms.note_heard(node, parameter, time)

    @classmethod
    def open(cls, dictionary: TelemetryDictionary, target: str | Path, clock: Clock) -> TelemetryService:
        return cls(dictionary, TelemetryArchive.open(target, clock), clock)

    def receive(self, frames: Sequence[TelemetryFrame]) -> Ingested:
        decoded = self.decoder.decode(frames)
        receipt = self.archive.write(decoded)  # durable before anyone acts on it
        return self.evaluate(receipt, decoded)

    def evaluate(self, receipt: WriteReceipt, decoded: DecodeResult) -> Ingested:
        """After storage: alarms, then the fleet view (and their listeners)."""
        events = self.alarms.process(decoded)
        self.fleet.update(decoded)
        return Ingested(receipt, decoded, tuple(events))

    def close(self) -> None:
        self.archive.close()
