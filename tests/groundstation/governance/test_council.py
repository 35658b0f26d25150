"""Asynchronous co-signing through proposal and vote packets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from groundstation.governance.backends import verify_signature
from groundstation.governance.council import (
    COUNCIL,
    CouncilError,
    collect,
    propose,
    verify_council_packet,
    vote,
)
from groundstation.governance.packet import Packet
from groundstation.governance.payloads import Decision, Proposal
from groundstation.governance.reasons import Reason
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from tests.groundstation.governance.conftest import NOW, ONE_HOUR, Council

ONE_DAY = timedelta(days=1)


def _proposal(council: Council) -> tuple[Packet, Packet]:
    draft = council.packet(signers=())
    proposal = propose(
        draft,
        council.keys[0],
        council.roster,
        sequence=1,
        valid_from=NOW,
        valid_for=ONE_DAY,
        note="enter safe mode before the storm",
    )
    return draft, Packet.decode(proposal.encode())


def _vote(council: Council, proposal: Packet, member: int, decision: Decision = Decision.APPROVE) -> Packet:
    ballot = vote(
        proposal,
        council.keys[member],
        council.roster,
        decision,
        now=NOW,
        sequence=10 + member,
        valid_for=ONE_DAY,
    )
    return Packet.decode(ballot.encode())  # as received over the wire


def test_votes_collected_into_a_quorum_packet_a_node_accepts(council: Council, tmp_path: Path):
    draft, proposal = _proposal(council)
    index, payload = verify_council_packet(proposal, council.roster, now=NOW)
    assert index == 0
    assert isinstance(payload, Proposal)
    assert payload.note.startswith("enter safe mode")
    votes = [_vote(council, proposal, m) for m in (4, 2)]
    partial = collect(draft, votes, council.roster, now=NOW)
    assert partial.signer_indices() == (2, 4)
    verifier = NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path)
    assert verifier.check(partial.encode(), NOW).reason == Reason.BELOW_QUORUM
    # A later vote arrives; repeated and rejecting votes add nothing.
    more = [_vote(council, proposal, 1), votes[0], _vote(council, proposal, 3, Decision.REJECT)]
    final = collect(partial, more, council.roster, now=NOW)
    assert final.signer_indices() == (1, 2, 4)
    assert verifier.verify(final.encode(), NOW).accepted


def test_vote_signature_cannot_be_passed_off_as_a_draft_approval(council: Council):
    draft, proposal = _proposal(council)
    ballot = _vote(council, proposal, 1)
    # The vote packet's own signature is under the vote context, over other bytes.
    assert ballot.context != draft.context
    forged_vote_sig = ballot.approvals[0].signature
    assert not verify_signature(
        council.roster.algorithm,
        council.keys[1].public_key.raw,
        forged_vote_sig,
        draft.signed_bytes,
        draft.context,
    )


def test_vote_for_another_draft_adds_nothing(council: Council):
    draft, proposal = _proposal(council)
    other = council.packet(signers=(), sequence=99)
    assert collect(other, [_vote(council, proposal, 1)], council.roster, now=NOW).approvals == ()
    assert draft.content_id != other.content_id


def test_forged_vote_is_refused(council: Council):
    _, proposal = _proposal(council)
    ballot = _vote(council, proposal, 1)
    data = bytearray(ballot.encode())
    data[-5] ^= 0x01
    with pytest.raises(CouncilError) as err:
        collect(council.packet(signers=()), [Packet.decode(bytes(data))], council.roster, now=NOW)
    assert err.value.reason == Reason.BAD_SIGNATURE


def test_expired_proposal_cannot_be_voted_on(council: Council):
    _, proposal = _proposal(council)
    with pytest.raises(CouncilError) as err:
        vote(
            proposal,
            council.keys[1],
            council.roster,
            Decision.APPROVE,
            now=NOW + ONE_DAY,
            sequence=3,
            valid_for=ONE_HOUR,
        )
    assert err.value.reason == Reason.EXPIRED


def test_council_packets_are_addressed_to_the_council(council: Council):
    _, proposal = _proposal(council)
    assert proposal.header.target == COUNCIL
    with pytest.raises(CouncilError) as err:
        verify_council_packet(council.packet(), council.roster, now=NOW)
    assert err.value.reason == Reason.WRONG_TARGET
