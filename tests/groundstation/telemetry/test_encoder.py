"""Encoding packets from the dictionary: byte-identical to struct, and decoded back by the decoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from spacepackets.ccsds.spacepacket import SpacePacketHeader

from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import TelemetryDictionary, demo_dictionary
from groundstation.telemetry.encoder import EncodeError, encode_packet, raw_from_engineering, space_packet
from groundstation.telemetry.frames import TelemetryFrame
from tests.groundstation.telemetry.conftest import T0, reception
from tests.groundstation.telemetry.packets import HealthValues, health_values, pack_health

DEMO = demo_dictionary()
HEALTH = DEMO.packets[0]
INVERSE_ABS = 1e-9


def as_raw(v: HealthValues) -> dict[str, int | float | str | bool]:
    return {
        "uptime": v.uptime_s,
        "battery_voltage": v.battery_mv,
        "battery_soc": v.soc_half_pct,
        "mode": ("safe", "nominal", "payload", "low_power", "detumble")[v.mode],
        "obc_temperature": v.obc_centi_c,
        "battery_temperature": v.battery_centi_c,
        "radio_temperature": v.radio_adc,
        "panel_temperature": v.panel_centi_c,
        "storage_used": v.storage_used_kib,
        "storage_free": v.storage_free_kib,
        "commands_accepted": v.commands_accepted,
        "commands_rejected": v.commands_rejected,
        "roster_epoch": v.roster_epoch,
        "last_accepted_sequence": v.last_sequence,
        "last_rejection_reason": v.rejection_reason,
        "payload_on": bool(v.flags & 1),
        "heater_on": bool(v.flags & 2),
        "adcs_state": (v.flags >> 2) & 3,
        "uplink_rssi": v.rssi_deci_dbm,
        "solar_current": v.solar_current_a,
    }


@settings(max_examples=200, deadline=None)
@given(values=health_values)
def test_same_bytes_as_struct(values: HealthValues) -> None:
    expected = bytearray(pack_health(values))
    expected[41] &= 0b1111  # the dictionary defines flag bits 0..3 only
    assert encode_packet(HEALTH, as_raw(values)) == bytes(expected)


def test_space_packet_header_matches_spacepackets(dictionary: TelemetryDictionary) -> None:
    data = encode_packet(HEALTH, {"mode": "payload", "battery_voltage": 4000})
    packet = space_packet(0x101, data, sequence_count=16_385)
    header = SpacePacketHeader.unpack(packet[:6])
    assert (header.apid, header.seq_count, header.data_len) == (0x101, 1, len(data) - 1)
    frame = TelemetryFrame.from_space_packet("n", packet, reception(T0))
    by_name = {s.parameter: s for s in TelemetryDecoder(dictionary).decode([frame]).samples()}
    assert by_name["mode"].text == "payload"
    assert by_name["battery_voltage"].eng_value == pytest.approx(4.0, abs=INVERSE_ABS)


def test_engineering_to_raw_inverts_the_calibrations(dictionary: TelemetryDictionary) -> None:
    decoder = TelemetryDecoder(dictionary)
    wanted = {
        "battery_voltage": 3.912,
        "battery_soc": 64.5,
        "obc_temperature": -7.25,
        "radio_temperature": 44.0,
    }
    raw = {name: round(raw_from_engineering(dictionary.parameter(name), v)) for name, v in wanted.items()}
    assert raw["radio_temperature"] == 1400  # a table point
    frame = TelemetryFrame("n", 0x101, encode_packet(HEALTH, raw), reception(T0))
    by_name = {s.parameter: s.eng_value for s in decoder.decode([frame]).samples()}
    for name, value in wanted.items():
        assert by_name[name] == pytest.approx(value, abs=INVERSE_ABS), name


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"battery_soc": 256}, "battery_soc: 256 does not fit u8"),
        ({"mode": "sleeping"}, "mode: unknown label 'sleeping'"),
        ({"adcs_state": 4}, "adcs_state: 4 does not fit 2 bits"),
        ({"obc_temperature": 1.5}, "obc_temperature: needs an integer"),
        ({"gyro": 1}, "node_health: no parameter gyro"),
    ],
)
def test_values_that_do_not_fit_are_refused(values: dict[str, int | float | str], message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        encode_packet(HEALTH, values)
