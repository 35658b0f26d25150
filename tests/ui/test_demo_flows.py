"""The main flows on the demo with its simulated fleet: select a node, plan, approve and queue a
command and watch the node accept it, see its telemetry, acknowledge and shelve an alarm and see
those transitions in the node's alarm history."""

import csv
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from groundstation.app_settings import AppSettings
from groundstation.clock import SimulatedClock
from groundstation.commanding import CommandState
from groundstation.sim.node_telemetry import HEALTH_APID, HealthSample, pack_health
from groundstation.telemetry.alarms import Severity
from groundstation.telemetry.frames import Reception, TelemetryFrame
from tests.ui.conftest import T0

READY_MS = 60_000
ML_DSA_65_SIGNATURE_BYTES = 3309  # FIPS 204
LIFECYCLE_MS = 180_000
PASS_AND_REPORT = timedelta(minutes=12)  # a demo pass lasts up to ~10 min; the verdict comes in it


@pytest.fixture
def demo(qtbot, isolated_dirs):
    from ui.desktop import build_main_window

    main = build_main_window(SimulatedClock(T0, speed=0.0), AppSettings.demo(), demo_history=timedelta(0))
    qtbot.addWidget(main)
    main.show()
    with qtbot.waitSignal(main.operations.simulation_ready, timeout=READY_MS):
        main.clock.start()
    yield main
    main.close()


def run_on_operations(qtbot, window, job):
    """Run `job(simulation)` on the operations thread and return its result."""
    results = []
    window.operations.request(job, results.append, needs_simulation=True)
    qtbot.waitUntil(lambda: bool(results), timeout=READY_MS)
    return results[0]


def approve(qtbot, console, member, passphrase):
    console.member_box.setCurrentText(member)
    qtbot.keyClicks(console.passphrase, passphrase)
    with qtbot.waitSignal(console.message, timeout=READY_MS) as blocker:
        qtbot.mouseClick(console.approve_button, Qt.MouseButton.LeftButton)
    return blocker.args


def test_approve_queue_and_watch_a_command_accepted(qtbot, demo):
    console = demo.console
    # The node with the soonest pass: the least simulated time (every frame goes through the modem).
    rows = run_on_operations(qtbot, demo, lambda sim: sim.telemetry.fleet.rows())
    soonest = min((r for r in rows if r.next_pass is not None), key=lambda r: r.next_pass)
    node = next(e for e in demo.scene.elements if e.name == soonest.node)
    demo.selection.select_node(node.norad_id)
    assert console.target_box.currentText() == node.name  # the console follows the selection
    console.action_box.setCurrentIndex(console.action_box.findData("set_mode"))
    console.field_inputs["mode"].setCurrentText("payload")
    with qtbot.waitSignal(console.composed, timeout=READY_MS) as blocker:
        qtbot.mouseClick(console.compose_button, Qt.MouseButton.LeftButton)
    facts = blocker.args[0]
    unsigned_bytes = facts.size_bytes
    assert unsigned_bytes < 200
    assert facts.approvers == ()
    assert "0 of 3 approvals" in console.quorum_label.text()
    assert not console.queue_button.isEnabled()

    level, text = approve(qtbot, console, "alice", "wrong passphrase")
    assert level == "warning"
    assert text.startswith("approval by alice refused")
    assert console.facts.approvers == ()
    for member in ("alice", "bob", "carol"):
        assert approve(qtbot, console, member, member) == ["info", f"approved by {member}"]
    assert console.facts.approvers == ("alice", "bob", "carol")
    assert console.facts.has_quorum
    assert "quorum reached" in console.quorum_label.text()
    assert console.facts.size_bytes == len(console.draft.encode())
    assert console.facts.size_bytes >= unsigned_bytes + 3 * ML_DSA_65_SIGNATURE_BYTES
    assert console.facts.frames_ax25 > console.facts.frames_ccsds_tc > 1

    with qtbot.waitSignal(console.queued, timeout=READY_MS) as blocker:
        qtbot.mouseClick(console.queue_button, Qt.MouseButton.LeftButton)
    (record,) = blocker.args[0]
    assert record.state == CommandState.QUEUED
    assert record.node == node.name

    # Run the clock to just after the node's next pass: the lifecycle plays out in the simulation.
    next_pass = run_on_operations(qtbot, demo, lambda sim: sim.telemetry.fleet.health(node.name).next_pass)
    assert next_pass is not None
    seen = []
    console.transition.connect(lambda step: seen.append(step.state))
    demo.clock.jump_to(next_pass + PASS_AND_REPORT)
    qtbot.waitUntil(lambda: CommandState.ACCEPTED in seen, timeout=LIFECYCLE_MS)
    assert (
        seen[: seen.index(CommandState.ACCEPTED) + 1][:3]
        == [
            CommandState.RELEASED,
            CommandState.SENT,
            CommandState.DELIVERED,
        ]
        or CommandState.SENT in seen
    )
    qtbot.waitUntil(lambda: any(line.id == record.id and line.state == "accepted" for line in console.lines))
    assert "accepted" in console.history.toPlainText()

    # The fleet view heard the node in that pass and plots its telemetry.
    demo.fleet_dock.raise_()
    qtbot.waitUntil(
        lambda: any(ln.node == node.name and ln.cells[5] != "never" for ln in demo.fleet.lines),
        timeout=READY_MS,
    )
    with qtbot.waitSignal(demo.fleet.plot_applied, timeout=READY_MS) as blocker:
        demo.fleet.parameter_box.setCurrentText("mode")
    plot = blocker.args[0]
    assert plot.textual
    assert len(plot.values) >= 1


def test_a_critical_action_needs_a_second_confirmation(qtbot, demo):
    console = demo.console
    console.action_box.setCurrentIndex(console.action_box.findData("reboot"))
    with qtbot.waitSignal(console.composed, timeout=READY_MS):
        qtbot.mouseClick(console.compose_button, Qt.MouseButton.LeftButton)
    for member in ("alice", "bob", "carol"):
        approve(qtbot, console, member, member)
    asked = []
    console.confirm = lambda text: asked.append(text) or False
    with qtbot.waitSignal(console.message) as blocker:
        qtbot.mouseClick(console.queue_button, Qt.MouseButton.LeftButton)
    assert blocker.args[1].endswith("not queued (not confirmed)")
    assert "critical action" in asked[0]
    assert console.draft is not None  # kept, still approved
    console.confirm = lambda text: True
    with qtbot.waitSignal(console.queued, timeout=READY_MS) as blocker:
        qtbot.mouseClick(console.queue_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0][0].summary.startswith("command reboot")


def voltage_line(fleet):
    return next(line for line in fleet.alarms if line.parameter == "battery_voltage")


def flat_battery_frame(node):
    """A health frame with the battery almost flat: a critical battery_voltage alarm."""
    flat = HealthSample(
        uptime_s=3600, battery_voltage_v=3.2, battery_soc_pct=5.0, mode="nominal", obc_temperature_c=20,
        battery_temperature_c=15, radio_temperature_c=25, panel_temperature_c=30, storage_used_kib=1000,
        storage_free_kib=900_000, commands_accepted=0, commands_rejected=0, roster_epoch=1,
        last_accepted_sequence=0, last_rejection_reason=None, payload_on=False, heater_on=False,
        adcs_state="sun_pointing", uplink_rssi_dbm=-100.0, solar_current_a=0.5,
    )  # fmt: skip
    return TelemetryFrame(
        node.name, HEALTH_APID, pack_health(flat), Reception("Delft", T0, 435.8e6, 12.0, "g3ruh-9600")
    )


def test_an_alarm_is_raised_acknowledged_and_shelved(qtbot, demo):
    fleet = demo.fleet
    node = demo.scene.elements[0]
    demo.selection.select_node(node.norad_id)
    frame = flat_battery_frame(node)
    with qtbot.waitSignal(fleet.alarms_applied, timeout=READY_MS, check_params_cb=lambda lines: bool(lines)):
        run_on_operations(qtbot, demo, lambda sim: sim.telemetry.receive([frame]))
        fleet.request_alarms()  # the simulation's own ingest path signals; here we ask
    alarms = {line.parameter: line for line in fleet.alarms}
    assert alarms["battery_voltage"].severity == Severity.CRITICAL
    fleet.refresh()
    qtbot.waitUntil(
        lambda: any(ln.node == node.name and ln.status == "error" for ln in fleet.lines), timeout=READY_MS
    )
    fleet.alarm_table.selectRow([ln.parameter for ln in fleet.alarms].index("battery_voltage"))
    qtbot.mouseClick(fleet.ack_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: voltage_line(fleet).acknowledged, timeout=READY_MS)
    voltage = voltage_line(fleet)
    assert f"acknowledged by {fleet.operator}" in voltage.cells[4]
    fleet.alarm_table.selectRow([ln.parameter for ln in fleet.alarms].index("battery_voltage"))
    fleet.shelve_box.setCurrentIndex(1)  # one hour
    qtbot.mouseClick(fleet.shelve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: voltage_line(fleet).shelved, timeout=READY_MS)
    voltage = voltage_line(fleet)
    assert "shelved until 13:00Z" in voltage.cells[4]
    entries = [e.text for e in demo.events.entries if e.source == "alarms"]
    assert any("acknowledged" in t for t in entries)
    assert any("shelved for 1 h" in t for t in entries)


def test_the_alarm_history_shows_each_transition_and_exports_it(qtbot, demo, tmp_path):
    fleet = demo.fleet
    node = demo.scene.elements[0]
    demo.selection.select_node(node.norad_id)
    with qtbot.waitSignal(fleet.alarms_applied, timeout=READY_MS, check_params_cb=lambda lines: bool(lines)):
        run_on_operations(qtbot, demo, lambda sim: sim.telemetry.receive([flat_battery_frame(node)]))
        fleet.request_alarms()
    fleet.alarm_table.selectRow([ln.parameter for ln in fleet.alarms].index("battery_voltage"))
    qtbot.mouseClick(fleet.ack_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: voltage_line(fleet).acknowledged, timeout=READY_MS)
    fleet.alarm_table.selectRow([ln.parameter for ln in fleet.alarms].index("battery_voltage"))
    fleet.shelve_box.setCurrentIndex(1)  # one hour
    qtbot.mouseClick(fleet.shelve_button, Qt.MouseButton.LeftButton)

    def voltage_history():
        return [ln for ln in fleet.history if ln.alarm_id == voltage_line(fleet).id]

    qtbot.waitUntil(lambda: [ln.cells[2] for ln in voltage_history()][-1:] == ["shelved"], timeout=READY_MS)
    lines = voltage_history()
    assert [ln.cells[2] for ln in lines] == ["raised", "acknowledged", "shelved"]
    assert [ln.cells[3] for ln in lines] == ["CRITICAL"] * 3
    assert lines[0].cells[1] == "battery_voltage"
    assert lines[0].cells[4] == "3.2"
    assert lines[1].cells[5] == f"by {fleet.operator}"
    assert lines[2].cells[5] == f"until 2026-11-22 13:00Z by {fleet.operator}"
    shown = [fleet.history_table.item(r, 2).text() for r in range(fleet.history_table.rowCount())]
    assert shown == [ln.cells[2] for ln in fleet.history]  # the table shows what the lines hold

    path = tmp_path / "history.csv"
    with qtbot.waitSignal(fleet.history_exported, timeout=READY_MS):
        assert fleet.export_history(path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["alarm_id"]), r["event"], r["severity"].upper(), r["actor"], r["node"]) for r in rows] == [
        (ln.alarm_id, ln.kind.value, ln.cells[3], ln.actor or "", node.name) for ln in fleet.history
    ]
    assert [datetime.fromisoformat(r["time_utc"]) for r in rows] == [ln.time for ln in fleet.history]
    with qtbot.waitSignal(
        fleet.message, timeout=READY_MS, check_params_cb=lambda level, text: level == "error"
    ) as blocker:
        fleet.export_history(tmp_path / "missing" / "history.csv")
    assert blocker.args[1].startswith(f"alarm history export to {tmp_path / 'missing'}")
