"""What the fleet health view shows, without Qt: one line per node from the telemetry's fleet model
(status colour, battery, temperatures, mode, last contact, next pass, alarms), the history of any
parameter with its limit lines, the node's open alarms and its alarm history (every transition).

Times shown are relative to the injected clock ("4 min ago", "in 1:02:10"), formatted here so the
tests read exactly what the operator reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from groundstation.telemetry.alarms import Alarm, AlarmEventKind, AlarmHistoryEntry, AlarmKind, Severity
from groundstation.telemetry.archive import ParameterSeries
from groundstation.telemetry.dictionary import LimitRanges, TelemetryDictionary
from groundstation.telemetry.health import FleetRow

FloatArray = np.ndarray
STATUS_ERROR, STATUS_WARNING, STATUS_OK, STATUS_UNKNOWN = "error", "warning", "ok", "unknown"
COLUMNS = ("Status", "Node", "Mode", "Battery", "Max temp", "Last contact", "Next pass", "Alarms")
SHELVE_CHOICES_S = (900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


def status_of(row: FleetRow) -> str:
    """The colour of a node: its worst open alarm; else unknown if never heard; else ok. A node out
    of contact between passes is normal in low orbit: the last-contact column says how long."""
    if row.worst_alarm >= Severity.CRITICAL:
        return STATUS_ERROR
    if row.worst_alarm >= Severity.WARNING:
        return STATUS_WARNING
    if row.last_contact is None:
        return STATUS_UNKNOWN
    return STATUS_OK


def ago(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "never"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} d ago"


def countdown(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    seconds = (when - now).total_seconds()
    if seconds <= 0:
        return "now"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"in {hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"in {rest // 60}:{rest % 60:02d}"


def _number(value: float | None, unit: str, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}".strip()


@dataclass(frozen=True)
class FleetLine:
    """One row of the fleet table, as shown."""

    node: str
    status: str  # STATUS_*
    cells: tuple[str, ...]  # one per COLUMNS entry
    norad_id: int | None


def fleet_lines(rows: Sequence[FleetRow], now: datetime, norad_ids: dict[str, int]) -> tuple[FleetLine, ...]:
    """The table: rows in the fleet model's order (worst first); `norad_ids` by node name."""
    lines = []
    for row in rows:
        status = status_of(row)
        silent = None if row.last_contact is None else (now - row.last_contact).total_seconds()
        battery = (
            "—"
            if row.battery_soc_pct is None
            else f"{row.battery_soc_pct:.0f} %"
            + ("" if row.battery_voltage_v is None else f"  {row.battery_voltage_v:.2f} V")
        )
        alarms = "—" if not row.open_alarms else f"{row.open_alarms} open, {row.unacknowledged_alarms} unack"
        lines.append(
            FleetLine(
                node=row.node,
                status=status,
                cells=(
                    status.upper()
                    if status != STATUS_UNKNOWN
                    else ("SILENT" if row.last_contact else "NEVER HEARD"),
                    row.node,
                    row.mode or "—",
                    battery,
                    _number(row.max_temperature_c, "°C"),
                    ago(silent),
                    countdown(row.next_pass, now),
                    alarms,
                ),
                norad_id=norad_ids.get(row.node) or norad_ids.get(row.node.upper()),
            )
        )
    return tuple(lines)


@dataclass(frozen=True)
class LimitLine:
    value: float
    severity: Severity
    label: str


@dataclass(frozen=True, eq=False)
class ParameterPlot:
    """One parameter of one node over time, with its limit lines (for the mode it is in now)."""

    node: str
    parameter: str
    unit: str
    times_s: FloatArray  # POSIX seconds
    values: FloatArray
    limits: tuple[LimitLine, ...]
    textual: bool  # an enumeration or flag: values are the raw codes, `labels` name them
    labels: tuple[tuple[float, str], ...] = ()

    @property
    def title(self) -> str:
        return f"{self.node} · {self.parameter}" + (f" [{self.unit}]" if self.unit else "")


def plottable_parameters(dictionary: TelemetryDictionary) -> tuple[str, ...]:
    return tuple(p.name for p in dictionary.parameters)


def _lines(ranges: LimitRanges) -> list[LimitLine]:
    out = []
    for severity, bounds in ((Severity.WARNING, ranges.warning), (Severity.CRITICAL, ranges.critical)):
        if bounds is not None:
            low, high = bounds
            for value, side in ((low, "low"), (high, "high")):
                if math.isfinite(value):
                    out.append(LimitLine(value, severity, f"{severity.label} {side} {value:g}"))
    return out


def parameter_plot(
    series: ParameterSeries, dictionary: TelemetryDictionary, mode: str | None = None
) -> ParameterPlot:
    parameter = dictionary.parameter(series.parameter)
    limits = () if parameter.limits is None else tuple(_lines(parameter.limits.ranges_for(mode)))
    textual = parameter.is_textual
    values = series.raw if textual else series.eng
    labels: tuple[tuple[float, str], ...] = ()
    if textual:
        labels = tuple((float(code), name) for code, name in parameter.enumeration) or (
            (0.0, "false"),
            (1.0, "true"),
        )
    return ParameterPlot(
        node=series.node,
        parameter=series.parameter,
        unit=series.unit,
        times_s=series.time_us.astype(np.float64) / 1e6,
        values=np.asarray(values, dtype=np.float64),
        limits=limits,
        textual=textual,
        labels=labels,
    )


@dataclass(frozen=True)
class AlarmLine:
    id: int
    parameter: str
    severity: Severity
    cells: tuple[str, ...]
    acknowledged: bool
    shelved: bool


ALARM_COLUMNS = ("Severity", "Parameter", "Since", "Value", "State")


def alarm_lines(alarms: Sequence[Alarm], now: datetime) -> tuple[AlarmLine, ...]:
    lines = []
    for alarm in sorted(alarms, key=lambda a: (-int(a.current_severity), -int(a.severity), a.triggered_at)):
        shelved = alarm.shelved_at(now)
        state = []
        if alarm.current_severity == Severity.OK:
            state.append("back in limits")
        state.append(f"acknowledged by {alarm.acknowledged_by}" if alarm.acknowledged else "unacknowledged")
        if shelved and alarm.shelved_until is not None:
            state.append(f"shelved until {alarm.shelved_until:%H:%M}Z")
        value = alarm.last_text if alarm.last_text is not None else f"{alarm.last_value:g}"
        since = ago((now - alarm.triggered_at).total_seconds())
        lines.append(
            AlarmLine(
                id=alarm.id,
                parameter=alarm.parameter,
                severity=alarm.severity,
                cells=(
                    alarm.severity.label.upper(),
                    alarm.parameter,
                    f"{alarm.triggered_at:%Y-%m-%d %H:%M:%S}Z ({since})",
                    value,
                    ", ".join(state),
                ),
                acknowledged=alarm.acknowledged,
                shelved=shelved,
            )
        )
    return tuple(lines)


HISTORY_COLUMNS = ("Time", "Alarm", "Event", "Severity", "Value", "Detail")
# How each transition reads in the history; "returned" is what operators call cleared.
EVENT_WORDS = {
    AlarmEventKind.RAISED: "raised",
    AlarmEventKind.ESCALATED: "escalated",
    AlarmEventKind.DEESCALATED: "de-escalated",
    AlarmEventKind.RETURNED: "cleared",
    AlarmEventKind.ACKNOWLEDGED: "acknowledged",
    AlarmEventKind.SHELVED: "shelved",
    AlarmEventKind.UNSHELVED: "unshelved",
    AlarmEventKind.CLOSED: "closed",
}


@dataclass(frozen=True)
class HistoryLine:
    """One alarm transition, as shown in the history table."""

    event_id: int
    alarm_id: int
    kind: AlarmEventKind
    severity: Severity
    actor: str | None
    cells: tuple[str, ...]  # one per HISTORY_COLUMNS entry
    time: datetime

    @property
    def summary(self) -> str:
        """The whole transition on one line (a tooltip when the table is narrow)."""
        _shown, alarm, event, severity, value, detail = self.cells
        return f"{self.time:%Y-%m-%d %H:%M:%S}Z  {alarm} {event} ({severity.lower()}, {value})" + (
            f"  {detail}" if detail else ""
        )


def _history_label(entry: AlarmHistoryEntry) -> str:
    if entry.alarm_kind == AlarmKind.STALE:
        return f"stale {entry.parameter}"
    if entry.alarm_kind == AlarmKind.COMMAND:
        return f"{entry.parameter} #{entry.command_id}"
    return entry.parameter


def history_lines(entries: Sequence[AlarmHistoryEntry]) -> tuple[HistoryLine, ...]:
    """The history table, in the archive's order (oldest first)."""
    lines = []
    for entry in entries:
        who = [f"by {entry.actor}"] if entry.actor else []
        if entry.kind == AlarmEventKind.SHELVED and entry.shelved_until is not None:
            who.insert(0, f"until {entry.shelved_until:%Y-%m-%d %H:%M}Z")
        detail = [" ".join(who)] if who else []
        if entry.alarm_kind == AlarmKind.COMMAND and entry.kind == AlarmEventKind.RAISED:
            detail.append(f"command #{entry.command_id}: {entry.detail or 'no reason given'}")
        if entry.comment:
            detail.append(f"“{entry.comment}”")
        lines.append(
            HistoryLine(
                event_id=entry.event_id,
                alarm_id=entry.alarm_id,
                kind=entry.kind,
                severity=entry.severity,
                actor=entry.actor,
                time=entry.time,
                cells=(
                    f"{entry.time:%m-%d %H:%M:%S}Z",  # the window is a day: no year needed
                    _history_label(entry),
                    EVENT_WORDS[entry.kind],
                    entry.severity.label.upper(),
                    "—" if math.isnan(entry.value) else f"{entry.value:g}",
                    ", ".join(detail),
                ),
            )
        )
    return tuple(lines)
