"""Serial rotator controllers: Yaesu GS-232A/B and EasyComm II, byte for byte as Hamlib sends them.

The command bytes match Hamlib 4.5's `rotctl -m 601/603/202` (checked by the tests on a pty pair):
  GS-232A  move `W120 030\\r`, read `C2\\r` → `+0120+0030`, stop `S\\r`
  GS-232B  the same commands, each command without a reply followed by a bare `\\r`;
           read reply `AZ=120  EL=030`
  EasyComm II  move `AZ120.0 EL30.0\\n`, read `AZ EL \\n` → `AZ120.0 EL30.0`, stop `SA SE \\n`
Angles are rounded through a C float first, as Hamlib's `azimuth_t` is one (30.55 → "30.5").
GS-232 takes whole degrees (rounded half-to-even like C's printf) and no negative azimuth:
a negative logical azimuth is sent +360°, as Hamlib does.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Protocol

from radios.errors import DeviceError
from radios.link import Backoff, Link, SerialTransport
from radios.rotator import FULL_TURN_DEG, Pointing, RotatorLimits

DEFAULT_BAUD = 9600


def _as_c_float(angle_deg: float) -> float:
    return float(struct.unpack("f", struct.pack("f", angle_deg))[0])


_GS232A_REPLY = re.compile(rb"\+0*(\d+)\+0*(\d+)")
_GS232B_REPLY = re.compile(rb"AZ=\s*(\d+)\s*EL=\s*(\d+)")
_GS232_ERROR = b"?>"
_EASYCOMM_REPLY = re.compile(rb"AZ\s*(-?\d+(?:\.\d*)?)\s+EL\s*(-?\d+(?:\.\d*)?)")


class SerialDialect(Protocol):
    """How one controller family spells its commands and replies."""

    @property
    def name(self) -> str: ...

    def move(self, azimuth_deg: float, elevation_deg: float) -> bytes: ...

    def read(self) -> bytes: ...

    def stop(self) -> bytes: ...

    def reply_complete(self, reply: bytes) -> bool: ...

    def parse_position(self, reply: bytes) -> tuple[float, float]: ...


@dataclass(frozen=True)
class Gs232:
    """Yaesu GS-232A (`variant="A"`) or GS-232B (`variant="B"`)."""

    name: str
    variant: str

    def _command(self, text: str) -> bytes:
        # Hamlib's GS-232B backend follows every command that expects no reply with a bare CR.
        tail = "\r" if self.variant == "B" else ""
        return f"{text}\r{tail}".encode("ascii")

    def move(self, azimuth_deg: float, elevation_deg: float) -> bytes:
        azimuth_deg, elevation_deg = _as_c_float(azimuth_deg), _as_c_float(elevation_deg)
        if azimuth_deg < 0:
            azimuth_deg += FULL_TURN_DEG
        return self._command(f"W{azimuth_deg:03.0f} {elevation_deg:03.0f}")

    def read(self) -> bytes:
        return b"C2\r"

    def stop(self) -> bytes:
        return self._command("S")

    def reply_complete(self, reply: bytes) -> bool:
        return _GS232_ERROR in reply or (
            (_GS232A_REPLY.search(reply) or _GS232B_REPLY.search(reply)) is not None
            and (b"\r" in reply or b"\n" in reply)
        )

    def parse_position(self, reply: bytes) -> tuple[float, float]:
        if _GS232_ERROR in reply:
            raise ValueError("controller answered '?>' (invalid command)")
        match = _GS232B_REPLY.search(reply) or _GS232A_REPLY.search(reply)
        if match is None:
            raise ValueError(f"unrecognised position reply {reply!r}")
        return float(match.group(1)), float(match.group(2))


@dataclass(frozen=True)
class EasyComm2:
    name: str

    def move(self, azimuth_deg: float, elevation_deg: float) -> bytes:
        azimuth_deg, elevation_deg = _as_c_float(azimuth_deg), _as_c_float(elevation_deg)
        return f"AZ{azimuth_deg:.1f} EL{elevation_deg:.1f}\n".encode("ascii")

    def read(self) -> bytes:
        return b"AZ EL \n"

    def stop(self) -> bytes:
        return b"SA SE \n"

    def reply_complete(self, reply: bytes) -> bool:
        match = _EASYCOMM_REPLY.search(reply)
        return match is not None and any(c in reply[match.end() :] for c in (b"\n", b"\r"))

    def parse_position(self, reply: bytes) -> tuple[float, float]:
        match = _EASYCOMM_REPLY.search(reply)
        if match is None:
            raise ValueError(f"unrecognised position reply {reply!r}")
        return float(match.group(1)), float(match.group(2))


DIALECTS: dict[str, SerialDialect] = {
    "gs232": Gs232("GS-232B", "B"),
    "gs232b": Gs232("GS-232B", "B"),
    "gs232a": Gs232("GS-232A", "A"),
    "easycomm": EasyComm2("EasyComm II"),
}


class SerialRotator:
    """A rotator controller on a serial port (or any pyserial URL), speaking one dialect."""

    def __init__(
        self,
        scheme: str,
        port: str,
        limits: RotatorLimits,
        *,
        baud: int = DEFAULT_BAUD,
        timeout_s: float = 1.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.dialect = DIALECTS[scheme]
        self._limits = limits
        self._name = f"{scheme}:{port}@{baud}"
        self.link = Link(
            SerialTransport(port, baud), name=self._name, timeout_s=timeout_s, backoff=backoff or Backoff()
        )

    @property
    def limits(self) -> RotatorLimits:
        return self._limits

    @property
    def name(self) -> str:
        return self._name

    def move_to(self, azimuth_deg: float, elevation_deg: float) -> None:
        self._limits.check(azimuth_deg, elevation_deg)
        self.link.transact(self.dialect.move(azimuth_deg, elevation_deg), None)

    def position(self) -> Pointing:
        reply = self.link.transact(self.dialect.read(), self.dialect.reply_complete)
        try:
            azimuth_deg, elevation_deg = self.dialect.parse_position(reply)
        except ValueError as exc:
            raise DeviceError(f"{self._name}: {self.dialect.name} {exc}") from exc
        # Controllers report 0..450; map back into the configured logical range when needed.
        limits = self._limits
        if not limits.azimuth_min_deg <= azimuth_deg <= limits.azimuth_max_deg and (
            limits.azimuth_min_deg <= azimuth_deg - FULL_TURN_DEG <= limits.azimuth_max_deg
        ):
            azimuth_deg -= FULL_TURN_DEG
        return Pointing(azimuth_deg, elevation_deg)

    def stop(self) -> None:
        self.link.transact(self.dialect.stop(), None)

    def park(self) -> None:
        self.move_to(self._limits.park_azimuth_deg, self._limits.park_elevation_deg)

    def close(self) -> None:
        self.link.close()
