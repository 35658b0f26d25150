"""A station and a satellite as the app's settings describe them, turned into what the tracking loop
takes: one place for `groundstation track` and the desktop's Engage, so both tune the same
frequencies (offsets, transponder, mode), plan with the same rotator limits and tolerance, and find
the same AOS and LOS (the station's minimum elevation and horizon mask, as the sky plot shows them).
"""

from __future__ import annotations

from dataclasses import replace

from groundstation.app_settings import (
    AppSettings,
    RadioSettings,
    RotatorSettings,
    SatelliteSettings,
    StationSettings,
)
from groundstation.sky_plot import station_location, station_mask
from groundstation.station.doppler import FrequencyPlan
from groundstation.station.engage import EngageTarget
from groundstation.station.tracker import TrackerSettings
from radios.rotator import RotatorLimits
from tracking.elements import Elements

SDR_DRIVERS = frozenset({"loopback", "soapy"})


def station_radio(settings: AppSettings, station: StationSettings) -> RadioSettings | None:
    return next((r for r in settings.radios if r.name == station.radio), None) if station.radio else None


def station_rotator(settings: AppSettings, station: StationSettings) -> RotatorSettings | None:
    return (
        next((r for r in settings.rotators if r.name == station.rotator), None) if station.rotator else None
    )


def rig_uri(radio: RadioSettings | None) -> str | None:
    """The rigctld URI of a hamlib radio; None for an SDR or no radio."""
    if radio is None or radio.driver != "hamlib" or not radio.device:
        return None
    return f"rigctld://{radio.device}"


def is_sdr(radio: RadioSettings | None) -> bool:
    return radio is not None and radio.driver in SDR_DRIVERS


def satellite_radio(
    settings: AppSettings | None, norad_id: int, radio: RadioSettings | None = None
) -> SatelliteSettings:
    """The satellite's `[[satellites]]` entry (frequencies, offsets, mode, transponder). An entry
    without frequencies, or none at all, takes the station radio's default downlink/uplink (the
    entry's offsets and mode still apply)."""
    entry = settings.satellite(norad_id) if settings is not None else None
    base = entry if entry is not None else SatelliteSettings(norad_id)
    has_own = base.transponder or base.downlink_hz is not None or base.uplink_hz is not None
    if has_own or radio is None or not (radio.downlink_hz > 0 or radio.uplink_hz > 0):
        return base
    return replace(base, downlink_hz=radio.downlink_hz or None, uplink_hz=radio.uplink_hz or None)


def frequency_plan(
    settings: AppSettings | None, norad_id: int, radio: RadioSettings | None = None
) -> FrequencyPlan | None:
    return satellite_radio(settings, norad_id, radio).frequency_plan()


def configured_limits(base: RotatorLimits, rotator: RotatorSettings | None) -> RotatorLimits:
    """What the device reports (or is assumed to do) with the station's configured limits, slew and
    park on top. `DeviceConfigError` when they do not make a usable rotator."""
    return rotator.limits_over(base) if rotator is not None else base


def configured_tracker(
    rotator: RotatorSettings | None, base: TrackerSettings | None = None
) -> TrackerSettings:
    """`base` (the defaults) with the rotator's configured pointing tolerance."""
    base = base if base is not None else TrackerSettings()
    if rotator is None or rotator.tolerance_deg is None:
        return base
    return replace(base, tolerance_deg=rotator.tolerance_deg)


def engage_target(settings: AppSettings, station: StationSettings, elements: Elements) -> EngageTarget:
    """What Engage works for `elements` over `station`: AOS/LOS at the station's minimum elevation
    and horizon mask, the satellite's frequency plan and mode."""
    radio = satellite_radio(settings, elements.norad_id, station_radio(settings, station))
    return EngageTarget(
        elements,
        station_location(station),
        frequencies=radio.frequency_plan(),
        horizon_deg=station.min_elevation_deg,
        horizon_mask=station_mask(station),
        mode=radio.mode,
    )
