"""A signed packet cut into link frames, reassembled on the node and verified exactly once."""

from __future__ import annotations

import random
from pathlib import Path

from groundstation.governance.reasons import Reason
from groundstation.governance.verifier import NodeIdentity, NodeVerifier
from groundstation.governance_link import AX25, CCSDS_TC, GovernanceReceiver, uplink_frames
from radios.spacepacket import CcsdsPacket
from tests.groundstation.governance.conftest import NOW, Council

# Field notes: ML-DSA-65 with 3 signatures needs 11 CCSDS TC frames of 1024 bytes (994 usable).
TC_FRAMES_3_SIGNATURES = 11
TC_USABLE_BYTES = 994


def _receiver(council: Council, tmp_path: Path) -> GovernanceReceiver:
    return GovernanceReceiver(NodeVerifier(NodeIdentity("sat-1"), council.roster, tmp_path))


def test_frame_budget_matches_the_field_notes(council: Council):
    packet = council.packet()
    frames = uplink_frames(packet, CCSDS_TC, transfer_id=1)
    assert CCSDS_TC.payload_bytes_per_frame == TC_USABLE_BYTES
    assert len(frames) == TC_FRAMES_3_SIGNATURES == CCSDS_TC.frames_needed(len(packet.encode()))
    assert all(len(f) <= CCSDS_TC.space_packet_bytes for f in frames)
    assert all(len(f) <= AX25.frame_bytes for f in uplink_frames(packet, AX25, transfer_id=2))


def test_reordered_duplicated_frames_are_verified_once(council: Council, tmp_path: Path):
    frames = uplink_frames(council.packet(), CCSDS_TC, transfer_id=7)
    shuffled = frames + frames[3:6]
    random.Random(4).shuffle(shuffled)
    receiver = _receiver(council, tmp_path)
    verdicts = [v for v in (receiver.receive(f, NOW) for f in shuffled) if v is not None]
    assert len(verdicts) == 1
    assert verdicts[0].accepted
    # The whole transfer sent again (our acknowledgement was lost): nothing is verified twice.
    assert [receiver.receive(f, NOW) for f in frames] == [None] * len(frames)
    assert receiver.verifications == 1


def test_ax25_frames_carry_a_packet_a_node_accepts(council: Council, tmp_path: Path):
    frames = uplink_frames(council.packet(), AX25, transfer_id=3)
    receiver = _receiver(council, tmp_path)
    verdicts = [v for v in (receiver.receive(f, NOW) for f in frames) if v is not None]
    assert [v.accepted for v in verdicts] == [True]
    assert receiver.last_packet == council_packet_bytes(verdicts[0])


def council_packet_bytes(verdict) -> bytes:
    assert verdict.packet is not None
    return verdict.packet.encode()


def test_missing_frame_means_no_verification_and_a_repeat_request(council: Council, tmp_path: Path):
    frames = uplink_frames(council.packet(), CCSDS_TC, transfer_id=5)
    receiver = _receiver(council, tmp_path)
    for frame in frames[:4] + frames[5:]:
        assert receiver.receive(frame, NOW) is None
    requests = receiver.reassembler.requests(NOW.timestamp())
    assert [r.indices() for r in requests] == [[4]]
    assert receiver.verifications == 0
    verdict = receiver.receive(frames[4], NOW)
    assert verdict is not None
    assert verdict.accepted


def test_replayed_packet_in_a_new_transfer_is_refused(council: Council, tmp_path: Path):
    packet = council.packet()
    receiver = _receiver(council, tmp_path)
    results = [receiver.receive(f, NOW) for f in uplink_frames(packet, CCSDS_TC, transfer_id=1)]
    assert results[-1] is not None
    again = [receiver.receive(f, NOW) for f in uplink_frames(packet, CCSDS_TC, transfer_id=2)]
    assert again[-1] is not None
    assert again[-1].reason == Reason.REPLAY


def test_foreign_space_packets_are_ignored(council: Council, tmp_path: Path):
    receiver = _receiver(council, tmp_path)
    assert receiver.receive(CcsdsPacket(0x10, 0, b"telemetry").pack(), NOW) is None
    assert receiver.receive(b"\x00", NOW) is None
    assert receiver.foreign == 2
