"""Segmentation, bounded reassembly and selective repeat; Space Packets against the CCSDS layout."""

import random
import struct

import pytest

from radios.segmentation import (
    DATA_HEADER_BYTES,
    MTU_AX25,
    MTU_CCSDS_TC,
    Reassembler,
    SegmentError,
    SegmentRequest,
    SegmentSender,
    decode_message,
    segment,
)
from radios.spacepacket import CcsdsPacket, SpacePacketError

GOVERNANCE_SIZES = (3_000, 15_000)


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def test_space_packet_header_follows_ccsds_133():
    raw = CcsdsPacket(apid=0x42, seq_count=5, data=b"hello").pack()
    # version 000, type 1 (TC), no secondary header, APID 0x042 | flags 11 (unsegmented), count 5 | len-1
    assert raw[:6] == struct.pack(">HHH", (1 << 12) | 0x42, (0b11 << 14) | 5, 4)
    assert CcsdsPacket.unpack(raw) == CcsdsPacket(0x42, 5, b"hello")
    tm = CcsdsPacket(apid=0x7FF, seq_count=0x3FFF, data=b"x" * 1000, telecommand=False)
    assert CcsdsPacket.unpack(tm.pack()) == tm


@pytest.mark.parametrize("raw", [b"\x10\x42\xc0\x05\x00\x09hello", b"\x10\x42", b"\x30\x42\xc0\x05\x00\x00h"])
def test_space_packet_refuses_wrong_lengths_and_versions(raw):
    with pytest.raises(SpacePacketError):
        CcsdsPacket.unpack(raw)


@pytest.mark.parametrize("size", GOVERNANCE_SIZES)
@pytest.mark.parametrize("mtu", [MTU_AX25, MTU_CCSDS_TC])
def test_round_trip_fits_the_mtu(size, mtu):
    data = CcsdsPacket(0x10, 1, payload(size)).pack()
    sender, receiver = SegmentSender(mtu), Reassembler()
    _, segments = sender.send(data, channel=3)
    assert all(len(s) <= mtu for s in segments)
    assert len(segments) == -(-len(data) // (mtu - DATA_HEADER_BYTES))
    results = [receiver.receive(s, now_s=0.0) for s in segments]
    assert all(r is None for r in results[:-1])
    assert results[-1] is not None
    assert CcsdsPacket.unpack(results[-1].payload).data == payload(size)


def test_lost_segments_are_requested_resent_and_acknowledged():
    data = payload(15_000, 1)
    sender, receiver = SegmentSender(MTU_AX25), Reassembler(request_delay_s=2.0)
    tid, segments = sender.send(data, channel=1)
    lost = {0, 7, 8, 9, len(segments) - 1}  # first, a run, and the last
    for i, s in enumerate(segments):
        if i not in lost:
            assert receiver.receive(s, now_s=1.0) is None
    assert receiver.missing(1) == sorted(lost)
    assert receiver.requests(now_s=2.0) == []  # not idle long enough yet
    (request,) = receiver.requests(now_s=3.5)
    assert request.missing == ((0, 1), (7, 3), (len(segments) - 1, 1))
    assert receiver.requests(now_s=3.6) == []  # asked once per delay
    resent = sender.answer(request.encode())
    assert [decode_message(r).index for r in resent] == sorted(lost)
    done = [receiver.receive(r, now_s=4.0) for r in resent]
    assert done[-1] is not None
    assert done[-1].payload == data
    (ack,) = receiver.requests(now_s=4.0)
    assert ack.is_ack
    assert (ack.channel, ack.transfer_id) == (1, tid)
    assert sender.answer(ack) == []
    assert (1, tid) in sender.acknowledged


def test_last_segment_with_gaps_requests_at_once():
    sender, receiver = SegmentSender(MTU_AX25), Reassembler(request_delay_s=60.0)
    _, segments = sender.send(payload(3_000), channel=0)
    for s in segments[:3] + segments[4:]:
        receiver.receive(s, now_s=0.0)
    (request,) = receiver.requests(now_s=0.0)
    assert request.indices() == [3]


def test_a_resent_segment_after_completion_is_acknowledged_again():
    sender, receiver = SegmentSender(MTU_AX25), Reassembler()
    _, segments = sender.send(payload(3_000), channel=2)
    for s in segments:
        receiver.receive(s, now_s=0.0)
    assert [r.is_ack for r in receiver.requests(now_s=0.0)] == [True]
    assert receiver.receive(segments[0], now_s=1.0) is None
    assert [r.is_ack for r in receiver.requests(now_s=1.0)] == [True]
    assert receiver.stats.completed == 1


def test_timeout_drops_a_stalled_transfer():
    sender, receiver = SegmentSender(MTU_AX25), Reassembler(timeout_s=30.0)
    _, segments = sender.send(payload(3_000), channel=0)
    receiver.receive(segments[0], now_s=0.0)
    receiver.receive(segments[1], now_s=10.0)
    receiver.expire(now_s=39.0)
    assert receiver.missing(0)  # 29 s idle: still held
    receiver.expire(now_s=41.0)
    assert receiver.missing(0) == []
    assert receiver.held_bytes == 0
    assert receiver.stats.expired == 1


def test_one_transfer_per_channel_and_channels_are_independent():
    sender, receiver = SegmentSender(MTU_AX25), Reassembler()
    _, old = sender.send(payload(3_000, 1), channel=0)
    _, new = sender.send(payload(3_000, 2), channel=0)
    _, other = sender.send(payload(3_000, 3), channel=9)
    receiver.receive(old[0], now_s=0.0)
    results = []
    for a, b in zip(new, other, strict=True):  # interleaved channels
        results += [receiver.receive(a, now_s=0.0), receiver.receive(b, now_s=0.0)]
    got = {r.channel: r.payload for r in results if r is not None}
    assert got == {0: payload(3_000, 2), 9: payload(3_000, 3)}
    assert receiver.stats.replaced == 1


def test_size_cap_and_inconsistent_or_garbage_segments_are_rejected():
    receiver = Reassembler(max_payload_bytes=10_000)
    big = segment(payload(15_000), mtu=MTU_AX25, channel=0, transfer_id=0)
    assert receiver.receive(big[0].encode(), now_s=0.0) is None
    assert receiver.held_bytes == 0
    good = segment(payload(3_000, 1), mtu=MTU_AX25, channel=0, transfer_id=1)
    forged = segment(payload(3_000, 2), mtu=MTU_AX25, channel=0, transfer_id=1)  # same id, other CRC
    receiver.receive(good[0].encode(), now_s=0.0)
    receiver.receive(forged[1].encode(), now_s=0.0)
    receiver.receive(b"\x00garbage", now_s=0.0)
    receiver.receive(SegmentRequest(0, 1, 5).encode(), now_s=0.0)
    assert receiver.stats.rejected == 4
    assert receiver.missing(0) == list(range(1, len(good)))


def test_reordered_segments_reassemble():
    data = payload(15_000, 4)
    _, segments = SegmentSender(MTU_CCSDS_TC).send(data, channel=5)
    random.Random(0).shuffle(segments)
    receiver = Reassembler()
    results = [receiver.receive(s, now_s=0.0) for s in segments]
    assert [r.payload for r in results if r] == [data]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x53\x07",
        b"\x53\x01" + bytes(10),
        b"\x53\x02\x00\x00\x00\x00\x05\x01",  # one range announced, none carried
        b"\x53\x02\x00\x00\x00\x00\x05\x01\x00\x04\x00\x02",  # range 4+2 beyond a count of 5
    ],
)
def test_malformed_messages_raise(raw):
    with pytest.raises(SegmentError):
        decode_message(raw)
