"""The council roster: members' public keys, the quorum k of n, the epoch, the pinned algorithm.

Two encodings: canonical binary (inside roster-rotation packets) and JSON (the roster file
operators pass around). Both decode strictly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from groundstation.governance import wire
from groundstation.governance.algorithms import Algorithm
from groundstation.governance.keys import PublicKey
from groundstation.governance.reasons import DecodeError

ROSTER_MAGIC = b"GSRS"
ROSTER_VERSION = 1
ROSTER_FILE_FORMAT = "groundstation-roster/1"
MAX_MEMBERS = 255
MAX_EPOCH = 0xFFFFFFFF


@dataclass(frozen=True)
class Member:
    name: str
    public_key: PublicKey

    def __post_init__(self) -> None:
        if not wire.IDENTIFIER.fullmatch(self.name):
            raise ValueError(f"member name {self.name!r} is not a valid identifier")

    @property
    def key_id(self) -> bytes:
        return self.public_key.key_id


@dataclass(frozen=True)
class Roster:
    epoch: int
    algorithm: Algorithm
    quorum: int
    members: tuple[Member, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.epoch <= MAX_EPOCH:
            raise ValueError(f"epoch {self.epoch} outside 0..{MAX_EPOCH}")
        if not 1 <= len(self.members) <= MAX_MEMBERS:
            raise ValueError(f"a roster has 1..{MAX_MEMBERS} members, got {len(self.members)}")
        if not 1 <= self.quorum <= len(self.members):
            raise ValueError(f"quorum {self.quorum} outside 1..{len(self.members)} (members)")
        for member in self.members:
            if member.public_key.algorithm != self.algorithm:
                raise ValueError(
                    f"member {member.name} has a {member.public_key.algorithm.label} key; "
                    f"the roster pins {self.algorithm.label}"
                )
        if len({m.name for m in self.members}) != len(self.members):
            raise ValueError("member names must be unique")
        if len({m.public_key.raw for m in self.members}) != len(self.members):
            raise ValueError("a public key appears twice in the roster")

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def fingerprint(self) -> bytes:
        return hashlib.sha256(self.encode()).digest()

    def index_of(self, key_id: bytes) -> int | None:
        for index, member in enumerate(self.members):
            if member.key_id == key_id:
                return index
        return None

    def member_named(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    # --- canonical binary

    def encode(self) -> bytes:
        parts = [
            ROSTER_MAGIC,
            wire.u8(ROSTER_VERSION),
            wire.u8(self.algorithm),
            wire.u32(self.epoch),
            wire.u8(self.quorum),
            wire.u8(len(self.members)),
        ]
        for member in self.members:
            parts.append(wire.short_text(member.name, "member name", wire.IDENTIFIER))
            parts.append(member.public_key.raw)
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> Roster:
        reader = wire.Reader(data, "roster")
        if reader.take(4, "magic") != ROSTER_MAGIC:
            raise DecodeError("roster: bad magic")
        version = reader.u8("version")
        if version != ROSTER_VERSION:
            raise DecodeError(f"roster: unsupported version {version}")
        algorithm = _algorithm(reader.u8("algorithm"))
        epoch = reader.u32("epoch")
        quorum = reader.u8("quorum")
        count = reader.u8("member count")
        members = []
        for index in range(count):
            name = reader.short_text(f"member {index} name", wire.IDENTIFIER)
            raw = reader.take(algorithm.public_key_bytes, f"member {index} public key")
            members.append(Member(name, PublicKey(algorithm, raw)))
        reader.finish()
        try:
            roster = cls(epoch, algorithm, quorum, tuple(members))
        except ValueError as exc:
            raise DecodeError(f"roster: {exc}") from exc
        if roster.encode() != bytes(data):
            raise DecodeError("roster: not canonical")
        return roster

    # --- JSON file

    def to_json(self) -> str:
        document = {
            "format": ROSTER_FILE_FORMAT,
            "epoch": self.epoch,
            "algorithm": self.algorithm.label,
            "quorum": self.quorum,
            "members": [
                {"name": m.name, "key_id": m.key_id.hex(), "public_key_hex": m.public_key.raw.hex()}
                for m in self.members
            ],
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "roster") -> Roster:
        """Strict: every field present with the right type, no unknown field; errors name the field."""
        try:
            document = json.loads(text, object_pairs_hook=_no_duplicates)
        except (json.JSONDecodeError, ValueError) as exc:
            raise ValueError(f"{source}: not a roster file: {exc}") from exc
        fields = {"format", "epoch", "algorithm", "quorum", "members"}
        _exact_fields(document, fields, source)
        if document["format"] != ROSTER_FILE_FORMAT:
            raise ValueError(f"{source}: format: expected {ROSTER_FILE_FORMAT!r}, got {document['format']!r}")
        epoch = _int(document["epoch"], f"{source}: epoch")
        quorum = _int(document["quorum"], f"{source}: quorum")
        if not isinstance(document["algorithm"], str):
            raise ValueError(f"{source}: algorithm: expected a string")
        algorithm = Algorithm.from_label(document["algorithm"])
        if not isinstance(document["members"], list):
            raise ValueError(f"{source}: members: expected a list")
        members = []
        for index, entry in enumerate(document["members"]):
            where = f"{source}: members[{index}]"
            _exact_fields(entry, {"name", "key_id", "public_key_hex"}, where)
            try:
                raw = bytes.fromhex(entry["public_key_hex"])
                member = Member(entry["name"], PublicKey(algorithm, raw))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{where}: {exc}") from exc
            if entry["key_id"] != member.key_id.hex():
                raise ValueError(f"{where}.key_id does not match the public key")
            members.append(member)
        try:
            return cls(epoch, algorithm, quorum, tuple(members))
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from exc


def _algorithm(value: int) -> Algorithm:
    try:
        return Algorithm(value)
    except ValueError as exc:
        raise DecodeError(f"unknown algorithm id 0x{value:02x}") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate field {key!r}")
        result[key] = value
    return result


def _exact_fields(document: object, fields: set[str], where: str) -> None:
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected an object")
    missing = fields - document.keys()
    unknown = document.keys() - fields
    if missing:
        raise ValueError(f"{where}: missing field {sorted(missing)[0]!r}")
    if unknown:
        raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}")


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where}: expected an integer")
    return value
