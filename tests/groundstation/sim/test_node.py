"""A simulated node over the air link: it verifies what it hears with its own persisted replay
state, executes accepted actions, and reports every verdict (with the verifier's reason code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundstation.governance.packet import Target
from groundstation.governance.payloads import Command, PolicyUpdate
from groundstation.governance.signing import build_packet
from groundstation.governance_link import AX25, uplink_frames
from groundstation.link_protocol import classify_downlink
from groundstation.sim.node import REPORT_REPEATS, NodeConfig, SimNode
from groundstation.sim.node_telemetry import HEALTH_APID, REPORT_APID
from groundstation.sim.scenario import MEMBERS, QUORUM, Council
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.frames import Reception, TelemetryFrame
from radios.airlink import AirLink
from radios.ax25 import Frame
from radios.channel import ChannelConfig
from radios.packet_modem import PacketModem
from radios.sdr import RadioSettings

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
RATE_HZ = 96_000.0
NAME, CALL = "NODE-01-01", "N900"


class Clear:
    """A strong, steady path (the node's logic is under test here, not the channel)."""

    def channel(self, transmitter, receiver, tx_frequency_hz, rx_frequency_hz, sample_rate_hz):
        return ChannelConfig(sample_rate_hz=sample_rate_hz, ebn0_db=25.0, bit_rate_bps=9600.0, seed=1)


@pytest.fixture(scope="module")
def council() -> Council:
    return Council.demo(seed=5)


def make_node(council: Council, state_dir: Path, name: str = "node") -> tuple[SimNode, PacketModem]:
    link = AirLink(Clear())
    settings = RadioSettings(RATE_HZ, 435.5e6)
    ground_radio, node_radio = link.radio("station:Delft", settings), link.radio(f"node:{name}", settings)
    for radio in (ground_radio, node_radio):
        radio.open()
        radio.start_rx()
    config = NodeConfig(NAME, 900, CALL, telemetry_period_s=60.0, soc=0.7)
    node = SimNode(config, council.roster, state_dir, PacketModem(node_radio), T0, lambda _t: True)
    return node, PacketModem(ground_radio)


def signed(council: Council, payload, sequence: int, target: str = NAME):
    packet = build_packet(
        council.roster,
        Target.node(target),
        payload,
        sequence=sequence,
        valid_from=T0,
        valid_for=timedelta(hours=2),
    )
    return council.sign(packet, council.roster, MEMBERS[:QUORUM])


def uplink(ground: PacketModem, packet, transfer_id: int, skip: tuple[int, ...] = ()) -> int:
    segments = uplink_frames(packet.encode(), AX25, transfer_id=transfer_id)
    ground.send([Frame.ui("DELFT", CALL, s) for i, s in enumerate(segments) if i not in skip])
    return len(segments)


def answer(ground: PacketModem) -> dict[str, list]:
    """The node's answer as heard on the ground: requests, reports (decoded), health packets."""
    decoder = TelemetryDecoder(demo_dictionary())
    out: dict[str, list] = {"requests": [], "reports": [], "health": []}
    for item in ground.receive():
        downlink = classify_downlink(item.frame.info)
        assert downlink is not None
        if downlink.request is not None:
            out["requests"].append(downlink.request)
            continue
        frame = TelemetryFrame.from_space_packet(
            NAME, downlink.packet, Reception("Delft", T0, 435.5e6, None, "t")
        )
        values = {s.parameter: s for s in decoder.decode([frame]).samples()}
        out["reports" if frame.apid == REPORT_APID else "health"].append(values)
        assert frame.apid in (REPORT_APID, HEALTH_APID)
    return out


def test_an_accepted_command_is_executed_acknowledged_and_reported(council, tmp_path):
    node, ground = make_node(council, tmp_path)
    uplink(ground, signed(council, Command.create("set_mode", {"mode": "payload"}), 1), transfer_id=3)
    node.transmit(node.poll(T0))
    heard = answer(ground)
    assert [(r.transfer_id, r.is_ack) for r in heard["requests"]] == [(3, True)]
    (report,) = heard["reports"]
    assert (report["gov_verdict"].text, report["gov_reason"].text, report["gov_execution"].text) == (
        "accepted",
        "none",
        "executed",
    )
    assert report["gov_sequence"].raw_value == 1
    (health,) = heard["health"]
    assert health["mode"].text == "payload"
    assert (health["commands_accepted"].raw_value, health["last_accepted_sequence"].raw_value) == (1, 1)
    assert node.mode == "payload"


def test_replay_state_survives_a_restart(council, tmp_path):
    packet = signed(council, Command.create("set_mode", {"mode": "safe"}), 9)
    node, ground = make_node(council, tmp_path)
    uplink(ground, packet, transfer_id=1)
    node.poll(T0)
    assert node.commands_accepted == 1
    rebooted, ground = make_node(council, tmp_path, "again")  # same state directory
    uplink(ground, packet, transfer_id=2)
    rebooted.transmit(rebooted.poll(T0 + timedelta(minutes=5)))
    (report,) = answer(ground)["reports"]
    assert (report["gov_verdict"].text, report["gov_reason"].text) == ("rejected", "replay")
    assert rebooted.last_rejection_reason is not None
    assert rebooted.last_rejection_reason.value == "replay"


@pytest.mark.parametrize(
    ("payload", "execution", "check"),
    [
        (
            Command.create("set_telemetry_period", {"period_s": "20"}),
            "executed",
            lambda n: (
                n.telemetry_period_s == 20.0 and n.next_beacon_s(T0.timestamp()) == T0.timestamp() + 20.0
            ),
        ),
        (
            Command.create("set_telemetry_period", {"period_s": "1"}),
            "bad_argument",
            lambda n: n.telemetry_period_s == 60,
        ),
        (Command.create("reboot"), "executed", lambda n: n.uptime_s(T0) == 0.0 and n.mode == "safe"),
        (Command.create("clear_storage"), "executed", lambda n: n.storage_used_kib == 0.0),
        (Command.create("self_destruct"), "unknown_opcode", lambda n: n.mode == "nominal"),
        (PolicyUpdate("low_power_soc_pct", "35"), "executed", lambda n: n.low_power_soc_pct == 35.0),
        (PolicyUpdate("colour", "blue"), "unsupported", lambda n: True),
    ],
)
def test_actions(council, tmp_path, payload, execution, check):
    node, ground = make_node(council, tmp_path)
    uplink(ground, signed(council, payload, 4), transfer_id=4)
    node.transmit(node.poll(T0))
    (report,) = answer(ground)["reports"]
    assert report["gov_execution"].text == execution
    assert check(node)


def test_a_packet_for_another_node_is_refused_with_its_reason(council, tmp_path):
    node, ground = make_node(council, tmp_path)
    uplink(ground, signed(council, Command.create("reboot"), 5, target="NODE-02-01"), transfer_id=5)
    node.transmit(node.poll(T0))
    (report,) = answer(ground)["reports"]
    assert (report["gov_verdict"].text, report["gov_reason"].text) == ("rejected", "wrong_target")
    assert node.commands_rejected == 1
    assert node.uptime_s(T0) > 0


def test_a_lost_segment_is_asked_for_and_nothing_is_verified_before(council, tmp_path):
    node, ground = make_node(council, tmp_path)
    count = uplink(ground, signed(council, Command.create("clear_storage"), 6), transfer_id=6, skip=(3,))
    node.transmit(node.poll(T0))  # the last segment came with a gap before it: asked for at once
    (request,) = answer(ground)["requests"]
    assert request.indices() == [3]
    assert node.receiver.verifications == 0
    tail, ground = make_node(council, tmp_path / "tail", "tail")
    uplink(ground, signed(council, Command.create("clear_storage"), 7), transfer_id=7, skip=(count - 1,))
    tail.transmit(tail.poll(T0))  # the last one is lost: nothing to ask yet, only health
    assert answer(ground)["requests"] == []
    assert tail.has_incomplete_transfer()
    later = T0 + timedelta(seconds=tail.receiver.reassembler.request_delay_s + 0.1)
    tail.transmit(tail.poll(later))
    (request,) = answer(ground)["requests"]
    assert request.indices() == [count - 1]


def test_beacons_repeat_a_report_then_stop(council, tmp_path):
    node, ground = make_node(council, tmp_path)
    uplink(ground, signed(council, Command.create("clear_storage"), 7), transfer_id=7)
    node.poll(T0)
    counts = []
    for k in range(REPORT_REPEATS + 1):
        node.transmit(node.beacon(T0 + timedelta(minutes=k + 1)))
        counts.append(len(answer(ground)["reports"]))
    assert counts == [1] * REPORT_REPEATS + [0]
