"""Per-node health summaries and the fleet view: one row per node, worst alarm first."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from groundstation.clock import Clock
from groundstation.storage import from_us
from groundstation.telemetry.alarms import AlarmEvent, AlarmManager, Severity
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.decoder import DecodeResult
from groundstation.telemetry.dictionary import TelemetryDictionary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatestValue:
    time: datetime
    eng: float
    text: str | None


@dataclass(frozen=True)
class NodeHealth:
    """What an operator needs to know about one node at `at`. None: never received."""

    node: str
    at: datetime
    last_contact: datetime | None
    last_station: str | None
    last_snr_db: float | None
    next_pass: datetime | None  # fed by the caller (the tracking engine's pass predictions)
    battery_voltage_v: float | None
    battery_soc_pct: float | None
    temperatures_c: tuple[tuple[str, float], ...]
    mode: str | None
    uptime_s: float | None
    storage_used_kib: float | None
    commands_accepted: int | None
    commands_rejected: int | None
    roster_epoch: int | None
    last_accepted_sequence: int | None
    last_rejection_reason: str | None
    link_quality: float | None  # the dictionary's link_quality parameter (demo: uplink RSSI, dBm)
    silent_s: float | None  # seconds since the last frame
    stale: bool  # silent for longer than stale_after_periods × the packet's expected period
    stale_parameters: tuple[str, ...]
    worst_alarm: Severity
    open_alarms: int
    unacknowledged_alarms: int

    @property
    def max_temperature_c(self) -> float | None:
        return max((t for _, t in self.temperatures_c), default=None)


@dataclass(frozen=True)
class FleetRow:
    """One line of the fleet view."""

    node: str
    worst_alarm: Severity
    stale: bool
    mode: str | None
    battery_soc_pct: float | None
    battery_voltage_v: float | None
    max_temperature_c: float | None
    link_quality: float | None
    last_contact: datetime | None
    silent_s: float | None
    next_pass: datetime | None
    open_alarms: int
    unacknowledged_alarms: int


@dataclass(frozen=True)
class HealthChanged:
    """Event: these nodes' health changed (new telemetry, alarm, next pass)."""

    nodes: tuple[str, ...]
    time: datetime


HealthListener = Callable[[HealthChanged], None]


class FleetModel:
    """Keeps the latest value of every parameter per node; builds NodeHealth and the fleet rows.

    Feed it with `update(decoded)` after the archive has stored the frames; it follows the alarm
    manager's events. Listeners get a HealthChanged per update (no Qt here: plain callbacks).
    """

    def __init__(
        self, dictionary: TelemetryDictionary, clock: Clock, alarms: AlarmManager | None = None
    ) -> None:
        self.dictionary = dictionary
        self.clock = clock
        self.alarms = alarms
        self._latest: dict[str, dict[str, LatestValue]] = {}
        self._contact: dict[str, tuple[datetime, str, float | None]] = {}
        self._next_pass: dict[str, datetime | None] = {}
        self._listeners: list[HealthListener] = []
        if alarms is not None:
            alarms.subscribe(self._on_alarm)

    def subscribe(self, listener: HealthListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, nodes: set[str]) -> None:
        if not nodes:
            return
        event = HealthChanged(tuple(sorted(nodes)), self.clock.now())
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("health listener %r failed", listener)

    def _on_alarm(self, event: AlarmEvent) -> None:
        self._emit({event.alarm.node})

    def restore(self, archive: TelemetryArchive) -> None:
        """Reload the latest values and contacts from the archive (after a restart)."""
        for sample in archive.latest_samples():
            latest = self._latest.setdefault(sample.node, {})
            held = latest.get(sample.parameter)
            if held is None or held.time <= sample.time:
                latest[sample.parameter] = LatestValue(sample.time, sample.eng, sample.text)
        for contact in archive.last_contacts():
            self._note_contact(contact.node, contact.time, contact.station, contact.snr_db)
        self._emit(set(self._latest))

    def latest_times(self) -> list[tuple[str, str, datetime]]:
        """(node, parameter, time of its newest value) of everything held."""
        return [(node, name, v.time) for node, held in self._latest.items() for name, v in held.items()]

    def add_node(self, node: str) -> None:
        """Show a node before it was ever heard (e.g. every node of the constellation)."""
        self._latest.setdefault(node, {})

    def set_next_pass(self, node: str, when: datetime | None) -> None:
        self.add_node(node)
        self._next_pass[node] = when
        self._emit({node})

    def update(self, decoded: DecodeResult) -> None:
        changed: set[str] = set()
        for batch in decoded.batches:
            nodes = np.array([f.node for f in batch.frames])
            for node in np.unique(nodes).tolist():
                rows = np.flatnonzero(nodes == node)
                last = int(rows[np.argmax(batch.time_us[rows])])
                frame = batch.frames[last]
                at = frame.reception.time
                latest = self._latest.setdefault(node, {})
                for column in batch.columns:
                    name = column.parameter.name
                    held = latest.get(name)
                    if held is None or held.time <= at:
                        text = None if column.text is None else column.text[last]
                        latest[name] = LatestValue(at, float(column.eng[last]), text)
                changed.add(node)
        for frame in (f for b in decoded.batches for f in b.frames):
            self._note_contact(
                frame.node, frame.reception.time, frame.reception.station, frame.reception.snr_db
            )
        for rejected in decoded.rejected:
            f = rejected.frame
            self._note_contact(f.node, f.reception.time, f.reception.station, f.reception.snr_db)
            changed.add(f.node)
        self._emit(changed)

    def _note_contact(self, node: str, at: datetime, station: str, snr_db: float | None) -> None:
        held = self._contact.get(node)
        if held is None or held[0] <= at:
            self._contact[node] = (at, station, snr_db)

    def nodes(self) -> list[str]:
        return sorted(set(self._latest) | set(self._contact))

    def health(self, node: str, now: datetime | None = None) -> NodeHealth:
        now = now or self.clock.now()
        roles = self.dictionary.health
        latest = self._latest.get(node, {})

        def eng(name: str | None) -> float | None:
            held = latest.get(name) if name else None
            return None if held is None else held.eng

        def count(name: str | None) -> int | None:
            value = eng(name)
            return None if value is None else int(value)

        def text(name: str | None) -> str | None:
            held = latest.get(name) if name else None
            return None if held is None else held.text

        contact = self._contact.get(node)
        silent_s = None if contact is None else (now - contact[0]).total_seconds()
        stale_parameters = []
        for prm in self.dictionary.parameters:
            held = latest.get(prm.name)
            limit_s = self.dictionary.stale_after_periods * prm.expected_period_s
            if math.isinf(limit_s):  # a sporadic packet's parameter: silence is normal
                continue
            if held is None or (now - held.time).total_seconds() > limit_s:
                stale_parameters.append(prm.name)
        fastest_s = min(p.expected_period_s for p in self.dictionary.packets)
        stale = silent_s is None or silent_s > self.dictionary.stale_after_periods * fastest_s
        alarms = self.alarms
        return NodeHealth(
            node=node,
            at=now,
            last_contact=None if contact is None else contact[0],
            last_station=None if contact is None else contact[1],
            last_snr_db=None if contact is None else contact[2],
            next_pass=self._next_pass.get(node),
            battery_voltage_v=eng(roles.battery_voltage),
            battery_soc_pct=eng(roles.battery_soc),
            temperatures_c=tuple((n, v) for n in roles.temperatures if (v := eng(n)) is not None),
            mode=text(roles.mode),
            uptime_s=eng(roles.uptime),
            storage_used_kib=eng(roles.storage_used),
            commands_accepted=count(roles.commands_accepted),
            commands_rejected=count(roles.commands_rejected),
            roster_epoch=count(roles.roster_epoch),
            last_accepted_sequence=count(roles.last_accepted_sequence),
            last_rejection_reason=text(roles.last_rejection_reason),
            link_quality=eng(roles.link_quality),
            silent_s=silent_s,
            stale=stale,
            stale_parameters=tuple(stale_parameters),
            worst_alarm=Severity.OK if alarms is None else alarms.worst_severity(node, now),
            open_alarms=0 if alarms is None else len(alarms.open_alarms(node)),
            unacknowledged_alarms=0 if alarms is None else alarms.unacknowledged_count(node),
        )

    def rows(self, now: datetime | None = None) -> tuple[FleetRow, ...]:
        """The fleet view: worst alarm first, then stale nodes, then by name."""
        now = now or self.clock.now()
        rows = []
        for node in self.nodes():
            h = self.health(node, now)
            rows.append(
                FleetRow(
                    node=node,
                    worst_alarm=h.worst_alarm,
                    stale=h.stale,
                    mode=h.mode,
                    battery_soc_pct=h.battery_soc_pct,
                    battery_voltage_v=h.battery_voltage_v,
                    max_temperature_c=h.max_temperature_c,
                    link_quality=h.link_quality,
                    last_contact=h.last_contact,
                    silent_s=h.silent_s,
                    next_pass=h.next_pass,
                    open_alarms=h.open_alarms,
                    unacknowledged_alarms=h.unacknowledged_alarms,
                )
            )
        return tuple(sorted(rows, key=lambda r: (-r.worst_alarm, not r.stale, r.node)))


__all__ = ["FleetModel", "FleetRow", "HealthChanged", "LatestValue", "NodeHealth", "from_us"]
