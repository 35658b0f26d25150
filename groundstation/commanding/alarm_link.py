"""Commands refused by a node become alarms, linked to the command (the fleet view shows them).

The lifecycle records the refusal (state `rejected`, the node's reason code); this raises the
matching `command` alarm, carrying the command's id, in the telemetry alarm manager. A refusal of
a packet the ground never queued for that node (someone else's uplink) raises one without a command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from groundstation.commanding.lifecycle import Commander, NodeReport
from groundstation.commanding.store import CommandState, Transition
from groundstation.telemetry.alarms import AlarmManager

log = logging.getLogger(__name__)


def alarm_on_rejections(commander: Commander, alarms: AlarmManager) -> Callable[[], None]:
    """Raise an alarm for every command a node rejects from now on; returns the unsubscriber."""

    def on_transition(step: Transition) -> None:
        if step.state != CommandState.REJECTED:
            return
        try:
            summary = commander.store.get(step.command_id).summary
            alarms.command_rejected(step.node, step.command_id, step.reason or "unknown", step.time, summary)
        except Exception:  # the lifecycle has recorded the refusal; an alarm failure must not undo it
            log.exception("cannot raise the alarm for rejected command %d", step.command_id)

    def on_foreign(report: NodeReport, station: str, at: datetime) -> None:
        reason = report.reason.value if report.reason is not None else "unknown"
        summary = f"packet id {report.packet_id:08x}, sequence {report.sequence}, heard by {station}"
        try:
            alarms.command_rejected(report.node, None, reason, at, summary)
        except Exception:
            log.exception("cannot raise the alarm for a refused foreign packet on %s", report.node)

    unsubscribers = [commander.subscribe(on_transition), commander.subscribe_foreign_refusals(on_foreign)]

    def unsubscribe() -> None:
        for undo in unsubscribers:
            undo()

    return unsubscribe
