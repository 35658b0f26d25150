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


class PtyNullModem:
    """Two pseudo-terminals joined back to back, like a null-modem cable between two serial ports."""

    def __init__(self) -> None:
        import os
        import pty
        import threading
        import tty

        self._fds: list[int] = []
        self.paths: list[str] = []
        self._masters: list[int] = []
        for _ in range(2):
            master, slave = pty.openpty()
            tty.setraw(slave)
            self._masters.append(master)
            self._fds += [master, slave]
            self.paths.append(os.ttyname(slave))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        import os
        import select

        a, b = self._masters
        while not self._stop.is_set():
            ready, _, _ = select.select([a, b], [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue
                os.write(b if fd == a else a, data)

    def close(self) -> None:
        import os

        self._stop.set()
        self._thread.join(timeout=2)
        for fd in self._fds:
            os.close(fd)


def free_port_for_direwolf() -> int:
    """A free TCP port direwolf accepts for KISSPORT (it refuses the ephemeral range above 49151)."""
    import random
    import socket

    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20_000, 49_000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port between 20000 and 49000")


class DirewolfTnc:
    """A headless direwolf 9600 bd TNC: audio in on stdin, audio out to a raw file through ALSA's
    `file` plugin (a private HOME holds the .asoundrc), KISS on TCP and optionally on a serial port."""

    RATE = 48_000

    def __init__(self, folder: Path, kiss_port: int, serial_device: str | None = None) -> None:
        import os

        exe = require_tool("direwolf")
        self.tx_path = folder / "tx.raw"
        home = folder / "home"
        home.mkdir()
        (home / ".asoundrc").write_text(
            "pcm.dwtx {\n type file\n slave.pcm \"null\"\n" f' file "{self.tx_path}"\n format "raw"\n}}\n'
        )
        conf = folder / "direwolf.conf"
        lines = ["ADEVICE stdin dwtx", f"ARATE {self.RATE}", "CHANNEL 0", "MYCALL N0CALL", "MODEM 9600",
                 f"KISSPORT {kiss_port}", "AGWPORT 0"]
        if serial_device:
            lines.append(f"SERIALKISS {serial_device} 9600")
        conf.write_text("\n".join(lines) + "\n")
        self.kiss_port = kiss_port
        self.log = folder / "direwolf.log"
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [exe, "-c", str(conf), "-t", "0", "-q", "hd"], stdin=subprocess.PIPE, stdout=self._log_file,
            stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(home)},
        )

    def feed(self, samples: object) -> None:
        """Audio (floats, full scale 1.0) into direwolf's receiver."""
        import numpy as np

        assert self.proc.stdin is not None
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
        self.proc.stdin.write(pcm)
        self.proc.stdin.flush()

    def transmitted(self) -> object:
        """Everything direwolf has transmitted so far, as floats."""
        import numpy as np

        if not self.tx_path.exists():
            return np.zeros(0, np.float32)
        raw = self.tx_path.read_bytes()
        return np.frombuffer(raw[: len(raw) // 2 * 2], "<i2").astype(np.float32) / 32768

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log_file.close()
