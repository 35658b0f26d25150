"""`groundstation track` on a station named in the settings file: the station's minimum elevation and
horizon mask give AOS/LOS (the pass the sky plot and Engage work), and without a `[[satellites]]`
entry the station radio's frequencies are tuned. AOS is checked against the tracking engine's own
masked pass search."""

from __future__ import annotations

from datetime import timedelta

from groundstation.station.session import pass_line
from tests.groundstation.station.real_passes import iss, real_pass
from tests.groundstation.test_cli_track_options import station_arg, track
from tracking.geometry import HorizonMask
from tracking.passes import find_passes

# West of the station (where the pass rises) roofs hide the sky up to 20°; elsewhere 3°.
MASK = ((0.0, 3.0), (200.0, 3.0), (240.0, 20.0), (300.0, 20.0), (330.0, 3.0))
MIN_ELEVATION_DEG = 1.0


def test_plan_on_a_named_station_starts_at_its_masked_aos_and_tunes_its_radio(tmp_path):
    location, found, _ = real_pass(-2.0, 0.0)
    settings = tmp_path / "settings.toml"
    mask = ", ".join(f"[{az}, {el}]" for az, el in MASK)
    settings.write_text(
        f"""\
[[stations]]
name = "Roofs"
latitude_deg = {location.latitude_deg!r}
longitude_deg = {location.longitude_deg!r}
altitude_m = {location.altitude_m!r}
min_elevation_deg = {MIN_ELEVATION_DEG}
radio = "ic9700"
horizon_mask = [{mask}]

[[radios]]
name = "ic9700"
driver = "hamlib"
device = "127.0.0.1:4532"
downlink_hz = 437800000
"""
    )
    start = found.aos - timedelta(minutes=20)
    (masked,) = find_passes(
        [iss()],
        [location],
        start,
        found.los + timedelta(minutes=1),
        horizon_deg=MIN_ELEVATION_DEG,
        horizon_mask=HorizonMask.from_points(MASK),
    ).passes
    assert (masked.aos - found.aos).total_seconds() > 60  # the roofs matter
    when = ["--satellite", "25544", "--plan", "--start", start.strftime("%Y-%m-%dT%H:%M:%S")]

    named = track("--settings", str(settings), "--station", "Roofs", *when).stdout.splitlines()
    assert pass_line(masked) in named, named
    assert "radio plan: downlink 437800000 Hz, uplink - (at the satellite)" in named, named

    # Coordinates only: the plain horizon, the pass the engine finds without a mask.
    plain = track("--settings", str(settings), "--station", station_arg(location), *when).stdout
    assert pass_line(found) in plain.splitlines(), plain
