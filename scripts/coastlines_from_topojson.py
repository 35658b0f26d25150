"""Convert Natural Earth land outlines (TopoJSON, as in the npm package world-atlas) to our CSV.

Used once to make ui/resources/coastlines-110m.csv:
    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/coastlines_from_topojson.py package/land-110m.json > ui/resources/coastlines-110m.csv
Natural Earth data is in the public domain. Output: `lon,lat` rows in degrees (2 decimals), one
polyline after another, separated by blank lines. Segments that run along the map edge (the
antimeridian or the bottom of Antarctica) and jumps across the antimeridian are cut out.
"""

from __future__ import annotations

import itertools
import json
import sys

EDGE_LON_DEG = 179.9
EDGE_LAT_DEG = -85.0


def _on_edge(a: tuple[float, float], b: tuple[float, float]) -> bool:
    both_at_antimeridian = abs(a[0]) > EDGE_LON_DEG and abs(b[0]) > EDGE_LON_DEG
    across_antimeridian = abs(a[0] - b[0]) > 180.0
    both_at_bottom = a[1] < EDGE_LAT_DEG and b[1] < EDGE_LAT_DEG
    return both_at_antimeridian or across_antimeridian or both_at_bottom


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        topo = json.load(handle)
    scale_x, scale_y = topo["transform"]["scale"]
    shift_x, shift_y = topo["transform"]["translate"]
    lines: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:  # TopoJSON arcs are delta-encoded quantised positions
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        current = [points[0]]
        for a, b in itertools.pairwise(points):
            if _on_edge(a, b):
                if len(current) > 1:
                    lines.append(current)
                current = [b]
            else:
                current.append(b)
        if len(current) > 1:
            lines.append(current)
    out = sys.stdout
    out.write("# Natural Earth 1:110m land outlines (public domain), lon,lat degrees; blank line = break\n")
    for line in lines:
        for lon, lat in line:
            out.write(f"{lon:.2f},{lat:.2f}\n")
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
