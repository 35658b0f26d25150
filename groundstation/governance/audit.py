"""Ground side: an append-only, hash-chained audit log of governance packets.

One JSON object per line; each entry's `hash` is SHA-256 over the previous entry's hash and the
entry's canonical JSON, so editing or removing any entry breaks the chain. A head file beside the
log holds the entry count and last hash, so removing entries from the end is detected too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
HEAD_SUFFIX = ".head"


class AuditEvent(StrEnum):
    CREATED = "created"
    APPROVED = "approved"  # one more signature
    SIGNED = "signed"  # quorum reached
    QUEUED = "queued"
    # The command lifecycle on the link (groundstation.commanding): released at AOS, sent,
    # delivered (the node's segment acknowledgement), accepted or rejected by the node, retried,
    # or expired before it was accepted.
    RELEASED = "released"
    SENT = "sent"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETRIED = "retried"
    EXPIRED = "expired"


@dataclass(frozen=True)
class AuditEntry:
    index: int
    at: datetime
    event: AuditEvent
    actor: str
    packet_id: str  # hex content id of the packet
    details: dict[str, Any]
    previous: str
    hash: str


class AuditError(ValueError):
    """The log does not verify; the message names the line."""


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _entry_hash(previous: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + _canonical(body)).hexdigest()


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + HEAD_SUFFIX)

    def append(
        self,
        event: AuditEvent,
        *,
        actor: str,
        packet_id: bytes,
        at: datetime,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        if at.tzinfo is None:
            raise ValueError("audit times must be timezone-aware")
        count, previous = self._head()
        body = {
            "index": count,
            "at": at.isoformat(),
            "event": event.value,
            "actor": actor,
            "packet": packet_id.hex(),
            "details": details or {},
            "prev": previous,
        }
        digest = _entry_hash(previous, body)
        line = _canonical({**body, "hash": digest}) + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._write_head(count + 1, digest)
        return AuditEntry(count, at, event, actor, packet_id.hex(), details or {}, previous, digest)

    def entries(self) -> list[AuditEntry]:
        """Every entry, after verifying the whole chain (raises AuditError)."""
        return self._read(check=True)

    def verify(self) -> int:
        """Number of entries; raises AuditError naming the first bad line."""
        return len(self._read(check=True))

    def _read(self, *, check: bool) -> list[AuditEntry]:
        entries: list[AuditEntry] = []
        previous = GENESIS
        try:
            lines = self.path.read_bytes().split(b"\n") if self.path.exists() else [b""]
        except OSError as exc:
            raise AuditError(f"{self.path}: {exc.strerror}") from exc
        if lines[-1] != b"":
            raise AuditError(f"{self.path}:{len(lines)}: incomplete last line")
        for number, raw in enumerate(lines[:-1], start=1):
            where = f"{self.path}:{number}"
            try:
                document = json.loads(raw)
                digest = document.pop("hash")
                entry = AuditEntry(
                    document["index"],
                    datetime.fromisoformat(document["at"]),
                    AuditEvent(document["event"]),
                    document["actor"],
                    document["packet"],
                    document["details"],
                    document["prev"],
                    digest,
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise AuditError(f"{where}: not an audit entry ({exc})") from exc
            if check:
                if entry.index != number - 1:
                    raise AuditError(
                        f"{where}: entry index {entry.index}, expected {number - 1} (removed entry?)"
                    )
                if entry.previous != previous:
                    raise AuditError(
                        f"{where}: chain broken (previous hash does not match line {number - 1})"
                    )
                if (
                    _entry_hash(previous, document) != digest
                    or _canonical({**document, "hash": digest}) != raw
                ):
                    raise AuditError(f"{where}: entry was modified (hash mismatch)")
            previous = digest
            entries.append(entry)
        if check:
            count, head = self._head()
            if (count, head) != (len(entries), previous):
                raise AuditError(
                    f"{self.head_path}: head records {count} entries ending {head[:16]}…, "
                    f"the log has {len(entries)} ending {previous[:16]}… (entries removed from the end?)"
                )
        return entries

    def _head(self) -> tuple[int, str]:
        try:
            document = json.loads(self.head_path.read_text(encoding="ascii"))
            return int(document["count"]), str(document["hash"])
        except FileNotFoundError:
            return 0, GENESIS
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{self.head_path}: unreadable ({exc})") from exc

    def _write_head(self, count: int, digest: str) -> None:
        temporary = self.head_path.with_name(self.head_path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, _canonical({"count": count, "hash": digest}) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.head_path)
