"""The loopback radio: TX comes back as RX through the channel model, threads and all."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from radios.channel import ChannelConfig, ChannelModel
from radios.errors import DeviceConfigError, DeviceError
from radios.loopback import TAIL_MARGIN_SAMPLES, LoopbackRadio
from radios.sdr import RadioSettings
from radios.sdr_registry import open_radio

RATE_HZ = 96_000.0
WAIT_S = 5.0
FLOAT32_TOLERANCE = 1e-5
FREQUENCY_TOLERANCE_HZ = 1.0
GAIN_TOLERANCE = 1e-4


def qpsk(count: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.exp(1j * (np.pi / 4 + np.pi / 2 * rng.integers(0, 4, count)))).astype(np.complex64)


def read_all(radio, expected: int) -> np.ndarray:
    parts = []
    got = 0
    deadline = time.monotonic() + WAIT_S
    while got < expected and time.monotonic() < deadline:
        block = radio.read(expected - got, timeout_s=0.5)
        parts.append(block.iq)
        got += block.iq.size
    return np.concatenate(parts) if parts else np.zeros(0, np.complex64)


@pytest.mark.parametrize(
    "channel",
    [
        {},
        {"carrier_offset_hz": 1234.5, "doppler_rate_hz_s": 250.0, "delay_s": 0.0125},
        {"ebn0_db": 8.0, "bit_rate_bps": 9600.0, "sample_rate_offset_ppm": 120.0, "delay_s": 1e-4, "seed": 3},
    ],
)
def test_tx_comes_back_as_the_channel_output(channel):
    settings = RadioSettings(RATE_HZ, 435e6)
    config = ChannelConfig(sample_rate_hz=RATE_HZ, **channel)
    radio = LoopbackRadio(settings, config, block_samples=1000)
    bursts = [qpsk(3000, 1), qpsk(1234, 2), qpsk(5000, 3)]
    radio.open()
    try:
        for burst in bursts:
            radio.transmit(burst)
        radio.start_rx()
        assert radio.wait_tx_done(WAIT_S)
        sent = np.concatenate(bursts)
        tail = np.zeros(math.ceil(config.delay_s * RATE_HZ) + TAIL_MARGIN_SAMPLES, np.complex64)
        expected = ChannelModel(config).process(np.concatenate([sent, tail]))
        received = read_all(radio, expected.size)
        np.testing.assert_allclose(received, expected, atol=FLOAT32_TOLERANCE)
        stats = radio.stats()
        assert stats.samples_transmitted == sent.size
        assert stats.overruns == 0
        assert radio.read(10).iq.size == 0  # idle: nothing more comes
    finally:
        radio.close()


def test_split_tuning_appears_as_carrier_offset_and_gain_scales():
    radio = open_radio("loopback:", RadioSettings(RATE_HZ, 435e6, gain_db=6.0))
    radio.open()
    try:
        radio.tune_tx(435e6 + 1000.0)
        radio.transmit(np.ones(4800, np.complex64))
        radio.start_rx()
        assert radio.wait_tx_done(WAIT_S)
        y = read_all(radio, 4800)
        measured_hz = np.angle(np.sum(y[1:] * np.conj(y[:-1]))) * RATE_HZ / (2 * np.pi)
        assert measured_hz == pytest.approx(1000.0, abs=FREQUENCY_TOLERANCE_HZ)
        assert np.abs(y).mean() == pytest.approx(10 ** (6.0 / 20), rel=GAIN_TOLERANCE)
    finally:
        radio.close()


def test_realtime_loopback_counts_overruns_when_nobody_reads():
    # 1 Msps into a 10 ms ring: a consumer that does not read loses samples within ~10 ms.
    radio = open_radio("loopback:snr_db=10,seed=1,realtime=1", RadioSettings(1e6, 145.8e6, rx_buffer_s=0.01))
    radio.open()
    try:
        radio.start_rx()
        deadline = time.monotonic() + WAIT_S
        while radio.stats().overruns == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        stats = radio.stats()
        assert stats.overruns > 0
        assert stats.dropped_samples > 0
        assert stats.buffered_samples <= 10_000
        block = radio.read(1000)
        assert block.dropped_before > 0
        assert block.iq.size == 1000
        noise_power = float(np.mean(np.abs(block.iq) ** 2))
        assert noise_power == pytest.approx(0.1, rel=0.3)  # SNR 10 dB against unit signal power
    finally:
        radio.close()


def test_tx_queue_is_bounded_and_never_blocks():
    radio = LoopbackRadio(RadioSettings(RATE_HZ, 435e6, tx_queue_s=0.01))
    radio.open()
    try:
        radio.transmit(np.zeros(960, np.complex64))
        with pytest.raises(DeviceError, match="TX queue full"):
            radio.transmit(np.zeros(1, np.complex64))
    finally:
        radio.close()


def test_bad_loopback_options_name_the_option():
    settings = RadioSettings(RATE_HZ, 435e6)
    with pytest.raises(DeviceConfigError, match="unknown loopback option 'ebno=3'"):
        open_radio("loopback:ebno=3", settings)
    with pytest.raises(DeviceConfigError, match="ebn0_db needs bit_rate_bps"):
        open_radio("loopback:ebn0_db=3", settings)
    with pytest.raises(DeviceConfigError, match="delay_s must be a number"):
        open_radio("loopback:delay_s=soon", settings)


def test_transmit_before_open_is_a_clear_error():
    radio = LoopbackRadio(RadioSettings(RATE_HZ, 435e6))
    with pytest.raises(DeviceError, match="not open"):
        radio.transmit(np.zeros(10, np.complex64))


class _FaultyRadio(LoopbackRadio):
    def _run_once(self) -> bool:
        raise ValueError("bad block")


def test_fault_in_the_device_thread_is_reported_by_read():
    radio = _FaultyRadio(RadioSettings(RATE_HZ, 435e6))
    radio.open()
    try:
        radio.start_rx()
        with pytest.raises(DeviceError, match="RX thread stopped: ValueError: bad block"):
            radio.read(10, timeout_s=WAIT_S)
    finally:
        radio.close()
