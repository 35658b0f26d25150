"""Strict big-endian reading and writing for the canonical binary formats."""

from __future__ import annotations

import re
import struct

from groundstation.governance.reasons import DecodeError

# Identifiers on the wire: ASCII, no spaces or control characters, so they print safely.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


class Reader:
    """Reads fields in order; every read is exact, and `finish()` refuses trailing bytes."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._what = what

    @property
    def position(self) -> int:
        return self._pos

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, count: int, field: str) -> bytes:
        if count < 0 or self._pos + count > len(self._data):
            raise DecodeError(
                f"{self._what}: truncated at byte {self._pos} reading {field} ({count} bytes wanted, "
                f"{self.remaining()} left)"
            )
        chunk = bytes(self._data[self._pos : self._pos + count])
        self._pos += count
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def u16(self, field: str) -> int:
        return int(struct.unpack(">H", self.take(2, field))[0])

    def u32(self, field: str) -> int:
        return int(struct.unpack(">I", self.take(4, field))[0])

    def u64(self, field: str) -> int:
        return int(struct.unpack(">Q", self.take(8, field))[0])

    def text(self, length: int, field: str, pattern: re.Pattern[str] | None = None) -> str:
        raw = self.take(length, field)
        try:
            value = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"{self._what}: {field} is not UTF-8") from exc
        if pattern is not None and not pattern.fullmatch(value):
            raise DecodeError(f"{self._what}: {field} {value!r} is not a valid identifier")
        return value

    def short_text(self, field: str, pattern: re.Pattern[str] | None = None) -> str:
        """u8 length + UTF-8."""
        return self.text(self.u8(f"{field} length"), field, pattern)

    def long_text(self, field: str) -> str:
        """u16 length + UTF-8."""
        return self.text(self.u16(f"{field} length"), field)

    def finish(self) -> None:
        if self.remaining():
            raise DecodeError(f"{self._what}: {self.remaining()} trailing bytes after byte {self._pos}")


def u8(value: int) -> bytes:
    return struct.pack(">B", value)


def u16(value: int) -> bytes:
    return struct.pack(">H", value)


def u32(value: int) -> bytes:
    return struct.pack(">I", value)


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def short_text(value: str, field: str, pattern: re.Pattern[str] | None = None) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > 0xFF:
        raise ValueError(f"{field} is {len(raw)} bytes, at most 255")
    if pattern is not None and not pattern.fullmatch(value):
        raise ValueError(f"{field} {value!r} is not a valid identifier ({pattern.pattern})")
    return u8(len(raw)) + raw


def long_text(value: str, field: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise ValueError(f"{field} is {len(raw)} bytes, at most 65535")
    return u16(len(raw)) + raw
