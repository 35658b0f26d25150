"""Rotator limits, device URIs and the simulated rotator/rig chosen by `sim:`."""

from __future__ import annotations

import pytest

from radios.errors import DeviceConfigError, LimitError
from radios.registry import DeviceAddress, open_rig, open_rotator, parse_device_uri
from radios.rig import RigMode
from radios.rotator import Pointing, RotatorLimits
from radios.simulated import SimulatedRotator

ANGLE_TOLERANCE_DEG = 1e-9


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.mark.parametrize(
    ("uri", "kind", "expected"),
    [
        ("rotctld://127.0.0.1:4533", "rotator", DeviceAddress("rotctld", host="127.0.0.1", port=4533)),
        ("rotctld://station.local", "rotator", DeviceAddress("rotctld", host="station.local", port=4533)),
        ("rotctld://[::1]:5000", "rotator", DeviceAddress("rotctld", host="::1", port=5000)),
        ("gs232:/dev/ttyUSB0", "rotator", DeviceAddress("gs232", device="/dev/ttyUSB0", baud=9600)),
        ("gs232a:/dev/ttyUSB1@1200", "rotator", DeviceAddress("gs232a", device="/dev/ttyUSB1", baud=1200)),
        (
            "easycomm:/dev/ttyACM0@19200",
            "rotator",
            DeviceAddress("easycomm", device="/dev/ttyACM0", baud=19200),
        ),
        (
            "easycomm:socket://10.0.0.5:4000",
            "rotator",
            DeviceAddress("easycomm", device="socket://10.0.0.5:4000", baud=9600),
        ),
        ("sim:", "rotator", DeviceAddress("sim")),
        ("rigctld://localhost", "rig", DeviceAddress("rigctld", host="localhost", port=4532)),
        ("sim:", "rig", DeviceAddress("sim")),
    ],
)
def test_parse_device_uri(uri, kind, expected):
    assert parse_device_uri(uri, kind=kind) == expected


@pytest.mark.parametrize(
    ("uri", "kind", "message"),
    [
        ("rotctl://x:1", "rotator", "unknown scheme 'rotctl'"),
        ("rotctld:x", "rotator", r"expected rotctld://HOST\[:PORT\]"),
        ("rotctld://x:99999", "rotator", "PORT 1..65535"),
        ("gs232:", "rotator", r"expected gs232:/dev/ttyUSB0\[@BAUD\]"),
        ("gs232:/dev/ttyUSB0@0", "rotator", "expected gs232"),
        ("sim:extra", "rotator", "takes no address"),
        ("rotctld://x:1", "rig", "unknown scheme 'rotctld'"),
        ("/dev/ttyUSB0", "rotator", "unknown scheme"),
    ],
)
def test_bad_uris_name_the_uri(uri, kind, message):
    with pytest.raises(DeviceConfigError, match=message) as exc:
        parse_device_uri(uri, kind=kind)
    assert repr(uri) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_limits_properties():
    overlap = RotatorLimits(0.0, 450.0, 0.0, 90.0)
    assert overlap.overlap_deg == 90.0
    assert not overlap.can_flip
    flip = RotatorLimits(-180.0, 540.0, 0.0, 180.0)
    assert flip.overlap_deg == 360.0
    assert flip.can_flip
    assert flip.slew_time_s(Pointing(0, 0), Pointing(60, 12)) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"azimuth_min_deg": 0.0, "azimuth_max_deg": 350.0}, "azimuth_min_deg..azimuth_max_deg"),
        ({"azimuth_min_deg": -180.0, "azimuth_max_deg": 600.0}, "azimuth_min_deg..azimuth_max_deg"),
        ({"elevation_max_deg": 181.0}, "elevation_max_deg"),
        ({"elevation_min_deg": 10.0, "elevation_max_deg": 5.0}, "elevation_min_deg"),
        ({"azimuth_slew_deg_s": 0.0}, "azimuth_slew_deg_s"),
        ({"park_elevation_deg": 95.0}, "park position"),
        ({"azimuth_max_deg": float("inf")}, "azimuth_max_deg"),
    ],
)
def test_bad_limits_name_the_field(kwargs, field):
    with pytest.raises(DeviceConfigError, match=field):
        RotatorLimits(**kwargs)


def test_simulated_rotator_slews_at_configured_rates_along_the_wrap():
    clock = FakeClock()
    limits = RotatorLimits(
        -180.0,
        540.0,
        0.0,
        180.0,
        azimuth_slew_deg_s=4.0,
        elevation_slew_deg_s=2.0,
        park_azimuth_deg=0.0,
        park_elevation_deg=0.0,
    )
    rotator = open_rotator("sim:", limits, monotonic=clock)
    assert isinstance(rotator, SimulatedRotator)
    rotator.move_to(-40.0, 10.0)  # goes negative, does not wrap to 320
    clock.now_s = 2.5
    assert rotator.position() == Pointing(-10.0, 5.0)
    clock.now_s = 5.0
    assert rotator.position() == Pointing(-20.0, 10.0)  # elevation arrived, azimuth still moving
    rotator.move_to(500.0, 170.0)  # retarget mid-slew, into the overlap and flip range
    clock.now_s = 7.0
    assert rotator.position() == Pointing(-12.0, 14.0)
    rotator.stop()
    clock.now_s = 100.0
    assert rotator.position() == Pointing(-12.0, 14.0)
    rotator.park()
    clock.now_s = 100.0 + limits.slew_time_s(Pointing(-12.0, 14.0), limits.park)
    here = rotator.position()
    assert here.azimuth_deg == pytest.approx(0.0, abs=ANGLE_TOLERANCE_DEG)
    assert here.elevation_deg == pytest.approx(0.0, abs=ANGLE_TOLERANCE_DEG)
    with pytest.raises(LimitError):
        rotator.move_to(541.0, 0.0)
    assert rotator.commands_sent == 4


def test_simulated_rig_remembers_and_validates():
    rig = open_rig("sim:")
    rig.set_frequency(437_525_123.6)
    assert rig.frequency() == 437_525_124.0
    rig.set_mode("USB", 2400)
    assert rig.mode() == RigMode("USB", 2400)
    rig.set_split(True)
    rig.set_tx_frequency(145_850_000)
    assert rig.split()
    assert rig.tx_frequency() == 145_850_000.0
    rig.set_ptt(True)
    assert rig.ptt()
    with pytest.raises(LimitError):
        rig.set_mode("XYZ")
    with pytest.raises(LimitError):
        rig.set_frequency(0.0)
