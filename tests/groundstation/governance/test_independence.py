"""The verifier library stands alone: flight software can take it with only `cryptography`."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_verifier_library_loads_nothing_ground_only():
    code = (
        "import sys\n"
        "import groundstation.governance.verifier\n"
        "ours = sorted(m for m in sys.modules if m.split('.')[0] in {'groundstation', 'radios', 'tracking', 'ui'})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'numpy', 'scipy', 'PySide6', 'platformdirs'})\n"
        "print(' '.join(m for m in ours if not m.startswith('groundstation.governance') and m != 'groundstation'))\n"
        "print(' '.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["", ""]
