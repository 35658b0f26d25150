"""Run every benchmarks/bench_*.py (or those named on the command line), each in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    failed = []
    for module in modules:
        print(f"\n=== {module} ===", flush=True)
        proc = subprocess.run([sys.executable, "-m", f"benchmarks.{module}"], cwd=HERE.parent, check=False)
        if proc.returncode != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
