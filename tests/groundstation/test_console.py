"""The command console's logic: actions to packets, link cost against the field-checked frame
counts, approvals checked by dilithium-py (an independent FIPS 204 implementation), quorum,
sequence numbers and lifecycle lines."""

from datetime import UTC, datetime, timedelta

import pytest
from dilithium_py.ml_dsa import ML_DSA_65

from groundstation.commanding import CommandState, Transition
from groundstation.console import (
    ACTIONS,
    ComposeError,
    action,
    approve_with,
    compose,
    next_sequence,
    packet_facts,
    transition_text,
)
from groundstation.governance.keystore import KeyStore, KeyStoreError
from groundstation.governance.packet import Target
from groundstation.governance.payloads import Command, KeyRevocation, PolicyUpdate
from groundstation.sim.scenario import Council
from ui.operations import write_demo_keys

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Field notes (checked on this machine): a packet with three ML-DSA-65 signatures needs 11
# 1024-byte CCSDS TC frames of 994 usable bytes.
TC_FRAMES_3_OF_5_ML_DSA_65 = 11


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    keys = write_demo_keys(Council.demo(0), tmp_path_factory.mktemp("council"))
    return keys


def test_each_action_builds_its_payload(council):
    roster = council.roster
    target = Target.node("NODE-01-01")
    built = {
        a.name: compose(a, {f.name: f.default for f in a.fields} | {"member": "erin"}, target, roster, 7, T0)
        for a in ACTIONS
    }
    assert built["set_mode"].payload == Command.create("set_mode", {"mode": "nominal"}).encode()
    assert (
        built["set_telemetry_period"].payload
        == Command.create("set_telemetry_period", {"period_s": "20"}).encode()
    )
    assert built["low_power_soc_pct"].payload == PolicyUpdate("low_power_soc_pct", "30").encode()
    erin = next(m for m in roster.members if m.name == "erin")
    assert built["key_revocation"].payload == KeyRevocation(erin.key_id, "key lost").encode()
    for packet in built.values():
        assert packet.header.sequence == 7
        assert packet.header.epoch == roster.epoch
        assert packet.header.valid_until - packet.header.valid_from == timedelta(hours=6)
    assert {a.name for a in ACTIONS if a.critical} == {"clear_storage", "reboot", "key_revocation"}


@pytest.mark.parametrize(
    ("name", "values", "message"),
    [
        ("set_telemetry_period", {"period_s": "fast"}, "period_s: must be a number, got 'fast'"),
        ("set_telemetry_period", {"period_s": "0.5"}, "period_s: must be within [1, 3600], got 0.5"),
        ("low_power_soc_pct", {"value": "120"}, "value: must be within [0, 100], got 120"),
        ("key_revocation", {"member": "mallory"}, "member: 'mallory' is not in the roster of epoch 1"),
    ],
)
def test_bad_fields_are_named(council, name, values, message):
    with pytest.raises(ComposeError) as exc:
        compose(action(name), values, Target.node("NODE-01-01"), council.roster, 1, T0)
    assert str(exc.value) == message


def test_approvals_verify_with_dilithium_py_and_count_towards_quorum(council):
    roster = council.roster
    keys = KeyStore(council.keys)
    packet = compose(action("set_mode"), {"mode": "payload"}, Target.group("fleet"), roster, 3, T0)
    assert not packet_facts(packet, roster).has_quorum
    with pytest.raises(KeyStoreError):
        approve_with(packet, keys, "alice", b"not alice", roster)
    for member in ("alice", "carol", "erin"):
        packet = approve_with(packet, keys, member, member.encode(), roster)
    with pytest.raises(ComposeError, match="already approved"):
        approve_with(packet, keys, "carol", b"carol", roster)
    facts = packet_facts(packet, roster)
    assert facts.approvers == ("alice", "carol", "erin")
    assert facts.has_quorum
    assert facts.quorum_text == "3 of 3 approvals (5 members): quorum reached"
    assert facts.size_bytes == len(packet.encode())
    assert facts.frames_ccsds_tc == TC_FRAMES_3_OF_5_ML_DSA_65
    assert facts.frames_ax25 > facts.frames_ccsds_tc
    for approval in packet.approvals:
        member = roster.members[approval.signer_index]
        assert ML_DSA_65.verify(
            member.public_key.raw, packet.signed_bytes, approval.signature, ctx=packet.context
        )


def test_sequence_numbers_count_per_epoch():
    class Record:
        def __init__(self, epoch, sequence):
            self.epoch, self.sequence = epoch, sequence

    records = [Record(1, 4), Record(1, 9), Record(2, 2)]
    assert next_sequence(records, 1) == 10
    assert next_sequence(records, 2) == 3
    assert next_sequence(records, 3) == 1


def test_transition_lines_say_where_and_why():
    step = Transition(5, "NODE-01-04", T0, CommandState.REJECTED, "Delft", 1, "replay", "execution: none")
    assert transition_text(step) == (
        "2026-11-22 12:00:00Z  #5 NODE-01-04 rejected via Delft (attempt 1): replay — execution: none"
    )
