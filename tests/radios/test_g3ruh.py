"""The 9600 bd G3RUH modem against direwolf: its decoder reads ours, ours reads its files."""

import numpy as np
import pytest
from scipy import signal

from radios.ax25 import Frame
from radios.g3ruh import SINGLE_SLICER, G3ruhDemodulator, G3ruhModulator, demodulate
from radios.wav import read_wav, write_wav16
from tests.radios.direwolf import atest, gen_packets

PPM = 1e-6

# Short enough for gen_packets (it reads lines of up to 400 characters).
LINES = [
    "N0CALL-1>CQ:hello",
    "WB2OSZ-15>TEST,WIDE1-1,WIDE2-2*:<0xff><0xff><0xff><0x00>all ones <0xff><0xfe>~~",
    "K1ABC-9>APRS,RELAY,WIDE1-1*:!4237.14N/07120.83W#PHG7140 " + "x" * 200,
]
# Every byte value, and a full 256-byte info field: for our modulator and direwolf's decoder.
ALL_BYTES = Frame.ui("A", "B", bytes(range(256))).to_monitor()


def frames_of(lines: list[str]) -> list[Frame]:
    return [Frame.from_monitor(line) for line in lines]


def decoded_lines(samples: np.ndarray, rate: float, **kwargs) -> list[str]:
    return [f.frame().to_monitor() for f in demodulate(samples, rate, **kwargs)]


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
def test_direwolf_decodes_every_frame_we_write(tmp_path, rate):
    audio = G3ruhModulator(sample_rate_hz=rate).modulate(frames_of([*LINES, ALL_BYTES]))
    wav = tmp_path / "ours.wav"
    write_wav16(wav, audio, rate)
    result = atest(wav)
    assert result.count == len(LINES) + 1
    assert result.monitor_lines[:-1] == LINES
    # direwolf prints bytes above 0x7f raw, so compare the last frame on its hex dump.
    assert Frame.decode(result.frames_hex[-1]).info == bytes(range(256))


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
def test_we_decode_every_frame_in_clean_gen_packets_files(tmp_path, rate):
    samples, got_rate = read_wav(gen_packets(tmp_path / "dw.wav", rate=rate, lines=LINES))
    assert got_rate == rate
    # gen_packets keeps each line's newline in the info field.
    assert decoded_lines(samples, rate, slicers=SINGLE_SLICER) == [line + "<0x0a>" for line in LINES]
    assert decoded_lines(samples, rate) == [line + "<0x0a>" for line in LINES]


def test_we_decode_at_least_as_many_as_direwolf_in_rising_noise(tmp_path):
    wav = gen_packets(tmp_path / "noisy.wav", rate=48_000, noisy=100)
    plain = atest(wav).count
    multi = atest(wav, "-P", "+").count
    samples, rate = read_wav(wav)
    ours = demodulate(samples, rate)
    texts = [f.frame().to_monitor() for f in ours]
    assert len(set(texts)) == len(texts)  # each frame once
    assert all(t.startswith("WB2OSZ-15>TEST:,The quick brown fox") for t in texts)
    assert len(ours) >= plain
    assert len(ours) >= multi


@pytest.mark.parametrize("ppm", [-200, 200])
def test_clock_recovery_survives_200_ppm(tmp_path, ppm):
    rate = 48_000
    # Our transmitter with a fast or slow clock...
    skewed = G3ruhModulator(sample_rate_hz=rate * (1 + ppm * PPM)).modulate(frames_of(LINES))
    assert decoded_lines(skewed, rate, slicers=SINGLE_SLICER) == LINES
    # ...and direwolf's file resampled by an independent (FFT) resampler.
    samples, _ = read_wav(gen_packets(tmp_path / "dw.wav", rate=rate, lines=LINES))
    stretched = signal.resample(samples, round(samples.size * (1 + ppm * PPM)))
    assert decoded_lines(stretched, rate, slicers=SINGLE_SLICER) == [line + "<0x0a>" for line in LINES]


def test_streaming_in_small_blocks_reports_each_frame_once():
    rate = 48_000
    modulator = G3ruhModulator(sample_rate_hz=rate)
    silence = np.zeros(rate // 3, np.float32)
    lines = [*LINES, ALL_BYTES] * 3
    bursts = [np.concatenate((silence, modulator.modulate(frames_of([line])))) for line in lines]
    audio = np.concatenate([*bursts, silence])
    demod = G3ruhDemodulator(rate, chunk_s=0.25)
    rng = np.random.default_rng(5)
    found, pos = [], 0
    while pos < audio.size:
        step = int(rng.integers(100, 9000))
        found += demod.process(audio[pos : pos + step])
        pos += step
    found += demod.flush()
    assert [f.frame().to_monitor() for f in found] == lines
    assert all(np.diff([f.end_sample for f in found]) > 0)
