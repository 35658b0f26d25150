"""The command console's logic, without Qt: the governance actions an operator composes, the packet
they become, what it costs on the link, the council's approvals and quorum, and the lifecycle lines.

Composing builds an unsigned `governance` packet for the roster in force (epoch, algorithm) with
the next ground sequence number of that epoch; each council member approves it with their own
key, unlocked by their passphrase (`KeyStore.load`), one at a time; with the quorum reached it can
be queued with the commander for the target's next pass. Critical actions (those a node cannot
undo from the ground, or that change who may command it) need a second confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from groundstation.commanding import CommandRecord, Transition
from groundstation.governance.keystore import KeyStore
from groundstation.governance.packet import Packet, Target
from groundstation.governance.payloads import Command, KeyRevocation, Payload, PolicyUpdate
from groundstation.governance.roster import Roster
from groundstation.governance.signing import approve, build_packet, has_quorum
from groundstation.governance_link import AX25, CCSDS_TC

DEFAULT_VALIDITY = timedelta(hours=6)
MODES = ("nominal", "payload", "low_power", "safe")


class ComposeError(ValueError):
    """A field of the action is missing or wrong; the message names it."""


@dataclass(frozen=True)
class ActionField:
    name: str
    label: str
    choices: tuple[str, ...] = ()  # empty: free text
    default: str = ""


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    critical: bool
    fields: tuple[ActionField, ...]
    build: Callable[[dict[str, str], Roster], Payload] = field(compare=False, repr=False)


def _number(values: dict[str, str], name: str, low: float, high: float) -> str:
    text = values.get(name, "").strip()
    try:
        number = float(text)
    except ValueError:
        raise ComposeError(f"{name}: must be a number, got {text!r}") from None
    if not low <= number <= high:
        raise ComposeError(f"{name}: must be within [{low:g}, {high:g}], got {number:g}")
    return f"{number:g}"


def _revocation(values: dict[str, str], roster: Roster) -> Payload:
    name = values.get("member", "")
    member = next((m for m in roster.members if m.name == name), None)
    if member is None:
        raise ComposeError(f"member: {name!r} is not in the roster of epoch {roster.epoch}")
    return KeyRevocation(member.key_id, values.get("reason", "").strip())


ACTIONS: tuple[Action, ...] = (
    Action(
        "set_mode", "Set mode", False, (ActionField("mode", "Mode", MODES, "nominal"),),
        lambda v, _r: Command.create("set_mode", {"mode": v.get("mode", "")}),
    ),
    Action(
        "set_telemetry_period", "Set telemetry period", False,
        (ActionField("period_s", "Period (s)", (), "20"),),
        lambda v, _r: Command.create("set_telemetry_period", {"period_s": _number(v, "period_s", 1, 3600)}),
    ),
    Action(
        "low_power_soc_pct", "Low-power threshold", False, (ActionField("value", "Battery %", (), "30"),),
        lambda v, _r: PolicyUpdate("low_power_soc_pct", _number(v, "value", 0, 100)),
    ),
    Action(
        "clear_storage", "Clear storage", True, (),
        lambda _v, _r: Command.create("clear_storage"),
    ),
    Action(
        "reboot", "Reboot", True, (),
        lambda _v, _r: Command.create("reboot"),
    ),
    Action(
        "key_revocation", "Revoke a member's key", True,
        (ActionField("member", "Member"), ActionField("reason", "Reason", (), "key lost")),
        _revocation,
    ),
)  # fmt: skip


def action(name: str) -> Action:
    for candidate in ACTIONS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def next_sequence(records: Sequence[CommandRecord], epoch: int) -> int:
    """One ground counter per roster epoch: one more than the highest used in it."""
    return max((r.sequence for r in records if r.epoch == epoch), default=0) + 1


def compose(
    chosen: Action,
    values: dict[str, str],
    target: Target,
    roster: Roster,
    sequence: int,
    now: datetime,
    valid_for: timedelta = DEFAULT_VALIDITY,
) -> Packet:
    """The unsigned packet; ComposeError names the field that is wrong."""
    try:
        payload = chosen.build(values, roster)
    except ComposeError:
        raise
    except ValueError as exc:
        raise ComposeError(str(exc)) from None
    return build_packet(roster, target, payload, sequence=sequence, valid_from=now, valid_for=valid_for)


@dataclass(frozen=True)
class PacketFacts:
    """What the console shows about a packet: its size on the link and its approvals."""

    size_bytes: int
    frames_ax25: int
    frames_ccsds_tc: int
    approvers: tuple[str, ...]
    quorum: int
    members: int
    sequence: int
    epoch: int
    valid_until: datetime

    @property
    def has_quorum(self) -> bool:
        return len(self.approvers) >= self.quorum

    @property
    def quorum_text(self) -> str:
        state = "quorum reached" if self.has_quorum else f"{self.quorum - len(self.approvers)} more needed"
        return f"{len(self.approvers)} of {self.quorum} approvals ({self.members} members): {state}"

    @property
    def size_text(self) -> str:
        return (
            f"{self.size_bytes:,} bytes: {self.frames_ax25} AX.25 frames or "
            f"{self.frames_ccsds_tc} CCSDS TC frames"
        )


def packet_facts(packet: Packet, roster: Roster) -> PacketFacts:
    size = len(packet.encode())
    names = tuple(roster.members[i].name for i in packet.signer_indices())
    assert has_quorum(packet, roster) == (len(names) >= roster.quorum)
    return PacketFacts(
        size_bytes=size,
        frames_ax25=AX25.frames_needed(size),
        frames_ccsds_tc=CCSDS_TC.frames_needed(size),
        approvers=names,
        quorum=roster.quorum,
        members=len(roster.members),
        sequence=packet.header.sequence,
        epoch=packet.header.epoch,
        valid_until=packet.header.valid_until,
    )


def approve_with(packet: Packet, keys: KeyStore, member: str, passphrase: bytes, roster: Roster) -> Packet:
    """`member`'s approval, with their key from `keys` (KeyStoreError on a wrong passphrase).
    Approving twice is refused: a signature counts once."""
    index = next((i for i, m in enumerate(roster.members) if m.name == member), None)
    if index is None:
        raise ComposeError(f"{member!r} is not in the roster of epoch {roster.epoch}")
    if index in packet.signer_indices():
        raise ComposeError(f"{member} has already approved this packet")
    return approve(packet, keys.load(member, passphrase), roster)


@dataclass(frozen=True)
class CommandLine:
    """One command in the console's table, as shown."""

    id: int
    node: str
    cells: tuple[str, ...]
    state: str
    terminal: bool


COMMAND_COLUMNS = ("ID", "Node", "Command", "Seq", "State", "Tries", "Reason / detail", "Updated")


def command_lines(records: Sequence[CommandRecord]) -> tuple[CommandLine, ...]:
    lines = []
    for r in sorted(records, key=lambda r: r.id, reverse=True):
        why = r.reason or r.detail or ""
        lines.append(
            CommandLine(
                id=r.id,
                node=r.node,
                cells=(
                    str(r.id),
                    r.node,
                    r.summary,
                    f"{r.epoch}/{r.sequence}",
                    r.state.value.upper(),
                    str(r.attempts),
                    why,
                    f"{r.updated:%H:%M:%S}Z",
                ),
                state=r.state.value,
                terminal=r.terminal,
            )
        )
    return tuple(lines)


def transition_text(step: Transition) -> str:
    where = f" via {step.station}" if step.station else ""
    attempt = f" (attempt {step.attempt})" if step.attempt else ""
    why = f": {step.reason}" if step.reason else ""
    detail = f" — {step.detail}" if step.detail else ""
    head = f"{step.time:%Y-%m-%d %H:%M:%S}Z  #{step.command_id} {step.node} {step.state.value}"
    return f"{head}{where}{attempt}{why}{detail}"
