"""Station loop figures on real ISS passes, against the naive loop measured in the same run.

Naive loop (what a tracker without lead or threshold does): every second it sends the satellite's
current position to the rotator and the current Doppler-corrected frequencies to the rig.
Ours: the rotator led by its slew lag with a 2° deadband; Doppler checked every second, aimed at the
middle of the coming second, resent only past the threshold.

Pointing error: the simulated rotator (6°/s, like `rotctld -m 1`) against the satellite every 0.5 s.
Frequency error: the receive frequency held against the exact one every 0.1 s.
CAT time: commands x the mean `F` time of a real `rigctld -m 1` (it imitates CAT latency), when
installed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from groundstation.clock import SimulatedClock
from groundstation.station.doppler import (
    DopplerController,
    DopplerSettings,
    FrequencyPlan,
    station_frequencies,
)
from groundstation.station.passtrack import pass_track, upcoming_passes
from groundstation.station.pointing import plan_pointing
from groundstation.station.sky import SkyTrack, pointing_error_deg, utc_from_posix
from groundstation.station.tracker import PassTracker, TrackerSettings
from radios.hamlib import RigctldRig
from radios.rotator import RotatorLimits
from radios.simulated import SimulatedRotator
from tracking.element_io import read_elements
from tracking.geometry import GroundLocation
from tracking.look import subsatellite_points
from tracking.propagation import Propagator

ELEMENTS = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "elements"
    / "celestrak-active-2025-04-23-sample.3le"
)
SEARCH_FROM = datetime(2025, 4, 24, 12, 0, tzinfo=UTC)
DOWNLINK_HZ = 437_800_000.0
UPLINK_HZ = 145_990_000.0
ROTATOR = RotatorLimits(-180.0, 540.0, 0.0, 180.0)
TOLERANCE_DEG = 2.0
PASSES = {  # station offset from the point below the ISS's northernmost latitude (deg north, east)
    "34° across north": (-5.0, 0.0),
    "60° high": (-2.0, 0.0),
    "74° high": (-1.0, 0.0),
    "zenith": (0.0, 0.0),
}


def iss_passes() -> dict[str, SkyTrack]:
    (iss,) = [e for e in read_elements(ELEMENTS).elements if e.norad_id == 25544]
    times = [SEARCH_FROM + timedelta(minutes=m) for m in range(95)]
    points = subsatellite_points(Propagator([iss]).propagate(times))
    k = int(np.argmax(points.latitude_deg[0]))
    tracks = {}
    for name, (north, east) in PASSES.items():
        station = GroundLocation(
            name, float(points.latitude_deg[0, k]) + north, float(points.longitude_deg[0, k]) + east
        )
        (found,) = upcoming_passes(
            iss, station, times[k] - timedelta(minutes=15), times[k] + timedelta(minutes=15)
        )
        tracks[name] = pass_track(iss, station, found)
    return tracks


class Recorder:
    """A frequency sink that only remembers what it was told and when."""

    name = "recorder"

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.rx: list[tuple[float, float]] = []
        self.tx: list[tuple[float, float]] = []

    def prepare(self, *, uplink: bool) -> None:
        """Nothing to prepare."""

    def set_rx_hz(self, frequency_hz: float) -> None:
        self.rx.append((self.clock.now().timestamp(), frequency_hz))

    def set_tx_hz(self, frequency_hz: float) -> None:
        self.tx.append((self.clock.now().timestamp(), frequency_hz))

    def rx_hz(self) -> float:
        return self.rx[-1][1]


def held_error_hz(track: SkyTrack, sets: list[tuple[float, float]], plan: FrequencyPlan) -> np.ndarray:
    grid = np.arange(track.start_s, track.end_s, 0.1)
    times = np.array([t for t, _ in sets])
    values = np.array([f for _, f in sets])
    held = values[np.clip(np.searchsorted(times, grid, side="right") - 1, 0, None)]
    exact = np.array([station_frequencies(plan, track.range_rate_at(float(t))).rx_hz for t in grid])
    return np.abs(exact - held)


def doppler_ours(track: SkyTrack, plan: FrequencyPlan, threshold_hz: float) -> tuple[int, np.ndarray]:
    path = plan_pointing(track, ROTATOR)
    clock = SimulatedClock(utc_from_posix(track.start_s - 60.0), speed=0)
    sink = Recorder(clock)
    controller = DopplerController(plan, DopplerSettings(interval_s=1.0, threshold_hz=threshold_hz))
    PassTracker(path, clock=clock, sink=sink, doppler=controller).run(clock.step)
    return len(sink.rx) + len(sink.tx), held_error_hz(track, sink.rx, plan)


def doppler_naive(track: SkyTrack, plan: FrequencyPlan) -> tuple[int, np.ndarray]:
    seconds = np.arange(track.start_s, track.end_s, 1.0)
    rx = [(float(t), round(station_frequencies(plan, track.range_rate_at(float(t))).rx_hz)) for t in seconds]
    return 2 * len(rx), held_error_hz(track, rx, plan)


def pointing_ours(track: SkyTrack, tolerance_deg: float) -> tuple[int, np.ndarray]:
    plan = plan_pointing(track, ROTATOR, tolerance_deg=tolerance_deg)
    clock = SimulatedClock(utc_from_posix(track.start_s - 120.0), speed=0)
    rotator = SimulatedRotator(ROTATOR, monotonic=lambda: clock.now().timestamp())
    tracker = PassTracker(
        plan, clock=clock, rotator=rotator, settings=TrackerSettings(tolerance_deg=tolerance_deg)
    )
    stats = tracker.run(clock.step)
    return stats.rotator_moves, np.array(stats.pointing_errors_deg)


def pointing_naive(track: SkyTrack) -> tuple[int, np.ndarray]:
    """The same planned path (so no end-stop trouble), sent as is every second; polled every 0.5 s."""
    plan = plan_pointing(track, ROTATOR, tolerance_deg=TOLERANCE_DEG)
    clock = SimulatedClock(utc_from_posix(track.start_s - 120.0), speed=0)
    rotator = SimulatedRotator(ROTATOR, monotonic=lambda: clock.now().timestamp())
    rotator.move_to(plan.preposition.azimuth_deg, plan.preposition.elevation_deg)
    clock.step(120.0)
    moves, errors = 0, []
    for k in range(int((track.end_s - track.start_s) / 0.5)):
        now_s = clock.now().timestamp()
        if k % 2 == 0:
            target = plan.pointing_at(now_s)
            rotator.move_to(target.azimuth_deg, target.elevation_deg)
            moves += 1
        here = rotator.position()
        errors.append(pointing_error_deg(here.azimuth_deg, here.elevation_deg, *track.direction_at(now_s)))
        clock.step(0.5)
    return moves, np.array(errors)


def rigctld_set_time_s() -> float | None:
    path = shutil.which("rigctld")
    if path is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen([path, "-m", "1", "-T", "127.0.0.1", "-t", str(port)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5.0
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.02)
        rig = RigctldRig("127.0.0.1", port)
        rig.set_frequency(DOWNLINK_HZ)
        started = time.perf_counter()
        for k in range(20):
            rig.set_frequency(DOWNLINK_HZ + k)
        rig.close()
        return (time.perf_counter() - started) / 20
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    started = time.perf_counter()
    tracks = iss_passes()
    print(f"ISS passes from the engine: {time.perf_counter() - started:.2f} s")
    plan = FrequencyPlan(downlink_hz=DOWNLINK_HZ, uplink_hz=UPLINK_HZ)
    set_s = rigctld_set_time_s()
    print(
        f"rigctld -m 1 F command: {set_s * 1000:.0f} ms" if set_s else "rigctld not installed: no CAT times"
    )

    print("\nDoppler (437.8 MHz down, 145.99 MHz up), per pass: CAT commands and held RX error")
    header = f"{'pass':<18}{'len s':>6}  {'loop':<18}{'cmds':>6}{'ratio':>7}"
    print(f"{header}{'mean Hz':>9}{'max Hz':>8}{'CAT s':>7}")
    for name, track in tracks.items():
        seconds = track.end_s - track.start_s
        naive_cmds, naive_err = doppler_naive(track, plan)
        rows = [("naive 1/s", naive_cmds, naive_err)]
        for threshold in (10.0, 100.0):
            cmds, err = doppler_ours(track, plan, threshold)
            rows.append((f"ours ≥{threshold:g} Hz", cmds, err))
        for label, cmds, err in rows:
            cat = f"{cmds * set_s:7.1f}" if set_s else "      -"
            print(
                f"{name:<18}{seconds:6.0f}  {label:<18}{cmds:6d}{cmds / naive_cmds:7.2f}"
                f"{np.mean(err):9.1f}{np.max(err):8.1f}{cat}"
            )

    print("\nPointing (rotator 6°/s, az -180..540°, el 0..180°; ours with a 1° and a 2° tolerance)")
    print(
        f"{'pass':<18}{'mode':<14}{'plan ms':>8}  {'loop':<10}{'moves':>6}{'mean°':>7}{'p95°':>7}{'peak°':>7}"
    )
    for name, track in tracks.items():
        started = time.perf_counter()
        mode = plan_pointing(track, ROTATOR, tolerance_deg=TOLERANCE_DEG).mode.value
        plan_ms = (time.perf_counter() - started) * 1000
        loops = [("naive 1/s", pointing_naive(track))]
        loops += [
            (f"ours {tolerance:g}°", pointing_ours(track, tolerance)) for tolerance in (1.0, TOLERANCE_DEG)
        ]
        for label, (moves, errors) in loops:
            print(
                f"{name:<18}{mode:<14}{plan_ms:8.0f}  {label:<10}{moves:6d}{np.mean(errors):7.2f}"
                f"{np.percentile(errors, 95):7.2f}{np.max(errors):7.2f}"
            )


if __name__ == "__main__":
    main()
