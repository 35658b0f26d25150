"""`groundstation sim run`: the whole loop headless in simulated time, then a summary."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from groundstation.cli.passes import parse_time
from groundstation.clock import SimulatedClock
from groundstation.errors import InputError
from groundstation.sim.events import CommandChanged, PassEnded, PassStarted, SimEvent
from groundstation.sim.simulation import Simulation, SimulationConfig

# A fixed default start keeps `sim run` reproducible: the same seed gives the same run.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_HOURS = 24.0
DEFAULT_NODES = 24
MAX_SLEEP_S = 0.25


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sim", help="run the node and link simulation headless")
    actions = parser.add_subparsers(
        title="actions", metavar="ACTION", required=True, parser_class=type(parser)
    )
    run = actions.add_parser(
        "run",
        help="simulate the demo constellation, stations and governance traffic; print a summary",
        description="Nodes of the demo constellation on their orbits, the demo stations working their "
        "passes through the IQ modem and a geometry-driven channel, a few governance packets queued "
        "(one forged, one replayed: the nodes must refuse them), telemetry archived.",
    )
    run.add_argument("--nodes", type=int, default=DEFAULT_NODES, help=f"1..24 (default {DEFAULT_NODES})")
    run.add_argument("--hours", type=float, default=DEFAULT_HOURS, help=f"default {DEFAULT_HOURS:g}")
    run.add_argument("--speed", default="max", help="FACTOR times real time, or max (default)")
    run.add_argument("--db", help="archive to create (SQLite file); default: a temporary one")
    run.add_argument("--seed", type=int, default=0, help="default 0: the same seed gives the same run")
    run.add_argument("--start", metavar="ISO8601", help=f"default {DEFAULT_START.isoformat()}")
    run.add_argument("--format", choices=("text", "json"), default="text", help="summary format")
    run.set_defaults(handler=run_sim)


def parse_speed(text: str) -> float | None:
    """None for max, else a factor > 0."""
    if text.strip().lower() == "max":
        return None
    try:
        factor = float(text)
    except ValueError:
        raise InputError(f"--speed: expected a number or max, got {text!r}") from None
    if not (math.isfinite(factor) and factor > 0):
        raise InputError(f"--speed: must be > 0, got {text}")
    return factor


def _workdir_for(db: Path) -> Path:
    return db.with_name(db.name + ".sim")


def _log(event: SimEvent, out: TextIO) -> None:
    if isinstance(event, PassStarted):
        line = f"AOS  {event.station} {event.node} (max {event.max_elevation_deg:.0f}°)"
    elif isinstance(event, PassEnded):
        line = f"LOS  {event.station} {event.node}: {event.frames_received}/{event.frames_sent} frames"
    elif isinstance(event, CommandChanged):
        t = event.transition
        extra = f" {t.reason}" if t.reason else ""
        line = f"CMD  #{t.command_id} {t.node} {t.state.value}{extra}" + (
            f" at {t.station}" if t.station else ""
        )
        event_time = t.time
        print(f"{event_time:%H:%M:%S} {line}", file=out, flush=True)
        return
    else:
        return
    print(f"{event.time:%H:%M:%S} {line}", file=out, flush=True)


def run_sim(args: argparse.Namespace) -> int:
    if not 1 <= args.nodes <= 24:
        raise InputError(f"--nodes: the demo constellation has 1..24 nodes, got {args.nodes}")
    if not (math.isfinite(args.hours) and args.hours > 0):
        raise InputError(f"--hours: must be > 0, got {args.hours:g}")
    speed = parse_speed(args.speed)
    start = parse_time(args.start, "--start") if args.start else DEFAULT_START
    temporary: Path | None = None
    if args.db:
        if "://" in args.db:
            raise InputError(f"--db: sim run writes a new SQLite file, not a database URL: {args.db}")
        db = Path(args.db).expanduser()
        workdir = _workdir_for(db)
        if not db.parent.is_dir():
            raise InputError(f"--db: no such folder: {db.parent}")
        for path in (db, workdir):
            if path.exists():
                raise InputError(
                    f"--db: {path} already exists (sim run writes a new archive; remove it or pick another)"
                )
    else:
        temporary = Path(tempfile.mkdtemp(prefix="groundstation-sim-"))
        db, workdir = temporary / "sim.db", temporary / "sim.db.sim"
    end = start + timedelta(hours=args.hours)
    sim = Simulation(
        SimulationConfig(start=start, database=db, workdir=workdir, nodes=args.nodes, seed=args.seed)
    )
    try:
        sim.queue_demo_packets()
        if speed is not None:
            sim.subscribe(lambda event: _log(event, sys.stderr))
        interrupted = _run(sim, end, speed)
        summary = sim.summary()
    finally:
        sim.close()
    if args.format == "json":
        document = summary.to_dict()
        document["archive"] = None if temporary else str(db)
        document["audit_log"] = None if temporary else str(workdir / "governance-audit.jsonl")
        json.dump(document, sys.stdout, indent=1)
        print()
    else:
        print(summary.text())
        if temporary is None:
            print(f"archive: {db} (groundstation telemetry query / commands list --db {db})")
            print(f"audit log: {workdir / 'governance-audit.jsonl'}; node state: {workdir / 'nodes'}")
    if temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)
    return 130 if interrupted else 0


def _run(sim: Simulation, end: datetime, speed: float | None) -> bool:
    """Advance to `end` (as fast as possible, or paced by a clock at `speed`); True if interrupted."""
    try:
        if speed is None:
            sim.advance_to(end)
            return False
        clock = SimulatedClock(sim.now, speed=speed)
        while sim.now < end:
            sim.advance_to(min(clock.now(), end))
            upcoming = sim.next_event_time() or end
            wait_s = (min(upcoming, end) - clock.now()).total_seconds() / speed
            time.sleep(min(max(wait_s, 0.0), MAX_SLEEP_S))  # the CLI paces; the core never sleeps
        return False
    except KeyboardInterrupt:
        print(f"interrupted at {sim.now.isoformat()}", file=sys.stderr)
        return True
