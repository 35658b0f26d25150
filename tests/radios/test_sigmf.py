"""SigMF record → replay with real files, checked by the `sigmf` package itself."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sigmf
from sigmf.sigmffile import fromfile

from radios.errors import DeviceConfigError, DeviceError
from radios.ring import RxBlock
from radios.sdr_registry import open_radio
from radios.sigmf_io import SigmfRadio, SigmfRecorder

RATE_HZ = 48_000.0
FREQUENCY_HZ = 437.525e6
START = datetime(2026, 11, 22, 10, 30, 0, 250_000, tzinfo=UTC)
WAIT_S = 5.0
FREQUENCY_TOLERANCE_HZ = 1.0


def noise(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=count) + 1j * rng.normal(size=count)).astype(np.complex64)


def drain(radio) -> np.ndarray:
    parts = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        block = radio.read(10_000, timeout_s=0.2)
        if block.iq.size == 0 and not radio.running:
            break
        parts.append(block.iq)
    return np.concatenate(parts)


def test_record_writes_a_valid_recording_with_captures_and_annotations(tmp_path):
    first, second = noise(4800, 1), noise(2400, 2)
    with SigmfRecorder(
        tmp_path / "pass",
        sample_rate_hz=RATE_HZ,
        frequency_hz=FREQUENCY_HZ,
        start_time=START,
        description="test pass",
        hardware="loopback",
    ) as rec:
        rec.write(first)
        rec.annotate(
            1000,
            2000,
            "frame",
            "AX.25 UI",
            freq_lower_edge_hz=FREQUENCY_HZ - 6000,
            freq_upper_edge_hz=FREQUENCY_HZ + 6000,
        )
        rec.retune(FREQUENCY_HZ + 1500)
        rec.write(second)

    handle = fromfile(str(tmp_path / "pass.sigmf-meta"))  # validates schema and checksum
    handle.validate()
    assert handle.get_global_field(sigmf.DATATYPE_KEY) == "cf32_le"
    assert handle.get_global_field(sigmf.SAMPLE_RATE_KEY) == RATE_HZ
    assert handle.get_global_field(sigmf.DESCRIPTION_KEY) == "test pass"
    captures = handle.get_captures()
    assert [c[sigmf.SAMPLE_START_KEY] for c in captures] == [0, 4800]
    assert [c[sigmf.FREQUENCY_KEY] for c in captures] == [FREQUENCY_HZ, FREQUENCY_HZ + 1500]
    assert captures[0][sigmf.DATETIME_KEY] == "2026-11-22T10:30:00.250000Z"
    assert captures[1][sigmf.DATETIME_KEY] == "2026-11-22T10:30:00.350000Z"  # 4800 samples later
    (note,) = handle.get_annotations()
    assert note[sigmf.SAMPLE_START_KEY] == 1000
    assert note[sigmf.SAMPLE_COUNT_KEY] == 2000
    assert note[sigmf.LABEL_KEY] == "frame"
    np.testing.assert_array_equal(handle.read_samples(), np.concatenate([first, second]))


def test_overrun_gap_starts_a_capture_at_the_true_time(tmp_path):
    rec = SigmfRecorder(
        tmp_path / "gap.sigmf-data", sample_rate_hz=RATE_HZ, frequency_hz=FREQUENCY_HZ, start_time=START
    )
    rec.write(RxBlock(0, noise(100, 1)))
    rec.write(RxBlock(4900, noise(100, 2), dropped_before=4800))
    meta = json.loads(rec.close().read_text())
    starts = [(c["core:sample_start"], c["core:datetime"]) for c in meta["captures"]]
    assert starts == [(0, "2026-11-22T10:30:00.250000Z"), (100, "2026-11-22T10:30:00.352083Z")]
    assert meta["annotations"][0]["core:label"] == "gap"
    assert "4800 samples lost" in meta["annotations"][0]["core:comment"]
    assert rec.time_at(150) == START + timedelta(seconds=4950 / RATE_HZ)


def test_replay_round_trip_through_the_radio_interface(tmp_path):
    samples = noise(50_000, 3)
    with SigmfRecorder(
        tmp_path / "rec", sample_rate_hz=RATE_HZ, frequency_hz=FREQUENCY_HZ, start_time=START
    ) as rec:
        rec.write(samples)
    radio = open_radio(f"sigmf:{tmp_path / 'rec.sigmf-meta'}")
    assert isinstance(radio, SigmfRadio)
    assert radio.settings.sample_rate_hz == RATE_HZ
    assert radio.start_time == START
    radio.open()
    try:
        radio.start_rx()
        np.testing.assert_array_equal(drain(radio), samples)
        assert radio.finished
        assert radio.stats().overruns == 0
    finally:
        radio.close()


def test_replay_through_a_small_ring_loses_nothing(tmp_path):
    samples = noise(30_000, 4)
    with SigmfRecorder(
        tmp_path / "rec", sample_rate_hz=RATE_HZ, frequency_hz=FREQUENCY_HZ, start_time=START
    ) as rec:
        rec.write(samples)
    radio = SigmfRadio(tmp_path / "rec", rx_buffer_s=0.01)  # 480-sample ring
    radio.open()
    try:
        radio.start_rx()
        np.testing.assert_array_equal(drain(radio), samples)
        assert radio.stats().overruns == 0
    finally:
        radio.close()


def test_replay_tuned_within_the_band_shifts_the_signal(tmp_path):
    tone = np.ones(9600, np.complex64)
    with SigmfRecorder(
        tmp_path / "rec", sample_rate_hz=RATE_HZ, frequency_hz=FREQUENCY_HZ, start_time=START
    ) as rec:
        rec.write(tone)
    radio = SigmfRadio(tmp_path / "rec")
    radio.tune(FREQUENCY_HZ - 2000.0)  # the recorded carrier now sits 2 kHz above centre
    radio.open()
    try:
        with pytest.raises(DeviceConfigError, match="outside the recorded band"):
            radio.tune(FREQUENCY_HZ + RATE_HZ)
        assert radio.settings.frequency_hz == FREQUENCY_HZ - 2000.0  # refused tuning changed nothing
        radio.start_rx()
        y = drain(radio)
        measured_hz = np.angle(np.sum(y[1:] * np.conj(y[:-1]))) * RATE_HZ / (2 * np.pi)
        assert measured_hz == pytest.approx(2000.0, abs=FREQUENCY_TOLERANCE_HZ)
        with pytest.raises(DeviceError, match="receive-only"):
            radio.transmit(tone)
    finally:
        radio.close()


def test_unreadable_recording_names_the_file(tmp_path):
    bad = tmp_path / "bad.sigmf-meta"
    bad.write_text("{not json")
    with pytest.raises(DeviceConfigError, match=r"bad\.sigmf-meta: not a readable SigMF recording"):
        SigmfRadio(bad)
    with pytest.raises(DeviceConfigError, match=r"missing\.sigmf-meta"):
        open_radio(f"sigmf:{tmp_path / 'missing'}")
