"""The fleet view's lines, plots and alarm lines from the telemetry's own models (the demo
dictionary's limits as written in demo_node.toml)."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from groundstation.fleet_view import (
    STATUS_ERROR,
    STATUS_OK,
    STATUS_UNKNOWN,
    STATUS_WARNING,
    ago,
    alarm_lines,
    countdown,
    fleet_lines,
    history_lines,
    parameter_plot,
)
from groundstation.telemetry.alarms import Alarm, AlarmEventKind, AlarmHistoryEntry, AlarmKind, Severity
from groundstation.telemetry.archive import ParameterSeries
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.health import FleetRow

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ROW = FleetRow(
    node="NODE-01-01", worst_alarm=Severity.OK, stale=True, mode="nominal", battery_soc_pct=81.5,
    battery_voltage_v=3.912, max_temperature_c=21.04, link_quality=-99.0,
    last_contact=T0 - timedelta(minutes=12), silent_s=720.0,
    next_pass=T0 + timedelta(hours=1, minutes=2, seconds=3),
    open_alarms=0, unacknowledged_alarms=0,
)  # fmt: skip


def test_fleet_lines_show_status_values_and_times():
    rows = [
        ROW,
        replace(
            ROW, node="NODE-01-02", worst_alarm=Severity.CRITICAL, open_alarms=2, unacknowledged_alarms=1
        ),
        replace(ROW, node="NODE-01-03", worst_alarm=Severity.WARNING),
        replace(
            ROW, node="NODE-01-04", last_contact=None, mode=None, battery_soc_pct=None, max_temperature_c=None
        ),
    ]
    lines = fleet_lines(rows, T0, {"NODE-01-01": 900, "NODE-01-02": 901})
    assert [line.status for line in lines] == [STATUS_OK, STATUS_ERROR, STATUS_WARNING, STATUS_UNKNOWN]
    assert lines[0].cells == (
        "OK", "NODE-01-01", "nominal", "82 %  3.91 V", "21.0 °C", "12 min ago", "in 1:02:03", "—",
    )  # fmt: skip
    assert lines[1].cells[7] == "2 open, 1 unack"
    assert lines[3].cells[0] == "NEVER HEARD"
    assert lines[3].cells[2:6] == ("—", "—", "—", "never")
    assert [line.norad_id for line in lines] == [900, 901, None, None]


def test_ages_and_countdowns():
    assert [ago(s) for s in (None, 5, 600, 7200, 3 * 86400)] == [
        "never",
        "5 s ago",
        "10 min ago",
        "2.0 h ago",
        "3.0 d ago",
    ]
    assert countdown(None, T0) == "—"
    assert countdown(T0 - timedelta(seconds=1), T0) == "now"
    assert countdown(T0 + timedelta(seconds=75), T0) == "in 1:15"


def test_parameter_plot_carries_the_dictionarys_limits_and_labels():
    dictionary = demo_dictionary()
    times = np.array([0, 30_000_000, 60_000_000], dtype=np.int64) + int(T0.timestamp() * 1e6)
    series = ParameterSeries("NODE-01-01", "battery_voltage", "V", times, np.array([3900.0, 3800, 3400]),
                             np.array([3.9, 3.8, 3.4]), (None, None, None))  # fmt: skip
    plot = parameter_plot(series, dictionary)
    assert plot.title == "NODE-01-01 · battery_voltage [V]"
    np.testing.assert_allclose(plot.times_s, [T0.timestamp(), T0.timestamp() + 30, T0.timestamp() + 60])
    np.testing.assert_allclose(plot.values, [3.9, 3.8, 3.4])
    limits = sorted((line.value, line.severity) for line in plot.limits)
    assert limits == [
        (3.3, Severity.CRITICAL),
        (3.5, Severity.WARNING),
        (4.2, Severity.WARNING),
        (4.25, Severity.CRITICAL),
    ]
    modes = ParameterSeries("NODE-01-01", "mode", "", times[:2], np.array([1.0, 4.0]), np.array([1.0, 4.0]),
                            ("nominal", "detumble"))  # fmt: skip
    mode_plot = parameter_plot(modes, dictionary)
    assert mode_plot.textual
    assert (1.0, "nominal") in mode_plot.labels
    np.testing.assert_allclose(mode_plot.values, [1.0, 4.0])


def test_alarm_lines_put_the_worst_first_and_say_their_state():
    low = Alarm(1, "NODE-01-01", "battery_soc", Severity.WARNING, Severity.WARNING, T0, 28.0, 27.0, None, T0)
    critical = Alarm(
        2, "NODE-01-01", "battery_voltage", Severity.CRITICAL, Severity.CRITICAL, T0, 3.2, 3.2, None, T0,
        acknowledged_at=T0, acknowledged_by="ops", shelved_until=T0 + timedelta(hours=1),
    )  # fmt: skip
    lines = alarm_lines([low, critical], T0 + timedelta(minutes=5))
    assert [line.id for line in lines] == [2, 1]
    assert lines[0].cells == (
        "CRITICAL", "battery_voltage", "2026-11-22 12:00:00Z (5 min ago)", "3.2",
        "acknowledged by ops, shelved until 13:00Z",
    )  # fmt: skip
    assert lines[0].shelved
    assert lines[1].cells[4] == "unacknowledged"
    assert not alarm_lines([critical], T0 + timedelta(hours=2))[0].shelved


def test_history_lines_name_each_transition_who_and_why():
    def entry(event_id, kind, severity, **fields):
        values = dict(
            event_id=event_id, alarm_id=7, time=T0 + timedelta(seconds=event_id), node="NODE-01-01",
            parameter="battery_voltage", alarm_kind=AlarmKind.LIMIT, kind=kind, severity=severity, value=3.2,
            actor=None, comment=None, shelved_until=None, command_id=None, detail=None,
        )  # fmt: skip
        return AlarmHistoryEntry(**{**values, **fields})

    raised = entry(1, AlarmEventKind.RAISED, Severity.WARNING, value=3.4)
    escalated = entry(2, AlarmEventKind.ESCALATED, Severity.CRITICAL)
    acked = entry(3, AlarmEventKind.ACKNOWLEDGED, Severity.CRITICAL, actor="ops", comment="on it")
    until = T0 + timedelta(hours=1)
    shelved = entry(4, AlarmEventKind.SHELVED, Severity.CRITICAL, actor="ops", shelved_until=until)
    unshelved = entry(5, AlarmEventKind.UNSHELVED, Severity.CRITICAL, actor="lead")
    cleared = entry(6, AlarmEventKind.RETURNED, Severity.OK, value=3.7)
    refused = entry(
        7, AlarmEventKind.RAISED, Severity.WARNING, alarm_kind=AlarmKind.COMMAND,
        parameter="command_rejected", command_id=42, detail="stale sequence", value=math.nan,
    )  # fmt: skip
    lines = history_lines([raised, escalated, acked, shelved, unshelved, cleared, refused])
    assert [line.cells[0] for line in lines] == [f"11-22 12:00:0{i}Z" for i in range(1, 8)]
    voltage = "battery_voltage"
    assert [line.cells[1:] for line in lines] == [
        (voltage, "raised", "WARNING", "3.4", ""),
        (voltage, "escalated", "CRITICAL", "3.2", ""),
        (voltage, "acknowledged", "CRITICAL", "3.2", "by ops, “on it”"),
        (voltage, "shelved", "CRITICAL", "3.2", "until 2026-11-22 13:00Z by ops"),
        (voltage, "unshelved", "CRITICAL", "3.2", "by lead"),
        (voltage, "cleared", "OK", "3.7", ""),
        ("command_rejected #42", "raised", "WARNING", "—", "command #42: stale sequence"),
    ]
    assert [line.actor for line in lines][2:5] == ["ops", "ops", "lead"]
    assert lines[3].summary == (
        "2026-11-22 12:00:04Z  battery_voltage shelved (critical, 3.2)  until 2026-11-22 13:00Z by ops"
    )
