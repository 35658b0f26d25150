"""`groundstation radio list` end to end, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO, require_module


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groundstation", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_radio_list_shows_backends_and_searched_drivers():
    require_module("SoapySDR")
    proc = run("radio", "list", "--driver", "null")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["soapy", "soapy:driver=..."]
    assert "searched null" in lines[0]
    assert any("no SoapySDR device found for null" in line for line in lines)
    assert any(line.split()[:2] == ["loopback", "loopback:"] for line in lines)
    assert any(line.split()[:2] == ["sigmf", "sigmf:PATH.sigmf-meta"] for line in lines)


def test_bad_driver_name_is_exit_2_one_line():
    proc = run("radio", "list", "--driver", "driver=null")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line == (
        "groundstation: error: --driver: SoapySDR driver name 'driver=null' "
        "must be a bare name such as rtlsdr"
    )
