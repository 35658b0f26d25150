"""The node-side verifier: one negative test per threat, plus the order of its checks."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from groundstation.governance.algorithms import Algorithm
from groundstation.governance.backends import verify_signature
from groundstation.governance.keys import SigningKey
from groundstation.governance.packet import Approval, Packet, PayloadType, Target
from groundstation.governance.payloads import (
    Command,
    Decision,
    KeyRevocation,
    PolicyUpdate,
    Proposal,
    RosterRotation,
    Vote,
)
from groundstation.governance.reasons import Reason
from groundstation.governance.replay import STATE_FILE
from groundstation.governance.roster import Member, Roster
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from tests.groundstation.governance.conftest import NOW, ONE_HOUR, Council, make_council

ONE_SECOND = timedelta(seconds=1)


def test_quorum_packet_is_accepted_with_its_payload(council: Council, verifier: NodeVerifier):
    verdict = verifier.verify(council.packet().encode(), NOW)
    assert verdict.accepted, str(verdict)
    assert verdict.payload == Command.create("set_mode", {"mode": "safe"})
    assert verdict.packet is not None
    assert verdict.packet.header.sequence == 1


def test_all_members_signing_is_accepted(council: Council, verifier: NodeVerifier):
    assert verifier.verify(council.packet(signers=(0, 1, 2, 3, 4)).encode(), NOW).accepted


def test_forged_signature_is_refused(council: Council, verifier: NodeVerifier):
    packet = council.packet(signers=(0, 1))
    outsider = SigningKey.generate(Algorithm.ML_DSA_65)
    forged = Approval(2, outsider.sign(packet.signed_bytes, packet.context))
    verdict = verifier.verify(packet.with_approval(forged).encode(), NOW)
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_every_single_byte_flip_is_refused(tmp_path: Path):
    # A 1-of-1 ML-DSA-44 council keeps this exhaustive over every byte of the packet quick.
    small = make_council(Algorithm.ML_DSA_44, size=1, quorum=1)
    data = small.packet(signers=(0,)).encode()
    verifier = NodeVerifier(NodeIdentity("sat-1"), small.roster, tmp_path)
    assert verifier.check(data, NOW).accepted
    accepted = []
    for position in range(len(data)):
        for mask in (0x01, 0xFF):
            flipped = bytearray(data)
            flipped[position] ^= mask
            if verifier.check(bytes(flipped), NOW).accepted:
                accepted.append((position, mask))
    assert accepted == []


def test_replay_of_the_same_bytes_is_refused(council: Council, verifier: NodeVerifier):
    data = council.packet().encode()
    assert verifier.verify(data, NOW).accepted
    assert verifier.verify(data, NOW).reason == Reason.REPLAY


def test_replay_with_fresh_signatures_is_refused(council: Council, verifier: NodeVerifier):
    # ML-DSA signing is randomized: the same content re-signed has other signature bytes.
    first, second = council.packet(signers=(0, 1, 2)), council.packet(signers=(2, 3, 4))
    assert first.signed_bytes == second.signed_bytes
    assert first.encode() != second.encode()
    assert verifier.verify(first.encode(), NOW).accepted
    assert verifier.verify(second.encode(), NOW).reason == Reason.REPLAY


def test_replay_survives_a_new_verifier_on_the_same_state(council: Council, tmp_path: Path):
    data = council.packet().encode()
    node = NodeIdentity("sat-1")
    assert NodeVerifier(node, council.roster, tmp_path).verify(data, NOW).accepted
    assert NodeVerifier(node, council.roster, tmp_path).verify(data, NOW).reason == Reason.REPLAY


def test_out_of_order_sequences_inside_the_window_are_accepted_once(council: Council, verifier: NodeVerifier):
    for sequence in (10, 7, 9, 8):
        assert verifier.verify(council.packet(sequence=sequence).encode(), NOW).accepted
    for sequence in (7, 8, 9, 10):
        assert verifier.verify(council.packet(sequence=sequence).encode(), NOW).reason == Reason.REPLAY


def test_sequence_older_than_the_window_is_refused(council: Council, verifier: NodeVerifier):
    assert verifier.verify(council.packet(sequence=100).encode(), NOW).accepted
    assert verifier.verify(council.packet(sequence=100 - 64).encode(), NOW).reason == Reason.REPLAY
    assert verifier.verify(council.packet(sequence=100 - 63).encode(), NOW).accepted


def test_expired_packet_is_refused(council: Council, verifier: NodeVerifier):
    data = council.packet().encode()
    assert verifier.check(data, NOW + ONE_HOUR - ONE_SECOND).accepted
    assert verifier.verify(data, NOW + ONE_HOUR).reason == Reason.EXPIRED


def test_not_yet_valid_packet_is_refused(council: Council, verifier: NodeVerifier):
    data = council.packet().encode()
    assert verifier.verify(data, NOW - ONE_SECOND).reason == Reason.NOT_YET_VALID
    assert verifier.verify(data, NOW).accepted


def test_wrong_target_is_refused(council: Council, verifier: NodeVerifier):
    assert (
        verifier.verify(council.packet(target=Target.node("sat-2")).encode(), NOW).reason
        == Reason.WRONG_TARGET
    )
    other_group = council.packet(target=Target.group("leo-b"), sequence=2).encode()
    assert verifier.verify(other_group, NOW).reason == Reason.WRONG_TARGET


def test_group_target_reaches_its_members(council: Council, verifier: NodeVerifier):
    assert verifier.verify(council.packet(target=Target.group("leo-a")).encode(), NOW).accepted


def test_below_quorum_is_refused(council: Council, verifier: NodeVerifier):
    assert verifier.verify(council.packet(signers=(0, 1)).encode(), NOW).reason == Reason.BELOW_QUORUM
    assert verifier.verify(council.packet(signers=()).encode(), NOW).reason == Reason.BELOW_QUORUM


def test_duplicate_signer_is_refused(council: Council, verifier: NodeVerifier):
    packet = council.packet(signers=(0, 1))
    data = packet.encode()
    # Splice a second approval carrying signer index 1 again (a different, valid signature).
    again = council.keys[1].sign(packet.signed_bytes, packet.context)
    signed = packet.signed_bytes
    sigs = data[len(signed) + 1 :]
    duplicated = signed + bytes([3]) + sigs + bytes([1]) + again
    assert verifier.verify(duplicated, NOW).reason == Reason.DUPLICATE_SIGNER


def test_a_key_cannot_sit_twice_in_a_roster(council: Council):
    members = (*council.roster.members, Member("again", council.keys[0].public_key))
    with pytest.raises(ValueError, match="twice"):
        Roster(1, Algorithm.ML_DSA_65, 3, members)


def test_unknown_signer_index_is_refused(council: Council, verifier: NodeVerifier):
    packet = council.packet(signers=(0, 1, 2))
    stranger = SigningKey.generate(Algorithm.ML_DSA_65)
    data = packet.with_approval(Approval(9, stranger.sign(packet.signed_bytes, packet.context))).encode()
    assert verifier.verify(data, NOW).reason == Reason.UNKNOWN_SIGNER


def test_revoked_key_is_refused_after_its_revocation(council: Council, verifier: NodeVerifier):
    revoked = council.roster.members[4].key_id
    revocation = council.packet(KeyRevocation(revoked, "lost laptop"), signers=(0, 1, 2), sequence=1)
    assert verifier.verify(revocation.encode(), NOW).accepted
    with_revoked = council.packet(signers=(1, 2, 4), sequence=2)
    assert verifier.verify(with_revoked.encode(), NOW).reason == Reason.REVOKED_SIGNER
    assert verifier.verify(council.packet(signers=(0, 1, 3), sequence=3).encode(), NOW).accepted


def test_revocation_that_would_break_the_quorum_is_refused(tmp_path: Path):
    small = make_council(size=3, quorum=3)
    verifier = NodeVerifier(NodeIdentity("sat-1"), small.roster, tmp_path)
    revocation = small.packet(KeyRevocation(small.roster.members[0].key_id), signers=(0, 1, 2))
    assert verifier.verify(revocation.encode(), NOW).reason == Reason.BAD_ROTATION


def test_downgraded_algorithm_is_refused(council: Council, verifier: NodeVerifier):
    weaker = make_council(Algorithm.ML_DSA_44, epoch=council.roster.epoch)
    verdict = verifier.verify(weaker.packet().encode(), NOW)
    assert verdict.reason == Reason.ALGORITHM_MISMATCH


def test_signature_moved_to_another_payload_types_context_is_refused(
    council: Council, verifier: NodeVerifier
):
    packet = council.packet(signers=())
    wrong_context = PayloadType.POLICY_UPDATE.context()
    for index in (0, 1, 2):
        signature = council.keys[index].sign(packet.signed_bytes, wrong_context)
        public = council.keys[index].public_key.raw
        assert verify_signature(Algorithm.ML_DSA_65, public, signature, packet.signed_bytes, wrong_context)
        packet = packet.with_approval(Approval(index, signature))
    assert verifier.verify(packet.encode(), NOW).reason == Reason.BAD_SIGNATURE


def test_contexts_differ_per_payload_type_and_version():
    contexts = {t.context(v) for t in PayloadType for v in (1, 2)}
    assert len(contexts) == 2 * len(PayloadType)
    assert all(len(c) <= 255 for c in contexts)


def test_wrong_epoch_is_refused(council: Council, verifier: NodeVerifier):
    later = dataclasses.replace(council.roster, epoch=2)
    assert verifier.verify(council.packet(roster=later).encode(), NOW).reason == Reason.WRONG_EPOCH


def test_council_payloads_are_not_for_nodes(council: Council, verifier: NodeVerifier):
    draft = council.packet(signers=())
    proposal = council.packet(Proposal(draft, "switch to safe mode"), sequence=5)
    assert verifier.verify(proposal.encode(), NOW).reason == Reason.UNSUPPORTED_PAYLOAD
    vote = council.packet(Vote(draft.content_id, Decision.REJECT), sequence=6)
    assert verifier.verify(vote.encode(), NOW).reason == Reason.UNSUPPORTED_PAYLOAD


def test_signed_but_malformed_payload_is_refused(council: Council, verifier: NodeVerifier):
    good = council.packet(signers=())
    # Arguments out of order: signed by a quorum, but not canonical, so the strict decoder refuses it.
    payload = b"\x08set_mode\x02\x01b\x00\x011\x01a\x00\x012"
    packet = Packet(good.header, payload)
    for index in (0, 1, 2):
        packet = packet.with_approval(
            Approval(index, council.keys[index].sign(packet.signed_bytes, packet.context))
        )
    assert verifier.verify(packet.encode(), NOW).reason == Reason.MALFORMED


def test_roster_rotation_is_adopted_and_retires_the_old_epoch(council: Council, tmp_path: Path):
    node = NodeIdentity("sat-1")
    verifier = NodeVerifier(node, council.roster, tmp_path)
    successor = make_council(size=4, quorum=2, epoch=2)
    rotation = council.packet(RosterRotation(successor.roster), sequence=1)
    assert verifier.verify(rotation.encode(), NOW).accepted
    assert NodeVerifier(node, council.roster, tmp_path).current_roster() == successor.roster
    assert verifier.verify(council.packet(sequence=2).encode(), NOW).reason == Reason.WRONG_EPOCH
    assert verifier.verify(successor.packet(signers=(0, 3), sequence=1).encode(), NOW).accepted


def test_rotation_must_follow_the_current_epoch(council: Council, verifier: NodeVerifier):
    skipping = make_council(epoch=3)
    assert (
        verifier.verify(council.packet(RosterRotation(skipping.roster)).encode(), NOW).reason
        == Reason.BAD_ROTATION
    )


def test_policy_update_is_accepted(council: Council, verifier: NodeVerifier):
    verdict = verifier.verify(council.packet(PolicyUpdate("beacon_interval_s", "30")).encode(), NOW)
    assert verdict.accepted
    assert verdict.payload == PolicyUpdate("beacon_interval_s", "30")


def test_corrupt_state_fails_closed(council: Council, verifier: NodeVerifier):
    verifier.store.directory.mkdir(parents=True)
    (verifier.store.directory / STATE_FILE).write_text("{not json")
    assert verifier.verify(council.packet().encode(), NOW).reason == Reason.STATE_ERROR


def test_state_of_another_node_fails_closed(council: Council, tmp_path: Path):
    assert (
        NodeVerifier(NodeIdentity("sat-9"), council.roster, tmp_path)
        .verify(council.packet(target=Target.node("sat-9")).encode(), NOW)
        .accepted
    )
    assert (
        NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path)
        .verify(council.packet().encode(), NOW)
        .reason
        == Reason.STATE_ERROR
    )


def test_unwritable_state_fails_closed(council: Council, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    verifier = NodeVerifier(NodeIdentity("sat-1"), council.roster, blocker / "state")
    assert verifier.verify(council.packet().encode(), NOW).reason == Reason.STATE_ERROR


def test_cheap_checks_decide_before_signatures(council: Council, verifier: NodeVerifier):
    packet = council.packet(signers=(0, 1), target=Target.node("sat-2"))
    bad = packet.with_approval(Approval(2, bytes(Algorithm.ML_DSA_65.signature_bytes)))
    assert verifier.verify(bad.encode(), NOW).reason == Reason.WRONG_TARGET


def test_signatures_decide_before_the_validity_window(council: Council, verifier: NodeVerifier):
    packet = council.packet(signers=(0, 1))
    bad = packet.with_approval(Approval(2, bytes(Algorithm.ML_DSA_65.signature_bytes)))
    assert verifier.verify(bad.encode(), NOW + 2 * ONE_HOUR).reason == Reason.BAD_SIGNATURE


def test_check_is_a_dry_run(council: Council, verifier: NodeVerifier):
    data = council.packet().encode()
    assert verifier.check(data, NOW).accepted
    assert verifier.check(data, NOW).accepted
    assert verifier.verify(data, NOW).accepted


def test_naive_time_fails_closed(council: Council, verifier: NodeVerifier):
    assert (
        verifier.verify(council.packet().encode(), NOW.replace(tzinfo=None)).reason == Reason.INTERNAL_ERROR
    )


def test_injected_clock_is_used(council: Council, tmp_path: Path):
    class Fixed:
        def now(self):
            return NOW + 2 * ONE_HOUR

    verifier = NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path, clock=Fixed())
    assert verifier.verify(council.packet().encode()).reason == Reason.EXPIRED


@pytest.mark.parametrize("algorithm", list(Algorithm), ids=lambda a: a.label)
def test_every_algorithm_end_to_end(algorithm: Algorithm, tmp_path: Path):
    small = make_council(algorithm, size=3, quorum=2)
    data = small.packet(signers=(0, 2)).encode()
    verifier = NodeVerifier(NodeIdentity("sat-1"), small.roster, tmp_path)
    assert verifier.verify(data, NOW).accepted
    assert verifier.verify(data, NOW).reason == Reason.REPLAY
