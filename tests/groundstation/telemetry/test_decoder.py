"""Decoding frames against packets built by independent means (struct, spacepackets)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import PacketType, SpacePacket, SpacePacketHeader

from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import TableCalibration, TelemetryDictionary, demo_dictionary
from groundstation.telemetry.frames import FrameError, TelemetryFrame
from tests.groundstation.telemetry.conftest import T0, FrameFactory, reception
from tests.groundstation.telemetry.packets import HealthValues, health_values, pack_health

EXACT = 1e-12
F32_RELATIVE = 1e-7  # float32 keeps ~7 significant digits
DEMO = demo_dictionary()


def space_packet(apid: int, data: bytes, seq_count: int = 5) -> bytes:
    header = SpacePacketHeader(PacketType.TM, apid=apid, seq_count=seq_count, data_len=len(data) - 1)
    return bytes(SpacePacket(header, None, data).pack())


def natural_spline(xs: list[float], ys: list[float], x: float) -> float:
    """Textbook natural cubic spline (second derivatives from the tridiagonal system)."""
    n = len(xs)
    h = [xs[i + 1] - xs[i] for i in range(n - 1)]
    a = np.zeros((n, n))
    b = np.zeros(n)
    a[0, 0] = a[-1, -1] = 1.0
    for i in range(1, n - 1):
        a[i, i - 1], a[i, i], a[i, i + 1] = h[i - 1], 2 * (h[i - 1] + h[i]), h[i]
        b[i] = 6 * ((ys[i + 1] - ys[i]) / h[i] - (ys[i] - ys[i - 1]) / h[i - 1])
    m = np.linalg.solve(a, b)
    i = max(0, min(n - 2, int(np.searchsorted(xs, x, side="right")) - 1))
    t0, t1 = xs[i + 1] - x, x - xs[i]
    return float(
        (m[i] * t0**3 + m[i + 1] * t1**3) / (6 * h[i])
        + (ys[i] / h[i] - m[i] * h[i] / 6) * t0
        + (ys[i + 1] / h[i] - m[i + 1] * h[i] / 6) * t1
    )


def test_space_packet_from_spacepackets_decodes(dictionary: TelemetryDictionary) -> None:
    values = HealthValues(
        battery_mv=3712, soc_half_pct=131, mode=0, obc_centi_c=-1234, last_sequence=2**40 + 7
    )
    frame = TelemetryFrame.from_space_packet(
        "node-7", space_packet(0x101, pack_health(values), 99), reception(T0)
    )
    assert (frame.apid, frame.sequence_count, len(frame.data)) == (0x101, 99, 48)
    result = TelemetryDecoder(dictionary).decode([frame])
    assert result.rejected == ()
    by_name = {s.parameter: s for s in result.samples()}
    assert by_name["battery_voltage"].eng_value == pytest.approx(3.712, abs=EXACT)
    assert by_name["battery_voltage"].raw_value == 3712
    assert by_name["battery_soc"].eng_value == pytest.approx(65.5, abs=EXACT)
    assert by_name["mode"].text == "safe"
    assert by_name["obc_temperature"].eng_value == pytest.approx(-12.34, abs=EXACT)
    assert by_name["last_accepted_sequence"].raw_value == 2**40 + 7
    assert by_name["last_rejection_reason"].text == "replay"
    assert by_name["uplink_rssi"].eng_value == pytest.approx(-105.0, abs=EXACT)
    assert by_name["solar_current"].eng_value == pytest.approx(0.75, rel=F32_RELATIVE)
    assert by_name["uptime"].unit == "s"
    assert all(s.node == "node-7" and s.time == T0 for s in by_name.values())


@pytest.mark.parametrize(
    ("flags", "payload", "heater", "adcs"),
    [
        (0b0000, "false", "false", "off"),
        (0b0001, "true", "false", "off"),
        (0b0010, "false", "true", "off"),
        (0b1101, "true", "false", "fine_pointing"),
        (0b1111_0110, "false", "true", "detumbling"),
    ],
)
def test_bit_fields(
    dictionary: TelemetryDictionary,
    health_frame: FrameFactory,
    flags: int,
    payload: str,
    heater: str,
    adcs: str,
) -> None:
    result = TelemetryDecoder(dictionary).decode([health_frame(flags=flags)])
    by_name = {s.parameter: s.text for s in result.samples()}
    assert (by_name["payload_on"], by_name["heater_on"], by_name["adcs_state"]) == (payload, heater, adcs)


def test_thermistor_spline_matches_textbook_spline(
    dictionary: TelemetryDictionary, health_frame: FrameFactory
) -> None:
    cal = dictionary.parameter("radio_temperature").calibration
    assert isinstance(cal, TableCalibration)
    adc = [400, 555, 800, 1000, 1400, 2048, 2222, 3000, 3800]
    result = TelemetryDecoder(dictionary).decode([health_frame(radio_adc=a) for a in adc])
    eng = result.batches[0].column("radio_temperature").eng
    for a, got in zip(adc, eng, strict=True):
        assert got == pytest.approx(natural_spline(list(cal.raw_points), list(cal.eng_points), a), abs=1e-9)
    # Clamped outside the table: no wild extrapolation from a shorted or open thermistor.
    outside = TelemetryDecoder(dictionary).decode([health_frame(radio_adc=0), health_frame(radio_adc=4095)])
    assert outside.batches[0].column("radio_temperature").eng.tolist() == [95.0, -35.0]


def test_batch_equals_one_by_one(dictionary: TelemetryDictionary) -> None:
    rng = np.random.default_rng(7)
    frames = [
        TelemetryFrame(f"n{i % 3}", 0x101, rng.bytes(48), reception(T0 + timedelta(seconds=i)))
        for i in range(300)
    ]
    decoder = TelemetryDecoder(dictionary)
    batch = list(decoder.decode(frames).samples())
    single = [s for f in frames for s in decoder.decode([f]).samples()]
    assert len(batch) == len(single) == 300 * 20

    def same(a: float, b: float) -> bool:
        return a == b or (np.isnan(a) and np.isnan(b))

    for a, b in zip(batch, single, strict=True):
        assert (a.node, a.parameter, a.time, a.text) == (b.node, b.parameter, b.time, b.text)
        assert same(a.raw_value, b.raw_value)
        assert same(a.eng_value, b.eng_value)


def test_unknown_apid_and_short_frames_are_rejected_not_dropped(dictionary: TelemetryDictionary) -> None:
    good = TelemetryFrame("n", 0x101, pack_health(HealthValues()), reception(T0))
    short = TelemetryFrame("n", 0x101, b"\x00" * 40, reception(T0))
    alien = TelemetryFrame("n", 0x3FF, b"\x01\x02", reception(T0))
    result = TelemetryDecoder(dictionary).decode([good, short, alien])
    assert result.frame_count == 3
    assert [len(b.frames) for b in result.batches] == [1]
    reasons = sorted(r.reason for r in result.rejected)
    assert reasons == ["node_health: 40 of 48 bytes", "unknown APID 0x3ff"]


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (b"\x08\x01\xc0\x00\x00", "shorter than header"),
        (bytes([0x18, 0x01, 0xC0, 0x00, 0x00, 0x00, 0x00]), "telecommand"),
        (bytes([0x28, 0x01, 0xC0, 0x00, 0x00, 0x00, 0x00]), "version 1"),
        (bytes([0x08, 0x01, 0xC0, 0x00, 0x00, 0x05, 0x00]), "says 12 bytes, got 7"),
    ],
)
def test_malformed_space_packets(packet: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        TelemetryFrame.from_space_packet("n", packet, reception(T0))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(health_values, min_size=1, max_size=20))
def test_any_packed_values_decode_back(values: list[HealthValues]) -> None:
    decoder = TelemetryDecoder(DEMO)
    frames = [TelemetryFrame("n", 0x101, pack_health(v), reception(T0)) for v in values]
    (batch,) = decoder.decode(frames).batches
    expected_raw = {
        "uptime": [v.uptime_s for v in values],
        "battery_voltage": [v.battery_mv for v in values],
        "obc_temperature": [v.obc_centi_c for v in values],
        "storage_free": [v.storage_free_kib for v in values],
        "last_accepted_sequence": [v.last_sequence for v in values],
        "uplink_rssi": [v.rssi_deci_dbm for v in values],
        "adcs_state": [(v.flags >> 2) & 0b11 for v in values],
        "heater_on": [(v.flags >> 1) & 1 for v in values],
    }
    for name, raws in expected_raw.items():
        assert batch.column(name).raw.tolist() == raws, name
    assert batch.column("battery_soc").eng.tolist() == [v.soc_half_pct * 0.5 for v in values]
    assert batch.column("solar_current").eng.tolist() == [v.solar_current_a for v in values]
    assert batch.column("mode").text == tuple(
        ("safe", "nominal", "payload", "low_power", "detumble")[v.mode] for v in values
    )
