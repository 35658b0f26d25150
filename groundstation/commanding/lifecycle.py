"""The ground side of commanding: governance packets queue per node and move through

    queued → released (at AOS) → sent (segmented; attempt n) → delivered (segment ACK)
           → accepted | rejected (the node's governance report, with its reason code)

with `retried` when no answer comes in time, back to `queued` when the pass ends first, and
`expired` when the validity window closes (or attempts run out) before acceptance. Every
transition is persisted (CommandStore), appended to the hash-chained governance audit log, and
published to listeners.

Queues are FIFO per node and hold at a command not yet valid: order matters (a roster rotation
goes before the commands signed under the new roster).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from groundstation.commanding.store import (
    TERMINAL,
    CommandRecord,
    CommandState,
    CommandStore,
    Transition,
)
from groundstation.governance.audit import AuditEvent, AuditLog
from groundstation.governance.packet import Packet, PayloadType
from groundstation.governance.payloads import (
    Command,
    KeyRevocation,
    Payload,
    PolicyUpdate,
    RosterRotation,
    decode_payload,
)
from groundstation.governance.reasons import DecodeError, Reason

MAX_ATTEMPTS = 4
GROUND_ACTOR = "ground"
TransitionListener = Callable[[Transition], None]
# A refusal the ground cannot match to any command it ever queued (someone else's packet).
ForeignRefusalListener = Callable[["NodeReport", str, datetime], None]

_AUDIT = {
    CommandState.QUEUED: AuditEvent.QUEUED,
    CommandState.RELEASED: AuditEvent.RELEASED,
    CommandState.SENT: AuditEvent.SENT,
    CommandState.DELIVERED: AuditEvent.DELIVERED,
    CommandState.ACCEPTED: AuditEvent.ACCEPTED,
    CommandState.REJECTED: AuditEvent.REJECTED,
    CommandState.RETRIED: AuditEvent.RETRIED,
    CommandState.EXPIRED: AuditEvent.EXPIRED,
}
# Which states may follow which (anything not listed is a bug in the caller).
_NEXT: dict[CommandState, frozenset[CommandState]] = {
    CommandState.QUEUED: frozenset({CommandState.RELEASED, CommandState.EXPIRED}),
    CommandState.RELEASED: frozenset({CommandState.SENT, CommandState.QUEUED, CommandState.EXPIRED}),
    CommandState.SENT: frozenset(
        {
            CommandState.DELIVERED,
            CommandState.ACCEPTED,
            CommandState.REJECTED,
            CommandState.RETRIED,
            CommandState.QUEUED,
            CommandState.EXPIRED,
        }
    ),
    CommandState.DELIVERED: frozenset(
        {
            CommandState.ACCEPTED,
            CommandState.REJECTED,
            CommandState.RETRIED,
            CommandState.QUEUED,
            CommandState.EXPIRED,
        }
    ),
    CommandState.RETRIED: frozenset({CommandState.SENT, CommandState.QUEUED, CommandState.EXPIRED}),
    CommandState.ACCEPTED: frozenset(),
    CommandState.REJECTED: frozenset(),
    CommandState.EXPIRED: frozenset(),
}


class LifecycleError(ValueError):
    """A transition the lifecycle does not allow (e.g. from a terminal state)."""


def describe(packet: Packet) -> str:
    """One line for operators: what the packet asks."""
    kind = packet.header.payload_type
    try:
        payload: Payload = decode_payload(kind, packet.payload)
    except DecodeError:
        return f"{kind.label} (undecodable payload)"
    if isinstance(payload, Command):
        arguments = " ".join(f"{k}={v}" for k, v in payload.arguments)
        return f"command {payload.opcode}" + (f" {arguments}" if arguments else "")
    if isinstance(payload, PolicyUpdate):
        return f"policy {payload.key}={payload.value}"
    if isinstance(payload, RosterRotation):
        roster = payload.roster
        return f"roster rotation to epoch {roster.epoch} ({roster.quorum} of {roster.size})"
    if isinstance(payload, KeyRevocation):
        return f"revoke key {payload.key_id.hex()[:16]}" + (f" ({payload.reason})" if payload.reason else "")
    return kind.label


@dataclass(frozen=True)
class NodeReport:
    """A node's governance report as decoded from its telemetry (gov_* parameters)."""

    node: str
    packet_id: int
    sequence: int
    epoch: int
    accepted: bool
    reason: Reason | None
    execution: str
    number: int
    uptime_s: int


class Commander:
    """Queues, lifecycle transitions and report matching for every node a station network commands."""

    def __init__(
        self, store: CommandStore, audit: AuditLog | None = None, *, max_attempts: int = MAX_ATTEMPTS
    ):
        self.store = store
        self.audit = audit
        self.max_attempts = max_attempts
        self._listeners: list[TransitionListener] = []
        self._foreign_listeners: list[ForeignRefusalListener] = []
        self._seen_reports: set[tuple[str, int, int, int]] = set()

    def subscribe(self, listener: TransitionListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def subscribe_foreign_refusals(self, listener: ForeignRefusalListener) -> Callable[[], None]:
        """`listener(report, station, time)` for each new rejection report whose packet matches no
        command the ground ever queued for that node."""
        self._foreign_listeners.append(listener)
        return lambda: self._foreign_listeners.remove(listener)

    def _publish(self, record: CommandRecord, step: Transition) -> None:
        if self.audit is not None:
            details: dict[str, object] = {"command": record.id, "node": record.node, "attempt": step.attempt}
            if step.reason:
                details["reason"] = step.reason
            if step.detail:
                details["detail"] = step.detail
            self.audit.append(
                _AUDIT[step.state],
                actor=step.station or GROUND_ACTOR,
                packet_id=bytes.fromhex(record.packet_id),
                at=step.time,
                details=details,
            )
        for listener in list(self._listeners):
            listener(step)

    def _move(
        self,
        record: CommandRecord,
        state: CommandState,
        at: datetime,
        *,
        station: str | None = None,
        attempts: int | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> CommandRecord:
        if state not in _NEXT[record.state]:
            raise LifecycleError(f"command {record.id}: {record.state.value} cannot become {state.value}")
        record, step = self.store.transition(
            record, state, at, station=station, attempts=attempts, reason=reason, detail=detail
        )
        self._publish(record, step)
        return record

    # --- queueing --------------------------------------------------------------------------------

    def queue(self, packet: Packet, node: str, at: datetime) -> CommandRecord:
        """Queue `packet` for `node` (a group packet is queued once per node it is meant for)."""
        header = packet.header
        data = packet.encode()
        record, step = self.store.add(
            node=node,
            packet_id=packet.content_id.hex(),
            payload_type=header.payload_type.label,
            summary=describe(packet),
            sequence=header.sequence,
            epoch=header.epoch,
            valid_from=header.valid_from,
            valid_until=header.valid_until,
            data=data,
            at=at,
        )
        self._publish(record, step)
        return record

    def pending(self, node: str | None = None) -> list[CommandRecord]:
        return [r for r in self.store.commands(node) if r.state not in TERMINAL]

    def next_for(self, node: str, now: datetime) -> CommandRecord | None:
        """The node's next command to send now: expired ones are closed on the way; None when the
        queue is empty or its head is not valid yet."""
        for record in self.pending(node):
            if now >= record.valid_until:
                self.expire(record, now, f"validity ended {record.valid_until.isoformat()}")
                continue
            if now < record.valid_from:
                return None
            return record
        return None

    # --- transitions -----------------------------------------------------------------------------

    def release(self, record: CommandRecord, station: str, at: datetime) -> CommandRecord:
        return self._move(record, CommandState.RELEASED, at, station=station)

    def sent(
        self, record: CommandRecord, station: str, at: datetime, detail: str | None = None
    ) -> CommandRecord:
        return self._move(
            record, CommandState.SENT, at, station=station, attempts=record.attempts + 1, detail=detail
        )

    def delivered(self, record: CommandRecord, station: str, at: datetime) -> CommandRecord:
        if record.state == CommandState.DELIVERED:
            return record
        return self._move(record, CommandState.DELIVERED, at, station=station)

    def retry(self, record: CommandRecord, station: str, at: datetime, detail: str) -> CommandRecord:
        """No answer in time: retried, or expired when the attempts are used up."""
        if record.attempts >= self.max_attempts:
            return self.expire(
                record, at, f"{detail}; no confirmation after {record.attempts} attempts", station
            )
        return self._move(record, CommandState.RETRIED, at, station=station, detail=detail)

    def requeue(self, record: CommandRecord, station: str, at: datetime, detail: str) -> CommandRecord:
        """The pass ended before the node's verdict: back in the queue for the next one."""
        if record.attempts >= self.max_attempts:
            return self.expire(
                record, at, f"{detail}; no confirmation after {record.attempts} attempts", station
            )
        return self._move(record, CommandState.QUEUED, at, station=station, detail=detail)

    def expire(
        self, record: CommandRecord, at: datetime, detail: str, station: str | None = None
    ) -> CommandRecord:
        return self._move(record, CommandState.EXPIRED, at, station=station, detail=detail)

    # --- the node's verdict ----------------------------------------------------------------------

    def report(self, report: NodeReport, station: str, at: datetime) -> CommandRecord | None:
        """Apply a governance report to the command it is about (None: a repeat, or not ours)."""
        key = (report.node, report.number, report.uptime_s, report.sequence)
        if key in self._seen_reports:
            return None
        self._seen_reports.add(key)
        candidates = [
            r
            for r in self.pending(report.node)
            if r.attempts > 0 and int(r.packet_id[:8], 16) == report.packet_id
        ]
        if not candidates:
            if not report.accepted and not any(
                int(r.packet_id[:8], 16) == report.packet_id for r in self.store.commands(report.node)
            ):
                for listener in list(self._foreign_listeners):
                    listener(report, station, at)
            return None
        record = candidates[0]
        if report.accepted:
            return self._move(
                record, CommandState.ACCEPTED, at, station=station, detail=f"execution: {report.execution}"
            )
        if report.reason == Reason.REPLAY and self._sent_on_an_earlier_pass(record):
            # Sequence numbers are unique and only accepted ones enter the replay window: the node
            # accepted an earlier attempt whose report was never heard.
            return self._move(
                record,
                CommandState.ACCEPTED,
                at,
                station=station,
                detail="accepted on an earlier pass (its repeat was refused as a replay)",
            )
        reason = report.reason.value if report.reason is not None else "unknown"
        return self._move(record, CommandState.REJECTED, at, station=station, reason=reason, detail=reason)

    def _sent_on_an_earlier_pass(self, record: CommandRecord) -> bool:
        seen_sent = False
        for step in self.store.transitions(record.id):
            if step.state == CommandState.SENT:
                seen_sent = True
            elif step.state == CommandState.QUEUED and seen_sent:
                return True
        return False


def payload_type_of(record: CommandRecord) -> PayloadType:
    return PayloadType.from_label(record.payload_type)
