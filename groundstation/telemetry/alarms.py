"""Limit alarms: raised when a parameter leaves its range, acknowledged and shelved by operators.

Anti-flapping rule (per parameter, from its `limits`): a severity is entered after `min_violations`
consecutive samples beyond the range, and left only once the value is back inside the range by
`hysteresis` engineering units. NaN is outside every range. An alarm stays open until it has both
returned to normal and been acknowledged; an escalation (warning → critical) needs a new
acknowledgement. Shelving hides an alarm from the fleet view until the shelf expires.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from groundstation.clock import Clock
from groundstation.storage import Database, from_us, to_us
from groundstation.telemetry import schema
from groundstation.telemetry.decoder import DecodeResult, ParameterColumn
from groundstation.telemetry.dictionary import LimitRanges, Limits, Parameter, TelemetryDictionary

log = logging.getLogger(__name__)


class Severity(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Severity:
        return cls[label.upper()]


class AlarmEventKind(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RETURNED = "returned"  # back within limits
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    CLOSED = "closed"  # returned and acknowledged: no longer shown


@dataclass(frozen=True)
class Alarm:
    id: int
    node: str
    parameter: str
    severity: Severity  # highest reached
    current_severity: Severity  # OK once back within limits
    triggered_at: datetime
    trigger_value: float
    last_value: float
    last_text: str | None
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    returned_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def shelved_at(self, now: datetime) -> bool:
        return self.shelved_until is not None and now < self.shelved_until


@dataclass(frozen=True)
class AlarmEvent:
    kind: AlarmEventKind
    alarm: Alarm
    time: datetime
    actor: str | None = None
    comment: str | None = None


AlarmListener = Callable[[AlarmEvent], None]


class AlarmError(LookupError):
    """An operator action on an alarm that does not exist or is closed."""


# --- limit checking -------------------------------------------------------------------------------


def _outside(value: float, bounds: tuple[float, float] | None, margin: float) -> bool:
    return bounds is not None and not (bounds[0] + margin <= value <= bounds[1] - margin)


def range_severity(value: float, ranges: LimitRanges, margin: float = 0.0) -> Severity:
    """Severity of `value` against `ranges` shrunk by `margin` on both sides (NaN: critical)."""
    if math.isnan(value):
        return Severity.CRITICAL
    if _outside(value, ranges.critical, margin):
        return Severity.CRITICAL
    if _outside(value, ranges.warning, margin):
        return Severity.WARNING
    return Severity.OK


def state_severity(text: str | None, limits: Limits) -> Severity:
    if text in limits.critical_states:
        return Severity.CRITICAL
    if text in limits.warning_states:
        return Severity.WARNING
    return Severity.OK


def _range_levels(eng: NDArray[np.float64], ranges: LimitRanges) -> NDArray[np.int8]:
    levels = np.zeros(eng.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        if ranges.warning is not None:
            levels[(eng < ranges.warning[0]) | (eng > ranges.warning[1])] = Severity.WARNING
        if ranges.critical is not None:
            levels[(eng < ranges.critical[0]) | (eng > ranges.critical[1])] = Severity.CRITICAL
    levels[np.isnan(eng)] = Severity.CRITICAL
    return levels


@dataclass
class _Tracker:
    """Anti-flapping state of one (node, parameter)."""

    level: Severity = Severity.OK
    pending: int = 0  # consecutive samples beyond the current level

    def step(self, raw_level: Severity, cleared_level: Severity, min_violations: int) -> Severity:
        """Feed one sample's severity (and its severity with hysteresis); returns the new level."""
        if raw_level > self.level:
            self.pending += 1
            if self.pending >= min_violations:
                self.level, self.pending = raw_level, 0
        else:
            self.pending = 0
            if cleared_level < self.level:
                self.level = cleared_level
        return self.level


# --- persistence ----------------------------------------------------------------------------------


class AlarmStore:
    """Alarms and their event trail in the archive database (tables tm_alarms, tm_alarm_events)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _row(alarm: Alarm) -> dict[str, object]:
        def us(moment: datetime | None) -> int | None:
            return None if moment is None else to_us(moment)

        return {
            "node": alarm.node,
            "parameter": alarm.parameter,
            "severity": alarm.severity.label,
            "current_severity": alarm.current_severity.label,
            "triggered_at_us": to_us(alarm.triggered_at),
            "trigger_value": None if math.isnan(alarm.trigger_value) else alarm.trigger_value,
            "last_value": None if math.isnan(alarm.last_value) else alarm.last_value,
            "last_text": alarm.last_text,
            "updated_at_us": to_us(alarm.updated_at),
            "acknowledged_at_us": us(alarm.acknowledged_at),
            "acknowledged_by": alarm.acknowledged_by,
            "shelved_until_us": us(alarm.shelved_until),
            "shelved_by": alarm.shelved_by,
            "returned_at_us": us(alarm.returned_at),
            "closed_at_us": us(alarm.closed_at),
        }

    @staticmethod
    def _alarm(row: sa.RowMapping) -> Alarm:
        def dt(value: int | None) -> datetime | None:
            return None if value is None else from_us(int(value))

        def num(value: float | None) -> float:
            return math.nan if value is None else float(value)

        return Alarm(
            id=int(row["id"]),
            node=str(row["node"]),
            parameter=str(row["parameter"]),
            severity=Severity.from_label(row["severity"]),
            current_severity=Severity.from_label(row["current_severity"]),
            triggered_at=from_us(int(row["triggered_at_us"])),
            trigger_value=num(row["trigger_value"]),
            last_value=num(row["last_value"]),
            last_text=row["last_text"],
            updated_at=from_us(int(row["updated_at_us"])),
            acknowledged_at=dt(row["acknowledged_at_us"]),
            acknowledged_by=row["acknowledged_by"],
            shelved_until=dt(row["shelved_until_us"]),
            shelved_by=row["shelved_by"],
            returned_at=dt(row["returned_at_us"]),
            closed_at=dt(row["closed_at_us"]),
        )

    def save(self, events: Iterable[AlarmEvent]) -> list[AlarmEvent]:
        """Insert new alarms (id 0) or update them, and append the events; returns events with ids."""
        a, e = schema.alarms, schema.alarm_events
        out: list[AlarmEvent] = []
        assigned: dict[int, int] = {}  # id() of a new alarm's first event chain -> database id
        with self.db.begin() as conn:
            for event in events:
                alarm = event.alarm
                if alarm.id <= 0:
                    key = -alarm.id
                    if key not in assigned:
                        result = conn.execute(a.insert().values(**self._row(alarm)).returning(a.c.id))
                        assigned[key] = int(result.scalar_one())
                    alarm = replace(alarm, id=assigned[key])
                conn.execute(a.update().where(a.c.id == alarm.id).values(**self._row(alarm)))
                value = alarm.last_value
                conn.execute(
                    e.insert().values(
                        alarm_id=alarm.id,
                        time_us=to_us(event.time),
                        kind=event.kind.value,
                        severity=alarm.current_severity.label,
                        value=None if math.isnan(value) else value,
                        actor=event.actor,
                        comment=event.comment,
                    )
                )
                out.append(replace(event, alarm=alarm))
        return out

    def open_alarms(self) -> list[Alarm]:
        a = schema.alarms
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(a).where(a.c.closed_at_us.is_(None)).order_by(a.c.id)).mappings()
            return [self._alarm(r) for r in rows]

    def history(self, node: str | None = None, limit: int = 1000) -> list[Alarm]:
        a = schema.alarms
        stmt = sa.select(a).order_by(a.c.triggered_at_us.desc(), a.c.id.desc()).limit(limit)
        if node is not None:
            stmt = stmt.where(a.c.node == node)
        with self.db.engine.connect() as conn:
            return [self._alarm(r) for r in conn.execute(stmt).mappings()]

    def events(self, alarm_id: int) -> list[tuple[datetime, str, str, str | None]]:
        """(time, kind, severity, actor) of one alarm, oldest first."""
        e = schema.alarm_events
        stmt = sa.select(e.c.time_us, e.c.kind, e.c.severity, e.c.actor).where(e.c.alarm_id == alarm_id)
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(e.c.time_us, e.c.id)).all()
        return [(from_us(int(t)), str(k), str(s), a) for t, k, s, a in rows]


# --- the manager ----------------------------------------------------------------------------------


class AlarmManager:
    """Checks decoded telemetry against the dictionary's limits and keeps the alarm list.

    `store` (optional) persists alarms and events; open alarms are reloaded from it at start.
    Listeners (`subscribe`) get every AlarmEvent, synchronously, after it is persisted.
    """

    def __init__(
        self, dictionary: TelemetryDictionary, clock: Clock, store: AlarmStore | None = None
    ) -> None:
        self.dictionary = dictionary
        self.clock = clock
        self.store = store
        self._listeners: list[AlarmListener] = []
        self._trackers: dict[tuple[str, str], _Tracker] = {}
        self._open: dict[tuple[str, str], Alarm] = {}
        self._next_temp_id = 0
        if store is not None:
            for alarm in store.open_alarms():
                self._open[(alarm.node, alarm.parameter)] = alarm
                self._trackers[(alarm.node, alarm.parameter)] = _Tracker(alarm.current_severity)

    # observers -----------------------------------------------------------------------------------
    def subscribe(self, listener: AlarmListener) -> Callable[[], None]:
        """Call `listener` with every AlarmEvent; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, events: list[AlarmEvent]) -> list[AlarmEvent]:
        if not events:
            return events
        if self.store is not None:
            events = self.store.save(events)
        for event in events:
            self._open[(event.alarm.node, event.alarm.parameter)] = event.alarm
            if not event.alarm.is_open:
                del self._open[(event.alarm.node, event.alarm.parameter)]
        for event in events:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # a broken view must not stop telemetry processing
                    log.exception("alarm listener %r failed", listener)
        return events

    # views ---------------------------------------------------------------------------------------
    def open_alarms(self, node: str | None = None) -> tuple[Alarm, ...]:
        alarms = (a for a in self._open.values() if node is None or a.node == node)
        return tuple(sorted(alarms, key=lambda a: (-a.current_severity, -a.severity, a.node, a.parameter)))

    def worst_severity(self, node: str, now: datetime | None = None) -> Severity:
        """Worst current severity among the node's unshelved open alarms."""
        now = now or self.clock.now()
        levels = [a.current_severity for a in self._open.values() if a.node == node and not a.shelved_at(now)]
        return max(levels, default=Severity.OK)

    def unacknowledged_count(self, node: str) -> int:
        return sum(1 for a in self._open.values() if a.node == node and not a.acknowledged)

    def alarm(self, alarm_id: int) -> Alarm:
        for alarm in self._open.values():
            if alarm.id == alarm_id:
                return alarm
        raise AlarmError(f"no open alarm #{alarm_id}")

    # processing ----------------------------------------------------------------------------------
    def process(self, decoded: DecodeResult) -> list[AlarmEvent]:
        """Check every sample of `decoded` (frames in order); returns (and emits) the events."""
        events: list[AlarmEvent] = self._expire_shelves()
        mode_name = self.dictionary.mode_parameter
        for batch in decoded.batches:
            nodes = np.array([f.node for f in batch.frames])
            modes: tuple[str, ...] | None = None
            if mode_name is not None and any(c.parameter.name == mode_name for c in batch.columns):
                modes = batch.column(mode_name).text
            for column in batch.columns:
                limits = column.parameter.limits
                if limits is None:
                    continue
                levels = self._levels(column, limits, modes)
                for node in np.unique(nodes).tolist():
                    rows = np.flatnonzero(nodes == node)
                    tracker = self._trackers.setdefault((node, column.parameter.name), _Tracker())
                    if tracker.level == Severity.OK and tracker.pending == 0 and not levels[rows].any():
                        continue  # the common case: all in limits, nothing open
                    for i in rows.tolist():
                        events.extend(
                            self._step(
                                node,
                                column,
                                i,
                                Severity(int(levels[i])),
                                tracker,
                                modes,
                                batch.frames[i].reception.time,
                            )
                        )
        return self._emit(events)

    def _levels(
        self, column: ParameterColumn, limits: Limits, modes: tuple[str, ...] | None
    ) -> NDArray[np.int8]:
        if column.text is not None:
            return np.array([state_severity(t, limits) for t in column.text], dtype=np.int8)
        if not limits.by_mode or modes is None:
            return _range_levels(column.eng, limits.ranges_for(None))
        levels = np.zeros(column.eng.shape, dtype=np.int8)
        mode_array = np.array(modes)
        for mode in set(modes):
            mask = mode_array == mode
            levels[mask] = _range_levels(column.eng[mask], limits.ranges_for(mode))
        return levels

    def _step(
        self,
        node: str,
        column: ParameterColumn,
        i: int,
        raw_level: Severity,
        tracker: _Tracker,
        modes: tuple[str, ...] | None,
        time: datetime,
    ) -> list[AlarmEvent]:
        prm: Parameter = column.parameter
        limits = prm.limits
        assert limits is not None
        value = float(column.eng[i])
        text = None if column.text is None else column.text[i]
        if column.text is not None:
            cleared = raw_level
        else:
            ranges = limits.ranges_for(None if modes is None else modes[i])
            cleared = range_severity(value, ranges, limits.hysteresis)
        before = tracker.level
        after = tracker.step(raw_level, max(cleared, raw_level), limits.min_violations)
        key = (node, prm.name)
        alarm = self._open.get(key)
        if after == before:
            if alarm is not None and after != Severity.OK:
                self._open[key] = replace(alarm, last_value=value, last_text=text, updated_at=time)
            return []
        if alarm is None or not alarm.is_open:
            self._next_temp_id -= 1
            alarm = Alarm(
                id=self._next_temp_id,
                node=node,
                parameter=prm.name,
                severity=after,
                current_severity=after,
                triggered_at=time,
                trigger_value=value,
                last_value=value,
                last_text=text,
                updated_at=time,
            )
            self._open[key] = alarm
            return [AlarmEvent(AlarmEventKind.RAISED, alarm, time)]
        events: list[AlarmEvent] = []
        if after == Severity.OK:
            alarm = replace(
                alarm,
                current_severity=after,
                last_value=value,
                last_text=text,
                updated_at=time,
                returned_at=time,
            )
            events.append(AlarmEvent(AlarmEventKind.RETURNED, alarm, time))
            if alarm.acknowledged:
                alarm = replace(alarm, closed_at=time)
                events.append(AlarmEvent(AlarmEventKind.CLOSED, alarm, time))
        elif after > before:
            # A new violation (after a return) or an escalation: it needs a fresh acknowledgement.
            kind = AlarmEventKind.RAISED if before == Severity.OK else AlarmEventKind.ESCALATED
            if after > alarm.severity or before == Severity.OK:
                alarm = replace(alarm, acknowledged_at=None, acknowledged_by=None)
            alarm = replace(
                alarm,
                severity=max(alarm.severity, after),
                current_severity=after,
                last_value=value,
                last_text=text,
                updated_at=time,
                returned_at=None,
            )
            events.append(AlarmEvent(kind, alarm, time))
        else:
            alarm = replace(alarm, current_severity=after, last_value=value, last_text=text, updated_at=time)
            events.append(AlarmEvent(AlarmEventKind.DEESCALATED, alarm, time))
        self._open[key] = alarm
        return events

    # operator actions ----------------------------------------------------------------------------
    def acknowledge(self, alarm_id: int, by: str, comment: str | None = None) -> Alarm:
        now = self.clock.now()
        alarm = self.alarm(alarm_id)
        alarm = replace(alarm, acknowledged_at=now, acknowledged_by=by)
        events = [AlarmEvent(AlarmEventKind.ACKNOWLEDGED, alarm, now, by, comment)]
        if alarm.current_severity == Severity.OK:
            alarm = replace(alarm, closed_at=now)
            events.append(AlarmEvent(AlarmEventKind.CLOSED, alarm, now, by))
        return self._emit(events)[-1].alarm

    def shelve(self, alarm_id: int, duration_s: float, by: str, comment: str | None = None) -> Alarm:
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"shelve duration must be > 0 s, got {duration_s}")
        now = self.clock.now()
        alarm = replace(
            self.alarm(alarm_id), shelved_until=now + timedelta(seconds=duration_s), shelved_by=by
        )
        return self._emit([AlarmEvent(AlarmEventKind.SHELVED, alarm, now, by, comment)])[-1].alarm

    def unshelve(self, alarm_id: int, by: str) -> Alarm:
        now = self.clock.now()
        alarm = replace(self.alarm(alarm_id), shelved_until=None, shelved_by=None)
        return self._emit([AlarmEvent(AlarmEventKind.UNSHELVED, alarm, now, by)])[-1].alarm

    def _expire_shelves(self) -> list[AlarmEvent]:
        now = self.clock.now()
        events = []
        for key, alarm in list(self._open.items()):
            if alarm.shelved_until is not None and now >= alarm.shelved_until:
                alarm = replace(alarm, shelved_until=None, shelved_by=None)
                self._open[key] = alarm
                events.append(AlarmEvent(AlarmEventKind.UNSHELVED, alarm, now, "expiry"))
        return events

    def tick(self) -> list[AlarmEvent]:
        """Expire shelves that ran out (call periodically; `process` does it too)."""
        return self._emit(self._expire_shelves())
