"""Bit error rate of the IQ path on the channel model, and the implementation loss against theory.

The reference is non-coherent binary FSK with orthogonal tones, Pb = 1/2 exp(-Eb/2N0) (10.9 dB for
1e-3). Errors are counted on channel (line) bits, before the descrambler multiplies them, with a
block-wise alignment that survives a clock slip instead of counting everything after it as wrong.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from radios.channel import ChannelConfig, ChannelModel
from radios.fm import DEVIATION_HZ, G3ruhIqDemodulator, G3ruhIqModulator
from radios.g3ruh import BAUD_9600, soft_levels

_ALIGN_BLOCK_BITS = 1000
_ALIGN_SEARCH_BITS = 64
_EDGE_BITS = 300  # the first and last bits see the silence around the burst


def noncoherent_bfsk_ber(ebn0_db: float) -> float:
    return 0.5 * math.exp(-(10 ** (ebn0_db / 10)) / 2)


def noncoherent_bfsk_ebn0_db(ber: float) -> float:
    """Eb/N0 (dB) at which non-coherent BFSK reaches `ber`."""
    return 10 * math.log10(-2 * math.log(2 * ber))


@dataclass(frozen=True)
class BerPoint:
    ebn0_db: float
    bits: int
    errors: int

    @property
    def ber(self) -> float:
        return self.errors / self.bits if self.bits else math.nan


def count_bit_errors(sent: npt.NDArray[np.uint8], decided: npt.NDArray[np.uint8]) -> tuple[int, int]:
    """(errors, bits compared): blocks of decided bits matched to `sent` at the best nearby shift."""
    errors = compared = 0
    shift: int | None = None
    for start in range(_EDGE_BITS, decided.size - _ALIGN_BLOCK_BITS - _EDGE_BITS, _ALIGN_BLOCK_BITS):
        block = decided[start : start + _ALIGN_BLOCK_BITS]
        best = None if shift is None else _best_shift(sent, block, start, shift, 3)
        if best is None or best[0] > _ALIGN_BLOCK_BITS // 4:
            # First block, or the receiver's clock slipped by more than a few bits: look wider.
            best = _best_shift(sent, block, start, shift or 0, _ALIGN_SEARCH_BITS)
        if best is None:
            continue
        errors += best[0]
        compared += _ALIGN_BLOCK_BITS
        shift = best[1]
    return errors, compared


def _best_shift(sent: npt.NDArray[np.uint8], block: npt.NDArray[np.uint8], start: int, centre: int,
                reach: int) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for s in range(centre - reach, centre + reach + 1):
        lo = start + s
        if lo < 0 or lo + block.size > sent.size:
            continue
        e = int(np.count_nonzero(sent[lo : lo + block.size] != block))
        if best is None or e < best[0]:
            best = (e, s)
    return best


def measure_iq_ber(ebn0_db: float, *, bits: int = 50_000, sample_rate_hz: float = 240_000.0,
                   carrier_offset_hz: float = 0.0, doppler_rate_hz_s: float = 0.0,
                   sample_rate_offset_ppm: float = 0.0, deviation_hz: float = DEVIATION_HZ,
                   seed: int = 0) -> BerPoint:
    """Random line bits, FM-modulated, through the channel model, discriminated and sliced."""
    rng = np.random.default_rng(seed)
    sent = rng.integers(0, 2, bits).astype(np.uint8)
    iq = G3ruhIqModulator(sample_rate_hz=sample_rate_hz, deviation_hz=deviation_hz).modulate_levels(sent)
    channel = ChannelModel(ChannelConfig(
        sample_rate_hz=sample_rate_hz, ebn0_db=ebn0_db, bit_rate_bps=BAUD_9600, seed=seed + 1,
        carrier_offset_hz=carrier_offset_hz, doppler_rate_hz_s=doppler_rate_hz_s,
        sample_rate_offset_ppm=sample_rate_offset_ppm,
    ))
    received = np.concatenate((channel.process(iq), channel.flush()))
    demod = G3ruhIqDemodulator(sample_rate_hz, deviation_hz=deviation_hz)
    audio, audio_rate_hz = demod.discriminate(received)
    _, values = soft_levels(audio, audio_rate_hz)
    errors, compared = count_bit_errors(sent, (values > 0).astype(np.uint8))
    return BerPoint(ebn0_db, compared, errors)


def ebn0_at_ber(points: Sequence[BerPoint], target: float = 1e-3) -> float:
    """Eb/N0 where the measured curve crosses `target` (log-BER interpolated between neighbours)."""
    usable = sorted((p for p in points if p.errors > 0), key=lambda p: p.ebn0_db)
    for lo, hi in itertools.pairwise(usable):
        if lo.ber >= target >= hi.ber:
            f = (math.log10(lo.ber) - math.log10(target)) / (math.log10(lo.ber) - math.log10(hi.ber))
            return lo.ebn0_db + f * (hi.ebn0_db - lo.ebn0_db)
    raise ValueError(f"the measured points do not bracket BER {target:g}: "
                     + ", ".join(f"{p.ebn0_db:g} dB -> {p.ber:.2g}" for p in points))


def implementation_loss_db(points: Sequence[BerPoint], target: float = 1e-3) -> float:
    """How many dB more than ideal non-coherent BFSK our receiver needs at `target` (negative: less)."""
    return ebn0_at_ber(points, target) - noncoherent_bfsk_ebn0_db(target)
