"""Reading element files: our reader against python-sgp4's own parsers on CelesTrak's catalogs.

Peers, measured in the same run: `sgp4.omm.parse_csv` + `omm.initialize` (OMM CSV) and
`Satrec.twoline2rv` (3LE). Ours builds `Elements` values (checked, with file:line rejections);
"ours + to_satrec" adds SGP4 initialisation so the comparison covers the same end state.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sgp4 import omm
from sgp4.api import Satrec

from tracking.element_io import read_elements

REPEATS = 7


def _data_dir() -> Path | None:
    beside_repo = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    for candidate in (beside_repo, Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return None


def _best_of(functions: Sequence[Callable[[], int]]) -> list[tuple[float, int]]:
    """Best CPU time of each function over REPEATS rounds, run interleaved (fair on a busy machine)."""
    best = [float("inf")] * len(functions)
    counts = [0] * len(functions)
    for _ in range(REPEATS):
        for index, function in enumerate(functions):
            start = time.process_time()
            counts[index] = function()
            best[index] = min(best[index], time.process_time() - start)
    return list(zip(best, counts, strict=True))


def _peer_csv(path: Path) -> int:
    count = 0
    with path.open() as handle:
        for fields in omm.parse_csv(handle):
            sat = Satrec()
            omm.initialize(sat, fields)
            count += 1
    return count


def _peer_tle(path: Path) -> int:
    lines = path.read_text().splitlines()
    count = 0
    for i, line in enumerate(lines):
        if line.startswith("1 "):
            Satrec.twoline2rv(line, lines[i + 1])
            count += 1
    return count


def _ours(path: Path) -> int:
    result = read_elements(path)
    if result.rejected:
        raise SystemExit(f"unexpected rejections: {result.rejected[0]}")
    return len(result.elements)


def _ours_with_satrec(path: Path) -> int:
    elements = read_elements(path).elements
    for item in elements:
        item.to_satrec()
    return len(elements)


def main() -> int:
    data = _data_dir()
    if data is None:
        print("../shared/data not found; nothing to measure", file=sys.stderr)
        return 1
    cases = [
        ("celestrak-active-2026-08-22.csv", "sgp4.omm.parse_csv+initialize", _peer_csv),
        ("celestrak-active-2025-04-23.tle", "Satrec.twoline2rv", _peer_tle),
    ]
    print(f"best CPU time of {REPEATS} interleaved runs, one core")
    for name, peer_name, peer in cases:
        path = data / name
        (ours_s, count), (full_s, _), (peer_s, peer_count) = _best_of(
            [
                lambda path=path: _ours(path),
                lambda path=path: _ours_with_satrec(path),
                lambda path=path, peer=peer: peer(path),
            ]
        )
        if peer_count != count:
            raise SystemExit(f"{name}: we read {count} objects, {peer_name} {peer_count}")
        print(f"{name}: {count} objects")
        print(f"  read_elements                  {ours_s * 1000:8.1f} ms  ({count / ours_s:,.0f} objects/s)")
        print(f"  read_elements+to_satrec        {full_s * 1000:8.1f} ms")
        print(f"  {peer_name:<30} {peer_s * 1000:8.1f} ms")
        print(
            f"  ratio peer / ours: {peer_s / ours_s:.2f}x (elements only), "
            f"{peer_s / full_s:.2f}x (with Satrec)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
