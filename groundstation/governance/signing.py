"""Ground side: build a governance packet and add council approvals to it."""

from __future__ import annotations

from datetime import datetime, timedelta

from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Approval, Header, Packet, Target
from groundstation.governance.payloads import Payload
from groundstation.governance.roster import Roster


def build_packet(
    roster: Roster,
    target: Target,
    payload: Payload,
    *,
    sequence: int,
    valid_from: datetime,
    valid_for: timedelta,
) -> Packet:
    """An unsigned packet for `roster` (its epoch and pinned algorithm), valid for `valid_for`
    from `valid_from` (rounded down to whole seconds; the window is at least one second)."""
    if valid_from.tzinfo is None:
        raise ValueError("valid_from must be timezone-aware")
    start_s = int(valid_from.timestamp())
    duration_s = int(valid_for.total_seconds())
    if duration_s < 1:
        raise ValueError(f"validity must be at least one second, got {valid_for.total_seconds()} s")
    header = Header(
        algorithm=roster.algorithm,
        payload_type=payload.payload_type,
        target=target,
        epoch=roster.epoch,
        sequence=sequence,
        valid_from_s=start_s,
        valid_until_s=start_s + duration_s,
    )
    return Packet(header, payload.encode())


def sign_approval(packet: Packet, key: SigningKey, roster: Roster) -> Approval:
    """`key`'s signature over the packet's signed content, checked before it is returned."""
    if packet.header.epoch != roster.epoch or packet.header.algorithm != roster.algorithm:
        raise ValueError(
            f"packet is for epoch {packet.header.epoch} ({packet.header.algorithm.label}), "
            f"roster is epoch {roster.epoch} ({roster.algorithm.label})"
        )
    index = roster.index_of(key.public_key.key_id)
    if index is None:
        raise ValueError(
            f"key {key.public_key.key_id.hex()[:16]}… is not in the roster of epoch {roster.epoch}"
        )
    signature = key.sign(packet.signed_bytes, packet.context)
    if not verify_signature(
        roster.algorithm, key.public_key.raw, signature, packet.signed_bytes, packet.context
    ):
        raise RuntimeError("a fresh signature did not verify: the signing key is broken")
    return Approval(index, signature)


def approve(packet: Packet, key: SigningKey, roster: Roster) -> Packet:
    """The packet with one more approval, by `key` (which must be a roster member)."""
    approval = sign_approval(packet, key, roster)
    return packet.with_approval(approval)


def has_quorum(packet: Packet, roster: Roster) -> bool:
    return len(packet.approvals) >= roster.quorum
