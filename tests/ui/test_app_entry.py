"""`groundstation` with no subcommand on a machine without a display (CI, ssh, containers)."""

import os
import subprocess
import sys

from tests.conftest import REPO

# Far above the ~1 s a Python start takes, far below a hang.
NO_HANG_TIMEOUT_S = 60.0


QT_PROBE = (
    "qt = [m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6', 'pyqtgraph'}]\n"
    "print('QT=' + ','.join(qt))\n"
    "sys.exit(rc)\n"
)


def run_entry(setup: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`main([])` in a fresh interpreter after `setup`; prints which Qt modules got imported."""
    code = f"import sys\n{setup}rc = ui.app.main([])\n{QT_PROBE}"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=NO_HANG_TIMEOUT_S, check=False,
    )  # fmt: skip


def test_no_display_is_one_line_and_exit_2_without_touching_qt():
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    proc = run_entry("import ui.app\n", env)
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


def test_missing_x11_libraries_are_named_by_their_debian_package():
    from ui.app import X11_LIBRARIES, missing_x11_packages

    absent = {"xcb-icccm", "xcb-keysyms"}
    found = missing_x11_packages(lambda name: None if name in absent else f"lib{name}.so")
    assert found == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert missing_x11_packages(lambda name: f"lib{name}.so") == []
    assert len(missing_x11_packages(lambda _name: None)) == len(X11_LIBRARIES)


def test_on_x11_without_qt_libraries_is_one_line_and_exit_2_without_touching_qt():
    env = {k: v for k, v in os.environ.items() if k not in {"WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    env["DISPLAY"] = ":99"
    proc = run_entry(
        "import ui.app\n"
        "ui.app.missing_x11_packages.__defaults__ = (lambda name: None if name == 'xcb-cursor' else name,)\n",
        env,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.strip() == "QT="
    assert proc.stderr.strip().splitlines() == [
        "groundstation: error: the desktop app needs Qt's X11 libraries: sudo apt-get install libxcb-cursor0"
    ]


def test_make_run_without_a_display_runs_the_demo_headless():
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    proc = subprocess.run(
        [str(REPO / "scripts" / "run-demo")], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=NO_HANG_TIMEOUT_S * 5, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0].startswith("groundstation: error: no display for the desktop app")
    assert "runs headless" in proc.stderr
    assert "passes worked:" in proc.stdout
    assert "rejected (bad_signature)" in proc.stdout  # the forged packet the demo's nodes refuse
