"""Hamlib daemons over TCP: `rotctld` (rotators) and `rigctld` (transceivers).

Speaks the extended response protocol (`+` prefix): every reply is the command's name, then
`Key: value` lines, then `RPRT n`, so a reply is complete exactly when `RPRT` arrives and errors
are never confused with values. Unknown commands get no reply at all, hence the bounded reads in
`radios.link`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from radios.errors import DeviceRejectedError
from radios.link import Backoff, Link, TcpTransport
from radios.rig import RigMode, check_frequency, check_mode
from radios.rotator import Pointing, RotatorLimits

# Hamlib's error codes (rig.h `enum rig_errcode_e`) and the text `rigerror()` gives them.
RPRT_MESSAGES: dict[int, tuple[str, str]] = {
    0: ("RIG_OK", "command completed successfully"),
    -1: ("RIG_EINVAL", "invalid parameter"),
    -2: ("RIG_ECONF", "invalid configuration"),
    -3: ("RIG_ENOMEM", "memory shortage"),
    -4: ("RIG_ENIMPL", "feature not implemented"),
    -5: ("RIG_ETIMEOUT", "communication timed out"),
    -6: ("RIG_EIO", "I/O error"),
    -7: ("RIG_EINTERNAL", "internal Hamlib error"),
    -8: ("RIG_EPROTO", "protocol error"),
    -9: ("RIG_ERJCTED", "command rejected by the device"),
    -10: ("RIG_ETRUNC", "command performed, but argument truncated"),
    -11: ("RIG_ENAVAIL", "function not available"),
    -12: ("RIG_ENTARGET", "VFO not targetable"),
    -13: ("RIG_BUSERROR", "error talking on the bus"),
    -14: ("RIG_BUSBUSY", "collision on the bus"),
    -15: ("RIG_EARG", "invalid argument or handle"),
    -16: ("RIG_EVFO", "invalid VFO"),
    -17: ("RIG_EDOM", "argument out of domain of function"),
    -18: ("RIG_EDEPRECATED", "function deprecated"),
    -19: ("RIG_ESECURITY", "security error (password or crypto)"),
    -20: ("RIG_EPOWER", "device is not powered on"),
}

_RPRT_LINE = re.compile(rb"(?:^|\n)RPRT (-?\d+)\n")


def rprt_message(code: int) -> str:
    name, text = RPRT_MESSAGES.get(code, ("?", "unknown Hamlib error"))
    return f"RPRT {code} {name}: {text}"


def _reply_complete(reply: bytes) -> bool:
    return _RPRT_LINE.search(reply) is not None


@dataclass(frozen=True)
class HamlibReply:
    """One extended-protocol reply: `Key: value` fields in order, and the RPRT code."""

    command: str
    fields: tuple[tuple[str, str], ...]
    code: int

    def get(self, key: str) -> str:
        for name, value in self.fields:
            if name == key:
                return value
        raise KeyError(f"Hamlib reply to {self.command!r} has no field {key!r}")


def parse_extended_reply(command: str, reply: bytes) -> HamlibReply:
    text = reply.decode("ascii", "replace")
    lines = [line for line in text.split("\n") if line]
    fields: list[tuple[str, str]] = []
    code: int | None = None
    # The first line echoes the command's long name (`get_pos:`); values follow as `Key: value`.
    for index, line in enumerate(lines):
        if line.startswith("RPRT "):
            code = int(line[5:])
            break
        key, sep, value = line.partition(":")
        if sep and index > 0:
            fields.append((key.strip(), value.strip()))
    if code is None:
        raise ValueError(f"Hamlib reply to {command!r} has no RPRT line: {text!r}")
    return HamlibReply(command, tuple(fields), code)


class HamlibClient:
    """Extended-protocol commands to one daemon, over a reconnecting `Link`."""

    def __init__(self, scheme: str, host: str, port: int, *, timeout_s: float, backoff: Backoff) -> None:
        self.name = f"{scheme}://{host}:{port}"
        self.link = Link(TcpTransport(host, port), name=self.name, timeout_s=timeout_s, backoff=backoff)

    def command(self, command: str) -> HamlibReply:
        if "\n" in command:
            raise ValueError(f"Hamlib command must be one line: {command!r}")
        raw = self.link.transact(f"+{command}\n".encode("ascii"), _reply_complete)
        reply = parse_extended_reply(command, raw)
        if reply.code != 0:
            message = f"{self.name}: {command!r} failed: {rprt_message(reply.code)}"
            raise DeviceRejectedError(message, reply.code)
        return reply

    def close(self) -> None:
        self.link.close()


class RotctldRotator:
    """A rotator behind Hamlib's `rotctld` (`rotctld://HOST:PORT`)."""

    def __init__(
        self,
        host: str,
        port: int,
        limits: RotatorLimits,
        *,
        timeout_s: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self._limits = limits
        self.client = HamlibClient("rotctld", host, port, timeout_s=timeout_s, backoff=backoff or Backoff())

    @property
    def limits(self) -> RotatorLimits:
        return self._limits

    @property
    def name(self) -> str:
        return self.client.name

    def move_to(self, azimuth_deg: float, elevation_deg: float) -> None:
        self._limits.check(azimuth_deg, elevation_deg)
        self.client.command(f"P {azimuth_deg:.2f} {elevation_deg:.2f}")

    def position(self) -> Pointing:
        reply = self.client.command("p")
        return Pointing(float(reply.get("Azimuth")), float(reply.get("Elevation")))

    def stop(self) -> None:
        self.client.command("S")

    def park(self) -> None:
        # The configured park position, not the controller's `K` (often unset or unimplemented).
        self.move_to(self._limits.park_azimuth_deg, self._limits.park_elevation_deg)

    def close(self) -> None:
        self.client.close()


class RigctldRig:
    """A transceiver behind Hamlib's `rigctld` (`rigctld://HOST:PORT`)."""

    def __init__(
        self, host: str, port: int, *, timeout_s: float = 2.0, backoff: Backoff | None = None
    ) -> None:
        self.client = HamlibClient("rigctld", host, port, timeout_s=timeout_s, backoff=backoff or Backoff())

    @property
    def name(self) -> str:
        return self.client.name

    def set_frequency(self, frequency_hz: float) -> None:
        self.client.command(f"F {check_frequency(frequency_hz, 'frequency')}")

    def frequency(self) -> float:
        return float(self.client.command("f").get("Frequency"))

    def set_mode(self, mode: str, passband_hz: int = 0) -> None:
        """Set the mode; passband 0 means the rig's default for that mode."""
        check_mode(mode, passband_hz)
        self.client.command(f"M {mode} {passband_hz}")

    def mode(self) -> RigMode:
        reply = self.client.command("m")
        return RigMode(reply.get("Mode"), int(reply.get("Passband")))

    def set_split(self, enabled: bool, tx_vfo: str = "VFOB") -> None:
        self.client.command(f"S {int(enabled)} {tx_vfo}")

    def split(self) -> bool:
        return self.client.command("s").get("Split") == "1"

    def set_tx_frequency(self, frequency_hz: float) -> None:
        self.client.command(f"I {check_frequency(frequency_hz, 'TX frequency')}")

    def tx_frequency(self) -> float:
        return float(self.client.command("i").get("TX Frequency"))

    def set_ptt(self, on: bool) -> None:
        self.client.command(f"T {int(on)}")

    def ptt(self) -> bool:
        return self.client.command("t").get("PTT") != "0"

    def close(self) -> None:
        self.client.close()
