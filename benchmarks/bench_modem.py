"""The 9600 bd G3RUH modem against direwolf, its speed, and the IQ path's bit error rate.

Peers measured in the same run: direwolf's `atest -B 9600` and `atest -B 9600 -P +` on files made
by its own `gen_packets -B 9600 -n 100` (100 frames in rising noise) at 44.1, 48 and 96 kHz.
Speed is CPU time (fair on a busy machine) as x real time: audio at 48 kHz, IQ at 1 Msps.
BER: random line bits through FM, the channel model and our discriminator receiver, against
non-coherent BFSK theory; implementation loss at BER 1e-3 without and with the worst LEO Doppler
(-12 kHz, +250 Hz/s).
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from radios.ax25 import Frame
from radios.ber import BerPoint, implementation_loss_db, measure_iq_ber, noncoherent_bfsk_ber
from radios.channel import ChannelConfig, ChannelModel
from radios.fm import G3ruhIqModulator, demodulate_iq
from radios.g3ruh import DEFAULT_SLICERS, SINGLE_SLICER, G3ruhModulator, demodulate
from radios.wav import read_wav

RATES = (44_100, 48_000, 96_000)
SPEED_AUDIO_S = 30.0
SPEED_IQ_RATE = 1_000_000.0
SPEED_IQ_S = 5.0
BER_POINTS_DB = (7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0)
BER_BITS = 100_000
GOAL_LOSS_DB = 2.0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _atest(path: Path, *extra: str) -> tuple[int, float]:
    """(frames decoded, CPU seconds) for direwolf's atest."""
    before = _children_cpu_s()
    proc = subprocess.run(["atest", "-B", "9600", *extra, str(path)], capture_output=True, check=False)
    text = proc.stdout.decode("latin-1")
    match = re.search(r"(\d+) packets decoded", text)
    return (int(match.group(1)) if match else -1), _children_cpu_s() - before


def _cpu(function):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = function()
    return result, time.process_time() - start


def noise_counts(folder: Path) -> None:
    print("Frames decoded from `gen_packets -B 9600 -n 100` (100 sent, rising noise):")
    print(f"  {'rate':>7} {'atest':>6} {'atest -P+':>10} {'ours 1 slicer':>14} {'ours bank':>10}"
          f" {'bank/-P+':>9}")
    for rate in RATES:
        wav = folder / f"noise{rate}.wav"
        subprocess.run(["gen_packets", "-B", "9600", "-r", str(rate), "-n", "100", "-o", str(wav)],
                       capture_output=True, check=True)
        plain, _ = _atest(wav)
        multi, _ = _atest(wav, "-P", "+")
        samples, got_rate = read_wav(wav)
        single = len(demodulate(samples, got_rate, slicers=SINGLE_SLICER))
        bank = len(demodulate(samples, got_rate, slicers=DEFAULT_SLICERS))
        print(f"  {rate:>7} {plain:>6} {multi:>10} {single:>14} {bank:>10} {bank / max(multi, 1):>8.2f}x")


def radio_like_counts(folder: Path) -> None:
    """Our frames through what a radio does to audio: a 6 kHz low-pass, a DC offset, a 150 ppm
    sound-card clock and rising noise; counts for atest, atest -P+ and ours on the same file."""
    from scipy import signal

    from radios.wav import write_wav16

    rate = 48_000
    rng = np.random.default_rng(0)
    b, a = signal.butter(3, 6000, fs=rate)
    modulator = G3ruhModulator(sample_rate_hz=rate * (1 + 150e-6))
    parts = []
    for i in range(100):
        frame = Frame.ui("N0CALL-1", "CQ", b"frame %03d " % i + rng.bytes(100))
        burst = np.concatenate((np.zeros(2000), modulator.modulate([frame]), np.zeros(2000)))
        parts.append(signal.lfilter(b, a, burst) + 0.05 + rng.normal(0, 0.12 + 0.25 * i / 100, burst.size))
    audio = (np.concatenate(parts) * 0.5).astype(np.float32)
    wav = folder / "radio_like.wav"
    write_wav16(wav, audio, rate)
    plain, _ = _atest(wav)
    multi, _ = _atest(wav, "-P", "+")
    single = len(demodulate(audio, float(rate), slicers=SINGLE_SLICER))
    bank = len(demodulate(audio, float(rate)))
    print(f"Radio-like channel, 100 frames (6 kHz low-pass, DC, 150 ppm, rising noise): atest {plain}, "
          f"atest -P+ {multi}, ours 1 slicer {single}, ours bank {bank} ({bank / max(multi, 1):.2f}x -P+)")


def audio_speed(folder: Path, have_direwolf: bool) -> None:
    rate = 48_000
    modulator = G3ruhModulator(sample_rate_hz=rate)
    frames = [Frame.ui("N0CALL-1", "CQ", bytes([i % 256]) * 200) for i in range(300)]
    bursts, total = [], 0
    rng = np.random.default_rng(0)
    for i in range(0, len(frames), 3):
        burst = modulator.modulate(frames[i : i + 3])
        gap = np.zeros(int(rate * 0.05), np.float32)
        bursts += [burst, gap]
        total += burst.size + gap.size
        if total > SPEED_AUDIO_S * rate:
            break
    audio = np.concatenate(bursts)
    audio = audio + rng.normal(0, 0.05, audio.size).astype(np.float32)
    seconds = audio.size / rate
    found, cpu = _cpu(lambda: demodulate(audio, float(rate)))
    found1, cpu1 = _cpu(lambda: demodulate(audio, float(rate), slicers=SINGLE_SLICER))
    line = (f"Audio decode speed, 48 kHz, {seconds:.0f} s ({len(found)} frames): bank "
            f"{seconds / cpu:.0f}x real time, one slicer {seconds / cpu1:.0f}x ({len(found1)} frames)")
    if have_direwolf:
        from radios.wav import write_wav16

        wav = folder / "speed.wav"
        write_wav16(wav, audio, rate)
        count, dw_cpu = _atest(wav)
        count_p, dw_cpu_p = _atest(wav, "-P", "+")
        line += (f"; atest {seconds / dw_cpu:.0f}x ({count} frames), atest -P+ {seconds / dw_cpu_p:.0f}x"
                 f" ({count_p})")
    print(line + " (goal >= 20x)")


def iq_speed() -> None:
    rate = SPEED_IQ_RATE
    modulator = G3ruhIqModulator(sample_rate_hz=rate)
    frames = [Frame.ui("N0CALL-1", "CQ", bytes([i]) * 200) for i in range(30)]
    parts, total = [], 0
    for i in range(0, len(frames), 3):
        burst = modulator.modulate(frames[i : i + 3])
        parts.append(burst)
        total += burst.size
        if total > SPEED_IQ_S * rate:
            break
    iq = np.concatenate(parts)
    config = ChannelConfig(sample_rate_hz=rate, ebn0_db=14.0, bit_rate_bps=9600.0, seed=1,
                           carrier_offset_hz=-12_000.0, doppler_rate_hz_s=250.0)
    channel = ChannelModel(config)
    received = np.concatenate((channel.process(iq), channel.flush()))
    seconds = received.size / rate
    found, cpu = _cpu(lambda: demodulate_iq(received, rate))
    found1, cpu1 = _cpu(lambda: demodulate_iq(received, rate, slicers=SINGLE_SLICER))
    print(f"IQ decode speed, 1 Msps, {seconds:.1f} s, -12 kHz, +250 Hz/s, Eb/N0 14 dB: bank "
          f"{seconds / cpu:.1f}x real time ({len(found)} frames), one slicer {seconds / cpu1:.1f}x "
          f"({len(found1)} frames) (goal >= 2x)")


def ber_curves() -> None:
    print(f"IQ path BER ({BER_BITS} line bits per point, 240 ksps, deviation 3 kHz):")
    print(f"  {'Eb/N0 dB':>8} {'theory':>9} {'static':>9} {'-12 kHz +250 Hz/s':>18}")
    static: list[BerPoint] = []
    doppler: list[BerPoint] = []
    for ebn0 in BER_POINTS_DB:
        static.append(measure_iq_ber(ebn0, bits=BER_BITS, seed=11))
        doppler.append(measure_iq_ber(ebn0, bits=BER_BITS, seed=11, carrier_offset_hz=-12_000.0,
                                      doppler_rate_hz_s=250.0))
        print(f"  {ebn0:>8.1f} {noncoherent_bfsk_ber(ebn0):>9.2e} {static[-1].ber:>9.2e}"
              f" {doppler[-1].ber:>18.2e}")
    for name, points in (("static", static), ("worst Doppler", doppler)):
        loss = implementation_loss_db(points)
        verdict = "within" if loss <= GOAL_LOSS_DB else "OUTSIDE"
        print(f"  implementation loss at BER 1e-3, {name}: {loss:+.2f} dB vs non-coherent BFSK "
              f"({verdict} the {GOAL_LOSS_DB:g} dB goal)")


def main() -> int:
    have_direwolf = all(shutil.which(t) for t in ("atest", "gen_packets"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if have_direwolf:
            noise_counts(folder)
            radio_like_counts(folder)
        else:
            print("direwolf's atest/gen_packets not installed: no side-by-side counts")
        audio_speed(folder, have_direwolf)
    iq_speed()
    ber_curves()
    return 0


if __name__ == "__main__":
    sys.exit(main())
