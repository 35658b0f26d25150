"""The real-time tracking loop for one planned pass: pre-position, follow, retune, park.

Time comes from an injected `Clock`; the loop never sleeps itself, `run` asks an injected `sleep`,
so the same pass runs live, in simulated time, or as fast as the machine allows.

Rotator: the target sent is the planned path `lead` seconds ahead, where the lead is the time the
rotator needs to get there (its slew lag) plus half the time the satellite takes to cross the
tolerance; a new target is sent only when it is more than `tolerance_deg` (on either axis) from the
last one sent. So the antenna swings ahead and behind the satellite by about half the tolerance
instead of trailing it, and the controller gets one command per tolerance step, not one per tick.

A device that fails (killed daemon, unplugged port) is reported once, retried at the loop's pace (the
driver's back-off keeps that cheap), announced when it is back, and given its current target again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TypeVar

from groundstation.clock import Clock
from groundstation.station.doppler import (
    DopplerController,
    FrequencySink,
    TunedFrequencies,
    station_frequencies,
)
from groundstation.station.pointing import PointingPlan
from groundstation.station.sky import pointing_error_deg
from radios.errors import DeviceError, LimitError
from radios.rotator import Pointing, Rotator

log = logging.getLogger("groundstation.station")

DEFAULT_POINTING_TOLERANCE_DEG = 2.0
DEFAULT_ROTATOR_INTERVAL_S = 0.5
DEFAULT_MAX_LEAD_S = 60.0
# A move goes out when the target is this many tolerances away on one axis, whatever the angle.
AXIS_CATCH_UP = 3.0
# Pre-positioning starts this long before AOS plus the time the slew takes.
PREPOSITION_MARGIN_S = 30.0
_TIME_SLACK_S = 1e-3
_T = TypeVar("_T")


@dataclass(frozen=True)
class TrackerSettings:
    """How the loop drives the rotator; Doppler has its own `DopplerSettings`."""

    tolerance_deg: float = DEFAULT_POINTING_TOLERANCE_DEG
    rotator_interval_s: float = DEFAULT_ROTATOR_INTERVAL_S
    max_lead_s: float = DEFAULT_MAX_LEAD_S
    preposition_margin_s: float = PREPOSITION_MARGIN_S

    def __post_init__(self) -> None:
        for name in ("tolerance_deg", "rotator_interval_s", "max_lead_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"tracker settings: {name} must be > 0, got {value!r}")
        if not (math.isfinite(self.preposition_margin_s) and self.preposition_margin_s >= 0):
            raise ValueError("tracker settings: preposition_margin_s must be >= 0")


class Phase(Enum):
    PARKED = "parked"  # waiting for the time to pre-position
    PREPOSITIONED = "prepositioned"  # pointing at AOS, waiting
    TRACKING = "tracking"
    DONE = "done"


@dataclass(frozen=True)
class TrackerEvent:
    """Something the loop did or saw, for the operator: `kind` is one of the words below."""

    time: datetime
    kind: str  # plan, preposition, aos, move, tune, dial, los, park, lost, back, error
    message: str

    def __str__(self) -> str:
        return f"{self.time:%H:%M:%S} {self.kind:<11} {self.message}"


@dataclass
class TrackingStats:
    """Counters and samples of one pass: the pointing error is the rotator's reported position
    against the satellite at every poll; the frequency error is the receive frequency held against
    the exact Doppler-corrected one at every Doppler check (before any retune)."""

    rotator_moves: int = 0
    rotator_polls: int = 0
    rx_tunes: int = 0
    tx_tunes: int = 0
    doppler_checks: int = 0
    outages: int = 0
    pointing_errors_deg: list[float] = field(default_factory=list)
    pointing_error_times_s: list[float] = field(default_factory=list)  # POSIX seconds of each sample
    frequency_errors_hz: list[float] = field(default_factory=list)

    @property
    def peak_pointing_error_deg(self) -> float:
        return max(self.pointing_errors_deg, default=0.0)


class _Device:
    """One device's health: report a failure once, and its return once."""

    def __init__(self, name: str, emit: Callable[[str, str], None], on_back: Callable[[], None]) -> None:
        self.name = name
        self.lost = False
        self._emit = emit
        self._on_back = on_back
        self.outages = 0

    def call(self, action: Callable[[], _T]) -> tuple[bool, _T | None]:
        """(True, result), or (False, None) when the device failed."""
        try:
            result = action()
        except DeviceError as exc:
            if not self.lost:
                self.lost = True
                self.outages += 1
                self._emit("lost", str(exc) if str(exc).startswith(self.name) else f"{self.name}: {exc}")
            return False, None
        if self.lost:
            self.lost = False
            self._emit("back", f"{self.name}: responding again, resending")
            self._on_back()
        return True, result


class PassTracker:
    """Runs one planned pass against a rotator and/or a frequency sink (rig or SDR)."""

    def __init__(
        self,
        plan: PointingPlan,
        *,
        clock: Clock,
        rotator: Rotator | None = None,
        sink: FrequencySink | None = None,
        doppler: DopplerController | None = None,
        settings: TrackerSettings | None = None,
        on_event: Callable[[TrackerEvent], None] | None = None,
    ) -> None:
        if (sink is None) != (doppler is None):
            raise ValueError("a frequency sink and a Doppler controller go together")
        self.plan = plan
        self.track = plan.track
        self.clock = clock
        self.rotator = rotator
        self.sink = sink
        self.doppler = doppler
        self.settings = settings if settings is not None else TrackerSettings()
        self.stats = TrackingStats()
        self.phase = Phase.PARKED
        self._on_event = on_event
        self._commanded: Pointing | None = None
        self._prepared = False
        self._next_rotator_s = -math.inf
        self._next_doppler_s = -math.inf
        self._rotator = _Device(rotator.name if rotator else "rotator", self._emit, self._rotator_back)
        self._sink = _Device(sink.name if sink else "radio", self._emit, self._sink_back)
        # Until the rotator says where it is, assume it is parked.
        self._preposition_s = self._preposition_time_s(plan.limits.park)
        self._located = False

    # -- events -------------------------------------------------------------------------------
    def _emit(self, kind: str, message: str) -> None:
        event = TrackerEvent(self.clock.now(), kind, message)
        log.log(logging.WARNING if kind in {"lost", "error"} else logging.INFO, "%s %s", kind, message)
        if self._on_event is not None:
            self._on_event(event)

    def _rotator_back(self) -> None:
        self._commanded = None  # a restarted controller forgot its target

    def _sink_back(self) -> None:
        self._prepared = False
        if self.doppler is not None:
            self.doppler.forget()

    # -- timing -------------------------------------------------------------------------------
    def _now_s(self) -> float:
        return self.clock.now().timestamp()

    def _preposition_time_s(self, here: Pointing) -> float:
        slew_s = self.plan.limits.slew_time_s(here, self.plan.preposition)
        return self.plan.start_s - slew_s - self.settings.preposition_margin_s

    def _locate(self) -> None:
        """Ask the rotator where it is once, to start pre-positioning early enough from there."""
        rotator = self.rotator
        assert rotator is not None
        ok, here = self._rotator.call(rotator.position)
        if ok and here is not None:
            self._located = True
            self._preposition_s = self._preposition_time_s(here)

    @property
    def finished(self) -> bool:
        return self.phase is Phase.DONE

    # -- one iteration ------------------------------------------------------------------------
    def step(self) -> float:
        """Do what is due now; returns the seconds until something is due again."""
        now_s = self._now_s()
        # Clocks keep microseconds: anything due within a millisecond is due now.
        reached_s = now_s + _TIME_SLACK_S
        if self.phase is Phase.DONE:
            return math.inf
        if reached_s >= self.plan.end_s:
            self._finish()
            return math.inf
        if self.phase is Phase.PARKED and not self._located and self.rotator is not None:
            self._locate()
        if self.phase is Phase.PARKED and reached_s >= self._preposition_s:
            self._preposition()
        if self.phase is not Phase.TRACKING and reached_s >= self.plan.start_s:
            self.phase = Phase.TRACKING
            self._emit("aos", f"AOS {self.track.name}: {self.plan.describe()}")
        if self.phase is Phase.PREPOSITIONED and self.rotator is not None and self._commanded is None:
            self._send_move(self.plan.preposition, "preposition")
        if self.phase is Phase.TRACKING:
            if self.rotator is not None and reached_s >= self._next_rotator_s:
                self._next_rotator_s = now_s + self.settings.rotator_interval_s
                self._follow(now_s)
            if self.doppler is not None and reached_s >= self._next_doppler_s:
                self._next_doppler_s = now_s + self.doppler.settings.interval_s
                self._retune(now_s)
        return self._wait_s(now_s)

    def _wait_s(self, now_s: float) -> float:
        if self.phase is Phase.PARKED:
            due = self._preposition_s
        elif self.phase is Phase.PREPOSITIONED:
            due = self.plan.start_s
            if self.rotator is not None and self._commanded is None:  # retry a lost controller
                due = min(due, now_s + self.settings.rotator_interval_s)
        else:
            due = self.plan.end_s
            if self.rotator is not None:
                due = min(due, self._next_rotator_s)
            if self.doppler is not None:
                due = min(due, self._next_doppler_s)
        return max(0.0, due - now_s)

    # -- rotator ------------------------------------------------------------------------------
    def _send_move(self, target: Pointing, kind: str) -> bool:
        rotator = self.rotator
        assert rotator is not None
        try:
            sent, _ = self._rotator.call(lambda: rotator.move_to(target.azimuth_deg, target.elevation_deg))
        except LimitError as exc:  # a planning bug: say so, never crash the pass
            self._emit("error", f"{rotator.name}: {exc}")
            return False
        if not sent:
            return False
        self._commanded = target
        self.stats.rotator_moves += 1
        self._emit(kind, f"{rotator.name} <- az {target.azimuth_deg:.1f}° el {target.elevation_deg:.1f}°")
        return True

    def _preposition(self) -> None:
        self.phase = Phase.PREPOSITIONED
        if self.rotator is not None and self._now_s() < self.plan.start_s:  # not when starting mid-pass
            self._send_move(self.plan.preposition, "preposition")
        if self.doppler is not None:
            self._retune(self.plan.start_s)  # heard from the first second of the pass

    def _lead_s(self, now_s: float, here: Pointing) -> float:
        """Slew lag to the path point, plus half the time the path takes to move one tolerance."""
        rate_deg_s = _separation_deg(self.plan.pointing_at(now_s), self.plan.pointing_at(now_s + 1.0))
        half_step_s = self.settings.tolerance_deg / (2.0 * rate_deg_s) if rate_deg_s > 0 else math.inf
        lead_s = min(self.settings.max_lead_s, half_step_s)
        lag_s = self.plan.limits.slew_time_s(here, self.plan.pointing_at(now_s + lead_s))
        return min(self.settings.max_lead_s, lead_s + lag_s)

    def _needs_move(self, target: Pointing) -> bool:
        """Past the tolerance in pointing, or (near the zenith, where azimuth is cheap in angle) so
        far along the path on one axis that the rotator would fall behind it."""
        last = self._commanded
        if last is None:
            return True
        axes_deg = max(
            abs(target.azimuth_deg - last.azimuth_deg), abs(target.elevation_deg - last.elevation_deg)
        )
        tolerance_deg = self.settings.tolerance_deg
        return _separation_deg(last, target) > tolerance_deg or axes_deg > AXIS_CATCH_UP * tolerance_deg

    def _follow(self, now_s: float) -> None:
        rotator = self.rotator
        assert rotator is not None
        ok, here = self._rotator.call(rotator.position)
        self.stats.rotator_polls += 1
        if not ok or here is None:
            return
        sky_az, sky_el = self.track.direction_at(now_s)
        error_deg = pointing_error_deg(here.azimuth_deg, here.elevation_deg, sky_az, sky_el)
        self.stats.pointing_errors_deg.append(error_deg)
        self.stats.pointing_error_times_s.append(now_s)
        target = self.plan.pointing_at(now_s + self._lead_s(now_s, here))
        if self._needs_move(target):
            self._send_move(target, "move")

    # -- Doppler ------------------------------------------------------------------------------
    def _retune(self, now_s: float) -> None:
        sink, doppler = self.sink, self.doppler
        assert sink is not None
        assert doppler is not None
        self.stats.doppler_checks += 1
        if not self._prepared:
            uplink = doppler.plan.uplink_hz is not None
            if not self._sink.call(lambda: sink.prepare(uplink=uplink))[0]:
                return
            self._prepared = True
        aim_s = now_s + doppler.settings.interval_s / 2
        if doppler.settings.follow_dial and doppler.sent.rx_hz is not None:
            ok, reading = self._sink.call(sink.rx_hz)
            if ok and reading is not None and doppler.dial_moved(reading, self.track.range_rate_at(aim_s)):
                self._emit(
                    "dial", f"{sink.name}: receiver moved to {reading:.0f} Hz, passband position follows"
                )
        exact_rx = station_frequencies(doppler.plan, self.track.range_rate_at(now_s)).rx_hz
        if doppler.sent.rx_hz is not None and exact_rx is not None:
            self.stats.frequency_errors_hz.append(abs(exact_rx - doppler.sent.rx_hz))
        wanted = doppler.wanted(now_s, self.track.range_rate_at)
        self._send_frequencies(doppler.due(wanted))

    def _send_frequencies(self, due: TunedFrequencies) -> None:
        sink, doppler = self.sink, self.doppler
        assert sink is not None
        assert doppler is not None
        rx, tx = due.rx_hz, due.tx_hz
        try:
            self._send_rx_tx(rx, tx)
        except ValueError as exc:  # a frequency the device refuses: say so, keep tracking
            self._emit("error", f"{sink.name}: {exc}")

    def _send_rx_tx(self, rx: float | None, tx: float | None) -> None:
        sink, doppler = self.sink, self.doppler
        assert sink is not None
        assert doppler is not None
        if rx is not None:
            if not self._sink.call(lambda: sink.set_rx_hz(rx))[0]:
                return
            doppler.record_rx(rx)
            self.stats.rx_tunes += 1
            self._emit("tune", f"{sink.name} <- RX {round(rx)} Hz")
        if tx is not None:
            if not self._sink.call(lambda: sink.set_tx_hz(tx))[0]:
                return
            doppler.record_tx(tx)
            self.stats.tx_tunes += 1
            self._emit("tune", f"{sink.name} <- TX {round(tx)} Hz")

    # -- the end ------------------------------------------------------------------------------
    def _finish(self) -> None:
        if self.phase is Phase.TRACKING:
            self._emit("los", f"LOS {self.track.name}")
        self.phase = Phase.DONE
        self.park()

    def park(self) -> None:
        """Send the rotator to its park position (after LOS, or when the operator stops)."""
        self.phase = Phase.DONE
        self.stats.outages = self._rotator.outages + self._sink.outages
        if self.rotator is not None:
            self._send_move(self.plan.park, "park")

    def run(
        self,
        sleep: Callable[[float], None],
        *,
        until: datetime | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> TrackingStats:
        """Step until LOS (then park), `until`, or `should_stop()`; parks in every case."""
        until_s = until.timestamp() if until is not None else math.inf
        while not self.finished and not should_stop():
            now_s = self._now_s()
            if now_s >= until_s:
                break
            wait_s = self.step()
            if not self.finished:
                sleep(min(wait_s, max(0.0, until_s - now_s)))
        if not self.finished:
            self.park()
        return self.stats


def _separation_deg(a: Pointing, b: Pointing) -> float:
    return pointing_error_deg(a.azimuth_deg, a.elevation_deg, b.azimuth_deg, b.elevation_deg)
