"""The verifier library stands alone: flight software can take it with only `cryptography`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

PROJECT = "groundstation radios tracking ui"
HEAVY = "numpy scipy PySide6 platformdirs"


def test_verifier_library_loads_nothing_ground_only():
    code = (
        "import sys\n"
        "import groundstation.governance.verifier\n"
        "top = {m: m.split('.')[0] for m in sys.modules}\n"
        f"ours = [m for m, t in top.items() if t in {PROJECT.split()!r}]\n"
        f"heavy = [m for m, t in top.items() if t in {HEAVY.split()!r}]\n"
        "ok = ('groundstation', 'groundstation.governance')\n"
        "print(' '.join(m for m in ours if m != ok[0] and not m.startswith(ok[1])))\n"
        "print(' '.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["", ""]
