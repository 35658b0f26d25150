"""Limit alarms: raised when a parameter leaves its range, acknowledged and shelved by operators.

Anti-flapping rule (per parameter, from its `limits`): a severity is entered after `min_violations`
consecutive samples beyond the range, and left only once the value is back inside the range by
`hysteresis` engineering units. NaN is outside every range. An alarm stays open until it has both
returned to normal and been acknowledged; an escalation (warning → critical) needs a new
acknowledgement. Shelving hides an alarm from the fleet view until the shelf expires.

Besides limit alarms (kind `limit`), the manager raises:
- `stale`: a node's periodic packet has not been heard for `stale_after_periods` times the
  shortest expected period of its parameters (the first moment the fleet model calls one of them
  stale), checked against the injected clock on every `process` and `tick`; it returns when the
  packet is heard again. One alarm per (node, packet), named after the packet; only for nodes
  heard at least once (a node never heard has nothing to be late with).
- `command`: a node refused a governance packet (its report's reason code; see
  `command_rejected`), linked to the command's id. Nothing "returns" it: acknowledging closes it.

Every transition is appended to the alarm's event trail (tm_alarm_events): the history that
`AlarmStore.history_events` queries and `export_history_csv` exports. Nothing is written for a
sample that changes no alarm state, so ingest pays only on transitions.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import TextIO

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from groundstation.clock import Clock
from groundstation.storage import Database, from_us, to_us
from groundstation.telemetry import schema
from groundstation.telemetry.decoder import DecodeResult, ParameterColumn
from groundstation.telemetry.dictionary import LimitRanges, Limits, Parameter, TelemetryDictionary

COMMAND_REJECTED = "command_rejected"  # the `parameter` of command alarms
# Refusals that point at a forged, replayed or wrongly signed packet (or a key problem): critical.
SECURITY_REASONS = frozenset(
    {
        "bad_signature",
        "replay",
        "unknown_signer",
        "revoked_signer",
        "duplicate_signer",
        "below_quorum",
        "algorithm_mismatch",
    }
)
OPERATOR_EVENT_KINDS = frozenset({"acknowledged", "shelved", "unshelved", "closed"})

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


class AlarmKind(StrEnum):
    LIMIT = "limit"  # a parameter out of its limits
    STALE = "stale"  # a periodic packet not heard in time
    COMMAND = "command"  # a node refused a governance packet


AlarmKey = tuple[AlarmKind, str, str, int | None]  # (kind, node, parameter, command id)


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
    kind: AlarmKind = AlarmKind.LIMIT
    command_id: int | None = None
    detail: str | None = None

    @property
    def key(self) -> AlarmKey:
        return (self.kind, self.node, self.parameter, self.command_id)

    @property
    def label(self) -> str:
        """What the alarm is about, for one-line summaries."""
        if self.kind == AlarmKind.STALE:
            return f"stale {self.parameter}"
        if self.kind == AlarmKind.COMMAND:
            return f"{self.parameter} #{self.command_id}"
        return self.parameter

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


@dataclass(frozen=True)
class AlarmHistoryEntry:
    """One transition of one alarm, as kept in the archive (the alarm history)."""

    event_id: int
    alarm_id: int
    time: datetime
    node: str
    parameter: str
    alarm_kind: AlarmKind
    kind: AlarmEventKind
    severity: Severity  # the alarm's current severity after this transition
    value: float  # NaN: none (or a NaN sample)
    actor: str | None
    comment: str | None
    shelved_until: datetime | None
    command_id: int | None
    detail: str | None


HISTORY_CSV_COLUMNS = (
    "time_utc",
    "alarm_id",
    "node",
    "parameter",
    "alarm_kind",
    "event",
    "severity",
    "value",
    "actor",
    "comment",
    "shelved_until_utc",
    "command_id",
    "detail",
)


class AlarmError(LookupError):
    """An operator action on an alarm that does not exist or is closed."""


# --- operator actions as pure transitions (shared by the manager and the CLI) ----------------------


def acknowledge_events(alarm: Alarm, now: datetime, by: str, comment: str | None = None) -> list[AlarmEvent]:
    """Acknowledge `alarm`: closed as well when it is back to normal (a command alarm always is)."""
    if alarm.kind == AlarmKind.COMMAND and alarm.current_severity != Severity.OK:
        alarm = replace(alarm, current_severity=Severity.OK, returned_at=now)
    alarm = replace(alarm, acknowledged_at=now, acknowledged_by=by, updated_at=now)
    events = [AlarmEvent(AlarmEventKind.ACKNOWLEDGED, alarm, now, by, comment)]
    if alarm.current_severity == Severity.OK:
        alarm = replace(alarm, closed_at=now)
        events.append(AlarmEvent(AlarmEventKind.CLOSED, alarm, now, by))
    return events


def shelve_events(
    alarm: Alarm, now: datetime, duration_s: float, by: str, comment: str | None = None
) -> list[AlarmEvent]:
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ValueError(f"shelve duration must be > 0 s, got {duration_s}")
    alarm = replace(alarm, shelved_until=now + timedelta(seconds=duration_s), shelved_by=by, updated_at=now)
    return [AlarmEvent(AlarmEventKind.SHELVED, alarm, now, by, comment)]


def unshelve_events(alarm: Alarm, now: datetime, by: str) -> list[AlarmEvent]:
    alarm = replace(alarm, shelved_until=None, shelved_by=None, updated_at=now)
    return [AlarmEvent(AlarmEventKind.UNSHELVED, alarm, now, by)]


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
        self.last_event_ids: tuple[int, ...] = ()  # event rows written by the last `save`

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
            "kind": alarm.kind.value,
            "command_id": alarm.command_id,
            "detail": alarm.detail,
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
            kind=AlarmKind(row["kind"]),
            command_id=None if row["command_id"] is None else int(row["command_id"]),
            detail=row["detail"],
        )

    def save(self, events: Iterable[AlarmEvent]) -> list[AlarmEvent]:
        """Insert new alarms (id <= 0) or update them, and append the events; returns events with
        the alarms' ids (and, in `last_event_ids`, the ids of the event rows written)."""
        a, e = schema.alarms, schema.alarm_events
        out: list[AlarmEvent] = []
        written: list[int] = []
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
                shelf = alarm.shelved_until if event.kind == AlarmEventKind.SHELVED else None
                result = conn.execute(
                    e.insert()
                    .values(
                        alarm_id=alarm.id,
                        time_us=to_us(event.time),
                        kind=event.kind.value,
                        severity=alarm.current_severity.label,
                        value=None if math.isnan(value) else value,
                        actor=event.actor,
                        comment=event.comment,
                        shelved_until_us=None if shelf is None else to_us(shelf),
                    )
                    .returning(e.c.id)
                )
                written.append(int(result.scalar_one()))
                out.append(replace(event, alarm=alarm))
        self.last_event_ids = tuple(written)
        return out

    def get(self, alarm_id: int) -> Alarm:
        a = schema.alarms
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(a).where(a.c.id == alarm_id)).mappings().first()
        if row is None:
            raise AlarmError(f"no alarm #{alarm_id}")
        return self._alarm(row)

    def alarms(
        self,
        node: str | None = None,
        parameter: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        active: bool = False,
    ) -> list[Alarm]:
        """Alarms whose life overlaps [since, until) (open ones: up to now), newest first;
        `active`: only the open ones."""
        a = schema.alarms
        stmt = sa.select(a).order_by(a.c.triggered_at_us.desc(), a.c.id.desc())
        if node is not None:
            stmt = stmt.where(a.c.node == node)
        if parameter is not None:
            stmt = stmt.where(a.c.parameter == parameter)
        if active:
            stmt = stmt.where(a.c.closed_at_us.is_(None))
        if since is not None:
            stmt = stmt.where(sa.or_(a.c.closed_at_us.is_(None), a.c.closed_at_us >= to_us(since)))
        if until is not None:
            stmt = stmt.where(a.c.triggered_at_us < to_us(until))
        with self.db.engine.connect() as conn:
            return [self._alarm(r) for r in conn.execute(stmt).mappings()]

    def history_events(
        self,
        node: str | None = None,
        parameter: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        alarm_id: int | None = None,
    ) -> list[AlarmHistoryEntry]:
        """Every alarm transition in [since, until), oldest first (ties in the order written)."""
        a, e = schema.alarms, schema.alarm_events
        stmt = (
            sa.select(
                e.c.id,
                e.c.alarm_id,
                e.c.time_us,
                a.c.node,
                a.c.parameter,
                a.c.kind.label("alarm_kind"),
                e.c.kind,
                e.c.severity,
                e.c.value,
                e.c.actor,
                e.c.comment,
                e.c.shelved_until_us,
                a.c.command_id,
                a.c.detail,
            )
            .join(a, a.c.id == e.c.alarm_id)
            .order_by(e.c.time_us, e.c.id)
        )
        if node is not None:
            stmt = stmt.where(a.c.node == node)
        if parameter is not None:
            stmt = stmt.where(a.c.parameter == parameter)
        if alarm_id is not None:
            stmt = stmt.where(e.c.alarm_id == alarm_id)
        if since is not None:
            stmt = stmt.where(e.c.time_us >= to_us(since))
        if until is not None:
            stmt = stmt.where(e.c.time_us < to_us(until))
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            AlarmHistoryEntry(
                event_id=int(r["id"]),
                alarm_id=int(r["alarm_id"]),
                time=from_us(int(r["time_us"])),
                node=str(r["node"]),
                parameter=str(r["parameter"]),
                alarm_kind=AlarmKind(r["alarm_kind"]),
                kind=AlarmEventKind(r["kind"]),
                severity=Severity.from_label(r["severity"]),
                value=math.nan if r["value"] is None else float(r["value"]),
                actor=r["actor"],
                comment=r["comment"],
                shelved_until=None if r["shelved_until_us"] is None else from_us(int(r["shelved_until_us"])),
                command_id=None if r["command_id"] is None else int(r["command_id"]),
                detail=r["detail"],
            )
            for r in rows
        ]

    def export_history_csv(self, out: TextIO, **filters: object) -> int:
        """The alarm history as CSV (HISTORY_CSV_COLUMNS); returns the rows written."""
        entries = self.history_events(**filters)  # type: ignore[arg-type]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HISTORY_CSV_COLUMNS)
        for h in entries:
            writer.writerow(
                [
                    h.time.isoformat(),
                    h.alarm_id,
                    h.node,
                    h.parameter,
                    h.alarm_kind.value,
                    h.kind.value,
                    h.severity.label,
                    "" if math.isnan(h.value) else repr(h.value),
                    h.actor or "",
                    h.comment or "",
                    "" if h.shelved_until is None else h.shelved_until.isoformat(),
                    "" if h.command_id is None else h.command_id,
                    h.detail or "",
                ]
            )
        return len(entries)

    def external_events(
        self, after_id: int
    ) -> list[tuple[int, int, str, datetime, str | None, datetime | None]]:
        """(event id, alarm id, kind, time, actor, shelved until) of operator events after `after_id`."""
        e = schema.alarm_events
        stmt = (
            sa.select(e.c.id, e.c.alarm_id, e.c.kind, e.c.time_us, e.c.actor, e.c.shelved_until_us)
            .where(e.c.id > after_id, e.c.kind.in_(sorted(OPERATOR_EVENT_KINDS)))
            .order_by(e.c.id)
        )
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            (int(i), int(a), str(k), from_us(int(t)), actor, None if s is None else from_us(int(s)))
            for i, a, k, t, actor, s in rows
        ]

    def last_event_id(self) -> int:
        e = schema.alarm_events
        with self.db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(e.c.id), 0))).scalar_one())

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

    `store` (optional) persists alarms and events; open alarms are reloaded from it at start, and
    acknowledgements and shelves written to it by another process (`groundstation alarms ack`)
    are picked up on every `process` and `tick`.
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
        self._open: dict[AlarmKey, Alarm] = {}
        self._next_temp_id = 0
        self._packet_of = {p.name: packet.name for packet in dictionary.packets for p in packet.parameters}
        # Staleness window per periodic packet: the first of its parameters the fleet model calls stale.
        self._stale_after_s: dict[str, float] = {}
        for packet in dictionary.packets:
            period_s = min((prm.expected_period_s for prm in packet.parameters), default=math.inf)
            if math.isfinite(period_s):
                self._stale_after_s[packet.name] = dictionary.stale_after_periods * period_s
        self._heard: dict[tuple[str, str], datetime] = {}  # (node, packet) -> newest reception
        self._seen_event_id = 0
        self._own_event_ids: set[int] = set()
        if store is not None:
            self._seen_event_id = store.last_event_id()
            for alarm in store.open_alarms():
                self._open[alarm.key] = alarm
                if alarm.kind == AlarmKind.LIMIT:
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
            self._own_event_ids.update(
                i
                for i, e in zip(self.store.last_event_ids, events, strict=True)
                if e.kind in OPERATOR_EVENT_KINDS
            )
        for event in events:
            self._open[event.alarm.key] = event.alarm
            if not event.alarm.is_open:
                del self._open[event.alarm.key]
        self._publish(events)
        return events

    def _publish(self, events: list[AlarmEvent]) -> None:
        for event in events:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # a broken view must not stop telemetry processing
                    log.exception("alarm listener %r failed", listener)

    # views ---------------------------------------------------------------------------------------
    def open_alarms(self, node: str | None = None) -> tuple[Alarm, ...]:
        alarms = (a for a in self._open.values() if node is None or a.node == node)
        return tuple(
            sorted(alarms, key=lambda a: (-a.current_severity, -a.severity, a.node, a.parameter, a.id))
        )

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

    def _new_alarm(
        self,
        kind: AlarmKind,
        node: str,
        parameter: str,
        severity: Severity,
        time: datetime,
        value: float,
        text: str | None = None,
        command_id: int | None = None,
        detail: str | None = None,
    ) -> Alarm:
        self._next_temp_id -= 1
        return Alarm(
            id=self._next_temp_id,
            node=node,
            parameter=parameter,
            severity=severity,
            current_severity=severity,
            triggered_at=time,
            trigger_value=value,
            last_value=value,
            last_text=text,
            updated_at=time,
            kind=kind,
            command_id=command_id,
            detail=detail,
        )

    # processing ----------------------------------------------------------------------------------
    def process(self, decoded: DecodeResult) -> list[AlarmEvent]:
        """Check every sample of `decoded` (frames in order), then staleness; returns (and emits) the
        events."""
        self.sync()
        events: list[AlarmEvent] = self._expire_shelves()
        mode_name = self.dictionary.mode_parameter
        for batch in decoded.batches:
            nodes = np.array([f.node for f in batch.frames])
            modes: tuple[str, ...] | None = None
            if mode_name is not None and any(c.parameter.name == mode_name for c in batch.columns):
                modes = batch.column(mode_name).text
            unique_nodes = np.unique(nodes).tolist()
            for node in unique_nodes:
                rows = np.flatnonzero(nodes == node)
                newest = batch.frames[int(rows[np.argmax(batch.time_us[rows])])].reception.time
                events.extend(self._heard_packet(node, batch.packet.name, newest))
            for column in batch.columns:
                limits = column.parameter.limits
                if limits is None:
                    continue
                levels = self._levels(column, limits, modes)
                for node in unique_nodes:
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
        events.extend(self._check_stale(self.clock.now()))
        return self._emit(events)

    # staleness -----------------------------------------------------------------------------------
    def note_heard(self, node: str, parameter: str, time: datetime) -> None:
        """Seed when a parameter was last heard (a restart: the archive's latest samples)."""
        packet = self._packet_of.get(parameter)
        if packet is None:
            return
        held = self._heard.get((node, packet))
        if held is None or held < time:
            self._heard[(node, packet)] = time

    def _heard_packet(self, node: str, packet: str, time: datetime) -> list[AlarmEvent]:
        held = self._heard.get((node, packet))
        if held is None or held < time:
            self._heard[(node, packet)] = time
        alarm = self._open.get((AlarmKind.STALE, node, packet, None))
        if alarm is None or alarm.current_severity == Severity.OK:
            return []
        silent_s = math.nan if held is None else (time - held).total_seconds()  # the whole silence
        alarm = replace(
            alarm,
            current_severity=Severity.OK,
            last_value=silent_s,
            updated_at=time,
            returned_at=time,
        )
        events = [AlarmEvent(AlarmEventKind.RETURNED, alarm, time)]
        if alarm.acknowledged:
            alarm = replace(alarm, closed_at=time)
            events.append(AlarmEvent(AlarmEventKind.CLOSED, alarm, time))
        self._open[alarm.key] = alarm
        return events

    def _check_stale(self, now: datetime) -> list[AlarmEvent]:
        events: list[AlarmEvent] = []
        for (node, packet), last in self._heard.items():
            limit_s = self._stale_after_s.get(packet)
            if limit_s is None:
                continue
            silent_s = (now - last).total_seconds()
            if silent_s <= limit_s:
                continue
            key: AlarmKey = (AlarmKind.STALE, node, packet, None)
            alarm = self._open.get(key)
            if alarm is not None and alarm.current_severity != Severity.OK:
                continue
            detail = f"{packet} not heard for {silent_s:.0f} s (stale after {limit_s:.0f} s)"
            if alarm is None:
                alarm = self._new_alarm(
                    AlarmKind.STALE, node, packet, Severity.WARNING, now, silent_s, detail=detail
                )
            else:  # returned but not yet acknowledged: the same alarm again, needing a new ack
                alarm = replace(
                    alarm,
                    current_severity=Severity.WARNING,
                    last_value=silent_s,
                    updated_at=now,
                    returned_at=None,
                    acknowledged_at=None,
                    acknowledged_by=None,
                    detail=detail,
                )
            self._open[key] = alarm
            events.append(AlarmEvent(AlarmEventKind.RAISED, alarm, now))
        return events

    # governance refusals ---------------------------------------------------------------------------
    def command_rejected(
        self, node: str, command_id: int | None, reason: str, time: datetime, summary: str = ""
    ) -> Alarm:
        """A node refused a governance packet (its telemetry's reason code): one alarm per command,
        critical when the reason points at forgery, replay or keys (SECURITY_REASONS)."""
        severity = Severity.CRITICAL if reason in SECURITY_REASONS else Severity.WARNING
        what = f"command #{command_id}" if command_id is not None else "a packet the ground did not send"
        detail = f"{what} rejected: {reason}" + (f" ({summary})" if summary else "")
        alarm = self._new_alarm(
            AlarmKind.COMMAND,
            node,
            COMMAND_REJECTED,
            severity,
            time,
            math.nan,
            text=reason,
            command_id=command_id,
            detail=detail[:256],
        )
        return self._emit([AlarmEvent(AlarmEventKind.RAISED, alarm, time)])[-1].alarm

    # limits --------------------------------------------------------------------------------------
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
        key: AlarmKey = (AlarmKind.LIMIT, node, prm.name, None)
        alarm = self._open.get(key)
        if after == before:
            if alarm is not None and after != Severity.OK:
                self._open[key] = replace(alarm, last_value=value, last_text=text, updated_at=time)
            return []
        if alarm is None or not alarm.is_open:
            alarm = self._new_alarm(AlarmKind.LIMIT, node, prm.name, after, time, value, text)
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
        self.sync()
        return self._emit(acknowledge_events(self.alarm(alarm_id), self.clock.now(), by, comment))[-1].alarm

    def shelve(self, alarm_id: int, duration_s: float, by: str, comment: str | None = None) -> Alarm:
        self.sync()
        events = shelve_events(self.alarm(alarm_id), self.clock.now(), duration_s, by, comment)
        return self._emit(events)[-1].alarm

    def unshelve(self, alarm_id: int, by: str) -> Alarm:
        self.sync()
        return self._emit(unshelve_events(self.alarm(alarm_id), self.clock.now(), by))[-1].alarm

    def _expire_shelves(self) -> list[AlarmEvent]:
        now = self.clock.now()
        events = []
        for key, alarm in list(self._open.items()):
            if alarm.shelved_until is not None and now >= alarm.shelved_until:
                alarm = replace(alarm, shelved_until=None, shelved_by=None)
                self._open[key] = alarm
                events.append(AlarmEvent(AlarmEventKind.UNSHELVED, alarm, now, "expiry"))
        return events

    def sync(self) -> None:
        """Take in the acknowledgements and shelves another process wrote to the store (the CLI):
        one primary-key range probe when there are none."""
        if self.store is None:
            return
        changed: list[AlarmEvent] = []
        for event_id, alarm_id, kind, time, actor, shelved_until in self.store.external_events(
            self._seen_event_id
        ):
            self._seen_event_id = max(self._seen_event_id, event_id)
            if event_id in self._own_event_ids:
                continue
            alarm = next((a for a in self._open.values() if a.id == alarm_id), None)
            if alarm is None:
                continue
            if kind == AlarmEventKind.ACKNOWLEDGED:
                if alarm.kind == AlarmKind.COMMAND:
                    alarm = replace(alarm, current_severity=Severity.OK, returned_at=time)
                alarm = replace(alarm, acknowledged_at=time, acknowledged_by=actor)
            elif kind == AlarmEventKind.SHELVED:
                alarm = replace(alarm, shelved_until=shelved_until, shelved_by=actor)
            elif kind == AlarmEventKind.UNSHELVED:
                alarm = replace(alarm, shelved_until=None, shelved_by=None)
            elif kind == AlarmEventKind.CLOSED:
                alarm = replace(alarm, closed_at=time)
            if alarm.is_open:
                self._open[alarm.key] = alarm
            else:
                del self._open[alarm.key]
            changed.append(AlarmEvent(AlarmEventKind(kind), alarm, time, actor))
        self._own_event_ids = {i for i in self._own_event_ids if i > self._seen_event_id}
        self._publish(changed)  # already stored by the other process: views only

    def tick(self) -> list[AlarmEvent]:
        """Pick up operator actions from the store, expire shelves, check staleness (call
        periodically; `process` does it too)."""
        self.sync()
        return self._emit(self._expire_shelves() + self._check_stale(self.clock.now()))
