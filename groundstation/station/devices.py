"""What the station knows about a rotator before it moves it: its limits, asked, assumed or configured.

`rotctld` reports its axis ranges (`\\dump_caps`); serial controllers cannot be asked, so they get
the range every az/el rotator has (0..360°, 0..90°) until configured otherwise. Slew rates are not
reported by any of them: 6°/s, a Yaesu G-5500's azimuth speed, is assumed. Configured values (the
settings file, `track` options) go on top with `rotator_limits_over`.
"""

from __future__ import annotations

from dataclasses import replace

from radios.errors import DeviceConfigError
from radios.hamlib import HamlibClient
from radios.link import Backoff
from radios.registry import parse_device_uri
from radios.rotator import RotatorLimits

ASSUMED_SLEW_DEG_S = 6.0
SERIAL_LIMITS = RotatorLimits(0.0, 360.0, 0.0, 90.0, ASSUMED_SLEW_DEG_S, ASSUMED_SLEW_DEG_S, 0.0, 90.0)


def limits_from_ranges(
    azimuth_min_deg: float, azimuth_max_deg: float, elevation_min_deg: float, elevation_max_deg: float
) -> RotatorLimits:
    """Limits for these axis ranges, parked at azimuth 0 (or the nearest end) pointing up."""
    park_azimuth = min(max(0.0, azimuth_min_deg), azimuth_max_deg)
    park_elevation = min(90.0, elevation_max_deg)
    return RotatorLimits(
        azimuth_min_deg,
        azimuth_max_deg,
        elevation_min_deg,
        elevation_max_deg,
        ASSUMED_SLEW_DEG_S,
        ASSUMED_SLEW_DEG_S,
        park_azimuth,
        park_elevation,
    )


def rotctld_limits(host: str, port: int, *, timeout_s: float = 2.0) -> RotatorLimits:
    """The axis ranges `rotctld` reports for its rotator. Raises `DeviceError` if it cannot be asked,
    `DeviceConfigError` if the ranges are not a usable az/el rotator's."""
    client = HamlibClient("rotctld", host, port, timeout_s=timeout_s, backoff=Backoff())
    try:
        reply = client.command("\\dump_caps")
    finally:
        client.close()
    try:
        ranges = [
            float(reply.get(key)) for key in ("Min Azimuth", "Max Azimuth", "Min Elevation", "Max Elevation")
        ]
    except (KeyError, ValueError) as exc:
        raise DeviceConfigError(f"{client.name}: no usable axis ranges in \\dump_caps ({exc})") from None
    try:
        return limits_from_ranges(*ranges)
    except DeviceConfigError as exc:
        raise DeviceConfigError(f"{client.name}: {exc}") from None


def rotator_limits(uri: str, *, timeout_s: float = 2.0) -> RotatorLimits:
    """The limits to plan with for the rotator at `uri`."""
    address = parse_device_uri(uri, kind="rotator")
    if address.scheme == "rotctld":
        return rotctld_limits(address.host, address.port, timeout_s=timeout_s)
    return SERIAL_LIMITS


def rotator_limits_over(
    base: RotatorLimits,
    *,
    azimuth_range_deg: tuple[float, float] | None = None,
    elevation_range_deg: tuple[float, float] | None = None,
    azimuth_slew_deg_s: float | None = None,
    elevation_slew_deg_s: float | None = None,
    park: tuple[float, float] | None = None,
) -> RotatorLimits:
    """`base` with the given values replaced (None keeps base's). Without a `park`, the base's park
    position is moved to the nearest point inside changed ranges. `DeviceConfigError` when the result
    is not a usable rotator."""
    az_min, az_max = azimuth_range_deg or (base.azimuth_min_deg, base.azimuth_max_deg)
    el_min, el_max = elevation_range_deg or (base.elevation_min_deg, base.elevation_max_deg)
    if park is None:
        park = (
            min(max(base.park_azimuth_deg, az_min), az_max),
            min(max(base.park_elevation_deg, el_min), el_max),
        )
    return replace(
        base,
        azimuth_min_deg=az_min,
        azimuth_max_deg=az_max,
        elevation_min_deg=el_min,
        elevation_max_deg=el_max,
        azimuth_slew_deg_s=base.azimuth_slew_deg_s if azimuth_slew_deg_s is None else azimuth_slew_deg_s,
        elevation_slew_deg_s=base.elevation_slew_deg_s
        if elevation_slew_deg_s is None
        else elevation_slew_deg_s,
        park_azimuth_deg=park[0],
        park_elevation_deg=park[1],
    )
