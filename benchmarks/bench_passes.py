"""Pass prediction for CelesTrak's whole active catalog against Skyfield's `find_events`.

Peer, measured in the same run: Skyfield 1.55 `EarthSatellite.find_events` (altitude 0 deg) on an
evenly spaced sample of the same objects, one station, extrapolated to the catalog. Ours:
`find_passes` over the whole catalog, 24 h, SGP4 initialisation included, with one and with ten
stations. Times are CPU seconds, best of interleaved rounds (fair on a busy shared machine).
"""

from __future__ import annotations

import os

# One BLAS thread: CPU time then measures work, not how many idle cores a library spins on.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skyfield.api import EarthSatellite, load, wgs84

from tracking.element_io import read_elements
from tracking.geometry import GroundLocation
from tracking.passes import find_passes
from tracking.propagation import Propagator

CATALOG = "celestrak-active-2026-08-22.csv"
START = datetime(2026, 8, 22, 18, tzinfo=UTC)
END = START + timedelta(hours=24)
ROUNDS = 3
SKYFIELD_SAMPLE_EVERY = 40  # ~410 objects: Skyfield's per-object cost is steady, this extrapolates well
STATIONS = (
    GroundLocation("Delft", 52.0, 4.37, 0.0),
    GroundLocation("Svalbard", 78.23, 15.39, 450.0),
    GroundLocation("Fairbanks", 64.86, -147.85, 200.0),
    GroundLocation("Hartebeesthoek", -25.89, 27.69, 1540.0),
    GroundLocation("Santiago", -33.15, -70.67, 720.0),
    GroundLocation("Perth", -31.80, 115.89, 40.0),
    GroundLocation("Tokyo", 35.71, 139.49, 60.0),
    GroundLocation("Singapore", 1.35, 103.82, 20.0),
    GroundLocation("Hawaii", 19.82, -155.47, 4200.0),
    GroundLocation("McMurdo", -77.85, 166.67, 10.0),
)


def _data_dir() -> Path | None:
    beside_repo = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    for candidate in (beside_repo, Path("/work/shared/data")):
        if (candidate / CATALOG).is_file():
            return candidate
    return None


def main() -> int:
    data = _data_dir()
    if data is None:
        print(f"bench_passes: {CATALOG} not found beside the repository (../shared/data); skipped")
        return 0
    catalog = read_elements(data / CATALOG).elements
    print(f"catalog: {len(catalog)} objects, window {START:%Y-%m-%d %H:%M} UTC + 24 h")

    timescale = load.timescale(builtin=True)
    observer = wgs84.latlon(STATIONS[0].latitude_deg, STATIONS[0].longitude_deg, STATIONS[0].altitude_m)
    t0, t1 = timescale.from_datetime(START), timescale.from_datetime(END)
    sample = catalog[::SKYFIELD_SAMPLE_EVERY]
    satellites = [EarthSatellite.from_satrec(element.to_satrec(), timescale) for element in sample]

    def skyfield_sample() -> int:
        events = 0
        for satellite in satellites:
            events += len(satellite.find_events(observer, t0, t1, altitude_degrees=0.0)[0])
        return events

    def ours(stations: tuple[GroundLocation, ...]) -> int:
        return len(find_passes(Propagator(catalog), stations, START, END).table)

    best = {"skyfield": float("inf"), "one": float("inf"), "ten": float("inf")}
    wall = dict(best)
    counts = {}
    for _ in range(ROUNDS):
        for name, run in (("skyfield", skyfield_sample), ("one", lambda: ours(STATIONS[:1])),
                          ("ten", lambda: ours(STATIONS))):  # fmt: skip
            cpu, clock = time.process_time(), time.perf_counter()
            counts[name] = run()
            best[name] = min(best[name], time.process_time() - cpu)
            wall[name] = min(wall[name], time.perf_counter() - clock)

    skyfield_catalog_s = best["skyfield"] * len(catalog) / len(sample)
    print(f"skyfield find_events: {best['skyfield']:.2f} s CPU for {len(sample)} objects "
          f"({best['skyfield'] / len(sample) * 1e3:.2f} ms/object, {counts['skyfield']} events) "
          f"-> {skyfield_catalog_s:.1f} s for the catalog")  # fmt: skip
    print(f"ours, 1 station:   {best['one']:.2f} s CPU ({wall['one']:.2f} s wall), {counts['one']} passes")
    print(f"ours, 10 stations: {best['ten']:.2f} s CPU ({wall['ten']:.2f} s wall), {counts['ten']} passes")
    print(f"speed-up vs Skyfield (1 station): {skyfield_catalog_s / best['one']:.1f}x (target >= 20x)")
    print(f"ten stations / one station: {best['ten'] / best['one']:.2f}x (target < 2x)")
    print(f"  Skyfield for ten stations would take ~{10 * skyfield_catalog_s:.0f} s: "
          f"{10 * skyfield_catalog_s / best['ten']:.0f}x")  # fmt: skip

    materialise = time.process_time()
    result = find_passes(Propagator(catalog), STATIONS[:1], START, END)
    search = time.process_time() - materialise
    materialise = time.process_time()
    passes = result.passes
    print(f"building {len(passes)} Pass values (PassSearchResult.passes) on top: "
          f"{time.process_time() - materialise:.2f} s CPU (the search itself {search:.2f} s)")

    tracemalloc.start()
    find_passes(Propagator(catalog), STATIONS, START, END)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory of a 10-station search (tracemalloc): {peak / 2**20:.0f} MiB; "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
