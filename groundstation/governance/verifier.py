"""The node-side verifier: accepts a governance packet only when a quorum of the current roster
signed it, for this node, inside its validity window, and never twice.

Flight software and the node simulator use it as is: it needs only `cryptography` and the
standard library, and it takes time explicitly (`now=`) or from an injected clock.

Checks run from cheap to expensive, and the first failure decides the reason:
lengths and version → algorithm pinned by the roster, epoch → target, payload type → replay
pre-check → signatures (quorum, signer known, not revoked, each valid) → strict payload decode and
its rules → validity window → persist the replay state (write, fsync, rename) → accept.
Anything unexpected rejects (fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from groundstation.governance.backends import DEFAULT_BACKEND, Backend, verify_signature
from groundstation.governance.packet import NODE_PAYLOADS, Packet, TargetKind
from groundstation.governance.payloads import KeyRevocation, Payload, RosterRotation, decode_payload
from groundstation.governance.reasons import DecodeError, Reason
from groundstation.governance.replay import NodeState, StateError, StateStore
from groundstation.governance.roster import Roster


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    groups: frozenset[str] = frozenset()

    def is_target(self, packet: Packet) -> bool:
        target = packet.header.target
        if target.kind == TargetKind.NODE:
            return target.name == self.node_id
        return target.name in self.groups


@dataclass(frozen=True)
class Verdict:
    """The outcome. `reason` is None exactly when the packet was accepted."""

    reason: Reason | None
    detail: str = ""
    packet: Packet | None = None
    payload: Payload | None = None

    @property
    def accepted(self) -> bool:
        return self.reason is None

    def __str__(self) -> str:
        return "accepted" if self.reason is None else f"{self.reason.value}: {self.detail}"


class _RejectError(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class NodeVerifier:
    """Verifies packets for one node whose persisted state lives in `state_dir`.

    `roster` is the roster installed on the node (its trust anchor); a roster adopted later
    through a quorum-signed rotation is kept in the state directory and takes over.
    """

    def __init__(
        self,
        node: NodeIdentity,
        roster: Roster,
        state_dir: Path,
        *,
        clock: Clock | None = None,
        backend: Backend = DEFAULT_BACKEND,
    ) -> None:
        self.node = node
        self.installed_roster = roster
        self.store = StateStore(Path(state_dir), node.node_id)
        self.clock = clock
        self.backend = backend

    def current_roster(self) -> Roster:
        """The roster in force (raises StateError when the state is unreadable)."""
        return self._current(self.store.load())

    def check(self, data: bytes, now: datetime | None = None) -> Verdict:
        """Every check except persisting: a dry run that changes nothing."""
        try:
            state = self.store.load()
            packet, payload = self._check(data, self._now(now), state)
        except _RejectError as exc:
            return Verdict(exc.reason, str(exc))
        except StateError as exc:
            return Verdict(Reason.STATE_ERROR, str(exc))
        except Exception as exc:  # fail closed on anything unforeseen
            return Verdict(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        return Verdict(None, "", packet, payload)

    def verify(self, data: bytes, now: datetime | None = None) -> Verdict:
        """Check the packet and, if it passes, persist the replay state durably; then accept."""
        try:
            moment = self._now(now)
            state = self.store.load()
            packet, payload = self._check(data, moment, state)  # unlocked: the expensive part
            with self.store.locked():
                state = self.store.load()  # another process may have accepted meanwhile
                packet, payload = self._check(data, moment, state, signatures=False)  # signers re-checked
                self.store.save(self._apply(state, packet, payload))
        except _RejectError as exc:
            return Verdict(exc.reason, str(exc))
        except StateError as exc:
            return Verdict(Reason.STATE_ERROR, str(exc))
        except Exception as exc:  # fail closed on anything unforeseen
            return Verdict(Reason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
        return Verdict(None, "", packet, payload)

    # --- internals

    def _now(self, now: datetime | None) -> datetime:
        if now is None:
            if self.clock is None:
                raise ValueError("no time given and no clock injected")
            now = self.clock.now()
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(UTC)

    def _current(self, state: NodeState) -> Roster:
        adopted = state.roster
        if adopted is None or adopted.epoch < self.installed_roster.epoch:
            return self.installed_roster
        if adopted.epoch == self.installed_roster.epoch and adopted != self.installed_roster:
            raise StateError(f"adopted and installed rosters differ at epoch {adopted.epoch}")
        return adopted

    def _check(
        self, data: bytes, now: datetime, state: NodeState, *, signatures: bool = True
    ) -> tuple[Packet, Payload]:
        roster = self._current(state)
        try:
            packet = Packet.decode(data)
        except DecodeError as exc:
            raise _RejectError(exc.reason, str(exc)) from exc
        header = packet.header
        if header.algorithm != roster.algorithm:
            raise _RejectError(
                Reason.ALGORITHM_MISMATCH,
                f"packet uses {header.algorithm.label}, the roster pins {roster.algorithm.label}",
            )
        if header.epoch != roster.epoch:
            raise _RejectError(
                Reason.WRONG_EPOCH, f"packet epoch {header.epoch}, roster epoch {roster.epoch}"
            )
        if not self.node.is_target(packet):
            raise _RejectError(
                Reason.WRONG_TARGET, f"packet is for {header.target}, this is {self.node.node_id}"
            )
        if header.payload_type not in NODE_PAYLOADS:
            raise _RejectError(
                Reason.UNSUPPORTED_PAYLOAD, f"{header.payload_type.label} packets are for the council"
            )
        if state.window(header.epoch).seen(header.sequence):
            raise _RejectError(
                Reason.REPLAY, f"sequence {header.sequence} of epoch {header.epoch} already seen"
            )
        self._check_signatures(packet, roster, state, verify_math=signatures)
        try:
            payload = decode_payload(header.payload_type, packet.payload)
        except DecodeError as exc:
            raise _RejectError(Reason.MALFORMED, str(exc)) from exc
        self._check_payload_rules(payload, roster, state)
        if now < header.valid_from:
            raise _RejectError(Reason.NOT_YET_VALID, f"valid from {header.valid_from.isoformat()}")
        if now >= header.valid_until:
            raise _RejectError(Reason.EXPIRED, f"valid until {header.valid_until.isoformat()}")
        return packet, payload

    def _check_signatures(
        self, packet: Packet, roster: Roster, state: NodeState, *, verify_math: bool
    ) -> None:
        approvals = packet.approvals
        if len(approvals) < roster.quorum:
            raise _RejectError(Reason.BELOW_QUORUM, f"{len(approvals)} signatures, quorum is {roster.quorum}")
        for approval in approvals:  # cheap checks on every signer before any signature math
            if approval.signer_index >= roster.size:
                raise _RejectError(
                    Reason.UNKNOWN_SIGNER, f"signer {approval.signer_index} not in a roster of {roster.size}"
                )
            member = roster.members[approval.signer_index]
            if member.key_id in state.revoked:
                raise _RejectError(
                    Reason.REVOKED_SIGNER, f"signer {approval.signer_index} ({member.name}) is revoked"
                )
        if not verify_math:
            return
        message, context = packet.signed_bytes, packet.context
        for approval in approvals:
            member = roster.members[approval.signer_index]
            if not verify_signature(
                roster.algorithm, member.public_key.raw, approval.signature, message, context, self.backend
            ):
                raise _RejectError(
                    Reason.BAD_SIGNATURE, f"signature of signer {approval.signer_index} ({member.name})"
                )

    @staticmethod
    def _check_payload_rules(payload: Payload, roster: Roster, state: NodeState) -> None:
        if isinstance(payload, RosterRotation):
            new = payload.roster
            if new.epoch != roster.epoch + 1:
                raise _RejectError(
                    Reason.BAD_ROTATION, f"new roster epoch {new.epoch}, expected {roster.epoch + 1}"
                )
            revoked = [m.name for m in new.members if m.key_id in state.revoked]
            if revoked:
                raise _RejectError(Reason.BAD_ROTATION, f"new roster includes revoked key of {revoked[0]}")
        elif isinstance(payload, KeyRevocation):
            remaining = sum(1 for m in roster.members if m.key_id not in state.revoked | {payload.key_id})
            if remaining < roster.quorum:
                raise _RejectError(
                    Reason.BAD_ROTATION,
                    f"revocation would leave {remaining} usable keys for a quorum of {roster.quorum}",
                )

    @staticmethod
    def _apply(state: NodeState, packet: Packet, payload: Payload) -> NodeState:
        header = packet.header
        state = state.with_window(header.epoch, state.window(header.epoch).accept(header.sequence))
        if isinstance(payload, RosterRotation):
            state = replace(state, roster=payload.roster)
        elif isinstance(payload, KeyRevocation):
            state = replace(state, revoked=state.revoked | {payload.key_id})
        return state
