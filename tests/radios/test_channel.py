"""Channel model checked against closed-form signals: tones, their exact delays and known noise powers."""

import math

import numpy as np
import pytest

from radios.channel import ChannelConfig, ChannelModel

FS = 240_000.0
NOISE_POWER_REL_TOL = 0.03  # 200k complex samples: the variance estimate is good to ~0.3 %
INTERP_ERROR_MAX = 2e-3  # windowed-sinc interpolator on a tone at 0.05 fs
FREQ_TOL_HZ = 0.5


def tone(freq_hz: float, n: int, fs: float = FS, t0_s: float = 0.0) -> np.ndarray:
    t = t0_s + np.arange(n) / fs
    return np.exp(2j * np.pi * freq_hz * t).astype(np.complex64)


def run_blocks(model: ChannelModel, x: np.ndarray, sizes: list[int]) -> np.ndarray:
    out, i = [], 0
    for size in sizes:
        out.append(model.process(x[i : i + size]))
        i += size
    out.append(model.process(x[i:]))
    out.append(model.flush())
    return np.concatenate(out)


def test_noiseless_identity_returns_the_input():
    x = tone(1000.0, 5000)
    y = ChannelModel(ChannelConfig(sample_rate_hz=FS)).process(x)
    assert y.dtype == np.complex64
    np.testing.assert_array_equal(y, x)


def test_ebn0_sets_the_noise_power_from_bit_rate_and_sample_rate():
    cfg = ChannelConfig(sample_rate_hz=FS, ebn0_db=10.0, bit_rate_bps=9600.0, seed=1)
    # Eb/N0 = 10 dB at 9600 bit/s in 240 kHz: SNR = 10 + 10 log10(9600/240000) = -3.98 dB.
    assert cfg.snr_in_band_db == pytest.approx(10.0 + 10 * math.log10(0.04))
    y = ChannelModel(cfg).process(np.zeros(200_000, np.complex64))
    measured = float(np.mean(np.abs(y) ** 2))
    assert measured == pytest.approx(cfg.noise_variance, rel=NOISE_POWER_REL_TOL)
    assert cfg.noise_variance == pytest.approx(10 ** (3.98 / 10), rel=1e-3)
    # Circular noise: I and Q carry half each and are uncorrelated.
    assert float(np.var(y.real)) == pytest.approx(measured / 2, rel=NOISE_POWER_REL_TOL)
    assert abs(float(np.mean(y.real * y.imag))) < 0.01 * measured


def test_snr_db_sets_noise_relative_to_signal_power():
    cfg = ChannelConfig(sample_rate_hz=FS, snr_db=20.0, signal_power=4.0, seed=2)
    y = ChannelModel(cfg).process(np.zeros(200_000, np.complex64))
    assert float(np.mean(np.abs(y) ** 2)) == pytest.approx(0.04, rel=NOISE_POWER_REL_TOL)


def test_carrier_offset_and_doppler_ramp_follow_the_phase_law():
    f0, rate = -12_000.0, 250.0
    cfg = ChannelConfig(sample_rate_hz=FS, carrier_offset_hz=f0, doppler_rate_hz_s=rate)
    n = int(FS * 2)
    y = run_blocks(ChannelModel(cfg), np.ones(n, np.complex64), [1, 999, 4096, 77_777, 100_000])
    t = np.arange(n) / FS
    expected = np.exp(2j * np.pi * (f0 * t + 0.5 * rate * t * t))
    assert np.max(np.abs(y - expected)) < 1e-3
    inst_hz = np.angle(y[1:] * np.conj(y[:-1])) * FS / (2 * np.pi)
    assert inst_hz[-1] == pytest.approx(f0 + rate * 2.0, abs=FREQ_TOL_HZ)


def test_sample_rate_offset_stretches_a_tone_and_the_sample_count():
    ppm, f_hz, n = 1000.0, 6000.0, 120_000
    model = ChannelModel(ChannelConfig(sample_rate_hz=FS, sample_rate_offset_ppm=ppm))
    y = run_blocks(model, tone(f_hz, n), [10_000, 3, 50_000])
    # The receiver clock runs fast: n*(1+1e-3) samples out, and the tone looks lower.
    assert y.size == pytest.approx(n * (1 + ppm * 1e-6), abs=2)
    t = np.arange(y.size) / FS
    expected = np.exp(2j * np.pi * f_hz / (1 + ppm * 1e-6) * t)
    core = slice(20, y.size - 20)  # edges see the silence before and after the signal
    assert np.max(np.abs(y[core] - expected[core])) < INTERP_ERROR_MAX


def test_fractional_delay_matches_the_analytically_delayed_tone():
    delay_s = 123.37 / FS
    model = ChannelModel(ChannelConfig(sample_rate_hz=FS, delay_s=delay_s))
    n = 20_000
    x = tone(12_000.0, n)
    y = run_blocks(model, x, [500, 500])
    assert y.size == n + 123  # the flushed tail covers the delayed signal
    assert np.max(np.abs(y[:110])) < INTERP_ERROR_MAX  # silence before the signal arrives
    expected = tone(12_000.0, y.size, t0_s=-delay_s)
    core = slice(140, n - 20)
    assert np.max(np.abs(y[core] - expected[core])) < INTERP_ERROR_MAX


def test_whole_sample_delay_is_an_exact_delay_line_with_equal_block_lengths():
    model = ChannelModel(ChannelConfig(sample_rate_hz=FS, delay_s=50 / FS))
    x = tone(1000.0, 1000)
    parts = [model.process(x[:300]), model.process(x[300:])]
    assert [p.size for p in parts] == [300, 700]
    y = np.concatenate(parts)
    np.testing.assert_array_equal(y[:50], 0)
    np.testing.assert_array_equal(y[50:], x[:-50])


def test_output_does_not_depend_on_block_partitioning():
    cfg = ChannelConfig(
        sample_rate_hz=FS,
        ebn0_db=8.0,
        bit_rate_bps=9600.0,
        carrier_offset_hz=3000.0,
        doppler_rate_hz_s=-250.0,
        sample_rate_offset_ppm=-200.0,
        delay_s=1.5e-3,
        seed=7,
    )
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(50_000) + 1j * rng.standard_normal(50_000)).astype(np.complex64)
    one = run_blocks(ChannelModel(cfg), x, [])
    many = run_blocks(ChannelModel(cfg), x, list(rng.integers(1, 3000, 30)))
    assert one.size == many.size
    np.testing.assert_allclose(many, one, atol=1e-4)


def test_seed_reproduces_and_differs():
    def noise(seed: int) -> np.ndarray:
        cfg = ChannelConfig(sample_rate_hz=FS, snr_db=0.0, seed=seed)
        return ChannelModel(cfg).process(np.zeros(100, np.complex64))

    np.testing.assert_array_equal(noise(3), noise(3))
    assert not np.array_equal(noise(3), noise(4))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sample_rate_hz": 0.0},
        {"sample_rate_hz": FS, "ebn0_db": 5.0},
        {"sample_rate_hz": FS, "ebn0_db": 5.0, "bit_rate_bps": 9600.0, "snr_db": 3.0},
        {"sample_rate_hz": FS, "delay_s": -1.0},
    ],
)
def test_bad_configs_are_refused(kwargs):
    with pytest.raises(ValueError, match=r"\S"):
        ChannelConfig(**kwargs)
