"""Decoding telemetry frames into parameter samples, vectorised per packet type with numpy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from groundstation.storage import from_us, to_us
from groundstation.telemetry.dictionary import Packet, Parameter, TelemetryDictionary, numpy_dtype
from groundstation.telemetry.frames import ParameterSample, TelemetryFrame


@dataclass(frozen=True)
class ParameterColumn:
    """Values of one parameter across the frames of a batch (same order as the frames)."""

    parameter: Parameter
    raw: NDArray[Any]  # integer or float, as transmitted (after bit-field extraction)
    eng: NDArray[np.float64]  # engineering value (enum/bool: the raw code)
    text: tuple[str, ...] | None  # labels of enum/bool values, else None


@dataclass(frozen=True)
class DecodedBatch:
    """Frames of one packet type, decoded together."""

    packet: Packet
    frames: tuple[TelemetryFrame, ...]
    time_us: NDArray[np.int64]  # reception time per frame, microseconds since the epoch
    columns: tuple[ParameterColumn, ...]

    @property
    def sample_count(self) -> int:
        return len(self.frames) * len(self.columns)

    def column(self, name: str) -> ParameterColumn:
        for column in self.columns:
            if column.parameter.name == name:
                return column
        raise KeyError(name)

    def samples(self) -> Iterator[ParameterSample]:
        """Per-sample view, frame by frame (for alarms and health, which need order)."""
        for i, frame in enumerate(self.frames):
            time = frame.reception.time
            for column in self.columns:
                yield ParameterSample(
                    node=frame.node,
                    parameter=column.parameter.name,
                    time=time,
                    raw_value=float(column.raw[i]),
                    eng_value=float(column.eng[i]),
                    text=None if column.text is None else column.text[i],
                    unit=column.parameter.unit,
                )


@dataclass(frozen=True)
class RejectedFrame:
    """A frame that could not be decoded; it is still archived raw, with the reason."""

    frame: TelemetryFrame
    reason: str


@dataclass(frozen=True)
class DecodeResult:
    batches: tuple[DecodedBatch, ...]
    rejected: tuple[RejectedFrame, ...]

    @property
    def frame_count(self) -> int:
        return sum(len(b.frames) for b in self.batches) + len(self.rejected)

    @property
    def sample_count(self) -> int:
        return sum(b.sample_count for b in self.batches)

    def samples(self) -> Iterator[ParameterSample]:
        for batch in self.batches:
            yield from batch.samples()


@dataclass(frozen=True)
class _Layout:
    """A packet's structured dtype: one field per distinct (offset, encoding, byte order) container."""

    dtype: np.dtype[Any]
    field_of: dict[str, str]  # parameter name -> container field name


def _layout(packet: Packet) -> _Layout:
    names: list[str] = []
    formats: list[np.dtype[Any]] = []
    offsets: list[int] = []
    field_of: dict[str, str] = {}
    for prm in packet.parameters:
        key = f"{prm.encoding}@{prm.offset_bytes}{prm.byte_order[0]}"
        if key not in names:
            names.append(key)
            formats.append(numpy_dtype(prm.encoding, prm.byte_order))
            offsets.append(prm.offset_bytes)
        field_of[prm.name] = key
    dtype = np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": packet.length_bytes}
    )
    return _Layout(dtype, field_of)


def _labels(prm: Parameter, raw: NDArray[Any]) -> tuple[str, ...]:
    # Few distinct codes per batch: label each once.
    codes, inverse = np.unique(raw, return_inverse=True)
    labels = [prm.label(int(c)) for c in codes]
    return tuple(labels[i] for i in inverse.ravel())


def decode_column(prm: Parameter, container: NDArray[Any]) -> ParameterColumn:
    """Raw, engineering and text values of one parameter from its container values."""
    raw: NDArray[Any] = container
    if prm.bit_offset is not None and prm.bit_length is not None:
        mask = (1 << prm.bit_length) - 1
        raw = (container.astype(np.uint64) >> np.uint64(prm.bit_offset)) & np.uint64(mask)
        if prm.encoding.startswith("i") and prm.type != "bool" and prm.type != "enum":
            sign = np.uint64(1 << (prm.bit_length - 1))
            raw = raw.astype(np.int64) - ((raw & sign).astype(np.int64) << 1)
        else:
            raw = raw.astype(np.int64) if prm.bit_length < 64 else raw
    with np.errstate(invalid="ignore"):  # a signalling NaN from a float sensor is still a value
        raw_f = raw.astype(np.float64)
    if prm.type == "bool":
        raw = (raw != 0).astype(np.int64)
        return ParameterColumn(prm, raw, raw.astype(np.float64), _labels(prm, raw))
    if prm.type == "enum":
        return ParameterColumn(prm, raw, raw_f, _labels(prm, raw))
    eng = prm.calibration.apply(raw_f) if prm.calibration is not None else raw_f
    return ParameterColumn(prm, raw, eng, None)


class TelemetryDecoder:
    """Decodes frames with a dictionary; frames of one packet type are decoded as one numpy array."""

    def __init__(self, dictionary: TelemetryDictionary) -> None:
        self.dictionary = dictionary
        self._layouts = {p.apid: _layout(p) for p in dictionary.packets}

    def decode(self, frames: Sequence[TelemetryFrame]) -> DecodeResult:
        groups: dict[int, list[TelemetryFrame]] = defaultdict(list)
        rejected: list[RejectedFrame] = []
        for frame in frames:
            packet = self.dictionary.packet_for_apid(frame.apid)
            if packet is None:
                rejected.append(RejectedFrame(frame, f"unknown APID {frame.apid:#x}"))
            elif len(frame.data) < packet.length_bytes:
                rejected.append(
                    RejectedFrame(frame, f"{packet.name}: {len(frame.data)} of {packet.length_bytes} bytes")
                )
            else:
                groups[frame.apid].append(frame)
        batches = tuple(self._decode_group(apid, group) for apid, group in groups.items())
        return DecodeResult(batches, tuple(rejected))

    def _decode_group(self, apid: int, frames: list[TelemetryFrame]) -> DecodedBatch:
        packet = self.dictionary.packet_for_apid(apid)
        assert packet is not None
        layout = self._layouts[apid]
        length = packet.length_bytes
        joined = b"".join(f.data if len(f.data) == length else f.data[:length] for f in frames)
        records = np.frombuffer(joined, dtype=layout.dtype)
        columns = tuple(decode_column(prm, records[layout.field_of[prm.name]]) for prm in packet.parameters)
        time_us = np.fromiter((to_us(f.reception.time) for f in frames), dtype=np.int64, count=len(frames))
        return DecodedBatch(packet, tuple(frames), time_us, columns)


__all__ = [
    "DecodeResult",
    "DecodedBatch",
    "ParameterColumn",
    "RejectedFrame",
    "TelemetryDecoder",
    "decode_column",
    "from_us",
]
