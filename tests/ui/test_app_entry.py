"""`groundstation` with no subcommand on a machine without a display (CI, ssh, containers)."""

import os
import subprocess
import sys

from tests.conftest import REPO

# Far above the ~1 s a Python start takes, far below a hang.
NO_HANG_TIMEOUT_S = 60.0


def test_no_display_is_one_line_and_exit_2_without_touching_qt():
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    code = (
        "import sys\n"
        "from ui.app import main\n"
        "rc = main([])\n"
        "qt = [m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6', 'pyqtgraph'}]\n"
        "print('QT=' + ','.join(qt))\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=NO_HANG_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.strip() == "QT="
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("groundstation: error: no display for the desktop app")
    assert "groundstation demo" in lines[0]


def test_an_explicit_qt_platform_is_left_to_qt():
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["QT_QPA_PLATFORM"] = "offscreen"
    code = "from ui.app import _no_display\nprint(_no_display())\n"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "False"
