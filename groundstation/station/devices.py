"""What the station knows about a rotator before it moves it: its limits, asked or assumed.

`rotctld` reports its axis ranges (`\\dump_caps`); serial controllers cannot be asked, so they get
the range every az/el rotator has (0..360°, 0..90°) until configured otherwise. Slew rates are not
reported by any of them: 6°/s, a Yaesu G-5500's azimuth speed, is assumed.
"""

from __future__ import annotations

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
