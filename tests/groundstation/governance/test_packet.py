"""The packet format: canonical, strict, and total over hostile input (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundstation.governance.packet import MAX_PACKET_BYTES, Packet, PayloadType, Target
from groundstation.governance.payloads import (
    Command,
    Decision,
    KeyRevocation,
    PolicyUpdate,
    Proposal,
    RosterRotation,
    Vote,
    decode_payload,
)
from groundstation.governance.reasons import DecodeError, Reason
from groundstation.governance.verifier import NodeVerifier
from tests.groundstation.governance.conftest import NOW, Council, make_council

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_round_trip_reproduces_the_bytes(council: Council):
    data = council.packet().encode()
    packet = Packet.decode(data)
    assert packet.encode() == data
    assert packet == council.packet().__class__.decode(data)


def test_layout_is_as_documented(council: Council):
    packet = council.packet(signers=())
    data = packet.encode()
    assert data[:4] == b"GSGP"
    assert data[4] == 1
    assert data[5] == 0x02
    assert data[6] == PayloadType.COMMAND
    assert data[-1] == 0  # no signatures yet
    assert packet.signed_bytes == data[:-1]


def test_every_payload_round_trips(council: Council):
    draft = council.packet(signers=())
    payloads = [
        Command.create("reboot"),
        Command.create("set_mode", {"mode": "safe", "after_s": "10"}),
        PolicyUpdate("downlink_rate_bps", "9600"),
        RosterRotation(make_council(size=2, quorum=1, epoch=2).roster),
        KeyRevocation(bytes(range(32)), "compromised"),
        Proposal(draft, "please approve"),
        Vote(draft.content_id, Decision.APPROVE, b"\x01" * 3309),
        Vote(draft.content_id, Decision.REJECT),
    ]
    for payload in payloads:
        encoded = payload.encode()
        assert decode_payload(payload.payload_type, encoded) == payload


@pytest.mark.parametrize(
    ("payload_type", "data"),
    [
        (PayloadType.COMMAND, b"\x06reboot\x00\x00"),  # trailing byte
        (PayloadType.COMMAND, b"\x06reboot"),  # truncated
        (PayloadType.COMMAND, b"\x06reboot\x02\x01a\x00\x01x\x01a\x00\x01y"),  # duplicate key
        (PayloadType.COMMAND, b"\x06reb ot\x00"),  # not an identifier
        (PayloadType.POLICY_UPDATE, b"\x01k\x00\x02\xff\xfe"),  # not UTF-8
        (PayloadType.VOTE, bytes(32) + b"\x03\x00\x00"),  # unknown decision
        (PayloadType.KEY_REVOCATION, bytes(31) + b"\x00"),  # short key id
    ],
)
def test_payload_decoding_is_strict(payload_type: PayloadType, data: bytes):
    with pytest.raises(DecodeError):
        decode_payload(payload_type, data)


def test_trailing_byte_and_truncation_are_malformed(council: Council):
    data = council.packet().encode()
    for bad in (data + b"\x00", data[:-1], data[:10], b""):
        with pytest.raises(DecodeError) as err:
            Packet.decode(bad)
        assert err.value.reason == Reason.MALFORMED


def test_oversized_and_unknown_version(council: Council):
    with pytest.raises(DecodeError) as err:
        Packet.decode(b"GSGP" + bytes(MAX_PACKET_BYTES))
    assert err.value.reason == Reason.OVERSIZED
    data = bytearray(council.packet().encode())
    data[4] = 2
    with pytest.raises(DecodeError) as err:
        Packet.decode(bytes(data))
    assert err.value.reason == Reason.UNSUPPORTED_VERSION


def test_target_syntax():
    assert Target.parse("sat-1") == Target.node("sat-1")
    assert str(Target.parse("group:leo-a")) == "group:leo-a"
    with pytest.raises(ValueError, match="identifier"):
        Target.node("two words")


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_without_raising(verifier: NodeVerifier, data: bytes):
    verdict = verifier.check(data, NOW)
    assert not verdict.accepted
    assert verdict.reason not in (None, "internal_error")


@FUZZ
@given(st.data())
def test_truncated_and_extended_packets_are_refused(
    council: Council, verifier: NodeVerifier, data: st.DataObject
):
    packet = council.packet().encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(packet) - 1))
    extra = data.draw(st.binary(min_size=1, max_size=64))
    for bad in (packet[:cut], packet + extra):
        verdict = verifier.check(bad, NOW)
        assert verdict.reason in (Reason.MALFORMED, Reason.OVERSIZED), str(verdict)


@FUZZ
@given(st.integers(min_value=1, max_value=4096), st.binary(min_size=1, max_size=64))
def test_oversized_inputs_are_refused(council: Council, verifier: NodeVerifier, excess: int, filler: bytes):
    packet = council.packet().encode()
    padding = (filler * (MAX_PACKET_BYTES // len(filler) + excess))[: MAX_PACKET_BYTES - len(packet) + excess]
    data = packet + padding
    assert len(data) == MAX_PACKET_BYTES + excess
    assert verifier.check(data, NOW).reason == Reason.OVERSIZED


@FUZZ
@given(st.binary(max_size=2048))
def test_header_prefixed_garbage_never_crashes_the_decoder(data: bytes):
    try:
        packet = Packet.decode(b"GSGP\x01\x02\x01\x01" + data)
    except DecodeError:
        return
    assert packet.encode() == b"GSGP\x01\x02\x01\x01" + data
