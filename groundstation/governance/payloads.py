"""Typed payloads, each with one canonical encoding and a strict decoder.

command          opcode (u8 len + identifier), argument count (u8), arguments sorted by key,
                 each key (u8 len + [a-z0-9_]) and value (u16 len + UTF-8); keys strictly increasing
policy-update    key (u8 len + identifier), value (u16 len + UTF-8)
roster-rotation  the new roster's canonical encoding (roster.Roster.encode)
key-revocation   key id (32 bytes), reason (u8 len + UTF-8)
proposal         the draft packet, unsigned (u32 len + packet encoding with 0 signatures),
                 note (u16 len + UTF-8)
vote             subject content id (32 bytes), decision (u8: 1 approve, 2 reject),
                 approval signature over the subject (u16 len + bytes; empty when rejecting)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, TypeVar

from groundstation.governance import wire
from groundstation.governance.algorithms import KEY_ID_BYTES
from groundstation.governance.packet import Packet, PayloadType
from groundstation.governance.reasons import DecodeError
from groundstation.governance.roster import Roster

_T = TypeVar("_T")

ARGUMENT_KEY = re.compile(r"[a-z0-9_]{1,32}")
MAX_ARGUMENTS = 32
MAX_ARGUMENT_VALUE_BYTES = 1024


@dataclass(frozen=True)
class Command:
    payload_type: ClassVar[PayloadType] = PayloadType.COMMAND
    opcode: str
    arguments: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not wire.IDENTIFIER.fullmatch(self.opcode):
            raise ValueError(f"opcode {self.opcode!r} is not a valid identifier")
        if len(self.arguments) > MAX_ARGUMENTS:
            raise ValueError(f"{len(self.arguments)} arguments, at most {MAX_ARGUMENTS}")
        keys = [key for key, _ in self.arguments]
        if keys != sorted(set(keys)):
            raise ValueError(f"argument keys must be unique and sorted (use Command.create), got {keys}")
        for key, value in self.arguments:
            if not ARGUMENT_KEY.fullmatch(key):
                raise ValueError(f"argument key {key!r} must match {ARGUMENT_KEY.pattern}")
            if len(value.encode("utf-8")) > MAX_ARGUMENT_VALUE_BYTES:
                raise ValueError(f"argument {key} is longer than {MAX_ARGUMENT_VALUE_BYTES} bytes")

    @classmethod
    def create(cls, opcode: str, arguments: dict[str, str] | None = None) -> Command:
        return cls(opcode, tuple(sorted((arguments or {}).items())))

    @property
    def argument_map(self) -> dict[str, str]:
        return dict(self.arguments)

    def encode(self) -> bytes:
        parts = [wire.short_text(self.opcode, "opcode", wire.IDENTIFIER), wire.u8(len(self.arguments))]
        for key, value in self.arguments:
            parts.append(wire.short_text(key, "argument key", ARGUMENT_KEY))
            parts.append(wire.long_text(value, f"argument {key}"))
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> Command:
        reader = wire.Reader(data, "command")
        opcode = reader.short_text("opcode", wire.IDENTIFIER)
        count = reader.u8("argument count")
        arguments = []
        for index in range(count):
            key = reader.short_text(f"argument {index} key", ARGUMENT_KEY)
            value = reader.long_text(f"argument {key}")
            arguments.append((key, value))
        reader.finish()
        return _construct(cls, opcode, tuple(arguments))


@dataclass(frozen=True)
class PolicyUpdate:
    payload_type: ClassVar[PayloadType] = PayloadType.POLICY_UPDATE
    key: str
    value: str

    def __post_init__(self) -> None:
        if not wire.IDENTIFIER.fullmatch(self.key):
            raise ValueError(f"policy key {self.key!r} is not a valid identifier")

    def encode(self) -> bytes:
        return wire.short_text(self.key, "policy key", wire.IDENTIFIER) + wire.long_text(
            self.value, "policy value"
        )

    @classmethod
    def decode(cls, data: bytes) -> PolicyUpdate:
        reader = wire.Reader(data, "policy update")
        key = reader.short_text("policy key", wire.IDENTIFIER)
        value = reader.long_text("policy value")
        reader.finish()
        return _construct(cls, key, value)


@dataclass(frozen=True)
class RosterRotation:
    payload_type: ClassVar[PayloadType] = PayloadType.ROSTER_ROTATION
    roster: Roster

    def encode(self) -> bytes:
        return self.roster.encode()

    @classmethod
    def decode(cls, data: bytes) -> RosterRotation:
        return cls(Roster.decode(data))


@dataclass(frozen=True)
class KeyRevocation:
    payload_type: ClassVar[PayloadType] = PayloadType.KEY_REVOCATION
    key_id: bytes
    reason: str = ""

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_BYTES:
            raise ValueError(f"key id must be {KEY_ID_BYTES} bytes, got {len(self.key_id)}")

    def encode(self) -> bytes:
        return self.key_id + wire.short_text(self.reason, "revocation reason")

    @classmethod
    def decode(cls, data: bytes) -> KeyRevocation:
        reader = wire.Reader(data, "key revocation")
        key_id = reader.take(KEY_ID_BYTES, "key id")
        reason = reader.short_text("revocation reason")
        reader.finish()
        return _construct(cls, key_id, reason)


@dataclass(frozen=True)
class Proposal:
    """A draft packet put to the council; members answer with votes."""

    payload_type: ClassVar[PayloadType] = PayloadType.PROPOSAL
    draft: Packet
    note: str = ""

    def __post_init__(self) -> None:
        if self.draft.approvals:
            raise ValueError("a proposal carries its draft without approvals")
        if self.draft.header.payload_type not in (
            PayloadType.COMMAND,
            PayloadType.POLICY_UPDATE,
            PayloadType.ROSTER_ROTATION,
            PayloadType.KEY_REVOCATION,
        ):
            raise ValueError("a proposal's draft must be a node packet")

    def encode(self) -> bytes:
        draft = self.draft.encode()
        return wire.u32(len(draft)) + draft + wire.long_text(self.note, "note")

    @classmethod
    def decode(cls, data: bytes) -> Proposal:
        reader = wire.Reader(data, "proposal")
        draft = Packet.decode(reader.take(reader.u32("draft length"), "draft"))
        note = reader.long_text("note")
        reader.finish()
        return _construct(cls, draft, note)


class Decision(IntEnum):
    APPROVE = 1
    REJECT = 2


@dataclass(frozen=True)
class Vote:
    """One member's answer to a proposal. An approving vote carries the member's signature over
    the draft's signed content, so a collector can attach it to the draft."""

    payload_type: ClassVar[PayloadType] = PayloadType.VOTE
    subject_id: bytes  # the draft's content_id
    decision: Decision
    approval_signature: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if len(self.subject_id) != 32:
            raise ValueError(f"subject id must be 32 bytes, got {len(self.subject_id)}")
        if (self.decision == Decision.APPROVE) != bool(self.approval_signature):
            raise ValueError("an approving vote carries a signature, a rejecting one does not")

    def encode(self) -> bytes:
        return (
            self.subject_id
            + wire.u8(self.decision)
            + wire.u16(len(self.approval_signature))
            + self.approval_signature
        )

    @classmethod
    def decode(cls, data: bytes) -> Vote:
        reader = wire.Reader(data, "vote")
        subject_id = reader.take(32, "subject id")
        decision_id = reader.u8("decision")
        try:
            decision = Decision(decision_id)
        except ValueError as exc:
            raise DecodeError(f"vote: unknown decision {decision_id}") from exc
        signature = reader.take(reader.u16("approval signature length"), "approval signature")
        reader.finish()
        return _construct(cls, subject_id, decision, signature)


Payload = Command | PolicyUpdate | RosterRotation | KeyRevocation | Proposal | Vote

_DECODERS: dict[PayloadType, type[Payload]] = {
    PayloadType.COMMAND: Command,
    PayloadType.POLICY_UPDATE: PolicyUpdate,
    PayloadType.ROSTER_ROTATION: RosterRotation,
    PayloadType.KEY_REVOCATION: KeyRevocation,
    PayloadType.PROPOSAL: Proposal,
    PayloadType.VOTE: Vote,
}


def decode_payload(payload_type: PayloadType, data: bytes) -> Payload:
    """Strictly decode a payload of `payload_type`; the re-encoding must equal `data`."""
    payload = _DECODERS[payload_type].decode(data)
    if payload.encode() != bytes(data):
        raise DecodeError(f"{payload_type.label}: not canonical")
    return payload


def _construct(cls: type[_T], *args: Any) -> _T:
    try:
        return cls(*args)
    except ValueError as exc:
        raise DecodeError(f"{cls.__name__}: {exc}") from exc
