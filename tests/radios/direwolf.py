"""Running direwolf's own tools (gen_packets, atest) and reading what they print."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require_tool

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_COUNT = re.compile(r"^(\d+) packets decoded")
_HEX_ROW = re.compile(r"^\s+[0-9a-f]{3}:\s+((?:[0-9a-f]{2} )+)")


@dataclass(frozen=True)
class AtestResult:
    count: int
    monitor_lines: list[str]  # what direwolf printed for each frame, `SRC>DST:info`
    frames_hex: list[bytes]  # frame bytes (no FCS) from `-h`


def gen_packets(out: Path, *, rate: int = 48_000, lines: list[str] | None = None, noisy: int = 0) -> Path:
    """A 9600 bd G3RUH file: the given monitor lines, or direwolf's `-n` frames with rising noise."""
    exe = require_tool("gen_packets")
    cmd = [exe, "-B", "9600", "-r", str(rate), "-o", str(out)]
    if lines is not None:
        messages = out.with_suffix(".txt")
        messages.write_text("".join(f"{line}\n" for line in lines))
        cmd.append(str(messages))
    elif noisy:
        cmd += ["-n", str(noisy)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def atest(wav: Path, *extra: str) -> AtestResult:
    exe = require_tool("atest")
    proc = subprocess.run([exe, "-B", "9600", "-h", *extra, str(wav)], capture_output=True, check=False)
    text = _ANSI.sub("", proc.stdout.decode("latin-1"))
    count = -1
    monitor: list[str] = []
    frames: list[bytes] = []
    current: bytearray | None = None
    for line in text.splitlines():
        if (match := _COUNT.match(line.strip())) is not None:
            count = int(match.group(1))
        elif line.startswith("[0] "):
            monitor.append(line[4:])
        elif (row := _HEX_ROW.match(line)) is not None:
            if line.lstrip().startswith("000:"):
                current = bytearray()
                frames.append(b"")
            assert current is not None
            current += bytes.fromhex(row.group(1))
            frames[-1] = bytes(current)
    if count < 0:
        raise AssertionError(f"atest printed no packet count: {text[-500:]}")
    return AtestResult(count, monitor, frames)
