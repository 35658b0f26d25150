"""AX.25 frames: addresses with SSIDs, UI frames, the CRC-16/X.25 FCS, and direwolf's monitor format.

Wire layout (AX.25 2.2): destination, source and up to 8 digipeater addresses of 7 bytes each (six
callsign characters shifted left one bit, then the SSID byte `CRRSSSSE`), the control byte, the PID
(I and UI frames only), the information field, and the FCS sent low byte first.
The monitor format is what direwolf prints and `gen_packets` reads: `SRC-1>DEST,DIGI*:info`.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

CONTROL_UI = 0x03
PID_NO_LAYER3 = 0xF0
MAX_DIGIPEATERS = 8
MIN_FRAME_BYTES = 14 + 1 + 2  # two addresses, control, FCS

_BIT_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
_CALL_RE = re.compile(r"^([A-Z0-9]{1,6})(?:-(\d{1,2}))?$")
_HEX_ESCAPE_RE = re.compile(r"<0x([0-9a-fA-F]{2})>")


class FrameError(ValueError):
    """Bytes or text that are not a valid AX.25 frame (the message says why)."""


def fcs(data: bytes) -> int:
    """CRC-16/X.25 (reflected CCITT, init and xorout 0xFFFF): check value 0x906E for b"123456789".

    Computed as the unreflected CRC (C `binascii.crc_hqx`) over bit-reversed bytes, reflected back.
    """
    crc = binascii.crc_hqx(data.translate(_BIT_REVERSED), 0xFFFF)
    reflected = (_BIT_REVERSED[crc & 0xFF] << 8) | _BIT_REVERSED[crc >> 8]
    return reflected ^ 0xFFFF


def append_fcs(data: bytes) -> bytes:
    return data + fcs(data).to_bytes(2, "little")


def check_fcs(frame: bytes) -> bool:
    """True when the last two bytes are the FCS of the rest (low byte first)."""
    return len(frame) >= 3 and fcs(frame[:-2]) == int.from_bytes(frame[-2:], "little")


@dataclass(frozen=True)
class Address:
    """A callsign (1-6 upper-case letters/digits) with an SSID 0-15; `repeated` is the H bit of a digi."""

    callsign: str
    ssid: int = 0
    repeated: bool = False

    def __post_init__(self) -> None:
        if not _CALL_RE.match(self.callsign):
            raise FrameError(f"callsign {self.callsign!r}: 1-6 upper-case letters or digits")
        if not 0 <= self.ssid <= 15:
            raise FrameError(f"callsign {self.callsign!r}: SSID {self.ssid} not in 0-15")

    @classmethod
    def parse(cls, text: str) -> Address:
        """`N0CALL`, `N0CALL-7`, or `WIDE1-1*` (the star marks a digipeater that repeated).

        Lower-case letters are accepted and upper-cased, as direwolf does.
        """
        repeated = text.endswith("*")
        core = text[:-1] if repeated else text
        match = _CALL_RE.match(core.upper())
        if not match:
            raise FrameError(f"address {text!r}: want CALL or CALL-SSID (1-6 letters/digits, SSID 0-15)")
        ssid = int(match.group(2) or 0)
        if ssid > 15:
            raise FrameError(f"address {text!r}: SSID {ssid} not in 0-15")
        return cls(match.group(1), ssid, repeated)

    def __str__(self) -> str:
        return self.callsign + (f"-{self.ssid}" if self.ssid else "")

    def encode(self, *, high_bit: bool, last: bool) -> bytes:
        """7 bytes: callsign shifted left, then `H/C 1 1 SSID last`."""
        chars = bytes((ord(c) << 1) for c in self.callsign.ljust(6))
        ssid_byte = 0x60 | (self.ssid << 1) | (0x80 if high_bit else 0) | (1 if last else 0)
        return chars + bytes([ssid_byte])

    @classmethod
    def decode(cls, raw: bytes) -> tuple[Address, bool, bool]:
        """(address, H/C bit, last-address bit) from 7 bytes."""
        if len(raw) != 7:
            raise FrameError(f"address field of {len(raw)} bytes, want 7")
        if any(b & 1 for b in raw[:6]):
            raise FrameError("address extension bit set inside a callsign")
        call = bytes(b >> 1 for b in raw[:6]).decode("ascii", errors="replace").rstrip(" ")
        ssid_byte = raw[6]
        high = bool(ssid_byte & 0x80)
        return cls(call, (ssid_byte >> 1) & 0x0F), high, bool(ssid_byte & 1)


@dataclass(frozen=True)
class Frame:
    """An AX.25 frame (UI unless `control` says otherwise). `pid` is None for frames without one."""

    destination: Address
    source: Address
    path: tuple[Address, ...] = ()
    info: bytes = b""
    control: int = CONTROL_UI
    pid: int | None = PID_NO_LAYER3
    command: bool = True  # AX.25 2.x command: C bit set on the destination, clear on the source

    def __post_init__(self) -> None:
        if len(self.path) > MAX_DIGIPEATERS:
            raise FrameError(f"{len(self.path)} digipeaters, at most {MAX_DIGIPEATERS}")
        if not 0 <= self.control <= 0xFF or (self.pid is not None and not 0 <= self.pid <= 0xFF):
            raise FrameError("control and PID are single bytes")

    @classmethod
    def ui(cls, source: str, destination: str, info: bytes, path: tuple[str, ...] = ()) -> Frame:
        """UI frame from text addresses: `Frame.ui("N0CALL-1", "CQ", b"hello")`."""
        return cls(
            Address.parse(destination), Address.parse(source), tuple(Address.parse(p) for p in path), info
        )

    def encode(self) -> bytes:
        """Frame bytes without the FCS."""
        addresses = [self.destination, self.source, *self.path]
        out = bytearray()
        for i, addr in enumerate(addresses):
            last = i == len(addresses) - 1
            if i == 0:
                high = self.command
            elif i == 1:
                high = not self.command
            else:
                high = addr.repeated
            out += addr.encode(high_bit=high, last=last)
        out.append(self.control)
        if self.pid is not None:
            out.append(self.pid)
        out += self.info
        return bytes(out)

    def encode_with_fcs(self) -> bytes:
        return append_fcs(self.encode())

    @classmethod
    def decode(cls, data: bytes, *, has_fcs: bool = False) -> Frame:
        """Parse frame bytes (set `has_fcs` to check and strip the trailing FCS)."""
        if has_fcs:
            if not check_fcs(data):
                raise FrameError("bad FCS")
            data = data[:-2]
        if len(data) < 15:
            raise FrameError(f"frame of {len(data)} bytes is shorter than two addresses and a control byte")
        addresses: list[Address] = []
        highs: list[bool] = []
        pos = 0
        while True:
            if pos + 7 > len(data):
                raise FrameError("address field runs past the end of the frame")
            addr, high, last = Address.decode(data[pos : pos + 7])
            addresses.append(addr)
            highs.append(high)
            pos += 7
            if last:
                break
            if len(addresses) == 2 + MAX_DIGIPEATERS:
                raise FrameError("more than 8 digipeaters")
        if len(addresses) < 2:
            raise FrameError("only one address")
        if pos >= len(data):
            raise FrameError("no control byte")
        control = data[pos]
        pos += 1
        pid: int | None = None
        # PID follows the control byte of I frames (bit 0 clear) and UI frames (0x03, P/F bit aside).
        if control & 0x01 == 0 or control & 0xEF == CONTROL_UI:
            if pos >= len(data):
                raise FrameError("no PID byte")
            pid = data[pos]
            pos += 1
        path = tuple(
            Address(a.callsign, a.ssid, repeated=h) for a, h in zip(addresses[2:], highs[2:], strict=True)
        )
        return cls(addresses[0], addresses[1], path, bytes(data[pos:]), control, pid, command=highs[0])

    def to_monitor(self) -> str:
        """direwolf monitor format; bytes outside printable ASCII appear as `<0xNN>`."""
        header = f"{self.source}>{self.destination}"
        # TNC2 convention: one '*' after the last digipeater that repeated (those before it did too).
        last_repeated = max((i for i, d in enumerate(self.path) if d.repeated), default=-1)
        for i, digi in enumerate(self.path):
            header += f",{digi}" + ("*" if i == last_repeated else "")
        return f"{header}:{_escape_info(self.info)}"

    @classmethod
    def from_monitor(cls, line: str) -> Frame:
        """Parse `SRC>DEST[,DIGI[*]...]:info` (info may use `<0xNN>` for any byte)."""
        line = line.rstrip("\r\n")
        header, sep, info_text = line.partition(":")
        if not sep:
            raise FrameError("no ':' between the addresses and the info")
        src, gt, rest = header.partition(">")
        if not gt:
            raise FrameError("no '>' between source and destination")
        dest, *path_text = rest.split(",")
        path = [Address.parse(p.strip()) for p in path_text]
        # A '*' marks the last digipeater that repeated: every one before it repeated too.
        last_repeated = max((i for i, d in enumerate(path) if d.repeated), default=-1)
        path = [Address(d.callsign, d.ssid, repeated=i <= last_repeated) for i, d in enumerate(path)]
        return cls(
            Address.parse(dest.strip()), Address.parse(src.strip()), tuple(path), _unescape_info(info_text)
        )


def _escape_info(info: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"<0x{b:02x}>" for b in info)


def _unescape_info(text: str) -> bytes:
    out = bytearray()
    pos = 0
    for match in _HEX_ESCAPE_RE.finditer(text):
        out += text[pos : match.start()].encode("utf-8")
        out.append(int(match.group(1), 16))
        pos = match.end()
    out += text[pos:].encode("utf-8")
    return bytes(out)
