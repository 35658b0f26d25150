"""A serial rotator controller on the far end of a pty pair, answering as a real unit does.

GS-232A answers `C2` with `+0aaa+0eee`, GS-232B with `AZ=aaa  EL=eee` (Yaesu manuals; also what
Hamlib's gs232a/gs232b backends parse), both ending CR LF, and `?>` to a command they do not know.
EasyComm II answers `AZ EL` with `AZ120.0 EL30.0`. Moves are instantaneous here: the emulator is
about bytes, not dynamics. Every byte received is recorded, so tests can compare what Hamlib and
our drivers send.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import threading
import tty
from pathlib import Path

_POLL_S = 0.02


class ControllerEmulator:
    def __init__(self, dialect: str, *, azimuth_deg: float = 0.0, elevation_deg: float = 0.0) -> None:
        if dialect not in {"gs232a", "gs232b", "easycomm"}:
            raise ValueError(dialect)
        self.dialect = dialect
        self.azimuth_deg = azimuth_deg
        self.elevation_deg = elevation_deg
        self.silent = False
        self.refused: set[str] = set()
        self.received = bytearray()
        self.commands: list[str] = []
        self._master, self._slave = pty.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._running = True
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._serve, name=f"emulator-{dialect}", daemon=True)
        self._thread.start()

    @property
    def terminator(self) -> bytes:
        return b"\n" if self.dialect == "easycomm" else b"\r"

    def link_at(self, path: Path) -> Path:
        """A stable name for the port (as /dev/serial/by-id gives), re-pointable after a replug."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        path.symlink_to(self.port)
        return path

    def received_bytes(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def wait_received(self, length: int, timeout_s: float = 2.0) -> bytes:
        """The bytes received once at least `length` have arrived (or the timeout passed)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= length, timeout_s)
            return bytes(self.received)

    def _serve(self) -> None:
        pending = b""
        while self._running:
            try:
                ready, _, _ = select.select([self._master], [], [], _POLL_S)
                if not ready:
                    continue
                data = os.read(self._master, 1024)
            except OSError:
                return
            with self._lock:
                self.received += data
                self._changed.notify_all()
            pending += data
            while self.terminator in pending:
                line, pending = pending.split(self.terminator, 1)
                reply = self._answer(line.decode("ascii", "replace").strip())
                if reply and not self.silent:
                    try:
                        os.write(self._master, reply)
                    except OSError:
                        return

    def _answer(self, command: str) -> bytes:
        if not command:
            return b""
        self.commands.append(command)
        if self.dialect == "easycomm":
            return self._answer_easycomm(command)
        return self._answer_gs232(command)

    def _answer_gs232(self, command: str) -> bytes:
        if command in self.refused:
            return b"?>\r\n"
        if command == "C2":
            az, el = round(self.azimuth_deg), round(self.elevation_deg)
            if self.dialect == "gs232a":
                return f"+0{az:03d}+0{el:03d}\r\n".encode()
            return f"AZ={az:03d}  EL={el:03d}\r\n".encode()
        move = re.fullmatch(r"W(\d{3}) (\d{3})", command)
        if move:
            self.azimuth_deg, self.elevation_deg = float(move.group(1)), float(move.group(2))
            return b""
        if command == "S":
            return b""
        return b"?>\r\n"

    def _answer_easycomm(self, command: str) -> bytes:
        if command == "AZ EL":
            return f"AZ{self.azimuth_deg:.1f} EL{self.elevation_deg:.1f}\n".encode()
        move = re.fullmatch(r"AZ(-?[\d.]+) EL(-?[\d.]+)", command)
        if move:
            self.azimuth_deg, self.elevation_deg = float(move.group(1)), float(move.group(2))
        return b""

    def unplug(self) -> None:
        """Close the controller's end: the port's reads and writes fail as an unplugged adapter's do."""
        self._running = False
        self._thread.join()
        with contextlib.suppress(OSError):
            os.close(self._master)

    def close(self) -> None:
        if self._running:
            self.unplug()
        with contextlib.suppress(OSError):
            os.close(self._slave)
