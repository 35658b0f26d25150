"""Run every fuzz target (or those named) for FUZZ_SECONDS each (default 60), one process each.

Extra arguments after `--` go to libFuzzer, e.g. `python -m benchmarks.fuzz governance -- -runs=1000`.
A crash leaves libFuzzer's `crash-*` reproducer in the current directory and fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names, _, extra = (
        (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :]) if "--" in argv else (argv, None, [])
    )
    targets = sorted(p.stem for p in HERE.glob("fuzz_*.py"))
    if names:
        targets = [t for t in targets if any(n in t for n in names)]
    seconds = os.environ.get("FUZZ_SECONDS", "60")
    failed = []
    for target in targets:
        print(f"\n=== {target} ({seconds} s) ===", flush=True)
        command = [sys.executable, "-m", f"benchmarks.fuzz.{target}", f"-max_total_time={seconds}", *extra]
        if subprocess.run(command, cwd=HERE.parents[1], check=False).returncode != 0:
            failed.append(target)
    if failed:
        print(f"\nfuzz targets that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
