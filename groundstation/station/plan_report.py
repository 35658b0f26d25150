"""A pass's pointing plan in words, for `track --plan`: path, wrap, flip, pre-positioning, park.

Nothing here touches a device: the plan is what the tracking loop would do with these limits.
"""

from __future__ import annotations

import math

import numpy as np

from groundstation.station.pointing import PointingMode, PointingPlan
from groundstation.station.sky import clock_text
from groundstation.station.tracker import TrackerSettings
from radios.rotator import FULL_TURN_DEG, Pointing


def preposition_time_s(plan: PointingPlan, settings: TrackerSettings, start: Pointing | None = None) -> float:
    """When the loop starts pre-positioning (POSIX s), from `start` (default the park position)."""
    here = plan.park if start is None else start
    return plan.start_s - plan.limits.slew_time_s(here, plan.preposition) - settings.preposition_margin_s


def _wrap_text(plan: PointingPlan) -> str:
    azimuth = plan.azimuth_deg
    low, high = float(np.min(azimuth)), float(np.max(azimuth))
    limits = plan.limits
    where = (
        f"azimuth path {low:.1f}..{high:.1f}° "
        f"in the rotator's {limits.azimuth_min_deg:g}..{limits.azimuth_max_deg:g}°"
    )
    # A path crossing a multiple of 360° goes through north without unwinding.
    crosses = math.floor(low / FULL_TURN_DEG) != math.floor(high / FULL_TURN_DEG)
    overlap = low < 0.0 or high > FULL_TURN_DEG
    notes = []
    if crosses:
        notes.append("crosses north without unwinding")
    if overlap:
        notes.append("uses the overlap beyond 0..360°")
    return f"{where}" + (f" ({', '.join(notes)})" if notes else "")


def _flip_text(plan: PointingPlan) -> str:
    if plan.mode is PointingMode.FLIPPED:
        return "flip: yes, azimuth turned 180° and elevation past 90° (the antenna looks back over the top)"
    if plan.mode is PointingMode.OVER_THE_TOP:
        return (
            f"flip: yes, over the top: azimuth held at {float(plan.azimuth_deg[0]):.1f}°, elevation "
            f"{float(np.min(plan.elevation_deg)):.0f}..{float(np.max(plan.elevation_deg)):.0f}° "
            "through the zenith"
        )
    reason = "" if plan.limits.can_flip else " (the rotator cannot flip: elevation ≤ 90°)"
    return f"flip: no{reason}"


def plan_lines(plan: PointingPlan, settings: TrackerSettings, *, now_s: float) -> list[str]:
    """The plan of one pass, a line per decision, indented under the pass line."""
    lines = [f"  plan: {plan.describe()}"]
    lines.append(f"  path: {_wrap_text(plan)}")
    lines.append(f"  {_flip_text(plan)}")
    target = plan.preposition
    if plan.start_s <= now_s:
        lines.append(
            f"  preposition: none (pass in progress); first move az {target.azimuth_deg:.1f}° "
            f"el {target.elevation_deg:.1f}°"
        )
    else:
        begin_s = preposition_time_s(plan, settings)
        slew_s = plan.limits.slew_time_s(plan.park, target)
        lines.append(
            f"  preposition: az {target.azimuth_deg:.1f}° el {target.elevation_deg:.1f}° from "
            f"{clock_text(max(begin_s, now_s))} ({slew_s:.0f} s slew from park, "
            f"{settings.preposition_margin_s:g} s margin before AOS {clock_text(plan.start_s)})"
        )
    lines.append(
        f"  park: az {plan.park.azimuth_deg:.1f}° el {plan.park.elevation_deg:.1f}° "
        f"after LOS {clock_text(plan.end_s)}"
    )
    if plan.feasible:
        lines.append(
            f"  follow: ok, predicted pointing error ≤ {plan.peak_predicted_error_deg:.1f}° "
            f"(tolerance {plan.tolerance_deg:g}°)"
        )
    else:
        lines += [f"  follow: CANNOT FOLLOW: {problem}" for problem in plan.problems]
    return lines
