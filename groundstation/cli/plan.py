"""`groundstation plan`: which station talks to which node when, optimally (HiGHS) or greedily."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from groundstation.clock import SystemClock
from groundstation.errors import InputError
from groundstation.planning import export
from groundstation.planning.config import check_preferred_stations, load_requests, load_stations, parse_time
from groundstation.planning.greedy import plan_greedy
from groundstation.planning.model import Plan, PlanningProblem
from groundstation.planning.passes import opportunities
from groundstation.planning.solver import DEFAULT_TIME_LIMIT_S, plan_optimal
from tracking.element_io import ElementsFileError, latest_per_object, read_elements
from tracking.elements import Elements

FORMATS = ("table", "json", "csv", "ics", "ccsds-ssf")
MAX_HOURS = 24.0 * 31


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "plan",
        help="plan contacts between stations and nodes (optimal MIP or greedy)",
        description="Plan which station talks to which node when: the exact optimum (HiGHS) within a "
        "time limit, or SatNOGS-style greedy priority order. Exports table, JSON, CSV, iCalendar or "
        "CCSDS Simple Schedule Format.",
    )
    parser.add_argument(
        "--elements",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="element file (TLE/3LE, OMM CSV/JSON/XML); repeat for more",
    )
    parser.add_argument("--stations", required=True, type=Path, metavar="STATIONS.toml")
    parser.add_argument("--requests", required=True, type=Path, metavar="REQUESTS.toml")
    parser.add_argument("--start", metavar="ISO8601", help="plan start, UTC (default: now)")
    parser.add_argument("--hours", type=float, default=24.0, help="plan length in hours (default 24)")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        metavar="SECONDS",
        help=f"optimal solver wall-time limit (default {DEFAULT_TIME_LIMIT_S:g})",
    )
    parser.add_argument("--solver", choices=("optimal", "greedy"), default="optimal")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here instead of standard output")
    parser.set_defaults(handler=run)


def _start(text: str | None) -> datetime:
    if text is None:
        return SystemClock().now().replace(microsecond=0)
    try:
        moment = parse_time(text)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--start: {exc}") from exc
    return moment.replace(microsecond=0)


def run(args: argparse.Namespace) -> int:
    if not 0.0 < args.hours <= MAX_HOURS:
        raise InputError(f"--hours: must be in (0, {MAX_HOURS:g}], got {args.hours:g}")
    if not args.time_limit > 0.0:
        raise InputError(f"--time-limit: must be > 0 s, got {args.time_limit:g}")
    start = _start(args.start)
    end = start + timedelta(seconds=round(args.hours * 3600.0))
    stations = load_stations(args.stations)
    nodes = load_requests(args.requests)
    check_preferred_stations(args.requests, nodes, stations)
    elements: list[Elements] = []
    for path in args.elements:
        try:
            result = read_elements(path)
        except ElementsFileError as exc:
            raise InputError(str(exc)) from exc
        if not result.elements:
            first = f": {result.rejected[0]}" if result.rejected else ""
            raise InputError(f"{path}: no element sets in the file{first}")
        for rejection in result.rejected:
            print(f"groundstation: warning: {rejection}", file=sys.stderr)
        elements.extend(result.elements)
    latest = {e.norad_id: e for e in latest_per_object(elements)}
    missing = sorted(n.norad_id for n in nodes if n.norad_id not in latest)
    problem = PlanningProblem(
        start, end, stations, nodes, opportunities(list(latest.values()), stations, nodes, start, end)
    )
    plan = (
        plan_optimal(problem, time_limit_s=args.time_limit)
        if args.solver == "optimal"
        else plan_greedy(problem)
    )
    plan = _note_missing_elements(plan, missing)
    text = _render(plan, problem, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"{args.output}: cannot write ({exc.strerror or exc})") from exc
        gap = "unknown" if plan.gap is None else f"{plan.gap:.4%}"
        print(
            f"{len(plan.contacts)} contacts ({plan.solver}, {plan.status}), objective {plan.objective:.1f}, "
            f"gap {gap}, {len(plan.unmet)} unmet -> {args.output}",
            file=sys.stderr,
        )
    return 0


def _note_missing_elements(plan: Plan, missing: list[int]) -> Plan:
    if not missing:
        return plan
    unmet = tuple(
        dataclasses.replace(u, reason="no element set for this node in the --elements files")
        if u.norad_id in missing and u.requirement == "any_contact"
        else u
        for u in plan.unmet
    )
    return dataclasses.replace(plan, unmet=unmet)


def _render(plan: Plan, problem: PlanningProblem, fmt: str) -> str:
    if fmt == "json":
        return export.to_json(plan)
    if fmt == "csv":
        return export.to_csv(plan)
    if fmt == "ics":
        return export.to_ics(plan, problem, generated=SystemClock().now().replace(microsecond=0))
    if fmt == "ccsds-ssf":
        return export.to_ccsds_ssf(plan, problem, generated=SystemClock().now().replace(microsecond=0))
    return export.to_table(plan, problem)
