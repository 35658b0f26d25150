"""IQ path: FM modulator, AFC and discriminator on the channel model, checked against closed forms,
against direwolf (its decoder reads our discriminator output) and against the BFSK error curve."""

import numpy as np
import pytest

from radios.ax25 import Frame
from radios.ber import implementation_loss_db, measure_iq_ber, noncoherent_bfsk_ebn0_db
from radios.channel import ChannelConfig, ChannelModel
from radios.fm import FmModulator, G3ruhIqDemodulator, G3ruhIqModulator, demodulate_iq
from radios.g3ruh import SINGLE_SLICER
from radios.wav import write_wav16
from tests.radios.direwolf import atest

WORST_OFFSET_HZ = 12_000.0
WORST_RAMP_HZ_S = 250.0
LOSS_BOUND_DB = 3.0  # the goal is 2 dB; 40k bits per point leave about +-0.3 dB of scatter
BER_POINTS_DB = (9.0, 11.0, 13.0)

FRAMES = [Frame.ui("N0CALL-1", "CQ", bytes([i]) * 120 + b"\xff" * 8) for i in range(4)]


def padded(iq: np.ndarray, rate: float, pad_s: float = 0.05) -> np.ndarray:
    pad = np.zeros(int(rate * pad_s), np.complex64)
    return np.concatenate((pad, iq, pad))


def through(config: ChannelConfig, iq: np.ndarray) -> np.ndarray:
    channel = ChannelModel(config)
    return np.concatenate((channel.process(iq), channel.flush()))


def test_fm_frequency_follows_the_baseband_and_phase_is_continuous():
    rate, dev = 240_000.0, 3000.0
    baseband = np.sin(np.linspace(0, 20, 4000))
    whole = FmModulator(rate, dev).modulate(baseband)
    mod = FmModulator(rate, dev)
    parts = np.concatenate([mod.modulate(baseband[:1234]), mod.modulate(baseband[1234:])])
    np.testing.assert_allclose(parts, whole, atol=1e-5)
    inst_hz = np.angle(whole[1:] * np.conj(whole[:-1])) * rate / (2 * np.pi)
    np.testing.assert_allclose(inst_hz, dev * baseband[1:], atol=0.01)
    np.testing.assert_allclose(np.abs(whole), 1.0, atol=1e-6)


@pytest.mark.parametrize(
    ("rate", "offset_hz", "ramp_hz_s", "ppm"),
    [
        (240_000.0, WORST_OFFSET_HZ, WORST_RAMP_HZ_S, 200.0),
        (240_000.0, -WORST_OFFSET_HZ, -WORST_RAMP_HZ_S, -200.0),
        (1_000_000.0, -WORST_OFFSET_HZ, WORST_RAMP_HZ_S, 0.0),
        (250_000.0, 5_000.0, 0.0, 0.0),
    ],
)
def test_frames_decode_through_offset_doppler_and_clock_error(rate, offset_hz, ramp_hz_s, ppm):
    iq = padded(G3ruhIqModulator(sample_rate_hz=rate).modulate(FRAMES), rate)
    config = ChannelConfig(sample_rate_hz=rate, ebn0_db=15.0, bit_rate_bps=9600.0, seed=3,
                           carrier_offset_hz=offset_hz, doppler_rate_hz_s=ramp_hz_s,
                           sample_rate_offset_ppm=ppm)
    got = demodulate_iq(through(config, iq), rate, slicers=SINGLE_SLICER)
    assert [f.frame() for f in got] == FRAMES


def test_streaming_blocks_like_a_loopback_radio():
    rate = 240_000.0
    modulator = G3ruhIqModulator(sample_rate_hz=rate)
    bursts = [padded(modulator.modulate([f]), rate, 0.2) for f in FRAMES * 2]
    channel = ChannelModel(ChannelConfig(sample_rate_hz=rate, ebn0_db=14.0, bit_rate_bps=9600.0, seed=4,
                                         carrier_offset_hz=-7000.0, doppler_rate_hz_s=WORST_RAMP_HZ_S))
    demod = G3ruhIqDemodulator(rate, chunk_s=0.2)
    rng = np.random.default_rng(0)
    found = []
    for burst in bursts:
        for block in np.array_split(burst, int(rng.integers(2, 9))):
            found += demod.process(channel.process(block))
    found += demod.process(channel.flush()) + demod.flush()
    assert [f.frame() for f in found] == FRAMES * 2
    ends = [f.end_sample for f in found]
    assert all(np.diff(ends) > 0)
    assert ends[-1] < sum(b.size for b in bursts)


def test_direwolf_decodes_our_discriminator_output(tmp_path):
    rate = 240_000.0
    iq = padded(G3ruhIqModulator(sample_rate_hz=rate).modulate(FRAMES), rate)
    config = ChannelConfig(sample_rate_hz=rate, carrier_offset_hz=WORST_OFFSET_HZ,
                           doppler_rate_hz_s=WORST_RAMP_HZ_S, ebn0_db=20.0, bit_rate_bps=9600.0, seed=5)
    audio, audio_rate = G3ruhIqDemodulator(rate).discriminate(through(config, iq))
    assert audio_rate == int(audio_rate)
    wav = tmp_path / "discriminator.wav"
    write_wav16(wav, audio * 0.5, int(audio_rate))
    assert atest(wav).monitor_lines == [f.to_monitor() for f in FRAMES]


@pytest.mark.parametrize(("offset_hz", "ramp_hz_s"), [(0.0, 0.0), (-WORST_OFFSET_HZ, WORST_RAMP_HZ_S)])
def test_implementation_loss_against_noncoherent_bfsk(offset_hz, ramp_hz_s):
    points = [measure_iq_ber(e, bits=40_000, carrier_offset_hz=offset_hz, doppler_rate_hz_s=ramp_hz_s, seed=7)
              for e in BER_POINTS_DB]
    assert noncoherent_bfsk_ebn0_db(1e-3) == pytest.approx(10.94, abs=0.01)
    assert all(p.bits >= 35_000 for p in points)
    assert points[0].ber > points[1].ber > points[2].ber  # a falling curve, not a stuck one
    assert implementation_loss_db(points) < LOSS_BOUND_DB
