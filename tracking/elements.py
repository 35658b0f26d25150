"""Mean orbital elements (the content of one TLE or OMM record) and their SGP4 initialisation."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sgp4.api import WGS72, Satrec

# SGP4 counts its epoch in days since 1949 December 31 00:00 UT.
_SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=UTC)
_MINUTES_PER_DAY = 1440.0
# Alpha-5 stops at 339999; Satrec needs some number, ours lives in Elements.norad_id.
_MAX_SATREC_SATNUM = 339999


@dataclass(frozen=True)
class Elements:
    """One element set. Angles in degrees, mean motion in revolutions per day, epoch in UTC.

    `mean_motion_dot` and `mean_motion_ddot` are as printed in TLE/OMM: the first and second time
    derivatives of mean motion divided by 2 and 6 (rev/day² and rev/day³).
    """

    norad_id: int
    name: str
    epoch: datetime
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float
    mean_motion_dot: float = 0.0
    mean_motion_ddot: float = 0.0
    classification: str = "U"
    international_designator: str = ""  # OMM OBJECT_ID form, e.g. "1998-067A"
    element_set_no: int = 999
    rev_at_epoch: int = 0

    def __post_init__(self) -> None:
        if self.epoch.tzinfo is None:
            raise ValueError("epoch must be timezone-aware UTC")
        if self.norad_id < 0:
            raise ValueError(f"norad_id must be >= 0, got {self.norad_id}")
        if not 0.0 <= self.eccentricity < 1.0:
            raise ValueError(f"eccentricity must be in [0, 1), got {self.eccentricity}")
        if not self.mean_motion_rev_per_day > 0.0 or math.isinf(self.mean_motion_rev_per_day):
            raise ValueError(f"mean motion must be > 0 rev/day, got {self.mean_motion_rev_per_day}")
        if not 0.0 <= self.inclination_deg <= 180.0:
            raise ValueError(f"inclination must be in [0, 180] deg, got {self.inclination_deg}")
        for what, angle_deg in (
            ("raan", self.raan_deg),
            ("arg_perigee", self.arg_perigee_deg),
            ("mean_anomaly", self.mean_anomaly_deg),
        ):
            if not 0.0 <= angle_deg <= 360.0:
                raise ValueError(f"{what}_deg must be in [0, 360], got {angle_deg}")
        for what, value in (
            ("bstar", self.bstar_per_earth_radius),
            ("mean_motion_dot", self.mean_motion_dot),
            ("mean_motion_ddot", self.mean_motion_ddot),
        ):
            if not math.isfinite(value):
                raise ValueError(f"{what} must be finite, got {value}")

    @classmethod
    def from_tle(cls, line1: str, line2: str, name: str = "", *, verify_checksum: bool = True) -> Elements:
        """Elements from two TLE lines (Alpha-5 catalog numbers accepted); ValueError names the field."""
        from tracking.tle import parse_tle

        return parse_tle(line1, line2, name, verify_checksum=verify_checksum)

    @classmethod
    def from_omm(cls, fields: Mapping[str, object]) -> Elements:
        """Elements from OMM keywords (CelesTrak CSV/JSON/XML names; values text or JSON numbers)."""
        from tracking.omm import elements_from_omm

        return elements_from_omm(fields)

    def to_tle_lines(self) -> tuple[str, str]:
        """The two TLE lines; ValueError when a value cannot be written (catalog number > 339999)."""
        from tracking.tle import format_tle

        return format_tle(self)

    def to_omm_fields(self) -> dict[str, str | int | float]:
        """OMM keywords in CelesTrak's order (numbers as numbers, as CelesTrak's JSON)."""
        from tracking.omm import omm_record

        return omm_record(self)

    def age_days(self, at: datetime) -> float:
        """Age of the elements at `at` (negative when `at` is before the epoch)."""
        return (at - self.epoch).total_seconds() / 86400.0

    def to_satrec(self) -> Satrec:
        """An SGP4 model initialised from these elements (WGS72 constants, improved mode, as CelesTrak)."""
        sat = Satrec()
        satnum = self.norad_id if self.norad_id <= _MAX_SATREC_SATNUM else 0
        epoch_days = (self.epoch - _SGP4_EPOCH0).total_seconds() / 86400.0
        deg = math.pi / 180.0
        sat.sgp4init(
            WGS72,
            "i",
            satnum,
            epoch_days,
            self.bstar_per_earth_radius,
            self.mean_motion_dot / (_MINUTES_PER_DAY**2 / (2.0 * math.pi)),
            self.mean_motion_ddot / (_MINUTES_PER_DAY**3 / (2.0 * math.pi)),
            self.eccentricity,
            self.arg_perigee_deg * deg,
            self.inclination_deg * deg,
            self.mean_anomaly_deg * deg,
            self.mean_motion_rev_per_day / _MINUTES_PER_DAY * 2.0 * math.pi,
            self.raan_deg * deg,
        )
        return sat
