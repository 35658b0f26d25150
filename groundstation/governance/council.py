"""Asynchronous co-signing: a proposal is put to the council, members answer with votes, and a
collector attaches the approving votes' signatures to the draft until it reaches quorum.

A proposal packet carries the unsigned draft and is signed by its proposer; a vote packet is
signed by its voter and, when approving, carries the voter's signature over the draft's signed
content (under the draft's own context), which is exactly the approval the draft needs. Proposal
and vote packets use their own FIPS 204 contexts, so none of their signatures can pass for a node
packet's. They travel as ordinary governance packets addressed to the group "council".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Approval, Packet, PayloadType, Target
from groundstation.governance.payloads import Decision, Proposal, Vote, decode_payload
from groundstation.governance.reasons import DecodeError, Reason
from groundstation.governance.roster import Roster
from groundstation.governance.signing import approve, build_packet

COUNCIL = Target.group("council")


class CouncilError(ValueError):
    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def propose(
    draft: Packet,
    proposer: SigningKey,
    roster: Roster,
    *,
    sequence: int,
    valid_from: datetime,
    valid_for: timedelta,
    note: str = "",
) -> Packet:
    """A proposal packet for `draft` (sent without approvals), signed by `proposer`."""
    unsigned = Packet(draft.header, draft.payload)
    proposal = build_packet(
        roster,
        COUNCIL,
        Proposal(unsigned, note),
        sequence=sequence,
        valid_from=valid_from,
        valid_for=valid_for,
    )
    return approve(proposal, proposer, roster)


def vote(
    proposal_packet: Packet,
    voter: SigningKey,
    roster: Roster,
    decision: Decision,
    *,
    now: datetime,
    sequence: int,
    valid_for: timedelta,
) -> Packet:
    """The voter's answer to a proposal (checked first); an approval carries the draft signature."""
    _, proposal = verify_council_packet(proposal_packet, roster, now=now)
    if not isinstance(proposal, Proposal):
        raise CouncilError(Reason.UNSUPPORTED_PAYLOAD, "not a proposal")
    draft = proposal.draft
    signature = b""
    if decision == Decision.APPROVE:
        signature = voter.sign(draft.signed_bytes, draft.context)
    ballot = Vote(draft.content_id, decision, signature)
    packet = build_packet(roster, COUNCIL, ballot, sequence=sequence, valid_from=now, valid_for=valid_for)
    return approve(packet, voter, roster)


def verify_council_packet(packet: Packet, roster: Roster, *, now: datetime) -> tuple[int, Proposal | Vote]:
    """(signer index, payload) of a proposal or vote signed by one roster member; CouncilError otherwise."""
    header = packet.header
    if header.algorithm != roster.algorithm:
        raise CouncilError(Reason.ALGORITHM_MISMATCH, f"{header.algorithm.label} is not the roster's")
    if header.epoch != roster.epoch:
        raise CouncilError(Reason.WRONG_EPOCH, f"epoch {header.epoch}, roster epoch {roster.epoch}")
    if header.target != COUNCIL:
        raise CouncilError(Reason.WRONG_TARGET, f"addressed to {header.target}, not the council")
    if header.payload_type not in (PayloadType.PROPOSAL, PayloadType.VOTE):
        raise CouncilError(Reason.UNSUPPORTED_PAYLOAD, f"{header.payload_type.label} is not a council packet")
    if len(packet.approvals) != 1:
        raise CouncilError(Reason.MALFORMED, f"{len(packet.approvals)} signatures; a council packet has one")
    (approval,) = packet.approvals
    if approval.signer_index >= roster.size:
        raise CouncilError(Reason.UNKNOWN_SIGNER, f"signer {approval.signer_index} not in the roster")
    member = roster.members[approval.signer_index]
    if not verify_signature(
        roster.algorithm, member.public_key.raw, approval.signature, packet.signed_bytes, packet.context
    ):
        raise CouncilError(Reason.BAD_SIGNATURE, f"signature of {member.name}")
    try:
        payload = decode_payload(header.payload_type, packet.payload)
    except DecodeError as exc:
        raise CouncilError(Reason.MALFORMED, str(exc)) from exc
    if now < header.valid_from:
        raise CouncilError(Reason.NOT_YET_VALID, f"valid from {header.valid_from.isoformat()}")
    if now >= header.valid_until:
        raise CouncilError(Reason.EXPIRED, f"valid until {header.valid_until.isoformat()}")
    assert isinstance(payload, Proposal | Vote)
    return approval.signer_index, payload


def collect(draft: Packet, votes: Iterable[Packet], roster: Roster, *, now: datetime) -> Packet:
    """`draft` with the approvals of every valid approving vote for it attached.

    A vote for another draft, a rejecting vote, or a vote from a signer already counted adds
    nothing; a vote that is forged or whose draft signature does not verify raises CouncilError.
    """
    for packet in votes:
        index, ballot = verify_council_packet(packet, roster, now=now)
        if not isinstance(ballot, Vote):
            raise CouncilError(Reason.UNSUPPORTED_PAYLOAD, "not a vote")
        if ballot.subject_id != draft.content_id or ballot.decision != Decision.APPROVE:
            continue
        if index in draft.signer_indices():
            continue
        member = roster.members[index]
        if not verify_signature(
            roster.algorithm,
            member.public_key.raw,
            ballot.approval_signature,
            draft.signed_bytes,
            draft.context,
        ):
            raise CouncilError(Reason.BAD_SIGNATURE, f"{member.name}'s approval does not sign the draft")
        draft = draft.with_approval(Approval(index, ballot.approval_signature))
    return draft
