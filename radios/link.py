"""Byte links to controllers (TCP, serial) with timeouts and reconnect-with-back-off.

A `Link` never blocks longer than its connect and read timeouts: a dead peer ends in a
`DeviceUnavailableError` or `DeviceTimeoutError`, the link is dropped, and the next call after the back-off
delay reconnects. Between failures calls fail at once (no sleeping), so a caller's loop keeps its pace.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import serial

from radios.errors import DeviceTimeoutError, DeviceUnavailableError

log = logging.getLogger("radios.link")

Monotonic = Callable[[], float]


@dataclass
class Backoff:
    """Exponential reconnect back-off on an injected monotonic clock (seconds)."""

    initial_s: float = 0.5
    maximum_s: float = 10.0
    factor: float = 2.0
    monotonic: Monotonic = time.monotonic
    failures: int = field(default=0, init=False)
    _next_attempt_s: float = field(default=float("-inf"), init=False)

    def wait_s(self) -> float:
        """Seconds until the next attempt is allowed (0 when allowed now)."""
        return max(0.0, self._next_attempt_s - self.monotonic())

    def failed(self) -> float:
        """Record a failure; returns the delay before the next attempt."""
        delay_s = min(self.maximum_s, self.initial_s * self.factor**self.failures)
        self.failures += 1
        self._next_attempt_s = self.monotonic() + delay_s
        return delay_s

    def succeeded(self) -> None:
        self.failures = 0
        self._next_attempt_s = float("-inf")


class ConnectionLostError(Exception):
    """The transport saw end-of-file or an I/O error (peer gone)."""


class Transport(Protocol):
    """One connection; `open` may raise OSError/serial errors, reads return b'' on timeout."""

    description: str

    def open(self, timeout_s: float) -> None: ...

    def write(self, payload: bytes) -> None: ...

    def read_some(self, timeout_s: float) -> bytes: ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class TcpTransport:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.description = f"{host}:{port}"
        self._sock: socket.socket | None = None

    def open(self, timeout_s: float) -> None:
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout_s)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise ConnectionLostError("not connected")
        return self._sock

    def write(self, payload: bytes) -> None:
        try:
            self._socket().sendall(payload)
        except OSError as exc:
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc

    def read_some(self, timeout_s: float) -> bytes:
        sock = self._socket()
        sock.settimeout(max(timeout_s, 1e-3))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc
        if not data:
            raise ConnectionLostError("connection closed by peer")
        return data

    def discard_input(self) -> None:
        sock = self._socket()
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            raise ConnectionLostError(str(exc)) from exc
        finally:
            sock.setblocking(True)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


# termios.error (e.g. flushing an unplugged adapter) is not an OSError.
_SERIAL_ERRORS = (OSError, serial.SerialException, termios.error)


class SerialTransport:
    """A serial port through pyserial (`/dev/ttyUSB0`, or pyserial URLs such as `socket://h:p`)."""

    def __init__(self, port: str, baud: int) -> None:
        self.port = port
        self.baud = baud
        self.description = f"{port}@{baud}"
        self._serial: serial.SerialBase | None = None

    def open(self, timeout_s: float) -> None:
        self._serial = serial.serial_for_url(
            self.port, baudrate=self.baud, timeout=timeout_s, write_timeout=timeout_s
        )

    def _port(self) -> serial.SerialBase:
        if self._serial is None:
            raise ConnectionLostError("not open")
        return self._serial

    def write(self, payload: bytes) -> None:
        try:
            self._port().write(payload)
            self._port().flush()
        except _SERIAL_ERRORS as exc:
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc

    def read_some(self, timeout_s: float) -> bytes:
        port = self._port()
        try:
            port.timeout = max(timeout_s, 1e-3)
            data = bytes(port.read(1))
            if data and port.in_waiting:
                data += bytes(port.read(port.in_waiting))
        except _SERIAL_ERRORS as exc:
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc
        return data

    def discard_input(self) -> None:
        try:
            self._port().reset_input_buffer()
        except _SERIAL_ERRORS as exc:
            raise ConnectionLostError(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        if self._serial is not None:
            with contextlib.suppress(*_SERIAL_ERRORS):
                self._serial.close()
            self._serial = None


ReplyComplete = Callable[[bytes], bool]


class Link:
    """Request/reply over a transport: bounded waits, dropped on failure, reopened after back-off.

    A command that finds its (previously working) connection dead is retried once on a fresh
    connection at once, since a restarted daemon leaves the old socket stale; all commands sent
    through links are idempotent (set position, set frequency, queries).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        name: str,
        timeout_s: float = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.transport = transport
        self.name = name
        self.timeout_s = timeout_s
        self.backoff = backoff if backoff is not None else Backoff()
        self.commands_sent = 0
        self.reconnects = 0
        self._open = False
        self._ever_opened = False
        self._lock = threading.Lock()

    @property
    def connected(self) -> bool:
        return self._open

    def _fail(self, reason: str) -> DeviceUnavailableError:
        self._drop()
        delay_s = self.backoff.failed()
        return DeviceUnavailableError(f"{self.name}: {reason}; next reconnect attempt in {delay_s:.1f} s")

    def _drop(self) -> None:
        self.transport.close()
        self._open = False

    def _ensure_open(self) -> None:
        if self._open:
            return
        wait_s = self.backoff.wait_s()
        if wait_s > 0:
            raise DeviceUnavailableError(
                f"{self.name}: not connected; next reconnect attempt in {wait_s:.1f} s"
            )
        try:
            self.transport.open(self.timeout_s)
        except _SERIAL_ERRORS as exc:
            raise self._fail(f"cannot connect ({getattr(exc, 'strerror', None) or exc})") from exc
        if self._ever_opened:
            self.reconnects += 1
            log.info("%s: reconnected", self.name)
        self._open = True
        self._ever_opened = True
        self.backoff.succeeded()

    def transact(self, payload: bytes, until: ReplyComplete | None) -> bytes:
        """Send `payload`; if `until` is given, read until it says the reply is complete."""
        with self._lock:
            was_open = self._open
            self._ensure_open()
            try:
                return self._exchange(payload, until)
            except ConnectionLostError as exc:
                if not was_open:
                    raise self._fail(f"connection lost ({exc})") from exc
                log.info("%s: connection lost (%s), reconnecting", self.name, exc)
                self._drop()
            # The connection had worked before: one immediate retry on a fresh one.
            self._ensure_open()
            try:
                return self._exchange(payload, until)
            except ConnectionLostError as exc:
                raise self._fail(f"connection lost ({exc})") from exc

    def _exchange(self, payload: bytes, until: ReplyComplete | None) -> bytes:
        if until is not None:
            self.transport.discard_input()
        log.debug("%s <- %r", self.name, payload)
        self.transport.write(payload)
        self.commands_sent += 1
        if until is None:
            return b""
        deadline_s = time.monotonic() + self.timeout_s  # real time: an I/O bound
        reply = b""
        while not until(reply):
            remaining_s = deadline_s - time.monotonic()
            if remaining_s <= 0:
                # A late reply would answer the next command: drop the link, reconnect later.
                self._drop()
                self.backoff.failed()
                sent = payload.decode("ascii", "replace").strip()
                got = f"; partial reply {reply!r}" if reply else ""
                raise DeviceTimeoutError(
                    f"{self.name}: no reply to {sent!r} within {self.timeout_s:g} s{got}"
                )
            reply += self.transport.read_some(remaining_s)
        log.debug("%s -> %r", self.name, reply)
        return reply

    def close(self) -> None:
        with self._lock:
            self._drop()
