"""Building telemetry packets from values with the dictionary: what a node (or the simulator) sends.

`encode_packet` takes raw values (integers, floats, enumeration labels, booleans) and packs them
where the dictionary says; `raw_from_engineering` inverts linear polynomials and monotonic tables so
a simulator can think in volts and degrees. `space_packet` adds the CCSDS primary header.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

import numpy as np

from groundstation.telemetry.dictionary import (
    INTEGER_TYPES,
    Packet,
    Parameter,
    PolynomialCalibration,
    TableCalibration,
    numpy_dtype,
)

RawValue = int | float | str | bool


class EncodeError(ValueError):
    """A value that does not fit its parameter."""


def _raw_int(prm: Parameter, value: RawValue) -> int:
    if prm.type == "enum" and isinstance(value, str):
        for code, label in prm.enumeration:
            if label == value:
                return code
        raise EncodeError(f"{prm.name}: unknown label {value!r}")
    if prm.type == "bool":
        return 1 if value else 0
    if isinstance(value, str) or (isinstance(value, float) and not value.is_integer()):
        raise EncodeError(f"{prm.name}: needs an integer, got {value!r}")
    return int(value)


def encode_packet(packet: Packet, raw_values: Mapping[str, RawValue]) -> bytes:
    """The packet data field with each named parameter's raw value; parameters not given are 0."""
    unknown = set(raw_values) - {p.name for p in packet.parameters}
    if unknown:
        raise EncodeError(f"{packet.name}: no parameter {', '.join(sorted(unknown))}")
    data = bytearray(packet.length_bytes)
    for prm in packet.parameters:
        if prm.name not in raw_values:
            continue
        value = raw_values[prm.name]
        dtype = numpy_dtype(prm.encoding, prm.byte_order)
        span = slice(prm.offset_bytes, prm.offset_bytes + prm.size_bytes)
        if prm.encoding not in INTEGER_TYPES:
            if isinstance(value, str):
                raise EncodeError(f"{prm.name}: needs a number, got {value!r}")
            data[span] = np.array([float(value)], dtype=dtype).tobytes()
            continue
        raw = _raw_int(prm, value)
        size, signed = INTEGER_TYPES[prm.encoding]
        if prm.bit_offset is not None and prm.bit_length is not None:
            bits = prm.bit_length
            lo, hi = (
                (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
                if signed and prm.type not in ("enum", "bool")
                else (0, (1 << bits) - 1)
            )
            if not lo <= raw <= hi:
                raise EncodeError(f"{prm.name}: {raw} does not fit {bits} bits")
            container = int.from_bytes(data[span], "big" if prm.byte_order == "big" else "little")
            mask = ((1 << bits) - 1) << prm.bit_offset
            container = (container & ~mask) | ((raw & ((1 << bits) - 1)) << prm.bit_offset)
            data[span] = container.to_bytes(size, "big" if prm.byte_order == "big" else "little")
            continue
        lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
        if not lo <= raw <= hi:
            raise EncodeError(f"{prm.name}: {raw} does not fit {prm.encoding}")
        data[span] = raw.to_bytes(size, "big" if prm.byte_order == "big" else "little", signed=signed)
    return bytes(data)


def raw_from_engineering(prm: Parameter, value: float) -> float:
    """The raw value that calibrates to `value` (rounded by the caller for integer types).

    Supported: no calibration, polynomials of degree <= 1, and monotonic tables (linear or spline
    tables are inverted through their points, which is exact for linear ones).
    """
    cal = prm.calibration
    if cal is None:
        return value
    if isinstance(cal, PolynomialCalibration):
        coeffs = cal.coefficients + (0.0,) * (2 - len(cal.coefficients))
        if any(c != 0 for c in coeffs[2:]) or coeffs[1] == 0:
            raise EncodeError(f"{prm.name}: cannot invert a polynomial of degree > 1 or a constant")
        return (value - coeffs[0]) / coeffs[1]
    assert isinstance(cal, TableCalibration)
    eng = np.asarray(cal.eng_points)
    raw = np.asarray(cal.raw_points)
    if np.all(np.diff(eng) > 0):
        return float(np.interp(value, eng, raw))
    if np.all(np.diff(eng) < 0):
        return float(np.interp(value, eng[::-1], raw[::-1]))
    raise EncodeError(f"{prm.name}: cannot invert a table that is not monotonic")


def space_packet(apid: int, data: bytes, sequence_count: int = 0) -> bytes:
    """A CCSDS telemetry Space Packet (unsegmented, no secondary header) around `data`."""
    if not data or len(data) > 65_536:
        raise EncodeError(f"packet data field must be 1..65536 bytes, got {len(data)}")
    return struct.pack(">HHH", apid & 0x7FF, 0xC000 | (sequence_count & 0x3FFF), len(data) - 1) + data
