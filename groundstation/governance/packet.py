"""The governance packet: a canonical, versioned binary envelope.

    offset  size  field
    0       4     magic "GSGP"
    4       1     format version (1)
    5       1     algorithm id (algorithms.Algorithm)
    6       1     payload type (PayloadType)
    7       1     target kind (1 node, 2 node group)
    8       4     roster epoch
    12      8     sequence number
    20      8     valid from, Unix seconds (UTC)
    28      8     valid until, Unix seconds (UTC), exclusive, > valid from
    36      1     target name length L, then L bytes of target name (identifier)
    37+L    4     payload length P, then P bytes of typed payload (payloads.py)
    ---- everything above is the signed content ----
            1     signature count S, then S × (signer index u8 ‖ signature of the algorithm's fixed size),
                  signer indices strictly increasing

Big-endian throughout. Every field has one encoding, so decoding is strict (exact lengths, no
trailing bytes) and re-encoding reproduces the input. Each payload type signs under its own FIPS
204 context string, which also names the format version.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import IntEnum

from groundstation.governance import wire
from groundstation.governance.algorithms import Algorithm
from groundstation.governance.reasons import DecodeError, Reason

MAGIC = b"GSGP"
FORMAT_VERSION = 1
MAX_PACKET_BYTES = 65_536
MAX_PAYLOAD_BYTES = 16_384
MAX_SIGNATURES = 255
_FIXED_HEADER_BYTES = 37
_FIXED_HEADER = struct.Struct(">4sBBBBIQQQ")  # everything before the target name
_MIN_PACKET_BYTES = _FIXED_HEADER_BYTES + 1 + 4 + 1  # target of 1 byte, empty payload, no signatures


class PayloadType(IntEnum):
    COMMAND = 1
    POLICY_UPDATE = 2
    ROSTER_ROTATION = 3
    KEY_REVOCATION = 4
    PROPOSAL = 5  # council only: a draft packet put to the council
    VOTE = 6  # council only: one member's vote on a proposal, carrying its approval

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_label(cls, text: str) -> PayloadType:
        for member in cls:
            if member.label == text.strip().lower().replace("_", "-"):
                return member
        raise ValueError(f"unknown payload type {text!r} (known: {', '.join(m.label for m in cls)})")

    def context(self, version: int = FORMAT_VERSION) -> bytes:
        """The FIPS 204 context string: distinct per payload type and format version."""
        return f"groundstation/governance/v{version}/{self.label}".encode("ascii")


NODE_PAYLOADS = frozenset(
    {PayloadType.COMMAND, PayloadType.POLICY_UPDATE, PayloadType.ROSTER_ROTATION, PayloadType.KEY_REVOCATION}
)


class TargetKind(IntEnum):
    NODE = 1
    GROUP = 2


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    name: str

    def __post_init__(self) -> None:
        if not wire.IDENTIFIER.fullmatch(self.name):
            raise ValueError(f"target {self.name!r} is not a valid identifier")

    @classmethod
    def node(cls, name: str) -> Target:
        return cls(TargetKind.NODE, name)

    @classmethod
    def group(cls, name: str) -> Target:
        return cls(TargetKind.GROUP, name)

    @classmethod
    def parse(cls, text: str) -> Target:
        """`NODE` or `group:NAME`."""
        if text.startswith("group:"):
            return cls.group(text.removeprefix("group:"))
        return cls.node(text)

    def __str__(self) -> str:
        return self.name if self.kind == TargetKind.NODE else f"group:{self.name}"


@dataclass(frozen=True)
class Header:
    algorithm: Algorithm
    payload_type: PayloadType
    target: Target
    epoch: int
    sequence: int
    valid_from_s: int
    valid_until_s: int
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if not 0 <= self.epoch <= 0xFFFFFFFF:
            raise ValueError(f"epoch {self.epoch} outside 0..2^32-1")
        for name in ("sequence", "valid_from_s", "valid_until_s"):
            value = getattr(self, name)
            if not 0 <= value < 2**64:
                raise ValueError(f"{name} {value} outside 0..2^64-1")
        if self.valid_until_s <= self.valid_from_s:
            raise ValueError(
                f"valid_until_s {self.valid_until_s} must be after valid_from_s {self.valid_from_s}"
            )

    @property
    def valid_from(self) -> datetime:
        return datetime.fromtimestamp(self.valid_from_s, UTC)

    @property
    def valid_until(self) -> datetime:
        return datetime.fromtimestamp(self.valid_until_s, UTC)

    @property
    def context(self) -> bytes:
        return self.payload_type.context(self.version)

    def encode(self) -> bytes:
        return b"".join(
            [
                MAGIC,
                wire.u8(self.version),
                wire.u8(self.algorithm),
                wire.u8(self.payload_type),
                wire.u8(self.target.kind),
                wire.u32(self.epoch),
                wire.u64(self.sequence),
                wire.u64(self.valid_from_s),
                wire.u64(self.valid_until_s),
                wire.short_text(self.target.name, "target", wire.IDENTIFIER),
            ]
        )


@dataclass(frozen=True)
class Approval:
    """One council member's signature over the packet's signed content."""

    signer_index: int
    signature: bytes = field(repr=False)


@dataclass(frozen=True)
class Packet:
    header: Header
    payload: bytes = field(repr=False)  # the typed payload's canonical encoding (payloads.py)
    approvals: tuple[Approval, ...] = ()

    def __post_init__(self) -> None:
        if len(self.payload) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(self.payload)} bytes, at most {MAX_PAYLOAD_BYTES}")
        indices = [a.signer_index for a in self.approvals]
        if indices != sorted(set(indices)):
            raise ValueError(f"signer indices must be strictly increasing, got {indices}")
        for approval in self.approvals:
            if not 0 <= approval.signer_index <= 0xFF:
                raise ValueError(f"signer index {approval.signer_index} outside 0..255")
            if len(approval.signature) != self.header.algorithm.signature_bytes:
                raise ValueError(
                    f"signature of signer {approval.signer_index} is {len(approval.signature)} bytes, "
                    f"{self.header.algorithm.label} has {self.header.algorithm.signature_bytes}"
                )

    @functools.cached_property
    def signed_bytes(self) -> bytes:
        """The exact bytes every approval signs."""
        return self.header.encode() + wire.u32(len(self.payload)) + self.payload

    @property
    def context(self) -> bytes:
        return self.header.context

    @functools.cached_property
    def content_id(self) -> bytes:
        """SHA-256 of the signed content: the same for every set of approvals of one packet."""
        return hashlib.sha256(self.signed_bytes).digest()

    def signer_indices(self) -> tuple[int, ...]:
        return tuple(a.signer_index for a in self.approvals)

    def with_approval(self, approval: Approval) -> Packet:
        if approval.signer_index in self.signer_indices():
            raise ValueError(f"signer {approval.signer_index} has already approved this packet")
        approvals = tuple(sorted((*self.approvals, approval), key=lambda a: a.signer_index))
        return replace(self, approvals=approvals)

    def encode(self) -> bytes:
        parts = [self.signed_bytes, wire.u8(len(self.approvals))]
        for approval in self.approvals:
            parts.append(wire.u8(approval.signer_index))
            parts.append(approval.signature)
        data = b"".join(parts)
        if len(data) > MAX_PACKET_BYTES:
            raise ValueError(f"packet is {len(data)} bytes, at most {MAX_PACKET_BYTES}")
        return data

    @classmethod
    def decode(cls, data: bytes) -> Packet:
        """Strict structural decode (the typed payload is decoded later, by payloads.decode_payload).

        Raises DecodeError whose `reason` is malformed, oversized, unsupported_version or
        duplicate_signer.
        """
        if len(data) > MAX_PACKET_BYTES:
            raise DecodeError(f"packet is {len(data)} bytes, at most {MAX_PACKET_BYTES}", Reason.OVERSIZED)
        if len(data) < _MIN_PACKET_BYTES:
            raise DecodeError(f"packet is {len(data)} bytes, at least {_MIN_PACKET_BYTES}")
        (
            magic,
            version,
            algorithm_id,
            payload_type_id,
            target_kind_id,
            epoch,
            sequence,
            valid_from_s,
            valid_until_s,
        ) = _FIXED_HEADER.unpack_from(data)
        if magic != MAGIC:
            raise DecodeError("packet: bad magic")
        if version != FORMAT_VERSION:
            raise DecodeError(f"packet: unsupported format version {version}", Reason.UNSUPPORTED_VERSION)
        try:
            algorithm = Algorithm(algorithm_id)
            payload_type = PayloadType(payload_type_id)
            target_kind = TargetKind(target_kind_id)
        except ValueError as exc:
            raise DecodeError(f"packet: {exc}") from exc
        reader = wire.Reader(data, "packet")
        reader.take(_FIXED_HEADER.size, "header")
        target_name = reader.short_text("target", wire.IDENTIFIER)
        payload_length = reader.u32("payload length")
        if payload_length > MAX_PAYLOAD_BYTES:
            raise DecodeError(f"packet: payload length {payload_length} above {MAX_PAYLOAD_BYTES}")
        payload = reader.take(payload_length, "payload")
        count = reader.u8("signature count")
        expected = count * (1 + algorithm.signature_bytes)
        if reader.remaining() != expected:
            raise DecodeError(
                f"packet: {count} {algorithm.label} signatures need {expected} bytes, "
                f"{reader.remaining()} follow"
            )
        approvals = []
        previous = -1
        position = reader.position
        size = algorithm.signature_bytes
        for _ in range(count):  # lengths already checked: slice directly
            index = data[position]
            if index == previous:
                raise DecodeError(f"packet: signer {index} appears twice", Reason.DUPLICATE_SIGNER)
            if index < previous:
                raise DecodeError(f"packet: signer indices not increasing ({previous} then {index})")
            previous = index
            approvals.append(Approval(index, bytes(data[position + 1 : position + 1 + size])))
            position += 1 + size
        reader.take(expected, "signatures")
        reader.finish()
        try:
            header = Header(
                algorithm,
                payload_type,
                Target(target_kind, target_name),
                epoch,
                sequence,
                valid_from_s,
                valid_until_s,
            )
            packet = cls(header, payload, tuple(approvals))
        except ValueError as exc:
            raise DecodeError(f"packet: {exc}") from exc
        # Canonical by construction (payload and signatures are taken verbatim); the header,
        # the one part rebuilt from parsed values, is checked against the input anyway.
        header_end = _FIXED_HEADER_BYTES + len(target_name.encode("utf-8"))
        if header.encode() != bytes(data[:header_end]):
            raise DecodeError("packet: not canonical")
        packet.__dict__["signed_bytes"] = bytes(data[: header_end + 4 + payload_length])
        return packet
