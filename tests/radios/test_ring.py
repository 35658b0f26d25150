"""The bounded sample ring: order, wrap-around, overrun counting, lossless waiting."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from radios.ring import SampleRing

WAIT_S = 2.0


def ramp(start: int, count: int) -> np.ndarray:
    return (np.arange(start, start + count) + 1j * np.arange(start, start + count)).astype(np.complex64)


def test_reads_come_out_in_order_across_the_wrap():
    ring = SampleRing(10)
    ring.write(ramp(0, 7))
    first = ring.read(5)
    ring.write(ramp(7, 6))  # wraps: 2 unread + 6 new = 8 <= 10
    second = ring.read(100)
    assert first.start_index == 0
    np.testing.assert_array_equal(first.iq, ramp(0, 5))
    assert second.start_index == 5
    np.testing.assert_array_equal(second.iq, ramp(5, 8))
    assert ring.stats().overruns == 0


def test_overruns_are_counted_and_the_oldest_samples_dropped():
    ring = SampleRing(8)
    ring.write(ramp(0, 6))
    ring.write(ramp(6, 5))  # 11 > 8: 3 oldest lost
    ring.write(ramp(11, 20))  # larger than the ring: 20 + 8 - 8 lost
    stats = ring.stats()
    assert stats.overruns == 2
    assert stats.dropped_samples == 3 + 20
    assert stats.written_samples == 31
    assert stats.buffered_samples == 8
    block = ring.read(100)
    assert block.start_index == 23
    assert block.dropped_before == 23
    np.testing.assert_array_equal(block.iq, ramp(23, 8))
    ring.write(ramp(31, 2))
    assert ring.read(100).dropped_before == 0  # reported once


def test_read_never_blocks_without_timeout():
    ring = SampleRing(4)
    block = ring.read(4, timeout_s=0.0)
    assert block.iq.size == 0
    assert block.start_index == 0


def test_lossless_writer_waits_for_the_reader():
    ring = SampleRing(16)
    total = 1000
    done = threading.Event()

    def produce() -> None:
        ring.write(ramp(0, total), wait=True)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    got = []
    while sum(b.size for b in got) < total:
        block = ring.read(7, timeout_s=WAIT_S)
        assert block.iq.size > 0
        got.append(block.iq)
    assert done.wait(WAIT_S)
    np.testing.assert_array_equal(np.concatenate(got), ramp(0, total))
    assert ring.stats().overruns == 0


def test_closing_releases_a_waiting_writer():
    ring = SampleRing(4)
    ring.write(ramp(0, 4))
    written = []
    thread = threading.Thread(target=lambda: written.append(ring.write(ramp(4, 4), wait=True)))
    thread.start()
    ring.close()
    thread.join(WAIT_S)
    assert written == [0]


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        SampleRing(0)
