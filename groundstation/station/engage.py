"""Work a node's passes on demand, as Gpredict's "Engage" drives rotator and radio: plan the node's
current or next pass over the station, run `PassTracker` on it (pre-position, lead, retune, park),
plan the next one, and so on until disengaged, which parks the rotator.

Made to run in a worker thread on the injected clock, simulated or real. Every wait is what
`PassTracker.step()` asks for, turned into real seconds at the clock's rate (speed-up; a paused clock
waits to be woken) and cut short by `wake()` (the clock jumped or changed speed) or `disengage()`.
A clock that moves back abandons the pass in hand and plans again from the new time.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from groundstation.clock import Clock, SimulatedClock
from groundstation.station.devices import SERIAL_LIMITS, rotator_limits
from groundstation.station.doppler import (
    DopplerController,
    DopplerSettings,
    FrequencyPlan,
    FrequencySink,
    RigSink,
)
from groundstation.station.passtrack import sky_track, upcoming_passes
from groundstation.station.pointing import plan_pointing
from groundstation.station.tracker import PassTracker, TrackerEvent, TrackerSettings, TrackingStats
from radios.errors import DeviceError, LimitError
from radios.registry import open_rotator, parse_device_uri
from radios.rig import Rig
from radios.rotator import Pointing, Rotator, RotatorLimits
from radios.simulated import SimulatedRotator
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.passes import Pass

log = logging.getLogger("groundstation.station")

SEARCH_AHEAD = timedelta(days=1)
# A pass longer than this is planned in pieces (the planner's arrays stay small).
MAX_PLAN_SPAN = timedelta(hours=2)
# Shorter leftovers of a pass (its last seconds) are not worth a plan.
MIN_TRACK = timedelta(seconds=5)
# Longest real wait without looking at the clock again: a clock changed without `wake()` (or a
# paused one) is noticed this late at worst. Not a poll: waits are normally shorter.
MAX_REAL_WAIT_S = 2.0
# The clock moving back by more than this is a jump, not jitter.
JUMP_BACK_S = 1.0


@dataclass(frozen=True)
class EngageTarget:
    """What to work: one node over one station, and (optionally) its frequencies for Doppler.

    AOS and LOS are where the node clears `horizon_deg` and the station's `horizon_mask` (as the sky
    plot and the timeline find them); passes culminating below `min_elevation_deg` are skipped.
    `mode` is set on the rig once (Hamlib's name, "" to leave the rig's)."""

    elements: Elements
    location: GroundLocation
    min_elevation_deg: float = 0.0
    frequencies: FrequencyPlan | None = None
    horizon_deg: float = 0.0
    horizon_mask: HorizonMask | None = None
    mode: str = ""

    @property
    def name(self) -> str:
        return self.elements.name or str(self.elements.norad_id)


@dataclass(frozen=True)
class StationRotator:
    """A rotator opened for a station, and why its limits are assumed (when they are)."""

    rotator: Rotator
    note: str = ""


class ClockSeconds:
    """Seconds that follow a clock but never run backwards: a simulated rotator slews in the
    clock's time (fast when it is sped up, instantly across a jump forward, not at all when it is
    paused) and simply holds still when the clock jumps back."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_s = clock.now().timestamp()
        self._total_s = 0.0

    def __call__(self) -> float:
        with self._lock:
            now_s = self._clock.now().timestamp()
            self._total_s += max(0.0, now_s - self._last_s)
            self._last_s = now_s
            return self._total_s


def clock_rate(clock: Clock) -> float:
    """Clock seconds per real second: a simulated clock's speed (0 when paused), else 1."""
    if isinstance(clock, SimulatedClock):
        return 0.0 if clock.paused else clock.speed
    return 1.0


def open_station_rotator(
    uri: str,
    clock: Clock,
    *,
    timeout_s: float = 2.0,
    configured: Callable[[RotatorLimits], RotatorLimits] | None = None,
) -> StationRotator:
    """The rotator at `uri` with the limits to plan with: asked of rotctld, the plain 0..360°/0..90°
    of every az/el rotator otherwise (or when rotctld cannot be asked now), with `configured` (the
    station's configured limits, slew and park: `RotatorSettings.limits_over`) laid over them. A
    simulated rotator slews in `clock`'s time. Raises `DeviceConfigError` for a bad URI or
    configured limits the device cannot take; may block up to `timeout_s`."""
    address = parse_device_uri(uri, kind="rotator")
    note = ""
    try:
        limits = rotator_limits(uri, timeout_s=timeout_s)
    except DeviceError as exc:
        limits = SERIAL_LIMITS
        assumed = "az 0..360° el 0..90° where not configured" if configured else "az 0..360° el 0..90°"
        note = f"limits not known ({exc}); assuming {assumed}"
    if configured is not None:
        limits = configured(limits)
    if address.scheme == "sim":
        return StationRotator(SimulatedRotator(limits, monotonic=ClockSeconds(clock)), note)
    return StationRotator(open_rotator(uri, limits, timeout_s=timeout_s), note)


class _Commanded:
    """The rotator as the loop sees it, remembering the last position it was sent to."""

    def __init__(self, rotator: Rotator) -> None:
        self._rotator = rotator
        self.last: Pointing | None = None

    @property
    def limits(self) -> RotatorLimits:
        return self._rotator.limits

    @property
    def name(self) -> str:
        return self._rotator.name

    def move_to(self, azimuth_deg: float, elevation_deg: float) -> None:
        self._rotator.move_to(azimuth_deg, elevation_deg)
        self.last = Pointing(azimuth_deg, elevation_deg)

    def position(self) -> Pointing:
        return self._rotator.position()

    def stop(self) -> None:
        self._rotator.stop()

    def park(self) -> None:
        limits = self._rotator.limits
        self.move_to(limits.park_azimuth_deg, limits.park_elevation_deg)

    def close(self) -> None:
        """The rotator is the station's: whoever opened it closes it."""


@dataclass
class EngageSummary:
    passes: int = 0
    stats: list[TrackingStats] = field(default_factory=list)


def _hms(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}Z"


class EngagedSession:
    """Works `target`'s passes with `rotator` and/or `rig` until `disengage()`; see the module doc.

    `on_event` is called from the thread running `run()`. `sleep`, if given, replaces the real wait
    (it gets clock seconds, e.g. `SimulatedClock.step` for as-fast-as-possible runs).

    Doppler tuning goes to `rig` (rigctld) or to `sink` (any `FrequencySink`, e.g. the app's SDR
    through a `RadioSlot`), never both."""

    def __init__(
        self,
        target: EngageTarget,
        *,
        clock: Clock,
        rotator: Rotator | None = None,
        rig: Rig | None = None,
        sink: FrequencySink | None = None,
        on_event: Callable[[TrackerEvent], None] = lambda _event: None,
        rate: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        tracker_settings: TrackerSettings | None = None,
        doppler_settings: DopplerSettings | None = None,
    ) -> None:
        self.target = target
        self.clock = clock
        if rig is not None and sink is not None:
            raise ValueError("an engaged session tunes a rig or a frequency sink, not both")
        self._rotator = _Commanded(rotator) if rotator is not None else None
        self.rig = rig
        self.sink: FrequencySink | None = RigSink(rig) if rig is not None else sink
        self._on_event = on_event
        self._rate = rate if rate is not None else (lambda: clock_rate(clock))
        self._sleep = sleep
        self.tracker_settings = tracker_settings or TrackerSettings()
        self.doppler_settings = doppler_settings or DopplerSettings()
        self.summary = EngageSummary()
        self.current_pass: Pass | None = None
        self._tracker: PassTracker | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()

    # -- control (any thread) ------------------------------------------------------------------
    def disengage(self) -> None:
        """Ask `run()` to park the rotator and return."""
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """The clock changed (jump, speed, pause): look at it again now."""
        self._wake.set()

    @property
    def engaged(self) -> bool:
        return not self._stop.is_set()

    @property
    def commanded(self) -> Pointing | None:
        """Where the rotator was last sent (None before the first move)."""
        return self._rotator.last if self._rotator is not None else None

    @property
    def tolerance_deg(self) -> float:
        return self.tracker_settings.tolerance_deg

    # -- events ---------------------------------------------------------------------------------
    def _emit(self, kind: str, message: str) -> None:
        log.log(logging.WARNING if kind in {"warning", "error"} else logging.INFO, "%s %s", kind, message)
        self._on_event(TrackerEvent(self.clock.now(), kind, message))

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> EngageSummary:
        """Work passes until disengaged (or an error that makes going on pointless); parks at the end."""
        what = f"{self.target.name} over {self.target.location.name}"
        devices = (
            ", ".join(d.name for d in (self._rotator, self.sink) if d is not None)
            or "no devices (display only)"
        )
        self._emit("engage", f"{what} with {devices}")
        try:
            self._set_mode()
            self._loop()
        except (ValueError, DeviceError) as exc:  # bad elements, a device refusing its setup
            self._emit("error", f"{what}: {exc}; disengaged")
        finally:
            self._stop.set()
            self._park()
            self._emit("disengage", f"{what}: {self.summary.passes} passes worked")
        return self.summary

    def _loop(self) -> None:
        last_s = self.clock.now().timestamp()
        while not self._stop.is_set():
            self._wake.clear()
            now = self.clock.now()
            now_s = now.timestamp()
            if now_s < last_s - JUMP_BACK_S and self._tracker is not None:
                self._emit("replan", f"the clock moved back to {now:%Y-%m-%d %H:%M:%S}Z; planning again")
                self._tracker = None
            last_s = now_s
            tracker = self._tracker
            if tracker is None:
                tracker = self._tracker = self._plan(now)
                if tracker is None:
                    continue
            wait_s = tracker.step()
            if tracker.finished:
                self._tracker = None
                self.current_pass = None
                self.summary.passes += 1
                self.summary.stats.append(tracker.stats)
                continue
            self._wait(wait_s)

    def _set_mode(self) -> None:
        mode, rig = self.target.mode, self.rig
        if not mode or rig is None or self.target.frequencies is None:
            return
        try:
            rig.set_mode(mode)
            self._emit("mode", f"{rig.name} <- {mode}")
        except DeviceError as exc:  # the passes are still worth working
            self._emit("warning", f"{rig.name}: could not set mode {mode}: {exc}")

    def _wait(self, clock_s: float) -> None:
        if self._sleep is not None:
            self._sleep(clock_s if math.isfinite(clock_s) else SEARCH_AHEAD.total_seconds())
            return
        rate = self._rate()
        real_s = clock_s / rate if rate > 0 else MAX_REAL_WAIT_S
        self._wake.wait(min(max(0.0, real_s), MAX_REAL_WAIT_S))

    def _next_pass(self, now: datetime) -> Pass | None:
        target = self.target
        end = now + SEARCH_AHEAD
        found = upcoming_passes(
            target.elements,
            target.location,
            now,
            end,
            min_elevation_deg=target.min_elevation_deg,
            horizon_deg=target.horizon_deg,
            horizon_mask=target.horizon_mask,
        )
        return next((p for p in found if min(p.los, end) - max(p.aos, now) >= MIN_TRACK), None)

    def _plan(self, now: datetime) -> PassTracker | None:
        found = self._next_pass(now)
        if found is None:
            until = now + SEARCH_AHEAD
            self._emit("wait", f"no pass of {self.target.name} before {until:%Y-%m-%d %H:%M}Z; waiting")
            self._wait((until - now).total_seconds())
            return None
        self.current_pass = found
        start = max(found.aos, now)
        end = min(found.los, start + MAX_PLAN_SPAN)
        track = sky_track(self.target.elements, self.target.location, start, end)
        limits = self._rotator.limits if self._rotator is not None else SERIAL_LIMITS
        plan = plan_pointing(
            track, limits, start=self._rotator_position(limits), tolerance_deg=self.tolerance_deg
        )
        when = "in progress" if found.aos <= now else f"AOS {_hms(found.aos)} az {found.aos_azimuth_deg:.0f}°"
        self._emit(
            "plan",
            f"{self.target.name}: {when}, TCA {_hms(found.tca)} max el {found.max_elevation_deg:.1f}°, "
            f"LOS {_hms(found.los)}; {plan.describe()}",
        )
        for problem in plan.problems:
            self._emit("warning", f"the rotator cannot follow this pass: {problem}")
        frequencies = self.target.frequencies if self.sink is not None else None
        doppler = DopplerController(frequencies, self.doppler_settings) if frequencies else None
        return PassTracker(
            plan,
            clock=self.clock,
            rotator=self._rotator,
            sink=self.sink if doppler is not None else None,
            doppler=doppler,
            settings=self.tracker_settings,
            on_event=self._on_event,
        )

    def _rotator_position(self, limits: RotatorLimits) -> Pointing:
        if self._rotator is not None:
            try:
                return self._rotator.position()
            except DeviceError as exc:
                self._emit("warning", f"{exc}; planning from the park position")
        return limits.park

    def _park(self) -> None:
        rotator, tracker = self._rotator, self._tracker
        self._tracker = None
        if rotator is None:
            return
        if tracker is not None:
            tracker.park()  # reports the move, or nothing when the rotator is known to be lost
        else:
            try:
                rotator.park()
                self._emit(
                    "park",
                    f"{rotator.name} <- az {rotator.limits.park_azimuth_deg:.1f}° "
                    f"el {rotator.limits.park_elevation_deg:.1f}°",
                )
            except (DeviceError, LimitError) as exc:
                self._emit("warning", f"{rotator.name}: {exc}")
        if rotator.last != rotator.limits.park:
            self._emit("warning", f"{rotator.name}: not parked (not answering); park it when it is back")
