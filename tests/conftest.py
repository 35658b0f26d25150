"""Shared test set-up: Qt offscreen, and system tools that skip locally but fail under CI."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def require_tool(name: str) -> str:
    """Path of a system tool; skip with the reason when missing, but fail under CI."""
    path = shutil.which(name)
    if path is None:
        message = f"system tool {name!r} is not installed (see .ci/run for the Debian package)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_module(name: str) -> None:
    """Skip when an optional system Python module is missing, but fail under CI."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        message = f"module {name!r} is not importable (see .ci/run and scripts/link-soapysdr)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point settings, data and cache folders at a temporary directory."""
    for name in ("CONFIG", "DATA", "CACHE"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(f"GROUNDSTATION_{name}_DIR", str(folder))
    return tmp_path
