"""Rotators and rigs by URI: the configuration names a device, the registry builds its driver.

  rotctld://HOST[:PORT]          Hamlib rotctld (default port 4533)
  gs232:PORT[@BAUD]              Yaesu GS-232B on a serial port (gs232a: / gs232b: to be explicit)
  easycomm:PORT[@BAUD]           EasyComm II on a serial port
  sim:                           simulated rotator slewing at the configured rates
  rigctld://HOST[:PORT]          Hamlib rigctld (default port 4532)
  sim:                           simulated rig
PORT is a device path or any pyserial URL (e.g. `socket://host:port` for ser2net).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from radios.errors import DeviceConfigError
from radios.hamlib import RigctldRig, RotctldRotator
from radios.link import Backoff
from radios.rig import Rig
from radios.rotator import Rotator, RotatorLimits
from radios.serial_rotators import DEFAULT_BAUD, DIALECTS, SerialRotator
from radios.simulated import SimulatedRig, SimulatedRotator

ROTCTLD_DEFAULT_PORT = 4533
RIGCTLD_DEFAULT_PORT = 4532
MAX_TCP_PORT = 65535


@dataclass(frozen=True)
class DeviceAddress:
    """A parsed device URI: a TCP endpoint, a serial port with baud rate, or neither (`sim:`)."""

    scheme: str
    host: str = ""
    port: int = 0
    device: str = ""
    baud: int = 0

    @property
    def uri(self) -> str:
        if self.host:
            return f"{self.scheme}://{self.host}:{self.port}"
        if self.device:
            return f"{self.scheme}:{self.device}@{self.baud}"
        return f"{self.scheme}:"


def _parse_tcp(uri: str, scheme: str, rest: str, default_port: int) -> DeviceAddress:
    if not rest.startswith("//") or len(rest) <= 2:
        raise DeviceConfigError(f"device URI {uri!r}: expected {scheme}://HOST[:PORT]")
    host, sep, port_text = rest[2:].rstrip("/").rpartition(":")
    if not sep:
        host, port_text = port_text, str(default_port)
    host = host.strip("[]")  # IPv6 literals: rotctld://[::1]:4533
    if not host or not port_text.isdigit() or not 0 < int(port_text) <= MAX_TCP_PORT:
        raise DeviceConfigError(f"device URI {uri!r}: expected {scheme}://HOST[:PORT] with PORT 1..65535")
    return DeviceAddress(scheme, host=host, port=int(port_text))


def _parse_serial(uri: str, scheme: str, rest: str) -> DeviceAddress:
    device, sep, baud_text = rest.rpartition("@")
    if not sep or not baud_text.isdigit():
        device, baud_text = rest, str(DEFAULT_BAUD)
    if not device or int(baud_text) <= 0:
        raise DeviceConfigError(f"device URI {uri!r}: expected {scheme}:/dev/ttyUSB0[@BAUD]")
    return DeviceAddress(scheme, device=device, baud=int(baud_text))


def parse_device_uri(uri: str, *, kind: str = "rotator") -> DeviceAddress:
    """Parse a rotator (`kind="rotator"`) or rig (`kind="rig"`) URI; `DeviceConfigError` if bad."""
    scheme, sep, rest = uri.strip().partition(":")
    scheme = scheme.lower()
    known = sorted(ROTATOR_SCHEMES if kind == "rotator" else RIG_SCHEMES)
    if not sep or scheme not in known:
        raise DeviceConfigError(
            f"{kind} URI {uri!r}: unknown scheme {scheme!r} (known: {', '.join(s + ':' for s in known)})"
        )
    if scheme == "sim":
        if rest:
            raise DeviceConfigError(f"{kind} URI {uri!r}: `sim:` takes no address")
        return DeviceAddress("sim")
    if scheme == "rotctld":
        return _parse_tcp(uri, scheme, rest, ROTCTLD_DEFAULT_PORT)
    if scheme == "rigctld":
        return _parse_tcp(uri, scheme, rest, RIGCTLD_DEFAULT_PORT)
    return _parse_serial(uri, scheme, rest)


ROTATOR_SCHEMES = frozenset({"rotctld", "sim", *DIALECTS})
RIG_SCHEMES = frozenset({"rigctld", "sim"})


def open_rotator(
    uri: str,
    limits: RotatorLimits,
    *,
    timeout_s: float = 2.0,
    backoff: Backoff | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Rotator:
    """The rotator driver for `uri`. Nothing is connected yet: the first command connects."""
    address = parse_device_uri(uri, kind="rotator")
    backoff = backoff if backoff is not None else Backoff(monotonic=monotonic)
    if address.scheme == "sim":
        return SimulatedRotator(limits, monotonic=monotonic)
    if address.scheme == "rotctld":
        return RotctldRotator(address.host, address.port, limits, timeout_s=timeout_s, backoff=backoff)
    return SerialRotator(
        address.scheme, address.device, limits, baud=address.baud, timeout_s=timeout_s, backoff=backoff
    )


def open_rig(
    uri: str,
    *,
    timeout_s: float = 2.0,
    backoff: Backoff | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Rig:
    """The rig driver for `uri`. Nothing is connected yet: the first command connects."""
    address = parse_device_uri(uri, kind="rig")
    if address.scheme == "sim":
        return SimulatedRig()
    backoff = backoff if backoff is not None else Backoff(monotonic=monotonic)
    return RigctldRig(address.host, address.port, timeout_s=timeout_s, backoff=backoff)
