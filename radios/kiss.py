"""KISS: frames between a host and a TNC (direwolf's KISS TCP port, or a serial TNC), both ways.

A KISS frame is FEND, a type byte (port in the high nibble, command in the low), the data with
FEND/FESC escaped, FEND. Data frames (command 0) carry AX.25 frames without FCS.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

FEND = 0xC0
FESC = 0xDB
TFEND = 0xDC
TFESC = 0xDD

CMD_DATA = 0x00
CMD_TXDELAY = 0x01
CMD_PERSISTENCE = 0x02
CMD_SLOTTIME = 0x03
CMD_TXTAIL = 0x04
CMD_FULLDUPLEX = 0x05
CMD_SETHARDWARE = 0x06
CMD_RETURN = 0xFF  # leave KISS mode: the whole type byte, no port

MAX_KISS_FRAME_BYTES = 4096


class KissError(ValueError):
    """A KISS frame that cannot be built (bad port or command)."""


def escape(data: bytes) -> bytes:
    return data.replace(bytes([FESC]), bytes([FESC, TFESC])).replace(bytes([FEND]), bytes([FESC, TFEND]))


@dataclass(frozen=True)
class KissFrame:
    port: int
    command: int
    data: bytes

    def __post_init__(self) -> None:
        if self.command == CMD_RETURN:
            return
        if not 0 <= self.port <= 15:
            raise KissError(f"KISS port {self.port} not in 0-15")
        if not 0 <= self.command <= 15:
            raise KissError(f"KISS command {self.command} not in 0-15")

    @classmethod
    def data_frame(cls, ax25: bytes, port: int = 0) -> KissFrame:
        return cls(port, CMD_DATA, ax25)

    @property
    def type_byte(self) -> int:
        return CMD_RETURN if self.command == CMD_RETURN else (self.port << 4) | self.command

    def encode(self) -> bytes:
        # The type byte is escaped too: port 12 data frames would otherwise start with a FEND.
        return bytes([FEND]) + escape(bytes([self.type_byte]) + self.data) + bytes([FEND])


@dataclass
class KissStats:
    frames: int = 0
    bad_escapes: int = 0
    oversize: int = 0


class KissDecoder:
    """Byte stream to KissFrames, resynchronising on FEND after garbage, bad escapes or oversize."""

    def __init__(self, max_frame_bytes: int = MAX_KISS_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._escaped = False
        self._discard = True  # bytes before the first FEND are the tail of a frame we missed
        self._max = max_frame_bytes
        self.stats = KissStats()

    def feed(self, chunk: bytes) -> list[KissFrame]:
        out: list[KissFrame] = []
        for byte in chunk:
            if byte == FEND:
                if self._buf and not self._discard and not self._escaped:
                    out.append(self._frame(bytes(self._buf)))
                self._buf.clear()
                self._escaped = self._discard = False
                continue
            if self._discard:
                continue
            if self._escaped:
                self._escaped = False
                if byte == TFEND:
                    byte = FEND
                elif byte == TFESC:
                    byte = FESC
                else:
                    self.stats.bad_escapes += 1
                    self._discard = True
                    continue
            elif byte == FESC:
                self._escaped = True
                continue
            if len(self._buf) >= self._max:
                self.stats.oversize += 1
                self._discard = True
                continue
            self._buf.append(byte)
        return out

    def _frame(self, raw: bytes) -> KissFrame:
        self.stats.frames += 1
        if raw[0] == CMD_RETURN:
            return KissFrame(0, CMD_RETURN, raw[1:])
        return KissFrame(raw[0] >> 4, raw[0] & 0x0F, raw[1:])


class ByteLink(Protocol):
    """What a KISS link needs from its transport."""

    def write(self, data: bytes) -> None: ...

    def read(self, timeout_s: float) -> bytes:
        """Whatever bytes arrive within `timeout_s` (b"" if none); raises ConnectionError when closed."""
        ...

    def close(self) -> None: ...


class KissLink:
    """KISS over any byte link: `send` AX.25 frames, `receive` what the TNC heard."""

    def __init__(self, link: ByteLink, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._link = link
        self._decoder = KissDecoder()
        self._ready: deque[KissFrame] = deque()
        self._monotonic = monotonic

    @property
    def stats(self) -> KissStats:
        return self._decoder.stats

    def send(self, ax25: bytes, port: int = 0) -> None:
        """One AX.25 frame (without FCS) for the TNC to transmit."""
        self.send_frame(KissFrame.data_frame(ax25, port))

    def send_frame(self, frame: KissFrame) -> None:
        self._link.write(frame.encode())

    def set_parameter(self, command: int, value: int, port: int = 0) -> None:
        """TXDELAY, persistence, slot time, TX tail (10 ms units) or full duplex."""
        if not 0 <= value <= 255:
            raise KissError(f"KISS parameter value {value} not in 0-255")
        self.send_frame(KissFrame(port, command, bytes([value])))

    def receive(self, timeout_s: float) -> KissFrame | None:
        """The next frame from the TNC, or None after `timeout_s`."""
        deadline = self._monotonic() + timeout_s
        while not self._ready:
            left = deadline - self._monotonic()
            if left <= 0:
                return None
            self._ready.extend(self._decoder.feed(self._link.read(left)))
        return self._ready.popleft()

    def close(self) -> None:
        self._link.close()

    def __enter__(self) -> KissLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TcpByteLink:
    """A TCP connection (direwolf's KISSPORT, default 8001)."""

    def __init__(self, host: str, port: int, *, connect_timeout_s: float = 5.0) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as exc:
            raise ConnectionError(f"KISS TCP {host}:{port}: cannot connect ({exc})") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.name = f"{host}:{port}"

    def write(self, data: bytes) -> None:
        self._sock.settimeout(None)
        self._sock.sendall(data)

    def read(self, timeout_s: float) -> bytes:
        self._sock.settimeout(max(timeout_s, 1e-3))
        try:
            data = self._sock.recv(4096)
        except TimeoutError:
            return b""
        if not data:
            raise ConnectionError(f"KISS TCP {self.name}: closed by the TNC")
        return data

    def close(self) -> None:
        self._sock.close()


class SerialByteLink:
    """A serial TNC through pyserial (`/dev/ttyUSB0`, a pty, or any pyserial URL)."""

    def __init__(self, device: str, baudrate: int = 9600) -> None:
        import serial  # pyserial, only needed for serial TNCs

        try:
            self._port = serial.serial_for_url(device, baudrate=baudrate, timeout=0)
        except (serial.SerialException, ValueError) as exc:
            raise ConnectionError(f"KISS serial {device}: cannot open ({exc})") from exc
        self.name = device

    def write(self, data: bytes) -> None:
        self._port.write(data)
        self._port.flush()

    def read(self, timeout_s: float) -> bytes:
        self._port.timeout = max(timeout_s, 1e-3)
        first: bytes = self._port.read(1)
        if not first:
            return b""
        waiting = self._port.in_waiting
        rest: bytes = self._port.read(waiting) if waiting else b""
        return first + rest

    def close(self) -> None:
        self._port.close()


def kiss_tcp(host: str, port: int) -> KissLink:
    return KissLink(TcpByteLink(host, port))


def kiss_serial(device: str, baudrate: int = 9600) -> KissLink:
    return KissLink(SerialByteLink(device, baudrate))
