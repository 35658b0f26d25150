"""Large payloads over small frames: segmentation, bounded reassembly, and selective repeat.

A payload (a signed governance packet of 3-15 KB, usually inside a CCSDS Space Packet) goes out as
`count` DATA segments, each fitting one frame of `mtu` bytes (256 for an AX.25 info field, 1024 for
a CCSDS TC frame). The receiver holds at most one transfer per channel, bounded in size and time
(time is passed in as `now_s`, any monotonic clock in seconds), detects the segments it lacks and
answers with a REQUEST listing them; the sender resends exactly those. A REQUEST listing nothing is
the acknowledgement that lets the sender forget the transfer.

Wire format (big-endian), every message starting `magic kind channel transfer_id`:
- DATA     `53 01 ch tid:2 index:2 count:2 total_bytes:4 crc32:4` + data  (17-byte header)
- REQUEST  `53 02 ch tid:2 count:2 n:1` + n x (`first:2 length:2`)        (8 + 4n bytes)
The CRC-32 (zlib) covers the whole payload, so a reassembly that mixes two transfers cannot pass.
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from dataclasses import dataclass, field

MAGIC = 0x53
KIND_DATA = 0x01
KIND_REQUEST = 0x02
_DATA = struct.Struct(">BBBHHHII")
_REQUEST = struct.Struct(">BBBHHB")
_RANGE = struct.Struct(">HH")
DATA_HEADER_BYTES = _DATA.size  # 17
MAX_SEGMENTS = 0xFFFF
MTU_AX25 = 256
MTU_CCSDS_TC = 1024


class SegmentError(ValueError):
    """Bytes that are not a valid segment or request (the message says why)."""


@dataclass(frozen=True)
class Segment:
    channel: int
    transfer_id: int
    index: int
    count: int
    total_bytes: int
    crc32: int
    data: bytes

    def encode(self) -> bytes:
        return _DATA.pack(MAGIC, KIND_DATA, self.channel, self.transfer_id, self.index, self.count,
                          self.total_bytes, self.crc32) + self.data


@dataclass(frozen=True)
class SegmentRequest:
    """Selective-repeat request: the `missing` segment indices as (first, length) ranges; none = ACK."""

    channel: int
    transfer_id: int
    count: int
    missing: tuple[tuple[int, int], ...] = ()

    @property
    def is_ack(self) -> bool:
        return not self.missing

    def indices(self) -> list[int]:
        return [i for first, length in self.missing for i in range(first, first + length)]

    def encode(self) -> bytes:
        head = _REQUEST.pack(MAGIC, KIND_REQUEST, self.channel, self.transfer_id, self.count,
                             len(self.missing))
        return head + b"".join(_RANGE.pack(first, length) for first, length in self.missing)


def decode_message(raw: bytes) -> Segment | SegmentRequest:
    """Parse a DATA segment or a REQUEST; SegmentError says what is wrong."""
    if len(raw) < 2 or raw[0] != MAGIC:
        raise SegmentError("not a segmentation message (bad magic byte)")
    if raw[1] == KIND_DATA:
        if len(raw) < DATA_HEADER_BYTES + 1:
            raise SegmentError(f"DATA of {len(raw)} bytes is shorter than its header and one byte")
        _, _, channel, tid, index, count, total, crc = _DATA.unpack_from(raw)
        if count == 0 or index >= count:
            raise SegmentError(f"segment index {index} outside a count of {count}")
        return Segment(channel, tid, index, count, total, crc, bytes(raw[DATA_HEADER_BYTES:]))
    if raw[1] == KIND_REQUEST:
        if len(raw) < _REQUEST.size:
            raise SegmentError(f"REQUEST of {len(raw)} bytes is shorter than its header")
        _, _, channel, tid, count, n = _REQUEST.unpack_from(raw)
        if len(raw) != _REQUEST.size + n * _RANGE.size:
            raise SegmentError(f"REQUEST announces {n} ranges but carries {len(raw) - _REQUEST.size} bytes")
        ranges = tuple(_RANGE.unpack_from(raw, _REQUEST.size + i * _RANGE.size) for i in range(n))
        for first, length in ranges:
            if length == 0 or first + length > count:
                raise SegmentError(f"requested range {first}+{length} outside a count of {count}")
        return SegmentRequest(channel, tid, count, ranges)
    raise SegmentError(f"unknown message kind 0x{raw[1]:02x}")


def segment(payload: bytes, *, mtu: int, channel: int, transfer_id: int) -> list[Segment]:
    """Cut `payload` into segments whose encoding fits `mtu` bytes."""
    room = mtu - DATA_HEADER_BYTES
    if room < 1:
        raise ValueError(f"mtu {mtu} leaves no room after the {DATA_HEADER_BYTES}-byte header")
    if not payload:
        raise ValueError("empty payload")
    if not 0 <= channel <= 0xFF or not 0 <= transfer_id <= 0xFFFF:
        raise ValueError("channel is one byte, transfer_id two")
    count = -(-len(payload) // room)
    if count > MAX_SEGMENTS:
        raise ValueError(f"{len(payload)} bytes need {count} segments, more than {MAX_SEGMENTS}")
    crc = zlib.crc32(payload)
    return [
        Segment(channel, transfer_id, i, count, len(payload), crc, payload[i * room : (i + 1) * room])
        for i in range(count)
    ]


def _ranges(indices: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][0] + out[-1][1] == i:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((i, 1))
    return out


class SegmentSender:
    """Cuts payloads into segments (one transfer id sequence per channel) and answers requests."""

    def __init__(self, mtu: int, *, max_kept: int = 16) -> None:
        self.mtu = mtu
        self._next_id: dict[int, int] = {}
        self._kept: dict[tuple[int, int], list[Segment]] = {}
        self._order: deque[tuple[int, int]] = deque()
        self._max_kept = max_kept
        self.acknowledged: set[tuple[int, int]] = set()

    def send(self, payload: bytes, channel: int) -> tuple[int, list[bytes]]:
        """(transfer_id, encoded segments) for a new transfer on `channel`."""
        tid = self._next_id.get(channel, 0)
        self._next_id[channel] = (tid + 1) & 0xFFFF
        segments = segment(payload, mtu=self.mtu, channel=channel, transfer_id=tid)
        key = (channel, tid)
        self._kept[key] = segments
        self._order.append(key)
        while len(self._order) > self._max_kept:
            self._kept.pop(self._order.popleft(), None)
        return tid, [s.encode() for s in segments]

    def answer(self, request: SegmentRequest | bytes) -> list[bytes]:
        """The segments a request asks for again; an ACK (or an unknown transfer) needs none."""
        if isinstance(request, bytes):
            message = decode_message(request)
            if not isinstance(message, SegmentRequest):
                raise SegmentError("expected a REQUEST, got a DATA segment")
            request = message
        key = (request.channel, request.transfer_id)
        segments = self._kept.get(key)
        if segments is None or request.count != len(segments):
            return []
        if request.is_ack:
            self.acknowledged.add(key)
            self._kept.pop(key, None)
            return []
        return [segments[i].encode() for i in request.indices()]


@dataclass(frozen=True)
class Reassembled:
    channel: int
    transfer_id: int
    payload: bytes


@dataclass
class ReassemblyStats:
    segments: int = 0
    duplicates: int = 0
    rejected: int = 0
    completed: int = 0
    replaced: int = 0  # incomplete transfers dropped because a new one started on their channel
    expired: int = 0
    crc_failures: int = 0


@dataclass
class _Transfer:
    transfer_id: int
    count: int
    total_bytes: int
    crc32: int
    parts: dict[int, bytes] = field(default_factory=dict)
    held_bytes: int = 0
    last_segment_s: float = 0.0
    last_request_s: float | None = None
    new_since_request: bool = True


class Reassembler:
    """Receiver side: one transfer per channel, at most `max_payload_bytes`, dropped after `timeout_s`
    without a new segment. `requests(now_s)` returns what to send back: REQUESTs for transfers idle
    for `request_delay_s` (or whose last segment arrived with gaps), and one ACK per completion."""

    def __init__(self, *, max_payload_bytes: int = 64 * 1024, timeout_s: float = 120.0,
                 request_delay_s: float = 2.0, mtu: int = MTU_AX25) -> None:
        self.max_payload_bytes = max_payload_bytes
        self.timeout_s = timeout_s
        self.request_delay_s = request_delay_s
        self._max_ranges = max(1, (mtu - _REQUEST.size) // _RANGE.size)
        self._transfers: dict[int, _Transfer] = {}
        self._done: deque[tuple[int, int, int]] = deque(maxlen=64)  # (channel, tid, count)
        self._acks: list[SegmentRequest] = []
        self.stats = ReassemblyStats()

    def receive(self, raw: bytes, now_s: float) -> Reassembled | None:
        """Take one DATA segment; returns the payload when this segment completes it."""
        self.expire(now_s)
        try:
            seg = decode_message(raw)
        except SegmentError:
            self.stats.rejected += 1
            return None
        if not isinstance(seg, Segment):
            self.stats.rejected += 1
            return None
        self.stats.segments += 1
        done = next((d for d in self._done if d[:2] == (seg.channel, seg.transfer_id)), None)
        if done is not None:
            # The sender missed our ACK and resent: acknowledge again, keep nothing.
            self.stats.duplicates += 1
            self._queue_ack(SegmentRequest(seg.channel, seg.transfer_id, done[2]))
            return None
        if seg.total_bytes > self.max_payload_bytes or seg.total_bytes < seg.count or not seg.data:
            self.stats.rejected += 1
            return None
        current = self._transfers.get(seg.channel)
        if current is not None and current.transfer_id != seg.transfer_id:
            self.stats.replaced += 1
            current = None
        if current is None:
            current = _Transfer(seg.transfer_id, seg.count, seg.total_bytes, seg.crc32, last_segment_s=now_s)
            self._transfers[seg.channel] = current
        elif (seg.count, seg.total_bytes, seg.crc32) != (current.count, current.total_bytes, current.crc32):
            self.stats.rejected += 1
            return None
        if seg.index in current.parts:
            self.stats.duplicates += 1
            return None
        if current.held_bytes + len(seg.data) > current.total_bytes:
            self.stats.rejected += 1
            return None
        current.parts[seg.index] = seg.data
        current.held_bytes += len(seg.data)
        current.last_segment_s = now_s
        current.new_since_request = True
        if len(current.parts) < current.count:
            return None
        del self._transfers[seg.channel]
        payload = b"".join(current.parts[i] for i in range(current.count))
        if len(payload) != current.total_bytes or zlib.crc32(payload) != current.crc32:
            self.stats.crc_failures += 1
            return None
        self.stats.completed += 1
        self._done.append((seg.channel, seg.transfer_id, current.count))
        self._queue_ack(SegmentRequest(seg.channel, seg.transfer_id, current.count))
        return Reassembled(seg.channel, seg.transfer_id, payload)

    def missing(self, channel: int) -> list[int]:
        """Indices still lacking in the transfer on `channel` (empty when none is in progress)."""
        t = self._transfers.get(channel)
        return [] if t is None else [i for i in range(t.count) if i not in t.parts]

    def requests(self, now_s: float) -> list[SegmentRequest]:
        """REQUESTs for stalled transfers and ACKs for completed ones, each due once."""
        self.expire(now_s)
        out, self._acks = self._acks, []
        for channel, t in self._transfers.items():
            gap_after_last = (t.count - 1) in t.parts and t.new_since_request
            idle = now_s - t.last_segment_s >= self.request_delay_s
            repeat_due = t.last_request_s is None or now_s - t.last_request_s >= self.request_delay_s
            if not (gap_after_last or (idle and repeat_due)):
                continue
            ranges = _ranges(self.missing(channel))[: self._max_ranges]
            out.append(SegmentRequest(channel, t.transfer_id, t.count, tuple(ranges)))
            t.last_request_s = now_s
            t.new_since_request = False
        return out

    def expire(self, now_s: float) -> None:
        for channel in [c for c, t in self._transfers.items() if now_s - t.last_segment_s > self.timeout_s]:
            del self._transfers[channel]
            self.stats.expired += 1

    @property
    def held_bytes(self) -> int:
        return sum(t.held_bytes for t in self._transfers.values())

    def _queue_ack(self, ack: SegmentRequest) -> None:
        if ack not in self._acks:
            self._acks.append(ack)
