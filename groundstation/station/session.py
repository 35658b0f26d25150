"""Follow one satellite pass after pass: find the next pass, plan it, run the loop, park, repeat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from groundstation.clock import Clock
from groundstation.station.doppler import DopplerController, DopplerSettings, FrequencyPlan, FrequencySink
from groundstation.station.passtrack import sky_track, upcoming_passes
from groundstation.station.pointing import plan_pointing
from groundstation.station.tracker import PassTracker, TrackerEvent, TrackerSettings, TrackingStats
from radios.errors import DeviceError
from radios.rotator import Pointing, Rotator, RotatorLimits
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.passes import Pass

# Passes are looked for this far ahead; a pass longer than the plan span is planned in pieces.
SEARCH_AHEAD = timedelta(days=1)
MAX_PLAN_SPAN = timedelta(hours=2)
# Shorter leftovers of a pass (its last seconds) are not worth a plan.
MIN_TRACK = timedelta(seconds=5)


@dataclass
class SessionSummary:
    passes: int = 0
    stats: list[TrackingStats] = field(default_factory=list)


def _hms(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def pass_line(found: Pass) -> str:
    """`pass: AOS ..., TCA ..., LOS ...` (a pass cut by the search window says so)."""
    aos = (
        f"in progress (since before {found.aos:%H:%M:%S})"
        if found.starts_before_window
        else f"AOS {_hms(found.aos)} azimuth {found.aos_azimuth_deg:.0f}°"
    )
    los = (
        f"LOS after {found.los:%H:%M:%S}"
        if found.ends_after_window
        else f"LOS {found.los:%H:%M:%S} azimuth {found.los_azimuth_deg:.0f}°"
    )
    return f"pass: {aos}, TCA {found.tca:%H:%M:%S} elevation {found.max_elevation_deg:.1f}°, {los}"


class TrackingSession:
    """Tracks `elements` over `location` until `until` (or for ever), printing through `out`."""

    def __init__(
        self,
        elements: Elements,
        location: GroundLocation,
        *,
        clock: Clock,
        sleep: Callable[[float], None],
        out: Callable[[str], None],
        limits: RotatorLimits,
        rotator: Rotator | None = None,
        sink: FrequencySink | None = None,
        frequencies: FrequencyPlan | None = None,
        doppler_settings: DopplerSettings | None = None,
        tracker_settings: TrackerSettings | None = None,
        horizon_deg: float = 0.0,
        horizon_mask: HorizonMask | None = None,
    ) -> None:
        self.elements = elements
        self.location = location
        self.clock = clock
        self.sleep = sleep
        self.out = out
        self.limits = limits
        self.rotator = rotator
        self.sink = sink
        self.frequencies = frequencies
        self.doppler_settings = doppler_settings or DopplerSettings()
        self.tracker_settings = tracker_settings or TrackerSettings()
        self.horizon_deg = horizon_deg  # AOS/LOS elevation, and the station's mask over it
        self.horizon_mask = horizon_mask
        self.summary = SessionSummary()
        self._tracker: PassTracker | None = None

    def _event(self, event: TrackerEvent) -> None:
        self.out(str(event))

    def _rotator_position(self) -> Pointing:
        if self.rotator is not None:
            try:
                return self.rotator.position()
            except DeviceError as exc:
                self.out(f"warning: {exc}; planning from the park position")
        return self.limits.park

    def _next_pass(self, now: datetime, until: datetime | None) -> Pass | None:
        end = now + SEARCH_AHEAD if until is None else min(now + SEARCH_AHEAD, until)
        found_passes = upcoming_passes(
            self.elements,
            self.location,
            now,
            end,
            horizon_deg=self.horizon_deg,
            horizon_mask=self.horizon_mask,
        )
        for found in found_passes:
            if min(found.los, end) - max(found.aos, now) >= MIN_TRACK:
                return found
        return None

    def run(self, until: datetime | None = None) -> SessionSummary:
        """Track pass after pass until `until`; the rotator is parked after each pass and at the end."""
        while True:
            now = self.clock.now()
            if until is not None and now >= until:
                break
            found = self._next_pass(now, until)
            if found is None:
                wait_until = now + SEARCH_AHEAD if until is None else min(now + SEARCH_AHEAD, until)
                self.out(
                    f"no pass of {self.elements.name or self.elements.norad_id} over {self.location.name} "
                    f"before {_hms(wait_until)}; waiting"
                )
                self.sleep((wait_until - now).total_seconds())
                continue
            self._track(found, now, until)
            if until is not None and self.clock.now() >= until:
                break
        return self.summary

    def _track(self, found: Pass, now: datetime, until: datetime | None) -> None:
        start = max(found.aos, now)
        end = min(found.los, start + MAX_PLAN_SPAN)
        if until is not None:
            end = min(end, until)
        self.out(pass_line(found))
        track = sky_track(self.elements, self.location, start, end)
        plan = plan_pointing(
            track,
            self.limits,
            start=self._rotator_position(),
            tolerance_deg=self.tracker_settings.tolerance_deg,
        )
        self.out(f"plan: {plan.describe()}")
        for problem in plan.problems:
            self.out(f"warning: the rotator cannot follow this pass: {problem}")
        doppler = DopplerController(self.frequencies, self.doppler_settings) if self.frequencies else None
        self._tracker = PassTracker(
            plan,
            clock=self.clock,
            rotator=self.rotator,
            sink=self.sink if doppler else None,
            doppler=doppler,
            settings=self.tracker_settings,
            on_event=self._event,
        )
        stats = self._tracker.run(self.sleep, until=until)
        self._tracker = None
        self.summary.passes += 1
        self.summary.stats.append(stats)
        errors = stats.pointing_errors_deg
        pointing = (
            f", pointing error mean {sum(errors) / len(errors):.2f}° peak {max(errors):.2f}°"
            if errors
            else ""
        )
        self.out(
            f"done: {stats.rotator_moves} rotator moves, {stats.rx_tunes} RX and {stats.tx_tunes} TX tunes "
            f"in {stats.doppler_checks} Doppler checks{pointing}"
        )

    def park(self) -> None:
        """Stop now (Ctrl-C): park the rotator, through the running pass's loop if there is one."""
        if self._tracker is not None:
            self._tracker.park()
        elif self.rotator is not None:
            try:
                self.rotator.park()
                self.out(
                    f"park {self.rotator.name} <- az {self.limits.park_azimuth_deg:.1f}° "
                    f"el {self.limits.park_elevation_deg:.1f}°"
                )
            except DeviceError as exc:
                self.out(f"warning: could not park: {exc}")
